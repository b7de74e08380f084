//  zs_coord_submit - a client's or an agent's submit: checked against the protocol's
//  bounds, the topology, the task graph and the bounds of what the coordinator holds,
//  then accepted as one task or several (a fan-out, a ring pipeline) and started

#ifndef ZS_COORD_SUBMIT_H
#define ZS_COORD_SUBMIT_H

#include "coordinator/zs_coord.h"

//  Accept a submit (decoded, borrowed) from a client or an agent (then a subtask of the
//  task it runs, PROTOCOL.md §7.4): creates, queues and dispatches the task(s), replying
//  submit.ok (and wait.ok later when asked) or one error.
void zs_coord_submit(zs_coord_t *self, const zs_core_asker_t *asker, const zs_msg_t *msg);

#endif
