//  zs_coord_submit - see zs_coord_submit.h

#include "coordinator/zs_coord_submit.h"

#include "coordinator/zs_coord_tasks.h"

#include <string.h>

//  A task's type, its aggregate's and the capabilities it requires are matched against
//  agent types and capabilities, which follow the name rule: anything else would wait
//  for an agent that can never exist
static bool
s_names_valid(const zs_msg_t *msg)
{
    bool valid =
        zs_task_id_valid(msg->ttype) && (!msg->agg || zs_task_id_valid(msg->agg));
    for (size_t i = 0; valid && i < msg->requires.count; i++) {
        valid = zs_task_id_valid(msg->requires.items[i]);
    }
    return valid;
}

//  The submit's own fields, within the protocol's bounds: 0, or -1 with err
static int
s_check_fields(const zs_msg_t *msg, zs_error_t *err)
{
    if (msg->task && !zs_task_id_valid(msg->task)) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "task id must be 1-%d characters of A-Z a-z 0-9 . _ : -",
                            ZS_MSG_NAME_MAX);
    }
    if (!s_names_valid(msg)) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "task types, agg and requires must be 1-%d characters of A-Z "
                            "a-z 0-9 . _ : -",
                            ZS_MSG_NAME_MAX);
    }
    if (msg->agent && !zs_task_id_valid(msg->agent)) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "agent must be an agent id: 1-%d characters of A-Z a-z 0-9 . "
                            "_ : -",
                            ZS_MSG_NAME_MAX);
    }
    if (msg->tmo > ZS_MSG_TMO_MAX) {
        return zs_error_set(err, ZS_ERR_INVALID, "tmo above %d ms", ZS_MSG_TMO_MAX);
    }
    if (msg->tries > ZS_MSG_TRIES_MAX) {
        return zs_error_set(err, ZS_ERR_INVALID, "tries above %d", ZS_MSG_TRIES_MAX);
    }
    if (msg->deps.count > ZS_MSG_DEPS_MAX) {
        return zs_error_set(err, ZS_ERR_INVALID, "more than %d deps", ZS_MSG_DEPS_MAX);
    }
    if (msg->strategy && zs_strategy_from_name(msg->strategy) < 0) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "unknown strategy (expected " ZS_STRATEGY_EXPECTED ")");
    }
    return 0;
}

//  The topology takes tasks of this type from clients (a refusal is counted)
static int
s_check_admitted(zs_coord_t *self, const zs_msg_t *msg, zs_error_t *err)
{
    if (zs_topology_admit(self->swarm, msg->ttype, err) == 0 &&
        (!msg->agg || zs_topology_admit(self->swarm, msg->agg, err) == 0)) {
        return 0;
    }
    self->core.counts.forbidden++;
    return -1;
}

//  The tasks a submit makes: one, a fan-out's items and aggregate, or a ring's stages
static size_t
s_task_count(zs_coord_t *self, const zs_msg_t *msg)
{
    bool ring = zs_topology_ring_task(self->swarm, msg->ttype);
    return ring ? self->swarm->ring_count : zs_graph_size(msg);
}

//  Room for the tasks it makes, within the bounds: 0, or -1 with err (QUEUE_FULL)
static int
s_check_room(zs_coord_t *self, const zs_msg_t *msg, zs_error_t *err)
{
    return zs_tasks_check(&self->tasks, s_task_count(self, msg),
                          zs_tasks_measure(&self->tasks, msg), err);
}

//  The tasks it makes under id fit the graph, the topology and the queues: 0, or -1
//  with err
static int
s_check_tasks(zs_coord_t *self, const zs_msg_t *msg, const char *id, zs_error_t *err)
{
    if (zs_graph_check(&self->graph, msg, id, err) != 0 ||
        zs_teams_check(&self->teams, msg, id, err) != 0) {
        return -1;
    }
    zs_task_route_t route =
        zs_topology_team_task(self->swarm, msg->ttype) ? ZS_ROUTE_LEAD : ZS_ROUTE_ANY;
    //  char *const * from const char **: the scheduler only reads the strings
    if (!zs_sched_admits(self->dispatch.sched, msg->ttype,
                         (char *const *) (void *) msg->requires.items,
                         msg->requires.count, route, msg->agent)) {
        return zs_error_set(err, ZS_ERR_LIMIT,
                            "more than %d different 'requires' sets (or agents) queued "
                            "for this task type",
                            ZS_SCHED_SETS_MAX);
    }
    return 0;
}

//  An agent's submit is a subtask of the task it runs, within the depth and the
//  children a task may have: 0, or -1 with err
static int
s_check_parent(zs_coord_t *self,
               const zs_core_asker_t *asker,
               const zs_msg_t *msg,
               zs_error_t *err)
{
    if (asker->peer && !msg->parent) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "an agent's submit names its 'parent', the task it runs");
    }
    if (!msg->parent) {
        return 0;
    }
    zs_task_t *parent = zs_coord_tasks_running(self, asker, msg->parent, err);
    if (!parent) {
        return -1;
    }
    const zs_swarm_t *swarm = self->swarm;
    if (parent->family.depth + 1 > swarm->max_depth) {
        return zs_error_set(err, ZS_ERR_LIMIT,
                            "task '%s' is at depth %u: a subtask would pass "
                            "tasks.max_depth (%u)",
                            parent->id, parent->family.depth, swarm->max_depth);
    }
    if (parent->family.child_count + s_task_count(self, msg) > swarm->max_children) {
        return zs_error_set(err, ZS_ERR_LIMIT,
                            "task '%s' has %zu children: more would pass "
                            "tasks.max_children (%u)",
                            parent->id, parent->family.child_count, swarm->max_children);
    }
    return 0;
}

static void
s_reply_submitted(zs_coord_t *self,
                  const zs_core_asker_t *asker,
                  const zs_msg_t *msg,
                  zs_task_t *task,
                  bool dup)
{
    //  Checked first, so a request gets one reply: the error, or submit.ok
    if (msg->wait && !zs_tasks_can_wait(task)) {
        zs_error_t err;
        zs_error_set(&err, ZS_ERR_LIMIT, "more than %d clients wait for this task",
                     ZS_TASKS_WAITERS_MAX);
        zs_core_refuse(&self->core, asker, &err, msg->rid);
        return;
    }
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_SUBMIT_OK);
    reply.task = task->id;
    reply.dup = dup;
    zs_core_answer(&self->core, asker, &reply, msg->rid);
    if (msg->wait) {
        zs_tasks_wait(&self->tasks, task, asker, msg->rid, NULL);
    }
}

//  Make the task or tasks of a checked submit under id; the one a client knows is
//  returned (a fan-out's aggregate, a ring's last stage); none is started
static zs_task_t *
s_accept(zs_coord_t *self, const zs_msg_t *msg, const char *id)
{
    unsigned tmo = msg->tmo ? (unsigned) msg->tmo : self->swarm->task_timeout_ms;
    unsigned tries = msg->tries ? (unsigned) msg->tries : self->swarm->task_retries + 1;
    if (zs_topology_ring_task(self->swarm, msg->ttype)) {
        return zs_teams_ring_accept(&self->teams, msg, id, tmo, tries);
    }
    if (msg->items.count) {
        return zs_graph_fan_out(&self->graph, msg, id, tmo, tries);
    }
    return zs_tasks_accept(&self->tasks, msg, id, tmo, tries);
}

void
zs_coord_submit(zs_coord_t *self, const zs_core_asker_t *asker, const zs_msg_t *msg)
{
    zs_error_t err;
    if (s_check_fields(msg, &err) != 0 || s_check_parent(self, asker, msg, &err) != 0 ||
        s_check_admitted(self, msg, &err) != 0) {
        zs_core_refuse(&self->core, asker, &err, msg->rid);
        return;
    }
    zs_task_t *task = msg->task ? zs_tasks_find(&self->tasks, msg->task) : NULL;
    if (task) {
        s_reply_submitted(self, asker, msg, task, true);
        return;
    }
    char id[ZS_MSG_NAME_MAX + 1];
    if (msg->task) {
        snprintf(id, sizeof id, "%s", msg->task);
    } else {
        zs_tasks_new_id(&self->tasks, id, sizeof id);
    }
    if (s_check_room(self, msg, &err) != 0 || s_check_tasks(self, msg, id, &err) != 0) {
        zs_core_refuse(&self->core, asker, &err, msg->rid);
        return;
    }
    task = s_accept(self, msg, id);
    //  Replied (and its waiter noted) before anything can end it: with keep_results
    //  0 an ended task is freed at once. An aggregate is linked before its items
    //  start, so one that fails at once still reaches it
    s_reply_submitted(self, asker, msg, task, false);
    zs_graph_start(&self->graph, task);
    zs_graph_start_items(&self->graph, id, msg->items.count);
    if (zs_topology_ring_task(self->swarm, msg->ttype)) {
        zs_teams_ring_start(&self->teams, id);
    }
    zs_graph_settle(&self->graph);
}
