//  zs_call - see zs_call.h

#include "agent/zs_call.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ZS_CALL_BODY_MIN 4096  //  first allocation of a body

struct _zs_call_t {
    zs_provider_kind_t kind;       //  the API
    zs_provider_stream_t *stream;  //  owned: ZS_CALL_STREAM's parser
    zs_provider_answer_t answer;   //  a whole answer once parsed
    zs_outcome_hints_t hints;      //  retry headers
    long status;                   //  the answer's status, 0 until known
    char *body;                    //  owned: a whole answer or an error body
    size_t body_size;              //  its length
    size_t body_cap;               //  bytes allocated for it
    bool cut;                      //  the error body was cut at its bound
    int failed;                    //  an outcome found while reading, 0: none
    zs_error_t failure;            //  why
};

static bool
s_status_ok(long status)
{
    return status >= 200 && status <= 299;
}

zs_call_t *
zs_call_new(zs_provider_kind_t kind, zs_call_mode_t mode)
{
    assert(kind < ZS_PROVIDER_KIND_COUNT);
    zs_call_t *self = zs_calloc(1, sizeof *self);
    self->kind = kind;
    self->stream = mode == ZS_CALL_STREAM ? zs_provider_stream_new(kind) : NULL;
    zs_provider_answer_init(&self->answer);
    zs_outcome_hints_init(&self->hints);
    zs_error_init(&self->failure);
    return self;
}

void
zs_call_destroy(zs_call_t **self_p)
{
    assert(self_p);
    zs_call_t *self = *self_p;
    if (self) {
        zs_provider_stream_destroy(&self->stream);
        zs_provider_answer_fini(&self->answer);
        free(self->body);
        free(self);
        *self_p = NULL;
    }
}

void
zs_call_header(zs_call_t *self, const char *line, size_t size, int64_t now_ms)
{
    assert(self);
    assert(line || size == 0);
    if (size >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        zs_outcome_hints_init(&self->hints);
    } else {
        zs_outcome_hints_header(&self->hints, line, size, now_ms);
    }
}

//  Keep body bytes within the bound of a whole answer, or of an error body
static int
s_body_add(zs_call_t *self, const void *data, size_t size)
{
    size_t max =
        s_status_ok(self->status) ? ZS_PROVIDER_BODY_MAX : ZS_CALL_ERROR_BODY_MAX;
    if (size > max - self->body_size) {
        if (s_status_ok(self->status)) {
            zs_error_set(&self->failure, ZS_OUTCOME_MALFORMED, "answer passes %zu bytes",
                         max);
            self->failed = ZS_OUTCOME_MALFORMED;
            return -1;
        }
        size = max - self->body_size;
        self->cut = true;
    }
    //  Doubled up to the bound, not grown by each piece: an 8 MiB answer comes in
    //  hundreds of pieces, and copying it whole for each one stalls the agent's loop
    if (self->body_size + size + 1 > self->body_cap) {
        size_t cap = self->body_cap ? self->body_cap : ZS_CALL_BODY_MIN;
        while (cap < self->body_size + size + 1) {
            cap *= 2;
        }
        self->body_cap = cap < max + 1 ? cap : max + 1;
        self->body = zs_realloc(self->body, self->body_cap);
    }
    if (size) {
        memcpy(self->body + self->body_size, data, size);
    }
    self->body_size += size;
    self->body[self->body_size] = '\0';
    return self->cut ? -1 : 0;
}

int
zs_call_data(zs_call_t *self, long status, const void *data, size_t size)
{
    assert(self);
    assert(data || size == 0);
    if (self->failed || self->cut) {
        return -1;
    }
    self->status = status;
    if (!self->stream || !s_status_ok(status)) {
        return s_body_add(self, data, size);
    }
    self->failed = zs_provider_stream_feed(self->stream, data, size, &self->failure);
    return self->failed ? -1 : 0;
}

int
zs_call_end(
    zs_call_t *self, long status, zs_outcome_t outcome, const char *why, zs_error_t *err)
{
    assert(self);
    assert(outcome < ZS_OUTCOME_COUNT);
    assert(err);
    self->status = status ? status : self->status;
    if (self->failed) {
        *err = self->failure;
        return self->failed;
    }
    //  A transport that stopped because the error body was cut failed by our doing
    if (outcome != ZS_OUTCOME_OK && !self->cut) {
        zs_error_set(err, (int) outcome, "%s", why ? why : zs_vocab_outcome(outcome));
        return (int) outcome;
    }
    if (!s_status_ok(self->status)) {
        return (int) zs_outcome_classify(self->status, self->body, self->body_size, err);
    }
    if (self->stream) {
        return zs_provider_stream_end(self->stream, err);
    }
    return zs_provider_parse(self->kind, self->body, self->body_size, &self->answer, err);
}

const zs_provider_answer_t *
zs_call_answer(const zs_call_t *self)
{
    assert(self);
    return self->stream && s_status_ok(self->status)
               ? zs_provider_stream_answer(self->stream)
               : &self->answer;
}

long
zs_call_status(const zs_call_t *self)
{
    assert(self);
    return self->status;
}

int64_t
zs_call_retry(const zs_call_t *self)
{
    assert(self);
    return zs_outcome_hints_retry(&self->hints);
}

void
zs_call_tokens(const zs_call_t *self,
               int code,
               uint64_t est_in,
               uint64_t bytes_per_token,
               uint64_t *in,
               uint64_t *out)
{
    assert(self);
    assert(bytes_per_token > 0);
    assert(in && out);
    const zs_provider_answer_t *answer = zs_call_answer(self);
    if (answer->usage) {
        *in = answer->tok_in;
        *out = answer->tok_out;
    } else {
        *in = code == 0 ? est_in : 0;
        *out =
            code == 0 ? (answer->text_size + bytes_per_token - 1) / bytes_per_token : 0;
    }
}
