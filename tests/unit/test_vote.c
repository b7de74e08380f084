//  test_vote - each strategy's tally at its edges: ties, exactly the quorum, one short

#include "tests/unit/zs_test.h"
#include "coordinator/store/zs_vote.h"

#include <string.h>

//  The count of ballots from a string of option digits: "0010" is four ballots, three
//  for option 0, each of weight 1
static zs_vote_count_t
s_count(const char *choices)
{
    zs_vote_count_t count = {0};
    for (const char *choice = choices; *choice; choice++) {
        zs_vote_count_add(&count, &(zs_vote_ballot_t){(size_t) (*choice - '0'), 1});
    }
    return count;
}

//  A tally of weighed ballots for two options
static zs_vote_outcome_t
s_tally_weighed(zs_vote_strategy_t strategy,
                const zs_vote_ballot_t *ballots,
                size_t size,
                size_t voters,
                size_t *winner)
{
    zs_vote_count_t count = {0};
    for (size_t i = 0; i < size; i++) {
        zs_vote_count_add(&count, &ballots[i]);
    }
    return zs_vote_tally(strategy, &count, voters, 2, winner);
}
#define S_TALLY_WEIGHED(strategy, array, voters, winner)                                 \
    s_tally_weighed(strategy, array, sizeof array / sizeof array[0], voters, winner)

static bool
s_settled(zs_vote_strategy_t strategy, const char *choices, size_t voters)
{
    zs_vote_count_t count = s_count(choices);
    return zs_vote_settled(strategy, &count, voters, 3);
}

static zs_vote_outcome_t
s_tally(zs_vote_strategy_t strategy, const char *choices, size_t voters, size_t *winner)
{
    zs_vote_count_t count = s_count(choices);
    return zs_vote_tally(strategy, &count, voters, 3, winner);
}

static void
test_majority(void)
{
    size_t winner = 9;
    ZS_CHECK(s_tally(ZS_VOTE_MAJORITY, "001", 5, &winner) == ZS_VOTE_DECIDED &&
             winner == 0);
    //  Exactly the quorum (3 of 5), one short (2 of 5)
    ZS_CHECK(s_tally(ZS_VOTE_MAJORITY, "00", 5, &winner) == ZS_VOTE_NO_QUORUM);
    //  A tie is no decision, and so is a plurality without a majority of ballots
    ZS_CHECK(s_tally(ZS_VOTE_MAJORITY, "0011", 4, &winner) == ZS_VOTE_NO_DECISION);
    ZS_CHECK(s_tally(ZS_VOTE_MAJORITY, "0012", 4, &winner) == ZS_VOTE_NO_DECISION);
    ZS_CHECK(s_tally(ZS_VOTE_MAJORITY, "", 0, &winner) == ZS_VOTE_NO_QUORUM);
}

static void
test_super_majority(void)
{
    size_t winner = 9;
    //  2/3 exactly wins; just under does not
    ZS_CHECK(s_tally(ZS_VOTE_SUPER_MAJORITY, "110", 3, &winner) == ZS_VOTE_DECIDED &&
             winner == 1);
    ZS_CHECK(s_tally(ZS_VOTE_SUPER_MAJORITY, "11100", 5, &winner) == ZS_VOTE_NO_DECISION);
    ZS_CHECK(s_tally(ZS_VOTE_SUPER_MAJORITY, "1111", 7, &winner) == ZS_VOTE_DECIDED);
    ZS_CHECK(s_tally(ZS_VOTE_SUPER_MAJORITY, "111", 7, &winner) == ZS_VOTE_NO_QUORUM);
}

static void
test_byzantine(void)
{
    size_t winner = 9;
    //  n = 4 (f = 1): quorum and win at 3
    ZS_CHECK(s_tally(ZS_VOTE_BYZANTINE, "222", 4, &winner) == ZS_VOTE_DECIDED &&
             winner == 2);
    ZS_CHECK(s_tally(ZS_VOTE_BYZANTINE, "22", 4, &winner) == ZS_VOTE_NO_QUORUM);
    ZS_CHECK(s_tally(ZS_VOTE_BYZANTINE, "221", 4, &winner) == ZS_VOTE_NO_DECISION);
    //  n = 7 (f = 2): 5 needed; n = 10 (f = 3): 7 needed
    ZS_CHECK(s_tally(ZS_VOTE_BYZANTINE, "00000", 7, &winner) == ZS_VOTE_DECIDED);
    ZS_CHECK(s_tally(ZS_VOTE_BYZANTINE, "000011", 7, &winner) == ZS_VOTE_NO_DECISION);
    ZS_CHECK(s_tally(ZS_VOTE_BYZANTINE, "0000001", 10, &winner) == ZS_VOTE_NO_DECISION);
    ZS_CHECK(s_tally(ZS_VOTE_BYZANTINE, "0000000", 10, &winner) == ZS_VOTE_DECIDED);
}

static void
test_unanimous(void)
{
    size_t winner = 9;
    ZS_CHECK(s_tally(ZS_VOTE_UNANIMOUS, "111", 3, &winner) == ZS_VOTE_DECIDED);
    ZS_CHECK(s_tally(ZS_VOTE_UNANIMOUS, "11", 3, &winner) == ZS_VOTE_NO_QUORUM);
    ZS_CHECK(s_tally(ZS_VOTE_UNANIMOUS, "110", 3, &winner) == ZS_VOTE_NO_DECISION);
}

static void
test_trust_weighted(void)
{
    size_t winner = 9;
    //  Two distrusted voters lose to one trusted one
    zs_vote_ballot_t ballots[] = {{0, 0.2}, {0, 0.2}, {1, 0.9}};
    ZS_CHECK(S_TALLY_WEIGHED(ZS_VOTE_TRUST_WEIGHTED, ballots, 3, &winner) ==
                 ZS_VOTE_DECIDED &&
             winner == 1);
    ZS_CHECK(s_tally(ZS_VOTE_MAJORITY, "001", 3, &winner) == ZS_VOTE_DECIDED &&
             winner == 0);
    //  Equal weights tie
    zs_vote_ballot_t even[] = {{0, 0.5}, {1, 0.5}};
    ZS_CHECK(S_TALLY_WEIGHED(ZS_VOTE_TRUST_WEIGHTED, even, 2, &winner) ==
             ZS_VOTE_NO_DECISION);
}

static void
test_settled(void)
{
    //  Majority of 5: three for one option settle it; two do not
    ZS_CHECK(s_settled(ZS_VOTE_MAJORITY, "000", 5));
    ZS_CHECK(!s_settled(ZS_VOTE_MAJORITY, "00", 5));
    ZS_CHECK(s_settled(ZS_VOTE_UNANIMOUS, "000", 3));
    ZS_CHECK(!s_settled(ZS_VOTE_UNANIMOUS, "00", 3));
    ZS_CHECK(!s_settled(ZS_VOTE_TRUST_WEIGHTED, "000", 5));
    ZS_CHECK(zs_vote_strategy_from_name("byzantine") == ZS_VOTE_BYZANTINE);
    ZS_CHECK(zs_vote_strategy_from_name("plurality") == -1);
}

//  One voter; n not of the form 3f + 1; ballots that weigh nothing; early ends of the
//  counted strategies at exactly the ballots that settle them, and one short
static void
test_edges(void)
{
    size_t winner = 9;
    ZS_CHECK(s_tally(ZS_VOTE_MAJORITY, "2", 1, &winner) == ZS_VOTE_DECIDED &&
             winner == 2);
    ZS_CHECK(s_tally(ZS_VOTE_UNANIMOUS, "", 1, &winner) == ZS_VOTE_NO_QUORUM);
    //  n = 6: f = 1, so the quorum is n - f = 5: 3 and 3 cannot both win
    ZS_CHECK(s_tally(ZS_VOTE_BYZANTINE, "11111", 6, &winner) == ZS_VOTE_DECIDED);
    ZS_CHECK(s_tally(ZS_VOTE_BYZANTINE, "1111", 6, &winner) == ZS_VOTE_NO_QUORUM);
    ZS_CHECK(s_tally(ZS_VOTE_BYZANTINE, "111000", 6, &winner) == ZS_VOTE_NO_DECISION);
    //  n = 3: f = 0, every voter; n = 2 likewise
    ZS_CHECK(s_tally(ZS_VOTE_BYZANTINE, "00", 3, &winner) == ZS_VOTE_NO_QUORUM);
    ZS_CHECK(s_tally(ZS_VOTE_BYZANTINE, "001", 3, &winner) == ZS_VOTE_NO_DECISION);
    ZS_CHECK(s_tally(ZS_VOTE_BYZANTINE, "11", 2, &winner) == ZS_VOTE_DECIDED);
    zs_vote_ballot_t nothing[] = {{0, 0}, {1, 0}};
    ZS_CHECK(S_TALLY_WEIGHED(ZS_VOTE_TRUST_WEIGHTED, nothing, 2, &winner) ==
             ZS_VOTE_NO_DECISION);
    //  Super-majority of 6: 4 settle it (4/6 = 2/3 whatever the rest say); 3 do not
    ZS_CHECK(s_settled(ZS_VOTE_SUPER_MAJORITY, "0000", 6));
    ZS_CHECK(!s_settled(ZS_VOTE_SUPER_MAJORITY, "000", 6));
    //  Byzantine of 10 (f = 3): 7 settle it; 6 and a dissent do not
    ZS_CHECK(s_settled(ZS_VOTE_BYZANTINE, "0000000", 10));
    ZS_CHECK(!s_settled(ZS_VOTE_BYZANTINE, "0000001", 10));
    //  Every voter cast: settled whatever the outcome
    ZS_CHECK(s_settled(ZS_VOTE_TRUST_WEIGHTED, "01", 2));
    for (int i = 0; i < ZS_VOTE_STRATEGY_COUNT; i++) {
        ZS_CHECK(zs_vote_strategy_from_name(zs_vote_strategy_name(i)) == i);
    }
}

//  An early end must not change a vote's outcome: for every vote of up to S_SMALL_MAX
//  voters and every order of ballots, once a prefix is settled, each way the other
//  voters could still answer (an option or nothing) tallies as the prefix does
#define S_SMALL_MAX 7

static bool
s_same(zs_vote_strategy_t strategy,
       zs_vote_outcome_t outcome,
       size_t winner,
       const zs_vote_count_t *count,
       size_t voters,
       size_t left)
{
    size_t other = 99;
    if (left == 0) {
        zs_vote_outcome_t end = zs_vote_tally(strategy, count, voters, 3, &other);
        return end == outcome && (end != ZS_VOTE_DECIDED || other == winner);
    }
    if (!s_same(strategy, outcome, winner, count, voters, left - 1)) {
        return false;  //  this voter abstains
    }
    for (size_t option = 0; option < 3; option++) {
        zs_vote_count_t more = *count;
        zs_vote_count_add(&more, &(zs_vote_ballot_t){option, 1});
        if (!s_same(strategy, outcome, winner, &more, voters, left - 1)) {
            return false;
        }
    }
    return true;
}

//  Walks every prefix; returns the settled prefixes whose completions disagree
static size_t
s_walk(zs_vote_strategy_t strategy, const zs_vote_count_t *count, size_t voters)
{
    if (zs_vote_settled(strategy, count, voters, 3)) {
        size_t winner = 99;
        zs_vote_outcome_t outcome = zs_vote_tally(strategy, count, voters, 3, &winner);
        return !s_same(strategy, outcome, winner, count, voters, voters - count->cast);
    }
    size_t wrong = 0;
    for (size_t option = 0; option < 3 && count->cast < voters; option++) {
        zs_vote_count_t more = *count;
        zs_vote_count_add(&more, &(zs_vote_ballot_t){option, 1});
        wrong += s_walk(strategy, &more, voters);
    }
    return wrong;
}

static void
test_early_ends_keep_the_outcome(void)
{
    for (int strategy = 0; strategy < ZS_VOTE_STRATEGY_COUNT; strategy++) {
        for (size_t voters = 1; voters <= S_SMALL_MAX; voters++) {
            zs_vote_count_t none = {0};
            ZS_CHECK(s_walk(strategy, &none, voters) == 0);
        }
    }
}

static const zs_test_case_t s_cases[] = {
    {"majority", test_majority},
    {"super_majority", test_super_majority},
    {"byzantine", test_byzantine},
    {"unanimous", test_unanimous},
    {"trust_weighted", test_trust_weighted},
    {"settled", test_settled},
    {"edges", test_edges},
    {"early_ends_keep_the_outcome", test_early_ends_keep_the_outcome},
};

ZS_TEST_MAIN(s_cases)
