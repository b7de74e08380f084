//  zs_taskctl_chan - zswarm-task's side of the task's channel; see zs_taskctl_private.h

#include "task/zs_taskctl_private.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#define ZS_TASKCTL_FD_ENV "ZSWARM_TASK_FD"  //  the channel's fd
#define ZS_TASKCTL_READ   (64u << 10)       //  bytes asked of one read

//  ---- the channel ---------------------------------------------------------------------

//  Find the channel our task was given
static int
s_connect(zs_taskctl_run_t *self)
{
    const char *env = getenv(ZS_TASKCTL_FD_ENV);
    if (!env || !*env) {
        return zs_taskctl_say(self, ZS_TASKCTL_EXIT_REFUSED,
                              "not inside a zswarm exec task (%s is not set)",
                              ZS_TASKCTL_FD_ENV);
    }
    char *end;
    errno = 0;
    long fd = strtol(env, &end, 10);
    if (errno || *end || fd < 0 || fd > INT32_MAX || fcntl((int) fd, F_GETFD) < 0) {
        return zs_taskctl_say(self, ZS_TASKCTL_EXIT_REFUSED,
                              "%s='%.32s' is not an open channel", ZS_TASKCTL_FD_ENV,
                              env);
    }
    self->fd = (int) fd;
    return ZS_TASKCTL_EXIT_OK;
}

static int
s_closed(zs_taskctl_run_t *self)
{
    return zs_taskctl_say(
        self, ZS_TASKCTL_EXIT_REFUSED,
        "the task's channel is closed: its attempt ended or was cancelled");
}

//  Send request; when it gets a reply, read frames until ours and leave it in reply
//  (the caller finishes it). Returns a zs_taskctl_exit_t.
static int
s_ask(zs_taskctl_run_t *self, zs_msg_t *request, zs_msg_t *reply)
{
    //  Our pid tells our reply from one for another process of the task
    request->rid = (uint64_t) getpid();
    zs_frame_buf_init(&self->buf);
    int code = ZS_TASKCTL_EXIT_OK;
    if (zs_frame_put(&self->buf, request) != 0) {
        code = zs_taskctl_say(self, ZS_TASKCTL_EXIT_USAGE,
                              "'%s' cannot be encoded (a bound?)",
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
            code =
                zs_taskctl_say(self, ZS_TASKCTL_EXIT_REFUSED, "bad reply: %s", err.text);
        } else {
            ssize_t got = zs_frame_fill(&self->buf, self->fd, ZS_TASKCTL_READ);
            code = got == 0 || (got < 0 && errno != EINTR) ? s_closed(self) : code;
        }
    }
    zs_frame_buf_fini(&self->buf);
    return code;
}

//  Send request and print a refusal; on ZS_TASKCTL_EXIT_OK the caller owns reply
int
zs_taskctl_request(zs_taskctl_run_t *self, zs_msg_t *request, zs_msg_t *reply)
{
    zs_msg_init(reply, ZS_MSG_INVALID);
    int code = s_connect(self);
    code = code ? code : s_ask(self, request, reply);
    if (code == ZS_TASKCTL_EXIT_OK && reply->type == ZS_MSG_ERROR) {
        if (self->json) {
            zs_msg_print_json(reply, self->io->out);
        }
        char why[ZS_MSG_TEXT_MAX * 4 + 1];
        code = zs_taskctl_say(self, ZS_TASKCTL_EXIT_REFUSED,
                              "refused (error %" PRIu64 "): %s", reply->code,
                              zs_sanitize_str(why, sizeof why, reply->why));
        zs_msg_fini(reply);
    }
    return code;
}

//  A request that gets no reply: it is done once the agent has it
int
zs_taskctl_tell(zs_taskctl_run_t *self, zs_msg_t *request)
{
    int code = s_connect(self);
    return code ? code : s_ask(self, request, NULL);
}

//  Print reply (as JSON with --json, else by print), finish it, return OK
int
zs_taskctl_show(zs_taskctl_run_t *self,
                zs_msg_t *reply,
                void (*print)(zs_taskctl_run_t *self, const zs_msg_t *reply))
{
    if (self->json) {
        zs_msg_print_json(reply, self->io->out);
    } else if (print) {
        print(self, reply);
    }
    zs_msg_fini(reply);
    return ZS_TASKCTL_EXIT_OK;
}
