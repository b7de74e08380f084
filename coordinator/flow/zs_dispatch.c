//  zs_dispatch - see zs_dispatch.h

#include "coordinator/flow/zs_dispatch.h"

#include <assert.h>
#include <stdlib.h>

void
zs_dispatch_init(zs_dispatch_t *self,
                 zs_core_t *core,
                 zs_tasks_t *tasks,
                 zs_providers_t *providers)
{
    assert(self);
    *self = (zs_dispatch_t){.core = core, .tasks = tasks, .providers = providers};
    self->registry = zs_registry_new();
    self->sched = zs_sched_new(self->registry);
}

void
zs_dispatch_fini(zs_dispatch_t *self)
{
    assert(self);
    zs_sched_destroy(&self->sched);
    zs_registry_destroy(&self->registry);
}

zs_strategy_t
zs_dispatch_strategy(zs_dispatch_t *self, const zs_task_t *task)
{
    if (task->strategy != ZS_STRATEGY_DEFAULT) {
        return task->strategy;
    }
    const zs_swarm_t *swarm = self->core->swarm;
    const zs_swarm_type_t *type = zs_swarm_type_find(swarm, task->ttype);
    return type && type->strategy != ZS_STRATEGY_DEFAULT ? type->strategy
                                                         : swarm->strategy;
}

//  A task an llm agent was to run while a budget it spends from is spent: it ends dead
//  with the budget's error, and the agent keeps its slot for the next task
static void
s_refuse(zs_dispatch_t *self, zs_task_t *task, const zs_error_t *err)
{
    zs_task_set_outcome(task, "fail", err->text);
    task->result.code = (uint64_t) err->code;
    zs_task_apply(task, ZS_TASK_GIVE_UP);
    zs_core_ended(self->core, task);
}

//  The results a task takes as input, as records borrowing from it: an owned array, or
//  NULL when it takes none
static zs_msg_input_t *
s_inputs(const zs_task_t *task)
{
    size_t count = task->graph.input_count;
    zs_msg_input_t *records = count ? zs_calloc(count, sizeof *records) : NULL;
    for (size_t i = 0; i < count; i++) {
        const zs_task_part_t *part = zs_task_input(task, i, &records[i].task);
        records[i].status = zs_task_state_name(ZS_TASK_COMPLETED);
        records[i].out = part ? part->data : NULL;
        records[i].out_size = part ? part->size : 0;
        records[i].exit = part ? part->exit : 0;
    }
    return records;
}

//  Send a ready task (in no queue, backlog or auction) to agent, which has room, as its
//  next attempt
static void
s_assign(zs_dispatch_t *self, zs_agent_t *agent, zs_task_t *task)
{
    zs_error_t err;
    if (self->providers &&
        zs_providers_admits(self->providers, agent->atype, task, &err) != 0) {
        s_refuse(self, task, &err);
        return;
    }
    zs_task_apply(task, ZS_TASK_ASSIGN);
    zs_task_clear_progress(task);
    task->att++;
    free(task->agent_id);
    task->agent_id = zs_strdup(agent->id);
    task->assigned_ms = zs_core_now(self->core);
    //  Two heartbeats of grace: the agent's own timeout should report first
    task->deadline_ms =
        task->assigned_ms + task->tmo_ms + 2 * (int64_t) self->core->swarm->heartbeat_ms;
    zs_agent_task_link(agent, task);
    zs_msg_t assign;
    zs_msg_init(&assign, ZS_MSG_TASK_ASSIGN);
    assign.task = task->id;
    assign.ttype = task->ttype;
    assign.att = task->att;
    assign.payload = task->payload;
    assign.payload_size = task->payload_size;
    assign.tmo = task->tmo_ms;
    //  An llm agent holds the task's budget across attempts from what they spent
    assign.tok = task->tok_in + task->tok_out;
    assign.usd = task->usd > 0 ? task->usd : (double) NAN;
    assign.input_records = s_inputs(task);
    assign.input_count = task->graph.input_count;
    assign.ckpt = task->ckpt;
    assign.ckpt_size = task->ckpt_size;
    assign.parent = task->family.parent;
    //  A failed send needs no special path: the peer is gone and will expire, and the
    //  task is retried with the rest of its tasks
    zs_core_send(self->core, agent->peer, &assign);
    free(assign.input_records);
    zs_core_publish_task(self->core, task, NULL);
}

//  ---------------------------------------------------------------------------------------
//  Auctions

//  Assign the task to the winner, or queue it again; the other offered agents have
//  their slots back, so every agent is fed at the end of the batch
static void
s_auction_close(zs_dispatch_t *self, zs_auction_t *auction)
{
    zs_task_t *task = auction->task;
    zs_agent_t *winner = zs_sched_auction_close(self->sched, &auction);
    if (winner && zs_core_serving(self->core)) {
        s_assign(self, winner, task);
    } else {
        zs_sched_push(self->sched, task);
    }
    self->redispatch = true;
}

static int
s_auction_deadline(zloop_t *loop, int timer_id, void *arg)
{
    zs_dispatch_t *self = arg;
    zs_auction_t *auction = zs_sched_auction_by_timer(self->sched, timer_id);
    if (auction) {
        auction->timer_id = -1;
        s_auction_close(self, auction);
        //  A timer runs outside the broker's batches: end as a batch ends
        zs_core_settle(self->core);
    }
    return 0;
}

//  Offer a ready task that waits nowhere to every capable agent with room, and start
//  its deadline. Returns 0, or -1 when no capable agent has room (the task is left as
//  it was)
static int
s_auction_open(zs_dispatch_t *self, zs_task_t *task)
{
    zs_auction_t *auction = zs_sched_auction_open(self->sched, task);
    if (!auction) {
        return -1;
    }
    zs_msg_t offer;
    zs_msg_init(&offer, ZS_MSG_TASK_OFFER);
    offer.task = task->id;
    offer.ttype = task->ttype;
    offer.tmo = self->core->swarm->auction_ms;
    for (size_t i = 0; i < auction->count; i++) {
        //  A failed send is a bid that never comes: the deadline covers it
        zs_core_send(self->core, auction->offers[i].agent->peer, &offer);
    }
    auction->timer_id = zs_core_timer(self->core, self->core->swarm->auction_ms,
                                      s_auction_deadline, self);
    return 0;
}

void
zs_dispatch_bid(zs_dispatch_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_auction_t *auction = zs_sched_auction_find(self->sched, msg->task);
    //  A bid for a task no longer offered, or not offered to this agent, is dropped
    if (!auction || zs_auction_bid(auction, agent, msg->bid) != 0) {
        return;
    }
    if (zs_auction_complete(auction)) {
        zs_core_timer_end(self->core, auction->timer_id);
        s_auction_close(self, auction);
    }
}

//  ---------------------------------------------------------------------------------------
//  Placing and feeding

//  Who runs a task that agent, which has room, took. While tasks wait in a queue no
//  other agent has room but those freed in the same batch, so least-loaded and
//  capability would choose agent anyway, and the hot path skips their scan of every
//  agent. Best-fit and round-robin choose among every agent with room (a task retried
//  after agent failed it goes elsewhere when best-fit says so); work-stealing keeps it
static zs_agent_t *
s_taker(zs_dispatch_t *self, zs_agent_t *agent, zs_task_t *task, zs_strategy_t strategy)
{
    if (strategy != ZS_STRATEGY_BEST_FIT && strategy != ZS_STRATEGY_ROUND_ROBIN) {
        return agent;
    }
    zs_agent_t *chosen = zs_sched_pick(self->sched, task, strategy);
    return chosen ? chosen : agent;
}

//  A queued auction task is auctioned rather than taken: this agent is offered it too
void
zs_dispatch_feed(zs_dispatch_t *self, zs_agent_t *agent)
{
    while (zs_core_serving(self->core) && zs_agent_room(agent) > 0) {
        zs_task_t *task = zs_sched_next_task(self->sched, agent);
        if (!task) {
            break;
        }
        zs_strategy_t strategy = zs_dispatch_strategy(self, task);
        if (strategy != ZS_STRATEGY_AUCTION) {
            s_assign(self, s_taker(self, agent, task, strategy), task);
        } else if (s_auction_open(self, task) != 0) {
            zs_sched_push(self->sched, task);
            break;
        }
    }
}

void
zs_dispatch_settle(zs_dispatch_t *self)
{
    //  Always asked, so the scheduler's flag is cleared whatever the phase
    bool requeued = zs_sched_requeued(self->sched);
    if (!(self->redispatch || requeued) || !zs_core_serving(self->core)) {
        return;
    }
    self->redispatch = false;
    zlistx_t *types = zs_sched_queued_types(self->sched);
    for (const char *ttype = zlistx_first(types); ttype; ttype = zlistx_next(types)) {
        zs_dispatch_type(self, ttype);
    }
    zlistx_destroy(&types);
    for (zs_agent_t *agent = zs_registry_first(self->registry); agent;
         agent = zs_registry_next(self->registry)) {
        zs_dispatch_feed(self, agent);
    }
}

//  Placing a task taken out of its queue, one way per strategy. Each returns 0 when the
//  task was placed, or -1 when it must wait (the caller queues it again).
typedef int(s_place_fn)(zs_dispatch_t *self, zs_task_t *task, zs_strategy_t strategy);

static int
s_place_pick(zs_dispatch_t *self, zs_task_t *task, zs_strategy_t strategy)
{
    zs_agent_t *agent = zs_sched_pick(self->sched, task, strategy);
    if (!agent) {
        return -1;
    }
    s_assign(self, agent, task);
    return 0;
}

//  Busy agents take backlog too: that is where an agent with room steals from
static int
s_place_backlog(zs_dispatch_t *self, zs_task_t *task, zs_strategy_t strategy)
{
    zs_agent_t *agent = zs_sched_backlog_push(self->sched, task);
    if (!agent) {
        return -1;
    }
    zs_dispatch_feed(self, agent);
    return 0;
}

static int
s_place_auction(zs_dispatch_t *self, zs_task_t *task, zs_strategy_t strategy)
{
    return s_auction_open(self, task);
}

static s_place_fn *const s_placers[ZS_STRATEGY_COUNT] = {
    [ZS_STRATEGY_DEFAULT] = s_place_pick,
    [ZS_STRATEGY_ROUND_ROBIN] = s_place_pick,
    [ZS_STRATEGY_LEAST_LOADED] = s_place_pick,
    [ZS_STRATEGY_CAPABILITY] = s_place_pick,
    [ZS_STRATEGY_BEST_FIT] = s_place_pick,
    [ZS_STRATEGY_WORK_STEALING] = s_place_backlog,
    [ZS_STRATEGY_AUCTION] = s_place_auction,
};

//  A queue stops at its first task that must wait: those behind it wait too, so that
//  priority and submit order hold within a queue
void
zs_dispatch_type(zs_dispatch_t *self, const char *ttype)
{
    for (size_t variant = 0; variant < zs_sched_variants(self->sched, ttype); variant++) {
        zs_task_t *task;
        while (zs_core_serving(self->core) &&
               (task = zs_sched_peek(self->sched, ttype, variant))) {
            zs_sched_remove(self->sched, task);
            zs_strategy_t strategy = zs_dispatch_strategy(self, task);
            if (s_placers[strategy](self, task, strategy) != 0) {
                zs_sched_push(self->sched, task);
                break;
            }
        }
    }
}

void
zs_dispatch_ready(zs_dispatch_t *self, zs_task_t *task)
{
    zs_core_publish_task(self->core, task, NULL);
    zs_sched_push(self->sched, task);
}

//  ---------------------------------------------------------------------------------------
//  Attempts ending

//  An attempt failed: queue the task again when retry and attempts are left, else it
//  is dead
static void
s_failed(zs_dispatch_t *self, zs_task_t *task, bool retry)
{
    zs_tasks_failed(self->tasks, task);
    zs_task_apply(task, ZS_TASK_FAIL);
    zs_task_clear_progress(task);
    zs_core_publish_task(self->core, task, task->result.why);
    //  Also while stopping: the task stays unfinished (and in the journal) rather than
    //  dead. Dispatch waits for the end of the batch, when every agent lost in the
    //  batch is gone and cannot be handed the task only to fail it again
    if (retry && task->att < task->tries) {
        zs_task_apply(task, ZS_TASK_RETRY);
        zs_dispatch_ready(self, task);
        self->redispatch = true;
    } else {
        zs_task_apply(task, ZS_TASK_GIVE_UP);
        zs_core_ended(self->core, task);
    }
}

void
zs_dispatch_failed(zs_dispatch_t *self, zs_task_t *task)
{
    s_failed(self, task, true);
}

void
zs_dispatch_abort(zs_dispatch_t *self,
                  zs_task_t *task,
                  const char *status,
                  const char *why)
{
    zs_agent_t *agent = task->agent;
    zs_agent_task_unlink(agent, task);
    zs_agent_record(agent, status);
    zs_task_set_outcome(task, status, why);
    zs_dispatch_failed(self, task);
}

static void
s_send_cancel(zs_dispatch_t *self, const zs_task_t *task)
{
    zs_msg_t cancel;
    zs_msg_init(&cancel, ZS_MSG_TASK_CANCEL);
    cancel.task = task->id;
    cancel.att = task->att;
    zs_core_send(self->core, task->agent->peer, &cancel);
}

void
zs_dispatch_cancel(zs_dispatch_t *self, zs_task_t *task, const char *why)
{
    zs_agent_t *agent = task->agent;
    if (agent) {
        s_send_cancel(self, task);
        zs_agent_task_unlink(agent, task);
    }
    zs_sched_remove(self->sched, task);
    zs_task_apply(task, ZS_TASK_CANCEL);
    zs_task_set_outcome(task, "cancelled", why);
    zs_core_ended(self->core, task);
    if (agent) {
        zs_dispatch_feed(self, agent);
    }
}

void
zs_dispatch_cancel_orphan(zs_dispatch_t *self, zs_task_t *task)
{
    char why[ZS_MSG_TEXT_MAX];
    snprintf(why, sizeof why, "parent '%s' ended", task->family.parent);
    zs_dispatch_cancel(self, task, why);
}

void
zs_dispatch_cancel_children(zs_dispatch_t *self, const zs_task_t *task)
{
    const zs_task_family_t *family = &task->family;
    for (size_t i = 0; i < family->child_count; i++) {
        zs_task_t *child = zs_tasks_find(self->tasks, family->children[i]);
        //  An id used again by another task is not this one's child
        if (child && !zs_task_is_final(child) && child->family.parent &&
            streq(child->family.parent, task->id)) {
            zs_dispatch_cancel_orphan(self, child);
        }
    }
}

void
zs_dispatch_lost(zs_dispatch_t *self, zs_agent_t *agent, const char *reason)
{
    //  No free slots: its retried tasks must not come straight back to it
    agent->conc = 0;
    while (agent->tasks.head) {
        zs_dispatch_abort(self, zs_task_of(agent->tasks.head), "fail", reason);
    }
}

zs_task_t *
zs_dispatch_expected(zs_dispatch_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_task_t *task = zs_tasks_find(self->tasks, msg->task);
    return task && task->agent == agent && task->att == msg->att ? task : NULL;
}

void
zs_dispatch_ack(zs_dispatch_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_task_t *task = zs_dispatch_expected(self, agent, msg);
    if (task && zs_task_apply(task, ZS_TASK_START) == 0) {
        zs_core_publish_task(self->core, task, NULL);
    }
}

void
zs_dispatch_progress(zs_dispatch_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_task_t *task = zs_dispatch_expected(self, agent, msg);
    if (!task) {
        return;
    }
    zs_task_set_progress(task, msg);
    zs_msg_t event;
    zs_msg_init(&event, ZS_MSG_TASK_PROGRESS);
    event.task = task->id;
    event.att = task->att;
    event.agent = agent->id;
    event.pct = msg->pct;
    event.note = msg->note;
    event.bytes = msg->bytes;
    event.total = msg->total;
    event.rate = msg->rate;
    event.text = msg->text;
    zs_core_publish(self->core, &event);
}

void
zs_dispatch_result(zs_dispatch_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_task_t *task = zs_dispatch_expected(self, agent, msg);
    if (!task) {
        self->core->counts.late++;
        return;
    }
    zs_agent_task_unlink(agent, task);
    zs_task_set_result(task, msg);
    if (streq(msg->status, "busy")) {
        //  Not an attempt: the agent had no free slot (it still runs tasks we no longer
        //  count, e.g. from before a coordinator restart). It gets nothing more until
        //  the next tick restores its concurrency
        task->att--;
        agent->conc = agent->load;
        zs_dispatch_failed(self, task);
    } else if (streq(msg->status, "ok")) {
        zs_agent_record(agent, msg->status);
        zs_task_apply(task, ZS_TASK_SUCCEED);
        zs_core_ended(self->core, task);
    } else {
        //  A final failure is one the agent knows no retry would mend: the task is dead
        zs_agent_record(agent, msg->status);
        s_failed(self, task, !msg->final);
    }
    zs_dispatch_feed(self, agent);
}

//  ---------------------------------------------------------------------------------------
//  Housekeeping

static void
s_expire(zs_dispatch_t *self, zs_agent_t *agent, int64_t now)
{
    zs_link_t *link = agent->tasks.head;
    while (link) {
        zs_link_t *next = link->next;
        zs_task_t *task = zs_task_of(link);
        if (now > task->deadline_ms) {
            s_send_cancel(self, task);
            char why[ZS_MSG_TEXT_MAX];
            snprintf(why, sizeof why, "no result within %u ms", task->tmo_ms);
            zs_dispatch_abort(self, task, "timeout", why);
        }
        link = next;
    }
}

void
zs_dispatch_tick(zs_dispatch_t *self)
{
    int64_t now = zs_core_now(self->core);
    for (zs_agent_t *agent = zs_registry_first(self->registry); agent;
         agent = zs_registry_next(self->registry)) {
        s_expire(self, agent, now);
        //  An agent that answered "busy" may take work again
        agent->conc = agent->conc_max;
    }
    self->redispatch = true;
    zs_sched_sweep(self->sched);
}

size_t
zs_dispatch_running(zs_dispatch_t *self)
{
    size_t running = 0;
    for (zs_agent_t *agent = zs_registry_first(self->registry); agent;
         agent = zs_registry_next(self->registry)) {
        running += agent->load;
    }
    return running;
}
