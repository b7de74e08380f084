//  zs_control - control requests: one handler per request type, one reply each
//
//  Requests are validated by the codec on the way in; here they are checked against the
//  swarm (does the task exist, is it final) and answered. Every request gets exactly one
//  "<type>.ok" or "error" carrying its rid; submit with wait, and wait itself, may get
//  their wait.ok later (zs_coord.c answers waiters when a task ends).

#include "coordinator/zs_coord_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static zs_task_t *
s_find_task(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_task_t *task = zhashx_lookup(self->tasks, msg->task);
    if (!task) {
        zs_broker_reply_error(self->broker, client, msg->rid, ZS_ERR_NO_TASK,
                              "no such task (unknown, or its result is no longer kept)");
    }
    return task;
}

static void
s_submit(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_coord_submit(self, client, msg);
}

static void
s_wait(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_task_t *task = s_find_task(self, client, msg);
    if (task && zs_coord_wait(self, task, client, msg->rid) != 0) {
        zs_broker_reply_error(self->broker, client, msg->rid, ZS_ERR_LIMIT,
                              "too many clients wait for this task");
    }
}

static void
s_task(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_task_t *task = s_find_task(self, client, msg);
    if (task) {
        zs_msg_t reply;
        zs_msg_init(&reply, ZS_MSG_TASK_OK);
        zs_task_describe(task, &reply);
        reply.rid = msg->rid;
        zs_broker_reply(self->broker, client, &reply);
    }
}

static void
s_cancel(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_task_t *task = s_find_task(self, client, msg);
    if (!task) {
        return;
    }
    if (zs_task_is_final(task)) {
        zs_broker_reply_error(self->broker, client, msg->rid, ZS_ERR_FINISHED,
                              "task already ended");
        return;
    }
    //  The task may be gone after this (kept results: 0): answer from the request
    zs_coord_cancel(self, task, "cancelled by a client");
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_CANCEL_OK);
    reply.rid = msg->rid;
    reply.task = msg->task;
    reply.state = zs_task_state_name(ZS_TASK_CANCELLED);
    zs_broker_reply(self->broker, client, &reply);
}

static void
s_status(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_STATUS_OK);
    reply.rid = msg->rid;
    reply.name = self->swarm->name;
    reply.n_agents = zs_registry_size(self->registry);
    //  Unfinished tasks are queued (or backlogged, or auctioned), on an agent, or pending
    reply.n_ready = zs_sched_queued(self->sched);
    for (zs_agent_t *agent = zs_registry_first(self->registry); agent;
         agent = zs_registry_next(self->registry)) {
        reply.n_running += agent->load;
    }
    reply.n_pending = self->unfinished - reply.n_ready - reply.n_running;
    reply.n_completed = self->counts.completed;
    reply.n_dead = self->counts.dead;
    reply.n_cancelled = self->counts.cancelled;
    reply.n_submitted = self->counts.submitted;
    reply.n_forbidden = self->counts.forbidden;
    reply.queued_bytes = self->bytes.queued;
    reply.results_bytes = self->bytes.results;
    reply.uptime_ms = (uint64_t) (zclock_mono() - self->started_ms);
    reply.seq = zs_broker_seq(self->broker);
    zs_broker_reply(self->broker, client, &reply);
}

static uint64_t
s_per_mille(double fraction)
{
    return (uint64_t) lround(fraction * 1000);
}

//  The records of every agent, as an owned array of *count_p, and the agents in the
//  same order in *agents_p (owned array, borrowed agents) when agents_p is not NULL
static zs_msg_agent_t *
s_records(zs_coord_t *self, size_t *count_p, zs_agent_t ***agents_p)
{
    size_t count = zs_registry_size(self->registry);
    zs_msg_agent_t *records = zs_calloc(count + 1, sizeof *records);
    zs_agent_t **agents = zs_calloc(count + 1, sizeof *agents);
    size_t n = 0;
    int64_t now = zclock_mono();
    for (zs_agent_t *agent = zs_registry_first(self->registry); agent;
         agent = zs_registry_next(self->registry)) {
        agents[n] = agent;
        records[n++] = (zs_msg_agent_t){
            .agent = agent->id,
            .atype = agent->atype,
            .host = agent->host[0] ? agent->host : NULL,
            .state = agent->load ? "busy" : "idle",
            .pid = agent->pid,
            .conc = agent->conc,
            .load = agent->load,
            .done = agent->done,
            .failed = agent->failed,
            .local = agent->local,
            .role = zs_topology_role(self->swarm, &agent->place),
            .lead = zs_coord_topology_lead_id(self, agent),
            .trust = s_per_mille(zs_trust_score(&agent->trust, now)),
            .trust_low = s_per_mille(zs_trust_lower(&agent->trust, now)),
        };
    }
    *count_p = n;
    if (agents_p) {
        *agents_p = agents;
    } else {
        free(agents);
    }
    return records;
}

static void
s_agents(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    size_t n;
    zs_msg_agent_t *records = s_records(self, &n, NULL);
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_AGENTS_OK);
    reply.rid = msg->rid;
    reply.agents = records;
    reply.agent_count = n;
    zs_broker_reply(self->broker, client, &reply);
    free(records);
}

static void
s_links_free(char **links, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        zstr_free(&links[i]);
    }
    free(links);
}

//  "A B" for every pair of linked agents, as an owned array of owned strings; NULL when
//  there are more than ZS_MSG_ITEMS_MAX
static char **
s_links(zs_coord_t *self, zs_agent_t **agents, size_t count, size_t *links_p)
{
    char **links = NULL;
    size_t n = 0, alloc = 0;
    for (size_t i = 0; i < count; i++) {
        for (size_t j = i + 1; j < count; j++) {
            if (!zs_topology_linked(self->swarm, &agents[i]->place, &agents[j]->place)) {
                continue;
            }
            if (n == ZS_MSG_ITEMS_MAX) {
                s_links_free(links, n);
                return NULL;
            }
            if (n == alloc) {
                alloc = alloc ? 2 * alloc : 64;
                links = zs_realloc(links, alloc * sizeof *links);
            }
            links[n++] = zsys_sprintf("%s %s", agents[i]->id, agents[j]->id);
        }
    }
    *links_p = n;
    return links ? links : zs_calloc(1, sizeof *links);
}

static void
s_topology(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    size_t count, link_count = 0;
    zs_agent_t **agents;
    zs_msg_agent_t *records = s_records(self, &count, &agents);
    char **links = s_links(self, agents, count, &link_count);
    if (links) {
        zs_msg_t reply;
        zs_msg_init(&reply, ZS_MSG_TOPOLOGY_OK);
        reply.rid = msg->rid;
        reply.topology = zs_topology_name(self->swarm->topology);
        reply.agents = records;
        reply.agent_count = count;
        //  char ** to const char ** is safe here: the message only reads the strings
        reply.links = (zs_msg_list_t){(const char **) (void *) links, link_count};
        zs_broker_reply(self->broker, client, &reply);
        s_links_free(links, link_count);
    } else {
        zs_broker_reply_error(self->broker, client, msg->rid, ZS_ERR_LIMIT,
                              "more than 10000 links to list: see 'agents'");
    }
    free(agents);
    free(records);
}

static void
s_shutdown(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_SHUTDOWN_OK);
    reply.rid = msg->rid;
    zs_broker_reply(self->broker, client, &reply);
    zs_coord_stop(self, "shutdown requested");
}

static void
s_stop(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    if (zs_spawn_stop_agent(self->spawn, msg->agent) != 0) {
        zs_broker_reply_error(self->broker, client, msg->rid, ZS_ERR_INVALID,
                              "no such local agent");
        return;
    }
    zsys_notice("stopping agent '%s' on request", msg->agent);
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_STOP_OK);
    reply.rid = msg->rid;
    reply.agent = msg->agent;
    zs_broker_reply(self->broker, client, &reply);
}

static void
s_scale(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    const zs_swarm_type_t *type = zs_swarm_type_find(self->swarm, msg->atype);
    zs_error_t err;
    zs_error_init(&err);
    zs_err_code_t code = ZS_ERR_INVALID;
    const char *why = NULL;
    if (!type) {
        why = "no such agent type in the swarm file";
    } else if (msg->count > ZS_MSG_COUNT_MAX) {
        why = "count above 1000";
    } else if (self->phase != ZS_COORD_SERVING) {
        why = "swarm is stopping";
    } else if (msg->node) {
        why = zs_coord_node_scale(self, type, msg, &code, err.text, sizeof err.text);
    } else {
        int rc = zs_spawn_scale(self->spawn, msg->atype, (unsigned) msg->count, &err);
        why = rc == ZS_SPAWN_E_NO_TYPE ? "that agent type failed"
              : rc != 0                ? err.text
                                       : NULL;
    }
    if (why) {
        zs_broker_reply_error(self->broker, client, msg->rid, code, why);
        return;
    }
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_SCALE_OK);
    reply.rid = msg->rid;
    reply.atype = msg->atype;
    reply.count = msg->count;
    reply.node = msg->node;
    zs_broker_reply(self->broker, client, &reply);
}

typedef void(s_handler_fn)(zs_coord_t *self,
                           const zs_client_ref_t *client,
                           const zs_msg_t *msg);

static s_handler_fn *const s_handlers[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_SUBMIT] = s_submit,
    [ZS_MSG_WAIT] = s_wait,
    [ZS_MSG_TASK] = s_task,
    [ZS_MSG_CANCEL] = s_cancel,
    [ZS_MSG_STATUS] = s_status,
    [ZS_MSG_AGENTS] = s_agents,
    [ZS_MSG_SHUTDOWN] = s_shutdown,
    [ZS_MSG_STOP] = s_stop,
    [ZS_MSG_SCALE] = s_scale,
    [ZS_MSG_TOPOLOGY] = s_topology,
    [ZS_MSG_MEM_PUT] = zs_coord_mem_client,
    [ZS_MSG_MEM_GET] = zs_coord_mem_client,
    [ZS_MSG_MEM_DEL] = zs_coord_mem_client,
    [ZS_MSG_MEM_QUERY] = zs_coord_mem_client,
    [ZS_MSG_MEM_DEPOSIT] = zs_coord_mem_client,
    [ZS_MSG_VOTE_PROPOSE] = zs_coord_vote_client,
    [ZS_MSG_VOTE_STATUS] = zs_coord_vote_client,
    [ZS_MSG_VOTE_LIST] = zs_coord_vote_client,
};

//  Requests that change the swarm, logged with who asked (the client's certificate
//  name; '' without security). Submit is not: it is the hot path.
static const bool s_audited[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_MEM_DEL] = true, [ZS_MSG_CANCEL] = true, [ZS_MSG_SHUTDOWN] = true,
    [ZS_MSG_STOP] = true,    [ZS_MSG_SCALE] = true,
};

static void
s_audit(const zs_client_ref_t *client, const zs_msg_t *msg)
{
    const char *target = msg->task    ? msg->task
                         : msg->agent ? msg->agent
                         : msg->key   ? msg->key
                                      : msg->atype;
    char sample[ZS_MSG_NAME_MAX * 4 + 1] = "";
    if (target) {
        zs_sanitize(sample, sizeof sample, target, strlen(target));
    }
    char node[ZS_MSG_NAME_MAX * 4 + 1] = "";
    if (msg->node) {
        zs_sanitize(node, sizeof node, msg->node, strlen(msg->node));
    }
    zsys_notice("control: '%s' by '%s'%s%s%s%s%s%s", zs_msg_type_name(msg->type),
                client->user, target ? " of '" : "", sample, target ? "'" : "",
                msg->node ? " on node '" : "", node, msg->node ? "'" : "");
}

void
zs_control_handle(zs_coord_t *self, const zs_client_ref_t *client, zs_msg_t *msg)
{
    if (s_audited[msg->type]) {
        s_audit(client, msg);
    }
    s_handler_fn *handler = s_handlers[msg->type];
    if (!handler) {
        zs_broker_reply_error(self->broker, client, msg->rid, ZS_ERR_UNKNOWN_TYPE,
                              "not a control request");
        return;
    }
    handler(self, client, msg);
}
