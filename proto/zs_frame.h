//  zs_frame - messages on a byte stream: a 4-byte big-endian length, then one map
//
//  A task's channel to its agent (PROTOCOL.md §13) is an AF_UNIX stream, which has no
//  message boundaries, so each message travels as a frame: its length (1 to
//  ZS_FRAME_MAX bytes, big-endian, 4 bytes) and the msgpack map zs_msg encodes. A
//  zs_frame_buf_t gathers the bytes of one direction: what was read and not yet taken
//  as frames, or what was put and not yet written. Both ends use the same buffers, the
//  agent on non-blocking sockets polled from its loop, zswarm-task on blocking ones.
//  A length of 0 or above ZS_FRAME_MAX cannot be resynchronised from: the stream is
//  broken and the reader must close it.

#ifndef ZS_FRAME_H
#define ZS_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/zs_msg.h"

#define ZS_FRAME_HEADER 4                 //  bytes of the length before each map
#define ZS_FRAME_MAX    ZS_MSG_FRAME_MAX  //  largest map a frame carries (4 MiB)

//  Bytes of one direction of a stream: data[start..size) are held. Taking a frame
//  moves start, not the bytes after it, so a buffer full of small frames is read in
//  linear time; the bytes move down only when room is needed at the end.
typedef struct {
    uint8_t *data;    //  owned; NULL until the first byte
    size_t start;     //  the first byte held
    size_t size;      //  the end of the bytes held
    size_t capacity;  //  bytes allocated
} zs_frame_buf_t;

//  What zs_frame_take found
typedef enum {
    ZS_FRAME_MORE = 1,     //  no whole frame yet: read more
    ZS_FRAME_BAD_MSG = 2,  //  a whole frame that is not a valid message: err says why,
                           //  msg->rid holds its rid if one could be read; go on
} zs_frame_code_t;

//  Start an empty buffer / free what it holds and leave it empty
void zs_frame_buf_init(zs_frame_buf_t *self);
void zs_frame_buf_fini(zs_frame_buf_t *self);

//  Bytes self holds.
size_t zs_frame_held(const zs_frame_buf_t *self);

//  Append msg (borrowed) to self as one frame. Returns 0, or -1 when msg cannot be
//  encoded (a bug in the caller, logged by zs_msg_encode); self is then unchanged.
int zs_frame_put(zs_frame_buf_t *self, const zs_msg_t *msg);

//  Read what fd has now into self, at most limit bytes. Returns the bytes read, 0 at
//  end of stream, or -1 with errno (EAGAIN: nothing to read now on a non-blocking fd).
ssize_t zs_frame_fill(zs_frame_buf_t *self, int fd, size_t limit);

//  Write what fd takes now from the front of self. Returns the bytes still held (0:
//  all written), or -1 with errno on an error other than EAGAIN or EINTR.
ssize_t zs_frame_flush(zs_frame_buf_t *self, int fd);

//  Take the first whole frame of self and decode it into msg (which must not hold a
//  decoded message). Returns 0 with msg decoded (the caller finishes it),
//  ZS_FRAME_MORE, ZS_FRAME_BAD_MSG with err filled (the frame is consumed), or -1 with
//  err filled when the length is 0 or above ZS_FRAME_MAX: the stream is broken.
int zs_frame_take(zs_frame_buf_t *self, zs_msg_t *msg, zs_error_t *err);

#endif
