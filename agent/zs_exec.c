//  zs_exec - see zs_exec.h

#include "agent/zs_exec.h"
#include "agent/zs_chan.h"
#include "agent/zs_taskfiles.h"
#include "common/zs_proc.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ZS_EXEC_BUF_MIN    4096            //  first allocation of an output buffer
#define ZS_EXEC_SCRATCH    16384           //  read size once output is over its bound
#define ZS_EXEC_READS_MAX  16              //  reads per pipe per callback: none starves
#define ZS_EXEC_WRITES_MAX 16              //  writes to stdin per callback, likewise
#define ZS_EXEC_TMO_MAX    ZS_MSG_TMO_MAX  //  the protocol's bound on tmo, ms

//  Why a job is ending, beyond its own exit
typedef enum {
    S_FATE_RUN,        //  nobody stopped it: its exit code decides
    S_FATE_TIMEOUT,    //  tmo passed and the group was killed
    S_FATE_CANCELLED,  //  cancelled and the group was killed
} s_fate_t;

//  Result status by fate; a job that ran to its end is ok only when it exited 0
static const char *const s_fate_status[] = {
    [S_FATE_RUN] = "fail",
    [S_FATE_TIMEOUT] = "timeout",
    [S_FATE_CANCELLED] = "cancelled",
};

//  What one output pipe produced, bounded by ZS_MSG_OUTPUT_MAX
typedef struct {
    uint8_t *data;    //  owned; NULL until the first byte
    size_t size;      //  bytes kept
    size_t capacity;  //  bytes allocated
    bool truncated;   //  bytes beyond the bound were read and dropped
} s_output_t;

//  One running attempt
typedef struct {
    char task[ZS_MSG_NAME_MAX + 1];  //  task id
    uint64_t att;                    //  attempt number
    uint64_t tmo;                    //  timeout, ms; 0 for none
    zs_proc_t proc;                  //  leader pid (= pgid) and our pipe ends, -1 closed
    uint8_t *input;                  //  owned copy of the payload; NULL once written
    size_t input_size;               //  its length
    size_t input_sent;               //  bytes written to stdin so far
    s_output_t out;                  //  captured stdout
    s_output_t err;                  //  captured stderr
    s_fate_t fate;                   //  whether we stopped it, and why
    bool reaped;                     //  the leader was reaped and status is set
    int status;                      //  the leader's waitpid status
    bool grace_expired;              //  pipes still open ZS_EXEC_GRACE_MS after exit
    int timer;                       //  its one zloop timer (tmo, then grace), or -1
    zs_taskfiles_t files;            //  its inputs and checkpoint as files, owned
    void *handle;                    //  its node in the handler's list
} s_job_t;

struct _zs_exec_t {
    zloop_t *loop;           //  borrowed: polls the pipes, runs the timers
    zs_handler_sink_t sink;  //  where jobs are reported
    char **argv;             //  owned, NULL-terminated command; NULL when none is set
    zlistx_t *jobs;          //  s_job_t, owned (freed by this module)
    zs_chan_t *chan;         //  owned: each job's channel to us
    char agent[ZS_MSG_NAME_MAX + 1];  //  our agent id, for the jobs' environment
    zs_ratelimit_t limit;             //  for logs that each assign can trigger
};

//  ---- finding jobs --------------------------------------------------------------------
//  zloop callbacks carry the handler, never a job, and find the job by key: a callback
//  zloop still delivers in the round its job ended finds nothing (or, for a reused fd, a
//  non-blocking pipe that is merely not ready), so no freed job is ever touched.

static s_job_t *
s_job_by_attempt(zs_exec_t *self, const char *task, uint64_t att)
{
    s_job_t *job = zlistx_first(self->jobs);
    while (job && !(job->att == att && streq(job->task, task))) {
        job = zlistx_next(self->jobs);
    }
    return job;
}

static s_job_t *
s_job_by_pid(zs_exec_t *self, pid_t pid)
{
    s_job_t *job = zlistx_first(self->jobs);
    while (job && job->proc.pid != pid) {
        job = zlistx_next(self->jobs);
    }
    return job;
}

static s_job_t *
s_job_by_fd(zs_exec_t *self, int fd)
{
    s_job_t *job = zlistx_first(self->jobs);
    while (job && job->proc.stdin_fd != fd && job->proc.stdout_fd != fd &&
           job->proc.stderr_fd != fd) {
        job = zlistx_next(self->jobs);
    }
    return job;
}

static s_job_t *
s_job_by_timer(zs_exec_t *self, int timer)
{
    s_job_t *job = zlistx_first(self->jobs);
    while (job && job->timer != timer) {
        job = zlistx_next(self->jobs);
    }
    return job;
}

//  ---- pipes and timers ----------------------------------------------------------------

static void
s_poll(zs_exec_t *self, int fd, short events, zloop_fn *handler)
{
    zmq_pollitem_t item = {NULL, fd, events, 0};
    //  Fails only on OOM, where czmq aborts, or for a bad socket, and this is an fd
    zloop_poller(self->loop, &item, handler, self);
    //  A pipe's hangup arrives as ZMQ_POLLERR: the handler sees it as EOF or EPIPE
    zloop_poller_set_tolerant(self->loop, &item);
}

//  Stop polling fd and close it; the poller goes first so a reused fd number is never
//  watched on behalf of this pipe
static void
s_pipe_close(zs_exec_t *self, int *fd)
{
    if (*fd >= 0) {
        zmq_pollitem_t item = {NULL, *fd, 0, 0};
        zloop_poller_end(self->loop, &item);
        close(*fd);
        *fd = -1;
    }
}

static void
s_timer_stop(zs_exec_t *self, s_job_t *job)
{
    if (job->timer != -1) {
        zloop_timer_end(self->loop, job->timer);
        job->timer = -1;
    }
}

static void
s_timer_start(zs_exec_t *self, s_job_t *job, uint64_t delay, zloop_timer_fn *handler)
{
    s_timer_stop(self, job);
    //  Fails only on OOM, where czmq aborts
    job->timer = zloop_timer(self->loop, (size_t) delay, 1, handler, self);
}

static void
s_output_reserve(s_output_t *output)
{
    if (output->size == output->capacity) {
        size_t capacity = output->capacity ? output->capacity * 2 : ZS_EXEC_BUF_MIN;
        output->capacity = capacity < ZS_MSG_OUTPUT_MAX ? capacity : ZS_MSG_OUTPUT_MAX;
        output->data = zs_realloc(output->data, output->capacity);
    }
}

//  Read what fd has now into output, dropping bytes beyond the bound. Returns true at
//  EOF or on an error that ends the pipe, false when it should be polled again.
static bool
s_output_read(s_output_t *output, int fd)
{
    for (int i = 0; i < ZS_EXEC_READS_MAX; i++) {
        ssize_t got;
        if (output->size < ZS_MSG_OUTPUT_MAX) {
            s_output_reserve(output);
            got = read(fd, output->data + output->size, output->capacity - output->size);
            output->size += got > 0 ? (size_t) got : 0;
        } else {
            uint8_t scratch[ZS_EXEC_SCRATCH];
            got = read(fd, scratch, sizeof scratch);
            output->truncated |= got > 0;
        }
        if (got == 0) {
            return true;
        }
        if (got < 0) {
            return errno != EAGAIN && errno != EINTR;
        }
    }
    return false;
}

//  Write what stdin takes now. Returns true when the payload is written or the child
//  closed its stdin (EPIPE: it need not read it), false when it should be polled again.
static bool
s_input_write(s_job_t *job)
{
    for (int i = 0; i < ZS_EXEC_WRITES_MAX && job->input_sent < job->input_size; i++) {
        ssize_t put = write(job->proc.stdin_fd, job->input + job->input_sent,
                            job->input_size - job->input_sent);
        if (put < 0) {
            return errno != EAGAIN && errno != EINTR;
        }
        job->input_sent += (size_t) put;
    }
    return job->input_sent == job->input_size;
}

static void
s_input_close(zs_exec_t *self, s_job_t *job)
{
    s_pipe_close(self, &job->proc.stdin_fd);
    free(job->input);
    job->input = NULL;
}

//  ---- ending a job --------------------------------------------------------------------

//  Append "; "-separated text to why
__attribute__((format(printf, 4, 5))) static void
s_why_add(char *why, size_t size, size_t *at, const char *format, ...)
{
    if (*at > 0 && *at + 2 < size) {
        memcpy(why + *at, "; ", 3);
        *at += 2;
    }
    if (*at + 1 < size) {
        va_list args;
        va_start(args, format);
        int len = vsnprintf(why + *at, size - *at, format, args);
        va_end(args);
        *at += len > 0 ? (size_t) len : 0;
        *at = *at < size ? *at : size - 1;
    }
}

static void
s_why_format(const s_job_t *job, int code, char *why, size_t size)
{
    size_t at = 0;
    why[0] = '\0';
    if (job->fate == S_FATE_TIMEOUT) {
        s_why_add(why, size, &at, "timed out after %" PRIu64 " ms", job->tmo);
    } else if (job->fate == S_FATE_RUN && code > 0) {
        s_why_add(why, size, &at, "exited with status %d", code);
    } else if (job->fate == S_FATE_RUN && code < 0) {
        s_why_add(why, size, &at, "killed by signal %d", -code);
    }
    if (job->grace_expired) {
        s_why_add(why, size, &at, "output still open %d ms after exit, group killed",
                  ZS_EXEC_GRACE_MS);
    }
    if (job->out.truncated) {
        s_why_add(why, size, &at, "stdout truncated to %u bytes", ZS_MSG_OUTPUT_MAX);
    }
    if (job->err.truncated) {
        s_why_add(why, size, &at, "stderr truncated to %u bytes", ZS_MSG_OUTPUT_MAX);
    }
}

static void
s_job_report(zs_exec_t *self, const s_job_t *job)
{
    char why[ZS_MSG_TEXT_MAX];
    int code = zs_proc_exit_code(job->status);
    s_why_format(job, code, why, sizeof why);
    zs_msg_t result;
    zs_msg_init(&result, ZS_MSG_TASK_RESULT);
    result.task = job->task;
    result.att = job->att;
    result.status =
        job->fate == S_FATE_RUN && code == 0 ? "ok" : s_fate_status[job->fate];
    result.exit = code;
    //  A pipe that gave nothing is left out of the message rather than sent empty
    result.out = job->out.size ? job->out.data : NULL;
    result.out_size = job->out.size;
    result.err = job->err.size ? job->err.data : NULL;
    result.err_size = job->err.size;
    result.why = why[0] ? why : NULL;
    self->sink.finished(self->sink.owner, &result);
}

//  Release what the job holds in the loop and the kernel, then free it
static void
s_job_free(zs_exec_t *self, s_job_t *job)
{
    zs_chan_close(self->chan, job->task, job->att);
    zs_taskfiles_remove(&job->files);
    s_timer_stop(self, job);
    s_input_close(self, job);
    s_pipe_close(self, &job->proc.stdout_fd);
    s_pipe_close(self, &job->proc.stderr_fd);
    free(job->out.data);
    free(job->err.data);
    free(job);
}

static void
s_job_finish(zs_exec_t *self, s_job_t *job)
{
    //  Stragglers that closed their pipes must not outlive the job. The group id
    //  stays reserved while any member lives, so this reaches only the job's own
    //  processes (unless the group emptied and the id was reused since: unlikely)
    killpg(job->proc.pid, SIGKILL);
    //  Closed before the result leaves: nothing the task asks from now on is served,
    //  and its files are gone by the time anyone learns it ended
    zs_chan_close(self->chan, job->task, job->att);
    zs_taskfiles_remove(&job->files);
    zlistx_delete(self->jobs, job->handle);
    s_job_report(self, job);
    s_job_free(self, job);
}

//  A job ends once its leader was reaped and both output pipes reached EOF
static void
s_job_check(zs_exec_t *self, s_job_t *job)
{
    if (job->reaped && job->proc.stdout_fd < 0 && job->proc.stderr_fd < 0) {
        s_job_finish(self, job);
    }
}

//  ---- loop callbacks ------------------------------------------------------------------

static int
s_on_output(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    zs_exec_t *self = arg;
    s_job_t *job = s_job_by_fd(self, item->fd);
    if (!job || item->fd == job->proc.stdin_fd) {
        return 0;  //  stale: the fd was closed, maybe reused, earlier this round
    }
    bool is_out = item->fd == job->proc.stdout_fd;
    if (s_output_read(is_out ? &job->out : &job->err, item->fd)) {
        s_pipe_close(self, is_out ? &job->proc.stdout_fd : &job->proc.stderr_fd);
        s_job_check(self, job);
    }
    return 0;
}

static int
s_on_input(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    zs_exec_t *self = arg;
    s_job_t *job = s_job_by_fd(self, item->fd);
    if (job && item->fd == job->proc.stdin_fd && s_input_write(job)) {
        s_input_close(self, job);
    }
    return 0;
}

static int
s_on_timeout(zloop_t *loop, int timer_id, void *arg)
{
    zs_exec_t *self = arg;
    s_job_t *job = s_job_by_timer(self, timer_id);
    if (job) {
        job->timer = -1;  //  one-shot: zloop drops it after this call
        job->fate = job->fate == S_FATE_RUN ? S_FATE_TIMEOUT : job->fate;
        //  The leader is not reaped yet (that would have replaced this timer), so the
        //  group id is still the job's; the job ends when SIGCHLD and EOFs come in
        killpg(job->proc.pid, SIGKILL);
    }
    return 0;
}

static int
s_on_grace(zloop_t *loop, int timer_id, void *arg)
{
    zs_exec_t *self = arg;
    s_job_t *job = s_job_by_timer(self, timer_id);
    if (job) {
        job->timer = -1;
        job->grace_expired = true;
        //  Keep what the stragglers wrote so far, then stop waiting for them
        if (job->proc.stdout_fd >= 0) {
            s_output_read(&job->out, job->proc.stdout_fd);
        }
        if (job->proc.stderr_fd >= 0) {
            s_output_read(&job->err, job->proc.stderr_fd);
        }
        s_job_finish(self, job);
    }
    return 0;
}

//  ---- starting a job ------------------------------------------------------------------

static void
s_report_failure(zs_exec_t *self, const zs_msg_t *assign, const char *why)
{
    zs_msg_t result;
    zs_msg_init(&result, ZS_MSG_TASK_RESULT);
    result.task = assign->task;
    result.att = assign->att;
    result.status = "fail";
    result.why = why;
    self->sink.finished(self->sink.owner, &result);
}

//  Feed the payload (most fit in the empty pipe at once) and watch the pipes and tmo
static void
s_job_watch(zs_exec_t *self, s_job_t *job, const zs_msg_t *assign)
{
    if (assign->payload_size > 0) {
        job->input = zs_malloc(assign->payload_size);
        memcpy(job->input, assign->payload, assign->payload_size);
        job->input_size = assign->payload_size;
    }
    if (s_input_write(job)) {
        s_input_close(self, job);
    } else {
        s_poll(self, job->proc.stdin_fd, ZMQ_POLLOUT, s_on_input);
    }
    s_poll(self, job->proc.stdout_fd, ZMQ_POLLIN, s_on_output);
    s_poll(self, job->proc.stderr_fd, ZMQ_POLLIN, s_on_output);
    if (job->tmo > 0) {
        s_timer_start(self, job, job->tmo, s_on_timeout);
    }
}

zs_exec_t *
zs_exec_new(zloop_t *loop, const zs_handler_sink_t *sink)
{
    assert(loop);
    assert(sink);
    zs_exec_t *self = zs_calloc(1, sizeof *self);
    self->loop = loop;
    self->sink = *sink;
    self->jobs = zlistx_new();  //  czmq aborts on OOM: never NULL
    self->chan = zs_chan_new(loop, sink);
    return self;
}

static void
s_argv_free(zs_exec_t *self)
{
    for (size_t i = 0; self->argv && self->argv[i]; i++) {
        free(self->argv[i]);
    }
    free(self->argv);
    self->argv = NULL;
}

void
zs_exec_destroy(zs_exec_t **self_p)
{
    assert(self_p);
    zs_exec_t *self = *self_p;
    if (self) {
        zs_exec_kill_all(self);
        zlistx_destroy(&self->jobs);
        zs_chan_destroy(&self->chan);
        s_argv_free(self);
        free(self);
        *self_p = NULL;
    }
}

void
zs_exec_set_argv(zs_exec_t *self, const char *const *argv, size_t argc)
{
    assert(self);
    assert(argv || argc == 0);
    s_argv_free(self);
    if (argc > 0) {
        self->argv = zs_calloc(argc + 1, sizeof *self->argv);
        for (size_t i = 0; i < argc; i++) {
            self->argv[i] = zs_strdup(argv[i]);
        }
    }
}

#define S_ENV_OWN 5                                  //  variables every job gets
#define S_ENV_MAX (S_ENV_OWN + ZS_TASKFILES_ENV_MAX)  //  and with its files

//  Spawn the job's process with its channel's end, its files (written before) and the
//  variables that name them
static int
s_spawn(zs_exec_t *self,
        const zs_msg_t *assign,
        const zs_taskfiles_t *files,
        zs_proc_t *proc)
{
    int fd = zs_chan_open(self->chan, assign->task, assign->att);
    if (fd < 0) {
        return -1;
    }
    char vars[S_ENV_OWN][ZS_MSG_NAME_MAX + 32];
    snprintf(vars[0], sizeof vars[0], "ZSWARM_TASK_FD=%d", ZS_PROC_PASS_FD);
    snprintf(vars[1], sizeof vars[1], "ZSWARM_TASK=%s", assign->task);
    snprintf(vars[2], sizeof vars[2], "ZSWARM_ATTEMPT=%" PRIu64, assign->att);
    snprintf(vars[3], sizeof vars[3], "ZSWARM_AGENT=%s", self->agent);
    snprintf(vars[4], sizeof vars[4], "ZSWARM_TYPE=%s", assign->ttype);
    char *entries[S_ENV_MAX] = {vars[0], vars[1], vars[2], vars[3], vars[4]};
    size_t count = S_ENV_OWN;
    for (size_t i = 0; i < files->env_count; i++) {
        entries[count++] = files->env[i];
    }
    char **env = zs_proc_env_with_all(entries, count);
    int rc =
        zs_proc_spawn_passing(self->argv, env, ZS_PROC_PIPES | ZS_PROC_GROUP, fd, proc);
    int saved = errno;
    free(env);
    close(fd);
    if (rc != 0) {
        zs_chan_close(self->chan, assign->task, assign->att);
    }
    errno = saved;
    return rc;
}

static void
s_spawn_failed(zs_exec_t *self, const zs_msg_t *assign, const char *why)
{
    uint64_t suppressed = 0;
    if (zs_ratelimit_allow(&self->limit, &suppressed)) {
        zsys_warning("%s (%" PRIu64 " similar suppressed)", why, suppressed);
    }
    s_report_failure(self, assign, why);
}

void
zs_exec_start(zs_exec_t *self, const zs_msg_t *assign)
{
    assert(self);
    assert(assign);
    if (!self->argv) {
        s_report_failure(self, assign,
                         "exec handler has no command (welcome sent no argv)");
        return;
    }
    zs_taskfiles_t files = {0};
    zs_error_t err;
    if (zs_taskfiles_write(&files, assign, &err) != 0) {
        s_spawn_failed(self, assign, err.text);
        return;
    }
    zs_proc_t proc;
    if (s_spawn(self, assign, &files, &proc) != 0) {
        char why[ZS_MSG_TEXT_MAX];
        snprintf(why, sizeof why, "cannot run '%.200s': %s", self->argv[0],
                 strerror(errno));
        zs_taskfiles_remove(&files);
        s_spawn_failed(self, assign, why);
        return;
    }
    s_job_t *job = zs_calloc(1, sizeof *job);
    job->files = files;
    snprintf(job->task, sizeof job->task, "%s", assign->task);
    job->att = assign->att;
    job->tmo = assign->tmo < ZS_EXEC_TMO_MAX ? assign->tmo : ZS_EXEC_TMO_MAX;
    job->proc = proc;
    job->timer = -1;
    job->handle = zlistx_add_end(self->jobs, job);
    s_job_watch(self, job, assign);
    self->sink.started(self->sink.owner, job->task, job->att);
}

int
zs_exec_cancel(zs_exec_t *self, const char *task, uint64_t att)
{
    assert(self);
    assert(task);
    s_job_t *job = s_job_by_attempt(self, task, att);
    if (!job) {
        return ZS_HANDLER_E_NO_JOB;
    }
    job->fate = job->fate == S_FATE_RUN ? S_FATE_CANCELLED : job->fate;
    zs_chan_close(self->chan, task, att);
    if (!job->reaped) {
        s_timer_stop(self, job);  //  the tmo timer; after the reap it is the grace one
    }
    killpg(job->proc.pid, SIGKILL);
    return 0;
}

bool
zs_exec_reaped(zs_exec_t *self, pid_t pid, int status)
{
    assert(self);
    s_job_t *job = s_job_by_pid(self, pid);
    if (!job || job->reaped) {
        return false;
    }
    job->reaped = true;
    job->status = status;
    if (job->proc.stdout_fd >= 0 || job->proc.stderr_fd >= 0) {
        //  Something else in the group holds the pipes: give it a moment to finish
        s_timer_start(self, job, ZS_EXEC_GRACE_MS, s_on_grace);
    }
    s_job_check(self, job);
    return true;
}

size_t
zs_exec_running(zs_exec_t *self)
{
    assert(self);
    //  A job killed for a cancel or a timeout holds its slot only until it is reaped;
    //  the coordinator already counts that slot free and may send the next task
    size_t running = 0;
    for (s_job_t *job = zlistx_first(self->jobs); job; job = zlistx_next(self->jobs)) {
        //  A job waiting for its subtasks lends its slot to them
        running +=
            job->fate == S_FATE_RUN && !zs_chan_lending(self->chan, job->task, job->att);
    }
    return running;
}

pid_t
zs_exec_pid(zs_exec_t *self, const char *task, uint64_t att)
{
    assert(self);
    assert(task);
    s_job_t *job = s_job_by_attempt(self, task, att);
    return job ? job->proc.pid : -1;
}

void
zs_exec_kill_all(zs_exec_t *self)
{
    assert(self);
    s_job_t *job = zlistx_first(self->jobs);
    while (job) {
        killpg(job->proc.pid, SIGKILL);
        //  SIGKILL cannot be caught, so this wait is short; it keeps us zombie-free
        while (!job->reaped && waitpid(job->proc.pid, NULL, 0) < 0 && errno == EINTR) {
        }
        s_job_free(self, job);
        job = zlistx_next(self->jobs);
    }
    zlistx_purge(self->jobs);
}

//  ---- the handler table's view --------------------------------------------------------

static void *
s_ops_new(zloop_t *loop, const zs_handler_sink_t *sink)
{
    return zs_exec_new(loop, sink);
}

static void
s_ops_destroy(void **self_p)
{
    zs_exec_t *self = *self_p;
    zs_exec_destroy(&self);
    *self_p = NULL;
}

static void
s_ops_configure(void *self, const zs_msg_t *welcome)
{
    zs_exec_t *exec = self;
    zs_exec_set_argv(exec, welcome->argv.items, welcome->argv.count);
    snprintf(exec->agent, sizeof exec->agent, "%s", welcome->agent ? welcome->agent : "");
}

static void
s_ops_start(void *self, const zs_msg_t *assign)
{
    zs_exec_start(self, assign);
}

static int
s_ops_cancel(void *self, const char *task, uint64_t att)
{
    return zs_exec_cancel(self, task, att);
}

static size_t
s_ops_running(void *self)
{
    return zs_exec_running(self);
}

static bool
s_ops_reaped(void *self, pid_t pid, int status)
{
    return zs_exec_reaped(self, pid, status);
}

static void
s_ops_kill_all(void *self)
{
    zs_exec_kill_all(self);
}

static void
s_ops_recv(void *self, const zs_msg_t *msg)
{
    zs_exec_t *exec = self;
    zs_chan_recv(exec->chan, msg);
}

const zs_handler_ops_t zs_exec_ops = {
    .name = "exec",
    .instance_new = s_ops_new,
    .instance_destroy = s_ops_destroy,
    .configure = s_ops_configure,
    .start = s_ops_start,
    .cancel = s_ops_cancel,
    .running = s_ops_running,
    .reaped = s_ops_reaped,
    .kill_all = s_ops_kill_all,
    .recv = s_ops_recv,
};
