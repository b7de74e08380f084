//  Unit tests for zs_journal: round trips, the format, torn tails, compaction, policies.
//  What a journal survives (a crash during compaction, damage, the format of earlier
//  versions) is in test_journal_recovery.c.

#include "coordinator/store/zs_journal.h"
#include "tests/unit/zs_test.h"
#include "tests/unit/zs_test_journal.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_MANY       10000       //  records in the bulk round trip
#define S_MANY_BATCH 100         //  records per commit in the bulk round trip
#define S_LARGE      (1u << 20)  //  bytes in the large record

//  What a snapshot callback appends, and what it then returns
typedef struct {
    const char *const *bodies;  //  borrowed strings, appended in order
    size_t count;               //  strings in bodies
    int rc;                     //  returned after appending
} s_snapshot_t;

static int
s_snapshot(void *ctx, zs_journal_t *journal)
{
    const s_snapshot_t *snapshot = ctx;
    for (size_t i = 0; i < snapshot->count; i++) {
        const char *body = snapshot->bodies[i];
        if (zs_journal_append(journal, body, strlen(body)) != 0) {
            return -1;
        }
    }
    return snapshot->rc;
}

//  Normal use: append, commit, reopen and replay

static void
s_round_trip(const char *path)
{
    zs_journal_t *journal = s_open(path, ZS_JOURNAL_BATCH, NULL);
    ZS_CHECK(journal);
    const char *bodies[] = {"submit a", "assign a to echo-1", "result a"};
    uint64_t size = S_FILE_HEADER;
    for (size_t i = 0; i < 3; i++) {
        ZS_CHECK(zs_journal_append(journal, bodies[i], strlen(bodies[i])) == 0);
        size += S_FRAME + strlen(bodies[i]);
    }
    ZS_CHECK(zs_journal_pending(journal) && zs_journal_size(journal) == S_FILE_HEADER);
    ZS_CHECK(zs_journal_commit(journal) == 0);
    ZS_CHECK(!zs_journal_pending(journal));
    ZS_CHECK(zs_journal_size(journal) == size && s_file_size(path) == (int64_t) size);
    zs_journal_destroy(&journal);
    ZS_CHECK(journal == NULL);

    s_seen_t seen = {0};
    journal = s_open(path, ZS_JOURNAL_BATCH, &seen);
    ZS_CHECK(journal);
    ZS_CHECK(seen.count == 3);
    for (size_t i = 0; i < 3; i++) {
        ZS_CHECK(s_seen_str(&seen, i, bodies[i]));
    }
    const zs_journal_stats_t *stats = zs_journal_stats(journal);
    ZS_CHECK(stats->records == 3 && stats->torn == 0 && stats->appended == 0);
    ZS_CHECK(zs_journal_size(journal) == size);
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
}

static void
test_round_trip(void)
{
    s_in_dir(s_round_trip);
}

static void
s_destroy_commits(const char *path)
{
    zs_journal_t *journal = s_open(path, ZS_JOURNAL_BATCH, NULL);
    ZS_CHECK(journal);
    ZS_CHECK(zs_journal_append(journal, "last words", 10) == 0);
    zs_journal_destroy(&journal);
    zs_journal_destroy(&journal);
    s_seen_t seen = {0};
    journal = s_open(path, ZS_JOURNAL_BATCH, &seen);
    ZS_CHECK(journal);
    ZS_CHECK(seen.count == 1 && s_seen_str(&seen, 0, "last words"));
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
}

static void
test_destroy_commits(void)
{
    s_in_dir(s_destroy_commits);
}

static void
s_empty_file(const char *path)
{
    s_seen_t seen = {0};
    zs_journal_t *journal = s_open(path, ZS_JOURNAL_BATCH, &seen);
    ZS_CHECK(journal);
    struct stat st;
    ZS_CHECK(stat(path, &st) == 0 && st.st_size == S_FILE_HEADER);
    ZS_CHECK((st.st_mode & 0777) == 0600);
    zs_journal_destroy(&journal);
    journal = s_open(path, ZS_JOURNAL_BATCH, &seen);
    ZS_CHECK(journal);
    const zs_journal_stats_t *stats = zs_journal_stats(journal);
    ZS_CHECK(seen.count == 0 && stats->records == 0 && stats->torn == 0);
    ZS_CHECK(zs_journal_size(journal) == S_FILE_HEADER);
    //  An empty journal may be new: its directory is synced, once
    ZS_CHECK(stats->fsyncs == 1);
    zs_journal_destroy(&journal);
}

static void
test_empty_file(void)
{
    s_in_dir(s_empty_file);
}

//  The format, byte for byte, against a CRC computed bit by bit: the header, then
//  each record framed with the header's tag. 123456789 is the CRC-32C check input.
static void
s_exact_framing(const char *path)
{
    ZS_CHECK(s_crc32c(0, "123456789", 9) == 0xe3069283u);
    const char *bodies[] = {"123456789", "x"};
    ZS_CHECK(s_make(path, bodies, 2) == 0);
    size_t size;
    uint8_t *data = s_read_file(path, &size);
    ZS_CHECK(data);
    uint8_t expect[S_FILE_HEADER + 2 * S_FRAME + 10];
    memcpy(expect, "ZSJL", 4);
    s_put_u32(expect + 4, 1);
    uint32_t tag = s_get_u32(data + 8);
    s_put_u32(expect + 8, tag);
    s_put_u32(expect + 12, s_crc32c(0, expect, 12));
    size_t at = S_FILE_HEADER;
    for (size_t i = 0; i < 2; i++) {
        uint32_t length = (uint32_t) strlen(bodies[i]);
        s_put_u32(expect + at, tag);
        s_put_u32(expect + at + 4, length);
        uint32_t crc = s_crc32c(s_crc32c(0, expect + at, 8), bodies[i], length);
        s_put_u32(expect + at + 8, crc);
        memcpy(expect + at + S_FRAME, bodies[i], length);
        at += S_FRAME + length;
    }
    bool same = size == sizeof expect && memcmp(data, expect, size) == 0;
    free(data);
    ZS_CHECK(tag != 0 && same);
    //  Every file has a tag of its own
    ZS_CHECK(s_make(path, bodies, 0) == 0);
    data = s_read_file(path, &size);
    ZS_CHECK(data);
    bool other = size == S_FILE_HEADER && s_get_u32(data + 8) != tag;
    free(data);
    ZS_CHECK(other);
}

static void
test_exact_framing(void)
{
    s_in_dir(s_exact_framing);
}

//  Torn and corrupt tails

static const char *s_three[] = {"first", "second record", "the third and last record"};

//  A crash can stop a write at any byte of the last record
static void
s_every_truncation_point(const char *path)
{
    ZS_CHECK(s_make(path, s_three, 3) == 0);
    size_t size;
    uint8_t *full = s_read_file(path, &size);
    ZS_CHECK(full);
    size_t end2 = size - S_FRAME - strlen(s_three[2]);
    for (size_t cut = end2; cut < size; cut++) {
        ZS_CHECK(s_write_file(path, full, cut) == 0);
        s_seen_t seen = {0};
        zs_journal_t *journal = s_open(path, ZS_JOURNAL_BATCH, &seen);
        ZS_CHECK(journal);
        ZS_CHECK(seen.count == 2);
        ZS_CHECK(zs_journal_stats(journal)->torn == cut - end2);
        ZS_CHECK(zs_journal_size(journal) == end2 && s_file_size(path) == (int64_t) end2);
        ZS_CHECK(zs_journal_append(journal, "after the cut", 13) == 0);
        zs_journal_destroy(&journal);
        s_seen_fini(&seen);

        journal = s_open(path, ZS_JOURNAL_BATCH, &seen);
        ZS_CHECK(journal);
        ZS_CHECK(seen.count == 3 && zs_journal_stats(journal)->torn == 0);
        ZS_CHECK(s_seen_str(&seen, 0, s_three[0]) && s_seen_str(&seen, 1, s_three[1]));
        ZS_CHECK(s_seen_str(&seen, 2, "after the cut"));
        zs_journal_destroy(&journal);
        s_seen_fini(&seen);
    }
    free(full);
}

static void
test_every_truncation_point(void)
{
    s_in_dir(s_every_truncation_point);
}

//  The cut is logged, saying how much and where
static void
s_torn_tail_is_logged(const char *path)
{
    ZS_CHECK(s_make(path, s_three, 3) == 0);
    int64_t size = s_file_size(path);
    int64_t end2 = size - S_FRAME - (int64_t) strlen(s_three[2]);
    ZS_CHECK(truncate(path, size - 3) == 0);
    s_log_t capture;
    s_log_begin(&capture);
    zs_journal_t *journal = s_open(path, ZS_JOURNAL_BATCH, NULL);
    char *log = s_log_end(&capture);
    char want[S_PATH_MAX + 64];
    snprintf(want, sizeof want,
             "journal '%s': cut %" PRId64 " bytes of a torn tail at offset %" PRId64,
             path, size - 3 - end2, end2);
    bool logged = log && strstr(log, want);
    free(log);
    ZS_CHECK(journal && logged);
    zs_journal_destroy(&journal);
}

static void
test_torn_tail_is_logged(void)
{
    s_in_dir(s_torn_tail_is_logged);
}

//  A size field past the limit is cut without reading (or allocating) that much
static void
s_huge_size_field(const char *path)
{
    const uint32_t claims[] = {0xffffffffu, ZS_JOURNAL_RECORD_MAX + 1};
    for (size_t i = 0; i < sizeof claims / sizeof claims[0]; i++) {
        ZS_CHECK(s_make(path, NULL, 0) == 0);
        size_t size;
        uint8_t *file = s_read_file(path, &size);
        ZS_CHECK(file && size == S_FILE_HEADER);
        uint8_t record[S_FILE_HEADER + S_FRAME + 4];
        memcpy(record, file, S_FILE_HEADER);
        free(file);
        uint8_t *frame = record + S_FILE_HEADER;
        memcpy(frame, record + 8, 4);  //  the file's own tag
        s_put_u32(frame + 4, claims[i]);
        s_put_u32(frame + 8, 0);
        memcpy(frame + S_FRAME, "tiny", 4);
        ZS_CHECK(s_write_file(path, record, sizeof record) == 0);
        s_seen_t seen = {0};
        zs_journal_t *journal = s_open(path, ZS_JOURNAL_BATCH, &seen);
        ZS_CHECK(journal);
        ZS_CHECK(seen.count == 0 && zs_journal_stats(journal)->torn == S_FRAME + 4);
        ZS_CHECK(s_file_size(path) == S_FILE_HEADER);
        zs_journal_destroy(&journal);
    }
}

static void
test_huge_size_field(void)
{
    s_in_dir(s_huge_size_field);
}

//  Empty records are refused, so a zero-filled tail cannot replay as a run of them
static void
s_zero_filled_tail(const char *path)
{
    const char *bodies[] = {"kept"};
    ZS_CHECK(s_make(path, bodies, 1) == 0);
    FILE *file = fopen(path, "ab");
    ZS_CHECK(file);
    static const uint8_t zeros[4096];
    size_t done = fwrite(zeros, 1, sizeof zeros, file);
    ZS_CHECK(fclose(file) == 0 && done == sizeof zeros);
    s_seen_t seen = {0};
    zs_journal_t *journal = s_open(path, ZS_JOURNAL_BATCH, &seen);
    ZS_CHECK(journal);
    ZS_CHECK(seen.count == 1 && zs_journal_stats(journal)->torn == sizeof zeros);
    ZS_CHECK(s_file_size(path) == S_FILE_HEADER + S_FRAME + 4);
    errno = 0;
    ZS_CHECK(zs_journal_append(journal, "", 0) == -1 && errno == EMSGSIZE);
    ZS_CHECK(!zs_journal_pending(journal));
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
}

static void
test_zero_filled_tail(void)
{
    s_in_dir(s_zero_filled_tail);
}

//  Compaction

static void
s_compact_keeps_snapshot(const char *path)
{
    const char *old[] = {"old 0", "old 1", "old 2", "old 3", "old 4"};
    ZS_CHECK(s_make(path, old, 5) == 0);
    zs_journal_t *journal = s_open(path, ZS_JOURNAL_BATCH, NULL);
    ZS_CHECK(journal);
    //  Committed first, then superseded: the snapshot is the whole truth
    ZS_CHECK(zs_journal_append(journal, "pending", 7) == 0);
    const char *live[] = {"live a", "live b"};
    s_snapshot_t snapshot = {live, 2, 0};
    zs_error_t err;
    ZS_CHECK_OK(zs_journal_compact(journal, s_snapshot, &snapshot, &err), err);
    ZS_CHECK(!zs_journal_pending(journal) && !s_tmp_exists(path));
    ZS_CHECK(zs_journal_stats(journal)->compactions == 1);
    ZS_CHECK(zs_journal_size(journal) == S_FILE_HEADER + 2 * (S_FRAME + 6));
    ZS_CHECK(s_file_size(path) == S_FILE_HEADER + 2 * (S_FRAME + 6));
    //  Appends go to the new file
    ZS_CHECK(zs_journal_append(journal, "after", 5) == 0);
    ZS_CHECK(zs_journal_commit(journal) == 0);
    zs_journal_destroy(&journal);

    s_seen_t seen = {0};
    journal = s_open(path, ZS_JOURNAL_BATCH, &seen);
    ZS_CHECK(journal);
    ZS_CHECK(seen.count == 3 && zs_journal_stats(journal)->torn == 0);
    ZS_CHECK(s_seen_str(&seen, 0, "live a") && s_seen_str(&seen, 1, "live b"));
    ZS_CHECK(s_seen_str(&seen, 2, "after"));
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
}

static void
test_compact_keeps_snapshot(void)
{
    s_in_dir(s_compact_keeps_snapshot);
}

//  After a failed compaction the old file is untouched, still in use, and alone
static void
s_check_old_journal(const char *path, const uint8_t *before, size_t before_size)
{
    ZS_CHECK(!s_tmp_exists(path));
    size_t size;
    uint8_t *after = s_read_file(path, &size);
    ZS_CHECK(after);
    bool same = size == before_size && memcmp(after, before, size) == 0;
    free(after);
    ZS_CHECK(same);
}

static void
s_compact_failed_snapshot(const char *path)
{
    ZS_CHECK(s_make(path, s_three, 2) == 0);
    size_t size;
    uint8_t *before = s_read_file(path, &size);
    ZS_CHECK(before);
    zs_journal_t *journal = s_open(path, ZS_JOURNAL_BATCH, NULL);
    ZS_CHECK(journal);
    const char *live[] = {"never written"};
    s_snapshot_t snapshot = {live, 1, -1};
    zs_error_t err;
    ZS_CHECK(zs_journal_compact(journal, s_snapshot, &snapshot, &err) == -1);
    char want[S_PATH_MAX + 64];
    snprintf(want, sizeof want, "cannot compact '%s': the snapshot failed", path);
    ZS_CHECK_STR(err.text, want);
    ZS_CHECK(zs_journal_stats(journal)->compactions == 0);
    ZS_CHECK(zs_journal_size(journal) == size);
    s_check_old_journal(path, before, size);
    free(before);
    ZS_CHECK(zs_journal_append(journal, "still works", 11) == 0);
    zs_journal_destroy(&journal);

    s_seen_t seen = {0};
    journal = s_open(path, ZS_JOURNAL_BATCH, &seen);
    ZS_CHECK(journal);
    ZS_CHECK(seen.count == 3 && s_seen_str(&seen, 1, s_three[1]));
    ZS_CHECK(s_seen_str(&seen, 2, "still works"));
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
}

static void
test_compact_failed_snapshot(void)
{
    s_in_dir(s_compact_failed_snapshot);
}

static void
s_compact_cannot_create(const char *path)
{
    ZS_CHECK(s_make(path, s_three, 3) == 0);
    size_t size;
    uint8_t *before = s_read_file(path, &size);
    ZS_CHECK(before);
    char tmp_path[S_PATH_MAX];
    snprintf(tmp_path, sizeof tmp_path, "%s.tmp", path);
    ZS_CHECK(mkdir(tmp_path, 0700) == 0);
    zs_journal_t *journal = s_open(path, ZS_JOURNAL_BATCH, NULL);
    ZS_CHECK(journal);
    s_snapshot_t snapshot = {s_three, 1, 0};
    zs_error_t err;
    ZS_CHECK(zs_journal_compact(journal, s_snapshot, &snapshot, &err) == -1);
    ZS_CHECK(strstr(err.text, "cannot create") && strstr(err.text, "Is a directory"));
    ZS_CHECK(zs_journal_size(journal) == size);
    zs_journal_destroy(&journal);
    ZS_CHECK(rmdir(tmp_path) == 0);
    s_check_old_journal(path, before, size);
    free(before);
}

static void
test_compact_cannot_create(void)
{
    s_in_dir(s_compact_cannot_create);
}

static const char *s_old[] = {"submit a", "submit b", "result a", "submit c", "result b"};
static const char *s_live[] = {"submit c", "result b"};

//  zs_journal_measure says what a compaction would write, without writing it
static void
s_measure(const char *path)
{
    ZS_CHECK(s_make(path, s_old, 5) == 0);
    s_snapshot_t snapshot = {s_live, 2, 0};
    uint64_t measured = 0;
    ZS_CHECK(zs_journal_measure(s_snapshot, &snapshot, &measured) == 0);
    ZS_CHECK(measured == S_FILE_HEADER + 2 * S_FRAME + 8 + 8);
    ZS_CHECK(!s_tmp_exists(path) && s_file_size(path) > (int64_t) measured);
    zs_journal_t *journal = s_open(path, ZS_JOURNAL_BATCH, NULL);
    ZS_CHECK(journal);
    zs_error_t err;
    ZS_CHECK_OK(zs_journal_compact(journal, s_snapshot, &snapshot, &err), err);
    ZS_CHECK(zs_journal_size(journal) == measured);
    ZS_CHECK(s_file_size(path) == (int64_t) measured);
    zs_journal_destroy(&journal);
    s_snapshot_t empty = {NULL, 0, 0};
    ZS_CHECK(zs_journal_measure(s_snapshot, &empty, &measured) == 0);
    ZS_CHECK(measured == S_FILE_HEADER);
    snapshot.rc = -1;
    ZS_CHECK(zs_journal_measure(s_snapshot, &snapshot, &measured) == -1);
}

static void
test_measure(void)
{
    s_in_dir(s_measure);
}

//  Commits and sync policies

static void
s_commit_nothing_pending(const char *path)
{
    zs_journal_t *journal = s_open(path, ZS_JOURNAL_ALWAYS, NULL);
    ZS_CHECK(journal);
    const zs_journal_stats_t *stats = zs_journal_stats(journal);
    uint64_t at_open = stats->fsyncs;
    ZS_CHECK(zs_journal_commit(journal) == 0);
    ZS_CHECK(stats->commits == 0 && stats->fsyncs == at_open);
    ZS_CHECK(zs_journal_append(journal, "one", 3) == 0);
    ZS_CHECK(zs_journal_commit(journal) == 0 && zs_journal_commit(journal) == 0);
    ZS_CHECK(stats->commits == 1 && stats->appended == 1);
    ZS_CHECK(stats->fsyncs == at_open + 1);
    zs_journal_destroy(&journal);
}

static void
test_commit_nothing_pending(void)
{
    s_in_dir(s_commit_nothing_pending);
}

static void
s_sync_policies(const char *path)
{
    const zs_journal_sync_t policies[] = {ZS_JOURNAL_ALWAYS, ZS_JOURNAL_BATCH,
                                          ZS_JOURNAL_NONE};
    for (size_t i = 0; i < 3; i++) {
        unlink(path);
        zs_journal_t *journal = s_open(path, policies[i], NULL);
        ZS_CHECK(journal);
        bool never = policies[i] == ZS_JOURNAL_NONE;
        const zs_journal_stats_t *stats = zs_journal_stats(journal);
        //  The new file's directory, unless the policy never syncs
        ZS_CHECK(stats->fsyncs == (never ? 0 : 1));
        ZS_CHECK(zs_journal_append(journal, "a", 1) == 0);
        ZS_CHECK(zs_journal_append(journal, "b", 1) == 0);
        ZS_CHECK(zs_journal_commit(journal) == 0);
        ZS_CHECK(zs_journal_append(journal, "c", 1) == 0);
        ZS_CHECK(zs_journal_commit(journal) == 0);
        ZS_CHECK(stats->commits == 2 && stats->appended == 3);
        ZS_CHECK(stats->fsyncs == (never ? 0 : 1 + 2));
        zs_journal_destroy(&journal);
    }
}

static void
test_sync_policies(void)
{
    s_in_dir(s_sync_policies);
}

//  Written but not committed: in the file (a killed process loses nothing), no fsync
//  yet, still pending; the commit then fsyncs without writing the records again
static void
s_write_then_commit(const char *path)
{
    zs_journal_t *journal = s_open(path, ZS_JOURNAL_BATCH, NULL);
    ZS_CHECK(journal);
    const zs_journal_stats_t *stats = zs_journal_stats(journal);
    uint64_t at_open = stats->fsyncs;
    ZS_CHECK(zs_journal_append(journal, "first", 5) == 0);
    ZS_CHECK(zs_journal_write(journal) == 0);
    ZS_CHECK(s_file_size(path) == S_FILE_HEADER + S_FRAME + 5);
    ZS_CHECK(stats->fsyncs == at_open && zs_journal_pending(journal));
    ZS_CHECK(zs_journal_append(journal, "second", 6) == 0);
    ZS_CHECK(zs_journal_write(journal) == 0 && zs_journal_write(journal) == 0);
    ZS_CHECK(s_file_size(path) == S_FILE_HEADER + S_FRAME + 5 + S_FRAME + 6);
    ZS_CHECK(zs_journal_commit(journal) == 0);
    ZS_CHECK(stats->fsyncs == at_open + 1 && !zs_journal_pending(journal));
    ZS_CHECK(zs_journal_size(journal) == S_FILE_HEADER + S_FRAME + 5 + S_FRAME + 6);
    ZS_CHECK(s_file_size(path) == (int64_t) zs_journal_size(journal));
    zs_journal_destroy(&journal);
    s_seen_t seen = {0};
    journal = s_open(path, ZS_JOURNAL_BATCH, &seen);
    ZS_CHECK(journal && seen.count == 2);
    ZS_CHECK(s_seen_str(&seen, 0, "first") && s_seen_str(&seen, 1, "second"));
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
}

static void
test_write_then_commit(void)
{
    s_in_dir(s_write_then_commit);
}

//  A write cut short by the file size limit leaves no partial record, and the retry
//  writes one copy of each record
static void
s_failed_commit_is_retried(const char *path)
{
    zs_journal_t *journal = s_open(path, ZS_JOURNAL_BATCH, NULL);
    ZS_CHECK(journal);
    ZS_CHECK(zs_journal_append(journal, "committed", 9) == 0);
    ZS_CHECK(zs_journal_commit(journal) == 0);
    uint64_t committed = zs_journal_size(journal);
    char big[100];
    memset(big, 'x', sizeof big);
    ZS_CHECK(zs_journal_append(journal, big, sizeof big) == 0);

    struct rlimit limit, low;
    ZS_CHECK(getrlimit(RLIMIT_FSIZE, &limit) == 0);
    low = limit;
    low.rlim_cur = (rlim_t) committed + 10;
    void (*handler)(int) = signal(SIGXFSZ, SIG_IGN);
    ZS_CHECK(setrlimit(RLIMIT_FSIZE, &low) == 0);
    int rc = zs_journal_commit(journal);
    int saved = errno;
    ZS_CHECK(setrlimit(RLIMIT_FSIZE, &limit) == 0);
    signal(SIGXFSZ, handler);

    ZS_CHECK(rc == -1 && saved == EFBIG);
    ZS_CHECK(zs_journal_pending(journal) && zs_journal_size(journal) == committed);
    ZS_CHECK(s_file_size(path) == (int64_t) committed);
    ZS_CHECK(zs_journal_commit(journal) == 0);
    zs_journal_destroy(&journal);

    s_seen_t seen = {0};
    journal = s_open(path, ZS_JOURNAL_BATCH, &seen);
    ZS_CHECK(journal);
    ZS_CHECK(seen.count == 2 && zs_journal_stats(journal)->torn == 0);
    ZS_CHECK(s_seen_str(&seen, 0, "committed") && s_seen_is(&seen, 1, big, sizeof big));
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
}

static void
test_failed_commit_is_retried(void)
{
    s_in_dir(s_failed_commit_is_retried);
}

//  Sizes and volume

static void
s_large_record(const char *path)
{
    uint8_t *body = zs_malloc(ZS_JOURNAL_RECORD_MAX + 1);
    for (size_t i = 0; i < ZS_JOURNAL_RECORD_MAX + 1; i++) {
        body[i] = (uint8_t) (i * 31 + 7);
    }
    zs_journal_t *journal = s_open(path, ZS_JOURNAL_NONE, NULL);
    ZS_CHECK(journal);
    errno = 0;
    ZS_CHECK(zs_journal_append(journal, body, ZS_JOURNAL_RECORD_MAX + 1) == -1);
    ZS_CHECK(errno == EMSGSIZE && !zs_journal_pending(journal));
    ZS_CHECK(zs_journal_append(journal, body, S_LARGE) == 0);
    ZS_CHECK(zs_journal_append(journal, body + 1, ZS_JOURNAL_RECORD_MAX) == 0);
    zs_journal_destroy(&journal);

    s_seen_t seen = {0};
    journal = s_open(path, ZS_JOURNAL_NONE, &seen);
    ZS_CHECK(journal);
    ZS_CHECK(seen.count == 2 && s_seen_is(&seen, 0, body, S_LARGE));
    ZS_CHECK(s_seen_is(&seen, 1, body + 1, ZS_JOURNAL_RECORD_MAX));
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
    free(body);
}

static void
test_large_record(void)
{
    s_in_dir(s_large_record);
}

static void
s_many_records(const char *path)
{
    zs_journal_t *journal = s_open(path, ZS_JOURNAL_NONE, NULL);
    ZS_CHECK(journal);
    char body[32];
    for (size_t i = 0; i < S_MANY; i++) {
        snprintf(body, sizeof body, "record %zu", i);
        ZS_CHECK(zs_journal_append(journal, body, strlen(body)) == 0);
        if ((i + 1) % S_MANY_BATCH == 0) {
            ZS_CHECK(zs_journal_commit(journal) == 0);
        }
    }
    ZS_CHECK(zs_journal_stats(journal)->commits == S_MANY / S_MANY_BATCH);
    zs_journal_destroy(&journal);

    s_seen_t seen = {0};
    journal = s_open(path, ZS_JOURNAL_NONE, &seen);
    ZS_CHECK(journal);
    ZS_CHECK(seen.count == S_MANY && zs_journal_stats(journal)->records == S_MANY);
    for (size_t i = 0; i < S_MANY; i++) {
        snprintf(body, sizeof body, "record %zu", i);
        ZS_CHECK(s_seen_str(&seen, i, body));
    }
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
}

static void
test_many_records(void)
{
    s_in_dir(s_many_records);
}

//  Bad input

static int
s_snapshot_nothing(void *ctx, zs_journal_t *journal)
{
    return 0;
}

static void
s_open_errors(const char *path)
{
    char dir[S_PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", (int) (strrchr(path, '/') - path), path);
    zs_error_t err;
    char want[S_PATH_MAX + 64];
    ZS_CHECK(zs_journal_open(dir, ZS_JOURNAL_BATCH, ZS_JOURNAL_REFUSE, NULL, NULL,
                             &err) == NULL);
    snprintf(want, sizeof want, "cannot open '%s': Is a directory", dir);
    ZS_CHECK_STR(err.text, want);
    char missing[S_PATH_MAX + 16];
    snprintf(missing, sizeof missing, "%s/no/journal", dir);
    ZS_CHECK(zs_journal_open(missing, ZS_JOURNAL_BATCH, ZS_JOURNAL_REFUSE, NULL, NULL,
                             &err) == NULL);
    snprintf(want, sizeof want, "cannot open '%s': No such file or directory", missing);
    ZS_CHECK_STR(err.text, want);

    //  One journal, one writer: a second open is refused, also after a compaction
    const char *locked = path;
    zs_journal_t *first =
        zs_journal_open(locked, ZS_JOURNAL_NONE, ZS_JOURNAL_REFUSE, NULL, NULL, &err);
    ZS_CHECK(first);
    ZS_CHECK(zs_journal_open(locked, ZS_JOURNAL_NONE, ZS_JOURNAL_REFUSE, NULL, NULL,
                             &err) == NULL);
    snprintf(want, sizeof want, "cannot open '%s': in use by another process", locked);
    ZS_CHECK_STR(err.text, want);
    ZS_CHECK(zs_journal_compact(first, s_snapshot_nothing, NULL, &err) == 0);
    ZS_CHECK(zs_journal_open(locked, ZS_JOURNAL_NONE, ZS_JOURNAL_REFUSE, NULL, NULL,
                             &err) == NULL);
    zs_journal_destroy(&first);
    zs_journal_t *second =
        zs_journal_open(locked, ZS_JOURNAL_NONE, ZS_JOURNAL_REFUSE, NULL, NULL, &err);
    ZS_CHECK(second);
    zs_journal_destroy(&second);
}

static void
test_open_errors(void)
{
    s_in_dir(s_open_errors);
}

static void
test_sync_from_name(void)
{
    ZS_CHECK(zs_journal_sync_from_name("always") == ZS_JOURNAL_ALWAYS);
    ZS_CHECK(zs_journal_sync_from_name("batch") == ZS_JOURNAL_BATCH);
    ZS_CHECK(zs_journal_sync_from_name("none") == ZS_JOURNAL_NONE);
    ZS_CHECK(zs_journal_sync_from_name("Always") == -1);
    ZS_CHECK(zs_journal_sync_from_name("") == -1);
    ZS_CHECK(zs_journal_sync_from_name("sometimes") == -1);
}

static const zs_test_case_t s_cases[] = {
    {"round_trip", test_round_trip},
    {"destroy_commits", test_destroy_commits},
    {"empty_file", test_empty_file},
    {"exact_framing", test_exact_framing},
    {"every_truncation_point", test_every_truncation_point},
    {"torn_tail_is_logged", test_torn_tail_is_logged},
    {"huge_size_field", test_huge_size_field},
    {"zero_filled_tail", test_zero_filled_tail},
    {"compact_keeps_snapshot", test_compact_keeps_snapshot},
    {"compact_failed_snapshot", test_compact_failed_snapshot},
    {"compact_cannot_create", test_compact_cannot_create},
    {"measure", test_measure},
    {"commit_nothing_pending", test_commit_nothing_pending},
    {"sync_policies", test_sync_policies},
    {"failed_commit_is_retried", test_failed_commit_is_retried},
    {"large_record", test_large_record},
    {"many_records", test_many_records},
    {"write_then_commit", test_write_then_commit},
    {"open_errors", test_open_errors},
    {"sync_from_name", test_sync_from_name},
};

ZS_TEST_MAIN(s_cases)
