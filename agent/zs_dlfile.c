//  zs_dlfile - see zs_dlfile.h

#include "agent/zs_dlfile.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZS_DLFILE_MODE     0644  //  new files, before the umask
#define ZS_DLFILE_DIR_MODE 0755  //  new directories, before the umask
#define ZS_DLFILE_SAMPLE   96    //  bytes of a path component quoted in a reason

//  ---- paths ---------------------------------------------------------------------------

static bool
s_component_valid(const char *name, size_t len)
{
    if (len == 0 || len > ZS_DLFILE_NAME_MAX || name[0] == '.') {
        return false;  //  also "." and "..", and the partial files' names
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char) name[i] < 0x20 || name[i] == 0x7f) {
            return false;
        }
    }
    return true;
}

int
zs_dlfile_path_check(const char *path, zs_error_t *err)
{
    assert(path);
    char sample[ZS_DLFILE_SAMPLE];
    size_t len = strlen(path);
    if (len == 0 || len > ZS_DLFILE_PATH_MAX) {
        zs_error_set(err, ZS_DLFILE_E_REFUSED, "path must be 1..%d bytes",
                     ZS_DLFILE_PATH_MAX);
        return ZS_DLFILE_E_REFUSED;
    }
    if (path[0] == '/' || path[len - 1] == '/') {
        zs_error_set(err, ZS_DLFILE_E_REFUSED,
                     "path '%s' is absolute or names a directory",
                     zs_sanitize_str(sample, sizeof sample, path));
        return ZS_DLFILE_E_REFUSED;
    }
    for (const char *at = path; *at;) {
        size_t part = strcspn(at, "/");
        if (!s_component_valid(at, part)) {
            zs_sanitize(sample, sizeof sample, at, part);
            zs_error_set(err, ZS_DLFILE_E_REFUSED,
                         "path component '%s' is empty, starts with '.', holds a control "
                         "byte or is over %d bytes",
                         sample, ZS_DLFILE_NAME_MAX);
            return ZS_DLFILE_E_REFUSED;
        }
        at += part + (at[part] == '/');
    }
    return 0;
}

//  Close the descriptors and free the names, leaving the files as they are
static void
s_close(zs_dlfile_t *file)
{
    if (file->fd >= 0) {
        close(file->fd);  //  and the lock with it
    }
    if (file->dir_fd >= 0) {
        close(file->dir_fd);
    }
    free(file->name);
    free(file->part);
    free(file->buffer);
    memset(file, 0, sizeof *file);
    file->dir_fd = file->fd = -1;
}

//  ---- opening -------------------------------------------------------------------------

static int
s_io(zs_error_t *err, const char *what, const char *name)
{
    char sample[ZS_DLFILE_SAMPLE];
    int code = errno;
    zs_error_set(err, ZS_DLFILE_E_IO, "cannot %s '%s': %s", what,
                 zs_sanitize_str(sample, sizeof sample, name), strerror(code));
    return ZS_DLFILE_E_IO;
}

//  Open the type's dir, creating it (and its parents) when missing
static int
s_root_open(const char *dir, zs_error_t *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && zsys_dir_create("%s", dir) == 0) {
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (fd < 0) {
        s_io(err, "open the download dir", dir);
    }
    return fd;
}

//  Open directory name below parent (closed here) without following a link;
//  created when missing
static int
s_subdir_open(int parent, const char *name, zs_error_t *err)
{
    int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = openat(parent, name, flags);
    if (fd < 0 && errno == ENOENT &&
        (mkdirat(parent, name, ZS_DLFILE_DIR_MODE) == 0 || errno == EEXIST)) {
        fd = openat(parent, name, flags);
    }
    if (fd < 0) {
        //  ELOOP or ENOTDIR: a symlink or a file where a directory should be
        s_io(err, "open directory", name);
    }
    close(parent);
    return fd;
}

//  Walk path's directories from dir; the last component becomes file->name
static int
s_walk(zs_dlfile_t *file, const char *dir, const char *path, zs_error_t *err)
{
    int fd = s_root_open(dir, err);
    const char *at = path;
    for (size_t part = strcspn(at, "/"); fd >= 0 && at[part] == '/';
         part = strcspn(at, "/")) {
        char name[ZS_DLFILE_NAME_MAX + 1];
        snprintf(name, sizeof name, "%.*s", (int) part, at);
        fd = s_subdir_open(fd, name, err);
        at += part + 1;
    }
    if (fd < 0) {
        return ZS_DLFILE_E_IO;
    }
    file->dir_fd = fd;
    file->name = zs_strdup(at);
    size_t size = strlen(at) + sizeof ".." + sizeof "part";
    file->part = zs_malloc(size);
    snprintf(file->part, size, ".%s.part", at);
    return 0;
}

static int
s_part_open(zs_dlfile_t *file, zs_error_t *err)
{
    file->fd = openat(file->dir_fd, file->part, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
                      ZS_DLFILE_MODE);
    if (file->fd < 0) {
        return s_io(err, "open", file->part);
    }
    if (flock(file->fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            zs_error_set(err, ZS_DLFILE_E_BUSY, "another download is writing '%s'",
                         file->name);
            return ZS_DLFILE_E_BUSY;
        }
        return s_io(err, "lock", file->part);
    }
    struct stat st;
    if (fstat(file->fd, &st) != 0) {
        return s_io(err, "stat", file->part);
    }
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        return s_io(err, "write to a non-regular file", file->part);
    }
    file->size = (uint64_t) st.st_size;
    //  Appends go to the end wherever a resume left the offset
    return lseek(file->fd, 0, SEEK_END) < 0 ? s_io(err, "seek", file->part) : 0;
}

int
zs_dlfile_open(zs_dlfile_t *file, const char *dir, const char *path, zs_error_t *err)
{
    assert(file);
    assert(dir);
    assert(path);
    memset(file, 0, sizeof *file);
    file->dir_fd = file->fd = -1;
    int rc = zs_dlfile_path_check(path, err);
    if (rc == 0) {
        rc = s_walk(file, dir, path, err);
    }
    if (rc == 0) {
        rc = s_part_open(file, err);
    }
    if (rc != 0) {
        s_close(file);  //  the partial file may be another download's: left alone
    }
    return rc;
}

//  ---- writing -------------------------------------------------------------------------

//  Write size bytes of data at the file's offset. Returns the bytes written, size
//  unless errno says why not
static size_t
s_write_all(zs_dlfile_t *file, const uint8_t *data, size_t size)
{
    size_t done = 0;
    while (done < size) {
        ssize_t put = write(file->fd, data + done, size - done);
        if (put < 0 && errno == EINTR) {
            continue;
        }
        if (put <= 0) {
            errno = put == 0 ? ENOSPC : errno;
            break;
        }
        done += (size_t) put;
    }
    return done;
}

int
zs_dlfile_flush(zs_dlfile_t *file)
{
    assert(file);
    size_t done = s_write_all(file, file->buffer, file->pending);
    if (done < file->pending) {
        int code = errno;
        memmove(file->buffer, file->buffer + done, file->pending - done);
        file->pending -= done;
        errno = code;
        return -1;
    }
    file->pending = 0;
    return 0;
}

int
zs_dlfile_write(zs_dlfile_t *file, const void *data, size_t size)
{
    assert(file);
    if (file->pending + size > ZS_DLFILE_BUFFER && zs_dlfile_flush(file) != 0) {
        return -1;
    }
    if (size >= ZS_DLFILE_BUFFER) {
        size_t done = s_write_all(file, data, size);
        file->size += done;
        return done == size ? 0 : -1;
    }
    if (!file->buffer) {
        file->buffer = zs_malloc(ZS_DLFILE_BUFFER);
    }
    memcpy(file->buffer + file->pending, data, size);
    file->pending += size;
    file->size += size;
    return 0;
}

int
zs_dlfile_reserve(zs_dlfile_t *file, uint64_t length)
{
    assert(file);
    if (length <= file->size || length > (uint64_t) INT64_MAX) {
        return 0;
    }
    //  The size stays: a partial file's size is what a resume starts from
    if (fallocate(file->fd, FALLOC_FL_KEEP_SIZE, 0, (off_t) length) == 0 ||
        errno == EOPNOTSUPP || errno == ENOSYS) {
        return 0;
    }
    return -1;
}

ssize_t
zs_dlfile_read(zs_dlfile_t *file, void *buf, size_t size, uint64_t offset)
{
    assert(file);
    if (file->pending > 0 && zs_dlfile_flush(file) != 0) {
        return -1;
    }
    ssize_t got;
    do {
        got = pread(file->fd, buf, size, (off_t) offset);
    } while (got < 0 && errno == EINTR);
    return got;
}

int
zs_dlfile_truncate(zs_dlfile_t *file)
{
    assert(file);
    file->pending = 0;
    if (ftruncate(file->fd, 0) != 0 || lseek(file->fd, 0, SEEK_SET) < 0) {
        return -1;
    }
    file->size = 0;
    return 0;
}

int
zs_dlfile_commit(zs_dlfile_t *file, zs_error_t *err)
{
    assert(file);
    int rc = 0;
    if (zs_dlfile_flush(file) != 0) {
        rc = s_io(err, "write", file->part);
    } else if (renameat(file->dir_fd, file->part, file->dir_fd, file->name) != 0) {
        //  Renamed while still locked, so no other attempt can open the old name between
        rc = s_io(err, "rename to", file->name);
    }
    s_close(file);
    return rc;
}

void
zs_dlfile_discard(zs_dlfile_t *file)
{
    assert(file);
    if (file->dir_fd >= 0) {
        unlinkat(file->dir_fd, file->part, 0);
    }
    s_close(file);
}

void
zs_dlfile_close(zs_dlfile_t *file)
{
    assert(file);
    if (file->fd >= 0 && file->pending > 0) {
        zs_dlfile_flush(file);  //  what cannot be written is fetched again on resume
    }
    //  An empty partial file holds nothing to resume: it goes, while still locked
    if (file->fd >= 0 && file->size == 0) {
        unlinkat(file->dir_fd, file->part, 0);
    }
    s_close(file);
}
