//  test_providers - the providers part in process: circuits that open, half-open and
//  close; waits a provider asks for; rpm; what calls spent and the budgets it spends;
//  the providers request and status (zs_test_core.h records what is said, and its
//  clock drives the cooldowns)

#include <inttypes.h>
#include <math.h>

#include "coordinator/flow/zs_providers.h"
#include "tests/unit/zs_test.h"
#include "tests/unit/zs_test_core.h"
#include "tests/unit/zs_test_flow.h"

//  fast opens after 2 failures within 1 s and cools down for 500 ms; slow keeps the
//  defaults and asks at most 3 calls a minute. coder spends at most 100 tokens, each
//  tester task 30, the swarm at most $1
#define S_SWARM                                                                          \
    "name: t\n"                                                                          \
    "budget: {usd: 1}\n"                                                                 \
    "providers:\n"                                                                       \
    "  fast:\n"                                                                          \
    "    kind: openai\n"                                                                 \
    "    base_url: http://127.0.0.1:1/v1\n"                                              \
    "    model: m\n"                                                                     \
    "    price_in: 1000\n"                                                               \
    "    price_out: 2000\n"                                                              \
    "    cooldown: {failures: 2, window_ms: 1000, cooldown_ms: 500}\n"                   \
    "  slow: {kind: ollama, base_url: 'http://127.0.0.1:2', model: m, rpm: 3}\n"         \
    "agents:\n"                                                                          \
    "  - type: coder\n"                                                                  \
    "    count: 0\n"                                                                     \
    "    handler: llm\n"                                                                 \
    "    llm: {provider: fast, fallbacks: [slow], budget: {tokens: 100}}\n"              \
    "  - type: tester\n"                                                                 \
    "    count: 0\n"                                                                     \
    "    handler: llm\n"                                                                 \
    "    llm: {provider: slow, task_budget: {tokens: 30}}\n"                             \
    "  - {type: w, count: 0}\n"

typedef struct {
    zs_swarm_t *swarm;          //  owned
    zs_test_core_t io;          //  the recorded core
    zs_tasks_t tasks;           //  the tasks whose spending is kept
    zs_durable_t durable;       //  no journal: the swarm names none
    zs_providers_t providers;   //  the part under test
    zs_dispatch_t dispatch;     //  registers the agents
    char peers[4];              //  made-up sessions: &peers[i]
    zs_client_ref_t client;     //  a made-up control client
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
    //  In zs_coord_parts_init's order: the providers, then the journal glue over them
    zs_providers_init(&env->providers, &env->io.core, &env->tasks, &env->durable);
    zs_durable_init(&env->durable, &env->io.core, &env->tasks, NULL,
                    env->providers.spend);
    zs_dispatch_init(&env->dispatch, &env->io.core, &env->tasks, &env->providers);
    zs_test_client(&env->client, "client");
    return env;
}

static void
s_env_destroy(s_env_t **env_p)
{
    s_env_t *env = *env_p;
    zs_dispatch_fini(&env->dispatch);
    zs_providers_fini(&env->providers);
    zs_durable_fini(&env->durable);
    zs_tasks_fini(&env->tasks);
    zs_test_core_fini(&env->io);
    zs_swarm_destroy(&env->swarm);
    free(env);
    *env_p = NULL;
}

//  An agent of atype on made-up session n, registered and welcomed
static zs_agent_t *
s_join(s_env_t *env, const char *id, const char *atype, int n)
{
    zs_agent_t *agent = zs_test_flow_agent(&env->dispatch, id, atype, 1, &env->peers[n]);
    zs_providers_joined(&env->providers, agent);
    return agent;
}

//  What the agent says one call to provider came to
static void
s_report(s_env_t *env,
         zs_agent_t *agent,
         const char *provider,
         const char *outcome,
         uint64_t tok_in,
         uint64_t tok_out,
         uint64_t retry)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_PROVIDER_REPORT);
    msg.task = "t1";
    msg.att = 1;
    msg.provider = provider;
    msg.outcome = outcome;
    msg.tok_in = tok_in;
    msg.tok_out = tok_out;
    msg.retry = retry;
    msg.http = streq(outcome, "ok") ? 200 : 503;
    msg.why = streq(outcome, "ok") ? NULL : "the provider said no";
    zs_providers_report(&env->providers, agent, &msg);
}

//  A task of ttype accepted under id, which the table owns
static zs_task_t *
s_task(s_env_t *env, const char *id, const char *ttype)
{
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = ttype;
    return zs_tasks_accept(&env->tasks, &submit, id, 1000, 3);
}

//  A task of ttype given to its type's one agent: its first attempt runs
static zs_task_t *
s_running(s_env_t *env, const char *id, const char *ttype)
{
    zs_task_t *task = s_task(env, id, ttype);
    zs_dispatch_ready(&env->dispatch, task);
    zs_dispatch_type(&env->dispatch, ttype);
    return task;
}

//  The next provider.state the agent was sent says provider is in state
static bool
s_told(s_env_t *env, const zs_agent_t *agent, const char *provider, const char *state)
{
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_SENT, ZS_MSG_PROVIDER_STATE, agent->peer);
    bool ok = said && streq(said->msg.provider, provider) && streq(said->msg.state, state);
    if (!ok) {
        fprintf(stderr, "  told: %s %s, expected %s %s\n", said ? said->msg.provider : "-",
                said ? said->msg.state : "-", provider, state);
    }
    zs_test_said_destroy(&said);
    return ok;
}

//  The next provider.state event says provider is in state, with left ms to wait
static bool
s_event(s_env_t *env, const char *provider, const char *state, uint64_t left)
{
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_PUBLISHED, ZS_MSG_PROVIDER_STATE, NULL);
    bool ok = said && streq(said->msg.provider, provider) &&
              streq(said->msg.state, state) && said->msg.left == left;
    if (!ok) {
        fprintf(stderr, "  event: %s %s %" PRIu64 ", expected %s %s %" PRIu64 "\n",
                said ? said->msg.provider : "-", said ? said->msg.state : "-",
                said ? said->msg.left : 0, provider, state, left);
    }
    zs_test_said_destroy(&said);
    return ok;
}

//  Failures within the window open the circuit, for every llm agent and the events;
//  the cooldown half-opens it; a success closes it
static void
test_circuit(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *coder = s_join(env, "coder-1", "coder", 0);
    zs_agent_t *tester = s_join(env, "tester-1", "tester", 1);
    zs_agent_t *worker = s_join(env, "w-1", "w", 2);
    s_report(env, coder, "fast", "server", 0, 0, 0);
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    zs_test_core_advance(&env->io, 999);
    s_report(env, coder, "fast", "timeout", 0, 0, 0);
    ZS_EXPECT(ok, s_told(env, coder, "fast", "open"));
    ZS_EXPECT(ok, s_told(env, tester, "fast", "open"));
    ZS_EXPECT(ok, s_event(env, "fast", "open", 500));
    //  Not an llm agent: told nothing
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    (void) worker;
    //  The calls that were in flight fail too: the cooldown is not restarted, and
    //  nobody is told again
    zs_test_core_advance(&env->io, 100);
    s_report(env, tester, "fast", "server", 0, 0, 0);
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    zs_test_core_advance(&env->io, 400);
    ZS_EXPECT(ok, s_told(env, coder, "fast", "half_open"));
    ZS_EXPECT(ok, s_told(env, tester, "fast", "half_open"));
    ZS_EXPECT(ok, s_event(env, "fast", "half_open", 0));
    zs_test_core_advance(&env->io, 0);
    s_report(env, coder, "fast", "server", 0, 0, 0);
    ZS_EXPECT(ok, s_event(env, "fast", "open", 500));
    zs_test_core_forget(&env->io);
    //  A newcomer hears of it at once
    zs_agent_t *late = s_join(env, "coder-2", "coder", 3);
    ZS_EXPECT(ok, s_told(env, late, "fast", "open"));
    zs_test_core_advance(&env->io, 500);
    ZS_EXPECT(ok, s_told(env, coder, "fast", "half_open"));
    ZS_EXPECT(ok, s_told(env, tester, "fast", "half_open"));
    ZS_EXPECT(ok, s_told(env, late, "fast", "half_open"));
    ZS_EXPECT(ok, s_event(env, "fast", "half_open", 0));
    //  A probe that fails opens it again at once
    s_report(env, coder, "fast", "overloaded", 0, 0, 0);
    ZS_EXPECT(ok, s_event(env, "fast", "open", 500));
    zs_test_core_advance(&env->io, 500);
    ZS_EXPECT(ok, s_event(env, "fast", "half_open", 0));
    s_report(env, coder, "fast", "ok", 1, 1, 0);
    ZS_EXPECT(ok, s_event(env, "fast", "closed", 0));
    zs_test_core_forget(&env->io);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Failures further apart than the window, and refusals that say nothing of the
//  provider's health, leave it closed
static void
test_window(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    zs_agent_t *coder = s_join(env, "coder-1", "coder", 0);
    s_report(env, coder, "fast", "server", 0, 0, 0);
    zs_test_core_advance(&env->io, 1000);
    s_report(env, coder, "fast", "server", 0, 0, 0);
    zs_test_core_advance(&env->io, 1000);
    s_report(env, coder, "fast", "connect", 0, 0, 0);
    for (int i = 0; i < 5; i++) {
        s_report(env, coder, "fast", "bad_request", 0, 0, 0);
        s_report(env, coder, "fast", "context", 0, 0, 0);
        s_report(env, coder, "fast", "cancelled", 0, 0, 0);
    }
    ZS_CHECK(zs_test_core_left(&env->io) == 0);
    //  A success forgets the failures before it
    s_report(env, coder, "fast", "ok", 0, 0, 0);
    s_report(env, coder, "fast", "server", 0, 0, 0);
    ZS_CHECK(zs_test_core_left(&env->io) == 0);
    s_env_destroy(&env);
}

//  A provider that asks to wait is skipped that long, then closed; one that refuses
//  the key is bad for ZS_PROVIDERS_BAD_MS
static void
test_limited_and_bad(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *coder = s_join(env, "coder-1", "coder", 0);
    s_report(env, coder, "slow", "rate_limit", 0, 0, 2000);
    ZS_EXPECT(ok, s_event(env, "slow", "limited", 2000));
    zs_test_core_advance(&env->io, 1999);
    ZS_EXPECT(ok, !zs_test_core_took(&env->io, ZS_TEST_PUBLISHED, ZS_MSG_PROVIDER_STATE,
                                     NULL));
    zs_test_core_advance(&env->io, 1);
    ZS_EXPECT(ok, s_event(env, "slow", "closed", 0));
    s_report(env, coder, "fast", "auth", 0, 0, 0);
    ZS_EXPECT(ok, s_event(env, "fast", "bad", ZS_PROVIDERS_BAD_MS));
    zs_test_core_forget(&env->io);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  rpm counts calls in the minute: the last one allowed limits the provider until the
//  minute ends
static void
test_rpm(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *tester = s_join(env, "tester-1", "tester", 0);
    s_report(env, tester, "slow", "ok", 1, 1, 0);
    zs_test_core_advance(&env->io, 10000);
    s_report(env, tester, "slow", "ok", 1, 1, 0);
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_report(env, tester, "slow", "ok", 1, 1, 0);
    ZS_EXPECT(ok, s_event(env, "slow", "limited", 50000));
    zs_test_core_advance(&env->io, 50000);
    ZS_EXPECT(ok, s_event(env, "slow", "closed", 0));
    zs_test_core_forget(&env->io);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  Calls are priced from the swarm file, the task keeps its sum, and a type's budget
//  spent stops dispatch of its tasks (with a budget.spent event, once)
static void
test_budgets(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *coder = s_join(env, "coder-1", "coder", 0);
    zs_task_t *task = s_running(env, "t1", "coder");
    zs_task_t *other = s_task(env, "t2", "tester");
    zs_test_core_forget(&env->io);
    s_report(env, coder, "fast", "ok", 40, 10, 0);
    //  40 x $1000 + 10 x $2000 a million tokens: $0.06
    ZS_EXPECT(ok, task->tok_in == 40 && task->tok_out == 10);
    ZS_EXPECT(ok, fabs(task->usd - 0.06) < 1e-12);
    zs_error_t err;
    ZS_EXPECT(ok, zs_providers_admits(&env->providers, "coder", task, &err) == 0);
    s_report(env, coder, "slow", "ok", 25, 25, 0);
    ZS_EXPECT(ok, zs_providers_admits(&env->providers, "coder", task, &err) == -1);
    ZS_EXPECT(ok, err.code == ZS_ERR_BUDGET);
    ZS_EXPECT(ok, streq(err.text, "budget: type 'coder' spent 100 of 100 tokens"));
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_PUBLISHED, ZS_MSG_EV_BUDGET_SPENT, NULL);
    ZS_EXPECT(ok, said && streq(said->msg.scope, "coder") && said->msg.tok == 100 &&
                      said->msg.tok_max == 100);
    zs_test_said_destroy(&said);
    s_report(env, coder, "slow", "ok", 1, 0, 0);
    ZS_EXPECT(ok, !zs_test_core_took(&env->io, ZS_TEST_PUBLISHED, ZS_MSG_EV_BUDGET_SPENT,
                                     NULL));
    //  Other types spend from the swarm's budget only; agents of no llm type never
    ZS_EXPECT(ok, zs_providers_admits(&env->providers, "tester", other, &err) == 0);
    ZS_EXPECT(ok, zs_providers_admits(&env->providers, "w", other, &err) == 0);
    //  $0.942 more puts the swarm at $1.002
    s_report(env, coder, "fast", "ok", 470, 236, 0);
    ZS_EXPECT(ok, zs_providers_admits(&env->providers, "tester", other, &err) == -1);
    ZS_EXPECT(ok, streq(err.text, "budget: the swarm spent $1.002000 of $1.000000"));
    ZS_EXPECT(ok, zs_test_core_took(&env->io, ZS_TEST_PUBLISHED, ZS_MSG_EV_BUDGET_SPENT,
                                    NULL));
    //  status.ok carries the swarm's sums and budget
    zs_msg_t status;
    zs_msg_init(&status, ZS_MSG_STATUS_OK);
    zs_providers_status(&env->providers, &status);
    ZS_EXPECT(ok, status.tok_in == 536 && status.tok_out == 271);
    ZS_EXPECT(ok, isnan(status.usd_max) == 0 && status.usd_max == 1.0);
    ZS_EXPECT(ok, status.tok_max == 0);
    zs_test_core_forget(&env->io);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A ready task dispatch would give to an llm agent of a spent type ends dead with
//  code 15 and the budget's reason; the agent keeps its slot
static void
test_dispatch_refuses(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *coder = s_join(env, "coder-1", "coder", 0);
    s_report(env, coder, "fast", "ok", 100, 0, 0);
    zs_test_core_forget(&env->io);
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = "coder";
    zs_task_t *task = zs_tasks_accept(&env->tasks, &submit, "t2", 1000, 3);
    zs_dispatch_ready(&env->dispatch, task);
    zs_dispatch_type(&env->dispatch, "coder");
    ZS_EXPECT(ok, task->state == ZS_TASK_DEAD);
    ZS_EXPECT(ok, task->result.code == ZS_ERR_BUDGET && task->att == 0);
    ZS_EXPECT(ok, streq(task->result.why, "budget: type 'coder' spent 100 of 100 tokens"));
    ZS_EXPECT(ok, coder->load == 0);
    ZS_EXPECT(ok, !zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_TASK_ASSIGN, NULL));
    zs_msg_t view;
    zs_msg_init(&view, ZS_MSG_TASK_OK);
    zs_task_describe(task, &view);
    ZS_EXPECT(ok, view.code == ZS_ERR_BUDGET);
    zs_test_core_forget(&env->io);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  providers.ok: each provider as the coordinator sees it, then the swarm's budget and
//  each llm type's
static void
test_reply(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *coder = s_join(env, "coder-1", "coder", 0);
    s_report(env, coder, "fast", "ok", 10, 20, 0);
    s_report(env, coder, "fast", "server", 0, 0, 0);
    zs_test_core_forget(&env->io);
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_PROVIDERS);
    request.rid = 7;
    zs_providers_reply(&env->providers, &env->client, &request);
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_REPLIED, ZS_MSG_PROVIDERS_OK, &env->client);
    ZS_EXPECT(ok, said && said->msg.rid == 7 && said->msg.provider_count == 2);
    if (said && said->msg.provider_count == 2) {
        const zs_msg_provider_t *fast = &said->msg.providers[0];
        ZS_EXPECT(ok, streq(fast->name, "fast") && streq(fast->kind, "openai"));
        ZS_EXPECT(ok, streq(fast->state, "closed") && fast->calls == 2 && fast->fails == 1);
        ZS_EXPECT(ok, fast->tok_in == 10 && fast->tok_out == 20);
        ZS_EXPECT(ok, fabs(fast->usd - 0.05) < 1e-12);
        ZS_EXPECT(ok, fast->why && strstr(fast->why, "server (http 503)"));
        const zs_msg_provider_t *slow = &said->msg.providers[1];
        ZS_EXPECT(ok, streq(slow->kind, "ollama") && slow->rpm == 3 && !slow->why);
    }
    ZS_EXPECT(ok, said && said->msg.budget_count == 3);
    if (said && said->msg.budget_count == 3) {
        ZS_EXPECT(ok, streq(said->msg.budgets[0].scope, "swarm"));
        ZS_EXPECT(ok, said->msg.budgets[0].usd_max == 1.0);
        ZS_EXPECT(ok, streq(said->msg.budgets[1].scope, "coder"));
        ZS_EXPECT(ok, said->msg.budgets[1].tok == 30 &&
                          said->msg.budgets[1].tok_max == 100);
        ZS_EXPECT(ok, isnan(said->msg.budgets[1].usd_max));
        ZS_EXPECT(ok, streq(said->msg.budgets[2].scope, "tester"));
    }
    zs_test_said_destroy(&said);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A report of a provider the swarm lacks, or of an outcome nobody knows, is refused
//  and counts nothing; a replayed spend record counts without a word
static void
test_refusals_and_replay(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *coder = s_join(env, "coder-1", "coder", 0);
    zs_task_t *task = s_task(env, "t1", "coder");
    s_report(env, coder, "nope", "ok", 100, 0, 0);
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_SENT, ZS_MSG_ERROR, coder->peer);
    ZS_EXPECT(ok, said && said->msg.code == ZS_ERR_INVALID);
    zs_test_said_destroy(&said);
    s_report(env, coder, "fast", "exploded", 100, 0, 0);
    ZS_EXPECT(ok, zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_ERROR, coder->peer));
    //  A count no call reaches would wrap the sums: refused, nothing counted
    s_report(env, coder, "fast", "ok", 0, UINT64_MAX - 50, 0);
    ZS_EXPECT(ok, zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_ERROR, coder->peer));
    ZS_EXPECT(ok, zs_spend_swarm(env->providers.spend).tok_out == 0);
    zs_error_t err;
    ZS_EXPECT(ok, zs_providers_admits(&env->providers, "coder", task, &err) == 0);
    zs_msg_t record;
    zs_msg_init(&record, ZS_MSG_SPEND);
    record.provider = "fast";
    record.atype = "coder";
    record.tok_in = 60;
    record.tok_out = 40;
    record.usd = 0.14;
    zs_providers_replay(&env->providers, &record);
    ZS_EXPECT(ok, zs_providers_admits(&env->providers, "coder", task, &err) == -1);
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A task's own budget holds across its attempts: what the earlier ones spent is not
//  given again, while another task of the type starts from nothing
static void
test_task_budget(void)
{
    s_env_t *env = s_env_new();
    ZS_CHECK(env);
    bool ok = true;
    zs_agent_t *tester = s_join(env, "tester-1", "tester", 0);
    zs_agent_t *other = s_join(env, "coder-1", "coder", 1);
    zs_task_t *task = s_running(env, "t1", "tester");
    zs_task_t *fresh = s_task(env, "t2", "tester");
    zs_error_t err;
    s_report(env, tester, "slow", "ok", 10, 10, 0);
    //  A report of an agent that does not run the task is not the task's
    s_report(env, other, "slow", "ok", 1000, 0, 0);
    ZS_EXPECT(ok, task->tok_in == 10 && task->tok_out == 10);
    ZS_EXPECT(ok, zs_providers_admits(&env->providers, "tester", task, &err) == 0);
    //  The next attempt is told what the task spent, so the agent takes it off
    zs_test_core_forget(&env->io);
    zs_test_flow_result(&env->dispatch, tester, "t1", 0, "fail", NULL);
    zs_dispatch_settle(&env->dispatch);
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_SENT, ZS_MSG_TASK_ASSIGN, tester->peer);
    ZS_EXPECT(ok, said && said->msg.att == 2 && said->msg.tok == 20 &&
                      isnan(said->msg.usd));
    zs_test_said_destroy(&said);
    zs_test_core_forget(&env->io);
    s_report(env, tester, "slow", "ok", 5, 5, 0);
    ZS_EXPECT(ok, zs_providers_admits(&env->providers, "tester", task, &err) == -1);
    ZS_EXPECT(ok, err.code == ZS_ERR_BUDGET);
    ZS_EXPECT(ok, streq(err.text, "budget: the task spent 30 of 30 tokens"));
    ZS_EXPECT(ok, zs_providers_admits(&env->providers, "tester", fresh, &err) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"circuit", test_circuit},
    {"window", test_window},
    {"limited_and_bad", test_limited_and_bad},
    {"rpm", test_rpm},
    {"budgets", test_budgets},
    {"dispatch_refuses", test_dispatch_refuses},
    {"reply", test_reply},
    {"refusals_and_replay", test_refusals_and_replay},
    {"task_budget", test_task_budget},
};

ZS_TEST_MAIN(s_cases)
