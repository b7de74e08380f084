//  test_outcome - failures classified from status and error body, and the retry headers
//
//  The bodies are the providers' own, as their references and public issues quote them
//  (the sources are listed in tests/system/fakes/llm.py and agent/zs_outcome.c).

#include "agent/zs_outcome.h"
#include "tests/unit/zs_test.h"

#include <time.h>

//  The normal use: a 429 with its headers, read as the llm handler reads an answer
static void
test_rate_limit(void)
{
    const char *body = "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
                       "\"message\":\"This request would exceed the rate limit\"}}";
    zs_error_t err;
    zs_outcome_t outcome = zs_outcome_classify(429, body, strlen(body), &err);
    ZS_CHECK(outcome == ZS_OUTCOME_RATE_LIMIT && err.code == ZS_OUTCOME_RATE_LIMIT);
    ZS_CHECK_STR(err.text,
                 "http 429 rate_limit_error: This request would exceed the rate "
                 "limit");
    ZS_CHECK_STR(zs_vocab_outcome(outcome), "rate_limit");
    zs_outcome_hints_t hints;
    zs_outcome_hints_init(&hints);
    const char *lines[] = {"HTTP/1.1 429 Too Many Requests\r\n",
                           "content-type: application/json\r\n", "Retry-After: 2\r\n",
                           "\r\n"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        zs_outcome_hints_header(&hints, lines[i], strlen(lines[i]), 0);
    }
    ZS_CHECK(zs_outcome_hints_retry(&hints) == 2000);
}

//  Status alone, with a body that says nothing more (or no body at all)
static void
test_statuses(void)
{
    static const struct {
        long status;          //  the answer's
        zs_outcome_t expect;  //  its class
    } cases[] = {
        {400, ZS_OUTCOME_BAD_REQUEST}, {401, ZS_OUTCOME_AUTH},
        {402, ZS_OUTCOME_AUTH},        {403, ZS_OUTCOME_AUTH},
        {404, ZS_OUTCOME_BAD_REQUEST}, {405, ZS_OUTCOME_BAD_REQUEST},
        {408, ZS_OUTCOME_TIMEOUT},     {409, ZS_OUTCOME_SERVER},
        {413, ZS_OUTCOME_CONTEXT},     {422, ZS_OUTCOME_BAD_REQUEST},
        {429, ZS_OUTCOME_RATE_LIMIT},  {500, ZS_OUTCOME_SERVER},
        {502, ZS_OUTCOME_SERVER},      {503, ZS_OUTCOME_OVERLOADED},
        {504, ZS_OUTCOME_TIMEOUT},     {529, ZS_OUTCOME_OVERLOADED},
        {599, ZS_OUTCOME_SERVER},      {301, ZS_OUTCOME_BAD_REQUEST},
        {100, ZS_OUTCOME_BAD_REQUEST},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zs_error_t err;
        zs_outcome_t got = zs_outcome_classify(cases[i].status, NULL, 0, &err);
        if (got != cases[i].expect) {
            fprintf(stderr, "status %ld: %s\n", cases[i].status, zs_vocab_outcome(got));
        }
        ZS_CHECK(got == cases[i].expect);
        char prefix[32];
        snprintf(prefix, sizeof prefix, "http %ld", cases[i].status);
        ZS_CHECK(strncmp(err.text, prefix, strlen(prefix)) == 0);
    }
}

//  Where the body knows better than the status, across the providers' shapes
static void
test_bodies(void)
{
    static const struct {
        long status;          //  the answer's
        const char *body;     //  its body
        zs_outcome_t expect;  //  its class
        const char *why;      //  the start of its why
    } cases[] = {
        //  OpenAI (error codes guide; openai-python issues)
        {400,
         "{\"error\":{\"message\":\"This model's maximum context length is 8192 tokens. "
         "However, your messages resulted in 9000 tokens.\",\"type\":"
         "\"invalid_request_error\",\"param\":\"messages\",\"code\":"
         "\"context_length_exceeded\"}}",
         ZS_OUTCOME_CONTEXT, "http 400 invalid_request_error: This model's maximum"},
        {429,
         "{\"error\":{\"message\":\"You exceeded your current quota, please check your "
         "plan and billing details.\",\"type\":\"insufficient_quota\",\"param\":null,"
         "\"code\":\"insufficient_quota\"}}",
         ZS_OUTCOME_AUTH, "http 429 insufficient_quota: (the provider's message"},
        {503,
         "{\"error\":{\"message\":\"The engine is currently overloaded\",\"type\":"
         "\"service_unavailable_error\",\"code\":\"server_is_overloaded\"}}",
         ZS_OUTCOME_OVERLOADED, "http 503 service_unavailable_error: The engine"},
        {400,
         "{\"error\":{\"message\":\"Unsupported parameter: 'max_tokens' is not supported "
         "with this model. Use 'max_completion_tokens' instead.\",\"type\":"
         "\"invalid_request_error\",\"param\":\"max_tokens\",\"code\":"
         "\"unsupported_parameter\"}}",
         ZS_OUTCOME_BAD_REQUEST, "http 400 invalid_request_error: Unsupported parameter"},
        //  Anthropic (docs.claude.com/en/api/errors)
        {400,
         "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":"
         "\"prompt is too long: 210000 tokens > 200000 maximum\"}}",
         ZS_OUTCOME_CONTEXT, "http 400 invalid_request_error: prompt is too long"},
        {500,
         "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
         "\"Overloaded\"}}",
         ZS_OUTCOME_OVERLOADED, "http 500 overloaded_error: Overloaded"},
        {401,
         "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":"
         "\"invalid x-api-key\"}}",
         ZS_OUTCOME_AUTH, "http 401 authentication_error: (the provider's message"},
        //  llama.cpp's server: an integer code, a type of its own
        {400,
         "{\"error\":{\"code\":400,\"message\":\"request (9412 tokens) exceeds the "
         "available context size (8192 tokens), try increasing it\",\"type\":"
         "\"exceed_context_size_error\",\"n_prompt_tokens\":9412,\"n_ctx\":8192}}",
         ZS_OUTCOME_CONTEXT, "http 400 exceed_context_size_error: request (9412"},
        //  vLLM before 0.6: the error at the top level
        {400,
         "{\"object\":\"error\",\"message\":\"This model's maximum context length is "
         "4096 "
         "tokens. However, you requested 5000 tokens\",\"type\":\"BadRequestError\","
         "\"param\":null,\"code\":400}",
         ZS_OUTCOME_CONTEXT, "http 400 BadRequestError: This model's"},
        //  Ollama (docs/api/errors.mdx; server/routes.go)
        {400, "{\"error\":\"the input length exceeds the context length\"}",
         ZS_OUTCOME_CONTEXT, "http 400: the input length exceeds the context length"},
        {404, "{\"error\":\"model 'llama9' not found\"}", ZS_OUTCOME_BAD_REQUEST,
         "http 404: model 'llama9' not found"},
        {503,
         "{\"error\":\"server busy, please try again.  maximum pending requests "
         "exceeded\"}",
         ZS_OUTCOME_OVERLOADED, "http 503: server busy"},
        //  Not JSON: a proxy's page, quoted sanitised; a status that says enough
        {502, "<html>\n<b>Bad Gateway</b></html>", ZS_OUTCOME_SERVER,
         "http 502: <html>\\x0a<b>Bad Gateway</b></html>"},
        //  A body that says more than its status is ignored where the status is clear
        {401, "{\"error\":{\"type\":\"overloaded_error\",\"message\":\"x\"}}",
         ZS_OUTCOME_AUTH, "http 401 overloaded_error"},
        {429, "{\"error\":{\"type\":\"overloaded_error\",\"message\":\"x\"}}",
         ZS_OUTCOME_RATE_LIMIT, "http 429 overloaded_error: x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zs_error_t err;
        zs_outcome_t got = zs_outcome_classify(cases[i].status, cases[i].body,
                                               strlen(cases[i].body), &err);
        bool ok = got == cases[i].expect &&
                  strncmp(err.text, cases[i].why, strlen(cases[i].why)) == 0;
        if (!ok) {
            fprintf(stderr, "case %zu: %s '%s'\n", i, zs_vocab_outcome(got), err.text);
        }
        ZS_CHECK(ok);
    }
}

//  An auth failure's why never quotes the provider's message: it can echo the key
static void
test_auth_hides_message(void)
{
    const char *body =
        "{\"error\":{\"message\":\"Incorrect API key provided: sk-ab*****wxyz. You can "
        "find your API key at https://platform.openai.com/account/api-keys.\",\"type\":"
        "\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}";
    zs_error_t err;
    ZS_CHECK(zs_outcome_classify(401, body, strlen(body), &err) == ZS_OUTCOME_AUTH);
    ZS_CHECK(!strstr(err.text, "sk-ab") && !strstr(err.text, "wxyz"));
    ZS_CHECK(strstr(err.text, "not shown"));
    //  Nor the raw body of one that is no JSON
    ZS_CHECK(zs_outcome_classify(403, "key sk-live-123 refused", 23, &err) ==
             ZS_OUTCOME_AUTH);
    ZS_CHECK(!strstr(err.text, "sk-live"));
}

//  Error records inside a 2xx stream: the body decides, server when it says nothing
static void
test_records(void)
{
    static const struct {
        const char *record;   //  as the stream carried it
        zs_outcome_t expect;  //  its class
        const char *why;      //  its why
    } cases[] = {
        {"{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
         "\"Overloaded\"}}",
         ZS_OUTCOME_OVERLOADED, "stream error overloaded_error: Overloaded"},
        {"{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal\"}"
         "}",
         ZS_OUTCOME_SERVER, "stream error api_error: Internal"},
        {"{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\","
         "\"param\":null,\"code\":null}}",
         ZS_OUTCOME_SERVER, "stream error server_error: The server had an error"},
        {"{\"error\":{\"message\":\"slow down\",\"type\":\"requests\",\"code\":"
         "\"rate_limit_exceeded\"}}",
         ZS_OUTCOME_RATE_LIMIT, "stream error requests: slow down"},
        {"{\"error\":\"an error was encountered while running the model\"}",
         ZS_OUTCOME_SERVER, "stream error: an error was encountered while running"},
        {"{\"error\":\"the input length exceeds the context length\"}",
         ZS_OUTCOME_CONTEXT, "stream error: the input length"},
        {"{\"error\":{\"type\":\"authentication_error\",\"message\":\"key sk-1\"}}",
         ZS_OUTCOME_AUTH, "stream error authentication_error: (the provider's"},
        {"{\"error\":{\"type\":\"invalid_request_error\",\"message\":\"bad\"}}",
         ZS_OUTCOME_BAD_REQUEST, "stream error invalid_request_error: bad"},
        {"{\"error\":{\"type\":\"timeout_error\",\"message\":\"late\"}}",
         ZS_OUTCOME_TIMEOUT, "stream error timeout_error: late"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *record = json_loads(cases[i].record, 0, NULL);
        zs_error_t err;
        zs_outcome_t got = record ? zs_outcome_of_record(record, &err) : ZS_OUTCOME_COUNT;
        json_decref(record);
        bool ok = got == cases[i].expect &&
                  strncmp(err.text, cases[i].why, strlen(cases[i].why)) == 0;
        if (!ok) {
            fprintf(stderr, "case %zu: %s '%s'\n", i, zs_vocab_outcome(got),
                    record ? err.text : "not JSON");
        }
        ZS_CHECK(ok);
    }
}

//  A provider's message is bounded and escaped in the why
static void
test_why_bounded(void)
{
    char body[4096];
    int len =
        snprintf(body, sizeof body, "{\"error\":{\"type\":\"api_error\",\"message\":\"");
    memset(body + len, 'm', 3000);
    snprintf(body + len + 3000, sizeof body - (size_t) len - 3000, "\\u001b[31m\"}}");
    zs_error_t err;
    ZS_CHECK(zs_outcome_classify(500, body, strlen(body), &err) == ZS_OUTCOME_SERVER);
    ZS_CHECK(strlen(err.text) < ZS_OUTCOME_SAMPLE_MAX + 64);
    ZS_CHECK(strstr(err.text, "...") && !strchr(err.text, '\x1b'));
}

static int64_t
s_retry(const char *const *lines, size_t count, int64_t now_ms)
{
    zs_outcome_hints_t hints;
    zs_outcome_hints_init(&hints);
    for (size_t i = 0; i < count; i++) {
        zs_outcome_hints_header(&hints, lines[i], strlen(lines[i]), now_ms);
    }
    return zs_outcome_hints_retry(&hints);
}

#define S_RETRY(now, ...)                                                                \
    s_retry((const char *const[]){__VA_ARGS__},                                          \
            sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *), now)

//  retry-after-ms first whatever the order, then Retry-After in seconds (a float too) or
//  as an HTTP date; junk and negatives ignored; a wait cut to a day
static void
test_hints(void)
{
    ZS_CHECK(S_RETRY(0, "x-request-id: 1\r\n") == -1);
    ZS_CHECK(S_RETRY(0, "retry-after: 3\r\n", "retry-after-ms: 1500\r\n") == 1500);
    ZS_CHECK(S_RETRY(0, "RETRY-AFTER-MS: 250.5\r\n", "Retry-After: 9\r\n") == 251);
    ZS_CHECK(S_RETRY(0, "Retry-After:\t0.5 \r\n") == 500);
    ZS_CHECK(S_RETRY(0, "retry-after: 0\r\n") == 0);
    ZS_CHECK(S_RETRY(0, "retry-after: soon\r\n") == -1);
    ZS_CHECK(S_RETRY(0, "retry-after: -4\r\n") == -1);
    ZS_CHECK(S_RETRY(0, "retry-after: 3x\r\n") == -1);
    ZS_CHECK(S_RETRY(0, "retry-after-ms: nan\r\n", "retry-after: 1\r\n") == 1000);
    ZS_CHECK(S_RETRY(0, "retry-after: 1e12\r\n") == ZS_OUTCOME_RETRY_MAX_MS);
    ZS_CHECK(S_RETRY(0, "retry-after: inf\r\n") == -1);
    ZS_CHECK(S_RETRY(0, "retry-afterx: 1\r\n", "retry-after-msx: 1\r\n") == -1);
    ZS_CHECK(S_RETRY(0, "retry-after 5\r\n") == -1);
    //  RFC 9110's IMF-fixdate, measured from now; a date past is "now"
    int64_t now = (int64_t) 784111777 * 1000;  //  Sun, 06 Nov 1994 08:49:37 GMT
    ZS_CHECK(S_RETRY(now - 2500, "Retry-After: Sun, 06 Nov 1994 08:49:37 GMT\r\n") ==
             2500);
    ZS_CHECK(S_RETRY(now + 1000, "Retry-After: Sun, 06 Nov 1994 08:49:37 GMT\r\n") == 0);
    ZS_CHECK(S_RETRY(now, "Retry-After: Sunday, 06-Nov-94 08:49:37 GMT\r\n") == -1);
    //  A value longer than any retry header needs is not read
    char line[300];
    snprintf(line, sizeof line, "retry-after: %0200d\r\n", 1);
    ZS_CHECK(S_RETRY(0, line) == -1);
}

static void
test_names(void)
{
    static const char *const names[] = {
        "ok",   "rate_limit",  "overloaded", "server",    "timeout",  "connect",
        "auth", "bad_request", "context",    "malformed", "cancelled"};
    ZS_CHECK(sizeof names / sizeof names[0] == ZS_OUTCOME_COUNT);
    for (int i = 0; i < ZS_OUTCOME_COUNT; i++) {
        ZS_CHECK_STR(zs_vocab_outcome((zs_outcome_t) i), names[i]);
    }
    ZS_CHECK_STR(zs_vocab_outcome(ZS_OUTCOME_COUNT), "invalid");
}

static const zs_test_case_t s_cases[] = {
    {"rate_limit", test_rate_limit}, {"statuses", test_statuses},
    {"bodies", test_bodies},         {"auth_hides_message", test_auth_hides_message},
    {"records", test_records},       {"why_bounded", test_why_bounded},
    {"hints", test_hints},           {"names", test_names},
};

ZS_TEST_MAIN(s_cases)
