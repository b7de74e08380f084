//  zs_ctl_submit - zswarmctl submit and wait: tasks from the command line (docs/ctl.md,
//  PROTOCOL.md §4.3)
//
//    submit --type T [--payload TEXT|- | --payload-file F] [--wait [--follow]]
//           [OPTIONS]
//    wait ID [ID...]    prints each task's output once it ended
//
//  submit --wait shows the task's progress while it runs (zs_ctl_follow.c): a bar on
//  a terminal, and with --follow the text it streams.

#include "ctl/zs_ctl_private.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

const zs_opts_option_t zs_ctl_submit_options[ZS_CTL_SUBMIT_OPTIONS] = {
    {"--type", NULL, ZS_OPTS_STRING, ZS_OPTS_REQUIRED, ZS_CTL_OFF(type), 0, 0, "T",
     "task type, the capability it needs (required)"},
    {"--payload", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(payload), 0, 0,
     "TEXT", "task input; '-' reads it from standard input"},
    {"--payload-file", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(payload_file),
     0, 0, "F", "read the task input from file F"},
    {"--priority", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(priority),
     -ZS_MSG_PRI_MAX, ZS_MSG_PRI_MAX, "N", "higher runs first, -1000..1000 (default 0)"},
    {"--timeout", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(task_timeout), 1,
     ZS_MSG_TMO_MAX, "MS", "time limit of one attempt (default: the swarm's)"},
    {"--retries", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(retries), 0,
     ZS_MSG_TRIES_MAX - 1, "N",
     "attempts after the first, 0..100 (default: the swarm's)"},
    {"--id", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(id), 0, 0, "ID",
     "task id, 1..64 of [A-Za-z0-9._:-] (default: made by zswarmd)"},
    {"--wait", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(wait), 0, 0, NULL,
     "wait for the task; print its output instead of its id"},
    {"--deps", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(deps), 0, 0, "ID,...",
     "run only once these tasks completed (at most 64)"},
    {"--inputs", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(inputs), 0, 0,
     "ID,...", "like --deps, and the handler gets their results (at most 64)"},
    {"--each", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(each), 0, 0, "FILE",
     "fan out: one task per line of FILE ('-': standard input), with --agg"},
    {"--agg", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(agg), 0, 0, "T",
     "fan in: a task of type T gets the --each results, joined in order"},
    {"--strategy", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(strategy), 0, 0,
     "NAME", "how to choose its agent (default: the swarm's)"},
    {"--requires", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(requires), 0, 0,
     "CAP,...", "capabilities its agent needs besides the type"},
    {"--agent", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(agent), 0, 0, "ID",
     "run it on agent ID only (it waits while that agent is busy, paused or absent)"},
    {"--follow", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(follow), 0, 0, NULL,
     "with --wait: print the text it streams (an llm answer) as it comes"},
    {"--events", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(events), 0, 0,
     "ENDPOINT",
     "with --wait: zswarmd's events socket (default $ZSWARM_EVENTS or "
     "tcp://127.0.0.1:7601)"},
};

static int
s_check_type(zs_ctl_run_t *self, const char *type)
{
    size_t len = strlen(type);
    bool valid = len >= 1 && len <= ZS_MSG_NAME_MAX;
    for (size_t i = 0; valid && i < len; i++) {
        valid = type[i] > ' ' && type[i] < 0x7f;
    }
    if (!valid) {
        return zs_ctl_say(
            self, -1,
            "--type: expected 1..%d printable characters without spaces, got '%s'",
            ZS_MSG_NAME_MAX, type);
    }
    return 0;
}

//  Time left until deadline_ms, or ZS_CLIENT_FOREVER when there is no deadline
static int64_t
s_left(int64_t deadline_ms)
{
    if (deadline_ms == ZS_CLIENT_FOREVER) {
        return ZS_CLIENT_FOREVER;
    }
    int64_t left = deadline_ms - zclock_mono();
    return left > 0 ? left : 0;
}

int
zs_ctl_wait_run(zs_ctl_run_t *self)
{
    //  One deadline for all ids: --timeout bounds the whole command
    int64_t deadline =
        self->timeout.set ? zclock_mono() + self->timeout.value : ZS_CLIENT_FOREVER;
    int code = ZS_CTL_EXIT_OK;
    for (int i = 0; i < self->operand_count; i++) {
        zs_msg_t request, reply;
        zs_msg_init(&request, ZS_MSG_WAIT);
        zs_msg_init(&reply, ZS_MSG_INVALID);
        request.task = self->operands[i];
        int rc = zs_ctl_request(self, &request, &reply, s_left(deadline));
        if (rc == ZS_CTL_EXIT_USAGE) {
            return rc;
        }
        if (rc == ZS_CTL_EXIT_OK) {
            rc = zs_ctl_print_final(self, &reply);
            zs_msg_fini(&reply);
        }
        code = rc != ZS_CTL_EXIT_OK ? rc : code;
    }
    return code;
}

//  After submit.ok of a submit with wait: the wait.ok with the same rid, showing the
//  task's progress events until it comes
static int
s_submit_wait(zs_ctl_run_t *self, uint64_t rid, int64_t deadline, zs_ctl_follow_t *follow)
{
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_INVALID);
    zs_error_t err;
    zs_error_init(&err);
    int rc;
    while (true) {
        zs_msg_t event;
        zs_msg_init(&event, ZS_MSG_INVALID);
        rc = zs_client_recv_rid_watching(self->client, rid, &reply, follow->watcher,
                                         &event, s_left(deadline), &err);
        if (rc != ZS_CLIENT_E_EVENT) {
            break;
        }
        zs_ctl_follow_event(follow, &event);
        zs_msg_fini(&event);
    }
    if (rc == 0 && reply.type != ZS_MSG_WAIT_OK) {
        zs_error_set(&err, 0, "unexpected reply %s to submit from '%s'",
                     zs_msg_type_name(reply.type), zs_client_endpoint(self->client));
        rc = -1;
    }
    int code;
    if (rc == 0) {
        code = zs_ctl_follow_end(follow, &reply);
    } else {
        zs_ctl_follow_stop(follow);
        code = zs_ctl_outcome(self, rc, &reply, &err);
    }
    zs_msg_fini(&reply);
    return code;
}

static void
s_print_submitted(zs_ctl_run_t *self, const zs_msg_t *reply)
{
    if (self->json) {
        zs_msg_print_json(reply, self->io->out);
        return;
    }
    fprintf(self->io->out, "%s\n", reply->task);
    if (reply->dup) {
        zs_ctl_say(self, 0, "task '%s' exists already: not submitted again", reply->task);
    }
}

static int
s_submit(zs_ctl_run_t *self, zs_msg_t *request)
{
    //  Without --timeout, submit.ok still has the default to arrive: only the wait
    //  for the task's end may last forever
    int64_t deadline =
        self->timeout.set ? zclock_mono() + self->timeout.value : ZS_CLIENT_FOREVER;
    int64_t ack_timeout = self->timeout.set ? self->timeout.value : ZS_CTL_TIMEOUT_MS;
    //  Subscribed before submitting: the task's first events may come before submit.ok
    //  (they wait in the socket until its id is known)
    zs_ctl_follow_t follow;
    if (zs_ctl_follow_init(&follow, self) != 0) {
        zs_ctl_follow_fini(&follow);
        return ZS_CTL_EXIT_USAGE;
    }
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_INVALID);
    int code = zs_ctl_request(self, request, &reply, ack_timeout);
    if (code == ZS_CTL_EXIT_OK) {
        if (self->wait) {
            snprintf(follow.task, sizeof follow.task, "%s", reply.task);
        } else {
            s_print_submitted(self, &reply);
        }
        zs_msg_fini(&reply);
        if (self->wait) {
            code = s_submit_wait(self, request->rid, deadline, &follow);
        }
    }
    zs_ctl_follow_fini(&follow);
    return code;
}

int
zs_ctl_submit_run(zs_ctl_run_t *self)
{
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_SUBMIT);
    request.ttype = self->type;
    request.task = self->id;
    request.pri = self->priority.value;
    request.tmo = self->task_timeout.set ? (uint64_t) self->task_timeout.value : 0;
    request.tries = self->retries.set ? (uint64_t) self->retries.value + 1 : 0;
    request.wait = self->wait;
    request.payload = self->payload_data;
    request.payload_size = self->payload_size;
    request.deps = (zs_msg_list_t){self->dep_names.names, self->dep_names.count};
    request.inputs = (zs_msg_list_t){self->input_names.names, self->input_names.count};
    request.requires =
        (zs_msg_list_t){self->require_names.names, self->require_names.count};
    request.strategy = self->strategy;
    request.agent = self->agent;
    request.items = (zs_msg_bins_t){self->items.bins, self->items.count};
    request.agg = self->agg;
    return s_submit(self, &request);
}

//  --deps, --inputs and --requires, split and checked
static int
s_check_names(zs_ctl_run_t *self)
{
    zs_error_t err;
    if (self->deps &&
        zs_names_split(&self->dep_names, self->deps, ZS_MSG_DEPS_MAX, &err) != 0) {
        return zs_ctl_say(self, -1, "--deps: %s", err.text);
    }
    if (self->inputs && zs_names_split(&self->input_names, self->inputs,
                                       ZS_MSG_INPUTS_MAX, &err) != 0) {
        return zs_ctl_say(self, -1, "--inputs: %s", err.text);
    }
    if (self->requires && zs_names_split(&self->require_names, self->requires,
                                         ZS_MSG_LIST_MAX, &err) != 0) {
        return zs_ctl_say(self, -1, "--requires: %s", err.text);
    }
    if (self->strategy && zs_ctl_check_id(self, "--strategy", self->strategy) != 0) {
        return -1;
    }
    if (self->agent && zs_ctl_check_id(self, "--agent", self->agent) != 0) {
        return -1;
    }
    return 0;
}

//  --each FILE with --agg T: the items, read where they enter
static int
s_check_fan_out(zs_ctl_run_t *self)
{
    if (!self->each != !self->agg) {
        return zs_ctl_say(self, -1, "--each and --agg go together");
    }
    if (!self->each) {
        return 0;
    }
    if (self->payload || self->payload_file) {
        return zs_ctl_say(self, -1,
                          "--each takes the payloads from its file: no --payload");
    }
    if (s_check_type(self, self->agg) != 0) {
        return -1;
    }
    bool stdin_ = strcmp(self->each, "-") == 0;
    FILE *file = stdin_ ? self->io->in : fopen(self->each, "rb");
    if (!file) {
        return zs_ctl_say(self, -1, "--each: cannot open '%s': %s", self->each,
                          strerror(errno));
    }
    zs_error_t err;
    int rc = zs_items_read(&self->items, file, &err);
    if (!stdin_) {
        fclose(file);
    }
    return rc ? zs_ctl_say(self, -1, "--each: '%s': %s", self->each, err.text) : 0;
}

//  Checks of submit's options beyond what the option table can say
int
zs_ctl_submit_check(zs_ctl_run_t *self)
{
    if (s_check_type(self, self->type) != 0) {
        return -1;
    }
    if ((self->follow || self->events) && !self->wait) {
        return zs_ctl_say(self, -1, "%s: only with --wait",
                          self->follow ? "--follow" : "--events");
    }
    if (self->id && zs_ctl_check_id(self, "--id", self->id) != 0) {
        return -1;
    }
    if (s_check_names(self) != 0 || s_check_fan_out(self) != 0) {
        return -1;
    }
    return zs_ctl_read_payload(self, &self->payload_data, &self->payload_size);
}
