//  test_owners - which key may register each agent id: first come under no binding,
//  the swarm file's bindings first, and a full table that refuses rather than forgets

#include "coordinator/zs_owners.h"
#include "tests/unit/zs_test.h"

#include <czmq.h>
#include <stdio.h>
#include <string.h>

#define S_SWARM                                                                          \
    "name: t\n"                                                                          \
    "security: {cert: c, ids: {gpu: [gpu-1], edge1: ['edge1.*']}}\n"                     \
    "agents:\n"                                                                          \
    "  - type: a\n"

//  Normal use: the first key to register an id owns it; others are told who does
static void
test_first_claim(void)
{
    zs_owners_t *owners = zs_owners_new(NULL);
    const char *owner = NULL;
    ZS_CHECK(zs_owners_claim(owners, "w-1", "alice", &owner) == 0);
    ZS_CHECK(owner == NULL);
    ZS_CHECK(zs_owners_claim(owners, "w-1", "alice", &owner) == 0);
    ZS_CHECK(zs_owners_claim(owners, "w-1", "mallory", &owner) == ZS_OWNERS_E_TAKEN);
    ZS_CHECK_STR(owner, "alice");
    ZS_CHECK(zs_owners_claim(owners, "w-2", "mallory", &owner) == 0);
    ZS_CHECK(zs_owners_claim(owners, "w-2", "alice", &owner) == ZS_OWNERS_E_TAKEN);
    ZS_CHECK_STR(owner, "mallory");
    ZS_CHECK(zs_owners_size(owners) == 2);
    zs_owners_destroy(&owners);
    ZS_CHECK(owners == NULL);
    zs_owners_destroy(&owners);
}

//  The swarm file's bindings hold from the first hello, for ids and prefixes, and are
//  never copied into the run's own table
static void
test_swarm_bindings(void)
{
    zs_error_t err;
    zs_swarm_t *swarm = zs_swarm_parse(S_SWARM, strlen(S_SWARM), "t.yaml", &err);
    ZS_CHECK_OK(swarm ? 0 : -1, err);
    zs_owners_t *owners = zs_owners_new(swarm);
    const char *owner = NULL;
    bool ok = zs_owners_claim(owners, "gpu-1", "mallory", &owner) == ZS_OWNERS_E_TAKEN &&
              streq(owner, "gpu");
    ok = ok && zs_owners_claim(owners, "gpu-1", "gpu", &owner) == 0;
    ok = ok && zs_owners_claim(owners, "edge1.w-3", "gpu", &owner) == ZS_OWNERS_E_TAKEN &&
         streq(owner, "edge1");
    ok = ok && zs_owners_claim(owners, "edge1.w-3", "edge1", &owner) == 0;
    ok = ok && zs_owners_claim(owners, "gpu-2", "mallory", &owner) == 0;
    ok = ok && zs_owners_size(owners) == 1;
    zs_owners_destroy(&owners);
    zs_swarm_destroy(&swarm);
    ZS_CHECK(ok);
}

//  Past the bound a new id is refused; the bound ids keep their owners
static void
test_full(void)
{
    zs_owners_t *owners = zs_owners_new(NULL);
    const char *owner = NULL;
    bool ok = true;
    for (unsigned i = 0; ok && i < ZS_OWNERS_MAX; i++) {
        char id[ZS_MSG_NAME_MAX];
        snprintf(id, sizeof id, "w-%u", i);
        ok = zs_owners_claim(owners, id, i % 2 ? "alice" : "bob", &owner) == 0;
    }
    ok = ok && zs_owners_claim(owners, "one-more", "alice", &owner) == ZS_OWNERS_E_FULL;
    ok = ok && zs_owners_claim(owners, "w-1", "alice", &owner) == 0;
    ok = ok && zs_owners_claim(owners, "w-0", "alice", &owner) == ZS_OWNERS_E_TAKEN &&
         streq(owner, "bob");
    ok = ok && zs_owners_size(owners) == ZS_OWNERS_MAX;
    zs_owners_destroy(&owners);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"first_claim", test_first_claim},
    {"swarm_bindings", test_swarm_bindings},
    {"full", test_full},
};

ZS_TEST_MAIN(s_cases)
