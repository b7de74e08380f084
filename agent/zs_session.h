//  zs_session - a peer's session with a coordinator on its agents socket (PROTOCOL.md §5)
//
//  The part of an agent, or of a node daemon, that talks to the coordinator: one DEALER
//  connected to the agents endpoint (CURVE keys, bounded queues, nothing queued while
//  disconnected), and the session on it. The session says hello until welcomed, retrying
//  with exponential backoff (hb, 2 hb, 4 hb ... at most ZS_SESSION_BACKOFF_MAX x hb, each
//  varied by ±25%), then heartbeats whenever nothing was sent for hb ms. It adopts hb and
//  live from the welcome. A welcomed session that hears nothing for live x hb ms, or
//  gets bye, is lost: the socket is replaced (a new ZeroMQ identity) and hellos start
//  again. An error NOT_REGISTERED while welcomed (the coordinator restarted) starts
//  hellos again on the same socket. Before the welcome the socket is never replaced:
//  libzmq retries the connection itself, backing off to the same cap, and gives up a
//  connect or a silent connection (ZMTP heartbeats) after that cap too.
//
//  What differs between owners goes through an ops table: the hello's own fields (the
//  session fills host and pid, which every peer sends), what a welcome means to the
//  owner, what the owner does with each type of message the session does not consume
//  (the owner's own, and errors once welcomed), and the heartbeat's load. What the
//  owner has no use for is logged here, rate-limited, and so is an error before the
//  welcome: the coordinator refusing our hello. The session runs in the owner's zloop
//  (borrowed) and never blocks it; frames are read in batches.

#ifndef ZS_SESSION_H
#define ZS_SESSION_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto/zs_msg.h"
#include "common/zs_util.h"

#define ZS_SESSION_HB_DEFAULT   250     //  hb before the first welcome, ms
#define ZS_SESSION_HB_MIN       10      //  lowest hb taken from a welcome, ms
#define ZS_SESSION_HB_MAX       600000  //  highest hb taken from a welcome, ms
#define ZS_SESSION_BACKOFF_MAX  16      //  hello retries wait at most this many hb
#define ZS_SESSION_JITTER_PCT   25      //  each hello retry varies by this much, ±%
#define ZS_SESSION_LIVE_DEFAULT 4       //  live before the first welcome

typedef struct _zs_session_t zs_session_t;

//  What a welcome is to the session it opens
typedef enum {
    ZS_SESSION_FIRST = 1,  //  the first welcome this session object got
    ZS_SESSION_RENEWED,    //  a new session after a lost one: what the old one started
                           //  is the coordinator's to retry, and now orphaned here
    ZS_SESSION_AGAIN,      //  another welcome within the current session
} zs_session_welcome_t;

//  What the owner does with one type of message from the coordinator
typedef void(zs_session_recv_fn)(void *ctx, const zs_msg_t *msg);

//  The owner's part. Every callback gets ctx back; messages are borrowed for the call.
//  Callbacks may send, but must not destroy the session.
typedef struct {
    //  Set the hello's own fields; its type, host and pid are set already. Strings are
    //  borrowed until the callback's caller has sent it.
    void (*hello)(void *ctx, zs_msg_t *hello);
    //  A welcome (of the configured type) was taken; hb and live are adopted already
    void (*welcome)(void *ctx, const zs_msg_t *welcome, zs_session_welcome_t kind);
    //  ZS_MSG_TYPE_COUNT entries by message type: what the owner does with a message
    //  the session does not consume. NULL entries (or a NULL table): it has no use for
    //  it, and zs_session_log_unhandled logs it. A heartbeat, which the session takes,
    //  goes to its entry too when there is one.
    zs_session_recv_fn *const *recv;
    //  The load for a heartbeat; NULL sends none
    uint64_t (*load)(void *ctx);
    //  Fill a heartbeat's report of the owner's resource use (cpu, rss); NULL: none
    void (*usage)(void *ctx, zs_msg_t *heartbeat);
} zs_session_ops_t;

//  What a session is made with; strings are copied (or read) by zs_session_new
typedef struct {
    const char *endpoint;        //  the coordinator's agents socket
    zs_msg_type_t hello_type;    //  ZS_MSG_HELLO for agents, ZS_MSG_NODE_HELLO for nodes
    zs_msg_type_t welcome_type;  //  ZS_MSG_WELCOME, or ZS_MSG_NODE_WELCOME
    const char *cert;            //  our secret certificate for CURVE, or NULL for plain
    const char *server_key;      //  coordinator's key: Z85 or its certificate; with cert
    bool debug;                  //  log debug lines
} zs_session_config_t;

//  Expected failures of zs_session_new, in err->code
typedef enum {
    ZS_SESSION_E_CONNECT = 1,  //  the endpoint was refused: a usage error
    ZS_SESSION_E_SOCKET = 2,   //  no socket could be made (file descriptors, memory)
    ZS_SESSION_E_CERT = 3,     //  the certificate or server key cannot be used
} zs_session_code_t;

//  Create a session on loop (borrowed) and start connecting; nothing is sent before
//  zs_session_start. ops is copied; ctx is borrowed. Returns the session, or NULL with
//  err filled (code a zs_session_code_t).
zs_session_t *zs_session_new(zloop_t *loop,
                             const zs_session_config_t *config,
                             const zs_session_ops_t *ops,
                             void *ctx,
                             zs_error_t *err);

//  Close the socket, end the session's timer and reader, free it and set *self_p to
//  NULL. Accepts NULL. Sends nothing: say zs_session_bye first for a clean leave.
void zs_session_destroy(zs_session_t **self_p);

//  Send the first hello and start the session's timer.
void zs_session_start(zs_session_t *self);

//  Send msg to the coordinator, without blocking; msg is borrowed. Returns 0, or -1
//  when it could not be queued (disconnected, queue full), which is logged
//  (rate-limited) except for hello and bye.
int zs_session_send(zs_session_t *self, const zs_msg_t *msg);

//  Send bye with why (may be NULL), a courtesy: it may be lost.
void zs_session_bye(zs_session_t *self, const char *why);

//  True once welcomed, until the session is lost.
bool zs_session_ready(zs_session_t *self);

//  The heartbeat interval in use, ms: the welcome's, or ZS_SESSION_HB_DEFAULT before.
uint64_t zs_session_hb(zs_session_t *self);

//  The endpoint, borrowed for the session's life.
const char *zs_session_endpoint(zs_session_t *self);

//  The coordinator's public key in Z85, borrowed for the session's life, or NULL
//  without CURVE.
const char *zs_session_server_key(zs_session_t *self);

//  Our CURVE certificate, borrowed for the session's life, or NULL without CURVE: the
//  owner's other sockets to the coordinator use it too.
zcert_t *zs_session_cert(zs_session_t *self);

//  True when a log line the coordinator caused may be written now: one rate limit for
//  everything a peer can make us log (says how many were suppressed, when some were).
bool zs_session_log_allowed(zs_session_t *self);

//  Log msg (borrowed) as a message the owner has no use for, rate-limited: an error as
//  the coordinator's report of what went wrong, anything else as unexpected.
void zs_session_log_unhandled(zs_session_t *self, const zs_msg_t *msg);

//  The delay before hello retry number retry (0: the retry after the first hello), ms:
//  hb x 2^retry, at most ZS_SESSION_BACKOFF_MAX x hb, varied within ±25% by random
//  (any 64 bits), and at least 1. hb is at most ZS_SESSION_HB_MAX. Pure; exposed for
//  tests.
int64_t zs_session_backoff_ms(uint64_t hb, unsigned retry, uint64_t random);

#endif
