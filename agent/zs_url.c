//  zs_url - see zs_url.h

#include "agent/zs_url.h"

#include <czmq.h>
#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZS_URL_SAMPLE_MAX 200  //  bytes of a refused URL quoted in a reason

//  A URL taken apart and normalised, the form both sides of a comparison take
typedef struct {
    char *scheme;   //  owned: "http" or "https"
    char *host;     //  owned: ASCII lowercased, one trailing dot dropped
    long port;      //  1..65535, the scheme's default filled in
    char *path;     //  owned: dot segments resolved, at least "/"
    char *normal;   //  owned: the whole URL as libcurl writes it, without fragment
    bool has_rest;  //  a query was given (prefixes may not have one)
} s_url_t;

struct _zs_url_allow_t {
    s_url_t *prefixes;  //  owned: count parsed prefixes
    size_t count;       //  number of prefixes
};

//  ---- parsing -------------------------------------------------------------------------

static void
s_url_fini(s_url_t *url)
{
    curl_free(url->scheme);
    curl_free(url->host);
    curl_free(url->path);
    curl_free(url->normal);
    memset(url, 0, sizeof *url);
}

//  True when the part is present (libcurl says "no such part" otherwise)
static bool
s_has(CURLU *handle, CURLUPart part)
{
    char *text = NULL;
    CURLUcode rc = curl_url_get(handle, part, &text, 0);
    curl_free(text);
    return rc == CURLUE_OK;
}

static void
s_host_fold(char *host)
{
    for (char *c = host; *c; c++) {
        *c = (char) tolower((unsigned char) *c);
    }
    size_t len = strlen(host);
    if (len > 1 && host[len - 1] == '.') {
        host[len - 1] = '\0';
    }
}

//  Fill url's parts from handle, which holds a parsed URL; -1 with err on a refusal
static int
s_url_fill(s_url_t *url, CURLU *handle, zs_error_t *err)
{
    char *port = NULL;
    curl_url_get(handle, CURLUPART_SCHEME, &url->scheme, 0);
    if (!url->scheme || (strcmp(url->scheme, "http") && strcmp(url->scheme, "https"))) {
        return zs_error_set(err, ZS_URL_E_REFUSED, "scheme is not http or https");
    }
    if (s_has(handle, CURLUPART_USER) || s_has(handle, CURLUPART_PASSWORD) ||
        s_has(handle, CURLUPART_OPTIONS)) {
        return zs_error_set(err, ZS_URL_E_REFUSED, "userinfo is not allowed");
    }
    curl_url_get(handle, CURLUPART_HOST, &url->host, 0);
    curl_url_get(handle, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    curl_url_get(handle, CURLUPART_PATH, &url->path, 0);
    url->port = port ? strtol(port, NULL, 10) : 0;
    curl_free(port);
    if (!url->host || !url->host[0] || !url->path) {
        return zs_error_set(err, ZS_URL_E_REFUSED, "no host");
    }
    if (url->port < 1 || url->port > 65535) {
        return zs_error_set(err, ZS_URL_E_REFUSED, "port %ld is not 1..65535", url->port);
    }
    s_host_fold(url->host);
    url->has_rest = s_has(handle, CURLUPART_QUERY) || s_has(handle, CURLUPART_FRAGMENT);
    //  The fragment never reaches the server; dropped so it cannot confuse a log
    curl_url_set(handle, CURLUPART_FRAGMENT, NULL, 0);
    curl_url_get(handle, CURLUPART_URL, &url->normal, 0);
    return url->normal ? 0 : zs_error_set(err, ZS_URL_E_REFUSED, "cannot be written");
}

//  Parse text into url. Returns 0, or -1 with err saying why (without the URL)
static int
s_url_parse(s_url_t *url, const char *text, zs_error_t *err)
{
    memset(url, 0, sizeof *url);
    if (strlen(text) > ZS_URL_MAX) {
        return zs_error_set(err, ZS_URL_E_REFUSED, "longer than %d bytes", ZS_URL_MAX);
    }
    CURLU *handle = curl_url();
    if (!handle) {
        zsys_error("out of memory: curl_url");
        abort();
    }
    int rc = 0;
    CURLUcode parsed = curl_url_set(handle, CURLUPART_URL, text, 0);
    if (parsed != CURLUE_OK) {
        rc = zs_error_set(err, ZS_URL_E_REFUSED, "not an absolute URL: %s",
                          curl_url_strerror(parsed));
    } else {
        rc = s_url_fill(url, handle, err);
    }
    curl_url_cleanup(handle);
    if (rc != 0) {
        s_url_fini(url);
    }
    return rc;
}

//  ---- comparing -----------------------------------------------------------------------

//  True when text hides a dot segment or a separator a server might decode
static bool
s_hides_segment(const char *text)
{
    static const char *const hidden[] = {"%2e", "%2f", "%5c", "\\"};
    for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++) {
        if (strcasestr(text, hidden[i])) {
            return true;
        }
    }
    return false;
}

static bool
s_path_under(const char *prefix, const char *path)
{
    size_t len = strlen(prefix);
    if (strcmp(prefix, "/") == 0) {
        return true;  //  the whole host: nothing to escape from
    }
    if (strncmp(path, prefix, len) != 0) {
        return false;
    }
    if (prefix[len - 1] != '/' && path[len] != '\0' && path[len] != '/') {
        return false;  //  "/api" does not take "/apix"
    }
    return !s_hides_segment(path + len);
}

static bool
s_matches(const s_url_t *prefix, const s_url_t *url)
{
    return strcmp(prefix->scheme, url->scheme) == 0 &&
           strcmp(prefix->host, url->host) == 0 && prefix->port == url->port &&
           s_path_under(prefix->path, url->path);
}

//  ---- the list ------------------------------------------------------------------------

zs_url_allow_t *
zs_url_allow_new(const char *const *prefixes, size_t count, zs_error_t *err)
{
    assert(prefixes || count == 0);
    if (count > ZS_URL_PREFIX_MAX) {
        zs_error_set(err, ZS_URL_E_REFUSED, "allow: more than %d prefixes",
                     ZS_URL_PREFIX_MAX);
        return NULL;
    }
    zs_url_allow_t *self = zs_calloc(1, sizeof *self);
    self->prefixes = zs_calloc(count ? count : 1, sizeof *self->prefixes);
    for (size_t i = 0; i < count; i++) {
        char sample[ZS_URL_SAMPLE_MAX];
        zs_error_t why;
        s_url_t *prefix = &self->prefixes[i];
        int rc = s_url_parse(prefix, prefixes[i], &why);
        if (rc == 0 && prefix->has_rest) {
            s_url_fini(prefix);
            rc =
                zs_error_set(&why, ZS_URL_E_REFUSED, "a prefix has no query or fragment");
        }
        self->count += rc == 0;
        if (rc != 0) {
            zs_error_set(err, ZS_URL_E_REFUSED,
                         "allow: '%s' is not an http(s) prefix: %s",
                         zs_sanitize_str(sample, sizeof sample, prefixes[i]), why.text);
            zs_url_allow_destroy(&self);
            return NULL;
        }
    }
    return self;
}

void
zs_url_allow_destroy(zs_url_allow_t **self_p)
{
    assert(self_p);
    zs_url_allow_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < self->count; i++) {
            s_url_fini(&self->prefixes[i]);
        }
        free(self->prefixes);
        free(self);
        *self_p = NULL;
    }
}

int
zs_url_allow_check(const zs_url_allow_t *self,
                   const char *url,
                   char **normal_p,
                   zs_error_t *err)
{
    assert(self);
    assert(url);
    assert(normal_p);
    *normal_p = NULL;
    char sample[ZS_URL_SAMPLE_MAX];
    zs_sanitize_str(sample, sizeof sample, url);
    s_url_t parsed;
    zs_error_t why;
    if (s_url_parse(&parsed, url, &why) != 0) {
        zs_error_set(err, ZS_URL_E_REFUSED, "'%s': %s", sample, why.text);
        return ZS_URL_E_REFUSED;
    }
    bool allowed = false;
    for (size_t i = 0; i < self->count && !allowed; i++) {
        allowed = s_matches(&self->prefixes[i], &parsed);
    }
    if (!allowed) {
        s_url_fini(&parsed);
        zs_error_set(err, ZS_URL_E_REFUSED, "'%s' is not under an allowed prefix",
                     sample);
        return ZS_URL_E_REFUSED;
    }
    *normal_p = zs_strdup(parsed.normal);
    s_url_fini(&parsed);
    return 0;
}

bool
zs_url_same_origin(const char *a, const char *b)
{
    assert(a);
    assert(b);
    s_url_t first, second;
    zs_error_t err;
    if (s_url_parse(&first, a, &err) != 0) {
        return false;
    }
    bool same = s_url_parse(&second, b, &err) == 0 &&
                strcmp(first.scheme, second.scheme) == 0 &&
                strcmp(first.host, second.host) == 0 && first.port == second.port;
    s_url_fini(&second);  //  parsed or not, it holds nothing to leak or double-free
    s_url_fini(&first);
    return same;
}

static bool
s_blank(uint8_t byte)
{
    return byte == ' ' || byte == '\t' || byte == '\r' || byte == '\n';
}

char *
zs_url_payload_url(const uint8_t *payload, size_t size)
{
    assert(payload || size == 0);
    size_t first = 0;
    while (first < size && s_blank(payload[first])) {
        first++;
    }
    while (size > first && s_blank(payload[size - 1])) {
        size--;
    }
    if (first == size || strchr("{[\"", payload[first]) || memchr(payload, '\0', size)) {
        return NULL;
    }
    return zs_strndup((const char *) payload + first, size - first);
}
