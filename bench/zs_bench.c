//  zs_bench - how fast a zswarm runs tasks and spawns agents, and how small agents are
//
//  Starts real coordinators from swarm files it writes to a temporary directory and
//  measures them through the control socket, as any client would:
//    throughput  N noop tasks, each `submit` with wait, W of them in flight;
//    latency     sequential submit -> wait.ok round trips, one in flight;
//    spawn       a second zswarmd with many agents: from spawn to status n_agents == N;
//    memory      PSS of idle agents of that second swarm, from /proc/PID/smaps_rollup.
//  It prints figures next to the project's targets and never judges them by its exit
//  status: timings on a shared machine are information, not a test (STYLE rule 39).
//  Exit status: 0 when every phase ran, 1 when one could not run, 2 on usage errors.
//
//  Every process it starts is stopped by pid (SIGTERM, then SIGKILL), including when
//  it is itself interrupted, and its temporary directory is removed.

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/zs_bench_swarm.h"
#include "ctl/zs_client.h"
#include "common/zs_curve.h"
#include "common/zs_opts.h"

#define ZS_BENCH_TASKS           200000     //  throughput tasks
#define ZS_BENCH_WINDOW          1000       //  throughput tasks in flight
#define ZS_BENCH_WARMUP          1000       //  untimed tasks before the throughput run
#define ZS_BENCH_LATENCY_TASKS   5000       //  sequential round trips
#define ZS_BENCH_SPAWN_AGENTS    200        //  agents of the spawn swarm
#define ZS_BENCH_AGENTS_MAX      1000       //  the swarm file's bound of count
#define ZS_BENCH_NOOP_AGENTS     2          //  agents of the task swarm
#define ZS_BENCH_CONCURRENCY_MAX 1024       //  the swarm file's bound of concurrency
#define ZS_BENCH_TASKS_MAX       100000000  //  bound of --tasks and friends
#define ZS_BENCH_REPLY_MS        30000      //  silence that aborts a phase
#define ZS_BENCH_AGENTS_MS       120000     //  longest wait for agents to register
#define ZS_BENCH_POLL_MS         2          //  status polling interval while waiting
#define ZS_BENCH_SECURITY_MAX    (2 * PATH_MAX + 64)  //  the swarm file's section
#define ZS_BENCH_SUBSCRIBE_MS    200     //  lets a new subscription reach zswarmd
#define ZS_BENCH_LEFTOVER_MS     2000    //  grace for agents to exit after zswarmd
#define ZS_BENCH_ROWS_MAX        16      //  lines of the result table
#define ZS_BENCH_CELL_MAX        64      //  one cell of the result table
#define ZS_BENCH_TARGET_TPS      100000  //  tasks/s
#define ZS_BENCH_TARGET_P50_US   400     //  latency p50
#define ZS_BENCH_TARGET_PSS_KB   2048    //  idle agent PSS, KiB

typedef struct {
    zs_opts_int_t tasks;          //  --tasks
    zs_opts_int_t window;         //  --window
    zs_opts_int_t warmup;         //  --warmup
    zs_opts_int_t latency_tasks;  //  --latency-tasks
    zs_opts_int_t agents;         //  --agents, of the spawn swarm
    zs_opts_int_t concurrency;    //  --concurrency of a noop agent
    bool skip_throughput;         //  --skip-throughput
    bool skip_latency;            //  --skip-latency
    bool skip_spawn;              //  --skip-spawn, and so memory
    bool verbose;                 //  --verbose: echo zswarmd's output
    const char *zswarmd;          //  --zswarmd, else $ZSWARMD, else PATH
    const char *journal;          //  --journal: fsync policy of the task swarm's journal
    bool subscribe;               //  --subscribe: a subscriber to every event is attached
    bool curve;                   //  --curve: CURVE security on every socket
} s_options_t;

//  One line of the result table
typedef struct {
    char measure[ZS_BENCH_CELL_MAX];  //  what was measured
    char result[ZS_BENCH_CELL_MAX];   //  the figure
    char target[ZS_BENCH_CELL_MAX];   //  the project's target, or empty
} s_row_t;

typedef struct {
    s_options_t options;                   //  command line, defaults applied
    zs_bench_swarm_place_t place;          //  zswarmd and the temporary directory
    s_row_t rows[ZS_BENCH_ROWS_MAX];       //  results so far
    size_t row_count;                      //  items in rows
    uint64_t *agent_pids;                  //  agents of the current swarm, owned
    size_t agent_count;                    //  items in agent_pids
    zcert_t *client_cert;                  //  with --curve: our keys, owned
    char server_key[ZS_CURVE_Z85_SIZE];    //  with --curve: zswarmd's public key
    char security[ZS_BENCH_SECURITY_MAX];  //  with --curve: the 'security' section
} s_bench_t;

#define S_OFF(field)   offsetof(s_options_t, field)
#define S_COUNT(array) (sizeof(array) / sizeof(array)[0])

static const zs_opts_option_t s_options[] = {
    {"--tasks", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(tasks), 1, ZS_BENCH_TASKS_MAX,
     "N", "throughput tasks (default 200000)"},
    {"--window", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(window), 1, ZS_CLIENT_HWM / 2,
     "W", "throughput tasks in flight (default 1000)"},
    {"--warmup", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(warmup), 0,
     ZS_BENCH_TASKS_MAX, "N", "untimed tasks before the throughput run (default 1000)"},
    {"--latency-tasks", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(latency_tasks), 1,
     ZS_BENCH_TASKS_MAX, "N", "sequential round trips (default 5000)"},
    {"--agents", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(agents), 1,
     ZS_BENCH_AGENTS_MAX, "N", "agents of the spawn swarm (default 200)"},
    {"--concurrency", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(concurrency), 1,
     ZS_BENCH_CONCURRENCY_MAX, "N",
     "tasks one of the 2 noop agents runs at once (default window / 2)"},
    {"--skip-throughput", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, S_OFF(skip_throughput), 0,
     0, NULL, "do not measure throughput"},
    {"--skip-latency", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, S_OFF(skip_latency), 0, 0,
     NULL, "do not measure latency"},
    {"--skip-spawn", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, S_OFF(skip_spawn), 0, 0, NULL,
     "do not measure spawn time and memory"},
    {"--verbose", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, S_OFF(verbose), 0, 0, NULL,
     "echo the output of zswarmd and its agents to stderr"},
    {"--zswarmd", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, S_OFF(zswarmd), 0, 0, "PATH",
     "zswarmd to run (default $ZSWARMD, else zswarmd in PATH)"},
    {"--subscribe", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, S_OFF(subscribe), 0, 0, NULL,
     "attach a subscriber to every event during the throughput run"},
    {"--journal", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, S_OFF(journal), 0, 0, "POLICY",
     "give the task swarm a journal with this fsync policy (always, batch, none)"},
    {"--curve", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, S_OFF(curve), 0, 0, NULL,
     "CURVE security on every socket (keys made in the temporary directory)"},
};

//  ---------------------------------------------------------------------------------------
//  Results

static void
s_row(s_bench_t *self, const char *measure, const char *target, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static void
s_row(s_bench_t *self, const char *measure, const char *target, const char *format, ...)
{
    if (self->row_count == ZS_BENCH_ROWS_MAX) {
        return;
    }
    s_row_t *row = &self->rows[self->row_count++];
    snprintf(row->measure, sizeof row->measure, "%s", measure);
    snprintf(row->target, sizeof row->target, "%s", target);
    va_list args;
    va_start(args, format);
    vsnprintf(row->result, sizeof row->result, format, args);
    va_end(args);
}

static void
s_print_parameters(s_bench_t *self)
{
    const s_options_t *o = &self->options;
    printf("zswarm benchmark: %s, %ld CPUs\n", self->place.zswarmd,
           sysconf(_SC_NPROCESSORS_ONLN));
    if (!o->skip_throughput) {
        printf("  throughput  %" PRId64 " noop tasks, submit with wait, %" PRId64
               " in flight, after %" PRId64 " untimed\n",
               o->tasks.value, o->window.value, o->warmup.value);
    }
    if (!o->skip_latency) {
        printf("  latency     %" PRId64
               " noop tasks one at a time, submit sent -> wait.ok "
               "received\n",
               o->latency_tasks.value);
    }
    if (!o->skip_throughput || !o->skip_latency) {
        printf("  task swarm  %d noop agents (builtin), concurrency %" PRId64
               " each, %s%s\n",
               ZS_BENCH_NOOP_AGENTS, o->concurrency.value,
               o->journal ? "journal fsync " : "no journal",
               o->journal ? o->journal : "");
        printf("  events      %s\n",
               o->subscribe ? "one subscriber to every event" : "no subscriber");
        printf("  security    %s\n",
               o->curve ? "CURVE (ZAP-authenticated keys)" : "none (plain TCP)");
    }
    if (!o->skip_spawn) {
        printf("  spawn       %" PRId64
               " idle agents (builtin): zswarmd spawned -> status "
               "n_agents == %" PRId64 "\n",
               o->agents.value, o->agents.value);
        printf("  memory      PSS from /proc/PID/smaps_rollup of the spawn swarm's idle "
               "agents\n");
    }
    printf("\n");
}

static void
s_print_rows(s_bench_t *self)
{
    if (self->row_count == 0) {
        return;
    }
    printf("%-30s %-22s %s\n", "MEASURE", "RESULT", "TARGET");
    for (size_t i = 0; i < self->row_count; i++) {
        const s_row_t *row = &self->rows[i];
        printf("%-30s %-22s %s\n", row->measure, row->result, row->target);
    }
    fflush(stdout);
}

//  ---------------------------------------------------------------------------------------
//  Talking to a swarm

static int
s_interrupted_error(zs_error_t *err)
{
    return zs_error_set(err, 0, "interrupted");
}

static int
s_request(zs_client_t *client, zs_msg_type_t type, zs_msg_t *reply, zs_error_t *err)
{
    zs_msg_t request;
    zs_msg_init(&request, type);
    int rc = zs_client_request(client, &request, reply, ZS_BENCH_REPLY_MS, err);
    if (rc != 0) {
        zs_msg_fini(reply);
        return -1;
    }
    return 0;
}

//  Poll status until n_agents reaches count. Returns 0 with *when_us the zclock_usecs of
//  the reply that showed it, or -1.
static int
s_await_agents(zs_client_t *client,
               zs_bench_swarm_t *swarm,
               uint64_t count,
               int64_t *when_us,
               zs_error_t *err)
{
    int64_t deadline = zclock_mono() + ZS_BENCH_AGENTS_MS;
    uint64_t seen = 0;
    while (zclock_mono() < deadline && !zs_bench_swarm_interrupted()) {
        zs_msg_t reply;
        zs_msg_init(&reply, ZS_MSG_INVALID);
        if (s_request(client, ZS_MSG_STATUS, &reply, err) != 0) {
            return -1;
        }
        seen = reply.n_agents;
        zs_msg_fini(&reply);
        if (seen >= count) {
            *when_us = zclock_usecs();
            return 0;
        }
        zs_bench_swarm_pump(swarm);
        zclock_sleep(ZS_BENCH_POLL_MS);
    }
    if (zs_bench_swarm_interrupted()) {
        return s_interrupted_error(err);
    }
    return zs_error_set(err, 0,
                        "only %" PRIu64 " of %" PRIu64 " agents registered within %d ms",
                        seen, count, ZS_BENCH_AGENTS_MS);
}

//  Remember the pids of the swarm's agents, to measure them and to check that none
//  outlives its zswarmd
static int
s_load_agents(s_bench_t *self, zs_client_t *client, zs_error_t *err)
{
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_INVALID);
    if (s_request(client, ZS_MSG_AGENTS, &reply, err) != 0) {
        return -1;
    }
    free(self->agent_pids);
    self->agent_pids = zs_calloc(reply.agent_count, sizeof *self->agent_pids);
    self->agent_count = reply.agent_count;
    for (size_t i = 0; i < reply.agent_count; i++) {
        self->agent_pids[i] = reply.agents[i].pid;
    }
    zs_msg_fini(&reply);
    return 0;
}

//  True while pid runs: a zombie has exited and only waits for its parent to reap it
static bool
s_alive(uint64_t pid)
{
    char path[64], stat[256];
    snprintf(path, sizeof path, "/proc/%" PRIu64 "/stat", pid);
    FILE *file = fopen(path, "r");
    if (!file) {
        return false;
    }
    size_t got = fread(stat, 1, sizeof stat - 1, file);
    fclose(file);
    stat[got] = '\0';
    //  "PID (COMM) STATE ...": COMM may hold anything, so look after its last ')'
    const char *close = strrchr(stat, ')');
    return close && close[1] == ' ' && close[2] != 'Z' && close[2] != 'X';
}

//  Stop a swarm, then make sure its agents went with it: one that did not is reported
//  and killed, so a broken shutdown cannot leave processes behind on the machine
static void
s_stop_swarm(s_bench_t *self, zs_bench_swarm_t **swarm_p)
{
    zs_error_t err;
    if (*swarm_p && zs_bench_swarm_stop(*swarm_p, &err) < 0) {
        fprintf(stderr, "zs_bench: %s\n", err.text);
    }
    zs_bench_swarm_destroy(swarm_p);
    int64_t deadline = zclock_mono() + ZS_BENCH_LEFTOVER_MS;
    for (size_t i = 0; i < self->agent_count; i++) {
        pid_t pid = (pid_t) self->agent_pids[i];
        while (pid > 0 && s_alive(self->agent_pids[i]) && zclock_mono() < deadline) {
            zclock_sleep(ZS_BENCH_POLL_MS);
        }
        if (pid > 0 && s_alive(self->agent_pids[i]) && kill(pid, SIGKILL) == 0) {
            fprintf(stderr, "zs_bench: agent %d outlived its zswarmd: killed\n",
                    (int) pid);
        }
    }
    self->agent_count = 0;
}

static zs_client_t *
s_client_new(s_bench_t *self, zs_bench_swarm_t *swarm, zs_error_t *err)
{
    return zs_client_new_secure(zs_bench_swarm_control(swarm), self->client_cert,
                                self->server_key, err);
}

//  --curve: zswarmd's certificate and ours (authorised in clients/), made with zcert
//  in the temporary directory, as `zswarmctl keygen` would
static int
s_make_keys(s_bench_t *self, zs_error_t *err)
{
    char path[PATH_MAX + 32];
    zcert_t *server = zcert_new();
    snprintf(path, sizeof path, "%s/coord", self->place.dir);
    int rc = zcert_save(server, path);
    snprintf(self->server_key, sizeof self->server_key, "%s", zcert_public_txt(server));
    zcert_destroy(&server);
    snprintf(path, sizeof path, "%s/clients", self->place.dir);
    rc = rc == 0 ? mkdir(path, 0700) : rc;
    self->client_cert = zcert_new();
    snprintf(path, sizeof path, "%s/clients/bench", self->place.dir);
    rc = rc == 0 ? zcert_save_public(self->client_cert, path) : rc;
    if (rc != 0) {
        return zs_error_set(err, 0, "cannot write certificates in '%s'", self->place.dir);
    }
    snprintf(self->security, sizeof self->security,
             "{cert: \"%s/coord_secret\", clients: \"%s/clients\"}", self->place.dir,
             self->place.dir);
    return 0;
}

static zs_bench_swarm_t *
s_start_swarm(s_bench_t *self,
              const char *type,
              unsigned count,
              unsigned concurrency,
              zs_error_t *err)
{
    zs_bench_swarm_config_t config = {
        .zswarmd = self->place.zswarmd,
        .dir = self->place.dir,
        .name = type,
        .type = type,
        .caps = strcmp(type, "noop") == 0 ? "[echo]" : NULL,
        .count = count,
        .concurrency = concurrency,
        .journal = strcmp(type, "noop") == 0 ? self->options.journal : NULL,
        .security = self->options.curve ? self->security : NULL,
        .output = self->options.verbose ? ZS_BENCH_SWARM_ECHO : ZS_BENCH_SWARM_QUIET,
    };
    return zs_bench_swarm_new(&config, err);
}

//  ---------------------------------------------------------------------------------------
//  Throughput

typedef struct {
    int64_t sent;     //  submits sent
    int64_t ended;    //  tasks whose wait.ok (or refusal) came back
    int64_t failed;   //  wait.ok with a state other than completed
    int64_t refused;  //  submits answered with error
} s_tally_t;

static void
s_tally(s_tally_t *tally, const zs_msg_t *reply)
{
    switch (reply->type) {
    case ZS_MSG_WAIT_OK:
        tally->ended++;
        tally->failed += reply->state && strcmp(reply->state, "completed") != 0;
        break;
    case ZS_MSG_ERROR:
        //  A refused submit gets no wait.ok: its slot in the window is free now
        tally->ended++;
        tally->refused++;
        break;
    default:
        break;
    }
}

//  Run count tasks with window in flight. Returns 0 with tally filled, or -1.
static int
s_run_tasks(zs_client_t *client,
            zs_bench_swarm_t *swarm,
            int64_t count,
            int64_t window,
            s_tally_t *tally,
            zs_error_t *err)
{
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_SUBMIT);
    request.ttype = "noop";
    request.wait = true;
    *tally = (s_tally_t){0, 0, 0, 0};
    while (tally->ended < count) {
        for (; tally->sent < count && tally->sent - tally->ended < window;
             tally->sent++) {
            if (zs_client_send(client, &request, NULL, err) != 0) {
                return -1;
            }
        }
        zs_msg_t reply;
        zs_msg_init(&reply, ZS_MSG_INVALID);
        int rc = zs_client_recv(client, &reply, ZS_BENCH_REPLY_MS, err);
        if (rc != 0) {
            return -1;
        }
        s_tally(tally, &reply);
        zs_msg_fini(&reply);
        zs_bench_swarm_pump(swarm);
        if (zs_bench_swarm_interrupted()) {
            return s_interrupted_error(err);
        }
    }
    return 0;
}

static int
s_throughput_run(s_bench_t *self,
                 zs_client_t *client,
                 zs_bench_swarm_t *swarm,
                 zs_error_t *err)
{
    const s_options_t *o = &self->options;
    s_tally_t tally;
    if (o->warmup.value > 0 &&
        s_run_tasks(client, swarm, o->warmup.value, o->window.value, &tally, err) != 0) {
        return -1;
    }
    int64_t start = zclock_usecs();
    if (s_run_tasks(client, swarm, o->tasks.value, o->window.value, &tally, err) != 0) {
        return -1;
    }
    double seconds = (double) (zclock_usecs() - start) / 1e6;
    char target[ZS_BENCH_CELL_MAX];
    snprintf(target, sizeof target, ">= %d tasks/s", ZS_BENCH_TARGET_TPS);
    s_row(self, "throughput", target, "%.0f tasks/s", (double) tally.ended / seconds);
    s_row(self, "  tasks, time", "", "%" PRId64 " in %.2f s", tally.ended, seconds);
    s_row(self, "  not completed, refused", "", "%" PRId64 ", %" PRId64, tally.failed,
          tally.refused);
    return 0;
}

static zsock_t *
s_subscriber(s_bench_t *self, zs_bench_swarm_t *swarm)
{
    zsock_t *sub = zsock_new(ZMQ_SUB);
    if (self->client_cert) {
        zs_curve_apply(zsock_resolve(sub), self->client_cert, self->server_key);
    }
    zsock_set_subscribe(sub, "");
    zsock_connect(sub, "%s", zs_bench_swarm_events(swarm));
    return sub;
}

static int
s_throughput(s_bench_t *self,
             zs_client_t *client,
             zs_bench_swarm_t *swarm,
             zs_error_t *err)
{
    const s_options_t *o = &self->options;
    //  Never read: it costs zswarmd what any subscriber costs (encode and send every
    //  event); once its queue is full libzmq drops for it, as for a slow subscriber
    zsock_t *events = o->subscribe ? s_subscriber(self, swarm) : NULL;
    if (events) {
        zclock_sleep(ZS_BENCH_SUBSCRIBE_MS);
    }
    int rc = s_throughput_run(self, client, swarm, err);
    zsock_destroy(&events);
    return rc;
}

//  ---------------------------------------------------------------------------------------
//  Latency

//  One submit with wait, alone in flight. Returns its round trip in us, or -1.
static int64_t
s_round_trip(zs_client_t *client, zs_error_t *err)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_SUBMIT);
    zs_msg_init(&reply, ZS_MSG_INVALID);
    request.ttype = "noop";
    request.wait = true;
    uint64_t rid = 0;
    int64_t start = zclock_usecs();
    if (zs_client_send(client, &request, &rid, err) != 0) {
        return -1;
    }
    //  submit.ok, then wait.ok, both carrying the submit's rid
    for (int expected = 0; expected < 2; expected++) {
        if (zs_client_recv_rid(client, rid, &reply, ZS_BENCH_REPLY_MS, err) != 0) {
            zs_msg_fini(&reply);
            return -1;
        }
        bool done = reply.type == ZS_MSG_WAIT_OK;
        zs_msg_fini(&reply);
        if (done) {
            return zclock_usecs() - start;
        }
    }
    return zs_error_set(err, 0, "no wait.ok after submit.ok");
}

static int
s_compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

static int
s_latency(s_bench_t *self, zs_client_t *client, zs_bench_swarm_t *swarm, zs_error_t *err)
{
    size_t count = (size_t) self->options.latency_tasks.value;
    int64_t *samples = zs_calloc(count, sizeof *samples);
    for (size_t i = 0; i < count; i++) {
        samples[i] = s_round_trip(client, err);
        if (samples[i] < 0 || zs_bench_swarm_interrupted()) {
            free(samples);
            return zs_bench_swarm_interrupted() ? s_interrupted_error(err) : -1;
        }
        zs_bench_swarm_pump(swarm);
    }
    qsort(samples, count, sizeof *samples, s_compare_i64);
    //  Nearest-rank percentiles: the smallest sample with at least p% at or below it
    size_t p50 = (count * 50 + 99) / 100 - 1, p99 = (count * 99 + 99) / 100 - 1;
    char target[ZS_BENCH_CELL_MAX];
    snprintf(target, sizeof target, "< %d us", ZS_BENCH_TARGET_P50_US);
    s_row(self, "latency p50", target, "%" PRId64 " us", samples[p50]);
    s_row(self, "latency p99", "", "%" PRId64 " us", samples[p99]);
    s_row(self, "latency max", "", "%" PRId64 " us", samples[count - 1]);
    free(samples);
    return 0;
}

//  ---------------------------------------------------------------------------------------
//  Spawn and memory

//  PSS of a process in KiB from /proc/PID/smaps_rollup, or -1 when it cannot be read
static int64_t
s_pss_kb(uint64_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%" PRIu64 "/smaps_rollup", pid);
    FILE *file = fopen(path, "r");
    int64_t pss = -1;
    while (file && pss < 0 && fgets(line, sizeof line, file)) {
        long long kb = 0;
        if (sscanf(line, "Pss: %lld kB", &kb) == 1) {
            pss = kb;
        }
    }
    if (file) {
        fclose(file);
    }
    return pss;
}

static void
s_memory(s_bench_t *self, zs_bench_swarm_t *swarm)
{
    int64_t total = 0, measured = 0;
    for (size_t i = 0; i < self->agent_count; i++) {
        int64_t pss = s_pss_kb(self->agent_pids[i]);
        total += pss >= 0 ? pss : 0;
        measured += pss >= 0;
    }
    char target[ZS_BENCH_CELL_MAX];
    snprintf(target, sizeof target, "< %d KiB (2 MiB)", ZS_BENCH_TARGET_PSS_KB);
    int64_t one = self->agent_count ? s_pss_kb(self->agent_pids[0]) : -1;
    s_row(self, "idle agent PSS (one)", target, "%" PRId64 " KiB", one);
    s_row(self, "idle agent PSS (average)", "", "%" PRId64 " KiB of %" PRId64 " agents",
          measured ? total / measured : -1, measured);
    s_row(self, "zswarmd PSS", "", "%" PRId64 " KiB",
          s_pss_kb((uint64_t) zs_bench_swarm_pid(swarm)));
}

static int
s_phase_spawn(s_bench_t *self, zs_error_t *err)
{
    unsigned count = (unsigned) self->options.agents.value;
    zs_bench_swarm_t *swarm = s_start_swarm(self, "idle", count, 1, err);
    if (!swarm) {
        return -1;
    }
    zs_client_t *client = s_client_new(self, swarm, err);
    int64_t all_us = 0;
    int rc = client ? s_await_agents(client, swarm, count, &all_us, err) : -1;
    if (rc == 0) {
        int64_t spawned = zs_bench_swarm_spawned_us(swarm);
        s_row(self, "spawn: zswarmd ready", "", "%.1f ms",
              (double) (zs_bench_swarm_ready_us(swarm) - spawned) / 1000.0);
        s_row(self, "spawn: all agents registered", "", "%.1f ms for %u",
              (double) (all_us - spawned) / 1000.0, count);
        rc = s_load_agents(self, client, err);
    }
    if (rc == 0) {
        s_memory(self, swarm);
    }
    zs_client_destroy(&client);
    s_stop_swarm(self, &swarm);
    return rc;
}

//  ---------------------------------------------------------------------------------------
//  Tasks: throughput and latency against one swarm of noop agents

static int
s_phase_tasks(s_bench_t *self, zs_error_t *err)
{
    zs_bench_swarm_t *swarm =
        s_start_swarm(self, "noop", ZS_BENCH_NOOP_AGENTS,
                      (unsigned) self->options.concurrency.value, err);
    if (!swarm) {
        return -1;
    }
    zs_client_t *client = s_client_new(self, swarm, err);
    int64_t when = 0;
    int rc =
        client ? s_await_agents(client, swarm, ZS_BENCH_NOOP_AGENTS, &when, err) : -1;
    if (rc == 0) {
        rc = s_load_agents(self, client, err);
    }
    if (rc == 0 && !self->options.skip_throughput) {
        rc = s_throughput(self, client, swarm, err);
    }
    if (rc == 0 && !self->options.skip_latency) {
        rc = s_latency(self, client, swarm, err);
    }
    zs_client_destroy(&client);
    s_stop_swarm(self, &swarm);
    return rc;
}

//  ---------------------------------------------------------------------------------------
//  Setup and main

static int
s_setup(s_bench_t *self, zs_error_t *err)
{
    if (zs_bench_swarm_place_init(&self->place, self->options.zswarmd, "zswarm-bench",
                                  err) != 0) {
        return -1;
    }
    //  Whatever zswarmd writes relative to its directory (a journal) lands in ours
    if (chdir(self->place.dir) != 0) {
        return zs_error_set(err, 0, "cannot enter '%s': %s", self->place.dir,
                            strerror(errno));
    }
    return self->options.curve ? s_make_keys(self, err) : 0;
}

static int64_t
s_min(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

//  Called after parsing, since the default concurrency depends on --window
static void
s_defaults(s_options_t *o)
{
    const struct {
        zs_opts_int_t *option;
        int64_t value;
    } defaults[] = {
        {&o->tasks, ZS_BENCH_TASKS},         {&o->window, ZS_BENCH_WINDOW},
        {&o->warmup, ZS_BENCH_WARMUP},       {&o->latency_tasks, ZS_BENCH_LATENCY_TASKS},
        {&o->agents, ZS_BENCH_SPAWN_AGENTS},
    };
    for (size_t i = 0; i < S_COUNT(defaults); i++) {
        if (!defaults[i].option->set) {
            defaults[i].option->value = defaults[i].value;
        }
    }
    //  Room at the agents for the whole window, so the coordinator's queue is never
    //  what limits throughput: window / agents, rounded up, within the file's bound
    if (!o->concurrency.set) {
        int64_t share =
            (o->window.value + ZS_BENCH_NOOP_AGENTS - 1) / ZS_BENCH_NOOP_AGENTS;
        o->concurrency.value = s_min(share, ZS_BENCH_CONCURRENCY_MAX);
    }
}

static const zs_opts_program_t s_program = {
    .name = "zs_bench",
    .usage =
        "usage: zs_bench [OPTIONS]\n\nMeasure a zswarm: task throughput and latency, "
        "agent spawn time and memory.\n\noptions:\n",
    .options = s_options,
    .count = S_COUNT(s_options),
    .mode = ZS_OPTS_OPERANDS_ANY,
};

static int
s_run(s_bench_t *self)
{
    zs_error_t err;
    zs_error_init(&err);
    int rc = s_setup(self, &err);
    if (rc == 0) {
        s_print_parameters(self);
    }
    bool tasks = !self->options.skip_throughput || !self->options.skip_latency;
    if (rc == 0 && tasks) {
        rc = s_phase_tasks(self, &err);
    }
    if (rc == 0 && !self->options.skip_spawn) {
        rc = s_phase_spawn(self, &err);
    }
    s_print_rows(self);
    if (rc != 0) {
        fprintf(stderr, "zs_bench: %s\n", err.text);
    }
    return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
    zsys_handler_set(NULL);
    zs_log_init("zs_bench");
    zs_bench_swarm_take_signals();
    s_bench_t self = {0};
    int operands = 0;
    int rc = zs_opts_program_main(&s_program, argc, argv, &self.options, &operands);
    if (rc != 0) {
        return zs_opts_exit_status(rc);
    }
    s_defaults(&self.options);
    int code = s_run(&self);
    zs_bench_swarm_place_fini(&self.place);
    free(self.agent_pids);
    zcert_destroy(&self.client_cert);
    return code;
}
