//  zs_outcome - what became of one call to an LLM provider, and how long it asks to wait
//
//  Every provider call ends in one outcome, named as provider.report names it: ok, or a
//  failure kind that decides what the llm handler does next (retry after a backoff,
//  wait what the provider asked, try the next provider, or fail the task) and what the
//  coordinator's circuit breaker counts. This module classifies a failed HTTP answer
//  from its status and its error body, an error record that arrives inside a stream,
//  and reads the retry headers (retry-after-ms, then Retry-After in seconds or as an
//  HTTP date), as openai-python and anthropic-sdk-python do.
//
//  The three providers' error bodies share one reading: `error` is an object with
//  `type`, `code` and `message` (OpenAI, Anthropic, OpenAI-compatible servers; `code`
//  may be a number there) or a string (Ollama); a body without `error` but with a
//  `message` is read as the error itself (older vLLM). The status decides, except where
//  the body knows better: a context-length error inside a 400, an overloaded error
//  inside a 5xx or a stream, a spent quota inside a 429 (insufficient_quota: no retry
//  helps, so it counts as auth).
//
//  Texts are for humans and logs: bounded, sanitised, and for auth failures free of the
//  provider's message, which can echo part of the key ("Incorrect API key provided:
//  sk-ab***wxyz").

#ifndef ZS_OUTCOME_H
#define ZS_OUTCOME_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/zs_util.h"
#include "proto/zs_vocab.h"

#define ZS_OUTCOME_RETRY_MAX_MS 86400000  //  a wait a provider asks for is cut to a day
#define ZS_OUTCOME_SAMPLE_MAX   300       //  bytes of a provider's message in a why

//  Classify a failed HTTP answer: status (not 2xx) and its body, size bytes (maybe not
//  JSON, maybe cut short). Fills err (code = the outcome) with a why such as "http 429
//  rate_limit_error: This request would exceed ...". Returns the outcome.
zs_outcome_t
zs_outcome_classify(long status, const char *body, size_t size, zs_error_t *err);

//  Classify an error record found in a 2xx answer (an SSE error event, an OpenAI
//  `{"error": ...}` chunk, an Ollama `{"error": "..."}` line): record is the parsed
//  JSON, borrowed. Fills err as above ("stream error overloaded_error: Overloaded").
zs_outcome_t zs_outcome_of_record(const json_t *record, zs_error_t *err);

//  The retry headers of one answer
typedef struct {
    int64_t ms;     //  retry-after-ms, ms; -1 when absent or unreadable
    int64_t after;  //  Retry-After, in ms from now; -1 when absent or unreadable
} zs_outcome_hints_t;

//  Start with no hints.
void zs_outcome_hints_init(zs_outcome_hints_t *self);

//  Read one header line as libcurl's CURLOPT_HEADERFUNCTION gives it ("Name: value\r\n",
//  size bytes, not terminated); lines other than the retry headers are ignored. now_ms
//  is the wall clock (ms since the Unix epoch) that an HTTP date is measured from.
void zs_outcome_hints_header(zs_outcome_hints_t *self,
                             const char *line,
                             size_t size,
                             int64_t now_ms);

//  How long the provider asked to wait, ms (retry-after-ms first, as the SDKs read it),
//  at most ZS_OUTCOME_RETRY_MAX_MS; -1 when it did not ask.
int64_t zs_outcome_hints_retry(const zs_outcome_hints_t *self);

#endif
