//  zs_journal - see zs_journal.h

#include "coordinator/store/zs_journal.h"
#include "coordinator/store/zs_journal_format.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ZS_JOURNAL_BUF_MIN    4096u       //  first allocation of a buffer
#define ZS_JOURNAL_BUF_KEEP   (1u << 20)  //  largest buffer kept for reuse after a commit
#define ZS_JOURNAL_TMP_SUFFIX ".tmp"      //  compaction writes PATH.tmp, then renames it
#define ZS_JOURNAL_KEEP_TRIES 100  //  names tried for a damaged file before giving up

//  A growing byte buffer
typedef struct {
    uint8_t *data;  //  owned, alloc bytes
    size_t used;    //  bytes held
    size_t alloc;   //  bytes allocated
} s_buf_t;

struct zs_journal_t {
    char *path;                //  owned, for messages, compaction and the directory
    int fd;                    //  the journal file, open read-write; -1 when measuring
    zs_journal_sync_t sync;    //  fsync policy of zs_journal_commit
    uint32_t tag;              //  the file's record tag, from its header
    bool measure;              //  appends are only counted (zs_journal_measure)
    s_buf_t pending;           //  framed records appended and not yet committed
    size_t written;            //  bytes of pending already in the file, not yet fsynced
    uint64_t size;             //  bytes of header and committed records: the next write
    bool dir_unsynced;         //  a rename or new name still awaits a directory fsync
    zs_journal_stats_t stats;  //  counters since open
};

static const char *s_sync_names[] = {
    [ZS_JOURNAL_ALWAYS] = "always",
    [ZS_JOURNAL_BATCH] = "batch",
    [ZS_JOURNAL_NONE] = "none",
};

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

//  Never 0, which a zero-filled tail would match
static uint32_t
s_tag_new(void)
{
    uint32_t tag = 0;
    while (tag == 0) {
        if (getrandom(&tag, sizeof tag, 0) != sizeof tag) {
            tag = (uint32_t) zclock_usecs() ^ (uint32_t) getpid() << 16;
        }
    }
    return tag;
}

//  Give an empty file its header, with a tag of its own
static int
s_start(zs_journal_t *self)
{
    uint8_t header[ZS_JOURNAL_FILE_HEADER];
    self->tag = s_tag_new();
    zs_journal_header_encode(header, self->tag);
    if (s_pwrite_all(self->fd, header, sizeof header, 0) != 0) {
        return -1;
    }
    self->size = sizeof header;
    return 0;
}

//  Caller frees
static char *
s_tmp_path(const char *path)
{
    return zsys_sprintf("%s" ZS_JOURNAL_TMP_SUFFIX, path);
}

//  ---------------------------------------------------------------------------------------
//  Rewriting: compaction, migration and recovery write a shadow journal to PATH.tmp

//  A new, empty PATH.tmp, locked. Returns NULL with err filled as "cannot VERB 'PATH':
//  ...".
static zs_journal_t *
s_shadow_new(zs_journal_t *self, const char *verb, zs_error_t *err)
{
    char *tmp_path = s_tmp_path(self->path);
    int fd = open(tmp_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        zs_error_set(err, 0, "cannot %s '%s': cannot create '%s': %s", verb, self->path,
                     tmp_path, strerror(errno));
        free(tmp_path);
        return NULL;
    }
    //  Locked before it takes the journal's name, so the lock never lapses
    flock(fd, LOCK_EX | LOCK_NB);
    //  No fsync per commit: the single one once it is whole covers every record
    zs_journal_t *shadow = s_new(tmp_path, fd, ZS_JOURNAL_NONE);
    free(tmp_path);
    if (s_start(shadow) != 0) {
        zs_error_set(err, 0, "cannot %s '%s': cannot write '%s': %s", verb, self->path,
                     shadow->path, strerror(errno));
        unlink(shadow->path);
        s_free(&shadow);
    }
    return shadow;
}

static void
s_shadow_drop(zs_journal_t *self, zs_journal_t **shadow_p)
{
    self->stats.fsyncs += (*shadow_p)->stats.fsyncs;
    unlink((*shadow_p)->path);
    s_free(shadow_p);
}

//  Write what the shadow still holds and make it durable
static int
s_shadow_finish(zs_journal_t *self,
                zs_journal_t *shadow,
                const char *verb,
                zs_error_t *err)
{
    if (zs_journal_commit(shadow) != 0 || s_sync(shadow) != 0) {
        return zs_error_set(err, 0, "cannot %s '%s': cannot write '%s': %s", verb,
                            self->path, shadow->path, strerror(errno));
    }
    return 0;
}

//  Rename the finished shadow over the journal and adopt it. Swapping descriptors lets
//  freeing the shadow close the old file. On failure, the shadow is dropped.
static int
s_shadow_install(zs_journal_t *self,
                 zs_journal_t **shadow_p,
                 const char *verb,
                 zs_error_t *err)
{
    zs_journal_t *shadow = *shadow_p;
    if (rename(shadow->path, self->path) != 0) {
        zs_error_set(err, 0, "cannot %s '%s': cannot rename '%s': %s", verb, self->path,
                     shadow->path, strerror(errno));
        s_shadow_drop(self, shadow_p);
        return -1;
    }
    int old_fd = self->fd;
    self->fd = shadow->fd;
    shadow->fd = old_fd;
    self->tag = shadow->tag;
    self->size = shadow->size;
    self->stats.fsyncs += shadow->stats.fsyncs;
    s_free(shadow_p);
    //  The rename cannot be undone: if the directory sync fails, commits retry it
    s_sync_name(self);
    return 0;
}

//  ---------------------------------------------------------------------------------------
//  Opening: replay, then cut a torn tail, refuse or recover damage, migrate

//  A PATH.tmp is what a crash left of a compaction or rewrite: the rename that would
//  have made it the journal never happened, so PATH, locked by us now, is whole
static void
s_drop_stale_tmp(zs_journal_t *self)
{
    char *tmp_path = s_tmp_path(self->path);
    if (unlink(tmp_path) == 0) {
        zsys_notice("journal '%s': removed '%s', left by an interrupted rewrite",
                    self->path, tmp_path);
    }
    free(tmp_path);
}

static int
s_replay(zs_journal_t *self,
         zs_journal_scan_t *scan,
         zs_journal_replay_fn *replay,
         void *ctx)
{
    const uint8_t *body;
    uint32_t size;
    int rc;
    while ((rc = zs_journal_scan_next(scan, &body, &size)) == 1) {
        if (replay) {
            replay(ctx, body, size);
        }
        self->stats.records++;
    }
    //  Appends go after the last valid record, with the file's tag (a rewrite or a
    //  new header replaces both)
    self->size = scan->end;
    self->tag = scan->tag;
    return rc;
}

static int
s_refuse(zs_journal_t *self, const zs_journal_scan_t *scan, zs_error_t *err)
{
    size_t inner = zs_journal_scan_inner(scan);
    char shown[ZS_ERROR_TEXT_MAX] = "";
    size_t used = 0;
    uint64_t bytes = 0;
    for (size_t i = 0; i < inner; i++) {
        const zs_journal_range_t *range = &scan->ranges[i];
        zsys_error("journal '%s': %ju bytes damaged at offset %ju, valid records after",
                   self->path, (uintmax_t) range->length, (uintmax_t) range->offset);
        bytes += range->length;
        if (i < ZS_JOURNAL_RANGES_SHOWN && used < sizeof shown) {
            used += (size_t) snprintf(
                shown + used, sizeof shown - used, "%s%ju bytes at offset %ju",
                i ? ", " : "", (uintmax_t) range->length, (uintmax_t) range->offset);
        }
    }
    return zs_error_set(err, ZS_JOURNAL_E_DAMAGED,
                        "cannot open '%s': damaged, with valid records after the "
                        "damage: %zu range%s, %ju bytes (%s%s)",
                        self->path, inner, inner == 1 ? "" : "s", (uintmax_t) bytes,
                        shown,
                        inner > ZS_JOURNAL_RANGES_SHOWN ? ", more in the log" : "");
}

//  Link the damaged file as PATH.damaged-TIME, or -2, -3... after it: never over a
//  file. Returns the name (caller frees), or NULL with err filled.
static char *
s_keep_damaged(zs_journal_t *self, zs_error_t *err)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
    for (int n = 1; n <= ZS_JOURNAL_KEEP_TRIES; n++) {
        char *name =
            n == 1 ? zsys_sprintf("%s%s%s", self->path, ZS_JOURNAL_DAMAGED_SUFFIX, stamp)
                   : zsys_sprintf("%s%s%s-%d", self->path, ZS_JOURNAL_DAMAGED_SUFFIX,
                                  stamp, n);
        //  Its directory synced before anything replaces PATH: without that, a crash
        //  could keep the rename and lose the link
        bool linked = link(self->path, name) == 0;
        if (linked && s_sync_dir(self) == 0) {
            return name;
        }
        int saved = errno;
        if (linked) {
            unlink(name);
        }
        if (saved != EEXIST) {
            zs_error_set(err, 0, "cannot open '%s': cannot keep it as '%s': %s",
                         self->path, name, strerror(saved));
            free(name);
            return NULL;
        }
        free(name);
    }
    zs_error_set(err, 0, "cannot open '%s': %d names for the damaged file are taken",
                 self->path, ZS_JOURNAL_KEEP_TRIES);
    return NULL;
}

//  Append every valid record of the file again to shadow, a scan that finds what the
//  replay found. Returns 0, or -1 with err filled.
static int
s_copy_records(zs_journal_t *self, zs_journal_t *shadow, zs_error_t *err)
{
    zs_journal_scan_t scan;
    zs_error_t why;
    if (zs_journal_scan_init(&scan, self->fd, &why) != 0) {
        zs_journal_scan_fini(&scan);
        return zs_error_set(err, 0, "cannot open '%s': %s", self->path, why.text);
    }
    uint64_t copied = 0;
    const uint8_t *body;
    uint32_t size;
    int rc;
    while ((rc = zs_journal_scan_next(&scan, &body, &size)) == 1) {
        zs_journal_append(shadow, body, size);
        copied++;
        //  Written as it goes, so that a large journal is never held in memory at once
        if (shadow->pending.used >= ZS_JOURNAL_BUF_KEEP &&
            zs_journal_commit(shadow) != 0) {
            rc = -1;
            break;
        }
    }
    zs_journal_scan_fini(&scan);
    if (rc != 0) {
        return zs_error_set(err, 0, "cannot open '%s': cannot rewrite it: %s", self->path,
                            strerror(errno));
    }
    if (copied != self->stats.records) {
        return zs_error_set(err, 0, "cannot open '%s': it changed while it was read",
                            self->path);
    }
    return 0;
}

static void
s_report_recovery(zs_journal_t *self, const zs_journal_scan_t *scan, const char *kept)
{
    size_t inner = zs_journal_scan_inner(scan);
    for (size_t i = 0; i < inner; i++) {
        const zs_journal_range_t *range = &scan->ranges[i];
        zsys_warning("journal '%s': lost %ju damaged bytes at offset %ju", self->path,
                     (uintmax_t) range->length, (uintmax_t) range->offset);
        self->stats.lost += range->length;
    }
    self->stats.damaged = inner;
    zsys_warning("journal '%s': recovered %ju records around %zu damaged range%s "
                 "(%ju bytes lost); the damaged file is kept as '%s'",
                 self->path, (uintmax_t) self->stats.records, inner,
                 inner == 1 ? "" : "s", (uintmax_t) self->stats.lost, kept);
}

//  Write the valid records to a new journal in the current format and put it in place:
//  after recovery, with the damaged file kept aside first; after migration, alone
static int
s_rewrite(zs_journal_t *self, const zs_journal_scan_t *scan, zs_error_t *err)
{
    zs_journal_t *shadow = s_shadow_new(self, "open", err);
    if (!shadow) {
        return -1;
    }
    if (s_copy_records(self, shadow, err) != 0 ||
        s_shadow_finish(self, shadow, "open", err) != 0) {
        s_shadow_drop(self, &shadow);
        return -1;
    }
    char *kept = NULL;
    if (zs_journal_scan_inner(scan) > 0 && !(kept = s_keep_damaged(self, err))) {
        s_shadow_drop(self, &shadow);
        return -1;
    }
    if (s_shadow_install(self, &shadow, "open", err) != 0) {
        //  PATH is still the damaged file: one name for it is enough
        if (kept) {
            unlink(kept);
        }
        free(kept);
        return -1;
    }
    if (kept) {
        s_report_recovery(self, scan, kept);
    } else {
        self->stats.migrated = 1;
        zsys_notice("journal '%s': rewrote its %ju records from the headerless format "
                    "in format %d",
                    self->path, (uintmax_t) self->stats.records, ZS_JOURNAL_VERSION);
    }
    free(kept);
    return 0;
}

//  Cut what follows the last good record, so that appends continue from it
static int
s_cut(zs_journal_t *self, zs_error_t *err)
{
    if (ftruncate(self->fd, (off_t) self->size) != 0 || s_sync(self) != 0) {
        return zs_error_set(err, 0, "cannot open '%s': cannot cut its torn tail: %s",
                            self->path, strerror(errno));
    }
    return 0;
}

//  A file without header or record, new or left unwritten by a crash, starts afresh
static int
s_begin(zs_journal_t *self, zs_error_t *err)
{
    if (ftruncate(self->fd, 0) != 0 || s_start(self) != 0) {
        return zs_error_set(err, 0, "cannot open '%s': cannot write its header: %s",
                            self->path, strerror(errno));
    }
    return 0;
}

static int
s_settle(zs_journal_t *self,
         const zs_journal_scan_t *scan,
         zs_journal_damage_t damage,
         zs_error_t *err)
{
    size_t inner = zs_journal_scan_inner(scan);
    if (inner > 0 && damage == ZS_JOURNAL_REFUSE) {
        return s_refuse(self, scan, err);
    }
    const zs_journal_range_t *tail = zs_journal_scan_tail(scan);
    if (tail) {
        zsys_warning("journal '%s': cut %ju bytes of a torn tail at offset %ju",
                     self->path, (uintmax_t) tail->length, (uintmax_t) tail->offset);
        self->stats.torn = tail->length;
    }
    if (inner > 0 || scan->version == 0) {
        return s_rewrite(self, scan, err);
    }
    if (!scan->has_header) {
        return s_begin(self, err);
    }
    return tail ? s_cut(self, err) : 0;
}

static int
s_load(zs_journal_t *self,
       zs_journal_damage_t damage,
       zs_journal_replay_fn *replay,
       void *ctx,
       zs_error_t *err)
{
    zs_journal_scan_t scan;
    zs_error_t why;
    int rc = zs_journal_scan_init(&scan, self->fd, &why);
    if (rc != 0) {
        zs_error_set(err, 0, "cannot open '%s': %s", self->path, why.text);
    } else if ((rc = s_replay(self, &scan, replay, ctx)) != 0) {
        zs_error_set(err, 0, "cannot open '%s': %s", self->path, strerror(errno));
    } else {
        rc = s_settle(self, &scan, damage, err);
    }
    zs_journal_scan_fini(&scan);
    return rc;
}

zs_journal_t *
zs_journal_open(const char *path,
                zs_journal_sync_t sync,
                zs_journal_damage_t damage,
                zs_journal_replay_fn *replay,
                void *ctx,
                zs_error_t *err)
{
    assert(path);
    assert(sync <= ZS_JOURNAL_NONE);
    assert(damage <= ZS_JOURNAL_RECOVER);
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
    s_drop_stale_tmp(self);
    if (s_load(self, damage, replay, ctx, err) != 0) {
        s_free(&self);
        return NULL;
    }
    //  A journal without records may have just been created
    if (self->stats.records == 0 && sync != ZS_JOURNAL_NONE) {
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

//  ---------------------------------------------------------------------------------------
//  Appending and committing

int
zs_journal_append(zs_journal_t *self, const void *body, size_t size)
{
    assert(self);
    assert(body);
    if (size == 0 || size > ZS_JOURNAL_RECORD_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    self->stats.appended++;
    if (self->measure) {
        self->size += ZS_JOURNAL_FRAME + size;
        return 0;
    }
    s_buf_reserve(&self->pending, ZS_JOURNAL_FRAME + size);
    uint8_t *head = self->pending.data + self->pending.used;
    zs_journal_frame_encode(head, self->tag, body, (uint32_t) size);
    memcpy(head + ZS_JOURNAL_FRAME, body, size);
    self->pending.used += ZS_JOURNAL_FRAME + size;
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

//  ---------------------------------------------------------------------------------------
//  Compaction

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
    zs_journal_t *shadow = s_shadow_new(self, "compact", err);
    if (!shadow) {
        return -1;
    }
    int rc = snapshot(ctx, shadow);
    if (rc != 0) {
        zs_error_set(err, 0, "cannot compact '%s': the snapshot failed", self->path);
    } else {
        rc = s_shadow_finish(self, shadow, "compact", err);
    }
    if (rc != 0) {
        s_shadow_drop(self, &shadow);
        return -1;
    }
    if (s_shadow_install(self, &shadow, "compact", err) != 0) {
        return -1;
    }
    self->stats.compactions++;
    return 0;
}

int
zs_journal_measure(zs_journal_snapshot_fn *snapshot, void *ctx, uint64_t *size_p)
{
    assert(snapshot);
    assert(size_p);
    zs_journal_t counter = {.fd = -1, .measure = true, .size = ZS_JOURNAL_FILE_HEADER};
    int rc = snapshot(ctx, &counter);
    *size_p = counter.size;
    return rc;
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
