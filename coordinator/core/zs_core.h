//  zs_core - what every part of the coordinator needs, and nothing more
//
//  The parts of the coordinator (the task table, the journal's glue, dispatch, graphs,
//  teams, votes, nodes) never touch a socket, a zloop or the clock: they send, reply,
//  publish and set timers through the io table here, so that a test can run them in
//  process and read what they said (tests/unit/zs_test_core.h). The core also holds
//  what they all read or count: the swarm file, the phase of the swarm's life, the
//  counters of tasks since start, and a task's way to its final state.
//
//  Two events cross from a lower part to those above it: a task accepted (the journal
//  records it) and a task ended (the journal, its waiters, its dependants, its team and
//  the kept results). The parts that cause them call zs_core_accepted and
//  zs_core_ended; the coordinator, which knows every part, sets the hooks that pass
//  them on, so no part depends on one above it.

#ifndef ZS_CORE_H
#define ZS_CORE_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker/zs_broker.h"
#include "coordinator/sched/zs_task.h"
#include "coordinator/swarm/zs_swarm.h"

//  The life of a swarm
typedef enum {
    ZS_CORE_SERVING,   //  normal operation
    ZS_CORE_DRAINING,  //  no new tasks; running ones may finish
    ZS_CORE_STOPPING,  //  agents told to stop; waiting for them to exit
    ZS_CORE_DONE,      //  the loop is to end
} zs_core_phase_t;

//  What happened to tasks since start
typedef struct {
    uint64_t submitted;  //  tasks accepted
    uint64_t completed;  //  tasks completed
    uint64_t dead;       //  tasks failed for good
    uint64_t cancelled;  //  tasks cancelled
    uint64_t late;       //  results dropped: attempt no longer expected
    uint64_t forbidden;  //  messages and hand-offs the topology refused
} zs_core_counts_t;

//  The outputs, clock and timers: zs_coord's sockets and zloop, or a test's fakes. Each
//  gets the table's ctx. Messages are borrowed for the call (publish writes its seq).
typedef struct {
    //  Send to an agent's or a node's session; 0, or -1 when it could not be queued
    int (*send)(void *ctx, zs_peer_t *peer, const zs_msg_t *msg);
    //  Answer a control client
    void (*reply)(void *ctx, const zs_client_ref_t *client, const zs_msg_t *msg);
    //  Publish an event
    void (*publish)(void *ctx, zs_msg_t *msg);
    //  Let the control replies held for the journal go (zs_durable_sync)
    void (*release)(void *ctx);
    //  The monotonic clock, ms; and the wall clock, ms since the Unix epoch
    int64_t (*now)(void *ctx);
    int64_t (*wall)(void *ctx);
    //  Call fn (loop NULL in tests) with arg once, delay_ms from now; returns its id.
    //  Ending a timer that fired, or a timer of -1, is harmless
    int (*timer)(void *ctx, size_t delay_ms, zloop_timer_fn *fn, void *arg);
    void (*timer_end)(void *ctx, int timer_id);
} zs_core_io_t;

//  Set by the coordinator: what a task's acceptance and end set off above the part
//  that caused them
typedef struct {
    void (*accepted)(void *ctx, zs_task_t *task);  //  a task joined the table
    void (*ended)(void *ctx, zs_task_t *task);     //  a task reached a final state
    void (*settle)(void *ctx);  //  work done outside a batch of messages (a timer) ends
                                //  as a batch does: dispatch, then make it durable
} zs_core_hooks_t;

//  Who sent a request both sockets take (mem.*, vote.*): a control client or an agent
typedef struct {
    const zs_client_ref_t *client;  //  borrowed, or NULL
    zs_peer_t *peer;                //  the agent's session, borrowed, or NULL
} zs_core_asker_t;

typedef struct {
    const zs_swarm_t *swarm;  //  borrowed
    const zs_core_io_t *io;   //  borrowed
    void *io_ctx;             //  its context, borrowed
    zs_core_hooks_t hooks;    //  the coordinator's
    void *hooks_ctx;          //  their context, borrowed
    zs_core_phase_t phase;    //  where the swarm is in its life
    zs_core_counts_t counts;  //  since start
    int64_t started_ms;       //  the monotonic clock at start
} zs_core_t;

//  Start a core over swarm and io (both borrowed, io_ctx passed to io's calls).
void zs_core_init(zs_core_t *self,
                  const zs_swarm_t *swarm,
                  const zs_core_io_t *io,
                  void *io_ctx);

//  Set the hooks (copied); ctx is passed to them.
void zs_core_set_hooks(zs_core_t *self, const zs_core_hooks_t *hooks, void *ctx);

//  True while the swarm serves: no stop has begun.
bool zs_core_serving(const zs_core_t *self);

//  Send msg (borrowed) to a session. Returns 0, or -1 when it could not be queued (the
//  peer is gone or its queue full: the message is lost, and the broker counts it).
int zs_core_send(zs_core_t *self, zs_peer_t *peer, const zs_msg_t *msg);

//  Send an error (code, why, and task when not NULL) to a session.
void zs_core_send_error(zs_core_t *self,
                        zs_peer_t *peer,
                        const zs_error_t *err,
                        const char *task);

//  Answer a control client with msg (borrowed), or with err and rid.
void zs_core_reply(zs_core_t *self, const zs_client_ref_t *client, const zs_msg_t *msg);
void zs_core_refuse_client(zs_core_t *self,
                           const zs_client_ref_t *client,
                           uint64_t rid,
                           const zs_error_t *err);

//  Answer whoever asked with reply (its rid set here), or with err.
void zs_core_answer(zs_core_t *self,
                    const zs_core_asker_t *asker,
                    zs_msg_t *reply,
                    uint64_t rid);
void zs_core_refuse(zs_core_t *self,
                    const zs_core_asker_t *asker,
                    const zs_error_t *err,
                    uint64_t rid);

//  Publish msg (borrowed; its seq is written) as an event.
void zs_core_publish(zs_core_t *self, zs_msg_t *msg);

//  Publish the event of a task's current state, with why (may be NULL).
void zs_core_publish_task(zs_core_t *self, const zs_task_t *task, const char *why);

//  Let the replies held for the journal go.
void zs_core_release(zs_core_t *self);

//  The monotonic clock and the wall clock, ms.
int64_t zs_core_now(zs_core_t *self);
int64_t zs_core_wall(zs_core_t *self);

//  Call fn with arg once, delay_ms from now; returns the timer's id for
//  zs_core_timer_end. fn returns 0 (or -1 to end the loop, as zloop's timers do).
int zs_core_timer(zs_core_t *self, size_t delay_ms, zloop_timer_fn *fn, void *arg);
void zs_core_timer_end(zs_core_t *self, int timer_id);

//  Work done outside a batch of messages (a timer's) is over: settle it as a batch.
void zs_core_settle(zs_core_t *self);

//  A task joined the table: count it and tell the hook.
void zs_core_accepted(zs_core_t *self, zs_task_t *task);

//  A task reached its final state (already applied): count it, stamp when, and tell
//  the hook, which may free the task (with no results kept): do not use it after.
void zs_core_ended(zs_core_t *self, zs_task_t *task);

#endif
