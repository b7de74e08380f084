//  zs_sse - server-sent events and newline-delimited JSON, from byte chunks of any size
//
//  Streamed LLM answers come in one of two framings: server-sent events (OpenAI and
//  Anthropic: "event:" and "data:" lines, an event ending at a blank line; WHATWG HTML
//  "Server-sent events", §9.2.6 "Interpreting an event stream") or newline-delimited
//  JSON (Ollama: one JSON document a line). A zs_sse_t takes the body as it arrives, in
//  chunks split anywhere (inside a line, between a CR and its LF, inside a UTF-8
//  sequence), and calls back once per complete event or line. It knows nothing of JSON.
//
//  SSE as the standard reads it: a line ends at CRLF, LF or a lone CR; a line starting
//  with ':' is a comment; "field: value" loses one space after the colon; several data
//  lines join with "\n"; an event with no data line is not dispatched; unknown fields
//  (id, retry, others) are ignored. NDJSON: a line ends at LF, a CR before it is
//  dropped, blank lines are skipped.
//
//  Bounded: a line, or an event's data, longer than the bound given at init is an error,
//  and nothing past the bound is ever kept. After an error or a callback's stop, the
//  stream is finished: every later call returns the same code and calls nothing.

#ifndef ZS_SSE_H
#define ZS_SSE_H

#include <stdbool.h>
#include <stddef.h>

#define ZS_SSE_EVENT_MAX 64  //  bytes kept of an event's name, with NUL

//  The framing of a stream
typedef enum {
    ZS_SSE_EVENTS,  //  server-sent events
    ZS_SSE_LINES,   //  newline-delimited JSON (or any text, one record a line)
} zs_sse_mode_t;

//  What feed and end return besides 0 and a callback's own code
typedef enum {
    ZS_SSE_E_TOO_LONG = -2,  //  a line or an event's data passed the bound
} zs_sse_code_t;

//  One event (ZS_SSE_EVENTS: event is its "event:" field, "" when none was given) or one
//  line (ZS_SSE_LINES: event is ""). data is NUL-terminated, size bytes long, borrowed
//  for the call. Returns 0 to go on, anything else to stop the stream with that code.
typedef int(zs_sse_fn)(void *arg, const char *event, const char *data, size_t size);

typedef struct {
    zs_sse_mode_t mode;  //  the framing
    size_t max;          //  bound of a line and of an event's data, bytes
    zs_sse_fn *fn;       //  called per event or line
    void *arg;           //  given to fn
    char *line;          //  owned: the line being read, not terminated
    size_t line_size;    //  its bytes
    size_t line_cap;     //  bytes allocated
    bool skip_lf;        //  the last byte was a CR: a LF right after it ends nothing
    char *data;          //  owned: the event's data lines so far, "\n"-joined
    size_t data_size;    //  its bytes
    size_t data_cap;     //  bytes allocated
    bool has_data;       //  a data line was seen (even an empty one)
    char event[ZS_SSE_EVENT_MAX];  //  the event's "event:" field, cut to fit
    int code;                      //  0, or what stopped the stream
} zs_sse_t;

//  Start a stream: each event or line of at most max bytes goes to fn (arg given back).
void
zs_sse_init(zs_sse_t *self, zs_sse_mode_t mode, size_t max, zs_sse_fn *fn, void *arg);

//  Free what the stream holds. Accepts a stream that was never fed.
void zs_sse_fini(zs_sse_t *self);

//  Take size bytes of the body. Returns 0, ZS_SSE_E_TOO_LONG, or the nonzero code a
//  callback returned (the stream stops there; the rest of the chunk is not read).
int zs_sse_feed(zs_sse_t *self, const void *data, size_t size);

//  The body ended: a last line without its newline is read as if it had one, and an
//  event whose blank line never came is dispatched. Returns as zs_sse_feed.
int zs_sse_end(zs_sse_t *self);

#endif
