//  zs_journal - see zs_journal.h

#include "zs_journal.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZS_JOURNAL_HEADER     8            //  bytes of size and CRC before each body
#define ZS_JOURNAL_READ_CHUNK (64u << 10)  //  bytes asked of each read during replay
#define ZS_JOURNAL_BUF_MIN    4096u        //  first allocation of a buffer
#define ZS_JOURNAL_BUF_KEEP   (1u << 20)  //  largest buffer kept for reuse after a commit
#define ZS_JOURNAL_TMP_SUFFIX ".tmp"      //  compaction writes PATH.tmp, then renames it

//  A growing byte buffer
typedef struct {
    uint8_t *data;  //  owned, alloc bytes
    size_t used;    //  bytes held
    size_t alloc;   //  bytes allocated
} s_buf_t;

//  Streams the journal file during replay, holding at least one whole record at a time
typedef struct {
    int fd;           //  borrowed
    uint64_t offset;  //  file offset of the next byte to read
    s_buf_t buf;      //  bytes read; the unconsumed ones start at `start`
    size_t start;     //  first unconsumed byte in buf
    bool eof;         //  a read returned 0
} s_reader_t;

struct zs_journal_t {
    char *path;                //  owned, for messages, compaction and the directory
    int fd;                    //  the journal file, open read-write
    zs_journal_sync_t sync;    //  fsync policy of zs_journal_commit
    s_buf_t pending;           //  framed records appended and not yet committed
    size_t written;            //  bytes of pending already in the file, not yet fsynced
    uint64_t size;             //  bytes of committed records, where the next write goes
    bool dir_unsynced;         //  a compaction's rename still awaits a directory fsync
    zs_journal_stats_t stats;  //  counters since open
};

static const char *s_sync_names[] = {
    [ZS_JOURNAL_ALWAYS] = "always",
    [ZS_JOURNAL_BATCH] = "batch",
    [ZS_JOURNAL_NONE] = "none",
};

//  CRC-32C (Castagnoli), reflected polynomial 0x82F63B78, one entry per byte value
static const uint32_t s_crc32c_table[256] = {
    0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u, 0xc79a971fu, 0x35f1141cu,
    0x26a1e7e8u, 0xd4ca64ebu, 0x8ad958cfu, 0x78b2dbccu, 0x6be22838u, 0x9989ab3bu,
    0x4d43cfd0u, 0xbf284cd3u, 0xac78bf27u, 0x5e133c24u, 0x105ec76fu, 0xe235446cu,
    0xf165b798u, 0x030e349bu, 0xd7c45070u, 0x25afd373u, 0x36ff2087u, 0xc494a384u,
    0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u, 0x5d1d08bfu, 0xaf768bbcu,
    0xbc267848u, 0x4e4dfb4bu, 0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u, 0x33ed7d2au,
    0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u, 0xaa64d611u, 0x580f5512u,
    0x4b5fa6e6u, 0xb93425e5u, 0x6dfe410eu, 0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau,
    0x30e349b1u, 0xc288cab2u, 0xd1d83946u, 0x23b3ba45u, 0xf779deaeu, 0x05125dadu,
    0x1642ae59u, 0xe4292d5au, 0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au,
    0x7da08661u, 0x8fcb0562u, 0x9c9bf696u, 0x6ef07595u, 0x417b1dbcu, 0xb3109ebfu,
    0xa0406d4bu, 0x522bee48u, 0x86e18aa3u, 0x748a09a0u, 0x67dafa54u, 0x95b17957u,
    0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u, 0x0c38d26cu, 0xfe53516fu,
    0xed03a29bu, 0x1f682198u, 0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u,
    0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u, 0xdbfc821cu, 0x2997011fu,
    0x3ac7f2ebu, 0xc8ac71e8u, 0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u,
    0x61c69362u, 0x93ad1061u, 0x80fde395u, 0x72966096u, 0xa65c047du, 0x5437877eu,
    0x4767748au, 0xb50cf789u, 0xeb1fcbadu, 0x197448aeu, 0x0a24bb5au, 0xf84f3859u,
    0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u, 0x7198540du, 0x83f3d70eu,
    0x90a324fau, 0x62c8a7f9u, 0xb602c312u, 0x44694011u, 0x5739b3e5u, 0xa55230e6u,
    0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u, 0x3cdb9bddu, 0xceb018deu,
    0xdde0eb2au, 0x2f8b6829u, 0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu,
    0x456cac67u, 0xb7072f64u, 0xa457dc90u, 0x563c5f93u, 0x082f63b7u, 0xfa44e0b4u,
    0xe9141340u, 0x1b7f9043u, 0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu,
    0x92a8fc17u, 0x60c37f14u, 0x73938ce0u, 0x81f80fe3u, 0x55326b08u, 0xa759e80bu,
    0xb4091bffu, 0x466298fcu, 0x1871a4d8u, 0xea1a27dbu, 0xf94ad42fu, 0x0b21572cu,
    0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u, 0xa24bb5a6u, 0x502036a5u,
    0x4370c551u, 0xb11b4652u, 0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du,
    0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu, 0x3bc21e9du, 0xef087a76u, 0x1d63f975u,
    0x0e330a81u, 0xfc588982u, 0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du,
    0x758fe5d6u, 0x87e466d5u, 0x94b49521u, 0x66df1622u, 0x38cc2a06u, 0xcaa7a905u,
    0xd9f75af1u, 0x2b9cd9f2u, 0xff56bd19u, 0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu,
    0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u, 0x0417b1dbu, 0xf67c32d8u,
    0xe52cc12cu, 0x1747422fu, 0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu, 0x5a048dffu,
    0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u, 0xd3d3e1abu, 0x21b862a8u,
    0x32e8915cu, 0xc083125fu, 0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u,
    0x590ab964u, 0xab613a67u, 0xb831c993u, 0x4a5a4a90u, 0x9e902e7bu, 0x6cfbad78u,
    0x7fab5e8cu, 0x8dc0dd8fu, 0xe330a81au, 0x115b2b19u, 0x020bd8edu, 0xf0605beeu,
    0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u, 0x37faccf1u, 0x69e9f0d5u, 0x9b8273d6u,
    0x88d28022u, 0x7ab90321u, 0xae7367cau, 0x5c18e4c9u, 0x4f48173du, 0xbd23943eu,
    0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u, 0x34f4f86au, 0xc69f7b69u,
    0xd5cf889du, 0x27a40b9eu, 0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
    0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u,
};

static uint32_t
s_crc32c(const uint8_t *data, size_t size)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < size; i++) {
        crc = s_crc32c_table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
    }
    return crc ^ 0xffffffffu;
}

static void
s_put_u32(uint8_t *dest, uint32_t value)
{
    dest[0] = (uint8_t) value;
    dest[1] = (uint8_t) (value >> 8);
    dest[2] = (uint8_t) (value >> 16);
    dest[3] = (uint8_t) (value >> 24);
}

static uint32_t
s_get_u32(const uint8_t *src)
{
    return (uint32_t) src[0] | (uint32_t) src[1] << 8 | (uint32_t) src[2] << 16 |
           (uint32_t) src[3] << 24;
}

//  Make room for `more` bytes after the used ones
static void
s_buf_reserve(s_buf_t *buf, size_t more)
{
    if (buf->alloc - buf->used >= more) {
        return;
    }
    size_t alloc = buf->alloc ? buf->alloc : ZS_JOURNAL_BUF_MIN;
    while (alloc - buf->used < more) {
        alloc *= 2;
    }
    buf->data = zs_realloc(buf->data, alloc);
    buf->alloc = alloc;
}

//  Empty the buffer; one big batch or snapshot must not pin its memory for good
static void
s_buf_purge(s_buf_t *buf)
{
    buf->used = 0;
    if (buf->alloc > ZS_JOURNAL_BUF_KEEP) {
        free(buf->data);
        buf->data = NULL;
        buf->alloc = 0;
    }
}

//  Write all of data at offset, resuming after signals and short writes. Writing at an
//  explicit offset, not the file position, makes a retry after a failure overwrite the
//  same bytes instead of adding a second copy after a partial first one.
static int
s_pwrite_all(int fd, const uint8_t *data, size_t size, uint64_t offset)
{
    while (size > 0) {
        ssize_t done = pwrite(fd, data, size, (off_t) offset);
        if (done < 0 && errno == EINTR) {
            continue;
        }
        if (done < 0) {
            return -1;
        }
        if (done == 0) {
            //  Not expected of a regular file, but it must not spin forever
            errno = EIO;
            return -1;
        }
        data += done;
        size -= (size_t) done;
        offset += (uint64_t) done;
    }
    return 0;
}

//  fdatasync is enough for a file only appended to: the size it also flushes is the
//  only metadata replay needs, and skipping the mtime saves a journal commit on ext4
static int
s_sync(zs_journal_t *self)
{
    self->stats.fsyncs++;
    return fdatasync(self->fd);
}

//  A renamed file is only durable once its directory is, see rename(2) and fsync(2)
static int
s_sync_dir(zs_journal_t *self)
{
    const char *slash = strrchr(self->path, '/');
    char *dir = slash
                    ? zs_strndup(self->path,
                                 slash == self->path ? 1 : (size_t) (slash - self->path))
                    : zs_strdup(".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0) {
        return -1;
    }
    self->stats.fsyncs++;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

//  Make the file's name durable now or, failing that, before the next commit reports
//  durability: a new or renamed file can vanish in a power loss until its directory
//  is synced, records and all
static void
s_sync_name(zs_journal_t *self)
{
    if (s_sync_dir(self) != 0) {
        self->dir_unsynced = true;
        zsys_warning("journal '%s': cannot sync its directory: %s", self->path,
                     strerror(errno));
    }
}

//  Takes ownership of fd
static zs_journal_t *
s_new(const char *path, int fd, zs_journal_sync_t sync)
{
    zs_journal_t *self = zs_calloc(1, sizeof *self);
    self->path = zs_strdup(path);
    self->fd = fd;
    self->sync = sync;
    return self;
}

//  Close without committing: what is pending is dropped
static void
s_free(zs_journal_t **self_p)
{
    zs_journal_t *self = *self_p;
    close(self->fd);
    free(self->pending.data);
    free(self->path);
    free(self);
    *self_p = NULL;
}

//  Make at least `need` unconsumed bytes available, unless the file ends first.
//  Returns 0, or -1 with errno when a read fails.
static int
s_reader_fill(s_reader_t *reader, size_t need)
{
    s_buf_t *buf = &reader->buf;
    while (buf->used - reader->start < need && !reader->eof) {
        //  Only the start of one record is ever moved, so replay stays linear
        if (reader->start > 0) {
            memmove(buf->data, buf->data + reader->start, buf->used - reader->start);
            buf->used -= reader->start;
            reader->start = 0;
        }
        size_t missing = need - buf->used;
        s_buf_reserve(buf,
                      missing > ZS_JOURNAL_READ_CHUNK ? missing : ZS_JOURNAL_READ_CHUNK);
        ssize_t got = pread(reader->fd, buf->data + buf->used, buf->alloc - buf->used,
                            (off_t) reader->offset);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            return -1;
        }
        reader->eof = got == 0;
        buf->used += (size_t) got;
        reader->offset += (uint64_t) got;
    }
    return 0;
}

//  Returns 1 with the next record's body, 0 at the end of the file or at the first torn
//  or corrupt record, or -1 with errno when a read fails
static int
s_reader_next(s_reader_t *reader, const uint8_t **body_p, uint32_t *size_p)
{
    if (s_reader_fill(reader, ZS_JOURNAL_HEADER) != 0) {
        return -1;
    }
    if (reader->buf.used - reader->start < ZS_JOURNAL_HEADER) {
        return 0;
    }
    uint32_t size = s_get_u32(reader->buf.data + reader->start);
    //  Checked before reading on, so a wild size never turns into an allocation, and a
    //  zero size is refused because a zero-filled tail would otherwise replay as records
    if (size == 0 || size > ZS_JOURNAL_RECORD_MAX) {
        return 0;
    }
    if (s_reader_fill(reader, ZS_JOURNAL_HEADER + (size_t) size) != 0) {
        return -1;
    }
    if (reader->buf.used - reader->start < ZS_JOURNAL_HEADER + (size_t) size) {
        return 0;
    }
    const uint8_t *head = reader->buf.data + reader->start;
    if (s_crc32c(head + ZS_JOURNAL_HEADER, size) != s_get_u32(head + 4)) {
        return 0;
    }
    reader->start += ZS_JOURNAL_HEADER + (size_t) size;
    *body_p = head + ZS_JOURNAL_HEADER;
    *size_p = size;
    return 1;
}

//  Cut what follows the last good record, so that appends continue from it
static int
s_cut(zs_journal_t *self, uint64_t file_size)
{
    zsys_warning("journal '%s': cut %ju bytes of a torn or corrupt tail at offset %ju",
                 self->path, (uintmax_t) (file_size - self->size),
                 (uintmax_t) self->size);
    if (ftruncate(self->fd, (off_t) self->size) != 0 || s_sync(self) != 0) {
        return -1;
    }
    self->stats.torn = file_size - self->size;
    return 0;
}

static int
s_replay(zs_journal_t *self, zs_journal_replay_fn *replay, void *ctx)
{
    struct stat st;
    if (fstat(self->fd, &st) != 0) {
        return -1;
    }
    s_reader_t reader = {.fd = self->fd};
    const uint8_t *body;
    uint32_t size;
    int rc;
    while ((rc = s_reader_next(&reader, &body, &size)) == 1) {
        if (replay) {
            replay(ctx, body, size);
        }
        self->stats.records++;
        self->size += ZS_JOURNAL_HEADER + (uint64_t) size;
    }
    free(reader.buf.data);
    if (rc == 0 && (uint64_t) st.st_size > self->size) {
        rc = s_cut(self, (uint64_t) st.st_size);
    }
    return rc;
}

zs_journal_t *
zs_journal_open(const char *path,
                zs_journal_sync_t sync,
                zs_journal_replay_fn *replay,
                void *ctx,
                zs_error_t *err)
{
    assert(path);
    assert(sync <= ZS_JOURNAL_NONE);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        zs_error_set(err, 0, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    //  Two coordinators appending to one journal would interleave records
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        zs_error_set(err, 0, "cannot open '%s': %s", path,
                     errno == EWOULDBLOCK ? "in use by another process"
                                          : strerror(errno));
        close(fd);
        return NULL;
    }
    zs_journal_t *self = s_new(path, fd, sync);
    if (s_replay(self, replay, ctx) != 0) {
        zs_error_set(err, 0, "cannot open '%s': %s", path, strerror(errno));
        s_free(&self);
        return NULL;
    }
    //  An empty file may have just been created
    if (self->size == 0 && sync != ZS_JOURNAL_NONE) {
        s_sync_name(self);
    }
    return self;
}

void
zs_journal_destroy(zs_journal_t **self_p)
{
    assert(self_p);
    zs_journal_t *self = *self_p;
    if (!self) {
        return;
    }
    if (zs_journal_commit(self) != 0) {
        zsys_error("journal '%s': cannot commit %zu bytes at close: %s", self->path,
                   self->pending.used, strerror(errno));
    }
    s_free(self_p);
}

int
zs_journal_append(zs_journal_t *self, const void *body, size_t size)
{
    assert(self);
    assert(body);
    if (size == 0 || size > ZS_JOURNAL_RECORD_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    s_buf_reserve(&self->pending, ZS_JOURNAL_HEADER + size);
    uint8_t *head = self->pending.data + self->pending.used;
    s_put_u32(head, (uint32_t) size);
    s_put_u32(head + 4, s_crc32c(body, size));
    memcpy(head + ZS_JOURNAL_HEADER, body, size);
    self->pending.used += ZS_JOURNAL_HEADER + size;
    self->stats.appended++;
    return 0;
}

//  The part of pending not yet in the file goes after what is there
static int
s_write_rest(zs_journal_t *self)
{
    size_t rest = self->pending.used - self->written;
    if (rest > 0 && s_pwrite_all(self->fd, self->pending.data + self->written, rest,
                                 self->size + self->written) != 0) {
        return -1;
    }
    self->written = self->pending.used;
    return 0;
}

static int
s_make_durable(zs_journal_t *self)
{
    if (self->sync == ZS_JOURNAL_NONE) {
        return 0;
    }
    if (s_sync(self) != 0) {
        return -1;
    }
    if (self->dir_unsynced) {
        if (s_sync_dir(self) != 0) {
            return -1;
        }
        self->dir_unsynced = false;
    }
    return 0;
}

int
zs_journal_write(zs_journal_t *self)
{
    assert(self);
    //  A failed write is simply retried: pwrite at fixed offsets rewrites the same bytes
    return s_write_rest(self);
}

int
zs_journal_commit(zs_journal_t *self)
{
    assert(self);
    if (self->pending.used == 0) {
        return 0;
    }
    //  Records zs_journal_write put in the file were already relied on (their replies
    //  went out): a failure cuts back only to them, never below
    size_t kept = self->written;
    if (s_write_rest(self) != 0 || s_make_durable(self) != 0) {
        //  Cut back: a crash before the retry then finds no half record
        int saved = errno;
        off_t cut = (off_t) (self->size + kept);
        if (ftruncate(self->fd, cut) != 0) {
            zsys_warning("journal '%s': cannot cut back to %ju bytes: %s", self->path,
                         (uintmax_t) cut, strerror(errno));
        }
        self->written = kept;
        errno = saved;
        return -1;
    }
    self->size += self->pending.used;
    s_buf_purge(&self->pending);
    self->written = 0;
    self->stats.commits++;
    return 0;
}

bool
zs_journal_pending(const zs_journal_t *self)
{
    assert(self);
    return self->pending.used > 0;
}

uint64_t
zs_journal_size(const zs_journal_t *self)
{
    assert(self);
    return self->size;
}

//  Write the snapshot to PATH.tmp and make it durable. Returns that file as a journal
//  of its own, or NULL with err filled and the file removed.
static zs_journal_t *
s_compact_write(zs_journal_t *self,
                zs_journal_snapshot_fn *snapshot,
                void *ctx,
                zs_error_t *err)
{
    size_t length = strlen(self->path);
    char *tmp_path = zs_malloc(length + sizeof ZS_JOURNAL_TMP_SUFFIX);
    memcpy(tmp_path, self->path, length);
    memcpy(tmp_path + length, ZS_JOURNAL_TMP_SUFFIX, sizeof ZS_JOURNAL_TMP_SUFFIX);
    int fd = open(tmp_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        zs_error_set(err, 0, "cannot compact '%s': cannot create '%s': %s", self->path,
                     tmp_path, strerror(errno));
        free(tmp_path);
        return NULL;
    }
    //  Locked before it takes the journal's name, so the lock never lapses
    flock(fd, LOCK_EX | LOCK_NB);
    //  No fsync per commit: the single one after the snapshot covers every record
    zs_journal_t *shadow = s_new(tmp_path, fd, ZS_JOURNAL_NONE);
    free(tmp_path);
    int rc = snapshot(ctx, shadow);
    if (rc != 0) {
        zs_error_set(err, 0, "cannot compact '%s': the snapshot failed", self->path);
    } else if (zs_journal_commit(shadow) != 0 || s_sync(shadow) != 0) {
        rc = zs_error_set(err, 0, "cannot compact '%s': cannot write '%s': %s",
                          self->path, shadow->path, strerror(errno));
    }
    self->stats.fsyncs += shadow->stats.fsyncs;
    if (rc != 0) {
        unlink(shadow->path);
        s_free(&shadow);
    }
    return shadow;
}

//  Adopt the renamed file. Swapping descriptors lets freeing the shadow close the old.
static void
s_compact_switch(zs_journal_t *self, zs_journal_t **shadow_p)
{
    zs_journal_t *shadow = *shadow_p;
    int old_fd = self->fd;
    self->fd = shadow->fd;
    shadow->fd = old_fd;
    self->size = shadow->size;
    self->stats.compactions++;
    s_free(shadow_p);
    //  The rename cannot be undone: if the directory sync fails, commits retry it
    s_sync_name(self);
}

int
zs_journal_compact(zs_journal_t *self,
                   zs_journal_snapshot_fn *snapshot,
                   void *ctx,
                   zs_error_t *err)
{
    assert(self);
    assert(snapshot);
    if (zs_journal_commit(self) != 0) {
        return zs_error_set(err, 0, "cannot compact '%s': cannot commit: %s", self->path,
                            strerror(errno));
    }
    zs_journal_t *shadow = s_compact_write(self, snapshot, ctx, err);
    if (!shadow) {
        return -1;
    }
    if (rename(shadow->path, self->path) != 0) {
        zs_error_set(err, 0, "cannot compact '%s': cannot rename '%s': %s", self->path,
                     shadow->path, strerror(errno));
        unlink(shadow->path);
        s_free(&shadow);
        return -1;
    }
    s_compact_switch(self, &shadow);
    return 0;
}

const zs_journal_stats_t *
zs_journal_stats(const zs_journal_t *self)
{
    assert(self);
    return &self->stats;
}

int
zs_journal_sync_from_name(const char *name)
{
    assert(name);
    for (int sync = 0; sync <= ZS_JOURNAL_NONE; sync++) {
        if (strcmp(s_sync_names[sync], name) == 0) {
            return sync;
        }
    }
    return -1;
}
