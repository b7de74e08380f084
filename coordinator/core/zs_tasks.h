//  zs_tasks - the coordinator's task table: every task it holds, the clients waiting
//  for them, the final ones kept for wait and task, and the bytes they hold
//
//  The table owns every task from its acceptance until it is forgotten: an unfinished
//  task stays; a final one is kept in the order tasks ended, and the oldest is evicted
//  beyond tasks.keep_results, tasks.keep_results_bytes or keep_results_s. Ids are the
//  client's or made here: the run's random nonce and the submit order, so a restarted
//  coordinator never makes an id it made before.
//
//  Bytes (docs/swarm-file.md, "Memory bounds"): two counts of zs_task_bytes, changed only
//  here. queued holds the bytes of unfinished tasks (payloads, an aggregate's parts, a
//  failed attempt's output awaiting the retry, their lists), results those of the kept
//  final tasks. A task's held says what it was counted for, so a change is counted as a
//  difference and a task leaves its count whole. What enters from outside (a client's
//  submit, a workflow step) is refused when it would take the queued bytes past
//  tasks.max_queue_bytes (zs_tasks_check); what accepted work adds is counted but never
//  refused, as that would fail work accepted already: it makes new submits wait. The one
//  exception is the output of a failed attempt, which past the bound is not kept for the
//  retry (zs_tasks_failed).

#ifndef ZS_TASKS_H
#define ZS_TASKS_H

#include "coordinator/core/zs_core.h"

#define ZS_TASKS_WAITERS_MAX 64  //  clients and agents waiting on one task

typedef struct {
    zs_core_t *core;    //  borrowed
    zhashx_t *table;    //  id -> zs_task_t *, owns the tasks
    zs_list_t kept;     //  final tasks kept, oldest first (by task->link)
    size_t unfinished;  //  tasks not final
    uint64_t order;     //  submit order of the newest task
    uint32_t nonce;     //  random per run, prefix of made-up ids
    size_t queued;      //  bytes held by unfinished tasks
    size_t results;     //  bytes held by kept final tasks
} zs_tasks_t;

//  Start an empty table over core (borrowed).
void zs_tasks_init(zs_tasks_t *self, zs_core_t *core);

//  Free every task; clients still waiting get nothing (answer them first with
//  zs_tasks_fail_waiters).
void zs_tasks_fini(zs_tasks_t *self);

//  The task with that id, borrowed, or NULL.
zs_task_t *zs_tasks_find(zs_tasks_t *self, const char *id);

//  Iterate over every task, in no order: first/next return NULL at the end. Do not add
//  or remove tasks while iterating.
zs_task_t *zs_tasks_first(zs_tasks_t *self);
zs_task_t *zs_tasks_next(zs_tasks_t *self);

//  The oldest kept final task, borrowed, or NULL.
zs_task_t *zs_tasks_oldest_kept(zs_tasks_t *self);

//  The unfinished tasks that make (the durable ones, or all), in submit order, as an
//  owned array of *count_p borrowed tasks; the caller frees the array.
typedef enum {
    ZS_TASKS_ALL,      //  every unfinished task
    ZS_TASKS_DURABLE,  //  not a lead's delegated work, which is never journaled
} zs_tasks_which_t;
zs_task_t **
zs_tasks_unfinished(zs_tasks_t *self, zs_tasks_which_t which, size_t *count_p);

//  Make a new id for a client's task that named none (into id, size bytes).
void zs_tasks_new_id(zs_tasks_t *self, char *id, size_t size);

//  Room for count more tasks holding bytes: 0, or -1 with err (ZS_ERR_QUEUE_FULL, the
//  bound and its key in the text).
int zs_tasks_check(zs_tasks_t *self, size_t count, size_t bytes, zs_error_t *err);

//  The bytes the tasks of a submit (borrowed) will hold, a ring's stages included.
size_t zs_tasks_measure(zs_tasks_t *self, const zs_msg_t *msg);

//  The submit order of the next task made: every task made gets one, in order.
uint64_t zs_tasks_next_order(zs_tasks_t *self);

//  Make a task of a submit (borrowed) under id, with its timeout and tries resolved,
//  and adopt it. Returns it, owned by the table; it is not started.
zs_task_t *zs_tasks_accept(
    zs_tasks_t *self, const zs_msg_t *msg, const char *id, unsigned tmo, unsigned tries);

//  Take task (its id free in the table) into the table: routed to its team's lead when
//  its type is a team's, counted, and told to the accepted hook (the journal).
void zs_tasks_adopt(zs_tasks_t *self, zs_task_t *task);

//  Take a task rebuilt from the journal into the table: unfinished ones are counted, but
//  neither the submit counter nor the hook hears of it. A final one is kept.
void zs_tasks_restore(zs_tasks_t *self, zs_task_t *task);

//  An unfinished task's bytes changed (its parts, a new attempt): count them again.
void zs_tasks_charge(zs_tasks_t *self, zs_task_t *task);

//  An attempt failed with output the task now holds: count it, dropping the output
//  when a retry would keep it past tasks.max_queue_bytes.
void zs_tasks_failed(zs_tasks_t *self, zs_task_t *task);

//  A task became final: it counts as unfinished no more. Call before the hooks that
//  read the count.
void zs_tasks_ended(zs_tasks_t *self, zs_task_t *task);

//  Keep a final task for wait and task (its input dropped), evicting the oldest beyond
//  the bounds: the task itself may be freed at once.
void zs_tasks_keep(zs_tasks_t *self, zs_task_t *task);

//  Drop a kept final task (evicted, its id reused, or its work submitted again).
void zs_tasks_forget(zs_tasks_t *self, zs_task_t *task);

//  Forget kept final tasks that ended more than keep_results_s ago.
void zs_tasks_evict_aged(zs_tasks_t *self);

//  True when one more client may wait on task (ZS_TASKS_WAITERS_MAX).
bool zs_tasks_can_wait(const zs_task_t *task);

//  Answer asker (rid; a client, or an agent's session) with wait.ok once task ends: now
//  if it is final. A lender, when not NULL, is the asking agent's running task whose
//  slot the wait lends until it is answered (zs_agent_task_lend). Returns 0, or -1 when
//  the task has too many waiters (nothing sent, nothing lent).
int zs_tasks_wait(zs_tasks_t *self,
                  zs_task_t *task,
                  const zs_core_asker_t *asker,
                  uint64_t rid,
                  zs_task_t *lender);

//  Forget every wait of an agent's session, which ends: nothing is sent.
void zs_tasks_drop_peer(zs_tasks_t *self, const zs_peer_t *peer);

//  Answer every client waiting on task, which is final, with wait.ok.
void zs_tasks_answer(zs_tasks_t *self, zs_task_t *task);

//  Answer every waiting client with error SHUTTING_DOWN: the swarm stops first.
void zs_tasks_fail_waiters(zs_tasks_t *self);

//  After a replay: warn when the journal's tasks pass the bounds, which refuse every
//  submit until they drain.
void zs_tasks_replayed(zs_tasks_t *self);

#endif
