//  Unit tests for zs_workflow: a swarm file's workflow, read through zs_swarm_parse

#include <string.h>

#include "coordinator/swarm/zs_swarm.h"
#include "tests/unit/zs_test.h"

#define S_HEAD "name: w\nagents:\n  - type: a\nworkflow:\n"

static zs_swarm_t *
s_parse(const char *text, zs_error_t *err)
{
    return zs_swarm_parse(text, strlen(text), "w.yaml", err);
}

//  Parses text that must fail, with this position and message fragment
static bool
s_rejects(const char *text, const char *where, const char *fragment)
{
    zs_error_t err;
    zs_error_init(&err);
    zs_swarm_t *swarm = s_parse(text, &err);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "w.yaml:%s: ", where);
    bool ok = !swarm && strncmp(err.text, prefix, strlen(prefix)) == 0 &&
              strstr(err.text, fragment) != NULL;
    if (!ok) {
        fprintf(stderr, "  want '%s%s', got '%s'\n", prefix, fragment, err.text);
    }
    zs_swarm_destroy(&swarm);
    return ok;
}

static const char *
s_step_id(const zs_swarm_t *swarm, size_t i)
{
    return i < swarm->workflow.count ? swarm->workflow.steps[i].id : "";
}

//  Steps come out after their dependencies, in file order where the graph allows
static void
test_order(void)
{
    zs_error_t err;
    zs_swarm_t *swarm = s_parse(S_HEAD "  - {id: merge, type: a, deps: [p1, p2]}\n"
                                       "  - {id: p2, type: a, deps: [fetch]}\n"
                                       "  - {id: fetch, type: a, payload: 'http://x'}\n"
                                       "  - {id: p1, type: a, deps: [fetch], "
                                       "timeout_ms: 500, retries: 0}\n",
                                &err);
    ZS_CHECK_OK(swarm ? 0 : -1, err);
    if (!swarm) {
        return;
    }
    ZS_CHECK(swarm->workflow.count == 4);
    ZS_CHECK_STR(s_step_id(swarm, 0), "fetch");
    ZS_CHECK_STR(s_step_id(swarm, 1), "p2");
    ZS_CHECK_STR(s_step_id(swarm, 2), "p1");
    ZS_CHECK_STR(s_step_id(swarm, 3), "merge");
    const zs_workflow_step_t *fetch = &swarm->workflow.steps[0];
    ZS_CHECK_STR(fetch->payload, "http://x");
    ZS_CHECK(fetch->dep_count == 0 && !fetch->retries_set && fetch->timeout_ms == 0);
    const zs_workflow_step_t *p1 = &swarm->workflow.steps[2];
    ZS_CHECK(p1->retries_set && p1->retries == 0 && p1->timeout_ms == 500);
    ZS_CHECK(swarm->workflow.steps[3].dep_count == 2);
    zs_swarm_destroy(&swarm);
    //  no workflow at all is fine
    swarm = s_parse("name: w\nagents:\n  - type: a\n", &err);
    ZS_CHECK(swarm && swarm->workflow.count == 0);
    zs_swarm_destroy(&swarm);
}

static void
test_rejects(void)
{
    ZS_CHECK(s_rejects(S_HEAD "  - {id: x, type: a, deps: [x]}\n", "5:5",
                       "step 'x' depends on itself, 'x'"));
    ZS_CHECK(s_rejects(S_HEAD "  - {id: x, type: a, deps: [y]}\n", "5:5",
                       "step 'x' depends on no workflow step 'y'"));
    ZS_CHECK(s_rejects(S_HEAD "  - {id: x, type: a}\n  - {id: x, type: a}\n", "6:5",
                       "duplicate workflow step 'x'"));
    ZS_CHECK(s_rejects(S_HEAD "  - {id: a, type: a, deps: [c]}\n"
                              "  - {id: b, type: a, deps: [a]}\n"
                              "  - {id: c, type: a, deps: [b]}\n"
                              "  - {id: d, type: a}\n",
                       "5:5", "workflow step 'a' is on a dependency cycle"));
    //  A step that only waits for a cycle is not named: one on it is
    ZS_CHECK(s_rejects(S_HEAD "  - {id: x, type: a, deps: [y]}\n"
                              "  - {id: y, type: a, deps: [z]}\n"
                              "  - {id: z, type: a, deps: [y]}\n",
                       "6:5", "workflow step 'y' is on a dependency cycle"));
    ZS_CHECK(s_rejects(S_HEAD "  - {id: 'a b', type: a}\n", "5:10",
                       "invalid task id 'a b' for 'id'"));
    ZS_CHECK(s_rejects(S_HEAD "  - {type: a}\n", "5:5",
                       "missing required key 'id' in workflow step"));
    ZS_CHECK(s_rejects(S_HEAD "  - {id: x, kind: a}\n", "5:13",
                       "unknown key 'kind' in workflow step"));
    ZS_CHECK(s_rejects(S_HEAD "  - {id: x, type: a, retries: 101}\n", "5:31",
                       "value 101 for 'retries' is out of range (expected 0..100)"));
    ZS_CHECK(s_rejects(S_HEAD "  - {id: x, type: a, timeout_ms: 0}\n", "5:34",
                       "for 'timeout_ms' is out of range"));
    ZS_CHECK(s_rejects(S_HEAD "  - x\n", "5:5", "expected mapping for workflow step"));
    ZS_CHECK(s_rejects("name: w\nagents:\n  - type: a\nworkflow: []\n", "4:11",
                       "expected 1..1000 items in 'workflow', found 0"));
}

static const zs_test_case_t s_cases[] = {
    {"order", test_order},
    {"rejects", test_rejects},
};

ZS_TEST_MAIN(s_cases)
