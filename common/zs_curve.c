//  zs_curve - see zs_curve.h

#include "common/zs_curve.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#define ZS_CURVE_Z85_LEN  40     //  characters in a key in Z85
#define ZS_CURVE_FILE_MAX 65536  //  bytes in a certificate file: a few hundred

//  One key of a certificate's ZPL tree ("/curve/public-key"), decoded
static int
s_key(zconfig_t *root, const char *which, uint8_t *key)
{
    char *text = zconfig_get(root, which, NULL);
    if (!text || strlen(text) != ZS_CURVE_Z85_LEN || !zmq_z85_decode(key, text)) {
        return -1;
    }
    return 0;
}

//  The ZPL tree of the file at exactly path, or NULL. Read here, not by zconfig_load,
//  which leaks its zfile_t when the text is no ZPL (czmq 4.2.1)
static zconfig_t *
s_load(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        return NULL;
    }
    char *text = zs_malloc(ZS_CURVE_FILE_MAX + 1);
    size_t size = fread(text, 1, ZS_CURVE_FILE_MAX + 1, file);
    fclose(file);
    zconfig_t *root = NULL;
    if (size <= ZS_CURVE_FILE_MAX) {
        zchunk_t *chunk = zchunk_new(text, size);
        root = zconfig_chunk_load(chunk);
        zchunk_destroy(&chunk);
    }
    free(text);
    return root;
}

int
zs_curve_load_public(const char *path, uint8_t *key)
{
    assert(path);
    assert(key);
    zconfig_t *root = s_load(path);
    int rc = root ? s_key(root, "/curve/public-key", key) : -1;
    zconfig_destroy(&root);
    return rc;
}

zcert_t *
zs_curve_load_secret(const char *path, zs_error_t *err)
{
    assert(path);
    if (access(path, R_OK) != 0) {
        zs_error_set(err, 0, "cannot read certificate '%s': %s", path, strerror(errno));
        return NULL;
    }
    zconfig_t *root = s_load(path);
    uint8_t public_key[ZS_CURVE_KEY_SIZE], secret_key[ZS_CURVE_KEY_SIZE];
    zcert_t *cert = NULL;
    if (root && s_key(root, "/curve/public-key", public_key) == 0 &&
        s_key(root, "/curve/secret-key", secret_key) == 0) {
        cert = zcert_new_from(public_key, secret_key);
    } else {
        zs_error_set(err, 0, "'%s' is not a secret certificate (give the _secret file)",
                     path);
    }
    zconfig_destroy(&root);
    return cert;
}

static bool
s_is_z85_key(const char *text)
{
    uint8_t key[ZS_CURVE_KEY_SIZE];
    return strlen(text) == ZS_CURVE_Z85_LEN && zmq_z85_decode(key, text) != NULL;
}

int
zs_curve_server_key(const char *text, char *z85, zs_error_t *err)
{
    assert(text);
    assert(z85);
    //  A file of that name wins: a 40-character path is unlikely but possible
    if (access(text, R_OK) != 0 && s_is_z85_key(text)) {
        snprintf(z85, ZS_CURVE_Z85_SIZE, "%s", text);
        return 0;
    }
    uint8_t key[ZS_CURVE_KEY_SIZE];
    if (zs_curve_load_public(text, key) != 0) {
        return zs_error_set(err, 0,
                            "server key '%s' is neither 40 characters of Z85 nor a "
                            "readable certificate",
                            text);
    }
    zmq_z85_encode(z85, key, ZS_CURVE_KEY_SIZE);
    return 0;
}

int
zs_curve_apply(void *socket, zcert_t *cert, const char *server_z85)
{
    assert(socket);
    assert(cert);
    assert(server_z85);
    if (zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, zcert_public_key(cert),
                       ZS_CURVE_KEY_SIZE) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, zcert_secret_key(cert),
                       ZS_CURVE_KEY_SIZE) != 0) {
        return -1;
    }
    return zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, server_z85, ZS_CURVE_Z85_LEN);
}

//  Create path, empty, with mode; never one that exists. Returns 0, or -1 with errno
static int
s_create_new(const char *path, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        return -1;
    }
    close(fd);
    return 0;
}

//  Write both files of cert, created (empty) already with their modes
static int
s_save_pair(zcert_t *cert, const char *path, const char *secret)
{
    return zcert_save_secret(cert, secret) == 0 && zcert_save_public(cert, path) == 0
               ? 0
               : -1;
}

int
zs_curve_keygen(const char *path, char *public_z85, zs_error_t *err)
{
    char *secret = zsys_sprintf("%s_secret", path);
    //  Created first, exclusively and private: nothing is overwritten, and the secret
    //  key is never readable by others, not even for a moment
    const char *failed = s_create_new(path, 0644) != 0     ? path
                         : s_create_new(secret, 0600) != 0 ? secret
                                                           : NULL;
    int code = errno;
    if (failed == secret) {
        unlink(path);
    }
    int rc = 0;
    if (failed) {
        rc = code == EEXIST
                 ? zs_error_set(err, code, "'%s' exists already: not overwritten", failed)
                 : zs_error_set(err, code, "cannot create '%s': %s", failed,
                                strerror(code));
    } else {
        zcert_t *cert = zcert_new();
        const char *slash = strrchr(path, '/');
        zcert_set_meta(cert, "name", "%s", slash ? slash + 1 : path);
        if (s_save_pair(cert, path, secret) != 0) {
            rc = zs_error_set(err, errno, "cannot write '%s': %s", path, strerror(errno));
            unlink(secret);
            unlink(path);
        } else {
            snprintf(public_z85, ZS_CURVE_Z85_SIZE, "%s", zcert_public_txt(cert));
        }
        zcert_destroy(&cert);
    }
    zstr_free(&secret);
    return rc;
}
