//  zs_coord_stop - the coordinator's orderly stop: drain, stop agents, end the loop
//
//  Stopping goes through phases (zs_coord_phase_t), checked by a short timer: draining
//  lets running tasks finish for up to ZS_COORD_DRAIN_MS while nothing new is accepted;
//  stopping says bye to remote agents and SIGTERM to local ones, then SIGKILL after
//  ZS_COORD_KILL_MS; done ends the loop once every local agent was reaped.

#include "coordinator/zs_coord_private.h"

#define ZS_COORD_STOP_POLL_MS 20  //  how often a stopping coordinator checks progress

void
zs_coord_fail_waiters(zs_coord_t *self)
{
    zs_msg_t error;
    zs_msg_init(&error, ZS_MSG_ERROR);
    error.code = ZS_ERR_SHUTTING_DOWN;
    error.why = "swarm stopped before the task ended";
    for (zs_task_t *task = zhashx_first(self->tasks); task;
         task = zhashx_next(self->tasks)) {
        zs_coord_answer_waiters(self->broker, task, &error);
    }
}

static void
s_say_bye(zs_coord_t *self)
{
    zs_msg_t bye;
    zs_msg_init(&bye, ZS_MSG_BYE);
    bye.why = "swarm stopping";
    for (zs_agent_t *agent = zs_registry_first(self->registry); agent;
         agent = zs_registry_next(self->registry)) {
        zs_broker_send(self->broker, agent->peer, &bye);
    }
    zs_coord_nodes_bye(self, &bye);
}

static void
s_enter_stopping(zs_coord_t *self)
{
    self->phase = ZS_COORD_STOPPING;
    self->phase_deadline_ms = zclock_mono() + ZS_COORD_KILL_MS;
    if (self->auth) {
        //  Agents told bye reconnect, and are then stopped mid-handshake
        zs_auth_ignore_hangups(self->auth);
    }
    s_say_bye(self);
    zs_spawn_stop(self->spawn);
}

static bool
s_running_tasks(zs_coord_t *self)
{
    for (zs_agent_t *agent = zs_registry_first(self->registry); agent;
         agent = zs_registry_next(self->registry)) {
        if (agent->tasks) {
            return true;
        }
    }
    return false;
}

static int
s_stop_step(zloop_t *loop, int timer_id, void *arg)
{
    zs_coord_t *self = arg;
    int64_t now = zclock_mono();
    if (self->phase == ZS_COORD_DRAINING &&
        (!s_running_tasks(self) || now >= self->phase_deadline_ms)) {
        s_enter_stopping(self);
    }
    if (self->phase == ZS_COORD_STOPPING) {
        size_t left = zs_spawn_running(self->spawn);
        if (left > 0 && now >= self->phase_deadline_ms) {
            zsys_warning("%zu agents did not stop within %d ms: killing them", left,
                         ZS_COORD_KILL_MS);
            zs_spawn_kill(self->spawn);
        }
        if (left == 0) {
            self->phase = ZS_COORD_DONE;
        }
    }
    return self->phase == ZS_COORD_DONE ? -1 : 0;
}

void
zs_coord_stop(zs_coord_t *self, const char *why)
{
    if (self->phase == ZS_COORD_SERVING) {
        zsys_notice("stopping: %s", why);
        zs_coord_publish_swarm(self, ZS_MSG_EV_SWARM_STOPPING, why);
        zs_coord_vote_stop(self);
        self->phase = ZS_COORD_DRAINING;
        self->phase_deadline_ms = zclock_mono() + ZS_COORD_DRAIN_MS;
        zloop_timer(self->loop, ZS_COORD_STOP_POLL_MS, 0, s_stop_step, self);
    } else if (self->phase == ZS_COORD_DRAINING) {
        zsys_notice("stopping now: %s", why);
        s_enter_stopping(self);
    }
}
