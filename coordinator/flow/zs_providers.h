//  zs_providers - the swarm's LLM providers: their health, their rate limits, what the
//  calls spent, and the budgets (docs/llm.md)
//
//  Agents call providers themselves and report each call (provider.report). The
//  coordinator, which hears every agent of every machine, keeps each provider's
//  circuit: closed while it answers; open for its cooldown once `failures` calls failed
//  within `window_ms`; half-open after the cooldown, when calls probe it and the first
//  success closes it again (a failure opens it again); bad for ZS_PROVIDERS_BAD_MS
//  after an authentication failure, which no retry mends; limited while the provider
//  asked to wait (429 with Retry-After) or the swarm used the minute's rpm or tpm.
//  Every change goes to each llm agent as provider.state, so all of them skip a provider
//  that is not closed, and out as a provider.state event.
//
//  What the calls spent is priced here, from the swarm file's prices (never from what
//  an agent says a call cost), counted in zs_spend and journaled; the budgets of the
//  swarm and of each llm type are checked before dispatch gives a task to an llm agent
//  (zs_providers_admits), and the first time one is spent a budget.spent event says so.

#ifndef ZS_PROVIDERS_H
#define ZS_PROVIDERS_H

#include "coordinator/core/zs_durable.h"
#include "coordinator/sched/zs_registry.h"
#include "coordinator/store/zs_spend.h"
#include "proto/zs_vocab.h"

#define ZS_PROVIDERS_BAD_MS      600000  //  a provider that refused our key, skipped
#define ZS_PROVIDERS_LIMIT_MAX_MS 3600000  //  longest Retry-After obeyed swarm-wide
#define ZS_PROVIDERS_MINUTE_MS   60000   //  the window of rpm and tpm

typedef struct zs_provider_t zs_provider_t;

typedef struct {
    zs_core_t *core;            //  borrowed
    zs_tasks_t *tasks;          //  whose tasks' spending is kept, borrowed
    zs_durable_t *durable;      //  journals what calls spent, borrowed
    zs_spend_t *spend;          //  what calls spent, owned
    zs_provider_t *providers;   //  one per swarm file provider, owned array
    size_t count;               //  items in providers
    zhashx_t *agents;           //  id -> zs_agent_t * of llm agents, borrowed agents
    bool *type_spent;           //  per swarm type: its budget.spent was published
    bool swarm_spent;           //  the swarm's budget.spent was published
} zs_providers_t;

//  Start every provider of the swarm file closed, with nothing spent, over core, tasks
//  and durable (borrowed; durable may be set up after this, as it journals the
//  spending made here).
void zs_providers_init(zs_providers_t *self,
                       zs_core_t *core,
                       zs_tasks_t *tasks,
                       zs_durable_t *durable);
void zs_providers_fini(zs_providers_t *self);

//  An agent of an llm type registered: it is told every provider that is not closed,
//  and every change from now on. An agent of another type is not.
void zs_providers_joined(zs_providers_t *self, zs_agent_t *agent);

//  An agent is about to be removed: it is told nothing more.
void zs_providers_leaving(zs_providers_t *self, zs_agent_t *agent);

//  provider.report from agent: count and price the call, move the provider's circuit.
//  A report of a provider the swarm file lacks is refused (error 7 to the agent).
void zs_providers_report(zs_providers_t *self, zs_agent_t *agent, const zs_msg_t *msg);

//  May an agent of type atype be given task? 0 when it is not an llm type or no budget
//  it spends from is spent: the swarm's, its type's, or the task's own (what its
//  earlier attempts spent against the type's task_budget); else -1 with err (code
//  ZS_ERR_BUDGET, text saying which budget and how much of it).
int zs_providers_admits(zs_providers_t *self,
                        const char *atype,
                        const zs_task_t *task,
                        zs_error_t *err);

//  The providers request: providers.ok with each provider and each budget, to client.
void zs_providers_reply(zs_providers_t *self,
                        const zs_client_ref_t *client,
                        const zs_msg_t *request);

//  Fill status.ok's spending fields: the swarm's sums and budget.
void zs_providers_status(zs_providers_t *self, zs_msg_t *status);

//  A journaled spend record, replayed: count it again (not journaled again).
void zs_providers_replay(zs_providers_t *self, const zs_msg_t *record);

#endif
