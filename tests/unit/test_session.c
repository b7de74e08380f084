//  test_session - the session with a coordinator: hello backoff, and the session against
//  a ROUTER played by the test
//
//  The backoff cases call the pure zs_session_backoff_ms. The others run a zs_session in
//  a zloop against a ROUTER bound on tcp://127.0.0.1:* in the same loop, which answers
//  as a coordinator would when the case says so. Every wait is bounded by a generous
//  deadline; no case asserts on timing beyond that.

#include "agent/zs_session.h"
#include "tests/unit/zs_test.h"

#include <unistd.h>

#define S_TICK_MS  5     //  how often a wait checks its condition
#define S_DEADLINE 8000  //  generous bound on any wait, ms
#define S_HB_MS    50    //  the heartbeat interval the test's welcomes give
#define S_LIVE     3     //  and the liveness
#define S_LOAD     7     //  what the owner reports as its load
#define S_ID_MAX   16    //  bytes of a ROUTER identity kept

typedef struct s_env_t s_env_t;
typedef bool(s_until_fn)(s_env_t *env);

struct s_env_t {
    zloop_t *loop;               //  owned
    zsock_t *router;             //  owned: the coordinator's side
    zs_session_t *session;       //  owned
    char endpoint[64];           //  where the router is bound
    size_t hellos;               //  node.hello received
    uint64_t hello_pid;          //  the last hello's pid
    bool hello_host;             //  the last hello named a host
    size_t heartbeats;           //  heartbeats received
    uint64_t load;               //  the last heartbeat's load
    uint8_t id[S_ID_MAX];        //  the last sender's identity
    size_t id_size;              //  its bytes
    size_t identities;           //  times the sender's identity changed
    int welcomes[4];             //  welcome callbacks, by zs_session_welcome_t
    size_t messages;             //  messages given to the owner
    zs_msg_type_t last_message;  //  the type of the last one
    size_t hellos_before;        //  for a condition: hellos when the wait began
    size_t heartbeats_before;    //  for a condition: heartbeats when the wait began
    bool mute;                   //  the coordinator stops answering heartbeats
    int64_t deadline_ms;         //  when the current wait gives up
    s_until_fn *until;           //  the current wait's condition, or NULL
};

//  ---------------------------------------------------------------------------------------
//  The owner's part

static void
s_on_hello(void *ctx, zs_msg_t *hello)
{
    hello->node = "n1";
    hello->slots = 4;
}

static void
s_on_welcome(void *ctx, const zs_msg_t *welcome, zs_session_welcome_t kind)
{
    s_env_t *env = ctx;
    env->welcomes[kind]++;
}

static void
s_on_message(void *ctx, const zs_msg_t *msg)
{
    s_env_t *env = ctx;
    env->messages++;
    env->last_message = msg->type;
}

static uint64_t
s_on_load(void *ctx)
{
    return S_LOAD;
}

//  The types the owner takes; the session logs any other as unexpected
static zs_session_recv_fn *const s_recv[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_ERROR] = s_on_message,
    [ZS_MSG_NODE_SPAWN] = s_on_message,
};

static const zs_session_ops_t s_ops = {s_on_hello, s_on_welcome, s_recv, s_on_load, NULL};

//  ---------------------------------------------------------------------------------------
//  The coordinator's part

//  Send msg to the last sender
static bool
s_reply(s_env_t *env, const zs_msg_t *msg)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    int rc = zs_msg_send(msg, zsock_resolve(env->router), env->id, env->id_size, 0, &buf);
    msgpack_sbuffer_destroy(&buf);
    return rc == 0;
}

static void
s_record(s_env_t *env, zmq_msg_t *id, const zs_msg_t *msg)
{
    size_t size = zmq_msg_size(id) < S_ID_MAX ? zmq_msg_size(id) : S_ID_MAX;
    if (size != env->id_size || memcmp(env->id, zmq_msg_data(id), size) != 0) {
        env->identities++;
        memcpy(env->id, zmq_msg_data(id), size);
        env->id_size = size;
    }
    if (msg->type == ZS_MSG_NODE_HELLO) {
        env->hellos++;
        env->hello_pid = msg->pid;
        env->hello_host = msg->host != NULL;
    }
    if (msg->type == ZS_MSG_HEARTBEAT) {
        env->heartbeats++;
        env->load = msg->load;
        //  as a coordinator heartbeats when it sent nothing else: keeps the session
        zs_msg_t beat;
        zs_msg_init(&beat, ZS_MSG_HEARTBEAT);
        if (!env->mute) {
            s_reply(env, &beat);
        }
    }
}

static int
s_on_router(zloop_t *loop, zsock_t *reader, void *arg)
{
    s_env_t *env = arg;
    zmq_msg_t id, frame;
    zmq_msg_init(&id);
    zmq_msg_init(&frame);
    void *handle = zsock_resolve(env->router);
    if (zmq_msg_recv(&id, handle, ZMQ_DONTWAIT) >= 0 &&
        zmq_msg_recv(&frame, handle, ZMQ_DONTWAIT) >= 0) {
        zs_msg_t msg;
        zs_error_t err;
        if (zs_msg_decode(&msg, zmq_msg_data(&frame), zmq_msg_size(&frame), &err) == 0) {
            s_record(env, &id, &msg);
            zs_msg_fini(&msg);
        }
    }
    zmq_msg_close(&id);
    zmq_msg_close(&frame);
    return 0;
}

static bool
s_welcome(s_env_t *env)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_NODE_WELCOME);
    msg.node = "n1";
    msg.hb = S_HB_MS;
    msg.live = S_LIVE;
    return s_reply(env, &msg);
}

//  ---------------------------------------------------------------------------------------
//  Environment

static void
s_env_destroy(s_env_t **env_p)
{
    s_env_t *env = *env_p;
    if (env) {
        zs_session_destroy(&env->session);
        zsock_destroy(&env->router);
        zloop_destroy(&env->loop);
        free(env);
        *env_p = NULL;
    }
}

static s_env_t *
s_env_new(void)
{
    s_env_t *env = zs_calloc(1, sizeof *env);
    env->loop = zloop_new();
    env->router = zsock_new(ZMQ_ROUTER);
    int port = env->router ? zsock_bind(env->router, "tcp://127.0.0.1:*") : -1;
    if (port < 0) {
        s_env_destroy(&env);
        return NULL;
    }
    zsock_set_linger(env->router, 0);
    zloop_reader(env->loop, env->router, s_on_router, env);
    snprintf(env->endpoint, sizeof env->endpoint, "tcp://127.0.0.1:%d", port);
    zs_session_config_t config = {
        .endpoint = env->endpoint,
        .hello_type = ZS_MSG_NODE_HELLO,
        .welcome_type = ZS_MSG_NODE_WELCOME,
    };
    zs_error_t err;
    env->session = zs_session_new(env->loop, &config, &s_ops, env, &err);
    if (!env->session) {
        fprintf(stderr, "  %s\n", err.text);
        s_env_destroy(&env);
    }
    return env;
}

static int
s_tick(zloop_t *loop, int timer_id, void *arg)
{
    s_env_t *env = arg;
    bool done = env->until ? env->until(env) : false;
    return done || zclock_mono() >= env->deadline_ms ? -1 : 0;
}

//  Runs the loop until `until` holds, or for timeout_ms; returns whether it holds
static bool
s_run(s_env_t *env, s_until_fn *until, int64_t timeout_ms)
{
    env->until = until;
    env->deadline_ms = zclock_mono() + timeout_ms;
    env->hellos_before = env->hellos;
    env->heartbeats_before = env->heartbeats;
    int timer = zloop_timer(env->loop, S_TICK_MS, 0, s_tick, env);
    zloop_start(env->loop);
    zloop_timer_end(env->loop, timer);
    return !until || until(env);
}

static bool
s_new_hello(s_env_t *env)
{
    return env->hellos > env->hellos_before;
}

static bool
s_three_hellos(s_env_t *env)
{
    return env->hellos >= env->hellos_before + 3;
}

static bool
s_two_heartbeats(s_env_t *env)
{
    return env->heartbeats >= env->heartbeats_before + 2;
}

static bool
s_ready(s_env_t *env)
{
    return zs_session_ready(env->session);
}

static bool
s_has_message(s_env_t *env)
{
    return env->messages > 0;
}

//  Start, and take the first hello and welcome it
static bool
s_open(s_env_t *env)
{
    zs_session_start(env->session);
    return s_run(env, s_new_hello, S_DEADLINE) && s_welcome(env) &&
           s_run(env, s_ready, S_DEADLINE);
}

//  ---------------------------------------------------------------------------------------
//  Cases

//  Normal use: a hello with the owner's fields, a welcome that sets hb, heartbeats with
//  the owner's load, and the owner's messages handed over
static void
test_session(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = s_open(env) && env->welcomes[ZS_SESSION_FIRST] == 1;
    ok = ok && env->hello_pid == (uint64_t) getpid() && env->hello_host;
    ok = ok && zs_session_hb(env->session) == S_HB_MS;
    ok = ok && s_run(env, s_two_heartbeats, S_DEADLINE) && env->load == S_LOAD;
    zs_msg_t spawn;
    zs_msg_init(&spawn, ZS_MSG_NODE_SPAWN);
    spawn.atype = "worker";
    spawn.count = 2;
    ok = ok && s_reply(env, &spawn) && s_run(env, s_has_message, S_DEADLINE);
    ok = ok && env->last_message == ZS_MSG_NODE_SPAWN && env->identities == 1;
    ok = ok && streq(zs_session_endpoint(env->session), env->endpoint);
    ok = ok && !zs_session_server_key(env->session);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Unanswered hellos are retried on the same socket: no new identity before a welcome
static void
test_hello_same_socket(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    zs_session_start(env->session);
    bool ok = s_run(env, s_three_hellos, S_DEADLINE) && env->identities == 1;
    ok = ok && !zs_session_ready(env->session);
    ok = ok && zs_session_hb(env->session) == ZS_SESSION_HB_DEFAULT;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  NOT_REGISTERED while welcomed: hello again on the same socket, and the next welcome
//  renews the session; other errors go to the owner
static void
test_not_registered(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = s_open(env);
    zs_msg_t error;
    zs_msg_init(&error, ZS_MSG_ERROR);
    error.code = ZS_ERR_NOT_REGISTERED;
    error.why = "who are you";
    ok = ok && s_reply(env, &error) && s_run(env, s_new_hello, S_DEADLINE);
    ok = ok && !zs_session_ready(env->session) && env->identities == 1;
    ok = ok && s_welcome(env) && s_run(env, s_ready, S_DEADLINE);
    ok = ok && env->welcomes[ZS_SESSION_RENEWED] == 1 && env->messages == 0;
    error.code = ZS_ERR_LIMIT;
    ok = ok && s_reply(env, &error) && s_run(env, s_has_message, S_DEADLINE);
    ok = ok && env->last_message == ZS_MSG_ERROR && zs_session_ready(env->session);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  An error before the welcome refuses our hello: logged, not the owner's, and the
//  hellos go on on the same socket
static void
test_refused_hello(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    zs_session_start(env->session);
    bool ok = s_run(env, s_new_hello, S_DEADLINE);
    zs_msg_t error;
    zs_msg_init(&error, ZS_MSG_ERROR);
    error.code = ZS_ERR_LIMIT;
    error.why = "swarm full";
    ok = ok && s_reply(env, &error) && s_run(env, s_new_hello, S_DEADLINE);
    ok = ok && env->messages == 0 && env->identities == 1;
    ok = ok && !zs_session_ready(env->session);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A message the owner takes no type of is logged and dropped: the session goes on
static void
test_unhandled(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = s_open(env);
    zs_msg_t offer;
    zs_msg_init(&offer, ZS_MSG_TASK_OFFER);
    offer.task = "t1";
    offer.ttype = "echo";
    ok = ok && s_reply(env, &offer) && s_run(env, s_two_heartbeats, S_DEADLINE);
    ok = ok && env->messages == 0 && zs_session_ready(env->session);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  bye from the coordinator loses the session: a new socket (identity) says hello
static void
test_bye(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = s_open(env);
    zs_msg_t bye;
    zs_msg_init(&bye, ZS_MSG_BYE);
    ok = ok && s_reply(env, &bye) && s_run(env, s_new_hello, S_DEADLINE);
    ok = ok && env->identities == 2 && !zs_session_ready(env->session);
    ok = ok && s_welcome(env) && s_run(env, s_ready, S_DEADLINE);
    ok = ok && env->welcomes[ZS_SESSION_RENEWED] == 1;
    //  a second welcome in the same session is just that
    ok = ok && s_welcome(env) && s_run(env, NULL, 5 * S_TICK_MS);
    ok = ok && env->welcomes[ZS_SESSION_AGAIN] == 1 && zs_session_ready(env->session);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A coordinator silent for live x hb loses the session: a new socket says hello
static void
test_silence(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = s_open(env);
    env->mute = true;
    ok = ok && s_run(env, s_new_hello, S_DEADLINE);
    ok = ok && env->identities == 2 && !zs_session_ready(env->session);
    ok = ok && env->heartbeats >= 1;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A loop that stalls: the coordinator's heartbeat is sent, then the loop sleeps past
//  live x hb, so in the round after, the session's timer is due with the heartbeat
//  waiting on its socket
static int
s_stall(zloop_t *loop, int timer_id, void *arg)
{
    s_env_t *env = arg;
    zs_msg_t beat;
    zs_msg_init(&beat, ZS_MSG_HEARTBEAT);
    s_reply(env, &beat);
    zclock_sleep(S_HB_MS * S_LIVE * 3);
    return 0;
}

//  A heartbeat that waited out a stall of the loop is heard: the session stays
static void
test_stall(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = s_open(env);
    env->mute = true;  //  only the stall's heartbeat comes, so it alone keeps the session
    zloop_timer(env->loop, 1, 1, s_stall, env);
    ok = ok && s_run(env, s_two_heartbeats, S_DEADLINE);
    ok = ok && env->identities == 1 && env->hellos == 1 && zs_session_ready(env->session);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  The welcome is sent, then the loop stalls past the hello's retry
static int
s_stall_welcome(zloop_t *loop, int timer_id, void *arg)
{
    s_env_t *env = arg;
    s_welcome(env);
    zclock_sleep(ZS_SESSION_HB_DEFAULT * 2);  //  past the first retry, hb ±25%
    return 0;
}

//  A welcome that waited out a stall of the loop is taken: no second hello
static void
test_stall_hello(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    zs_session_start(env->session);
    bool ok = s_run(env, s_new_hello, S_DEADLINE);
    zloop_timer(env->loop, 1, 1, s_stall_welcome, env);
    ok = ok && s_run(env, s_two_heartbeats, S_DEADLINE);
    ok = ok && env->hellos == 1 && env->identities == 1 && zs_session_ready(env->session);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  The first retry waits hb, varied by ±25%: random picks the point in that range
static void
test_backoff(void)
{
    ZS_CHECK(zs_session_backoff_ms(100, 0, 0) == 75);
    ZS_CHECK(zs_session_backoff_ms(100, 0, 25) == 100);
    ZS_CHECK(zs_session_backoff_ms(100, 0, 50) == 125);
    ZS_CHECK(zs_session_backoff_ms(100, 0, 51) == 75);
    ZS_CHECK(zs_session_backoff_ms(250, 0, 0) == 188);
}

//  Each retry waits twice the one before, until the cap
static void
test_backoff_doubling(void)
{
    ZS_CHECK(zs_session_backoff_ms(100, 1, 0) == 150);
    ZS_CHECK(zs_session_backoff_ms(100, 2, 0) == 300);
    ZS_CHECK(zs_session_backoff_ms(100, 3, 0) == 600);
    ZS_CHECK(zs_session_backoff_ms(100, 4, 0) == 1200);
    ZS_CHECK(zs_session_backoff_ms(100, 3, 400) == 1000);
}

//  No retry waits more than ZS_SESSION_BACKOFF_MAX x hb before the jitter
static void
test_backoff_cap(void)
{
    ZS_CHECK(ZS_SESSION_BACKOFF_MAX == 16);
    for (unsigned retry = 4; retry < 100; retry++) {
        ZS_CHECK(zs_session_backoff_ms(100, retry, 0) == 1200);
        ZS_CHECK(zs_session_backoff_ms(100, retry, 800) == 2000);
    }
    ZS_CHECK(zs_session_backoff_ms(100, UINT32_MAX, UINT64_MAX) <= 2000);
    int64_t spread = (int64_t) ZS_SESSION_HB_MAX * ZS_SESSION_BACKOFF_MAX / 4;
    ZS_CHECK(zs_session_backoff_ms(ZS_SESSION_HB_MAX, 64, (uint64_t) (2 * spread)) ==
             5 * spread);
}

//  Whatever random is, the delay stays within ±25% of its base, and at least 1 ms
static void
test_backoff_jitter(void)
{
    for (uint64_t random = 1; random < 10000000; random = random * 7 + 3) {
        for (unsigned retry = 0; retry < 8; retry++) {
            int64_t base = 250 << (retry < 4 ? retry : 4);
            int64_t delay = zs_session_backoff_ms(250, retry, random);
            ZS_CHECK(delay >= base * 3 / 4 && delay <= base * 5 / 4);
        }
    }
    ZS_CHECK(zs_session_backoff_ms(0, 0, 0) == 1);
    ZS_CHECK(zs_session_backoff_ms(1, 0, UINT64_MAX) == 1);
    ZS_CHECK(zs_session_backoff_ms(ZS_SESSION_HB_MIN, 0, 0) >= 1);
}

static const zs_test_case_t s_cases[] = {
    {"session", test_session},
    {"hello_same_socket", test_hello_same_socket},
    {"not_registered", test_not_registered},
    {"refused_hello", test_refused_hello},
    {"unhandled", test_unhandled},
    {"bye", test_bye},
    {"silence", test_silence},
    {"stall", test_stall},
    {"stall_hello", test_stall_hello},
    {"backoff", test_backoff},
    {"backoff_doubling", test_backoff_doubling},
    {"backoff_cap", test_backoff_cap},
    {"backoff_jitter", test_backoff_jitter},
};

ZS_TEST_MAIN(s_cases)
