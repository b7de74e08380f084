//  zs_util - allocation, errors and rate-limited logging shared by every program
//
//  Clocks are czmq's: zclock_mono () and zclock_usecs () (monotonic, for deadlines and
//  latency) and zclock_time () (wall, ms since the Unix epoch, for timestamps that
//  outlive the process).
//
//  Allocation never returns NULL: running out of memory aborts with a message, so callers
//  do not carry OOM paths that could never be tested (Redis, czmq). Errors caused by
//  outside input are reported through a caller-provided zs_error_t: a fixed buffer, so
//  filling it can neither fail nor allocate.

#ifndef ZS_UTIL_H
#define ZS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZS_ERROR_TEXT_MAX 512  //  longest human-readable error, with NUL

typedef struct {
    int code;                      //  module- or wire-specific code, 0 when unset
    char text[ZS_ERROR_TEXT_MAX];  //  message for humans, never ends in a period
} zs_error_t;

//  Allocate or abort. zs_malloc's memory is uninitialised; zs_calloc's is zeroed.
void *zs_malloc(size_t size);
void *zs_calloc(size_t count, size_t size);
void *zs_realloc(void *ptr, size_t size);
//  Caller owns the returned copy. zs_strndup copies at most size bytes and terminates.
char *zs_strdup(const char *str);
char *zs_strndup(const char *str, size_t size);
//  Copies of count strings in a new NULL-terminated list, or NULL when count is 0;
//  the caller frees it with zs_strings_free.
char **zs_strings_copy(const char *const *strings, size_t count);
//  Free a list of count strings and the list. Accepts NULL.
void zs_strings_free(char **strings, size_t count);

//  Fill err (if not NULL) with code and a printf-style message. Returns -1 so that
//  validators can `return zs_error_set (err, ...)`.
int zs_error_set(zs_error_t *err, int code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

//  Clear err to code 0 and an empty message.
void zs_error_init(zs_error_t *err);

//  Cut a UTF-8 sequence that a fixed buffer truncated mid-character off the end of
//  text, so text built from valid UTF-8 pieces stays valid.
void zs_utf8_trim(char *text);

//  Parse a whole decimal string into [min, max]. Returns 0, or -1 on any junk or
//  overflow.
int zs_parse_int(const char *text, int64_t min, int64_t max, int64_t *value);

//  Token bucket for logs triggered by peers: at most `burst` messages, refilled at
//  `per_sec` a second, so a flood of bad input cannot flood the log.
typedef struct {
    double tokens;        //  messages that may still be logged now
    int64_t last_ms;      //  last refill, zs_clock_ms
    uint64_t suppressed;  //  messages dropped since the last one logged
} zs_ratelimit_t;

//  True when a message may be logged now. After suppression, *suppressed_p (if not NULL)
//  receives how many were dropped since the last allowed one, so the log can say so.
bool zs_ratelimit_allow(zs_ratelimit_t *self, uint64_t *suppressed_p);

//  Write a printable, bounded sample of untrusted bytes into dest (NUL-terminated):
//  printable ASCII as is, everything else as \xNN, cut at dest_size with "...".
void zs_sanitize(char *dest, size_t dest_size, const void *data, size_t size);

//  zs_sanitize of a string (NULL reads as empty), returning dest: what peer text goes
//  through on its way to a log, e.g. zsys_info ("from '%s'", zs_sanitize_str (buf,
//  sizeof buf, host)).
const char *zs_sanitize_str(char *dest, size_t dest_size, const char *text);

//  Set up czmq logging for a program: ident and the stderr stream. Returns true when
//  ZSWARM_LOG=debug asks for debug output, which callers gate on that flag.
bool zs_log_init(const char *ident);

//  The exit statuses of zswarm's programs
#define ZS_EXIT_OK    0  //  done, or stopped as asked
#define ZS_EXIT_FAIL  1  //  could not start, or failed while running
#define ZS_EXIT_USAGE 2  //  a bad command line (or swarm file, for zswarmd)

//  A bad command line: print "PROGRAM: message" and "try 'PROGRAM --help'" on stderr.
//  Returns ZS_EXIT_USAGE.
int zs_usage_error(const char *program, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#endif
