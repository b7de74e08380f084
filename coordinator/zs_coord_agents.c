//  zs_coord_agents - see zs_coord_agents.h

#include "coordinator/zs_coord_agents.h"

#include "coordinator/zs_coord_tasks.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#define ZS_COORD_LOG_SAMPLE 256  //  bytes of peer text (escaped) in one log line

//  ---------------------------------------------------------------------------------------
//  Events and departures

static void
s_publish_agent(zs_coord_t *self,
                zs_msg_type_t type,
                const zs_agent_t *agent,
                const char *why)
{
    zs_msg_t event;
    zs_msg_init(&event, type);
    event.agent = agent->id;
    event.atype = agent->atype;
    if (type == ZS_MSG_EV_AGENT_JOINED) {
        event.host = agent->host[0] ? agent->host : NULL;
        event.pid = agent->pid;
        event.local = agent->local;
        const char *addr = zs_broker_peer_addr(agent->peer);
        event.addr = *addr ? addr : NULL;
    } else {
        event.why = why;
    }
    zs_core_publish(&self->core, &event);
}

//  An agent's session ended: its attempts fail, its neighbours are told, it is gone
static void
s_agent_lost(zs_coord_t *self, zs_agent_t *agent, const char *why)
{
    char reason[ZS_MSG_TEXT_MAX];
    snprintf(reason, sizeof reason, "agent '%s' lost: %s", agent->id, why);
    zs_utf8_trim(reason);
    zs_dispatch_lost(&self->dispatch, agent, reason);
    zs_tasks_drop_peer(&self->tasks, agent->peer);
    char sample[ZS_COORD_LOG_SAMPLE];
    zsys_info("agent '%s' left: %s", agent->id,
              zs_sanitize_str(sample, sizeof sample, why));
    s_publish_agent(self, ZS_MSG_EV_AGENT_LEFT, agent, why);
    zs_teams_leaving(&self->teams, agent);
    zs_providers_leaving(&self->providers, agent);
    zs_registry_remove(self->dispatch.registry, &agent);
}

//  ---------------------------------------------------------------------------------------
//  Hello

static int
s_refuse(zs_coord_t *self, zs_peer_t *peer, const zs_error_t *err)
{
    zs_core_send_error(&self->core, peer, err, NULL);
    return -1;
}

//  May a hello be welcomed, before its id is looked at? 0, or -1 with err
static int
s_check_hello(const zs_msg_t *msg, zs_error_t *err)
{
    if (msg->conc > ZS_MSG_CONC_MAX) {
        return zs_error_set(err, ZS_ERR_INVALID, "conc above %d", ZS_MSG_CONC_MAX);
    }
    if (!zs_msg_name_valid(msg->atype, strlen(msg->atype), ZS_MSG_NAME_MAX) ||
        (msg->agent &&
         !zs_msg_name_valid(msg->agent, strlen(msg->agent), ZS_MSG_NAME_MAX))) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "agent id and type must be 1-%d characters of A-Z a-z 0-9 . "
                            "_ : -",
                            ZS_MSG_NAME_MAX);
    }
    return 0;
}

//  The id a hello registers: its own, or one made from its type
static void
s_hello_id(zs_coord_t *self, const zs_msg_t *msg, char *id, size_t size)
{
    if (msg->agent) {
        snprintf(id, size, "%s", msg->agent);
        return;
    }
    //  Room for the counter; cut on a character boundary, as ids are UTF-8
    snprintf(id, size, "%.*s", ZS_COORD_ID_STEM, msg->atype);
    zs_utf8_trim(id);
    snprintf(id + strlen(id), size - strlen(id), "-r%u", ++self->remote_ids);
}

//  A refused claim to an id, for the operator: who tried, from where
static void
s_log_claim(zs_coord_t *self, zs_peer_t *peer, const char *id, const char *why)
{
    uint64_t suppressed = 0;
    if (zs_ratelimit_allow(&self->hello_log, &suppressed)) {
        char key[ZS_COORD_LOG_SAMPLE];
        zsys_warning("refused hello as agent '%s' from '%s' (key '%s'): %s (%" PRIu64
                     " more suppressed)",
                     id, zs_broker_peer_addr(peer),
                     zs_sanitize_str(key, sizeof key, zs_broker_peer_user(peer)), why,
                     suppressed);
    }
}

//  May this peer be agent id? A local slot's id only with the secret its process was
//  given, never with a public fact such as its pid; under CURVE, an id only from the
//  key that owns it (zs_owners). Returns 0, or -1 after refusing.
static int
s_check_claim(zs_coord_t *self, zs_peer_t *peer, const char *id, const zs_msg_t *msg)
{
    zs_error_t err;
    if (zs_spawn_has_slot(self->spawn, id) &&
        !zs_spawn_secret_ok(self->spawn, id, msg->secret)) {
        s_log_claim(self, peer, id, "a local agent's id, without its secret");
        zs_error_set(&err, ZS_ERR_FORBIDDEN,
                     "that agent id is a local agent's of this coordinator");
        return s_refuse(self, peer, &err);
    }
    const char *key = zs_broker_peer_user(peer);
    const char *owner = NULL;
    int rc = *key ? zs_owners_claim(self->owners, id, key, &owner) : 0;
    if (rc == ZS_OWNERS_E_TAKEN) {
        char why[ZS_COORD_LOG_SAMPLE];
        char sample[ZS_COORD_LOG_SAMPLE];
        snprintf(why, sizeof why, "the id belongs to key '%s'",
                 zs_sanitize_str(sample, sizeof sample, owner));
        s_log_claim(self, peer, id, why);
        zs_error_set(&err, ZS_ERR_FORBIDDEN, "that agent id belongs to another key");
        return s_refuse(self, peer, &err);
    }
    if (rc == ZS_OWNERS_E_FULL) {
        s_log_claim(self, peer, id, "too many agent ids bound to keys");
        zs_error_set(&err, ZS_ERR_LIMIT, "more than %d agent ids bound to keys",
                     ZS_OWNERS_MAX);
        return s_refuse(self, peer, &err);
    }
    return 0;
}

//  A newer connection takes over a registered id: the old one is a dead session not yet
//  expired, or, without CURVE, anyone who knows the id
static void
s_takeover(zs_coord_t *self, zs_agent_t *old, zs_peer_t *peer)
{
    zs_peer_t *old_peer = old->peer;
    char why[ZS_OWNERS_WHY_MAX];
    zs_owners_takeover_why(zs_broker_peer_addr(peer), zs_broker_peer_addr(old_peer), why,
                           sizeof why);
    s_agent_lost(self, old, why);
    zs_broker_peer_drop(self->broker, &old_peer);
}

//  Register an agent: what it says in hello, completed by its type in the swarm file
static zs_agent_t *
s_agent_add(zs_coord_t *self, const char *id, const zs_msg_t *hello)
{
    const zs_swarm_type_t *type = zs_swarm_type_find(self->swarm, hello->atype);
    unsigned conc = hello->conc ? (unsigned) hello->conc : type ? type->concurrency : 1;
    return zs_registry_add(self->dispatch.registry, id, hello, conc,
                           type ? type->caps : NULL, type ? type->cap_count : 0);
}

static zs_msg_list_t
s_list(char **items, size_t count)
{
    //  char ** to const char ** is safe here: the message only reads the strings
    return (zs_msg_list_t){(const char **) (void *) items, count};
}

//  Where an http or download type's agents may reach, and how much they may fetch
static void
s_welcome_fetch(const zs_swarm_fetch_t *fetch, zs_msg_t *welcome)
{
    welcome->allow = s_list(fetch->allow, fetch->allow_count);
    welcome->max_redirects = fetch->max_redirects;
    welcome->max_body = fetch->max_body;
    welcome->headers = s_list(fetch->headers, fetch->header_count);
    welcome->dir = fetch->dir;
    welcome->max_size = fetch->max_size;
}

//  How an llm type's agents call: its providers in the order they are tried (confs
//  holds 1 + ZS_SWARM_FALLBACKS_MAX records), its prompts and its limits. Keys stay
//  on the agents' machines: only the variables' names go
static void
s_welcome_llm(const zs_swarm_t *swarm,
              const zs_swarm_llm_t *llm,
              zs_msg_t *welcome,
              zs_msg_provider_conf_t *confs)
{
    for (size_t i = 0; i <= llm->fallback_count; i++) {
        const zs_swarm_provider_t *provider =
            zs_swarm_provider_find(swarm, zs_swarm_llm_provider(llm, i));
        confs[i] = (zs_msg_provider_conf_t){
            .name = provider->name,
            .kind = zs_vocab_kind(provider->kind),
            .url = provider->base_url,
            .model = provider->model,
            .key_env = provider->key_env,
            .tmo = provider->timeout_ms,
            .price_in = provider->price_in,
            .price_out = provider->price_out,
        };
    }
    welcome->provider_confs = confs;
    welcome->provider_conf_count = llm->fallback_count + 1;
    welcome->system = llm->system;
    welcome->prompt = llm->prompt;
    welcome->max_tokens = llm->max_tokens;
    welcome->temp = llm->temperature;
    welcome->stream = llm->stream;
    welcome->retries = llm->retries;
    welcome->backoff = llm->backoff_ms;
    welcome->max_wait = llm->max_wait_ms;
    welcome->tok_max = llm->task.tokens;
    welcome->usd_max = llm->task.usd > 0 ? llm->task.usd : (double) NAN;
}

static void
s_welcome(zs_coord_t *self, zs_agent_t *agent)
{
    const zs_swarm_type_t *type = zs_swarm_type_find(self->swarm, agent->atype);
    zs_msg_t welcome;
    zs_msg_init(&welcome, ZS_MSG_WELCOME);
    welcome.agent = agent->id;
    welcome.atype = agent->atype;
    welcome.hb = self->swarm->heartbeat_ms;
    welcome.live = self->swarm->liveness;
    welcome.conc = agent->conc;
    welcome.handler = zs_swarm_handler_name(type ? type->handler : ZS_HANDLER_BUILTIN);
    //  What the agent needs to follow the events addressed to it (PROTOCOL.md §9)
    welcome.events = zs_broker_events_endpoint(self->broker);
    welcome.aseq = zs_broker_aseq(self->broker);
    welcome.paused = agent->paused;
    zs_msg_provider_conf_t confs[1 + ZS_SWARM_FALLBACKS_MAX];
    if (type) {
        welcome.argv = s_list(type->argv, type->argc);
        //  How it votes: a fixed answer, or a command (its own, or the vote's)
        welcome.option = type->vote_answer;
        welcome.vote_argv =
            type->vote_handler ? welcome.argv : s_list(type->vote_argv, type->vote_argc);
        s_welcome_fetch(&type->fetch, &welcome);
        if (type->handler == ZS_HANDLER_LLM) {
            s_welcome_llm(self->swarm, &type->llm, &welcome, confs);
        }
    }
    zs_core_send(&self->core, agent->peer, &welcome);
}

static int
s_node_hello(zs_coord_t *self, zs_peer_t *peer, const zs_msg_t *msg)
{
    zs_owners_origin_t origin = {zs_broker_peer_user(peer), zs_broker_peer_addr(peer)};
    zs_peer_t *replaced;
    zs_coord_node_t *node =
        zs_coord_node_hello(&self->nodes, peer, &origin, msg, &replaced);
    if (replaced) {
        zs_broker_peer_drop(self->broker, &replaced);
    }
    if (!node) {
        return -1;
    }
    zs_broker_peer_set_owner(peer, node);
    return 0;
}

int
zs_coord_agents_hello(void *ctx, zs_peer_t *peer, zs_msg_t *msg)
{
    zs_coord_t *self = ctx;
    zs_error_t err;
    if (!zs_core_serving(&self->core)) {
        zs_error_set(&err, ZS_ERR_SHUTTING_DOWN, "swarm is stopping");
        return s_refuse(self, peer, &err);
    }
    if (msg->type == ZS_MSG_NODE_HELLO) {
        return s_node_hello(self, peer, msg);
    }
    if (s_check_hello(msg, &err) != 0) {
        return s_refuse(self, peer, &err);
    }
    char id[ZS_MSG_NAME_MAX + 1];
    s_hello_id(self, msg, id, sizeof id);
    zs_agent_t *old = zs_registry_find(self->dispatch.registry, id);
    if (!old && zs_registry_size(self->dispatch.registry) >= ZS_MSG_AGENTS_MAX) {
        zs_error_set(&err, ZS_ERR_LIMIT, "more than %d agents", ZS_MSG_AGENTS_MAX);
        return s_refuse(self, peer, &err);
    }
    if (s_check_claim(self, peer, id, msg) != 0) {
        return -1;
    }
    if (old) {
        s_takeover(self, old, peer);
    }
    zs_agent_t *agent = s_agent_add(self, id, msg);
    agent->peer = peer;
    agent->local = zs_spawn_has_slot(self->spawn, id);
    agent->paused = zs_coord_pause_applies(&self->pause, agent);
    zs_broker_peer_set_owner(peer, agent);
    s_welcome(self, agent);
    char host[ZS_COORD_LOG_SAMPLE];
    zsys_info("agent '%s' (%s) joined from '%s' ('%s')", agent->id, agent->atype,
              zs_sanitize_str(host, sizeof host, agent->host), zs_broker_peer_addr(peer));
    s_publish_agent(self, ZS_MSG_EV_AGENT_JOINED, agent, NULL);
    zs_teams_joined(&self->teams, agent);
    zs_providers_joined(&self->providers, agent);
    zs_dispatch_feed(&self->dispatch, agent);
    return 0;
}

void
zs_coord_agents_gone(void *ctx, zs_peer_t *peer, const char *why)
{
    zs_coord_t *self = ctx;
    void *owner = zs_broker_peer_owner(peer);
    if (!owner) {
        return;
    }
    if (zs_broker_peer_kind(peer) == ZS_MSG_NODE_HELLO) {
        zs_coord_node_t *node = owner;
        if (node->peer == peer) {
            zs_coord_node_gone(&self->nodes, node, why);
        }
    } else {
        s_agent_lost(self, owner, why);
    }
}

//  ---------------------------------------------------------------------------------------
//  Messages

//  Any message is a sign of life for the broker; progress changes no task state and
//  does not move the attempt's deadline, which is the task's own timeout
static void
s_on_progress(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_dispatch_progress(&self->dispatch, agent, msg);
}

static void
s_on_provider_report(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_providers_report(&self->providers, agent, msg);
}

static void
s_on_ack(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_dispatch_ack(&self->dispatch, agent, msg);
}

static void
s_on_result(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_dispatch_result(&self->dispatch, agent, msg);
}

static void
s_on_bid(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_dispatch_bid(&self->dispatch, agent, msg);
}

static void
s_on_send(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_teams_send(&self->teams, agent, msg);
}

static void
s_on_share(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_teams_share(&self->teams, agent, msg);
}

static void
s_on_delegate(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_teams_delegate(&self->teams, agent, msg);
}

static void
s_on_mem(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_coord_mem_agent(&self->memory, agent, msg);
}

static void
s_on_vote(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_coord_vote_agent(&self->votes, agent, msg);
}

static void
s_on_sync(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_coord_pause_sync(self, agent, msg);
}

//  A heartbeat that reports the agent's resource use (the broker takes the others)
static void
s_on_heartbeat(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    agent->cpu = msg->cpu;
    agent->rss = msg->rss;
}

//  Subtasks: an agent asks as a client does, and is answered on its session
static void
s_on_task_request(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_core_asker_t asker = {NULL, agent->peer};
    zs_coord_tasks_request(self, &asker, msg);
}

static void
s_on_checkpoint(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_coord_tasks_checkpoint(self, agent, msg);
}

//  What an agent may send besides its session's messages, which the broker takes
typedef struct {
    void (*serve)(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg);
    bool serving_only;  //  refused with SHUTTING_DOWN once the swarm stops
} s_request_t;

static const s_request_t s_requests[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_TASK_ACK] = {s_on_ack, false},
    [ZS_MSG_TASK_PROGRESS] = {s_on_progress, false},
    [ZS_MSG_PROVIDER_REPORT] = {s_on_provider_report, false},
    [ZS_MSG_TASK_RESULT] = {s_on_result, false},
    [ZS_MSG_TASK_BID] = {s_on_bid, false},
    [ZS_MSG_MSG_SEND] = {s_on_send, false},
    [ZS_MSG_MSG_SHARE] = {s_on_share, false},
    [ZS_MSG_TASK_DELEGATE] = {s_on_delegate, false},
    [ZS_MSG_MEM_PUT] = {s_on_mem, true},
    [ZS_MSG_MEM_GET] = {s_on_mem, false},
    [ZS_MSG_MEM_DEL] = {s_on_mem, false},
    [ZS_MSG_MEM_QUERY] = {s_on_mem, false},
    [ZS_MSG_MEM_DEPOSIT] = {s_on_mem, true},
    [ZS_MSG_VOTE_PROPOSE] = {s_on_vote, true},
    [ZS_MSG_VOTE_CAST] = {s_on_vote, false},
    [ZS_MSG_VOTE_STATUS] = {s_on_vote, false},
    [ZS_MSG_VOTE_LIST] = {s_on_vote, false},
    [ZS_MSG_AGENT_SYNC] = {s_on_sync, false},
    [ZS_MSG_HEARTBEAT] = {s_on_heartbeat, false},
    [ZS_MSG_TASK_CHECKPOINT] = {s_on_checkpoint, false},
    [ZS_MSG_SUBMIT] = {s_on_task_request, true},
    [ZS_MSG_WAIT] = {s_on_task_request, false},
    [ZS_MSG_TASK] = {s_on_task_request, false},
    [ZS_MSG_CANCEL] = {s_on_task_request, false},
};

void
zs_coord_agents_message(void *ctx, zs_peer_t *peer, zs_msg_t *msg)
{
    zs_coord_t *self = ctx;
    //  A node sends nothing but its session's messages, which the broker takes
    const s_request_t *request =
        zs_broker_peer_kind(peer) == ZS_MSG_HELLO ? &s_requests[msg->type] : NULL;
    zs_error_t err;
    if (!request || !request->serve) {
        zs_error_set(&err, ZS_ERR_UNKNOWN_TYPE, "not accepted on the agents socket");
        s_refuse(self, peer, &err);
    } else if (request->serving_only && !zs_core_serving(&self->core)) {
        zs_error_set(&err, ZS_ERR_SHUTTING_DOWN, "swarm is stopping");
        zs_core_asker_t asker = {NULL, peer};
        zs_core_refuse(&self->core, &asker, &err, msg->rid);
    } else {
        request->serve(self, zs_broker_peer_owner(peer), msg);
    }
}

void
zs_coord_agents_bye(zs_coord_t *self)
{
    zs_msg_t bye;
    zs_msg_init(&bye, ZS_MSG_BYE);
    bye.why = "swarm stopping";
    for (zs_agent_t *agent = zs_registry_first(self->dispatch.registry); agent;
         agent = zs_registry_next(self->dispatch.registry)) {
        zs_core_send(&self->core, agent->peer, &bye);
    }
    zs_coord_nodes_bye(&self->nodes, &bye);
}

//  ---------------------------------------------------------------------------------------
//  Local agents' processes

void
zs_coord_agents_exited(
    void *ctx, const char *agent_id, pid_t pid, int exit_code, zs_spawn_next_t next)
{
    zs_coord_t *self = ctx;
    zs_msg_t event;
    zs_msg_init(&event, ZS_MSG_EV_AGENT_EXITED);
    event.agent = agent_id;
    event.pid = (uint64_t) pid;
    event.exit = exit_code;
    zs_core_publish(&self->core, &event);
    if (zs_core_serving(&self->core) && next == ZS_SPAWN_NEXT_RESTART) {
        zsys_warning("agent '%s' (pid %d) exited with %d: restarting", agent_id,
                     (int) pid, exit_code);
    }
    //  Its session ends now, not a liveness period later
    zs_agent_t *agent = zs_registry_find(self->dispatch.registry, agent_id);
    if (agent && agent->pid == (uint64_t) pid) {
        zs_peer_t *peer = agent->peer;
        s_agent_lost(self, agent, "process exited");
        zs_broker_peer_drop(self->broker, &peer);
    }
}

void
zs_coord_agents_type_failed(void *ctx, const char *type, const char *why)
{
    zs_coord_t *self = ctx;
    zsys_error("agent type '%s' failed: %s; its agents stay stopped", type, why);
    zs_msg_t event;
    zs_msg_init(&event, ZS_MSG_EV_AGENT_TYPE_FAILED);
    event.atype = type;
    event.why = why;
    zs_core_publish(&self->core, &event);
}
