//  zs_durable - see zs_durable.h

#include "coordinator/core/zs_durable.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int s_snapshot(void *ctx, zs_journal_t *journal);

void
zs_durable_init(zs_durable_t *self,
                zs_core_t *core,
                zs_tasks_t *tasks,
                zs_mem_t *mem,
                zs_spend_t *spend)
{
    assert(self);
    *self = (zs_durable_t){.core = core, .tasks = tasks, .mem = mem, .spend = spend};
    msgpack_sbuffer_init(&self->record);
}

void
zs_durable_fini(zs_durable_t *self)
{
    assert(self);
    zs_journal_destroy(&self->journal);
    msgpack_sbuffer_destroy(&self->record);
}

bool
zs_durable_on(const zs_durable_t *self)
{
    return self->journal != NULL;
}

//  ---------------------------------------------------------------------------------------
//  Writing

static int
s_failed(zs_durable_t *self, int rc)
{
    if (rc != 0 && zs_ratelimit_allow(&self->log, NULL)) {
        zsys_error("cannot write journal '%s': %s", self->core->swarm->journal_path,
                   strerror(errno));
    }
    return rc;
}

static int
s_commit(zs_durable_t *self)
{
    int rc = s_failed(self, zs_journal_commit(self->journal));
    if (rc == 0) {
        self->accepts_unsynced = false;
    }
    return rc;
}

static void
s_append(zs_durable_t *self, const zs_msg_t *record)
{
    if (zs_msg_encode(record, &self->record) != 0 ||
        zs_journal_append(self->journal, self->record.data, self->record.size) != 0) {
        zsys_error("cannot journal a %s record", zs_msg_type_name(record->type));
        return;
    }
    if (self->core->swarm->journal_sync == ZS_JOURNAL_ALWAYS) {
        s_commit(self);
    }
}

//  Committed before the reply leaves, as an accepted task is
static void
s_append_mem(zs_durable_t *self, const zs_msg_t *record)
{
    if (self->journal) {
        self->accepts_unsynced = true;
        s_append(self, record);
    }
}

void
zs_durable_mem_put(zs_durable_t *self, const zs_mem_entry_t *entry)
{
    zs_msg_t record;
    zs_msg_init(&record, ZS_MSG_MEM_PUT);
    zs_mem_describe(entry, &record);
    s_append_mem(self, &record);
}

void
zs_durable_mem_del(zs_durable_t *self, const char *key)
{
    zs_msg_t record;
    zs_msg_init(&record, ZS_MSG_MEM_DEL);
    record.key = key;
    s_append_mem(self, &record);
}

static void
s_spend_record(const char *provider,
               const char *atype,
               const zs_spend_sum_t *sum,
               zs_msg_t *record)
{
    zs_msg_init(record, ZS_MSG_SPEND);
    record->provider = provider;
    record->atype = atype;
    record->tok_in = sum->tok_in;
    record->tok_out = sum->tok_out;
    record->usd = sum->usd;
}

void
zs_durable_spend(zs_durable_t *self,
                 const char *provider,
                 const char *atype,
                 const zs_spend_sum_t *sum)
{
    if (self->journal) {
        zs_msg_t record;
        s_spend_record(provider, atype, sum, &record);
        s_append(self, &record);
    }
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
    //  already, and its parts are gone, so it is written as a plain task. A task with
    //  inputs collects their results again after a restart, so it keeps its deps
    const zs_task_graph_t *graph = &task->graph;
    if (task->state == ZS_TASK_PENDING || graph->input_count) {
        record->deps = zs_task_deps(task);
        record->agg = graph->aggregate ? task->ttype : NULL;
    }
    record->inputs =
        (zs_msg_list_t){(const char **) (void *) graph->inputs, graph->input_count};
    record->parent = task->family.parent;
    record->strategy = zs_strategy_name(task->strategy);
    //  char ** to const char ** is safe here: the message only reads the strings
    record->requires =
        (zs_msg_list_t){(const char **) (void *) task->requires, task->require_count};
    record->agent = task->target;
}

void
zs_durable_accepted(zs_durable_t *self, const zs_task_t *task)
{
    if (self->journal && s_durable(task)) {
        zs_msg_t record;
        s_accepted_record(task, &record);
        self->accepts_unsynced = true;
        s_append(self, &record);
    }
}

void
zs_durable_ended(zs_durable_t *self, const zs_task_t *task)
{
    if (self->journal && s_durable(task)) {
        zs_msg_t record;
        zs_msg_init(&record, ZS_MSG_WAIT_OK);
        zs_task_describe(task, &record);
        s_append(self, &record);
    }
}

static void
s_checkpoint_record(const zs_task_t *task, zs_msg_t *record)
{
    zs_msg_init(record, ZS_MSG_TASK_CHECKPOINT);
    record->task = task->id;
    record->att = task->att;
    record->data = task->ckpt;
    record->data_size = task->ckpt_size;
}

//  The agent's reply waits for a commit (zs_coord_tasks_checkpoint)
void
zs_durable_checkpoint(zs_durable_t *self, const zs_task_t *task)
{
    if (self->journal && s_durable(task)) {
        zs_msg_t record;
        s_checkpoint_record(task, &record);
        self->accepts_unsynced = true;
        s_append(self, &record);
    }
}

int
zs_durable_sync(zs_durable_t *self)
{
    if (!self->journal) {
        return 0;
    }
    //  An accepted task is fsynced before its submit.ok leaves. A batch of final states
    //  alone is only written: that survives a killed zswarmd, and the fsync follows
    //  within a heartbeat interval (zs_durable_maintain) or with the next accept; this
    //  keeps one fsync per result batch off the hot path
    int rc = self->accepts_unsynced ? s_commit(self)
                                    : s_failed(self, zs_journal_write(self->journal));
    //  Replies wait for their records: while the journal cannot be written, none goes out
    if (rc == 0) {
        zs_core_release(self->core);
    }
    return rc;
}

//  ---------------------------------------------------------------------------------------
//  Opening

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

int
zs_durable_open(zs_durable_t *self,
                zs_journal_damage_t damage,
                zs_journal_replay_fn *replay,
                void *ctx,
                zs_error_t *err)
{
    const zs_swarm_t *swarm = self->core->swarm;
    if (!swarm->journal_path) {
        return 0;
    }
    self->journal = zs_journal_open(swarm->journal_path, swarm->journal_sync, damage,
                                    replay, ctx, err);
    if (!self->journal) {
        if (err && err->code == ZS_JOURNAL_E_DAMAGED) {
            s_advise_recover(err);
        }
        return -1;
    }
    return 0;
}

//  The compaction baseline at start is what the live records would take, not what the
//  file holds: a journal mostly dead at start would otherwise have to grow RATIO times
//  before its first compaction, and again after every restart
void
zs_durable_opened(zs_durable_t *self)
{
    if (!self->journal) {
        return;
    }
    uint64_t live;
    //  A snapshot that fails now fails at compaction too: wait for the file to grow
    self->compacted_size = zs_journal_measure(s_snapshot, self, &live) == 0
                               ? live
                               : zs_journal_size(self->journal);
}

//  ---------------------------------------------------------------------------------------
//  Compaction

static int
s_snapshot_record(zs_durable_t *self, zs_journal_t *journal, const zs_msg_t *record)
{
    int rc = zs_msg_encode(record, &self->record);
    return rc ? rc : zs_journal_append(journal, self->record.data, self->record.size);
}

//  The results a task collected from items or inputs that are no longer kept: as
//  task.result records, which a replay gives back to it
static int
s_snapshot_parts(zs_durable_t *self, zs_journal_t *journal, const zs_task_t *task)
{
    const zs_task_graph_t *graph = &task->graph;
    int rc = 0;
    for (size_t i = 0; graph->parts && i < graph->dep_count && rc == 0; i++) {
        if (graph->parts[i].set && !zs_tasks_find(self->tasks, graph->deps[i])) {
            zs_msg_t record;
            zs_msg_init(&record, ZS_MSG_TASK_RESULT);
            record.task = graph->deps[i];
            record.status = "ok";
            record.out = graph->parts[i].data;
            record.out_size = graph->parts[i].size;
            record.exit = graph->parts[i].exit;
            rc = s_snapshot_record(self, journal, &record);
        }
    }
    return rc;
}

static int
s_snapshot_kept(zs_durable_t *self, zs_journal_t *journal)
{
    int rc = 0;
    for (zs_link_t *link = self->tasks->kept.head; link && rc == 0; link = link->next) {
        const zs_task_t *task = zs_task_of(link);
        if (s_durable(task)) {
            zs_msg_t record;
            zs_msg_init(&record, ZS_MSG_WAIT_OK);
            zs_task_describe(task, &record);
            rc = s_snapshot_record(self, journal, &record);
        }
    }
    return rc;
}

//  zs_spend_each's walk, writing a spend record per pair until one write fails
typedef struct {
    zs_durable_t *self;
    zs_journal_t *journal;
    int rc;
} s_spend_walk_t;

static void
s_snapshot_spend(void *arg, const char *provider, const char *atype,
                 const zs_spend_sum_t *sum)
{
    s_spend_walk_t *walk = arg;
    if (walk->rc == 0) {
        zs_msg_t record;
        s_spend_record(provider, atype, sum, &record);
        walk->rc = s_snapshot_record(walk->self, walk->journal, &record);
    }
}

static int
s_snapshot(void *ctx, zs_journal_t *journal)
{
    zs_durable_t *self = ctx;
    size_t count;
    zs_task_t **tasks = zs_tasks_unfinished(self->tasks, ZS_TASKS_DURABLE, &count);
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        zs_msg_t record;
        s_accepted_record(tasks[i], &record);
        rc = s_snapshot_record(self, journal, &record);
        rc = rc ? rc : s_snapshot_parts(self, journal, tasks[i]);
        if (rc == 0 && tasks[i]->ckpt) {
            s_checkpoint_record(tasks[i], &record);
            rc = s_snapshot_record(self, journal, &record);
        }
    }
    free(tasks);
    rc = rc ? rc : s_snapshot_kept(self, journal);
    for (const zs_mem_entry_t *entry = zs_mem_first(self->mem); entry && rc == 0;
         entry = zs_mem_next(self->mem)) {
        zs_msg_t record;
        zs_msg_init(&record, ZS_MSG_MEM_PUT);
        zs_mem_describe(entry, &record);
        rc = s_snapshot_record(self, journal, &record);
    }
    s_spend_walk_t walk = {self, journal, rc};
    if (rc == 0 && self->spend) {
        zs_spend_each(self->spend, s_snapshot_spend, &walk);
    }
    return walk.rc;
}

void
zs_durable_maintain(zs_durable_t *self)
{
    if (!self->journal) {
        return;
    }
    s_commit(self);
    uint64_t size = zs_journal_size(self->journal);
    if (size < ZS_DURABLE_COMPACT_MIN ||
        size < (uint64_t) ZS_DURABLE_COMPACT_RATIO * self->compacted_size) {
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
              self->core->swarm->journal_path, size, self->compacted_size);
}
