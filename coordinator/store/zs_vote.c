//  zs_vote - see zs_vote.h

#include "coordinator/store/zs_vote.h"
#include "proto/zs_msg.h"

#include <assert.h>
#include <string.h>

_Static_assert(ZS_VOTE_STRATEGY_COUNT == ZS_MSG_VOTE_STRATEGIES, "a name per strategy");

int
zs_vote_strategy_from_name(const char *text)
{
    for (int i = 0; i < ZS_VOTE_STRATEGY_COUNT; i++) {
        if (text && strcmp(text, zs_msg_vote_strategies[i]) == 0) {
            return i;
        }
    }
    return -1;
}

const char *
zs_vote_strategy_name(zs_vote_strategy_t strategy)
{
    assert(strategy < ZS_VOTE_STRATEGY_COUNT);
    return zs_msg_vote_strategies[strategy];
}

//  A byzantine vote of n voters tolerates f = (n - 1) / 3 faulty ones, and needs n - f
//  ballots: 2f + 1 when n = 3f + 1. Two sets of n - f voters share more than f, so at
//  most one option can have n - f ballots, whatever n is.
static size_t
s_byzantine_quorum(size_t voters)
{
    return voters ? voters - (voters - 1) / 3 : 0;
}

//  Ballots a strategy needs before anything is decided
static size_t
s_quorum(zs_vote_strategy_t strategy, size_t voters)
{
    switch (strategy) {
    case ZS_VOTE_BYZANTINE:
        return s_byzantine_quorum(voters);
    case ZS_VOTE_UNANIMOUS:
        return voters;
    default:
        return voters / 2 + 1;
    }
}

void
zs_vote_count_add(zs_vote_count_t *count, const zs_vote_ballot_t *ballot)
{
    assert(ballot->option < ZS_VOTE_OPTIONS_MAX);
    count->weight[ballot->option] += ballot->weight;
    count->ballots[ballot->option]++;
    count->total += ballot->weight;
    count->cast++;
}

//  The option with the most weight, and whether another has as much
typedef struct {
    size_t option;
    bool tied;
} s_leader_t;

static s_leader_t
s_leader(const zs_vote_count_t *count, size_t option_count)
{
    s_leader_t leader = {0, false};
    for (size_t option = 1; option < option_count; option++) {
        if (count->weight[option] > count->weight[leader.option]) {
            leader = (s_leader_t){option, false};
        } else if (count->weight[option] == count->weight[leader.option]) {
            leader.tied = true;
        }
    }
    return leader;
}

zs_vote_outcome_t
zs_vote_tally(zs_vote_strategy_t strategy,
              const zs_vote_count_t *count,
              size_t voters,
              size_t option_count,
              size_t *winner)
{
    assert(strategy < ZS_VOTE_STRATEGY_COUNT);
    assert(option_count > 0 && option_count <= ZS_VOTE_OPTIONS_MAX);
    assert(count->cast <= voters);
    if (voters == 0 || count->cast < s_quorum(strategy, voters)) {
        return ZS_VOTE_NO_QUORUM;
    }
    s_leader_t leader = s_leader(count, option_count);
    double best = count->weight[leader.option];
    size_t ballots = count->ballots[leader.option];
    bool won = false;
    switch (strategy) {
    case ZS_VOTE_MAJORITY:
    case ZS_VOTE_TRUST_WEIGHTED:
        won = best * 2 > count->total;
        break;
    case ZS_VOTE_SUPER_MAJORITY:
        won = best * 3 >= count->total * 2;
        break;
    case ZS_VOTE_BYZANTINE:
        won = ballots >= s_byzantine_quorum(voters);
        break;
    case ZS_VOTE_UNANIMOUS:
        won = ballots == voters;
        break;
    case ZS_VOTE_STRATEGY_COUNT:
        break;
    }
    if (!won || leader.tied) {
        return ZS_VOTE_NO_DECISION;
    }
    *winner = leader.option;
    return ZS_VOTE_DECIDED;
}

bool
zs_vote_settled(zs_vote_strategy_t strategy,
                const zs_vote_count_t *count,
                size_t voters,
                size_t option_count)
{
    if (count->cast >= voters) {
        return true;
    }
    if (strategy == ZS_VOTE_TRUST_WEIGHTED || strategy == ZS_VOTE_UNANIMOUS) {
        return false;  //  a ballot still to come may weigh anything, or dissent
    }
    //  The leader wins even if every voter still to come votes against it
    size_t lead = count->ballots[s_leader(count, option_count).option];
    switch (strategy) {
    case ZS_VOTE_MAJORITY:
        return lead * 2 > voters;
    case ZS_VOTE_SUPER_MAJORITY:
        return lead * 3 >= voters * 2;
    case ZS_VOTE_BYZANTINE:
        return lead >= s_byzantine_quorum(voters);
    default:
        return false;
    }
}
