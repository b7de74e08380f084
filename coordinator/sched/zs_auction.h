//  zs_auction - one auction of a ready task among the agents offered it
//
//  The coordinator offers a task to every capable agent with room (PROTOCOL.md §6,
//  "Auctions"). Each offer reserves one slot of its agent (agent->offers) for as long as
//  the auction is open, so the slot an auction may hand out is never also given to
//  another task or counted by another auction. Agents answer with bids, a price: lower
//  is better. The auction ends when every offered agent bid, or at its deadline; then
//  every reservation is released and the lowest bid of an agent that still has room
//  wins, ties to the earlier bid. With no such bid there is no winner and the caller
//  falls back (the scheduler: least-loaded). Agents and the task are borrowed: an agent
//  that leaves while the auction is open is taken out first (zs_auction_forget).

#ifndef ZS_AUCTION_H
#define ZS_AUCTION_H

#include "coordinator/sched/zs_registry.h"

//  One agent offered the task
typedef struct {
    zs_agent_t *agent;  //  borrowed; holds one reserved slot while the auction is open
    uint64_t bid;       //  its price, once it bid
    uint64_t seq;       //  0 until it bid, then which bid it was (1 = the first)
} zs_auction_offer_t;

typedef struct {
    zs_task_t *task;             //  the task on offer, borrowed
    int timer_id;                //  the coordinator's deadline timer, or -1
    zs_auction_offer_t *offers;  //  owned
    size_t count;                //  items in offers
    size_t alloc;                //  items allocated
    size_t bids;                 //  offers that have a bid
    uint64_t clock;              //  bids received, which numbers them
} zs_auction_t;

//  Open an auction of task (borrowed) with no offer yet. Caller owns it.
zs_auction_t *zs_auction_new(zs_task_t *task);

//  Release the slots still reserved, free the auction and set *self_p to NULL.
//  Accepts NULL.
void zs_auction_destroy(zs_auction_t **self_p);

//  Offer the task to agent (borrowed), which must have room: reserves one of its slots.
void zs_auction_offer(zs_auction_t *self, zs_agent_t *agent);

//  Record agent's bid. Returns 0, or -1 when agent was not offered the task or bid
//  already (the bid is dropped).
int zs_auction_bid(zs_auction_t *self, const zs_agent_t *agent, uint64_t bid);

//  True when every offered agent has bid.
bool zs_auction_complete(const zs_auction_t *self);

//  Take agent's offer out (the agent is leaving), releasing its slot. No-op if it was
//  not offered the task.
void zs_auction_forget(zs_auction_t *self, const zs_agent_t *agent);

//  End the auction: release every reserved slot, then return the winner, the lowest bid
//  of an agent with room (ties to the earlier bid), or NULL when no bidder has room.
//  The auction stays allocated, with no offers left; the caller destroys it.
zs_agent_t *zs_auction_close(zs_auction_t *self);

#endif
