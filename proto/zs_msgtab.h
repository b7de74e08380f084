//  zs_msgtab - the message table behind zs_msg: fields, their kinds and bounds, and the
//  fields each message type requires or allows (private to proto/)
//
//  One table drives encode, decode and JSON printing, so the three cannot disagree on a
//  key, a bound or the zero-means-absent rule. A field is described once, by its wire
//  key, its kind and bounds and the member of zs_msg_t (or of a record struct) that
//  holds it; the compiler checks that the member's C type fits the kind. A message type
//  lists its own fields, each required or optional, in the order they are encoded, "v"
//  and "t" first. proto/PROTOCOL.md restates the same table for implementers in other
//  languages. What a field's value may be, given its description, is zs_msgval's.
//
//  A record is a map inside a message (an agent of agents.ok, a provider of
//  providers.ok): its fields are a zs_msgtab_type_t of their own over a C struct, and
//  the message field that holds an array of them names that type and the struct's size,
//  so every kind of record goes through the one encode, decode and print path. A record
//  holds scalars, strs and bins only: the decoder's first pass sizes its tables from
//  the message's own keys.
//
//  Nothing is sorted by hand and nothing caps the number of fields: the lookups decoding
//  needs (a type by its name, a field by its key within a type, the message fields of a
//  key) are indexes built once, before main, from those lists. Building them also checks
//  the table (one description per key, save arrays, which may name another list or
//  record type in another message type under one key; no field listed twice by one
//  type; every type named once; records of scalars) and aborts the program with the
//  reason when it is wrong, so a mistake in the table stops every program and test at
//  its start. The one bound is per type: a type lists at most ZS_MSGTAB_TYPE_FIELDS_MAX
//  fields (checked when compiling), the size of the decoder's duplicate-key flags on
//  the stack.
//
//  Adding a field: its member in zs_msg_t (zs_msg.h), its description in zs_msgtab.c,
//  R (required) or O (optional) in each type that carries it; then PROTOCOL.md §4 and
//  tests/unit/test_msg_spec.h, whose round trips and sweeps cover it from there. Adding
//  a type: its zs_msg_type_t value and its entry in zs_msgtab.c, then the same two.
//  Adding a record: its struct in zs_msg.h, its fields and type in zs_msgtab.c, a
//  ZS_KIND_RECORDS field naming it, and its restatement in test_msg_spec.h.

#ifndef ZS_MSGTAB_H
#define ZS_MSGTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/zs_msg.h"

//  Fields one type may list, "v" and "t" included: the decoder keeps one flag per field
//  of the type on its stack. Raise it freely; today's largest, welcome, lists 28
#define ZS_MSGTAB_TYPE_FIELDS_MAX 64

//  How a field is carried on the wire and held in memory
typedef enum {
    ZS_KIND_VERSION,  //  "v": uint, always ZS_MSG_VERSION; nothing stored
    ZS_KIND_TYPE,     //  "t": str, the type name; stored as zs_msg_type_t
    ZS_KIND_UINT,     //  uint within min..max; uint64_t
    ZS_KIND_INT,      //  int within min..max; int64_t
    ZS_KIND_BOOL,     //  true or false; bool
    ZS_KIND_FLOAT,    //  a finite number within min..max (whole bounds), sent as float
                      //  64, read from float 32, 64 or an integer; double, NaN absent
    ZS_KIND_STR,      //  str of min..max bytes without NUL; const char *
    ZS_KIND_BIN,      //  bin of up to max bytes; const uint8_t * and size_t at aux
    ZS_KIND_STRLIST,  //  array of up to count_max strs of min..max bytes; zs_msg_list_t
    ZS_KIND_BINLIST,  //  array of up to count_max bins of up to max bytes; zs_msg_bins_t
    ZS_KIND_RECORDS,  //  array of up to count_max maps of the field's record type; a
                      //  pointer to record_size-byte structs, and size_t at aux
} zs_msgtab_kind_t;

typedef struct zs_msgtab_type zs_msgtab_type_t;

typedef struct {
    const char *key;                 //  wire key
    uint8_t key_size;                //  strlen (key)
    uint8_t kind;                    //  zs_msgtab_kind_t
    uint16_t offset;                 //  of the value in the message (or record)
    uint16_t aux;                    //  of a bin's size or the record count
    uint16_t count_max;              //  items of a list, or records
    uint16_t record_size;            //  bytes of one record's struct (records)
    int64_t min;                     //  least value, or least length of a str or item
    uint64_t max;                    //  greatest value, or greatest length
    const zs_msgtab_type_t *record;  //  the fields of each record (records)
} zs_msgtab_field_t;

//  A field as one type carries it
typedef struct {
    const zs_msgtab_field_t *field;  //  its description, shared by every type
    bool required;                   //  must be present, not nil and not empty
} zs_msgtab_use_t;

//  The fields of one kind of map: a message type, or a record
struct zs_msgtab_type {
    const char *name;             //  wire name ("task.assign"), or for records the
                                  //  name used in errors ("agent record")
    size_t name_size;             //  strlen (name)
    const zs_msgtab_use_t *uses;  //  its fields in encoding order
    size_t count;                 //  number of uses
    size_t required;              //  how many of them are required (built at start)
    size_t least_size;            //  bytes the smallest valid map of it takes: its
                                  //  required fields at their shortest (built at start)
    uint16_t *by_key;             //  positions in uses in byte order of their keys,
                                  //  for binary search (built at start, never freed)
    uint16_t *floats;             //  offsets of its float fields (built at start, never
                                  //  freed; NULL when it has none, as most types)
    size_t float_count;           //  number of floats
};

//  Entry of a type; ZS_MSG_INVALID (and anything out of range) gets an entry that
//  allows nothing.
const zs_msgtab_type_t *zs_msgtab_type(zs_msg_type_t type);

//  Sets every float field of type in the map at base to NaN, its absent value.
void zs_msgtab_absent_floats(const zs_msgtab_type_t *type, uint8_t *base);

//  Position in type->uses of the field with a key of size bytes, or -1 when the type
//  has no such field.
int zs_msgtab_find(const zs_msgtab_type_t *type, const char *key, size_t size);

//  Arena bytes the table of a list or record array of count items under the message
//  key of key_size bytes takes, when left bytes of the frame follow its header: what a
//  decoder must reserve before it knows the type. Where message types give the key
//  record types of different sizes, the largest. 0 for a key of no list or record
//  array, and for a count no field of that key takes (more than its count_max, or more
//  records than can fit in left bytes).
size_t zs_msgtab_table_size(const char *key, size_t key_size, size_t count, size_t left);

//  A record array's table: the pointer at the field's offset, whatever the type of
//  struct it points to (read and written through memcpy, which may access a pointer of
//  any type)
const uint8_t *zs_msgtab_records(const zs_msgtab_field_t *field, const uint8_t *base);
void zs_msgtab_set_records(const zs_msgtab_field_t *field, uint8_t *base, void *table);

//  Typed views of a field's storage in a message or record
#define ZS_MSGTAB_AT(base, field, type)  ((type *) (void *) ((base) + (field)->offset))
#define ZS_MSGTAB_AUX(base, field, type) ((type *) (void *) ((base) + (field)->aux))
#define ZS_MSGTAB_GET(base, field, type)                                                 \
    (*(type const *) (const void *) ((base) + (field)->offset))
#define ZS_MSGTAB_GET_AUX(base, field, type)                                             \
    (*(type const *) (const void *) ((base) + (field)->aux))

#endif
