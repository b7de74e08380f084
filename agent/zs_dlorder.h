//  zs_dlorder - a download task's payload, parsed and checked (docs/http.md)
//
//  A payload is a bare http(s) URL, or a JSON object {url (required), path, sha256,
//  size}: path is where the file goes, relative to the type's dir (zs_dlfile checks
//  it); sha256 the expected digest, 64 hex digits of either case (kept lowercase);
//  size the expected length in bytes, an integer >= 0. An unknown key, a duplicate key
//  or a wrong type is refused, not ignored, so a typo fails loudly. The URL is taken
//  as given; zs_url checks it.

#ifndef ZS_DLORDER_H
#define ZS_DLORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/zs_dlhash.h"
#include "common/zs_util.h"

//  What a task asks for
typedef struct {
    char *url;                        //  owned: as given
    char *path;                       //  owned: relative to dir, or NULL
    char sha256[ZS_DLHASH_HEX_SIZE];  //  expected digest in hex, if has_sha256
    bool has_sha256;                  //  the payload gave one
    uint64_t size;                    //  expected length, if has_size
    bool has_size;                    //  the payload gave one
} zs_dlorder_t;

//  Parse size bytes of payload into order (overwritten). Returns 0 with order owning
//  its strings, or -1 with err saying what is wrong and order empty.
int zs_dlorder_parse(zs_dlorder_t *order,
                     const uint8_t *payload,
                     size_t size,
                     zs_error_t *err);

//  Free what order owns and leave it empty.
void zs_dlorder_fini(zs_dlorder_t *order);

//  The file name url gives, its path's last segment: a new string the caller frees,
//  or NULL when the URL does not parse or its path ends in '/'.
char *zs_dlorder_name(const char *url);

#endif
