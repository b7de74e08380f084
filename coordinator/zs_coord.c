//  zs_coord - see zs_coord.h

#include "coordinator/zs_coord_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/zs_proc.h"

//  ---------------------------------------------------------------------------------
//  Events

void
zs_coord_publish_task(zs_coord_t *self, const zs_task_t *task, const char *why)
{
    zs_msg_t event;
    zs_msg_init(&event, zs_task_state_event(task->state));
    event.task = task->id;
    event.ttype = task->ttype;
    event.att = task->att;
    event.agent = task->agent_id;
    event.why = why;
    zs_broker_publish(self->broker, &event);
}

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
    zs_broker_publish(self->broker, &event);
}

void
zs_coord_publish_swarm(zs_coord_t *self, zs_msg_type_t type, const char *why)
{
    zs_msg_t event;
    zs_msg_init(&event, type);
    event.name = self->swarm->name;
    event.why = why;
    zs_broker_publish(self->broker, &event);
}

//  ---------------------------------------------------------------------------------
//  Final tasks

static void
s_count_final(zs_coord_t *self, const zs_task_t *task)
{
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
}

void
zs_coord_task_final(zs_coord_t *self, zs_task_t *task)
{
    s_count_final(self, task);
    self->unfinished--;
    task->ended_ms = zclock_time();
    zs_coord_journal_ended(self, task);
    zs_coord_publish_task(self, task, task->result.why);
    zs_coord_reply_waiters(self, task);
    zs_coord_graph_final(self, task);
    zs_coord_topology_final(self, task);
    zs_coord_keep_final(self, task);
}

//  ---------------------------------------------------------------------------------
//  Agents socket

void
zs_coord_agent_error(zs_coord_t *self,
                     zs_peer_t *peer,
                     zs_err_code_t code,
                     const char *why,
                     const char *task)
{
    zs_msg_t error;
    zs_msg_init(&error, ZS_MSG_ERROR);
    error.code = (uint64_t) code;
    error.why = why;
    error.task = task;
    zs_broker_send(self->broker, peer, &error);
}

void
zs_coord_answer(zs_coord_t *self,
                const zs_coord_asker_t *asker,
                zs_msg_t *reply,
                uint64_t rid)
{
    reply->rid = rid;
    if (asker->client) {
        zs_broker_reply(self->broker, asker->client, reply);
    } else {
        zs_broker_send(self->broker, asker->agent->peer, reply);
    }
}

void
zs_coord_refuse(zs_coord_t *self,
                const zs_coord_asker_t *asker,
                const zs_error_t *err,
                uint64_t rid)
{
    zs_msg_t error;
    zs_msg_init(&error, ZS_MSG_ERROR);
    error.code = (uint64_t) err->code;
    error.why = err->text;
    zs_coord_answer(self, asker, &error, rid);
}

static int
s_agent_refuse(zs_coord_t *self, zs_peer_t *peer, zs_err_code_t code, const char *why)
{
    zs_coord_agent_error(self, peer, code, why, NULL);
    return -1;
}

static void
s_agent_lost(zs_coord_t *self, zs_agent_t *agent, const char *why)
{
    char reason[ZS_MSG_TEXT_MAX];
    snprintf(reason, sizeof reason, "agent '%s' lost: %s", agent->id, why);
    zs_utf8_trim(reason);
    //  No free slots: its retried tasks must not come straight back to it
    agent->conc = 0;
    while (agent->tasks) {
        zs_coord_abort_attempt(self, agent->tasks, "fail", reason);
    }
    char sample[ZS_COORD_LOG_SAMPLE];
    zsys_info("agent '%s' left: %s", agent->id,
              zs_sanitize_str(sample, sizeof sample, why));
    s_publish_agent(self, ZS_MSG_EV_AGENT_LEFT, agent, why);
    zs_coord_topology_leaving(self, agent);
    zs_registry_remove(self->registry, &agent);
}

//  Register an agent: what it says in hello, completed by its type in the swarm file
static zs_agent_t *
s_agent_add(zs_coord_t *self, const char *id, const zs_msg_t *hello)
{
    const zs_swarm_type_t *type = zs_swarm_type_find(self->swarm, hello->atype);
    unsigned conc = hello->conc ? (unsigned) hello->conc : type ? type->concurrency : 1;
    return zs_registry_add(self->registry, id, hello, conc, type ? type->caps : NULL,
                           type ? type->cap_count : 0);
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
    welcome.handler = type && type->handler == ZS_HANDLER_EXEC ? "exec" : "builtin";
    if (type && type->argv) {
        //  char ** to const char ** is safe here: the message only reads the strings
        welcome.argv.items = (const char **) (void *) type->argv;
        welcome.argv.count = type->argc;
    }
    if (type) {
        //  How it votes: a fixed answer, or a command (its own, or the vote's)
        welcome.option = type->vote_answer;
        welcome.vote_argv =
            type->vote_handler ? welcome.argv
                               : (zs_msg_list_t){(const char **) (void *) type->vote_argv,
                                                 type->vote_argc};
    }
    zs_broker_send(self->broker, agent->peer, &welcome);
}

//  Why a hello cannot be welcomed before its id is looked at, or NULL
static const char *
s_hello_fault(zs_coord_t *self, const zs_msg_t *msg, zs_err_code_t *code)
{
    *code = ZS_ERR_INVALID;
    if (self->phase != ZS_COORD_SERVING) {
        *code = ZS_ERR_SHUTTING_DOWN;
        return "swarm is stopping";
    }
    if (msg->conc > ZS_MSG_CONC_MAX) {
        return "conc above 1024";
    }
    if (!zs_msg_name_valid(msg->atype, strlen(msg->atype), ZS_MSG_NAME_MAX) ||
        (msg->agent &&
         !zs_msg_name_valid(msg->agent, strlen(msg->agent), ZS_MSG_NAME_MAX))) {
        return "agent id and type must be 1-64 characters of A-Z a-z 0-9 . _ : -";
    }
    return NULL;
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
s_hello_claim(zs_coord_t *self, zs_peer_t *peer, const char *id, const zs_msg_t *msg)
{
    if (zs_spawn_has_slot(self->spawn, id) &&
        !zs_spawn_secret_ok(self->spawn, id, msg->secret)) {
        s_log_claim(self, peer, id, "a local agent's id, without its secret");
        return s_agent_refuse(self, peer, ZS_ERR_FORBIDDEN,
                              "that agent id is a local agent's of this coordinator");
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
        return s_agent_refuse(self, peer, ZS_ERR_FORBIDDEN,
                              "that agent id belongs to another key");
    }
    if (rc == ZS_OWNERS_E_FULL) {
        s_log_claim(self, peer, id, "too many agent ids bound to keys");
        return s_agent_refuse(self, peer, ZS_ERR_LIMIT, "too many agent ids");
    }
    return 0;
}

void
zs_coord_takeover_why(const zs_peer_t *peer,
                      const zs_peer_t *old_peer,
                      char *why,
                      size_t size)
{
    const char *addr = zs_broker_peer_addr(peer);
    const char *old_addr = zs_broker_peer_addr(old_peer);
    if (*addr || *old_addr) {
        snprintf(why, size, "taken over by a new connection from '%s' (was '%s')", addr,
                 old_addr);
    } else {
        snprintf(why, size, "taken over by a new connection");
    }
    if (!streq(addr, old_addr)) {
        zsys_warning("%s", why);
    }
}

//  A newer connection takes over a registered id: the old one is a dead session not yet
//  expired, or, without CURVE, anyone who knows the id
static void
s_takeover(zs_coord_t *self, zs_agent_t *old, zs_peer_t *peer)
{
    zs_peer_t *old_peer = old->peer;
    char why[ZS_COORD_LOG_SAMPLE];
    zs_coord_takeover_why(peer, old_peer, why, sizeof why);
    s_agent_lost(self, old, why);
    zs_broker_peer_drop(self->broker, &old_peer);
}

static int
s_on_hello(void *ctx, zs_peer_t *peer, zs_msg_t *msg)
{
    zs_coord_t *self = ctx;
    if (msg->type == ZS_MSG_NODE_HELLO) {
        return zs_coord_node_hello(self, peer, msg);
    }
    zs_err_code_t code;
    const char *fault = s_hello_fault(self, msg, &code);
    if (fault) {
        return s_agent_refuse(self, peer, code, fault);
    }
    char id[ZS_MSG_NAME_MAX + 1];
    s_hello_id(self, msg, id, sizeof id);
    zs_agent_t *old = zs_registry_find(self->registry, id);
    if (!old && zs_registry_size(self->registry) >= ZS_COORD_AGENTS_MAX) {
        return s_agent_refuse(self, peer, ZS_ERR_LIMIT, "too many agents");
    }
    if (s_hello_claim(self, peer, id, msg) != 0) {
        return -1;
    }
    if (old) {
        s_takeover(self, old, peer);
    }
    zs_agent_t *agent = s_agent_add(self, id, msg);
    agent->peer = peer;
    agent->local = zs_spawn_has_slot(self->spawn, id);
    zs_broker_peer_set_owner(peer, agent);
    s_welcome(self, agent);
    char host[ZS_COORD_LOG_SAMPLE];
    zsys_info("agent '%s' (%s) joined from '%s' ('%s')", agent->id, agent->atype,
              zs_sanitize_str(host, sizeof host, agent->host), zs_broker_peer_addr(peer));
    s_publish_agent(self, ZS_MSG_EV_AGENT_JOINED, agent, NULL);
    zs_coord_topology_joined(self, agent);
    zs_coord_feed_agent(self, agent);
    return 0;
}

static void
s_on_gone(void *ctx, zs_peer_t *peer, const char *why)
{
    zs_coord_t *self = ctx;
    if (zs_broker_peer_kind(peer) == ZS_MSG_NODE_HELLO) {
        zs_coord_node_gone(self, peer, why);
        return;
    }
    zs_agent_t *agent = zs_broker_peer_owner(peer);
    if (agent) {
        s_agent_lost(self, agent, why);
    }
}

//  The task an agent's message is about, if it is the attempt we wait for from it
static zs_task_t *
s_expected(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_task_t *task = zhashx_lookup(self->tasks, msg->task);
    return task && task->agent == agent && task->att == msg->att ? task : NULL;
}

static void
s_on_ack(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_task_t *task = s_expected(self, agent, msg);
    if (task && zs_task_apply(task, ZS_TASK_START) == 0) {
        zs_coord_publish_task(self, task, NULL);
    }
}

static void
s_on_progress(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    //  Any message is a sign of life for the broker; progress changes no task state and
    //  does not move the attempt's deadline, which is the task's own timeout
    (void) self;
    (void) agent;
    (void) msg;
}

static void
s_on_result(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_task_t *task = s_expected(self, agent, msg);
    if (!task) {
        self->counts.late++;
        return;
    }
    zs_agent_task_unlink(agent, task);
    zs_task_set_result(task, msg);
    if (streq(msg->status, "busy")) {
        //  Not an attempt: the agent had no free slot (it still runs tasks we no longer
        //  count, e.g. from before a coordinator restart). It gets nothing more until
        //  the next tick restores its concurrency
        task->att--;
        agent->conc = agent->load;
        zs_coord_attempt_failed(self, task);
    } else if (streq(msg->status, "ok")) {
        zs_agent_record(agent, msg->status);
        zs_task_apply(task, ZS_TASK_SUCCEED);
        zs_coord_task_final(self, task);
    } else {
        zs_agent_record(agent, msg->status);
        zs_coord_attempt_failed(self, task);
    }
    zs_coord_feed_agent(self, agent);
}

typedef void(s_agent_handler_fn)(zs_coord_t *self,
                                 zs_agent_t *agent,
                                 const zs_msg_t *msg);

static s_agent_handler_fn *const s_agent_handlers[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_TASK_ACK] = s_on_ack,
    [ZS_MSG_TASK_PROGRESS] = s_on_progress,
    [ZS_MSG_TASK_RESULT] = s_on_result,
    [ZS_MSG_TASK_BID] = zs_coord_auction_bid,
    [ZS_MSG_MSG_SEND] = zs_coord_topology_send,
    [ZS_MSG_MSG_SHARE] = zs_coord_topology_share,
    [ZS_MSG_TASK_DELEGATE] = zs_coord_topology_delegate,
    [ZS_MSG_MEM_PUT] = zs_coord_mem_agent,
    [ZS_MSG_MEM_GET] = zs_coord_mem_agent,
    [ZS_MSG_MEM_DEL] = zs_coord_mem_agent,
    [ZS_MSG_MEM_QUERY] = zs_coord_mem_agent,
    [ZS_MSG_MEM_DEPOSIT] = zs_coord_mem_agent,
    [ZS_MSG_VOTE_PROPOSE] = zs_coord_vote_agent,
    [ZS_MSG_VOTE_CAST] = zs_coord_vote_agent,
    [ZS_MSG_VOTE_STATUS] = zs_coord_vote_agent,
    [ZS_MSG_VOTE_LIST] = zs_coord_vote_agent,
};

static void
s_on_message(void *ctx, zs_peer_t *peer, zs_msg_t *msg)
{
    zs_coord_t *self = ctx;
    //  A node sends nothing but its session's messages, which the broker takes
    s_agent_handler_fn *handler =
        zs_broker_peer_kind(peer) == ZS_MSG_HELLO ? s_agent_handlers[msg->type] : NULL;
    if (!handler) {
        s_agent_refuse(self, peer, ZS_ERR_UNKNOWN_TYPE,
                       "not accepted on the agents socket");
        return;
    }
    handler(self, zs_broker_peer_owner(peer), msg);
}

static void
s_on_control(void *ctx, const zs_client_ref_t *client, zs_msg_t *msg)
{
    zs_control_handle(ctx, client, msg);
}

static void
s_on_batch_end(void *ctx)
{
    zs_coord_settle(ctx);
}

//  ---------------------------------------------------------------------------------
//  Cancel

static void
s_send_cancel(zs_coord_t *self, const zs_task_t *task)
{
    zs_agent_t *agent = task->agent;
    zs_msg_t cancel;
    zs_msg_init(&cancel, ZS_MSG_TASK_CANCEL);
    cancel.task = task->id;
    cancel.att = task->att;
    zs_broker_send(self->broker, agent->peer, &cancel);
}

void
zs_coord_cancel(zs_coord_t *self, zs_task_t *task, const char *why)
{
    zs_agent_t *agent = task->agent;
    if (agent) {
        s_send_cancel(self, task);
        zs_agent_task_unlink(agent, task);
    }
    zs_sched_remove(self->sched, task);
    zs_task_apply(task, ZS_TASK_CANCEL);
    zs_task_set_outcome(task, "cancelled", why);
    zs_coord_task_final(self, task);
    if (agent) {
        zs_coord_feed_agent(self, agent);
    }
}

//  ---------------------------------------------------------------------------------
//  Timeouts and housekeeping

static void
s_expire_attempts(zs_coord_t *self, zs_agent_t *agent, int64_t now)
{
    zs_task_t *task = agent->tasks;
    while (task) {
        zs_task_t *next = task->next;
        if (now > task->deadline_ms) {
            s_send_cancel(self, task);
            char why[ZS_MSG_TEXT_MAX];
            snprintf(why, sizeof why, "no result within %u ms", task->tmo_ms);
            zs_coord_abort_attempt(self, task, "timeout", why);
        }
        task = next;
    }
}

static int
s_tick(zloop_t *loop, int timer_id, void *arg)
{
    zs_coord_t *self = arg;
    int64_t now = zclock_mono();
    for (zs_agent_t *agent = zs_registry_first(self->registry); agent;
         agent = zs_registry_next(self->registry)) {
        s_expire_attempts(self, agent, now);
        //  An agent that answered "busy" may take work again
        agent->conc = agent->conc_max;
    }
    zs_coord_topology_tick(self);
    zs_coord_mem_tick(self);
    self->redispatch = true;
    zs_sched_sweep(self->sched);
    zs_coord_journal_maintain(self);
    zs_coord_settle(self);
    return 0;
}

static void
s_on_agent_exit(
    void *ctx, const char *agent_id, pid_t pid, int exit_code, zs_spawn_next_t next)
{
    zs_coord_t *self = ctx;
    zs_msg_t event;
    zs_msg_init(&event, ZS_MSG_EV_AGENT_EXITED);
    event.agent = agent_id;
    event.pid = (uint64_t) pid;
    event.exit = exit_code;
    zs_broker_publish(self->broker, &event);
    if (self->phase == ZS_COORD_SERVING && next == ZS_SPAWN_NEXT_RESTART) {
        zsys_warning("agent '%s' (pid %d) exited with %d: restarting", agent_id,
                     (int) pid, exit_code);
    }
    //  Its session ends now, not a liveness period later
    zs_agent_t *agent = zs_registry_find(self->registry, agent_id);
    if (agent && agent->pid == (uint64_t) pid) {
        zs_peer_t *peer = agent->peer;
        s_agent_lost(self, agent, "process exited");
        zs_broker_peer_drop(self->broker, &peer);
    }
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
    return self->phase == ZS_COORD_DONE ? -1 : 0;
}

//  ---------------------------------------------------------------------------------
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

static void
s_on_type_failed(void *ctx, const char *type, const char *why)
{
    zs_coord_t *self = ctx;
    zsys_error("agent type '%s' failed: %s; its agents stay stopped", type, why);
    zs_msg_t event;
    zs_msg_init(&event, ZS_MSG_EV_AGENT_TYPE_FAILED);
    event.atype = type;
    event.why = why;
    zs_broker_publish(self->broker, &event);
}

static int
s_start_agents(zs_coord_t *self, const char *agent_exe, zs_error_t *err)
{
    char *endpoint = s_connect_endpoint(zs_broker_agents_endpoint(self->broker));
    static const zs_spawn_events_t events = {s_on_agent_exit, s_on_type_failed};
    self->spawn = zs_spawn_new(self->loop, agent_exe, endpoint, &events, self);
    free(endpoint);
    if (self->auth) {
        zs_spawn_set_curve(self->spawn, self->local_cert_path,
                           zs_auth_server_key(self->auth));
    }
    for (size_t i = 0; i < self->swarm->type_count; i++) {
        const zs_swarm_type_t *type = &self->swarm->types[i];
        if (zs_spawn_add(self->spawn, type->type, type->count, &type->supervision, err) !=
            0) {
            return -1;
        }
    }
    return 0;
}

static void
s_task_destroy(void **item)
{
    zs_task_t *task = *item;
    zs_coord_answer_waiters(NULL, task, NULL);
    zs_task_destroy(&task);
    *item = NULL;
}

static const zs_broker_ops_t s_broker_ops = {
    .hello = s_on_hello,
    .message = s_on_message,
    .gone = s_on_gone,
    .control = s_on_control,
    .batch_end = s_on_batch_end,
};

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
    self->swarm = swarm;
    self->started_ms = zclock_mono();
    //  Generated task ids differ between runs, so a restarted coordinator never reuses
    //  one
    if (getrandom(&self->nonce, sizeof self->nonce, 0) != sizeof self->nonce) {
        self->nonce = (uint32_t) zclock_usecs() ^ (uint32_t) getpid();
    }
    self->signal_fd = signal_fd;
    self->loop = zloop_new();
    self->tasks = zhashx_new();
    zhashx_set_destructor(self->tasks, s_task_destroy);
    self->registry = zs_registry_new();
    self->owners = zs_owners_new(swarm);
    self->sched = zs_sched_new(self->registry);
    zs_coord_nodes_init(self);
    zs_coord_graph_init(self);
    zs_coord_topology_init(self);
    zs_coord_mem_init(self);
    zs_coord_vote_init(self);
    if (zs_coord_auth_open(self, err) != 0) {
        zs_coord_destroy(&self);
        return NULL;
    }
    self->broker =
        zs_broker_new(self->loop, swarm->bind_agents, swarm->bind_events,
                      swarm->bind_control, self->auth, &s_broker_ops, self, err);
    if (!self->broker || zs_coord_journal_open(self, damage, err) != 0 ||
        s_start_agents(self, agent_exe, err) != 0) {
        zs_coord_destroy(&self);
        return NULL;
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
    //  Tasks go before the broker: nothing may reply to a client after the socket closed
    zhashx_destroy(&self->tasks);
    zs_broker_destroy(&self->broker);
    //  After the broker: its CURVE sockets must never outlive the ZAP handler
    zs_coord_auth_close(self);
    if (self->journal) {
        zs_journal_destroy(&self->journal);
        msgpack_sbuffer_destroy(&self->record);
    }
    zs_sched_destroy(&self->sched);
    zs_registry_destroy(&self->registry);
    zs_owners_destroy(&self->owners);
    zs_coord_nodes_fini(self);
    zs_coord_graph_fini(self);
    zs_coord_topology_fini(self);
    zs_coord_vote_fini(self);
    zs_coord_mem_fini(self);
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
    zs_coord_publish_swarm(self, ZS_MSG_EV_SWARM_STARTED, NULL);
    zs_coord_graph_workflow(self);
    zs_coord_sync(self);
    zloop_start(self->loop);
    if (self->phase != ZS_COORD_DONE) {
        return -1;
    }
    zs_coord_fail_waiters(self);
    zs_coord_sync(self);
    const zs_broker_stats_t *stats = zs_broker_stats(self->broker);
    zsys_notice("stopped: %" PRIu64 " tasks submitted, %" PRIu64 " completed, %" PRIu64
                " dead, %" PRIu64 " cancelled; %" PRIu64 " bad messages, %" PRIu64
                " late results, %" PRIu64 " connections refused",
                self->counts.submitted, self->counts.completed, self->counts.dead,
                self->counts.cancelled, stats->malformed, self->counts.late,
                stats->refused);
    return 0;
}
