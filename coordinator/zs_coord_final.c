//  zs_coord_final - the clients waiting for tasks to end, and the history of final tasks
//  kept for wait and task: a list in the order they ended, the oldest evicted first
//  beyond tasks.keep_results or tasks.keep_results_bytes

#include "coordinator/zs_coord_private.h"

#include <stdlib.h>

void
zs_coord_answer_waiters(zs_broker_t *broker, zs_task_t *task, zs_msg_t *reply)
{
    zs_waiter_t *waiter = task->waiters;
    while (waiter) {
        zs_waiter_t *next = waiter->next;
        if (reply) {
            reply->rid = waiter->rid;
            zs_broker_reply(broker, &waiter->client, reply);
        }
        free(waiter);
        waiter = next;
    }
    task->waiters = NULL;
}

void
zs_coord_reply_waiters(zs_coord_t *self, zs_task_t *task)
{
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_WAIT_OK);
    zs_task_describe(task, &reply);
    zs_coord_answer_waiters(self->broker, task, &reply);
}

void
zs_coord_forget(zs_coord_t *self, zs_task_t *task)
{
    assert(zs_task_is_final(task));
    if (task->prev) {
        task->prev->next = task->next;
    } else {
        self->done_head = task->next;
    }
    if (task->next) {
        task->next->prev = task->prev;
    } else {
        self->done_tail = task->prev;
    }
    self->done_count--;
    zs_coord_bounds_forget(self, task);
    zhashx_delete(self->tasks, task->id);
}

void
zs_coord_evict_oldest(zs_coord_t *self)
{
    zs_coord_forget(self, self->done_head);
}

void
zs_coord_keep_final(zs_coord_t *self, zs_task_t *task)
{
    task->next = NULL;
    task->prev = self->done_tail;
    if (self->done_tail) {
        self->done_tail->next = task;
    } else {
        self->done_head = task;
    }
    self->done_tail = task;
    self->done_count++;
    zs_coord_bounds_keep(self, task);
    while (self->done_count > self->swarm->keep_results ||
           self->bytes.results > self->swarm->keep_results_bytes) {
        zs_coord_evict_oldest(self);
    }
}

bool
zs_coord_can_wait(const zs_task_t *task)
{
    size_t count = 0;
    for (const zs_waiter_t *waiter = task->waiters; waiter; waiter = waiter->next) {
        count++;
    }
    return count < ZS_COORD_WAITERS_MAX;
}

int
zs_coord_wait(zs_coord_t *self,
              zs_task_t *task,
              const zs_client_ref_t *client,
              uint64_t rid)
{
    if (!zs_coord_can_wait(task)) {
        return -1;
    }
    zs_waiter_t *waiter = zs_malloc(sizeof *waiter);
    waiter->client = *client;
    waiter->rid = rid;
    waiter->next = task->waiters;
    task->waiters = waiter;
    if (zs_task_is_final(task)) {
        zs_coord_reply_waiters(self, task);
    }
    return 0;
}
