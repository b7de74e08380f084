//  test_chan - the task channel's hub (agent/zs_chan) and its framing (proto/zs_frame),
//  driven by a zloop without a coordinator: the fixture plays the task (the child's
//  end, blocking) and the coordinator (the sink that gets what is forwarded, and
//  zs_chan_recv for the replies)

#include "agent/zs_chan.h"
#include "proto/zs_frame.h"
#include "tests/unit/zs_test.h"

#include <errno.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define S_SENT_MAX    128   //  forwarded messages one case may collect
#define S_DEADLINE_MS 5000  //  a case whose messages are not in by then fails

typedef struct {
    zloop_t *loop;              //  the loop the hub polls in
    zs_chan_t *chan;            //  under test
    zs_msg_t sent[S_SENT_MAX];  //  what the hub forwarded, copies decoded again
    size_t count;               //  how many
    size_t expected;            //  s_run stops when count reaches it
    int64_t deadline;           //  when s_run gives up
    bool down;                  //  the session is down: sends are dropped
    size_t dropped;             //  how many were
    int drain_fd;               //  with s_drain: the task's end, or -1
} s_fixture_t;

//  The coordinator's side: keep a decoded copy of every message forwarded
static int
s_on_send(void *owner, const zs_msg_t *msg)
{
    s_fixture_t *fx = owner;
    if (fx->down) {
        fx->dropped++;
        return -1;
    }
    assert(fx->count < S_SENT_MAX);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    zs_error_t err;
    zs_msg_t *copy = &fx->sent[fx->count++];
    if (zs_msg_encode(msg, &buf) != 0 || zs_msg_decode(copy, buf.data, buf.size, &err)) {
        zs_msg_init(copy, ZS_MSG_INVALID);
    }
    msgpack_sbuffer_destroy(&buf);
    return 0;
}

static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    s_fixture_t *fx = arg;
    bool done = fx->count + fx->dropped >= fx->expected;
    if (fx->drain_fd >= 0) {
        //  SIOCOUTQ: bytes written on the task's end that the hub has not read
        int unread = -1;
        done = ioctl(fx->drain_fd, SIOCOUTQ, &unread) == 0 && unread == 0;
    }
    return done || zclock_mono() > fx->deadline ? -1 : 0;
}

//  Run the loop until count messages were forwarded in all (or the deadline)
static bool
s_run(s_fixture_t *fx, size_t count)
{
    fx->expected = count;
    fx->deadline = zclock_mono() + S_DEADLINE_MS;
    int timer = zloop_timer(fx->loop, 1, 0, s_on_tick, fx);
    zloop_start(fx->loop);
    zloop_timer_end(fx->loop, timer);
    return fx->count + fx->dropped >= count;
}

//  Run the loop until the hub has read all the task wrote on fd (or the deadline)
static bool
s_drain(s_fixture_t *fx, int fd)
{
    fx->drain_fd = fd;
    s_run(fx, 0);
    fx->drain_fd = -1;
    int unread = -1;
    return ioctl(fd, SIOCOUTQ, &unread) == 0 && unread == 0;
}

static void
s_setup(s_fixture_t *fx)
{
    memset(fx, 0, sizeof *fx);
    fx->drain_fd = -1;
    fx->loop = zloop_new();
    zs_handler_sink_t sink = {fx, NULL, NULL, s_on_send};
    fx->chan = zs_chan_new(fx->loop, &sink);
}

static void
s_teardown(s_fixture_t *fx)
{
    zs_chan_destroy(&fx->chan);
    zloop_destroy(&fx->loop);
    for (size_t i = 0; i < fx->count; i++) {
        zs_msg_fini(&fx->sent[i]);
    }
}

//  The task's side: one frame out, blocking
static bool
s_task_send(int fd, const zs_msg_t *msg)
{
    zs_frame_buf_t buf;
    zs_frame_buf_init(&buf);
    bool ok = zs_frame_put(&buf, msg) == 0 && zs_frame_flush(&buf, fd) == 0;
    zs_frame_buf_fini(&buf);
    return ok;
}

//  One frame in, blocking; false at end of stream
static bool
s_task_recv(int fd, zs_msg_t *msg)
{
    static zs_frame_buf_t buf;  //  bytes past one frame wait for the next call
    zs_error_t err;
    zs_msg_init(msg, ZS_MSG_INVALID);
    int rc;
    while ((rc = zs_frame_take(&buf, msg, &err)) == ZS_FRAME_MORE) {
        if (zs_frame_fill(&buf, fd, 65536) <= 0) {
            zs_frame_buf_fini(&buf);
            return false;
        }
    }
    return rc == 0;
}

//  Open attempt att of task's channel; the task's end gives up reading after
//  S_DEADLINE_MS, so a missing reply fails the case instead of hanging it
static int
s_open(s_fixture_t *fx, const char *task, uint64_t att)
{
    int fd = zs_chan_open(fx->chan, task, att);
    struct timeval tv = {S_DEADLINE_MS / 1000, 0};
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    return fd;
}

static zs_msg_t
s_request(zs_msg_type_t type, uint64_t rid)
{
    zs_msg_t msg;
    zs_msg_init(&msg, type);
    msg.rid = rid;
    return msg;
}

//  ---- cases ---------------------------------------------------------------------------

//  A reply comes back with the task's rid; the coordinator saw the hub's own
static void
s_test_reply_maps_rid(void)
{
    s_fixture_t fx;
    s_setup(&fx);
    int fd = s_open(&fx, "t1", 1);
    ZS_CHECK(fd >= 0);
    zs_msg_t get = s_request(ZS_MSG_MEM_GET, 77);
    get.key = "notes/a";
    ZS_CHECK(s_task_send(fd, &get));
    ZS_CHECK(s_run(&fx, 1));
    ZS_CHECK(fx.sent[0].type == ZS_MSG_MEM_GET && fx.sent[0].rid != 0);
    zs_msg_t ok = s_request(ZS_MSG_MEM_GET_OK, fx.sent[0].rid);
    ok.key = "notes/a";
    ok.value = (const uint8_t *) "v";
    ok.value_size = 1;
    ok.version = 3;
    ok.access = "swarm";
    ZS_CHECK(zs_chan_recv(fx.chan, &ok));
    ZS_CHECK(!zs_chan_recv(fx.chan, &ok));  //  answered: a second reply is not ours
    zs_msg_t reply;
    ZS_CHECK(s_task_recv(fd, &reply));
    bool back = reply.type == ZS_MSG_MEM_GET_OK && reply.rid == 77 && reply.version == 3;
    zs_msg_fini(&reply);
    close(fd);
    s_teardown(&fx);
    ZS_CHECK(back);
}

//  What says who asks is the agent's to fill in, whatever the task wrote
static void
s_test_agent_fills_in_who_asks(void)
{
    s_fixture_t fx;
    s_setup(&fx);
    int fd = s_open(&fx, "t1", 2);
    zs_msg_t progress = s_request(ZS_MSG_TASK_PROGRESS, 0);
    progress.task = "someone-else";
    progress.att = 9;
    progress.pct = 50;
    zs_msg_t submit = s_request(ZS_MSG_SUBMIT, 4);
    submit.ttype = "child";
    submit.parent = "someone-else";
    ZS_CHECK(s_task_send(fd, &progress) && s_task_send(fd, &submit));
    ZS_CHECK(s_run(&fx, 2));
    ZS_CHECK_STR(fx.sent[0].task, "t1");
    ZS_CHECK(fx.sent[0].att == 2 && fx.sent[0].pct == 50);
    ZS_CHECK_STR(fx.sent[1].parent, "t1");
    close(fd);
    s_teardown(&fx);
}

//  A wait lends the attempt's slot until its reply
static void
s_test_wait_lends_the_slot(void)
{
    s_fixture_t fx;
    s_setup(&fx);
    int fd = s_open(&fx, "t1", 1);
    zs_msg_t wait = s_request(ZS_MSG_WAIT, 5);
    wait.task = "child";
    ZS_CHECK(!zs_chan_lending(fx.chan, "t1", 1));
    ZS_CHECK(s_task_send(fd, &wait));
    ZS_CHECK(s_run(&fx, 1));
    ZS_CHECK_STR(fx.sent[0].parent, "t1");
    ZS_CHECK(zs_chan_lending(fx.chan, "t1", 1));
    zs_msg_t done = s_request(ZS_MSG_WAIT_OK, fx.sent[0].rid);
    done.task = "child";
    done.ttype = "x";
    done.state = "completed";
    ZS_CHECK(zs_chan_recv(fx.chan, &done));
    ZS_CHECK(!zs_chan_lending(fx.chan, "t1", 1));
    close(fd);
    s_teardown(&fx);
}

//  Refusals by the agent itself: a type a task may not send, a map that is no message,
//  too many requests awaiting replies
static void
s_test_refusals_keep_the_channel(void)
{
    s_fixture_t fx;
    s_setup(&fx);
    int fd = s_open(&fx, "t1", 1);
    zs_msg_t status = s_request(ZS_MSG_STATUS, 6);
    ZS_CHECK(s_task_send(fd, &status));
    const uint8_t bad[] = {0, 0, 0, 1, 0xc1};
    ZS_CHECK(write(fd, bad, sizeof bad) == (ssize_t) sizeof bad);
    for (uint64_t rid = 1; rid <= ZS_CHAN_PENDING_MAX + 1; rid++) {
        zs_msg_t query = s_request(ZS_MSG_MEM_QUERY, rid);
        ZS_CHECK(s_task_send(fd, &query));
    }
    ZS_CHECK(s_run(&fx, ZS_CHAN_PENDING_MAX));
    uint64_t codes[3] = {0};
    for (size_t i = 0; i < 3; i++) {
        zs_msg_t reply;
        ZS_CHECK(s_task_recv(fd, &reply));
        codes[i] = reply.type == ZS_MSG_ERROR ? reply.code : 0;
        zs_msg_fini(&reply);
    }
    ZS_CHECK(codes[0] == ZS_ERR_UNKNOWN_TYPE && codes[1] == ZS_ERR_MALFORMED);
    ZS_CHECK(codes[2] == ZS_ERR_LIMIT && fx.count == ZS_CHAN_PENDING_MAX);
    close(fd);
    s_teardown(&fx);
}

//  A request the agent cannot send (its session is down) is refused at once with error
//  4, so the task does not wait for a reply that will never come; progress is dropped
static void
s_test_session_down(void)
{
    s_fixture_t fx;
    s_setup(&fx);
    fx.down = true;
    int fd = s_open(&fx, "t1", 1);
    ZS_CHECK(fd >= 0);
    zs_msg_t progress = s_request(ZS_MSG_TASK_PROGRESS, 0);
    progress.task = "t1";
    progress.att = 1;
    progress.pct = 10;
    zs_msg_t query = s_request(ZS_MSG_MEM_QUERY, 9);
    ZS_CHECK(s_task_send(fd, &progress) && s_task_send(fd, &query));
    ZS_CHECK(s_run(&fx, 2));
    zs_msg_t reply;
    ZS_CHECK(s_task_recv(fd, &reply));
    bool refused = reply.type == ZS_MSG_ERROR && reply.rid == 9 &&
                   reply.code == ZS_ERR_NOT_REGISTERED;
    zs_msg_fini(&reply);
    fx.down = false;
    ZS_CHECK(s_task_send(fd, &query));
    ZS_CHECK(s_run(&fx, 3));
    bool sent = fx.count == 1 && fx.sent[0].type == ZS_MSG_MEM_QUERY;
    close(fd);
    s_teardown(&fx);
    ZS_CHECK(refused && sent);
}

//  A broken stream closes that channel alone; a closed channel's replies are dropped
static void
s_test_broken_stream_closes_one_channel(void)
{
    s_fixture_t fx;
    s_setup(&fx);
    int bad = s_open(&fx, "t1", 1);
    int good = s_open(&fx, "t2", 1);
    zs_msg_t get = s_request(ZS_MSG_MEM_GET, 1);
    get.key = "k";
    ZS_CHECK(s_task_send(bad, &get));
    const uint8_t junk[] = {0x00, 0x40, 0x00, 0x01, 'x'};  //  4 MiB + 1
    ZS_CHECK(write(bad, junk, sizeof junk) == (ssize_t) sizeof junk);
    ZS_CHECK(s_task_send(good, &get));
    ZS_CHECK(s_run(&fx, 2));
    zs_msg_t reply = s_request(ZS_MSG_MEM_GET_OK, fx.sent[0].rid);
    reply.key = "k";
    reply.access = "swarm";
    reply.value = (const uint8_t *) "";
    reply.version = 1;
    ZS_CHECK(!zs_chan_recv(fx.chan, &reply));  //  t1's channel is gone, and its request
    reply.rid = fx.sent[1].rid;
    ZS_CHECK(zs_chan_recv(fx.chan, &reply));
    zs_msg_t got;
    ZS_CHECK(!s_task_recv(bad, &got));  //  end of stream
    ZS_CHECK(s_task_recv(good, &got));
    bool ok = got.rid == 1;
    zs_msg_fini(&got);
    close(bad);
    close(good);
    s_teardown(&fx);
    ZS_CHECK(ok);
}

static void
s_message(s_fixture_t *fx, const char *from, const char *text)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_MSG);
    msg.agent = from;
    msg.payload = (const uint8_t *) text;
    msg.payload_size = strlen(text);
    zs_chan_recv(fx->chan, &msg);
}

//  Messages wait in the inbox, bounded, for a task that asks; one that waits gets the
//  next at once
static void
s_test_inbox(void)
{
    s_fixture_t fx;
    s_setup(&fx);
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_MSG);
    msg.agent = "a-1";
    ZS_CHECK(!zs_chan_recv(fx.chan, &msg));  //  no task runs: not kept
    int fd = s_open(&fx, "t1", 1);
    for (int i = 0; i < ZS_CHAN_INBOX_MAX + 10; i++) {
        s_message(&fx, "a-1", i == 0 ? "first" : "more");
    }
    zs_msg_t ask = s_request(ZS_MSG_INBOX, 3);
    ZS_CHECK(s_task_send(fd, &ask));
    ZS_CHECK(s_drain(&fx, fd) && fx.count == 0);  //  served by the hub, nothing forwarded
    zs_msg_t reply;
    ZS_CHECK(s_task_recv(fd, &reply));
    bool first = reply.rid == 3 && reply.agent && streq(reply.agent, "a-1") &&
                 reply.payload_size == 5 && memcmp(reply.payload, "first", 5) == 0 &&
                 reply.count == ZS_CHAN_INBOX_MAX - 1;
    zs_msg_fini(&reply);
    ZS_CHECK(first);
    s_teardown(&fx);
    close(fd);

    s_setup(&fx);
    fd = s_open(&fx, "t1", 1);
    ask.wait = true;
    ZS_CHECK(s_task_send(fd, &ask));
    ZS_CHECK(s_drain(&fx, fd) && fx.count == 0);  //  the ask waits in the hub
    s_message(&fx, "b-1", "");
    ZS_CHECK(s_task_recv(fd, &reply));
    bool empty = reply.agent && streq(reply.agent, "b-1") && reply.payload &&
                 reply.payload_size == 0;
    zs_msg_fini(&reply);
    close(fd);
    s_teardown(&fx);
    ZS_CHECK(empty);
}

//  Frames: a length split over reads, and lengths that break the stream
static void
s_test_frames(void)
{
    zs_frame_buf_t buf;
    zs_frame_buf_init(&buf);
    zs_msg_t msg = s_request(ZS_MSG_VOTE_STATUS, 9);
    msg.vote = "v1";
    ZS_CHECK(zs_frame_put(&buf, &msg) == 0);
    zs_frame_buf_t in;
    zs_frame_buf_init(&in);
    zs_msg_t got;
    zs_error_t err;
    for (size_t i = 0; i < buf.size; i++) {  //  a byte at a time
        zs_msg_init(&got, ZS_MSG_INVALID);
        ZS_CHECK(zs_frame_take(&in, &got, &err) == ZS_FRAME_MORE);
        in.data = zs_realloc(in.data, in.size + 1);
        in.data[in.size++] = buf.data[i];
        in.capacity = in.size;
    }
    ZS_CHECK(zs_frame_take(&in, &got, &err) == 0);
    bool same = got.type == ZS_MSG_VOTE_STATUS && got.rid == 9 && streq(got.vote, "v1");
    zs_msg_fini(&got);
    ZS_CHECK(same && in.size == 0);
    const uint8_t zero[] = {0, 0, 0, 0};
    const uint8_t over[] = {0, 0x40, 0, 1};
    const uint8_t *bad[] = {zero, over};
    for (size_t i = 0; i < 2; i++) {
        zs_frame_buf_fini(&in);
        in.data = zs_malloc(4);
        memcpy(in.data, bad[i], 4);
        in.size = in.capacity = 4;
        ZS_CHECK(zs_frame_take(&in, &got, &err) == -1);
        ZS_CHECK(strstr(err.text, "frame length"));
    }
    zs_frame_buf_fini(&in);
    zs_frame_buf_fini(&buf);
}

//  Frames taken from the front of a buffer that keeps filling: each comes out whole and
//  in order, also after the bytes held moved down to make room for a big one
static void
s_test_frames_in_order(void)
{
    zs_frame_buf_t buf;
    zs_frame_buf_init(&buf);
    zs_msg_t msg = s_request(ZS_MSG_INBOX, 0);
    uint64_t put = 0, taken = 0;
    bool ok = true;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 1000; i++) {
            msg.rid = ++put;
            ZS_CHECK(zs_frame_put(&buf, &msg) == 0);
        }
        //  take most, leave some held at an offset, then a frame larger than the room
        for (int i = 0; i < 990; i++) {
            zs_msg_t got;
            zs_error_t err;
            zs_msg_init(&got, ZS_MSG_INVALID);
            ok = ok && zs_frame_take(&buf, &got, &err) == 0 && got.rid == ++taken;
            zs_msg_fini(&got);
        }
        zs_msg_t big = s_request(ZS_MSG_MSG_SHARE, 0);
        static uint8_t payload[ZS_MSG_NOTE_MAX];
        big.payload = payload;
        big.payload_size = sizeof payload;
        ZS_CHECK(zs_frame_put(&buf, &big) == 0);
        for (int i = 0; i < 10; i++) {
            zs_msg_t got;
            zs_error_t err;
            zs_msg_init(&got, ZS_MSG_INVALID);
            ok = ok && zs_frame_take(&buf, &got, &err) == 0 && got.rid == ++taken;
            zs_msg_fini(&got);
        }
        zs_msg_t got;
        zs_error_t err;
        zs_msg_init(&got, ZS_MSG_INVALID);
        ok = ok && zs_frame_take(&buf, &got, &err) == 0 &&
             got.payload_size == sizeof payload;
        zs_msg_fini(&got);
    }
    ZS_CHECK(ok && zs_frame_held(&buf) == 0 && buf.start == 0 && buf.size == 0);
    zs_frame_buf_fini(&buf);
}

static const zs_test_case_t s_cases[] = {
    {"reply_maps_rid", s_test_reply_maps_rid},
    {"agent_fills_in_who_asks", s_test_agent_fills_in_who_asks},
    {"wait_lends_the_slot", s_test_wait_lends_the_slot},
    {"refusals_keep_the_channel", s_test_refusals_keep_the_channel},
    {"broken_stream_closes_one_channel", s_test_broken_stream_closes_one_channel},
    {"session_down", s_test_session_down},
    {"inbox", s_test_inbox},
    {"frames", s_test_frames},
    {"frames_in_order", s_test_frames_in_order},
};

ZS_TEST_MAIN(s_cases)
