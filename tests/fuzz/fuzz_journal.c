//  fuzz_journal - libFuzzer target: replaying a journal file
//
//  The input is the whole journal file. zs_journal_open replays it: each record body
//  goes to zs_msg_decode, as the coordinator's replay does first with each, and the
//  journal must keep what zs_journal.h promises of any file, torn, damaged or not a
//  journal at all:
//  - opened with REFUSE, it opens, or fails leaving the file as it was; a failure for
//    damage (ZS_JOURNAL_E_DAMAGED) then opens with RECOVER, which keeps the damaged
//    file aside byte for byte;
//  - once open, the records counted are the records replayed, and a record appended
//    is replayed at the next open, after the same records, with nothing cut or lost.
//
//  The file lives in a private directory made at start (on tmpfs when there is one),
//  emptied before every input, as recovery writes the damaged copy beside the journal.

#include "tests/fuzz/zs_fuzz.h"
#include "coordinator/store/zs_journal.h"
#include "proto/zs_msg.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

//  What a replay saw
typedef struct {
    uint64_t records;  //  bodies replayed
    uint64_t decoded;  //  of which zs_msg_decode accepted
    size_t last_size;  //  bytes in the last body
    uint8_t last[64];  //  its first bytes
} s_replay_t;

static char s_dir[64];   //  the private directory
static char s_path[96];  //  the journal file in it

//  The record appended after a replay: a heartbeat, as the coordinator journals msgpack
static const uint8_t s_appended[] = {0x82, 0xa1, 'v', 0x01, 0xa1, 't', 0xa9, 'h',
                                     'e',  'a',  'r', 't',  'b',  'e', 'a',  't'};

static void
s_replay(void *ctx, const void *body, size_t size)
{
    s_replay_t *self = ctx;
    if (size == 0 || size > ZS_JOURNAL_RECORD_MAX) {
        zs_fuzz_fail("replayed a record of %zu bytes", size);
    }
    zs_msg_t msg;
    zs_error_t err;
    if (zs_msg_decode(&msg, body, size, &err) == 0) {
        self->decoded++;
        zs_msg_fini(&msg);
    }
    self->records++;
    self->last_size = size;
    memcpy(self->last, body, size < sizeof self->last ? size : sizeof self->last);
}

static zs_journal_t *
s_open(s_replay_t *replay, zs_journal_damage_t damage, zs_error_t *err)
{
    memset(replay, 0, sizeof *replay);
    zs_journal_t *journal =
        zs_journal_open(s_path, ZS_JOURNAL_NONE, damage, s_replay, replay, err);
    if (journal && zs_journal_stats(journal)->records != replay->records) {
        zs_fuzz_fail("%ju records counted, %ju replayed",
                     (uintmax_t) zs_journal_stats(journal)->records,
                     (uintmax_t) replay->records);
    }
    return journal;
}

//  The whole of a file, in a new buffer (*size_p bytes), or NULL when it cannot be read
static uint8_t *
s_read(const char *path, size_t *size_p)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        return NULL;
    }
    uint8_t *data = NULL;
    size_t size = 0, alloc = 0, got;
    do {
        if (size == alloc) {
            alloc = alloc ? 2 * alloc : 4096;
            data = realloc(data, alloc);
        }
        got = fread(data + size, 1, alloc - size, file);
        size += got;
    } while (got > 0);
    fclose(file);
    *size_p = size;
    return data;
}

static bool
s_file_is(const char *path, const uint8_t *data, size_t size)
{
    size_t got_size = 0;
    uint8_t *got = s_read(path, &got_size);
    bool same = got && got_size == size && memcmp(got, data, size) == 0;
    free(got);
    return same;
}

//  The damaged copy RECOVER left beside the journal, which must be the input
static void
s_check_kept(const uint8_t *data, size_t size)
{
    DIR *dir = opendir(s_dir);
    bool found = false;
    for (struct dirent *entry; dir && (entry = readdir(dir));) {
        if (strncmp(entry->d_name, "j.damaged-", 10) == 0) {
            char path[sizeof s_dir + 300];
            snprintf(path, sizeof path, "%s/%s", s_dir, entry->d_name);
            found = s_file_is(path, data, size);
        }
    }
    if (dir) {
        closedir(dir);
    }
    if (!found) {
        zs_fuzz_fail("recovery kept no byte-for-byte copy of the damaged file");
    }
}

static void
s_empty_dir(void)
{
    DIR *dir = opendir(s_dir);
    for (struct dirent *entry; dir && (entry = readdir(dir));) {
        if (entry->d_name[0] != '.') {
            char path[sizeof s_dir + 300];
            snprintf(path, sizeof path, "%s/%s", s_dir, entry->d_name);
            unlink(path);
        }
    }
    if (dir) {
        closedir(dir);
    }
}

static void
s_remove_dir(void)
{
    s_empty_dir();
    rmdir(s_dir);
}

//  Open the input as a journal: as it is, or recovered when it is damaged. NULL when it
//  is refused for another reason, which must leave the file as it was
static zs_journal_t *
s_open_input(const uint8_t *data, size_t size, s_replay_t *replay)
{
    zs_error_t err;
    zs_error_init(&err);
    zs_journal_t *journal = s_open(replay, ZS_JOURNAL_REFUSE, &err);
    if (journal) {
        return journal;
    }
    if (!s_file_is(s_path, data, size)) {
        zs_fuzz_fail("a refused journal was changed: %s", err.text);
    }
    if (err.code != ZS_JOURNAL_E_DAMAGED) {
        return NULL;
    }
    journal = s_open(replay, ZS_JOURNAL_RECOVER, &err);
    if (!journal) {
        zs_fuzz_fail("a damaged journal does not recover: %s", err.text);
    }
    s_check_kept(data, size);
    return journal;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    zs_fuzz_init(ZS_FUZZ_LOGS_HIDDEN);
    //  On tmpfs where there is one: recovery and migration fsync, which a disk makes
    //  cost a hundred times the replay
    const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    snprintf(s_dir, sizeof s_dir, "%s/fuzz_journal_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(s_dir)) {
        perror("fuzz_journal: mkdtemp");
        exit(1);
    }
    snprintf(s_path, sizeof s_path, "%s/j", s_dir);
    atexit(s_remove_dir);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_empty_dir();
    FILE *file = fopen(s_path, "wb");
    if (!file || fwrite(data, 1, size, file) != size || fclose(file) != 0) {
        zs_fuzz_fail("cannot write the journal file: %s", strerror(errno));
    }
    s_replay_t first, second;
    zs_journal_t *journal = s_open_input(data, size, &first);
    if (!journal) {
        return 0;
    }
    if (zs_journal_append(journal, s_appended, sizeof s_appended) != 0) {
        zs_fuzz_fail("cannot append: %s", strerror(errno));
    }
    zs_journal_destroy(&journal);

    zs_error_t err;
    journal = s_open(&second, ZS_JOURNAL_REFUSE, &err);
    if (!journal) {
        zs_fuzz_fail("a journal we wrote does not open: %s", err.text);
    }
    const zs_journal_stats_t *stats = zs_journal_stats(journal);
    if (second.records != first.records + 1 || stats->torn != 0 || stats->damaged != 0 ||
        second.last_size != sizeof s_appended ||
        memcmp(second.last, s_appended, sizeof s_appended) != 0 ||
        second.decoded != first.decoded + 1) {
        zs_fuzz_fail("after %ju records and an append, %ju replayed, %ju bytes cut and "
                     "%ju ranges damaged",
                     (uintmax_t) first.records, (uintmax_t) second.records,
                     (uintmax_t) stats->torn, (uintmax_t) stats->damaged);
    }
    zs_journal_destroy(&journal);
    return 0;
}
