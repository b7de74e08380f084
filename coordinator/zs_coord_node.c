//  zs_coord_node - see zs_coord_node.h

#include "coordinator/zs_coord_node.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>

#include "supervisor/zs_spawn.h"

static zs_coord_node_t *
s_node_new(zs_coord_nodes_t *self, const char *name)
{
    zs_coord_node_t *node = zs_calloc(1, sizeof *node);
    snprintf(node->name, sizeof node->name, "%s", name);
    node->counts = zs_calloc(self->core->swarm->type_count + 1, sizeof *node->counts);
    for (size_t i = 0; i < self->core->swarm->type_count; i++) {
        node->counts[i] = zs_swarm_node_count(&self->core->swarm->types[i], name);
    }
    zhashx_insert(self->by_name, node->name, node);
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
zs_coord_nodes_init(zs_coord_nodes_t *self, zs_core_t *core)
{
    assert(self);
    *self = (zs_coord_nodes_t){.core = core};
    self->by_name = zhashx_new();
    zhashx_set_destructor(self->by_name, s_node_destroy);
    self->owners = zs_owners_new(NULL);
    const zs_swarm_t *swarm = core->swarm;
    for (size_t i = 0; i < swarm->type_count; i++) {
        const zs_swarm_type_t *type = &swarm->types[i];
        for (size_t j = 0; j < type->place_count; j++) {
            if (!zhashx_lookup(self->by_name, type->places[j].node)) {
                s_node_new(self, type->places[j].node);
            }
        }
    }
}

void
zs_coord_nodes_fini(zs_coord_nodes_t *self)
{
    zhashx_destroy(&self->by_name);
    zs_owners_destroy(&self->owners);
}

static unsigned
s_node_total(zs_coord_nodes_t *self, const zs_coord_node_t *node)
{
    unsigned total = 0;
    for (size_t i = 0; i < self->core->swarm->type_count; i++) {
        total += node->counts[i];
    }
    return total;
}

static void
s_send_spawn(zs_coord_nodes_t *self, zs_coord_node_t *node, size_t type_index)
{
    zs_msg_t spawn;
    zs_msg_init(&spawn, ZS_MSG_NODE_SPAWN);
    spawn.atype = self->core->swarm->types[type_index].type;
    spawn.count = node->counts[type_index];
    zs_core_send(self->core, node->peer, &spawn);
}

static void
s_publish_node(zs_coord_nodes_t *self,
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
    zs_core_publish(self->core, &event);
}

//  May a node.hello open a session? 0, or -1 with err
static int
s_check_hello(zs_coord_nodes_t *self, const zs_msg_t *msg, zs_error_t *err)
{
    if (!zs_msg_node_name_valid(msg->node)) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "node name must be 1-%d of A-Z a-z 0-9 . _ : -",
                            ZS_MSG_NODE_NAME_MAX);
    }
    if (msg->slots < 1 || msg->slots > ZS_COORD_SLOTS_MAX) {
        return zs_error_set(err, ZS_ERR_INVALID, "slots must be 1..%d",
                            ZS_COORD_SLOTS_MAX);
    }
    zs_coord_node_t *node = zhashx_lookup(self->by_name, msg->node);
    unsigned placed = node ? s_node_total(self, node) : 0;
    if (placed > msg->slots) {
        return zs_error_set(err, ZS_ERR_LIMIT,
                            "node '%s' has %" PRIu64 " slots; the swarm places %u agents "
                            "on it",
                            msg->node, msg->slots, placed);
    }
    if (!node && zhashx_size(self->by_name) >= ZS_COORD_NODES_MAX) {
        return zs_error_set(err, ZS_ERR_LIMIT, "more than %d nodes", ZS_COORD_NODES_MAX);
    }
    return 0;
}

//  Under CURVE a node name belongs to the key that first used it, as an agent id does
//  (zs_owners): another key's node.hello must not take its agents. 0, or -1 with err.
static int
s_check_claim(zs_coord_nodes_t *self, const char *name, const char *key, zs_error_t *err)
{
    const char *owner;
    int rc = *key ? zs_owners_claim(self->owners, name, key, &owner) : 0;
    if (rc == ZS_OWNERS_E_TAKEN) {
        return zs_error_set(err, ZS_ERR_FORBIDDEN,
                            "that node name belongs to another key");
    }
    if (rc == ZS_OWNERS_E_FULL) {
        return zs_error_set(err, ZS_ERR_LIMIT, "more than %d node names bound to keys",
                            ZS_OWNERS_MAX);
    }
    return 0;
}

static void
s_welcome(zs_coord_nodes_t *self, zs_coord_node_t *node)
{
    const zs_swarm_t *swarm = self->core->swarm;
    zs_msg_t welcome;
    zs_msg_init(&welcome, ZS_MSG_NODE_WELCOME);
    welcome.node = node->name;
    welcome.hb = swarm->heartbeat_ms;
    welcome.live = swarm->liveness;
    welcome.name = swarm->name;
    zs_core_send(self->core, node->peer, &welcome);
    for (size_t i = 0; i < swarm->type_count; i++) {
        s_send_spawn(self, node, i);
    }
}

zs_coord_node_t *
zs_coord_node_hello(zs_coord_nodes_t *self,
                    zs_peer_t *peer,
                    const zs_owners_origin_t *origin,
                    const zs_msg_t *msg,
                    zs_peer_t **replaced_p)
{
    *replaced_p = NULL;
    zs_error_t err;
    if (s_check_hello(self, msg, &err) != 0 ||
        s_check_claim(self, msg->node, origin->key, &err) != 0) {
        char name[ZS_MSG_NAME_MAX * 4 + 1];
        zsys_warning("node '%s' refused: %s",
                     zs_sanitize_str(name, sizeof name, msg->node), err.text);
        zs_core_send_error(self->core, peer, &err, NULL);
        return NULL;
    }
    zs_coord_node_t *node = zhashx_lookup(self->by_name, msg->node);
    if (!node) {
        node = s_node_new(self, msg->node);
    } else if (node->peer) {
        //  The newer connection wins, as for agents: the old one is a dead session
        char why[ZS_OWNERS_WHY_MAX];
        zs_owners_takeover_why(origin->addr, node->addr, why, sizeof why);
        *replaced_p = node->peer;
        zs_coord_node_gone(self, node, why);
    }
    node->peer = peer;
    node->slots = (unsigned) msg->slots;
    node->pid = msg->pid;
    snprintf(node->host, sizeof node->host, "%s", msg->host ? msg->host : "");
    snprintf(node->addr, sizeof node->addr, "%s", origin->addr);
    s_welcome(self, node);
    char host[ZS_MSG_NAME_MAX * 4 + 1];
    zsys_info("node '%s' joined from '%s' ('%s') with %u slots, %u agents placed",
              node->name, zs_sanitize_str(host, sizeof host, node->host), node->addr,
              node->slots, s_node_total(self, node));
    s_publish_node(self, ZS_MSG_EV_NODE_JOINED, node, NULL);
    return node;
}

void
zs_coord_node_gone(zs_coord_nodes_t *self, zs_coord_node_t *node, const char *why)
{
    if (node->peer) {
        node->peer = NULL;
        char sample[ZS_MSG_TEXT_MAX];
        zsys_info("node '%s' left: %s", node->name,
                  zs_sanitize_str(sample, sizeof sample, why));
        s_publish_node(self, ZS_MSG_EV_NODE_LEFT, node, why);
    }
}

void
zs_coord_nodes_bye(zs_coord_nodes_t *self, const zs_msg_t *bye)
{
    for (zs_coord_node_t *node = zhashx_first(self->by_name); node;
         node = zhashx_next(self->by_name)) {
        if (node->peer) {
            zs_core_send(self->core, node->peer, bye);
        }
    }
}

//  May the node run count agents of the type at index? 0, or -1 with err
static int
s_check_scale(zs_coord_nodes_t *self,
              const zs_coord_node_t *node,
              size_t index,
              uint64_t count,
              zs_error_t *err)
{
    if (!node || !node->peer) {
        return zs_error_set(err, ZS_ERR_INVALID, "no node of that name is connected");
    }
    char prefix[ZS_MSG_NODE_NAME_MAX + 2];
    snprintf(prefix, sizeof prefix, "%s.", node->name);
    if (!zs_spawn_ids_fit(prefix, self->core->swarm->types[index].type,
                          (unsigned) count)) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "the agent ids on that node would be longer than %d bytes",
                            ZS_MSG_NAME_MAX);
    }
    unsigned total = s_node_total(self, node) - node->counts[index] + (unsigned) count;
    if (total > node->slots) {
        return zs_error_set(err, ZS_ERR_LIMIT,
                            "node '%s' has %u slots; that would make %u agents",
                            node->name, node->slots, total);
    }
    return 0;
}

int
zs_coord_node_scale(zs_coord_nodes_t *self,
                    const zs_swarm_type_t *type,
                    const zs_msg_t *msg,
                    zs_error_t *err)
{
    zs_coord_node_t *node = zhashx_lookup(self->by_name, msg->node);
    size_t index = (size_t) (type - self->core->swarm->types);
    if (s_check_scale(self, node, index, msg->count, err) != 0) {
        return -1;
    }
    node->counts[index] = (unsigned) msg->count;
    s_send_spawn(self, node, index);
    return 0;
}
