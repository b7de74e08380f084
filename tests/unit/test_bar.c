//  Unit tests for zs_bar: a task's progress as a line, sizes people read, and drawing
//  in place at most ZS_BAR_INTERVAL_MS apart

#include <stdlib.h>
#include <string.h>

#include "ctl/zs_bar.h"
#include "tests/unit/zs_test.h"

#define MIB (1024 * 1024)

//  What was written on a stream, as a string the caller frees
typedef struct {
    char *text;    //  the bytes written, owned by the stream until fclose
    size_t size;   //  how many
    FILE *stream;  //  writes into text
} s_sink_t;

static void
s_sink_open(s_sink_t *self)
{
    self->text = NULL;
    self->size = 0;
    self->stream = open_memstream(&self->text, &self->size);
}

static const char *
s_sink_text(s_sink_t *self)
{
    fflush(self->stream);
    return self->text;
}

static void
s_sink_close(s_sink_t *self)
{
    fclose(self->stream);
    free(self->text);
}

static void
test_bar_transfer(void)
{
    //  A download half done: the bar, the percentage, the sizes, the rate
    zs_bar_progress_t progress = {.bytes = 5 * MIB / 2, .total = 5 * MIB, .rate = MIB};
    char line[ZS_BAR_LINE_MAX];
    ZS_CHECK(zs_bar_format(line, sizeof line, &progress));
    ZS_CHECK_STR(line, "[############------------]  50%  2.5 MiB of 5.0 MiB  1.0 MiB/s");

    //  bytes and total decide the fraction, whatever pct says
    progress = (zs_bar_progress_t){.pct = 90, .bytes = 0, .total = 4096};
    ZS_CHECK(zs_bar_format(line, sizeof line, &progress));
    ZS_CHECK_STR(line, "[------------------------]   0%  0 B of 4.0 KiB");

    progress = (zs_bar_progress_t){.bytes = 7000, .total = 7000};
    ZS_CHECK(zs_bar_format(line, sizeof line, &progress));
    ZS_CHECK_STR(line, "[########################] 100%  6.8 KiB of 6.8 KiB");
}

static void
test_bar_pct_and_unknown_size(void)
{
    char line[ZS_BAR_LINE_MAX];
    //  A percentage alone (an llm task, a handler that counts steps)
    zs_bar_progress_t progress = {.pct = 25};
    ZS_CHECK(zs_bar_format(line, sizeof line, &progress));
    ZS_CHECK_STR(line, "[######------------------]  25%");

    //  A size the server did not tell: bytes and rate, no bar
    progress = (zs_bar_progress_t){.bytes = 3 * MIB, .rate = 512};
    ZS_CHECK(zs_bar_format(line, sizeof line, &progress));
    ZS_CHECK_STR(line, "3.0 MiB  512 B/s");

    //  Nothing to show
    progress = (zs_bar_progress_t){.rate = 512};
    ZS_CHECK(!zs_bar_format(line, sizeof line, &progress));
    ZS_CHECK_STR(line, "");

    //  Out of bounds from the wire: more bytes than the total, pct over 100
    progress = (zs_bar_progress_t){.pct = 250, .bytes = 9000, .total = 10};
    ZS_CHECK(zs_bar_format(line, sizeof line, &progress));
    ZS_CHECK(strncmp(line, "[########################] 100%", 31) == 0);
    progress = (zs_bar_progress_t){.pct = 250};
    ZS_CHECK(zs_bar_format(line, sizeof line, &progress));
    ZS_CHECK_STR(line, "[########################] 100%");
}

static void
test_bar_cut_to_size(void)
{
    zs_bar_progress_t progress = {.bytes = 1, .total = 2, .rate = 3};
    char line[8];
    ZS_CHECK(zs_bar_format(line, sizeof line, &progress));
    ZS_CHECK_STR(line, "[######");
    char one[1];
    ZS_CHECK(zs_bar_format(one, sizeof one, &progress));
    ZS_CHECK(one[0] == '\0');
}

static void
test_bar_sizes(void)
{
    static const struct {
        uint64_t bytes;
        const char *text;
    } cases[] = {
        {0, "0 B"},
        {1023, "1023 B"},
        {1024, "1.0 KiB"},
        {1536, "1.5 KiB"},
        {MIB, "1.0 MiB"},
        {(uint64_t) 3 << 30, "3.0 GiB"},
        {UINT64_MAX, "16.0 EiB"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[ZS_BAR_SIZE_MAX];
        zs_bar_size(text, sizeof text, cases[i].bytes);
        ZS_CHECK_STR(text, cases[i].text);
    }
}

static void
test_bar_draws_in_place(void)
{
    s_sink_t sink;
    s_sink_open(&sink);
    zs_bar_t bar;
    zs_bar_init(&bar, sink.stream);
    zs_bar_progress_t progress = {.bytes = 1024, .total = 4096, .rate = 2048};
    ZS_CHECK(zs_bar_draw(&bar, &progress, 1000));
    ZS_CHECK_STR(s_sink_text(&sink),
                 "\r[######------------------]  25%  1.0 KiB of 4.0 KiB  2.0 KiB/s");

    //  Within ZS_BAR_INTERVAL_MS: not drawn
    progress.bytes = 2048;
    ZS_CHECK(!zs_bar_draw(&bar, &progress, 1000 + ZS_BAR_INTERVAL_MS - 1));
    size_t before = sink.size;

    //  Then drawn over the old line; a shorter line is padded over the longer one
    progress = (zs_bar_progress_t){.pct = 75};
    ZS_CHECK(zs_bar_draw(&bar, &progress, 1000 + ZS_BAR_INTERVAL_MS));
    const char *text = s_sink_text(&sink) + before;
    const char *want = "\r[##################------]  75%";
    ZS_CHECK(strncmp(text, want, strlen(want)) == 0);
    size_t old = strlen("[######------------------]  25%  1.0 KiB of 4.0 KiB  2.0 KiB/s");
    ZS_CHECK(strlen(text) == 1 + old);
    ZS_CHECK(strspn(text + strlen(want), " ") == old + 1 - strlen(want));

    //  Erased: blanks over the line drawn, the cursor at its start; twice is once
    before = sink.size;
    zs_bar_erase(&bar);
    text = s_sink_text(&sink) + before;
    size_t shown = strlen("[##################------]  75%");
    ZS_CHECK(strlen(text) == shown + 2 && text[0] == '\r' && text[shown + 1] == '\r');
    ZS_CHECK(strspn(text + 1, " ") == shown);
    before = sink.size;
    zs_bar_erase(&bar);
    ZS_CHECK(sink.size == before);
    s_sink_close(&sink);
}

static void
test_bar_nothing_to_show(void)
{
    s_sink_t sink;
    s_sink_open(&sink);
    zs_bar_t bar;
    zs_bar_init(&bar, sink.stream);
    zs_bar_progress_t progress = {0};
    ZS_CHECK(!zs_bar_draw(&bar, &progress, 0));
    zs_bar_erase(&bar);
    ZS_CHECK(sink.size == 0);
    s_sink_close(&sink);
}

static const zs_test_case_t s_cases[] = {
    {"bar_transfer", test_bar_transfer},
    {"bar_pct_and_unknown_size", test_bar_pct_and_unknown_size},
    {"bar_cut_to_size", test_bar_cut_to_size},
    {"bar_sizes", test_bar_sizes},
    {"bar_draws_in_place", test_bar_draws_in_place},
    {"bar_nothing_to_show", test_bar_nothing_to_show},
};

ZS_TEST_MAIN(s_cases)
