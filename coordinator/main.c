//  zswarmd - the swarm coordinator: loads a swarm file, binds its sockets, runs its
//  agents

#include <czmq.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "coordinator/zs_coord.h"
#include "common/zs_proc.h"

#define ZS_EXIT_OK    0  //  clean stop
#define ZS_EXIT_FAIL  1  //  could not start or run
#define ZS_EXIT_USAGE 2  //  bad command line or swarm file

static const char *s_usage =
    "usage: zswarmd [--check | --recover] FILE\n"
    "\n"
    "Run the swarm described by the YAML file FILE: bind its agents, events and control\n"
    "sockets, start its local agent processes and serve until SIGTERM, SIGINT or a\n"
    "shutdown request, then drain and stop every agent it started.\n"
    "\n"
    "  --check     validate FILE and exit: 0 when valid, 2 with FILE:LINE:COL: message\n"
    "  --recover   start even if valid records follow damage in the journal: keep\n"
    "              the damaged file as PATH.damaged-TIME, go on with every valid\n"
    "              record and log each damaged range lost (without it zswarmd exits\n"
    "              1 and leaves the file as it is; a torn last record is always cut\n"
    "              off, with a warning)\n"
    "  --help      show this help\n"
    "  --version   show the version\n"
    "\n"
    "Once bound, zswarmd prints one line on stdout:\n"
    "  zswarmd ready agents=ENDPOINT events=ENDPOINT control=ENDPOINT\n"
    "Environment: ZSWARM_AGENT names the agent program (default: zswarm-agent beside\n"
    "zswarmd); ZSWARM_LOG=debug turns on debug logging.\n";

typedef struct {
    const char *path;            //  swarm file
    bool check;                  //  validate only
    zs_journal_damage_t damage;  //  --recover: go on past a damaged journal
} s_args_t;

static int
s_usage_error(const char *what)
{
    fprintf(stderr, "zswarmd: %s\n%s", what, s_usage);
    return ZS_EXIT_USAGE;
}

//  Returns -1 to go on, else the exit code
static int
s_parse_args(int argc, char **argv, s_args_t *args)
{
    for (int i = 1; i < argc; i++) {
        if (streq(argv[i], "--help") || streq(argv[i], "-h")) {
            fputs(s_usage, stdout);
            return ZS_EXIT_OK;
        }
        if (streq(argv[i], "--version")) {
            printf("zswarmd %s\n", ZS_VERSION);
            return ZS_EXIT_OK;
        }
        if (streq(argv[i], "--check")) {
            args->check = true;
        } else if (streq(argv[i], "--recover")) {
            args->damage = ZS_JOURNAL_RECOVER;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            char what[128];
            snprintf(what, sizeof what, "unknown option '%.64s'", argv[i]);
            return s_usage_error(what);
        } else if (args->path) {
            return s_usage_error("more than one swarm file given");
        } else {
            args->path = argv[i];
        }
    }
    return args->path ? -1 : s_usage_error("no swarm file given");
}

static int
s_serve(const zs_swarm_t *swarm, int signal_fd, zs_journal_damage_t damage)
{
    if (swarm->insecure) {
        zsys_warning("'%s' says insecure: true: sockets may be bound to non-loopback "
                     "addresses without authentication",
                     swarm->path);
    }
    char exe[PATH_MAX + 16];
    zs_proc_agent_exe(exe, sizeof exe);
    zs_error_t err;
    zs_error_init(&err);
    zs_coord_t *coord = zs_coord_new(swarm, exe, signal_fd, damage, &err);
    if (!coord) {
        fprintf(stderr, "zswarmd: %s\n", err.text);
        return ZS_EXIT_FAIL;
    }
    zs_coord_print_ready(coord, stdout);
    int rc = zs_coord_run(coord);
    zs_coord_destroy(&coord);
    return rc == 0 ? ZS_EXIT_OK : ZS_EXIT_FAIL;
}

int
main(int argc, char **argv)
{
    //  Before any thread exists, so libzmq's threads inherit the blocked signals
    int signal_fd = zs_proc_signals_take();
    s_args_t args = {.damage = ZS_JOURNAL_REFUSE};
    int rc = s_parse_args(argc, argv, &args);
    if (rc >= 0) {
        return rc;
    }
    zs_error_t err;
    zs_error_init(&err);
    zs_swarm_t *swarm = zs_swarm_load(args.path, &err);
    if (!swarm) {
        fprintf(stderr, "%s\n", err.text);
        return ZS_EXIT_USAGE;
    }
    if (args.check) {
        zs_swarm_destroy(&swarm);
        return ZS_EXIT_OK;
    }
    if (signal_fd < 0) {
        fprintf(stderr, "zswarmd: cannot take signals: %s\n", strerror(errno));
        zs_swarm_destroy(&swarm);
        return ZS_EXIT_FAIL;
    }
    zsys_handler_set(NULL);
    zs_log_init("zswarmd");
    rc = s_serve(swarm, signal_fd, args.damage);
    zs_swarm_destroy(&swarm);
    zsys_shutdown();
    close(signal_fd);
    return rc;
}
