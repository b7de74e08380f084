//  zs_bar - see zs_bar.h

#include "ctl/zs_bar.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#define ZS_BAR_UNIT 1024  //  sizes in KiB, MiB, ...

static const char *const s_units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

void
zs_bar_size(char *text, size_t size, uint64_t bytes)
{
    assert(text);
    if (bytes < ZS_BAR_UNIT) {
        snprintf(text, size, "%" PRIu64 " B", bytes);
        return;
    }
    double value = (double) bytes;
    size_t unit = 0;
    while (value >= ZS_BAR_UNIT && unit + 1 < sizeof s_units / sizeof s_units[0]) {
        value /= ZS_BAR_UNIT;
        unit++;
    }
    snprintf(text, size, "%.1f %s", value, s_units[unit]);
}

//  Append to line[*used..size), keeping it terminated however much is cut
__attribute__((format(printf, 4, 5))) static void
s_append(char *line, size_t size, size_t *used, const char *format, ...)
{
    if (*used + 1 >= size) {
        return;
    }
    va_list args;
    va_start(args, format);
    int wrote = vsnprintf(line + *used, size - *used, format, args);
    va_end(args);
    if (wrote > 0) {
        *used += (size_t) wrote < size - *used ? (size_t) wrote : size - *used - 1;
    }
}

//  The fraction done, 0..1, or a negative number when neither total nor pct tells it
static double
s_fraction(const zs_bar_progress_t *progress)
{
    if (progress->total > 0) {
        double done = (double) progress->bytes / (double) progress->total;
        return done < 1 ? done : 1;
    }
    if (progress->pct > 0) {
        return progress->pct < 100 ? (double) progress->pct / 100 : 1;
    }
    return -1;
}

static void
s_append_bar(char *line, size_t size, size_t *used, double fraction)
{
    char cells[ZS_BAR_CELLS + 1];
    size_t filled = (size_t) (fraction * ZS_BAR_CELLS);
    memset(cells, '#', filled);
    memset(cells + filled, '-', ZS_BAR_CELLS - filled);
    cells[ZS_BAR_CELLS] = '\0';
    s_append(line, size, used, "[%s] %3d%%", cells, (int) (fraction * 100));
}

bool
zs_bar_format(char *line, size_t size, const zs_bar_progress_t *progress)
{
    assert(line);
    assert(size > 0);
    assert(progress);
    size_t used = 0;
    line[0] = '\0';
    double fraction = s_fraction(progress);
    bool transfer = progress->bytes > 0 || progress->total > 0;
    if (fraction < 0 && !transfer) {
        return false;
    }
    const char *gap = "";
    if (fraction >= 0) {
        s_append_bar(line, size, &used, fraction);
        gap = "  ";
    }
    char text[ZS_BAR_SIZE_MAX];
    if (transfer) {
        zs_bar_size(text, sizeof text, progress->bytes);
        s_append(line, size, &used, "%s%s", gap, text);
        gap = "  ";
    }
    if (progress->total > 0) {
        zs_bar_size(text, sizeof text, progress->total);
        s_append(line, size, &used, " of %s", text);
    }
    if (progress->rate > 0) {
        zs_bar_size(text, sizeof text, progress->rate);
        s_append(line, size, &used, "%s%s/s", gap, text);
    }
    return true;
}

void
zs_bar_init(zs_bar_t *self, FILE *stream)
{
    assert(self);
    assert(stream);
    *self = (zs_bar_t){.stream = stream};
}

bool
zs_bar_draw(zs_bar_t *self, const zs_bar_progress_t *progress, int64_t now_ms)
{
    assert(self);
    assert(progress);
    if (self->width > 0 && now_ms - self->drawn_ms < ZS_BAR_INTERVAL_MS) {
        return false;
    }
    char line[ZS_BAR_LINE_MAX];
    if (!zs_bar_format(line, sizeof line, progress)) {
        return false;
    }
    //  Blanks over what a longer line left, so no stale characters trail this one
    size_t width = strlen(line);
    int pad = self->width > width ? (int) (self->width - width) : 0;
    fprintf(self->stream, "\r%s%*s", line, pad, "");
    fflush(self->stream);
    self->width = width;
    self->drawn_ms = now_ms;
    return true;
}

void
zs_bar_erase(zs_bar_t *self)
{
    assert(self);
    if (self->width == 0) {
        return;
    }
    fprintf(self->stream, "\r%*s\r", (int) self->width, "");
    fflush(self->stream);
    self->width = 0;
}
