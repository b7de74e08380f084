//  zs_msgtab - see zs_msgtab.h

#include "proto/zs_msgtab.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  ---------------------------------------------------------------------------------------
//  Fields: one description per wire key

//  0, and a compile error when member of struct_ is not of C type ctype: a field's kind
//  and the member that holds it cannot disagree
#define S_IS(struct_, member, ctype)                                                     \
    (0 *                                                                                 \
     sizeof(                                                                             \
         char[__builtin_types_compatible_p(__typeof__(((struct_ *) 0)->member), ctype)   \
                  ? 1                                                                    \
                  : -1]))
#define S_AT(struct_, member, ctype)                                                     \
    (offsetof(struct_, member) + S_IS(struct_, member, ctype))

#define S_FIELD(struct_, k, kind_, ctype, member, min_, max_)                            \
    {                                                                                    \
        .key = (k), .key_size = sizeof(k) - 1, .kind = (kind_),                          \
        .offset = S_AT(struct_, member, ctype), .min = (min_), .max = (max_)             \
    }
#define S_UINT(k, m)        S_FIELD(zs_msg_t, k, ZS_KIND_UINT, uint64_t, m, 0, UINT64_MAX)
#define S_RANGE(k, m, a, b) S_FIELD(zs_msg_t, k, ZS_KIND_UINT, uint64_t, m, a, b)
#define S_INT(k, m, a, b)   S_FIELD(zs_msg_t, k, ZS_KIND_INT, int64_t, m, a, b)
#define S_BOOL(k, m)        S_FIELD(zs_msg_t, k, ZS_KIND_BOOL, bool, m, 0, 1)
#define S_STR(k, m, a, b)   S_FIELD(zs_msg_t, k, ZS_KIND_STR, const char *, m, a, b)
#define S_NAME(k, m)        S_STR(k, m, 1, ZS_MSG_NAME_MAX)
#define S_TEXT(k, m)        S_STR(k, m, 0, ZS_MSG_TEXT_MAX)
#define S_BIN(k, m, size_member, bound)                                                  \
    {                                                                                    \
        .key = (k), .key_size = sizeof(k) - 1, .kind = ZS_KIND_BIN,                      \
        .offset = S_AT(zs_msg_t, m, const uint8_t *),                                    \
        .aux = S_AT(zs_msg_t, size_member, size_t), .max = (bound)                       \
    }
//  A list, a member of struct_, of up to most strs of item_min..item_max bytes each
#define S_LIST_IN(struct_, k, m, most, item_min, item_max)                               \
    {                                                                                    \
        .key = (k), .key_size = sizeof(k) - 1, .kind = ZS_KIND_STRLIST,                  \
        .offset = S_AT(struct_, m, zs_msg_list_t), .count_max = (most),                  \
        .min = (item_min), .max = (item_max)                                             \
    }
#define S_LIST(k, m, most, item_min, item_max)                                           \
    S_LIST_IN(zs_msg_t, k, m, most, item_min, item_max)
#define S_NAMES(k, m, most) S_LIST(k, m, most, 1, ZS_MSG_NAME_MAX)
#define S_FLOAT(k, m, a, b) S_FIELD(zs_msg_t, k, ZS_KIND_FLOAT, double, m, a, b)
//  An array of up to most records of kind rec: structs zs_msg_<rec>_t, whose fields
//  s_<rec>_record lists, named together so that the two cannot be mismatched. A record
//  is as long as its struct, a whole number of pointers, so that a table after its
//  table in the decoder's arena stays aligned
#define S_RECORDS(k, m, count_member, rec, most)                                         \
    {                                                                                    \
        .key = (k), .key_size = sizeof(k) - 1, .kind = ZS_KIND_RECORDS,                  \
        .offset = S_AT(zs_msg_t, m, zs_msg_##rec##_t *),                                 \
        .aux = S_AT(zs_msg_t, count_member, size_t), .count_max = (most),                \
        .record_size = S_RECORD_SIZE(zs_msg_##rec##_t), .record = &s_##rec##_record      \
    }
#define S_RECORD_SIZE(ctype)                                                             \
    (sizeof(ctype) +                                                                     \
     S_CHECK(sizeof(ctype) % sizeof(void *) == 0 && sizeof(ctype) <= UINT16_MAX))
//  0, and a compile error when condition is false
#define S_CHECK(condition) (0 * sizeof(char[(condition) ? 1 : -1]))

//  ---------------------------------------------------------------------------------------
//  Records: the fields of each kind of record, then its type

//  Fields of the struct st_: a str of a..b bytes, a name, a uint or a float of 0..most
#define S_R_STR(st_, k, m, a, b)   S_FIELD(st_, k, ZS_KIND_STR, const char *, m, a, b)
#define S_R_NAME(st_, k, m)        S_R_STR(st_, k, m, 1, ZS_MSG_NAME_MAX)
#define S_R_UINT(st_, k, m, most)  S_FIELD(st_, k, ZS_KIND_UINT, uint64_t, m, 0, most)
#define S_R_FLOAT(st_, k, m, most) S_FIELD(st_, k, ZS_KIND_FLOAT, double, m, 0, most)
#define S_R_NAMES(st_, k, m, most) S_LIST_IN(st_, k, m, most, 1, ZS_MSG_NAME_MAX)
#define S_R_BIN(st_, k, m, size_member, bound)                                           \
    {                                                                                    \
        .key = (k), .key_size = sizeof(k) - 1, .kind = ZS_KIND_BIN,                      \
        .offset = S_AT(st_, m, const uint8_t *), .aux = S_AT(st_, size_member, size_t),  \
        .max = (bound)                                                                   \
    }

//  An agent of agents.ok and topology.ok
static const zs_msgtab_field_t s_ra_agent = S_R_NAME(zs_msg_agent_t, "agent", agent);
static const zs_msgtab_field_t s_ra_atype = S_R_NAME(zs_msg_agent_t, "atype", atype);
static const zs_msgtab_field_t s_ra_host = S_R_NAME(zs_msg_agent_t, "host", host);
static const zs_msgtab_field_t s_ra_state = S_R_NAME(zs_msg_agent_t, "state", state);
static const zs_msgtab_field_t s_ra_pid =
    S_R_UINT(zs_msg_agent_t, "pid", pid, UINT64_MAX);
static const zs_msgtab_field_t s_ra_conc =
    S_R_UINT(zs_msg_agent_t, "conc", conc, UINT64_MAX);
static const zs_msgtab_field_t s_ra_load =
    S_R_UINT(zs_msg_agent_t, "load", load, UINT64_MAX);
static const zs_msgtab_field_t s_ra_done =
    S_R_UINT(zs_msg_agent_t, "done", done, UINT64_MAX);
static const zs_msgtab_field_t s_ra_failed =
    S_R_UINT(zs_msg_agent_t, "failed", failed, UINT64_MAX);
static const zs_msgtab_field_t s_ra_local =
    S_FIELD(zs_msg_agent_t, "local", ZS_KIND_BOOL, bool, local, 0, 1);
static const zs_msgtab_field_t s_ra_role = S_R_NAME(zs_msg_agent_t, "role", role);
static const zs_msgtab_field_t s_ra_lead = S_R_NAME(zs_msg_agent_t, "lead", lead);
static const zs_msgtab_field_t s_ra_trust =
    S_R_UINT(zs_msg_agent_t, "trust", trust, 1000);
static const zs_msgtab_field_t s_ra_trust_low =
    S_R_UINT(zs_msg_agent_t, "trust_low", trust_low, 1000);
static const zs_msgtab_field_t s_ra_paused =
    S_FIELD(zs_msg_agent_t, "paused", ZS_KIND_BOOL, bool, paused, 0, 1);
static const zs_msgtab_field_t s_ra_cpu =
    S_R_UINT(zs_msg_agent_t, "cpu", cpu, UINT64_MAX);
static const zs_msgtab_field_t s_ra_rss =
    S_R_UINT(zs_msg_agent_t, "rss", rss, UINT64_MAX);
static const zs_msgtab_field_t s_ra_caps =
    S_R_NAMES(zs_msg_agent_t, "caps", caps, ZS_MSG_RECORD_LIST_MAX);
static const zs_msgtab_field_t s_ra_tags =
    S_R_NAMES(zs_msg_agent_t, "tags", tags, ZS_MSG_TAGS_MAX);
static const zs_msgtab_field_t s_ra_tier = S_R_NAME(zs_msg_agent_t, "tier", tier);

//  A provider of welcome: how to call it
static const zs_msgtab_field_t s_rc_name = S_R_NAME(zs_msg_provider_conf_t, "name", name);
static const zs_msgtab_field_t s_rc_kind = S_R_NAME(zs_msg_provider_conf_t, "kind", kind);
static const zs_msgtab_field_t s_rc_url =
    S_R_STR(zs_msg_provider_conf_t, "url", url, 1, ZS_MSG_URL_MAX);
static const zs_msgtab_field_t s_rc_model =
    S_R_STR(zs_msg_provider_conf_t, "model", model, 1, ZS_MSG_MODEL_MAX);
static const zs_msgtab_field_t s_rc_key_env =
    S_R_NAME(zs_msg_provider_conf_t, "key_env", key_env);
static const zs_msgtab_field_t s_rc_tmo =
    S_R_UINT(zs_msg_provider_conf_t, "tmo", tmo, ZS_MSG_TMO_MAX);
static const zs_msgtab_field_t s_rc_price_in =
    S_R_FLOAT(zs_msg_provider_conf_t, "price_in", price_in, ZS_MSG_PRICE_MAX);
static const zs_msgtab_field_t s_rc_price_out =
    S_R_FLOAT(zs_msg_provider_conf_t, "price_out", price_out, ZS_MSG_PRICE_MAX);

//  A provider of providers.ok: its state and what it spent
static const zs_msgtab_field_t s_rp_name = S_R_NAME(zs_msg_provider_t, "name", name);
static const zs_msgtab_field_t s_rp_kind = S_R_NAME(zs_msg_provider_t, "kind", kind);
static const zs_msgtab_field_t s_rp_model =
    S_R_STR(zs_msg_provider_t, "model", model, 1, ZS_MSG_MODEL_MAX);
static const zs_msgtab_field_t s_rp_state = S_R_NAME(zs_msg_provider_t, "state", state);
static const zs_msgtab_field_t s_rp_left =
    S_R_UINT(zs_msg_provider_t, "left", left, UINT64_MAX);
static const zs_msgtab_field_t s_rp_calls =
    S_R_UINT(zs_msg_provider_t, "calls", calls, UINT64_MAX);
static const zs_msgtab_field_t s_rp_fails =
    S_R_UINT(zs_msg_provider_t, "fails", fails, UINT64_MAX);
static const zs_msgtab_field_t s_rp_tok_in =
    S_R_UINT(zs_msg_provider_t, "tok_in", tok_in, UINT64_MAX);
static const zs_msgtab_field_t s_rp_tok_out =
    S_R_UINT(zs_msg_provider_t, "tok_out", tok_out, UINT64_MAX);
static const zs_msgtab_field_t s_rp_usd =
    S_R_FLOAT(zs_msg_provider_t, "usd", usd, ZS_MSG_USD_MAX);
static const zs_msgtab_field_t s_rp_rpm =
    S_R_UINT(zs_msg_provider_t, "rpm", rpm, UINT64_MAX);
static const zs_msgtab_field_t s_rp_tpm =
    S_R_UINT(zs_msg_provider_t, "tpm", tpm, UINT64_MAX);
static const zs_msgtab_field_t s_rp_why =
    S_R_STR(zs_msg_provider_t, "why", why, 0, ZS_MSG_TEXT_MAX);

//  A budget of providers.ok: the swarm's or an agent type's
static const zs_msgtab_field_t s_rb_scope = S_R_NAME(zs_msg_budget_t, "scope", scope);
static const zs_msgtab_field_t s_rb_tok =
    S_R_UINT(zs_msg_budget_t, "tok", tok, UINT64_MAX);
static const zs_msgtab_field_t s_rb_usd =
    S_R_FLOAT(zs_msg_budget_t, "usd", usd, ZS_MSG_USD_MAX);
static const zs_msgtab_field_t s_rb_tok_max =
    S_R_UINT(zs_msg_budget_t, "tok_max", tok_max, UINT64_MAX);
static const zs_msgtab_field_t s_rb_usd_max =
    S_R_FLOAT(zs_msg_budget_t, "usd_max", usd_max, ZS_MSG_USD_MAX);

//  An input of task.assign: the outcome of a task it takes as input
static const zs_msgtab_field_t s_ri_task = S_R_NAME(zs_msg_input_t, "task", task);
static const zs_msgtab_field_t s_ri_status = S_R_NAME(zs_msg_input_t, "status", status);
static const zs_msgtab_field_t s_ri_stdout =
    S_R_BIN(zs_msg_input_t, "stdout", out, out_size, ZS_MSG_OUTPUT_MAX);
static const zs_msgtab_field_t s_ri_exit =
    S_FIELD(zs_msg_input_t, "exit", ZS_KIND_INT, int64_t, exit, INT64_MIN, INT64_MAX);

//  Lists of fields: required (R) or optional (O), in the order they are encoded; a
//  record's own are named with its prefix (RR, RO)
// clang-format off
#define R(key)       {&s_f_##key, true}
#define O(key)       {&s_f_##key, false}
#define RR(rec, key) {&s_##rec##_##key, true}
#define RO(rec, key) {&s_##rec##_##key, false}
// clang-format on

//  Number of uses in a list, and a compile error when there are more than a type may have
#define S_COUNT(...)                                                                     \
    (sizeof((const zs_msgtab_use_t[]){__VA_ARGS__}) / sizeof(zs_msgtab_use_t))
#define S_COUNT_CHECKED(...)                                                             \
    (S_COUNT(__VA_ARGS__) +                                                              \
     0 * sizeof(char[S_COUNT(__VA_ARGS__) <= ZS_MSGTAB_TYPE_FIELDS_MAX ? 1 : -1]))
#define S_MAP(name_, ...)                                                                \
    {                                                                                    \
        .name = (name_), .name_size = sizeof(name_) - 1,                                 \
        .uses = (const zs_msgtab_use_t[]){__VA_ARGS__},                                  \
        .count = S_COUNT_CHECKED(__VA_ARGS__)                                            \
    }

//  The record types are built on at start like the message types, hence not const
// clang-format off
static zs_msgtab_type_t s_agent_record = S_MAP("agent record", RR(ra, agent),
    RR(ra, atype), RO(ra, host), RO(ra, state), RO(ra, pid), RO(ra, conc), RO(ra, load),
    RO(ra, done), RO(ra, failed), RO(ra, local), RO(ra, role), RO(ra, lead),
    RO(ra, trust), RO(ra, trust_low), RO(ra, paused), RO(ra, cpu), RO(ra, rss),
    RO(ra, caps), RO(ra, tags), RO(ra, tier));
static zs_msgtab_type_t s_provider_conf_record = S_MAP("provider-conf record", RR(rc, name),
    RR(rc, kind), RR(rc, url), RR(rc, model), RO(rc, key_env), RO(rc, tmo),
    RO(rc, price_in), RO(rc, price_out));
static zs_msgtab_type_t s_provider_record = S_MAP("provider record", RR(rp, name),
    RR(rp, kind), RR(rp, model), RR(rp, state), RO(rp, left), RO(rp, calls),
    RO(rp, fails), RO(rp, tok_in), RO(rp, tok_out), RO(rp, usd), RO(rp, rpm), RO(rp, tpm),
    RO(rp, why));
static zs_msgtab_type_t s_budget_record = S_MAP("budget record", RR(rb, scope),
    RO(rb, tok), RO(rb, usd), RO(rb, tok_max), RO(rb, usd_max));
// clang-format on

static zs_msgtab_type_t s_input_record =
    S_MAP("input record", RR(ri, task), RR(ri, status), RO(ri, stdout), RO(ri, exit));

static zs_msgtab_type_t *const s_records[] = {&s_agent_record, &s_provider_conf_record,
                                              &s_provider_record, &s_budget_record,
                                              &s_input_record};

//  ---------------------------------------------------------------------------------------
//  Message fields: one description per wire key

static const zs_msgtab_field_t s_f_v =
    S_FIELD(zs_msg_t, "v", ZS_KIND_VERSION, zs_msg_type_t, type, 0, 0);
static const zs_msgtab_field_t s_f_t =
    S_FIELD(zs_msg_t, "t", ZS_KIND_TYPE, zs_msg_type_t, type, 0, 0);
static const zs_msgtab_field_t s_f_rid = S_UINT("rid", rid);
static const zs_msgtab_field_t s_f_seq = S_UINT("seq", seq);
static const zs_msgtab_field_t s_f_agent = S_NAME("agent", agent);
static const zs_msgtab_field_t s_f_atype = S_NAME("atype", atype);
static const zs_msgtab_field_t s_f_caps = S_NAMES("caps", caps, ZS_MSG_LIST_MAX);
static const zs_msgtab_field_t s_f_conc = S_UINT("conc", conc);
static const zs_msgtab_field_t s_f_host = S_NAME("host", host);
static const zs_msgtab_field_t s_f_pid = S_UINT("pid", pid);
static const zs_msgtab_field_t s_f_local = S_BOOL("local", local);
static const zs_msgtab_field_t s_f_hb = S_UINT("hb", hb);
static const zs_msgtab_field_t s_f_live = S_UINT("live", live);
static const zs_msgtab_field_t s_f_handler = S_NAME("handler", handler);
static const zs_msgtab_field_t s_f_argv =
    S_LIST("argv", argv, ZS_MSG_LIST_MAX, 0, ZS_MSG_ARG_MAX);
static const zs_msgtab_field_t s_f_load = S_UINT("load", load);
static const zs_msgtab_field_t s_f_code = S_UINT("code", code);
static const zs_msgtab_field_t s_f_why = S_TEXT("why", why);
static const zs_msgtab_field_t s_f_task = S_NAME("task", task);
static const zs_msgtab_field_t s_f_ttype = S_NAME("ttype", ttype);
static const zs_msgtab_field_t s_f_payload =
    S_BIN("payload", payload, payload_size, ZS_MSG_PAYLOAD_MAX);
static const zs_msgtab_field_t s_f_pri =
    S_INT("pri", pri, -ZS_MSG_PRI_MAX, ZS_MSG_PRI_MAX);
static const zs_msgtab_field_t s_f_tmo = S_UINT("tmo", tmo);
static const zs_msgtab_field_t s_f_tries = S_UINT("tries", tries);
static const zs_msgtab_field_t s_f_att = S_UINT("att", att);
static const zs_msgtab_field_t s_f_pct = S_RANGE("pct", pct, 0, 100);
static const zs_msgtab_field_t s_f_note = S_TEXT("note", note);
static const zs_msgtab_field_t s_f_status = S_NAME("status", status);
static const zs_msgtab_field_t s_f_exit = S_INT("exit", exit, INT64_MIN, INT64_MAX);
static const zs_msgtab_field_t s_f_stdout =
    S_BIN("stdout", out, out_size, ZS_MSG_OUTPUT_MAX);
static const zs_msgtab_field_t s_f_stderr =
    S_BIN("stderr", err, err_size, ZS_MSG_OUTPUT_MAX);
static const zs_msgtab_field_t s_f_state = S_NAME("state", state);
static const zs_msgtab_field_t s_f_wait = S_BOOL("wait", wait);
static const zs_msgtab_field_t s_f_broadcast = S_BOOL("broadcast", broadcast);
static const zs_msgtab_field_t s_f_dup = S_BOOL("dup", dup);
static const zs_msgtab_field_t s_f_name = S_NAME("name", name);
static const zs_msgtab_field_t s_f_agents =
    S_RECORDS("agents", agents, agent_count, agent, ZS_MSG_AGENTS_MAX);
static const zs_msgtab_field_t s_f_n_agents = S_UINT("n_agents", n_agents);
static const zs_msgtab_field_t s_f_n_ready = S_UINT("n_ready", n_ready);
static const zs_msgtab_field_t s_f_n_running = S_UINT("n_running", n_running);
static const zs_msgtab_field_t s_f_n_pending = S_UINT("n_pending", n_pending);
static const zs_msgtab_field_t s_f_n_completed = S_UINT("n_completed", n_completed);
static const zs_msgtab_field_t s_f_n_dead = S_UINT("n_dead", n_dead);
static const zs_msgtab_field_t s_f_n_cancelled = S_UINT("n_cancelled", n_cancelled);
static const zs_msgtab_field_t s_f_n_submitted = S_UINT("n_submitted", n_submitted);
static const zs_msgtab_field_t s_f_uptime_ms = S_UINT("uptime_ms", uptime_ms);
static const zs_msgtab_field_t s_f_ended = S_UINT("ended", ended);
static const zs_msgtab_field_t s_f_count = S_UINT("count", count);
static const zs_msgtab_field_t s_f_node = S_NAME("node", node);
static const zs_msgtab_field_t s_f_slots = S_UINT("slots", slots);
//  Clients name up to 64 (a coordinator's rule); a fan-out's aggregate, in the journal,
//  names each of its items
static const zs_msgtab_field_t s_f_deps = S_NAMES("deps", deps, ZS_MSG_ITEMS_MAX);
static const zs_msgtab_field_t s_f_items = {.key = "items",
                                            .key_size = 5,
                                            .kind = ZS_KIND_BINLIST,
                                            .offset =
                                                S_AT(zs_msg_t, items, zs_msg_bins_t),
                                            .count_max = ZS_MSG_ITEMS_MAX,
                                            .max = ZS_MSG_PAYLOAD_MAX};
static const zs_msgtab_field_t s_f_agg = S_NAME("agg", agg);
static const zs_msgtab_field_t s_f_strategy = S_NAME("strategy", strategy);
static const zs_msgtab_field_t s_f_requires =
    S_NAMES("requires", requires, ZS_MSG_LIST_MAX);
static const zs_msgtab_field_t s_f_bid = S_UINT("bid", bid);
static const zs_msgtab_field_t s_f_peers = S_NAMES("peers", peers, ZS_MSG_ITEMS_MAX);
static const zs_msgtab_field_t s_f_gone = S_NAMES("gone", gone, ZS_MSG_ITEMS_MAX);
static const zs_msgtab_field_t s_f_full = S_BOOL("full", full);
static const zs_msgtab_field_t s_f_role = S_NAME("role", role);
static const zs_msgtab_field_t s_f_lead = S_NAME("lead", lead);
static const zs_msgtab_field_t s_f_topology = S_NAME("topology", topology);
//  "A B": two agent ids and a space
static const zs_msgtab_field_t s_f_links =
    S_LIST("links", links, ZS_MSG_ITEMS_MAX, 3, 2 * ZS_MSG_NAME_MAX + 1);
static const zs_msgtab_field_t s_f_n_forbidden = S_UINT("n_forbidden", n_forbidden);
static const zs_msgtab_field_t s_f_key = S_STR("key", key, 1, ZS_MSG_KEY_MAX);
static const zs_msgtab_field_t s_f_value =
    S_BIN("value", value, value_size, ZS_MSG_VALUE_MAX);
static const zs_msgtab_field_t s_f_tags = S_NAMES("tags", tags, ZS_MSG_TAGS_MAX);
static const zs_msgtab_field_t s_f_ttl = S_RANGE("ttl", ttl, 0, ZS_MSG_TMO_MAX);
static const zs_msgtab_field_t s_f_access = S_NAME("access", access);
static const zs_msgtab_field_t s_f_version = S_UINT("version", version);
static const zs_msgtab_field_t s_f_cas = S_BOOL("cas", cas);
static const zs_msgtab_field_t s_f_prefix = S_STR("prefix", prefix, 0, ZS_MSG_KEY_MAX);
static const zs_msgtab_field_t s_f_keys =
    S_LIST("keys", keys, ZS_MSG_ITEMS_MAX, 1, ZS_MSG_KEY_MAX);
static const zs_msgtab_field_t s_f_expires = S_UINT("expires", expires);
static const zs_msgtab_field_t s_f_amount =
    S_INT("amount", amount, -ZS_MSG_AMOUNT_MAX, ZS_MSG_AMOUNT_MAX);
static const zs_msgtab_field_t s_f_half_life =
    S_RANGE("half_life", half_life, 0, ZS_MSG_TMO_MAX);
static const zs_msgtab_field_t s_f_level = S_INT("level", level, INT64_MIN, INT64_MAX);
static const zs_msgtab_field_t s_f_top = S_RANGE("top", top, 0, ZS_MSG_ITEMS_MAX);
static const zs_msgtab_field_t s_f_level_micro =
    S_INT("level_micro", level_micro, INT64_MIN, INT64_MAX);
static const zs_msgtab_field_t s_f_at = S_UINT("at", at);
static const zs_msgtab_field_t s_f_vote = S_NAME("vote", vote);
static const zs_msgtab_field_t s_f_question =
    S_STR("question", question, 1, ZS_MSG_TEXT_MAX);
static const zs_msgtab_field_t s_f_options =
    S_NAMES("options", options, ZS_MSG_OPTIONS_MAX);
static const zs_msgtab_field_t s_f_voters = S_NAMES("voters", voters, ZS_MSG_LIST_MAX);
static const zs_msgtab_field_t s_f_deadline =
    S_RANGE("deadline", deadline, 0, ZS_MSG_TMO_MAX);
static const zs_msgtab_field_t s_f_option = S_NAME("option", option);
static const zs_msgtab_field_t s_f_confidence =
    S_RANGE("confidence", confidence, 0, ZS_MSG_CONFIDENCE_MAX);
static const zs_msgtab_field_t s_f_weight =
    S_RANGE("weight", weight, 0, ZS_MSG_WEIGHT_MAX);
static const zs_msgtab_field_t s_f_ballots =
    S_LIST("ballots", ballots, ZS_MSG_AGENTS_MAX, 5, ZS_MSG_BALLOT_MAX);
static const zs_msgtab_field_t s_f_votes = S_NAMES("votes", votes, ZS_MSG_ITEMS_MAX);
static const zs_msgtab_field_t s_f_cast = S_UINT("cast", cast);
static const zs_msgtab_field_t s_f_vote_argv =
    S_LIST("vote_argv", vote_argv, ZS_MSG_LIST_MAX, 0, ZS_MSG_ARG_MAX);
static const zs_msgtab_field_t s_f_secret = S_NAME("secret", secret);
static const zs_msgtab_field_t s_f_addr = S_NAME("addr", addr);
static const zs_msgtab_field_t s_f_queued_bytes = S_UINT("queued_bytes", queued_bytes);
static const zs_msgtab_field_t s_f_results_bytes = S_UINT("results_bytes", results_bytes);
static const zs_msgtab_field_t s_f_allow =
    S_LIST("allow", allow, ZS_MSG_LIST_MAX, 1, ZS_MSG_URL_MAX);
static const zs_msgtab_field_t s_f_max_body = S_UINT("max_body", max_body);
static const zs_msgtab_field_t s_f_max_redirects =
    S_RANGE("max_redirects", max_redirects, 0, ZS_MSG_REDIRECTS_MAX);
static const zs_msgtab_field_t s_f_headers =
    S_LIST("headers", headers, ZS_MSG_LIST_MAX, 1, ZS_MSG_HEADER_MAX);
static const zs_msgtab_field_t s_f_dir = S_STR("dir", dir, 1, ZS_MSG_PATH_MAX);
static const zs_msgtab_field_t s_f_max_size = S_UINT("max_size", max_size);
//  welcome's providers are how to call them; providers.ok's, their state (below)
static const zs_msgtab_field_t s_f_conf_providers = S_RECORDS("providers",
                                                              provider_confs,
                                                              provider_conf_count,
                                                              provider_conf,
                                                              ZS_MSG_PROVIDERS_MAX);
static const zs_msgtab_field_t s_f_system = S_STR("system", system, 0, ZS_MSG_PROMPT_MAX);
static const zs_msgtab_field_t s_f_prompt = S_STR("prompt", prompt, 0, ZS_MSG_PROMPT_MAX);
static const zs_msgtab_field_t s_f_max_tokens = S_UINT("max_tokens", max_tokens);
static const zs_msgtab_field_t s_f_temp = S_FLOAT("temp", temp, 0, ZS_MSG_TEMP_MAX);
static const zs_msgtab_field_t s_f_stream = S_BOOL("stream", stream);
static const zs_msgtab_field_t s_f_final = S_BOOL("final", final);
static const zs_msgtab_field_t s_f_retries =
    S_RANGE("retries", retries, 0, ZS_MSG_RETRIES_MAX);
static const zs_msgtab_field_t s_f_backoff =
    S_RANGE("backoff", backoff, 0, ZS_MSG_TMO_MAX);
static const zs_msgtab_field_t s_f_max_wait =
    S_RANGE("max_wait", max_wait, 0, ZS_MSG_TMO_MAX);
static const zs_msgtab_field_t s_f_tok_max = S_UINT("tok_max", tok_max);
static const zs_msgtab_field_t s_f_usd_max =
    S_FLOAT("usd_max", usd_max, 0, ZS_MSG_USD_MAX);
static const zs_msgtab_field_t s_f_bytes = S_UINT("bytes", bytes);
static const zs_msgtab_field_t s_f_total = S_UINT("total", total);
static const zs_msgtab_field_t s_f_rate = S_UINT("rate", rate);
static const zs_msgtab_field_t s_f_text = S_STR("text", text, 0, ZS_MSG_STREAM_MAX);
static const zs_msgtab_field_t s_f_provider = S_NAME("provider", provider);
static const zs_msgtab_field_t s_f_tok_in = S_UINT("tok_in", tok_in);
static const zs_msgtab_field_t s_f_tok_out = S_UINT("tok_out", tok_out);
static const zs_msgtab_field_t s_f_usd = S_FLOAT("usd", usd, 0, ZS_MSG_USD_MAX);
static const zs_msgtab_field_t s_f_outcome = S_NAME("outcome", outcome);
//  an agent clamps a longer Retry-After: the coordinator acts on it as a wait
static const zs_msgtab_field_t s_f_retry = S_RANGE("retry", retry, 0, ZS_MSG_TMO_MAX);
static const zs_msgtab_field_t s_f_ms = S_UINT("ms", ms);
static const zs_msgtab_field_t s_f_http =
    S_RANGE("http", http, 0, ZS_MSG_HTTP_STATUS_MAX);
static const zs_msgtab_field_t s_f_left = S_UINT("left", left);
static const zs_msgtab_field_t s_f_scope = S_NAME("scope", scope);
static const zs_msgtab_field_t s_f_tok = S_UINT("tok", tok);
static const zs_msgtab_field_t s_f_providers =
    S_RECORDS("providers", providers, provider_count, provider, ZS_MSG_PROVIDERS_MAX);
static const zs_msgtab_field_t s_f_budgets =
    S_RECORDS("budgets", budgets, budget_count, budget, ZS_MSG_BUDGETS_MAX);
static const zs_msgtab_field_t s_f_aseq = S_UINT("aseq", aseq);
static const zs_msgtab_field_t s_f_paused = S_BOOL("paused", paused);
static const zs_msgtab_field_t s_f_events = S_STR("events", events, 1, ZS_MSG_URL_MAX);
static const zs_msgtab_field_t s_f_cpu = S_UINT("cpu", cpu);
static const zs_msgtab_field_t s_f_rss = S_UINT("rss", rss);

//  A submit names up to 64 task ids whose results it takes; task.assign carries those
//  results as records under the same key
static const zs_msgtab_field_t s_f_inputs = S_NAMES("inputs", inputs, ZS_MSG_INPUTS_MAX);
static const zs_msgtab_field_t s_f_input_records =
    S_RECORDS("inputs", input_records, input_count, input, ZS_MSG_INPUTS_MAX);
static const zs_msgtab_field_t s_f_ckpt = S_BIN("ckpt", ckpt, ckpt_size, ZS_MSG_CKPT_MAX);
static const zs_msgtab_field_t s_f_data = S_BIN("data", data, data_size, ZS_MSG_CKPT_MAX);
static const zs_msgtab_field_t s_f_ckpt_bytes = S_UINT("ckpt_bytes", ckpt_bytes);
static const zs_msgtab_field_t s_f_parent = S_NAME("parent", parent);
static const zs_msgtab_field_t s_f_children =
    S_NAMES("children", children, ZS_MSG_ITEMS_MAX);

_Static_assert(ZS_MSG_AGENTS_MAX <= UINT16_MAX && ZS_MSG_BUDGETS_MAX <= UINT16_MAX,
               "count_max is 16 bits");
_Static_assert(sizeof(zs_msg_t) <= UINT16_MAX, "offsets are 16 bits");

//  ---------------------------------------------------------------------------------------
//  Message types: "v" and "t", then their own fields

#define S_TYPE(name_, ...) S_MAP(name_, R(v), R(t), __VA_ARGS__)

#define S_TASK_EVENT R(seq), O(agent), O(why), R(task), R(ttype), O(att)
#define S_TASK_VIEW                                                                      \
    O(rid), O(agent), O(why), R(task), R(ttype), O(pri), O(tmo), O(tries), O(att),       \
        O(status), O(exit), O(stdout), O(stderr), R(state), O(ended), O(deps),           \
        O(provider), O(tok_in), O(tok_out), O(usd), O(code), O(pct), O(note), O(bytes),  \
        O(total), O(rate), O(ckpt_bytes), O(parent), O(children)
#define S_COUNTERS                                                                       \
    O(n_agents), O(n_ready), O(n_running), O(n_pending), O(n_completed), O(n_dead),      \
        O(n_cancelled), O(n_submitted), O(uptime_ms), O(n_forbidden), O(queued_bytes),   \
        O(results_bytes), O(tok_in), O(tok_out), O(usd), O(tok_max), O(usd_max)

// clang-format off
static zs_msgtab_type_t s_types[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_INVALID] = {.name = "invalid", .name_size = 7},
    [ZS_MSG_HELLO] = S_TYPE("hello", O(agent), R(atype), O(caps), O(conc), O(host),
        O(pid), O(secret)),
    [ZS_MSG_WELCOME] = S_TYPE("welcome", R(agent), R(atype), R(conc), R(hb), R(live),
        R(handler), O(argv), O(option), O(vote_argv), O(allow), O(max_body),
        O(max_redirects), O(headers), O(dir), O(max_size), O(conf_providers), O(system),
        O(prompt), O(max_tokens), O(temp), O(stream), O(retries), O(backoff), O(max_wait),
        O(tok_max), O(usd_max), O(aseq), O(paused), O(events)),
    [ZS_MSG_HEARTBEAT] = S_TYPE("heartbeat", O(load), O(aseq), O(cpu), O(rss)),
    [ZS_MSG_BYE] = S_TYPE("bye", O(why)),
    [ZS_MSG_ERROR] = S_TYPE("error", O(rid), R(code), R(why), O(task), O(vote)),
    [ZS_MSG_TASK_ASSIGN] = S_TYPE("task.assign", R(task), R(ttype), O(payload), O(tmo),
        R(att), O(tok), O(usd), O(input_records), O(ckpt), O(parent)),
    [ZS_MSG_TASK_ACK] = S_TYPE("task.ack", R(task), R(att)),
    [ZS_MSG_TASK_PROGRESS] = S_TYPE("task.progress", O(seq), O(agent), R(task), R(att),
        O(pct), O(note), O(bytes), O(total), O(rate), O(text)),
    [ZS_MSG_TASK_RESULT] = S_TYPE("task.result", O(why), R(task), R(att), R(status),
        O(exit), O(stdout), O(stderr), O(provider), O(tok_in), O(tok_out), O(final)),
    [ZS_MSG_TASK_CANCEL] = S_TYPE("task.cancel", R(task), R(att)),
    [ZS_MSG_TASK_OFFER] = S_TYPE("task.offer", R(task), R(ttype), O(tmo)),
    [ZS_MSG_TASK_BID] = S_TYPE("task.bid", R(task), R(bid)),
    [ZS_MSG_TASK_CHECKPOINT] = S_TYPE("task.checkpoint", O(rid), R(task), R(att),
        O(data)),
    [ZS_MSG_TASK_CHECKPOINT_OK] = S_TYPE("task.checkpoint.ok", O(rid), R(task)),
    [ZS_MSG_SUBMIT] = S_TYPE("submit", O(rid), O(task), R(ttype), O(payload), O(pri),
        O(tmo), O(tries), O(wait), O(deps), O(items), O(agg), O(strategy), O(requires),
        O(inputs), O(parent), O(agent)),
    [ZS_MSG_SUBMIT_OK] = S_TYPE("submit.ok", O(rid), R(task), O(dup)),
    [ZS_MSG_WAIT] = S_TYPE("wait", O(rid), R(task), O(parent)),
    [ZS_MSG_WAIT_OK] = S_TYPE("wait.ok", S_TASK_VIEW),
    [ZS_MSG_TASK] = S_TYPE("task", O(rid), R(task)),
    [ZS_MSG_TASK_OK] = S_TYPE("task.ok", S_TASK_VIEW),
    [ZS_MSG_CANCEL] = S_TYPE("cancel", O(rid), R(task), O(parent)),
    [ZS_MSG_CANCEL_OK] = S_TYPE("cancel.ok", O(rid), R(task), R(state)),
    [ZS_MSG_STATUS] = S_TYPE("status", O(rid)),
    [ZS_MSG_STATUS_OK] = S_TYPE("status.ok", O(rid), O(seq), R(name), S_COUNTERS),
    [ZS_MSG_AGENTS] = S_TYPE("agents", O(rid)),
    [ZS_MSG_AGENTS_OK] = S_TYPE("agents.ok", O(rid), R(agents)),
    [ZS_MSG_SHUTDOWN] = S_TYPE("shutdown", O(rid)),
    [ZS_MSG_SHUTDOWN_OK] = S_TYPE("shutdown.ok", O(rid)),
    [ZS_MSG_STOP] = S_TYPE("stop", O(rid), R(agent)),
    [ZS_MSG_STOP_OK] = S_TYPE("stop.ok", O(rid), R(agent)),
    [ZS_MSG_SCALE] = S_TYPE("scale", O(rid), R(atype), R(count), O(node)),
    [ZS_MSG_SCALE_OK] = S_TYPE("scale.ok", O(rid), R(atype), R(count), O(node)),
    [ZS_MSG_NODE_HELLO] = S_TYPE("node.hello", O(host), O(pid), R(node), R(slots)),
    [ZS_MSG_NODE_WELCOME] = S_TYPE("node.welcome", R(hb), R(live), O(name), R(node)),
    [ZS_MSG_NODE_SPAWN] = S_TYPE("node.spawn", R(atype), O(count)),
    [ZS_MSG_NEIGHBOURS] = S_TYPE("neighbours", O(peers), O(gone), O(full), R(role),
        O(lead)),
    [ZS_MSG_MSG_SEND] = S_TYPE("msg.send", R(agent), O(payload)),
    [ZS_MSG_MSG_SHARE] = S_TYPE("msg.share", O(payload)),
    [ZS_MSG_MSG] = S_TYPE("msg", R(agent), O(payload)),
    [ZS_MSG_TASK_DELEGATE] = S_TYPE("task.delegate", R(task), O(payload), R(att)),
    [ZS_MSG_TASK_REPORT] = S_TYPE("task.report", R(agent), O(why), R(task), R(att),
        R(status), O(exit), O(stdout), O(stderr)),
    [ZS_MSG_TOPOLOGY] = S_TYPE("topology", O(rid)),
    [ZS_MSG_TOPOLOGY_OK] = S_TYPE("topology.ok", O(rid), R(agents), R(topology),
        O(links)),
    [ZS_MSG_MEM_PUT] = S_TYPE("mem.put", O(rid), O(agent), O(atype), R(key), O(value),
        O(tags), O(ttl), O(access), O(version), O(cas), O(expires), O(half_life),
        O(level_micro), O(at)),
    [ZS_MSG_MEM_PUT_OK] = S_TYPE("mem.put.ok", O(rid), R(key), R(version)),
    [ZS_MSG_MEM_GET] = S_TYPE("mem.get", O(rid), R(key)),
    [ZS_MSG_MEM_GET_OK] = S_TYPE("mem.get.ok", O(rid), O(agent), R(key), O(value),
        O(tags), O(ttl), R(access), R(version), O(half_life), O(level)),
    [ZS_MSG_MEM_DEL] = S_TYPE("mem.del", O(rid), R(key), O(version), O(cas)),
    [ZS_MSG_MEM_DEL_OK] = S_TYPE("mem.del.ok", O(rid), R(key), R(version)),
    [ZS_MSG_MEM_QUERY] = S_TYPE("mem.query", O(rid), O(tags), O(prefix), O(top)),
    [ZS_MSG_MEM_DEPOSIT] = S_TYPE("mem.deposit", O(rid), R(key), O(tags), O(ttl),
        O(access), R(amount), O(half_life)),
    [ZS_MSG_MEM_DEPOSIT_OK] = S_TYPE("mem.deposit.ok", O(rid), R(key), R(version),
        R(level)),
    [ZS_MSG_MEM_QUERY_OK] = S_TYPE("mem.query.ok", O(rid), O(keys)),
    [ZS_MSG_VOTE_PROPOSE] = S_TYPE("vote.propose", O(rid), O(strategy), O(vote),
        R(question), R(options), O(voters), O(deadline)),
    [ZS_MSG_VOTE_PROPOSE_OK] = S_TYPE("vote.propose.ok", O(rid), R(count), R(vote)),
    [ZS_MSG_VOTE_ASK] = S_TYPE("vote.ask", O(agent), R(strategy), R(vote), R(question),
        R(options), R(deadline)),
    [ZS_MSG_VOTE_CAST] = S_TYPE("vote.cast", O(rid), R(vote), R(option), O(confidence),
        O(weight)),
    [ZS_MSG_VOTE_CAST_OK] = S_TYPE("vote.cast.ok", O(rid), R(vote)),
    [ZS_MSG_VOTE_STATUS] = S_TYPE("vote.status", O(rid), R(vote)),
    [ZS_MSG_VOTE_STATUS_OK] = S_TYPE("vote.status.ok", O(rid), O(agent), R(state),
        R(count), R(strategy), R(vote), R(question), R(options), O(voters), O(deadline),
        O(option), O(ballots), R(cast)),
    [ZS_MSG_VOTE_LIST] = S_TYPE("vote.list", O(rid)),
    [ZS_MSG_VOTE_LIST_OK] = S_TYPE("vote.list.ok", O(rid), O(votes)),
    [ZS_MSG_PROVIDER_REPORT] = S_TYPE("provider.report", R(task), R(att), R(provider),
        R(outcome), O(tok_in), O(tok_out), O(retry), O(ms), O(http), O(why)),
    [ZS_MSG_PROVIDER_STATE] = S_TYPE("provider.state", O(seq), R(provider), R(state),
        O(left), O(why)),
    [ZS_MSG_PROVIDERS] = S_TYPE("providers", O(rid)),
    [ZS_MSG_PROVIDERS_OK] = S_TYPE("providers.ok", O(rid), R(providers), R(budgets)),
    [ZS_MSG_SPEND] = S_TYPE("spend", R(provider), R(atype), O(tok_in), O(tok_out),
        O(usd)),
    [ZS_MSG_BROADCAST] = S_TYPE("broadcast", O(rid), R(payload), O(atype)),
    [ZS_MSG_BROADCAST_OK] = S_TYPE("broadcast.ok", O(rid), R(count)),
    [ZS_MSG_PAUSE] = S_TYPE("pause", O(rid), O(agent), O(atype)),
    [ZS_MSG_PAUSE_OK] = S_TYPE("pause.ok", O(rid), R(count)),
    [ZS_MSG_RESUME] = S_TYPE("resume", O(rid), O(agent), O(atype)),
    [ZS_MSG_RESUME_OK] = S_TYPE("resume.ok", O(rid), R(count)),
    [ZS_MSG_AGENT_SYNC] = S_TYPE("agent.sync", O(rid)),
    [ZS_MSG_AGENT_SYNC_OK] = S_TYPE("agent.sync.ok", O(rid), R(aseq), O(paused)),
    [ZS_MSG_INBOX] = S_TYPE("inbox", O(rid), O(wait)),
    [ZS_MSG_INBOX_OK] = S_TYPE("inbox.ok", O(rid), O(agent), O(payload), O(count),
        O(broadcast)),
    [ZS_MSG_EV_SWARM_STARTED] = S_TYPE("swarm.started", R(seq), R(name)),
    [ZS_MSG_EV_SWARM_STOPPING] = S_TYPE("swarm.stopping", R(seq), O(why), R(name)),
    [ZS_MSG_EV_AGENT_JOINED] = S_TYPE("agent.joined", R(seq), R(agent), R(atype), O(host),
        O(pid), O(local), O(addr)),
    [ZS_MSG_EV_AGENT_LEFT] = S_TYPE("agent.left", R(seq), R(agent), R(atype), O(why)),
    [ZS_MSG_EV_AGENT_EXITED] = S_TYPE("agent.exited", R(seq), R(agent), R(pid), O(why),
        O(exit)),
    [ZS_MSG_EV_AGENT_TYPE_FAILED] = S_TYPE("agent.type_failed", R(seq), R(atype), R(why)),
    [ZS_MSG_EV_NODE_JOINED] = S_TYPE("node.joined", R(seq), O(host), O(pid), R(node),
        R(slots)),
    [ZS_MSG_EV_NODE_LEFT] = S_TYPE("node.left", R(seq), O(why), R(node)),
    [ZS_MSG_EV_TEAM_ELECTED] = S_TYPE("team.elected", R(seq), R(agent), R(atype), O(why)),
    [ZS_MSG_EV_MEM_CHANGED] = S_TYPE("mem.changed", R(seq), O(agent), R(state), R(key),
        O(version)),
    [ZS_MSG_EV_VOTE_OPENED] = S_TYPE("vote.opened", R(seq), O(agent), R(count),
        R(strategy), R(vote), R(question), R(options), O(voters), R(deadline)),
    [ZS_MSG_EV_VOTE_DECIDED] = S_TYPE("vote.decided", R(seq), O(why), R(state), R(count),
        R(vote), O(option), R(cast)),
    [ZS_MSG_EV_TASK_PENDING] = S_TYPE("task.pending", S_TASK_EVENT),
    [ZS_MSG_EV_TASK_READY] = S_TYPE("task.ready", S_TASK_EVENT),
    [ZS_MSG_EV_TASK_ASSIGNED] = S_TYPE("task.assigned", S_TASK_EVENT),
    [ZS_MSG_EV_TASK_RUNNING] = S_TYPE("task.running", S_TASK_EVENT),
    [ZS_MSG_EV_TASK_COMPLETED] = S_TYPE("task.completed", S_TASK_EVENT),
    [ZS_MSG_EV_TASK_FAILED] = S_TYPE("task.failed", S_TASK_EVENT),
    [ZS_MSG_EV_TASK_DEAD] = S_TYPE("task.dead", S_TASK_EVENT),
    [ZS_MSG_EV_TASK_CANCELLED] = S_TYPE("task.cancelled", S_TASK_EVENT),
    [ZS_MSG_EV_BUDGET_SPENT] = S_TYPE("budget.spent", R(seq), R(scope), O(tok), O(usd),
        O(tok_max), O(usd_max)),
    [ZS_MSG_EV_AGENT_BROADCAST] = S_TYPE("agent.broadcast", R(seq), R(aseq), R(payload),
        O(atype)),
    [ZS_MSG_EV_AGENT_PAUSED] = S_TYPE("agent.paused", R(seq), R(aseq), O(agent),
        O(atype)),
    [ZS_MSG_EV_AGENT_RESUMED] = S_TYPE("agent.resumed", R(seq), R(aseq), O(agent),
        O(atype)),
};
// clang-format on

//  ---------------------------------------------------------------------------------------
//  Indexes, built before main from the lists above

//  Every type but ZS_MSG_INVALID, in byte order of their names
static zs_msg_type_t s_by_name[ZS_MSG_TYPE_COUNT - 1];

//  Every message field once, as the fields of a pseudo-type (uses owned)
static zs_msgtab_type_t s_keys = {.name = "any message"};

static void s_table_bug(const char *format, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

//  A wrong table is a bug in this file, found before main: nothing can run with it
static void
s_table_bug(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("zs_msgtab: the message table is wrong: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    abort();
}

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

static int
s_field_order(const zs_msgtab_field_t *a, const zs_msgtab_field_t *b)
{
    return s_compare(a->key, a->key_size, b->key, b->key_size);
}

//  Least bytes a value of the field takes: one for a scalar or an empty array, a str's
//  header and its least length (a lower bound: headers past fixstr are longer), a bin's
//  two header bytes
static size_t
s_least_value_size(const zs_msgtab_field_t *field)
{
    switch ((zs_msgtab_kind_t) field->kind) {
    case ZS_KIND_STR:
        return 1 + (size_t) field->min;
    case ZS_KIND_BIN:
        return 2;
    default:
        return 1;
    }
}

//  Counts the required uses and the least size of a map of the type, and notes where
//  its floats are
static void
s_measure_type(zs_msgtab_type_t *type)
{
    type->required = 0;
    type->least_size = 1;  //  a fixmap header
    type->float_count = 0;
    for (size_t i = 0; i < type->count; i++) {
        const zs_msgtab_use_t *use = &type->uses[i];
        type->required += use->required;
        if (use->required) {
            type->least_size += 1 + use->field->key_size + s_least_value_size(use->field);
        }
        type->float_count += use->field->kind == ZS_KIND_FLOAT;
    }
    type->floats =
        type->float_count ? zs_malloc(type->float_count * sizeof(uint16_t)) : NULL;
    for (size_t i = 0, at = 0; i < type->count; i++) {
        if (type->uses[i].field->kind == ZS_KIND_FLOAT) {
            type->floats[at++] = type->uses[i].field->offset;
        }
    }
}

//  Sorts the type's uses by key into by_key (an insertion sort: a few fields, once) and
//  measures it. Returns the first key that two of its uses have, or NULL.
static const char *
s_index_type(zs_msgtab_type_t *type)
{
    uint16_t *by_key = zs_malloc((type->count ? type->count : 1) * sizeof *by_key);
    for (size_t i = 0; i < type->count; i++) {
        const zs_msgtab_field_t *field = type->uses[i].field;
        size_t at = i;
        while (at > 0 && s_field_order(type->uses[by_key[at - 1]].field, field) > 0) {
            by_key[at] = by_key[at - 1];
            at--;
        }
        by_key[at] = (uint16_t) i;
    }
    type->by_key = by_key;
    s_measure_type(type);
    for (size_t i = 1; i < type->count; i++) {
        const zs_msgtab_field_t *field = type->uses[by_key[i]].field;
        if (s_field_order(type->uses[by_key[i - 1]].field, field) == 0) {
            return field->key;
        }
    }
    return NULL;
}

static int
s_name_order(zs_msg_type_t a, zs_msg_type_t b)
{
    return s_compare(s_types[a].name, s_types[a].name_size, s_types[b].name,
                     s_types[b].name_size);
}

static void
s_index_names(void)
{
    for (size_t type = ZS_MSG_INVALID + 1; type < ZS_MSG_TYPE_COUNT; type++) {
        if (!s_types[type].name) {
            s_table_bug("message type %zu has no entry", type);
        }
        size_t at = type - 1;
        while (at > 0 && s_name_order(s_by_name[at - 1], (zs_msg_type_t) type) > 0) {
            s_by_name[at] = s_by_name[at - 1];
            at--;
        }
        s_by_name[at] = (zs_msg_type_t) type;
    }
    for (size_t i = 1; i < ZS_MSG_TYPE_COUNT - 1; i++) {
        if (s_name_order(s_by_name[i - 1], s_by_name[i]) == 0) {
            s_table_bug("two types are named '%s'", s_types[s_by_name[i]].name);
        }
    }
}

//  A record is decoded inside the message's arena, whose tables the first pass sizes
//  from the message's keys, and, inside a records array, from the arrays of up to
//  ZS_MSG_RECORD_LIST_MAX items it holds (as pointers): a record may hold lists of
//  strs that long, nothing else that needs a table
static void
s_check_record(const zs_msgtab_field_t *field)
{
    for (size_t i = 0; i < field->record->count; i++) {
        const zs_msgtab_field_t *inner = field->record->uses[i].field;
        zs_msgtab_kind_t kind = inner->kind;
        if ((kind == ZS_KIND_STRLIST && inner->count_max > ZS_MSG_RECORD_LIST_MAX) ||
            kind == ZS_KIND_BINLIST || kind == ZS_KIND_RECORDS) {
            s_table_bug("'%s' of '%s' holds an array", field->record->uses[i].field->key,
                        field->record->name);
        }
    }
}

//  A list or a record array: the decoder's first pass sizes a table for either by key
static bool
s_is_array(const zs_msgtab_field_t *field)
{
    return field->kind == ZS_KIND_STRLIST || field->kind == ZS_KIND_BINLIST ||
           field->kind == ZS_KIND_RECORDS;
}

//  The first key two message fields share, unless both are arrays (welcome's and
//  providers.ok's providers, submit's and task.assign's inputs), or NULL
static const char *
s_shared_key(void)
{
    for (size_t i = 1; i < s_keys.count; i++) {
        const zs_msgtab_field_t *a = s_keys.uses[s_keys.by_key[i - 1]].field;
        const zs_msgtab_field_t *b = s_keys.uses[s_keys.by_key[i]].field;
        if (s_field_order(a, b) == 0 && (!s_is_array(a) || !s_is_array(b))) {
            return b->key;
        }
    }
    return NULL;
}

//  s_keys: each field any message type lists, once
static void
s_index_keys(void)
{
    size_t most = 0;
    for (size_t type = 0; type < ZS_MSG_TYPE_COUNT; type++) {
        most += s_types[type].count;
    }
    zs_msgtab_use_t *uses = zs_calloc(most ? most : 1, sizeof *uses);
    size_t count = 0;
    for (size_t type = 0; type < ZS_MSG_TYPE_COUNT; type++) {
        for (size_t i = 0; i < s_types[type].count; i++) {
            const zs_msgtab_field_t *field = s_types[type].uses[i].field;
            size_t known = 0;
            while (known < count && uses[known].field != field) {
                known++;
            }
            if (known < count) {
                continue;
            }
            uses[count++].field = field;
            if (field->kind == ZS_KIND_RECORDS) {
                s_check_record(field);
            }
        }
    }
    s_keys.uses = uses;
    s_keys.count = count;
    s_index_type(&s_keys);
    const char *shared = s_shared_key();
    if (shared) {
        s_table_bug("two fields have the key '%s'", shared);
    }
}

__attribute__((constructor)) static void
s_index(void)
{
    for (size_t type = 0; type < ZS_MSG_TYPE_COUNT; type++) {
        const char *twice = s_index_type(&s_types[type]);
        if (twice) {
            s_table_bug("type '%s' lists '%s' twice", s_types[type].name, twice);
        }
    }
    for (size_t i = 0; i < sizeof s_records / sizeof s_records[0]; i++) {
        const char *twice = s_index_type(s_records[i]);
        if (twice) {
            s_table_bug("'%s' lists '%s' twice", s_records[i]->name, twice);
        }
    }
    s_index_names();
    s_index_keys();
}

//  ---------------------------------------------------------------------------------------
//  Lookups

//  The first position in type->by_key whose key is not below (key, size) in byte order:
//  where the run of fields with that key starts, when several have it
static size_t
s_lower_bound(const zs_msgtab_type_t *type, const char *key, size_t size)
{
    size_t low = 0, high = type->count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        const zs_msgtab_field_t *field = type->uses[type->by_key[mid]].field;
        if (s_compare(key, size, field->key, field->key_size) > 0) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    return low;
}

int
zs_msgtab_find(const zs_msgtab_type_t *type, const char *key, size_t size)
{
    assert(type);
    size_t low = 0, high = type->count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        const zs_msgtab_field_t *field = type->uses[type->by_key[mid]].field;
        int order = s_compare(key, size, field->key, field->key_size);
        if (order == 0) {
            return type->by_key[mid];
        }
        if (order < 0) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    return -1;
}

//  Bytes one item of the field's table takes, or 0 when it takes no count items
static size_t
s_item_size(const zs_msgtab_field_t *field, size_t count, size_t left)
{
    if (count > field->count_max) {
        return 0;
    }
    switch ((zs_msgtab_kind_t) field->kind) {
    case ZS_KIND_STRLIST:
        return sizeof(const char *);
    case ZS_KIND_BINLIST:
        return sizeof(zs_msg_bin_t);
    case ZS_KIND_RECORDS:
        return count <= left / field->record->least_size ? field->record_size : 0;
    default:
        return 0;
    }
}

size_t
zs_msgtab_table_size(const char *key, size_t key_size, size_t count, size_t left)
{
    size_t most = 0;
    for (size_t at = s_lower_bound(&s_keys, key, key_size); at < s_keys.count; at++) {
        const zs_msgtab_field_t *field = s_keys.uses[s_keys.by_key[at]].field;
        if (s_compare(key, key_size, field->key, field->key_size) != 0) {
            break;
        }
        size_t size = count * s_item_size(field, count, left);
        most = size > most ? size : most;
    }
    return most;
}

const zs_msgtab_type_t *
zs_msgtab_type(zs_msg_type_t type)
{
    if (type <= ZS_MSG_INVALID || type >= ZS_MSG_TYPE_COUNT) {
        return &s_types[ZS_MSG_INVALID];
    }
    return &s_types[type];
}

void
zs_msgtab_absent_floats(const zs_msgtab_type_t *type, uint8_t *base)
{
    for (size_t i = 0; i < type->float_count; i++) {
        *(double *) (void *) (base + type->floats[i]) = NAN;
    }
}

const uint8_t *
zs_msgtab_records(const zs_msgtab_field_t *field, const uint8_t *base)
{
    const void *table;
    memcpy(&table, base + field->offset, sizeof table);
    return table;
}

void
zs_msgtab_set_records(const zs_msgtab_field_t *field, uint8_t *base, void *table)
{
    memcpy(base + field->offset, &table, sizeof table);
}

const char *
zs_msg_type_name(zs_msg_type_t type)
{
    return zs_msgtab_type(type)->name;
}

bool
zs_msg_to_agents(zs_msg_type_t type)
{
    return type == ZS_MSG_EV_AGENT_BROADCAST || type == ZS_MSG_EV_AGENT_PAUSED ||
           type == ZS_MSG_EV_AGENT_RESUMED;
}

zs_msg_type_t
zs_msg_type_from_name(const char *name, size_t size)
{
    assert(name || size == 0);
    size_t low = 0, high = ZS_MSG_TYPE_COUNT - 1;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        const zs_msgtab_type_t *candidate = &s_types[s_by_name[mid]];
        int order = s_compare(name, size, candidate->name, candidate->name_size);
        if (order == 0) {
            return s_by_name[mid];
        }
        if (order < 0) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    return ZS_MSG_INVALID;
}
