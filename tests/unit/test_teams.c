//  test_teams - the topology at work, in process: neighbours told on joins and leaves,
//  agent messages delivered or refused, team leads chosen, elected and given their
//  team's tasks, delegated work and its report, and ring pipelines (zs_test_core.h
//  records what each agent was sent and sets the clock)

#include "coordinator/flow/zs_teams.h"
#include "tests/unit/zs_test.h"
#include "tests/unit/zs_test_core.h"
#include "tests/unit/zs_test_flow.h"

#define S_MESH                                                                           \
    "name: t\n"                                                                          \
    "topology: mesh\n"                                                                   \
    "agents:\n"                                                                          \
    "  - {type: w, count: 0}\n"

#define S_TEAM                                                                           \
    "name: t\n"                                                                          \
    "topology: hierarchical\n"                                                           \
    "heartbeat: {interval_ms: 100, liveness: 3}\n"                                       \
    "agents:\n"                                                                          \
    "  - {type: planner, count: 0, concurrency: 4}\n"                                    \
    "  - {type: coder, count: 0, reports_to: planner}\n"

#define S_RING                                                                           \
    "name: t\n"                                                                          \
    "topology: ring\n"                                                                   \
    "ring: [upper, reverse, bracket]\n"                                                  \
    "agents:\n"                                                                          \
    "  - {type: upper, count: 0}\n"                                                      \
    "  - {type: reverse, count: 0}\n"                                                    \
    "  - {type: bracket, count: 0}\n"

#define S_GRACE 300   //  S_TEAM's heartbeat x liveness: a leaderless team waits this long
#define S_CHUNK 1000  //  ids in one neighbours message (PROTOCOL.md §6.1)

//  Teams over graphs over dispatch over a recorded core
typedef struct {
    zs_swarm_t *swarm;  //  owned
    zs_test_core_t io;  //  the recorded core
    zs_tasks_t tasks;   //  the task table
    zs_dispatch_t dispatch;
    zs_graph_t graph;
    zs_teams_t teams;  //  the part under test
    char peers[8];     //  made-up sessions: &peers[i]
} s_env_t;

//  What the coordinator does when a task ends, less the journal
static void
s_ended(void *ctx, zs_task_t *task)
{
    s_env_t *env = ctx;
    zs_tasks_ended(&env->tasks, task);
    zs_core_publish_task(&env->io.core, task, task->result.why);
    zs_tasks_answer(&env->tasks, task);
    zs_graph_final(&env->graph, task);
    zs_teams_final(&env->teams, task);
    zs_tasks_keep(&env->tasks, task);
}

static void
s_settle(void *ctx)
{
    s_env_t *env = ctx;
    zs_dispatch_settle(&env->dispatch);
}

static s_env_t *
s_env_new(const char *yaml)
{
    zs_swarm_t *swarm = zs_test_swarm(yaml);
    if (!swarm) {
        return NULL;
    }
    s_env_t *env = zs_calloc(1, sizeof *env);
    env->swarm = swarm;
    zs_test_core_init(&env->io, env->swarm);
    static const zs_core_hooks_t hooks = {NULL, s_ended, s_settle};
    zs_core_set_hooks(&env->io.core, &hooks, env);
    zs_tasks_init(&env->tasks, &env->io.core);
    zs_dispatch_init(&env->dispatch, &env->io.core, &env->tasks, NULL);
    zs_graph_init(&env->graph, &env->io.core, &env->tasks, &env->dispatch);
    zs_teams_init(&env->teams, &env->io.core, &env->tasks, &env->dispatch, &env->graph);
    return env;
}

static void
s_env_destroy(s_env_t **env_p)
{
    s_env_t *env = *env_p;
    zs_teams_fini(&env->teams);
    zs_graph_fini(&env->graph);
    zs_dispatch_fini(&env->dispatch);
    zs_tasks_fini(&env->tasks);
    zs_test_core_fini(&env->io);
    zs_swarm_destroy(&env->swarm);
    free(env);
    *env_p = NULL;
}

//  Register agent id of atype on made-up session number n, as a welcomed hello does:
//  the type's concurrency and capabilities, its place, then work
static zs_agent_t *
s_join(s_env_t *env, const char *id, const char *atype, int n)
{
    const zs_swarm_type_t *type = zs_swarm_type_find(env->swarm, atype);
    zs_msg_t hello;
    zs_msg_init(&hello, ZS_MSG_HELLO);
    hello.atype = atype;
    zs_agent_t *agent = zs_registry_add(env->dispatch.registry, id, &hello,
                                        type->concurrency, type->caps, type->cap_count);
    agent->peer = (zs_peer_t *) (void *) &env->peers[n];
    zs_teams_joined(&env->teams, agent);
    zs_dispatch_feed(&env->dispatch, agent);
    return agent;
}

//  The agent's session ends, as zs_coord_agents does it
static void
s_leave(s_env_t *env, zs_agent_t *agent)
{
    zs_dispatch_lost(&env->dispatch, agent, "gone in a test");
    zs_teams_leaving(&env->teams, agent);
    zs_registry_remove(env->dispatch.registry, &agent);
    zs_core_settle(&env->io.core);
}

//  Accept and start a task of ttype under id with payload, as a submit would
static void
s_task(s_env_t *env, const char *id, const char *ttype, const char *payload)
{
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = ttype;
    submit.payload = (const uint8_t *) payload;
    submit.payload_size = strlen(payload);
    zs_error_t err;
    if (zs_teams_check(&env->teams, &submit, id, &err) != 0) {
        fprintf(stderr, "  submit '%s': %s\n", id, err.text);
        return;
    }
    zs_graph_start(&env->graph, zs_tasks_accept(&env->tasks, &submit, id, 1000, 2));
    zs_graph_settle(&env->graph);
}

//  The agent's task.result for its current attempt of id: ok, with out
static void
s_result(s_env_t *env, zs_agent_t *agent, const char *id, const char *out)
{
    zs_test_flow_result(&env->dispatch, agent, id, 0, "ok", out);
}

//  The list's items, sorted and joined with commas (the registry's order is a hash's)
static const char *
s_joined(const zs_msg_list_t *list, char *text, size_t size)
{
    const char **items = zs_calloc(list->count + 1, sizeof *items);
    for (size_t i = 0; i < list->count; i++) {
        items[i] = list->items[i];
    }
    for (size_t i = 1; i < list->count; i++) {
        for (size_t j = i; j > 0 && strcmp(items[j - 1], items[j]) > 0; j--) {
            const char *swap = items[j];
            items[j] = items[j - 1];
            items[j - 1] = swap;
        }
    }
    size_t used = 0;
    text[0] = '\0';
    for (size_t i = 0; i < list->count; i++) {
        used +=
            (size_t) snprintf(text + used, size - used, "%s%s", i ? "," : "", items[i]);
    }
    free(items);
    return text;
}

//  Took the next neighbours message to agent, and it says role, lead (NULL: none),
//  full, and peers and gone (sorted, comma-joined)
static bool
s_told(s_env_t *env,
       const zs_agent_t *agent,
       const char *role,
       const char *lead,
       bool full,
       const char *peers,
       const char *gone)
{
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_SENT, ZS_MSG_NEIGHBOURS, agent->peer);
    char peers_text[256], gone_text[256];
    bool ok = said && streq(said->msg.role, role) && said->msg.full == full &&
              (lead ? said->msg.lead && streq(said->msg.lead, lead) : !said->msg.lead) &&
              streq(s_joined(&said->msg.peers, peers_text, sizeof peers_text), peers) &&
              streq(s_joined(&said->msg.gone, gone_text, sizeof gone_text), gone);
    if (said && !ok) {
        fprintf(stderr, "  to '%s': role %s lead %s full %d peers '%s' gone '%s'\n",
                agent->id, said->msg.role, said->msg.lead ? said->msg.lead : "-",
                said->msg.full, peers_text, gone_text);
    }
    zs_test_said_destroy(&said);
    return ok;
}

//  Took the next task.assign to agent, and it is for task id with payload
static bool
s_assigned(s_env_t *env, const zs_agent_t *agent, const char *id, const char *payload)
{
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_SENT, ZS_MSG_TASK_ASSIGN, agent->peer);
    bool ok = said && streq(said->msg.task, id) &&
              said->msg.payload_size == strlen(payload) &&
              memcmp(said->msg.payload, payload, said->msg.payload_size) == 0;
    zs_test_said_destroy(&said);
    return ok;
}

//  Took an error to agent, of code
static bool
s_refused(s_env_t *env, const zs_agent_t *agent, zs_err_code_t code)
{
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_SENT, ZS_MSG_ERROR, agent->peer);
    bool ok = said && said->msg.code == (uint64_t) code;
    zs_test_said_destroy(&said);
    return ok;
}

//  Took a team.elected event, and agent leads team for why
static bool
s_elected(s_env_t *env, const char *team, const char *agent, const char *why)
{
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_PUBLISHED, ZS_MSG_EV_TEAM_ELECTED, NULL);
    bool ok = said && streq(said->msg.atype, team) && streq(said->msg.agent, agent) &&
              said->msg.why && streq(said->msg.why, why);
    zs_test_said_destroy(&said);
    return ok;
}

//  Normal use: in a mesh an agent that joins is told every agent there, and each of
//  them is told of it alone; one that leaves is told gone to the others
static void
test_mesh_neighbours(void)
{
    s_env_t *env = s_env_new(S_MESH);
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *a = s_join(env, "a", "w", 0);
    ZS_EXPECT(ok, s_told(env, a, "peer", NULL, true, "", ""));
    zs_agent_t *b = s_join(env, "b", "w", 1);
    ZS_EXPECT(ok, s_told(env, b, "peer", NULL, true, "a", ""));
    ZS_EXPECT(ok, s_told(env, a, "peer", NULL, false, "b", ""));
    zs_agent_t *c = s_join(env, "c", "w", 2);
    ZS_EXPECT(ok, s_told(env, c, "peer", NULL, true, "a,b", ""));
    ZS_EXPECT(ok, s_told(env, a, "peer", NULL, false, "c", ""));
    ZS_EXPECT(ok, s_told(env, b, "peer", NULL, false, "c", ""));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_leave(env, b);
    ZS_EXPECT(ok, s_told(env, a, "peer", NULL, false, "", "b"));
    ZS_EXPECT(ok, s_told(env, c, "peer", NULL, false, "", "b"));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A set larger than one message holds comes in several: the first full, the rest
//  adding to it, so the agent keeps every id
static void
test_mesh_chunks(void)
{
    s_env_t *env = s_env_new(S_MESH);
    ZS_CHECK(env);
    bool ok = true;
    //  Registered without a word (they share a session): only the last one joins
    for (int i = 0; i <= S_CHUNK; i++) {
        char id[16];
        snprintf(id, sizeof id, "w-%d", i);
        zs_agent_t *agent = zs_test_flow_agent(&env->dispatch, id, "w", 1, &env->peers[1]);
        agent->place = zs_topology_place(env->swarm, "w");
    }
    zs_agent_t *last = s_join(env, "last", "w", 0);
    zs_test_said_t *first =
        zs_test_core_take(&env->io, ZS_TEST_SENT, ZS_MSG_NEIGHBOURS, last->peer);
    zs_test_said_t *rest =
        zs_test_core_take(&env->io, ZS_TEST_SENT, ZS_MSG_NEIGHBOURS, last->peer);
    ZS_EXPECT(ok, first && first->msg.full && first->msg.peers.count == S_CHUNK);
    ZS_EXPECT(ok, rest && !rest->msg.full && rest->msg.peers.count == 1);
    ZS_EXPECT(ok, !streq(first->msg.peers.items[S_CHUNK - 1], rest->msg.peers.items[0]));
    zs_test_said_destroy(&first);
    zs_test_said_destroy(&rest);
    ZS_EXPECT(ok,
              !zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_NEIGHBOURS, last->peer));
    //  Each of the others is told of it alone
    for (int i = 0; i <= S_CHUNK && ok; i++) {
        char id[16];
        snprintf(id, sizeof id, "w-%d", i);
        const zs_agent_t *other = zs_registry_find(env->dispatch.registry, id);
        ZS_EXPECT(ok, s_told(env, other, "peer", NULL, false, "last", ""));
    }
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  An agent a neighbours message could not reach is told its whole set at the next
//  tick, and nobody else is told anything
static void
test_lost_set_resent(void)
{
    s_env_t *env = s_env_new(S_MESH);
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *a = s_join(env, "a", "w", 0);
    s_join(env, "b", "w", 1);
    zs_test_core_forget(&env->io);
    env->io.unreachable = a->peer;
    zs_agent_t *c = s_join(env, "c", "w", 2);
    env->io.unreachable = NULL;
    ZS_EXPECT(ok, s_told(env, c, "peer", NULL, true, "a,b", ""));
    zs_test_core_forget(&env->io);
    zs_teams_tick(&env->teams);
    ZS_EXPECT(ok, s_told(env, a, "peer", NULL, true, "b,c", ""));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    zs_teams_tick(&env->teams);
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  msg.send reaches one neighbour and msg.share every one, with the sender's id; a
//  send to itself or to an unknown agent is refused FORBIDDEN and counted, a payload
//  past ZS_MSG_NOTE_MAX is INVALID
static void
test_mesh_messages(void)
{
    s_env_t *env = s_env_new(S_MESH);
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *a = s_join(env, "a", "w", 0);
    zs_agent_t *b = s_join(env, "b", "w", 1);
    zs_agent_t *c = s_join(env, "c", "w", 2);
    zs_test_core_forget(&env->io);
    zs_msg_t send;
    zs_msg_init(&send, ZS_MSG_MSG_SEND);
    send.agent = "b";
    send.payload = (const uint8_t *) "hi";
    send.payload_size = 2;
    zs_teams_send(&env->teams, a, &send);
    zs_test_said_t *said = zs_test_core_take(&env->io, ZS_TEST_SENT, ZS_MSG_MSG, b->peer);
    ZS_EXPECT(ok, said && streq(said->msg.agent, "a") && said->msg.payload_size == 2);
    zs_test_said_destroy(&said);
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    zs_teams_share(&env->teams, a, &send);
    ZS_EXPECT(ok, zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_MSG, b->peer));
    ZS_EXPECT(ok, zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_MSG, c->peer));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    send.agent = "a";
    zs_teams_send(&env->teams, a, &send);
    ZS_EXPECT(ok, s_refused(env, a, ZS_ERR_FORBIDDEN));
    send.agent = "nobody";
    zs_teams_send(&env->teams, a, &send);
    ZS_EXPECT(ok, s_refused(env, a, ZS_ERR_FORBIDDEN));
    ZS_EXPECT(ok, env->io.core.counts.forbidden == 2);
    send.agent = "b";
    uint8_t *big = zs_calloc(1, ZS_MSG_NOTE_MAX + 1);
    send.payload = big;
    send.payload_size = ZS_MSG_NOTE_MAX + 1;
    zs_teams_send(&env->teams, a, &send);
    free(big);
    ZS_EXPECT(ok, s_refused(env, a, ZS_ERR_INVALID));
    ZS_EXPECT(ok, env->io.core.counts.forbidden == 2 && zs_test_core_left(&env->io) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  The first agent of the lead type leads; the team's task goes to it, its delegate
//  makes work ID.w that goes to a worker, and the worker's result is reported to it
static void
test_lead_delegates(void)
{
    s_env_t *env = s_env_new(S_TEAM);
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *lead = s_join(env, "planner-1", "planner", 0);
    ZS_EXPECT(ok,
              s_elected(env, "planner", "planner-1", "the first agent of the lead type"));
    ZS_EXPECT(ok, s_told(env, lead, "lead", NULL, true, "", ""));
    zs_agent_t *coder = s_join(env, "coder-1", "coder", 1);
    ZS_EXPECT(ok, s_told(env, coder, "worker", "planner-1", true, "planner-1", ""));
    ZS_EXPECT(ok, s_told(env, lead, "lead", NULL, false, "coder-1", ""));
    //  The coder could run planner tasks (its lead's type), but the team's go to its lead
    s_task(env, "job", "planner", "plan this");
    ZS_EXPECT(ok, s_assigned(env, lead, "job", "plan this"));
    zs_msg_t delegate;
    zs_msg_init(&delegate, ZS_MSG_TASK_DELEGATE);
    delegate.task = "job";
    delegate.att = 1;
    delegate.payload = (const uint8_t *) "code this";
    delegate.payload_size = 9;
    zs_teams_delegate(&env->teams, lead, &delegate);
    const zs_task_t *work = zs_tasks_find(&env->tasks, "job.w");
    ZS_EXPECT(ok, work && work->route == ZS_ROUTE_WORKER && work->agent == coder);
    ZS_EXPECT(ok, s_assigned(env, coder, "job.w", "code this"));
    s_result(env, coder, "job.w", "coded");
    zs_test_said_t *report =
        zs_test_core_take(&env->io, ZS_TEST_SENT, ZS_MSG_TASK_REPORT, lead->peer);
    ZS_EXPECT(ok, report && streq(report->msg.task, "job") && report->msg.att == 1);
    ZS_EXPECT(ok, streq(report->msg.agent, "coder-1") && streq(report->msg.status, "ok"));
    ZS_EXPECT(ok, report->msg.out_size == 5 && memcmp(report->msg.out, "coded", 5) == 0);
    zs_test_said_destroy(&report);
    s_result(env, lead, "job", "planned");
    const zs_task_t *job = zs_tasks_find(&env->tasks, "job");
    ZS_EXPECT(ok, job && job->state == ZS_TASK_COMPLETED);
    ZS_EXPECT(ok, env->io.core.counts.forbidden == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Two workers are not linked: a message between them is refused FORBIDDEN and
//  counted, while one to their lead is delivered; a worker that delegates is refused
static void
test_unlinked_refused(void)
{
    s_env_t *env = s_env_new(S_TEAM);
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *lead = s_join(env, "planner-1", "planner", 0);
    zs_agent_t *one = s_join(env, "coder-1", "coder", 1);
    s_join(env, "coder-2", "coder", 2);
    s_task(env, "job", "planner", "p");
    zs_msg_t delegate;
    zs_msg_init(&delegate, ZS_MSG_TASK_DELEGATE);
    delegate.task = "job";
    delegate.att = 1;
    zs_teams_delegate(&env->teams, lead, &delegate);
    zs_test_core_forget(&env->io);
    zs_msg_t send;
    zs_msg_init(&send, ZS_MSG_MSG_SEND);
    send.agent = "coder-2";
    zs_teams_send(&env->teams, one, &send);
    ZS_EXPECT(ok, s_refused(env, one, ZS_ERR_FORBIDDEN));
    ZS_EXPECT(ok, env->io.core.counts.forbidden == 1 && zs_test_core_left(&env->io) == 0);
    send.agent = "planner-1";
    zs_teams_send(&env->teams, one, &send);
    ZS_EXPECT(ok, zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_MSG, lead->peer));
    //  Its work runs on a coder, which may not hand it on
    const zs_task_t *work = zs_tasks_find(&env->tasks, "job.w");
    ZS_EXPECT(ok, work && work->agent);
    if (ok) {
        delegate.task = "job.w";
        zs_teams_delegate(&env->teams, work->agent, &delegate);
        ZS_EXPECT(ok, s_refused(env, work->agent, ZS_ERR_FORBIDDEN));
    }
    ZS_EXPECT(ok, env->io.core.counts.forbidden == 2);
    ZS_EXPECT(ok, !zs_tasks_find(&env->tasks, "job.w.w"));
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A lead that leaves is replaced by the member registered longest ago, of any type of
//  the team; the new lead is told its team and they their lead, and the team task the
//  old lead held is retried on the new one
static void
test_dead_lead_replaced(void)
{
    s_env_t *env = s_env_new(S_TEAM);
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *old = s_join(env, "planner-1", "planner", 0);
    zs_agent_t *first = s_join(env, "coder-1", "coder", 1);
    zs_agent_t *second = s_join(env, "coder-2", "coder", 2);
    zs_agent_t *spare = s_join(env, "planner-2", "planner", 3);
    s_task(env, "job", "planner", "p");
    ZS_EXPECT(ok, s_assigned(env, old, "job", "p"));
    zs_test_core_forget(&env->io);
    s_leave(env, old);
    ZS_EXPECT(ok, s_elected(env, "planner", "coder-1", "elected: lead 'planner-1' left"));
    //  First every worker hears its lead is gone, then the new lead's team forms
    ZS_EXPECT(ok, s_told(env, first, "worker", NULL, false, "", "planner-1"));
    ZS_EXPECT(ok, s_told(env, second, "worker", NULL, false, "", "planner-1"));
    ZS_EXPECT(ok, s_told(env, spare, "worker", NULL, false, "", "planner-1"));
    ZS_EXPECT(ok, s_told(env, first, "lead", NULL, true, "coder-2,planner-2", ""));
    ZS_EXPECT(ok, s_told(env, second, "worker", "coder-1", false, "coder-1", ""));
    ZS_EXPECT(ok, s_told(env, spare, "worker", "coder-1", false, "coder-1", ""));
    ZS_EXPECT(ok, s_assigned(env, first, "job", "p"));
    const zs_task_t *job = zs_tasks_find(&env->tasks, "job");
    ZS_EXPECT(ok, job && job->att == 2 && job->agent == first);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Members with no agent of the lead type elect the one registered longest ago once a
//  liveness period passed; the team's task waits until then
static void
test_leaderless_elects(void)
{
    s_env_t *env = s_env_new(S_TEAM);
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *first = s_join(env, "coder-1", "coder", 0);
    zs_test_core_advance(&env->io, 50);
    s_join(env, "coder-2", "coder", 1);
    s_task(env, "job", "planner", "p");
    zs_test_core_advance(&env->io, S_GRACE - 51);
    zs_teams_tick(&env->teams);
    ZS_EXPECT(ok, !zs_test_core_took(&env->io, ZS_TEST_PUBLISHED, ZS_MSG_EV_TEAM_ELECTED,
                                     NULL));
    ZS_EXPECT(ok, zs_tasks_find(&env->tasks, "job")->state == ZS_TASK_READY);
    zs_test_core_advance(&env->io, 1);
    zs_teams_tick(&env->teams);
    ZS_EXPECT(ok, s_elected(env, "planner", "coder-1",
                            "elected: no agent of the lead type came to lead"));
    ZS_EXPECT(ok, first->place.lead && s_assigned(env, first, "job", "p"));
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A ring task is a pipeline: stages ID.1, ID.2 and ID, each of the next ring type,
//  each given the previous one's output
static void
test_ring_pipeline(void)
{
    s_env_t *env = s_env_new(S_RING);
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *upper = s_join(env, "upper-1", "upper", 0);
    zs_agent_t *reverse = s_join(env, "reverse-1", "reverse", 1);
    zs_agent_t *bracket = s_join(env, "bracket-1", "bracket", 2);
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = "upper";
    submit.payload = (const uint8_t *) "hello";
    submit.payload_size = 5;
    zs_error_t err;
    ZS_EXPECT(ok, zs_teams_check(&env->teams, &submit, "r", &err) == 0);
    zs_task_t *last = zs_teams_ring_accept(&env->teams, &submit, "r", 1000, 1);
    ZS_EXPECT(ok, streq(last->id, "r") && streq(last->ttype, "bracket"));
    zs_graph_start(&env->graph, last);
    zs_teams_ring_start(&env->teams, "r");
    zs_graph_settle(&env->graph);
    ZS_EXPECT(ok, s_assigned(env, upper, "r.1", "hello"));
    ZS_EXPECT(ok, zs_tasks_find(&env->tasks, "r.2")->state == ZS_TASK_PENDING);
    s_result(env, upper, "r.1", "HELLO");
    ZS_EXPECT(ok, s_assigned(env, reverse, "r.2", "HELLO"));
    ZS_EXPECT(ok, last->state == ZS_TASK_PENDING);
    s_result(env, reverse, "r.2", "OLLEH");
    ZS_EXPECT(ok, s_assigned(env, bracket, "r", "OLLEH"));
    s_result(env, bracket, "r", "[OLLEH]");
    const zs_task_t *done = zs_tasks_find(&env->tasks, "r");
    ZS_EXPECT(ok, done && done->state == ZS_TASK_COMPLETED && done->result.out_size == 7);
    //  Its stage ids are taken now
    ZS_EXPECT(ok, zs_teams_check(&env->teams, &submit, "r", &err) == -1 &&
                      strstr(err.text, "task 'r.1' exists already"));
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"mesh_neighbours", test_mesh_neighbours},
    {"mesh_chunks", test_mesh_chunks},
    {"lost_set_resent", test_lost_set_resent},
    {"mesh_messages", test_mesh_messages},
    {"lead_delegates", test_lead_delegates},
    {"unlinked_refused", test_unlinked_refused},
    {"dead_lead_replaced", test_dead_lead_replaced},
    {"leaderless_elects", test_leaderless_elects},
    {"ring_pipeline", test_ring_pipeline},
};

ZS_TEST_MAIN(s_cases)
