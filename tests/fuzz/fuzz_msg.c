//  fuzz_msg - libFuzzer target: the wire decoder, and a round trip of what it accepts
//
//  Any bytes go to zs_msg_decode, as any peer's frame does. A frame it accepts is held
//  to what zs_msg.h promises of a decoded message, which is what lets the coordinator
//  journal or forward it: it encodes (its bounds and required fields were checked), the
//  encoding decodes again, and the second message equals the first. Equality is checked
//  twice: both encode to the same bytes, and both print as the same JSON, which walks
//  every field of the type through a second path (zs_msg_json.c).

#include "tests/fuzz/zs_fuzz.h"
#include "proto/zs_msg.h"

#include <string.h>

typedef struct {
    zs_msg_t msg;         //  a decoded message
    msgpack_sbuffer buf;  //  its encoding
    char *json;           //  its JSON, owned
    size_t json_size;     //  bytes in json
} s_view_t;

static void
s_view_fini(s_view_t *self)
{
    zs_msg_fini(&self->msg);
    msgpack_sbuffer_destroy(&self->buf);
    free(self->json);
}

//  Encode and print a message that decoded, or fail: both must work for any such one
static void
s_view_fill(s_view_t *self, const char *which)
{
    const char *type = zs_msg_type_name(self->msg.type);
    msgpack_sbuffer_init(&self->buf);
    if (zs_msg_encode(&self->msg, &self->buf) != 0) {
        zs_fuzz_fail("the %s decoded '%s' does not encode (see the log above)", which,
                     type);
    }
    FILE *stream = open_memstream(&self->json, &self->json_size);
    if (!stream || zs_msg_print_json(&self->msg, stream) != 0 || fclose(stream) != 0) {
        zs_fuzz_fail("the %s decoded '%s' does not print", which, type);
    }
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    zs_fuzz_init(ZS_FUZZ_LOGS_SHOWN);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_view_t first, again;
    zs_error_t err;
    if (zs_msg_decode(&first.msg, data, size, &err) != 0) {
        return 0;
    }
    s_view_fill(&first, "first");
    if (zs_msg_decode(&again.msg, first.buf.data, first.buf.size, &err) != 0) {
        zs_fuzz_fail("'%s' re-encoded does not decode: %s",
                     zs_msg_type_name(first.msg.type), err.text);
    }
    s_view_fill(&again, "re-encoded");
    if (again.buf.size != first.buf.size ||
        memcmp(again.buf.data, first.buf.data, first.buf.size) != 0) {
        zs_fuzz_fail("'%s' encodes to other bytes after a round trip",
                     zs_msg_type_name(first.msg.type));
    }
    if (again.json_size != first.json_size || strcmp(again.json, first.json) != 0) {
        zs_fuzz_fail("'%s' changed in a round trip:\n  %s  %s",
                     zs_msg_type_name(first.msg.type), first.json, again.json);
    }
    s_view_fini(&first);
    s_view_fini(&again);
    return 0;
}
