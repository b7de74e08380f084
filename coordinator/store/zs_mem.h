//  zs_mem - the swarm's shared memory: keyed entries with versions, owners, tags, an
//  optional time to live and an access level (docs/memory.md, PROTOCOL.md §8.1)
//
//  An entry is bytes under a key, with a version (1 at creation, +1 per write), the
//  agent that created it (its owner; none for a control client), its tags, when it
//  expires (wall clock, so an expiry survives a restart) and who may read and change it:
//
//  - private: its owner only;
//  - team: agents of its owner's team (the hierarchical team, else the agent type);
//  - swarm: every agent.
//
//  Control clients may do anything. Whoever may read an entry may also write and delete
//  it; the owner stays its creator, and only the owner (or a client) changes its
//  access level. A write or delete may name the version it expects
//  (compare-and-set: 0 for "absent"). Refusals are errors, never empty answers. An
//  expired entry is invisible at once and removed by zs_mem_expire. The store is
//  bounded: ZS_MEM_ENTRIES_MAX entries and ZS_MEM_BYTES_MAX bytes of keys, values and
//  tags, which the writers choose the size of (the rest of an entry is fixed).
//
//  A signal is an entry that holds a number instead of bytes: deposits add to its
//  level, which halves every half-life (stigmergy: agents leave marks that fade unless
//  renewed). Reads see the level decayed to now; a query can ask for the strongest
//  signals under a prefix; a signal that has faded below ZS_MEM_FADED is removed as if
//  expired. Levels saturate at plus or minus ZS_MEM_LEVEL_MAX.

#ifndef ZS_MEM_H
#define ZS_MEM_H

#include <czmq.h>

#include "proto/zs_msg.h"

#define ZS_MEM_ENTRIES_MAX 100000       //  entries at once
#define ZS_MEM_BYTES_MAX   (64u << 20)  //  bytes of keys, values and tags together
#define ZS_MEM_FADED       0.001        //  a signal's level below which it is gone
#define ZS_MEM_LEVEL_MAX   1e12  //  a signal's level saturates at plus or minus this

typedef enum {
    ZS_MEM_PRIVATE,  //  its owner only
    ZS_MEM_TEAM,     //  its owner's team
    ZS_MEM_SWARM,    //  every agent
} zs_mem_access_t;

typedef struct {
    char *key;               //  owned
    uint8_t *value;          //  owned, NULL when empty
    size_t value_size;       //  its length
    char **tags;             //  owned
    size_t tag_count;        //  items in tags
    char *owner;             //  agent that created it, owned; NULL: a control client
    char *team;              //  that agent's team, owned; NULL: a control client
    zs_mem_access_t access;  //  who may read and change it
    uint64_t version;        //  from 1
    int64_t expires_ms;      //  zclock_time when it expires; 0: never
    bool signal;             //  it holds a level, not a value
    double level;            //  a signal's level at level_ms
    int64_t level_ms;        //  wall clock of level
    uint64_t half_life_ms;   //  a signal's half-life
} zs_mem_entry_t;

//  Who asks: a control client (agent NULL), or an agent and its team
typedef struct {
    const char *agent;  //  agent id, or NULL for a control client
    const char *team;   //  the agent's team: its hierarchical team, else its type
} zs_mem_who_t;

typedef struct zs_mem_t zs_mem_t;

//  Told of an entry that expired (or a signal that faded) just before it is removed
typedef void(zs_mem_expired_fn)(void *ctx, const zs_mem_entry_t *entry);

//  A new, empty store; fn (ctx borrowed) is told of every entry removed for expiry,
//  whether found by zs_mem_expire or by a write to its key.
zs_mem_t *zs_mem_new(zs_mem_expired_fn *fn, void *ctx);
void zs_mem_destroy(zs_mem_t **self_p);

//  The access level named by text ("private", "team", "swarm"), or -1.
int zs_mem_access_from_name(const char *text);
const char *zs_mem_access_name(zs_mem_access_t access);

//  Write the entry a mem.put (borrowed) describes, as who, at wall time now_ms. Returns
//  the entry (borrowed from the store), or NULL with err->code ZS_ERR_FORBIDDEN (who
//  may not), ZS_ERR_CONFLICT (cas, and another version), ZS_ERR_INVALID (access name)
//  or ZS_ERR_LIMIT (the store is full).
const zs_mem_entry_t *zs_mem_put(zs_mem_t *self,
                                 const zs_mem_who_t *who,
                                 const zs_msg_t *put,
                                 int64_t now_ms,
                                 zs_error_t *err);

//  Add a mem.deposit's amount (borrowed) to the signal under its key, as who, at wall
//  time now_ms; a new signal needs a half_life. Returns the signal, or NULL with
//  err->code ZS_ERR_FORBIDDEN, ZS_ERR_INVALID (no half_life for a new signal, the key
//  holds a value, an access name) or ZS_ERR_LIMIT.
const zs_mem_entry_t *zs_mem_deposit(zs_mem_t *self,
                                     const zs_mem_who_t *who,
                                     const zs_msg_t *deposit,
                                     int64_t now_ms,
                                     zs_error_t *err);

//  A signal's level decayed to now_ms.
double zs_mem_level(const zs_mem_entry_t *entry, int64_t now_ms);

//  The entry under key, borrowed, or NULL with err->code ZS_ERR_NO_KEY (absent or
//  expired) or ZS_ERR_FORBIDDEN.
const zs_mem_entry_t *zs_mem_get(zs_mem_t *self,
                                 const zs_mem_who_t *who,
                                 const char *key,
                                 int64_t now_ms,
                                 zs_error_t *err);

//  Delete the entry a mem.del (borrowed) names. Returns its last version, or 0 with
//  err->code ZS_ERR_NO_KEY, ZS_ERR_FORBIDDEN or ZS_ERR_CONFLICT.
uint64_t zs_mem_delete(zs_mem_t *self,
                       const zs_mem_who_t *who,
                       const zs_msg_t *del,
                       int64_t now_ms,
                       zs_error_t *err);

//  What a query selects: keys that start with prefix (NULL or "": all) and carry every
//  one of tags (count items); with top, the top strongest signals among them
typedef struct {
    const char *prefix;  //  keys start with it; NULL or "": all
    char *const *tags;   //  entries carry every one of them
    size_t count;        //  items in tags
    size_t top;          //  0: every key; N: the N strongest signals
} zs_mem_query_t;

//  The keys who may read that query selects, as a new list of copies: sorted by key, or
//  strongest signal first with top; NULL with err->code ZS_ERR_LIMIT when more than max
//  match (a query with top never fails).
zlistx_t *zs_mem_query(zs_mem_t *self,
                       const zs_mem_who_t *who,
                       const zs_mem_query_t *query,
                       size_t max,
                       int64_t now_ms,
                       zs_error_t *err);

//  Put back an entry from the journal, unchecked: a mem.put record (zs_mem_describe)
//  with its version, owner (agent), owner's team (atype) and expiry resolved.
void zs_mem_restore(zs_mem_t *self, const zs_msg_t *record);

//  Remove an entry unchecked (a journal's mem.del record). No-op if it is absent.
void zs_mem_remove(zs_mem_t *self, const char *key);

//  Remove the entries expired (or signals faded) at now_ms, telling the store's
//  expired function of each first.
void zs_mem_expire(zs_mem_t *self, int64_t now_ms);

//  Iterate over the entries, for a journal snapshot: first/next return NULL at the end.
const zs_mem_entry_t *zs_mem_first(zs_mem_t *self);
const zs_mem_entry_t *zs_mem_next(zs_mem_t *self);

//  Entries stored.
size_t zs_mem_size(zs_mem_t *self);

//  Fill a mem.put message (initialised by the caller) from entry, borrowing from it:
//  the form of a journal record.
void zs_mem_describe(const zs_mem_entry_t *entry, zs_msg_t *msg);

#endif
