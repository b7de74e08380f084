//  zs_endpoint - the bind endpoints a swarm file may name: syntax, locality, clashes
//
//  zswarmd binds its sockets to tcp://HOST:PORT or ipc://PATH, a subset of what ZeroMQ
//  takes. HOST is a name, an IPv4 address, a bracketed IPv6 address, an interface name
//  or '*' (letters, digits and . - _ : [ ] * %, brackets at both ends or neither); PORT
//  is 1..65535, or '*' for a fresh port at each bind. The checks are textual: they never
//  resolve a name or touch the network, so a file gets the same verdict on every
//  machine, and an endpoint that passes may still fail to bind. Local means only this
//  machine can connect: ipc, or tcp on 'localhost', 127.0.0.0/8 or ::1. zswarmd binds
//  only local endpoints unless the swarm file has 'security' (CURVE) or says
//  'insecure'.

#ifndef ZS_ENDPOINT_H
#define ZS_ENDPOINT_H

#include <stdbool.h>

#include "common/zs_util.h"

#define ZS_ENDPOINT_MAX          256    //  bytes in an endpoint with its NUL
#define ZS_ENDPOINT_IPC_PATH_MAX 107    //  bytes in an ipc path, as sun_path allows
#define ZS_ENDPOINT_PORT_MAX     65535  //  highest tcp port

//  err->code after a failed check: which rule the endpoint breaks
typedef enum {
    ZS_ENDPOINT_E_LENGTH = 1,  //  ZS_ENDPOINT_MAX bytes or more
    ZS_ENDPOINT_E_SCHEME,      //  neither tcp:// nor ipc://
    ZS_ENDPOINT_E_IPC_PATH,    //  the ipc path is empty or too long
    ZS_ENDPOINT_E_PORT,        //  no port 1..65535 or '*' after the last ':'
    ZS_ENDPOINT_E_HOST,        //  the tcp host is empty, has a bad byte or a lone bracket
} zs_endpoint_error_t;

//  Check that an endpoint is one zswarmd can be told to bind. Returns 0, or -1 with
//  err->code a zs_endpoint_error_t and err->text the reason alone, without the endpoint
//  ("the ipc path is empty"), for the caller to prefix with what and where.
int zs_endpoint_check(const char *endpoint, zs_error_t *err);

//  True when the endpoint passes zs_endpoint_check and only this machine can connect
//  to it: ipc, or tcp on a loopback host. False for any endpoint that fails the check.
bool zs_endpoint_is_local(const char *endpoint);

//  True when binding both endpoints would clash: the same text, unless it ends in ':*',
//  which binds a fresh port each time and so may repeat.
bool zs_endpoint_clash(const char *endpoint, const char *other);

#endif
