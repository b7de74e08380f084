//  Unit tests for zs_task: the task state machine and its bookkeeping

#include "coordinator/sched/zs_task.h"
#include "tests/unit/zs_test.h"

static zs_task_t *
s_task(const char *type)
{
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = type;
    submit.payload = (const uint8_t *) "hi";
    submit.payload_size = 2;
    submit.pri = 5;
    return zs_task_new("t1", &submit, 1000, 3, 1);
}

static void
test_life_of_a_task(void)
{
    zs_task_t *task = s_task("echo");
    ZS_CHECK_STR(task->id, "t1");
    ZS_CHECK_STR(task->ttype, "echo");
    ZS_CHECK(task->payload_size == 2 && memcmp(task->payload, "hi", 2) == 0);
    ZS_CHECK(task->state == ZS_TASK_READY);
    ZS_CHECK(zs_task_apply(task, ZS_TASK_ASSIGN) == 0);
    ZS_CHECK(zs_task_apply(task, ZS_TASK_START) == 0);
    ZS_CHECK_STR(zs_task_state_name(task->state), "running");
    zs_msg_t result;
    zs_msg_init(&result, ZS_MSG_TASK_RESULT);
    result.status = "ok";
    result.out = (const uint8_t *) "HI";
    result.out_size = 2;
    zs_task_set_result(task, &result);
    ZS_CHECK(zs_task_apply(task, ZS_TASK_SUCCEED) == 0);
    ZS_CHECK(zs_task_is_final(task));
    zs_msg_t info;
    zs_msg_init(&info, ZS_MSG_WAIT_OK);
    zs_task_describe(task, &info);
    ZS_CHECK_STR(info.state, "completed");
    ZS_CHECK_STR(info.status, "ok");
    ZS_CHECK(info.out_size == 2 && memcmp(info.out, "HI", 2) == 0);
    ZS_CHECK(info.pri == 5 && info.tmo == 1000 && info.tries == 3);
    zs_task_destroy(&task);
    ZS_CHECK(task == NULL);
}

static void
test_fail_retry_and_give_up(void)
{
    zs_task_t *task = s_task("echo");
    ZS_CHECK(zs_task_apply(task, ZS_TASK_ASSIGN) == 0);
    ZS_CHECK(zs_task_apply(task, ZS_TASK_FAIL) == 0);  //  assigned may fail directly
    ZS_CHECK(task->state == ZS_TASK_FAILED && !zs_task_is_final(task));
    ZS_CHECK(zs_task_apply(task, ZS_TASK_RETRY) == 0);
    ZS_CHECK(task->state == ZS_TASK_READY);
    ZS_CHECK(zs_task_apply(task, ZS_TASK_ASSIGN) == 0);
    ZS_CHECK(zs_task_apply(task, ZS_TASK_START) == 0);
    ZS_CHECK(zs_task_apply(task, ZS_TASK_FAIL) == 0);
    ZS_CHECK(zs_task_apply(task, ZS_TASK_GIVE_UP) == 0);
    ZS_CHECK(task->state == ZS_TASK_DEAD && zs_task_is_final(task));
    zs_task_set_outcome(task, "timeout", "no result within 1000 ms");
    ZS_CHECK_STR(task->result.why, "no result within 1000 ms");
    zs_task_destroy(&task);
}

//  Every (state, event) pair outside the documented ones is refused and changes nothing
static void
test_every_other_transition_is_refused(void)
{
    static const struct {
        zs_task_state_t from;
        zs_task_event_t event;
        zs_task_state_t to;
    } allowed[] = {
        {ZS_TASK_PENDING, ZS_TASK_RELEASE, ZS_TASK_READY},
        {ZS_TASK_PENDING, ZS_TASK_GIVE_UP, ZS_TASK_DEAD},
        {ZS_TASK_PENDING, ZS_TASK_CANCEL, ZS_TASK_CANCELLED},
        {ZS_TASK_READY, ZS_TASK_ASSIGN, ZS_TASK_ASSIGNED},
        {ZS_TASK_READY, ZS_TASK_GIVE_UP, ZS_TASK_DEAD},
        {ZS_TASK_READY, ZS_TASK_CANCEL, ZS_TASK_CANCELLED},
        {ZS_TASK_ASSIGNED, ZS_TASK_START, ZS_TASK_RUNNING},
        {ZS_TASK_ASSIGNED, ZS_TASK_SUCCEED, ZS_TASK_COMPLETED},
        {ZS_TASK_ASSIGNED, ZS_TASK_FAIL, ZS_TASK_FAILED},
        {ZS_TASK_ASSIGNED, ZS_TASK_CANCEL, ZS_TASK_CANCELLED},
        {ZS_TASK_RUNNING, ZS_TASK_SUCCEED, ZS_TASK_COMPLETED},
        {ZS_TASK_RUNNING, ZS_TASK_FAIL, ZS_TASK_FAILED},
        {ZS_TASK_RUNNING, ZS_TASK_CANCEL, ZS_TASK_CANCELLED},
        {ZS_TASK_FAILED, ZS_TASK_RETRY, ZS_TASK_READY},
        {ZS_TASK_FAILED, ZS_TASK_GIVE_UP, ZS_TASK_DEAD},
    };
    size_t allowed_seen = 0;
    zs_task_t *task = s_task("echo");
    for (int from = 0; from < ZS_TASK_STATE_COUNT; from++) {
        for (int event = 0; event < ZS_TASK_EVENT_COUNT; event++) {
            int expect = -1;
            zs_task_state_t to = (zs_task_state_t) from;
            for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
                if ((int) allowed[i].from == from && (int) allowed[i].event == event) {
                    expect = 0;
                    to = allowed[i].to;
                }
            }
            task->state = (zs_task_state_t) from;
            ZS_CHECK(zs_task_apply(task, (zs_task_event_t) event) == expect);
            ZS_CHECK(task->state == to);
            allowed_seen += expect == 0;
        }
    }
    ZS_CHECK(allowed_seen == sizeof allowed / sizeof allowed[0]);
    zs_task_destroy(&task);
}

static void
test_state_names_and_events(void)
{
    ZS_CHECK_STR(zs_task_state_name(ZS_TASK_READY), "ready");
    ZS_CHECK_STR(zs_task_state_name(ZS_TASK_CANCELLED), "cancelled");
    ZS_CHECK_STR(zs_task_state_name(ZS_TASK_STATE_COUNT), "invalid");
    ZS_CHECK(zs_task_state_from_name("dead") == ZS_TASK_DEAD);
    ZS_CHECK(zs_task_state_from_name("ready") == ZS_TASK_READY);
    ZS_CHECK(zs_task_state_from_name("Dead") == -1);
    for (int state = 0; state < ZS_TASK_STATE_COUNT; state++) {
        //  The event topic is "task." followed by the state name
        char topic[64];
        snprintf(topic, sizeof topic, "task.%s",
                 zs_task_state_name((zs_task_state_t) state));
        ZS_CHECK_STR(zs_msg_type_name(zs_task_state_event((zs_task_state_t) state)),
                     topic);
    }
}

static void
test_task_ids(void)
{
    ZS_CHECK(zs_task_id_valid("job-1.a_b:c"));
    ZS_CHECK(!zs_task_id_valid(""));
    ZS_CHECK(!zs_task_id_valid("has space"));
    ZS_CHECK(!zs_task_id_valid("slash/no"));
    char longest[ZS_MSG_NAME_MAX + 2];
    memset(longest, 'a', sizeof longest);
    longest[ZS_MSG_NAME_MAX] = '\0';
    ZS_CHECK(zs_task_id_valid(longest));
    longest[ZS_MSG_NAME_MAX] = 'a';
    longest[ZS_MSG_NAME_MAX + 1] = '\0';
    ZS_CHECK(!zs_task_id_valid(longest));
}

//  A task with deps starts pending and lists them; the journal's form of an aggregate
//  (agg, deps, no items) collects its dependencies' results and joins them in dep order
static void
test_dependencies_and_parts(void)
{
    static const char *deps[] = {"j.1", "j.2", "j.3"};
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = "merge";
    submit.deps = (zs_msg_list_t){deps, 3};
    zs_task_t *plain = zs_task_new("p", &submit, 1000, 1, 1);
    ZS_CHECK(plain->state == ZS_TASK_PENDING && !plain->graph.aggregate);
    ZS_CHECK(plain->graph.dep_count == 3 && plain->graph.deps_left == 3);
    zs_msg_list_t listed = zs_task_deps(plain);
    ZS_CHECK(listed.count == 3 && strcmp(listed.items[2], "j.3") == 0);
    zs_msg_t view;
    zs_msg_init(&view, ZS_MSG_TASK_OK);
    zs_task_describe(plain, &view);
    ZS_CHECK_STR(zs_task_state_name(plain->state), "pending");
    ZS_CHECK(view.deps.count == 3);
    zs_task_add_dependant(plain, plain, 7);
    zs_task_add_dependant(plain, plain, 8);
    zs_task_add_dependant(plain, plain, 9);
    ZS_CHECK(plain->graph.dependant_count == 3 && plain->graph.dependants[2].index == 9);
    ZS_CHECK_STR(plain->graph.dependants[0].id, "p");
    zs_task_destroy(&plain);

    submit.agg = "merge";
    zs_task_t *agg = zs_task_new("j", &submit, 1000, 1, 2);
    ZS_CHECK(agg->graph.aggregate && agg->graph.parts);
    zs_msg_init(&view, ZS_MSG_TASK_OK);
    zs_task_describe(agg, &view);
    ZS_CHECK(view.deps.count == 0);  //  its items are not listed
    ZS_CHECK(zs_task_add_part(agg, 2, (const uint8_t *) "three", 5, 0, 12) == 0);
    ZS_CHECK(zs_task_add_part(agg, 1, NULL, 0, 0, 12) == 0);
    ZS_CHECK(zs_task_add_part(agg, 0, (const uint8_t *) "one one", 7, 0, 12) == 0);
    ZS_CHECK(agg->graph.parts_size == 12 && agg->graph.parts[1].set);
    zs_task_join_parts(agg);
    ZS_CHECK(agg->payload_size == 12 && memcmp(agg->payload, "one onethree", 12) == 0);
    ZS_CHECK(!agg->graph.parts);
    zs_task_destroy(&agg);

    //  Past the bound nothing is kept
    agg = zs_task_new("k", &submit, 1000, 1, 3);
    ZS_CHECK(zs_task_add_part(agg, 0, (const uint8_t *) "12345", 5, 0, 8) == 0);
    ZS_CHECK(zs_task_add_part(agg, 1, (const uint8_t *) "6789", 4, 0, 8) == -1);
    ZS_CHECK(!agg->graph.parts[1].set && agg->graph.parts_size == 5);
    zs_task_destroy(&agg);
}

//  Inputs are dependencies too (one each, deps first); only they are collected, and
//  read back in the submit's order; a checkpoint and children are held and described
static void
test_inputs_checkpoint_children(void)
{
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = "w";
    const char *deps[] = {"a"}, *inputs[] = {"b", "a"};
    submit.deps = (zs_msg_list_t){deps, 1};
    submit.inputs = (zs_msg_list_t){inputs, 2};
    submit.parent = "root";
    zs_task_t *task = zs_task_new("t", &submit, 1000, 1, 1);
    ZS_CHECK(task->state == ZS_TASK_PENDING && task->graph.dep_count == 2);
    ZS_CHECK_STR(task->graph.deps[1], "b");
    ZS_CHECK(zs_task_collects(task, 0) && zs_task_collects(task, 1));
    ZS_CHECK(zs_task_measure(&submit) >= zs_task_bytes(task));
    const char *dep;
    ZS_CHECK(!zs_task_input(task, 0, &dep));  //  not collected yet
    ZS_CHECK(zs_task_add_part(task, 1, (const uint8_t *) "B", 1, 3, 8) == 0);
    ZS_CHECK(zs_task_add_part(task, 0, NULL, 0, 0, 8) == 0);
    const zs_task_part_t *part = zs_task_input(task, 0, &dep);
    ZS_CHECK_STR(dep, "b");
    ZS_CHECK(part && part->size == 1 && part->data[0] == 'B' && part->exit == 3);
    ZS_CHECK((part = zs_task_input(task, 1, &dep)) && part->size == 0);
    ZS_CHECK_STR(dep, "a");

    size_t bytes = zs_task_bytes(task);
    zs_task_set_checkpoint(task, (const uint8_t *) "state", 5);
    zs_task_add_child(task, "kid");
    zs_task_add_child(task, "kid");  //  a replay links what it restored: once
    ZS_CHECK(zs_task_bytes(task) > bytes + 5 && task->family.child_count == 1);
    zs_msg_t view;
    zs_msg_init(&view, ZS_MSG_TASK_OK);
    zs_task_describe(task, &view);
    ZS_CHECK(view.ckpt_bytes == 5 && view.children.count == 1);
    ZS_CHECK_STR(view.parent, "root");
    ZS_CHECK_STR(view.children.items[0], "kid");
    zs_task_set_checkpoint(task, NULL, 0);
    ZS_CHECK(!task->ckpt && task->ckpt_size == 0);
    zs_task_destroy(&task);

    //  A task without inputs collects nothing
    submit.inputs = (zs_msg_list_t){NULL, 0};
    task = zs_task_new("u", &submit, 1000, 1, 2);
    ZS_CHECK(!task->graph.parts && !zs_task_collects(task, 0));
    zs_task_destroy(&task);
}

//  What a task holds: payload, parts, the last attempt's output and reason, its lists;
//  a final one drops the first two
static void
test_bytes_held(void)
{
    zs_task_t *task = s_task("echo");
    ZS_CHECK(zs_task_bytes(task) == 2);
    zs_msg_t result;
    zs_msg_init(&result, ZS_MSG_TASK_RESULT);
    result.status = "fail";
    result.out = (const uint8_t *) "out";
    result.out_size = 3;
    result.err = (const uint8_t *) "error";
    result.err_size = 5;
    zs_task_set_result(task, &result);
    ZS_CHECK(zs_task_bytes(task) == 2 + 3 + 5);
    zs_task_drop_output(task);
    ZS_CHECK(zs_task_bytes(task) == 2 && !task->result.out && !task->result.err);
    ZS_CHECK_STR(task->result.status, "fail");
    zs_task_set_outcome(task, "timeout", "no result within 1000 ms");
    ZS_CHECK(zs_task_bytes(task) == 2 + sizeof "no result within 1000 ms");
    zs_task_set_result(task, &result);
    zs_task_apply(task, ZS_TASK_ASSIGN);
    zs_task_apply(task, ZS_TASK_SUCCEED);
    zs_task_drop_input(task);
    ZS_CHECK(!task->payload && zs_task_bytes(task) == 3 + 5);
    zs_task_destroy(&task);

    //  An aggregate: its deps, their parts, then what they collect
    static const char *deps[] = {"a.1", "a.2"};
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = "agg";
    submit.agg = "agg";
    submit.deps = (zs_msg_list_t){deps, 2};
    zs_task_t *agg = zs_task_new("a", &submit, 1000, 1, 2);
    size_t lists = 2 * sizeof(char *) + sizeof "a.1" + sizeof "a.2";
    size_t parts = 2 * sizeof(zs_task_part_t);
    ZS_CHECK(zs_task_bytes(agg) == lists + parts);
    ZS_CHECK(zs_task_measure(&submit) == lists + parts + 2 * sizeof(zs_task_link_t));
    ZS_CHECK(zs_task_add_part(agg, 1, (const uint8_t *) "1234", 4, 0, 100) == 0);
    ZS_CHECK(zs_task_bytes(agg) == lists + parts + 4);
    zs_task_add_dependant(agg, agg, 0);
    ZS_CHECK(zs_task_bytes(agg) == lists + parts + 4 + 2 * sizeof(zs_task_link_t));
    zs_task_apply(agg, ZS_TASK_CANCEL);
    zs_task_drop_input(agg);
    ZS_CHECK(!agg->graph.parts);
    ZS_CHECK(zs_task_bytes(agg) == lists + 2 * sizeof(zs_task_link_t));
    zs_task_destroy(&agg);
}

//  A submit is measured before its tasks exist: a fan-out's aggregate at its longest
static void
test_measure(void)
{
    static const char *requires[] = {"gpu"};
    static const zs_msg_bin_t items[] = {{(const uint8_t *) "abc", 3},
                                         {(const uint8_t *) "", 0}};
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = "t";
    submit.payload = (const uint8_t *) "12345";
    submit.payload_size = 5;
    submit.requires = (zs_msg_list_t){requires, 1};
    zs_task_t *task = zs_task_new("m", &submit, 1000, 1, 1);
    ZS_CHECK(zs_task_measure(&submit) == zs_task_bytes(task));
    ZS_CHECK(zs_task_bytes(task) == 5 + sizeof(char *) + sizeof "gpu");
    zs_task_destroy(&task);

    submit.payload = NULL;
    submit.payload_size = 0;
    submit.items = (zs_msg_bins_t){items, 2};
    submit.agg = "join";
    size_t each = sizeof(char *) + sizeof "gpu";
    ZS_CHECK(zs_task_measure(&submit) == 2 * each + 3 + zs_task_measure_aggregate(2));
    ZS_CHECK(zs_task_measure_aggregate(2) ==
             2 * (sizeof(char *) + ZS_MSG_NAME_MAX + 1 + sizeof(zs_task_part_t) +
                  sizeof(zs_task_link_t)));
}

static const zs_test_case_t s_cases[] = {
    {"life_of_a_task", test_life_of_a_task},
    {"fail_retry_and_give_up", test_fail_retry_and_give_up},
    {"every_other_transition_is_refused", test_every_other_transition_is_refused},
    {"state_names_and_events", test_state_names_and_events},
    {"task_ids", test_task_ids},
    {"dependencies_and_parts", test_dependencies_and_parts},
    {"bytes_held", test_bytes_held},
    {"inputs_checkpoint_children", test_inputs_checkpoint_children},
    {"measure", test_measure},
};

ZS_TEST_MAIN(s_cases)
