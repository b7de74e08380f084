//  zs_msgtab - see zs_msgtab.h

#include "proto/zs_msgtab.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

//  ---------------------------------------------------------------------------------------
//  Fields of a message

#define S_FIELD(struct_, k, kind_, member, min_, max_)                                   \
    {                                                                                    \
        .key = (k), .key_size = sizeof(k) - 1, .kind = (kind_),                          \
        .offset = offsetof(struct_, member), .min = (min_), .max = (max_)                \
    }
#define S_UINT(k, m)        S_FIELD(zs_msg_t, k, ZS_KIND_UINT, m, 0, UINT64_MAX)
#define S_RANGE(k, m, a, b) S_FIELD(zs_msg_t, k, ZS_KIND_UINT, m, a, b)
#define S_INT(k, m, a, b)   S_FIELD(zs_msg_t, k, ZS_KIND_INT, m, a, b)
#define S_BOOL(k, m)        S_FIELD(zs_msg_t, k, ZS_KIND_BOOL, m, 0, 1)
#define S_NAME(k, m)        S_FIELD(zs_msg_t, k, ZS_KIND_STR, m, 1, ZS_MSG_NAME_MAX)
#define S_TEXT(k, m)        S_FIELD(zs_msg_t, k, ZS_KIND_STR, m, 0, ZS_MSG_TEXT_MAX)
#define S_BIN(k, m, size_member, bound)                                                  \
    {                                                                                    \
        .key = (k), .key_size = sizeof(k) - 1, .kind = ZS_KIND_BIN,                      \
        .offset = offsetof(zs_msg_t, m), .aux = offsetof(zs_msg_t, size_member),         \
        .max = (bound)                                                                   \
    }
#define S_LIST(k, m, item_min, item_max)                                                 \
    {                                                                                    \
        .key = (k), .key_size = sizeof(k) - 1, .kind = ZS_KIND_STRLIST,                  \
        .offset = offsetof(zs_msg_t, m), .count_max = ZS_MSG_LIST_MAX,                   \
        .min = (item_min), .max = (item_max)                                             \
    }

static const zs_msgtab_field_t s_fields[ZS_F_COUNT] = {
    [ZS_F_V] = S_FIELD(zs_msg_t, "v", ZS_KIND_VERSION, type, 0, 0),
    [ZS_F_T] = S_FIELD(zs_msg_t, "t", ZS_KIND_TYPE, type, 0, 0),
    [ZS_F_RID] = S_UINT("rid", rid),
    [ZS_F_SEQ] = S_UINT("seq", seq),
    [ZS_F_AGENT] = S_NAME("agent", agent),
    [ZS_F_ATYPE] = S_NAME("atype", atype),
    [ZS_F_CAPS] = S_LIST("caps", caps, 1, ZS_MSG_NAME_MAX),
    [ZS_F_CONC] = S_UINT("conc", conc),
    [ZS_F_HOST] = S_NAME("host", host),
    [ZS_F_PID] = S_UINT("pid", pid),
    [ZS_F_LOCAL] = S_BOOL("local", local),
    [ZS_F_HB] = S_UINT("hb", hb),
    [ZS_F_LIVE] = S_UINT("live", live),
    [ZS_F_HANDLER] = S_NAME("handler", handler),
    [ZS_F_ARGV] = S_LIST("argv", argv, 0, ZS_MSG_ARG_MAX),
    [ZS_F_LOAD] = S_UINT("load", load),
    [ZS_F_CODE] = S_UINT("code", code),
    [ZS_F_WHY] = S_TEXT("why", why),
    [ZS_F_TASK] = S_NAME("task", task),
    [ZS_F_TTYPE] = S_NAME("ttype", ttype),
    [ZS_F_PAYLOAD] = S_BIN("payload", payload, payload_size, ZS_MSG_PAYLOAD_MAX),
    [ZS_F_PRI] = S_INT("pri", pri, -ZS_MSG_PRI_MAX, ZS_MSG_PRI_MAX),
    [ZS_F_TMO] = S_UINT("tmo", tmo),
    [ZS_F_TRIES] = S_UINT("tries", tries),
    [ZS_F_ATT] = S_UINT("att", att),
    [ZS_F_PCT] = S_RANGE("pct", pct, 0, 100),
    [ZS_F_NOTE] = S_TEXT("note", note),
    [ZS_F_STATUS] = S_NAME("status", status),
    [ZS_F_EXIT] = S_INT("exit", exit, INT64_MIN, INT64_MAX),
    [ZS_F_STDOUT] = S_BIN("stdout", out, out_size, ZS_MSG_OUTPUT_MAX),
    [ZS_F_STDERR] = S_BIN("stderr", err, err_size, ZS_MSG_OUTPUT_MAX),
    [ZS_F_STATE] = S_NAME("state", state),
    [ZS_F_WAIT] = S_BOOL("wait", wait),
    [ZS_F_DUP] = S_BOOL("dup", dup),
    [ZS_F_NAME] = S_NAME("name", name),
    [ZS_F_AGENTS] = {.key = "agents",
                     .key_size = 6,
                     .kind = ZS_KIND_AGENTS,
                     .offset = offsetof(zs_msg_t, agents),
                     .aux = offsetof(zs_msg_t, agent_count),
                     .count_max = ZS_MSG_AGENTS_MAX},
    [ZS_F_N_AGENTS] = S_UINT("n_agents", n_agents),
    [ZS_F_N_READY] = S_UINT("n_ready", n_ready),
    [ZS_F_N_RUNNING] = S_UINT("n_running", n_running),
    [ZS_F_N_PENDING] = S_UINT("n_pending", n_pending),
    [ZS_F_N_COMPLETED] = S_UINT("n_completed", n_completed),
    [ZS_F_N_DEAD] = S_UINT("n_dead", n_dead),
    [ZS_F_N_CANCELLED] = S_UINT("n_cancelled", n_cancelled),
    [ZS_F_N_SUBMITTED] = S_UINT("n_submitted", n_submitted),
    [ZS_F_UPTIME_MS] = S_UINT("uptime_ms", uptime_ms),
    [ZS_F_ENDED] = S_UINT("ended", ended),
    [ZS_F_SCALE] = S_UINT("count", count),
    [ZS_F_NODE] = S_NAME("node", node),
    [ZS_F_SLOTS] = S_UINT("slots", slots),
    //  Clients name up to 64 (a coordinator's rule); a fan-out's aggregate, in the
    //  journal, names each of its items
    [ZS_F_DEPS] = {.key = "deps",
                   .key_size = 4,
                   .kind = ZS_KIND_STRLIST,
                   .offset = offsetof(zs_msg_t, deps),
                   .count_max = ZS_MSG_ITEMS_MAX,
                   .min = 1,
                   .max = ZS_MSG_NAME_MAX},
    [ZS_F_ITEMS] = {.key = "items",
                    .key_size = 5,
                    .kind = ZS_KIND_BINLIST,
                    .offset = offsetof(zs_msg_t, items),
                    .count_max = ZS_MSG_ITEMS_MAX,
                    .max = ZS_MSG_PAYLOAD_MAX},
    [ZS_F_AGG] = S_NAME("agg", agg),
    [ZS_F_STRATEGY] = S_NAME("strategy", strategy),
    [ZS_F_REQUIRES] = S_LIST("requires", requires, 1, ZS_MSG_NAME_MAX),
    [ZS_F_BID] = S_UINT("bid", bid),
    [ZS_F_PEERS] = {.key = "peers",
                    .key_size = 5,
                    .kind = ZS_KIND_STRLIST,
                    .offset = offsetof(zs_msg_t, peers),
                    .count_max = ZS_MSG_ITEMS_MAX,
                    .min = 1,
                    .max = ZS_MSG_NAME_MAX},
    [ZS_F_GONE] = {.key = "gone",
                   .key_size = 4,
                   .kind = ZS_KIND_STRLIST,
                   .offset = offsetof(zs_msg_t, gone),
                   .count_max = ZS_MSG_ITEMS_MAX,
                   .min = 1,
                   .max = ZS_MSG_NAME_MAX},
    [ZS_F_FULL] = S_BOOL("full", full),
    [ZS_F_ROLE] = S_NAME("role", role),
    [ZS_F_LEAD] = S_NAME("lead", lead),
    [ZS_F_TOPOLOGY] = S_NAME("topology", topology),
    //  "A B": two agent ids and a space
    [ZS_F_LINKS] = {.key = "links",
                    .key_size = 5,
                    .kind = ZS_KIND_STRLIST,
                    .offset = offsetof(zs_msg_t, links),
                    .count_max = ZS_MSG_ITEMS_MAX,
                    .min = 3,
                    .max = 2 * ZS_MSG_NAME_MAX + 1},
    [ZS_F_N_FORBIDDEN] = S_UINT("n_forbidden", n_forbidden),
    [ZS_F_KEY] = S_FIELD(zs_msg_t, "key", ZS_KIND_STR, key, 1, ZS_MSG_KEY_MAX),
    [ZS_F_VALUE] = S_BIN("value", value, value_size, ZS_MSG_VALUE_MAX),
    [ZS_F_TAGS] = {.key = "tags",
                   .key_size = 4,
                   .kind = ZS_KIND_STRLIST,
                   .offset = offsetof(zs_msg_t, tags),
                   .count_max = ZS_MSG_TAGS_MAX,
                   .min = 1,
                   .max = ZS_MSG_NAME_MAX},
    [ZS_F_TTL] = S_RANGE("ttl", ttl, 0, ZS_MSG_TMO_MAX),
    [ZS_F_ACCESS] = S_NAME("access", access),
    [ZS_F_VERSION] = S_UINT("version", version),
    [ZS_F_CAS] = S_BOOL("cas", cas),
    [ZS_F_PREFIX] = S_FIELD(zs_msg_t, "prefix", ZS_KIND_STR, prefix, 0, ZS_MSG_KEY_MAX),
    [ZS_F_KEYS] = {.key = "keys",
                   .key_size = 4,
                   .kind = ZS_KIND_STRLIST,
                   .offset = offsetof(zs_msg_t, keys),
                   .count_max = ZS_MSG_ITEMS_MAX,
                   .min = 1,
                   .max = ZS_MSG_KEY_MAX},
    [ZS_F_EXPIRES] = S_UINT("expires", expires),
    [ZS_F_AMOUNT] = S_INT("amount", amount, -ZS_MSG_AMOUNT_MAX, ZS_MSG_AMOUNT_MAX),
    [ZS_F_HALF_LIFE] = S_RANGE("half_life", half_life, 0, ZS_MSG_TMO_MAX),
    [ZS_F_LEVEL] = S_INT("level", level, INT64_MIN, INT64_MAX),
    [ZS_F_TOP] = S_RANGE("top", top, 0, ZS_MSG_ITEMS_MAX),
    [ZS_F_LEVEL_MICRO] = S_INT("level_micro", level_micro, INT64_MIN, INT64_MAX),
    [ZS_F_AT] = S_UINT("at", at),
    [ZS_F_VOTE] = S_NAME("vote", vote),
    [ZS_F_QUESTION] =
        S_FIELD(zs_msg_t, "question", ZS_KIND_STR, question, 1, ZS_MSG_TEXT_MAX),
    [ZS_F_OPTIONS] = {.key = "options",
                      .key_size = 7,
                      .kind = ZS_KIND_STRLIST,
                      .offset = offsetof(zs_msg_t, options),
                      .count_max = ZS_MSG_OPTIONS_MAX,
                      .min = 1,
                      .max = ZS_MSG_NAME_MAX},
    [ZS_F_VOTERS] = S_LIST("voters", voters, 1, ZS_MSG_NAME_MAX),
    [ZS_F_DEADLINE] = S_RANGE("deadline", deadline, 0, ZS_MSG_TMO_MAX),
    [ZS_F_OPTION] = S_NAME("option", option),
    [ZS_F_CONFIDENCE] = S_RANGE("confidence", confidence, 0, ZS_MSG_CONFIDENCE_MAX),
    [ZS_F_WEIGHT] = S_RANGE("weight", weight, 0, ZS_MSG_WEIGHT_MAX),
    [ZS_F_BALLOTS] = {.key = "ballots",
                      .key_size = 7,
                      .kind = ZS_KIND_STRLIST,
                      .offset = offsetof(zs_msg_t, ballots),
                      .count_max = ZS_MSG_AGENTS_MAX,
                      .min = 5,
                      .max = ZS_MSG_BALLOT_MAX},
    [ZS_F_VOTES] = {.key = "votes",
                    .key_size = 5,
                    .kind = ZS_KIND_STRLIST,
                    .offset = offsetof(zs_msg_t, votes),
                    .count_max = ZS_MSG_ITEMS_MAX,
                    .min = 1,
                    .max = ZS_MSG_NAME_MAX},
    [ZS_F_CAST] = S_UINT("cast", cast),
    [ZS_F_VOTE_ARGV] = S_LIST("vote_argv", vote_argv, 0, ZS_MSG_ARG_MAX),
    [ZS_F_SECRET] = S_NAME("secret", secret),
    [ZS_F_ADDR] = S_NAME("addr", addr),
    [ZS_F_QUEUED_BYTES] = S_UINT("queued_bytes", queued_bytes),
    [ZS_F_RESULTS_BYTES] = S_UINT("results_bytes", results_bytes),
};

//  Keep in byte order of the keys: lookups binary-search it. test_msg round-trips
//  every key, so a misplaced entry fails there.
// clang-format off
static const uint8_t s_sorted[ZS_F_COUNT] = {
    ZS_F_ACCESS,      ZS_F_ADDR,        ZS_F_AGENT,       ZS_F_AGENTS,
    ZS_F_AGG,         ZS_F_AMOUNT,      ZS_F_ARGV,        ZS_F_AT,
    ZS_F_ATT,         ZS_F_ATYPE,       ZS_F_BALLOTS,     ZS_F_BID,
    ZS_F_CAPS,        ZS_F_CAS,         ZS_F_CAST,        ZS_F_CODE,
    ZS_F_CONC,        ZS_F_CONFIDENCE,  ZS_F_SCALE,       ZS_F_DEADLINE,
    ZS_F_DEPS,        ZS_F_DUP,         ZS_F_ENDED,       ZS_F_EXIT,
    ZS_F_EXPIRES,     ZS_F_FULL,        ZS_F_GONE,        ZS_F_HALF_LIFE,
    ZS_F_HANDLER,     ZS_F_HB,          ZS_F_HOST,        ZS_F_ITEMS,
    ZS_F_KEY,         ZS_F_KEYS,        ZS_F_LEAD,        ZS_F_LEVEL,
    ZS_F_LEVEL_MICRO, ZS_F_LINKS,       ZS_F_LIVE,        ZS_F_LOAD,
    ZS_F_LOCAL,       ZS_F_N_AGENTS,    ZS_F_N_CANCELLED, ZS_F_N_COMPLETED,
    ZS_F_N_DEAD,      ZS_F_N_FORBIDDEN, ZS_F_N_PENDING,   ZS_F_N_READY,
    ZS_F_N_RUNNING,   ZS_F_N_SUBMITTED, ZS_F_NAME,        ZS_F_NODE,
    ZS_F_NOTE,        ZS_F_OPTION,      ZS_F_OPTIONS,     ZS_F_PAYLOAD,
    ZS_F_PCT,         ZS_F_PEERS,       ZS_F_PID,         ZS_F_PREFIX,
    ZS_F_PRI,         ZS_F_QUESTION,    ZS_F_QUEUED_BYTES, ZS_F_REQUIRES,
    ZS_F_RESULTS_BYTES, ZS_F_RID,
    ZS_F_ROLE,        ZS_F_SECRET,      ZS_F_SEQ,         ZS_F_SLOTS,
    ZS_F_STATE,       ZS_F_STATUS,      ZS_F_STDERR,      ZS_F_STDOUT,
    ZS_F_STRATEGY,    ZS_F_T,           ZS_F_TAGS,        ZS_F_TASK,
    ZS_F_TMO,         ZS_F_TOP,         ZS_F_TOPOLOGY,    ZS_F_TRIES,
    ZS_F_TTL,         ZS_F_TTYPE,       ZS_F_UPTIME_MS,   ZS_F_V,
    ZS_F_VALUE,       ZS_F_VERSION,     ZS_F_VOTE,        ZS_F_VOTE_ARGV,
    ZS_F_VOTERS,      ZS_F_VOTES,       ZS_F_WAIT,        ZS_F_WEIGHT,
    ZS_F_WHY,
};
// clang-format on

const zs_msgtab_t zs_msgtab_message = {s_fields, s_sorted, ZS_F_COUNT, 0, "message"};

//  ---------------------------------------------------------------------------------------
//  Fields of an agent record in agents.ok, in encoding order

typedef enum {
    S_R_AGENT,
    S_R_ATYPE,
    S_R_HOST,
    S_R_STATE,
    S_R_PID,
    S_R_CONC,
    S_R_LOAD,
    S_R_DONE,
    S_R_FAILED,
    S_R_LOCAL,
    S_R_ROLE,
    S_R_LEAD,
    S_R_TRUST,
    S_R_TRUST_LOW,
    S_R_COUNT
} s_record_field_t;

#define S_R_NAME(k, m) S_FIELD(zs_msg_agent_t, k, ZS_KIND_STR, m, 1, ZS_MSG_NAME_MAX)
#define S_R_UINT(k, m) S_FIELD(zs_msg_agent_t, k, ZS_KIND_UINT, m, 0, UINT64_MAX)

static const zs_msgtab_field_t s_record_fields[S_R_COUNT] = {
    [S_R_AGENT] = S_R_NAME("agent", agent),
    [S_R_ATYPE] = S_R_NAME("atype", atype),
    [S_R_HOST] = S_R_NAME("host", host),
    [S_R_STATE] = S_R_NAME("state", state),
    [S_R_PID] = S_R_UINT("pid", pid),
    [S_R_CONC] = S_R_UINT("conc", conc),
    [S_R_LOAD] = S_R_UINT("load", load),
    [S_R_DONE] = S_R_UINT("done", done),
    [S_R_FAILED] = S_R_UINT("failed", failed),
    [S_R_LOCAL] = S_FIELD(zs_msg_agent_t, "local", ZS_KIND_BOOL, local, 0, 1),
    [S_R_ROLE] = S_R_NAME("role", role),
    [S_R_LEAD] = S_R_NAME("lead", lead),
    [S_R_TRUST] = S_FIELD(zs_msg_agent_t, "trust", ZS_KIND_UINT, trust, 0, 1000),
    [S_R_TRUST_LOW] =
        S_FIELD(zs_msg_agent_t, "trust_low", ZS_KIND_UINT, trust_low, 0, 1000),
};

static const uint8_t s_record_sorted[S_R_COUNT] = {
    S_R_AGENT, S_R_ATYPE, S_R_CONC, S_R_DONE, S_R_FAILED, S_R_HOST,  S_R_LEAD,
    S_R_LOAD,  S_R_LOCAL, S_R_PID,  S_R_ROLE, S_R_STATE,  S_R_TRUST, S_R_TRUST_LOW,
};

const zs_msgtab_t zs_msgtab_record = {
    s_record_fields, s_record_sorted, S_R_COUNT,
    ZS_FIELDSET_OF(S_R_AGENT) | ZS_FIELDSET_OF(S_R_ATYPE), "agent record"};

//  ---------------------------------------------------------------------------------------
//  Message types: required and optional fields of each

#define B(f)   ZS_FIELDSET_OF(ZS_F_##f)
#define S_HEAD (B(V) | B(T))
#define S_TYPE(name_, req, opt)                                                          \
    {                                                                                    \
        .name = (name_), .name_size = sizeof(name_) - 1, .required = S_HEAD | (req),     \
        .allowed = S_HEAD | (req) | (opt)                                                \
    }
#define S_TASK_EVENT(name_)                                                              \
    S_TYPE(name_, B(SEQ) | B(TASK) | B(TTYPE), B(ATT) | B(AGENT) | B(WHY))
#define S_TASK_VIEW(name_)                                                               \
    S_TYPE(name_, B(TASK) | B(TTYPE) | B(STATE),                                         \
           B(RID) | B(ATT) | B(AGENT) | B(STATUS) | B(EXIT) | B(STDOUT) | B(STDERR) |    \
               B(WHY) | B(PRI) | B(TMO) | B(TRIES) | B(ENDED) | B(DEPS))
#define S_COUNTERS                                                                       \
    (B(N_AGENTS) | B(N_READY) | B(N_RUNNING) | B(N_PENDING) | B(N_COMPLETED) |           \
     B(N_DEAD) | B(N_CANCELLED) | B(N_SUBMITTED) | B(UPTIME_MS) | B(SEQ) |               \
     B(N_FORBIDDEN) | B(QUEUED_BYTES) | B(RESULTS_BYTES))

static const zs_msgtab_type_t s_types[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_INVALID] = {"invalid", 7, 0, 0},
    [ZS_MSG_HELLO] = S_TYPE(
        "hello", B(ATYPE), B(AGENT) | B(CAPS) | B(CONC) | B(HOST) | B(PID) | B(SECRET)),
    [ZS_MSG_WELCOME] =
        S_TYPE("welcome",
               B(AGENT) | B(ATYPE) | B(HB) | B(LIVE) | B(HANDLER) | B(CONC),
               B(ARGV) | B(OPTION) | B(VOTE_ARGV)),
    [ZS_MSG_HEARTBEAT] = S_TYPE("heartbeat", 0, B(LOAD)),
    [ZS_MSG_BYE] = S_TYPE("bye", 0, B(WHY)),
    [ZS_MSG_ERROR] = S_TYPE("error", B(CODE) | B(WHY), B(RID) | B(TASK) | B(VOTE)),
    [ZS_MSG_TASK_ASSIGN] =
        S_TYPE("task.assign", B(TASK) | B(TTYPE) | B(ATT), B(PAYLOAD) | B(TMO)),
    [ZS_MSG_TASK_ACK] = S_TYPE("task.ack", B(TASK) | B(ATT), 0),
    [ZS_MSG_TASK_PROGRESS] = S_TYPE("task.progress", B(TASK) | B(ATT), B(PCT) | B(NOTE)),
    [ZS_MSG_TASK_RESULT] = S_TYPE("task.result",
                                  B(TASK) | B(ATT) | B(STATUS),
                                  B(EXIT) | B(STDOUT) | B(STDERR) | B(WHY)),
    [ZS_MSG_TASK_CANCEL] = S_TYPE("task.cancel", B(TASK) | B(ATT), 0),
    [ZS_MSG_TASK_OFFER] = S_TYPE("task.offer", B(TASK) | B(TTYPE), B(TMO)),
    [ZS_MSG_TASK_BID] = S_TYPE("task.bid", B(TASK) | B(BID), 0),
    [ZS_MSG_SUBMIT] =
        S_TYPE("submit",
               B(TTYPE),
               B(RID) | B(TASK) | B(PAYLOAD) | B(PRI) | B(TMO) | B(TRIES) | B(WAIT) |
                   B(DEPS) | B(ITEMS) | B(AGG) | B(STRATEGY) | B(REQUIRES)),
    [ZS_MSG_SUBMIT_OK] = S_TYPE("submit.ok", B(TASK), B(RID) | B(DUP)),
    [ZS_MSG_WAIT] = S_TYPE("wait", B(TASK), B(RID)),
    [ZS_MSG_WAIT_OK] = S_TASK_VIEW("wait.ok"),
    [ZS_MSG_TASK] = S_TYPE("task", B(TASK), B(RID)),
    [ZS_MSG_TASK_OK] = S_TASK_VIEW("task.ok"),
    [ZS_MSG_CANCEL] = S_TYPE("cancel", B(TASK), B(RID)),
    [ZS_MSG_CANCEL_OK] = S_TYPE("cancel.ok", B(TASK) | B(STATE), B(RID)),
    [ZS_MSG_STATUS] = S_TYPE("status", 0, B(RID)),
    [ZS_MSG_STATUS_OK] = S_TYPE("status.ok", B(NAME), B(RID) | S_COUNTERS),
    [ZS_MSG_AGENTS] = S_TYPE("agents", 0, B(RID)),
    [ZS_MSG_AGENTS_OK] = S_TYPE("agents.ok", B(AGENTS), B(RID)),
    [ZS_MSG_SHUTDOWN] = S_TYPE("shutdown", 0, B(RID)),
    [ZS_MSG_SHUTDOWN_OK] = S_TYPE("shutdown.ok", 0, B(RID)),
    [ZS_MSG_STOP] = S_TYPE("stop", B(AGENT), B(RID)),
    [ZS_MSG_STOP_OK] = S_TYPE("stop.ok", B(AGENT), B(RID)),
    [ZS_MSG_SCALE] = S_TYPE("scale", B(ATYPE) | B(SCALE), B(RID) | B(NODE)),
    [ZS_MSG_SCALE_OK] = S_TYPE("scale.ok", B(ATYPE) | B(SCALE), B(RID) | B(NODE)),
    [ZS_MSG_NODE_HELLO] = S_TYPE("node.hello", B(NODE) | B(SLOTS), B(HOST) | B(PID)),
    [ZS_MSG_NODE_WELCOME] = S_TYPE("node.welcome", B(NODE) | B(HB) | B(LIVE), B(NAME)),
    [ZS_MSG_NODE_SPAWN] = S_TYPE("node.spawn", B(ATYPE), B(SCALE)),
    [ZS_MSG_NEIGHBOURS] =
        S_TYPE("neighbours", B(ROLE), B(PEERS) | B(GONE) | B(FULL) | B(LEAD)),
    [ZS_MSG_MSG_SEND] = S_TYPE("msg.send", B(AGENT), B(PAYLOAD)),
    [ZS_MSG_MSG_SHARE] = S_TYPE("msg.share", 0, B(PAYLOAD)),
    [ZS_MSG_MSG] = S_TYPE("msg", B(AGENT), B(PAYLOAD)),
    [ZS_MSG_TASK_DELEGATE] = S_TYPE("task.delegate", B(TASK) | B(ATT), B(PAYLOAD)),
    [ZS_MSG_TASK_REPORT] = S_TYPE("task.report",
                                  B(TASK) | B(ATT) | B(AGENT) | B(STATUS),
                                  B(EXIT) | B(STDOUT) | B(STDERR) | B(WHY)),
    [ZS_MSG_TOPOLOGY] = S_TYPE("topology", 0, B(RID)),
    [ZS_MSG_MEM_PUT] = S_TYPE("mem.put",
                              B(KEY),
                              B(RID) | B(VALUE) | B(TAGS) | B(TTL) | B(ACCESS) |
                                  B(VERSION) | B(CAS) | B(AGENT) | B(ATYPE) | B(EXPIRES) |
                                  B(HALF_LIFE) | B(LEVEL_MICRO) | B(AT)),
    [ZS_MSG_MEM_PUT_OK] = S_TYPE("mem.put.ok", B(KEY) | B(VERSION), B(RID)),
    [ZS_MSG_MEM_GET] = S_TYPE("mem.get", B(KEY), B(RID)),
    [ZS_MSG_MEM_GET_OK] =
        S_TYPE("mem.get.ok",
               B(KEY) | B(VERSION) | B(ACCESS),
               B(RID) | B(VALUE) | B(TAGS) | B(TTL) | B(AGENT) | B(LEVEL) | B(HALF_LIFE)),
    [ZS_MSG_MEM_DEL] = S_TYPE("mem.del", B(KEY), B(RID) | B(VERSION) | B(CAS)),
    [ZS_MSG_MEM_DEL_OK] = S_TYPE("mem.del.ok", B(KEY) | B(VERSION), B(RID)),
    [ZS_MSG_MEM_QUERY] = S_TYPE("mem.query", 0, B(RID) | B(PREFIX) | B(TAGS) | B(TOP)),
    [ZS_MSG_MEM_DEPOSIT] = S_TYPE("mem.deposit",
                                  B(KEY) | B(AMOUNT),
                                  B(RID) | B(HALF_LIFE) | B(TAGS) | B(ACCESS) | B(TTL)),
    [ZS_MSG_MEM_DEPOSIT_OK] =
        S_TYPE("mem.deposit.ok", B(KEY) | B(VERSION) | B(LEVEL), B(RID)),
    [ZS_MSG_MEM_QUERY_OK] = S_TYPE("mem.query.ok", 0, B(RID) | B(KEYS)),
    [ZS_MSG_VOTE_PROPOSE] =
        S_TYPE("vote.propose",
               B(QUESTION) | B(OPTIONS),
               B(RID) | B(VOTE) | B(VOTERS) | B(STRATEGY) | B(DEADLINE)),
    [ZS_MSG_VOTE_PROPOSE_OK] = S_TYPE("vote.propose.ok", B(VOTE) | B(SCALE), B(RID)),
    [ZS_MSG_VOTE_ASK] =
        S_TYPE("vote.ask",
               B(VOTE) | B(QUESTION) | B(OPTIONS) | B(STRATEGY) | B(DEADLINE),
               B(AGENT)),
    [ZS_MSG_VOTE_CAST] =
        S_TYPE("vote.cast", B(VOTE) | B(OPTION), B(RID) | B(CONFIDENCE) | B(WEIGHT)),
    [ZS_MSG_VOTE_CAST_OK] = S_TYPE("vote.cast.ok", B(VOTE), B(RID)),
    [ZS_MSG_VOTE_STATUS] = S_TYPE("vote.status", B(VOTE), B(RID)),
    [ZS_MSG_VOTE_STATUS_OK] = S_TYPE(
        "vote.status.ok",
        B(VOTE) | B(QUESTION) | B(OPTIONS) | B(STRATEGY) | B(STATE) | B(SCALE) | B(CAST),
        B(RID) | B(VOTERS) | B(AGENT) | B(OPTION) | B(DEADLINE) | B(BALLOTS)),
    [ZS_MSG_VOTE_LIST] = S_TYPE("vote.list", 0, B(RID)),
    [ZS_MSG_VOTE_LIST_OK] = S_TYPE("vote.list.ok", 0, B(RID) | B(VOTES)),
    [ZS_MSG_TOPOLOGY_OK] =
        S_TYPE("topology.ok", B(TOPOLOGY) | B(AGENTS), B(RID) | B(LINKS)),
    [ZS_MSG_EV_SWARM_STARTED] = S_TYPE("swarm.started", B(SEQ) | B(NAME), 0),
    [ZS_MSG_EV_SWARM_STOPPING] = S_TYPE("swarm.stopping", B(SEQ) | B(NAME), B(WHY)),
    [ZS_MSG_EV_AGENT_JOINED] = S_TYPE("agent.joined",
                                      B(SEQ) | B(AGENT) | B(ATYPE),
                                      B(HOST) | B(PID) | B(LOCAL) | B(ADDR)),
    [ZS_MSG_EV_AGENT_LEFT] = S_TYPE("agent.left", B(SEQ) | B(AGENT) | B(ATYPE), B(WHY)),
    [ZS_MSG_EV_AGENT_EXITED] =
        S_TYPE("agent.exited", B(SEQ) | B(AGENT) | B(PID), B(EXIT) | B(WHY)),
    [ZS_MSG_EV_AGENT_TYPE_FAILED] =
        S_TYPE("agent.type_failed", B(SEQ) | B(ATYPE) | B(WHY), 0),
    [ZS_MSG_EV_NODE_JOINED] =
        S_TYPE("node.joined", B(SEQ) | B(NODE) | B(SLOTS), B(HOST) | B(PID)),
    [ZS_MSG_EV_NODE_LEFT] = S_TYPE("node.left", B(SEQ) | B(NODE), B(WHY)),
    [ZS_MSG_EV_MEM_CHANGED] =
        S_TYPE("mem.changed", B(SEQ) | B(KEY) | B(STATE), B(VERSION) | B(AGENT)),
    [ZS_MSG_EV_VOTE_OPENED] = S_TYPE("vote.opened",
                                     B(SEQ) | B(VOTE) | B(QUESTION) | B(OPTIONS) |
                                         B(STRATEGY) | B(DEADLINE) | B(SCALE),
                                     B(VOTERS) | B(AGENT)),
    [ZS_MSG_EV_VOTE_DECIDED] = S_TYPE("vote.decided",
                                      B(SEQ) | B(VOTE) | B(STATE) | B(SCALE) | B(CAST),
                                      B(OPTION) | B(WHY)),
    [ZS_MSG_EV_TEAM_ELECTED] =
        S_TYPE("team.elected", B(SEQ) | B(ATYPE) | B(AGENT), B(WHY)),
    [ZS_MSG_EV_TASK_PENDING] = S_TASK_EVENT("task.pending"),
    [ZS_MSG_EV_TASK_READY] = S_TASK_EVENT("task.ready"),
    [ZS_MSG_EV_TASK_ASSIGNED] = S_TASK_EVENT("task.assigned"),
    [ZS_MSG_EV_TASK_RUNNING] = S_TASK_EVENT("task.running"),
    [ZS_MSG_EV_TASK_COMPLETED] = S_TASK_EVENT("task.completed"),
    [ZS_MSG_EV_TASK_FAILED] = S_TASK_EVENT("task.failed"),
    [ZS_MSG_EV_TASK_DEAD] = S_TASK_EVENT("task.dead"),
    [ZS_MSG_EV_TASK_CANCELLED] = S_TASK_EVENT("task.cancelled"),
};

//  Keep in byte order of the names, as s_sorted
static const uint8_t s_types_sorted[ZS_MSG_TYPE_COUNT - 1] = {
    ZS_MSG_EV_AGENT_EXITED,
    ZS_MSG_EV_AGENT_JOINED,
    ZS_MSG_EV_AGENT_LEFT,
    ZS_MSG_EV_AGENT_TYPE_FAILED,
    ZS_MSG_AGENTS,
    ZS_MSG_AGENTS_OK,
    ZS_MSG_BYE,
    ZS_MSG_CANCEL,
    ZS_MSG_CANCEL_OK,
    ZS_MSG_ERROR,
    ZS_MSG_HEARTBEAT,
    ZS_MSG_HELLO,
    ZS_MSG_EV_MEM_CHANGED,
    ZS_MSG_MEM_DEL,
    ZS_MSG_MEM_DEL_OK,
    ZS_MSG_MEM_DEPOSIT,
    ZS_MSG_MEM_DEPOSIT_OK,
    ZS_MSG_MEM_GET,
    ZS_MSG_MEM_GET_OK,
    ZS_MSG_MEM_PUT,
    ZS_MSG_MEM_PUT_OK,
    ZS_MSG_MEM_QUERY,
    ZS_MSG_MEM_QUERY_OK,
    ZS_MSG_MSG,
    ZS_MSG_MSG_SEND,
    ZS_MSG_MSG_SHARE,
    ZS_MSG_NEIGHBOURS,
    ZS_MSG_NODE_HELLO,
    ZS_MSG_EV_NODE_JOINED,
    ZS_MSG_EV_NODE_LEFT,
    ZS_MSG_NODE_SPAWN,
    ZS_MSG_NODE_WELCOME,
    ZS_MSG_SCALE,
    ZS_MSG_SCALE_OK,
    ZS_MSG_SHUTDOWN,
    ZS_MSG_SHUTDOWN_OK,
    ZS_MSG_STATUS,
    ZS_MSG_STATUS_OK,
    ZS_MSG_STOP,
    ZS_MSG_STOP_OK,
    ZS_MSG_SUBMIT,
    ZS_MSG_SUBMIT_OK,
    ZS_MSG_EV_SWARM_STARTED,
    ZS_MSG_EV_SWARM_STOPPING,
    ZS_MSG_TASK,
    ZS_MSG_TASK_ACK,
    ZS_MSG_TASK_ASSIGN,
    ZS_MSG_EV_TASK_ASSIGNED,
    ZS_MSG_TASK_BID,
    ZS_MSG_TASK_CANCEL,
    ZS_MSG_EV_TASK_CANCELLED,
    ZS_MSG_EV_TASK_COMPLETED,
    ZS_MSG_EV_TASK_DEAD,
    ZS_MSG_TASK_DELEGATE,
    ZS_MSG_EV_TASK_FAILED,
    ZS_MSG_TASK_OFFER,
    ZS_MSG_TASK_OK,
    ZS_MSG_EV_TASK_PENDING,
    ZS_MSG_TASK_PROGRESS,
    ZS_MSG_EV_TASK_READY,
    ZS_MSG_TASK_REPORT,
    ZS_MSG_TASK_RESULT,
    ZS_MSG_EV_TASK_RUNNING,
    ZS_MSG_EV_TEAM_ELECTED,
    ZS_MSG_TOPOLOGY,
    ZS_MSG_TOPOLOGY_OK,
    ZS_MSG_VOTE_ASK,
    ZS_MSG_VOTE_CAST,
    ZS_MSG_VOTE_CAST_OK,
    ZS_MSG_EV_VOTE_DECIDED,
    ZS_MSG_VOTE_LIST,
    ZS_MSG_VOTE_LIST_OK,
    ZS_MSG_EV_VOTE_OPENED,
    ZS_MSG_VOTE_PROPOSE,
    ZS_MSG_VOTE_PROPOSE_OK,
    ZS_MSG_VOTE_STATUS,
    ZS_MSG_VOTE_STATUS_OK,
    ZS_MSG_WAIT,
    ZS_MSG_WAIT_OK,
    ZS_MSG_WELCOME,
};

_Static_assert(ZS_F_COUNT <= ZS_FIELDSET_BITS, "a field set holds every field id");
_Static_assert(ZS_MSG_AGENTS_MAX <= UINT16_MAX, "count_max is 16 bits");
_Static_assert(sizeof(zs_msg_t) <= UINT16_MAX, "offsets are 16 bits");

//  ---------------------------------------------------------------------------------------
//  Lookups

//  Byte order of (data, size) against a name of name_size bytes. Keys are a few bytes
//  long and most probes differ at the first, where a call to memcmp costs more than
//  the comparison
static int
s_compare(const char *data, size_t size, const char *name, size_t name_size)
{
    size_t common = size < name_size ? size : name_size;
    for (size_t i = 0; i < common; i++) {
        if (data[i] != name[i]) {
            return (unsigned char) data[i] - (unsigned char) name[i];
        }
    }
    return (size > name_size) - (size < name_size);
}

int
zs_msgtab_find(const zs_msgtab_t *self, const char *key, size_t size)
{
    assert(self);
    size_t low = 0, high = self->count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        const zs_msgtab_field_t *field = &self->fields[self->sorted[mid]];
        int order = s_compare(key, size, field->key, field->key_size);
        if (order == 0) {
            return self->sorted[mid];
        }
        if (order < 0) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    return -1;
}

const zs_msgtab_type_t *
zs_msgtab_type(zs_msg_type_t type)
{
    if (type <= ZS_MSG_INVALID || type >= ZS_MSG_TYPE_COUNT) {
        return &s_types[ZS_MSG_INVALID];
    }
    return &s_types[type];
}

const char *
zs_msg_type_name(zs_msg_type_t type)
{
    return zs_msgtab_type(type)->name;
}

zs_msg_type_t
zs_msg_type_from_name(const char *name, size_t size)
{
    assert(name || size == 0);
    size_t low = 0, high = ZS_MSG_TYPE_COUNT - 1;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        const zs_msgtab_type_t *candidate = &s_types[s_types_sorted[mid]];
        int order = s_compare(name, size, candidate->name, candidate->name_size);
        if (order == 0) {
            return (zs_msg_type_t) s_types_sorted[mid];
        }
        if (order < 0) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    return ZS_MSG_INVALID;
}

//  ---------------------------------------------------------------------------------------
//  Presence and bounds

bool
zs_msgtab_is_set(const zs_msgtab_field_t *field, const uint8_t *base)
{
    switch ((zs_msgtab_kind_t) field->kind) {
    case ZS_KIND_VERSION:
    case ZS_KIND_TYPE:
        return true;
    case ZS_KIND_UINT:
        return ZS_MSGTAB_GET(base, field, uint64_t) != 0;
    case ZS_KIND_INT:
        return ZS_MSGTAB_GET(base, field, int64_t) != 0;
    case ZS_KIND_BOOL:
        return ZS_MSGTAB_GET(base, field, bool);
    case ZS_KIND_STR:
        return ZS_MSGTAB_GET(base, field, const char *) != NULL;
    case ZS_KIND_BIN:
        return ZS_MSGTAB_GET(base, field, const uint8_t *) != NULL;
    case ZS_KIND_STRLIST:
        return ZS_MSGTAB_GET(base, field, zs_msg_list_t).count > 0;
    case ZS_KIND_BINLIST:
        return ZS_MSGTAB_GET(base, field, zs_msg_bins_t).count > 0;
    case ZS_KIND_AGENTS:
        return ZS_MSGTAB_GET_AUX(base, field, size_t) > 0;
    }
    return false;
}

bool
zs_msgtab_zero_is_value(const zs_msgtab_field_t *field)
{
    return field->kind == ZS_KIND_UINT || field->kind == ZS_KIND_INT ||
           field->kind == ZS_KIND_BOOL || field->kind == ZS_KIND_AGENTS;
}

int
zs_msgtab_check_uint(const zs_msgtab_field_t *field, uint64_t value, zs_error_t *err)
{
    if (value < (uint64_t) field->min || value > field->max) {
        return zs_error_set(err, ZS_ERR_MALFORMED,
                            "field '%s': %" PRIu64 " out of range %" PRId64 "..%" PRIu64,
                            field->key, value, field->min, field->max);
    }
    return 0;
}

int
zs_msgtab_check_int(const zs_msgtab_field_t *field, int64_t value, zs_error_t *err)
{
    if (value < field->min || (value > 0 && (uint64_t) value > field->max)) {
        return zs_error_set(err, ZS_ERR_MALFORMED,
                            "field '%s': %" PRId64 " out of range %" PRId64 "..%" PRIu64,
                            field->key, value, field->min, field->max);
    }
    return 0;
}

int
zs_msgtab_check_size(const zs_msgtab_field_t *field, size_t size, zs_error_t *err)
{
    if (size < (uint64_t) field->min || size > field->max) {
        return zs_error_set(err, ZS_ERR_MALFORMED,
                            "field '%s': %zu bytes, out of range %" PRId64 "..%" PRIu64,
                            field->key, size, field->min, field->max);
    }
    return 0;
}

int
zs_msgtab_check_count(const zs_msgtab_field_t *field, size_t count, zs_error_t *err)
{
    if (count > field->count_max) {
        return zs_error_set(err, ZS_ERR_MALFORMED, "field '%s': %zu items, more than %u",
                            field->key, count, (unsigned) field->count_max);
    }
    return 0;
}

size_t
zs_msgtab_utf8_size(const uint8_t *data, size_t left)
{
    uint8_t lead = data[0];
    size_t size = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    uint32_t least = size == 4 ? 0x10000 : size == 3 ? 0x800 : 0x80;
    uint32_t point = lead & (0x7fu >> size);
    if (lead < 0xc2 || lead > 0xf4 || size > left) {
        return 0;
    }
    for (size_t i = 1; i < size; i++) {
        if ((data[i] & 0xc0) != 0x80) {
            return 0;
        }
        point = point << 6 | (data[i] & 0x3fu);
    }
    if (point < least || point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff)) {
        return 0;
    }
    return size;
}

size_t
zs_msgtab_text_fault(const char *data, size_t size)
{
    const uint8_t *bytes = (const uint8_t *) data;
    for (size_t at = 0; at < size;) {
        size_t step = bytes[at] < 0x80 ? 1 : zs_msgtab_utf8_size(bytes + at, size - at);
        if (bytes[at] == 0 || step == 0) {
            return at;
        }
        at += step;
    }
    return SIZE_MAX;
}

int
zs_msgtab_check_str(const zs_msgtab_field_t *field,
                    const char *data,
                    size_t size,
                    zs_error_t *err)
{
    if (zs_msgtab_check_size(field, size, err) != 0) {
        return -1;
    }
    size_t at = zs_msgtab_text_fault(data, size);
    if (at != SIZE_MAX && data[at] == 0) {
        return zs_error_set(err, ZS_ERR_MALFORMED, "field '%s': NUL byte in string",
                            field->key);
    }
    if (at != SIZE_MAX) {
        return zs_error_set(err, ZS_ERR_MALFORMED,
                            "field '%s': invalid UTF-8 at byte %zu", field->key, at);
    }
    return 0;
}
