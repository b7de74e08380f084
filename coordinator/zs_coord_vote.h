//  zs_coord_vote - votes (PROTOCOL.md §8.2, docs/votes.md): proposals from control
//  clients and agents, ballots from agents, deadlines and decisions; the arithmetic of a
//  tally is coordinator/store/zs_vote's
//
//  The voters are the agents registered when the vote is proposed (of the types asked,
//  or all); each is sent vote.ask, and every proposal is published as vote.opened. A
//  vote ends at its deadline, when the swarm starts to stop, or as soon as every voter
//  cast or no ballot still to come can change the outcome; its end is published as
//  vote.decided. A ballot of a trust-weighted vote weighs the voter's trust when it was
//  cast. Votes live in memory only: a restarted coordinator knows none. At most
//  ZS_COORD_VOTES_OPEN_MAX are open at once, and the ZS_COORD_VOTES_KEPT that ended last
//  are kept for vote.status and vote.list.

#ifndef ZS_COORD_VOTE_H
#define ZS_COORD_VOTE_H

#include "coordinator/flow/zs_dispatch.h"
#include "coordinator/store/zs_vote.h"

#define ZS_COORD_VOTES_OPEN_MAX 1000  //  votes open at once
#define ZS_COORD_VOTES_KEPT     1000  //  ended votes kept for vote.status and vote.list

typedef struct {
    zs_core_t *core;          //  borrowed
    zs_dispatch_t *dispatch;  //  the agents who vote, borrowed
    uint32_t nonce;           //  the run's, in the ids it makes
    zhashx_t *by_id;          //  id -> a vote, owns the votes
    zlistx_t *order;          //  every vote kept, by proposal, borrowed
    zlistx_t *ended;          //  ended votes by their end (the first to go), borrowed
    uint64_t made;            //  ids made, for the next one
} zs_coord_votes_t;

//  Start with no vote, over core and dispatch (borrowed); made ids carry nonce.
void zs_coord_vote_init(zs_coord_votes_t *self,
                        zs_core_t *core,
                        zs_dispatch_t *dispatch,
                        uint32_t nonce);
void zs_coord_vote_fini(zs_coord_votes_t *self);

//  A vote request (vote.propose, vote.status, vote.list) from a control client / those
//  and vote.cast from an agent: served and answered.
void zs_coord_vote_client(zs_coord_votes_t *self,
                          const zs_client_ref_t *client,
                          const zs_msg_t *msg);
void zs_coord_vote_agent(zs_coord_votes_t *self, zs_agent_t *agent, const zs_msg_t *msg);

//  The swarm starts to stop: every open vote ends now, with the ballots it has, and says
//  why.
void zs_coord_vote_stop(zs_coord_votes_t *self);

#endif
