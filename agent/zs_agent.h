//  zs_agent - the agent runtime: one session with a coordinator, tasks run by handlers
//
//  An agent is a peer (zs_peer): one session with the coordinator (zs_session: hello
//  until welcomed, heartbeats, a new socket and hello when the session is lost) and one
//  zloop. It runs up to conc task attempts at once through the handler welcome names,
//  and sends task.ack and task.result as the handler reports. Running tasks carry on
//  while the session is lost, and their results go to whoever answers; a welcome into
//  a new session stops the attempts of the old one. An auction's task.offer gets a
//  task.bid when a slot is free: a price from the agent's load and its own estimate of
//  how long that task type runs, an average of its past runs (docs/scheduling.md).
//  The agent also follows the events addressed to agents (zs_listen) at the endpoint
//  of --events, else the welcome's: a broadcast for all agents or for its type is
//  logged (zs_agent.c's s_on_broadcast is where it arrives), and a pause or resume of
//  its id or type sets whether it is paused; when events were missed it asks
//  agent.sync for its state. Its heartbeats report its own CPU and memory (zs_usage).
//  Signals arrive as a signalfd in the loop: SIGCHLD reaps children for the handlers;
//  SIGTERM/SIGINT/SIGHUP, or the loss of the parent process when one was named, say
//  bye, kill every task and end the run. Nothing blocks the loop; a builtin that
//  finishes at once is answered in the same callback that read its assign, with no
//  per-task allocation beyond decoding. The process becomes a child subreaper, so
//  orphans of its tasks are reaped here rather than left to an init that may not reap
//  them.

#ifndef ZS_AGENT_H
#define ZS_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/zs_msg.h"
#include "agent/zs_peer.h"
#include "common/zs_util.h"

#define ZS_AGENT_CONC_MAX ZS_MSG_CONC_MAX  //  most task attempts an agent runs at once

typedef struct _zs_agent_t zs_agent_t;

//  What an agent is started with; strings are copied by zs_agent_new
typedef struct {
    zs_peer_config_t peer;  //  the coordinator, our keys, signals and logging
    const char *atype;      //  agent type
    const char *id;         //  agent id to register as, or NULL to be given one
    uint64_t conc;          //  concurrency to ask for, 0 to take the coordinator's
    pid_t parent;           //  stop once our parent is not this process; 0 for never
    const char *secret;     //  proof of our local slot (ZS_MSG_SECRET_ENV), or NULL
    const char *events;     //  events endpoint to subscribe at, or NULL: the welcome's
} zs_agent_config_t;

//  Create an agent and start connecting (nothing is sent until zs_agent_run). Returns
//  the agent, or NULL with err filled (its code a zs_session_code_t).
zs_agent_t *zs_agent_new(const zs_agent_config_t *config, zs_error_t *err);

//  Kill every task still running, close the socket and free the agent; sets *self_p to
//  NULL. Accepts NULL.
void zs_agent_destroy(zs_agent_t **self_p);

//  Run until a signal or the loss of the parent stops the agent; then say bye and kill
//  every task. Returns 0 on such a stop, -1 when the loop itself failed.
int zs_agent_run(zs_agent_t *self);

//  True while the coordinator has paused us: no new task comes, running ones go on.
bool zs_agent_paused(zs_agent_t *self);

//  True when name can be an agent type or id: 1..ZS_MSG_NAME_MAX of [A-Za-z0-9._:-].
bool zs_agent_name_valid(const char *name);

#endif
