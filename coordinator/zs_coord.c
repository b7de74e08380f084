//  zs_coord - see zs_coord.h

#include "coordinator/zs_coord.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/zs_proc.h"
#include "coordinator/zs_coord_agents.h"
#include "coordinator/zs_coord_control.h"
#include "coordinator/zs_coord_replay.h"

#define ZS_COORD_STOP_POLL_MS 20  //  how often a stopping coordinator checks progress

//  ---------------------------------------------------------------------------------------
//  The core's outputs, clock and timers: the broker's sockets and the zloop

static int
s_io_send(void *ctx, zs_peer_t *peer, const zs_msg_t *msg)
{
    zs_coord_t *self = ctx;
    return zs_broker_send(self->broker, peer, msg);
}

static void
s_io_reply(void *ctx, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_coord_t *self = ctx;
    zs_broker_reply(self->broker, client, msg);
}

static void
s_io_publish(void *ctx, zs_msg_t *msg)
{
    zs_coord_t *self = ctx;
    zs_broker_publish(self->broker, msg);
}

static void
s_io_release(void *ctx)
{
    zs_coord_t *self = ctx;
    zs_broker_release_replies(self->broker);
}

static int64_t
s_io_now(void *ctx)
{
    return zclock_mono();
}

static int64_t
s_io_wall(void *ctx)
{
    return zclock_time();
}

static int
s_io_timer(void *ctx, size_t delay_ms, zloop_timer_fn *fn, void *arg)
{
    zs_coord_t *self = ctx;
    return zloop_timer(self->loop, delay_ms, 1, fn, arg);
}

static void
s_io_timer_end(void *ctx, int timer_id)
{
    zs_coord_t *self = ctx;
    zloop_timer_end(self->loop, timer_id);
}

static const zs_core_io_t s_io = {
    s_io_send, s_io_reply, s_io_publish, s_io_release,
    s_io_now,  s_io_wall,  s_io_timer,   s_io_timer_end,
};

//  ---------------------------------------------------------------------------------------
//  The core's hooks: a task's acceptance and end reach the parts above the one that
//  caused them

static void
s_accepted(void *ctx, zs_task_t *task)
{
    zs_coord_t *self = ctx;
    zs_durable_accepted(&self->durable, task);
}

//  In this order: the journal records the end before anyone hears of it; the waiters
//  are answered before dependants, teams and children act on it (which may end other
//  tasks); the task is kept last, which may free it
static void
s_ended(void *ctx, zs_task_t *task)
{
    zs_coord_t *self = ctx;
    zs_tasks_ended(&self->tasks, task);
    zs_durable_ended(&self->durable, task);
    zs_core_publish_task(&self->core, task, task->result.why);
    zs_tasks_answer(&self->tasks, task);
    zs_graph_final(&self->graph, task);
    zs_teams_final(&self->teams, task);
    zs_dispatch_cancel_children(&self->dispatch, task);
    zs_tasks_keep(&self->tasks, task);
}

static void
s_settle(void *ctx)
{
    zs_coord_settle(ctx);
}

static const zs_core_hooks_t s_hooks = {s_accepted, s_ended, s_settle};

void
zs_coord_settle(zs_coord_t *self)
{
    zs_dispatch_settle(&self->dispatch);
    zs_durable_sync(&self->durable);
}

//  ---------------------------------------------------------------------------------------
//  Housekeeping and signals

static void
s_publish_swarm(zs_coord_t *self, zs_msg_type_t type, const char *why)
{
    zs_msg_t event;
    zs_msg_init(&event, type);
    event.name = self->swarm->name;
    event.why = why;
    zs_core_publish(&self->core, &event);
}

static int
s_tick(zloop_t *loop, int timer_id, void *arg)
{
    zs_coord_t *self = arg;
    zs_dispatch_tick(&self->dispatch);
    zs_teams_tick(&self->teams);
    zs_coord_mem_tick(&self->memory);
    zs_tasks_evict_aged(&self->tasks);
    zs_durable_maintain(&self->durable);
    zs_coord_settle(self);
    return 0;
}

static void
s_on_sigchld(void *ctx, int signo)
{
    zs_coord_t *self = ctx;
    zs_spawn_reap(self->spawn);
}

static void
s_on_stop_signal(void *ctx, int signo)
{
    zs_coord_stop(ctx, signo == SIGTERM ? "SIGTERM" : "SIGINT");
}

//  SIGHUP is taken and dropped: a closed terminal does not stop a coordinator
static const zs_proc_signal_t s_signals[] = {
    {SIGCHLD, s_on_sigchld},
    {SIGTERM, s_on_stop_signal},
    {SIGINT, s_on_stop_signal},
};

static int
s_signal_readable(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    zs_coord_t *self = arg;
    zs_proc_signals_dispatch(self->signal_fd, s_signals,
                             sizeof s_signals / sizeof s_signals[0], self);
    zs_coord_settle(self);
    return self->core.phase == ZS_CORE_DONE ? -1 : 0;
}

//  ---------------------------------------------------------------------------------------
//  Stopping: phases checked by a short timer. Draining lets running tasks finish for up
//  to ZS_COORD_DRAIN_MS while nothing new is accepted; stopping says bye to remote
//  agents and SIGTERM to local ones, then SIGKILL after ZS_COORD_KILL_MS; done ends the
//  loop once every local agent was reaped.

static void
s_enter_stopping(zs_coord_t *self)
{
    self->core.phase = ZS_CORE_STOPPING;
    self->phase_deadline_ms = zclock_mono() + ZS_COORD_KILL_MS;
    if (self->auth.auth) {
        //  Agents told bye reconnect, and are then stopped mid-handshake
        zs_auth_ignore_hangups(self->auth.auth);
    }
    zs_coord_agents_bye(self);
    zs_spawn_stop(self->spawn);
}

static int
s_stop_step(zloop_t *loop, int timer_id, void *arg)
{
    zs_coord_t *self = arg;
    int64_t now = zclock_mono();
    if (self->core.phase == ZS_CORE_DRAINING &&
        (zs_dispatch_running(&self->dispatch) == 0 || now >= self->phase_deadline_ms)) {
        s_enter_stopping(self);
    }
    if (self->core.phase == ZS_CORE_STOPPING) {
        size_t left = zs_spawn_running(self->spawn);
        if (left > 0 && now >= self->phase_deadline_ms) {
            zsys_warning("%zu agents did not stop within %d ms: killing them", left,
                         ZS_COORD_KILL_MS);
            zs_spawn_kill(self->spawn);
        }
        if (left == 0) {
            self->core.phase = ZS_CORE_DONE;
        }
    }
    return self->core.phase == ZS_CORE_DONE ? -1 : 0;
}

void
zs_coord_stop(zs_coord_t *self, const char *why)
{
    if (self->core.phase == ZS_CORE_SERVING) {
        zsys_notice("stopping: %s", why);
        s_publish_swarm(self, ZS_MSG_EV_SWARM_STOPPING, why);
        zs_coord_vote_stop(&self->votes);
        self->core.phase = ZS_CORE_DRAINING;
        self->phase_deadline_ms = zclock_mono() + ZS_COORD_DRAIN_MS;
        zloop_timer(self->loop, ZS_COORD_STOP_POLL_MS, 0, s_stop_step, self);
    } else if (self->core.phase == ZS_CORE_DRAINING) {
        zsys_notice("stopping now: %s", why);
        s_enter_stopping(self);
    }
}

//  ---------------------------------------------------------------------------------------
//  Life cycle

//  Where local agents connect: the bound endpoint, with a wildcard host made loopback
static char *
s_connect_endpoint(const char *bound)
{
    const char *wild = strstr(bound, "0.0.0.0");
    if (strncmp(bound, "tcp://", 6) != 0 || !wild) {
        return zs_strdup(bound);
    }
    char *endpoint = zs_malloc(strlen(bound) + 4);
    sprintf(endpoint, "tcp://127.0.0.1%s", wild + strlen("0.0.0.0"));
    return endpoint;
}

static int
s_start_agents(zs_coord_t *self, const char *agent_exe, zs_error_t *err)
{
    char *endpoint = s_connect_endpoint(zs_broker_agents_endpoint(self->broker));
    static const zs_spawn_events_t events = {zs_coord_agents_exited,
                                             zs_coord_agents_type_failed};
    self->spawn = zs_spawn_new(self->loop, agent_exe, endpoint, &events, self);
    free(endpoint);
    if (self->auth.auth) {
        zs_spawn_set_curve(self->spawn, self->auth.local_cert_path,
                           zs_auth_server_key(self->auth.auth));
    }
    for (size_t i = 0; i < self->swarm->type_count; i++) {
        const zs_swarm_type_t *type = &self->swarm->types[i];
        if (zs_spawn_add_program(self->spawn, type->type, type->count, &type->supervision,
                                 (const char *const *) type->program, type->program_argc,
                                 err) != 0) {
            return -1;
        }
    }
    return 0;
}

static const zs_broker_ops_t s_broker_ops = {
    .hello = zs_coord_agents_hello,
    .message = zs_coord_agents_message,
    .gone = zs_coord_agents_gone,
    .control = zs_coord_control,
    .batch_end = s_settle,
};

void
zs_coord_parts_init(zs_coord_t *self,
                    const zs_swarm_t *swarm,
                    const zs_core_io_t *io,
                    void *io_ctx)
{
    assert(self);
    self->swarm = swarm;
    zs_core_init(&self->core, swarm, io, io_ctx);
    zs_core_set_hooks(&self->core, &s_hooks, self);
    zs_tasks_init(&self->tasks, &self->core);
    zs_coord_mem_init(&self->memory, &self->core, &self->durable);
    zs_providers_init(&self->providers, &self->core, &self->tasks, &self->durable);
    zs_durable_init(&self->durable, &self->core, &self->tasks, self->memory.mem,
                    self->providers.spend);
    zs_dispatch_init(&self->dispatch, &self->core, &self->tasks, &self->providers);
    zs_graph_init(&self->graph, &self->core, &self->tasks, &self->dispatch);
    zs_teams_init(&self->teams, &self->core, &self->tasks, &self->dispatch, &self->graph);
    zs_coord_vote_init(&self->votes, &self->core, &self->dispatch, self->tasks.nonce);
    zs_coord_nodes_init(&self->nodes, &self->core);
    zs_coord_pause_init(&self->pause);
    self->owners = zs_owners_new(swarm);
}

void
zs_coord_parts_fini(zs_coord_t *self)
{
    assert(self);
    zs_tasks_fini(&self->tasks);
    zs_durable_fini(&self->durable);
    zs_dispatch_fini(&self->dispatch);
    zs_owners_destroy(&self->owners);
    zs_coord_nodes_fini(&self->nodes);
    zs_coord_pause_fini(&self->pause);
    zs_graph_fini(&self->graph);
    zs_teams_fini(&self->teams);
    zs_coord_vote_fini(&self->votes);
    zs_coord_mem_fini(&self->memory);
    zs_providers_fini(&self->providers);
}

zs_coord_t *
zs_coord_new(const zs_swarm_t *swarm,
             const char *agent_exe,
             int signal_fd,
             zs_journal_damage_t damage,
             zs_error_t *err)
{
    assert(swarm);
    assert(agent_exe);
    zs_coord_t *self = zs_calloc(1, sizeof *self);
    self->signal_fd = signal_fd;
    self->loop = zloop_new();
    zs_coord_parts_init(self, swarm, &s_io, self);
    if (zs_coord_auth_open(&self->auth, swarm, self->loop, err) != 0) {
        zs_coord_destroy(&self);
        return NULL;
    }
    self->broker =
        zs_broker_new(self->loop, swarm->bind_agents, swarm->bind_events,
                      swarm->bind_control, self->auth.auth, &s_broker_ops, self, err);
    if (!self->broker || zs_coord_replay(self, damage, err) != 0 ||
        s_start_agents(self, agent_exe, err) != 0) {
        zs_coord_destroy(&self);
        return NULL;
    }
    if (zs_durable_on(&self->durable)) {
        //  Answers wait for the journal (zs_durable_sync)
        zs_broker_hold_replies(self->broker);
    }
    zs_broker_set_liveness(self->broker, swarm->heartbeat_ms, swarm->liveness);
    self->signal_item = (zmq_pollitem_t){NULL, signal_fd, ZMQ_POLLIN, 0};
    zloop_poller(self->loop, &self->signal_item, s_signal_readable, self);
    self->tick_timer = zloop_timer(self->loop, swarm->heartbeat_ms, 0, s_tick, self);
    return self;
}

void
zs_coord_destroy(zs_coord_t **self_p)
{
    assert(self_p);
    zs_coord_t *self = *self_p;
    if (!self) {
        return;
    }
    zs_spawn_destroy(&self->spawn);
    //  The parts go before the broker: nothing may reply to a client after the socket
    //  closed (tasks free their waiters without a word)
    zs_coord_parts_fini(self);
    zs_broker_destroy(&self->broker);
    //  After the broker: its CURVE sockets must never outlive the ZAP handler
    zs_coord_auth_close(&self->auth);
    zloop_destroy(&self->loop);
    free(self);
    *self_p = NULL;
}

void
zs_coord_print_ready(zs_coord_t *self, FILE *stream)
{
    fprintf(stream, "zswarmd ready agents=%s events=%s control=%s\n",
            zs_broker_agents_endpoint(self->broker),
            zs_broker_events_endpoint(self->broker),
            zs_broker_control_endpoint(self->broker));
    fflush(stream);
}

int
zs_coord_run(zs_coord_t *self)
{
    assert(self);
    s_publish_swarm(self, ZS_MSG_EV_SWARM_STARTED, NULL);
    zs_graph_workflow(&self->graph);
    zs_durable_sync(&self->durable);
    zloop_start(self->loop);
    if (self->core.phase != ZS_CORE_DONE) {
        return -1;
    }
    zs_tasks_fail_waiters(&self->tasks);
    zs_durable_sync(&self->durable);
    const zs_broker_stats_t *stats = zs_broker_stats(self->broker);
    const zs_core_counts_t *counts = &self->core.counts;
    zsys_notice("stopped: %" PRIu64 " tasks submitted, %" PRIu64 " completed, %" PRIu64
                " dead, %" PRIu64 " cancelled; %" PRIu64 " bad messages, %" PRIu64
                " late results, %" PRIu64 " connections refused",
                counts->submitted, counts->completed, counts->dead, counts->cancelled,
                stats->malformed, counts->late, stats->refused);
    return 0;
}
