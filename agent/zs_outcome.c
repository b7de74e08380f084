//  zs_outcome - see zs_outcome.h

#include "agent/zs_outcome.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ZS_OUTCOME_WORD_MAX   64   //  bytes of an error type or code quoted in a why
#define ZS_OUTCOME_HEADER_MAX 128  //  bytes of a retry header's value worth reading

//  Statuses by range, first match wins. 402 (Anthropic's billing_error) and 403 leave
//  the provider unusable as 401 does; 409 is a lock timeout the SDKs retry; 413 is a
//  request too large for this provider, which another may take.
static const struct {
    long low, high;        //  the range, inclusive
    zs_outcome_t outcome;  //  what it means
} s_statuses[] = {
    {401, 403, ZS_OUTCOME_AUTH},       {408, 408, ZS_OUTCOME_TIMEOUT},
    {409, 409, ZS_OUTCOME_SERVER},     {413, 413, ZS_OUTCOME_CONTEXT},
    {429, 429, ZS_OUTCOME_RATE_LIMIT}, {503, 503, ZS_OUTCOME_OVERLOADED},
    {529, 529, ZS_OUTCOME_OVERLOADED}, {504, 504, ZS_OUTCOME_TIMEOUT},
    {500, 599, ZS_OUTCOME_SERVER},     {400, 499, ZS_OUTCOME_BAD_REQUEST},
};

//  Error types and codes of the providers' bodies (Anthropic's ErrorType; OpenAI's
//  error codes guide; llama.cpp's server) and what they mean
static const struct {
    const char *word;      //  an error's type or code
    zs_outcome_t outcome;  //  what it means
} s_words[] = {
    {"context_length_exceeded", ZS_OUTCOME_CONTEXT},
    {"exceed_context_size_error", ZS_OUTCOME_CONTEXT},
    {"request_too_large", ZS_OUTCOME_CONTEXT},
    {"overloaded_error", ZS_OUTCOME_OVERLOADED},
    {"server_is_overloaded", ZS_OUTCOME_OVERLOADED},
    {"insufficient_quota", ZS_OUTCOME_AUTH},
    {"billing_error", ZS_OUTCOME_AUTH},
    {"authentication_error", ZS_OUTCOME_AUTH},
    {"permission_error", ZS_OUTCOME_AUTH},
    {"invalid_api_key", ZS_OUTCOME_AUTH},
    {"rate_limit_error", ZS_OUTCOME_RATE_LIMIT},
    {"rate_limit_exceeded", ZS_OUTCOME_RATE_LIMIT},
    {"timeout_error", ZS_OUTCOME_TIMEOUT},
    {"invalid_request_error", ZS_OUTCOME_BAD_REQUEST},
    {"not_found_error", ZS_OUTCOME_BAD_REQUEST},
    {"model_not_found", ZS_OUTCOME_BAD_REQUEST},
    {"api_error", ZS_OUTCOME_SERVER},
    {"server_error", ZS_OUTCOME_SERVER},
};

//  Phrases of messages that say the prompt does not fit: OpenAI and vLLM ("maximum
//  context length"), llama.cpp ("available context size"), Ollama ("the input length
//  exceeds the context length"), Anthropic ("prompt is too long")
static const char *const s_context_phrases[] = {
    "context length",
    "context size",
    "context window",
    "prompt is too long",
};

//  What an error body says, each NULL when absent; pointers borrowed from the JSON
typedef struct {
    const char *type;     //  error.type
    const char *code;     //  error.code when a string
    const char *message;  //  error.message, or error itself when a string
} s_fields_t;

//  ---- reading an error body -----------------------------------------------------------

static const char *
s_string(const json_t *object, const char *key)
{
    return json_string_value(json_object_get(object, key));
}

static s_fields_t
s_fields(const json_t *body)
{
    s_fields_t fields = {NULL, NULL, NULL};
    const json_t *error = json_object_get(body, "error");
    if (json_is_string(error)) {
        fields.message = json_string_value(error);
    } else {
        const json_t *from = json_is_object(error) ? error : body;
        fields.type = s_string(from, "type");
        fields.code = s_string(from, "code");
        fields.message = s_string(from, "message");
    }
    //  Anthropic's envelope is {"type": "error", "error": {...}}: "error" is no type
    if (fields.type && strcmp(fields.type, "error") == 0) {
        fields.type = NULL;
    }
    return fields;
}

static zs_outcome_t
s_word_outcome(const char *word)
{
    for (size_t i = 0; word && i < sizeof s_words / sizeof s_words[0]; i++) {
        if (strcmp(s_words[i].word, word) == 0) {
            return s_words[i].outcome;
        }
    }
    return ZS_OUTCOME_COUNT;
}

static bool
s_says_context(const char *message)
{
    for (size_t i = 0;
         message && i < sizeof s_context_phrases / sizeof *s_context_phrases; i++) {
        if (strcasestr(message, s_context_phrases[i])) {
            return true;
        }
    }
    return false;
}

//  What the body's words say on their own: code first (the more precise), then type,
//  then the message's phrases; ZS_OUTCOME_COUNT when it says nothing known
static zs_outcome_t
s_body_outcome(const s_fields_t *fields)
{
    zs_outcome_t outcome = s_word_outcome(fields->code);
    if (outcome == ZS_OUTCOME_COUNT || outcome == ZS_OUTCOME_BAD_REQUEST) {
        zs_outcome_t by_type = s_word_outcome(fields->type);
        outcome = by_type != ZS_OUTCOME_COUNT ? by_type : outcome;
    }
    bool vague = outcome == ZS_OUTCOME_COUNT || outcome == ZS_OUTCOME_BAD_REQUEST ||
                 outcome == ZS_OUTCOME_SERVER;
    return vague && s_says_context(fields->message) ? ZS_OUTCOME_CONTEXT : outcome;
}

static zs_outcome_t
s_status_outcome(long status)
{
    for (size_t i = 0; i < sizeof s_statuses / sizeof s_statuses[0]; i++) {
        if (status >= s_statuses[i].low && status <= s_statuses[i].high) {
            return s_statuses[i].outcome;
        }
    }
    //  1xx and 3xx are no API's answer: the base URL points at something else
    return ZS_OUTCOME_BAD_REQUEST;
}

//  The status decides, but for the few cases where the body knows better
static zs_outcome_t
s_refine(zs_outcome_t by_status, zs_outcome_t by_body)
{
    bool body_knows = by_body == ZS_OUTCOME_CONTEXT || by_body == ZS_OUTCOME_OVERLOADED ||
                      by_body == ZS_OUTCOME_AUTH;
    bool status_vague =
        by_status == ZS_OUTCOME_BAD_REQUEST || by_status == ZS_OUTCOME_SERVER ||
        (by_status == ZS_OUTCOME_RATE_LIMIT && by_body == ZS_OUTCOME_AUTH);
    return body_knows && status_vague ? by_body : by_status;
}

//  ---- the why -------------------------------------------------------------------------

//  "PREFIX TYPE/CODE: MESSAGE", the message left out for auth, the raw body's sample
//  when it was no JSON
static void
s_why(zs_error_t *err,
      zs_outcome_t outcome,
      const char *prefix,
      const s_fields_t *fields,
      const char *raw,
      size_t raw_size)
{
    char word[ZS_OUTCOME_WORD_MAX] = "";
    const char *name = fields->type ? fields->type : fields->code;
    if (name) {
        zs_sanitize_str(word, sizeof word, name);
    }
    char sample[ZS_OUTCOME_SAMPLE_MAX] = "";
    if (outcome == ZS_OUTCOME_AUTH) {
        snprintf(sample, sizeof sample,
                 "(the provider's message is not shown: it may "
                 "quote the key)");
    } else if (fields->message) {
        zs_sanitize_str(sample, sizeof sample, fields->message);
    } else if (raw_size > 0) {
        zs_sanitize(sample, sizeof sample, raw, raw_size);
    }
    zs_error_set(err, (int) outcome, "%s%s%s%s%s", prefix, word[0] ? " " : "", word,
                 sample[0] ? ": " : "", sample);
}

zs_outcome_t
zs_outcome_classify(long status, const char *body, size_t size, zs_error_t *err)
{
    assert(body || size == 0);
    json_t *root = size ? json_loadb(body, size, 0, NULL) : NULL;
    s_fields_t fields = s_fields(root);
    zs_outcome_t outcome = s_refine(s_status_outcome(status), s_body_outcome(&fields));
    char prefix[32];
    snprintf(prefix, sizeof prefix, "http %ld", status);
    s_why(err, outcome, prefix, &fields, root ? NULL : body, root ? 0 : size);
    json_decref(root);
    return outcome;
}

zs_outcome_t
zs_outcome_of_record(const json_t *record, zs_error_t *err)
{
    assert(record);
    s_fields_t fields = s_fields(record);
    zs_outcome_t outcome = s_body_outcome(&fields);
    outcome = outcome == ZS_OUTCOME_COUNT ? ZS_OUTCOME_SERVER : outcome;
    s_why(err, outcome, "stream error", &fields, NULL, 0);
    return outcome;
}

//  ---- retry headers -------------------------------------------------------------------

void
zs_outcome_hints_init(zs_outcome_hints_t *self)
{
    assert(self);
    self->ms = -1;
    self->after = -1;
}

static int64_t
s_bounded_ms(double ms)
{
    if (!isfinite(ms) || ms < 0) {
        return -1;
    }
    return ms > ZS_OUTCOME_RETRY_MAX_MS ? ZS_OUTCOME_RETRY_MAX_MS : (int64_t) ceil(ms);
}

//  A whole number of the text, or NAN
static double
s_number(const char *text)
{
    char *end = NULL;
    double value = strtod(text, &end);
    return end != text && *end == '\0' ? value : (double) NAN;
}

//  Retry-After: seconds (a float is accepted, as the SDKs do) or an IMF-fixdate
static int64_t
s_retry_after(const char *value, int64_t now_ms)
{
    double seconds = s_number(value);
    if (!isnan(seconds)) {
        return s_bounded_ms(seconds * 1000.0);
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end != '\0') {
        return -1;
    }
    double delta = (double) timegm(&tm) * 1000.0 - (double) now_ms;
    return s_bounded_ms(delta < 0 ? 0 : delta);
}

void
zs_outcome_hints_header(zs_outcome_hints_t *self,
                        const char *line,
                        size_t size,
                        int64_t now_ms)
{
    assert(self);
    assert(line || size == 0);
    const char *colon = memchr(line, ':', size);
    if (!colon) {
        return;
    }
    size_t name = (size_t) (colon - line);
    size_t at = name + 1;
    while (at < size && (line[at] == ' ' || line[at] == '\t')) {
        at++;
    }
    size_t end = size;
    while (end > at && strchr(" \t\r\n", line[end - 1])) {
        end--;
    }
    if (end - at >= ZS_OUTCOME_HEADER_MAX) {
        return;
    }
    char value[ZS_OUTCOME_HEADER_MAX];
    memcpy(value, line + at, end - at);
    value[end - at] = '\0';
    if (name == strlen("retry-after-ms") &&
        strncasecmp(line, "retry-after-ms", name) == 0) {
        self->ms = s_bounded_ms(s_number(value));
    } else if (name == strlen("retry-after") &&
               strncasecmp(line, "retry-after", name) == 0) {
        self->after = s_retry_after(value, now_ms);
    }
}

int64_t
zs_outcome_hints_retry(const zs_outcome_hints_t *self)
{
    assert(self);
    return self->ms >= 0 ? self->ms : self->after;
}
