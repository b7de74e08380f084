//  zs_coord_journal - the coordinator's durable state: tasks accepted and how they ended
//
//  The journal's records are plain protocol messages, so one codec reads them: a
//  "submit" with every field resolved (id, type, payload, priority, timeout, tries) when
//  a task is accepted, and a "wait.ok" when it reaches a final state; a "mem.put" with
//  version, owner and expiry resolved when a shared memory entry is written, and a
//  "mem.del" when one is deleted or expires. Replaying them in order rebuilds the task
//  table and the shared memory; a task with a submit and no final record had not ended
//  and runs again (execution is at-least-once). Compaction writes the live set again:
//  a submit per unfinished task in submit order, a wait.ok per kept result, a mem.put
//  per entry.
//
//  Control replies are held by the broker while a journal is open and released by
//  zs_coord_sync after the records of the same batch were committed, so a client hears
//  "accepted" only for a task the journal holds under the swarm's fsync policy.

#include "coordinator/zs_coord_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ZS_COORD_COMPACT_MIN   (8u << 20)  //  journal bytes below which it is left alone
#define ZS_COORD_COMPACT_RATIO 4           //  compact once this many times its live size

static int s_snapshot(void *ctx, zs_journal_t *journal);

//  ---------------------------------------------------------------------------------------
//  Writing

static int
s_failed(zs_coord_t *self, int rc)
{
    if (rc != 0 && zs_ratelimit_allow(&self->journal_log, NULL)) {
        zsys_error("cannot write journal '%s': %s", self->swarm->journal_path,
                   strerror(errno));
    }
    return rc;
}

static int
s_commit(zs_coord_t *self)
{
    int rc = s_failed(self, zs_journal_commit(self->journal));
    if (rc == 0) {
        self->accepts_unsynced = false;
    }
    return rc;
}

static void
s_append(zs_coord_t *self, const zs_msg_t *record)
{
    if (zs_msg_encode(record, &self->record) != 0 ||
        zs_journal_append(self->journal, self->record.data, self->record.size) != 0) {
        zsys_error("cannot journal %s '%s'", record->task ? "task" : "entry",
                   record->task ? record->task : record->key);
        return;
    }
    if (self->swarm->journal_sync == ZS_JOURNAL_ALWAYS) {
        s_commit(self);
    }
}

//  Committed before the reply leaves, as an accepted task is
static void
s_append_mem(zs_coord_t *self, const zs_msg_t *record)
{
    if (self->journal) {
        self->accepts_unsynced = true;
        s_append(self, record);
    }
}

void
zs_coord_journal_mem_put(zs_coord_t *self, const zs_mem_entry_t *entry)
{
    zs_msg_t record;
    zs_msg_init(&record, ZS_MSG_MEM_PUT);
    zs_mem_describe(entry, &record);
    s_append_mem(self, &record);
}

void
zs_coord_journal_mem_del(zs_coord_t *self, const char *key)
{
    zs_msg_t record;
    zs_msg_init(&record, ZS_MSG_MEM_DEL);
    record.key = key;
    s_append_mem(self, &record);
}

//  A lead's delegated work is not journaled: after a restart its team task starts over
static bool
s_durable(const zs_task_t *task)
{
    return task->route != ZS_ROUTE_WORKER;
}

static void
s_accepted_record(const zs_task_t *task, zs_msg_t *record)
{
    zs_msg_init(record, ZS_MSG_SUBMIT);
    record->task = task->id;
    record->ttype = task->ttype;
    record->payload = task->payload;
    record->payload_size = task->payload_size;
    record->pri = task->pri;
    record->tmo = task->tmo_ms;
    record->tries = task->tries;
    //  Only a pending task still waits: a released aggregate has its payload joined
    //  already, and its parts are gone, so it is written as a plain task
    if (task->state == ZS_TASK_PENDING) {
        record->deps = zs_task_deps(task);
        record->agg = task->graph.aggregate ? task->ttype : NULL;
    }
    record->strategy = zs_strategy_name(task->strategy);
    //  char ** to const char ** is safe here: the message only reads the strings
    record->requires =
        (zs_msg_list_t){(const char **) (void *) task->requires, task->require_count};
}

void
zs_coord_journal_accepted(zs_coord_t *self, const zs_task_t *task)
{
    if (self->journal && s_durable(task)) {
        zs_msg_t record;
        s_accepted_record(task, &record);
        self->accepts_unsynced = true;
        s_append(self, &record);
    }
}

void
zs_coord_journal_ended(zs_coord_t *self, const zs_task_t *task)
{
    if (self->journal && s_durable(task)) {
        zs_msg_t record;
        zs_msg_init(&record, ZS_MSG_WAIT_OK);
        zs_task_describe(task, &record);
        s_append(self, &record);
    }
}

int
zs_coord_sync(zs_coord_t *self)
{
    if (!self->journal) {
        return 0;
    }
    //  An accepted task is fsynced before its submit.ok leaves. A batch of final states
    //  alone is only written: that survives a killed zswarmd, and the fsync follows
    //  within a heartbeat interval (zs_coord_journal_maintain) or with the next accept;
    //  this keeps one fsync per result batch off the hot path
    int rc = self->accepts_unsynced ? s_commit(self)
                                    : s_failed(self, zs_journal_write(self->journal));
    //  Replies wait for their records: while the journal cannot be written, none goes out
    if (rc == 0) {
        zs_broker_release_replies(self->broker);
    }
    return rc;
}

//  ---------------------------------------------------------------------------------------
//  Replay

static void
s_replay_accepted(zs_coord_t *self, const zs_msg_t *record)
{
    zs_task_t *known = zhashx_lookup(self->tasks, record->task);
    if (known && !zs_task_is_final(known)) {
        return;  //  resubmitted while it ran: the first record stands
    }
    if (known) {
        //  A later submit of an ended task's id: the old one had been evicted, the id
        //  was accepted again, and the new task is the one that counts
        zs_coord_forget(self, known);
    }
    zs_task_t *task = zs_task_new(
        record->task, record,
        record->tmo ? (unsigned) record->tmo : self->swarm->task_timeout_ms,
        record->tries ? (unsigned) record->tries : self->swarm->task_retries + 1,
        ++self->order);
    zs_coord_route(self, task);
    zhashx_insert(self->tasks, task->id, task);
    self->unfinished++;
    zs_coord_bounds_charge(self, task);
    //  Its items' results are wanted even if they are evicted before the replay ends
    for (size_t i = 0; task->graph.aggregate && i < task->graph.dep_count; i++) {
        zhashx_update(self->replay_wanted, task->graph.deps[i], (void *) task);
    }
}

//  Keep the result of a completed item for its aggregate (zs_coord_graph_link), until
//  the aggregate ends; an ended aggregate wants its items' results no more
static void
s_replay_items(zs_coord_t *self, const zs_task_t *task)
{
    if (task->state == ZS_TASK_COMPLETED &&
        zhashx_lookup(self->replay_wanted, task->id)) {
        zhashx_update(self->replay_results, task->id,
                      zchunk_new(task->result.out, task->result.out_size));
    }
    for (size_t i = 0; task->graph.aggregate && i < task->graph.dep_count; i++) {
        zhashx_delete(self->replay_wanted, task->graph.deps[i]);
        zhashx_delete(self->replay_results, task->graph.deps[i]);
    }
}

static void
s_replay_ended(zs_coord_t *self, const zs_msg_t *record)
{
    int state = zs_task_state_from_name(record->state);
    bool final =
        state == ZS_TASK_COMPLETED || state == ZS_TASK_DEAD || state == ZS_TASK_CANCELLED;
    zs_task_t *task = zhashx_lookup(self->tasks, record->task);
    if (!final || (task && zs_task_is_final(task))) {
        return;
    }
    if (task) {
        self->unfinished--;
    } else {
        //  Compaction kept only the result of a task that had ended
        task = zs_task_new(record->task, record, (unsigned) record->tmo,
                           (unsigned) record->tries, ++self->order);
        zhashx_insert(self->tasks, task->id, task);
    }
    task->state = (zs_task_state_t) state;
    task->att = (unsigned) record->att;
    task->agent_id = record->agent ? zs_strdup(record->agent) : NULL;
    task->ended_ms = (int64_t) record->ended;
    zs_task_set_result(task, record);
    s_replay_items(self, task);
    zs_coord_keep_final(self, task);
}

//  A result an unfinished aggregate had collected from an item no longer kept
static void
s_replay_result(zs_coord_t *self, const zs_msg_t *record)
{
    zchunk_t *result = zchunk_new(record->out, record->out_size);
    zhashx_update(self->replay_results, record->task, result);
}

static void
s_replay(void *ctx, const void *body, size_t size)
{
    zs_coord_t *self = ctx;
    zs_msg_t record;
    zs_error_t err;
    if (zs_msg_decode(&record, body, size, &err) != 0) {
        zsys_warning("journal '%s': skipping a record: %s", self->swarm->journal_path,
                     err.text);
        return;
    }
    if (record.type == ZS_MSG_SUBMIT && record.task) {
        s_replay_accepted(self, &record);
    } else if (record.type == ZS_MSG_WAIT_OK) {
        s_replay_ended(self, &record);
    } else if (record.type == ZS_MSG_TASK_RESULT) {
        s_replay_result(self, &record);
    } else if (record.type == ZS_MSG_MEM_PUT) {
        zs_mem_restore(self->mem, &record);
    } else if (record.type == ZS_MSG_MEM_DEL) {
        zs_mem_remove(self->mem, record.key);
    }
    zs_msg_fini(&record);
}

static int
s_by_order(const void *a, const void *b)
{
    const zs_task_t *x = *(const zs_task_t *const *) a,
                    *y = *(const zs_task_t *const *) b;
    return x->order < y->order ? -1 : x->order > y->order;
}

//  Unfinished tasks in submit order; the caller frees the array
static zs_task_t **
s_unfinished(zs_coord_t *self, size_t *count)
{
    zs_task_t **tasks = zs_calloc(self->unfinished, sizeof *tasks);
    size_t n = 0;
    for (zs_task_t *task = zhashx_first(self->tasks); task;
         task = zhashx_next(self->tasks)) {
        if (!zs_task_is_final(task) && s_durable(task) && n < self->unfinished) {
            tasks[n++] = task;
        }
    }
    qsort(tasks, n, sizeof *tasks, s_by_order);
    *count = n;
    return tasks;
}

//  zs_journal cannot know how its caller is started: zswarmd says how to go on. The
//  journal's text is shortened if need be, never the advice.
static void
s_advise_recover(zs_error_t *err)
{
    static const char advice[] = "; start zswarmd with --recover to keep the damaged "
                                 "file aside and go on with every valid record";
    char text[ZS_ERROR_TEXT_MAX];
    snprintf(text, sizeof text, "%s", err->text);
    zs_error_set(err, err->code, "%.*s%s", (int) (sizeof text - sizeof advice), text,
                 advice);
}

//  The compaction baseline at start is what the live records would take, not what the
//  file holds: a journal mostly dead at start would otherwise have to grow RATIO times
//  before its first compaction, and again after every restart
static uint64_t
s_live_size(zs_coord_t *self)
{
    uint64_t live;
    if (zs_journal_measure(s_snapshot, self, &live) != 0) {
        //  A snapshot that fails now fails at compaction too: wait for the file to grow
        return zs_journal_size(self->journal);
    }
    return live;
}

int
zs_coord_journal_open(zs_coord_t *self, zs_journal_damage_t damage, zs_error_t *err)
{
    const zs_swarm_t *swarm = self->swarm;
    if (!swarm->journal_path) {
        return 0;
    }
    msgpack_sbuffer_init(&self->record);
    self->replay_results = zhashx_new();
    zhashx_set_destructor(self->replay_results, (zhashx_destructor_fn *) zchunk_destroy);
    self->replay_wanted = zhashx_new();
    self->journal = zs_journal_open(swarm->journal_path, swarm->journal_sync, damage,
                                    s_replay, self, err);
    if (!self->journal) {
        if (err && err->code == ZS_JOURNAL_E_DAMAGED) {
            s_advise_recover(err);
        }
        zhashx_destroy(&self->replay_results);
        zhashx_destroy(&self->replay_wanted);
        return -1;
    }
    size_t count;
    zs_task_t **tasks = s_unfinished(self, &count);
    for (size_t i = 0; i < count; i++) {
        if (tasks[i]->state == ZS_TASK_PENDING) {
            zs_coord_graph_link(self, tasks[i]);
        } else {
            zs_sched_push(self->sched, tasks[i]);
        }
    }
    free(tasks);
    zs_coord_graph_settle(self);
    zhashx_destroy(&self->replay_results);
    zhashx_destroy(&self->replay_wanted);
    zs_broker_hold_replies(self->broker);
    self->compacted_size = s_live_size(self);
    zsys_notice("journal '%s': %zu tasks to run again, %zu results kept",
                swarm->journal_path, self->unfinished, self->done_count);
    zs_coord_bounds_replayed(self);
    return 0;
}

//  ---------------------------------------------------------------------------------------
//  Housekeeping

static int
s_snapshot_record(zs_coord_t *self, zs_journal_t *journal, const zs_msg_t *record)
{
    int rc = zs_msg_encode(record, &self->record);
    return rc ? rc : zs_journal_append(journal, self->record.data, self->record.size);
}

//  The results an aggregate collected from items that are no longer kept: as
//  task.result records, which a replay gives back to it
static int
s_snapshot_parts(zs_coord_t *self, zs_journal_t *journal, const zs_task_t *task)
{
    const zs_task_graph_t *graph = &task->graph;
    int rc = 0;
    for (size_t i = 0; graph->parts && i < graph->dep_count && rc == 0; i++) {
        if (graph->parts[i].set && !zhashx_lookup(self->tasks, graph->deps[i])) {
            zs_msg_t record;
            zs_msg_init(&record, ZS_MSG_TASK_RESULT);
            record.task = graph->deps[i];
            record.status = "ok";
            record.out = graph->parts[i].data;
            record.out_size = graph->parts[i].size;
            rc = s_snapshot_record(self, journal, &record);
        }
    }
    return rc;
}

static int
s_snapshot(void *ctx, zs_journal_t *journal)
{
    zs_coord_t *self = ctx;
    size_t count;
    zs_task_t **tasks = s_unfinished(self, &count);
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        zs_msg_t record;
        s_accepted_record(tasks[i], &record);
        rc = s_snapshot_record(self, journal, &record);
        rc = rc ? rc : s_snapshot_parts(self, journal, tasks[i]);
    }
    free(tasks);
    for (zs_task_t *task = self->done_head; task && rc == 0; task = task->next) {
        if (!s_durable(task)) {
            continue;
        }
        zs_msg_t record;
        zs_msg_init(&record, ZS_MSG_WAIT_OK);
        zs_task_describe(task, &record);
        rc = s_snapshot_record(self, journal, &record);
    }
    for (const zs_mem_entry_t *entry = zs_mem_first(self->mem); entry && rc == 0;
         entry = zs_mem_next(self->mem)) {
        zs_msg_t record;
        zs_msg_init(&record, ZS_MSG_MEM_PUT);
        zs_mem_describe(entry, &record);
        rc = s_snapshot_record(self, journal, &record);
    }
    return rc;
}

static void
s_evict_aged(zs_coord_t *self)
{
    if (self->swarm->keep_results_s == 0) {
        return;
    }
    int64_t oldest = zclock_time() - (int64_t) self->swarm->keep_results_s * 1000;
    while (self->done_head && self->done_head->ended_ms < oldest) {
        zs_coord_evict_oldest(self);
    }
}

void
zs_coord_journal_maintain(zs_coord_t *self)
{
    s_evict_aged(self);
    if (!self->journal) {
        return;
    }
    s_commit(self);
    uint64_t size = zs_journal_size(self->journal);
    if (size < ZS_COORD_COMPACT_MIN ||
        size < (uint64_t) ZS_COORD_COMPACT_RATIO * self->compacted_size) {
        return;
    }
    zs_error_t err;
    if (zs_journal_compact(self->journal, s_snapshot, self, &err) != 0) {
        zsys_error("%s", err.text);
        //  Try again once it has grown as much again, not at every tick
        self->compacted_size = size;
        return;
    }
    self->compacted_size = zs_journal_size(self->journal);
    zsys_info("journal '%s' compacted from %" PRIu64 " to %" PRIu64 " bytes",
              self->swarm->journal_path, size, self->compacted_size);
}
