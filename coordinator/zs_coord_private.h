//  zs_coord_private - the coordinator's state, shared by the files of the coordinator:
//  zs_coord.c (agents, tasks, life cycle), zs_coord_submit.c (a client's submit),
//  zs_control.c (control requests) and the zs_coord_*.c files named below. Nothing
//  else includes it.

#ifndef ZS_COORD_PRIVATE_H
#define ZS_COORD_PRIVATE_H

#include "broker/zs_broker.h"
#include "coordinator/zs_coord.h"
#include "coordinator/store/zs_journal.h"
#include "coordinator/store/zs_mem.h"
#include "coordinator/zs_owners.h"
#include "coordinator/sched/zs_sched.h"
#include "supervisor/zs_spawn.h"

#define ZS_COORD_AGENTS_MAX  ZS_MSG_AGENTS_MAX  //  registered agents at once
#define ZS_COORD_WAITERS_MAX 64                 //  clients waiting on one task
#define ZS_COORD_ID_STEM     48                 //  bytes of a type kept in a made-up id
#define ZS_COORD_LOG_SAMPLE  256  //  bytes of peer text (escaped) in one log line

//  A client waiting for a task to end.
typedef struct s_waiter_t {
    zs_client_ref_t client;   //  where the reply goes
    uint64_t rid;             //  request id to echo
    struct s_waiter_t *next;  //  next waiter of the same task
} zs_waiter_t;

typedef struct zs_coord_node_t zs_coord_node_t;    //  a node daemon, in zs_coord_node.c
typedef struct zs_coord_votes_t zs_coord_votes_t;  //  the votes, in zs_coord_vote.c

//  Who sent a request both sockets take (mem.*, vote.*): a control client or an agent
typedef struct {
    const zs_client_ref_t *client;  //  borrowed, or NULL
    zs_agent_t *agent;              //  borrowed, or NULL
} zs_coord_asker_t;

typedef enum {
    ZS_COORD_SERVING,   //  normal operation
    ZS_COORD_DRAINING,  //  no new tasks; running ones may finish
    ZS_COORD_STOPPING,  //  agents told to stop; waiting for them to exit
    ZS_COORD_DONE,      //  the loop is to end
} zs_coord_phase_t;

typedef struct {
    uint64_t submitted;  //  tasks accepted
    uint64_t completed;  //  tasks completed
    uint64_t dead;       //  tasks failed for good
    uint64_t cancelled;  //  tasks cancelled
    uint64_t late;       //  results dropped: attempt no longer expected
    uint64_t forbidden;  //  messages and hand-offs the topology refused
} zs_coord_counts_t;

//  Bytes held by tasks, as zs_task_bytes counts them; zs_coord_bounds.c keeps them
typedef struct {
    size_t queued;   //  by unfinished tasks, bounded by tasks.max_queue_bytes
    size_t results;  //  by kept final tasks, bounded by tasks.keep_results_bytes
} zs_coord_bytes_t;

struct zs_coord_t {
    const zs_swarm_t *swarm;     //  borrowed
    zloop_t *loop;               //  owned
    zs_broker_t *broker;         //  owned
    zs_auth_t *auth;             //  owned, NULL without security
    char *local_cert_path;       //  local agents' secret cert, owned, or NULL
    char *local_dir;             //  private dir holding a made one, owned, or NULL
    zs_registry_t *registry;     //  owned
    zs_owners_t *owners;         //  which key owns each agent id, owned
    zs_owners_t *node_owners;    //  which key owns each node name, owned
    zs_ratelimit_t hello_log;    //  limits logs of refused hellos
    zs_sched_t *sched;           //  owned
    zs_spawn_t *spawn;           //  owned: the local agents' supervisor
    zhashx_t *nodes;             //  name -> zs_coord_node_t *, owns the nodes
    zhashx_t *tasks;             //  id -> zs_task_t *, owns the tasks
    zs_task_t *done_head;        //  oldest final task kept for wait/task
    zs_task_t *done_tail;        //  newest final task
    size_t done_count;           //  final tasks kept
    size_t unfinished;           //  tasks not final
    zs_coord_bytes_t bytes;      //  what the tasks hold
    uint64_t order;              //  submit order counter
    uint32_t nonce;              //  random per run, prefix of generated task ids
    unsigned remote_ids;         //  counter for ids given to agents that have none
    zs_coord_counts_t counts;    //  since start
    int signal_fd;               //  signalfd, borrowed
    zmq_pollitem_t signal_item;  //  its poll item
    int tick_timer;              //  timeouts and housekeeping timer
    zs_coord_phase_t phase;      //  serving, draining, stopping
    int64_t phase_deadline_ms;   //  when the current stop phase gives up
    int64_t started_ms;          //  zclock_mono at start
    zs_journal_t *journal;       //  owned, NULL when the swarm keeps none
    msgpack_sbuffer record;      //  encode buffer for journal records
    uint64_t compacted_size;     //  journal bytes at the last compaction; live at start
    zs_ratelimit_t journal_log;  //  limits logs of journal write failures
    bool accepts_unsynced;       //  accepted tasks appended since the last commit
    bool redispatch;             //  tasks were requeued: feed the agents at batch end
    zlistx_t *doomed;            //  dependants to end as dead (zs_coord_graph.c), owned
    zhashx_t *replay_results;    //  id -> zchunk_t *: items' results, during a replay
    zhashx_t *replay_wanted;     //  items whose results to keep, during a replay
    bool dooming;                //  doomed is being drained
    zhashx_t *leads;             //  team (lead type) -> its lead agent, borrowed
    zhashx_t *leaderless;        //  team -> int64_t *: since when members wait for a lead
    zs_mem_t *mem;               //  shared memory, owned
    zs_coord_votes_t *votes;     //  open and kept votes, owned
};

//  Accept a submit (decoded, borrowed) from a client: creates, queues and dispatches the
//  task, replying submit.ok or error. In zs_coord_submit.c.
void
zs_coord_submit(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg);

//  Make and record a task from a submit (borrowed) under id; it is not started yet
//  (zs_coord_start). Returns it, owned by the task table. In zs_coord_submit.c.
zs_task_t *zs_coord_accept(
    zs_coord_t *self, const zs_msg_t *msg, const char *id, unsigned tmo, unsigned tries);

//  Send an error to an agent's peer, about task (may be NULL). In zs_coord.c.
void zs_coord_agent_error(zs_coord_t *self,
                          zs_peer_t *peer,
                          zs_err_code_t code,
                          const char *why,
                          const char *task);

//  Why a session of peer replaced old_peer's, for logs and events: where each came from
//  (into why, size bytes); logged as a warning when they came from different addresses.
//  In zs_coord.c.
void zs_coord_takeover_why(const zs_peer_t *peer,
                           const zs_peer_t *old_peer,
                           char *why,
                           size_t size);

//  Record a new task (owned from now by the task table), route it, journal it. In
//  zs_coord_submit.c.
void zs_coord_adopt(zs_coord_t *self, zs_task_t *task);

//  A task of a team's type goes to its lead (ZS_ROUTE_LEAD). In zs_coord_submit.c.
void zs_coord_route(zs_coord_t *self, zs_task_t *task);

//  Start an accepted task: queue a ready one, link a pending one to its dependencies
//  (zs_coord_graph_settle then ends any that cannot run). In zs_coord_submit.c.
void zs_coord_start(zs_coord_t *self, zs_task_t *task);

//  Cancel a task that is not final, for why: it leaves its queue or agent. In
//  zs_coord.c.
void zs_coord_cancel(zs_coord_t *self, zs_task_t *task, const char *why);

//  Reply wait.ok for task now if it is final, else remember the waiter. Returns 0, or
//  -1 when the task has too many waiters. In zs_coord_final.c.
int zs_coord_wait(zs_coord_t *self,
                  zs_task_t *task,
                  const zs_client_ref_t *client,
                  uint64_t rid);

//  Begin the orderly stop: drain, stop agents, end the loop; a second call during the
//  drain skips it. In zs_coord_stop.c.
void zs_coord_stop(zs_coord_t *self, const char *why);

//  Open the swarm's journal, if it names one, and rebuild the task table from it: tasks
//  that had not ended are ready again, ended ones keep their results. damage decides
//  about valid records after damage (zs_journal_open). Returns 0, or -1 with err filled.
//  In zs_coord_journal.c.
int zs_coord_journal_open(zs_coord_t *self, zs_journal_damage_t damage, zs_error_t *err);

//  Send reply (its rid set) / an error for err to whoever asked. In zs_coord.c.
void zs_coord_answer(zs_coord_t *self,
                     const zs_coord_asker_t *asker,
                     zs_msg_t *reply,
                     uint64_t rid);
void zs_coord_refuse(zs_coord_t *self,
                     const zs_coord_asker_t *asker,
                     const zs_error_t *err,
                     uint64_t rid);

//  Record that a task was accepted / reached a final state. In zs_coord_journal.c.
void zs_coord_journal_accepted(zs_coord_t *self, const zs_task_t *task);
void zs_coord_journal_ended(zs_coord_t *self, const zs_task_t *task);

//  Make recorded changes durable under the policy, then send the replies held until
//  now. Called after every batch of work. In zs_coord_journal.c.
int zs_coord_sync(zs_coord_t *self);

//  Housekeeping: evict results past their age, compact a grown journal. In
//  zs_coord_journal.c.
void zs_coord_journal_maintain(zs_coord_t *self);

//  Keep a final task for wait/task, evicting the oldest beyond the bound. In
//  zs_coord_final.c.
void zs_coord_keep_final(zs_coord_t *self, zs_task_t *task);

//  After a batch of work: give requeued tasks to agents, then zs_coord_sync. In
//  zs_coord_dispatch.c.
void zs_coord_settle(zs_coord_t *self);

//  The strategy that places task: its own, else its type's in the swarm file, else the
//  swarm's. In zs_coord_dispatch.c.
zs_strategy_t zs_coord_strategy(zs_coord_t *self, const zs_task_t *task);

//  Send a ready task (in no queue, backlog or auction) to agent, which has room, as
//  its next attempt. In zs_coord_dispatch.c.
void zs_coord_assign(zs_coord_t *self, zs_agent_t *agent, zs_task_t *task);

//  Offer a ready task that waits nowhere to every capable agent with room, and start
//  its deadline. Returns 0, or -1 when no capable agent has room (the task is left as
//  it was). In zs_coord_auction.c.
int zs_coord_auction_open(zs_coord_t *self, zs_task_t *task);

//  A task.bid from agent: the agents socket's handler. In zs_coord_auction.c.
void zs_coord_auction_bid(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg);

//  Give an agent queued work until it is full. In zs_coord_dispatch.c.
void zs_coord_feed_agent(zs_coord_t *self, zs_agent_t *agent);

//  Give queued tasks of one type to agents until one side runs out. In
//  zs_coord_dispatch.c.
void zs_coord_dispatch_type(zs_coord_t *self, const char *ttype);

//  Queue a task that became ready, and say so. In zs_coord_dispatch.c.
void zs_coord_make_ready(zs_coord_t *self, zs_task_t *task);

//  An attempt failed (its outcome recorded in the task): queue it again while attempts
//  are left, else it is dead. In zs_coord_dispatch.c.
void zs_coord_attempt_failed(zs_coord_t *self, zs_task_t *task);

//  Take a task off its agent (lost, timed out) and fail the attempt with status and
//  why. In zs_coord_dispatch.c.
void zs_coord_abort_attempt(zs_coord_t *self,
                            zs_task_t *task,
                            const char *status,
                            const char *why);

//  Publish the event of a task's current state, with why (may be NULL). In zs_coord.c.
void zs_coord_publish_task(zs_coord_t *self, const zs_task_t *task, const char *why);

//  A task reached a final state: count it, record it, answer its waiters, keep it. In
//  zs_coord.c.
void zs_coord_task_final(zs_coord_t *self, zs_task_t *task);

//  Drop a kept final task (evicted, or its id reused). In zs_coord_final.c.
void zs_coord_forget(zs_coord_t *self, zs_task_t *task);

//  Evict the oldest kept final task. In zs_coord_final.c.
void zs_coord_evict_oldest(zs_coord_t *self);

//  Publish a swarm.started/swarm.stopping event. In zs_coord.c.
void zs_coord_publish_swarm(zs_coord_t *self, zs_msg_type_t type, const char *why);

//  Send reply (its rid set per waiter) to every client waiting on task and forget
//  them; with reply NULL only forget them (broker may then be NULL). In
//  zs_coord_final.c.
void zs_coord_answer_waiters(zs_broker_t *broker, zs_task_t *task, zs_msg_t *reply);

//  Answer every client waiting on task, which is final, with wait.ok. In
//  zs_coord_final.c.
void zs_coord_reply_waiters(zs_coord_t *self, zs_task_t *task);

//  True when one more client may wait on task (ZS_COORD_WAITERS_MAX). In
//  zs_coord_final.c.
bool zs_coord_can_wait(const zs_task_t *task);

//  Answer every waiting client with error SHUTTING_DOWN. In zs_coord_stop.c.
void zs_coord_fail_waiters(zs_coord_t *self);

//  With security: load the certificate and keys and make or load the local agents'
//  certificate. Returns 0 (also without security), or -1 with err naming the path.
//  In zs_coord_auth.c.
int zs_coord_auth_open(zs_coord_t *self, zs_error_t *err);

//  Stop authenticating and remove a local agents' certificate we made. In
//  zs_coord_auth.c.
void zs_coord_auth_close(zs_coord_t *self);

//  Know the nodes the swarm file places agents on / forget every node. In
//  zs_coord_node.c.
void zs_coord_nodes_init(zs_coord_t *self);
void zs_coord_nodes_fini(zs_coord_t *self);

//  A node.hello (borrowed) on a new peer: the broker's hello op for nodes. Returns 0
//  after node.welcome and the node.spawn messages, or -1 after an error reply. In
//  zs_coord_node.c.
int zs_coord_node_hello(zs_coord_t *self, zs_peer_t *peer, const zs_msg_t *msg);

//  A node's session ended: silence, bye, or takeover. In zs_coord_node.c.
void zs_coord_node_gone(zs_coord_t *self, zs_peer_t *peer, const char *why);

//  Send bye (borrowed) to every node with a session. In zs_coord_node.c.
void zs_coord_nodes_bye(zs_coord_t *self, const zs_msg_t *bye);

//  Make node msg->node run msg->count agents of type (a type of the swarm file, count
//  within bounds): remember the count and send node.spawn. Returns NULL, or why not
//  (in why, size bytes, or static) with *code set. In zs_coord_node.c.
const char *zs_coord_node_scale(zs_coord_t *self,
                                const zs_swarm_type_t *type,
                                const zs_msg_t *msg,
                                zs_err_code_t *code,
                                char *why,
                                size_t size);

//  Why a submit's deps, items or agg cannot make tasks under id, or NULL; *code set.
//  why (size bytes) may hold the text. In zs_coord_graph.c.
const char *zs_coord_graph_refusal(zs_coord_t *self,
                                   const zs_msg_t *msg,
                                   const char *id,
                                   zs_err_code_t *code,
                                   char *why,
                                   size_t size);

//  Tasks a submit makes: 1, or its items and an aggregate. In zs_coord_graph.c.
size_t zs_coord_graph_size(const zs_msg_t *msg);

//  Accept a fan-out (valid): its items ID.1 .. ID.N, then its aggregate ID, which is
//  returned; none is started. In zs_coord_graph.c.
zs_task_t *zs_coord_graph_fan_out(
    zs_coord_t *self, const zs_msg_t *msg, const char *id, unsigned tmo, unsigned tries);

//  Start a fan-out's items ID.1 .. ID.count (after its aggregate). In zs_coord_graph.c.
void zs_coord_graph_start_items(zs_coord_t *self, const char *id, size_t count);

//  Link a pending task to its dependencies: it waits for the unfinished ones, takes the
//  completed ones (an aggregate, their results) and is doomed by a failed one; it is
//  released at once when none is left. In zs_coord_graph.c.
void zs_coord_graph_link(zs_coord_t *self, zs_task_t *task);

//  A task reached its final state: its dependants count down, or are doomed. Call
//  before the task may be evicted. In zs_coord_graph.c.
void zs_coord_graph_final(zs_coord_t *self, zs_task_t *task);

//  End every doomed task as dead (after linking). In zs_coord_graph.c.
void zs_coord_graph_settle(zs_coord_t *self);

//  Submit the swarm file's workflow steps that are not known yet (from the journal),
//  in order. In zs_coord_graph.c.
void zs_coord_graph_workflow(zs_coord_t *self);

//  Create / free the graph's state. In zs_coord_graph.c.
void zs_coord_graph_init(zs_coord_t *self);
void zs_coord_graph_fini(zs_coord_t *self);

//  Work out a registered agent's place in the topology, choose a team's first lead, and
//  tell it and the agents linked to it. In zs_coord_topology.c.
void zs_coord_topology_joined(zs_coord_t *self, zs_agent_t *agent);

//  Every heartbeat, outside any walk of the registry: agents a neighbours message could
//  not reach are told their whole set again, and a team whose members waited a
//  liveness period for an agent of the lead type elects one of them. In
//  zs_coord_topology.c.
void zs_coord_topology_tick(zs_coord_t *self);

//  The id of the lead agent reports to, or NULL (it leads, or has no team or lead). In
//  zs_coord_topology.c.
const char *zs_coord_topology_lead_id(zs_coord_t *self, const zs_agent_t *agent);

//  An agent is about to be removed: tell its neighbours, and elect a new lead if it led
//  (the team's member registered longest ago). In zs_coord_topology.c.
void zs_coord_topology_leaving(zs_coord_t *self, zs_agent_t *agent);

//  msg.send, msg.share and task.delegate from agent: the agents socket's handlers. In
//  zs_coord_topology.c.
void zs_coord_topology_send(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg);
void zs_coord_topology_share(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg);
void zs_coord_topology_delegate(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg);

//  A task reached its final state: a worker's work is reported to its lead; a team
//  task's unfinished work is cancelled. In zs_coord_topology.c.
void zs_coord_topology_final(zs_coord_t *self, zs_task_t *task);

//  Why the topology cannot make a submit's task(s) under id (ring stage ids, a team
//  task's work id), or NULL; why (size bytes) may hold the text. In
//  zs_coord_topology.c.
const char *zs_coord_topology_refusal(
    zs_coord_t *self, const zs_msg_t *msg, const char *id, char *why, size_t size);

//  Accept a ring task's stages ID.1 .. ID.n-1 and ID, the last, which is returned; none
//  is started. Start stages ID.n-1 .. ID.1 (after ID). In zs_coord_topology.c.
zs_task_t *zs_coord_topology_ring_accept(
    zs_coord_t *self, const zs_msg_t *msg, const char *id, unsigned tmo, unsigned tries);
void zs_coord_topology_ring_start(zs_coord_t *self, const char *id);

//  Create / free the topology's state. In zs_coord_topology.c.
void zs_coord_topology_init(zs_coord_t *self);
void zs_coord_topology_fini(zs_coord_t *self);

//  A shared memory request (mem.put, mem.get, mem.del, mem.query, mem.deposit) from a
//  control client / from an agent: served and answered. In zs_coord_mem.c.
void
zs_coord_mem_client(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg);
void zs_coord_mem_agent(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg);

//  Every heartbeat: remove expired entries (journaled, published). In zs_coord_mem.c.
void zs_coord_mem_tick(zs_coord_t *self);

//  Create / free the shared memory. In zs_coord_mem.c.
void zs_coord_mem_init(zs_coord_t *self);
void zs_coord_mem_fini(zs_coord_t *self);

//  A vote request (vote.propose, vote.status, vote.list) from a control client / those
//  and vote.cast from an agent: served and answered. In zs_coord_vote.c.
void zs_coord_vote_client(zs_coord_t *self,
                          const zs_client_ref_t *client,
                          const zs_msg_t *msg);
void zs_coord_vote_agent(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg);

//  The swarm starts to stop: every open vote ends now, with the ballots it has, and says
//  why. In zs_coord_vote.c.
void zs_coord_vote_stop(zs_coord_t *self);

//  Create / free the votes. In zs_coord_vote.c.
void zs_coord_vote_init(zs_coord_t *self);
void zs_coord_vote_fini(zs_coord_t *self);

//  Record that a shared memory entry was written / deleted or expired. In
//  zs_coord_journal.c.
void zs_coord_journal_mem_put(zs_coord_t *self, const zs_mem_entry_t *entry);
void zs_coord_journal_mem_del(zs_coord_t *self, const char *key);

//  Whether count more unfinished tasks holding bytes fit within tasks.max_queue and
//  tasks.max_queue_bytes: 0, or -1 with err (ZS_ERR_QUEUE_FULL) naming the bound and
//  its value. In zs_coord_bounds.c.
int zs_coord_bounds_check(zs_coord_t *self, size_t count, size_t bytes, zs_error_t *err);

//  Bytes the tasks of a submit (borrowed) will hold when accepted (zs_task_measure),
//  a ring task's stages included. In zs_coord_bounds.c.
size_t zs_coord_bounds_measure(zs_coord_t *self, const zs_msg_t *msg);

//  Count an unfinished task's bytes: it is new, or they changed. In zs_coord_bounds.c.
void zs_coord_bounds_charge(zs_coord_t *self, zs_task_t *task);

//  An attempt failed, its outcome recorded: its output is kept for the retry within
//  tasks.max_queue_bytes, past it only its status, exit code and reason. In
//  zs_coord_bounds.c.
void zs_coord_bounds_failed(zs_coord_t *self, zs_task_t *task);

//  A final task is kept: its input is freed, its result counts among the kept ones /
//  a kept task is forgotten. In zs_coord_bounds.c.
void zs_coord_bounds_keep(zs_coord_t *self, zs_task_t *task);
void zs_coord_bounds_forget(zs_coord_t *self, zs_task_t *task);

//  After a replay: warn when the journal's tasks pass the bounds, which refuse every
//  submit until they drain. In zs_coord_bounds.c.
void zs_coord_bounds_replayed(zs_coord_t *self);

//  Handle one control request. In zs_control.c.
void zs_control_handle(zs_coord_t *self, const zs_client_ref_t *client, zs_msg_t *msg);

#endif
