//  test_broker - the broker's liveness after its loop stalled

#include <czmq.h>

#include "broker/zs_broker.h"
#include "tests/unit/zs_test.h"

#define S_HB_MS    50    //  the broker's heartbeat interval
#define S_LIVE     3     //  and liveness
#define S_DEADLINE 8000  //  generous bound on any wait, ms

typedef struct {
    zloop_t *loop;         //  owned
    zs_broker_t *broker;   //  owned
    zsock_t *agent;        //  owned: one agent's DEALER
    size_t hellos;         //  hellos the broker accepted
    size_t gone;           //  peers it expired
    size_t beats_after;    //  heartbeats the agent got after the stall
    bool stalled;          //  the stall happened
    msgpack_sbuffer buf;   //  encode buffer
} s_env_t;

static int
s_hello(void *ctx, zs_peer_t *peer, zs_msg_t *msg)
{
    ((s_env_t *) ctx)->hellos++;
    return 0;
}

static void
s_gone(void *ctx, zs_peer_t *peer, const char *why)
{
    ((s_env_t *) ctx)->gone++;
}

static const zs_broker_ops_t s_ops = {.hello = s_hello, .gone = s_gone};

static void
s_send(s_env_t *env, zs_msg_type_t type)
{
    zs_msg_t msg;
    zs_msg_init(&msg, type);
    msg.agent = "a-1";
    msg.atype = "a";
    zs_msg_send(&msg, zsock_resolve(env->agent), NULL, 0, 0, &env->buf);
}

//  The agent heartbeats as an agent does, counting the broker's after the stall
static int
s_agent_readable(zloop_t *loop, zsock_t *sock, void *arg)
{
    s_env_t *env = arg;
    zframe_t *frame = zframe_recv(sock);
    env->beats_after += env->stalled;
    zframe_destroy(&frame);
    return 0;
}

static int
s_agent_beat(zloop_t *loop, int timer_id, void *arg)
{
    s_send(arg, ZS_MSG_HEARTBEAT);
    return 0;
}

//  The agent's heartbeat goes out, then the loop sleeps past liveness: in the round
//  after, the broker's tick is due with the heartbeat waiting on its socket
static int
s_stall(zloop_t *loop, int timer_id, void *arg)
{
    s_env_t *env = arg;
    s_send(env, ZS_MSG_HEARTBEAT);
    zclock_sleep(S_HB_MS * S_LIVE * 3);
    env->stalled = true;
    return 0;
}

//  Ends the loop once the broker took the hello
static int
s_check_hello(zloop_t *loop, int timer_id, void *arg)
{
    return ((s_env_t *) arg)->hellos ? -1 : 0;
}

//  Ends the loop once the agent was expired, or heard twice from a broker that kept it
static int
s_check(zloop_t *loop, int timer_id, void *arg)
{
    s_env_t *env = arg;
    return env->gone || env->beats_after >= 2 ? -1 : 0;
}

//  Ends the loop: a wait took too long
static int
s_give_up(zloop_t *loop, int timer_id, void *arg)
{
    return -1;
}

//  A heartbeat that waited out a stall of the loop keeps its peer
static void
test_stall(void)
{
    s_env_t env = {.loop = zloop_new()};
    msgpack_sbuffer_init(&env.buf);
    zs_error_t err;
    env.broker = zs_broker_new(env.loop, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*",
                               "tcp://127.0.0.1:*", NULL, &s_ops, &env, &err);
    bool ok = env.broker != NULL;
    if (ok) {
        zs_broker_set_liveness(env.broker, S_HB_MS, S_LIVE);
        env.agent = zsock_new_dealer(zs_broker_agents_endpoint(env.broker));
        zloop_reader(env.loop, env.agent, s_agent_readable, &env);
        s_send(&env, ZS_MSG_HELLO);
        int check = zloop_timer(env.loop, 5, 0, s_check_hello, &env);
        int deadline = zloop_timer(env.loop, S_DEADLINE, 1, s_give_up, &env);
        zloop_start(env.loop);
        zloop_timer_end(env.loop, check);
        zloop_timer_end(env.loop, deadline);
        ZS_EXPECT(ok, env.hellos == 1);
    }
    if (ok) {
        zloop_timer(env.loop, 1, 1, s_stall, &env);
        int beat = zloop_timer(env.loop, S_HB_MS, 0, s_agent_beat, &env);
        int check = zloop_timer(env.loop, 5, 0, s_check, &env);
        int deadline = zloop_timer(env.loop, S_DEADLINE, 1, s_give_up, &env);
        zloop_start(env.loop);
        zloop_timer_end(env.loop, beat);
        zloop_timer_end(env.loop, check);
        zloop_timer_end(env.loop, deadline);
        ZS_EXPECT(ok, env.gone == 0 && env.beats_after >= 2);
    }
    zsock_destroy(&env.agent);
    zs_broker_destroy(&env.broker);
    zloop_destroy(&env.loop);
    msgpack_sbuffer_destroy(&env.buf);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"stall", test_stall},
};

ZS_TEST_MAIN(s_cases)
