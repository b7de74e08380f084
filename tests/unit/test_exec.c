//  test_exec - the agent's exec and builtin handlers, driven by a zloop without a
//  coordinator: the fixture plays the runtime (it reaps children on SIGCHLD and
//  collects what the handlers report)

#include "agent/zs_builtin.h"
#include "agent/zs_exec.h"
#include "common/zs_proc.h"
#include "tests/unit/zs_test.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_RESULTS_MAX  64     //  results one case may collect
#define S_DEADLINE_MS  10000  //  a case whose results are not in by then fails
#define S_GONE_WAIT_MS 5000   //  how long killed processes may take to disappear
#define S_BIG_PAYLOAD  (1u << 20)
#define S_MANY_TASKS   40
#define S_TICK_NS      20000000L  //  longest wait for SIGCHLD between group checks

//  A copy of one task.result
typedef struct {
    char task[ZS_MSG_NAME_MAX + 1];  //  task id
    uint64_t att;                    //  attempt
    char status[16];                 //  ok|fail|timeout|cancelled
    int64_t exit;                    //  exit code or -signal
    char *out;                       //  stdout, NUL-terminated copy
    size_t out_size;                 //  its length
    char *err;                       //  stderr, NUL-terminated copy
    size_t err_size;                 //  its length
    char why[ZS_MSG_TEXT_MAX];       //  why, or ""
} s_result_t;

typedef struct {
    zloop_t *loop;                      //  the loop everything runs in
    int signal_fd;                      //  SIGCHLD and friends
    zs_exec_t *exec;                    //  handler under test
    zs_builtin_t *builtin;              //  handler under test
    size_t started;                     //  `started` reports
    s_result_t results[S_RESULTS_MAX];  //  `finished` reports, in order
    size_t count;                       //  results in
    size_t expected;                    //  the loop stops when count reaches it
    const char *cancel_task;            //  cancelled by s_on_cancel, if set
} s_fixture_t;

//  ---- fixture -------------------------------------------------------------------------

static void
s_on_started(void *owner, const char *task, uint64_t att)
{
    s_fixture_t *fx = owner;
    fx->started++;
}

static int
s_stop(zloop_t *loop, int timer_id, void *arg)
{
    return -1;
}

static char *
s_copy(const uint8_t *data, size_t size)
{
    char *copy = zs_malloc(size + 1);
    if (size) {
        memcpy(copy, data, size);
    }
    copy[size] = '\0';
    return copy;
}

static void
s_on_finished(void *owner, const zs_msg_t *msg)
{
    s_fixture_t *fx = owner;
    assert(fx->count < S_RESULTS_MAX);
    s_result_t *result = &fx->results[fx->count++];
    snprintf(result->task, sizeof result->task, "%s", msg->task);
    result->att = msg->att;
    snprintf(result->status, sizeof result->status, "%s", msg->status);
    result->exit = msg->exit;
    result->out = s_copy(msg->out, msg->out_size);
    result->out_size = msg->out_size;
    result->err = s_copy(msg->err, msg->err_size);
    result->err_size = msg->err_size;
    snprintf(result->why, sizeof result->why, "%s", msg->why ? msg->why : "");
    if (fx->count == fx->expected) {
        //  A handler's callback cannot end the loop; a timer firing next round can
        zloop_timer(fx->loop, 0, 1, s_stop, NULL);
    }
}

//  What the runtime does on SIGCHLD: reap every child, hand each to the handler
static int
s_on_signal(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    s_fixture_t *fx = arg;
    while (zs_proc_signal_read(fx->signal_fd) != 0) {
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        zs_exec_reaped(fx->exec, pid, status);
    }
    return 0;
}

static s_fixture_t *
s_fixture_new(void)
{
    s_fixture_t *fx = zs_calloc(1, sizeof *fx);
    fx->signal_fd = zs_proc_signals_take();
    assert(fx->signal_fd >= 0);
    //  Orphaned grandchildren come to us, so the checks below can reap them
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    fx->loop = zloop_new();
    zmq_pollitem_t item = {NULL, fx->signal_fd, ZMQ_POLLIN, 0};
    zloop_poller(fx->loop, &item, s_on_signal, fx);
    zs_handler_sink_t sink = {fx, s_on_started, s_on_finished, NULL};
    fx->exec = zs_exec_new(fx->loop, &sink);
    fx->builtin = zs_builtin_new(fx->loop, &sink);
    return fx;
}

static void
s_fixture_destroy(s_fixture_t **fx_p)
{
    s_fixture_t *fx = *fx_p;
    zs_exec_destroy(&fx->exec);
    zs_builtin_destroy(&fx->builtin);
    zloop_destroy(&fx->loop);
    close(fx->signal_fd);
    for (size_t i = 0; i < fx->count; i++) {
        free(fx->results[i].out);
        free(fx->results[i].err);
    }
    free(fx);
    *fx_p = NULL;
}

//  Run the loop until `expected` results are in or the deadline passed
static void
s_run(s_fixture_t *fx, size_t expected)
{
    fx->expected = expected;
    if (fx->count < expected) {
        int deadline = zloop_timer(fx->loop, S_DEADLINE_MS, 1, s_stop, NULL);
        zloop_start(fx->loop);
        zloop_timer_end(fx->loop, deadline);
    }
}

static void
s_set_argv(s_fixture_t *fx, const char *script)
{
    const char *argv[] = {"/bin/sh", "-c", script};
    zs_exec_set_argv(fx->exec, argv, 3);
}

static zs_msg_t
s_assign(const char *task, const char *ttype, const char *payload, uint64_t tmo)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_TASK_ASSIGN);
    msg.task = task;
    msg.ttype = ttype;
    msg.att = 1;
    msg.payload = (const uint8_t *) payload;
    msg.payload_size = payload ? strlen(payload) : 0;
    msg.tmo = tmo;
    return msg;
}

static void
s_exec(s_fixture_t *fx, const char *task, const char *payload, uint64_t tmo)
{
    zs_msg_t msg = s_assign(task, "shell", payload, tmo);
    zs_exec_start(fx->exec, &msg);
}

//  True once no process is left in group pgid. Killed processes vanish when their
//  parent (we are the subreaper of orphans) reaps them, so wait for SIGCHLD and reap.
static bool
s_group_gone(pid_t pgid)
{
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    int64_t deadline = zclock_mono() + S_GONE_WAIT_MS;
    while (zclock_mono() < deadline) {
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
        if (killpg(pgid, 0) == -1 && errno == ESRCH) {
            return true;
        }
        struct timespec tick = {0, S_TICK_NS};
        sigtimedwait(&chld, NULL, &tick);
    }
    return false;
}

static bool
s_pid_gone(pid_t pid)
{
    return pid > 0 && kill(pid, 0) == -1 && errno == ESRCH;
}

//  ---- exec cases ----------------------------------------------------------------------

//  Normal use: a command gets the payload on stdin and its stdout comes back
static void
s_test_cat_round_trip(void)
{
    s_fixture_t *fx = s_fixture_new();
    s_set_argv(fx, "cat");
    s_exec(fx, "t-1", "hello, swarm\n", 0);
    ZS_CHECK(zs_exec_running(fx->exec) == 1);
    ZS_CHECK(fx->started == 1);  //  the runtime would send task.ack here
    s_run(fx, 1);
    ZS_CHECK(fx->count == 1);
    s_result_t *result = &fx->results[0];
    ZS_CHECK_STR(result->task, "t-1");
    ZS_CHECK(result->att == 1);
    ZS_CHECK_STR(result->status, "ok");
    ZS_CHECK(result->exit == 0);
    ZS_CHECK_STR(result->out, "hello, swarm\n");
    ZS_CHECK(result->err_size == 0);
    ZS_CHECK_STR(result->why, "");
    ZS_CHECK(zs_exec_running(fx->exec) == 0);
    s_fixture_destroy(&fx);
}

static void
s_test_exit_status_fails(void)
{
    s_fixture_t *fx = s_fixture_new();
    s_set_argv(fx, "echo partial; exit 3");
    s_exec(fx, "t-exit", NULL, 0);
    s_run(fx, 1);
    ZS_CHECK(fx->count == 1);
    ZS_CHECK_STR(fx->results[0].status, "fail");
    ZS_CHECK(fx->results[0].exit == 3);
    ZS_CHECK_STR(fx->results[0].out, "partial\n");
    ZS_CHECK_STR(fx->results[0].why, "exited with status 3");
    s_fixture_destroy(&fx);
}

static void
s_test_signal_fails(void)
{
    s_fixture_t *fx = s_fixture_new();
    s_set_argv(fx, "kill -9 $$");
    s_exec(fx, "t-sig", NULL, 0);
    s_run(fx, 1);
    ZS_CHECK(fx->count == 1);
    ZS_CHECK_STR(fx->results[0].status, "fail");
    ZS_CHECK(fx->results[0].exit == -9);
    ZS_CHECK_STR(fx->results[0].why, "killed by signal 9");
    s_fixture_destroy(&fx);
}

static void
s_test_stderr_captured(void)
{
    s_fixture_t *fx = s_fixture_new();
    s_set_argv(fx, "echo out; echo oops >&2");
    s_exec(fx, "t-err", NULL, 0);
    s_run(fx, 1);
    ZS_CHECK(fx->count == 1);
    ZS_CHECK_STR(fx->results[0].status, "ok");
    ZS_CHECK_STR(fx->results[0].out, "out\n");
    ZS_CHECK_STR(fx->results[0].err, "oops\n");
    s_fixture_destroy(&fx);
}

static void
s_test_output_truncated(void)
{
    s_fixture_t *fx = s_fixture_new();
    s_set_argv(fx, "head -c 200000 /dev/zero; head -c 70000 /dev/zero >&2");
    s_exec(fx, "t-big", NULL, 0);
    s_run(fx, 1);
    ZS_CHECK(fx->count == 1);
    ZS_CHECK_STR(fx->results[0].status, "ok");
    ZS_CHECK(fx->results[0].out_size == ZS_MSG_OUTPUT_MAX);
    ZS_CHECK(fx->results[0].err_size == ZS_MSG_OUTPUT_MAX);
    ZS_CHECK_STR(fx->results[0].why,
                 "stdout truncated to 65536 bytes; stderr truncated to 65536 bytes");
    s_fixture_destroy(&fx);
}

//  A payload far bigger than a pipe's buffer reaches the child whole
static void
s_test_big_payload(void)
{
    s_fixture_t *fx = s_fixture_new();
    char *payload = zs_malloc(S_BIG_PAYLOAD + 1);
    memset(payload, 'x', S_BIG_PAYLOAD);
    payload[S_BIG_PAYLOAD] = '\0';
    s_set_argv(fx, "wc -c");
    s_exec(fx, "t-payload", payload, 0);
    free(payload);
    s_run(fx, 1);
    ZS_CHECK(fx->count == 1);
    ZS_CHECK_STR(fx->results[0].status, "ok");
    ZS_CHECK(atoi(fx->results[0].out) == (int) S_BIG_PAYLOAD);
    s_fixture_destroy(&fx);
}

//  A child that exits without reading its stdin is no error of ours (EPIPE)
static void
s_test_stdin_unread(void)
{
    s_fixture_t *fx = s_fixture_new();
    char *payload = zs_malloc(S_BIG_PAYLOAD + 1);
    memset(payload, 'y', S_BIG_PAYLOAD);
    payload[S_BIG_PAYLOAD] = '\0';
    s_set_argv(fx, "exit 0");
    s_exec(fx, "t-unread", payload, 0);
    free(payload);
    s_run(fx, 1);
    ZS_CHECK(fx->count == 1);
    ZS_CHECK_STR(fx->results[0].status, "ok");
    s_fixture_destroy(&fx);
}

static void
s_test_timeout_kills_group(void)
{
    s_fixture_t *fx = s_fixture_new();
    s_set_argv(fx, "sleep 100 & echo $!; sleep 100");
    s_exec(fx, "t-tmo", NULL, 200);
    pid_t pgid = zs_exec_pid(fx->exec, "t-tmo", 1);
    ZS_CHECK(pgid > 0);
    s_run(fx, 1);
    ZS_CHECK(fx->count == 1);
    ZS_CHECK_STR(fx->results[0].status, "timeout");
    ZS_CHECK(fx->results[0].exit == -SIGKILL);
    ZS_CHECK_STR(fx->results[0].why, "timed out after 200 ms");
    pid_t background = (pid_t) atoi(fx->results[0].out);
    ZS_CHECK(background > 0);
    ZS_CHECK(s_group_gone(pgid));
    ZS_CHECK(s_pid_gone(pgid));
    ZS_CHECK(s_pid_gone(background));
    s_fixture_destroy(&fx);
}

static int
s_on_cancel(zloop_t *loop, int timer_id, void *arg)
{
    s_fixture_t *fx = arg;
    int rc = zs_exec_cancel(fx->exec, fx->cancel_task, 1);
    assert(rc == 0);
    (void) rc;
    return 0;
}

static void
s_test_cancel_kills_group(void)
{
    s_fixture_t *fx = s_fixture_new();
    s_set_argv(fx, "sleep 100 & sleep 100");
    s_exec(fx, "t-cancel", NULL, 60000);
    pid_t pgid = zs_exec_pid(fx->exec, "t-cancel", 1);
    fx->cancel_task = "t-cancel";
    zloop_timer(fx->loop, 50, 1, s_on_cancel, fx);
    s_run(fx, 1);
    ZS_CHECK(fx->count == 1);
    ZS_CHECK_STR(fx->results[0].status, "cancelled");
    ZS_CHECK(fx->results[0].exit == -SIGKILL);
    ZS_CHECK(s_group_gone(pgid));
    ZS_CHECK(zs_exec_cancel(fx->exec, "t-cancel", 1) == ZS_HANDLER_E_NO_JOB);
    s_fixture_destroy(&fx);
}

//  A background process holding stdout open does not keep the job alive
static void
s_test_grace_after_exit(void)
{
    s_fixture_t *fx = s_fixture_new();
    s_set_argv(fx, "sleep 100 & echo started");
    s_exec(fx, "t-grace", NULL, 0);
    pid_t pgid = zs_exec_pid(fx->exec, "t-grace", 1);
    int64_t began = zclock_mono();
    s_run(fx, 1);
    ZS_CHECK(fx->count == 1);
    ZS_CHECK(zclock_mono() - began < 5000);
    ZS_CHECK_STR(fx->results[0].status, "ok");
    ZS_CHECK_STR(fx->results[0].out, "started\n");
    ZS_CHECK_STR(fx->results[0].why, "output still open 100 ms after exit, group killed");
    ZS_CHECK(s_group_gone(pgid));
    s_fixture_destroy(&fx);
}

static void
s_test_missing_command(void)
{
    s_fixture_t *fx = s_fixture_new();
    const char *argv[] = {"/nonexistent/zswarm-command"};
    zs_exec_set_argv(fx->exec, argv, 1);
    s_exec(fx, "t-missing", NULL, 0);
    s_run(fx, 1);
    ZS_CHECK(fx->count == 1);
    ZS_CHECK_STR(fx->results[0].status, "fail");
    ZS_CHECK(fx->results[0].exit == 127);
    s_fixture_destroy(&fx);
}

static void
s_test_no_command(void)
{
    s_fixture_t *fx = s_fixture_new();
    s_exec(fx, "t-none", NULL, 0);
    ZS_CHECK(fx->count == 1);  //  reported at once, without a started
    ZS_CHECK(fx->started == 0);
    ZS_CHECK_STR(fx->results[0].status, "fail");
    ZS_CHECK(strstr(fx->results[0].why, "no command") != NULL);
    s_fixture_destroy(&fx);
}

static void
s_test_many_concurrent(void)
{
    s_fixture_t *fx = s_fixture_new();
    s_set_argv(fx, "cat; echo done >&2");
    char tasks[S_MANY_TASKS][16];
    for (int i = 0; i < S_MANY_TASKS; i++) {
        snprintf(tasks[i], sizeof tasks[i], "t-%d", i);
        s_exec(fx, tasks[i], tasks[i], 0);
    }
    ZS_CHECK(zs_exec_running(fx->exec) == S_MANY_TASKS);
    s_run(fx, S_MANY_TASKS);
    ZS_CHECK(fx->count == S_MANY_TASKS);
    for (size_t i = 0; i < fx->count; i++) {
        ZS_CHECK_STR(fx->results[i].status, "ok");
        ZS_CHECK_STR(fx->results[i].out, fx->results[i].task);
        ZS_CHECK_STR(fx->results[i].err, "done\n");
    }
    ZS_CHECK(zs_exec_running(fx->exec) == 0);
    s_fixture_destroy(&fx);
}

static void
s_test_kill_all(void)
{
    s_fixture_t *fx = s_fixture_new();
    s_set_argv(fx, "sleep 100 & sleep 100");
    s_exec(fx, "t-a", NULL, 0);
    s_exec(fx, "t-b", NULL, 0);
    pid_t a = zs_exec_pid(fx->exec, "t-a", 1);
    pid_t b = zs_exec_pid(fx->exec, "t-b", 1);
    zs_exec_kill_all(fx->exec);
    ZS_CHECK(zs_exec_running(fx->exec) == 0);
    ZS_CHECK(fx->count == 0);  //  dropped unreported
    ZS_CHECK(s_group_gone(a));
    ZS_CHECK(s_group_gone(b));
    s_fixture_destroy(&fx);
}

//  ---- builtin cases -------------------------------------------------------------------

static void
s_test_builtin_at_once(void)
{
    s_fixture_t *fx = s_fixture_new();
    zs_msg_t echo = s_assign("b-echo", "echo", "ping", 0);
    zs_msg_t noop = s_assign("b-noop", "noop", NULL, 0);
    zs_msg_t fail = s_assign("b-fail", "fail", "bad\ninput", 0);
    zs_msg_t fail_bare = s_assign("b-fail2", "fail", NULL, 0);
    zs_msg_t unknown = s_assign("b-what", "frobnicate", NULL, 0);
    zs_builtin_start(fx->builtin, &echo);
    zs_builtin_start(fx->builtin, &noop);
    zs_builtin_start(fx->builtin, &fail);
    zs_builtin_start(fx->builtin, &fail_bare);
    zs_builtin_start(fx->builtin, &unknown);
    //  All finish inside start, with no started report (no task.ack)
    ZS_CHECK(fx->count == 5);
    ZS_CHECK(fx->started == 0);
    ZS_CHECK_STR(fx->results[0].status, "ok");
    ZS_CHECK_STR(fx->results[0].out, "ping");
    ZS_CHECK_STR(fx->results[1].status, "ok");
    ZS_CHECK(fx->results[1].out_size == 0);
    ZS_CHECK_STR(fx->results[2].status, "fail");
    ZS_CHECK_STR(fx->results[2].why, "bad\\x0ainput");
    ZS_CHECK_STR(fx->results[3].why, "failed on request");
    ZS_CHECK_STR(fx->results[4].status, "fail");
    ZS_CHECK_STR(fx->results[4].why, "no builtin named 'frobnicate'");
    ZS_CHECK(zs_builtin_running(fx->builtin) == 0);
    s_fixture_destroy(&fx);
}

static void
s_test_builtin_echo_truncated(void)
{
    s_fixture_t *fx = s_fixture_new();
    char *payload = zs_malloc(S_BIG_PAYLOAD + 1);
    memset(payload, 'e', S_BIG_PAYLOAD);
    payload[S_BIG_PAYLOAD] = '\0';
    zs_msg_t echo = s_assign("b-big", "echo", payload, 0);
    zs_builtin_start(fx->builtin, &echo);
    free(payload);
    ZS_CHECK(fx->count == 1);
    ZS_CHECK(fx->results[0].out_size == ZS_MSG_OUTPUT_MAX);
    ZS_CHECK_STR(fx->results[0].why, "stdout truncated to 65536 bytes");
    s_fixture_destroy(&fx);
}

static void
s_test_builtin_sleep(void)
{
    s_fixture_t *fx = s_fixture_new();
    zs_msg_t nap = s_assign("b-nap", "sleep", "30", 0);
    zs_msg_t zero = s_assign("b-zero", "sleep", "0", 0);
    zs_msg_t bad = s_assign("b-bad", "sleep", "soon", 0);
    zs_msg_t huge = s_assign("b-huge", "sleep", "86400001", 0);
    int64_t began = zclock_mono();
    zs_builtin_start(fx->builtin, &nap);
    zs_builtin_start(fx->builtin, &zero);
    zs_builtin_start(fx->builtin, &bad);
    zs_builtin_start(fx->builtin, &huge);
    ZS_CHECK(fx->count == 2);  //  the bad ones, at once
    ZS_CHECK(strstr(fx->results[0].why, "not 'soon'") != NULL);
    ZS_CHECK_STR(fx->results[1].status, "fail");
    ZS_CHECK(fx->started == 2);
    ZS_CHECK(zs_builtin_running(fx->builtin) == 2);
    s_run(fx, 4);
    ZS_CHECK(fx->count == 4);
    ZS_CHECK_STR(fx->results[2].task, "b-zero");
    ZS_CHECK_STR(fx->results[3].task, "b-nap");
    ZS_CHECK_STR(fx->results[3].status, "ok");
    ZS_CHECK(zclock_mono() - began >= 30);
    ZS_CHECK(zs_builtin_running(fx->builtin) == 0);
    s_fixture_destroy(&fx);
}

static int
s_on_cancel_builtin(zloop_t *loop, int timer_id, void *arg)
{
    s_fixture_t *fx = arg;
    int rc = zs_builtin_cancel(fx->builtin, fx->cancel_task, 1);
    assert(rc == 0);
    (void) rc;
    return 0;
}

static void
s_test_builtin_cancel(void)
{
    s_fixture_t *fx = s_fixture_new();
    zs_msg_t nap = s_assign("b-long", "sleep", "60000", 0);
    zs_builtin_start(fx->builtin, &nap);
    fx->cancel_task = "b-long";
    zloop_timer(fx->loop, 20, 1, s_on_cancel_builtin, fx);
    s_run(fx, 1);
    ZS_CHECK(fx->count == 1);
    ZS_CHECK_STR(fx->results[0].status, "cancelled");
    ZS_CHECK(zs_builtin_cancel(fx->builtin, "b-long", 1) == ZS_HANDLER_E_NO_JOB);
    s_fixture_destroy(&fx);
}

static const zs_test_case_t s_cases[] = {
    {"cat_round_trip", s_test_cat_round_trip},
    {"exit_status_fails", s_test_exit_status_fails},
    {"signal_fails", s_test_signal_fails},
    {"stderr_captured", s_test_stderr_captured},
    {"output_truncated", s_test_output_truncated},
    {"big_payload", s_test_big_payload},
    {"stdin_unread", s_test_stdin_unread},
    {"timeout_kills_group", s_test_timeout_kills_group},
    {"cancel_kills_group", s_test_cancel_kills_group},
    {"grace_after_exit", s_test_grace_after_exit},
    {"missing_command", s_test_missing_command},
    {"no_command", s_test_no_command},
    {"many_concurrent", s_test_many_concurrent},
    {"kill_all", s_test_kill_all},
    {"builtin_at_once", s_test_builtin_at_once},
    {"builtin_echo_truncated", s_test_builtin_echo_truncated},
    {"builtin_sleep", s_test_builtin_sleep},
    {"builtin_cancel", s_test_builtin_cancel},
};

ZS_TEST_MAIN(s_cases)
