//  zs_dlhash - the SHA-256 a download is checked with: OpenSSL's EVP, digests in hex
//
//  A download is hashed only when its task gives the digest it expects (docs/http.md):
//  the handler then makes one zs_dlhash_t, feeds it the bytes an earlier attempt left
//  in the partial file and every byte that arrives, and compares the hex forms. EVP
//  runs the CPU's SHA extensions (SHA-NI) or vector code where there are some: on a
//  CPU with SHA-NI about 1.2 GB/s, where libsodium's portable crypto_hash_sha256 held
//  downloads to a fifth of curl's rate. The hash is never written by hand.
//
//  A digest's hex form is ZS_DLHASH_HEX digits, lowercase, as sha256sum prints it.
//  EVP's calls fail only when OpenSSL's configuration offers no SHA-256 (a provider
//  setup without the default provider), which the caller reports as a failed task.

#ifndef ZS_DLHASH_H
#define ZS_DLHASH_H

#include <stdbool.h>
#include <stddef.h>

#include "common/zs_util.h"

#define ZS_DLHASH_SIZE     32                    //  bytes of a SHA-256 digest
#define ZS_DLHASH_HEX      (ZS_DLHASH_SIZE * 2)  //  hex digits of one
#define ZS_DLHASH_HEX_SIZE (ZS_DLHASH_HEX + 1)   //  ... with the NUL

typedef struct _zs_dlhash_t zs_dlhash_t;

//  A new hash of no bytes yet. Returns NULL with err filled when OpenSSL offers no
//  SHA-256; aborts on OOM.
zs_dlhash_t *zs_dlhash_new(zs_error_t *err);

//  Free the hash and set *self_p to NULL. Accepts NULL.
void zs_dlhash_destroy(zs_dlhash_t **self_p);

//  Start over: the hash of no bytes. Returns 0, or -1 with err filled.
int zs_dlhash_reset(zs_dlhash_t *self, zs_error_t *err);

//  Hash size more bytes of data. Returns 0, or -1 with err filled.
int zs_dlhash_update(zs_dlhash_t *self, const void *data, size_t size, zs_error_t *err);

//  The digest of the bytes so far, in hex, into hex (ZS_DLHASH_HEX_SIZE bytes). The
//  hash must be reset before it takes more bytes. Returns 0, or -1 with err filled.
int zs_dlhash_final(zs_dlhash_t *self, char *hex, zs_error_t *err);

//  True when text is ZS_DLHASH_HEX hex digits, of either case, and nothing else.
bool zs_dlhash_hex_valid(const char *text);

#endif
