//  zs_trust - see zs_trust.h

#include "coordinator/sched/zs_trust.h"

#include <assert.h>
#include <math.h>

#define S_CF_ITERATIONS 200  //  continued fraction terms, far more than converging takes
#define S_CF_EPSILON    1e-12   //  a term's relative change that ends the fraction
#define S_TINY          1e-300  //  keeps the fraction's denominators off zero
#define S_BISECTIONS    60      //  halvings of [0, 1] that find a quantile to 1e-18
#define S_QUANTILE      0.05    //  the conservative score's: a one-sided 95% bound

//  The evidence beyond the neutral start, faded to now_ms
static void
s_decay(double *alpha, double *beta, int64_t from_ms, int64_t now_ms)
{
    if (now_ms <= from_ms) {
        return;
    }
    double keep = exp2(-(double) (now_ms - from_ms) / ZS_TRUST_HALF_LIFE_MS);
    *alpha = 1 + (*alpha - 1) * keep;
    *beta = 1 + (*beta - 1) * keep;
}

void
zs_trust_init(zs_trust_t *self, int64_t now_ms)
{
    assert(self);
    *self = (zs_trust_t){1, 1, now_ms};
}

void
zs_trust_record(zs_trust_t *self, zs_trust_outcome_t outcome, int64_t now_ms)
{
    assert(self);
    s_decay(&self->alpha, &self->beta, self->at_ms, now_ms);
    self->at_ms = now_ms > self->at_ms ? now_ms : self->at_ms;
    if (outcome == ZS_TRUST_SUCCESS) {
        self->alpha += 1;
    } else {
        self->beta += 1;
    }
}

double
zs_trust_score(const zs_trust_t *self, int64_t now_ms)
{
    assert(self);
    double alpha = self->alpha, beta = self->beta;
    s_decay(&alpha, &beta, self->at_ms, now_ms);
    return alpha / (alpha + beta);
}

//  The continued fraction of I_x(a, b), by the modified Lentz method; it converges
//  quickly for x < (a + 1) / (a + b + 2)
static double
s_fraction(double x, double a, double b)
{
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    d = 1 / (fabs(d) < S_TINY ? S_TINY : d);
    double f = d;
    for (int m = 1; m <= S_CF_ITERATIONS; m++) {
        //  Two steps per m: the even coefficient, then the odd one
        double even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
        double odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
        for (int step = 0; step < 2; step++) {
            double coeff = step == 0 ? even : odd;
            d = 1 + coeff * d;
            c = 1 + coeff / c;
            d = 1 / (fabs(d) < S_TINY ? S_TINY : d);
            c = fabs(c) < S_TINY ? S_TINY : c;
            f *= c * d;
            if (step == 1 && fabs(c * d - 1) < S_CF_EPSILON) {
                return f;
            }
        }
    }
    return f;
}

double
zs_trust_beta_cdf(double x, double a, double b)
{
    assert(a > 0 && b > 0);
    if (x <= 0) {
        return 0;
    }
    if (x >= 1) {
        return 1;
    }
    double front =
        exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    if (x < (a + 1) / (a + b + 2)) {
        return front * s_fraction(x, a, b) / a;
    }
    //  The symmetry I_x(a, b) = 1 - I_(1-x)(b, a) keeps the fraction where it converges
    return 1 - front * s_fraction(1 - x, b, a) / b;
}

double
zs_trust_lower(const zs_trust_t *self, int64_t now_ms)
{
    assert(self);
    double alpha = self->alpha, beta = self->beta;
    s_decay(&alpha, &beta, self->at_ms, now_ms);
    //  The cdf rises with x: bisect for the x where it reaches the quantile
    double low = 0, high = 1;
    for (int i = 0; i < S_BISECTIONS; i++) {
        double mid = (low + high) / 2;
        if (zs_trust_beta_cdf(mid, alpha, beta) < S_QUANTILE) {
            low = mid;
        } else {
            high = mid;
        }
    }
    return low;
}
