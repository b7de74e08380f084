//  zs_builtin - the builtin handler: tasks the agent runs in-process
//
//  The task type names the builtin: echo (stdout = payload), noop (ok, empty), fail
//  (status fail, why = payload or "failed on request") and sleep (payload = decimal
//  milliseconds). All but sleep finish inside zs_builtin_start, with no task.ack and
//  no heap allocation, because they are the agent's fast path. A sleep is a zloop
//  timer: it reports `started`, then `finished` when the timer fires or it is
//  cancelled.

#ifndef ZS_BUILTIN_H
#define ZS_BUILTIN_H

#include "agent/zs_handler.h"

#define ZS_BUILTIN_SLEEP_MAX ZS_MSG_TMO_MAX  //  longest sleep, ms (a day)

typedef struct _zs_builtin_t zs_builtin_t;

//  Create a builtin handler using loop (borrowed) for sleeps and reporting to sink
//  (copied). Never returns NULL.
zs_builtin_t *zs_builtin_new(zloop_t *loop, const zs_handler_sink_t *sink);

//  Stop every sleep without reporting it, free the handler, set *self_p to NULL.
//  Accepts NULL.
void zs_builtin_destroy(zs_builtin_t **self_p);

//  Run one attempt of assign (a task.assign, borrowed for the call). An unknown task
//  type or a bad sleep payload finishes at once with status fail.
void zs_builtin_start(zs_builtin_t *self, const zs_msg_t *assign);

//  Cancel a sleeping attempt; `finished` follows at once with status "cancelled".
//  Returns 0, or ZS_HANDLER_E_NO_JOB.
int zs_builtin_cancel(zs_builtin_t *self, const char *task, uint64_t att);

//  Sleeps started and not yet finished.
size_t zs_builtin_running(zs_builtin_t *self);

//  Stop every sleep without reporting it.
void zs_builtin_kill_all(zs_builtin_t *self);

//  The builtin handler for the runtime's handler table.
extern const zs_handler_ops_t zs_builtin_ops;

#endif
