//  zs_msg_decode - zs_msg_decode (see zs_msg.h): strict, two passes, one allocation
//
//  Decoding does not use msgpack-c's unpacker: it sizes its allocations from the counts
//  a frame claims before seeing the data, so a 5-byte frame claiming 2^32 elements would
//  make it allocate gigabytes. zs_mpread checks every length and count against the bytes
//  left instead, and this file checks them against the field's bound, before anything
//  is allocated.
//
//  A frame is read twice. The first pass checks the msgpack structure, finds "v", "t"
//  and "rid" wherever they are in the map (a client may put them last) and adds up what
//  the arena needs, so a version or type error is reported as such even when the rest of
//  the map is meant for another version. The second pass fills the message, field by
//  field, through the table in zs_msgtab.c, and copies strings and bins into one arena
//  allocated at the first need: a frame refused early allocates nothing.

#include "proto/zs_mpread.h"
#include "proto/zs_msg.h"
#include "proto/zs_msgtab.h"
#include "proto/zs_msgval.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(ZS_MPREAD_ERROR == ZS_ERR_MALFORMED, "reader errors are malformed");

//  Longest sample of an untrusted key or type name quoted in an error
#define S_SAMPLE_MAX 48

typedef struct {
    zs_mpread_t rd;       //  cursor over the frame
    zs_error_t *err;      //  what went wrong, for the caller
    uint8_t *arena;       //  one allocation at the first need; owned until handed over
    size_t tables_size;   //  arena bytes for list pointers and records, at its start
    size_t strings_size;  //  arena bytes for strings and bins, each with a NUL, after
    size_t tables_used;   //  of tables_size
    size_t strings_used;  //  of strings_size
} s_decoder_t;

typedef struct {
    zs_mp_item_t v;  //  value of "v"
    zs_mp_item_t t;  //  value of "t"
    bool has_v;      //  "v" was seen
    bool has_t;      //  "t" was seen
    bool has_rid;    //  a uint "rid" was seen
    uint64_t rid;    //  its value
} s_head_t;

//  The first pass sized the arena from the same bytes, so running out is a bug here;
//  still, it is reported, never written past
static void *
s_arena_take(s_decoder_t *self, size_t *used, size_t region, size_t start, size_t size)
{
    if (size > region - *used) {
        zs_error_set(self->err, ZS_ERR_MALFORMED, "decoder arena exhausted");
        return NULL;
    }
    if (!self->arena) {
        self->arena = zs_malloc(self->tables_size + self->strings_size);
    }
    void *taken = self->arena + start + *used;
    *used += size;
    return taken;
}

static void *
s_arena_table(s_decoder_t *self, size_t size)
{
    return s_arena_take(self, &self->tables_used, self->tables_size, 0, size);
}

static char *
s_arena_copy(s_decoder_t *self, const zs_mp_item_t *item)
{
    char *copy = s_arena_take(self, &self->strings_used, self->strings_size,
                              self->tables_size, item->size + 1);
    if (copy) {
        memcpy(copy, item->data, item->size);
        copy[item->size] = '\0';
    }
    return copy;
}

static int
s_read_key(s_decoder_t *self, zs_mp_item_t *key)
{
    if (zs_mpread_next(&self->rd, key, self->err) != 0) {
        return -1;
    }
    if (key->kind != ZS_MP_STR) {
        return zs_error_set(self->err, ZS_ERR_MALFORMED, "key is a %s, not a str",
                            zs_mp_kind_name(key->kind));
    }
    return 0;
}

static int
s_scan_value(s_decoder_t *self, const zs_mp_item_t *key, const zs_mp_item_t *value)
{
    switch (value->kind) {
    case ZS_MP_STR:
    case ZS_MP_BIN:
        self->strings_size += value->size + 1;
        return 0;
    case ZS_MP_ARRAY:
        //  the type is not known yet, but a key means one kind of table whatever the
        //  type, and the largest is reserved where types differ (zs_msgtab.h); counts
        //  the second pass will refuse before allocating reserve nothing
        {
            size_t table = zs_msgtab_table_size((const char *) key->data, key->size,
                                                value->size, zs_mpread_left(&self->rd));
            //  Records may hold lists of their own (an agent's caps): only a known array
            //  reserves for the arrays inside it, and only for those short enough to be
            //  taken, so that a frame of nested arrays cannot make the arena grow
            size_t nested = 0;
            self->tables_size += table;
            if (zs_mpread_skip(&self->rd, value->size, &self->strings_size,
                               table ? &nested : NULL, ZS_MSG_RECORD_LIST_MAX,
                               self->err) != 0) {
                return -1;
            }
            self->tables_size += nested * sizeof(const char *);
            return 0;
        }
    case ZS_MP_MAP:
        return zs_mpread_skip(&self->rd, 2 * (uint64_t) value->size, &self->strings_size,
                              NULL, 0, self->err);
    default:
        return 0;
    }
}

static bool
s_key_is(const zs_mp_item_t *key, const char *name, size_t size)
{
    return key->size == size && memcmp(key->data, name, size) == 0;
}

//  Keeps the value of "v" or "t" for the checks after the first pass; each once
static int
s_scan_head(s_decoder_t *self,
            const char *key,
            bool *seen,
            zs_mp_item_t *kept,
            const zs_mp_item_t *value)
{
    if (*seen) {
        return zs_error_set(self->err, ZS_ERR_MALFORMED, "duplicate key '%s'", key);
    }
    *seen = true;
    *kept = *value;
    return 0;
}

static int
s_scan_pair(s_decoder_t *self, s_head_t *head)
{
    zs_mp_item_t key, value;
    if (s_read_key(self, &key) != 0 ||
        zs_mpread_next(&self->rd, &value, self->err) != 0) {
        return -1;
    }
    int rc = 0;
    if (s_key_is(&key, "v", 1)) {
        rc = s_scan_head(self, "v", &head->has_v, &head->v, &value);
    } else if (s_key_is(&key, "t", 1)) {
        rc = s_scan_head(self, "t", &head->has_t, &head->t, &value);
    } else if (s_key_is(&key, "rid", 3) && value.kind == ZS_MP_UINT && !head->has_rid) {
        head->has_rid = true;
        head->rid = value.u;
    }
    return rc != 0 ? rc : s_scan_value(self, &key, &value);
}

//  First pass: structure, "v", "t", "rid" and the arena's size
static int
s_scan(s_decoder_t *self, s_head_t *head)
{
    zs_mp_item_t map;
    if (zs_mpread_next(&self->rd, &map, self->err) != 0) {
        return -1;
    }
    if (map.kind != ZS_MP_MAP) {
        return zs_error_set(self->err, ZS_ERR_MALFORMED, "message is a %s, not a map",
                            zs_mp_kind_name(map.kind));
    }
    for (size_t i = 0; i < map.size; i++) {
        if (s_scan_pair(self, head) != 0) {
            return -1;
        }
    }
    if (zs_mpread_left(&self->rd) > 0) {
        return zs_error_set(self->err, ZS_ERR_MALFORMED,
                            "%zu trailing bytes after the map",
                            zs_mpread_left(&self->rd));
    }
    return 0;
}

static int
s_check_version(const s_head_t *head, zs_error_t *err)
{
    if (!head->has_v) {
        return zs_error_set(err, ZS_ERR_VERSION, "missing key 'v' (version)");
    }
    if (head->v.kind != ZS_MP_UINT) {
        return zs_error_set(err, ZS_ERR_VERSION, "version is a %s (want uint %d)",
                            zs_mp_kind_name(head->v.kind), ZS_MSG_VERSION);
    }
    if (head->v.u != ZS_MSG_VERSION) {
        return zs_error_set(err, ZS_ERR_VERSION,
                            "version %" PRIu64 " not supported (want %d)", head->v.u,
                            ZS_MSG_VERSION);
    }
    return 0;
}

static int
s_check_type(const s_head_t *head, zs_msg_type_t *type, zs_error_t *err)
{
    if (!head->has_t) {
        return zs_error_set(err, ZS_ERR_MALFORMED, "missing key 't' (type)");
    }
    if (head->t.kind != ZS_MP_STR) {
        return zs_error_set(err, ZS_ERR_MALFORMED, "field 't': expected str, got %s",
                            zs_mp_kind_name(head->t.kind));
    }
    *type = zs_msg_type_from_name((const char *) head->t.data, head->t.size);
    if (*type == ZS_MSG_INVALID) {
        char sample[S_SAMPLE_MAX];
        zs_sanitize(sample, sizeof sample, head->t.data, head->t.size);
        return zs_error_set(err, ZS_ERR_UNKNOWN_TYPE, "unknown type '%s'", sample);
    }
    return 0;
}

static int s_decode_map(s_decoder_t *self,
                        const zs_msgtab_type_t *type,
                        uint8_t *base,
                        size_t pairs);

static int
s_wrong_kind(s_decoder_t *self,
             const zs_msgtab_field_t *field,
             const char *expected,
             const zs_mp_item_t *item)
{
    return zs_error_set(self->err, ZS_ERR_MALFORMED, "field '%s': expected %s, got %s",
                        field->key, expected, zs_mp_kind_name(item->kind));
}

static int
s_decode_str(s_decoder_t *self,
             const zs_msgtab_field_t *field,
             const zs_mp_item_t *item,
             const char **out)
{
    if (item->kind != ZS_MP_STR) {
        return s_wrong_kind(self, field, "str", item);
    }
    const char *text = (const char *) item->data;
    if (zs_msgval_check_str(field, text, item->size, self->err) != 0) {
        return -1;
    }
    *out = s_arena_copy(self, item);
    return *out ? 0 : -1;
}

//  Bins are copied with a NUL after them too, so a text payload reads as a C string
static int
s_decode_bin(s_decoder_t *self,
             const zs_msgtab_field_t *field,
             const zs_mp_item_t *item,
             uint8_t *base)
{
    if (item->kind != ZS_MP_BIN) {
        return s_wrong_kind(self, field, "bin", item);
    }
    if (zs_msgval_check_size(field, item->size, self->err) != 0) {
        return -1;
    }
    char *copy = s_arena_copy(self, item);
    *ZS_MSGTAB_AT(base, field, const uint8_t *) = (const uint8_t *) copy;
    *ZS_MSGTAB_AUX(base, field, size_t) = item->size;
    return copy ? 0 : -1;
}

//  An array value's table of item->size items of item_size bytes each, in the arena
//  (NULL for none). Returns 0, or -1 for a value that is no array or too long.
static int
s_array_table(s_decoder_t *self,
              const zs_msgtab_field_t *field,
              const zs_mp_item_t *item,
              size_t item_size,
              void **table)
{
    *table = NULL;
    if (item->kind != ZS_MP_ARRAY) {
        return s_wrong_kind(self, field, "array", item);
    }
    if (zs_msgval_check_count(field, item->size, self->err) != 0) {
        return -1;
    }
    if (item->size > 0 && !(*table = s_arena_table(self, item->size * item_size))) {
        return -1;
    }
    return 0;
}

static int
s_decode_list(s_decoder_t *self,
              const zs_msgtab_field_t *field,
              const zs_mp_item_t *item,
              uint8_t *base)
{
    void *table;
    if (s_array_table(self, field, item, sizeof(const char *), &table) != 0) {
        return -1;
    }
    const char **items = table;
    for (size_t i = 0; i < item->size; i++) {
        zs_mp_item_t str;
        if (zs_mpread_next(&self->rd, &str, self->err) != 0 ||
            s_decode_str(self, field, &str, &items[i]) != 0) {
            return -1;
        }
    }
    zs_msg_list_t *list = ZS_MSGTAB_AT(base, field, zs_msg_list_t);
    list->items = items;
    list->count = item->size;
    return 0;
}

static int
s_decode_bins(s_decoder_t *self,
              const zs_msgtab_field_t *field,
              const zs_mp_item_t *item,
              uint8_t *base)
{
    void *table;
    if (s_array_table(self, field, item, sizeof(zs_msg_bin_t), &table) != 0) {
        return -1;
    }
    zs_msg_bin_t *items = table;
    for (size_t i = 0; i < item->size; i++) {
        zs_mp_item_t bin;
        if (zs_mpread_next(&self->rd, &bin, self->err) != 0) {
            return -1;
        }
        if (bin.kind != ZS_MP_BIN) {
            return s_wrong_kind(self, field, "bin items", &bin);
        }
        if (zs_msgval_check_size(field, bin.size, self->err) != 0) {
            return -1;
        }
        items[i].data = (const uint8_t *) s_arena_copy(self, &bin);
        items[i].size = bin.size;
        if (!items[i].data) {
            return -1;
        }
    }
    zs_msg_bins_t *bins = ZS_MSGTAB_AT(base, field, zs_msg_bins_t);
    bins->items = items;
    bins->count = item->size;
    return 0;
}

static int
s_decode_record(s_decoder_t *self,
                const zs_msgtab_field_t *field,
                uint8_t *record,
                size_t index)
{
    zs_mp_item_t map;
    if (zs_mpread_next(&self->rd, &map, self->err) != 0) {
        return -1;
    }
    if (map.kind != ZS_MP_MAP) {
        return zs_error_set(self->err, ZS_ERR_MALFORMED,
                            "field '%s': record %zu is a %s, not a map", field->key,
                            index, zs_mp_kind_name(map.kind));
    }
    zs_msgtab_absent_floats(field->record, record);
    if (s_decode_map(self, field->record, record, map.size) != 0) {
        char inner[ZS_ERROR_TEXT_MAX];
        memcpy(inner, self->err->text, sizeof inner);
        return zs_error_set(self->err, ZS_ERR_MALFORMED, "field '%s': record %zu: %s",
                            field->key, index, inner);
    }
    return 0;
}

static int
s_decode_records(s_decoder_t *self,
                 const zs_msgtab_field_t *field,
                 const zs_mp_item_t *item,
                 uint8_t *base)
{
    if (item->kind != ZS_MP_ARRAY) {
        return s_wrong_kind(self, field, "array", item);
    }
    if (zs_msgval_check_count(field, item->size, self->err) != 0) {
        return -1;
    }
    if (item->size > zs_mpread_left(&self->rd) / field->record->least_size) {
        return zs_error_set(self->err, ZS_ERR_MALFORMED,
                            "field '%s': %zu records cannot fit in %zu bytes", field->key,
                            item->size, zs_mpread_left(&self->rd));
    }
    uint8_t *records = NULL;
    size_t size = item->size * field->record_size;
    if (item->size > 0 && !(records = s_arena_table(self, size))) {
        return -1;
    }
    if (records) {
        memset(records, 0, size);
    }
    for (size_t i = 0; i < item->size; i++) {
        if (s_decode_record(self, field, records + i * field->record_size, i) != 0) {
            return -1;
        }
    }
    zs_msgtab_set_records(field, base, records);
    *ZS_MSGTAB_AUX(base, field, size_t) = item->size;
    return 0;
}

static int
s_decode_uint(s_decoder_t *self,
              const zs_msgtab_field_t *field,
              const zs_mp_item_t *item,
              uint8_t *base)
{
    if (item->kind != ZS_MP_UINT) {
        return s_wrong_kind(self, field, "uint", item);
    }
    *ZS_MSGTAB_AT(base, field, uint64_t) = item->u;
    return zs_msgval_check_uint(field, item->u, self->err);
}

static int
s_decode_int(s_decoder_t *self,
             const zs_msgtab_field_t *field,
             const zs_mp_item_t *item,
             uint8_t *base)
{
    if (item->kind == ZS_MP_UINT && item->u > INT64_MAX) {
        return zs_error_set(self->err, ZS_ERR_MALFORMED,
                            "field '%s': %" PRIu64 " out of range %" PRId64 "..%" PRIu64,
                            field->key, item->u, field->min, field->max);
    }
    if (item->kind != ZS_MP_UINT && item->kind != ZS_MP_NINT) {
        return s_wrong_kind(self, field, "int", item);
    }
    int64_t value = item->kind == ZS_MP_UINT ? (int64_t) item->u : item->i;
    *ZS_MSGTAB_AT(base, field, int64_t) = value;
    return zs_msgval_check_int(field, value, self->err);
}

//  Any number the sender had: a float of either width, or an integer (the nearest
//  double to it); NaN and infinities are refused, as the encoder cannot send them
static int
s_decode_float(s_decoder_t *self,
               const zs_msgtab_field_t *field,
               const zs_mp_item_t *item,
               uint8_t *base)
{
    double value;
    if (item->kind == ZS_MP_FLOAT) {
        value = item->f;
    } else if (item->kind == ZS_MP_UINT) {
        value = (double) item->u;
    } else if (item->kind == ZS_MP_NINT) {
        value = (double) item->i;
    } else {
        return s_wrong_kind(self, field, "float", item);
    }
    if (zs_msgval_check_float(field, value, self->err) != 0) {
        return -1;
    }
    *ZS_MSGTAB_AT(base, field, double) = value;
    return 0;
}

//  A top-level str: an empty name in an optional field is no name, so it reads as absent
//  (PROTOCOL.md §2.3), as a client without omitempty sends it
static int
s_decode_field_str(s_decoder_t *self,
                   const zs_msgtab_use_t *use,
                   const zs_mp_item_t *item,
                   uint8_t *base)
{
    const zs_msgtab_field_t *field = use->field;
    if (item->kind == ZS_MP_STR && item->size == 0 && !use->required &&
        zs_msgval_is_name(field)) {
        return 0;
    }
    return s_decode_str(self, field, item, ZS_MSGTAB_AT(base, field, const char *));
}

//  Reads one field's value into base. A nil is what most msgpack libraries send for an
//  absent value: it reads as absent in an optional field (PROTOCOL.md §2.3), and a
//  required field has none
static int
s_decode_value(s_decoder_t *self,
               const zs_msgtab_type_t *type,
               const zs_msgtab_use_t *use,
               uint8_t *base)
{
    const zs_msgtab_field_t *field = use->field;
    zs_mp_item_t item;
    if (zs_mpread_next(&self->rd, &item, self->err) != 0) {
        return -1;
    }
    if (item.kind == ZS_MP_NIL) {
        return use->required ? zs_error_set(self->err, ZS_ERR_MALFORMED,
                                            "required field '%s' for '%s' is nil",
                                            field->key, type->name)
                             : 0;
    }
    switch ((zs_msgtab_kind_t) field->kind) {
    case ZS_KIND_VERSION:
    case ZS_KIND_TYPE:
        return 0;  //  checked by the first pass; both are scalars, so read whole
    case ZS_KIND_UINT:
        return s_decode_uint(self, field, &item, base);
    case ZS_KIND_INT:
        return s_decode_int(self, field, &item, base);
    case ZS_KIND_BOOL:
        if (item.kind != ZS_MP_BOOL) {
            return s_wrong_kind(self, field, "bool", &item);
        }
        *ZS_MSGTAB_AT(base, field, bool) = item.b;
        return 0;
    case ZS_KIND_FLOAT:
        return s_decode_float(self, field, &item, base);
    case ZS_KIND_STR:
        return s_decode_field_str(self, use, &item, base);
    case ZS_KIND_BIN:
        return s_decode_bin(self, field, &item, base);
    case ZS_KIND_STRLIST:
        return s_decode_list(self, field, &item, base);
    case ZS_KIND_BINLIST:
        return s_decode_bins(self, field, &item, base);
    case ZS_KIND_RECORDS:
        return s_decode_records(self, field, &item, base);
    }
    return zs_error_set(self->err, ZS_ERR_MALFORMED, "field '%s': unknown kind",
                        field->key);
}

static int
s_unknown_key(s_decoder_t *self, const zs_mp_item_t *key, const char *what)
{
    char sample[S_SAMPLE_MAX];
    zs_sanitize(sample, sizeof sample, key->data, key->size);
    return zs_error_set(self->err, ZS_ERR_MALFORMED, "unknown key '%s' for '%s'", sample,
                        what);
}

//  An empty list is no value (PROTOCOL.md §2.3), so a required list sent empty is
//  refused like a missing one: the encoder refuses to send it, and whatever decodes
//  must encode, for the coordinator to journal or forward it
static int
s_check_valued(s_decoder_t *self,
               const zs_msgtab_type_t *type,
               const zs_msgtab_use_t *use,
               const uint8_t *base)
{
    if (use->required && !zs_msgval_is_set(use->field, base) &&
        !zs_msgval_zero_is_value(use->field)) {
        return zs_error_set(self->err, ZS_ERR_MALFORMED,
                            "required field '%s' for '%s' is empty", use->field->key,
                            type->name);
    }
    return 0;
}

static int
s_missing(s_decoder_t *self, const zs_msgtab_type_t *type, const bool *seen)
{
    size_t at = 0;
    while (at < type->count && (seen[at] || !type->uses[at].required)) {
        at++;
    }
    return zs_error_set(self->err, ZS_ERR_MALFORMED,
                        "missing required field '%s' for '%s'",
                        at < type->count ? type->uses[at].field->key : "?", type->name);
}

//  Position of key among the type's fields, or -1. A zswarm sender writes them in the
//  order the type lists them, so the one after the previous key is tried first: in a
//  frame from zswarm every key is found at the first comparison
static int
s_find(const zs_msgtab_type_t *type, size_t guess, const zs_mp_item_t *key)
{
    if (guess < type->count) {
        const zs_msgtab_field_t *field = type->uses[guess].field;
        if (field->key_size == key->size &&
            memcmp(field->key, key->data, key->size) == 0) {
            return (int) guess;
        }
    }
    return zs_msgtab_find(type, (const char *) key->data, key->size);
}

//  The pairs of a map of the type into base. Each key is found among the type's own
//  fields, and flagged, so that a second one is refused
static int
s_decode_map(s_decoder_t *self, const zs_msgtab_type_t *type, uint8_t *base, size_t pairs)
{
    bool seen[ZS_MSGTAB_TYPE_FIELDS_MAX];
    memset(seen, 0, type->count * sizeof *seen);
    size_t required = 0;
    int at = -1;
    for (size_t i = 0; i < pairs; i++) {
        zs_mp_item_t key;
        if (s_read_key(self, &key) != 0) {
            return -1;
        }
        at = s_find(type, (size_t) (at + 1), &key);
        if (at < 0) {
            return s_unknown_key(self, &key, type->name);
        }
        const zs_msgtab_use_t *use = &type->uses[at];
        if (seen[at]) {
            return zs_error_set(self->err, ZS_ERR_MALFORMED, "duplicate key '%s'",
                                use->field->key);
        }
        seen[at] = true;
        if (s_decode_value(self, type, use, base) != 0 ||
            s_check_valued(self, type, use, base) != 0) {
            return -1;
        }
        required += use->required;
    }
    return required < type->required ? s_missing(self, type, seen) : 0;
}

//  Second pass: the fields, into self
static int
s_decode_message(s_decoder_t *self, zs_msg_t *msg)
{
    zs_mp_item_t map;
    if (zs_mpread_next(&self->rd, &map, self->err) != 0) {
        return -1;
    }
    return s_decode_map(self, zs_msgtab_type(msg->type), (uint8_t *) msg, map.size);
}

int
zs_msg_decode(zs_msg_t *self, const void *data, size_t size, zs_error_t *err)
{
    assert(self);
    assert(data || size == 0);
    zs_error_t scratch;
    s_decoder_t dec = {.err = err ? err : &scratch};
    s_head_t head = {.has_v = false};
    zs_msg_type_t type = ZS_MSG_INVALID;
    zs_msg_init(self, ZS_MSG_INVALID);
    zs_mpread_init(&dec.rd, data, size);
    if (size > ZS_MSG_FRAME_MAX) {
        zs_error_set(dec.err, ZS_ERR_MALFORMED, "frame of %zu bytes, more than %u", size,
                     ZS_MSG_FRAME_MAX);
        goto failed;
    }
    if (s_scan(&dec, &head) != 0 || s_check_version(&head, dec.err) != 0 ||
        s_check_type(&head, &type, dec.err) != 0) {
        goto failed;
    }
    self->type = type;
    zs_msgtab_absent_floats(zs_msgtab_type(type), (uint8_t *) self);
    zs_mpread_init(&dec.rd, data, size);
    if (s_decode_message(&dec, self) != 0) {
        goto failed;
    }
    self->arena_ = dec.arena;
    return 0;

failed:
    free(dec.arena);
    zs_msg_init(self, ZS_MSG_INVALID);
    self->rid = head.rid;
    return -1;
}
