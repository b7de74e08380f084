//  test_xfer - libcurl transfers in a zloop, against a responder in the same loop
//  (zs_test_http.h): many at once, a hang that does not stop the loop, aborts that
//  end at once and never report, and the house defaults of every handle

#include "agent/zs_xfer.h"
#include "tests/unit/zs_test.h"
#include "tests/unit/zs_test_http.h"

#define S_DEADLINE_MS 10000  //  a case whose transfers are not done by then fails
#define S_DONE_MAX    64     //  transfers one case may start
#define S_MANY        40     //  transfers at once in the concurrency case
#define S_TICK_MS     5      //  the ticker's interval: the loop's pulse

//  One transfer and what it received
typedef struct {
    CURL *easy;       //  owned
    char body[4096];  //  the response body, truncated
    size_t size;      //  its length
    bool done;        //  done was called
    int done_calls;   //  how often
    CURLcode code;    //  done's code
} s_transfer_t;

typedef struct {
    zloop_t *loop;                   //  runs the responder and the transfers
    zs_test_http_t http;             //  the responder
    zs_xfer_t *xfer;                 //  under test
    s_transfer_t xfers[S_DONE_MAX];  //  the transfers started
    size_t count;                    //  their number
    size_t done;                     //  done calls so far
    size_t expected;                 //  the loop stops when done reaches it
    size_t ticks;                    //  ticker calls so far
    int (*on_tick)(zloop_t *loop, int timer_id, void *arg);  //  a case's own tick work
} s_fixture_t;

static int
s_stop(zloop_t *loop, int timer_id, void *arg)
{
    return -1;
}

static size_t
s_on_body(char *data, size_t size, size_t count, void *arg)
{
    s_transfer_t *xfer = arg;
    size_t bytes = size * count;
    size_t room = sizeof xfer->body - 1 - xfer->size;
    size_t keep = bytes < room ? bytes : room;
    memcpy(xfer->body + xfer->size, data, keep);
    xfer->size += keep;
    xfer->body[xfer->size] = '\0';
    return bytes;
}

static void
s_on_done(void *arg, CURL *easy, CURLcode code)
{
    s_fixture_t *fx = arg;
    for (size_t i = 0; i < fx->count; i++) {
        if (fx->xfers[i].easy == easy) {
            fx->xfers[i].done = true;
            fx->xfers[i].done_calls++;
            fx->xfers[i].code = code;
        }
    }
    if (++fx->done == fx->expected) {
        zloop_timer(fx->loop, 0, 1, s_stop, NULL);
    }
}

static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    s_fixture_t *fx = arg;
    fx->ticks++;
    return fx->on_tick ? fx->on_tick(loop, timer_id, arg) : 0;
}

static s_fixture_t *
s_fixture_new(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    s_fixture_t *fx = zs_calloc(1, sizeof *fx);
    fx->loop = zloop_new();
    zs_test_http_init(&fx->http, fx->loop);
    fx->xfer = zs_xfer_new(fx->loop);
    zloop_timer(fx->loop, S_TICK_MS, 0, s_on_tick, fx);
    return fx;
}

static void
s_fixture_destroy(s_fixture_t **fx_p)
{
    s_fixture_t *fx = *fx_p;
    zs_xfer_destroy(&fx->xfer);
    for (size_t i = 0; i < fx->count; i++) {
        curl_easy_cleanup(fx->xfers[i].easy);
    }
    zs_test_http_fini(&fx->http);
    zloop_destroy(&fx->loop);
    free(fx);
    *fx_p = NULL;
    curl_global_cleanup();
}

//  Start a GET of path (on the responder, or a whole URL); returns its record
static s_transfer_t *
s_get(s_fixture_t *fx, const char *path)
{
    char url[256];
    assert(fx->count < S_DONE_MAX);
    s_transfer_t *xfer = &fx->xfers[fx->count++];
    xfer->easy = zs_xfer_easy_new();
    curl_easy_setopt(xfer->easy, CURLOPT_URL,
                     path[0] == '/' ? zs_test_http_url(&fx->http, path, url, sizeof url)
                                    : path);
    curl_easy_setopt(xfer->easy, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(xfer->easy, CURLOPT_WRITEDATA, xfer);
    int rc = zs_xfer_start(fx->xfer, xfer->easy, s_on_done, fx);
    assert(rc == 0);
    return xfer;
}

//  Run the loop until `expected` transfers are done or the deadline passed
static void
s_run(s_fixture_t *fx, size_t expected)
{
    fx->expected = expected;
    if (fx->done < expected) {
        int deadline = zloop_timer(fx->loop, S_DEADLINE_MS, 1, s_stop, NULL);
        zloop_start(fx->loop);
        zloop_timer_end(fx->loop, deadline);
    }
}

static long
s_status(s_transfer_t *xfer)
{
    long status = 0;
    curl_easy_getinfo(xfer->easy, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

//  ---- cases ---------------------------------------------------------------------------

static void
test_get_completes(void)
{
    s_fixture_t *fx = s_fixture_new();
    zs_test_http_add(&fx->http, "/hello", 200, "hello, world\n");
    s_transfer_t *xfer = s_get(fx, "/hello");
    bool ok = true;
    ZS_EXPECT(ok, zs_xfer_running(fx->xfer) == 1);
    s_run(fx, 1);
    ZS_EXPECT(ok, xfer->done && xfer->done_calls == 1 && xfer->code == CURLE_OK);
    ZS_EXPECT(ok, s_status(xfer) == 200);
    ZS_EXPECT(ok, strcmp(xfer->body, "hello, world\n") == 0);
    ZS_EXPECT(ok, zs_xfer_running(fx->xfer) == 0);
    ZS_EXPECT(ok, strstr(fx->http.requests[0].head, "User-Agent: " ZS_XFER_AGENT "\r\n"));
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_many_at_once(void)
{
    s_fixture_t *fx = s_fixture_new();
    zs_test_http_add(&fx->http, "/a", 200, "a");
    zs_test_http_add(&fx->http, "/b", 404, "b");
    for (size_t i = 0; i < S_MANY; i++) {
        s_get(fx, i % 2 ? "/a" : "/b");
    }
    bool ok = true;
    ZS_EXPECT(ok, zs_xfer_running(fx->xfer) == S_MANY);
    s_run(fx, S_MANY);
    for (size_t i = 0; i < S_MANY; i++) {
        ZS_EXPECT(ok, fx->xfers[i].done_calls == 1 && fx->xfers[i].code == CURLE_OK);
        ZS_EXPECT(ok, s_status(&fx->xfers[i]) == (i % 2 ? 200 : 404));
    }
    ZS_EXPECT(ok, fx->http.request_count == S_MANY);
    ZS_EXPECT(ok, zs_xfer_running(fx->xfer) == 0);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

//  While one transfer hangs, the loop ticks and another transfer completes
static int
s_start_second(zloop_t *loop, int timer_id, void *arg)
{
    s_fixture_t *fx = arg;
    if (fx->ticks == 20) {
        s_get(fx, "/hello");
    }
    return 0;
}

static void
test_hang_does_not_block(void)
{
    s_fixture_t *fx = s_fixture_new();
    zs_test_http_add(&fx->http, "/hang", 200, "never")->fault = ZS_TEST_HTTP_HANG;
    zs_test_http_add(&fx->http, "/hello", 200, "hello");
    s_transfer_t *hung = s_get(fx, "/hang");
    fx->on_tick = s_start_second;
    s_run(fx, 1);
    bool ok = true;
    ZS_EXPECT(ok, fx->count == 2 && fx->xfers[1].done && fx->xfers[1].code == CURLE_OK);
    ZS_EXPECT(ok, strcmp(fx->xfers[1].body, "hello") == 0);
    ZS_EXPECT(ok, fx->ticks >= 20);
    ZS_EXPECT(ok, !hung->done && zs_xfer_running(fx->xfer) == 1);
    //  Destroyed while it hangs: no done, the connection dropped
    zs_xfer_destroy(&fx->xfer);
    ZS_EXPECT(ok, !hung->done);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

//  An abort drops the connection at once and its done never comes
static int
s_abort_hung(zloop_t *loop, int timer_id, void *arg)
{
    s_fixture_t *fx = arg;
    if (fx->http.request_count == 1 && fx->count == 1) {
        zs_xfer_abort(fx->xfer, fx->xfers[0].easy);
        zs_xfer_abort(fx->xfer, fx->xfers[0].easy);  //  twice: the second does nothing
        s_get(fx, "/hello");
    }
    return 0;
}

static void
test_abort_never_reports(void)
{
    s_fixture_t *fx = s_fixture_new();
    zs_test_http_add(&fx->http, "/hang", 200, "never")->fault = ZS_TEST_HTTP_HANG;
    zs_test_http_add(&fx->http, "/hello", 200, "hello");
    s_get(fx, "/hang");
    fx->on_tick = s_abort_hung;
    s_run(fx, 1);
    bool ok = true;
    ZS_EXPECT(ok, !fx->xfers[0].done);
    ZS_EXPECT(ok, fx->count == 2 && fx->xfers[1].done_calls == 1);
    ZS_EXPECT(ok, zs_xfer_running(fx->xfer) == 0);
    //  The responder saw the hung connection closed by the client
    fx->on_tick = NULL;
    for (int i = 0; i < 100 && fx->http.client_closed == 0; i++) {
        int once = zloop_timer(fx->loop, S_TICK_MS, 1, s_stop, NULL);
        zloop_start(fx->loop);
        zloop_timer_end(fx->loop, once);
    }
    ZS_EXPECT(ok, fx->http.client_closed == 1);
    ZS_EXPECT(ok, !fx->xfers[0].done);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_failures_by_kind(void)
{
    s_fixture_t *fx = s_fixture_new();
    //  A port nothing listens on: bind one, read it back, close it
    zs_test_http_t closed;
    zs_test_http_init(&closed, fx->loop);
    char refused[64];
    zs_test_http_url(&closed, "/", refused, sizeof refused);
    zs_test_http_fini(&closed);
    zs_test_http_add(&fx->http, "/cut", 200, "0123456789")->fault = ZS_TEST_HTTP_DROP;
    fx->http.routes[0].after = 4;
    s_transfer_t *connect = s_get(fx, refused);
    s_transfer_t *file = s_get(fx, "file:///etc/passwd");
    s_transfer_t *cut = s_get(fx, "/cut");
    s_run(fx, 3);
    bool ok = true;
    ZS_EXPECT(ok, connect->code == CURLE_COULDNT_CONNECT);
    ZS_EXPECT(ok, strcmp(zs_xfer_kind(connect->code), "connect") == 0);
    ZS_EXPECT(ok, file->code == CURLE_UNSUPPORTED_PROTOCOL);
    ZS_EXPECT(ok, strcmp(zs_xfer_kind(file->code), "refused") == 0);
    ZS_EXPECT(ok, cut->code == CURLE_PARTIAL_FILE);
    ZS_EXPECT(ok, strcmp(zs_xfer_kind(cut->code), "network") == 0);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_redirect_not_followed(void)
{
    s_fixture_t *fx = s_fixture_new();
    zs_test_http_add(&fx->http, "/moved", 302, "")->headers =
        "Location: file:///etc/passwd\r\n";
    s_transfer_t *xfer = s_get(fx, "/moved");
    s_run(fx, 1);
    char *location = NULL;
    curl_easy_getinfo(xfer->easy, CURLINFO_REDIRECT_URL, &location);
    bool ok = true;
    ZS_EXPECT(ok, xfer->code == CURLE_OK && s_status(xfer) == 302);
    ZS_EXPECT(ok, location && strcmp(location, "file:///etc/passwd") == 0);
    ZS_EXPECT(ok, fx->http.request_count == 1);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_why_texts(void)
{
    char why[128];
    bool ok = true;
    ZS_EXPECT(ok, strcmp(zs_xfer_why(CURLE_COULDNT_RESOLVE_HOST,
                                     "Could not resolve host: x", why, sizeof why),
                         "dns: Could not resolve host: x") == 0);
    ZS_EXPECT(ok, strncmp(zs_xfer_why(CURLE_OPERATION_TIMEDOUT, "", why, sizeof why),
                          "timeout: ", 9) == 0);
    ZS_EXPECT(ok, strncmp(zs_xfer_why(CURLE_SSL_CONNECT_ERROR, NULL, why, sizeof why),
                          "tls: ", 5) == 0);
    ZS_EXPECT(ok,
              strncmp(zs_xfer_why(CURLE_PEER_FAILED_VERIFICATION, NULL, why, sizeof why),
                      "tls: ", 5) == 0);
    ZS_EXPECT(ok, strcmp(zs_xfer_kind(CURLE_OK), "ok") == 0);
    ZS_EXPECT(ok, strcmp(zs_xfer_kind(CURLE_BAD_FUNCTION_ARGUMENT), "transfer") == 0);
    //  Server text in the error buffer is escaped
    zs_xfer_why(CURLE_WEIRD_SERVER_REPLY, "bad\x01line", why, sizeof why);
    ZS_EXPECT(ok, strcmp(why, "network: bad\\x01line") == 0);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"get_completes", test_get_completes},
    {"many_at_once", test_many_at_once},
    {"hang_does_not_block", test_hang_does_not_block},
    {"abort_never_reports", test_abort_never_reports},
    {"failures_by_kind", test_failures_by_kind},
    {"redirect_not_followed", test_redirect_not_followed},
    {"why_texts", test_why_texts},
};

ZS_TEST_MAIN(s_cases)
