//  zs_node - see zs_node.h

#include "node/zs_node.h"
#include "agent/zs_agent.h"

#include <inttypes.h>
#include <string.h>

#define ZS_NODE_SAMPLE_MAX (ZS_MSG_NAME_MAX * 4 + 1)  //  a name, every byte escaped

//  What the coordinator asked for one agent type
typedef struct {
    char name[ZS_MSG_NAME_MAX + 1];  //  agent type
    unsigned count;                  //  agents of it to run; 0 once the type failed
} s_type_t;

struct _zs_node_t {
    char *name;                         //  owned: node name
    char *prefix;                       //  owned: "<name>.", before every agent id
    unsigned slots;                     //  agents at most, every type together
    bool debug;                         //  log debug lines
    zs_peer_t *peer;                    //  owned: loop, session, signals and stop
    zloop_t *loop;                      //  borrowed from peer: the one event loop
    zs_session_t *session;              //  borrowed from peer: with the coordinator
    zs_spawn_t *spawn;                  //  owned: our agent processes
    s_type_t types[ZS_NODE_TYPES_MAX];  //  the counts asked, in the order first asked
    size_t type_count;                  //  items in types
};

//  ---- helpers -------------------------------------------------------------------------

static const char *
s_endpoint(zs_node_t *self)
{
    return zs_session_endpoint(self->session);
}

static s_type_t *
s_type_find(zs_node_t *self, const char *name)
{
    for (size_t i = 0; i < self->type_count; i++) {
        if (streq(self->types[i].name, name)) {
            return &self->types[i];
        }
    }
    return NULL;
}

//  Agents asked for, every type together
static uint64_t
s_total(zs_node_t *self)
{
    uint64_t total = 0;
    for (size_t i = 0; i < self->type_count; i++) {
        total += self->types[i].count;
    }
    return total;
}

//  ---- node.spawn ----------------------------------------------------------------------

//  Why a node.spawn cannot be followed, or NULL; fills why with the reason
static const char *
s_spawn_check(zs_node_t *self, const zs_msg_t *msg, char *why, size_t size)
{
    //  zswarm-agent refuses a --type that is no valid name: it would exit at every start
    if (!zs_agent_name_valid(msg->atype)) {
        snprintf(why, size, "not a valid agent type");
        return why;
    }
    s_type_t *type = s_type_find(self, msg->atype);
    //  Compared alone first: a count near 2^64 would wrap the sum below
    uint64_t total = msg->count > self->slots
                         ? msg->count
                         : s_total(self) - (type ? type->count : 0) + msg->count;
    if (total > self->slots) {
        snprintf(why, size, "that would make %" PRIu64 " agents on %u slots", total,
                 self->slots);
        return why;
    }
    if (!type && msg->count > 0 && self->type_count == ZS_NODE_TYPES_MAX) {
        snprintf(why, size, "this node runs %d agent types already", ZS_NODE_TYPES_MAX);
        return why;
    }
    return NULL;
}

static s_type_t *
s_type_add(zs_node_t *self, const char *name)
{
    s_type_t *type = &self->types[self->type_count++];
    snprintf(type->name, sizeof type->name, "%s", name);
    return type;
}

//  Add the type, or scale it; returns zs_spawn's result, err filled when it failed
static int
s_spawn_apply(zs_node_t *self, const char *atype, unsigned count, zs_error_t *err)
{
    s_type_t *type = s_type_find(self, atype);
    if (type) {
        int rc = zs_spawn_scale(self->spawn, atype, count, err);
        type->count = rc == 0 || rc == -1 ? count : type->count;
        return rc;
    }
    if (count == 0) {
        return 0;  //  nothing of it runs, nor is to
    }
    int rc = zs_spawn_add(self->spawn, atype, count, NULL, err);
    //  Added even when a fork failed part way: a later node.spawn scales it
    if (rc == 0 || rc == -1) {
        s_type_add(self, atype)->count = count;
    }
    return rc;
}

//  Says what a node.spawn did, or why it did nothing
static void
s_spawn_log(zs_node_t *self,
            int rc,
            const char *atype,
            uint64_t count,
            uint64_t before,
            const zs_error_t *err)
{
    if (rc == ZS_SPAWN_E_NO_TYPE) {
        zsys_warning("cannot run %" PRIu64 " agents of '%s': the type failed here "
                     "(restart zswarm-node to run it again)",
                     count, atype);
    } else if (rc != 0) {
        zsys_error("cannot run %" PRIu64 " agents of '%s': %s", count, atype, err->text);
    } else if (count != before) {
        zsys_info("running %" PRIu64 " agents of '%s'", count, atype);
    } else if (self->debug) {
        //  A new session confirms what runs: worth a line only when debugging
        zsys_debug("running %" PRIu64 " agents of '%s' already", count, atype);
    }
}

static void
s_recv_spawn(void *ctx, const zs_msg_t *msg)
{
    zs_node_t *self = ctx;
    char atype[ZS_NODE_SAMPLE_MAX], why[ZS_ERROR_TEXT_MAX];
    zs_sanitize_str(atype, sizeof atype, msg->atype);
    if (zs_peer_stopping(self->peer)) {
        zsys_info("stopping: not running %" PRIu64 " agents of '%s'", msg->count, atype);
        return;
    }
    if (s_spawn_check(self, msg, why, sizeof why)) {
        zsys_warning("cannot run %" PRIu64 " agents of '%s': %s", msg->count, atype, why);
        return;
    }
    s_type_t *type = s_type_find(self, msg->atype);
    uint64_t before = type ? type->count : 0;
    zs_error_t err;
    zs_error_init(&err);
    int rc = s_spawn_apply(self, msg->atype, (unsigned) msg->count, &err);
    s_spawn_log(self, rc, atype, msg->count, before, &err);
}

//  ---- the session ---------------------------------------------------------------------

static void
s_on_hello(void *ctx, zs_msg_t *hello)
{
    zs_node_t *self = ctx;
    hello->node = self->name;
    hello->slots = self->slots;
}

static void
s_on_welcome(void *ctx, const zs_msg_t *msg, zs_session_welcome_t kind)
{
    zs_node_t *self = ctx;
    if (kind != ZS_SESSION_AGAIN) {
        char swarm[ZS_NODE_SAMPLE_MAX];
        zs_sanitize_str(swarm, sizeof swarm, msg->name ? msg->name : "unnamed");
        zsys_info("joined '%s' as node '%s' (swarm '%s', %u slots, heartbeat %" PRIu64
                  " ms)",
                  s_endpoint(self), self->name, swarm, self->slots,
                  zs_session_hb(self->session));
    }
}

//  What the node does with the messages its session does not consume
static zs_session_recv_fn *const s_recv[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_NODE_SPAWN] = s_recv_spawn,
};

//  ---- the supervisor ------------------------------------------------------------------

//  What becomes of a slot, as the log says it
static const char *const s_next_text[] = {
    [ZS_SPAWN_NEXT_RESTART] = "restarting it",
    [ZS_SPAWN_NEXT_ENDED] = "not restarted",
    [ZS_SPAWN_NEXT_STOPPED] = "stopped",
    [ZS_SPAWN_NEXT_FAILED] = "its type failed",
};

static void
s_on_exited(
    void *ctx, const char *agent_id, pid_t pid, int exit_code, zs_spawn_next_t next)
{
    zs_node_t *self = ctx;
    if (next == ZS_SPAWN_NEXT_STOPPED) {
        if (self->debug) {
            zsys_debug("agent '%s' (pid %d) stopped", agent_id, (int) pid);
        }
        return;
    }
    char how[32];
    snprintf(how, sizeof how, exit_code < 0 ? "signal %d" : "exit code %d",
             exit_code < 0 ? -exit_code : exit_code);
    zsys_warning("agent '%s' (pid %d) ended with %s: %s", agent_id, (int) pid, how,
                 s_next_text[next]);
}

static void
s_on_type_failed(void *ctx, const char *type_name, const char *why)
{
    zs_node_t *self = ctx;
    zsys_error("agent type '%s' failed: %s; its agents are not restarted", type_name,
               why);
    //  Its slots are free for the other types
    s_type_t *type = s_type_find(self, type_name);
    if (type) {
        type->count = 0;
    }
}

//  ---- stopping ------------------------------------------------------------------------

//  Agents that ignore our SIGTERM get SIGKILL: a stop never waits forever
static int
s_on_kill_due(zloop_t *loop, int timer_id, void *arg)
{
    zs_node_t *self = arg;
    size_t left = zs_spawn_running(self->spawn);
    if (left > 0) {
        zsys_warning("%zu agents did not stop within %d ms: killing them", left,
                     ZS_SPAWN_KILL_MS);
        zs_spawn_kill(self->spawn);
    }
    return 0;
}

static void
s_stop(void *owner)
{
    zs_node_t *self = owner;
    size_t running = zs_spawn_running(self->spawn);
    zs_spawn_stop(self->spawn);
    if (running > 0) {
        zsys_info("stopping %zu agents", running);
        zloop_timer(self->loop, ZS_SPAWN_KILL_MS, 1, s_on_kill_due, self);
    }
}

//  The run ends once every agent is gone
static bool
s_done(void *owner)
{
    zs_node_t *self = owner;
    return zs_spawn_running(self->spawn) == 0;
}

static void
s_reap(void *owner)
{
    zs_node_t *self = owner;
    zs_spawn_reap(self->spawn);
}

//  A node runs no tasks: its heartbeats carry no load
static const zs_peer_ops_t s_peer_ops = {
    .hello_type = ZS_MSG_NODE_HELLO,
    .welcome_type = ZS_MSG_NODE_WELCOME,
    .session = {.hello = s_on_hello, .welcome = s_on_welcome, .recv = s_recv},
    .reap = s_reap,
    .stop = s_stop,
    .done = s_done,
};

//  ---- lifecycle -----------------------------------------------------------------------

static void
s_identity_init(zs_node_t *self, const zs_node_config_t *config)
{
    self->name = zs_strdup(config->name);
    size_t size = strlen(config->name) + 2;
    self->prefix = zs_malloc(size);
    snprintf(self->prefix, size, "%s.", config->name);
    self->slots = config->slots;
    self->debug = config->peer.debug;
}

//  Agents connect where we do, as CURVE clients with our certificate if we are one
static void
s_spawn_init(zs_node_t *self, const zs_node_config_t *config)
{
    static const zs_spawn_events_t events = {s_on_exited, s_on_type_failed};
    self->spawn =
        zs_spawn_new(self->loop, config->agent_exe, config->peer.endpoint, &events, self);
    zs_spawn_set_prefix(self->spawn, self->prefix);
    const char *server_key = zs_session_server_key(self->session);
    if (server_key) {
        zs_spawn_set_curve(self->spawn, config->peer.cert, server_key);
    }
}

zs_node_t *
zs_node_new(const zs_node_config_t *config, zs_error_t *err)
{
    assert(config);
    assert(config->name);
    assert(config->agent_exe);
    assert(config->slots >= 1 && config->slots <= ZS_NODE_SLOTS_MAX);
    zs_node_t *self = zs_calloc(1, sizeof *self);
    s_identity_init(self, config);
    self->peer = zs_peer_new(&config->peer, &s_peer_ops, self, err);
    if (!self->peer) {
        zs_node_destroy(&self);
        return NULL;
    }
    self->loop = zs_peer_loop(self->peer);
    self->session = zs_peer_session(self->peer);
    s_spawn_init(self, config);
    return self;
}

void
zs_node_destroy(zs_node_t **self_p)
{
    assert(self_p);
    zs_node_t *self = *self_p;
    if (self) {
        zs_spawn_destroy(&self->spawn);
        zs_peer_destroy(&self->peer);
        free(self->name);
        free(self->prefix);
        free(self);
        *self_p = NULL;
    }
}

void
zs_node_print_ready(zs_node_t *self, FILE *stream)
{
    assert(self);
    assert(stream);
    fprintf(stream, "zswarm-node ready name=%s slots=%u\n", self->name, self->slots);
    fflush(stream);
}

int
zs_node_run(zs_node_t *self)
{
    assert(self);
    zsys_info("connecting to '%s' as node '%s' with %u slots", s_endpoint(self),
              self->name, self->slots);
    return zs_peer_run(self->peer);
}
