//  zs_coord - the coordinator: one swarm, one event loop, every decision about tasks
//
//  zs_coord ties the pieces together: the broker's sockets, the registry of agents, the
//  scheduler's queues, the supervisor of local agent processes, and the task table. It
//  runs one zloop and nothing in it blocks; signals arrive through a signalfd.
//
//  Life of a swarm: zs_coord_new binds the sockets and starts the local agents;
//  zs_coord_run serves until SIGTERM/SIGINT or a shutdown request, then drains (no new
//  tasks, running ones may finish for ZS_COORD_DRAIN_MS; a second signal skips that),
//  stops its agents, reaps them and returns.

#ifndef ZS_COORD_H
#define ZS_COORD_H

#include <stdio.h>

#include "coordinator/store/zs_journal.h"
#include "coordinator/swarm/zs_swarm.h"

#define ZS_COORD_DRAIN_MS 5000  //  longest wait for running tasks when stopping
#define ZS_COORD_KILL_MS  3000  //  longest wait for agents to exit before SIGKILL

typedef struct zs_coord_t zs_coord_t;

//  Bind the swarm's sockets, replay its journal and start its local agents, running
//  agent_exe (copied). swarm is borrowed and must outlive the coordinator. signal_fd
//  comes from zs_proc_signals_take. damage says what to do with a journal whose valid
//  records follow damage (zs_journal_open). Returns NULL with err filled when a socket
//  cannot be bound, the journal cannot be opened or an agent cannot be started.
zs_coord_t *zs_coord_new(const zs_swarm_t *swarm,
                         const char *agent_exe,
                         int signal_fd,
                         zs_journal_damage_t damage,
                         zs_error_t *err);

//  Stop everything still running (agents are killed and reaped) and free.
void zs_coord_destroy(zs_coord_t **self_p);

//  Write the bound endpoints as one line, "zswarmd ready agents=EP events=EP
//  control=EP", so scripts and tests learn ports chosen by '*'.
void zs_coord_print_ready(zs_coord_t *self, FILE *stream);

//  Serve until stopped, as above. Returns 0 after a clean stop, -1 if the loop failed.
int zs_coord_run(zs_coord_t *self);

#endif
