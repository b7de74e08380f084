//  zs_listen - see zs_listen.h

#include "agent/zs_listen.h"

#include "common/zs_curve.h"

#include <string.h>

#define ZS_LISTEN_HWM       1024  //  events queued; agent events are few
#define ZS_LISTEN_LINGER_MS 0     //  a SUB has nothing to flush

//  The topics it subscribes to: the events addressed to agents (zs_msg_to_agents)
static const zs_msg_type_t s_topics[] = {ZS_MSG_EV_AGENT_BROADCAST,
                                         ZS_MSG_EV_AGENT_PAUSED, ZS_MSG_EV_AGENT_RESUMED};

struct _zs_listen_t {
    zloop_t *loop;                              //  borrowed
    zs_listen_ops_t ops;                        //  the owner's part
    void *ctx;                                  //  borrowed
    zsock_t *sock;                              //  owned: SUB, or NULL
    char endpoint[ZS_LISTEN_ENDPOINT_MAX + 1];  //  where sock is connected, or ""
    uint64_t aseq;                              //  the last aseq we know the state of
    uint64_t ahead;  //  a heartbeat's aseq past ours, not yet caught up with, or 0
    bool syncing;    //  a sync was asked for and not answered
};

zs_listen_t *
zs_listen_new(zloop_t *loop, const zs_listen_ops_t *ops, void *ctx)
{
    assert(loop);
    assert(ops && ops->event && ops->gap);
    zs_listen_t *self = zs_calloc(1, sizeof *self);
    self->loop = loop;
    self->ops = *ops;
    self->ctx = ctx;
    return self;
}

static void
s_close(zs_listen_t *self)
{
    if (self->sock) {
        zloop_reader_end(self->loop, self->sock);
        zsock_destroy(&self->sock);
    }
    self->endpoint[0] = '\0';
}

void
zs_listen_destroy(zs_listen_t **self_p)
{
    assert(self_p);
    zs_listen_t *self = *self_p;
    if (self) {
        s_close(self);
        free(self);
        *self_p = NULL;
    }
}

static void
s_gap(zs_listen_t *self)
{
    self->ahead = 0;
    if (!self->syncing) {
        self->syncing = true;
        self->ops.gap(self->ctx);
    }
}

//  One event: new ones go to the owner, in order; one past the next is a gap
static void
s_on_event(zs_listen_t *self, const zs_msg_t *event)
{
    if (!zs_msg_to_agents(event->type) || event->aseq <= self->aseq) {
        return;
    }
    bool gap = event->aseq > self->aseq + 1;
    self->aseq = event->aseq;
    if (self->ahead <= self->aseq) {
        self->ahead = 0;
    }
    self->ops.event(self->ctx, event);
    if (gap) {
        s_gap(self);
    }
}

static int
s_on_socket(zloop_t *loop, zsock_t *reader, void *arg)
{
    zs_listen_t *self = arg;
    //  A batch at a time, so that a burst does not starve the loop's other readers
    for (int n = 0; n < 64; n++) {
        zmsg_t *frames = zmsg_recv_nowait(reader);
        if (!frames) {
            break;
        }
        zframe_t *body = zmsg_size(frames) == 2 ? zmsg_last(frames) : NULL;
        zs_msg_t event;
        zs_error_t err;
        if (body &&
            zs_msg_decode(&event, zframe_data(body), zframe_size(body), &err) == 0) {
            s_on_event(self, &event);
            zs_msg_fini(&event);
        }
        zmsg_destroy(&frames);
    }
    return 0;
}

int
zs_listen_connect(zs_listen_t *self,
                  const char *endpoint,
                  zcert_t *cert,
                  const char *server_z85,
                  zs_error_t *err)
{
    assert(self);
    assert(endpoint);
    if (streq(self->endpoint, endpoint)) {
        return 0;
    }
    if (strlen(endpoint) > ZS_LISTEN_ENDPOINT_MAX) {
        return zs_error_set(err, 0, "events endpoint longer than %d bytes",
                            ZS_LISTEN_ENDPOINT_MAX);
    }
    s_close(self);
    self->sock = zsock_new(ZMQ_SUB);
    if (!self->sock) {
        return zs_error_set(err, 0, "cannot create a socket: %s", zmq_strerror(errno));
    }
    zsock_set_linger(self->sock, ZS_LISTEN_LINGER_MS);
    zsock_set_rcvhwm(self->sock, ZS_LISTEN_HWM);
    zsock_set_maxmsgsize(self->sock, (int) ZS_MSG_FRAME_MAX);
    for (size_t i = 0; i < sizeof s_topics / sizeof s_topics[0]; i++) {
        zsock_set_subscribe(self->sock, zs_msg_type_name(s_topics[i]));
    }
    if ((cert && zs_curve_apply(zsock_resolve(self->sock), cert, server_z85) != 0) ||
        zsock_connect(self->sock, "%s", endpoint) != 0) {
        zs_error_set(err, 0, "cannot subscribe at '%s': %s", endpoint,
                     zmq_strerror(errno));
        zsock_destroy(&self->sock);
        return -1;
    }
    zloop_reader(self->loop, self->sock, s_on_socket, self);
    zloop_reader_set_tolerant(self->loop, self->sock);
    snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    return 0;
}

const char *
zs_listen_endpoint(zs_listen_t *self)
{
    assert(self);
    return self->endpoint[0] ? self->endpoint : NULL;
}

void
zs_listen_restart(zs_listen_t *self, uint64_t aseq)
{
    assert(self);
    self->aseq = aseq;
    self->ahead = 0;
    self->syncing = false;
}

void
zs_listen_heard(zs_listen_t *self, uint64_t aseq)
{
    assert(self);
    if (aseq <= self->aseq) {
        self->ahead = 0;
    } else if (self->ahead) {
        s_gap(self);  //  a heartbeat ago we were behind already: the event is lost
    } else {
        self->ahead = aseq;
    }
}

void
zs_listen_synced(zs_listen_t *self, uint64_t aseq)
{
    assert(self);
    self->syncing = false;
    if (aseq > self->aseq) {
        self->aseq = aseq;
    }
    if (self->ahead <= self->aseq) {
        self->ahead = 0;
    }
}

//  The host part of a tcp:// endpoint: where it starts and how long it is; 0 when not
//  tcp://
static size_t
s_host(const char *endpoint, const char **host_p)
{
    if (strncmp(endpoint, "tcp://", 6) != 0) {
        return 0;
    }
    const char *host = endpoint + 6;
    const char *port = strrchr(host, ':');
    *host_p = host;
    return port ? (size_t) (port - host) : 0;
}

int
zs_listen_resolve(const char *events, const char *agents, char *out, size_t size)
{
    const char *host = NULL, *agents_host = NULL;
    size_t len = s_host(events, &host);
    size_t agents_len = s_host(agents, &agents_host);
    bool wildcard = (len == 7 && strncmp(host, "0.0.0.0", 7) == 0) ||
                    (len == 1 && host[0] == '*') ||
                    (len == 4 && strncmp(host, "[::]", 4) == 0);
    int n = wildcard && agents_len ? snprintf(out, size, "tcp://%.*s%s", (int) agents_len,
                                              agents_host, host + len)
                                   : snprintf(out, size, "%s", events);
    return n >= 0 && (size_t) n < size ? 0 : -1;
}
