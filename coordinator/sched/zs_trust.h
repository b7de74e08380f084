//  zs_trust - how far an agent's outcomes say it can be trusted (docs/scheduling.md)
//
//  An agent's record is a Beta(alpha, beta) distribution over its chance of success:
//  it starts at Beta(1, 1), knowing nothing; each success adds 1 to alpha, each failure
//  or timeout 1 to beta. Old evidence fades toward that neutral start: the evidence
//  beyond it (alpha - 1, beta - 1) halves every ZS_TRUST_HALF_LIFE_MS, so an agent that
//  failed an hour ago and works now is trusted again. Its score is the distribution's
//  mean; its conservative score the 5% quantile (a one-sided 95% lower bound), which is
//  low until there is evidence, whatever the mean. Pure arithmetic: the caller passes
//  the time.

#ifndef ZS_TRUST_H
#define ZS_TRUST_H

#include <stdint.h>

#define ZS_TRUST_HALF_LIFE_MS (10 * 60 * 1000)  //  evidence halves every 10 minutes

typedef enum {
    ZS_TRUST_SUCCESS,  //  a result with status ok
    ZS_TRUST_FAILURE,  //  a failed attempt, or one lost with its agent
    ZS_TRUST_TIMEOUT,  //  no result within the attempt's timeout
} zs_trust_outcome_t;

typedef struct {
    double alpha;   //  1 + successes, decayed to at_ms
    double beta;    //  1 + failures and timeouts, decayed to at_ms
    int64_t at_ms;  //  when alpha and beta were last decayed, a monotonic ms clock
} zs_trust_t;

//  Start knowing nothing, at now_ms.
void zs_trust_init(zs_trust_t *self, int64_t now_ms);

//  Add one outcome at now_ms (earlier evidence decayed first).
void zs_trust_record(zs_trust_t *self, zs_trust_outcome_t outcome, int64_t now_ms);

//  The mean chance of success at now_ms, in (0, 1): 1/2 knowing nothing.
double zs_trust_score(const zs_trust_t *self, int64_t now_ms);

//  The chance of success the agent beats with 95% confidence at now_ms: the 5% quantile
//  of its distribution, in [0, 1). 0.05 knowing nothing.
double zs_trust_lower(const zs_trust_t *self, int64_t now_ms);

//  I_x(a, b): the regularized incomplete beta function, the Beta(a, b) distribution's
//  cumulative probability at x in [0, 1], for a, b > 0.
double zs_trust_beta_cdf(double x, double a, double b);

#endif
