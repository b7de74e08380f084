//  zs_xfer - see zs_xfer.h

#include "agent/zs_xfer.h"
#include "common/zs_util.h"

#include <stdio.h>
#include <stdlib.h>

//  One started transfer
typedef struct {
    CURL *easy;             //  borrowed: the caller's handle
    zs_xfer_done_fn *done;  //  called once when it ends
    void *arg;              //  done's argument
    void *handle;           //  its node in the instance's list
} s_xfer_t;

struct _zs_xfer_t {
    zloop_t *loop;        //  borrowed: polls the sockets, runs the timer
    CURLM *multi;         //  owned: every transfer of this instance
    int timer;            //  zloop timer id of libcurl's next timeout, or -1
    zlistx_t *transfers;  //  s_xfer_t, owned (freed by this module)
    bool in_action;       //  inside curl_multi_socket_action, for the asserts
};

//  ---- finding transfers ---------------------------------------------------------------
//  Transfers are found by their easy handle; no loop callback carries a transfer.

static s_xfer_t *
s_xfer_by_easy(zs_xfer_t *self, CURL *easy)
{
    s_xfer_t *xfer = zlistx_first(self->transfers);
    while (xfer && xfer->easy != easy) {
        xfer = zlistx_next(self->transfers);
    }
    return xfer;
}

static void
s_xfer_forget(zs_xfer_t *self, s_xfer_t *xfer)
{
    curl_multi_remove_handle(self->multi, xfer->easy);
    zlistx_delete(self->transfers, xfer->handle);
    free(xfer);
}

//  ---- ended transfers -----------------------------------------------------------------

//  Hand every transfer libcurl says ended to its done. A done may start or abort
//  others: libcurl's message queue allows that between reads, and an aborted
//  transfer's message leaves the queue with it
static void
s_report_done(zs_xfer_t *self)
{
    int left = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(self->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        //  msg dies with the handle's removal: copy what is needed first
        CURL *easy = msg->easy_handle;
        CURLcode code = msg->data.result;
        s_xfer_t *xfer = s_xfer_by_easy(self, easy);
        if (!xfer) {
            continue;  //  not ours: cannot happen, as only zs_xfer_start adds
        }
        zs_xfer_done_fn *done = xfer->done;
        void *arg = xfer->arg;
        s_xfer_forget(self, xfer);
        done(arg, easy, code);
    }
}

static void
s_act(zs_xfer_t *self, curl_socket_t fd, int flags)
{
    int running = 0;
    self->in_action = true;
    //  Fails only on a bad multi handle or OOM, neither of which a caller can act on;
    //  a transfer's own failure comes as its done code
    curl_multi_socket_action(self->multi, fd, flags, &running);
    self->in_action = false;
    s_report_done(self);
}

//  ---- loop callbacks ------------------------------------------------------------------

static int
s_on_socket(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    zs_xfer_t *self = arg;
    int flags = (item->revents & ZMQ_POLLIN ? CURL_CSELECT_IN : 0) |
                (item->revents & ZMQ_POLLOUT ? CURL_CSELECT_OUT : 0) |
                (item->revents & ZMQ_POLLERR ? CURL_CSELECT_ERR : 0);
    //  A socket libcurl dropped earlier this round is unknown to it and ignored
    s_act(self, item->fd, flags);
    return 0;
}

static int
s_on_timer(zloop_t *loop, int timer_id, void *arg)
{
    zs_xfer_t *self = arg;
    //  A timer replaced earlier in this round may still fire once: only ours counts
    if (timer_id == self->timer) {
        self->timer = -1;  //  one-shot: zloop drops it after this call
        s_act(self, CURL_SOCKET_TIMEOUT, 0);
    }
    return 0;
}

//  ---- libcurl callbacks ---------------------------------------------------------------
//  libcurl calls these from within its own calls, and only when something changed.

static void
s_poller_end(zs_xfer_t *self, curl_socket_t fd)
{
    zmq_pollitem_t item = {NULL, fd, 0, 0};
    zloop_poller_end(self->loop, &item);
}

//  libcurl's interest in fd changed: the poller is replaced, since zloop cannot
//  change a poller's events in place
static int
s_on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *socketp)
{
    zs_xfer_t *self = arg;
    s_poller_end(self, fd);
    if (what == CURL_POLL_REMOVE) {
        return 0;
    }
    short events = (short) ((what & CURL_POLL_IN ? ZMQ_POLLIN : 0) |
                            (what & CURL_POLL_OUT ? ZMQ_POLLOUT : 0));
    zmq_pollitem_t item = {NULL, fd, events, 0};
    //  Fails only on OOM, where czmq aborts, or for a bad socket, and this is an fd
    zloop_poller(self->loop, &item, s_on_socket, self);
    //  A hangup comes as ZMQ_POLLERR: libcurl reads it as CURL_CSELECT_ERR, and zloop
    //  must not silently drop the poller for it
    zloop_poller_set_tolerant(self->loop, &item);
    return 0;
}

static void
s_timer_stop(zs_xfer_t *self)
{
    if (self->timer != -1) {
        zloop_timer_end(self->loop, self->timer);
        self->timer = -1;
    }
}

static int
s_on_curl_timer(CURLM *multi, long timeout_ms, void *arg)
{
    zs_xfer_t *self = arg;
    s_timer_stop(self);
    if (timeout_ms >= 0) {
        //  Fails only on OOM, where czmq aborts. A 0 ms timer fires next loop round,
        //  which is what libcurl asks for: never act from within its callback
        self->timer = zloop_timer(self->loop, (size_t) timeout_ms, 1, s_on_timer, self);
    }
    return 0;
}

//  ---- lifecycle -----------------------------------------------------------------------

static void
s_oom(const char *what)
{
    zsys_error("out of memory: %s", what);
    abort();
}

zs_xfer_t *
zs_xfer_new(zloop_t *loop)
{
    assert(loop);
    zs_xfer_t *self = zs_calloc(1, sizeof *self);
    self->loop = loop;
    self->timer = -1;
    self->transfers = zlistx_new();  //  czmq aborts on OOM: never NULL
    self->multi = curl_multi_init();
    if (!self->multi) {
        s_oom("curl_multi_init");
    }
    curl_multi_setopt(self->multi, CURLMOPT_SOCKETFUNCTION, s_on_curl_socket);
    curl_multi_setopt(self->multi, CURLMOPT_SOCKETDATA, self);
    curl_multi_setopt(self->multi, CURLMOPT_TIMERFUNCTION, s_on_curl_timer);
    curl_multi_setopt(self->multi, CURLMOPT_TIMERDATA, self);
    return self;
}

void
zs_xfer_destroy(zs_xfer_t **self_p)
{
    assert(self_p);
    zs_xfer_t *self = *self_p;
    if (self) {
        s_xfer_t *xfer;
        while ((xfer = zlistx_first(self->transfers))) {
            s_xfer_forget(self, xfer);
        }
        //  Closing the cached connections ends their pollers through s_on_curl_socket
        curl_multi_cleanup(self->multi);
        s_timer_stop(self);
        zlistx_destroy(&self->transfers);
        free(self);
        *self_p = NULL;
    }
}

CURL *
zs_xfer_easy_new(void)
{
    CURL *easy = curl_easy_init();
    if (!easy) {
        s_oom("curl_easy_init");
    }
    //  Each of these fails only for an option this libcurl lacks, and meson requires
    //  one that has them all (>= 7.87)
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, ZS_XFER_PROTOCOLS);
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, ZS_XFER_PROTOCOLS);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long) ZS_XFER_CONNECT_MS);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, ZS_XFER_AGENT);
    //  An abort while a name is still being resolved would otherwise wait, in the
    //  loop, for the resolver thread's getaddrinfo to return: seconds on a slow DNS
    curl_easy_setopt(easy, CURLOPT_QUICK_EXIT, 1L);
    return easy;
}

int
zs_xfer_start(zs_xfer_t *self, CURL *easy, zs_xfer_done_fn *done, void *arg)
{
    assert(self);
    assert(easy);
    assert(done);
    if (curl_multi_add_handle(self->multi, easy) != CURLM_OK) {
        return -1;
    }
    //  libcurl asks for a 0 ms timeout here: the transfer begins next loop round
    s_xfer_t *xfer = zs_calloc(1, sizeof *xfer);
    xfer->easy = easy;
    xfer->done = done;
    xfer->arg = arg;
    xfer->handle = zlistx_add_end(self->transfers, xfer);
    return 0;
}

void
zs_xfer_abort(zs_xfer_t *self, CURL *easy)
{
    assert(self);
    assert(!self->in_action);
    s_xfer_t *xfer = s_xfer_by_easy(self, easy);
    if (xfer) {
        s_xfer_forget(self, xfer);
    }
}

size_t
zs_xfer_running(zs_xfer_t *self)
{
    assert(self);
    return zlistx_size(self->transfers);
}

//  ---- failure kinds -------------------------------------------------------------------

static const struct {
    CURLcode code;     //  libcurl's result
    const char *kind;  //  what results call it
} s_kinds[] = {
    {CURLE_OK, "ok"},
    {CURLE_UNSUPPORTED_PROTOCOL, "refused"},
    {CURLE_URL_MALFORMAT, "refused"},
    {CURLE_COULDNT_RESOLVE_PROXY, "dns"},
    {CURLE_COULDNT_RESOLVE_HOST, "dns"},
    {CURLE_COULDNT_CONNECT, "connect"},
    {CURLE_OPERATION_TIMEDOUT, "timeout"},
    {CURLE_SSL_CONNECT_ERROR, "tls"},
    {CURLE_PEER_FAILED_VERIFICATION, "tls"},
    {CURLE_SSL_ENGINE_NOTFOUND, "tls"},
    {CURLE_SSL_ENGINE_SETFAILED, "tls"},
    {CURLE_SSL_CERTPROBLEM, "tls"},
    {CURLE_SSL_CIPHER, "tls"},
    {CURLE_SSL_CACERT_BADFILE, "tls"},
    {CURLE_SSL_SHUTDOWN_FAILED, "tls"},
    {CURLE_SSL_CRL_BADFILE, "tls"},
    {CURLE_SSL_ISSUER_ERROR, "tls"},
    {CURLE_SSL_PINNEDPUBKEYNOTMATCH, "tls"},
    {CURLE_SSL_INVALIDCERTSTATUS, "tls"},
    {CURLE_SSL_CLIENTCERT, "tls"},
    {CURLE_USE_SSL_FAILED, "tls"},
    {CURLE_TOO_MANY_REDIRECTS, "redirect"},
    {CURLE_FILESIZE_EXCEEDED, "too large"},
    {CURLE_SEND_ERROR, "network"},
    {CURLE_RECV_ERROR, "network"},
    {CURLE_GOT_NOTHING, "network"},
    {CURLE_PARTIAL_FILE, "network"},
    {CURLE_WEIRD_SERVER_REPLY, "network"},
    {CURLE_HTTP2, "network"},
    {CURLE_HTTP2_STREAM, "network"},
    {CURLE_WRITE_ERROR, "write"},
};

const char *
zs_xfer_kind(CURLcode code)
{
    for (size_t i = 0; i < sizeof s_kinds / sizeof s_kinds[0]; i++) {
        if (s_kinds[i].code == code) {
            return s_kinds[i].kind;
        }
    }
    return "transfer";
}

const char *
zs_xfer_why(CURLcode code, const char *detail, char *why, size_t size)
{
    assert(why);
    assert(size > 0);
    char text[CURL_ERROR_SIZE];
    //  The error buffer may hold text from a server (a host name, a status line)
    zs_sanitize_str(text, sizeof text,
                    detail && detail[0] ? detail : curl_easy_strerror(code));
    snprintf(why, size, "%s: %s", zs_xfer_kind(code), text);
    zs_utf8_trim(why);
    return why;
}
