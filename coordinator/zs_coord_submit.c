//  zs_coord_submit - a client's submit: checked against the protocol's bounds, the
//  topology and the task graph, then accepted as one task or several (a fan-out, a ring
//  pipeline) and started. Part of the coordinator (zs_coord_private.h).

#include "coordinator/zs_coord_private.h"

#include <inttypes.h>
#include <string.h>

//  A generated id: the run's nonce and the submit order, made unique if a client
//  happened to choose the same id
static void
s_task_id(zs_coord_t *self, uint64_t order, char *id, size_t size)
{
    snprintf(id, size, "%08x%08" PRIx64, self->nonce, order);
    for (unsigned n = 1; zhashx_lookup(self->tasks, id); n++) {
        snprintf(id, size, "%08x%08" PRIx64 "-%u", self->nonce, order, n);
    }
}

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

static bool
s_submit_valid(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    const char *why = NULL;
    zs_err_code_t code = ZS_ERR_INVALID;
    if (msg->task && !zs_task_id_valid(msg->task)) {
        why = "task id must be 1-64 characters of A-Z a-z 0-9 . _ : -";
    } else if (!s_names_valid(msg)) {
        why =
            "task types, agg and requires must be 1-64 characters of A-Z a-z 0-9 . _ : -";
    } else if (msg->tmo > ZS_MSG_TMO_MAX) {
        why = "tmo above 86400000 ms";
    } else if (msg->tries > ZS_MSG_TRIES_MAX) {
        why = "tries above 101";
    } else if (msg->deps.count > ZS_MSG_DEPS_MAX) {
        why = "more than 64 deps";
    } else if (msg->strategy && zs_strategy_from_name(msg->strategy) < 0) {
        why = "unknown strategy (expected " ZS_STRATEGY_EXPECTED ")";
    } else if (self->phase != ZS_COORD_SERVING) {
        code = ZS_ERR_SHUTTING_DOWN;
        why = "swarm is stopping";
    }
    if (why) {
        zs_broker_reply_error(self->broker, client, msg->rid, code, why);
    }
    return why == NULL;
}

//  The topology takes tasks of this type from clients (a refusal is counted)
static bool
s_submit_admitted(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_error_t why;
    zs_error_init(&why);
    if (zs_topology_admit(self->swarm, msg->ttype, &why) == 0 &&
        (!msg->agg || zs_topology_admit(self->swarm, msg->agg, &why) == 0)) {
        return true;
    }
    self->counts.forbidden++;
    zs_broker_reply_error(self->broker, client, msg->rid, (zs_err_code_t) why.code,
                          why.text);
    return false;
}

static void
s_reply_submitted(zs_coord_t *self,
                  const zs_client_ref_t *client,
                  const zs_msg_t *msg,
                  zs_task_t *task,
                  bool dup)
{
    //  Checked first, so a request gets one reply: the error, or submit.ok
    if (msg->wait && !zs_coord_can_wait(task)) {
        zs_broker_reply_error(self->broker, client, msg->rid, ZS_ERR_LIMIT,
                              "too many clients wait for this task");
        return;
    }
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_SUBMIT_OK);
    reply.rid = msg->rid;
    reply.task = task->id;
    reply.dup = dup;
    zs_broker_reply(self->broker, client, &reply);
    if (msg->wait) {
        zs_coord_wait(self, task, client, msg->rid);
    }
}

void
zs_coord_submit(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    if (!s_submit_valid(self, client, msg) || !s_submit_admitted(self, client, msg)) {
        return;
    }
    zs_task_t *task = msg->task ? zhashx_lookup(self->tasks, msg->task) : NULL;
    if (task) {
        s_reply_submitted(self, client, msg, task, true);
        return;
    }
    bool ring = zs_topology_ring_task(self->swarm, msg->ttype);
    size_t size = ring ? self->swarm->ring_count : zs_coord_graph_size(msg);
    zs_error_t full;
    if (zs_coord_bounds_check(self, size, zs_coord_bounds_measure(self, msg), &full) !=
        0) {
        zs_broker_reply_error(self->broker, client, msg->rid, ZS_ERR_QUEUE_FULL,
                              full.text);
        return;
    }
    char id[ZS_MSG_NAME_MAX + 1];
    if (msg->task) {
        snprintf(id, sizeof id, "%s", msg->task);
    } else {
        s_task_id(self, self->order + 1, id, sizeof id);
    }
    zs_err_code_t code;
    char text[ZS_MSG_TEXT_MAX];
    const char *why = zs_coord_graph_refusal(self, msg, id, &code, text, sizeof text);
    if (!why) {
        code = ZS_ERR_INVALID;
        why = zs_coord_topology_refusal(self, msg, id, text, sizeof text);
    }
    //  char *const * from const char **: the scheduler only reads the strings
    zs_task_route_t route =
        zs_topology_team_task(self->swarm, msg->ttype) ? ZS_ROUTE_LEAD : ZS_ROUTE_ANY;
    if (!why && !zs_sched_admits(self->sched, msg->ttype,
                                 (char *const *) (void *) msg->requires.items,
                                 msg->requires.count, route)) {
        code = ZS_ERR_LIMIT;
        why = "too many different 'requires' sets queued for this task type";
    }
    if (why) {
        zs_broker_reply_error(self->broker, client, msg->rid, code, why);
        return;
    }
    unsigned tmo = msg->tmo ? (unsigned) msg->tmo : self->swarm->task_timeout_ms;
    unsigned tries = msg->tries ? (unsigned) msg->tries : self->swarm->task_retries + 1;
    if (ring) {
        task = zs_coord_topology_ring_accept(self, msg, id, tmo, tries);
    } else if (msg->items.count) {
        task = zs_coord_graph_fan_out(self, msg, id, tmo, tries);
    } else {
        task = zs_coord_accept(self, msg, id, tmo, tries);
    }
    //  Replied (and its waiter noted) before anything can end it: with keep_results
    //  0 an ended task is freed at once. An aggregate is linked before its items
    //  start, so one that fails at once still reaches it
    s_reply_submitted(self, client, msg, task, false);
    zs_coord_start(self, task);
    zs_coord_graph_start_items(self, id, msg->items.count);
    if (ring) {
        zs_coord_topology_ring_start(self, id);
    }
    zs_coord_graph_settle(self);
}

zs_task_t *
zs_coord_accept(
    zs_coord_t *self, const zs_msg_t *msg, const char *id, unsigned tmo, unsigned tries)
{
    zs_task_t *task = zs_task_new(id, msg, tmo, tries, ++self->order);
    zs_coord_adopt(self, task);
    return task;
}

void
zs_coord_route(zs_coord_t *self, zs_task_t *task)
{
    if (task->route == ZS_ROUTE_ANY && zs_topology_team_task(self->swarm, task->ttype)) {
        task->route = ZS_ROUTE_LEAD;
    }
}

void
zs_coord_adopt(zs_coord_t *self, zs_task_t *task)
{
    zs_coord_route(self, task);
    //  Callers refused ids that exist or do not fit: a failure here is a bug
    int rc = zhashx_insert(self->tasks, task->id, task);
    assert(rc == 0);
    (void) rc;
    self->unfinished++;
    zs_coord_bounds_charge(self, task);
    self->counts.submitted++;
    zs_coord_journal_accepted(self, task);
}

void
zs_coord_start(zs_coord_t *self, zs_task_t *task)
{
    if (task->state == ZS_TASK_PENDING) {
        zs_coord_publish_task(self, task, NULL);
        zs_coord_graph_link(self, task);
    } else {
        zs_coord_make_ready(self, task);
        zs_coord_dispatch_type(self, task->ttype);
    }
}
