//  test_coord_mem - shared memory requests in process: put, get, del, query and
//  deposit from a client and from agents (their team's access), mem.changed events,
//  compare-and-set, expiry on the test's wall clock, and a swarm with no journal
//  (zs_test_core.h records the replies and events)

#include <inttypes.h>

#include "coordinator/zs_coord_mem.h"
#include "tests/unit/zs_test.h"
#include "tests/unit/zs_test_core.h"

//  coder reports to planner: their agents are one team; qa is a team of its own type
#define S_SWARM                                                                          \
    "name: t\n"                                                                          \
    "topology: hierarchical\n"                                                           \
    "agents:\n"                                                                          \
    "  - {type: planner, count: 0}\n"                                                    \
    "  - {type: coder, count: 0, reports_to: planner}\n"                                 \
    "  - {type: qa, count: 0}\n"

//  The shared memory over a core with no journal
typedef struct {
    zs_swarm_t *swarm;        //  owned
    zs_test_core_t io;        //  the recorded core
    zs_tasks_t tasks;         //  the journal glue's task table, empty
    zs_durable_t durable;     //  no journal: the swarm names none
    zs_coord_mem_t memory;    //  the part under test
    zs_registry_t *registry;  //  the agents that ask, owned
    char peers[4];            //  made-up sessions: &peers[i]
    zs_client_ref_t client;   //  a made-up control client
} s_env_t;

static s_env_t *
s_env_new(void)
{
    zs_swarm_t *swarm = zs_test_swarm(S_SWARM);
    if (!swarm) {
        return NULL;
    }
    s_env_t *env = zs_calloc(1, sizeof *env);
    env->swarm = swarm;
    zs_test_core_init(&env->io, env->swarm);
    zs_tasks_init(&env->tasks, &env->io.core);
    //  In zs_coord_parts_init's order: the memory first, the journal glue over its store
    zs_coord_mem_init(&env->memory, &env->io.core, &env->durable);
    zs_durable_init(&env->durable, &env->io.core, &env->tasks, env->memory.mem, NULL);
    env->registry = zs_registry_new();
    zs_test_client(&env->client, "client");
    return env;
}

static void
s_env_destroy(s_env_t **env_p)
{
    s_env_t *env = *env_p;
    zs_registry_destroy(&env->registry);
    zs_coord_mem_fini(&env->memory);
    zs_durable_fini(&env->durable);
    zs_tasks_fini(&env->tasks);
    zs_test_core_fini(&env->io);
    zs_swarm_destroy(&env->swarm);
    free(env);
    *env_p = NULL;
}

//  An agent id of atype on made-up session n, in its place in the topology
static zs_agent_t *
s_agent(s_env_t *env, const char *id, const char *atype, int n)
{
    zs_msg_t hello;
    zs_msg_init(&hello, ZS_MSG_HELLO);
    hello.atype = atype;
    zs_agent_t *agent = zs_registry_add(env->registry, id, &hello, 1, NULL, 0);
    agent->peer = (zs_peer_t *) (void *) &env->peers[n];
    agent->place = zs_topology_place(env->swarm, atype);
    return agent;
}

//  A request of type about key, with rid
static zs_msg_t
s_request(zs_msg_type_t type, const char *key, uint64_t rid)
{
    zs_msg_t msg;
    zs_msg_init(&msg, type);
    msg.rid = rid;
    msg.key = key;
    return msg;
}

//  A put of key holding value (a string)
static zs_msg_t
s_put(const char *key, const char *value, uint64_t rid)
{
    zs_msg_t put = s_request(ZS_MSG_MEM_PUT, key, rid);
    put.value = (const uint8_t *) value;
    put.value_size = strlen(value);
    return put;
}

//  The reply of type to the client (agent NULL) or to agent's session, taken, if its
//  rid is rid; the caller frees it
static zs_test_said_t *
s_answer(s_env_t *env, const zs_agent_t *agent, zs_msg_type_t type, uint64_t rid)
{
    zs_test_said_t *said =
        agent ? zs_test_core_take(&env->io, ZS_TEST_SENT, type, agent->peer)
              : zs_test_core_take(&env->io, ZS_TEST_REPLIED, type, &env->client);
    if (said && said->msg.rid != rid) {
        zs_test_said_destroy(&said);
    }
    return said;
}

//  Took a reply of type with rid and, for those that say one, version
static bool
s_answered(s_env_t *env,
           const zs_agent_t *agent,
           zs_msg_type_t type,
           uint64_t rid,
           uint64_t version)
{
    zs_test_said_t *said = s_answer(env, agent, type, rid);
    bool ok = said && said->msg.version == version;
    zs_test_said_destroy(&said);
    return ok;
}

//  Took an error with rid and code
static bool
s_refused(s_env_t *env, const zs_agent_t *agent, uint64_t rid, zs_err_code_t code)
{
    zs_test_said_t *said = s_answer(env, agent, ZS_MSG_ERROR, rid);
    bool ok = said && said->msg.code == (uint64_t) code;
    if (said && !ok) {
        fprintf(stderr, "  refused %" PRIu64 " '%s'\n", said->msg.code, said->msg.why);
    }
    zs_test_said_destroy(&said);
    return ok;
}

//  Took a mem.changed event: key at version, state, by agent (NULL: a client or none),
//  and no value
static bool
s_changed(
    s_env_t *env, const char *key, uint64_t version, const char *state, const char *agent)
{
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_PUBLISHED, ZS_MSG_EV_MEM_CHANGED, NULL);
    bool ok =
        said && streq(said->msg.key, key) && said->msg.version == version &&
        streq(said->msg.state, state) &&
        (agent ? said->msg.agent && streq(said->msg.agent, agent) : !said->msg.agent) &&
        !said->msg.value && said->msg.value_size == 0;
    zs_test_said_destroy(&said);
    return ok;
}

//  Normal use: a client writes an entry, reads it, writes it again and deletes it;
//  each change is published with its version and never its value
static void
test_client_put_get_del(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = true;
    zs_msg_t msg = s_put("jobs/1", "queued", 1);
    const char *tags[] = {"urgent"};
    msg.tags = (zs_msg_list_t){tags, 1};
    zs_coord_mem_client(&env->memory, &env->client, &msg);
    ZS_EXPECT(ok, s_answered(env, NULL, ZS_MSG_MEM_PUT_OK, 1, 1));
    ZS_EXPECT(ok, s_changed(env, "jobs/1", 1, "put", NULL));
    msg = s_request(ZS_MSG_MEM_GET, "jobs/1", 2);
    zs_coord_mem_client(&env->memory, &env->client, &msg);
    zs_test_said_t *said = s_answer(env, NULL, ZS_MSG_MEM_GET_OK, 2);
    ZS_EXPECT(ok, said && said->msg.version == 1 && said->msg.value_size == 6 &&
                      memcmp(said->msg.value, "queued", 6) == 0);
    ZS_EXPECT(ok, said->msg.tags.count == 1 && streq(said->msg.tags.items[0], "urgent"));
    ZS_EXPECT(ok, streq(said->msg.access, "swarm") && said->msg.ttl == 0);
    zs_test_said_destroy(&said);
    msg = s_put("jobs/1", "done", 3);
    zs_coord_mem_client(&env->memory, &env->client, &msg);
    ZS_EXPECT(ok, s_answered(env, NULL, ZS_MSG_MEM_PUT_OK, 3, 2));
    ZS_EXPECT(ok, s_changed(env, "jobs/1", 2, "put", NULL));
    msg = s_request(ZS_MSG_MEM_DEL, "jobs/1", 4);
    zs_coord_mem_client(&env->memory, &env->client, &msg);
    ZS_EXPECT(ok, s_answered(env, NULL, ZS_MSG_MEM_DEL_OK, 4, 2));
    ZS_EXPECT(ok, s_changed(env, "jobs/1", 2, "deleted", NULL));
    msg = s_request(ZS_MSG_MEM_GET, "jobs/1", 5);
    zs_coord_mem_client(&env->memory, &env->client, &msg);
    ZS_EXPECT(ok, s_refused(env, NULL, 5, ZS_ERR_NO_KEY));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A query lists keys under a prefix with every tag asked, sorted; a deposit makes a
//  signal that fades by half each half-life, and top lists the strongest
static void
test_query_and_deposit(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = true;
    const char *red[] = {"red"}, *keys[] = {"job/2", "job/1", "other"};
    for (size_t i = 0; i < 3; i++) {
        zs_msg_t put = s_put(keys[i], "v", 1);
        put.tags = (zs_msg_list_t){red, i < 2};
        zs_coord_mem_client(&env->memory, &env->client, &put);
    }
    zs_test_core_forget(&env->io);
    zs_msg_t query = s_request(ZS_MSG_MEM_QUERY, NULL, 2);
    query.prefix = "job/";
    query.tags = (zs_msg_list_t){red, 1};
    zs_coord_mem_client(&env->memory, &env->client, &query);
    zs_test_said_t *said = s_answer(env, NULL, ZS_MSG_MEM_QUERY_OK, 2);
    ZS_EXPECT(ok, said && said->msg.keys.count == 2 &&
                      streq(said->msg.keys.items[0], "job/1") &&
                      streq(said->msg.keys.items[1], "job/2"));
    zs_test_said_destroy(&said);

    const char *signals[] = {"trail/a", "trail/b"};
    const int64_t amounts[] = {8, 40};
    for (size_t i = 0; i < 2; i++) {
        zs_msg_t deposit = s_request(ZS_MSG_MEM_DEPOSIT, signals[i], 3);
        deposit.amount = amounts[i];
        deposit.half_life = 1000;
        zs_coord_mem_client(&env->memory, &env->client, &deposit);
        said = s_answer(env, NULL, ZS_MSG_MEM_DEPOSIT_OK, 3);
        ZS_EXPECT(ok, said && said->msg.version == 1 && said->msg.level == amounts[i]);
        zs_test_said_destroy(&said);
        ZS_EXPECT(ok, s_changed(env, signals[i], 1, "put", NULL));
    }
    zs_test_core_advance(&env->io, 2000);
    zs_msg_t get = s_request(ZS_MSG_MEM_GET, "trail/b", 4);
    zs_coord_mem_client(&env->memory, &env->client, &get);
    said = s_answer(env, NULL, ZS_MSG_MEM_GET_OK, 4);
    ZS_EXPECT(ok, said && said->msg.level == 10);
    zs_test_said_destroy(&said);
    query = s_request(ZS_MSG_MEM_QUERY, NULL, 5);
    query.prefix = "trail/";
    query.top = 1;
    zs_coord_mem_client(&env->memory, &env->client, &query);
    said = s_answer(env, NULL, ZS_MSG_MEM_QUERY_OK, 5);
    ZS_EXPECT(ok, said && said->msg.keys.count == 1 &&
                      streq(said->msg.keys.items[0], "trail/b"));
    zs_test_said_destroy(&said);
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Agents are answered on their sessions and named in the events; a team entry is
//  shared by the agents of its owner's team (the hierarchical team, of any of its
//  types), a private one by its owner alone, and a client may do anything
static void
test_agent_team_access(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *coder = s_agent(env, "coder-1", "coder", 0);
    zs_agent_t *planner = s_agent(env, "planner-1", "planner", 1);
    zs_agent_t *qa = s_agent(env, "qa-1", "qa", 2);
    zs_msg_t put = s_put("plan", "p", 1);
    put.access = "team";
    zs_coord_mem_agent(&env->memory, coder, &put);
    ZS_EXPECT(ok, s_answered(env, coder, ZS_MSG_MEM_PUT_OK, 1, 1));
    ZS_EXPECT(ok, s_changed(env, "plan", 1, "put", "coder-1"));
    zs_msg_t get = s_request(ZS_MSG_MEM_GET, "plan", 2);
    zs_coord_mem_agent(&env->memory, planner, &get);
    zs_test_said_t *said = s_answer(env, planner, ZS_MSG_MEM_GET_OK, 2);
    ZS_EXPECT(ok, said && streq(said->msg.agent, "coder-1") && !said->msg.atype);
    zs_test_said_destroy(&said);
    zs_coord_mem_agent(&env->memory, qa, &get);
    ZS_EXPECT(ok, s_refused(env, qa, 2, ZS_ERR_FORBIDDEN));
    zs_coord_mem_client(&env->memory, &env->client, &get);
    ZS_EXPECT(ok, s_answered(env, NULL, ZS_MSG_MEM_GET_OK, 2, 1));
    //  Private: its owner's alone, even within the team
    put = s_put("secret", "s", 3);
    put.access = "private";
    zs_coord_mem_agent(&env->memory, coder, &put);
    ZS_EXPECT(ok, s_answered(env, coder, ZS_MSG_MEM_PUT_OK, 3, 1));
    zs_msg_t del = s_request(ZS_MSG_MEM_DEL, "secret", 4);
    zs_coord_mem_agent(&env->memory, planner, &del);
    ZS_EXPECT(ok, s_refused(env, planner, 4, ZS_ERR_FORBIDDEN));
    zs_coord_mem_agent(&env->memory, coder, &del);
    ZS_EXPECT(ok, s_answered(env, coder, ZS_MSG_MEM_DEL_OK, 4, 1));
    ZS_EXPECT(ok, s_changed(env, "secret", 1, "put", "coder-1"));
    ZS_EXPECT(ok, s_changed(env, "secret", 1, "deleted", "coder-1"));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A write or delete with cas happens only at the version it names (0: absent); else
//  CONFLICT, and nothing changes or is published
static void
test_compare_and_set(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = true;
    zs_msg_t put = s_put("lock", "me", 1);
    put.cas = true;
    zs_coord_mem_client(&env->memory, &env->client, &put);
    ZS_EXPECT(ok, s_answered(env, NULL, ZS_MSG_MEM_PUT_OK, 1, 1));
    zs_test_core_forget(&env->io);
    zs_coord_mem_client(&env->memory, &env->client, &put);
    ZS_EXPECT(ok, s_refused(env, NULL, 1, ZS_ERR_CONFLICT));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    put.version = 1;
    zs_coord_mem_client(&env->memory, &env->client, &put);
    ZS_EXPECT(ok, s_answered(env, NULL, ZS_MSG_MEM_PUT_OK, 1, 2));
    zs_test_core_forget(&env->io);
    zs_msg_t del = s_request(ZS_MSG_MEM_DEL, "lock", 2);
    del.cas = true;
    del.version = 1;
    zs_coord_mem_client(&env->memory, &env->client, &del);
    ZS_EXPECT(ok, s_refused(env, NULL, 2, ZS_ERR_CONFLICT));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    del.version = 2;
    zs_coord_mem_client(&env->memory, &env->client, &del);
    ZS_EXPECT(ok, s_answered(env, NULL, ZS_MSG_MEM_DEL_OK, 2, 2));
    //  A version without cas would be ignored: refused
    put.cas = false;
    zs_coord_mem_client(&env->memory, &env->client, &put);
    ZS_EXPECT(ok, s_refused(env, NULL, 1, ZS_ERR_INVALID));
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  An entry with a ttl is gone for every request at its expiry, by the wall clock,
//  and removed and published as expired by the next tick
static void
test_ttl_expiry(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = true;
    zs_msg_t put = s_put("lease", "x", 1);
    put.ttl = 1000;
    zs_coord_mem_client(&env->memory, &env->client, &put);
    zs_test_core_forget(&env->io);
    zs_test_core_advance(&env->io, 999);
    zs_coord_mem_tick(&env->memory);
    zs_msg_t get = s_request(ZS_MSG_MEM_GET, "lease", 2);
    zs_coord_mem_client(&env->memory, &env->client, &get);
    zs_test_said_t *said = s_answer(env, NULL, ZS_MSG_MEM_GET_OK, 2);
    ZS_EXPECT(ok, said && said->msg.ttl == 1);
    zs_test_said_destroy(&said);
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    zs_test_core_advance(&env->io, 1);
    zs_coord_mem_client(&env->memory, &env->client, &get);
    ZS_EXPECT(ok, s_refused(env, NULL, 2, ZS_ERR_NO_KEY));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0 && zs_mem_size(env->memory.mem) == 1);
    zs_coord_mem_tick(&env->memory);
    ZS_EXPECT(ok, s_changed(env, "lease", 1, "expired", NULL));
    ZS_EXPECT(ok, zs_mem_size(env->memory.mem) == 0 && zs_test_core_left(&env->io) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  With no journal an agent's change, which waits for a commit where there is one, is
//  answered at once; a request may not set the fields only journal records carry
static void
test_no_journal(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = !zs_durable_on(&env->durable);
    zs_agent_t *qa = s_agent(env, "qa-1", "qa", 0);
    zs_msg_t put = s_put("k", "v", 1);
    zs_coord_mem_agent(&env->memory, qa, &put);
    ZS_EXPECT(ok, s_answered(env, qa, ZS_MSG_MEM_PUT_OK, 1, 1));
    zs_msg_t deposit = s_request(ZS_MSG_MEM_DEPOSIT, "sig", 2);
    deposit.amount = 1;
    deposit.half_life = 1000;
    zs_coord_mem_agent(&env->memory, qa, &deposit);
    ZS_EXPECT(ok, s_answered(env, qa, ZS_MSG_MEM_DEPOSIT_OK, 2, 1));
    zs_msg_t del = s_request(ZS_MSG_MEM_DEL, "k", 3);
    zs_coord_mem_agent(&env->memory, qa, &del);
    ZS_EXPECT(ok, s_answered(env, qa, ZS_MSG_MEM_DEL_OK, 3, 1));
    put.expires = 1;
    zs_coord_mem_client(&env->memory, &env->client, &put);
    ZS_EXPECT(ok, s_refused(env, NULL, 1, ZS_ERR_INVALID));
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"client_put_get_del", test_client_put_get_del},
    {"query_and_deposit", test_query_and_deposit},
    {"agent_team_access", test_agent_team_access},
    {"compare_and_set", test_compare_and_set},
    {"ttl_expiry", test_ttl_expiry},
    {"no_journal", test_no_journal},
};

ZS_TEST_MAIN(s_cases)
