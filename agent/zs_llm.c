//  zs_llm - see zs_llm.h

#include "agent/zs_llm.h"
#include "agent/zs_call.h"
#include "agent/zs_handler.h"
#include "proto/zs_prompt.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ZS_LLM_WHY_PART_MAX 240  //  bytes of one provider's failure in a why
#define ZS_LLM_SEED         0x9e3779b97f4a7c15ull  //  jitter seed when the clock gives 0

//  What the coordinator last said of a provider
typedef struct {
    zs_provider_state_t state;  //  its state
    int64_t until;         //  zclock_mono when it stops holding, 0: until told
} s_state_t;

//  What a job waits for
typedef enum {
    S_FETCH,  //  the mem.get replies
    S_CALL,   //  a provider call
    S_WAIT,   //  a backoff before the next try
} s_step_t;

typedef struct {
    char task[ZS_MSG_NAME_MAX + 1];       //  task id
    uint64_t att;                         //  attempt
    uint64_t tmo;                         //  the attempt's timeout, ms; 0: none
    zs_llm_settings_t *conf;              //  a reference: the settings it started under
    uint8_t *payload;                     //  owned copy, NULL when empty
    size_t payload_size;                  //  its length
    s_step_t step;                        //  what it waits for
    uint64_t rid;                         //  mem.get rid of key 0; key i has rid + i
    uint8_t *values[ZS_PROMPT_KEYS_MAX];  //  owned: memory values, NULL until in
    size_t sizes[ZS_PROMPT_KEYS_MAX];     //  their lengths
    bool got[ZS_PROMPT_KEYS_MAX];         //  a reply came for the key
    size_t fetched;                       //  replies in
    char *prompt;                         //  owned, rendered
    uint64_t est_in;                      //  the prompt's estimated tokens
    size_t provider;                      //  index of the provider in use
    uint64_t tries;                       //  retries made on it
    bool held;                            //  this retry waited for a limited state
    char last[ZS_LLM_PROVIDERS_MAX][ZS_LLM_WHY_PART_MAX];  //  each one's last news
    zs_call_t *call;     //  owned: the call in flight or just ended
    uint64_t call_id;    //  its id while in flight, 0: none
    int64_t call_start;  //  zclock_mono when it started
    uint64_t tok_in;     //  the attempt's input tokens so far
    uint64_t tok_out;    //  its output tokens
    double usd;          //  its dollars
    bool final;           //  its failure would recur on a retry (task.result final)
    uint64_t tok_before;  //  tokens the task's earlier attempts spent (task.assign)
    double usd_before;    //  their dollars
    size_t sent;         //  bytes of the call's text sent as progress
    bool streamed;       //  text went out that a new call makes void
    int64_t sent_at;     //  zclock_mono of the last progress
    int timer;           //  fetch timeout or backoff, -1: none
    int deadline;        //  the attempt's tmo, -1: none
    int progress;        //  the next progress, -1: none
    void *handle;        //  its node in the handler's list
} s_job_t;

struct _zs_llm_t {
    zloop_t *loop;                 //  borrowed: runs the timers
    zs_llm_sink_t sink;            //  where jobs are reported
    zs_llm_transport_t transport;  //  how calls are made
    zs_llm_settings_t *conf;       //  a reference, NULL when not configured
    zs_error_t conf_error;         //  why not, for the tasks that fail for it
    zlistx_t *jobs;                //  s_job_t, owned
    zhashx_t *states;              //  provider name -> s_state_t, owned
    zhashx_t *warned;              //  key_env names logged as unset
    uint64_t rid_next;             //  the next mem.get rid
    uint64_t call_next;            //  the next call id
    uint64_t rng;                  //  xorshift state for the jitter, never 0
};

static void s_route(zs_llm_t *self, s_job_t *job);

//  ---- small helpers -------------------------------------------------------------------

//  Append "; "-separated text to why (size bytes), cut to fit
__attribute__((format(printf, 3, 4))) static void
s_why_add(char *why, size_t size, const char *format, ...)
{
    size_t at = strlen(why);
    if (at > 0 && at + 2 < size) {
        memcpy(why + at, "; ", 3);
        at += 2;
    }
    if (at + 1 < size) {
        va_list args;
        va_start(args, format);
        vsnprintf(why + at, size - at, format, args);
        va_end(args);
    }
    zs_utf8_trim(why);
}

//  Set the job's last news of its provider
__attribute__((format(printf, 2, 3))) static void
s_last_set(s_job_t *job, const char *format, ...)
{
    char *last = job->last[job->provider];
    va_list args;
    va_start(args, format);
    vsnprintf(last, ZS_LLM_WHY_PART_MAX, format, args);
    va_end(args);
    zs_utf8_trim(last);
}

//  The longest prefix of text within max bytes that does not cut a UTF-8 sequence
static size_t
s_utf8_cut(const char *text, size_t size, size_t max)
{
    if (size <= max) {
        return size;
    }
    while (max > 0 && ((unsigned char) text[max] & 0xC0) == 0x80) {
        max--;
    }
    return max;
}

static uint64_t
s_random(zs_llm_t *self)
{
    self->rng ^= self->rng << 13;
    self->rng ^= self->rng >> 7;
    self->rng ^= self->rng << 17;
    return self->rng;
}

static const zs_llm_provider_t *
s_provider(const s_job_t *job)
{
    return &job->conf->providers[job->provider];
}

//  ---- finding jobs --------------------------------------------------------------------

static s_job_t *
s_job_by_attempt(zs_llm_t *self, const char *task, uint64_t att)
{
    s_job_t *job = zlistx_first(self->jobs);
    while (job && !(job->att == att && streq(job->task, task))) {
        job = zlistx_next(self->jobs);
    }
    return job;
}

static s_job_t *
s_job_by_call(zs_llm_t *self, uint64_t call)
{
    s_job_t *job = zlistx_first(self->jobs);
    while (job && (call == 0 || job->call_id != call)) {
        job = zlistx_next(self->jobs);
    }
    return job;
}

static s_job_t *
s_job_by_rid(zs_llm_t *self, uint64_t rid)
{
    s_job_t *job = zlistx_first(self->jobs);
    while (job && !(job->step == S_FETCH && rid >= job->rid &&
                    rid - job->rid < zs_prompt_key_count(job->conf->prompt))) {
        job = zlistx_next(self->jobs);
    }
    return job;
}

static s_job_t *
s_job_by_timer(zs_llm_t *self, int timer)
{
    s_job_t *job = zlistx_first(self->jobs);
    while (job && job->timer != timer && job->deadline != timer &&
           job->progress != timer) {
        job = zlistx_next(self->jobs);
    }
    return job;
}

//  ---- timers --------------------------------------------------------------------------

static void
s_timer_stop(zs_llm_t *self, int *timer)
{
    if (*timer != -1) {
        zloop_timer_end(self->loop, *timer);
        *timer = -1;
    }
}

static void
s_timer_start(zs_llm_t *self, int *timer, uint64_t delay, zloop_timer_fn *handler)
{
    s_timer_stop(self, timer);
    //  Fails only on OOM, where czmq aborts
    *timer = zloop_timer(self->loop, (size_t) delay, 1, handler, self);
}

//  ---- progress ------------------------------------------------------------------------

//  Send up to one message of the call's text not sent yet
static void
s_progress_one(zs_llm_t *self, s_job_t *job)
{
    const zs_provider_answer_t *answer = zs_call_answer(job->call);
    size_t left = answer->text_size - job->sent;
    if (left == 0) {
        return;
    }
    size_t size = s_utf8_cut(answer->text + job->sent, left, ZS_LLM_PROGRESS_TEXT_MAX);
    self->sink.text(self->sink.owner, job->task, job->att, answer->text + job->sent,
                    size);
    job->sent += size;
    job->streamed = true;
    job->sent_at = zclock_mono();
}

static void
s_progress_all(zs_llm_t *self, s_job_t *job)
{
    s_timer_stop(self, &job->progress);
    size_t before;
    do {
        before = job->sent;
        s_progress_one(self, job);
    } while (job->sent != before);
}

static int
s_on_progress(zloop_t *loop, int timer_id, void *arg)
{
    zs_llm_t *self = arg;
    s_job_t *job = s_job_by_timer(self, timer_id);
    if (job && job->progress == timer_id) {
        job->progress = -1;
        s_progress_one(self, job);
    }
    return 0;
}

//  New text came: send it now, or when ZS_LLM_PROGRESS_MS have passed since the last
static void
s_progress(zs_llm_t *self, s_job_t *job)
{
    int64_t since = zclock_mono() - job->sent_at;
    if (since >= ZS_LLM_PROGRESS_MS) {
        s_progress_one(self, job);
    } else if (job->progress == -1) {
        s_timer_start(self, &job->progress, (uint64_t) (ZS_LLM_PROGRESS_MS - since),
                      s_on_progress);
    }
}

//  Tell whoever follows the text that what came so far is void: a new call begins
static void
s_progress_void(zs_llm_t *self, s_job_t *job)
{
    char note[ZS_MSG_TEXT_MAX];
    snprintf(note, sizeof note, "the text so far is void: calling '%s'",
             s_provider(job)->name);
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_TASK_PROGRESS);
    msg.task = job->task;
    msg.att = job->att;
    msg.note = note;
    self->sink.send(self->sink.owner, &msg);
    job->streamed = false;
}

//  ---- ending a job --------------------------------------------------------------------

//  Release what the job holds in the loop and the transport, then free it
static void
s_job_free(zs_llm_t *self, s_job_t *job)
{
    if (job->call_id) {
        self->transport.abort(self->transport.owner, job->call_id);
    }
    s_timer_stop(self, &job->timer);
    s_timer_stop(self, &job->deadline);
    s_timer_stop(self, &job->progress);
    zs_call_destroy(&job->call);
    for (size_t i = 0; i < ZS_PROMPT_KEYS_MAX; i++) {
        free(job->values[i]);
    }
    free(job->prompt);
    free(job->payload);
    zs_llm_settings_release(&job->conf);
    free(job);
}

//  Report the job's end and free it; answer is the text of an ok one, else NULL
static void
s_job_finish(zs_llm_t *self,
             s_job_t *job,
             const char *status,
             const char *why,
             const zs_provider_answer_t *answer)
{
    zlistx_delete(self->jobs, job->handle);
    zs_llm_result_t result = {.tok_in = job->tok_in, .tok_out = job->tok_out};
    zs_msg_init(&result.msg, ZS_MSG_TASK_RESULT);
    result.msg.task = job->task;
    result.msg.att = job->att;
    result.msg.status = status;
    result.msg.final = job->final;
    char text[ZS_MSG_TEXT_MAX] = "";
    snprintf(text, sizeof text, "%s", why ? why : "");
    if (answer) {
        result.provider = s_provider(job)->name;
        //  An empty answer is left out of the message, as an exec's empty stdout is
        result.msg.out_size =
            s_utf8_cut(answer->text, answer->text_size, ZS_MSG_OUTPUT_MAX);
        result.msg.out = result.msg.out_size ? (const uint8_t *) answer->text : NULL;
        if (answer->finish == ZS_PROVIDER_FINISH_LENGTH) {
            s_why_add(text, sizeof text, "the answer was cut at max_tokens");
        }
        if (result.msg.out_size < answer->text_size) {
            s_why_add(text, sizeof text, "stdout truncated to %zu of %zu bytes",
                      result.msg.out_size, answer->text_size);
        }
    }
    result.msg.why = text[0] ? text : NULL;
    self->sink.finished(self->sink.owner, &result);
    s_job_free(self, job);
}

//  Fail the job; format is its why
__attribute__((format(printf, 4, 5))) static void
s_job_fail(zs_llm_t *self, s_job_t *job, const char *status, const char *format, ...)
{
    char why[ZS_MSG_TEXT_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(why, sizeof why, format, args);
    va_end(args);
    zs_utf8_trim(why);
    s_job_finish(self, job, status, why, NULL);
}

//  Report a call in flight as cancelled and stop it
static void
s_call_cancel(zs_llm_t *self, s_job_t *job)
{
    if (job->call_id == 0) {
        return;
    }
    self->transport.abort(self->transport.owner, job->call_id);
    job->call_id = 0;
    zs_llm_report_t report = {
        .task = job->task,
        .att = job->att,
        .provider = s_provider(job)->name,
        .outcome = ZS_OUTCOME_CANCELLED,
        .retry_ms = -1,
        .ms = (uint64_t) (zclock_mono() - job->call_start),
        .http = zs_call_status(job->call),
        .why = "the task ended before the answer",
    };
    self->sink.report(self->sink.owner, &report);
}

static int
s_on_deadline(zloop_t *loop, int timer_id, void *arg)
{
    zs_llm_t *self = arg;
    s_job_t *job = s_job_by_timer(self, timer_id);
    if (job && job->deadline == timer_id) {
        job->deadline = -1;
        s_call_cancel(self, job);
        s_job_fail(self, job, "timeout", "timed out after %" PRIu64 " ms", job->tmo);
    }
    return 0;
}

//  ---- shared memory -------------------------------------------------------------------

static void
s_render(zs_llm_t *self, s_job_t *job)
{
    zs_prompt_value_t values[ZS_PROMPT_KEYS_MAX];
    for (size_t i = 0; i < zs_prompt_key_count(job->conf->prompt); i++) {
        values[i] = (zs_prompt_value_t){job->values[i], job->sizes[i]};
    }
    zs_prompt_value_t payload = {job->payload, job->payload_size};
    size_t size = 0;
    zs_error_t err;
    job->prompt = zs_prompt_render(job->conf->prompt, payload, values, &size, &err);
    if (!job->prompt) {
        s_job_fail(self, job, "fail", "prompt: %s", err.text);
        return;
    }
    size_t system = job->conf->system ? strlen(job->conf->system) : 0;
    job->est_in = (size + system + ZS_LLM_BYTES_PER_TOKEN - 1) / ZS_LLM_BYTES_PER_TOKEN;
    s_route(self, job);
}

static int
s_on_fetch_timeout(zloop_t *loop, int timer_id, void *arg)
{
    zs_llm_t *self = arg;
    s_job_t *job = s_job_by_timer(self, timer_id);
    if (job && job->timer == timer_id) {
        job->timer = -1;
        s_job_fail(self, job, "fail", "shared memory did not answer within %d ms",
                   ZS_LLM_FETCH_MS);
    }
    return 0;
}

static void
s_fetch(zs_llm_t *self, s_job_t *job)
{
    size_t count = zs_prompt_key_count(job->conf->prompt);
    if (count == 0) {
        s_render(self, job);
        return;
    }
    job->step = S_FETCH;
    job->rid = self->rid_next;
    self->rid_next += count;
    s_timer_start(self, &job->timer, ZS_LLM_FETCH_MS, s_on_fetch_timeout);
    for (size_t i = 0; i < count; i++) {
        zs_msg_t msg;
        zs_msg_init(&msg, ZS_MSG_MEM_GET);
        msg.key = zs_prompt_key(job->conf->prompt, i);
        msg.rid = job->rid + i;
        self->sink.send(self->sink.owner, &msg);
    }
}

//  Why a mem.get gave no value, in words
static void
s_memory_refused(zs_llm_t *self, s_job_t *job, const char *key, const zs_msg_t *msg)
{
    char name[ZS_MSG_KEY_MAX * 4 + 1], why[ZS_MSG_TEXT_MAX];
    zs_sanitize_str(name, sizeof name, key);
    if (msg->type == ZS_MSG_MEM_GET_OK) {
        s_job_fail(self, job, "fail", "memory '%s' holds a signal, not a value", name);
    } else if (msg->code == ZS_ERR_NO_KEY) {
        s_job_fail(self, job, "fail", "memory '%s' not found", name);
    } else if (msg->code == ZS_ERR_FORBIDDEN) {
        s_job_fail(self, job, "fail", "memory '%s' may not be read by this agent", name);
    } else {
        s_job_fail(self, job, "fail", "memory '%s': error %" PRIu64 ": %s", name,
                   msg->code, zs_sanitize_str(why, sizeof why, msg->why));
    }
}

//  ---- routing -------------------------------------------------------------------------

//  True (with the job's last news set) when the coordinator's word says skip p
static bool
s_skipped(zs_llm_t *self, s_job_t *job, const zs_llm_provider_t *p)
{
    s_state_t *state = zhashx_lookup(self->states, p->name);
    int64_t now = zclock_mono();
    bool holds = state && (!state->until || now < state->until);
    if (!holds || state->state == ZS_PROVIDER_CLOSED || state->state == ZS_PROVIDER_HALF_OPEN) {
        return false;
    }
    if (state->until) {
        s_last_set(job, "skipped: the coordinator says it is %s for %" PRId64 " ms more",
                   zs_vocab_state(state->state), state->until - now);
    } else {
        s_last_set(job, "skipped: the coordinator says it is %s",
                   zs_vocab_state(state->state));
    }
    return true;
}

//  Start a call to the job's provider asking for max_tokens; false (with the job's last
//  news set) when no request can be built for it, and the next provider is tried
static bool
s_call_start(zs_llm_t *self, s_job_t *job, uint64_t max_tokens)
{
    const zs_llm_provider_t *p = s_provider(job);
    zs_provider_call_t call = {
        .kind = p->kind,
        .url = p->url,
        .model = p->model,
        .key = p->key,
        .system = job->conf->system,
        .prompt = job->prompt,
        .max_tokens = max_tokens,
        .temperature = job->conf->temperature,
        .stream = job->conf->stream,
    };
    zs_provider_request_t request;
    zs_error_t err;
    if (zs_provider_request_init(&request, &call, &err) != 0) {
        s_last_set(job, "cannot call: %s", err.text);
        return false;
    }
    if (job->streamed) {
        s_progress_void(self, job);
    }
    zs_call_destroy(&job->call);
    job->call = zs_call_new(p->kind, call.stream ? ZS_CALL_STREAM : ZS_CALL_WHOLE);
    job->step = S_CALL;
    job->call_id = ++self->call_next;
    job->call_start = zclock_mono();
    job->sent = 0;
    int rc = self->transport.start(self->transport.owner, job->call_id, &request, p->tmo,
                                   &err);
    zs_provider_request_fini(&request);
    if (rc != 0) {
        //  Told as the call's end, so it is reported and retried as any failure is
        zs_llm_call_done(self, job->call_id, 0, ZS_OUTCOME_CONNECT, err.text);
    }
    return true;
}

//  Try the job's provider, or the next one that may be tried; fail when none is left
static void
s_route(zs_llm_t *self, s_job_t *job)
{
    for (; job->provider < job->conf->count; job->provider++, job->tries = 0) {
        if (s_skipped(self, job, s_provider(job))) {
            continue;
        }
        char why[ZS_MSG_TEXT_MAX];
        uint64_t cap = zs_llm_settings_cap(
            job->conf, job->provider, job->tok_before + job->tok_in + job->tok_out,
            job->usd_before + job->usd, job->est_in, why, sizeof why);
        if (cap == 0) {
            s_job_fail(self, job, "fail", "%s", why);
            return;
        }
        if (s_call_start(self, job, cap)) {
            return;
        }
    }
    char why[ZS_MSG_TEXT_MAX] = "no provider answered";
    for (size_t i = 0; i < job->conf->count; i++) {
        s_why_add(why, sizeof why, "'%s': %s", job->conf->providers[i].name,
                  job->last[i][0] ? job->last[i] : "not tried");
    }
    s_job_finish(self, job, "fail", why, NULL);
}

//  How much longer the coordinator's word holds p back as limited, ms; 0: it does not
static int64_t
s_limited_ms(zs_llm_t *self, const zs_llm_provider_t *p)
{
    s_state_t *state = zhashx_lookup(self->states, p->name);
    int64_t left = state && state->until ? state->until - zclock_mono() : 0;
    return state && state->state == ZS_PROVIDER_LIMITED && left > 0 ? left : 0;
}

static int
s_on_backoff(zloop_t *loop, int timer_id, void *arg)
{
    zs_llm_t *self = arg;
    s_job_t *job = s_job_by_timer(self, timer_id);
    if (!job || job->timer != timer_id) {
        return 0;
    }
    job->timer = -1;
    //  The coordinator limits a provider for the Retry-After we just waited, from when
    //  our report reached it: its word comes a little after our wait began and outlasts
    //  it by that much. A retry waits out that rest (once, within max_wait_ms) rather
    //  than skip the provider it waited for.
    int64_t held = s_limited_ms(self, s_provider(job));
    if (held > 0 && held <= (int64_t) job->conf->max_wait_ms && !job->held) {
        job->held = true;
        s_timer_start(self, &job->timer, (uint64_t) held, s_on_backoff);
        return 0;
    }
    job->held = false;
    job->tries++;
    s_route(self, job);
    return 0;
}

//  After a failed call: the same provider after a wait, the next one, or the end
static void
s_decide(zs_llm_t *self, s_job_t *job, zs_outcome_t outcome, const char *why)
{
    int64_t retry_ms = zs_call_retry(job->call);
    zs_llm_move_t move = zs_llm_settings_move(job->conf, outcome, job->tries, retry_ms);
    if (move == ZS_LLM_FAIL) {
        //  A request refused as bad goes the same to every provider on every retry
        job->final = outcome == ZS_OUTCOME_BAD_REQUEST;
        s_job_fail(self, job, "fail", "'%s': %s", s_provider(job)->name, why);
    } else if (move == ZS_LLM_RETRY) {
        uint64_t wait = retry_ms >= 0 ? (uint64_t) retry_ms
                                      : zs_llm_backoff_ms(job->conf->backoff_ms,
                                                          job->tries, s_random(self));
        job->step = S_WAIT;
        s_timer_start(self, &job->timer, wait, s_on_backoff);
    } else {
        job->provider++;
        job->tries = 0;
        s_route(self, job);
    }
}

//  A call ended: count and report it, then finish the job or decide what comes next
static void
s_call_ended(
    zs_llm_t *self, s_job_t *job, long status, zs_outcome_t outcome, const char *why)
{
    zs_error_t err;
    zs_error_init(&err);
    int code = zs_call_end(job->call, status, outcome, why, &err);
    uint64_t in = 0, out = 0;
    zs_call_tokens(job->call, code, job->est_in, ZS_LLM_BYTES_PER_TOKEN, &in, &out);
    job->tok_in += in;
    job->tok_out += out;
    job->usd += zs_llm_settings_cost(job->conf, job->provider, in, out);
    if (code == 0 && job->conf->stream) {
        s_progress_all(self, job);  //  the text before the end of its call
    }
    zs_llm_report_t report = {
        .task = job->task,
        .att = job->att,
        .provider = s_provider(job)->name,
        .outcome = (zs_outcome_t) code,
        .tok_in = in,
        .tok_out = out,
        .retry_ms = code ? zs_call_retry(job->call) : -1,
        .ms = (uint64_t) (zclock_mono() - job->call_start),
        .http = zs_call_status(job->call),
        .why = code ? err.text : NULL,
    };
    self->sink.report(self->sink.owner, &report);
    if (code == 0) {
        s_job_finish(self, job, "ok", NULL, zs_call_answer(job->call));
    } else {
        s_last_set(job, "%s", err.text);
        s_decide(self, job, (zs_outcome_t) code, err.text);
    }
}

//  ---- the transport's reports ---------------------------------------------------------

void
zs_llm_call_header(zs_llm_t *self, uint64_t call, const char *line, size_t size)
{
    assert(self);
    s_job_t *job = s_job_by_call(self, call);
    if (job) {
        zs_call_header(job->call, line, size, zclock_time());
    }
}

int
zs_llm_call_data(
    zs_llm_t *self, uint64_t call, long status, const void *data, size_t size)
{
    assert(self);
    s_job_t *job = s_job_by_call(self, call);
    if (!job || zs_call_data(job->call, status, data, size) != 0) {
        return -1;
    }
    if (job->conf->stream) {
        s_progress(self, job);
    }
    return 0;
}

void
zs_llm_call_done(
    zs_llm_t *self, uint64_t call, long status, zs_outcome_t outcome, const char *why)
{
    assert(self);
    assert(outcome < ZS_OUTCOME_COUNT);
    s_job_t *job = s_job_by_call(self, call);
    if (job) {
        job->call_id = 0;
        s_timer_stop(self, &job->progress);
        s_call_ended(self, job, status, outcome, why);
    }
}

//  ---- the handler ---------------------------------------------------------------------

static void
s_state_destroy(void **item)
{
    free(*item);
    *item = NULL;
}

zs_llm_t *
zs_llm_new(zloop_t *loop, const zs_llm_sink_t *sink, const zs_llm_transport_t *transport)
{
    assert(loop);
    assert(sink);
    assert(transport);
    zs_llm_t *self = zs_calloc(1, sizeof *self);
    self->loop = loop;
    self->sink = *sink;
    self->transport = *transport;
    self->jobs = zlistx_new();
    self->states = zhashx_new();
    zhashx_set_destructor(self->states, s_state_destroy);
    self->warned = zhashx_new();
    self->rid_next = 1;
    self->rng = ((uint64_t) getpid() << 32) ^ (uint64_t) zclock_usecs();
    self->rng = self->rng ? self->rng : ZS_LLM_SEED;
    zs_error_set(&self->conf_error, ZS_ERR_INVALID,
                 "the llm handler has no settings yet");
    return self;
}

void
zs_llm_destroy(zs_llm_t **self_p)
{
    assert(self_p);
    zs_llm_t *self = *self_p;
    if (self) {
        zs_llm_kill_all(self);
        zlistx_destroy(&self->jobs);
        zhashx_destroy(&self->states);
        zhashx_destroy(&self->warned);
        zs_llm_settings_release(&self->conf);
        free(self);
        *self_p = NULL;
    }
}

int
zs_llm_configure(zs_llm_t *self, const zs_llm_conf_t *conf, zs_error_t *err)
{
    assert(self);
    assert(conf);
    zs_llm_settings_release(&self->conf);
    self->conf = zs_llm_settings_new(conf, self->warned, &self->conf_error);
    if (!self->conf && err) {
        *err = self->conf_error;
    }
    return self->conf ? 0 : -1;
}

void
zs_llm_start(zs_llm_t *self, const zs_msg_t *assign)
{
    assert(self);
    assert(assign);
    s_job_t *job = zs_calloc(1, sizeof *job);
    snprintf(job->task, sizeof job->task, "%s", assign->task);
    job->att = assign->att;
    job->tmo = assign->tmo;
    job->tok_before = assign->tok;
    job->usd_before = isnan(assign->usd) ? 0.0 : assign->usd;
    job->timer = job->deadline = job->progress = -1;
    if (assign->payload_size > 0) {
        job->payload = zs_malloc(assign->payload_size);
        memcpy(job->payload, assign->payload, assign->payload_size);
        job->payload_size = assign->payload_size;
    }
    job->handle = zlistx_add_end(self->jobs, job);
    self->sink.started(self->sink.owner, job->task, job->att);
    if (!self->conf) {
        s_job_fail(self, job, "fail", "%s", self->conf_error.text);
        return;
    }
    job->conf = zs_llm_settings_ref(self->conf);
    if (job->tmo > 0) {
        s_timer_start(self, &job->deadline, job->tmo, s_on_deadline);
    }
    s_fetch(self, job);
}

int
zs_llm_cancel(zs_llm_t *self, const char *task, uint64_t att)
{
    assert(self);
    assert(task);
    s_job_t *job = s_job_by_attempt(self, task, att);
    if (!job) {
        return ZS_HANDLER_E_NO_JOB;
    }
    s_call_cancel(self, job);
    s_job_finish(self, job, "cancelled", NULL, NULL);
    return 0;
}

size_t
zs_llm_running(zs_llm_t *self)
{
    assert(self);
    return zlistx_size(self->jobs);
}

void
zs_llm_kill_all(zs_llm_t *self)
{
    assert(self);
    s_job_t *job = zlistx_first(self->jobs);
    while (job) {
        s_job_free(self, job);
        job = zlistx_next(self->jobs);
    }
    zlistx_purge(self->jobs);
}

void
zs_llm_recv(zs_llm_t *self, const zs_msg_t *msg)
{
    assert(self);
    assert(msg);
    bool reply = msg->type == ZS_MSG_MEM_GET_OK || msg->type == ZS_MSG_ERROR;
    s_job_t *job = reply && msg->rid ? s_job_by_rid(self, msg->rid) : NULL;
    size_t index = job ? (size_t) (msg->rid - job->rid) : 0;
    if (!job || job->got[index]) {
        return;  //  late, or a second reply: nobody waits for it
    }
    const char *key = zs_prompt_key(job->conf->prompt, index);
    if (msg->type == ZS_MSG_ERROR || !msg->value) {
        s_memory_refused(self, job, key, msg);
        return;
    }
    job->got[index] = true;
    job->values[index] = zs_malloc(msg->value_size + 1);
    memcpy(job->values[index], msg->value, msg->value_size);
    job->sizes[index] = msg->value_size;
    if (++job->fetched == zs_prompt_key_count(job->conf->prompt)) {
        s_timer_stop(self, &job->timer);
        s_render(self, job);
    }
}

void
zs_llm_provider_state(zs_llm_t *self,
                      const char *provider,
                      zs_provider_state_t state,
                      uint64_t left)
{
    assert(self);
    assert(provider);
    assert(state < ZS_PROVIDER_STATE_COUNT);
    s_state_t *entry = zs_calloc(1, sizeof *entry);
    entry->state = state;
    entry->until = left ? zclock_mono() + (int64_t) left : 0;
    zhashx_update(self->states, provider, entry);
}
