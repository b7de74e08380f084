//  test_sse - server-sent events and NDJSON framing, fed whole and split at every byte

#include "agent/zs_sse.h"
#include "common/zs_util.h"
#include "tests/unit/zs_test.h"

#define S_OUT_MAX 4096  //  bytes of the transcript one case may produce

//  What the callbacks saw, as one text: "[event|data]" per dispatch
typedef struct {
    char out[S_OUT_MAX];  //  the transcript
    size_t size;          //  its length
    int stop_at;          //  the callback returns 7 on this dispatch (1-based), 0: never
    int calls;            //  dispatches so far
} s_seen_t;

static int
s_on_event(void *arg, const char *event, const char *data, size_t size)
{
    s_seen_t *seen = arg;
    if (strlen(data) != size) {
        return 99;  //  data must be NUL-terminated at size
    }
    int len = snprintf(seen->out + seen->size, sizeof seen->out - seen->size, "[%s|%s]",
                       event, data);
    seen->size += len > 0 ? (size_t) len : 0;
    return ++seen->calls == seen->stop_at ? 7 : 0;
}

//  Feed text in two pieces split at `at` (or byte by byte when at is SIZE_MAX), then end
static int
s_run(zs_sse_mode_t mode, size_t max, const char *text, size_t at, s_seen_t *seen)
{
    zs_sse_t sse;
    int stop_at = seen->stop_at;
    memset(seen, 0, sizeof *seen);
    seen->stop_at = stop_at;
    zs_sse_init(&sse, mode, max, s_on_event, seen);
    size_t size = strlen(text);
    int code = 0;
    if (at == SIZE_MAX) {
        for (size_t i = 0; i < size && code == 0; i++) {
            code = zs_sse_feed(&sse, text + i, 1);
        }
    } else {
        code = zs_sse_feed(&sse, text, at);
        code = code ? code : zs_sse_feed(&sse, text + at, size - at);
    }
    code = code ? code : zs_sse_end(&sse);
    zs_sse_fini(&sse);
    return code;
}

//  The transcript of text is expect, and the code is code, however text is split
static bool
s_same_every_split(zs_sse_mode_t mode,
                   size_t max,
                   const char *text,
                   const char *expect,
                   int code,
                   int stop_at)
{
    size_t size = strlen(text);
    for (size_t at = 0; at <= size + 1; at++) {
        s_seen_t seen = {.stop_at = stop_at};
        size_t split = at == size + 1 ? SIZE_MAX : at;
        int got = s_run(mode, max, text, split, &seen);
        if (got != code || strcmp(seen.out, expect) != 0) {
            fprintf(stderr, "split at %zu: code %d, '%s'\n", split, got, seen.out);
            return false;
        }
    }
    return true;
}

//  The normal use: OpenAI's chunks, each an event of one data line, and its [DONE]
static void
test_events(void)
{
    const char *text = "data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n";
    ZS_CHECK(s_same_every_split(ZS_SSE_EVENTS, 1024, text,
                                "[|{\"a\":1}][|{\"b\":2}][|[DONE]]", 0, 0));
}

//  The standard's rules: CRLF, LF and lone CR; comments; the event field; one space
//  dropped after the colon (only one); data lines joined; an empty event not sent;
//  id and retry ignored; a field without a colon
static void
test_event_rules(void)
{
    const char *text = ": keep-alive\r\n"
                       "event: message_start\r\ndata: one\r\n\r\n"
                       "event:ping\rdata:two\r\rid: 7\nretry: 10\n\n"
                       "data:  three\ndata\ndata: four\n\n"
                       "event: lonely\n\n"
                       "data: last";
    const char *expect = "[message_start|one][ping|two][| three\n\nfour][|last]";
    ZS_CHECK(s_same_every_split(ZS_SSE_EVENTS, 1024, text, expect, 0, 0));
    //  An event field longer than kept is cut, not refused
    char longer[200];
    snprintf(longer, sizeof longer, "event: %0100d\ndata: x\n\n", 0);
    s_seen_t seen = {0};
    ZS_CHECK(s_run(ZS_SSE_EVENTS, 1024, longer, SIZE_MAX, &seen) == 0);
    ZS_CHECK(seen.calls == 1 && strlen(seen.out) == 63 + 4);
}

static void
test_lines(void)
{
    const char *text = "{\"a\":1}\n\n  \r\n{\"b\":2}\r\n{\"c\":\"x\ry\"}\n{\"d\":4}";
    ZS_CHECK(s_same_every_split(ZS_SSE_LINES, 1024, text,
                                "[|{\"a\":1}][|{\"b\":2}][|{\"c\":\"x\ry\"}][|{\"d\":4}]",
                                0, 0));
}

//  A line or an event's data past the bound is refused, wherever the chunks split it
static void
test_bounds(void)
{
    //  "data: 12" is 8 bytes: the line fits, and so does its value
    ZS_CHECK(s_same_every_split(ZS_SSE_EVENTS, 8, "data: 12\n\n", "[|12]", 0, 0));
    ZS_CHECK(
        s_same_every_split(ZS_SSE_EVENTS, 8, "data: 123\n\n", "", ZS_SSE_E_TOO_LONG, 0));
    //  Two data lines that fit alone but not joined
    ZS_CHECK(s_same_every_split(ZS_SSE_EVENTS, 9, "data:1234\ndata:1234\n\n",
                                "[|1234\n1234]", 0, 0));
    ZS_CHECK(s_same_every_split(ZS_SSE_EVENTS, 9, "data:1234\ndata:1234\ndata:1234\n\n",
                                "", ZS_SSE_E_TOO_LONG, 0));
    ZS_CHECK(s_same_every_split(ZS_SSE_LINES, 4, "abcd\nabcde\n", "[|abcd]",
                                ZS_SSE_E_TOO_LONG, 0));
    ZS_CHECK(s_same_every_split(ZS_SSE_LINES, 4, "abcd", "[|abcd]", 0, 0));
}

//  A callback's nonzero code stops the stream: nothing more is called, and it sticks
static void
test_stop(void)
{
    ZS_CHECK(s_same_every_split(ZS_SSE_LINES, 64, "1\n2\n3\n", "[|1][|2]", 7, 2));
    ZS_CHECK(s_same_every_split(ZS_SSE_EVENTS, 64, "data: 1\n\ndata: 2\n\ndata: 3\n\n",
                                "[|1]", 7, 1));
    zs_sse_t sse;
    s_seen_t seen = {.stop_at = 1};
    zs_sse_init(&sse, ZS_SSE_LINES, 64, s_on_event, &seen);
    bool ok = true;
    ZS_EXPECT(ok, zs_sse_feed(&sse, "a\nb\n", 4) == 7);
    ZS_EXPECT(ok, zs_sse_feed(&sse, "c\n", 2) == 7);
    ZS_EXPECT(ok, zs_sse_end(&sse) == 7);
    ZS_EXPECT(ok, seen.calls == 1);
    zs_sse_fini(&sse);
    zs_sse_fini(&sse);  //  harmless twice
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"events", test_events}, {"event_rules", test_event_rules},
    {"lines", test_lines},   {"bounds", test_bounds},
    {"stop", test_stop},
};

ZS_TEST_MAIN(s_cases)
