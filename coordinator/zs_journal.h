//  zs_journal - the coordinator's append-only journal: what it accepted and how it ended
//
//  A journal is one file of records. Each record is framed as
//      [u32 size, little-endian][u32 CRC-32C of the body, little-endian][body: size
//      bytes]
//  where the body is opaque to the journal (the coordinator stores msgpack messages).
//  Appends are buffered in memory and reach the file at zs_journal_commit, which
//  write()s them and, by policy, fsyncs: ALWAYS and BATCH fsync at every commit (the
//  coordinator commits once per batch of messages, so BATCH shares one fsync among every
//  record of a batch, while ALWAYS commits after each record), NONE never fsyncs (the
//  records survive a killed process, which only needs the page cache, but not a power
//  loss). A record is durable under the policy once zs_journal_commit returned 0.
//
//  Opening replays the file: every whole, checksummed record is handed to a callback in
//  order. A torn or corrupt tail (a crash in the middle of a write) is detected, logged,
//  and cut off, never fatal; records after it are not trusted. Compaction rewrites the
//  live records to a temporary file, fsyncs it and renames it over the journal, so a
//  crash at any moment leaves either the old journal or the new one.

#ifndef ZS_JOURNAL_H
#define ZS_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zs_util.h"

#define ZS_JOURNAL_RECORD_MAX (8u << 20)  //  largest record body accepted on replay

typedef enum {
    ZS_JOURNAL_ALWAYS,  //  fsync at every commit; the coordinator commits every record
    ZS_JOURNAL_BATCH,   //  fsync at every commit; the coordinator commits per batch
    ZS_JOURNAL_NONE,    //  never fsync at commit (see zs_journal_compact)
} zs_journal_sync_t;

typedef struct zs_journal_t zs_journal_t;

//  Called once per valid record during replay, body borrowed for the call.
typedef void(zs_journal_replay_fn)(void *ctx, const void *body, size_t size);

//  Called by zs_journal_compact to write the live records: call zs_journal_append
//  for each, then return 0 (or -1 to abandon the compaction).
typedef int(zs_journal_snapshot_fn)(void *ctx, zs_journal_t *journal);

typedef struct {
    uint64_t records;      //  valid records replayed at open
    uint64_t torn;         //  bytes cut off a torn or corrupt tail at open
    uint64_t appended;     //  records appended since open
    uint64_t commits;      //  commits that wrote something
    uint64_t fsyncs;       //  fsync calls made: commits, repair and compaction
    uint64_t compactions;  //  compactions done
} zs_journal_stats_t;

//  Open (creating if needed) the journal at path, replaying its records into replay
//  (may be NULL). A torn or corrupt tail is cut off and fsynced; unless the policy is
//  NONE, an empty journal's directory is fsynced too, so that a new file's name is as
//  durable as its first records. Returns the journal, or NULL with err filled
//  ("cannot open 'PATH': ...") when the file cannot be opened, read or repaired.
zs_journal_t *zs_journal_open(const char *path,
                              zs_journal_sync_t sync,
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

//  Bytes in the journal file, committed records only.
uint64_t zs_journal_size(const zs_journal_t *self);

//  Replace the journal with the records snapshot appends (see above). Pending records
//  are committed first. The new file is fsynced whatever the policy, since it replaces
//  records that may already be durable. Returns 0, or -1 with err filled; the old
//  journal then stays.
int zs_journal_compact(zs_journal_t *self,
                       zs_journal_snapshot_fn *snapshot,
                       void *ctx,
                       zs_error_t *err);

//  Counters since open, borrowed.
const zs_journal_stats_t *zs_journal_stats(const zs_journal_t *self);

//  Policy for a swarm-file name ("always", "batch", "none"); -1 when unknown.
int zs_journal_sync_from_name(const char *name);

#endif
