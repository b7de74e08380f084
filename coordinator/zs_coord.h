//  zs_coord - the coordinator: one swarm, one event loop, every decision about tasks
//
//  A zs_coord_t embeds its parts, each with its own state and header, in the order they
//  depend on each other (docs/design.md draws it): the core (outputs, clock, phase,
//  counts), the task table, the journal's glue, dispatch (agents and queues), task
//  graphs, teams (the topology at work), then the services the sockets reach (shared
//  memory, votes, nodes). It owns the loop, the broker's sockets and the local agents'
//  supervisor, and wires them to the parts: the core's io table sends through the
//  broker and sets zloop timers, the core's hooks pass a task's acceptance and end to
//  the parts above the one that caused them. The files of the coordinator proper serve
//  one family of requests each: the agents socket (zs_coord_agents), control requests
//  (zs_coord_control), submits (zs_coord_submit), and the journal's replay at start
//  (zs_coord_replay).
//
//  Life of a swarm: zs_coord_new binds the sockets, replays the journal and starts the
//  local agents; zs_coord_run serves until SIGTERM/SIGINT or a shutdown request, then
//  drains (no new tasks, running ones may finish for ZS_COORD_DRAIN_MS; a second signal
//  skips that), stops its agents, reaps them and returns.

#ifndef ZS_COORD_H
#define ZS_COORD_H

#include <stdio.h>

#include "broker/zs_broker.h"
#include "coordinator/core/zs_core.h"
#include "coordinator/core/zs_durable.h"
#include "coordinator/core/zs_tasks.h"
#include "coordinator/flow/zs_dispatch.h"
#include "coordinator/flow/zs_graph.h"
#include "coordinator/flow/zs_providers.h"
#include "coordinator/flow/zs_teams.h"
#include "coordinator/zs_coord_auth.h"
#include "coordinator/zs_coord_mem.h"
#include "coordinator/zs_coord_node.h"
#include "coordinator/zs_coord_pause.h"
#include "coordinator/zs_coord_vote.h"
#include "coordinator/zs_owners.h"
#include "supervisor/zs_spawn.h"

#define ZS_COORD_DRAIN_MS 5000  //  longest wait for running tasks when stopping
#define ZS_COORD_KILL_MS  3000  //  longest wait for agents to exit before SIGKILL

typedef struct zs_coord_t zs_coord_t;

struct zs_coord_t {
    zs_core_t core;              //  outputs, clock, phase, counts
    zs_tasks_t tasks;            //  every task, waiters, kept results
    zs_durable_t durable;        //  the journal
    zs_providers_t providers;    //  LLM providers' circuits, spending, budgets
    zs_dispatch_t dispatch;      //  agents, and where ready tasks wait
    zs_graph_t graph;            //  dependencies, fan-outs, the workflow
    zs_teams_t teams;            //  neighbours, teams, rings
    zs_coord_mem_t memory;       //  the shared memory
    zs_coord_votes_t votes;      //  votes
    zs_coord_nodes_t nodes;      //  node daemons
    zs_coord_pause_t pause;      //  paused agents and types
    zs_coord_auth_t auth;        //  CURVE keys and the local agents' certificate
    zs_owners_t *owners;         //  which key owns each agent id, owned
    zs_ratelimit_t hello_log;    //  limits logs of refused hellos
    unsigned remote_ids;         //  ids made for agents that named none
    const zs_swarm_t *swarm;     //  borrowed
    zloop_t *loop;               //  owned
    zs_broker_t *broker;         //  owned
    zs_spawn_t *spawn;           //  the local agents' supervisor, owned
    int signal_fd;               //  signalfd, borrowed
    zmq_pollitem_t signal_item;  //  its poll item
    int tick_timer;              //  the heartbeat's housekeeping timer
    int64_t phase_deadline_ms;   //  when the current stop phase gives up
};

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

//  Begin the orderly stop: drain, stop agents, end the loop; a second call during the
//  drain skips it. why is logged and published.
void zs_coord_stop(zs_coord_t *self, const char *why);

//  Set up / free the parts alone, over io (borrowed; io_ctx passed to it), with no
//  socket, loop or agent process: zs_coord_new starts here, and tests drive the request
//  families (zs_coord_submit, zs_coord_control but status) over a recording io.
void zs_coord_parts_init(zs_coord_t *self,
                         const zs_swarm_t *swarm,
                         const zs_core_io_t *io,
                         void *io_ctx);
void zs_coord_parts_fini(zs_coord_t *self);

//  After a batch of work: give requeued tasks to agents, then make the batch durable.
void zs_coord_settle(zs_coord_t *self);

#endif
