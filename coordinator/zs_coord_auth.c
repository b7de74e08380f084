//  zs_coord_auth - see zs_coord_auth.h

#include "coordinator/zs_coord_auth.h"

#include "common/zs_curve.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZS_COORD_AUTH_LOCAL   "local"           //  User-Id of zswarmd's own agents
#define ZS_COORD_AUTH_TMP     "zswarmd-XXXXXX"  //  mkdtemp template of the private dir
#define ZS_COORD_AUTH_FILE    "local_secret"    //  the secret cert in it
#define ZS_COORD_AUTH_PRIVATE 0600              //  mode of a secret certificate

//  Make a keypair and save its secret half in a new private directory
static int
s_local_cert_make(zs_coord_auth_t *self, zs_error_t *err)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = zsys_sprintf("%s/" ZS_COORD_AUTH_TMP, tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        zs_error_set(err, 0, "cannot create a private directory '%s': %s", dir,
                     strerror(errno));
        zstr_free(&dir);
        return -1;
    }
    self->local_dir = dir;
    self->local_cert_path = zsys_sprintf("%s/" ZS_COORD_AUTH_FILE, dir);
    zcert_t *cert = zcert_new();
    zcert_set_meta(cert, "name", "%s", ZS_COORD_AUTH_LOCAL);
    int rc = zcert_save_secret(cert, self->local_cert_path);
    if (rc == 0) {
        rc = chmod(self->local_cert_path, ZS_COORD_AUTH_PRIVATE);
    }
    if (rc != 0) {
        zs_error_set(err, 0, "cannot write '%s': %s", self->local_cert_path,
                     strerror(errno));
    } else {
        zs_auth_allow(self->auth, ZS_AUTH_AGENTS, zcert_public_key(cert),
                      ZS_COORD_AUTH_LOCAL);
    }
    zcert_destroy(&cert);
    return rc == 0 ? 0 : -1;
}

//  The swarm file's security.agent_cert: checked now, and authorised
static int
s_local_cert_load(zs_coord_auth_t *self, const char *path, zs_error_t *err)
{
    zcert_t *cert = zs_curve_load_secret(path, err);
    if (!cert) {
        return -1;
    }
    zs_auth_allow(self->auth, ZS_AUTH_AGENTS, zcert_public_key(cert),
                  ZS_COORD_AUTH_LOCAL);
    zcert_destroy(&cert);
    self->local_cert_path = zs_strdup(path);
    return 0;
}

int
zs_coord_auth_open(zs_coord_auth_t *self,
                   const zs_swarm_t *swarm,
                   zloop_t *loop,
                   zs_error_t *err)
{
    assert(self);
    *self = (zs_coord_auth_t){NULL};
    const zs_swarm_security_t *security = &swarm->security;
    if (!security->cert) {
        return 0;
    }
    self->auth = zs_auth_new(loop, security->cert, err);
    if (!self->auth) {
        return -1;
    }
    if (security->agents &&
        zs_auth_load_dir(self->auth, ZS_AUTH_AGENTS, security->agents, err) != 0) {
        return -1;
    }
    if (security->clients &&
        zs_auth_load_dir(self->auth, ZS_AUTH_CLIENTS, security->clients, err) != 0) {
        return -1;
    }
    zsys_info("security: CURVE on every socket; %zu agent and %zu client keys",
              zs_auth_size(self->auth, ZS_AUTH_AGENTS),
              zs_auth_size(self->auth, ZS_AUTH_CLIENTS));
    return security->agent_cert ? s_local_cert_load(self, security->agent_cert, err)
                                : s_local_cert_make(self, err);
}

void
zs_coord_auth_close(zs_coord_auth_t *self)
{
    assert(self);
    zs_auth_destroy(&self->auth);
    if (self->local_dir) {
        //  Only the file we made, and the directory we made for it
        unlink(self->local_cert_path);
        rmdir(self->local_dir);
        zstr_free(&self->local_dir);
    }
    zstr_free(&self->local_cert_path);
}
