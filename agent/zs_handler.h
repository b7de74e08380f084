//  zs_handler - the interface between the agent runtime and the code that runs tasks
//
//  A handler runs attempts of tasks ("jobs") inside the agent's zloop and never blocks
//  it. The runtime knows a handler only through its ops table: it starts a job from a
//  task.assign, may cancel it, asks how many are running, hands it reaped children, and
//  kills everything on shutdown. The handler reports back through a sink: `started` when
//  an attempt that does not finish at once is under way (the runtime sends task.ack),
//  and `finished` exactly once per started job, possibly before `start` returns (the
//  runtime sends task.result); a running job may send other messages of its own
//  (task.progress, requests with a rid of the handler's choosing), and the replies to
//  them come back through `recv`. Handlers find their jobs by key (task and attempt, pid,
//  fd or timer id), never through a pointer a zloop callback carries, so a callback that
//  zloop delivers late for a job that already ended finds nothing and does nothing.

#ifndef ZS_HANDLER_H
#define ZS_HANDLER_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/zs_msg.h"

//  Where a handler reports its jobs. Every callback gets `owner` back.
typedef struct {
    void *owner;  //  borrowed: the runtime, or a test
    //  A job that did not finish at once started (task borrowed for the call)
    void (*started)(void *owner, const char *task, uint64_t att);
    //  A job ended; result is a task.result, borrowed for the call
    void (*finished)(void *owner, const zs_msg_t *result);
    //  Send msg (borrowed for the call) to the coordinator; dropped while the session
    //  is down, like everything an agent sends then
    void (*send)(void *owner, const zs_msg_t *msg);
} zs_handler_sink_t;

//  What a handler returns from cancel when it has no such job.
typedef enum {
    ZS_HANDLER_E_NO_JOB = 1,  //  no running job with that task and attempt
} zs_handler_code_t;

//  A handler's operations; the runtime dispatches through a table of these.
typedef struct {
    const char *name;  //  the name welcome.handler uses ("builtin", "exec")
    //  Create an instance running jobs in loop; sink is copied. Never NULL.
    void *(*instance_new)(zloop_t *loop, const zs_handler_sink_t *sink);
    //  Kill every job without reporting it, free the instance, set *self_p = NULL
    void (*instance_destroy)(void **self_p);
    //  Adopt the session's settings (exec: welcome.argv); NULL when there are none
    void (*configure)(void *self, const zs_msg_t *welcome);
    //  Run one attempt; `finished` follows exactly once (maybe before this returns)
    void (*start)(void *self, const zs_msg_t *assign);
    //  Stop an attempt; 0 when found (`finished` follows), else ZS_HANDLER_E_NO_JOB
    int (*cancel)(void *self, const char *task, uint64_t att);
    //  Jobs started and not yet finished
    size_t (*running)(void *self);
    //  A child was reaped; true when it was one of this handler's. NULL if none spawn
    bool (*reaped)(void *self, pid_t pid, int status);
    //  Kill every job now without reporting it (shutdown)
    void (*kill_all)(void *self);
    //  A message from the coordinator for the handler's jobs: a reply carrying a rid
    //  (mem.get.ok, submit.ok, error, ...), or a neighbour's `msg` (exec keeps it for
    //  its tasks). NULL when the handler sends no requests
    void (*recv)(void *self, const zs_msg_t *msg);
} zs_handler_ops_t;

#endif
