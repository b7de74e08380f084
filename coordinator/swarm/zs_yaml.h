//  zs_yaml - strict YAML reading for swarm files: screened, then read by key tables
//
//  Reading runs in steps. zs_yaml_load screens libyaml's events, reporting syntax errors
//  and refusing what a config file never needs and what would make it mean more than it
//  says: aliases, anchors, explicit tags, a second document, deep nesting. Then it builds
//  the node tree with libyaml's document API, whose start marks give every error its
//  line and column. Last, zs_yaml_read_map checks each mapping against a key table
//  (name, reader, target offset, range): an unknown, duplicate or missing required key is
//  an error, and each key's reader checks its value and stores it into the target. The
//  first error wins: it fills err with "PATH:LINE:COL: message" and every caller returns
//  -1 at once. Values from the file are quoted through zs_yaml_sample, so an error line
//  stays short and printable whatever the file holds.

#ifndef ZS_YAML_H
#define ZS_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "common/zs_util.h"

#define ZS_YAML_DEPTH_MAX     16    //  nested collections zs_yaml_load accepts
#define ZS_YAML_KEYS_MAX      24    //  keys in a table: the size of a found[] array
#define ZS_YAML_SAMPLE_MAX    72    //  bytes of a value from the file in an error
#define ZS_YAML_LENGTH(array) (sizeof(array) / sizeof(array)[0])

//  One text being read. Embedded: zs_yaml_init, then zs_yaml_fini.
typedef struct {
    const char *text;          //  the file's bytes, borrowed
    size_t size;               //  bytes in text
    const char *path;          //  names the source in errors, borrowed
    zs_error_t *err;           //  receives the first error, borrowed, may be NULL
    int code;                  //  err->code for errors found now; callers set it per step
    yaml_document_t document;  //  the node tree, valid once zs_yaml_load succeeded
    bool loaded;               //  whether document holds a tree to delete
} zs_yaml_t;

typedef enum { ZS_YAML_OPTIONAL, ZS_YAML_REQUIRED } zs_yaml_need_t;

typedef struct zs_yaml_key_t zs_yaml_key_t;

//  Checks a key's value node and stores it into the target. Returns 0, or -1 after
//  zs_yaml_fail.
typedef int(zs_yaml_read_fn)(zs_yaml_t *self,
                             const zs_yaml_key_t *key,
                             yaml_node_t *node,
                             void *target);

struct zs_yaml_key_t {
    const char *name;       //  key as written in the file
    zs_yaml_read_fn *read;  //  checks the value node and stores it into the target
    size_t offset;          //  where read stores it; readers of one known field ignore it
    int64_t min, max;       //  range of an integer, or item count of a sequence
    const void *arg;        //  reader's extra: a zs_yaml_table_t or a zs_yaml_choices_t
    zs_yaml_need_t need;    //  whether the mapping is invalid without this key
};

typedef struct {
    const char *label;          //  names the mapping in errors: "in agent type"
    const zs_yaml_key_t *keys;  //  keys it may hold, in the order errors list them
    size_t count;               //  items in keys, at most ZS_YAML_KEYS_MAX
} zs_yaml_table_t;

typedef struct {
    const char *word;  //  value as written in the file
    int value;         //  what it stores
} zs_yaml_choice_t;

typedef struct {
    const zs_yaml_choice_t *items;  //  every value the format knows
    size_t count;                   //  items in items
    const char *expected;           //  the values, for errors
} zs_yaml_choices_t;

typedef struct {
    char text[ZS_YAML_SAMPLE_MAX];  //  printable, bounded copy of a value from the file
} zs_yaml_sample_t;

//  Checks one item of a list of strings, for zs_yaml_read_strings
typedef int(zs_yaml_item_fn)(zs_yaml_t *self,
                             const zs_yaml_key_t *key,
                             const yaml_node_t *item);

//  ---------------------------------------------------------------------------------------
//  The text and its tree

//  Start reading text (borrowed, size bytes); path (borrowed) names it in errors, and
//  err (borrowed, may be NULL) receives the first error. Nothing is parsed yet.
void zs_yaml_init(
    zs_yaml_t *self, const char *text, size_t size, const char *path, zs_error_t *err);

//  Free the tree, if one was built. Accepts a text that was never loaded.
void zs_yaml_fini(zs_yaml_t *self);

//  Screen the text and build its tree. Returns 0, or -1 with the error set. Aborts if
//  libyaml runs out of memory.
int zs_yaml_load(zs_yaml_t *self);

//  The root node of the loaded tree, borrowed, or NULL for an empty text.
yaml_node_t *zs_yaml_root(zs_yaml_t *self);

//  The node of a loaded tree at a libyaml index, borrowed.
yaml_node_t *zs_yaml_node(zs_yaml_t *self, int index);

//  The value node of a key in a mapping, borrowed, or NULL when map is NULL or lacks it.
const yaml_node_t *
zs_yaml_map_value(zs_yaml_t *self, const yaml_node_t *map, const char *name);

//  ---------------------------------------------------------------------------------------
//  Errors

//  Set the error to "PATH:LINE:COL: message" at mark, with self->code. Returns -1.
int zs_yaml_fail(zs_yaml_t *self, yaml_mark_t mark, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

//  A printable, bounded copy of size bytes of text, to quote in an error.
zs_yaml_sample_t zs_yaml_sample(const void *text, size_t size);

//  ---------------------------------------------------------------------------------------
//  Reading against key tables

//  Read every key of the mapping into target. found[i] gets the value node of
//  table->keys[i] (borrowed), or stays NULL when the key is absent; the caller zeroes
//  found, which holds ZS_YAML_KEYS_MAX items. Returns 0, or -1 with the error set.
int zs_yaml_read_map(zs_yaml_t *self,
                     const zs_yaml_table_t *table,
                     const yaml_node_t *map,
                     void *target,
                     yaml_node_t **found);

//  Where a key's reader stores into target: target + key->offset.
void *zs_yaml_field(void *target, const zs_yaml_key_t *key);

//  The text of a scalar that is neither a YAML null nor holds a NUL byte, borrowed from
//  the tree, with its length in *len_p; or NULL with the error set. name is the key, for
//  errors.
const char *
zs_yaml_string(zs_yaml_t *self, const yaml_node_t *node, const char *name, size_t *len_p);

//  Replace the owned string at the key's field with a copy of the scalar node's text.
void
zs_yaml_store_string(void *target, const zs_yaml_key_t *key, const yaml_node_t *node);

//  Check that node is a sequence of key->min..key->max items. Returns 0 with the count
//  in *count_p, or -1 with the error set.
int zs_yaml_sequence(zs_yaml_t *self,
                     const zs_yaml_key_t *key,
                     const yaml_node_t *node,
                     size_t *count_p);

//  A sequence of strings, each checked by check, into an owned NULL-terminated list at
//  *list_p with *count_p items. Items are stored as they are read, so the caller frees a
//  list that failed half way: *count_p items and the list itself.
int zs_yaml_read_strings(zs_yaml_t *self,
                         const zs_yaml_key_t *key,
                         const yaml_node_t *node,
                         zs_yaml_item_fn *check,
                         char ***list_p,
                         size_t *count_p);

//  Readers for key tables. Each returns 0, or -1 with the error set.
//  A nested mapping read with the table in key->arg into target + key->offset
int zs_yaml_read_section(zs_yaml_t *self,
                         const zs_yaml_key_t *key,
                         yaml_node_t *node,
                         void *target);
//  An unquoted decimal in key->min..key->max, stored as unsigned
int zs_yaml_read_uint(zs_yaml_t *self,
                      const zs_yaml_key_t *key,
                      yaml_node_t *node,
                      void *target);
//  The same, stored as size_t: byte counts, whose bounds pass an unsigned's
int zs_yaml_read_size(zs_yaml_t *self,
                      const zs_yaml_key_t *key,
                      yaml_node_t *node,
                      void *target);
//  The same, stored as uint64_t: counts that may pass an unsigned (tokens)
int zs_yaml_read_u64(zs_yaml_t *self,
                     const zs_yaml_key_t *key,
                     yaml_node_t *node,
                     void *target);
//  An unquoted non-negative number with an optional fraction ("0.15"; no exponent), in
//  key->min..key->max, stored as double
int zs_yaml_read_number(zs_yaml_t *self,
                        const zs_yaml_key_t *key,
                        yaml_node_t *node,
                        void *target);
//  Unquoted true or false, stored as bool
int zs_yaml_read_bool(zs_yaml_t *self,
                      const zs_yaml_key_t *key,
                      yaml_node_t *node,
                      void *target);
//  A word from the zs_yaml_choices_t in key->arg, stored as its value in an int (or an
//  enum, every one of which is an int here)
int zs_yaml_read_enum(zs_yaml_t *self,
                      const zs_yaml_key_t *key,
                      yaml_node_t *node,
                      void *target);

#endif
