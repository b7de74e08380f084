//  zs_llm_settings - an llm agent type's settings, and the decisions they make
//
//  The coordinator gives an llm agent its type's settings in welcome: the providers in
//  order of use (first, then fallbacks), the prompts, the call options, the retry rules
//  and the task's budget. This module keeps a copy, with each provider's API key read
//  from the agent's own environment by the variable name the settings give (a variable
//  that is not set is logged once by name, never a value, and its provider is called
//  without a key). A settings object is shared: the handler holds one reference and
//  each job another, so a new welcome does not change the rules under a running job.
//
//  The decisions are pure functions of the settings, so they are tested without a loop:
//  what a failed call leads to (the same provider after a wait, the next provider, or
//  the task's failure), how long a backoff lasts, and how many output tokens the task's
//  budget lets the next call ask for. Keys are wiped when the settings are freed.

#ifndef ZS_LLM_SETTINGS_H
#define ZS_LLM_SETTINGS_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/zs_outcome.h"
#include "agent/zs_provider.h"
#include "proto/zs_prompt.h"

#define ZS_LLM_PROVIDERS_MAX      16      //  providers of one type: first and fallbacks
#define ZS_LLM_MAX_TOKENS_DEFAULT 1024    //  max_tokens when the type gives none
#define ZS_LLM_TMO_DEFAULT        120000  //  one call's timeout when the provider has none
#define ZS_LLM_BACKOFF_MAX_MS     60000   //  longest backoff between two tries

//  One provider of the type, in order of use; strings borrowed
typedef struct {
    const char *name;         //  the swarm file's name for it
    zs_provider_kind_t kind;  //  its API
    const char *url;          //  base URL
    const char *model;        //  model name
    const char *key_env;      //  variable holding its key on this machine, or NULL
    uint64_t tmo;             //  one call's timeout, ms; 0: ZS_LLM_TMO_DEFAULT
    double price_in;          //  USD a million input tokens; 0 or NAN: free
    double price_out;         //  USD a million output tokens; 0 or NAN: free
} zs_llm_provider_conf_t;

//  The type's settings as welcome gives them (resolved by the coordinator: 0 is 0,
//  except where the comment says); strings borrowed
typedef struct {
    const zs_llm_provider_conf_t *providers;  //  in order of use
    size_t provider_count;                    //  1..ZS_LLM_PROVIDERS_MAX
    const char *system;                       //  system prompt, or NULL
    const char *prompt;                       //  template, NULL: ZS_PROMPT_DEFAULT
    uint64_t max_tokens;                      //  output tokens a call asks; 0: default
    double temperature;                       //  NAN: not sent
    bool stream;                              //  ask for streamed answers
    uint64_t retries;                         //  tries of a provider after its first
    uint64_t backoff_ms;                      //  first backoff
    uint64_t max_wait_ms;                     //  longest Retry-After waited on
    uint64_t tok_max;                         //  a task's tokens, in and out; 0: none
    double usd_max;                           //  a task's dollars; 0 or NAN: none
} zs_llm_conf_t;

//  One provider as kept
typedef struct {
    char *name;               //  owned
    zs_provider_kind_t kind;  //  its API
    char *url;                //  owned: base URL
    char *model;              //  owned
    char *key;                //  owned secret, wiped when freed; NULL: none
    uint64_t tmo;             //  one call's timeout, ms, resolved
    double price_in;          //  USD a million input tokens, >= 0
    double price_out;         //  USD a million output tokens, >= 0
} zs_llm_provider_t;

//  The settings as kept: read them freely, change them never
typedef struct {
    size_t refs;                                        //  holders
    zs_llm_provider_t providers[ZS_LLM_PROVIDERS_MAX];  //  in order of use
    size_t count;                                       //  providers used
    char *system;                                       //  owned, or NULL
    zs_prompt_t *prompt;                                //  owned, parsed template
    uint64_t max_tokens;                                //  resolved, >= 1
    double temperature;                                 //  NAN: not sent
    bool stream;                                        //  streamed answers
    uint64_t retries;                                   //  tries after a provider's first
    uint64_t backoff_ms;                                //  first backoff
    uint64_t max_wait_ms;                               //  longest Retry-After waited on
    uint64_t tok_max;                                   //  a task's tokens; 0: none
    double usd_max;                                     //  a task's dollars; 0: none
} zs_llm_settings_t;

//  What a failed call leads to
typedef enum {
    ZS_LLM_RETRY,  //  the same provider again, after a wait
    ZS_LLM_NEXT,   //  the next provider
    ZS_LLM_FAIL,   //  the task fails: no provider would do better
} zs_llm_move_t;

//  Copy conf, parse its template and read its keys. warned is the set of variable
//  names already logged as unset (updated). Returns new settings holding one reference
//  (the caller's), or NULL with err when they cannot be used: no provider or too many,
//  a template that does not parse.
zs_llm_settings_t *
zs_llm_settings_new(const zs_llm_conf_t *conf, zhashx_t *warned, zs_error_t *err);

//  Take a reference. Returns self.
zs_llm_settings_t *zs_llm_settings_ref(zs_llm_settings_t *self);

//  Drop a reference and set *self_p to NULL; the last one frees (keys wiped).
//  Accepts NULL and a NULL *self_p.
void zs_llm_settings_release(zs_llm_settings_t **self_p);

//  After a failed call whose outcome is outcome, on a provider already retried `tries`
//  times, that asked to wait retry_ms (-1: did not ask): what comes next. A wait longer
//  than max_wait_ms moves on, as do spent retries.
zs_llm_move_t zs_llm_settings_move(const zs_llm_settings_t *self,
                                   zs_outcome_t outcome,
                                   uint64_t tries,
                                   int64_t retry_ms);

//  The max_tokens of the next call to provider number provider, when the task spent
//  tok tokens and usd dollars so far and the prompt is estimated at est_in tokens: at
//  most the type's max_tokens, and what the budget has left after the prompt. 0 when
//  the budget cannot pay for the call, with why filled (size bytes).
uint64_t zs_llm_settings_cap(const zs_llm_settings_t *self,
                             size_t provider,
                             uint64_t tok,
                             double usd,
                             uint64_t est_in,
                             char *why,
                             size_t size);

//  What in and out tokens cost at provider number provider, USD.
double zs_llm_settings_cost(const zs_llm_settings_t *self,
                            size_t provider,
                            uint64_t in,
                            uint64_t out);

//  The wait before retry number retry (0 for the first) of a provider: base doubled
//  per retry up to ZS_LLM_BACKOFF_MAX_MS, then spread over half to one and a half
//  times that by random, so agents that failed together do not retry together.
uint64_t zs_llm_backoff_ms(uint64_t base, uint64_t retry, uint64_t random);

#endif
