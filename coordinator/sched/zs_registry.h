//  zs_registry - the agents a coordinator knows, by id and by what they can run
//
//  An agent is registered from its accepted hello until it leaves. It can run a task
//  whose type is its own type or one of its capabilities, and that holds every
//  capability the task requires; the registry keeps, for each such name, the set of
//  agents that can run it, so the scheduler looks only at capable agents. The registry
//  owns its agents; an agent's tasks are borrowed (the coordinator owns tasks) and
//  linked through the tasks themselves. Each agent also carries what the scheduler
//  measures of it: the time its attempts hold a slot (an EWMA), and its slots reserved
//  by open auctions. One watcher (the scheduler, which holds agents in backlogs and
//  auctions) is told of an agent just before it is removed.

#ifndef ZS_REGISTRY_H
#define ZS_REGISTRY_H

#include "coordinator/sched/zs_task.h"
#include "coordinator/swarm/zs_topology.h"
#include "coordinator/sched/zs_trust.h"

typedef struct zs_peer_t zs_peer_t;  //  the broker's session (broker/zs_broker.h)

struct zs_agent_t {
    char *id;            //  agent id, unique in the swarm, owned
    char *atype;         //  agent type, owned
    char *host;          //  host it runs on, owned
    char **caps;         //  capabilities beyond its type, owned
    size_t cap_count;    //  items in caps
    unsigned conc;       //  tasks it may run at once
    unsigned conc_max;   //  concurrency it registered with; conc is lowered while busy
    unsigned load;       //  tasks assigned to it now
    uint64_t pid;        //  its process id on its host
    bool local;          //  spawned by this coordinator
    zs_peer_t *peer;     //  broker's peer for its connection, borrowed
    uint64_t done;       //  attempts it completed
    uint64_t failed;     //  attempts it failed
    uint64_t picked;     //  when it was last given a task (scheduler's clock)
    uint64_t joined;     //  registration order, from 1
    zs_list_t tasks;     //  its assigned tasks, newest first (borrowed, by task->link)
    unsigned offers;     //  slots reserved by open auctions (zs_auction)
    double hold_ms;      //  EWMA of how long its attempts held a slot, ms; 0 before one
    uint64_t samples;    //  attempts measured into hold_ms
    zs_list_t backlog;   //  its backlog, oldest first (borrowed, by task->link)
    zs_topology_place_t place;  //  where it stands in the topology (zs_coord_topology.c)
    bool neighbours_lost;       //  a neighbours message to it could not be queued
    zs_trust_t trust;           //  its outcomes: successes against failures and timeouts
    bool paused;                //  given no new task (pause): no room, no backlog
    uint64_t cpu;               //  CPU it used over its last heartbeat interval, per mille
    uint64_t rss;               //  its resident memory, bytes (its heartbeat's)
};

//  Weight of the newest attempt in hold_ms, as 1 / ZS_REGISTRY_HOLD_WEIGHT
#define ZS_REGISTRY_HOLD_WEIGHT 4

//  Told that agent (borrowed) is about to be removed; its task list is empty already
typedef void(zs_registry_watch_fn)(void *ctx, zs_agent_t *agent);

//  Agents able to run one task type.
typedef struct {
    zs_agent_t **items;  //  borrowed agents
    size_t count;        //  items used
    size_t alloc;        //  items allocated
} zs_agent_set_t;

typedef struct zs_registry_t zs_registry_t;

zs_registry_t *zs_registry_new(void);
//  Free the registry and its agents; set *self_p to NULL. Tasks are not touched.
void zs_registry_destroy(zs_registry_t **self_p);

//  Register an agent described by a hello (borrowed) under id with concurrency conc.
//  Its capabilities are those of the hello plus type_caps (borrowed, may be NULL with
//  count 0): what the swarm file declares for its type. Returns the new agent, owned by
//  the registry. The id must not be registered.
zs_agent_t *zs_registry_add(zs_registry_t *self,
                            const char *id,
                            const zs_msg_t *hello,
                            unsigned conc,
                            char *const *type_caps,
                            size_t type_cap_count);

//  Set the one watcher of removals (fn may be NULL for none); ctx is borrowed.
void zs_registry_watch(zs_registry_t *self, zs_registry_watch_fn *fn, void *ctx);

//  Unregister and free an agent, after telling the watcher; *agent_p is set to NULL.
//  Its task list must be empty, and the watcher must leave its backlog empty.
void zs_registry_remove(zs_registry_t *self, zs_agent_t **agent_p);

//  The agent with that id, borrowed, or NULL.
zs_agent_t *zs_registry_find(zs_registry_t *self, const char *id);

//  Agents able to run tasks of type ttype, borrowed, or NULL when none.
const zs_agent_set_t *zs_registry_capable(zs_registry_t *self, const char *ttype);

//  Number of registered agents.
size_t zs_registry_size(zs_registry_t *self);

//  Iterate over agents: first/next return NULL at the end. Do not add or remove while
//  iterating.
zs_agent_t *zs_registry_first(zs_registry_t *self);
zs_agent_t *zs_registry_next(zs_registry_t *self);

//  Link a task into an agent's list / unlink it. load follows the list's length.
//  Unlinking ends the attempt on the agent, whatever its outcome (result, timeout,
//  cancel): the time since task->assigned_ms goes into the agent's hold_ms.
void zs_agent_task_link(zs_agent_t *agent, zs_task_t *task);
void zs_agent_task_unlink(zs_agent_t *agent, zs_task_t *task);

//  A wait of the task's running attempt (PROTOCOL.md §7.4) lends its slot: the agent's
//  load stops counting the task until the last such wait is answered (reclaim), or the
//  attempt ends. Both do nothing for a task on no agent.
void zs_agent_task_lend(zs_task_t *task);
void zs_agent_task_reclaim(zs_task_t *task);

//  True when agent can run task: its type is the agent's type or a capability, and the
//  agent fits the task's requires and route (zs_agent_fits).
bool zs_agent_can_run(const zs_agent_t *agent, const zs_task_t *task);

//  True when agent has every name in list (count items) as its type or a capability.
bool zs_agent_has_all(const zs_agent_t *agent, char *const *list, size_t count);

//  Count an attempt's outcome on agent, by its status: "ok" is done and a success for
//  its trust, "timeout" a failure and a timeout, anything else a failure.
void zs_agent_record(zs_agent_t *agent, const char *status);

//  True when agent, able to run tasks of its type, may run one that requires list
//  (count items), goes by route and is for target (an agent id, or NULL for any): it
//  is the target when there is one; it leads its team for ZS_ROUTE_LEAD (the list is
//  for the worker it delegates to); else it has every capability, and does not lead
//  for ZS_ROUTE_WORKER.
bool zs_agent_fits(const zs_agent_t *agent,
                   char *const *list,
                   size_t count,
                   zs_task_route_t route,
                   const char *target);

//  Slots free for a new task: concurrency less running tasks and reserved slots, or 0;
//  always 0 while the agent is paused.
unsigned zs_agent_room(const zs_agent_t *agent);

#endif
