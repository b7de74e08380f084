//  test_listen - an agent's subscription to the events addressed to agents: where it
//  subscribes, events taken in order, old ones dropped, and gaps found in the events'
//  aseq or in the heartbeats' (zs_listen), and the resource use per mille (zs_usage)
//
//  The event cases publish on a PUB bound on inproc:// in the test and run the loop
//  until the listener has taken what the case waits for, with a generous deadline.

#include "agent/zs_listen.h"
#include "agent/zs_usage.h"
#include "tests/unit/zs_test.h"

#define S_TICK_MS  5
#define S_DEADLINE 8000

typedef struct {
    zloop_t *loop;        //  owned
    zsock_t *pub;         //  owned
    zs_listen_t *listen;  //  owned
    uint64_t seen[16];    //  the aseq of each event the owner was given
    size_t seen_count;    //  items in seen
    size_t gaps;          //  times the owner was asked to sync
    size_t want;          //  events to wait for
    int64_t deadline;     //  when a wait gives up
} s_env_t;

static void
s_on_event(void *ctx, const zs_msg_t *event)
{
    s_env_t *env = ctx;
    if (env->seen_count < 16) {
        env->seen[env->seen_count++] = event->aseq;
    }
}

static void
s_on_gap(void *ctx)
{
    s_env_t *env = ctx;
    env->gaps++;
}

static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    s_env_t *env = arg;
    return env->seen_count >= env->want || zclock_mono() > env->deadline ? -1 : 0;
}

static void
s_publish(s_env_t *env, zs_msg_type_t type, uint64_t aseq)
{
    zs_msg_t event;
    zs_msg_init(&event, type);
    event.seq = aseq + 100;
    event.aseq = aseq;
    event.atype = "t";
    if (type == ZS_MSG_EV_AGENT_BROADCAST) {
        event.payload = (const uint8_t *) "hi";
        event.payload_size = 2;
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    ZS_CHECK(zs_msg_encode(&event, &buf) == 0);
    zsock_send(env->pub, "sb", zs_msg_type_name(type), buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
}

//  Run the loop until the owner was given count events in all, or for ms at most
static void
s_run(s_env_t *env, size_t count, int64_t ms)
{
    env->want = count;
    env->deadline = zclock_mono() + ms;
    int timer = zloop_timer(env->loop, S_TICK_MS, 0, s_on_tick, env);
    zloop_start(env->loop);
    zloop_timer_end(env->loop, timer);
}

static void
s_wait(s_env_t *env, size_t count)
{
    s_run(env, count, S_DEADLINE);
    ZS_CHECK(env->seen_count == count);
}

static void
s_env_init(s_env_t *env, const char *endpoint)
{
    memset(env, 0, sizeof *env);
    env->loop = zloop_new();
    env->pub = zsock_new_pub(endpoint);
    ZS_CHECK(env->pub);
    zs_listen_ops_t ops = {s_on_event, s_on_gap};
    env->listen = zs_listen_new(env->loop, &ops, env);
    zs_error_t err;
    ZS_CHECK_OK(zs_listen_connect(env->listen, endpoint, NULL, NULL, &err), err);
    ZS_CHECK_STR(zs_listen_endpoint(env->listen), endpoint);
    //  The same endpoint again keeps the socket (and its subscriptions)
    ZS_CHECK_OK(zs_listen_connect(env->listen, endpoint, NULL, NULL, &err), err);
}

static void
s_env_fini(s_env_t *env)
{
    zs_listen_destroy(&env->listen);
    ZS_CHECK(env->listen == NULL);
    zsock_destroy(&env->pub);
    zloop_destroy(&env->loop);
}

//  Publish probes (aseq 1) until the subscription is in effect: a SUB misses what is
//  published before
static void
s_subscribed(s_env_t *env)
{
    int64_t deadline = zclock_mono() + S_DEADLINE;
    while (env->seen_count == 0 && zclock_mono() < deadline) {
        s_publish(env, ZS_MSG_EV_AGENT_PAUSED, 1);
        s_run(env, 1, 10 * S_TICK_MS);
    }
    ZS_CHECK(env->seen_count == 1 && env->seen[0] == 1);
}

static void
test_events_in_order(void)
{
    s_env_t env;
    s_env_init(&env, "inproc://test-listen-order");
    zs_listen_restart(env.listen, 0);
    s_subscribed(&env);
    //  1 again (a probe), then 2 and 3: the old one is dropped, the rest taken
    s_publish(&env, ZS_MSG_EV_AGENT_PAUSED, 1);
    s_publish(&env, ZS_MSG_EV_AGENT_BROADCAST, 2);
    s_publish(&env, ZS_MSG_EV_AGENT_RESUMED, 3);
    s_wait(&env, 3);
    ZS_CHECK(env.seen[1] == 2 && env.seen[2] == 3);
    ZS_CHECK(env.gaps == 0);
    s_env_fini(&env);
}

static void
test_gap_in_events(void)
{
    s_env_t env;
    s_env_init(&env, "inproc://test-listen-gap");
    zs_listen_restart(env.listen, 0);
    s_subscribed(&env);
    //  2 and 3 are lost: 4 is taken, and a sync asked for, once until it is answered
    s_publish(&env, ZS_MSG_EV_AGENT_BROADCAST, 4);
    s_wait(&env, 2);
    ZS_CHECK(env.seen[1] == 4 && env.gaps == 1);
    s_publish(&env, ZS_MSG_EV_AGENT_BROADCAST, 6);
    s_wait(&env, 3);
    ZS_CHECK(env.gaps == 1);
    //  Answered as of 7: 7 is old, 8 is next
    zs_listen_synced(env.listen, 7);
    s_publish(&env, ZS_MSG_EV_AGENT_PAUSED, 7);
    s_publish(&env, ZS_MSG_EV_AGENT_PAUSED, 8);
    s_wait(&env, 4);
    ZS_CHECK(env.seen[3] == 8 && env.gaps == 1);
    //  A new session starts where its welcome says
    zs_listen_restart(env.listen, 20);
    s_publish(&env, ZS_MSG_EV_AGENT_PAUSED, 20);
    s_publish(&env, ZS_MSG_EV_AGENT_PAUSED, 21);
    s_wait(&env, 5);
    ZS_CHECK(env.seen[4] == 21 && env.gaps == 1);
    s_env_fini(&env);
}

static void
test_gap_in_heartbeats(void)
{
    s_env_t env;
    memset(&env, 0, sizeof env);
    env.loop = zloop_new();
    zs_listen_ops_t ops = {s_on_event, s_on_gap};
    zs_listen_t *listen = zs_listen_new(env.loop, &ops, &env);
    ZS_CHECK(zs_listen_endpoint(listen) == NULL);
    zs_listen_restart(listen, 3);
    zs_listen_heard(listen, 3);  //  as far as we are
    zs_listen_heard(listen, 2);  //  an older heartbeat
    ZS_CHECK(env.gaps == 0);
    //  Ahead once: the event may be on its way; ahead at the next heartbeat: lost
    zs_listen_heard(listen, 5);
    ZS_CHECK(env.gaps == 0);
    zs_listen_heard(listen, 5);
    ZS_CHECK(env.gaps == 1);
    zs_listen_heard(listen, 6);  //  the sync is not answered yet: not asked again
    zs_listen_heard(listen, 6);
    ZS_CHECK(env.gaps == 1);
    zs_listen_synced(listen, 6);
    zs_listen_heard(listen, 6);
    zs_listen_heard(listen, 6);
    ZS_CHECK(env.gaps == 1);
    //  A new session forgets an unanswered sync
    zs_listen_heard(listen, 7);
    zs_listen_heard(listen, 7);
    ZS_CHECK(env.gaps == 2);
    zs_listen_restart(listen, 9);
    zs_listen_heard(listen, 10);
    zs_listen_heard(listen, 10);
    ZS_CHECK(env.gaps == 3);
    zs_listen_destroy(&listen);
    zloop_destroy(&env.loop);
}

static void
test_resolve(void)
{
    char out[64];
    const char *agents = "tcp://10.1.2.3:7600";
    ZS_CHECK(zs_listen_resolve("tcp://0.0.0.0:7601", agents, out, sizeof out) == 0);
    ZS_CHECK_STR(out, "tcp://10.1.2.3:7601");
    ZS_CHECK(zs_listen_resolve("tcp://*:7601", "tcp://box.lan:7600", out, sizeof out) ==
             0);
    ZS_CHECK_STR(out, "tcp://box.lan:7601");
    ZS_CHECK(zs_listen_resolve("tcp://[::]:7601", agents, out, sizeof out) == 0);
    ZS_CHECK_STR(out, "tcp://10.1.2.3:7601");
    //  A host of its own, or no wildcard to fill: as it is
    ZS_CHECK(zs_listen_resolve("tcp://127.0.0.1:9", agents, out, sizeof out) == 0);
    ZS_CHECK_STR(out, "tcp://127.0.0.1:9");
    ZS_CHECK(zs_listen_resolve("tcp://0.0.0.0:9", "ipc:///run/a", out, sizeof out) == 0);
    ZS_CHECK_STR(out, "tcp://0.0.0.0:9");
    ZS_CHECK(zs_listen_resolve("ipc:///run/events", agents, out, sizeof out) == 0);
    ZS_CHECK_STR(out, "ipc:///run/events");
    ZS_CHECK(zs_listen_resolve("tcp://0.0.0.0:7601", agents, out, 10) == -1);
}

static void
test_usage(void)
{
    ZS_CHECK(zs_usage_per_mille(500, 1000) == 500);
    ZS_CHECK(zs_usage_per_mille(2000, 1000) == 2000);  //  two CPUs
    ZS_CHECK(zs_usage_per_mille(1, 3) == 333);
    ZS_CHECK(zs_usage_per_mille(0, 1000) == 0);
    ZS_CHECK(zs_usage_per_mille(5, 0) == 0);
    zs_usage_t usage = {0};
    uint64_t cpu = 1, rss = 0;
    zs_usage_read(&usage, &cpu, &rss);
    ZS_CHECK(cpu == 0 && rss > 0);  //  the first reading has nothing to compare with
    zs_usage_read(&usage, &cpu, &rss);
    ZS_CHECK(rss > 0);
}

static const zs_test_case_t s_cases[] = {
    {"events_in_order", test_events_in_order},
    {"gap_in_events", test_gap_in_events},
    {"gap_in_heartbeats", test_gap_in_heartbeats},
    {"resolve", test_resolve},
    {"usage", test_usage},
};

ZS_TEST_MAIN(s_cases)
