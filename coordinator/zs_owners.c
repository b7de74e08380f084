//  zs_owners - see zs_owners.h

#include "coordinator/zs_owners.h"

#include <czmq.h>

struct zs_owners_t {
    const zs_swarm_t *swarm;  //  'security.ids', borrowed, or NULL
    zhashx_t *bound;          //  name -> key name (char *), both owned
};

static void *
s_key_dup(const void *key)
{
    return zs_strdup(key);
}

static void
s_key_free(void **key_p)
{
    free(*key_p);
    *key_p = NULL;
}

zs_owners_t *
zs_owners_new(const zs_swarm_t *swarm)
{
    zs_owners_t *self = zs_calloc(1, sizeof *self);
    self->swarm = swarm;
    self->bound = zhashx_new();
    zhashx_set_destructor(self->bound, s_key_free);
    zhashx_set_duplicator(self->bound, s_key_dup);
    return self;
}

void
zs_owners_destroy(zs_owners_t **self_p)
{
    assert(self_p);
    zs_owners_t *self = *self_p;
    if (!self) {
        return;
    }
    zhashx_destroy(&self->bound);
    free(self);
    *self_p = NULL;
}

int
zs_owners_claim(zs_owners_t *self,
                const char *name,
                const char *key,
                const char **owner_p)
{
    assert(self);
    assert(name);
    assert(key);
    assert(owner_p);
    const char *owner = self->swarm ? zs_swarm_id_owner(self->swarm, name) : NULL;
    if (!owner) {
        owner = zhashx_lookup(self->bound, name);
    }
    *owner_p = owner;
    if (owner) {
        return streq(owner, key) ? 0 : ZS_OWNERS_E_TAKEN;
    }
    if (zhashx_size(self->bound) >= ZS_OWNERS_MAX) {
        return ZS_OWNERS_E_FULL;
    }
    zhashx_insert(self->bound, name, (void *) (uintptr_t) key);
    return 0;
}

size_t
zs_owners_size(zs_owners_t *self)
{
    assert(self);
    return zhashx_size(self->bound);
}

void
zs_owners_takeover_why(const char *addr, const char *old_addr, char *why, size_t size)
{
    if (*addr || *old_addr) {
        snprintf(why, size, "taken over by a new connection from '%s' (was '%s')", addr,
                 old_addr);
    } else {
        snprintf(why, size, "taken over by a new connection");
    }
    if (!streq(addr, old_addr)) {
        zsys_warning("%s", why);
    }
}
