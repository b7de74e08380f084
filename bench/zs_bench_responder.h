//  zs_bench_responder - a fixed-answer HTTP/1.1 server for benchmarks, in a thread
//
//  A benchmark of a client needs a server that costs next to nothing, or it measures
//  the server. The fakes of tests/system are strict and record everything, and answer
//  at most about 2,000 calls a second from Python (0.4 to 2 ms a call from curl on the
//  2-core development machine, against 0.12 to 0.22 ms from this one), which would
//  hide a client's cost of tens of microseconds. This one answers every POST to its
//  path with the same bytes, given at start (200, Content-Length, the connection kept
//  alive), and anything else with a 404 that is counted as refused. It reads a
//  request's head and then its body by Content-Length, answers `Expect: 100-continue`,
//  closes after `Connection: close`, and refuses a chunked request or one past
//  ZS_BENCH_RESPONDER_IN_MAX with a 400 and closes. Pipelined requests are answered in
//  order.
//
//  It runs in a zactor (STYLE rule 26): one thread polling its listening socket, its
//  connections and its pipe, sharing nothing with the caller (it copies the answer).
//  It binds 127.0.0.1 on a port the system picks; zs_bench_responder_port says which.

#ifndef ZS_BENCH_RESPONDER_H
#define ZS_BENCH_RESPONDER_H

#include <stddef.h>
#include <stdint.h>

#include "common/zs_util.h"

#define ZS_BENCH_RESPONDER_CONNS  256         //  connections open at once, at most
#define ZS_BENCH_RESPONDER_IN_MAX (64 << 10)  //  bytes of one request, head and body

typedef struct zs_bench_responder_t zs_bench_responder_t;

//  Start a responder answering POSTs to path with a 200 whose body is body (size
//  bytes) of content_type; all three are copied. Returns an owned responder, listening
//  when this returns, or NULL with err when it cannot bind.
zs_bench_responder_t *zs_bench_responder_new(const char *path,
                                             const char *content_type,
                                             const void *body,
                                             size_t size,
                                             zs_error_t *err);

//  Stop the thread, close every connection, free self and set *self_p to NULL.
//  Accepts NULL.
void zs_bench_responder_destroy(zs_bench_responder_t **self_p);

//  The port it listens on, 127.0.0.1.
int zs_bench_responder_port(zs_bench_responder_t *self);

//  Requests answered with the 200 and requests refused so far (asked of the thread).
void zs_bench_responder_counts(zs_bench_responder_t *self,
                               uint64_t *answered,
                               uint64_t *refused);

#endif
