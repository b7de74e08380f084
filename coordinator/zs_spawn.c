//  zs_spawn - see zs_spawn.h

#include "zs_spawn.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "zs_proc.h"

typedef struct {
    zs_spawn_t *owner;   //  supervisor, for timer callbacks
    char *type;          //  agent type, owned
    char *id;            //  agent id, owned
    pid_t pid;           //  running process, or 0
    int64_t started_ms;  //  when pid was started
    unsigned failures;   //  quick exits in a row, drives the backoff
    int timer;           //  pending restart timer, or -1
} s_slot_t;

struct zs_spawn_t {
    zloop_t *loop;              //  borrowed
    char *exe;                  //  agent program, owned
    char *endpoint;             //  where agents connect, owned
    char parent[24];            //  our pid as text, for --parent
    zs_spawn_exit_fn *on_exit;  //  exit callback
    void *ctx;                  //  its context, borrowed
    zlistx_t *slots;            //  s_slot_t *, owned
    bool stopping;              //  no restarts any more
};

static void
s_slot_destroy(void **item)
{
    s_slot_t *slot = *item;
    free(slot->type);
    free(slot->id);
    free(slot);
    *item = NULL;
}

static int
s_start(s_slot_t *slot)
{
    zs_spawn_t *self = slot->owner;
    char *argv[] = {self->exe, "--connect", self->endpoint, "--type",     slot->type,
                    "--id",    slot->id,    "--parent",     self->parent, NULL};
    zs_proc_t proc;
    if (zs_proc_spawn(argv, ZS_PROC_GROUP, &proc) != 0) {
        return -1;
    }
    slot->pid = proc.pid;
    slot->started_ms = zs_clock_ms();
    return 0;
}

static void s_schedule_restart(zs_spawn_t *self, s_slot_t *slot);

static int
s_restart_due(zloop_t *loop, int timer_id, void *arg)
{
    s_slot_t *slot = arg;
    slot->timer = -1;
    if (!slot->owner->stopping && s_start(slot) != 0) {
        zsys_error("cannot restart agent '%s': %s", slot->id, strerror(errno));
        s_schedule_restart(slot->owner, slot);
    }
    return 0;
}

static void
s_schedule_restart(zs_spawn_t *self, s_slot_t *slot)
{
    if (zs_clock_ms() - slot->started_ms >= ZS_SPAWN_STABLE_MS) {
        slot->failures = 0;
    }
    unsigned shift = slot->failures < 16 ? slot->failures : 16;
    int64_t delay = (int64_t) ZS_SPAWN_BACKOFF_MIN_MS << shift;
    if (delay > ZS_SPAWN_BACKOFF_MAX_MS) {
        delay = ZS_SPAWN_BACKOFF_MAX_MS;
    }
    slot->failures++;
    slot->timer = zloop_timer(self->loop, (size_t) delay, 1, s_restart_due, slot);
}

zs_spawn_t *
zs_spawn_new(zloop_t *loop,
             const char *agent_exe,
             const char *endpoint,
             zs_spawn_exit_fn *on_exit,
             void *ctx)
{
    assert(loop);
    assert(agent_exe);
    assert(endpoint);
    zs_spawn_t *self = zs_calloc(1, sizeof *self);
    self->loop = loop;
    self->exe = zs_strdup(agent_exe);
    self->endpoint = zs_strdup(endpoint);
    snprintf(self->parent, sizeof self->parent, "%ld", (long) getpid());
    self->on_exit = on_exit;
    self->ctx = ctx;
    self->slots = zlistx_new();
    zlistx_set_destructor(self->slots, s_slot_destroy);
    return self;
}

void
zs_spawn_destroy(zs_spawn_t **self_p)
{
    assert(self_p);
    zs_spawn_t *self = *self_p;
    if (!self) {
        return;
    }
    zs_spawn_stop(self);
    zs_spawn_kill(self);
    for (s_slot_t *slot = zlistx_first(self->slots); slot;
         slot = zlistx_next(self->slots)) {
        if (slot->pid > 0) {
            waitpid(slot->pid, NULL, 0);
        }
        if (slot->timer >= 0) {
            zloop_timer_end(self->loop, slot->timer);
        }
    }
    zlistx_destroy(&self->slots);
    free(self->exe);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

int
zs_spawn_add(zs_spawn_t *self, const char *type, unsigned count, zs_error_t *err)
{
    assert(self);
    assert(type);
    for (unsigned i = 1; i <= count; i++) {
        s_slot_t *slot = zs_calloc(1, sizeof *slot);
        slot->owner = self;
        slot->type = zs_strdup(type);
        slot->id = zs_malloc(strlen(type) + 12);
        sprintf(slot->id, "%s-%u", type, i);
        slot->timer = -1;
        zlistx_add_end(self->slots, slot);
        if (s_start(slot) != 0) {
            return zs_error_set(err, 0, "cannot start agent '%s' ('%s'): %s", slot->id,
                                self->exe, strerror(errno));
        }
    }
    return 0;
}

static s_slot_t *
s_slot_by_pid(zs_spawn_t *self, pid_t pid)
{
    for (s_slot_t *slot = zlistx_first(self->slots); slot;
         slot = zlistx_next(self->slots)) {
        if (slot->pid == pid) {
            return slot;
        }
    }
    return NULL;
}

void
zs_spawn_reap(zs_spawn_t *self)
{
    assert(self);
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        s_slot_t *slot = s_slot_by_pid(self, pid);
        if (!slot) {
            continue;  //  not ours: reaped so it leaves no zombie
        }
        slot->pid = 0;
        if (self->on_exit) {
            self->on_exit(self->ctx, slot->id, pid, zs_proc_exit_code(status));
        }
        if (!self->stopping) {
            s_schedule_restart(self, slot);
        }
    }
}

static void
s_signal_all(zs_spawn_t *self, int signum)
{
    for (s_slot_t *slot = zlistx_first(self->slots); slot;
         slot = zlistx_next(self->slots)) {
        if (slot->pid > 0) {
            kill(slot->pid, signum);
        }
    }
}

void
zs_spawn_stop(zs_spawn_t *self)
{
    assert(self);
    self->stopping = true;
    s_signal_all(self, SIGTERM);
}

void
zs_spawn_kill(zs_spawn_t *self)
{
    assert(self);
    s_signal_all(self, SIGKILL);
}

size_t
zs_spawn_running(zs_spawn_t *self)
{
    size_t running = 0;
    for (s_slot_t *slot = zlistx_first(self->slots); slot;
         slot = zlistx_next(self->slots)) {
        running += slot->pid > 0;
    }
    return running;
}

bool
zs_spawn_owns(zs_spawn_t *self, const char *agent_id, uint64_t pid)
{
    for (s_slot_t *slot = zlistx_first(self->slots); slot;
         slot = zlistx_next(self->slots)) {
        if (slot->pid > 0 && (uint64_t) slot->pid == pid && streq(slot->id, agent_id)) {
            return true;
        }
    }
    return false;
}
