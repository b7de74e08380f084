//  zs_dlfile - where a download is written: a locked partial file inside the type's dir
//
//  A download of PATH (relative to the type's dir) is written to DIR/SUB/.NAME.part
//  and renamed to DIR/SUB/NAME once it is complete and checked, so a reader never
//  sees a file half written and a later attempt finds the bytes an earlier one got
//  (after a failure, a cancel or a kill -9) and resumes from them. The partial file
//  is held under an exclusive flock while an attempt writes it: a second download of
//  the same path fails at once rather than interleave its bytes; the kernel drops the
//  lock with the process, so a killed agent leaves no stale lock.
//
//  The path never leaves the dir: it must be relative, each component 1..255 bytes
//  without '/', NUL or control bytes, not "." or "..", and not starting with '.'
//  (those names are the partial files'); every directory on the way is opened with
//  openat and O_NOFOLLOW (created when missing), and the files with O_NOFOLLOW, so a
//  symlink planted anywhere below the dir is refused rather than followed. The dir
//  itself is the operator's, and created when missing.
//
//  Writes are buffered: libcurl hands a body over in 16 KiB pieces, and a write(2) per
//  piece costs the page cache more than one per ZS_DLFILE_BUFFER bytes. The buffer is
//  small on purpose: it and libcurl's receive buffer stay in the CPU's cache, where a
//  1 MiB one doubled the CPU time of a download (docs/http.md). Buffered bytes reach
//  the file when the buffer fills, on zs_dlfile_flush (the caller flushes once per loop
//  round, so no byte is held while a transfer stalls), and on commit and close; a
//  process killed in between loses at most a buffer's worth, which the next attempt
//  fetches again. When the length is known, zs_dlfile_reserve allocates the file's
//  blocks up front: one fallocate instead of block by block as writes extend it, and a
//  file that cannot fit fails before its bytes are fetched.
//
//  Calls are plain syscalls on a local file system, short enough for the loop; the
//  one that could be long, reading back a resumed prefix to hash it, is left to the
//  caller to do in bounded pieces (zs_dlfile_read).

#ifndef ZS_DLFILE_H
#define ZS_DLFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/zs_util.h"

#define ZS_DLFILE_PATH_MAX 4096         //  longest relative path, bytes
#define ZS_DLFILE_NAME_MAX 255          //  longest path component, bytes
#define ZS_DLFILE_BUFFER   (64u << 10)  //  bytes held before a write

//  Expected outcomes the caller reports
typedef enum {
    ZS_DLFILE_E_REFUSED = 1,  //  the path is not one a download may write
    ZS_DLFILE_E_BUSY = 2,     //  another download holds the partial file
    ZS_DLFILE_E_IO = 3,       //  the file system said no; err has errno's text
} zs_dlfile_code_t;

//  One download's files, open
typedef struct {
    int dir_fd;       //  the target's directory, or -1
    int fd;           //  the partial file, locked, or -1
    char *name;       //  owned: the target's name in dir_fd
    char *part;       //  owned: the partial file's name in dir_fd, ".NAME.part"
    uint64_t size;    //  bytes in the partial file now, the buffered ones included
    uint8_t *buffer;  //  owned: ZS_DLFILE_BUFFER bytes, NULL until the first write
    size_t pending;   //  bytes in buffer, not written yet
} zs_dlfile_t;

//  Check path (a C string) against the rules above. Returns 0, or ZS_DLFILE_E_REFUSED
//  with err saying why.
int zs_dlfile_path_check(const char *path, zs_error_t *err);

//  Open DIR/path's partial file for writing, creating it and the directories on the
//  way, and lock it. file->size is what an earlier attempt left. Returns 0 with file
//  open, or a zs_dlfile_code_t with err filled and file closed.
int zs_dlfile_open(zs_dlfile_t *file, const char *dir, const char *path, zs_error_t *err);

//  Append size bytes: into the buffer, written out when it fills (a piece of at least
//  ZS_DLFILE_BUFFER bytes goes straight to the file). Returns 0, or -1 with errno (the
//  bytes not written stay buffered).
int zs_dlfile_write(zs_dlfile_t *file, const void *data, size_t size);

//  Write out the buffered bytes. Returns 0, or -1 with errno (those not written stay
//  buffered).
int zs_dlfile_flush(zs_dlfile_t *file);

//  Allocate the file's blocks up to length bytes without changing its size, when the
//  file system can (a no-op where it cannot). Returns 0, or -1 with errno: ENOSPC when
//  the file cannot fit.
int zs_dlfile_reserve(zs_dlfile_t *file, uint64_t length);

//  Read up to size bytes at offset into buf, for hashing a resumed prefix (buffered
//  bytes are written out first). Returns the bytes read (0 at the end), or -1 with
//  errno.
ssize_t zs_dlfile_read(zs_dlfile_t *file, void *buf, size_t size, uint64_t offset);

//  Empty the partial file and drop the buffered bytes, to start over. Returns 0, or
//  -1 with errno.
int zs_dlfile_truncate(zs_dlfile_t *file);

//  Write out the buffered bytes, rename the partial file to the target (replacing it)
//  and close. Returns 0, or ZS_DLFILE_E_IO with err filled (the file is closed either
//  way, and the partial file stays when the rename was not made).
int zs_dlfile_commit(zs_dlfile_t *file, zs_error_t *err);

//  Remove the partial file and close, dropping the buffered bytes: its bytes are wrong
//  (a checksum mismatch).
void zs_dlfile_discard(zs_dlfile_t *file);

//  Write out what is buffered (as far as the file system lets) and close, keeping the
//  partial file for a later attempt when it holds any bytes (an empty one is
//  removed). Accepts a closed file.
void zs_dlfile_close(zs_dlfile_t *file);

#endif
