//  test_msg - the wire codec: round trips, every validation rule, a fuzz loop
//
//  Frames for the cases are packed by test_msg_spec.h from its own restatement of the
//  protocol, so the codec under test never checks itself.

#ifndef _GNU_SOURCE
#define _GNU_SOURCE  //  memmem, open_memstream
#endif
#include "proto/zs_msg.h"
#include "tests/unit/test_msg_spec.h"
#include "tests/unit/zs_test.h"

#include <ctype.h>
#include <czmq.h>
#include <inttypes.h>
#include <math.h>

//  ---------------------------------------------------------------------------------------
//  Cases

//  A client encodes a submit; the coordinator decodes it into a message that owns its
//  data
static void
test_normal_use(void)
{
    zs_msg_t submit;
    zs_msg_init(&submit, ZS_MSG_SUBMIT);
    submit.rid = 1;
    submit.ttype = "echo";
    submit.payload = (const uint8_t *) "hello";
    submit.payload_size = 5;
    submit.wait = true;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    ZS_CHECK(zs_msg_encode(&submit, &buf) == 0);

    zs_msg_t got;
    zs_error_t err;
    ZS_CHECK_OK(zs_msg_decode(&got, buf.data, buf.size, &err), err);
    memset(buf.data, 0xff, buf.size);  //  the frame is gone; got keeps its own copies
    msgpack_sbuffer_destroy(&buf);
    ZS_CHECK(got.type == ZS_MSG_SUBMIT);
    ZS_CHECK(got.rid == 1);
    ZS_CHECK_STR(got.ttype, "echo");
    ZS_CHECK(got.payload_size == 5 && memcmp(got.payload, "hello", 5) == 0);
    ZS_CHECK_STR((const char *) got.payload, "hello");  //  bins are NUL-terminated
    ZS_CHECK(got.wait);
    ZS_CHECK(got.task == NULL && got.pri == 0 && got.tmo == 0);  //  absent reads as zero
    zs_msg_fini(&got);
    ZS_CHECK(got.type == ZS_MSG_INVALID && got.ttype == NULL);
}

//  The test's table names every type once, with the codec's names
static void
test_type_names(void)
{
    bool covered[ZS_MSG_TYPE_COUNT] = {false};
    for (size_t i = 0; i < S_TYPE_COUNT; i++) {
        const t_type_t *type = &s_types[i];
        ZS_CHECK(!covered[type->type]);
        covered[type->type] = true;
        ZS_CHECK_STR(zs_msg_type_name(type->type), type->name);
        ZS_CHECK(zs_msg_type_from_name(type->name, strlen(type->name)) == type->type);
    }
    for (int type = ZS_MSG_INVALID + 1; type < ZS_MSG_TYPE_COUNT; type++) {
        ZS_CHECK(covered[type]);
    }
    ZS_CHECK_STR(zs_msg_type_name(ZS_MSG_INVALID), "invalid");
    ZS_CHECK_STR(zs_msg_type_name(ZS_MSG_TYPE_COUNT), "invalid");
    const char *bad[] = {"",      "invalid",  "task.", "hello ",
                         "Hello", "task.okk", "zzz",   "a"};
    for (size_t i = 0; i < S_COUNT(bad); i++) {
        ZS_CHECK(zs_msg_type_from_name(bad[i], strlen(bad[i])) == ZS_MSG_INVALID);
    }
    ZS_CHECK(zs_msg_type_from_name("task.okay", 7) == ZS_MSG_TASK_OK);
}

//  Frame with every field -> decode -> compare -> encode -> decode -> compare -> same
//  bytes
static void
s_round_trip(const t_type_t *type, bool required_only)
{
    char store[S_KEY_COUNT][S_TEXT_ROOM];
    zs_msg_t want, got, again;
    zs_error_t err;
    msgpack_sbuffer frame, first, second;
    msgpack_sbuffer_init(&frame);
    msgpack_sbuffer_init(&first);
    msgpack_sbuffer_init(&second);
    t_build_t how = {.required_only = required_only};
    s_build(&frame, type, &how);
    s_expected(&want, type, required_only, store);

    ZS_CHECK_OK(zs_msg_decode(&got, frame.data, frame.size, &err), err);
    const char *differs = s_first_difference(&got, &want);
    ZS_CHECK_STR(differs ? differs : "(none)", "(none)");
    ZS_CHECK(zs_msg_encode(&got, &first) == 0);
    ZS_CHECK(zs_msg_encode(&want, &second) == 0);
    ZS_CHECK(first.size == second.size &&
             memcmp(first.data, second.data, first.size) == 0);
    ZS_CHECK_OK(zs_msg_decode(&again, first.data, first.size, &err), err);
    ZS_CHECK(s_first_difference(&again, &want) == NULL);
    ZS_CHECK(zs_msg_encode(&again, &second) == 0);
    ZS_CHECK(first.size == second.size &&
             memcmp(first.data, second.data, first.size) == 0);
    zs_msg_fini(&got);
    zs_msg_fini(&again);
    msgpack_sbuffer_destroy(&frame);
    msgpack_sbuffer_destroy(&first);
    msgpack_sbuffer_destroy(&second);
}

static void
test_every_type_round_trips(void)
{
    for (size_t i = 0; i < S_TYPE_COUNT; i++) {
        s_round_trip(&s_types[i], false);
        if (!zs_test_failed_) {
            s_round_trip(&s_types[i], true);
        }
        if (zs_test_failed_) {
            fprintf(stderr, "  in type '%s'\n", s_types[i].name);
            return;
        }
    }
}

//  Sets up a frame for key k of type and the error text it must get
typedef void (*t_sweep_fn)(const t_type_t *type, size_t k, t_build_t *how, char *want);

#define S_USES(use) (1u << (use))

//  How a type uses a wire key, whichever of the fields with that key it carries
static t_use_t
s_key_use(const t_type_t *type, const char *key)
{
    t_use_t use = T_ABSENT;
    for (size_t k = 0; k < S_KEY_COUNT; k++) {
        if (strcmp(s_keys[k].key, key) == 0 && s_use(type, k) != T_ABSENT) {
            use = s_use(type, k);
        }
    }
    return use;
}

//  For every type, and every key that type uses in one of the ways in uses, the frame
//  prepare asks for is refused as malformed with the text it gives
static bool
s_sweep(unsigned uses, t_sweep_fn prepare)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    bool refused = true;
    for (size_t i = 0; refused && i < S_TYPE_COUNT; i++) {
        for (size_t k = 0; refused && k < S_KEY_COUNT; k++) {
            t_use_t use = s_key_use(&s_types[i], s_keys[k].key);
            if (!(uses & S_USES(use))) {
                continue;
            }
            t_build_t how = {.required_only = false};
            char want[128];
            prepare(&s_types[i], k, &how, want);
            s_build(&buf, &s_types[i], &how);
            zs_msg_t msg;
            zs_error_t err = {.code = 0};
            int rc = zs_msg_decode(&msg, buf.data, buf.size, &err);
            refused = s_error_is(rc, &err, ZS_ERR_MALFORMED, want, s_types[i].name);
        }
    }
    msgpack_sbuffer_destroy(&buf);
    return refused;
}

static void
s_omit(const t_type_t *type, size_t k, t_build_t *how, char *want)
{
    how->omit = s_keys[k].key;
    snprintf(want, 128, "missing required field '%s' for '%s'", s_keys[k].key,
             type->name);
}

static void
s_twice(const t_type_t *type, size_t k, t_build_t *how, char *want)
{
    (void) type;
    how->twice = s_keys[k].key;
    snprintf(want, 128, "duplicate key '%s'", s_keys[k].key);
}

//  The sample value is valid for the key: only its presence in this type is wrong
static void
s_add(const t_type_t *type, size_t k, t_build_t *how, char *want)
{
    how->key = s_keys[k].key;
    snprintf(want, 128, "unknown key '%s' for '%s'", s_keys[k].key, type->name);
}

static void
test_missing_required(void)
{
    ZS_CHECK(s_sweep(S_USES(T_REQUIRED), s_omit));
    ZS_CHECK(s_bad_frames_refused("head"));
    ZS_CHECK(s_bad_values_refused("empty"));
}

static void
test_unknown_key(void)
{
    ZS_CHECK(s_sweep(S_USES(T_ABSENT), s_add));
    ZS_CHECK(s_bad_values_refused("unknown"));
}

static void
test_duplicate_key(void)
{
    ZS_CHECK(s_sweep(S_USES(T_OPTIONAL) | S_USES(T_REQUIRED), s_twice));
    ZS_CHECK(s_bad_frames_refused("dup"));
}

static void
test_wrong_kind(void)
{
    ZS_CHECK(s_bad_values_refused("kind"));
    ZS_CHECK(s_bad_frames_refused("key"));
}

static void
test_integer_widths(void)
{
    //  every width is accepted when the value fits the field, signed encodings included
    // clang-format off
    static const t_good_value_t widths[] = {
        GOOD ("submit", "tmo", "\x05"), GOOD ("submit", "tmo", "\xcc\x05"),
        GOOD ("submit", "tmo", "\xcd\0\x05"), GOOD ("submit", "tmo", "\xce\0\0\0\x05"),
        GOOD ("submit", "tmo", "\xcf\0\0\0\0\0\0\0\x05"), GOOD ("submit", "tmo", "\xd0\x05"),
        GOOD ("submit", "tmo", "\xd1\0\x05"), GOOD ("submit", "tmo", "\xd2\0\0\0\x05"),
        GOOD ("submit", "tmo", "\xd3\0\0\0\0\0\0\0\x05"),
        GOOD ("submit", "pri", "\xfb"), GOOD ("submit", "pri", "\xd0\xfb"),
        GOOD ("submit", "pri", "\xd1\xff\xfb"), GOOD ("submit", "pri", "\xd2\xff\xff\xff\xfb"),
        GOOD ("submit", "pri", "\xd3\xff\xff\xff\xff\xff\xff\xff\xfb"),
    };
    // clang-format on
    for (size_t i = 0; i < S_COUNT(widths); i++) {
        zs_msg_t msg;
        zs_error_t err;
        const t_good_value_t *w = &widths[i];
        ZS_CHECK_OK(s_decode_with(w->type, w->key, w->raw, w->raw_size, &msg, &err), err);
        ZS_CHECK(w->key[0] == 't' ? msg.tmo == 5 : msg.pri == -5);
        zs_msg_fini(&msg);
    }
    zs_msg_t msg;
    zs_error_t err;
    ZS_CHECK_OK(
        s_decode_with("task.result", "exit", RAW("\xd3\x80\0\0\0\0\0\0\0"), &msg, &err),
        err);
    ZS_CHECK(msg.exit == INT64_MIN);
    zs_msg_fini(&msg);
    ZS_CHECK_OK(s_decode_with("task.result", "exit",
                              RAW("\xcf\x7f\xff\xff\xff\xff\xff\xff\xff"), &msg, &err),
                err);
    ZS_CHECK(msg.exit == INT64_MAX);
    zs_msg_fini(&msg);
    ZS_CHECK_OK(s_decode_with("status", "rid",
                              RAW("\xcf\xff\xff\xff\xff\xff\xff\xff\xff"), &msg, &err),
                err);
    ZS_CHECK(msg.rid == UINT64_MAX);
    zs_msg_fini(&msg);
}

static void
test_number_ranges(void)
{
    ZS_CHECK(s_bad_values_refused("range"));
    for (size_t i = 0; i < S_COUNT(s_good_values); i++) {
        const t_good_value_t *good = &s_good_values[i];
        ZS_CHECK(s_good_value(good->type, good->key, good->raw, good->raw_size));
    }
}

//  A str or bin value of size bytes of fill, or a list holding one such str, pre-packed
typedef enum { T_VALUE_STR, T_VALUE_BIN, T_VALUE_LIST } t_value_t;

static void
s_value(msgpack_sbuffer *buf, t_value_t shape, size_t size)
{
    msgpack_packer pk;
    char *bytes = malloc(size + 1);
    memset(bytes, 'x', size);
    msgpack_sbuffer_clear(buf);
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    if (shape == T_VALUE_LIST) {
        msgpack_pack_array(&pk, 1);
    }
    if (shape == T_VALUE_BIN) {
        msgpack_pack_bin(&pk, size);
        msgpack_pack_bin_body(&pk, bytes, size);
    } else {
        msgpack_pack_str(&pk, size);
        msgpack_pack_str_body(&pk, bytes, size);
    }
    free(bytes);
}

typedef struct {
    const char *type;      //  a full frame of this type ...
    const char *key;       //  ... with this key's value ...
    t_value_t shape;       //  ... a str, bin or list of one str ...
    size_t size;           //  ... of this many bytes (the most allowed)
    const char *fragment;  //  the error for one byte more
} t_size_bound_t;

static void
test_size_bounds(void)
{
    static const t_size_bound_t bounds[] = {
        {"submit", "task", T_VALUE_STR, ZS_MSG_NAME_MAX,
         "field 'task': 65 bytes, out of range 1..64"},
        {"welcome", "handler", T_VALUE_STR, ZS_MSG_NAME_MAX, "field 'handler': 65 bytes"},
        {"bye", "why", T_VALUE_STR, ZS_MSG_TEXT_MAX,
         "field 'why': 1025 bytes, out of range 0..1024"},
        {"task.progress", "note", T_VALUE_STR, ZS_MSG_TEXT_MAX,
         "field 'note': 1025 bytes"},
        {"hello", "caps", T_VALUE_LIST, ZS_MSG_NAME_MAX, "field 'caps': 65 bytes"},
        {"welcome", "argv", T_VALUE_LIST, ZS_MSG_ARG_MAX, "field 'argv': 4097 bytes"},
        {"task.assign", "payload", T_VALUE_BIN, ZS_MSG_PAYLOAD_MAX,
         "field 'payload': 1048577 bytes, out of range 0..1048576"},
        {"task.result", "stdout", T_VALUE_BIN, ZS_MSG_OUTPUT_MAX,
         "field 'stdout': 65537"},
        {"wait.ok", "stderr", T_VALUE_BIN, ZS_MSG_OUTPUT_MAX, "field 'stderr': 65537"},
    };
    msgpack_sbuffer v;
    msgpack_sbuffer_init(&v);
    for (size_t i = 0; i < S_COUNT(bounds); i++) {
        const t_size_bound_t *b = &bounds[i];
        s_value(&v, b->shape, b->size);
        ZS_CHECK(s_good_value(b->type, b->key, v.data, v.size));
        s_value(&v, b->shape, b->size + 1);
        ZS_CHECK(s_bad_value(b->type, b->key, v.data, v.size, b->fragment));
    }
    msgpack_sbuffer_destroy(&v);
}

static void
test_nul_in_string(void)
{
    ZS_CHECK(s_bad_values_refused("nul"));
    //  a bin may hold NUL bytes; and an empty bin is set, not NULL, and sent again
    zs_msg_t msg;
    zs_error_t err;
    ZS_CHECK_OK(s_decode_with("submit", "payload", RAW("\xc4\x03\0x\0"), &msg, &err),
                err);
    ZS_CHECK(msg.payload_size == 3 && memcmp(msg.payload, "\0x\0", 3) == 0);
    zs_msg_fini(&msg);
    ZS_CHECK_OK(s_decode_with("submit", "payload", RAW("\xc4\x00"), &msg, &err), err);
    ZS_CHECK(msg.payload != NULL && msg.payload_size == 0);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    ZS_CHECK(zs_msg_encode(&msg, &buf) == 0);
    ZS_CHECK(memmem(buf.data, buf.size, "\xa7payload\xc4\x00", 10) != NULL);
    msgpack_sbuffer_destroy(&buf);
    zs_msg_fini(&msg);
}

//  An array value of count short strings, or of count minimal records of a kind
static void
s_value_array(msgpack_sbuffer *buf, size_t count, const t_record_t *record)
{
    msgpack_packer pk;
    msgpack_sbuffer_clear(buf);
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, count);
    for (size_t i = 0; i < count; i++) {
        if (record) {
            s_pack_record(&pk, record, true);
        } else {
            s_pack_cstr(&pk, "cap");
        }
    }
}

static void
test_count_bounds(void)
{
    msgpack_sbuffer v;
    msgpack_sbuffer_init(&v);
    s_value_array(&v, ZS_MSG_LIST_MAX, NULL);
    ZS_CHECK(s_good_value("hello", "caps", v.data, v.size));
    ZS_CHECK(s_good_value("welcome", "argv", v.data, v.size));
    s_value_array(&v, ZS_MSG_LIST_MAX + 1, NULL);
    ZS_CHECK(
        s_bad_value("hello", "caps", v.data, v.size, "'caps': 65 items, more than 64"));
    ZS_CHECK(s_bad_value("welcome", "argv", v.data, v.size, "field 'argv': 65 items"));
    s_value_array(&v, ZS_MSG_AGENTS_MAX, &s_agent_record);
    zs_msg_t msg;
    zs_error_t err;
    ZS_CHECK_OK(s_decode_with("agents.ok", "agents", v.data, v.size, &msg, &err), err);
    ZS_CHECK(msg.agent_count == ZS_MSG_AGENTS_MAX);
    ZS_CHECK_STR(msg.agents[ZS_MSG_AGENTS_MAX - 1].atype, "atype");
    zs_msg_fini(&msg);
    s_value_array(&v, ZS_MSG_AGENTS_MAX + 1, &s_agent_record);
    ZS_CHECK(s_bad_value("agents.ok", "agents", v.data, v.size,
                         "field 'agents': 10001 items, more than 10000"));
    msgpack_sbuffer_destroy(&v);
    //  empty arrays are fine: caps reads as absent, agents.ok lists no agents
    ZS_CHECK_OK(s_decode_with("agents.ok", "agents", RAW("\x90"), &msg, &err), err);
    ZS_CHECK(msg.agent_count == 0 && msg.agents == NULL);
    zs_msg_fini(&msg);
    ZS_CHECK_OK(s_decode_with("hello", "caps", RAW("\x90"), &msg, &err), err);
    ZS_CHECK(msg.caps.count == 0 && msg.caps.items == NULL);
    zs_msg_fini(&msg);
}

//  A fan-out's items: an array of bins, each a payload, at most ZS_MSG_ITEMS_MAX
static void
test_bin_items(void)
{
    zs_msg_t msg;
    zs_error_t err;
    ZS_CHECK_OK(s_decode_with("submit", "items",
                              RAW("\x93\xc4\x01"
                                  "a\xc4\x00\xc4\x02\x00"
                                  "b"),
                              &msg, &err),
                err);
    ZS_CHECK(msg.items.count == 3 && msg.items.items[0].size == 1 &&
             msg.items.items[1].size == 0 && msg.items.items[2].size == 2 &&
             memcmp(msg.items.items[2].data,
                    "\0"
                    "b",
                    2) == 0);
    zs_msg_fini(&msg);
    ZS_CHECK(s_bad_value("submit", "items",
                         RAW("\x91\xa1"
                             "a"),
                         "field 'items': expected bin items, got str"));
    ZS_CHECK(s_bad_value("submit", "items",
                         RAW("\xc4\x01"
                             "a"),
                         "field 'items': expected array, got bin"));
    msgpack_sbuffer v;
    msgpack_sbuffer_init(&v);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &v, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, ZS_MSG_ITEMS_MAX + 1);
    for (size_t i = 0; i <= ZS_MSG_ITEMS_MAX; i++) {
        msgpack_pack_bin(&pk, 0);
    }
    ZS_CHECK(s_bad_value("submit", "items", v.data, v.size,
                         "field 'items': 10001 items, more than 10000"));
    msgpack_sbuffer_clear(&v);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_bin(&pk, ZS_MSG_PAYLOAD_MAX + 1);
    for (size_t i = 0; i <= ZS_MSG_PAYLOAD_MAX; i++) {
        msgpack_sbuffer_write(&v, "x", 1);
    }
    ZS_CHECK(s_bad_value("submit", "items", v.data, v.size,
                         "field 'items': 1048577 bytes, out of range 0..1048576"));
    msgpack_sbuffer_destroy(&v);
}

//  str values are UTF-8, as msgpack says and strict clients check; bins are any bytes
static void
test_utf8(void)
{
    ZS_CHECK(s_bad_values_refused("utf8"));
}

static void
test_version(void)
{
    ZS_CHECK(s_bad_values_refused("version"));
}

static void
test_type_field(void)
{
    ZS_CHECK(s_bad_values_refused("type"));
}

//  Every proper prefix of a valid frame is refused: msgpack is prefix-free
static void
test_truncated_everywhere(void)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    for (size_t i = 0; i < S_TYPE_COUNT; i++) {
        t_build_t how = {.required_only = false};
        s_build(&buf, &s_types[i], &how);
        for (size_t size = 0; size < buf.size; size++) {
            zs_msg_t msg;
            zs_error_t err;
            //  an exact-size copy, so ASan sees any read past the end
            char *copy = malloc(size ? size : 1);
            memcpy(copy, buf.data, size);
            int rc = zs_msg_decode(&msg, copy, size, &err);
            free(copy);
            if (rc != -1 || err.code != ZS_ERR_MALFORMED) {
                fprintf(stderr, "'%s' cut at %zu of %zu: rc %d code %d '%s'\n",
                        s_types[i].name, size, buf.size, rc, err.code, err.text);
            }
            ZS_CHECK(rc == -1 && err.code == ZS_ERR_MALFORMED);
        }
    }
    msgpack_sbuffer_destroy(&buf);
}

static void
test_trailing_bytes(void)
{
    zs_msg_t msg;
    zs_error_t err;
    ZS_CHECK_OK(zs_msg_decode(&msg, RAW("\x82\xa1v\x01\xa1t\xa6status"), &err), err);
    zs_msg_fini(&msg);
    ZS_CHECK(s_bad_frames_refused("trailing"));
}

static void
test_not_a_map(void)
{
    ZS_CHECK(s_bad_frames_refused("map"));
    size_t size = ZS_MSG_FRAME_MAX + 1;
    char *big = calloc(1, size);
    zs_msg_t msg;
    zs_error_t err;
    int rc = zs_msg_decode(&msg, big, size, &err);
    free(big);
    ZS_CHECK(s_error_is(rc, &err, ZS_ERR_MALFORMED,
                        "frame of 4194305 bytes, more than 4194304", "big frame"));
}

static void
test_huge_counts(void)
{
    ZS_CHECK(s_bad_frames_refused("huge"));
    //  nesting a million deep in a skipped value takes no stack: the skip is a loop
    size_t depth = 1000000;
    char *deep = malloc(depth + 16);
    memcpy(deep, "\x83\xa1v\x01\xa1t\xa6status\xa1x", 15);
    memset(deep + 15, 0x91, depth);
    deep[15 + depth] = (char) 0xc0;
    zs_msg_t msg;
    zs_error_t err;
    int rc = zs_msg_decode(&msg, deep, 16 + depth, &err);
    free(deep);
    ZS_CHECK(
        s_error_is(rc, &err, ZS_ERR_MALFORMED, "unknown key 'x' for 'status'", "deep"));
}

static void
test_rid_on_failure(void)
{
    // clang-format off
    static const t_bad_frame_t frames[] = {
        FRAME ("rid", "\x84\xa1v\x01\xa1t\xa6submit\xa3rid\x09\xa3" "foo\x01", ZS_ERR_MALFORMED, "unknown key 'foo'"),
        FRAME ("rid", "\x83\xa3rid\xcd\x01\x00\xa1v\x02\xa1t\xa1x", ZS_ERR_VERSION, "version 2"),
        FRAME ("rid", "\x83\xa1v\x01\xa1t\xa6status\xa3rid\xa1" "9", ZS_ERR_MALFORMED, "field 'rid': expected uint, got str"),
    };
    // clang-format on
    const uint64_t rids[] = {9, 256, 0};
    for (size_t i = 0; i < S_COUNT(frames); i++) {
        zs_msg_t msg;
        zs_error_t err;
        int rc = zs_msg_decode(&msg, frames[i].frame, frames[i].size, &err);
        ZS_CHECK(s_error_is(rc, &err, frames[i].code, frames[i].fragment, "rid"));
        ZS_CHECK(msg.rid == rids[i] && msg.type == ZS_MSG_INVALID && msg.task == NULL);
    }
}

//  Optional fields sent as zero, false or empty are accepted and read as absent
static void
test_zero_is_absent(void)
{
    zs_msg_t msg;
    zs_error_t err;
    const char frame[] =
        "\x88\xa1v\x01\xa1t\xa6submit\xa5ttype\xa4"
        "echo\xa3pri\x00\xa3tmo\xd0\x00\xa5tries\x00\xa4wait\xc2\xa3rid\x00";
    ZS_CHECK_OK(zs_msg_decode(&msg, frame, sizeof frame - 1, &err), err);
    ZS_CHECK(msg.pri == 0 && msg.tmo == 0 && msg.tries == 0 && !msg.wait && msg.rid == 0);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    ZS_CHECK(zs_msg_encode(&msg, &buf) == 0);
    const char minimal[] = "\x83\xa1v\x01\xa1t\xa6submit\xa5ttype\xa4"
                           "echo";
    ZS_CHECK(buf.size == sizeof minimal - 1 && memcmp(buf.data, minimal, buf.size) == 0);
    zs_msg_fini(&msg);
    msgpack_sbuffer_destroy(&buf);
}

//  How a field's value reads after decoding: the test edits the sample message to match
typedef void (*t_fill_fn)(zs_msg_t *msg, size_t k);

static void
s_fill_empty_text(zs_msg_t *msg, size_t k)
{
    *(const char **) (void *) ((uint8_t *) msg + s_keys[k].offset) = "";
}

static void
s_fill_empty_bin(zs_msg_t *msg, size_t k)
{
    *(const uint8_t **) (void *) ((uint8_t *) msg + s_keys[k].offset) =
        (const uint8_t *) "";
    *(size_t *) (void *) ((uint8_t *) msg + s_keys[k].aux) = 0;
}

//  A full frame of type with field k's value replaced by raw (size bytes) decodes to
//  the type's sample message as fill edits it
static bool
s_reads_as(const t_type_t *type, size_t k, const char *raw, size_t size, t_fill_fn fill)
{
    char store[S_KEY_COUNT][S_TEXT_ROOM];
    zs_msg_t want, got;
    zs_error_t err;
    s_expected(&want, type, false, store);
    fill(&want, k);
    if (s_decode_with(type->name, s_keys[k].key, raw, size, &got, &err) != 0) {
        fprintf(stderr, "'%s' with '%s': %s\n", type->name, s_keys[k].key, err.text);
        return false;
    }
    const char *differs = s_first_difference(&got, &want);
    zs_msg_fini(&got);
    if (differs) {
        fprintf(stderr, "'%s' with '%s' changed: field '%s' differs\n", type->name,
                s_keys[k].key, differs);
    }
    return differs == NULL;
}

//  A full frame of type with field k's value replaced by raw is refused with want
static bool
s_refused_as(
    const t_type_t *type, size_t k, const char *raw, size_t size, const char *want)
{
    zs_msg_t msg;
    zs_error_t err = {.code = 0};
    int rc = s_decode_with(type->name, s_keys[k].key, raw, size, &msg, &err);
    if (rc == 0) {
        zs_msg_fini(&msg);
    }
    return s_error_is(rc, &err, ZS_ERR_MALFORMED, want, type->name);
}

//  A nil in an optional field reads as absent: it is what Go's vmihailenco/msgpack, JS
//  @msgpack/msgpack, C# MessagePack, Rust rmp-serde and Java jackson send by default for
//  a value a struct does not hold. A required field must not be nil
static void
test_nil_is_absent(void)
{
    for (size_t i = 0; i < S_TYPE_COUNT; i++) {
        for (size_t k = 0; k < S_KEY_COUNT; k++) {
            t_use_t use = s_use(&s_types[i], k);
            char want[128];
            snprintf(want, sizeof want, "required field '%s' for '%s' is nil",
                     s_keys[k].key, s_types[i].name);
            ZS_CHECK(use != T_OPTIONAL ||
                     s_reads_as(&s_types[i], k, RAW("\xc0"), s_clear_field));
            ZS_CHECK(use != T_REQUIRED ||
                     s_refused_as(&s_types[i], k, RAW("\xc0"), want));
        }
    }
    ZS_CHECK(s_bad_values_refused("nil"));
    //  and so in an agent record, whose name may be empty as well
    zs_msg_t msg;
    zs_error_t err;
    ZS_CHECK_OK(s_decode_with("agents.ok", "agents",
                              RAW("\x91\x85\xa5"
                                  "agent\xa1"
                                  "a\xa5"
                                  "atype\xa1"
                                  "b\xa4"
                                  "host\xc0\xa3pid\xc0\xa4role\xa0"),
                              &msg, &err),
                err);
    ZS_CHECK(msg.agent_count == 1 && msg.agents[0].host == NULL &&
             msg.agents[0].pid == 0 && msg.agents[0].role == NULL);
    ZS_CHECK_STR(msg.agents[0].atype, "b");
    zs_msg_fini(&msg);
}

//  An empty string in an optional name (ids, types, names: a str that cannot be empty)
//  reads as absent, as a Go struct without omitempty sends it; a text (why, note,
//  prefix) may be empty and stays so; a required name must not be empty. The encoder
//  leaves an empty optional name out
static void
test_empty_name_is_absent(void)
{
    for (size_t i = 0; i < S_TYPE_COUNT; i++) {
        for (size_t k = 0; k < S_KEY_COUNT; k++) {
            t_use_t use = s_use(&s_types[i], k);
            if (s_keys[k].kind != T_STR || use == T_ABSENT) {
                continue;
            }
            bool name = s_keys[k].min > 0;
            char want[128];
            snprintf(want, sizeof want, "field '%s': 0 bytes", s_keys[k].key);
            ZS_CHECK(use != T_OPTIONAL || !name ||
                     s_reads_as(&s_types[i], k, RAW("\xa0"), s_clear_field));
            ZS_CHECK(use != T_OPTIONAL || name ||
                     s_reads_as(&s_types[i], k, RAW("\xa0"), s_fill_empty_text));
            ZS_CHECK(use != T_REQUIRED || !name ||
                     s_refused_as(&s_types[i], k, RAW("\xa0"), want));
        }
    }
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_HELLO);
    msg.atype = "echo";
    msg.host = "";
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    ZS_CHECK(zs_msg_encode(&msg, &buf) == 0);
    const char hello[] = "\x83\xa1v\x01\xa1t\xa5hello\xa5"
                         "atype\xa4"
                         "echo";
    ZS_CHECK(buf.size == sizeof hello - 1 && memcmp(buf.data, hello, buf.size) == 0);
    msgpack_sbuffer_destroy(&buf);
}

//  An empty bin is a value, never absent, in both directions: mem.get.ok tells an entry
//  whose value is empty (value: empty bin) from a signal, which has no value (no key)
static void
test_empty_bin_is_present(void)
{
    for (size_t i = 0; i < S_TYPE_COUNT; i++) {
        for (size_t k = 0; k < S_KEY_COUNT; k++) {
            bool bin = s_keys[k].kind == T_BIN;
            ZS_CHECK(!bin || s_use(&s_types[i], k) != T_OPTIONAL ||
                     s_reads_as(&s_types[i], k, RAW("\xc4\x00"), s_fill_empty_bin));
        }
    }
    zs_msg_t msg, got;
    zs_error_t err;
    zs_msg_init(&msg, ZS_MSG_MEM_GET_OK);
    msg.key = "k";
    msg.version = 1;
    msg.access = "swarm";
    msg.value = (const uint8_t *) "";  //  set, and empty
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    ZS_CHECK(zs_msg_encode(&msg, &buf) == 0);
    ZS_CHECK(memmem(buf.data, buf.size, "\xa5value\xc4\x00", 8) != NULL);
    ZS_CHECK_OK(zs_msg_decode(&got, buf.data, buf.size, &err), err);
    ZS_CHECK(got.value != NULL && got.value_size == 0);
    zs_msg_fini(&got);
    msg.value = NULL;  //  no value: a signal's reply
    msg.level = 5;
    ZS_CHECK(zs_msg_encode(&msg, &buf) == 0);
    ZS_CHECK(memmem(buf.data, buf.size, "value", 5) == NULL);
    ZS_CHECK_OK(zs_msg_decode(&got, buf.data, buf.size, &err), err);
    ZS_CHECK(got.value == NULL && got.value_size == 0 && got.level == 5);
    zs_msg_fini(&got);
    msgpack_sbuffer_destroy(&buf);
}

//  Encode refuses what decode would refuse, and writes nothing then
static void
test_encode_rejects(void)
{
    zs_log_init("test_msg");
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_TASK_ACK);
    msg.att = 1;
    ZS_CHECK(zs_msg_encode(&msg, &buf) == -1 && buf.size == 0);  //  task missing
    msg.task = "";
    ZS_CHECK(zs_msg_encode(&msg, &buf) == -1 && buf.size == 0);
    char long_name[ZS_MSG_NAME_MAX + 2];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    msg.task = long_name;
    ZS_CHECK(zs_msg_encode(&msg, &buf) == -1);
    long_name[ZS_MSG_NAME_MAX] = '\0';
    ZS_CHECK(zs_msg_encode(&msg, &buf) == 0 && buf.size > 0);
    msg.task = "caf\xc3";  //  cut UTF-8
    ZS_CHECK(zs_msg_encode(&msg, &buf) == -1 && buf.size == 0);

    zs_msg_init(&msg, ZS_MSG_SUBMIT);
    msg.ttype = "echo";
    msg.pri = 5000;
    ZS_CHECK(zs_msg_encode(&msg, &buf) == -1 && buf.size == 0);
    msg.pri = -1000;
    msg.payload = (const uint8_t *) "";
    msg.payload_size = ZS_MSG_PAYLOAD_MAX + 1;
    ZS_CHECK(zs_msg_encode(&msg, &buf) == -1);

    zs_msg_init(&msg, ZS_MSG_TASK_PROGRESS);
    msg.task = "t";
    msg.pct = 101;
    ZS_CHECK(zs_msg_encode(&msg, &buf) == -1);

    zs_msg_init(&msg, ZS_MSG_HELLO);
    msg.atype = "echo";
    msg.caps.count = 1;  //  items NULL
    ZS_CHECK(zs_msg_encode(&msg, &buf) == -1);
    const char *items[ZS_MSG_LIST_MAX + 1] = {"a", NULL};
    msg.caps.items = items;
    ZS_CHECK(zs_msg_encode(&msg, &buf) == 0);
    msg.caps.count = 2;  //  a NULL item
    ZS_CHECK(zs_msg_encode(&msg, &buf) == -1);
    for (size_t i = 0; i <= ZS_MSG_LIST_MAX; i++) {
        items[i] = "cap";
    }
    msg.caps.count = ZS_MSG_LIST_MAX + 1;
    ZS_CHECK(zs_msg_encode(&msg, &buf) == -1);

    zs_msg_init(&msg, ZS_MSG_AGENTS_OK);
    msg.agent_count = 1;  //  records NULL
    ZS_CHECK(zs_msg_encode(&msg, &buf) == -1);
    zs_msg_agent_t record = {.agent = "a"};  //  atype missing
    msg.agents = &record;
    ZS_CHECK(zs_msg_encode(&msg, &buf) == -1);

    zs_msg_init(&msg, ZS_MSG_INVALID);
    ZS_CHECK(zs_msg_encode(&msg, &buf) == -1);
    msg.type = ZS_MSG_TYPE_COUNT;
    ZS_CHECK(zs_msg_encode(&msg, &buf) == -1);
    msgpack_sbuffer_destroy(&buf);
}

//  Encode writes required fields (zero numbers and empty records included) and set ones
static void
test_encode_exact_bytes(void)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_TASK_ACK);
    msg.task = "t1";
    ZS_CHECK(zs_msg_encode(&msg, &buf) == 0);
    const char ack[] = "\x84\xa1v\x01\xa1t\xa8task.ack\xa4task\xa2t1\xa3"
                       "att\x00";
    ZS_CHECK(buf.size == sizeof ack - 1 && memcmp(buf.data, ack, buf.size) == 0);
    zs_msg_init(&msg, ZS_MSG_AGENTS_OK);
    ZS_CHECK(zs_msg_encode(&msg, &buf) == 0);
    const char agents[] = "\x83\xa1v\x01\xa1t\xa9"
                          "agents.ok\xa6"
                          "agents\x90";
    ZS_CHECK(buf.size == sizeof agents - 1 && memcmp(buf.data, agents, buf.size) == 0);
    msgpack_sbuffer_destroy(&buf);
}

//  The hex dumps of PROTOCOL.md §12 (the submit, its submit.ok, the wait.ok), read from
//  the document itself so that what it shows is what the codec writes
#define S_EXAMPLES     3    //  hex dumps in §12
#define S_EXAMPLE_MAX  256  //  bytes of one
#define S_EXAMPLE_PATH 4096

typedef struct {
    uint8_t bytes[S_EXAMPLE_MAX];  //  the frame
    size_t size;                   //  its length
} t_example_t;

//  Bytes a dump line starts with: "8d a1 76 ..." up to the first word that is not two
//  hex digits (the submit.ok's lines go on with the decoded map)
static void
s_example_line(const char *line, t_example_t *example)
{
    for (const char *at = line;
         isxdigit((unsigned char) at[0]) && isxdigit((unsigned char) at[1]) &&
         (at[2] == ' ' || at[2] == '\n' || at[2] == '\0') &&
         example->size < S_EXAMPLE_MAX;
         at += 3) {
        unsigned byte;
        sscanf(at, "%2x", &byte);
        example->bytes[example->size++] = (uint8_t) byte;
        if (at[2] != ' ') {
            break;
        }
    }
}

//  The dumps of §12 of the protocol at path: code blocks whose lines start with bytes.
//  Returns how many were found
static size_t
s_examples(const char *path, t_example_t *examples)
{
    FILE *file = fopen(path, "r");
    if (!file) {
        return 0;
    }
    char *line = NULL;
    size_t alloc = 0, found = 0;
    bool section = false, block = false;
    memset(examples, 0, S_EXAMPLES * sizeof *examples);
    while (getline(&line, &alloc, file) > 0 && found < S_EXAMPLES) {
        if (strncmp(line, "## ", 3) == 0) {
            section = strncmp(line, "## 12.", 6) == 0;
        } else if (section && strncmp(line, "```", 3) == 0) {
            found += block && examples[found].size > 0;
            block = !block;
        } else if (section && block) {
            s_example_line(line, &examples[found]);
        }
    }
    free(line);
    fclose(file);
    return found;
}

static bool
s_same_bytes(const msgpack_sbuffer *buf, const t_example_t *example)
{
    return buf->size == example->size &&
           memcmp(buf->data, example->bytes, buf->size) == 0;
}

//  PROTOCOL.md's worked example, byte for byte, both ways: the submit, its submit.ok
//  and the wait.ok that answers it
static void
test_protocol_example(void)
{
    const char *root = getenv("ZS_SOURCE_ROOT");
    if (!root) {
        printf("note: ZS_SOURCE_ROOT is not set: skipping PROTOCOL.md's example\n");
        return;
    }
    char path[S_EXAMPLE_PATH];
    snprintf(path, sizeof path, "%s/proto/PROTOCOL.md", root);
    t_example_t examples[S_EXAMPLES];
    ZS_CHECK(s_examples(path, examples) == S_EXAMPLES);
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_SUBMIT);
    msg.rid = 1;
    msg.task = "job-1";
    msg.ttype = "echo";
    msg.payload = (const uint8_t *) "hello";
    msg.payload_size = 5;
    msg.wait = true;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    ZS_CHECK(zs_msg_encode(&msg, &buf) == 0);
    ZS_CHECK(buf.size == 61 && s_same_bytes(&buf, &examples[0]));

    zs_msg_init(&msg, ZS_MSG_SUBMIT_OK);
    msg.rid = 1;
    msg.task = "job-1";
    ZS_CHECK(zs_msg_encode(&msg, &buf) == 0);
    ZS_CHECK(buf.size == 32 && s_same_bytes(&buf, &examples[1]));

    zs_msg_init(&msg, ZS_MSG_WAIT_OK);
    msg.rid = 1;
    msg.agent = "echo-1";
    msg.task = "job-1";
    msg.ttype = "echo";
    msg.tmo = 30000;
    msg.tries = 3;
    msg.att = 1;
    msg.status = "ok";
    msg.out = (const uint8_t *) "hello";
    msg.out_size = 5;
    msg.state = "completed";
    msg.ended = 1767225600000;  //  2026-01-01 00:00:00 UTC
    ZS_CHECK(zs_msg_encode(&msg, &buf) == 0);
    ZS_CHECK(buf.size == 128 && s_same_bytes(&buf, &examples[2]));
    msgpack_sbuffer_destroy(&buf);

    zs_error_t err;
    ZS_CHECK_OK(zs_msg_decode(&msg, examples[2].bytes, examples[2].size, &err), err);
    ZS_CHECK(msg.type == ZS_MSG_WAIT_OK && msg.ended == 1767225600000 && msg.att == 1);
    ZS_CHECK_STR(msg.state, "completed");
    zs_msg_fini(&msg);
    //  what Python's msgpack.packb makes of the submit's dict, keys in another order
    const char python[] = "\x87\xa1t\xa6submit\xa1v\x01\xa4wait\xc3\xa3rid\x01\xa4task"
                          "\xa5job-1\xa5ttype\xa4"
                          "echo\xa7payload\xc4\x05hello";
    ZS_CHECK_OK(zs_msg_decode(&msg, python, sizeof python - 1, &err), err);
    ZS_CHECK(msg.rid == 1 && msg.wait && msg.payload_size == 5);
    ZS_CHECK_STR(msg.task, "job-1");
    zs_msg_fini(&msg);
}

static char *
s_json(const zs_msg_t *msg)
{
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream(&text, &size);
    int rc = zs_msg_print_json(msg, stream);
    fclose(stream);
    if (rc != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static void
test_print_json(void)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_SUBMIT);
    msg.rid = 7;
    msg.task = "t-1";
    msg.ttype = "echo";
    //  quote, backslash, controls, DEL, a lone byte, 2-, 3- and 4-byte UTF-8, overlong
    //  forms, a surrogate and a cut sequence
    static const char payload[] = "q\"b\\n\n\x01\x7f\xff\xc3\xa9\xe2\x82\xac\xf0\x9f\x98"
                                  "\x80\xc0\xaf\xe0\x80\xaf\xed\xa0\x80\xe2\x82";
    msg.payload = (const uint8_t *) payload;
    msg.payload_size = sizeof payload - 1;
    msg.pri = -5;
    msg.wait = true;
    char *text = s_json(&msg);
    ZS_CHECK_STR(
        text,
        "{\"v\":1,\"t\":\"submit\",\"rid\":7,\"task\":\"t-1\",\"ttype\":"
        "\"echo\",\"payload\":\"q\\\"b\\\\n\\u000a\\u0001\\u007f\\u00ff"
        "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\u00c0\\u00af\\u00e0\\u0080"
        "\\u00af\\u00ed\\u00a0"
        "\\u0080\\u00e2\\u0082\",\"pri\":-5,\"tmo\":0,\"tries\":0,\"wait\":true}\n");
    free(text);

    zs_msg_agent_t records[2] = {
        {.agent = "a1",
         .atype = "echo",
         .host = "h",
         .state = "idle",
         .pid = 42,
         .conc = 2,
         .local = true},
        {.agent = "a2", .atype = "shell", .done = 3},
    };
    zs_msg_init(&msg, ZS_MSG_AGENTS_OK);
    msg.rid = 3;
    msg.agents = records;
    msg.agent_count = 2;
    text = s_json(&msg);
    ZS_CHECK_STR(text, "{\"v\":1,\"t\":\"agents.ok\",\"rid\":3,\"agents\":["
                       "{\"agent\":\"a1\",\"atype\":\"echo\",\"host\":\"h\",\"state\":"
                       "\"idle\",\"pid\":42,\"conc\":2,\"load\":0,\"done\":0,"
                       "\"failed\":0,\"local\":true,\"trust\":0,\"trust_low\":0,"
                       "\"paused\":false,\"cpu\":0,\"rss\":0},"
                       "{\"agent\":\"a2\",\"atype\":\"shell\",\"pid\":0,\"conc\":0,"
                       "\"load\":0,\"done\":3,\"failed\":0,\"local\":false,\"trust\":0,"
                       "\"trust_low\":0,\"paused\":false,\"cpu\":0,\"rss\":0}]}\n");
    free(text);

    const char *argv[] = {"sh", "-c", "tab\there"};
    zs_msg_init(&msg, ZS_MSG_WELCOME);
    msg.agent = "echo-1";
    msg.atype = "echo";
    msg.handler = "exec";
    msg.hb = 250;
    msg.live = 4;
    msg.argv.items = argv;
    msg.argv.count = 3;
    text = s_json(&msg);
    ZS_CHECK_STR(text,
                 "{\"v\":1,\"t\":\"welcome\",\"agent\":\"echo-1\",\"atype\":\"echo\","
                 "\"conc\":0,\"hb\":250,\"live\":4,\"handler\":\"exec\",\"argv\":"
                 "[\"sh\",\"-c\",\"tab\\u0009here\"],\"max_body\":0,\"max_redirects\":0,"
                 "\"max_size\":0,\"providers\":[],\"max_tokens\":0,\"stream\":false,"
                 "\"retries\":0,\"backoff\":0,\"max_wait\":0,\"tok_max\":0,\"aseq\":0,"
                 "\"paused\":false}\n");
    free(text);
}

//  Floats print with the fewest digits that read back the same, absent ones not at all;
//  every kind of record prints through the one path (zswarmctl --json shows them)
static void
test_print_json_floats(void)
{
    zs_msg_provider_t providers[1] = {{.name = "local",
                                       .kind = "ollama",
                                       .model = "llama3.2",
                                       .state = "closed",
                                       .calls = 3,
                                       .usd = 0.1 + 0.2,
                                       .rpm = 60}};
    zs_msg_budget_t budgets[2] = {
        {.scope = "swarm", .tok = 1200, .usd = 0.25, .tok_max = 1000000, .usd_max = 5},
        {.scope = "coder", .usd = NAN, .usd_max = NAN},
    };
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_PROVIDERS_OK);
    msg.rid = 4;
    msg.providers = providers;
    msg.provider_count = 1;
    msg.budgets = budgets;
    msg.budget_count = 2;
    char *text = s_json(&msg);
    ZS_CHECK_STR(text,
                 "{\"v\":1,\"t\":\"providers.ok\",\"rid\":4,\"providers\":[{\"name\":"
                 "\"local\",\"kind\":\"ollama\",\"model\":\"llama3.2\",\"state\":"
                 "\"closed\",\"left\":0,\"calls\":3,\"fails\":0,\"tok_in\":0,"
                 "\"tok_out\":0,\"usd\":0.30000000000000004,\"rpm\":60,\"tpm\":0}],"
                 "\"budgets\":[{\"scope\":\"swarm\",\"tok\":1200,\"usd\":0.25,"
                 "\"tok_max\":1000000,\"usd_max\":5},{\"scope\":\"coder\",\"tok\":0,"
                 "\"tok_max\":0}]}\n");
    free(text);

    zs_msg_provider_conf_t confs[1] = {{.name = "cloud",
                                        .kind = "openai",
                                        .url = "https://api.openai.com/v1",
                                        .model = "gpt-4o-mini",
                                        .price_in = 0.15,
                                        .price_out = NAN}};
    zs_msg_init(&msg, ZS_MSG_WELCOME);
    msg.agent = "coder-1";
    msg.atype = "coder";
    msg.handler = "llm";
    msg.provider_confs = confs;
    msg.provider_conf_count = 1;
    msg.temp = 0.0;
    msg.usd_max = 1e-7;
    text = s_json(&msg);
    ZS_CHECK(strstr(text, "\"providers\":[{\"name\":\"cloud\",\"kind\":\"openai\","
                          "\"url\":\"https://api.openai.com/v1\",\"model\":"
                          "\"gpt-4o-mini\",\"tmo\":0,\"price_in\":0.15}]") != NULL);
    ZS_CHECK(strstr(text, "\"temp\":0,") != NULL);
    ZS_CHECK(strstr(text, "\"usd_max\":1e-07,") != NULL);
    free(text);
}

//  A welcome with what every welcome carries
static void
s_welcome(zs_msg_t *msg)
{
    zs_msg_init(msg, ZS_MSG_WELCOME);
    msg->agent = "coder-1";
    msg->atype = "coder";
    msg->handler = "llm";
    msg->hb = 250;
    msg->live = 4;
}

//  Encode msg, then decode it into got; the frame stays in buf
static void
s_encode_decode(const zs_msg_t *msg, msgpack_sbuffer *buf, zs_msg_t *got)
{
    zs_error_t err;
    ZS_CHECK(zs_msg_encode(msg, buf) == 0);
    ZS_CHECK_OK(zs_msg_decode(got, buf->data, buf->size, &err), err);
}

//  An absent float reads as NaN, from zs_msg_init and from a frame without it; 0.0 is a
//  value like any other, sent and read back (PROTOCOL.md §2.3)
static void
test_float_absent_is_nan(void)
{
    for (size_t i = 0; i < S_TYPE_COUNT; i++) {
        zs_msg_t msg;
        zs_msg_init(&msg, s_types[i].type);
        for (size_t k = 0; k < S_KEY_COUNT; k++) {
            if (s_keys[k].kind == T_FLOAT && s_use(&s_types[i], k) != T_ABSENT) {
                ZS_CHECK(isnan(*(const double *) (const void *) ((const uint8_t *) &msg +
                                                                 s_keys[k].offset)));
            }
        }
    }
    zs_msg_t msg, got;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    s_welcome(&msg);
    s_encode_decode(&msg, &buf, &got);
    ZS_CHECK(memmem(buf.data, buf.size, "temp", 4) == NULL);
    ZS_CHECK(isnan(got.temp) && isnan(got.usd_max));
    zs_msg_fini(&got);
    msg.temp = 0.0;
    s_encode_decode(&msg, &buf, &got);
    ZS_CHECK(memmem(buf.data, buf.size, "\xa4temp\xcb\0\0\0\0\0\0\0\0", 14) != NULL);
    ZS_CHECK(got.temp == 0.0 && !isnan(got.temp) && isnan(got.usd_max));
    zs_msg_fini(&got);
    msgpack_sbuffer_destroy(&buf);
}

//  A float is read from float 32, float 64 or any integer, and always sent as float 64
static void
test_float_encodings(void)
{
    // clang-format off
    static const struct {
        const char *type, *key, *raw;  //  a frame of type with key's value raw ...
        size_t raw_size;               //  ... of this many bytes ...
        double value;                  //  ... reads as this
    } reads[] = {
        {"welcome", "temp", RAW("\xca\x3f\x00\x00\x00"), 0.5},
        {"welcome", "temp", RAW("\xcb\x3f\xe0\0\0\0\0\0\0"), 0.5},
        {"welcome", "temp", RAW("\x02"), 2.0},
        {"welcome", "temp", RAW("\xd0\x01"), 1.0},
        {"welcome", "temp", RAW("\xcb\0\0\0\0\0\0\0\0"), 0.0},
        {"status.ok", "usd", RAW("\xcd\x01\x00"), 256.0},
        {"status.ok", "usd", RAW("\xcb\x41\xcd\xcd\x65\0\0\0\0"), 1e9},
        {"budget.spent", "usd_max", RAW("\xca\x3d\xcc\xcc\xcd"), (double) 0.1f},
    };
    // clang-format on
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    for (size_t i = 0; i < S_COUNT(reads); i++) {
        zs_msg_t msg, again;
        zs_error_t err;
        ZS_CHECK_OK(s_decode_with(reads[i].type, reads[i].key, reads[i].raw,
                                  reads[i].raw_size, &msg, &err),
                    err);
        const t_type_t *type = s_type(msg.type);
        size_t k = 0;
        while (strcmp(s_keys[k].key, reads[i].key) != 0) {
            k++;
        }
        double got =
            *(const double *) (const void *) ((const uint8_t *) &msg + s_keys[k].offset);
        ZS_CHECK(got == reads[i].value && s_use(type, k) != T_ABSENT);
        //  sent again as a float 64 of the same value
        s_encode_decode(&msg, &buf, &again);
        uint8_t sent[9] = {0xcb};
        uint64_t bits;
        memcpy(&bits, &got, sizeof bits);
        for (size_t b = 0; b < 8; b++) {
            sent[1 + b] = (uint8_t) (bits >> (56 - 8 * b));
        }
        ZS_CHECK(memmem(buf.data, buf.size, sent, sizeof sent) != NULL);
        ZS_CHECK(s_first_difference(&again, &msg) == NULL);
        zs_msg_fini(&again);
        zs_msg_fini(&msg);
    }
    msgpack_sbuffer_destroy(&buf);
}

//  NaN and infinities are refused on the wire and by the encoder, and so is a value past
//  the field's bounds
static void
test_float_refused(void)
{
    ZS_CHECK(s_bad_values_refused("float"));
    zs_log_init("test_msg");
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    zs_msg_t msg;
    s_welcome(&msg);
    const double refused[] = {INFINITY, -INFINITY, 2.0000000000000004, -0.5, 1e300};
    for (size_t i = 0; i < S_COUNT(refused); i++) {
        msg.temp = refused[i];
        ZS_CHECK(zs_msg_encode(&msg, &buf) == -1 && buf.size == 0);
    }
    msg.temp = 2.0;
    ZS_CHECK(zs_msg_encode(&msg, &buf) == 0);
    msg.temp = -NAN;  //  absent, whatever its sign
    ZS_CHECK(zs_msg_encode(&msg, &buf) == 0 && !memmem(buf.data, buf.size, "temp", 4));
    msgpack_sbuffer_destroy(&buf);
}

//  Every kind of record goes through one path: bounds on the count, the least size of a
//  record before anything is allocated, its own fields only. The same key names
//  welcome's provider-conf records and providers.ok's provider records
static void
test_records(void)
{
    ZS_CHECK(s_bad_values_refused("record"));
    msgpack_sbuffer v;
    msgpack_sbuffer_init(&v);
    for (size_t k = 0; k < S_KEY_COUNT; k++) {
        const t_key_t *key = &s_keys[k];
        const t_type_t *type = NULL;
        for (size_t i = 0; key->kind == T_RECORDS && !type && i < S_TYPE_COUNT; i++) {
            type = s_use(&s_types[i], k) != T_ABSENT ? &s_types[i] : NULL;
        }
        if (!type) {
            continue;
        }
        s_value_array(&v, key->count_max, key->record);
        ZS_CHECK(s_good_value(type->name, key->key, v.data, v.size));
        char want[128];
        snprintf(want, sizeof want, "field '%s': %zu items, more than %zu", key->key,
                 key->count_max + 1, key->count_max);
        s_value_array(&v, key->count_max + 1, key->record);
        ZS_CHECK(s_bad_value(type->name, key->key, v.data, v.size, want));
        //  the records last in the frame, so that the bytes left after their count are
        //  theirs; they are refused before the required fields are missed
        msgpack_packer pk;
        msgpack_sbuffer_clear(&v);
        msgpack_packer_init(&pk, &v, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 3);
        s_pack_cstr(&pk, "v");
        msgpack_pack_uint64(&pk, ZS_MSG_VERSION);
        s_pack_cstr(&pk, "t");
        s_pack_cstr(&pk, type->name);
        s_pack_cstr(&pk, key->key);
        s_raw(&pk, RAW("\x92\x80\x80"));
        zs_msg_t msg;
        zs_error_t err = {.code = 0};
        int rc = zs_msg_decode(&msg, v.data, v.size, &err);
        snprintf(want, sizeof want, "field '%s': 2 records cannot fit in 2 bytes",
                 key->key);
        ZS_CHECK(s_error_is(rc, &err, ZS_ERR_MALFORMED, want, type->name));
    }
    msgpack_sbuffer_destroy(&v);
}

//  agents.ok is sent as before records were generalised, byte for byte
static void
test_agents_ok_bytes(void)
{
    zs_msg_agent_t records[2] = {
        {"agent-1", "echo",    "host-1", "busy", 4242,  2, 1, 17,        3,         true,
         "worker",  "agent-0", 910,      741,    false, 0, 0, {NULL, 0}, {NULL, 0}, NULL},
        {.agent = "a2", .atype = "shell", .done = 3},
    };
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_AGENTS_OK);
    msg.rid = 3;
    msg.agents = records;
    msg.agent_count = 2;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    ZS_CHECK(zs_msg_encode(&msg, &buf) == 0);
    const char want[] = "\x84\xa1v\x01\xa1t\xa9"
                        "agents.ok\xa3rid\x03\xa6"
                        "agents\x92\x8e\xa5"
                        "agent"
                        "\xa7"
                        "agent-1\xa5"
                        "atype\xa4"
                        "echo\xa4"
                        "host\xa6"
                        "host-1\xa5"
                        "state\xa4"
                        "busy\xa3pid\xcd\x10\x92\xa4"
                        "conc\x02\xa4load\x01\xa4"
                        "done\x11\xa6"
                        "failed"
                        "\x03\xa5local\xc3\xa4role\xa6worker\xa4lead\xa7"
                        "agent-0\xa5trust\xcd\x03\x8e"
                        "\xa9trust_low\xcd\x02\xe5\x83\xa5"
                        "agent\xa2"
                        "a2\xa5"
                        "atype\xa5shell\xa4"
                        "done\x03";
    ZS_CHECK(buf.size == sizeof want - 1 && memcmp(buf.data, want, buf.size) == 0);
    msgpack_sbuffer_destroy(&buf);
}

//  zs_msg_send puts the prefix frame first: a ROUTER identity, or a PUB topic
static void
test_send(void)
{
    zsock_t *router = zsock_new_router("inproc://test-msg-send");
    zsock_t *dealer = zsock_new_dealer("inproc://test-msg-send");
    ZS_CHECK(router && dealer);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    zs_msg_t msg, got;
    zs_error_t err;
    zs_msg_init(&msg, ZS_MSG_HELLO);
    msg.atype = "echo";
    ZS_CHECK(zs_msg_send(&msg, zsock_resolve(dealer), NULL, 0, 0, &buf) == 0);
    uint8_t identity[256], body[512];
    int id_size = zmq_recv(zsock_resolve(router), identity, sizeof identity, 0);
    ZS_CHECK(id_size > 0 && zsock_rcvmore(router));
    int size = zmq_recv(zsock_resolve(router), body, sizeof body, 0);
    ZS_CHECK(size > 0 && !zsock_rcvmore(router));
    ZS_CHECK_OK(zs_msg_decode(&got, body, (size_t) size, &err), err);
    ZS_CHECK(got.type == ZS_MSG_HELLO);
    zs_msg_fini(&got);

    zs_msg_init(&msg, ZS_MSG_ERROR);
    msg.code = ZS_ERR_NOT_REGISTERED;
    msg.why = "say hello";
    ZS_CHECK(zs_msg_send(&msg, zsock_resolve(router), identity, (size_t) id_size,
                         ZMQ_DONTWAIT, &buf) == 0);
    size = zmq_recv(zsock_resolve(dealer), body, sizeof body, 0);
    ZS_CHECK(size > 0 && !zsock_rcvmore(dealer));
    ZS_CHECK_OK(zs_msg_decode(&got, body, (size_t) size, &err), err);
    ZS_CHECK(got.type == ZS_MSG_ERROR && got.code == ZS_ERR_NOT_REGISTERED);
    zs_msg_fini(&got);

    //  a message that cannot be encoded sends nothing
    zs_msg_init(&msg, ZS_MSG_ERROR);
    ZS_CHECK(zs_msg_send(&msg, zsock_resolve(dealer), NULL, 0, 0, &buf) == -1);
    ZS_CHECK(errno == EINVAL);
    zsock_destroy(&dealer);
    zsock_destroy(&router);

    zsock_t *pub = zsock_new_pub("inproc://test-msg-pub");
    zsock_t *sub = zsock_new_sub("inproc://test-msg-pub", "task.");
    ZS_CHECK(pub && sub);
    zs_msg_init(&msg, ZS_MSG_EV_TASK_COMPLETED);
    msg.seq = 1;
    msg.task = "t1";
    msg.ttype = "echo";
    //  a subscription reaches the PUB asynchronously: publish until one arrives
    zmq_pollitem_t item = {zsock_resolve(sub), 0, ZMQ_POLLIN, 0};
    int ready = 0;
    for (int tries = 0; tries < 200 && ready == 0; tries++) {
        ZS_CHECK(zs_msg_send(&msg, zsock_resolve(pub), "task.completed", 14, 0, &buf) ==
                 0);
        ready = zmq_poll(&item, 1, 10);
    }
    ZS_CHECK(ready == 1);
    char topic[32] = "";
    ZS_CHECK(zmq_recv(zsock_resolve(sub), topic, sizeof topic - 1, 0) == 14);
    ZS_CHECK_STR(topic, "task.completed");
    size = zmq_recv(zsock_resolve(sub), body, sizeof body, 0);
    ZS_CHECK_OK(zs_msg_decode(&got, body, (size_t) size, &err), err);
    ZS_CHECK(got.type == ZS_MSG_EV_TASK_COMPLETED && got.seq == 1);
    zs_msg_fini(&got);
    zsock_destroy(&sub);
    zsock_destroy(&pub);
    msgpack_sbuffer_destroy(&buf);
}

//  ---------------------------------------------------------------------------------------
//  Fuzz: mutated and random frames never crash the decoder, and whatever it accepts
//  holds the invariants zs_msg.h promises

#define S_FUZZ_ROUNDS 200000
#define S_FUZZ_SEED   0x5eed2a11c0ffee01ull
#define S_FUZZ_ROOM   4096  //  largest mutated frame

static uint64_t
s_rand(uint64_t *state)
{
    //  xorshift64*: deterministic, so a failure reproduces
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545f4914f6cdd1dull;
}

//  Well-formed UTF-8, decoded the long way round (independently of the codec's check):
//  each sequence's code point must need exactly its length, and not be a surrogate
static bool
s_utf8_valid(const unsigned char *text, size_t size)
{
    for (size_t at = 0; at < size;) {
        unsigned char lead = text[at];
        size_t length = lead < 0x80         ? 1
                        : (lead >> 5) == 6  ? 2
                        : (lead >> 4) == 14 ? 3
                        : (lead >> 3) == 30 ? 4
                                            : 0;
        if (length == 0 || at + length > size) {
            return false;
        }
        uint32_t point = length == 1 ? lead : lead & (0xffu >> (length + 1));
        for (size_t i = 1; i < length; i++) {
            if ((text[at + i] >> 6) != 2) {
                return false;
            }
            point = (point << 6) | (text[at + i] & 0x3f);
        }
        size_t needs = point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4;
        if (needs != length || point > 0x10ffff || (point >> 11) == 0x1b) {
            return false;
        }
        at += length;
    }
    return true;
}

//  A string within key's length bounds, in UTF-8
static bool
s_text_valid(const char *text, const t_key_t *key)
{
    size_t size = strlen(text);
    return size >= (size_t) key->min && size <= (size_t) key->max &&
           s_utf8_valid((const unsigned char *) text, size);
}

static bool s_value_valid(const t_key_t *key, const uint8_t *base, t_use_t use);

//  count records of a kind: each field within bounds, required ones present
static bool
s_records_valid(const t_record_t *record, const uint8_t *records, size_t count)
{
    bool valid = true;
    for (size_t i = 0; valid && i < count * record->count; i++) {
        const t_key_t *key = &record->keys[i % record->count];
        valid = s_value_valid(key, records + i / record->count * record->size,
                              s_use_in(record->fields, key->key));
    }
    return valid;
}

static bool
s_list_valid(const t_key_t *key, const zs_msg_list_t *list)
{
    size_t most = key->count_max ? key->count_max : ZS_MSG_LIST_MAX;
    bool valid = list->count <= most && (list->items || !list->count);
    for (size_t i = 0; valid && i < list->count; i++) {
        valid = list->items[i] && s_text_valid(list->items[i], key);
    }
    return valid;
}

static bool
s_bins_valid(const t_key_t *key, const zs_msg_bins_t *bins)
{
    bool valid = bins->count <= ZS_MSG_ITEMS_MAX && (bins->items || !bins->count);
    for (size_t i = 0; valid && i < bins->count; i++) {
        valid = bins->items[i].size <= (size_t) key->max &&
                (bins->items[i].data || !bins->items[i].size);
    }
    return valid;
}

//  The field of key at base holds what a field used so may: within bounds, or absent
//  when optional (a float is then NaN, and finite when present)
static bool
s_value_valid(const t_key_t *key, const uint8_t *base, t_use_t use)
{
    const uint8_t *at = base + key->offset;
    size_t size = key->aux ? *(const size_t *) (const void *) (base + key->aux) : 0;
    switch (key->kind) {
    case T_UINT:
        return *(const uint64_t *) (const void *) at <= (uint64_t) key->max;
    case T_INT:
        return *(const int64_t *) (const void *) at >= key->min &&
               *(const int64_t *) (const void *) at <= key->max;
    case T_BOOL:
        return true;
    case T_FLOAT: {
        double value = *(const double *) (const void *) at;
        return isnan(value) ? use == T_OPTIONAL
                            : value >= (double) key->min && value <= (double) key->max;
    }
    case T_STR: {
        const char *str = *(const char *const *) (const void *) at;
        return str ? s_text_valid(str, key) : use == T_OPTIONAL;
    }
    case T_BIN: {
        const uint8_t *data = *(const uint8_t *const *) (const void *) at;
        return size <= (size_t) key->max && (data || size == 0);
    }
    case T_LIST:
        return s_list_valid(key, (const void *) at);
    case T_BINS:
        return s_bins_valid(key, (const void *) at);
    case T_RECORDS: {
        const uint8_t *records = s_table_of(at);
        return size <= key->count_max && (records || !size) &&
               s_records_valid(key->record, records, size);
    }
    }
    return false;
}

//  Field k of msg holds what its type allows: within bounds, or absent
static bool
s_field_valid(const zs_msg_t *msg, size_t k, t_use_t use)
{
    zs_msg_t zero;
    zs_msg_init(&zero, msg->type);
    if (use == T_ABSENT) {
        return s_same_field(msg, &zero, k);
    }
    return s_value_valid(&s_keys[k], (const uint8_t *) msg, use);
}

//  An accepted frame: valid fields, msgpack-c agrees it is one map, and it re-encodes to
//  a frame that decodes to the same message and encodes to the same bytes
static bool
s_accepted_valid(const zs_msg_t *msg, const char *frame, size_t size)
{
    const t_type_t *type = s_type(msg->type);
    if (!type) {
        return false;
    }
    for (size_t k = 0; k < S_KEY_COUNT; k++) {
        if (!s_field_valid(msg, k, s_use(type, k))) {
            fprintf(stderr, "fuzz: '%s' field '%s' invalid\n", type->name, s_keys[k].key);
            return false;
        }
    }
    msgpack_unpacked root;
    msgpack_unpacked_init(&root);
    size_t offset = 0;
    bool valid =
        msgpack_unpack_next(&root, frame, size, &offset) == MSGPACK_UNPACK_SUCCESS &&
        offset == size && root.data.type == MSGPACK_OBJECT_MAP;
    msgpack_unpacked_destroy(&root);

    msgpack_sbuffer first, second;
    msgpack_sbuffer_init(&first);
    msgpack_sbuffer_init(&second);
    zs_msg_t again;
    zs_error_t err;
    valid = valid && zs_msg_encode(msg, &first) == 0 &&
            zs_msg_decode(&again, first.data, first.size, &err) == 0;
    if (valid) {
        valid = s_first_difference(&again, msg) == NULL &&
                zs_msg_encode(&again, &second) == 0 && first.size == second.size &&
                memcmp(first.data, second.data, first.size) == 0;
        zs_msg_fini(&again);
    }
    msgpack_sbuffer_destroy(&first);
    msgpack_sbuffer_destroy(&second);
    return valid;
}

static const uint8_t s_interesting[] = {
    0x00, 0x01, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4,
    0xca, 0xcf, 0xd0, 0xd3, 0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff, 'v',  't'};

//  One random edit of frame (size bytes, room for S_FUZZ_ROOM), from other as donor
static size_t
s_mutate(uint8_t *frame, size_t size, const msgpack_sbuffer *other, uint64_t *rng)
{
    uint64_t r = s_rand(rng);
    size_t at = size ? (size_t) (r >> 16) % size : 0;
    switch (r % 7) {
    case 0:
        if (size) {
            frame[at] ^= (uint8_t) (1u << (r >> 8) % 8);
        }
        return size;
    case 1:
        if (size) {
            frame[at] = s_interesting[(r >> 8) % sizeof s_interesting];
        }
        return size;
    case 2:
        if (size < S_FUZZ_ROOM) {
            memmove(frame + at + 1, frame + at, size - at);
            frame[at] = (uint8_t) (r >> 8);
            return size + 1;
        }
        return size;
    case 3:
        if (size) {
            memmove(frame + at, frame + at + 1, size - at - 1);
            return size - 1;
        }
        return size;
    case 4:
        return at;  //  truncate
    case 5: {
        //  splice a piece of another frame in place of the tail
        size_t from = (size_t) (r >> 40) % (other->size + 1);
        size_t take = other->size - from;
        take = take > S_FUZZ_ROOM - at ? S_FUZZ_ROOM - at : take;
        memcpy(frame + at, other->data + from, take);
        return at + take;
    }
    default:
        if (size) {
            frame[at] = (uint8_t) (r >> 8);
        }
        return size;
    }
}

static void
test_fuzz(void)
{
    msgpack_sbuffer corpus[S_TYPE_COUNT];
    for (size_t i = 0; i < S_TYPE_COUNT; i++) {
        msgpack_sbuffer_init(&corpus[i]);
        t_build_t how = {.required_only = (i % 2) == 1};
        s_build(&corpus[i], &s_types[i], &how);
    }
    uint64_t rng = S_FUZZ_SEED;
    size_t accepted = 0;
    uint8_t *frame = malloc(S_FUZZ_ROOM);
    for (size_t round = 0; round < S_FUZZ_ROUNDS; round++) {
        const msgpack_sbuffer *seed = &corpus[s_rand(&rng) % S_TYPE_COUNT];
        size_t size = seed->size;
        memcpy(frame, seed->data, size);
        if (round % 10 == 0) {
            size = s_rand(&rng) % 64;
            for (size_t i = 0; i < size; i++) {
                frame[i] = (uint8_t) s_rand(&rng);
            }
        }
        for (size_t edits = 1 + s_rand(&rng) % 3; edits > 0; edits--) {
            size = s_mutate(frame, size, &corpus[s_rand(&rng) % S_TYPE_COUNT], &rng);
        }
        //  an exact-size copy, so ASan sees any read past the end
        char *copy = malloc(size ? size : 1);
        memcpy(copy, frame, size);
        zs_msg_t msg;
        zs_error_t err = {.code = 0};
        int rc = zs_msg_decode(&msg, copy, size, &err);
        bool fine = rc == 0 ? s_accepted_valid(&msg, copy, size)
                            : err.code >= ZS_ERR_MALFORMED &&
                                  err.code <= ZS_ERR_UNKNOWN_TYPE && err.text[0];
        accepted += rc == 0;
        zs_msg_fini(&msg);
        free(copy);
        if (!fine) {
            fprintf(stderr, "fuzz round %zu: rc %d code %d '%s'\n", round, rc, err.code,
                    err.text);
        }
        ZS_CHECK(fine);
    }
    free(frame);
    for (size_t i = 0; i < S_TYPE_COUNT; i++) {
        msgpack_sbuffer_destroy(&corpus[i]);
    }
    //  a fuzz loop that accepts nothing tests only the error paths
    printf("fuzz: %zu of %d frames accepted\n", accepted, S_FUZZ_ROUNDS);
    ZS_CHECK(accepted > S_FUZZ_ROUNDS / 100);
}

//  One rule for ids, types and node names wherever they enter
static void
test_name_valid(void)
{
    ZS_CHECK(zs_msg_name_valid("a.b_c:d-9", 9, ZS_MSG_NAME_MAX));
    ZS_CHECK(!zs_msg_name_valid("", 0, ZS_MSG_NAME_MAX));
    ZS_CHECK(!zs_msg_name_valid("a b", 3, ZS_MSG_NAME_MAX));
    ZS_CHECK(!zs_msg_name_valid("a/b", 3, ZS_MSG_NAME_MAX));
    ZS_CHECK(!zs_msg_name_valid("\xc3\xa9", 2, ZS_MSG_NAME_MAX));
    ZS_CHECK(!zs_msg_name_valid("a\0b", 3, ZS_MSG_NAME_MAX));
    ZS_CHECK(zs_msg_name_valid("abcd", 4, 4) && !zs_msg_name_valid("abcde", 5, 4));
}

//  Records hold lists of their own (an agent's caps and tags): they round-trip, and the
//  first pass reserves their tables however many records hold them
static void
test_record_lists(void)
{
    const char *caps[ZS_MSG_RECORD_LIST_MAX];
    char names[ZS_MSG_RECORD_LIST_MAX][8];
    for (size_t i = 0; i < ZS_MSG_RECORD_LIST_MAX; i++) {
        snprintf(names[i], sizeof names[i], "c%zu", i);
        caps[i] = names[i];
    }
    const char *tags[] = {"gpu", "big-mem"};
    zs_msg_agent_t records[3] = {
        {.agent = "a1",
         .atype = "t",
         .caps = {caps, ZS_MSG_RECORD_LIST_MAX},
         .tags = {tags, 2},
         .tier = "gold",
         .paused = true,
         .cpu = 12,
         .rss = 4096},
        {.agent = "a2", .atype = "t"},
        {.agent = "a3", .atype = "t", .caps = {caps, 1}},
    };
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_AGENTS_OK);
    msg.agents = records;
    msg.agent_count = 3;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    ZS_CHECK(zs_msg_encode(&msg, &buf) == 0);
    zs_msg_t got;
    zs_error_t err;
    ZS_CHECK_OK(zs_msg_decode(&got, buf.data, buf.size, &err), err);
    ZS_CHECK(got.agent_count == 3);
    const zs_msg_agent_t *first = &got.agents[0];
    ZS_CHECK(first->caps.count == ZS_MSG_RECORD_LIST_MAX);
    ZS_CHECK_STR(first->caps.items[ZS_MSG_RECORD_LIST_MAX - 1], "c127");
    ZS_CHECK(first->tags.count == 2);
    ZS_CHECK_STR(first->tags.items[1], "big-mem");
    ZS_CHECK_STR(first->tier, "gold");
    ZS_CHECK(first->paused && first->cpu == 12 && first->rss == 4096);
    ZS_CHECK(got.agents[1].caps.count == 0 && got.agents[1].tier == NULL);
    ZS_CHECK(got.agents[2].caps.count == 1);
    ZS_CHECK_STR(got.agents[2].caps.items[0], "c0");
    zs_msg_fini(&got);
    //  One more than a record's list may hold is refused, with no table made for it
    records[0].caps.count = ZS_MSG_RECORD_LIST_MAX + 1;
    const char *more[ZS_MSG_RECORD_LIST_MAX + 1];
    memcpy(more, caps, sizeof caps);
    more[ZS_MSG_RECORD_LIST_MAX] = "extra";
    records[0].caps.items = more;
    ZS_CHECK(zs_msg_encode(&msg, &buf) != 0);  //  the encoder keeps the bound too
    msgpack_sbuffer_destroy(&buf);
}

static const zs_test_case_t s_cases[] = {
    {"normal_use", test_normal_use},
    {"record_lists", test_record_lists},
    {"type_names", test_type_names},
    {"every_type_round_trips", test_every_type_round_trips},
    {"missing_required", test_missing_required},
    {"unknown_key", test_unknown_key},
    {"duplicate_key", test_duplicate_key},
    {"wrong_kind", test_wrong_kind},
    {"integer_widths", test_integer_widths},
    {"number_ranges", test_number_ranges},
    {"size_bounds", test_size_bounds},
    {"bin_items", test_bin_items},
    {"count_bounds", test_count_bounds},
    {"nul_in_string", test_nul_in_string},
    {"utf8", test_utf8},
    {"records", test_records},
    {"agents_ok_bytes", test_agents_ok_bytes},
    {"float_absent_is_nan", test_float_absent_is_nan},
    {"float_encodings", test_float_encodings},
    {"float_refused", test_float_refused},
    {"version", test_version},
    {"type_field", test_type_field},
    {"truncated_everywhere", test_truncated_everywhere},
    {"trailing_bytes", test_trailing_bytes},
    {"not_a_map", test_not_a_map},
    {"huge_counts", test_huge_counts},
    {"rid_on_failure", test_rid_on_failure},
    {"zero_is_absent", test_zero_is_absent},
    {"nil_is_absent", test_nil_is_absent},
    {"empty_name_is_absent", test_empty_name_is_absent},
    {"empty_bin_is_present", test_empty_bin_is_present},
    {"encode_rejects", test_encode_rejects},
    {"encode_exact_bytes", test_encode_exact_bytes},
    {"protocol_example", test_protocol_example},
    {"print_json", test_print_json},
    {"print_json_floats", test_print_json_floats},
    {"send", test_send},
    {"fuzz", test_fuzz},
    {"name_valid", test_name_valid},
};

ZS_TEST_MAIN(s_cases)
