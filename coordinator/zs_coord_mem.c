//  zs_coord_mem - shared memory requests (PROTOCOL.md §8.1, docs/memory.md) from
//  control clients and from agents, over the store in zs_mem.c
//
//  Each request is served the same way whoever sends it; only who asks (a client, or an
//  agent and its team) and where the reply goes differ. A change is journaled before its
//  reply leaves: a client's reply is held until the batch's records are committed
//  (zs_durable_sync), an agent's waits for an immediate commit. Every change is
//  published as a mem.changed event (key and version, never the value).

#include "coordinator/zs_coord_mem.h"

#include <assert.h>

#include <math.h>
#include <string.h>

//  Who asks: where the reply goes, and what the store checks
typedef struct {
    zs_core_asker_t to;
    zs_mem_who_t who;
} s_asker_t;

static s_asker_t
s_client(const zs_client_ref_t *client)
{
    return (s_asker_t){{client, NULL}, {NULL, NULL}};
}

static s_asker_t
s_agent(zs_agent_t *agent)
{
    //  An agent's team is its hierarchical team, else its type
    const char *team = agent->place.team ? agent->place.team : agent->atype;
    return (s_asker_t){{NULL, agent->peer}, {agent->id, team}};
}

static void
s_reply(zs_coord_mem_t *self, const s_asker_t *asker, zs_msg_t *reply, uint64_t rid)
{
    zs_core_answer(self->core, &asker->to, reply, rid);
}

static void
s_refuse(zs_coord_mem_t *self,
         const s_asker_t *asker,
         const zs_error_t *err,
         uint64_t rid)
{
    zs_core_refuse(self->core, &asker->to, err, rid);
}

static void
s_publish(zs_coord_mem_t *self,
          const char *key,
          uint64_t version,
          const char *state,
          const char *agent)
{
    zs_msg_t event;
    zs_msg_init(&event, ZS_MSG_EV_MEM_CHANGED);
    event.key = key;
    event.version = version;
    event.state = state;
    event.agent = agent;
    zs_core_publish(self->core, &event);
}

//  An agent's change is on disk before its reply, which the broker does not hold: 0,
//  or -1 with err set when the journal cannot be written (the change is made, in
//  memory, and is written with the next commit that succeeds)
static int
s_durable(zs_coord_mem_t *self, const s_asker_t *asker, zs_error_t *err)
{
    if (asker->to.peer && zs_durable_sync(self->durable) != 0) {
        return zs_error_set(
            err, ZS_ERR_LIMIT,
            "the journal cannot be written: the change is not durable yet");
    }
    return 0;
}

//  The fields a journal record resolves are not a request's to set
static int
s_check_put(const zs_msg_t *msg, zs_error_t *err)
{
    if (msg->agent || msg->atype || msg->expires || msg->half_life || msg->level_micro ||
        msg->at) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "'agent', 'atype', 'expires', 'half_life', 'level_micro' and "
                            "'at' are for journal records");
    }
    return 0;
}

//  A write or deposit was made: journal and publish it, then answer with reply_type
//  (key, version, and a signal's level) once it is durable
static void
s_written(zs_coord_mem_t *self,
          const s_asker_t *asker,
          const zs_msg_t *msg,
          const zs_mem_entry_t *entry,
          zs_msg_type_t reply_type)
{
    zs_durable_mem_put(self->durable, entry);
    //  Published whatever the commit: the change is made, in memory at least
    s_publish(self, entry->key, entry->version, "put", asker->who.agent);
    zs_error_t err;
    zs_error_init(&err);
    if (s_durable(self, asker, &err) != 0) {
        s_refuse(self, asker, &err, msg->rid);
        return;
    }
    zs_msg_t reply;
    zs_msg_init(&reply, reply_type);
    reply.key = entry->key;
    reply.version = entry->version;
    reply.level = entry->signal ? llround(entry->level) : 0;
    s_reply(self, asker, &reply, msg->rid);
}

static void
s_put(zs_coord_mem_t *self, const s_asker_t *asker, const zs_msg_t *msg)
{
    zs_error_t err;
    zs_error_init(&err);
    const zs_mem_entry_t *entry = NULL;
    if (s_check_put(msg, &err) == 0) {
        entry = zs_mem_put(self->mem, &asker->who, msg, zs_core_wall(self->core), &err);
    }
    if (entry) {
        s_written(self, asker, msg, entry, ZS_MSG_MEM_PUT_OK);
    } else {
        s_refuse(self, asker, &err, msg->rid);
    }
}

static void
s_deposit(zs_coord_mem_t *self, const s_asker_t *asker, const zs_msg_t *msg)
{
    zs_error_t err;
    zs_error_init(&err);
    const zs_mem_entry_t *entry =
        zs_mem_deposit(self->mem, &asker->who, msg, zs_core_wall(self->core), &err);
    if (entry) {
        s_written(self, asker, msg, entry, ZS_MSG_MEM_DEPOSIT_OK);
    } else {
        s_refuse(self, asker, &err, msg->rid);
    }
}

static void
s_get(zs_coord_mem_t *self, const s_asker_t *asker, const zs_msg_t *msg)
{
    zs_error_t err;
    zs_error_init(&err);
    int64_t now = zs_core_wall(self->core);
    const zs_mem_entry_t *entry = zs_mem_get(self->mem, &asker->who, msg->key, now, &err);
    if (!entry) {
        s_refuse(self, asker, &err, msg->rid);
        return;
    }
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_MEM_GET_OK);
    zs_mem_describe(entry, &reply);
    if (!entry->signal && !reply.value) {
        reply.value = (const uint8_t *) "";  //  empty, not absent (PROTOCOL.md §8.1)
    }
    reply.atype = NULL;  //  the journal's; a reply says the owner, not its team
    reply.expires = 0;
    reply.level_micro = 0;
    reply.at = 0;
    reply.level = entry->signal ? llround(zs_mem_level(entry, now)) : 0;
    reply.ttl = entry->expires_ms ? (uint64_t) (entry->expires_ms - now) : 0;
    s_reply(self, asker, &reply, msg->rid);
}

static void
s_delete(zs_coord_mem_t *self, const s_asker_t *asker, const zs_msg_t *msg)
{
    zs_error_t err;
    zs_error_init(&err);
    uint64_t version =
        zs_mem_delete(self->mem, &asker->who, msg, zs_core_wall(self->core), &err);
    if (!version) {
        s_refuse(self, asker, &err, msg->rid);
        return;
    }
    zs_durable_mem_del(self->durable, msg->key);
    s_publish(self, msg->key, version, "deleted", asker->who.agent);
    if (s_durable(self, asker, &err) != 0) {
        s_refuse(self, asker, &err, msg->rid);
        return;
    }
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_MEM_DEL_OK);
    reply.key = msg->key;
    reply.version = version;
    s_reply(self, asker, &reply, msg->rid);
}

static void
s_query(zs_coord_mem_t *self, const s_asker_t *asker, const zs_msg_t *msg)
{
    zs_error_t err;
    zs_error_init(&err);
    //  char *const * from const char **: the store only reads the strings
    zs_mem_query_t query = {msg->prefix, (char *const *) (void *) msg->tags.items,
                            msg->tags.count, msg->top};
    zlistx_t *keys = zs_mem_query(self->mem, &asker->who, &query, ZS_MSG_ITEMS_MAX,
                                  zs_core_wall(self->core), &err);
    if (!keys) {
        s_refuse(self, asker, &err, msg->rid);
        return;
    }
    size_t count = zlistx_size(keys);
    const char **items = zs_calloc(count + 1, sizeof *items);
    size_t n = 0;
    for (const char *key = zlistx_first(keys); key; key = zlistx_next(keys)) {
        items[n++] = key;
    }
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_MEM_QUERY_OK);
    reply.keys = (zs_msg_list_t){items, n};
    s_reply(self, asker, &reply, msg->rid);
    free(items);
    zlistx_destroy(&keys);
}

typedef void(s_serve_fn)(zs_coord_mem_t *self,
                         const s_asker_t *asker,
                         const zs_msg_t *msg);

static s_serve_fn *const s_servers[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_MEM_PUT] = s_put,         [ZS_MSG_MEM_GET] = s_get,
    [ZS_MSG_MEM_DEL] = s_delete,      [ZS_MSG_MEM_QUERY] = s_query,
    [ZS_MSG_MEM_DEPOSIT] = s_deposit,
};

void
zs_coord_mem_client(zs_coord_mem_t *self,
                    const zs_client_ref_t *client,
                    const zs_msg_t *msg)
{
    s_asker_t asker = s_client(client);
    s_servers[msg->type](self, &asker, msg);
}

void
zs_coord_mem_agent(zs_coord_mem_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    s_asker_t asker = s_agent(agent);
    s_servers[msg->type](self, &asker, msg);
}

static void
s_expired(void *ctx, const zs_mem_entry_t *entry)
{
    zs_coord_mem_t *self = ctx;
    zs_durable_mem_del(self->durable, entry->key);
    s_publish(self, entry->key, entry->version, "expired", NULL);
}

void
zs_coord_mem_tick(zs_coord_mem_t *self)
{
    zs_mem_expire(self->mem, zs_core_wall(self->core));
}

void
zs_coord_mem_init(zs_coord_mem_t *self, zs_core_t *core, zs_durable_t *durable)
{
    assert(self);
    *self = (zs_coord_mem_t){.core = core, .durable = durable};
    self->mem = zs_mem_new(s_expired, self);
}

void
zs_coord_mem_fini(zs_coord_mem_t *self)
{
    zs_mem_destroy(&self->mem);
}
