//  test_submit - a client's submit through every part, in process: the coordinator's
//  parts over a recording io (zs_coord_parts_init), with no socket, loop or agent
//  process. Accepted, duplicate and refused submits, the bounds, fan-outs, rings and
//  waits, read from the replies and events recorded (zs_test_core.h)

#include <inttypes.h>

#include <unistd.h>

#include "coordinator/zs_coord_replay.h"
#include "coordinator/zs_coord_submit.h"
#include "tests/unit/zs_test.h"
#include "tests/unit/zs_test_core.h"
#include "tests/unit/zs_test_flow.h"

#define S_SWARM                                                                          \
    "name: t\n"                                                                          \
    "agents:\n"                                                                          \
    "  - {type: w, count: 0}\n"                                                          \
    "  - {type: sum, count: 0}\n"

#define S_RING                                                                           \
    "name: t\n"                                                                          \
    "topology: ring\n"                                                                   \
    "ring: [upper, reverse, bracket]\n"                                                  \
    "agents:\n"                                                                          \
    "  - {type: upper, count: 0}\n"                                                      \
    "  - {type: reverse, count: 0}\n"                                                    \
    "  - {type: bracket, count: 0}\n"

//  The coordinator's parts over a recording io
typedef struct {
    zs_swarm_t *swarm;       //  owned
    zs_test_core_t io;       //  records what the parts say; its own core is unused
    zs_coord_t coord;        //  its parts only: no broker, loop or supervisor
    zs_client_ref_t client;  //  a made-up control client
    char peers[4];           //  made-up sessions: &peers[i]
} s_env_t;

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
    zs_coord_parts_init(&env->coord, env->swarm, zs_test_core_io(), &env->io);
    zs_test_client(&env->client, "client");
    return env;
}

static void
s_env_destroy(s_env_t **env_p)
{
    s_env_t *env = *env_p;
    zs_coord_parts_fini(&env->coord);
    zs_test_core_fini(&env->io);
    zs_swarm_destroy(&env->swarm);
    free(env);
    *env_p = NULL;
}

//  A submit of ttype with payload (a string; NULL: none) under id (NULL: made up)
static zs_msg_t
s_submit_msg(const char *id, const char *ttype, const char *payload, uint64_t rid)
{
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.rid = rid;
    submit.task = id;
    submit.ttype = ttype;
    submit.payload = (const uint8_t *) payload;
    submit.payload_size = payload ? strlen(payload) : 0;
    return submit;
}

//  Submit msg from the client, then end the batch as the broker would
static void
s_submit(s_env_t *env, const zs_msg_t *msg)
{
    zs_core_asker_t asker = {&env->client, NULL};
    zs_coord_submit(&env->coord, &asker, msg);
    zs_coord_settle(&env->coord);
}

//  Took submit.ok for rid, naming task id (NULL: any) with dup; id_out (may be NULL)
//  gets the id it names
static bool
s_accepted(s_env_t *env, uint64_t rid, const char *id, bool dup, char *id_out)
{
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_REPLIED, ZS_MSG_SUBMIT_OK, &env->client);
    bool ok = said && said->msg.rid == rid && said->msg.dup == dup &&
              (!id || streq(said->msg.task, id));
    if (ok && id_out) {
        snprintf(id_out, ZS_MSG_NAME_MAX + 1, "%s", said->msg.task);
    }
    zs_test_said_destroy(&said);
    return ok;
}

//  Took an error for rid of code, with text in its why
static bool
s_refused(s_env_t *env, uint64_t rid, zs_err_code_t code, const char *text)
{
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_REPLIED, ZS_MSG_ERROR, &env->client);
    bool ok = said && said->msg.rid == rid && said->msg.code == (uint64_t) code &&
              strstr(said->msg.why, text);
    if (!ok) {
        fprintf(stderr, "  rid %" PRIu64 ": %" PRIu64 " '%s'\n", rid,
                said ? said->msg.code : 0, said ? said->msg.why : "no error");
    }
    zs_test_said_destroy(&said);
    return ok;
}

//  Took the event of type for task id
static bool
s_event(s_env_t *env, zs_msg_type_t type, const char *id)
{
    zs_test_said_t *said = zs_test_core_take(&env->io, ZS_TEST_PUBLISHED, type, NULL);
    bool ok = said && streq(said->msg.task, id);
    zs_test_said_destroy(&said);
    return ok;
}

static zs_task_state_t
s_state(s_env_t *env, const char *id)
{
    const zs_task_t *task = zs_tasks_find(&env->coord.tasks, id);
    return task ? task->state : ZS_TASK_STATE_COUNT;
}

//  Register agent id of atype on made-up session n, and give it work
static zs_agent_t *
s_agent(s_env_t *env, const char *id, const char *atype, int n)
{
    zs_agent_t *agent =
        zs_test_flow_agent(&env->coord.dispatch, id, atype, 1, &env->peers[n]);
    zs_dispatch_feed(&env->coord.dispatch, agent);
    return agent;
}

//  The agent's ok task.result for its current attempt of id, with out
static void
s_result(s_env_t *env, zs_agent_t *agent, const char *id, const char *out)
{
    zs_test_flow_result(&env->coord.dispatch, agent, id, 0, "ok", out);
    zs_coord_settle(&env->coord);
}

//  Normal use: a submit is accepted as one ready task, answered submit.ok with its id
//  and announced task.ready; one that names no id gets one made up
static void
test_plain_submit(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env);
    bool ok = true;
    zs_msg_t submit = s_submit_msg("t1", "w", "hi", 1);
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_accepted(env, 1, "t1", false, NULL));
    ZS_EXPECT(ok, s_event(env, ZS_MSG_EV_TASK_READY, "t1"));
    const zs_task_t *task = zs_tasks_find(&env->coord.tasks, "t1");
    ZS_EXPECT(ok, task && task->state == ZS_TASK_READY && task->payload_size == 2);
    ZS_EXPECT(ok, task->tmo_ms == env->swarm->task_timeout_ms &&
                      task->tries == env->swarm->task_retries + 1);
    submit = s_submit_msg(NULL, "w", "hi", 2);
    submit.tmo = 500;
    submit.tries = 1;
    s_submit(env, &submit);
    char made[ZS_MSG_NAME_MAX + 1] = "";
    ZS_EXPECT(ok, s_accepted(env, 2, NULL, false, made));
    ZS_EXPECT(ok, s_event(env, ZS_MSG_EV_TASK_READY, made));
    task = zs_tasks_find(&env->coord.tasks, made);
    ZS_EXPECT(ok, task && task->tmo_ms == 500 && task->tries == 1);
    ZS_EXPECT(ok, env->coord.core.counts.submitted == 2);
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A submit under an id that exists is answered dup and makes nothing, whether the
//  task runs or ended and is kept
static void
test_duplicate(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env);
    bool ok = true;
    zs_msg_t submit = s_submit_msg("t", "w", "first", 1);
    s_submit(env, &submit);
    zs_test_core_forget(&env->io);
    submit = s_submit_msg("t", "w", "second", 2);
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_accepted(env, 2, "t", true, NULL));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    zs_agent_t *agent = s_agent(env, "w-1", "w", 0);
    s_result(env, agent, "t", "out");
    ZS_EXPECT(ok, s_state(env, "t") == ZS_TASK_COMPLETED);
    zs_test_core_forget(&env->io);
    submit.rid = 3;
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_accepted(env, 3, "t", true, NULL));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    ZS_EXPECT(ok, env->coord.core.counts.submitted == 1);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Fields out of the protocol's bounds are refused INVALID, each with its reason, and
//  make nothing
static void
test_invalid_fields(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env);
    bool ok = true;
    const char *bad_name[] = {"gpu box"};
    const char *deps[ZS_MSG_DEPS_MAX + 1];
    for (size_t i = 0; i <= ZS_MSG_DEPS_MAX; i++) {
        deps[i] = "d";
    }
    zs_msg_t submit = s_submit_msg("bad id", "w", "p", 1);
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_refused(env, 1, ZS_ERR_INVALID, "task id must be"));
    submit = s_submit_msg("t", "w w", "p", 2);
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_refused(env, 2, ZS_ERR_INVALID, "task types, agg and requires"));
    submit = s_submit_msg("t", "w", "p", 3);
    submit.requires = (zs_msg_list_t){bad_name, 1};
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_refused(env, 3, ZS_ERR_INVALID, "task types, agg and requires"));
    submit = s_submit_msg("t", "w", "p", 4);
    submit.tmo = ZS_MSG_TMO_MAX + 1;
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_refused(env, 4, ZS_ERR_INVALID, "tmo above 86400000 ms"));
    submit = s_submit_msg("t", "w", "p", 5);
    submit.tries = ZS_MSG_TRIES_MAX + 1;
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_refused(env, 5, ZS_ERR_INVALID, "tries above 101"));
    submit = s_submit_msg("t", "w", "p", 6);
    submit.deps = (zs_msg_list_t){deps, ZS_MSG_DEPS_MAX + 1};
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_refused(env, 6, ZS_ERR_INVALID, "more than 64 deps"));
    submit = s_submit_msg("t", "w", "p", 7);
    submit.strategy = "fastest";
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_refused(env, 7, ZS_ERR_INVALID, "unknown strategy"));
    //  At the bounds: accepted
    submit = s_submit_msg("t", "w", "p", 8);
    submit.tmo = ZS_MSG_TMO_MAX;
    submit.tries = ZS_MSG_TRIES_MAX;
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_accepted(env, 8, "t", false, NULL));
    ZS_EXPECT(ok, env->coord.core.counts.submitted == 1);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Past tasks.max_queue unfinished tasks (a fan-out counts its items and aggregate)
//  or tasks.max_queue_bytes, a submit is refused QUEUE_FULL naming the bound
static void
test_queue_full(void)
{
    s_env_t *env = s_env_new(S_SWARM "tasks: {max_queue: 3}\n");
    ZS_CHECK(env);
    bool ok = true;
    zs_msg_t submit = s_submit_msg("t", "w", "p", 1);
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_accepted(env, 1, "t", false, NULL));
    const zs_msg_bin_t items[] = {{(const uint8_t *) "1", 1}, {(const uint8_t *) "2", 1}};
    submit = s_submit_msg("f", "w", NULL, 2);
    submit.items = (zs_msg_bins_t){items, 2};
    submit.agg = "sum";
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_refused(env, 2, ZS_ERR_QUEUE_FULL, "more than 3 (tasks.max_queue)"));
    ZS_EXPECT(ok, !zs_tasks_find(&env->coord.tasks, "f.1"));
    submit.items.count = 1;
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_accepted(env, 2, "f", false, NULL));
    s_env_destroy(&env);

    env = s_env_new(S_SWARM "tasks: {max_queue_bytes: 1048576}\n");
    ZS_CHECK(env);
    char *payload = zs_malloc(600001);
    memset(payload, 'p', 600000);
    payload[600000] = '\0';
    submit = s_submit_msg("a", "w", payload, 3);
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_accepted(env, 3, "a", false, NULL));
    submit = s_submit_msg("b", "w", payload, 4);
    s_submit(env, &submit);
    free(payload);
    ZS_EXPECT(ok, s_refused(env, 4, ZS_ERR_QUEUE_FULL,
                            "more than 1048576 bytes (tasks.max_queue_bytes)"));
    ZS_EXPECT(ok, !zs_tasks_find(&env->coord.tasks, "b"));
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A fan-out makes its items ID.1 .. ID.N, ready, and its aggregate ID, pending;
//  submit.ok names the aggregate
static void
test_fan_out(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env);
    bool ok = true;
    const zs_msg_bin_t items[] = {{(const uint8_t *) "1", 1},
                                  {(const uint8_t *) "2", 1},
                                  {(const uint8_t *) "3", 1}};
    zs_msg_t submit = s_submit_msg("f", "w", NULL, 1);
    submit.items = (zs_msg_bins_t){items, 3};
    submit.agg = "sum";
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_accepted(env, 1, "f", false, NULL));
    ZS_EXPECT(ok, s_event(env, ZS_MSG_EV_TASK_PENDING, "f"));
    ZS_EXPECT(ok, s_event(env, ZS_MSG_EV_TASK_READY, "f.1") &&
                      s_event(env, ZS_MSG_EV_TASK_READY, "f.2") &&
                      s_event(env, ZS_MSG_EV_TASK_READY, "f.3"));
    const zs_task_t *aggregate = zs_tasks_find(&env->coord.tasks, "f");
    ZS_EXPECT(ok, aggregate && streq(aggregate->ttype, "sum") &&
                      aggregate->graph.aggregate && aggregate->graph.deps_left == 3);
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    ZS_EXPECT(ok, env->coord.core.counts.submitted == 4);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A ring task makes its stages ID.1, ID.2 and ID, the first ready with the payload;
//  a later stage's type is refused FORBIDDEN
static void
test_ring(void)
{
    s_env_t *env = s_env_new(S_RING);
    ZS_CHECK(env);
    bool ok = true;
    zs_msg_t submit = s_submit_msg("r", "upper", "hello", 1);
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_accepted(env, 1, "r", false, NULL));
    ZS_EXPECT(ok, s_event(env, ZS_MSG_EV_TASK_READY, "r.1"));
    ZS_EXPECT(ok, s_state(env, "r.1") == ZS_TASK_READY);
    ZS_EXPECT(ok, s_state(env, "r.2") == ZS_TASK_PENDING &&
                      s_state(env, "r") == ZS_TASK_PENDING);
    const zs_task_t *first = zs_tasks_find(&env->coord.tasks, "r.1");
    ZS_EXPECT(ok, first && first->payload_size == 5 && streq(first->ttype, "upper"));
    ZS_EXPECT(ok, streq(zs_tasks_find(&env->coord.tasks, "r.2")->ttype, "reverse") &&
                      streq(zs_tasks_find(&env->coord.tasks, "r")->ttype, "bracket"));
    ZS_EXPECT(ok, env->coord.core.counts.submitted == 3);
    submit = s_submit_msg("s", "reverse", "x", 2);
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_refused(env, 2, ZS_ERR_FORBIDDEN, "ring stage 2"));
    ZS_EXPECT(ok, env->coord.core.counts.forbidden == 1);
    //  Inputs are the first stage's: the others take the stage before them
    submit = s_submit_msg("in", "upper", "y", 3);
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_accepted(env, 3, "in", false, NULL));
    const char *inputs[] = {"in"};
    submit = s_submit_msg("t", "upper", NULL, 4);
    submit.inputs = (zs_msg_list_t){inputs, 1};
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_accepted(env, 4, "t", false, NULL));
    ZS_EXPECT(ok, zs_tasks_find(&env->coord.tasks, "t.1")->graph.input_count == 1 &&
                      zs_tasks_find(&env->coord.tasks, "t.2")->graph.input_count == 0 &&
                      zs_tasks_find(&env->coord.tasks, "t")->graph.input_count == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A submit with wait is answered submit.ok at once and wait.ok, same rid, when its
//  task ends; a duplicate with wait of a final task gets both at once
static void
test_submit_and_wait(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env);
    bool ok = true;
    zs_msg_t submit = s_submit_msg("t", "w", "p", 9);
    submit.wait = true;
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_accepted(env, 9, "t", false, NULL));
    ZS_EXPECT(ok, !zs_test_core_took(&env->io, ZS_TEST_REPLIED, ZS_MSG_WAIT_OK, NULL));
    zs_agent_t *agent = s_agent(env, "w-1", "w", 0);
    s_result(env, agent, "t", "done");
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_REPLIED, ZS_MSG_WAIT_OK, &env->client);
    ZS_EXPECT(ok, said && said->msg.rid == 9 && streq(said->msg.task, "t"));
    ZS_EXPECT(ok, streq(said->msg.state, "completed") && said->msg.out_size == 4 &&
                      memcmp(said->msg.out, "done", 4) == 0);
    zs_test_said_destroy(&said);
    submit.rid = 10;
    s_submit(env, &submit);
    ZS_EXPECT(ok, s_accepted(env, 10, "t", true, NULL));
    said = zs_test_core_take(&env->io, ZS_TEST_REPLIED, ZS_MSG_WAIT_OK, &env->client);
    ZS_EXPECT(ok, said && said->msg.rid == 10);
    zs_test_said_destroy(&said);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A journal gives a task back the result of its input, evicted since it completed
//  (keep_results 0), and its checkpoint
static void
test_replay_inputs_and_checkpoint(void)
{
    char dir[] = "/tmp/zs-test-submit-XXXXXX", path[64], yaml[256];
    ZS_CHECK(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/j", dir);
    snprintf(yaml, sizeof yaml, S_SWARM "tasks: {keep_results: 0}\njournal: {path: %s}\n",
             path);
    s_env_t *env = s_env_new(yaml);
    zs_error_t err;
    ZS_CHECK(env && zs_coord_replay(&env->coord, ZS_JOURNAL_REFUSE, &err) == 0);
    bool ok = true;
    zs_msg_t submit = s_submit_msg("a", "w", "x", 1);
    s_submit(env, &submit);
    submit = s_submit_msg("b", "sum", NULL, 2);
    const char *inputs[] = {"a"};
    submit.inputs = (zs_msg_list_t){inputs, 1};
    s_submit(env, &submit);
    s_result(env, s_agent(env, "w-1", "w", 0), "a", "alpha");
    zs_task_t *task = zs_tasks_find(&env->coord.tasks, "b");
    ZS_EXPECT(ok, !zs_tasks_find(&env->coord.tasks, "a") && task->state == ZS_TASK_READY);
    zs_task_set_checkpoint(task, (const uint8_t *) "ck", 2);
    zs_durable_checkpoint(&env->coord.durable, task);
    zs_coord_settle(&env->coord);
    s_env_destroy(&env);

    env = s_env_new(yaml);
    ZS_CHECK(env && zs_coord_replay(&env->coord, ZS_JOURNAL_REFUSE, &err) == 0);
    task = zs_tasks_find(&env->coord.tasks, "b");
    const char *dep = NULL;
    const zs_task_part_t *part = task ? zs_task_input(task, 0, &dep) : NULL;
    ZS_EXPECT(ok, task && task->state == ZS_TASK_READY && part && streq(dep, "a"));
    ZS_EXPECT(ok, part && part->size == 5 && memcmp(part->data, "alpha", 5) == 0);
    ZS_EXPECT(ok, task && task->ckpt_size == 2 && memcmp(task->ckpt, "ck", 2) == 0);
    s_env_destroy(&env);
    ZS_CHECK(unlink(path) == 0 && rmdir(dir) == 0);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"plain_submit", test_plain_submit},
    {"duplicate", test_duplicate},
    {"invalid_fields", test_invalid_fields},
    {"queue_full", test_queue_full},
    {"fan_out", test_fan_out},
    {"ring", test_ring},
    {"submit_and_wait", test_submit_and_wait},
    {"replay_inputs_and_checkpoint", test_replay_inputs_and_checkpoint},
};

ZS_TEST_MAIN(s_cases)
