//  zs_client - a synchronous client of the zswarmd control socket
//
//  One DEALER socket, connected to one control endpoint, in a libzmq context of its own,
//  so a program can hold several clients (the benchmark talks to two coordinators) and
//  none of them depends on czmq's global context or signal handling.
//
//  Every request gets a fresh request id (rid, from 1) and every reply echoes it, so
//  replies are matched by rid, never by order: a reply to an earlier request that timed
//  out is recognised as stale and dropped. Requests may be pipelined: zs_client_send
//  several, then zs_client_recv whatever comes back.
//
//  Timeouts are the caller's: a coordinator that is down or unreachable looks exactly
//  like one that is slow, because libzmq queues the request and connects in the
//  background. The socket's linger is zero: a request worth keeping has been answered
//  before the client closes, and one that has not was already reported as failed, so
//  nothing queued is worth delaying the program's exit for.

#ifndef ZS_CLIENT_H
#define ZS_CLIENT_H

#include <czmq.h>
#include <stdint.h>

#include "proto/zs_msg.h"
#include "common/zs_util.h"

#define ZS_CLIENT_FOREVER -1      //  timeout: wait as long as it takes
#define ZS_CLIENT_HWM     100000  //  requests (or replies) queued in libzmq at most

//  Expected outcomes of a request, which the caller handles (zs_util's rule: positive)
typedef enum {
    ZS_CLIENT_E_TIMEOUT = 1,  //  no reply within the timeout; err says so
    ZS_CLIENT_E_REFUSED = 2,  //  the reply is "error": err has its code and why
    ZS_CLIENT_E_EVENT = 3,    //  an event came before the reply (recv_rid_watching)
} zs_client_result_t;

typedef struct zs_client_t zs_client_t;

//  Connect a client to endpoint (e.g. "tcp://127.0.0.1:7602"). Returns an owned client,
//  or NULL with err->text naming the endpoint and what failed.
zs_client_t *zs_client_new(const char *endpoint, zs_error_t *err);

//  The same as a CURVE client: cert (borrowed, a secret certificate, or NULL for
//  plain text as zs_client_new) gives our keys, server_z85 the coordinator's public
//  key in Z85. A coordinator that refuses the key never answers: requests time out.
zs_client_t *zs_client_new_secure(const char *endpoint,
                                  zcert_t *cert,
                                  const char *server_z85,
                                  zs_error_t *err);

//  A client of the events socket instead: a SUB subscribed to topic (a prefix of event
//  types, e.g. "mem.changed"), with or without CURVE as zs_client_new_secure. It only
//  receives, with zs_client_event.
zs_client_t *zs_client_new_watcher(const char *endpoint,
                                   const char *topic,
                                   zcert_t *cert,
                                   const char *server_z85,
                                   zs_error_t *err);

//  Receive the next event within timeout_ms (or ZS_CLIENT_FOREVER) into event, which
//  must not hold a decoded message. Returns 0 with event owning its data,
//  ZS_CLIENT_E_TIMEOUT (err untouched), or -1 with err->text (the wait failed or was
//  interrupted).
//  Frames that are not a well-formed event are dropped.
int
zs_client_event(zs_client_t *self, zs_msg_t *event, int64_t timeout_ms, zs_error_t *err);

//  Close the socket and context and set *self_p to NULL. Accepts NULL.
void zs_client_destroy(zs_client_t **self_p);

//  The endpoint the client was made with, borrowed from self.
const char *zs_client_endpoint(zs_client_t *self);

//  Send request without waiting, after setting request->rid to a fresh rid (also
//  returned in *rid_p when not NULL). The request's fields are borrowed for the call.
//  Returns 0, or -1 with err->text saying why (a bug in the request, or more than
//  ZS_CLIENT_HWM requests queued to a peer that is not reading).
int
zs_client_send(zs_client_t *self, zs_msg_t *request, uint64_t *rid_p, zs_error_t *err);

//  Receive the next reply, whatever its rid, within timeout_ms (or ZS_CLIENT_FOREVER).
//  reply must not hold a decoded message. Returns 0 with reply owning its data (the
//  caller finishes it with zs_msg_fini), whether it is "<type>.ok" or "error";
//  ZS_CLIENT_E_TIMEOUT; or -1 with err->text when the socket fails, the wait is
//  interrupted by a signal, or the reply is malformed (it is dropped).
int
zs_client_recv(zs_client_t *self, zs_msg_t *reply, int64_t timeout_ms, zs_error_t *err);

//  Receive the reply to rid within timeout_ms, dropping replies to other rids. Returns 0
//  with reply owning a "<type>.ok" message; ZS_CLIENT_E_REFUSED with reply owning the
//  "error" message and err->code/err->text its code and reason; ZS_CLIENT_E_TIMEOUT;
//  or -1 as zs_client_recv.
int zs_client_recv_rid(zs_client_t *self,
                       uint64_t rid,
                       zs_msg_t *reply,
                       int64_t timeout_ms,
                       zs_error_t *err);

//  zs_client_recv_rid, also watching watcher (a client made by zs_client_new_watcher):
//  an event that comes first is returned as ZS_CLIENT_E_EVENT with event (which must
//  not hold a decoded message) owning it, and the reply is still to come. Events that
//  can be read are returned before a reply that can be read. timeout_ms is counted
//  from this call: a caller that loops keeps its own deadline.
int zs_client_recv_rid_watching(zs_client_t *self,
                                uint64_t rid,
                                zs_msg_t *reply,
                                zs_client_t *watcher,
                                zs_msg_t *event,
                                int64_t timeout_ms,
                                zs_error_t *err);

//  Send request and receive its reply: zs_client_send, then zs_client_recv_rid. Same
//  returns as zs_client_recv_rid; a reply of an unexpected type is -1 (and dropped).
int zs_client_request(zs_client_t *self,
                      zs_msg_t *request,
                      zs_msg_t *reply,
                      int64_t timeout_ms,
                      zs_error_t *err);

//  Human name of a wire error code ("queue full"), or "error" for an unknown one.
const char *zs_client_error_name(uint64_t code);

#endif
