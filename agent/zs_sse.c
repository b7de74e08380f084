//  zs_sse - see zs_sse.h

#include "agent/zs_sse.h"
#include "common/zs_util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define ZS_SSE_BUF_MIN 256  //  first allocation of a line or data buffer

void
zs_sse_init(zs_sse_t *self, zs_sse_mode_t mode, size_t max, zs_sse_fn *fn, void *arg)
{
    assert(self);
    assert(max > 0);
    assert(fn);
    memset(self, 0, sizeof *self);
    self->mode = mode;
    self->max = max;
    self->fn = fn;
    self->arg = arg;
}

void
zs_sse_fini(zs_sse_t *self)
{
    assert(self);
    free(self->line);
    free(self->data);
    self->line = self->data = NULL;
    self->line_size = self->line_cap = self->data_size = self->data_cap = 0;
}

//  Room for need bytes and a NUL in *buf; need is within the bound, checked before
static void
s_reserve(char **buf, size_t *cap, size_t need)
{
    if (need + 1 > *cap) {
        size_t grown = *cap ? *cap : ZS_SSE_BUF_MIN;
        while (grown < need + 1) {
            grown *= 2;
        }
        *buf = zs_realloc(*buf, grown);
        *cap = grown;
    }
}

static int
s_stop(zs_sse_t *self, int code)
{
    self->code = code;
    return code;
}

//  ---- server-sent events --------------------------------------------------------------

static int
s_dispatch(zs_sse_t *self)
{
    int code = 0;
    if (self->has_data) {
        s_reserve(&self->data, &self->data_cap, self->data_size);
        self->data[self->data_size] = '\0';
        code = self->fn(self->arg, self->event, self->data, self->data_size);
    }
    self->data_size = 0;
    self->has_data = false;
    self->event[0] = '\0';
    return code;
}

static int
s_data_add(zs_sse_t *self, const char *value, size_t size)
{
    size_t join = self->has_data ? 1 : 0;
    if (size + join > self->max - self->data_size) {
        return ZS_SSE_E_TOO_LONG;
    }
    s_reserve(&self->data, &self->data_cap, self->data_size + join + size);
    if (join) {
        self->data[self->data_size++] = '\n';
    }
    memcpy(self->data + self->data_size, value, size);
    self->data_size += size;
    self->has_data = true;
    return 0;
}

//  One complete line of an event stream
static int
s_event_line(zs_sse_t *self, const char *line, size_t size)
{
    if (size == 0) {
        return s_dispatch(self);
    }
    if (line[0] == ':') {
        return 0;  //  a comment: servers send them to keep a connection alive
    }
    const char *colon = memchr(line, ':', size);
    size_t name = colon ? (size_t) (colon - line) : size;
    const char *value = colon ? colon + 1 : line + size;
    size_t value_size = size - (size_t) (value - line);
    if (value_size > 0 && value[0] == ' ') {
        value++;
        value_size--;
    }
    if (name == 4 && memcmp(line, "data", 4) == 0) {
        return s_data_add(self, value, value_size);
    }
    if (name == 5 && memcmp(line, "event", 5) == 0) {
        size_t keep =
            value_size < sizeof self->event ? value_size : sizeof self->event - 1;
        memcpy(self->event, value, keep);
        self->event[keep] = '\0';
    }
    return 0;
}

//  ---- lines ---------------------------------------------------------------------------

static bool
s_blank(const char *line, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        if (line[i] != ' ' && line[i] != '\t') {
            return false;
        }
    }
    return true;
}

static int
s_record_line(zs_sse_t *self, char *line, size_t size)
{
    if (size > 0 && line[size - 1] == '\r') {
        size--;
    }
    if (s_blank(line, size)) {
        return 0;
    }
    line[size] = '\0';
    return self->fn(self->arg, "", line, size);
}

//  ---- feeding -------------------------------------------------------------------------

static int
s_line_done(zs_sse_t *self)
{
    s_reserve(&self->line, &self->line_cap, self->line_size);
    size_t size = self->line_size;
    self->line_size = 0;
    return self->mode == ZS_SSE_EVENTS ? s_event_line(self, self->line, size)
                                       : s_record_line(self, self->line, size);
}

//  Where the line in bytes[0..size) ends: its CR or LF, or size when it goes on
static size_t
s_line_end(const zs_sse_t *self, const char *bytes, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        if (bytes[i] == '\n' || (bytes[i] == '\r' && self->mode == ZS_SSE_EVENTS)) {
            return i;
        }
    }
    return size;
}

int
zs_sse_feed(zs_sse_t *self, const void *data, size_t size)
{
    assert(self);
    assert(data || size == 0);
    const char *bytes = data;
    size_t at = 0;
    while (self->code == 0 && at < size) {
        if (self->skip_lf) {
            self->skip_lf = false;
            at += bytes[at] == '\n';
            continue;
        }
        size_t end = at + s_line_end(self, bytes + at, size - at);
        if (end - at > self->max - self->line_size) {
            return s_stop(self, ZS_SSE_E_TOO_LONG);
        }
        s_reserve(&self->line, &self->line_cap, self->line_size + (end - at));
        memcpy(self->line + self->line_size, bytes + at, end - at);
        self->line_size += end - at;
        if (end < size) {
            self->skip_lf = bytes[end] == '\r';
            int code = s_line_done(self);
            if (code != 0) {
                return s_stop(self, code);
            }
        }
        at = end + 1;
    }
    return self->code;
}

int
zs_sse_end(zs_sse_t *self)
{
    assert(self);
    if (self->code == 0 && self->line_size > 0) {
        self->code = s_line_done(self);
    }
    if (self->code == 0 && self->mode == ZS_SSE_EVENTS) {
        self->code = s_dispatch(self);
    }
    return self->code;
}
