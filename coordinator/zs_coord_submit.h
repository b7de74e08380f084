//  zs_coord_submit - a client's submit: checked against the protocol's bounds, the
//  topology, the task graph and the bounds of what the coordinator holds, then accepted
//  as one task or several (a fan-out, a ring pipeline) and started

#ifndef ZS_COORD_SUBMIT_H
#define ZS_COORD_SUBMIT_H

#include "coordinator/zs_coord.h"

//  Accept a submit (decoded, borrowed) from a client: creates, queues and dispatches the
//  task(s), replying submit.ok (and wait.ok later when asked) or one error.
void
zs_coord_submit(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg);

#endif
