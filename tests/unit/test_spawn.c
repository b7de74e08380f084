//  test_spawn - supervision of local agents, with real processes, signals and a zloop
//
//  The "agent program" is a small /bin/sh script in a temporary directory. It is run as
//  `agent.sh --connect EP --type T --id ID --parent PID`, and for its ID it obeys files
//  next to it: ID.once holds an exit code to exit with once (the file is removed first),
//  ID.exit one to exit with on every start; without either it sleeps until signalled.
//  Every start writes its environment's secret to ID.secret and its command line ($0
//  and its arguments) to ID.argv.
//  The loop polls a real SIGCHLD signalfd and reaps from it, as zswarmd does. Every wait
//  is bounded by a generous deadline; no case asserts on timing beyond that.

#include "supervisor/zs_spawn.h"
#include "common/zs_proc.h"
#include "tests/unit/zs_test.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_TICK_MS   5     //  how often a wait checks its condition
#define S_DEADLINE  8000  //  generous bound on any wait, ms
#define S_QUIET_MS  150   //  how long "nothing more happens" is watched
#define S_EXITS_MAX 64    //  exits an environment records
#define S_SLOTS_MAX 8     //  slots whose pids a case remembers
#define S_PATH_MAX  128   //  bytes in a path under the temporary directory

//  The agent stand-in: obeys ID.once, then ID.exit, else sleeps (exec, so a signal to
//  the pid reaches sleep itself and nothing is left behind)
#define S_SCRIPT                                                                         \
    "#!/bin/sh\n"                                                                        \
    "dir=$(dirname \"$0\")\n"                                                            \
    "if [ -f \"$dir/$6.once\" ]; then\n"                                                 \
    "  code=$(cat \"$dir/$6.once\"); rm -f \"$dir/$6.once\"; exit \"$code\"\n"           \
    "fi\n"                                                                               \
    "if [ -f \"$dir/$6.exit\" ]; then exit \"$(cat \"$dir/$6.exit\")\"; fi\n"            \
    "if [ -f \"$dir/$6.deaf\" ]; then trap '' TERM; fi\n"                                \
    "echo \"$0 $@\" > \"$dir/$6.argv\"\n"                                                \
    "printf %s \"$ZSWARM_AGENT_SECRET\" > \"$dir/$6.tmp\"; mv \"$dir/$6.tmp\" "          \
    "\"$dir/$6.secret\"\n"                                                               \
    "exec sleep 30\n"

typedef struct {
    char id[32];           //  the slot's agent id
    pid_t pid;             //  the process that exited
    int code;              //  zs_proc_exit_code
    zs_spawn_next_t next;  //  what becomes of the slot
} s_exit_t;

typedef struct s_env_t s_env_t;
typedef bool(s_until_fn)(s_env_t *env);

struct s_env_t {
    zloop_t *loop;                   //  owned
    zs_spawn_t *spawn;               //  owned
    char dir[S_PATH_MAX];            //  temporary directory holding the script
    char exe[S_PATH_MAX + 16];       //  the script
    s_exit_t exits[S_EXITS_MAX];     //  exits told, in order
    size_t exit_count;               //  items in exits (may exceed S_EXITS_MAX)
    int failures;                    //  type_failed calls
    char failed_type[32];            //  type of the last one
    char why[128];                   //  its reason
    const char *watch[S_SLOTS_MAX];  //  slots a condition looks at
    pid_t old[S_SLOTS_MAX];          //  their pids before the event
    size_t watch_count;              //  items in watch and old
    int64_t deadline_ms;             //  when the current wait gives up
    s_until_fn *until;               //  the current wait's condition, or NULL
};

static int s_signal_fd = -1;  //  SIGCHLD and friends, taken once for the whole run

//  ---------------------------------------------------------------------------------------
//  Environment

static void
s_on_exited(
    void *ctx, const char *agent_id, pid_t pid, int exit_code, zs_spawn_next_t next)
{
    s_env_t *env = ctx;
    if (env->exit_count < S_EXITS_MAX) {
        s_exit_t *record = &env->exits[env->exit_count];
        snprintf(record->id, sizeof record->id, "%s", agent_id);
        record->pid = pid;
        record->code = exit_code;
        record->next = next;
    }
    env->exit_count++;
}

static void
s_on_failed(void *ctx, const char *type, const char *why)
{
    s_env_t *env = ctx;
    env->failures++;
    snprintf(env->failed_type, sizeof env->failed_type, "%s", type);
    snprintf(env->why, sizeof env->why, "%s", why);
}

static int
s_on_signal(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    s_env_t *env = arg;
    int signum;
    while ((signum = zs_proc_signal_read(s_signal_fd)) > 0) {
        if (signum == SIGCHLD && env->spawn) {
            zs_spawn_reap(env->spawn);
        }
    }
    return 0;
}

static void
s_write(s_env_t *env, const char *name, const char *text)
{
    char path[2 * S_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", env->dir, name);
    FILE *file = fopen(path, "w");
    if (file) {
        fputs(text, file);
        fclose(file);
    }
}

//  As zswarmd does: no czmq signal handlers (a child inherits them until exec, and one
//  would swallow a SIGTERM that arrives before then), signals read from a signalfd
static int
s_signals(void)
{
    if (s_signal_fd < 0) {
        zsys_handler_set(NULL);
        s_signal_fd = zs_proc_signals_take();
    }
    return s_signal_fd;
}

static s_env_t *
s_env_new(void)
{
    s_signals();
    s_env_t *env = zs_calloc(1, sizeof *env);
    snprintf(env->dir, sizeof env->dir, "/tmp/test_spawn_XXXXXX");
    if (s_signal_fd < 0 || !mkdtemp(env->dir)) {
        free(env);
        return NULL;
    }
    snprintf(env->exe, sizeof env->exe, "%s/agent.sh", env->dir);
    s_write(env, "agent.sh", S_SCRIPT);
    chmod(env->exe, 0755);
    env->loop = zloop_new();
    zmq_pollitem_t item = {NULL, s_signal_fd, ZMQ_POLLIN, 0};
    zloop_poller(env->loop, &item, s_on_signal, env);
    zs_spawn_events_t events = {s_on_exited, s_on_failed};
    env->spawn = zs_spawn_new(env->loop, env->exe, "tcp://127.0.0.1:1", &events, env);
    return env;
}

//  Destroys the supervisor (which kills and reaps its children), then the directory
static void
s_env_destroy(s_env_t **env_p)
{
    s_env_t *env = *env_p;
    if (!env) {
        return;
    }
    zs_spawn_destroy(&env->spawn);
    zloop_destroy(&env->loop);
    char command[3 * S_PATH_MAX];
    snprintf(command, sizeof command, "rm -rf '%s'", env->dir);
    if (system(command) != 0) {
        fprintf(stderr, "  cannot remove '%s'\n", env->dir);
    }
    free(env);
    *env_p = NULL;
}

static zs_supervision_t
s_sup(zs_sup_strategy_t strategy, zs_sup_restart_t restart)
{
    zs_supervision_t sup = {strategy, restart, 5, 50, 10, 60};
    return sup;
}

static int
s_tick(zloop_t *loop, int timer_id, void *arg)
{
    s_env_t *env = arg;
    bool done = env->until ? env->until(env) : false;
    return done || zclock_mono() >= env->deadline_ms ? -1 : 0;
}

//  Runs the loop until `until` holds, or for timeout_ms; returns whether it holds
static bool
s_run(s_env_t *env, s_until_fn *until, int64_t timeout_ms)
{
    env->until = until;
    env->deadline_ms = zclock_mono() + timeout_ms;
    int timer = zloop_timer(env->loop, S_TICK_MS, 0, s_tick, env);
    zloop_start(env->loop);
    zloop_timer_end(env->loop, timer);
    return !until || until(env);
}

//  Remembers the pids of the watched slots, so a condition can ask which changed
static void
s_watch(s_env_t *env, const char *const ids[], size_t count)
{
    env->watch_count = count;
    for (size_t i = 0; i < count; i++) {
        env->watch[i] = ids[i];
        env->old[i] = zs_spawn_pid(env->spawn, ids[i]);
    }
}

static bool
s_all_new(s_env_t *env)
{
    for (size_t i = 0; i < env->watch_count; i++) {
        pid_t pid = zs_spawn_pid(env->spawn, env->watch[i]);
        if (pid <= 0 || pid == env->old[i]) {
            return false;
        }
    }
    return true;
}

static bool
s_first_new(s_env_t *env)
{
    pid_t pid = zs_spawn_pid(env->spawn, env->watch[0]);
    return pid > 0 && pid != env->old[0];
}

static bool
s_first_gone(s_env_t *env)
{
    return zs_spawn_pid(env->spawn, env->watch[0]) == 0;
}

static bool
s_has_failure(s_env_t *env)
{
    return env->failures > 0;
}

static bool
s_nothing_runs(s_env_t *env)
{
    return zs_spawn_running(env->spawn) == 0;
}

//  Exits told for one slot; *last_p (if not NULL) gets the latest
static size_t
s_exits_of(s_env_t *env, const char *id, const s_exit_t **last_p)
{
    size_t count = 0;
    for (size_t i = 0; i < env->exit_count && i < S_EXITS_MAX; i++) {
        if (streq(env->exits[i].id, id)) {
            count++;
            if (last_p) {
                *last_p = &env->exits[i];
            }
        }
    }
    return count;
}

static bool
s_is_gone(pid_t pid)
{
    return kill(pid, 0) == -1 && errno == ESRCH;
}

//  The watched children are all gone
static bool
s_watched_gone(s_env_t *env)
{
    for (size_t i = 0; i < env->watch_count; i++) {
        if (!s_is_gone(env->old[i])) {
            return false;
        }
    }
    return true;
}

//  ---------------------------------------------------------------------------------------
//  Cases

//  Normal use: a crashed child of a one-for-one type comes back under its own id, after
//  its backoff, and its sibling is left alone
static void
test_one_for_one(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    zs_error_t err;
    zs_supervision_t sup = s_sup(ZS_SUP_ONE_FOR_ONE, ZS_SUP_PERMANENT);
    bool ok = zs_spawn_add(env->spawn, "a", 2, &sup, &err) == 0;
    const char *const ids[] = {"a-1", "a-2"};
    s_watch(env, ids, 2);
    pid_t crashed = env->old[0], sibling = env->old[1];
    ok = ok && crashed > 0 && sibling > 0 && zs_spawn_running(env->spawn) == 2;
    ok = ok && zs_spawn_has_slot(env->spawn, "a-1") &&
         !zs_spawn_has_slot(env->spawn, "a-3");
    ok = ok && kill(crashed, SIGKILL) == 0 && s_run(env, s_first_new, S_DEADLINE);
    const s_exit_t *last = NULL;
    ok = ok && s_exits_of(env, "a-1", &last) == 1 && env->exit_count == 1;
    ok = ok && last->pid == crashed && last->code == -SIGKILL &&
         last->next == ZS_SPAWN_NEXT_RESTART;
    ok = ok && zs_spawn_pid(env->spawn, "a-2") == sibling && !s_is_gone(sibling);
    ok = ok && zs_spawn_pid(env->spawn, "a-1") != crashed;
    ok =
        ok && zs_spawn_running(env->spawn) == 2 && !zs_spawn_type_failed(env->spawn, "a");
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  The delay doubles per quick exit from min, stops at max, varies by +-20% and never
//  goes below 1 ms
static void
test_backoff(void)
{
    zs_supervision_t sup = s_sup(ZS_SUP_ONE_FOR_ONE, ZS_SUP_PERMANENT);
    sup.backoff_min_ms = 100;
    sup.backoff_max_ms = 5000;
    ZS_CHECK(zs_spawn_backoff_ms(&sup, 0, 0) == 80);
    ZS_CHECK(zs_spawn_backoff_ms(&sup, 0, 40) == 120);
    ZS_CHECK(zs_spawn_backoff_ms(&sup, 0, 41) == 80);
    ZS_CHECK(zs_spawn_backoff_ms(&sup, 3, 0) == 640);
    ZS_CHECK(zs_spawn_backoff_ms(&sup, 3, 320) == 960);
    ZS_CHECK(zs_spawn_backoff_ms(&sup, 6, 0) == 4000);
    ZS_CHECK(zs_spawn_backoff_ms(&sup, 6, 2000) == 5000);
    ZS_CHECK(zs_spawn_backoff_ms(&sup, 1000, 0) == 4000);
    for (uint64_t random = 1; random < 100000; random = random * 7 + 3) {
        for (unsigned k = 0; k < 40; k++) {
            int64_t delay = zs_spawn_backoff_ms(&sup, k, random);
            int64_t base = k < 6 ? 100 << k : 5000;
            ZS_CHECK(delay >= base * 4 / 5 && delay <= base * 6 / 5 && delay <= 5000);
        }
    }
    sup.backoff_min_ms = sup.backoff_max_ms = 1;
    ZS_CHECK(zs_spawn_backoff_ms(&sup, 0, 0) == 1);
    ZS_CHECK(zs_spawn_backoff_ms(&sup, 31, UINT64_MAX) == 1);
    sup.backoff_min_ms = sup.backoff_max_ms = 600000;
    ZS_CHECK(zs_spawn_backoff_ms(&sup, 30, 0) == 480000);
}

//  Transient restarts after a crash (exit 1) but not after a clean exit (exit 0)
static void
test_transient(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    s_write(env, "t-1.once", "1\n");
    s_write(env, "t-2.exit", "0\n");
    zs_error_t err;
    zs_supervision_t sup = s_sup(ZS_SUP_ONE_FOR_ONE, ZS_SUP_TRANSIENT);
    bool ok = zs_spawn_add(env->spawn, "t", 2, &sup, &err) == 0;
    const char *const ids[] = {"t-1"};
    s_watch(env, ids, 1);
    ok = ok && s_run(env, s_first_new, S_DEADLINE);
    const s_exit_t *crash = NULL, *clean = NULL;
    ok = ok && s_exits_of(env, "t-1", &crash) == 1 && crash->code == 1 &&
         crash->next == ZS_SPAWN_NEXT_RESTART;
    const char *const others[] = {"t-2"};
    s_watch(env, others, 1);
    ok = ok && s_run(env, s_first_gone, S_DEADLINE);
    s_run(env, NULL, S_QUIET_MS);
    ok = ok && s_exits_of(env, "t-2", &clean) == 1 && clean->code == 0 &&
         clean->next == ZS_SPAWN_NEXT_ENDED && zs_spawn_pid(env->spawn, "t-2") == 0;
    ok = ok && zs_spawn_pid(env->spawn, "t-1") > 0 && zs_spawn_running(env->spawn) == 1;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Temporary never restarts, after a crash or a clean exit
static void
test_temporary(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    s_write(env, "p-2.exit", "0\n");
    zs_error_t err;
    zs_supervision_t sup = s_sup(ZS_SUP_ONE_FOR_ONE, ZS_SUP_TEMPORARY);
    bool ok = zs_spawn_add(env->spawn, "p", 2, &sup, &err) == 0;
    pid_t pid = zs_spawn_pid(env->spawn, "p-1");
    ok = ok && pid > 0 && kill(pid, SIGKILL) == 0;
    ok = ok && s_run(env, s_nothing_runs, S_DEADLINE);
    s_run(env, NULL, S_QUIET_MS);
    const s_exit_t *crash = NULL, *clean = NULL;
    ok = ok && s_exits_of(env, "p-1", &crash) == 1 && crash->code == -SIGKILL &&
         crash->next == ZS_SPAWN_NEXT_ENDED;
    ok = ok && s_exits_of(env, "p-2", &clean) == 1 && clean->code == 0 &&
         clean->next == ZS_SPAWN_NEXT_ENDED;
    ok = ok && zs_spawn_running(env->spawn) == 0 && env->exit_count == 2;
    //  an ended slot is not one that runs or will
    ok = ok && zs_spawn_stop_agent(env->spawn, "p-1") == ZS_SPAWN_E_NO_AGENT;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  One-for-all: a crash restarts every running child of the type, with new pids; the
//  others are terminated by the supervisor, and a slot stopped on command stays stopped
static void
test_one_for_all(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    zs_error_t err;
    zs_supervision_t sup = s_sup(ZS_SUP_ONE_FOR_ALL, ZS_SUP_PERMANENT);
    bool ok = zs_spawn_add(env->spawn, "g", 4, &sup, &err) == 0;
    ok = ok && zs_spawn_add(env->spawn, "other", 1, &sup, &err) == 0;
    pid_t other = zs_spawn_pid(env->spawn, "other-1");
    const char *const stopped[] = {"g-4"};
    s_watch(env, stopped, 1);
    ok = ok && zs_spawn_stop_agent(env->spawn, "g-4") == 0;
    ok = ok && s_run(env, s_first_gone, S_DEADLINE);
    const char *const ids[] = {"g-1", "g-2", "g-3"};
    s_watch(env, ids, 3);
    ok = ok && kill(env->old[1], SIGKILL) == 0 && s_run(env, s_all_new, S_DEADLINE);
    s_run(env, NULL, S_QUIET_MS);
    const s_exit_t *last = NULL;
    ok = ok && s_exits_of(env, "g-2", &last) == 1 && last->code == -SIGKILL &&
         last->next == ZS_SPAWN_NEXT_RESTART;
    ok = ok && s_exits_of(env, "g-1", &last) == 1 && last->code == -SIGTERM &&
         last->next == ZS_SPAWN_NEXT_RESTART;
    ok = ok && s_exits_of(env, "g-3", &last) == 1 && last->code == -SIGTERM;
    ok = ok && s_exits_of(env, "g-4", &last) == 1 && last->next == ZS_SPAWN_NEXT_STOPPED;
    ok = ok && zs_spawn_pid(env->spawn, "g-4") == 0 && s_all_new(env);
    ok = ok && zs_spawn_pid(env->spawn, "other-1") == other && env->exit_count == 4;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Rest-for-one: a crash restarts that child and the ones after it, not the ones before
static void
test_rest_for_one(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    zs_error_t err;
    zs_supervision_t sup = s_sup(ZS_SUP_REST_FOR_ONE, ZS_SUP_PERMANENT);
    bool ok = zs_spawn_add(env->spawn, "r", 3, &sup, &err) == 0;
    pid_t first = zs_spawn_pid(env->spawn, "r-1");
    const char *const ids[] = {"r-2", "r-3"};
    s_watch(env, ids, 2);
    ok = ok && kill(env->old[0], SIGKILL) == 0 && s_run(env, s_all_new, S_DEADLINE);
    s_run(env, NULL, S_QUIET_MS);
    const s_exit_t *last = NULL;
    ok = ok && s_exits_of(env, "r-1", NULL) == 0 &&
         zs_spawn_pid(env->spawn, "r-1") == first;
    ok = ok && s_exits_of(env, "r-2", &last) == 1 && last->code == -SIGKILL;
    ok = ok && s_exits_of(env, "r-3", &last) == 1 && last->code == -SIGTERM &&
         last->next == ZS_SPAWN_NEXT_RESTART;
    ok = ok && s_all_new(env) && zs_spawn_running(env->spawn) == 3;
    //  the last slot has nobody after it: it restarts alone
    const char *const last_id[] = {"r-3"};
    s_watch(env, last_id, 1);
    ok = ok && kill(env->old[0], SIGKILL) == 0 && s_run(env, s_first_new, S_DEADLINE);
    ok = ok && zs_spawn_pid(env->spawn, "r-1") == first && env->exit_count == 3;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A child that exits at once stops being restarted past max_restarts; type_failed fires
//  once with the reason, and another type keeps running
static void
test_intensity(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    s_write(env, "flap-1.exit", "3\n");
    zs_error_t err;
    zs_supervision_t sup = s_sup(ZS_SUP_ONE_FOR_ONE, ZS_SUP_PERMANENT);
    sup.max_restarts = 3;
    bool ok = zs_spawn_add(env->spawn, "steady", 1, &sup, &err) == 0;
    ok = ok && zs_spawn_add(env->spawn, "flap", 1, &sup, &err) == 0;
    pid_t steady = zs_spawn_pid(env->spawn, "steady-1");
    ok = ok && s_run(env, s_has_failure, S_DEADLINE);
    s_run(env, NULL, S_QUIET_MS);
    const s_exit_t *last = NULL;
    ok = ok && env->failures == 1;
    ZS_CHECK_STR(env->failed_type, "flap");
    ZS_CHECK_STR(env->why, "more than 3 restarts within 60 s");
    //  the first start and three restarts; the fourth restart is one too many
    ok = ok && s_exits_of(env, "flap-1", &last) == 4 && last->code == 3 &&
         last->next == ZS_SPAWN_NEXT_FAILED;
    ok = ok && env->exits[0].next == ZS_SPAWN_NEXT_RESTART;
    ok = ok && zs_spawn_type_failed(env->spawn, "flap") &&
         !zs_spawn_type_failed(env->spawn, "steady") &&
         !zs_spawn_type_failed(env->spawn, "nope");
    ok = ok && zs_spawn_pid(env->spawn, "flap-1") == 0 &&
         zs_spawn_pid(env->spawn, "steady-1") == steady && !s_is_gone(steady);
    ok = ok && zs_spawn_stop_agent(env->spawn, "flap-1") == ZS_SPAWN_E_NO_AGENT;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  In a group, the children the supervisor terminates count for nothing: only the
//  flapping child's exits use up the intensity, and failing ends its running siblings
static void
test_intensity_group(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    s_write(env, "h-1.exit", "5\n");
    zs_error_t err;
    zs_supervision_t sup = s_sup(ZS_SUP_ONE_FOR_ALL, ZS_SUP_PERMANENT);
    sup.max_restarts = 2;
    bool ok = zs_spawn_add(env->spawn, "h", 2, &sup, &err) == 0;
    ok = ok && s_run(env, s_has_failure, S_DEADLINE);
    ok = ok && s_run(env, s_nothing_runs, S_DEADLINE);
    s_run(env, NULL, S_QUIET_MS);
    const s_exit_t *last = NULL;
    ok = ok && env->failures == 1 && s_exits_of(env, "h-1", &last) == 3 &&
         last->next == ZS_SPAWN_NEXT_FAILED;
    ok = ok && s_exits_of(env, "h-2", &last) >= 1 && last->code == -SIGTERM &&
         last->next == ZS_SPAWN_NEXT_FAILED;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  An agent stopped on command exits and is never restarted; stopping it again, or an
//  unknown id, is ZS_SPAWN_E_NO_AGENT
static void
test_stop_agent(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    zs_error_t err;
    zs_supervision_t sup = s_sup(ZS_SUP_ONE_FOR_ONE, ZS_SUP_PERMANENT);
    bool ok = zs_spawn_add(env->spawn, "x", 2, &sup, &err) == 0;
    pid_t sibling = zs_spawn_pid(env->spawn, "x-2");
    const char *const ids[] = {"x-1"};
    s_watch(env, ids, 1);
    ok = ok && zs_spawn_stop_agent(env->spawn, "x-1") == 0;
    ok = ok && s_run(env, s_first_gone, S_DEADLINE);
    s_run(env, NULL, S_QUIET_MS);
    const s_exit_t *last = NULL;
    ok = ok && s_exits_of(env, "x-1", &last) == 1 && last->code == -SIGTERM &&
         last->next == ZS_SPAWN_NEXT_STOPPED;
    ok = ok && zs_spawn_pid(env->spawn, "x-1") == 0 && s_is_gone(env->old[0]);
    ok = ok && zs_spawn_pid(env->spawn, "x-2") == sibling;
    ok = ok && zs_spawn_stop_agent(env->spawn, "x-1") == ZS_SPAWN_E_NO_AGENT;
    ok = ok && zs_spawn_stop_agent(env->spawn, "nope-1") == ZS_SPAWN_E_NO_AGENT;
    ok = ok && zs_spawn_stop_agent(env->spawn, "x-3") == ZS_SPAWN_E_NO_AGENT;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Scaling down stops the newest agents for good; scaling up adds slots numbered after
//  every slot the type had, and an unknown type is refused
static void
test_scale(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    zs_error_t err;
    zs_supervision_t sup = s_sup(ZS_SUP_ONE_FOR_ONE, ZS_SUP_PERMANENT);
    bool ok = zs_spawn_add(env->spawn, "s", 3, &sup, &err) == 0;
    pid_t first = zs_spawn_pid(env->spawn, "s-1");
    const char *const ids[] = {"s-3", "s-2"};
    s_watch(env, ids, 2);
    ok = ok && zs_spawn_scale(env->spawn, "s", 1, &err) == 0;
    ok = ok && s_run(env, s_watched_gone, S_DEADLINE);
    s_run(env, NULL, S_QUIET_MS);
    const s_exit_t *last = NULL;
    ok = ok && s_exits_of(env, "s-3", &last) == 1 && last->next == ZS_SPAWN_NEXT_STOPPED;
    ok = ok && s_exits_of(env, "s-2", &last) == 1 && last->next == ZS_SPAWN_NEXT_STOPPED;
    ok = ok && zs_spawn_pid(env->spawn, "s-1") == first;
    ok = ok && zs_spawn_pid(env->spawn, "s-2") == 0 &&
         zs_spawn_pid(env->spawn, "s-3") == 0;
    ok = ok && zs_spawn_scale(env->spawn, "s", 3, &err) == 0;
    ok = ok && zs_spawn_pid(env->spawn, "s-4") > 0 && zs_spawn_pid(env->spawn, "s-5") > 0;
    ok = ok && zs_spawn_pid(env->spawn, "s-2") == 0 &&
         zs_spawn_pid(env->spawn, "s-1") == first;
    ok = ok && zs_spawn_running(env->spawn) == 3;
    ok = ok && zs_spawn_scale(env->spawn, "nope", 1, &err) == ZS_SPAWN_E_NO_TYPE;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Stopping a slot that waits for its restart cancels the restart
static void
test_stop_waiting(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    zs_error_t err;
    zs_supervision_t sup = s_sup(ZS_SUP_ONE_FOR_ONE, ZS_SUP_PERMANENT);
    sup.backoff_min_ms = sup.backoff_max_ms = 300;
    bool ok = zs_spawn_add(env->spawn, "w", 1, &sup, &err) == 0;
    const char *const ids[] = {"w-1"};
    s_watch(env, ids, 1);
    ok = ok && kill(env->old[0], SIGKILL) == 0 && s_run(env, s_first_gone, S_DEADLINE);
    ok = ok && zs_spawn_stop_agent(env->spawn, "w-1") == 0;
    s_run(env, NULL, 3 * sup.backoff_max_ms);
    const s_exit_t *last = NULL;
    ok = ok && s_exits_of(env, "w-1", &last) == 1 && last->next == ZS_SPAWN_NEXT_RESTART;
    ok = ok && zs_spawn_pid(env->spawn, "w-1") == 0 && zs_spawn_running(env->spawn) == 0;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A child that ignores SIGTERM gets SIGKILL once the kill time has passed
static void
test_stop_stuck(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    s_write(env, "k-1.deaf", "\n");
    zs_spawn_set_kill_ms(env->spawn, 100);
    zs_error_t err;
    bool ok = zs_spawn_add(env->spawn, "k", 1, NULL, &err) == 0;
    //  give the shell time to set its trap before it is signalled
    s_run(env, NULL, S_QUIET_MS);
    const char *const ids[] = {"k-1"};
    s_watch(env, ids, 1);
    ok = ok && zs_spawn_stop_agent(env->spawn, "k-1") == 0;
    ok = ok && s_run(env, s_first_gone, S_DEADLINE);
    const s_exit_t *last = NULL;
    ok = ok && s_exits_of(env, "k-1", &last) == 1 && last->code == -SIGKILL &&
         last->next == ZS_SPAWN_NEXT_STOPPED;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  zs_spawn_stop ends every child and restarts none
static void
test_stop_all(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    zs_error_t err;
    zs_supervision_t sup = s_sup(ZS_SUP_ONE_FOR_ALL, ZS_SUP_PERMANENT);
    bool ok = zs_spawn_add(env->spawn, "s", 3, &sup, &err) == 0;
    ok = ok && zs_spawn_add(env->spawn, "u", 0, NULL, &err) == 0;
    zs_spawn_stop(env->spawn);
    ok = ok && s_run(env, s_nothing_runs, S_DEADLINE);
    s_run(env, NULL, S_QUIET_MS);
    ok = ok && env->exit_count == 3 && zs_spawn_running(env->spawn) == 0;
    for (size_t i = 0; i < env->exit_count; i++) {
        ok = ok && env->exits[i].next == ZS_SPAWN_NEXT_STOPPED;
    }
    ok = ok && zs_spawn_stop_agent(env->spawn, "s-1") == ZS_SPAWN_E_NO_AGENT;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Destroy leaves no child behind, whatever state the slots are in
static void
test_destroy(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    s_write(env, "d-3.exit", "1\n");
    zs_error_t err;
    zs_supervision_t sup = s_sup(ZS_SUP_REST_FOR_ONE, ZS_SUP_PERMANENT);
    bool ok = zs_spawn_add(env->spawn, "d", 3, &sup, &err) == 0;
    ok = ok && zs_spawn_add(env->spawn, "e", 2, NULL, &err) == 0;
    ok = ok && zs_spawn_stop_agent(env->spawn, "e-2") == 0;
    pid_t pids[] = {zs_spawn_pid(env->spawn, "d-1"), zs_spawn_pid(env->spawn, "d-2"),
                    zs_spawn_pid(env->spawn, "e-1"), zs_spawn_pid(env->spawn, "e-2")};
    s_run(env, NULL, S_QUIET_MS);
    s_env_destroy(&env);
    ZS_CHECK(ok);
    for (size_t i = 0; i < sizeof pids / sizeof pids[0]; i++) {
        ZS_CHECK(pids[i] > 0 && s_is_gone(pids[i]));
    }
    zs_spawn_t *none = NULL;
    zs_spawn_destroy(&none);  //  accepts NULL
}

//  A program that cannot run exits 127 in the child: that is a crash like any other
static void
test_bad_program(void)
{
    ZS_CHECK(s_signals() >= 0);
    zloop_t *loop = zloop_new();
    zs_spawn_t *spawn = zs_spawn_new(loop, "/nonexistent/agent", "ipc://x", NULL, NULL);
    zs_error_t err;
    zs_supervision_t sup = s_sup(ZS_SUP_ONE_FOR_ONE, ZS_SUP_PERMANENT);
    sup.max_restarts = 0;
    bool ok = zs_spawn_add(spawn, "b", 1, &sup, &err) == 0;
    int64_t deadline = zclock_mono() + S_DEADLINE;
    while (ok && !zs_spawn_type_failed(spawn, "b") && zclock_mono() < deadline) {
        zs_spawn_reap(spawn);
        zclock_sleep(S_TICK_MS);
    }
    ok = ok && zs_spawn_type_failed(spawn, "b") && zs_spawn_running(spawn) == 0;
    zs_spawn_destroy(&spawn);
    zloop_destroy(&loop);
    ZS_CHECK(ok);
}

//  With a prefix, as a node daemon sets it, every slot id starts with it, and a restarted
//  or added slot keeps the scheme
static void
test_prefix(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    zs_spawn_set_prefix(env->spawn, "n1.");
    zs_error_t err;
    bool ok = zs_spawn_add(env->spawn, "p", 2, NULL, &err) == 0;
    const char *const ids[] = {"n1.p-1"};
    s_watch(env, ids, 1);
    ok = ok && env->old[0] > 0 && zs_spawn_pid(env->spawn, "n1.p-2") > 0;
    ok = ok && zs_spawn_pid(env->spawn, "p-1") == 0;
    ok = ok && kill(env->old[0], SIGKILL) == 0 && s_run(env, s_first_new, S_DEADLINE);
    ok = ok && s_exits_of(env, "n1.p-1", NULL) == 1;
    ok = ok && zs_spawn_scale(env->spawn, "p", 3, &err) == 0 &&
         zs_spawn_pid(env->spawn, "n1.p-3") > 0;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Ids "<prefix><type>-<n>" fit up to ZS_MSG_NAME_MAX bytes, and no id is needed for 0
static void
test_ids_fit(void)
{
    char type[ZS_MSG_NAME_MAX + 1];
    memset(type, 'a', ZS_MSG_NAME_MAX);
    type[ZS_MSG_NAME_MAX] = '\0';
    ZS_CHECK(zs_spawn_ids_fit(NULL, type, 0) && !zs_spawn_ids_fit(NULL, type, 1));
    type[ZS_MSG_NAME_MAX - 2] = '\0';  //  62 bytes: "-1" .. "-9" fit, "-10" not
    ZS_CHECK(zs_spawn_ids_fit(NULL, type, 9) && !zs_spawn_ids_fit(NULL, type, 10));
    ZS_CHECK(zs_spawn_ids_fit("", type, 9) && !zs_spawn_ids_fit("n.", type, 1));
    type[ZS_MSG_NAME_MAX - 2 - 5] = '\0';
    ZS_CHECK(zs_spawn_ids_fit("node.", type, 9) && !zs_spawn_ids_fit("node.", type, 10));
    //  the longest node name (32), its dot and 1000 agents leave 26 bytes for the type
    const char *node = "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn.";
    type[26] = '\0';
    ZS_CHECK(zs_spawn_ids_fit(node, type, 1000) && zs_spawn_ids_fit(node, type, 9999));
    ZS_CHECK(!zs_spawn_ids_fit(node, type, 10000));
    ZS_CHECK(zs_spawn_ids_fit(node, "t", UINT32_MAX));
}

//  A type or a scale whose ids would not fit is refused, with a reason, and changes
//  nothing: the type is not added, the running slots stay as they were
static void
test_ids_too_long(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    char prefix[ZS_MSG_NAME_MAX];
    memset(prefix, 'n', 60);
    snprintf(prefix + 60, sizeof prefix - 60, ".");
    zs_spawn_set_prefix(env->spawn, prefix);  //  61 bytes: "t-1" fits, "uu-1" not
    zs_error_t err;
    zs_error_init(&err);
    bool ok = zs_spawn_add(env->spawn, "uu", 1, NULL, &err) == ZS_SPAWN_E_NAME;
    ok = ok && err.code == ZS_SPAWN_E_NAME && strstr(err.text, "longer than 64 bytes");
    ok = ok && zs_spawn_scale(env->spawn, "uu", 0, &err) == ZS_SPAWN_E_NO_TYPE;
    ok = ok && zs_spawn_add(env->spawn, "uu", 0, NULL, &err) == 0;
    ok = ok && zs_spawn_add(env->spawn, "t", 1, NULL, &err) == 0;
    char id[2 * ZS_MSG_NAME_MAX];
    snprintf(id, sizeof id, "%st-1", prefix);
    pid_t pid = zs_spawn_pid(env->spawn, id);
    ok = ok && pid > 0 && zs_spawn_scale(env->spawn, "t", 10, &err) == ZS_SPAWN_E_NAME;
    ok = ok && zs_spawn_running(env->spawn) == 1 && zs_spawn_pid(env->spawn, id) == pid;
    ok = ok && zs_spawn_scale(env->spawn, "uu", 1, &err) == ZS_SPAWN_E_NAME;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  The secret the slot's current child wrote, into secret (size bytes); "" when none
static void
s_secret_read(s_env_t *env, const char *id, char *secret, size_t size)
{
    char path[2 * S_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.secret", env->dir, id);
    secret[0] = '\0';
    FILE *file = fopen(path, "r");
    if (file) {
        if (!fgets(secret, (int) size, file)) {
            secret[0] = '\0';
        }
        fclose(file);
    }
}

static bool
s_first_secret_ok(s_env_t *env)
{
    char secret[2 * ZS_MSG_SECRET_SIZE];
    s_secret_read(env, env->watch[0], secret, sizeof secret);
    return zs_spawn_secret_ok(env->spawn, env->watch[0], secret);
}

//  Every watched slot's child wrote its command line, then its secret
static bool
s_all_secrets_ok(s_env_t *env)
{
    char secret[2 * ZS_MSG_SECRET_SIZE];
    for (size_t i = 0; i < env->watch_count; i++) {
        s_secret_read(env, env->watch[i], secret, sizeof secret);
        if (!zs_spawn_secret_ok(env->spawn, env->watch[i], secret)) {
            return false;
        }
    }
    return true;
}

static bool
s_file_has(s_env_t *env, const char *name, const char *text)
{
    char path[2 * S_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", env->dir, name);
    char line[1024] = "";
    FILE *file = fopen(path, "r");
    if (file) {
        if (!fgets(line, sizeof line, file)) {
            line[0] = '\0';
        }
        fclose(file);
    }
    return strstr(line, text) != NULL;
}

//  Each child gets a fresh secret in its environment, never on its command line; only
//  the running child's proves its slot, in full
static void
test_secret(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    zs_error_t err;
    bool ok = zs_spawn_add(env->spawn, "s", 2, NULL, &err) == 0;
    const char *const ids[] = {"s-1"};
    s_watch(env, ids, 1);
    ok = ok && s_run(env, s_first_secret_ok, S_DEADLINE);
    char secret[2 * ZS_MSG_SECRET_SIZE];
    s_secret_read(env, "s-1", secret, sizeof secret);
    ok = ok && strlen(secret) == ZS_MSG_SECRET_SIZE &&
         strspn(secret, "0123456789abcdef") == ZS_MSG_SECRET_SIZE;
    ok = ok && s_file_has(env, "s-1.argv", "--id s-1") &&
         !s_file_has(env, "s-1.argv", secret);
    //  Not another slot's, not one character off, not a prefix, not nothing
    ok = ok && !zs_spawn_secret_ok(env->spawn, "s-2", secret) &&
         !zs_spawn_secret_ok(env->spawn, "s-3", secret) &&
         !zs_spawn_secret_ok(env->spawn, "s-1", NULL);
    char wrong[sizeof secret];
    snprintf(wrong, sizeof wrong, "%s", secret);
    wrong[ZS_MSG_SECRET_SIZE - 1] = wrong[ZS_MSG_SECRET_SIZE - 1] == '0' ? '1' : '0';
    ok = ok && !zs_spawn_secret_ok(env->spawn, "s-1", wrong);
    wrong[ZS_MSG_SECRET_SIZE - 1] = '\0';
    ok = ok && !zs_spawn_secret_ok(env->spawn, "s-1", wrong);
    //  A restarted child gets a new one, and the old one proves nothing any more
    char path[2 * S_PATH_MAX];
    snprintf(path, sizeof path, "%s/s-1.secret", env->dir);
    ok = ok && unlink(path) == 0 && kill(env->old[0], SIGKILL) == 0 &&
         s_run(env, s_first_new, S_DEADLINE);
    ok = ok && !zs_spawn_secret_ok(env->spawn, "s-1", secret) &&
         s_run(env, s_first_secret_ok, S_DEADLINE);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A type with a program of its own runs it, with its words first and the agent's
//  options after them, and the same secret in its environment
static void
test_program(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    s_write(env, "program.sh", S_SCRIPT);
    char script[2 * S_PATH_MAX];
    snprintf(script, sizeof script, "%s/program.sh", env->dir);
    const char *const program[] = {"/bin/sh", script};
    zs_error_t err;
    bool ok = zs_spawn_add_program(env->spawn, "p", 1, NULL, program, 2, &err) == 0;
    ok = ok && zs_spawn_add(env->spawn, "q", 1, NULL, &err) == 0;
    const char *const ids[] = {"p-1", "q-1"};
    s_watch(env, ids, 2);
    ok = ok && s_run(env, s_first_secret_ok, S_DEADLINE);
    char expected[3 * S_PATH_MAX];
    snprintf(expected, sizeof expected,
             "%s --connect tcp://127.0.0.1:1 --type p --id p-1 --parent ", script);
    ok = ok && s_file_has(env, "p-1.argv", expected);
    //  The other type runs the agent program, and a restart runs the program again
    snprintf(expected, sizeof expected, "%s --connect", env->exe);
    ok = ok && s_run(env, s_all_secrets_ok, S_DEADLINE) &&
         s_file_has(env, "q-1.argv", expected);
    char path[2 * S_PATH_MAX];
    snprintf(path, sizeof path, "%s/p-1.argv", env->dir);
    ok = ok && unlink(path) == 0 && kill(env->old[0], SIGKILL) == 0 &&
         s_run(env, s_first_new, S_DEADLINE) && s_run(env, s_first_secret_ok, S_DEADLINE);
    snprintf(expected, sizeof expected, "%s --connect", script);
    ok = ok && s_file_has(env, "p-1.argv", expected);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"one_for_one", test_one_for_one},
    {"backoff", test_backoff},
    {"transient", test_transient},
    {"temporary", test_temporary},
    {"one_for_all", test_one_for_all},
    {"rest_for_one", test_rest_for_one},
    {"intensity", test_intensity},
    {"intensity_group", test_intensity_group},
    {"stop_agent", test_stop_agent},
    {"scale", test_scale},
    {"stop_waiting", test_stop_waiting},
    {"stop_stuck", test_stop_stuck},
    {"stop_all", test_stop_all},
    {"destroy", test_destroy},
    {"bad_program", test_bad_program},
    {"prefix", test_prefix},
    {"ids_fit", test_ids_fit},
    {"ids_too_long", test_ids_too_long},
    {"secret", test_secret},
    {"program", test_program},
};

ZS_TEST_MAIN(s_cases)
