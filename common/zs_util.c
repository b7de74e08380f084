//  zs_util - see zs_util.h

#include "common/zs_util.h"

#include <czmq.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZS_RATELIMIT_BURST   10.0  //  log lines allowed at once
#define ZS_RATELIMIT_PER_SEC 1.0   //  refill rate, lines per second

static void
s_oom(size_t size)
{
    fprintf(stderr, "zswarm: out of memory allocating %zu bytes\n", size);
    abort();
}

void *
zs_malloc(size_t size)
{
    void *ptr = malloc(size ? size : 1);
    if (!ptr) {
        s_oom(size);
    }
    return ptr;
}

void *
zs_calloc(size_t count, size_t size)
{
    void *ptr = calloc(count ? count : 1, size ? size : 1);
    if (!ptr) {
        s_oom(count * size);
    }
    return ptr;
}

void *
zs_realloc(void *ptr, size_t size)
{
    void *grown = realloc(ptr, size ? size : 1);
    if (!grown) {
        s_oom(size);
    }
    return grown;
}

char *
zs_strdup(const char *str)
{
    return zs_strndup(str, strlen(str));
}

char *
zs_strndup(const char *str, size_t size)
{
    size_t len = strnlen(str, size);
    char *copy = zs_malloc(len + 1);
    memcpy(copy, str, len);
    copy[len] = '\0';
    return copy;
}

char **
zs_strings_copy(const char *const *strings, size_t count)
{
    if (count == 0) {
        return NULL;
    }
    char **copy = zs_calloc(count + 1, sizeof *copy);
    for (size_t i = 0; i < count; i++) {
        copy[i] = zs_strdup(strings[i]);
    }
    return copy;
}

void
zs_strings_free(char **strings, size_t count)
{
    for (size_t i = 0; strings && i < count; i++) {
        free(strings[i]);
    }
    free(strings);
}

void
zs_error_init(zs_error_t *err)
{
    err->code = 0;
    err->text[0] = '\0';
}

int
zs_error_set(zs_error_t *err, int code, const char *format, ...)
{
    if (err) {
        va_list args;
        va_start(args, format);
        vsnprintf(err->text, sizeof err->text, format, args);
        va_end(args);
        err->code = code;
    }
    return -1;
}

void
zs_utf8_trim(char *text)
{
    size_t len = strlen(text);
    //  Walk back over continuation bytes to the last lead byte, at most 3
    size_t lead = len;
    while (lead > 0 && len - lead < 4 &&
           ((unsigned char) text[lead - 1] & 0xc0) == 0x80) {
        lead--;
    }
    if (lead == 0) {
        return;
    }
    unsigned char byte = (unsigned char) text[lead - 1];
    size_t need = byte < 0x80    ? 1
                  : byte >= 0xf0 ? 4
                  : byte >= 0xe0 ? 3
                  : byte >= 0xc0 ? 2
                                 : 1;
    if (len - (lead - 1) < need) {
        text[lead - 1] = '\0';
    }
}

int
zs_parse_int(const char *text, int64_t min, int64_t max, int64_t *value)
{
    if (!text || !*text) {
        return -1;
    }
    char *end = NULL;
    errno = 0;
    long long parsed = strtoll(text, &end, 10);
    if (errno || *end != '\0' || parsed < min || parsed > max) {
        return -1;
    }
    *value = parsed;
    return 0;
}

bool
zs_ratelimit_allow(zs_ratelimit_t *self, uint64_t *suppressed_p)
{
    int64_t now = zclock_mono();
    if (self->last_ms == 0) {
        self->tokens = ZS_RATELIMIT_BURST;
    } else {
        self->tokens += (double) (now - self->last_ms) / 1000.0 * ZS_RATELIMIT_PER_SEC;
        if (self->tokens > ZS_RATELIMIT_BURST) {
            self->tokens = ZS_RATELIMIT_BURST;
        }
    }
    self->last_ms = now;
    if (self->tokens < 1.0) {
        self->suppressed++;
        return false;
    }
    self->tokens -= 1.0;
    if (suppressed_p) {
        *suppressed_p = self->suppressed;
    }
    self->suppressed = 0;
    return true;
}

void
zs_sanitize(char *dest, size_t dest_size, const void *data, size_t size)
{
    const unsigned char *bytes = data;
    size_t at = 0;
    for (size_t i = 0; i < size; i++) {
        char piece[5];
        int len = bytes[i] >= 0x20 && bytes[i] < 0x7f
                      ? snprintf(piece, sizeof piece, "%c", bytes[i])
                      : snprintf(piece, sizeof piece, "\\x%02x", bytes[i]);
        if (at + (size_t) len + 4 > dest_size) {
            snprintf(dest + at, dest_size - at, "...");
            return;
        }
        memcpy(dest + at, piece, (size_t) len);
        at += (size_t) len;
    }
    dest[at] = '\0';
}

const char *
zs_sanitize_str(char *dest, size_t dest_size, const char *text)
{
    zs_sanitize(dest, dest_size, text, text ? strlen(text) : 0);
    return dest;
}

bool
zs_log_init(const char *ident)
{
    zsys_set_logident(ident);
    zsys_set_logstream(stderr);
    //  czmq 4.2.1 has no log level: debug output is gated by the caller on this flag
    const char *wanted = getenv("ZSWARM_LOG");
    return wanted && streq(wanted, "debug");
}

int
zs_usage_error(const char *program, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "%s: ", program);
    vfprintf(stderr, format, args);
    va_end(args);
    fprintf(stderr, "\ntry '%s --help'\n", program);
    return ZS_EXIT_USAGE;
}
