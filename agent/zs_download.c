//  zs_download - see zs_download.h

#include "agent/zs_download.h"
#include "agent/zs_dlfile.h"
#include "agent/zs_dlhash.h"
#include "agent/zs_dlorder.h"
#include "agent/zs_url.h"
#include "agent/zs_xfer.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZS_DOWNLOAD_PROGRESS_MS (1000 / ZS_DOWNLOAD_PROGRESS_HZ)  //  between two
//  libcurl's receive buffer: 64 KiB to 2 MiB measured alike, and 512 KiB is the largest
//  libcurl before 7.88 takes
#define ZS_DOWNLOAD_BUFFER (512 * 1024)

//  One running attempt
typedef struct {
    zs_download_t *owner;            //  borrowed: its handler, for libcurl's callbacks
    char task[ZS_MSG_NAME_MAX + 1];  //  task id
    uint64_t att;                    //  attempt number
    uint64_t tmo;                    //  the attempt's timeout, ms; 0 for none
    int timer;                       //  zloop timer id of tmo, or -1
    int hash_timer;                  //  zloop timer hashing the resumed prefix, or -1
    int flush_timer;                 //  zloop timer writing out a round's bytes, or -1
    zs_dlorder_t order;              //  what the task asked for, owned
    char *url;                       //  owned: normalised URL of the current hop
    zs_dlfile_t file;                //  the partial file, open and locked
    zs_dlhash_t *hash;               //  owned: digest of the file's first `hashed`
                                     //  bytes; NULL when the task gave no sha256
    uint64_t hashed;                 //  bytes hashed
    uint64_t resumed;                //  bytes an earlier attempt left, still kept
    uint64_t total;                  //  the file's length as the server says, or 0
    CURL *easy;                      //  owned: the current hop's transfer, or NULL
    char errbuf[CURL_ERROR_SIZE];    //  libcurl's words on a failure
    bool checked;                    //  the current hop's status was looked at
    bool discard;                    //  the current hop's body is not the file's
    char stop[ZS_MSG_TEXT_MAX];      //  why the data callback stopped it, or ""
    bool stop_discards;              //  ... and the partial file is no good
    uint64_t redirects;              //  redirects followed so far
    int64_t started_ms;              //  zclock_mono when the transfer began
    int64_t progress_ms;             //  zclock_mono of the last task.progress
    void *handle;                    //  its node in the handler's list
} s_job_t;

struct _zs_download_t {
    zloop_t *loop;                    //  borrowed: runs the timers
    zs_handler_sink_t sink;           //  where jobs are reported
    zs_xfer_t *xfer;                  //  owned: every transfer of this handler
    zs_url_allow_t *allow;            //  owned: where tasks may go; NULL refuses all
    char refusal[ZS_ERROR_TEXT_MAX];  //  why tasks are refused while allow is NULL
    char *dir;                        //  owned: where files go
    uint64_t max_size;                //  largest file, bytes
    uint64_t max_redirects;           //  redirects followed per attempt
    uint8_t *piece;                   //  owned: ZS_DOWNLOAD_HASH_PIECE bytes to hash
    zlistx_t *jobs;                   //  s_job_t, owned (freed by this module)
};

//  ---- finding jobs --------------------------------------------------------------------
//  Loop callbacks carry the handler, never a job, and find it by key.

static s_job_t *
s_job_by_attempt(zs_download_t *self, const char *task, uint64_t att)
{
    s_job_t *job = zlistx_first(self->jobs);
    while (job && !(job->att == att && streq(job->task, task))) {
        job = zlistx_next(self->jobs);
    }
    return job;
}

static s_job_t *
s_job_by_easy(zs_download_t *self, CURL *easy)
{
    s_job_t *job = zlistx_first(self->jobs);
    while (job && job->easy != easy) {
        job = zlistx_next(self->jobs);
    }
    return job;
}

static s_job_t *
s_job_by_timer(zs_download_t *self, int timer)
{
    s_job_t *job = zlistx_first(self->jobs);
    while (job && job->timer != timer && job->hash_timer != timer &&
           job->flush_timer != timer) {
        job = zlistx_next(self->jobs);
    }
    return job;
}

//  ---- ending jobs ---------------------------------------------------------------------

static void
s_report(zs_download_t *self,
         const char *task,
         uint64_t att,
         const char *status,
         const char *why,
         const char *out)
{
    zs_msg_t result;
    zs_msg_init(&result, ZS_MSG_TASK_RESULT);
    result.task = task;
    result.att = att;
    result.status = status;
    result.why = why && why[0] ? why : NULL;
    result.out = (const uint8_t *) out;
    result.out_size = out ? strlen(out) : 0;
    self->sink.finished(self->sink.owner, &result);
}

static void
s_timer_stop(zs_download_t *self, int *timer)
{
    if (*timer != -1) {
        zloop_timer_end(self->loop, *timer);
        *timer = -1;
    }
}

static void
s_transfer_end(zs_download_t *self, s_job_t *job)
{
    if (job->easy) {
        zs_xfer_abort(self->xfer, job->easy);  //  nothing when it already ended
        curl_easy_cleanup(job->easy);
        job->easy = NULL;
    }
    job->checked = job->discard = false;
}

static void
s_job_free(zs_download_t *self, s_job_t *job)
{
    s_timer_stop(self, &job->timer);
    s_timer_stop(self, &job->hash_timer);
    s_timer_stop(self, &job->flush_timer);
    s_transfer_end(self, job);
    zs_dlfile_close(&job->file);  //  the partial file stays for a later attempt
    zs_dlorder_fini(&job->order);
    zs_dlhash_destroy(&job->hash);
    free(job->url);
    free(job);
}

static void
s_finish(zs_download_t *self,
         s_job_t *job,
         const char *status,
         const char *why,
         const char *out)
{
    zlistx_delete(self->jobs, job->handle);
    s_report(self, job->task, job->att, status, why, out);
    s_job_free(self, job);
}

//  A failure after which the partial file must not be resumed
static void
s_fail_discard(zs_download_t *self, s_job_t *job, const char *why)
{
    zs_dlfile_discard(&job->file);
    s_finish(self, job, "fail", why, NULL);
}

//  ---- completing ----------------------------------------------------------------------

static char *
s_result_json(s_job_t *job, uint64_t bytes, const char *hex)
{
    json_t *root = json_object();
    json_object_set_new(root, "path", json_string(job->order.path));
    json_object_set_new(root, "bytes", json_integer((json_int_t) bytes));
    if (hex) {
        json_object_set_new(root, "sha256", json_string(hex));
    }
    json_object_set_new(root, "resumed", json_integer((json_int_t) job->resumed));
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!text) {
        zsys_error("out of memory: json_dumps");
        abort();
    }
    return text;
}

//  Every byte is in: check length and digest, then put the file in place
static void
s_complete(zs_download_t *self, s_job_t *job)
{
    char why[ZS_MSG_TEXT_MAX], got[ZS_DLHASH_HEX_SIZE];
    zs_error_t err;
    uint64_t bytes = job->file.size;  //  the commit closes the file
    if (job->order.has_size && job->file.size != job->order.size) {
        snprintf(why, sizeof why, "size: expected %" PRIu64 " bytes got %" PRIu64,
                 job->order.size, job->file.size);
        s_fail_discard(self, job, why);
    } else if (job->hash && zs_dlhash_final(job->hash, got, &err) != 0) {
        snprintf(why, sizeof why, "checksum: %s", err.text);
        s_finish(self, job, "fail", why, NULL);
    } else if (job->hash && !streq(got, job->order.sha256)) {
        snprintf(why, sizeof why, "checksum: expected %s got %s", job->order.sha256, got);
        s_fail_discard(self, job, why);
    } else if (zs_dlfile_commit(&job->file, &err) != 0) {
        snprintf(why, sizeof why, "write: %s", err.text);
        s_finish(self, job, "fail", why, NULL);
    } else {
        char *out = s_result_json(job, bytes, job->hash ? got : NULL);
        s_finish(self, job, "ok", NULL, out);
        free(out);
    }
}

//  ---- progress ------------------------------------------------------------------------

static void
s_progress(zs_download_t *self, s_job_t *job)
{
    int64_t now = zclock_mono();
    if (now - job->progress_ms < ZS_DOWNLOAD_PROGRESS_MS) {
        return;
    }
    job->progress_ms = now;
    uint64_t fetched = job->file.size - job->resumed;
    int64_t ms = now - job->started_ms;
    uint64_t rate = ms > 0 ? fetched * 1000 / (uint64_t) ms : 0;
    char note[ZS_MSG_TEXT_MAX];
    snprintf(note, sizeof note, "%" PRIu64 " of %" PRIu64 " bytes at %" PRIu64 " B/s",
             job->file.size, job->total, rate);
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_TASK_PROGRESS);
    msg.task = job->task;
    msg.att = job->att;
    msg.pct = job->total ? job->file.size * 100 / job->total : 0;
    msg.pct = msg.pct < 100 ? msg.pct : 100;
    msg.note = note;
    msg.bytes = job->file.size;
    msg.total = job->total;
    msg.rate = rate;
    self->sink.send(self->sink.owner, &msg);
}

//  ---- the response --------------------------------------------------------------------

//  Say why the data callback stops the transfer; it then returns 0, which libcurl
//  ends as CURLE_WRITE_ERROR
__attribute__((format(printf, 2, 3))) static void
s_stop(s_job_t *job, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(job->stop, sizeof job->stop, format, args);
    va_end(args);
}

//  Start the file over: the server sends the whole body. Returns 0, or -1 with why
//  the transfer stops
static int
s_restart(s_job_t *job)
{
    zs_error_t err;
    if (zs_dlfile_truncate(&job->file) != 0) {
        s_stop(job, "write: cannot empty the partial file: %s", strerror(errno));
        return -1;
    }
    if (job->hash && zs_dlhash_reset(job->hash, &err) != 0) {
        s_stop(job, "checksum: %s", err.text);
        return -1;
    }
    job->hashed = job->resumed = 0;
    return 0;
}

//  A Content-Range: "bytes FIRST-LAST/LENGTH" (a 206) or "bytes */LENGTH" (a 416).
//  *first is UINT64_MAX for "*", *length 0 for an unknown "*"; false when absent or
//  not in bytes
static bool
s_content_range(CURL *easy, uint64_t *first, uint64_t *length)
{
    struct curl_header *header;
    if (curl_easy_header(easy, "Content-Range", 0, CURLH_HEADER, -1, &header) !=
            CURLHE_OK ||
        strncmp(header->value, "bytes ", 6) != 0) {
        return false;
    }
    const char *spec = header->value + 6;
    const char *slash = strchr(spec, '/');
    *first = spec[0] == '*' ? UINT64_MAX : strtoull(spec, NULL, 10);
    *length = slash && slash[1] != '*' ? strtoull(slash + 1, NULL, 10) : 0;
    return slash != NULL;
}

//  Look at the hop's status and length before its first byte is written. Returns 0
//  to go on, or stops the transfer (s_stop) and returns -1
static int
s_check_status(zs_download_t *self, s_job_t *job)
{
    long status = 0;
    curl_off_t length = -1;
    uint64_t first = 0;
    curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(job->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    job->checked = true;
    job->discard = (status >= 300 && status < 400) || status == 416;
    if (job->discard) {
        return 0;  //  a redirect's or a 416's body: decided when it ends
    }
    if (status == 206 &&
        (!s_content_range(job->easy, &first, &job->total) || first != job->file.size)) {
        job->stop_discards = true;
        s_stop(job, "network: a 206 that does not start at byte %" PRIu64,
               job->file.size);
        return -1;
    }
    if (status == 200) {
        if (job->file.size > 0 && s_restart(job) != 0) {
            return -1;
        }
        job->total = length >= 0 ? (uint64_t) length : 0;
    } else if (status != 206) {
        s_stop(job, "http status %ld", status);
        return -1;
    }
    if (job->total > self->max_size) {
        job->stop_discards = true;
        s_stop(job, "too large: %" PRIu64 " bytes, over max_size %" PRIu64, job->total,
               self->max_size);
        return -1;
    }
    if (job->total && job->order.has_size && job->total != job->order.size) {
        job->stop_discards = true;
        s_stop(job, "size: expected %" PRIu64 " bytes, the server has %" PRIu64,
               job->order.size, job->total);
        return -1;
    }
    if (zs_dlfile_reserve(&job->file, job->total) != 0) {
        s_stop(job, "write: cannot reserve %" PRIu64 " bytes: %s", job->total,
               strerror(errno));
        return -1;
    }
    return 0;
}

//  Stop a body that grows past what the file may be. Returns true when it did
static bool
s_overflows(zs_download_t *self, s_job_t *job, size_t bytes)
{
    if (job->order.has_size && bytes > job->order.size - job->file.size) {
        s_stop(job, "size: more than the expected %" PRIu64 " bytes", job->order.size);
    } else if (bytes > self->max_size - job->file.size) {
        s_stop(job, "too large: over max_size %" PRIu64 " bytes", self->max_size);
    } else {
        return false;
    }
    job->stop_discards = true;
    return true;
}

//  Hash bytes that follow the hashed ones. Returns 0, or -1 with why the transfer stops
static int
s_hash(s_job_t *job, const void *data, size_t bytes)
{
    zs_error_t err;
    if (zs_dlhash_update(job->hash, data, bytes, &err) != 0) {
        s_stop(job, "checksum: %s", err.text);
        return -1;
    }
    job->hashed += bytes;
    return 0;
}

static int s_on_flush(zloop_t *loop, int timer_id, void *arg);

static size_t
s_on_data(char *data, size_t size, size_t count, void *arg)
{
    s_job_t *job = arg;
    zs_download_t *self = job->owner;
    size_t bytes = size * count;
    if (!job->checked && s_check_status(self, job) != 0) {
        return 0;
    }
    if (job->discard) {
        return bytes;
    }
    if (s_overflows(self, job, bytes)) {
        return 0;
    }
    if (zs_dlfile_write(&job->file, data, bytes) != 0) {
        s_stop(job, "write: %s", strerror(errno));
        return 0;
    }
    if (job->hash && s_hash(job, data, bytes) != 0) {
        return 0;
    }
    if (job->file.pending > 0 && job->flush_timer == -1) {
        //  The round's other pieces follow in this same call of libcurl's: they are
        //  written out together when the loop next runs its timers
        job->flush_timer = zloop_timer(self->loop, 0, 1, s_on_flush, self);
    }
    s_progress(self, job);
    return bytes;
}

//  ---- hops ----------------------------------------------------------------------------

static void s_on_done(void *arg, CURL *easy, CURLcode code);

static int
s_hop_start(zs_download_t *self, s_job_t *job)
{
    char range[32];
    CURL *easy = job->easy = zs_xfer_easy_new();
    job->errbuf[0] = job->stop[0] = '\0';
    curl_easy_setopt(easy, CURLOPT_URL, job->url);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, job->errbuf);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, s_on_data);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, job);
    curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, (long) ZS_DOWNLOAD_BUFFER);
    if (job->file.size > 0) {
        snprintf(range, sizeof range, "%" PRIu64 "-", job->file.size);
        curl_easy_setopt(easy, CURLOPT_RANGE, range);
    }
    job->started_ms = zclock_mono();
    return zs_xfer_start(self->xfer, easy, s_on_done, self);
}

static void
s_follow(zs_download_t *self, s_job_t *job, const char *location)
{
    char *next = NULL;
    zs_error_t err;
    if (zs_url_allow_check(self->allow, location, &next, &err) != 0) {
        char why[ZS_MSG_TEXT_MAX];
        snprintf(why, sizeof why, "refused: redirect %" PRIu64 ": %s", job->redirects + 1,
                 err.text);
        s_finish(self, job, "fail", why, NULL);
        return;
    }
    job->redirects++;
    free(job->url);
    job->url = next;
    s_transfer_end(self, job);
    if (s_hop_start(self, job) != 0) {
        s_finish(self, job, "fail", "transfer: libcurl refused the request", NULL);
    }
}

//  A 416 to a resume: the partial file is whole when the server's length is its size
static void
s_unsatisfiable(zs_download_t *self, s_job_t *job)
{
    uint64_t first = 0, length = 0;
    if (job->file.size > 0 && s_content_range(job->easy, &first, &length) &&
        length == job->file.size) {
        s_complete(self, job);
    } else {
        s_fail_discard(self, job, "http status 416");
    }
}

//  The hop's transfer read a whole response: follow it, or the file is complete
static void
s_on_response(zs_download_t *self, s_job_t *job)
{
    long status = 0;
    char *location = NULL;
    char why[ZS_MSG_TEXT_MAX];
    curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(job->easy, CURLINFO_REDIRECT_URL, &location);
    if (status >= 300 && status < 400 && location &&
        job->redirects < self->max_redirects) {
        char *copy = zs_strdup(location);  //  location dies with the easy handle
        s_follow(self, job, copy);
        free(copy);
    } else if (status == 416) {
        s_unsatisfiable(self, job);
    } else if (status >= 300 && status < 400) {
        snprintf(why, sizeof why,
                 "http status %ld: redirect not followed (limit %" PRIu64 ")", status,
                 self->max_redirects);
        s_finish(self, job, "fail", why, NULL);
    } else {
        s_complete(self, job);
    }
}

static void
s_on_done(void *arg, CURL *easy, CURLcode code)
{
    zs_download_t *self = arg;
    s_job_t *job = s_job_by_easy(self, easy);
    char why[ZS_MSG_TEXT_MAX];
    if (!job) {
        return;
    }
    //  An empty body calls no data callback: its status is looked at here
    if (code == CURLE_OK && !job->checked) {
        s_check_status(self, job);
    }
    if (job->stop[0]) {
        snprintf(why, sizeof why, "%s", job->stop);
        if (job->stop_discards) {
            s_fail_discard(self, job, why);
        } else {
            s_finish(self, job, "fail", why, NULL);
        }
    } else if (code != CURLE_OK) {
        s_finish(self, job, "fail", zs_xfer_why(code, job->errbuf, why, sizeof why),
                 NULL);
    } else {
        s_on_response(self, job);
    }
}

//  ---- timers --------------------------------------------------------------------------

static int s_on_hash_piece(zloop_t *loop, int timer_id, void *arg);

static int
s_on_timeout(zloop_t *loop, int timer_id, void *arg)
{
    zs_download_t *self = arg;
    s_job_t *job = s_job_by_timer(self, timer_id);
    if (job && job->timer == timer_id) {
        job->timer = -1;  //  one-shot: zloop drops it after this call
        char why[ZS_MSG_TEXT_MAX];
        snprintf(why, sizeof why, "timeout after %" PRIu64 " ms", job->tmo);
        s_finish(self, job, "timeout", why, NULL);
    }
    return 0;
}

//  Write out the bytes the last loop round brought
static int
s_on_flush(zloop_t *loop, int timer_id, void *arg)
{
    zs_download_t *self = arg;
    s_job_t *job = s_job_by_timer(self, timer_id);
    if (job && job->flush_timer == timer_id) {
        job->flush_timer = -1;  //  one-shot: zloop drops it after this call
        if (zs_dlfile_flush(&job->file) != 0) {
            char why[ZS_MSG_TEXT_MAX];
            snprintf(why, sizeof why, "write: %s", strerror(errno));
            s_finish(self, job, "fail", why, NULL);
        }
    }
    return 0;
}

//  Hash the next piece of the resumed prefix in the next loop round
static void
s_hash_next(zs_download_t *self, s_job_t *job)
{
    //  A one-shot timer per piece: a timer never ends itself from its own handler,
    //  which zloop handles only while it runs for the first time
    job->hash_timer = zloop_timer(self->loop, 0, 1, s_on_hash_piece, self);
}

//  One piece of the resumed prefix per loop round, then the transfer of the rest
static int
s_on_hash_piece(zloop_t *loop, int timer_id, void *arg)
{
    zs_download_t *self = arg;
    s_job_t *job = s_job_by_timer(self, timer_id);
    if (!job || job->hash_timer != timer_id) {
        return 0;
    }
    job->hash_timer = -1;  //  one-shot: zloop drops it after this call
    uint64_t left = job->file.size - job->hashed;
    size_t want = left < ZS_DOWNLOAD_HASH_PIECE ? (size_t) left : ZS_DOWNLOAD_HASH_PIECE;
    ssize_t got = zs_dlfile_read(&job->file, self->piece, want, job->hashed);
    if (got <= 0) {
        char why[ZS_MSG_TEXT_MAX];
        snprintf(why, sizeof why, "write: cannot read back the partial file: %s",
                 got < 0 ? strerror(errno) : "it shrank");
        s_fail_discard(self, job, why);
        return 0;
    }
    zs_error_t err;
    if (zs_dlhash_update(job->hash, self->piece, (size_t) got, &err) != 0) {
        char why[ZS_MSG_TEXT_MAX];
        snprintf(why, sizeof why, "checksum: %s", err.text);
        s_finish(self, job, "fail", why, NULL);
        return 0;
    }
    job->hashed += (uint64_t) got;
    if (job->hashed < job->file.size) {
        s_hash_next(self, job);
    } else if (s_hop_start(self, job) != 0) {
        s_finish(self, job, "fail", "transfer: libcurl refused the request", NULL);
    }
    return 0;
}

//  ---- starting jobs -------------------------------------------------------------------

//  How a file's refusals begin their why, by zs_dlfile_code_t
static const char *const s_dlfile_kinds[] = {
    [0] = "write",
    [ZS_DLFILE_E_REFUSED] = "refused",
    [ZS_DLFILE_E_BUSY] = "busy",
    [ZS_DLFILE_E_IO] = "write",
};

//  Check the order and open its file. Returns 0, or -1 with why filled
static int
s_job_prepare(
    zs_download_t *self, s_job_t *job, const zs_msg_t *assign, char *why, size_t size)
{
    zs_error_t err;
    zs_dlorder_t *order = &job->order;
    if (zs_dlorder_parse(order, assign->payload, assign->payload_size, &err) != 0) {
        snprintf(why, size, "payload: %s", err.text);
    } else if (zs_url_allow_check(self->allow, order->url, &job->url, &err) != 0) {
        snprintf(why, size, "refused: %s", err.text);
    } else if (!order->path && !(order->path = zs_dlorder_name(job->url))) {
        snprintf(why, size, "payload: no file name in the URL; give a path");
    } else if (order->has_size && order->size > self->max_size) {
        snprintf(why, size, "too large: size %" PRIu64 " is over max_size %" PRIu64,
                 order->size, self->max_size);
    } else if (order->has_sha256 && !(job->hash = zs_dlhash_new(&err))) {
        snprintf(why, size, "checksum: %s", err.text);
    } else if (zs_dlfile_open(&job->file, self->dir, order->path, &err) != 0) {
        snprintf(why, size, "%s: %s", s_dlfile_kinds[err.code], err.text);
    } else {
        return 0;
    }
    return -1;
}

//  A partial file longer than the file can be is no partial file of it
static int
s_partial_check(zs_download_t *self, s_job_t *job)
{
    bool too_long = job->file.size > self->max_size ||
                    (job->order.has_size && job->file.size > job->order.size);
    return too_long ? zs_dlfile_truncate(&job->file) : 0;
}

static s_job_t *
s_job_new(zs_download_t *self, const zs_msg_t *assign)
{
    char why[ZS_MSG_TEXT_MAX];
    if (!self->allow) {
        snprintf(why, sizeof why, "refused: %s", self->refusal);
        s_report(self, assign->task, assign->att, "fail", why, NULL);
        return NULL;
    }
    s_job_t *job = zs_calloc(1, sizeof *job);
    job->owner = self;
    job->timer = job->hash_timer = job->flush_timer = -1;
    job->file.fd = job->file.dir_fd = -1;
    if (s_job_prepare(self, job, assign, why, sizeof why) != 0) {
        s_report(self, assign->task, assign->att, "fail", why, NULL);
        s_job_free(self, job);
        return NULL;
    }
    if (s_partial_check(self, job) != 0) {
        snprintf(why, sizeof why, "write: cannot empty the partial file: %s",
                 strerror(errno));
        s_report(self, assign->task, assign->att, "fail", why, NULL);
        s_job_free(self, job);
        return NULL;
    }
    snprintf(job->task, sizeof job->task, "%s", assign->task);
    job->att = assign->att;
    job->tmo = assign->tmo < ZS_MSG_TMO_MAX ? assign->tmo : ZS_MSG_TMO_MAX;
    job->resumed = job->file.size;
    return job;
}

zs_download_t *
zs_download_new(zloop_t *loop, const zs_handler_sink_t *sink)
{
    assert(loop);
    assert(sink);
    zs_download_t *self = zs_calloc(1, sizeof *self);
    self->loop = loop;
    self->sink = *sink;
    self->xfer = zs_xfer_new(loop);
    self->jobs = zlistx_new();  //  czmq aborts on OOM: never NULL
    self->piece = zs_malloc(ZS_DOWNLOAD_HASH_PIECE);
    snprintf(self->refusal, sizeof self->refusal, "this agent has no allow list");
    return self;
}

void
zs_download_destroy(zs_download_t **self_p)
{
    assert(self_p);
    zs_download_t *self = *self_p;
    if (self) {
        zs_download_kill_all(self);
        zlistx_destroy(&self->jobs);
        zs_xfer_destroy(&self->xfer);
        zs_url_allow_destroy(&self->allow);
        free(self->dir);
        free(self->piece);
        free(self);
        *self_p = NULL;
    }
}

int
zs_download_configure(zs_download_t *self,
                      const zs_download_conf_t *conf,
                      zs_error_t *err)
{
    assert(self);
    assert(conf);
    zs_url_allow_destroy(&self->allow);
    free(self->dir);
    self->dir = NULL;
    self->max_size = conf->max_size ? conf->max_size : ZS_DOWNLOAD_MAX_SIZE_DEFAULT;
    self->max_redirects = conf->max_redirects < ZS_DOWNLOAD_REDIRECTS_MAX
                              ? conf->max_redirects
                              : ZS_DOWNLOAD_REDIRECTS_MAX;
    zs_url_allow_t *allow = NULL;
    if (!conf->dir || conf->dir[0] != '/') {
        zs_error_set(err, 0, "dir must be an absolute path");
    } else {
        allow = zs_url_allow_new(conf->allow, conf->allow_count, err);
    }
    if (!allow) {
        snprintf(self->refusal, sizeof self->refusal, "bad download settings: %.400s",
                 err->text);
        return -1;
    }
    self->dir = zs_strdup(conf->dir);
    self->allow = allow;
    return 0;
}

void
zs_download_start(zs_download_t *self, const zs_msg_t *assign)
{
    assert(self);
    assert(assign);
    s_job_t *job = s_job_new(self, assign);
    if (!job) {
        return;
    }
    job->handle = zlistx_add_end(self->jobs, job);
    if (job->hash && job->file.size > 0) {
        s_hash_next(self, job);
    } else if (s_hop_start(self, job) != 0) {
        s_finish(self, job, "fail", "transfer: libcurl refused the request", NULL);
        return;
    }
    if (job->tmo > 0) {
        job->timer = zloop_timer(self->loop, (size_t) job->tmo, 1, s_on_timeout, self);
    }
    self->sink.started(self->sink.owner, job->task, job->att);
}

int
zs_download_cancel(zs_download_t *self, const char *task, uint64_t att)
{
    assert(self);
    assert(task);
    s_job_t *job = s_job_by_attempt(self, task, att);
    if (!job) {
        return ZS_HANDLER_E_NO_JOB;
    }
    s_finish(self, job, "cancelled", "cancelled", NULL);
    return 0;
}

size_t
zs_download_running(zs_download_t *self)
{
    assert(self);
    return zlistx_size(self->jobs);
}

void
zs_download_kill_all(zs_download_t *self)
{
    assert(self);
    s_job_t *job;
    while ((job = zlistx_first(self->jobs))) {
        zlistx_delete(self->jobs, job->handle);
        s_job_free(self, job);
    }
}

//  ---- the welcome ---------------------------------------------------------------------

void
zs_download_conf_from_welcome(zs_download_conf_t *conf, const zs_msg_t *welcome)
{
    assert(conf);
    assert(welcome);
    memset(conf, 0, sizeof *conf);
    conf->allow = welcome->allow.items;
    conf->allow_count = welcome->allow.count;
    conf->dir = welcome->dir;
    conf->max_size = welcome->max_size;
    conf->max_redirects = welcome->max_redirects;
}

//  ---- the handler table's view --------------------------------------------------------

static void *
s_ops_new(zloop_t *loop, const zs_handler_sink_t *sink)
{
    return zs_download_new(loop, sink);
}

static void
s_ops_destroy(void **self_p)
{
    zs_download_t *self = *self_p;
    zs_download_destroy(&self);
    *self_p = NULL;
}

static void
s_ops_configure(void *self, const zs_msg_t *welcome)
{
    zs_download_conf_t conf;
    zs_error_t err;
    zs_download_conf_from_welcome(&conf, welcome);
    if (zs_download_configure(self, &conf, &err) != 0) {
        zsys_error("download settings from the welcome refused: %s", err.text);
    }
}

static void
s_ops_start(void *self, const zs_msg_t *assign)
{
    zs_download_start(self, assign);
}

static int
s_ops_cancel(void *self, const char *task, uint64_t att)
{
    return zs_download_cancel(self, task, att);
}

static size_t
s_ops_running(void *self)
{
    return zs_download_running(self);
}

static void
s_ops_kill_all(void *self)
{
    zs_download_kill_all(self);
}

const zs_handler_ops_t zs_download_ops = {
    .name = "download",
    .instance_new = s_ops_new,
    .instance_destroy = s_ops_destroy,
    .configure = s_ops_configure,
    .start = s_ops_start,
    .cancel = s_ops_cancel,
    .running = s_ops_running,
    .reaped = NULL,
    .kill_all = s_ops_kill_all,
    .recv = NULL,
};
