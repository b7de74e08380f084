//  zs_bench_swarm - see zs_bench_swarm.h

#include "bench/zs_bench_swarm.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/zs_proc.h"

#define ZS_BENCH_SWARM_PUMP_MS  5     //  pipes are looked at no more often than this
#define ZS_BENCH_SWARM_LINE_MAX 1024  //  longest stdout line parsed before ready
#define ZS_BENCH_SWARM_PATH_MAX 4096  //  longest swarm file path, with NUL
#define ZS_BENCH_SWARM_CHUNK    4096  //  bytes read from a pipe at once
#define ZS_BENCH_SWARM_REAP_MS  10    //  poll interval while waiting for an exit
#define ZS_BENCH_SWARM_EXIT_MS  1000  //  wait for the exit status after end of file
#define ZS_BENCH_SWARM_READY    "zswarmd ready "
#define ZS_BENCH_SWARM_CONTROL  " control="
#define ZS_BENCH_SWARM_EVENTS   " events="

struct zs_bench_swarm_t {
    char path[ZS_BENCH_SWARM_PATH_MAX];     //  the swarm file, removed on destroy
    char journal[ZS_BENCH_SWARM_PATH_MAX];  //  its journal, removed on destroy, or ""
    zs_proc_t proc;                         //  zswarmd; pid 0 once reaped
    char control[ZS_BENCH_SWARM_EP_MAX];    //  control endpoint from the ready line
    char events[ZS_BENCH_SWARM_EP_MAX];     //  events endpoint from the ready line
    bool ready;                             //  the ready line was read
    char line[ZS_BENCH_SWARM_LINE_MAX];     //  stdout line being assembled before ready
    size_t line_len;                        //  bytes in line
    int64_t spawned_us;                     //  zclock_usecs just before the spawn
    int64_t ready_us;                       //  zclock_usecs when the ready line came
    int64_t pumped_ms;                      //  zclock_mono of the last look at the pipes
    zs_bench_swarm_output_t output;         //  echo or keep what zswarmd writes
    char tail[ZS_BENCH_SWARM_TAIL];         //  ring of the last bytes, when quiet
    size_t tail_at;                         //  next write position in tail
    bool tail_wrapped;                      //  tail has been filled at least once
};

static int
s_write_file(zs_bench_swarm_t *self,
             const zs_bench_swarm_config_t *config,
             zs_error_t *err)
{
    snprintf(self->path, sizeof self->path, "%s/%s.yaml", config->dir, config->name);
    FILE *file = fopen(self->path, "w");
    if (!file) {
        return zs_error_set(err, 0, "cannot write '%s': %s", self->path, strerror(errno));
    }
    //  Port 0 ('*') everywhere: zswarmd binds, then says which ports it got
    fprintf(file,
            "name: %s\n"
            "bind:\n"
            "  agents: \"tcp://127.0.0.1:*\"\n"
            "  events: \"tcp://127.0.0.1:*\"\n"
            "  control: \"tcp://127.0.0.1:*\"\n"
            "agents:\n"
            "  - type: %s\n"
            "    count: %u\n"
            "    handler: %s\n"
            "    concurrency: %u\n",
            config->name, config->type, config->count,
            config->handler ? config->handler : "builtin", config->concurrency);
    if (config->type_keys) {
        fputs(config->type_keys, file);
    }
    if (config->caps) {
        fprintf(file, "    capabilities: %s\n", config->caps);
    }
    if (config->security) {
        fprintf(file, "security: %s\n", config->security);
    }
    if (config->top_keys) {
        fputs(config->top_keys, file);
    }
    if (config->journal) {
        snprintf(self->journal, sizeof self->journal, "%s/%s.journal", config->dir,
                 config->name);
        fprintf(file, "journal: {path: \"%s\", fsync: %s}\n", self->journal,
                config->journal);
    }
    if (fclose(file) != 0) {
        return zs_error_set(err, 0, "cannot write '%s': %s", self->path, strerror(errno));
    }
    return 0;
}

//  Everything zswarmd says that the benchmark does not parse: echoed, or kept
static void
s_forward(zs_bench_swarm_t *self, const char *data, size_t size)
{
    if (self->output == ZS_BENCH_SWARM_ECHO) {
        fwrite(data, 1, size, stderr);
        return;
    }
    for (size_t i = 0; i < size; i++) {
        self->tail[self->tail_at++] = data[i];
        if (self->tail_at == sizeof self->tail) {
            self->tail_at = 0;
            self->tail_wrapped = true;
        }
    }
}

static void
s_print_tail(zs_bench_swarm_t *self)
{
    if (self->output == ZS_BENCH_SWARM_ECHO || (!self->tail_wrapped && !self->tail_at)) {
        return;
    }
    fprintf(stderr, "zs_bench: last output of zswarmd:\n");
    if (self->tail_wrapped) {
        fwrite(self->tail + self->tail_at, 1, sizeof self->tail - self->tail_at, stderr);
    }
    fwrite(self->tail, 1, self->tail_at, stderr);
}

//  Copy the endpoint after key in the ready line into dest. Returns true when found.
static bool
s_ready_field(const char *line, const char *key, char *dest, size_t size)
{
    const char *value = strstr(line, key);
    if (!value) {
        return false;
    }
    value += strlen(key);
    size_t len = strcspn(value, " \r\n");
    if (len == 0 || len >= size) {
        return false;
    }
    memcpy(dest, value, len);
    dest[len] = '\0';
    return true;
}

static void
s_parse_ready(zs_bench_swarm_t *self)
{
    if (s_ready_field(self->line, ZS_BENCH_SWARM_CONTROL, self->control,
                      sizeof self->control) &&
        s_ready_field(self->line, ZS_BENCH_SWARM_EVENTS, self->events,
                      sizeof self->events)) {
        self->ready = true;
        self->ready_us = zclock_usecs();
    }
}

//  Take bytes from zswarmd's stdout: lines are looked at until the ready line has come
static void
s_take_stdout(zs_bench_swarm_t *self, const char *data, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        if (self->ready) {
            s_forward(self, data + i, size - i);
            return;
        }
        self->line[self->line_len++] = data[i];
        bool full = self->line_len + 1 == sizeof self->line;
        if (data[i] != '\n' && !full) {
            continue;
        }
        self->line[self->line_len] = '\0';
        if (strncmp(self->line, ZS_BENCH_SWARM_READY, strlen(ZS_BENCH_SWARM_READY)) ==
            0) {
            s_parse_ready(self);
        }
        if (!self->ready) {
            s_forward(self, self->line, self->line_len);
        }
        self->line_len = 0;
    }
}

//  Read what is waiting on one pipe; closes it at end of file
static void
s_drain(zs_bench_swarm_t *self, int *fd_p, bool is_stdout)
{
    char chunk[ZS_BENCH_SWARM_CHUNK];
    while (*fd_p >= 0) {
        ssize_t got = read(*fd_p, chunk, sizeof chunk);
        if (got > 0) {
            if (is_stdout) {
                s_take_stdout(self, chunk, (size_t) got);
            } else {
                s_forward(self, chunk, (size_t) got);
            }
            continue;
        }
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got == 0) {
            close(*fd_p);
            *fd_p = -1;
        }
        return;
    }
}

static void
s_drain_all(zs_bench_swarm_t *self)
{
    s_drain(self, &self->proc.stdout_fd, true);
    s_drain(self, &self->proc.stderr_fd, false);
    self->pumped_ms = zclock_mono();
}

//  Wait up to timeout_ms for output on either pipe, then drain both
static void
s_wait_output(zs_bench_swarm_t *self, int timeout_ms)
{
    struct pollfd fds[2] = {
        {self->proc.stdout_fd, POLLIN, 0},
        {self->proc.stderr_fd, POLLIN, 0},
    };
    //  poll ignores negative fds, so a closed pipe needs no special case
    if (poll(fds, 2, timeout_ms) > 0) {
        s_drain_all(self);
    }
}

//  Reap zswarmd if it has exited. Returns true with *code_p its exit code when it has.
static bool
s_reaped(zs_bench_swarm_t *self, int *code_p)
{
    int status = 0;
    if (self->proc.pid <= 0 ||
        waitpid(self->proc.pid, &status, WNOHANG) != self->proc.pid) {
        return false;
    }
    self->proc.pid = 0;
    *code_p = zs_proc_exit_code(status);
    return true;
}

//  zswarmd closed its stdout, or said nothing in time: say why there is no ready line
static int
s_not_ready(zs_bench_swarm_t *self, zs_error_t *err)
{
    //  End of file usually means it exited: give its exit status a moment to arrive
    int64_t deadline = zclock_mono() + ZS_BENCH_SWARM_EXIT_MS;
    int code = 0;
    while (self->proc.stdout_fd < 0 && zclock_mono() < deadline) {
        if (s_reaped(self, &code)) {
            return zs_error_set(
                err, 0, "zswarmd exited with status %d before it was ready", code);
        }
        s_wait_output(self, ZS_BENCH_SWARM_REAP_MS);
    }
    if (self->proc.stdout_fd < 0) {
        return zs_error_set(err, 0, "zswarmd closed its stdout without a ready line");
    }
    return zs_error_set(err, 0, "zswarmd printed no '%s... control=EP' line within %d ms",
                        ZS_BENCH_SWARM_READY, ZS_BENCH_SWARM_READY_MS);
}

static int
s_await_ready(zs_bench_swarm_t *self, zs_error_t *err)
{
    int64_t deadline = zclock_mono() + ZS_BENCH_SWARM_READY_MS;
    while (!self->ready) {
        if (self->proc.stdout_fd < 0 || zclock_mono() >= deadline) {
            return s_not_ready(self, err);
        }
        s_wait_output(self, ZS_BENCH_SWARM_REAP_MS);
    }
    return 0;
}

zs_bench_swarm_t *
zs_bench_swarm_new(const zs_bench_swarm_config_t *config, zs_error_t *err)
{
    assert(config);
    zs_bench_swarm_t *self = zs_calloc(1, sizeof *self);
    self->proc = (zs_proc_t){0, -1, -1, -1};
    self->output = config->output;
    if (s_write_file(self, config, err) != 0) {
        zs_bench_swarm_destroy(&self);
        return NULL;
    }
    char *program = zs_strdup(config->zswarmd);
    char *argv[] = {program, self->path, NULL};
    self->spawned_us = zclock_usecs();
    int rc = zs_proc_spawn(argv, NULL, ZS_PROC_PIPES | ZS_PROC_GROUP, &self->proc);
    free(program);
    if (rc != 0) {
        zs_error_set(err, 0, "cannot start '%s': %s", config->zswarmd, strerror(errno));
        zs_bench_swarm_destroy(&self);
        return NULL;
    }
    //  zswarmd reads nothing: end of file on its stdin at once
    close(self->proc.stdin_fd);
    self->proc.stdin_fd = -1;
    if (s_await_ready(self, err) != 0) {
        zs_error_t stop_err;
        zs_bench_swarm_stop(self, &stop_err);
        s_drain_all(self);
        s_print_tail(self);
        zs_bench_swarm_destroy(&self);
        return NULL;
    }
    return self;
}

void
zs_bench_swarm_destroy(zs_bench_swarm_t **self_p)
{
    assert(self_p);
    zs_bench_swarm_t *self = *self_p;
    if (!self) {
        return;
    }
    if (self->proc.pid > 0) {
        zs_error_t err;
        if (zs_bench_swarm_stop(self, &err) < 0) {
            fprintf(stderr, "zs_bench: %s\n", err.text);
        }
    }
    s_drain_all(self);
    zs_proc_close_fds(&self->proc);
    if (self->path[0]) {
        unlink(self->path);
    }
    if (self->journal[0]) {
        unlink(self->journal);
    }
    free(self);
    *self_p = NULL;
}

const char *
zs_bench_swarm_control(zs_bench_swarm_t *self)
{
    assert(self);
    return self->control;
}

const char *
zs_bench_swarm_events(zs_bench_swarm_t *self)
{
    assert(self);
    return self->events;
}

pid_t
zs_bench_swarm_pid(zs_bench_swarm_t *self)
{
    assert(self);
    return self->proc.pid;
}

int64_t
zs_bench_swarm_spawned_us(zs_bench_swarm_t *self)
{
    assert(self);
    return self->spawned_us;
}

int64_t
zs_bench_swarm_ready_us(zs_bench_swarm_t *self)
{
    assert(self);
    return self->ready_us;
}

void
zs_bench_swarm_pump(zs_bench_swarm_t *self)
{
    assert(self);
    if (zclock_mono() - self->pumped_ms >= ZS_BENCH_SWARM_PUMP_MS) {
        s_drain_all(self);
    }
}

int
zs_bench_swarm_stop(zs_bench_swarm_t *self, zs_error_t *err)
{
    assert(self);
    if (self->proc.pid <= 0) {
        return zs_error_set(err, 0, "zswarmd was already reaped");
    }
    pid_t pid = self->proc.pid;
    int code = 0;
    kill(pid, SIGTERM);
    int64_t deadline = zclock_mono() + ZS_BENCH_SWARM_STOP_MS;
    while (zclock_mono() < deadline) {
        if (s_reaped(self, &code)) {
            return code;
        }
        s_wait_output(self, ZS_BENCH_SWARM_REAP_MS);
    }
    //  The whole group: agents zswarmd failed to stop must not outlive the benchmark
    killpg(pid, SIGKILL);
    int status = 0;
    pid_t reaped;
    do {
        reaped = waitpid(pid, &status, 0);
    } while (reaped < 0 && errno == EINTR);
    self->proc.pid = 0;
    return zs_error_set(err, 0, "zswarmd %d ignored SIGTERM for %d ms: killed", (int) pid,
                        ZS_BENCH_SWARM_STOP_MS);
}

//  ---- the place and the signals ------------------------------------------------------

static volatile sig_atomic_t s_interrupted;

int
zs_bench_swarm_place_init(zs_bench_swarm_place_t *self,
                          const char *program,
                          const char *prefix,
                          zs_error_t *err)
{
    assert(self && prefix && err);
    self->dir[0] = '\0';
    program = program && *program ? program : getenv("ZSWARMD");
    program = program && *program ? program : "zswarmd";
    if (!strchr(program, '/')) {
        snprintf(self->zswarmd, sizeof self->zswarmd, "%s", program);
    } else if (!realpath(program, self->zswarmd)) {
        return zs_error_set(err, 0, "cannot find '%s': %s", program, strerror(errno));
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(self->dir, sizeof self->dir, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp",
             prefix);
    if (!mkdtemp(self->dir)) {
        int saved = errno;
        zs_error_set(err, 0, "cannot create '%s': %s", self->dir, strerror(saved));
        self->dir[0] = '\0';
        return -1;
    }
    return 0;
}

static int
s_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

void
zs_bench_swarm_place_fini(zs_bench_swarm_place_t *self)
{
    assert(self);
    if (self->dir[0]) {
        nftw(self->dir, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        self->dir[0] = '\0';
    }
}

static void
s_on_signal(int signum)
{
    s_interrupted = 1;
}

void
zs_bench_swarm_take_signals(void)
{
    struct sigaction action = {.sa_handler = s_on_signal};
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
}

bool
zs_bench_swarm_interrupted(void)
{
    return s_interrupted;
}
