//  zs_coord_control - control requests: one handler per request type, one reply each
//
//  Requests are validated by the codec on the way in; here they are checked against the
//  swarm (does the task exist, is it final) and answered. Every request gets exactly one
//  "<type>.ok" or "error" carrying its rid; submit with wait, and wait itself, may get
//  their wait.ok later (zs_tasks answers waiters when a task ends). One table says, per
//  request, who serves it, whether it is logged with the client's key name, and whether
//  a stopping swarm refuses it: that is the one place the phase is checked, so every
//  such request answers the same SHUTTING_DOWN.

#ifndef ZS_COORD_CONTROL_H
#define ZS_COORD_CONTROL_H

#include "coordinator/zs_coord.h"

//  A control request (the broker's control op; ctx is the zs_coord_t), answered.
void zs_coord_control(void *ctx, const zs_client_ref_t *client, zs_msg_t *msg);

#endif
