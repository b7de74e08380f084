//  zs_auth - CURVE authentication for zswarmd's sockets: a ZAP handler in the loop
//
//  With security, the three server sockets are CURVE servers that share the
//  coordinator's certificate, and libzmq asks a ZAP handler (RFC 27, ZAP 1.0) about every
//  client that completes the CURVE handshake. This module is that handler: a REP socket
//  bound at "inproc://zeromq.zap.01" in czmq's context and read in the coordinator's own
//  zloop, so no thread is added and nothing is shared. czmq's zauth actor is not used:
//  it keeps one global set of keys, so it cannot tell agents from control clients, and
//  it cannot name the key it accepted.
//
//  Keys come in two groups, loaded from directories of czmq public certificates: agents
//  and clients. Each server socket names its ZAP domain, and the domain says which
//  groups it admits: "agents" the agents group, "control" the clients group, "events"
//  both (any authorised peer may watch). An admitted key gets User-Id = its name: the
//  file name of its certificate, which the operator chose when installing it. libzmq
//  then attaches that User-Id to every message the peer sends (zmq_msg_gets).
//
//  Refusals are counted and logged, rate-limited, with the domain, the peer's address
//  and the key in Z85: ZAP refusals (unknown key, a mechanism other than CURVE, an
//  unknown domain) and handshakes that fail before ZAP is asked (a plain-text peer, a
//  client with the wrong server key), which a socket monitor reports.
//
//  One handler per process: libzmq allows one bind of the ZAP endpoint per context.
//  Bind it (zs_auth_new) before any CURVE socket binds, and destroy it after them, or
//  handshakes in between would be accepted unauthenticated.

#ifndef ZS_AUTH_H
#define ZS_AUTH_H

#include <czmq.h>

#include "common/zs_util.h"

#define ZS_AUTH_USER_MAX 256  //  bytes in a User-Id with its NUL: a file name
#define ZS_AUTH_KEY_SIZE 32   //  bytes in a CURVE public key
#define ZS_AUTH_Z85_SIZE 41   //  bytes in a key in Z85, with its NUL

//  Who a key is authorised as
typedef enum {
    ZS_AUTH_AGENTS,   //  agents: the agents and events sockets
    ZS_AUTH_CLIENTS,  //  control clients: the control and events sockets
    ZS_AUTH_GROUPS,   //  number of groups
} zs_auth_group_t;

//  The ZAP domain of a server socket
typedef enum {
    ZS_AUTH_DOMAIN_AGENTS,   //  "agents": admits the agents group
    ZS_AUTH_DOMAIN_CONTROL,  //  "control": admits the clients group
    ZS_AUTH_DOMAIN_EVENTS,   //  "events": admits both
} zs_auth_domain_t;

typedef struct zs_auth_t zs_auth_t;

//  Load the server's secret certificate (czmq format, the "_secret" file) and bind the
//  ZAP handler, read in loop (borrowed). Returns NULL with err naming the path when the
//  certificate is missing, unreadable or holds no secret key, or when the ZAP endpoint
//  is already bound.
zs_auth_t *zs_auth_new(zloop_t *loop, const char *cert_path, zs_error_t *err);

//  Stop handling and free; sets *self_p to NULL. Accepts NULL. Destroy the CURVE
//  sockets first.
void zs_auth_destroy(zs_auth_t **self_p);

//  Authorise every public certificate in directory dir for group: each file that
//  holds a czmq certificate, but "*_secret" files and hidden ones, named by its file
//  name.
//  Returns 0, or -1 with err naming the path when dir cannot be read.
int zs_auth_load_dir(zs_auth_t *self,
                     zs_auth_group_t group,
                     const char *dir,
                     zs_error_t *err);

//  Authorise one public key (ZS_AUTH_KEY_SIZE bytes) for group under name (copied).
void zs_auth_allow(zs_auth_t *self,
                   zs_auth_group_t group,
                   const uint8_t *public_key,
                   const char *name);

//  Number of keys authorised for group.
size_t zs_auth_size(zs_auth_t *self, zs_auth_group_t group);

//  Make sock a CURVE server with the server's certificate, in domain: call before it
//  binds. Also watches it for failed handshakes, counted as refusals.
void zs_auth_serve(zs_auth_t *self, zsock_t *sock, zs_auth_domain_t domain);

//  Stop watching sock: call before destroying it.
void zs_auth_unserve(zs_auth_t *self, zsock_t *sock);

//  The server's public key in Z85, borrowed from self.
const char *zs_auth_server_key(zs_auth_t *self);

//  From now on, handshakes that end because the peer hung up
//  (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) are neither counted nor logged: call it when
//  the peers are being stopped. Before, they count, since a plain-text peer often hangs
//  up first, on seeing CURVE, before the server reports the mismatch.
void zs_auth_ignore_hangups(zs_auth_t *self);

//  Connections refused since start: by ZAP, or in a failed handshake.
uint64_t zs_auth_refused(zs_auth_t *self);

//  The ZAP domain's name ("agents", "control", "events").
const char *zs_auth_domain_name(zs_auth_domain_t domain);

#endif
