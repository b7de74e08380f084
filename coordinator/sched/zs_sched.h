//  zs_sched - where ready tasks wait, and which agent runs each (docs/scheduling.md)
//
//  A ready task waits in one of three places: a ready queue, one per task type and set
//  of required capabilities, ordered by priority (higher first) and then by submit
//  order, so equal priorities run first-come first-served; the backlog of one agent
//  (work-stealing), first in first out; or an auction, out of its queue but not yet
//  assigned. The scheduler chooses among agents that can run the task (its type and
//  every capability it requires, zs_agent_can_run) and never gives an agent more than
//  its concurrency, counting the slots auctions reserve. Among capable agents with room:
//
//  - least-loaded: the lowest load relative to concurrency; ties go to the fewest
//    tasks, then to the agent picked longest ago, which spreads a burst evenly;
//  - round-robin: the agent picked longest ago, whatever its load: agents take turns
//    (never picked ones first, in the order they registered);
//  - capability: the most specialised agent, the fewest task types it can run; ties as
//    least-loaded, so generalists stay free for what only they can run;
//  - best-fit: the lowest zs_sched_score, from load, slot holding time and success
//    rate; ties as least-loaded;
//  - work-stealing and auction have places of their own (zs_sched_backlog_push,
//    zs_sched_auction_open); they fall back to least-loaded here.
//
//  An agent that frees a slot takes, whatever the strategies: the head of its own
//  backlog; else the best queued task it can run; else it steals from the tail of the
//  longest backlog holding a task it can run. The scheduler borrows tasks and agents and
//  changes no task state: the coordinator does that. It watches the registry, so an
//  agent that leaves never stays in a backlog or auction.

#ifndef ZS_SCHED_H
#define ZS_SCHED_H

#include <czmq.h>

#include "coordinator/sched/zs_auction.h"
#include "coordinator/sched/zs_registry.h"

#define ZS_SCHED_SETS_MAX 16  //  queues of one task type: distinct sets of requires

typedef struct zs_sched_t zs_sched_t;

//  Create a scheduler choosing among the agents of registry (borrowed); it becomes the
//  registry's watcher (zs_registry_watch).
zs_sched_t *zs_sched_new(zs_registry_t *registry);

//  Free the scheduler, its queues and open auctions (releasing their slots); set
//  *self_p to NULL. Tasks are not touched.
void zs_sched_destroy(zs_sched_t **self_p);

//  Queue a ready task (borrowed) that is in no queue, backlog or auction.
void zs_sched_push(zs_sched_t *self, zs_task_t *task);

//  True when a task of ttype requiring these capabilities, going by route and for
//  target (an agent id, or NULL) can be queued: its queue exists, or the type has
//  fewer than ZS_SCHED_SETS_MAX queues (one per set, route and target). Each
//  queue costs every dispatch of the type a look, so a client may not make them
//  without bound. (A lead's delegated work takes its team task's set under the worker
//  route, unchecked: at most as many queues again.)
bool zs_sched_admits(zs_sched_t *self,
                     const char *ttype,
                     char *const *requires,
                     size_t require_count,
                     zs_task_route_t route,
                     const char *target);

//  Take a task out of its queue, backlog or auction (cancel). No-op if it is in none.
void zs_sched_remove(zs_sched_t *self, zs_task_t *task);

//  Number of ready tasks it holds: queued, backlogged and under auction.
size_t zs_sched_queued(zs_sched_t *self);

//  Number of queues of ttype (one per set of required capabilities), and the best task
//  of queue number variant, still queued, or NULL when that queue is empty or absent.
size_t zs_sched_variants(zs_sched_t *self, const char *ttype);
zs_task_t *zs_sched_peek(zs_sched_t *self, const char *ttype, size_t variant);

//  The names of the types that have queued tasks, as a new list of copies. Caller
//  destroys the list.
zlistx_t *zs_sched_queued_types(zs_sched_t *self);

//  The agent strategy chooses for task among capable agents with room, or NULL. Marks
//  it picked. Work-stealing and auction choose as least-loaded here.
zs_agent_t *
zs_sched_pick(zs_sched_t *self, const zs_task_t *task, zs_strategy_t strategy);

//  The best-fit score of agent, lower is better: (hold_ms + 1) x (1 + (load + offers) /
//  conc) / s^2, with s its trust score (zs_trust_score: the mean of a Beta record of its
//  successes against failures and timeouts, old evidence fading).
double zs_sched_score(const zs_agent_t *agent);

//  The task agent should run next, taken out of where it waited: its own backlog's
//  head; else the best queued task it can run (priority, then age); else the task
//  nearest the tail of the longest backlog that holds one it can run. Marks the agent
//  picked. NULL when there is none.
zs_task_t *zs_sched_next_task(zs_sched_t *self, zs_agent_t *agent);

//  Put a task that waits nowhere at the tail of the backlog of a capable agent, with
//  room or not: the one with the fewest tasks running and backlogged per slot, ties to
//  the agent picked longest ago. Returns that agent (marked picked), or NULL when no
//  agent can run the task (it is left as it was).
zs_agent_t *zs_sched_backlog_push(zs_sched_t *self, zs_task_t *task);

//  Open an auction of a task that waits nowhere: it is offered to every capable agent
//  with room (one slot of each reserved). Returns the auction, owned by the scheduler,
//  or NULL when no capable agent has room (the task is left as it was).
zs_auction_t *zs_sched_auction_open(zs_sched_t *self, zs_task_t *task);

//  The open auction of the task with that id, or NULL.
zs_auction_t *zs_sched_auction_find(zs_sched_t *self, const char *task_id);

//  The open auction whose deadline timer is timer_id, or NULL (it ended already).
zs_auction_t *zs_sched_auction_by_timer(zs_sched_t *self, int timer_id);

//  End an auction and free it (*auction_p set to NULL); its task waits nowhere after.
//  Returns the agent to assign it to, marked picked: the lowest bid of an agent with
//  room (ties to the earlier bid), else the least-loaded capable agent with room; or
//  NULL when none has room.
zs_agent_t *zs_sched_auction_close(zs_sched_t *self, zs_auction_t **auction_p);

//  Put the tasks of agent's backlog back in their queues, in order (the agent leaves,
//  or is paused), for zs_sched_requeued to report.
void zs_sched_backlog_release(zs_sched_t *self, zs_agent_t *agent);

//  True when tasks went back to the queues since the last call, because the agent
//  whose backlog held them left or was paused. Clears the flag.
bool zs_sched_requeued(zs_sched_t *self);

//  Free the queues of types that have no task waiting. Called now and then rather than
//  on every dequeue, so a queue that keeps emptying and refilling is not churned, while
//  clients submitting many distinct types cannot grow memory for ever.
void zs_sched_sweep(zs_sched_t *self);

#endif
