//  zs_journal - the coordinator's append-only journal: what it accepted and how it ended
//
//  A journal is one file: a header, then records whose bodies are opaque to the journal
//  (the coordinator stores msgpack messages). Each record is framed with a tag random
//  to the file, its size and a CRC-32C, so that a reader can find the next record after
//  damage; zs_journal_format.h has the bytes. Appends are buffered in memory and reach
//  the file at zs_journal_commit, which write()s them and, by policy, fsyncs: ALWAYS and
//  BATCH fsync at every commit (the coordinator commits once per batch of messages, so
//  BATCH shares one fsync among every record of a batch, while ALWAYS commits after each
//  record), NONE never fsyncs (the records survive a killed process, which only needs
//  the page cache, but not a power loss). A record is durable under the policy once
//  zs_journal_commit returned 0.
//
//  Opening replays the file: every whole, checksummed record is handed to a callback in
//  order. A journal never throws a valid record away. Damage with nothing valid after
//  it is a torn tail (a crash in the middle of a write): it is logged and cut off. Damage
//  that valid records follow (a bad disk block, a stray write) is never cut silently:
//  the open is refused unless the caller asks to recover, and recovering keeps the
//  damaged file under another name, replays every valid record before and after the
//  damage and writes them to a new journal, logging each range lost. A journal in the
//  headerless format of earlier versions is replayed and rewritten in the current one.
//
//  Compaction, like recovery and migration, writes the records to PATH.tmp, fsyncs it
//  and renames it over the journal, so a crash at any moment leaves either the old
//  journal or the new one; a PATH.tmp left by a crash is removed at the next open.

#ifndef ZS_JOURNAL_H
#define ZS_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/zs_util.h"

#define ZS_JOURNAL_RECORD_MAX     (8u << 20)  //  largest record body accepted on replay
#define ZS_JOURNAL_RANGES_SHOWN   3  //  damaged ranges an error lists; the log has them all
#define ZS_JOURNAL_DAMAGED_SUFFIX ".damaged-"  //  PATH.damaged-YYYYmmddTHHMMSSZ[-N]

//  err->code of a failed zs_journal_open that the caller may want to tell apart
typedef enum {
    ZS_JOURNAL_E_DAMAGED = 1,  //  refused: valid records follow damage (see RECOVER)
} zs_journal_error_t;

typedef enum {
    ZS_JOURNAL_ALWAYS,  //  fsync at every commit; the coordinator commits every record
    ZS_JOURNAL_BATCH,   //  fsync at every commit; the coordinator commits per batch
    ZS_JOURNAL_NONE,    //  never fsync at commit (see zs_journal_compact)
} zs_journal_sync_t;

//  What zs_journal_open does with damage that valid records follow
typedef enum {
    ZS_JOURNAL_REFUSE,   //  fail, leaving the file as it is
    ZS_JOURNAL_RECOVER,  //  keep the damaged file aside, go on with every valid record
} zs_journal_damage_t;

typedef struct zs_journal_t zs_journal_t;

//  Called once per valid record during replay, body borrowed for the call.
typedef void(zs_journal_replay_fn)(void *ctx, const void *body, size_t size);

//  Called by zs_journal_compact to write the live records: call zs_journal_append
//  for each, then return 0 (or -1 to abandon the compaction).
typedef int(zs_journal_snapshot_fn)(void *ctx, zs_journal_t *journal);

typedef struct {
    uint64_t records;      //  valid records replayed at open
    uint64_t torn;         //  bytes cut off a torn tail at open
    uint64_t damaged;      //  damaged ranges skipped at open, valid records after each
    uint64_t lost;         //  bytes in those ranges, kept in PATH.damaged-*
    uint64_t migrated;     //  1 when the file was rewritten from the headerless format
    uint64_t appended;     //  records appended since open
    uint64_t commits;      //  commits that wrote something
    uint64_t fsyncs;       //  fsync calls made: commits, repair and rewrites
    uint64_t compactions;  //  compactions done
} zs_journal_stats_t;

//  Open (creating if needed) the journal at path, replaying its records into replay
//  (may be NULL). A new file gets its header; unless the policy is NONE, the directory
//  of a journal without records is fsynced, so that a new file's name is as durable as
//  its first records. A torn tail is cut off, fsynced and logged. When valid records
//  follow damage, damage decides: REFUSE fails with err->code ZS_JOURNAL_E_DAMAGED and
//  a message listing the damaged ranges (offset and length of the first
//  ZS_JOURNAL_RANGES_SHOWN, all of them in the log), the file untouched; RECOVER links
//  the damaged file as PATH.damaged-TIME (UTC; never replacing a file, and made before
//  PATH is replaced, so that no crash leaves PATH missing), rewrites the valid records
//  as the new journal and logs a warning per range lost. A journal in the headerless
//  format is rewritten in the current one. Rewritten files are fsynced whatever the
//  policy. Returns the journal, or NULL with err filled ("cannot open 'PATH': ...")
//  when the file cannot be opened, read, repaired or rewritten, is not a journal, or
//  was written in a newer format. After a failure, replay may have seen records
//  already: the caller drops what it rebuilt from them.
zs_journal_t *zs_journal_open(const char *path,
                              zs_journal_sync_t sync,
                              zs_journal_damage_t damage,
                              zs_journal_replay_fn *replay,
                              void *ctx,
                              zs_error_t *err);

//  Commit what is pending and close. Sets *self_p to NULL; accepts NULL.
void zs_journal_destroy(zs_journal_t **self_p);

//  Buffer one record (body copied). Returns 0, or -1 (errno EMSGSIZE) when size is 0 or
//  exceeds ZS_JOURNAL_RECORD_MAX: replay refuses empty records, so that a zero-filled
//  tail left by a crash cannot pass for a run of them.
int zs_journal_append(zs_journal_t *self, const void *body, size_t size);

//  Write buffered records and fsync by policy. Returns 0, or -1 with errno when the
//  write or fsync failed: the records are then not durable and stay buffered; the file
//  is cut back to the committed records plus those zs_journal_write already wrote.
int zs_journal_commit(zs_journal_t *self);

//  Write buffered records to the file without fsync and keep them pending: they now
//  survive a killed process, and the next zs_journal_commit makes them durable (or, if
//  it fails, buffers them again). Returns 0, or -1 with errno; a failed write is
//  retried by the next write or commit.
int zs_journal_write(zs_journal_t *self);

//  True when records are buffered and not yet committed.
bool zs_journal_pending(const zs_journal_t *self);

//  Bytes in the journal file: its header and committed records.
uint64_t zs_journal_size(const zs_journal_t *self);

//  Replace the journal with the records snapshot appends (see above). Pending records
//  are committed first. The new file is fsynced whatever the policy, since it replaces
//  records that may already be durable. Returns 0, or -1 with err filled; the old
//  journal then stays.
int zs_journal_compact(zs_journal_t *self,
                       zs_journal_snapshot_fn *snapshot,
                       void *ctx,
                       zs_error_t *err);

//  The bytes a journal holding what snapshot appends would take, header included, in
//  *size_p: snapshot runs against a journal that only counts (it may only call
//  zs_journal_append). Lets a caller weigh a journal against its live records without
//  writing them. Returns 0, or the snapshot's -1.
int zs_journal_measure(zs_journal_snapshot_fn *snapshot, void *ctx, uint64_t *size_p);

//  Counters since open, borrowed.
const zs_journal_stats_t *zs_journal_stats(const zs_journal_t *self);

//  Policy for a swarm-file name ("always", "batch", "none"); -1 when unknown.
int zs_journal_sync_from_name(const char *name);

#endif
