//  zs_session - see zs_session.h

#include "agent/zs_session.h"
#include "common/zs_curve.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#define ZS_SESSION_LIVE_MAX   100          //  highest live taken from a welcome
#define ZS_SESSION_RECV_BATCH 256          //  messages read per wakeup before yielding
#define ZS_SESSION_LINGER_MS  200          //  lets a last bye out; close never hangs
#define ZS_SESSION_BUF_KEEP   (64u << 10)  //  encode buffer kept between sends, bytes
#define ZS_SESSION_HWM        16384        //  messages queued per direction, see below
#define ZS_SESSION_SHIFT_MAX  4            //  doublings of the retry delay: 2^4 = 16
#define ZS_SESSION_SEED       0x9E3779B97F4A7C15ULL  //  xorshift state if the clock gives 0

_Static_assert(1u << ZS_SESSION_SHIFT_MAX == ZS_SESSION_BACKOFF_MAX,
               "the doublings must reach the cap");

//  Session states. Messages are handled alike in both; what differs is the timer's
//  duty (hello retry, or heartbeat and liveness) and how error NOT_REGISTERED is taken.
typedef enum {
    S_STATE_HELLO,  //  saying hello until a welcome comes
    S_STATE_READY,  //  welcomed: heartbeating, and watching the coordinator's liveness
    S_STATE_COUNT
} s_state_t;

struct _zs_session_t {
    zloop_t *loop;                       //  borrowed: the owner's event loop
    char *endpoint;                      //  owned: coordinator's agents socket
    zs_msg_type_t hello_type;            //  what we say hello with
    zs_msg_type_t welcome_type;          //  what answers it
    zs_session_ops_t ops;                //  the owner's part
    void *ctx;                           //  borrowed: the owner, for ops
    bool debug;                          //  log debug lines
    zsock_t *sock;                       //  owned: DEALER to the coordinator, or NULL
    zcert_t *cert;                       //  owned: our CURVE keys, or NULL
    char server_key[ZS_CURVE_Z85_SIZE];  //  coordinator's key, with cert
    msgpack_sbuffer buf;                 //  encode buffer, reused for every send
    s_state_t state;                     //  session state
    bool welcomed;                       //  a welcome came before: the next renews
    uint64_t hb;                         //  heartbeat interval, ms
    uint64_t live;                       //  heartbeats missed before a peer is dead
    int64_t sent_ms;                     //  last send, zclock_mono
    int64_t heard_ms;                    //  last message received
    int64_t hello_ms;                    //  next hello is due, in S_STATE_HELLO
    unsigned retries;                    //  hello retries so far, to ZS_SESSION_SHIFT_MAX
    int timer;                           //  the session timer, or -1
    uint64_t rng;                        //  xorshift state for the jitter, never 0
    zs_ratelimit_t limit;                //  for logs the coordinator can trigger
    char host[ZS_MSG_NAME_MAX + 1];      //  gethostname, for hello, or ""
};

typedef void(s_recv_fn)(zs_session_t *self, const zs_msg_t *msg);
typedef void(s_tick_fn)(zs_session_t *self, int64_t now);

static void s_reconnect(zs_session_t *self);

//  ---- helpers -------------------------------------------------------------------------

static uint64_t
s_clamp(uint64_t value, uint64_t min, uint64_t max)
{
    return value < min ? min : value > max ? max : value;
}

static uint64_t
s_random(zs_session_t *self)
{
    self->rng ^= self->rng << 13;
    self->rng ^= self->rng >> 7;
    self->rng ^= self->rng << 17;
    return self->rng;
}

//  ---- sending -------------------------------------------------------------------------

//  While disconnected, sends fail by design (ZMQ_IMMEDIATE): hellos are retried and a
//  last bye is a courtesy, so only losing the others is worth a line
static void
s_send_failed(zs_session_t *self, const zs_msg_t *msg)
{
    if (msg->type != self->hello_type && msg->type != ZS_MSG_BYE &&
        zs_session_log_allowed(self)) {
        zsys_warning("cannot send '%s' to '%s': %s", zs_msg_type_name(msg->type),
                     self->endpoint, self->sock ? zmq_strerror(errno) : "no socket");
    }
}

static void
s_send_hello(zs_session_t *self)
{
    zs_msg_t msg;
    zs_msg_init(&msg, self->hello_type);
    msg.host = self->host[0] ? self->host : NULL;
    msg.pid = (uint64_t) getpid();
    self->ops.hello(self->ctx, &msg);
    zs_session_send(self, &msg);
    //  Backoff spares a coordinator that cannot answer, and the jitter spreads the
    //  hellos of many peers that lost the same coordinator
    int64_t delay = zs_session_backoff_ms(self->hb, self->retries, s_random(self));
    self->retries += self->retries < ZS_SESSION_SHIFT_MAX;
    self->hello_ms = zclock_mono() + delay;
}

//  Say hello from the start of the backoff, in the state that waits for the welcome
static void
s_hello_again(zs_session_t *self)
{
    self->state = S_STATE_HELLO;
    self->retries = 0;
    s_send_hello(self);
}

static void
s_send_heartbeat(zs_session_t *self)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_HEARTBEAT);
    msg.load = self->ops.load ? self->ops.load(self->ctx) : 0;
    if (self->ops.usage) {
        self->ops.usage(self->ctx, &msg);
    }
    zs_session_send(self, &msg);
}

//  ---- session timer -------------------------------------------------------------------

static int s_on_tick(zloop_t *loop, int timer_id, void *arg);

//  The timer fires when the next duty is due: a hello retry before the welcome; after
//  it, liveness or a heartbeat, whichever comes first. Sends do not re-arm it (that
//  would cost a timer per task); a tick that finds its duty not yet due simply re-arms.
static void
s_timer_arm(zs_session_t *self)
{
    if (self->timer != -1) {
        zloop_timer_end(self->loop, self->timer);
    }
    int64_t due = self->hello_ms;
    if (self->state == S_STATE_READY) {
        int64_t beat = self->sent_ms + (int64_t) self->hb;
        due = self->heard_ms + (int64_t) (self->hb * self->live);
        due = beat < due ? beat : due;
    }
    int64_t delay = due - zclock_mono();
    self->timer =
        zloop_timer(self->loop, (size_t) (delay > 1 ? delay : 1), 1, s_on_tick, self);
}

static int s_on_socket(zloop_t *loop, zsock_t *reader, void *arg);

//  When this loop stalled (a busy CPU, a long callback), the timer runs before the
//  socket's reader in the round after: read what waits there first, as the
//  coordinator's answer may be in it. True when the session is still in state.
static bool
s_read_waiting(zs_session_t *self, s_state_t state)
{
    if (self->sock && (zsock_events(self->sock) & ZMQ_POLLIN)) {
        s_on_socket(self->loop, self->sock, self);
    }
    return self->state == state;
}

static void
s_tick_hello(zs_session_t *self, int64_t now)
{
    if (now < self->hello_ms || !s_read_waiting(self, S_STATE_HELLO)) {
        return;
    }
    if (!self->sock) {
        s_reconnect(self);  //  opening the socket failed before: try again
    } else {
        s_send_hello(self);
    }
}

static void
s_tick_ready(zs_session_t *self, int64_t now)
{
    bool silent = now - self->heard_ms >= (int64_t) (self->hb * self->live);
    if (silent && !s_read_waiting(self, S_STATE_READY)) {
        return;
    }
    if (now - self->heard_ms >= (int64_t) (self->hb * self->live)) {
        zsys_warning("coordinator at '%s' silent for %" PRIu64 " ms, reconnecting",
                     self->endpoint, self->hb * self->live);
        s_reconnect(self);
    } else if (now - self->sent_ms >= (int64_t) self->hb) {
        s_send_heartbeat(self);
    }
}

static s_tick_fn *const s_tick[S_STATE_COUNT] = {
    [S_STATE_HELLO] = s_tick_hello,
    [S_STATE_READY] = s_tick_ready,
};

static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    zs_session_t *self = arg;
    //  czmq drops an ended timer only after the pass that ended it, so one replaced
    //  by s_timer_arm may still fire once: only the armed one counts
    if (timer_id != self->timer) {
        return 0;
    }
    self->timer = -1;  //  one-shot: zloop drops it after this call
    s_tick[self->state](self, zclock_mono());
    s_timer_arm(self);
    return 0;
}

//  ---- socket --------------------------------------------------------------------------

static void
s_socket_options(zs_session_t *self, zsock_t *sock)
{
    zsock_set_linger(sock, ZS_SESSION_LINGER_MS);
    //  A coordinator keeps at most conc assigns in flight to an agent, so the queues
    //  stay short; but at the default 1000, with 1000 noop tasks in flight, results
    //  failed here with EAGAIN (a writer learns of its peer's reads in batches) and
    //  were lost
    zsock_set_sndhwm(sock, ZS_SESSION_HWM);
    zsock_set_rcvhwm(sock, ZS_SESSION_HWM);
    zsock_set_maxmsgsize(sock, (int) ZS_MSG_FRAME_MAX);
    //  Queue nothing while disconnected: a stale hello queue would flood the next peer
    zsock_set_immediate(sock, 1);
    //  libzmq's reconnects back off as our hellos do, to the same cap
    int cap = (int) (self->hb * ZS_SESSION_BACKOFF_MAX);
    zsock_set_reconnect_ivl_max(sock, cap);
    //  Before a welcome the socket is kept, so a connect whose packets are lost, or a
    //  connection that died half-open, must be given up by libzmq itself (then
    //  retried) rather than wait for the kernel's timeouts, which take minutes
    zsock_set_connect_timeout(sock, cap);
    zsock_set_heartbeat_ivl(sock, cap);
    zsock_set_heartbeat_timeout(sock, cap);
}

//  Open a DEALER to the coordinator. Returns the socket, or NULL with err filled.
static zsock_t *
s_socket_new(zs_session_t *self, zs_error_t *err)
{
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    if (!sock) {
        zs_error_set(err, ZS_SESSION_E_SOCKET, "cannot create a socket: %s",
                     zmq_strerror(errno));
        return NULL;
    }
    s_socket_options(self, sock);
    if (self->cert &&
        zs_curve_apply(zsock_resolve(sock), self->cert, self->server_key) != 0) {
        zs_error_set(err, ZS_SESSION_E_SOCKET, "cannot set CURVE keys: %s",
                     zmq_strerror(errno));
        zsock_destroy(&sock);
        return NULL;
    }
    if (zsock_connect(sock, "%s", self->endpoint) != 0) {
        zs_error_set(err, ZS_SESSION_E_CONNECT, "cannot connect to '%s': %s",
                     self->endpoint, zmq_strerror(errno));
        zsock_destroy(&sock);
        return NULL;
    }
    return sock;
}

static int
s_socket_open(zs_session_t *self, zs_error_t *err)
{
    self->sock = s_socket_new(self, err);
    if (!self->sock) {
        return -1;
    }
    zloop_reader(self->loop, self->sock, s_on_socket, self);
    zloop_reader_set_tolerant(self->loop, self->sock);
    return 0;
}

static void
s_socket_close(zs_session_t *self)
{
    if (self->sock) {
        zloop_reader_end(self->loop, self->sock);
        zsock_destroy(&self->sock);
    }
}

//  Drop the session and its socket, open a new one and say hello again
static void
s_reconnect(zs_session_t *self)
{
    s_socket_close(self);
    zs_error_t err;
    if (s_socket_open(self, &err) != 0) {
        if (zs_session_log_allowed(self)) {
            zsys_error("%s", err.text);
        }
        self->state = S_STATE_HELLO;
        self->hello_ms = zclock_mono() + (int64_t) self->hb;
        return;  //  the next hello retry tries again
    }
    if (self->debug) {
        zsys_debug("new socket to '%s', saying hello", self->endpoint);
    }
    s_hello_again(self);
}

//  ---- messages from the coordinator ---------------------------------------------------

static void
s_recv_welcome(zs_session_t *self, const zs_msg_t *msg)
{
    zs_session_welcome_t kind = self->state == S_STATE_READY ? ZS_SESSION_AGAIN
                                : self->welcomed             ? ZS_SESSION_RENEWED
                                                             : ZS_SESSION_FIRST;
    self->hb = s_clamp(msg->hb, ZS_SESSION_HB_MIN, ZS_SESSION_HB_MAX);
    self->live = s_clamp(msg->live, 1, ZS_SESSION_LIVE_MAX);
    self->state = S_STATE_READY;
    self->welcomed = true;
    self->retries = 0;
    self->ops.welcome(self->ctx, msg, kind);
    s_timer_arm(self);
}

static void
s_recv_heartbeat(zs_session_t *self, const zs_msg_t *msg)
{
    //  Receiving it already counted as a sign of life; the owner may read it too
    zs_session_recv_fn *recv = self->ops.recv ? self->ops.recv[msg->type] : NULL;
    if (recv) {
        recv(self->ctx, msg);
    }
}

static void
s_recv_bye(zs_session_t *self, const zs_msg_t *msg)
{
    //  Before the welcome there is no session to lose: hellos go on as they were
    if (self->state == S_STATE_READY) {
        zsys_notice("coordinator at '%s' said bye, reconnecting", self->endpoint);
        s_reconnect(self);
        s_timer_arm(self);
    }
}

static void
s_forward(zs_session_t *self, const zs_msg_t *msg)
{
    zs_session_recv_fn *recv = self->ops.recv ? self->ops.recv[msg->type] : NULL;
    if (recv) {
        recv(self->ctx, msg);
    } else {
        zs_session_log_unhandled(self, msg);
    }
}

//  An error before the welcome answers our hello: the coordinator refuses us (a name
//  taken, a swarm full...), and the hellos go on
static void
s_refused(zs_session_t *self, const zs_msg_t *msg)
{
    if (zs_session_log_allowed(self)) {
        char why[ZS_MSG_TEXT_MAX];
        zsys_error("coordinator at '%s' refuses our hello (error %" PRIu64
                   "): %s; trying again",
                   self->endpoint, msg->code, zs_sanitize_str(why, sizeof why, msg->why));
    }
}

static void
s_recv_error(zs_session_t *self, const zs_msg_t *msg)
{
    if (msg->code != ZS_ERR_NOT_REGISTERED) {
        if (self->state == S_STATE_READY) {
            s_forward(self, msg);
        } else {
            s_refused(self, msg);
        }
        return;
    }
    //  A restarted coordinator does not know us. Hello once; while waiting for the
    //  welcome, more of these (answers to messages in flight) change nothing
    if (self->state == S_STATE_READY) {
        zsys_notice("coordinator at '%s' does not know us, saying hello", self->endpoint);
        s_hello_again(self);
        s_timer_arm(self);
    }
}

//  What the session consumes; the welcome is looked up apart (its type is configured)
//  and everything else goes to the owner
static s_recv_fn *const s_recv[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_HEARTBEAT] = s_recv_heartbeat,
    [ZS_MSG_BYE] = s_recv_bye,
    [ZS_MSG_ERROR] = s_recv_error,
};

static void
s_on_frame(zs_session_t *self, const void *data, size_t size)
{
    zs_msg_t msg;
    zs_error_t err;
    if (zs_msg_decode(&msg, data, size, &err) != 0) {
        if (zs_session_log_allowed(self)) {
            zsys_warning("bad message from '%s': %s", self->endpoint, err.text);
        }
        return;
    }
    s_recv_fn *recv = msg.type == self->welcome_type ? s_recv_welcome : s_recv[msg.type];
    if (recv) {
        recv(self, &msg);
    } else {
        s_forward(self, &msg);
    }
    zs_msg_fini(&msg);
}

//  Skip the rest of a multipart message: the coordinator sends one frame per message
static void
s_skip_parts(zs_session_t *self, zmq_msg_t *frame, void *handle)
{
    while (zmq_msg_more(frame) && zmq_msg_recv(frame, handle, ZMQ_DONTWAIT) >= 0) {
    }
    if (zs_session_log_allowed(self)) {
        zsys_warning("bad message from '%s': more than one frame", self->endpoint);
    }
}

static int
s_on_socket(zloop_t *loop, zsock_t *reader, void *arg)
{
    zs_session_t *self = arg;
    //  `reader` may be a socket replaced earlier in this loop round: read self->sock
    zsock_t *sock = self->sock;
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    for (int i = 0; i < ZS_SESSION_RECV_BATCH && sock && self->sock == sock; i++) {
        void *handle = zsock_resolve(sock);
        if (zmq_msg_recv(&frame, handle, ZMQ_DONTWAIT) < 0) {
            break;
        }
        if (i == 0) {
            self->heard_ms = zclock_mono();
        }
        if (zmq_msg_more(&frame)) {
            s_skip_parts(self, &frame, handle);
            continue;
        }
        s_on_frame(self, zmq_msg_data(&frame), zmq_msg_size(&frame));
    }
    zmq_msg_close(&frame);
    return 0;
}

//  ---- lifecycle -----------------------------------------------------------------------

//  Our certificate and the coordinator's key, read once: every reconnect reuses them
static int
s_curve_init(zs_session_t *self, const zs_session_config_t *config, zs_error_t *err)
{
    self->cert = zs_curve_load_secret(config->cert, err);
    if (!self->cert || zs_curve_server_key(config->server_key, self->server_key, err)) {
        err->code = ZS_SESSION_E_CERT;
        return -1;
    }
    return 0;
}

zs_session_t *
zs_session_new(zloop_t *loop,
               const zs_session_config_t *config,
               const zs_session_ops_t *ops,
               void *ctx,
               zs_error_t *err)
{
    assert(loop);
    assert(config);
    assert(config->endpoint);
    assert(ops);
    assert(ops->hello);
    assert(ops->welcome);
    assert(err);
    zs_session_t *self = zs_calloc(1, sizeof *self);
    self->loop = loop;
    self->endpoint = zs_strdup(config->endpoint);
    self->hello_type = config->hello_type;
    self->welcome_type = config->welcome_type;
    self->ops = *ops;
    self->ctx = ctx;
    self->debug = config->debug;
    msgpack_sbuffer_init(&self->buf);
    self->hb = ZS_SESSION_HB_DEFAULT;
    self->live = ZS_SESSION_LIVE_DEFAULT;
    self->timer = -1;
    self->rng = ((uint64_t) getpid() << 32) ^ (uint64_t) zclock_usecs();
    self->rng = self->rng ? self->rng : ZS_SESSION_SEED;
    //  The last byte, which gethostname is not given, stays 0 and ends a long name
    if (gethostname(self->host, sizeof self->host - 1) != 0) {
        self->host[0] = '\0';
    }
    if ((config->cert && s_curve_init(self, config, err) != 0) ||
        s_socket_open(self, err) != 0) {
        zs_session_destroy(&self);
        return NULL;
    }
    return self;
}

void
zs_session_destroy(zs_session_t **self_p)
{
    assert(self_p);
    zs_session_t *self = *self_p;
    if (self) {
        if (self->timer != -1) {
            zloop_timer_end(self->loop, self->timer);
        }
        s_socket_close(self);
        zcert_destroy(&self->cert);
        msgpack_sbuffer_destroy(&self->buf);
        free(self->endpoint);
        free(self);
        *self_p = NULL;
    }
}

void
zs_session_start(zs_session_t *self)
{
    assert(self);
    self->heard_ms = zclock_mono();
    s_hello_again(self);
    s_timer_arm(self);
}

int
zs_session_send(zs_session_t *self, const zs_msg_t *msg)
{
    assert(self);
    assert(msg);
    int rc = -1;
    if (self->sock) {
        rc = zs_msg_send(msg, zsock_resolve(self->sock), NULL, 0, ZMQ_DONTWAIT,
                         &self->buf);
    }
    if (rc == 0) {
        self->sent_ms = zclock_mono();
    } else {
        s_send_failed(self, msg);
    }
    //  A big result grew the buffer: give the memory back rather than keep it idle
    if (self->buf.alloc > ZS_SESSION_BUF_KEEP) {
        msgpack_sbuffer_destroy(&self->buf);
        msgpack_sbuffer_init(&self->buf);
    }
    return rc;
}

void
zs_session_bye(zs_session_t *self, const char *why)
{
    assert(self);
    zs_msg_t bye;
    zs_msg_init(&bye, ZS_MSG_BYE);
    bye.why = why;
    zs_session_send(self, &bye);
}

bool
zs_session_ready(zs_session_t *self)
{
    assert(self);
    return self->state == S_STATE_READY;
}

uint64_t
zs_session_hb(zs_session_t *self)
{
    assert(self);
    return self->hb;
}

const char *
zs_session_endpoint(zs_session_t *self)
{
    assert(self);
    return self->endpoint;
}

const char *
zs_session_server_key(zs_session_t *self)
{
    assert(self);
    return self->cert ? self->server_key : NULL;
}

zcert_t *
zs_session_cert(zs_session_t *self)
{
    assert(self);
    return self->cert;
}

bool
zs_session_log_allowed(zs_session_t *self)
{
    assert(self);
    uint64_t suppressed = 0;
    bool allowed = zs_ratelimit_allow(&self->limit, &suppressed);
    if (allowed && suppressed) {
        zsys_warning("%" PRIu64 " similar messages suppressed", suppressed);
    }
    return allowed;
}

void
zs_session_log_unhandled(zs_session_t *self, const zs_msg_t *msg)
{
    assert(self);
    assert(msg);
    if (!zs_session_log_allowed(self)) {
        return;
    }
    if (msg->type != ZS_MSG_ERROR) {
        zsys_warning("unexpected '%s' from '%s'", zs_msg_type_name(msg->type),
                     self->endpoint);
        return;
    }
    char task[ZS_MSG_NAME_MAX * 4 + 1], why[ZS_MSG_TEXT_MAX];
    zsys_warning("coordinator at '%s' reports error %" PRIu64 "%s%s%s: %s",
                 self->endpoint, msg->code, msg->task ? " (task '" : "",
                 msg->task ? zs_sanitize_str(task, sizeof task, msg->task) : "",
                 msg->task ? "')" : "", zs_sanitize_str(why, sizeof why, msg->why));
}

int64_t
zs_session_backoff_ms(uint64_t hb, unsigned retry, uint64_t random)
{
    assert(hb <= ZS_SESSION_HB_MAX);
    unsigned shift = retry < ZS_SESSION_SHIFT_MAX ? retry : ZS_SESSION_SHIFT_MAX;
    int64_t base = (int64_t) (hb << shift);
    int64_t spread = base * ZS_SESSION_JITTER_PCT / 100;
    int64_t delay = base - spread + (int64_t) (random % (uint64_t) (2 * spread + 1));
    return delay > 1 ? delay : 1;
}
