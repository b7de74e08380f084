//  zs_test_core - the coordinator's parts in a test: a core whose outputs are recorded,
//  whose clocks the test sets and whose timers the test fires
//
//  The parts send, reply and publish through zs_core's io table (coordinator/core/
//  zs_core.h). Here each message is encoded and decoded again, as the wire would, and
//  kept: a test takes what it expects (zs_test_core_take) and checks that nothing else
//  was said. Timers fire only when the test moves the clock past them
//  (zs_test_core_advance), so no case depends on how fast the machine is. Peers are
//  made-up addresses: the parts never look inside them. Clients are made-up routing ids
//  (zs_test_client): a part may keep a copy of one (a waiter does) and reply to the
//  copy, so a reply is matched to its client by routing id, not by address.

#ifndef ZS_TEST_CORE_H
#define ZS_TEST_CORE_H

#include <czmq.h>
#include <string.h>

#include "coordinator/core/zs_core.h"

#define ZS_TEST_CORE_TIMERS 64  //  timers a test may have set at once

//  Where a recorded message went
typedef enum {
    ZS_TEST_SENT,       //  to a session (zs_core_send)
    ZS_TEST_REPLIED,    //  to a control client (zs_core_reply)
    ZS_TEST_PUBLISHED,  //  as an event (zs_core_publish)
} zs_test_route_t;

//  One recorded message, decoded again
typedef struct {
    zs_test_route_t route;   //  where it went
    const void *to;          //  the peer or client (gone, maybe), NULL for an event
    zs_client_ref_t client;  //  a reply's client, copied: the part's may be gone
    zs_msg_t msg;            //  its decoded copy, owning its arena
} zs_test_said_t;

typedef struct {
    int64_t due;         //  the test clock's time it fires at
    zloop_timer_fn *fn;  //  what it calls
    void *arg;           //  with this
    bool armed;          //  set and not fired or ended
} zs_test_timer_t;

typedef struct {
    zs_core_t core;                               //  the parts' core
    int64_t now;                                  //  the monotonic clock, ms
    int64_t wall;                                 //  the wall clock, ms since the epoch
    zlistx_t *said;                               //  zs_test_said_t *, oldest first
    zs_test_timer_t timers[ZS_TEST_CORE_TIMERS];  //  by timer id
    const void *unreachable;                      //  a peer sends to fail for, or NULL
    unsigned releases;                            //  zs_core_release calls
    uint64_t seq;                                 //  events published
    msgpack_sbuffer buf;                          //  encode buffer
} zs_test_core_t;

static void
zs_test_core_record_(zs_test_core_t *self,
                     zs_test_route_t route,
                     const void *to,
                     const zs_msg_t *msg)
{
    zs_test_said_t *said = zs_calloc(1, sizeof *said);
    said->route = route;
    said->to = to;
    zs_error_t err;
    if (zs_msg_encode(msg, &self->buf) != 0 ||
        zs_msg_decode(&said->msg, self->buf.data, self->buf.size, &err) != 0) {
        fprintf(stderr, "  a part said a message that is not valid on the wire: '%s'\n",
                zs_msg_type_name(msg->type));
        abort();
    }
    zlistx_add_end(self->said, said);
}

//  A send to the unreachable peer fails as the broker's does when it cannot queue:
//  the message is lost
static int
zs_test_core_send_(void *ctx, zs_peer_t *peer, const zs_msg_t *msg)
{
    zs_test_core_t *self = ctx;
    if (peer == self->unreachable) {
        return -1;
    }
    zs_test_core_record_(self, ZS_TEST_SENT, peer, msg);
    return 0;
}

static void
zs_test_core_reply_(void *ctx, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_test_core_t *self = ctx;
    zs_test_core_record_(self, ZS_TEST_REPLIED, client, msg);
    zs_test_said_t *said = zlistx_last(self->said);
    said->client = *client;
}

static void
zs_test_core_publish_(void *ctx, zs_msg_t *msg)
{
    zs_test_core_t *self = ctx;
    msg->seq = ++self->seq;
    zs_test_core_record_(self, ZS_TEST_PUBLISHED, NULL, msg);
}

static void
zs_test_core_release_(void *ctx)
{
    zs_test_core_t *self = ctx;
    self->releases++;
}

static int64_t
zs_test_core_now_(void *ctx)
{
    return ((zs_test_core_t *) ctx)->now;
}

static int64_t
zs_test_core_wall_(void *ctx)
{
    return ((zs_test_core_t *) ctx)->wall;
}

static int
zs_test_core_timer_(void *ctx, size_t delay_ms, zloop_timer_fn *fn, void *arg)
{
    zs_test_core_t *self = ctx;
    for (int id = 0; id < ZS_TEST_CORE_TIMERS; id++) {
        if (!self->timers[id].armed) {
            self->timers[id] =
                (zs_test_timer_t){self->now + (int64_t) delay_ms, fn, arg, true};
            return id;
        }
    }
    return -1;
}

static void
zs_test_core_timer_end_(void *ctx, int timer_id)
{
    zs_test_core_t *self = ctx;
    if (timer_id >= 0 && timer_id < ZS_TEST_CORE_TIMERS) {
        self->timers[timer_id].armed = false;
    }
}

static const zs_core_io_t zs_test_core_io_ = {
    zs_test_core_send_,    zs_test_core_reply_,     zs_test_core_publish_,
    zs_test_core_release_, zs_test_core_now_,       zs_test_core_wall_,
    zs_test_core_timer_,   zs_test_core_timer_end_,
};

static void
zs_test_said_destroy_(void **item)
{
    zs_test_said_t *said = *item;
    zs_msg_fini(&said->msg);
    free(said);
    *item = NULL;
}

//  Start a core over swarm (borrowed), its clocks at 1,000,000 ms
static inline void
zs_test_core_init(zs_test_core_t *self, const zs_swarm_t *swarm)
{
    memset(self, 0, sizeof *self);
    self->now = 1000000;
    self->wall = 1700000000000;
    self->said = zlistx_new();
    zlistx_set_destructor(self->said, zs_test_said_destroy_);
    msgpack_sbuffer_init(&self->buf);
    zs_core_init(&self->core, swarm, &zs_test_core_io_, self);
}

//  The recording io table, for parts a test sets up with their own core
//  (zs_coord_parts_init): its ctx is the zs_test_core_t, started first
static inline const zs_core_io_t *
zs_test_core_io(void)
{
    return &zs_test_core_io_;
}

static inline void
zs_test_core_fini(zs_test_core_t *self)
{
    zlistx_destroy(&self->said);
    msgpack_sbuffer_destroy(&self->buf);
}

//  Move both clocks on by ms, firing in order every timer that falls due
static inline void
zs_test_core_advance(zs_test_core_t *self, int64_t ms)
{
    int64_t until = self->now + ms;
    while (true) {
        int next = -1;
        for (int id = 0; id < ZS_TEST_CORE_TIMERS; id++) {
            const zs_test_timer_t *timer = &self->timers[id];
            if (timer->armed && timer->due <= until &&
                (next < 0 || timer->due < self->timers[next].due)) {
                next = id;
            }
        }
        if (next < 0) {
            break;
        }
        self->wall += self->timers[next].due - self->now;
        self->now = self->timers[next].due;
        self->timers[next].armed = false;
        self->timers[next].fn(NULL, next, self->timers[next].arg);
    }
    self->wall += until - self->now;
    self->now = until;
}

//  A made-up control client whose routing id is name
static inline void
zs_test_client(zs_client_ref_t *self, const char *name)
{
    memset(self, 0, sizeof *self);
    self->ident.size = (uint8_t) strlen(name);
    memcpy(self->ident.data, name, self->ident.size);
}

//  True when said went to `to`: the same peer, or a client of the same routing id
static inline bool
zs_test_said_to_(const zs_test_said_t *said, const void *to)
{
    if (said->route != ZS_TEST_REPLIED) {
        return said->to == to;
    }
    const zs_ident_t *a = &said->client.ident,
                     *b = &((const zs_client_ref_t *) to)->ident;
    return a->size == b->size && memcmp(a->data, b->data, a->size) == 0;
}

//  The first message of type said on route (to `to`, when not NULL: a peer, or a
//  zs_client_ref_t for a reply) since it was last taken: taken off the record and
//  returned, owned by the caller (free with zs_test_said_destroy); NULL when there is
//  none
static inline zs_test_said_t *
zs_test_core_take(zs_test_core_t *self,
                  zs_test_route_t route,
                  zs_msg_type_t type,
                  const void *to)
{
    for (zs_test_said_t *said = zlistx_first(self->said); said;
         said = zlistx_next(self->said)) {
        if (said->route == route && said->msg.type == type &&
            (!to || zs_test_said_to_(said, to))) {
            zlistx_detach_cur(self->said);
            return said;
        }
    }
    return NULL;
}

//  Take and free the first such message: true when there was one
static inline bool
zs_test_core_took(zs_test_core_t *self,
                  zs_test_route_t route,
                  zs_msg_type_t type,
                  const void *to)
{
    zs_test_said_t *said = zs_test_core_take(self, route, type, to);
    bool found = said != NULL;
    if (found) {
        zs_test_said_destroy_((void **) &said);
    }
    return found;
}

static inline void
zs_test_said_destroy(zs_test_said_t **said_p)
{
    if (*said_p) {
        zs_test_said_destroy_((void **) said_p);
    }
}

//  Forget every message recorded so far
static inline void
zs_test_core_forget(zs_test_core_t *self)
{
    zlistx_purge(self->said);
}

//  Messages recorded and not taken
static inline size_t
zs_test_core_left(zs_test_core_t *self)
{
    return zlistx_size(self->said);
}

//  A swarm from YAML text, or NULL after printing why
static inline zs_swarm_t *
zs_test_swarm(const char *text)
{
    zs_error_t err;
    zs_swarm_t *swarm = zs_swarm_parse(text, strlen(text), "test.yaml", &err);
    if (!swarm) {
        fprintf(stderr, "  swarm: %s\n", err.text);
    }
    return swarm;
}

#endif
