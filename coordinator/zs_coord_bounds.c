//  zs_coord_bounds - the bytes tasks hold, counted where they change, and the room a
//  new task needs (docs/swarm-file.md, "Memory bounds")
//
//  Two counts of zs_task_bytes, each changed only here: queued, the bytes of unfinished
//  tasks (payloads, an aggregate's collected parts, a failed attempt's output awaiting
//  the retry, their lists), and results, those of the final tasks kept for wait and
//  task (their output). A task's held says what it was counted for, so a change is
//  counted as a difference and a task leaves its count whole. What enters from outside
//  (a client's submit, a workflow step) is refused when it would take the queued bytes
//  past tasks.max_queue_bytes; what work already accepted adds (its output, its
//  aggregate's parts, a lead's delegated work) is counted but never refused, as that
//  would fail work accepted already: it makes new submits wait. The one exception is
//  the output of a failed attempt, which past the bound is not kept for the retry. Kept
//  results past tasks.keep_results_bytes are evicted, oldest first, by
//  zs_coord_keep_final.

#include "coordinator/zs_coord_private.h"

int
zs_coord_bounds_check(zs_coord_t *self, size_t count, size_t bytes, zs_error_t *err)
{
    const zs_swarm_t *swarm = self->swarm;
    if (self->unfinished + count > swarm->max_queue) {
        return zs_error_set(
            err, ZS_ERR_QUEUE_FULL,
            "unfinished tasks would number more than %u (tasks.max_queue)",
            swarm->max_queue);
    }
    if (self->bytes.queued + bytes > swarm->max_queue_bytes) {
        return zs_error_set(err, ZS_ERR_QUEUE_FULL,
                            "unfinished tasks would hold more than %zu bytes "
                            "(tasks.max_queue_bytes): %zu held, %zu more asked",
                            swarm->max_queue_bytes, self->bytes.queued, bytes);
    }
    return 0;
}

size_t
zs_coord_bounds_measure(zs_coord_t *self, const zs_msg_t *msg)
{
    size_t bytes = zs_task_measure(msg);
    if (zs_topology_ring_task(self->swarm, msg->ttype)) {
        //  Every stage after the first is an aggregate of the one before
        bytes += (self->swarm->ring_count - 1) * zs_task_measure_aggregate(1);
    }
    return bytes;
}

void
zs_coord_bounds_charge(zs_coord_t *self, zs_task_t *task)
{
    assert(!zs_task_is_final(task));
    assert(self->bytes.queued >= task->held);
    size_t bytes = zs_task_bytes(task);
    self->bytes.queued = self->bytes.queued - task->held + bytes;
    task->held = bytes;
}

void
zs_coord_bounds_failed(zs_coord_t *self, zs_task_t *task)
{
    //  Agents, not clients, decide how much output there is: kept past the bound, it
    //  would make the bound as large as the count of tasks times 128 KiB
    bool retried = task->att < task->tries;
    if (retried && self->bytes.queued - task->held + zs_task_bytes(task) >
                       self->swarm->max_queue_bytes) {
        zs_task_drop_output(task);
    }
    zs_coord_bounds_charge(self, task);
}

void
zs_coord_bounds_keep(zs_coord_t *self, zs_task_t *task)
{
    assert(zs_task_is_final(task));
    assert(self->bytes.queued >= task->held);
    //  held is 0 for a task replayed as final (only its result was in the journal)
    self->bytes.queued -= task->held;
    zs_task_drop_input(task);
    task->held = zs_task_bytes(task);
    self->bytes.results += task->held;
}

void
zs_coord_bounds_forget(zs_coord_t *self, zs_task_t *task)
{
    assert(self->bytes.results >= task->held);
    self->bytes.results -= task->held;
    task->held = 0;
}

void
zs_coord_bounds_replayed(zs_coord_t *self)
{
    const zs_swarm_t *swarm = self->swarm;
    if (self->unfinished > swarm->max_queue) {
        zsys_warning(
            "journal '%s': %zu unfinished tasks, more than tasks.max_queue (%u): "
            "submits are refused until they drain",
            swarm->journal_path, self->unfinished, swarm->max_queue);
    }
    if (self->bytes.queued > swarm->max_queue_bytes) {
        zsys_warning("journal '%s': unfinished tasks hold %zu bytes, more than "
                     "tasks.max_queue_bytes (%zu): submits are refused until they drain",
                     swarm->journal_path, self->bytes.queued, swarm->max_queue_bytes);
    }
}
