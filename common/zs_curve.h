//  zs_curve - CURVE keys for the clients of zswarmd: agents, zswarmctl, the benchmark
//
//  Certificates are czmq's: "NAME" holds the public key, "NAME_secret" both keys
//  (zcert_save). A client needs its own secret certificate and the coordinator's public
//  key, given as 40 characters of Z85 or as the path of the coordinator's public
//  certificate. Both are read once, at start, and every failure names the path.

#ifndef ZS_CURVE_H
#define ZS_CURVE_H

#include <czmq.h>

#include "common/zs_util.h"

#define ZS_CURVE_Z85_SIZE 41  //  a key in Z85 with its NUL
#define ZS_CURVE_KEY_SIZE 32  //  bytes in a key

//  Read the public key (ZS_CURVE_KEY_SIZE bytes) of the certificate at exactly path.
//  Returns 0, or -1 when it cannot be read or is no certificate. Unlike zcert_load, it
//  never tries "PATH_secret" first (and czmq 4.2.1 leaks when that file is missing).
int zs_curve_load_public(const char *path, uint8_t *key);

//  Load the secret certificate at path. Returns it (owned), or NULL with err naming
//  the path when it cannot be read or holds no secret key.
zcert_t *zs_curve_load_secret(const char *path, zs_error_t *err);

//  Resolve a server key given as Z85 text or as a certificate's path into z85
//  (ZS_CURVE_Z85_SIZE bytes). Returns 0, or -1 with err naming what was given.
int zs_curve_server_key(const char *text, char *z85, zs_error_t *err);

//  Write a new keypair: the public certificate at path and the secret one at
//  "PATH_secret", mode 0600, named after path's last component. Never overwrites:
//  either file existing is an error. Returns 0 with the public key in public_z85
//  (ZS_CURVE_Z85_SIZE bytes), or -1 with err saying why.
int zs_curve_keygen(const char *path, char *public_z85, zs_error_t *err);

//  Make a libzmq socket (not yet connected) a CURVE client with cert's keys, talking
//  to the server whose public key is server_z85. Returns 0, or -1 with errno set.
int zs_curve_apply(void *socket, zcert_t *cert, const char *server_z85);

#endif
