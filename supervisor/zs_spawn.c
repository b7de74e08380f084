//  zs_spawn - see zs_spawn.h
//
//  Each slot is in one of these states, read from its fields:
//    running    pid > 0 (a SIGTERM from us may be on its way: pending, stopped or failed)
//    waiting    timer >= 0: a one-for-one restart, or a start retried after fork failed
//    pending    pending and pid == 0: starts with its type's next group start
//    stopped    stopped on command, pid == 0: never starts again
//    ended      none of the above: the restart type said no, or its type failed
//  A group start (one-for-all, rest-for-one) waits until no pending slot still runs, so
//  the group restarts together and in slot order, as an OTP supervisor does.
//
//  Timer callbacks check that the timer is still the one they armed: czmq drops an
//  ended timer only after the pass that ended it, so it may still fire in that pass.

#include "supervisor/zs_spawn.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/zs_proc.h"

#define ZS_SPAWN_JITTER_PCT 20  //  restart delays vary by up to this much either way
#define ZS_SPAWN_SHIFT_MAX  30  //  doublings that matter: past them the cap applies
#define ZS_SPAWN_WHY_MAX    96  //  bytes in a type's failure reason
#define ZS_SPAWN_SEED       0x9E3779B97F4A7C15ULL  //  xorshift state if the clock gives 0

typedef struct s_type_t s_type_t;

typedef struct {
    s_type_t *type;                       //  its supervisor, borrowed
    size_t index;                         //  position in type->slots, 0-based
    char *id;                             //  agent id "<prefix><type>-<index + 1>", owned
    pid_t pid;                            //  running or not yet reaped process, or 0
    int64_t started_ms;                   //  when pid was started
    char secret[ZS_MSG_SECRET_SIZE + 1];  //  what pid was given to prove it, or ""

    unsigned quick;  //  quick exits in a row, drives the backoff
    int timer;       //  restart of this slot alone, or -1
    int kill_timer;  //  SIGKILL after our SIGTERM, or -1
    bool pending;    //  starts with the type's next group start
    bool stopped;    //  stopped on command: never starts again
} s_slot_t;

struct s_type_t {
    zs_spawn_t *owner;       //  the spawner, borrowed
    char *name;              //  agent type, owned
    char **program;          //  its own agent program's argv, owned, or NULL: exe
    size_t program_argc;     //  words in program
    zs_supervision_t sup;    //  how its children are supervised
    s_slot_t **slots;        //  children in slot order, owned
    size_t slot_count;       //  items in slots
    int64_t *restarts;       //  ring of restart times (ms), max_restarts + 1, owned
    size_t restart_next;     //  where the next restart time goes
    size_t restart_count;    //  times in the ring
    int group_timer;         //  the group start, or -1
    int64_t group_delay_ms;  //  its delay: the longest backoff that asked for it
    bool failed;             //  past its intensity: nothing of it starts again
};

struct zs_spawn_t {
    zloop_t *loop;             //  borrowed
    char *exe;                 //  agent program, owned
    char *endpoint;            //  where agents connect, owned
    char *prefix;              //  before every slot id, owned ("" for none)
    char *cert;                //  --cert for agents, owned, or NULL without CURVE
    char *server_key;          //  --server-key for agents, owned, or NULL
    char parent[24];           //  our pid as text, for --parent
    zs_spawn_events_t events;  //  the coordinator's callbacks
    void *ctx;                 //  their context, borrowed
    s_type_t **types;          //  supervisors, owned
    size_t type_count;         //  items in types
    int64_t stable_ms;         //  uptime after which an exit is not quick
    int64_t kill_ms;           //  our SIGTERM to SIGKILL
    uint64_t random;           //  xorshift64 state for the jitter, never 0
    bool stopping;             //  nothing starts any more
};

//  What the supervisor makes of one exit; s_next maps it for the exited callback
typedef enum {
    S_STOPPED,       //  stopped on command, or the spawner is stopping
    S_FAILED,        //  its type failed before
    S_GROUP_MEMBER,  //  terminated by us for a group restart
    S_ENDED,         //  its restart type says no
    S_FAIL_NOW,      //  a restart past the intensity: the type fails
    S_RESTART,       //  a restart: by itself or with its group, per the strategy
} s_verdict_t;

static const zs_spawn_next_t s_next[] = {
    [S_STOPPED] = ZS_SPAWN_NEXT_STOPPED,      [S_FAILED] = ZS_SPAWN_NEXT_FAILED,
    [S_GROUP_MEMBER] = ZS_SPAWN_NEXT_RESTART, [S_ENDED] = ZS_SPAWN_NEXT_ENDED,
    [S_FAIL_NOW] = ZS_SPAWN_NEXT_FAILED,      [S_RESTART] = ZS_SPAWN_NEXT_RESTART,
};

static const zs_supervision_t s_default_supervision = ZS_SUP_DEFAULT;

//  ---------------------------------------------------------------------------------------
//  Slots and timers

#define S_ARGV_OPTIONS 8  //  words after the program: --connect EP --type T --id ID ...
#define S_ARGV_CURVE   4  //  --cert F --server-key K

//  A new secret for the slot's next child, as hex: only the child learns it, through
//  its environment, never its command line
static int
s_secret_make(s_slot_t *slot)
{
    uint8_t random[ZS_MSG_SECRET_SIZE / 2];
    if (getrandom(random, sizeof random, 0) != (ssize_t) sizeof random) {
        return -1;
    }
    for (size_t i = 0; i < sizeof random; i++) {
        snprintf(slot->secret + 2 * i, 3, "%02x", random[i]);
    }
    return 0;
}

//  The program a type's agents run, for messages
static const char *
s_program_name(const s_type_t *type)
{
    return type->program ? type->program[0] : type->owner->exe;
}

//  The slot's command line, NULL-terminated: the type's program (or the agent
//  program), its options, then the CURVE options. The list is owned, its words
//  borrowed from slot and spawner.
static char **
s_argv_new(s_slot_t *slot)
{
    zs_spawn_t *self = slot->type->owner;
    s_type_t *type = slot->type;
    size_t program_argc = type->program ? type->program_argc : 1;
    char **argv =
        zs_calloc(program_argc + S_ARGV_OPTIONS + S_ARGV_CURVE + 1, sizeof *argv);
    char **next = argv;
    for (size_t i = 0; i < program_argc; i++) {
        *next++ = type->program ? type->program[i] : self->exe;
    }
    char *options[S_ARGV_OPTIONS] = {"--connect", self->endpoint, "--type",
                                     type->name,  "--id",         slot->id,
                                     "--parent",  self->parent};
    memcpy(next, options, sizeof options);
    next += S_ARGV_OPTIONS;
    if (self->cert) {
        //  Paths and a public key only: a command line is visible to every user
        *next++ = "--cert";
        *next++ = self->cert;
        *next++ = "--server-key";
        *next = self->server_key;
    }
    return argv;
}

static int
s_start(s_slot_t *slot)
{
    if (s_secret_make(slot) != 0) {
        return -1;
    }
    char entry[sizeof ZS_MSG_SECRET_ENV + ZS_MSG_SECRET_SIZE + 1];
    snprintf(entry, sizeof entry, "%s=%s", ZS_MSG_SECRET_ENV, slot->secret);
    char **env = zs_proc_env_with(entry);
    char **argv = s_argv_new(slot);
    zs_proc_t proc;
    int rc = zs_proc_spawn(argv, env, ZS_PROC_GROUP | ZS_PROC_ORPHAN_TERM, &proc);
    free(argv);
    free(env);
    explicit_bzero(entry, sizeof entry);
    if (rc != 0) {
        slot->secret[0] = '\0';
        return -1;
    }
    slot->pid = proc.pid;
    slot->started_ms = zclock_mono();
    return 0;
}

static void
s_timer_cancel(zs_spawn_t *self, int *timer_p)
{
    if (*timer_p >= 0) {
        zloop_timer_end(self->loop, *timer_p);
        *timer_p = -1;
    }
}

static uint64_t
s_random(zs_spawn_t *self)
{
    uint64_t x = self->random;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    self->random = x;
    return x;
}

//  The delay before the slot's next start; counts this exit as quick unless it was not
static int64_t
s_backoff(s_slot_t *slot, int64_t now)
{
    zs_spawn_t *self = slot->type->owner;
    if (now - slot->started_ms >= self->stable_ms) {
        slot->quick = 0;
    }
    int64_t delay = zs_spawn_backoff_ms(&slot->type->sup, slot->quick, s_random(self));
    slot->quick += slot->quick < ZS_SPAWN_SHIFT_MAX;
    return delay;
}

static void s_schedule(s_slot_t *slot, int64_t delay);

//  Starts the slot unless something since made that wrong; a failed fork retries later
static void
s_launch(s_slot_t *slot)
{
    if (slot->type->owner->stopping || slot->stopped || slot->type->failed) {
        return;
    }
    if (s_start(slot) != 0) {
        zsys_error("cannot restart agent '%s': %s", slot->id, strerror(errno));
        s_schedule(slot, s_backoff(slot, zclock_mono()));
    }
}

static int
s_restart_due(zloop_t *loop, int timer_id, void *arg)
{
    s_slot_t *slot = arg;
    if (timer_id == slot->timer) {
        slot->timer = -1;
        s_launch(slot);
    }
    return 0;
}

static void
s_schedule(s_slot_t *slot, int64_t delay)
{
    zs_spawn_t *self = slot->type->owner;
    slot->timer = zloop_timer(self->loop, (size_t) delay, 1, s_restart_due, slot);
}

static int
s_kill_due(zloop_t *loop, int timer_id, void *arg)
{
    s_slot_t *slot = arg;
    //  pid 0 would signal our own process group; reaping ends this timer anyway
    if (timer_id == slot->kill_timer && slot->pid > 0) {
        slot->kill_timer = -1;
        zsys_warning("agent '%s' (pid %d) did not stop within %d ms: killing it",
                     slot->id, (int) slot->pid, slot->type->owner->kill_ms);
        kill(slot->pid, SIGKILL);
    }
    return 0;
}

//  SIGTERM, and SIGKILL if that is not enough; the kill timer ends when it is reaped
static void
s_terminate(s_slot_t *slot)
{
    zs_spawn_t *self = slot->type->owner;
    kill(slot->pid, SIGTERM);
    if (slot->kill_timer < 0) {
        slot->kill_timer =
            zloop_timer(self->loop, (size_t) self->kill_ms, 1, s_kill_due, slot);
    }
}

//  ---------------------------------------------------------------------------------------
//  Supervisors

static int
s_group_start_due(zloop_t *loop, int timer_id, void *arg)
{
    s_type_t *type = arg;
    if (timer_id != type->group_timer) {
        return 0;
    }
    type->group_timer = -1;
    type->group_delay_ms = 0;
    for (size_t i = 0; i < type->slot_count; i++) {
        s_slot_t *slot = type->slots[i];
        if (slot->pending) {
            slot->pending = false;
            s_launch(slot);
        }
    }
    return 0;
}

//  Arms the group start once every pending slot has been reaped
static void
s_group_check(s_type_t *type)
{
    bool pending = false, running = false;
    for (size_t i = 0; i < type->slot_count; i++) {
        pending |= type->slots[i]->pending;
        running |= type->slots[i]->pending && type->slots[i]->pid > 0;
    }
    if (!pending) {
        type->group_delay_ms = 0;
    }
    if (pending && !running && type->group_timer < 0) {
        type->group_timer = zloop_timer(type->owner->loop, (size_t) type->group_delay_ms,
                                        1, s_group_start_due, type);
    }
}

//  One-for-all and rest-for-one: the slot and the siblings its strategy names restart
//  together, after the running ones among them are terminated
static void
s_group_restart(s_slot_t *slot, int64_t delay)
{
    s_type_t *type = slot->type;
    zs_spawn_t *self = type->owner;
    slot->pending = true;
    for (size_t i = 0; i < type->slot_count; i++) {
        s_slot_t *other = type->slots[i];
        bool named = i != slot->index &&
                     (type->sup.strategy == ZS_SUP_ONE_FOR_ALL || i > slot->index);
        if (!named || other->stopped || other->pending) {
            continue;
        }
        if (other->pid > 0) {
            other->pending = true;
            s_terminate(other);
        } else if (other->timer >= 0) {
            s_timer_cancel(self, &other->timer);
            other->pending = true;
        }
    }
    if (delay > type->group_delay_ms) {
        type->group_delay_ms = delay;
    }
    s_timer_cancel(self, &type->group_timer);
    s_group_check(type);
}

//  Records a restart at now; true when that makes more than max_restarts in the window
static bool
s_intensity_exceeded(s_type_t *type, int64_t now)
{
    size_t size = (size_t) type->sup.max_restarts + 1;
    type->restarts[type->restart_next] = now;
    type->restart_next = (type->restart_next + 1) % size;
    type->restart_count += type->restart_count < size;
    int64_t oldest = type->restarts[type->restart_next];
    return type->restart_count == size &&
           now - oldest < (int64_t) type->sup.within_s * 1000;
}

static void
s_type_fail(s_type_t *type)
{
    zs_spawn_t *self = type->owner;
    char why[ZS_SPAWN_WHY_MAX];
    snprintf(why, sizeof why, "more than %u restarts within %u s", type->sup.max_restarts,
             type->sup.within_s);
    type->failed = true;
    s_timer_cancel(self, &type->group_timer);
    for (size_t i = 0; i < type->slot_count; i++) {
        s_slot_t *slot = type->slots[i];
        s_timer_cancel(self, &slot->timer);
        slot->pending = false;
        if (slot->pid > 0) {
            s_terminate(slot);
        }
    }
    if (self->events.type_failed) {
        self->events.type_failed(self->ctx, type->name, why);
    } else {
        //  Nobody else will say it
        zsys_error("agent type '%s' failed: %s", type->name, why);
    }
}

static bool
s_wants_restart(zs_sup_restart_t restart, int exit_code)
{
    return restart == ZS_SUP_PERMANENT || (restart == ZS_SUP_TRANSIENT && exit_code != 0);
}

static s_verdict_t
s_judge(s_slot_t *slot, int exit_code, int64_t now)
{
    s_type_t *type = slot->type;
    if (type->owner->stopping || slot->stopped) {
        return S_STOPPED;
    }
    if (type->failed) {
        return S_FAILED;
    }
    if (slot->pending) {
        return S_GROUP_MEMBER;
    }
    if (!s_wants_restart(type->sup.restart, exit_code)) {
        return S_ENDED;
    }
    return s_intensity_exceeded(type, now) ? S_FAIL_NOW : S_RESTART;
}

static void
s_exited(zs_spawn_t *self, s_slot_t *slot, int exit_code)
{
    pid_t pid = slot->pid;
    int64_t now = zclock_mono();
    slot->pid = 0;
    slot->secret[0] = '\0';
    s_timer_cancel(self, &slot->kill_timer);
    s_verdict_t verdict = s_judge(slot, exit_code, now);
    if (self->events.exited) {
        self->events.exited(self->ctx, slot->id, pid, exit_code, s_next[verdict]);
    }
    //  The callback may have stopped the slot or everything: s_launch and the group
    //  check look again before anything starts
    if (verdict == S_GROUP_MEMBER) {
        s_group_check(slot->type);
    } else if (verdict == S_FAIL_NOW) {
        s_type_fail(slot->type);
    } else if (verdict == S_RESTART && !slot->stopped && !self->stopping) {
        int64_t delay = s_backoff(slot, now);
        if (slot->type->sup.strategy == ZS_SUP_ONE_FOR_ONE) {
            s_schedule(slot, delay);
        } else {
            s_group_restart(slot, delay);
        }
    }
}

//  ---------------------------------------------------------------------------------------
//  Lookups

static s_type_t *
s_type_find(zs_spawn_t *self, const char *name)
{
    for (size_t i = 0; i < self->type_count; i++) {
        if (streq(self->types[i]->name, name)) {
            return self->types[i];
        }
    }
    return NULL;
}

static s_slot_t *
s_slot_by_id(zs_spawn_t *self, const char *agent_id)
{
    for (size_t i = 0; i < self->type_count; i++) {
        for (size_t j = 0; j < self->types[i]->slot_count; j++) {
            if (streq(self->types[i]->slots[j]->id, agent_id)) {
                return self->types[i]->slots[j];
            }
        }
    }
    return NULL;
}

static s_slot_t *
s_slot_by_pid(zs_spawn_t *self, pid_t pid)
{
    for (size_t i = 0; i < self->type_count; i++) {
        for (size_t j = 0; j < self->types[i]->slot_count; j++) {
            if (self->types[i]->slots[j]->pid == pid) {
                return self->types[i]->slots[j];
            }
        }
    }
    return NULL;
}

//  ---------------------------------------------------------------------------------------
//  Public API

zs_spawn_t *
zs_spawn_new(zloop_t *loop,
             const char *agent_exe,
             const char *endpoint,
             const zs_spawn_events_t *events,
             void *ctx)
{
    assert(loop);
    assert(agent_exe);
    assert(endpoint);
    zs_spawn_t *self = zs_calloc(1, sizeof *self);
    self->loop = loop;
    self->exe = zs_strdup(agent_exe);
    self->endpoint = zs_strdup(endpoint);
    self->prefix = zs_strdup("");
    snprintf(self->parent, sizeof self->parent, "%ld", (long) getpid());
    if (events) {
        self->events = *events;
    }
    self->ctx = ctx;
    self->stable_ms = ZS_SPAWN_STABLE_MS;
    self->kill_ms = ZS_SPAWN_KILL_MS;
    self->random = (uint64_t) zclock_usecs() ^ ((uint64_t) getpid() << 32);
    self->random = self->random ? self->random : ZS_SPAWN_SEED;
    return self;
}

static void
s_type_destroy(zs_spawn_t *self, s_type_t *type)
{
    s_timer_cancel(self, &type->group_timer);
    for (size_t i = 0; i < type->slot_count; i++) {
        s_slot_t *slot = type->slots[i];
        if (slot->pid > 0) {
            waitpid(slot->pid, NULL, 0);
        }
        s_timer_cancel(self, &slot->timer);
        s_timer_cancel(self, &slot->kill_timer);
        free(slot->id);
        free(slot);
    }
    free(type->slots);
    free(type->restarts);
    free(type->name);
    zs_strings_free(type->program, type->program_argc);
    free(type);
}

void
zs_spawn_set_curve(zs_spawn_t *self, const char *cert, const char *server_key)
{
    assert(self);
    assert(cert);
    assert(server_key);
    free(self->cert);
    free(self->server_key);
    self->cert = zs_strdup(cert);
    self->server_key = zs_strdup(server_key);
}

void
zs_spawn_set_prefix(zs_spawn_t *self, const char *prefix)
{
    assert(self);
    assert(prefix);
    free(self->prefix);
    self->prefix = zs_strdup(prefix);
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
    for (size_t i = 0; i < self->type_count; i++) {
        s_type_destroy(self, self->types[i]);
    }
    free(self->types);
    free(self->exe);
    free(self->endpoint);
    free(self->prefix);
    free(self->cert);
    free(self->server_key);
    free(self);
    *self_p = NULL;
}

//  Bytes in the id of slot number `number` (from 1): "<prefix><type>-<number>"
static size_t
s_id_size(const char *prefix, const char *type, size_t number)
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%zu", number);
    return strlen(prefix) + strlen(type) + 1 + (size_t) len;
}

//  Refuses slots numbered up to `last` whose ids would not fit: the agent would refuse
//  its --id and exit at every restart, until the type failed
static int
s_ids_check(zs_spawn_t *self, const char *type, size_t last, zs_error_t *err)
{
    if (last == 0 || s_id_size(self->prefix, type, last) <= ZS_MSG_NAME_MAX) {
        return 0;
    }
    zs_error_set(err, ZS_SPAWN_E_NAME,
                 "agent id '%s%s-%zu' would be longer than %d bytes", self->prefix, type,
                 last, ZS_MSG_NAME_MAX);
    return ZS_SPAWN_E_NAME;
}

//  Add count slots after the type's last one, numbered on from it; not started
static void
s_type_grow(s_type_t *type, unsigned count)
{
    type->slots =
        zs_realloc(type->slots, (type->slot_count + count) * sizeof *type->slots);
    for (unsigned i = 0; i < count; i++) {
        s_slot_t *slot = zs_calloc(1, sizeof *slot);
        slot->type = type;
        slot->index = type->slot_count;
        //  "<prefix><type>-<n>": n has at most 20 digits
        const char *prefix = type->owner->prefix;
        size_t size = strlen(prefix) + strlen(type->name) + 22;
        slot->id = zs_malloc(size);
        snprintf(slot->id, size, "%s%s-%zu", prefix, type->name, slot->index + 1);
        slot->timer = -1;
        slot->kill_timer = -1;
        type->slots[type->slot_count++] = slot;
    }
}

static s_type_t *
s_type_new(zs_spawn_t *self,
           const char *name,
           unsigned count,
           const zs_supervision_t *supervision)
{
    s_type_t *type = zs_calloc(1, sizeof *type);
    type->owner = self;
    type->name = zs_strdup(name);
    type->sup = *supervision;
    type->restarts = zs_calloc((size_t) supervision->max_restarts + 1, sizeof(int64_t));
    type->group_timer = -1;
    s_type_grow(type, count);
    return type;
}

int
zs_spawn_add(zs_spawn_t *self,
             const char *type,
             unsigned count,
             const zs_supervision_t *supervision,
             zs_error_t *err)
{
    return zs_spawn_add_program(self, type, count, supervision, NULL, 0, err);
}

int
zs_spawn_add_program(zs_spawn_t *self,
                     const char *type,
                     unsigned count,
                     const zs_supervision_t *supervision,
                     const char *const *program,
                     size_t program_argc,
                     zs_error_t *err)
{
    assert(self);
    assert(!program == !program_argc);
    assert(type);
    assert(!s_type_find(self, type));
    const zs_supervision_t *sup = supervision ? supervision : &s_default_supervision;
    assert(sup->backoff_min_ms >= 1 && sup->backoff_min_ms <= sup->backoff_max_ms);
    assert(sup->max_restarts <= ZS_SUP_MAX_RESTARTS && sup->within_s >= 1);
    int rc = s_ids_check(self, type, count, err);
    if (rc != 0) {
        return rc;
    }
    s_type_t *added = s_type_new(self, type, count, sup);
    added->program = zs_strings_copy(program, program_argc);
    added->program_argc = program_argc;
    self->types = zs_realloc(self->types, (self->type_count + 1) * sizeof *self->types);
    self->types[self->type_count++] = added;
    for (size_t i = 0; i < added->slot_count; i++) {
        if (s_start(added->slots[i]) != 0) {
            return zs_error_set(err, 0, "cannot start agent '%s' ('%s'): %s",
                                added->slots[i]->id, s_program_name(added),
                                strerror(errno));
        }
    }
    return 0;
}

void
zs_spawn_reap(zs_spawn_t *self)
{
    assert(self);
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        s_slot_t *slot = s_slot_by_pid(self, pid);
        if (slot) {
            s_exited(self, slot, zs_proc_exit_code(status));
        }
        //  else not ours: reaped so it leaves no zombie
    }
}

int
zs_spawn_stop_agent(zs_spawn_t *self, const char *agent_id)
{
    assert(self);
    assert(agent_id);
    s_slot_t *slot = s_slot_by_id(self, agent_id);
    bool live = slot && (slot->pid > 0 || slot->timer >= 0 || slot->pending);
    if (!live || slot->stopped || slot->type->failed || self->stopping) {
        return ZS_SPAWN_E_NO_AGENT;
    }
    bool was_pending = slot->pending;
    slot->stopped = true;
    slot->pending = false;
    s_timer_cancel(self, &slot->timer);
    if (slot->pid > 0) {
        s_terminate(slot);
    }
    if (was_pending) {
        s_group_check(slot->type);
    }
    return 0;
}

//  A slot whose agent runs or is about to: not stopped, not ended, not given up
static bool
s_slot_active(const s_slot_t *slot)
{
    return !slot->stopped && (slot->pid > 0 || slot->timer >= 0 || slot->pending);
}

int
zs_spawn_scale(zs_spawn_t *self, const char *type_name, unsigned count, zs_error_t *err)
{
    assert(self);
    assert(type_name);
    s_type_t *type = s_type_find(self, type_name);
    if (!type || type->failed || self->stopping) {
        return ZS_SPAWN_E_NO_TYPE;
    }
    unsigned active = 0;
    for (size_t i = 0; i < type->slot_count; i++) {
        active += s_slot_active(type->slots[i]);
    }
    int rc = count > active
                 ? s_ids_check(self, type_name, type->slot_count + (count - active), err)
                 : 0;
    if (rc != 0) {
        return rc;
    }
    //  Down: stop the newest agents first; they are never restarted
    for (size_t i = type->slot_count; i > 0 && active > count; i--) {
        if (s_slot_active(type->slots[i - 1])) {
            zs_spawn_stop_agent(self, type->slots[i - 1]->id);
            active--;
        }
    }
    //  Up: new slots, numbered after every slot the type ever had
    size_t first = type->slot_count;
    if (count > active) {
        s_type_grow(type, count - active);
    }
    for (size_t i = first; i < type->slot_count; i++) {
        if (s_start(type->slots[i]) != 0) {
            return zs_error_set(err, 0, "cannot start agent '%s' ('%s'): %s",
                                type->slots[i]->id, s_program_name(type),
                                strerror(errno));
        }
    }
    return 0;
}

bool
zs_spawn_type_failed(zs_spawn_t *self, const char *type)
{
    assert(self);
    assert(type);
    s_type_t *found = s_type_find(self, type);
    return found && found->failed;
}

static void
s_signal_all(zs_spawn_t *self, int signum)
{
    for (size_t i = 0; i < self->type_count; i++) {
        for (size_t j = 0; j < self->types[i]->slot_count; j++) {
            if (self->types[i]->slots[j]->pid > 0) {
                kill(self->types[i]->slots[j]->pid, signum);
            }
        }
    }
}

void
zs_spawn_stop(zs_spawn_t *self)
{
    assert(self);
    self->stopping = true;
    for (size_t i = 0; i < self->type_count; i++) {
        s_type_t *type = self->types[i];
        s_timer_cancel(self, &type->group_timer);
        for (size_t j = 0; j < type->slot_count; j++) {
            s_timer_cancel(self, &type->slots[j]->timer);
            type->slots[j]->pending = false;
        }
    }
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
    assert(self);
    size_t running = 0;
    for (size_t i = 0; i < self->type_count; i++) {
        for (size_t j = 0; j < self->types[i]->slot_count; j++) {
            running += self->types[i]->slots[j]->pid > 0;
        }
    }
    return running;
}

bool
zs_spawn_has_slot(zs_spawn_t *self, const char *agent_id)
{
    assert(self);
    assert(agent_id);
    return s_slot_by_id(self, agent_id) != NULL;
}

bool
zs_spawn_secret_ok(zs_spawn_t *self, const char *agent_id, const char *secret)
{
    assert(self);
    assert(agent_id);
    s_slot_t *slot = s_slot_by_id(self, agent_id);
    if (!slot || !slot->secret[0] || !secret || strlen(secret) != ZS_MSG_SECRET_SIZE) {
        return false;
    }
    //  In constant time: how much of a guess matched must not show in the timing
    unsigned char diff = 0;
    for (size_t i = 0; i < ZS_MSG_SECRET_SIZE; i++) {
        diff |= (unsigned char) (slot->secret[i] ^ secret[i]);
    }
    return diff == 0;
}

pid_t
zs_spawn_pid(zs_spawn_t *self, const char *agent_id)
{
    assert(self);
    assert(agent_id);
    s_slot_t *slot = s_slot_by_id(self, agent_id);
    return slot ? slot->pid : 0;
}

void
zs_spawn_set_stable_ms(zs_spawn_t *self, unsigned stable_ms)
{
    assert(self);
    self->stable_ms = stable_ms;
}

void
zs_spawn_set_kill_ms(zs_spawn_t *self, unsigned kill_ms)
{
    assert(self);
    self->kill_ms = kill_ms;
}

bool
zs_spawn_ids_fit(const char *prefix, const char *type, unsigned count)
{
    assert(type);
    return count == 0 || s_id_size(prefix ? prefix : "", type, count) <= ZS_MSG_NAME_MAX;
}

int64_t
zs_spawn_backoff_ms(const zs_supervision_t *supervision,
                    unsigned quick_exits,
                    uint64_t random)
{
    assert(supervision);
    int64_t max = supervision->backoff_max_ms;
    unsigned shift = quick_exits < ZS_SPAWN_SHIFT_MAX ? quick_exits : ZS_SPAWN_SHIFT_MAX;
    int64_t base = (int64_t) supervision->backoff_min_ms << shift;
    base = base < max ? base : max;
    int64_t spread = base * ZS_SPAWN_JITTER_PCT / 100;
    int64_t delay = base - spread + (int64_t) (random % (uint64_t) (2 * spread + 1));
    delay = delay < max ? delay : max;
    return delay > 1 ? delay : 1;
}
