//  zs_swarm - a swarm file: loaded from YAML, validated, then read-only
//
//  A swarm file says what to run: the swarm's name, its sockets, heartbeat, task limits
//  and the agent types with how many local processes of each. Loading is strict: an
//  unknown key, a wrong type or a value out of range is an error that names the file,
//  line and column and what was expected ("swarms/x.yaml:12:7: expected integer for
//  'count'"), so a typo never silently becomes a default. Every value has a default
//  except `name` and `agents`, which are required. A `supervision` mapping may appear at
//  the top level and in each agent type; a type's keys override the top level's key by
//  key, and each zs_swarm_type_t carries the resolved values.

#ifndef ZS_SWARM_H
#define ZS_SWARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/store/zs_journal.h"
#include "supervisor/zs_supervision.h"
#include "proto/zs_msg.h"
#include "proto/zs_strategy.h"
#include "proto/zs_vocab.h"
#include "common/zs_util.h"
#include "coordinator/swarm/zs_workflow.h"

#define ZS_SWARM_DEFAULT_AGENTS      "tcp://127.0.0.1:7600"
#define ZS_SWARM_DEFAULT_EVENTS      "tcp://127.0.0.1:7601"
#define ZS_SWARM_DEFAULT_CONTROL     "tcp://127.0.0.1:7602"
#define ZS_SWARM_DEFAULT_HB_MS       250     //  heartbeat interval
#define ZS_SWARM_DEFAULT_LIVENESS    4       //  missed heartbeats before a peer is dead
#define ZS_SWARM_DEFAULT_TIMEOUT_MS  30000   //  one attempt of a task
#define ZS_SWARM_DEFAULT_RETRIES     2       //  attempts after the first
#define ZS_SWARM_DEFAULT_MAX_QUEUE   100000  //  unfinished tasks accepted at once
#define ZS_SWARM_DEFAULT_KEEP        10000   //  finished tasks whose results are kept
#define ZS_SWARM_DEFAULT_KEEP_S      86400   //  seconds finished tasks are kept
#define ZS_SWARM_DEFAULT_MAX_DEPTH   8       //  levels of subtasks below a root task
#define ZS_SWARM_DEFAULT_MAX_CHILD   1000    //  subtasks one task may submit
#define ZS_SWARM_PATH_MAX            4096    //  bytes in a journal path
#define ZS_SWARM_MAX_TYPES           64      //  agent types in one file
#define ZS_SWARM_MAX_COUNT           ZS_MSG_COUNT_MAX  //  processes of one type
#define ZS_SWARM_DEFAULT_COUNT       1  //  local processes of a type without 'count'
#define ZS_SWARM_DEFAULT_CONCURRENCY 1  //  tasks at once for a type without 'concurrency'
#define ZS_SWARM_FILE_MAX            (1024 * 1024)  //  bytes in a swarm file
#define ZS_SWARM_NODES_MAX           64             //  node daemons one type is placed on
#define ZS_SWARM_DEFAULT_AUCTION_MS  20             //  how long an auction waits for bids
#define ZS_SWARM_AUCTION_MAX_MS      60000          //  largest 'auction_ms'
#define ZS_SWARM_ID_KEYS_MAX         256            //  keys in 'security.ids'
#define ZS_SWARM_IDS_MAX             64             //  ids and prefixes bound to one key
#define ZS_SWARM_FALLBACKS_MAX       8              //  providers an llm type falls back to

//  Byte bounds of what the coordinator holds (docs/swarm-file.md, "Memory bounds")
#define ZS_SWARM_DEFAULT_QUEUE_BYTES (256u << 20)             //  held by unfinished tasks
#define ZS_SWARM_DEFAULT_KEEP_BYTES  (64u << 20)              //  held by kept results
#define ZS_SWARM_QUEUE_BYTES_MIN     ZS_MSG_PAYLOAD_MAX       //  one largest payload
#define ZS_SWARM_KEEP_BYTES_MIN      (2 * ZS_MSG_OUTPUT_MAX)  //  one largest result
#define ZS_SWARM_BYTES_MAX           (1ll << 40)  //  largest byte bound: 1 TiB

//  err->code after a failed load or parse
typedef enum {
    ZS_SWARM_E_READ = 1,  //  the file cannot be read, or is too large: "PATH: message"
    ZS_SWARM_E_SYNTAX,   //  not YAML, or YAML features swarm files refuse (aliases, tags)
    ZS_SWARM_E_INVALID,  //  valid YAML that breaks the schema
} zs_swarm_error_t;

//  How agents may talk to each other (docs/topologies.md; zs_topology.h has the rules)
typedef enum {
    ZS_TOPOLOGY_STAR,          //  only with the coordinator
    ZS_TOPOLOGY_MESH,          //  every agent with every other
    ZS_TOPOLOGY_HIERARCHICAL,  //  a worker with its team's lead, a lead with its workers
    ZS_TOPOLOGY_RING,          //  a stage's agents with the stages before and after it
} zs_topology_kind_t;

typedef enum {
    ZS_HANDLER_BUILTIN,   //  echo, sleep, fail, noop inside the agent
    ZS_HANDLER_EXEC,      //  run the type's command per task
    ZS_HANDLER_HTTP,      //  one HTTP request per task ('http' section)
    ZS_HANDLER_DOWNLOAD,  //  one file per task ('download' section)
    ZS_HANDLER_LLM,       //  one prompt per task to the type's providers ('llm' section)
    ZS_HANDLER_COUNT
} zs_handler_kind_t;

//  A budget in tokens and in money; 0 in either means no limit in it
typedef struct {
    uint64_t tokens;  //  input and output tokens together
    double usd;       //  US dollars, from the providers' prices
} zs_swarm_budget_t;

//  When a provider's circuit opens and for how long ('cooldown' of a provider)
typedef struct {
    unsigned failures;     //  failures within window_ms that open it
    unsigned window_ms;    //  how far back failures count
    unsigned cooldown_ms;  //  how long it stays open before a probe
} zs_swarm_cooldown_t;

//  One item of 'providers': an LLM API the llm types may call
typedef struct {
    char *name;                    //  the item's key, owned
    zs_provider_kind_t kind;       //  which API it speaks
    char *base_url;                //  http(s) URL the API's paths go under, owned
    char *model;                   //  model name sent with each call, owned
    char *key_env;                 //  environment variable holding the key on the agent's
                                   //  machine, owned, or NULL for none
    unsigned rpm;                  //  calls a minute, swarm-wide; 0 for no limit
    unsigned tpm;                  //  tokens a minute, swarm-wide; 0 for no limit
    double price_in;               //  USD a million input tokens
    double price_out;              //  USD a million output tokens
    unsigned timeout_ms;           //  one call
    zs_swarm_cooldown_t cooldown;  //  the circuit breaker's settings
} zs_swarm_provider_t;

//  An 'http' or 'download' section: where a type's agents may reach, and how much
typedef struct {
    char **allow;            //  URL prefixes the tasks may name, owned; never empty
    size_t allow_count;      //  items in allow
    unsigned max_redirects;  //  redirects followed, each checked against allow
    size_t max_body;         //  http: bytes of a response body kept
    char **headers;          //  http: response headers returned, lowercase, owned
    size_t header_count;     //  items in headers
    char *dir;               //  download: absolute directory files go into, owned
    uint64_t max_size;       //  download: largest file
} zs_swarm_fetch_t;

//  An 'llm' section
typedef struct {
    char *provider;          //  the provider tried first, owned
    char **fallbacks;        //  those tried after it, in order, owned
    size_t fallback_count;   //  items in fallbacks
    char *system;            //  system prompt, owned, or NULL
    char *prompt;            //  template of the user message, owned
    unsigned max_tokens;     //  most output tokens a call asks for
    double temperature;      //  sent when set; NAN: the provider's default
    bool stream;             //  ask for the answer as it is written
    unsigned retries;        //  tries of one provider after its first, before the next
    unsigned backoff_ms;     //  wait before the first retry; doubles, with jitter
    unsigned max_wait_ms;    //  longest Retry-After waited on before falling back
    zs_swarm_budget_t task;  //  'task_budget': most one task may spend
    zs_swarm_budget_t type;  //  'budget': most the type's tasks spend together
} zs_swarm_llm_t;

//  Agents of a type that a node daemon (zswarm-node) runs: one item of 'nodes'
typedef struct {
    char *node;      //  the node's name, owned
    unsigned count;  //  agents of the type it is to run
} zs_swarm_place_t;

typedef struct {
    char *type;                 //  agent type name, owned
    unsigned count;             //  local processes to spawn (0 = remote agents only)
    zs_handler_kind_t handler;  //  how its agents run tasks
    char **argv;                //  exec command, NULL-terminated, owned; NULL for builtin
    size_t argc;                //  items in argv
    char **program;             //  'program': what its local agents run, owned, or NULL
    size_t program_argc;        //  items in program
    char **caps;                //  capabilities beyond the type name, owned
    size_t cap_count;           //  items in caps
    char **tags;                //  labels its agents' records show, owned
    size_t tag_count;           //  items in tags
    char *tier;                 //  a label its agents' records show, owned, or NULL
    unsigned concurrency;       //  tasks an agent of this type runs at once (default 1)
    zs_strategy_t strategy;     //  for tasks of type 'type'; ZS_STRATEGY_DEFAULT: swarm's
    zs_swarm_place_t *places;   //  'nodes': agents on node daemons, owned
    size_t place_count;         //  items in places
    zs_supervision_t supervision;  //  resolved: the type's keys over the swarm's
    char *reports_to;   //  hierarchical: the type that leads its team, owned, or NULL
    bool leads;         //  hierarchical: some type reports to this one
    char *vote_answer;  //  'vote': the answer its agents always give, owned, or NULL
    char **vote_argv;   //  'vote': the command that answers, owned, or NULL
    size_t vote_argc;   //  items in vote_argv
    bool vote_handler;  //  'vote: handler': its own command (argv) answers
    zs_swarm_fetch_t fetch;  //  handler http or download: its section
    zs_swarm_llm_t llm;      //  handler llm: its section
} zs_swarm_type_t;

//  One item of 'security.ids': agent ids that only one key may register
typedef struct {
    char *key;      //  the key's name (its certificate's file name, the ZAP User-Id)
    char *pattern;  //  an agent id, or a prefix of ids ending in '*', owned
} zs_swarm_binding_t;

//  The 'security' section: CURVE on every socket, clients authenticated by key. Paths
//  are checked when the swarm starts (zs_coord_new), not when the file is loaded.
typedef struct {
    char *cert;        //  coordinator's secret certificate (czmq, "_secret"), owned;
                       //  NULL: no security
    char *agents;      //  directory of authorised agents' public certificates, or NULL
    char *clients;     //  directory of authorised control clients' ones, or NULL
    char *agent_cert;  //  local agents' secret certificate, or NULL to make one
    zs_swarm_binding_t *ids;  //  'ids': agent ids bound to keys, owned; no two overlap
    size_t id_count;          //  items in ids
} zs_swarm_security_t;

typedef struct {
    char *path;                    //  file it was loaded from, owned
    char *name;                    //  swarm name, owned
    zs_topology_kind_t topology;   //  how agents may talk to each other
    char **ring;                   //  ring: the stages' agent types in order, owned
    size_t ring_count;             //  items in ring; 0 unless topology is ring
    zs_strategy_t strategy;        //  how tasks find agents, unless the type or task says
    unsigned auction_ms;           //  how long an auction waits for bids
    char *bind_agents;             //  endpoint of the agents ROUTER, owned
    char *bind_events;             //  endpoint of the events PUB, owned
    char *bind_control;            //  endpoint of the control ROUTER, owned
    bool insecure;                 //  allow binding non-loopback addresses without CURVE
    zs_swarm_security_t security;  //  CURVE and authentication, when security.cert
    unsigned heartbeat_ms;         //  heartbeat interval, both ways
    unsigned liveness;             //  missed heartbeats before a peer is dead
    unsigned task_timeout_ms;      //  default timeout of one attempt
    unsigned task_retries;         //  default retries
    unsigned max_queue;            //  unfinished tasks accepted at once
    size_t max_queue_bytes;        //  bytes they may hold before submits are refused
    unsigned keep_results;         //  finished tasks kept for wait/task
    size_t keep_results_bytes;     //  bytes of their results kept; the oldest go first
    unsigned keep_results_s;       //  seconds a finished task is kept, 0 for no age limit
    unsigned max_depth;            //  levels of subtasks below a root task
    unsigned max_children;         //  subtasks one task may submit
    char *journal_path;            //  journal file, owned; NULL: nothing is durable
    zs_journal_sync_t journal_sync;  //  fsync policy of the journal
    zs_supervision_t supervision;    //  top-level 'supervision', the types' defaults
    zs_swarm_type_t *types;          //  agent types, owned array
    size_t type_count;               //  items in types
    zs_workflow_t workflow;          //  tasks submitted at start, owned; may be empty
    zs_swarm_provider_t *providers;  //  'providers', owned array
    size_t provider_count;           //  items in providers
    zs_swarm_budget_t budget;        //  'budget': what all llm tasks spend together
} zs_swarm_t;

//  Load and validate a swarm file. Returns an owned swarm, or NULL with err->text
//  "PATH:LINE:COL: message" (or "PATH: message" when the file cannot be read) and
//  err->code a zs_swarm_error_t. docs/swarm-file.md lists the rules and messages.
zs_swarm_t *zs_swarm_load(const char *path, zs_error_t *err);

//  The same from text in memory; `path` only names the source in errors.
zs_swarm_t *
zs_swarm_parse(const char *text, size_t size, const char *path, zs_error_t *err);

//  Free a swarm and set *self_p to NULL. Accepts NULL.
void zs_swarm_destroy(zs_swarm_t **self_p);

//  The agent type of that name, borrowed from self, or NULL.
const zs_swarm_type_t *zs_swarm_type_find(const zs_swarm_t *self, const char *type);

//  The provider of that name, borrowed from self, or NULL.
const zs_swarm_provider_t *zs_swarm_provider_find(const zs_swarm_t *self,
                                                  const char *name);

//  The name of the provider an llm type tries at position index (0: its provider,
//  then its fallbacks; index at most fallback_count), borrowed from llm.
const char *zs_swarm_llm_provider(const zs_swarm_llm_t *llm, size_t index);

//  The word a swarm file and the wire use for a handler.
const char *zs_swarm_handler_name(zs_handler_kind_t handler);

//  The name of the key the swarm file's 'security.ids' binds agent id to (borrowed), or
//  NULL when no item names or prefixes it.
const char *zs_swarm_id_owner(const zs_swarm_t *self, const char *id);

//  Agents of type the swarm file places on node (0 when none), and their sum over every
//  type.
unsigned zs_swarm_node_count(const zs_swarm_type_t *type, const char *node);
unsigned zs_swarm_node_total(const zs_swarm_t *self, const char *node);

#endif
