//  zs_dlhash - see zs_dlhash.h

#include "agent/zs_dlhash.h"

#include <czmq.h>
#include <ctype.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZS_DLHASH_ERR_MAX 256  //  bytes of OpenSSL's words on a failure

struct _zs_dlhash_t {
    EVP_MD_CTX *ctx;  //  owned: the digest so far
};

//  Fill err with what failed and OpenSSL's reason, emptying OpenSSL's error queue so
//  that a later failure does not report this one's reason. Returns -1
static int
s_fail(zs_error_t *err, const char *what)
{
    char reason[ZS_DLHASH_ERR_MAX] = "no reason given";
    unsigned long code = ERR_get_error();
    if (code) {
        ERR_error_string_n(code, reason, sizeof reason);
    }
    ERR_clear_error();
    return zs_error_set(err, 0, "OpenSSL cannot %s SHA-256: %s", what, reason);
}

zs_dlhash_t *
zs_dlhash_new(zs_error_t *err)
{
    zs_dlhash_t *self = zs_calloc(1, sizeof *self);
    self->ctx = EVP_MD_CTX_new();
    if (!self->ctx) {
        zsys_error("out of memory: EVP_MD_CTX_new");
        abort();
    }
    if (zs_dlhash_reset(self, err) != 0) {
        zs_dlhash_destroy(&self);
    }
    return self;
}

void
zs_dlhash_destroy(zs_dlhash_t **self_p)
{
    assert(self_p);
    zs_dlhash_t *self = *self_p;
    if (self) {
        EVP_MD_CTX_free(self->ctx);
        free(self);
        *self_p = NULL;
    }
}

int
zs_dlhash_reset(zs_dlhash_t *self, zs_error_t *err)
{
    assert(self);
    return EVP_DigestInit_ex(self->ctx, EVP_sha256(), NULL) == 1 ? 0
                                                                 : s_fail(err, "start");
}

int
zs_dlhash_update(zs_dlhash_t *self, const void *data, size_t size, zs_error_t *err)
{
    assert(self);
    return EVP_DigestUpdate(self->ctx, data, size) == 1 ? 0 : s_fail(err, "compute");
}

int
zs_dlhash_final(zs_dlhash_t *self, char *hex, zs_error_t *err)
{
    assert(self);
    assert(hex);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(self->ctx, digest, &size) != 1 || size != ZS_DLHASH_SIZE) {
        return s_fail(err, "finish");
    }
    for (unsigned int i = 0; i < size; i++) {
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    return 0;
}

bool
zs_dlhash_hex_valid(const char *text)
{
    assert(text);
    size_t digits = 0;
    while (digits < ZS_DLHASH_HEX && isxdigit((unsigned char) text[digits])) {
        digits++;
    }
    return digits == ZS_DLHASH_HEX && text[digits] == '\0';
}
