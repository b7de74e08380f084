//  zs_listen - an agent's subscription to the events addressed to agents
//
//  An agent follows what the coordinator tells every agent, or every agent of a type,
//  on the events socket (PROTOCOL.md §9): agent.broadcast, agent.paused and
//  agent.resumed, and nothing else (no task.progress floods). One SUB socket in the
//  agent's loop, with the session's CURVE keys when it has them. Those events carry
//  aseq, a counter of their own; welcome tells where it stands when the session opens,
//  and the coordinator's heartbeats tell its latest. An event past the next aseq, or a
//  heartbeat still ahead of the events after one more heartbeat (the event had time
//  to come), is a gap: the owner is asked to sync (agent.sync), and the sync's reply
//  moves the counter on. Events at or below the counter are old and dropped.

#ifndef ZS_LISTEN_H
#define ZS_LISTEN_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto/zs_msg.h"
#include "common/zs_util.h"

#define ZS_LISTEN_ENDPOINT_MAX 2048  //  longest events endpoint, as the wire bounds it

typedef struct _zs_listen_t zs_listen_t;

//  The owner's part; every callback gets ctx back, the event borrowed for the call
typedef struct {
    void (*event)(void *ctx, const zs_msg_t *event);  //  a new event addressed to agents
    void (*gap)(void *ctx);                           //  events were missed: sync
} zs_listen_ops_t;

//  Make a listener on loop (borrowed), not yet connected. ops is copied; ctx borrowed.
zs_listen_t *zs_listen_new(zloop_t *loop, const zs_listen_ops_t *ops, void *ctx);

//  Close the socket and free; sets *self_p to NULL. Accepts NULL.
void zs_listen_destroy(zs_listen_t **self_p);

//  Subscribe at endpoint with CURVE keys cert and server_z85 (both NULL for plain):
//  nothing happens when it is connected there already, else a new socket replaces the
//  old. Returns 0, or -1 with err filled.
int zs_listen_connect(zs_listen_t *self,
                      const char *endpoint,
                      zcert_t *cert,
                      const char *server_z85,
                      zs_error_t *err);

//  The endpoint it is connected to, borrowed, or NULL.
const char *zs_listen_endpoint(zs_listen_t *self);

//  A new session: the coordinator's aseq was aseq when it welcomed us. Events at or
//  below it are old; a sync asked for in the old session is forgotten.
void zs_listen_restart(zs_listen_t *self, uint64_t aseq);

//  The coordinator's heartbeat said its latest aseq.
void zs_listen_heard(zs_listen_t *self, uint64_t aseq);

//  The sync asked for came: the state is as of aseq.
void zs_listen_synced(zs_listen_t *self, uint64_t aseq);

//  The endpoint to subscribe at, into out (size bytes), from the events endpoint as the
//  coordinator bound it (events) and the agents endpoint we connect to (agents): a
//  wildcard host (tcp://0.0.0.0:P, tcp://*:P, tcp://[::]:P) becomes the agents
//  endpoint's host. Returns 0, or -1 when it does not fit. Pure; exposed for tests.
int zs_listen_resolve(const char *events, const char *agents, char *out, size_t size);

#endif
