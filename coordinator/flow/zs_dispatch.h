//  zs_dispatch - from ready tasks to agents: place, assign, feed, retry or give up
//
//  Dispatch owns the agents (zs_registry) and the places ready tasks wait (zs_sched),
//  and acts on the scheduler's choice under each task's strategy: the task's own, else
//  its type's in the swarm file, else the swarm's (docs/scheduling.md). A task that
//  becomes ready is queued, then placed when its type is dispatched: given to the agent
//  its strategy picks, put on a backlog (work-stealing), or auctioned. An agent with
//  room is fed: it takes its backlog, then queued work, then steals. Retried tasks are
//  queued at once but given out at the end of the batch (zs_dispatch_settle), when every
//  agent lost in the batch is gone.
//
//  Auctions: a task under the auction strategy is offered (task.offer) to every capable
//  agent with room; the scheduler reserves a slot of each meanwhile. The auction ends as
//  soon as every offered agent has bid, or at its deadline (the swarm file's
//  auction_ms, which the offer's tmo tells the agents): the winner (lowest bid, else
//  least-loaded) is assigned the task, or it waits in its queue again.
//
//  An attempt ends with the agent's task.result (only from the agent holding that
//  attempt, with that attempt number: anything else is late and dropped), or is aborted
//  here: its agent lost, its deadline passed, its task cancelled. A failed attempt is
//  retried while attempts remain, else the task is dead.

#ifndef ZS_DISPATCH_H
#define ZS_DISPATCH_H

#include "coordinator/core/zs_tasks.h"
#include "coordinator/flow/zs_providers.h"
#include "coordinator/sched/zs_registry.h"
#include "coordinator/sched/zs_sched.h"

typedef struct {
    zs_core_t *core;            //  borrowed
    zs_tasks_t *tasks;          //  borrowed
    zs_providers_t *providers;  //  the budgets llm tasks need, borrowed, or NULL
    zs_registry_t *registry;    //  the agents, owned
    zs_sched_t *sched;          //  where ready tasks wait, owned
    bool redispatch;            //  tasks were requeued: feed the agents at the batch end
} zs_dispatch_t;

//  Start with no agent and no task waiting, over core, tasks and providers (borrowed;
//  providers may be NULL: no budget is checked).
void zs_dispatch_init(zs_dispatch_t *self,
                      zs_core_t *core,
                      zs_tasks_t *tasks,
                      zs_providers_t *providers);

//  Free the agents and the queues (tasks are the table's).
void zs_dispatch_fini(zs_dispatch_t *self);

//  The strategy that places task: its own, else its type's, else the swarm's.
zs_strategy_t zs_dispatch_strategy(zs_dispatch_t *self, const zs_task_t *task);

//  A task became ready: say so and queue it.
void zs_dispatch_ready(zs_dispatch_t *self, zs_task_t *task);

//  Place the queued tasks of one type until each of its queues waits for an agent.
void zs_dispatch_type(zs_dispatch_t *self, const char *ttype);

//  Give an agent queued work until it is full (nothing while the swarm stops).
void zs_dispatch_feed(zs_dispatch_t *self, zs_agent_t *agent);

//  At the end of a batch of work: queued tasks are placed by their strategies first,
//  then every agent with room takes what is left, when tasks were requeued.
void zs_dispatch_settle(zs_dispatch_t *self);

//  The agent started an attempt (task.ack) / reported its outcome (task.result) / bid
//  (task.bid): the agents socket's handlers. A message about an attempt not expected
//  from that agent is dropped (a result is counted late).
void zs_dispatch_ack(zs_dispatch_t *self, zs_agent_t *agent, const zs_msg_t *msg);
void zs_dispatch_result(zs_dispatch_t *self, zs_agent_t *agent, const zs_msg_t *msg);
void zs_dispatch_bid(zs_dispatch_t *self, zs_agent_t *agent, const zs_msg_t *msg);

//  task.progress from agent: kept as the task's latest progress and published as a
//  task.progress event (with its streamed text, which is not kept). Dropped unless it
//  is about the attempt expected from that agent.
void zs_dispatch_progress(zs_dispatch_t *self, zs_agent_t *agent, const zs_msg_t *msg);

//  An attempt failed (its outcome recorded in the task): queue it again while attempts
//  are left, else it is dead.
void zs_dispatch_failed(zs_dispatch_t *self, zs_task_t *task);

//  Take a task off its agent and fail the attempt with status and why.
void zs_dispatch_abort(zs_dispatch_t *self,
                       zs_task_t *task,
                       const char *status,
                       const char *why);

//  Cancel a task that is not final, for why: it leaves its queue or agent (which is
//  told), and ends cancelled. The task may be freed on return.
void zs_dispatch_cancel(zs_dispatch_t *self, zs_task_t *task, const char *why);

//  Cancel task, which is not final, because its parent ended (PROTOCOL.md §7.4). The
//  task may be freed on return.
void zs_dispatch_cancel_orphan(zs_dispatch_t *self, zs_task_t *task);

//  Cancel the unfinished children of task, which is final (PROTOCOL.md §7.4); theirs
//  follow as each ends.
void zs_dispatch_cancel_children(zs_dispatch_t *self, const zs_task_t *task);

//  An agent is lost (its session ended): it gets nothing more, and each of its attempts
//  fails with reason.
void zs_dispatch_lost(zs_dispatch_t *self, zs_agent_t *agent, const char *reason);

//  Every heartbeat: attempts past their deadline fail as timed out (their agents told
//  to cancel), agents that answered "busy" may take work again, stale queues go.
void zs_dispatch_tick(zs_dispatch_t *self);

//  The task whose attempt agent's message names, if it is the one expected from it.
zs_task_t *
zs_dispatch_expected(zs_dispatch_t *self, zs_agent_t *agent, const zs_msg_t *msg);

//  Tasks running on agents now.
size_t zs_dispatch_running(zs_dispatch_t *self);

#endif
