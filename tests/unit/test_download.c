//  test_download - the download handler against a responder in the same loop: files
//  written whole or not at all, resumed from what an earlier attempt left, checked,
//  bounded, and never outside the type's dir

#include "agent/zs_download.h"
#include "tests/unit/zs_test.h"
#include "tests/unit/zs_test_http.h"
#include "tests/unit/zs_test_sink.h"

#include <ctype.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>

#define S_SMALL (100 * 1000)            //  bytes of the small resource
#define S_LARGE (3 * 1024 * 1024 + 77)  //  bytes of the large one: prefixes of pieces

typedef struct {
    zs_test_sink_t sink;     //  the runtime's stand-in
    zs_test_http_t http;     //  the responder
    zs_download_t *handler;  //  under test
    char dir[64];            //  the type's dir, a fresh temporary directory
    uint8_t *small;          //  owned: the small resource's bytes
    uint8_t *large;          //  owned: the large one's
} s_fixture_t;

static uint8_t *
s_bytes(size_t size, unsigned seed)
{
    uint8_t *data = zs_malloc(size);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (uint8_t) (x >> 16);
    }
    return data;
}

static void
s_hex(const uint8_t *data, size_t size, char *hex)
{
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, data, size);
    sodium_bin2hex(hex, crypto_hash_sha256_BYTES * 2 + 1, digest, sizeof digest);
}

static s_fixture_t *
s_fixture_new(uint64_t max_size, uint64_t max_redirects)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    s_fixture_t *fx = zs_calloc(1, sizeof *fx);
    zs_test_sink_init(&fx->sink);
    zs_test_http_init(&fx->http, fx->sink.loop);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/zs-test-download-XXXXXX");
    char *made = mkdtemp(fx->dir);
    assert(made);
    zs_handler_sink_t sink = zs_test_sink_ops(&fx->sink);
    fx->handler = zs_download_new(fx->sink.loop, &sink);
    char allow[64];
    zs_test_http_url(&fx->http, "/", allow, sizeof allow);
    const char *prefixes[] = {allow};
    zs_download_conf_t conf = {prefixes, 1, fx->dir, max_size, max_redirects};
    zs_error_t err;
    int rc = zs_download_configure(fx->handler, &conf, &err);
    assert(rc == 0);
    fx->small = s_bytes(S_SMALL, 1);
    fx->large = s_bytes(S_LARGE, 2);
    zs_test_http_route_t *route = zs_test_http_add(&fx->http, "/small.bin", 0, NULL);
    route->body = fx->small;
    route->size = S_SMALL;
    route = zs_test_http_add(&fx->http, "/large.bin", 0, NULL);
    route->body = fx->large;
    route->size = S_LARGE;
    return fx;
}

static void
s_fixture_destroy(s_fixture_t **fx_p)
{
    s_fixture_t *fx = *fx_p;
    zs_download_destroy(&fx->handler);
    zs_test_http_fini(&fx->http);
    zs_test_sink_fini(&fx->sink);
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", fx->dir);
    int rc = system(command);
    assert(rc == 0);
    free(fx->small);
    free(fx->large);
    free(fx);
    *fx_p = NULL;
    curl_global_cleanup();
}

//  Start task id: {"url": URL of path, "path": file, ...more} (more: "" or ", ...")
static void
s_start(s_fixture_t *fx,
        const char *task,
        const char *path,
        const char *file,
        const char *more,
        uint64_t tmo)
{
    char url[128], payload[1024];
    zs_test_http_url(&fx->http, path, url, sizeof url);
    snprintf(payload, sizeof payload, "{\"url\": \"%s\", \"path\": \"%s\"%s}", url, file,
             more);
    zs_msg_t assign = zs_test_sink_assign(task, payload, tmo);
    zs_download_start(fx->handler, &assign);
}

//  The last result, or an empty one with status "none"
static zs_test_result_t *
s_last(s_fixture_t *fx)
{
    static char empty[1];
    static zs_test_result_t none = {.status = "none", .out = empty};
    return fx->sink.count ? &fx->sink.results[fx->sink.count - 1] : &none;
}

//  Size of DIR/name, or -1 when it does not exist
static long long
s_size(s_fixture_t *fx, const char *name)
{
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", fx->dir, name);
    return lstat(path, &st) == 0 ? (long long) st.st_size : -1;
}

//  True when DIR/name holds exactly size bytes of data
static bool
s_holds(s_fixture_t *fx, const char *name, const uint8_t *data, size_t size)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", fx->dir, name);
    FILE *file = fopen(path, "rb");
    if (!file) {
        return false;
    }
    uint8_t *got = zs_malloc(size + 1);
    size_t read = fread(got, 1, size + 1, file);
    fclose(file);
    bool same = read == size && memcmp(got, data, size) == 0;
    free(got);
    return same;
}

//  Write size bytes of data to DIR/name, as an earlier attempt would have
static void
s_write(s_fixture_t *fx, const char *name, const uint8_t *data, size_t size)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", fx->dir, name);
    FILE *file = fopen(path, "wb");
    assert(file);
    size_t put = fwrite(data, 1, size, file);
    assert(put == size);
    fclose(file);
}

static json_t *
s_out(const zs_test_result_t *result)
{
    return json_loads(result->out, 0, NULL);
}

//  ---- cases ---------------------------------------------------------------------------

static void
test_download_writes_file(void)
{
    s_fixture_t *fx = s_fixture_new(0, 0);
    char hex[65], more[128];
    s_hex(fx->small, S_SMALL, hex);
    snprintf(more, sizeof more, ", \"sha256\": \"%s\", \"size\": %d", hex, S_SMALL);
    s_start(fx, "t1", "/small.bin", "sub/dir/small.bin", more, 0);
    bool ok = true;
    ZS_EXPECT(ok, fx->sink.started == 1);
    zs_test_sink_run(&fx->sink, 1);
    zs_test_result_t *result = s_last(fx);
    json_t *out = s_out(result);
    ZS_EXPECT(ok, streq(result->status, "ok") && !result->why[0]);
    ZS_EXPECT(
        ok, streq(json_string_value(json_object_get(out, "path")), "sub/dir/small.bin"));
    ZS_EXPECT(ok, json_integer_value(json_object_get(out, "bytes")) == S_SMALL);
    ZS_EXPECT(ok, json_integer_value(json_object_get(out, "resumed")) == 0);
    ZS_EXPECT(ok, streq(json_string_value(json_object_get(out, "sha256")), hex));
    ZS_EXPECT(ok, s_holds(fx, "sub/dir/small.bin", fx->small, S_SMALL));
    ZS_EXPECT(ok, s_size(fx, "sub/dir/.small.bin.part") == -1);
    ZS_EXPECT(ok, fx->http.requests[0].range[0] == '\0');
    ZS_EXPECT(ok, zs_download_running(fx->handler) == 0);
    json_decref(out);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_name_from_url(void)
{
    s_fixture_t *fx = s_fixture_new(0, 0);
    char url[128];
    zs_test_http_url(&fx->http, "/small.bin?version=2", url, sizeof url);
    zs_msg_t assign = zs_test_sink_assign("t1", url, 0);
    zs_download_start(fx->handler, &assign);
    zs_test_http_url(&fx->http, "/", url, sizeof url);
    assign = zs_test_sink_assign("t2", url, 0);
    zs_download_start(fx->handler, &assign);
    zs_test_sink_run(&fx->sink, 2);
    bool ok = true;
    for (size_t i = 0; i < 2; i++) {
        zs_test_result_t *result = &fx->sink.results[i];
        if (streq(result->task, "t1")) {
            //  No sha256 asked for: none computed, none reported
            json_t *out = s_out(result);
            ZS_EXPECT(ok, streq(result->status, "ok"));
            ZS_EXPECT(ok, json_integer_value(json_object_get(out, "bytes")) == S_SMALL);
            ZS_EXPECT(ok, !json_object_get(out, "sha256"));
            json_decref(out);
        } else {
            ZS_EXPECT(ok, strstr(result->why, "payload: no file name"));
        }
    }
    ZS_EXPECT(ok, s_holds(fx, "small.bin", fx->small, S_SMALL));
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

//  A cut transfer leaves its bytes; the next attempt asks for the rest (its prefix
//  hashed in several pieces) and the digest is the whole file's
static void
test_resume_after_cut(void)
{
    s_fixture_t *fx = s_fixture_new(0, 0);
    size_t cut = 2 * 1024 * 1024 + 5;  //  over two hash pieces
    zs_test_http_route_t *route = &fx->http.routes[1];
    route->fault = ZS_TEST_HTTP_DROP;
    route->after = cut;
    route->times = 1;
    char hex[65], more[128];
    s_hex(fx->large, S_LARGE, hex);
    snprintf(more, sizeof more, ", \"sha256\": \"%s\"", hex);
    s_start(fx, "t1", "/large.bin", "large.bin", more, 0);
    zs_test_sink_run(&fx->sink, 1);
    bool ok = true;
    ZS_EXPECT(ok, streq(s_last(fx)->status, "fail"));
    ZS_EXPECT(ok, strncmp(s_last(fx)->why, "network: ", 9) == 0);
    ZS_EXPECT(ok, s_size(fx, ".large.bin.part") == (long long) cut);
    ZS_EXPECT(ok, s_size(fx, "large.bin") == -1);
    s_start(fx, "t1", "/large.bin", "large.bin", more, 0);
    zs_test_sink_run(&fx->sink, 2);
    json_t *out = s_out(s_last(fx));
    char range[64];
    snprintf(range, sizeof range, "bytes=%zu-", cut);
    ZS_EXPECT(ok, streq(s_last(fx)->status, "ok"));
    ZS_EXPECT(ok,
              fx->http.request_count == 2 && streq(fx->http.requests[1].range, range));
    ZS_EXPECT(ok,
              json_integer_value(json_object_get(out, "resumed")) == (json_int_t) cut);
    ZS_EXPECT(ok, streq(json_string_value(json_object_get(out, "sha256")), hex));
    ZS_EXPECT(ok, s_holds(fx, "large.bin", fx->large, S_LARGE));
    json_decref(out);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

//  A resumed download's digest covers the bytes an earlier attempt left: a prefix
//  that went bad on disk fails the check (and is removed), a good one passes, and the
//  expected digest may be given in capitals
static void
test_resume_checks_prefix(void)
{
    s_fixture_t *fx = s_fixture_new(0, 0);
    size_t cut = 2 * 1024 * 1024 + 5;  //  over two hash pieces
    uint8_t *bad = zs_malloc(S_LARGE);
    memcpy(bad, fx->large, S_LARGE);
    bad[1000] ^= 0x01;
    char hex[65], bad_hex[65], upper[65], more[128], expected[256], range[64];
    s_hex(fx->large, S_LARGE, hex);
    s_hex(bad, S_LARGE, bad_hex);
    s_write(fx, ".large.bin.part", bad, cut);
    snprintf(more, sizeof more, ", \"sha256\": \"%s\"", hex);
    s_start(fx, "t1", "/large.bin", "large.bin", more, 0);
    zs_test_sink_run(&fx->sink, 1);
    bool ok = true;
    snprintf(expected, sizeof expected, "checksum: expected %s got %s", hex, bad_hex);
    snprintf(range, sizeof range, "bytes=%zu-", cut);
    ZS_EXPECT(ok, streq(s_last(fx)->status, "fail"));
    ZS_EXPECT(ok, streq(s_last(fx)->why, expected));
    ZS_EXPECT(ok, streq(fx->http.requests[0].range, range));
    ZS_EXPECT(ok, s_size(fx, ".large.bin.part") == -1 && s_size(fx, "large.bin") == -1);
    s_write(fx, ".large.bin.part", fx->large, cut);
    for (size_t i = 0; i < sizeof upper; i++) {
        upper[i] = (char) toupper((unsigned char) hex[i]);
    }
    snprintf(more, sizeof more, ", \"sha256\": \"%s\"", upper);
    s_start(fx, "t2", "/large.bin", "large.bin", more, 0);
    zs_test_sink_run(&fx->sink, 2);
    json_t *out = s_out(s_last(fx));
    ZS_EXPECT(ok, streq(s_last(fx)->status, "ok"));
    ZS_EXPECT(ok, streq(fx->http.requests[1].range, range));
    ZS_EXPECT(ok,
              json_integer_value(json_object_get(out, "resumed")) == (json_int_t) cut);
    ZS_EXPECT(ok, streq(json_string_value(json_object_get(out, "sha256")), hex));
    ZS_EXPECT(ok, s_holds(fx, "large.bin", fx->large, S_LARGE));
    json_decref(out);
    free(bad);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

//  Without a sha256 nothing is hashed or checked: a resume asks for the rest and
//  trusts the bytes already there, and the result names no digest
static void
test_resume_without_sha256(void)
{
    s_fixture_t *fx = s_fixture_new(0, 0);
    size_t cut = 2 * 1024 * 1024 + 5;
    uint8_t *kept = zs_malloc(S_LARGE);
    memcpy(kept, fx->large, S_LARGE);
    kept[1000] ^= 0x01;  //  what the disk holds is what the file gets
    s_write(fx, ".large.bin.part", kept, cut);
    s_start(fx, "t1", "/large.bin", "large.bin", "", 0);
    zs_test_sink_run(&fx->sink, 1);
    json_t *out = s_out(s_last(fx));
    char range[64];
    snprintf(range, sizeof range, "bytes=%zu-", cut);
    bool ok = true;
    ZS_EXPECT(ok, streq(s_last(fx)->status, "ok"));
    ZS_EXPECT(ok, streq(fx->http.requests[0].range, range));
    ZS_EXPECT(ok,
              json_integer_value(json_object_get(out, "resumed")) == (json_int_t) cut);
    ZS_EXPECT(ok, !json_object_get(out, "sha256"));
    ZS_EXPECT(ok, s_holds(fx, "large.bin", kept, S_LARGE));
    json_decref(out);
    free(kept);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

//  A server that ignores Range answers 200: the file starts over
static void
test_resume_ignored_starts_over(void)
{
    s_fixture_t *fx = s_fixture_new(0, 0);
    zs_test_http_add(&fx->http, "/plain", 200, "the whole file\n");
    s_write(fx, ".plain.part", (const uint8_t *) "junk that is not it", 19);
    s_start(fx, "t1", "/plain", "plain", "", 0);
    zs_test_sink_run(&fx->sink, 1);
    json_t *out = s_out(s_last(fx));
    bool ok = true;
    ZS_EXPECT(ok, streq(s_last(fx)->status, "ok"));
    ZS_EXPECT(ok, streq(fx->http.requests[0].range, "bytes=19-"));
    ZS_EXPECT(ok, json_integer_value(json_object_get(out, "resumed")) == 0);
    ZS_EXPECT(ok, s_holds(fx, "plain", (const uint8_t *) "the whole file\n", 15));
    json_decref(out);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

//  A partial file that is already whole: the server's 416 says so, and the digest of
//  its bytes, all hashed from the file, is checked
static void
test_whole_partial_completes(void)
{
    s_fixture_t *fx = s_fixture_new(0, 0);
    s_write(fx, ".small.bin.part", fx->small, S_SMALL);
    char hex[65], more[128];
    s_hex(fx->small, S_SMALL, hex);
    snprintf(more, sizeof more, ", \"sha256\": \"%s\"", hex);
    s_start(fx, "t1", "/small.bin", "small.bin", more, 0);
    zs_test_sink_run(&fx->sink, 1);
    json_t *out = s_out(s_last(fx));
    bool ok = true;
    ZS_EXPECT(ok, streq(s_last(fx)->status, "ok"));
    ZS_EXPECT(ok, json_integer_value(json_object_get(out, "resumed")) == S_SMALL);
    ZS_EXPECT(ok, streq(json_string_value(json_object_get(out, "sha256")), hex));
    ZS_EXPECT(ok, s_holds(fx, "small.bin", fx->small, S_SMALL));
    json_decref(out);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_checksum_and_size_mismatch(void)
{
    s_fixture_t *fx = s_fixture_new(0, 0);
    const char *wrong =
        "0000000000000000000000000000000000000000000000000000000000000000";
    char more[128], hex[65];
    s_hex(fx->small, S_SMALL, hex);
    snprintf(more, sizeof more, ", \"sha256\": \"%s\"", wrong);
    s_start(fx, "sum", "/small.bin", "sum.bin", more, 0);
    s_start(fx, "size", "/small.bin", "size.bin", ", \"size\": 5", 0);
    zs_test_sink_run(&fx->sink, 2);
    bool ok = true;
    char expected[256];
    snprintf(expected, sizeof expected, "checksum: expected %s got %s", wrong, hex);
    for (size_t i = 0; i < 2; i++) {
        zs_test_result_t *result = &fx->sink.results[i];
        ZS_EXPECT(ok, streq(result->status, "fail"));
        if (streq(result->task, "sum")) {
            ZS_EXPECT(ok, streq(result->why, expected));
        } else {
            //  A size the file cannot have stops it as soon as the length is known
            ZS_EXPECT(
                ok, streq(result->why, "size: expected 5 bytes, the server has 100000"));
        }
    }
    //  Neither the file nor its partial bytes are kept
    ZS_EXPECT(ok, s_size(fx, "sum.bin") == -1 && s_size(fx, ".sum.bin.part") == -1);
    ZS_EXPECT(ok, s_size(fx, "size.bin") == -1 && s_size(fx, ".size.bin.part") == -1);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_too_large(void)
{
    s_fixture_t *fx = s_fixture_new(1000, 0);
    s_start(fx, "t1", "/small.bin", "small.bin", "", 0);
    s_start(fx, "t2", "/small.bin", "other.bin", ", \"size\": 5000", 0);
    zs_test_sink_run(&fx->sink, 2);
    bool ok = true;
    ZS_EXPECT(ok, streq(fx->sink.results[0].status, "fail"));  //  t2, at once
    ZS_EXPECT(
        ok, streq(fx->sink.results[0].why, "too large: size 5000 is over max_size 1000"));
    ZS_EXPECT(ok, streq(fx->sink.results[1].why,
                        "too large: 100000 bytes, over max_size 1000"));
    ZS_EXPECT(ok, s_size(fx, ".small.bin.part") == -1);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_paths_stay_inside(void)
{
    s_fixture_t *fx = s_fixture_new(0, 0);
    const char *bad[] = {"../escape", "/etc/passwd", "a/../../b", ".hidden",
                         "a//b",      "dir/",        "a/./b",     "x\\u0001y"};
    bool ok = true;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_start(fx, "t", "/small.bin", bad[i], "", 0);
        ZS_EXPECT(ok, fx->sink.count == i + 1);
        ZS_EXPECT(ok, strncmp(s_last(fx)->why, "refused: ", 9) == 0);
    }
    //  Symlinks in the way, to a directory and in the partial file's place
    char link[256], target[256];
    snprintf(link, sizeof link, "%s/out", fx->dir);
    ZS_EXPECT(ok, symlink("/tmp", link) == 0);
    snprintf(link, sizeof link, "%s/.f.part", fx->dir);
    snprintf(target, sizeof target, "%s/elsewhere", fx->dir);
    ZS_EXPECT(ok, symlink(target, link) == 0);
    s_start(fx, "dirlink", "/small.bin", "out/small.bin", "", 0);
    ZS_EXPECT(ok, strstr(s_last(fx)->why, "cannot open directory 'out'"));
    s_start(fx, "filelink", "/small.bin", "f", "", 0);
    ZS_EXPECT(ok, strstr(s_last(fx)->why, "cannot open '.f.part'"));
    ZS_EXPECT(ok, s_size(fx, "elsewhere") == -1);
    ZS_EXPECT(ok, fx->sink.started == 0 && fx->http.request_count == 0);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_busy_partial_file(void)
{
    s_fixture_t *fx = s_fixture_new(0, 0);
    char path[256];
    snprintf(path, sizeof path, "%s/.small.bin.part", fx->dir);
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    bool ok = true;
    ZS_EXPECT(ok, fd >= 0 && flock(fd, LOCK_EX) == 0);
    s_start(fx, "t1", "/small.bin", "small.bin", "", 0);
    ZS_EXPECT(ok, strncmp(s_last(fx)->why, "busy: another download", 22) == 0);
    close(fd);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_cancel_keeps_partial(void)
{
    s_fixture_t *fx = s_fixture_new(0, 0);
    zs_test_http_route_t *route = &fx->http.routes[1];
    route->fault = ZS_TEST_HTTP_STALL;
    route->after = 65536;
    s_start(fx, "t1", "/large.bin", "large.bin", "", 0);
    s_start(fx, "t2", "/large.bin", "other.bin", "", 200);
    bool ok = true;
    for (int i = 0; i < 200 && s_size(fx, ".large.bin.part") < 65536; i++) {
        zs_test_sink_idle(&fx->sink, 5);
    }
    ZS_EXPECT(ok, s_size(fx, ".large.bin.part") == 65536);
    ZS_EXPECT(ok, zs_download_cancel(fx->handler, "t1", 1) == 0);
    ZS_EXPECT(ok, fx->sink.count == 1 && streq(fx->sink.results[0].status, "cancelled"));
    zs_test_sink_run(&fx->sink, 2);
    ZS_EXPECT(ok, streq(fx->sink.results[1].status, "timeout"));
    ZS_EXPECT(ok, streq(fx->sink.results[1].why, "timeout after 200 ms"));
    ZS_EXPECT(ok, s_size(fx, ".large.bin.part") == 65536);
    ZS_EXPECT(ok, s_size(fx, ".other.bin.part") == 65536);
    for (int i = 0; i < 100 && fx->http.client_closed < 2; i++) {
        zs_test_sink_idle(&fx->sink, 5);
    }
    ZS_EXPECT(ok, fx->http.client_closed == 2);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_progress_is_bounded(void)
{
    s_fixture_t *fx = s_fixture_new(0, 0);
    int64_t start = zclock_mono();
    s_start(fx, "t1", "/large.bin", "large.bin", "", 0);
    zs_test_sink_run(&fx->sink, 1);
    int64_t ms = zclock_mono() - start;
    bool ok = true;
    ZS_EXPECT(ok, streq(s_last(fx)->status, "ok"));
    ZS_EXPECT(ok, fx->sink.progress_count >= 1);
    ZS_EXPECT(ok, fx->sink.progress_count <= (size_t) (ms / 250 + 1));
    for (size_t i = 0; i < fx->sink.progress_count; i++) {
        ZS_EXPECT(ok, fx->sink.progress[i].pct <= 100);
        ZS_EXPECT(ok, strstr(fx->sink.progress[i].note, " bytes at "));
        ZS_EXPECT(ok,
                  i == 0 ||
                      fx->sink.progress[i].at_ms - fx->sink.progress[i - 1].at_ms >= 250);
    }
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_redirects(void)
{
    s_fixture_t *fx = s_fixture_new(0, 1);
    zs_test_http_add(&fx->http, "/moved", 302, "")->headers = "Location: /small.bin\r\n";
    zs_test_http_add(&fx->http, "/twice", 302, "")->headers = "Location: /moved\r\n";
    zs_test_http_add(&fx->http, "/away", 302, "")->headers =
        "Location: http://169.254.169.254/small.bin\r\n";
    s_start(fx, "moved", "/moved", "a.bin", "", 0);
    s_start(fx, "twice", "/twice", "b.bin", "", 0);
    s_start(fx, "away", "/away", "c.bin", "", 0);
    zs_test_sink_run(&fx->sink, 3);
    bool ok = true;
    for (size_t i = 0; i < 3; i++) {
        zs_test_result_t *result = &fx->sink.results[i];
        if (streq(result->task, "moved")) {
            ZS_EXPECT(ok, streq(result->status, "ok"));
        } else if (streq(result->task, "twice")) {
            ZS_EXPECT(ok, strstr(result->why, "redirect not followed"));
        } else {
            ZS_EXPECT(ok, strncmp(result->why, "refused: redirect 1: ", 21) == 0);
        }
    }
    ZS_EXPECT(ok, s_holds(fx, "a.bin", fx->small, S_SMALL));
    ZS_EXPECT(ok, s_size(fx, "b.bin") == -1 && s_size(fx, "c.bin") == -1);
    //  Nothing was written for them: no empty partial files are left either
    ZS_EXPECT(ok, s_size(fx, ".b.bin.part") == -1 && s_size(fx, ".c.bin.part") == -1);
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static void
test_bad_settings_and_payloads(void)
{
    s_fixture_t *fx = s_fixture_new(0, 0);
    const char *bad[] = {"{\"path\": \"x\"}",
                         "{\"url\": 1}",
                         "{\"url\": \"x\", \"y\": 1}",
                         "{\"url\": \"x\", \"sha256\": \"abc\"}",
                         "{\"url\": \"x\", \"size\": -1}",
                         "{\"url\""};
    bool ok = true;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        zs_msg_t assign = zs_test_sink_assign("t", bad[i], 0);
        zs_download_start(fx->handler, &assign);
        ZS_EXPECT(ok, strncmp(s_last(fx)->why, "payload: ", 9) == 0);
    }
    const char *allow[] = {"http://127.0.0.1/"};
    zs_download_conf_t relative = {allow, 1, "relative/dir", 0, 0};
    zs_error_t err;
    ZS_EXPECT(ok, zs_download_configure(fx->handler, &relative, &err) == -1);
    zs_msg_t assign = zs_test_sink_assign("t", "http://127.0.0.1/x", 0);
    zs_download_start(fx->handler, &assign);
    ZS_EXPECT(ok, strstr(s_last(fx)->why, "refused: bad download settings: dir"));
    s_fixture_destroy(&fx);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"download_writes_file", test_download_writes_file},
    {"name_from_url", test_name_from_url},
    {"resume_after_cut", test_resume_after_cut},
    {"resume_checks_prefix", test_resume_checks_prefix},
    {"resume_without_sha256", test_resume_without_sha256},
    {"resume_ignored_starts_over", test_resume_ignored_starts_over},
    {"whole_partial_completes", test_whole_partial_completes},
    {"checksum_and_size_mismatch", test_checksum_and_size_mismatch},
    {"too_large", test_too_large},
    {"paths_stay_inside", test_paths_stay_inside},
    {"busy_partial_file", test_busy_partial_file},
    {"cancel_keeps_partial", test_cancel_keeps_partial},
    {"progress_is_bounded", test_progress_is_bounded},
    {"redirects", test_redirects},
    {"bad_settings_and_payloads", test_bad_settings_and_payloads},
};

ZS_TEST_MAIN(s_cases)
