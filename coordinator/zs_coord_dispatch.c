//  zs_coord_dispatch - from ready tasks to agents: place, assign, feed, retry or give up
//
//  The scheduler (zs_sched) chooses; this file acts on its choice under each task's
//  strategy: the task's own, else its type's in the swarm file, else the swarm's
//  (docs/scheduling.md). A task that becomes ready is queued, then placed when its
//  type is dispatched: given to the agent its strategy picks, put on a backlog
//  (work-stealing), or auctioned (zs_coord_auction.c). An agent with room is fed: it
//  takes its backlog, then queued work, then steals. Retried tasks are queued at once
//  but given out at the end of the batch (zs_coord_settle), when every agent lost in
//  the batch is gone.

#include "coordinator/zs_coord_private.h"

#include <stdlib.h>

zs_strategy_t
zs_coord_strategy(zs_coord_t *self, const zs_task_t *task)
{
    if (task->strategy != ZS_STRATEGY_DEFAULT) {
        return task->strategy;
    }
    const zs_swarm_type_t *type = zs_swarm_type_find(self->swarm, task->ttype);
    return type && type->strategy != ZS_STRATEGY_DEFAULT ? type->strategy
                                                         : self->swarm->strategy;
}

void
zs_coord_assign(zs_coord_t *self, zs_agent_t *agent, zs_task_t *task)
{
    zs_task_apply(task, ZS_TASK_ASSIGN);
    task->att++;
    free(task->agent_id);
    task->agent_id = zs_strdup(agent->id);
    task->assigned_ms = zclock_mono();
    //  Two heartbeats of grace: the agent's own timeout should report first
    task->deadline_ms =
        task->assigned_ms + task->tmo_ms + 2 * (int64_t) self->swarm->heartbeat_ms;
    zs_agent_task_link(agent, task);
    zs_msg_t assign;
    zs_msg_init(&assign, ZS_MSG_TASK_ASSIGN);
    assign.task = task->id;
    assign.ttype = task->ttype;
    assign.att = task->att;
    assign.payload = task->payload;
    assign.payload_size = task->payload_size;
    assign.tmo = task->tmo_ms;
    //  A failed send needs no special path: the peer is gone and will expire, and
    //  the task is retried with the rest of its tasks
    zs_broker_send(self->broker, agent->peer, &assign);
    zs_coord_publish_task(self, task, NULL);
}

//  Who runs a task that agent, which has room, took. While tasks wait in a queue no
//  other agent has room but those freed in the same batch, so least-loaded and
//  capability would choose agent anyway, and the hot path skips their scan of every
//  agent. Best-fit and round-robin choose among every agent with room (a task retried
//  after agent failed it goes elsewhere when best-fit says so); work-stealing keeps it
static zs_agent_t *
s_taker(zs_coord_t *self, zs_agent_t *agent, zs_task_t *task, zs_strategy_t strategy)
{
    if (strategy != ZS_STRATEGY_BEST_FIT && strategy != ZS_STRATEGY_ROUND_ROBIN) {
        return agent;
    }
    zs_agent_t *chosen = zs_sched_pick(self->sched, task, strategy);
    return chosen ? chosen : agent;
}

//  Give an agent work until it is full: its backlog, queued tasks, then stolen ones.
//  A queued auction task is auctioned rather than taken: this agent is offered it too
void
zs_coord_feed_agent(zs_coord_t *self, zs_agent_t *agent)
{
    while (self->phase == ZS_COORD_SERVING && zs_agent_room(agent) > 0) {
        zs_task_t *task = zs_sched_next_task(self->sched, agent);
        if (!task) {
            break;
        }
        zs_strategy_t strategy = zs_coord_strategy(self, task);
        if (strategy != ZS_STRATEGY_AUCTION) {
            zs_coord_assign(self, s_taker(self, agent, task, strategy), task);
        } else if (zs_coord_auction_open(self, task) != 0) {
            zs_sched_push(self->sched, task);
            break;
        }
    }
}

//  Queued tasks are placed by their strategies first; then every agent with room takes
//  what is left, its backlog, or steals
void
zs_coord_settle(zs_coord_t *self)
{
    //  Always asked, so the scheduler's flag is cleared whatever the phase
    bool requeued = zs_sched_requeued(self->sched);
    if ((self->redispatch || requeued) && self->phase == ZS_COORD_SERVING) {
        self->redispatch = false;
        zlistx_t *types = zs_sched_queued_types(self->sched);
        for (const char *ttype = zlistx_first(types); ttype; ttype = zlistx_next(types)) {
            zs_coord_dispatch_type(self, ttype);
        }
        zlistx_destroy(&types);
        for (zs_agent_t *agent = zs_registry_first(self->registry); agent;
             agent = zs_registry_next(self->registry)) {
            zs_coord_feed_agent(self, agent);
        }
    }
    zs_coord_sync(self);
}

//  Placing a task taken out of its queue, one way per strategy. Each returns 0 when
//  the task was placed, or -1 when it must wait (the caller queues it again).
typedef int(s_place_fn)(zs_coord_t *self, zs_task_t *task, zs_strategy_t strategy);

static int
s_place_pick(zs_coord_t *self, zs_task_t *task, zs_strategy_t strategy)
{
    zs_agent_t *agent = zs_sched_pick(self->sched, task, strategy);
    if (!agent) {
        return -1;
    }
    zs_coord_assign(self, agent, task);
    return 0;
}

//  Busy agents take backlog too: that is where an agent with room steals from
static int
s_place_backlog(zs_coord_t *self, zs_task_t *task, zs_strategy_t strategy)
{
    zs_agent_t *agent = zs_sched_backlog_push(self->sched, task);
    if (!agent) {
        return -1;
    }
    zs_coord_feed_agent(self, agent);
    return 0;
}

static int
s_place_auction(zs_coord_t *self, zs_task_t *task, zs_strategy_t strategy)
{
    return zs_coord_auction_open(self, task);
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

//  Place the queued tasks of one type until each of its queues waits for an agent.
//  A queue stops at its first task that must wait: those behind it wait too, so that
//  priority and submit order hold within a queue
void
zs_coord_dispatch_type(zs_coord_t *self, const char *ttype)
{
    for (size_t variant = 0; variant < zs_sched_variants(self->sched, ttype); variant++) {
        zs_task_t *task;
        while (self->phase == ZS_COORD_SERVING &&
               (task = zs_sched_peek(self->sched, ttype, variant))) {
            zs_sched_remove(self->sched, task);
            zs_strategy_t strategy = zs_coord_strategy(self, task);
            if (s_placers[strategy](self, task, strategy) != 0) {
                zs_sched_push(self->sched, task);
                break;
            }
        }
    }
}

void
zs_coord_make_ready(zs_coord_t *self, zs_task_t *task)
{
    zs_coord_publish_task(self, task, NULL);
    zs_sched_push(self->sched, task);
}

//  An attempt failed (already recorded in the task): retry it or give up
void
zs_coord_attempt_failed(zs_coord_t *self, zs_task_t *task)
{
    zs_coord_bounds_failed(self, task);
    zs_task_apply(task, ZS_TASK_FAIL);
    zs_coord_publish_task(self, task, task->result.why);
    //  Also while stopping: the task stays unfinished (and in the journal) rather than
    //  dead. Dispatch waits for the end of the batch, when every agent lost in the
    //  batch is gone and cannot be handed the task only to fail it again
    if (task->att < task->tries) {
        zs_task_apply(task, ZS_TASK_RETRY);
        zs_coord_make_ready(self, task);
        self->redispatch = true;
    } else {
        zs_task_apply(task, ZS_TASK_GIVE_UP);
        zs_coord_task_final(self, task);
    }
}

//  Take a task off its agent (lost, timed out, cancelled) and fail the attempt
void
zs_coord_abort_attempt(zs_coord_t *self,
                       zs_task_t *task,
                       const char *status,
                       const char *why)
{
    zs_agent_t *agent = task->agent;
    zs_agent_task_unlink(agent, task);
    zs_agent_record(agent, status);
    zs_task_set_outcome(task, status, why);
    zs_coord_attempt_failed(self, task);
}
