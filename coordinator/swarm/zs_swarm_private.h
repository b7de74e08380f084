//  zs_swarm_private - what the files of the swarm file parser share: zs_swarm.c reads
//  the file, zs_swarm_topology.c checks its topology, zs_swarm_security.c reads the
//  bindings of agent ids to keys. Nothing else includes it.

#ifndef ZS_SWARM_PRIVATE_H
#define ZS_SWARM_PRIVATE_H

#include "coordinator/swarm/zs_swarm.h"
#include "coordinator/swarm/zs_yaml.h"

//  Runs after the whole top level (root) is read, since 'topology', 'ring' and 'agents'
//  may come in any order: each 'reports_to' names a lead type one level deep (the lead
//  is marked, the worker gets its type as a capability), 'ring' (ring_node, or NULL)
//  is there exactly under topology ring with distinct known stages, and each workflow
//  step (the sequence workflow, or NULL) is a submit the topology takes. Returns 0, or
//  -1 with the error set at the node at fault.
int zs_swarm_check_topology(zs_yaml_t *ctx,
                            zs_swarm_t *self,
                            const yaml_node_t *root,
                            const yaml_node_t *ring_node,
                            const yaml_node_t *workflow);

//  'security.ids: {KEY: [ID or PREFIX*, ...], ...}' into the zs_swarm_security_t at
//  target: names and patterns checked, and no pattern of one key overlapping another
//  key's. Returns 0, or -1 with the error set; what was read before a failure is stored,
//  for zs_swarm_destroy to free.
int zs_swarm_read_ids(zs_yaml_t *ctx,
                      const zs_yaml_key_t *key,
                      yaml_node_t *node,
                      void *target);

#endif
