//  zs_broker - the sockets of zswarmd: peers, liveness, control routing and events
//
//  The broker owns the three sockets a coordinator binds: the agents ROUTER, the events
//  PUB and the control ROUTER. It decodes every frame once, answers what is its own to
//  answer (malformed frames, heartbeats, messages from agents that never said hello)
//  and hands the rest to the coordinator through an ops table. It keeps the peer table
//  (ZeroMQ routing id -> peer) and liveness in both directions: a peer it has sent
//  nothing to for one interval gets a heartbeat, and a peer silent for `liveness`
//  intervals is expired. It knows nothing of tasks.
//
//  A peer exists from the hello the coordinator accepts until it expires, says bye, or
//  the coordinator drops it; the coordinator's own object for it hangs off `owner`. Two
//  kinds of peer share the socket: agents open their session with `hello`, node daemons
//  with `node.hello`; a peer's kind never changes (a new hello makes a new peer).

#ifndef ZS_BROKER_H
#define ZS_BROKER_H

#include <czmq.h>

#include "broker/zs_auth.h"
#include "proto/zs_msg.h"

#define ZS_IDENT_MAX 255  //  longest ZeroMQ routing id

//  A ZeroMQ routing id, as the ROUTER socket gave it.
typedef struct {
    uint8_t size;                //  bytes used in data
    uint8_t data[ZS_IDENT_MAX];  //  the id
} zs_ident_t;

//  Where a control reply goes: the client's routing id, and whether it sent the empty
//  delimiter frame a REQ socket adds (then the reply carries one too); and who the
//  client is, for the audit log.
typedef struct {
    zs_ident_t ident;             //  client's routing id
    bool delimited;               //  client is a REQ socket
    char user[ZS_AUTH_USER_MAX];  //  its ZAP User-Id (its certificate's name), or ""
} zs_client_ref_t;

typedef struct zs_peer_t zs_peer_t;
typedef struct zs_broker_t zs_broker_t;

//  What the coordinator does with what the broker received. Messages are borrowed for
//  the call; everything kept must be copied.
typedef struct {
    //  A hello or node.hello from a routing id not yet known. Return 0 to accept (the
    //  broker creates the peer first and passes it; the coordinator sets its owner and
    //  sends welcome), or -1 to refuse (the peer is removed; the coordinator sent an
    //  error).
    int (*hello)(void *ctx, zs_peer_t *peer, zs_msg_t *msg);
    //  Any other message from a known peer, bye and heartbeats excluded (a bye goes to
    //  gone, with the peer's reason), but an agent's heartbeat that reports its
    //  resource use (cpu, rss).
    void (*message)(void *ctx, zs_peer_t *peer, zs_msg_t *msg);
    //  The peer was silent for liveness intervals, or said bye; it is removed after the
    //  call. Not called for peers the coordinator drops itself.
    void (*gone)(void *ctx, zs_peer_t *peer, const char *why);
    //  A request on the control socket.
    void (*control)(void *ctx, const zs_client_ref_t *client, zs_msg_t *msg);
    //  A batch of messages from one socket was handled (may be NULL): the moment to
    //  make their effects durable and release held replies
    void (*batch_end)(void *ctx);
} zs_broker_ops_t;

typedef struct {
    uint64_t received;   //  well-formed messages received, all sockets
    uint64_t malformed;  //  frames refused by the codec or for their framing
    uint64_t dropped;    //  sends that failed (peer gone or send queue full)
    uint64_t expired;    //  peers expired for silence
    uint64_t refused;    //  connections refused by authentication (zs_auth)
} zs_broker_stats_t;

//  Create a broker bound to the three endpoints, reading from loop (borrowed). With
//  auth (borrowed, may be NULL; it must outlive the broker), the three sockets are
//  CURVE servers in the ZAP domains "agents", "events" and "control". Returns NULL with
//  err filled if a bind fails. ctx is passed to every op.
zs_broker_t *zs_broker_new(zloop_t *loop,
                           const char *agents_ep,
                           const char *events_ep,
                           const char *control_ep,
                           zs_auth_t *auth,
                           const zs_broker_ops_t *ops,
                           void *ctx,
                           zs_error_t *err);

//  Close the sockets, free all peers (without calling gone) and set *self_p to NULL.
void zs_broker_destroy(zs_broker_t **self_p);

//  Start heartbeating and expiring peers with this interval and liveness.
void zs_broker_set_liveness(zs_broker_t *self, unsigned interval_ms, unsigned liveness);

//  Endpoint a socket is actually bound to (ports chosen by '*' resolved), borrowed.
const char *zs_broker_agents_endpoint(zs_broker_t *self);
const char *zs_broker_events_endpoint(zs_broker_t *self);
const char *zs_broker_control_endpoint(zs_broker_t *self);

//  Send msg (borrowed) to an agent peer. Returns 0, or -1 when it could not be sent
//  (peer disconnected or its queue full); the message is then lost and counted.
int zs_broker_send(zs_broker_t *self, zs_peer_t *peer, const zs_msg_t *msg);

//  Send an error to an agent connection that may have no peer (yet).
void zs_broker_send_error(zs_broker_t *self,
                          const zs_ident_t *ident,
                          zs_err_code_t code,
                          const char *why);

//  Send a control reply (msg borrowed). Returns 0, or -1 if the client is gone.
int
zs_broker_reply(zs_broker_t *self, const zs_client_ref_t *client, const zs_msg_t *msg);

//  From now on, keep control replies (encoded) instead of sending them, until
//  zs_broker_release_replies: a coordinator with a journal answers only what is durable.
void zs_broker_hold_replies(zs_broker_t *self);

//  Send every held reply, in order.
void zs_broker_release_replies(zs_broker_t *self);

//  Send an error reply with rid to a control client.
void zs_broker_reply_error(zs_broker_t *self,
                           const zs_client_ref_t *client,
                           uint64_t rid,
                           zs_err_code_t code,
                           const char *why);

//  Publish msg as an event: sets its seq to the next sequence number and sends it with
//  its type name as the topic. msg is borrowed; its seq is written.
void zs_broker_publish(zs_broker_t *self, zs_msg_t *msg);

//  Sequence number of the last event published (0 before the first).
uint64_t zs_broker_seq(zs_broker_t *self);

//  Sequence number of the last event addressed to agents (zs_msg_to_agents), which
//  publishing sets as its aseq and heartbeats to agents carry (0 before the first).
uint64_t zs_broker_aseq(zs_broker_t *self);

//  Remove a peer without calling gone: the coordinator is done with it (takeover).
void zs_broker_peer_drop(zs_broker_t *self, zs_peer_t **peer_p);

//  Coordinator's object for the peer, and setting it.
void *zs_broker_peer_owner(zs_peer_t *peer);
void zs_broker_peer_set_owner(zs_peer_t *peer, void *owner);

//  The name of the peer's CURVE key, as the ZAP handler admitted it (zs_auth), or ""
//  without security; borrowed for the peer's life.
const char *zs_broker_peer_user(const zs_peer_t *peer);

//  The address the peer connected from (an IP address for tcp://), or "" when libzmq
//  gives none (ipc://, inproc://); borrowed for the peer's life.
const char *zs_broker_peer_addr(const zs_peer_t *peer);

//  ZS_MSG_HELLO for an agent's session, ZS_MSG_NODE_HELLO for a node daemon's.
zs_msg_type_t zs_broker_peer_kind(zs_peer_t *peer);

//  Counters since start, borrowed.
const zs_broker_stats_t *zs_broker_stats(zs_broker_t *self);

#endif
