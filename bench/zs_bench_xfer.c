//  zs_bench_xfer - the agent's transfer engine alone, without a coordinator
//
//    zs_bench_xfer get URL COUNT CONCURRENCY
//        COUNT GETs of URL through zs_xfer, CONCURRENCY at once, in one zloop, the
//        bodies read and dropped; prints "get: COUNT requests in S s: R req/s, M MB/s"
//    zs_bench_xfer download URL DIR [SHA256]
//        one download of URL into DIR/bench.bin through the download handler
//        (zs_download and its file), as an agent runs it, checked against SHA256 when
//        given (then the handler hashes every byte); prints
//        "download: BYTES bytes in S s: R MB/s ok" (or "failed: WHY")
//
//  bench/zs_http.py runs it beside curl and the whole swarm and prints the ratios. It
//  prints figures and never judges them (STYLE rule 39). Exit status: 0 when every
//  transfer succeeded, 1 otherwise, 2 on usage errors.

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/zs_download.h"
#include "agent/zs_xfer.h"

#define S_COUNT_MAX    10000000  //  bound of COUNT
#define S_CONC_MAX     1024      //  bound of CONCURRENCY
#define S_DOWNLOAD_TMO 0         //  a download may take as long as it takes

//  ---- get -----------------------------------------------------------------------------

typedef struct {
    zloop_t *loop;    //  runs every transfer
    zs_xfer_t *xfer;  //  the engine under test
    const char *url;  //  what every GET fetches
    int64_t left;     //  GETs not started yet
    int64_t running;  //  GETs started and not done
    int64_t failed;   //  GETs that did not end in a 200
    int64_t bytes;    //  body bytes read
} s_get_t;

static size_t
s_discard(char *data, size_t size, size_t count, void *arg)
{
    s_get_t *self = arg;
    self->bytes += (int64_t) (size * count);
    return size * count;
}

static int
s_stop(zloop_t *loop, int timer_id, void *arg)
{
    return -1;
}

static void s_get_done(void *arg, CURL *easy, CURLcode code);

//  Start the next GET; each easy handle is reused, as a client library would
static void
s_get_next(s_get_t *self, CURL *easy)
{
    self->left--;
    self->running++;
    if (zs_xfer_start(self->xfer, easy, s_get_done, self) != 0) {
        self->running--;
        self->failed++;
    }
}

static void
s_get_done(void *arg, CURL *easy, CURLcode code)
{
    s_get_t *self = arg;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    self->failed += code != CURLE_OK || status != 200;
    self->running--;
    if (self->left > 0) {
        s_get_next(self, easy);
    } else {
        curl_easy_cleanup(easy);
    }
    if (self->running == 0 && self->left == 0) {
        zloop_timer(self->loop, 0, 1, s_stop, NULL);  //  a callback cannot end the loop
    }
}

static int
s_get(const char *url, int64_t count, int64_t conc)
{
    s_get_t self = {zloop_new(), NULL, url, count, 0, 0, 0};
    self.xfer = zs_xfer_new(self.loop);
    for (int64_t i = 0; i < conc && self.left > 0; i++) {
        CURL *easy = zs_xfer_easy_new();
        curl_easy_setopt(easy, CURLOPT_URL, url);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, s_discard);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, &self);
        s_get_next(&self, easy);
    }
    int64_t start = zclock_usecs();
    if (self.running > 0) {
        zloop_start(self.loop);
    }
    double seconds = (double) (zclock_usecs() - start) / 1e6;
    printf("get: %" PRId64 " requests in %.3f s: %.0f req/s, %.1f MB/s (%" PRId64
           " failed)\n",
           count, seconds, (double) count / seconds, (double) self.bytes / seconds / 1e6,
           self.failed);
    zs_xfer_destroy(&self.xfer);
    zloop_destroy(&self.loop);
    return self.failed ? 1 : 0;
}

//  ---- download ------------------------------------------------------------------------

typedef struct {
    zloop_t *loop;   //  runs the download
    bool done;       //  the result came
    bool ok;         //  ... and said ok
    char out[1024];  //  its stdout
    char why[1024];  //  its why
} s_download_t;

static void
s_on_started(void *owner, const char *task, uint64_t att)
{
}

static void
s_on_finished(void *owner, const zs_msg_t *result)
{
    s_download_t *self = owner;
    self->done = true;
    self->ok = streq(result->status, "ok");
    snprintf(self->out, sizeof self->out, "%.*s", (int) result->out_size,
             result->out ? (const char *) result->out : "");
    snprintf(self->why, sizeof self->why, "%s", result->why ? result->why : "");
    zloop_timer(self->loop, 0, 1, s_stop, NULL);
}

static int
s_on_send(void *owner, const zs_msg_t *msg)
{
    return 0;  //  progress reports: the benchmark measures the transfer only
}

static int
s_download(const char *url, const char *dir, const char *sha256)
{
    s_download_t self = {.loop = zloop_new()};
    zs_handler_sink_t sink = {&self, s_on_started, s_on_finished, s_on_send};
    zs_download_t *handler = zs_download_new(self.loop, &sink);
    const char *allow[] = {url};
    zs_download_conf_t conf = {allow, 1, dir, 0, 0};
    zs_error_t err;
    if (zs_download_configure(handler, &conf, &err) != 0) {
        fprintf(stderr, "zs_bench_xfer: %s\n", err.text);
        return 2;
    }
    zs_msg_t assign;
    zs_msg_init(&assign, ZS_MSG_TASK_ASSIGN);
    assign.task = "bench";
    assign.ttype = "dl";
    assign.att = 1;
    assign.tmo = S_DOWNLOAD_TMO;
    char payload[4096];
    if (sha256) {
        snprintf(payload, sizeof payload,
                 "{\"url\": \"%s\", \"path\": \"bench.bin\", \"sha256\": \"%s\"}", url,
                 sha256);
    } else {
        snprintf(payload, sizeof payload, "{\"url\": \"%s\", \"path\": \"bench.bin\"}",
                 url);
    }
    assign.payload = (const uint8_t *) payload;
    assign.payload_size = strlen(payload);
    int64_t start = zclock_usecs();
    zs_download_start(handler, &assign);
    if (!self.done) {
        zloop_start(self.loop);
    }
    double seconds = (double) (zclock_usecs() - start) / 1e6;
    long long bytes = 0;
    const char *at = strstr(self.out, "\"bytes\":");
    if (at) {
        bytes = strtoll(at + 8, NULL, 10);
    }
    printf("download: %lld bytes in %.3f s: %.1f MB/s %s%s\n", bytes, seconds,
           (double) bytes / seconds / 1e6, self.ok ? "ok" : "failed: ", self.why);
    zs_download_destroy(&handler);
    zloop_destroy(&self.loop);
    return self.ok ? 0 : 1;
}

//  ---- main ----------------------------------------------------------------------------

static int
s_usage(void)
{
    fprintf(stderr, "usage: zs_bench_xfer get URL COUNT CONCURRENCY\n"
                    "       zs_bench_xfer download URL DIR [SHA256]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    int64_t count = 0, conc = 0;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "zs_bench_xfer: cannot initialise libcurl\n");
        return 1;
    }
    zsys_init();
    int rc = 2;
    if (argc == 5 && streq(argv[1], "get") &&
        zs_parse_int(argv[3], 1, S_COUNT_MAX, &count) == 0 &&
        zs_parse_int(argv[4], 1, S_CONC_MAX, &conc) == 0) {
        rc = s_get(argv[2], count, conc);
    } else if ((argc == 4 || argc == 5) && streq(argv[1], "download")) {
        rc = s_download(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
    } else {
        rc = s_usage();
    }
    curl_global_cleanup();
    return rc;
}
