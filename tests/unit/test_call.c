//  test_call - one provider call read from what the transport reports

#include "agent/zs_call.h"
#include "tests/unit/zs_test.h"

#define streq(a, b) (strcmp((a), (b)) == 0)

static const char s_answer[] =
    "{\"choices\":[{\"message\":{\"content\":\"Hi there\"},\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2}}";

//  The normal use: headers, a whole answer in pieces, the end
static void
test_whole(void)
{
    zs_call_t *call = zs_call_new(ZS_PROVIDER_OPENAI, ZS_CALL_WHOLE);
    zs_call_header(call, "HTTP/1.1 200 OK\r\n", 17, 0);
    zs_call_header(call, "content-type: application/json\r\n", 32, 0);
    bool ok = true;
    ZS_EXPECT(ok, zs_call_data(call, 200, s_answer, 10) == 0);
    ZS_EXPECT(ok, zs_call_data(call, 200, s_answer + 10, strlen(s_answer) - 10) == 0);
    zs_error_t err;
    ZS_EXPECT(ok, zs_call_end(call, 200, ZS_OUTCOME_OK, NULL, &err) == 0);
    ZS_EXPECT(ok, streq(zs_call_answer(call)->text, "Hi there"));
    ZS_EXPECT(ok, zs_call_status(call) == 200 && zs_call_retry(call) == -1);
    uint64_t in = 0, out = 0;
    zs_call_tokens(call, 0, 100, 4, &in, &out);
    ZS_EXPECT(ok, in == 9 && out == 2);
    zs_call_destroy(&call);
    ZS_CHECK(ok);
    ZS_CHECK(call == NULL);
}

//  A stream's text can be read while it comes; no usage: the text is estimated
static void
test_stream(void)
{
    zs_call_t *call = zs_call_new(ZS_PROVIDER_OLLAMA, ZS_CALL_STREAM);
    const char *lines = "{\"message\":{\"content\":\"Hello \"},\"done\":false}\n"
                        "{\"message\":{\"content\":\"world\"},\"done\":true}\n";
    size_t first = (size_t) (strchr(lines, '\n') - lines) + 1;
    bool ok = true;
    ZS_EXPECT(ok, zs_call_data(call, 200, lines, first) == 0);
    ZS_EXPECT(ok, zs_call_answer(call)->text_size == 6);
    ZS_EXPECT(ok, zs_call_data(call, 200, lines + first, strlen(lines) - first) == 0);
    zs_error_t err;
    ZS_EXPECT(ok, zs_call_end(call, 0, ZS_OUTCOME_OK, NULL, &err) == 0);
    ZS_EXPECT(ok, streq(zs_call_answer(call)->text, "Hello world"));
    uint64_t in = 0, out = 0;
    zs_call_tokens(call, 0, 100, 4, &in, &out);
    ZS_EXPECT(ok, in == 100 && out == 3);
    zs_call_destroy(&call);
    ZS_CHECK(ok);
}

//  A failed answer: classified from status and body, with the retry headers of the
//  last response (a 100 Continue's are dropped)
static void
test_error(void)
{
    zs_call_t *call = zs_call_new(ZS_PROVIDER_ANTHROPIC, ZS_CALL_STREAM);
    zs_call_header(call, "HTTP/1.1 100 Continue\r\n", 23, 0);
    zs_call_header(call, "retry-after: 9\r\n", 16, 0);
    zs_call_header(call, "HTTP/1.1 529 Overloaded\r\n", 25, 0);
    zs_call_header(call, "retry-after: 3\r\n", 16, 0);
    const char *body = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                       "\"message\":\"Overloaded\"}}";
    bool ok = true;
    ZS_EXPECT(ok, zs_call_data(call, 529, body, strlen(body)) == 0);
    zs_error_t err;
    ZS_EXPECT(ok,
              zs_call_end(call, 529, ZS_OUTCOME_OK, NULL, &err) == ZS_OUTCOME_OVERLOADED);
    ZS_EXPECT(ok, streq(err.text, "http 529 overloaded_error: Overloaded"));
    ZS_EXPECT(ok, zs_call_retry(call) == 3000);
    uint64_t in = 1, out = 1;
    zs_call_tokens(call, ZS_OUTCOME_OVERLOADED, 100, 4, &in, &out);
    ZS_EXPECT(ok, in == 0 && out == 0 && zs_call_answer(call)->text_size == 0);
    zs_call_destroy(&call);
    ZS_CHECK(ok);
}

//  An error body is cut at its bound, and the transport's stop is no failure of its own
static void
test_error_body_cut(void)
{
    zs_call_t *call = zs_call_new(ZS_PROVIDER_OPENAI, ZS_CALL_WHOLE);
    char *big = zs_malloc(ZS_CALL_ERROR_BODY_MAX + 10);
    memset(big, ' ', ZS_CALL_ERROR_BODY_MAX + 10);
    bool ok = true;
    ZS_EXPECT(ok, zs_call_data(call, 500, big, ZS_CALL_ERROR_BODY_MAX + 10) == -1);
    ZS_EXPECT(ok, zs_call_data(call, 500, "x", 1) == -1);
    free(big);
    zs_error_t err;
    ZS_EXPECT(ok, zs_call_end(call, 0, ZS_OUTCOME_MALFORMED, "write: stopped", &err) ==
                      ZS_OUTCOME_SERVER);
    ZS_EXPECT(ok, strncmp(err.text, "http 500", 8) == 0);
    zs_call_destroy(&call);
    ZS_CHECK(ok);
}

//  A whole answer past its bound fails the call; the transport's failure is kept
//  otherwise; a stream's error record stops the reading
static void
test_failures(void)
{
    zs_call_t *call = zs_call_new(ZS_PROVIDER_OPENAI, ZS_CALL_WHOLE);
    char *big = zs_malloc(ZS_PROVIDER_BODY_MAX + 1);
    memset(big, ' ', ZS_PROVIDER_BODY_MAX + 1);
    bool ok = true;
    ZS_EXPECT(ok, zs_call_data(call, 200, big, ZS_PROVIDER_BODY_MAX) == 0);
    ZS_EXPECT(ok, zs_call_data(call, 200, big, 1) == -1);
    free(big);
    zs_error_t err;
    ZS_EXPECT(ok, zs_call_end(call, 200, ZS_OUTCOME_MALFORMED, "write", &err) ==
                      ZS_OUTCOME_MALFORMED);
    ZS_EXPECT(ok, streq(err.text, "answer passes 8388608 bytes"));
    zs_call_destroy(&call);
    call = zs_call_new(ZS_PROVIDER_OPENAI, ZS_CALL_STREAM);
    ZS_EXPECT(ok, zs_call_end(call, 0, ZS_OUTCOME_TIMEOUT, "timeout: 30000 ms", &err) ==
                      ZS_OUTCOME_TIMEOUT);
    ZS_EXPECT(ok, streq(err.text, "timeout: 30000 ms") && zs_call_status(call) == 0);
    zs_call_destroy(&call);
    call = zs_call_new(ZS_PROVIDER_OPENAI, ZS_CALL_STREAM);
    const char *error =
        "data: {\"error\":{\"type\":\"server_error\",\"message\":\"x\"}}\n\n";
    ZS_EXPECT(ok, zs_call_data(call, 200, error, strlen(error)) == -1);
    ZS_EXPECT(ok, zs_call_end(call, 200, ZS_OUTCOME_MALFORMED, "write", &err) ==
                      ZS_OUTCOME_SERVER);
    ZS_EXPECT(ok, streq(err.text, "stream error server_error: x"));
    zs_call_destroy(&call);
    ZS_CHECK(ok);
}

//  A large answer in many small pieces, as libcurl gives it, is read whole; the bound
//  holds however the bytes are cut
static void
test_pieces(void)
{
    enum { PIECE = 997, PAD = 1u << 20 };
    size_t size = strlen(s_answer) + PAD;
    char *body = zs_malloc(size);
    memset(body, ' ', PAD);  //  leading whitespace: still the same JSON
    memcpy(body + PAD, s_answer, strlen(s_answer));
    zs_call_t *call = zs_call_new(ZS_PROVIDER_OPENAI, ZS_CALL_WHOLE);
    bool ok = true;
    for (size_t at = 0; at < size; at += PIECE) {
        size_t piece = size - at < PIECE ? size - at : PIECE;
        ZS_EXPECT(ok, zs_call_data(call, 200, body + at, piece) == 0);
    }
    free(body);
    zs_error_t err;
    ZS_EXPECT(ok, zs_call_end(call, 200, ZS_OUTCOME_OK, NULL, &err) == 0);
    ZS_EXPECT(ok, streq(zs_call_answer(call)->text, "Hi there"));
    zs_call_destroy(&call);
    call = zs_call_new(ZS_PROVIDER_OPENAI, ZS_CALL_WHOLE);
    char piece[16384];
    memset(piece, ' ', sizeof piece);
    for (size_t at = 0; at < ZS_PROVIDER_BODY_MAX; at += sizeof piece) {
        ZS_EXPECT(ok, zs_call_data(call, 200, piece, sizeof piece) == 0);
    }
    ZS_EXPECT(ok, zs_call_data(call, 200, piece, 1) == -1);
    ZS_EXPECT(ok, zs_call_end(call, 200, ZS_OUTCOME_MALFORMED, "write", &err) ==
                      ZS_OUTCOME_MALFORMED);
    zs_call_destroy(&call);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"whole", test_whole},       {"stream", test_stream},
    {"error", test_error},       {"error_body_cut", test_error_body_cut},
    {"failures", test_failures}, {"pieces", test_pieces},
};

ZS_TEST_MAIN(s_cases)
