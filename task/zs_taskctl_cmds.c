//  zs_taskctl_cmds - zswarm-task's commands; see zs_taskctl_private.h and docs/task.md

#include "task/zs_taskctl_private.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

//  ---- the commands --------------------------------------------------------------------

static void
s_print_version(zs_taskctl_run_t *self, const zs_msg_t *reply)
{
    fprintf(self->io->out, "%" PRIu64 "\n", reply->version);
}

int
zs_taskctl_progress(zs_taskctl_run_t *self)
{
    char *end;
    errno = 0;
    long pct = strtol(self->operands[0], &end, 10);
    if (errno || *end || end == self->operands[0] || pct < 0 || pct > 100) {
        return zs_taskctl_say(self, ZS_TASKCTL_EXIT_USAGE,
                              "progress: expected a percentage in 0..100, got '%s'",
                              self->operands[0]);
    }
    const char *note = zs_taskctl_operand(self, 1);
    if (note && strlen(note) > ZS_MSG_TEXT_MAX) {
        return zs_taskctl_say(self, ZS_TASKCTL_EXIT_USAGE,
                              "progress: a note has at most %d bytes", ZS_MSG_TEXT_MAX);
    }
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_TASK_PROGRESS);
    //  The agent fills in task and att: these only make the message whole
    request.task = "-";
    request.att = 1;
    request.pct = (uint64_t) pct;
    request.note = note && *note ? note : NULL;
    return zs_taskctl_tell(self, &request);
}

static void
s_print_value(zs_taskctl_run_t *self, const zs_msg_t *reply)
{
    if (reply->value) {
        zs_taskctl_print_bytes(self, reply->value, reply->value_size);
    } else {
        fprintf(self->io->out, "%" PRId64 "\n", reply->level);
    }
}

int
zs_taskctl_mem_get(zs_taskctl_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_MEM_GET);
    request.key = self->operands[0];
    int code = zs_taskctl_request(self, &request, &reply);
    return code ? code : zs_taskctl_show(self, &reply, s_print_value);
}

int
zs_taskctl_mem_put(zs_taskctl_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_MEM_PUT);
    int code = zs_taskctl_payload(self, 1, ZS_MSG_VALUE_MAX);
    code = code ? code
                : zs_taskctl_names(self, &self->names, "--tags", self->tags,
                                   ZS_MSG_TAGS_MAX, &request.tags);
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
    code = zs_taskctl_request(self, &request, &reply);
    return code ? code : zs_taskctl_show(self, &reply, s_print_version);
}

int
zs_taskctl_mem_del(zs_taskctl_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_MEM_DEL);
    request.key = self->operands[0];
    request.cas = self->version.set;
    request.version = self->version.set ? (uint64_t) self->version.value : 0;
    int code = zs_taskctl_request(self, &request, &reply);
    return code ? code : zs_taskctl_show(self, &reply, s_print_version);
}

static void
s_print_keys(zs_taskctl_run_t *self, const zs_msg_t *reply)
{
    zs_taskctl_print_lines(self, &reply->keys);
}

int
zs_taskctl_mem_query(zs_taskctl_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_MEM_QUERY);
    int code = zs_taskctl_names(self, &self->names, "--tags", self->tags, ZS_MSG_TAGS_MAX,
                                &request.tags);
    if (code) {
        return code;
    }
    request.prefix = zs_taskctl_operand(self, 0);
    request.top = self->top.set ? (uint64_t) self->top.value : 0;
    code = zs_taskctl_request(self, &request, &reply);
    return code ? code : zs_taskctl_show(self, &reply, s_print_keys);
}

static void
s_print_level(zs_taskctl_run_t *self, const zs_msg_t *reply)
{
    fprintf(self->io->out, "%" PRId64 "\n", reply->level);
}

int
zs_taskctl_mem_deposit(zs_taskctl_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_MEM_DEPOSIT);
    int code = zs_taskctl_names(self, &self->names, "--tags", self->tags, ZS_MSG_TAGS_MAX,
                                &request.tags);
    if (code) {
        return code;
    }
    request.key = self->operands[0];
    request.amount = self->amount.value;
    request.half_life = self->half_life.set ? (uint64_t) self->half_life.value : 0;
    request.ttl = self->ttl.set ? (uint64_t) self->ttl.value : 0;
    request.access = self->access;
    code = zs_taskctl_request(self, &request, &reply);
    return code ? code : zs_taskctl_show(self, &reply, s_print_level);
}

int
zs_taskctl_send(zs_taskctl_run_t *self)
{
    int code = zs_taskctl_check_name(self, "send", self->operands[0]);
    code = code ? code : zs_taskctl_payload(self, 1, ZS_MSG_NOTE_MAX);
    if (code) {
        return code;
    }
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_MSG_SEND);
    request.agent = self->operands[0];
    request.payload = self->data;
    request.payload_size = self->size;
    return zs_taskctl_tell(self, &request);
}

int
zs_taskctl_share(zs_taskctl_run_t *self)
{
    int code = zs_taskctl_payload(self, 0, ZS_MSG_NOTE_MAX);
    if (code) {
        return code;
    }
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_MSG_SHARE);
    request.payload = self->data;
    request.payload_size = self->size;
    return zs_taskctl_tell(self, &request);
}

int
zs_taskctl_inbox(zs_taskctl_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_INBOX);
    request.wait = self->wait;
    int code = zs_taskctl_request(self, &request, &reply);
    if (code) {
        return code;
    }
    bool none = !reply.agent;
    if (self->json) {
        zs_msg_print_json(&reply, self->io->out);
    } else if (!none) {
        zs_taskctl_print_bytes(self, reply.payload, reply.payload_size);
    }
    zs_msg_fini(&reply);
    return none ? zs_taskctl_say(self, ZS_TASKCTL_EXIT_REFUSED, "inbox: no message")
                : ZS_TASKCTL_EXIT_OK;
}

static void
s_print_vote(zs_taskctl_run_t *self, const zs_msg_t *reply)
{
    fprintf(self->io->out, "%s\n", reply->vote);
}

int
zs_taskctl_vote_propose(zs_taskctl_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_VOTE_PROPOSE);
    int code = zs_taskctl_names(self, &self->names, "--voters", self->voters,
                                ZS_MSG_LIST_MAX, &request.voters);
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
    code = zs_taskctl_request(self, &request, &reply);
    return code ? code : zs_taskctl_show(self, &reply, s_print_vote);
}

int
zs_taskctl_vote_cast(zs_taskctl_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_VOTE_CAST);
    request.vote = self->operands[0];
    request.option = self->operands[1];
    request.confidence = self->confidence.set ? (uint64_t) self->confidence.value : 0;
    request.weight = self->weight.set ? (uint64_t) self->weight.value : 0;
    int code = zs_taskctl_request(self, &request, &reply);
    return code ? code : zs_taskctl_show(self, &reply, s_print_vote);
}

static void
s_print_status(zs_taskctl_run_t *self, const zs_msg_t *reply)
{
    fprintf(self->io->out, "%s%s%s\n", reply->state, reply->option ? " " : "",
            reply->option ? reply->option : "");
    zs_taskctl_print_lines(self, &reply->ballots);
}

int
zs_taskctl_vote_status(zs_taskctl_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_VOTE_STATUS);
    request.vote = self->operands[0];
    int code = zs_taskctl_request(self, &request, &reply);
    return code ? code : zs_taskctl_show(self, &reply, s_print_status);
}

//  Print a final task as zswarmctl does: its stdout; 1 unless it completed
static int
s_final(zs_taskctl_run_t *self, zs_msg_t *reply)
{
    bool completed = streq(reply->state, "completed");
    if (self->json) {
        zs_msg_print_json(reply, self->io->out);
    } else {
        zs_taskctl_print_bytes(self, reply->out, reply->out_size);
    }
    int code = ZS_TASKCTL_EXIT_OK;
    if (!completed) {
        char why[ZS_MSG_TEXT_MAX * 4 + 1];
        code = zs_taskctl_say(self, ZS_TASKCTL_EXIT_REFUSED, "task '%s' ended %s%s%s",
                              reply->task, reply->state, reply->why ? ": " : "",
                              reply->why ? zs_sanitize_str(why, sizeof why, reply->why)
                                         : "");
    }
    zs_msg_fini(reply);
    return code;
}

//  Wait for task, lending our slot meanwhile (the agent names us as the parent)
static int
s_wait_for(zs_taskctl_run_t *self, const char *task)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_WAIT);
    request.task = task;
    int code = zs_taskctl_request(self, &request, &reply);
    return code ? code : s_final(self, &reply);
}

int
zs_taskctl_wait(zs_taskctl_run_t *self)
{
    int code = zs_taskctl_check_name(self, "wait", self->operands[0]);
    return code ? code : s_wait_for(self, self->operands[0]);
}

static void
s_print_task(zs_taskctl_run_t *self, const zs_msg_t *reply)
{
    fprintf(self->io->out, "%s\n", reply->task);
}

int
zs_taskctl_submit(zs_taskctl_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_SUBMIT);
    int code = zs_taskctl_check_name(self, "submit", self->operands[0]);
    code = code ? code : zs_taskctl_payload(self, 1, ZS_MSG_PAYLOAD_MAX);
    code = code ? code : self->id ? zs_taskctl_check_name(self, "--id", self->id) : 0;
    code = code ? code
                : zs_taskctl_names(self, &self->names, "--inputs", self->inputs,
                                   ZS_MSG_INPUTS_MAX, &request.inputs);
    code = code ? code
                : zs_taskctl_names(self, &self->more_names, "--deps", self->deps,
                                   ZS_MSG_DEPS_MAX, &request.deps);
    if (code) {
        return code;
    }
    request.ttype = self->operands[0];
    request.task = self->id;
    request.payload = self->data;
    request.payload_size = self->size;
    code = zs_taskctl_request(self, &request, &reply);
    if (code || !self->wait) {
        return code ? code : zs_taskctl_show(self, &reply, s_print_task);
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
s_print_state(zs_taskctl_run_t *self, const zs_msg_t *reply)
{
    fprintf(self->io->out, "%s\n", reply->state);
}

int
zs_taskctl_cancel(zs_taskctl_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_CANCEL);
    int code = zs_taskctl_check_name(self, "cancel", self->operands[0]);
    request.task = self->operands[0];
    code = code ? code : zs_taskctl_request(self, &request, &reply);
    return code ? code : zs_taskctl_show(self, &reply, s_print_state);
}

//  A task's state, then its children one a line
static void
s_print_view(zs_taskctl_run_t *self, const zs_msg_t *reply)
{
    s_print_state(self, reply);
    zs_taskctl_print_lines(self, &reply->children);
}

int
zs_taskctl_task(zs_taskctl_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_TASK);
    const char *task =
        zs_taskctl_operand(self, 0) ? zs_taskctl_operand(self, 0) : getenv("ZSWARM_TASK");
    int code = task ? zs_taskctl_check_name(self, "task", task)
                    : zs_taskctl_say(self, ZS_TASKCTL_EXIT_USAGE,
                                     "task: no ID and no $ZSWARM_TASK");
    request.task = task;
    code = code ? code : zs_taskctl_request(self, &request, &reply);
    return code ? code : zs_taskctl_show(self, &reply, s_print_view);
}

//  The checkpoint to save: FILE's bytes, or standard input for '-' or none
int
zs_taskctl_checkpoint_save(zs_taskctl_run_t *self)
{
    const char *file = zs_taskctl_operand(self, 0);
    bool in = !file || streq(file, "-");
    zs_error_t err;
    if (zs_items_payload(in ? "-" : NULL, in ? NULL : file, self->io->in, &self->data,
                         &self->size, &err) != 0) {
        return zs_taskctl_say(self, ZS_TASKCTL_EXIT_USAGE, "checkpoint save: %s",
                              err.text);
    }
    if (self->size > ZS_MSG_CKPT_MAX) {
        return zs_taskctl_say(self, ZS_TASKCTL_EXIT_USAGE,
                              "checkpoint save: %zu bytes, a checkpoint holds at most %u",
                              self->size, ZS_MSG_CKPT_MAX);
    }
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_TASK_CHECKPOINT);
    request.task = "-";  //  the agent fills in ours
    request.att = 1;
    request.data = self->data ? self->data : (const uint8_t *) "";
    request.data_size = self->size;
    int code = zs_taskctl_request(self, &request, &reply);
    return code ? code : zs_taskctl_show(self, &reply, NULL);
}

int
zs_taskctl_checkpoint_clear(zs_taskctl_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_TASK_CHECKPOINT);
    request.task = "-";
    request.att = 1;
    int code = zs_taskctl_request(self, &request, &reply);
    return code ? code : zs_taskctl_show(self, &reply, NULL);
}

//  The checkpoint this attempt started from, which the agent wrote as a file
int
zs_taskctl_checkpoint_load(zs_taskctl_run_t *self)
{
    const char *path = getenv("ZSWARM_CHECKPOINT");
    if (!path || !*path) {
        return zs_taskctl_say(
            self, ZS_TASKCTL_EXIT_REFUSED,
            "checkpoint load: this attempt started without a checkpoint");
    }
    zs_error_t err;
    if (zs_items_payload(NULL, path, self->io->in, &self->data, &self->size, &err) != 0) {
        return zs_taskctl_say(self, ZS_TASKCTL_EXIT_REFUSED, "checkpoint load: %s",
                              err.text);
    }
    zs_taskctl_print_bytes(self, self->data, self->size);
    return ZS_TASKCTL_EXIT_OK;
}
