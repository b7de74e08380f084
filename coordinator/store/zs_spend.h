//  zs_spend - what the swarm's LLM calls spent: tokens and money, by provider and type
//
//  The coordinator counts every call an agent reports (provider.report) here, once, by
//  the provider that answered and the agent type that called, and keeps the sums the
//  budgets are checked against (the swarm's, a type's) and the per-provider sums
//  `zswarmctl providers` shows, each read in constant time. The journal holds the same
//  additions as `spend` records, and a compaction writes one record per pair with its
//  sum (zs_spend_each), so the sums survive restarts. Every pair is kept: there are at
//  most the swarm file's providers times its types, and the names the journal brings
//  back. Pure bookkeeping: budgets and prices are the caller's.

#ifndef ZS_SPEND_H
#define ZS_SPEND_H

#include <stdint.h>

//  Tokens and money spent
typedef struct {
    uint64_t tok_in;   //  input (prompt) tokens
    uint64_t tok_out;  //  output (completion) tokens
    double usd;        //  US dollars, from the providers' prices
} zs_spend_sum_t;

typedef struct _zs_spend_t zs_spend_t;

//  Calls back for each (provider, type) pair with its sum, all borrowed for the call.
typedef void(zs_spend_each_fn)(void *arg,
                               const char *provider,
                               const char *atype,
                               const zs_spend_sum_t *sum);

//  Create an empty account. Never returns NULL.
zs_spend_t *zs_spend_new(void);

//  Free it and set *self_p to NULL. Accepts NULL.
void zs_spend_destroy(zs_spend_t **self_p);

//  Add what one call of provider by an agent of type atype spent (names of at most
//  ZS_MSG_NAME_MAX bytes, as the wire and the journal hold them).
void zs_spend_add(zs_spend_t *self,
                  const char *provider,
                  const char *atype,
                  const zs_spend_sum_t *sum);

//  What the whole swarm, one agent type, one provider spent (zero when nothing).
zs_spend_sum_t zs_spend_swarm(const zs_spend_t *self);
zs_spend_sum_t zs_spend_type(const zs_spend_t *self, const char *atype);
zs_spend_sum_t zs_spend_provider(const zs_spend_t *self, const char *provider);

//  Call fn for each (provider, type) pair, in no particular order.
void zs_spend_each(const zs_spend_t *self, zs_spend_each_fn *fn, void *arg);

//  Tokens in and out together.
uint64_t zs_spend_tokens(const zs_spend_sum_t *sum);

#endif
