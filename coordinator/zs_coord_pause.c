//  zs_coord_pause - see zs_coord_pause.h

#include "coordinator/zs_coord_pause.h"

#include "coordinator/zs_coord.h"

#include <string.h>

void
zs_coord_pause_init(zs_coord_pause_t *self)
{
    //  Keys only: zhashx duplicates and frees the keys, the items are not pointers
    self->types = zhashx_new();
    self->ids = zhashx_new();
}

void
zs_coord_pause_fini(zs_coord_pause_t *self)
{
    zhashx_destroy(&self->types);
    zhashx_destroy(&self->ids);
}

bool
zs_coord_pause_applies(zs_coord_pause_t *self, const zs_agent_t *agent)
{
    return zhashx_lookup(self->ids, agent->id) ||
           zhashx_lookup(self->types, agent->atype);
}

//  Add key to a set (a present key stays). Returns 0, or -1 when the set is full.
static int
s_set_add(zhashx_t *set, const char *key)
{
    if (zhashx_lookup(set, key)) {
        return 0;
    }
    if (zhashx_size(set) >= ZS_COORD_PAUSED_MAX) {
        return -1;
    }
    zhashx_insert(set, key, (void *) 1);
    return 0;
}

static bool
s_name_valid(const char *name)
{
    return zs_msg_name_valid(name, strlen(name), ZS_MSG_NAME_MAX);
}

//  True when msg (broadcast, pause or resume) is for agent: its id, or its type, or
//  every agent when it names neither
static bool
s_addressed(const zs_msg_t *msg, const zs_agent_t *agent)
{
    return msg->agent   ? streq(agent->id, msg->agent)
           : msg->atype ? streq(agent->atype, msg->atype)
                        : true;
}

//  The registered agents msg is for, as a new list of borrowed agents
static zlistx_t *
s_addressees(zs_coord_t *self, const zs_msg_t *msg)
{
    zlistx_t *agents = zlistx_new();
    for (zs_agent_t *agent = zs_registry_first(self->dispatch.registry); agent;
         agent = zs_registry_next(self->dispatch.registry)) {
        if (s_addressed(msg, agent)) {
            zlistx_add_end(agents, agent);
        }
    }
    return agents;
}

static void
s_reply_count(zs_coord_t *self,
              const zs_client_ref_t *client,
              const zs_msg_t *msg,
              zs_msg_type_t type,
              size_t count)
{
    zs_msg_t reply;
    zs_msg_init(&reply, type);
    reply.rid = msg->rid;
    reply.count = count;
    zs_core_reply(&self->core, client, &reply);
}

//  A broadcast's fields: 0, or -1 with err
static int
s_check_broadcast(const zs_msg_t *msg, zs_error_t *err)
{
    if (msg->payload_size == 0 || msg->payload_size > ZS_MSG_NOTE_MAX) {
        return zs_error_set(err, ZS_ERR_INVALID, "payload must be 1-%u bytes",
                            ZS_MSG_NOTE_MAX);
    }
    if (msg->atype && !s_name_valid(msg->atype)) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "atype must be 1-%d characters of A-Z a-z 0-9 . _ : -",
                            ZS_MSG_NAME_MAX);
    }
    return 0;
}

static void
s_broadcast(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_error_t err;
    if (s_check_broadcast(msg, &err) != 0) {
        zs_core_refuse_client(&self->core, client, msg->rid, &err);
        return;
    }
    zlistx_t *agents = s_addressees(self, msg);
    zs_msg_t event;
    zs_msg_init(&event, ZS_MSG_EV_AGENT_BROADCAST);
    event.payload = msg->payload;
    event.payload_size = msg->payload_size;
    event.atype = msg->atype;
    zs_core_publish(&self->core, &event);
    s_reply_count(self, client, msg, ZS_MSG_BROADCAST_OK, zlistx_size(agents));
    zlistx_destroy(&agents);
}

//  A pause's or a resume's fields: exactly one of agent and atype, a known agent, and
//  no resume of an agent whose type is paused (the type's pause would take it again at
//  its next registration); 0, or -1 with err
static int
s_check_pause(zs_coord_t *self, const zs_msg_t *msg, zs_error_t *err)
{
    if (!msg->agent == !msg->atype) {
        return zs_error_set(err, ZS_ERR_INVALID, "give exactly one of agent and atype");
    }
    const char *name = msg->agent ? msg->agent : msg->atype;
    if (!s_name_valid(name)) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "%s must be 1-%d characters of A-Z a-z 0-9 . _ : -",
                            msg->agent ? "agent" : "atype", ZS_MSG_NAME_MAX);
    }
    const zs_agent_t *agent =
        msg->agent ? zs_registry_find(self->dispatch.registry, msg->agent) : NULL;
    if (msg->agent && !agent && !zhashx_lookup(self->pause.ids, msg->agent)) {
        return zs_error_set(err, ZS_ERR_INVALID, "no such agent");
    }
    if (msg->type == ZS_MSG_RESUME && agent &&
        zhashx_lookup(self->pause.types, agent->atype)) {
        char atype[ZS_MSG_NAME_MAX * 4 + 1];
        return zs_error_set(err, ZS_ERR_INVALID,
                            "its type '%s' is paused: resume the type",
                            zs_sanitize_str(atype, sizeof atype, agent->atype));
    }
    return 0;
}

//  Remember a pause for agents that register later, or forget it. Returns 0, or -1
//  with err when too many are remembered.
static int
s_remember(zs_coord_pause_t *self, const zs_msg_t *msg, bool paused, zs_error_t *err)
{
    zhashx_t *set = msg->agent ? self->ids : self->types;
    const char *key = msg->agent ? msg->agent : msg->atype;
    if (!paused) {
        zhashx_delete(set, key);
        return 0;
    }
    if (s_set_add(set, key) != 0) {
        return zs_error_set(err, ZS_ERR_LIMIT, "more than %d %s paused",
                            ZS_COORD_PAUSED_MAX, msg->agent ? "agents" : "agent types");
    }
    return 0;
}

static void
s_pause(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    bool paused = msg->type == ZS_MSG_PAUSE;
    zs_error_t err;
    if (s_check_pause(self, msg, &err) != 0 ||
        s_remember(&self->pause, msg, paused, &err) != 0) {
        zs_core_refuse_client(&self->core, client, msg->rid, &err);
        return;
    }
    //  Collected first: feeding a resumed agent may walk the registry
    zlistx_t *agents = s_addressees(self, msg);
    for (zs_agent_t *agent = zlistx_first(agents); agent; agent = zlistx_next(agents)) {
        agent->paused = paused;
        if (paused) {
            //  Its backlog goes to others: the batch's settle gives it out again
            zs_sched_backlog_release(self->dispatch.sched, agent);
        } else {
            //  Resuming an agent forgets its own pause as well as its type's
            zhashx_delete(self->pause.ids, agent->id);
        }
    }
    zs_msg_t event;
    zs_msg_init(&event, paused ? ZS_MSG_EV_AGENT_PAUSED : ZS_MSG_EV_AGENT_RESUMED);
    event.agent = msg->agent;
    event.atype = msg->atype;
    zs_core_publish(&self->core, &event);
    s_reply_count(self, client, msg, paused ? ZS_MSG_PAUSE_OK : ZS_MSG_RESUME_OK,
                  zlistx_size(agents));
    for (zs_agent_t *agent = zlistx_first(agents); agent && !paused;
         agent = zlistx_next(agents)) {
        zs_dispatch_feed(&self->dispatch, agent);
    }
    zlistx_destroy(&agents);
}

void
zs_coord_pause_control(zs_coord_t *self,
                       const zs_client_ref_t *client,
                       const zs_msg_t *msg)
{
    if (msg->type == ZS_MSG_BROADCAST) {
        s_broadcast(self, client, msg);
    } else {
        s_pause(self, client, msg);
    }
}

void
zs_coord_pause_sync(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_AGENT_SYNC_OK);
    reply.rid = msg->rid;
    reply.aseq = zs_broker_aseq(self->broker);
    reply.paused = agent->paused;
    zs_core_send(&self->core, agent->peer, &reply);
}
