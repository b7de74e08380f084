//  zs_chan - see zs_chan.h

#include "agent/zs_chan.h"
#include "proto/zs_frame.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ZS_CHAN_READ_SIZE (64u << 10)  //  bytes asked of one read
#define ZS_CHAN_READS_MAX 16           //  reads per callback: no channel starves others

//  What the agent fills in of a forwarded request, whatever the task put there
typedef enum {
    S_FILL_NONE = 0,
    S_FILL_ATTEMPT = 1,  //  task and att: the asking attempt's
    S_FILL_PARENT = 2,   //  parent: the asking attempt's task
} s_fill_t;

typedef struct _s_chan s_chan_t;

//  How a request that comes on a channel is served
typedef struct {
    bool forward;   //  sent on to the coordinator under the agent's session
    bool reply;     //  the coordinator answers it (with our rid); else nothing comes
    s_fill_t fill;  //  what the agent fills in
    bool lends;     //  the asking attempt's slot is lent until the reply (a wait)
    //  served by the agent itself, or NULL
    void (*local)(zs_chan_t *self, s_chan_t *chan, const zs_msg_t *msg);
} s_route_t;

static void s_inbox_ask(zs_chan_t *self, s_chan_t *chan, const zs_msg_t *msg);

//  The one place that says what a task may ask for; any other type is error 3
static const s_route_t s_routes[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_TASK_PROGRESS] = {true, false, S_FILL_ATTEMPT, false, NULL},
    [ZS_MSG_TASK_CHECKPOINT] = {true, true, S_FILL_ATTEMPT, false, NULL},
    [ZS_MSG_SUBMIT] = {true, true, S_FILL_PARENT, false, NULL},
    [ZS_MSG_WAIT] = {true, true, S_FILL_PARENT, true, NULL},
    [ZS_MSG_CANCEL] = {true, true, S_FILL_PARENT, false, NULL},
    [ZS_MSG_TASK] = {true, true, S_FILL_NONE, false, NULL},
    [ZS_MSG_MEM_GET] = {true, true, S_FILL_NONE, false, NULL},
    [ZS_MSG_MEM_PUT] = {true, true, S_FILL_NONE, false, NULL},
    [ZS_MSG_MEM_DEL] = {true, true, S_FILL_NONE, false, NULL},
    [ZS_MSG_MEM_QUERY] = {true, true, S_FILL_NONE, false, NULL},
    [ZS_MSG_MEM_DEPOSIT] = {true, true, S_FILL_NONE, false, NULL},
    [ZS_MSG_MSG_SEND] = {true, false, S_FILL_NONE, false, NULL},
    [ZS_MSG_MSG_SHARE] = {true, false, S_FILL_NONE, false, NULL},
    [ZS_MSG_VOTE_PROPOSE] = {true, true, S_FILL_NONE, false, NULL},
    [ZS_MSG_VOTE_CAST] = {true, true, S_FILL_NONE, false, NULL},
    [ZS_MSG_VOTE_STATUS] = {true, true, S_FILL_NONE, false, NULL},
    [ZS_MSG_INBOX] = {false, false, S_FILL_NONE, false, s_inbox_ask},
};

//  One attempt's channel
struct _s_chan {
    char task[ZS_MSG_NAME_MAX + 1];  //  the attempt's task id
    uint64_t att;                    //  and attempt number
    int fd;                          //  our end, non-blocking
    zs_frame_buf_t in;               //  bytes read, not yet whole frames
    zs_frame_buf_t out;              //  replies not yet written
    bool polling_out;                //  the poller also waits for room to write
    size_t pending;                  //  its requests awaiting replies
    size_t lent;                     //  of those, waits that lend its slot
    bool inbox_wait;                 //  an `inbox` with wait is unanswered
    uint64_t inbox_rid;              //  its rid
    const char *broken;              //  why it must close, once the callback ends
    void *handle;                    //  its node in the hub's list
};

//  A forwarded request awaiting its reply
typedef struct {
    uint64_t rid;                    //  ours, on the agents socket
    uint64_t asked;                  //  the task's, echoed back (0: none)
    char task[ZS_MSG_NAME_MAX + 1];  //  the asking attempt
    uint64_t att;                    //  its number
    bool lends;                      //  a wait lending the attempt's slot
    int replies;                     //  replies still due (a submit with wait: 2)
} s_pending_t;

//  A message kept for the tasks
typedef struct {
    char from[ZS_MSG_NAME_MAX + 1];  //  the sending agent; "" for a broadcast
    uint8_t *data;                   //  owned payload; NULL when empty
    size_t size;                     //  its length
} s_note_t;

struct _zs_chan_t {
    zloop_t *loop;           //  borrowed: polls the channels
    zs_handler_sink_t sink;  //  its send forwards requests
    zlistx_t *chans;         //  s_chan_t, owned (freed by this module)
    zlistx_t *pending;       //  s_pending_t, owned (destructor)
    zlistx_t *inbox;         //  s_note_t, owned (freed by this module), oldest first
    size_t inbox_bytes;      //  payload bytes the inbox holds
    uint64_t rid_next;       //  the next forwarded request's rid
    zs_ratelimit_t limit;    //  for logs a task can trigger
};

//  ---- finding channels ----------------------------------------------------------------

static s_chan_t *
s_chan_by_attempt(zs_chan_t *self, const char *task, uint64_t att)
{
    s_chan_t *chan = zlistx_first(self->chans);
    while (chan && !(chan->att == att && streq(chan->task, task))) {
        chan = zlistx_next(self->chans);
    }
    return chan;
}

static s_chan_t *
s_chan_by_fd(zs_chan_t *self, int fd)
{
    s_chan_t *chan = zlistx_first(self->chans);
    while (chan && chan->fd != fd) {
        chan = zlistx_next(self->chans);
    }
    return chan;
}

//  ---- writing to a task ---------------------------------------------------------------

static int s_on_io(zloop_t *loop, zmq_pollitem_t *item, void *arg);

static void
s_poll(zs_chan_t *self, s_chan_t *chan, bool out)
{
    zmq_pollitem_t item = {NULL, chan->fd, (short) (ZMQ_POLLIN | (out ? ZMQ_POLLOUT : 0)),
                           0};
    zloop_poller_end(self->loop, &item);
    //  Fails only on OOM, where czmq aborts
    zloop_poller(self->loop, &item, s_on_io, self);
    zloop_poller_set_tolerant(self->loop, &item);
    chan->polling_out = out;
}

//  Write what the task takes now; wait for room for the rest
static void
s_flush(zs_chan_t *self, s_chan_t *chan)
{
    ssize_t left = zs_frame_flush(&chan->out, chan->fd);
    if (left < 0) {
        chan->broken = "the task closed its end";
    } else if ((left > 0) != chan->polling_out) {
        s_poll(self, chan, left > 0);
    }
}

static void
s_put(zs_chan_t *self, s_chan_t *chan, const zs_msg_t *msg)
{
    if (zs_frame_held(&chan->out) > ZS_CHAN_OUT_MAX) {
        chan->broken = "the task does not read its replies";
    } else if (zs_frame_put(&chan->out, msg) == 0) {
        s_flush(self, chan);
    }
}

static void
s_refuse(zs_chan_t *self, s_chan_t *chan, uint64_t rid, uint64_t code, const char *why)
{
    zs_msg_t error;
    zs_msg_init(&error, ZS_MSG_ERROR);
    error.rid = rid;
    error.code = code;
    error.why = why;
    s_put(self, chan, &error);
}

//  ---- closing -------------------------------------------------------------------------

static void
s_pending_free(void **item)
{
    free(*item);
    *item = NULL;
}

static void
s_note_free(void **item)
{
    s_note_t *note = *item;
    if (note) {
        free(note->data);
        free(note);
        *item = NULL;
    }
}

//  Forget the requests of chan: their replies are dropped when they come
static void
s_pending_drop(zs_chan_t *self, const s_chan_t *chan)
{
    s_pending_t *pending = zlistx_first(self->pending);
    while (pending) {
        void *handle = zlistx_cursor(self->pending);
        bool ours = pending->att == chan->att && streq(pending->task, chan->task);
        pending = zlistx_next(self->pending);
        if (ours) {
            zlistx_delete(self->pending, handle);
        }
    }
}

static void
s_chan_free(zs_chan_t *self, s_chan_t *chan, const char *why)
{
    if (why) {
        uint64_t suppressed = 0;
        if (zs_ratelimit_allow(&self->limit, &suppressed)) {
            char task[ZS_MSG_NAME_MAX * 4 + 1];
            zsys_warning("task '%s' attempt %" PRIu64 ": channel closed: %s (%" PRIu64
                         " similar suppressed)",
                         zs_sanitize_str(task, sizeof task, chan->task), chan->att, why,
                         suppressed);
        }
    }
    zmq_pollitem_t item = {NULL, chan->fd, 0, 0};
    zloop_poller_end(self->loop, &item);
    close(chan->fd);
    s_pending_drop(self, chan);
    zs_frame_buf_fini(&chan->in);
    zs_frame_buf_fini(&chan->out);
    zlistx_delete(self->chans, chan->handle);
    free(chan);
}

//  ---- the inbox -----------------------------------------------------------------------

//  Answer an `inbox`: the message from `from` ("" for a broadcast, NULL: none)
static void
s_inbox_reply(zs_chan_t *self,
              s_chan_t *chan,
              uint64_t rid,
              const char *from,
              const uint8_t *data,
              size_t size)
{
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_INBOX_OK);
    reply.rid = rid;
    if (from) {
        reply.agent = *from ? from : NULL;
        reply.broadcast = !*from;
        //  An empty message is still a message: its bin is present, of size 0
        reply.payload = data ? data : (const uint8_t *) "";
        reply.payload_size = size;
    }
    reply.count = zlistx_size(self->inbox);
    s_put(self, chan, &reply);
}

static void
s_inbox_ask(zs_chan_t *self, s_chan_t *chan, const zs_msg_t *msg)
{
    s_note_t *note = zlistx_first(self->inbox);
    if (note) {
        zlistx_detach_cur(self->inbox);
        self->inbox_bytes -= note->size;
        s_inbox_reply(self, chan, msg->rid, note->from, note->data, note->size);
        s_note_free((void **) &note);
    } else if (msg->wait) {
        chan->inbox_wait = true;
        chan->inbox_rid = msg->rid;
    } else {
        s_inbox_reply(self, chan, msg->rid, NULL, NULL, 0);
    }
}

//  A message (a msg, or a broadcast) for our tasks: to one that waits for it, else kept
//  while room is left
static void
s_inbox_add(zs_chan_t *self, const zs_msg_t *msg)
{
    s_note_t note = {.from = "", .data = NULL, .size = msg->payload_size};
    if (msg->type == ZS_MSG_MSG) {
        zs_sanitize_str(note.from, sizeof note.from, msg->agent);
    }
    s_chan_t *chan = zlistx_first(self->chans);
    while (chan && !chan->inbox_wait) {
        chan = zlistx_next(self->chans);
    }
    if (chan) {
        chan->inbox_wait = false;
        s_inbox_reply(self, chan, chan->inbox_rid, note.from, msg->payload, note.size);
        if (chan->broken) {
            s_chan_free(self, chan, chan->broken);
        }
        return;
    }
    if (zlistx_size(self->inbox) >= ZS_CHAN_INBOX_MAX ||
        self->inbox_bytes + note.size > ZS_CHAN_INBOX_BYTES) {
        uint64_t suppressed = 0;
        if (zs_ratelimit_allow(&self->limit, &suppressed)) {
            bool from = *note.from;
            zsys_warning("inbox full (%zu messages, %zu bytes): %s%s%s dropped "
                         "(%" PRIu64 " similar suppressed)",
                         zlistx_size(self->inbox), self->inbox_bytes,
                         from ? "message from '" : "a broadcast", note.from,
                         from ? "'" : "", suppressed);
        }
        return;
    }
    s_note_t *kept = zs_malloc(sizeof *kept);
    *kept = note;
    if (note.size > 0) {
        kept->data = zs_malloc(note.size);
        memcpy(kept->data, msg->payload, note.size);
    }
    zlistx_add_end(self->inbox, kept);
    self->inbox_bytes += note.size;
}

//  ---- requests ------------------------------------------------------------------------

static void
s_forward(zs_chan_t *self, s_chan_t *chan, const s_route_t *route, zs_msg_t *msg)
{
    if (route->reply && chan->pending >= ZS_CHAN_PENDING_MAX) {
        char why[ZS_MSG_TEXT_MAX];
        snprintf(why, sizeof why, "more than %d requests of this task await replies",
                 ZS_CHAN_PENDING_MAX);
        s_refuse(self, chan, msg->rid, ZS_ERR_LIMIT, why);
        return;
    }
    if (route->fill & S_FILL_ATTEMPT) {
        msg->task = chan->task;
        msg->att = chan->att;
    }
    if (route->fill & S_FILL_PARENT) {
        msg->parent = chan->task;
    }
    uint64_t asked = msg->rid;
    msg->rid = route->reply ? self->rid_next++ : 0;
    if (self->sink.send(self->sink.owner, msg) != 0) {
        //  The session is down: no reply would come, and the task must not wait for one
        if (route->reply) {
            s_refuse(self, chan, asked, ZS_ERR_NOT_REGISTERED,
                     "the agent has no session with the coordinator now (it is "
                     "reconnecting): try again");
        }
        return;
    }
    if (route->reply) {
        s_pending_t *pending = zs_calloc(1, sizeof *pending);
        pending->rid = msg->rid;
        pending->asked = asked;
        memcpy(pending->task, chan->task, sizeof pending->task);
        pending->att = chan->att;
        pending->lends = route->lends;
        //  A submit with wait gets its wait.ok under the same rid
        pending->replies = msg->type == ZS_MSG_SUBMIT && msg->wait ? 2 : 1;
        zlistx_add_end(self->pending, pending);
        chan->pending++;
        chan->lent += route->lends;
    }
}

static void
s_request(zs_chan_t *self, s_chan_t *chan, zs_msg_t *msg)
{
    const s_route_t *route = &s_routes[msg->type];
    if (route->local) {
        route->local(self, chan, msg);
    } else if (route->forward) {
        s_forward(self, chan, route, msg);
    } else {
        char why[ZS_MSG_TEXT_MAX];
        snprintf(why, sizeof why, "a task may not send '%s' on its channel",
                 zs_msg_type_name(msg->type));
        s_refuse(self, chan, msg->rid, ZS_ERR_UNKNOWN_TYPE, why);
    }
}

//  Serve the whole frames read so far
static void
s_requests(zs_chan_t *self, s_chan_t *chan)
{
    while (!chan->broken) {
        zs_msg_t msg;
        zs_error_t err;
        zs_msg_init(&msg, ZS_MSG_INVALID);
        int rc = zs_frame_take(&chan->in, &msg, &err);
        if (rc == ZS_FRAME_MORE) {
            return;
        }
        if (rc < 0) {
            chan->broken = "broken stream (bad frame length)";
        } else if (rc == ZS_FRAME_BAD_MSG) {
            s_refuse(self, chan, msg.rid, (uint64_t) err.code, err.text);
        } else {
            s_request(self, chan, &msg);
            zs_msg_fini(&msg);
        }
    }
}

static void
s_read(zs_chan_t *self, s_chan_t *chan)
{
    for (int i = 0; i < ZS_CHAN_READS_MAX && !chan->broken; i++) {
        ssize_t got = zs_frame_fill(&chan->in, chan->fd, ZS_CHAN_READ_SIZE);
        if (got == 0) {
            //  Every process of the task closed its end: nothing more can come
            chan->broken = "";
        } else if (got < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                chan->broken = "cannot read";
            }
            return;
        }
        s_requests(self, chan);
    }
}

static int
s_on_io(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    zs_chan_t *self = arg;
    s_chan_t *chan = s_chan_by_fd(self, item->fd);
    if (!chan) {
        return 0;  //  closed earlier this round
    }
    if (item->revents & ZMQ_POLLOUT) {
        s_flush(self, chan);
    }
    if (item->revents & (ZMQ_POLLIN | ZMQ_POLLERR)) {
        s_read(self, chan);
    }
    if (chan->broken) {
        s_chan_free(self, chan, chan->broken[0] ? chan->broken : NULL);
    }
    return 0;
}

//  ---- the hub -------------------------------------------------------------------------

zs_chan_t *
zs_chan_new(zloop_t *loop, const zs_handler_sink_t *sink)
{
    assert(loop);
    assert(sink);
    zs_chan_t *self = zs_calloc(1, sizeof *self);
    self->loop = loop;
    self->sink = *sink;
    self->chans = zlistx_new();
    self->pending = zlistx_new();
    zlistx_set_destructor(self->pending, s_pending_free);
    self->inbox = zlistx_new();
    zlistx_set_destructor(self->inbox, s_note_free);
    self->rid_next = 1;
    return self;
}

void
zs_chan_destroy(zs_chan_t **self_p)
{
    assert(self_p);
    zs_chan_t *self = *self_p;
    if (self) {
        s_chan_t *chan;
        while ((chan = zlistx_first(self->chans))) {
            s_chan_free(self, chan, NULL);
        }
        zlistx_destroy(&self->chans);
        zlistx_destroy(&self->pending);
        zlistx_destroy(&self->inbox);
        free(self);
        *self_p = NULL;
    }
}

int
zs_chan_open(zs_chan_t *self, const char *task, uint64_t att)
{
    assert(self);
    assert(task);
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        return -1;
    }
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    s_chan_t *chan = zs_calloc(1, sizeof *chan);
    snprintf(chan->task, sizeof chan->task, "%s", task);
    chan->att = att;
    chan->fd = fds[0];
    zs_frame_buf_init(&chan->in);
    zs_frame_buf_init(&chan->out);
    chan->handle = zlistx_add_end(self->chans, chan);
    s_poll(self, chan, false);
    return fds[1];
}

void
zs_chan_close(zs_chan_t *self, const char *task, uint64_t att)
{
    assert(self);
    assert(task);
    s_chan_t *chan = s_chan_by_attempt(self, task, att);
    if (chan) {
        s_chan_free(self, chan, NULL);
    }
}

bool
zs_chan_lending(zs_chan_t *self, const char *task, uint64_t att)
{
    assert(self);
    assert(task);
    s_chan_t *chan = s_chan_by_attempt(self, task, att);
    return chan && chan->lent > 0;
}

static s_pending_t *
s_pending_by_rid(zs_chan_t *self, uint64_t rid)
{
    s_pending_t *pending = zlistx_first(self->pending);
    while (pending && pending->rid != rid) {
        pending = zlistx_next(self->pending);
    }
    return pending;
}

//  The reply to a forwarded request goes back with the task's rid; the request is done
static void
s_reply(zs_chan_t *self, s_pending_t *pending, const zs_msg_t *msg)
{
    s_chan_t *chan = s_chan_by_attempt(self, pending->task, pending->att);
    assert(chan);  //  closing a channel drops its requests
    zs_msg_t reply = *msg;
    reply.rid = pending->asked;
    reply.arena_ = NULL;
    if (--pending->replies == 0 || msg->type == ZS_MSG_ERROR) {
        chan->pending--;
        chan->lent -= pending->lends;
        zlistx_delete(self->pending, zlistx_cursor(self->pending));
    }
    s_put(self, chan, &reply);
    if (chan->broken) {
        s_chan_free(self, chan, chan->broken);
    }
}

bool
zs_chan_recv(zs_chan_t *self, const zs_msg_t *msg)
{
    assert(self);
    assert(msg);
    if (msg->type == ZS_MSG_MSG || msg->type == ZS_MSG_EV_AGENT_BROADCAST) {
        if (zlistx_size(self->chans) == 0) {
            return false;
        }
        s_inbox_add(self, msg);
        return true;
    }
    s_pending_t *pending = msg->rid ? s_pending_by_rid(self, msg->rid) : NULL;
    if (!pending) {
        return false;
    }
    s_reply(self, pending, msg);
    return true;
}
