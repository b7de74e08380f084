//  zs_msgval - the rules a field's value follows, whatever its message: when it is set,
//  its bounds, valid UTF-8, and a float's text (private to proto/)
//
//  Encode, decode and JSON printing apply the same rules through these, so that what one
//  sends the other takes and what the codec takes it can print. A field's description
//  (zs_msgtab.h) gives its kind and bounds; these read the value at a message's or a
//  record's base. Absent is zero, NULL or empty, except for a float, whose absent value
//  is NaN (0.0 is a price or a temperature like any other), and a bin, which is set
//  when its pointer is, empty or not (PROTOCOL.md §2.3).

#ifndef ZS_MSGVAL_H
#define ZS_MSGVAL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/zs_msgtab.h"

//  The three presence rules are inline: the encoder asks them of every field of a
//  message's type, set or not, which makes them the codec's innermost loop

//  True when the field is a name (ids, types, states: a str that cannot be empty), whose
//  empty string carries no more than its absence (PROTOCOL.md §2.3).
static inline bool
zs_msgval_is_name(const zs_msgtab_field_t *field)
{
    return field->kind == ZS_KIND_STR && field->min > 0;
}

//  True when the field holds a value worth sending: an integer other than zero, a
//  float that is not NaN, true, a string that is not NULL (and, for a name, not empty),
//  a bin that is not NULL (an empty bin is a value), a list or record array that is
//  not empty.
static inline bool
zs_msgval_is_set(const zs_msgtab_field_t *field, const uint8_t *base)
{
    const char *str;
    switch ((zs_msgtab_kind_t) field->kind) {
    case ZS_KIND_VERSION:
    case ZS_KIND_TYPE:
        return true;
    case ZS_KIND_UINT:
        return ZS_MSGTAB_GET(base, field, uint64_t) != 0;
    case ZS_KIND_INT:
        return ZS_MSGTAB_GET(base, field, int64_t) != 0;
    case ZS_KIND_BOOL:
        return ZS_MSGTAB_GET(base, field, bool);
    case ZS_KIND_FLOAT:
        return !isnan(ZS_MSGTAB_GET(base, field, double));
    case ZS_KIND_STR:
        str = ZS_MSGTAB_GET(base, field, const char *);
        return str && (str[0] != '\0' || !zs_msgval_is_name(field));
    case ZS_KIND_BIN:
        return ZS_MSGTAB_GET(base, field, const uint8_t *) != NULL;
    case ZS_KIND_STRLIST:
        return ZS_MSGTAB_GET(base, field, zs_msg_list_t).count > 0;
    case ZS_KIND_BINLIST:
        return ZS_MSGTAB_GET(base, field, zs_msg_bins_t).count > 0;
    case ZS_KIND_RECORDS:
        return ZS_MSGTAB_GET_AUX(base, field, size_t) > 0;
    }
    return false;
}

//  True when a required field of this kind is sent even at zero: an integer, a bool or
//  the records array has a value there; a NULL string, bin or list, or a NaN float, has
//  none.
static inline bool
zs_msgval_zero_is_value(const zs_msgtab_field_t *field)
{
    return field->kind == ZS_KIND_UINT || field->kind == ZS_KIND_INT ||
           field->kind == ZS_KIND_BOOL || field->kind == ZS_KIND_RECORDS;
}

//  Room for any double formatted by zs_msgval_format_float, NUL included
#define ZS_MSGVAL_FLOAT_TEXT 32

//  Formats value into text (ZS_MSGVAL_FLOAT_TEXT bytes) with the fewest significant
//  digits, 15 to 17, that read back as the same double: JSON for a finite value, and
//  readable in errors ("nan", "inf" otherwise).
void zs_msgval_format_float(char *text, double value);

//  Bound checks shared by encode and decode. Each returns 0, or -1 with err (code
//  ZS_ERR_MALFORMED) saying "field 'key': ..." what was wrong.
int zs_msgval_check_uint(const zs_msgtab_field_t *field, uint64_t value, zs_error_t *err);
int zs_msgval_check_int(const zs_msgtab_field_t *field, int64_t value, zs_error_t *err);
int zs_msgval_check_float(const zs_msgtab_field_t *field, double value, zs_error_t *err);
int zs_msgval_check_size(const zs_msgtab_field_t *field, size_t size, zs_error_t *err);
int zs_msgval_check_count(const zs_msgtab_field_t *field, size_t count, zs_error_t *err);

//  Checks a str value of size bytes at data: its length within the field's bounds, no
//  NUL byte, valid UTF-8 (RFC 3629: no overlong forms, surrogates or code points above
//  U+10FFFF), as msgpack requires of str and as strict clients (Python's msgpack) check.
int zs_msgval_check_str(const zs_msgtab_field_t *field,
                        const char *data,
                        size_t size,
                        zs_error_t *err);

//  Length of the valid UTF-8 sequence of two to four bytes starting at data (left bytes
//  available), or 0 when there is none.
size_t zs_msgval_utf8_size(const uint8_t *data, size_t left);

//  Where size bytes of data stop being a valid str (a NUL byte, or not UTF-8): the
//  offset of the first bad byte, or SIZE_MAX when there is none.
size_t zs_msgval_text_fault(const char *data, size_t size);

#endif
