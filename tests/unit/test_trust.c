//  test_trust - the Beta record of an agent's outcomes: its mean, its 5% quantile, and
//  the fading of old evidence

#include "tests/unit/zs_test.h"
#include "coordinator/sched/zs_trust.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#define S_HALF ZS_TRUST_HALF_LIFE_MS

static bool
s_near(double a, double b, double tolerance)
{
    if (fabs(a - b) <= tolerance) {
        return true;
    }
    fprintf(stderr, "  %.12f is not %.12f (within %g)\n", a, b, tolerance);
    return false;
}

//  Closed forms: I_x(1, 1) = x, I_x(a, 1) = x^a, I_x(1, b) = 1 - (1 - x)^b, and
//  I_1/2(a, a) = 1/2 by symmetry
static void
test_beta_cdf(void)
{
    for (double x = 0.05; x < 1; x += 0.1) {
        ZS_CHECK(s_near(zs_trust_beta_cdf(x, 1, 1), x, 1e-12));
        ZS_CHECK(s_near(zs_trust_beta_cdf(x, 7, 1), pow(x, 7), 1e-12));
        ZS_CHECK(s_near(zs_trust_beta_cdf(x, 1, 3.5), 1 - pow(1 - x, 3.5), 1e-12));
    }
    ZS_CHECK(s_near(zs_trust_beta_cdf(0.5, 2, 2), 0.5, 1e-12));
    ZS_CHECK(s_near(zs_trust_beta_cdf(0.5, 300, 300), 0.5, 1e-9));
    //  I_0.3(2, 3) = 1 - (1 - x)^3 (1 + 3x) for a = 2, b = 3: 0.3483
    ZS_CHECK(
        s_near(zs_trust_beta_cdf(0.3, 2, 3), 1 - pow(0.7, 3) * (1 + 3 * 0.3), 1e-12));
    ZS_CHECK(zs_trust_beta_cdf(0, 2, 3) == 0 && zs_trust_beta_cdf(1, 2, 3) == 1);
}

static void
test_knowing_nothing(void)
{
    zs_trust_t trust;
    zs_trust_init(&trust, 1000);
    ZS_CHECK(zs_trust_score(&trust, 1000) == 0.5);
    //  Beta(1, 1) is uniform: its 5% quantile is 0.05
    ZS_CHECK(s_near(zs_trust_lower(&trust, 1000), 0.05, 1e-9));
    //  Time alone changes nothing
    ZS_CHECK(zs_trust_score(&trust, 1000 + 100 * S_HALF) == 0.5);
}

static void
test_outcomes(void)
{
    zs_trust_t good, bad;
    zs_trust_init(&good, 0);
    zs_trust_init(&bad, 0);
    for (int i = 0; i < 9; i++) {
        zs_trust_record(&good, ZS_TRUST_SUCCESS, 0);
    }
    zs_trust_record(&bad, ZS_TRUST_FAILURE, 0);
    zs_trust_record(&bad, ZS_TRUST_TIMEOUT, 0);
    ZS_CHECK(good.alpha == 10 && good.beta == 1);
    ZS_CHECK(bad.alpha == 1 && bad.beta == 3);
    ZS_CHECK(s_near(zs_trust_score(&good, 0), 10.0 / 11, 1e-12));
    ZS_CHECK(s_near(zs_trust_score(&bad, 0), 0.25, 1e-12));
    //  Beta(10, 1): cdf x^10 reaches 5% at 0.05^(1/10)
    ZS_CHECK(s_near(zs_trust_lower(&good, 0), pow(0.05, 0.1), 1e-9));
    //  Beta(1, 3): 1 - (1 - x)^3 = 0.05
    ZS_CHECK(s_near(zs_trust_lower(&bad, 0), 1 - pow(0.95, 1.0 / 3), 1e-9));
    //  The conservative score needs evidence: one success is not nine
    zs_trust_t once;
    zs_trust_init(&once, 0);
    zs_trust_record(&once, ZS_TRUST_SUCCESS, 0);
    ZS_CHECK(zs_trust_lower(&once, 0) < zs_trust_lower(&good, 0));
    ZS_CHECK(zs_trust_score(&once, 0) < zs_trust_score(&good, 0));
}

static void
test_decay(void)
{
    zs_trust_t trust;
    zs_trust_init(&trust, 0);
    for (int i = 0; i < 9; i++) {
        zs_trust_record(&trust, ZS_TRUST_FAILURE, 0);
    }
    //  One half-life: 9 failures weigh 4.5
    ZS_CHECK(s_near(zs_trust_score(&trust, S_HALF), 1 / 6.5, 1e-12));
    //  A success then counts against the faded evidence
    zs_trust_record(&trust, ZS_TRUST_SUCCESS, S_HALF);
    ZS_CHECK(s_near(trust.alpha, 2, 1e-12) && s_near(trust.beta, 5.5, 1e-12));
    //  Long after, back to neutral
    ZS_CHECK(s_near(zs_trust_score(&trust, 60 * S_HALF), 0.5, 1e-9));
    //  A clock read that goes back decays nothing
    ZS_CHECK(s_near(zs_trust_score(&trust, 0), 2 / 7.5, 1e-12));
}

//  Long records: the fraction and the bisection hold at the ends of the range
static void
test_extremes(void)
{
    zs_trust_t good, bad;
    zs_trust_init(&good, 0);
    zs_trust_init(&bad, 0);
    for (int i = 0; i < 999; i++) {
        zs_trust_record(&good, ZS_TRUST_SUCCESS, 0);
        zs_trust_record(&bad, ZS_TRUST_FAILURE, 0);
    }
    //  Beta(1000, 1): x^1000 = 0.05; Beta(1, 1000): 1 - (1 - x)^1000 = 0.05
    ZS_CHECK(s_near(zs_trust_lower(&good, 0), pow(0.05, 1e-3), 1e-9));
    ZS_CHECK(s_near(zs_trust_lower(&bad, 0), 1 - pow(0.95, 1e-3), 1e-9));
    ZS_CHECK(s_near(zs_trust_score(&good, 0), 1000.0 / 1001, 1e-12));
    //  Far in the future: neutral, no NaN
    ZS_CHECK(s_near(zs_trust_score(&good, INT64_MAX / 2), 0.5, 1e-12));
    ZS_CHECK(s_near(zs_trust_lower(&good, INT64_MAX / 2), 0.05, 1e-9));
}

static const zs_test_case_t s_cases[] = {
    {"beta_cdf", test_beta_cdf}, {"knowing_nothing", test_knowing_nothing},
    {"outcomes", test_outcomes}, {"decay", test_decay},
    {"extremes", test_extremes},
};

ZS_TEST_MAIN(s_cases)
