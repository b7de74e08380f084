//  zs_coord_replay - see zs_coord_replay.h

#include "coordinator/zs_coord_replay.h"

#include <math.h>
#include <stdlib.h>

//  What a replay keeps while it reads
typedef struct {
    zs_coord_t *coord;  //  borrowed
    zhashx_t *results;  //  id -> zchunk_t *: results tasks collected (an aggregate's
                        //  items, a task's inputs), owned
    zhashx_t *wanted;   //  ids whose results an unfinished task waits to collect
} s_replay_t;

static void
s_accepted(s_replay_t *self, const zs_msg_t *record)
{
    zs_coord_t *coord = self->coord;
    zs_task_t *known = zs_tasks_find(&coord->tasks, record->task);
    if (known && !zs_task_is_final(known)) {
        return;  //  resubmitted while it ran: the first record stands
    }
    if (known) {
        //  A later submit of an ended task's id: the old one had been evicted, the id
        //  was accepted again, and the new task is the one that counts
        zs_tasks_forget(&coord->tasks, known);
    }
    const zs_swarm_t *swarm = coord->swarm;
    zs_task_t *task =
        zs_task_new(record->task, record,
                    record->tmo ? (unsigned) record->tmo : swarm->task_timeout_ms,
                    record->tries ? (unsigned) record->tries : swarm->task_retries + 1,
                    zs_tasks_next_order(&coord->tasks));
    zs_tasks_restore(&coord->tasks, task);
    //  The results it collects are wanted even if evicted before the replay ends
    for (size_t i = 0; i < task->graph.dep_count; i++) {
        if (zs_task_collects(task, i)) {
            zhashx_update(self->wanted, task->graph.deps[i], (void *) task);
        }
    }
}

//  Keep the result of a completed task for the one that collects it (zs_graph_link),
//  until that one ends; an ended task wants what it collected no more
static void
s_keep_items(s_replay_t *self, const zs_task_t *task)
{
    if (task->state == ZS_TASK_COMPLETED && zhashx_lookup(self->wanted, task->id)) {
        zhashx_update(self->results, task->id,
                      zchunk_new(task->result.out, task->result.out_size));
    }
    for (size_t i = 0; i < task->graph.dep_count; i++) {
        if (zs_task_collects(task, i)) {
            zhashx_delete(self->wanted, task->graph.deps[i]);
            zhashx_delete(self->results, task->graph.deps[i]);
        }
    }
}

static void
s_ended(s_replay_t *self, const zs_msg_t *record)
{
    zs_coord_t *coord = self->coord;
    int state = zs_task_state_from_name(record->state);
    bool final =
        state == ZS_TASK_COMPLETED || state == ZS_TASK_DEAD || state == ZS_TASK_CANCELLED;
    zs_task_t *task = zs_tasks_find(&coord->tasks, record->task);
    if (!final || (task && zs_task_is_final(task))) {
        return;
    }
    bool known = task != NULL;
    if (!known) {
        //  Compaction kept only the result of a task that had ended, its children's
        //  ids with it
        task = zs_task_new(record->task, record, (unsigned) record->tmo,
                           (unsigned) record->tries, zs_tasks_next_order(&coord->tasks));
        for (size_t i = 0; i < record->children.count; i++) {
            zs_task_add_child(task, record->children.items[i]);
        }
    }
    task->state = (zs_task_state_t) state;
    task->att = (unsigned) record->att;
    task->agent_id = record->agent ? zs_strdup(record->agent) : NULL;
    task->ended_ms = (int64_t) record->ended;
    zs_task_set_result(task, record);
    task->usd = isnan(record->usd) ? 0.0 : record->usd;
    s_keep_items(self, task);
    if (known) {
        zs_tasks_ended(&coord->tasks, task);
        zs_tasks_keep(&coord->tasks, task);
    } else {
        zs_tasks_restore(&coord->tasks, task);
    }
}

//  The last checkpoint of an unfinished task (none: cleared)
static void
s_checkpoint(s_replay_t *self, const zs_msg_t *record)
{
    zs_task_t *task = zs_tasks_find(&self->coord->tasks, record->task);
    if (task && !zs_task_is_final(task)) {
        zs_task_set_checkpoint(task, record->data, record->data_size);
        zs_tasks_charge(&self->coord->tasks, task);
    }
}

//  A result an unfinished task had collected from an item or input no longer kept
static void
s_result(s_replay_t *self, const zs_msg_t *record)
{
    zchunk_t *result = zchunk_new(record->out, record->out_size);
    zhashx_update(self->results, record->task, result);
}

static void
s_record(void *ctx, const void *body, size_t size)
{
    s_replay_t *self = ctx;
    zs_coord_t *coord = self->coord;
    zs_msg_t record;
    zs_error_t err;
    if (zs_msg_decode(&record, body, size, &err) != 0) {
        zsys_warning("journal '%s': skipping a record: %s", coord->swarm->journal_path,
                     err.text);
        return;
    }
    if (record.type == ZS_MSG_SUBMIT && record.task) {
        s_accepted(self, &record);
    } else if (record.type == ZS_MSG_WAIT_OK) {
        s_ended(self, &record);
    } else if (record.type == ZS_MSG_TASK_RESULT) {
        s_result(self, &record);
    } else if (record.type == ZS_MSG_TASK_CHECKPOINT) {
        s_checkpoint(self, &record);
    } else if (record.type == ZS_MSG_MEM_PUT) {
        zs_mem_restore(coord->memory.mem, &record);
    } else if (record.type == ZS_MSG_MEM_DEL) {
        zs_mem_remove(coord->memory.mem, record.key);
    } else if (record.type == ZS_MSG_SPEND) {
        zs_providers_replay(&coord->providers, &record);
    }
    zs_msg_fini(&record);
}

//  A coordinator killed after a parent ended and before its children's cancellations
//  were written leaves unfinished children of an ended (or since evicted) parent: they
//  are cancelled now, as they would have been then (PROTOCOL.md §7.4). Ids are copied
//  first, since a cancel may free the tasks it cascades to.
static void
s_orphans(s_replay_t *self)
{
    zs_coord_t *coord = self->coord;
    size_t count;
    zs_task_t **tasks = zs_tasks_unfinished(&coord->tasks, ZS_TASKS_ALL, &count);
    char **orphans = zs_calloc(count ? count : 1, sizeof *orphans);
    size_t orphan_count = 0;
    for (size_t i = 0; i < count; i++) {
        const char *parent_id = tasks[i]->family.parent;
        zs_task_t *parent = parent_id ? zs_tasks_find(&coord->tasks, parent_id) : NULL;
        if (parent_id && (!parent || zs_task_is_final(parent))) {
            orphans[orphan_count++] = zs_strdup(tasks[i]->id);
        }
    }
    free(tasks);
    for (size_t i = 0; i < orphan_count; i++) {
        zs_task_t *task = zs_tasks_find(&coord->tasks, orphans[i]);
        if (task && !zs_task_is_final(task)) {
            zs_dispatch_cancel_orphan(&coord->dispatch, task);
        }
        free(orphans[i]);
    }
    free(orphans);
}

//  Unfinished tasks run again in submit order: pending ones wait for their dependencies
//  (an aggregate finds its evicted items' results among those the replay kept), the
//  others are queued
static void
s_restart(s_replay_t *self)
{
    zs_coord_t *coord = self->coord;
    zs_graph_set_replayed(&coord->graph, self->results);
    size_t count;
    zs_task_t **tasks = zs_tasks_unfinished(&coord->tasks, ZS_TASKS_ALL, &count);
    for (size_t i = 0; i < count; i++) {
        if (tasks[i]->state == ZS_TASK_PENDING) {
            zs_graph_link(&coord->graph, tasks[i]);
        } else {
            zs_sched_push(coord->dispatch.sched, tasks[i]);
        }
    }
    free(tasks);
    zs_graph_settle(&coord->graph);
    zs_graph_set_replayed(&coord->graph, NULL);
    s_orphans(self);
}

int
zs_coord_replay(zs_coord_t *self, zs_journal_damage_t damage, zs_error_t *err)
{
    if (!self->swarm->journal_path) {
        return 0;
    }
    s_replay_t replay = {self, zhashx_new(), zhashx_new()};
    zhashx_set_destructor(replay.results, (zhashx_destructor_fn *) zchunk_destroy);
    int rc = zs_durable_open(&self->durable, damage, s_record, &replay, err);
    if (rc == 0) {
        s_restart(&replay);
        zs_durable_opened(&self->durable);
        zsys_notice("journal '%s': %zu tasks to run again, %zu results kept",
                    self->swarm->journal_path, self->tasks.unfinished,
                    self->tasks.kept.count);
        zs_tasks_replayed(&self->tasks);
    }
    zhashx_destroy(&replay.results);
    zhashx_destroy(&replay.wanted);
    return rc;
}
