//  zs_owners - which CURVE key may register each agent id (or node name)
//
//  Under CURVE every peer of the agents socket is known by its key's name (the ZAP
//  User-Id, zs_broker_peer_user). A name belongs to the key the swarm file binds it to
//  ('security.ids', zs_swarm_id_owner), else to the first key that registers it in this
//  run; a hello for it from any other key is refused, so no agent can take over
//  another's id, its tasks or its messages. Bindings made at run time last until zswarmd
//  stops: they are not journaled, so after a restart the first key to come back claims a
//  name again, which is why an operator binds the ids that matter in the swarm file. At
//  most ZS_OWNERS_MAX names are bound at run time: past that a new name is refused,
//  never an old binding dropped (dropping would reopen the takeover).

#ifndef ZS_OWNERS_H
#define ZS_OWNERS_H

#include "proto/zs_msg.h"
#include "coordinator/swarm/zs_swarm.h"

#define ZS_OWNERS_MAX      (4 * ZS_MSG_AGENTS_MAX)  //  names bound at run time
#define ZS_OWNERS_ADDR_MAX 64   //  bytes of a peer's address, with its NUL
#define ZS_OWNERS_WHY_MAX  256  //  bytes of a takeover's reason, with its NUL

//  Where a session comes from, as the broker knows it
typedef struct {
    const char *key;   //  its CURVE key's name, "" without security; borrowed
    const char *addr;  //  the address it connected from, "" when unknown; borrowed
} zs_owners_origin_t;

//  Expected outcomes of a claim, never forwarded
typedef enum {
    ZS_OWNERS_E_TAKEN = 1,  //  the name belongs to another key
    ZS_OWNERS_E_FULL = 2,   //  ZS_OWNERS_MAX names are bound: no new one
} zs_owners_error_t;

typedef struct zs_owners_t zs_owners_t;

//  A table of owners that consults swarm's 'security.ids' (swarm borrowed, may be NULL
//  for none, e.g. for node names) before its own bindings.
zs_owners_t *zs_owners_new(const zs_swarm_t *swarm);

//  Free the table and set *self_p to NULL. Accepts NULL.
void zs_owners_destroy(zs_owners_t **self_p);

//  May key register name? Returns 0 when key owns it (binding it now if nobody did),
//  ZS_OWNERS_E_TAKEN with *owner_p the owning key's name (borrowed from the table or the
//  swarm), or ZS_OWNERS_E_FULL.
int zs_owners_claim(zs_owners_t *self,
                    const char *name,
                    const char *key,
                    const char **owner_p);

//  Names bound at run time.
size_t zs_owners_size(zs_owners_t *self);

//  Why a new session from addr replaced one from old_addr (either may be ""), for logs
//  and events, into why (size bytes); logged as a warning when the addresses differ,
//  which without CURVE is the sign of a takeover by someone else.
void
zs_owners_takeover_why(const char *addr, const char *old_addr, char *why, size_t size);

#endif
