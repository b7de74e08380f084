//  zs_proc - see zs_proc.h

#include "common/zs_proc.h"
#include "common/zs_util.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define ZS_PROC_EXEC_FAILED 127  //  exit status of a child whose exec failed, as in sh

static void
s_signal_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGCHLD);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
}

int
zs_proc_signals_take(void)
{
    sigset_t set;
    s_signal_set(&set);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
        return -1;
    }
    //  A peer or child that goes away must surface as EPIPE, not kill the process
    signal(SIGPIPE, SIG_IGN);
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int
zs_proc_signal_read(int signal_fd)
{
    struct signalfd_siginfo info;
    ssize_t got = read(signal_fd, &info, sizeof info);
    return got == (ssize_t) sizeof info ? (int) info.ssi_signo : 0;
}

void
zs_proc_signals_dispatch(int signal_fd,
                         const zs_proc_signal_t *table,
                         size_t count,
                         void *ctx)
{
    int signo;
    while ((signo = zs_proc_signal_read(signal_fd)) != 0) {
        for (size_t i = 0; i < count; i++) {
            if (table[i].signo == signo) {
                table[i].fn(ctx, signo);
            }
        }
    }
}

void
zs_proc_agent_exe(char *exe, size_t size)
{
    static const char name[] = "zswarm-agent";
    const char *env = getenv("ZSWARM_AGENT");
    if (env && *env) {
        snprintf(exe, size, "%s", env);
        return;
    }
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    char *slash = len > 0 ? memrchr(self, '/', (size_t) len) : NULL;
    if (slash) {
        *slash = '\0';
    }
    if (!slash || snprintf(exe, size, "%s/%s", self, name) >= (int) size) {
        snprintf(exe, size, "%s", name);
    }
}

static int
s_pipe(int fds[2])
{
    return pipe2(fds, O_CLOEXEC);
}

//  In the child, between fork and exec: only async-signal-safe calls from here on
static void
s_child(char *const argv[],
        char *const envp[],
        int flags,
        pid_t parent,
        int pass_fd,
        int in[2],
        int out[2],
        int err[2])
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    //  Handlers a library installed (czmq's SIGINT/SIGTERM) would swallow a signal that
    //  lands before exec: the child takes the defaults at once
    int defaults[] = {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        signal(defaults[i], SIG_DFL);
    }
    if (flags & ZS_PROC_GROUP) {
        setpgid(0, 0);
    }
    //  An orphan must not live on: if we died before the request, it is orphaned now
    if ((flags & ZS_PROC_ORPHAN_TERM) &&
        (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)) {
        _exit(ZS_PROC_EXEC_FAILED);
    }
    if (flags & ZS_PROC_PIPES) {
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) {
            _exit(ZS_PROC_EXEC_FAILED);
        }
    }
    //  dup2 clears close-on-exec on the copy; an fd already in place needs it cleared
    if (pass_fd >= 0 &&
        (pass_fd == ZS_PROC_PASS_FD ? fcntl(pass_fd, F_SETFD, 0)
                                    : dup2(pass_fd, ZS_PROC_PASS_FD)) < 0) {
        _exit(ZS_PROC_EXEC_FAILED);
    }
    if (envp) {
        execvpe(argv[0], argv, envp);
    } else {
        execvp(argv[0], argv);
    }
    _exit(ZS_PROC_EXEC_FAILED);
}

static void
s_close_pair(int fds[2])
{
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
}

static void
s_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int
zs_proc_spawn(char *const argv[], char *const envp[], int flags, zs_proc_t *proc)
{
    return zs_proc_spawn_passing(argv, envp, flags, -1, proc);
}

int
zs_proc_spawn_passing(
    char *const argv[], char *const envp[], int flags, int pass_fd, zs_proc_t *proc)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    if ((flags & ZS_PROC_PIPES) && (s_pipe(in) || s_pipe(out) || s_pipe(err))) {
        int saved = errno;
        s_close_pair(in);
        s_close_pair(out);
        s_close_pair(err);
        errno = saved;
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        s_child(argv, envp, flags, parent, pass_fd, in, out, err);
    }
    int saved = errno;
    if (flags & ZS_PROC_GROUP && pid > 0) {
        //  Also set it here, so a killpg right after spawn cannot miss the group
        setpgid(pid, pid);
    }
    proc->pid = pid;
    proc->stdin_fd = in[1];
    proc->stdout_fd = out[0];
    proc->stderr_fd = err[0];
    in[1] = out[0] = err[0] = -1;
    s_close_pair(in);
    s_close_pair(out);
    s_close_pair(err);
    if (pid < 0) {
        zs_proc_close_fds(proc);
        errno = saved;
        return -1;
    }
    if (flags & ZS_PROC_PIPES) {
        s_nonblock(proc->stdin_fd);
        s_nonblock(proc->stdout_fd);
        s_nonblock(proc->stderr_fd);
    }
    return 0;
}

char **
zs_proc_env_with(char *entry)
{
    return zs_proc_env_with_all(&entry, 1);
}

//  True when var ("NAME=...") names the variable of one of entries
static bool
s_env_replaced(const char *var, char *const entries[], size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const char *equals = strchr(entries[i], '=');
        assert(equals);
        if (strncmp(var, entries[i], (size_t) (equals - entries[i]) + 1) == 0) {
            return true;
        }
    }
    return false;
}

char **
zs_proc_env_with_all(char *const entries[], size_t count)
{
    size_t ours = 0;
    while (environ[ours]) {
        ours++;
    }
    char **env = zs_malloc((ours + count + 1) * sizeof *env);
    size_t kept = 0;
    for (size_t i = 0; i < ours; i++) {
        if (!s_env_replaced(environ[i], entries, count)) {
            env[kept++] = environ[i];
        }
    }
    for (size_t i = 0; i < count; i++) {
        if (!s_env_replaced(entries[i], entries + i + 1, count - i - 1)) {
            env[kept++] = entries[i];
        }
    }
    env[kept] = NULL;
    return env;
}

void
zs_proc_close_fds(zs_proc_t *proc)
{
    int *fds[] = {&proc->stdin_fd, &proc->stdout_fd, &proc->stderr_fd};
    for (size_t i = 0; i < 3; i++) {
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
    }
}

int
zs_proc_exit_code(int status)
{
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    return WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
}
