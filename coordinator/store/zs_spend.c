//  zs_spend - see zs_spend.h

#include "coordinator/store/zs_spend.h"

#include <assert.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/zs_util.h"
#include "proto/zs_msg.h"

//  One (provider, type) pair's sum, with the names it is kept under
typedef struct {
    char *provider;  //  owned
    char *atype;     //  owned
    zs_spend_sum_t sum;
} s_pair_t;

struct _zs_spend_t {
    zhashx_t *pairs;      //  "provider/type" -> s_pair_t *, owned ('/' is in no name)
    zhashx_t *types;      //  type -> zs_spend_sum_t *, owned
    zhashx_t *providers;  //  provider -> zs_spend_sum_t *, owned
    zs_spend_sum_t swarm;
};

static void
s_pair_destroy(void **item)
{
    s_pair_t *pair = *item;
    free(pair->provider);
    free(pair->atype);
    free(pair);
    *item = NULL;
}

static void
s_sum_destroy(void **item)
{
    free(*item);
    *item = NULL;
}

static void
s_sum_add(zs_spend_sum_t *into, const zs_spend_sum_t *sum)
{
    into->tok_in += sum->tok_in;
    into->tok_out += sum->tok_out;
    into->usd += sum->usd;
}

//  The sum kept under name in hash, made when missing
static zs_spend_sum_t *
s_sum_of(zhashx_t *hash, const char *name)
{
    zs_spend_sum_t *sum = zhashx_lookup(hash, name);
    if (!sum) {
        sum = zs_calloc(1, sizeof *sum);
        zhashx_insert(hash, name, sum);
    }
    return sum;
}

zs_spend_t *
zs_spend_new(void)
{
    zs_spend_t *self = zs_calloc(1, sizeof *self);
    self->pairs = zhashx_new();
    zhashx_set_destructor(self->pairs, s_pair_destroy);
    self->types = zhashx_new();
    zhashx_set_destructor(self->types, s_sum_destroy);
    self->providers = zhashx_new();
    zhashx_set_destructor(self->providers, s_sum_destroy);
    return self;
}

void
zs_spend_destroy(zs_spend_t **self_p)
{
    assert(self_p);
    zs_spend_t *self = *self_p;
    if (self) {
        zhashx_destroy(&self->pairs);
        zhashx_destroy(&self->types);
        zhashx_destroy(&self->providers);
        free(self);
        *self_p = NULL;
    }
}

void
zs_spend_add(zs_spend_t *self,
             const char *provider,
             const char *atype,
             const zs_spend_sum_t *sum)
{
    assert(self && provider && atype && sum);
    assert(strlen(provider) <= ZS_MSG_NAME_MAX && strlen(atype) <= ZS_MSG_NAME_MAX);
    s_sum_add(&self->swarm, sum);
    s_sum_add(s_sum_of(self->types, atype), sum);
    s_sum_add(s_sum_of(self->providers, provider), sum);
    char key[2 * ZS_MSG_NAME_MAX + 2];
    snprintf(key, sizeof key, "%s/%s", provider, atype);
    s_pair_t *pair = zhashx_lookup(self->pairs, key);
    if (!pair) {
        pair = zs_calloc(1, sizeof *pair);
        pair->provider = zs_strdup(provider);
        pair->atype = zs_strdup(atype);
        zhashx_insert(self->pairs, key, pair);
    }
    s_sum_add(&pair->sum, sum);
}

zs_spend_sum_t
zs_spend_swarm(const zs_spend_t *self)
{
    assert(self);
    return self->swarm;
}

zs_spend_sum_t
zs_spend_type(const zs_spend_t *self, const char *atype)
{
    assert(self && atype);
    const zs_spend_sum_t *sum = zhashx_lookup(self->types, atype);
    return sum ? *sum : (zs_spend_sum_t){0, 0, 0.0};
}

zs_spend_sum_t
zs_spend_provider(const zs_spend_t *self, const char *provider)
{
    assert(self && provider);
    const zs_spend_sum_t *sum = zhashx_lookup(self->providers, provider);
    return sum ? *sum : (zs_spend_sum_t){0, 0, 0.0};
}

void
zs_spend_each(const zs_spend_t *self, zs_spend_each_fn *fn, void *arg)
{
    assert(self && fn);
    for (s_pair_t *pair = zhashx_first(self->pairs); pair;
         pair = zhashx_next(self->pairs)) {
        fn(arg, pair->provider, pair->atype, &pair->sum);
    }
}

uint64_t
zs_spend_tokens(const zs_spend_sum_t *sum)
{
    return sum->tok_in + sum->tok_out;
}
