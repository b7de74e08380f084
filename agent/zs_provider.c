//  zs_provider - see zs_provider.h

#include "agent/zs_provider.h"
#include "agent/zs_sse.h"
#include "proto/zs_msgval.h"

#include <assert.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ZS_PROVIDER_REAL_DIGITS 9    //  significant digits of a temperature sent
#define ZS_PROVIDER_TEXT_MIN    256  //  first allocation of an answer's text

//  What a kind does with a call, an answer and a stream record
typedef json_t *(s_body_fn) (const zs_provider_call_t *call);
typedef int(s_parse_fn)(const json_t *root,
                        zs_provider_answer_t *answer,
                        zs_error_t *err);
typedef int(s_record_fn)(zs_provider_stream_t *self,
                         const json_t *record,
                         zs_error_t *err);

typedef struct {
    const char *path;         //  appended to the base URL
    const char *key_header;   //  the key goes after this
    const char *version;      //  a header every request carries, or NULL
    zs_sse_mode_t framing;    //  of a stream
    const char *done_data;    //  an SSE data that ends the stream (not JSON), or NULL
    const char *last_record;  //  the record that ends a stream, for errors
    s_body_fn *body;          //  the JSON body of a call
    s_parse_fn *parse;        //  a whole answer
    s_record_fn *record;      //  one stream record (an SSE data or an NDJSON line)
} s_kind_t;

struct _zs_provider_stream_t {
    const s_kind_t *kind;         //  borrowed from the table
    zs_sse_t sse;                 //  framing
    zs_provider_answer_t answer;  //  what came so far
    bool done;                    //  the last record came: the rest is ignored
    zs_error_t error;             //  why the stream failed, once it did
};

static const s_kind_t s_kinds[ZS_PROVIDER_KIND_COUNT];

//  ---- answers -------------------------------------------------------------------------

//  Stop reasons of the three APIs; any other is ZS_PROVIDER_FINISH_OTHER
static const struct {
    const char *reason;           //  as the provider says it
    zs_provider_finish_t finish;  //  what it means
} s_finishes[] = {
    {"stop", ZS_PROVIDER_FINISH_STOP},          {"end_turn", ZS_PROVIDER_FINISH_STOP},
    {"stop_sequence", ZS_PROVIDER_FINISH_STOP}, {"length", ZS_PROVIDER_FINISH_LENGTH},
    {"max_tokens", ZS_PROVIDER_FINISH_LENGTH},
};

void
zs_provider_answer_init(zs_provider_answer_t *self)
{
    assert(self);
    memset(self, 0, sizeof *self);
}

void
zs_provider_answer_fini(zs_provider_answer_t *self)
{
    assert(self);
    free(self->text);
    zs_provider_answer_init(self);
}

static int
s_malformed(zs_error_t *err, const char *what)
{
    zs_error_set(err, ZS_OUTCOME_MALFORMED, "%s", what);
    return ZS_OUTCOME_MALFORMED;
}

static int
s_text_add(zs_provider_answer_t *self, const json_t *text, zs_error_t *err)
{
    size_t size = json_string_length(text);
    if (size == 0) {
        return 0;
    }
    if (size > ZS_PROVIDER_TEXT_MAX - self->text_size) {
        zs_error_set(err, ZS_OUTCOME_MALFORMED, "answer text passes %u bytes",
                     ZS_PROVIDER_TEXT_MAX);
        return ZS_OUTCOME_MALFORMED;
    }
    if (self->text_size + size + 1 > self->text_cap) {
        size_t cap = self->text_cap ? self->text_cap : ZS_PROVIDER_TEXT_MIN;
        while (cap < self->text_size + size + 1) {
            cap *= 2;
        }
        self->text = zs_realloc(self->text, cap);
        self->text_cap = cap;
    }
    memcpy(self->text + self->text_size, json_string_value(text), size);
    self->text_size += size;
    self->text[self->text_size] = '\0';
    return 0;
}

static void
s_reason_set(zs_provider_answer_t *self, const json_t *reason)
{
    const char *word = json_string_value(reason);
    if (!word) {
        return;  //  null until the end, in OpenAI's chunks and Anthropic's message_start
    }
    zs_sanitize_str(self->reason, sizeof self->reason, word);
    self->finish = ZS_PROVIDER_FINISH_OTHER;
    for (size_t i = 0; i < sizeof s_finishes / sizeof s_finishes[0]; i++) {
        if (strcmp(s_finishes[i].reason, word) == 0) {
            self->finish = s_finishes[i].finish;
        }
    }
}

//  A token count: a non-negative integer, else 0; cut to a third of what one call may
//  report (Anthropic's input adds three), so a provider's absurd number can neither
//  wrap a sum nor have the coordinator refuse the report
static uint64_t
s_count(const json_t *object, const char *key)
{
    json_int_t value = json_integer_value(json_object_get(object, key));
    if (value <= 0) {
        return 0;
    }
    return value < ZS_MSG_CALL_TOKENS_MAX / 3 ? (uint64_t) value : ZS_MSG_CALL_TOKENS_MAX / 3;
}

static bool
s_has(const json_t *object, const char *key)
{
    return json_is_integer(json_object_get(object, key));
}

//  ---- bodies: the call's text was checked to be UTF-8, so json_pack cannot fail ------

static json_t *
s_message(const char *role, const char *content)
{
    return json_pack("{s:s, s:s}", "role", role, "content", content);
}

//  Set key to the call's temperature, cut to the API's range, if it has one
static void
s_temperature_set(json_t *object, const zs_provider_call_t *call, double max)
{
    if (!isnan(call->temperature)) {
        double t = call->temperature < 0 ? 0 : fmin(call->temperature, max);
        json_object_set_new(object, "temperature", json_real(t));
    }
}

//  ---- openai --------------------------------------------------------------------------

static json_t *
s_openai_body(const zs_provider_call_t *call)
{
    json_t *messages = json_array();
    if (call->system && *call->system) {
        json_array_append_new(messages, s_message("system", call->system));
    }
    json_array_append_new(messages, s_message("user", call->prompt));
    json_t *body = json_pack("{s:s, s:o, s:I}", "model", call->model, "messages",
                             messages, "max_tokens", (json_int_t) call->max_tokens);
    s_temperature_set(body, call, 2.0);
    if (call->stream) {
        json_object_set_new(body, "stream", json_true());
        json_object_set_new(body, "stream_options",
                            json_pack("{s:b}", "include_usage", 1));
    }
    return body;
}

static void
s_openai_usage(zs_provider_answer_t *answer, const json_t *usage)
{
    if (json_is_object(usage)) {
        answer->tok_in = s_count(usage, "prompt_tokens");
        answer->tok_out = s_count(usage, "completion_tokens");
        answer->usage =
            s_has(usage, "prompt_tokens") && s_has(usage, "completion_tokens");
    }
}

//  An error object where an answer was expected: what it says, else 0
static int
s_error_record(const json_t *root, zs_error_t *err)
{
    const json_t *error = json_object_get(root, "error");
    if (!error || json_is_null(error)) {
        return 0;
    }
    return (int) zs_outcome_of_record(root, err);
}

static int
s_openai_parse(const json_t *root, zs_provider_answer_t *answer, zs_error_t *err)
{
    const json_t *choice = json_array_get(json_object_get(root, "choices"), 0);
    const json_t *message = json_object_get(choice, "message");
    const json_t *content = json_object_get(message, "content");
    if (!json_is_object(message) || !(json_is_string(content) || json_is_null(content))) {
        return s_malformed(err, "answer has no choices[0].message.content");
    }
    s_reason_set(answer, json_object_get(choice, "finish_reason"));
    s_openai_usage(answer, json_object_get(root, "usage"));
    return s_text_add(answer, content, err);
}

static int
s_openai_record(zs_provider_stream_t *self, const json_t *record, zs_error_t *err)
{
    //  The include_usage chunk has no choices; the others have "usage": null
    s_openai_usage(&self->answer, json_object_get(record, "usage"));
    const json_t *choice = json_array_get(json_object_get(record, "choices"), 0);
    if (!choice) {
        return 0;
    }
    s_reason_set(&self->answer, json_object_get(choice, "finish_reason"));
    const json_t *content = json_object_get(json_object_get(choice, "delta"), "content");
    return s_text_add(&self->answer, content, err);
}

//  ---- anthropic -----------------------------------------------------------------------

static json_t *
s_anthropic_body(const zs_provider_call_t *call)
{
    json_t *messages = json_pack("[o]", s_message("user", call->prompt));
    json_t *body = json_pack("{s:s, s:I, s:o}", "model", call->model, "max_tokens",
                             (json_int_t) call->max_tokens, "messages", messages);
    s_temperature_set(body, call, 1.0);  //  Anthropic's range is 0..1
    if (call->system && *call->system) {
        json_object_set_new(body, "system", json_string(call->system));
    }
    if (call->stream) {
        json_object_set_new(body, "stream", json_true());
    }
    return body;
}

//  Anthropic's input is input_tokens plus the cache's reads and writes (usage.py)
static void
s_anthropic_usage(zs_provider_answer_t *answer, const json_t *usage)
{
    if (s_has(usage, "input_tokens")) {
        answer->tok_in = s_count(usage, "input_tokens") +
                         s_count(usage, "cache_creation_input_tokens") +
                         s_count(usage, "cache_read_input_tokens");
    }
    if (s_has(usage, "output_tokens")) {
        answer->tok_out = s_count(usage, "output_tokens");
        answer->usage = true;
    }
}

static int
s_anthropic_block(zs_provider_answer_t *answer, const json_t *block, zs_error_t *err)
{
    const json_t *type = json_object_get(block, "type");
    if (!json_is_string(type) || strcmp(json_string_value(type), "text") != 0) {
        return 0;  //  thinking, tool use and other blocks are no part of the text
    }
    return s_text_add(answer, json_object_get(block, "text"), err);
}

static int
s_anthropic_parse(const json_t *root, zs_provider_answer_t *answer, zs_error_t *err)
{
    const json_t *content = json_object_get(root, "content");
    if (!json_is_array(content)) {
        return s_malformed(err, "answer has no content array");
    }
    size_t i;
    const json_t *block;
    json_array_foreach(content, i, block)
    {
        int code = s_anthropic_block(answer, block, err);
        if (code != 0) {
            return code;
        }
    }
    s_reason_set(answer, json_object_get(root, "stop_reason"));
    s_anthropic_usage(answer, json_object_get(root, "usage"));
    return 0;
}

//  One event by its type (the SSE event name repeats it); unknown ones and ping are
//  ignored, as the streaming guide asks of clients. An error event never gets here: its
//  "error" member made it a failure already (s_on_record).
static int
s_anthropic_record(zs_provider_stream_t *self, const json_t *record, zs_error_t *err)
{
    const char *type = json_string_value(json_object_get(record, "type"));
    zs_provider_answer_t *answer = &self->answer;
    if (!type) {
        return s_malformed(err, "stream event has no type");
    }
    if (strcmp(type, "message_start") == 0) {
        s_anthropic_usage(answer,
                          json_object_get(json_object_get(record, "message"), "usage"));
    } else if (strcmp(type, "content_block_start") == 0) {
        return s_anthropic_block(answer, json_object_get(record, "content_block"), err);
    } else if (strcmp(type, "content_block_delta") == 0) {
        const json_t *delta = json_object_get(record, "delta");
        const char *kind = json_string_value(json_object_get(delta, "type"));
        return kind && strcmp(kind, "text_delta") == 0
                   ? s_text_add(answer, json_object_get(delta, "text"), err)
                   : 0;
    } else if (strcmp(type, "message_delta") == 0) {
        s_reason_set(answer,
                     json_object_get(json_object_get(record, "delta"), "stop_reason"));
        s_anthropic_usage(answer, json_object_get(record, "usage"));
    } else if (strcmp(type, "message_stop") == 0) {
        self->done = true;
    }
    return 0;
}

//  ---- ollama --------------------------------------------------------------------------

static json_t *
s_ollama_body(const zs_provider_call_t *call)
{
    json_t *messages = json_array();
    if (call->system && *call->system) {
        json_array_append_new(messages, s_message("system", call->system));
    }
    json_array_append_new(messages, s_message("user", call->prompt));
    //  Ollama's sampling settings live in options (docs/modelfile: num_predict,
    //  temperature)
    json_t *options = json_pack("{s:I}", "num_predict", (json_int_t) call->max_tokens);
    s_temperature_set(options, call, 2.0);
    return json_pack("{s:s, s:o, s:b, s:o}", "model", call->model, "messages", messages,
                     "stream", call->stream, "options", options);
}

//  A chat response: a whole answer, a stream line, or the stream's last line
static int
s_ollama_line(zs_provider_answer_t *answer, const json_t *root, zs_error_t *err)
{
    const json_t *content = json_object_get(json_object_get(root, "message"), "content");
    if (!json_is_string(content)) {
        return s_malformed(err, "answer has no message.content");
    }
    if (json_is_true(json_object_get(root, "done"))) {
        s_reason_set(answer, json_object_get(root, "done_reason"));
        answer->tok_in = s_count(root, "prompt_eval_count");
        answer->tok_out = s_count(root, "eval_count");
        answer->usage = s_has(root, "prompt_eval_count") && s_has(root, "eval_count");
    }
    return s_text_add(answer, content, err);
}

static int
s_ollama_parse(const json_t *root, zs_provider_answer_t *answer, zs_error_t *err)
{
    if (!json_is_true(json_object_get(root, "done"))) {
        return s_malformed(err, "answer is not done");
    }
    return s_ollama_line(answer, root, err);
}

static int
s_ollama_record(zs_provider_stream_t *self, const json_t *record, zs_error_t *err)
{
    self->done = json_is_true(json_object_get(record, "done"));
    return s_ollama_line(&self->answer, record, err);
}

//  ---- the kinds -----------------------------------------------------------------------

static const s_kind_t s_kinds[ZS_PROVIDER_KIND_COUNT] = {
    [ZS_PROVIDER_OPENAI] =
        {
            .path = "/chat/completions",
            .key_header = "Authorization: Bearer ",
            .framing = ZS_SSE_EVENTS,
            .done_data = "[DONE]",
            .last_record = "data: [DONE]",
            .body = s_openai_body,
            .parse = s_openai_parse,
            .record = s_openai_record,
        },
    [ZS_PROVIDER_ANTHROPIC] =
        {
            .path = "/v1/messages",
            .key_header = "x-api-key: ",
            .version = "anthropic-version: " ZS_PROVIDER_ANTHROPIC_VERSION,
            .framing = ZS_SSE_EVENTS,
            .last_record = "message_stop",
            .body = s_anthropic_body,
            .parse = s_anthropic_parse,
            .record = s_anthropic_record,
        },
    [ZS_PROVIDER_OLLAMA] =
        {
            .path = "/api/chat",
            .key_header = "Authorization: Bearer ",
            .framing = ZS_SSE_LINES,
            .last_record = "done: true",
            .body = s_ollama_body,
            .parse = s_ollama_parse,
            .record = s_ollama_record,
        },
};

//  ---- requests ------------------------------------------------------------------------

static bool
s_url_valid(const char *url, size_t size)
{
    bool http =
        strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
    for (size_t i = 0; http && i < size; i++) {
        unsigned char c = (unsigned char) url[i];
        http = c > ' ' && c < 0x7f && c != '?' && c != '#';
    }
    return http;
}

//  BASE without its trailing slashes, then the kind's path
static int
s_url_build(zs_provider_request_t *self,
            const zs_provider_call_t *call,
            const s_kind_t *kind,
            zs_error_t *err)
{
    size_t size = strlen(call->url);
    while (size > 0 && call->url[size - 1] == '/') {
        size--;
    }
    if (size + strlen(kind->path) > ZS_PROVIDER_URL_MAX ||
        !s_url_valid(call->url, size)) {
        return zs_error_set(err, ZS_PROVIDER_E_URL,
                            "base url must be http:// or https://, printable, without ? "
                            "or #, at most %d bytes with '%s'",
                            ZS_PROVIDER_URL_MAX, kind->path);
    }
    self->url = zs_malloc(size + strlen(kind->path) + 1);
    memcpy(self->url, call->url, size);
    strcpy(self->url + size, kind->path);
    return 0;
}

//  A key goes into a header line as is: printable ASCII without spaces, so it can
//  neither break the line nor hide in it
static bool
s_key_valid(const char *key)
{
    size_t size = strlen(key);
    for (size_t i = 0; i < size; i++) {
        if (key[i] <= ' ' || key[i] >= 0x7f) {
            return false;
        }
    }
    return size <= ZS_PROVIDER_KEY_MAX;
}

static int
s_headers_build(zs_provider_request_t *self,
                const zs_provider_call_t *call,
                const s_kind_t *kind,
                zs_error_t *err)
{
    size_t count = 0;
    self->headers[count++] = zs_strdup("Content-Type: application/json");
    if (kind->version) {
        self->headers[count++] = zs_strdup(kind->version);
    }
    if (call->key && *call->key) {
        if (!s_key_valid(call->key)) {
            return zs_error_set(err, ZS_PROVIDER_E_KEY,
                                "the key is not printable ASCII without spaces of at "
                                "most %d bytes",
                                ZS_PROVIDER_KEY_MAX);
        }
        size_t size = strlen(kind->key_header) + strlen(call->key) + 1;
        self->headers[count] = zs_malloc(size);
        snprintf(self->headers[count], size, "%s%s", kind->key_header, call->key);
    }
    return 0;
}

static bool
s_text_valid(const char *text)
{
    return !text || zs_msgval_text_fault(text, strlen(text)) == SIZE_MAX;
}

static int
s_call_check(const zs_provider_call_t *call, zs_error_t *err)
{
    if (!call->prompt || !*call->prompt) {
        return zs_error_set(err, ZS_PROVIDER_E_CALL, "the prompt is empty");
    }
    //  json_pack refuses what is not UTF-8: checked here, so building cannot fail
    if (!s_text_valid(call->model) || !s_text_valid(call->system) ||
        !s_text_valid(call->prompt)) {
        return zs_error_set(err, ZS_PROVIDER_E_CALL,
                            "model, system or prompt is not UTF-8 text");
    }
    if (call->max_tokens < 1 || call->max_tokens > ZS_PROVIDER_TOKENS_MAX) {
        return zs_error_set(err, ZS_PROVIDER_E_CALL, "max_tokens %llu is not in 1..%d",
                            (unsigned long long) call->max_tokens,
                            ZS_PROVIDER_TOKENS_MAX);
    }
    return 0;
}

static void
s_body_build(zs_provider_request_t *self,
             const zs_provider_call_t *call,
             const s_kind_t *kind)
{
    json_t *body = kind->body(call);
    assert(body);  //  the text was checked, so only OOM fails, and jansson aborts then
    self->body =
        json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(ZS_PROVIDER_REAL_DIGITS));
    json_decref(body);
    assert(self->body);
    self->body_size = strlen(self->body);
}

int
zs_provider_request_init(zs_provider_request_t *self,
                         const zs_provider_call_t *call,
                         zs_error_t *err)
{
    assert(self);
    assert(call);
    assert(call->kind < ZS_PROVIDER_KIND_COUNT);
    assert(call->url && call->model);
    memset(self, 0, sizeof *self);
    const s_kind_t *kind = &s_kinds[call->kind];
    if (s_call_check(call, err) != 0 || s_url_build(self, call, kind, err) != 0 ||
        s_headers_build(self, call, kind, err) != 0) {
        zs_provider_request_fini(self);
        return -1;
    }
    s_body_build(self, call, kind);
    return 0;
}

void
zs_provider_request_fini(zs_provider_request_t *self)
{
    assert(self);
    for (size_t i = 0; i < ZS_PROVIDER_HEADERS_MAX; i++) {
        if (self->headers[i]) {
            explicit_bzero(self->headers[i], strlen(self->headers[i]));
            free(self->headers[i]);
            self->headers[i] = NULL;
        }
    }
    free(self->url);
    free(self->body);
    self->url = self->body = NULL;
    self->body_size = 0;
}

//  ---- whole answers -------------------------------------------------------------------

//  Parse size bytes of JSON (an object) or fill err
static json_t *
s_json(const char *data, size_t size, const char *what, zs_error_t *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(data, size, 0, &jerr);
    if (!root || !json_is_object(root)) {
        char sample[ZS_OUTCOME_SAMPLE_MAX];
        zs_sanitize_str(sample, sizeof sample, root ? "not an object" : jerr.text);
        zs_error_set(err, ZS_OUTCOME_MALFORMED, "%s is not a JSON object: %s", what,
                     sample);
        json_decref(root);
        return NULL;
    }
    return root;
}

int
zs_provider_parse(zs_provider_kind_t kind,
                  const char *body,
                  size_t size,
                  zs_provider_answer_t *answer,
                  zs_error_t *err)
{
    assert(kind < ZS_PROVIDER_KIND_COUNT);
    assert(body || size == 0);
    assert(answer);
    if (size > ZS_PROVIDER_BODY_MAX) {
        zs_error_set(err, ZS_OUTCOME_MALFORMED, "answer of %zu bytes passes %u", size,
                     ZS_PROVIDER_BODY_MAX);
        return ZS_OUTCOME_MALFORMED;
    }
    json_t *root = s_json(body ? body : "", size, "answer", err);
    if (!root) {
        return ZS_OUTCOME_MALFORMED;
    }
    int code = s_error_record(root, err);
    if (code == 0) {
        code = s_kinds[kind].parse(root, answer, err);
    }
    json_decref(root);
    return code;
}

//  ---- streams -------------------------------------------------------------------------

static bool
s_is(const char *data, size_t size, const char *word)
{
    return word && size == strlen(word) && memcmp(data, word, size) == 0;
}

//  One SSE event's data or one NDJSON line
static int
s_on_record(void *arg, const char *event, const char *data, size_t size)
{
    zs_provider_stream_t *self = arg;
    if (self->done) {
        return 0;  //  what follows the last record is no part of the answer
    }
    if (s_is(data, size, self->kind->done_data)) {
        self->done = true;
        return 0;
    }
    json_t *record = s_json(data, size, "stream record", &self->error);
    if (!record) {
        return ZS_OUTCOME_MALFORMED;
    }
    int code = s_error_record(record, &self->error);
    if (code == 0) {
        code = self->kind->record(self, record, &self->error);
    }
    json_decref(record);
    return code;
}

zs_provider_stream_t *
zs_provider_stream_new(zs_provider_kind_t kind)
{
    assert(kind < ZS_PROVIDER_KIND_COUNT);
    zs_provider_stream_t *self = zs_calloc(1, sizeof *self);
    self->kind = &s_kinds[kind];
    zs_sse_init(&self->sse, self->kind->framing, ZS_PROVIDER_LINE_MAX, s_on_record, self);
    zs_provider_answer_init(&self->answer);
    zs_error_init(&self->error);
    return self;
}

void
zs_provider_stream_destroy(zs_provider_stream_t **self_p)
{
    assert(self_p);
    zs_provider_stream_t *self = *self_p;
    if (self) {
        zs_sse_fini(&self->sse);
        zs_provider_answer_fini(&self->answer);
        free(self);
        *self_p = NULL;
    }
}

//  What a framing code means for the caller
static int
s_stream_code(zs_provider_stream_t *self, int code, zs_error_t *err)
{
    if (code == ZS_SSE_E_TOO_LONG) {
        zs_error_set(&self->error, ZS_OUTCOME_MALFORMED, "stream line passes %u bytes",
                     ZS_PROVIDER_LINE_MAX);
        code = ZS_OUTCOME_MALFORMED;
    }
    if (code != 0 && err) {
        *err = self->error;
    }
    return code;
}

int
zs_provider_stream_feed(zs_provider_stream_t *self,
                        const void *data,
                        size_t size,
                        zs_error_t *err)
{
    assert(self);
    return s_stream_code(self, zs_sse_feed(&self->sse, data, size), err);
}

int
zs_provider_stream_end(zs_provider_stream_t *self, zs_error_t *err)
{
    assert(self);
    int code = zs_sse_end(&self->sse);
    if (code == 0 && !self->done) {
        zs_error_set(&self->error, ZS_OUTCOME_MALFORMED,
                     "stream ended before its last record (%s)", self->kind->last_record);
        code = ZS_OUTCOME_MALFORMED;
    }
    return s_stream_code(self, code, err);
}

const zs_provider_answer_t *
zs_provider_stream_answer(const zs_provider_stream_t *self)
{
    assert(self);
    return &self->answer;
}
