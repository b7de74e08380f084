//  zs_voter - see zs_voter.h

#include "agent/zs_voter.h"
#include "agent/zs_exec.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _zs_voter_t {
    zs_exec_t *exec;                   //  owned: runs the vote commands
    bool has_command;                  //  the welcome gave a command
    char answer[ZS_MSG_NAME_MAX + 1];  //  the fixed answer, "" for none
    zhashx_t *options;                 //  vote id -> "\nOPTION\n...", owned: per command
    zs_voter_cast_fn *cast;            //  where ballots go
    void *owner;                       //  cast's argument
    zs_ratelimit_t limit;              //  for logs that each ask can trigger
};

static void
s_send_cast(zs_voter_t *self, const char *vote, const char *option, uint64_t confidence)
{
    zs_msg_t cast;
    zs_msg_init(&cast, ZS_MSG_VOTE_CAST);
    cast.vote = vote;
    cast.option = option;
    cast.confidence = confidence;
    self->cast(self->owner, &cast);
}

//  Any proposal makes every voter abstain for some reason: said, but rate-limited
static void
s_abstain(zs_voter_t *self, const char *vote, const char *why)
{
    uint64_t suppressed = 0;
    if (zs_ratelimit_allow(&self->limit, &suppressed)) {
        char id[ZS_MSG_NAME_MAX * 4 + 1], reason[ZS_MSG_TEXT_MAX];
        zs_sanitize(id, sizeof id, vote, strlen(vote));
        zs_sanitize(reason, sizeof reason, why, strlen(why));
        zsys_notice("vote '%s': abstaining: %s (%" PRIu64 " similar suppressed)", id,
                    reason, suppressed);
    }
}

//  A confidence word, "0".."1", per mille (1..1000: 0 would mean absent), or 0 when
//  it is not a number in that range
static uint64_t
s_confidence(const char *word)
{
    char *end;
    double value = strtod(word, &end);
    if (end == word || *end || !(value >= 0 && value <= 1)) {
        return 0;
    }
    uint64_t per_mille = (uint64_t) (value * 1000 + 0.5);
    return per_mille < 1 ? 1 : per_mille;
}

//  True when option is one of a command's vote's options
static bool
s_offered(zs_voter_t *self, const char *vote, const char *option)
{
    const char *options = zhashx_lookup(self->options, vote);
    char line[ZS_MSG_NAME_MAX + 3];
    snprintf(line, sizeof line, "\n%s\n", option);
    return options && strstr(options, line);
}

//  The answer in a command's stdout (result, ok): its first word is the option, its
//  second, if any, the confidence from 0 to 1
static void
s_answer(zs_voter_t *self, const zs_msg_t *result)
{
    char text[ZS_MSG_NAME_MAX * 2 + 64];
    size_t size = result->out_size < sizeof text - 1 ? result->out_size : sizeof text - 1;
    memcpy(text, result->out ? (const char *) result->out : "", size);
    text[size] = '\0';
    char *save = NULL;
    const char *option = strtok_r(text, " \t\r\n", &save);
    const char *confidence = option ? strtok_r(NULL, " \t\r\n", &save) : NULL;
    uint64_t per_mille = confidence ? s_confidence(confidence) : 0;
    if (!option) {
        s_abstain(self, result->task, "the vote command printed no answer");
    } else if (!s_offered(self, result->task, option)) {
        s_abstain(self, result->task, "the vote command's answer is not an option");
    } else if (confidence && !per_mille) {
        s_abstain(self, result->task,
                  "the vote command's confidence is not a number 0..1");
    } else {
        s_send_cast(self, result->task, option, per_mille);
    }
}

//  A command ended: the first word of its stdout is the option, the second (if any)
//  its confidence
static void
s_on_finished(void *owner, const zs_msg_t *result)
{
    zs_voter_t *self = owner;
    if (!streq(result->status, "ok")) {
        s_abstain(self, result->task,
                  result->why ? result->why : "the vote command failed");
    } else {
        s_answer(self, result);
    }
    zhashx_delete(self->options, result->task);
}

static void
s_on_started(void *owner, const char *task, uint64_t att)
{
}

zs_voter_t *
zs_voter_new(zloop_t *loop, zs_voter_cast_fn *cast, void *owner)
{
    assert(loop && cast);
    zs_voter_t *self = zs_calloc(1, sizeof *self);
    zs_handler_sink_t sink = {self, s_on_started, s_on_finished, NULL};
    self->exec = zs_exec_new(loop, &sink);
    self->options = zhashx_new();
    zhashx_set_destructor(self->options, (zhashx_destructor_fn *) zstr_free);
    self->cast = cast;
    self->owner = owner;
    return self;
}

void
zs_voter_destroy(zs_voter_t **self_p)
{
    assert(self_p);
    zs_voter_t *self = *self_p;
    if (self) {
        zs_exec_destroy(&self->exec);
        zhashx_destroy(&self->options);
        free(self);
        *self_p = NULL;
    }
}

void
zs_voter_configure(zs_voter_t *self, const zs_msg_t *welcome)
{
    snprintf(self->answer, sizeof self->answer, "%s",
             welcome->option ? welcome->option : "");
    zs_exec_set_argv(self->exec, welcome->vote_argv.items, welcome->vote_argv.count);
    self->has_command = welcome->vote_argv.count > 0;
}

static bool
s_is_option(const zs_msg_t *ask, const char *answer)
{
    for (size_t i = 0; i < ask->options.count; i++) {
        if (streq(ask->options.items[i], answer)) {
            return true;
        }
    }
    return false;
}

//  Remember a command's vote's options, "\nOPTION\n...\n", until it ends
static void
s_keep_options(zs_voter_t *self, const zs_msg_t *ask)
{
    size_t size = 2;
    for (size_t i = 0; i < ask->options.count; i++) {
        size += strlen(ask->options.items[i]) + 1;
    }
    char *options = zs_malloc(size);
    char *at = options;
    *at++ = '\n';
    for (size_t i = 0; i < ask->options.count; i++) {
        at += sprintf(at, "%s\n", ask->options.items[i]);
    }
    zhashx_insert(self->options, ask->vote, options);
}

//  Run the command on the ask as JSON, until the deadline
static void
s_run(zs_voter_t *self, const zs_msg_t *ask)
{
    char *json = NULL;
    size_t json_size = 0;
    FILE *stream = open_memstream(&json, &json_size);
    if (!stream) {
        s_abstain(self, ask->vote, "out of memory");
        return;
    }
    int printed = zs_msg_print_json(ask, stream);
    if (fclose(stream) != 0 || printed != 0) {
        free(json);
        s_abstain(self, ask->vote, "the vote could not be written as JSON");
        return;
    }
    zs_msg_t assign;
    zs_msg_init(&assign, ZS_MSG_TASK_ASSIGN);
    assign.task = ask->vote;
    assign.ttype = "vote";
    assign.att = 1;
    assign.payload = (const uint8_t *) json;
    assign.payload_size = json_size;
    assign.tmo = ask->deadline;
    s_keep_options(self, ask);  //  before the start, which may finish the job at once
    zs_exec_start(self->exec, &assign);
    free(json);
}

void
zs_voter_ask(zs_voter_t *self, const zs_msg_t *ask)
{
    if (self->answer[0]) {
        if (s_is_option(ask, self->answer)) {
            s_send_cast(self, ask->vote, self->answer, 0);
        } else {
            s_abstain(self, ask->vote, "the type's answer is not one of the options");
        }
    } else if (!self->has_command) {
        s_abstain(self, ask->vote, "the agent's type has no 'vote' in the swarm file");
    } else if (zhashx_lookup(self->options, ask->vote)) {
        s_abstain(self, ask->vote, "a command for a vote of that id runs already");
    } else if (zs_exec_running(self->exec) >= ZS_VOTER_JOBS_MAX) {
        char why[ZS_MSG_TEXT_MAX];
        snprintf(why, sizeof why, "%d vote commands run already", ZS_VOTER_JOBS_MAX);
        s_abstain(self, ask->vote, why);
    } else {
        s_run(self, ask);
    }
}

size_t
zs_voter_running(zs_voter_t *self)
{
    return zhashx_size(self->options);
}

bool
zs_voter_reaped(zs_voter_t *self, pid_t pid, int status)
{
    return zs_exec_reaped(self->exec, pid, status);
}

void
zs_voter_kill_all(zs_voter_t *self)
{
    zs_exec_kill_all(self->exec);
    zhashx_purge(self->options);
}
