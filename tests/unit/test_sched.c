//  Unit tests for zs_sched, zs_auction and zs_registry: queues, priorities, and each
//  strategy's choice of agent (docs/scheduling.md) among fake agents

#include "coordinator/sched/zs_sched.h"
#include "tests/unit/zs_test.h"

#include <math.h>

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

//  A task that requires one capability besides its type
static zs_task_t *
s_task_requiring(const char *id, const char *type, const char *cap, uint64_t order)
{
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = type;
    const char *requires[] = {cap};
    submit.requires.items = requires;
    submit.requires.count = 1;
    return zs_task_new(id, &submit, 1000, 1, order);
}

//  The agent strategy picks for a task of ttype
static zs_agent_t *
s_pick(zs_sched_t *sched, const char *ttype, zs_strategy_t strategy)
{
    zs_task_t *task = s_task("probe", ttype, 0, 0);
    zs_agent_t *agent = zs_sched_pick(sched, task, strategy);
    zs_task_destroy(&task);
    return agent;
}

//  Dequeue the best task of ttype requiring nothing
static zs_task_t *
s_pop(zs_sched_t *sched, const char *ttype)
{
    zs_task_t *task = zs_sched_peek(sched, ttype, 0);
    if (task) {
        zs_sched_remove(sched, task);
    }
    return task;
}

//  Count count outcomes of status on agent, as the coordinator does for results
static void
s_outcomes(zs_agent_t *agent, const char *status, int count)
{
    for (int i = 0; i < count; i++) {
        zs_agent_record(agent, status);
    }
}

//  Run task on agent as the coordinator would, started ms ago
static void
s_run(zs_agent_t *agent, zs_task_t *task, int64_t ms)
{
    task->assigned_ms = zclock_mono() - ms;
    zs_agent_task_link(agent, task);
}

//  ---------------------------------------------------------------------------------
//  Queues

static void
test_queue_and_dispatch(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *agent = s_agent(registry, "echo-1", "echo", 2, NULL);
    zs_task_t *task = s_task("a", "echo", 0, 1);
    zs_sched_push(sched, task);
    ZS_CHECK(zs_sched_queued(sched) == 1 && zs_sched_variants(sched, "echo") == 1);
    ZS_CHECK(s_pick(sched, "echo", ZS_STRATEGY_LEAST_LOADED) == agent);
    ZS_CHECK(s_pop(sched, "echo") == task);
    ZS_CHECK(zs_sched_queued(sched) == 0 && s_pop(sched, "echo") == NULL);
    ZS_CHECK(s_pick(sched, "shell", ZS_STRATEGY_LEAST_LOADED) == NULL);
    zs_sched_sweep(sched);
    ZS_CHECK(zs_sched_variants(sched, "echo") == 0);
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
        zs_task_t *task = s_pop(sched, "t");
        ZS_CHECK(task);
        ZS_CHECK_STR(task->id, expect[i]);
    }
    ZS_CHECK(s_pop(sched, "t") == NULL);
    zs_sched_sweep(sched);
    for (int i = 0; i < 6; i++) {
        zs_task_destroy(&tasks[i]);
    }
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
    ZS_CHECK(s_pick(sched, "sleep", ZS_STRATEGY_LEAST_LOADED) == echo);
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
        ZS_CHECK(s_pick(sched, types[i], ZS_STRATEGY_LEAST_LOADED) == agent);
        ZS_CHECK(zs_registry_capable(registry, types[i])->count == 1);
    }
    zs_registry_remove(registry, &agent);
    ZS_CHECK(zs_registry_capable(registry, "noop") == NULL);
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

//  A task's required capabilities filter agents under every strategy, and queue apart
static void
test_requires(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *plain = s_agent(registry, "plain", "w", 4, NULL);
    zs_agent_t *gpu = s_agent(registry, "gpu", "w", 4, "gpu");
    zs_task_t *needy = s_task_requiring("needy", "w", "gpu", 1);
    for (int strategy = ZS_STRATEGY_DEFAULT; strategy < ZS_STRATEGY_COUNT; strategy++) {
        ZS_CHECK(zs_sched_pick(sched, needy, (zs_strategy_t) strategy) == gpu);
    }
    ZS_CHECK(zs_agent_can_run(gpu, needy) && !zs_agent_can_run(plain, needy));
    zs_task_t *other = s_task("other", "w", 0, 2);
    zs_sched_push(sched, needy);
    zs_sched_push(sched, other);
    ZS_CHECK(zs_sched_variants(sched, "w") == 2);
    //  The older task is first in line, but plain cannot run it: it takes the next
    ZS_CHECK(zs_sched_next_task(sched, plain) == other);
    ZS_CHECK(zs_sched_next_task(sched, plain) == NULL);
    ZS_CHECK(zs_sched_next_task(sched, gpu) == needy);
    zs_task_destroy(&needy);
    zs_task_destroy(&other);
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

//  A task for one agent: only that agent runs it, under every strategy, and it waits in
//  a queue of its own for it; a paused agent gets no task at all, nor an offer, nor a
//  task on its backlog, and what its backlog held goes back to the queues
static void
test_target_and_pause(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *one = s_agent(registry, "one", "w", 2, NULL);
    zs_agent_t *two = s_agent(registry, "two", "w", 2, NULL);
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = "w";
    submit.agent = "two";
    zs_task_t *aimed = zs_task_new("aimed", &submit, 1000, 1, 1);
    ZS_CHECK_STR(aimed->target, "two");
    ZS_CHECK(zs_agent_can_run(two, aimed) && !zs_agent_can_run(one, aimed));
    for (int strategy = ZS_STRATEGY_DEFAULT; strategy < ZS_STRATEGY_COUNT; strategy++) {
        ZS_CHECK(zs_sched_pick(sched, aimed, (zs_strategy_t) strategy) == two);
    }
    zs_task_t *any = s_task("any", "w", 0, 2);
    zs_sched_push(sched, aimed);
    zs_sched_push(sched, any);
    ZS_CHECK(zs_sched_variants(sched, "w") == 2);
    ZS_CHECK(zs_sched_admits(sched, "w", NULL, 0, ZS_ROUTE_ANY, "two"));
    //  one skips the older task, which is not for it
    ZS_CHECK(zs_sched_next_task(sched, one) == any);
    ZS_CHECK(zs_sched_next_task(sched, one) == NULL);
    //  paused, two has no room: nothing is picked for it, offered or backlogged
    two->paused = true;
    ZS_CHECK(zs_agent_room(two) == 0);
    ZS_CHECK(zs_sched_pick(sched, any, ZS_STRATEGY_LEAST_LOADED) == one);
    ZS_CHECK(zs_sched_backlog_push(sched, any) == one);
    zs_sched_remove(sched, any);
    zs_auction_t *auction = zs_sched_auction_open(sched, any);
    ZS_CHECK(auction && auction->count == 1 && two->offers == 0);
    ZS_CHECK(zs_sched_auction_close(sched, &auction) == one);
    zs_sched_remove(sched, aimed);
    ZS_CHECK(zs_sched_pick(sched, aimed, ZS_STRATEGY_LEAST_LOADED) == NULL);
    ZS_CHECK(zs_sched_backlog_push(sched, aimed) == NULL);
    two->paused = false;
    ZS_CHECK(zs_sched_pick(sched, aimed, ZS_STRATEGY_LEAST_LOADED) == two);
    //  Paused with a backlog: released to the queues, in order, and reported
    ZS_CHECK(zs_sched_requeued(sched) == false);
    ZS_CHECK(zs_sched_backlog_push(sched, any) == one);
    ZS_CHECK(zs_sched_backlog_push(sched, aimed) == two);
    two->paused = true;
    zs_sched_backlog_release(sched, two);
    ZS_CHECK(two->backlog.count == 0 && !aimed->backlog && zs_sched_requeued(sched));
    ZS_CHECK(zs_sched_queued(sched) == 2 && zs_sched_next_task(sched, one) == any);
    ZS_CHECK(zs_sched_next_task(sched, one) == NULL);  //  aimed waits for two
    zs_sched_remove(sched, aimed);
    zs_task_destroy(&aimed);
    zs_task_destroy(&any);
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

//  A team's tasks: only its lead takes one routed to the lead, only a member that does
//  not lead one routed to workers; each route has its own queue, so a worker is not
//  held up behind a lead's task
static void
test_team_routes(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *lead = s_agent(registry, "lead", "boss", 4, NULL);
    zs_agent_t *worker = s_agent(registry, "worker", "w", 4, "boss");
    lead->place.lead = true;
    zs_task_t *team = s_task("team", "boss", 0, 1);
    team->route = ZS_ROUTE_LEAD;
    zs_task_t *work = s_task("team.w", "boss", 0, 2);
    work->route = ZS_ROUTE_WORKER;
    for (int strategy = ZS_STRATEGY_DEFAULT; strategy < ZS_STRATEGY_COUNT; strategy++) {
        ZS_CHECK(zs_sched_pick(sched, team, (zs_strategy_t) strategy) == lead);
        ZS_CHECK(zs_sched_pick(sched, work, (zs_strategy_t) strategy) == worker);
    }
    ZS_CHECK(zs_agent_can_run(lead, team) && !zs_agent_can_run(worker, team));
    ZS_CHECK(zs_agent_can_run(worker, work) && !zs_agent_can_run(lead, work));
    zs_sched_push(sched, team);
    zs_sched_push(sched, work);
    ZS_CHECK(zs_sched_variants(sched, "boss") == 2);
    ZS_CHECK(zs_sched_next_task(sched, worker) == work);
    ZS_CHECK(zs_sched_next_task(sched, worker) == NULL);
    ZS_CHECK(zs_sched_next_task(sched, lead) == team);
    //  A worker elected lead takes the team's tasks, and no longer the workers'
    lead->place.lead = false;
    worker->place.lead = true;
    ZS_CHECK(zs_agent_can_run(worker, team) && zs_agent_can_run(lead, work));
    ZS_CHECK(zs_sched_backlog_push(sched, work) == lead);
    zs_sched_remove(sched, work);
    zs_task_destroy(&team);
    zs_task_destroy(&work);
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

//  ---------------------------------------------------------------------------------
//  Strategies: least-loaded

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
        zs_agent_t *agent = zs_sched_pick(sched, tasks[i], ZS_STRATEGY_LEAST_LOADED);
        ZS_CHECK(agent);
        s_run(agent, tasks[i], 0);
        given_small += agent == small;
        given_big += agent == big;
    }
    //  Never above concurrency: small takes 1, big 4, and then nobody has room
    ZS_CHECK(given_small == 1 && given_big == 4);
    ZS_CHECK(small->load == 1 && big->load == 4);
    ZS_CHECK(s_pick(sched, "w", ZS_STRATEGY_LEAST_LOADED) == NULL);
    //  A freed slot on big makes it the choice (0.75 loaded against 1.0)
    zs_agent_task_unlink(big, tasks[4]);
    ZS_CHECK(s_pick(sched, "w", ZS_STRATEGY_LEAST_LOADED) == big);
    zs_agent_task_unlink(small, tasks[0]);
    //  Now small is empty (0.0) and beats big (0.75)
    ZS_CHECK(s_pick(sched, "w", ZS_STRATEGY_LEAST_LOADED) == small);
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
test_least_loaded_ties_rotate(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *a = s_agent(registry, "a", "w", 2, NULL);
    zs_agent_t *b = s_agent(registry, "b", "w", 2, NULL);
    zs_agent_t *first = s_pick(sched, "w", ZS_STRATEGY_LEAST_LOADED);
    zs_agent_t *second = s_pick(sched, "w", ZS_STRATEGY_LEAST_LOADED);
    //  Equal load: the one picked longest ago goes next, so a burst alternates
    ZS_CHECK(first != second);
    ZS_CHECK((first == a && second == b) || (first == b && second == a));
    ZS_CHECK(s_pick(sched, "w", ZS_STRATEGY_LEAST_LOADED) == first);
    //  The default strategy of a task is least-loaded here too
    ZS_CHECK(s_pick(sched, "w", ZS_STRATEGY_DEFAULT) == second);
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

//  ---------------------------------------------------------------------------------
//  Strategies: round-robin, capability, best-fit

//  Agents take turns in registration order, whatever their load, skipping full ones
static void
test_round_robin(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *agents[3] = {s_agent(registry, "a", "w", 4, NULL),
                             s_agent(registry, "b", "w", 4, NULL),
                             s_agent(registry, "c", "w", 4, NULL)};
    zs_task_t *busy[3] = {s_task("x", "w", 0, 1), s_task("y", "w", 0, 2),
                          s_task("z", "w", 0, 3)};
    s_run(agents[0], busy[0], 0);
    s_run(agents[0], busy[1], 0);
    //  a runs 2 of 4 and still comes first: least-loaded would have chosen b
    ZS_CHECK(s_pick(sched, "w", ZS_STRATEGY_LEAST_LOADED) == agents[1]);
    ZS_CHECK(s_pick(sched, "w", ZS_STRATEGY_LEAST_LOADED) == agents[2]);
    for (int turn = 0; turn < 6; turn++) {
        ZS_CHECK(s_pick(sched, "w", ZS_STRATEGY_ROUND_ROBIN) == agents[turn % 3]);
    }
    //  A full agent loses its turn to the next
    s_run(agents[0], busy[2], 0);
    agents[0]->conc = 3;
    ZS_CHECK(s_pick(sched, "w", ZS_STRATEGY_ROUND_ROBIN) == agents[1]);
    ZS_CHECK(s_pick(sched, "w", ZS_STRATEGY_ROUND_ROBIN) == agents[2]);
    ZS_CHECK(s_pick(sched, "w", ZS_STRATEGY_ROUND_ROBIN) == agents[1]);
    for (int i = 0; i < 3; i++) {
        zs_agent_task_unlink(agents[0], busy[i]);
        zs_task_destroy(&busy[i]);
    }
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

//  The most specialised capable agent, even when busier; a generalist when it is full
static void
test_capability(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_msg_t hello;
    zs_msg_init(&hello, ZS_MSG_HELLO);
    hello.atype = "general";
    const char *caps[] = {"render", "encode", "upload"};
    hello.caps.items = caps;
    hello.caps.count = 3;
    zs_agent_t *general = zs_registry_add(registry, "general", &hello, 2, NULL, 0);
    zs_agent_t *special = s_agent(registry, "special", "render", 2, NULL);
    zs_task_t *running = s_task("r", "render", 0, 1);
    s_run(special, running, 0);
    ZS_CHECK(s_pick(sched, "render", ZS_STRATEGY_CAPABILITY) == special);
    ZS_CHECK(s_pick(sched, "render", ZS_STRATEGY_LEAST_LOADED) == general);
    special->conc = 1;
    ZS_CHECK(s_pick(sched, "render", ZS_STRATEGY_CAPABILITY) == general);
    ZS_CHECK(s_pick(sched, "encode", ZS_STRATEGY_CAPABILITY) == general);
    zs_agent_task_unlink(special, running);
    zs_task_destroy(&running);
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

//  The score, and how the registry measures slot holding time
static void
test_best_fit_score(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *agent = s_agent(registry, "a", "w", 2, NULL);
    //  Nothing known: (0 + 1) x (1 + 0/2) / (1/2)^2
    ZS_CHECK(zs_sched_score(agent) == 4.0);
    zs_task_t *task = s_task("t", "w", 0, 1);
    s_run(agent, task, 100);
    zs_agent_task_unlink(agent, task);
    ZS_CHECK(agent->samples == 1 && agent->hold_ms >= 100 && agent->hold_ms < 150);
    double first = agent->hold_ms;
    s_run(agent, task, 20);
    zs_agent_task_unlink(agent, task);
    //  Weight 1/4 for the newest: 100 -> 80
    double expect = first + (20 - first) / ZS_REGISTRY_HOLD_WEIGHT;
    ZS_CHECK(agent->hold_ms >= expect - 1 && agent->hold_ms <= expect + 12);
    agent->hold_ms = 9;
    s_outcomes(agent, "ok", 3);
    s_outcomes(agent, "fail", 1);
    ZS_CHECK(agent->done == 3 && agent->failed == 1);
    s_run(agent, task, 0);
    //  (9 + 1) x (1 + 1/2) / (4/6)^2 = 33.75 (the trust's evidence fades over minutes:
    //  by microseconds here)
    ZS_CHECK(fabs(zs_sched_score(agent) - 33.75) < 1e-6);
    zs_agent_task_unlink(agent, task);
    zs_task_destroy(&task);
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

//  The lowest score: the fast agent, then the reliable slow one over the failing one
static void
test_best_fit(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *slow = s_agent(registry, "slow", "w", 1, NULL);
    zs_agent_t *fast = s_agent(registry, "fast", "w", 1, NULL);
    zs_agent_t *flaky = s_agent(registry, "flaky", "w", 1, NULL);
    slow->hold_ms = 100;
    s_outcomes(slow, "ok", 10);
    fast->hold_ms = 10;
    s_outcomes(fast, "ok", 10);
    flaky->hold_ms = 10;
    s_outcomes(flaky, "timeout", 10);
    //  Scores: slow 101 x (12/11)^2 = 120, fast 11 x (12/11)^2 = 13, flaky 11 x 12^2
    ZS_CHECK(s_pick(sched, "w", ZS_STRATEGY_BEST_FIT) == fast);
    ZS_CHECK(s_pick(sched, "w", ZS_STRATEGY_BEST_FIT) == fast);
    zs_task_t *task = s_task("t", "w", 0, 1);
    s_run(fast, task, 0);
    ZS_CHECK(s_pick(sched, "w", ZS_STRATEGY_BEST_FIT) == slow);
    //  Least-loaded knows none of it: the idle agent picked longest ago
    ZS_CHECK(s_pick(sched, "w", ZS_STRATEGY_LEAST_LOADED) == flaky);
    zs_agent_task_unlink(fast, task);
    zs_task_destroy(&task);
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

//  ---------------------------------------------------------------------------------
//  Strategies: work-stealing

//  Backlogs fill the shortest queue, run first in first out, and an agent with room
//  and nothing of its own steals from the tail of the longest backlog
static void
test_work_stealing(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *a = s_agent(registry, "a", "w", 1, NULL);
    zs_agent_t *b = s_agent(registry, "b", "w", 1, NULL);
    zs_task_t *t[6];
    for (int i = 0; i < 6; i++) {
        char id[8];
        snprintf(id, sizeof id, "t%d", i + 1);
        t[i] = s_task(id, "w", 0, (uint64_t) i + 1);
    }
    ZS_CHECK(zs_sched_backlog_push(sched, t[0]) == a);
    ZS_CHECK(zs_sched_next_task(sched, a) == t[0]);
    s_run(a, t[0], 0);
    //  a runs t1: b has the shorter queue
    ZS_CHECK(zs_sched_backlog_push(sched, t[1]) == b);
    ZS_CHECK(zs_sched_next_task(sched, b) == t[1]);
    s_run(b, t[1], 0);
    //  Both busy: backlogs even out, ties to the agent picked longest ago
    ZS_CHECK(zs_sched_backlog_push(sched, t[2]) == a);
    ZS_CHECK(zs_sched_backlog_push(sched, t[3]) == b);
    ZS_CHECK(zs_sched_backlog_push(sched, t[4]) == a);
    ZS_CHECK(zs_sched_backlog_push(sched, t[5]) == b);
    ZS_CHECK(a->backlog.count == 2 && b->backlog.count == 2);
    ZS_CHECK(zs_sched_queued(sched) == 4 && t[2]->backlog == a);
    //  b is fast: it runs its own backlog first, in order
    zs_agent_task_unlink(b, t[1]);
    ZS_CHECK(zs_sched_next_task(sched, b) == t[3]);
    ZS_CHECK(zs_sched_next_task(sched, b) == t[5]);
    //  then steals from the tail of a's
    ZS_CHECK(zs_sched_next_task(sched, b) == t[4]);
    ZS_CHECK(a->backlog.count == 1 && a->backlog.head == &t[2]->link && !t[4]->backlog);
    //  A cancelled task leaves its backlog
    zs_sched_remove(sched, t[2]);
    ZS_CHECK(a->backlog.head == NULL && zs_sched_queued(sched) == 0);
    ZS_CHECK(zs_sched_next_task(sched, b) == NULL);
    zs_agent_task_unlink(a, t[0]);
    for (int i = 0; i < 6; i++) {
        zs_task_destroy(&t[i]);
    }
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

//  A thief steals only what it can run; a leaving agent's backlog goes back to the
//  queues, where any capable agent takes it
static void
test_work_stealing_limits(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *gpu = s_agent(registry, "gpu", "w", 1, "gpu");
    zs_agent_t *cpu = s_agent(registry, "cpu", "w", 1, NULL);
    zs_task_t *on_gpu = s_task("g", "w", 0, 1), *on_cpu = s_task("c", "w", 0, 2);
    s_run(gpu, on_gpu, 0);
    s_run(cpu, on_cpu, 0);
    zs_task_t *plain = s_task("plain", "w", 0, 3);
    zs_task_t *needy = s_task_requiring("needy", "w", "gpu", 4);
    //  Equal queues: the earlier registered agent; then the only one able
    ZS_CHECK(zs_sched_backlog_push(sched, plain) == gpu);
    ZS_CHECK(zs_sched_backlog_push(sched, needy) == gpu);
    zs_task_t *nobody = s_task("x", "nobody", 0, 5);
    ZS_CHECK(zs_sched_backlog_push(sched, nobody) == NULL && !nobody->backlog);
    zs_task_destroy(&nobody);
    //  cpu, freed, steals the plain task from behind the one it cannot run
    zs_agent_task_unlink(cpu, on_cpu);
    ZS_CHECK(zs_sched_next_task(sched, cpu) == plain);
    ZS_CHECK(zs_sched_next_task(sched, cpu) == NULL);
    ZS_CHECK(gpu->backlog.head == &needy->link && gpu->backlog.count == 1);
    //  gpu leaves: needy is queued again, and the flag says so once
    zs_agent_task_unlink(gpu, on_gpu);
    zs_registry_remove(registry, &gpu);
    ZS_CHECK(needy->backlog == NULL && needy->heap_index != SIZE_MAX);
    ZS_CHECK(zs_sched_requeued(sched) && !zs_sched_requeued(sched));
    ZS_CHECK(zs_sched_queued(sched) == 1);
    zs_sched_remove(sched, needy);
    zs_task_destroy(&on_gpu);
    zs_task_destroy(&on_cpu);
    zs_task_destroy(&plain);
    zs_task_destroy(&needy);
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

//  ---------------------------------------------------------------------------------
//  Strategies: auction

//  Offers reserve a slot of each capable agent with room; the lowest bid wins
static void
test_auction(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *a = s_agent(registry, "a", "w", 1, NULL);
    zs_agent_t *b = s_agent(registry, "b", "w", 2, NULL);
    zs_agent_t *full = s_agent(registry, "full", "w", 1, NULL);
    zs_task_t *running = s_task("r", "w", 0, 1);
    s_run(full, running, 0);
    zs_task_t *task = s_task("t", "w", 0, 2);
    zs_auction_t *auction = zs_sched_auction_open(sched, task);
    ZS_CHECK(auction && auction->count == 2 && auction->task == task);
    ZS_CHECK(a->offers == 1 && b->offers == 1 && full->offers == 0);
    ZS_CHECK(zs_agent_room(a) == 0 && zs_agent_room(b) == 1);
    ZS_CHECK(zs_sched_queued(sched) == 1);
    ZS_CHECK(zs_sched_auction_find(sched, "t") == auction);
    auction->timer_id = 7;
    ZS_CHECK(zs_sched_auction_by_timer(sched, 7) == auction);
    ZS_CHECK(zs_sched_auction_by_timer(sched, 8) == NULL);
    //  Bids from agents not offered the task, or a second bid, are dropped
    ZS_CHECK(zs_auction_bid(auction, full, 1) == -1);
    ZS_CHECK(zs_auction_bid(auction, a, 500) == 0 && !zs_auction_complete(auction));
    ZS_CHECK(zs_auction_bid(auction, a, 100) == -1);
    ZS_CHECK(zs_auction_bid(auction, b, 300) == 0 && zs_auction_complete(auction));
    ZS_CHECK(zs_sched_auction_close(sched, &auction) == b);
    ZS_CHECK(auction == NULL && a->offers == 0 && b->offers == 0);
    ZS_CHECK(zs_sched_auction_find(sched, "t") == NULL && zs_sched_queued(sched) == 0);
    //  Equal bids: the earlier one wins
    auction = zs_sched_auction_open(sched, task);
    ZS_CHECK(auction && auction->count == 2);
    ZS_CHECK(zs_auction_bid(auction, b, 300) == 0 &&
             zs_auction_bid(auction, a, 300) == 0);
    ZS_CHECK(zs_sched_auction_close(sched, &auction) == b);
    zs_agent_task_unlink(full, running);
    zs_task_destroy(&running);
    zs_task_destroy(&task);
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

//  No bid in time: least-loaded; a winner with no room left: the next bid; nobody with
//  room: no winner
static void
test_auction_fallback(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *a = s_agent(registry, "a", "w", 2, NULL);
    zs_agent_t *b = s_agent(registry, "b", "w", 2, NULL);
    zs_task_t *running = s_task("r", "w", 0, 1);
    s_run(a, running, 0);
    zs_task_t *task = s_task("t", "w", 0, 2);
    zs_auction_t *auction = zs_sched_auction_open(sched, task);
    ZS_CHECK(auction && auction->count == 2);
    ZS_CHECK(zs_sched_auction_close(sched, &auction) == b);
    auction = zs_sched_auction_open(sched, task);
    ZS_CHECK(zs_auction_bid(auction, b, 1) == 0 && zs_auction_bid(auction, a, 2) == 0);
    b->conc = 0;  //  it answered "busy" meanwhile
    ZS_CHECK(zs_sched_auction_close(sched, &auction) == a);
    auction = zs_sched_auction_open(sched, task);
    ZS_CHECK(auction && auction->count == 1 && zs_auction_bid(auction, a, 5) == 0);
    a->conc = 1;
    ZS_CHECK(zs_sched_auction_close(sched, &auction) == NULL);
    ZS_CHECK(zs_sched_auction_open(sched, task) == NULL);
    ZS_CHECK(a->offers == 0 && b->offers == 0);
    zs_agent_task_unlink(a, running);
    zs_task_destroy(&running);
    zs_task_destroy(&task);
    zs_sched_destroy(&sched);
    zs_registry_destroy(&registry);
}

//  A cancelled task's auction and a leaving agent's offer leave nothing behind
static void
test_auction_cleanup(void)
{
    zs_registry_t *registry = zs_registry_new();
    zs_sched_t *sched = zs_sched_new(registry);
    zs_agent_t *a = s_agent(registry, "a", "w", 1, NULL);
    zs_agent_t *b = s_agent(registry, "b", "w", 1, NULL);
    zs_task_t *task = s_task("t", "w", 0, 1);
    zs_auction_t *auction = zs_sched_auction_open(sched, task);
    ZS_CHECK(auction && zs_auction_bid(auction, a, 9) == 0);
    zs_sched_remove(sched, task);
    ZS_CHECK(zs_sched_auction_find(sched, "t") == NULL && a->offers == 0);
    ZS_CHECK(b->offers == 0 && zs_sched_queued(sched) == 0);
    auction = zs_sched_auction_open(sched, task);
    ZS_CHECK(auction && zs_auction_bid(auction, a, 9) == 0);
    zs_registry_remove(registry, &a);
    ZS_CHECK(auction->count == 1 && auction->bids == 0 && !zs_auction_complete(auction));
    ZS_CHECK(zs_auction_bid(auction, b, 20) == 0 && zs_auction_complete(auction));
    ZS_CHECK(zs_sched_auction_close(sched, &auction) == b);
    //  An auction still open when the scheduler goes releases its slots
    ZS_CHECK(zs_sched_auction_open(sched, task) && b->offers == 1);
    zs_sched_destroy(&sched);
    ZS_CHECK(b->offers == 0);
    zs_task_destroy(&task);
    zs_registry_destroy(&registry);
}

static const zs_test_case_t s_cases[] = {
    {"queue_and_dispatch", test_queue_and_dispatch},
    {"priority_then_fifo", test_priority_then_fifo},
    {"capabilities", test_capabilities},
    {"capabilities_from_the_swarm_file", test_capabilities_from_the_swarm_file},
    {"requires", test_requires},
    {"target_and_pause", test_target_and_pause},
    {"least_loaded_respects_concurrency", test_least_loaded_respects_concurrency},
    {"least_loaded_ties_rotate", test_least_loaded_ties_rotate},
    {"round_robin", test_round_robin},
    {"capability", test_capability},
    {"best_fit_score", test_best_fit_score},
    {"best_fit", test_best_fit},
    {"work_stealing", test_work_stealing},
    {"work_stealing_limits", test_work_stealing_limits},
    {"auction", test_auction},
    {"auction_fallback", test_auction_fallback},
    {"auction_cleanup", test_auction_cleanup},
    {"team_routes", test_team_routes},
};

ZS_TEST_MAIN(s_cases)
