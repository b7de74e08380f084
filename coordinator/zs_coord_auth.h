//  zs_coord_auth - the coordinator's side of security: keys, and the local agents' cert
//
//  With a 'security' section, zswarmd loads its certificate and the authorised keys
//  before the broker binds (zs_auth must serve ZAP before any CURVE socket exists).
//  Local agents need a key like any other agent. The simplest sound design: one
//  keypair for all of them, authorised in the agents group as "local". It is the swarm
//  file's 'security.agent_cert' when given; otherwise zswarmd makes one per run, in
//  memory, and writes its secret half to a private directory (mkdtemp, mode 0700; the
//  file 0600) that only zswarmd's user can read, removed when zswarmd ends. Its agents
//  get `--cert FILE --server-key Z85` on their command line: paths and public keys
//  only, never a secret.

#ifndef ZS_COORD_AUTH_H
#define ZS_COORD_AUTH_H

#include "broker/zs_auth.h"
#include "coordinator/swarm/zs_swarm.h"

typedef struct {
    zs_auth_t *auth;        //  the ZAP handler, owned; NULL without security
    char *local_cert_path;  //  local agents' secret certificate, owned, or NULL
    char *local_dir;        //  the private directory holding one we made, owned, or NULL
} zs_coord_auth_t;

//  With security: load the certificate and keys (ZAP read in loop, borrowed) and make
//  or load the local agents' certificate. Returns 0 (also without security: auth stays
//  NULL), or -1 with err naming the path; close it either way.
int zs_coord_auth_open(zs_coord_auth_t *self,
                       const zs_swarm_t *swarm,
                       zloop_t *loop,
                       zs_error_t *err);

//  Stop authenticating and remove a local agents' certificate we made. Destroy the
//  CURVE sockets first.
void zs_coord_auth_close(zs_coord_auth_t *self);

#endif
