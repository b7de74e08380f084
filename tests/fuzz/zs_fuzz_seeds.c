//  zs_fuzz_seeds - writes the fuzz targets' generated seeds and dictionary into one dir
//
//      zs_fuzz_seeds DIR
//
//  DIR/msg/TYPE.mp      every message type with all its fields, encoded by zs_msg_encode
//  DIR/msg/TYPE.min.mp  the same with its required fields only
//  DIR/msg/regress-*.mp inputs that once broke fuzz_msg, kept as seeds
//  DIR/journal/*.journal  journals written through zs_journal_append, whose records are
//                       the messages the coordinator journals
//  DIR/msg.dict         libFuzzer dictionary: every wire key (records' included) and type
//                       name as msgpack str
//
//  The messages and names come from tests/unit/test_msg_spec.h, test_msg's own
//  statement of the protocol, so a new type or key reaches the seeds without an edit
//  here. Seeds are generated at build time rather than committed, so they follow the
//  encoder and the journal format as they change.

#include "coordinator/store/zs_journal.h"
#include "proto/zs_msg.h"
#include "tests/unit/test_msg_spec.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_PATH_MAX 4096

//  The head, which test_msg_spec.h's key list leaves out
static const char *const s_more_keys[] = {"v", "t"};

//  Types whose messages the coordinator writes to its journal (PROTOCOL.md §11)
static const zs_msg_type_t s_journaled[] = {ZS_MSG_SUBMIT,      ZS_MSG_WAIT_OK,
                                            ZS_MSG_TASK_RESULT, ZS_MSG_MEM_PUT,
                                            ZS_MSG_MEM_DEL,     ZS_MSG_SPEND};

//  Frames that failed fuzz_msg once, so every run checks them again
typedef struct {
    const char *name;   //  file name under msg/
    const char *frame;  //  the frame
    size_t size;        //  its length
} s_regression_t;

#define S_FRAME(name, frame)                                                             \
    {                                                                                    \
        name, frame, sizeof(frame) - 1                                                   \
    }

static const s_regression_t s_regressions[] = {
    //  {"v": 1, "t": "vote.propose", "question": "q", "options": []} decoded, but a
    //  required list with no items does not encode
    S_FRAME("regress-empty-options.mp",
            "\x84\xa1v\x01\xa1t\xacvote.propose\xa8question\xa1q\xa7options\x90"),
};

static void s_die(const char *format, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static void
s_die(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("zs_fuzz_seeds: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(1);
}

static void
s_mkdir(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        s_die("cannot create '%s': %s", path, strerror(errno));
    }
}

static void
s_write(const char *path, const void *data, size_t size)
{
    FILE *file = fopen(path, "wb");
    if (!file || fwrite(data, 1, size, file) != size || fclose(file) != 0) {
        s_die("cannot write '%s': %s", path, strerror(errno));
    }
}

//  The sample message of a type (test_msg_spec.h's values), encoded into buf
static void
s_encode_sample(const t_type_t *type, bool required_only, msgpack_sbuffer *buf)
{
    char store[S_KEY_COUNT][S_TEXT_ROOM];
    zs_msg_t msg;
    s_expected(&msg, type, required_only, store);
    if (zs_msg_encode(&msg, buf) != 0) {
        s_die("cannot encode the sample '%s'", type->name);
    }
}

static void
s_write_messages(const char *dir)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    char path[S_PATH_MAX];
    for (size_t i = 0; i < S_TYPE_COUNT; i++) {
        s_encode_sample(&s_types[i], false, &buf);
        snprintf(path, sizeof path, "%s/%s.mp", dir, s_types[i].name);
        s_write(path, buf.data, buf.size);
        s_encode_sample(&s_types[i], true, &buf);
        snprintf(path, sizeof path, "%s/%s.min.mp", dir, s_types[i].name);
        s_write(path, buf.data, buf.size);
    }
    msgpack_sbuffer_destroy(&buf);
    for (size_t i = 0; i < sizeof s_regressions / sizeof s_regressions[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, s_regressions[i].name);
        s_write(path, s_regressions[i].frame, s_regressions[i].size);
    }
}

static void
s_write_journal(const char *path)
{
    if (unlink(path) != 0 && errno != ENOENT) {
        s_die("cannot remove '%s': %s", path, strerror(errno));
    }
    zs_error_t err;
    zs_journal_t *journal =
        zs_journal_open(path, ZS_JOURNAL_NONE, ZS_JOURNAL_REFUSE, NULL, NULL, &err);
    if (!journal) {
        s_die("%s", err.text);
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    for (size_t i = 0; i < sizeof s_journaled / sizeof s_journaled[0]; i++) {
        s_encode_sample(s_type(s_journaled[i]), false, &buf);
        if (zs_journal_append(journal, buf.data, buf.size) != 0) {
            s_die("cannot append to '%s': %s", path, strerror(errno));
        }
    }
    msgpack_sbuffer_destroy(&buf);
    if (zs_journal_commit(journal) != 0) {
        s_die("cannot commit '%s': %s", path, strerror(errno));
    }
    zs_journal_destroy(&journal);
}

//  One entry: the word as a msgpack fixstr, as it stands in a frame
static void
s_dict_entry(FILE *dict, const char *word)
{
    size_t size = strlen(word);
    if (size > 31) {
        s_die("'%s' is too long for a fixstr", word);
    }
    fprintf(dict, "\"\\x%02zx%s\"\n", 0xa0 + size, word);
}

static void
s_write_dict(const char *path)
{
    FILE *dict = fopen(path, "w");
    if (!dict) {
        s_die("cannot write '%s': %s", path, strerror(errno));
    }
    fputs("# wire keys and type names as msgpack str (generated by zs_fuzz_seeds)\n",
          dict);
    for (size_t k = 0; k < S_KEY_COUNT; k++) {
        s_dict_entry(dict, s_keys[k].key);
    }
    for (size_t k = 0; k < sizeof s_more_keys / sizeof s_more_keys[0]; k++) {
        s_dict_entry(dict, s_more_keys[k]);
    }
    for (size_t r = 0; r < S_COUNT(s_record_kinds); r++) {
        for (size_t k = 0; k < s_record_kinds[r]->count; k++) {
            s_dict_entry(dict, s_record_kinds[r]->keys[k].key);
        }
    }
    for (size_t i = 0; i < S_TYPE_COUNT; i++) {
        s_dict_entry(dict, s_types[i].name);
    }
    if (fclose(dict) != 0) {
        s_die("cannot write '%s': %s", path, strerror(errno));
    }
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: zs_fuzz_seeds DIR\n");
        return 2;
    }
    char path[S_PATH_MAX];
    s_mkdir(argv[1]);
    snprintf(path, sizeof path, "%s/msg", argv[1]);
    s_mkdir(path);
    s_write_messages(path);
    snprintf(path, sizeof path, "%s/journal", argv[1]);
    s_mkdir(path);
    snprintf(path, sizeof path, "%s/journal/coordinator.journal", argv[1]);
    s_write_journal(path);
    snprintf(path, sizeof path, "%s/msg.dict", argv[1]);
    s_write_dict(path);
    return 0;
}
