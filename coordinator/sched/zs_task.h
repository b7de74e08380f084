//  zs_task - a task and its state machine
//
//  A task is what a client submitted: an id, a type (the capability it needs), a
//  payload, priority, a timeout per attempt and how many attempts it may take. Its state
//  changes only through zs_task_apply, which looks the (state, event) pair up in one
//  table: a pair the table does not list is refused, so no code path can, say, complete
//  a cancelled task. The coordinator owns tasks; queues and agents hold borrowed
//  pointers, and a task records where it is held so it can be taken out in O(1).

#ifndef ZS_TASK_H
#define ZS_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/zs_list.h"
#include "proto/zs_msg.h"
#include "proto/zs_strategy.h"

typedef enum {
    ZS_TASK_PENDING,    //  waiting for its dependencies to complete
    ZS_TASK_READY,      //  queued, waiting for an agent
    ZS_TASK_ASSIGNED,   //  sent to an agent
    ZS_TASK_RUNNING,    //  the agent said it started
    ZS_TASK_COMPLETED,  //  final: an attempt succeeded
    ZS_TASK_FAILED,     //  an attempt failed; next is ready or dead
    ZS_TASK_DEAD,       //  final: no attempts left
    ZS_TASK_CANCELLED,  //  final: cancelled by a client
    ZS_TASK_STATE_COUNT
} zs_task_state_t;

typedef enum {
    ZS_TASK_ASSIGN,   //  ready -> assigned
    ZS_TASK_START,    //  assigned -> running
    ZS_TASK_SUCCEED,  //  assigned|running -> completed
    ZS_TASK_FAIL,     //  assigned|running -> failed
    ZS_TASK_RETRY,    //  failed -> ready
    ZS_TASK_GIVE_UP,  //  failed|pending|ready -> dead (pending: a dependency failed;
                      //  ready: a budget it would spend from is spent)
    ZS_TASK_CANCEL,   //  pending|ready|assigned|running -> cancelled
    ZS_TASK_RELEASE,  //  pending -> ready: every dependency completed
    ZS_TASK_EVENT_COUNT
} zs_task_event_t;

typedef struct zs_task_t zs_task_t;
typedef struct zs_agent_t zs_agent_t;    //  zs_registry.h
typedef struct zs_waiter_t zs_waiter_t;  //  a client waiting for the task, coordinator/core/zs_tasks.c

//  A task waiting for this one. By id and submit order, never by pointer: the waiting
//  task may end (cancelled) and be freed first, and its id be used again; a link whose
//  id no longer names a pending task of that order is stale and skipped.
typedef struct {
    char id[ZS_MSG_NAME_MAX + 1];  //  the dependant's id
    uint64_t order;                //  its submit order
    size_t index;                  //  this task's place in its deps
} zs_task_link_t;

//  One collected result of a dependency: an aggregate's item, or an input
typedef struct {
    uint8_t *data;  //  owned, NULL when empty
    size_t size;    //  its length
    int64_t exit;   //  its exit code
    bool set;       //  the dependency completed and this is its result
} zs_task_part_t;

//  What a task knows of its dependencies and dependants (PROTOCOL.md §7.1, §7.2)
typedef struct {
    char **deps;                 //  ids it waits for, owned; NULL when none
    size_t dep_count;            //  items in deps
    size_t deps_left;            //  of them not completed yet
    zs_task_link_t *dependants;  //  tasks waiting for it, owned
    size_t dependant_count;      //  items used
    size_t dependant_alloc;      //  items allocated
    bool aggregate;              //  its payload is its dependencies' results, joined
    zs_task_part_t *parts;       //  collected results by dep (an aggregate's, or those of
                                 //  its inputs), owned; NULL when it collects none
    size_t parts_size;           //  their bytes together
    char **inputs;               //  ids whose results it takes, in order, owned; each
                                 //  is in deps too
    size_t input_count;          //  items in inputs
} zs_task_graph_t;

//  Where a task stands among subtasks (PROTOCOL.md §7.4)
typedef struct {
    char *parent;        //  the task that submitted it, owned, or NULL
    unsigned depth;      //  0 without a parent, else the parent's plus one
    char **children;     //  the tasks it submitted, in order, owned
    size_t child_count;  //  items in children
    size_t child_alloc;  //  items allocated
    unsigned lent;       //  waits of its running attempt that lend its agent's slot
} zs_task_family_t;

//  Which agents of a team may run a task (hierarchical topology; others are ANY)
typedef enum {
    ZS_ROUTE_ANY,     //  any capable agent
    ZS_ROUTE_LEAD,    //  a team's task: only its lead, which delegates it
    ZS_ROUTE_WORKER,  //  delegated by a lead: only a capable agent that does not lead
} zs_task_route_t;

//  Outcome of the last attempt, as its agent reported it.
typedef struct {
    char *status;     //  ok | fail | timeout | cancelled, owned, or NULL
    int64_t exit;     //  exit code, or -N for signal N
    uint8_t *out;     //  stdout, owned
    size_t out_size;  //  its length
    uint8_t *err;     //  stderr, owned
    size_t err_size;  //  its length
    char *why;        //  reason, owned, or NULL
    char *provider;   //  the LLM provider that answered, owned, or NULL
    uint64_t code;    //  the error code the coordinator ended it for (15), or 0
} zs_task_result_t;

//  The latest progress an agent reported for the running attempt
typedef struct {
    uint64_t pct;    //  0..100, 0 when not said
    char *note;      //  owned, or NULL
    uint64_t bytes;  //  bytes transferred so far
    uint64_t total;  //  bytes expected in all, 0 when unknown
    uint64_t rate;   //  bytes a second
} zs_task_progress_t;

struct zs_task_t {
    char id[ZS_MSG_NAME_MAX + 1];  //  task id
    char *ttype;                   //  task type, owned
    uint8_t *payload;              //  input, owned
    size_t payload_size;           //  its length
    int64_t pri;                   //  higher runs first
    uint64_t order;                //  submit order, breaks priority ties (FIFO)
    unsigned tmo_ms;               //  timeout of one attempt
    unsigned tries;                //  attempts allowed in all
    unsigned att;                  //  attempts started so far
    zs_task_state_t state;         //  where it is in its life
    zs_agent_t *agent;             //  agent running it, borrowed; NULL when not
    char *agent_id;                //  id of the agent of the last attempt, owned
    int64_t deadline_ms;           //  when the running attempt is overdue
    zs_task_result_t result;       //  last attempt's outcome
    zs_task_progress_t progress;   //  the running attempt's latest progress
    uint64_t tok_in;               //  LLM input tokens its calls spent, every attempt
    uint64_t tok_out;              //  LLM output tokens
    double usd;                    //  what they cost at the providers' prices
    int64_t ended_ms;              //  when it became final, zclock_time, or 0
    size_t heap_index;             //  position in a ready queue, or SIZE_MAX
    zs_link_t link;                //  on one list: its agent's, a backlog, or the kept
    zs_strategy_t strategy;        //  the submit's, or ZS_STRATEGY_DEFAULT (zs_sched)
    char **requires;               //  capabilities needed besides ttype, owned, or NULL
    size_t require_count;          //  items in requires
    char *target;                  //  the one agent that may run it (submit's), or NULL
    int64_t assigned_ms;           //  when the latest attempt was assigned, zclock_mono
    zs_agent_t *backlog;           //  agent whose backlog holds it, borrowed, or NULL
    zs_waiter_t *waiters;          //  clients waiting for it to end, owned, or NULL
    zs_task_graph_t graph;         //  dependencies and dependants
    zs_task_family_t family;       //  parent and children
    uint8_t *ckpt;                 //  its last checkpoint, owned, or NULL when none
    size_t ckpt_size;              //  its length
    zs_task_route_t route;         //  team members it may go to
    size_t list_bytes;             //  of its deps and requires, set when it is made
    size_t held;                   //  its bytes as the coordinator counted them last
};

//  Create a task from a submit message (borrowed): ready, or pending when it has
//  deps; an aggregate when it has agg but no items (the journal's form of one).
//  Caller owns the task.
zs_task_t *zs_task_new(const char *id,
                       const zs_msg_t *submit,
                       unsigned tmo_ms,
                       unsigned tries,
                       uint64_t order);

//  The deps a submit (borrowed) gives a task: its deps, then those of its inputs that
//  deps does not name. Returns an owned array of *count_p borrowed strings.
const char **zs_task_deps_of(const zs_msg_t *submit, size_t *count_p);

//  Free a task and set *self_p to NULL. Accepts NULL. Waiters must be gone already.
void zs_task_destroy(zs_task_t **self_p);

//  Apply an event. Returns 0 with the state changed, or -1 if the table has no
//  transition for (state, event); the state is then unchanged.
int zs_task_apply(zs_task_t *self, zs_task_event_t event);

//  True in completed, dead and cancelled.
bool zs_task_is_final(const zs_task_t *self);

//  Replace the last attempt's outcome with what a task.result (borrowed) says. Its
//  tokens are taken only when no provider.report counted any (an agent that reports no
//  calls); the journal's wait.ok gives them back the same way.
void zs_task_set_result(zs_task_t *self, const zs_msg_t *result);

//  Keep what task.progress (borrowed) says, over the attempt's earlier progress.
void zs_task_set_progress(zs_task_t *self, const zs_msg_t *progress);

//  Forget the attempt's progress: a new attempt starts, or the task ended.
void zs_task_clear_progress(zs_task_t *self);

//  Record an outcome the coordinator decided (agent lost, timeout): status and why.
void zs_task_set_outcome(zs_task_t *self, const char *status, const char *why);

//  State for a wire name; -1 when unknown.
int zs_task_state_from_name(const char *name);

//  Wire name of a state ("running").
const char *zs_task_state_name(zs_task_state_t state);

//  Event type announcing that state (ZS_MSG_EV_TASK_RUNNING for ZS_TASK_RUNNING).
zs_msg_type_t zs_task_state_event(zs_task_state_t state);

//  Fill a task.ok/wait.ok message (type set by the caller) with the task's fields,
//  borrowing its strings: valid while the task lives and is not changed.
void zs_task_describe(const zs_task_t *self, zs_msg_t *msg);

//  The task's deps as a message list, borrowed like zs_task_describe's fields.
zs_msg_list_t zs_task_deps(const zs_task_t *self);

//  Remember that dependant waits for this task, as its dependency number index.
void zs_task_add_dependant(zs_task_t *self, const zs_task_t *dependant, size_t index);

//  Keep a copy of the result (data, size, exit) of dependency number index, which the
//  task collects. Returns 0, or -1 when the results together would pass max bytes
//  (nothing kept).
int zs_task_add_part(zs_task_t *self,
                     size_t index,
                     const uint8_t *data,
                     size_t size,
                     int64_t exit,
                     size_t max);

//  True when the task keeps the result of dependency number index: an aggregate's item,
//  or one of its inputs.
bool zs_task_collects(const zs_task_t *self, size_t index);

//  The part collected for input number n (in the submit's order), or NULL when the
//  task has not collected it; *dep_p is set to the input's id.
const zs_task_part_t *zs_task_input(const zs_task_t *self, size_t n, const char **dep_p);

//  Keep data (size bytes, copied) as the task's checkpoint; none when size is 0.
void zs_task_set_checkpoint(zs_task_t *self, const uint8_t *data, size_t size);

//  Remember child (its id copied) as a task this one submitted, unless it is listed
//  already (a replay restores a parent's list and links its children too).
void zs_task_add_child(zs_task_t *self, const char *child);

//  Make an aggregate's payload of its parts, joined in dep order, and free them.
void zs_task_join_parts(zs_task_t *self);

//  Bytes the task holds that vary from task to task: its payload, an aggregate's
//  collected parts, the last attempt's stdout, stderr and reason, its deps and requires,
//  and the links it keeps to its dependants. Its fixed part (the struct, id, type,
//  agent and status, a few hundred bytes) is not counted: the count of tasks bounds it.
size_t zs_task_bytes(const zs_task_t *self);

//  The bytes zs_task_bytes will count for the tasks a submit (borrowed) makes, before
//  any runs: one task, or a fan-out's items and aggregate. Links to dependants are
//  counted with the dependant, and ids a submit does not hold (the items') at their
//  longest, so this may be a little more than the tasks will hold.
size_t zs_task_measure(const zs_msg_t *submit);

//  The same for an aggregate of count tasks that the coordinator makes itself (a ring
//  stage): its deps at their longest.
size_t zs_task_measure_aggregate(size_t count);

//  Free what only an unfinished task reads, its payload, parts and checkpoint: a
//  final task is read for its result alone (wait, task, the journal).
void zs_task_drop_input(zs_task_t *self);

//  Free the last attempt's stdout and stderr; its status, exit code and reason stay.
void zs_task_drop_output(zs_task_t *self);

//  The task whose link is link (on an agent, a backlog or the kept results).
#define zs_task_of(link_) zs_list_item(link_, zs_task_t, link)

//  True when id is 1..ZS_MSG_NAME_MAX characters of [A-Za-z0-9._:-].
bool zs_task_id_valid(const char *id);

#endif
