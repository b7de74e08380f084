//  zs_coord_pause - what the control socket tells agents: broadcasts, pause and resume
//
//  A broadcast is published as agent.broadcast, for every agent or those of one type;
//  agents hear it on their subscription to the events socket. A pause gives an agent,
//  or every agent of a type (those that register later too), no new task: its running
//  tasks go on, and dispatch, auctions, backlogs and team delegation all pass it by
//  (zs_agent_room is 0); what its backlog held goes back to the queues. Resume undoes
//  it. Both are published (agent.paused,
//  agent.resumed) and shown in the agent records. These events carry aseq, which the
//  broker counts; an agent that sees a gap in it asks agent.sync for its state, which
//  is served here too. Pauses last as long as the coordinator (they are not
//  journaled); an agent paused by id stays paused when its session is renewed.

#ifndef ZS_COORD_PAUSE_H
#define ZS_COORD_PAUSE_H

#include <czmq.h>

#include "broker/zs_broker.h"
#include "coordinator/sched/zs_registry.h"

#define ZS_COORD_PAUSED_MAX 10000  //  types, and agent ids, paused at once

typedef struct zs_coord_t zs_coord_t;

typedef struct {
    zhashx_t *types;  //  paused agent types (keys only), owned
    zhashx_t *ids;    //  agent ids paused one by one (keys only), owned
} zs_coord_pause_t;

void zs_coord_pause_init(zs_coord_pause_t *self);
void zs_coord_pause_fini(zs_coord_pause_t *self);

//  Whether an agent that registers now is paused: its id or its type is.
bool zs_coord_pause_applies(zs_coord_pause_t *self, const zs_agent_t *agent);

//  Serve a broadcast, pause or resume request (decoded, borrowed) from a client.
void zs_coord_pause_control(zs_coord_t *self,
                            const zs_client_ref_t *client,
                            const zs_msg_t *msg);

//  Serve an agent's agent.sync: its paused state and the aseq it is as of.
void zs_coord_pause_sync(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg);

#endif
