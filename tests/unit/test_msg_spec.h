//  test_msg_spec - the protocol as test_msg understands it: fields, types, records,
//  sample values, frames packed by hand, and a bad value or frame for each validation
//  rule
//
//  The field sets here restate proto/PROTOCOL.md independently of proto/zs_msgtab.c,
//  and frames are packed with msgpack-c, not with the encoder under test, so a mistake
//  in the codec's table cannot hide itself. Included by test_msg.c only: everything is
//  static.

#ifndef TEST_MSG_SPEC_H
#define TEST_MSG_SPEC_H

#include "proto/zs_msg.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COUNT(array) (sizeof(array) / sizeof(array)[0])

//  ---------------------------------------------------------------------------------------
//  The protocol as this test understands it

typedef enum {
    T_UINT,
    T_INT,
    T_BOOL,
    T_FLOAT,
    T_STR,
    T_BIN,
    T_LIST,
    T_BINS,
    T_RECORDS
} t_kind_t;

typedef struct t_record t_record_t;

typedef struct {
    const char *key;           //  wire key
    t_kind_t kind;             //  how it is carried
    size_t offset;             //  of the value in zs_msg_t, or in a record's struct
    size_t aux;                //  of a bin's size or the record count
    int64_t min;               //  least value or length (of an item for lists)
    int64_t max;               //  greatest value or length (of an item for lists)
    size_t count_max;          //  items of a list or records, when not ZS_MSG_LIST_MAX
    const t_record_t *record;  //  T_RECORDS: what each record holds
    const char *name;          //  how type lists name it, when not by its key: two
                               //  message fields share a key
} t_key_t;

//  A kind of record: the fields of one map in a record array
struct t_record {
    const char *name;     //  as errors name it
    const t_key_t *keys;  //  its fields, at offsets in its struct
    size_t count;         //  number of keys
    const char *fields;   //  its keys; "!" marks a required one
    size_t size;          //  of its struct
};

#define K(key, kind, member, min, max)                                                   \
    {                                                                                    \
        key, kind, offsetof(zs_msg_t, member), 0, min, max, 0, NULL, NULL                \
    }
#define K_UINT(key, member) K(key, T_UINT, member, 0, INT64_MAX)
#define K_NAME(key, member) K(key, T_STR, member, 1, ZS_MSG_NAME_MAX)
#define K_TEXT(key, member) K(key, T_STR, member, 0, ZS_MSG_TEXT_MAX)
#define K_BIN(key, member, size, max)                                                    \
    {                                                                                    \
        key, T_BIN, offsetof(zs_msg_t, member), offsetof(zs_msg_t, size), 0, max, 0,     \
            NULL, NULL                                                                   \
    }
//  A list of up to most strs of item_min..item_max bytes each
#define K_LIST(key, member, item_min, item_max, most)                                    \
    {                                                                                    \
        key, T_LIST, offsetof(zs_msg_t, member), 0, item_min, item_max, most, NULL, NULL \
    }
#define K_RECORDS(key, member, count, most, record, name)                                \
    {                                                                                    \
        key, T_RECORDS, offsetof(zs_msg_t, member), offsetof(zs_msg_t, count), 0, 0,     \
            most, &record, name                                                          \
    }
//  A field of a record's struct
#define KR(st, key, kind, member, min, max)                                              \
    {                                                                                    \
        key, kind, offsetof(st, member), 0, min, max, 0, NULL, NULL                      \
    }

static const t_key_t s_agent_keys[] = {
    KR(zs_msg_agent_t, "agent", T_STR, agent, 1, ZS_MSG_NAME_MAX),
    KR(zs_msg_agent_t, "atype", T_STR, atype, 1, ZS_MSG_NAME_MAX),
    KR(zs_msg_agent_t, "host", T_STR, host, 1, ZS_MSG_NAME_MAX),
    KR(zs_msg_agent_t, "state", T_STR, state, 1, ZS_MSG_NAME_MAX),
    KR(zs_msg_agent_t, "pid", T_UINT, pid, 0, INT64_MAX),
    KR(zs_msg_agent_t, "conc", T_UINT, conc, 0, INT64_MAX),
    KR(zs_msg_agent_t, "load", T_UINT, load, 0, INT64_MAX),
    KR(zs_msg_agent_t, "done", T_UINT, done, 0, INT64_MAX),
    KR(zs_msg_agent_t, "failed", T_UINT, failed, 0, INT64_MAX),
    KR(zs_msg_agent_t, "local", T_BOOL, local, 0, 1),
    KR(zs_msg_agent_t, "role", T_STR, role, 1, ZS_MSG_NAME_MAX),
    KR(zs_msg_agent_t, "lead", T_STR, lead, 1, ZS_MSG_NAME_MAX),
    KR(zs_msg_agent_t, "trust", T_UINT, trust, 0, 1000),
    KR(zs_msg_agent_t, "trust_low", T_UINT, trust_low, 0, 1000),
    KR(zs_msg_agent_t, "paused", T_BOOL, paused, 0, 1),
    KR(zs_msg_agent_t, "cpu", T_UINT, cpu, 0, INT64_MAX),
    KR(zs_msg_agent_t, "rss", T_UINT, rss, 0, INT64_MAX),
    KR(zs_msg_agent_t, "caps", T_LIST, caps, 1, ZS_MSG_NAME_MAX),
    KR(zs_msg_agent_t, "tags", T_LIST, tags, 1, ZS_MSG_NAME_MAX),
    KR(zs_msg_agent_t, "tier", T_STR, tier, 1, ZS_MSG_NAME_MAX),
};
static const t_record_t s_agent_record = {
    "agent record", s_agent_keys, S_COUNT(s_agent_keys),
    "agent! atype! host state pid conc load done failed local role lead trust trust_low "
    "paused cpu rss caps tags tier",
    sizeof(zs_msg_agent_t)};

static const t_key_t s_conf_keys[] = {
    KR(zs_msg_provider_conf_t, "name", T_STR, name, 1, ZS_MSG_NAME_MAX),
    KR(zs_msg_provider_conf_t, "kind", T_STR, kind, 1, ZS_MSG_NAME_MAX),
    KR(zs_msg_provider_conf_t, "url", T_STR, url, 1, 2048),
    KR(zs_msg_provider_conf_t, "model", T_STR, model, 1, 256),
    KR(zs_msg_provider_conf_t, "key_env", T_STR, key_env, 1, ZS_MSG_NAME_MAX),
    KR(zs_msg_provider_conf_t, "tmo", T_UINT, tmo, 0, 86400000),
    KR(zs_msg_provider_conf_t, "price_in", T_FLOAT, price_in, 0, 1000000),
    KR(zs_msg_provider_conf_t, "price_out", T_FLOAT, price_out, 0, 1000000),
};
static const t_record_t s_conf_record = {
    "provider-conf record", s_conf_keys, S_COUNT(s_conf_keys),
    "name! kind! url! model! key_env tmo price_in price_out",
    sizeof(zs_msg_provider_conf_t)};

static const t_key_t s_provider_keys[] = {
    KR(zs_msg_provider_t, "name", T_STR, name, 1, ZS_MSG_NAME_MAX),
    KR(zs_msg_provider_t, "kind", T_STR, kind, 1, ZS_MSG_NAME_MAX),
    KR(zs_msg_provider_t, "model", T_STR, model, 1, 256),
    KR(zs_msg_provider_t, "state", T_STR, state, 1, ZS_MSG_NAME_MAX),
    KR(zs_msg_provider_t, "left", T_UINT, left, 0, INT64_MAX),
    KR(zs_msg_provider_t, "calls", T_UINT, calls, 0, INT64_MAX),
    KR(zs_msg_provider_t, "fails", T_UINT, fails, 0, INT64_MAX),
    KR(zs_msg_provider_t, "tok_in", T_UINT, tok_in, 0, INT64_MAX),
    KR(zs_msg_provider_t, "tok_out", T_UINT, tok_out, 0, INT64_MAX),
    KR(zs_msg_provider_t, "usd", T_FLOAT, usd, 0, 1000000000),
    KR(zs_msg_provider_t, "rpm", T_UINT, rpm, 0, INT64_MAX),
    KR(zs_msg_provider_t, "tpm", T_UINT, tpm, 0, INT64_MAX),
    KR(zs_msg_provider_t, "why", T_STR, why, 0, ZS_MSG_TEXT_MAX),
};
static const t_record_t s_provider_record = {
    "provider record", s_provider_keys, S_COUNT(s_provider_keys),
    "name! kind! model! state! left calls fails tok_in tok_out usd rpm tpm why",
    sizeof(zs_msg_provider_t)};

static const t_key_t s_budget_keys[] = {
    KR(zs_msg_budget_t, "scope", T_STR, scope, 1, ZS_MSG_NAME_MAX),
    KR(zs_msg_budget_t, "tok", T_UINT, tok, 0, INT64_MAX),
    KR(zs_msg_budget_t, "usd", T_FLOAT, usd, 0, 1000000000),
    KR(zs_msg_budget_t, "tok_max", T_UINT, tok_max, 0, INT64_MAX),
    KR(zs_msg_budget_t, "usd_max", T_FLOAT, usd_max, 0, 1000000000),
};
static const t_record_t s_budget_record = {
    "budget record", s_budget_keys, S_COUNT(s_budget_keys),
    "scope! tok usd tok_max usd_max", sizeof(zs_msg_budget_t)};

#define KR_BIN(st, key, member, size, max)                                               \
    {                                                                                    \
        key, T_BIN, offsetof(st, member), offsetof(st, size), 0, max, 0, NULL, NULL      \
    }
static const t_key_t s_input_keys[] = {
    KR(zs_msg_input_t, "task", T_STR, task, 1, ZS_MSG_NAME_MAX),
    KR(zs_msg_input_t, "status", T_STR, status, 1, ZS_MSG_NAME_MAX),
    KR_BIN(zs_msg_input_t, "stdout", out, out_size, 65536),
    KR(zs_msg_input_t, "exit", T_INT, exit, INT64_MIN, INT64_MAX),
};
static const t_record_t s_input_record = {
    "input record", s_input_keys, S_COUNT(s_input_keys), "task! status! stdout exit",
    sizeof(zs_msg_input_t)};

static const t_record_t *const s_record_kinds[] = {&s_agent_record, &s_conf_record,
                                                   &s_provider_record, &s_budget_record,
                                                   &s_input_record};

static const t_key_t s_keys[] = {
    K_UINT("rid", rid),
    K_UINT("seq", seq),
    K_NAME("agent", agent),
    K_NAME("atype", atype),
    K("caps", T_LIST, caps, 1, ZS_MSG_NAME_MAX),
    K_UINT("conc", conc),
    K_NAME("host", host),
    K_UINT("pid", pid),
    K("local", T_BOOL, local, 0, 1),
    K_UINT("hb", hb),
    K_UINT("live", live),
    K_NAME("handler", handler),
    K("argv", T_LIST, argv, 0, ZS_MSG_ARG_MAX),
    K_UINT("load", load),
    K_UINT("code", code),
    K_TEXT("why", why),
    K_NAME("task", task),
    K_NAME("ttype", ttype),
    K_BIN("payload", payload, payload_size, ZS_MSG_PAYLOAD_MAX),
    K("pri", T_INT, pri, -1000, 1000),
    K_UINT("tmo", tmo),
    K_UINT("tries", tries),
    K_UINT("att", att),
    K("pct", T_UINT, pct, 0, 100),
    K_TEXT("note", note),
    K_NAME("status", status),
    K("exit", T_INT, exit, INT64_MIN, INT64_MAX),
    K_BIN("stdout", out, out_size, ZS_MSG_OUTPUT_MAX),
    K_BIN("stderr", err, err_size, ZS_MSG_OUTPUT_MAX),
    K_NAME("state", state),
    K("wait", T_BOOL, wait, 0, 1),
    K("broadcast", T_BOOL, broadcast, 0, 1),
    K("dup", T_BOOL, dup, 0, 1),
    K_NAME("name", name),
    K_RECORDS("agents", agents, agent_count, ZS_MSG_AGENTS_MAX, s_agent_record, NULL),
    K_UINT("n_agents", n_agents),
    K_UINT("n_ready", n_ready),
    K_UINT("n_running", n_running),
    K_UINT("n_pending", n_pending),
    K_UINT("n_completed", n_completed),
    K_UINT("n_dead", n_dead),
    K_UINT("n_cancelled", n_cancelled),
    K_UINT("n_submitted", n_submitted),
    K_UINT("uptime_ms", uptime_ms),
    K_UINT("ended", ended),
    K_UINT("count", count),
    K_NAME("node", node),
    K_UINT("slots", slots),
    K_LIST("deps", deps, 1, ZS_MSG_NAME_MAX, ZS_MSG_ITEMS_MAX),
    K("items", T_BINS, items, 0, ZS_MSG_PAYLOAD_MAX),
    K_NAME("agg", agg),
    K_NAME("strategy", strategy),
    K("requires", T_LIST, requires, 1, ZS_MSG_NAME_MAX),
    K_UINT("bid", bid),
    K_LIST("peers", peers, 1, ZS_MSG_NAME_MAX, ZS_MSG_ITEMS_MAX),
    K_LIST("gone", gone, 1, ZS_MSG_NAME_MAX, ZS_MSG_ITEMS_MAX),
    K("full", T_BOOL, full, 0, 1),
    K_NAME("role", role),
    K_NAME("lead", lead),
    K_NAME("topology", topology),
    K_LIST("links", links, 3, 2 * ZS_MSG_NAME_MAX + 1, ZS_MSG_ITEMS_MAX),
    K_UINT("n_forbidden", n_forbidden),
    K("key", T_STR, key, 1, ZS_MSG_KEY_MAX),
    K_BIN("value", value, value_size, ZS_MSG_VALUE_MAX),
    K_LIST("tags", tags, 1, ZS_MSG_NAME_MAX, ZS_MSG_TAGS_MAX),
    K("ttl", T_UINT, ttl, 0, ZS_MSG_TMO_MAX),
    K_NAME("access", access),
    K_UINT("version", version),
    K("cas", T_BOOL, cas, 0, 1),
    K("prefix", T_STR, prefix, 0, ZS_MSG_KEY_MAX),
    K_LIST("keys", keys, 1, ZS_MSG_KEY_MAX, ZS_MSG_ITEMS_MAX),
    K_UINT("expires", expires),
    K("amount", T_INT, amount, -ZS_MSG_AMOUNT_MAX, ZS_MSG_AMOUNT_MAX),
    K("half_life", T_UINT, half_life, 0, ZS_MSG_TMO_MAX),
    K("level", T_INT, level, INT64_MIN, INT64_MAX),
    K("top", T_UINT, top, 0, ZS_MSG_ITEMS_MAX),
    K("level_micro", T_INT, level_micro, INT64_MIN, INT64_MAX),
    K_UINT("at", at),
    K_NAME("vote", vote),
    K("question", T_STR, question, 1, ZS_MSG_TEXT_MAX),
    K_LIST("options", options, 1, ZS_MSG_NAME_MAX, 16),
    K("voters", T_LIST, voters, 1, ZS_MSG_NAME_MAX),
    K("deadline", T_UINT, deadline, 0, ZS_MSG_TMO_MAX),
    K_NAME("option", option),
    K("confidence", T_UINT, confidence, 0, 1000),
    K("weight", T_UINT, weight, 0, 10),
    K_LIST("ballots", ballots, 5, 2 * ZS_MSG_NAME_MAX + 32, ZS_MSG_AGENTS_MAX),
    K_LIST("votes", votes, 1, ZS_MSG_NAME_MAX, ZS_MSG_ITEMS_MAX),
    K_UINT("cast", cast),
    K("vote_argv", T_LIST, vote_argv, 0, ZS_MSG_ARG_MAX),
    K_NAME("secret", secret),
    K_NAME("addr", addr),
    K_UINT("queued_bytes", queued_bytes),
    K_UINT("results_bytes", results_bytes),
    K_LIST("allow", allow, 1, 2048, 64),
    K_UINT("max_body", max_body),
    K("max_redirects", T_UINT, max_redirects, 0, 20),
    K_LIST("headers", headers, 1, 256, 64),
    K("dir", T_STR, dir, 1, 4096),
    K_UINT("max_size", max_size),
    K_RECORDS("providers",
              provider_confs,
              provider_conf_count,
              64,
              s_conf_record,
              "providers/conf"),
    K("system", T_STR, system, 0, 65536),
    K("prompt", T_STR, prompt, 0, 65536),
    K_UINT("max_tokens", max_tokens),
    K("temp", T_FLOAT, temp, 0, 2),
    K("stream", T_BOOL, stream, 0, 1),
    K("final", T_BOOL, final, 0, 1),
    K("retries", T_UINT, retries, 0, 10),
    K("backoff", T_UINT, backoff, 0, 86400000),
    K("max_wait", T_UINT, max_wait, 0, 86400000),
    K_UINT("tok_max", tok_max),
    K("usd_max", T_FLOAT, usd_max, 0, 1000000000),
    K_UINT("bytes", bytes),
    K_UINT("total", total),
    K_UINT("rate", rate),
    K("text", T_STR, text, 0, 65536),
    K_NAME("provider", provider),
    K_UINT("tok_in", tok_in),
    K_UINT("tok_out", tok_out),
    K("usd", T_FLOAT, usd, 0, 1000000000),
    K_NAME("outcome", outcome),
    K("retry", T_UINT, retry, 0, 86400000),
    K_UINT("ms", ms),
    K("http", T_UINT, http, 0, 999),
    K_UINT("left", left),
    K_NAME("scope", scope),
    K_UINT("tok", tok),
    K_RECORDS("providers", providers, provider_count, 64, s_provider_record, NULL),
    K_RECORDS("budgets", budgets, budget_count, 1024, s_budget_record, NULL),
    K_UINT("aseq", aseq),
    K("paused", T_BOOL, paused, 0, 1),
    K("events", T_STR, events, 1, 2048),
    K_UINT("cpu", cpu),
    K_UINT("rss", rss),
    K_LIST("inputs", inputs, 1, ZS_MSG_NAME_MAX, 64),
    K_RECORDS("inputs", input_records, input_count, 64, s_input_record, "inputs/rec"),
    K_BIN("ckpt", ckpt, ckpt_size, 65536),
    K_BIN("data", data, data_size, 65536),
    K_UINT("ckpt_bytes", ckpt_bytes),
    K_NAME("parent", parent),
    K_LIST("children", children, 1, ZS_MSG_NAME_MAX, ZS_MSG_ITEMS_MAX),
};
#define S_KEY_COUNT (sizeof s_keys / sizeof s_keys[0])

typedef struct {
    zs_msg_type_t type;  //  enum value
    const char *name;    //  wire name
    const char *fields;  //  its keys; "!" marks a required one
} t_type_t;

#define S_TASK_VIEW                                                                      \
    "task! ttype! state! rid att agent status exit stdout stderr why pri tmo tries "     \
    "ended deps provider tok_in tok_out usd code pct note bytes total rate ckpt_bytes "  \
    "parent children"
#define S_TASK_EVENT "seq! task! ttype! att agent why"

static const t_type_t s_types[] = {
    {ZS_MSG_HELLO, "hello", "atype! agent caps conc host pid secret"},
    {ZS_MSG_WELCOME, "welcome",
     "agent! atype! hb! live! handler! conc! argv option vote_argv allow max_body "
     "max_redirects headers dir max_size providers/conf system prompt max_tokens temp "
     "stream retries backoff max_wait tok_max usd_max aseq paused events"},
    {ZS_MSG_HEARTBEAT, "heartbeat", "load aseq cpu rss"},
    {ZS_MSG_BYE, "bye", "why"},
    {ZS_MSG_ERROR, "error", "code! why! rid task vote"},
    {ZS_MSG_TASK_ASSIGN, "task.assign",
     "task! ttype! att! payload tmo tok usd inputs/rec ckpt parent"},
    {ZS_MSG_TASK_ACK, "task.ack", "task! att!"},
    {ZS_MSG_TASK_PROGRESS, "task.progress",
     "task! att! pct note seq agent bytes total rate text"},
    {ZS_MSG_TASK_RESULT, "task.result",
     "task! att! status! exit stdout stderr why provider tok_in tok_out final"},
    {ZS_MSG_TASK_CANCEL, "task.cancel", "task! att!"},
    {ZS_MSG_TASK_OFFER, "task.offer", "task! ttype! tmo"},
    {ZS_MSG_TASK_BID, "task.bid", "task! bid!"},
    {ZS_MSG_TASK_CHECKPOINT, "task.checkpoint", "task! att! rid data"},
    {ZS_MSG_TASK_CHECKPOINT_OK, "task.checkpoint.ok", "task! rid"},
    {ZS_MSG_SUBMIT, "submit",
     "ttype! rid task payload pri tmo tries wait deps items agg strategy requires "
     "inputs parent agent"},
    {ZS_MSG_SUBMIT_OK, "submit.ok", "task! rid dup"},
    {ZS_MSG_WAIT, "wait", "task! rid parent"},
    {ZS_MSG_WAIT_OK, "wait.ok", S_TASK_VIEW},
    {ZS_MSG_TASK, "task", "task! rid"},
    {ZS_MSG_TASK_OK, "task.ok", S_TASK_VIEW},
    {ZS_MSG_CANCEL, "cancel", "task! rid parent"},
    {ZS_MSG_CANCEL_OK, "cancel.ok", "task! state! rid"},
    {ZS_MSG_STATUS, "status", "rid"},
    {ZS_MSG_STATUS_OK, "status.ok",
     "name! rid n_agents n_ready n_running n_pending n_completed n_dead n_cancelled "
     "n_submitted "
     "uptime_ms seq n_forbidden queued_bytes results_bytes tok_in tok_out usd tok_max "
     "usd_max"},
    {ZS_MSG_AGENTS, "agents", "rid"},
    {ZS_MSG_AGENTS_OK, "agents.ok", "agents! rid"},
    {ZS_MSG_SHUTDOWN, "shutdown", "rid"},
    {ZS_MSG_SHUTDOWN_OK, "shutdown.ok", "rid"},
    {ZS_MSG_STOP, "stop", "agent! rid"},
    {ZS_MSG_STOP_OK, "stop.ok", "agent! rid"},
    {ZS_MSG_SCALE, "scale", "atype! count! rid node"},
    {ZS_MSG_SCALE_OK, "scale.ok", "atype! count! rid node"},
    {ZS_MSG_NODE_HELLO, "node.hello", "node! slots! host pid"},
    {ZS_MSG_NODE_WELCOME, "node.welcome", "node! hb! live! name"},
    {ZS_MSG_NODE_SPAWN, "node.spawn", "atype! count"},
    {ZS_MSG_NEIGHBOURS, "neighbours", "role! peers gone full lead"},
    {ZS_MSG_MSG_SEND, "msg.send", "agent! payload"},
    {ZS_MSG_MSG_SHARE, "msg.share", "payload"},
    {ZS_MSG_MSG, "msg", "agent! payload"},
    {ZS_MSG_TASK_DELEGATE, "task.delegate", "task! att! payload"},
    {ZS_MSG_TASK_REPORT, "task.report",
     "task! att! agent! status! exit stdout stderr why"},
    {ZS_MSG_TOPOLOGY, "topology", "rid"},
    {ZS_MSG_TOPOLOGY_OK, "topology.ok", "topology! agents! rid links"},
    {ZS_MSG_MEM_PUT, "mem.put",
     "key! rid value tags ttl access version cas agent atype expires half_life "
     "level_micro at"},
    {ZS_MSG_MEM_PUT_OK, "mem.put.ok", "key! version! rid"},
    {ZS_MSG_MEM_GET, "mem.get", "key! rid"},
    {ZS_MSG_MEM_GET_OK, "mem.get.ok",
     "key! version! access! rid value tags ttl agent level half_life"},
    {ZS_MSG_MEM_DEL, "mem.del", "key! rid version cas"},
    {ZS_MSG_MEM_DEL_OK, "mem.del.ok", "key! version! rid"},
    {ZS_MSG_MEM_QUERY, "mem.query", "rid prefix tags top"},
    {ZS_MSG_MEM_DEPOSIT, "mem.deposit", "key! amount! rid half_life tags access ttl"},
    {ZS_MSG_MEM_DEPOSIT_OK, "mem.deposit.ok", "key! version! level! rid"},
    {ZS_MSG_MEM_QUERY_OK, "mem.query.ok", "rid keys"},
    {ZS_MSG_VOTE_PROPOSE, "vote.propose",
     "question! options! rid vote voters strategy deadline"},
    {ZS_MSG_VOTE_PROPOSE_OK, "vote.propose.ok", "vote! count! rid"},
    {ZS_MSG_VOTE_ASK, "vote.ask", "vote! question! options! strategy! deadline! agent"},
    {ZS_MSG_VOTE_CAST, "vote.cast", "vote! option! rid confidence weight"},
    {ZS_MSG_VOTE_CAST_OK, "vote.cast.ok", "vote! rid"},
    {ZS_MSG_VOTE_STATUS, "vote.status", "vote! rid"},
    {ZS_MSG_VOTE_STATUS_OK, "vote.status.ok",
     "vote! question! options! strategy! state! count! cast! rid voters agent option "
     "deadline ballots"},
    {ZS_MSG_VOTE_LIST, "vote.list", "rid"},
    {ZS_MSG_VOTE_LIST_OK, "vote.list.ok", "rid votes"},
    {ZS_MSG_PROVIDER_REPORT, "provider.report",
     "task! att! provider! outcome! tok_in tok_out retry ms http why"},
    {ZS_MSG_PROVIDER_STATE, "provider.state", "provider! state! seq left why"},
    {ZS_MSG_PROVIDERS, "providers", "rid"},
    {ZS_MSG_PROVIDERS_OK, "providers.ok", "providers! budgets! rid"},
    {ZS_MSG_SPEND, "spend", "provider! atype! tok_in tok_out usd"},
    {ZS_MSG_BROADCAST, "broadcast", "payload! rid atype"},
    {ZS_MSG_BROADCAST_OK, "broadcast.ok", "count! rid"},
    {ZS_MSG_PAUSE, "pause", "rid agent atype"},
    {ZS_MSG_PAUSE_OK, "pause.ok", "count! rid"},
    {ZS_MSG_RESUME, "resume", "rid agent atype"},
    {ZS_MSG_RESUME_OK, "resume.ok", "count! rid"},
    {ZS_MSG_AGENT_SYNC, "agent.sync", "rid"},
    {ZS_MSG_AGENT_SYNC_OK, "agent.sync.ok", "aseq! rid paused"},
    {ZS_MSG_INBOX, "inbox", "rid wait"},
    {ZS_MSG_INBOX_OK, "inbox.ok", "rid agent payload count broadcast"},
    {ZS_MSG_EV_SWARM_STARTED, "swarm.started", "seq! name!"},
    {ZS_MSG_EV_SWARM_STOPPING, "swarm.stopping", "seq! name! why"},
    {ZS_MSG_EV_AGENT_JOINED, "agent.joined", "seq! agent! atype! host pid local addr"},
    {ZS_MSG_EV_AGENT_LEFT, "agent.left", "seq! agent! atype! why"},
    {ZS_MSG_EV_AGENT_EXITED, "agent.exited", "seq! agent! pid! exit why"},
    {ZS_MSG_EV_AGENT_TYPE_FAILED, "agent.type_failed", "seq! atype! why!"},
    {ZS_MSG_EV_NODE_JOINED, "node.joined", "seq! node! slots! host pid"},
    {ZS_MSG_EV_NODE_LEFT, "node.left", "seq! node! why"},
    {ZS_MSG_EV_TEAM_ELECTED, "team.elected", "seq! atype! agent! why"},
    {ZS_MSG_EV_MEM_CHANGED, "mem.changed", "seq! key! state! version agent"},
    {ZS_MSG_EV_VOTE_OPENED, "vote.opened",
     "seq! vote! question! options! strategy! deadline! count! voters agent"},
    {ZS_MSG_EV_VOTE_DECIDED, "vote.decided", "seq! vote! state! count! cast! option why"},
    {ZS_MSG_EV_TASK_PENDING, "task.pending", S_TASK_EVENT},
    {ZS_MSG_EV_TASK_READY, "task.ready", S_TASK_EVENT},
    {ZS_MSG_EV_TASK_ASSIGNED, "task.assigned", S_TASK_EVENT},
    {ZS_MSG_EV_TASK_RUNNING, "task.running", S_TASK_EVENT},
    {ZS_MSG_EV_TASK_COMPLETED, "task.completed", S_TASK_EVENT},
    {ZS_MSG_EV_TASK_FAILED, "task.failed", S_TASK_EVENT},
    {ZS_MSG_EV_TASK_DEAD, "task.dead", S_TASK_EVENT},
    {ZS_MSG_EV_TASK_CANCELLED, "task.cancelled", S_TASK_EVENT},
    {ZS_MSG_EV_BUDGET_SPENT, "budget.spent", "seq! scope! tok usd tok_max usd_max"},
    {ZS_MSG_EV_AGENT_BROADCAST, "agent.broadcast", "seq! aseq! payload! atype"},
    {ZS_MSG_EV_AGENT_PAUSED, "agent.paused", "seq! aseq! agent atype"},
    {ZS_MSG_EV_AGENT_RESUMED, "agent.resumed", "seq! aseq! agent atype"},
};
#define S_TYPE_COUNT (sizeof s_types / sizeof s_types[0])

typedef enum { T_ABSENT, T_OPTIONAL, T_REQUIRED } t_use_t;

//  The use a field list ("a! b c") makes of the field named name
static t_use_t
s_use_in(const char *fields, const char *name)
{
    size_t size = strlen(name);
    for (const char *at = fields; *at;) {
        size_t word = strcspn(at, " ");
        bool required = at[word - 1] == '!';
        if (word - required == size && memcmp(at, name, size) == 0) {
            return required ? T_REQUIRED : T_OPTIONAL;
        }
        at += word + (at[word] == ' ');
    }
    return T_ABSENT;
}

//  How a type uses key k, read from its field list
static t_use_t
s_use(const t_type_t *type, size_t k)
{
    return s_use_in(type->fields, s_keys[k].name ? s_keys[k].name : s_keys[k].key);
}

static const t_type_t *
s_type(zs_msg_type_t type)
{
    for (size_t i = 0; i < S_TYPE_COUNT; i++) {
        if (s_types[i].type == type) {
            return &s_types[i];
        }
    }
    return NULL;
}

//  ---------------------------------------------------------------------------------------
//  Sample values: each key gets its own, so a value landing in the wrong field shows

static const char s_bin_sample[] = "B\0\x01\xff\xc3\xa9 bin";
static const char *s_list_sample[] = {"item-1", "item-2"};
static const zs_msg_bin_t s_bins_sample[] = {{(const uint8_t *) "p\0\xff", 3},
                                             {(const uint8_t *) "", 0}};

#define S_TEXT_ROOM   64   //  bytes of one sample string
#define S_RECORD_ROOM 256  //  bytes of the largest record struct

//  The sample of str key: in a message "n-KEY" for a name and a text with an "é" else,
//  written to text (S_TEXT_ROOM bytes); in a record (text NULL) the key itself, which
//  needs no storage
static const char *
s_sample_str(const t_key_t *key, char *text)
{
    if (!text) {
        return key->key;
    }
    snprintf(text, S_TEXT_ROOM, key->min ? "n-%s" : "text for '%s' \xc3\xa9", key->key);
    return text;
}

//  The sample of the uint key at index (of its table): index + 1, unless its bound is
//  lower
static uint64_t
s_sample_uint(const t_key_t *key, size_t index)
{
    return index + 1 <= (uint64_t) key->max ? index + 1 : (uint64_t) key->max;
}

//  The sample of a float key: (index + 1) / 128, a fraction float 32 holds exactly,
//  unless its bound is lower
static double
s_sample_float(const t_key_t *key, size_t index)
{
    double value = (double) (index + 1) / 128;
    return value <= (double) key->max ? value : (double) key->max;
}

static void *
s_table_of(const uint8_t *at)
{
    void *table;
    memcpy(&table, at, sizeof table);
    return table;
}

static void s_clear_value(const t_key_t *key, uint8_t *base);
static void s_set_value(const t_key_t *key, size_t index, uint8_t *base, char *text);

//  Two sample records of a kind, one after the other as in a message: the first with
//  every field, the second with its required ones only (the others absent)
static const uint8_t *
s_sample_records(const t_record_t *record)
{
    static _Alignas(16) uint8_t store[S_COUNT(s_record_kinds)][2 * S_RECORD_ROOM];
    size_t kind = 0;
    while (s_record_kinds[kind] != record) {
        kind++;
    }
    uint8_t *records = store[kind];
    memset(records, 0, 2 * record->size);
    for (size_t i = 0; i < record->count; i++) {
        const t_key_t *key = &record->keys[i];
        s_set_value(key, i, records, NULL);
        if (s_use_in(record->fields, key->key) == T_REQUIRED) {
            s_set_value(key, i, records + record->size, NULL);
        } else {
            s_clear_value(key, records + record->size);
        }
    }
    return records;
}

//  Point the field of key at base to its sample (the index-th of its table); a string
//  goes to text (S_TEXT_ROOM bytes), or for a record's (text NULL) is the key
static void
s_set_value(const t_key_t *key, size_t index, uint8_t *base, char *text)
{
    uint8_t *at = base + key->offset;
    switch (key->kind) {
    case T_UINT:
        *(uint64_t *) (void *) at = s_sample_uint(key, index);
        break;
    case T_INT:
        *(int64_t *) (void *) at = -(int64_t) index - 1;
        break;
    case T_BOOL:
        *(bool *) at = true;
        break;
    case T_FLOAT:
        *(double *) (void *) at = s_sample_float(key, index);
        break;
    case T_STR:
        *(const char **) (void *) at = s_sample_str(key, text);
        break;
    case T_BIN:
        *(const uint8_t **) (void *) at = (const uint8_t *) s_bin_sample;
        *(size_t *) (void *) (base + key->aux) = sizeof s_bin_sample - 1;
        break;
    case T_LIST:
        ((zs_msg_list_t *) (void *) at)->items = s_list_sample;
        ((zs_msg_list_t *) (void *) at)->count = 2;
        break;
    case T_BINS:
        ((zs_msg_bins_t *) (void *) at)->items = s_bins_sample;
        ((zs_msg_bins_t *) (void *) at)->count = 2;
        break;
    case T_RECORDS: {
        const uint8_t *records = s_sample_records(key->record);
        memcpy(at, &records, sizeof records);
        *(size_t *) (void *) (base + key->aux) = 2;
        break;
    }
    }
}

//  Point msg's field k at its sample; strings go to store (S_TEXT_ROOM bytes per key)
static void
s_set_sample(zs_msg_t *msg, size_t k, char (*store)[S_TEXT_ROOM])
{
    s_set_value(&s_keys[k], k, (uint8_t *) msg, store[k]);
}

//  Clear the field of key at base: what an absent field reads as (zero, false, NULL,
//  empty, and NaN for a float)
static void
s_clear_value(const t_key_t *key, uint8_t *base)
{
    uint8_t *at = base + key->offset;
    switch (key->kind) {
    case T_UINT:
    case T_INT:
        memset(at, 0, sizeof(uint64_t));
        break;
    case T_BOOL:
        *(bool *) at = false;
        break;
    case T_FLOAT:
        *(double *) (void *) at = NAN;
        break;
    case T_STR:
        *(const char **) (void *) at = NULL;
        break;
    case T_BIN:
        *(const uint8_t **) (void *) at = NULL;
        *(size_t *) (void *) (base + key->aux) = 0;
        break;
    case T_LIST:
        memset(at, 0, sizeof(zs_msg_list_t));
        break;
    case T_BINS:
        memset(at, 0, sizeof(zs_msg_bins_t));
        break;
    case T_RECORDS:
        memset(at, 0, sizeof(void *));
        *(size_t *) (void *) (base + key->aux) = 0;
        break;
    }
}

static void
s_clear_field(zs_msg_t *msg, size_t k)
{
    s_clear_value(&s_keys[k], (uint8_t *) msg);
}

static bool
s_same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

//  Equal doubles, or both NaN (absent)
static bool
s_same_float(double a, double b)
{
    return isnan(a) || isnan(b) ? isnan(a) && isnan(b) : a == b;
}

static bool s_same_value(const t_key_t *key, const uint8_t *a, const uint8_t *b);

//  The count records of a kind at a and at b hold the same
static bool
s_same_records(const t_record_t *record, const uint8_t *a, const uint8_t *b, size_t count)
{
    bool same = true;
    for (size_t i = 0; same && i < count * record->count; i++) {
        size_t r = i / record->count, k = i % record->count;
        same = s_same_value(&record->keys[k], a + r * record->size, b + r * record->size);
    }
    return same;
}

//  True when the field of key holds the same at a as at b
static bool
s_same_value(const t_key_t *key, const uint8_t *a, const uint8_t *b)
{
    const uint8_t *va = a + key->offset;
    const uint8_t *vb = b + key->offset;
    size_t sa = key->aux ? *(const size_t *) (const void *) (a + key->aux) : 0;
    size_t sb = key->aux ? *(const size_t *) (const void *) (b + key->aux) : 0;
    switch (key->kind) {
    case T_UINT:
    case T_INT:
        return memcmp(va, vb, 8) == 0;
    case T_BOOL:
        return *(const bool *) va == *(const bool *) vb;
    case T_FLOAT:
        return s_same_float(*(const double *) (const void *) va,
                            *(const double *) (const void *) vb);
    case T_STR:
        return s_same_str(*(const char *const *) (const void *) va,
                          *(const char *const *) (const void *) vb);
    case T_BIN: {
        const uint8_t *da = *(const uint8_t *const *) (const void *) va;
        const uint8_t *db = *(const uint8_t *const *) (const void *) vb;
        return !da == !db && sa == sb && (sa == 0 || memcmp(da, db, sa) == 0);
    }
    case T_LIST: {
        const zs_msg_list_t *la = (const void *) va, *lb = (const void *) vb;
        bool same = la->count == lb->count;
        for (size_t i = 0; same && i < la->count; i++) {
            same = s_same_str(la->items[i], lb->items[i]);
        }
        return same;
    }
    case T_BINS: {
        const zs_msg_bins_t *ba = (const void *) va, *bb = (const void *) vb;
        bool same = ba->count == bb->count;
        for (size_t i = 0; same && i < ba->count; i++) {
            same = ba->items[i].size == bb->items[i].size &&
                   (ba->items[i].size == 0 ||
                    memcmp(ba->items[i].data, bb->items[i].data, ba->items[i].size) == 0);
        }
        return same;
    }
    case T_RECORDS:
        return sa == sb &&
               s_same_records(key->record, s_table_of(va), s_table_of(vb), sa);
    }
    return false;
}

//  True when field k of got equals field k of want
static bool
s_same_field(const zs_msg_t *got, const zs_msg_t *want, size_t k)
{
    return s_same_value(&s_keys[k], (const uint8_t *) got, (const uint8_t *) want);
}

//  The message a frame with these keys' samples must decode to: the keys the type uses
//  and the frame leaves out read as absent, NaN for a float (said here, not taken from
//  zs_msg_init)
static void
s_expected(zs_msg_t *want,
           const t_type_t *type,
           bool required_only,
           char (*store)[S_TEXT_ROOM])
{
    zs_msg_init(want, type->type);
    for (size_t k = 0; k < S_KEY_COUNT; k++) {
        t_use_t use = s_use(type, k);
        if (use == T_REQUIRED || (use == T_OPTIONAL && !required_only)) {
            s_set_sample(want, k, store);
        } else if (use == T_OPTIONAL) {
            s_clear_field(want, k);
        }
    }
}

//  Name of the first field where got and want differ, or NULL
static const char *
s_first_difference(const zs_msg_t *got, const zs_msg_t *want)
{
    if (got->type != want->type) {
        return "t";
    }
    for (size_t k = 0; k < S_KEY_COUNT; k++) {
        if (!s_same_field(got, want, k)) {
            return s_keys[k].key;
        }
    }
    return NULL;
}

//  ---------------------------------------------------------------------------------------
//  Frames packed by hand

typedef struct {
    bool required_only;  //  only the required keys
    const char *omit;    //  leave this key out ("v" and "t" too)
    const char *twice;   //  send this key twice
    const char *key;     //  send this key (added if the type lacks it) ...
    const void *raw;     //  ... with these pre-packed bytes as value, if not NULL
    size_t raw_size;     //  their length
} t_build_t;

static void
s_raw(msgpack_packer *pk, const void *data, size_t size)
{
    pk->callback(pk->data, data, size);
}

static void
s_pack_cstr(msgpack_packer *pk, const char *str)
{
    msgpack_pack_str(pk, strlen(str));
    msgpack_pack_str_body(pk, str, strlen(str));
}

static void
s_pack_value(msgpack_packer *pk, const t_key_t *key, size_t index, bool record);

//  One record of a kind with the sample of every field, or of its required ones only
static void
s_pack_record(msgpack_packer *pk, const t_record_t *record, bool required_only)
{
    size_t count = 0;
    for (size_t i = 0; i < record->count; i++) {
        count +=
            !required_only || s_use_in(record->fields, record->keys[i].key) == T_REQUIRED;
    }
    msgpack_pack_map(pk, count);
    for (size_t i = 0; i < record->count; i++) {
        if (!required_only ||
            s_use_in(record->fields, record->keys[i].key) == T_REQUIRED) {
            s_pack_cstr(pk, record->keys[i].key);
            s_pack_value(pk, &record->keys[i], i, true);
        }
    }
}

//  The sample of key (the index-th of its table), in a message or in a record
static void
s_pack_value(msgpack_packer *pk, const t_key_t *key, size_t index, bool record)
{
    char text[S_TEXT_ROOM];
    switch (key->kind) {
    case T_UINT:
        msgpack_pack_uint64(pk, s_sample_uint(key, index));
        break;
    case T_INT:
        msgpack_pack_int64(pk, -(int64_t) index - 1);
        break;
    case T_BOOL:
        msgpack_pack_true(pk);
        break;
    case T_FLOAT:
        msgpack_pack_double(pk, s_sample_float(key, index));
        break;
    case T_STR:
        s_pack_cstr(pk, s_sample_str(key, record ? NULL : text));
        break;
    case T_BIN:
        msgpack_pack_bin(pk, sizeof s_bin_sample - 1);
        msgpack_pack_bin_body(pk, s_bin_sample, sizeof s_bin_sample - 1);
        break;
    case T_LIST:
        msgpack_pack_array(pk, 2);
        s_pack_cstr(pk, s_list_sample[0]);
        s_pack_cstr(pk, s_list_sample[1]);
        break;
    case T_BINS:
        msgpack_pack_array(pk, 2);
        for (size_t i = 0; i < 2; i++) {
            msgpack_pack_bin(pk, s_bins_sample[i].size);
            msgpack_pack_bin_body(pk, s_bins_sample[i].data, s_bins_sample[i].size);
        }
        break;
    case T_RECORDS:
        msgpack_pack_array(pk, 2);
        s_pack_record(pk, key->record, false);
        s_pack_record(pk, key->record, true);
        break;
    }
}

static bool
s_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

//  A key of a frame: "v", "t", one of s_keys, or how's key unknown to the protocol
#define S_KEY_V       (-1)
#define S_KEY_T       (-2)
#define S_KEY_UNKNOWN (-3)

static const char *
s_wire_key(int entry, const t_build_t *how)
{
    return entry == S_KEY_V   ? "v"
           : entry == S_KEY_T ? "t"
           : entry >= 0       ? s_keys[entry].key
                              : how->key;
}

//  A key and its value: how's raw bytes, the version, the type, the key's sample, or
//  nil for a key the protocol does not know
static void
s_pack_pair(msgpack_packer *pk, int entry, const t_type_t *type, const t_build_t *how)
{
    const char *key = s_wire_key(entry, how);
    s_pack_cstr(pk, key);
    if (s_eq(key, how->key) && how->raw) {
        s_raw(pk, how->raw, how->raw_size);
    } else if (entry == S_KEY_V) {
        msgpack_pack_uint64(pk, ZS_MSG_VERSION);
    } else if (entry == S_KEY_T) {
        s_pack_cstr(pk, type->name);
    } else if (entry >= 0) {
        s_pack_value(pk, &s_keys[entry], (size_t) entry, false);
    } else {
        msgpack_pack_nil(pk);
    }
}

//  The entry to add for how's key when the type does not send it: the first of s_keys
//  with that wire key (for its sample), or S_KEY_UNKNOWN
static int
s_added_entry(const char *key)
{
    for (size_t k = 0; k < S_KEY_COUNT; k++) {
        if (s_eq(key, s_keys[k].key)) {
            return (int) k;
        }
    }
    return S_KEY_UNKNOWN;
}

//  The keys of a frame for type, as how asks, into entries; returns their number
static size_t
s_frame_keys(const t_type_t *type, const t_build_t *how, int *entries)
{
    size_t count = 0;
    bool sent = false;  //  how's key is among them
    for (size_t i = 0; i < 2 + S_KEY_COUNT; i++) {
        int entry = i == 0 ? S_KEY_V : i == 1 ? S_KEY_T : (int) i - 2;
        t_use_t use = entry < 0 ? T_REQUIRED : s_use(type, (size_t) entry);
        const char *key = s_wire_key(entry, how);
        bool wanted = use == T_REQUIRED || (use == T_OPTIONAL && !how->required_only) ||
                      (s_eq(key, how->key) && use == T_OPTIONAL);
        if (wanted && !s_eq(key, how->omit)) {
            entries[count++] = entry;
            sent |= s_eq(key, how->key);
        }
        if (wanted && s_eq(key, how->twice)) {
            entries[count++] = entry;
        }
    }
    if (how->key && !sent && !s_eq(how->key, how->omit)) {
        entries[count++] = s_added_entry(how->key);
    }
    return count;
}

static void
s_build(msgpack_sbuffer *buf, const t_type_t *type, const t_build_t *how)
{
    int entries[2 * S_KEY_COUNT + 4];
    size_t count = s_frame_keys(type, how, entries);
    msgpack_packer pk;
    msgpack_sbuffer_clear(buf);
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, count);
    for (size_t i = 0; i < count; i++) {
        s_pack_pair(&pk, entries[i], type, how);
    }
}

//  Decode a full frame of the named type with key's value replaced by raw bytes
static int
s_decode_with(const char *type_name,
              const char *key,
              const void *raw,
              size_t size,
              zs_msg_t *msg,
              zs_error_t *err)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    const t_type_t *type = s_type(zs_msg_type_from_name(type_name, strlen(type_name)));
    t_build_t how = {.key = key, .raw = raw, .raw_size = size};
    s_build(&buf, type, &how);
    int rc = zs_msg_decode(msg, buf.data, buf.size, err);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

//  Literal pre-packed bytes, as the (data, size) arguments of a call
#define RAW(lit) lit, sizeof(lit) - 1

//  ---------------------------------------------------------------------------------------
//  Bad input, as tables: one line per rule broken

typedef struct {
    const char *rule;      //  the case that runs it
    const char *type;      //  a full frame of this type ...
    const char *key;       //  ... with this key's value replaced (or the key added) ...
    const char *raw;       //  ... by these pre-packed bytes
    size_t raw_size;       //  their length
    int code;              //  the error expected
    const char *fragment;  //  in its text
} t_bad_value_t;

#define BAD(rule, type, key, raw, fragment)                                              \
    {                                                                                    \
        rule, type, key, raw, sizeof(raw) - 1, ZS_ERR_MALFORMED, fragment                \
    }
#define BAD_CODE(rule, type, key, raw, code, fragment)                                   \
    {                                                                                    \
        rule, type, key, raw, sizeof(raw) - 1, code, fragment                            \
    }

// clang-format off
static const t_bad_value_t s_bad_values[] = {
    BAD ("unknown", "submit", "foo", "\x01", "unknown key 'foo' for 'submit'"),
    BAD ("unknown", "submit", "", "\x01", "unknown key '' for 'submit'"),
    BAD ("unknown", "submit", "a\nb", "\x01", "unknown key 'a\\x0ab' for 'submit'"),
    BAD ("unknown", "submit", "ttyp", "\x01", "unknown key 'ttyp'"),
    BAD ("unknown", "submit", "ttypes", "\x01", "unknown key 'ttypes'"),
    //  an unknown key's value may be anything, nested: it is skipped, then refused
    BAD ("unknown", "status", "x", "\x92\x81\xa1k\x91\xc0\xca\0\0\0\0", "unknown key 'x' for 'status'"),

    //  an empty list is no value (PROTOCOL.md §2.3), so a required one cannot be empty:
    //  such a message would decode and then not encode (found by tests/fuzz/fuzz_msg)
    BAD ("empty", "vote.propose", "options", "\x90", "required field 'options' for 'vote.propose' is empty"),
    BAD ("empty", "vote.ask", "options", "\x90", "required field 'options' for 'vote.ask' is empty"),
    BAD ("empty", "vote.status.ok", "options", "\x90", "field 'options' for 'vote.status.ok' is empty"),
    BAD ("empty", "vote.opened", "options", "\x90", "field 'options' for 'vote.opened' is empty"),

    BAD ("kind", "submit", "tmo", "\xa1" "5", "field 'tmo': expected uint, got str"),
    BAD ("kind", "submit", "tmo", "\xcb\0\0\0\0\0\0\0\0", "expected uint, got float"),
    BAD ("kind", "submit", "tmo", "\xca\0\0\0\0", "expected uint, got float"),
    BAD ("kind", "submit", "tmo", "\xff", "expected uint, got negative int"),
    BAD ("kind", "submit", "tmo", "\xd3\x80\0\0\0\0\0\0\0", "got negative int"),
    BAD ("kind", "submit", "tmo", "\xc3", "expected uint, got bool"),
    BAD ("kind", "submit", "tmo", "\xd4\x01\x02", "expected uint, got ext"),
    BAD ("kind", "submit", "tmo", "\x90", "expected uint, got array"),
    BAD ("kind", "submit", "pri", "\xca\0\0\0\0", "field 'pri': expected int, got float"),
    BAD ("kind", "task.result", "exit", "\xcf\x80\0\0\0\0\0\0\0", "field 'exit': 9223372036854775808 out of range"),
    BAD ("kind", "submit", "wait", "\x01", "field 'wait': expected bool, got uint"),
    BAD ("kind", "submit", "wait", "\xa4true", "expected bool, got str"),
    BAD ("kind", "submit", "ttype", "\xc4\x04" "echo", "field 'ttype': expected str, got bin"),
    BAD ("kind", "submit", "ttype", "\x07", "expected str, got uint"),
    BAD ("kind", "submit", "payload", "\xa2hi", "field 'payload': expected bin, got str"),
    BAD ("kind", "hello", "caps", "\xa1x", "field 'caps': expected array, got str"),
    BAD ("kind", "hello", "caps", "\x80", "expected array, got map"),
    BAD ("kind", "hello", "caps", "\x92\xa1x\x01", "field 'caps': expected str, got uint"),
    BAD ("kind", "welcome", "argv", "\x91\xc4\x01x", "field 'argv': expected str, got bin"),
    BAD ("kind", "agents.ok", "agents", "\x80", "field 'agents': expected array, got map"),
    BAD ("kind", "welcome", "temp", "\xa3" "0.5", "field 'temp': expected float, got str"),
    BAD ("kind", "welcome", "temp", "\xc2", "field 'temp': expected float, got bool"),
    BAD ("kind", "welcome", "temp", "\xd4\x01\x02", "field 'temp': expected float, got ext"),
    BAD ("kind", "providers.ok", "budgets", "\x81\xa5scope\xa1s", "field 'budgets': expected array, got map"),

    //  a float is finite and within its bounds, whatever its encoding
    BAD ("float", "welcome", "temp", "\xcb\x7f\xf8\0\0\0\0\0\0", "field 'temp': nan is not a finite number"),
    BAD ("float", "welcome", "temp", "\xca\x7f\xc0\0\0", "field 'temp': nan is not a finite number"),
    BAD ("float", "welcome", "temp", "\xca\x7f\x80\0\0", "field 'temp': inf is not a finite number"),
    BAD ("float", "status.ok", "usd", "\xcb\xff\xf0\0\0\0\0\0\0", "field 'usd': -inf is not a finite number"),
    BAD ("float", "welcome", "temp", "\xcb\x40\0\0\0\0\0\0\x01", "field 'temp': 2.0000000000000004 out of range 0..2"),
    BAD ("float", "welcome", "temp", "\xca\xbf\0\0\0", "field 'temp': -0.5 out of range 0..2"),
    BAD ("float", "welcome", "temp", "\x03", "field 'temp': 3 out of range 0..2"),
    BAD ("float", "welcome", "temp", "\xff", "field 'temp': -1 out of range 0..2"),
    BAD ("float", "status.ok", "usd", "\xcf\xff\xff\xff\xff\xff\xff\xff\xff", "field 'usd': 1.8446744073709552e+19 out of range 0..1000000000"),
    BAD ("float", "providers.ok", "budgets", "\x91\x82\xa5scope\xa1s\xa3usd\xcb\x7f\xf8\0\0\0\0\0\0", "field 'budgets': record 0: field 'usd': nan is not a finite number"),
    BAD ("float", "welcome", "providers", "\x91\x85\xa4name\xa1n\xa4kind\xa1k\xa3url\xa1u\xa5model\xa1m\xa8price_in\xff", "field 'providers': record 0: field 'price_in': -1 out of range 0..1000000"),

    BAD ("range", "task.progress", "pct", "\x65", "field 'pct': 101 out of range 0..100"),
    BAD ("range", "task.progress", "pct", "\xcf\xff\xff\xff\xff\xff\xff\xff\xff", "field 'pct': 18446744073709551615 out of range 0..100"),
    BAD ("range", "submit", "pri", "\xcd\x13\x88", "field 'pri': 5000 out of range -1000..1000"),
    BAD ("range", "submit", "pri", "\xcd\x03\xe9", "1001 out of range -1000..1000"),
    BAD ("range", "submit", "pri", "\xd1\xfc\x17", "-1001 out of range -1000..1000"),
    BAD ("range", "submit", "pri", "\xd3\x80\0\0\0\0\0\0\0", "out of range"),
    BAD ("range", "submit", "ttype", "\xa0", "field 'ttype': 0 bytes, out of range 1..64"),
    BAD ("range", "agent.joined", "agent", "\xa0", "field 'agent': 0 bytes"),
    BAD ("range", "agents.ok", "agents", "\x91\x82\xa5" "agent\xa0\xa5" "atype\xa2" "bb", "record 0: field 'agent': 0 bytes, out of range 1..64"),
    BAD ("range", "hello", "caps", "\x91\xa0", "field 'caps': 0 bytes, out of range 1..64"),
    BAD ("range", "welcome", "max_redirects", "\x15", "field 'max_redirects': 21 out of range 0..20"),
    BAD ("range", "welcome", "retries", "\x0b", "field 'retries': 11 out of range 0..10"),
    BAD ("range", "provider.report", "http", "\xcd\x03\xe8", "field 'http': 1000 out of range 0..999"),
    BAD ("range", "provider.report", "retry", "\xce\x05\x26\x5c\x01", "field 'retry': 86400001 out of range 0..86400000"),
    BAD ("range", "welcome", "allow", "\x91\xa0", "field 'allow': 0 bytes, out of range 1..2048"),

    BAD ("nul", "task.ack", "task", "\xa3" "a\0b", "field 'task': NUL byte in string"),
    BAD ("nul", "bye", "why", "\xa1\0", "field 'why': NUL byte"),
    BAD ("nul", "hello", "caps", "\x91\xa2x\0", "field 'caps': NUL byte"),
    BAD ("nul", "agents.ok", "agents", "\x91\x82\xa5" "agent\xa2" "a\0\xa5" "atype\xa1" "b", "record 0: field 'agent': NUL byte"),

    BAD ("utf8", "submit", "ttype", "\xa2\xc3\x28", "field 'ttype': invalid UTF-8 at byte 0"),
    BAD ("utf8", "submit", "ttype", "\xa3" "ab\x80", "field 'ttype': invalid UTF-8 at byte 2"),
    BAD ("utf8", "submit", "ttype", "\xa2\xc0\xaf", "invalid UTF-8"),
    BAD ("utf8", "submit", "ttype", "\xa3\xe0\x80\xaf", "invalid UTF-8"),
    BAD ("utf8", "submit", "ttype", "\xa3\xed\xa0\x80", "invalid UTF-8"),
    BAD ("utf8", "submit", "ttype", "\xa4\xf4\x90\x80\x80", "invalid UTF-8"),
    BAD ("utf8", "submit", "ttype", "\xa2\xe2\x82", "invalid UTF-8"),
    BAD ("utf8", "submit", "ttype", "\xa1\xff", "invalid UTF-8"),
    BAD ("utf8", "bye", "why", "\xa3ok\xfe", "field 'why': invalid UTF-8 at byte 2"),
    BAD ("utf8", "welcome", "argv", "\x92\xa2sh\xa1\xc3", "field 'argv': invalid UTF-8"),
    BAD ("utf8", "agents.ok", "agents", "\x91\x82\xa5" "agent\xa2" "a\xff\xa5" "atype\xa1" "b", "record 0: field 'agent': invalid UTF-8"),

    //  nil is absent only where a field may be: never a required one, a list item or a
    //  record
    BAD ("nil", "submit", "ttype", "\xc0", "required field 'ttype' for 'submit' is nil"),
    BAD ("nil", "task.ack", "att", "\xc0", "required field 'att' for 'task.ack' is nil"),
    BAD ("nil", "agents.ok", "agents", "\xc0", "required field 'agents' for 'agents.ok' is nil"),
    BAD ("nil", "vote.propose", "options", "\xc0", "required field 'options' for 'vote.propose' is nil"),
    BAD ("nil", "hello", "caps", "\x92\xa1x\xc0", "field 'caps': expected str, got nil"),
    BAD ("nil", "submit", "items", "\x91\xc0", "field 'items': expected bin items, got nil"),
    BAD ("nil", "agents.ok", "agents", "\x91\x82\xa5" "agent\xc0\xa5" "atype\xa2" "bb", "record 0: required field 'agent' for 'agent record' is nil"),
    BAD_CODE ("nil", "hello", "v", "\xc0", ZS_ERR_VERSION, "version is a nil"),
    BAD_CODE ("nil", "hello", "t", "\xc0", ZS_ERR_MALFORMED, "field 't': expected str, got nil"),

    BAD ("record", "agents.ok", "agents", "\x92\x83\xa5" "agent\xa1" "a\xa5" "atype\xa1" "b\xa4" "host\xb2" "hhhhhhhhhhhhhhhhhh\xc0", "record 1 is a nil, not a map"),
    BAD ("record", "agents.ok", "agents", "\x91\x83\xa5" "agent\xa1" "a\xa5" "atype\xa1" "b\xa3pid\xa1" "1", "field 'agents': record 0: field 'pid': expected uint, got str"),
    BAD ("record", "agents.ok", "agents", "\x91\x81\xa5" "agent\xb1" "aaaaaaaaaaaaaaaaa", "record 0: missing required field 'atype' for 'agent record'"),
    BAD ("record", "agents.ok", "agents", "\x91\x83\xa5" "agent\xa1" "a\xa5" "atype\xa1" "b\xa3" "foo\x01", "record 0: unknown key 'foo' for 'agent record'"),
    BAD ("record", "agents.ok", "agents", "\x91\x83\xa5" "agent\xa1" "a\xa5" "atype\xa1" "b\xa5" "agent\xa1" "c", "record 0: duplicate key 'agent'"),
    BAD ("record", "agents.ok", "agents", "\x91\x83\xa5" "agent\xa1" "a\xa5" "atype\xa1" "b\xa5" "local\x01", "field 'local': expected bool, got uint"),
    //  17 bytes is the least a record can take; fewer left for the count claimed is refused
    BAD ("record", "agents.ok", "agents", "\x92\x80\x80", "field 'agents': 2 records cannot fit"),
    //  welcome's providers and providers.ok's share a key, not a kind of record
    BAD ("record", "providers.ok", "providers", "\x91\x84\xa4name\xa1n\xa4kind\xa1k\xa3url\xa1u\xa5model\xa1m", "field 'providers': record 0: unknown key 'url' for 'provider record'"),
    BAD ("record", "providers.ok", "providers", "\x91\x83\xa4name\xa1n\xa4kind\xa1k\xa5model\xa1m", "record 0: missing required field 'state' for 'provider record'"),
    BAD ("record", "welcome", "providers", "\x91\x85\xa4name\xa1n\xa4kind\xa1k\xa3url\xa1u\xa5model\xa1m\xa5state\xa1s", "record 0: unknown key 'state' for 'provider-conf record'"),
    BAD ("record", "welcome", "providers", "\x91\x83\xa4name\xa1n\xa4kind\xa1k\xa3url\xa1u", "record 0: missing required field 'model' for 'provider-conf record'"),
    BAD ("record", "providers.ok", "budgets", "\x91\x82\xa5scope\xa1s\xa3tok\xa1" "1", "field 'budgets': record 0: field 'tok': expected uint, got str"),
    BAD ("record", "providers.ok", "budgets", "\x91\x82\xa3tok\x05\xa7tok_max\x06", "field 'budgets': record 0: missing required field 'scope' for 'budget record'"),
    BAD ("record", "providers.ok", "budgets", "\x91\x80", "field 'budgets': 1 records cannot fit in 1 bytes"),

    BAD_CODE ("version", "hello", "v", "\x00", ZS_ERR_VERSION, "version 0 not supported"),
    BAD_CODE ("version", "hello", "v", "\x02", ZS_ERR_VERSION, "version 2 not supported"),
    BAD_CODE ("version", "hello", "v", "\xa1" "1", ZS_ERR_VERSION, "version is a str"),
    BAD_CODE ("version", "hello", "v", "\xff", ZS_ERR_VERSION, "version is a negative int"),
    BAD_CODE ("version", "hello", "v", "\xcb\x3f\xf0\0\0\0\0\0\0", ZS_ERR_VERSION, "version is a float"),

    BAD_CODE ("type", "hello", "t", "\xa4nope", ZS_ERR_UNKNOWN_TYPE, "unknown type 'nope'"),
    BAD_CODE ("type", "hello", "t", "\xa0", ZS_ERR_UNKNOWN_TYPE, "unknown type ''"),
    BAD_CODE ("type", "hello", "t", "\xa6hello\0", ZS_ERR_UNKNOWN_TYPE, "unknown type 'hello\\x00'"),
    BAD_CODE ("type", "hello", "t", "\x01", ZS_ERR_MALFORMED, "field 't': expected str, got uint"),
    BAD_CODE ("type", "hello", "t", "\xc4\x05hello", ZS_ERR_MALFORMED, "field 't': expected str, got bin"),
};

typedef struct {
    const char *rule;     //  the case that runs it
    const char *frame;    //  a whole frame
    size_t size;          //  its length
    int code;             //  the error expected
    const char *fragment; //  in its text
} t_bad_frame_t;

#define FRAME(rule, frame, code, fragment) {rule, frame, sizeof(frame) - 1, code, fragment}

static const t_bad_frame_t s_bad_frames[] = {
    FRAME ("key", "\x82\x01\x01\xa1t\xa6status", ZS_ERR_MALFORMED, "key is a uint, not a str"),
    FRAME ("key", "\x82\xa1v\x01\xc4\x01t\xa6status", ZS_ERR_MALFORMED, "key is a bin, not a str"),

    FRAME ("head", "\x81\xa1t\xa5hello", ZS_ERR_VERSION, "missing key 'v'"),
    FRAME ("head", "\x81\xa1v\x01", ZS_ERR_MALFORMED, "missing key 't'"),
    //  a version error wins over whatever a newer version may have changed
    FRAME ("head", "\x83\xa3new\x01\xa1t\xa5hello\xa1v\x02", ZS_ERR_VERSION, "version 2 not supported"),

    FRAME ("dup", "\x83\xa1v\x01\xa1v\x01\xa1t\xa6status", ZS_ERR_MALFORMED, "duplicate key 'v'"),
    FRAME ("dup", "\x83\xa1v\x01\xa1t\xa6status\xa1t\xa6status", ZS_ERR_MALFORMED, "duplicate key 't'"),

    FRAME ("trailing", "\x82\xa1v\x01\xa1t\xa6status\xc0", ZS_ERR_MALFORMED, "1 trailing bytes after the map"),
    FRAME ("trailing", "\x82\xa1v\x01\xa1t\xa6status\x80", ZS_ERR_MALFORMED, "trailing bytes"),
    FRAME ("trailing", "\x82\xa1v\x01\xa1t\xa6status\x82\xa1v\x01\xa1t\xa6status", ZS_ERR_MALFORMED, "13 trailing bytes"),

    FRAME ("map", "", ZS_ERR_MALFORMED, "truncated at offset 0"),
    FRAME ("map", "\xc0", ZS_ERR_MALFORMED, "message is a nil, not a map"),
    FRAME ("map", "\x01", ZS_ERR_MALFORMED, "message is a uint, not a map"),
    FRAME ("map", "\xa5hello", ZS_ERR_MALFORMED, "message is a str, not a map"),
    FRAME ("map", "\x92\xa1v\x01", ZS_ERR_MALFORMED, "message is a array, not a map"),
    FRAME ("map", "\xc1", ZS_ERR_MALFORMED, "invalid byte 0xc1 at offset 0"),
    FRAME ("map", "\x82\xa1v\x01\xa1t\xc1", ZS_ERR_MALFORMED, "invalid byte 0xc1 at offset 6"),

    //  tiny frames claiming huge counts and lengths are refused before any allocation
    FRAME ("huge", "\xdf\xff\xff\xff\xff", ZS_ERR_MALFORMED, "map at offset 0: 4294967295 items claimed"),
    FRAME ("huge", "\xde\xff\xff\x01", ZS_ERR_MALFORMED, "map at offset 0: 65535 items claimed, 1 bytes left"),
    FRAME ("huge", "\xdd\xff\xff\xff\xff", ZS_ERR_MALFORMED, "truncated array"),
    FRAME ("huge", "\xdb\xff\xff\xff\xff" "abc", ZS_ERR_MALFORMED, "truncated str at offset 0: 4294967295 bytes"),
    FRAME ("huge", "\x81\xa1v\xc6\xff\xff\xff\xff", ZS_ERR_MALFORMED, "truncated bin at offset 3"),
    FRAME ("huge", "\x81\xa1v\xc9\xff\xff\xff\xff\x01", ZS_ERR_MALFORMED, "truncated ext"),
    FRAME ("huge", "\x83\xa1v\x01\xa1t\xa5hello\xa4" "caps\xdd\xff\xff\xff\xff", ZS_ERR_MALFORMED, "truncated array at offset 17: 4294967295 items claimed, 0 bytes left"),
    FRAME ("huge", "\x83\xa1v\x01\xa1t\xa9" "agents.ok\xa6" "agents\xdd\x7f\xff\xff\xff\x80", ZS_ERR_MALFORMED, "truncated array"),
    FRAME ("huge", "\x83\xa1v\x01\xa1t\xa6status\xa1x\x91\x91\x91\x91\xdf\xff\xff\xff\xff", ZS_ERR_MALFORMED, "truncated map"),
    FRAME ("huge", "\x83\xa1v\x01\xa1t\xa6status\xa1x\xdc\x00\x10\x90", ZS_ERR_MALFORMED, "truncated array at offset 15: 16 items claimed, 1 bytes left"),
    //  each array fits alone, but not the values of both
    FRAME ("huge", "\x83\xa1v\x01\xa1t\xa6status\xa1x\x92\x91\x91", ZS_ERR_MALFORMED, "2 values claimed, 1 bytes left"),
    FRAME ("huge", "\xd9", ZS_ERR_MALFORMED, "truncated header 0xd9 at offset 0"),
    FRAME ("huge", "\x81\xa1v\xcf\x01\x02", ZS_ERR_MALFORMED, "truncated header 0xcf at offset 3"),
};

//  Good values next to the bounds
typedef struct {
    const char *type; //  a full frame of this type ...
    const char *key;  //  ... with this key's value replaced ...
    const char *raw;  //  ... by these bytes
    size_t raw_size;  //  their length
} t_good_value_t;

#define GOOD(type, key, raw) {type, key, raw, sizeof(raw) - 1}

static const t_good_value_t s_good_values[] = {
    GOOD ("task.progress", "pct", "\x64"),
    GOOD ("task.progress", "pct", "\x00"),
    GOOD ("submit", "pri", "\xcd\x03\xe8"),
    GOOD ("submit", "pri", "\xd1\xfc\x18"),
    GOOD ("bye", "why", "\xa0"),
    GOOD ("welcome", "argv", "\x92\xa2sh\xa0"),
    GOOD ("hello", "v", "\xd0\x01"),
    GOOD ("agents.ok", "agents", "\x90"),
    GOOD ("hello", "caps", "\x90"),
    GOOD ("submit", "payload", "\xc4\x00"),
    GOOD ("submit", "ttype", "\xa2\xc3\xa9"),
    GOOD ("submit", "ttype", "\xa4\xf0\x9f\x98\x80"),
    GOOD ("submit", "ttype", "\xa3\xef\xbf\xbf"),
    GOOD ("submit", "ttype", "\xa4\xf4\x8f\xbf\xbf"),
    GOOD ("submit", "payload", "\xc4\x02\xff\x00"),
    GOOD ("welcome", "temp", "\xcb\x40\0\0\0\0\0\0\0"),
    GOOD ("welcome", "temp", "\xca\0\0\0\0"),
    GOOD ("welcome", "temp", "\xca\x80\0\0\0"),
    GOOD ("status.ok", "usd", "\xce\x3b\x9a\xca\x00"),
    GOOD ("welcome", "max_redirects", "\x14"),
    GOOD ("task.progress", "text", "\xa0"),
    GOOD ("provider.report", "http", "\xcd\x03\xe7"),
};
// clang-format on

static bool
s_error_is(
    int rc, const zs_error_t *err, int code, const char *fragment, const char *what)
{
    if (rc != -1 || err->code != code || !strstr(err->text, fragment)) {
        fprintf(stderr, "%s: want error %d '%s', got rc %d, %d '%s'\n", what, code,
                fragment, rc, err->code, err->text);
        return false;
    }
    return true;
}

//  Every value case of rule is refused as it says
static bool
s_bad_values_refused(const char *rule)
{
    for (size_t i = 0; i < S_COUNT(s_bad_values); i++) {
        const t_bad_value_t *bad = &s_bad_values[i];
        if (strcmp(bad->rule, rule) != 0) {
            continue;
        }
        zs_msg_t msg;
        zs_error_t err = {.code = 0};
        int rc = s_decode_with(bad->type, bad->key, bad->raw, bad->raw_size, &msg, &err);
        if (rc == 0) {
            zs_msg_fini(&msg);
        }
        if (!s_error_is(rc, &err, bad->code, bad->fragment, bad->key)) {
            return false;
        }
    }
    return true;
}

//  Every frame case of rule is refused as it says
static bool
s_bad_frames_refused(const char *rule)
{
    for (size_t i = 0; i < S_COUNT(s_bad_frames); i++) {
        const t_bad_frame_t *bad = &s_bad_frames[i];
        if (strcmp(bad->rule, rule) != 0) {
            continue;
        }
        zs_msg_t msg;
        zs_error_t err = {.code = 0};
        //  an exact-size copy, so ASan sees any read past the end
        char *copy = malloc(bad->size + 1);
        memcpy(copy, bad->frame, bad->size);
        int rc = zs_msg_decode(&msg, copy, bad->size, &err);
        free(copy);
        if (!s_error_is(rc, &err, bad->code, bad->fragment, rule)) {
            return false;
        }
    }
    return true;
}

//  A full frame of type with key's value replaced by raw (size bytes) is refused as
//  malformed, with fragment in the error
static bool
s_bad_value(
    const char *type, const char *key, const void *raw, size_t size, const char *fragment)
{
    zs_msg_t msg;
    zs_error_t err = {.code = 0};
    int rc = s_decode_with(type, key, raw, size, &msg, &err);
    if (rc == 0) {
        zs_msg_fini(&msg);
    }
    return s_error_is(rc, &err, ZS_ERR_MALFORMED, fragment, key);
}

static bool
s_good_value(const char *type, const char *key, const void *raw, size_t size)
{
    zs_msg_t msg;
    zs_error_t err;
    if (s_decode_with(type, key, raw, size, &msg, &err) != 0) {
        fprintf(stderr, "'%s' with '%s': %s\n", type, key, err.text);
        return false;
    }
    zs_msg_fini(&msg);
    return true;
}

#endif
