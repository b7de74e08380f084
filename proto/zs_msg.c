//  zs_msg - see zs_msg.h; this file holds the lifecycle, encoding and sending, while
//  zs_msg_decode.c decodes and zs_msg_json.c prints, all through the table in zs_msgtab.c
//
//  Encoding packs with msgpack-c. Decoding cannot use msgpack-c's unpacker, which trusts
//  the counts a frame claims (see zs_mpread.h).

#include "proto/zs_msg.h"
#include "proto/zs_msgtab.h"
#include "proto/zs_msgval.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

void
zs_msg_init(zs_msg_t *self, zs_msg_type_t type)
{
    assert(self);
    assert(type < ZS_MSG_TYPE_COUNT);
    memset(self, 0, sizeof *self);
    self->type = type;
    zs_msgtab_absent_floats(zs_msgtab_type(type), (uint8_t *) self);
}

void
zs_msg_fini(zs_msg_t *self)
{
    assert(self);
    free(self->arena_);
    zs_msg_init(self, ZS_MSG_INVALID);
}

//  ---------------------------------------------------------------------------------------
//  Encoding

//  msgpack_sbuffer_write returns -1 when realloc fails, which every pack call would then
//  have to check; growing through zs_realloc aborts instead, as all allocation does
static int
s_sbuffer_write(void *data, const char *bytes, size_t size)
{
    msgpack_sbuffer *buf = data;
    if (buf->alloc - buf->size < size) {
        size_t alloc = buf->alloc ? buf->alloc : MSGPACK_SBUFFER_INIT_SIZE;
        while (alloc - buf->size < size) {
            alloc *= 2;
        }
        buf->data = zs_realloc(buf->data, alloc);
        buf->alloc = alloc;
    }
    memcpy(buf->data + buf->size, bytes, size);
    buf->size += size;
    return 0;
}

static int s_encode_map(msgpack_packer *pk,
                        const zs_msgtab_type_t *type,
                        const uint8_t *base,
                        zs_error_t *err);

static void
s_pack_str(msgpack_packer *pk, const char *str, size_t size)
{
    msgpack_pack_str(pk, size);
    msgpack_pack_str_body(pk, str, size);
}

static int
s_encode_str(msgpack_packer *pk,
             const zs_msgtab_field_t *field,
             const char *str,
             zs_error_t *err)
{
    if (!str) {
        return zs_error_set(err, ZS_ERR_MALFORMED, "field '%s': NULL string", field->key);
    }
    //  stop one byte past the bound: an overlong string need not be walked to its end
    size_t size = strnlen(str, field->max + 1);
    if (zs_msgval_check_str(field, str, size, err) != 0) {
        return -1;
    }
    s_pack_str(pk, str, size);
    return 0;
}

static int
s_encode_bin(msgpack_packer *pk,
             const zs_msgtab_field_t *field,
             const uint8_t *base,
             zs_error_t *err)
{
    const uint8_t *data = ZS_MSGTAB_GET(base, field, const uint8_t *);
    size_t size = ZS_MSGTAB_GET_AUX(base, field, size_t);
    if (zs_msgval_check_size(field, size, err) != 0) {
        return -1;
    }
    msgpack_pack_bin(pk, size);
    msgpack_pack_bin_body(pk, data, size);
    return 0;
}

static int
s_encode_list(msgpack_packer *pk,
              const zs_msgtab_field_t *field,
              const uint8_t *base,
              zs_error_t *err)
{
    zs_msg_list_t list = ZS_MSGTAB_GET(base, field, zs_msg_list_t);
    if (zs_msgval_check_count(field, list.count, err) != 0) {
        return -1;
    }
    if (!list.items) {
        return zs_error_set(err, ZS_ERR_MALFORMED, "field '%s': %zu items at NULL",
                            field->key, list.count);
    }
    msgpack_pack_array(pk, list.count);
    for (size_t i = 0; i < list.count; i++) {
        if (s_encode_str(pk, field, list.items[i], err) != 0) {
            return -1;
        }
    }
    return 0;
}

static int
s_encode_bins(msgpack_packer *pk,
              const zs_msgtab_field_t *field,
              const uint8_t *base,
              zs_error_t *err)
{
    zs_msg_bins_t bins = ZS_MSGTAB_GET(base, field, zs_msg_bins_t);
    if (zs_msgval_check_count(field, bins.count, err) != 0) {
        return -1;
    }
    if (!bins.items) {
        return zs_error_set(err, ZS_ERR_MALFORMED, "field '%s': %zu items at NULL",
                            field->key, bins.count);
    }
    msgpack_pack_array(pk, bins.count);
    for (size_t i = 0; i < bins.count; i++) {
        if (zs_msgval_check_size(field, bins.items[i].size, err) != 0) {
            return -1;
        }
        msgpack_pack_bin(pk, bins.items[i].size);
        msgpack_pack_bin_body(pk, bins.items[i].data, bins.items[i].size);
    }
    return 0;
}

static int
s_encode_records(msgpack_packer *pk,
                 const zs_msgtab_field_t *field,
                 const uint8_t *base,
                 zs_error_t *err)
{
    const uint8_t *records = zs_msgtab_records(field, base);
    size_t count = ZS_MSGTAB_GET_AUX(base, field, size_t);
    if (zs_msgval_check_count(field, count, err) != 0) {
        return -1;
    }
    if (count > 0 && !records) {
        return zs_error_set(err, ZS_ERR_MALFORMED, "field '%s': %zu records at NULL",
                            field->key, count);
    }
    msgpack_pack_array(pk, count);
    for (size_t i = 0; i < count; i++) {
        if (s_encode_map(pk, field->record, records + i * field->record_size, err) != 0) {
            return -1;
        }
    }
    return 0;
}

static int
s_encode_number(msgpack_packer *pk,
                const zs_msgtab_field_t *field,
                const uint8_t *base,
                zs_error_t *err)
{
    if (field->kind == ZS_KIND_FLOAT) {
        double value = ZS_MSGTAB_GET(base, field, double);
        if (zs_msgval_check_float(field, value, err) != 0) {
            return -1;
        }
        msgpack_pack_double(pk, value);
        return 0;
    }
    if (field->kind == ZS_KIND_INT) {
        int64_t value = ZS_MSGTAB_GET(base, field, int64_t);
        if (zs_msgval_check_int(field, value, err) != 0) {
            return -1;
        }
        msgpack_pack_int64(pk, value);
        return 0;
    }
    uint64_t value = ZS_MSGTAB_GET(base, field, uint64_t);
    if (zs_msgval_check_uint(field, value, err) != 0) {
        return -1;
    }
    msgpack_pack_uint64(pk, value);
    return 0;
}

static int
s_encode_value(msgpack_packer *pk,
               const zs_msgtab_field_t *field,
               const uint8_t *base,
               zs_error_t *err)
{
    const char *name;
    switch ((zs_msgtab_kind_t) field->kind) {
    case ZS_KIND_VERSION:
        msgpack_pack_uint64(pk, ZS_MSG_VERSION);
        return 0;
    case ZS_KIND_TYPE:
        name = zs_msg_type_name(ZS_MSGTAB_GET(base, field, zs_msg_type_t));
        s_pack_str(pk, name, strlen(name));
        return 0;
    case ZS_KIND_UINT:
    case ZS_KIND_INT:
    case ZS_KIND_FLOAT:
        return s_encode_number(pk, field, base, err);
    case ZS_KIND_BOOL:
        if (ZS_MSGTAB_GET(base, field, bool)) {
            msgpack_pack_true(pk);
        } else {
            msgpack_pack_false(pk);
        }
        return 0;
    case ZS_KIND_STR:
        return s_encode_str(pk, field, ZS_MSGTAB_GET(base, field, const char *), err);
    case ZS_KIND_BIN:
        return s_encode_bin(pk, field, base, err);
    case ZS_KIND_STRLIST:
        return s_encode_list(pk, field, base, err);
    case ZS_KIND_BINLIST:
        return s_encode_bins(pk, field, base, err);
    case ZS_KIND_RECORDS:
        return s_encode_records(pk, field, base, err);
    }
    return zs_error_set(err, ZS_ERR_MALFORMED, "field '%s': unknown kind", field->key);
}

//  Which of the type's fields go on the wire, into send: required ones (an error if they
//  have no value) and optional ones that are set. Returns their number, or -1
static int
s_encode_select(const zs_msgtab_type_t *type,
                const uint8_t *base,
                bool *send,
                zs_error_t *err)
{
    int count = 0;
    for (size_t i = 0; i < type->count; i++) {
        const zs_msgtab_use_t *use = &type->uses[i];
        send[i] = zs_msgval_is_set(use->field, base) ||
                  (use->required && zs_msgval_zero_is_value(use->field));
        if (!send[i] && use->required) {
            return zs_error_set(err, ZS_ERR_MALFORMED, "missing required field '%s'",
                                use->field->key);
        }
        count += send[i];
    }
    return count;
}

static int
s_encode_map(msgpack_packer *pk,
             const zs_msgtab_type_t *type,
             const uint8_t *base,
             zs_error_t *err)
{
    bool send[ZS_MSGTAB_TYPE_FIELDS_MAX];
    int count = s_encode_select(type, base, send, err);
    if (count < 0) {
        return -1;
    }
    msgpack_pack_map(pk, (size_t) count);
    for (size_t i = 0; i < type->count; i++) {
        const zs_msgtab_field_t *field = type->uses[i].field;
        if (!send[i]) {
            continue;
        }
        s_pack_str(pk, field->key, field->key_size);
        if (s_encode_value(pk, field, base, err) != 0) {
            return -1;
        }
    }
    return 0;
}

static int
s_encode(const zs_msg_t *self, msgpack_sbuffer *buf, zs_error_t *err)
{
    if (self->type <= ZS_MSG_INVALID || self->type >= ZS_MSG_TYPE_COUNT) {
        return zs_error_set(err, ZS_ERR_UNKNOWN_TYPE, "no type %d", (int) self->type);
    }
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, s_sbuffer_write);
    if (s_encode_map(&pk, zs_msgtab_type(self->type), (const uint8_t *) self, err) != 0) {
        return -1;
    }
    if (buf->size > ZS_MSG_FRAME_MAX) {
        return zs_error_set(err, ZS_ERR_MALFORMED, "%zu bytes, more than %u", buf->size,
                            ZS_MSG_FRAME_MAX);
    }
    return 0;
}

int
zs_msg_encode(const zs_msg_t *self, msgpack_sbuffer *buf)
{
    assert(self);
    assert(buf);
    msgpack_sbuffer_clear(buf);
    zs_error_t err;
    if (s_encode(self, buf, &err) != 0) {
        zsys_error("cannot encode '%s': %s", zs_msg_type_name(self->type), err.text);
        msgpack_sbuffer_clear(buf);
        return -1;
    }
    return 0;
}

int
zs_msg_send(const zs_msg_t *self,
            void *socket,
            const void *prefix,
            size_t prefix_size,
            int flags,
            msgpack_sbuffer *buf)
{
    assert(self);
    assert(socket);
    assert(buf);
    if (zs_msg_encode(self, buf) != 0) {
        errno = EINVAL;
        return -1;
    }
    if (prefix && zmq_send(socket, prefix, prefix_size, flags | ZMQ_SNDMORE) == -1) {
        return -1;
    }
    //  libzmq takes the later parts of a message once it accepted the first, so this
    //  fails after a sent prefix only when the socket or its context is closing, and
    //  then nothing of the message is delivered
    if (zmq_send(socket, buf->data, buf->size, flags) == -1) {
        return -1;
    }
    return 0;
}

const char *const zs_msg_vote_strategies[ZS_MSG_VOTE_STRATEGIES] = {
    "majority", "super-majority", "byzantine", "unanimous", "trust-weighted"};

bool
zs_msg_text_valid(const char *text, size_t size)
{
    return zs_msgval_text_fault(text, size) == SIZE_MAX;
}

bool
zs_msg_name_valid(const char *name, size_t size, size_t max)
{
    static const char chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
    return size >= 1 && size <= max && strspn(name, chars) == size;
}

bool
zs_msg_node_name_valid(const char *name)
{
    assert(name);
    return zs_msg_name_valid(name, strlen(name), ZS_MSG_NODE_NAME_MAX);
}
