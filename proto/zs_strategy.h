//  zs_strategy - the names of the scheduling strategies
//
//  A strategy says how the coordinator chooses the agent that runs a task
//  (docs/scheduling.md). The swarm file names one for the swarm and may name one per
//  agent type; a submit may name one for its own task. ZS_STRATEGY_DEFAULT means "none
//  named here": the next level decides. This module only maps names to values, so that
//  tasks and swarm files can hold a strategy without depending on the scheduler.

#ifndef ZS_STRATEGY_H
#define ZS_STRATEGY_H

typedef enum {
    ZS_STRATEGY_DEFAULT,        //  none named: the task type's, else the swarm's
    ZS_STRATEGY_ROUND_ROBIN,    //  in turn: the agent given a task longest ago
    ZS_STRATEGY_LEAST_LOADED,   //  the lowest load relative to concurrency
    ZS_STRATEGY_CAPABILITY,     //  the most specialised capable agent
    ZS_STRATEGY_BEST_FIT,       //  the lowest score of load, latency and success rate
    ZS_STRATEGY_WORK_STEALING,  //  per-agent backlogs; an agent with room steals
    ZS_STRATEGY_AUCTION,        //  the lowest bid of the agents offered the task
    ZS_STRATEGY_COUNT
} zs_strategy_t;

//  Names every strategy, for messages: "round-robin, least-loaded, ... or auction".
#define ZS_STRATEGY_EXPECTED                                                             \
    "round-robin, least-loaded, capability, best-fit, work-stealing or auction"

//  The strategy of that name (never ZS_STRATEGY_DEFAULT), or -1 when unknown.
int zs_strategy_from_name(const char *name);

//  The name of a strategy, static; NULL for ZS_STRATEGY_DEFAULT.
const char *zs_strategy_name(zs_strategy_t strategy);

#endif
