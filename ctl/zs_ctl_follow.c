//  zs_ctl_follow - what zswarmctl submit --wait shows while the task runs: a progress
//  bar on a terminal, and with --follow the text the task streams (an llm task's
//  answer as it is written), both from the task's task.progress events (PROTOCOL.md
//  §4.5, docs/ctl.md)
//
//  Events are lossy: a subscription takes effect some time after it connects, a slow
//  reader loses events past the high-water mark, and the end of the task comes on
//  another socket than its last events. So the text followed is checked against the
//  task's stdout at the end: when it is the start of stdout, only the rest is printed;
//  when it is not (events were lost, or an earlier attempt had printed text), the whole
//  stdout follows after a line saying so. A bar is only decoration: a lost event is a
//  step it skips.

#include "ctl/zs_ctl_private.h"

#include <stdlib.h>
#include <string.h>

#define ZS_CTL_FOLLOW_TOPIC "task.progress"  //  the events followed

int
zs_ctl_follow_init(zs_ctl_follow_t *self, zs_ctl_run_t *run)
{
    *self = (zs_ctl_follow_t){.run = run, .fresh = true, .last = '\n'};
    //  Text and a bar on the same terminal would cut through each other
    self->bar_shown = zs_ctl_is_terminal(run->io->err) &&
                      !(run->follow && zs_ctl_is_terminal(run->io->out));
    if (!run->wait || !(run->follow || self->bar_shown)) {
        self->bar_shown = false;
        return 0;
    }
    zs_error_t err;
    zs_error_init(&err);
    self->watcher = zs_ctl_watch(run, ZS_CTL_FOLLOW_TOPIC, &err);
    if (!self->watcher) {
        return zs_ctl_say(run, -1, "%s", err.text);
    }
    zs_bar_init(&self->bar, run->io->err);
    if (run->follow) {
        self->text = zs_malloc(ZS_MSG_OUTPUT_MAX);
    }
    return 0;
}

void
zs_ctl_follow_fini(zs_ctl_follow_t *self)
{
    zs_client_destroy(&self->watcher);
    free(self->text);
    self->text = NULL;
}

//  Bytes on the out stream, remembering the last
static void
s_print(zs_ctl_follow_t *self, const void *data, size_t size)
{
    if (size > 0) {
        fwrite(data, 1, size, self->run->io->out);
        self->printed = true;
        self->last = ((const char *) data)[size - 1];
    }
}

//  End the line the followed text left open
static void
s_end_line(zs_ctl_follow_t *self)
{
    if (self->last != '\n') {
        s_print(self, "\n", 1);
    }
}

static void
s_follow_text(zs_ctl_follow_t *self, const zs_msg_t *event)
{
    if (event->att != self->att) {
        //  A new attempt starts its answer over: what the last one printed stays on
        //  the screen, so this one's text is no longer the start of stdout
        self->fresh = self->fresh && !self->printed;
        self->att = event->att;
        self->followed = 0;
        s_end_line(self);
    }
    size_t size = event->text ? strlen(event->text) : 0;
    if (size == 0) {
        return;
    }
    if (self->followed < ZS_MSG_OUTPUT_MAX) {
        size_t room = ZS_MSG_OUTPUT_MAX - self->followed;
        memcpy(self->text + self->followed, event->text, size < room ? size : room);
    }
    self->followed += size;
    s_print(self, event->text, size);
    fflush(self->run->io->out);
}

void
zs_ctl_follow_event(zs_ctl_follow_t *self, const zs_msg_t *event)
{
    if (event->type != ZS_MSG_TASK_PROGRESS || !event->task ||
        !streq(event->task, self->task)) {
        return;
    }
    if (self->run->follow && self->run->json) {
        zs_msg_print_json(event, self->run->io->out);
        fflush(self->run->io->out);
    } else if (self->run->follow) {
        s_follow_text(self, event);
    }
    if (self->bar_shown) {
        zs_bar_progress_t progress = {event->pct, event->bytes, event->total,
                                      event->rate};
        zs_bar_draw(&self->bar, &progress, zclock_mono());
    }
}

//  The events that came before the task's end was read
static void
s_drain(zs_ctl_follow_t *self)
{
    zs_msg_t event;
    zs_error_t err;
    zs_error_init(&err);
    while (self->watcher && zs_client_event(self->watcher, &event, 0, &err) == 0) {
        zs_ctl_follow_event(self, &event);
        zs_msg_fini(&event);
    }
}

void
zs_ctl_follow_stop(zs_ctl_follow_t *self)
{
    if (self->bar_shown) {
        zs_bar_erase(&self->bar);
    }
    if (self->printed) {
        s_end_line(self);
        fflush(self->run->io->out);
    }
}

//  stdout after what --follow printed of it: the rest when the text followed is its
//  start, else all of it after saying why (a task that failed after text went out has
//  no such stdout: the text followed is not its output either)
static void
s_print_rest(zs_ctl_follow_t *self, const zs_msg_t *reply)
{
    size_t common = self->followed < reply->out_size ? self->followed : reply->out_size;
    bool start = self->fresh && (reply->out_size > 0 || self->followed == 0) &&
                 (common == 0 || memcmp(reply->out, self->text, common) == 0);
    if (start) {
        s_print(self, reply->out + common, reply->out_size - common);
        return;
    }
    char task[ZS_MSG_NAME_MAX * 4 + 1];
    zs_sanitize(task, sizeof task, reply->task, strlen(reply->task));
    s_end_line(self);
    fflush(self->run->io->out);
    zs_ctl_say(self->run, 0,
               "task '%s': the text followed is not its output, which follows", task);
    s_print(self, reply->out, reply->out_size);
}

int
zs_ctl_follow_end(zs_ctl_follow_t *self, const zs_msg_t *reply)
{
    s_drain(self);
    if (self->bar_shown) {
        zs_bar_erase(&self->bar);
    }
    if (!self->run->follow || self->run->json) {
        return zs_ctl_print_final(self->run, reply);
    }
    s_print_rest(self, reply);
    if (self->printed) {
        s_end_line(self);
    }
    fflush(self->run->io->out);
    zs_ctl_write(self->run->io->err, reply->err, reply->err_size);
    return zs_ctl_final_code(self->run, reply);
}
