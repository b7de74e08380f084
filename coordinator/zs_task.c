//  zs_task - see zs_task.h

#include "zs_task.h"

#include <stdlib.h>
#include <string.h>

#define ZS_TASK_NONE ((zs_task_state_t) -1)  //  no transition

//  The whole life of a task: next state for (state, event), ZS_TASK_NONE where refused
static const zs_task_state_t s_next[ZS_TASK_STATE_COUNT][ZS_TASK_EVENT_COUNT] = {
    //                  ASSIGN            START            SUCCEED            FAIL
    //                  RETRY             GIVE_UP          CANCEL
    [ZS_TASK_READY] = {ZS_TASK_ASSIGNED, ZS_TASK_NONE, ZS_TASK_NONE, ZS_TASK_NONE,
                       ZS_TASK_NONE, ZS_TASK_NONE, ZS_TASK_CANCELLED},
    [ZS_TASK_ASSIGNED] = {ZS_TASK_NONE, ZS_TASK_RUNNING, ZS_TASK_COMPLETED,
                          ZS_TASK_FAILED, ZS_TASK_NONE, ZS_TASK_NONE, ZS_TASK_CANCELLED},
    [ZS_TASK_RUNNING] = {ZS_TASK_NONE, ZS_TASK_NONE, ZS_TASK_COMPLETED, ZS_TASK_FAILED,
                         ZS_TASK_NONE, ZS_TASK_NONE, ZS_TASK_CANCELLED},
    [ZS_TASK_COMPLETED] = {ZS_TASK_NONE, ZS_TASK_NONE, ZS_TASK_NONE, ZS_TASK_NONE,
                           ZS_TASK_NONE, ZS_TASK_NONE, ZS_TASK_NONE},
    [ZS_TASK_FAILED] = {ZS_TASK_NONE, ZS_TASK_NONE, ZS_TASK_NONE, ZS_TASK_NONE,
                        ZS_TASK_READY, ZS_TASK_DEAD, ZS_TASK_NONE},
    [ZS_TASK_DEAD] = {ZS_TASK_NONE, ZS_TASK_NONE, ZS_TASK_NONE, ZS_TASK_NONE,
                      ZS_TASK_NONE, ZS_TASK_NONE, ZS_TASK_NONE},
    [ZS_TASK_CANCELLED] = {ZS_TASK_NONE, ZS_TASK_NONE, ZS_TASK_NONE, ZS_TASK_NONE,
                           ZS_TASK_NONE, ZS_TASK_NONE, ZS_TASK_NONE},
};

static const char *s_state_names[ZS_TASK_STATE_COUNT] = {
    "ready", "assigned", "running", "completed", "failed", "dead", "cancelled",
};

static const zs_msg_type_t s_state_events[ZS_TASK_STATE_COUNT] = {
    ZS_MSG_EV_TASK_READY,     ZS_MSG_EV_TASK_ASSIGNED, ZS_MSG_EV_TASK_RUNNING,
    ZS_MSG_EV_TASK_COMPLETED, ZS_MSG_EV_TASK_FAILED,   ZS_MSG_EV_TASK_DEAD,
    ZS_MSG_EV_TASK_CANCELLED,
};

static uint8_t *
s_bytes_dup(const uint8_t *data, size_t size)
{
    if (!data) {
        return NULL;
    }
    uint8_t *copy = zs_malloc(size);
    memcpy(copy, data, size);
    return copy;
}

zs_task_t *
zs_task_new(const char *id,
            const zs_msg_t *submit,
            unsigned tmo_ms,
            unsigned tries,
            uint64_t order)
{
    assert(id);
    assert(submit);
    assert(submit->ttype);
    zs_task_t *self = zs_calloc(1, sizeof *self);
    snprintf(self->id, sizeof self->id, "%s", id);
    self->ttype = zs_strdup(submit->ttype);
    self->payload = s_bytes_dup(submit->payload, submit->payload_size);
    self->payload_size = submit->payload_size;
    self->pri = submit->pri;
    self->order = order;
    self->tmo_ms = tmo_ms;
    self->tries = tries;
    self->state = ZS_TASK_READY;
    self->heap_index = SIZE_MAX;
    return self;
}

static void
s_result_purge(zs_task_result_t *result)
{
    free(result->status);
    free(result->out);
    free(result->err);
    free(result->why);
    memset(result, 0, sizeof *result);
}

void
zs_task_destroy(zs_task_t **self_p)
{
    assert(self_p);
    zs_task_t *self = *self_p;
    if (!self) {
        return;
    }
    assert(!self->waiters);
    free(self->ttype);
    free(self->payload);
    free(self->agent_id);
    s_result_purge(&self->result);
    free(self);
    *self_p = NULL;
}

int
zs_task_apply(zs_task_t *self, zs_task_event_t event)
{
    assert(self);
    assert(event < ZS_TASK_EVENT_COUNT);
    zs_task_state_t next = s_next[self->state][event];
    if (next == ZS_TASK_NONE) {
        return -1;
    }
    self->state = next;
    return 0;
}

bool
zs_task_is_final(const zs_task_t *self)
{
    return self->state == ZS_TASK_COMPLETED || self->state == ZS_TASK_DEAD ||
           self->state == ZS_TASK_CANCELLED;
}

void
zs_task_set_result(zs_task_t *self, const zs_msg_t *result)
{
    s_result_purge(&self->result);
    self->result.status = result->status ? zs_strdup(result->status) : NULL;
    self->result.exit = result->exit;
    self->result.out = s_bytes_dup(result->out, result->out_size);
    self->result.out_size = result->out_size;
    self->result.err = s_bytes_dup(result->err, result->err_size);
    self->result.err_size = result->err_size;
    self->result.why = result->why ? zs_strdup(result->why) : NULL;
}

void
zs_task_set_outcome(zs_task_t *self, const char *status, const char *why)
{
    s_result_purge(&self->result);
    self->result.status = zs_strdup(status);
    self->result.why = zs_strdup(why);
}

const char *
zs_task_state_name(zs_task_state_t state)
{
    return state < ZS_TASK_STATE_COUNT ? s_state_names[state] : "invalid";
}

int
zs_task_state_from_name(const char *name)
{
    for (int state = 0; state < ZS_TASK_STATE_COUNT; state++) {
        if (strcmp(s_state_names[state], name) == 0) {
            return state;
        }
    }
    return -1;
}

zs_msg_type_t
zs_task_state_event(zs_task_state_t state)
{
    return state < ZS_TASK_STATE_COUNT ? s_state_events[state] : ZS_MSG_INVALID;
}

void
zs_task_describe(const zs_task_t *self, zs_msg_t *msg)
{
    msg->task = self->id;
    msg->ttype = self->ttype;
    msg->state = s_state_names[self->state];
    msg->att = self->att;
    msg->agent = self->agent_id;
    msg->pri = self->pri;
    msg->tmo = self->tmo_ms;
    msg->tries = self->tries;
    msg->status = self->result.status;
    msg->exit = self->result.exit;
    msg->out = self->result.out;
    msg->out_size = self->result.out_size;
    msg->err = self->result.err;
    msg->err_size = self->result.err_size;
    msg->why = self->result.why;
    msg->ended = (uint64_t) self->ended_ms;
}

bool
zs_task_id_valid(const char *id)
{
    size_t len = strlen(id);
    if (len == 0 || len > ZS_MSG_NAME_MAX) {
        return false;
    }
    return strspn(id,
                  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") ==
           len;
}
