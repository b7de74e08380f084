//  zs_test_journal - helpers of the journal's unit tests (test_journal.c for its normal
//  life, test_journal_damage.c for damage, recovery and migration)
//
//  Files are written from the format as zs_journal_format.h documents it, with a CRC
//  computed bit by bit here, so a test checks the bytes against the spec and not
//  against the code under test. Each helper is static inline: one private copy per
//  test file, and no warning where one goes unused.

#ifndef ZS_TEST_JOURNAL_H
#define ZS_TEST_JOURNAL_H

#include "coordinator/store/zs_journal.h"
#include "tests/unit/zs_test.h"

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_PATH_MAX    160  //  room for the temporary directory and the files in it
#define S_FILE_HEADER 16   //  bytes of the file header: magic, version, tag, CRC
#define S_FRAME       12   //  bytes of tag, size and CRC before each body
#define S_FRAME_V0    8    //  bytes of size and CRC before a headerless body

//  Bodies replayed at open, in order
typedef struct {
    uint8_t **bodies;  //  owned copies
    size_t *sizes;     //  size of each body
    size_t count;      //  records replayed
} s_seen_t;

static inline void
s_collect(void *ctx, const void *body, size_t size)
{
    s_seen_t *seen = ctx;
    seen->bodies = zs_realloc(seen->bodies, (seen->count + 1) * sizeof *seen->bodies);
    seen->sizes = zs_realloc(seen->sizes, (seen->count + 1) * sizeof *seen->sizes);
    seen->bodies[seen->count] = zs_malloc(size);
    memcpy(seen->bodies[seen->count], body, size);
    seen->sizes[seen->count++] = size;
}

static inline void
s_seen_fini(s_seen_t *seen)
{
    for (size_t i = 0; i < seen->count; i++) {
        free(seen->bodies[i]);
    }
    free(seen->bodies);
    free(seen->sizes);
    memset(seen, 0, sizeof *seen);
}

//  True when record index was replayed with exactly these bytes
static inline bool
s_seen_is(const s_seen_t *seen, size_t index, const void *body, size_t size)
{
    return index < seen->count && seen->sizes[index] == size &&
           memcmp(seen->bodies[index], body, size) == 0;
}

static inline bool
s_seen_str(const s_seen_t *seen, size_t index, const char *body)
{
    return s_seen_is(seen, index, body, strlen(body));
}

//  Open with replay into seen (may be NULL), err filled on failure (may be NULL, then
//  the error is printed)
static inline zs_journal_t *
s_open_with(const char *path, zs_journal_damage_t damage, s_seen_t *seen, zs_error_t *err)
{
    zs_error_t own;
    zs_error_init(&own);
    zs_journal_t *journal = zs_journal_open(
        path, ZS_JOURNAL_BATCH, damage, seen ? s_collect : NULL, seen, err ? err : &own);
    if (!journal && !err) {
        fprintf(stderr, "zs_journal_open: %s\n", own.text);
    }
    return journal;
}

//  Open as zswarmd does without --recover; prints the error when it fails
static inline zs_journal_t *
s_open(const char *path, zs_journal_sync_t sync, s_seen_t *seen)
{
    zs_error_t err;
    zs_error_init(&err);
    zs_journal_t *journal = zs_journal_open(path, sync, ZS_JOURNAL_REFUSE,
                                            seen ? s_collect : NULL, seen, &err);
    if (!journal) {
        fprintf(stderr, "zs_journal_open: %s\n", err.text);
    }
    return journal;
}

//  Write a journal holding these records and nothing else. Returns 0 or -1.
static inline int
s_make(const char *path, const char *const *bodies, size_t count)
{
    unlink(path);
    zs_journal_t *journal = s_open(path, ZS_JOURNAL_NONE, NULL);
    int rc = journal ? 0 : -1;
    for (size_t i = 0; journal && i < count; i++) {
        rc |= zs_journal_append(journal, bodies[i], strlen(bodies[i]));
    }
    rc |= journal ? zs_journal_commit(journal) : 0;
    zs_journal_destroy(&journal);
    return rc;
}

static inline int64_t
s_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t) st.st_size : -1;
}

//  Caller frees the returned copy of the file
static inline uint8_t *
s_read_file(const char *path, size_t *size_p)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        return NULL;
    }
    int64_t size = s_file_size(path);
    uint8_t *data = zs_malloc(size > 0 ? (size_t) size : 1);
    *size_p = fread(data, 1, (size_t) size, file);
    fclose(file);
    return data;
}

static inline int
s_write_file(const char *path, const void *data, size_t size)
{
    FILE *file = fopen(path, "wb");
    if (!file) {
        return -1;
    }
    size_t done = fwrite(data, 1, size, file);
    return fclose(file) == 0 && done == size ? 0 : -1;
}

//  True when the file at path holds exactly these bytes
static inline bool
s_file_is(const char *path, const uint8_t *data, size_t size)
{
    size_t got;
    uint8_t *now = s_read_file(path, &got);
    bool same = now && got == size && memcmp(now, data, size) == 0;
    free(now);
    return same;
}

//  Run body with a journal path inside a fresh directory, then remove both and
//  whatever the journal left beside it (PATH.tmp, PATH.damaged-*)
static inline void
s_in_dir(void (*body)(const char *path))
{
    char dir[] = "/tmp/test_journal_XXXXXX";
    ZS_CHECK(mkdtemp(dir));
    char path[sizeof dir + 16];
    snprintf(path, sizeof path, "%s/journal", dir);
    body(path);
    DIR *listing = opendir(dir);
    ZS_CHECK(listing);
    for (struct dirent *entry; (entry = readdir(listing));) {
        char name[sizeof dir + sizeof entry->d_name];
        snprintf(name, sizeof name, "%s/%s", dir, entry->d_name);
        if (entry->d_name[0] != '.' && unlink(name) != 0) {
            rmdir(name);
        }
    }
    closedir(listing);
    ZS_CHECK(rmdir(dir) == 0);
}

//  Files in the journal's directory whose names start with PATH's name + suffix
static inline size_t
s_count_beside(const char *path, const char *suffix)
{
    char dir[S_PATH_MAX], prefix[S_PATH_MAX];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", (int) (slash - path), path);
    snprintf(prefix, sizeof prefix, "%s%s", slash + 1, suffix);
    DIR *listing = opendir(dir);
    size_t count = 0;
    for (struct dirent *entry; listing && (entry = readdir(listing));) {
        count += strncmp(entry->d_name, prefix, strlen(prefix)) == 0;
    }
    if (listing) {
        closedir(listing);
    }
    return count;
}

static inline bool
s_tmp_exists(const char *path)
{
    char tmp_path[S_PATH_MAX];
    snprintf(tmp_path, sizeof tmp_path, "%s.tmp", path);
    return access(tmp_path, F_OK) == 0;
}

//  CRC-32C bit by bit, continuing crc as zs_journal_crc32c does
static inline uint32_t
s_crc32c(uint32_t crc, const void *data, size_t size)
{
    const uint8_t *bytes = data;
    crc = ~crc;
    for (size_t i = 0; i < size; i++) {
        crc ^= bytes[i];
        for (int bit = 0; bit < 8; bit++) {
            crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
        }
    }
    return ~crc;
}

static inline void
s_put_u32(uint8_t *dest, uint32_t value)
{
    for (int i = 0; i < 4; i++) {
        dest[i] = (uint8_t) (value >> (8 * i));
    }
}

static inline uint32_t
s_get_u32(const uint8_t *src)
{
    return (uint32_t) src[0] | (uint32_t) src[1] << 8 | (uint32_t) src[2] << 16 |
           (uint32_t) src[3] << 24;
}

//  Offset of record index (from 0) in a format-1 file of these bodies
static inline size_t
s_offset_of(const char *const *bodies, size_t index)
{
    size_t offset = S_FILE_HEADER;
    for (size_t i = 0; i < index; i++) {
        offset += S_FRAME + strlen(bodies[i]);
    }
    return offset;
}

//  Start capturing the log; s_log_end returns it (caller frees)
typedef struct {
    char *text;    //  owned by the stream until it closes
    size_t size;   //  bytes in text
    FILE *stream;  //  the memory stream czmq logs to meanwhile
} s_log_t;

static inline void
s_log_begin(s_log_t *log)
{
    memset(log, 0, sizeof *log);
    log->stream = open_memstream(&log->text, &log->size);
    zsys_set_logstream(log->stream);
}

static inline char *
s_log_end(s_log_t *log)
{
    zsys_set_logstream(stdout);
    if (log->stream) {
        fclose(log->stream);
    }
    return log->text;
}

#endif
