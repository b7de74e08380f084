//  zs_test_sink - what a handler test puts in the runtime's place: a zloop, a sink that
//  keeps copies of what the handler reports, and a run until enough results are in

#ifndef ZS_TEST_SINK_H
#define ZS_TEST_SINK_H

#include <czmq.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "agent/zs_handler.h"

#define ZS_TEST_SINK_RESULTS  32     //  results one case may collect
#define ZS_TEST_SINK_PROGRESS 256    //  task.progress messages kept
#define ZS_TEST_SINK_WAIT_MS  10000  //  a case whose results are not in by then fails

//  A copy of one task.result
typedef struct {
    char task[ZS_MSG_NAME_MAX + 1];  //  task id
    uint64_t att;                    //  attempt
    char status[16];                 //  ok|fail|timeout|cancelled
    char *out;                       //  owned: stdout, NUL-terminated
    size_t out_size;                 //  its length
    char why[ZS_MSG_TEXT_MAX];       //  why, or ""
} zs_test_result_t;

//  A copy of one task.progress
typedef struct {
    uint64_t pct;                //  percent
    char note[ZS_MSG_TEXT_MAX];  //  its note
    int64_t at_ms;               //  zclock_mono when it was sent
} zs_test_progress_t;

typedef struct {
    zloop_t *loop;                                       //  owned
    size_t started;                                      //  `started` reports
    zs_test_result_t results[ZS_TEST_SINK_RESULTS];      //  `finished` reports
    size_t count;                                        //  results in
    size_t expected;                                     //  the loop stops at this
    zs_test_progress_t progress[ZS_TEST_SINK_PROGRESS];  //  task.progress sent
    size_t progress_count;                               //  their number
    size_t sent_other;                                   //  other messages sent
} zs_test_sink_t;

static inline int
zs_test_sink_stop(zloop_t *loop, int timer_id, void *arg)
{
    return -1;
}

static inline void
zs_test_sink_on_started(void *owner, const char *task, uint64_t att)
{
    zs_test_sink_t *self = owner;
    self->started++;
}

static inline void
zs_test_sink_on_finished(void *owner, const zs_msg_t *msg)
{
    zs_test_sink_t *self = owner;
    assert(self->count < ZS_TEST_SINK_RESULTS);
    zs_test_result_t *result = &self->results[self->count++];
    snprintf(result->task, sizeof result->task, "%s", msg->task);
    result->att = msg->att;
    snprintf(result->status, sizeof result->status, "%s", msg->status);
    result->out = zs_malloc(msg->out_size + 1);
    if (msg->out_size) {
        memcpy(result->out, msg->out, msg->out_size);
    }
    result->out[msg->out_size] = '\0';
    result->out_size = msg->out_size;
    snprintf(result->why, sizeof result->why, "%s", msg->why ? msg->why : "");
    if (self->count == self->expected) {
        //  A handler's callback cannot end the loop; a timer firing next round can
        zloop_timer(self->loop, 0, 1, zs_test_sink_stop, NULL);
    }
}

static inline int
zs_test_sink_on_send(void *owner, const zs_msg_t *msg)
{
    zs_test_sink_t *self = owner;
    if (msg->type == ZS_MSG_TASK_PROGRESS &&
        self->progress_count < ZS_TEST_SINK_PROGRESS) {
        zs_test_progress_t *progress = &self->progress[self->progress_count++];
        progress->pct = msg->pct;
        snprintf(progress->note, sizeof progress->note, "%s", msg->note ? msg->note : "");
        progress->at_ms = zclock_mono();
    } else {
        self->sent_other++;
    }
    return 0;
}

static inline void
zs_test_sink_init(zs_test_sink_t *self)
{
    memset(self, 0, sizeof *self);
    self->loop = zloop_new();
}

static inline zs_handler_sink_t
zs_test_sink_ops(zs_test_sink_t *self)
{
    zs_handler_sink_t sink = {self, zs_test_sink_on_started, zs_test_sink_on_finished,
                              zs_test_sink_on_send};
    return sink;
}

static inline void
zs_test_sink_fini(zs_test_sink_t *self)
{
    zloop_destroy(&self->loop);
    for (size_t i = 0; i < self->count; i++) {
        free(self->results[i].out);
    }
}

//  Run the loop until `expected` results are in or the deadline passed
static inline void
zs_test_sink_run(zs_test_sink_t *self, size_t expected)
{
    self->expected = expected;
    if (self->count < expected) {
        int deadline =
            zloop_timer(self->loop, ZS_TEST_SINK_WAIT_MS, 1, zs_test_sink_stop, NULL);
        zloop_start(self->loop);
        zloop_timer_end(self->loop, deadline);
    }
}

//  Run the loop for ms, whatever happens
static inline void
zs_test_sink_idle(zs_test_sink_t *self, size_t ms)
{
    int timer = zloop_timer(self->loop, ms, 1, zs_test_sink_stop, NULL);
    zloop_start(self->loop);
    zloop_timer_end(self->loop, timer);
}

//  A task.assign of task id with payload (a C string) and tmo
static inline zs_msg_t
zs_test_sink_assign(const char *task, const char *payload, uint64_t tmo)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_TASK_ASSIGN);
    msg.task = task;
    msg.ttype = "fetch";
    msg.att = 1;
    msg.payload = (const uint8_t *) payload;
    msg.payload_size = payload ? strlen(payload) : 0;
    msg.tmo = tmo;
    return msg;
}

#endif
