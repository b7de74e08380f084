//  zs_http - see zs_http.h

#include "agent/zs_http.h"
#include "agent/zs_http_req.h"
#include "agent/zs_url.h"
#include "agent/zs_xfer.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define ZS_HTTP_BUF_MIN    4096  //  first allocation of a response body
#define ZS_HTTP_SAMPLE_MAX 200   //  bytes of a URL quoted in a reason

//  A response body being read, bounded by the handler's body bound
typedef struct {
    uint8_t *data;    //  owned; NULL until the first byte
    size_t size;      //  bytes read
    size_t capacity;  //  bytes allocated
} s_body_t;

//  One running attempt: a request, hop after hop as redirects say
typedef struct {
    char task[ZS_MSG_NAME_MAX + 1];  //  task id
    uint64_t att;                    //  attempt number
    uint64_t tmo;                    //  the attempt's timeout, ms; 0 for none
    int timer;                       //  zloop timer id of tmo, or -1
    zs_http_req_t req;               //  the request of the current hop, owned
    char *url;                       //  owned: normalised URL of the current hop
    CURL *easy;                      //  owned: the current hop's transfer
    char errbuf[CURL_ERROR_SIZE];    //  libcurl's words on a failure
    s_body_t body;                   //  the current hop's response body
    size_t body_max;                 //  bound of body.size
    bool too_large;                  //  the body passed its bound: transfer stopped
    uint64_t redirects;              //  redirects followed so far
    void *handle;                    //  its node in the handler's list
} s_job_t;

struct _zs_http_t {
    zloop_t *loop;                    //  borrowed: runs the timers
    zs_handler_sink_t sink;           //  where jobs are reported
    zs_xfer_t *xfer;                  //  owned: every transfer of this handler
    zs_url_allow_t *allow;            //  owned: where tasks may go; NULL refuses all
    char refusal[ZS_ERROR_TEXT_MAX];  //  why tasks are refused while allow is NULL
    size_t body_max;                  //  response body bound, bytes
    uint64_t max_redirects;           //  redirects followed per attempt
    char **select;                    //  owned: lowercase response headers returned
    size_t select_count;              //  their number
    zlistx_t *jobs;                   //  s_job_t, owned (freed by this module)
};

//  ---- finding jobs --------------------------------------------------------------------
//  Loop callbacks carry the handler, never a job, and find it by key.

static s_job_t *
s_job_by_attempt(zs_http_t *self, const char *task, uint64_t att)
{
    s_job_t *job = zlistx_first(self->jobs);
    while (job && !(job->att == att && streq(job->task, task))) {
        job = zlistx_next(self->jobs);
    }
    return job;
}

static s_job_t *
s_job_by_easy(zs_http_t *self, CURL *easy)
{
    s_job_t *job = zlistx_first(self->jobs);
    while (job && job->easy != easy) {
        job = zlistx_next(self->jobs);
    }
    return job;
}

static s_job_t *
s_job_by_timer(zs_http_t *self, int timer)
{
    s_job_t *job = zlistx_first(self->jobs);
    while (job && job->timer != timer) {
        job = zlistx_next(self->jobs);
    }
    return job;
}

//  ---- ending jobs ---------------------------------------------------------------------

static void
s_report(zs_http_t *self,
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
s_transfer_end(zs_http_t *self, s_job_t *job)
{
    if (job->easy) {
        zs_xfer_abort(self->xfer, job->easy);  //  nothing when it already ended
        curl_easy_cleanup(job->easy);
        job->easy = NULL;
    }
    free(job->body.data);
    memset(&job->body, 0, sizeof job->body);
    job->too_large = false;
}

static void
s_job_free(zs_http_t *self, s_job_t *job)
{
    if (job->timer != -1) {
        zloop_timer_end(self->loop, job->timer);
    }
    s_transfer_end(self, job);
    zs_http_req_fini(&job->req);
    free(job->url);
    free(job);
}

//  Report the job and free it; out (JSON) may be NULL
static void
s_finish(
    zs_http_t *self, s_job_t *job, const char *status, const char *why, const char *out)
{
    zlistx_delete(self->jobs, job->handle);
    s_report(self, job->task, job->att, status, why, out);
    s_job_free(self, job);
}

//  ---- the result ----------------------------------------------------------------------

static json_t *
s_text(const uint8_t *data, size_t size)
{
    if (zs_msg_text_valid((const char *) data, size)) {
        return json_stringn((const char *) data, size);
    }
    char sample[ZS_MSG_TEXT_MAX];
    zs_sanitize(sample, sizeof sample, data, size);
    return json_string(sample);
}

//  The selected response headers of the current hop, repeated ones joined by ", "
static json_t *
s_headers(zs_http_t *self, s_job_t *job)
{
    json_t *headers = json_object();
    for (size_t i = 0; i < self->select_count; i++) {
        struct curl_header *header;
        const char *name = self->select[i];
        if (curl_easy_header(job->easy, name, 0, CURLH_HEADER, -1, &header) !=
            CURLHE_OK) {
            continue;
        }
        size_t amount = header->amount;
        char *joined = zs_strdup(header->value);
        for (size_t at = 1; at < amount; at++) {
            if (curl_easy_header(job->easy, name, at, CURLH_HEADER, -1, &header) ==
                CURLHE_OK) {
                size_t size = strlen(joined) + strlen(header->value) + 3;
                char *longer = zs_malloc(size);
                snprintf(longer, size, "%s, %s", joined, header->value);
                free(joined);
                joined = longer;
            }
        }
        json_object_set_new(headers, name,
                            s_text((const uint8_t *) joined, strlen(joined)));
        free(joined);
    }
    return headers;
}

static json_t *
s_base64(const uint8_t *data, size_t size)
{
    size_t len = sodium_base64_encoded_len(size, sodium_base64_VARIANT_ORIGINAL);
    char *text = zs_malloc(len);
    sodium_bin2base64(text, len, data, size, sodium_base64_VARIANT_ORIGINAL);
    json_t *value = json_string(text);
    free(text);
    return value;
}

//  stdout of a result: {status, url, headers, body | body_base64}; caller frees
static char *
s_result_json(zs_http_t *self, s_job_t *job, long status)
{
    json_t *root = json_object();
    json_object_set_new(root, "status", json_integer(status));
    json_object_set_new(root, "url", json_string(job->url));
    json_object_set_new(root, "headers", s_headers(self, job));
    const uint8_t *data = job->body.data ? job->body.data : (const uint8_t *) "";
    if (zs_msg_text_valid((const char *) data, job->body.size)) {
        json_object_set_new(root, "body",
                            json_stringn((const char *) data, job->body.size));
    } else {
        json_object_set_new(root, "body_base64", s_base64(data, job->body.size));
    }
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!text) {
        zsys_error("out of memory: json_dumps");
        abort();
    }
    return text;
}

//  The response of the last hop is the attempt's result; note (may be NULL) goes in
//  the why of a success
static void
s_answer(zs_http_t *self, s_job_t *job, long status, const char *note)
{
    char why[ZS_MSG_TEXT_MAX];
    char *out = s_result_json(self, job, status);
    if (strlen(out) > ZS_MSG_OUTPUT_MAX) {
        snprintf(why, sizeof why,
                 "too large: result of %zu bytes is over the %u-byte stdout bound",
                 strlen(out), ZS_MSG_OUTPUT_MAX);
        s_finish(self, job, "fail", why, NULL);
    } else if (status >= 200 && status < 400) {
        s_finish(self, job, "ok", note, out);
    } else {
        snprintf(why, sizeof why, "http status %ld", status);
        s_finish(self, job, "fail", why, out);
    }
    free(out);
}

//  ---- hops ----------------------------------------------------------------------------

static size_t
s_on_body(char *data, size_t size, size_t count, void *arg)
{
    s_job_t *job = arg;
    size_t bytes = size * count;
    if (bytes > job->body_max - job->body.size) {
        job->too_large = true;
        return 0;  //  libcurl stops the transfer: CURLE_WRITE_ERROR
    }
    if (job->body.size + bytes > job->body.capacity) {
        size_t capacity = job->body.capacity ? job->body.capacity : ZS_HTTP_BUF_MIN;
        while (capacity < job->body.size + bytes) {
            capacity *= 2;
        }
        job->body.data = zs_realloc(job->body.data, capacity);
        job->body.capacity = capacity;
    }
    memcpy(job->body.data + job->body.size, data, bytes);
    job->body.size += bytes;
    return bytes;
}

static void s_on_done(void *arg, CURL *easy, CURLcode code);

//  Set up and start the current hop's transfer. Returns 0, or -1 when libcurl refused
static int
s_hop_start(zs_http_t *self, s_job_t *job)
{
    CURL *easy = job->easy = zs_xfer_easy_new();
    job->errbuf[0] = '\0';
    curl_easy_setopt(easy, CURLOPT_URL, job->url);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, job->errbuf);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, job);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, job->req.headers);
    if (strcmp(job->req.method, "HEAD") == 0) {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else if (zs_http_req_has_body(&job->req)) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t) job->req.body_size);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS,
                         job->req.body ? (char *) job->req.body : "");
    }
    if (strcmp(job->req.method, "GET") && strcmp(job->req.method, "HEAD") &&
        strcmp(job->req.method, "POST")) {
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, job->req.method);
    }
    return zs_xfer_start(self->xfer, easy, s_on_done, self);
}

static bool
s_is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 ||
           status == 308;
}

//  Go where a redirect says, when the allow list lets us; else the attempt fails
static void
s_follow(zs_http_t *self, s_job_t *job, long status, const char *location)
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
    if (!zs_url_same_origin(job->url, next)) {
        zs_http_req_drop_credentials(&job->req);
    }
    bool was_post = strcmp(job->req.method, "POST") == 0;
    if ((status == 303 && strcmp(job->req.method, "HEAD")) ||
        ((status == 301 || status == 302) && was_post)) {
        zs_http_req_make_get(&job->req);
    }
    job->redirects++;
    free(job->url);
    job->url = next;
    s_transfer_end(self, job);
    if (s_hop_start(self, job) != 0) {
        s_finish(self, job, "fail", "transfer: libcurl refused the request", NULL);
    }
}

static void
s_on_done(void *arg, CURL *easy, CURLcode code)
{
    zs_http_t *self = arg;
    s_job_t *job = s_job_by_easy(self, easy);
    if (!job) {
        return;
    }
    char why[ZS_MSG_TEXT_MAX];
    if (job->too_large) {
        snprintf(why, sizeof why, "too large: body over %zu bytes", job->body_max);
        s_finish(self, job, "fail", why, NULL);
        return;
    }
    if (code != CURLE_OK) {
        s_finish(self, job, "fail", zs_xfer_why(code, job->errbuf, why, sizeof why),
                 NULL);
        return;
    }
    long status = 0;
    char *location = NULL;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(easy, CURLINFO_REDIRECT_URL, &location);
    if (s_is_redirect(status) && location && job->redirects < self->max_redirects) {
        char *copy = zs_strdup(location);  //  location dies with the easy handle
        s_follow(self, job, status, copy);
        free(copy);
    } else if (s_is_redirect(status) && location) {
        snprintf(why, sizeof why, "redirect not followed: the limit is %" PRIu64,
                 self->max_redirects);
        s_answer(self, job, status, why);
    } else {
        s_answer(self, job, status, NULL);
    }
}

static int
s_on_timeout(zloop_t *loop, int timer_id, void *arg)
{
    zs_http_t *self = arg;
    s_job_t *job = s_job_by_timer(self, timer_id);
    if (job) {
        job->timer = -1;  //  one-shot: zloop drops it after this call
        char why[ZS_MSG_TEXT_MAX];
        snprintf(why, sizeof why, "timeout after %" PRIu64 " ms", job->tmo);
        s_finish(self, job, "timeout", why, NULL);
    }
    return 0;
}

//  ---- starting jobs -------------------------------------------------------------------

//  A job for assign, its request checked; NULL after reporting the refusal
static s_job_t *
s_job_new(zs_http_t *self, const zs_msg_t *assign)
{
    char why[ZS_MSG_TEXT_MAX];
    zs_error_t err;
    if (!self->allow) {
        snprintf(why, sizeof why, "refused: %s", self->refusal);
        s_report(self, assign->task, assign->att, "fail", why, NULL);
        return NULL;
    }
    s_job_t *job = zs_calloc(1, sizeof *job);
    job->timer = -1;
    if (zs_http_req_parse(&job->req, assign->payload, assign->payload_size, &err) != 0) {
        snprintf(why, sizeof why, "payload: %s", err.text);
    } else if (zs_url_allow_check(self->allow, job->req.url, &job->url, &err) != 0) {
        snprintf(why, sizeof why, "refused: %s", err.text);
    } else {
        snprintf(job->task, sizeof job->task, "%s", assign->task);
        job->att = assign->att;
        job->tmo = assign->tmo < ZS_MSG_TMO_MAX ? assign->tmo : ZS_MSG_TMO_MAX;
        job->body_max = self->body_max;
        return job;
    }
    s_report(self, assign->task, assign->att, "fail", why, NULL);
    s_job_free(self, job);
    return NULL;
}

zs_http_t *
zs_http_new(zloop_t *loop, const zs_handler_sink_t *sink)
{
    assert(loop);
    assert(sink);
    zs_http_t *self = zs_calloc(1, sizeof *self);
    self->loop = loop;
    self->sink = *sink;
    self->xfer = zs_xfer_new(loop);
    self->jobs = zlistx_new();  //  czmq aborts on OOM: never NULL
    snprintf(self->refusal, sizeof self->refusal, "this agent has no allow list");
    return self;
}

static void
s_select_free(zs_http_t *self)
{
    zs_strings_free(self->select, self->select_count);
    self->select = NULL;
    self->select_count = 0;
}

void
zs_http_destroy(zs_http_t **self_p)
{
    assert(self_p);
    zs_http_t *self = *self_p;
    if (self) {
        zs_http_kill_all(self);
        zlistx_destroy(&self->jobs);
        zs_xfer_destroy(&self->xfer);
        zs_url_allow_destroy(&self->allow);
        s_select_free(self);
        free(self);
        *self_p = NULL;
    }
}

//  The response headers to return, lowercased; -1 with err on a bad name
static int
s_select_set(zs_http_t *self, const zs_http_conf_t *conf, zs_error_t *err)
{
    static const char *const fallback[] = {"content-type"};
    const char *const *names = conf->header_count ? conf->headers : fallback;
    size_t count = conf->header_count ? conf->header_count : 1;
    if (count > ZS_HTTP_SELECT_MAX) {
        return zs_error_set(err, 0, "headers: more than %d", ZS_HTTP_SELECT_MAX);
    }
    for (size_t i = 0; i < count; i++) {
        char sample[ZS_HTTP_SAMPLE_MAX];
        if (!zs_http_req_token_valid(names[i])) {
            return zs_error_set(err, 0, "headers: '%s' is not a header name",
                                zs_sanitize_str(sample, sizeof sample, names[i]));
        }
    }
    self->select = zs_strings_copy(names, count);
    self->select_count = count;
    for (size_t i = 0; i < count; i++) {
        for (char *c = self->select[i]; *c; c++) {
            *c = (char) tolower((unsigned char) *c);
        }
    }
    return 0;
}

int
zs_http_configure(zs_http_t *self, const zs_http_conf_t *conf, zs_error_t *err)
{
    assert(self);
    assert(conf);
    zs_url_allow_destroy(&self->allow);
    s_select_free(self);
    uint64_t max_body = conf->max_body ? conf->max_body : ZS_HTTP_MAX_BODY_DEFAULT;
    self->body_max = max_body < ZS_HTTP_BODY_MAX ? (size_t) max_body : ZS_HTTP_BODY_MAX;
    self->max_redirects = conf->max_redirects < ZS_HTTP_REDIRECTS_MAX
                              ? conf->max_redirects
                              : ZS_HTTP_REDIRECTS_MAX;
    zs_url_allow_t *allow = NULL;
    int rc = s_select_set(self, conf, err);
    if (rc == 0) {
        allow = zs_url_allow_new(conf->allow, conf->allow_count, err);
        rc = allow ? 0 : -1;
    }
    if (rc != 0) {
        snprintf(self->refusal, sizeof self->refusal, "bad http settings: %.400s",
                 err->text);
        return -1;
    }
    self->allow = allow;
    return 0;
}

void
zs_http_start(zs_http_t *self, const zs_msg_t *assign)
{
    assert(self);
    assert(assign);
    s_job_t *job = s_job_new(self, assign);
    if (!job) {
        return;
    }
    if (zs_http_req_has_body(&job->req)) {
        //  Expect: 100-continue costs a round trip and buys nothing here
        zs_http_req_append(&job->req, "Expect:");
    }
    job->handle = zlistx_add_end(self->jobs, job);
    if (s_hop_start(self, job) != 0) {
        s_finish(self, job, "fail", "transfer: libcurl refused the request", NULL);
        return;
    }
    if (job->tmo > 0) {
        job->timer = zloop_timer(self->loop, (size_t) job->tmo, 1, s_on_timeout, self);
    }
    self->sink.started(self->sink.owner, job->task, job->att);
}

int
zs_http_cancel(zs_http_t *self, const char *task, uint64_t att)
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
zs_http_running(zs_http_t *self)
{
    assert(self);
    return zlistx_size(self->jobs);
}

void
zs_http_kill_all(zs_http_t *self)
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
zs_http_conf_from_welcome(zs_http_conf_t *conf, const zs_msg_t *welcome)
{
    assert(conf);
    assert(welcome);
    memset(conf, 0, sizeof *conf);
    conf->allow = welcome->allow.items;
    conf->allow_count = welcome->allow.count;
    conf->max_body = welcome->max_body;
    conf->max_redirects = welcome->max_redirects;
    conf->headers = welcome->headers.items;
    conf->header_count = welcome->headers.count;
}

//  ---- the handler table's view --------------------------------------------------------

static void *
s_ops_new(zloop_t *loop, const zs_handler_sink_t *sink)
{
    return zs_http_new(loop, sink);
}

static void
s_ops_destroy(void **self_p)
{
    zs_http_t *self = *self_p;
    zs_http_destroy(&self);
    *self_p = NULL;
}

static void
s_ops_configure(void *self, const zs_msg_t *welcome)
{
    zs_http_conf_t conf;
    zs_error_t err;
    zs_http_conf_from_welcome(&conf, welcome);
    if (zs_http_configure(self, &conf, &err) != 0) {
        zsys_error("http settings from the welcome refused: %s", err.text);
    }
}

static void
s_ops_start(void *self, const zs_msg_t *assign)
{
    zs_http_start(self, assign);
}

static int
s_ops_cancel(void *self, const char *task, uint64_t att)
{
    return zs_http_cancel(self, task, att);
}

static size_t
s_ops_running(void *self)
{
    return zs_http_running(self);
}

static void
s_ops_kill_all(void *self)
{
    zs_http_kill_all(self);
}

const zs_handler_ops_t zs_http_ops = {
    .name = "http",
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
