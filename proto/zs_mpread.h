//  zs_mpread - a strict, bounds-checked msgpack reader for untrusted frames
//
//  msgpack-c's C unpacker sizes its allocations from the counts a frame claims before it
//  has seen the data behind them: a 5-byte frame claiming 2^32 array elements makes it
//  allocate gigabytes. This reader allocates nothing. It is a cursor over one frame that
//  reads one value header at a time and refuses any length or count that cannot fit in
//  the bytes left (every msgpack value takes at least one byte), so a caller that then
//  checks a count against its own bound knows the frame can back it.
//
//  Strings, bins and exts come back as pointers into the frame, valid as long as it is.
//  Integers come back as ZS_MP_UINT when >= 0 and ZS_MP_NINT when < 0, whatever width
//  the sender chose; floats of either width as a double, NaN and infinities included
//  (whether a value may be one is the caller's rule). Every error sets err->code to ZS_MPREAD_ERROR and says where.

#ifndef ZS_MPREAD_H
#define ZS_MPREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/zs_util.h"

#define ZS_MPREAD_ERROR 1  //  err->code of every reader error (== ZS_ERR_MALFORMED)

typedef enum {
    ZS_MP_NIL,    //  nil
    ZS_MP_BOOL,   //  true or false, in item.b
    ZS_MP_UINT,   //  any integer >= 0, in item.u
    ZS_MP_NINT,   //  any integer < 0, in item.i
    ZS_MP_FLOAT,  //  float 32 or 64, in item.f
    ZS_MP_STR,    //  str: item.size bytes at item.data
    ZS_MP_BIN,    //  bin: item.size bytes at item.data
    ZS_MP_ARRAY,  //  array header: item.size values follow
    ZS_MP_MAP,    //  map header: item.size key/value pairs follow
    ZS_MP_EXT,    //  ext: item.size bytes (type byte first) at item.data
} zs_mp_kind_t;

typedef struct {
    zs_mp_kind_t kind;    //  what was read
    bool b;               //  ZS_MP_BOOL value
    uint64_t u;           //  ZS_MP_UINT value
    int64_t i;            //  ZS_MP_NINT value
    double f;             //  ZS_MP_FLOAT value
    size_t size;          //  bytes of a str/bin/ext, items of an array, pairs of a map
    const uint8_t *data;  //  str/bin/ext bytes, inside the frame (borrowed)
} zs_mp_item_t;

typedef struct {
    const uint8_t *start;  //  first byte of the frame, for offsets in errors
    const uint8_t *pos;    //  next byte to read
    const uint8_t *end;    //  one past the last byte
} zs_mpread_t;

//  Start reading size bytes at data (borrowed for the reader's life).
void zs_mpread_init(zs_mpread_t *self, const void *data, size_t size);

//  Bytes not read yet.
size_t zs_mpread_left(const zs_mpread_t *self);

//  Read one value header into item and step over it; for a str, bin or ext also over its
//  bytes, for an array or map only over the header. Returns 0, or -1 with err filled
//  when the frame ends early, holds the never-used byte 0xc1, or claims more bytes or
//  values than are left.
int zs_mpread_next(zs_mpread_t *self, zs_mp_item_t *item, zs_error_t *err);

//  Step over count whole values, nested ones included, without recursion. When bytes is
//  not NULL, adds size + 1 to it for each str and bin met (what copying them with a
//  terminator takes). When pointers is not NULL, adds to it the items of each array met
//  that has at most pointers_max of them (what a table of pointers to them takes, in
//  pointers; a longer array is not counted). Returns 0, or -1 with err filled as
//  zs_mpread_next.
int zs_mpread_skip(zs_mpread_t *self,
                   uint64_t count,
                   size_t *bytes,
                   size_t *pointers,
                   size_t pointers_max,
                   zs_error_t *err);

//  Name of a kind for error messages: "nil", "bool", "uint", "int", "float", "str", ...
const char *zs_mp_kind_name(zs_mp_kind_t kind);

#endif
