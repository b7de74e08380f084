//  test_msg_spec - the protocol as test_msg understands it: fields, types, sample
//  values, frames packed by hand, and a bad value or frame for each validation rule
//
//  The field sets here restate proto/PROTOCOL.md independently of proto/zs_msgtab.c,
//  and frames are packed with msgpack-c, not with the encoder under test, so a mistake
//  in the codec's table cannot hide itself. Included by test_msg.c only: everything is
//  static.

#ifndef TEST_MSG_SPEC_H
#define TEST_MSG_SPEC_H

#include "proto/zs_msg.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  ---------------------------------------------------------------------------------------
//  The protocol as this test understands it

typedef enum { T_UINT, T_INT, T_BOOL, T_STR, T_BIN, T_LIST, T_BINS, T_AGENTS } t_kind_t;

typedef struct {
    const char *key;   //  wire key
    t_kind_t kind;     //  how it is carried
    size_t offset;     //  of the value in zs_msg_t
    size_t aux;        //  of a bin's size or the record count
    int64_t min;       //  least value or length (of an item for lists)
    int64_t max;       //  greatest value or length (of an item for lists)
    size_t count_max;  //  items of a list, when not ZS_MSG_LIST_MAX
} t_key_t;

#define K(key, kind, member, min, max)                                                   \
    {                                                                                    \
        key, kind, offsetof(zs_msg_t, member), 0, min, max, 0                            \
    }
#define K_UINT(key, member) K(key, T_UINT, member, 0, INT64_MAX)
#define K_NAME(key, member) K(key, T_STR, member, 1, ZS_MSG_NAME_MAX)
#define K_TEXT(key, member) K(key, T_STR, member, 0, ZS_MSG_TEXT_MAX)
#define K_BIN(key, member, size, max)                                                    \
    {                                                                                    \
        key, T_BIN, offsetof(zs_msg_t, member), offsetof(zs_msg_t, size), 0, max, 0      \
    }

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
    K("dup", T_BOOL, dup, 0, 1),
    K_NAME("name", name),
    {"agents", T_AGENTS, offsetof(zs_msg_t, agents), offsetof(zs_msg_t, agent_count), 0,
     ZS_MSG_AGENTS_MAX, 0},
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
    {"deps", T_LIST, offsetof(zs_msg_t, deps), 0, 1, ZS_MSG_NAME_MAX, ZS_MSG_ITEMS_MAX},
    K("items", T_BINS, items, 0, ZS_MSG_PAYLOAD_MAX),
    K_NAME("agg", agg),
    K_NAME("strategy", strategy),
    K("requires", T_LIST, requires, 1, ZS_MSG_NAME_MAX),
    K_UINT("bid", bid),
    {"peers", T_LIST, offsetof(zs_msg_t, peers), 0, 1, ZS_MSG_NAME_MAX, ZS_MSG_ITEMS_MAX},
    {"gone", T_LIST, offsetof(zs_msg_t, gone), 0, 1, ZS_MSG_NAME_MAX, ZS_MSG_ITEMS_MAX},
    K("full", T_BOOL, full, 0, 1),
    K_NAME("role", role),
    K_NAME("lead", lead),
    K_NAME("topology", topology),
    {"links", T_LIST, offsetof(zs_msg_t, links), 0, 3, 2 * ZS_MSG_NAME_MAX + 1,
     ZS_MSG_ITEMS_MAX},
    K_UINT("n_forbidden", n_forbidden),
    K("key", T_STR, key, 1, ZS_MSG_KEY_MAX),
    K_BIN("value", value, value_size, ZS_MSG_VALUE_MAX),
    {"tags", T_LIST, offsetof(zs_msg_t, tags), 0, 1, ZS_MSG_NAME_MAX, ZS_MSG_TAGS_MAX},
    K("ttl", T_UINT, ttl, 0, ZS_MSG_TMO_MAX),
    K_NAME("access", access),
    K_UINT("version", version),
    K("cas", T_BOOL, cas, 0, 1),
    K("prefix", T_STR, prefix, 0, ZS_MSG_KEY_MAX),
    {"keys", T_LIST, offsetof(zs_msg_t, keys), 0, 1, ZS_MSG_KEY_MAX, ZS_MSG_ITEMS_MAX},
    K_UINT("expires", expires),
    K("amount", T_INT, amount, -ZS_MSG_AMOUNT_MAX, ZS_MSG_AMOUNT_MAX),
    K("half_life", T_UINT, half_life, 0, ZS_MSG_TMO_MAX),
    K("level", T_INT, level, INT64_MIN, INT64_MAX),
    K("top", T_UINT, top, 0, ZS_MSG_ITEMS_MAX),
    K("level_micro", T_INT, level_micro, INT64_MIN, INT64_MAX),
    K_UINT("at", at),
    K_NAME("vote", vote),
    K("question", T_STR, question, 1, ZS_MSG_TEXT_MAX),
    {"options", T_LIST, offsetof(zs_msg_t, options), 0, 1, ZS_MSG_NAME_MAX, 16},
    K("voters", T_LIST, voters, 1, ZS_MSG_NAME_MAX),
    K("deadline", T_UINT, deadline, 0, ZS_MSG_TMO_MAX),
    K_NAME("option", option),
    K("confidence", T_UINT, confidence, 0, 1000),
    K("weight", T_UINT, weight, 0, 10),
    {"ballots", T_LIST, offsetof(zs_msg_t, ballots), 0, 5, 2 * ZS_MSG_NAME_MAX + 32,
     ZS_MSG_AGENTS_MAX},
    {"votes", T_LIST, offsetof(zs_msg_t, votes), 0, 1, ZS_MSG_NAME_MAX, ZS_MSG_ITEMS_MAX},
    K_UINT("cast", cast),
    K("vote_argv", T_LIST, vote_argv, 0, ZS_MSG_ARG_MAX),
    K_NAME("secret", secret),
    K_NAME("addr", addr),
    K_UINT("queued_bytes", queued_bytes),
    K_UINT("results_bytes", results_bytes),
};
#define S_KEY_COUNT (sizeof s_keys / sizeof s_keys[0])

typedef struct {
    zs_msg_type_t type;  //  enum value
    const char *name;    //  wire name
    const char *fields;  //  its keys; "!" marks a required one
} t_type_t;

#define S_TASK_VIEW                                                                      \
    "task! ttype! state! rid att agent status exit stdout stderr why pri tmo tries "     \
    "ended deps"
#define S_TASK_EVENT "seq! task! ttype! att agent why"

static const t_type_t s_types[] = {
    {ZS_MSG_HELLO, "hello", "atype! agent caps conc host pid secret"},
    {ZS_MSG_WELCOME, "welcome",
     "agent! atype! hb! live! handler! conc! argv option vote_argv"},
    {ZS_MSG_HEARTBEAT, "heartbeat", "load"},
    {ZS_MSG_BYE, "bye", "why"},
    {ZS_MSG_ERROR, "error", "code! why! rid task vote"},
    {ZS_MSG_TASK_ASSIGN, "task.assign", "task! ttype! att! payload tmo"},
    {ZS_MSG_TASK_ACK, "task.ack", "task! att!"},
    {ZS_MSG_TASK_PROGRESS, "task.progress", "task! att! pct note"},
    {ZS_MSG_TASK_RESULT, "task.result", "task! att! status! exit stdout stderr why"},
    {ZS_MSG_TASK_CANCEL, "task.cancel", "task! att!"},
    {ZS_MSG_TASK_OFFER, "task.offer", "task! ttype! tmo"},
    {ZS_MSG_TASK_BID, "task.bid", "task! bid!"},
    {ZS_MSG_SUBMIT, "submit",
     "ttype! rid task payload pri tmo tries wait deps items agg strategy requires"},
    {ZS_MSG_SUBMIT_OK, "submit.ok", "task! rid dup"},
    {ZS_MSG_WAIT, "wait", "task! rid"},
    {ZS_MSG_WAIT_OK, "wait.ok", S_TASK_VIEW},
    {ZS_MSG_TASK, "task", "task! rid"},
    {ZS_MSG_TASK_OK, "task.ok", S_TASK_VIEW},
    {ZS_MSG_CANCEL, "cancel", "task! rid"},
    {ZS_MSG_CANCEL_OK, "cancel.ok", "task! state! rid"},
    {ZS_MSG_STATUS, "status", "rid"},
    {ZS_MSG_STATUS_OK, "status.ok",
     "name! rid n_agents n_ready n_running n_pending n_completed n_dead n_cancelled "
     "n_submitted "
     "uptime_ms seq n_forbidden queued_bytes results_bytes"},
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
};
#define S_TYPE_COUNT (sizeof s_types / sizeof s_types[0])

typedef enum { T_ABSENT, T_OPTIONAL, T_REQUIRED } t_use_t;

//  How a type uses a key, read from its field list
static t_use_t
s_use(const t_type_t *type, const char *key)
{
    size_t size = strlen(key);
    for (const char *at = type->fields; *at;) {
        size_t word = strcspn(at, " ");
        bool required = at[word - 1] == '!';
        if (word - required == size && memcmp(at, key, size) == 0) {
            return required ? T_REQUIRED : T_OPTIONAL;
        }
        at += word + (at[word] == ' ');
    }
    return T_ABSENT;
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

static zs_msg_agent_t s_records[2] = {
    {"agent-1", "echo", "host-1", "busy", 4242, 2, 1, 17, 3, true, "worker", "agent-0",
     910, 741},
    {"agent-2", "shell", NULL, NULL, 0, 0, 0, 0, 0, false, NULL, NULL, 0, 0},
};
static const char s_bin_sample[] = "B\0\x01\xff\xc3\xa9 bin";
static const char *s_list_sample[] = {"item-1", "item-2"};
static const zs_msg_bin_t s_bins_sample[] = {{(const uint8_t *) "p\0\xff", 3},
                                             {(const uint8_t *) "", 0}};

static void
s_sample_str(size_t k, char *dest, size_t size)
{
    snprintf(dest, size, s_keys[k].min ? "n-%s" : "text for '%s' \xc3\xa9",
             s_keys[k].key);
}

//  The sample of uint key k: k + 1, unless its bound is lower
static uint64_t
s_sample_uint(size_t k)
{
    return k + 1 <= (uint64_t) s_keys[k].max ? k + 1 : (uint64_t) s_keys[k].max;
}

//  Point msg's field k at its sample; strings go to store (64 bytes per key)
static void
s_set_sample(zs_msg_t *msg, size_t k, char (*store)[64])
{
    uint8_t *at = (uint8_t *) msg + s_keys[k].offset;
    switch (s_keys[k].kind) {
    case T_UINT:
        *(uint64_t *) (void *) at = s_sample_uint(k);
        break;
    case T_INT:
        *(int64_t *) (void *) at = -(int64_t) k - 1;
        break;
    case T_BOOL:
        *(bool *) at = true;
        break;
    case T_STR:
        s_sample_str(k, store[k], sizeof store[k]);
        *(const char **) (void *) at = store[k];
        break;
    case T_BIN:
        *(const uint8_t **) (void *) at = (const uint8_t *) s_bin_sample;
        *(size_t *) (void *) ((uint8_t *) msg + s_keys[k].aux) = sizeof s_bin_sample - 1;
        break;
    case T_LIST:
        ((zs_msg_list_t *) (void *) at)->items = s_list_sample;
        ((zs_msg_list_t *) (void *) at)->count = 2;
        break;
    case T_BINS:
        ((zs_msg_bins_t *) (void *) at)->items = s_bins_sample;
        ((zs_msg_bins_t *) (void *) at)->count = 2;
        break;
    case T_AGENTS:
        msg->agents = s_records;
        msg->agent_count = 2;
        break;
    }
}

//  Clear msg's field k: what an absent field reads as (zero, false, NULL, empty)
static void
s_clear_field(zs_msg_t *msg, size_t k)
{
    uint8_t *at = (uint8_t *) msg + s_keys[k].offset;
    switch (s_keys[k].kind) {
    case T_UINT:
    case T_INT:
        memset(at, 0, sizeof(uint64_t));
        break;
    case T_BOOL:
        *(bool *) at = false;
        break;
    case T_STR:
        *(const char **) (void *) at = NULL;
        break;
    case T_BIN:
        *(const uint8_t **) (void *) at = NULL;
        *(size_t *) (void *) ((uint8_t *) msg + s_keys[k].aux) = 0;
        break;
    case T_LIST:
        memset(at, 0, sizeof(zs_msg_list_t));
        break;
    case T_BINS:
        memset(at, 0, sizeof(zs_msg_bins_t));
        break;
    case T_AGENTS:
        msg->agents = NULL;
        msg->agent_count = 0;
        break;
    }
}

static bool
s_same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool
s_same_record(const zs_msg_agent_t *a, const zs_msg_agent_t *b)
{
    return s_same_str(a->agent, b->agent) && s_same_str(a->atype, b->atype) &&
           s_same_str(a->host, b->host) && s_same_str(a->state, b->state) &&
           a->pid == b->pid && a->conc == b->conc && a->load == b->load &&
           a->done == b->done && a->failed == b->failed && a->local == b->local;
}

//  True when field k of got equals field k of want
static bool
s_same_field(const zs_msg_t *got, const zs_msg_t *want, size_t k)
{
    const t_key_t *key = &s_keys[k];
    const uint8_t *a = (const uint8_t *) got + key->offset;
    const uint8_t *b = (const uint8_t *) want + key->offset;
    switch (key->kind) {
    case T_UINT:
    case T_INT:
        return memcmp(a, b, 8) == 0;
    case T_BOOL:
        return *(const bool *) a == *(const bool *) b;
    case T_STR:
        return s_same_str(*(const char *const *) (const void *) a,
                          *(const char *const *) (const void *) b);
    case T_BIN: {
        const uint8_t *da = *(const uint8_t *const *) (const void *) a;
        const uint8_t *db = *(const uint8_t *const *) (const void *) b;
        size_t sa = *(const size_t *) (const void *) ((const uint8_t *) got + key->aux);
        size_t sb = *(const size_t *) (const void *) ((const uint8_t *) want + key->aux);
        return !da == !db && sa == sb && (sa == 0 || memcmp(da, db, sa) == 0);
    }
    case T_LIST: {
        const zs_msg_list_t *la = (const void *) a, *lb = (const void *) b;
        bool same = la->count == lb->count;
        for (size_t i = 0; same && i < la->count; i++) {
            same = s_same_str(la->items[i], lb->items[i]);
        }
        return same;
    }
    case T_BINS: {
        const zs_msg_bins_t *ba = (const void *) a, *bb = (const void *) b;
        bool same = ba->count == bb->count;
        for (size_t i = 0; same && i < ba->count; i++) {
            same = ba->items[i].size == bb->items[i].size &&
                   (ba->items[i].size == 0 ||
                    memcmp(ba->items[i].data, bb->items[i].data, ba->items[i].size) == 0);
        }
        return same;
    }
    case T_AGENTS: {
        bool same = got->agent_count == want->agent_count;
        for (size_t i = 0; same && i < got->agent_count; i++) {
            same = s_same_record(&got->agents[i], &want->agents[i]);
        }
        return same;
    }
    }
    return false;
}

//  The message a frame with these keys' samples must decode to
static void
s_expected(zs_msg_t *want, const t_type_t *type, bool required_only, char (*store)[64])
{
    zs_msg_init(want, type->type);
    for (size_t k = 0; k < S_KEY_COUNT; k++) {
        t_use_t use = s_use(type, s_keys[k].key);
        if (use == T_REQUIRED || (use == T_OPTIONAL && !required_only)) {
            s_set_sample(want, k, store);
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
s_pack_str_pair(msgpack_packer *pk, const char *key, const char *value)
{
    s_pack_cstr(pk, key);
    s_pack_cstr(pk, value);
}

static void
s_pack_uint_pair(msgpack_packer *pk, const char *key, uint64_t value)
{
    s_pack_cstr(pk, key);
    msgpack_pack_uint64(pk, value);
}

//  A record with all ten keys when it has a host, else with the two required ones
static void
s_pack_record(msgpack_packer *pk, const zs_msg_agent_t *r)
{
    bool full = r->host != NULL;
    msgpack_pack_map(pk, full ? 14 : 2);
    s_pack_str_pair(pk, "agent", r->agent);
    s_pack_str_pair(pk, "atype", r->atype);
    if (full) {
        s_pack_str_pair(pk, "host", r->host);
        s_pack_str_pair(pk, "state", r->state);
        s_pack_uint_pair(pk, "pid", r->pid);
        s_pack_uint_pair(pk, "conc", r->conc);
        s_pack_uint_pair(pk, "load", r->load);
        s_pack_uint_pair(pk, "done", r->done);
        s_pack_uint_pair(pk, "failed", r->failed);
        s_pack_cstr(pk, "local");
        msgpack_pack_true(pk);
        s_pack_str_pair(pk, "role", r->role);
        s_pack_str_pair(pk, "lead", r->lead);
        s_pack_uint_pair(pk, "trust", r->trust);
        s_pack_uint_pair(pk, "trust_low", r->trust_low);
    }
}

static void
s_pack_sample(msgpack_packer *pk, size_t k)
{
    char text[64];
    switch (s_keys[k].kind) {
    case T_UINT:
        msgpack_pack_uint64(pk, s_sample_uint(k));
        break;
    case T_INT:
        msgpack_pack_int64(pk, -(int64_t) k - 1);
        break;
    case T_BOOL:
        msgpack_pack_true(pk);
        break;
    case T_STR:
        s_sample_str(k, text, sizeof text);
        s_pack_cstr(pk, text);
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
    case T_AGENTS:
        msgpack_pack_array(pk, 2);
        s_pack_record(pk, &s_records[0]);
        s_pack_record(pk, &s_records[1]);
        break;
    }
}

static bool
s_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

//  A key and its value: how's raw bytes, the version, the type, the key's sample, or
//  nil for a key the protocol does not know
static void
s_pack_pair(msgpack_packer *pk,
            const char *key,
            const t_type_t *type,
            const t_build_t *how)
{
    s_pack_cstr(pk, key);
    if (s_eq(key, how->key) && how->raw) {
        s_raw(pk, how->raw, how->raw_size);
    } else if (s_eq(key, "v")) {
        msgpack_pack_uint64(pk, ZS_MSG_VERSION);
    } else if (s_eq(key, "t")) {
        s_pack_cstr(pk, type->name);
    } else {
        for (size_t k = 0; k < S_KEY_COUNT; k++) {
            if (s_eq(key, s_keys[k].key)) {
                s_pack_sample(pk, k);
                return;
            }
        }
        msgpack_pack_nil(pk);
    }
}

//  The keys of a frame for type, as how asks, into keys; returns their number
static size_t
s_frame_keys(const t_type_t *type, const t_build_t *how, const char **keys)
{
    size_t count = 0;
    const char *head[] = {"v", "t"};
    for (size_t i = 0; i < 2 + S_KEY_COUNT; i++) {
        const char *key = i < 2 ? head[i] : s_keys[i - 2].key;
        t_use_t use = i < 2 ? T_REQUIRED : s_use(type, key);
        bool wanted = use == T_REQUIRED || (use == T_OPTIONAL && !how->required_only) ||
                      s_eq(key, how->key);
        if (wanted && !s_eq(key, how->omit)) {
            keys[count++] = key;
        }
        if (wanted && s_eq(key, how->twice)) {
            keys[count++] = key;
        }
    }
    if (how->key && !s_eq(how->key, "v") && !s_eq(how->key, "t")) {
        bool listed = false;
        for (size_t k = 0; k < S_KEY_COUNT; k++) {
            listed |= s_eq(how->key, s_keys[k].key);
        }
        if (!listed) {
            keys[count++] = how->key;
        }
    }
    return count;
}

static void
s_build(msgpack_sbuffer *buf, const t_type_t *type, const t_build_t *how)
{
    const char *keys[2 * S_KEY_COUNT + 4];
    size_t count = s_frame_keys(type, how, keys);
    msgpack_packer pk;
    msgpack_sbuffer_clear(buf);
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, count);
    for (size_t i = 0; i < count; i++) {
        s_pack_pair(&pk, keys[i], type, how);
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
};
// clang-format on

#define S_COUNT(array) (sizeof(array) / sizeof(array)[0])

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
