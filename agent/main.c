//  zswarm-agent - join a zswarm coordinator and run the tasks it assigns
//
//  Thin: parse and check the command line, take the signals, hand over to zs_agent.

#include "agent/zs_agent.h"
#include "common/zs_proc.h"

#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define S_PROGRAM "zswarm-agent"

//  What parsing decided; each is also the exit code when the program stops there
typedef enum {
    S_PARSE_RUN = -1,   //  options are good: run the agent
    S_PARSE_DONE = 0,   //  --help or --version printed: exit 0
    S_PARSE_USAGE = 2,  //  a usage error was printed: exit 2
} s_parse_t;

static const char s_usage[] =
    "usage: " S_PROGRAM " --connect ENDPOINT --type TYPE [options]\n"
    "\n"
    "Join a zswarm coordinator as an agent and run the tasks it assigns.\n"
    "\n"
    "  -c, --connect ENDPOINT  the coordinator's agents socket, e.g. "
    "tcp://127.0.0.1:7600\n"
    "  -t, --type TYPE         agent type: 1-64 of A-Z a-z 0-9 . _ : -\n"
    "  -i, --id ID             agent id to register as (default: the coordinator's)\n"
    "  -n, --concurrency N     tasks to run at once, 1-1024 (default: the "
    "coordinator's)\n"
    "  -p, --parent PID        exit when process PID is no longer this one's parent\n"
    "      --cert FILE         connect with CURVE, as this secret certificate "
    "(NAME_secret)\n"
    "      --server-key KEY    the coordinator's public key: 40 characters of Z85, or\n"
    "                          its public certificate file (required with --cert)\n"
    "  -h, --help              print this help and exit\n"
    "  -V, --version           print the version and exit\n"
    "\n"
    "Set ZSWARM_LOG=debug for debug output on stderr. zswarmd starts its local agents\n"
    "with " ZS_MSG_SECRET_ENV " set: the proof of their slot, which the agent removes\n"
    "from its environment before anything else.\n";

static const struct option s_options[] = {
    {"connect", required_argument, NULL, 'c'},
    {"type", required_argument, NULL, 't'},
    {"id", required_argument, NULL, 'i'},
    {"concurrency", required_argument, NULL, 'n'},
    {"parent", required_argument, NULL, 'p'},
    {"cert", required_argument, NULL, 'C'},
    {"server-key", required_argument, NULL, 'K'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

#define s_usage_error(...) ((s_parse_t) zs_usage_error(S_PROGRAM, __VA_ARGS__))

static s_parse_t
s_parse_number(const char *option, const char *text, int64_t max, int64_t *value)
{
    if (zs_parse_int(text, 1, max, value) != 0) {
        return s_usage_error("--%s must be an integer in 1..%" PRId64 ", not '%s'",
                             option, max, text);
    }
    return S_PARSE_RUN;
}

//  Apply one option to config
static s_parse_t
s_parse_option(int option, const char *arg, zs_agent_config_t *config)
{
    int64_t value = 0;
    s_parse_t rc = S_PARSE_RUN;
    switch (option) {
    case 'c':
        config->peer.endpoint = arg;
        break;
    case 't':
        config->atype = arg;
        break;
    case 'i':
        config->id = arg;
        break;
    case 'n':
        rc = s_parse_number("concurrency", arg, ZS_AGENT_CONC_MAX, &value);
        config->conc = (uint64_t) value;
        break;
    case 'p':
        rc = s_parse_number("parent", arg, INT_MAX, &value);
        config->parent = (pid_t) value;
        break;
    case 'C':
        config->peer.cert = arg;
        break;
    case 'K':
        config->peer.server_key = arg;
        break;
    case 'h':
        fputs(s_usage, stdout);
        rc = S_PARSE_DONE;
        break;
    case 'V':
        printf(S_PROGRAM " %s\n", zs_agent_version());
        rc = S_PARSE_DONE;
        break;
    default:
        //  getopt already said what was wrong
        fprintf(stderr, "try '" S_PROGRAM " --help'\n");
        rc = S_PARSE_USAGE;
    }
    return rc;
}

//  The options that must be there, and the form of names
static s_parse_t
s_parse_check(const zs_agent_config_t *config)
{
    if (!config->peer.endpoint || !*config->peer.endpoint) {
        return s_usage_error("--connect ENDPOINT is required");
    }
    if (!config->atype) {
        return s_usage_error("--type TYPE is required");
    }
    if (!zs_agent_name_valid(config->atype)) {
        return s_usage_error("--type must be 1-%d of A-Z a-z 0-9 . _ : -, not '%s'",
                             ZS_MSG_NAME_MAX, config->atype);
    }
    if (!config->peer.cert != !config->peer.server_key) {
        return s_usage_error("--cert and --server-key go together");
    }
    if (config->id && !zs_agent_name_valid(config->id)) {
        return s_usage_error("--id must be 1-%d of A-Z a-z 0-9 . _ : -, not '%s'",
                             ZS_MSG_NAME_MAX, config->id);
    }
    return S_PARSE_RUN;
}

static s_parse_t
s_parse(int argc, char **argv, zs_agent_config_t *config)
{
    int option;
    while ((option = getopt_long(argc, argv, "c:t:i:n:p:hV", s_options, NULL)) != -1) {
        s_parse_t rc = s_parse_option(option, optarg, config);
        if (rc != S_PARSE_RUN) {
            return rc;
        }
    }
    if (optind < argc) {
        return s_usage_error("unexpected argument '%s'", argv[optind]);
    }
    return s_parse_check(config);
}

//  zswarmd's proof that we are the process in our local slot (PROTOCOL.md §5.3): taken
//  out of the environment first of all and the original wiped, so that no task we run
//  inherits it and /proc/PID/environ shows it no more
static s_parse_t
s_take_secret(char *secret, size_t size)
{
    char *value = getenv(ZS_MSG_SECRET_ENV);
    if (!value) {
        return S_PARSE_RUN;
    }
    size_t len = strlen(value);
    bool valid = len == ZS_MSG_SECRET_SIZE && strspn(value, "0123456789abcdef") == len;
    if (valid) {
        snprintf(secret, size, "%s", value);
    }
    explicit_bzero(value, len);
    unsetenv(ZS_MSG_SECRET_ENV);
    return valid ? S_PARSE_RUN
                 : s_usage_error("$" ZS_MSG_SECRET_ENV " must be %d hex digits",
                                 ZS_MSG_SECRET_SIZE);
}

int
main(int argc, char **argv)
{
    char secret[ZS_MSG_SECRET_SIZE + 1] = "";
    if (s_take_secret(secret, sizeof secret) != S_PARSE_RUN) {
        return S_PARSE_USAGE;
    }
    //  First of all, before czmq or libzmq start a thread: every thread must inherit
    //  the blocked signals, or one of them could take a SIGTERM the loop never sees
    int signal_fd = zs_proc_signals_take();
    int saved = errno;
    zs_agent_config_t config = {.peer.signal_fd = signal_fd,
                                .secret = secret[0] ? secret : NULL};
    s_parse_t parsed = s_parse(argc, argv, &config);
    if (parsed != S_PARSE_RUN) {
        return (int) parsed;
    }
    if (signal_fd < 0) {
        fprintf(stderr, S_PROGRAM ": cannot take signals: %s\n", strerror(saved));
        return 1;
    }
    zsys_handler_set(NULL);
    config.peer.debug = zs_log_init(S_PROGRAM);
    zs_error_t err;
    zs_error_init(&err);
    zs_agent_t *agent = zs_agent_new(&config, &err);
    explicit_bzero(secret, sizeof secret);
    if (!agent) {
        zsys_error("%s", err.text);
        close(signal_fd);
        bool usage = err.code == ZS_AGENT_E_CONNECT || err.code == ZS_AGENT_E_CERT;
        return usage ? S_PARSE_USAGE : 1;
    }
    int rc = zs_agent_run(agent);
    zs_agent_destroy(&agent);
    close(signal_fd);
    return rc == 0 ? 0 : 1;
}
