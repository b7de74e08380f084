//  test_http_req - an http task's payload: what it may ask for, and what a redirect
//  makes of it

#include "agent/zs_http_req.h"
#include "tests/unit/zs_test.h"

#include <czmq.h>

//  Parse a C string payload
static int
s_parse(zs_http_req_t *req, const char *payload, zs_error_t *err)
{
    return zs_http_req_parse(req, (const uint8_t *) payload, strlen(payload), err);
}

//  True when req's headers hold line exactly
static bool
s_has_line(const zs_http_req_t *req, const char *line)
{
    for (struct curl_slist *item = req->headers; item; item = item->next) {
        if (streq(item->data, line)) {
            return true;
        }
    }
    return false;
}

static void
test_full_request(void)
{
    zs_http_req_t req;
    zs_error_t err;
    ZS_CHECK_OK(
        s_parse(&req,
                "{\"url\": \"https://a.com/x\", \"method\": \"PATCH\", "
                "\"headers\": {\"Authorization\": \"Bearer t\", \"X-Empty\": \"\", "
                "\"Cookie\": \"c=1\"}, \"body\": \"a\\u0001b\"}",
                &err),
        err);
    bool ok = true;
    ZS_EXPECT(ok, streq(req.url, "https://a.com/x") && streq(req.method, "PATCH"));
    ZS_EXPECT(ok, req.body_size == 3 && memcmp(req.body, "a\001b", 3) == 0);
    ZS_EXPECT(ok, s_has_line(&req, "Authorization: Bearer t"));
    ZS_EXPECT(ok, s_has_line(&req, "X-Empty;"));  //  libcurl's way to send it empty
    ZS_EXPECT(ok, zs_http_req_has_body(&req));
    //  A redirect to another origin drops the credentials and keeps the rest
    zs_http_req_drop_credentials(&req);
    ZS_EXPECT(ok, !s_has_line(&req, "Authorization: Bearer t"));
    ZS_EXPECT(ok, !s_has_line(&req, "Cookie: c=1") && s_has_line(&req, "X-Empty;"));
    //  A 303 makes it a GET without a body
    zs_http_req_make_get(&req);
    ZS_EXPECT(ok, streq(req.method, "GET") && !req.body && !zs_http_req_has_body(&req));
    zs_http_req_fini(&req);
    zs_http_req_fini(&req);  //  twice: an empty req is fine
    ZS_CHECK(ok);
}

static void
test_bare_url_and_defaults(void)
{
    zs_http_req_t req;
    zs_error_t err;
    bool ok = true;
    ZS_EXPECT(ok, s_parse(&req, "\n https://a.com/y?z \r\n", &err) == 0);
    ZS_EXPECT(ok, streq(req.url, "https://a.com/y?z") && streq(req.method, "GET"));
    ZS_EXPECT(ok, !req.headers && !req.body && !zs_http_req_has_body(&req));
    zs_http_req_fini(&req);
    ZS_EXPECT(ok,
              s_parse(&req, "{\"url\": \"http://a\", \"method\": \"POST\"}", &err) == 0);
    ZS_EXPECT(ok, zs_http_req_has_body(&req) && req.body_size == 0);  //  empty, sent
    zs_http_req_fini(&req);
    ZS_EXPECT(
        ok, s_parse(&req, "{\"url\": \"http://a\", \"method\": \"DELETE\"}", &err) == 0);
    ZS_EXPECT(ok, !zs_http_req_has_body(&req));
    zs_http_req_fini(&req);
    ZS_EXPECT(ok, s_parse(&req,
                          "{\"url\": \"http://a\", \"method\": \"PUT\", "
                          "\"body_base64\": \"AP8=\"}",
                          &err) == 0);
    ZS_EXPECT(ok, req.body_size == 2 && req.body[0] == 0 && req.body[1] == 0xff);
    zs_http_req_fini(&req);
    ZS_CHECK(ok);
}

static void
test_refusals_say_why(void)
{
    static const struct {
        const char *payload;  //  what a task sends
        const char *why;      //  a part of the reason
    } cases[] = {
        {"", "not JSON"},
        {"{}", "url is required"},
        {"[1]", "JSON object or a URL"},
        {"{\"url\": \"http://a\", \"x\": 1}", "unknown key 'x'"},
        {"{\"url\": \"http://a\", \"method\": \"get\"}", "method must be"},
        {"{\"url\": \"http://a\", \"body\": \"b\"}", "GET takes no body"},
        {"{\"url\": \"http://a\", \"method\": \"HEAD\", \"body\": \"b\"}", "HEAD takes"},
        {"{\"url\": \"http://a\", \"headers\": {\"Host\": \"b\"}}", "may not be set"},
        {"{\"url\": \"http://a\", \"headers\": {\"transfer-encoding\": \"x\"}}",
         "may not"},
        {"{\"url\": \"http://a\", \"headers\": {\"Expect\": \"x\"}}", "may not be set"},
        {"{\"url\": \"http://a\", \"headers\": {\"X\": \"a\\nb\"}}", "one line"},
        {"{\"url\": \"http://a\", \"headers\": {\"X\": \"a\\u0000b\"}}", "not JSON"},
        {"{\"url\": \"http://a\", \"headers\": {\"X:Y\": \"1\"}}", "not a token"},
        {"{\"url\": \"http://a\", \"url\": \"http://b\"}", "not JSON"},
        {"{\"url\": \"http://a\\u0000b\"}", "not JSON"},  //  no NUL in any string
    };
    bool ok = true;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zs_http_req_t req;
        zs_error_t err = {0};
        if (s_parse(&req, cases[i].payload, &err) == 0 ||
            !strstr(err.text, cases[i].why) || req.url || req.headers || req.body) {
            fprintf(stderr, "case %zu: '%s'\n", i, err.text);
            ok = false;
        }
        zs_http_req_fini(&req);
    }
    ZS_CHECK(ok);
}

static void
test_tokens(void)
{
    bool ok = true;
    ZS_EXPECT(ok, zs_http_req_token_valid("Content-Type"));
    ZS_EXPECT(ok, zs_http_req_token_valid("x!#$%&'*+-.^_`|~9"));
    ZS_EXPECT(ok, !zs_http_req_token_valid(""));
    ZS_EXPECT(ok, !zs_http_req_token_valid("a b"));
    ZS_EXPECT(ok, !zs_http_req_token_valid("a:b"));
    ZS_EXPECT(ok, !zs_http_req_token_valid("caf\xc3\xa9"));
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"full_request", test_full_request},
    {"bare_url_and_defaults", test_bare_url_and_defaults},
    {"refusals_say_why", test_refusals_say_why},
    {"tokens", test_tokens},
};

ZS_TEST_MAIN(s_cases)
