//  zs_msg - the zswarm wire protocol: message types, fields and the one codec for both
//
//  Every message is one msgpack map with short string keys: "v" (version), "t" (type
//  name) and the fields its type allows. One table (zs_msgtab.c) says, per type, which
//  fields are required and which optional; encode and decode are both driven by it, and
//  proto/PROTOCOL.md documents the same table for other languages.
//
//  Invariants of a decoded message: "v" equals ZS_MSG_VERSION; every required field of
//  its type is present; no key outside its type's table was sent; every string is within
//  its bound, valid UTF-8 and holds no NUL byte; every number is within its field's
//  range.
//  An optional field that is absent reads as zero, NULL or empty: the protocol gives no
//  optional field a meaning for zero other than "not set". A float is the exception:
//  0.0 is a price or a temperature like any other, so an absent float reads as NaN
//  (zs_msg_init sets every float field of the type to NaN) and a float field is set
//  exactly when it is not NaN; a decoded float is always finite. A nil in an optional
//  field, and an empty string in an optional name (a str field that cannot be empty),
//  read as absent too, as clients in other languages send them (PROTOCOL.md §2.3). A bin
//  is another exception: an empty bin is a value, so a bin field's pointer is set (its
//  size maybe 0) exactly when the frame carried a bin, and NULL when it carried none or
//  nil.
//
//  Decoding never trusts a length or a count: each is checked against the bytes left and
//  the field's bound before anything is allocated. Strings and bins of a decoded message
//  live in one arena owned by the message, so it outlives the ZeroMQ frame it came from.

#ifndef ZS_MSG_H
#define ZS_MSG_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/zs_util.h"

#define ZS_MSG_VERSION       1
#define ZS_MSG_FRAME_MAX     (4u << 20)   //  largest frame any socket accepts (4 MiB)
#define ZS_MSG_PAYLOAD_MAX   (1u << 20)   //  task payload bound (1 MiB)
#define ZS_MSG_OUTPUT_MAX    (64u << 10)  //  bound of a result's stdout and of its stderr
#define ZS_MSG_NAME_MAX      64           //  ids, types, hosts, handler and state names
#define ZS_MSG_NODE_NAME_MAX 32           //  node daemons' names
#define ZS_MSG_TEXT_MAX      1024         //  reasons and notes
#define ZS_MSG_LIST_MAX      64           //  items in caps and argv
#define ZS_MSG_ARG_MAX       4096         //  one argv item
#define ZS_MSG_AGENTS_MAX    10000        //  records in agents.ok
#define ZS_MSG_ITEMS_MAX     10000        //  payloads in a fan-out submit's items
#define ZS_MSG_URL_MAX       2048         //  a URL: an allow prefix, a provider's base
#define ZS_MSG_PATH_MAX      4096         //  a path on an agent's machine (download dir)
#define ZS_MSG_HEADER_MAX    256          //  an HTTP header name
#define ZS_MSG_MODEL_MAX     256          //  a provider's model ("org/model:tag" forms)
#define ZS_MSG_PROMPT_MAX    (64u << 10)  //  a system prompt or a prompt template
#define ZS_MSG_STREAM_MAX    (64u << 10)  //  streamed text in one task.progress
#define ZS_MSG_PROVIDERS_MAX 64           //  provider records in welcome, providers.ok
#define ZS_MSG_BUDGETS_MAX   1024         //  budget records: the swarm's and each type's

//  Bounds a coordinator puts on well-formed values (PROTOCOL.md §2.5, §10); every
//  program that checks such a value uses these, so they cannot drift apart
#define ZS_MSG_TMO_MAX          86400000  //  longest timeout of one attempt, ms: a day
#define ZS_MSG_TRIES_MAX        101  //  most attempts of a task: 100 retries and the first
#define ZS_MSG_CONC_MAX         1024  //  most attempts one agent runs at once
#define ZS_MSG_PRI_MAX          1000  //  priorities run -ZS_MSG_PRI_MAX..ZS_MSG_PRI_MAX
#define ZS_MSG_DEPS_MAX         64    //  dependencies one submit may name
#define ZS_MSG_INPUTS_MAX       64    //  inputs one submit may name (each a dependency)
#define ZS_MSG_CKPT_MAX         (64u << 10)  //  bytes of a task's checkpoint
#define ZS_MSG_COUNT_MAX        1000  //  agents of one type a scale or a swarm file asks for
#define ZS_MSG_NOTE_MAX         (64u << 10)  //  payload of an agent message (msg.send, msg.share)
#define ZS_MSG_KEY_MAX          256          //  bytes in a shared memory key
#define ZS_MSG_VALUE_MAX        (64u << 10)  //  bytes in a shared memory value
#define ZS_MSG_TAGS_MAX         16           //  tags of one shared memory entry, one type
#define ZS_MSG_RECORD_LIST_MAX  128  //  a list in a record: an agent's caps, hello's and type's
#define ZS_MSG_AMOUNT_MAX       1000000000000  //  a deposit adds at most this much, either way
#define ZS_MSG_OPTIONS_MAX      16             //  options of one vote
#define ZS_MSG_VOTE_DEADLINE_MS 10000  //  a vote's deadline when its proposal names none
#define ZS_MSG_WEIGHT_MAX       10     //  a ballot's own weight, 1 when absent
#define ZS_MSG_CONFIDENCE_MAX   1000   //  a ballot's confidence, per mille (absent: all)
#define ZS_MSG_REDIRECTS_MAX    20     //  redirects an http or download type follows
#define ZS_MSG_RETRIES_MAX      10     //  retries of one llm provider after its first try
#define ZS_MSG_HTTP_STATUS_MAX  999    //  an HTTP status code
#define ZS_MSG_TEMP_MAX         2      //  a sampling temperature runs 0..ZS_MSG_TEMP_MAX
#define ZS_MSG_PRICE_MAX        1000000     //  USD per million tokens
#define ZS_MSG_USD_MAX          1000000000  //  USD spent or budgeted
#define ZS_MSG_CALL_TOKENS_MAX  1000000000  //  input or output tokens one LLM call reports
//  "AGENT OPTION COUNTED CONFIDENCE WEIGHT", an item of vote.status.ok's ballots
#define ZS_MSG_BALLOT_MAX (2 * ZS_MSG_NAME_MAX + 32)

//  A local agent's proof of its slot (PROTOCOL.md §5.3): zswarmd puts a fresh secret of
//  ZS_MSG_SECRET_SIZE hex digits in each agent process's environment, and the agent says
//  it in its hello's "secret"
#define ZS_MSG_SECRET_ENV  "ZSWARM_AGENT_SECRET"
#define ZS_MSG_SECRET_SIZE 64

//  Message types. The wire name of each is zs_msg_type_name ().
typedef enum {
    ZS_MSG_INVALID = 0,
    //  session, on the agents socket
    ZS_MSG_HELLO,      //  "hello" agent -> coordinator
    ZS_MSG_WELCOME,    //  "welcome" coordinator -> agent
    ZS_MSG_HEARTBEAT,  //  "heartbeat" both ways
    ZS_MSG_BYE,        //  "bye" both ways
    ZS_MSG_ERROR,      //  "error" reply to any request that cannot be served
    //  tasks, on the agents socket
    ZS_MSG_TASK_ASSIGN,    //  "task.assign" coordinator -> agent
    ZS_MSG_TASK_ACK,       //  "task.ack" agent -> coordinator: the task started
    ZS_MSG_TASK_PROGRESS,  //  "task.progress" agent -> coordinator, and an event
    ZS_MSG_TASK_RESULT,    //  "task.result" agent -> coordinator
    ZS_MSG_TASK_CANCEL,    //  "task.cancel" coordinator -> agent
    ZS_MSG_TASK_OFFER,     //  "task.offer" coordinator -> agent: bid for this task
    ZS_MSG_TASK_BID,       //  "task.bid" agent -> coordinator: its bid
    //  checkpoints (PROTOCOL.md §7.3), on the agents socket
    ZS_MSG_TASK_CHECKPOINT,  //  "task.checkpoint" agent -> coordinator; a journal record
    ZS_MSG_TASK_CHECKPOINT_OK,  //  "task.checkpoint.ok" coordinator -> agent
    //  control, on the control socket: each request gets one "<name>.ok" or "error"
    ZS_MSG_SUBMIT,
    ZS_MSG_SUBMIT_OK,
    ZS_MSG_WAIT,
    ZS_MSG_WAIT_OK,
    ZS_MSG_TASK,
    ZS_MSG_TASK_OK,
    ZS_MSG_CANCEL,
    ZS_MSG_CANCEL_OK,
    ZS_MSG_STATUS,
    ZS_MSG_STATUS_OK,
    ZS_MSG_AGENTS,
    ZS_MSG_AGENTS_OK,
    ZS_MSG_SHUTDOWN,
    ZS_MSG_SHUTDOWN_OK,
    ZS_MSG_STOP,
    ZS_MSG_STOP_OK,
    ZS_MSG_SCALE,
    ZS_MSG_SCALE_OK,
    //  node daemons (zswarm-node), on the agents socket
    ZS_MSG_NODE_HELLO,    //  "node.hello" node -> coordinator
    ZS_MSG_NODE_WELCOME,  //  "node.welcome" coordinator -> node
    ZS_MSG_NODE_SPAWN,    //  "node.spawn" coordinator -> node: run count agents of atype
    //  topologies (PROTOCOL.md §6.1), on the agents socket and the control socket
    ZS_MSG_NEIGHBOURS,     //  "neighbours" coordinator -> agent: its peers changed
    ZS_MSG_MSG_SEND,       //  "msg.send" agent -> coordinator: to one peer
    ZS_MSG_MSG_SHARE,      //  "msg.share" agent -> coordinator: to every neighbour
    ZS_MSG_MSG,            //  "msg" coordinator -> agent: from a peer
    ZS_MSG_TASK_DELEGATE,  //  "task.delegate" lead -> coordinator: give it to a worker
    ZS_MSG_TASK_REPORT,    //  "task.report" coordinator -> lead: the worker's result
    ZS_MSG_TOPOLOGY,       //  "topology" control request: the live graph
    ZS_MSG_TOPOLOGY_OK,
    //  shared memory (PROTOCOL.md §8.1), on the control socket
    ZS_MSG_MEM_PUT,  //  "mem.put": write an entry
    ZS_MSG_MEM_PUT_OK,
    ZS_MSG_MEM_GET,  //  "mem.get": read an entry
    ZS_MSG_MEM_GET_OK,
    ZS_MSG_MEM_DEL,  //  "mem.del": delete an entry
    ZS_MSG_MEM_DEL_OK,
    ZS_MSG_MEM_QUERY,  //  "mem.query": keys by prefix and tags
    ZS_MSG_MEM_QUERY_OK,
    ZS_MSG_MEM_DEPOSIT,  //  "mem.deposit": add to a decaying signal
    ZS_MSG_MEM_DEPOSIT_OK,
    //  votes (PROTOCOL.md §8.2), on the control socket and the agents socket
    ZS_MSG_VOTE_PROPOSE,  //  "vote.propose": ask agents a question
    ZS_MSG_VOTE_PROPOSE_OK,
    ZS_MSG_VOTE_ASK,   //  "vote.ask" coordinator -> agent: cast a ballot
    ZS_MSG_VOTE_CAST,  //  "vote.cast" agent -> coordinator: its ballot
    ZS_MSG_VOTE_CAST_OK,
    ZS_MSG_VOTE_STATUS,  //  "vote.status": a vote's ballots and outcome
    ZS_MSG_VOTE_STATUS_OK,
    ZS_MSG_VOTE_LIST,  //  "vote.list": the votes kept
    ZS_MSG_VOTE_LIST_OK,
    //  LLM providers and budgets (PROTOCOL.md §8.3)
    ZS_MSG_PROVIDER_REPORT,  //  "provider.report" agent -> coordinator: a call ended
    ZS_MSG_PROVIDER_STATE,   //  "provider.state" coordinator -> agent, and an event
    ZS_MSG_PROVIDERS,        //  "providers" control request: providers and budgets
    ZS_MSG_PROVIDERS_OK,
    ZS_MSG_SPEND,      //  "spend": a journal record of tokens and money spent (§11)
    ZS_MSG_BROADCAST,  //  "broadcast" control request: a payload for every agent (of a
                       //  type)
    ZS_MSG_BROADCAST_OK,
    ZS_MSG_PAUSE,  //  "pause" control request: no new tasks for an agent or a type
    ZS_MSG_PAUSE_OK,
    ZS_MSG_RESUME,  //  "resume" control request: new tasks again
    ZS_MSG_RESUME_OK,
    ZS_MSG_AGENT_SYNC,     //  "agent.sync" agent -> coordinator: the state events carry
    ZS_MSG_AGENT_SYNC_OK,  //  "agent.sync.ok" coordinator -> agent
    //  a task's own channel to its agent (PROTOCOL.md §13), never on a socket
    ZS_MSG_INBOX,     //  "inbox" task -> agent: the next message the agent received
    ZS_MSG_INBOX_OK,  //  "inbox.ok" agent -> task: that message, or none
    //  events, on the events socket; the type name is also the topic frame. Two types
    //  are events as well as messages of the agents socket, by the same name:
    //  task.progress and provider.state
    ZS_MSG_EV_SWARM_STARTED,      //  "swarm.started"
    ZS_MSG_EV_SWARM_STOPPING,     //  "swarm.stopping"
    ZS_MSG_EV_AGENT_JOINED,       //  "agent.joined"
    ZS_MSG_EV_AGENT_LEFT,         //  "agent.left"
    ZS_MSG_EV_AGENT_EXITED,       //  "agent.exited": a local agent process ended
    ZS_MSG_EV_AGENT_TYPE_FAILED,  //  "agent.type_failed": restarted too often, given up
    ZS_MSG_EV_NODE_JOINED,        //  "node.joined"
    ZS_MSG_EV_NODE_LEFT,          //  "node.left"
    ZS_MSG_EV_TEAM_ELECTED,       //  "team.elected": an agent leads a team
    ZS_MSG_EV_MEM_CHANGED,   //  "mem.changed": an entry was written, deleted, expired
    ZS_MSG_EV_VOTE_OPENED,   //  "vote.opened": a vote was proposed
    ZS_MSG_EV_VOTE_DECIDED,  //  "vote.decided": a vote ended, with its outcome
    ZS_MSG_EV_TASK_PENDING,  //  "task.pending" ... one event per task state
    ZS_MSG_EV_TASK_READY,
    ZS_MSG_EV_TASK_ASSIGNED,
    ZS_MSG_EV_TASK_RUNNING,
    ZS_MSG_EV_TASK_COMPLETED,
    ZS_MSG_EV_TASK_FAILED,
    ZS_MSG_EV_TASK_DEAD,
    ZS_MSG_EV_TASK_CANCELLED,
    ZS_MSG_EV_BUDGET_SPENT,  //  "budget.spent": a budget is spent
    //  events addressed to agents: each also carries aseq (zs_msg_to_agents)
    ZS_MSG_EV_AGENT_BROADCAST,  //  "agent.broadcast": a broadcast's payload
    ZS_MSG_EV_AGENT_PAUSED,     //  "agent.paused": an agent, or a type, is paused
    ZS_MSG_EV_AGENT_RESUMED,    //  "agent.resumed": it takes new tasks again
    ZS_MSG_TYPE_COUNT
} zs_msg_type_t;

//  The vote strategies' names (PROTOCOL.md §8.2), in the order of zs_vote_strategy_t
#define ZS_MSG_VOTE_STRATEGIES 5
extern const char *const zs_msg_vote_strategies[ZS_MSG_VOTE_STRATEGIES];

//  Error codes carried by "error" messages (field "code").
typedef enum {
    ZS_ERR_MALFORMED = 1,       //  not a valid message: bad msgpack, field or bound
    ZS_ERR_VERSION = 2,         //  "v" is not ZS_MSG_VERSION
    ZS_ERR_UNKNOWN_TYPE = 3,    //  "t" unknown, or not accepted on this socket
    ZS_ERR_NOT_REGISTERED = 4,  //  agent message before hello/welcome: say hello again
    ZS_ERR_NO_TASK = 5,         //  no task with that id
    ZS_ERR_QUEUE_FULL = 6,      //  too many unfinished tasks; retry later
    ZS_ERR_INVALID = 7,         //  well-formed but not acceptable (a value out of range)
    ZS_ERR_SHUTTING_DOWN = 8,   //  the coordinator is stopping and accepts no new work
    ZS_ERR_FINISHED = 9,        //  the task already reached a final state
    ZS_ERR_LIMIT = 10,          //  a bound was reached (agents, waiters)
    ZS_ERR_FORBIDDEN = 11,      //  the topology does not allow that message or hand-off
    ZS_ERR_NO_KEY = 12,         //  no shared memory entry with that key
    ZS_ERR_CONFLICT = 13,       //  the entry's version is not the one the request names
    ZS_ERR_NO_VOTE = 14,        //  no vote with that id
    ZS_ERR_BUDGET = 15,         //  a budget is spent
} zs_err_code_t;

typedef struct {
    const char **items;  //  count strings, in the message's arena
    size_t count;        //  number of items
} zs_msg_list_t;

//  One record of agents.ok.
typedef struct {
    const char *agent;   //  agent id
    const char *atype;   //  agent type
    const char *host;    //  host name the agent reported
    const char *state;   //  "idle" (no task) or "busy"
    uint64_t pid;        //  process id on its host
    uint64_t conc;       //  tasks it may run at once
    uint64_t load;       //  tasks it runs now
    uint64_t done;       //  tasks it completed
    uint64_t failed;     //  attempts it failed
    bool local;          //  spawned and supervised by this coordinator
    const char *role;    //  its place in the topology: agent, peer, lead, worker, stage
    const char *lead;    //  the agent it reports to (hierarchical), if any
    uint64_t trust;      //  its trust score, per mille (0..1000)
    uint64_t trust_low;  //  the 95% lower bound of its trust, per mille
    bool paused;         //  given no new tasks (pause)
    uint64_t cpu;        //  CPU it used over its last heartbeat interval, per mille
    uint64_t rss;        //  its resident memory, bytes
    zs_msg_list_t caps;  //  what it can run besides its type (the hello's and the type's)
    zs_msg_list_t tags;  //  its type's tags in the swarm file
    const char *tier;    //  its type's tier in the swarm file, if any
} zs_msg_agent_t;

//  One record of welcome's providers: how to call one LLM provider, in the order of use
//  (the type's provider, then its fallbacks). A float that is NaN is absent.
typedef struct {
    const char *name;     //  "name": the provider's name in the swarm file
    const char *kind;     //  "kind": openai, anthropic or ollama
    const char *url;      //  "url": its base URL
    const char *model;    //  "model": the model to ask
    const char *key_env;  //  "key_env": environment variable holding its key, if any
    uint64_t tmo;         //  "tmo": ms one call may take
    double price_in;      //  "price_in": USD per million input tokens
    double price_out;     //  "price_out": USD per million output tokens
} zs_msg_provider_conf_t;

//  One record of providers.ok's providers: a provider as the coordinator sees it
typedef struct {
    const char *name;   //  "name": the provider's name
    const char *kind;   //  "kind": openai, anthropic or ollama
    const char *model;  //  "model": its model
    const char *state;  //  "state": closed, open, half_open, limited or bad
    uint64_t left;      //  "left": ms until it may be tried again
    uint64_t calls;     //  "calls": calls reported
    uint64_t fails;     //  "fails": calls that failed
    uint64_t tok_in;    //  "tok_in": input tokens spent
    uint64_t tok_out;   //  "tok_out": output tokens spent
    double usd;         //  "usd": USD spent (NaN: absent)
    uint64_t rpm;       //  "rpm": its requests per minute limit, 0 for none
    uint64_t tpm;       //  "tpm": its tokens per minute limit, 0 for none
    const char *why;    //  "why": its last failure
} zs_msg_provider_t;

//  One record of providers.ok's budgets: the swarm's, or an agent type's
typedef struct {
    const char *scope;  //  "scope": "swarm", or the agent type
    uint64_t tok;       //  "tok": tokens spent
    double usd;         //  "usd": USD spent (NaN: absent)
    uint64_t tok_max;   //  "tok_max": tokens it may spend, 0 for no bound
    double usd_max;     //  "usd_max": USD it may spend (NaN: no bound)
} zs_msg_budget_t;

//  One record of task.assign's inputs: the outcome of a task this one takes as input
typedef struct {
    const char *task;    //  "task": the input task's id
    const char *status;  //  "status": its final state (completed)
    const uint8_t *out;  //  "stdout": its result's stdout (bin)
    size_t out_size;     //  its length
    int64_t exit;        //  "exit": its exit code
} zs_msg_input_t;

typedef struct {
    const uint8_t *data;  //  the bytes
    size_t size;          //  their length
} zs_msg_bin_t;

typedef struct {
    const zs_msg_bin_t *items;  //  count bins, in the message's arena
    size_t count;               //  number of items
} zs_msg_bins_t;

//  A message. On encode, the caller points fields at its own data (borrowed for the
//  call); on decode, every pointer refers to the message's own arena. Field comments give
//  the wire key.
typedef struct {
    zs_msg_type_t type;      //  "t"
    uint64_t rid;            //  "rid": request id, echoed in the reply
    uint64_t seq;            //  "seq": event sequence number, swarm-wide, from 1
    const char *agent;       //  "agent": agent id
    const char *atype;       //  "atype": agent type
    zs_msg_list_t caps;      //  "caps": capabilities beyond the agent's type
    uint64_t conc;           //  "conc": concurrency, tasks at once
    const char *host;        //  "host": host name
    uint64_t pid;            //  "pid": process id
    bool local;              //  "local": agent spawned by the coordinator
    uint64_t hb;             //  "hb": heartbeat interval, ms
    uint64_t live;           //  "live": missed heartbeats before a peer is dead
    const char *handler;     //  "handler": builtin | exec
    zs_msg_list_t argv;      //  "argv": command for the exec handler
    uint64_t load;           //  "load": tasks running on the sender
    uint64_t code;           //  "code": zs_err_code_t of an error
    const char *why;         //  "why": reason, for humans
    const char *task;        //  "task": task id
    const char *ttype;       //  "ttype": task type, the capability it needs
    const uint8_t *payload;  //  "payload": task input (bin)
    size_t payload_size;     //  its length
    int64_t pri;             //  "pri": priority, higher runs first
    uint64_t tmo;            //  "tmo": timeout of one attempt, ms
    uint64_t tries;          //  "tries": attempts allowed in all, from 1
    uint64_t att;            //  "att": attempt number, from 1
    uint64_t pct;            //  "pct": progress, 0-100
    const char *note;        //  "note": progress note
    const char *status;  //  "status": outcome of an attempt: ok|fail|timeout|cancelled
    int64_t exit;        //  "exit": exit code, or -N for signal N
    const uint8_t *out;  //  "stdout": captured output (bin)
    size_t out_size;     //  its length
    const uint8_t *err;  //  "stderr": captured error output (bin)
    size_t err_size;     //  its length
    const char *state;   //  "state": task state name
    bool wait;           //  "wait": submit also replies wait.ok when the task ends
    bool dup;            //  "dup": submit found a task with that id already
    const char *name;    //  "name": swarm name
    zs_msg_agent_t *agents;  //  "agents": records of agents.ok
    size_t agent_count;      //  number of records
    uint64_t n_agents;       //  "n_agents": registered agents
    uint64_t n_ready;        //  "n_ready": tasks queued
    uint64_t n_running;      //  "n_running": tasks assigned or running
    uint64_t n_pending;      //  "n_pending": tasks waiting for their dependencies
    uint64_t n_completed;    //  "n_completed": tasks completed since start
    uint64_t n_dead;         //  "n_dead": tasks failed for good since start
    uint64_t n_cancelled;    //  "n_cancelled": tasks cancelled since start
    uint64_t n_submitted;    //  "n_submitted": tasks accepted since start
    uint64_t count;          //  "count": agents of a type to run (scale, node.spawn)
    const char *node;        //  "node": node daemon name
    uint64_t slots;          //  "slots": agents a node daemon may run at once
    zs_msg_list_t deps;      //  "deps": tasks that must complete before this one runs
    zs_msg_bins_t items;     //  "items": a fan-out's payloads, one task each (bins)
    const char *agg;         //  "agg": task type of a fan-out's aggregate task
    const char *strategy;    //  "strategy": scheduling strategy for this task
    zs_msg_list_t requires;  //  "requires": capabilities an agent needs besides ttype
    uint64_t bid;            //  "bid": an agent's price for a task offer, lower wins
    uint64_t ended;          //  "ended": when the task ended, ms since the Unix epoch
    uint64_t uptime_ms;      //  "uptime_ms": time since the coordinator started
    zs_msg_list_t peers;     //  "peers": agents that became neighbours
    zs_msg_list_t gone;      //  "gone": agents that are neighbours no more
    bool full;               //  "full": peers is the whole set: forget any other
    const char *role;        //  "role": the agent's place in the topology
    const char *lead;        //  "lead": the agent it reports to
    const char *topology;    //  "topology": star, mesh, hierarchical or ring
    zs_msg_list_t links;     //  "links": "A B" for each pair of neighbours
    uint64_t n_forbidden;    //  "n_forbidden": messages the topology refused
    const char *key;         //  "key": a shared memory entry's key
    const uint8_t *value;    //  "value": its bytes (bin)
    size_t value_size;       //  their length
    zs_msg_list_t tags;      //  "tags": labels to query it by
    uint64_t ttl;            //  "ttl": ms it lives after a write; 0: until deleted
    const char *access;      //  "access": private | team | swarm
    uint64_t version;        //  "version": its version, from 1 at creation
    bool cas;             //  "cas": write or delete only if version matches (0: absent)
    const char *prefix;   //  "prefix": keys a query selects by their start
    zs_msg_list_t keys;   //  "keys": the keys a query found
    uint64_t expires;     //  "expires": when it expires, ms since the Unix epoch
    int64_t amount;       //  "amount": what a deposit adds to a signal
    uint64_t half_life;   //  "half_life": ms in which a signal loses half its level
    int64_t level;        //  "level": a signal's level now, rounded
    uint64_t top;         //  "top": a query for the strongest signals: how many
    int64_t level_micro;  //  "level_micro": a journal record's level, in millionths
    uint64_t at;          //  "at": when level_micro was measured, ms since the Unix epoch
    const char *vote;     //  "vote": a vote's id
    const char *question;     //  "question": what a vote asks
    zs_msg_list_t options;    //  "options": the answers a vote allows
    zs_msg_list_t voters;     //  "voters": the agent types a vote asks (empty: all)
    uint64_t deadline;        //  "deadline": ms a vote stays open
    const char *option;       //  "option": a ballot's answer, a vote's decision
    uint64_t confidence;      //  "confidence": a ballot's, per mille (0: 1000)
    uint64_t weight;          //  "weight": a ballot's own weight (0: 1)
    zs_msg_list_t ballots;    //  "ballots": "AGENT OPTION COUNTED CONFIDENCE WEIGHT" each
    zs_msg_list_t votes;      //  "votes": ids of the votes kept
    uint64_t cast;            //  "cast": ballots cast so far
    zs_msg_list_t vote_argv;  //  "vote_argv": the command that answers votes (welcome)
    const char *secret;       //  "secret": a local agent's proof of its slot (hello)
    const char *addr;         //  "addr": the address a peer connected from
    uint64_t queued_bytes;    //  "queued_bytes": bytes unfinished tasks hold
    uint64_t results_bytes;   //  "results_bytes": bytes the kept results hold
    //  what an http or download type may do (welcome)
    zs_msg_list_t allow;     //  "allow": URL prefixes the type may reach
    uint64_t max_body;       //  "max_body": bytes of a response body an http type keeps
    uint64_t max_redirects;  //  "max_redirects": redirects followed (0: none)
    zs_msg_list_t headers;   //  "headers": response headers an http type returns
    const char *dir;         //  "dir": where a download type writes its files
    uint64_t max_size;       //  "max_size": bytes of one download
    //  how an llm type calls its providers (welcome)
    zs_msg_provider_conf_t *provider_confs;  //  "providers": in the order of use
    size_t provider_conf_count;              //  number of records
    const char *system;                      //  "system": the system prompt
    const char *prompt;                      //  "prompt": the prompt template
    uint64_t max_tokens;                     //  "max_tokens": tokens one answer may take
    double temp;        //  "temp": sampling temperature (NaN: the provider's own)
    bool stream;        //  "stream": ask for the answer as a stream
    bool final;         //  "final": a failed attempt that no retry would mend
    uint64_t retries;   //  "retries": retries of one provider after its first try
    uint64_t backoff;   //  "backoff": ms before the first retry, doubled after
    uint64_t max_wait;  //  "max_wait": longest Retry-After waited, ms
    uint64_t tok_max;   //  "tok_max": tokens a task, or a budget, may spend
    double usd_max;     //  "usd_max": USD a task, or a budget, may spend
    //  progress of a transfer or a streamed answer
    uint64_t bytes;    //  "bytes": bytes transferred so far
    uint64_t total;    //  "total": bytes expected in all (0: unknown)
    uint64_t rate;     //  "rate": bytes per second
    const char *text;  //  "text": streamed text since the last progress
    //  LLM providers' calls and what they cost
    const char *provider;  //  "provider": a provider's name
    uint64_t tok_in;       //  "tok_in": input tokens
    uint64_t tok_out;      //  "tok_out": output tokens
    double usd;            //  "usd": USD spent
    const char *outcome;   //  "outcome": how a provider call ended
    uint64_t retry;        //  "retry": ms a provider asked to wait (Retry-After)
    uint64_t ms;           //  "ms": how long a provider call took
    uint64_t http;         //  "http": the HTTP status a provider answered (0: none)
    uint64_t left;         //  "left": ms until a provider may be tried again
    const char *scope;     //  "scope": a budget's: "swarm" or an agent type
    uint64_t tok;          //  "tok": tokens a budget's scope spent
    zs_msg_provider_t *providers;  //  "providers": records of providers.ok
    size_t provider_count;         //  number of records
    zs_msg_budget_t *budgets;      //  "budgets": records of providers.ok
    size_t budget_count;           //  number of records
    //  agents on the events socket, pause and resource use
    uint64_t aseq;       //  "aseq": sequence number of the events addressed to agents
    bool paused;         //  "paused": the agent is given no new tasks
    const char *events;  //  "events": the events endpoint an agent subscribes to
    uint64_t cpu;        //  "cpu": CPU used over the last heartbeat interval, per mille
    uint64_t rss;        //  "rss": resident memory, bytes
    //  data between steps, checkpoints, subtasks (PROTOCOL.md §7.1, §7.3, §7.4)
    zs_msg_list_t inputs;           //  "inputs" (submit): tasks whose results it takes
    zs_msg_input_t *input_records;  //  "inputs" (task.assign): those results, in order
    size_t input_count;             //  number of records
    const uint8_t *ckpt;            //  "ckpt": the last checkpoint (task.assign)
    size_t ckpt_size;               //  its length
    const uint8_t *data;            //  "data": a checkpoint's bytes (task.checkpoint)
    size_t data_size;               //  their length
    uint64_t ckpt_bytes;            //  "ckpt_bytes": bytes of the task's checkpoint
    const char *parent;             //  "parent": the task that submitted this one
    zs_msg_list_t children;         //  "children": the tasks it submitted
    void *arena_;                   //  owned by a decoded message; NULL otherwise
} zs_msg_t;

//  Start a message of the given type with every field absent: zero, NULL or empty, and
//  NaN for the float fields of that type (a float member the type does not carry is
//  0.0 and never read).
void zs_msg_init(zs_msg_t *self, zs_msg_type_t type);

//  Free what a decoded message owns and leave it as zs_msg_init (ZS_MSG_INVALID) would.
void zs_msg_fini(zs_msg_t *self);

//  Wire name of a type ("task.assign"), or "invalid".
const char *zs_msg_type_name(zs_msg_type_t type);

//  True for the events addressed to agents, which carry aseq besides seq.
bool zs_msg_to_agents(zs_msg_type_t type);

//  Type for a wire name, or ZS_MSG_INVALID.
zs_msg_type_t zs_msg_type_from_name(const char *name, size_t size);

//  Encode self into buf, which is cleared first. Required fields must be set; an
//  optional field is written when it is not zero/NULL/empty, an empty name counting as
//  empty and a bin whose pointer is set (size 0 included) as set. Returns 0, or -1 when a
//  required field is missing or a value is out of bounds or not UTF-8 (a bug in the
//  caller; logged), and buf is then empty.
int zs_msg_encode(const zs_msg_t *self, msgpack_sbuffer *buf);

//  Decode one frame into self (which must not hold a decoded message). Returns 0 with
//  self owning its data, or -1 with err->code a zs_err_code_t (ZS_ERR_MALFORMED,
//  ZS_ERR_VERSION or ZS_ERR_UNKNOWN_TYPE) and err->text saying what was wrong; self is
//  then empty and need not be finished, though zs_msg_fini is harmless. On failure
//  self->rid still holds the frame's "rid" if one could be read as a uint (else 0), so
//  an error reply can echo it. A decoded bin is followed by a NUL byte in the arena
//  (not counted in its size), so a text payload can be used as a C string.
int zs_msg_decode(zs_msg_t *self, const void *data, size_t size, zs_error_t *err);

//  Encode self into buf and send it on a libzmq socket, after an optional first frame
//  (the peer identity on a ROUTER, the topic on a PUB; NULL for none). flags
//  (ZMQ_DONTWAIT) apply to every frame. Returns 0, or -1 with errno (EINVAL when self
//  cannot be encoded, else zmq_send's: EAGAIN, EHOSTUNREACH, ...) and nothing sent.
int zs_msg_send(const zs_msg_t *self,
                void *socket,
                const void *prefix,
                size_t prefix_size,
                int flags,
                msgpack_sbuffer *buf);

//  True when name is 1..max bytes of [A-Za-z0-9._:-]: the form of task ids, agent ids
//  and types, and node names, wherever they enter. A NUL within size fails.
bool zs_msg_name_valid(const char *name, size_t size, size_t max);

//  True when name (a C string) can name a node daemon: 1..ZS_MSG_NODE_NAME_MAX of
//  [A-Za-z0-9._:-]. Shorter than other names, since a node prefixes its agents' ids
//  ("NODE.TYPE-N").
bool zs_msg_node_name_valid(const char *name);

//  True when size bytes of text are valid UTF-8 without a NUL byte: what every str
//  field must be, for a client to check its input before it sends it.
bool zs_msg_text_valid(const char *text, size_t size);

//  Print self as one line of JSON on stream, newline included, keys as on the wire. Every
//  integer and bool of the type is printed, zero when absent (absent reads as zero);
//  floats, strings and bins only when set, record arrays always. A float is printed with
//  the fewest digits that read back as the same double. Bins are printed as strings with
//  invalid UTF-8 and control bytes escaped. Returns 0, or -1 on write error.
int zs_msg_print_json(const zs_msg_t *self, FILE *stream);

#endif
