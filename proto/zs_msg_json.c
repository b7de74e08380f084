//  zs_msg_json - zs_msg_print_json (see zs_msg.h), through the same table as the codec
//
//  Output is for people and for tools such as jq, so it must be valid JSON whatever the
//  message holds: bins and strings are printed as JSON strings, valid UTF-8 as is,
//  control bytes and bytes that are not valid UTF-8 as \u00XX of the byte.

#include "proto/zs_msg.h"
#include "proto/zs_msgtab.h"
#include "proto/zs_msgval.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

//  Bytes from data on that JSON takes as they are: printable ASCII but quote and
//  backslash
static size_t
s_plain_size(const uint8_t *data, size_t size)
{
    size_t plain = 0;
    while (plain < size && data[plain] >= 0x20 && data[plain] < 0x7f &&
           data[plain] != '"' && data[plain] != '\\') {
        plain++;
    }
    return plain;
}

static void
s_print_string(FILE *stream, const uint8_t *data, size_t size)
{
    fputc('"', stream);
    size_t at = 0;
    while (at < size) {
        size_t run = s_plain_size(data + at, size - at);
        if (run == 0 && data[at] >= 0x80) {
            run = zs_msgval_utf8_size(data + at, size - at);
        }
        if (run > 0) {
            fwrite(data + at, 1, run, stream);
            at += run;
        } else if (data[at] == '"' || data[at] == '\\') {
            fprintf(stream, "\\%c", data[at++]);
        } else {
            fprintf(stream, "\\u%04x", data[at++]);
        }
    }
    fputc('"', stream);
}

static void
s_print_cstr(FILE *stream, const char *str)
{
    s_print_string(stream, (const uint8_t *) str, strlen(str));
}

static void s_print_map(FILE *stream, const zs_msgtab_type_t *type, const uint8_t *base);

static void
s_print_list(FILE *stream, const zs_msg_list_t *list)
{
    fputc('[', stream);
    for (size_t i = 0; i < list->count; i++) {
        fputs(i ? "," : "", stream);
        s_print_cstr(stream, list->items[i] ? list->items[i] : "");
    }
    fputc(']', stream);
}

static void
s_print_bins(FILE *stream, const zs_msg_bins_t *bins)
{
    fputc('[', stream);
    for (size_t i = 0; i < bins->count; i++) {
        fputs(i ? "," : "", stream);
        s_print_string(stream, bins->items[i].data, bins->items[i].size);
    }
    fputc(']', stream);
}

static void
s_print_records(FILE *stream, const zs_msgtab_field_t *field, const uint8_t *base)
{
    const uint8_t *records = zs_msgtab_records(field, base);
    size_t count = ZS_MSGTAB_GET_AUX(base, field, size_t);
    fputc('[', stream);
    for (size_t i = 0; records && i < count; i++) {
        fputs(i ? "," : "", stream);
        s_print_map(stream, field->record, records + i * field->record_size);
    }
    fputc(']', stream);
}

//  Only a set float is printed, and a set float is finite, so this is a JSON number
static void
s_print_float(FILE *stream, double value)
{
    char text[ZS_MSGVAL_FLOAT_TEXT];
    zs_msgval_format_float(text, value);
    fputs(text, stream);
}

static void
s_print_value(FILE *stream, const zs_msgtab_field_t *field, const uint8_t *base)
{
    switch ((zs_msgtab_kind_t) field->kind) {
    case ZS_KIND_VERSION:
        fprintf(stream, "%d", ZS_MSG_VERSION);
        break;
    case ZS_KIND_TYPE:
        s_print_cstr(stream, zs_msg_type_name(ZS_MSGTAB_GET(base, field, zs_msg_type_t)));
        break;
    case ZS_KIND_UINT:
        fprintf(stream, "%" PRIu64, ZS_MSGTAB_GET(base, field, uint64_t));
        break;
    case ZS_KIND_INT:
        fprintf(stream, "%" PRId64, ZS_MSGTAB_GET(base, field, int64_t));
        break;
    case ZS_KIND_BOOL:
        fputs(ZS_MSGTAB_GET(base, field, bool) ? "true" : "false", stream);
        break;
    case ZS_KIND_FLOAT:
        s_print_float(stream, ZS_MSGTAB_GET(base, field, double));
        break;
    case ZS_KIND_STR:
        s_print_cstr(stream, ZS_MSGTAB_GET(base, field, const char *));
        break;
    case ZS_KIND_BIN:
        s_print_string(stream, ZS_MSGTAB_GET(base, field, const uint8_t *),
                       ZS_MSGTAB_GET_AUX(base, field, size_t));
        break;
    case ZS_KIND_STRLIST:
        s_print_list(stream, &ZS_MSGTAB_GET(base, field, zs_msg_list_t));
        break;
    case ZS_KIND_BINLIST:
        s_print_bins(stream, &ZS_MSGTAB_GET(base, field, zs_msg_bins_t));
        break;
    case ZS_KIND_RECORDS:
        s_print_records(stream, field, base);
        break;
    }
}

//  The fields encode would send, plus every integer, bool and record array of the type
//  even when zero: absent reads as zero, and a script asking for n_ready should get 0,
//  not null. A float, string or bin that is not set is left out, never printed as null
//  (an absent float is no number at all)
static void
s_print_map(FILE *stream, const zs_msgtab_type_t *type, const uint8_t *base)
{
    const char *separator = "";
    fputc('{', stream);
    for (size_t i = 0; i < type->count; i++) {
        const zs_msgtab_field_t *field = type->uses[i].field;
        if (!zs_msgval_is_set(field, base) && !zs_msgval_zero_is_value(field)) {
            continue;
        }
        fprintf(stream, "%s\"%s\":", separator, field->key);
        s_print_value(stream, field, base);
        separator = ",";
    }
    fputc('}', stream);
}

int
zs_msg_print_json(const zs_msg_t *self, FILE *stream)
{
    assert(self);
    assert(stream);
    s_print_map(stream, zs_msgtab_type(self->type), (const uint8_t *) self);
    fputc('\n', stream);
    return ferror(stream) ? -1 : 0;
}
