//  test_graph - task graphs in process: dependencies released in order, a fan-out's
//  results joined for its aggregate, failures that doom dependants however long the
//  chain, the refusals of zs_graph_check, and the swarm file's workflow (zs_test_core.h
//  records what the graph and dispatch said)

#include <pthread.h>

#include "coordinator/flow/zs_graph.h"
#include "tests/unit/zs_test.h"
#include "tests/unit/zs_test_core.h"
#include "tests/unit/zs_test_flow.h"

#define S_SWARM                                                                          \
    "name: t\n"                                                                          \
    "agents:\n"                                                                          \
    "  - {type: w, count: 0}\n"                                                          \
    "  - {type: sum, count: 0}\n"

#define S_CHAIN 10000  //  tasks in the chain a failure dooms
#define S_STACK                                                                          \
    (512u << 10)  //  stack of the thread that dooms it: a few frames per
                  //  link would pass it long before the chain's end

//  Graphs over dispatch over a recorded core
typedef struct {
    zs_swarm_t *swarm;  //  owned
    zs_test_core_t io;  //  the recorded core
    zs_tasks_t tasks;   //  the task table
    zs_dispatch_t dispatch;
    zs_graph_t graph;  //  the part under test
    char peers[8];     //  made-up sessions: &peers[i]
} s_env_t;

//  What the coordinator does when a task ends, less the journal and teams
static void
s_ended(void *ctx, zs_task_t *task)
{
    s_env_t *env = ctx;
    zs_tasks_ended(&env->tasks, task);
    zs_core_publish_task(&env->io.core, task, task->result.why);
    zs_tasks_answer(&env->tasks, task);
    zs_graph_final(&env->graph, task);
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
    return env;
}

static void
s_env_destroy(s_env_t **env_p)
{
    s_env_t *env = *env_p;
    zs_graph_fini(&env->graph);
    zs_dispatch_fini(&env->dispatch);
    zs_tasks_fini(&env->tasks);
    zs_test_core_fini(&env->io);
    zs_swarm_destroy(&env->swarm);
    free(env);
    *env_p = NULL;
}

//  Register agent id of type atype with concurrency conc on made-up session number n
static zs_agent_t *
s_agent(s_env_t *env, const char *id, const char *atype, unsigned conc, int n)
{
    return zs_test_flow_agent(&env->dispatch, id, atype, conc, &env->peers[n]);
}

//  A submit of ttype under id, waiting for deps (count items)
static zs_msg_t
s_submit_msg(const char *id, const char *ttype, const char **deps, size_t count)
{
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.task = id;
    submit.ttype = ttype;
    submit.payload = (const uint8_t *) "p";
    submit.payload_size = 1;
    submit.deps = (zs_msg_list_t){deps, count};
    return submit;
}

//  Check, accept and start a submit as zs_coord_submit does: 0, or -1 with err
static int
s_submit(s_env_t *env, const zs_msg_t *submit, zs_error_t *err)
{
    if (zs_graph_check(&env->graph, submit, submit->task, err) != 0) {
        return -1;
    }
    zs_task_t *task = submit->items.count
                          ? zs_graph_fan_out(&env->graph, submit, submit->task, 1000, 1)
                          : zs_tasks_accept(&env->tasks, submit, submit->task, 1000, 1);
    zs_graph_start(&env->graph, task);
    zs_graph_start_items(&env->graph, submit->task, submit->items.count);
    zs_graph_settle(&env->graph);
    return 0;
}

//  A task of type w under id waiting for deps (count items), the checks passed
static void
s_task(s_env_t *env, const char *id, const char **deps, size_t count)
{
    zs_msg_t submit = s_submit_msg(id, "w", deps, count);
    zs_error_t err;
    if (s_submit(env, &submit, &err) != 0) {
        fprintf(stderr, "  submit '%s': %s\n", id, err.text);
    }
}

//  The agent's task.result for its current attempt of id, with status and out
static void
s_result(
    s_env_t *env, zs_agent_t *agent, const char *id, const char *status, const char *out)
{
    zs_test_flow_result(&env->dispatch, agent, id, 0, status, out);
}

//  The task.assign agent was sent next, if it is for task id
static bool
s_assigned(s_env_t *env, const zs_agent_t *agent, const char *id)
{
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_SENT, ZS_MSG_TASK_ASSIGN, agent->peer);
    bool ok = said && streq(said->msg.task, id);
    zs_test_said_destroy(&said);
    return ok;
}

static zs_task_state_t
s_state(s_env_t *env, const char *id)
{
    const zs_task_t *task = zs_tasks_find(&env->tasks, id);
    return task ? task->state : ZS_TASK_STATE_COUNT;
}

static const char *
s_why(s_env_t *env, const char *id)
{
    const zs_task_t *task = zs_tasks_find(&env->tasks, id);
    return task && task->result.why ? task->result.why : "";
}

//  Normal use: a chain a <- b <- c; each task is pending until the one it depends on
//  completes, then assigned, in the chain's order
static void
test_chain_in_order(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *agent = s_agent(env, "w-1", "w", 3, 0);
    const char *on_a[] = {"a"}, *on_b[] = {"b"};
    s_task(env, "a", NULL, 0);
    s_task(env, "b", on_a, 1);
    s_task(env, "c", on_b, 1);
    ZS_EXPECT(ok, s_assigned(env, agent, "a"));
    ZS_EXPECT(ok, s_state(env, "b") == ZS_TASK_PENDING);
    ZS_EXPECT(ok, s_state(env, "c") == ZS_TASK_PENDING);
    ZS_EXPECT(
        ok, zs_test_core_took(&env->io, ZS_TEST_PUBLISHED, ZS_MSG_EV_TASK_PENDING, NULL));
    s_result(env, agent, "a", "ok", "A");
    ZS_EXPECT(ok, s_assigned(env, agent, "b"));
    ZS_EXPECT(ok, s_state(env, "c") == ZS_TASK_PENDING);
    s_result(env, agent, "b", "ok", "B");
    ZS_EXPECT(ok, s_assigned(env, agent, "c"));
    //  Dependencies order tasks and pass nothing: c's payload is its own
    ZS_EXPECT(ok, zs_tasks_find(&env->tasks, "c")->payload_size == 1);
    s_result(env, agent, "c", "ok", "C");
    ZS_EXPECT(ok, env->io.core.counts.completed == 3 && env->tasks.unfinished == 0);
    ZS_EXPECT(ok, !zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_TASK_ASSIGN, NULL));
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A fan-out's aggregate waits for every item and is assigned their stdout joined in
//  item order, whatever order they completed in
static void
test_fan_out_joined(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *worker = s_agent(env, "w-1", "w", 3, 0);
    zs_agent_t *summer = s_agent(env, "sum-1", "sum", 1, 1);
    zs_msg_t submit = s_submit_msg("f", "w", NULL, 0);
    const zs_msg_bin_t items[] = {{(const uint8_t *) "1", 1},
                                  {(const uint8_t *) "2", 1},
                                  {(const uint8_t *) "3", 1}};
    submit.payload = NULL;
    submit.payload_size = 0;
    submit.items = (zs_msg_bins_t){items, 3};
    submit.agg = "sum";
    zs_error_t err;
    ZS_EXPECT(ok, s_submit(env, &submit, &err) == 0);
    ZS_EXPECT(ok, s_assigned(env, worker, "f.1") && s_assigned(env, worker, "f.2") &&
                      s_assigned(env, worker, "f.3"));
    ZS_EXPECT(ok, s_state(env, "f") == ZS_TASK_PENDING);
    s_result(env, worker, "f.3", "ok", "three.");
    s_result(env, worker, "f.1", "ok", "one,");
    ZS_EXPECT(ok, s_state(env, "f") == ZS_TASK_PENDING);
    ZS_EXPECT(ok, !zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_TASK_ASSIGN, NULL));
    s_result(env, worker, "f.2", "ok", "two,");
    zs_test_said_t *assign =
        zs_test_core_take(&env->io, ZS_TEST_SENT, ZS_MSG_TASK_ASSIGN, summer->peer);
    ZS_EXPECT(ok,
              assign && streq(assign->msg.task, "f") && streq(assign->msg.ttype, "sum"));
    ZS_EXPECT(ok, assign->msg.payload_size == 14 &&
                      memcmp(assign->msg.payload, "one,two,three.", 14) == 0);
    zs_test_said_destroy(&assign);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Items whose results together pass the payload bound doom their aggregate
static void
test_fan_in_bound(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *worker = s_agent(env, "w-1", "w", 20, 0);
    enum { count = ZS_MSG_PAYLOAD_MAX / ZS_MSG_OUTPUT_MAX + 1 };
    zs_msg_bin_t items[count];
    for (size_t i = 0; i < count; i++) {
        items[i] = (zs_msg_bin_t){(const uint8_t *) "x", 1};
    }
    zs_msg_t submit = s_submit_msg("f", "w", NULL, 0);
    submit.payload = NULL;
    submit.payload_size = 0;
    submit.items = (zs_msg_bins_t){items, count};
    submit.agg = "sum";
    zs_error_t err;
    ZS_EXPECT(ok, s_submit(env, &submit, &err) == 0);
    char *out = zs_malloc(ZS_MSG_OUTPUT_MAX + 1);
    memset(out, 'o', ZS_MSG_OUTPUT_MAX);
    out[ZS_MSG_OUTPUT_MAX] = '\0';
    for (size_t i = 1; i <= count; i++) {
        char id[16];
        snprintf(id, sizeof id, "f.%zu", i);
        ZS_EXPECT(ok, s_state(env, "f") == ZS_TASK_PENDING);
        s_result(env, worker, id, "ok", out);
    }
    free(out);
    ZS_EXPECT(ok, s_state(env, "f") == ZS_TASK_DEAD);
    ZS_EXPECT(ok, streq(s_why(env, "f"), "the results of its items pass 1048576 bytes"));
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  The failure of the chain's first task, on a thread of its own
typedef struct {
    s_env_t *env;       //  borrowed
    zs_agent_t *agent;  //  runs the first task, borrowed
} s_chain_t;

static void *
s_fail_first(void *arg)
{
    s_chain_t *chain = arg;
    s_result(chain->env, chain->agent, "t0", "fail", NULL);
    return NULL;
}

//  Run fn (arg) on a thread whose stack is S_STACK bytes; false when there is no thread
static bool
s_on_small_stack(void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    pthread_t thread;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, S_STACK);
    bool ran = pthread_create(&thread, &attr, fn, arg) == 0;
    if (ran) {
        pthread_join(thread, NULL);
    }
    pthread_attr_destroy(&attr);
    return ran;
}

//  A dependency that fails dooms its dependants, theirs in turn, down a chain of
//  S_CHAIN tasks without a call per link on the stack
static void
test_failure_dooms_chain(void)
{
    s_env_t *env = s_env_new(S_SWARM "tasks: {keep_results: 20000}\n");
    ZS_CHECK(env);
    bool ok = true;
    s_chain_t chain = {env, s_agent(env, "w-1", "w", 1, 0)};
    char id[16], prev[16] = "";
    for (int i = 0; i < S_CHAIN; i++) {
        snprintf(id, sizeof id, "t%d", i);
        const char *deps[] = {prev};
        s_task(env, id, deps, i > 0);
        snprintf(prev, sizeof prev, "%s", id);
    }
    ZS_EXPECT(ok, s_state(env, id) == ZS_TASK_PENDING);
    ZS_EXPECT(ok, s_on_small_stack(s_fail_first, &chain));
    ZS_EXPECT(ok, s_state(env, "t0") == ZS_TASK_DEAD);
    ZS_EXPECT(ok, env->io.core.counts.dead == S_CHAIN && env->tasks.unfinished == 0);
    ZS_EXPECT(ok, streq(s_why(env, "t1"), "dependency 't0' dead"));
    snprintf(prev, sizeof prev, "t%d", S_CHAIN - 2);
    char why[64];
    snprintf(why, sizeof why, "dependency '%s' dead", prev);
    ZS_EXPECT(ok, s_state(env, id) == ZS_TASK_DEAD && streq(s_why(env, id), why));
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A dependency that ended before its dependant was submitted: completed releases it
//  at once, dead or cancelled dooms it at once
static void
test_dependency_ended_before(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *agent = s_agent(env, "w-1", "w", 1, 0);
    s_task(env, "done", NULL, 0);
    s_result(env, agent, "done", "ok", "out");
    s_task(env, "dead", NULL, 0);
    s_result(env, agent, "dead", "fail", NULL);
    s_task(env, "gone", NULL, 0);
    zs_dispatch_cancel(&env->dispatch, zs_tasks_find(&env->tasks, "gone"), "by a test");
    zs_test_core_forget(&env->io);
    const char *on_done[] = {"done"}, *on_dead[] = {"done", "dead"},
               *on_gone[] = {"gone"};
    s_task(env, "after-done", on_done, 1);
    ZS_EXPECT(ok, s_assigned(env, agent, "after-done"));
    s_task(env, "after-dead", on_dead, 2);
    ZS_EXPECT(ok, s_state(env, "after-dead") == ZS_TASK_DEAD);
    ZS_EXPECT(ok, streq(s_why(env, "after-dead"), "dependency 'dead' dead"));
    s_task(env, "after-gone", on_gone, 1);
    ZS_EXPECT(ok, s_state(env, "after-gone") == ZS_TASK_DEAD);
    ZS_EXPECT(ok, streq(s_why(env, "after-gone"), "dependency 'gone' cancelled"));
    ZS_EXPECT(ok, !zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_TASK_ASSIGN, NULL));
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  zs_graph_check on a submit under id: the code, and a piece of the text
static bool
s_refused(s_env_t *env, const zs_msg_t *msg, const char *id, int code, const char *text)
{
    zs_error_t err;
    zs_error_init(&err);
    bool ok = zs_graph_check(&env->graph, msg, id, &err) == -1 && err.code == code &&
              strstr(err.text, text);
    if (!ok) {
        fprintf(stderr, "  '%s': %d '%s'\n", id, err.code, err.text);
    }
    return ok;
}

//  What zs_graph_check refuses: a task that depends on itself, a dependency unknown,
//  items and agg apart, a payload beside items, item ids that exist or do not fit, and
//  an evicted item's id while its aggregate waits
static void
test_check_refusals(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *agent = s_agent(env, "w-1", "w", 4, 0);
    const char *self_dep[] = {"t"}, *unknown[] = {"nope"};
    zs_msg_t msg = s_submit_msg("t", "w", self_dep, 1);
    ZS_EXPECT(ok, s_refused(env, &msg, "t", ZS_ERR_INVALID, "cannot depend on itself"));
    msg.deps = (zs_msg_list_t){unknown, 1};
    ZS_EXPECT(ok, s_refused(env, &msg, "t", ZS_ERR_NO_TASK, "no task 'nope'"));

    const zs_msg_bin_t items[] = {{(const uint8_t *) "1", 1}, {(const uint8_t *) "2", 1}};
    msg = s_submit_msg("f", "w", NULL, 0);
    msg.items = (zs_msg_bins_t){items, 2};
    msg.agg = "sum";
    ZS_EXPECT(ok, s_refused(env, &msg, "f", ZS_ERR_INVALID, "a fan-out takes 'items'"));
    msg.payload = NULL;
    msg.payload_size = 0;
    zs_error_t err;
    ZS_EXPECT(ok, zs_graph_check(&env->graph, &msg, "f", &err) == 0);
    msg.agg = NULL;
    ZS_EXPECT(ok, s_refused(env, &msg, "f", ZS_ERR_INVALID, "'items' needs 'agg'"));
    msg.agg = "sum";
    msg.items = (zs_msg_bins_t){NULL, 0};
    ZS_EXPECT(ok, s_refused(env, &msg, "f", ZS_ERR_INVALID, "'agg' needs 'items'"));
    msg.items = (zs_msg_bins_t){items, 2};
    s_task(env, "f.2", NULL, 0);
    ZS_EXPECT(ok, s_refused(env, &msg, "f", ZS_ERR_INVALID, "task 'f.2' exists already"));
    char id[ZS_MSG_NAME_MAX + 1];
    memset(id, 'i', ZS_MSG_NAME_MAX - 1);
    id[ZS_MSG_NAME_MAX - 1] = '\0';
    ZS_EXPECT(ok, s_refused(env, &msg, id, ZS_ERR_INVALID, "no room for '.N'"));

    //  g.1 completed and was evicted; g still waits for g.2
    msg.items = (zs_msg_bins_t){items, 2};
    msg.task = "g";
    ZS_EXPECT(ok, s_submit(env, &msg, &err) == 0);
    ZS_EXPECT(ok, s_state(env, "g.1") == ZS_TASK_ASSIGNED);
    s_result(env, agent, "g.1", "ok", "");
    zs_task_t *item = zs_tasks_find(&env->tasks, "g.1");
    ZS_EXPECT(ok, item && item->state == ZS_TASK_COMPLETED);
    if (ok) {
        zs_tasks_forget(&env->tasks, item);
    }
    msg = s_submit_msg("g.1", "w", NULL, 0);
    ZS_EXPECT(ok, s_refused(env, &msg, "g.1", ZS_ERR_INVALID,
                            "an item of the fan-out 'g', which still waits"));
    ZS_EXPECT(ok, zs_graph_check(&env->graph, &msg, "h.1", &err) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

#define S_WORKFLOW                                                                       \
    "workflow:\n"                                                                        \
    "  - {id: index, type: w, deps: [parse]}\n"                                          \
    "  - {id: fetch, type: w, payload: url}\n"                                           \
    "  - {id: parse, type: w, deps: [fetch], timeout_ms: 5000, retries: 0}\n"

//  The swarm file's workflow is submitted each step after its dependencies, with the
//  step's own timeout and retries; a step known already is left alone
static void
test_workflow(void)
{
    s_env_t *env = s_env_new(S_SWARM "tasks: {retries: 3}\n" S_WORKFLOW);
    ZS_CHECK(env);
    bool ok = true;
    zs_graph_workflow(&env->graph);
    const zs_task_t *fetch = zs_tasks_find(&env->tasks, "fetch"),
                    *parse = zs_tasks_find(&env->tasks, "parse"),
                    *last = zs_tasks_find(&env->tasks, "index");
    ZS_EXPECT(ok, fetch && parse && last);
    ZS_EXPECT(ok, fetch->order < parse->order && parse->order < last->order);
    ZS_EXPECT(ok, fetch->state == ZS_TASK_READY && parse->state == ZS_TASK_PENDING &&
                      last->state == ZS_TASK_PENDING);
    ZS_EXPECT(ok, fetch->payload_size == 3 && memcmp(fetch->payload, "url", 3) == 0);
    ZS_EXPECT(ok, fetch->tries == 4 && fetch->tmo_ms == env->swarm->task_timeout_ms);
    ZS_EXPECT(ok, parse->tries == 1 && parse->tmo_ms == 5000);
    ZS_EXPECT(ok, env->io.core.counts.submitted == 3);
    s_env_destroy(&env);

    //  Known from a journal: fetch exists, so only parse and index are submitted
    env = s_env_new(S_SWARM S_WORKFLOW);
    ZS_CHECK(env);
    s_task(env, "fetch", NULL, 0);
    zs_graph_workflow(&env->graph);
    fetch = zs_tasks_find(&env->tasks, "fetch");
    ZS_EXPECT(ok, fetch && fetch->payload_size == 1);  //  the journal's, not the step's
    ZS_EXPECT(ok, zs_tasks_find(&env->tasks, "index"));
    ZS_EXPECT(ok, env->io.core.counts.submitted == 3);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A step the bounds refuse is skipped with the steps that depend on it, however small
//  they are; the others are submitted
static void
test_workflow_refused(void)
{
    //  A payload of 1,000 bytes that a journal's tasks leave no room for
    char *yaml = zs_malloc(4096);
    snprintf(yaml, 4096,
             S_SWARM "tasks: {max_queue_bytes: 1048576}\n"
                     "workflow:\n"
                     "  - {id: big, type: w, payload: '%01000d'}\n"
                     "  - {id: after, type: w, deps: [big]}\n"
                     "  - {id: other, type: w, payload: x}\n",
             0);
    s_env_t *env = s_env_new(yaml);
    free(yaml);
    ZS_CHECK(env);
    bool ok = true;
    char *payload = zs_malloc(ZS_MSG_PAYLOAD_MAX);
    memset(payload, 'p', ZS_MSG_PAYLOAD_MAX);
    zs_msg_t submit = s_submit_msg("journal", "w", NULL, 0);
    submit.payload = (const uint8_t *) payload;
    submit.payload_size = ZS_MSG_PAYLOAD_MAX - 1000 + 1;
    zs_tasks_accept(&env->tasks, &submit, "journal", 1000, 1);
    free(payload);
    zs_graph_workflow(&env->graph);
    ZS_EXPECT(ok, !zs_tasks_find(&env->tasks, "big"));
    ZS_EXPECT(ok, !zs_tasks_find(&env->tasks, "after"));
    ZS_EXPECT(ok, zs_tasks_find(&env->tasks, "other"));
    ZS_EXPECT(ok, env->io.core.counts.submitted == 2);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"chain_in_order", test_chain_in_order},
    {"fan_out_joined", test_fan_out_joined},
    {"fan_in_bound", test_fan_in_bound},
    {"failure_dooms_chain", test_failure_dooms_chain},
    {"dependency_ended_before", test_dependency_ended_before},
    {"check_refusals", test_check_refusals},
    {"workflow", test_workflow},
    {"workflow_refused", test_workflow_refused},
};

ZS_TEST_MAIN(s_cases)
