//  zswarm-agent - join a zswarm coordinator and run the tasks it assigns
//
//  Thin: the command line and the secret; zs_peer runs the rest, zs_agent is the agent.

#include "agent/zs_agent.h"
#include "agent/zs_peer.h"
#include "common/zs_opts.h"

#include <curl/curl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_PROGRAM "zswarm-agent"

//  What the command line fills: the agent's config, and the values it is made from
typedef struct {
    zs_agent_config_t config;             //  for zs_agent_new
    zs_opts_int_t conc;                   //  --concurrency
    zs_opts_int_t parent;                 //  --parent
    char secret[ZS_MSG_SECRET_SIZE + 1];  //  from the environment, or ""
} s_args_t;

#define S_OFF(field) offsetof(s_args_t, field)

static const zs_opts_option_t s_options[] = {
    {"--connect", "-c", ZS_OPTS_STRING, ZS_OPTS_REQUIRED, S_OFF(config.peer.endpoint), 0,
     0, "ENDPOINT", "the coordinator's agents socket, e.g. tcp://127.0.0.1:7600"},
    {"--type", "-t", ZS_OPTS_STRING, ZS_OPTS_REQUIRED, S_OFF(config.atype), 0, 0, "TYPE",
     "agent type: 1-64 of A-Z a-z 0-9 . _ : -"},
    {"--id", "-i", ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, S_OFF(config.id), 0, 0, "ID",
     "agent id to register as (default: the coordinator's)"},
    {"--concurrency", "-n", ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(conc), 1,
     ZS_AGENT_CONC_MAX, "N", "tasks to run at once, 1-1024 (default: the coordinator's)"},
    {"--parent", "-p", ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(parent), 1, INT_MAX, "PID",
     "exit when process PID is no longer this one's parent"},
    {"--events", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, S_OFF(config.events), 0, 0,
     "ENDPOINT", "the coordinator's events socket (default: the one its welcome names)"},
    {"--cert", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, S_OFF(config.peer.cert), 0, 0,
     "FILE", "connect with CURVE, as this secret certificate (NAME_secret)"},
    {"--server-key", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL,
     S_OFF(config.peer.server_key), 0, 0, "KEY",
     "the coordinator's public key: 40 characters of Z85, or\n"
     "its public certificate file (required with --cert)"},
};

static const zs_opts_program_t s_cli = {
    .name = S_PROGRAM,
    .version = ZS_VERSION,
    .usage = "usage: " S_PROGRAM " --connect ENDPOINT --type TYPE [options]\n"
             "\n"
             "Join a zswarm coordinator as an agent and run the tasks it assigns.\n"
             "\n",
    .epilogue = "\n"
                "Set ZSWARM_LOG=debug for debug output on stderr. zswarmd starts its "
                "local agents\n"
                "with " ZS_MSG_SECRET_ENV " set: the proof of their slot, which the "
                "agent removes\n"
                "from its environment before anything else.\n",
    .options = s_options,
    .count = sizeof s_options / sizeof s_options[0],
    .mode = ZS_OPTS_OPERANDS_ANY,
};

//  The forms of names, which the table cannot check; and the agent's config completed
static int
s_check(void *arg, zs_error_t *err)
{
    s_args_t *args = arg;
    zs_agent_config_t *config = &args->config;
    if (!zs_agent_name_valid(config->atype)) {
        return zs_error_set(err, 0,
                            "--type must be 1-%d of A-Z a-z 0-9 . _ : -, not '%s'",
                            ZS_MSG_NAME_MAX, config->atype);
    }
    if (config->id && !zs_agent_name_valid(config->id)) {
        return zs_error_set(err, 0, "--id must be 1-%d of A-Z a-z 0-9 . _ : -, not '%s'",
                            ZS_MSG_NAME_MAX, config->id);
    }
    config->conc = (uint64_t) args->conc.value;
    config->parent = (pid_t) args->parent.value;
    config->secret = args->secret[0] ? args->secret : NULL;
    return 0;
}

static int
s_serve(void *arg, zs_error_t *err)
{
    s_args_t *args = arg;
    zs_agent_t *agent = zs_agent_new(&args->config, err);
    //  The agent has its copy: ours goes the way of the environment's
    explicit_bzero(args->secret, sizeof args->secret);
    int rc = agent ? zs_agent_run(agent) : -1;
    zs_agent_destroy(&agent);
    return rc;
}

static const zs_peer_program_t s_program = {&s_cli, s_check, s_serve};

//  zswarmd's proof that we are the process in our local slot (PROTOCOL.md §5.3): taken
//  out of the environment first of all and the original wiped, so that no task we run
//  inherits it and /proc/PID/environ shows it no more. Returns 0, or -1 after saying
//  it is malformed.
static int
s_take_secret(char *secret, size_t size)
{
    char *value = getenv(ZS_MSG_SECRET_ENV);
    if (!value) {
        return 0;
    }
    size_t len = strlen(value);
    bool valid = len == ZS_MSG_SECRET_SIZE && strspn(value, "0123456789abcdef") == len;
    if (valid) {
        snprintf(secret, size, "%s", value);
    }
    explicit_bzero(value, len);
    unsetenv(ZS_MSG_SECRET_ENV);
    if (!valid) {
        zs_usage_error(S_PROGRAM, "$" ZS_MSG_SECRET_ENV " must be %d hex digits",
                       ZS_MSG_SECRET_SIZE);
    }
    return valid ? 0 : -1;
}

int
main(int argc, char **argv)
{
    s_args_t args = {0};
    //  Before any thread starts (libzmq's, libcurl's resolvers): libcurl's global
    //  state is set up once per process and is not thread-safe to set up
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, S_PROGRAM ": cannot initialise libcurl\n");
        return ZS_EXIT_FAIL;
    }
    if (s_take_secret(args.secret, sizeof args.secret) != 0) {
        return ZS_EXIT_USAGE;
    }
    return zs_peer_main(&s_program, argc, argv, &args, &args.config.peer);
}
