//  zs_msgtab - the message table behind zs_msg: fields, their kinds and bounds, and which
//  fields each message type requires or allows (private to proto/)
//
//  One table drives encode, decode and JSON printing, so the three cannot disagree on a
//  key, a bound or the zero-means-absent rule. A field is described once, by its wire
//  key, its kind and bounds and where it lives in zs_msg_t (or zs_msg_agent_t for the
//  records of agents.ok); a type is two bit sets over field ids: required and allowed.
//  proto/PROTOCOL.md restates the same table for implementers in other languages.

#ifndef ZS_MSGTAB_H
#define ZS_MSGTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/zs_msg.h"

//  Field ids of zs_msg_t, in struct order, which is also the order fields are encoded in
typedef enum {
    ZS_F_V,
    ZS_F_T,
    ZS_F_RID,
    ZS_F_SEQ,
    ZS_F_AGENT,
    ZS_F_ATYPE,
    ZS_F_CAPS,
    ZS_F_CONC,
    ZS_F_HOST,
    ZS_F_PID,
    ZS_F_LOCAL,
    ZS_F_HB,
    ZS_F_LIVE,
    ZS_F_HANDLER,
    ZS_F_ARGV,
    ZS_F_LOAD,
    ZS_F_CODE,
    ZS_F_WHY,
    ZS_F_TASK,
    ZS_F_TTYPE,
    ZS_F_PAYLOAD,
    ZS_F_PRI,
    ZS_F_TMO,
    ZS_F_TRIES,
    ZS_F_ATT,
    ZS_F_PCT,
    ZS_F_NOTE,
    ZS_F_STATUS,
    ZS_F_EXIT,
    ZS_F_STDOUT,
    ZS_F_STDERR,
    ZS_F_STATE,
    ZS_F_WAIT,
    ZS_F_DUP,
    ZS_F_NAME,
    ZS_F_AGENTS,
    ZS_F_N_AGENTS,
    ZS_F_N_READY,
    ZS_F_N_RUNNING,
    ZS_F_N_PENDING,
    ZS_F_N_COMPLETED,
    ZS_F_N_DEAD,
    ZS_F_N_CANCELLED,
    ZS_F_N_SUBMITTED,
    ZS_F_UPTIME_MS,
    ZS_F_ENDED,
    ZS_F_SCALE,
    ZS_F_NODE,
    ZS_F_SLOTS,
    ZS_F_DEPS,
    ZS_F_ITEMS,
    ZS_F_AGG,
    ZS_F_STRATEGY,
    ZS_F_REQUIRES,
    ZS_F_BID,
    ZS_F_PEERS,
    ZS_F_GONE,
    ZS_F_FULL,
    ZS_F_ROLE,
    ZS_F_LEAD,
    ZS_F_TOPOLOGY,
    ZS_F_LINKS,
    ZS_F_N_FORBIDDEN,
    ZS_F_KEY,
    ZS_F_VALUE,
    ZS_F_TAGS,
    ZS_F_TTL,
    ZS_F_ACCESS,
    ZS_F_VERSION,
    ZS_F_CAS,
    ZS_F_PREFIX,
    ZS_F_KEYS,
    ZS_F_EXPIRES,
    ZS_F_AMOUNT,
    ZS_F_HALF_LIFE,
    ZS_F_LEVEL,
    ZS_F_TOP,
    ZS_F_LEVEL_MICRO,
    ZS_F_AT,
    ZS_F_VOTE,
    ZS_F_QUESTION,
    ZS_F_OPTIONS,
    ZS_F_VOTERS,
    ZS_F_DEADLINE,
    ZS_F_OPTION,
    ZS_F_CONFIDENCE,
    ZS_F_WEIGHT,
    ZS_F_BALLOTS,
    ZS_F_VOTES,
    ZS_F_CAST,
    ZS_F_VOTE_ARGV,
    ZS_F_SECRET,
    ZS_F_ADDR,
    ZS_F_QUEUED_BYTES,
    ZS_F_RESULTS_BYTES,
    ZS_F_COUNT
} zs_msgtab_field_id_t;

//  A set of field ids of one table: bit i is field i. 128 bits wide (a GCC and clang
//  extension, hence __extension__), so zs_msg_t may have up to 128 fields
__extension__ typedef unsigned __int128 zs_fieldset_t;
#define ZS_FIELDSET_BITS 128

//  The set of field id alone; a constant expression for a constant id
#define ZS_FIELDSET_OF(id) ((zs_fieldset_t) 1 << (id))

//  True when id is in set
static inline bool
zs_fieldset_has(zs_fieldset_t set, int id)
{
    return (set >> id) & 1;
}

//  The lowest id in set, which must not be empty
static inline int
zs_fieldset_first(zs_fieldset_t set)
{
    uint64_t low = (uint64_t) set;
    return low ? __builtin_ctzll(low) : 64 + __builtin_ctzll((uint64_t) (set >> 64));
}

//  Number of ids in set
static inline int
zs_fieldset_count(zs_fieldset_t set)
{
    return __builtin_popcountll((uint64_t) set) +
           __builtin_popcountll((uint64_t) (set >> 64));
}

//  Every field id of a table of count fields
static inline zs_fieldset_t
zs_fieldset_all(size_t count)
{
    return count >= ZS_FIELDSET_BITS ? ~(zs_fieldset_t) 0
                                     : ZS_FIELDSET_OF((int) count) - 1;
}

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
    ZS_KIND_AGENTS,   //  array of up to count_max records; zs_msg_agent_t * and count at
                      //  aux
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

//  The fields of one kind of map: a message, or an agent record
typedef struct {
    const zs_msgtab_field_t *fields;  //  indexed by field id
    const uint8_t *sorted;            //  field ids in key order, for binary search
    size_t count;                     //  number of fields
    zs_fieldset_t required;           //  for records: fields every record must have
    const char *what;                 //  for records: name used in errors
} zs_msgtab_t;

typedef struct {
    const char *name;        //  wire name, "task.assign"
    size_t name_size;        //  strlen (name)
    zs_fieldset_t required;  //  field ids that must be present, v and t included
    zs_fieldset_t allowed;   //  field ids that may be present, required ones included
} zs_msgtab_type_t;

extern const zs_msgtab_t zs_msgtab_message;  //  fields of zs_msg_t
extern const zs_msgtab_t zs_msgtab_record;   //  fields of zs_msg_agent_t

//  Entry of a type; ZS_MSG_INVALID (and anything out of range) gets an entry that
//  allows nothing.
const zs_msgtab_type_t *zs_msgtab_type(zs_msg_type_t type);

//  Field id for a key of size bytes, or -1 when the table has no such key.
int zs_msgtab_find(const zs_msgtab_t *self, const char *key, size_t size);

//  True when the field holds a value worth sending: a number other than zero, true, a
//  string or bin pointer that is not NULL, a list or record array that is not empty.
bool zs_msgtab_is_set(const zs_msgtab_field_t *field, const uint8_t *base);

//  True when a required field of this kind is sent even at zero: a number, a bool or
//  the records array has a value there; a NULL string, bin or list has none.
bool zs_msgtab_zero_is_value(const zs_msgtab_field_t *field);

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
