//  zs_coord_node - the coordinator's side of node daemons (zswarm-node)
//
//  A node is known by name from the swarm file ('nodes' of each agent type) or from its
//  first node.hello, and stays known for the run: its counts per type outlive its
//  sessions, so a node that reconnects is told the same counts again. Placement is
//  declarative (PROTOCOL.md §5.6): after node.welcome the node gets one node.spawn per
//  type of the swarm file, and a scale naming it sends the one type's again. The node
//  starts, stops and supervises the agents; they join as agents of their own.

#include "coordinator/zs_coord_private.h"

#include <inttypes.h>

#define ZS_COORD_SLOTS_MAX ZS_MSG_COUNT_MAX  //  agents one node may run at once

struct zs_coord_node_t {
    char name[ZS_MSG_NODE_NAME_MAX + 1];  //  its name, the nodes table's key
    char host[ZS_MSG_NAME_MAX + 1];       //  host name from its last hello, or ""
    uint64_t pid;                         //  daemon's pid from its last hello
    unsigned slots;                       //  agents it runs at most; 0 before a hello
    zs_peer_t *peer;                      //  its session, or NULL
    unsigned *counts;                     //  agents per swarm file type, by index
};

static zs_coord_node_t *
s_node_new(zs_coord_t *self, const char *name)
{
    zs_coord_node_t *node = zs_calloc(1, sizeof *node);
    snprintf(node->name, sizeof node->name, "%s", name);
    node->counts = zs_calloc(self->swarm->type_count + 1, sizeof *node->counts);
    for (size_t i = 0; i < self->swarm->type_count; i++) {
        node->counts[i] = zs_swarm_node_count(&self->swarm->types[i], name);
    }
    zhashx_insert(self->nodes, node->name, node);
    return node;
}

static void
s_node_destroy(void **item)
{
    zs_coord_node_t *node = *item;
    free(node->counts);
    free(node);
    *item = NULL;
}

void
zs_coord_nodes_init(zs_coord_t *self)
{
    self->nodes = zhashx_new();
    zhashx_set_destructor(self->nodes, s_node_destroy);
    self->node_owners = zs_owners_new(NULL);
    for (size_t i = 0; i < self->swarm->type_count; i++) {
        const zs_swarm_type_t *type = &self->swarm->types[i];
        for (size_t j = 0; j < type->place_count; j++) {
            if (!zhashx_lookup(self->nodes, type->places[j].node)) {
                s_node_new(self, type->places[j].node);
            }
        }
    }
}

void
zs_coord_nodes_fini(zs_coord_t *self)
{
    zhashx_destroy(&self->nodes);
    zs_owners_destroy(&self->node_owners);
}

static unsigned
s_node_total(zs_coord_t *self, const zs_coord_node_t *node)
{
    unsigned total = 0;
    for (size_t i = 0; i < self->swarm->type_count; i++) {
        total += node->counts[i];
    }
    return total;
}

static void
s_send_spawn(zs_coord_t *self, zs_coord_node_t *node, size_t type_index)
{
    zs_msg_t spawn;
    zs_msg_init(&spawn, ZS_MSG_NODE_SPAWN);
    spawn.atype = self->swarm->types[type_index].type;
    spawn.count = node->counts[type_index];
    zs_broker_send(self->broker, node->peer, &spawn);
}

static void
s_publish_node(zs_coord_t *self,
               zs_msg_type_t type,
               const zs_coord_node_t *node,
               const char *why)
{
    zs_msg_t event;
    zs_msg_init(&event, type);
    event.node = node->name;
    if (type == ZS_MSG_EV_NODE_JOINED) {
        event.slots = node->slots;
        event.host = node->host[0] ? node->host : NULL;
        event.pid = node->pid;
    } else {
        event.why = why;
    }
    zs_broker_publish(self->broker, &event);
}

//  Why a node.hello cannot open a session, or NULL; code gets the error code
static const char *
s_hello_refusal(
    zs_coord_t *self, const zs_msg_t *msg, zs_err_code_t *code, char *why, size_t size)
{
    *code = ZS_ERR_INVALID;
    if (self->phase != ZS_COORD_SERVING) {
        *code = ZS_ERR_SHUTTING_DOWN;
        return "swarm is stopping";
    }
    if (!zs_msg_node_name_valid(msg->node)) {
        return "node name must be 1-32 of A-Z a-z 0-9 . _ : -";
    }
    if (msg->slots < 1 || msg->slots > ZS_COORD_SLOTS_MAX) {
        return "slots must be 1..1000";
    }
    zs_coord_node_t *node = zhashx_lookup(self->nodes, msg->node);
    unsigned placed = node ? s_node_total(self, node) : 0;
    if (placed > msg->slots) {
        *code = ZS_ERR_LIMIT;
        snprintf(why, size,
                 "node '%s' has %" PRIu64 " slots; the swarm places %u agents on it",
                 msg->node, msg->slots, placed);
        return why;
    }
    if (!node && zhashx_size(self->nodes) >= ZS_COORD_AGENTS_MAX) {
        *code = ZS_ERR_LIMIT;
        return "too many nodes";
    }
    return NULL;
}

//  Under CURVE a node name belongs to the key that first used it, as an agent id does
//  (zs_owners): another key's node.hello must not take its agents. NULL, or why not.
static const char *
s_claim_refusal(zs_coord_t *self, zs_peer_t *peer, const char *name, zs_err_code_t *code)
{
    const char *key = zs_broker_peer_user(peer);
    const char *owner;
    int rc = *key ? zs_owners_claim(self->node_owners, name, key, &owner) : 0;
    *code = rc == ZS_OWNERS_E_FULL ? ZS_ERR_LIMIT : ZS_ERR_FORBIDDEN;
    return rc == ZS_OWNERS_E_TAKEN  ? "that node name belongs to another key"
           : rc == ZS_OWNERS_E_FULL ? "too many node names"
                                    : NULL;
}

int
zs_coord_node_hello(zs_coord_t *self, zs_peer_t *peer, const zs_msg_t *msg)
{
    zs_err_code_t code;
    char text[ZS_MSG_TEXT_MAX];
    const char *refusal = s_hello_refusal(self, msg, &code, text, sizeof text);
    if (!refusal) {
        refusal = s_claim_refusal(self, peer, msg->node, &code);
    }
    if (refusal) {
        char name[ZS_MSG_NAME_MAX * 4 + 1];
        zs_sanitize(name, sizeof name, msg->node, strlen(msg->node));
        zsys_warning("node '%s' refused: %s", name, refusal);
        zs_msg_t error;
        zs_msg_init(&error, ZS_MSG_ERROR);
        error.code = code;
        error.why = refusal;
        zs_broker_send(self->broker, peer, &error);
        return -1;
    }
    zs_coord_node_t *node = zhashx_lookup(self->nodes, msg->node);
    if (!node) {
        node = s_node_new(self, msg->node);
    } else if (node->peer) {
        //  The newer connection wins, as for agents: the old one is a dead session
        zs_peer_t *old_peer = node->peer;
        char why[ZS_COORD_LOG_SAMPLE];
        zs_coord_takeover_why(peer, old_peer, why, sizeof why);
        zs_coord_node_gone(self, old_peer, why);
        zs_broker_peer_drop(self->broker, &old_peer);
    }
    node->peer = peer;
    node->slots = (unsigned) msg->slots;
    node->pid = msg->pid;
    snprintf(node->host, sizeof node->host, "%s", msg->host ? msg->host : "");
    zs_broker_peer_set_owner(peer, node);
    zs_msg_t welcome;
    zs_msg_init(&welcome, ZS_MSG_NODE_WELCOME);
    welcome.node = node->name;
    welcome.hb = self->swarm->heartbeat_ms;
    welcome.live = self->swarm->liveness;
    welcome.name = self->swarm->name;
    zs_broker_send(self->broker, peer, &welcome);
    for (size_t i = 0; i < self->swarm->type_count; i++) {
        s_send_spawn(self, node, i);
    }
    char host[ZS_COORD_LOG_SAMPLE];
    zsys_info("node '%s' joined from '%s' ('%s') with %u slots, %u agents placed",
              node->name, zs_sanitize_str(host, sizeof host, node->host),
              zs_broker_peer_addr(peer), node->slots, s_node_total(self, node));
    s_publish_node(self, ZS_MSG_EV_NODE_JOINED, node, NULL);
    return 0;
}

void
zs_coord_node_gone(zs_coord_t *self, zs_peer_t *peer, const char *why)
{
    zs_coord_node_t *node = zs_broker_peer_owner(peer);
    if (node && node->peer == peer) {
        node->peer = NULL;
        char sample[ZS_COORD_LOG_SAMPLE];
        zsys_info("node '%s' left: %s", node->name,
                  zs_sanitize_str(sample, sizeof sample, why));
        s_publish_node(self, ZS_MSG_EV_NODE_LEFT, node, why);
    }
}

void
zs_coord_nodes_bye(zs_coord_t *self, const zs_msg_t *bye)
{
    for (zs_coord_node_t *node = zhashx_first(self->nodes); node;
         node = zhashx_next(self->nodes)) {
        if (node->peer) {
            zs_broker_send(self->broker, node->peer, bye);
        }
    }
}

//  Why the node cannot run count agents of the type at index, or NULL
static const char *
s_scale_refusal(zs_coord_t *self,
                const zs_coord_node_t *node,
                size_t index,
                uint64_t count,
                zs_err_code_t *code,
                char *why,
                size_t size)
{
    *code = ZS_ERR_INVALID;
    if (!node || !node->peer) {
        return "no node of that name is connected";
    }
    char prefix[ZS_MSG_NODE_NAME_MAX + 2];
    snprintf(prefix, sizeof prefix, "%s.", node->name);
    if (!zs_spawn_ids_fit(prefix, self->swarm->types[index].type, (unsigned) count)) {
        return "the agent ids on that node would be longer than 64 bytes";
    }
    unsigned total = s_node_total(self, node) - node->counts[index] + (unsigned) count;
    if (total > node->slots) {
        *code = ZS_ERR_LIMIT;
        snprintf(why, size, "node '%s' has %u slots; that would make %u agents",
                 node->name, node->slots, total);
        return why;
    }
    return NULL;
}

const char *
zs_coord_node_scale(zs_coord_t *self,
                    const zs_swarm_type_t *type,
                    const zs_msg_t *msg,
                    zs_err_code_t *code,
                    char *why,
                    size_t size)
{
    zs_coord_node_t *node = zhashx_lookup(self->nodes, msg->node);
    size_t index = (size_t) (type - self->swarm->types);
    const char *refusal = s_scale_refusal(self, node, index, msg->count, code, why, size);
    if (refusal) {
        return refusal;
    }
    node->counts[index] = (unsigned) msg->count;
    s_send_spawn(self, node, index);
    return NULL;
}
