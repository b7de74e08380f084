//  zs_core - see zs_core.h

#include "coordinator/core/zs_core.h"

#include <assert.h>

void
zs_core_init(zs_core_t *self,
             const zs_swarm_t *swarm,
             const zs_core_io_t *io,
             void *io_ctx)
{
    assert(self);
    assert(swarm);
    assert(io);
    *self = (zs_core_t){.swarm = swarm, .io = io, .io_ctx = io_ctx};
    self->phase = ZS_CORE_SERVING;
    self->started_ms = zs_core_now(self);
}

void
zs_core_set_hooks(zs_core_t *self, const zs_core_hooks_t *hooks, void *ctx)
{
    assert(self);
    assert(hooks);
    self->hooks = *hooks;
    self->hooks_ctx = ctx;
}

bool
zs_core_serving(const zs_core_t *self)
{
    return self->phase == ZS_CORE_SERVING;
}

int
zs_core_send(zs_core_t *self, zs_peer_t *peer, const zs_msg_t *msg)
{
    return self->io->send(self->io_ctx, peer, msg);
}

static void
s_error(zs_msg_t *msg, const zs_error_t *err)
{
    zs_msg_init(msg, ZS_MSG_ERROR);
    msg->code = (uint64_t) err->code;
    msg->why = err->text;
}

void
zs_core_send_error(zs_core_t *self,
                   zs_peer_t *peer,
                   const zs_error_t *err,
                   const char *task)
{
    zs_msg_t error;
    s_error(&error, err);
    error.task = task;
    zs_core_send(self, peer, &error);
}

void
zs_core_reply(zs_core_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    self->io->reply(self->io_ctx, client, msg);
}

void
zs_core_refuse_client(zs_core_t *self,
                      const zs_client_ref_t *client,
                      uint64_t rid,
                      const zs_error_t *err)
{
    zs_msg_t error;
    s_error(&error, err);
    error.rid = rid;
    zs_core_reply(self, client, &error);
}

void
zs_core_answer(zs_core_t *self,
               const zs_core_asker_t *asker,
               zs_msg_t *reply,
               uint64_t rid)
{
    reply->rid = rid;
    if (asker->client) {
        zs_core_reply(self, asker->client, reply);
    } else {
        zs_core_send(self, asker->peer, reply);
    }
}

void
zs_core_refuse(zs_core_t *self,
               const zs_core_asker_t *asker,
               const zs_error_t *err,
               uint64_t rid)
{
    zs_msg_t error;
    s_error(&error, err);
    zs_core_answer(self, asker, &error, rid);
}

void
zs_core_publish(zs_core_t *self, zs_msg_t *msg)
{
    self->io->publish(self->io_ctx, msg);
}

void
zs_core_publish_task(zs_core_t *self, const zs_task_t *task, const char *why)
{
    zs_msg_t event;
    zs_msg_init(&event, zs_task_state_event(task->state));
    event.task = task->id;
    event.ttype = task->ttype;
    event.att = task->att;
    event.agent = task->agent_id;
    event.why = why;
    zs_core_publish(self, &event);
}

void
zs_core_release(zs_core_t *self)
{
    self->io->release(self->io_ctx);
}

int64_t
zs_core_now(zs_core_t *self)
{
    return self->io->now(self->io_ctx);
}

int64_t
zs_core_wall(zs_core_t *self)
{
    return self->io->wall(self->io_ctx);
}

int
zs_core_timer(zs_core_t *self, size_t delay_ms, zloop_timer_fn *fn, void *arg)
{
    return self->io->timer(self->io_ctx, delay_ms, fn, arg);
}

void
zs_core_timer_end(zs_core_t *self, int timer_id)
{
    if (timer_id >= 0) {
        self->io->timer_end(self->io_ctx, timer_id);
    }
}

void
zs_core_settle(zs_core_t *self)
{
    if (self->hooks.settle) {
        self->hooks.settle(self->hooks_ctx);
    }
}

void
zs_core_accepted(zs_core_t *self, zs_task_t *task)
{
    self->counts.submitted++;
    if (self->hooks.accepted) {
        self->hooks.accepted(self->hooks_ctx, task);
    }
}

void
zs_core_ended(zs_core_t *self, zs_task_t *task)
{
    assert(zs_task_is_final(task));
    switch (task->state) {
    case ZS_TASK_COMPLETED:
        self->counts.completed++;
        break;
    case ZS_TASK_DEAD:
        self->counts.dead++;
        break;
    default:
        self->counts.cancelled++;
    }
    task->ended_ms = zs_core_wall(self);
    zs_task_clear_progress(task);
    if (self->hooks.ended) {
        self->hooks.ended(self->hooks_ctx, task);
    }
}
