//  zs_teams - the topology at work: neighbours, agent messages, team leads and their
//  delegated work, ring pipelines (docs/topologies.md, PROTOCOL.md §6.1)
//
//  The coordinator is the one place every agent message passes, so it is where a
//  topology is enforced: an agent's place (team, ring stage, whether it leads) is worked
//  out when it registers, and a message or hand-off between two places the topology
//  does not link is refused (FORBIDDEN) and counted. Teams reuse the scheduler: a team's
//  task goes to its lead (ZS_ROUTE_LEAD), which delegates it as work ID.w to a worker
//  (ZS_ROUTE_WORKER) and gets its outcome back as task.report; a dead lead is replaced
//  by election. Ring pipelines reuse the task graph: stage k+1 is an aggregate of stage
//  k alone.

#ifndef ZS_TEAMS_H
#define ZS_TEAMS_H

#include "coordinator/flow/zs_graph.h"

typedef struct {
    zs_core_t *core;          //  borrowed
    zs_tasks_t *tasks;        //  borrowed
    zs_dispatch_t *dispatch;  //  the agents and where work goes, borrowed
    zs_graph_t *graph;        //  starts work and stages, borrowed
    zhashx_t *leads;          //  team (its lead type) -> its lead agent, borrowed agents
    zhashx_t *leaderless;  //  team -> int64_t *: since when its members wait for a lead
} zs_teams_t;

void zs_teams_init(zs_teams_t *self,
                   zs_core_t *core,
                   zs_tasks_t *tasks,
                   zs_dispatch_t *dispatch,
                   zs_graph_t *graph);
void zs_teams_fini(zs_teams_t *self);

//  Work out a registered agent's place in the topology, choose a team's first lead, and
//  tell it and the agents linked to it.
void zs_teams_joined(zs_teams_t *self, zs_agent_t *agent);

//  An agent is about to be removed: tell its neighbours, and elect a new lead if it led
//  (the team's member registered longest ago).
void zs_teams_leaving(zs_teams_t *self, zs_agent_t *agent);

//  Every heartbeat, outside any walk of the registry: agents a neighbours message could
//  not reach are told their whole set again, and a team whose members waited a liveness
//  period for an agent of the lead type elects one of them.
void zs_teams_tick(zs_teams_t *self);

//  The id of the lead agent reports to, or NULL (it leads, or has no team or lead).
const char *zs_teams_lead_id(zs_teams_t *self, const zs_agent_t *agent);

//  msg.send, msg.share and task.delegate from agent: the agents socket's handlers.
void zs_teams_send(zs_teams_t *self, zs_agent_t *agent, const zs_msg_t *msg);
void zs_teams_share(zs_teams_t *self, zs_agent_t *agent, const zs_msg_t *msg);
void zs_teams_delegate(zs_teams_t *self, zs_agent_t *agent, const zs_msg_t *msg);

//  A task reached its final state: a worker's work is reported to its lead; a team
//  task's unfinished work is cancelled.
void zs_teams_final(zs_teams_t *self, zs_task_t *task);

//  May the topology make a submit's task(s) under id (ring stage ids, a team task's work
//  id)? 0, or -1 with err (ZS_ERR_INVALID).
int
zs_teams_check(zs_teams_t *self, const zs_msg_t *msg, const char *id, zs_error_t *err);

//  Accept a ring task's stages ID.1 .. ID.n-1 and ID, the last, which is returned; none
//  is started. Start stages ID.n-1 .. ID.1 (after ID).
zs_task_t *zs_teams_ring_accept(
    zs_teams_t *self, const zs_msg_t *msg, const char *id, unsigned tmo, unsigned tries);
void zs_teams_ring_start(zs_teams_t *self, const char *id);

#endif
