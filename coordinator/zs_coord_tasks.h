//  zs_coord_tasks - the task requests both sockets take, and an agent's checkpoints
//
//  submit, wait, task and cancel come from control clients and, for subtasks, from
//  registered agents (PROTOCOL.md §7.4): one handler each serves both, answering whoever
//  asked. An agent's submit names its parent, and its wait may lend its parent's slot:
//  both must be a task the agent runs now. task.checkpoint (§7.3) keeps the running
//  attempt's checkpoint, journaled, for the task's next attempt.

#ifndef ZS_COORD_TASKS_H
#define ZS_COORD_TASKS_H

#include "coordinator/zs_coord.h"

//  True when msg's type is one zs_coord_tasks_request serves.
bool zs_coord_tasks_served(zs_msg_type_t type);

//  Serve a submit, wait, task or cancel (decoded, borrowed) from asker: one reply, and
//  a wait.ok later for a wait or a submit with wait.
void zs_coord_tasks_request(zs_coord_t *self,
                            const zs_core_asker_t *asker,
                            const zs_msg_t *msg);

//  The task id names that the asking agent runs now (its attempt assigned to it), or
//  NULL with err: INVALID when asker is a client (only agents name one), NO_TASK, or
//  FORBIDDEN when it runs elsewhere or not at all.
zs_task_t *zs_coord_tasks_running(zs_coord_t *self,
                                  const zs_core_asker_t *asker,
                                  const char *id,
                                  zs_error_t *err);

//  An agent's task.checkpoint: kept, journaled and answered, or refused.
void zs_coord_tasks_checkpoint(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg);

#endif
