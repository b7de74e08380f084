//  zs_coord_tasks - see zs_coord_tasks.h

#include "coordinator/zs_coord_tasks.h"

#include "coordinator/zs_coord_submit.h"

static void
s_refuse(zs_coord_t *self,
         const zs_core_asker_t *asker,
         const zs_msg_t *msg,
         zs_err_code_t code,
         const char *why)
{
    zs_error_t err;
    zs_error_set(&err, code, "%s", why);
    zs_core_refuse(&self->core, asker, &err, msg->rid);
}

static zs_task_t *
s_find_task(zs_coord_t *self, const zs_core_asker_t *asker, const zs_msg_t *msg)
{
    zs_task_t *task = zs_tasks_find(&self->tasks, msg->task);
    if (!task) {
        s_refuse(self, asker, msg, ZS_ERR_NO_TASK,
                 "no such task (unknown, or its result is no longer kept)");
    }
    return task;
}

zs_task_t *
zs_coord_tasks_running(zs_coord_t *self,
                       const zs_core_asker_t *asker,
                       const char *id,
                       zs_error_t *err)
{
    if (!asker->peer) {
        zs_error_set(err, ZS_ERR_INVALID,
                     "'parent' is an agent's: the task it runs (PROTOCOL.md 7.4)");
        return NULL;
    }
    zs_task_t *task = zs_tasks_find(&self->tasks, id);
    char sample[ZS_MSG_NAME_MAX * 4 + 1];
    zs_sanitize_str(sample, sizeof sample, id);
    if (!task) {
        zs_error_set(err, ZS_ERR_NO_TASK, "no task '%s'", sample);
        return NULL;
    }
    const zs_agent_t *agent = zs_broker_peer_owner(asker->peer);
    if (!task->agent || task->agent != agent) {
        zs_error_set(err, ZS_ERR_FORBIDDEN, "task '%s' does not run on this agent",
                     sample);
        return NULL;
    }
    return task;
}

static void
s_submit(zs_coord_t *self, const zs_core_asker_t *asker, const zs_msg_t *msg)
{
    zs_coord_submit(self, asker, msg);
}

//  A wait with parent lends that task's slot until it is answered
static void
s_wait(zs_coord_t *self, const zs_core_asker_t *asker, const zs_msg_t *msg)
{
    zs_error_t err;
    zs_task_t *lender = NULL;
    if (msg->parent &&
        !(lender = zs_coord_tasks_running(self, asker, msg->parent, &err))) {
        zs_core_refuse(&self->core, asker, &err, msg->rid);
        return;
    }
    zs_task_t *task = s_find_task(self, asker, msg);
    if (task && zs_tasks_wait(&self->tasks, task, asker, msg->rid, lender) != 0) {
        zs_error_set(&err, ZS_ERR_LIMIT, "more than %d clients wait for this task",
                     ZS_TASKS_WAITERS_MAX);
        zs_core_refuse(&self->core, asker, &err, msg->rid);
    } else if (task && lender && lender->agent) {
        //  The lent slot may take a queued task now, the child first of all
        zs_dispatch_feed(&self->dispatch, lender->agent);
    }
}

static void
s_task(zs_coord_t *self, const zs_core_asker_t *asker, const zs_msg_t *msg)
{
    zs_task_t *task = s_find_task(self, asker, msg);
    if (task) {
        zs_msg_t reply;
        zs_msg_init(&reply, ZS_MSG_TASK_OK);
        zs_task_describe(task, &reply);
        zs_core_answer(&self->core, asker, &reply, msg->rid);
    }
}

//  True when task descends from ancestor, or (ancestor NULL) from a task whose attempt
//  runs on agent: what an agent may cancel. Unfinished tasks are never evicted, so the
//  walk up from an unfinished task finds every running ancestor; depth bounds it.
static bool
s_descends(zs_coord_t *self,
           const zs_task_t *task,
           const zs_task_t *ancestor,
           const zs_agent_t *agent)
{
    for (unsigned up = task->family.depth; up > 0 && task->family.parent; up--) {
        task = zs_tasks_find(&self->tasks, task->family.parent);
        if (!task) {
            return false;
        }
        if (ancestor ? task == ancestor : task->agent == agent) {
            return true;
        }
    }
    return false;
}

//  An agent cancels only the subtasks of the tasks it runs, of parent's when it names
//  one (an exec task's channel does); a client anything
static bool
s_may_cancel(zs_coord_t *self,
             const zs_core_asker_t *asker,
             const zs_msg_t *msg,
             const zs_task_t *task)
{
    if (!asker->peer && !msg->parent) {
        return true;
    }
    zs_error_t err;
    const zs_task_t *parent = NULL;
    if (msg->parent && !(parent = zs_coord_tasks_running(self, asker, msg->parent, &err))) {
        zs_core_refuse(&self->core, asker, &err, msg->rid);
        return false;
    }
    if (!s_descends(self, task, parent, zs_broker_peer_owner(asker->peer))) {
        s_refuse(self, asker, msg, ZS_ERR_FORBIDDEN,
                 parent ? "a task may cancel only its own subtasks"
                        : "an agent may cancel only the subtasks of the tasks it runs");
        return false;
    }
    return true;
}

static void
s_cancel(zs_coord_t *self, const zs_core_asker_t *asker, const zs_msg_t *msg)
{
    zs_task_t *task = s_find_task(self, asker, msg);
    if (!task || !s_may_cancel(self, asker, msg, task)) {
        return;
    }
    if (zs_task_is_final(task)) {
        s_refuse(self, asker, msg, ZS_ERR_FINISHED, "task already ended");
        return;
    }
    //  The task may be gone after this (kept results: 0): answer from the request
    zs_dispatch_cancel(&self->dispatch, task,
                       asker->peer ? "cancelled by an agent" : "cancelled by a client");
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_CANCEL_OK);
    reply.task = msg->task;
    reply.state = zs_task_state_name(ZS_TASK_CANCELLED);
    zs_core_answer(&self->core, asker, &reply, msg->rid);
}

typedef void(s_handler_fn)(zs_coord_t *self,
                           const zs_core_asker_t *asker,
                           const zs_msg_t *msg);

static s_handler_fn *const s_handlers[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_SUBMIT] = s_submit,
    [ZS_MSG_WAIT] = s_wait,
    [ZS_MSG_TASK] = s_task,
    [ZS_MSG_CANCEL] = s_cancel,
};

bool
zs_coord_tasks_served(zs_msg_type_t type)
{
    return type < ZS_MSG_TYPE_COUNT && s_handlers[type];
}

void
zs_coord_tasks_request(zs_coord_t *self,
                       const zs_core_asker_t *asker,
                       const zs_msg_t *msg)
{
    assert(zs_coord_tasks_served(msg->type));
    s_handlers[msg->type](self, asker, msg);
}

//  ---------------------------------------------------------------------------------------
//  Checkpoints

void
zs_coord_tasks_checkpoint(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_core_asker_t asker = {NULL, agent->peer};
    zs_error_t err;
    zs_task_t *task = zs_coord_tasks_running(self, &asker, msg->task, &err);
    if (task && task->att != msg->att) {
        zs_error_set(&err, ZS_ERR_FORBIDDEN,
                     "attempt %" PRIu64 " of task '%s' does not run", msg->att, task->id);
        task = NULL;
    }
    if (!task) {
        zs_core_refuse(&self->core, &asker, &err, msg->rid);
        return;
    }
    zs_task_set_checkpoint(task, msg->data, msg->data_size);
    zs_tasks_charge(&self->tasks, task);
    zs_durable_checkpoint(&self->durable, task);
    //  An agent's reply is not held for the journal: it waits for a commit now
    if (zs_durable_sync(&self->durable) != 0) {
        zs_error_set(&err, ZS_ERR_LIMIT,
                     "the journal cannot be written: the checkpoint is not durable yet");
        zs_core_refuse(&self->core, &asker, &err, msg->rid);
        return;
    }
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_TASK_CHECKPOINT_OK);
    reply.task = task->id;
    zs_core_answer(&self->core, &asker, &reply, msg->rid);
}
