//  zs_mem - see zs_mem.h

#include "coordinator/store/zs_mem.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct zs_mem_t {
    zhashx_t *entries;           //  key -> zs_mem_entry_t *, owned
    size_t bytes;                //  keys, values and tags of all entries (s_bytes)
    zs_mem_expired_fn *expired;  //  told of each entry removed for expiry
    void *expired_ctx;           //  its context, borrowed
};

static const char *s_access_names[] = {
    [ZS_MEM_PRIVATE] = "private",
    [ZS_MEM_TEAM] = "team",
    [ZS_MEM_SWARM] = "swarm",
};

int
zs_mem_access_from_name(const char *text)
{
    for (size_t i = 0; i < sizeof s_access_names / sizeof s_access_names[0]; i++) {
        if (text && streq(text, s_access_names[i])) {
            return (int) i;
        }
    }
    return -1;
}

const char *
zs_mem_access_name(zs_mem_access_t access)
{
    return s_access_names[access];
}

static char *
s_strdup_or_null(const char *text)
{
    return text ? zs_strdup(text) : NULL;
}

//  What a writer chooses the size of: the key, value and tags. ZS_MEM_BYTES_MAX bounds
//  their sum over the entries; what each entry holds besides is fixed (the owner's and
//  team's names are names), and ZS_MEM_ENTRIES_MAX bounds that
static size_t
s_bytes(const char *key, size_t value_size, const char *const *tags, size_t tag_count)
{
    size_t bytes = strlen(key) + 1 + value_size;
    for (size_t i = 0; i < tag_count; i++) {
        bytes += strlen(tags[i]) + 1;
    }
    return bytes;
}

static size_t
s_entry_bytes(const zs_mem_entry_t *entry)
{
    //  char ** to const char *const *: only read
    return s_bytes(entry->key, entry->value_size, (const char *const *) entry->tags,
                   entry->tag_count);
}

static void
s_tags_free(zs_mem_entry_t *entry)
{
    zs_strings_free(entry->tags, entry->tag_count);
    entry->tags = NULL;
    entry->tag_count = 0;
}

static void
s_entry_destroy(void **item)
{
    zs_mem_entry_t *entry = *item;
    free(entry->key);
    free(entry->value);
    s_tags_free(entry);
    free(entry->owner);
    free(entry->team);
    free(entry);
    *item = NULL;
}

zs_mem_t *
zs_mem_new(zs_mem_expired_fn *fn, void *ctx)
{
    assert(fn);
    zs_mem_t *self = zs_calloc(1, sizeof *self);
    self->expired = fn;
    self->expired_ctx = ctx;
    self->entries = zhashx_new();
    zhashx_set_destructor(self->entries, s_entry_destroy);
    return self;
}

void
zs_mem_destroy(zs_mem_t **self_p)
{
    assert(self_p);
    zs_mem_t *self = *self_p;
    if (self) {
        zhashx_destroy(&self->entries);
        free(self);
        *self_p = NULL;
    }
}

double
zs_mem_level(const zs_mem_entry_t *entry, int64_t now_ms)
{
    assert(entry);
    if (!entry->signal || now_ms <= entry->level_ms) {
        return entry->level;
    }
    return entry->level *
           exp2(-(double) (now_ms - entry->level_ms) / entry->half_life_ms);
}

//  Gone for every request: past its ttl, or a signal faded to nothing
static bool
s_expired(const zs_mem_entry_t *entry, int64_t now_ms)
{
    return (entry->expires_ms && entry->expires_ms <= now_ms) ||
           (entry->signal && fabs(zs_mem_level(entry, now_ms)) < ZS_MEM_FADED);
}

//  Control clients may do anything; an agent what the entry's access level allows
static bool
s_allowed(const zs_mem_entry_t *entry, const zs_mem_who_t *who)
{
    if (!who->agent) {
        return true;
    }
    switch (entry->access) {
    case ZS_MEM_PRIVATE:
        return entry->owner && streq(entry->owner, who->agent);
    case ZS_MEM_TEAM:
        return entry->team && who->team && streq(entry->team, who->team);
    case ZS_MEM_SWARM:
        break;
    }
    return true;
}

//  The live entry under key, or NULL with err set: absent (or expired), or refused
static zs_mem_entry_t *
s_find(zs_mem_t *self,
       const zs_mem_who_t *who,
       const char *key,
       int64_t now_ms,
       zs_error_t *err)
{
    zs_mem_entry_t *entry = zhashx_lookup(self->entries, key);
    if (!entry || s_expired(entry, now_ms)) {
        zs_error_set(err, ZS_ERR_NO_KEY, "no entry '%s'", key);
        return NULL;
    }
    if (!s_allowed(entry, who)) {
        zs_error_set(err, ZS_ERR_FORBIDDEN, "entry '%s' is %s to another %s", key,
                     zs_mem_access_name(entry->access),
                     entry->access == ZS_MEM_PRIVATE ? "agent" : "team");
        return NULL;
    }
    return entry;
}

//  A compare-and-set request names the version it expects: 0 for an absent entry. A
//  version without cas would be ignored, so it is refused
static int
s_check_version(const zs_msg_t *msg, const zs_mem_entry_t *entry, zs_error_t *err)
{
    if (msg->version && !msg->cas) {
        return zs_error_set(err, ZS_ERR_INVALID, "'version' counts only with 'cas'");
    }
    uint64_t current = entry ? entry->version : 0;
    if (msg->cas && msg->version != current) {
        return zs_error_set(err, ZS_ERR_CONFLICT,
                            "entry '%s' is at version %" PRIu64 ", not %" PRIu64,
                            msg->key, current, msg->version);
    }
    return 0;
}

static void
s_set_value(zs_mem_t *self, zs_mem_entry_t *entry, const zs_msg_t *msg)
{
    self->bytes -= s_entry_bytes(entry);
    free(entry->value);
    entry->value = NULL;
    entry->value_size = msg->value_size;
    if (msg->value_size) {
        entry->value = zs_malloc(msg->value_size);
        memcpy(entry->value, msg->value, msg->value_size);
    }
    s_tags_free(entry);
    entry->tags = zs_strings_copy(msg->tags.items, msg->tags.count);
    entry->tag_count = msg->tags.count;
    self->bytes += s_entry_bytes(entry);
}

static zs_mem_entry_t *
s_create(zs_mem_t *self, const char *key, const char *owner, const char *team)
{
    zs_mem_entry_t *entry = zs_calloc(1, sizeof *entry);
    entry->key = zs_strdup(key);
    entry->owner = s_strdup_or_null(owner);
    entry->team = s_strdup_or_null(team);
    zhashx_insert(self->entries, key, entry);
    self->bytes += s_entry_bytes(entry);
    return entry;
}

static void
s_drop(zs_mem_t *self, zs_mem_entry_t *entry)
{
    self->bytes -= s_entry_bytes(entry);
    zhashx_delete(self->entries, entry->key);
}

//  Remove an entry found expired, telling the store's expired function first
static void
s_drop_expired(zs_mem_t *self, zs_mem_entry_t *entry)
{
    self->expired(self->expired_ctx, entry);
    s_drop(self, entry);
}

//  The entry under key that who may write, in *entry_p (NULL when absent; an expired
//  one is removed first), and the access level it will have, in *access_p: the one the
//  message names, else keep (an existing entry's own when keep is -1, else keep's
//  level). Returns 0, or -1 with err set when who may not write it, the message names
//  no known level, or the level would change and who is not the owner (or a client)
static int
s_writable(zs_mem_t *self,
           const zs_mem_who_t *who,
           const zs_msg_t *msg,
           int keep,
           int64_t now_ms,
           zs_mem_entry_t **entry_p,
           zs_mem_access_t *access_p,
           zs_error_t *err)
{
    zs_mem_entry_t *entry = zhashx_lookup(self->entries, msg->key);
    if (entry && s_expired(entry, now_ms)) {
        s_drop_expired(self, entry);
        entry = NULL;
    }
    *entry_p = entry;
    if (entry && !s_allowed(entry, who)) {
        s_find(self, who, msg->key, now_ms, err);  //  says why
        return -1;
    }
    int access = msg->access ? zs_mem_access_from_name(msg->access)
                 : keep >= 0 ? keep
                 : entry     ? (int) entry->access
                             : ZS_MEM_SWARM;
    if (access < 0) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "unknown access '%s' (expected private, team or swarm)",
                            msg->access);
    }
    bool owner =
        !who->agent || (entry && entry->owner && streq(entry->owner, who->agent));
    if (entry && (zs_mem_access_t) access != entry->access && !owner) {
        return zs_error_set(err, ZS_ERR_FORBIDDEN,
                            "only its owner changes the access of entry '%s' (%s)",
                            msg->key, zs_mem_access_name(entry->access));
    }
    *access_p = (zs_mem_access_t) access;
    return 0;
}

//  Room for an entry of size bytes (s_bytes) replacing one of old bytes, and for one
//  more entry if new
static int
s_check_room(zs_mem_t *self, size_t size, size_t old, bool new_entry, zs_error_t *err)
{
    if (new_entry && zhashx_size(self->entries) >= ZS_MEM_ENTRIES_MAX) {
        return zs_error_set(err, ZS_ERR_LIMIT, "shared memory holds %d entries already",
                            ZS_MEM_ENTRIES_MAX);
    }
    if (self->bytes - old + size > ZS_MEM_BYTES_MAX) {
        return zs_error_set(
            err, ZS_ERR_LIMIT,
            "shared memory holds %u bytes of keys, values and tags at most",
            ZS_MEM_BYTES_MAX);
    }
    return 0;
}

//  s_check_room for what msg (a put, or a deposit that names tags) would write to
//  entry (NULL when new)
static int
s_check_write(zs_mem_t *self,
              const zs_msg_t *msg,
              const zs_mem_entry_t *entry,
              zs_error_t *err)
{
    size_t size = s_bytes(msg->key, msg->value_size, msg->tags.items, msg->tags.count);
    return s_check_room(self, size, entry ? s_entry_bytes(entry) : 0, !entry, err);
}

const zs_mem_entry_t *
zs_mem_put(zs_mem_t *self,
           const zs_mem_who_t *who,
           const zs_msg_t *put,
           int64_t now_ms,
           zs_error_t *err)
{
    assert(self);
    assert(who);
    assert(put && put->key);
    zs_mem_entry_t *entry;
    zs_mem_access_t access;
    //  A write replaces the whole entry: without 'access', it is swarm
    if (s_writable(self, who, put, ZS_MEM_SWARM, now_ms, &entry, &access, err) != 0 ||
        s_check_version(put, entry, err) != 0 ||
        s_check_write(self, put, entry, err) != 0) {
        return NULL;
    }
    if (!entry) {
        entry = s_create(self, put->key, who->agent, who->agent ? who->team : NULL);
    }
    s_set_value(self, entry, put);
    entry->signal = false;
    entry->access = access;
    entry->version++;
    entry->expires_ms = put->ttl ? now_ms + (int64_t) put->ttl : 0;
    return entry;
}

//  A signal's level after adding amount, saturated at plus or minus ZS_MEM_LEVEL_MAX
static double
s_saturate(double level)
{
    return level > ZS_MEM_LEVEL_MAX    ? ZS_MEM_LEVEL_MAX
           : level < -ZS_MEM_LEVEL_MAX ? -ZS_MEM_LEVEL_MAX
                                       : level;
}

//  Why a deposit cannot go to entry (NULL: a new signal), or 0
static int
s_check_deposit(const zs_msg_t *deposit, const zs_mem_entry_t *entry, zs_error_t *err)
{
    if (entry && !entry->signal) {
        return zs_error_set(err, ZS_ERR_INVALID, "entry '%s' holds a value, not a signal",
                            deposit->key);
    }
    if (!entry && (!deposit->half_life || deposit->amount == 0)) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "a new signal needs a 'half_life' and a nonzero 'amount'");
    }
    return 0;
}

const zs_mem_entry_t *
zs_mem_deposit(zs_mem_t *self,
               const zs_mem_who_t *who,
               const zs_msg_t *deposit,
               int64_t now_ms,
               zs_error_t *err)
{
    assert(self);
    assert(who);
    assert(deposit && deposit->key);
    zs_mem_entry_t *entry;
    zs_mem_access_t access;
    //  A deposit keeps the signal's access unless it names one
    if (s_writable(self, who, deposit, -1, now_ms, &entry, &access, err) != 0 ||
        s_check_deposit(deposit, entry, err) != 0 ||
        ((!entry || deposit->tags.count) &&
         s_check_write(self, deposit, entry, err) != 0)) {
        return NULL;
    }
    if (!entry) {
        entry = s_create(self, deposit->key, who->agent, who->agent ? who->team : NULL);
        entry->signal = true;
    }
    //  A deposit adds to what is left; half_life, tags and ttl, when given, replace the
    //  signal's own
    entry->level = s_saturate(zs_mem_level(entry, now_ms) + (double) deposit->amount);
    entry->level_ms = now_ms;
    if (deposit->half_life) {
        entry->half_life_ms = deposit->half_life;
    }
    if (deposit->tags.count) {
        s_set_value(self, entry, deposit);
    }
    entry->access = access;
    if (deposit->ttl) {
        entry->expires_ms = now_ms + (int64_t) deposit->ttl;
    }
    entry->version++;
    return entry;
}

const zs_mem_entry_t *
zs_mem_get(zs_mem_t *self,
           const zs_mem_who_t *who,
           const char *key,
           int64_t now_ms,
           zs_error_t *err)
{
    assert(self);
    assert(who);
    assert(key);
    return s_find(self, who, key, now_ms, err);
}

uint64_t
zs_mem_delete(zs_mem_t *self,
              const zs_mem_who_t *who,
              const zs_msg_t *del,
              int64_t now_ms,
              zs_error_t *err)
{
    assert(self);
    assert(who);
    assert(del && del->key);
    zs_mem_entry_t *entry = s_find(self, who, del->key, now_ms, err);
    if (!entry || s_check_version(del, entry, err) != 0) {
        return 0;
    }
    uint64_t version = entry->version;
    s_drop(self, entry);
    return version;
}

static bool
s_has_tags(const zs_mem_entry_t *entry, char *const *tags, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        size_t j = 0;
        while (j < entry->tag_count && !streq(entry->tags[j], tags[i])) {
            j++;
        }
        if (j == entry->tag_count) {
            return false;
        }
    }
    return true;
}

static void
s_string_free(void **item)
{
    free(*item);
    *item = NULL;
}

static int
s_string_compare(const void *a, const void *b)
{
    return strcmp(a, b);
}

//  True when entry is one that query selects for who at now_ms
static bool
s_selected(const zs_mem_entry_t *entry,
           const zs_mem_who_t *who,
           const zs_mem_query_t *query,
           int64_t now_ms)
{
    const char *prefix = query->prefix ? query->prefix : "";
    return strncmp(entry->key, prefix, strlen(prefix)) == 0 &&
           (!query->top || entry->signal) && !s_expired(entry, now_ms) &&
           s_allowed(entry, who) && s_has_tags(entry, query->tags, query->count);
}

//  A selected signal and its level now, for sorting by strength
typedef struct {
    const zs_mem_entry_t *entry;
    double level;
} s_ranked_t;

static int
s_stronger(const void *a, const void *b)
{
    const s_ranked_t *x = a, *y = b;
    if (x->level != y->level) {
        return x->level > y->level ? -1 : 1;
    }
    return strcmp(x->entry->key, y->entry->key);
}

//  The query's top strongest signals, strongest first (ties by key)
static zlistx_t *
s_strongest(zs_mem_t *self,
            const zs_mem_who_t *who,
            const zs_mem_query_t *query,
            int64_t now_ms)
{
    s_ranked_t *ranked = zs_calloc(zhashx_size(self->entries) + 1, sizeof *ranked);
    size_t count = 0;
    for (zs_mem_entry_t *entry = zhashx_first(self->entries); entry;
         entry = zhashx_next(self->entries)) {
        if (s_selected(entry, who, query, now_ms)) {
            ranked[count++] = (s_ranked_t){entry, zs_mem_level(entry, now_ms)};
        }
    }
    qsort(ranked, count, sizeof *ranked, s_stronger);
    zlistx_t *keys = zlistx_new();
    zlistx_set_destructor(keys, s_string_free);
    for (size_t i = 0; i < count && i < query->top; i++) {
        zlistx_add_end(keys, zs_strdup(ranked[i].entry->key));
    }
    free(ranked);
    return keys;
}

zlistx_t *
zs_mem_query(zs_mem_t *self,
             const zs_mem_who_t *who,
             const zs_mem_query_t *query,
             size_t max,
             int64_t now_ms,
             zs_error_t *err)
{
    assert(self);
    assert(who);
    assert(query);
    if (query->top) {
        return s_strongest(self, who, query, now_ms);
    }
    zlistx_t *keys = zlistx_new();
    zlistx_set_destructor(keys, s_string_free);
    zlistx_set_comparator(keys, s_string_compare);
    for (zs_mem_entry_t *entry = zhashx_first(self->entries); entry;
         entry = zhashx_next(self->entries)) {
        if (!s_selected(entry, who, query, now_ms)) {
            continue;
        }
        if (zlistx_size(keys) == max) {
            zlistx_destroy(&keys);
            zs_error_set(err, ZS_ERR_LIMIT,
                         "more than %zu keys match: name a longer prefix or more tags",
                         max);
            return NULL;
        }
        zlistx_add_end(keys, zs_strdup(entry->key));
    }
    zlistx_sort(keys);
    return keys;
}

void
zs_mem_restore(zs_mem_t *self, const zs_msg_t *record)
{
    assert(self);
    assert(record && record->key);
    zs_mem_entry_t *entry = zhashx_lookup(self->entries, record->key);
    if (entry) {
        s_drop(self, entry);
    }
    entry = s_create(self, record->key, record->agent, record->atype);
    s_set_value(self, entry, record);
    int access = zs_mem_access_from_name(record->access);
    entry->access = access < 0 ? ZS_MEM_PRIVATE : (zs_mem_access_t) access;
    entry->version = record->version;
    entry->expires_ms = (int64_t) record->expires;
    if (record->half_life) {
        entry->signal = true;
        entry->half_life_ms = record->half_life;
        entry->level = (double) record->level_micro / 1e6;
        entry->level_ms = (int64_t) record->at;
    }
}

void
zs_mem_remove(zs_mem_t *self, const char *key)
{
    assert(self);
    zs_mem_entry_t *entry = zhashx_lookup(self->entries, key);
    if (entry) {
        s_drop(self, entry);
    }
}

void
zs_mem_expire(zs_mem_t *self, int64_t now_ms)
{
    assert(self);
    //  Collected first: the table cannot change while it is walked
    zlistx_t *expired = zlistx_new();
    for (zs_mem_entry_t *entry = zhashx_first(self->entries); entry;
         entry = zhashx_next(self->entries)) {
        if (s_expired(entry, now_ms)) {
            zlistx_add_end(expired, entry);
        }
    }
    for (zs_mem_entry_t *entry = zlistx_first(expired); entry;
         entry = zlistx_next(expired)) {
        s_drop_expired(self, entry);
    }
    zlistx_destroy(&expired);
}

const zs_mem_entry_t *
zs_mem_first(zs_mem_t *self)
{
    assert(self);
    return zhashx_first(self->entries);
}

const zs_mem_entry_t *
zs_mem_next(zs_mem_t *self)
{
    assert(self);
    return zhashx_next(self->entries);
}

size_t
zs_mem_size(zs_mem_t *self)
{
    assert(self);
    return zhashx_size(self->entries);
}

void
zs_mem_describe(const zs_mem_entry_t *entry, zs_msg_t *msg)
{
    assert(entry);
    assert(msg);
    msg->key = entry->key;
    msg->value = entry->value;
    msg->value_size = entry->value_size;
    //  char ** to const char **: the message only reads the strings
    msg->tags = (zs_msg_list_t){(const char **) (void *) entry->tags, entry->tag_count};
    msg->access = zs_mem_access_name(entry->access);
    msg->version = entry->version;
    msg->agent = entry->owner;
    msg->atype = entry->team;
    msg->expires = (uint64_t) entry->expires_ms;
    if (entry->signal) {
        msg->half_life = entry->half_life_ms;
        msg->level_micro = llround(entry->level * 1e6);
        msg->at = (uint64_t) entry->level_ms;
    }
}
