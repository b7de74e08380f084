//  zs_http_req - see zs_http_req.h

#include "agent/zs_http_req.h"
#include "agent/zs_url.h"

#include <czmq.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>

#define ZS_HTTP_REQ_SAMPLE_MAX 64  //  bytes of a bad name or value quoted in a reason

static const char *const s_methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};

//  Request headers a task may not set: they frame or route the request
static const char *const s_forbidden[] = {
    "host", "content-length", "transfer-encoding", "connection", "upgrade",
    "te",   "trailer",        "keep-alive",        "expect",
};

//  Request headers that carry credentials, dropped when a redirect leaves the origin
static const char *const s_credentials[] = {"authorization", "cookie"};

#define S_COUNT(array) (sizeof(array) / sizeof(array)[0])

static bool
s_in(const char *name, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (strcasecmp(name, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

bool
zs_http_req_token_valid(const char *name)
{
    size_t len = strlen(name);
    return len > 0 && len <= ZS_HTTP_REQ_HEADER_MAX &&
           strspn(name, "!#$%&'*+-.^_`|~0123456789"
                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == len;
}

//  ---- parts ---------------------------------------------------------------------------

static int
s_method(zs_http_req_t *req, json_t *value, zs_error_t *err)
{
    const char *method = json_string_value(value);
    for (size_t i = 0; method && i < S_COUNT(s_methods); i++) {
        if (strcmp(method, s_methods[i]) == 0) {
            req->method = s_methods[i];
            return 0;
        }
    }
    return zs_error_set(err, 0, "method must be one of GET HEAD POST PUT PATCH DELETE");
}

static struct curl_slist *
s_append(struct curl_slist *list, const char *line)
{
    struct curl_slist *more = curl_slist_append(list, line);
    if (!more) {
        zsys_error("out of memory: curl_slist_append");
        abort();
    }
    return more;
}

void
zs_http_req_append(zs_http_req_t *req, const char *line)
{
    assert(req);
    assert(line);
    req->headers = s_append(req->headers, line);
}

static int
s_header(zs_http_req_t *req, const char *name, json_t *value, zs_error_t *err)
{
    char sample[ZS_HTTP_REQ_SAMPLE_MAX];
    const char *text = json_string_value(value);
    size_t len = json_string_length(value);
    if (!zs_http_req_token_valid(name)) {
        return zs_error_set(err, 0, "header name '%s' is not a token",
                            zs_sanitize_str(sample, sizeof sample, name));
    }
    if (s_in(name, s_forbidden, S_COUNT(s_forbidden)) ||
        strncasecmp(name, "proxy-", 6) == 0) {
        return zs_error_set(err, 0, "header '%s' may not be set by a task",
                            zs_sanitize_str(sample, sizeof sample, name));
    }
    if (!text || strlen(text) != len || strpbrk(text, "\r\n") ||
        strlen(name) + len > ZS_HTTP_REQ_HEADER_MAX) {
        return zs_error_set(err, 0,
                            "header '%s' needs a string value of one line, at most %d "
                            "bytes with its name",
                            zs_sanitize_str(sample, sizeof sample, name),
                            ZS_HTTP_REQ_HEADER_MAX);
    }
    char line[ZS_HTTP_REQ_HEADER_MAX + 4];
    //  libcurl sends "Name:" with an empty value only when written "Name;"
    snprintf(line, sizeof line, len ? "%s: %s" : "%s;", name, text);
    zs_http_req_append(req, line);
    return 0;
}

static int
s_headers(zs_http_req_t *req, json_t *value, zs_error_t *err)
{
    if (!json_is_object(value) || json_object_size(value) > ZS_HTTP_REQ_HEADERS_MAX) {
        return zs_error_set(err, 0, "headers must be an object of at most %d strings",
                            ZS_HTTP_REQ_HEADERS_MAX);
    }
    const char *name;
    json_t *text;
    json_object_foreach(value, name, text)
    {
        if (s_header(req, name, text, err) != 0) {
            return -1;
        }
    }
    return 0;
}

static int
s_body(zs_http_req_t *req, json_t *value, zs_error_t *err)
{
    if (!json_is_string(value)) {
        return zs_error_set(err, 0, "body must be a string");
    }
    req->body_size = json_string_length(value);
    req->body = zs_malloc(req->body_size + 1);
    memcpy(req->body, json_string_value(value), req->body_size);
    return 0;
}

static int
s_body_base64(zs_http_req_t *req, json_t *value, zs_error_t *err)
{
    const char *text = json_string_value(value);
    size_t len = json_string_length(value);
    req->body = zs_malloc(len / 4 * 3 + 3);
    if (!text ||
        sodium_base642bin(req->body, len / 4 * 3 + 3, text, len, NULL, &req->body_size,
                          NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        return zs_error_set(err, 0, "body_base64 must be a string of padded base64");
    }
    return 0;
}

static int
s_url(zs_http_req_t *req, json_t *value, zs_error_t *err)
{
    if (!json_is_string(value) ||
        strlen(json_string_value(value)) != json_string_length(value)) {
        return zs_error_set(err, 0, "url must be a string");
    }
    req->url = zs_strdup(json_string_value(value));
    return 0;
}

//  The payload's keys, each parsed by its function
static const struct {
    const char *key;                                                   //  JSON key
    int (*parse)(zs_http_req_t *req, json_t *value, zs_error_t *err);  //  its parser
} s_keys[] = {
    {"url", s_url},   {"method", s_method},           {"headers", s_headers},
    {"body", s_body}, {"body_base64", s_body_base64},
};

static int
s_key(zs_http_req_t *req, const char *key, json_t *value, zs_error_t *err)
{
    char sample[ZS_HTTP_REQ_SAMPLE_MAX];
    for (size_t i = 0; i < S_COUNT(s_keys); i++) {
        if (strcmp(key, s_keys[i].key) == 0) {
            return s_keys[i].parse(req, value, err);
        }
    }
    return zs_error_set(err, 0, "unknown key '%s'",
                        zs_sanitize_str(sample, sizeof sample, key));
}

static int
s_object(zs_http_req_t *req, json_t *root, zs_error_t *err)
{
    if (!json_is_object(root)) {
        return zs_error_set(err, 0, "must be a JSON object or a URL");
    }
    if (json_object_get(root, "body") && json_object_get(root, "body_base64")) {
        return zs_error_set(err, 0, "body and body_base64 exclude each other");
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        if (s_key(req, key, value, err) != 0) {
            return -1;
        }
    }
    if (!req->url) {
        return zs_error_set(err, 0, "url is required");
    }
    if (req->body &&
        (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)) {
        return zs_error_set(err, 0, "%s takes no body", req->method);
    }
    return 0;
}

//  ---- the request ---------------------------------------------------------------------

int
zs_http_req_parse(zs_http_req_t *req,
                  const uint8_t *payload,
                  size_t size,
                  zs_error_t *err)
{
    assert(req);
    assert(payload || size == 0);
    memset(req, 0, sizeof *req);
    req->method = "GET";
    req->url = zs_url_payload_url(payload, size);
    if (req->url) {
        return 0;
    }
    json_error_t jerr;
    json_t *root =
        json_loadb((const char *) payload, size, JSON_REJECT_DUPLICATES, &jerr);
    int rc =
        root ? s_object(req, root, err)
             : zs_error_set(err, 0, "not JSON: %s at byte %d", jerr.text, jerr.position);
    json_decref(root);
    if (rc != 0) {
        zs_http_req_fini(req);
    }
    return rc;
}

void
zs_http_req_fini(zs_http_req_t *req)
{
    assert(req);
    free(req->url);
    free(req->body);
    curl_slist_free_all(req->headers);
    memset(req, 0, sizeof *req);
}

bool
zs_http_req_has_body(const zs_http_req_t *req)
{
    assert(req);
    //  Methods that carry content send a Content-Length even when it is 0 (RFC 9110
    //  8.6); DELETE only when it was given one
    return req->body != NULL || strcmp(req->method, "POST") == 0 ||
           strcmp(req->method, "PUT") == 0 || strcmp(req->method, "PATCH") == 0;
}

void
zs_http_req_drop_credentials(zs_http_req_t *req)
{
    assert(req);
    struct curl_slist *kept = NULL;
    for (struct curl_slist *line = req->headers; line; line = line->next) {
        size_t len = strcspn(line->data, ":;");
        char name[ZS_HTTP_REQ_HEADER_MAX + 1];
        snprintf(name, sizeof name, "%.*s", (int) len, line->data);
        if (!s_in(name, s_credentials, S_COUNT(s_credentials))) {
            kept = s_append(kept, line->data);
        }
    }
    curl_slist_free_all(req->headers);
    req->headers = kept;
}

void
zs_http_req_make_get(zs_http_req_t *req)
{
    assert(req);
    req->method = "GET";
    free(req->body);
    req->body = NULL;
    req->body_size = 0;
}
