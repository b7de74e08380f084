//  zs_spawn - the local agent processes a coordinator starts and keeps running
//
//  Each agent type with a count gets that many slots, "<type>-1" ... "<type>-N"; a slot
//  holds one zswarm-agent process, started with its slot's id so that a restarted agent
//  comes back under the same name. A process that exits is restarted after a backoff
//  that doubles with each quick failure (ZS_SPAWN_BACKOFF_MIN_MS .. _MAX_MS) and resets
//  once the process has stayed up for ZS_SPAWN_STABLE_MS. Children are reaped from the
//  loop on SIGCHLD (zs_spawn_reap); none is ever left a zombie. Agents run in their own
//  process group, so a Ctrl-C meant for zswarmd does not reach them: zswarmd stops them
//  itself, in order.

#ifndef ZS_SPAWN_H
#define ZS_SPAWN_H

#include <czmq.h>
#include <stdbool.h>
#include <sys/types.h>

#include "zs_util.h"

#define ZS_SPAWN_BACKOFF_MIN_MS 100    //  first restart delay
#define ZS_SPAWN_BACKOFF_MAX_MS 5000   //  longest restart delay
#define ZS_SPAWN_STABLE_MS      10000  //  uptime after which a crash counts as the first

typedef struct zs_spawn_t zs_spawn_t;

//  Told when a child process ended: its slot's agent id, pid and zs_proc_exit_code.
typedef void(zs_spawn_exit_fn)(void *ctx, const char *agent_id, pid_t pid, int exit_code);

//  Create a supervisor that starts `agent_exe --connect ENDPOINT ...` on loop
//  (borrowed). exe and endpoint are copied.
zs_spawn_t *zs_spawn_new(zloop_t *loop,
                         const char *agent_exe,
                         const char *endpoint,
                         zs_spawn_exit_fn *on_exit,
                         void *ctx);

//  Free the supervisor and set *self_p to NULL. Children still running are killed
//  (SIGKILL) and reaped first, so none outlives it.
void zs_spawn_destroy(zs_spawn_t **self_p);

//  Add count slots for type and start their processes. Returns 0, or -1 with err filled
//  when a process cannot be started at all (fork fails).
int zs_spawn_add(zs_spawn_t *self, const char *type, unsigned count, zs_error_t *err);

//  Reap every child that exited; schedule restarts unless stopping.
void zs_spawn_reap(zs_spawn_t *self);

//  Stop restarting and send SIGTERM to every running child.
void zs_spawn_stop(zs_spawn_t *self);

//  Send SIGKILL to every running child (after zs_spawn_stop took too long).
void zs_spawn_kill(zs_spawn_t *self);

//  Number of child processes not yet reaped.
size_t zs_spawn_running(zs_spawn_t *self);

//  True when agent id runs in one of our slots with that pid.
bool zs_spawn_owns(zs_spawn_t *self, const char *agent_id, uint64_t pid);

#endif
