//  zs_vote - see zs_vote.h

#include "zs_vote.h"

#include <assert.h>
#include <string.h>

static const char *s_names[] = {
    [ZS_VOTE_MAJORITY] = "majority",
    [ZS_VOTE_SUPER_MAJORITY] = "super-majority",
    [ZS_VOTE_BYZANTINE] = "byzantine",
    [ZS_VOTE_UNANIMOUS] = "unanimous",
    [ZS_VOTE_TRUST_WEIGHTED] = "trust-weighted",
};

int
zs_vote_strategy_from_name(const char *text)
{
    for (int i = 0; i < ZS_VOTE_STRATEGY_COUNT; i++) {
        if (text && strcmp(text, s_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

const char *
zs_vote_strategy_name(zs_vote_strategy_t strategy)
{
    assert(strategy < ZS_VOTE_STRATEGY_COUNT);
    return s_names[strategy];
}

//  The faulty voters a byzantine vote of n voters tolerates: n = 3f + 1
static size_t
s_faulty(size_t voters)
{
    return voters ? (voters - 1) / 3 : 0;
}

//  Ballots a strategy needs before anything is decided
static size_t
s_quorum(zs_vote_strategy_t strategy, size_t voters)
{
    switch (strategy) {
    case ZS_VOTE_BYZANTINE:
        return 2 * s_faulty(voters) + 1;
    case ZS_VOTE_UNANIMOUS:
        return voters;
    default:
        return voters / 2 + 1;
    }
}

//  Weight and ballots per option, and the leading option (ties: none leads)
typedef struct {
    double total;       //  weight of every ballot
    double best;        //  the leader's weight
    size_t best_count;  //  the leader's ballots
    size_t leader;      //  its index
    bool tied;          //  another option has the leader's weight
} s_count_t;

static s_count_t
s_count(const zs_vote_ballot_t *ballots, size_t count, size_t option_count)
{
    assert(option_count <= ZS_VOTE_OPTIONS_MAX);
    double weight[ZS_VOTE_OPTIONS_MAX] = {0};
    size_t ballots_of[ZS_VOTE_OPTIONS_MAX] = {0};
    s_count_t result = {0, 0, 0, 0, false};
    for (size_t i = 0; i < count; i++) {
        assert(ballots[i].option < option_count);
        weight[ballots[i].option] += ballots[i].weight;
        ballots_of[ballots[i].option]++;
        result.total += ballots[i].weight;
    }
    for (size_t option = 0; option < option_count; option++) {
        if (option == 0 || weight[option] > result.best) {
            result.best = weight[option];
            result.best_count = ballots_of[option];
            result.leader = option;
            result.tied = false;
        } else if (weight[option] == result.best) {
            result.tied = true;
        }
    }
    return result;
}

zs_vote_outcome_t
zs_vote_tally(zs_vote_strategy_t strategy,
              const zs_vote_ballot_t *ballots,
              size_t count,
              size_t voters,
              size_t option_count,
              size_t *winner)
{
    assert(strategy < ZS_VOTE_STRATEGY_COUNT);
    assert(option_count > 0 && count <= voters);
    if (voters == 0 || count < s_quorum(strategy, voters)) {
        return ZS_VOTE_NO_QUORUM;
    }
    s_count_t tally = s_count(ballots, count, option_count);
    bool won = false;
    switch (strategy) {
    case ZS_VOTE_MAJORITY:
    case ZS_VOTE_TRUST_WEIGHTED:
        won = tally.best * 2 > tally.total;
        break;
    case ZS_VOTE_SUPER_MAJORITY:
        won = tally.best * 3 >= tally.total * 2;
        break;
    case ZS_VOTE_BYZANTINE:
        won = tally.best_count >= 2 * s_faulty(voters) + 1;
        break;
    case ZS_VOTE_UNANIMOUS:
        won = tally.best_count == voters;
        break;
    case ZS_VOTE_STRATEGY_COUNT:
        break;
    }
    if (!won || tally.tied) {
        return ZS_VOTE_NO_DECISION;
    }
    *winner = tally.leader;
    return ZS_VOTE_DECIDED;
}

bool
zs_vote_settled(zs_vote_strategy_t strategy,
                const zs_vote_ballot_t *ballots,
                size_t count,
                size_t voters,
                size_t option_count)
{
    if (count >= voters) {
        return true;
    }
    if (strategy == ZS_VOTE_TRUST_WEIGHTED || strategy == ZS_VOTE_UNANIMOUS) {
        return false;  //  a ballot still to come may weigh anything, or dissent
    }
    //  The leader wins even if every voter still to come votes against it
    s_count_t tally = s_count(ballots, count, option_count);
    size_t lead = tally.best_count;
    switch (strategy) {
    case ZS_VOTE_MAJORITY:
        return lead * 2 > voters;
    case ZS_VOTE_SUPER_MAJORITY:
        return lead * 3 >= voters * 2;
    case ZS_VOTE_BYZANTINE:
        return lead >= 2 * s_faulty(voters) + 1;
    default:
        return false;
    }
}
