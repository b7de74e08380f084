//  zswarm-node - run agent processes on this machine for a zswarm coordinator
//
//  Thin: the command line and its defaults; zs_peer runs the rest, zs_node is the node.

#include "node/zs_node.h"
#include "agent/zs_peer.h"
#include "common/zs_opts.h"
#include "common/zs_proc.h"
#include "proto/zs_msg.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#define S_PROGRAM "zswarm-node"

//  What the command line fills: the node's config, the values it is made from, and the
//  buffers its defaults live in
typedef struct {
    zs_node_config_t config;              //  for zs_node_new
    zs_opts_int_t slots;                  //  --slots
    char name[ZS_MSG_NODE_NAME_MAX + 1];  //  the default name, from the host name
    char agent_exe[PATH_MAX];             //  the default agent program
} s_args_t;

#define S_OFF(field) offsetof(s_args_t, field)

static const zs_opts_option_t s_options[] = {
    {"--connect", "-c", ZS_OPTS_STRING, ZS_OPTS_REQUIRED, S_OFF(config.peer.endpoint), 0,
     0, "ENDPOINT", "the coordinator's agents socket, e.g. tcp://10.0.0.1:7600"},
    {"--slots", "-s", ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(slots), 1, ZS_NODE_SLOTS_MAX,
     "N",
     "agents to run at most, all types together, 1-1000\n"
     "(default: the number of online CPUs)"},
    {"--name", "-n", ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, S_OFF(config.name), 0, 0, "NAME",
     "node name: 1-32 of A-Z a-z 0-9 . _ : -\n"
     "(default: the host name up to its first '.')"},
    {"--agent", "-a", ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, S_OFF(config.agent_exe), 0, 0,
     "PATH",
     "the zswarm-agent program (default: $ZSWARM_AGENT, else\n"
     "zswarm-agent beside this program)"},
    {"--cert", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, S_OFF(config.peer.cert), 0, 0,
     "FILE",
     "connect with CURVE, as this secret certificate (NAME_secret);\n"
     "the node's agents connect with it too"},
    {"--server-key", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL,
     S_OFF(config.peer.server_key), 0, 0, "KEY",
     "the coordinator's public key: 40 characters of Z85, or\n"
     "its public certificate file (required with --cert)"},
};

static const zs_opts_program_t s_cli = {
    .name = S_PROGRAM,
    .version = ZS_VERSION,
    .usage = "usage: " S_PROGRAM " --connect ENDPOINT [options]\n"
             "\n"
             "Run agent processes on this machine for a zswarm coordinator: as many of "
             "each\n"
             "type as the coordinator asks this node for (the swarm file's 'nodes' "
             "key).\n"
             "\n",
    .epilogue = "\n"
                "Once started, " S_PROGRAM " prints one line on stdout:\n"
                "  " S_PROGRAM " ready name=NAME slots=N\n"
                "Set ZSWARM_LOG=debug for debug output on stderr.\n",
    .options = s_options,
    .count = sizeof s_options / sizeof s_options[0],
    .mode = ZS_OPTS_OPERANDS_ANY,
};

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

//  ---- the program ---------------------------------------------------------------------

//  The node's name: the one given, else the host name's. Returns 0, or -1 with err.
static int
s_check_name(s_args_t *args, zs_error_t *err)
{
    zs_node_config_t *config = &args->config;
    if (config->name) {
        return zs_msg_node_name_valid(config->name)
                   ? 0
                   : zs_error_set(err, 0,
                                  "--name must be 1-%d of A-Z a-z 0-9 . _ : -, not '%s'",
                                  ZS_MSG_NODE_NAME_MAX, config->name);
    }
    s_default_name(args->name, sizeof args->name);
    if (!args->name[0]) {
        return zs_error_set(err, 0,
                            "the host name gives no valid node name: use --name NAME");
    }
    if (!zs_msg_node_name_valid(args->name)) {
        return zs_error_set(
            err, 0, "the host name gives no valid node name ('%s'): use --name NAME",
            args->name);
    }
    config->name = args->name;
    return 0;
}

//  What the table cannot check, the name and the agent program; and the node's config
//  completed with the defaults
static int
s_check(void *arg, zs_error_t *err)
{
    s_args_t *args = arg;
    zs_node_config_t *config = &args->config;
    if (s_check_name(args, err) != 0) {
        return -1;
    }
    if (!config->agent_exe) {
        zs_proc_agent_exe(args->agent_exe, sizeof args->agent_exe);
        config->agent_exe = args->agent_exe;
    }
    //  Checked now: a program that cannot run would fail every agent type in turn
    if (strchr(config->agent_exe, '/') && access(config->agent_exe, X_OK) != 0) {
        return zs_error_set(err, 0, "cannot run agent program '%s': %s (see --agent)",
                            config->agent_exe, strerror(errno));
    }
    config->slots = args->slots.set ? (unsigned) args->slots.value : s_default_slots();
    return 0;
}

//  The ready line comes first: tests and scripts wait for it
static int
s_serve(void *arg, zs_error_t *err)
{
    s_args_t *args = arg;
    zs_node_t *node = zs_node_new(&args->config, err);
    if (!node) {
        return -1;
    }
    zs_node_print_ready(node, stdout);
    int rc = zs_node_run(node);
    zs_node_destroy(&node);
    return rc;
}

static const zs_peer_program_t s_program = {&s_cli, s_check, s_serve};

int
main(int argc, char **argv)
{
    s_args_t args = {0};
    return zs_peer_main(&s_program, argc, argv, &args, &args.config.peer);
}
