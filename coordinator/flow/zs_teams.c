//  zs_teams - the topology at work (docs/topologies.md, PROTOCOL.md §6.1): neighbours
//  told on registration and change, agent messages allowed or refused, team leads chosen
//  and elected, delegation to workers, and ring pipelines
//
//  zs_topology.h decides who is linked to whom; this file keeps the agents told. An
//  agent's neighbour set only changes when an agent joins, leaves or starts leading, so
//  each of those sends deltas (`peers` added, `gone` removed) to the agents concerned,
//  and the agent that joined or leads gets its full set; no set is stored: a mesh of n
//  agents costs O(n) messages per join, not O(n^2). An agent a message could not reach
//  gets its full set again at the next tick.

#include "coordinator/flow/zs_teams.h"

#include <assert.h>
#include <stdarg.h>
#include <string.h>

#define S_CHUNK 1000  //  ids in one neighbours message, peers and gone together

const char *
zs_teams_lead_id(zs_teams_t *self, const zs_agent_t *agent)
{
    if (!agent->place.team || agent->place.lead) {
        return NULL;
    }
    zs_agent_t *lead = zhashx_lookup(self->leads, agent->place.team);
    return lead ? lead->id : NULL;
}

//  What a neighbours message says of its peers
typedef enum {
    S_ADDED,  //  they became neighbours
    S_GONE,   //  they are neighbours no more
    S_FULL,   //  they are all the neighbours: forget any other
} s_change_t;

//  Tell agent its role and lead, and the ids that changed, in messages of at most
//  S_CHUNK ids (a full set's first message says so; the rest add to it). A message the
//  broker could not queue leaves the agent's view wrong: it is marked to get its full
//  set again at the next tick
static void
s_tell(zs_teams_t *self,
       zs_agent_t *agent,
       const char **ids,
       size_t count,
       s_change_t change)
{
    size_t done = 0;
    do {
        zs_msg_t msg;
        zs_msg_init(&msg, ZS_MSG_NEIGHBOURS);
        msg.role = zs_topology_role(self->core->swarm, &agent->place);
        msg.lead = zs_teams_lead_id(self, agent);
        msg.full = change == S_FULL && done == 0;
        size_t n = count - done < S_CHUNK ? count - done : S_CHUNK;
        zs_msg_list_t list = {ids ? ids + done : NULL, n};
        *(change == S_GONE ? &msg.gone : &msg.peers) = list;
        done += n;
        if (zs_core_send(self->core, agent->peer, &msg) != 0) {
            agent->neighbours_lost = true;
        }
    } while (done < count);
}

//  The ids of the agents linked to agent, other than skip, as an owned array of
//  borrowed ids (*count_p items); when change is not S_FULL, each of them is told that
//  agent arrived or went
static const char **
s_collect_linked(zs_teams_t *self,
                 zs_agent_t *agent,
                 const zs_agent_t *skip,
                 s_change_t change,
                 size_t *count_p)
{
    const char **ids =
        zs_calloc(zs_registry_size(self->dispatch->registry) + 1, sizeof *ids);
    size_t count = 0;
    for (zs_agent_t *other = zs_registry_first(self->dispatch->registry); other;
         other = zs_registry_next(self->dispatch->registry)) {
        if (other != agent && other != skip &&
            zs_topology_linked(self->core->swarm, &agent->place, &other->place)) {
            ids[count++] = other->id;
            if (change != S_FULL) {
                const char *id = agent->id;
                s_tell(self, other, &id, 1, change);
            }
        }
    }
    *count_p = count;
    return ids;
}

//  Tell agent all its neighbours (other than skip), and tell them it arrived
static void
s_introduce(zs_teams_t *self, zs_agent_t *agent, const zs_agent_t *skip)
{
    size_t count;
    const char **ids = s_collect_linked(self, agent, skip, S_ADDED, &count);
    s_tell(self, agent, ids, count, S_FULL);
    free(ids);
}

//  Tell the agents whose view a lost message left wrong their whole set again. Each
//  set walks the registry: the agents are collected first, as the walk has one cursor
static void
s_resync_lost(zs_teams_t *self)
{
    zs_agent_t **lost = NULL;
    size_t count = 0;
    for (zs_agent_t *agent = zs_registry_first(self->dispatch->registry); agent;
         agent = zs_registry_next(self->dispatch->registry)) {
        if (agent->neighbours_lost) {
            lost = zs_realloc(lost, (count + 1) * sizeof *lost);
            lost[count++] = agent;
        }
    }
    for (size_t i = 0; i < count; i++) {
        size_t n;
        const char **ids = s_collect_linked(self, lost[i], NULL, S_FULL, &n);
        lost[i]->neighbours_lost = false;
        s_tell(self, lost[i], ids, n, S_FULL);
        free(ids);
    }
    free(lost);
}

static void
s_publish_lead(zs_teams_t *self, const zs_agent_t *lead, const char *why)
{
    zs_msg_t event;
    zs_msg_init(&event, ZS_MSG_EV_TEAM_ELECTED);
    event.atype = lead->place.team;
    event.agent = lead->id;
    event.why = why;
    zs_core_publish(self->core, &event);
    zsys_info("agent '%s' leads team '%s': %s", lead->id, lead->place.team, why);
}

//  Make agent its team's lead: it gains the team as neighbours, they gain it as lead,
//  and it takes the team's queued tasks
static void
s_lead(zs_teams_t *self, zs_agent_t *agent, const zs_agent_t *leaving, const char *why)
{
    agent->place.lead = true;
    zhashx_update(self->leads, agent->place.team, agent);
    zhashx_delete(self->leaderless, agent->place.team);
    s_publish_lead(self, agent, why);
    s_introduce(self, agent, leaving);
    zs_dispatch_feed(self->dispatch, agent);
}

//  The team's member registered longest ago, other than leaving, or NULL
static zs_agent_t *
s_candidate(zs_teams_t *self, const char *team, const zs_agent_t *leaving)
{
    zs_agent_t *best = NULL;
    for (zs_agent_t *agent = zs_registry_first(self->dispatch->registry); agent;
         agent = zs_registry_next(self->dispatch->registry)) {
        if (agent != leaving && agent->place.team && streq(agent->place.team, team) &&
            (!best || agent->joined < best->joined)) {
            best = agent;
        }
    }
    return best;
}

void
zs_teams_joined(zs_teams_t *self, zs_agent_t *agent)
{
    agent->place = zs_topology_place(self->core->swarm, agent->atype);
    if (self->core->swarm->topology == ZS_TOPOLOGY_STAR) {
        return;  //  no neighbours, ever: the welcome says all
    }
    const char *team = agent->place.team;
    if (team && !zhashx_lookup(self->leads, team)) {
        if (streq(agent->atype, team)) {
            s_lead(self, agent, NULL, "the first agent of the lead type");
            return;
        }
        if (!zhashx_lookup(self->leaderless, team)) {
            //  An agent of the lead type has until the grace ends to come and lead
            int64_t *since = zs_malloc(sizeof *since);
            *since = zs_core_now(self->core);
            zhashx_insert(self->leaderless, team, since);
        }
    }
    s_introduce(self, agent, NULL);
}

//  Teams whose members waited the grace for an agent of the lead type elect one
static void
s_elect_leaderless(zs_teams_t *self)
{
    if (zhashx_size(self->leaderless) == 0) {
        return;
    }
    int64_t grace =
        (int64_t) self->core->swarm->heartbeat_ms * self->core->swarm->liveness;
    int64_t now = zs_core_now(self->core);
    //  A copy of the keys: electing removes the team from leaderless
    zlistx_t *teams = zhashx_keys(self->leaderless);
    for (const char *team = zlistx_first(teams); team; team = zlistx_next(teams)) {
        const int64_t *since = zhashx_lookup(self->leaderless, team);
        zs_agent_t *next = now - *since >= grace ? s_candidate(self, team, NULL) : NULL;
        if (next) {
            s_lead(self, next, NULL, "elected: no agent of the lead type came to lead");
        }
    }
    zlistx_destroy(&teams);
}

void
zs_teams_tick(zs_teams_t *self)
{
    if (self->core->swarm->topology != ZS_TOPOLOGY_STAR) {
        s_resync_lost(self);
        s_elect_leaderless(self);
    }
}

void
zs_teams_leaving(zs_teams_t *self, zs_agent_t *agent)
{
    if (self->core->swarm->topology == ZS_TOPOLOGY_STAR) {
        return;
    }
    if (agent->place.lead) {
        //  First, so that its workers' gone message names no lead
        zhashx_delete(self->leads, agent->place.team);
    }
    size_t count;
    free(s_collect_linked(self, agent, NULL, S_GONE, &count));
    zs_agent_t *next =
        agent->place.team ? s_candidate(self, agent->place.team, agent) : NULL;
    if (agent->place.team && !next) {
        zhashx_delete(self->leaderless, agent->place.team);  //  the team is empty
    }
    if (next && agent->place.lead) {
        char why[ZS_MSG_TEXT_MAX];
        snprintf(why, sizeof why, "elected: lead '%s' left", agent->id);
        zs_utf8_trim(why);
        //  Its one neighbour was the old lead, told gone above
        s_lead(self, next, agent, why);
    }
}

//  ---------------------------------------------------------------------------------------
//  Agent messages

static void
s_forbid(zs_teams_t *self, zs_agent_t *agent, const char *task, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static void
s_forbid(zs_teams_t *self, zs_agent_t *agent, const char *task, const char *format, ...)
{
    zs_error_t err = {.code = ZS_ERR_FORBIDDEN};
    va_list args;
    va_start(args, format);
    vsnprintf(err.text, sizeof err.text, format, args);
    va_end(args);
    zs_utf8_trim(err.text);
    self->core->counts.forbidden++;
    zs_core_send_error(self->core, agent->peer, &err, task);
}

static void
s_forward(zs_teams_t *self, zs_agent_t *from, zs_agent_t *to, const zs_msg_t *msg)
{
    zs_msg_t out;
    zs_msg_init(&out, ZS_MSG_MSG);
    out.agent = from->id;
    out.payload = msg->payload;
    out.payload_size = msg->payload_size;
    zs_core_send(self->core, to->peer, &out);
}

//  Agent messages are small: a share is copied to every neighbour
static bool
s_check_payload(zs_teams_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    if (msg->payload_size <= ZS_MSG_NOTE_MAX) {
        return true;
    }
    zs_error_t err;
    zs_error_set(&err, ZS_ERR_INVALID, "an agent message's payload is at most %u bytes",
                 ZS_MSG_NOTE_MAX);
    zs_core_send_error(self->core, agent->peer, &err, NULL);
    return false;
}

void
zs_teams_send(zs_teams_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    if (!s_check_payload(self, agent, msg)) {
        return;
    }
    zs_agent_t *to = zs_registry_find(self->dispatch->registry, msg->agent);
    if (!to || to == agent ||
        !zs_topology_linked(self->core->swarm, &agent->place, &to->place)) {
        s_forbid(self, agent, NULL, "%s topology: '%s' (%s) may not message '%s'%s",
                 zs_topology_name(self->core->swarm->topology), agent->id,
                 zs_topology_role(self->core->swarm, &agent->place), msg->agent,
                 to ? "" : ", which is not registered");
        return;
    }
    s_forward(self, agent, to, msg);
}

void
zs_teams_share(zs_teams_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    if (!s_check_payload(self, agent, msg)) {
        return;
    }
    if (self->core->swarm->topology == ZS_TOPOLOGY_STAR) {
        s_forbid(self, agent, NULL,
                 "star topology: agents have no neighbours to share with");
        return;
    }
    for (zs_agent_t *other = zs_registry_first(self->dispatch->registry); other;
         other = zs_registry_next(self->dispatch->registry)) {
        if (other != agent &&
            zs_topology_linked(self->core->swarm, &agent->place, &other->place)) {
            s_forward(self, agent, other, msg);
        }
    }
}

//  ---------------------------------------------------------------------------------------
//  Teams: a lead delegates a task to a worker, and gets the worker's result back

static void
s_worker_id(char *dest, size_t size, const char *id)
{
    snprintf(dest, size, "%s.w", id);
}

//  Send the outcome of a final worker task to the lead running its team task, if any
static void
s_report(zs_teams_t *self, zs_task_t *team_task, const zs_task_t *work)
{
    zs_agent_t *lead = team_task->agent;
    if (!lead) {
        return;  //  waiting for a lead: the next one's delegate finds the result
    }
    const zs_task_result_t *result = &work->result;
    zs_msg_t report;
    zs_msg_init(&report, ZS_MSG_TASK_REPORT);
    report.task = team_task->id;
    report.att = team_task->att;
    report.agent = work->agent_id ? work->agent_id : "-";
    report.status = work->state == ZS_TASK_COMPLETED   ? "ok"
                    : work->state == ZS_TASK_CANCELLED ? "cancelled"
                                                       : "fail";
    report.exit = result->exit;
    report.out = result->out;
    report.out_size = result->out_size;
    report.err = result->err;
    report.err_size = result->err_size;
    report.why = result->why;
    zs_core_send(self->core, lead->peer, &report);
}

void
zs_teams_delegate(zs_teams_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_task_t *task = zs_tasks_find(self->tasks, msg->task);
    if (!task || task->agent != agent || task->att != msg->att) {
        return;  //  an attempt no longer expected: its result would be dropped too
    }
    if (task->route != ZS_ROUTE_LEAD || !agent->place.lead) {
        s_forbid(self, agent, task->id,
                 "%s topology: only a team's lead delegates, and only its team's tasks",
                 zs_topology_name(self->core->swarm->topology));
        return;
    }
    char id[ZS_MSG_NAME_MAX + 4];
    s_worker_id(id, sizeof id, task->id);
    zs_task_t *work = zs_tasks_find(self->tasks, id);
    if (strlen(id) > ZS_MSG_NAME_MAX || (work && work->route != ZS_ROUTE_WORKER)) {
        //  Refused at submit, but a journal of another swarm file could hold one; the
        //  lead is told its work failed rather than hold a slot until its timeout
        char why[ZS_MSG_TEXT_MAX];
        snprintf(why, sizeof why, "no id for its work: '%s.w' is too long or a client's",
                 task->id);
        zs_utf8_trim(why);
        zs_msg_t report;
        zs_msg_init(&report, ZS_MSG_TASK_REPORT);
        report.task = task->id;
        report.att = task->att;
        report.agent = "-";
        report.status = "fail";
        report.why = why;
        zs_core_send(self->core, agent->peer, &report);
        return;
    }
    if (work && zs_task_is_final(work) && work->state == ZS_TASK_COMPLETED) {
        s_report(self, task, work);  //  a lead before this one delegated it already
        return;
    }
    if (work && !zs_task_is_final(work)) {
        return;  //  still running for an earlier lead: it reports when done
    }
    if (work) {
        zs_tasks_forget(self->tasks, work);
    }
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.ttype = task->ttype;
    submit.payload = msg->payload ? msg->payload : task->payload;
    submit.payload_size = msg->payload ? msg->payload_size : task->payload_size;
    submit.pri = task->pri;
    //  char ** to const char **: the task only copies the strings
    submit.requires =
        (zs_msg_list_t){(const char **) (void *) task->requires, task->require_count};
    work = zs_task_new(id, &submit, task->tmo_ms, task->tries,
                       zs_tasks_next_order(self->tasks));
    work->route = ZS_ROUTE_WORKER;
    work->strategy = ZS_STRATEGY_LEAST_LOADED;  //  the lead's rule, whatever the type's
    zs_tasks_adopt(self->tasks, work);
    zs_graph_start(self->graph, work);
}

void
zs_teams_final(zs_teams_t *self, zs_task_t *task)
{
    if (task->route == ZS_ROUTE_WORKER) {
        char id[ZS_MSG_NAME_MAX + 1];
        snprintf(id, sizeof id, "%.*s", (int) strlen(task->id) - 2, task->id);
        zs_task_t *team_task = zs_tasks_find(self->tasks, id);
        if (team_task && team_task->route == ZS_ROUTE_LEAD &&
            !zs_task_is_final(team_task)) {
            s_report(self, team_task, task);
        }
    } else if (task->route == ZS_ROUTE_LEAD) {
        //  Nobody waits for the work of a team task that ended (cancelled, say)
        char id[ZS_MSG_NAME_MAX + 4];
        s_worker_id(id, sizeof id, task->id);
        zs_task_t *work = zs_tasks_find(self->tasks, id);
        if (work && work->route == ZS_ROUTE_WORKER && !zs_task_is_final(work)) {
            zs_dispatch_cancel(self->dispatch, work, "its team task ended");
        }
    }
}

static void
s_free_since(void **item)
{
    free(*item);
    *item = NULL;
}

void
zs_teams_init(zs_teams_t *self,
              zs_core_t *core,
              zs_tasks_t *tasks,
              zs_dispatch_t *dispatch,
              zs_graph_t *graph)
{
    assert(self);
    *self =
        (zs_teams_t){.core = core, .tasks = tasks, .dispatch = dispatch, .graph = graph};
    self->leads = zhashx_new();
    self->leaderless = zhashx_new();
    zhashx_set_destructor(self->leaderless, s_free_since);
}

void
zs_teams_fini(zs_teams_t *self)
{
    zhashx_destroy(&self->leads);
    zhashx_destroy(&self->leaderless);
}

//  ---------------------------------------------------------------------------------------
//  Ring pipelines: stage k+1 is an aggregate of stage k alone, so its payload is stage
//  k's output (zs_graph does the rest); stages ID.1 .. ID.n-1, the last is ID

static void
s_stage_id(char *dest, size_t size, const char *id, size_t k, size_t n)
{
    if (k + 1 == n) {
        snprintf(dest, size, "%s", id);
    } else {
        snprintf(dest, size, "%s.%zu", id, k + 1);
    }
}

static int
s_check_ring(zs_teams_t *self, const zs_msg_t *msg, const char *id, zs_error_t *err)
{
    if (msg->items.count || msg->agg) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "a ring task takes one payload: no 'items' or 'agg'");
    }
    size_t n = self->core->swarm->ring_count;
    char stage[ZS_MSG_NAME_MAX + 16];
    s_stage_id(stage, sizeof stage, id, n - 2, n);
    if (strlen(stage) > ZS_MSG_NAME_MAX) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "no room for the stages' '.N' ids within %d bytes: use a "
                            "shorter task id",
                            ZS_MSG_NAME_MAX);
    }
    for (size_t k = 0; k + 1 < n; k++) {
        s_stage_id(stage, sizeof stage, id, k, n);
        if (zs_tasks_find(self->tasks, stage)) {
            return zs_error_set(err, ZS_ERR_INVALID, "task '%s' exists already", stage);
        }
    }
    return 0;
}

//  A team task ID of ttype needs room for its work ID.w, which must not exist
static int
s_check_team(zs_teams_t *self, const char *ttype, const char *id, zs_error_t *err)
{
    if (!zs_topology_team_task(self->core->swarm, ttype)) {
        return 0;
    }
    char work[ZS_MSG_NAME_MAX + 4];
    s_worker_id(work, sizeof work, id);
    if (strlen(work) > ZS_MSG_NAME_MAX) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "no room for team task '%s''s work '%s.w' within %d bytes: "
                            "use a shorter task id",
                            id, id, ZS_MSG_NAME_MAX);
    }
    if (zs_tasks_find(self->tasks, work)) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "task '%s' exists already: it would be team task '%s''s work",
                            work, id);
    }
    return 0;
}

//  A client's task ID.w while team task ID runs would be taken for its work
static int
s_check_work(zs_teams_t *self, const char *id, zs_error_t *err)
{
    size_t len = strlen(id);
    if (len <= 2 || !streq(id + len - 2, ".w")) {
        return 0;
    }
    char team_id[ZS_MSG_NAME_MAX + 1];
    snprintf(team_id, sizeof team_id, "%.*s", (int) len - 2, id);
    const zs_task_t *team_task = zs_tasks_find(self->tasks, team_id);
    if (team_task && team_task->route == ZS_ROUTE_LEAD && !zs_task_is_final(team_task)) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "task id '%s' is the work of team task '%s', which runs", id,
                            team_id);
    }
    return 0;
}

//  Every task a submit makes: its fan-out's items ID.N, its aggregate or plain task ID
static int
s_check_tasks(zs_teams_t *self, const zs_msg_t *msg, const char *id, zs_error_t *err)
{
    for (size_t n = 1; n <= msg->items.count; n++) {
        //  ID.N fits in a name already (zs_graph_check): room for ".w" after it
        char item[ZS_MSG_NAME_MAX + 1];
        snprintf(item, sizeof item, "%s.%zu", id, n);
        if (s_check_team(self, msg->ttype, item, err) != 0) {
            return -1;
        }
    }
    const char *ttype = msg->items.count ? msg->agg : msg->ttype;
    if (s_check_team(self, ttype, id, err) != 0) {
        return -1;
    }
    return s_check_work(self, id, err);
}

int
zs_teams_check(zs_teams_t *self, const zs_msg_t *msg, const char *id, zs_error_t *err)
{
    const zs_swarm_t *swarm = self->core->swarm;
    if (zs_topology_ring_task(swarm, msg->ttype)) {
        return s_check_ring(self, msg, id, err);
    }
    if (msg->agg && zs_topology_ring_task(swarm, msg->agg)) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "an aggregate cannot start a ring pipeline: submit the "
                            "ring's first type");
    }
    return s_check_tasks(self, msg, id, err);
}

zs_task_t *
zs_teams_ring_accept(
    zs_teams_t *self, const zs_msg_t *msg, const char *id, unsigned tmo, unsigned tries)
{
    size_t n = self->core->swarm->ring_count;
    char prev[ZS_MSG_NAME_MAX + 1] = "";
    zs_task_t *task = NULL;
    for (size_t k = 0; k < n; k++) {
        char stage[ZS_MSG_NAME_MAX + 1];
        s_stage_id(stage, sizeof stage, id, k, n);
        zs_msg_t submit = *msg;
        submit.ttype = self->core->swarm->ring[k];
        const char *dep = prev;
        if (k > 0) {
            //  'requires', 'deps' and 'inputs' are the first stage's; the others wait
            //  for it
            submit.payload = NULL;
            submit.payload_size = 0;
            submit.deps = (zs_msg_list_t){&dep, 1};
            submit.inputs = (zs_msg_list_t){NULL, 0};
            submit.agg = submit.ttype;
            submit.requires = (zs_msg_list_t){NULL, 0};
        }
        task = zs_tasks_accept(self->tasks, &submit, stage, tmo, tries);
        snprintf(prev, sizeof prev, "%s", stage);
    }
    return task;
}

void
zs_teams_ring_start(zs_teams_t *self, const char *id)
{
    size_t n = self->core->swarm->ring_count;
    for (size_t k = n - 1; k-- > 0;) {
        char stage[ZS_MSG_NAME_MAX + 1];
        s_stage_id(stage, sizeof stage, id, k, n);
        zs_graph_start(self->graph, zs_tasks_find(self->tasks, stage));
    }
}
