//  zs_http - the http handler: one HTTP request per task attempt (docs/http.md)
//
//  The payload is a JSON object {url, method, headers, body | body_base64} (or a bare
//  URL, for a GET); the result's stdout is a JSON object {status, url, headers, body |
//  body_base64}: the final response's status, the URL that gave it, the response
//  headers the type selects and the body, as text when it is UTF-8 and in base64
//  otherwise. 2xx and 3xx are ok; any other status fails with why "http status N"
//  and the same stdout. Every transfer runs in the agent's loop through zs_xfer.
//
//  Only URLs under the type's allow list are reached (zs_url), checked before any
//  connection, and again for every redirect, which this module follows itself (at
//  most max_redirects; credentials are dropped when the origin changes; 303, and 301
//  or 302 after a POST, turn into a GET). A body over max_body stops the transfer.
//  Failures say their kind first in why: "refused: ", "payload: ", "dns: ",
//  "connect: ", "tls: ", "timeout", "network: ", "too large: ", "http status N". A
//  cancel or the attempt's tmo aborts the transfer at once.
//
//  Why a body within max_body may still fail as too large: the result travels in a
//  task.result whose stdout holds at most ZS_MSG_OUTPUT_MAX bytes, so max_body is
//  capped at ZS_HTTP_BODY_MAX, and a result whose JSON (the body escaped or in base64,
//  with the status and headers) does not fit fails rather than being cut.

#ifndef ZS_HTTP_H
#define ZS_HTTP_H

#include "agent/zs_handler.h"

#define ZS_HTTP_BODY_MAX         ZS_MSG_OUTPUT_MAX  //  largest max_body: a result's stdout
#define ZS_HTTP_MAX_BODY_DEFAULT ZS_HTTP_BODY_MAX   //  the swarm file's default max_body
#define ZS_HTTP_REDIRECTS_MAX    20                 //  most redirects a type may follow
#define ZS_HTTP_SELECT_MAX       64                 //  response headers a type may select

typedef struct _zs_http_t zs_http_t;

//  A type's settings, from the welcome (zs_http_conf_from_welcome) or a test.
//  Everything is borrowed for the zs_http_configure call.
typedef struct {
    const char *const *allow;    //  URL prefixes that may be reached
    size_t allow_count;          //  their number
    uint64_t max_body;           //  response body bound, bytes; 0: the default
    uint64_t max_redirects;      //  redirects followed; 0: none
    const char *const *headers;  //  response headers returned (any case)
    size_t header_count;         //  their number; 0: just content-type
} zs_http_conf_t;

//  Create an http handler running its transfers in loop (borrowed) and reporting to
//  sink (copied). It refuses every task until configured. Never returns NULL.
zs_http_t *zs_http_new(zloop_t *loop, const zs_handler_sink_t *sink);

//  Abort every transfer without reporting it, free the handler, set *self_p to NULL.
//  Accepts NULL.
void zs_http_destroy(zs_http_t **self_p);

//  Fill conf from a welcome (borrowed; conf points into it).
void zs_http_conf_from_welcome(zs_http_conf_t *conf, const zs_msg_t *welcome);

//  Adopt conf for later attempts. Returns 0, or -1 with err filled when a prefix or a
//  header name is not valid: then every later attempt fails, saying so.
int zs_http_configure(zs_http_t *self, const zs_http_conf_t *conf, zs_error_t *err);

//  Run one attempt of assign (a task.assign, borrowed for the call): `started`, then
//  `finished` from the loop; or `finished` at once when the payload or the URL is
//  refused.
void zs_http_start(zs_http_t *self, const zs_msg_t *assign);

//  Cancel an attempt: its transfer is aborted and `finished` follows at once with
//  status "cancelled". Returns 0, or ZS_HANDLER_E_NO_JOB.
int zs_http_cancel(zs_http_t *self, const char *task, uint64_t att);

//  Attempts started and not finished.
size_t zs_http_running(zs_http_t *self);

//  Abort every attempt without reporting it.
void zs_http_kill_all(zs_http_t *self);

//  The http handler for the runtime's handler table.
extern const zs_handler_ops_t zs_http_ops;

#endif
