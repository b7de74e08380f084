//  zs_download - the download handler: a URL to a file in the type's dir (docs/http.md)
//
//  The payload is a URL, or a JSON object {url (required), path, sha256, size}: path
//  is relative to the type's dir (default: the URL's last path segment), sha256 the
//  expected digest in hex, size the expected length in bytes. The result's stdout is
//  a JSON object {path, bytes, sha256, resumed}: the file written, its length, its
//  digest (only when the payload gave one, as only then is the file hashed), and how
//  many of its bytes an earlier attempt had fetched.
//
//  The bytes go to a locked partial file and are renamed into place once complete and
//  checked (zs_dlfile). An attempt that finds a partial file resumes it: when it
//  checks a digest it first hashes the bytes already there in bounded pieces from the
//  loop (never one long read), then it asks for the rest with a Range request; a 206
//  appends, a 200 (a server that ignores ranges) starts over, a 416 whose length is
//  the partial file's means the file was complete. SHA-256 is OpenSSL's (zs_dlhash),
//  fed as bytes arrive. A mismatch of digest or size fails with why "checksum:
//  expected X got Y" or "size: ..." and removes the partial file, whose bytes a later
//  attempt must not trust; any other failure keeps it for the next attempt to resume.
//
//  URLs and redirects are checked against the type's allow list as the http handler
//  does (zs_url, at most max_redirects hops). A body that would take the file past
//  max_size stops the transfer ("too large: ..."), as early as Content-Length says so.
//  While bytes arrive, task.progress goes to the coordinator at most
//  ZS_DOWNLOAD_PROGRESS_HZ times a second (pct, and a note with bytes and rate). A
//  cancel or the attempt's tmo aborts the transfer at once.

#ifndef ZS_DOWNLOAD_H
#define ZS_DOWNLOAD_H

#include "agent/zs_handler.h"

#define ZS_DOWNLOAD_MAX_SIZE_DEFAULT (4ull << 30)  //  the swarm file's default max_size
#define ZS_DOWNLOAD_REDIRECTS_MAX    20            //  most redirects a type may follow
#define ZS_DOWNLOAD_PROGRESS_HZ      4             //  most task.progress a second
#define ZS_DOWNLOAD_HASH_PIECE       (1u << 20)    //  prefix bytes hashed per round

typedef struct _zs_download_t zs_download_t;

//  A type's settings, from the welcome (zs_download_conf_from_welcome) or a test.
//  Everything is borrowed for the zs_download_configure call.
typedef struct {
    const char *const *allow;  //  URL prefixes that may be reached
    size_t allow_count;        //  their number
    const char *dir;           //  absolute directory the files go to
    uint64_t max_size;         //  largest file, bytes; 0: the default
    uint64_t max_redirects;    //  redirects followed; 0: none
} zs_download_conf_t;

//  Create a download handler running its transfers in loop (borrowed) and reporting
//  to sink (copied). It refuses every task until configured. Never returns NULL.
zs_download_t *zs_download_new(zloop_t *loop, const zs_handler_sink_t *sink);

//  Abort every download without reporting it (their partial files stay), free the
//  handler, set *self_p to NULL. Accepts NULL.
void zs_download_destroy(zs_download_t **self_p);

//  Fill conf from a welcome (borrowed; conf points into it).
void zs_download_conf_from_welcome(zs_download_conf_t *conf, const zs_msg_t *welcome);

//  Adopt conf for later attempts. Returns 0, or -1 with err filled when a prefix is
//  not valid or dir is not absolute: then every later attempt fails, saying so.
int zs_download_configure(zs_download_t *self,
                          const zs_download_conf_t *conf,
                          zs_error_t *err);

//  Run one attempt of assign (a task.assign, borrowed for the call): `started`, then
//  `finished` from the loop; or `finished` at once when it is refused.
void zs_download_start(zs_download_t *self, const zs_msg_t *assign);

//  Cancel an attempt: its transfer is aborted and `finished` follows at once with
//  status "cancelled"; the partial file stays. Returns 0, or ZS_HANDLER_E_NO_JOB.
int zs_download_cancel(zs_download_t *self, const char *task, uint64_t att);

//  Attempts started and not finished.
size_t zs_download_running(zs_download_t *self);

//  Abort every attempt without reporting it.
void zs_download_kill_all(zs_download_t *self);

//  The download handler for the runtime's handler table.
extern const zs_handler_ops_t zs_download_ops;

#endif
