//  zs_url - the URLs an http or download agent may reach: an allow list of prefixes
//
//  A type's `allow:` lists absolute http(s) URL prefixes. A URL is allowed when, after
//  both were parsed and normalised by libcurl's URL API (CURLU) the same way, one
//  prefix has the same scheme, the same host (ASCII case folded, one trailing dot
//  dropped, IPv4 numbers in dotted form as libcurl writes them), the same port
//  (defaults filled in: 80, 443) and a path the URL's path lies under. "Under" is by
//  segments: a prefix path ending in '/' takes every path that starts with it; one
//  that does not takes itself and what lies below it ("/api" takes "/api" and
//  "/api/x", never "/apix"). Dot segments are resolved before the comparison, and
//  the part past the prefix may not hide one (%2e, %2f, %5c or '\'), since a server
//  could decode it into a way out of the prefix.
//
//  Refused whatever the list says: a URL that is not absolute, a scheme other than
//  http and https, any userinfo ("https://a.com@evil.org/" names host evil.org with a
//  user, and is refused for the user), an empty host, text over ZS_URL_MAX bytes.
//  A host compares whole, so "https://a.com/" never allows "https://a.com.evil.org/".
//
//  Why prefixes are parsed rather than compared as text: the text that reaches the
//  server is what libcurl makes of a URL, and only the same parser on both sides
//  makes the check mean what the request does. The handlers fetch the normalised URL
//  this module returns, never the text they were given.

#ifndef ZS_URL_H
#define ZS_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/zs_util.h"

#define ZS_URL_MAX        8192  //  longest URL or prefix accepted, bytes
#define ZS_URL_PREFIX_MAX 64    //  most prefixes in one list

typedef struct _zs_url_allow_t zs_url_allow_t;

//  Expected outcomes of a check, which the caller reports
typedef enum {
    ZS_URL_E_REFUSED = 1,  //  not a URL the list allows; err says why
} zs_url_code_t;

//  Parse count prefixes (each borrowed for the call) into an allow list. Returns it,
//  or NULL with err filled when a prefix is not an absolute http(s) URL without
//  userinfo, query or fragment, or there are more than ZS_URL_PREFIX_MAX. An empty
//  list is valid and allows nothing.
zs_url_allow_t *
zs_url_allow_new(const char *const *prefixes, size_t count, zs_error_t *err);

//  Free the list and set *self_p to NULL. Accepts NULL.
void zs_url_allow_destroy(zs_url_allow_t **self_p);

//  Check url (borrowed) against the list. Returns 0 and sets *normal_p to the
//  normalised URL to fetch (caller frees; without any fragment), or ZS_URL_E_REFUSED
//  with err saying why (the URL quoted, sanitised and bounded) and *normal_p NULL.
int zs_url_allow_check(const zs_url_allow_t *self,
                       const char *url,
                       char **normal_p,
                       zs_error_t *err);

//  True when a and b (absolute http(s) URLs) have the same scheme, host and port:
//  what decides whether credentials may follow a redirect. False when either does not
//  parse.
bool zs_url_same_origin(const char *a, const char *b);

//  The URL a task's payload (size bytes) is, when it is a bare URL rather than JSON:
//  bytes without NUL whose first non-blank byte opens no JSON object, array or string.
//  Returns a copy without the blanks around it (the caller frees), or NULL for JSON.
char *zs_url_payload_url(const uint8_t *payload, size_t size);

#endif
