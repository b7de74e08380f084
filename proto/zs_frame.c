//  zs_frame - see zs_frame.h

#include "proto/zs_frame.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#define ZS_FRAME_BUF_MIN 4096  //  first allocation of a buffer

void
zs_frame_buf_init(zs_frame_buf_t *self)
{
    assert(self);
    memset(self, 0, sizeof *self);
}

void
zs_frame_buf_fini(zs_frame_buf_t *self)
{
    assert(self);
    free(self->data);
    zs_frame_buf_init(self);
}

size_t
zs_frame_held(const zs_frame_buf_t *self)
{
    assert(self);
    return self->size - self->start;
}

static void
s_reserve(zs_frame_buf_t *self, size_t more)
{
    if (self->start > 0 && self->capacity - self->size < more) {
        memmove(self->data, self->data + self->start, self->size - self->start);
        self->size -= self->start;
        self->start = 0;
    }
    if (self->capacity - self->size < more) {
        size_t capacity = self->capacity ? self->capacity : ZS_FRAME_BUF_MIN;
        while (capacity - self->size < more) {
            capacity *= 2;
        }
        self->data = zs_realloc(self->data, capacity);
        self->capacity = capacity;
    }
}

//  Drop the first size bytes held
static void
s_consume(zs_frame_buf_t *self, size_t size)
{
    self->start += size;
    if (self->start == self->size) {
        self->start = self->size = 0;
    }
}

int
zs_frame_put(zs_frame_buf_t *self, const zs_msg_t *msg)
{
    assert(self);
    assert(msg);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    int rc = zs_msg_encode(msg, &buf);
    if (rc == 0) {
        s_reserve(self, ZS_FRAME_HEADER + buf.size);
        uint8_t *at = self->data + self->size;
        for (int i = 0; i < ZS_FRAME_HEADER; i++) {
            at[i] = (uint8_t) (buf.size >> (8 * (ZS_FRAME_HEADER - 1 - i)));
        }
        memcpy(at + ZS_FRAME_HEADER, buf.data, buf.size);
        self->size += ZS_FRAME_HEADER + buf.size;
    }
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

ssize_t
zs_frame_fill(zs_frame_buf_t *self, int fd, size_t limit)
{
    assert(self);
    s_reserve(self, limit);
    ssize_t got = read(fd, self->data + self->size, limit);
    self->size += got > 0 ? (size_t) got : 0;
    return got;
}

ssize_t
zs_frame_flush(zs_frame_buf_t *self, int fd)
{
    assert(self);
    while (zs_frame_held(self) > 0) {
        ssize_t put = write(fd, self->data + self->start, zs_frame_held(self));
        if (put < 0) {
            return errno == EAGAIN || errno == EINTR ? (ssize_t) zs_frame_held(self) : -1;
        }
        s_consume(self, (size_t) put);
    }
    return 0;
}

int
zs_frame_take(zs_frame_buf_t *self, zs_msg_t *msg, zs_error_t *err)
{
    assert(self);
    assert(msg);
    assert(err);
    if (zs_frame_held(self) < ZS_FRAME_HEADER) {
        return ZS_FRAME_MORE;
    }
    const uint8_t *at = self->data + self->start;
    uint64_t length = 0;
    for (int i = 0; i < ZS_FRAME_HEADER; i++) {
        length = length << 8 | at[i];
    }
    if (length == 0 || length > ZS_FRAME_MAX) {
        zs_error_set(err, ZS_ERR_MALFORMED, "frame length %" PRIu64 " not in 1..%u",
                     length, ZS_FRAME_MAX);
        return -1;
    }
    if (zs_frame_held(self) - ZS_FRAME_HEADER < length) {
        return ZS_FRAME_MORE;
    }
    int rc = zs_msg_decode(msg, at + ZS_FRAME_HEADER, (size_t) length, err);
    s_consume(self, ZS_FRAME_HEADER + (size_t) length);
    return rc == 0 ? 0 : ZS_FRAME_BAD_MSG;
}
