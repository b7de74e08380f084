//  zs_msgval - see zs_msgval.h

#include "proto/zs_msgval.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int
zs_msgval_check_uint(const zs_msgtab_field_t *field, uint64_t value, zs_error_t *err)
{
    if (value < (uint64_t) field->min || value > field->max) {
        return zs_error_set(err, ZS_ERR_MALFORMED,
                            "field '%s': %" PRIu64 " out of range %" PRId64 "..%" PRIu64,
                            field->key, value, field->min, field->max);
    }
    return 0;
}

int
zs_msgval_check_int(const zs_msgtab_field_t *field, int64_t value, zs_error_t *err)
{
    if (value < field->min || (value > 0 && (uint64_t) value > field->max)) {
        return zs_error_set(err, ZS_ERR_MALFORMED,
                            "field '%s': %" PRId64 " out of range %" PRId64 "..%" PRIu64,
                            field->key, value, field->min, field->max);
    }
    return 0;
}

int
zs_msgval_check_float(const zs_msgtab_field_t *field, double value, zs_error_t *err)
{
    if (isfinite(value) && value >= (double) field->min && value <= (double) field->max) {
        return 0;
    }
    char text[ZS_MSGVAL_FLOAT_TEXT];
    zs_msgval_format_float(text, value);
    if (!isfinite(value)) {
        return zs_error_set(err, ZS_ERR_MALFORMED,
                            "field '%s': %s is not a finite number", field->key, text);
    }
    return zs_error_set(err, ZS_ERR_MALFORMED,
                        "field '%s': %s out of range %" PRId64 "..%" PRIu64, field->key,
                        text, field->min, field->max);
}

void
zs_msgval_format_float(char *text, double value)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, ZS_MSGVAL_FLOAT_TEXT, "%.*g", digits, value);
        if (strtod(text, NULL) == value) {
            return;
        }
    }
}

int
zs_msgval_check_size(const zs_msgtab_field_t *field, size_t size, zs_error_t *err)
{
    if (size < (uint64_t) field->min || size > field->max) {
        return zs_error_set(err, ZS_ERR_MALFORMED,
                            "field '%s': %zu bytes, out of range %" PRId64 "..%" PRIu64,
                            field->key, size, field->min, field->max);
    }
    return 0;
}

int
zs_msgval_check_count(const zs_msgtab_field_t *field, size_t count, zs_error_t *err)
{
    if (count > field->count_max) {
        return zs_error_set(err, ZS_ERR_MALFORMED, "field '%s': %zu items, more than %u",
                            field->key, count, (unsigned) field->count_max);
    }
    return 0;
}

size_t
zs_msgval_utf8_size(const uint8_t *data, size_t left)
{
    uint8_t lead = data[0];
    size_t size = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    uint32_t least = size == 4 ? 0x10000 : size == 3 ? 0x800 : 0x80;
    uint32_t point = lead & (0x7fu >> size);
    if (lead < 0xc2 || lead > 0xf4 || size > left) {
        return 0;
    }
    for (size_t i = 1; i < size; i++) {
        if ((data[i] & 0xc0) != 0x80) {
            return 0;
        }
        point = point << 6 | (data[i] & 0x3fu);
    }
    if (point < least || point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff)) {
        return 0;
    }
    return size;
}

size_t
zs_msgval_text_fault(const char *data, size_t size)
{
    const uint8_t *bytes = (const uint8_t *) data;
    for (size_t at = 0; at < size;) {
        size_t step = bytes[at] < 0x80 ? 1 : zs_msgval_utf8_size(bytes + at, size - at);
        if (bytes[at] == 0 || step == 0) {
            return at;
        }
        at += step;
    }
    return SIZE_MAX;
}

int
zs_msgval_check_str(const zs_msgtab_field_t *field,
                    const char *data,
                    size_t size,
                    zs_error_t *err)
{
    if (zs_msgval_check_size(field, size, err) != 0) {
        return -1;
    }
    size_t at = zs_msgval_text_fault(data, size);
    if (at != SIZE_MAX && data[at] == 0) {
        return zs_error_set(err, ZS_ERR_MALFORMED, "field '%s': NUL byte in string",
                            field->key);
    }
    if (at != SIZE_MAX) {
        return zs_error_set(err, ZS_ERR_MALFORMED,
                            "field '%s': invalid UTF-8 at byte %zu", field->key, at);
    }
    return 0;
}
