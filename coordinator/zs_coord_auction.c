//  zs_coord_auction - auctions: offers, bids, the deadline, the winner (PROTOCOL.md §6)
//
//  A task under the auction strategy is offered (task.offer) to every capable agent
//  with room; the scheduler holds the auction and reserves a slot of each such agent
//  meanwhile. The auction ends as soon as every offered agent has bid, or when its
//  deadline timer (swarm file 'auction_ms', which the offer's tmo tells the agents)
//  fires: then the winner (lowest bid, else least-loaded) is assigned the task, or it
//  waits in its queue again when nobody has room. A cancelled task's auction goes with
//  it (zs_sched_remove) and an agent that leaves is taken out of every auction (the
//  scheduler watches the registry), so a timer that fires late finds nothing to do.

#include "coordinator/zs_coord_private.h"

//  Assign the task to the winner, or queue it again; the other offered agents have
//  their slots back, so every agent is fed at the end of the batch
static void
s_close(zs_coord_t *self, zs_auction_t *auction)
{
    zs_task_t *task = auction->task;
    zs_agent_t *winner = zs_sched_auction_close(self->sched, &auction);
    if (winner && self->phase == ZS_COORD_SERVING) {
        zs_coord_assign(self, winner, task);
    } else {
        zs_sched_push(self->sched, task);
    }
    self->redispatch = true;
}

static int
s_on_deadline(zloop_t *loop, int timer_id, void *arg)
{
    zs_coord_t *self = arg;
    zs_auction_t *auction = zs_sched_auction_by_timer(self->sched, timer_id);
    if (auction) {
        auction->timer_id = -1;
        s_close(self, auction);
        //  A timer runs outside the broker's batches: settle as a batch end would
        zs_coord_settle(self);
    }
    return 0;
}

int
zs_coord_auction_open(zs_coord_t *self, zs_task_t *task)
{
    zs_auction_t *auction = zs_sched_auction_open(self->sched, task);
    if (!auction) {
        return -1;
    }
    zs_msg_t offer;
    zs_msg_init(&offer, ZS_MSG_TASK_OFFER);
    offer.task = task->id;
    offer.ttype = task->ttype;
    offer.tmo = self->swarm->auction_ms;
    for (size_t i = 0; i < auction->count; i++) {
        //  A failed send is a bid that never comes: the deadline covers it
        zs_broker_send(self->broker, auction->offers[i].agent->peer, &offer);
    }
    auction->timer_id =
        zloop_timer(self->loop, self->swarm->auction_ms, 1, s_on_deadline, self);
    return 0;
}

void
zs_coord_auction_bid(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_auction_t *auction = zs_sched_auction_find(self->sched, msg->task);
    //  A bid for a task no longer offered, or not offered to this agent, is dropped
    if (!auction || zs_auction_bid(auction, agent, msg->bid) != 0) {
        return;
    }
    if (zs_auction_complete(auction)) {
        zloop_timer_end(self->loop, auction->timer_id);
        s_close(self, auction);
    }
}
