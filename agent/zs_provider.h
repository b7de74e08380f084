//  zs_provider - the kinds of LLM provider: one call's request, its answer, its stream
//
//  Three kinds of API are spoken. "openai" is chat completions (POST
//  BASE/chat/completions, BASE ending in /v1), which every OpenAI-compatible server
//  speaks too: vLLM, llama.cpp's server, Ollama's /v1. "anthropic" is the Messages API
//  (POST BASE/v1/messages with x-api-key and anthropic-version: 2023-06-01). "ollama" is
//  Ollama's native chat (POST BASE/api/chat, no key locally, Bearer for ollama.com). For
//  each, this module builds the request of one call (URL, headers, JSON body), reads a
//  whole answer, and reads a streamed answer from byte chunks of any size (SSE for the
//  first two, NDJSON for Ollama; usage from the stream's final records). It does no I/O:
//  the llm handler moves the bytes, and the unit tests feed recorded answers.
//
//  Choices made once for every kind: the system prompt and the user prompt are the
//  whole conversation; max_tokens is always sent (Anthropic requires it, and an
//  OpenAI-compatible server without it may run to its context's end: the budget needs
//  the cap). OpenAI's field is `max_tokens`, not `max_completion_tokens`: Ollama's /v1
//  reads only `max_tokens` and would silently ignore the other, llama.cpp's server and
//  vLLM read it, and OpenAI accepts it for chat models (its reasoning models refuse it
//  with a 400, which the handler reports as bad_request naming the field).
//  Temperature is sent only when set, cut to the kind's range (Anthropic's is 0..1).
//  A stream asks OpenAI for `stream_options: {include_usage: true}`, so the last chunk
//  carries the usage; Ollama is told `stream: false` when not streaming (it streams by
//  default).
//
//  Invariants: everything read is bounded before it is kept (an answer past
//  ZS_PROVIDER_BODY_MAX, a stream line or event past ZS_PROVIDER_LINE_MAX, a text past
//  ZS_PROVIDER_TEXT_MAX is refused as malformed). The API key is in the request's header
//  strings only, which are wiped when freed; no error text ever holds it.

#ifndef ZS_PROVIDER_H
#define ZS_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/zs_outcome.h"
#include "common/zs_util.h"

#define ZS_PROVIDER_BODY_MAX          (8u << 20)  //  bytes of a whole answer read
#define ZS_PROVIDER_LINE_MAX          (1u << 20)  //  bytes of one stream line or event's data
#define ZS_PROVIDER_TEXT_MAX          (4u << 20)  //  bytes of an answer's text
#define ZS_PROVIDER_URL_MAX           2048        //  bytes of a base URL with its path
#define ZS_PROVIDER_KEY_MAX           1024        //  bytes of an API key
#define ZS_PROVIDER_TOKENS_MAX        10000000    //  max_tokens a call may ask for
#define ZS_PROVIDER_HEADERS_MAX       4           //  header strings of a request, at most
#define ZS_PROVIDER_REASON_MAX        48  //  bytes kept of a provider's stop reason
#define ZS_PROVIDER_ANTHROPIC_VERSION "2023-06-01"

//  Error codes of a request that cannot be built (zs_error_t.code)
typedef enum {
    ZS_PROVIDER_E_URL = 1,  //  the base URL is not http(s), too long, or has ? or #
    ZS_PROVIDER_E_KEY,      //  the key is not a header value (or too long)
    ZS_PROVIDER_E_CALL,     //  empty prompt, max_tokens out of range, text not UTF-8
} zs_provider_code_t;

//  One call, as the llm handler asks it; every pointer borrowed
typedef struct {
    zs_provider_kind_t kind;  //  the API
    const char *url;          //  base URL (see the kinds above)
    const char *model;        //  model name
    const char *key;          //  API key, NULL or "" for none: a secret
    const char *system;       //  system prompt, NULL or "" for none
    const char *prompt;       //  the user's message: the rendered template
    uint64_t max_tokens;      //  1..ZS_PROVIDER_TOKENS_MAX
    double temperature;       //  NAN: not sent (the provider's default)
    bool stream;              //  ask for a streamed answer
} zs_provider_call_t;

//  A call's HTTP request: POST url with headers and body
typedef struct {
    char *url;                               //  owned
    char *headers[ZS_PROVIDER_HEADERS_MAX];  //  owned "Name: value", NULL after the last
    char *body;                              //  owned JSON text, NUL-terminated
    size_t body_size;                        //  its length
} zs_provider_request_t;

//  Why an answer ended, across kinds
typedef enum {
    ZS_PROVIDER_FINISH_NONE,    //  not said (yet)
    ZS_PROVIDER_FINISH_STOP,    //  the model was done: stop, end_turn, stop_sequence
    ZS_PROVIDER_FINISH_LENGTH,  //  cut at max_tokens: length, max_tokens
    ZS_PROVIDER_FINISH_OTHER,   //  anything else (content_filter, refusal, ...)
} zs_provider_finish_t;

//  What a call answered
typedef struct {
    char *text;                           //  owned, NUL-terminated; NULL while empty
    size_t text_size;                     //  its length
    size_t text_cap;                      //  bytes allocated
    zs_provider_finish_t finish;          //  why it ended
    char reason[ZS_PROVIDER_REASON_MAX];  //  the provider's own stop reason, sanitised
    uint64_t tok_in;                      //  input tokens the provider counted
    uint64_t tok_out;                     //  output tokens the provider counted
    bool usage;                           //  the provider reported the two counts
} zs_provider_answer_t;

//  A streamed answer being read
typedef struct _zs_provider_stream_t zs_provider_stream_t;

//  Build call's request into self. Returns 0, or -1 with err (a zs_provider_code_t and a
//  text that never holds the key) and self empty. On success the caller finishes self.
int zs_provider_request_init(zs_provider_request_t *self,
                             const zs_provider_call_t *call,
                             zs_error_t *err);

//  Free a request, wiping its header strings first (they hold the key). Harmless twice.
void zs_provider_request_fini(zs_provider_request_t *self);

//  Start an empty answer.
void zs_provider_answer_init(zs_provider_answer_t *self);

//  Free an answer's text and leave it empty. Harmless twice.
void zs_provider_answer_fini(zs_provider_answer_t *self);

//  Read a whole (not streamed) 2xx answer of size bytes into answer (started empty).
//  Returns 0, or an outcome with err filled: ZS_OUTCOME_MALFORMED (not JSON, not the
//  kind's shape, past a bound), or what an error object in the body says.
int zs_provider_parse(zs_provider_kind_t kind,
                      const char *body,
                      size_t size,
                      zs_provider_answer_t *answer,
                      zs_error_t *err);

//  Start reading a streamed 2xx answer of kind. Never NULL.
zs_provider_stream_t *zs_provider_stream_new(zs_provider_kind_t kind);

//  Free a stream and set *self_p to NULL. Accepts NULL.
void zs_provider_stream_destroy(zs_provider_stream_t **self_p);

//  Take the next size bytes of the body, split anywhere. Returns 0, or an outcome with
//  err filled (ZS_OUTCOME_MALFORMED, or the class of an error record in the stream);
//  after a failure every call returns it again. Text, stop reason and usage go into the
//  answer as they come.
int zs_provider_stream_feed(zs_provider_stream_t *self,
                            const void *data,
                            size_t size,
                            zs_error_t *err);

//  The body ended. Returns 0 when the stream's last record came (OpenAI's [DONE],
//  Anthropic's message_stop, Ollama's done: true), else as zs_provider_stream_feed:
//  a stream cut short is ZS_OUTCOME_MALFORMED.
int zs_provider_stream_end(zs_provider_stream_t *self, zs_error_t *err);

//  The answer so far, borrowed until the next feed, end or destroy
const zs_provider_answer_t *zs_provider_stream_answer(const zs_provider_stream_t *self);

#endif
