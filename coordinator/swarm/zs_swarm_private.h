//  zs_swarm_private - what the files of the swarm file parser share: zs_swarm.c reads
//  the file, zs_swarm_topology.c checks its topology, zs_swarm_security.c reads the
//  bindings of agent ids to keys, zs_swarm_reach.c what agents reach outside the swarm
//  (the http, download and llm sections, providers and budgets). Nothing else
//  includes it.

#ifndef ZS_SWARM_PRIVATE_H
#define ZS_SWARM_PRIVATE_H

#include "coordinator/swarm/zs_swarm.h"
#include "coordinator/swarm/zs_yaml.h"

#define ZS_SWARM_NAME_MAX 64  //  bytes in a swarm, type, capability or provider name

//  A name (types, capabilities, providers): 1 to ZS_SWARM_NAME_MAX of A-Z a-z 0-9 . _ -.
//  Checks the scalar node, or with zs_swarm_read_name also stores it as an owned string
//  at the key's field. Each returns 0, or -1 with the error set.
int zs_swarm_check_name(zs_yaml_t *ctx, const zs_yaml_key_t *key, const yaml_node_t *node);
int zs_swarm_read_name(zs_yaml_t *ctx,
                       const zs_yaml_key_t *key,
                       yaml_node_t *node,
                       void *target);

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

//  An agent type's 'http', 'download' or 'llm' section into the zs_swarm_type_t at
//  target, over the section's defaults. Each returns 0, or -1 with the error set.
int zs_swarm_read_http(zs_yaml_t *ctx,
                       const zs_yaml_key_t *key,
                       yaml_node_t *node,
                       void *target);
int zs_swarm_read_download(zs_yaml_t *ctx,
                           const zs_yaml_key_t *key,
                           yaml_node_t *node,
                           void *target);
int zs_swarm_read_llm(zs_yaml_t *ctx,
                      const zs_yaml_key_t *key,
                      yaml_node_t *node,
                      void *target);

//  After an agent type's mapping (map) is read: the section of its handler is there
//  and no other; sections[kind] is the value node of that handler's section key, or
//  NULL. Returns 0, or -1 with the error set.
int zs_swarm_check_sections(zs_yaml_t *ctx,
                            const zs_swarm_type_t *type,
                            const yaml_node_t *map,
                            const yaml_node_t *const sections[ZS_HANDLER_COUNT]);

//  'providers: {NAME: {...}, ...}' into the zs_swarm_t at target, and a budget mapping
//  ('tokens', 'usd') into the zs_swarm_budget_t at target + key->offset. Each returns
//  0, or -1 with the error set; what was read before a failure is stored, for
//  zs_swarm_destroy to free.
int zs_swarm_read_providers(zs_yaml_t *ctx,
                            const zs_yaml_key_t *key,
                            yaml_node_t *node,
                            void *target);
int zs_swarm_read_budget(zs_yaml_t *ctx,
                         const zs_yaml_key_t *key,
                         yaml_node_t *node,
                         void *target);

//  Runs after the whole top level (root) is read, since 'providers' may follow
//  'agents': every provider an llm type names is defined, and none is named twice.
//  Returns 0, or -1 with the error set at the name at fault.
int zs_swarm_check_reach(zs_yaml_t *ctx, const zs_swarm_t *self, const yaml_node_t *root);

//  Free what zs_swarm_reach.c read into self (sections and providers).
void zs_swarm_reach_fini(zs_swarm_t *self);

#endif
