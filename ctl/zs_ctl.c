//  zs_ctl - see zs_ctl.h

#include "ctl/zs_ctl_private.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/zs_client.h"
#include "common/zs_curve.h"
#include "ctl/zs_items.h"
#include "common/zs_opts.h"
#include "ctl/zs_show.h"

typedef enum {
    S_IDS,      //  asks zswarmd; its operands are task or agent ids, checked as such
    S_OWN,      //  asks zswarmd; its check validates its operands
    S_OFFLINE,  //  runs without zswarmd; its operands are not ids
} s_kind_t;

typedef struct {
    const char *name;                  //  command word
    const char *operands;              //  operand synopsis for usage ("ID [ID...]")
    const char *summary;               //  one line for --help
    const zs_opts_option_t *options;   //  options after the command word
    size_t option_count;               //  items in options
    int min_operands;                  //  operands required
    int max_operands;                  //  operands allowed
    int (*check)(zs_ctl_run_t *self);  //  validates options together, or NULL
    int (*run)(zs_ctl_run_t *self);    //  does the work, returns a zs_ctl_exit_t
    s_kind_t kind;                     //  how it runs, and what its operands are
} s_command_t;

static const zs_opts_option_t s_global_options[] = {
    {"--endpoint", "-e", ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(endpoint), 0, 0,
     "ENDPOINT",
     "control endpoint (default $" ZS_CTL_ENDPOINT_ENV " or " ZS_CTL_ENDPOINT_DEFAULT
     ")"},
    {"--json", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(json), 0, 0, NULL,
     "print replies as JSON, one line each"},
    {"--timeout", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(timeout), 1,
     ZS_CTL_TIMEOUT_MAX_MS, "MS",
     "wait this long for replies (default 5000; wait: forever)"},
    {"--cert", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(cert), 0, 0, "FILE",
     "connect with CURVE as this secret certificate (default $" ZS_CTL_CERT_ENV ")"},
    {"--server-key", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(server_key), 0, 0,
     "KEY",
     "zswarmd's public key, Z85 or its certificate (default $" ZS_CTL_SERVER_KEY_ENV ")"},
};

//  --json may also follow the command word ("zswarmctl status --json"): it is the
//  same flag, added to every command that asks zswarmd
static const zs_opts_option_t s_command_json[] = {
    {"--json", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(json), 0, 0, NULL,
     "print replies as JSON, one line each (as the global --json)"},
};

#define S_COMMAND_OPTIONS_MAX 24  //  options of the command with the most, and --json

//  ---------------------------------------------------------------------------------------
//  Diagnostics

//  Print "zswarmctl: message" on the err stream and return code
int
zs_ctl_say(zs_ctl_run_t *self, int code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(self->io->err, "zswarmctl: ");
    vfprintf(self->io->err, format, args);
    fprintf(self->io->err, "\n");
    va_end(args);
    return code;
}

//  ---------------------------------------------------------------------------------------
//  Input validation, where the input enters

int
zs_ctl_check_id(zs_ctl_run_t *self, const char *what, const char *id)
{
    if (!zs_msg_name_valid(id, strlen(id), ZS_MSG_NAME_MAX)) {
        return zs_ctl_say(self, -1,
                          "%s: expected 1..%d characters of [A-Za-z0-9._:-], got '%s'",
                          what, ZS_MSG_NAME_MAX, id);
    }
    return 0;
}

//  The payload of submit, owned by the caller (NULL when none was given)
int
zs_ctl_read_payload(zs_ctl_run_t *self, uint8_t **data_p, size_t *size_p)
{
    zs_error_t err;
    if (zs_items_payload(self->payload, self->payload_file, self->io->in, data_p, size_p,
                         &err) != 0) {
        return zs_ctl_say(self, -1, "%s", err.text);
    }
    return 0;
}

//  ---------------------------------------------------------------------------------------
//  Requests and their outcomes

int64_t
zs_ctl_timeout_or(zs_ctl_run_t *self, int64_t fallback)
{
    return self->timeout.set ? self->timeout.value : fallback;
}

//  Map a zs_client outcome to an exit status, saying what went wrong. A refusal is
//  also printed as JSON with --json, so scripts see the error code.
int
zs_ctl_outcome(zs_ctl_run_t *self, int rc, const zs_msg_t *reply, const zs_error_t *err)
{
    if (rc == 0) {
        return ZS_CTL_EXIT_OK;
    }
    if (rc == ZS_CLIENT_E_REFUSED) {
        if (self->json) {
            zs_msg_print_json(reply, self->io->out);
        }
        return zs_ctl_say(self, ZS_CTL_EXIT_FAILED, "%s", err->text);
    }
    return zs_ctl_say(self, ZS_CTL_EXIT_USAGE, "%s", err->text);
}

//  Send request and wait for its reply. Returns a zs_ctl_exit_t; on ZS_CTL_EXIT_OK the
//  caller owns reply and finishes it.
int
zs_ctl_request(zs_ctl_run_t *self, zs_msg_t *request, zs_msg_t *reply, int64_t timeout_ms)
{
    zs_error_t err;
    zs_error_init(&err);
    int rc = zs_client_request(self->client, request, reply, timeout_ms, &err);
    int code = zs_ctl_outcome(self, rc, reply, &err);
    if (code != ZS_CTL_EXIT_OK) {
        zs_msg_fini(reply);
    }
    return code;
}

//  Task output as it came, bytes and all: it is the task's, not ours to reformat
void
zs_ctl_write(FILE *stream, const uint8_t *data, size_t size)
{
    if (size > 0) {
        fwrite(data, 1, size, stream);
    }
}

int
zs_ctl_print_final(zs_ctl_run_t *self, const zs_msg_t *reply)
{
    if (self->json) {
        zs_msg_print_json(reply, self->io->out);
    } else {
        zs_ctl_write(self->io->out, reply->out, reply->out_size);
        zs_ctl_write(self->io->err, reply->err, reply->err_size);
    }
    return zs_ctl_final_code(self, reply);
}

int
zs_ctl_final_code(zs_ctl_run_t *self, const zs_msg_t *reply)
{
    const char *state = reply->state ? reply->state : "unknown";
    if (strcmp(state, "completed") == 0) {
        return ZS_CTL_EXIT_OK;
    }
    //  Both came from the wire and go to a terminal
    const char *why = reply->why ? reply->why : "no reason given";
    char task[ZS_MSG_NAME_MAX * 4 + 1], reason[ZS_MSG_TEXT_MAX];
    zs_sanitize(task, sizeof task, reply->task, strlen(reply->task));
    zs_sanitize(reason, sizeof reason, why, strlen(why));
    return zs_ctl_say(self, ZS_CTL_EXIT_FAILED, "task '%s' %s: %s", task, state, reason);
}

bool
zs_ctl_is_terminal(FILE *stream)
{
    int fd = fileno(stream);
    return fd >= 0 && isatty(fd);
}

//  ---------------------------------------------------------------------------------------
//  Commands

//  Send request and keep its reply, filtered by filter when not NULL; with --json the
//  reply is printed as it is then
static int
s_run_kept(zs_ctl_run_t *self,
           zs_msg_t *request,
           zs_msg_t *reply,
           void (*filter)(zs_ctl_run_t *self, zs_msg_t *reply))
{
    zs_msg_init(reply, ZS_MSG_INVALID);
    int code =
        zs_ctl_request(self, request, reply, zs_ctl_timeout_or(self, ZS_CTL_TIMEOUT_MS));
    if (code == ZS_CTL_EXIT_OK) {
        if (filter) {
            filter(self, reply);
        }
        if (self->json) {
            zs_msg_print_json(reply, self->io->out);
        }
    }
    return code;
}

int
zs_ctl_run_reply(zs_ctl_run_t *self, zs_msg_t *request, zs_msg_t *reply)
{
    return s_run_kept(self, request, reply, NULL);
}

//  Send request; on success keep (and filter, when filter is not NULL) the reply, then
//  show it by show, or as JSON
static int
s_run_filtered(zs_ctl_run_t *self,
               zs_msg_t *request,
               void (*filter)(zs_ctl_run_t *self, zs_msg_t *reply),
               void (*show)(const zs_msg_t *reply, FILE *stream))
{
    zs_msg_t reply;
    int code = s_run_kept(self, request, &reply, filter);
    if (code == ZS_CTL_EXIT_OK) {
        if (!self->json) {
            show(&reply, self->io->out);
        }
        zs_msg_fini(&reply);
    }
    return code;
}

//  Commands whose reply is shown as it is: by a zs_show function, or as JSON
int
zs_ctl_run_shown(zs_ctl_run_t *self,
                 zs_msg_t *request,
                 void (*show)(const zs_msg_t *reply, FILE *stream))
{
    return s_run_filtered(self, request, NULL, show);
}

static int
s_cmd_status(zs_ctl_run_t *self)
{
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_STATUS);
    return zs_ctl_run_shown(self, &request, zs_show_status);
}

static const zs_opts_option_t s_agents_options[] = {
    {"--capability", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(capability), 0, 0,
     "C", "only the agents that can run tasks of type C (their type, or a capability)"},
};

//  True when the agent's type or one of its capabilities is name
static bool
s_agent_can(const zs_msg_agent_t *agent, const char *name)
{
    bool can = streq(agent->atype, name);
    for (size_t i = 0; !can && i < agent->caps.count; i++) {
        can = streq(agent->caps.items[i], name);
    }
    return can;
}

//  With --capability C, keep the records of the agents that can run C, in their order
static void
s_agents_filter(zs_ctl_run_t *self, zs_msg_t *reply)
{
    size_t kept = 0;
    for (size_t i = 0; i < reply->agent_count; i++) {
        if (!self->capability || s_agent_can(&reply->agents[i], self->capability)) {
            reply->agents[kept++] = reply->agents[i];
        }
    }
    reply->agent_count = kept;
}

static int
s_cmd_agents(zs_ctl_run_t *self)
{
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_AGENTS);
    return s_run_filtered(self, &request, s_agents_filter, zs_show_agents);
}

static int
s_check_agents(zs_ctl_run_t *self)
{
    return self->capability ? zs_ctl_check_id(self, "--capability", self->capability) : 0;
}

static const zs_opts_option_t s_topology_options[] = {
    {"--dot", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(dot), 0, 0, NULL,
     "print it as a Graphviz graph (DOT)"},
};

static int
s_cmd_topology(zs_ctl_run_t *self)
{
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_TOPOLOGY);
    return zs_ctl_run_shown(self, &request,
                            self->dot ? zs_show_topology_dot : zs_show_topology);
}

//  A task's record; on a terminal, a running task's progress as a bar below it
static void
s_show_task_here(const zs_msg_t *reply, FILE *stream)
{
    zs_show_task(reply, stream);
    if (zs_ctl_is_terminal(stream)) {
        zs_show_task_bar(reply, stream);
    }
}

//  The subtree under a task, depth first, each child with its state and indented by
//  its depth, asked for one by one; at most ZS_CTL_CHILDREN_SHOWN lines in all (shown
//  counts them), then how many children of this level are left out
static void
s_show_children(zs_ctl_run_t *self, const zs_msg_t *reply, unsigned depth, size_t *shown)
{
    size_t count = reply->children.count, i;
    for (i = 0; i < count && *shown < ZS_CTL_CHILDREN_SHOWN; i++) {
        zs_msg_t request, child;
        zs_msg_init(&request, ZS_MSG_TASK);
        request.task = reply->children.items[i];
        zs_msg_init(&child, ZS_MSG_INVALID);
        zs_error_t err;
        int rc = zs_client_request(self->client, &request, &child,
                                   zs_ctl_timeout_or(self, ZS_CTL_TIMEOUT_MS), &err);
        zs_show_child(reply->children.items[i], rc == 0 ? &child : NULL, depth,
                      self->io->out);
        (*shown)++;
        if (rc == 0) {
            s_show_children(self, &child, depth + 1, shown);
        }
        zs_msg_fini(&child);
    }
    if (i < count) {
        fprintf(self->io->out, "%*s... and %zu more\n", (int) (2 * depth), "", count - i);
    }
}

//  A task's record, then the tree of its subtasks with their states
static int
s_cmd_task(zs_ctl_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_TASK);
    request.task = self->operands[0];
    int code = zs_ctl_run_reply(self, &request, &reply);
    if (code == ZS_CTL_EXIT_OK) {
        if (!self->json) {
            s_show_task_here(&reply, self->io->out);
            size_t shown = 0;
            s_show_children(self, &reply, 1, &shown);
        }
        zs_msg_fini(&reply);
    }
    return code;
}

static int
s_cmd_providers(zs_ctl_run_t *self)
{
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_PROVIDERS);
    return zs_ctl_run_shown(self, &request, zs_show_providers);
}

static int
s_cmd_cancel(zs_ctl_run_t *self)
{
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_CANCEL);
    request.task = self->operands[0];
    return zs_ctl_run_shown(self, &request, zs_show_task);
}

static void
s_show_shutdown(const zs_msg_t *reply, FILE *stream)
{
    fprintf(stream, "zswarmd is shutting down\n");
}

static int
s_cmd_shutdown(zs_ctl_run_t *self)
{
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_SHUTDOWN);
    return zs_ctl_run_shown(self, &request, s_show_shutdown);
}

static void
s_show_stop(const zs_msg_t *reply, FILE *stream)
{
    fprintf(stream, "agent '%s' is stopping and will not be restarted\n", reply->agent);
}

static int
s_cmd_stop(zs_ctl_run_t *self)
{
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_STOP);
    request.agent = self->operands[0];
    return zs_ctl_run_shown(self, &request, s_show_stop);
}

static int
s_check_stop(zs_ctl_run_t *self)
{
    return zs_ctl_check_id(self, "stop", self->operands[0]);
}

static void
s_show_scale(const zs_msg_t *reply, FILE *stream)
{
    if (reply->node) {
        fprintf(stream, "agent type '%s' scaled to %" PRIu64 " agents on node '%s'\n",
                reply->atype, reply->count, reply->node);
    } else {
        fprintf(stream, "agent type '%s' scaled to %" PRIu64 " local agents\n",
                reply->atype, reply->count);
    }
}

static const zs_opts_option_t s_scale_options[] = {
    {"--node", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(node), 0, 0, "NAME",
     "scale the agents node daemon NAME runs (default: zswarmd's own)"},
};

static int
s_cmd_scale(zs_ctl_run_t *self)
{
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_SCALE);
    request.atype = self->operands[0];
    request.count = (uint64_t) self->count;
    request.node = self->node;
    return zs_ctl_run_shown(self, &request, s_show_scale);
}

static int
s_check_scale(zs_ctl_run_t *self)
{
    if (zs_parse_int(self->operands[1], 0, ZS_MSG_COUNT_MAX, &self->count) != 0) {
        return zs_ctl_say(self, -1, "scale: expected a count in 0..%d, got '%s'",
                          ZS_MSG_COUNT_MAX, self->operands[1]);
    }
    return self->node ? zs_ctl_check_id(self, "--node", self->node) : 0;
}

//  keygen NAME: a czmq certificate pair, the secret one private to its owner
static int
s_cmd_keygen(zs_ctl_run_t *self)
{
    const char *path = self->operands[0];
    char public_z85[ZS_CURVE_Z85_SIZE];
    zs_error_t err;
    if (zs_curve_keygen(path, public_z85, &err) != 0) {
        return zs_ctl_say(self, ZS_CTL_EXIT_USAGE, "keygen: %s", err.text);
    }
    fprintf(self->io->out, "public key: %s\npublic:     %s\nsecret:     %s_secret\n",
            public_z85, path, path);
    return ZS_CTL_EXIT_OK;
}

static const s_command_t s_commands[] = {
    {"status", "", "show the swarm's counters", NULL, 0, 0, 0, NULL, s_cmd_status, S_IDS},
    {"agents", "[--capability C]", "list the registered agents (that can run C)",
     s_agents_options, ZS_CTL_COUNT(s_agents_options), 0, 0, s_check_agents, s_cmd_agents,
     S_IDS},
    {"topology", "[--dot]", "show who may message whom: roles, leads and links",
     s_topology_options, ZS_CTL_COUNT(s_topology_options), 0, 0, NULL, s_cmd_topology,
     S_IDS},
    {"mem", "put|get|del|deposit KEY, or query|watch [PREFIX]",
     "shared memory: write, read, delete entries and signals, list keys",
     zs_ctl_mem_options, ZS_CTL_MEM_OPTIONS, 1, 2, zs_ctl_mem_check, zs_ctl_mem_run,
     S_OWN},
    {"vote", "propose QUESTION OPTION OPTION... [OPTIONS], status ID, or list",
     "votes: ask the agents a question, show a vote and its ballots, list the votes",
     zs_ctl_vote_options, ZS_CTL_VOTE_OPTIONS, 1, INT32_MAX, zs_ctl_vote_check,
     zs_ctl_vote_run, S_OWN},
    {"submit", "--type T [OPTIONS]",
     "submit a task; print its id, or with --wait its output", zs_ctl_submit_options,
     ZS_CTL_SUBMIT_OPTIONS, 0, 0, zs_ctl_submit_check, zs_ctl_submit_run, S_IDS},
    {"wait", "ID [ID...]", "wait until tasks end; print their output", NULL, 0, 1,
     INT32_MAX, NULL, zs_ctl_wait_run, S_IDS},
    {"task", "ID", "show a task's record: state, result, spending, progress", NULL, 0, 1,
     1, NULL, s_cmd_task, S_IDS},
    {"providers", "",
     "show the LLM providers (state, calls, tokens, USD) and the budgets", NULL, 0, 0, 0,
     NULL, s_cmd_providers, S_IDS},
    {"cancel", "ID", "cancel a task", NULL, 0, 1, 1, NULL, s_cmd_cancel, S_IDS},
    {"stop", "AGENT", "stop a local agent; it is not restarted", NULL, 0, 1, 1,
     s_check_stop, s_cmd_stop, S_IDS},
    {"scale", "TYPE N [--node NAME]",
     "run N agents of TYPE, local or on a node (stops the newest, or starts more)",
     s_scale_options, ZS_CTL_COUNT(s_scale_options), 2, 2, s_check_scale, s_cmd_scale,
     S_IDS},
    {"broadcast", "[--type T] TEXT|-",
     "send TEXT ('-': standard input) to every agent, or those of type T",
     zs_ctl_pause_options, ZS_CTL_PAUSE_OPTIONS, 1, 1, zs_ctl_broadcast_check,
     zs_ctl_broadcast_run, S_OWN},
    {"pause", "AGENT | --type T",
     "give an agent, or the agents of type T, no new tasks (running ones go on)",
     zs_ctl_pause_options, ZS_CTL_PAUSE_OPTIONS, 0, 1, zs_ctl_pause_check,
     zs_ctl_pause_run, S_OWN},
    {"resume", "AGENT | --type T", "give a paused agent, or type, new tasks again",
     zs_ctl_pause_options, ZS_CTL_PAUSE_OPTIONS, 0, 1, zs_ctl_pause_check,
     zs_ctl_resume_run, S_OWN},
    {"shutdown", "", "ask zswarmd to drain and stop", NULL, 0, 0, 0, NULL, s_cmd_shutdown,
     S_IDS},
    {"keygen", "NAME", "write a CURVE keypair: NAME (public), NAME_secret (0600)", NULL,
     0, 1, 1, NULL, s_cmd_keygen, S_OFFLINE},
};

//  ---------------------------------------------------------------------------------------
//  Command line

//  The words before the command; the command's own are parsed by its table
static const zs_opts_program_t s_program = {
    .name = "zswarmctl",
    .version = ZS_VERSION,
    .usage = "usage: zswarmctl [-e ENDPOINT] [--json] [--timeout MS] COMMAND [ARGS]\n\n"
             "Drive a running zswarmd through its control socket.\n\noptions:\n",
    .options = s_global_options,
    .count = ZS_CTL_COUNT(s_global_options),
    .mode = ZS_OPTS_OPERANDS_LAST,
    .max_operands = INT_MAX,
};

static void
s_print_help(zs_ctl_run_t *self)
{
    FILE *out = self->io->out;
    zs_opts_program_print_help(&s_program, out);
    fprintf(out, "\ncommands:\n");
    for (size_t i = 0; i < ZS_CTL_COUNT(s_commands); i++) {
        fprintf(out, "  %-10s %s\n", s_commands[i].name, s_commands[i].summary);
    }
    fprintf(out, "\nexit status: 0 done; 1 a task ended dead or cancelled, a vote "
                 "without decision, or\nzswarmd refused; 2 usage error, no connection or "
                 "no reply in time.\n"
                 "Run 'zswarmctl COMMAND --help' for a command's options.\n");
}

//  The options after the command word: its own, and --json unless it runs offline.
//  Returns how many it wrote to table (S_COMMAND_OPTIONS_MAX at most).
static size_t
s_command_options(const s_command_t *command, zs_opts_option_t *table)
{
    assert(command->option_count < S_COMMAND_OPTIONS_MAX);
    size_t count = command->option_count;
    if (count > 0) {
        memcpy(table, command->options, count * sizeof *table);
    }
    if (command->kind != S_OFFLINE) {
        table[count++] = s_command_json[0];
    }
    return count;
}

static void
s_print_command_help(zs_ctl_run_t *self, const s_command_t *command)
{
    FILE *out = self->io->out;
    zs_opts_option_t options[S_COMMAND_OPTIONS_MAX];
    size_t count = s_command_options(command, options);
    fprintf(out, "usage: zswarmctl [GLOBAL OPTIONS] %s%s%s\n\n%s\n\noptions:\n",
            command->name, *command->operands ? " " : "", command->operands,
            command->summary);
    zs_opts_print_help(options, count, out);
}

static const s_command_t *
s_find_command(const char *name)
{
    for (size_t i = 0; i < ZS_CTL_COUNT(s_commands); i++) {
        if (strcmp(s_commands[i].name, name) == 0) {
            return &s_commands[i];
        }
    }
    return NULL;
}

static int
s_check_operands(zs_ctl_run_t *self, const s_command_t *command)
{
    if (self->operand_count < command->min_operands) {
        return zs_ctl_say(self, -1, "%s: missing operand (usage: zswarmctl %s %s)",
                          command->name, command->name, command->operands);
    }
    if (self->operand_count > command->max_operands) {
        return zs_ctl_say(self, -1, "%s: unexpected argument '%s'", command->name,
                          self->operands[command->max_operands]);
    }
    for (int i = 0; command->kind == S_IDS && i < self->operand_count; i++) {
        if (zs_ctl_check_id(self, "task id", self->operands[i]) != 0) {
            return -1;
        }
    }
    return command->check ? command->check(self) : 0;
}

//  Parse the command's own words (after the command name). Returns 0 to go on,
//  or 1 with *code_p set when the run ends here (help or usage error).
static int
s_parse_command(
    zs_ctl_run_t *self, const s_command_t *command, int argc, char **argv, int *code_p)
{
    zs_error_t err;
    zs_error_init(&err);
    zs_opts_option_t options[S_COMMAND_OPTIONS_MAX];
    size_t count = s_command_options(command, options);
    int rc = zs_opts_parse(options, count, ZS_OPTS_OPERANDS_ANY, argc, argv, self,
                           &self->operand_count, &err);
    self->operands = argv;
    if (rc == ZS_OPTS_E_HELP) {
        s_print_command_help(self, command);
        *code_p = ZS_CTL_EXIT_OK;
        return 1;
    }
    if (rc != 0) {
        *code_p = zs_ctl_say(self, ZS_CTL_EXIT_USAGE, "%s", err.text);
        return 1;
    }
    if (s_check_operands(self, command) != 0) {
        *code_p = ZS_CTL_EXIT_USAGE;
        return 1;
    }
    return 0;
}

//  Parse the global options and find the command, argv[1] once parsed. Returns the
//  command, or NULL with *code_p set when the run ends here.
static const s_command_t *
s_parse_global(zs_ctl_run_t *self, int argc, char **argv, int *code_p, int *rest_p)
{
    zs_error_t err;
    zs_error_init(&err);
    int operands = 0;
    int rc = zs_opts_program_parse(&s_program, argc, argv, self, &operands, &err);
    *code_p = ZS_CTL_EXIT_USAGE;
    if (rc == ZS_OPTS_E_HELP) {
        s_print_help(self);
        *code_p = ZS_CTL_EXIT_OK;
        return NULL;
    }
    if (rc == ZS_OPTS_E_VERSION) {
        fprintf(self->io->out, "%s %s\n", s_program.name, s_program.version);
        *code_p = ZS_CTL_EXIT_OK;
        return NULL;
    }
    if (rc != 0) {
        zs_ctl_say(self, 0, "%s", err.text);
        return NULL;
    }
    if (operands == 0) {
        zs_ctl_say(self, 0, "missing command (try 'zswarmctl --help')");
        return NULL;
    }
    const s_command_t *command = s_find_command(argv[1]);
    if (!command) {
        zs_ctl_say(self, 0, "unknown command '%s' (try 'zswarmctl --help')", argv[1]);
        return NULL;
    }
    *rest_p = operands - 1;
    return command;
}

static const char *
s_default_endpoint(void)
{
    const char *env = getenv(ZS_CTL_ENDPOINT_ENV);
    return env && *env ? env : ZS_CTL_ENDPOINT_DEFAULT;
}

static const char *
s_option_or_env(const char *option, const char *env)
{
    const char *value = option ? option : getenv(env);
    return value && *value ? value : NULL;
}

//  Our certificate (owned, *cert_p, NULL for plain text) and zswarmd's public key, from
//  --cert and --server-key or the environment. Returns 0, or -1 with err filled.
static int
s_credentials(zs_ctl_run_t *self,
              zcert_t **cert_p,
              char server_z85[ZS_CURVE_Z85_SIZE],
              zs_error_t *err)
{
    const char *cert_path = s_option_or_env(self->cert, ZS_CTL_CERT_ENV);
    const char *key = s_option_or_env(self->server_key, ZS_CTL_SERVER_KEY_ENV);
    *cert_p = NULL;
    if (!cert_path != !key) {
        return zs_error_set(err, 0,
                            "--cert and --server-key go together (or $%s and $%s)",
                            ZS_CTL_CERT_ENV, ZS_CTL_SERVER_KEY_ENV);
    }
    if (cert_path) {
        *cert_p = zs_curve_load_secret(cert_path, err);
        if (!*cert_p || zs_curve_server_key(key, server_z85, err) != 0) {
            zcert_destroy(cert_p);
            return -1;
        }
    }
    return 0;
}

//  Connect, with CURVE when a certificate is given. Returns 0, or -1 with err filled.
static int
s_connect(zs_ctl_run_t *self, zs_error_t *err)
{
    const char *endpoint = self->endpoint ? self->endpoint : s_default_endpoint();
    zcert_t *cert;
    char server_z85[ZS_CURVE_Z85_SIZE];
    if (s_credentials(self, &cert, server_z85, err) != 0) {
        return -1;
    }
    self->client = zs_client_new_secure(endpoint, cert, server_z85, err);
    zcert_destroy(&cert);
    return self->client ? 0 : -1;
}

zs_client_t *
zs_ctl_watch(zs_ctl_run_t *self, const char *topic, zs_error_t *err)
{
    const char *endpoint = s_option_or_env(self->events, ZS_CTL_EVENTS_ENV);
    zcert_t *cert;
    char server_z85[ZS_CURVE_Z85_SIZE];
    if (s_credentials(self, &cert, server_z85, err) != 0) {
        return NULL;
    }
    zs_client_t *watcher = zs_client_new_watcher(
        endpoint ? endpoint : ZS_CTL_EVENTS_DEFAULT, topic, cert, server_z85, err);
    zcert_destroy(&cert);
    return watcher;
}

static int
s_connect_and_run(zs_ctl_run_t *self, const s_command_t *command)
{
    if (command->kind == S_OFFLINE) {
        return command->run(self);
    }
    zs_error_t err;
    zs_error_init(&err);
    if (s_connect(self, &err) != 0) {
        return zs_ctl_say(self, ZS_CTL_EXIT_USAGE, "%s", err.text);
    }
    int code = command->run(self);
    zs_client_destroy(&self->client);
    return code;
}

int
zs_ctl_run(int argc, char **argv, const zs_ctl_streams_t *streams)
{
    assert(argc >= 1);
    assert(argv);
    assert(streams);
    zs_ctl_run_t self = {.io = streams};
    int code = ZS_CTL_EXIT_USAGE;
    int rest = 0;
    const s_command_t *command = s_parse_global(&self, argc, argv, &code, &rest);
    if (!command) {
        return code;
    }
    //  The command's words follow its name, at the front of the permuted argv
    if (s_parse_command(&self, command, rest, argv + 2, &code) == 0) {
        code = s_connect_and_run(&self, command);
    }
    free(self.payload_data);
    zs_names_fini(&self.tag_names);
    zs_names_fini(&self.dep_names);
    zs_names_fini(&self.input_names);
    zs_names_fini(&self.require_names);
    zs_names_fini(&self.voter_names);
    zs_items_fini(&self.items);
    return code;
}
