//  zs_coord_dispatch - from ready queues to agents: assign, feed, retry or give up
//
//  The scheduler (zs_sched) chooses; this file acts on its choice: it sends task.assign,
//  links the task to its agent and publishes the change. Retried tasks are queued at
//  once but given out at the end of the batch (zs_coord_settle), when every agent lost
//  in the batch is gone.

#include "zs_coord_private.h"

#include <stdlib.h>

static void
s_assign(zs_coord_t *self, zs_agent_t *agent, zs_task_t *task)
{
    zs_task_apply(task, ZS_TASK_ASSIGN);
    task->att++;
    free(task->agent_id);
    task->agent_id = zs_strdup(agent->id);
    //  Two heartbeats of grace: the agent's own timeout should report first
    task->deadline_ms =
        zs_clock_ms() + task->tmo_ms + 2 * (int64_t) self->swarm->heartbeat_ms;
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

//  Give an agent queued work until it is full
void
zs_coord_feed_agent(zs_coord_t *self, zs_agent_t *agent)
{
    while (self->phase == ZS_COORD_SERVING && agent->load < agent->conc) {
        zs_task_t *task = zs_sched_next_task(self->sched, agent);
        if (!task) {
            break;
        }
        s_assign(self, agent, task);
    }
}

void
zs_coord_settle(zs_coord_t *self)
{
    if (self->redispatch && self->phase == ZS_COORD_SERVING) {
        self->redispatch = false;
        for (zs_agent_t *agent = zs_registry_first(self->registry); agent;
             agent = zs_registry_next(self->registry)) {
            zs_coord_feed_agent(self, agent);
        }
    }
    zs_coord_sync(self);
}

//  Give queued tasks of one type to agents until one side runs out
void
zs_coord_dispatch_type(zs_coord_t *self, const char *ttype)
{
    while (self->phase == ZS_COORD_SERVING && zs_sched_peek(self->sched, ttype)) {
        zs_agent_t *agent = zs_sched_pick_agent(self->sched, ttype);
        if (!agent) {
            break;
        }
        s_assign(self, agent, zs_sched_pop(self->sched, ttype));
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
    agent->failed++;
    zs_task_set_outcome(task, status, why);
    zs_coord_attempt_failed(self, task);
}
