//  zs_coord_mem - the shared memory and its requests (PROTOCOL.md §8.1,
//  docs/memory.md): mem.put, mem.get, mem.del, mem.query and mem.deposit from control
//  clients and from agents, served over the store (coordinator/store/zs_mem), journaled
//  and published as mem.changed events

#ifndef ZS_COORD_MEM_H
#define ZS_COORD_MEM_H

#include "coordinator/core/zs_durable.h"
#include "coordinator/sched/zs_registry.h"

typedef struct {
    zs_core_t *core;        //  borrowed
    zs_durable_t *durable;  //  where changes are journaled, borrowed
    zs_mem_t *mem;          //  the store, owned
} zs_coord_mem_t;

//  Start with an empty store, over core and durable (borrowed; durable may be set up
//  after this, as it journals the store made here).
void zs_coord_mem_init(zs_coord_mem_t *self, zs_core_t *core, zs_durable_t *durable);
void zs_coord_mem_fini(zs_coord_mem_t *self);

//  A shared memory request (mem.put, mem.get, mem.del, mem.query, mem.deposit) from a
//  control client / from an agent: served and answered.
void zs_coord_mem_client(zs_coord_mem_t *self,
                         const zs_client_ref_t *client,
                         const zs_msg_t *msg);
void zs_coord_mem_agent(zs_coord_mem_t *self, zs_agent_t *agent, const zs_msg_t *msg);

//  Every heartbeat: remove expired entries (journaled, published).
void zs_coord_mem_tick(zs_coord_mem_t *self);

#endif
