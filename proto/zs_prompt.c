//  zs_prompt - see zs_prompt.h

#include "proto/zs_prompt.h"
#include "proto/zs_msg.h"
#include "proto/zs_msgval.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZS_PROMPT_SAMPLE_MAX 80  //  bytes of a bad placeholder quoted in an error

#define S_OPEN   "{{"
#define S_CLOSE  "}}"
#define S_MEMORY "memory."

//  What a piece of a template is
typedef enum {
    S_PIECE_TEXT,     //  literal text
    S_PIECE_PAYLOAD,  //  {{payload}}
    S_PIECE_MEMORY,   //  {{memory.KEY}}
} s_piece_kind_t;

typedef struct {
    s_piece_kind_t kind;  //  what fills it
    size_t offset;        //  S_PIECE_TEXT: where its text starts in the template
    size_t size;          //  S_PIECE_TEXT: its length
    size_t key;           //  S_PIECE_MEMORY: index in keys
} s_piece_t;

struct _zs_prompt_t {
    char *text;                      //  owned copy of the template, NUL-terminated
    s_piece_t *pieces;               //  owned, in order
    size_t piece_count;              //  pieces used
    char *keys[ZS_PROMPT_KEYS_MAX];  //  owned, distinct, in order of first use
    size_t key_count;                //  keys used
};

//  ---- parsing -------------------------------------------------------------------------

static void
s_piece_add(zs_prompt_t *self, s_piece_t piece)
{
    //  Grown one by one: a template has few pieces and is parsed once
    self->pieces =
        zs_realloc(self->pieces, (self->piece_count + 1) * sizeof *self->pieces);
    self->pieces[self->piece_count++] = piece;
}

static void
s_text_add(zs_prompt_t *self, size_t from, size_t to)
{
    if (to > from) {
        s_piece_add(self, (s_piece_t){S_PIECE_TEXT, from, to - from, 0});
    }
}

static const char *
s_find(const char *text, size_t size, size_t from, const char *what)
{
    return from <= size ? memmem(text + from, size - from, what, strlen(what)) : NULL;
}

static bool
s_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool
s_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

//  Quote the placeholder that starts at open (up to its close, if any) in an error
static int
s_refuse(
    const zs_prompt_t *self, zs_error_t *err, size_t open, size_t end, const char *what)
{
    char sample[ZS_PROMPT_SAMPLE_MAX];
    zs_sanitize(sample, sizeof sample, self->text + open, end - open);
    return zs_error_set(err, ZS_PROMPT_E_TEMPLATE,
                        "%s '%s' at byte %zu (use {{payload}} or {{memory.KEY}})", what,
                        sample, open);
}

static size_t
s_key_index(zs_prompt_t *self, const char *key, size_t size)
{
    for (size_t i = 0; i < self->key_count; i++) {
        if (strlen(self->keys[i]) == size && memcmp(self->keys[i], key, size) == 0) {
            return i;
        }
    }
    return SIZE_MAX;
}

//  Add {{memory.KEY}} for size bytes of key; open and end delimit it for errors
static int
s_memory_add(zs_prompt_t *self,
             const char *key,
             size_t size,
             size_t open,
             size_t end,
             zs_error_t *err)
{
    while (size > 0 && s_blank(*key)) {
        key++;
        size--;
    }
    char what[ZS_PROMPT_SAMPLE_MAX];
    if (size == 0 || size > ZS_MSG_KEY_MAX) {
        snprintf(what, sizeof what, "a memory key of 1..%d bytes expected in",
                 ZS_MSG_KEY_MAX);
        return s_refuse(self, err, open, end, what);
    }
    size_t index = s_key_index(self, key, size);
    if (index == SIZE_MAX) {
        if (self->key_count == ZS_PROMPT_KEYS_MAX) {
            snprintf(what, sizeof what, "more than %d memory keys, the last",
                     ZS_PROMPT_KEYS_MAX);
            return s_refuse(self, err, open, end, what);
        }
        index = self->key_count++;
        self->keys[index] = zs_strndup(key, size);
    }
    s_piece_add(self, (s_piece_t){S_PIECE_MEMORY, 0, 0, index});
    return 0;
}

//  Parse the placeholder whose name starts at name (after "{{" and blanks); open is
//  where its "{{" is. Sets *next past its "}}".
static int
s_placeholder(zs_prompt_t *self,
              size_t size,
              size_t open,
              size_t name,
              size_t *next,
              zs_error_t *err)
{
    const char *close = s_find(self->text, size, name, S_CLOSE);
    if (!close) {
        return s_refuse(self, err, open, size, "unclosed placeholder");
    }
    size_t end = (size_t) (close - self->text) + strlen(S_CLOSE);
    size_t stop = (size_t) (close - self->text);
    while (stop > name && s_blank(self->text[stop - 1])) {
        stop--;
    }
    const char *inner = self->text + name;
    size_t inner_size = stop - name;
    *next = end;
    if (inner_size == strlen("payload") && memcmp(inner, "payload", inner_size) == 0) {
        s_piece_add(self, (s_piece_t){S_PIECE_PAYLOAD, 0, 0, 0});
        return 0;
    }
    if (inner_size >= strlen(S_MEMORY) &&
        memcmp(inner, S_MEMORY, strlen(S_MEMORY)) == 0) {
        return s_memory_add(self, inner + strlen(S_MEMORY), inner_size - strlen(S_MEMORY),
                            open, end, err);
    }
    return s_refuse(self, err, open, end, "unknown placeholder");
}

static int
s_parse(zs_prompt_t *self, size_t size, zs_error_t *err)
{
    size_t at = 0, text_from = 0;
    const char *open;
    while ((open = s_find(self->text, size, at, S_OPEN)) != NULL) {
        size_t start = (size_t) (open - self->text);
        size_t name = start + strlen(S_OPEN);
        while (name < size && s_blank(self->text[name])) {
            name++;
        }
        if (name == size || !s_letter(self->text[name])) {
            at = start + 1;  //  plain text: "{{{x}}" still finds the "{{x}}" in it
            continue;
        }
        s_text_add(self, text_from, start);
        if (s_placeholder(self, size, start, name, &at, err) != 0) {
            return -1;
        }
        text_from = at;
    }
    s_text_add(self, text_from, size);
    return 0;
}

zs_prompt_t *
zs_prompt_new(const char *text, size_t size, zs_error_t *err)
{
    assert(text || size == 0);
    if (size > ZS_PROMPT_TEXT_MAX) {
        zs_error_set(err, ZS_PROMPT_E_TEMPLATE, "template of %zu bytes, more than %u",
                     size, ZS_PROMPT_TEXT_MAX);
        return NULL;
    }
    size_t fault = zs_msgval_text_fault(text, size);
    if (fault != SIZE_MAX) {
        zs_error_set(err, ZS_PROMPT_E_TEMPLATE,
                     "template is not UTF-8 text without NUL (byte %zu)", fault);
        return NULL;
    }
    zs_prompt_t *self = zs_calloc(1, sizeof *self);
    self->text = zs_strndup(size ? text : "", size);
    if (s_parse(self, size, err) != 0) {
        zs_prompt_destroy(&self);
    }
    return self;
}

void
zs_prompt_destroy(zs_prompt_t **self_p)
{
    assert(self_p);
    zs_prompt_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < self->key_count; i++) {
            free(self->keys[i]);
        }
        free(self->pieces);
        free(self->text);
        free(self);
        *self_p = NULL;
    }
}

size_t
zs_prompt_key_count(const zs_prompt_t *self)
{
    assert(self);
    return self->key_count;
}

const char *
zs_prompt_key(const zs_prompt_t *self, size_t index)
{
    assert(self);
    assert(index < self->key_count);
    return self->keys[index];
}

//  ---- rendering -----------------------------------------------------------------------

//  The bytes that fill piece
static zs_prompt_value_t
s_piece_value(const zs_prompt_t *self,
              const s_piece_t *piece,
              zs_prompt_value_t payload,
              const zs_prompt_value_t *values)
{
    if (piece->kind == S_PIECE_TEXT) {
        return (zs_prompt_value_t){(const uint8_t *) self->text + piece->offset,
                                   piece->size};
    }
    return piece->kind == S_PIECE_PAYLOAD ? payload : values[piece->key];
}

static int
s_value_check(zs_prompt_value_t value, const char *key, zs_error_t *err)
{
    size_t fault = value.size
                       ? zs_msgval_text_fault((const char *) value.data, value.size)
                       : SIZE_MAX;
    if (fault == SIZE_MAX) {
        return 0;
    }
    char sample[ZS_PROMPT_SAMPLE_MAX];
    if (key) {
        return zs_error_set(err, ZS_PROMPT_E_VALUE,
                            "memory '%s' is not UTF-8 text without NUL (byte %zu)",
                            zs_sanitize_str(sample, sizeof sample, key), fault);
    }
    return zs_error_set(err, ZS_PROMPT_E_VALUE,
                        "payload is not UTF-8 text without NUL (byte %zu)", fault);
}

//  Check every value and add up the rendered size, refusing past the bound
static int
s_measure(const zs_prompt_t *self,
          zs_prompt_value_t payload,
          const zs_prompt_value_t *values,
          size_t *size_p,
          zs_error_t *err)
{
    if (s_value_check(payload, NULL, err) != 0) {
        return -1;
    }
    for (size_t i = 0; i < self->key_count; i++) {
        if (s_value_check(values[i], self->keys[i], err) != 0) {
            return -1;
        }
    }
    size_t size = 0;
    for (size_t i = 0; i < self->piece_count; i++) {
        size_t add = s_piece_value(self, &self->pieces[i], payload, values).size;
        if (add > ZS_PROMPT_RENDERED_MAX - size) {
            return zs_error_set(err, ZS_PROMPT_E_SIZE,
                                "rendered prompt would pass %u bytes",
                                ZS_PROMPT_RENDERED_MAX);
        }
        size += add;
    }
    *size_p = size;
    return 0;
}

char *
zs_prompt_render(const zs_prompt_t *self,
                 zs_prompt_value_t payload,
                 const zs_prompt_value_t *values,
                 size_t *size_p,
                 zs_error_t *err)
{
    assert(self);
    assert(values || self->key_count == 0);
    assert(size_p);
    size_t size = 0;
    if (s_measure(self, payload, values, &size, err) != 0) {
        return NULL;
    }
    char *out = zs_malloc(size + 1);
    size_t at = 0;
    for (size_t i = 0; i < self->piece_count; i++) {
        zs_prompt_value_t value = s_piece_value(self, &self->pieces[i], payload, values);
        if (value.size) {
            memcpy(out + at, value.data, value.size);
            at += value.size;
        }
    }
    out[at] = '\0';
    *size_p = at;
    return out;
}
