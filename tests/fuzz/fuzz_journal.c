//  fuzz_journal - libFuzzer target: replaying a journal file
//
//  The input is the whole journal file. zs_journal_open replays it: each record body
//  goes to zs_msg_decode, as the coordinator's replay does first with each, and the
//  journal must keep what zs_journal.h promises of any file, torn or corrupt: it opens,
//  the valid records it replayed plus the tail it cut are the whole file, and a record
//  appended after the cut is replayed at the next open, after the same records, with
//  nothing cut.
//
//  The file is a memfd reached through /proc/self/fd, so no run leaves files behind and
//  none waits on a disk; zs_journal_open opens it by path like any other.

#include "zs_fuzz.h"
#include "zs_journal.h"
#include "zs_msg.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

//  What a replay saw
typedef struct {
    uint64_t records;  //  bodies replayed
    uint64_t decoded;  //  of which zs_msg_decode accepted
    size_t last_size;  //  bytes in the last body
    uint8_t last[64];  //  its first bytes
} s_replay_t;

static int s_fd = -1;    //  the memfd holding the journal file
static char s_path[64];  //  /proc/self/fd/N

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
s_open(s_replay_t *replay)
{
    zs_error_t err;
    memset(replay, 0, sizeof *replay);
    zs_journal_t *journal =
        zs_journal_open(s_path, ZS_JOURNAL_NONE, s_replay, replay, &err);
    if (!journal) {
        zs_fuzz_fail("a readable file does not open: %s", err.text);
    }
    if (zs_journal_stats(journal)->records != replay->records) {
        zs_fuzz_fail("%ju records counted, %ju replayed",
                     (uintmax_t) zs_journal_stats(journal)->records,
                     (uintmax_t) replay->records);
    }
    return journal;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    zs_fuzz_init(ZS_FUZZ_LOGS_HIDDEN);
    s_fd = memfd_create("fuzz_journal", MFD_CLOEXEC);
    if (s_fd < 0) {
        perror("fuzz_journal: memfd_create");
        exit(1);
    }
    snprintf(s_path, sizeof s_path, "/proc/self/fd/%d", s_fd);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ftruncate(s_fd, 0) != 0 || pwrite(s_fd, data, size, 0) != (ssize_t) size) {
        zs_fuzz_fail("cannot write the journal file: %s", strerror(errno));
    }
    s_replay_t first, second;
    zs_journal_t *journal = s_open(&first);
    const zs_journal_stats_t *stats = zs_journal_stats(journal);
    if (zs_journal_size(journal) + stats->torn != size) {
        zs_fuzz_fail("%ju bytes kept and %ju cut of %zu",
                     (uintmax_t) zs_journal_size(journal), (uintmax_t) stats->torn, size);
    }
    if (zs_journal_append(journal, s_appended, sizeof s_appended) != 0) {
        zs_fuzz_fail("cannot append: %s", strerror(errno));
    }
    zs_journal_destroy(&journal);

    journal = s_open(&second);
    if (second.records != first.records + 1 || zs_journal_stats(journal)->torn != 0 ||
        second.last_size != sizeof s_appended ||
        memcmp(second.last, s_appended, sizeof s_appended) != 0 ||
        second.decoded != first.decoded + 1) {
        zs_fuzz_fail("after %ju records and an append, %ju replayed and %ju bytes cut",
                     (uintmax_t) first.records, (uintmax_t) second.records,
                     (uintmax_t) zs_journal_stats(journal)->torn);
    }
    zs_journal_destroy(&journal);
    return 0;
}
