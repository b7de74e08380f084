//  zs_graph - task graphs: dependencies, fan-out and fan-in (PROTOCOL.md §7.1, §7.2),
//  and the swarm file's workflow
//
//  A task with deps is pending; each of its dependencies keeps a link to it, by id and
//  submit order rather than by pointer, since a waiting task can be cancelled and freed
//  first: a stale link is skipped. A fan-out is N item tasks ID.1 .. ID.N and an
//  aggregate ID that depends on all of them and collects each item's stdout as it
//  completes, joined in item order into its payload once every item completed. A
//  dependency that ends dead or cancelled dooms its dependants, which end dead.

#ifndef ZS_GRAPH_H
#define ZS_GRAPH_H

#include "coordinator/flow/zs_dispatch.h"

typedef struct {
    zs_core_t *core;           //  borrowed
    zs_tasks_t *tasks;         //  borrowed
    zs_dispatch_t *dispatch;   //  where released tasks go, borrowed
    zlistx_t *doomed;          //  dependants to end as dead, in order, owned
    bool dooming;              //  doomed is being drained
    zhashx_t *replay_results;  //  during a replay: id -> zchunk_t * of items' results
                               //  no longer kept, borrowed; NULL otherwise
} zs_graph_t;

//  Start with no graph, over core, tasks and dispatch (borrowed).
void zs_graph_init(zs_graph_t *self,
                   zs_core_t *core,
                   zs_tasks_t *tasks,
                   zs_dispatch_t *dispatch);
void zs_graph_fini(zs_graph_t *self);

//  May a submit's deps, items and agg make tasks under id? 0, or -1 with err
//  (ZS_ERR_NO_TASK for a dependency that does not exist, else ZS_ERR_INVALID).
int
zs_graph_check(zs_graph_t *self, const zs_msg_t *msg, const char *id, zs_error_t *err);

//  Tasks a submit makes: 1, or its items and an aggregate.
size_t zs_graph_size(const zs_msg_t *msg);

//  Accept a fan-out (checked): its items ID.1 .. ID.N, then its aggregate ID, which is
//  returned; none is started.
zs_task_t *zs_graph_fan_out(
    zs_graph_t *self, const zs_msg_t *msg, const char *id, unsigned tmo, unsigned tries);

//  Start an accepted task: queue a ready one and dispatch its type, link a pending one
//  to its dependencies (zs_graph_settle then ends any that cannot run).
void zs_graph_start(zs_graph_t *self, zs_task_t *task);

//  Start a fan-out's items ID.1 .. ID.count (after its aggregate).
void zs_graph_start_items(zs_graph_t *self, const char *id, size_t count);

//  Link a pending task to its dependencies: it waits for the unfinished ones, takes the
//  completed ones (an aggregate, their results) and is doomed by a failed one; it is
//  released at once when none is left.
void zs_graph_link(zs_graph_t *self, zs_task_t *task);

//  A task reached its final state: its dependants count down, or are doomed. Call
//  before the task may be evicted.
void zs_graph_final(zs_graph_t *self, zs_task_t *task);

//  End every doomed task as dead (after linking).
void zs_graph_settle(zs_graph_t *self);

//  Submit the swarm file's workflow steps that are not known yet (from the journal),
//  in order; a step the bounds refuse is skipped with the steps that depend on it.
void zs_graph_workflow(zs_graph_t *self);

//  While a replay links its tasks: the results of items no longer kept, by id
//  (borrowed; NULL when the replay is over).
void zs_graph_set_replayed(zs_graph_t *self, zhashx_t *results);

#endif
