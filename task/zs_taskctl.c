//  zs_taskctl - see zs_taskctl.h

#include "task/zs_taskctl.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/zs_opts.h"
#include "ctl/zs_items.h"
#include "proto/zs_frame.h"

#define ZS_TASKCTL_FD_ENV "ZSWARM_TASK_FD"  //  the channel's fd
#define ZS_TASKCTL_READ   (64u << 10)       //  bytes asked of one read

//  One run: the options given, the operands, the channel
typedef struct {
    const zs_taskctl_streams_t *io;  //  borrowed
    bool json;                       //  --json: replies as JSON lines
    bool wait;                       //  --wait
    const char *tags;                //  --tags T,...
    zs_opts_int_t ttl;               //  --ttl MS
    const char *access;              //  --access A
    zs_opts_int_t version;           //  --version N
    zs_opts_int_t amount;            //  --amount N
    zs_opts_int_t half_life;         //  --half-life MS
    zs_opts_int_t top;               //  --top N
    const char *voters;              //  --voters T,...
    const char *strategy;            //  --strategy S
    zs_opts_int_t deadline;          //  --deadline MS
    const char *id;                  //  --id ID
    zs_opts_int_t confidence;        //  --confidence N
    zs_opts_int_t weight;            //  --weight N
    const char *inputs;              //  --inputs T,...
    const char *deps;                //  --deps T,...
    zs_names_t more_names;           //  a second list option split, owned
    char **operands;                 //  the command's operands, borrowed from argv
    int operand_count;               //  their number
    zs_names_t names;                //  a list option split, owned
    uint8_t *data;                   //  a payload read, owned
    size_t size;                     //  its length
    int fd;                          //  the channel, -1 before it is found
    zs_frame_buf_t buf;              //  bytes of the channel, one way at a time
} s_run_t;

#define S_OFF(member) offsetof(s_run_t, member)

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
    [S_O_JSON] = {"--json", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, S_OFF(json), 0, 0, NULL,
                  "print the reply as one line of JSON"},
    [S_O_WAIT] =
        {"--wait", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, S_OFF(wait), 0, 0, NULL,
         "inbox: wait for a message; submit: wait for the task, print its output"},
    [S_O_TAGS] = {"--tags", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, S_OFF(tags), 0, 0,
                  "T,...", "label the entry; query: keys carrying every one"},
    [S_O_TTL] = {"--ttl", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(ttl), 1,
                 ZS_MSG_TMO_MAX, "MS", "the entry expires MS after this write"},
    [S_O_ACCESS] = {"--access", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, S_OFF(access), 0,
                    0, "A", "private, team or swarm (default swarm)"},
    [S_O_VERSION] = {"--version", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(version), 0,
                     INT64_MAX, "N", "only if the entry is at version N (0: absent)"},
    [S_O_AMOUNT] = {"--amount", NULL, ZS_OPTS_INT, ZS_OPTS_REQUIRED, S_OFF(amount),
                    -ZS_MSG_AMOUNT_MAX, ZS_MSG_AMOUNT_MAX, "N",
                    "add N to the signal's level"},
    [S_O_HALF_LIFE] = {"--half-life", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL,
                       S_OFF(half_life), 1, ZS_MSG_TMO_MAX, "MS",
                       "the signal's level halves every MS (needed by a new signal)"},
    [S_O_TOP] = {"--top", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(top), 1,
                 ZS_MSG_ITEMS_MAX, "N", "the N strongest signals, strongest first"},
    [S_O_VOTERS] = {"--voters", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, S_OFF(voters), 0,
                    0, "T,...", "the agent types whose agents vote (default: all)"},
    [S_O_STRATEGY] = {"--strategy", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL,
                      S_OFF(strategy), 0, 0, "S",
                      "majority, super-majority, byzantine, unanimous, trust-weighted"},
    [S_O_DEADLINE] = {"--deadline", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(deadline),
                      1, ZS_MSG_TMO_MAX, "MS",
                      "the vote ends MS after it opens at the "
                      "latest (default 10000)"},
    [S_O_ID] = {"--id", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, S_OFF(id), 0, 0, "ID",
                "the id to give it (default: made by zswarmd)"},
    [S_O_CONFIDENCE] = {"--confidence", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL,
                        S_OFF(confidence), 1, ZS_MSG_CONFIDENCE_MAX, "N",
                        "the ballot's confidence, per mille (default 1000)"},
    [S_O_WEIGHT] = {"--weight", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(weight), 1,
                    ZS_MSG_WEIGHT_MAX, "N", "the ballot's own weight (default 1)"},
    [S_O_INPUTS] = {"--inputs", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, S_OFF(inputs), 0,
                    0, "T,...", "tasks whose results it takes as input (and waits for)"},
    [S_O_DEPS] = {"--deps", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, S_OFF(deps), 0, 0,
                  "T,...", "tasks that must complete before it runs"},
};

#define S_COMMAND_OPTIONS_MAX 8   //  options of the command with the most, --json too
#define S_GO_ON               -1  //  s_parse: the command line is fine, run the command

//  ---- diagnostics ---------------------------------------------------------------------

__attribute__((format(printf, 3, 4))) static int
s_say(s_run_t *self, int code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(self->io->err, "zswarm-task: ");
    vfprintf(self->io->err, format, args);
    fprintf(self->io->err, "\n");
    va_end(args);
    return code;
}

//  ---- the channel ---------------------------------------------------------------------

//  Find the channel our task was given
static int
s_connect(s_run_t *self)
{
    const char *env = getenv(ZS_TASKCTL_FD_ENV);
    if (!env || !*env) {
        return s_say(self, ZS_TASKCTL_EXIT_REFUSED,
                     "not inside a zswarm exec task (%s is not set)", ZS_TASKCTL_FD_ENV);
    }
    char *end;
    errno = 0;
    long fd = strtol(env, &end, 10);
    if (errno || *end || fd < 0 || fd > INT32_MAX || fcntl((int) fd, F_GETFD) < 0) {
        return s_say(self, ZS_TASKCTL_EXIT_REFUSED, "%s='%.32s' is not an open channel",
                     ZS_TASKCTL_FD_ENV, env);
    }
    self->fd = (int) fd;
    return ZS_TASKCTL_EXIT_OK;
}

static int
s_closed(s_run_t *self)
{
    return s_say(self, ZS_TASKCTL_EXIT_REFUSED,
                 "the task's channel is closed: its attempt ended or was cancelled");
}

//  Send request; when it gets a reply, read frames until ours and leave it in reply
//  (the caller finishes it). Returns a zs_taskctl_exit_t.
static int
s_ask(s_run_t *self, zs_msg_t *request, zs_msg_t *reply)
{
    //  Our pid tells our reply from one for another process of the task
    request->rid = (uint64_t) getpid();
    zs_frame_buf_init(&self->buf);
    int code = ZS_TASKCTL_EXIT_OK;
    if (zs_frame_put(&self->buf, request) != 0) {
        code = s_say(self, ZS_TASKCTL_EXIT_USAGE, "'%s' cannot be encoded (a bound?)",
                     zs_msg_type_name(request->type));
    } else if (zs_frame_flush(&self->buf, self->fd) != 0) {
        code = s_closed(self);
    }
    while (reply && code == ZS_TASKCTL_EXIT_OK) {
        zs_error_t err;
        int rc = zs_frame_take(&self->buf, reply, &err);
        if (rc == 0 && reply->rid == request->rid) {
            break;
        }
        if (rc == 0 || rc == ZS_FRAME_BAD_MSG) {
            zs_msg_fini(reply);  //  another process's reply
        } else if (rc < 0) {
            code = s_say(self, ZS_TASKCTL_EXIT_REFUSED, "bad reply: %s", err.text);
        } else {
            ssize_t got = zs_frame_fill(&self->buf, self->fd, ZS_TASKCTL_READ);
            code = got == 0 || (got < 0 && errno != EINTR) ? s_closed(self) : code;
        }
    }
    zs_frame_buf_fini(&self->buf);
    return code;
}

//  Send request and print a refusal; on ZS_TASKCTL_EXIT_OK the caller owns reply
static int
s_request(s_run_t *self, zs_msg_t *request, zs_msg_t *reply)
{
    zs_msg_init(reply, ZS_MSG_INVALID);
    int code = s_connect(self);
    code = code ? code : s_ask(self, request, reply);
    if (code == ZS_TASKCTL_EXIT_OK && reply->type == ZS_MSG_ERROR) {
        if (self->json) {
            zs_msg_print_json(reply, self->io->out);
        }
        char why[ZS_MSG_TEXT_MAX * 4 + 1];
        code = s_say(self, ZS_TASKCTL_EXIT_REFUSED, "refused (error %" PRIu64 "): %s",
                     reply->code, zs_sanitize_str(why, sizeof why, reply->why));
        zs_msg_fini(reply);
    }
    return code;
}

//  A request that gets no reply: it is done once the agent has it
static int
s_tell(s_run_t *self, zs_msg_t *request)
{
    int code = s_connect(self);
    return code ? code : s_ask(self, request, NULL);
}

//  Print reply (as JSON with --json, else by print), finish it, return OK
static int
s_show(s_run_t *self,
       zs_msg_t *reply,
       void (*print)(s_run_t *self, const zs_msg_t *reply))
{
    if (self->json) {
        zs_msg_print_json(reply, self->io->out);
    } else if (print) {
        print(self, reply);
    }
    zs_msg_fini(reply);
    return ZS_TASKCTL_EXIT_OK;
}

//  ---- operands ------------------------------------------------------------------------

static const char *
s_operand(const s_run_t *self, int i)
{
    return i < self->operand_count ? self->operands[i] : NULL;
}

//  The payload operand at i, if any: text as given, or standard input for '-'
static int
s_payload(s_run_t *self, int i, size_t max)
{
    zs_error_t err;
    if (zs_items_payload(s_operand(self, i), NULL, self->io->in, &self->data, &self->size,
                         &err) != 0) {
        return s_say(self, ZS_TASKCTL_EXIT_USAGE, "%s", err.text);
    }
    if (self->size > max) {
        return s_say(self, ZS_TASKCTL_EXIT_USAGE, "%zu bytes given, at most %zu allowed",
                     self->size, max);
    }
    return ZS_TASKCTL_EXIT_OK;
}

static int
s_check_name(s_run_t *self, const char *what, const char *name)
{
    if (!zs_msg_name_valid(name, strlen(name), ZS_MSG_NAME_MAX)) {
        return s_say(self, ZS_TASKCTL_EXIT_USAGE,
                     "%s: expected 1..%d characters of [A-Za-z0-9._:-], got '%s'", what,
                     ZS_MSG_NAME_MAX, name);
    }
    return ZS_TASKCTL_EXIT_OK;
}

//  Split a comma-separated option into names (one of self's)
static int
s_names(s_run_t *self,
        zs_names_t *names,
        const char *option,
        const char *list,
        size_t max,
        zs_msg_list_t *into)
{
    zs_error_t err;
    if (list && zs_names_split(names, list, max, &err) != 0) {
        return s_say(self, ZS_TASKCTL_EXIT_USAGE, "%s: %s", option, err.text);
    }
    *into = (zs_msg_list_t){names->names, names->count};
    return ZS_TASKCTL_EXIT_OK;
}

//  ---- the commands --------------------------------------------------------------------

static void
s_print_bytes(s_run_t *self, const uint8_t *data, size_t size)
{
    if (size > 0) {
        fwrite(data, 1, size, self->io->out);
    }
}

static void
s_print_version(s_run_t *self, const zs_msg_t *reply)
{
    fprintf(self->io->out, "%" PRIu64 "\n", reply->version);
}

static int
s_progress(s_run_t *self)
{
    char *end;
    errno = 0;
    long pct = strtol(self->operands[0], &end, 10);
    if (errno || *end || end == self->operands[0] || pct < 0 || pct > 100) {
        return s_say(self, ZS_TASKCTL_EXIT_USAGE,
                     "progress: expected a percentage in 0..100, got '%s'",
                     self->operands[0]);
    }
    const char *note = s_operand(self, 1);
    if (note && strlen(note) > ZS_MSG_TEXT_MAX) {
        return s_say(self, ZS_TASKCTL_EXIT_USAGE, "progress: a note has at most %d bytes",
                     ZS_MSG_TEXT_MAX);
    }
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_TASK_PROGRESS);
    //  The agent fills in task and att: these only make the message whole
    request.task = "-";
    request.att = 1;
    request.pct = (uint64_t) pct;
    request.note = note && *note ? note : NULL;
    return s_tell(self, &request);
}

static void
s_print_value(s_run_t *self, const zs_msg_t *reply)
{
    if (reply->value) {
        s_print_bytes(self, reply->value, reply->value_size);
    } else {
        fprintf(self->io->out, "%" PRId64 "\n", reply->level);
    }
}

static int
s_mem_get(s_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_MEM_GET);
    request.key = self->operands[0];
    int code = s_request(self, &request, &reply);
    return code ? code : s_show(self, &reply, s_print_value);
}

static int
s_mem_put(s_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_MEM_PUT);
    int code = s_payload(self, 1, ZS_MSG_VALUE_MAX);
    code = code ? code
                : s_names(self, &self->names, "--tags", self->tags, ZS_MSG_TAGS_MAX,
                          &request.tags);
    if (code) {
        return code;
    }
    request.key = self->operands[0];
    request.value = self->data ? self->data : (const uint8_t *) "";
    request.value_size = self->size;
    request.ttl = self->ttl.set ? (uint64_t) self->ttl.value : 0;
    request.access = self->access;
    request.cas = self->version.set;
    request.version = self->version.set ? (uint64_t) self->version.value : 0;
    code = s_request(self, &request, &reply);
    return code ? code : s_show(self, &reply, s_print_version);
}

static int
s_mem_del(s_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_MEM_DEL);
    request.key = self->operands[0];
    request.cas = self->version.set;
    request.version = self->version.set ? (uint64_t) self->version.value : 0;
    int code = s_request(self, &request, &reply);
    return code ? code : s_show(self, &reply, s_print_version);
}

static void
s_print_lines(s_run_t *self, const zs_msg_list_t *list)
{
    for (size_t i = 0; i < list->count; i++) {
        fprintf(self->io->out, "%s\n", list->items[i]);
    }
}

static void
s_print_keys(s_run_t *self, const zs_msg_t *reply)
{
    s_print_lines(self, &reply->keys);
}

static int
s_mem_query(s_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_MEM_QUERY);
    int code =
        s_names(self, &self->names, "--tags", self->tags, ZS_MSG_TAGS_MAX, &request.tags);
    if (code) {
        return code;
    }
    request.prefix = s_operand(self, 0);
    request.top = self->top.set ? (uint64_t) self->top.value : 0;
    code = s_request(self, &request, &reply);
    return code ? code : s_show(self, &reply, s_print_keys);
}

static void
s_print_level(s_run_t *self, const zs_msg_t *reply)
{
    fprintf(self->io->out, "%" PRId64 "\n", reply->level);
}

static int
s_mem_deposit(s_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_MEM_DEPOSIT);
    int code =
        s_names(self, &self->names, "--tags", self->tags, ZS_MSG_TAGS_MAX, &request.tags);
    if (code) {
        return code;
    }
    request.key = self->operands[0];
    request.amount = self->amount.value;
    request.half_life = self->half_life.set ? (uint64_t) self->half_life.value : 0;
    request.ttl = self->ttl.set ? (uint64_t) self->ttl.value : 0;
    request.access = self->access;
    code = s_request(self, &request, &reply);
    return code ? code : s_show(self, &reply, s_print_level);
}

static int
s_send(s_run_t *self)
{
    int code = s_check_name(self, "send", self->operands[0]);
    code = code ? code : s_payload(self, 1, ZS_MSG_NOTE_MAX);
    if (code) {
        return code;
    }
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_MSG_SEND);
    request.agent = self->operands[0];
    request.payload = self->data;
    request.payload_size = self->size;
    return s_tell(self, &request);
}

static int
s_share(s_run_t *self)
{
    int code = s_payload(self, 0, ZS_MSG_NOTE_MAX);
    if (code) {
        return code;
    }
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_MSG_SHARE);
    request.payload = self->data;
    request.payload_size = self->size;
    return s_tell(self, &request);
}

static int
s_inbox(s_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_INBOX);
    request.wait = self->wait;
    int code = s_request(self, &request, &reply);
    if (code) {
        return code;
    }
    bool none = !reply.agent;
    if (self->json) {
        zs_msg_print_json(&reply, self->io->out);
    } else if (!none) {
        s_print_bytes(self, reply.payload, reply.payload_size);
    }
    zs_msg_fini(&reply);
    return none ? s_say(self, ZS_TASKCTL_EXIT_REFUSED, "inbox: no message")
                : ZS_TASKCTL_EXIT_OK;
}

static void
s_print_vote(s_run_t *self, const zs_msg_t *reply)
{
    fprintf(self->io->out, "%s\n", reply->vote);
}

static int
s_vote_propose(s_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_VOTE_PROPOSE);
    int code = s_names(self, &self->names, "--voters", self->voters, ZS_MSG_LIST_MAX,
                       &request.voters);
    if (code) {
        return code;
    }
    const char *options[ZS_MSG_OPTIONS_MAX];
    size_t count = (size_t) self->operand_count - 1;
    for (size_t i = 0; i < count; i++) {
        options[i] = self->operands[1 + i];
    }
    request.question = self->operands[0];
    request.options = (zs_msg_list_t){options, count};
    request.strategy = self->strategy;
    request.deadline = self->deadline.set ? (uint64_t) self->deadline.value : 0;
    request.vote = self->id;
    code = s_request(self, &request, &reply);
    return code ? code : s_show(self, &reply, s_print_vote);
}

static int
s_vote_cast(s_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_VOTE_CAST);
    request.vote = self->operands[0];
    request.option = self->operands[1];
    request.confidence = self->confidence.set ? (uint64_t) self->confidence.value : 0;
    request.weight = self->weight.set ? (uint64_t) self->weight.value : 0;
    int code = s_request(self, &request, &reply);
    return code ? code : s_show(self, &reply, s_print_vote);
}

static void
s_print_status(s_run_t *self, const zs_msg_t *reply)
{
    fprintf(self->io->out, "%s%s%s\n", reply->state, reply->option ? " " : "",
            reply->option ? reply->option : "");
    s_print_lines(self, &reply->ballots);
}

static int
s_vote_status(s_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_VOTE_STATUS);
    request.vote = self->operands[0];
    int code = s_request(self, &request, &reply);
    return code ? code : s_show(self, &reply, s_print_status);
}

//  Print a final task as zswarmctl does: its stdout; 1 unless it completed
static int
s_final(s_run_t *self, zs_msg_t *reply)
{
    bool completed = streq(reply->state, "completed");
    if (self->json) {
        zs_msg_print_json(reply, self->io->out);
    } else {
        s_print_bytes(self, reply->out, reply->out_size);
    }
    int code = ZS_TASKCTL_EXIT_OK;
    if (!completed) {
        char why[ZS_MSG_TEXT_MAX * 4 + 1];
        code = s_say(self, ZS_TASKCTL_EXIT_REFUSED, "task '%s' ended %s%s%s", reply->task,
                     reply->state, reply->why ? ": " : "",
                     reply->why ? zs_sanitize_str(why, sizeof why, reply->why) : "");
    }
    zs_msg_fini(reply);
    return code;
}

//  Wait for task, lending our slot meanwhile (the agent names us as the parent)
static int
s_wait_for(s_run_t *self, const char *task)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_WAIT);
    request.task = task;
    int code = s_request(self, &request, &reply);
    return code ? code : s_final(self, &reply);
}

static int
s_wait(s_run_t *self)
{
    int code = s_check_name(self, "wait", self->operands[0]);
    return code ? code : s_wait_for(self, self->operands[0]);
}

static void
s_print_task(s_run_t *self, const zs_msg_t *reply)
{
    fprintf(self->io->out, "%s\n", reply->task);
}

static int
s_submit(s_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_SUBMIT);
    int code = s_check_name(self, "submit", self->operands[0]);
    code = code ? code : s_payload(self, 1, ZS_MSG_PAYLOAD_MAX);
    code = code ? code : self->id ? s_check_name(self, "--id", self->id) : 0;
    code = code ? code
                : s_names(self, &self->names, "--inputs", self->inputs, ZS_MSG_INPUTS_MAX,
                          &request.inputs);
    code = code ? code
                : s_names(self, &self->more_names, "--deps", self->deps, ZS_MSG_DEPS_MAX,
                          &request.deps);
    if (code) {
        return code;
    }
    request.ttype = self->operands[0];
    request.task = self->id;
    request.payload = self->data;
    request.payload_size = self->size;
    code = s_request(self, &request, &reply);
    if (code || !self->wait) {
        return code ? code : s_show(self, &reply, s_print_task);
    }
    if (self->json) {
        zs_msg_print_json(&reply, self->io->out);
    }
    char task[ZS_MSG_NAME_MAX + 1];
    snprintf(task, sizeof task, "%s", reply.task);
    zs_msg_fini(&reply);
    return s_wait_for(self, task);
}

static void
s_print_state(s_run_t *self, const zs_msg_t *reply)
{
    fprintf(self->io->out, "%s\n", reply->state);
}

static int
s_cancel(s_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_CANCEL);
    int code = s_check_name(self, "cancel", self->operands[0]);
    request.task = self->operands[0];
    code = code ? code : s_request(self, &request, &reply);
    return code ? code : s_show(self, &reply, s_print_state);
}

//  A task's state, then its children one a line
static void
s_print_view(s_run_t *self, const zs_msg_t *reply)
{
    s_print_state(self, reply);
    s_print_lines(self, &reply->children);
}

static int
s_task(s_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_TASK);
    const char *task = s_operand(self, 0) ? s_operand(self, 0) : getenv("ZSWARM_TASK");
    int code =
        task ? s_check_name(self, "task", task)
             : s_say(self, ZS_TASKCTL_EXIT_USAGE, "task: no ID and no $ZSWARM_TASK");
    request.task = task;
    code = code ? code : s_request(self, &request, &reply);
    return code ? code : s_show(self, &reply, s_print_view);
}

//  The checkpoint to save: FILE's bytes, or standard input for '-' or none
static int
s_checkpoint_save(s_run_t *self)
{
    const char *file = s_operand(self, 0);
    bool in = !file || streq(file, "-");
    zs_error_t err;
    if (zs_items_payload(in ? "-" : NULL, in ? NULL : file, self->io->in, &self->data,
                         &self->size, &err) != 0) {
        return s_say(self, ZS_TASKCTL_EXIT_USAGE, "checkpoint save: %s", err.text);
    }
    if (self->size > ZS_MSG_CKPT_MAX) {
        return s_say(self, ZS_TASKCTL_EXIT_USAGE,
                     "checkpoint save: %zu bytes, a checkpoint holds at most %u",
                     self->size, ZS_MSG_CKPT_MAX);
    }
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_TASK_CHECKPOINT);
    request.task = "-";  //  the agent fills in ours
    request.att = 1;
    request.data = self->data ? self->data : (const uint8_t *) "";
    request.data_size = self->size;
    int code = s_request(self, &request, &reply);
    return code ? code : s_show(self, &reply, NULL);
}

static int
s_checkpoint_clear(s_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_TASK_CHECKPOINT);
    request.task = "-";
    request.att = 1;
    int code = s_request(self, &request, &reply);
    return code ? code : s_show(self, &reply, NULL);
}

//  The checkpoint this attempt started from, which the agent wrote as a file
static int
s_checkpoint_load(s_run_t *self)
{
    const char *path = getenv("ZSWARM_CHECKPOINT");
    if (!path || !*path) {
        return s_say(self, ZS_TASKCTL_EXIT_REFUSED,
                     "checkpoint load: this attempt started without a checkpoint");
    }
    zs_error_t err;
    if (zs_items_payload(NULL, path, self->io->in, &self->data, &self->size, &err) != 0) {
        return s_say(self, ZS_TASKCTL_EXIT_REFUSED, "checkpoint load: %s", err.text);
    }
    s_print_bytes(self, self->data, self->size);
    return ZS_TASKCTL_EXIT_OK;
}

//  ---- the command table ---------------------------------------------------------------

typedef struct {
    const char *word;      //  the command word
    const char *verb;      //  its second word, or NULL
    const char *operands;  //  operand synopsis for --help
    const char *summary;   //  one line for --help
    int min_operands;      //  operands after the words required
    int max_operands;      //  and allowed
    int (*run)(s_run_t *self);
    s_option_t options[S_COMMAND_OPTIONS_MAX];  //  what it takes, S_O_COUNT ends
} s_command_t;

#define S_END S_O_COUNT

// clang-format off
static const s_command_t s_commands[] = {
    {"progress", NULL, "PCT [NOTE]", "report progress: a percentage and a note",
     1, 2, s_progress, {S_END}},
    {"checkpoint", "save", "[FILE|-]", "save this attempt's checkpoint (default: stdin)",
     0, 1, s_checkpoint_save, {S_O_JSON, S_END}},
    {"checkpoint", "clear", "", "drop the task's checkpoint",
     0, 0, s_checkpoint_clear, {S_O_JSON, S_END}},
    {"checkpoint", "load", "", "print the checkpoint this attempt started from",
     0, 0, s_checkpoint_load, {S_END}},
    {"mem", "get", "KEY", "print an entry's value (a signal's level)",
     1, 1, s_mem_get, {S_O_JSON, S_END}},
    {"mem", "put", "KEY [VALUE|-]", "write an entry; prints its version",
     1, 2, s_mem_put, {S_O_JSON, S_O_TAGS, S_O_TTL, S_O_ACCESS, S_O_VERSION, S_END}},
    {"mem", "del", "KEY", "delete an entry; prints its last version",
     1, 1, s_mem_del, {S_O_JSON, S_O_VERSION, S_END}},
    {"mem", "query", "[PREFIX]", "print the keys we may read, one a line",
     0, 1, s_mem_query, {S_O_JSON, S_O_TAGS, S_O_TOP, S_END}},
    {"mem", "deposit", "KEY", "add to a decaying signal; prints its level",
     1, 1, s_mem_deposit,
     {S_O_JSON, S_O_AMOUNT, S_O_HALF_LIFE, S_O_TAGS, S_O_TTL, S_O_ACCESS, S_END}},
    {"send", NULL, "AGENT TEXT|-", "send a message to a neighbour agent",
     2, 2, s_send, {S_END}},
    {"share", NULL, "TEXT|-", "send a message to every neighbour",
     1, 1, s_share, {S_END}},
    {"inbox", NULL, "", "print the next message our agent kept; exit 1 if none",
     0, 0, s_inbox, {S_O_JSON, S_O_WAIT, S_END}},
    {"submit", NULL, "TYPE [PAYLOAD|-]", "submit a subtask; prints its id",
     1, 2, s_submit, {S_O_JSON, S_O_WAIT, S_O_ID, S_O_INPUTS, S_O_DEPS, S_END}},
    {"wait", NULL, "ID", "wait for a task, lending it our slot; prints its output",
     1, 1, s_wait, {S_O_JSON, S_END}},
    {"cancel", NULL, "ID", "cancel a task; prints its new state",
     1, 1, s_cancel, {S_O_JSON, S_END}},
    {"task", NULL, "[ID]", "print a task's state and children (default: ours)",
     0, 1, s_task, {S_O_JSON, S_END}},
    {"vote", "propose", "QUESTION OPTION OPTION...", "ask the agents; prints the vote id",
     3, 1 + ZS_MSG_OPTIONS_MAX, s_vote_propose,
     {S_O_JSON, S_O_VOTERS, S_O_STRATEGY, S_O_DEADLINE, S_O_ID, S_END}},
    {"vote", "cast", "VOTE OPTION", "cast our agent's ballot",
     2, 2, s_vote_cast, {S_O_JSON, S_O_CONFIDENCE, S_O_WEIGHT, S_END}},
    {"vote", "status", "VOTE", "print a vote's state, decision and ballots",
     1, 1, s_vote_status, {S_O_JSON, S_END}},
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
s_parse(s_run_t *self, const s_command_t *command, int argc, char **argv)
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
        return s_say(self, ZS_TASKCTL_EXIT_USAGE, "%s %s: %s", command->word,
                     command->verb ? command->verb : "", err.text);
    }
    self->operands = argv;
    if (self->operand_count < command->min_operands ||
        self->operand_count > command->max_operands) {
        return s_say(self, ZS_TASKCTL_EXIT_USAGE, "usage: zswarm-task %s%s%s %s",
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
    s_run_t self = {.io = streams, .fd = -1};
    if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
        s_help(argc < 2 ? streams->err : streams->out);
        return argc < 2 ? ZS_TASKCTL_EXIT_USAGE : ZS_TASKCTL_EXIT_OK;
    }
    const s_command_t *command = s_find(argv + 1, argc - 1);
    if (!command) {
        return s_say(&self, ZS_TASKCTL_EXIT_USAGE,
                     "unknown command '%s' (zswarm-task --help lists them)", argv[1]);
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
