//  zs_taskctl - see zs_taskctl.h

#include "task/zs_taskctl_private.h"

#include <czmq.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

//  Every option of every command, once; a command names the ones it takes
typedef enum {
    S_O_JSON,
    S_O_WAIT,
    S_O_TAGS,
    S_O_TTL,
    S_O_ACCESS,
    S_O_VERSION,
    S_O_AMOUNT,
    S_O_HALF_LIFE,
    S_O_TOP,
    S_O_VOTERS,
    S_O_STRATEGY,
    S_O_DEADLINE,
    S_O_ID,
    S_O_CONFIDENCE,
    S_O_WEIGHT,
    S_O_INPUTS,
    S_O_DEPS,
    S_O_COUNT
} s_option_t;

static const zs_opts_option_t s_options[S_O_COUNT] = {
    [S_O_JSON] = {"--json", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, ZS_TASKCTL_OFF(json), 0,
                  0, NULL, "print the reply as one line of JSON"},
    [S_O_WAIT] =
        {"--wait", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, ZS_TASKCTL_OFF(wait), 0, 0, NULL,
         "inbox: wait for a message; submit: wait for the task, print its output"},
    [S_O_TAGS] = {"--tags", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_TASKCTL_OFF(tags),
                  0, 0, "T,...", "label the entry; query: keys carrying every one"},
    [S_O_TTL] = {"--ttl", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, ZS_TASKCTL_OFF(ttl), 1,
                 ZS_MSG_TMO_MAX, "MS", "the entry expires MS after this write"},
    [S_O_ACCESS] = {"--access", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL,
                    ZS_TASKCTL_OFF(access), 0, 0, "A",
                    "private, team or swarm (default swarm)"},
    [S_O_VERSION] = {"--version", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL,
                     ZS_TASKCTL_OFF(version), 0, INT64_MAX, "N",
                     "only if the entry is at version N (0: absent)"},
    [S_O_AMOUNT] = {"--amount", NULL, ZS_OPTS_INT, ZS_OPTS_REQUIRED,
                    ZS_TASKCTL_OFF(amount), -ZS_MSG_AMOUNT_MAX, ZS_MSG_AMOUNT_MAX, "N",
                    "add N to the signal's level"},
    [S_O_HALF_LIFE] = {"--half-life", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL,
                       ZS_TASKCTL_OFF(half_life), 1, ZS_MSG_TMO_MAX, "MS",
                       "the signal's level halves every MS (needed by a new signal)"},
    [S_O_TOP] = {"--top", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, ZS_TASKCTL_OFF(top), 1,
                 ZS_MSG_ITEMS_MAX, "N", "the N strongest signals, strongest first"},
    [S_O_VOTERS] = {"--voters", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL,
                    ZS_TASKCTL_OFF(voters), 0, 0, "T,...",
                    "the agent types whose agents vote (default: all)"},
    [S_O_STRATEGY] = {"--strategy", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL,
                      ZS_TASKCTL_OFF(strategy), 0, 0, "S",
                      "majority, super-majority, byzantine, unanimous, trust-weighted"},
    [S_O_DEADLINE] = {"--deadline", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL,
                      ZS_TASKCTL_OFF(deadline), 1, ZS_MSG_TMO_MAX, "MS",
                      "the vote ends MS after it opens at the "
                      "latest (default 10000)"},
    [S_O_ID] = {"--id", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_TASKCTL_OFF(id), 0, 0,
                "ID", "the id to give it (default: made by zswarmd)"},
    [S_O_CONFIDENCE] = {"--confidence", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL,
                        ZS_TASKCTL_OFF(confidence), 1, ZS_MSG_CONFIDENCE_MAX, "N",
                        "the ballot's confidence, per mille (default 1000)"},
    [S_O_WEIGHT] = {"--weight", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL,
                    ZS_TASKCTL_OFF(weight), 1, ZS_MSG_WEIGHT_MAX, "N",
                    "the ballot's own weight (default 1)"},
    [S_O_INPUTS] = {"--inputs", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL,
                    ZS_TASKCTL_OFF(inputs), 0, 0, "T,...",
                    "tasks whose results it takes as input (and waits for)"},
    [S_O_DEPS] = {"--deps", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_TASKCTL_OFF(deps),
                  0, 0, "T,...", "tasks that must complete before it runs"},
};

#define S_COMMAND_OPTIONS_MAX 8   //  options of the command with the most, --json too
#define S_GO_ON               -1  //  s_parse: the command line is fine, run the command

//  ---- diagnostics ---------------------------------------------------------------------

__attribute__((format(printf, 3, 4))) int
zs_taskctl_say(zs_taskctl_run_t *self, int code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(self->io->err, "zswarm-task: ");
    vfprintf(self->io->err, format, args);
    fprintf(self->io->err, "\n");
    va_end(args);
    return code;
}

//  ---- operands ------------------------------------------------------------------------

const char *
zs_taskctl_operand(const zs_taskctl_run_t *self, int i)
{
    return i < self->operand_count ? self->operands[i] : NULL;
}

//  The payload operand at i, if any: text as given, or standard input for '-'
int
zs_taskctl_payload(zs_taskctl_run_t *self, int i, size_t max)
{
    zs_error_t err;
    if (zs_items_payload(zs_taskctl_operand(self, i), NULL, self->io->in, &self->data,
                         &self->size, &err) != 0) {
        return zs_taskctl_say(self, ZS_TASKCTL_EXIT_USAGE, "%s", err.text);
    }
    if (self->size > max) {
        return zs_taskctl_say(self, ZS_TASKCTL_EXIT_USAGE,
                              "%zu bytes given, at most %zu allowed", self->size, max);
    }
    return ZS_TASKCTL_EXIT_OK;
}

int
zs_taskctl_check_name(zs_taskctl_run_t *self, const char *what, const char *name)
{
    if (!zs_msg_name_valid(name, strlen(name), ZS_MSG_NAME_MAX)) {
        return zs_taskctl_say(
            self, ZS_TASKCTL_EXIT_USAGE,
            "%s: expected 1..%d characters of [A-Za-z0-9._:-], got '%s'", what,
            ZS_MSG_NAME_MAX, name);
    }
    return ZS_TASKCTL_EXIT_OK;
}

//  Split a comma-separated option into names (one of self's)
int
zs_taskctl_names(zs_taskctl_run_t *self,
                 zs_names_t *names,
                 const char *option,
                 const char *list,
                 size_t max,
                 zs_msg_list_t *into)
{
    zs_error_t err;
    if (list && zs_names_split(names, list, max, &err) != 0) {
        return zs_taskctl_say(self, ZS_TASKCTL_EXIT_USAGE, "%s: %s", option, err.text);
    }
    *into = (zs_msg_list_t){names->names, names->count};
    return ZS_TASKCTL_EXIT_OK;
}

//  ---- output --------------------------------------------------------------------------

void
zs_taskctl_print_bytes(zs_taskctl_run_t *self, const uint8_t *data, size_t size)
{
    if (size > 0) {
        fwrite(data, 1, size, self->io->out);
    }
}

void
zs_taskctl_print_lines(zs_taskctl_run_t *self, const zs_msg_list_t *list)
{
    for (size_t i = 0; i < list->count; i++) {
        fprintf(self->io->out, "%s\n", list->items[i]);
    }
}

//  ---- the command table ---------------------------------------------------------------

typedef struct {
    const char *word;      //  the command word
    const char *verb;      //  its second word, or NULL
    const char *operands;  //  operand synopsis for --help
    const char *summary;   //  one line for --help
    int min_operands;      //  operands after the words required
    int max_operands;      //  and allowed
    int (*run)(zs_taskctl_run_t *self);
    s_option_t options[S_COMMAND_OPTIONS_MAX];  //  what it takes, S_O_COUNT ends
} s_command_t;

#define S_END S_O_COUNT

// clang-format off
static const s_command_t s_commands[] = {
    {"progress", NULL, "PCT [NOTE]", "report progress: a percentage and a note",
     1, 2, zs_taskctl_progress, {S_END}},
    {"checkpoint", "save", "[FILE|-]", "save this attempt's checkpoint (default: stdin)",
     0, 1, zs_taskctl_checkpoint_save, {S_O_JSON, S_END}},
    {"checkpoint", "clear", "", "drop the task's checkpoint",
     0, 0, zs_taskctl_checkpoint_clear, {S_O_JSON, S_END}},
    {"checkpoint", "load", "", "print the checkpoint this attempt started from",
     0, 0, zs_taskctl_checkpoint_load, {S_END}},
    {"mem", "get", "KEY", "print an entry's value (a signal's level)",
     1, 1, zs_taskctl_mem_get, {S_O_JSON, S_END}},
    {"mem", "put", "KEY [VALUE|-]", "write an entry; prints its version",
     1, 2, zs_taskctl_mem_put, {S_O_JSON, S_O_TAGS, S_O_TTL, S_O_ACCESS, S_O_VERSION, S_END}},
    {"mem", "del", "KEY", "delete an entry; prints its last version",
     1, 1, zs_taskctl_mem_del, {S_O_JSON, S_O_VERSION, S_END}},
    {"mem", "query", "[PREFIX]", "print the keys we may read, one a line",
     0, 1, zs_taskctl_mem_query, {S_O_JSON, S_O_TAGS, S_O_TOP, S_END}},
    {"mem", "deposit", "KEY", "add to a decaying signal; prints its level",
     1, 1, zs_taskctl_mem_deposit,
     {S_O_JSON, S_O_AMOUNT, S_O_HALF_LIFE, S_O_TAGS, S_O_TTL, S_O_ACCESS, S_END}},
    {"send", NULL, "AGENT TEXT|-", "send a message to a neighbour agent",
     2, 2, zs_taskctl_send, {S_END}},
    {"share", NULL, "TEXT|-", "send a message to every neighbour",
     1, 1, zs_taskctl_share, {S_END}},
    {"inbox", NULL, "", "print the next message our agent kept; exit 1 if none",
     0, 0, zs_taskctl_inbox, {S_O_JSON, S_O_WAIT, S_END}},
    {"submit", NULL, "TYPE [PAYLOAD|-]", "submit a subtask; prints its id",
     1, 2, zs_taskctl_submit, {S_O_JSON, S_O_WAIT, S_O_ID, S_O_INPUTS, S_O_DEPS, S_END}},
    {"wait", NULL, "ID", "wait for a task, lending it our slot; prints its output",
     1, 1, zs_taskctl_wait, {S_O_JSON, S_END}},
    {"cancel", NULL, "ID", "cancel a task; prints its new state",
     1, 1, zs_taskctl_cancel, {S_O_JSON, S_END}},
    {"task", NULL, "[ID]", "print a task's state and children (default: ours)",
     0, 1, zs_taskctl_task, {S_O_JSON, S_END}},
    {"vote", "propose", "QUESTION OPTION OPTION...", "ask the agents; prints the vote id",
     3, 1 + ZS_MSG_OPTIONS_MAX, zs_taskctl_vote_propose,
     {S_O_JSON, S_O_VOTERS, S_O_STRATEGY, S_O_DEADLINE, S_O_ID, S_END}},
    {"vote", "cast", "VOTE OPTION", "cast our agent's ballot",
     2, 2, zs_taskctl_vote_cast, {S_O_JSON, S_O_CONFIDENCE, S_O_WEIGHT, S_END}},
    {"vote", "status", "VOTE", "print a vote's state, decision and ballots",
     1, 1, zs_taskctl_vote_status, {S_O_JSON, S_END}},
};
// clang-format on

#define S_COMMAND_COUNT (sizeof s_commands / sizeof s_commands[0])

static const char s_usage[] =
    "Usage: zswarm-task COMMAND [OPERANDS] [OPTIONS]\n"
    "\n"
    "Ask the agent running this exec task, over the task's channel ($ZSWARM_TASK_FD).\n"
    "The agent forwards each request to zswarmd as its own (docs/task.md).\n"
    "\n"
    "Commands:\n";

static const char s_epilogue[] =
    "\n"
    "Every command with a reply takes --json: the reply as one line of JSON.\n"
    "TEXT, VALUE or PAYLOAD '-' reads standard input. Exit status: 0 done; 1 refused\n"
    "(the error's code and why are printed), nothing to give, or no channel; 2 usage.\n";

//  The command's options, as a table for zs_opts; returns their number
static size_t
s_table(const s_command_t *command, zs_opts_option_t table[S_COMMAND_OPTIONS_MAX])
{
    size_t count = 0;
    for (; count < S_COMMAND_OPTIONS_MAX && command->options[count] != S_END; count++) {
        table[count] = s_options[command->options[count]];
    }
    return count;
}

static void
s_help(FILE *stream)
{
    fputs(s_usage, stream);
    for (size_t i = 0; i < S_COMMAND_COUNT; i++) {
        const s_command_t *command = &s_commands[i];
        char synopsis[128];
        snprintf(synopsis, sizeof synopsis, "%s%s%s %s", command->word,
                 command->verb ? " " : "", command->verb ? command->verb : "",
                 command->operands);
        fprintf(stream, "  %-36s %s\n", synopsis, command->summary);
        zs_opts_option_t table[S_COMMAND_OPTIONS_MAX];
        size_t count = s_table(command, table);
        for (size_t k = 0; k < count; k++) {
            if (command->options[k] == S_O_JSON) {
                continue;  //  said once, in the epilogue
            }
            char option[64];
            snprintf(option, sizeof option, "%s%s%s", table[k].name,
                     table[k].metavar ? " " : "",
                     table[k].metavar ? table[k].metavar : "");
            fprintf(stream, "      %-32s %s\n", option, table[k].help);
        }
    }
    fputs(s_epilogue, stream);
}

static const s_command_t *
s_find(char **argv, int argc)
{
    for (size_t i = 0; i < S_COMMAND_COUNT; i++) {
        const s_command_t *command = &s_commands[i];
        if (argc >= 1 && streq(argv[0], command->word) &&
            (!command->verb || (argc >= 2 && streq(argv[1], command->verb)))) {
            return command;
        }
    }
    return NULL;
}

//  Parse the command's options and operands, after its words
static int
s_parse(zs_taskctl_run_t *self, const s_command_t *command, int argc, char **argv)
{
    zs_opts_option_t table[S_COMMAND_OPTIONS_MAX];
    size_t count = s_table(command, table);
    zs_error_t err;
    int rc = zs_opts_parse(table, count, ZS_OPTS_OPERANDS_ANY, argc, argv, self,
                           &self->operand_count, &err);
    if (rc == ZS_OPTS_E_HELP) {
        s_help(self->io->out);
        return ZS_TASKCTL_EXIT_OK;
    }
    if (rc != 0) {
        return zs_taskctl_say(self, ZS_TASKCTL_EXIT_USAGE, "%s %s: %s", command->word,
                              command->verb ? command->verb : "", err.text);
    }
    self->operands = argv;
    if (self->operand_count < command->min_operands ||
        self->operand_count > command->max_operands) {
        return zs_taskctl_say(self, ZS_TASKCTL_EXIT_USAGE, "usage: zswarm-task %s%s%s %s",
                              command->word, command->verb ? " " : "",
                              command->verb ? command->verb : "", command->operands);
    }
    return S_GO_ON;
}

int
zs_taskctl_run(int argc, char **argv, const zs_taskctl_streams_t *streams)
{
    assert(argv);
    assert(streams);
    zs_taskctl_run_t self = {.io = streams, .fd = -1};
    if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
        s_help(argc < 2 ? streams->err : streams->out);
        return argc < 2 ? ZS_TASKCTL_EXIT_USAGE : ZS_TASKCTL_EXIT_OK;
    }
    const s_command_t *command = s_find(argv + 1, argc - 1);
    if (!command) {
        return zs_taskctl_say(&self, ZS_TASKCTL_EXIT_USAGE,
                              "unknown command '%s' (zswarm-task --help lists them)",
                              argv[1]);
    }
    int words = command->verb ? 2 : 1;
    int code = s_parse(&self, command, argc - 1 - words, argv + 1 + words);
    if (code == S_GO_ON) {
        code = command->run(&self);
    }
    zs_names_fini(&self.names);
    zs_names_fini(&self.more_names);
    free(self.data);
    return code;
}
