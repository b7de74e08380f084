//  zs_swarm - see zs_swarm.h
//
//  zs_yaml screens the text and builds its node tree; this file holds the swarm
//  schema: the key tables (name, reader, target offset, range) each mapping is checked
//  against, the readers only swarm files need, and the rules across keys that run after
//  their mapping. zs_endpoint judges the 'bind' endpoints; zs_swarm_topology.c the
//  topology's rules.

#include "coordinator/swarm/zs_swarm.h"
#include "coordinator/swarm/zs_swarm_private.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/swarm/zs_endpoint.h"
#include "proto/zs_msg.h"
#include "supervisor/zs_spawn.h"
#include "coordinator/swarm/zs_yaml.h"

#define ZS_SWARM_ARGV_MAX     64        //  items in an exec command
#define ZS_SWARM_ARG_MAX      4096      //  bytes in one command item
#define ZS_SWARM_CAPS_MAX     64        //  capabilities of one type
#define ZS_SWARM_HB_MIN_MS    10        //  shortest heartbeat interval
#define ZS_SWARM_HB_MAX_MS    60000     //  longest heartbeat interval
#define ZS_SWARM_LIVENESS_MIN 2         //  fewest missed heartbeats that kill a peer
#define ZS_SWARM_LIVENESS_MAX 100       //  most missed heartbeats that kill a peer
#define ZS_SWARM_QUEUE_MAX    10000000  //  largest 'max_queue'
#define ZS_SWARM_KEEP_MAX     1000000   //  largest 'keep_results'
#define ZS_SWARM_KEEP_S_MAX   31536000  //  largest 'keep_results_s' (a year)
#define ZS_SWARM_DEPTH_MAX    1000      //  largest 'max_depth'

//  ---------------------------------------------------------------------------------------
//  Names, paths and command lines

static bool
s_is_name(const char *text, size_t len)
{
    static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789._-";
    return len >= 1 && len <= ZS_SWARM_NAME_MAX && strspn(text, allowed) == len;
}

int
zs_swarm_check_name(zs_yaml_t *ctx, const zs_yaml_key_t *key, const yaml_node_t *node)
{
    size_t len;
    const char *text = zs_yaml_string(ctx, node, key->name, &len);
    if (!text) {
        return -1;
    }
    if (!s_is_name(text, len)) {
        return zs_yaml_fail(
            ctx, node->start_mark,
            "invalid name '%s' for '%s' (expected 1 to %d of A-Z a-z 0-9 . _ -)",
            zs_yaml_sample(text, len).text, key->name, ZS_SWARM_NAME_MAX);
    }
    return 0;
}

int
zs_swarm_read_name(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    if (zs_swarm_check_name(ctx, key, node) != 0) {
        return -1;
    }
    zs_yaml_store_string(target, key, node);
    return 0;
}

static int
s_read_path(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    size_t len;
    const char *text = zs_yaml_string(ctx, node, key->name, &len);
    if (!text) {
        return -1;
    }
    if (len == 0 || len > ZS_SWARM_PATH_MAX) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "expected a path of 1 to %d bytes for '%s'",
                            ZS_SWARM_PATH_MAX, key->name);
    }
    zs_yaml_store_string(target, key, node);
    return 0;
}

static int
s_check_arg(zs_yaml_t *ctx, const zs_yaml_key_t *key, const yaml_node_t *item)
{
    size_t len;
    if (!zs_yaml_string(ctx, item, key->name, &len)) {
        return -1;
    }
    if (len < 1 || len > ZS_SWARM_ARG_MAX) {
        return zs_yaml_fail(ctx, item->start_mark,
                            "expected 1..%d bytes in each item of '%s', found %zu",
                            ZS_SWARM_ARG_MAX, key->name, len);
    }
    return 0;
}

static int
s_read_command(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    zs_swarm_type_t *type = target;
    return zs_yaml_read_strings(ctx, key, node, s_check_arg, &type->argv, &type->argc);
}

static int
s_read_program(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    zs_swarm_type_t *type = target;
    return zs_yaml_read_strings(ctx, key, node, s_check_arg, &type->program,
                                &type->program_argc);
}

static int
s_read_caps(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    zs_swarm_type_t *type = target;
    return zs_yaml_read_strings(ctx, key, node, zs_swarm_check_name, &type->caps,
                                &type->cap_count);
}

static int
s_read_tags(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    zs_swarm_type_t *type = target;
    return zs_yaml_read_strings(ctx, key, node, zs_swarm_check_name, &type->tags,
                                &type->tag_count);
}

static const zs_swarm_place_t *
s_place_find(const zs_swarm_type_t *type, const char *node)
{
    for (size_t i = 0; i < type->place_count; i++) {
        if (streq(type->places[i].node, node)) {
            return &type->places[i];
        }
    }
    return NULL;
}

//  The name of one node in 'nodes', at node
static int
s_check_node_name(zs_yaml_t *ctx, const yaml_node_t *node, const char **name_p)
{
    size_t len;
    *name_p = zs_yaml_string(ctx, node, "nodes", &len);
    if (!*name_p) {
        return -1;
    }
    if (!zs_msg_node_name_valid(*name_p)) {
        return zs_yaml_fail(
            ctx, node->start_mark,
            "invalid node name '%s' in 'nodes' (expected 1 to %d of A-Z a-z 0-9 . _ : -)",
            zs_yaml_sample(*name_p, len).text, ZS_MSG_NODE_NAME_MAX);
    }
    return 0;
}

//  'nodes: {NAME: COUNT, ...}': how many agents of the type each node daemon runs.
//  Places are stored as they are read, so a failed read leaves place_count to free.
static int
s_read_nodes(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    zs_swarm_type_t *type = target;
    if (node->type != YAML_MAPPING_NODE) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "expected mapping of node names to counts for '%s'",
                            key->name);
    }
    yaml_node_pair_t *pairs = node->data.mapping.pairs.start;
    size_t count = (size_t) (node->data.mapping.pairs.top - pairs);
    if (count > (size_t) key->max) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "expected at most %" PRId64 " nodes in '%s', found %zu",
                            key->max, key->name, count);
    }
    type->places = zs_calloc(count ? count : 1, sizeof *type->places);
    zs_yaml_key_t bound = {"nodes",
                           zs_yaml_read_uint,
                           offsetof(zs_swarm_place_t, count),
                           0,
                           ZS_SWARM_MAX_COUNT,
                           NULL,
                           ZS_YAML_OPTIONAL};
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *name_node = zs_yaml_node(ctx, pairs[i].key);
        const char *name;
        if (s_check_node_name(ctx, name_node, &name) != 0) {
            return -1;
        }
        if (s_place_find(type, name)) {
            return zs_yaml_fail(ctx, name_node->start_mark, "duplicate node '%s' in '%s'",
                                name, key->name);
        }
        zs_swarm_place_t *place = &type->places[type->place_count];
        if (zs_yaml_read_uint(ctx, &bound, zs_yaml_node(ctx, pairs[i].value), place) !=
            0) {
            return -1;
        }
        place->node = zs_strdup(name);
        type->place_count++;
    }
    return 0;
}

//  'backoff_ms: [min, max]': key->min and key->max bound each item. Stored only whole,
//  so a half-read list never leaves min above max.
static int
s_read_backoff(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    zs_supervision_t *sup = target, read = *sup;
    if (node->type != YAML_SEQUENCE_NODE) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "expected sequence [min, max] for '%s'", key->name);
    }
    yaml_node_item_t *items = node->data.sequence.items.start;
    size_t count = (size_t) (node->data.sequence.items.top - items);
    if (count != 2) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "expected 2 items [min, max] in '%s', found %zu", key->name,
                            count);
    }
    zs_yaml_key_t bound = *key;
    bound.offset = offsetof(zs_supervision_t, backoff_min_ms);
    if (zs_yaml_read_uint(ctx, &bound, zs_yaml_node(ctx, items[0]), &read) != 0) {
        return -1;
    }
    bound.offset = offsetof(zs_supervision_t, backoff_max_ms);
    if (zs_yaml_read_uint(ctx, &bound, zs_yaml_node(ctx, items[1]), &read) != 0) {
        return -1;
    }
    if (read.backoff_min_ms > read.backoff_max_ms) {
        return zs_yaml_fail(ctx, node->start_mark, "min %u in '%s' is above max %u",
                            read.backoff_min_ms, key->name, read.backoff_max_ms);
    }
    *sup = read;
    return 0;
}

//  A scheduling strategy, at the top level or in an agent type: zs_strategy has the
//  names, which a submit's 'strategy' shares
static int
s_read_strategy(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    size_t len;
    const char *text = zs_yaml_string(ctx, node, key->name, &len);
    if (!text) {
        return -1;
    }
    int strategy = zs_strategy_from_name(text);
    if (strategy < 0) {
        return zs_yaml_fail(ctx, node->start_mark, "unknown %s '%s' (expected %s)",
                            key->name, zs_yaml_sample(text, len).text,
                            ZS_STRATEGY_EXPECTED);
    }
    *(zs_strategy_t *) zs_yaml_field(target, key) = (zs_strategy_t) strategy;
    return 0;
}

//  ---------------------------------------------------------------------------------------
//  Endpoints: zs_endpoint has the rules; this wraps its reason with the file's position

static int
s_read_endpoint(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    size_t len;
    const char *text = zs_yaml_string(ctx, node, key->name, &len);
    if (!text) {
        return -1;
    }
    zs_error_t why;
    if (zs_endpoint_check(text, &why) != 0) {
        return zs_yaml_fail(ctx, node->start_mark, "invalid endpoint '%s' for '%s': %s",
                            zs_yaml_sample(text, len).text, key->name, why.text);
    }
    zs_yaml_store_string(target, key, node);
    return 0;
}

//  ---------------------------------------------------------------------------------------
//  Key tables. Indexes into found[] are named only where a cross-key rule needs them.

enum {
    S_TOP_BIND = 6,
    S_TOP_WORKFLOW = 12,
    S_TOP_RING = 13,
    S_TYPE_TYPE = 0,
    S_TYPE_COMMAND = 3,
    S_TYPE_NODES = 7,
    S_TYPE_REPORTS_TO = 9,
    S_TYPE_VOTE = 10,
    S_TYPE_HTTP = 11,
    S_TYPE_DOWNLOAD = 12,
    S_TYPE_LLM = 13,
    S_TYPE_PROGRAM = 16
};

//  'vote: {exec: [...]}' or 'vote: {answer: NAME}'
enum { S_VOTE_EXEC, S_VOTE_ANSWER };

static int
s_read_vote_command(zs_yaml_t *ctx,
                    const zs_yaml_key_t *key,
                    yaml_node_t *node,
                    void *target)
{
    zs_swarm_type_t *type = target;
    return zs_yaml_read_strings(ctx, key, node, s_check_arg, &type->vote_argv,
                                &type->vote_argc);
}

static const zs_yaml_key_t s_vote_keys[] = {
    [S_VOTE_EXEC] = {"exec", s_read_vote_command, 0, 1, ZS_SWARM_ARGV_MAX, NULL,
                     ZS_YAML_OPTIONAL},
    [S_VOTE_ANSWER] = {"answer", zs_swarm_read_name, offsetof(zs_swarm_type_t, vote_answer), 0,
                       0, NULL, ZS_YAML_OPTIONAL},
};
static const zs_yaml_table_t s_vote_table = {"in 'vote'", s_vote_keys,
                                             ZS_YAML_LENGTH(s_vote_keys)};

//  How a type's agents vote: a scalar is the fixed answer, or 'handler' (its command
//  answers); a mapping holds exactly one of 'exec' and 'answer'
static int
s_read_vote(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    zs_swarm_type_t *type = target;
    if (node->type == YAML_SCALAR_NODE) {
        if (zs_swarm_check_name(ctx, key, node) != 0) {
            return -1;
        }
        const char *text = (const char *) node->data.scalar.value;
        if (streq(text, "handler")) {
            type->vote_handler = true;
        } else {
            type->vote_answer = zs_strdup(text);
        }
        return 0;
    }
    if (node->type != YAML_MAPPING_NODE) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "expected an answer, 'handler', or a mapping with 'exec' or "
                            "'answer' for 'vote'");
    }
    yaml_node_t *found[ZS_YAML_KEYS_MAX] = {NULL};
    if (zs_yaml_read_map(ctx, &s_vote_table, node, type, found) != 0) {
        return -1;
    }
    if (!found[S_VOTE_EXEC] == !found[S_VOTE_ANSWER]) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "expected exactly one of 'exec' and 'answer' in 'vote'");
    }
    return 0;
}

static const zs_yaml_choice_t s_topologies[] = {
    {"star", ZS_TOPOLOGY_STAR},
    {"mesh", ZS_TOPOLOGY_MESH},
    {"hierarchical", ZS_TOPOLOGY_HIERARCHICAL},
    {"ring", ZS_TOPOLOGY_RING}};
static const zs_yaml_choice_t s_handlers[] = {{"builtin", ZS_HANDLER_BUILTIN},
                                              {"exec", ZS_HANDLER_EXEC},
                                              {"http", ZS_HANDLER_HTTP},
                                              {"download", ZS_HANDLER_DOWNLOAD},
                                              {"llm", ZS_HANDLER_LLM}};
static const zs_yaml_choices_t s_topology_choices = {
    s_topologies, ZS_YAML_LENGTH(s_topologies), "star, mesh, hierarchical or ring"};
static const zs_yaml_choices_t s_handler_choices = {
    s_handlers, ZS_YAML_LENGTH(s_handlers), "builtin, exec, http, download or llm"};
static const zs_yaml_choice_t s_sup_strategies[] = {
    {"one-for-one", ZS_SUP_ONE_FOR_ONE},
    {"one-for-all", ZS_SUP_ONE_FOR_ALL},
    {"rest-for-one", ZS_SUP_REST_FOR_ONE}};
static const zs_yaml_choice_t s_sup_restarts[] = {{"permanent", ZS_SUP_PERMANENT},
                                                  {"transient", ZS_SUP_TRANSIENT},
                                                  {"temporary", ZS_SUP_TEMPORARY}};
static const zs_yaml_choices_t s_sup_strategy_choices = {
    s_sup_strategies, ZS_YAML_LENGTH(s_sup_strategies),
    "one-for-one, one-for-all or rest-for-one"};
static const zs_yaml_choices_t s_sup_restart_choices = {
    s_sup_restarts, ZS_YAML_LENGTH(s_sup_restarts), "permanent, transient or temporary"};

static const zs_supervision_t s_sup_default = ZS_SUP_DEFAULT;

#define S_SWARM(field) offsetof(zs_swarm_t, field)
#define S_TYPE(field)  offsetof(zs_swarm_type_t, field)
#define S_SUP(field)   offsetof(zs_supervision_t, field)
// clang-format off
#define S_KEY(name, read, offset, arg, need) {name, read, offset, 0, 0, arg, need}
#define S_UINT(name, offset, min, max) {name, zs_yaml_read_uint, offset, min, max, NULL, ZS_YAML_OPTIONAL}
#define S_BYTES(name, field, min) {name, zs_yaml_read_size, S_SWARM(field), min, ZS_SWARM_BYTES_MAX, NULL, ZS_YAML_OPTIONAL}
#define S_LIST(name, read, min, max, need) {name, read, 0, min, max, NULL, need}
#define S_ENUM(name, offset, choices) S_KEY(name, zs_yaml_read_enum, offset, choices, ZS_YAML_OPTIONAL)
#define S_SECTION(name, offset, table) S_KEY(name, zs_yaml_read_section, offset, table, ZS_YAML_OPTIONAL)
#define S_TABLE(label, keys) {label, keys, ZS_YAML_LENGTH(keys)}
// clang-format on

static const zs_yaml_key_t s_sup_keys[] = {
    S_ENUM("strategy", S_SUP(strategy), &s_sup_strategy_choices),
    S_ENUM("restart", S_SUP(restart), &s_sup_restart_choices),
    {"backoff_ms", s_read_backoff, 0, 1, ZS_SUP_BACKOFF_MAX_MS, NULL, ZS_YAML_OPTIONAL},
    S_UINT("max_restarts", S_SUP(max_restarts), 0, ZS_SUP_MAX_RESTARTS),
    S_UINT("within_s", S_SUP(within_s), 1, ZS_SUP_WITHIN_MAX_S),
};
static const zs_yaml_table_t s_sup_table = S_TABLE("in 'supervision'", s_sup_keys);

static const zs_yaml_key_t s_type_keys[] = {
    [S_TYPE_TYPE] = S_KEY("type", zs_swarm_read_name, S_TYPE(type), NULL, ZS_YAML_REQUIRED),
    S_UINT("count", S_TYPE(count), 0, ZS_SWARM_MAX_COUNT),
    S_ENUM("handler", S_TYPE(handler), &s_handler_choices),
    [S_TYPE_COMMAND] =
        S_LIST("command", s_read_command, 1, ZS_SWARM_ARGV_MAX, ZS_YAML_OPTIONAL),
    S_LIST("capabilities", s_read_caps, 0, ZS_SWARM_CAPS_MAX, ZS_YAML_OPTIONAL),
    S_UINT("concurrency", S_TYPE(concurrency), 1, ZS_MSG_CONC_MAX),
    S_SECTION("supervision", S_TYPE(supervision), &s_sup_table),
    [S_TYPE_NODES] =
        S_LIST("nodes", s_read_nodes, 0, ZS_SWARM_NODES_MAX, ZS_YAML_OPTIONAL),
    S_KEY("strategy", s_read_strategy, S_TYPE(strategy), NULL, ZS_YAML_OPTIONAL),
    [S_TYPE_REPORTS_TO] =
        S_KEY("reports_to", zs_swarm_read_name, S_TYPE(reports_to), NULL, ZS_YAML_OPTIONAL),
    [S_TYPE_VOTE] = S_KEY("vote", s_read_vote, 0, NULL, ZS_YAML_OPTIONAL),
    [S_TYPE_HTTP] = S_KEY("http", zs_swarm_read_http, 0, NULL, ZS_YAML_OPTIONAL),
    [S_TYPE_DOWNLOAD] =
        S_KEY("download", zs_swarm_read_download, 0, NULL, ZS_YAML_OPTIONAL),
    [S_TYPE_LLM] = S_KEY("llm", zs_swarm_read_llm, 0, NULL, ZS_YAML_OPTIONAL),
    S_LIST("tags", s_read_tags, 0, ZS_MSG_TAGS_MAX, ZS_YAML_OPTIONAL),
    S_KEY("tier", zs_swarm_read_name, S_TYPE(tier), NULL, ZS_YAML_OPTIONAL),
    [S_TYPE_PROGRAM] =
        S_LIST("program", s_read_program, 1, ZS_SWARM_ARGV_MAX, ZS_YAML_OPTIONAL),
};
static const zs_yaml_key_t s_bind_keys[] = {
    S_KEY("agents", s_read_endpoint, S_SWARM(bind_agents), NULL, ZS_YAML_OPTIONAL),
    S_KEY("events", s_read_endpoint, S_SWARM(bind_events), NULL, ZS_YAML_OPTIONAL),
    S_KEY("control", s_read_endpoint, S_SWARM(bind_control), NULL, ZS_YAML_OPTIONAL),
};
static const zs_yaml_key_t s_heartbeat_keys[] = {
    S_UINT("interval_ms", S_SWARM(heartbeat_ms), ZS_SWARM_HB_MIN_MS, ZS_SWARM_HB_MAX_MS),
    S_UINT("liveness", S_SWARM(liveness), ZS_SWARM_LIVENESS_MIN, ZS_SWARM_LIVENESS_MAX),
};
static const zs_yaml_key_t s_tasks_keys[] = {
    S_UINT("timeout_ms", S_SWARM(task_timeout_ms), 1, ZS_MSG_TMO_MAX),
    S_UINT("retries", S_SWARM(task_retries), 0, ZS_MSG_TRIES_MAX - 1),
    S_UINT("max_queue", S_SWARM(max_queue), 1, ZS_SWARM_QUEUE_MAX),
    S_BYTES("max_queue_bytes", max_queue_bytes, ZS_SWARM_QUEUE_BYTES_MIN),
    S_UINT("keep_results", S_SWARM(keep_results), 0, ZS_SWARM_KEEP_MAX),
    S_BYTES("keep_results_bytes", keep_results_bytes, ZS_SWARM_KEEP_BYTES_MIN),
    S_UINT("keep_results_s", S_SWARM(keep_results_s), 0, ZS_SWARM_KEEP_S_MAX),
    S_UINT("max_depth", S_SWARM(max_depth), 0, ZS_SWARM_DEPTH_MAX),
    //  a task's view lists its children
    S_UINT("max_children", S_SWARM(max_children), 0, ZS_MSG_ITEMS_MAX),
};
static const zs_yaml_choice_t s_fsyncs[] = {{"always", ZS_JOURNAL_ALWAYS},
                                            {"batch", ZS_JOURNAL_BATCH},
                                            {"none", ZS_JOURNAL_NONE}};
static const zs_yaml_choices_t s_fsync_choices = {s_fsyncs, ZS_YAML_LENGTH(s_fsyncs),
                                                  "always, batch or none"};
static const zs_yaml_key_t s_journal_keys[] = {
    S_KEY("path", s_read_path, S_SWARM(journal_path), NULL, ZS_YAML_REQUIRED),
    S_ENUM("fsync", S_SWARM(journal_sync), &s_fsync_choices),
};

#define S_SEC(field) offsetof(zs_swarm_security_t, field)
static const zs_yaml_key_t s_security_keys[] = {
    S_KEY("cert", s_read_path, S_SEC(cert), NULL, ZS_YAML_REQUIRED),
    S_KEY("agents", s_read_path, S_SEC(agents), NULL, ZS_YAML_OPTIONAL),
    S_KEY("clients", s_read_path, S_SEC(clients), NULL, ZS_YAML_OPTIONAL),
    S_KEY("agent_cert", s_read_path, S_SEC(agent_cert), NULL, ZS_YAML_OPTIONAL),
    S_LIST("ids", zs_swarm_read_ids, 0, ZS_SWARM_ID_KEYS_MAX, ZS_YAML_OPTIONAL),
};

static const zs_yaml_table_t s_security_table = S_TABLE("in 'security'", s_security_keys);
static const zs_yaml_table_t s_type_table = S_TABLE("in agent type", s_type_keys);
static const zs_yaml_table_t s_bind_table = S_TABLE("in 'bind'", s_bind_keys);
static const zs_yaml_table_t s_heartbeat_table =
    S_TABLE("in 'heartbeat'", s_heartbeat_keys);
static const zs_yaml_table_t s_tasks_table = S_TABLE("in 'tasks'", s_tasks_keys);
static const zs_yaml_table_t s_journal_table = S_TABLE("in 'journal'", s_journal_keys);

static int
s_read_agents(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target);

static int
s_read_ring(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    zs_swarm_t *self = target;
    return zs_yaml_read_strings(ctx, key, node, zs_swarm_check_name, &self->ring,
                                &self->ring_count);
}

static const zs_yaml_key_t s_top_keys[] = {
    S_KEY("name", zs_swarm_read_name, S_SWARM(name), NULL, ZS_YAML_REQUIRED),
    S_ENUM("topology", S_SWARM(topology), &s_topology_choices),
    S_KEY("strategy", s_read_strategy, S_SWARM(strategy), NULL, ZS_YAML_OPTIONAL),
    S_UINT("auction_ms", S_SWARM(auction_ms), 1, ZS_SWARM_AUCTION_MAX_MS),
    S_KEY("insecure", zs_yaml_read_bool, S_SWARM(insecure), NULL, ZS_YAML_OPTIONAL),
    S_SECTION("security", S_SWARM(security), &s_security_table),
    [S_TOP_BIND] = S_SECTION("bind", 0, &s_bind_table),
    S_SECTION("heartbeat", 0, &s_heartbeat_table),
    S_SECTION("tasks", 0, &s_tasks_table),
    S_SECTION("journal", 0, &s_journal_table),
    S_SECTION("supervision", S_SWARM(supervision), &s_sup_table),
    S_LIST("agents", s_read_agents, 1, ZS_SWARM_MAX_TYPES, ZS_YAML_REQUIRED),
    [S_TOP_WORKFLOW] = {"workflow", zs_workflow_read, S_SWARM(workflow), 1,
                        ZS_WORKFLOW_STEPS_MAX, NULL, ZS_YAML_OPTIONAL},
    [S_TOP_RING] = S_LIST("ring", s_read_ring, 2, ZS_SWARM_MAX_TYPES, ZS_YAML_OPTIONAL),
    S_KEY("providers", zs_swarm_read_providers, 0, NULL, ZS_YAML_OPTIONAL),
    S_KEY("budget", zs_swarm_read_budget, S_SWARM(budget), NULL, ZS_YAML_OPTIONAL),
};
static const zs_yaml_table_t s_top_table = S_TABLE("at top level", s_top_keys);

_Static_assert(ZS_YAML_LENGTH(s_top_keys) <= ZS_YAML_KEYS_MAX, "found[] too small");
_Static_assert(ZS_YAML_LENGTH(s_type_keys) <= ZS_YAML_KEYS_MAX, "found[] too small");
_Static_assert(ZS_YAML_LENGTH(s_sup_keys) <= ZS_YAML_KEYS_MAX, "found[] too small");

//  ---------------------------------------------------------------------------------------
//  Rules across keys

//  A node names its agents "NODE.TYPE-N": each must fit in an agent id
static int
s_check_places(zs_yaml_t *ctx, const zs_swarm_type_t *type, const yaml_node_t *nodes)
{
    for (size_t i = 0; i < type->place_count; i++) {
        const zs_swarm_place_t *place = &type->places[i];
        char prefix[ZS_MSG_NODE_NAME_MAX + 2];
        snprintf(prefix, sizeof prefix, "%s.", place->node);
        if (!zs_spawn_ids_fit(prefix, type->type, place->count)) {
            return zs_yaml_fail(ctx, nodes->start_mark,
                                "agent ids '%s%s-N' on node '%s' would be longer than %d "
                                "bytes: use a shorter node or type name",
                                prefix, type->type, place->node, ZS_MSG_NAME_MAX);
        }
    }
    return 0;
}

//  A type's own agent program runs its handlers itself, and only as a local agent: a
//  node daemon starts zswarm-agent
static int
s_check_program(zs_yaml_t *ctx, const zs_swarm_type_t *type, yaml_node_t **found)
{
    if (!type->program) {
        return 0;
    }
    if (type->handler != ZS_HANDLER_BUILTIN) {
        return zs_yaml_fail(ctx, found[S_TYPE_PROGRAM]->start_mark,
                            "'program' runs the handlers of agent type '%s' itself: it "
                            "takes no 'handler'",
                            type->type);
    }
    if (type->place_count) {
        return zs_yaml_fail(ctx, found[S_TYPE_PROGRAM]->start_mark,
                            "'program' is for local agents: agent type '%s' cannot be "
                            "placed on 'nodes' too",
                            type->type);
    }
    return 0;
}

static int
s_check_type(zs_yaml_t *ctx,
             const zs_swarm_t *self,
             const yaml_node_t *map,
             yaml_node_t **found)
{
    const zs_swarm_type_t *type = &self->types[self->type_count - 1];
    if (zs_swarm_type_find(self, type->type) != type) {
        return zs_yaml_fail(ctx, found[S_TYPE_TYPE]->start_mark,
                            "duplicate agent type '%s'", type->type);
    }
    if (type->handler == ZS_HANDLER_EXEC && !type->argv) {
        return zs_yaml_fail(ctx, map->start_mark,
                            "agent type '%s' has handler exec but no 'command'",
                            type->type);
    }
    if (type->handler != ZS_HANDLER_EXEC && type->argv) {
        return zs_yaml_fail(
            ctx, found[S_TYPE_COMMAND]->start_mark,
            "'command' is only for handler exec (agent type '%s' is builtin)",
            type->type);
    }
    if (type->vote_handler && type->handler != ZS_HANDLER_EXEC) {
        return zs_yaml_fail(ctx, found[S_TYPE_VOTE]->start_mark,
                            "'vote: handler' needs handler exec: a builtin has no answer "
                            "of its own (agent type '%s')",
                            type->type);
    }
    if (s_check_program(ctx, type, found) != 0) {
        return -1;
    }
    const yaml_node_t *const sections[ZS_HANDLER_COUNT] = {
        [ZS_HANDLER_HTTP] = found[S_TYPE_HTTP],
        [ZS_HANDLER_DOWNLOAD] = found[S_TYPE_DOWNLOAD],
        [ZS_HANDLER_LLM] = found[S_TYPE_LLM],
    };
    if (zs_swarm_check_sections(ctx, type, map, sections) != 0) {
        return -1;
    }
    return s_check_places(ctx, type, found[S_TYPE_NODES]);
}

static int
s_read_agents(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    zs_swarm_t *self = target;
    size_t count = 0;
    if (zs_yaml_sequence(ctx, key, node, &count) != 0) {
        return -1;
    }
    self->types = zs_calloc(count, sizeof *self->types);
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = zs_yaml_node(ctx, node->data.sequence.items.start[i]);
        yaml_node_t *found[ZS_YAML_KEYS_MAX] = {0};
        if (item->type != YAML_MAPPING_NODE) {
            return zs_yaml_fail(ctx, item->start_mark, "expected mapping for agent type");
        }
        self->types[i] = (zs_swarm_type_t){.count = ZS_SWARM_DEFAULT_COUNT,
                                           .handler = ZS_HANDLER_BUILTIN,
                                           .concurrency = ZS_SWARM_DEFAULT_CONCURRENCY,
                                           .supervision = s_sup_default};
        self->type_count++;
        if (zs_yaml_read_map(ctx, &s_type_table, item, &self->types[i], found) != 0 ||
            s_check_type(ctx, self, item, found) != 0) {
            return -1;
        }
    }
    return 0;
}

//  Runs after the whole top level is read, because 'insecure' and 'security' may follow
//  'bind'.
//  Defaults are loopback and distinct, so an error always has an explicit key to blame.
static int
s_check_binds(zs_yaml_t *ctx,
              zs_swarm_t *self,
              const yaml_node_t *root,
              const yaml_node_t *bind)
{
    const char *endpoints[ZS_YAML_LENGTH(s_bind_keys)];
    const yaml_node_t *nodes[ZS_YAML_LENGTH(s_bind_keys)];
    for (size_t i = 0; i < ZS_YAML_LENGTH(s_bind_keys); i++) {
        const zs_yaml_key_t *key = &s_bind_keys[i];
        endpoints[i] = *(char **) zs_yaml_field(self, key);
        nodes[i] = zs_yaml_map_value(ctx, bind, key->name);
        bool guarded = self->insecure || self->security.cert;
        if (!guarded && !zs_endpoint_is_local(endpoints[i])) {
            return zs_yaml_fail(
                ctx, (nodes[i] ? nodes[i] : root)->start_mark,
                "bind '%s' is not a loopback address: set 'security' to bind it with "
                "CURVE, or 'insecure: true' to bind it anyway",
                endpoints[i]);
        }
        for (size_t j = 0; j < i; j++) {
            if (zs_endpoint_clash(endpoints[i], endpoints[j])) {
                const yaml_node_t *blame = nodes[i] ? nodes[i] : nodes[j];
                return zs_yaml_fail(ctx, (blame ? blame : root)->start_mark,
                                    "bind '%s' is used for both '%s' and '%s'",
                                    endpoints[i], s_bind_keys[j].name, key->name);
            }
        }
    }
    return 0;
}

//  Runs after the whole top level is read, because the top-level 'supervision' may
//  follow 'agents': each type starts from it and reads its own keys over it again
static int
s_resolve_supervision(zs_yaml_t *ctx, zs_swarm_t *self, const yaml_node_t *root)
{
    const yaml_node_t *agents = zs_yaml_map_value(ctx, root, "agents");
    for (size_t i = 0; i < self->type_count; i++) {
        zs_swarm_type_t *type = &self->types[i];
        const yaml_node_t *item = zs_yaml_node(ctx, agents->data.sequence.items.start[i]);
        const yaml_node_t *own = zs_yaml_map_value(ctx, item, "supervision");
        yaml_node_t *found[ZS_YAML_KEYS_MAX] = {0};
        type->supervision = self->supervision;
        if (own &&
            zs_yaml_read_map(ctx, &s_sup_table, own, &type->supervision, found) != 0) {
            return -1;
        }
    }
    return 0;
}

static int
s_read_swarm(zs_yaml_t *ctx, zs_swarm_t *self)
{
    yaml_node_t *root = zs_yaml_root(ctx);
    yaml_node_t *found[ZS_YAML_KEYS_MAX] = {0};
    if (!root) {
        yaml_mark_t start = {0, 0, 0};
        return zs_yaml_fail(
            ctx, start, "empty swarm file (expected a mapping with 'name' and 'agents')");
    }
    if (root->type != YAML_MAPPING_NODE) {
        return zs_yaml_fail(ctx, root->start_mark, "expected mapping at top level");
    }
    if (zs_yaml_read_map(ctx, &s_top_table, root, self, found) != 0 ||
        s_resolve_supervision(ctx, self, root) != 0 ||
        zs_swarm_check_reach(ctx, self, root) != 0 ||
        zs_swarm_check_topology(ctx, self, root, found[S_TOP_RING],
                                found[S_TOP_WORKFLOW]) != 0) {
        return -1;
    }
    return s_check_binds(ctx, self, root, found[S_TOP_BIND]);
}

//  ---------------------------------------------------------------------------------------
//  Public API

static zs_swarm_t *
s_swarm_new(const char *path)
{
    zs_swarm_t *self = zs_calloc(1, sizeof *self);
    self->path = zs_strdup(path);
    self->strategy = ZS_STRATEGY_LEAST_LOADED;
    self->auction_ms = ZS_SWARM_DEFAULT_AUCTION_MS;
    self->bind_agents = zs_strdup(ZS_SWARM_DEFAULT_AGENTS);
    self->bind_events = zs_strdup(ZS_SWARM_DEFAULT_EVENTS);
    self->bind_control = zs_strdup(ZS_SWARM_DEFAULT_CONTROL);
    self->heartbeat_ms = ZS_SWARM_DEFAULT_HB_MS;
    self->liveness = ZS_SWARM_DEFAULT_LIVENESS;
    self->task_timeout_ms = ZS_SWARM_DEFAULT_TIMEOUT_MS;
    self->task_retries = ZS_SWARM_DEFAULT_RETRIES;
    self->max_queue = ZS_SWARM_DEFAULT_MAX_QUEUE;
    self->max_queue_bytes = ZS_SWARM_DEFAULT_QUEUE_BYTES;
    self->keep_results = ZS_SWARM_DEFAULT_KEEP;
    self->keep_results_bytes = ZS_SWARM_DEFAULT_KEEP_BYTES;
    self->keep_results_s = ZS_SWARM_DEFAULT_KEEP_S;
    self->max_depth = ZS_SWARM_DEFAULT_MAX_DEPTH;
    self->max_children = ZS_SWARM_DEFAULT_MAX_CHILD;
    self->journal_sync = ZS_JOURNAL_BATCH;
    self->supervision = s_sup_default;
    return self;
}

zs_swarm_t *
zs_swarm_parse(const char *text, size_t size, const char *path, zs_error_t *err)
{
    assert(text);
    assert(path);
    if (size > ZS_SWARM_FILE_MAX) {
        zs_error_set(err, ZS_SWARM_E_READ, "%s: file is larger than %d bytes", path,
                     ZS_SWARM_FILE_MAX);
        return NULL;
    }
    zs_yaml_t ctx;
    zs_yaml_init(&ctx, text, size, path, err);
    ctx.code = ZS_SWARM_E_SYNTAX;
    zs_swarm_t *self = NULL;
    if (zs_yaml_load(&ctx) == 0) {
        ctx.code = ZS_SWARM_E_INVALID;
        self = s_swarm_new(path);
        if (s_read_swarm(&ctx, self) != 0) {
            zs_swarm_destroy(&self);
        }
    }
    zs_yaml_fini(&ctx);
    return self;
}

//  Reads at most one byte past the limit, which zs_swarm_parse then rejects
static char *
s_read_file(const char *path, size_t *size_p, zs_error_t *err)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        zs_error_set(err, ZS_SWARM_E_READ, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *text = zs_malloc(ZS_SWARM_FILE_MAX + 1);
    *size_p = fread(text, 1, ZS_SWARM_FILE_MAX + 1, file);
    if (ferror(file)) {
        zs_error_set(err, ZS_SWARM_E_READ, "%s: cannot read: %s", path, strerror(errno));
        free(text);
        text = NULL;
    }
    fclose(file);
    return text;
}

zs_swarm_t *
zs_swarm_load(const char *path, zs_error_t *err)
{
    assert(path);
    size_t size = 0;
    char *text = s_read_file(path, &size, err);
    if (!text) {
        return NULL;
    }
    zs_swarm_t *self = zs_swarm_parse(text, size, path, err);
    free(text);
    return self;
}

void
zs_swarm_destroy(zs_swarm_t **self_p)
{
    assert(self_p);
    zs_swarm_t *self = *self_p;
    if (!self) {
        return;
    }
    for (size_t i = 0; i < self->type_count; i++) {
        free(self->types[i].type);
        zs_strings_free(self->types[i].argv, self->types[i].argc);
        zs_strings_free(self->types[i].program, self->types[i].program_argc);
        zs_strings_free(self->types[i].caps, self->types[i].cap_count);
        zs_strings_free(self->types[i].tags, self->types[i].tag_count);
        free(self->types[i].tier);
        for (size_t j = 0; j < self->types[i].place_count; j++) {
            free(self->types[i].places[j].node);
        }
        free(self->types[i].places);
        free(self->types[i].reports_to);
        free(self->types[i].vote_answer);
        zs_strings_free(self->types[i].vote_argv, self->types[i].vote_argc);
    }
    zs_swarm_reach_fini(self);
    free(self->types);
    zs_workflow_fini(&self->workflow);
    free(self->path);
    free(self->name);
    zs_strings_free(self->ring, self->ring_count);
    free(self->journal_path);
    free(self->bind_agents);
    free(self->bind_events);
    free(self->bind_control);
    free(self->security.cert);
    free(self->security.agents);
    free(self->security.clients);
    free(self->security.agent_cert);
    for (size_t i = 0; i < self->security.id_count; i++) {
        free(self->security.ids[i].key);
        free(self->security.ids[i].pattern);
    }
    free(self->security.ids);
    free(self);
    *self_p = NULL;
}

const zs_swarm_type_t *
zs_swarm_type_find(const zs_swarm_t *self, const char *type)
{
    assert(self);
    assert(type);
    for (size_t i = 0; i < self->type_count; i++) {
        if (self->types[i].type && strcmp(self->types[i].type, type) == 0) {
            return &self->types[i];
        }
    }
    return NULL;
}

unsigned
zs_swarm_node_count(const zs_swarm_type_t *type, const char *node)
{
    assert(type);
    assert(node);
    const zs_swarm_place_t *place = s_place_find(type, node);
    return place ? place->count : 0;
}

unsigned
zs_swarm_node_total(const zs_swarm_t *self, const char *node)
{
    assert(self);
    unsigned total = 0;
    for (size_t i = 0; i < self->type_count; i++) {
        total += zs_swarm_node_count(&self->types[i], node);
    }
    return total;
}
