//  zs_coord_node - the coordinator's side of node daemons (zswarm-node)
//
//  A node is known by name from the swarm file ('nodes' of each agent type) or from its
//  first node.hello, and stays known for the run: its counts per type outlive its
//  sessions, so a node that reconnects is told the same counts again. Placement is
//  declarative (PROTOCOL.md §5.6): after node.welcome the node gets one node.spawn per
//  type of the swarm file, and a scale naming it sends the one type's again. The node
//  starts, stops and supervises the agents; they join as agents of their own. Under
//  CURVE a node name belongs to the key that first used it (zs_owners).

#ifndef ZS_COORD_NODE_H
#define ZS_COORD_NODE_H

#include "coordinator/core/zs_core.h"
#include "coordinator/zs_owners.h"

#define ZS_COORD_SLOTS_MAX ZS_MSG_COUNT_MAX   //  agents one node may run at once
#define ZS_COORD_NODES_MAX ZS_MSG_AGENTS_MAX  //  nodes known at once

//  One node daemon
typedef struct {
    char name[ZS_MSG_NODE_NAME_MAX + 1];  //  its name, the table's key
    char host[ZS_MSG_NAME_MAX + 1];       //  host name from its last hello, or ""
    char addr[ZS_OWNERS_ADDR_MAX];        //  address its session came from, or ""
    uint64_t pid;                         //  daemon's pid from its last hello
    unsigned slots;                       //  agents it runs at most; 0 before a hello
    zs_peer_t *peer;                      //  its session, borrowed, or NULL
    unsigned *counts;                     //  agents per swarm file type, by index, owned
} zs_coord_node_t;

typedef struct {
    zs_core_t *core;      //  borrowed
    zhashx_t *by_name;    //  name -> zs_coord_node_t *, owns the nodes
    zs_owners_t *owners;  //  which key owns each node name, owned
} zs_coord_nodes_t;

//  Know the nodes the swarm file places agents on, over core (borrowed).
void zs_coord_nodes_init(zs_coord_nodes_t *self, zs_core_t *core);
void zs_coord_nodes_fini(zs_coord_nodes_t *self);

//  A node.hello (borrowed) on a new session peer, which came from origin: node.welcome
//  and the node.spawn messages are sent, and the node is returned (borrowed), or NULL
//  after an error reply. A session of the node that the new one took over is ended and
//  put in *replaced_p for the caller to drop (else NULL).
zs_coord_node_t *zs_coord_node_hello(zs_coord_nodes_t *self,
                                     zs_peer_t *peer,
                                     const zs_owners_origin_t *origin,
                                     const zs_msg_t *msg,
                                     zs_peer_t **replaced_p);

//  A node's session ended: silence, bye, or takeover.
void zs_coord_node_gone(zs_coord_nodes_t *self, zs_coord_node_t *node, const char *why);

//  Send bye (borrowed) to every node with a session.
void zs_coord_nodes_bye(zs_coord_nodes_t *self, const zs_msg_t *bye);

//  Make node msg->node run msg->count agents of type (a type of the swarm file, count
//  within bounds): remember the count and send node.spawn. Returns 0, or -1 with err.
int zs_coord_node_scale(zs_coord_nodes_t *self,
                        const zs_swarm_type_t *type,
                        const zs_msg_t *msg,
                        zs_error_t *err);

#endif
