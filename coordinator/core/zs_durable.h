//  zs_durable - what the coordinator writes to its journal, and when it is durable
//
//  The journal's records are plain protocol messages, so one codec reads them: a
//  "submit" with every field resolved (id, type, payload, priority, timeout, tries) when
//  a task is accepted, and a "wait.ok" when it reaches a final state; a "mem.put" with
//  version, owner and expiry resolved when a shared memory entry is written, and a
//  "mem.del" when one is deleted or expires; a "spend" per LLM call that used tokens.
//  A lead's delegated work is not journaled:
//  after a restart its team task starts over. Replaying the records in order
//  (zs_coord_replay) rebuilds the task table and the shared memory.
//
//  Control replies are held by the broker while a journal is open and let go by
//  zs_durable_sync after the records of the same batch were committed, so a client hears
//  "accepted" only for a task the journal holds under the swarm's fsync policy.
//  Compaction writes the live set again: a submit per unfinished task in submit order
//  (with the results an aggregate collected from items no longer kept), a wait.ok per
//  kept result, a mem.put per entry, a spend per (provider, type) pair with its sum.

#ifndef ZS_DURABLE_H
#define ZS_DURABLE_H

#include "coordinator/core/zs_tasks.h"
#include "coordinator/store/zs_journal.h"
#include "coordinator/store/zs_mem.h"
#include "coordinator/store/zs_spend.h"

#define ZS_DURABLE_COMPACT_MIN   (8u << 20)  //  journal bytes below which it is left alone
#define ZS_DURABLE_COMPACT_RATIO 4  //  compact once this many times its live size

typedef struct {
    zs_core_t *core;          //  borrowed
    zs_tasks_t *tasks;        //  the tasks compaction writes, borrowed
    zs_mem_t *mem;            //  the shared memory compaction writes, borrowed
    zs_spend_t *spend;        //  the spending compaction writes, borrowed
    zs_journal_t *journal;    //  owned; NULL when the swarm keeps none
    msgpack_sbuffer record;   //  encode buffer of records
    uint64_t compacted_size;  //  the live size at the last compaction (or at start)
    zs_ratelimit_t log;       //  limits logs of write failures
    bool accepts_unsynced;    //  accepted tasks appended since the last commit
} zs_durable_t;

//  Start without a journal, over core, tasks, mem and spend (all borrowed).
void zs_durable_init(zs_durable_t *self,
                     zs_core_t *core,
                     zs_tasks_t *tasks,
                     zs_mem_t *mem,
                     zs_spend_t *spend);

//  Commit what is pending and close the journal, if open.
void zs_durable_fini(zs_durable_t *self);

//  Open the swarm's journal, if it names one, replaying each record into replay (ctx
//  passed). damage says what to do with damage that valid records follow. Returns 0
//  (also when the swarm keeps no journal), or -1 with err filled; a damaged journal's
//  error then says how to start zswarmd to go on.
int zs_durable_open(zs_durable_t *self,
                    zs_journal_damage_t damage,
                    zs_journal_replay_fn *replay,
                    void *ctx,
                    zs_error_t *err);

//  After the replay was applied: compaction is measured from the live set from now on.
void zs_durable_opened(zs_durable_t *self);

//  True when the swarm keeps a journal.
bool zs_durable_on(const zs_durable_t *self);

//  Record a task accepted / a final state / a memory entry written / deleted or expired.
void zs_durable_accepted(zs_durable_t *self, const zs_task_t *task);
void zs_durable_ended(zs_durable_t *self, const zs_task_t *task);
void zs_durable_mem_put(zs_durable_t *self, const zs_mem_entry_t *entry);
void zs_durable_mem_del(zs_durable_t *self, const char *key);

//  Record what one LLM call of provider by an agent of atype spent. Written with the
//  batch, like a final state: it survives a killed zswarmd, and is fsynced within a
//  heartbeat.
void zs_durable_spend(zs_durable_t *self,
                      const char *provider,
                      const char *atype,
                      const zs_spend_sum_t *sum);

//  Record task's checkpoint (none: cleared), to commit with zs_durable_sync (§11).
void zs_durable_checkpoint(zs_durable_t *self, const zs_task_t *task);

//  Make recorded changes durable under the policy, then let the held replies go.
//  Called after every batch of work. Returns 0, or -1 when the journal cannot be
//  written (the replies stay held; logged, rate-limited).
int zs_durable_sync(zs_durable_t *self);

//  Every heartbeat: commit what was only written, and compact a grown journal.
void zs_durable_maintain(zs_durable_t *self);

#endif
