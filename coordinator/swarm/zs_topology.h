//  zs_topology - who may talk to whom: the rules of the four topologies
//  (docs/topologies.md)
//
//  An agent's place in the topology follows from its type and, in a team, from whether
//  it leads: the coordinator works a place out when the agent registers
//  (zs_topology_place) and keeps it with the agent. Two agents are linked (neighbours)
//  when the topology lets them message each other:
//
//  - star: never; agents talk only to the coordinator;
//  - mesh: always;
//  - hierarchical: a worker and the lead of its team. A team is a type some other types
//    `reports_to` (its lead type) with the agents of those types; one member leads;
//  - ring: agents of adjacent stages, the last stage adjacent to the first.
//
//  Links are symmetric. These functions only read the swarm file and the places given.

#ifndef ZS_TOPOLOGY_H
#define ZS_TOPOLOGY_H

#include "coordinator/swarm/zs_swarm.h"

//  Where an agent stands
typedef struct {
    const char *team;  //  the lead type of its team, borrowed from the swarm; or NULL
    int stage;         //  its ring stage from 0, or -1
    bool lead;         //  it leads its team (set by the coordinator, hierarchical only)
} zs_topology_place_t;

//  Name of a topology: "star", "mesh", "hierarchical" or "ring".
const char *zs_topology_name(zs_topology_kind_t kind);

//  The place of an agent of atype in swarm's topology, not leading. A type the swarm
//  file does not list has no team and no stage.
zs_topology_place_t zs_topology_place(const zs_swarm_t *swarm, const char *atype);

//  True when two distinct agents at a and b may message each other.
bool zs_topology_linked(const zs_swarm_t *swarm,
                        const zs_topology_place_t *a,
                        const zs_topology_place_t *b);

//  What an agent at place is called: "agent" (talks to the coordinator only), "peer"
//  (mesh), "lead" or "worker" (a team's), "stage" (ring).
const char *zs_topology_role(const zs_swarm_t *swarm, const zs_topology_place_t *place);

//  Whether a client may submit a task of ttype. 0, or -1 with err->code
//  ZS_ERR_FORBIDDEN and a reason: a worker type's tasks come from its team's lead, and a
//  ring stage after the first takes its input from the stage before.
int zs_topology_admit(const zs_swarm_t *swarm, const char *ttype, zs_error_t *err);

//  True when tasks of ttype are a team's: they go to its lead (hierarchical).
bool zs_topology_team_task(const zs_swarm_t *swarm, const char *ttype);

//  True when a task of ttype starts a ring pipeline: it is the first stage's type.
bool zs_topology_ring_task(const zs_swarm_t *swarm, const char *ttype);

#endif
