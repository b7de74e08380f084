//  test_tasks - the task table in process: final tasks kept and evicted (by count, bytes
//  and age), clients waiting for a task's end, the bytes unfinished and kept tasks hold,
//  the bounds a submit is checked against, and made-up ids (zs_test_core.h records
//  the replies and sets the wall clock)

#include <inttypes.h>

#include "coordinator/core/zs_tasks.h"
#include "coordinator/sched/zs_registry.h"
#include "tests/unit/zs_test.h"
#include "tests/unit/zs_test_core.h"

#define S_SWARM                                                                          \
    "name: t\n"                                                                          \
    "agents:\n"                                                                          \
    "  - {type: w, count: 0}\n"

//  A task table over a recorded core
typedef struct {
    zs_swarm_t *swarm;  //  owned
    zs_test_core_t io;  //  the recorded core
    zs_tasks_t tasks;   //  the table under test
} s_env_t;

//  What the coordinator does when a task ends, less the journal, graphs and teams: the
//  waiters are answered, then the task is kept (zs_coord.c, s_ended)
static void
s_ended(void *ctx, zs_task_t *task)
{
    s_env_t *env = ctx;
    zs_tasks_ended(&env->tasks, task);
    zs_tasks_answer(&env->tasks, task);
    zs_tasks_keep(&env->tasks, task);
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
    static const zs_core_hooks_t hooks = {NULL, s_ended, NULL};
    zs_core_set_hooks(&env->io.core, &hooks, env);
    zs_tasks_init(&env->tasks, &env->io.core);
    return env;
}

static void
s_env_destroy(s_env_t **env_p)
{
    s_env_t *env = *env_p;
    zs_tasks_fini(&env->tasks);
    zs_test_core_fini(&env->io);
    zs_swarm_destroy(&env->swarm);
    free(env);
    *env_p = NULL;
}

//  Accept task id of type w with payload (may be NULL) and tries attempts
static zs_task_t *
s_accept(s_env_t *env, const char *id, const char *payload, unsigned tries)
{
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = "w";
    submit.payload = (const uint8_t *) payload;
    submit.payload_size = payload ? strlen(payload) : 0;
    return zs_tasks_accept(&env->tasks, &submit, id, 1000, tries);
}

//  Give task's first attempt the outcome status with size bytes of stdout (a repeated
//  letter), as an agent's task.result would
static void
s_attempt(zs_task_t *task, const char *status, size_t size)
{
    uint8_t *out = zs_malloc(size + 1);
    memset(out, 'o', size);
    zs_task_apply(task, ZS_TASK_ASSIGN);
    task->att = 1;
    zs_msg_t result;
    zs_msg_init(&result, ZS_MSG_TASK_RESULT);
    result.status = status;
    result.out = size ? out : NULL;
    result.out_size = size;
    zs_task_set_result(task, &result);
    free(out);
}

//  Complete a ready task with size bytes of stdout; the hook may free it
static void
s_complete(s_env_t *env, zs_task_t *task, size_t size)
{
    s_attempt(task, "ok", size);
    zs_task_apply(task, ZS_TASK_SUCCEED);
    zs_core_ended(&env->io.core, task);
}

//  The reply of type to client, if it carries rid
static bool
s_replied(s_env_t *env, zs_msg_type_t type, const zs_client_ref_t *client, uint64_t rid)
{
    zs_test_said_t *said = zs_test_core_take(&env->io, ZS_TEST_REPLIED, type, client);
    bool ok = said && said->msg.rid == rid;
    zs_test_said_destroy(&said);
    return ok;
}

//  Normal use: a client waits for a task, and hears wait.ok with its result when the
//  task ends; the final task is kept, its input dropped, and a client that waits for it
//  then is answered at once
static void
test_wait_and_keep(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env);
    bool ok = true;
    zs_client_ref_t alice, bob;
    zs_test_client(&alice, "alice");
    zs_test_client(&bob, "bob");
    zs_task_t *task = s_accept(env, "t", "input", 1);
    ZS_EXPECT(ok, zs_tasks_wait(&env->tasks, task, &(zs_core_asker_t){&alice, NULL}, 7,
                                NULL) == 0);
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_complete(env, task, 3);
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_REPLIED, ZS_MSG_WAIT_OK, &alice);
    ZS_EXPECT(ok, said && said->msg.rid == 7 && streq(said->msg.task, "t"));
    ZS_EXPECT(ok, streq(said->msg.state, "completed") && streq(said->msg.status, "ok"));
    ZS_EXPECT(ok, said->msg.out_size == 3 && memcmp(said->msg.out, "ooo", 3) == 0);
    ZS_EXPECT(ok, said->msg.ended == (uint64_t) env->io.wall);
    zs_test_said_destroy(&said);
    task = zs_tasks_find(&env->tasks, "t");
    ZS_EXPECT(ok, task && task->state == ZS_TASK_COMPLETED && !task->payload);
    ZS_EXPECT(ok, zs_tasks_oldest_kept(&env->tasks) == task);
    ZS_EXPECT(ok, env->tasks.unfinished == 0 && env->io.core.counts.completed == 1);
    ZS_EXPECT(ok, zs_tasks_wait(&env->tasks, task, &(zs_core_asker_t){&bob, NULL}, 8,
                                NULL) == 0);
    ZS_EXPECT(ok, s_replied(env, ZS_MSG_WAIT_OK, &bob, 8));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Past keep_results final tasks, the one that ended first goes
static void
test_evict_by_count(void)
{
    s_env_t *env = s_env_new(S_SWARM "tasks: {keep_results: 2}\n");
    ZS_CHECK(env);
    bool ok = true;
    //  Ended in another order than accepted: the end decides
    zs_task_t *a = s_accept(env, "a", NULL, 1);
    zs_task_t *b = s_accept(env, "b", NULL, 1);
    zs_task_t *c = s_accept(env, "c", NULL, 1);
    s_complete(env, b, 1);
    s_complete(env, a, 1);
    ZS_EXPECT(ok, zs_tasks_find(&env->tasks, "a") && zs_tasks_find(&env->tasks, "b"));
    s_complete(env, c, 1);
    ZS_EXPECT(ok, !zs_tasks_find(&env->tasks, "b"));
    ZS_EXPECT(ok, zs_tasks_find(&env->tasks, "a") && zs_tasks_find(&env->tasks, "c"));
    ZS_EXPECT(ok, zs_tasks_oldest_kept(&env->tasks) == zs_tasks_find(&env->tasks, "a"));
    ZS_EXPECT(ok, env->tasks.results == 2);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Past keep_results_bytes of kept results, the oldest go until the rest fit; exactly
//  at the bound they fit
static void
test_evict_by_bytes(void)
{
    //  The smallest bound the file takes: two results of ZS_MSG_OUTPUT_MAX
    s_env_t *env = s_env_new(S_SWARM "tasks: {keep_results_bytes: 131072}\n");
    ZS_CHECK(env);
    bool ok = true;
    zs_task_t *tasks[5];
    for (size_t i = 0; i < 5; i++) {
        char id[2] = {(char) ('a' + i), '\0'};
        tasks[i] = s_accept(env, id, NULL, 1);
    }
    s_complete(env, tasks[0], 50000);
    s_complete(env, tasks[1], 50000);
    ZS_EXPECT(ok, env->tasks.results == 100000 && zs_tasks_find(&env->tasks, "a"));
    s_complete(env, tasks[2], 50000);
    ZS_EXPECT(ok, !zs_tasks_find(&env->tasks, "a"));
    ZS_EXPECT(ok, zs_tasks_find(&env->tasks, "b") && zs_tasks_find(&env->tasks, "c"));
    ZS_EXPECT(ok, env->tasks.results == 100000);
    s_complete(env, tasks[3], ZS_MSG_OUTPUT_MAX);
    ZS_EXPECT(ok, !zs_tasks_find(&env->tasks, "b") && zs_tasks_find(&env->tasks, "c"));
    s_complete(env, tasks[4], ZS_MSG_OUTPUT_MAX);
    ZS_EXPECT(ok, !zs_tasks_find(&env->tasks, "c"));
    ZS_EXPECT(ok, zs_tasks_find(&env->tasks, "d") && zs_tasks_find(&env->tasks, "e"));
    ZS_EXPECT(ok, env->tasks.results == 131072);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A final task is kept keep_results_s after it ended, by the wall clock; 0 keeps
//  it for good
static void
test_evict_by_age(void)
{
    s_env_t *env = s_env_new(S_SWARM "tasks: {keep_results_s: 10}\n");
    ZS_CHECK(env);
    bool ok = true;
    zs_task_t *a = s_accept(env, "a", NULL, 1);
    zs_task_t *b = s_accept(env, "b", NULL, 1);
    s_complete(env, a, 1);
    zs_test_core_advance(&env->io, 4000);
    s_complete(env, b, 1);
    zs_test_core_advance(&env->io, 6000);
    zs_tasks_evict_aged(&env->tasks);
    ZS_EXPECT(ok, zs_tasks_find(&env->tasks, "a"));  //  exactly 10 s: not yet
    zs_test_core_advance(&env->io, 1);
    zs_tasks_evict_aged(&env->tasks);
    ZS_EXPECT(ok, !zs_tasks_find(&env->tasks, "a") && zs_tasks_find(&env->tasks, "b"));
    ZS_EXPECT(ok, env->tasks.results == 1);
    zs_test_core_advance(&env->io, 4000);
    zs_tasks_evict_aged(&env->tasks);
    ZS_EXPECT(ok, !zs_tasks_find(&env->tasks, "b") && env->tasks.results == 0);
    s_env_destroy(&env);

    env = s_env_new(S_SWARM "tasks: {keep_results_s: 0}\n");
    ZS_CHECK(env);
    s_complete(env, s_accept(env, "a", NULL, 1), 1);
    zs_test_core_advance(&env->io, 365 * 86400 * 1000ll);
    zs_tasks_evict_aged(&env->tasks);
    ZS_EXPECT(ok, zs_tasks_find(&env->tasks, "a"));
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  At most ZS_TASKS_WAITERS_MAX clients wait for one task; one more is refused with
//  nothing said, and every one that waits is answered with its own rid
static void
test_waiters_bound(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env);
    bool ok = true;
    zs_client_ref_t clients[ZS_TASKS_WAITERS_MAX + 1];
    zs_task_t *task = s_accept(env, "t", NULL, 1);
    for (int i = 0; i < ZS_TASKS_WAITERS_MAX; i++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", i);
        zs_test_client(&clients[i], name);
        ZS_EXPECT(ok, zs_tasks_can_wait(task));
        ZS_EXPECT(ok,
                  zs_tasks_wait(&env->tasks, task, &(zs_core_asker_t){&clients[i], NULL},
                                100 + i, NULL) == 0);
    }
    zs_test_client(&clients[ZS_TASKS_WAITERS_MAX], "late");
    ZS_EXPECT(ok, !zs_tasks_can_wait(task));
    ZS_EXPECT(ok, zs_tasks_wait(&env->tasks, task,
                                &(zs_core_asker_t){&clients[ZS_TASKS_WAITERS_MAX], NULL},
                                999, NULL) == -1);
    s_complete(env, task, 1);
    for (int i = 0; i < ZS_TASKS_WAITERS_MAX; i++) {
        ZS_EXPECT(ok, s_replied(env, ZS_MSG_WAIT_OK, &clients[i], 100 + i));
    }
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  When the swarm stops, every waiting client hears SHUTTING_DOWN with its rid, and
//  nothing more when the task ends after
static void
test_fail_waiters(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env);
    bool ok = true;
    zs_client_ref_t alice, bob, carol;
    zs_test_client(&alice, "alice");
    zs_test_client(&bob, "bob");
    zs_test_client(&carol, "carol");
    zs_task_t *one = s_accept(env, "one", NULL, 1);
    zs_task_t *two = s_accept(env, "two", NULL, 1);
    zs_tasks_wait(&env->tasks, one, &(zs_core_asker_t){&alice, NULL}, 1, NULL);
    zs_tasks_wait(&env->tasks, one, &(zs_core_asker_t){&bob, NULL}, 2, NULL);
    zs_tasks_wait(&env->tasks, two, &(zs_core_asker_t){&carol, NULL}, 3, NULL);
    zs_tasks_fail_waiters(&env->tasks);
    const zs_client_ref_t *clients[] = {&alice, &bob, &carol};
    for (size_t i = 0; i < 3; i++) {
        zs_test_said_t *said =
            zs_test_core_take(&env->io, ZS_TEST_REPLIED, ZS_MSG_ERROR, clients[i]);
        ZS_EXPECT(ok, said && said->msg.rid == i + 1);
        ZS_EXPECT(ok, said->msg.code == ZS_ERR_SHUTTING_DOWN);
        zs_test_said_destroy(&said);
    }
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_complete(env, one, 1);
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    ZS_EXPECT(ok, two->state == ZS_TASK_READY && !two->waiters);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  queued counts what unfinished tasks hold and results what kept ones hold: each
//  moves as a task is accepted, charged with a failed attempt's output, ends (its input
//  dropped) and is forgotten
static void
test_bytes_follow_tasks(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env);
    bool ok = true;
    zs_task_t *a = s_accept(env, "a", "0123456789", 2);
    ZS_EXPECT(ok, env->tasks.queued == 10 && a->held == 10 && env->tasks.results == 0);
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = "w";
    const char *requires[] = {"gpu"};
    submit.requires = (zs_msg_list_t){requires, 1};
    zs_task_t *b = zs_tasks_accept(&env->tasks, &submit, "b", 1000, 1);
    ZS_EXPECT(ok, b->held == zs_task_bytes(b) && b->held > 0);
    ZS_EXPECT(ok, env->tasks.queued == 10 + b->held && env->tasks.unfinished == 2);
    //  A failed attempt's output is held for the retry
    s_attempt(a, "fail", 30);
    zs_task_apply(a, ZS_TASK_FAIL);
    zs_tasks_failed(&env->tasks, a);
    ZS_EXPECT(ok, a->result.out_size == 30 && a->held == 40);
    ZS_EXPECT(ok, env->tasks.queued == 40 + b->held);
    //  The retry completes: the payload goes, the result is kept
    zs_task_apply(a, ZS_TASK_RETRY);
    s_complete(env, a, 20);
    ZS_EXPECT(ok, env->tasks.queued == b->held && env->tasks.results == 20);
    ZS_EXPECT(ok, env->tasks.unfinished == 1);
    zs_tasks_forget(&env->tasks, zs_tasks_find(&env->tasks, "a"));
    ZS_EXPECT(ok, !zs_tasks_find(&env->tasks, "a") && env->tasks.results == 0);
    //  A cancelled task keeps its lists, and nothing else
    size_t lists = b->list_bytes;
    zs_task_apply(b, ZS_TASK_CANCEL);
    zs_core_ended(&env->io.core, b);
    ZS_EXPECT(ok, env->tasks.queued == 0 && env->tasks.unfinished == 0);
    ZS_EXPECT(ok, env->tasks.results == lists);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A failed attempt's output past max_queue_bytes is not kept for a retry; the last
//  attempt's is, as the task ends with it
static void
test_failed_output_past_bound(void)
{
    s_env_t *env = s_env_new(S_SWARM "tasks: {max_queue_bytes: 1048576}\n");
    ZS_CHECK(env);
    bool ok = true;
    char *payload = zs_malloc(1000001);
    memset(payload, 'p', 1000000);
    payload[1000000] = '\0';
    zs_task_t *retried = s_accept(env, "retried", payload, 2);
    zs_task_t *last = s_accept(env, "last", NULL, 1);
    free(payload);
    s_attempt(retried, "fail", 60000);
    zs_task_apply(retried, ZS_TASK_FAIL);
    zs_tasks_failed(&env->tasks, retried);
    ZS_EXPECT(ok, retried->result.out_size == 0 && streq(retried->result.status, "fail"));
    ZS_EXPECT(ok, env->tasks.queued == 1000000);
    s_attempt(last, "fail", 60000);
    zs_task_apply(last, ZS_TASK_FAIL);
    zs_tasks_failed(&env->tasks, last);
    ZS_EXPECT(ok, last->result.out_size == 60000 && env->tasks.queued == 1060000);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A submit is refused QUEUE_FULL past max_queue tasks or max_queue_bytes, with the
//  key and the bound in the text; exactly at a bound is room, and tasks that end make
//  room again
static void
test_check_bounds(void)
{
    s_env_t *env = s_env_new(S_SWARM "tasks: {max_queue: 2, max_queue_bytes: 1048576}\n");
    ZS_CHECK(env);
    bool ok = true;
    zs_error_t err;
    ZS_EXPECT(ok, zs_tasks_check(&env->tasks, 2, 1048576, &err) == 0);
    ZS_EXPECT(ok, zs_tasks_check(&env->tasks, 3, 0, &err) == -1);
    ZS_EXPECT(ok, err.code == ZS_ERR_QUEUE_FULL && strstr(err.text, "(tasks.max_queue)"));
    ZS_EXPECT(ok, strstr(err.text, "more than 2"));
    zs_task_t *task = s_accept(env, "t", "0123456789", 1);
    ZS_EXPECT(ok, zs_tasks_check(&env->tasks, 1, 1048576 - 10, &err) == 0);
    ZS_EXPECT(ok, zs_tasks_check(&env->tasks, 2, 0, &err) == -1);
    ZS_EXPECT(ok, zs_tasks_check(&env->tasks, 1, 1048576 - 9, &err) == -1);
    ZS_EXPECT(ok, err.code == ZS_ERR_QUEUE_FULL);
    ZS_EXPECT(ok, strstr(err.text, "more than 1048576 bytes (tasks.max_queue_bytes)"));
    ZS_EXPECT(ok, strstr(err.text, "10 held, 1048567 more asked"));
    s_complete(env, task, 1);
    ZS_EXPECT(ok, zs_tasks_check(&env->tasks, 2, 1048576, &err) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Made-up ids are valid task ids, never one in the table (a client's that looks like
//  one included), and differ from run to run
//  A child joins its parent's children a level below it; a wait that lends the running
//  parent's slot takes it out of its agent's load until the wait is answered, or until
//  the attempt ends; an agent's waits go with its session
static void
test_children_and_lent_slots(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env);
    bool ok = true;
    zs_task_t *parent = s_accept(env, "p", NULL, 1);
    size_t held = parent->held;
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = "w";
    submit.parent = "p";
    zs_task_t *child = zs_tasks_accept(&env->tasks, &submit, "c", 1000, 1);
    ZS_EXPECT(ok, child->family.depth == 1 && parent->family.child_count == 1);
    ZS_EXPECT(ok, parent->held > held && env->tasks.queued >= parent->held);

    zs_agent_t agent = {0};
    zs_task_apply(parent, ZS_TASK_ASSIGN);
    parent->att = 1;
    zs_agent_task_link(&agent, parent);
    char peer;
    zs_core_asker_t asker = {NULL, (zs_peer_t *) &peer};
    ZS_EXPECT(ok, zs_tasks_wait(&env->tasks, child, &asker, 5, parent) == 0);
    ZS_EXPECT(ok, agent.load == 0 && parent->family.lent == 1);
    s_complete(env, child, 2);
    ZS_EXPECT(ok, zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_WAIT_OK, &peer));
    ZS_EXPECT(ok, agent.load == 1 && parent->family.lent == 0);

    //  The attempt ends while its slot is lent: the load does not go below zero, and
    //  the answer later gives nothing back
    zs_task_t *other = s_accept(env, "o", NULL, 1);
    zs_tasks_wait(&env->tasks, other, &asker, 6, parent);
    ZS_EXPECT(ok, agent.load == 0);
    zs_agent_task_unlink(&agent, parent);
    ZS_EXPECT(ok, agent.load == 0 && parent->family.lent == 0);
    s_complete(env, other, 0);
    ZS_EXPECT(ok, agent.load == 0);

    //  A session that ends takes its waits along: nothing is sent to it
    zs_task_t *last = s_accept(env, "l", NULL, 1);
    zs_tasks_wait(&env->tasks, last, &asker, 7, NULL);
    zs_tasks_drop_peer(&env->tasks, asker.peer);
    zs_test_core_forget(&env->io);
    s_complete(env, last, 0);
    ZS_EXPECT(ok, !zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_WAIT_OK, &peer));
    ZS_CHECK(ok);
    s_env_destroy(&env);
}

static void
test_made_up_ids(void)
{
    s_env_t *env = s_env_new(S_SWARM);
    ZS_CHECK(env);
    s_env_t *other = s_env_new(S_SWARM);
    bool ok = other != NULL;
    char id[ZS_MSG_NAME_MAX + 1], first[ZS_MSG_NAME_MAX + 1] = "";
    for (int i = 0; i < 1000 && ok; i++) {
        zs_tasks_new_id(&env->tasks, id, sizeof id);
        ZS_EXPECT(ok, zs_task_id_valid(id) && !zs_tasks_find(&env->tasks, id));
        s_accept(env, id, NULL, 1);
        if (i == 0) {
            snprintf(first, sizeof first, "%s", id);
        }
    }
    //  A client took the id the table would make next
    char next[ZS_MSG_NAME_MAX + 1];
    snprintf(next, sizeof next, "%08x%08" PRIx64, env->tasks.nonce, env->tasks.order + 2);
    s_accept(env, next, NULL, 1);
    zs_tasks_new_id(&env->tasks, id, sizeof id);
    ZS_EXPECT(ok, !streq(id, next) && !zs_tasks_find(&env->tasks, id));
    ZS_EXPECT(ok, strncmp(id, next, strlen(next)) == 0 && zs_task_id_valid(id));
    //  Another run (a restart) makes other ids
    if (other) {
        zs_tasks_new_id(&other->tasks, id, sizeof id);
        ZS_EXPECT(ok, !streq(id, first));
        s_env_destroy(&other);
    }
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"wait_and_keep", test_wait_and_keep},
    {"evict_by_count", test_evict_by_count},
    {"evict_by_bytes", test_evict_by_bytes},
    {"evict_by_age", test_evict_by_age},
    {"waiters_bound", test_waiters_bound},
    {"fail_waiters", test_fail_waiters},
    {"bytes_follow_tasks", test_bytes_follow_tasks},
    {"failed_output_past_bound", test_failed_output_past_bound},
    {"check_bounds", test_check_bounds},
    {"made_up_ids", test_made_up_ids},
    {"children_and_lent_slots", test_children_and_lent_slots},
};

ZS_TEST_MAIN(s_cases)
