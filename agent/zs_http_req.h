//  zs_http_req - an http task's payload, parsed and checked (docs/http.md)
//
//  A payload is a JSON object {url (required), method, headers {name: value}, body |
//  body_base64}, or a bare http(s) URL, which is a GET. Methods: GET (default), HEAD,
//  POST, PUT, PATCH, DELETE; GET and HEAD take no body. Header names are RFC 9110
//  tokens; values hold no CR, LF or NUL; the names that frame or route a request
//  (Host, Content-Length, Transfer-Encoding, Connection, Upgrade, TE, Trailer,
//  Keep-Alive, Expect, Proxy-*) are refused, because a task must not be able to
//  smuggle a second request or reach another host through the allowed one. An
//  unknown key, a duplicate key or a wrong type is refused, not ignored: a typo in a
//  payload fails loudly. Every refusal fills a zs_error_t for the result's why.
//
//  The URL is taken as given; zs_url checks it against the allow list.

#ifndef ZS_HTTP_REQ_H
#define ZS_HTTP_REQ_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/zs_util.h"

#define ZS_HTTP_REQ_HEADERS_MAX 64    //  headers in one request
#define ZS_HTTP_REQ_HEADER_MAX  8192  //  bytes of one header, name and value

//  A request as the payload asks for it
typedef struct {
    char *url;                   //  owned: as given, not yet checked
    const char *method;          //  static: "GET", "HEAD", "POST", ...
    struct curl_slist *headers;  //  owned: "Name: value" lines, NULL for none
    uint8_t *body;               //  owned: the body, NULL for none
    size_t body_size;            //  its length
} zs_http_req_t;

//  Parse size bytes of payload into req (overwritten). Returns 0 with req owning its
//  parts, or -1 with err saying what is wrong and req empty.
int zs_http_req_parse(zs_http_req_t *req,
                      const uint8_t *payload,
                      size_t size,
                      zs_error_t *err);

//  Free what req owns and leave it empty. Accepts an empty req.
void zs_http_req_fini(zs_http_req_t *req);

//  True when req sends a body, maybe empty: POST, PUT and PATCH always, DELETE with one.
bool zs_http_req_has_body(const zs_http_req_t *req);

//  Add a header line ("Name: value", or "Name:" to stop libcurl sending its own)
//  to req, unchecked: for the handler's own headers, never a task's.
void zs_http_req_append(zs_http_req_t *req, const char *line);

//  Drop the headers that carry credentials (Authorization, Cookie): what a redirect
//  to another origin does.
void zs_http_req_drop_credentials(zs_http_req_t *req);

//  Turn req into a GET without a body: what a 303, or a 301/302 after a POST, does.
void zs_http_req_make_get(zs_http_req_t *req);

//  True when name is an RFC 9110 token of 1..ZS_HTTP_REQ_HEADER_MAX bytes.
bool zs_http_req_token_valid(const char *name);

#endif
