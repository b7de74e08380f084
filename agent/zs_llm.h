//  zs_llm - the llm handler's work: one prompt per task, to the type's providers in order
//
//  A job is one attempt of a task. It fetches the shared memory entries its prompt
//  template names (mem.get with rids of its own; a missing entry fails the task and says
//  which), renders the prompt (zs_prompt), then walks the type's providers in order:
//
//  - a provider the coordinator last said is open, bad or limited is skipped (until the
//    `left` it gave, when it gave one);
//  - a call that fails is retried on the same provider up to `retries` times, after a
//    backoff doubling from backoff_ms with +-50% jitter, or after the wait the provider
//    asked for (Retry-After) when that is at most max_wait_ms; a longer ask, or retries
//    spent, moves on to the next provider. A retry whose provider the coordinator still
//    says is limited waits out the rest (once, within max_wait_ms) instead of skipping
//    it: that state came from the same Retry-After, counted from a little later;
//  - auth and context failures move on at once; a bad request fails the task, since
//    every provider would be sent the same request, and marks the failure final: no
//    retry of the task would mend it;
//  - every call gets one provider.report, with its outcome, tokens, duration and status.
//
//  The task's budget (tokens, and dollars at the providers' prices) is checked before
//  each call, counting what the task's earlier attempts spent (task.assign's tok and
//  usd): a call is not made when what is left cannot pay for its prompt, and its
//  max_tokens is cut to what is left (zs_llm_settings decides these). The prompt's tokens
//  are estimated at one per ZS_LLM_BYTES_PER_TOKEN bytes until the provider counts them;
//  an answer without usage counts its text the same way. A streamed answer's text goes
//  out as task.progress text, at most one message per ZS_LLM_PROGRESS_MS, the rest when
//  the call ends; when another call starts after text went out, a task.progress note
//  says the text so far is void. The result's stdout is the text; the provider that
//  answered and the attempt's token totals go with it; a failed task's why names each
//  provider's last failure.
//
//  No I/O happens here, which keeps the handler testable without sockets: HTTP goes
//  through a transport (zs_llm_ops binds it to zs_xfer and libcurl), and the messages
//  the protocol added for it (provider.report, progress text, the result's provider
//  and tokens) go to the sink as plain structs that zs_llm_ops puts on the wire. Timers
//  run in the zloop it is given. Jobs are found by key (task and attempt, call id, rid,
//  timer id), never through a pointer a callback carries, so a late callback of a job
//  that ended finds nothing. API keys are read from the agent's environment when it is
//  configured, by the variable names the coordinator gives; they are never logged,
//  reported or put in a why.

#ifndef ZS_LLM_H
#define ZS_LLM_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/zs_llm_settings.h"
#include "agent/zs_outcome.h"
#include "agent/zs_provider.h"
#include "proto/zs_msg.h"

#define ZS_LLM_PROGRESS_MS       100          //  least time between two progress messages
#define ZS_LLM_PROGRESS_TEXT_MAX (64u << 10)  //  text in one progress message
#define ZS_LLM_FETCH_MS          10000        //  longest wait for the mem.get replies
#define ZS_LLM_BYTES_PER_TOKEN   4            //  a token's estimate before it is counted

//  One provider call's outcome: provider.report
typedef struct {
    const char *task;      //  the task
    uint64_t att;          //  its attempt
    const char *provider;  //  the provider called
    zs_outcome_t outcome;  //  what became of the call
    uint64_t tok_in;       //  input tokens the call counted (or was estimated at)
    uint64_t tok_out;      //  output tokens
    int64_t retry_ms;      //  the wait the provider asked for, -1 when none
    uint64_t ms;           //  the call's duration
    long http;             //  its HTTP status, 0 when none came
    const char *why;       //  what failed, NULL when ok
} zs_llm_report_t;

//  A job's end: the task.result, and what the protocol added to it
typedef struct {
    zs_msg_t msg;          //  task.result: task, att, status, stdout, why
    const char *provider;  //  the provider that answered, NULL when none did
    uint64_t tok_in;       //  the attempt's input tokens, every call counted
    uint64_t tok_out;      //  its output tokens
} zs_llm_result_t;

//  Where the handler reports; every pointer argument is borrowed for the call
typedef struct {
    void *owner;  //  given back to each function
    //  A job started (task.ack)
    void (*started)(void *owner, const char *task, uint64_t att);
    //  A message the protocol already has: mem.get, task.progress with a note
    void (*send)(void *owner, const zs_msg_t *msg);
    //  A provider call ended (provider.report)
    void (*report)(void *owner, const zs_llm_report_t *report);
    //  Streamed text since the last progress (task.progress text), UTF-8, size bytes
    void (*text)(
        void *owner, const char *task, uint64_t att, const char *text, size_t size);
    //  A job ended, exactly once per started job
    void (*finished)(void *owner, const zs_llm_result_t *result);
} zs_llm_sink_t;

//  How calls are made: POST request.url with its headers and body. What the exchange
//  brings is told back through zs_llm_call_header, _data and _done, never from within
//  start or abort.
typedef struct {
    void *owner;  //  given back to each function
    //  Start call number `call` with a timeout of tmo ms; request is borrowed for the
    //  call (copy what must outlive it). Returns 0, or -1 with err when it cannot start
    int (*start)(void *owner,
                 uint64_t call,
                 const zs_provider_request_t *request,
                 uint64_t tmo,
                 zs_error_t *err);
    //  Stop call number `call` now; nothing more is told of it
    void (*abort)(void *owner, uint64_t call);
} zs_llm_transport_t;

typedef struct _zs_llm_t zs_llm_t;

//  Create a handler running its timers in loop (borrowed), reporting to sink and
//  calling through transport (both copied). Never returns NULL.
zs_llm_t *
zs_llm_new(zloop_t *loop, const zs_llm_sink_t *sink, const zs_llm_transport_t *transport);

//  Stop every job without reporting it, free the handler, set *self_p to NULL.
//  Accepts NULL.
void zs_llm_destroy(zs_llm_t **self_p);

//  Adopt the type's settings (zs_llm_settings_new: copied, keys read from the
//  environment). Running jobs finish with the settings they started with. Returns 0,
//  or -1 with err when the settings cannot be used (no provider, too many, a template
//  that does not parse): then every task fails, saying so, until a configure succeeds.
int zs_llm_configure(zs_llm_t *self, const zs_llm_conf_t *conf, zs_error_t *err);

//  Run one attempt of assign (a task.assign, borrowed for the call): `started` now,
//  `finished` when it ends (maybe before this returns, if it cannot start).
void zs_llm_start(zs_llm_t *self, const zs_msg_t *assign);

//  Stop an attempt: its call is aborted (and reported as cancelled), and `finished`
//  follows at once with status "cancelled". Returns 0, or ZS_HANDLER_E_NO_JOB.
int zs_llm_cancel(zs_llm_t *self, const char *task, uint64_t att);

//  Jobs started and not yet finished.
size_t zs_llm_running(zs_llm_t *self);

//  Stop every job without reporting it.
void zs_llm_kill_all(zs_llm_t *self);

//  A reply to one of the jobs' requests: mem.get.ok, or an error carrying a rid.
//  Replies nobody waits for (late, or for a job that ended) are ignored.
void zs_llm_recv(zs_llm_t *self, const zs_msg_t *msg);

//  The coordinator's word on a provider (provider.state): state, and for how long, ms
//  (0: until it says otherwise). Kept by name across configures.
void zs_llm_provider_state(zs_llm_t *self,
                           const char *provider,
                           zs_provider_state_t state,
                           uint64_t left);

//  The transport's reports on a call: one header line as received (the status lines
//  included), size bytes
void zs_llm_call_header(zs_llm_t *self, uint64_t call, const char *line, size_t size);

//  Body bytes of a call whose HTTP status is status. Returns 0 to go on, -1 when the
//  call has failed already (a bound passed, an error record in the stream): the
//  transport stops it and reports its end as it ends.
int zs_llm_call_data(
    zs_llm_t *self, uint64_t call, long status, const void *data, size_t size);

//  The call ended: status (0 when no answer came), and outcome ZS_OUTCOME_OK when the
//  whole answer was read, else the transport's failure (connect, timeout, ...) with
//  why (may be NULL).
void zs_llm_call_done(
    zs_llm_t *self, uint64_t call, long status, zs_outcome_t outcome, const char *why);

#endif
