//  zs_client - see zs_client.h

#include "ctl/zs_client.h"

#include "common/zs_curve.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

struct zs_client_t {
    void *context;         //  libzmq context, owned
    void *socket;          //  DEALER connected to endpoint, owned
    char *endpoint;        //  control endpoint, owned
    uint64_t next_rid;     //  rid of the next request
    msgpack_sbuffer wbuf;  //  encode buffer reused by every send
};

//  A control request and the type of its successful reply
typedef struct {
    zs_msg_type_t request;  //  e.g. ZS_MSG_SUBMIT
    zs_msg_type_t ok;       //  e.g. ZS_MSG_SUBMIT_OK
} s_reply_type_t;

static const s_reply_type_t s_reply_types[] = {
    {ZS_MSG_SUBMIT, ZS_MSG_SUBMIT_OK},
    {ZS_MSG_WAIT, ZS_MSG_WAIT_OK},
    {ZS_MSG_TASK, ZS_MSG_TASK_OK},
    {ZS_MSG_CANCEL, ZS_MSG_CANCEL_OK},
    {ZS_MSG_STATUS, ZS_MSG_STATUS_OK},
    {ZS_MSG_AGENTS, ZS_MSG_AGENTS_OK},
    {ZS_MSG_SHUTDOWN, ZS_MSG_SHUTDOWN_OK},
    {ZS_MSG_STOP, ZS_MSG_STOP_OK},
    {ZS_MSG_SCALE, ZS_MSG_SCALE_OK},
    {ZS_MSG_TOPOLOGY, ZS_MSG_TOPOLOGY_OK},
    {ZS_MSG_MEM_PUT, ZS_MSG_MEM_PUT_OK},
    {ZS_MSG_MEM_GET, ZS_MSG_MEM_GET_OK},
    {ZS_MSG_MEM_DEL, ZS_MSG_MEM_DEL_OK},
    {ZS_MSG_MEM_QUERY, ZS_MSG_MEM_QUERY_OK},
    {ZS_MSG_MEM_DEPOSIT, ZS_MSG_MEM_DEPOSIT_OK},
    {ZS_MSG_VOTE_PROPOSE, ZS_MSG_VOTE_PROPOSE_OK},
    {ZS_MSG_VOTE_STATUS, ZS_MSG_VOTE_STATUS_OK},
    {ZS_MSG_VOTE_LIST, ZS_MSG_VOTE_LIST_OK},
    {ZS_MSG_PROVIDERS, ZS_MSG_PROVIDERS_OK},
    {ZS_MSG_BROADCAST, ZS_MSG_BROADCAST_OK},
    {ZS_MSG_PAUSE, ZS_MSG_PAUSE_OK},
    {ZS_MSG_RESUME, ZS_MSG_RESUME_OK},
};

//  What s_poll found readable
#define S_READ_SELF    1  //  the client's own socket
#define S_READ_WATCHER 2  //  the watcher's

static const char *s_error_names[] = {
    [ZS_ERR_MALFORMED] = "malformed request",
    [ZS_ERR_VERSION] = "protocol version mismatch",
    [ZS_ERR_UNKNOWN_TYPE] = "unknown request",
    [ZS_ERR_NOT_REGISTERED] = "not registered",
    [ZS_ERR_NO_TASK] = "no such task",
    [ZS_ERR_QUEUE_FULL] = "queue full",
    [ZS_ERR_INVALID] = "invalid request",
    [ZS_ERR_SHUTTING_DOWN] = "shutting down",
    [ZS_ERR_FINISHED] = "already ended",
    [ZS_ERR_LIMIT] = "limit reached",
    [ZS_ERR_FORBIDDEN] = "forbidden",
    [ZS_ERR_NO_KEY] = "no such entry",
    [ZS_ERR_CONFLICT] = "conflict",
    [ZS_ERR_NO_VOTE] = "no such vote",
    [ZS_ERR_BUDGET] = "budget spent",
};

static int
s_setsockopt_int(void *socket, int option, int value)
{
    return zmq_setsockopt(socket, option, &value, sizeof value);
}

static int
s_configure(zs_client_t *self, zcert_t *cert, const char *server_z85)
{
    //  Linger 0: see zs_client.h. The high-water marks are above any window the
    //  benchmark keeps in flight, so a send never blocks or fails on a healthy peer,
    //  while ZS_CLIENT_HWM still bounds what piles up for a dead one
    int64_t frame_max = ZS_MSG_FRAME_MAX;
    if (s_setsockopt_int(self->socket, ZMQ_LINGER, 0) != 0 ||
        s_setsockopt_int(self->socket, ZMQ_SNDHWM, ZS_CLIENT_HWM) != 0 ||
        s_setsockopt_int(self->socket, ZMQ_RCVHWM, ZS_CLIENT_HWM) != 0 ||
        zmq_setsockopt(self->socket, ZMQ_MAXMSGSIZE, &frame_max, sizeof frame_max) != 0) {
        return -1;
    }
    if (cert && zs_curve_apply(self->socket, cert, server_z85) != 0) {
        return -1;
    }
    return zmq_connect(self->socket, self->endpoint);
}

zs_client_t *
zs_client_new(const char *endpoint, zs_error_t *err)
{
    return zs_client_new_secure(endpoint, NULL, NULL, err);
}

//  A client on a socket of type kind; a SUB subscribes to topic
static zs_client_t *
s_new(const char *endpoint,
      int kind,
      const char *topic,
      zcert_t *cert,
      const char *server_z85,
      zs_error_t *err)
{
    assert(endpoint);
    assert(!cert || server_z85);
    zs_client_t *self = zs_calloc(1, sizeof *self);
    self->endpoint = zs_strdup(endpoint);
    self->next_rid = 1;
    msgpack_sbuffer_init(&self->wbuf);
    self->context = zmq_ctx_new();
    self->socket = self->context ? zmq_socket(self->context, kind) : NULL;
    if (!self->socket ||
        (topic &&
         zmq_setsockopt(self->socket, ZMQ_SUBSCRIBE, topic, strlen(topic)) != 0) ||
        s_configure(self, cert, server_z85) != 0) {
        zs_error_set(err, 0, "cannot connect to '%s': %s", endpoint, zmq_strerror(errno));
        zs_client_destroy(&self);
        return NULL;
    }
    return self;
}

zs_client_t *
zs_client_new_secure(const char *endpoint,
                     zcert_t *cert,
                     const char *server_z85,
                     zs_error_t *err)
{
    return s_new(endpoint, ZMQ_DEALER, NULL, cert, server_z85, err);
}

zs_client_t *
zs_client_new_watcher(const char *endpoint,
                      const char *topic,
                      zcert_t *cert,
                      const char *server_z85,
                      zs_error_t *err)
{
    assert(topic);
    return s_new(endpoint, ZMQ_SUB, topic, cert, server_z85, err);
}

void
zs_client_destroy(zs_client_t **self_p)
{
    assert(self_p);
    zs_client_t *self = *self_p;
    if (!self) {
        return;
    }
    if (self->socket) {
        zmq_close(self->socket);
    }
    if (self->context) {
        zmq_ctx_term(self->context);
    }
    msgpack_sbuffer_destroy(&self->wbuf);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

const char *
zs_client_endpoint(zs_client_t *self)
{
    assert(self);
    return self->endpoint;
}

int
zs_client_send(zs_client_t *self, zs_msg_t *request, uint64_t *rid_p, zs_error_t *err)
{
    assert(self);
    assert(request);
    request->rid = self->next_rid++;
    //  Non-blocking: EAGAIN means no connection to queue on (libzmq dropped it, as
    //  after a refused CURVE handshake) or ZS_CLIENT_HWM requests already queued; either
    //  way waiting would only hide it behind the reply timeout
    if (zs_msg_send(request, self->socket, NULL, 0, ZMQ_DONTWAIT, &self->wbuf) != 0) {
        return zs_error_set(err, 0, "cannot send %s to '%s': %s",
                            zs_msg_type_name(request->type), self->endpoint,
                            errno == EAGAIN
                                ? "no connection (refused by zswarmd?) or too many "
                                  "requests queued"
                                : zmq_strerror(errno));
    }
    if (rid_p) {
        *rid_p = request->rid;
    }
    return 0;
}

//  Wait until self, or watcher when not NULL, can be read or the deadline (ms, or
//  ZS_CLIENT_FOREVER) passes. Returns 0 on timeout, -1 on error, else bit 1 when self
//  can be read and bit 2 when watcher can.
static int
s_poll(zs_client_t *self, zs_client_t *watcher, int64_t deadline_ms, zs_error_t *err)
{
    zmq_pollitem_t items[] = {{self->socket, 0, ZMQ_POLLIN, 0},
                              {watcher ? watcher->socket : NULL, 0, ZMQ_POLLIN, 0}};
    long timeout = -1;
    if (deadline_ms != ZS_CLIENT_FOREVER) {
        int64_t left = deadline_ms - zclock_mono();
        timeout = left > 0 ? (long) left : 0;
    }
    int rc = zmq_poll(items, watcher ? 2 : 1, timeout);
    if (rc < 0) {
        return zs_error_set(err, 0, "waiting for '%s': %s", self->endpoint,
                            errno == EINTR ? "interrupted" : zmq_strerror(errno));
    }
    return (items[0].revents & ZMQ_POLLIN ? S_READ_SELF : 0) |
           (watcher && items[1].revents & ZMQ_POLLIN ? S_READ_WATCHER : 0);
}

//  Read one message, all its frames. A DEALER reply is one frame; anything else is
//  not from a zswarmd and is dropped whole, so the next read starts on a boundary.
static int
s_read(zs_client_t *self, zs_msg_t *reply, zs_error_t *err)
{
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    if (zmq_msg_recv(&frame, self->socket, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&frame);
        return zs_error_set(err, 0, "cannot receive from '%s': %s", self->endpoint,
                            zmq_strerror(errno));
    }
    int rc = 0;
    zs_error_t why;
    zs_error_init(&why);
    if (zmq_msg_more(&frame)) {
        rc = zs_error_set(&why, ZS_ERR_MALFORMED, "more than one frame");
    } else {
        rc = zs_msg_decode(reply, zmq_msg_data(&frame), zmq_msg_size(&frame), &why);
    }
    while (zmq_msg_more(&frame)) {
        if (zmq_msg_recv(&frame, self->socket, ZMQ_DONTWAIT) < 0) {
            break;
        }
    }
    zmq_msg_close(&frame);
    if (rc != 0) {
        return zs_error_set(err, why.code, "malformed reply from '%s': %s",
                            self->endpoint, why.text);
    }
    return 0;
}

int
zs_client_recv(zs_client_t *self, zs_msg_t *reply, int64_t timeout_ms, zs_error_t *err)
{
    assert(self);
    assert(reply);
    int64_t deadline =
        timeout_ms == ZS_CLIENT_FOREVER ? ZS_CLIENT_FOREVER : zclock_mono() + timeout_ms;
    int ready = s_poll(self, NULL, deadline, err);
    if (ready < 0) {
        return -1;
    }
    if (ready == 0) {
        zs_error_set(err, 0, "no reply from '%s' within %lld ms", self->endpoint,
                     (long long) timeout_ms);
        return ZS_CLIENT_E_TIMEOUT;
    }
    return s_read(self, reply, err);
}

static int
s_refused(const zs_msg_t *reply, zs_error_t *err)
{
    zs_error_set(err, (int) reply->code, "%s: %s", zs_client_error_name(reply->code),
                 reply->why ? reply->why : "no reason given");
    return ZS_CLIENT_E_REFUSED;
}

int
zs_client_recv_rid(
    zs_client_t *self, uint64_t rid, zs_msg_t *reply, int64_t timeout_ms, zs_error_t *err)
{
    return zs_client_recv_rid_watching(self, rid, reply, NULL, NULL, timeout_ms, err);
}

int
zs_client_recv_rid_watching(zs_client_t *self,
                            uint64_t rid,
                            zs_msg_t *reply,
                            zs_client_t *watcher,
                            zs_msg_t *event,
                            int64_t timeout_ms,
                            zs_error_t *err)
{
    assert(self);
    assert(reply);
    assert(!watcher || event);
    int64_t deadline =
        timeout_ms == ZS_CLIENT_FOREVER ? ZS_CLIENT_FOREVER : zclock_mono() + timeout_ms;
    while (true) {
        int ready = s_poll(self, watcher, deadline, err);
        if (ready <= 0) {
            if (ready == 0) {
                zs_error_set(err, 0, "no reply from '%s' within %lld ms", self->endpoint,
                             (long long) timeout_ms);
            }
            return ready < 0 ? -1 : ZS_CLIENT_E_TIMEOUT;
        }
        //  Events first: what a task said before it ended comes before its end
        if (ready & S_READ_WATCHER && zs_client_event(watcher, event, 0, err) == 0) {
            return ZS_CLIENT_E_EVENT;
        }
        if (!(ready & S_READ_SELF)) {
            continue;
        }
        if (s_read(self, reply, err) != 0) {
            return -1;
        }
        if (reply->rid == rid) {
            return reply->type == ZS_MSG_ERROR ? s_refused(reply, err) : 0;
        }
        //  A late reply to a request that already timed out: its caller gave up on it
        zs_msg_fini(reply);
    }
}

static zs_msg_type_t
s_ok_type(zs_msg_type_t request)
{
    for (size_t i = 0; i < sizeof s_reply_types / sizeof s_reply_types[0]; i++) {
        if (s_reply_types[i].request == request) {
            return s_reply_types[i].ok;
        }
    }
    return ZS_MSG_INVALID;
}

int
zs_client_request(zs_client_t *self,
                  zs_msg_t *request,
                  zs_msg_t *reply,
                  int64_t timeout_ms,
                  zs_error_t *err)
{
    assert(self);
    assert(request);
    assert(reply);
    uint64_t rid = 0;
    if (zs_client_send(self, request, &rid, err) != 0) {
        return -1;
    }
    int rc = zs_client_recv_rid(self, rid, reply, timeout_ms, err);
    if (rc == 0 && reply->type != s_ok_type(request->type)) {
        zs_error_set(err, ZS_ERR_MALFORMED, "unexpected reply %s to %s from '%s'",
                     zs_msg_type_name(reply->type), zs_msg_type_name(request->type),
                     self->endpoint);
        zs_msg_fini(reply);
        return -1;
    }
    return rc;
}

const char *
zs_client_error_name(uint64_t code)
{
    size_t count = sizeof s_error_names / sizeof s_error_names[0];
    return code < count && s_error_names[code] ? s_error_names[code] : "error";
}

int
zs_client_event(zs_client_t *self, zs_msg_t *event, int64_t timeout_ms, zs_error_t *err)
{
    assert(self);
    assert(event);
    int64_t deadline =
        timeout_ms == ZS_CLIENT_FOREVER ? ZS_CLIENT_FOREVER : zclock_mono() + timeout_ms;
    while (true) {
        int ready = s_poll(self, NULL, deadline, err);
        if (ready <= 0) {
            return ready == 0 ? ZS_CLIENT_E_TIMEOUT : -1;
        }
        //  [topic][map]: the topic is the map's type, so only the map is read
        zmq_msg_t topic, body;
        zmq_msg_init(&topic);
        zmq_msg_init(&body);
        bool framed = zmq_msg_recv(&topic, self->socket, ZMQ_DONTWAIT) >= 0 &&
                      zmq_msg_more(&topic) &&
                      zmq_msg_recv(&body, self->socket, ZMQ_DONTWAIT) >= 0 &&
                      !zmq_msg_more(&body);
        zs_error_t why;
        int rc =
            framed ? zs_msg_decode(event, zmq_msg_data(&body), zmq_msg_size(&body), &why)
                   : -1;
        zmq_msg_close(&topic);
        zmq_msg_close(&body);
        if (rc == 0) {
            return 0;
        }
        //  Not an event of ours: dropped (a stray frame left by a bad one is dropped
        //  by the next read, which does not start with a topic)
    }
}
