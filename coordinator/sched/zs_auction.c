//  zs_auction - see zs_auction.h

#include "coordinator/sched/zs_auction.h"

#include <stdlib.h>

zs_auction_t *
zs_auction_new(zs_task_t *task)
{
    assert(task);
    zs_auction_t *self = zs_calloc(1, sizeof *self);
    self->task = task;
    self->timer_id = -1;
    return self;
}

static void
s_release_all(zs_auction_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        self->offers[i].agent->offers--;
    }
    self->count = 0;
    self->bids = 0;
}

void
zs_auction_destroy(zs_auction_t **self_p)
{
    assert(self_p);
    zs_auction_t *self = *self_p;
    if (!self) {
        return;
    }
    s_release_all(self);
    free(self->offers);
    free(self);
    *self_p = NULL;
}

void
zs_auction_offer(zs_auction_t *self, zs_agent_t *agent)
{
    assert(self);
    assert(agent);
    assert(zs_agent_room(agent) > 0);
    if (self->count == self->alloc) {
        self->alloc = self->alloc ? self->alloc * 2 : 4;
        self->offers = zs_realloc(self->offers, self->alloc * sizeof *self->offers);
    }
    self->offers[self->count++] = (zs_auction_offer_t){agent, 0, 0};
    agent->offers++;
}

static zs_auction_offer_t *
s_offer_find(zs_auction_t *self, const zs_agent_t *agent)
{
    for (size_t i = 0; i < self->count; i++) {
        if (self->offers[i].agent == agent) {
            return &self->offers[i];
        }
    }
    return NULL;
}

int
zs_auction_bid(zs_auction_t *self, const zs_agent_t *agent, uint64_t bid)
{
    assert(self);
    zs_auction_offer_t *offer = s_offer_find(self, agent);
    if (!offer || offer->seq) {
        return -1;
    }
    offer->bid = bid;
    offer->seq = ++self->clock;
    self->bids++;
    return 0;
}

bool
zs_auction_complete(const zs_auction_t *self)
{
    assert(self);
    return self->bids == self->count;
}

void
zs_auction_forget(zs_auction_t *self, const zs_agent_t *agent)
{
    assert(self);
    zs_auction_offer_t *offer = s_offer_find(self, agent);
    if (!offer) {
        return;
    }
    offer->agent->offers--;
    if (offer->seq) {
        self->bids--;
    }
    *offer = self->offers[--self->count];
}

//  True when offer a beats offer b: a lower bid, or the same bid made earlier
static bool
s_beats(const zs_auction_offer_t *a, const zs_auction_offer_t *b)
{
    return a->bid != b->bid ? a->bid < b->bid : a->seq < b->seq;
}

zs_agent_t *
zs_auction_close(zs_auction_t *self)
{
    assert(self);
    size_t count = self->count;
    //  Released first, so that each bidder's room counts the slot it held for us
    s_release_all(self);
    const zs_auction_offer_t *best = NULL;
    for (size_t i = 0; i < count; i++) {
        const zs_auction_offer_t *offer = &self->offers[i];
        if (offer->seq && zs_agent_room(offer->agent) > 0 &&
            (!best || s_beats(offer, best))) {
            best = offer;
        }
    }
    return best ? best->agent : NULL;
}
