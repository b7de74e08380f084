//  zs_msgtab - the message table behind zs_msg: fields, their kinds and bounds, and the
//  fields each message type requires or allows (private to proto/)
//
//  One table drives encode, decode and JSON printing, so the three cannot disagree on a
//  key, a bound or the zero-means-absent rule. A field is described once, by its wire
//  key, its kind and bounds and the member of zs_msg_t (or zs_msg_agent_t, for the
//  records of agents.ok) that holds it; the compiler checks that the member's C type
//  fits the kind. A message type lists its own fields, each required or optional, in
//  the order they are encoded, "v" and "t" first. proto/PROTOCOL.md restates the same
//  table for implementers in other languages.
//
//  Nothing is sorted by hand and nothing caps the number of fields: the lookups decoding
//  needs (a type by its name, a field by its key within a type, any message field by its
//  key) are indexes built once, before main, from those lists. Building them also checks
//  the table (one description per key, no field listed twice by one type, every type
//  named once) and aborts the program with the reason when it is wrong, so a mistake in
//  the table stops every program and test at its start. The one bound is per type: a
//  type lists at most ZS_MSGTAB_TYPE_FIELDS_MAX fields (checked when compiling), the
//  size of the decoder's duplicate-key flags on the stack.
//
//  Adding a field: its member in zs_msg_t (zs_msg.h), its description in zs_msgtab.c,
//  R (required) or O (optional) in each type that carries it; then PROTOCOL.md §4 and
//  tests/unit/test_msg_spec.h, whose round trips and sweeps cover it from there. Adding
//  a type: its zs_msg_type_t value and its entry in zs_msgtab.c, then the same two.

#ifndef ZS_MSGTAB_H
#define ZS_MSGTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/zs_msg.h"

//  Fields one type may list, "v" and "t" included: the decoder keeps one flag per field
//  of the type on its stack. Raise it freely; today's largest type lists 18
#define ZS_MSGTAB_TYPE_FIELDS_MAX 64

//  How a field is carried on the wire and held in memory
typedef enum {
    ZS_KIND_VERSION,  //  "v": uint, always ZS_MSG_VERSION; nothing stored
    ZS_KIND_TYPE,     //  "t": str, the type name; stored as zs_msg_type_t
    ZS_KIND_UINT,     //  uint within min..max; uint64_t
    ZS_KIND_INT,      //  int within min..max; int64_t
    ZS_KIND_BOOL,     //  true or false; bool
    ZS_KIND_STR,      //  str of min..max bytes without NUL; const char *
    ZS_KIND_BIN,      //  bin of up to max bytes; const uint8_t * and size_t at aux
    ZS_KIND_STRLIST,  //  array of up to count_max strs of min..max bytes; zs_msg_list_t
    ZS_KIND_BINLIST,  //  array of up to count_max bins of up to max bytes; zs_msg_bins_t
    ZS_KIND_AGENTS,   //  array of up to count_max agent records (zs_msgtab_record);
                      //  zs_msg_agent_t * and size_t at aux
} zs_msgtab_kind_t;

typedef struct {
    const char *key;     //  wire key
    uint8_t key_size;    //  strlen (key)
    uint8_t kind;        //  zs_msgtab_kind_t
    uint16_t offset;     //  of the value in the message (or record)
    uint16_t aux;        //  of a bin's size or the record count
    uint16_t count_max;  //  items of a list or records of agents
    int64_t min;         //  least value, or least length of a str or list item
    uint64_t max;        //  greatest value, or greatest length
} zs_msgtab_field_t;

//  A field as one type carries it
typedef struct {
    const zs_msgtab_field_t *field;  //  its description, shared by every type
    bool required;                   //  must be present, not nil and not empty
} zs_msgtab_use_t;

//  The fields of one kind of map: a message type, or an agent record
typedef struct {
    const char *name;             //  wire name ("task.assign"), or for records the
                                  //  name used in errors
    size_t name_size;             //  strlen (name)
    const zs_msgtab_use_t *uses;  //  its fields in encoding order
    size_t count;                 //  number of uses
    size_t required;              //  how many of them are required (built at start)
    uint16_t *by_key;             //  positions in uses in byte order of their keys,
                                  //  for binary search (built at start, never freed)
} zs_msgtab_type_t;

//  Entry of a type; ZS_MSG_INVALID (and anything out of range) gets an entry that
//  allows nothing.
const zs_msgtab_type_t *zs_msgtab_type(zs_msg_type_t type);

//  The fields of an agent record in agents.ok and topology.ok.
const zs_msgtab_type_t *zs_msgtab_record(void);

//  Position in type->uses of the field with a key of size bytes, or -1 when the type
//  has no such field.
int zs_msgtab_find(const zs_msgtab_type_t *type, const char *key, size_t size);

//  The message field with a key of size bytes, whatever type carries it, or NULL when no
//  type has such a key: what a decoder knows of a key before it knows the type.
const zs_msgtab_field_t *zs_msgtab_field(const char *key, size_t size);

//  True when the field holds a value worth sending: a number other than zero, true, a
//  string that is not NULL (and, for a name, not empty), a bin that is not NULL (an
//  empty bin is a value), a list or record array that is not empty.
bool zs_msgtab_is_set(const zs_msgtab_field_t *field, const uint8_t *base);

//  True when a required field of this kind is sent even at zero: a number, a bool or
//  the records array has a value there; a NULL string, bin or list has none.
bool zs_msgtab_zero_is_value(const zs_msgtab_field_t *field);

//  True when the field is a name (ids, types, states: a str that cannot be empty), whose
//  empty string carries no more than its absence (PROTOCOL.md §2.3).
bool zs_msgtab_is_name(const zs_msgtab_field_t *field);

//  Bound checks shared by encode and decode. Each returns 0, or -1 with err (code
//  ZS_ERR_MALFORMED) saying "field 'key': ..." what was wrong.
int zs_msgtab_check_uint(const zs_msgtab_field_t *field, uint64_t value, zs_error_t *err);
int zs_msgtab_check_int(const zs_msgtab_field_t *field, int64_t value, zs_error_t *err);
int zs_msgtab_check_size(const zs_msgtab_field_t *field, size_t size, zs_error_t *err);
int zs_msgtab_check_count(const zs_msgtab_field_t *field, size_t count, zs_error_t *err);

//  Checks a str value of size bytes at data: its length within the field's bounds, no
//  NUL byte, valid UTF-8 (RFC 3629: no overlong forms, surrogates or code points above
//  U+10FFFF), as msgpack requires of str and as strict clients (Python's msgpack) check.
int zs_msgtab_check_str(const zs_msgtab_field_t *field,
                        const char *data,
                        size_t size,
                        zs_error_t *err);

//  Length of the valid UTF-8 sequence of two to four bytes starting at data (left bytes
//  available), or 0 when there is none.
size_t zs_msgtab_utf8_size(const uint8_t *data, size_t left);

//  Where size bytes of data stop being a valid str (a NUL byte, or not UTF-8): the
//  offset of the first bad byte, or SIZE_MAX when there is none.
size_t zs_msgtab_text_fault(const char *data, size_t size);

//  Typed views of a field's storage in a message or record
#define ZS_MSGTAB_AT(base, field, type)  ((type *) (void *) ((base) + (field)->offset))
#define ZS_MSGTAB_AUX(base, field, type) ((type *) (void *) ((base) + (field)->aux))
#define ZS_MSGTAB_GET(base, field, type)                                                 \
    (*(type const *) (const void *) ((base) + (field)->offset))
#define ZS_MSGTAB_GET_AUX(base, field, type)                                             \
    (*(type const *) (const void *) ((base) + (field)->aux))

#endif
