//  Unit tests for zs_sched and zs_registry: queues, priorities and least-loaded choice

#include "zs_sched.h"
#include "zs_test.h"

static zs_agent_t *
s_agent(zs_registry_t *registry,
        const char *id,
        const char *type,
        unsigned conc,
        const char *cap)
{
    zs_msg_t hello;
    zs_msg_init(&hello, ZS_MSG_HELLO);
    hello.atype = type;
    const char *caps[] = {cap};
    hello.caps.items = caps;
    hello.caps.count = cap ? 1 : 0;
    return zs_registry_add(registry, id, &hello, conc, NULL, 0);
}

static zs_task_t *
s_task(const char *id, const char *type, int64_t pri, uint64_t order)
{
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = type;
    submit.pri = pri;
    return zs_task_new(id, &submit, 1000, 1, order);
}

static void
test_queue_and_dispatch(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *agent = s_agent(registry, "echo-1", "echo", 2, NULL);
    zs_task_t *task = s_task("a", "echo", 0, 1);
    zs_sched_push(sched, task);
    ZS_CHECK(zs_sched_queued(sched) == 1);
    ZS_CHECK(zs_sched_pick_agent(sched, "echo") == agent);
    ZS_CHECK(zs_sched_pop(sched, "echo") == task);
    ZS_CHECK(zs_sched_queued(sched) == 0 && zs_sched_pop(sched, "echo") == NULL);
    ZS_CHECK(zs_sched_pick_agent(sched, "shell") == NULL);
    zs_task_destroy(&task);
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

static void
test_priority_then_fifo(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_task_t *tasks[6] = {
        s_task("low1", "t", -5, 1), s_task("mid1", "t", 0, 2),  s_task("high", "t", 9, 3),
        s_task("mid2", "t", 0, 4),  s_task("low2", "t", -5, 5), s_task("mid3", "t", 0, 6),
    };
    for (int i = 0; i < 6; i++) {
        zs_sched_push(sched, tasks[i]);
    }
    //  Cancelling from the middle keeps the heap in order
    zs_sched_remove(sched, tasks[3]);
    const char *expect[] = {"high", "mid1", "mid3", "low1", "low2"};
    for (int i = 0; i < 5; i++) {
        zs_task_t *task = zs_sched_pop(sched, "t");
        ZS_CHECK(task);
        ZS_CHECK_STR(task->id, expect[i]);
    }
    ZS_CHECK(zs_sched_pop(sched, "t") == NULL);
    zs_sched_sweep(sched);
    for (int i = 0; i < 6; i++) {
        zs_task_destroy(&tasks[i]);
    }
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

static void
test_least_loaded_respects_concurrency(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *small = s_agent(registry, "small", "w", 1, NULL);
    zs_agent_t *big = s_agent(registry, "big", "w", 4, NULL);
    zs_task_t *tasks[5];
    int given_small = 0, given_big = 0;
    for (int i = 0; i < 5; i++) {
        char id[8];
        snprintf(id, sizeof id, "t%d", i);
        tasks[i] = s_task(id, "w", 0, (uint64_t) i);
        zs_agent_t *agent = zs_sched_pick_agent(sched, "w");
        ZS_CHECK(agent);
        zs_agent_task_link(agent, tasks[i]);
        given_small += agent == small;
        given_big += agent == big;
    }
    //  Never above concurrency: small takes 1, big 4, and then nobody has room
    ZS_CHECK(given_small == 1 && given_big == 4);
    ZS_CHECK(small->load == 1 && big->load == 4);
    ZS_CHECK(zs_sched_pick_agent(sched, "w") == NULL);
    //  A freed slot on big makes it the choice (0.75 loaded against 1.0)
    zs_agent_task_unlink(big, tasks[4]);
    ZS_CHECK(zs_sched_pick_agent(sched, "w") == big);
    zs_agent_task_unlink(small, tasks[0]);
    //  Now small is empty (0.0) and beats big (0.75)
    ZS_CHECK(zs_sched_pick_agent(sched, "w") == small);
    for (int i = 1; i < 4; i++) {
        zs_agent_task_unlink(big, tasks[i]);
    }
    for (int i = 0; i < 5; i++) {
        zs_task_destroy(&tasks[i]);
    }
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

static void
test_ties_rotate(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *a = s_agent(registry, "a", "w", 2, NULL);
    zs_agent_t *b = s_agent(registry, "b", "w", 2, NULL);
    zs_agent_t *first = zs_sched_pick_agent(sched, "w");
    zs_agent_t *second = zs_sched_pick_agent(sched, "w");
    //  Equal load: the one picked longest ago goes next, so a burst alternates
    ZS_CHECK(first != second);
    ZS_CHECK((first == a && second == b) || (first == b && second == a));
    ZS_CHECK(zs_sched_pick_agent(sched, "w") == first);
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

static void
test_capabilities(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *echo = s_agent(registry, "echo-1", "echo", 4, "sleep");
    s_agent(registry, "shell-1", "shell", 4, NULL);
    ZS_CHECK(zs_sched_pick_agent(sched, "sleep") == echo);
    ZS_CHECK(zs_registry_capable(registry, "sleep")->count == 1);
    zs_task_t *sleepy = s_task("s", "sleep", 0, 1);
    zs_task_t *urgent = s_task("e", "echo", 3, 2);
    zs_task_t *shell = s_task("x", "shell", 9, 3);
    zs_sched_push(sched, sleepy);
    zs_sched_push(sched, urgent);
    zs_sched_push(sched, shell);
    //  Across its type and capabilities, the agent takes the best task it can run
    ZS_CHECK(zs_sched_next_task(sched, echo) == urgent);
    ZS_CHECK(zs_sched_next_task(sched, echo) == sleepy);
    ZS_CHECK(zs_sched_next_task(sched, echo) == NULL);
    ZS_CHECK(zs_sched_queued(sched) == 1);
    zs_registry_remove(registry, &echo);
    ZS_CHECK(echo == NULL && zs_registry_capable(registry, "sleep") == NULL);
    ZS_CHECK(zs_registry_find(registry, "shell-1") && zs_registry_size(registry) == 1);
    zs_task_destroy(&sleepy);
    zs_task_destroy(&urgent);
    zs_task_destroy(&shell);
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

static void
test_capabilities_from_the_swarm_file(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_msg_t hello;
    zs_msg_init(&hello, ZS_MSG_HELLO);
    hello.atype = "echo";
    const char *said[] = {"sleep", "echo"};
    hello.caps.items = said;
    hello.caps.count = 2;
    char *declared[] = {"noop", "sleep", "fail"};
    zs_agent_t *agent = zs_registry_add(registry, "echo-1", &hello, 1, declared, 3);
    //  Union of both lists, without the type itself and without repeats
    ZS_CHECK(agent->cap_count == 3);
    const char *types[] = {"echo", "sleep", "noop", "fail"};
    for (size_t i = 0; i < 4; i++) {
        ZS_CHECK(zs_sched_pick_agent(sched, types[i]) == agent);
        ZS_CHECK(zs_registry_capable(registry, types[i])->count == 1);
    }
    zs_registry_remove(registry, &agent);
    ZS_CHECK(zs_registry_capable(registry, "noop") == NULL);
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

static const zs_test_case_t s_cases[] = {
    {"queue_and_dispatch", test_queue_and_dispatch},
    {"priority_then_fifo", test_priority_then_fifo},
    {"least_loaded_respects_concurrency", test_least_loaded_respects_concurrency},
    {"ties_rotate", test_ties_rotate},
    {"capabilities", test_capabilities},
    {"capabilities_from_the_swarm_file", test_capabilities_from_the_swarm_file},
};

ZS_TEST_MAIN(s_cases)
