//  test_dispatch - from ready tasks to agents, in process: assignment, results, retries,
//  timeouts, cancels, lost agents and auctions, with the core's outputs recorded and
//  its clock and timers in the test's hands (zs_test_core.h)

#include "coordinator/flow/zs_dispatch.h"
#include "tests/unit/zs_test.h"
#include "tests/unit/zs_test_core.h"
#include "tests/unit/zs_test_flow.h"

#define S_SWARM                                                                          \
    "name: t\n"                                                                          \
    "heartbeat: {interval_ms: 100}\n"                                                    \
    "agents:\n"                                                                          \
    "  - {type: w, count: 0}\n"

#define S_AUCTION                                                                        \
    "name: t\n"                                                                          \
    "strategy: auction\n"                                                                \
    "auction_ms: 50\n"                                                                   \
    "agents:\n"                                                                          \
    "  - {type: w, count: 0}\n"

//  A dispatch over a recorded core, and what ended
typedef struct {
    zs_swarm_t *swarm;  //  owned
    zs_test_core_t io;  //  the recorded core
    zs_tasks_t tasks;   //  the task table
    zs_dispatch_t dispatch;
    char ended[16][ZS_MSG_NAME_MAX + 1];  //  ids of the tasks that ended, in order
    size_t ended_count;                   //  items in ended
    char peers[8];                        //  made-up sessions: &peers[i]
} s_env_t;

//  What the coordinator does when a task ends, less the parts this test has not
static void
s_ended(void *ctx, zs_task_t *task)
{
    s_env_t *env = ctx;
    snprintf(env->ended[env->ended_count++ % 16], sizeof env->ended[0], "%s", task->id);
    zs_tasks_ended(&env->tasks, task);
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
    s_env_t *env = zs_calloc(1, sizeof *env);
    env->swarm = zs_test_swarm(yaml);
    zs_test_core_init(&env->io, env->swarm);
    static const zs_core_hooks_t hooks = {NULL, s_ended, s_settle};
    zs_core_set_hooks(&env->io.core, &hooks, env);
    zs_tasks_init(&env->tasks, &env->io.core);
    zs_dispatch_init(&env->dispatch, &env->io.core, &env->tasks, NULL);
    return env;
}

static void
s_env_destroy(s_env_t **env_p)
{
    s_env_t *env = *env_p;
    zs_dispatch_fini(&env->dispatch);
    zs_tasks_fini(&env->tasks);
    zs_test_core_fini(&env->io);
    zs_swarm_destroy(&env->swarm);
    free(env);
    *env_p = NULL;
}

//  Register agent id of type w with concurrency conc on made-up session number n
static zs_agent_t *
s_agent(s_env_t *env, const char *id, unsigned conc, int n)
{
    return zs_test_flow_agent(&env->dispatch, id, "w", conc, &env->peers[n]);
}

//  Accept a task of type w and make it ready, as a submit would
static zs_task_t *
s_task(s_env_t *env, const char *id, unsigned tries)
{
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = "w";
    submit.payload = (const uint8_t *) "p";
    submit.payload_size = 1;
    zs_task_t *task = zs_tasks_accept(&env->tasks, &submit, id, 1000, tries);
    zs_dispatch_ready(&env->dispatch, task);
    zs_dispatch_type(&env->dispatch, "w");
    return task;
}

//  The agent's task.result for task's current attempt, with status
static void
s_result(
    s_env_t *env, zs_agent_t *agent, const char *id, unsigned att, const char *status)
{
    zs_test_flow_result(&env->dispatch, agent, id, att, status, "out");
}

static bool
s_event(s_env_t *env, zs_msg_type_t type, const char *task)
{
    zs_test_said_t *said = zs_test_core_take(&env->io, ZS_TEST_PUBLISHED, type, NULL);
    bool ok = said && streq(said->msg.task, task);
    zs_test_said_destroy(&said);
    return ok;
}

//  Normal use: a ready task goes to the agent with room, is assigned and announced;
//  its result completes it
static void
test_assign_and_complete(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env->swarm);
    zs_agent_t *agent = s_agent(env, "w-1", 1, 0);
    zs_task_t *task = s_task(env, "t1", 1);
    zs_test_said_t *assign =
        zs_test_core_take(&env->io, ZS_TEST_SENT, ZS_MSG_TASK_ASSIGN, agent->peer);
    bool ok = assign && streq(assign->msg.task, "t1") && assign->msg.att == 1 &&
              assign->msg.payload_size == 1 && assign->msg.tmo == 1000;
    zs_test_said_destroy(&assign);
    ok = ok && task->state == ZS_TASK_ASSIGNED && agent->load == 1;
    ok = ok && s_event(env, ZS_MSG_EV_TASK_READY, "t1") &&
         s_event(env, ZS_MSG_EV_TASK_ASSIGNED, "t1");
    //  A second task waits: the agent is full
    zs_task_t *second = s_task(env, "t2", 1);
    ok = ok && second->state == ZS_TASK_READY && s_event(env, ZS_MSG_EV_TASK_READY, "t2");
    s_result(env, agent, "t1", 1, "ok");
    ok = ok && env->ended_count == 1 && streq(env->ended[0], "t1");
    ok = ok && env->io.core.counts.completed == 1 && agent->done == 1;
    //  The freed slot takes the waiting task at once
    ok = ok && second->state == ZS_TASK_ASSIGNED &&
         zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_TASK_ASSIGN, agent->peer);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A failed attempt is retried while tries are left, then the task is dead; a result
//  for another attempt is late and changes nothing
static void
test_retry_then_dead(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env->swarm);
    zs_agent_t *agent = s_agent(env, "w-1", 1, 0);
    zs_task_t *task = s_task(env, "t", 2);
    s_result(env, agent, "t", 7, "ok");
    bool ok = env->io.core.counts.late == 1 && task->state == ZS_TASK_ASSIGNED;
    s_result(env, agent, "t", 1, "fail");
    //  Queued again, and the agent whose slot the result freed takes it back
    ok = ok && s_event(env, ZS_MSG_EV_TASK_FAILED, "t") &&
         s_event(env, ZS_MSG_EV_TASK_READY, "t");
    ok = ok && task->state == ZS_TASK_ASSIGNED && task->att == 2;
    s_result(env, agent, "t", 2, "fail");
    ok = ok && env->ended_count == 1 && env->io.core.counts.dead == 1 &&
         agent->failed == 2;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A failure the agent says is final ends the task with tries left; a final ok is ok
static void
test_final_failure(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env->swarm);
    zs_agent_t *agent = s_agent(env, "w-1", 1, 0);
    zs_task_t *task = s_task(env, "t", 3);
    zs_msg_t result;
    zs_msg_init(&result, ZS_MSG_TASK_RESULT);
    result.task = "t";
    result.att = 1;
    result.status = "fail";
    result.why = "'a': http 400 invalid_request_error";
    result.final = true;
    bool ok = task->att == 1;
    zs_test_core_forget(&env->io);
    zs_dispatch_result(&env->dispatch, agent, &result);
    ok = ok && env->ended_count == 1 && streq(env->ended[0], "t") &&
         env->io.core.counts.dead == 1 && agent->failed == 1;
    ok = ok && !zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_TASK_ASSIGN, agent->peer);
    s_task(env, "u", 3);
    result.task = "u";
    result.status = "ok";
    zs_dispatch_result(&env->dispatch, agent, &result);
    ok = ok && env->ended_count == 2 && env->io.core.counts.completed == 1;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  No result within the task's timeout plus two heartbeats: the agent is told to
//  cancel, and the attempt fails as timed out
static void
test_timeout(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env->swarm);
    zs_agent_t *agent = s_agent(env, "w-1", 1, 0);
    zs_task_t *task = s_task(env, "t", 1);
    zs_test_core_advance(&env->io, 1000 + 2 * 100);
    zs_dispatch_tick(&env->dispatch);
    bool ok = task->state == ZS_TASK_ASSIGNED;  //  exactly at the deadline: not yet
    zs_test_core_advance(&env->io, 1);
    zs_dispatch_tick(&env->dispatch);
    zs_test_said_t *cancel =
        zs_test_core_take(&env->io, ZS_TEST_SENT, ZS_MSG_TASK_CANCEL, agent->peer);
    ok = ok && cancel && streq(cancel->msg.task, "t") && cancel->msg.att == 1;
    zs_test_said_destroy(&cancel);
    ok = ok && env->ended_count == 1 && env->io.core.counts.dead == 1;
    const zs_task_t *ended = zs_tasks_find(&env->tasks, "t");
    ok = ok && ended && streq(ended->result.status, "timeout") &&
         strstr(ended->result.why, "no result within 1000 ms");
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A cancelled task leaves its agent, which is told, and ends cancelled; a queued one
//  leaves its queue
static void
test_cancel(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env->swarm);
    zs_agent_t *agent = s_agent(env, "w-1", 1, 0);
    zs_task_t *running = s_task(env, "a", 1);
    zs_task_t *queued = s_task(env, "b", 1);
    zs_dispatch_cancel(&env->dispatch, queued, "by a test");
    bool ok = env->ended_count == 1 && streq(env->ended[0], "b") &&
              zs_sched_queued(env->dispatch.sched) == 0;
    zs_dispatch_cancel(&env->dispatch, running, "by a test");
    ok = ok && env->ended_count == 2 && agent->load == 0 &&
         zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_TASK_CANCEL, agent->peer);
    ok = ok && env->io.core.counts.cancelled == 2;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A lost agent's attempts fail and go to another agent
static void
test_lost_agent(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env->swarm);
    zs_agent_t *first = s_agent(env, "w-1", 1, 0);
    zs_task_t *task = s_task(env, "t", 2);
    bool ok = task->agent == first;
    zs_agent_t *second = s_agent(env, "w-2", 1, 1);
    zs_dispatch_lost(&env->dispatch, first, "gone in a test");
    zs_registry_remove(env->dispatch.registry, &first);
    zs_core_settle(&env->io.core);
    ok = ok && task->agent == second && task->att == 2 &&
         strstr(task->result.why, "gone in a test");
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Under auction a task is offered to every capable agent with room; the lowest bid
//  wins once every agent bid, or the least loaded when the deadline passes
static void
test_auction(void)
{
    s_env_t *env = s_env_new(S_AUCTION);
    ZS_CHECK(env->swarm);
    zs_agent_t *a = s_agent(env, "w-1", 2, 0);
    zs_agent_t *b = s_agent(env, "w-2", 2, 1);
    zs_task_t *task = s_task(env, "t", 1);
    bool ok = zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_TASK_OFFER, a->peer) &&
              zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_TASK_OFFER, b->peer);
    zs_msg_t bid;
    zs_msg_init(&bid, ZS_MSG_TASK_BID);
    bid.task = "t";
    bid.bid = 9;
    zs_dispatch_bid(&env->dispatch, a, &bid);
    ok = ok && task->state == ZS_TASK_READY;
    bid.bid = 3;
    zs_dispatch_bid(&env->dispatch, b, &bid);
    ok = ok && task->agent == b;
    //  Nobody bids for the next: at the deadline the least loaded takes it
    zs_task_t *late = s_task(env, "u", 1);
    zs_test_core_advance(&env->io, 49);
    ok = ok && late->state == ZS_TASK_READY;
    zs_test_core_advance(&env->io, 1);
    ok = ok && late->agent == a;
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"assign_and_complete", test_assign_and_complete},
    {"retry_then_dead", test_retry_then_dead},
    {"final_failure", test_final_failure},
    {"timeout", test_timeout},
    {"cancel", test_cancel},
    {"lost_agent", test_lost_agent},
    {"auction", test_auction},
};

ZS_TEST_MAIN(s_cases)
