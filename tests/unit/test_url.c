//  test_url - allow lists of URL prefixes: what they take, what they refuse and why

#include "agent/zs_url.h"
#include "tests/unit/zs_test.h"

#include <curl/curl.h>

//  A list from prefixes; NULL-terminated
static zs_url_allow_t *
s_allow(const char *const *prefixes)
{
    size_t count = 0;
    while (prefixes[count]) {
        count++;
    }
    zs_error_t err;
    zs_url_allow_t *allow = zs_url_allow_new(prefixes, count, &err);
    if (!allow) {
        fprintf(stderr, "allow list refused: %s\n", err.text);
    }
    return allow;
}

//  True when url is allowed; *normal_p gets the URL to fetch
static bool
s_allows(const zs_url_allow_t *allow, const char *url)
{
    char *normal = NULL;
    zs_error_t err;
    int rc = zs_url_allow_check(allow, url, &normal, &err);
    bool ok = rc == 0 && normal != NULL;
    if (rc != 0 && (rc != ZS_URL_E_REFUSED || normal || !err.text[0])) {
        fprintf(stderr, "bad refusal of '%s': rc %d, text '%s'\n", url, rc, err.text);
        ok = true;  //  fails the caller's "refused" check
    }
    free(normal);
    return ok;
}

static void
test_allows_under_prefix(void)
{
    const char *prefixes[] = {"https://api.example.com/v1/", "http://127.0.0.1:8080/",
                              NULL};
    zs_url_allow_t *allow = s_allow(prefixes);
    ZS_CHECK(allow);
    bool ok = true;
    ZS_EXPECT(ok, s_allows(allow, "https://api.example.com/v1/models"));
    ZS_EXPECT(ok, s_allows(allow, "https://api.example.com/v1/"));
    ZS_EXPECT(ok, s_allows(allow, "https://API.Example.COM/v1/x?q=1#frag"));
    ZS_EXPECT(ok, s_allows(allow, "https://api.example.com:443/v1/x"));
    ZS_EXPECT(ok, s_allows(allow, "http://127.0.0.1:8080/anything/at/all"));
    ZS_EXPECT(ok, s_allows(allow, "http://127.1:8080/"));  //  127.0.0.1, written short
    ZS_EXPECT(ok, !s_allows(allow, "https://api.example.com/v2/models"));
    ZS_EXPECT(ok, !s_allows(allow, "https://api.example.com/"));
    ZS_EXPECT(ok, !s_allows(allow, "http://api.example.com/v1/x"));        //  scheme
    ZS_EXPECT(ok, !s_allows(allow, "https://api.example.com:8443/v1/x"));  //  port
    ZS_EXPECT(ok, !s_allows(allow, "http://127.0.0.1:8081/"));
    ZS_EXPECT(ok, !s_allows(allow, "http://127.0.0.1/"));
    zs_url_allow_destroy(&allow);
    ZS_CHECK(allow == NULL);
    ZS_CHECK(ok);
}

static void
test_normal_url_is_returned(void)
{
    const char *prefixes[] = {"https://a.com/pub/", NULL};
    zs_url_allow_t *allow = s_allow(prefixes);
    ZS_CHECK(allow);
    char *normal = NULL;
    zs_error_t err;
    int rc = zs_url_allow_check(allow, "https://A.com/pub/x/../y?z=1#top", &normal, &err);
    bool ok = true;
    ZS_EXPECT(ok, rc == 0);
    //  The fragment stays home; dot segments are resolved in what is fetched
    ZS_EXPECT(ok, normal && strcmp(normal, "https://A.com/pub/y?z=1") == 0);
    free(normal);
    zs_url_allow_destroy(&allow);
    ZS_CHECK(ok);
}

static void
test_host_compares_whole(void)
{
    const char *prefixes[] = {"https://a.com/", NULL};
    zs_url_allow_t *allow = s_allow(prefixes);
    ZS_CHECK(allow);
    bool ok = true;
    ZS_EXPECT(ok, s_allows(allow, "https://a.com/x"));
    ZS_EXPECT(ok, s_allows(allow, "https://a.com./x"));  //  the same host in DNS
    ZS_EXPECT(ok, !s_allows(allow, "https://a.com.evil.org/"));
    ZS_EXPECT(ok, !s_allows(allow, "https://evil.org/a.com/"));
    ZS_EXPECT(ok, !s_allows(allow, "https://xa.com/"));
    ZS_EXPECT(ok, !s_allows(allow, "https://sub.a.com/"));
    ZS_EXPECT(ok, !s_allows(allow, "https://a.co/"));
    zs_url_allow_destroy(&allow);
    ZS_CHECK(ok);
}

static void
test_userinfo_is_refused(void)
{
    const char *prefixes[] = {"https://a.com/", NULL};
    zs_url_allow_t *allow = s_allow(prefixes);
    ZS_CHECK(allow);
    bool ok = true;
    ZS_EXPECT(ok, !s_allows(allow, "https://a.com@evil.org/"));
    ZS_EXPECT(ok, !s_allows(allow, "https://user@a.com/"));
    ZS_EXPECT(ok, !s_allows(allow, "https://user:pw@a.com/"));
    ZS_EXPECT(ok, !s_allows(allow, "https://:pw@a.com/"));
    ZS_EXPECT(ok, !s_allows(allow, "https://a.com\\@evil.org/"));
    ZS_EXPECT(ok, !s_allows(allow, "https://a.com%40evil.org/"));
    char *normal = NULL;
    zs_error_t err;
    zs_url_allow_check(allow, "https://a.com@evil.org/", &normal, &err);
    ZS_EXPECT(ok, strstr(err.text, "userinfo") != NULL);
    zs_url_allow_destroy(&allow);
    ZS_CHECK(ok);
}

static void
test_other_schemes_are_refused(void)
{
    const char *prefixes[] = {"http://127.0.0.1:8080/", NULL};
    zs_url_allow_t *allow = s_allow(prefixes);
    ZS_CHECK(allow);
    bool ok = true;
    ZS_EXPECT(ok, !s_allows(allow, "file:///etc/passwd"));
    ZS_EXPECT(ok, !s_allows(allow, "ftp://127.0.0.1:8080/"));
    ZS_EXPECT(ok, !s_allows(allow, "gopher://127.0.0.1:8080/"));
    ZS_EXPECT(ok, !s_allows(allow, "dict://127.0.0.1:8080/"));
    ZS_EXPECT(ok, !s_allows(allow, "127.0.0.1:8080/"));  //  no scheme
    ZS_EXPECT(ok, !s_allows(allow, "//127.0.0.1:8080/"));
    ZS_EXPECT(ok, !s_allows(allow, ""));
    ZS_EXPECT(ok, !s_allows(allow, "http://127.0.0.1:8080/a b"));
    ZS_EXPECT(ok, !s_allows(allow, "http://127.0.0.1:8080/\r\nHost: x"));
    char *normal = NULL;
    zs_error_t err;
    zs_url_allow_check(allow, "file:///etc/passwd", &normal, &err);
    ZS_EXPECT(ok, strstr(err.text, "scheme") != NULL);
    ZS_EXPECT(ok, strstr(err.text, "file:///etc/passwd") != NULL);
    zs_url_allow_destroy(&allow);
    ZS_CHECK(ok);
}

static void
test_path_by_segments(void)
{
    const char *prefixes[] = {"https://a.com/api", "https://b.com/files/", NULL};
    zs_url_allow_t *allow = s_allow(prefixes);
    ZS_CHECK(allow);
    bool ok = true;
    ZS_EXPECT(ok, s_allows(allow, "https://a.com/api"));
    ZS_EXPECT(ok, s_allows(allow, "https://a.com/api/x"));
    ZS_EXPECT(ok, s_allows(allow, "https://a.com/api?x=1"));
    ZS_EXPECT(ok, !s_allows(allow, "https://a.com/apix"));
    ZS_EXPECT(ok, !s_allows(allow, "https://a.com/ap"));
    ZS_EXPECT(ok, !s_allows(allow, "https://a.com/API"));  //  paths are case-sensitive
    ZS_EXPECT(ok, s_allows(allow, "https://b.com/files/x"));
    ZS_EXPECT(ok, !s_allows(allow, "https://b.com/files"));
    ZS_EXPECT(ok, !s_allows(allow, "https://b.com/filesx"));
    zs_url_allow_destroy(&allow);
    ZS_CHECK(ok);
}

static void
test_dot_segments_do_not_escape(void)
{
    const char *prefixes[] = {"https://a.com/pub/", NULL};
    zs_url_allow_t *allow = s_allow(prefixes);
    ZS_CHECK(allow);
    bool ok = true;
    ZS_EXPECT(ok, !s_allows(allow, "https://a.com/pub/../secret"));
    ZS_EXPECT(ok, !s_allows(allow, "https://a.com/pub/./../secret"));
    ZS_EXPECT(ok, !s_allows(allow, "https://a.com/pub/%2e%2e/secret"));
    ZS_EXPECT(ok, !s_allows(allow, "https://a.com/pub/%2E%2E%2Fsecret"));
    ZS_EXPECT(ok, !s_allows(allow, "https://a.com/pub/..%2fsecret"));
    ZS_EXPECT(ok, !s_allows(allow, "https://a.com/pub/..%5csecret"));
    ZS_EXPECT(ok, s_allows(allow, "https://a.com/pub/x/../y"));  //  still under
    ZS_EXPECT(ok, s_allows(allow, "https://a.com/pub/a%20b"));
    zs_url_allow_destroy(&allow);
    ZS_CHECK(ok);
}

static void
test_numeric_hosts_normalised(void)
{
    const char *prefixes[] = {"http://127.0.0.1:8080/", "http://[::1]:9000/", NULL};
    zs_url_allow_t *allow = s_allow(prefixes);
    ZS_CHECK(allow);
    bool ok = true;
    ZS_EXPECT(ok, s_allows(allow, "http://0x7f000001:8080/"));
    ZS_EXPECT(ok, s_allows(allow, "http://2130706433:8080/"));
    ZS_EXPECT(ok, s_allows(allow, "http://[0:0::1]:9000/"));
    ZS_EXPECT(ok, !s_allows(allow, "http://127.0.0.2:8080/"));
    ZS_EXPECT(ok, !s_allows(allow, "http://localhost:8080/"));  //  names are names
    ZS_EXPECT(ok, !s_allows(allow, "http://169.254.169.254/latest/meta-data/"));
    ZS_EXPECT(ok, !s_allows(allow, "http://[::1]:8080/"));
    zs_url_allow_destroy(&allow);
    ZS_CHECK(ok);
}

static void
test_empty_list_allows_nothing(void)
{
    zs_error_t err;
    zs_url_allow_t *allow = zs_url_allow_new(NULL, 0, &err);
    ZS_CHECK(allow);
    bool ok = true;
    ZS_EXPECT(ok, !s_allows(allow, "https://a.com/"));
    zs_url_allow_destroy(&allow);
    ZS_CHECK(ok);
}

static void
test_bad_prefixes(void)
{
    const char *bad[] = {"ftp://a.com/",       "a.com/",           "https://u@a.com/",
                         "https://a.com/?q=1", "https://a.com/#x", "https://a.com:0/",
                         "https://",           "file:///tmp/",     "not a url"};
    bool ok = true;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        zs_error_t err = {0};
        zs_url_allow_t *allow = zs_url_allow_new(&bad[i], 1, &err);
        ZS_EXPECT(ok, allow == NULL);
        ZS_EXPECT(ok, strstr(err.text, "allow:") == err.text);
        zs_url_allow_destroy(&allow);
    }
    //  One bad prefix spoils the list, wherever it stands
    const char *mixed[] = {"https://a.com/", "https://b.com/", "gopher://c.com/"};
    zs_error_t err = {0};
    ZS_EXPECT(ok, zs_url_allow_new(mixed, 3, &err) == NULL);
    ZS_EXPECT(ok, strstr(err.text, "gopher") != NULL);
    ZS_CHECK(ok);
}

static void
test_bounds(void)
{
    const char *prefix = "https://a.com/";
    const char *many[ZS_URL_PREFIX_MAX + 1];
    for (size_t i = 0; i <= ZS_URL_PREFIX_MAX; i++) {
        many[i] = prefix;
    }
    zs_error_t err;
    bool ok = true;
    ZS_EXPECT(ok, zs_url_allow_new(many, ZS_URL_PREFIX_MAX + 1, &err) == NULL);
    zs_url_allow_t *allow = zs_url_allow_new(many, ZS_URL_PREFIX_MAX, &err);
    ZS_EXPECT(ok, allow != NULL);
    size_t size = ZS_URL_MAX + 16;
    char *longer = zs_malloc(size);
    memset(longer, 'x', size - 1);
    memcpy(longer, prefix, strlen(prefix));
    longer[size - 1] = '\0';
    ZS_EXPECT(ok, allow && !s_allows(allow, longer));
    free(longer);
    zs_url_allow_destroy(&allow);
    ZS_CHECK(ok);
}

static void
test_same_origin(void)
{
    bool ok = true;
    ZS_EXPECT(ok, zs_url_same_origin("https://a.com/x", "https://A.COM:443/y?z"));
    ZS_EXPECT(ok, !zs_url_same_origin("https://a.com/x", "http://a.com/x"));
    ZS_EXPECT(ok, !zs_url_same_origin("https://a.com/x", "https://a.com:8443/x"));
    ZS_EXPECT(ok, !zs_url_same_origin("https://a.com/x", "https://b.com/x"));
    ZS_EXPECT(ok, !zs_url_same_origin("https://a.com/x", "not a url"));
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"allows_under_prefix", test_allows_under_prefix},
    {"normal_url_is_returned", test_normal_url_is_returned},
    {"host_compares_whole", test_host_compares_whole},
    {"userinfo_is_refused", test_userinfo_is_refused},
    {"other_schemes_are_refused", test_other_schemes_are_refused},
    {"path_by_segments", test_path_by_segments},
    {"dot_segments_do_not_escape", test_dot_segments_do_not_escape},
    {"numeric_hosts_normalised", test_numeric_hosts_normalised},
    {"empty_list_allows_nothing", test_empty_list_allows_nothing},
    {"bad_prefixes", test_bad_prefixes},
    {"bounds", test_bounds},
    {"same_origin", test_same_origin},
};

ZS_TEST_MAIN(s_cases)
