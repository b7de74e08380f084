//  zs_sched - ready queues and the least-loaded choice of agent
//
//  Ready tasks wait in one queue per task type, ordered by priority (higher first) and
//  then by submit order, so equal priorities run first-come first-served. The scheduler
//  never assigns an agent more than its concurrency. Least-loaded means the capable
//  agent with the lowest load relative to its concurrency; ties go to the fewest tasks,
//  then to the agent picked longest ago, which spreads a burst evenly. The scheduler
//  borrows tasks and agents and changes no task state: the coordinator does that.

#ifndef ZS_SCHED_H
#define ZS_SCHED_H

#include "zs_registry.h"

typedef struct zs_sched_t zs_sched_t;

//  Create a scheduler choosing among the agents of registry (borrowed).
zs_sched_t *zs_sched_new(zs_registry_t *registry);
void zs_sched_destroy(zs_sched_t **self_p);

//  Queue a ready task (borrowed).
void zs_sched_push(zs_sched_t *self, zs_task_t *task);

//  Take a queued task out of its queue (cancel). No-op if it is not queued.
void zs_sched_remove(zs_sched_t *self, zs_task_t *task);

//  Number of queued tasks, all types.
size_t zs_sched_queued(zs_sched_t *self);

//  The capable agent with a free slot that should run the next task of ttype, or NULL.
//  Marks it picked.
zs_agent_t *zs_sched_pick_agent(zs_sched_t *self, const char *ttype);

//  Dequeue the task agent should run next among the types it can run (best priority,
//  then oldest), or NULL when none is queued.
zs_task_t *zs_sched_next_task(zs_sched_t *self, zs_agent_t *agent);

//  The best queued task of ttype, still queued, or NULL.
zs_task_t *zs_sched_peek(zs_sched_t *self, const char *ttype);

//  Dequeue the best task of ttype, or NULL.
zs_task_t *zs_sched_pop(zs_sched_t *self, const char *ttype);

//  Free the queues of types that have no task waiting. Called now and then rather than
//  on every dequeue, so a queue that keeps emptying and refilling is not churned, while
//  clients submitting many distinct types cannot grow memory for ever.
void zs_sched_sweep(zs_sched_t *self);

#endif
