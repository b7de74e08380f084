//  test_topology - who may talk to whom under each topology, each agent's role, and
//  which task types a client may submit

#include "tests/unit/zs_test.h"
#include "coordinator/swarm/zs_topology.h"

#include <stdlib.h>
#include <string.h>

static zs_swarm_t *
s_swarm(const char *text)
{
    zs_error_t err;
    zs_error_init(&err);
    zs_swarm_t *swarm = zs_swarm_parse(text, strlen(text), "t.yaml", &err);
    if (!swarm) {
        fprintf(stderr, "  unexpected error: %s\n", err.text);
    }
    return swarm;
}

//  Links are symmetric: a pair that answers differently both ways ends the test
static bool
s_linked(const zs_swarm_t *swarm, zs_topology_place_t a, zs_topology_place_t b)
{
    bool there = zs_topology_linked(swarm, &a, &b);
    bool back = zs_topology_linked(swarm, &b, &a);
    if (there != back) {
        fprintf(stderr, "  asymmetric link\n");
        abort();
    }
    return there;
}

static bool
s_admits(const zs_swarm_t *swarm, const char *ttype, const char *fragment)
{
    zs_error_t err;
    zs_error_init(&err);
    int rc = zs_topology_admit(swarm, ttype, &err);
    if (!fragment) {
        return rc == 0;
    }
    return rc == -1 && err.code == ZS_ERR_FORBIDDEN && strstr(err.text, fragment);
}

static void
test_star(void)
{
    zs_swarm_t *swarm = s_swarm("name: s\nagents: [{type: a}, {type: b}]\n");
    ZS_CHECK(swarm);
    zs_topology_place_t a = zs_topology_place(swarm, "a");
    zs_topology_place_t b = zs_topology_place(swarm, "b");
    ZS_CHECK(!s_linked(swarm, a, b));
    ZS_CHECK(!s_linked(swarm, a, a));
    ZS_CHECK_STR(zs_topology_role(swarm, &a), "agent");
    ZS_CHECK_STR(zs_topology_name(swarm->topology), "star");
    ZS_CHECK(s_admits(swarm, "a", NULL) && s_admits(swarm, "other", NULL));
    ZS_CHECK(!zs_topology_team_task(swarm, "a") && !zs_topology_ring_task(swarm, "a"));
    zs_swarm_destroy(&swarm);
}

static void
test_mesh(void)
{
    zs_swarm_t *swarm =
        s_swarm("name: m\ntopology: mesh\nagents: [{type: a}, {type: b}]\n");
    ZS_CHECK(swarm);
    zs_topology_place_t a = zs_topology_place(swarm, "a");
    zs_topology_place_t b = zs_topology_place(swarm, "b");
    zs_topology_place_t stranger = zs_topology_place(swarm, "not-in-file");
    ZS_CHECK(s_linked(swarm, a, b) && s_linked(swarm, a, a));
    ZS_CHECK(s_linked(swarm, a, stranger));
    ZS_CHECK_STR(zs_topology_role(swarm, &b), "peer");
    ZS_CHECK(s_admits(swarm, "b", NULL));
    zs_swarm_destroy(&swarm);
}

static void
test_hierarchical(void)
{
    zs_swarm_t *swarm = s_swarm("name: h\ntopology: hierarchical\nagents:\n"
                                "  - {type: boss}\n"
                                "  - {type: w, reports_to: boss}\n"
                                "  - {type: v, reports_to: boss}\n"
                                "  - {type: chief}\n"
                                "  - {type: x, reports_to: chief}\n"
                                "  - {type: loner}\n");
    ZS_CHECK(swarm);
    zs_topology_place_t boss = zs_topology_place(swarm, "boss");
    zs_topology_place_t boss2 = zs_topology_place(swarm, "boss");
    zs_topology_place_t w = zs_topology_place(swarm, "w");
    zs_topology_place_t v = zs_topology_place(swarm, "v");
    zs_topology_place_t x = zs_topology_place(swarm, "x");
    zs_topology_place_t loner = zs_topology_place(swarm, "loner");
    ZS_CHECK_STR(boss.team, "boss");
    ZS_CHECK_STR(w.team, "boss");
    ZS_CHECK(!loner.team);
    //  Before a lead is chosen, no one is linked: members are all workers
    ZS_CHECK(!s_linked(swarm, boss, w));
    boss.lead = true;
    ZS_CHECK(s_linked(swarm, boss, w) && s_linked(swarm, boss, v));
    ZS_CHECK(s_linked(swarm, boss, boss2));  //  another agent of the lead type works
    ZS_CHECK(!s_linked(swarm, w, v));        //  workers talk only to their lead
    ZS_CHECK(!s_linked(swarm, boss, x));     //  nor across teams
    ZS_CHECK(!s_linked(swarm, boss, loner));
    ZS_CHECK_STR(zs_topology_role(swarm, &boss), "lead");
    ZS_CHECK_STR(zs_topology_role(swarm, &w), "worker");
    ZS_CHECK_STR(zs_topology_role(swarm, &loner), "agent");
    //  An elected worker leads the others, the lead type's agents included
    boss.lead = false;
    w.lead = true;
    ZS_CHECK(s_linked(swarm, w, v) && s_linked(swarm, w, boss));
    ZS_CHECK(!s_linked(swarm, v, boss));
    ZS_CHECK(s_admits(swarm, "boss", NULL) && s_admits(swarm, "loner", NULL));
    ZS_CHECK(s_admits(swarm, "w", "type 'w' reports to 'boss': submit to 'boss'"));
    ZS_CHECK(zs_topology_team_task(swarm, "boss") &&
             zs_topology_team_task(swarm, "chief"));
    ZS_CHECK(!zs_topology_team_task(swarm, "w") &&
             !zs_topology_team_task(swarm, "loner"));
    zs_swarm_destroy(&swarm);
}

static void
test_ring(void)
{
    zs_swarm_t *swarm = s_swarm("name: r\ntopology: ring\nring: [a, b, c, d]\nagents:\n"
                                "  [{type: a}, {type: b}, {type: c}, {type: d}, {type: "
                                "e}]\n");
    ZS_CHECK(swarm);
    zs_topology_place_t p[5];
    const char *types[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++) {
        p[i] = zs_topology_place(swarm, types[i]);
    }
    ZS_CHECK(p[0].stage == 0 && p[3].stage == 3 && p[4].stage == -1);
    ZS_CHECK(s_linked(swarm, p[0], p[1]) && s_linked(swarm, p[2], p[3]));
    ZS_CHECK(s_linked(swarm, p[3], p[0]));  //  the last stage feeds the first
    ZS_CHECK(!s_linked(swarm, p[0], p[2]) && !s_linked(swarm, p[1], p[3]));
    ZS_CHECK(!s_linked(swarm, p[1], p[1]));  //  agents of one stage are not neighbours
    ZS_CHECK(!s_linked(swarm, p[4], p[0]));
    ZS_CHECK_STR(zs_topology_role(swarm, &p[1]), "stage");
    ZS_CHECK_STR(zs_topology_role(swarm, &p[4]), "agent");
    ZS_CHECK(zs_topology_ring_task(swarm, "a") && !zs_topology_ring_task(swarm, "b"));
    ZS_CHECK(s_admits(swarm, "a", NULL) && s_admits(swarm, "e", NULL));
    ZS_CHECK(
        s_admits(swarm, "c", "type 'c' is ring stage 3: its input comes from stage 'b'"));
    zs_swarm_destroy(&swarm);

    //  Two stages: each is the other's neighbour both ways
    swarm = s_swarm(
        "name: r\ntopology: ring\nring: [b, a]\nagents: [{type: a}, {type: b}]\n");
    ZS_CHECK(swarm);
    zs_topology_place_t a = zs_topology_place(swarm, "a");
    zs_topology_place_t b = zs_topology_place(swarm, "b");
    ZS_CHECK(a.stage == 1 && b.stage == 0);
    ZS_CHECK(s_linked(swarm, a, b) && !s_linked(swarm, a, a));
    zs_swarm_destroy(&swarm);
}

static const zs_test_case_t s_cases[] = {
    {"star", test_star},
    {"mesh", test_mesh},
    {"hierarchical", test_hierarchical},
    {"ring", test_ring},
};

ZS_TEST_MAIN(s_cases)
