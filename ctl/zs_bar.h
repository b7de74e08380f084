//  zs_bar - a task's progress as one line a terminal redraws in place
//
//  zswarmctl shows the latest task.progress of a task (PROTOCOL.md §4.2) as a bar:
//
//    [##########--------------]  42%  2.1 MiB of 5.0 MiB  1.3 MiB/s
//
//  The fraction is bytes of total when the total is known, else the agent's pct; a
//  transfer of unknown size shows its bytes and rate without a bar. Formatting is a pure
//  function (zs_bar_format), so it is tested apart from any terminal.
//
//  Drawing (zs_bar_draw) writes "\r" and the line, padded with blanks over a longer
//  line drawn before, and flushes; it draws at most once per ZS_BAR_INTERVAL_MS, since
//  agents may report far more often than anyone can read. zs_bar_erase blanks the line
//  and leaves the cursor at its start, so what is printed next starts on a clean line.
//  The stream is the caller's to choose: zswarmctl draws only on a terminal.

#ifndef ZS_BAR_H
#define ZS_BAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ZS_BAR_CELLS       24   //  cells between the brackets
#define ZS_BAR_INTERVAL_MS 100  //  shortest time between two draws: 10 a second
#define ZS_BAR_LINE_MAX    128  //  a formatted line, NUL included
#define ZS_BAR_SIZE_MAX    24   //  a size as zs_bar_size writes it, NUL included

//  What a bar shows: the fields of a task.progress, zero when absent
typedef struct {
    uint64_t pct;    //  percent done as the agent says, 0..100
    uint64_t bytes;  //  bytes transferred so far
    uint64_t total;  //  bytes in all; 0: not known
    uint64_t rate;   //  bytes a second; 0: not known
} zs_bar_progress_t;

//  A bar on a stream
typedef struct {
    FILE *stream;      //  where it is drawn, borrowed
    int64_t drawn_ms;  //  the clock when it was last drawn
    size_t width;      //  characters of the line on screen; 0: nothing drawn
} zs_bar_t;

//  Write bytes as people read a size into text: "512 B", "1.5 KiB", "2.0 GiB".
void zs_bar_size(char *text, size_t size, uint64_t bytes);

//  Write progress as one line (no "\r", no newline) into line, cut to size. Returns
//  false, with line empty, when progress has nothing to show (no pct and no bytes).
bool zs_bar_format(char *line, size_t size, const zs_bar_progress_t *progress);

//  Start a bar on stream, with nothing drawn.
void zs_bar_init(zs_bar_t *self, FILE *stream);

//  Draw progress over the line drawn before, unless that was less than
//  ZS_BAR_INTERVAL_MS before now_ms (a monotonic clock, ms) or progress has nothing to
//  show. Returns true when it drew.
bool zs_bar_draw(zs_bar_t *self, const zs_bar_progress_t *progress, int64_t now_ms);

//  Blank the line drawn, if any, and put the cursor at its start.
void zs_bar_erase(zs_bar_t *self);

#endif
