//  Unit tests for zs_util and zs_proc

#include <czmq.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/zs_proc.h"
#include "tests/unit/zs_test.h"
#include "common/zs_util.h"

static void
test_errors_and_parsing(void)
{
    zs_error_t err;
    zs_error_init(&err);
    ZS_CHECK(zs_error_set(&err, 7, "bad '%s'", "x") == -1);
    ZS_CHECK(err.code == 7);
    ZS_CHECK_STR(err.text, "bad 'x'");
    int64_t value = 0;
    ZS_CHECK(zs_parse_int("42", 0, 100, &value) == 0 && value == 42);
    ZS_CHECK(zs_parse_int("-3", -5, 5, &value) == 0 && value == -3);
    ZS_CHECK(zs_parse_int("101", 0, 100, &value) == -1);
    ZS_CHECK(zs_parse_int("4x", 0, 100, &value) == -1);
    ZS_CHECK(zs_parse_int("", 0, 100, &value) == -1);
    ZS_CHECK(zs_parse_int("99999999999999999999", 0, INT64_MAX, &value) == -1);
}

static void
test_utf8_trim(void)
{
    char text[16];
    snprintf(text, sizeof text, "ab\xc3\xa9");  //  "abé": whole, kept
    zs_utf8_trim(text);
    ZS_CHECK_STR(text, "ab\xc3\xa9");
    snprintf(text, sizeof text, "ab\xc3");  //  first byte of é only
    zs_utf8_trim(text);
    ZS_CHECK_STR(text, "ab");
    snprintf(text, sizeof text, "x\xe2\x82");  //  two of the three bytes of €
    zs_utf8_trim(text);
    ZS_CHECK_STR(text, "x");
    snprintf(text, sizeof text, "x\xf0\x9f\x98\x80");  //  a whole 4-byte character
    zs_utf8_trim(text);
    ZS_CHECK_STR(text, "x\xf0\x9f\x98\x80");
    snprintf(text, sizeof text, "\xf0\x9f\x98");
    zs_utf8_trim(text);
    ZS_CHECK_STR(text, "");
    snprintf(text, sizeof text, "plain");
    zs_utf8_trim(text);
    ZS_CHECK_STR(text, "plain");
}

static void
test_sanitize(void)
{
    char out[32];
    zs_sanitize(out, sizeof out, "ab\x01\xff", 4);
    ZS_CHECK_STR(out, "ab\\x01\\xff");
    char longer[200];
    memset(longer, 'z', sizeof longer);
    zs_sanitize(out, sizeof out, longer, sizeof longer);
    ZS_CHECK(strlen(out) < sizeof out && strstr(out, "...") != NULL);
}

static void
test_ratelimit(void)
{
    zs_ratelimit_t limit = {0};
    int allowed = 0;
    for (int i = 0; i < 100; i++) {
        allowed += zs_ratelimit_allow(&limit, NULL);
    }
    //  A burst is allowed, a flood is not
    ZS_CHECK(allowed >= 10 && allowed <= 11);
    ZS_CHECK(limit.suppressed >= 89);
}

static void
test_spawn_with_pipes(void)
{
    char *argv[] = {"/bin/sh", "-c", "cat; echo err >&2; exit 3", NULL};
    zs_proc_t proc;
    ZS_CHECK(zs_proc_spawn(argv, NULL, ZS_PROC_PIPES | ZS_PROC_GROUP, &proc) == 0);
    ZS_CHECK(getpgid(proc.pid) == proc.pid);
    ZS_CHECK(write(proc.stdin_fd, "hello", 5) == 5);
    close(proc.stdin_fd);
    proc.stdin_fd = -1;
    int status;
    ZS_CHECK(waitpid(proc.pid, &status, 0) == proc.pid);
    ZS_CHECK(zs_proc_exit_code(status) == 3);
    char buf[16] = {0};
    ZS_CHECK(read(proc.stdout_fd, buf, sizeof buf - 1) == 5);
    ZS_CHECK_STR(buf, "hello");
    memset(buf, 0, sizeof buf);
    ZS_CHECK(read(proc.stderr_fd, buf, sizeof buf - 1) == 4);
    ZS_CHECK_STR(buf, "err\n");
    zs_proc_close_fds(&proc);
    ZS_CHECK(proc.stdout_fd == -1 && proc.stderr_fd == -1);
}

static void
test_spawn_missing_program(void)
{
    char *argv[] = {"/nonexistent/program", NULL};
    zs_proc_t proc;
    ZS_CHECK(zs_proc_spawn(argv, NULL, ZS_PROC_ORPHAN_TERM, &proc) == 0);
    int status;
    ZS_CHECK(waitpid(proc.pid, &status, 0) == proc.pid);
    ZS_CHECK(zs_proc_exit_code(status) == 127);
}

static void
test_signals_arrive_as_fd(void)
{
    int fd = zs_proc_signals_take();
    ZS_CHECK(fd >= 0);
    ZS_CHECK(zs_proc_signal_read(fd) == 0);
    kill(getpid(), SIGTERM);
    ZS_CHECK(zs_proc_signal_read(fd) == SIGTERM);
    char *argv[] = {"/bin/true", NULL};
    zs_proc_t proc;
    ZS_CHECK(zs_proc_spawn(argv, NULL, ZS_PROC_ORPHAN_TERM, &proc) == 0);
    int status;
    ZS_CHECK(waitpid(proc.pid, &status, 0) == proc.pid);
    ZS_CHECK(zs_proc_exit_code(status) == 0);
    ZS_CHECK(zs_proc_signal_read(fd) == SIGCHLD);
    close(fd);
}

//  True while pid runs: a zombie has ended (whoever adopts it may not reap it soon)
static bool
s_running(pid_t pid)
{
    char path[64], stat[256] = "";
    snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen(path, "r");
    if (!file) {
        return false;
    }
    size_t size = fread(stat, 1, sizeof stat - 1, file);
    fclose(file);
    stat[size] = '\0';
    const char *end = strrchr(stat, ')');
    return end && end[1] == ' ' && end[2] != 'Z';
}

//  A child spawned with ZS_PROC_ORPHAN_TERM is sent SIGTERM when its parent dies: a
//  helper process spawns `sleep 60`, tells us its pid and exits at once
static void
test_orphan_gets_sigterm(void)
{
    int fds[2];
    ZS_CHECK(pipe(fds) == 0);
    pid_t helper = fork();
    if (helper == 0) {
        char *argv[] = {"sleep", "60", NULL};
        zs_proc_t proc;
        pid_t pid =
            zs_proc_spawn(argv, NULL, ZS_PROC_ORPHAN_TERM, &proc) == 0 ? proc.pid : 0;
        _exit(write(fds[1], &pid, sizeof pid) == sizeof pid ? 0 : 1);
    }
    pid_t orphan = 0;
    ZS_CHECK(read(fds[0], &orphan, sizeof orphan) == sizeof orphan && orphan > 0);
    int status;
    ZS_CHECK(waitpid(helper, &status, 0) == helper);
    close(fds[0]);
    close(fds[1]);
    //  init reaps it; 60 s would be its natural end
    int64_t until = zclock_mono() + 10000;
    while (orphan > 0 && s_running(orphan) && zclock_mono() < until) {
        usleep(10000);
    }
    ZS_CHECK(orphan > 0 && !s_running(orphan));
}

static const zs_test_case_t s_cases[] = {
    {"orphan_gets_sigterm", test_orphan_gets_sigterm},
    {"errors_and_parsing", test_errors_and_parsing},
    {"sanitize", test_sanitize},
    {"utf8_trim", test_utf8_trim},
    {"ratelimit", test_ratelimit},
    {"spawn_with_pipes", test_spawn_with_pipes},
    {"spawn_missing_program", test_spawn_missing_program},
    {"signals_arrive_as_fd", test_signals_arrive_as_fd},
};

ZS_TEST_MAIN(s_cases)
