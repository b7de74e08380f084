//  zswarmd - the swarm coordinator: loads a swarm file, binds its sockets, runs its
//  agents

#include <czmq.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "coordinator/zs_coord.h"
#include "common/zs_opts.h"
#include "common/zs_proc.h"

static const char s_usage[] =
    "usage: zswarmd [--check | --recover] FILE\n"
    "\n"
    "Run the swarm described by the YAML file FILE: bind its agents, events and control\n"
    "sockets, start its local agent processes and serve until SIGTERM, SIGINT or a\n"
    "shutdown request, then drain and stop every agent it started.\n"
    "\n";

static const char s_epilogue[] =
    "\n"
    "Once bound, zswarmd prints one line on stdout:\n"
    "  zswarmd ready agents=ENDPOINT events=ENDPOINT control=ENDPOINT\n"
    "Environment: ZSWARM_AGENT names the agent program (default: zswarm-agent beside\n"
    "zswarmd); ZSWARM_LOG=debug turns on debug logging.\n";

typedef struct {
    bool check;    //  --check: validate only
    bool recover;  //  --recover: go on past a damaged journal
} s_args_t;

#define S_OFF(field) offsetof(s_args_t, field)

static const zs_opts_option_t s_options[] = {
    {"--check", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, S_OFF(check), 0, 0, NULL,
     "validate FILE and exit: 0 when valid, 2 with FILE:LINE:COL: message"},
    {"--recover", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, S_OFF(recover), 0, 0, NULL,
     "start even if valid records follow damage in the journal: keep\n"
     "the damaged file as PATH.damaged-TIME, go on with every valid\n"
     "record and log each damaged range lost (without it zswarmd exits\n"
     "1 and leaves the file as it is; a torn last record is always cut\n"
     "off, with a warning)"},
};

static const zs_opts_program_t s_program = {
    .name = "zswarmd",
    .version = ZS_VERSION,
    .usage = s_usage,
    .epilogue = s_epilogue,
    .options = s_options,
    .count = sizeof s_options / sizeof s_options[0],
    .mode = ZS_OPTS_OPERANDS_ANY,
    .min_operands = 1,
    .max_operands = 1,
    .operand = "swarm file",
};

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
    int signal_errno = errno;  //  the reason, if it failed: loading the file overwrites it
    s_args_t args = {0};
    int operands = 0;
    int rc = zs_opts_program_main(&s_program, argc, argv, &args, &operands);
    if (rc != 0) {
        return zs_opts_exit_status(rc);
    }
    zs_error_t err;
    zs_error_init(&err);
    zs_swarm_t *swarm = zs_swarm_load(argv[1], &err);
    if (!swarm) {
        fprintf(stderr, "%s\n", err.text);
        return ZS_EXIT_USAGE;
    }
    if (args.check) {
        zs_swarm_destroy(&swarm);
        return ZS_EXIT_OK;
    }
    if (signal_fd < 0) {
        fprintf(stderr, "zswarmd: cannot take signals: %s\n", strerror(signal_errno));
        zs_swarm_destroy(&swarm);
        return ZS_EXIT_FAIL;
    }
    zsys_handler_set(NULL);
    zs_log_init("zswarmd");
    rc = s_serve(swarm, signal_fd, args.recover ? ZS_JOURNAL_RECOVER : ZS_JOURNAL_REFUSE);
    zs_swarm_destroy(&swarm);
    zsys_shutdown();
    close(signal_fd);
    return rc;
}
