//  Unit tests for what a journal survives: a crash during compaction, damage with valid
//  records after it (refused, or recovered with every valid record and the damaged file
//  kept), and journals in the headerless format of earlier versions (migrated)

#include "coordinator/store/zs_journal.h"
#include "tests/unit/zs_test.h"
#include "tests/unit/zs_test_journal.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_THOUSANDS 4318  //  records in the journal of issue 12, its record 2 damaged
#define S_SEVERAL   10    //  records in the journal damaged in several places
#define S_DECOYS    4     //  seconds of PATH.damaged-TIME names taken in advance
#define S_NAME_MAX  (S_PATH_MAX + 260)  //  a directory of ours and a file name in it

static const char *s_three[] = {"first", "second record", "the third and last record"};

//  A crash in the middle of a compaction

//  A crash at any step of a compaction loses nothing. Before the rename PATH is the old
//  journal, whatever PATH.tmp holds (nothing, part of the new one, all of it); the next
//  open removes PATH.tmp. After the rename PATH is the new journal.

static const char *s_old[] = {"submit a", "submit b", "result a", "submit c", "result b"};
static const char *s_live[] = {"submit c", "result b"};

//  True when a reopen replays exactly these records, cuts nothing, leaves no PATH.tmp
//  and appends after them
static bool
s_reopen_has(const char *path, const char *const *bodies, size_t count)
{
    s_seen_t seen = {0};
    zs_journal_t *journal = s_open(path, ZS_JOURNAL_BATCH, &seen);
    bool same = journal && seen.count == count && zs_journal_stats(journal)->torn == 0;
    for (size_t i = 0; same && i < count; i++) {
        same = s_seen_str(&seen, i, bodies[i]);
    }
    same = same && !s_tmp_exists(path) && zs_journal_append(journal, "next", 4) == 0;
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
    journal = s_open(path, ZS_JOURNAL_BATCH, &seen);
    same = same && journal && seen.count == count + 1 && s_seen_str(&seen, count, "next");
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
    return same;
}

static void
s_compact_crash_points(const char *path)
{
    ZS_CHECK(s_make(path, s_live, 2) == 0);
    size_t new_size = 0, old_size = 0;
    uint8_t *compacted = s_read_file(path, &new_size);
    ZS_CHECK(s_make(path, s_old, 5) == 0);
    uint8_t *old = s_read_file(path, &old_size);
    ZS_CHECK(compacted && old);
    char tmp_path[S_PATH_MAX];
    snprintf(tmp_path, sizeof tmp_path, "%s.tmp", path);
    bool lost = false;
    for (size_t cut = 0; cut <= new_size && !lost; cut++) {
        lost = s_write_file(path, old, old_size) != 0 ||
               s_write_file(tmp_path, compacted, cut) != 0 ||
               !s_reopen_has(path, s_old, 5);
        if (lost) {
            fprintf(stderr, "with %zu bytes of %zu in PATH.tmp\n", cut, new_size);
        }
    }
    ZS_CHECK(!lost);
    //  Renamed, its directory maybe not synced yet: the name is the new journal's
    ZS_CHECK(s_write_file(path, compacted, new_size) == 0);
    free(compacted);
    free(old);
    ZS_CHECK(s_reopen_has(path, s_live, 2));
}

static void
test_compact_crash_points(void)
{
    s_in_dir(s_compact_crash_points);
}

//  Appends the live records, writes them to PATH.tmp if asked, then dies as kill -9 does
static int
s_snapshot_then_die(void *ctx, zs_journal_t *journal)
{
    const bool *write = ctx;
    for (size_t i = 0; i < 2; i++) {
        zs_journal_append(journal, s_live[i], strlen(s_live[i]));
    }
    if (*write) {
        zs_journal_commit(journal);
    }
    raise(SIGKILL);
    return 0;
}

//  The same, for real: a process killed in the middle of zs_journal_compact
static void
s_compact_killed(const char *path)
{
    for (int i = 0; i < 2; i++) {
        bool write = i == 1;
        ZS_CHECK(s_make(path, s_old, 5) == 0);
        pid_t pid = fork();
        ZS_CHECK(pid >= 0);
        if (pid == 0) {
            zs_journal_t *journal = s_open(path, ZS_JOURNAL_BATCH, NULL);
            zs_error_t err;
            if (journal) {
                zs_journal_compact(journal, s_snapshot_then_die, &write, &err);
            }
            _exit(1);
        }
        int status;
        ZS_CHECK(waitpid(pid, &status, 0) == pid);
        ZS_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        ZS_CHECK(s_tmp_exists(path));
        int64_t whole = S_FILE_HEADER + 2 * S_FRAME + 8 + 8;
        char tmp_path[S_PATH_MAX];
        snprintf(tmp_path, sizeof tmp_path, "%s.tmp", path);
        ZS_CHECK(s_file_size(tmp_path) == (write ? whole : S_FILE_HEADER));
        ZS_CHECK(s_reopen_has(path, s_old, 5));
    }
}

static void
test_compact_killed(void)
{
    s_in_dir(s_compact_killed);
}

//  Damage with valid records after it

//  "record N, ..." for N from 0; caller frees with zs_strings_free
static char **
s_numbered(size_t count)
{
    char **bodies = zs_calloc(count, sizeof *bodies);
    for (size_t i = 0; i < count; i++) {
        bodies[i] = zsys_sprintf("record %zu, task-%zu: submitted, then done", i, i);
    }
    return bodies;
}

//  Flip the bits of mask in the byte at offset of the file
static int
s_flip(const char *path, size_t offset, uint8_t mask)
{
    size_t size;
    uint8_t *data = s_read_file(path, &size);
    int rc = data && offset < size ? 0 : -1;
    if (rc == 0) {
        data[offset] ^= mask;
        rc = s_write_file(path, data, size);
    }
    free(data);
    return rc;
}

//  The first file beside the journal named PATH + suffix + anything, into found
static bool
s_find_beside(const char *path, const char *suffix, char *found, size_t found_size)
{
    char dir[S_PATH_MAX];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", (int) (slash - path), path);
    size_t prefix = strlen(slash + 1);
    DIR *listing = opendir(dir);
    bool hit = false;
    for (struct dirent *entry; listing && !hit && (entry = readdir(listing));) {
        hit = strncmp(entry->d_name, slash + 1, prefix) == 0 &&
              strncmp(entry->d_name + prefix, suffix, strlen(suffix)) == 0;
        if (hit) {
            snprintf(found, found_size, "%s/%s", dir, entry->d_name);
        }
    }
    if (listing) {
        closedir(listing);
    }
    return hit;
}

static void
s_remove_damaged(const char *path)
{
    char name[S_NAME_MAX];
    while (s_find_beside(path, ZS_JOURNAL_DAMAGED_SUFFIX, name, sizeof name)) {
        unlink(name);
    }
}

//  True when seen holds bodies[0..count) but the ones in skip (ascending, -1 ends)
static bool
s_seen_all_but(const s_seen_t *seen,
               const char *const *bodies,
               size_t count,
               const int *skip)
{
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
        if (*skip == (int) i) {
            skip++;
        } else if (!s_seen_str(seen, at++, bodies[i])) {
            return false;
        }
    }
    return at == seen->count;
}

//  Normal use of recovery: one byte of record 2 of thousands damaged. Without recover
//  the open is refused and the file left as it is; with it, every other record comes
//  back, the damaged file is kept, and the new journal opens like any other.
static void
s_recover_one_record(const char *path)
{
    char **bodies = s_numbered(S_THOUSANDS);
    const char *const *list = (const char *const *) bodies;
    ZS_CHECK(s_make(path, list, S_THOUSANDS) == 0);
    size_t at = s_offset_of(list, 1), length = s_offset_of(list, 2) - at;
    ZS_CHECK(s_flip(path, at + S_FRAME + 3, 0x20) == 0);
    size_t size;
    uint8_t *damaged = s_read_file(path, &size);
    ZS_CHECK(damaged);

    zs_error_t err;
    s_seen_t seen = {0};
    ZS_CHECK(s_open_with(path, ZS_JOURNAL_REFUSE, &seen, &err) == NULL);
    s_seen_fini(&seen);
    char want[S_PATH_MAX + 200];
    snprintf(want, sizeof want,
             "cannot open '%s': damaged, with valid records after the damage: "
             "1 range, %zu bytes (%zu bytes at offset %zu)",
             path, length, length, at);
    ZS_CHECK_STR(err.text, want);
    ZS_CHECK(err.code == ZS_JOURNAL_E_DAMAGED);
    ZS_CHECK(s_file_is(path, damaged, size) && !s_tmp_exists(path));
    ZS_CHECK(s_count_beside(path, ZS_JOURNAL_DAMAGED_SUFFIX) == 0);

    s_log_t capture;
    s_log_begin(&capture);
    zs_journal_t *journal = s_open_with(path, ZS_JOURNAL_RECOVER, &seen, NULL);
    char *log = s_log_end(&capture);
    snprintf(want, sizeof want, "journal '%s': lost %zu damaged bytes at offset %zu",
             path, length, at);
    bool logged = log && strstr(log, want);
    free(log);
    ZS_CHECK(journal && logged);
    const int skip[] = {1, -1};
    ZS_CHECK(seen.count == S_THOUSANDS - 1 &&
             s_seen_all_but(&seen, list, S_THOUSANDS, skip));
    const zs_journal_stats_t *stats = zs_journal_stats(journal);
    ZS_CHECK(stats->records == S_THOUSANDS - 1 && stats->torn == 0);
    ZS_CHECK(stats->damaged == 1 && stats->lost == length && stats->migrated == 0);
    char kept[S_NAME_MAX];
    ZS_CHECK(s_find_beside(path, ZS_JOURNAL_DAMAGED_SUFFIX, kept, sizeof kept));
    ZS_CHECK(s_file_is(kept, damaged, size) && !s_tmp_exists(path));
    free(damaged);
    ZS_CHECK(zs_journal_append(journal, "after recovery", 14) == 0);
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);

    journal = s_open_with(path, ZS_JOURNAL_REFUSE, &seen, NULL);
    ZS_CHECK(journal && zs_journal_stats(journal)->damaged == 0);
    ZS_CHECK(seen.count == S_THOUSANDS && s_seen_str(&seen, 1, bodies[2]));
    ZS_CHECK(s_seen_str(&seen, S_THOUSANDS - 1, "after recovery"));
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
    zs_strings_free(bodies, S_THOUSANDS);
}

static void
test_recover_one_record(void)
{
    s_in_dir(s_recover_one_record);
}

//  A flipped bit anywhere in the middle record, frame included, loses only that record
static void
s_every_byte_of_a_record(const char *path)
{
    size_t begin = s_offset_of(s_three, 1), end = s_offset_of(s_three, 2);
    const int skip[] = {1, -1};
    for (size_t at = begin; at < end; at++) {
        ZS_CHECK(s_make(path, s_three, 3) == 0);
        ZS_CHECK(s_flip(path, at, (uint8_t) (1u << at % 8)) == 0);
        zs_error_t err;
        ZS_CHECK(s_open_with(path, ZS_JOURNAL_REFUSE, NULL, &err) == NULL);
        ZS_CHECK(err.code == ZS_JOURNAL_E_DAMAGED);
        s_seen_t seen = {0};
        zs_journal_t *journal = s_open_with(path, ZS_JOURNAL_RECOVER, &seen, NULL);
        ZS_CHECK(journal && s_seen_all_but(&seen, s_three, 3, skip));
        ZS_CHECK(zs_journal_stats(journal)->lost == end - begin);
        zs_journal_destroy(&journal);
        s_seen_fini(&seen);
        s_remove_damaged(path);
    }
}

static void
test_every_byte_of_a_record(void)
{
    s_in_dir(s_every_byte_of_a_record);
}

//  A damaged header loses no record: each record proves the file's tag
static void
s_damaged_header(const char *path)
{
    const int skip[] = {-1};
    for (size_t at = 0; at < S_FILE_HEADER; at++) {
        ZS_CHECK(s_make(path, s_three, 3) == 0);
        ZS_CHECK(s_flip(path, at, 0x81) == 0);
        zs_error_t err;
        ZS_CHECK(s_open_with(path, ZS_JOURNAL_REFUSE, NULL, &err) == NULL);
        ZS_CHECK(err.code == ZS_JOURNAL_E_DAMAGED &&
                 strstr(err.text, "(16 bytes at offset 0)"));
        s_seen_t seen = {0};
        zs_journal_t *journal = s_open_with(path, ZS_JOURNAL_RECOVER, &seen, NULL);
        ZS_CHECK(journal && s_seen_all_but(&seen, s_three, 3, skip));
        zs_journal_destroy(&journal);
        s_seen_fini(&seen);
        journal = s_open_with(path, ZS_JOURNAL_REFUSE, &seen, NULL);
        ZS_CHECK(journal && seen.count == 3);
        zs_journal_destroy(&journal);
        s_seen_fini(&seen);
        s_remove_damaged(path);
    }
}

static void
test_damaged_header(void)
{
    s_in_dir(s_damaged_header);
}

//  Every range is reported; an error lists the first few and the log all of them
static void
s_several_ranges(const char *path)
{
    char **bodies = s_numbered(S_SEVERAL);
    const char *const *list = (const char *const *) bodies;
    ZS_CHECK(s_make(path, list, S_SEVERAL) == 0);
    const int skip[] = {1, 3, 5, 7, -1};
    uint64_t lost = 0;
    for (const int *i = skip; *i >= 0; i++) {
        size_t at = s_offset_of(list, (size_t) *i);
        lost += s_offset_of(list, (size_t) *i + 1) - at;
        ZS_CHECK(s_flip(path, at + S_FRAME, 0x01) == 0);
    }
    zs_error_t err;
    ZS_CHECK(s_open_with(path, ZS_JOURNAL_REFUSE, NULL, &err) == NULL);
    char want[S_PATH_MAX + 200];
    size_t length = s_offset_of(list, 2) - s_offset_of(list, 1);
    snprintf(want, sizeof want,
             "4 ranges, %" PRIu64 " bytes (%zu bytes at offset %zu, %zu bytes at "
             "offset %zu, %zu bytes at offset %zu, more in the log)",
             lost, length, s_offset_of(list, 1), length, s_offset_of(list, 3), length,
             s_offset_of(list, 5));
    ZS_CHECK(strstr(err.text, want));
    s_seen_t seen = {0};
    zs_journal_t *journal = s_open_with(path, ZS_JOURNAL_RECOVER, &seen, NULL);
    ZS_CHECK(journal && s_seen_all_but(&seen, list, S_SEVERAL, skip));
    const zs_journal_stats_t *stats = zs_journal_stats(journal);
    ZS_CHECK(stats->damaged == 4 && stats->lost == lost);
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
    zs_strings_free(bodies, S_SEVERAL);
}

static void
test_several_ranges(void)
{
    s_in_dir(s_several_ranges);
}

//  Damage and a torn tail: the damage is recovered around, the tail cut as ever
static void
s_damage_and_torn_tail(const char *path)
{
    char **bodies = s_numbered(5);
    const char *const *list = (const char *const *) bodies;
    ZS_CHECK(s_make(path, list, 5) == 0);
    ZS_CHECK(s_flip(path, s_offset_of(list, 1) + 1, 0x10) == 0);
    size_t end = s_offset_of(list, 5);
    ZS_CHECK(truncate(path, (off_t) end - 3) == 0);
    zs_error_t err;
    ZS_CHECK(s_open_with(path, ZS_JOURNAL_REFUSE, NULL, &err) == NULL);
    ZS_CHECK(err.code == ZS_JOURNAL_E_DAMAGED);
    s_seen_t seen = {0};
    zs_journal_t *journal = s_open_with(path, ZS_JOURNAL_RECOVER, &seen, NULL);
    const int skip[] = {1, 4, -1};
    ZS_CHECK(journal && s_seen_all_but(&seen, list, 5, skip));
    const zs_journal_stats_t *stats = zs_journal_stats(journal);
    ZS_CHECK(stats->damaged == 1 && stats->torn == end - 3 - s_offset_of(list, 4));
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
    zs_strings_free(bodies, 5);
}

static void
test_damage_and_torn_tail(void)
{
    s_in_dir(s_damage_and_torn_tail);
}

//  The framed record of another journal (tag and all), for the two cases below
static uint8_t *
s_foreign_record(const char *path, const char *body, size_t *size_p)
{
    char other[S_PATH_MAX];
    snprintf(other, sizeof other, "%s.other", path);
    const char *bodies[] = {body};
    uint8_t *file = s_make(other, bodies, 1) == 0 ? s_read_file(other, size_p) : NULL;
    unlink(other);
    if (file) {
        *size_p -= S_FILE_HEADER;
        memmove(file, file + S_FILE_HEADER, *size_p);
    }
    return file;
}

//  Junk, then a whole record of another journal, after the last record is still a torn
//  tail: the other journal's tag is not this one's
static void
s_foreign_tail(const char *path)
{
    size_t size;
    uint8_t *foreign = s_foreign_record(path, "from another journal", &size);
    ZS_CHECK(foreign && s_make(path, s_three, 3) == 0);
    int64_t end = s_file_size(path);
    FILE *file = fopen(path, "ab");
    ZS_CHECK(file);
    fwrite("junk", 1, 4, file);
    fwrite(foreign, 1, size, file);
    free(foreign);
    ZS_CHECK(fclose(file) == 0);
    s_seen_t seen = {0};
    zs_journal_t *journal = s_open_with(path, ZS_JOURNAL_REFUSE, &seen, NULL);
    const int skip[] = {-1};
    ZS_CHECK(journal && s_seen_all_but(&seen, s_three, 3, skip));
    ZS_CHECK(zs_journal_stats(journal)->torn == 4 + size && s_file_size(path) == end);
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
}

static void
test_foreign_tail(void)
{
    s_in_dir(s_foreign_tail);
}

//  A payload that embeds a whole record is never taken for one after a resync
static void
s_payload_embeds_a_record(const char *path)
{
    size_t size;
    uint8_t *foreign = s_foreign_record(path, "smuggled", &size);
    ZS_CHECK(foreign);
    uint8_t payload[256];
    memcpy(payload, "payload:", 8);
    memcpy(payload + 8, foreign, size);
    free(foreign);
    unlink(path);
    zs_journal_t *journal = s_open_with(path, ZS_JOURNAL_REFUSE, NULL, NULL);
    ZS_CHECK(journal);
    ZS_CHECK(zs_journal_append(journal, "before", 6) == 0);
    ZS_CHECK(zs_journal_append(journal, payload, 8 + size) == 0);
    ZS_CHECK(zs_journal_append(journal, "after", 5) == 0);
    zs_journal_destroy(&journal);
    ZS_CHECK(s_flip(path, S_FILE_HEADER + S_FRAME + 6, 0xff) == 0);  //  its tag
    s_seen_t seen = {0};
    journal = s_open_with(path, ZS_JOURNAL_RECOVER, &seen, NULL);
    ZS_CHECK(journal && seen.count == 2);
    ZS_CHECK(s_seen_str(&seen, 0, "before") && s_seen_str(&seen, 1, "after"));
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
}

static void
test_payload_embeds_a_record(void)
{
    s_in_dir(s_payload_embeds_a_record);
}

//  The damaged file never replaces a file: names taken get -2, -3...
static void
s_damaged_name_taken(const char *path)
{
    time_t now = time(NULL);
    for (int i = 0; i < S_DECOYS; i++) {
        time_t when = now + i;
        struct tm tm;
        char stamp[32], name[S_PATH_MAX + 40];
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&when, &tm));
        snprintf(name, sizeof name, "%s%s%s", path, ZS_JOURNAL_DAMAGED_SUFFIX, stamp);
        ZS_CHECK(s_write_file(name, "decoy", 5) == 0);
    }
    ZS_CHECK(s_make(path, s_three, 3) == 0);
    ZS_CHECK(s_flip(path, s_offset_of(s_three, 1), 0x01) == 0);
    size_t size;
    uint8_t *damaged = s_read_file(path, &size);
    zs_journal_t *journal = s_open_with(path, ZS_JOURNAL_RECOVER, NULL, NULL);
    ZS_CHECK(damaged && journal);
    zs_journal_destroy(&journal);
    ZS_CHECK(s_count_beside(path, ZS_JOURNAL_DAMAGED_SUFFIX) == S_DECOYS + 1);
    size_t decoys = 0, kept = 0;
    char name[S_NAME_MAX];
    while (s_find_beside(path, ZS_JOURNAL_DAMAGED_SUFFIX, name, sizeof name)) {
        decoys += s_file_is(name, (const uint8_t *) "decoy", 5);
        kept += s_file_is(name, damaged, size) && strlen(name) > strlen(path) + 26;
        unlink(name);
    }
    free(damaged);
    ZS_CHECK(decoys == S_DECOYS && kept == 1);
}

static void
test_damaged_name_taken(void)
{
    s_in_dir(s_damaged_name_taken);
}

//  Files that are no journal are refused, with recover or without, and left alone; a
//  file too short or zero-filled to hold a header is what a crash leaves of a new one
static void
s_not_a_journal(const char *path)
{
    const char text[] = "name: not a journal\nagents: []\n";
    ZS_CHECK(s_write_file(path, text, sizeof text - 1) == 0);
    for (int damage = ZS_JOURNAL_REFUSE; damage <= ZS_JOURNAL_RECOVER; damage++) {
        zs_error_t err;
        ZS_CHECK(s_open_with(path, (zs_journal_damage_t) damage, NULL, &err) == NULL);
        char want[S_PATH_MAX + 80];
        snprintf(want, sizeof want,
                 "cannot open '%s': not a zswarm journal: no header, no valid record",
                 path);
        ZS_CHECK_STR(err.text, want);
        ZS_CHECK(s_file_is(path, (const uint8_t *) text, sizeof text - 1));
    }
    static const uint8_t zeros[100];
    const size_t sizes[] = {3, sizeof zeros};
    for (size_t i = 0; i < 2; i++) {
        ZS_CHECK(s_write_file(path, zeros, sizes[i]) == 0);
        zs_journal_t *journal = s_open_with(path, ZS_JOURNAL_REFUSE, NULL, NULL);
        ZS_CHECK(journal && zs_journal_stats(journal)->torn == sizes[i]);
        ZS_CHECK(s_file_size(path) == S_FILE_HEADER);
        zs_journal_destroy(&journal);
    }
}

static void
test_not_a_journal(void)
{
    s_in_dir(s_not_a_journal);
}

//  A format newer than this program reads is refused, never taken for damage
static void
s_newer_format(const char *path)
{
    ZS_CHECK(s_make(path, s_three, 3) == 0);
    size_t size;
    uint8_t *file = s_read_file(path, &size);
    ZS_CHECK(file);
    s_put_u32(file + 4, 2);
    s_put_u32(file + 12, s_crc32c(0, file, 12));
    ZS_CHECK(s_write_file(path, file, size) == 0);
    for (int damage = ZS_JOURNAL_REFUSE; damage <= ZS_JOURNAL_RECOVER; damage++) {
        zs_error_t err;
        ZS_CHECK(s_open_with(path, (zs_journal_damage_t) damage, NULL, &err) == NULL);
        char want[S_PATH_MAX + 80];
        snprintf(want, sizeof want,
                 "cannot open '%s': written in journal format 2, newer than the format 1 "
                 "this program reads",
                 path);
        ZS_CHECK_STR(err.text, want);
        ZS_CHECK(s_file_is(path, file, size));
    }
    free(file);
}

static void
test_newer_format(void)
{
    s_in_dir(s_newer_format);
}

//  Migration from the headerless format: [u32 size][u32 CRC-32C of body][body]

static int
s_make_v0(const char *path, const char *const *bodies, size_t count)
{
    FILE *file = fopen(path, "wb");
    if (!file) {
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        uint8_t frame[S_FRAME_V0];
        uint32_t size = (uint32_t) strlen(bodies[i]);
        s_put_u32(frame, size);
        s_put_u32(frame + 4, s_crc32c(0, bodies[i], size));
        fwrite(frame, 1, sizeof frame, file);
        fwrite(bodies[i], 1, size, file);
    }
    return fclose(file);
}

//  Every record of a journal written before the header comes back, and the file is
//  rewritten in the current format, once
static void
s_migrate(const char *path)
{
    ZS_CHECK(s_make_v0(path, s_three, 3) == 0);
    s_log_t capture;
    s_log_begin(&capture);
    s_seen_t seen = {0};
    zs_journal_t *journal = s_open_with(path, ZS_JOURNAL_REFUSE, &seen, NULL);
    char *log = s_log_end(&capture);
    char want[S_PATH_MAX + 80];
    snprintf(want, sizeof want,
             "journal '%s': rewrote its 3 records from the headerless format in format 1",
             path);
    bool logged = log && strstr(log, want);
    free(log);
    const int skip[] = {-1};
    ZS_CHECK(journal && logged && s_seen_all_but(&seen, s_three, 3, skip));
    ZS_CHECK(zs_journal_stats(journal)->migrated == 1);
    ZS_CHECK(zs_journal_size(journal) == s_offset_of(s_three, 3));
    ZS_CHECK(zs_journal_append(journal, "after", 5) == 0);
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
    size_t size;
    uint8_t *file = s_read_file(path, &size);
    bool header = file && size > 4 && memcmp(file, "ZSJL", 4) == 0;
    free(file);
    ZS_CHECK(header && !s_tmp_exists(path));
    ZS_CHECK(s_count_beside(path, ZS_JOURNAL_DAMAGED_SUFFIX) == 0);

    journal = s_open_with(path, ZS_JOURNAL_REFUSE, &seen, NULL);
    ZS_CHECK(journal && zs_journal_stats(journal)->migrated == 0);
    ZS_CHECK(seen.count == 4 && s_seen_str(&seen, 2, s_three[2]));
    ZS_CHECK(s_seen_str(&seen, 3, "after"));
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
}

static void
test_migrate(void)
{
    s_in_dir(s_migrate);
}

//  A headerless journal with a torn tail migrates without it
static void
s_migrate_torn_tail(const char *path)
{
    ZS_CHECK(s_make_v0(path, s_three, 3) == 0);
    ZS_CHECK(truncate(path, s_file_size(path) - 3) == 0);
    s_seen_t seen = {0};
    zs_journal_t *journal = s_open_with(path, ZS_JOURNAL_REFUSE, &seen, NULL);
    const int skip[] = {2, -1};
    ZS_CHECK(journal && s_seen_all_but(&seen, s_three, 3, skip));
    const zs_journal_stats_t *stats = zs_journal_stats(journal);
    ZS_CHECK(stats->migrated == 1 && stats->torn == S_FRAME_V0 + strlen(s_three[2]) - 3);
    ZS_CHECK(s_file_size(path) == (int64_t) s_offset_of(s_three, 2));
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
}

static void
test_migrate_torn_tail(void)
{
    s_in_dir(s_migrate_torn_tail);
}

//  A damaged headerless journal is refused, or recovered into the current format
static void
s_migrate_damaged(const char *path)
{
    ZS_CHECK(s_make_v0(path, s_three, 3) == 0);
    size_t at = S_FRAME_V0 + strlen(s_three[0]);
    ZS_CHECK(s_flip(path, at + S_FRAME_V0 + 2, 0x04) == 0);
    size_t size;
    uint8_t *damaged = s_read_file(path, &size);
    zs_error_t err;
    ZS_CHECK(damaged && !s_open_with(path, ZS_JOURNAL_REFUSE, NULL, &err));
    char want[64];
    snprintf(want, sizeof want, "bytes at offset %zu)", at);
    ZS_CHECK(err.code == ZS_JOURNAL_E_DAMAGED && strstr(err.text, want));
    ZS_CHECK(s_file_is(path, damaged, size));
    s_seen_t seen = {0};
    zs_journal_t *journal = s_open_with(path, ZS_JOURNAL_RECOVER, &seen, NULL);
    const int skip[] = {1, -1};
    ZS_CHECK(journal && s_seen_all_but(&seen, s_three, 3, skip));
    ZS_CHECK(zs_journal_stats(journal)->damaged == 1);
    zs_journal_destroy(&journal);
    s_seen_fini(&seen);
    char kept[S_NAME_MAX];
    ZS_CHECK(s_find_beside(path, ZS_JOURNAL_DAMAGED_SUFFIX, kept, sizeof kept));
    ZS_CHECK(s_file_is(kept, damaged, size));
    free(damaged);
    ZS_CHECK(s_file_size(path) == (int64_t) (S_FILE_HEADER + 2 * S_FRAME +
                                             strlen(s_three[0]) + strlen(s_three[2])));
}

static void
test_migrate_damaged(void)
{
    s_in_dir(s_migrate_damaged);
}

static const zs_test_case_t s_cases[] = {
    {"recover_one_record", test_recover_one_record},
    {"every_byte_of_a_record", test_every_byte_of_a_record},
    {"damaged_header", test_damaged_header},
    {"several_ranges", test_several_ranges},
    {"damage_and_torn_tail", test_damage_and_torn_tail},
    {"foreign_tail", test_foreign_tail},
    {"payload_embeds_a_record", test_payload_embeds_a_record},
    {"damaged_name_taken", test_damaged_name_taken},
    {"not_a_journal", test_not_a_journal},
    {"newer_format", test_newer_format},
    {"migrate", test_migrate},
    {"migrate_torn_tail", test_migrate_torn_tail},
    {"migrate_damaged", test_migrate_damaged},
    {"compact_crash_points", test_compact_crash_points},
    {"compact_killed", test_compact_killed},
};

ZS_TEST_MAIN(s_cases)
