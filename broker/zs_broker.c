//  zs_broker - see zs_broker.h

#include "broker/zs_broker.h"

#include <errno.h>
#include <string.h>

#define ZS_BROKER_BATCH      512  //  messages read per wake-up, so one socket cannot starve
#define ZS_BROKER_HWM        100000  //  queued messages per peer before sends fail
#define ZS_BROKER_LINGER     200  //  ms a closing socket may spend flushing (bye, replies)
#define ZS_BROKER_HELD_MAX   (64u << 20)  //  held reply bytes before requests pause
#define ZS_BROKER_TOPICS_MAX 1024  //  subscribed prefixes tracked before publishing all
#define ZS_BROKER_ADDR_MAX   64    //  bytes of a peer's address, with its NUL

struct zs_peer_t {
    zs_ident_t ident;               //  routing id, also the peer table's key
    int64_t last_recv_ms;           //  when the peer was last heard
    int64_t last_sent_ms;           //  when anything was last sent to it
    void *owner;                    //  coordinator's object, borrowed
    zs_msg_type_t kind;             //  the hello that opened the session (agent or node)
    char user[ZS_AUTH_USER_MAX];    //  its key's name under CURVE (ZAP User-Id), or ""
    char addr[ZS_BROKER_ADDR_MAX];  //  the address it connected from, or ""
};

struct zs_broker_t {
    zloop_t *loop;     //  borrowed
    zs_auth_t *auth;   //  borrowed, NULL without security
    zsock_t *agents;   //  ROUTER for agents, owned
    zsock_t *events;   //  XPUB for events, owned
    zsock_t *control;  //  ROUTER for clients, owned
    char *agents_ep;   //  bound endpoints, owned
    char *events_ep;
    char *control_ep;
    zhashx_t *peers;          //  zs_ident_t * -> zs_peer_t *, owns the peers
    zs_broker_ops_t ops;      //  coordinator's callbacks
    void *ctx;                //  their context, borrowed
    unsigned interval_ms;     //  heartbeat interval, 0 before set_liveness
    unsigned liveness;        //  missed intervals before expiry
    int tick_timer;           //  zloop timer id, or -1
    bool expiry_deferred;     //  the last tick left expiry to this one
    int64_t now_ms;           //  clock read once per batch of messages
    uint64_t seq;             //  last event sequence number
    uint64_t aseq;            //  last sequence number of the events to agents
    msgpack_sbuffer buf;      //  encode buffer reused for every send
    bool holding;             //  control replies are held, not sent
    zchunk_t *held;           //  held replies: each an s_held_t, identity, body
    bool control_paused;      //  too many replies held: control socket not read
    zlistx_t *topics;         //  zchunk_t * prefixes subscribers asked for, owned
    bool every_topic;         //  too many prefixes to track: publish everything
    zs_ratelimit_t bad_log;   //  limits logs about bad frames
    zs_broker_stats_t stats;  //  counters
};

//  Header of one held reply in the held buffer
typedef struct {
    uint32_t body_size;  //  bytes of the encoded reply after the identity
    uint8_t ident_size;  //  bytes of the client's routing id that follow this header
    bool delimited;      //  the client is a REQ socket
} s_held_t;

//  ---------------------------------------------------------------------------------
//  Peer table keyed by routing id

static size_t
s_ident_hash(const void *key)
{
    const zs_ident_t *ident = key;
    uint64_t hash = 1469598103934665603ULL;  //  FNV-1a
    for (size_t i = 0; i < ident->size; i++) {
        hash = (hash ^ ident->data[i]) * 1099511628211ULL;
    }
    return (size_t) hash;
}

static int
s_ident_compare(const void *a, const void *b)
{
    const zs_ident_t *x = a, *y = b;
    if (x->size != y->size) {
        return x->size < y->size ? -1 : 1;
    }
    return memcmp(x->data, y->data, x->size);
}

//  Keys point into the peers that own them: nothing to copy or free
static void *
s_ident_keep(const void *key)
{
    return (void *) (uintptr_t) key;
}

static void
s_peer_destroy(void **item)
{
    free(*item);
    *item = NULL;
}

static zs_peer_t *
s_peer_find(zs_broker_t *self, const zs_ident_t *ident)
{
    return zhashx_lookup(self->peers, ident);
}

//  A heartbeat is the broker's own, but for an agent's report of its resource use
static bool
s_beat_has_usage(const zs_peer_t *peer, const zs_msg_t *beat)
{
    return peer->kind == ZS_MSG_HELLO && (beat->cpu || beat->rss);
}

static void
s_peer_remove(zs_broker_t *self, zs_peer_t *peer)
{
    zhashx_delete(self->peers, &peer->ident);
}

//  ---------------------------------------------------------------------------------
//  Receiving

//  What was wrong, never what was sent: the decoder's reason names the message type
//  and the field at fault, and a frame's bytes may be anyone's payload
static void
s_log_bad(zs_broker_t *self, const char *socket, const zs_error_t *err, zmq_msg_t *frame)
{
    self->stats.malformed++;
    uint64_t suppressed = 0;
    if (!zs_ratelimit_allow(&self->bad_log, &suppressed)) {
        return;
    }
    zsys_warning("bad message on %s socket: %s (%zu bytes; %" PRIu64 " more suppressed)",
                 socket, err->text, zmq_msg_size(frame), suppressed);
}

//  Reads one whole multipart message into up to max frames. Returns the frame count,
//  0 when nothing is waiting, or max + 1 when there were more (the rest is discarded).
static int
s_recv_frames(void *socket, zmq_msg_t *frames, int max)
{
    int count = 0;
    int more = 1;
    while (more) {
        zmq_msg_t *frame = &frames[count < max ? count : max];
        zmq_msg_init(frame);
        if (zmq_msg_recv(frame, socket, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(frame);
            return count;  //  EAGAIN on the first frame: nothing waiting
        }
        more = zmq_msg_more(frame);
        if (count < max) {
            count++;
        } else {
            zmq_msg_close(frame);
            count = max + 1;
        }
    }
    return count;
}

static void
s_close_frames(zmq_msg_t *frames, int count)
{
    for (int i = 0; i < count; i++) {
        zmq_msg_close(&frames[i]);
    }
}

static bool
s_ident_from_frame(zs_ident_t *ident, zmq_msg_t *frame)
{
    size_t size = zmq_msg_size(frame);
    if (size == 0 || size > ZS_IDENT_MAX) {
        return false;
    }
    ident->size = (uint8_t) size;
    memcpy(ident->data, zmq_msg_data(frame), size);
    return true;
}

//  Who sent a frame, as libzmq knows it: the key's name ZAP gave it, and the address
static void
s_peer_origin(zs_peer_t *peer, zmq_msg_t *frame)
{
    const char *user = zmq_msg_gets(frame, "User-Id");
    const char *addr = zmq_msg_gets(frame, "Peer-Address");
    snprintf(peer->user, sizeof peer->user, "%s", user ? user : "");
    snprintf(peer->addr, sizeof peer->addr, "%s", addr ? addr : "");
}

static void
s_agent_message(zs_broker_t *self, const zs_ident_t *ident, zmq_msg_t *body)
{
    zs_msg_t msg;
    zs_error_t err;
    if (zs_msg_decode(&msg, zmq_msg_data(body), zmq_msg_size(body), &err) != 0) {
        s_log_bad(self, "agents", &err, body);
        zs_broker_send_error(self, ident, (zs_err_code_t) err.code, err.text);
        return;
    }
    self->stats.received++;
    zs_peer_t *peer = s_peer_find(self, ident);
    if (peer) {
        peer->last_recv_ms = self->now_ms;
    }
    if (msg.type == ZS_MSG_HELLO || msg.type == ZS_MSG_NODE_HELLO) {
        if (peer) {
            //  A second hello on a live connection restarts the session
            self->ops.gone(self->ctx, peer, "said hello again");
            s_peer_remove(self, peer);
        }
        peer = zs_calloc(1, sizeof *peer);
        peer->ident = *ident;
        peer->kind = msg.type;
        s_peer_origin(peer, body);
        peer->last_recv_ms = peer->last_sent_ms = self->now_ms;
        zhashx_insert(self->peers, &peer->ident, peer);
        if (self->ops.hello(self->ctx, peer, &msg) != 0) {
            s_peer_remove(self, peer);
        }
    } else if (!peer) {
        zs_broker_send_error(self, ident, ZS_ERR_NOT_REGISTERED, "say hello first");
    } else if (msg.type == ZS_MSG_BYE) {
        self->ops.gone(self->ctx, peer, msg.why ? msg.why : "said bye");
        s_peer_remove(self, peer);
    } else if (msg.type != ZS_MSG_HEARTBEAT || s_beat_has_usage(peer, &msg)) {
        self->ops.message(self->ctx, peer, &msg);
    }
    zs_msg_fini(&msg);
}

static int
s_agents_readable(zloop_t *loop, zsock_t *sock, void *arg)
{
    zs_broker_t *self = arg;
    self->now_ms = zclock_mono();
    for (int n = 0; n < ZS_BROKER_BATCH; n++) {
        zmq_msg_t frames[3];
        int count = s_recv_frames(zsock_resolve(sock), frames, 2);
        if (count == 0) {
            break;
        }
        zs_ident_t ident;
        if (count == 2 && s_ident_from_frame(&ident, &frames[0])) {
            s_agent_message(self, &ident, &frames[1]);
        } else {
            self->stats.malformed++;
        }
        s_close_frames(frames, count > 2 ? 2 : count);
    }
    if (self->ops.batch_end) {
        self->ops.batch_end(self->ctx);
    }
    return 0;
}

//  The ZAP User-Id libzmq attached to a frame: the client's certificate name, or ""
static void
s_client_user(zs_client_ref_t *client, zmq_msg_t *frame)
{
    const char *user = zmq_msg_gets(frame, "User-Id");
    snprintf(client->user, sizeof client->user, "%s", user ? user : "");
}

static void
s_control_message(zs_broker_t *self, const zs_client_ref_t *client, zmq_msg_t *body)
{
    zs_msg_t msg;
    zs_error_t err;
    if (zs_msg_decode(&msg, zmq_msg_data(body), zmq_msg_size(body), &err) != 0) {
        s_log_bad(self, "control", &err, body);
        zs_broker_reply_error(self, client, msg.rid, (zs_err_code_t) err.code, err.text);
        return;
    }
    self->stats.received++;
    self->ops.control(self->ctx, client, &msg);
    zs_msg_fini(&msg);
}

static int
s_control_readable(zloop_t *loop, zsock_t *sock, void *arg)
{
    zs_broker_t *self = arg;
    self->now_ms = zclock_mono();
    for (int n = 0; n < ZS_BROKER_BATCH; n++) {
        zmq_msg_t frames[4];
        int count = s_recv_frames(zsock_resolve(sock), frames, 3);
        if (count == 0) {
            break;
        }
        zs_client_ref_t client;
        bool framed = (count == 2 || (count == 3 && zmq_msg_size(&frames[1]) == 0));
        if (framed && s_ident_from_frame(&client.ident, &frames[0])) {
            client.delimited = count == 3;
            s_client_user(&client, &frames[count - 1]);
            s_control_message(self, &client, &frames[count - 1]);
        } else {
            self->stats.malformed++;
        }
        s_close_frames(frames, count > 3 ? 3 : count);
    }
    if (self->ops.batch_end) {
        self->ops.batch_end(self->ctx);
    }
    //  Replies still held (the journal cannot be written): read no more requests until
    //  they are released, so held replies stay bounded and clients see back-pressure
    if (zchunk_size(self->held) > ZS_BROKER_HELD_MAX && !self->control_paused) {
        zsys_warning("%zu bytes of replies wait for the journal: control requests paused",
                     zchunk_size(self->held));
        zloop_reader_end(self->loop, self->control);
        self->control_paused = true;
    }
    return 0;
}

//  ---------------------------------------------------------------------------------
//  Liveness

static void
s_heartbeat(zs_broker_t *self, zs_peer_t *peer)
{
    zs_msg_t beat;
    zs_msg_init(&beat, ZS_MSG_HEARTBEAT);
    //  An agent that missed an event addressed to it learns so here too
    beat.aseq = peer->kind == ZS_MSG_HELLO ? self->aseq : 0;
    zs_broker_send(self, peer, &beat);
}

static int
s_tick(zloop_t *loop, int timer_id, void *arg)
{
    zs_broker_t *self = arg;
    self->now_ms = zclock_mono();
    int64_t deadline = (int64_t) self->interval_ms * self->liveness;
    //  Collect first: gone() may drop other peers, which would upset the iteration
    zlistx_t *expired = zlistx_new();
    for (zs_peer_t *peer = zhashx_first(self->peers); peer;
         peer = zhashx_next(self->peers)) {
        if (self->now_ms - peer->last_recv_ms > deadline) {
            zlistx_add_end(expired, peer);
        } else if (self->now_ms - peer->last_sent_ms >= self->interval_ms) {
            s_heartbeat(self, peer);
        }
    }
    //  When this loop stalled, the timer runs before the agents' reader in the round
    //  after, and peers whose heartbeats wait there would be expired: once, expiry
    //  waits a tick for the reader to run
    bool waiting = zlistx_size(expired) && (zsock_events(self->agents) & ZMQ_POLLIN);
    if (waiting && !self->expiry_deferred) {
        zlistx_purge(expired);
    }
    self->expiry_deferred = waiting && !self->expiry_deferred;
    for (zs_peer_t *peer = zlistx_first(expired); peer; peer = zlistx_next(expired)) {
        self->stats.expired++;
        self->ops.gone(self->ctx, peer, "missed heartbeats");
        s_peer_remove(self, peer);
    }
    zlistx_destroy(&expired);
    if (self->ops.batch_end) {
        self->ops.batch_end(self->ctx);
    }
    return 0;
}

void
zs_broker_set_liveness(zs_broker_t *self, unsigned interval_ms, unsigned liveness)
{
    assert(self);
    assert(interval_ms > 0 && liveness > 0);
    self->interval_ms = interval_ms;
    self->liveness = liveness;
    if (self->tick_timer >= 0) {
        zloop_timer_end(self->loop, self->tick_timer);
    }
    //  Ticking twice an interval keeps heartbeat gaps under 1.5 intervals
    size_t period = interval_ms / 2 ? interval_ms / 2 : 1;
    self->tick_timer = zloop_timer(self->loop, period, 0, s_tick, self);
}

//  ---------------------------------------------------------------------------------
//  Sending

int
zs_broker_send(zs_broker_t *self, zs_peer_t *peer, const zs_msg_t *msg)
{
    assert(self);
    assert(peer);
    assert(msg);
    if (zs_msg_send(msg, zsock_resolve(self->agents), peer->ident.data, peer->ident.size,
                    ZMQ_DONTWAIT, &self->buf) != 0) {
        self->stats.dropped++;
        return -1;
    }
    peer->last_sent_ms = self->now_ms;
    return 0;
}

void
zs_broker_send_error(zs_broker_t *self,
                     const zs_ident_t *ident,
                     zs_err_code_t code,
                     const char *why)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_ERROR);
    msg.code = (uint64_t) code;
    msg.why = why;
    if (zs_msg_send(&msg, zsock_resolve(self->agents), ident->data, ident->size,
                    ZMQ_DONTWAIT, &self->buf) != 0) {
        self->stats.dropped++;
    }
}

static int
s_reply_send(zs_broker_t *self,
             const uint8_t *ident,
             size_t ident_size,
             bool delimited,
             const void *body,
             size_t body_size)
{
    void *socket = zsock_resolve(self->control);
    //  The body is encoded already, so a multipart reply is never left half sent
    int rc = zmq_send(socket, ident, ident_size, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0 && delimited) {
        rc = zmq_send(socket, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    }
    if (rc >= 0) {
        rc = zmq_send(socket, body, body_size, ZMQ_DONTWAIT);
    }
    if (rc < 0) {
        self->stats.dropped++;
        return -1;
    }
    return 0;
}

static void
s_reply_hold(zs_broker_t *self, const zs_client_ref_t *client)
{
    s_held_t head = {(uint32_t) self->buf.size, client->ident.size, client->delimited};
    zchunk_extend(self->held, &head, sizeof head);
    zchunk_extend(self->held, client->ident.data, client->ident.size);
    zchunk_extend(self->held, self->buf.data, self->buf.size);
}

int
zs_broker_reply(zs_broker_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    assert(self);
    assert(client);
    assert(msg);
    if (zs_msg_encode(msg, &self->buf) != 0) {
        //  A request still gets exactly one reply: an error saying what happened
        self->stats.dropped++;
        zs_msg_t error;
        zs_msg_init(&error, ZS_MSG_ERROR);
        error.rid = msg->rid;
        error.code = ZS_ERR_INVALID;
        error.why = "the reply could not be encoded";
        if (zs_msg_encode(&error, &self->buf) != 0) {
            return -1;
        }
    }
    if (self->holding) {
        s_reply_hold(self, client);
        return 0;
    }
    return s_reply_send(self, client->ident.data, client->ident.size, client->delimited,
                        self->buf.data, self->buf.size);
}

void
zs_broker_hold_replies(zs_broker_t *self)
{
    assert(self);
    self->holding = true;
}

void
zs_broker_release_replies(zs_broker_t *self)
{
    assert(self);
    const uint8_t *at = zchunk_data(self->held);
    const uint8_t *end = at + zchunk_size(self->held);
    while (at < end) {
        s_held_t head;
        memcpy(&head, at, sizeof head);
        const uint8_t *ident = at + sizeof head;
        s_reply_send(self, ident, head.ident_size, head.delimited,
                     ident + head.ident_size, head.body_size);
        at = ident + head.ident_size + head.body_size;
    }
    zchunk_set(self->held, NULL, 0);
    if (self->control_paused) {
        self->control_paused = false;
        zloop_reader(self->loop, self->control, s_control_readable, self);
    }
}

void
zs_broker_reply_error(zs_broker_t *self,
                      const zs_client_ref_t *client,
                      uint64_t rid,
                      zs_err_code_t code,
                      const char *why)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_ERROR);
    msg.rid = rid;
    msg.code = (uint64_t) code;
    msg.why = why;
    zs_broker_reply(self, client, &msg);
}

//  ---------------------------------------------------------------------------------
//  Events: XPUB tells which topic prefixes have subscribers, so an event nobody asked
//  for costs a sequence number and nothing else (no encoding, no send)

static void
s_topic_destroy(void **item)
{
    zchunk_destroy((zchunk_t **) item);
}

static void *
s_topic_find(zs_broker_t *self, const uint8_t *prefix, size_t size)
{
    for (zchunk_t *topic = zlistx_first(self->topics); topic;
         topic = zlistx_next(self->topics)) {
        if (zchunk_size(topic) == size && memcmp(zchunk_data(topic), prefix, size) == 0) {
            return zlistx_cursor(self->topics);
        }
    }
    return NULL;
}

//  One (un)subscription: first byte 1 or 0, then the prefix. Without XPUB_VERBOSE,
//  libzmq passes only the first subscription and the last unsubscription of a prefix
static void
s_subscription(zs_broker_t *self, const uint8_t *data, size_t size)
{
    if (size == 0 || data[0] > 1) {
        return;
    }
    void *handle = s_topic_find(self, data + 1, size - 1);
    if (data[0] == 0 && handle) {
        zlistx_delete(self->topics, handle);
    } else if (data[0] == 1 && !handle) {
        if (zlistx_size(self->topics) >= ZS_BROKER_TOPICS_MAX) {
            self->every_topic = true;
        }
        zlistx_add_end(self->topics, zchunk_new(data + 1, size - 1));
    }
}

static int
s_events_readable(zloop_t *loop, zsock_t *sock, void *arg)
{
    zs_broker_t *self = arg;
    for (int n = 0; n < ZS_BROKER_BATCH; n++) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, zsock_resolve(sock), ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&frame);
            break;
        }
        s_subscription(self, zmq_msg_data(&frame), zmq_msg_size(&frame));
        zmq_msg_close(&frame);
    }
    return 0;
}

static bool
s_topic_wanted(zs_broker_t *self, const char *topic, size_t size)
{
    if (self->every_topic) {
        return true;
    }
    for (zchunk_t *prefix = zlistx_first(self->topics); prefix;
         prefix = zlistx_next(self->topics)) {
        if (zchunk_size(prefix) <= size &&
            memcmp(zchunk_data(prefix), topic, zchunk_size(prefix)) == 0) {
            return true;
        }
    }
    return false;
}

void
zs_broker_publish(zs_broker_t *self, zs_msg_t *msg)
{
    assert(self);
    assert(msg);
    msg->seq = ++self->seq;
    if (zs_msg_to_agents(msg->type)) {
        msg->aseq = ++self->aseq;
    }
    const char *topic = zs_msg_type_name(msg->type);
    size_t size = strlen(topic);
    if (!s_topic_wanted(self, topic, size)) {
        return;
    }
    if (zs_msg_send(msg, zsock_resolve(self->events), topic, size, ZMQ_DONTWAIT,
                    &self->buf) != 0) {
        self->stats.dropped++;
    }
}

uint64_t
zs_broker_seq(zs_broker_t *self)
{
    return self->seq;
}

uint64_t
zs_broker_aseq(zs_broker_t *self)
{
    return self->aseq;
}

//  ---------------------------------------------------------------------------------
//  Life cycle

static void
s_close(zs_broker_t *self, zsock_t **sock_p)
{
    if (*sock_p && self->auth) {
        zs_auth_unserve(self->auth, *sock_p);
    }
    zsock_destroy(sock_p);
}

static zsock_t *
s_bind(zs_broker_t *self,
       int type,
       const char *endpoint,
       zs_auth_domain_t domain,
       char **bound,
       zs_error_t *err)
{
    zsock_t *sock = zsock_new(type);
    if (!sock) {
        zs_error_set(err, 0, "cannot create socket: %s", zmq_strerror(zmq_errno()));
        return NULL;
    }
    zsock_set_maxmsgsize(sock, ZS_MSG_FRAME_MAX);
    zsock_set_sndhwm(sock, ZS_BROKER_HWM);
    zsock_set_rcvhwm(sock, ZS_BROKER_HWM);
    zsock_set_linger(sock, ZS_BROKER_LINGER);
    if (type == ZMQ_ROUTER) {
        //  A send to a peer that went away fails instead of vanishing silently
        zsock_set_router_mandatory(sock, 1);
    }
    if (self->auth) {
        zs_auth_serve(self->auth, sock, domain);
    }
    if (zsock_bind(sock, "%s", endpoint) < 0) {
        zs_error_set(err, 0, "cannot bind '%s': %s", endpoint, zmq_strerror(zmq_errno()));
        s_close(self, &sock);
        return NULL;
    }
    *bound = zsock_last_endpoint(sock);
    return sock;
}

zs_broker_t *
zs_broker_new(zloop_t *loop,
              const char *agents_ep,
              const char *events_ep,
              const char *control_ep,
              zs_auth_t *auth,
              const zs_broker_ops_t *ops,
              void *ctx,
              zs_error_t *err)
{
    assert(loop);
    assert(ops);
    zs_broker_t *self = zs_calloc(1, sizeof *self);
    self->loop = loop;
    self->auth = auth;
    self->ops = *ops;
    self->ctx = ctx;
    self->tick_timer = -1;
    self->now_ms = zclock_mono();
    msgpack_sbuffer_init(&self->buf);
    self->held = zchunk_new(NULL, 0);
    self->topics = zlistx_new();
    zlistx_set_destructor(self->topics, s_topic_destroy);
    self->peers = zhashx_new();
    zhashx_set_key_hasher(self->peers, s_ident_hash);
    zhashx_set_key_comparator(self->peers, s_ident_compare);
    zhashx_set_key_duplicator(self->peers, s_ident_keep);
    zhashx_set_key_destructor(self->peers, NULL);
    zhashx_set_destructor(self->peers, s_peer_destroy);
    self->agents =
        s_bind(self, ZMQ_ROUTER, agents_ep, ZS_AUTH_DOMAIN_AGENTS, &self->agents_ep, err);
    if (self->agents) {
        self->events = s_bind(self, ZMQ_XPUB, events_ep, ZS_AUTH_DOMAIN_EVENTS,
                              &self->events_ep, err);
    }
    if (self->events) {
        self->control = s_bind(self, ZMQ_ROUTER, control_ep, ZS_AUTH_DOMAIN_CONTROL,
                               &self->control_ep, err);
    }
    if (!self->control) {
        zs_broker_destroy(&self);
        return NULL;
    }
    zloop_reader(loop, self->agents, s_agents_readable, self);
    zloop_reader(loop, self->control, s_control_readable, self);
    zloop_reader(loop, self->events, s_events_readable, self);
    return self;
}

void
zs_broker_destroy(zs_broker_t **self_p)
{
    assert(self_p);
    zs_broker_t *self = *self_p;
    if (!self) {
        return;
    }
    if (self->tick_timer >= 0) {
        zloop_timer_end(self->loop, self->tick_timer);
    }
    if (self->agents) {
        zloop_reader_end(self->loop, self->agents);
    }
    if (self->control) {
        zloop_reader_end(self->loop, self->control);
    }
    if (self->events) {
        zloop_reader_end(self->loop, self->events);
    }
    s_close(self, &self->agents);
    s_close(self, &self->events);
    s_close(self, &self->control);
    zstr_free(&self->agents_ep);
    zstr_free(&self->events_ep);
    zstr_free(&self->control_ep);
    zhashx_destroy(&self->peers);
    msgpack_sbuffer_destroy(&self->buf);
    zchunk_destroy(&self->held);
    zlistx_destroy(&self->topics);
    free(self);
    *self_p = NULL;
}

const char *
zs_broker_agents_endpoint(zs_broker_t *self)
{
    return self->agents_ep;
}

const char *
zs_broker_events_endpoint(zs_broker_t *self)
{
    return self->events_ep;
}

const char *
zs_broker_control_endpoint(zs_broker_t *self)
{
    return self->control_ep;
}

void
zs_broker_peer_drop(zs_broker_t *self, zs_peer_t **peer_p)
{
    assert(self);
    assert(peer_p);
    if (*peer_p) {
        s_peer_remove(self, *peer_p);
        *peer_p = NULL;
    }
}

const char *
zs_broker_peer_user(const zs_peer_t *peer)
{
    assert(peer);
    return peer->user;
}

const char *
zs_broker_peer_addr(const zs_peer_t *peer)
{
    assert(peer);
    return peer->addr;
}

void *
zs_broker_peer_owner(zs_peer_t *peer)
{
    return peer->owner;
}

void
zs_broker_peer_set_owner(zs_peer_t *peer, void *owner)
{
    peer->owner = owner;
}

zs_msg_type_t
zs_broker_peer_kind(zs_peer_t *peer)
{
    return peer->kind;
}

const zs_broker_stats_t *
zs_broker_stats(zs_broker_t *self)
{
    self->stats.refused = self->auth ? zs_auth_refused(self->auth) : 0;
    return &self->stats;
}
