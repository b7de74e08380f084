//  zswarm-node - run agent processes on this machine for a zswarm coordinator
//
//  Thin: parse and check the command line, take the signals, hand over to zs_node.

#include "node/zs_node.h"
#include "common/zs_proc.h"
#include "proto/zs_msg.h"

#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define S_PROGRAM "zswarm-node"

//  What parsing decided; each is also the exit code when the program stops there
typedef enum {
    S_PARSE_RUN = -1,   //  options are good: run the node
    S_PARSE_DONE = 0,   //  --help or --version printed: exit 0
    S_PARSE_USAGE = 2,  //  a usage error was printed: exit 2
} s_parse_t;

//  What main keeps besides the node's config: the buffers its defaults live in
typedef struct {
    zs_node_config_t config;              //  for zs_node_new
    char name[ZS_MSG_NODE_NAME_MAX + 1];  //  the default name, from the host name
    char agent_exe[PATH_MAX];             //  the default agent program
} s_args_t;

static const char s_usage[] =
    "usage: " S_PROGRAM " --connect ENDPOINT [options]\n"
    "\n"
    "Run agent processes on this machine for a zswarm coordinator: as many of each\n"
    "type as the coordinator asks this node for (the swarm file's 'nodes' key).\n"
    "\n"
    "  -c, --connect ENDPOINT  the coordinator's agents socket, e.g. "
    "tcp://10.0.0.1:7600\n"
    "  -s, --slots N           agents to run at most, all types together, 1-1000\n"
    "                          (default: the number of online CPUs)\n"
    "  -n, --name NAME         node name: 1-32 of A-Z a-z 0-9 . _ : -\n"
    "                          (default: the host name up to its first '.')\n"
    "  -a, --agent PATH        the zswarm-agent program (default: $ZSWARM_AGENT, else\n"
    "                          zswarm-agent beside this program)\n"
    "      --cert FILE         connect with CURVE, as this secret certificate "
    "(NAME_secret);\n"
    "                          the node's agents connect with it too\n"
    "      --server-key KEY    the coordinator's public key: 40 characters of Z85, or\n"
    "                          its public certificate file (required with --cert)\n"
    "  -h, --help              print this help and exit\n"
    "  -V, --version           print the version and exit\n"
    "\n"
    "Once started, " S_PROGRAM " prints one line on stdout:\n"
    "  " S_PROGRAM " ready name=NAME slots=N\n"
    "Set ZSWARM_LOG=debug for debug output on stderr.\n";

static const struct option s_options[] = {
    {"connect", required_argument, NULL, 'c'},
    {"slots", required_argument, NULL, 's'},
    {"name", required_argument, NULL, 'n'},
    {"agent", required_argument, NULL, 'a'},
    {"cert", required_argument, NULL, 'C'},
    {"server-key", required_argument, NULL, 'K'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

#define s_usage_error(...) ((s_parse_t) zs_usage_error(S_PROGRAM, __VA_ARGS__))

//  Apply one option to config
static s_parse_t
s_parse_option(int option, const char *arg, zs_node_config_t *config)
{
    int64_t value = 0;
    s_parse_t rc = S_PARSE_RUN;
    switch (option) {
    case 'c':
        config->peer.endpoint = arg;
        break;
    case 's':
        if (zs_parse_int(arg, 1, ZS_NODE_SLOTS_MAX, &value) != 0) {
            return s_usage_error("--slots must be an integer in 1..%d, not '%s'",
                                 ZS_NODE_SLOTS_MAX, arg);
        }
        config->slots = (unsigned) value;
        break;
    case 'n':
        config->name = arg;
        break;
    case 'a':
        config->agent_exe = arg;
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
        printf(S_PROGRAM " %s\n", zs_node_version());
        rc = S_PARSE_DONE;
        break;
    default:
        //  getopt already said what was wrong
        fprintf(stderr, "try '" S_PROGRAM " --help'\n");
        rc = S_PARSE_USAGE;
    }
    return rc;
}

//  ---- defaults ------------------------------------------------------------------------

static unsigned
s_default_slots(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : cpus > ZS_NODE_SLOTS_MAX ? ZS_NODE_SLOTS_MAX : (unsigned) cpus;
}

//  The host name up to its first '.', or "" when it has none or is too long
static void
s_default_name(char *name, size_t size)
{
    char host[HOST_NAME_MAX + 1] = "";
    if (gethostname(host, sizeof host - 1) != 0) {
        host[0] = '\0';
    }
    host[sizeof host - 1] = '\0';
    size_t len = strcspn(host, ".");
    //  A name cut to fit would be another name: then there is no default
    len = len < size ? len : 0;
    memcpy(name, host, len);
    name[len] = '\0';
}

//  ---- checks --------------------------------------------------------------------------

//  The options that must be there, and the form of names
static s_parse_t
s_parse_check(s_args_t *args)
{
    zs_node_config_t *config = &args->config;
    if (!config->peer.endpoint || !*config->peer.endpoint) {
        return s_usage_error("--connect ENDPOINT is required");
    }
    if (!config->name && !args->name[0]) {
        return s_usage_error("the host name gives no valid node name: use --name NAME");
    }
    if (!config->name && !zs_msg_node_name_valid(args->name)) {
        return s_usage_error("the host name gives no valid node name ('%s'): use --name "
                             "NAME",
                             args->name);
    }
    if (config->name && !zs_msg_node_name_valid(config->name)) {
        return s_usage_error("--name must be 1-%d of A-Z a-z 0-9 . _ : -, not '%s'",
                             ZS_MSG_NODE_NAME_MAX, config->name);
    }
    if (!config->peer.cert != !config->peer.server_key) {
        return s_usage_error("--cert and --server-key go together");
    }
    //  Checked now: a program that cannot run would fail every agent type in turn
    const char *exe = config->agent_exe ? config->agent_exe : args->agent_exe;
    if (strchr(exe, '/') && access(exe, X_OK) != 0) {
        return s_usage_error("cannot run agent program '%s': %s (see --agent)", exe,
                             strerror(errno));
    }
    return S_PARSE_RUN;
}

static s_parse_t
s_parse(int argc, char **argv, s_args_t *args)
{
    int option;
    while ((option = getopt_long(argc, argv, "c:s:n:a:hV", s_options, NULL)) != -1) {
        s_parse_t rc = s_parse_option(option, optarg, &args->config);
        if (rc != S_PARSE_RUN) {
            return rc;
        }
    }
    if (optind < argc) {
        return s_usage_error("unexpected argument '%s'", argv[optind]);
    }
    s_default_name(args->name, sizeof args->name);
    zs_proc_agent_exe(args->agent_exe, sizeof args->agent_exe);
    s_parse_t rc = s_parse_check(args);
    args->config.name = args->config.name ? args->config.name : args->name;
    args->config.agent_exe =
        args->config.agent_exe ? args->config.agent_exe : args->agent_exe;
    args->config.slots = args->config.slots ? args->config.slots : s_default_slots();
    return rc;
}

int
main(int argc, char **argv)
{
    //  First of all, before czmq or libzmq start a thread: every thread must inherit
    //  the blocked signals, or one of them could take a SIGTERM the loop never sees
    int signal_fd = zs_proc_signals_take();
    int saved = errno;
    s_args_t args = {.config = {.peer.signal_fd = signal_fd}};
    s_parse_t parsed = s_parse(argc, argv, &args);
    if (parsed != S_PARSE_RUN) {
        return (int) parsed;
    }
    if (signal_fd < 0) {
        fprintf(stderr, S_PROGRAM ": cannot take signals: %s\n", strerror(saved));
        return 1;
    }
    zsys_handler_set(NULL);
    args.config.peer.debug = zs_log_init(S_PROGRAM);
    zs_error_t err;
    zs_error_init(&err);
    zs_node_t *node = zs_node_new(&args.config, &err);
    if (!node) {
        zsys_error("%s", err.text);
        close(signal_fd);
        bool usage = err.code == ZS_NODE_E_CONNECT || err.code == ZS_NODE_E_CERT;
        return usage ? S_PARSE_USAGE : 1;
    }
    zs_node_print_ready(node, stdout);
    int rc = zs_node_run(node);
    zs_node_destroy(&node);
    close(signal_fd);
    return rc == 0 ? 0 : 1;
}
