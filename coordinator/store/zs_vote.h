//  zs_vote - how a vote's ballots decide (docs/votes.md)
//
//  A vote asks n voters to choose one of its options. Voters that do not answer by the
//  deadline abstain. Each strategy has a quorum (ballots needed for any decision) and
//  a rule for the winning option:
//
//  - majority: quorum more than half the voters; the option with more than half of the
//    ballots wins;
//  - super-majority: the same quorum; at least two thirds of the ballots;
//  - byzantine: f = (n - 1) / 3 faulty voters are tolerated; the quorum is n - f ballots
//    (2f + 1 when n = 3f + 1), and the winner needs n - f ballots of its own;
//  - unanimous: every voter, all for one option;
//  - trust-weighted: as majority, but each ballot weighs its voter's trust score times
//    the ballot's confidence and its own weight.
//
//  Below the quorum the outcome is "no quorum"; a quorum without a winner (a tie, a
//  split) is "no decision". Pure arithmetic: the caller weighs the ballots.

#ifndef ZS_VOTE_H
#define ZS_VOTE_H

#include <stdbool.h>
#include <stddef.h>

#define ZS_VOTE_OPTIONS_MAX 16  //  options of one vote

typedef enum {
    ZS_VOTE_MAJORITY,
    ZS_VOTE_SUPER_MAJORITY,
    ZS_VOTE_BYZANTINE,
    ZS_VOTE_UNANIMOUS,
    ZS_VOTE_TRUST_WEIGHTED,
    ZS_VOTE_STRATEGY_COUNT
} zs_vote_strategy_t;

typedef enum {
    ZS_VOTE_DECIDED,      //  an option won
    ZS_VOTE_NO_QUORUM,    //  too few ballots for any decision
    ZS_VOTE_NO_DECISION,  //  enough ballots, but no option won (a tie, a split)
} zs_vote_outcome_t;

//  One voter's answer, as the caller keeps it
typedef struct {
    size_t option;  //  index of the chosen option
    double weight;  //  how much it counts: 1, or trust x confidence x weight
} zs_vote_ballot_t;

//  The ballots of a vote so far, per option: kept up to date one ballot at a time, so
//  deciding never walks the ballots. Zero-initialise it.
typedef struct {
    double weight[ZS_VOTE_OPTIONS_MAX];   //  weight cast for each option
    size_t ballots[ZS_VOTE_OPTIONS_MAX];  //  ballots for each option
    double total;                         //  weight of every ballot
    size_t cast;                          //  ballots
} zs_vote_count_t;

//  The strategy named text, or -1. Names: "majority", "super-majority", "byzantine",
//  "unanimous", "trust-weighted".
int zs_vote_strategy_from_name(const char *text);
const char *zs_vote_strategy_name(zs_vote_strategy_t strategy);

//  Count a ballot (its option below ZS_VOTE_OPTIONS_MAX).
void zs_vote_count_add(zs_vote_count_t *count, const zs_vote_ballot_t *ballot);

//  Decide a vote of voters voters and option_count (1..ZS_VOTE_OPTIONS_MAX) options from
//  the ballots counted (at most voters, each for an option below option_count). On
//  ZS_VOTE_DECIDED, *winner is the winning option's index.
zs_vote_outcome_t zs_vote_tally(zs_vote_strategy_t strategy,
                                const zs_vote_count_t *count,
                                size_t voters,
                                size_t option_count,
                                size_t *winner);

//  True when no ballot still to come can change the outcome: every voter cast, or one
//  option already wins whatever the others answer. Lets a vote end before its deadline.
bool zs_vote_settled(zs_vote_strategy_t strategy,
                     const zs_vote_count_t *count,
                     size_t voters,
                     size_t option_count);

#endif
