//  zs_agent - see zs_agent.h

#include "agent/zs_agent.h"
#include "agent/zs_builtin.h"
#include "agent/zs_download.h"
#include "agent/zs_exec.h"
#include "agent/zs_http.h"
#include "agent/zs_listen.h"
#include "agent/zs_llm_ops.h"
#include "agent/zs_peer.h"
#include "agent/zs_usage.h"
#include "agent/zs_voter.h"

#include <inttypes.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define ZS_AGENT_PARENT_MS 250  //  how often the parent process is checked, ms

//  Bids (PROTOCOL.md §6, docs/scheduling.md)
#define ZS_AGENT_BID_FLOOR_US    1000  //  added to each estimate, so load always counts
#define ZS_AGENT_ESTIMATE_WEIGHT 4     //  the newest run's weight in an estimate is 1/4
#define ZS_AGENT_ESTIMATES_MAX   256   //  task types whose run time an agent remembers
#define ZS_AGENT_BROADCAST_LOG   256   //  bytes of a broadcast's payload logged, escaped

//  The handlers an agent can run tasks with; welcome.handler picks one by name
static const zs_handler_ops_t *const s_handlers[] = {
    &zs_builtin_ops, &zs_exec_ops, &zs_http_ops, &zs_download_ops, &zs_llm_ops};
#define S_HANDLER_COUNT (sizeof s_handlers / sizeof s_handlers[0])

struct _zs_agent_t {
    char *atype;                             //  owned: agent type
    char *id;                                //  owned: id to ask for, or NULL
    uint64_t conc_asked;                     //  hello's conc, 0 for none
    pid_t parent;                            //  stop when it stops being our parent
    bool debug;                              //  log debug lines
    zs_peer_t *peer;                         //  owned: loop, session, signals and stop
    zloop_t *loop;                           //  borrowed from peer: the one event loop
    zs_session_t *session;                   //  borrowed from peer: with the coordinator
    void *handlers[S_HANDLER_COUNT];         //  owned: one instance per s_handlers
    zs_voter_t *voter;                       //  owned: answers vote.ask
    int active;                              //  welcome's handler in s_handlers, or -1
    char handler_name[ZS_MSG_NAME_MAX + 1];  //  welcome's handler name, "" before
    char agent[ZS_MSG_NAME_MAX + 1];         //  id the coordinator knows us by
    char secret[ZS_MSG_SECRET_SIZE + 1];     //  proof of our local slot, for hello, or ""
    uint64_t conc;                           //  task attempts at once
    const zs_msg_t *starting;  //  the assign being started, borrowed for that call
    zhashx_t *starts;     //  "task/att" -> s_start_t *, owned: running attempts' starts
    zhashx_t *estimates;  //  task type -> int64_t *, owned: EWMA of its run time, us
    zhashx_t *peers;      //  ids of our neighbours (the neighbours messages' sum), owned
    zhashx_t *delegated;  //  "task/att" of attempts a worker runs for us (we lead)
    char role[ZS_MSG_NAME_MAX + 1];  //  our place in the topology, "" under star
    char lead[ZS_MSG_NAME_MAX + 1];  //  the agent we report to, "" for none
    char *events;                    //  owned: --events, or NULL for the welcome's
    zs_listen_t *listen;             //  owned: the events addressed to agents
    bool paused;                     //  the coordinator gives us no new task
    zs_usage_t usage;                //  our last resource reading, for heartbeats
};

//  When a running attempt started, to learn how long its type takes
typedef struct {
    int64_t started_us;               //  zclock_usecs at task.assign
    char ttype[ZS_MSG_NAME_MAX + 1];  //  its task type
} s_start_t;

//  ---- helpers -------------------------------------------------------------------------

static bool
s_log_allowed(zs_agent_t *self)
{
    return zs_session_log_allowed(self->session);
}

static const char *
s_endpoint(zs_agent_t *self)
{
    return zs_session_endpoint(self->session);
}

static uint64_t
s_clamp(uint64_t value, uint64_t min, uint64_t max)
{
    return value < min ? min : value > max ? max : value;
}

static size_t
s_running(zs_agent_t *self)
{
    size_t running = zhashx_size(self->delegated);
    for (size_t i = 0; i < S_HANDLER_COUNT; i++) {
        running += s_handlers[i]->running(self->handlers[i]);
    }
    return running;
}

//  ---- sending -------------------------------------------------------------------------

static void
s_send(zs_agent_t *self, const zs_msg_t *msg)
{
    zs_session_send(self->session, msg);
}

//  An assign that cannot start: status "fail", or "busy" when no slot is free, which
//  the coordinator does not count as an attempt
static void
s_send_refusal(zs_agent_t *self,
               const zs_msg_t *assign,
               const char *status,
               const char *why)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_TASK_RESULT);
    msg.task = assign->task;
    msg.att = assign->att;
    msg.status = status;
    msg.why = why;
    s_send(self, &msg);
}

//  ---- estimates and bids --------------------------------------------------------------

static void
s_start_key(char *key, size_t size, const char *task, uint64_t att)
{
    snprintf(key, size, "%s/%" PRIu64, task, att);
}

static void
s_started(zs_agent_t *self, const zs_msg_t *assign)
{
    char key[ZS_MSG_NAME_MAX + 24];
    s_start_key(key, sizeof key, assign->task, assign->att);
    s_start_t *start = zs_malloc(sizeof *start);
    start->started_us = zclock_usecs();
    snprintf(start->ttype, sizeof start->ttype, "%s", assign->ttype);
    zhashx_update(self->starts, key, start);
}

//  A run of ttype took us: it moves the type's estimate, an EWMA, so a type whose tasks
//  grow longer shows it within a few runs
static void
s_learn(zs_agent_t *self, const char *ttype, int64_t took)
{
    int64_t *estimate = zhashx_lookup(self->estimates, ttype);
    if (estimate) {
        *estimate += (took - *estimate) / ZS_AGENT_ESTIMATE_WEIGHT;
    } else if (zhashx_size(self->estimates) < ZS_AGENT_ESTIMATES_MAX) {
        estimate = zs_malloc(sizeof *estimate);
        *estimate = took;
        zhashx_insert(self->estimates, ttype, estimate);
    }
}

//  An attempt ended. One that ended within its start call took no time and left no
//  start record: instant builtins cost no allocation
static void
s_ended(zs_agent_t *self, const zs_msg_t *result)
{
    char key[ZS_MSG_NAME_MAX + 24];
    s_start_key(key, sizeof key, result->task, result->att);
    s_start_t *start = zhashx_lookup(self->starts, key);
    if (start) {
        s_learn(self, start->ttype, zclock_usecs() - start->started_us);
        zhashx_delete(self->starts, key);
    } else if (self->starting && self->starting->att == result->att &&
               streq(self->starting->task, result->task)) {
        s_learn(self, self->starting->ttype, 0);
    }
}

//  The price of running one more task: its estimated run time, stretched by the share
//  of our slots already busy, (estimate + floor) x (conc + running) / conc, in us. A
//  type we never ran is estimated at 0, so an agent new to it bids low and learns it.
static uint64_t
s_bid(zs_agent_t *self, const char *ttype)
{
    int64_t *estimate = zhashx_lookup(self->estimates, ttype);
    uint64_t us = estimate && *estimate > 0 ? (uint64_t) *estimate : 0;
    return (us + ZS_AGENT_BID_FLOOR_US) * (self->conc + s_running(self)) / self->conc;
}

//  The handlers' sink: what they report goes to the coordinator as is, and teaches us
//  how long task types run
static void
s_on_started(void *owner, const char *task, uint64_t att)
{
    zs_agent_t *self = owner;
    //  Handlers report a start from within their start call, while the assign is known
    if (self->starting) {
        s_started(self, self->starting);
    }
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_TASK_ACK);
    msg.task = task;
    msg.att = att;
    s_send(owner, &msg);
}

static void
s_on_finished(void *owner, const zs_msg_t *result)
{
    s_ended(owner, result);
    s_send(owner, result);
}

//  ---- parent --------------------------------------------------------------------------

//  A supervisor that dies cannot stop us: we notice it is no longer our parent
static int
s_on_parent_tick(zloop_t *loop, int timer_id, void *arg)
{
    zs_agent_t *self = arg;
    if (getppid() != self->parent) {
        zs_peer_stop(self->peer, "parent process is gone");
        return -1;
    }
    return 0;
}

//  A handler's job sends its own messages (progress, requests) on our session
static int
s_on_send(void *owner, const zs_msg_t *msg)
{
    zs_agent_t *self = owner;
    return zs_session_send(self->session, msg);
}

//  ---- messages from the coordinator ---------------------------------------------------

static void
s_handler_select(zs_agent_t *self, const zs_msg_t *welcome)
{
    zs_sanitize_str(self->handler_name, sizeof self->handler_name, welcome->handler);
    self->active = -1;
    for (size_t i = 0; i < S_HANDLER_COUNT; i++) {
        if (streq(s_handlers[i]->name, welcome->handler)) {
            self->active = (int) i;
        }
    }
    if (self->active < 0) {
        if (s_log_allowed(self)) {
            zsys_error("coordinator at '%s' names unknown handler '%s': tasks will fail",
                       s_endpoint(self), self->handler_name);
        }
        return;
    }
    if (s_handlers[self->active]->configure) {
        s_handlers[self->active]->configure(self->handlers[self->active], welcome);
    }
}

//  Paused or not, as the coordinator says (why: what said it); logged when it changes
static void
s_set_paused(zs_agent_t *self, bool paused, const char *why)
{
    if (paused != self->paused) {
        zsys_notice(
            "agent '%s' %s (%s): %s", self->agent, paused ? "paused" : "resumed", why,
            paused ? "no new tasks will come; running ones go on" : "new tasks may come");
    }
    self->paused = paused;
}

//  Hand msg to the active handler, if it takes messages; false when none does
static bool
s_to_handler(zs_agent_t *self, const zs_msg_t *msg)
{
    if (self->active < 0 || !s_handlers[self->active]->recv) {
        return false;
    }
    s_handlers[self->active]->recv(self->handlers[self->active], msg);
    return true;
}

//  The one place a broadcast for us (all agents, or our type) arrives. It is logged,
//  escaped and bounded, and handed to the active handler: exec keeps it in its tasks'
//  inbox (agent/zs_chan.c).
static void
s_on_broadcast(zs_agent_t *self, const zs_msg_t *event)
{
    char sample[ZS_AGENT_BROADCAST_LOG];
    zs_sanitize(sample, sizeof sample, event->payload, event->payload_size);
    zsys_notice("agent '%s': broadcast%s%s%s (%zu bytes): '%s'", self->agent,
                event->atype ? " to type '" : "", event->atype ? self->atype : "",
                event->atype ? "'" : "", event->payload_size, sample);
    s_to_handler(self, event);
}

//  True when a pause, a resume or a broadcast is for us: our id, our type, or (with
//  neither) every agent
static bool
s_for_us(zs_agent_t *self, const zs_msg_t *event)
{
    return event->agent   ? streq(event->agent, self->agent)
           : event->atype ? streq(event->atype, self->atype)
                          : true;
}

static void
s_on_agent_event(void *ctx, const zs_msg_t *event)
{
    zs_agent_t *self = ctx;
    if (!s_for_us(self, event)) {
        return;
    }
    if (event->type == ZS_MSG_EV_AGENT_BROADCAST) {
        s_on_broadcast(self, event);
    } else {
        s_set_paused(self, event->type == ZS_MSG_EV_AGENT_PAUSED, "event");
    }
}

//  Events were missed: ask the coordinator for the state they carry
static void
s_on_gap(void *ctx)
{
    zs_agent_t *self = ctx;
    zsys_info("missed events addressed to agents: asking the coordinator for our state");
    zs_msg_t sync;
    zs_msg_init(&sync, ZS_MSG_AGENT_SYNC);
    s_send(self, &sync);
}

static void
s_recv_sync_ok(void *ctx, const zs_msg_t *msg)
{
    zs_agent_t *self = ctx;
    zs_listen_synced(self->listen, msg->aseq);
    s_set_paused(self, msg->paused, "sync");
}

static void
s_recv_heartbeat(void *ctx, const zs_msg_t *msg)
{
    zs_agent_t *self = ctx;
    if (msg->aseq) {
        zs_listen_heard(self->listen, msg->aseq);
    }
}

//  A welcome: subscribe where the events are (--events, else the welcome's endpoint
//  with a wildcard host made the agents endpoint's), and take the state it says
static void
s_listen_welcome(zs_agent_t *self, const zs_msg_t *welcome, zs_session_welcome_t kind)
{
    char endpoint[ZS_LISTEN_ENDPOINT_MAX + 1];
    const char *events = self->events ? self->events : welcome->events;
    if (!events) {
        zsys_warning("no events endpoint: broadcasts and pauses will not be heard");
    } else if (zs_listen_resolve(events, s_endpoint(self), endpoint, sizeof endpoint) !=
               0) {
        zsys_warning("events endpoint too long: broadcasts will not be heard");
    } else {
        zs_error_t err;
        if (zs_listen_connect(self->listen, endpoint, zs_session_cert(self->session),
                              zs_session_server_key(self->session), &err) != 0) {
            char sample[ZS_MSG_NAME_MAX * 4 + 1];
            zsys_warning("%s", zs_sanitize_str(sample, sizeof sample, err.text));
        }
    }
    if (kind != ZS_SESSION_AGAIN) {
        zs_listen_restart(self->listen, welcome->aseq);
    }
    s_set_paused(self, welcome->paused, "welcome");
}

//  The session's welcome: adopt our id, concurrency and handler
static void
s_on_welcome(void *ctx, const zs_msg_t *msg, zs_session_welcome_t kind)
{
    zs_agent_t *self = ctx;
    //  A new session after a lost one: the coordinator has already retried (or, if it
    //  restarted, will re-run from its journal) whatever we still run, and their
    //  results would be dropped; the slots are better freed at once. Every job goes,
    //  those that lend their slot while they wait for subtasks too (running does not
    //  count them): the coordinator dropped their waits with the old session.
    if (kind == ZS_SESSION_RENEWED) {
        size_t orphans = s_running(self);
        if (orphans > 0) {
            zsys_notice("new session with '%s': stopping %zu attempts of the old one",
                        s_endpoint(self), orphans);
        }
        for (size_t i = 0; i < S_HANDLER_COUNT; i++) {
            s_handlers[i]->kill_all(self->handlers[i]);
        }
        zhashx_purge(self->starts);
    }
    if (kind != ZS_SESSION_AGAIN) {
        //  A new session: its neighbours messages start from nothing
        zhashx_purge(self->delegated);
        zhashx_purge(self->peers);
        self->role[0] = self->lead[0] = '\0';
    }
    zs_sanitize_str(self->agent, sizeof self->agent, msg->agent);
    uint64_t conc = msg->conc ? msg->conc : self->conc_asked ? self->conc_asked : 1;
    self->conc = s_clamp(conc, 1, ZS_AGENT_CONC_MAX);
    s_handler_select(self, msg);
    zs_voter_configure(self->voter, msg);
    s_listen_welcome(self, msg, kind);
    if (kind != ZS_SESSION_AGAIN) {
        zsys_info("registered with '%s' as '%s' (handler '%s', concurrency %" PRIu64
                  ", heartbeat %" PRIu64 " ms)",
                  s_endpoint(self), self->agent, self->handler_name, self->conc,
                  zs_session_hb(self->session));
    }
}

//  A reply to a request of the active handler's jobs (only they send requests)
static void
s_recv_for_handler(void *ctx, const zs_msg_t *msg)
{
    zs_agent_t *self = ctx;
    if (!s_to_handler(self, msg)) {
        zs_session_log_unhandled(self->session, msg);
    }
}

//  An error about a request or a ballot of ours is ours to explain; the rest the
//  session logs
static void
s_recv_error(void *ctx, const zs_msg_t *msg)
{
    zs_agent_t *self = ctx;
    char vote[ZS_MSG_NAME_MAX * 4 + 1], why[ZS_MSG_TEXT_MAX];
    if (msg->rid) {
        s_recv_for_handler(self, msg);
    } else if (!msg->vote) {
        zs_session_log_unhandled(self->session, msg);
    } else if (msg->code == ZS_ERR_FINISHED) {
        //  A vote settled before our ballot came: nothing went wrong
        if (self->debug) {
            zsys_debug("vote '%s' ended before our ballot",
                       zs_sanitize_str(vote, sizeof vote, msg->vote));
        }
    } else if (s_log_allowed(self)) {
        //  A vote of a coordinator that restarted, most likely: no longer known
        zsys_notice("vote '%s': our ballot was refused (error %" PRIu64 "): %s",
                    zs_sanitize_str(vote, sizeof vote, msg->vote), msg->code,
                    zs_sanitize_str(why, sizeof why, msg->why));
    }
}

//  A lead hands each team task to a worker: the coordinator picks the least-loaded
//  (the work waits while the team has none), and reports its result back
//  (task.report), which we report up
static void
s_delegate(zs_agent_t *self, const zs_msg_t *assign)
{
    char key[ZS_MSG_NAME_MAX + 24];
    s_start_key(key, sizeof key, assign->task, assign->att);
    zhashx_update(self->delegated, key, (void *) 1);
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_TASK_ACK);
    msg.task = assign->task;
    msg.att = assign->att;
    s_send(self, &msg);
    zs_msg_init(&msg, ZS_MSG_TASK_DELEGATE);
    msg.task = assign->task;
    msg.att = assign->att;
    s_send(self, &msg);
}

//  Our worker's result is our own
static void
s_recv_report(void *ctx, const zs_msg_t *msg)
{
    zs_agent_t *self = ctx;
    char key[ZS_MSG_NAME_MAX + 24];
    s_start_key(key, sizeof key, msg->task, msg->att);
    if (!zhashx_lookup(self->delegated, key)) {
        return;  //  cancelled, or of an old session
    }
    zhashx_delete(self->delegated, key);
    zs_msg_t result = *msg;
    result.type = ZS_MSG_TASK_RESULT;
    result.agent = NULL;
    result.arena_ = NULL;
    s_send(self, &result);
}

//  Neighbours change by deltas: peers arrive, others are gone; a full set replaces all
static void
s_recv_neighbours(void *ctx, const zs_msg_t *msg)
{
    zs_agent_t *self = ctx;
    if (msg->full) {
        zhashx_purge(self->peers);
    }
    for (size_t i = 0; i < msg->peers.count; i++) {
        zhashx_update(self->peers, msg->peers.items[i], (void *) 1);
    }
    for (size_t i = 0; i < msg->gone.count; i++) {
        zhashx_delete(self->peers, msg->gone.items[i]);
    }
    zs_sanitize_str(self->role, sizeof self->role, msg->role);
    zs_sanitize_str(self->lead, sizeof self->lead, msg->lead ? msg->lead : "");
    zsys_info("topology: role %s%s%s, %zu neighbours", self->role,
              self->lead[0] ? ", lead " : "", self->lead, zhashx_size(self->peers));
}

//  A message from a neighbour: logged, and kept for the tasks that ask (exec)
static void
s_recv_msg(void *ctx, const zs_msg_t *msg)
{
    zs_agent_t *self = ctx;
    char from[ZS_MSG_NAME_MAX * 4 + 1];
    zsys_info("message from '%s' (%zu bytes)",
              zs_sanitize_str(from, sizeof from, msg->agent), msg->payload_size);
    s_to_handler(self, msg);
}

static void
s_recv_ask(void *ctx, const zs_msg_t *msg)
{
    zs_agent_t *self = ctx;
    zs_voter_ask(self->voter, msg);
}

//  The coordinator took our ballot (a refusal comes as an error, which is logged), or
//  one a task cast through us (with a rid)
static void
s_recv_cast_ok(void *ctx, const zs_msg_t *msg)
{
    zs_agent_t *self = ctx;
    if (msg->rid) {
        s_recv_for_handler(self, msg);
    } else if (self->debug) {
        char vote[ZS_MSG_NAME_MAX * 4 + 1];
        zsys_debug("ballot cast in vote '%s'",
                   zs_sanitize_str(vote, sizeof vote, msg->vote));
    }
}

static void
s_on_cast(void *owner, const zs_msg_t *cast)
{
    s_send(owner, cast);
}

static void
s_recv_assign(void *ctx, const zs_msg_t *msg)
{
    zs_agent_t *self = ctx;
    if (s_running(self) >= self->conc) {
        s_send_refusal(self, msg, "busy", "agent busy");
    } else if (self->active < 0) {
        char why[ZS_MSG_TEXT_MAX];
        snprintf(why, sizeof why, "agent has no handler named '%s'", self->handler_name);
        s_send_refusal(self, msg, "fail",
                       self->handler_name[0] ? why : "agent not registered");
    } else if (streq(self->role, "lead")) {
        s_delegate(self, msg);
    } else {
        self->starting = msg;
        s_handlers[self->active]->start(self->handlers[self->active], msg);
        self->starting = NULL;
    }
}

//  An auction: bid when we could take the task now, else let the offer pass
static void
s_recv_offer(void *ctx, const zs_msg_t *msg)
{
    zs_agent_t *self = ctx;
    if (self->active < 0 || s_running(self) >= self->conc) {
        return;
    }
    zs_msg_t bid;
    zs_msg_init(&bid, ZS_MSG_TASK_BID);
    bid.task = msg->task;
    bid.bid = s_bid(self, msg->ttype);
    s_send(self, &bid);
}

static void
s_recv_cancel(void *ctx, const zs_msg_t *msg)
{
    zs_agent_t *self = ctx;
    char key[ZS_MSG_NAME_MAX + 24];
    s_start_key(key, sizeof key, msg->task, msg->att);
    if (zhashx_lookup(self->delegated, key)) {
        zhashx_delete(self->delegated, key);
        s_send_refusal(self, msg, "cancelled", "cancelled");
        return;
    }
    for (size_t i = 0; i < S_HANDLER_COUNT; i++) {
        if (s_handlers[i]->cancel(self->handlers[i], msg->task, msg->att) == 0) {
            return;
        }
    }
    //  It finished already: its result is on the way
    if (self->debug) {
        char task[ZS_MSG_NAME_MAX * 4 + 1];
        zsys_debug("no running attempt %" PRIu64 " of task '%s' to cancel", msg->att,
                   zs_sanitize_str(task, sizeof task, msg->task));
    }
}

//  What the agent does with the messages its session does not consume; the rest are
//  not for agents
static zs_session_recv_fn *const s_recv[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_ERROR] = s_recv_error,
    [ZS_MSG_TASK_ASSIGN] = s_recv_assign,
    [ZS_MSG_TASK_CANCEL] = s_recv_cancel,
    [ZS_MSG_TASK_OFFER] = s_recv_offer,
    [ZS_MSG_TASK_REPORT] = s_recv_report,
    [ZS_MSG_NEIGHBOURS] = s_recv_neighbours,
    [ZS_MSG_MSG] = s_recv_msg,
    [ZS_MSG_VOTE_ASK] = s_recv_ask,
    [ZS_MSG_VOTE_CAST_OK] = s_recv_cast_ok,
    [ZS_MSG_MEM_GET_OK] = s_recv_for_handler,
    [ZS_MSG_MEM_PUT_OK] = s_recv_for_handler,
    [ZS_MSG_MEM_DEL_OK] = s_recv_for_handler,
    [ZS_MSG_MEM_QUERY_OK] = s_recv_for_handler,
    [ZS_MSG_MEM_DEPOSIT_OK] = s_recv_for_handler,
    [ZS_MSG_VOTE_PROPOSE_OK] = s_recv_for_handler,
    [ZS_MSG_VOTE_STATUS_OK] = s_recv_for_handler,
    [ZS_MSG_TASK_CHECKPOINT_OK] = s_recv_for_handler,
    [ZS_MSG_SUBMIT_OK] = s_recv_for_handler,
    [ZS_MSG_WAIT_OK] = s_recv_for_handler,
    [ZS_MSG_CANCEL_OK] = s_recv_for_handler,
    [ZS_MSG_TASK_OK] = s_recv_for_handler,
    [ZS_MSG_PROVIDER_STATE] = s_recv_for_handler,
    [ZS_MSG_AGENT_SYNC_OK] = s_recv_sync_ok,
    [ZS_MSG_HEARTBEAT] = s_recv_heartbeat,
};

static void
s_on_hello(void *ctx, zs_msg_t *hello)
{
    zs_agent_t *self = ctx;
    hello->atype = self->atype;
    hello->agent = self->id;
    hello->conc = self->conc_asked;
    hello->secret = self->secret[0] ? self->secret : NULL;
}

static uint64_t
s_on_load(void *ctx)
{
    return s_running(ctx);
}

static void
s_on_usage(void *ctx, zs_msg_t *heartbeat)
{
    zs_agent_t *self = ctx;
    zs_usage_read(&self->usage, &heartbeat->cpu, &heartbeat->rss);
}

//  ---- children ------------------------------------------------------------------------

static void
s_reap(void *owner)
{
    zs_agent_t *self = owner;
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (zs_voter_reaped(self->voter, pid, status)) {
            continue;
        }
        for (size_t i = 0; i < S_HANDLER_COUNT; i++) {
            if (s_handlers[i]->reaped &&
                s_handlers[i]->reaped(self->handlers[i], pid, status)) {
                break;
            }
        }
    }
}

static const zs_peer_ops_t s_peer_ops = {
    .hello_type = ZS_MSG_HELLO,
    .welcome_type = ZS_MSG_WELCOME,
    .session = {.hello = s_on_hello,
                .welcome = s_on_welcome,
                .recv = s_recv,
                .load = s_on_load,
                .usage = s_on_usage},
    .reap = s_reap,
};

//  ---- lifecycle -----------------------------------------------------------------------

static void
s_free_item(void **item)
{
    free(*item);
    *item = NULL;
}

static void
s_identity_init(zs_agent_t *self, const zs_agent_config_t *config)
{
    self->atype = zs_strdup(config->atype);
    self->id = config->id ? zs_strdup(config->id) : NULL;
    self->conc_asked = config->conc;
    snprintf(self->secret, sizeof self->secret, "%s",
             config->secret ? config->secret : "");
    self->parent = config->parent;
    self->debug = config->peer.debug;
    self->conc = config->conc ? config->conc : 1;
    self->active = -1;
    self->events = config->events ? zs_strdup(config->events) : NULL;
}

zs_agent_t *
zs_agent_new(const zs_agent_config_t *config, zs_error_t *err)
{
    assert(config);
    assert(config->atype);
    zs_agent_t *self = zs_calloc(1, sizeof *self);
    s_identity_init(self, config);
    self->peer = zs_peer_new(&config->peer, &s_peer_ops, self, err);
    if (!self->peer) {
        zs_agent_destroy(&self);
        return NULL;
    }
    self->loop = zs_peer_loop(self->peer);
    self->session = zs_peer_session(self->peer);
    self->starts = zhashx_new();
    zhashx_set_destructor(self->starts, s_free_item);
    self->estimates = zhashx_new();
    zhashx_set_destructor(self->estimates, s_free_item);
    self->peers = zhashx_new();
    self->delegated = zhashx_new();
    zs_handler_sink_t sink = {self, s_on_started, s_on_finished, s_on_send};
    for (size_t i = 0; i < S_HANDLER_COUNT; i++) {
        self->handlers[i] = s_handlers[i]->instance_new(self->loop, &sink);
    }
    self->voter = zs_voter_new(self->loop, s_on_cast, self);
    zs_listen_ops_t listen = {s_on_agent_event, s_on_gap};
    self->listen = zs_listen_new(self->loop, &listen, self);
    //  Orphans of our tasks come to us and are reaped with the rest, not left as
    //  zombies for an init that may not reap (containers)
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    return self;
}

void
zs_agent_destroy(zs_agent_t **self_p)
{
    assert(self_p);
    zs_agent_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < S_HANDLER_COUNT; i++) {
            if (self->handlers[i]) {
                s_handlers[i]->instance_destroy(&self->handlers[i]);
            }
        }
        zs_voter_destroy(&self->voter);
        zs_listen_destroy(&self->listen);
        zs_peer_destroy(&self->peer);
        zhashx_destroy(&self->starts);
        zhashx_destroy(&self->estimates);
        zhashx_destroy(&self->peers);
        zhashx_destroy(&self->delegated);
        free(self->atype);
        free(self->id);
        free(self->events);
        free(self);
        *self_p = NULL;
    }
}

int
zs_agent_run(zs_agent_t *self)
{
    assert(self);
    zsys_info("connecting to '%s' as type '%s'", s_endpoint(self), self->atype);
    if (self->parent) {
        zloop_timer(self->loop, ZS_AGENT_PARENT_MS, 0, s_on_parent_tick, self);
    }
    int rc = zs_peer_run(self->peer);
    for (size_t i = 0; i < S_HANDLER_COUNT; i++) {
        s_handlers[i]->kill_all(self->handlers[i]);
    }
    zs_voter_kill_all(self->voter);
    return rc;
}

bool
zs_agent_paused(zs_agent_t *self)
{
    assert(self);
    return self->paused;
}

bool
zs_agent_name_valid(const char *name)
{
    return zs_msg_name_valid(name, strlen(name), ZS_MSG_NAME_MAX);
}
