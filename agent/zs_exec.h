//  zs_exec - the exec handler: one child process per task attempt
//
//  Each job runs the session's argv (from welcome) in its own process group with the
//  payload on stdin, and captures stdout and stderr up to ZS_MSG_OUTPUT_MAX bytes each
//  (the rest is read and discarded, and the result's why says so). Every pipe is polled
//  in the zloop; nothing blocks. A job ends when its leader was reaped and both output
//  pipes reached EOF; a leader whose pipes are held open by a straggler gets
//  ZS_EXEC_GRACE_MS, then the group is killed. Whatever the ending, the group is sent
//  SIGKILL so no process of the job outlives it (short of one that left the group).
//  Each job also gets a channel to the agent (zs_chan: ZSWARM_TASK_FD and the
//  variables that name the attempt) and its inputs and checkpoint as files
//  (zs_taskfiles); both are closed and removed when it ends, before it is reported.
//
//  The module does not reap: its owner waits for children (SIGCHLD) and hands each
//  status to zs_exec_reaped. That keeps one waitpid loop per program, and lets tests
//  drive the module with a zloop and no coordinator.

#ifndef ZS_EXEC_H
#define ZS_EXEC_H

#include "agent/zs_handler.h"

#define ZS_EXEC_GRACE_MS 100  //  how long pipes may stay open after the leader exited

typedef struct _zs_exec_t zs_exec_t;

//  Create an exec handler running its jobs in loop (borrowed) and reporting to sink
//  (copied). It has no command until zs_exec_set_argv. Never returns NULL.
zs_exec_t *zs_exec_new(zloop_t *loop, const zs_handler_sink_t *sink);

//  Kill and reap every running job without reporting it, free the handler, set
//  *self_p to NULL. Accepts NULL.
void zs_exec_destroy(zs_exec_t **self_p);

//  Set the command later jobs run: argc strings, copied. Running jobs are unaffected.
void zs_exec_set_argv(zs_exec_t *self, const char *const *argv, size_t argc);

//  Start one attempt of assign (a task.assign, borrowed for the call): spawn, then
//  report `started`. Reports `finished` with status fail at once when there is no
//  command or the spawn fails.
void zs_exec_start(zs_exec_t *self, const zs_msg_t *assign);

//  Cancel an attempt: kill its process group; `finished` follows with status
//  "cancelled" once the group is gone. Returns 0, or ZS_HANDLER_E_NO_JOB.
int zs_exec_cancel(zs_exec_t *self, const char *task, uint64_t att);

//  Hand over the waitpid status of a reaped child. Returns true when pid led one of
//  this handler's jobs; the job may finish (and report) before this returns.
bool zs_exec_reaped(zs_exec_t *self, pid_t pid, int status);

//  Jobs that hold a slot: started and not finished, less those already killed for a
//  cancel or a timeout that only wait to be reaped, and those that lend their slot
//  while they wait for their subtasks (zs_chan_lending).
size_t zs_exec_running(zs_exec_t *self);

//  Process id of an attempt's leader, which is also its process group id, or -1.
pid_t zs_exec_pid(zs_exec_t *self, const char *task, uint64_t att);

//  Kill every job's process group, reap the leaders and drop the jobs unreported.
void zs_exec_kill_all(zs_exec_t *self);

//  The exec handler for the runtime's handler table.
extern const zs_handler_ops_t zs_exec_ops;

#endif
