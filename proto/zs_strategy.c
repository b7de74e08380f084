//  zs_strategy - see zs_strategy.h

#include "proto/zs_strategy.h"

#include <stddef.h>
#include <string.h>

static const char *const s_names[ZS_STRATEGY_COUNT] = {
    [ZS_STRATEGY_ROUND_ROBIN] = "round-robin",
    [ZS_STRATEGY_LEAST_LOADED] = "least-loaded",
    [ZS_STRATEGY_CAPABILITY] = "capability",
    [ZS_STRATEGY_BEST_FIT] = "best-fit",
    [ZS_STRATEGY_WORK_STEALING] = "work-stealing",
    [ZS_STRATEGY_AUCTION] = "auction",
};

int
zs_strategy_from_name(const char *name)
{
    for (int strategy = ZS_STRATEGY_DEFAULT + 1; strategy < ZS_STRATEGY_COUNT;
         strategy++) {
        if (strcmp(s_names[strategy], name) == 0) {
            return strategy;
        }
    }
    return -1;
}

const char *
zs_strategy_name(zs_strategy_t strategy)
{
    return strategy < ZS_STRATEGY_COUNT ? s_names[strategy] : NULL;
}
