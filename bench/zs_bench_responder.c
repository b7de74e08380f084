//  zs_bench_responder - see zs_bench_responder.h

#include "bench/zs_bench_responder.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_BACKLOG  128  //  connections waiting to be accepted
#define S_PATH_MAX 256  //  bytes of the path answered, with NUL
#define S_HEAD_MAX 512  //  bytes of an answer's head
#define S_ITEMS    (2 + ZS_BENCH_RESPONDER_CONNS)  //  pipe, listener, connections
#define S_CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"
#define S_NOT_FOUND                                                                      \
    "{\"error\":{\"message\":\"not found\",\"type\":\"invalid_request_error\"}}"
#define S_BAD                                                                            \
    "{\"error\":{\"message\":\"bad request\",\"type\":\"invalid_request_error\"}}"

//  A whole answer, head and body
typedef struct {
    char *bytes;  //  owned
    size_t size;  //  their count
} s_answer_t;

//  What the thread is given at start; it owns it from then on
typedef struct {
    char path[S_PATH_MAX];  //  the path POSTs are answered at
    s_answer_t ok;          //  the 200
} s_setup_t;

typedef struct {
    int fd;                              //  -1: the slot is free
    char in[ZS_BENCH_RESPONDER_IN_MAX];  //  request bytes read and not answered
    size_t in_size;                      //  their count
    const char *out;                     //  borrowed: bytes still to write
    size_t out_left;                     //  their count, 0: nothing to write
    bool continued;                      //  100 Continue sent for this request
    bool close_after;                    //  close once out is written
} s_conn_t;

typedef struct {
    zsock_t *pipe;         //  borrowed: the actor's
    s_setup_t *setup;      //  owned
    s_answer_t not_found;  //  owned: the 404
    s_answer_t bad;        //  owned: the 400
    int listen_fd;         //  127.0.0.1, the port the system gave
    s_conn_t *conns;       //  owned: ZS_BENCH_RESPONDER_CONNS slots
    size_t high;           //  slots from 0 that were ever used: all the poll looks at
    uint64_t answered;     //  200s sent
    uint64_t refused;      //  404s and 400s sent
    bool stop;             //  $TERM came
} s_server_t;

struct zs_bench_responder_t {
    zactor_t *actor;  //  owned: the thread
    int port;         //  where it listens
};

//  ---- answers -------------------------------------------------------------------------

static s_answer_t
s_answer_make(int status,
              const char *reason,
              const char *content_type,
              const void *body,
              size_t size)
{
    char head[S_HEAD_MAX];
    int len = snprintf(head, sizeof head,
                       "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                       "x-request-id: req_zs_bench\r\n\r\n",
                       status, reason, content_type, size);
    assert(len > 0 && (size_t) len < sizeof head);
    s_answer_t answer = {zs_malloc((size_t) len + size), (size_t) len + size};
    memcpy(answer.bytes, head, (size_t) len);
    memcpy(answer.bytes + len, body, size);
    return answer;
}

//  ---- connections ---------------------------------------------------------------------

static void
s_conn_close(s_conn_t *conn)
{
    close(conn->fd);
    conn->fd = -1;
    conn->in_size = conn->out_left = 0;
    conn->continued = conn->close_after = false;
}

//  Write what is left of out; closes the connection when it fails, or when it is
//  written and the request asked to close
static void
s_conn_flush(s_conn_t *conn)
{
    while (conn->out_left > 0) {
        ssize_t sent = send(conn->fd, conn->out, conn->out_left, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) {
            continue;
        }
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;  //  the poll waits for room
        }
        if (sent <= 0) {
            s_conn_close(conn);
            return;
        }
        conn->out += sent;
        conn->out_left -= (size_t) sent;
    }
    if (conn->close_after) {
        s_conn_close(conn);
    }
}

static void
s_conn_send(s_conn_t *conn, const char *bytes, size_t size)
{
    conn->out = bytes;
    conn->out_left = size;
    s_conn_flush(conn);
}

//  The value of header name in head (head_size bytes, lines ending CRLF), or NULL
static const char *
s_header(const char *head, size_t head_size, const char *name, size_t *len)
{
    size_t name_len = strlen(name);
    const char *end = head + head_size;
    const char *line = memchr(head, '\n', head_size);
    while (line && ++line < end) {
        const char *eol = memchr(line, '\r', (size_t) (end - line));
        if (!eol) {
            return NULL;
        }
        if ((size_t) (eol - line) > name_len && line[name_len] == ':' &&
            strncasecmp(line, name, name_len) == 0) {
            const char *value = line + name_len + 1;
            while (value < eol && *value == ' ') {
                value++;
            }
            *len = (size_t) (eol - value);
            return value;
        }
        line = memchr(eol, '\n', (size_t) (end - eol));
    }
    return NULL;
}

static bool
s_header_is(const char *head, size_t head_size, const char *name, const char *value)
{
    size_t len = 0;
    const char *at = s_header(head, head_size, name, &len);
    return at && len == strlen(value) && strncasecmp(at, value, len) == 0;
}

static void
s_conn_refuse(s_server_t *self, s_conn_t *conn)
{
    self->refused++;
    conn->close_after = true;
    s_conn_send(conn, self->bad.bytes, self->bad.size);
}

//  Answer the request at the head of the input, if it is all in. Returns true when one
//  was answered and the next may be looked at.
static bool
s_conn_answer_one(s_server_t *self, s_conn_t *conn)
{
    const char *end = memmem(conn->in, conn->in_size, "\r\n\r\n", 4);
    if (!end) {
        if (conn->in_size == sizeof conn->in) {
            s_conn_refuse(self, conn);
        }
        return false;
    }
    size_t head_size = (size_t) (end - conn->in) + 4, len = 0;
    const char *length = s_header(conn->in, head_size, "Content-Length", &len);
    size_t body = length ? strtoul(length, NULL, 10) : 0;
    if (s_header(conn->in, head_size, "Transfer-Encoding", &len) ||
        body > sizeof conn->in - head_size) {
        s_conn_refuse(self, conn);
        return false;
    }
    if (conn->in_size < head_size + body) {
        if (!conn->continued &&
            s_header_is(conn->in, head_size, "Expect", "100-continue")) {
            conn->continued = true;
            s_conn_send(conn, S_CONTINUE, strlen(S_CONTINUE));
        }
        return false;
    }
    //  "POST PATH HTTP/1.1": the path, then a space
    size_t path_len = strlen(self->setup->path);
    bool ours = head_size > 5 + path_len && memcmp(conn->in, "POST ", 5) == 0 &&
                memcmp(conn->in + 5, self->setup->path, path_len) == 0 &&
                conn->in[5 + path_len] == ' ';
    conn->close_after = s_header_is(conn->in, head_size, "Connection", "close");
    size_t used = head_size + body;
    memmove(conn->in, conn->in + used, conn->in_size - used);
    conn->in_size -= used;
    conn->continued = false;
    const s_answer_t *answer = ours ? &self->setup->ok : &self->not_found;
    self->answered += ours;
    self->refused += !ours;
    s_conn_send(conn, answer->bytes, answer->size);
    return conn->fd >= 0 && conn->out_left == 0;
}

static void
s_conn_read(s_server_t *self, s_conn_t *conn)
{
    ssize_t got;
    do {
        got =
            recv(conn->fd, conn->in + conn->in_size, sizeof conn->in - conn->in_size, 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
    }
    if (got <= 0) {
        s_conn_close(conn);
        return;
    }
    conn->in_size += (size_t) got;
    while (s_conn_answer_one(self, conn)) {
    }
}

static void
s_accept(s_server_t *self)
{
    int fd;
    while ((fd = accept4(self->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
           0) {
        s_conn_t *slot = NULL;
        for (size_t i = 0; i < ZS_BENCH_RESPONDER_CONNS && !slot; i++) {
            slot = self->conns[i].fd < 0 ? &self->conns[i] : NULL;
        }
        if (!slot) {
            close(fd);  //  the client sees the connection reset
            continue;
        }
        //  Answers are one write each: nothing to gain from Nagle's algorithm, and a
        //  delayed ACK to lose
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        slot->fd = fd;
        //  A slot is 64 KiB: looking at all of them every turn would cost more than
        //  the answers, so the poll looks only as far as a connection ever went
        size_t index = (size_t) (slot - self->conns) + 1;
        self->high = index > self->high ? index : self->high;
    }
}

//  ---- the thread ----------------------------------------------------------------------

static int
s_listen(s_server_t *self)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t addr_len = sizeof addr;
    self->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (self->listen_fd < 0 ||
        bind(self->listen_fd, (struct sockaddr *) &addr, sizeof addr) != 0 ||
        listen(self->listen_fd, S_BACKLOG) != 0 ||
        getsockname(self->listen_fd, (struct sockaddr *) &addr, &addr_len) != 0) {
        return -1;
    }
    return ntohs(addr.sin_port);
}

static void
s_command(s_server_t *self)
{
    char *command = zstr_recv(self->pipe);
    if (!command || streq(command, "$TERM")) {
        self->stop = true;
    } else if (streq(command, "COUNTS")) {
        zsock_send(self->pipe, "88", self->answered, self->refused);
    }
    zstr_free(&command);
}

//  One poll over the pipe, the listener and every connection, and what it found
static void
s_turn(s_server_t *self)
{
    zmq_pollitem_t items[S_ITEMS] = {
        {zsock_resolve(self->pipe), 0, ZMQ_POLLIN, 0},
        {NULL, self->listen_fd, ZMQ_POLLIN, 0},
    };
    s_conn_t *conns[S_ITEMS] = {NULL, NULL};
    int count = 2;
    for (size_t i = 0; i < self->high; i++) {
        s_conn_t *conn = &self->conns[i];
        if (conn->fd >= 0) {
            short events = conn->out_left ? ZMQ_POLLOUT : ZMQ_POLLIN;
            items[count] = (zmq_pollitem_t){NULL, conn->fd, events, 0};
            conns[count++] = conn;
        }
    }
    if (zmq_poll(items, count, -1) <= 0) {
        return;  //  EINTR: poll again
    }
    for (int i = 2; i < count; i++) {
        s_conn_t *conn = conns[i];
        if (items[i].revents & ZMQ_POLLOUT) {
            s_conn_flush(conn);
            while (conn->fd >= 0 && conn->out_left == 0 &&
                   s_conn_answer_one(self, conn)) {
            }
        } else if (items[i].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) {
            s_conn_read(self, conn);
        }
    }
    //  Accepted last, so a slot closed above is not refilled under its poll item
    if (items[1].revents & ZMQ_POLLIN) {
        s_accept(self);
    }
    if (items[0].revents & ZMQ_POLLIN) {
        s_command(self);
    }
}

static void
s_actor(zsock_t *pipe, void *args)
{
    s_server_t self = {.pipe = pipe, .setup = args, .listen_fd = -1};
    int port = s_listen(&self);
    int error = errno;
    zsock_signal(pipe, 0);
    zsock_send(pipe, "ii", port, error);
    if (port > 0) {
        self.not_found = s_answer_make(404, "Not Found", "application/json", S_NOT_FOUND,
                                       strlen(S_NOT_FOUND));
        self.bad =
            s_answer_make(400, "Bad Request", "application/json", S_BAD, strlen(S_BAD));
        self.conns = zs_calloc(ZS_BENCH_RESPONDER_CONNS, sizeof *self.conns);
        for (size_t i = 0; i < ZS_BENCH_RESPONDER_CONNS; i++) {
            self.conns[i].fd = -1;
        }
    }
    while (port > 0 && !self.stop) {
        s_turn(&self);
    }
    while (!self.stop) {
        s_command(&self);  //  could not listen: wait for $TERM all the same
    }
    for (size_t i = 0; self.conns && i < ZS_BENCH_RESPONDER_CONNS; i++) {
        if (self.conns[i].fd >= 0) {
            s_conn_close(&self.conns[i]);
        }
    }
    if (self.listen_fd >= 0) {
        close(self.listen_fd);
    }
    free(self.conns);
    free(self.not_found.bytes);
    free(self.bad.bytes);
    free(self.setup->ok.bytes);
    free(self.setup);
}

//  ---- the caller's side ---------------------------------------------------------------

zs_bench_responder_t *
zs_bench_responder_new(const char *path,
                       const char *content_type,
                       const void *body,
                       size_t size,
                       zs_error_t *err)
{
    assert(path && strlen(path) < S_PATH_MAX);
    assert(content_type);
    assert(body || size == 0);
    s_setup_t *setup = zs_calloc(1, sizeof *setup);
    snprintf(setup->path, sizeof setup->path, "%s", path);
    setup->ok = s_answer_make(200, "OK", content_type, body, size);
    zs_bench_responder_t *self = zs_calloc(1, sizeof *self);
    self->actor = zactor_new(s_actor, setup);
    int error = 0;
    if (!self->actor || zsock_recv(self->actor, "ii", &self->port, &error) != 0 ||
        self->port <= 0) {
        zs_error_set(err, 0, "cannot listen on 127.0.0.1: %s", strerror(error));
        zs_bench_responder_destroy(&self);
    }
    return self;
}

void
zs_bench_responder_destroy(zs_bench_responder_t **self_p)
{
    assert(self_p);
    zs_bench_responder_t *self = *self_p;
    if (self) {
        zactor_destroy(&self->actor);
        free(self);
        *self_p = NULL;
    }
}

int
zs_bench_responder_port(zs_bench_responder_t *self)
{
    assert(self);
    return self->port;
}

void
zs_bench_responder_counts(zs_bench_responder_t *self,
                          uint64_t *answered,
                          uint64_t *refused)
{
    assert(self);
    assert(answered && refused);
    *answered = *refused = 0;
    if (zstr_send(self->actor, "COUNTS") == 0) {
        zsock_recv(self->actor, "88", answered, refused);
    }
}
