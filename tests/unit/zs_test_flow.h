//  zs_test_flow - what the flow parts' tests do in place of the agents' socket: an
//  agent registered on a made-up session, as a welcomed hello registers it, and its
//  task.result

#ifndef ZS_TEST_FLOW_H
#define ZS_TEST_FLOW_H

#include <string.h>

#include "coordinator/flow/zs_dispatch.h"

//  Register agent id of atype, taking conc tasks at once, on the made-up session peer
static inline zs_agent_t *
zs_test_flow_agent(zs_dispatch_t *dispatch,
                   const char *id,
                   const char *atype,
                   unsigned conc,
                   void *peer)
{
    zs_msg_t hello;
    zs_msg_init(&hello, ZS_MSG_HELLO);
    hello.atype = atype;
    zs_agent_t *agent = zs_registry_add(dispatch->registry, id, &hello, conc, NULL, 0);
    agent->peer = (zs_peer_t *) peer;
    return agent;
}

//  The agent's task.result for attempt att of task id (0: the task's current attempt,
//  or 1 for a task the table does not know), with status and out (NULL: none)
static inline void
zs_test_flow_result(zs_dispatch_t *dispatch,
                    zs_agent_t *agent,
                    const char *id,
                    unsigned att,
                    const char *status,
                    const char *out)
{
    if (att == 0) {
        const zs_task_t *task = zs_tasks_find(dispatch->tasks, id);
        att = task ? task->att : 1;
    }
    zs_msg_t result;
    zs_msg_init(&result, ZS_MSG_TASK_RESULT);
    result.task = id;
    result.att = att;
    result.status = status;
    result.out = (const uint8_t *) out;
    result.out_size = out ? strlen(out) : 0;
    zs_dispatch_result(dispatch, agent, &result);
}

#endif
