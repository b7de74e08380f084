//  zs_mpread - see zs_mpread.h

#include "proto/zs_mpread.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

//  How to read the value headers 0xc0..0xdf: after the type byte come `width` bytes of a
//  big-endian number (a value, a length or a count), then `fixed` bytes of data.
typedef enum {
    S_INVALID,  //  0xc1, never used
    S_NIL,      //  nil
    S_FALSE,    //  false
    S_TRUE,     //  true
    S_UINT,     //  the number is the value
    S_INT,      //  the number is a two's complement value of `width` bytes
    S_FLOAT,    //  the number holds an IEEE 754 value of `width` bytes
    S_SKIP,     //  fixext: `fixed` data bytes, skipped
    S_STR,      //  the number is a length
    S_BIN,      //  the number is a length
    S_EXT,      //  the number is a length; a type byte comes first
    S_ARRAY,    //  the number is an item count
    S_MAP,      //  the number is a pair count
} s_class_t;

typedef struct {
    uint8_t cls;    //  s_class_t
    uint8_t width;  //  bytes of the big-endian number after the type byte
    uint8_t fixed;  //  bytes of data that follow, for S_SKIP
} s_head_t;

static const s_head_t s_heads[32] = {
    [0x00] = {S_NIL, 0, 0},   [0x01] = {S_INVALID, 0, 0}, [0x02] = {S_FALSE, 0, 0},
    [0x03] = {S_TRUE, 0, 0},  [0x04] = {S_BIN, 1, 0},     [0x05] = {S_BIN, 2, 0},
    [0x06] = {S_BIN, 4, 0},   [0x07] = {S_EXT, 1, 0},     [0x08] = {S_EXT, 2, 0},
    [0x09] = {S_EXT, 4, 0},   [0x0a] = {S_FLOAT, 4, 0},   [0x0b] = {S_FLOAT, 8, 0},
    [0x0c] = {S_UINT, 1, 0},  [0x0d] = {S_UINT, 2, 0},    [0x0e] = {S_UINT, 4, 0},
    [0x0f] = {S_UINT, 8, 0},  [0x10] = {S_INT, 1, 0},     [0x11] = {S_INT, 2, 0},
    [0x12] = {S_INT, 4, 0},   [0x13] = {S_INT, 8, 0},     [0x14] = {S_SKIP, 0, 2},
    [0x15] = {S_SKIP, 0, 3},  [0x16] = {S_SKIP, 0, 5},    [0x17] = {S_SKIP, 0, 9},
    [0x18] = {S_SKIP, 0, 17}, [0x19] = {S_STR, 1, 0},     [0x1a] = {S_STR, 2, 0},
    [0x1b] = {S_STR, 4, 0},   [0x1c] = {S_ARRAY, 2, 0},   [0x1d] = {S_ARRAY, 4, 0},
    [0x1e] = {S_MAP, 2, 0},   [0x1f] = {S_MAP, 4, 0},
};

void
zs_mpread_init(zs_mpread_t *self, const void *data, size_t size)
{
    assert(self);
    assert(data || size == 0);
    self->start = data;
    self->pos = data;
    self->end = self->pos + size;
}

size_t
zs_mpread_left(const zs_mpread_t *self)
{
    return (size_t) (self->end - self->pos);
}

static size_t
s_offset(const zs_mpread_t *self, const uint8_t *at)
{
    return (size_t) (at - self->start);
}

static int
s_read_be(zs_mpread_t *self, size_t width, uint64_t *value)
{
    if (zs_mpread_left(self) < width) {
        return -1;
    }
    uint64_t number = 0;
    for (size_t i = 0; i < width; i++) {
        number = number << 8 | self->pos[i];
    }
    self->pos += width;
    *value = number;
    return 0;
}

static int64_t
s_sign_extend(uint64_t number, size_t width)
{
    switch (width) {
    case 1:
        return (int8_t) number;
    case 2:
        return (int16_t) number;
    case 4:
        return (int32_t) number;
    default:
        return (int64_t) number;
    }
}

//  The bits of a float 32 or 64, copied rather than cast: a float's bits are not an
//  integer's value
static double
s_float(uint64_t number, size_t width)
{
    if (width == 4) {
        uint32_t bits = (uint32_t) number;
        float value;
        memcpy(&value, &bits, sizeof value);
        return (double) value;
    }
    double value;
    memcpy(&value, &number, sizeof value);
    return value;
}

static void
s_set_int(zs_mp_item_t *item, int64_t value)
{
    if (value >= 0) {
        item->kind = ZS_MP_UINT;
        item->u = (uint64_t) value;
    } else {
        item->kind = ZS_MP_NINT;
        item->i = value;
    }
}

//  A str, bin or ext: its bytes must all be in the frame
static int
s_bytes(zs_mpread_t *self,
        zs_mp_item_t *item,
        zs_mp_kind_t kind,
        uint64_t size,
        const uint8_t *at,
        zs_error_t *err)
{
    if (size > zs_mpread_left(self)) {
        return zs_error_set(
            err, ZS_MPREAD_ERROR,
            "truncated %s at offset %zu: %" PRIu64 " bytes claimed, %zu left",
            zs_mp_kind_name(kind), s_offset(self, at), size, zs_mpread_left(self));
    }
    item->kind = kind;
    item->size = (size_t) size;
    item->data = self->pos;
    self->pos += size;
    return 0;
}

//  An array or map: each value it claims takes at least one byte of what is left
static int
s_count(zs_mpread_t *self,
        zs_mp_item_t *item,
        zs_mp_kind_t kind,
        uint64_t count,
        const uint8_t *at,
        zs_error_t *err)
{
    uint64_t values = kind == ZS_MP_MAP ? 2 * count : count;
    if (values > zs_mpread_left(self)) {
        return zs_error_set(
            err, ZS_MPREAD_ERROR,
            "truncated %s at offset %zu: %" PRIu64 " items claimed, %zu bytes left",
            zs_mp_kind_name(kind), s_offset(self, at), count, zs_mpread_left(self));
    }
    item->kind = kind;
    item->size = (size_t) count;
    return 0;
}

//  The headers 0xc0..0xdf, through s_heads
static int
s_next_long(zs_mpread_t *self, zs_mp_item_t *item, uint8_t byte, zs_error_t *err)
{
    const uint8_t *at = self->pos - 1;
    const s_head_t *head = &s_heads[byte - 0xc0];
    uint64_t number = 0;
    if (head->cls == S_INVALID) {
        return zs_error_set(err, ZS_MPREAD_ERROR, "invalid byte 0x%02x at offset %zu",
                            byte, s_offset(self, at));
    }
    if (s_read_be(self, head->width, &number) != 0) {
        return zs_error_set(err, ZS_MPREAD_ERROR, "truncated header 0x%02x at offset %zu",
                            byte, s_offset(self, at));
    }
    switch ((s_class_t) head->cls) {
    case S_NIL:
        item->kind = ZS_MP_NIL;
        return 0;
    case S_FALSE:
    case S_TRUE:
        item->kind = ZS_MP_BOOL;
        item->b = head->cls == S_TRUE;
        return 0;
    case S_UINT:
        item->kind = ZS_MP_UINT;
        item->u = number;
        return 0;
    case S_INT:
        s_set_int(item, s_sign_extend(number, head->width));
        return 0;
    case S_FLOAT:
        item->kind = ZS_MP_FLOAT;
        item->f = s_float(number, head->width);
        return 0;
    case S_SKIP:
        return s_bytes(self, item, ZS_MP_EXT, head->fixed, at, err);
    case S_STR:
        return s_bytes(self, item, ZS_MP_STR, number, at, err);
    case S_BIN:
        return s_bytes(self, item, ZS_MP_BIN, number, at, err);
    case S_EXT:
        return s_bytes(self, item, ZS_MP_EXT, number + 1, at, err);
    case S_ARRAY:
        return s_count(self, item, ZS_MP_ARRAY, number, at, err);
    case S_MAP:
        return s_count(self, item, ZS_MP_MAP, number, at, err);
    case S_INVALID:
        break;
    }
    return zs_error_set(err, ZS_MPREAD_ERROR, "invalid byte 0x%02x", byte);
}

int
zs_mpread_next(zs_mpread_t *self, zs_mp_item_t *item, zs_error_t *err)
{
    assert(self);
    assert(item);
    if (self->pos >= self->end) {
        return zs_error_set(err, ZS_MPREAD_ERROR, "truncated at offset %zu",
                            s_offset(self, self->pos));
    }
    const uint8_t *at = self->pos;
    uint8_t byte = *self->pos++;
    if (byte <= 0x7f) {
        s_set_int(item, byte);
        return 0;
    }
    if (byte >= 0xe0) {
        s_set_int(item, (int8_t) byte);
        return 0;
    }
    if (byte <= 0x8f) {
        return s_count(self, item, ZS_MP_MAP, byte & 0x0fu, at, err);
    }
    if (byte <= 0x9f) {
        return s_count(self, item, ZS_MP_ARRAY, byte & 0x0fu, at, err);
    }
    if (byte <= 0xbf) {
        return s_bytes(self, item, ZS_MP_STR, byte & 0x1fu, at, err);
    }
    return s_next_long(self, item, byte, err);
}

int
zs_mpread_skip(zs_mpread_t *self,
               uint64_t count,
               size_t *bytes,
               size_t *pointers,
               size_t pointers_max,
               zs_error_t *err)
{
    assert(self);
    //  pending never exceeds the bytes left plus one container's claim, both bounded
    //  by the frame size, so it cannot overflow
    uint64_t pending = count;
    while (pending > 0) {
        if (pending > zs_mpread_left(self)) {
            return zs_error_set(err, ZS_MPREAD_ERROR,
                                "truncated at offset %zu: %" PRIu64
                                " values claimed, %zu bytes left",
                                s_offset(self, self->pos), pending, zs_mpread_left(self));
        }
        zs_mp_item_t item;
        if (zs_mpread_next(self, &item, err) != 0) {
            return -1;
        }
        pending--;
        if (item.kind == ZS_MP_ARRAY) {
            pending += item.size;
            if (pointers && item.size <= pointers_max) {
                *pointers += item.size;
            }
        } else if (item.kind == ZS_MP_MAP) {
            pending += 2 * (uint64_t) item.size;
        } else if (bytes && (item.kind == ZS_MP_STR || item.kind == ZS_MP_BIN)) {
            *bytes += item.size + 1;
        }
    }
    return 0;
}

const char *
zs_mp_kind_name(zs_mp_kind_t kind)
{
    static const char *const names[] = {
        [ZS_MP_NIL] = "nil",           [ZS_MP_BOOL] = "bool",   [ZS_MP_UINT] = "uint",
        [ZS_MP_NINT] = "negative int", [ZS_MP_FLOAT] = "float", [ZS_MP_STR] = "str",
        [ZS_MP_BIN] = "bin",           [ZS_MP_ARRAY] = "array", [ZS_MP_MAP] = "map",
        [ZS_MP_EXT] = "ext",
    };
    return kind <= ZS_MP_EXT ? names[kind] : "?";
}
