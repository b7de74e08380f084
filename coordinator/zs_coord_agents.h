//  zs_coord_agents - the agents socket's sessions and the local agents' processes
//
//  A hello registers an agent, once its claim to its id holds (PROTOCOL.md §5.3): a
//  local agent's id only with the secret zs_spawn gave its process, under CURVE an id
//  only from the key that owns it (zs_owners). A newer connection takes over an id
//  its claim holds, which says from where in agent.left, agent.joined and the log. A
//  node.hello opens a node's session (zs_coord_node). Every other message of an agent
//  goes to the part that serves it, through one table that also says which are refused
//  while the swarm stops. A local agent's process that exits ends its session at once,
//  not a liveness period later.
//
//  These are the broker's and the supervisor's callbacks (ctx is the zs_coord_t).

#ifndef ZS_COORD_AGENTS_H
#define ZS_COORD_AGENTS_H

#include "coordinator/zs_coord.h"

#define ZS_COORD_ID_STEM 48  //  bytes of a type kept in a made-up id

//  A hello or node.hello on a new session (the broker's hello op): 0 after welcome,
//  or -1 after an error reply.
int zs_coord_agents_hello(void *ctx, zs_peer_t *peer, zs_msg_t *msg);

//  A session ended by silence or bye (the broker's gone op).
void zs_coord_agents_gone(void *ctx, zs_peer_t *peer, const char *why);

//  Any other message of a session (the broker's message op).
void zs_coord_agents_message(void *ctx, zs_peer_t *peer, zs_msg_t *msg);

//  A local agent's process was reaped / its type failed (the supervisor's events).
void zs_coord_agents_exited(
    void *ctx, const char *agent_id, pid_t pid, int exit_code, zs_spawn_next_t next);
void zs_coord_agents_type_failed(void *ctx, const char *type, const char *why);

//  Say bye to every agent and node with a session: the swarm stops.
void zs_coord_agents_bye(zs_coord_t *self);

#endif
