//  zs_builtin - see zs_builtin.h

#include "agent/zs_builtin.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define ZS_BUILTIN_MS_TEXT_MAX 16  //  longest sleep payload worth parsing, bytes
#define ZS_BUILTIN_SAMPLE_MAX  96  //  sanitised sample of bad input in a why

//  One sleeping attempt
typedef struct {
    char task[ZS_MSG_NAME_MAX + 1];  //  task id
    uint64_t att;                    //  attempt number
    int timer;                       //  zloop timer id; -1 once it fired
    const char *status;              //  result when the timer fires: ok, or timeout
    void *handle;                    //  its node in the handler's list
} s_sleep_t;

struct _zs_builtin_t {
    zloop_t *loop;           //  borrowed: runs the sleep timers
    zs_handler_sink_t sink;  //  where jobs are reported
    zlistx_t *sleeps;        //  s_sleep_t, owned (freed by this module)
};

//  A task.result being built on the stack, with room for its why
typedef struct {
    zs_msg_t msg;               //  the task.result; points into the assign and why
    char why[ZS_MSG_TEXT_MAX];  //  storage for msg.why when it is formatted
} s_result_t;

//  A builtin fills result and returns true when it finished, or false when it goes
//  on in the background and reports later.
typedef bool(s_builtin_fn)(zs_builtin_t *self,
                           const zs_msg_t *assign,
                           s_result_t *result);

//  Mark result failed; its why is the text already formatted into result->why
static void
s_fail(s_result_t *result)
{
    result->msg.status = "fail";
    result->msg.why = result->why;
}

static bool
s_noop(zs_builtin_t *self, const zs_msg_t *assign, s_result_t *result)
{
    return true;
}

static bool
s_echo(zs_builtin_t *self, const zs_msg_t *assign, s_result_t *result)
{
    size_t size = assign->payload_size;
    //  A payload may be bigger than a result's stdout may be
    if (size > ZS_MSG_OUTPUT_MAX) {
        size = ZS_MSG_OUTPUT_MAX;
        snprintf(result->why, sizeof result->why, "stdout truncated to %u bytes",
                 ZS_MSG_OUTPUT_MAX);
        result->msg.why = result->why;
    }
    result->msg.out = assign->payload;
    result->msg.out_size = size;
    return true;
}

static bool
s_fail_on_request(zs_builtin_t *self, const zs_msg_t *assign, s_result_t *result)
{
    if (assign->payload_size == 0) {
        result->msg.status = "fail";
        result->msg.why = "failed on request";
        return true;
    }
    //  The payload is bytes from a client; why must be printable text
    zs_sanitize(result->why, sizeof result->why, assign->payload, assign->payload_size);
    s_fail(result);
    return true;
}

static s_sleep_t *
s_sleep_by_attempt(zs_builtin_t *self, const char *task, uint64_t att)
{
    s_sleep_t *job = zlistx_first(self->sleeps);
    while (job && !(job->att == att && streq(job->task, task))) {
        job = zlistx_next(self->sleeps);
    }
    return job;
}

static s_sleep_t *
s_sleep_by_timer(zs_builtin_t *self, int timer)
{
    s_sleep_t *job = zlistx_first(self->sleeps);
    while (job && job->timer != timer) {
        job = zlistx_next(self->sleeps);
    }
    return job;
}

//  Report a sleep as ended and free it
static void
s_sleep_finish(zs_builtin_t *self, s_sleep_t *job, const char *status)
{
    zlistx_delete(self->sleeps, job->handle);
    zs_msg_t result;
    zs_msg_init(&result, ZS_MSG_TASK_RESULT);
    result.task = job->task;
    result.att = job->att;
    result.status = status;
    self->sink.finished(self->sink.owner, &result);
    free(job);
}

static int
s_on_wake(zloop_t *loop, int timer_id, void *arg)
{
    zs_builtin_t *self = arg;
    //  Looked up by id: a timer cancelled earlier in this loop round finds nothing
    s_sleep_t *job = s_sleep_by_timer(self, timer_id);
    if (job) {
        job->timer = -1;  //  a one-shot timer: zloop removes it after this call
        s_sleep_finish(self, job, job->status);
    }
    return 0;
}

static int
s_sleep_parse(const zs_msg_t *assign, int64_t *ms)
{
    char text[ZS_BUILTIN_MS_TEXT_MAX + 1];
    if (assign->payload_size == 0 || assign->payload_size > ZS_BUILTIN_MS_TEXT_MAX) {
        return -1;
    }
    memcpy(text, assign->payload, assign->payload_size);
    text[assign->payload_size] = '\0';
    if (strlen(text) != assign->payload_size) {
        return -1;  //  a NUL inside the payload
    }
    return zs_parse_int(text, 0, ZS_BUILTIN_SLEEP_MAX, ms);
}

static bool
s_sleep(zs_builtin_t *self, const zs_msg_t *assign, s_result_t *result)
{
    int64_t ms = 0;
    if (s_sleep_parse(assign, &ms) != 0) {
        char sample[ZS_BUILTIN_SAMPLE_MAX];
        zs_sanitize(sample, sizeof sample, assign->payload, assign->payload_size);
        snprintf(result->why, sizeof result->why,
                 "sleep needs milliseconds 0..%d as decimal text, not '%s'",
                 ZS_BUILTIN_SLEEP_MAX, sample);
        s_fail(result);
        return true;
    }
    s_sleep_t *job = zs_calloc(1, sizeof *job);
    snprintf(job->task, sizeof job->task, "%s", assign->task);
    job->att = assign->att;
    //  The attempt's timeout applies to builtins too: a longer sleep ends at tmo
    bool too_long = assign->tmo > 0 && (uint64_t) ms > assign->tmo;
    job->status = too_long ? "timeout" : "ok";
    ms = too_long ? (int64_t) assign->tmo : ms;
    job->timer = zloop_timer(self->loop, (size_t) ms, 1, s_on_wake, self);
    if (job->timer == -1) {
        free(job);
        result->msg.status = "fail";
        result->msg.why = "cannot start a timer";
        return true;
    }
    job->handle = zlistx_add_end(self->sleeps, job);
    self->sink.started(self->sink.owner, job->task, job->att);
    return false;
}

static const struct {
    const char *name;  //  task type that selects the builtin
    s_builtin_fn *fn;  //  runs it
} s_builtins[] = {
    {"noop", s_noop},
    {"echo", s_echo},
    {"fail", s_fail_on_request},
    {"sleep", s_sleep},
};

static s_builtin_fn *
s_builtin_find(const char *name)
{
    for (size_t i = 0; i < sizeof s_builtins / sizeof s_builtins[0]; i++) {
        if (streq(s_builtins[i].name, name)) {
            return s_builtins[i].fn;
        }
    }
    return NULL;
}

zs_builtin_t *
zs_builtin_new(zloop_t *loop, const zs_handler_sink_t *sink)
{
    assert(loop);
    assert(sink);
    zs_builtin_t *self = zs_calloc(1, sizeof *self);
    self->loop = loop;
    self->sink = *sink;
    self->sleeps = zlistx_new();  //  czmq aborts on OOM: never NULL
    return self;
}

void
zs_builtin_destroy(zs_builtin_t **self_p)
{
    assert(self_p);
    zs_builtin_t *self = *self_p;
    if (self) {
        zs_builtin_kill_all(self);
        zlistx_destroy(&self->sleeps);
        free(self);
        *self_p = NULL;
    }
}

void
zs_builtin_start(zs_builtin_t *self, const zs_msg_t *assign)
{
    assert(self);
    assert(assign);
    s_result_t result;
    zs_msg_init(&result.msg, ZS_MSG_TASK_RESULT);
    result.msg.task = assign->task;
    result.msg.att = assign->att;
    result.msg.status = "ok";
    s_builtin_fn *fn = s_builtin_find(assign->ttype);
    bool done = true;
    if (fn) {
        done = fn(self, assign, &result);
    } else {
        char sample[ZS_BUILTIN_SAMPLE_MAX];
        zs_sanitize(sample, sizeof sample, assign->ttype, strlen(assign->ttype));
        snprintf(result.why, sizeof result.why, "no builtin named '%s'", sample);
        s_fail(&result);
    }
    if (done) {
        self->sink.finished(self->sink.owner, &result.msg);
    }
}

int
zs_builtin_cancel(zs_builtin_t *self, const char *task, uint64_t att)
{
    assert(self);
    assert(task);
    s_sleep_t *job = s_sleep_by_attempt(self, task, att);
    if (!job) {
        return ZS_HANDLER_E_NO_JOB;
    }
    zloop_timer_end(self->loop, job->timer);
    s_sleep_finish(self, job, "cancelled");
    return 0;
}

size_t
zs_builtin_running(zs_builtin_t *self)
{
    assert(self);
    return zlistx_size(self->sleeps);
}

void
zs_builtin_kill_all(zs_builtin_t *self)
{
    assert(self);
    s_sleep_t *job = zlistx_first(self->sleeps);
    while (job) {
        zloop_timer_end(self->loop, job->timer);
        free(job);
        job = zlistx_next(self->sleeps);
    }
    zlistx_purge(self->sleeps);
}

//  ---- the handler table's view --------------------------------------------------------

static void *
s_ops_new(zloop_t *loop, const zs_handler_sink_t *sink)
{
    return zs_builtin_new(loop, sink);
}

static void
s_ops_destroy(void **self_p)
{
    zs_builtin_t *self = *self_p;
    zs_builtin_destroy(&self);
    *self_p = NULL;
}

static void
s_ops_start(void *self, const zs_msg_t *assign)
{
    zs_builtin_start(self, assign);
}

static int
s_ops_cancel(void *self, const char *task, uint64_t att)
{
    return zs_builtin_cancel(self, task, att);
}

static size_t
s_ops_running(void *self)
{
    return zs_builtin_running(self);
}

static void
s_ops_kill_all(void *self)
{
    zs_builtin_kill_all(self);
}

const zs_handler_ops_t zs_builtin_ops = {
    .name = "builtin",
    .instance_new = s_ops_new,
    .instance_destroy = s_ops_destroy,
    .configure = NULL,
    .start = s_ops_start,
    .cancel = s_ops_cancel,
    .running = s_ops_running,
    .reaped = NULL,
    .kill_all = s_ops_kill_all,
    .recv = NULL,
};
