//  test_swarm - swarm files: a full file, defaults, then one bad input per rule
//
//  Every rejection checks the whole "PATH:LINE:COL: " prefix and a fragment of the
//  message, so a rule that points at the wrong node fails here. The 'shipped' case loads
//  every swarms/*.yaml; it needs ZS_SOURCE_ROOT in the environment and says so if unset.

#include "coordinator/swarm/zs_swarm.h"
#include "tests/unit/zs_test.h"

#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_PATH "swarms/t.yaml"

//  A valid head that rejections append an agent type's keys to: the type starts at 3:5
#define S_HEAD "name: t\nagents:\n  - type: a\n"

//  Parses text that must fail, and checks the error's position and message
static bool
s_rejects(const char *text, const char *where, const char *fragment)
{
    zs_error_t err;
    zs_error_init(&err);
    zs_swarm_t *swarm = zs_swarm_parse(text, strlen(text), S_PATH, &err);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s:%s: ", S_PATH, where);
    bool ok = !swarm && strncmp(err.text, prefix, strlen(prefix)) == 0 &&
              strstr(err.text + strlen(prefix), fragment);
    if (!ok) {
        fprintf(stderr, "  got:  %s\n  want: %s...%s...\n", swarm ? "(parsed)" : err.text,
                prefix, fragment);
    }
    zs_swarm_destroy(&swarm);
    return ok;
}

//  Parses text that must pass; the caller destroys the result
static zs_swarm_t *
s_parse(const char *text)
{
    zs_error_t err;
    zs_error_init(&err);
    zs_swarm_t *swarm = zs_swarm_parse(text, strlen(text), S_PATH, &err);
    if (!swarm) {
        fprintf(stderr, "  unexpected error: %s\n", err.text);
    }
    return swarm;
}

static bool
s_accepts(const char *text)
{
    zs_swarm_t *swarm = s_parse(text);
    bool ok = swarm != NULL;
    zs_swarm_destroy(&swarm);
    return ok;
}

//  ---------------------------------------------------------------------------------------
//  Normal use

static void
test_full_file(void)
{
    const char *text = "# every key, none at its default\n"
                       "name: full-1.0_x\n"
                       "topology: star\n"
                       "strategy: best-fit\n"
                       "auction_ms: 50\n"
                       "insecure: true\n"
                       "bind:\n"
                       "  agents: tcp://0.0.0.0:7700\n"
                       "  events: ipc:///tmp/zs-events\n"
                       "  control: 'tcp://[::1]:*'\n"
                       "heartbeat: {interval_ms: 100, liveness: 3}\n"
                       "tasks:\n"
                       "  timeout_ms: 5000\n"
                       "  retries: 0\n"
                       "  max_queue: 10\n"
                       "  max_queue_bytes: 1048576\n"
                       "  keep_results: 0\n"
                       "  keep_results_bytes: 1099511627776\n"
                       "supervision:\n"
                       "  strategy: rest-for-one\n"
                       "  restart: transient\n"
                       "  backoff_ms: [10, 20000]\n"
                       "  max_restarts: 0\n"
                       "  within_s: 3600\n"
                       "agents:\n"
                       "  - type: echo\n"
                       "    count: 0\n"
                       "    handler: builtin\n"
                       "    capabilities: [noop, sleep]\n"
                       "    concurrency: 8\n"
                       "    strategy: auction\n"
                       "  - type: shell\n"
                       "    count: 1000\n"
                       "    handler: exec\n"
                       "    command: [/bin/sh, -c, \"tr a-z A-Z\"]\n"
                       "    concurrency: 1024\n"
                       "    supervision: {strategy: one-for-all, restart: temporary,"
                       " backoff_ms: [1, 600000], max_restarts: 1000, within_s: 86400}\n";
    zs_swarm_t *swarm = s_parse(text);
    ZS_CHECK(swarm);
    ZS_CHECK_STR(swarm->path, S_PATH);
    ZS_CHECK_STR(swarm->name, "full-1.0_x");
    ZS_CHECK(swarm->topology == ZS_TOPOLOGY_STAR);
    ZS_CHECK(swarm->strategy == ZS_STRATEGY_BEST_FIT);
    ZS_CHECK(swarm->auction_ms == 50);
    ZS_CHECK(swarm->insecure);
    ZS_CHECK_STR(swarm->bind_agents, "tcp://0.0.0.0:7700");
    ZS_CHECK_STR(swarm->bind_events, "ipc:///tmp/zs-events");
    ZS_CHECK_STR(swarm->bind_control, "tcp://[::1]:*");
    ZS_CHECK(swarm->heartbeat_ms == 100);
    ZS_CHECK(swarm->liveness == 3);
    ZS_CHECK(swarm->task_timeout_ms == 5000);
    ZS_CHECK(swarm->task_retries == 0);
    ZS_CHECK(swarm->max_queue == 10);
    ZS_CHECK(swarm->max_queue_bytes == 1048576);
    ZS_CHECK(swarm->keep_results == 0);
    ZS_CHECK(swarm->keep_results_bytes == 1099511627776u);
    ZS_CHECK(swarm->supervision.strategy == ZS_SUP_REST_FOR_ONE);
    ZS_CHECK(swarm->supervision.restart == ZS_SUP_TRANSIENT);
    ZS_CHECK(swarm->supervision.backoff_min_ms == 10);
    ZS_CHECK(swarm->supervision.backoff_max_ms == 20000);
    ZS_CHECK(swarm->supervision.max_restarts == 0);
    ZS_CHECK(swarm->supervision.within_s == 3600);
    ZS_CHECK(swarm->type_count == 2);

    const zs_swarm_type_t *echo = zs_swarm_type_find(swarm, "echo");
    ZS_CHECK(echo == &swarm->types[0]);
    ZS_CHECK_STR(echo->type, "echo");
    ZS_CHECK(echo->count == 0);
    ZS_CHECK(echo->handler == ZS_HANDLER_BUILTIN);
    ZS_CHECK(echo->argv == NULL && echo->argc == 0);
    ZS_CHECK(echo->cap_count == 2);
    ZS_CHECK_STR(echo->caps[0], "noop");
    ZS_CHECK_STR(echo->caps[1], "sleep");
    ZS_CHECK(echo->concurrency == 8);
    ZS_CHECK(echo->strategy == ZS_STRATEGY_AUCTION);
    ZS_CHECK(memcmp(&echo->supervision, &swarm->supervision, sizeof echo->supervision) ==
             0);

    const zs_swarm_type_t *shell = zs_swarm_type_find(swarm, "shell");
    ZS_CHECK(shell == &swarm->types[1]);
    ZS_CHECK(shell->count == 1000);
    ZS_CHECK(shell->handler == ZS_HANDLER_EXEC);
    ZS_CHECK(shell->argc == 3);
    ZS_CHECK_STR(shell->argv[0], "/bin/sh");
    ZS_CHECK_STR(shell->argv[1], "-c");
    ZS_CHECK_STR(shell->argv[2], "tr a-z A-Z");
    ZS_CHECK(shell->argv[3] == NULL);
    ZS_CHECK(shell->caps == NULL && shell->cap_count == 0);
    ZS_CHECK(shell->concurrency == 1024);
    ZS_CHECK(shell->strategy == ZS_STRATEGY_DEFAULT);
    ZS_CHECK(shell->supervision.strategy == ZS_SUP_ONE_FOR_ALL);
    ZS_CHECK(shell->supervision.restart == ZS_SUP_TEMPORARY);
    ZS_CHECK(shell->supervision.backoff_min_ms == 1);
    ZS_CHECK(shell->supervision.backoff_max_ms == 600000);
    ZS_CHECK(shell->supervision.max_restarts == 1000);
    ZS_CHECK(shell->supervision.within_s == 86400);
    ZS_CHECK(zs_swarm_type_find(swarm, "nope") == NULL);
    zs_swarm_destroy(&swarm);
    ZS_CHECK(swarm == NULL);
    zs_swarm_destroy(&swarm);
}

static void
test_defaults(void)
{
    zs_swarm_t *swarm = s_parse(S_HEAD);
    ZS_CHECK(swarm);
    ZS_CHECK_STR(swarm->name, "t");
    ZS_CHECK(swarm->topology == ZS_TOPOLOGY_STAR);
    ZS_CHECK(swarm->strategy == ZS_STRATEGY_LEAST_LOADED);
    ZS_CHECK(swarm->auction_ms == ZS_SWARM_DEFAULT_AUCTION_MS);
    ZS_CHECK(swarm->types[0].strategy == ZS_STRATEGY_DEFAULT);
    ZS_CHECK(!swarm->insecure);
    ZS_CHECK_STR(swarm->bind_agents, ZS_SWARM_DEFAULT_AGENTS);
    ZS_CHECK_STR(swarm->bind_events, ZS_SWARM_DEFAULT_EVENTS);
    ZS_CHECK_STR(swarm->bind_control, ZS_SWARM_DEFAULT_CONTROL);
    ZS_CHECK(swarm->heartbeat_ms == ZS_SWARM_DEFAULT_HB_MS);
    ZS_CHECK(swarm->liveness == ZS_SWARM_DEFAULT_LIVENESS);
    ZS_CHECK(swarm->task_timeout_ms == ZS_SWARM_DEFAULT_TIMEOUT_MS);
    ZS_CHECK(swarm->task_retries == ZS_SWARM_DEFAULT_RETRIES);
    ZS_CHECK(swarm->max_queue == ZS_SWARM_DEFAULT_MAX_QUEUE);
    ZS_CHECK(swarm->max_queue_bytes == 268435456);
    ZS_CHECK(swarm->keep_results == ZS_SWARM_DEFAULT_KEEP);
    ZS_CHECK(swarm->keep_results_bytes == 67108864);
    ZS_CHECK(swarm->keep_results_s == ZS_SWARM_DEFAULT_KEEP_S);
    ZS_CHECK(swarm->journal_path == NULL);
    ZS_CHECK(swarm->type_count == 1);
    ZS_CHECK_STR(swarm->types[0].type, "a");
    ZS_CHECK(swarm->types[0].count == ZS_SWARM_DEFAULT_COUNT);
    ZS_CHECK(swarm->types[0].handler == ZS_HANDLER_BUILTIN);
    ZS_CHECK(swarm->types[0].argv == NULL && swarm->types[0].argc == 0);
    ZS_CHECK(swarm->types[0].caps == NULL && swarm->types[0].cap_count == 0);
    ZS_CHECK(swarm->types[0].concurrency == ZS_SWARM_DEFAULT_CONCURRENCY);
    for (int i = 0; i < 2; i++) {
        const zs_supervision_t *sup =
            i ? &swarm->types[0].supervision : &swarm->supervision;
        ZS_CHECK(sup->strategy == ZS_SUP_ONE_FOR_ONE);
        ZS_CHECK(sup->restart == ZS_SUP_PERMANENT);
        ZS_CHECK(sup->backoff_min_ms == ZS_SUP_DEFAULT_BACKOFF_MIN_MS);
        ZS_CHECK(sup->backoff_max_ms == ZS_SUP_DEFAULT_BACKOFF_MAX_MS);
        ZS_CHECK(sup->max_restarts == ZS_SUP_DEFAULT_MAX_RESTARTS);
        ZS_CHECK(sup->within_s == ZS_SUP_DEFAULT_WITHIN_S);
    }
    zs_swarm_destroy(&swarm);
}

//  Flow style, quoted strings, comments and a leading '---' are all plain YAML
static void
test_yaml_forms(void)
{
    ZS_CHECK(s_accepts("---\n{name: \"t\", agents: [{type: 'a', capabilities: []}]}\n"));
    ZS_CHECK(s_accepts("# c\nname: t # c\nagents:\n- type: a\n...\n"));
    ZS_CHECK(
        s_accepts("name: t\nagents:\n  - {type: a, handler: exec, command: ['x']}\n"));
}

//  ---------------------------------------------------------------------------------------
//  Reading the file and YAML itself

static void
test_file_not_found(void)
{
    zs_error_t err;
    zs_error_init(&err);
    ZS_CHECK(zs_swarm_load("/nonexistent/x.yaml", &err) == NULL);
    ZS_CHECK_STR(err.text, "/nonexistent/x.yaml: cannot open: No such file or directory");
    ZS_CHECK(err.code == ZS_SWARM_E_READ);
    ZS_CHECK(zs_swarm_load("/", &err) == NULL);
    ZS_CHECK_STR(err.text, "/: cannot read: Is a directory");
}

static void
test_load_file(void)
{
    char path[] = "/tmp/test_swarm_XXXXXX";
    int fd = mkstemp(path);
    ZS_CHECK(fd >= 0);
    ZS_CHECK(write(fd, S_HEAD "    cont: 1\n", strlen(S_HEAD) + 12) > 0);
    close(fd);
    zs_error_t err;
    zs_error_init(&err);
    zs_swarm_t *swarm = zs_swarm_load(path, &err);
    unlink(path);
    ZS_CHECK(swarm == NULL);
    char want[128];
    snprintf(want, sizeof want, "%s:4:5: unknown key 'cont'", path);
    ZS_CHECK(strncmp(err.text, want, strlen(want)) == 0);
    ZS_CHECK(err.code == ZS_SWARM_E_INVALID);
}

static void
test_file_too_large(void)
{
    size_t size = ZS_SWARM_FILE_MAX + 1;
    char *text = malloc(size);
    ZS_CHECK(text);
    memset(text, '#', size);
    zs_error_t err;
    zs_swarm_t *swarm = zs_swarm_parse(text, size, S_PATH, &err);
    free(text);
    ZS_CHECK(swarm == NULL);
    ZS_CHECK_STR(err.text, S_PATH ": file is larger than 1048576 bytes");
}

static void
test_yaml_syntax(void)
{
    zs_error_t err;
    const char *text = "name: t\nagents: [a, b\n";
    ZS_CHECK(zs_swarm_parse(text, strlen(text), S_PATH, &err) == NULL);
    ZS_CHECK(err.code == ZS_SWARM_E_SYNTAX);
    //  err is optional
    ZS_CHECK(zs_swarm_parse(text, strlen(text), S_PATH, NULL) == NULL);
    ZS_CHECK(zs_swarm_parse("name: t\n", 8, S_PATH, NULL) == NULL);
    ZS_CHECK(s_rejects(text, "3:1",
                       "invalid YAML: did not find expected ',' or ']' (while parsing a "
                       "flow sequence at 2:9)"));
    ZS_CHECK(s_rejects("name: t\n  agents: 1\n", "2:9",
                       "invalid YAML: mapping values are not allowed in this context"));
    ZS_CHECK(s_rejects("name: t\n\tagents: 1\n", "2:1", "invalid YAML: "));
}

static void
test_yaml_encoding(void)
{
    ZS_CHECK(s_rejects("name: t\nagents: \xff\n", "2:9",
                       "invalid YAML: invalid leading UTF-8 octet"));
    ZS_CHECK(s_rejects(S_HEAD "    command: [\"a\\0b\"]\n", "4:15",
                       "string for 'command' contains a NUL byte"));
}

static void
test_empty_file(void)
{
    ZS_CHECK(s_rejects("", "1:1", "empty swarm file"));
    ZS_CHECK(s_rejects("# only a comment\n\n", "1:1", "empty swarm file"));
}

static void
test_top_not_mapping(void)
{
    ZS_CHECK(s_rejects("- name: t\n", "1:1", "expected mapping at top level"));
    ZS_CHECK(s_rejects("\n  just text\n", "2:3", "expected mapping at top level"));
}

static void
test_aliases_refused(void)
{
    ZS_CHECK(s_rejects("name: &n t\nagents: []\n", "1:7",
                       "anchor '&n' is not supported in swarm files"));
    ZS_CHECK(s_rejects("name: t\nx: &base {count: 2}\n", "2:4",
                       "anchor '&base' is not supported"));
    ZS_CHECK(s_rejects("name: t\nagents:\n  - <<: *base\n", "3:9",
                       "alias '*base' is not supported in swarm files"));
}

static void
test_tags_refused(void)
{
    ZS_CHECK(s_rejects(S_HEAD "    count: !!int \"4\"\n", "4:12",
                       "tag 'tag:yaml.org,2002:int' is not supported in swarm files"));
}

static void
test_one_document(void)
{
    ZS_CHECK(s_rejects(S_HEAD "---\n" S_HEAD, "4:1", "expected one YAML document"));
}

static void
test_nesting_bounded(void)
{
    char text[128] = "name: t\nagents: ";
    size_t at = strlen(text);
    for (int i = 0; i < 17; i++) {
        text[at++] = '[';
    }
    text[at] = '\0';
    //  the top-level mapping is the first level, so the 16th bracket is one too deep;
    //  the screen stops there, before the missing brackets are a syntax error
    ZS_CHECK(s_rejects(text, "2:24", "nesting deeper than 16 levels"));
}

static void
test_null_value(void)
{
    ZS_CHECK(
        s_rejects("name:\nagents: [{type: a}]\n", "1:6", "expected string for 'name'"));
    ZS_CHECK(
        s_rejects("name: ~\nagents: [{type: a}]\n", "1:7", "expected string for 'name'"));
}

//  ---------------------------------------------------------------------------------------
//  Top level

static void
test_unknown_top_key(void)
{
    ZS_CHECK(s_rejects(
        S_HEAD "nam: x\n", "4:1",
        "unknown key 'nam' at top level (expected one of: name, topology, "
        "strategy, auction_ms, insecure, security, bind, heartbeat, tasks, journal, "
        "supervision, agents, workflow, ring, providers, budget)"));
    ZS_CHECK(s_rejects(S_HEAD "[a]: 1\n", "4:1", "expected a string key at top level"));
    ZS_CHECK(s_rejects(S_HEAD "\"name\\0x\": u\n", "4:1", "unknown key 'name\\x00x'"));
}

static void
test_duplicate_key(void)
{
    ZS_CHECK(s_rejects(S_HEAD "name: u\n", "4:1", "duplicate key 'name' at top level"));
}

static void
test_name_required(void)
{
    ZS_CHECK(s_rejects("\n\nagents:\n  - type: a\n", "3:1",
                       "missing required key 'name' at top level"));
}

static void
test_name_invalid(void)
{
    ZS_CHECK(s_rejects("name: a b\nagents: [{type: a}]\n", "1:7",
                       "invalid name 'a b' for 'name' (expected 1 to 64 of A-Z a-z 0-9 . "
                       "_ -)"));
    ZS_CHECK(s_rejects("name: ''\nagents: [{type: a}]\n", "1:7", "invalid name ''"));
    ZS_CHECK(s_rejects("name: [t]\nagents: [{type: a}]\n", "1:7",
                       "expected string for 'name'"));
    char text[160];
    snprintf(text, sizeof text, "name: %065d\nagents: [{type: a}]\n", 0);
    ZS_CHECK(s_rejects(text, "1:7", "invalid name '0000"));
    snprintf(text, sizeof text, "name: %064d\nagents: [{type: a}]\n", 0);
    ZS_CHECK(s_accepts(text));
}

static void
test_topology(void)
{
    ZS_CHECK(s_rejects(S_HEAD "topology: bus\n", "4:11",
                       "unknown topology 'bus' (expected star, mesh, hierarchical or "
                       "ring)"));
    zs_swarm_t *swarm = s_parse(S_HEAD "topology: mesh\n");
    ZS_CHECK(swarm && swarm->topology == ZS_TOPOLOGY_MESH);
    zs_swarm_destroy(&swarm);
}

#define S_TEAM "name: t\ntopology: hierarchical\nagents:\n  - type: boss\n"

//  One level of teams: 'reports_to' names another type, which reports to nobody
static void
test_reports_to(void)
{
    zs_swarm_t *swarm = s_parse(S_TEAM "  - {type: w, reports_to: boss}\n");
    ZS_CHECK(swarm && swarm->topology == ZS_TOPOLOGY_HIERARCHICAL);
    if (swarm) {
        ZS_CHECK(swarm->types[0].leads && !swarm->types[0].reports_to);
        ZS_CHECK_STR(swarm->types[1].reports_to, "boss");
        ZS_CHECK(!swarm->types[1].leads);
    }
    zs_swarm_destroy(&swarm);
    ZS_CHECK(s_rejects(S_HEAD "  - {type: w, reports_to: a}\n", "4:27",
                       "'reports_to' needs topology hierarchical (agent type 'w')"));
    ZS_CHECK(s_rejects(S_TEAM "  - {type: w, reports_to: nobody}\n", "5:27",
                       "agent type 'w' reports to 'nobody', which is not an agent type "
                       "in this file"));
    ZS_CHECK(s_rejects(S_TEAM "  - {type: w, reports_to: w}\n", "5:27",
                       "agent type 'w' reports to 'w', itself"));
    ZS_CHECK(s_rejects(S_TEAM "  - {type: w, reports_to: boss}\n"
                              "  - {type: x, reports_to: w}\n",
                       "6:27",
                       "agent type 'x' reports to 'w', which reports to 'boss': teams "
                       "are one level deep"));
    ZS_CHECK(s_rejects(S_TEAM "  - {type: w, reports_to: 'b@d'}\n", "5:27",
                       "invalid name 'b@d' for 'reports_to'"));
}

#define S_VOTERS "name: t\nagents:\n"

//  How a type's agents vote: a fixed answer, 'handler' (exec only), or a mapping with
//  exactly one of 'exec' and 'answer'
static void
test_vote(void)
{
    zs_swarm_t *swarm =
        s_parse(S_VOTERS "  - {type: a, vote: 'yes'}\n"
                         "  - {type: b, handler: exec, command: [cat], "
                         "vote: handler}\n"
                         "  - {type: c, vote: {exec: [sh, -c, 'echo no']}}\n"
                         "  - {type: d, vote: {answer: handler}}\n"
                         "  - {type: e}\n");
    ZS_CHECK(swarm && swarm->type_count == 5);
    if (swarm) {
        ZS_CHECK_STR(swarm->types[0].vote_answer, "yes");
        ZS_CHECK(!swarm->types[0].vote_handler && !swarm->types[0].vote_argv);
        ZS_CHECK(swarm->types[1].vote_handler && !swarm->types[1].vote_answer);
        ZS_CHECK(swarm->types[2].vote_argc == 3);
        ZS_CHECK_STR(swarm->types[2].vote_argv[2], "echo no");
        ZS_CHECK_STR(swarm->types[3].vote_answer, "handler");
        ZS_CHECK(!swarm->types[4].vote_answer && !swarm->types[4].vote_argv &&
                 !swarm->types[4].vote_handler);
    }
    zs_swarm_destroy(&swarm);
    ZS_CHECK(s_rejects(S_VOTERS "  - {type: a, vote: handler}\n", "3:21",
                       "'vote: handler' needs handler exec"));
    ZS_CHECK(s_rejects(S_VOTERS "  - {type: a, vote: {exec: [x], answer: y}}\n", "3:21",
                       "expected exactly one of 'exec' and 'answer' in 'vote'"));
    ZS_CHECK(s_rejects(S_VOTERS "  - {type: a, vote: {}}\n", "3:21",
                       "expected exactly one of 'exec' and 'answer' in 'vote'"));
    ZS_CHECK(s_rejects(S_VOTERS "  - {type: a, vote: {exec: []}}\n", "3:28",
                       "expected 1..64 items"));
    ZS_CHECK(s_rejects(S_VOTERS "  - {type: a, vote: 'a b'}\n", "3:21",
                       "invalid name 'a b' for 'vote'"));
    ZS_CHECK(s_rejects(S_VOTERS "  - {type: a, vote: [x]}\n", "3:21",
                       "expected an answer, 'handler', or a mapping"));
    ZS_CHECK(s_rejects(S_VOTERS "  - {type: a, vote: {ask: x}}\n", "3:22",
                       "unknown key 'ask' in 'vote'"));
}

#define S_RING "name: t\ntopology: ring\nagents: [{type: a}, {type: b}, {type: c}]\n"

//  The ring's stages: known, distinct types, at least two; only under topology ring
static void
test_ring(void)
{
    zs_swarm_t *swarm = s_parse(S_RING "ring: [b, a]\n");
    ZS_CHECK(swarm && swarm->ring_count == 2);
    if (swarm) {
        ZS_CHECK_STR(swarm->ring[0], "b");
        ZS_CHECK_STR(swarm->ring[1], "a");
    }
    zs_swarm_destroy(&swarm);
    ZS_CHECK(s_rejects(S_RING, "1:1", "topology ring needs 'ring'"));
    ZS_CHECK(s_rejects(S_RING "ring: [a]\n", "4:7", "expected 2..64 items"));
    ZS_CHECK(s_rejects(S_RING "ring: [a, d]\n", "4:11",
                       "ring stage 'd' is not an agent type in this file"));
    ZS_CHECK(
        s_rejects(S_RING "ring: [a, b, a]\n", "4:14", "ring stage 'a' appears twice"));
    ZS_CHECK(s_rejects(S_HEAD "ring: [a, a]\n", "4:7", "'ring' needs topology ring"));
}

//  Workflow steps are submitted like a client's tasks: the topology must take them
static void
test_workflow_topology(void)
{
    ZS_CHECK(s_rejects(S_TEAM "  - {type: w, reports_to: boss}\n"
                              "workflow:\n  - {id: s1, type: w}\n",
                       "7:20", "workflow step 's1': type 'w' reports to 'boss'"));
    ZS_CHECK(s_rejects(S_RING "ring: [a, b]\nworkflow:\n  - {id: s1, type: b}\n", "6:20",
                       "workflow step 's1': type 'b' is ring stage 2"));
    ZS_CHECK(s_rejects(S_RING "ring: [a, b]\nworkflow:\n  - {id: s1, type: a}\n", "6:20",
                       "workflow step 's1' cannot start a ring pipeline (type 'a')"));
    ZS_CHECK(s_rejects(S_TEAM "  - {type: w, reports_to: boss}\n"
                              "workflow:\n  - {id: s1, type: boss}\n"
                              "  - {id: s1.w, type: boss}\n",
                       "7:10",
                       "workflow step 's1' is a team task: its work 's1.w' needs"));
    zs_swarm_t *swarm = s_parse(S_TEAM "  - {type: w, reports_to: boss}\n"
                                       "workflow:\n  - {id: s1, type: boss}\n");
    ZS_CHECK(swarm && swarm->workflow.count == 1);
    zs_swarm_destroy(&swarm);
}

//  ---------------------------------------------------------------------------------------
//  Scheduling strategies: the swarm's, a type's, and the auctions' deadline

static void
test_strategy(void)
{
    const char *names[] = {"round-robin", "least-loaded",  "capability",
                           "best-fit",    "work-stealing", "auction"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, S_HEAD "    strategy: %s\nstrategy: %s\n", names[i],
                 names[i]);
        zs_swarm_t *swarm = s_parse(text);
        ZS_CHECK(swarm);
        bool ok = (int) swarm->strategy == zs_strategy_from_name(names[i]) &&
                  swarm->types[0].strategy == swarm->strategy &&
                  strcmp(zs_strategy_name(swarm->strategy), names[i]) == 0;
        zs_swarm_destroy(&swarm);
        ZS_CHECK(ok);
    }
    ZS_CHECK(s_rejects(S_HEAD "strategy: random\n", "4:11",
                       "unknown strategy 'random' (expected round-robin, least-loaded, "
                       "capability, best-fit, work-stealing or auction)"));
    ZS_CHECK(
        s_rejects(S_HEAD "strategy: Auction\n", "4:11", "unknown strategy 'Auction'"));
    ZS_CHECK(s_rejects(S_HEAD "strategy: [auction]\n", "4:11", "expected"));
}

static void
test_strategy_of_type(void)
{
    zs_swarm_t *swarm = s_parse("name: t\nstrategy: round-robin\nagents:\n"
                                "  - {type: a, strategy: work-stealing}\n"
                                "  - {type: b}\n");
    ZS_CHECK(swarm);
    bool ok = swarm->strategy == ZS_STRATEGY_ROUND_ROBIN &&
              swarm->types[0].strategy == ZS_STRATEGY_WORK_STEALING &&
              swarm->types[1].strategy == ZS_STRATEGY_DEFAULT;
    zs_swarm_destroy(&swarm);
    ZS_CHECK(ok);
    ZS_CHECK(s_rejects(S_HEAD "    strategy: least\n", "4:15",
                       "unknown strategy 'least' (expected round-robin"));
    ZS_CHECK(s_rejects(S_HEAD "    strategy: ''\n", "4:15", "unknown strategy ''"));
}

static void
test_auction_ms(void)
{
    zs_swarm_t *swarm = s_parse(S_HEAD "auction_ms: 60000\n");
    ZS_CHECK(swarm);
    bool ok = swarm->auction_ms == ZS_SWARM_AUCTION_MAX_MS;
    zs_swarm_destroy(&swarm);
    ZS_CHECK(ok);
    ZS_CHECK(s_rejects(S_HEAD "auction_ms: 0\n", "4:13", "out of range"));
    ZS_CHECK(s_rejects(S_HEAD "auction_ms: 60001\n", "4:13", "out of range"));
    ZS_CHECK(s_rejects(S_HEAD "auction_ms: fast\n", "4:13",
                       "expected integer for 'auction_ms'"));
}

static void
test_insecure_bool(void)
{
    ZS_CHECK(s_rejects(S_HEAD "insecure: yes\n", "4:11",
                       "expected true or false for 'insecure'"));
    ZS_CHECK(s_rejects(S_HEAD "insecure: 'true'\n", "4:11", "expected true or false"));
    ZS_CHECK(s_accepts(S_HEAD "insecure: false\n"));
}

//  ---------------------------------------------------------------------------------------
//  bind

static void
test_bind_mapping(void)
{
    ZS_CHECK(s_rejects(S_HEAD "bind: tcp://127.0.0.1:1\n", "4:7",
                       "expected mapping for 'bind'"));
    ZS_CHECK(s_rejects(S_HEAD "bind: {agent: tcp://127.0.0.1:1}\n", "4:8",
                       "unknown key 'agent' in 'bind' (expected one of: agents, events, "
                       "control)"));
}

static void
test_bind_endpoint_syntax(void)
{
    ZS_CHECK(s_rejects(S_HEAD "bind:\n  agents: udp://127.0.0.1:1\n", "5:11",
                       "invalid endpoint 'udp://127.0.0.1:1' for 'agents': expected "
                       "tcp://HOST:PORT or ipc://PATH"));
    ZS_CHECK(s_rejects(S_HEAD "bind: {events: 'tcp://127.0.0.1:0'}\n", "4:16",
                       "expected a port 1..65535 or '*'"));
    ZS_CHECK(s_rejects(S_HEAD "bind: {events: 'tcp://127.0.0.1:65536'}\n", "4:16",
                       "expected a port 1..65535"));
    ZS_CHECK(s_rejects(S_HEAD "bind: {events: 'tcp://127.0.0.1'}\n", "4:16",
                       "expected a port"));
    ZS_CHECK(s_rejects(S_HEAD "bind: {control: 'tcp://:7600'}\n", "4:17",
                       "expected a host name"));
    ZS_CHECK(s_rejects(S_HEAD "bind: {control: 'tcp://a b:7600'}\n", "4:17",
                       "expected a host name"));
    ZS_CHECK(s_rejects(S_HEAD "bind: {control: 'tcp://[::1:7600'}\n", "4:17",
                       "expected a host name"));
    ZS_CHECK(
        s_rejects(S_HEAD "bind: {control: 'ipc://'}\n", "4:17", "the ipc path is empty"));
    char text[256];
    snprintf(text, sizeof text, S_HEAD "bind: {control: 'ipc:///%0107d'}\n", 0);
    ZS_CHECK(s_rejects(text, "4:17", "the ipc path is longer than 107 bytes"));
}

static void
test_bind_loopback(void)
{
    ZS_CHECK(s_rejects(S_HEAD "bind:\n  agents: tcp://0.0.0.0:7600\n", "5:11",
                       "bind 'tcp://0.0.0.0:7600' is not a loopback address: set "
                       "'security' to bind it with CURVE, or 'insecure: true' to bind it "
                       "anyway"));
    ZS_CHECK(s_rejects(S_HEAD "bind: {events: 'tcp://*:7601'}\n", "4:16",
                       "bind 'tcp://*:7601' is not a loopback address"));
    ZS_CHECK(s_rejects(S_HEAD "bind: {control: 'tcp://[::2]:7602'}\n", "4:17",
                       "is not a loopback address"));
    ZS_CHECK(s_rejects(S_HEAD "bind: {control: 'tcp://eth0:7602'}\n", "4:17",
                       "is not a loopback address"));
    ZS_CHECK(s_rejects(S_HEAD "insecure: false\nbind: {agents: 'tcp://10.0.0.1:1'}\n",
                       "5:16", "is not a loopback address"));
    ZS_CHECK(s_accepts(S_HEAD "bind:\n"
                              "  agents: tcp://localhost:7600\n"
                              "  events: tcp://127.1.2.3:7601\n"
                              "  control: 'tcp://[::1]:7602'\n"));
    ZS_CHECK(s_accepts(S_HEAD "bind: {agents: 'tcp://::1:1', events: 'ipc://@zs',"
                              " control: ipc://zs.ipc}\n"));
}

//  'insecure' may come before or after the endpoints it allows
static void
test_bind_insecure(void)
{
    ZS_CHECK(s_accepts(S_HEAD "bind:\n  agents: tcp://0.0.0.0:7600\ninsecure: true\n"));
    ZS_CHECK(s_accepts("insecure: true\nbind: {events: 'tcp://*:7601'}\n" S_HEAD));
}

static void
test_bind_distinct(void)
{
    ZS_CHECK(s_rejects(S_HEAD "bind:\n  agents: ipc://x\n  events: ipc://x\n", "6:11",
                       "bind 'ipc://x' is used for both 'agents' and 'events'"));
    //  the default for 'control' clashes with the explicit 'events'
    ZS_CHECK(s_rejects(S_HEAD "bind: {events: 'tcp://127.0.0.1:7602'}\n", "4:16",
                       "bind 'tcp://127.0.0.1:7602' is used for both 'events' and "
                       "'control'"));
    //  '*' asks for a fresh port each time, so it may repeat
    ZS_CHECK(s_accepts(S_HEAD "bind: {agents: 'tcp://127.0.0.1:*', events: "
                              "'tcp://127.0.0.1:*', control: 'tcp://127.0.0.1:*'}\n"));
}

//  ---------------------------------------------------------------------------------------
//  heartbeat and tasks

static void
test_heartbeat(void)
{
    ZS_CHECK(
        s_rejects(S_HEAD "heartbeat: 250\n", "4:12", "expected mapping for 'heartbeat'"));
    ZS_CHECK(s_rejects(S_HEAD "heartbeat:\n  interval_ms: 9\n", "5:16",
                       "value 9 for 'interval_ms' is out of range (expected 10..60000)"));
    ZS_CHECK(s_rejects(S_HEAD "heartbeat:\n  interval_ms: 60001\n", "5:16",
                       "value 60001 for 'interval_ms' is out of range"));
    ZS_CHECK(s_rejects(S_HEAD "heartbeat: {liveness: 1}\n", "4:23",
                       "value 1 for 'liveness' is out of range (expected 2..100)"));
    ZS_CHECK(
        s_rejects(S_HEAD "heartbeat: {liveness: 101}\n", "4:23", "(expected 2..100)"));
    ZS_CHECK(s_rejects(S_HEAD "heartbeat: {live: 4}\n", "4:13",
                       "unknown key 'live' in 'heartbeat' (expected one of: interval_ms, "
                       "liveness)"));
    ZS_CHECK(s_accepts(S_HEAD "heartbeat: {interval_ms: 10, liveness: 100}\n"));
    ZS_CHECK(s_accepts(S_HEAD "heartbeat: {interval_ms: 60000, liveness: 2}\n"));
}

static void
test_tasks(void)
{
    ZS_CHECK(
        s_rejects(S_HEAD "tasks: {timeout_ms: 0}\n", "4:21",
                  "value 0 for 'timeout_ms' is out of range (expected 1..86400000)"));
    ZS_CHECK(s_rejects(S_HEAD "tasks: {timeout_ms: 86400001}\n", "4:21",
                       "(expected 1..86400000)"));
    ZS_CHECK(s_rejects(S_HEAD "tasks: {retries: 101}\n", "4:18",
                       "value 101 for 'retries' is out of range (expected 0..100)"));
    ZS_CHECK(s_rejects(S_HEAD "tasks: {max_queue: 0}\n", "4:20",
                       "value 0 for 'max_queue' is out of range (expected 1..10000000)"));
    ZS_CHECK(s_rejects(S_HEAD "tasks: {keep_results: 1000001}\n", "4:23",
                       "value 1000001 for 'keep_results' is out of range (expected "
                       "0..1000000)"));
    ZS_CHECK(s_rejects(S_HEAD "tasks: {retry: 1}\n", "4:9",
                       "unknown key 'retry' in 'tasks' (expected one of: timeout_ms, "
                       "retries, max_queue, max_queue_bytes, keep_results, "
                       "keep_results_bytes, keep_results_s, max_depth, max_children)"));
    ZS_CHECK(s_rejects(S_HEAD "tasks: {max_children: 10001}\n", "4:23",
                       "value 10001 for 'max_children' is out of range (expected "
                       "0..10000)"));
    ZS_CHECK(s_accepts(S_HEAD "tasks: {max_depth: 0, max_children: 10000}\n"));
    ZS_CHECK(s_rejects(S_HEAD "tasks: {keep_results_s: 31536001}\n", "4:25",
                       "value 31536001 for 'keep_results_s' is out of range (expected "
                       "0..31536000)"));
    ZS_CHECK(s_rejects(S_HEAD "tasks: [1]\n", "4:8", "expected mapping for 'tasks'"));
    ZS_CHECK(s_accepts(S_HEAD "tasks: {timeout_ms: 86400000, retries: 100, max_queue: "
                              "10000000, keep_results: 1000000}\n"));
}

//  Byte bounds: at least one largest payload (result) fits, at most a TiB
static void
test_tasks_bytes(void)
{
    ZS_CHECK(s_rejects(S_HEAD "tasks: {max_queue_bytes: 1048575}\n", "4:26",
                       "value 1048575 for 'max_queue_bytes' is out of range (expected "
                       "1048576..1099511627776)"));
    ZS_CHECK(s_rejects(S_HEAD "tasks: {max_queue_bytes: 1099511627777}\n", "4:26",
                       "(expected 1048576..1099511627776)"));
    ZS_CHECK(
        s_rejects(S_HEAD "tasks: {max_queue_bytes: 99999999999999999999}\n", "4:26",
                  "value 99999999999999999999 for 'max_queue_bytes' is out of range"));
    ZS_CHECK(s_rejects(S_HEAD "tasks: {max_queue_bytes: 256MiB}\n", "4:26",
                       "expected integer for 'max_queue_bytes'"));
    ZS_CHECK(s_rejects(S_HEAD "tasks: {max_queue_bytes: '268435456'}\n", "4:26",
                       "expected integer for 'max_queue_bytes'"));
    ZS_CHECK(s_rejects(S_HEAD "tasks: {max_queue_bytes: -1}\n", "4:26",
                       "value -1 for 'max_queue_bytes' is out of range"));
    ZS_CHECK(s_rejects(S_HEAD "tasks: {keep_results_bytes: 131071}\n", "4:29",
                       "value 131071 for 'keep_results_bytes' is out of range (expected "
                       "131072..1099511627776)"));
    ZS_CHECK(s_rejects(S_HEAD "tasks: {keep_results_bytes: 1099511627777}\n", "4:29",
                       "(expected 131072..1099511627776)"));
    ZS_CHECK(s_rejects(S_HEAD "tasks: {keep_results_bytes: [1]}\n", "4:29",
                       "expected integer for 'keep_results_bytes'"));
    zs_swarm_t *swarm = s_parse(S_HEAD "tasks: {max_queue_bytes: 1099511627776, "
                                       "keep_results_bytes: 131072}\n");
    ZS_CHECK(swarm && swarm->max_queue_bytes == 1099511627776u);
    ZS_CHECK(swarm && swarm->keep_results_bytes == 131072);
    zs_swarm_destroy(&swarm);
}

static void
test_journal(void)
{
    zs_swarm_t *swarm =
        s_parse(S_HEAD "journal: {path: /var/lib/z.journal, fsync: always}\n");
    ZS_CHECK(swarm);
    ZS_CHECK_STR(swarm->journal_path, "/var/lib/z.journal");
    ZS_CHECK(swarm->journal_sync == ZS_JOURNAL_ALWAYS);
    zs_swarm_destroy(&swarm);
    swarm = s_parse(S_HEAD "journal: {path: z.journal}\n");
    ZS_CHECK(swarm && swarm->journal_sync == ZS_JOURNAL_BATCH);
    zs_swarm_destroy(&swarm);
    ZS_CHECK(s_rejects(S_HEAD "journal: {fsync: none}\n", "4:10",
                       "missing required key 'path' in 'journal'"));
    ZS_CHECK(s_rejects(S_HEAD "journal: {path: j, fsync: sometimes}\n", "4:27",
                       "unknown fsync 'sometimes' (expected always, batch or none)"));
    ZS_CHECK(s_rejects(S_HEAD "journal: {path: \"\"}\n", "4:17",
                       "expected a path of 1 to 4096 bytes for 'path'"));
    ZS_CHECK(
        s_rejects(S_HEAD "journal: {path: [a]}\n", "4:17", "expected string for 'path'"));
}

//  ---------------------------------------------------------------------------------------
//  agents

static void
test_agents_required(void)
{
    ZS_CHECK(s_rejects("name: t\n", "1:1", "missing required key 'agents' at top level"));
    ZS_CHECK(s_rejects("name: t\nagents: []\n", "2:9",
                       "expected 1..64 items in 'agents', found 0"));
    ZS_CHECK(s_rejects("name: t\nagents: {type: a}\n", "2:9",
                       "expected sequence for 'agents'"));
    ZS_CHECK(
        s_rejects("name: t\nagents:\n  - a\n", "3:5", "expected mapping for agent type"));
}

static void
test_agents_bounded(void)
{
    char text[2048] = "name: t\nagents:\n";
    for (int i = 0; i < ZS_SWARM_MAX_TYPES + 1; i++) {
        snprintf(text + strlen(text), sizeof text - strlen(text), "- {type: t%d}\n", i);
    }
    ZS_CHECK(s_rejects(text, "3:1", "expected 1..64 items in 'agents', found 65"));
    strstr(text, "- {type: t64}")[0] = '\0';
    ZS_CHECK(s_accepts(text));
}

static void
test_type_required(void)
{
    ZS_CHECK(s_rejects("name: t\nagents:\n  - count: 2\n", "3:5",
                       "missing required key 'type' in agent type"));
}

static void
test_type_invalid(void)
{
    ZS_CHECK(s_rejects("name: t\nagents:\n  - type: a/b\n", "3:11",
                       "invalid name 'a/b' for 'type'"));
}

static void
test_type_unique(void)
{
    ZS_CHECK(s_rejects(S_HEAD "  - type: b\n  - type: a\n", "5:11",
                       "duplicate agent type 'a'"));
}

static void
test_type_unknown_key(void)
{
    ZS_CHECK(s_rejects(S_HEAD "    cont: 2\n", "4:5",
                       "unknown key 'cont' in agent type (expected one of: type, count, "
                       "handler, command, capabilities, concurrency, supervision, "
                       "nodes, strategy, reports_to, vote, http, download, llm, tags, "
                       "tier, program)"));
    ZS_CHECK(s_rejects(S_HEAD "    count: 2\n    count: 3\n", "5:5",
                       "duplicate key 'count' in agent type"));
}

static void
test_count(void)
{
    ZS_CHECK(
        s_rejects(S_HEAD "    count: \"4\"\n", "4:12", "expected integer for 'count'"));
    ZS_CHECK(
        s_rejects(S_HEAD "    count: 1.5\n", "4:12", "expected integer for 'count'"));
    ZS_CHECK(
        s_rejects(S_HEAD "    count: 0x10\n", "4:12", "expected integer for 'count'"));
    ZS_CHECK(
        s_rejects(S_HEAD "    count: [1]\n", "4:12", "expected integer for 'count'"));
    ZS_CHECK(s_rejects(S_HEAD "    count: 1001\n", "4:12",
                       "value 1001 for 'count' is out of range (expected 0..1000)"));
    ZS_CHECK(s_rejects(S_HEAD "    count: -1\n", "4:12",
                       "value -1 for 'count' is out of range"));
    ZS_CHECK(s_rejects(S_HEAD "    count: 99999999999999999999\n", "4:12",
                       "is out of range (expected 0..1000)"));
}

static void
test_handler(void)
{
    ZS_CHECK(s_rejects(S_HEAD "    handler: python\n", "4:14",
                       "unknown handler 'python' (expected builtin, exec, http, download "
                       "or llm)"));
    ZS_CHECK(s_rejects(S_HEAD "    handler: http\n", "3:5",
                       "agent type 'a' has handler http but no 'http' section"));
    ZS_CHECK(s_rejects(S_HEAD "    handler: llm\n", "3:5",
                       "agent type 'a' has handler llm but no 'llm' section"));
    ZS_CHECK(s_rejects(S_HEAD "    download: {allow: ['http://h/'], dir: /d}\n", "4:15",
                       "'download' is only for handler download (agent type 'a' has "
                       "handler builtin)"));
    ZS_CHECK(s_rejects(S_HEAD "    handler: download\n    http: {allow: ['http://h/']}\n",
                       "5:11", "'http' is only for handler http"));
}

//  ---------------------------------------------------------------------------------------
//  What agents reach: http, download, llm, providers, budgets

#define S_PROVIDERS                                                                      \
    "providers:\n"                                                                       \
    "  local: {kind: ollama, base_url: 'http://127.0.0.1:11434', model: llama3.2}\n"     \
    "  cloud:\n"                                                                         \
    "    kind: openai\n"                                                                 \
    "    base_url: https://api.openai.com/v1\n"                                          \
    "    model: gpt-4o-mini\n"                                                           \
    "    key_env: OPENAI_API_KEY\n"                                                      \
    "    rpm: 60\n"                                                                      \
    "    tpm: 100000\n"                                                                  \
    "    price_in: 0.15\n"                                                               \
    "    price_out: 0.6\n"                                                               \
    "    timeout_ms: 5000\n"                                                             \
    "    cooldown: {failures: 2, window_ms: 1000, cooldown_ms: 500}\n"                   \
    "  claude: {kind: anthropic, base_url: 'https://api.anthropic.com', model: m,\n"     \
    "           key_env: ANTHROPIC_API_KEY}\n"

#define S_LLM_HEAD                                                                       \
    S_PROVIDERS "name: t\nagents:\n  - type: a\n    handler: llm\n"

static void
test_llm(void)
{
    zs_swarm_t *swarm = s_parse(
        S_LLM_HEAD
        "    llm:\n"
        "      provider: local\n"
        "      fallbacks: [cloud, claude]\n"
        "      system: You write C.\n"
        "      prompt: 'Task: {{payload}}'\n"
        "      max_tokens: 64\n"
        "      temperature: 0\n"
        "      stream: true\n"
        "      retries: 1\n"
        "      backoff_ms: 20\n"
        "      max_wait_ms: 0\n"
        "      task_budget: {tokens: 4000, usd: 0.05}\n"
        "      budget: {tokens: 200000}\n"
        "budget: {usd: 5}\n");
    ZS_CHECK(swarm);
    const zs_swarm_type_t *type = &swarm->types[0];
    ZS_CHECK(type->handler == ZS_HANDLER_LLM);
    ZS_CHECK_STR(type->llm.provider, "local");
    ZS_CHECK(type->llm.fallback_count == 2);
    ZS_CHECK_STR(type->llm.fallbacks[0], "cloud");
    ZS_CHECK_STR(type->llm.fallbacks[1], "claude");
    ZS_CHECK_STR(type->llm.system, "You write C.");
    ZS_CHECK_STR(type->llm.prompt, "Task: {{payload}}");
    ZS_CHECK(type->llm.max_tokens == 64);
    ZS_CHECK(type->llm.temperature == 0.0);
    ZS_CHECK(type->llm.stream);
    ZS_CHECK(type->llm.retries == 1 && type->llm.backoff_ms == 20);
    ZS_CHECK(type->llm.max_wait_ms == 0);
    ZS_CHECK(type->llm.task.tokens == 4000 && type->llm.task.usd == 0.05);
    ZS_CHECK(type->llm.type.tokens == 200000 && type->llm.type.usd == 0.0);
    ZS_CHECK(swarm->budget.tokens == 0 && swarm->budget.usd == 5.0);
    ZS_CHECK(swarm->provider_count == 3);
    const zs_swarm_provider_t *cloud = zs_swarm_provider_find(swarm, "cloud");
    ZS_CHECK(cloud && cloud->kind == ZS_PROVIDER_OPENAI);
    ZS_CHECK_STR(cloud->base_url, "https://api.openai.com/v1");
    ZS_CHECK_STR(cloud->model, "gpt-4o-mini");
    ZS_CHECK_STR(cloud->key_env, "OPENAI_API_KEY");
    ZS_CHECK(cloud->rpm == 60 && cloud->tpm == 100000);
    ZS_CHECK(cloud->price_in == 0.15 && cloud->price_out == 0.6);
    ZS_CHECK(cloud->timeout_ms == 5000);
    ZS_CHECK(cloud->cooldown.failures == 2 && cloud->cooldown.window_ms == 1000 &&
             cloud->cooldown.cooldown_ms == 500);
    const zs_swarm_provider_t *local = zs_swarm_provider_find(swarm, "local");
    ZS_CHECK(local && local->kind == ZS_PROVIDER_OLLAMA && local->key_env == NULL);
    ZS_CHECK(local->timeout_ms == 120000 && local->cooldown.failures == 3 &&
             local->cooldown.window_ms == 60000 && local->cooldown.cooldown_ms == 30000);
    ZS_CHECK(local->price_in == 0.0 && local->rpm == 0);
    ZS_CHECK(zs_swarm_provider_find(swarm, "nope") == NULL);
    ZS_CHECK_STR(zs_vocab_kind(zs_swarm_provider_find(swarm, "claude")->kind), "anthropic");
    ZS_CHECK_STR(zs_swarm_handler_name(type->handler), "llm");
    zs_swarm_destroy(&swarm);
}

static void
test_llm_defaults(void)
{
    zs_swarm_t *swarm = s_parse(S_LLM_HEAD "    llm: {provider: local}\n");
    ZS_CHECK(swarm);
    const zs_swarm_llm_t *llm = &swarm->types[0].llm;
    ZS_CHECK(llm->fallback_count == 0 && llm->fallbacks == NULL);
    ZS_CHECK(llm->system == NULL);
    ZS_CHECK_STR(llm->prompt, "{{payload}}");
    ZS_CHECK(llm->max_tokens == 1024 && isnan(llm->temperature) && !llm->stream);
    ZS_CHECK(llm->retries == 2 && llm->backoff_ms == 500 && llm->max_wait_ms == 30000);
    ZS_CHECK(llm->task.tokens == 0 && llm->task.usd == 0.0);
    ZS_CHECK(swarm->budget.tokens == 0 && swarm->budget.usd == 0.0);
    zs_swarm_destroy(&swarm);
}

static void
test_llm_rules(void)
{
    ZS_CHECK(s_rejects(S_LLM_HEAD "    llm: {provider: nope}\n", "20:21",
                       "agent type 'a' names provider 'nope', which 'providers' does not "
                       "define"));
    ZS_CHECK(s_rejects(S_LLM_HEAD "    llm: {provider: local, fallbacks: [cloud, x]}\n",
                       "20:47", "names provider 'x', which"));
    ZS_CHECK(s_rejects(S_LLM_HEAD "    llm: {provider: local, fallbacks: [local]}\n",
                       "20:40", "agent type 'a' names provider 'local' twice"));
    ZS_CHECK(s_rejects(S_LLM_HEAD "    llm: {fallbacks: [local]}\n", "20:10",
                       "missing required key 'provider'"));
    ZS_CHECK(s_rejects(S_LLM_HEAD "    llm: {provider: local, temperature: 2.5}\n", "20:41",
                       "value 2.5 for 'temperature' is out of range (expected 0..2)"));
    ZS_CHECK(s_rejects(S_LLM_HEAD "    llm: {provider: local, temperature: 1e-1}\n", "20:41",
                       "expected a number such as 0.25 for 'temperature'"));
    ZS_CHECK(s_rejects(S_LLM_HEAD "    llm: {provider: local, temperature: .5}\n", "20:41",
                       "expected a number such as 0.25"));
    ZS_CHECK(s_rejects(S_LLM_HEAD "    llm: {provider: local, prompt: ''}\n", "20:36",
                       "expected 1 to 65536 bytes for 'prompt', found 0"));
    ZS_CHECK(s_rejects(S_LLM_HEAD "    llm: {provider: local, prompt: 'Do {{payload'}\n",
                       "20:36", "'prompt': "));
    ZS_CHECK(s_rejects(S_LLM_HEAD "    llm: {provider: local, budget: {dollars: 1}}\n",
                       "20:37", "unknown key 'dollars' in a budget"));
    ZS_CHECK(s_rejects(S_PROVIDERS "budget: {usd: -1}\nname: t\nagents: [{type: a}]\n",
                       "16:15", "expected a number such as 0.25 for 'usd'"));
}

static void
test_providers_rules(void)
{
    static const struct {
        const char *provider;
        const char *where;
        const char *fragment;
    } cases[] = {
        {"{kind: gemini, base_url: 'http://h', model: m}", "2:13",
         "unknown kind 'gemini' (expected openai, anthropic or ollama)"},
        {"{kind: openai, model: m}", "2:6", "missing required key 'base_url'"},
        {"{kind: openai, base_url: 'ftp://h', model: m}", "2:31",
         "invalid URL 'ftp://h' for 'base_url'"},
        {"{kind: openai, base_url: 'http:///x', model: m}", "2:31", "invalid URL"},
        {"{kind: openai, base_url: 'http://h x', model: m}", "2:31", "invalid URL"},
        {"{kind: openai, base_url: 'http://h', model: 'a b'}", "2:50",
         "invalid model 'a b'"},
        {"{kind: openai, base_url: 'http://h', model: m, key_env: sk-12345}", "2:62",
         "invalid variable name 'sk-12345' for 'key_env'"},
        {"{kind: openai, base_url: 'http://h', model: m, key_env: 1KEY}", "2:62",
         "invalid variable name '1KEY'"},
        {"{kind: openai, base_url: 'http://h', model: m, price_in: 1000001}", "2:63",
         "out of range (expected 0..1000000)"},
        {"{kind: openai, base_url: 'http://h', model: m, cooldown: {failures: 0}}", "2:74",
         "value 0 for 'failures' is out of range"},
        {"[openai]", "2:6", "expected mapping for provider 'p'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "providers:\n  p: %s\nname: t\nagents: [{type: a}]\n",
                 cases[i].provider);
        ZS_CHECK(s_rejects(text, cases[i].where, cases[i].fragment));
    }
    ZS_CHECK(s_rejects("providers:\n  'a b': {}\nname: t\nagents: [{type: a}]\n", "2:3",
                       "invalid name 'a b' for 'providers'"));
    ZS_CHECK(s_rejects("providers: [x]\nname: t\nagents: [{type: a}]\n", "1:12",
                       "expected mapping of provider names to providers"));
}

static void
test_http(void)
{
    zs_swarm_t *swarm = s_parse(S_HEAD "    handler: http\n"
                                       "    http:\n"
                                       "      allow: ['https://api.example.com/', "
                                       "'http://127.0.0.1:8080/']\n"
                                       "      max_body: 1024\n"
                                       "      max_redirects: 0\n"
                                       "      headers: [Content-Type, ETag]\n");
    ZS_CHECK(swarm);
    const zs_swarm_fetch_t *fetch = &swarm->types[0].fetch;
    ZS_CHECK(fetch->allow_count == 2);
    ZS_CHECK_STR(fetch->allow[0], "https://api.example.com/");
    ZS_CHECK_STR(fetch->allow[1], "http://127.0.0.1:8080/");
    ZS_CHECK(fetch->max_body == 1024 && fetch->max_redirects == 0);
    ZS_CHECK(fetch->header_count == 2);
    ZS_CHECK_STR(fetch->headers[0], "content-type");
    ZS_CHECK_STR(fetch->headers[1], "etag");
    zs_swarm_destroy(&swarm);

    swarm = s_parse(S_HEAD "    handler: http\n    http: {allow: ['http://h/']}\n");
    ZS_CHECK(swarm);
    fetch = &swarm->types[0].fetch;
    ZS_CHECK(fetch->max_body == 65536 && fetch->max_redirects == 5);
    ZS_CHECK(fetch->header_count == 1);
    ZS_CHECK_STR(fetch->headers[0], "content-type");
    zs_swarm_destroy(&swarm);

    swarm = s_parse(S_HEAD "    handler: http\n    http: {allow: ['http://h/'], headers: []}\n");
    ZS_CHECK(swarm && swarm->types[0].fetch.header_count == 0);
    zs_swarm_destroy(&swarm);

    ZS_CHECK(s_rejects(S_HEAD "    handler: http\n    http: {}\n", "5:11",
                       "missing required key 'allow'"));
    ZS_CHECK(s_rejects(S_HEAD "    handler: http\n    http: {allow: []}\n", "5:19",
                       "'allow'"));
    ZS_CHECK(s_rejects(S_HEAD "    handler: http\n    http: {allow: ['file:///etc/']}\n",
                       "5:20", "invalid URL 'file:///etc/' for 'allow'"));
    ZS_CHECK(s_rejects(S_HEAD "    handler: http\n    http: {allow: ['http://h/'], "
                              "headers: ['a b']}\n",
                       "5:44", "invalid header name 'a b' in 'headers'"));
    ZS_CHECK(s_rejects(S_HEAD "    handler: http\n    http: {allow: ['http://h/'], "
                              "max_redirects: 21}\n",
                       "5:49", "out of range (expected 0..20)"));
}

static void
test_download(void)
{
    zs_swarm_t *swarm = s_parse(S_HEAD "    handler: download\n"
                                       "    download: {allow: ['http://h/'], dir: /var/dl, "
                                       "max_size: 5000000000}\n");
    ZS_CHECK(swarm);
    const zs_swarm_fetch_t *fetch = &swarm->types[0].fetch;
    ZS_CHECK_STR(fetch->dir, "/var/dl");
    ZS_CHECK(fetch->max_size == 5000000000ull && fetch->max_redirects == 5);
    zs_swarm_destroy(&swarm);

    swarm = s_parse(S_HEAD "    handler: download\n    download: {allow: ['http://h/'], "
                           "dir: /d}\n");
    ZS_CHECK(swarm && swarm->types[0].fetch.max_size == 4294967296ull);
    zs_swarm_destroy(&swarm);

    ZS_CHECK(s_rejects(S_HEAD "    handler: download\n    download: {allow: ['http://h/']}\n",
                       "5:15", "missing required key 'dir'"));
    ZS_CHECK(s_rejects(S_HEAD "    handler: download\n    download: {allow: ['http://h/'], "
                              "dir: rel/dir}\n",
                       "5:43", "invalid directory 'rel/dir' for 'dir' (expected an absolute"));
}

static void
test_command_rules(void)
{
    ZS_CHECK(s_rejects(S_HEAD "    handler: exec\n", "3:5",
                       "agent type 'a' has handler exec but no 'command'"));
    ZS_CHECK(s_rejects(S_HEAD "    command: [/bin/true]\n", "4:14",
                       "'command' is only for handler exec (agent type 'a' is builtin)"));
    ZS_CHECK(s_rejects(S_HEAD "    handler: exec\n    command: []\n", "5:14",
                       "expected 1..64 items in 'command', found 0"));
    ZS_CHECK(s_rejects(S_HEAD "    handler: exec\n    command: /bin/true\n", "5:14",
                       "expected sequence for 'command'"));
    ZS_CHECK(s_rejects(S_HEAD "    handler: exec\n    command: [a, '']\n", "5:18",
                       "expected 1..4096 bytes in each item of 'command', found 0"));
    ZS_CHECK(s_rejects(S_HEAD "    handler: exec\n    command: [a, [b]]\n", "5:18",
                       "expected string for 'command'"));
}

static void
test_program(void)
{
    zs_swarm_t *swarm = s_parse(S_HEAD "    program: [/usr/bin/python3, agent.py]\n");
    ZS_CHECK(swarm && swarm->types[0].program_argc == 2);
    ZS_CHECK(swarm && swarm->types[0].program[2] == NULL);
    ZS_CHECK_STR(swarm ? swarm->types[0].program[1] : "", "agent.py");
    ZS_CHECK(swarm && swarm->types[0].handler == ZS_HANDLER_BUILTIN);
    zs_swarm_destroy(&swarm);
    swarm = s_parse(S_HEAD);
    ZS_CHECK(swarm && swarm->types[0].program == NULL && swarm->types[0].program_argc == 0);
    zs_swarm_destroy(&swarm);
    ZS_CHECK(s_rejects(S_HEAD "    program: []\n", "4:14",
                       "expected 1..64 items in 'program', found 0"));
    ZS_CHECK(s_rejects(S_HEAD "    program: agent.py\n", "4:14",
                       "expected sequence for 'program'"));
    ZS_CHECK(s_rejects(S_HEAD "    program: [a, '']\n", "4:18",
                       "expected 1..4096 bytes in each item of 'program', found 0"));
    ZS_CHECK(s_rejects(S_HEAD "    handler: exec\n    command: [x]\n    program: [a]\n",
                       "6:14", "'program' runs the handlers of agent type 'a' itself"));
    ZS_CHECK(s_rejects(S_HEAD "    program: [a]\n    nodes: {n1: 1}\n",
                       "4:14", "'program' is for local agents: agent type 'a' cannot"));
}

static void
test_command_bounded(void)
{
    char text[8192];
    snprintf(text, sizeof text, S_HEAD "    handler: exec\n    command: [x%04096d]\n", 0);
    ZS_CHECK(s_rejects(text, "5:15",
                       "expected 1..4096 bytes in each item of 'command', "
                       "found 4097"));
    snprintf(text, sizeof text, S_HEAD "    handler: exec\n    command: [%04096d]\n", 0);
    ZS_CHECK(s_accepts(text));
    snprintf(text, sizeof text, S_HEAD "    handler: exec\n    command: [x");
    for (int i = 0; i < 64; i++) {
        strcat(text, ", x");
    }
    strcat(text, "]\n");
    ZS_CHECK(s_rejects(text, "5:14", "expected 1..64 items in 'command', found 65"));
}

static void
test_capabilities(void)
{
    ZS_CHECK(s_rejects(S_HEAD "    capabilities: [ok, 'not ok']\n", "4:24",
                       "invalid name 'not ok' for 'capabilities'"));
    ZS_CHECK(s_rejects(S_HEAD "    capabilities: gpu\n", "4:19",
                       "expected sequence for 'capabilities'"));
    char text[1024] = S_HEAD "    capabilities: [c";
    for (int i = 0; i < 64; i++) {
        strcat(text, ", c");
    }
    strcat(text, "]\n");
    ZS_CHECK(s_rejects(text, "4:19", "expected 0..64 items in 'capabilities', found 65"));
}

static void
test_concurrency(void)
{
    ZS_CHECK(s_rejects(S_HEAD "    concurrency: 0\n", "4:18",
                       "value 0 for 'concurrency' is out of range (expected 1..1024)"));
    ZS_CHECK(s_rejects(S_HEAD "    concurrency: 1025\n", "4:18", "(expected 1..1024)"));
    ZS_CHECK(s_rejects(S_HEAD "    concurrency: '2'\n", "4:18",
                       "expected integer for 'concurrency'"));
}

//  ---------------------------------------------------------------------------------------
//  nodes

static void
test_nodes_placed(void)
{
    zs_swarm_t *swarm = s_parse(S_HEAD "    nodes: {n1: 3, 'rack:2': 0}\n"
                                       "  - type: b\n    nodes:\n      n1: 2\n");
    ZS_CHECK(swarm);
    if (swarm) {
        const zs_swarm_type_t *a = zs_swarm_type_find(swarm, "a");
        ZS_CHECK(a->place_count == 2);
        ZS_CHECK(zs_swarm_node_count(a, "n1") == 3);
        ZS_CHECK(zs_swarm_node_count(a, "rack:2") == 0);
        ZS_CHECK(zs_swarm_node_count(a, "n2") == 0);
        ZS_CHECK(zs_swarm_node_total(swarm, "n1") == 5);
        ZS_CHECK(zs_swarm_node_total(swarm, "n2") == 0);
        zs_swarm_destroy(&swarm);
    }
    ZS_CHECK(s_accepts(S_HEAD "    nodes: {}\n"));
}

static void
test_nodes_rejects(void)
{
    ZS_CHECK(s_rejects(S_HEAD "    nodes: [n1]\n", "4:12",
                       "expected mapping of node names to counts for 'nodes'"));
    ZS_CHECK(s_rejects(S_HEAD "    nodes: {a b: 1}\n", "4:13",
                       "invalid node name 'a b' in 'nodes' (expected 1 to 32 of"));
    ZS_CHECK(s_rejects(S_HEAD "    nodes: {n1: 1, n1: 2}\n", "4:20",
                       "duplicate node 'n1' in 'nodes'"));
    ZS_CHECK(s_rejects(S_HEAD "    nodes: {n1: 1001}\n", "4:17",
                       "value 1001 for 'nodes' is out of range (expected 0..1000)"));
    ZS_CHECK(
        s_rejects(S_HEAD "    nodes: {n1: x}\n", "4:17", "expected integer for 'nodes'"));
    ZS_CHECK(s_rejects(S_HEAD "    nodes: {~: 1}\n", "4:13", "for 'nodes'"));
    //  33 bytes of node name; then a name that fits, but not with the type's ids
    ZS_CHECK(s_rejects(S_HEAD "    nodes: {nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn: 1}\n",
                       "4:13", "invalid node name"));
    ZS_CHECK(s_rejects("name: t\nagents:\n  - type: "
                       "tttttttttttttttttttttttttttttt\n"
                       "    nodes: {nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn: 10}\n",
                       "4:12",
                       "agent ids 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn."
                       "tttttttttttttttttttttttttttttt-N' on node"));
    ZS_CHECK(s_accepts("name: t\nagents:\n  - type: tttttttttttttttttttttttttttttt\n"
                       "    nodes: {nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn: 9}\n"));
}

//  ---------------------------------------------------------------------------------------
//  supervision

//  A type's keys override the top level's key by key, whichever comes first in the file
static void
test_supervision_override(void)
{
    const char *text =
        "name: t\n"
        "agents:\n"
        "  - type: a\n"
        "    supervision: {restart: transient, backoff_ms: [7, 70]}\n"
        "  - type: b\n"
        "  - type: c\n"
        "    supervision: {}\n"
        "supervision: {strategy: one-for-all, max_restarts: 3, within_s: 5,"
        " backoff_ms: [20, 40]}\n";
    zs_swarm_t *swarm = s_parse(text);
    ZS_CHECK(swarm);
    const zs_supervision_t *a = &swarm->types[0].supervision;
    const zs_supervision_t *b = &swarm->types[1].supervision;
    const zs_supervision_t *c = &swarm->types[2].supervision;
    bool ok = a->strategy == ZS_SUP_ONE_FOR_ALL && a->restart == ZS_SUP_TRANSIENT &&
              a->backoff_min_ms == 7 && a->backoff_max_ms == 70 && a->max_restarts == 3 &&
              a->within_s == 5;
    ok = ok && b->strategy == ZS_SUP_ONE_FOR_ALL && b->restart == ZS_SUP_PERMANENT &&
         b->backoff_min_ms == 20 && b->backoff_max_ms == 40 && b->max_restarts == 3 &&
         b->within_s == 5;
    ok = ok && memcmp(c, &swarm->supervision, sizeof *c) == 0 &&
         memcmp(b, &swarm->supervision, sizeof *b) == 0;
    zs_swarm_destroy(&swarm);
    ZS_CHECK(ok);
    ZS_CHECK(s_accepts(S_HEAD
                       "    supervision: {strategy: rest-for-one, restart: "
                       "permanent}\n"
                       "supervision: {strategy: one-for-one, restart: temporary}\n"));
}

static void
test_supervision_mapping(void)
{
    ZS_CHECK(s_rejects(S_HEAD "supervision: one-for-one\n", "4:14",
                       "expected mapping for 'supervision'"));
    ZS_CHECK(s_rejects(S_HEAD "    supervision: [permanent]\n", "4:18",
                       "expected mapping for 'supervision'"));
    ZS_CHECK(s_rejects(S_HEAD "supervision: {intensity: 5}\n", "4:15",
                       "unknown key 'intensity' in 'supervision' (expected one of: "
                       "strategy, restart, backoff_ms, max_restarts, within_s)"));
    ZS_CHECK(s_rejects(S_HEAD "    supervision:\n      within_s: 1\n      within_s: 2\n",
                       "6:7", "duplicate key 'within_s' in 'supervision'"));
    ZS_CHECK(s_rejects(S_HEAD "supervision: {strategy: one-for-one}\n"
                              "supervision: {restart: permanent}\n",
                       "5:1", "duplicate key 'supervision' at top level"));
}

static void
test_supervision_words(void)
{
    ZS_CHECK(s_rejects(S_HEAD "supervision: {strategy: one-for-many}\n", "4:25",
                       "unknown strategy 'one-for-many' (expected one-for-one, "
                       "one-for-all or rest-for-one)"));
    ZS_CHECK(s_rejects(S_HEAD "    supervision: {restart: always}\n", "4:28",
                       "unknown restart 'always' (expected permanent, transient or "
                       "temporary)"));
    ZS_CHECK(s_rejects(S_HEAD "supervision: {restart: ~}\n", "4:24",
                       "expected string for 'restart'"));
    ZS_CHECK(s_accepts(S_HEAD "supervision: {strategy: 'rest-for-one', restart: "
                              "\"transient\"}\n"));
}

static void
test_supervision_backoff(void)
{
    ZS_CHECK(s_accepts(S_HEAD "supervision: {backoff_ms: [1, 1]}\n"));
    ZS_CHECK(s_accepts(S_HEAD "supervision: {backoff_ms: [600000, 600000]}\n"));
    ZS_CHECK(s_rejects(S_HEAD "supervision: {backoff_ms: [0, 5]}\n", "4:28",
                       "value 0 for 'backoff_ms' is out of range (expected 1..600000)"));
    ZS_CHECK(s_rejects(S_HEAD "supervision: {backoff_ms: [5, 600001]}\n", "4:31",
                       "value 600001 for 'backoff_ms' is out of range"));
    ZS_CHECK(s_rejects(S_HEAD "    supervision:\n      backoff_ms: [6, 5]\n", "5:19",
                       "min 6 in 'backoff_ms' is above max 5"));
    ZS_CHECK(s_rejects(S_HEAD "supervision: {backoff_ms: [5]}\n", "4:27",
                       "expected 2 items [min, max] in 'backoff_ms', found 1"));
    ZS_CHECK(s_rejects(S_HEAD "supervision: {backoff_ms: [1, 2, 3]}\n", "4:27",
                       "expected 2 items [min, max] in 'backoff_ms', found 3"));
    ZS_CHECK(s_rejects(S_HEAD "supervision: {backoff_ms: []}\n", "4:27",
                       "expected 2 items [min, max] in 'backoff_ms', found 0"));
    ZS_CHECK(s_rejects(S_HEAD "supervision: {backoff_ms: 100}\n", "4:27",
                       "expected sequence [min, max] for 'backoff_ms'"));
    ZS_CHECK(s_rejects(S_HEAD "supervision: {backoff_ms: {min: 1, max: 2}}\n", "4:27",
                       "expected sequence [min, max] for 'backoff_ms'"));
    ZS_CHECK(s_rejects(S_HEAD "supervision: {backoff_ms: ['5', 6]}\n", "4:28",
                       "expected integer for 'backoff_ms'"));
    ZS_CHECK(s_rejects(S_HEAD "supervision: {backoff_ms: [5, [6]]}\n", "4:31",
                       "expected integer for 'backoff_ms'"));
    ZS_CHECK(s_rejects(S_HEAD "supervision: {backoff_ms: [5, 1.5]}\n", "4:31",
                       "expected integer for 'backoff_ms'"));
}

static void
test_supervision_intensity(void)
{
    ZS_CHECK(s_accepts(S_HEAD "supervision: {max_restarts: 0, within_s: 1}\n"));
    ZS_CHECK(s_accepts(S_HEAD "supervision: {max_restarts: 1000, within_s: 86400}\n"));
    ZS_CHECK(s_rejects(S_HEAD "supervision: {max_restarts: 1001}\n", "4:29",
                       "value 1001 for 'max_restarts' is out of range (expected "
                       "0..1000)"));
    ZS_CHECK(s_rejects(S_HEAD "supervision: {max_restarts: -1}\n", "4:29",
                       "value -1 for 'max_restarts' is out of range"));
    ZS_CHECK(s_rejects(S_HEAD "supervision: {max_restarts: ten}\n", "4:29",
                       "expected integer for 'max_restarts'"));
    ZS_CHECK(s_rejects(S_HEAD "    supervision: {within_s: 0}\n", "4:29",
                       "value 0 for 'within_s' is out of range (expected 1..86400)"));
    ZS_CHECK(s_rejects(S_HEAD "    supervision: {within_s: 86401}\n", "4:29",
                       "value 86401 for 'within_s' is out of range"));
}

//  ---------------------------------------------------------------------------------------
//  Shipped swarm files

static bool
s_is_yaml(const char *name)
{
    size_t len = strlen(name);
    return len > 5 && strcmp(name + len - 5, ".yaml") == 0;
}

static void
test_shipped(void)
{
    const char *root = getenv("ZS_SOURCE_ROOT");
    if (!root) {
        printf("note: ZS_SOURCE_ROOT is not set: skipping the swarms/*.yaml check\n");
        return;
    }
    char dir_path[4096];
    snprintf(dir_path, sizeof dir_path, "%s/swarms", root);
    DIR *dir = opendir(dir_path);
    ZS_CHECK(dir);
    int loaded = 0, failed = 0;
    for (struct dirent *entry = readdir(dir); entry; entry = readdir(dir)) {
        char path[8192];
        zs_error_t err;
        snprintf(path, sizeof path, "%s/%s", dir_path, entry->d_name);
        zs_swarm_t *swarm = s_is_yaml(entry->d_name) ? zs_swarm_load(path, &err) : NULL;
        loaded += swarm != NULL;
        failed += s_is_yaml(entry->d_name) && !swarm;
        if (s_is_yaml(entry->d_name) && !swarm) {
            fprintf(stderr, "  %s\n", err.text);
        }
        zs_swarm_destroy(&swarm);
    }
    closedir(dir);
    ZS_CHECK(failed == 0);
    ZS_CHECK(loaded >= 2);
}

//  The quickstart is what the docs show: two builtin echo agents, two shell agents
static void
test_quickstart(void)
{
    const char *root = getenv("ZS_SOURCE_ROOT");
    if (!root) {
        printf("note: ZS_SOURCE_ROOT is not set: skipping the quickstart check\n");
        return;
    }
    char path[4096];
    zs_error_t err;
    snprintf(path, sizeof path, "%s/swarms/quickstart.yaml", root);
    zs_swarm_t *swarm = zs_swarm_load(path, &err);
    ZS_CHECK(swarm);
    const zs_swarm_type_t *echo = zs_swarm_type_find(swarm, "echo");
    const zs_swarm_type_t *shell = zs_swarm_type_find(swarm, "shell");
    bool ok = echo && shell && strcmp(swarm->name, "quickstart") == 0 &&
              echo->count == 2 && echo->handler == ZS_HANDLER_BUILTIN &&
              echo->concurrency == 4 && echo->cap_count == 3 && shell->count == 2 &&
              shell->handler == ZS_HANDLER_EXEC && shell->concurrency == 2 &&
              strcmp(shell->argv[0], "/bin/sh") == 0 &&
              strcmp(swarm->bind_agents, ZS_SWARM_DEFAULT_AGENTS) == 0 &&
              swarm->heartbeat_ms == 250 && swarm->liveness == 4;
    zs_swarm_destroy(&swarm);
    ZS_CHECK(ok);
}

//  ---------------------------------------------------------------------------------------
//  Security

static void
test_security(void)
{
    zs_swarm_t *swarm = s_parse(S_HEAD "security:\n"
                                       "  cert: certs/coord_secret\n"
                                       "  agents: certs/agents\n"
                                       "  clients: certs/clients\n"
                                       "  agent_cert: certs/local_secret\n");
    ZS_CHECK(swarm);
    ZS_CHECK_STR(swarm->security.cert, "certs/coord_secret");
    ZS_CHECK_STR(swarm->security.agents, "certs/agents");
    ZS_CHECK_STR(swarm->security.clients, "certs/clients");
    ZS_CHECK_STR(swarm->security.agent_cert, "certs/local_secret");
    zs_swarm_destroy(&swarm);
    swarm = s_parse(S_HEAD "security: {cert: c_secret}\n");
    ZS_CHECK(swarm);
    ZS_CHECK_STR(swarm->security.cert, "c_secret");
    ZS_CHECK(!swarm->security.agents && !swarm->security.clients);
    ZS_CHECK(!swarm->security.agent_cert);
    zs_swarm_destroy(&swarm);
    swarm = s_parse(S_HEAD);
    ZS_CHECK(swarm && !swarm->security.cert);
    zs_swarm_destroy(&swarm);
}

static void
test_security_rejects(void)
{
    ZS_CHECK(s_rejects(S_HEAD "security: {agents: a}\n", "4:11",
                       "missing required key 'cert' in 'security'"));
    ZS_CHECK(s_rejects(S_HEAD "security: {cert: c, key: k}\n", "4:21",
                       "unknown key 'key' in 'security' (expected one of: cert, agents, "
                       "clients, agent_cert, ids)"));
    ZS_CHECK(s_rejects(S_HEAD "security: {cert: ''}\n", "4:18",
                       "expected a path of 1 to 4096 bytes for 'cert'"));
    ZS_CHECK(s_rejects(S_HEAD "security: {cert: c, agents: [a]}\n", "4:29",
                       "expected string for 'agents'"));
    ZS_CHECK(s_rejects(S_HEAD "security: c\n", "4:11", "expected mapping"));
}

//  'security.ids' binds agent ids, and prefixes of them, to key names
static void
test_security_ids(void)
{
    zs_swarm_t *swarm = s_parse(S_HEAD "security:\n"
                                       "  cert: c\n"
                                       "  ids:\n"
                                       "    gpu box: [gpu-1, gpu-2]\n"
                                       "    edge1: ['edge1.*', 'solo']\n");
    ZS_CHECK(swarm);
    ZS_CHECK(swarm->security.id_count == 4);
    ZS_CHECK_STR(zs_swarm_id_owner(swarm, "gpu-1"), "gpu box");
    ZS_CHECK_STR(zs_swarm_id_owner(swarm, "gpu-2"), "gpu box");
    ZS_CHECK(!zs_swarm_id_owner(swarm, "gpu-3") && !zs_swarm_id_owner(swarm, "gpu-"));
    ZS_CHECK_STR(zs_swarm_id_owner(swarm, "edge1.worker-7"), "edge1");
    ZS_CHECK_STR(zs_swarm_id_owner(swarm, "edge1."), "edge1");
    ZS_CHECK(!zs_swarm_id_owner(swarm, "edge1"));
    ZS_CHECK_STR(zs_swarm_id_owner(swarm, "solo"), "edge1");
    ZS_CHECK(!zs_swarm_id_owner(swarm, "solo-2"));
    zs_swarm_destroy(&swarm);
    //  One key may list overlapping patterns: they have one owner
    ZS_CHECK(s_accepts(S_HEAD "security: {cert: c, ids: {k: ['a*', 'ab*', abc]}}\n"));
    ZS_CHECK(s_accepts(S_HEAD "security: {cert: c, ids: {k: [ab], j: ['abc*', a]}}\n"));
}

static void
test_security_ids_rejects(void)
{
    ZS_CHECK(s_rejects(S_HEAD "security: {cert: c, ids: [a]}\n", "4:26",
                       "expected mapping of key names to lists of ids for 'ids'"));
    ZS_CHECK(s_rejects(S_HEAD "security: {cert: c, ids: {k: a}}\n", "4:30",
                       "expected sequence"));
    ZS_CHECK(s_rejects(S_HEAD "security: {cert: c, ids: {k: []}}\n", "4:30",
                       "expected 1..64 items"));
    ZS_CHECK(s_rejects(S_HEAD "security: {cert: c, ids: {k: ['a b']}}\n", "4:31",
                       "invalid id 'a b' in 'ids'"));
    ZS_CHECK(s_rejects(S_HEAD "security: {cert: c, ids: {k: ['*']}}\n", "4:31",
                       "invalid id '*' in 'ids'"));
    ZS_CHECK(s_rejects(S_HEAD "security: {cert: c, ids: {k: ['a*b']}}\n", "4:31",
                       "invalid id 'a*b'"));
    ZS_CHECK(s_rejects(S_HEAD "security: {cert: c, ids: {'a/b': [x]}}\n", "4:27",
                       "invalid key name 'a/b' in 'ids'"));
    ZS_CHECK(s_rejects(S_HEAD "security: {cert: c, ids: {k: [x], j: [x]}}\n", "4:39",
                       "id 'x' of key 'j' overlaps 'x' of key 'k' in 'ids'"));
    ZS_CHECK(s_rejects(S_HEAD "security: {cert: c, ids: {k: ['e.*'], j: [e.w-1]}}\n",
                       "4:43", "id 'e.w-1' of key 'j' overlaps 'e.*' of key 'k'"));
    ZS_CHECK(s_rejects(S_HEAD "security: {cert: c, ids: {k: [ab], j: ['a*']}}\n", "4:40",
                       "id 'a*' of key 'j' overlaps 'ab' of key 'k'"));
}

//  With security, any address may be bound; 'security' may follow 'bind'
static void
test_security_binds(void)
{
    ZS_CHECK(s_accepts(S_HEAD "bind: {agents: 'tcp://0.0.0.0:7600'}\n"
                              "security: {cert: c}\n"));
    ZS_CHECK(s_accepts(S_HEAD
                       "security: {cert: c}\n"
                       "bind: {control: 'tcp://*:7602', events: 'tcp://eth0:1'}\n"));
}

static const zs_test_case_t s_cases[] = {
    {"full_file", test_full_file},
    {"defaults", test_defaults},
    {"yaml_forms", test_yaml_forms},
    {"file_not_found", test_file_not_found},
    {"load_file", test_load_file},
    {"file_too_large", test_file_too_large},
    {"yaml_syntax", test_yaml_syntax},
    {"yaml_encoding", test_yaml_encoding},
    {"empty_file", test_empty_file},
    {"top_not_mapping", test_top_not_mapping},
    {"aliases_refused", test_aliases_refused},
    {"tags_refused", test_tags_refused},
    {"one_document", test_one_document},
    {"nesting_bounded", test_nesting_bounded},
    {"null_value", test_null_value},
    {"unknown_top_key", test_unknown_top_key},
    {"duplicate_key", test_duplicate_key},
    {"name_required", test_name_required},
    {"name_invalid", test_name_invalid},
    {"topology", test_topology},
    {"reports_to", test_reports_to},
    {"vote", test_vote},
    {"ring", test_ring},
    {"workflow_topology", test_workflow_topology},
    {"strategy", test_strategy},
    {"strategy_of_type", test_strategy_of_type},
    {"auction_ms", test_auction_ms},
    {"insecure_bool", test_insecure_bool},
    {"bind_mapping", test_bind_mapping},
    {"bind_endpoint_syntax", test_bind_endpoint_syntax},
    {"bind_loopback", test_bind_loopback},
    {"security", test_security},
    {"security_rejects", test_security_rejects},
    {"security_binds", test_security_binds},
    {"security_ids", test_security_ids},
    {"security_ids_rejects", test_security_ids_rejects},
    {"bind_insecure", test_bind_insecure},
    {"bind_distinct", test_bind_distinct},
    {"heartbeat", test_heartbeat},
    {"tasks", test_tasks},
    {"tasks_bytes", test_tasks_bytes},
    {"journal", test_journal},
    {"agents_required", test_agents_required},
    {"agents_bounded", test_agents_bounded},
    {"type_required", test_type_required},
    {"type_invalid", test_type_invalid},
    {"type_unique", test_type_unique},
    {"type_unknown_key", test_type_unknown_key},
    {"count", test_count},
    {"handler", test_handler},
    {"llm", test_llm},
    {"llm_defaults", test_llm_defaults},
    {"llm_rules", test_llm_rules},
    {"providers_rules", test_providers_rules},
    {"http", test_http},
    {"download", test_download},
    {"command_rules", test_command_rules},
    {"command_bounded", test_command_bounded},
    {"program", test_program},
    {"capabilities", test_capabilities},
    {"concurrency", test_concurrency},
    {"nodes_placed", test_nodes_placed},
    {"nodes_rejects", test_nodes_rejects},
    {"supervision_override", test_supervision_override},
    {"supervision_mapping", test_supervision_mapping},
    {"supervision_words", test_supervision_words},
    {"supervision_backoff", test_supervision_backoff},
    {"supervision_intensity", test_supervision_intensity},
    {"shipped", test_shipped},
    {"quickstart", test_quickstart},
};

ZS_TEST_MAIN(s_cases)
