//  zs_items - what zswarmctl submit reads besides plain options: the payload (--payload,
//  --payload-file), names separated by commas (--deps, --requires) and fan-out items,
//  one per line of a file (--each)
//
//  Each is checked where it enters, against the protocol's bounds, so a bad one is a
//  usage error with the reason, never a request zswarmd has to refuse.

#ifndef ZS_ITEMS_H
#define ZS_ITEMS_H

#include <stdio.h>

#include "proto/zs_msg.h"
#include "common/zs_util.h"

//  Fan-out items: the payloads point into text
typedef struct {
    uint8_t *text;       //  every byte read, owned
    zs_msg_bin_t *bins;  //  one per item, owned
    size_t count;        //  items
} zs_items_t;

//  Names: the items point into text
typedef struct {
    char *text;          //  a copy of the list, cut at the commas, owned
    const char **names;  //  one per name, owned
    size_t count;        //  names
} zs_names_t;

//  Most bytes the items of one submit may hold together: a submit must fit in a frame
#define ZS_ITEMS_BYTES_MAX (ZS_MSG_FRAME_MAX - (256u << 10))

//  The payload of a submit: text as given, or all of in when text is "-", or the file
//  at path; at most one of text and path. Returns 0 with an owned *data_p (NULL when
//  neither was given), or -1 with err naming the option and what is wrong (no file, a
//  read error, more than ZS_MSG_PAYLOAD_MAX bytes).
int zs_items_payload(const char *text,
                     const char *path,
                     FILE *in,
                     uint8_t **data_p,
                     size_t *size_p,
                     zs_error_t *err);

//  Read items from stream, one per line, without the newline (nor a '\r' before it);
//  empty lines are skipped.
//  Returns 0, or -1 with err saying why (no items, too many, too large, a read error);
//  self is then empty. Free with zs_items_fini.
int zs_items_read(zs_items_t *self, FILE *stream, zs_error_t *err);

//  Free what self holds and leave it empty.
void zs_items_fini(zs_items_t *self);

//  Split a comma-separated list of 1..max names, each 1..ZS_MSG_NAME_MAX characters of
//  [A-Za-z0-9._:-]. Returns 0, or -1 with err saying which name is wrong; self is then
//  empty. Free with zs_names_fini.
int zs_names_split(zs_names_t *self, const char *list, size_t max, zs_error_t *err);

//  Free what self holds and leave it empty.
void zs_names_fini(zs_names_t *self);

#endif
