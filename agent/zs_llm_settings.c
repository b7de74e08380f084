//  zs_llm_settings - see zs_llm_settings.h

#include "agent/zs_llm_settings.h"
#include "proto/zs_msg.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define ZS_LLM_MILLION 1e6  //  prices are per million tokens

//  What each failure leads to, retries left permitting. A bad request would be the same
//  request to every provider; auth and context are this provider's, another may do.
static const zs_llm_move_t s_moves[ZS_OUTCOME_COUNT] = {
    [ZS_OUTCOME_OK] = ZS_LLM_FAIL,  //  never asked: an ok call is no failure
    [ZS_OUTCOME_RATE_LIMIT] = ZS_LLM_RETRY, [ZS_OUTCOME_OVERLOADED] = ZS_LLM_RETRY,
    [ZS_OUTCOME_SERVER] = ZS_LLM_RETRY,     [ZS_OUTCOME_TIMEOUT] = ZS_LLM_RETRY,
    [ZS_OUTCOME_CONNECT] = ZS_LLM_RETRY,    [ZS_OUTCOME_MALFORMED] = ZS_LLM_RETRY,
    [ZS_OUTCOME_AUTH] = ZS_LLM_NEXT,        [ZS_OUTCOME_CONTEXT] = ZS_LLM_NEXT,
    [ZS_OUTCOME_BAD_REQUEST] = ZS_LLM_FAIL, [ZS_OUTCOME_CANCELLED] = ZS_LLM_FAIL,
};

static double
s_price(double price)
{
    return isnan(price) || price < 0 ? 0 : price;
}

//  The key in the variable key_env names; an unset one is logged once by name
static char *
s_key_read(const zs_llm_provider_conf_t *from, zhashx_t *warned)
{
    const char *key = from->key_env ? getenv(from->key_env) : NULL;
    if (from->key_env && !key && !zhashx_lookup(warned, from->key_env)) {
        zhashx_insert(warned, from->key_env, warned);  //  a set: the item is unused
        char name[ZS_MSG_NAME_MAX * 4 + 1], var[ZS_MSG_NAME_MAX * 4 + 1];
        zsys_warning("llm provider '%s': environment variable '%s' is not set: its calls "
                     "go without a key",
                     zs_sanitize_str(name, sizeof name, from->name),
                     zs_sanitize_str(var, sizeof var, from->key_env));
    }
    return key && *key ? zs_strdup(key) : NULL;
}

static void
s_provider_copy(zs_llm_provider_t *to,
                const zs_llm_provider_conf_t *from,
                zhashx_t *warned)
{
    to->name = zs_strdup(from->name);
    to->kind = from->kind;
    to->url = zs_strdup(from->url);
    to->model = zs_strdup(from->model);
    to->key = s_key_read(from, warned);
    to->tmo = from->tmo ? from->tmo : ZS_LLM_TMO_DEFAULT;
    to->price_in = s_price(from->price_in);
    to->price_out = s_price(from->price_out);
}

zs_llm_settings_t *
zs_llm_settings_new(const zs_llm_conf_t *conf, zhashx_t *warned, zs_error_t *err)
{
    assert(conf);
    assert(conf->providers || conf->provider_count == 0);
    assert(warned);
    if (conf->provider_count < 1 || conf->provider_count > ZS_LLM_PROVIDERS_MAX) {
        zs_error_set(err, ZS_ERR_INVALID, "an llm type needs 1..%d providers, not %zu",
                     ZS_LLM_PROVIDERS_MAX, conf->provider_count);
        return NULL;
    }
    const char *text = conf->prompt ? conf->prompt : ZS_PROMPT_DEFAULT;
    zs_prompt_t *prompt = zs_prompt_new(text, strlen(text), err);
    if (!prompt) {
        return NULL;
    }
    zs_llm_settings_t *self = zs_calloc(1, sizeof *self);
    self->refs = 1;
    self->prompt = prompt;
    for (size_t i = 0; i < conf->provider_count; i++) {
        s_provider_copy(&self->providers[i], &conf->providers[i], warned);
    }
    self->count = conf->provider_count;
    self->system = conf->system && *conf->system ? zs_strdup(conf->system) : NULL;
    self->max_tokens = conf->max_tokens ? conf->max_tokens : ZS_LLM_MAX_TOKENS_DEFAULT;
    self->temperature = conf->temperature;
    self->stream = conf->stream;
    self->retries = conf->retries;
    self->backoff_ms = conf->backoff_ms;
    self->max_wait_ms = conf->max_wait_ms;
    self->tok_max = conf->tok_max;
    self->usd_max = s_price(conf->usd_max);
    return self;
}

zs_llm_settings_t *
zs_llm_settings_ref(zs_llm_settings_t *self)
{
    assert(self);
    self->refs++;
    return self;
}

void
zs_llm_settings_release(zs_llm_settings_t **self_p)
{
    assert(self_p);
    zs_llm_settings_t *self = *self_p;
    *self_p = NULL;
    if (!self || --self->refs > 0) {
        return;
    }
    for (size_t i = 0; i < self->count; i++) {
        zs_llm_provider_t *p = &self->providers[i];
        if (p->key) {
            explicit_bzero(p->key, strlen(p->key));
        }
        free(p->key);
        free(p->name);
        free(p->url);
        free(p->model);
    }
    free(self->system);
    zs_prompt_destroy(&self->prompt);
    free(self);
}

zs_llm_move_t
zs_llm_settings_move(const zs_llm_settings_t *self,
                     zs_outcome_t outcome,
                     uint64_t tries,
                     int64_t retry_ms)
{
    assert(self);
    assert(outcome < ZS_OUTCOME_COUNT);
    zs_llm_move_t move = s_moves[outcome];
    bool too_long = retry_ms > (int64_t) self->max_wait_ms;
    if (move == ZS_LLM_RETRY && (tries >= self->retries || too_long)) {
        move = ZS_LLM_NEXT;
    }
    return move;
}

//  The output tokens the token budget leaves after the prompt, or 0 (why filled)
static uint64_t
s_token_cap(
    const zs_llm_settings_t *self, uint64_t tok, uint64_t est_in, char *why, size_t size)
{
    uint64_t left = tok < self->tok_max ? self->tok_max - tok : 0;
    if (left <= est_in) {
        snprintf(why, size,
                 "budget: %" PRIu64 " of the task's %" PRIu64 " tokens left, the prompt "
                 "needs about %" PRIu64,
                 left, self->tok_max, est_in);
        return 0;
    }
    return left - est_in;
}

//  The output tokens the dollar budget pays for after the prompt, or 0 (why filled)
static uint64_t
s_usd_cap(const zs_llm_settings_t *self,
          const zs_llm_provider_t *p,
          double usd,
          uint64_t est_in,
          uint64_t cap,
          char *why,
          size_t size)
{
    double left = self->usd_max - usd;
    double cost_in = (double) est_in * p->price_in / ZS_LLM_MILLION;
    double outs = p->price_out > 0
                      ? floor((left - cost_in) * ZS_LLM_MILLION / p->price_out)
                      : (double) cap;
    if (left <= cost_in || outs < 1) {
        snprintf(why, size,
                 "budget: $%.6f of the task's $%.6f left, too little for a call to '%s'",
                 left > 0 ? left : 0, self->usd_max, p->name);
        return 0;
    }
    return outs < (double) cap ? (uint64_t) outs : cap;
}

uint64_t
zs_llm_settings_cap(const zs_llm_settings_t *self,
                    size_t provider,
                    uint64_t tok,
                    double usd,
                    uint64_t est_in,
                    char *why,
                    size_t size)
{
    assert(self);
    assert(provider < self->count);
    assert(why);
    uint64_t cap = self->max_tokens;
    if (self->tok_max > 0) {
        uint64_t left = s_token_cap(self, tok, est_in, why, size);
        cap = left < cap ? left : cap;
    }
    if (cap > 0 && self->usd_max > 0) {
        cap = s_usd_cap(self, &self->providers[provider], usd, est_in, cap, why, size);
    }
    return cap;
}

double
zs_llm_settings_cost(const zs_llm_settings_t *self,
                     size_t provider,
                     uint64_t in,
                     uint64_t out)
{
    assert(self);
    assert(provider < self->count);
    const zs_llm_provider_t *p = &self->providers[provider];
    return ((double) in * p->price_in + (double) out * p->price_out) / ZS_LLM_MILLION;
}

uint64_t
zs_llm_backoff_ms(uint64_t base, uint64_t retry, uint64_t random)
{
    uint64_t wait = base < ZS_LLM_BACKOFF_MAX_MS ? base : ZS_LLM_BACKOFF_MAX_MS;
    for (uint64_t i = 0; i < retry && wait < ZS_LLM_BACKOFF_MAX_MS; i++) {
        wait *= 2;
    }
    wait = wait < ZS_LLM_BACKOFF_MAX_MS ? wait : ZS_LLM_BACKOFF_MAX_MS;
    return wait / 2 + (wait ? random % (wait + 1) : 0);
}
