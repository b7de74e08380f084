//  zs_test_http - a small HTTP/1.1 responder on 127.0.0.1, run by the test's own zloop
//
//  The transfer tests need a server that lives in the same loop as the code under
//  test: then a hanging answer proves that the loop goes on, and nothing runs in
//  another thread. Every answer closes its connection (Connection: close), so each
//  request is one connection; writes are non-blocking and polled, since the client
//  reads in the same thread. Routes are matched by exact path (the query ignored):
//    status 0      a resource: 200, or 206/416 for "Range: bytes=N-"
//    status N      N with the route's headers and body
//    echo          200 with "METHOD PATH\n", the request head and the body
//  and a route may hang (answer nothing), stall after `after` body bytes (the
//  connection stays open), or drop after them (the connection closes), for
//  `times` requests (0: every one). Requests are recorded: method, path, Range, head.

#ifndef ZS_TEST_HTTP_H
#define ZS_TEST_HTTP_H

#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/zs_util.h"

#define ZS_TEST_HTTP_ROUTES   16
#define ZS_TEST_HTTP_REQUESTS 64
#define ZS_TEST_HTTP_CONNS    64
#define ZS_TEST_HTTP_HEAD_MAX 8192

typedef enum {
    ZS_TEST_HTTP_ANSWER,  //  answer in full
    ZS_TEST_HTTP_HANG,    //  answer nothing
    ZS_TEST_HTTP_STALL,   //  send `after` body bytes, then nothing
    ZS_TEST_HTTP_DROP,    //  send `after` body bytes, then close
} zs_test_http_fault_t;

typedef struct {
    const char *path;            //  exact path
    int status;                  //  0: a resource with ranges
    bool echo;                   //  answer with what was received
    const char *headers;         //  extra header lines, each ending "\r\n", or NULL
    const uint8_t *body;         //  borrowed
    size_t size;                 //  its length
    zs_test_http_fault_t fault;  //  how the answer misbehaves
    size_t after;                //  body bytes sent before a stall or drop
    size_t times;                //  requests the fault applies to; 0: all
} zs_test_http_route_t;

typedef struct {
    char method[16];                   //  request method
    char path[512];                    //  request target
    char range[128];                   //  Range header value, or ""
    char head[ZS_TEST_HTTP_HEAD_MAX];  //  the whole request head
} zs_test_http_request_t;

typedef struct {
    int fd;                              //  -1 when free
    char in[ZS_TEST_HTTP_HEAD_MAX * 2];  //  request bytes read
    size_t in_size;                      //  their count
    uint8_t *out;                        //  owned: answer bytes to send
    size_t out_size;                     //  their count
    size_t sent;                         //  bytes sent so far
    bool close_after;                    //  close once sent (else stay open: a stall)
    bool answered;                       //  the request was read and answered
} zs_test_http_conn_t;

typedef struct {
    zloop_t *loop;                                           //  borrowed
    int listen_fd;                                           //  127.0.0.1:port
    int port;                                                //  the port bound
    zs_test_http_route_t routes[ZS_TEST_HTTP_ROUTES];        //  the routes
    size_t route_count;                                      //  their number
    zs_test_http_request_t requests[ZS_TEST_HTTP_REQUESTS];  //  received, in order
    size_t request_count;                                    //  their number
    zs_test_http_conn_t conns[ZS_TEST_HTTP_CONNS];           //  open connections
    size_t client_closed;  //  connections the client closed before the answer ended
} zs_test_http_t;

static inline void
zs_test_http_poll(zs_test_http_t *self, int fd, short events, zloop_fn *fn)
{
    zmq_pollitem_t item = {NULL, fd, 0, 0};
    zloop_poller_end(self->loop, &item);
    item.events = events;
    zloop_poller(self->loop, &item, fn, self);
    zloop_poller_set_tolerant(self->loop, &item);
}

static inline void
zs_test_http_close(zs_test_http_t *self, zs_test_http_conn_t *conn)
{
    zmq_pollitem_t item = {NULL, conn->fd, 0, 0};
    zloop_poller_end(self->loop, &item);
    close(conn->fd);
    free(conn->out);
    memset(conn, 0, sizeof *conn);
    conn->fd = -1;
}

static inline zs_test_http_conn_t *
zs_test_http_conn(zs_test_http_t *self, int fd)
{
    for (size_t i = 0; i < ZS_TEST_HTTP_CONNS; i++) {
        if (self->conns[i].fd == fd) {
            return &self->conns[i];
        }
    }
    return NULL;
}

static inline zs_test_http_route_t *
zs_test_http_route(zs_test_http_t *self, const char *path)
{
    size_t len = strcspn(path, "?");
    for (size_t i = 0; i < self->route_count; i++) {
        if (strlen(self->routes[i].path) == len &&
            strncmp(self->routes[i].path, path, len) == 0) {
            return &self->routes[i];
        }
    }
    return NULL;
}

//  Queue an answer: head, then body (size bytes of it, of which the first `send` go)
static inline void
zs_test_http_queue(zs_test_http_conn_t *conn,
                   const char *head,
                   const uint8_t *body,
                   size_t send)
{
    size_t head_size = strlen(head);
    conn->out = zs_malloc(head_size + send + 1);
    memcpy(conn->out, head, head_size);
    if (send) {
        memcpy(conn->out + head_size, body, send);
    }
    conn->out_size = head_size + send;
}

//  The status, Content-Range and body span of an answer to a resource route
static inline int
zs_test_http_range(const zs_test_http_route_t *route,
                   const char *range,
                   size_t *first,
                   char *content_range,
                   size_t size)
{
    unsigned long long from = 0;
    *first = 0;
    content_range[0] = '\0';
    if (!range[0] || sscanf(range, "bytes=%llu-", &from) != 1) {
        return 200;
    }
    if (from >= route->size) {
        snprintf(content_range, size, "Content-Range: bytes */%zu\r\n", route->size);
        return 416;
    }
    *first = (size_t) from;
    snprintf(content_range, size, "Content-Range: bytes %zu-%zu/%zu\r\n", *first,
             route->size - 1, route->size);
    return 206;
}

static inline void
zs_test_http_answer(zs_test_http_t *self,
                    zs_test_http_conn_t *conn,
                    const zs_test_http_request_t *req,
                    const uint8_t *req_body,
                    size_t req_body_size)
{
    zs_test_http_route_t *route = zs_test_http_route(self, req->path);
    char head[ZS_TEST_HTTP_HEAD_MAX + 512], extra[256] = "";
    const uint8_t *body = (const uint8_t *) "not found\n";
    size_t size = 10, first = 0;
    int status = 404;
    uint8_t *echo = NULL;
    zs_test_http_fault_t fault = ZS_TEST_HTTP_ANSWER;
    if (route) {
        fault = route->fault;
        if (route->times > 0 && --route->times == 0) {
            route->fault = ZS_TEST_HTTP_ANSWER;  //  used up: answer in full next time
        }
        status = route->status;
        body = route->body;
        size = route->size;
        if (route->echo) {
            status = 200;
            size = strlen(req->method) + strlen(req->path) + strlen(req->head) + 3 +
                   req_body_size;
            echo = zs_malloc(size + 1);
            snprintf((char *) echo, size + 1, "%s %s\n%s", req->method, req->path,
                     req->head);
            memcpy(echo + size - req_body_size - 1, "\n", 1);
            memcpy(echo + size - req_body_size, req_body, req_body_size);
            body = echo;
        } else if (status == 0) {
            status = zs_test_http_range(route, req->range, &first, extra, sizeof extra);
            size = status == 416 ? 0 : route->size - first;
            body = route->body + first;
        }
    }
    bool head_only = strcmp(req->method, "HEAD") == 0;
    snprintf(head, sizeof head,
             "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s%s\r\n",
             status, size, extra, route && route->headers ? route->headers : "");
    size_t send = head_only ? 0 : size;
    if (fault == ZS_TEST_HTTP_STALL || fault == ZS_TEST_HTTP_DROP) {
        send = route->after < send ? route->after : send;
    }
    conn->answered = true;
    if (fault != ZS_TEST_HTTP_HANG) {
        zs_test_http_queue(conn, head, body, send);
    }
    conn->close_after = fault != ZS_TEST_HTTP_STALL && fault != ZS_TEST_HTTP_HANG;
    free(echo);
}

//  Record the request in conn->in (complete: head and body) and answer it
static inline void
zs_test_http_take(zs_test_http_t *self, zs_test_http_conn_t *conn, size_t head_size)
{
    zs_test_http_request_t scratch, *req = &scratch;
    if (self->request_count < ZS_TEST_HTTP_REQUESTS) {
        req = &self->requests[self->request_count++];
    }
    memset(req, 0, sizeof *req);
    snprintf(req->head, sizeof req->head, "%.*s", (int) head_size, conn->in);
    sscanf(conn->in, "%15s %511s", req->method, req->path);
    const char *range = strcasestr(req->head, "\r\nRange: ");
    if (range) {
        snprintf(req->range, sizeof req->range, "%.*s", (int) strcspn(range + 9, "\r\n"),
                 range + 9);
    }
    zs_test_http_answer(self, conn, req, (const uint8_t *) conn->in + head_size,
                        conn->in_size - head_size);
}

//  The request is complete once its head and Content-Length bytes are in; returns
//  the head's size, or 0
static inline size_t
zs_test_http_complete(zs_test_http_conn_t *conn)
{
    conn->in[conn->in_size] = '\0';
    const char *end = strstr(conn->in, "\r\n\r\n");
    if (!end) {
        return 0;
    }
    size_t head_size = (size_t) (end - conn->in) + 4;
    const char *length = strcasestr(conn->in, "\r\nContent-Length: ");
    size_t body = length && length < end ? (size_t) strtoul(length + 18, NULL, 10) : 0;
    return conn->in_size >= head_size + body ? head_size : 0;
}

static inline int zs_test_http_on_conn(zloop_t *loop, zmq_pollitem_t *item, void *arg);

static inline void
zs_test_http_write(zs_test_http_t *self, zs_test_http_conn_t *conn)
{
    while (conn->sent < conn->out_size) {
        ssize_t put = send(conn->fd, conn->out + conn->sent, conn->out_size - conn->sent,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
        if (put < 0 && errno == EAGAIN) {
            zs_test_http_poll(self, conn->fd, ZMQ_POLLIN | ZMQ_POLLOUT,
                              zs_test_http_on_conn);
            return;
        }
        if (put <= 0) {
            self->client_closed++;
            zs_test_http_close(self, conn);
            return;
        }
        conn->sent += (size_t) put;
    }
    if (conn->close_after) {
        zs_test_http_close(self, conn);
    } else {
        //  stalled or hung: watch for the client going away
        zs_test_http_poll(self, conn->fd, ZMQ_POLLIN, zs_test_http_on_conn);
    }
}

static inline int
zs_test_http_on_conn(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    zs_test_http_t *self = arg;
    zs_test_http_conn_t *conn = zs_test_http_conn(self, item->fd);
    if (!conn) {
        return 0;
    }
    if (item->revents & (ZMQ_POLLIN | ZMQ_POLLERR)) {
        char scratch[4096];
        bool full = conn->answered || conn->in_size + 1 >= sizeof conn->in;
        ssize_t got = full ? recv(conn->fd, scratch, sizeof scratch, MSG_DONTWAIT)
                           : recv(conn->fd, conn->in + conn->in_size,
                                  sizeof conn->in - conn->in_size - 1, MSG_DONTWAIT);
        if (got == 0 || (got < 0 && errno != EAGAIN)) {
            self->client_closed += conn->answered;
            zs_test_http_close(self, conn);
            return 0;
        }
        if (got > 0 && !full) {
            conn->in_size += (size_t) got;
            size_t head_size = zs_test_http_complete(conn);
            if (head_size) {
                zs_test_http_take(self, conn, head_size);
            }
        }
    }
    if (conn->answered && conn->out) {
        zs_test_http_write(self, conn);
    }
    return 0;
}

static inline int
zs_test_http_on_accept(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    zs_test_http_t *self = arg;
    int fd = accept4(self->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    zs_test_http_conn_t *conn = fd >= 0 ? zs_test_http_conn(self, -1) : NULL;
    if (!conn) {
        if (fd >= 0) {
            close(fd);
        }
        return 0;
    }
    conn->fd = fd;
    zs_test_http_poll(self, fd, ZMQ_POLLIN, zs_test_http_on_conn);
    return 0;
}

//  Listen on 127.0.0.1 on a port of the kernel's choice, served by loop
static inline void
zs_test_http_init(zs_test_http_t *self, zloop_t *loop)
{
    memset(self, 0, sizeof *self);
    self->loop = loop;
    for (size_t i = 0; i < ZS_TEST_HTTP_CONNS; i++) {
        self->conns[i].fd = -1;
    }
    self->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int rc = bind(self->listen_fd, (struct sockaddr *) &addr, sizeof addr);
    rc = rc == 0 ? listen(self->listen_fd, 64) : rc;
    rc = rc == 0 ? getsockname(self->listen_fd, (struct sockaddr *) &addr, &len) : rc;
    assert(rc == 0);
    self->port = ntohs(addr.sin_port);
    zs_test_http_poll(self, self->listen_fd, ZMQ_POLLIN, zs_test_http_on_accept);
}

static inline void
zs_test_http_fini(zs_test_http_t *self)
{
    for (size_t i = 0; i < ZS_TEST_HTTP_CONNS; i++) {
        if (self->conns[i].fd >= 0) {
            zs_test_http_close(self, &self->conns[i]);
        }
    }
    zmq_pollitem_t item = {NULL, self->listen_fd, 0, 0};
    zloop_poller_end(self->loop, &item);
    close(self->listen_fd);
}

//  Add a route; returns it for the caller to set more fields
static inline zs_test_http_route_t *
zs_test_http_add(zs_test_http_t *self, const char *path, int status, const char *body)
{
    assert(self->route_count < ZS_TEST_HTTP_ROUTES);
    zs_test_http_route_t *route = &self->routes[self->route_count++];
    memset(route, 0, sizeof *route);
    route->path = path;
    route->status = status;
    route->body = (const uint8_t *) (body ? body : "");
    route->size = body ? strlen(body) : 0;
    return route;
}

//  "http://127.0.0.1:PORT" followed by path, in buf
static inline const char *
zs_test_http_url(const zs_test_http_t *self, const char *path, char *buf, size_t size)
{
    snprintf(buf, size, "http://127.0.0.1:%d%s", self->port, path);
    return buf;
}

#endif
