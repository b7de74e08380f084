//  zs_bench_msg - what the wire codec costs: encode and decode of the messages zswarmd
//  handles most, a submit (client -> coordinator) and a wait.ok (the reply)
//
//      zs_bench_msg [ROUNDS]
//
//  Each message is encoded, then decoded and finished, ROUNDS times (1,000,000 unless
//  given), after a warm-up; the figures are ns per operation, best of a few runs, so a
//  busy machine shows less than a quiet one. Figures only, never a timed assert (STYLE
//  rule 39): a codec change is judged by running this before and after it.

#include "proto/zs_msg.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdlib.h>

#define S_ROUNDS_DEFAULT 1000000    //  encodes and decodes of each message
#define S_ROUNDS_MAX     100000000  //  bound of the argument
#define S_RUNS           5          //  runs of each measure; the best is shown
#define S_WARMUP         10000      //  untimed rounds first

typedef struct {
    const char *name;  //  what is measured
    zs_msg_t msg;      //  the message, as its sender fills it
} s_sample_t;

//  The submit of PROTOCOL.md §12 and the wait.ok that answers it
static void
s_samples(s_sample_t *submit, s_sample_t *wait_ok)
{
    submit->name = "submit";
    zs_msg_init(&submit->msg, ZS_MSG_SUBMIT);
    submit->msg.rid = 1;
    submit->msg.task = "job-1";
    submit->msg.ttype = "echo";
    submit->msg.payload = (const uint8_t *) "hello";
    submit->msg.payload_size = 5;
    submit->msg.wait = true;

    wait_ok->name = "wait.ok";
    zs_msg_init(&wait_ok->msg, ZS_MSG_WAIT_OK);
    wait_ok->msg.rid = 1;
    wait_ok->msg.agent = "echo-1";
    wait_ok->msg.task = "job-1";
    wait_ok->msg.ttype = "echo";
    wait_ok->msg.tmo = 30000;
    wait_ok->msg.tries = 3;
    wait_ok->msg.att = 1;
    wait_ok->msg.status = "ok";
    wait_ok->msg.out = (const uint8_t *) "hello";
    wait_ok->msg.out_size = 5;
    wait_ok->msg.state = "completed";
    wait_ok->msg.ended = 1700000000000;
}

//  ns per encode of msg, best of S_RUNS runs of rounds
static double
s_encode_ns(const zs_msg_t *msg, long rounds, msgpack_sbuffer *buf)
{
    double best = 0;
    for (int run = 0; run < S_RUNS; run++) {
        int64_t start = zclock_usecs();
        for (long i = 0; i < rounds; i++) {
            if (zs_msg_encode(msg, buf) != 0) {
                abort();
            }
        }
        double ns = (double) (zclock_usecs() - start) * 1000.0 / (double) rounds;
        best = run == 0 || ns < best ? ns : best;
    }
    return best;
}

//  ns per decode (and finish) of the frame in buf, best of S_RUNS runs of rounds
static double
s_decode_ns(const msgpack_sbuffer *buf, long rounds)
{
    double best = 0;
    for (int run = 0; run < S_RUNS; run++) {
        int64_t start = zclock_usecs();
        for (long i = 0; i < rounds; i++) {
            zs_msg_t got;
            zs_error_t err;
            if (zs_msg_decode(&got, buf->data, buf->size, &err) != 0) {
                fprintf(stderr, "zs_bench_msg: %s\n", err.text);
                abort();
            }
            zs_msg_fini(&got);
        }
        double ns = (double) (zclock_usecs() - start) * 1000.0 / (double) rounds;
        best = run == 0 || ns < best ? ns : best;
    }
    return best;
}

int
main(int argc, char **argv)
{
    zs_log_init("zs_bench_msg");
    int64_t rounds = S_ROUNDS_DEFAULT;
    if (argc > 2 || (argc == 2 && zs_parse_int(argv[1], 1, S_ROUNDS_MAX, &rounds) != 0)) {
        fprintf(stderr, "usage: zs_bench_msg [ROUNDS]   (1..%d)\n", S_ROUNDS_MAX);
        return 2;
    }
    s_sample_t samples[2];
    s_samples(&samples[0], &samples[1]);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    printf("%-10s %8s %12s %12s\n", "message", "bytes", "encode ns", "decode ns");
    for (size_t i = 0; i < 2; i++) {
        s_encode_ns(&samples[i].msg, S_WARMUP, &buf);
        s_decode_ns(&buf, S_WARMUP);
        double encode = s_encode_ns(&samples[i].msg, (long) rounds, &buf);
        double decode = s_decode_ns(&buf, (long) rounds);
        printf("%-10s %8zu %12.1f %12.1f\n", samples[i].name, buf.size, encode, decode);
    }
    msgpack_sbuffer_destroy(&buf);
    return 0;
}
