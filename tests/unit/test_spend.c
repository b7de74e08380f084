//  test_spend - the sums of what LLM calls spent: by pair, type, provider and swarm

#include "tests/unit/zs_test.h"
#include "coordinator/store/zs_spend.h"

#include <string.h>

static bool
s_equal(zs_spend_sum_t sum, uint64_t tok_in, uint64_t tok_out, double usd)
{
    bool ok = sum.tok_in == tok_in && sum.tok_out == tok_out && sum.usd == usd;
    if (!ok) {
        fprintf(stderr, "  got %llu in, %llu out, %.6f usd\n",
                (unsigned long long) sum.tok_in, (unsigned long long) sum.tok_out,
                sum.usd);
    }
    return ok;
}

//  Each call counts once in its pair, its type, its provider and the swarm
static void
test_sums(void)
{
    zs_spend_t *spend = zs_spend_new();
    ZS_CHECK(s_equal(zs_spend_swarm(spend), 0, 0, 0.0));
    ZS_CHECK(s_equal(zs_spend_type(spend, "coder"), 0, 0, 0.0));
    ZS_CHECK(s_equal(zs_spend_provider(spend, "local"), 0, 0, 0.0));
    zs_spend_add(spend, "local", "coder", &(zs_spend_sum_t){10, 20, 0.5});
    zs_spend_add(spend, "cloud", "coder", &(zs_spend_sum_t){1, 2, 0.25});
    zs_spend_add(spend, "local", "tester", &(zs_spend_sum_t){100, 0, 0.0});
    zs_spend_add(spend, "local", "coder", &(zs_spend_sum_t){5, 5, 0.125});
    ZS_CHECK(s_equal(zs_spend_swarm(spend), 116, 27, 0.875));
    ZS_CHECK(s_equal(zs_spend_type(spend, "coder"), 16, 27, 0.875));
    ZS_CHECK(s_equal(zs_spend_type(spend, "tester"), 100, 0, 0.0));
    ZS_CHECK(s_equal(zs_spend_provider(spend, "local"), 115, 25, 0.625));
    ZS_CHECK(s_equal(zs_spend_provider(spend, "cloud"), 1, 2, 0.25));
    zs_spend_sum_t swarm = zs_spend_swarm(spend);
    ZS_CHECK(zs_spend_tokens(&swarm) == 143);
    zs_spend_destroy(&spend);
    ZS_CHECK(spend == NULL);
    zs_spend_destroy(&spend);
}

typedef struct {
    zs_spend_t *copy;  //  what the pairs add up to again
    size_t pairs;      //  pairs seen
} s_each_t;

static void
s_copy_pair(void *arg, const char *provider, const char *atype, const zs_spend_sum_t *sum)
{
    s_each_t *each = arg;
    zs_spend_add(each->copy, provider, atype, sum);
    each->pairs++;
}

//  The pairs are what a compaction writes: adding them again gives every sum back
static void
test_each(void)
{
    zs_spend_t *spend = zs_spend_new();
    zs_spend_add(spend, "local", "coder", &(zs_spend_sum_t){10, 20, 0.5});
    zs_spend_add(spend, "cloud", "coder", &(zs_spend_sum_t){1, 2, 0.25});
    zs_spend_add(spend, "local", "tester", &(zs_spend_sum_t){100, 0, 0.0});
    zs_spend_add(spend, "local", "coder", &(zs_spend_sum_t){5, 5, 0.125});
    s_each_t each = {zs_spend_new(), 0};
    zs_spend_each(spend, s_copy_pair, &each);
    ZS_CHECK(each.pairs == 3);
    ZS_CHECK(s_equal(zs_spend_swarm(each.copy), 116, 27, 0.875));
    ZS_CHECK(s_equal(zs_spend_type(each.copy, "coder"), 16, 27, 0.875));
    ZS_CHECK(s_equal(zs_spend_provider(each.copy, "local"), 115, 25, 0.625));
    zs_spend_destroy(&each.copy);
    zs_spend_destroy(&spend);
}

static const zs_test_case_t s_cases[] = {
    {"sums", test_sums},
    {"each", test_each},
};

ZS_TEST_MAIN(s_cases)
