//  zs_providers - see zs_providers.h

#include "coordinator/flow/zs_providers.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

//  One provider's circuit, counters and the minute's use
struct zs_provider_t {
    const zs_swarm_provider_t *conf;  //  the swarm file's, borrowed
    zs_provider_state_t state;        //  its circuit
    int64_t until;                    //  when open, bad or limited ends (monotonic ms)
    int timer_id;                     //  that end's timer, or -1
    int64_t *failed;                  //  when the last failures were, a ring, owned
    size_t failed_next;               //  where the next failure goes in the ring
    size_t failed_count;              //  failures in the ring
    uint64_t calls;                   //  calls reported since start
    uint64_t fails;                   //  of them, failures of the provider's own
    int64_t minute;                   //  when the rpm/tpm minute began
    uint64_t minute_calls;            //  calls in that minute
    uint64_t minute_tokens;           //  tokens in that minute
    char why[ZS_MSG_TEXT_MAX];        //  the last failure, escaped, or ""
    zs_providers_t *owner;            //  for the timer, borrowed
};

//  Outcomes that say the provider is unwell: they count toward opening its circuit. A
//  refused request (bad_request, context) or a cancel says nothing of its health
static bool
s_is_failure(zs_outcome_t outcome)
{
    return outcome == ZS_OUTCOME_RATE_LIMIT || outcome == ZS_OUTCOME_OVERLOADED ||
           outcome == ZS_OUTCOME_SERVER || outcome == ZS_OUTCOME_TIMEOUT ||
           outcome == ZS_OUTCOME_CONNECT || outcome == ZS_OUTCOME_MALFORMED ||
           outcome == ZS_OUTCOME_AUTH;
}

static zs_provider_t *
s_find(zs_providers_t *self, const char *name)
{
    for (size_t i = 0; i < self->count; i++) {
        if (streq(self->providers[i].conf->name, name)) {
            return &self->providers[i];
        }
    }
    return NULL;
}

static int64_t
s_left(zs_providers_t *self, const zs_provider_t *provider)
{
    int64_t left = provider->until - zs_core_now(self->core);
    bool waiting = provider->state == ZS_PROVIDER_OPEN ||
                   provider->state == ZS_PROVIDER_BAD ||
                   provider->state == ZS_PROVIDER_LIMITED;
    return waiting && left > 0 ? left : 0;
}

//  ---------------------------------------------------------------------------------------
//  Telling the agents and the events

static void
s_state_msg(zs_providers_t *self, const zs_provider_t *provider, zs_msg_t *msg)
{
    zs_msg_init(msg, ZS_MSG_PROVIDER_STATE);
    msg->provider = provider->conf->name;
    msg->state = zs_vocab_state(provider->state);
    msg->left = (uint64_t) s_left(self, provider);
    msg->why = provider->state == ZS_PROVIDER_CLOSED || !provider->why[0] ? NULL
                                                                          : provider->why;
}

static void
s_tell(zs_providers_t *self, zs_agent_t *agent, const zs_provider_t *provider)
{
    zs_msg_t msg;
    s_state_msg(self, provider, &msg);
    zs_core_send(self->core, agent->peer, &msg);
}

//  The circuit moved: every llm agent hears it, and so do the events' subscribers
static void
s_announce(zs_providers_t *self, const zs_provider_t *provider)
{
    for (zs_agent_t *agent = zhashx_first(self->agents); agent;
         agent = zhashx_next(self->agents)) {
        s_tell(self, agent, provider);
    }
    zs_msg_t event;
    s_state_msg(self, provider, &event);
    zs_core_publish(self->core, &event);
    if (provider->state == ZS_PROVIDER_CLOSED) {
        zsys_info("provider '%s' is closed: calls go to it again", provider->conf->name);
    } else {
        zsys_notice("provider '%s' is %s for %" PRId64 " ms: %s", provider->conf->name,
                    zs_vocab_state(provider->state), s_left(self, provider),
                    provider->why[0] ? provider->why : "no reason given");
    }
}

//  ---------------------------------------------------------------------------------------
//  The circuit

static int s_on_wait_end(zloop_t *loop, int timer_id, void *arg);

//  Move the circuit to state for wait_ms (0: until a report moves it). A move to the
//  state it is in is none, but for a limit that ends later: the calls in flight when
//  a provider fails report one after another, and each must not restart the cooldown
//  nor tell every agent again
static void
s_move(zs_providers_t *self,
       zs_provider_t *provider,
       zs_provider_state_t state,
       int64_t wait_ms)
{
    int64_t until = zs_core_now(self->core) + wait_ms;
    if (state == provider->state &&
        (state != ZS_PROVIDER_LIMITED || until <= provider->until)) {
        return;
    }
    zs_core_timer_end(self->core, provider->timer_id);
    provider->timer_id = -1;
    provider->state = state;
    provider->until = until;
    if (wait_ms > 0) {
        provider->timer_id =
            zs_core_timer(self->core, (size_t) wait_ms, s_on_wait_end, provider);
    }
    s_announce(self, provider);
}

//  An open or bad circuit half-opens when its wait ends; a limited one closes
static int
s_on_wait_end(zloop_t *loop, int timer_id, void *arg)
{
    zs_provider_t *provider = arg;
    provider->timer_id = -1;
    bool limited = provider->state == ZS_PROVIDER_LIMITED;
    s_move(provider->owner, provider, limited ? ZS_PROVIDER_CLOSED : ZS_PROVIDER_HALF_OPEN,
           0);
    return 0;
}

//  Failures within the window: the ring holds the times of the last `failures` of them,
//  so the oldest of those within the window means the circuit opens
static bool
s_record_failure(zs_providers_t *self, zs_provider_t *provider)
{
    const zs_swarm_cooldown_t *cooldown = &provider->conf->cooldown;
    int64_t now = zs_core_now(self->core);
    provider->failed[provider->failed_next] = now;
    provider->failed_next = (provider->failed_next + 1) % cooldown->failures;
    if (provider->failed_count < cooldown->failures) {
        provider->failed_count++;
    }
    int64_t oldest = provider->failed[provider->failed_next];
    return provider->failed_count == cooldown->failures &&
           now - oldest < (int64_t) cooldown->window_ms;
}

static void
s_forget_failures(zs_provider_t *provider)
{
    provider->failed_next = 0;
    provider->failed_count = 0;
}

//  The minute's calls and tokens against rpm and tpm: true when one is used up
static bool
s_use_minute(zs_providers_t *self, zs_provider_t *provider, uint64_t tokens)
{
    int64_t now = zs_core_now(self->core);
    if (now - provider->minute >= ZS_PROVIDERS_MINUTE_MS) {
        provider->minute = now;
        provider->minute_calls = 0;
        provider->minute_tokens = 0;
    }
    provider->minute_calls++;
    provider->minute_tokens += tokens;
    const zs_swarm_provider_t *conf = provider->conf;
    return (conf->rpm && provider->minute_calls >= conf->rpm) ||
           (conf->tpm && provider->minute_tokens >= conf->tpm);
}

static void
s_set_why(zs_provider_t *provider, zs_outcome_t outcome, const zs_msg_t *msg)
{
    char why[ZS_MSG_TEXT_MAX - 64];  //  room for the outcome and status before it
    zs_sanitize_str(why, sizeof why, msg->why ? msg->why : "");
    if (msg->http) {
        snprintf(provider->why, sizeof provider->why, "%s (http %" PRIu64 ")%s%s",
                 zs_vocab_outcome(outcome), msg->http, why[0] ? ": " : "", why);
    } else {
        snprintf(provider->why, sizeof provider->why, "%s%s%s", zs_vocab_outcome(outcome),
                 why[0] ? ": " : "", why);
    }
}

//  Where a call's outcome takes the circuit. A success closes it (also an open one: the
//  provider answers again); a provider that asks to wait is limited for that long; an
//  auth failure makes it bad; other failures open it once they are too many
static void
s_judge(zs_providers_t *self,
        zs_provider_t *provider,
        zs_outcome_t outcome,
        const zs_msg_t *msg,
        bool minute_used)
{
    const zs_swarm_cooldown_t *cooldown = &provider->conf->cooldown;
    if (outcome == ZS_OUTCOME_OK) {
        s_forget_failures(provider);
        if (minute_used && provider->state != ZS_PROVIDER_LIMITED) {
            snprintf(provider->why, sizeof provider->why, "the minute's rpm or tpm is used");
            s_move(self, provider, ZS_PROVIDER_LIMITED,
                   provider->minute + ZS_PROVIDERS_MINUTE_MS - zs_core_now(self->core));
        } else if (provider->state == ZS_PROVIDER_OPEN ||
                   provider->state == ZS_PROVIDER_HALF_OPEN ||
                   provider->state == ZS_PROVIDER_BAD) {
            s_move(self, provider, ZS_PROVIDER_CLOSED, 0);
        }
        return;
    }
    if (!s_is_failure(outcome)) {
        return;
    }
    provider->fails++;
    s_set_why(provider, outcome, msg);
    bool too_many = s_record_failure(self, provider);
    if (outcome == ZS_OUTCOME_AUTH) {
        s_move(self, provider, ZS_PROVIDER_BAD, ZS_PROVIDERS_BAD_MS);
    } else if (outcome == ZS_OUTCOME_RATE_LIMIT && msg->retry) {
        int64_t wait = msg->retry < ZS_PROVIDERS_LIMIT_MAX_MS ? (int64_t) msg->retry
                                                              : ZS_PROVIDERS_LIMIT_MAX_MS;
        s_move(self, provider, ZS_PROVIDER_LIMITED, wait);
    } else if (provider->state == ZS_PROVIDER_HALF_OPEN || too_many) {
        s_move(self, provider, ZS_PROVIDER_OPEN, cooldown->cooldown_ms);
    }
}

//  ---------------------------------------------------------------------------------------
//  Spending and budgets

//  What a call cost at the provider's prices (USD a million tokens)
static double
s_price(const zs_swarm_provider_t *conf, uint64_t tok_in, uint64_t tok_out)
{
    return ((double) tok_in * conf->price_in + (double) tok_out * conf->price_out) / 1e6;
}

//  Is this budget spent by sum? Then err says so, naming the budget by what
static bool
s_spent(const zs_swarm_budget_t *budget,
        const zs_spend_sum_t *sum,
        const char *what,
        zs_error_t *err)
{
    uint64_t tokens = zs_spend_tokens(sum);
    if (budget->tokens && tokens >= budget->tokens) {
        zs_error_set(err, ZS_ERR_BUDGET, "budget: %s spent %" PRIu64 " of %" PRIu64
                     " tokens", what, tokens, budget->tokens);
        return true;
    }
    if (budget->usd > 0 && sum->usd >= budget->usd) {
        zs_error_set(err, ZS_ERR_BUDGET, "budget: %s spent $%.6f of $%.6f", what,
                     sum->usd, budget->usd);
        return true;
    }
    return false;
}

static void
s_publish_spent(zs_providers_t *self,
                const char *scope,
                const zs_swarm_budget_t *budget,
                const zs_spend_sum_t *sum)
{
    zs_msg_t event;
    zs_msg_init(&event, ZS_MSG_EV_BUDGET_SPENT);
    event.scope = scope;
    event.tok = zs_spend_tokens(sum);
    event.usd = sum->usd;
    event.tok_max = budget->tokens;
    event.usd_max = budget->usd > 0 ? budget->usd : (double) NAN;
    zs_core_publish(self->core, &event);
}

//  After a call was counted: announce a budget the first time it is spent
static void
s_check_budgets(zs_providers_t *self, const char *atype)
{
    const zs_swarm_t *swarm = self->core->swarm;
    zs_error_t err;
    zs_spend_sum_t sum = zs_spend_swarm(self->spend);
    if (!self->swarm_spent && s_spent(&swarm->budget, &sum, "the swarm", &err)) {
        self->swarm_spent = true;
        zsys_warning("%s: no more llm tasks are dispatched", err.text);
        s_publish_spent(self, "swarm", &swarm->budget, &sum);
    }
    const zs_swarm_type_t *type = zs_swarm_type_find(swarm, atype);
    if (!type || type->handler != ZS_HANDLER_LLM) {
        return;
    }
    size_t index = (size_t) (type - swarm->types);
    char what[ZS_MSG_NAME_MAX + 16];
    snprintf(what, sizeof what, "type '%s'", atype);
    sum = zs_spend_type(self->spend, atype);
    if (!self->type_spent[index] && s_spent(&type->llm.type, &sum, what, &err)) {
        self->type_spent[index] = true;
        zsys_warning("%s: no more of its tasks are dispatched", err.text);
        s_publish_spent(self, atype, &type->llm.type, &sum);
    }
}

//  Count what one call for task spent, as the journal records it; the task keeps its
//  own sum when the reporting agent runs it (a final task's view is not changed after
//  its end was journaled)
static void
s_count(zs_providers_t *self,
        const zs_swarm_provider_t *conf,
        const zs_agent_t *agent,
        const zs_msg_t *msg)
{
    zs_spend_sum_t sum = {msg->tok_in, msg->tok_out,
                          s_price(conf, msg->tok_in, msg->tok_out)};
    zs_spend_add(self->spend, conf->name, agent->atype, &sum);
    zs_durable_spend(self->durable, conf->name, agent->atype, &sum);
    zs_task_t *task = zs_tasks_find(self->tasks, msg->task);
    if (task && !zs_task_is_final(task) && task->agent_id &&
        streq(task->agent_id, agent->id)) {
        task->tok_in += sum.tok_in;
        task->tok_out += sum.tok_out;
        task->usd += sum.usd;
    }
    s_check_budgets(self, agent->atype);
}

//  ---------------------------------------------------------------------------------------
//  Public API

void
zs_providers_init(zs_providers_t *self,
                  zs_core_t *core,
                  zs_tasks_t *tasks,
                  zs_durable_t *durable)
{
    assert(self && core && tasks && durable);
    const zs_swarm_t *swarm = core->swarm;
    *self = (zs_providers_t){.core = core, .tasks = tasks, .durable = durable};
    self->spend = zs_spend_new();
    self->count = swarm->provider_count;
    self->providers = zs_calloc(self->count ? self->count : 1, sizeof *self->providers);
    for (size_t i = 0; i < self->count; i++) {
        zs_provider_t *provider = &self->providers[i];
        provider->conf = &swarm->providers[i];
        provider->timer_id = -1;
        provider->owner = self;
        provider->failed = zs_calloc(provider->conf->cooldown.failures, sizeof(int64_t));
        provider->minute = INT64_MIN / 2;
    }
    self->agents = zhashx_new();
    self->type_spent = zs_calloc(swarm->type_count ? swarm->type_count : 1, sizeof(bool));
}

void
zs_providers_fini(zs_providers_t *self)
{
    assert(self);
    for (size_t i = 0; i < self->count; i++) {
        zs_core_timer_end(self->core, self->providers[i].timer_id);
        free(self->providers[i].failed);
    }
    free(self->providers);
    free(self->type_spent);
    zhashx_destroy(&self->agents);
    zs_spend_destroy(&self->spend);
}

void
zs_providers_joined(zs_providers_t *self, zs_agent_t *agent)
{
    assert(self && agent);
    const zs_swarm_type_t *type = zs_swarm_type_find(self->core->swarm, agent->atype);
    if (!type || type->handler != ZS_HANDLER_LLM) {
        return;
    }
    zhashx_update(self->agents, agent->id, agent);
    for (size_t i = 0; i < self->count; i++) {
        if (self->providers[i].state != ZS_PROVIDER_CLOSED) {
            s_tell(self, agent, &self->providers[i]);
        }
    }
}

void
zs_providers_leaving(zs_providers_t *self, zs_agent_t *agent)
{
    assert(self && agent);
    if (zhashx_lookup(self->agents, agent->id) == agent) {
        zhashx_delete(self->agents, agent->id);
    }
}

void
zs_providers_report(zs_providers_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    assert(self && agent && msg);
    zs_provider_t *provider = s_find(self, msg->provider);
    int outcome = zs_vocab_outcome_from(msg->outcome);
    zs_error_t err;
    if (!provider) {
        zs_error_set(&err, ZS_ERR_INVALID, "no provider '%s' in the swarm file",
                     msg->provider);
    } else if (outcome < 0) {
        zs_error_set(&err, ZS_ERR_INVALID,
                     "unknown outcome (expected ok, rate_limit, overloaded, server, "
                     "timeout, connect, auth, bad_request, context, malformed or "
                     "cancelled)");
    } else if (msg->tok_in > ZS_MSG_CALL_TOKENS_MAX || msg->tok_out > ZS_MSG_CALL_TOKENS_MAX) {
        //  No call is that large: a count past it would only wrap the sums and budgets
        zs_error_set(&err, ZS_ERR_INVALID, "tok_in and tok_out are at most %d a call",
                     ZS_MSG_CALL_TOKENS_MAX);
    } else {
        provider->calls++;
        if (msg->tok_in || msg->tok_out) {
            s_count(self, provider->conf, agent, msg);
        }
        bool minute_used = s_use_minute(self, provider, msg->tok_in + msg->tok_out);
        s_judge(self, provider, (zs_outcome_t) outcome, msg, minute_used);
        return;
    }
    zs_core_send_error(self->core, agent->peer, &err, msg->task);
}

int
zs_providers_admits(zs_providers_t *self,
                    const char *atype,
                    const zs_task_t *task,
                    zs_error_t *err)
{
    assert(self && atype && task);
    if (self->count == 0) {
        return 0;  //  no llm type: the dispatch of every task asks, keep it cheap
    }
    const zs_swarm_t *swarm = self->core->swarm;
    const zs_swarm_type_t *type = zs_swarm_type_find(swarm, atype);
    if (!type || type->handler != ZS_HANDLER_LLM) {
        return 0;
    }
    zs_spend_sum_t sum = zs_spend_swarm(self->spend);
    if (s_spent(&swarm->budget, &sum, "the swarm", err)) {
        return -1;
    }
    char what[ZS_MSG_NAME_MAX + 16];
    snprintf(what, sizeof what, "type '%s'", atype);
    sum = zs_spend_type(self->spend, atype);
    if (s_spent(&type->llm.type, &sum, what, err)) {
        return -1;
    }
    zs_spend_sum_t mine = {task->tok_in, task->tok_out, task->usd};
    return s_spent(&type->llm.task, &mine, "the task", err) ? -1 : 0;
}

static zs_msg_budget_t
s_budget_record(const char *scope, const zs_swarm_budget_t *budget, zs_spend_sum_t sum)
{
    return (zs_msg_budget_t){
        .scope = scope,
        .tok = zs_spend_tokens(&sum),
        .usd = sum.usd,
        .tok_max = budget->tokens,
        .usd_max = budget->usd > 0 ? budget->usd : (double) NAN,
    };
}

//  The swarm's budget, then each llm type's
static zs_msg_budget_t *
s_budget_records(zs_providers_t *self, size_t *count)
{
    const zs_swarm_t *swarm = self->core->swarm;
    zs_msg_budget_t *records = zs_calloc(swarm->type_count + 1, sizeof *records);
    records[0] = s_budget_record("swarm", &swarm->budget, zs_spend_swarm(self->spend));
    *count = 1;
    for (size_t i = 0; i < swarm->type_count; i++) {
        const zs_swarm_type_t *type = &swarm->types[i];
        if (type->handler == ZS_HANDLER_LLM) {
            records[(*count)++] = s_budget_record(type->type, &type->llm.type,
                                                  zs_spend_type(self->spend, type->type));
        }
    }
    return records;
}

static zs_msg_provider_t
s_provider_record(zs_providers_t *self, const zs_provider_t *provider)
{
    const zs_swarm_provider_t *conf = provider->conf;
    zs_spend_sum_t sum = zs_spend_provider(self->spend, conf->name);
    return (zs_msg_provider_t){
        .name = conf->name,
        .kind = zs_vocab_kind(conf->kind),
        .model = conf->model,
        .state = zs_vocab_state(provider->state),
        .left = (uint64_t) s_left(self, provider),
        .calls = provider->calls,
        .fails = provider->fails,
        .tok_in = sum.tok_in,
        .tok_out = sum.tok_out,
        .usd = sum.usd,
        .rpm = conf->rpm,
        .tpm = conf->tpm,
        .why = provider->why[0] ? provider->why : NULL,
    };
}

void
zs_providers_reply(zs_providers_t *self,
                   const zs_client_ref_t *client,
                   const zs_msg_t *request)
{
    assert(self && client && request);
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_PROVIDERS_OK);
    reply.rid = request->rid;
    reply.providers = zs_calloc(self->count ? self->count : 1, sizeof *reply.providers);
    for (size_t i = 0; i < self->count; i++) {
        reply.providers[i] = s_provider_record(self, &self->providers[i]);
    }
    reply.provider_count = self->count;
    reply.budgets = s_budget_records(self, &reply.budget_count);
    zs_core_reply(self->core, client, &reply);
    free(reply.providers);
    free(reply.budgets);
}

void
zs_providers_status(zs_providers_t *self, zs_msg_t *status)
{
    assert(self && status);
    const zs_swarm_budget_t *budget = &self->core->swarm->budget;
    zs_spend_sum_t sum = zs_spend_swarm(self->spend);
    status->tok_in = sum.tok_in;
    status->tok_out = sum.tok_out;
    status->usd = sum.usd;
    status->tok_max = budget->tokens;
    status->usd_max = budget->usd > 0 ? budget->usd : (double) NAN;
}

void
zs_providers_replay(zs_providers_t *self, const zs_msg_t *record)
{
    assert(self && record);
    zs_spend_sum_t sum = {record->tok_in, record->tok_out,
                          isnan(record->usd) ? 0.0 : record->usd};
    zs_spend_add(self->spend, record->provider, record->atype, &sum);
}
