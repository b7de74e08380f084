//  zs_node - the node daemon's runtime: agent processes started on a coordinator's word
//
//  A node is a peer (zs_peer): one session with the coordinator (zs_session, node.hello
//  / node.welcome, PROTOCOL.md §5.6) and one zloop; and it holds one supervisor of local
//  agent processes (zs_spawn, ids prefixed "NAME."). Each node.spawn {atype, count}
//  says how many agents of a type the node runs from now on: the node adds the type, or
//  scales it, as long as the counts of every type together stay within its slots and
//  every id fits in an agent id (else it logs the refusal and changes nothing). Its
//  agents connect to the same endpoint as the node, with the node's CURVE certificate,
//  and have sessions of their own. The node keeps them running while it has no session,
//  and the next session's node.spawn messages reconcile the counts. Signals arrive as a
//  signalfd in the loop: SIGCHLD reaps, SIGTERM/SIGINT/SIGHUP stop every agent (SIGKILL
//  after ZS_SPAWN_KILL_MS), and once none runs the node says bye and its run ends.

#ifndef ZS_NODE_H
#define ZS_NODE_H

#include <stdbool.h>
#include <stdio.h>

#include "proto/zs_msg.h"
#include "agent/zs_peer.h"
#include "supervisor/zs_spawn.h"
#include "common/zs_util.h"

#define ZS_NODE_SLOTS_MAX 1000  //  most agents one node runs, every type together
#define ZS_NODE_TYPES_MAX 64    //  agent types one node runs (a swarm file's bound)

typedef struct _zs_node_t zs_node_t;

//  What a node is started with; strings are copied by zs_node_new
typedef struct {
    zs_peer_config_t peer;  //  the coordinator (ours and our agents'), keys, signals
    const char *name;       //  node name: zs_msg_node_name_valid
    unsigned slots;         //  agents at most, 1..ZS_NODE_SLOTS_MAX
    const char *agent_exe;  //  the zswarm-agent program to start
} zs_node_config_t;

//  Create a node and start connecting (nothing is sent until zs_node_run). Returns the
//  node, or NULL with err filled (its code a zs_session_code_t).
zs_node_t *zs_node_new(const zs_node_config_t *config, zs_error_t *err);

//  Kill (SIGKILL) and reap every agent still running, close the session and free the
//  node; sets *self_p to NULL. Accepts NULL.
void zs_node_destroy(zs_node_t **self_p);

//  Write the line that says the node runs, "zswarm-node ready name=NAME slots=N", and
//  flush it: tests and scripts wait for it.
void zs_node_print_ready(zs_node_t *self, FILE *stream);

//  Run until a signal stops the node and its agents are gone; then say bye. Returns 0
//  on such a stop, -1 when the loop itself failed.
int zs_node_run(zs_node_t *self);

#endif
