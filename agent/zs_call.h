//  zs_call - one call to an LLM provider, as the transport reports it
//
//  A call collects what its HTTP exchange brings: the status, the retry headers and the
//  body. A 2xx streamed answer goes through the kind's stream parser as it comes, so
//  its text can be sent on at once; a 2xx whole answer, or an error body, is kept, each
//  within its bound (an error body is cut: its head says enough). When the exchange
//  ends, the call says what it came to, looking in this order: a failure found while
//  reading (an error record in the stream, a bound passed), the transport's own failure
//  (connect, timeout), the status with the error body, and last the answer itself,
//  which may not parse. Token counts are the provider's, or estimated from the text.
//
//  The module is pure (no loop, no clock but the one it is given), so the llm
//  handler's tests and its own drive it with recorded answers.

#ifndef ZS_CALL_H
#define ZS_CALL_H

#include <stdint.h>

#include "agent/zs_outcome.h"
#include "agent/zs_provider.h"

#define ZS_CALL_ERROR_BODY_MAX (64u << 10)  //  bytes of a failed answer kept

//  How the answer comes
typedef enum {
    ZS_CALL_WHOLE,   //  one JSON body
    ZS_CALL_STREAM,  //  a stream (SSE or NDJSON, by kind)
} zs_call_mode_t;

typedef struct _zs_call_t zs_call_t;

//  Start reading a call to a provider of kind. Never NULL.
zs_call_t *zs_call_new(zs_provider_kind_t kind, zs_call_mode_t mode);

//  Free a call and set *self_p to NULL. Accepts NULL.
void zs_call_destroy(zs_call_t **self_p);

//  One header line as received, size bytes: a status line starts a new response (a
//  100 Continue may come first), retry headers are kept. now_ms is the wall clock an
//  HTTP date is read against.
void zs_call_header(zs_call_t *self, const char *line, size_t size, int64_t now_ms);

//  Body bytes of an answer whose status is status. Returns 0 to go on, or -1 when the
//  call failed already or its error body is cut: the rest need not be read.
int zs_call_data(zs_call_t *self, long status, const void *data, size_t size);

//  The exchange ended: status (0: none came, or as the data said), and the transport's
//  outcome: ZS_OUTCOME_OK when the whole answer was read, else its failure with why
//  (may be NULL). Returns 0 when the call answered, else the outcome with err filled.
int zs_call_end(
    zs_call_t *self, long status, zs_outcome_t outcome, const char *why, zs_error_t *err);

//  The answer: the text streamed so far, and after zs_call_end the whole answer (empty
//  when the call failed before any). Borrowed until the next call on self.
const zs_provider_answer_t *zs_call_answer(const zs_call_t *self);

//  The status the answer came with, 0 before one came.
long zs_call_status(const zs_call_t *self);

//  How long the provider asked to wait, ms, or -1 (zs_outcome_hints_retry).
int64_t zs_call_retry(const zs_call_t *self);

//  The call's tokens: the provider's counts when it gave them; else, for an answer,
//  the prompt's estimate est_in and the text at bytes_per_token, and 0 for a failure.
void zs_call_tokens(const zs_call_t *self,
                    int code,
                    uint64_t est_in,
                    uint64_t bytes_per_token,
                    uint64_t *in,
                    uint64_t *out);

#endif
