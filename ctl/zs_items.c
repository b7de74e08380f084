//  zs_items - see zs_items.h

#include "ctl/zs_items.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

//  At most ZS_MSG_PAYLOAD_MAX bytes of stream into an owned *data_p; option and name
//  say where they come from, for messages
static int
s_read_bounded(FILE *stream,
               const char *option,
               const char *name,
               uint8_t **data_p,
               size_t *size_p,
               zs_error_t *err)
{
    //  One byte more than allowed tells "exactly the bound" from "too big"
    uint8_t *data = zs_malloc(ZS_MSG_PAYLOAD_MAX + 1);
    size_t size = fread(data, 1, ZS_MSG_PAYLOAD_MAX + 1, stream);
    if (ferror(stream) || size > ZS_MSG_PAYLOAD_MAX) {
        free(data);
        return ferror(stream) ? zs_error_set(err, 1, "%s: cannot read %s: %s", option,
                                             name, strerror(errno))
                              : zs_error_set(err, 1, "%s: %s is larger than %u bytes",
                                             option, name, ZS_MSG_PAYLOAD_MAX);
    }
    *data_p = data;
    *size_p = size;
    return 0;
}

static int
s_payload_file(const char *path, uint8_t **data_p, size_t *size_p, zs_error_t *err)
{
    char name[ZS_ERROR_TEXT_MAX];
    snprintf(name, sizeof name, "'%s'", path);
    FILE *file = fopen(path, "rb");
    if (!file) {
        return zs_error_set(err, 1, "--payload-file: cannot open %s: %s", name,
                            strerror(errno));
    }
    int rc = s_read_bounded(file, "--payload-file", name, data_p, size_p, err);
    fclose(file);
    return rc;
}

int
zs_items_payload(const char *text,
                 const char *path,
                 FILE *in,
                 uint8_t **data_p,
                 size_t *size_p,
                 zs_error_t *err)
{
    *data_p = NULL;
    *size_p = 0;
    if (text && path) {
        return zs_error_set(err, 1, "--payload and --payload-file: give at most one");
    }
    if (path) {
        return s_payload_file(path, data_p, size_p, err);
    }
    if (text && strcmp(text, "-") == 0) {
        return s_read_bounded(in, "--payload", "standard input", data_p, size_p, err);
    }
    if (text) {
        size_t len = strlen(text);
        if (len > ZS_MSG_PAYLOAD_MAX) {
            return zs_error_set(err, 1, "--payload: larger than %u bytes",
                                ZS_MSG_PAYLOAD_MAX);
        }
        *data_p = (uint8_t *) zs_strdup(text);
        *size_p = len;
    }
    return 0;
}

//  The whole stream, up to ZS_ITEMS_BYTES_MAX; one byte more tells "too large"
static int
s_read_all(FILE *stream, uint8_t **data_p, size_t *size_p, zs_error_t *err)
{
    size_t alloc = 64u << 10, size = 0;
    uint8_t *data = zs_malloc(alloc);
    while (size <= ZS_ITEMS_BYTES_MAX) {
        if (size == alloc) {
            alloc *= 2;
            data = zs_realloc(data, alloc);
        }
        size_t got = fread(data + size, 1, alloc - size, stream);
        size += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(stream) || size > ZS_ITEMS_BYTES_MAX) {
        free(data);
        return ferror(stream) ? zs_error_set(err, 1, "cannot read: %s", strerror(errno))
                              : zs_error_set(err, 1,
                                             "more than %u bytes of items: split them "
                                             "over several submits",
                                             ZS_ITEMS_BYTES_MAX);
    }
    *data_p = data;
    *size_p = size;
    return 0;
}

//  Cut text into its non-empty lines
static int
s_cut_lines(zs_items_t *self, size_t size, zs_error_t *err)
{
    size_t alloc = 0;
    for (size_t at = 0, line = 1; at < size; line++) {
        uint8_t *end = memchr(self->text + at, '\n', size - at);
        size_t len = (end ? (size_t) (end - self->text) : size) - at;
        size_t item = len - (len > 0 && self->text[at + len - 1] == '\r');
        if (len > ZS_MSG_PAYLOAD_MAX) {
            return zs_error_set(err, 1, "line %zu is longer than %u bytes", line,
                                ZS_MSG_PAYLOAD_MAX);
        }
        if (item > 0 && self->count == ZS_MSG_ITEMS_MAX) {
            return zs_error_set(err, 1, "more than %d items", ZS_MSG_ITEMS_MAX);
        }
        if (item > 0) {
            if (self->count == alloc) {
                alloc = alloc ? 2 * alloc : 64;
                self->bins = zs_realloc(self->bins, alloc * sizeof *self->bins);
            }
            self->bins[self->count++] = (zs_msg_bin_t){self->text + at, item};
        }
        at += len + 1;
    }
    return self->count ? 0 : zs_error_set(err, 1, "no items (every line is empty)");
}

int
zs_items_read(zs_items_t *self, FILE *stream, zs_error_t *err)
{
    assert(self);
    assert(stream);
    memset(self, 0, sizeof *self);
    size_t size = 0;
    if (s_read_all(stream, &self->text, &size, err) != 0) {
        return -1;
    }
    if (s_cut_lines(self, size, err) != 0) {
        zs_items_fini(self);
        return -1;
    }
    return 0;
}

void
zs_items_fini(zs_items_t *self)
{
    assert(self);
    free(self->text);
    free(self->bins);
    memset(self, 0, sizeof *self);
}

static int
s_name_check(const char *name, zs_error_t *err)
{
    if (!zs_msg_name_valid(name, strlen(name), ZS_MSG_NAME_MAX)) {
        return zs_error_set(err, 1,
                            "expected 1..%d characters of [A-Za-z0-9._:-], got '%s'",
                            ZS_MSG_NAME_MAX, name);
    }
    return 0;
}

int
zs_names_split(zs_names_t *self, const char *list, size_t max, zs_error_t *err)
{
    assert(self);
    assert(list);
    memset(self, 0, sizeof *self);
    self->text = zs_strdup(list);
    self->names = zs_calloc(max + 1, sizeof *self->names);
    char *rest = self->text;
    for (char *name; (name = strsep(&rest, ","));) {
        if (self->count == max) {
            zs_names_fini(self);
            return zs_error_set(err, 1, "more than %zu names", max);
        }
        self->names[self->count++] = name;
        if (s_name_check(name, err) != 0) {
            zs_names_fini(self);
            return -1;
        }
    }
    return 0;
}

void
zs_names_fini(zs_names_t *self)
{
    assert(self);
    free(self->text);
    free(self->names);
    memset(self, 0, sizeof *self);
}
