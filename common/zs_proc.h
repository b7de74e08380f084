//  zs_proc - spawn child processes and take signals inside an event loop
//
//  czmq's zproc is a draft API that Debian's libczmq lacks, so programs spawn and reap
//  children here. Signals are taken over as file descriptors (signalfd): the program
//  blocks them before any thread exists (so libzmq's threads inherit the mask) and reads
//  them from its zloop like any other input, so a SIGCHLD or SIGTERM never interrupts
//  half-done work. Every child is spawned with a clean signal mask and default handlers.

#ifndef ZS_PROC_H
#define ZS_PROC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

//  Block SIGCHLD, SIGTERM, SIGINT and SIGHUP and ignore SIGPIPE; call first in main,
//  before czmq or libzmq start a thread. Returns a non-blocking signalfd for those
//  signals, or -1.
int zs_proc_signals_take(void);

//  Read one pending signal from the fd returned by zs_proc_signals_take. Returns the
//  signal number, or 0 when none is pending.
int zs_proc_signal_read(int signal_fd);

//  One entry of a program's signal table: what it does with a signal it took
typedef struct {
    int signo;                         //  a signal zs_proc_signals_take blocks
    void (*fn)(void *ctx, int signo);  //  called from the loop, with the table's ctx
} zs_proc_signal_t;

//  Read every signal pending on signal_fd and call its entry of table (count entries)
//  with ctx; a signal the table lacks is dropped.
void zs_proc_signals_dispatch(int signal_fd,
                              const zs_proc_signal_t *table,
                              size_t count,
                              void *ctx);

//  The agent program: $ZSWARM_AGENT when set, else zswarm-agent in this executable's
//  directory, else plain "zswarm-agent" (looked up in PATH), into exe (size bytes).
void zs_proc_agent_exe(char *exe, size_t size);

typedef enum {
    ZS_PROC_PIPES = 1,  //  give the child stdin/stdout/stderr pipes (else inherit ours)
    ZS_PROC_GROUP =
        2,  //  child leads a new process group, so killpg reaches its children
    ZS_PROC_ORPHAN_TERM = 4,  //  the kernel sends the child SIGTERM when we die
} zs_proc_flags_t;

typedef struct {
    pid_t pid;      //  child's pid; with ZS_PROC_GROUP also its process group id
    int stdin_fd;   //  write end of the child's stdin, non-blocking, or -1
    int stdout_fd;  //  read end of the child's stdout, non-blocking, or -1
    int stderr_fd;  //  read end of the child's stderr, non-blocking, or -1
} zs_proc_t;

#define ZS_PROC_PASS_FD 3  //  where zs_proc_spawn_passing puts the fd it passes on

//  Start argv[0] (looked up in PATH) with argv, in the environment envp (NULL: ours).
//  Returns 0 with *proc filled (the caller owns its fds and must reap the pid), or -1
//  with errno set; a program that cannot be executed is reported by the child exiting
//  with status 127.
int zs_proc_spawn(char *const argv[], char *const envp[], int flags, zs_proc_t *proc);

//  zs_proc_spawn, and the child gets pass_fd (ours, best opened close-on-exec so no
//  other child inherits it) as its fd ZS_PROC_PASS_FD; the caller still owns pass_fd.
int zs_proc_spawn_passing(
    char *const argv[], char *const envp[], int flags, int pass_fd, zs_proc_t *proc);

//  Our environment with entry ("NAME=VALUE") in place of any NAME of ours, for
//  zs_proc_spawn: a new NULL-terminated array whose strings are borrowed (entry and our
//  environ's), freed by the caller with free () alone.
char **zs_proc_env_with(char *entry);

//  zs_proc_env_with for count entries at once (later ones win over earlier ones).
char **zs_proc_env_with_all(char *const entries[], size_t count);

//  Close whichever of proc's fds are still open and set them to -1.
void zs_proc_close_fds(zs_proc_t *proc);

//  Fold a waitpid status into one number: the exit code, or -N when killed by signal N.
int zs_proc_exit_code(int status);

#endif
