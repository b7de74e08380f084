//  Unit tests for zs_items: zswarmctl's --each items and comma-separated name lists

#include <stdlib.h>
#include <string.h>

#include "ctl/zs_items.h"
#include "tests/unit/zs_test.h"

//  A stream over text (size bytes), for zs_items_read
static FILE *
s_stream(const void *text, size_t size)
{
    return fmemopen((void *) (uintptr_t) text, size, "rb");
}

static bool
s_item_is(const zs_items_t *items, size_t i, const char *text)
{
    return i < items->count && items->bins[i].size == strlen(text) &&
           memcmp(items->bins[i].data, text, items->bins[i].size) == 0;
}

static void
test_items_lines(void)
{
    static const char text[] = "page one\n\n\r\npage two\r\npage three";
    FILE *stream = s_stream(text, sizeof text - 1);
    zs_items_t items;
    zs_error_t err;
    ZS_CHECK_OK(zs_items_read(&items, stream, &err), err);
    fclose(stream);
    ZS_CHECK(items.count == 3);
    ZS_CHECK(s_item_is(&items, 0, "page one") && s_item_is(&items, 1, "page two") &&
             s_item_is(&items, 2, "page three"));
    zs_items_fini(&items);
    ZS_CHECK(items.count == 0 && !items.bins && !items.text);

    //  bytes are bytes: a NUL and a trailing newline
    static const char binary[] = "a\0b\n";
    stream = s_stream(binary, sizeof binary - 1);
    ZS_CHECK_OK(zs_items_read(&items, stream, &err), err);
    fclose(stream);
    ZS_CHECK(items.count == 1 && items.bins[0].size == 3);
    zs_items_fini(&items);
}

static void
test_items_bounds(void)
{
    zs_items_t items;
    zs_error_t err;
    FILE *stream = s_stream("\n\n", 2);
    ZS_CHECK(zs_items_read(&items, stream, &err) == -1);
    ZS_CHECK(strstr(err.text, "no items") != NULL);
    fclose(stream);

    //  one item more than a submit takes
    size_t size = 2 * (ZS_MSG_ITEMS_MAX + 1);
    char *many = malloc(size);
    for (size_t i = 0; i < size; i += 2) {
        memcpy(many + i, "x\n", 2);
    }
    stream = s_stream(many, size);
    ZS_CHECK(zs_items_read(&items, stream, &err) == -1);
    ZS_CHECK_STR(err.text, "more than 10000 items");
    fclose(stream);
    stream = s_stream(many, size - 2);
    ZS_CHECK_OK(zs_items_read(&items, stream, &err), err);
    ZS_CHECK(items.count == ZS_MSG_ITEMS_MAX);
    zs_items_fini(&items);
    fclose(stream);
    free(many);

    //  a line longer than a payload, and more bytes than a frame holds
    size = ZS_ITEMS_BYTES_MAX + 1;
    char *big = malloc(size);
    memset(big, 'y', size);
    stream = s_stream(big, ZS_MSG_PAYLOAD_MAX + 1);
    ZS_CHECK(zs_items_read(&items, stream, &err) == -1);
    ZS_CHECK(strstr(err.text, "line 1 is longer than 1048576 bytes") != NULL);
    fclose(stream);
    stream = s_stream(big, size);
    ZS_CHECK(zs_items_read(&items, stream, &err) == -1);
    ZS_CHECK(strstr(err.text, "bytes of items") != NULL);
    fclose(stream);
    free(big);
}

static void
test_names(void)
{
    zs_names_t names;
    zs_error_t err;
    ZS_CHECK_OK(zs_names_split(&names, "a,b.c,x:y-1", 64, &err), err);
    ZS_CHECK(names.count == 3);
    ZS_CHECK_STR(names.names[1], "b.c");
    ZS_CHECK_STR(names.names[2], "x:y-1");
    zs_names_fini(&names);
    ZS_CHECK(zs_names_split(&names, "a,,b", 64, &err) == -1);
    ZS_CHECK_STR(err.text, "expected 1..64 characters of [A-Za-z0-9._:-], got ''");
    ZS_CHECK(zs_names_split(&names, "a b", 64, &err) == -1);
    ZS_CHECK(zs_names_split(&names, "a,b,c", 2, &err) == -1);
    ZS_CHECK_STR(err.text, "more than 2 names");
    ZS_CHECK(names.count == 0 && !names.names && !names.text);
    ZS_CHECK(zs_names_split(&names, "", 2, &err) == -1);
}

static void
test_payload(void)
{
    uint8_t *data;
    size_t size;
    zs_error_t err;
    ZS_CHECK_OK(zs_items_payload("text", NULL, NULL, &data, &size, &err), err);
    ZS_CHECK(size == 4 && memcmp(data, "text", 4) == 0);
    free(data);
    ZS_CHECK_OK(zs_items_payload(NULL, NULL, NULL, &data, &size, &err), err);
    ZS_CHECK(!data && size == 0);
    FILE *in = s_stream("from\0in", 7);
    ZS_CHECK_OK(zs_items_payload("-", NULL, in, &data, &size, &err), err);
    ZS_CHECK(size == 7 && memcmp(data, "from\0in", 7) == 0);
    free(data);
    fclose(in);
    ZS_CHECK(zs_items_payload("a", "/etc/hostname", NULL, &data, &size, &err) == -1);
    ZS_CHECK_STR(err.text, "--payload and --payload-file: give at most one");
    ZS_CHECK(zs_items_payload(NULL, "/nonexistent/x", NULL, &data, &size, &err) == -1);
    ZS_CHECK(strstr(err.text, "--payload-file: cannot open '/nonexistent/x'") != NULL);
    char *big = malloc(ZS_MSG_PAYLOAD_MAX + 2);
    memset(big, 'z', ZS_MSG_PAYLOAD_MAX + 1);
    big[ZS_MSG_PAYLOAD_MAX + 1] = '\0';
    ZS_CHECK(zs_items_payload(big, NULL, NULL, &data, &size, &err) == -1);
    ZS_CHECK_STR(err.text, "--payload: larger than 1048576 bytes");
    in = s_stream(big, ZS_MSG_PAYLOAD_MAX + 1);
    ZS_CHECK(zs_items_payload("-", NULL, in, &data, &size, &err) == -1);
    ZS_CHECK_STR(err.text, "--payload: standard input is larger than 1048576 bytes");
    fclose(in);
    free(big);
}

static const zs_test_case_t s_cases[] = {
    {"payload", test_payload},
    {"items_lines", test_items_lines},
    {"items_bounds", test_items_bounds},
    {"names", test_names},
};

ZS_TEST_MAIN(s_cases)
