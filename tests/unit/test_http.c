//  test_http - the http handler against a responder in the same loop: requests as the
//  payload asks, results as docs/http.md says, the allow list on every hop, failures
//  by kind, cancels and timeouts that abort at once

#include "agent/zs_http.h"
#include "tests/unit/zs_test.h"
#include "tests/unit/zs_test_http.h"
#include "tests/unit/zs_test_sink.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

typedef struct {
    zs_test_sink_t sink;   //  the runtime's stand-in
    zs_test_http_t http;   //  the responder
    zs_test_http_t other;  //  a second origin (another port)
    zs_http_t *handler;    //  under test
    char allow[64];        //  the responder's root, allowed
    char allow_other[64];  //  the other's /ok/, allowed
} s_fixture_t;

//  A handler allowed to reach the responder and the other's /ok/, with conf's other
//  settings (NULL: defaults)
static s_fixture_t *
s_fixture_new(const zs_http_conf_t *conf)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    s_fixture_t *fx = zs_calloc(1, sizeof *fx);
    zs_test_sink_init(&fx->sink);
    zs_test_http_init(&fx->http, fx->sink.loop);
    zs_test_http_init(&fx->other, fx->sink.loop);
    zs_handler_sink_t sink = zs_test_sink_ops(&fx->sink);
    fx->handler = zs_http_new(fx->sink.loop, &sink);
    zs_test_http_url(&fx->http, "/", fx->allow, sizeof fx->allow);
    zs_test_http_url(&fx->other, "/ok/", fx->allow_other, sizeof fx->allow_other);
    const char *allow[] = {fx->allow, fx->allow_other};
    zs_http_conf_t settings = conf ? *conf : (zs_http_conf_t){0};
    settings.allow = allow;
    settings.allow_count = 2;
    zs_error_t err;
    int rc = zs_http_configure(fx->handler, &settings, &err);
    assert(rc == 0);
    return fx;
}

static void
s_fixture_destroy(s_fixture_t **fx_p)
{
    s_fixture_t *fx = *fx_p;
    zs_http_destroy(&fx->handler);
    zs_test_http_fini(&fx->http);
    zs_test_http_fini(&fx->other);
    zs_test_sink_fini(&fx->sink);
    free(fx);
    *fx_p = NULL;
    curl_global_cleanup();
}

//  payload with each "%s" replaced by url, in text
static void
s_fill(char *text, size_t size, const char *payload, const char *url)
{
    size_t at = 0;
    for (const char *c = payload; *c && at + 1 < size; c++) {
        if (c[0] == '%' && c[1] == 's') {
            at += (size_t) snprintf(text + at, size - at, "%s", url);
            c++;
        } else {
            text[at++] = *c;
        }
    }
    text[at < size ? at : size - 1] = '\0';
}

//  Start task id with payload, whose every "%s" is the responder's URL of path
static void
s_start(s_fixture_t *fx,
        const char *task,
        const char *payload,
        const char *path,
        uint64_t tmo)
{
    char url[128], text[4096];
    zs_test_http_url(&fx->http, path ? path : "/", url, sizeof url);
    s_fill(text, sizeof text, payload, url);
    zs_msg_t assign = zs_test_sink_assign(task, text, tmo);
    zs_http_start(fx->handler, &assign);
}

//  The result's stdout as JSON (caller decrefs), or NULL
static json_t *
s_out(const zs_test_result_t *result)
{
    return json_loads(result->out, 0, NULL);
}

static const char *
s_field(json_t *root, const char *key)
{
    return json_string_value(json_object_get(root, key));
}

//  ---- cases ---------------------------------------------------------------------------

static void
test_get_returns_status_headers_body(void)
{
    const char *select[] = {"Content-Type", "x-tag"};
    zs_http_conf_t conf = {.headers = select, .header_count = 2};
    s_fixture_t *fx = s_fixture_new(&conf);
    zs_test_http_add(&fx->http, "/hello", 200, "hello, world")->headers =
        "Content-Type: text/plain\r\nX-Tag: a\r\nX-Tag: b\r\nX-Other: no\r\n";
    s_start(fx, "t1", "{\"url\": \"%s\"}", "/hello", 0);
    bool ok = true;
    ZS_EXPECT(ok, fx->sink.started == 1 && zs_http_running(fx->handler) == 1);
    zs_test_sink_run(&fx->sink, 1);
    zs_test_result_t *result = &fx->sink.results[0];
    json_t *out = s_out(result);
    json_t *headers = json_object_get(out, "headers");
    ZS_EXPECT(ok, strcmp(result->status, "ok") == 0 && result->why[0] == '\0');
    ZS_EXPECT(ok, json_integer_value(json_object_get(out, "status")) == 200);
    ZS_EXPECT(ok, strcmp(s_field(out, "body"), "hello, world") == 0);
    ZS_EXPECT(ok, strstr(s_field(out, "url"), "/hello") != NULL);
    ZS_EXPECT(ok, strcmp(s_field(headers, "content-type"), "text/plain") == 0);
    ZS_EXPECT(ok, strcmp(s_field(headers, "x-tag"), "a, b") == 0);
    ZS_EXPECT(ok, json_object_size(headers) == 2);
    ZS_EXPECT(ok, zs_http_running(fx->handler) == 0);
    json_decref(out);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_bare_url_is_a_get(void)
{
    s_fixture_t *fx = s_fixture_new(NULL);
    zs_test_http_add(&fx->http, "/echo", 200, NULL)->echo = true;
    s_start(fx, "t1", " %s\n", "/echo?x=1", 0);  //  as `echo URL |` would send it
    zs_test_sink_run(&fx->sink, 1);
    json_t *out = s_out(&fx->sink.results[0]);
    bool ok = true;
    ZS_EXPECT(ok, strncmp(s_field(out, "body"), "GET /echo?x=1\n", 14) == 0);
    json_decref(out);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_post_with_headers_and_body(void)
{
    s_fixture_t *fx = s_fixture_new(NULL);
    zs_test_http_add(&fx->http, "/echo", 200, NULL)->echo = true;
    s_start(fx, "t1",
            "{\"url\": \"%s\", \"method\": \"POST\", \"headers\": {\"X-Test\": \"1\", "
            "\"Content-Type\": \"application/json\"}, \"body\": \"{\\\"a\\\": 1}\"}",
            "/echo", 0);
    s_start(fx, "t2", "{\"url\": \"%s\", \"method\": \"PUT\", \"body_base64\": \"AAH/\"}",
            "/echo", 0);
    s_start(fx, "t3", "{\"url\": \"%s\", \"method\": \"DELETE\"}", "/echo", 0);
    zs_test_sink_run(&fx->sink, 3);
    bool ok = true;
    ZS_EXPECT(ok, fx->http.request_count == 3);
    for (size_t i = 0; ok && i < 3; i++) {
        zs_test_http_request_t *req = &fx->http.requests[i];
        ZS_EXPECT(ok, !strcasestr(req->head, "\r\nExpect:"));
        if (streq(req->method, "POST")) {
            ZS_EXPECT(ok, strstr(req->head, "\r\nX-Test: 1\r\n"));
            ZS_EXPECT(ok, strstr(req->head, "\r\nContent-Length: 8\r\n"));
            ZS_EXPECT(ok, strstr(req->head, "\r\nContent-Type: application/json\r\n"));
        } else if (streq(req->method, "PUT")) {
            ZS_EXPECT(ok, strstr(req->head, "\r\nContent-Length: 3\r\n"));
        } else {
            ZS_EXPECT(ok, streq(req->method, "DELETE"));
            ZS_EXPECT(ok, !strstr(req->head, "Content-Length"));
        }
    }
    //  The POST's body came back; the PUT's binary body came back as base64
    for (size_t i = 0; ok && i < 3; i++) {
        json_t *out = s_out(&fx->sink.results[i]);
        const char *body = s_field(out, "body");
        const char *b64 = s_field(out, "body_base64");
        if (streq(fx->sink.results[i].task, "t1")) {
            ZS_EXPECT(ok, body && strstr(body, "\n\n{\"a\": 1}"));
        } else if (streq(fx->sink.results[i].task, "t2")) {
            uint8_t bin[4096];
            size_t size = 0;
            ZS_EXPECT(ok, !body && b64);
            ZS_EXPECT(ok,
                      sodium_base642bin(bin, sizeof bin, b64, strlen(b64), NULL, &size,
                                        NULL, sodium_base64_VARIANT_ORIGINAL) == 0);
            ZS_EXPECT(ok, size > 4 && memcmp(bin + size - 4, "\n\x00\x01\xff", 4) == 0);
        }
        json_decref(out);
    }
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_http_status_fails(void)
{
    s_fixture_t *fx = s_fixture_new(NULL);
    s_start(fx, "t1", "%s", "/missing", 0);
    zs_test_sink_run(&fx->sink, 1);
    zs_test_result_t *result = &fx->sink.results[0];
    json_t *out = s_out(result);
    bool ok = true;
    ZS_EXPECT(ok, streq(result->status, "fail") && streq(result->why, "http status 404"));
    ZS_EXPECT(ok, json_integer_value(json_object_get(out, "status")) == 404);
    ZS_EXPECT(ok, streq(s_field(out, "body"), "not found\n"));
    json_decref(out);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_allow_refuses(void)
{
    s_fixture_t *fx = s_fixture_new(NULL);
    char url[128], payload[256];
    const char *refused[] = {
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "gopher://127.0.0.1/",
        "http://localhost/",
        payload,  //  the responder's host and port, with userinfo
        url,      //  the other origin, outside its /ok/
    };
    snprintf(payload, sizeof payload, "http://user@127.0.0.1:%d/x", fx->http.port);
    zs_test_http_url(&fx->other, "/secret", url, sizeof url);
    bool ok = true;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        zs_msg_t assign = zs_test_sink_assign("t", refused[i], 0);
        zs_http_start(fx->handler, &assign);
        zs_test_result_t *result = &fx->sink.results[fx->sink.count - 1];
        ZS_EXPECT(ok, fx->sink.count == i + 1);  //  at once, from within start
        ZS_EXPECT(ok, streq(result->status, "fail"));
        ZS_EXPECT(ok, strncmp(result->why, "refused: ", 9) == 0);
    }
    ZS_EXPECT(ok, strstr(fx->sink.results[4].why, "userinfo"));
    ZS_EXPECT(ok, fx->sink.started == 0);
    zs_test_sink_idle(&fx->sink, 20);
    ZS_EXPECT(ok, fx->http.request_count == 0 && fx->other.request_count == 0);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_redirects_checked_each_hop(void)
{
    zs_http_conf_t conf = {.max_redirects = 2};
    s_fixture_t *fx = s_fixture_new(&conf);
    char other_ok[128], other_secret[128], to_ok[256], to_secret[256];
    zs_test_http_url(&fx->other, "/ok/file", other_ok, sizeof other_ok);
    zs_test_http_url(&fx->other, "/secret", other_secret, sizeof other_secret);
    snprintf(to_ok, sizeof to_ok, "Location: %s\r\n", other_ok);
    snprintf(to_secret, sizeof to_secret, "Location: %s\r\n", other_secret);
    zs_test_http_add(&fx->http, "/hello", 200, "hello");
    zs_test_http_add(&fx->http, "/one", 302, "")->headers = "Location: /hello\r\n";
    zs_test_http_add(&fx->http, "/two", 301, "")->headers = "Location: one\r\n";
    zs_test_http_add(&fx->http, "/three", 307, "")->headers = "Location: /two\r\n";
    zs_test_http_add(&fx->http, "/away", 302, "")->headers = to_ok;
    zs_test_http_add(&fx->http, "/evil", 302, "")->headers = to_secret;
    zs_test_http_add(&fx->http, "/meta", 302, "")->headers =
        "Location: http://169.254.169.254/\r\n";
    zs_test_http_add(&fx->http, "/file", 302, "")->headers =
        "Location: file:///etc/passwd\r\n";
    zs_test_http_add(&fx->other, "/ok/file", 200, "there");
    s_start(fx, "two", "%s", "/two", 0);
    s_start(fx, "three", "%s", "/three", 0);
    s_start(fx, "away", "%s", "/away", 0);
    s_start(fx, "evil", "%s", "/evil", 0);
    s_start(fx, "meta", "%s", "/meta", 0);
    s_start(fx, "file", "%s", "/file", 0);
    zs_test_sink_run(&fx->sink, 6);
    bool ok = true;
    for (size_t i = 0; ok && i < fx->sink.count; i++) {
        zs_test_result_t *result = &fx->sink.results[i];
        json_t *out = s_out(result);
        if (streq(result->task, "two")) {
            ZS_EXPECT(ok, streq(result->status, "ok") &&
                              streq(s_field(out, "body"), "hello"));
        } else if (streq(result->task, "three")) {
            //  Two hops followed, the third is the result, with a note
            ZS_EXPECT(ok, streq(result->status, "ok"));
            ZS_EXPECT(ok, json_integer_value(json_object_get(out, "status")) == 302);
            ZS_EXPECT(ok, strstr(result->why, "not followed"));
        } else if (streq(result->task, "away")) {
            ZS_EXPECT(ok, streq(result->status, "ok") &&
                              streq(s_field(out, "body"), "there"));
        } else {
            ZS_EXPECT(ok, streq(result->status, "fail"));
            ZS_EXPECT(ok, strncmp(result->why, "refused: redirect 1: ", 21) == 0);
        }
        json_decref(out);
    }
    //  The refused hops made no request: the other origin saw only /ok/file
    ZS_EXPECT(ok, fx->other.request_count == 1);
    ZS_EXPECT(ok, streq(fx->other.requests[0].path, "/ok/file"));
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_redirect_methods_and_credentials(void)
{
    zs_http_conf_t conf = {.max_redirects = 5};
    s_fixture_t *fx = s_fixture_new(&conf);
    char echo[128], to_echo[256];
    zs_test_http_url(&fx->other, "/ok/echo", echo, sizeof echo);
    snprintf(to_echo, sizeof to_echo, "Location: %s\r\n", echo);
    zs_test_http_add(&fx->http, "/echo", 200, NULL)->echo = true;
    zs_test_http_add(&fx->other, "/ok/echo", 200, NULL)->echo = true;
    zs_test_http_add(&fx->http, "/see-other", 303, "")->headers = "Location: /echo\r\n";
    zs_test_http_add(&fx->http, "/keep", 307, "")->headers = "Location: /echo\r\n";
    zs_test_http_add(&fx->http, "/cross", 308, "")->headers = to_echo;
    const char *post = "{\"url\": \"%s\", \"method\": \"POST\", \"body\": \"data\", "
                       "\"headers\": {\"Authorization\": \"Bearer s3cret\", "
                       "\"Cookie\": \"c=1\", \"X-Keep\": \"yes\"}}";
    s_start(fx, "see-other", post, "/see-other", 0);
    s_start(fx, "keep", post, "/keep", 0);
    s_start(fx, "cross", post, "/cross", 0);
    zs_test_sink_run(&fx->sink, 3);
    bool ok = true;
    for (size_t i = 0; ok && i < fx->sink.count; i++) {
        zs_test_result_t *result = &fx->sink.results[i];
        json_t *out = s_out(result);
        const char *body = s_field(out, "body");
        ZS_EXPECT(ok, streq(result->status, "ok") && body);
        if (streq(result->task, "see-other")) {
            ZS_EXPECT(ok, strncmp(body, "GET /echo\n", 10) == 0);
            ZS_EXPECT(ok, strstr(body, "Authorization: Bearer s3cret"));
        } else if (streq(result->task, "keep")) {
            ZS_EXPECT(ok,
                      strncmp(body, "POST /echo\n", 11) == 0 && strstr(body, "\n\ndata"));
        } else {
            //  Another origin: the method and body stay, the credentials do not
            ZS_EXPECT(ok, strncmp(body, "POST /ok/echo\n", 14) == 0);
            ZS_EXPECT(ok, strstr(body, "\n\ndata") && strstr(body, "X-Keep: yes"));
            ZS_EXPECT(ok, !strstr(body, "Authorization") && !strstr(body, "Cookie"));
        }
        json_decref(out);
    }
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_too_large(void)
{
    zs_http_conf_t conf = {.max_body = 100};
    s_fixture_t *fx = s_fixture_new(&conf);
    static char big[1001];
    memset(big, 'x', 1000);
    zs_test_http_add(&fx->http, "/big", 200, big);
    zs_test_http_add(&fx->http, "/fits", 200, "small");
    s_start(fx, "big", "%s", "/big", 0);
    s_start(fx, "fits", "%s", "/fits", 0);
    zs_test_sink_run(&fx->sink, 2);
    bool ok = true;
    for (size_t i = 0; i < 2; i++) {
        zs_test_result_t *result = &fx->sink.results[i];
        if (streq(result->task, "big")) {
            ZS_EXPECT(ok, streq(result->status, "fail"));
            ZS_EXPECT(ok, streq(result->why, "too large: body over 100 bytes"));
        } else {
            ZS_EXPECT(ok, streq(result->status, "ok"));
        }
    }
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

//  With the default bound, a text body of 60 KB fits a result; the same size in
//  binary does not once in base64, and fails rather than being cut
static void
test_result_bound(void)
{
    s_fixture_t *fx = s_fixture_new(NULL);
    static uint8_t text[60001], binary[60001];
    memset(text, 'a', 60000);
    memset(binary, 0xff, 60000);
    zs_test_http_add(&fx->http, "/text", 200, (const char *) text);
    zs_test_http_route_t *route = zs_test_http_add(&fx->http, "/binary", 200, NULL);
    route->body = binary;
    route->size = 60000;
    s_start(fx, "text", "%s", "/text", 0);
    s_start(fx, "binary", "%s", "/binary", 0);
    zs_test_sink_run(&fx->sink, 2);
    bool ok = true;
    for (size_t i = 0; i < 2; i++) {
        zs_test_result_t *result = &fx->sink.results[i];
        if (streq(result->task, "text")) {
            ZS_EXPECT(ok, streq(result->status, "ok") && result->out_size > 60000);
        } else {
            ZS_EXPECT(ok, streq(result->status, "fail") && result->out_size == 0);
            ZS_EXPECT(ok, strncmp(result->why, "too large: result of ", 21) == 0);
        }
    }
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_timeout_and_cancel_abort(void)
{
    s_fixture_t *fx = s_fixture_new(NULL);
    zs_test_http_add(&fx->http, "/hang", 200, "never")->fault = ZS_TEST_HTTP_HANG;
    s_start(fx, "slow", "%s", "/hang", 150);
    s_start(fx, "cancelled", "%s", "/hang", 0);
    //  Both requests reach the responder, then the cancel comes
    bool ok = true;
    for (int i = 0; i < 100 && fx->http.request_count < 2; i++) {
        zs_test_sink_idle(&fx->sink, 5);
    }
    ZS_EXPECT(ok, fx->http.request_count == 2);
    ZS_EXPECT(ok, zs_http_cancel(fx->handler, "cancelled", 1) == 0);
    ZS_EXPECT(ok, fx->sink.count == 1);  //  at once, from within cancel
    ZS_EXPECT(ok, zs_http_cancel(fx->handler, "cancelled", 1) == ZS_HANDLER_E_NO_JOB);
    zs_test_sink_run(&fx->sink, 2);
    ZS_EXPECT(ok, streq(fx->sink.results[0].status, "cancelled"));
    ZS_EXPECT(ok, streq(fx->sink.results[1].status, "timeout"));
    ZS_EXPECT(ok, streq(fx->sink.results[1].why, "timeout after 150 ms"));
    for (int i = 0; i < 100 && fx->http.client_closed < 2; i++) {
        zs_test_sink_idle(&fx->sink, 5);
    }
    ZS_EXPECT(ok, fx->http.client_closed == 2);  //  both connections dropped
    ZS_EXPECT(ok, zs_http_running(fx->handler) == 0);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_connect_failure_by_kind(void)
{
    s_fixture_t *fx = s_fixture_new(NULL);
    //  Nothing listens on the other port once it is closed; it is allowed under /ok/
    char url[128];
    zs_test_http_url(&fx->other, "/ok/x", url, sizeof url);
    zs_test_http_fini(&fx->other);
    zs_test_http_init(&fx->other, fx->sink.loop);  //  for the fixture's fini
    zs_msg_t assign = zs_test_sink_assign("t", url, 0);
    zs_http_start(fx->handler, &assign);
    zs_test_sink_run(&fx->sink, 1);
    bool ok = true;
    ZS_EXPECT(ok, streq(fx->sink.results[0].status, "fail"));
    ZS_EXPECT(ok, strncmp(fx->sink.results[0].why, "connect: ", 9) == 0);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_bad_payloads(void)
{
    s_fixture_t *fx = s_fixture_new(NULL);
    const char *bad[] = {
        "{\"method\": \"GET\"}",
        "{\"url\": \"%s\", \"method\": \"TRACE\"}",
        "{\"url\": \"%s\", \"verb\": \"GET\"}",
        "{\"url\": \"%s\", \"url\": \"%s\"}",
        "{\"url\": \"%s\", \"body\": \"x\"}",
        "{\"url\": \"%s\", \"method\": \"POST\", \"body\": \"x\", \"body_base64\": "
        "\"eA==\"}",
        "{\"url\": \"%s\", \"method\": \"POST\", \"body_base64\": \"not base64!\"}",
        "{\"url\": \"%s\", \"headers\": {\"Host\": \"evil.org\"}}",
        "{\"url\": \"%s\", \"headers\": {\"Content-Length\": \"0\"}}",
        "{\"url\": \"%s\", \"headers\": {\"Proxy-Authorization\": \"x\"}}",
        "{\"url\": \"%s\", \"headers\": {\"X-A\": \"1\\r\\nHost: evil.org\"}}",
        "{\"url\": \"%s\", \"headers\": {\"Bad Name\": \"1\"}}",
        "{\"url\": \"%s\", \"headers\": {\"X-A\": 1}}",
        "{\"url\": \"%s\", \"headers\": [\"X-A: 1\"]}",
        "{\"url\": 7}",
        "{\"url\": \"%s\"",
        "[\"%s\"]",
    };
    bool ok = true;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_start(fx, "t", bad[i], "/", 0);
        ZS_EXPECT(ok, fx->sink.count == i + 1);
        ZS_EXPECT(ok, streq(fx->sink.results[i].status, "fail"));
        if (strncmp(fx->sink.results[i].why, "payload: ", 9) != 0) {
            fprintf(stderr, "payload %zu: why '%s'\n", i, fx->sink.results[i].why);
            ok = false;
        }
    }
    ZS_EXPECT(ok, fx->sink.started == 0);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_not_configured_refuses(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    zs_test_sink_t sink;
    zs_test_sink_init(&sink);
    zs_handler_sink_t ops = zs_test_sink_ops(&sink);
    zs_http_t *handler = zs_http_new(sink.loop, &ops);
    zs_msg_t assign = zs_test_sink_assign("t", "http://127.0.0.1:1/", 0);
    zs_http_start(handler, &assign);
    bool ok = true;
    ZS_EXPECT(ok, sink.count == 1 && strstr(sink.results[0].why, "no allow list"));
    const char *bad[] = {"ftp://x/"};
    zs_http_conf_t conf = {.allow = bad, .allow_count = 1};
    zs_error_t err;
    ZS_EXPECT(ok, zs_http_configure(handler, &conf, &err) == -1);
    zs_http_start(handler, &assign);
    ZS_EXPECT(ok, sink.count == 2 &&
                      strstr(sink.results[1].why, "refused: bad http settings"));
    const char *good[] = {"http://127.0.0.1:1/"};
    const char *headers[] = {"bad header"};
    zs_http_conf_t bad_headers = {
        .allow = good, .allow_count = 1, .headers = headers, .header_count = 1};
    ZS_EXPECT(ok, zs_http_configure(handler, &bad_headers, &err) == -1);
    ZS_EXPECT(ok, strstr(err.text, "bad header"));
    zs_http_destroy(&handler);
    zs_test_sink_fini(&sink);
    curl_global_cleanup();
    ZS_CHECK(ok);
}

static void
test_kill_all_reports_nothing(void)
{
    s_fixture_t *fx = s_fixture_new(NULL);
    zs_test_http_add(&fx->http, "/hang", 200, "never")->fault = ZS_TEST_HTTP_HANG;
    s_start(fx, "a", "%s", "/hang", 5000);
    s_start(fx, "b", "%s", "/hang", 0);
    zs_test_sink_idle(&fx->sink, 20);
    zs_http_kill_all(fx->handler);
    zs_test_sink_idle(&fx->sink, 20);
    bool ok = true;
    ZS_EXPECT(ok, fx->sink.count == 0 && zs_http_running(fx->handler) == 0);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"get_returns_status_headers_body", test_get_returns_status_headers_body},
    {"bare_url_is_a_get", test_bare_url_is_a_get},
    {"post_with_headers_and_body", test_post_with_headers_and_body},
    {"http_status_fails", test_http_status_fails},
    {"allow_refuses", test_allow_refuses},
    {"redirects_checked_each_hop", test_redirects_checked_each_hop},
    {"redirect_methods_and_credentials", test_redirect_methods_and_credentials},
    {"too_large", test_too_large},
    {"result_bound", test_result_bound},
    {"timeout_and_cancel_abort", test_timeout_and_cancel_abort},
    {"connect_failure_by_kind", test_connect_failure_by_kind},
    {"bad_payloads", test_bad_payloads},
    {"not_configured_refuses", test_not_configured_refuses},
    {"kill_all_reports_nothing", test_kill_all_reports_nothing},
};

ZS_TEST_MAIN(s_cases)
