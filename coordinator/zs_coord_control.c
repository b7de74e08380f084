//  zs_coord_control - see zs_coord_control.h

#include "coordinator/zs_coord_control.h"

#include "coordinator/zs_coord_tasks.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void
s_refuse(zs_coord_t *self,
         const zs_client_ref_t *client,
         const zs_msg_t *msg,
         zs_err_code_t code,
         const char *why)
{
    zs_error_t err;
    zs_error_set(&err, code, "%s", why);
    zs_core_refuse_client(&self->core, client, msg->rid, &err);
}

//  submit, wait, task and cancel: agents send them too
static void
s_task_request(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_core_asker_t asker = {client, NULL};
    zs_coord_tasks_request(self, &asker, msg);
}

static void
s_status(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_STATUS_OK);
    reply.rid = msg->rid;
    reply.name = self->swarm->name;
    reply.n_agents = zs_registry_size(self->dispatch.registry);
    //  Unfinished tasks are queued (or backlogged, or auctioned), on an agent, or pending
    reply.n_ready = zs_sched_queued(self->dispatch.sched);
    for (zs_agent_t *agent = zs_registry_first(self->dispatch.registry); agent;
         agent = zs_registry_next(self->dispatch.registry)) {
        reply.n_running += agent->load;
    }
    reply.n_pending = self->tasks.unfinished - reply.n_ready - reply.n_running;
    reply.n_completed = self->core.counts.completed;
    reply.n_dead = self->core.counts.dead;
    reply.n_cancelled = self->core.counts.cancelled;
    reply.n_submitted = self->core.counts.submitted;
    reply.n_forbidden = self->core.counts.forbidden;
    reply.queued_bytes = self->tasks.queued;
    reply.results_bytes = self->tasks.results;
    reply.uptime_ms = (uint64_t) (zs_core_now(&self->core) - self->core.started_ms);
    reply.seq = zs_broker_seq(self->broker);
    zs_providers_status(&self->providers, &reply);
    zs_core_reply(&self->core, client, &reply);
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
    size_t count = zs_registry_size(self->dispatch.registry);
    zs_msg_agent_t *records = zs_calloc(count + 1, sizeof *records);
    zs_agent_t **agents = zs_calloc(count + 1, sizeof *agents);
    size_t n = 0;
    int64_t now = zs_core_now(&self->core);
    for (zs_agent_t *agent = zs_registry_first(self->dispatch.registry); agent;
         agent = zs_registry_next(self->dispatch.registry)) {
        const zs_swarm_type_t *type = zs_swarm_type_find(self->swarm, agent->atype);
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
            .lead = zs_teams_lead_id(&self->teams, agent),
            .trust = s_per_mille(zs_trust_score(&agent->trust, now)),
            .trust_low = s_per_mille(zs_trust_lower(&agent->trust, now)),
            .paused = agent->paused,
            .cpu = agent->cpu,
            .rss = agent->rss,
            //  char ** to const char **: the message only reads the strings
            .caps = {(const char **) (void *) agent->caps, agent->cap_count},
            .tags = type ? (zs_msg_list_t){(const char **) (void *) type->tags,
                                           type->tag_count}
                         : (zs_msg_list_t){NULL, 0},
            .tier = type ? type->tier : NULL,
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
    zs_core_reply(&self->core, client, &reply);
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
        zs_core_reply(&self->core, client, &reply);
        s_links_free(links, link_count);
    } else {
        zs_error_t err;
        zs_error_set(&err, ZS_ERR_LIMIT, "more than %d links to list: see 'agents'",
                     ZS_MSG_ITEMS_MAX);
        zs_core_refuse_client(&self->core, client, msg->rid, &err);
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
    zs_core_reply(&self->core, client, &reply);
    zs_coord_stop(self, "shutdown requested");
}

static void
s_stop(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    if (zs_spawn_stop_agent(self->spawn, msg->agent) != 0) {
        s_refuse(self, client, msg, ZS_ERR_INVALID, "no such local agent");
        return;
    }
    zsys_notice("stopping agent '%s' on request", msg->agent);
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_STOP_OK);
    reply.rid = msg->rid;
    reply.agent = msg->agent;
    zs_core_reply(&self->core, client, &reply);
}

static int
s_scale_local(zs_coord_t *self, const zs_msg_t *msg, zs_error_t *err)
{
    int rc = zs_spawn_scale(self->spawn, msg->atype, (unsigned) msg->count, err);
    if (rc == ZS_SPAWN_E_NO_TYPE) {
        return zs_error_set(err, ZS_ERR_INVALID, "that agent type failed");
    }
    if (rc != 0) {
        err->code = ZS_ERR_INVALID;
        return -1;
    }
    return 0;
}

static void
s_scale(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    const zs_swarm_type_t *type = zs_swarm_type_find(self->swarm, msg->atype);
    zs_error_t err;
    zs_error_init(&err);
    if (!type) {
        zs_error_set(&err, ZS_ERR_INVALID, "no such agent type in the swarm file");
    } else if (msg->count > ZS_MSG_COUNT_MAX) {
        zs_error_set(&err, ZS_ERR_INVALID, "count above %d", ZS_MSG_COUNT_MAX);
    } else if (msg->node) {
        zs_coord_node_scale(&self->nodes, type, msg, &err);
    } else {
        s_scale_local(self, msg, &err);
    }
    if (err.code) {
        zs_core_refuse_client(&self->core, client, msg->rid, &err);
        return;
    }
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_SCALE_OK);
    reply.rid = msg->rid;
    reply.atype = msg->atype;
    reply.count = msg->count;
    reply.node = msg->node;
    zs_core_reply(&self->core, client, &reply);
}

static void
s_mem(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_coord_mem_client(&self->memory, client, msg);
}

static void
s_vote(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_coord_vote_client(&self->votes, client, msg);
}

static void
s_pause(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_coord_pause_control(self, client, msg);
}

static void
s_providers(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_providers_reply(&self->providers, client, msg);
}

typedef void(s_handler_fn)(zs_coord_t *self,
                           const zs_client_ref_t *client,
                           const zs_msg_t *msg);

//  A control request: who serves it, whether it is logged with who asked (it changes the
//  swarm; submit does too, but it is the hot path), and whether a stopping swarm refuses
//  it (it would start work)
typedef struct {
    s_handler_fn *serve;  //  NULL: not a control request
    bool audited;         //  logged with the client's certificate name
    bool serving_only;    //  refused with SHUTTING_DOWN once the swarm stops
} s_request_t;

static const s_request_t s_requests[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_SUBMIT] = {s_task_request, false, true},
    [ZS_MSG_WAIT] = {s_task_request, false, false},
    [ZS_MSG_TASK] = {s_task_request, false, false},
    [ZS_MSG_CANCEL] = {s_task_request, true, false},
    [ZS_MSG_STATUS] = {s_status, false, false},
    [ZS_MSG_AGENTS] = {s_agents, false, false},
    [ZS_MSG_SHUTDOWN] = {s_shutdown, true, false},
    [ZS_MSG_STOP] = {s_stop, true, false},
    [ZS_MSG_SCALE] = {s_scale, true, true},
    [ZS_MSG_TOPOLOGY] = {s_topology, false, false},
    [ZS_MSG_MEM_PUT] = {s_mem, false, true},
    [ZS_MSG_MEM_GET] = {s_mem, false, false},
    [ZS_MSG_MEM_DEL] = {s_mem, true, false},
    [ZS_MSG_MEM_QUERY] = {s_mem, false, false},
    [ZS_MSG_MEM_DEPOSIT] = {s_mem, false, true},
    [ZS_MSG_VOTE_PROPOSE] = {s_vote, false, true},
    [ZS_MSG_VOTE_STATUS] = {s_vote, false, false},
    [ZS_MSG_VOTE_LIST] = {s_vote, false, false},
    [ZS_MSG_PROVIDERS] = {s_providers, false, false},
    [ZS_MSG_BROADCAST] = {s_pause, true, true},
    [ZS_MSG_PAUSE] = {s_pause, true, false},
    [ZS_MSG_RESUME] = {s_pause, true, false},
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
        zs_sanitize_str(sample, sizeof sample, target);
    }
    char node[ZS_MSG_NAME_MAX * 4 + 1] = "";
    if (msg->node) {
        zs_sanitize_str(node, sizeof node, msg->node);
    }
    zsys_notice("control: '%s' by '%s'%s%s%s%s%s%s", zs_msg_type_name(msg->type),
                client->user, target ? " of '" : "", sample, target ? "'" : "",
                msg->node ? " on node '" : "", node, msg->node ? "'" : "");
}

void
zs_coord_control(void *ctx, const zs_client_ref_t *client, zs_msg_t *msg)
{
    zs_coord_t *self = ctx;
    const s_request_t *request = &s_requests[msg->type];
    if (request->audited) {
        s_audit(client, msg);
    }
    if (!request->serve) {
        s_refuse(self, client, msg, ZS_ERR_UNKNOWN_TYPE, "not a control request");
    } else if (request->serving_only && !zs_core_serving(&self->core)) {
        s_refuse(self, client, msg, ZS_ERR_SHUTTING_DOWN, "swarm is stopping");
    } else {
        request->serve(self, client, msg);
    }
}
