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

#include "zs_msg.h"

typedef enum {
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
    ZS_TASK_GIVE_UP,  //  failed -> dead
    ZS_TASK_CANCEL,   //  ready|assigned|running -> cancelled
    ZS_TASK_EVENT_COUNT
} zs_task_event_t;

typedef struct zs_task_t zs_task_t;

//  Outcome of the last attempt, as its agent reported it.
typedef struct {
    char *status;     //  ok | fail | timeout | cancelled, owned, or NULL
    int64_t exit;     //  exit code, or -N for signal N
    uint8_t *out;     //  stdout, owned
    size_t out_size;  //  its length
    uint8_t *err;     //  stderr, owned
    size_t err_size;  //  its length
    char *why;        //  reason, owned, or NULL
} zs_task_result_t;

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
    void *agent;                   //  agent running it, borrowed; NULL when not
    char *agent_id;                //  id of the agent of the last attempt, owned
    int64_t deadline_ms;           //  when the running attempt is overdue
    zs_task_result_t result;       //  last attempt's outcome
    int64_t ended_ms;              //  when it became final, zs_clock_wall_ms, or 0
    size_t heap_index;             //  position in a ready queue, or SIZE_MAX
    zs_task_t *prev, *next;        //  links in the list that holds it (agent, done)
    void *waiters;                 //  coordinator's list of waiting clients, or NULL
};

//  Create a ready task from a submit message (borrowed). Caller owns the task.
zs_task_t *zs_task_new(const char *id,
                       const zs_msg_t *submit,
                       unsigned tmo_ms,
                       unsigned tries,
                       uint64_t order);

//  Free a task and set *self_p to NULL. Accepts NULL. Waiters must be gone already.
void zs_task_destroy(zs_task_t **self_p);

//  Apply an event. Returns 0 with the state changed, or -1 if the table has no
//  transition for (state, event); the state is then unchanged.
int zs_task_apply(zs_task_t *self, zs_task_event_t event);

//  True in completed, dead and cancelled.
bool zs_task_is_final(const zs_task_t *self);

//  Replace the last attempt's outcome with what a task.result (borrowed) says.
void zs_task_set_result(zs_task_t *self, const zs_msg_t *result);

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

//  True when id is 1..ZS_MSG_NAME_MAX characters of [A-Za-z0-9._:-].
bool zs_task_id_valid(const char *id);

#endif
