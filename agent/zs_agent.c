//  zs_agent - see zs_agent.h

#include "zs_agent.h"
#include "zs_builtin.h"
#include "zs_curve.h"
#include "zs_exec.h"
#include "zs_proc.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef ZS_VERSION
#define ZS_VERSION "unknown"  //  meson passes the project's version
#endif

#define ZS_AGENT_HB_DEFAULT   250          //  hello retry before the first welcome, ms
#define ZS_AGENT_LIVE_DEFAULT 4            //  liveness before the first welcome
#define ZS_AGENT_HB_MIN       10           //  lowest hb taken from a welcome, ms
#define ZS_AGENT_HB_MAX       600000       //  highest hb taken from a welcome, ms
#define ZS_AGENT_LIVE_MAX     100          //  highest live taken from a welcome
#define ZS_AGENT_RECV_BATCH   256          //  messages read per wakeup before yielding
#define ZS_AGENT_LINGER_MS    200          //  lets a last bye out; close never hangs
#define ZS_AGENT_BUF_KEEP     (64u << 10)  //  encode buffer kept between sends, bytes
#define ZS_AGENT_JITTER_PCT   25           //  hello retry varies by this much, ±%
#define ZS_AGENT_HWM          16384        //  messages queued per direction, see below

//  Session states. Messages are handled alike in both; what differs is the timer's
//  next duty (hello retry or heartbeat) and how error NOT_REGISTERED is taken.
typedef enum {
    S_STATE_HELLO,  //  saying hello until a welcome comes
    S_STATE_READY,  //  welcomed: heartbeating and running tasks
} s_state_t;

//  The handlers an agent can run tasks with; welcome.handler picks one by name
static const zs_handler_ops_t *const s_handlers[] = {&zs_builtin_ops, &zs_exec_ops};
#define S_HANDLER_COUNT (sizeof s_handlers / sizeof s_handlers[0])

struct _zs_agent_t {
    char *endpoint;                          //  owned: coordinator's agents socket
    char *atype;                             //  owned: agent type
    char *id;                                //  owned: id to ask for, or NULL
    uint64_t conc_asked;                     //  hello's conc, 0 for none
    pid_t parent;                            //  stop when it stops being our parent
    int signal_fd;                           //  borrowed signalfd, or -1
    bool debug;                              //  log debug lines
    zloop_t *loop;                           //  owned: the one event loop
    zsock_t *sock;                           //  owned: DEALER to the coordinator
    zcert_t *cert;                           //  owned: our CURVE keys, or NULL
    char server_key[ZS_CURVE_Z85_SIZE];      //  coordinator's key, with cert
    msgpack_sbuffer buf;                     //  encode buffer, reused for every send
    void *handlers[S_HANDLER_COUNT];         //  owned: one instance per s_handlers
    int active;                              //  welcome's handler in s_handlers, or -1
    char handler_name[ZS_MSG_NAME_MAX + 1];  //  welcome's handler name, "" before
    s_state_t state;                         //  session state
    char agent[ZS_MSG_NAME_MAX + 1];         //  id the coordinator knows us by
    char host[ZS_MSG_NAME_MAX + 1];          //  gethostname, for hello
    uint64_t hb;                             //  heartbeat interval, ms
    uint64_t live;                           //  heartbeats missed before a peer is dead
    uint64_t conc;                           //  task attempts at once
    int64_t sent_ms;                         //  last send, zs_clock_ms
    int64_t heard_ms;                        //  last message received or new socket
    int64_t hello_ms;                        //  next hello is due, in S_STATE_HELLO
    int timer;                               //  the session timer, or -1
    uint64_t rng;                            //  xorshift state for the jitter
    bool stopping;                           //  a stop was asked: the loop ends
    const char *stop_why;                    //  why, for bye
    zs_ratelimit_t limit;                    //  for logs the coordinator can trigger
};

typedef void(s_recv_fn)(zs_agent_t *self, const zs_msg_t *msg);
typedef void(s_signal_fn)(zs_agent_t *self, int signo);

static void s_reconnect(zs_agent_t *self);

//  ---- helpers -------------------------------------------------------------------------

static bool
s_log_allowed(zs_agent_t *self)
{
    uint64_t suppressed = 0;
    bool allowed = zs_ratelimit_allow(&self->limit, &suppressed);
    if (allowed && suppressed) {
        zsys_warning("%" PRIu64 " similar messages suppressed", suppressed);
    }
    return allowed;
}

//  Peer text goes to the log only as a printable, bounded sample
static const char *
s_sample(char *dest, size_t size, const char *text)
{
    zs_sanitize(dest, size, text, text ? strlen(text) : 0);
    return dest;
}

static uint64_t
s_clamp(uint64_t value, uint64_t min, uint64_t max)
{
    return value < min ? min : value > max ? max : value;
}

static uint64_t
s_random(zs_agent_t *self)
{
    self->rng ^= self->rng << 13;
    self->rng ^= self->rng >> 7;
    self->rng ^= self->rng << 17;
    return self->rng;
}

static size_t
s_running(zs_agent_t *self)
{
    size_t running = 0;
    for (size_t i = 0; i < S_HANDLER_COUNT; i++) {
        running += s_handlers[i]->running(self->handlers[i]);
    }
    return running;
}

//  ---- sending -------------------------------------------------------------------------

static int
s_send(zs_agent_t *self, const zs_msg_t *msg)
{
    int rc = -1;
    if (self->sock) {
        rc = zs_msg_send(msg, zsock_resolve(self->sock), NULL, 0, ZMQ_DONTWAIT,
                         &self->buf);
    }
    if (rc == 0) {
        self->sent_ms = zs_clock_ms();
    }
    //  While disconnected, sends fail by design (ZMQ_IMMEDIATE): hellos are retried
    //  and a last bye is a courtesy, so only losing the others is worth a line
    else if (msg->type != ZS_MSG_HELLO && msg->type != ZS_MSG_BYE &&
             s_log_allowed(self)) {
        zsys_warning("cannot send '%s' to '%s': %s", zs_msg_type_name(msg->type),
                     self->endpoint, self->sock ? zmq_strerror(errno) : "no socket");
    }
    //  A big result grew the buffer: give the memory back rather than keep it idle
    if (self->buf.alloc > ZS_AGENT_BUF_KEEP) {
        msgpack_sbuffer_destroy(&self->buf);
        msgpack_sbuffer_init(&self->buf);
    }
    return rc;
}

static void
s_send_hello(zs_agent_t *self)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_HELLO);
    msg.atype = self->atype;
    msg.agent = self->id;
    msg.conc = self->conc_asked;
    msg.host = self->host[0] ? self->host : NULL;
    msg.pid = (uint64_t) getpid();
    s_send(self, &msg);
    //  Jitter spreads the hellos of many agents that lost the same coordinator
    uint64_t spread = self->hb * ZS_AGENT_JITTER_PCT * 2 / 100;
    uint64_t delay = self->hb - self->hb * ZS_AGENT_JITTER_PCT / 100;
    delay += spread ? s_random(self) % (spread + 1) : 0;
    self->hello_ms = zs_clock_ms() + (int64_t) delay;
}

static void
s_send_heartbeat(zs_agent_t *self)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_HEARTBEAT);
    msg.load = s_running(self);
    s_send(self, &msg);
}

//  An assign that cannot start: status "fail", or "busy" when no slot is free, which
//  the coordinator does not count as an attempt
static void
s_send_refusal(zs_agent_t *self,
               const zs_msg_t *assign,
               const char *status,
               const char *why)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_TASK_RESULT);
    msg.task = assign->task;
    msg.att = assign->att;
    msg.status = status;
    msg.why = why;
    s_send(self, &msg);
}

//  The handlers' sink: what they report goes to the coordinator as is
static void
s_on_started(void *owner, const char *task, uint64_t att)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_TASK_ACK);
    msg.task = task;
    msg.att = att;
    s_send(owner, &msg);
}

static void
s_on_finished(void *owner, const zs_msg_t *result)
{
    s_send(owner, result);
}

//  ---- session timer -------------------------------------------------------------------

static int s_on_tick(zloop_t *loop, int timer_id, void *arg);

//  The timer fires when the next duty is due: liveness always, and a hello retry or
//  a heartbeat depending on the state. Sends do not re-arm it (that would cost a
//  timer per task); a tick that finds its duty not yet due simply re-arms.
static void
s_timer_arm(zs_agent_t *self)
{
    if (self->timer != -1) {
        zloop_timer_end(self->loop, self->timer);
    }
    int64_t due = self->heard_ms + (int64_t) (self->hb * self->live);
    int64_t duty = self->state == S_STATE_HELLO ? self->hello_ms
                                                : self->sent_ms + (int64_t) self->hb;
    due = duty < due ? duty : due;
    int64_t delay = due - zs_clock_ms();
    self->timer =
        zloop_timer(self->loop, (size_t) (delay > 1 ? delay : 1), 1, s_on_tick, self);
}

static void
s_stop(zs_agent_t *self, const char *why)
{
    if (!self->stopping) {
        zsys_info("stopping: %s", why);
        self->stopping = true;
        self->stop_why = why;
    }
}

static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    zs_agent_t *self = arg;
    self->timer = -1;  //  one-shot: zloop drops it after this call
    int64_t now = zs_clock_ms();
    if (self->parent && getppid() != self->parent) {
        s_stop(self, "parent process is gone");
        return -1;
    }
    if (now - self->heard_ms >= (int64_t) (self->hb * self->live)) {
        if (self->state == S_STATE_READY) {
            zsys_warning("coordinator at '%s' silent for %" PRIu64 " ms, reconnecting",
                         self->endpoint, self->hb * self->live);
        }
        s_reconnect(self);
    } else if (self->state == S_STATE_HELLO && now >= self->hello_ms) {
        s_send_hello(self);
    } else if (self->state == S_STATE_READY &&
               now - self->sent_ms >= (int64_t) self->hb) {
        s_send_heartbeat(self);
    }
    s_timer_arm(self);
    return 0;
}

//  ---- socket --------------------------------------------------------------------------

static int s_on_socket(zloop_t *loop, zsock_t *reader, void *arg);

//  Open a DEALER to the coordinator. Returns the socket, or NULL with err filled.
static zsock_t *
s_socket_new(zs_agent_t *self, zs_error_t *err)
{
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    if (!sock) {
        zs_error_set(err, ZS_AGENT_E_SOCKET, "cannot create a socket: %s",
                     zmq_strerror(errno));
        return NULL;
    }
    zsock_set_linger(sock, ZS_AGENT_LINGER_MS);
    //  A coordinator keeps at most conc assigns in flight to us, so the queues stay
    //  short; but at the default 1000, with 1000 noop tasks in flight, results failed
    //  here with EAGAIN (a writer learns of its peer's reads in batches) and were lost
    zsock_set_sndhwm(sock, ZS_AGENT_HWM);
    zsock_set_rcvhwm(sock, ZS_AGENT_HWM);
    zsock_set_maxmsgsize(sock, (int) ZS_MSG_FRAME_MAX);
    //  Queue nothing while disconnected: a stale hello queue would flood the next peer
    zsock_set_immediate(sock, 1);
    if (self->cert &&
        zs_curve_apply(zsock_resolve(sock), self->cert, self->server_key) != 0) {
        zs_error_set(err, ZS_AGENT_E_SOCKET, "cannot set CURVE keys: %s",
                     zmq_strerror(errno));
        zsock_destroy(&sock);
        return NULL;
    }
    if (zsock_connect(sock, "%s", self->endpoint) != 0) {
        zs_error_set(err, ZS_AGENT_E_CONNECT, "cannot connect to '%s': %s",
                     self->endpoint, zmq_strerror(errno));
        zsock_destroy(&sock);
        return NULL;
    }
    return sock;
}

static void
s_socket_close(zs_agent_t *self)
{
    if (self->sock) {
        zloop_reader_end(self->loop, self->sock);
        zsock_destroy(&self->sock);
    }
}

//  Drop the session and its socket, open a new one and say hello again
static void
s_reconnect(zs_agent_t *self)
{
    s_socket_close(self);
    self->state = S_STATE_HELLO;
    self->heard_ms = zs_clock_ms();  //  the new socket gets a full liveness period
    zs_error_t err;
    self->sock = s_socket_new(self, &err);
    if (!self->sock) {
        if (s_log_allowed(self)) {
            zsys_error("%s", err.text);
        }
        self->hello_ms = self->heard_ms + (int64_t) self->hb;
        return;  //  the next liveness expiry tries again
    }
    zloop_reader(self->loop, self->sock, s_on_socket, self);
    zloop_reader_set_tolerant(self->loop, self->sock);
    if (self->debug) {
        zsys_debug("new socket to '%s', saying hello", self->endpoint);
    }
    s_send_hello(self);
}

//  ---- messages from the coordinator ---------------------------------------------------

static void
s_handler_select(zs_agent_t *self, const zs_msg_t *welcome)
{
    s_sample(self->handler_name, sizeof self->handler_name, welcome->handler);
    self->active = -1;
    for (size_t i = 0; i < S_HANDLER_COUNT; i++) {
        if (streq(s_handlers[i]->name, welcome->handler)) {
            self->active = (int) i;
        }
    }
    if (self->active < 0) {
        if (s_log_allowed(self)) {
            zsys_error("coordinator at '%s' names unknown handler '%s': tasks will fail",
                       self->endpoint, self->handler_name);
        }
        return;
    }
    if (s_handlers[self->active]->configure) {
        s_handlers[self->active]->configure(self->handlers[self->active], welcome);
    }
}

static void
s_recv_welcome(zs_agent_t *self, const zs_msg_t *msg)
{
    //  A new session after a lost one: the coordinator has already retried (or, if it
    //  restarted, will re-run from its journal) whatever we still run, and their
    //  results would be dropped; the slots are better freed at once
    size_t orphans = self->agent[0] && self->state == S_STATE_HELLO ? s_running(self) : 0;
    if (orphans > 0) {
        zsys_notice("new session with '%s': stopping %zu attempts of the old one",
                    self->endpoint, orphans);
        for (size_t i = 0; i < S_HANDLER_COUNT; i++) {
            s_handlers[i]->kill_all(self->handlers[i]);
        }
    }
    s_sample(self->agent, sizeof self->agent, msg->agent);
    self->hb = s_clamp(msg->hb, ZS_AGENT_HB_MIN, ZS_AGENT_HB_MAX);
    self->live = s_clamp(msg->live, 1, ZS_AGENT_LIVE_MAX);
    uint64_t conc = msg->conc ? msg->conc : self->conc_asked ? self->conc_asked : 1;
    self->conc = s_clamp(conc, 1, ZS_AGENT_CONC_MAX);
    s_handler_select(self, msg);
    if (self->state == S_STATE_HELLO) {
        zsys_info("registered with '%s' as '%s' (handler '%s', concurrency %" PRIu64
                  ", heartbeat %" PRIu64 " ms)",
                  self->endpoint, self->agent, self->handler_name, self->conc, self->hb);
    }
    self->state = S_STATE_READY;
    s_timer_arm(self);
}

static void
s_recv_heartbeat(zs_agent_t *self, const zs_msg_t *msg)
{
    //  Receiving it already counted as a sign of life
}

static void
s_recv_bye(zs_agent_t *self, const zs_msg_t *msg)
{
    zsys_notice("coordinator at '%s' said bye, reconnecting", self->endpoint);
    s_reconnect(self);
    s_timer_arm(self);
}

static void
s_recv_error(zs_agent_t *self, const zs_msg_t *msg)
{
    if (msg->code == ZS_ERR_NOT_REGISTERED) {
        //  A restarted coordinator does not know us. Hello once; while waiting for
        //  the welcome, more of these (answers to results in flight) change nothing
        if (self->state == S_STATE_READY) {
            zsys_notice("coordinator at '%s' does not know agent '%s', saying hello",
                        self->endpoint, self->agent);
            self->state = S_STATE_HELLO;
            s_send_hello(self);
            s_timer_arm(self);
        }
        return;
    }
    if (s_log_allowed(self)) {
        char why[ZS_MSG_TEXT_MAX], task[ZS_MSG_NAME_MAX * 4 + 1];
        zsys_warning("coordinator at '%s' reports error %" PRIu64 " (task '%s'): %s",
                     self->endpoint, msg->code, s_sample(task, sizeof task, msg->task),
                     s_sample(why, sizeof why, msg->why));
    }
}

static void
s_recv_assign(zs_agent_t *self, const zs_msg_t *msg)
{
    if (s_running(self) >= self->conc) {
        s_send_refusal(self, msg, "busy", "agent busy");
    } else if (self->active < 0) {
        char why[ZS_MSG_TEXT_MAX];
        snprintf(why, sizeof why, "agent has no handler named '%s'", self->handler_name);
        s_send_refusal(self, msg, "fail",
                       self->handler_name[0] ? why : "agent not registered");
    } else {
        s_handlers[self->active]->start(self->handlers[self->active], msg);
    }
}

static void
s_recv_cancel(zs_agent_t *self, const zs_msg_t *msg)
{
    for (size_t i = 0; i < S_HANDLER_COUNT; i++) {
        if (s_handlers[i]->cancel(self->handlers[i], msg->task, msg->att) == 0) {
            return;
        }
    }
    //  It finished already: its result is on the way
    if (self->debug) {
        char task[ZS_MSG_NAME_MAX * 4 + 1];
        zsys_debug("no running attempt %" PRIu64 " of task '%s' to cancel", msg->att,
                   s_sample(task, sizeof task, msg->task));
    }
}

//  What the agent does with each message type; the rest are not for agents
static s_recv_fn *const s_recv[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_WELCOME] = s_recv_welcome,
    [ZS_MSG_HEARTBEAT] = s_recv_heartbeat,
    [ZS_MSG_BYE] = s_recv_bye,
    [ZS_MSG_ERROR] = s_recv_error,
    [ZS_MSG_TASK_ASSIGN] = s_recv_assign,
    [ZS_MSG_TASK_CANCEL] = s_recv_cancel,
};

static void
s_on_frame(zs_agent_t *self, const void *data, size_t size)
{
    zs_msg_t msg;
    zs_error_t err;
    if (zs_msg_decode(&msg, data, size, &err) != 0) {
        if (s_log_allowed(self)) {
            zsys_warning("bad message from '%s': %s", self->endpoint, err.text);
        }
        return;
    }
    s_recv_fn *recv = s_recv[msg.type];
    if (recv) {
        recv(self, &msg);
    } else if (s_log_allowed(self)) {
        zsys_warning("unexpected '%s' from '%s'", zs_msg_type_name(msg.type),
                     self->endpoint);
    }
    zs_msg_fini(&msg);
}

//  Skip the rest of a multipart message: the coordinator sends one frame per message
static void
s_skip_parts(zs_agent_t *self, zmq_msg_t *frame, void *handle)
{
    while (zmq_msg_more(frame) && zmq_msg_recv(frame, handle, ZMQ_DONTWAIT) >= 0) {
    }
    if (s_log_allowed(self)) {
        zsys_warning("bad message from '%s': more than one frame", self->endpoint);
    }
}

static int
s_on_socket(zloop_t *loop, zsock_t *reader, void *arg)
{
    zs_agent_t *self = arg;
    //  `reader` may be a socket replaced earlier in this loop round: read self->sock
    zsock_t *sock = self->sock;
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    for (int i = 0; i < ZS_AGENT_RECV_BATCH && sock && self->sock == sock; i++) {
        void *handle = zsock_resolve(sock);
        if (zmq_msg_recv(&frame, handle, ZMQ_DONTWAIT) < 0) {
            break;
        }
        if (i == 0) {
            self->heard_ms = zs_clock_ms();
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

//  ---- signals -------------------------------------------------------------------------

static void
s_on_sigchld(zs_agent_t *self, int signo)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < S_HANDLER_COUNT; i++) {
            if (s_handlers[i]->reaped &&
                s_handlers[i]->reaped(self->handlers[i], pid, status)) {
                break;
            }
        }
    }
}

static void
s_on_stop_signal(zs_agent_t *self, int signo)
{
    s_stop(self, signo == SIGINT ? "interrupted" : "terminated");
}

static const struct {
    int signo;        //  signal taken by zs_proc_signals_take
    s_signal_fn *fn;  //  what it does
} s_signals[] = {
    {SIGCHLD, s_on_sigchld},
    {SIGTERM, s_on_stop_signal},
    {SIGINT, s_on_stop_signal},
    //  Its default action ends the process; we end it cleanly instead
    {SIGHUP, s_on_stop_signal},
};

static int
s_on_signal(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    zs_agent_t *self = arg;
    int signo;
    while ((signo = zs_proc_signal_read(self->signal_fd)) != 0) {
        for (size_t i = 0; i < sizeof s_signals / sizeof s_signals[0]; i++) {
            if (s_signals[i].signo == signo) {
                s_signals[i].fn(self, signo);
            }
        }
    }
    return self->stopping ? -1 : 0;
}

//  ---- lifecycle -----------------------------------------------------------------------

static void
s_identity_init(zs_agent_t *self, const zs_agent_config_t *config)
{
    self->endpoint = zs_strdup(config->endpoint);
    self->atype = zs_strdup(config->atype);
    self->id = config->id ? zs_strdup(config->id) : NULL;
    self->conc_asked = config->conc;
    self->parent = config->parent;
    self->signal_fd = config->signal_fd;
    self->debug = config->debug;
    if (gethostname(self->host, sizeof self->host - 1) != 0) {
        self->host[0] = '\0';
    }
    self->host[sizeof self->host - 1] = '\0';
    self->hb = ZS_AGENT_HB_DEFAULT;
    self->live = ZS_AGENT_LIVE_DEFAULT;
    self->conc = config->conc ? config->conc : 1;
    self->active = -1;
    self->timer = -1;
    self->rng = ((uint64_t) getpid() << 32) ^ (uint64_t) zs_clock_us() ^ 1;
}

//  Our certificate and the coordinator's key, read once: every reconnect reuses them
static int
s_curve_init(zs_agent_t *self, const zs_agent_config_t *config, zs_error_t *err)
{
    self->cert = zs_curve_load_secret(config->cert, err);
    if (!self->cert || zs_curve_server_key(config->server_key, self->server_key, err)) {
        err->code = ZS_AGENT_E_CERT;
        return -1;
    }
    return 0;
}

zs_agent_t *
zs_agent_new(const zs_agent_config_t *config, zs_error_t *err)
{
    assert(config);
    assert(config->endpoint);
    assert(config->atype);
    zs_agent_t *self = zs_calloc(1, sizeof *self);
    s_identity_init(self, config);
    msgpack_sbuffer_init(&self->buf);
    self->loop = zloop_new();  //  czmq aborts on OOM: never NULL
    zs_handler_sink_t sink = {self, s_on_started, s_on_finished};
    for (size_t i = 0; i < S_HANDLER_COUNT; i++) {
        self->handlers[i] = s_handlers[i]->instance_new(self->loop, &sink);
    }
    if (config->cert && s_curve_init(self, config, err) != 0) {
        zs_agent_destroy(&self);
        return NULL;
    }
    self->sock = s_socket_new(self, err);
    if (!self->sock) {
        zs_agent_destroy(&self);
        return NULL;
    }
    zloop_reader(self->loop, self->sock, s_on_socket, self);
    zloop_reader_set_tolerant(self->loop, self->sock);
    if (self->signal_fd >= 0) {
        zmq_pollitem_t item = {NULL, self->signal_fd, ZMQ_POLLIN, 0};
        zloop_poller(self->loop, &item, s_on_signal, self);
    }
    //  Orphans of our tasks come to us and are reaped with the rest, not left as
    //  zombies for an init that may not reap (containers)
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    return self;
}

void
zs_agent_destroy(zs_agent_t **self_p)
{
    assert(self_p);
    zs_agent_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < S_HANDLER_COUNT; i++) {
            if (self->handlers[i]) {
                s_handlers[i]->instance_destroy(&self->handlers[i]);
            }
        }
        s_socket_close(self);
        zcert_destroy(&self->cert);
        zloop_destroy(&self->loop);
        msgpack_sbuffer_destroy(&self->buf);
        free(self->endpoint);
        free(self->atype);
        free(self->id);
        free(self);
        *self_p = NULL;
    }
}

int
zs_agent_run(zs_agent_t *self)
{
    assert(self);
    zsys_info("connecting to '%s' as type '%s'", self->endpoint, self->atype);
    self->heard_ms = zs_clock_ms();
    s_send_hello(self);
    s_timer_arm(self);
    zloop_start(self->loop);
    if (!self->stopping) {
        zsys_error("event loop failed: %s", zmq_strerror(errno));
    }
    zs_msg_t bye;
    zs_msg_init(&bye, ZS_MSG_BYE);
    bye.why = self->stop_why;
    s_send(self, &bye);
    for (size_t i = 0; i < S_HANDLER_COUNT; i++) {
        s_handlers[i]->kill_all(self->handlers[i]);
    }
    return self->stopping ? 0 : -1;
}

bool
zs_agent_name_valid(const char *name)
{
    size_t size = strlen(name);
    return size >= 1 && size <= ZS_MSG_NAME_MAX &&
           strspn(name,
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") ==
               size;
}

const char *
zs_agent_version(void)
{
    return ZS_VERSION;
}
