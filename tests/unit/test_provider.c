//  test_provider - the three kinds' requests, answers and streams
//
//  Two sources of answers: shapes written here from the providers' references (the
//  OpenAI API reference's chunk, Anthropic's streaming guide, Ollama's docs/api.md and
//  docs/api/streaming.mdx), and tests/unit/fixtures/llm/*.http, the answers of the
//  fakes in tests/system/fakes to the very bodies checked in test_request (recorded by
//  fixtures/llm/record.py). Every stream is read whole, split in two at every byte, and
//  one byte at a time, and must read the same each way.

#include "agent/zs_provider.h"
#include "tests/unit/zs_test.h"

#include <math.h>

#define S_FIXTURES "tests/unit/fixtures/llm/"
#define S_FILE_MAX (1u << 20)  //  largest fixture file read

//  ---- fixtures ------------------------------------------------------------------------

//  A recorded answer: "STATUS\nheader: value\n...\n\nBODY"
typedef struct {
    char *file;        //  owned: the whole file, NUL-terminated
    long status;       //  its first line
    const char *head;  //  the header lines, in file ("" when none)
    size_t head_size;  //  their length
    const char *body;  //  the body, in file
    size_t body_size;  //  its length
} s_fixture_t;

//  Read the fixture file name into *size_p bytes; NULL (and a message) when it cannot
static char *
s_read(const char *name, size_t *size_p)
{
    const char *root = getenv("ZS_SOURCE_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/" S_FIXTURES "%s", root ? root : ".", name);
    FILE *file = fopen(path, "rb");
    char *data = file ? zs_malloc(S_FILE_MAX + 1) : NULL;
    size_t size = file ? fread(data, 1, S_FILE_MAX, file) : 0;
    if (file) {
        fclose(file);
    }
    if (!data) {
        fprintf(stderr, "cannot read '%s' (is ZS_SOURCE_ROOT set?)\n", path);
        return NULL;
    }
    data[size] = '\0';
    *size_p = size;
    return data;
}

static bool
s_fixture_load(s_fixture_t *self, const char *name)
{
    memset(self, 0, sizeof *self);
    size_t size = 0;
    self->file = s_read(name, &size);
    char *blank = self->file ? strstr(self->file, "\n\n") : NULL;
    if (!blank) {
        free(self->file);
        self->file = NULL;
        return false;
    }
    self->status = strtol(self->file, NULL, 10);
    char *eol = strchr(self->file, '\n');
    self->head = eol + 1 <= blank ? eol + 1 : "";
    self->head_size = eol + 1 <= blank ? (size_t) (blank + 1 - (eol + 1)) : 0;
    self->body = blank + 2;
    self->body_size = size - (size_t) (self->body - self->file);
    return true;
}

static void
s_fixture_fini(s_fixture_t *self)
{
    free(self->file);
    self->file = NULL;
}

//  ---- reading streams -----------------------------------------------------------------

//  What reading an answer gave
typedef struct {
    int code;                             //  0 or the outcome
    char why[ZS_ERROR_TEXT_MAX];          //  err.text when code is not 0
    char text[4096];                      //  the text, cut to fit
    size_t text_size;                     //  its whole length
    zs_provider_finish_t finish;          //  why it ended
    char reason[ZS_PROVIDER_REASON_MAX];  //  the provider's word
    uint64_t tok_in;                      //  usage
    uint64_t tok_out;                     //  usage
    bool usage;                           //  usage was reported
} s_read_t;

static void
s_read_answer(s_read_t *self,
              const zs_provider_answer_t *answer,
              int code,
              const zs_error_t *err)
{
    memset(self, 0, sizeof *self);
    self->code = code;
    snprintf(self->why, sizeof self->why, "%s", code ? err->text : "");
    snprintf(self->text, sizeof self->text, "%s", answer->text ? answer->text : "");
    self->text_size = answer->text_size;
    self->finish = answer->finish;
    snprintf(self->reason, sizeof self->reason, "%s", answer->reason);
    self->tok_in = answer->tok_in;
    self->tok_out = answer->tok_out;
    self->usage = answer->usage;
}

//  Feed body in two pieces split at `at`, or byte by byte when at is SIZE_MAX, then end
static void
s_stream_read(
    zs_provider_kind_t kind, const char *body, size_t size, size_t at, s_read_t *result)
{
    zs_provider_stream_t *stream = zs_provider_stream_new(kind);
    zs_error_t err;
    zs_error_init(&err);
    int code = 0;
    if (at == SIZE_MAX) {
        for (size_t i = 0; i < size && code == 0; i++) {
            code = zs_provider_stream_feed(stream, body + i, 1, &err);
        }
    } else {
        code = zs_provider_stream_feed(stream, body, at, &err);
        code = code ? code : zs_provider_stream_feed(stream, body + at, size - at, &err);
    }
    code = code ? code : zs_provider_stream_end(stream, &err);
    s_read_answer(result, zs_provider_stream_answer(stream), code, &err);
    zs_provider_stream_destroy(&stream);
}

static bool
s_read_same(const s_read_t *a, const s_read_t *b)
{
    return a->code == b->code && strcmp(a->why, b->why) == 0 &&
           strcmp(a->text, b->text) == 0 && a->text_size == b->text_size &&
           a->finish == b->finish && strcmp(a->reason, b->reason) == 0 &&
           a->tok_in == b->tok_in && a->tok_out == b->tok_out && a->usage == b->usage;
}

//  Read body whole into *whole, then at every split and byte by byte: all the same
static bool
s_stream_every_split(zs_provider_kind_t kind,
                     const char *body,
                     size_t size,
                     s_read_t *whole)
{
    s_stream_read(kind, body, size, size, whole);
    for (size_t at = 0; at <= size + 1; at++) {
        s_read_t split;
        s_stream_read(kind, body, size, at == size + 1 ? SIZE_MAX : at, &split);
        if (!s_read_same(whole, &split)) {
            fprintf(stderr,
                    "split at %zu: code %d '%s' text '%s' (whole: %d '%s' '%s')\n", at,
                    split.code, split.why, split.text, whole->code, whole->why,
                    whole->text);
            return false;
        }
    }
    return true;
}

static bool
s_stream_text_every_split(zs_provider_kind_t kind, const char *body, s_read_t *whole)
{
    return s_stream_every_split(kind, body, strlen(body), whole);
}

//  ---- requests ------------------------------------------------------------------------

//  The call the request fixtures were written for
static zs_provider_call_t
s_call(zs_provider_kind_t kind, bool stream)
{
    static const char *const models[ZS_PROVIDER_KIND_COUNT] = {
        "gpt-4o-mini", "claude-sonnet-4-5", "llama3.2"};
    static const char *const keys[ZS_PROVIDER_KIND_COUNT] = {"sk-test-fixture",
                                                        "sk-ant-fixture", NULL};
    zs_provider_call_t call = {
        .kind = kind,
        .url = "http://127.0.0.1:9",
        .model = models[kind],
        .key = keys[kind],
        .system = "You write C.",
        .prompt = "Task: sort \"a\" list\n\nDesign:\ncaf\xc3\xa9 ring",
        .max_tokens = 64,
        .temperature = 0.2,
        .stream = stream,
    };
    return call;
}

static bool
s_headers_are(const zs_provider_request_t *request,
              const char *const *expect,
              size_t count)
{
    for (size_t i = 0; i < ZS_PROVIDER_HEADERS_MAX; i++) {
        const char *want = i < count ? expect[i] : NULL;
        const char *got = request->headers[i];
        if ((want == NULL) != (got == NULL) || (want && strcmp(want, got) != 0)) {
            fprintf(stderr, "header %zu: '%s', expected '%s'\n", i, got ? got : "(none)",
                    want ? want : "(none)");
            return false;
        }
    }
    return true;
}

//  The normal use: the request of one call of each kind, exactly as the fakes accept it
static void
test_request(void)
{
    static const struct {
        zs_provider_kind_t kind;  //  the API
        bool stream;              //  streamed or not
        const char *fixture;      //  the body expected
        const char *url;          //  the URL expected
        const char *headers[3];   //  the headers expected
    } cases[] = {
        {ZS_PROVIDER_OPENAI,
         false,
         "openai-request.json",
         "http://127.0.0.1:9/chat/completions",
         {"Content-Type: application/json", "Authorization: Bearer sk-test-fixture"}},
        {ZS_PROVIDER_OPENAI,
         true,
         "openai-stream-request.json",
         "http://127.0.0.1:9/chat/completions",
         {"Content-Type: application/json", "Authorization: Bearer sk-test-fixture"}},
        {ZS_PROVIDER_ANTHROPIC,
         false,
         "anthropic-request.json",
         "http://127.0.0.1:9/v1/messages",
         {"Content-Type: application/json", "anthropic-version: 2023-06-01",
          "x-api-key: sk-ant-fixture"}},
        {ZS_PROVIDER_ANTHROPIC,
         true,
         "anthropic-stream-request.json",
         "http://127.0.0.1:9/v1/messages",
         {"Content-Type: application/json", "anthropic-version: 2023-06-01",
          "x-api-key: sk-ant-fixture"}},
        {ZS_PROVIDER_OLLAMA,
         false,
         "ollama-request.json",
         "http://127.0.0.1:9/api/chat",
         {"Content-Type: application/json"}},
        {ZS_PROVIDER_OLLAMA,
         true,
         "ollama-stream-request.json",
         "http://127.0.0.1:9/api/chat",
         {"Content-Type: application/json"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zs_provider_call_t call = s_call(cases[i].kind, cases[i].stream);
        zs_provider_request_t request;
        zs_error_t err;
        ZS_CHECK_OK(zs_provider_request_init(&request, &call, &err), err);
        size_t size = 0;
        char *expect = s_read(cases[i].fixture, &size);
        bool ok = true;
        ZS_EXPECT(ok, expect && strcmp(request.body, expect) == 0);
        ZS_EXPECT(ok, request.body_size == strlen(request.body));
        ZS_EXPECT(ok, strcmp(request.url, cases[i].url) == 0);
        size_t count = 0;
        while (count < 3 && cases[i].headers[count]) {
            count++;
        }
        ZS_EXPECT(ok, s_headers_are(&request, cases[i].headers, count));
        if (!ok) {
            fprintf(stderr, "%s: got %s\n", cases[i].fixture, request.body);
        }
        free(expect);
        zs_provider_request_fini(&request);
        zs_provider_request_fini(&request);  //  harmless twice
        ZS_CHECK(ok);
    }
}

static char *
s_body_of(zs_provider_call_t call)
{
    zs_provider_request_t request;
    zs_error_t err;
    if (zs_provider_request_init(&request, &call, &err) != 0) {
        return zs_strdup(err.text);
    }
    char *body = zs_strdup(request.body);
    zs_provider_request_fini(&request);
    return body;
}

//  What a call leaves out, and the ranges it keeps to
static void
test_request_options(void)
{
    zs_provider_call_t call = s_call(ZS_PROVIDER_OPENAI, false);
    call.temperature = NAN;
    call.system = "";
    call.url = "https://api.example.com/v1///";
    call.key = NULL;
    zs_provider_request_t request;
    zs_error_t err;
    ZS_CHECK_OK(zs_provider_request_init(&request, &call, &err), err);
    bool ok = true;
    ZS_EXPECT(ok,
              strcmp(request.url, "https://api.example.com/v1/chat/completions") == 0);
    ZS_EXPECT(ok,
              !strstr(request.body, "temperature") && !strstr(request.body, "system"));
    ZS_EXPECT(ok, !strstr(request.body, "stream"));
    ZS_EXPECT(ok, s_headers_are(&request,
                                (const char *[]){"Content-Type: application/json"}, 1));
    zs_provider_request_fini(&request);
    ZS_CHECK(ok);
    //  Ollama with a key (ollama.com) sends Bearer; stream false is always said
    call = s_call(ZS_PROVIDER_OLLAMA, false);
    call.key = "ol-key";
    ZS_CHECK_OK(zs_provider_request_init(&request, &call, &err), err);
    ZS_EXPECT(ok, s_headers_are(&request,
                                (const char *[]){"Content-Type: application/json",
                                                 "Authorization: Bearer ol-key"},
                                2));
    ZS_EXPECT(ok, strstr(request.body, "\"stream\":false"));
    zs_provider_request_fini(&request);
    ZS_CHECK(ok);
    //  Temperature cut to each API's range: Anthropic 0..1, the others 0..2
    call = s_call(ZS_PROVIDER_ANTHROPIC, false);
    call.temperature = 1.7;
    char *body = s_body_of(call);
    ZS_EXPECT(ok,
              strstr(body, "\"temperature\":1.0") || strstr(body, "\"temperature\":1,"));
    free(body);
    call = s_call(ZS_PROVIDER_OPENAI, false);
    call.temperature = 2.5;
    body = s_body_of(call);
    ZS_EXPECT(ok, strstr(body, "\"temperature\":2.0"));
    free(body);
    call.temperature = -1;
    body = s_body_of(call);
    ZS_EXPECT(ok, strstr(body, "\"temperature\":0.0"));
    free(body);
    call = s_call(ZS_PROVIDER_OLLAMA, false);
    call.temperature = 0.75;
    body = s_body_of(call);
    ZS_EXPECT(ok, strstr(body, "\"options\":{\"num_predict\":64,\"temperature\":0.75}"));
    free(body);
    ZS_CHECK(ok);
}

//  Calls that cannot be sent are refused, and the key never shows in the reason
static void
test_request_refusals(void)
{
    static const struct {
        const char *url;          //  base URL
        const char *key;          //  key
        const char *prompt;       //  prompt
        uint64_t max_tokens;      //  max_tokens
        zs_provider_code_t code;  //  refusal
        const char *why;          //  in its text
    } cases[] = {
        {"ftp://h/v1", "k", "p", 1, ZS_PROVIDER_E_URL, "must be http:// or https://"},
        {"h/v1", "k", "p", 1, ZS_PROVIDER_E_URL, "must be"},
        {"", "k", "p", 1, ZS_PROVIDER_E_URL, "must be"},
        {"http://h/v1?x=1", "k", "p", 1, ZS_PROVIDER_E_URL, "without ? or #"},
        {"http://h/v1#f", "k", "p", 1, ZS_PROVIDER_E_URL, "without ? or #"},
        {"http://h /v1", "k", "p", 1, ZS_PROVIDER_E_URL, "printable"},
        {"http://h/v1\r\nX: y", "k", "p", 1, ZS_PROVIDER_E_URL, "printable"},
        {"http://h", "sk-sec ret", "p", 1, ZS_PROVIDER_E_KEY, "printable ASCII"},
        {"http://h", "sk-secret\r\nX-Evil: 1", "p", 1, ZS_PROVIDER_E_KEY,
         "not printable"},
        {"http://h", "sk-s\xc3\xa9", "p", 1, ZS_PROVIDER_E_KEY, "not printable"},
        {"http://h", "k", "", 1, ZS_PROVIDER_E_CALL, "the prompt is empty"},
        {"http://h", "k", "p", 0, ZS_PROVIDER_E_CALL,
         "max_tokens 0 is not in 1..10000000"},
        {"http://h", "k", "p", 10000001, ZS_PROVIDER_E_CALL, "max_tokens 10000001"},
        {"http://h", "k", "bad \xff", 1, ZS_PROVIDER_E_CALL, "not UTF-8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zs_provider_call_t call = s_call(ZS_PROVIDER_ANTHROPIC, true);
        call.url = cases[i].url;
        call.key = cases[i].key;
        call.prompt = cases[i].prompt;
        call.max_tokens = cases[i].max_tokens;
        zs_provider_request_t request;
        zs_error_t err;
        int rc = zs_provider_request_init(&request, &call, &err);
        bool ok = rc == -1 && err.code == (int) cases[i].code &&
                  strstr(err.text, cases[i].why) && !strstr(err.text, "sk-") &&
                  !request.url && !request.body && !request.headers[0];
        if (!ok) {
            fprintf(stderr, "case %zu: %d '%s'\n", i, rc, rc ? err.text : "");
        }
        if (rc == 0) {
            zs_provider_request_fini(&request);
        }
        ZS_CHECK(ok);
    }
    //  A URL at the bound with its path, and one byte past it
    char url[ZS_PROVIDER_URL_MAX + 2];
    size_t base = ZS_PROVIDER_URL_MAX - strlen("/api/chat");
    memset(url, 'a', sizeof url);
    memcpy(url, "http://", 7);
    url[base] = '\0';
    zs_provider_call_t call = s_call(ZS_PROVIDER_OLLAMA, false);
    call.url = url;
    zs_provider_request_t request;
    zs_error_t err;
    ZS_CHECK_OK(zs_provider_request_init(&request, &call, &err), err);
    ZS_CHECK(strlen(request.url) == ZS_PROVIDER_URL_MAX);
    zs_provider_request_fini(&request);
    url[base] = 'a';
    url[base + 1] = '\0';
    ZS_CHECK(zs_provider_request_init(&request, &call, &err) == -1);
}

//  ---- whole answers -------------------------------------------------------------------

static bool
s_parse_fixture(zs_provider_kind_t kind, const char *name, s_read_t *result)
{
    s_fixture_t fixture;
    if (!s_fixture_load(&fixture, name)) {
        return false;
    }
    zs_provider_answer_t answer;
    zs_provider_answer_init(&answer);
    zs_error_t err;
    zs_error_init(&err);
    int code = zs_provider_parse(kind, fixture.body, fixture.body_size, &answer, &err);
    s_read_answer(result, &answer, code, &err);
    zs_provider_answer_fini(&answer);
    zs_provider_answer_fini(&answer);  //  harmless twice
    bool ok = fixture.status == 200;
    s_fixture_fini(&fixture);
    return ok;
}

static const char *const s_kind_names[ZS_PROVIDER_KIND_COUNT] = {"openai", "anthropic",
                                                            "ollama"};

static void
test_answers(void)
{
    for (int kind = 0; kind < ZS_PROVIDER_KIND_COUNT; kind++) {
        char name[64];
        s_read_t got;
        snprintf(name, sizeof name, "%s-answer.http", s_kind_names[kind]);
        ZS_CHECK(s_parse_fixture((zs_provider_kind_t) kind, name, &got));
        ZS_CHECK(got.code == 0);
        ZS_CHECK_STR(got.text, "The answer is 42.");
        ZS_CHECK(got.finish == ZS_PROVIDER_FINISH_STOP);
        ZS_CHECK(got.usage && got.tok_in == 17 && got.tok_out == 5);
        snprintf(name, sizeof name, "%s-length.http", s_kind_names[kind]);
        ZS_CHECK(s_parse_fixture((zs_provider_kind_t) kind, name, &got));
        ZS_CHECK(got.code == 0);
        ZS_CHECK_STR(got.text, "cut here");
        ZS_CHECK(got.finish == ZS_PROVIDER_FINISH_LENGTH);
        ZS_CHECK(got.usage && got.tok_in == 10 && got.tok_out == 2);
        snprintf(name, sizeof name, "%s-malformed.http", s_kind_names[kind]);
        ZS_CHECK(s_parse_fixture((zs_provider_kind_t) kind, name, &got));
        ZS_CHECK(got.code == ZS_OUTCOME_MALFORMED);
        ZS_CHECK(strstr(got.why, "answer is not a JSON object"));
    }
}

//  Shapes from the references that the fakes do not make
static void
test_answer_shapes(void)
{
    static const struct {
        zs_provider_kind_t kind;  //  the API
        const char *body;         //  the answer
        int code;                 //  parse's result
        const char *text;         //  the text, or the why
        uint64_t tok_in;          //  usage
    } cases[] = {
        //  Anthropic: cache reads and writes count as input (usage.py); only text blocks
        {ZS_PROVIDER_ANTHROPIC,
         "{\"type\":\"message\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"hm\"},"
         "{\"type\":\"text\",\"text\":\"Hi\"},{\"type\":\"text\",\"text\":\"!\"}],"
         "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":5,"
         "\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":20,"
         "\"output_tokens\":3}}",
         0, "Hi!", 125},
        //  OpenAI: a refusal has null content
        {ZS_PROVIDER_OPENAI,
         "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
         "null,"
         "\"refusal\":\"no\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":"
         "4,"
         "\"completion_tokens\":1}}",
         0, "", 4},
        {ZS_PROVIDER_OPENAI, "{\"choices\":[]}", ZS_OUTCOME_MALFORMED,
         "answer has no choices[0].message.content", 0},
        {ZS_PROVIDER_OPENAI, "[1, 2]", ZS_OUTCOME_MALFORMED,
         "answer is not a JSON object: not an object", 0},
        {ZS_PROVIDER_OPENAI, "", ZS_OUTCOME_MALFORMED, "answer is not a JSON object", 0},
        //  An error object in a 2xx body is what it says
        {ZS_PROVIDER_OPENAI,
         "{\"error\":{\"message\":\"busy\",\"type\":\"server_error\",\"code\":null}}",
         ZS_OUTCOME_SERVER, "stream error server_error: busy", 0},
        {ZS_PROVIDER_ANTHROPIC, "{\"type\":\"message\",\"content\":\"Hi\"}",
         ZS_OUTCOME_MALFORMED, "answer has no content array", 0},
        {ZS_PROVIDER_OLLAMA, "{\"message\":{\"content\":\"x\"},\"done\":false}",
         ZS_OUTCOME_MALFORMED, "answer is not done", 0},
        {ZS_PROVIDER_OLLAMA, "{\"done\":true}", ZS_OUTCOME_MALFORMED,
         "answer has no message.content", 0},
        {ZS_PROVIDER_OLLAMA, "{\"error\":\"model 'x' not found\"}", ZS_OUTCOME_SERVER,
         "stream error: model 'x' not found", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zs_provider_answer_t answer;
        zs_provider_answer_init(&answer);
        zs_error_t err;
        zs_error_init(&err);
        int code = zs_provider_parse(cases[i].kind, cases[i].body, strlen(cases[i].body),
                                     &answer, &err);
        const char *got = code ? err.text : answer.text ? answer.text : "";
        bool ok = code == cases[i].code &&
                  strncmp(got, cases[i].text, strlen(cases[i].text)) == 0 &&
                  (code || answer.tok_in == cases[i].tok_in);
        if (!ok) {
            fprintf(stderr, "case %zu: %d '%s'\n", i, code, got);
        }
        zs_provider_answer_fini(&answer);
        ZS_CHECK(ok);
    }
    //  A body past the bound is refused before it is parsed
    zs_provider_answer_t answer;
    zs_provider_answer_init(&answer);
    zs_error_t err;
    ZS_CHECK(zs_provider_parse(ZS_PROVIDER_OPENAI, "{}", ZS_PROVIDER_BODY_MAX + 1,
                               &answer, &err) == ZS_OUTCOME_MALFORMED);
    ZS_CHECK(strstr(err.text, "answer of 8388609 bytes passes 8388608"));
}

//  ---- streams -------------------------------------------------------------------------

static bool
s_stream_fixture(zs_provider_kind_t kind, const char *name, s_read_t *whole)
{
    s_fixture_t fixture;
    if (!s_fixture_load(&fixture, name)) {
        return false;
    }
    bool ok = fixture.status == 200 &&
              s_stream_every_split(kind, fixture.body, fixture.body_size, whole);
    s_fixture_fini(&fixture);
    return ok;
}

static void
test_streams(void)
{
    for (int kind = 0; kind < ZS_PROVIDER_KIND_COUNT; kind++) {
        char name[64];
        s_read_t got;
        snprintf(name, sizeof name, "%s-stream.http", s_kind_names[kind]);
        ZS_CHECK(s_stream_fixture((zs_provider_kind_t) kind, name, &got));
        ZS_CHECK(got.code == 0);
        ZS_CHECK_STR(got.text, "The answer is 42.");
        ZS_CHECK(got.finish == ZS_PROVIDER_FINISH_STOP);
        ZS_CHECK(got.usage && got.tok_in == 17 && got.tok_out == 5);
        snprintf(name, sizeof name, "%s-stream-length.http", s_kind_names[kind]);
        ZS_CHECK(s_stream_fixture((zs_provider_kind_t) kind, name, &got));
        ZS_CHECK(got.code == 0);
        ZS_CHECK_STR(got.text, "cut here");
        ZS_CHECK(got.finish == ZS_PROVIDER_FINISH_LENGTH);
        ZS_CHECK(got.usage && got.tok_in == 10 && got.tok_out == 2);
    }
}

//  An error event inside the stream, a record that is no JSON, a stream cut short
static void
test_stream_failures(void)
{
    static const zs_outcome_t mid_stream[ZS_PROVIDER_KIND_COUNT] = {
        ZS_OUTCOME_SERVER, ZS_OUTCOME_OVERLOADED, ZS_OUTCOME_SERVER};
    for (int kind = 0; kind < ZS_PROVIDER_KIND_COUNT; kind++) {
        char name[64];
        s_read_t got;
        snprintf(name, sizeof name, "%s-stream-error.http", s_kind_names[kind]);
        ZS_CHECK(s_stream_fixture((zs_provider_kind_t) kind, name, &got));
        ZS_CHECK(got.code == (int) mid_stream[kind]);
        ZS_CHECK(strncmp(got.why, "stream error", 12) == 0);
        ZS_CHECK(got.text_size > 0);  //  what came before the error is kept
        snprintf(name, sizeof name, "%s-stream-malformed.http", s_kind_names[kind]);
        ZS_CHECK(s_stream_fixture((zs_provider_kind_t) kind, name, &got));
        ZS_CHECK(got.code == ZS_OUTCOME_MALFORMED);
        ZS_CHECK(strstr(got.why, "stream record is not a JSON object"));
    }
    //  Cut before its last record: the text so far, and malformed at the end
    static const char *const last[ZS_PROVIDER_KIND_COUNT] = {"data: [DONE]", "message_stop",
                                                        "done: true"};
    for (int kind = 0; kind < ZS_PROVIDER_KIND_COUNT; kind++) {
        char name[64];
        snprintf(name, sizeof name, "%s-stream.http", s_kind_names[kind]);
        s_fixture_t fixture;
        ZS_CHECK(s_fixture_load(&fixture, name));
        //  The last line of each kind's stream is its end marker
        size_t size = fixture.body_size;
        while (size > 0 && fixture.body[size - 1] == '\n') {
            size--;
        }
        while (size > 0 && fixture.body[size - 1] != '\n') {
            size--;
        }
        s_read_t got;
        bool same =
            s_stream_every_split((zs_provider_kind_t) kind, fixture.body, size, &got);
        s_fixture_fini(&fixture);
        ZS_CHECK(same);
        ZS_CHECK(got.code == ZS_OUTCOME_MALFORMED);
        char why[128];
        snprintf(why, sizeof why, "stream ended before its last record (%s)", last[kind]);
        ZS_CHECK_STR(got.why, why);
    }
}

//  The references' own examples: CRLF, comments, usage chunks, cumulative counts
static void
test_stream_shapes(void)
{
    s_read_t got;
    //  OpenAI's chat.completion.chunk with include_usage, CRLF lines and a keep-alive
    //  comment as OpenAI-compatible gateways send; content null in a chunk is no text
    const char *openai =
        ": PROCESSING\r\n\r\n"
        "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":"
        "1694268190,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{"
        "\"role\":"
        "\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}],"
        "\"usage\":null}\r\n\r\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},"
        "\"finish_reason\":null}],\"usage\":null}\r\n\r\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":null},"
        "\"finish_reason\":\"stop\"}],\"usage\":null}\r\n\r\n"
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,"
        "\"total_tokens\":21}}\r\n\r\n"
        "data: [DONE]\r\n\r\n";
    ZS_CHECK(s_stream_text_every_split(ZS_PROVIDER_OPENAI, openai, &got));
    ZS_CHECK(got.code == 0 && strcmp(got.text, "Hello") == 0);
    ZS_CHECK(got.finish == ZS_PROVIDER_FINISH_STOP && got.usage && got.tok_in == 9 &&
             got.tok_out == 12);
    //  A server that ignores stream_options: no usage, still an answer
    const char *no_usage = "data: {\"choices\":[{\"delta\":{\"content\":\"x\"},"
                           "\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n";
    ZS_CHECK(s_stream_text_every_split(ZS_PROVIDER_OPENAI, no_usage, &got));
    ZS_CHECK(got.code == 0 && !got.usage && got.finish == ZS_PROVIDER_FINISH_LENGTH);
    //  Anthropic's streaming guide, in order, with an unknown event and a thinking block
    const char *anthropic =
        "event: message_start\n"
        "data: {\"type\": \"message_start\", \"message\": {\"id\": \"msg_1\", \"type\": "
        "\"message\", \"role\": \"assistant\", \"content\": [], \"model\": \"claude\", "
        "\"stop_reason\": null, \"stop_sequence\": null, \"usage\": {\"input_tokens\": "
        "25, "
        "\"output_tokens\": 1}}}\n\n"
        "event: content_block_start\n"
        "data: {\"type\": \"content_block_start\", \"index\": 0, \"content_block\": "
        "{\"type\": \"thinking\", \"thinking\": \"\"}}\n\n"
        "event: content_block_delta\n"
        "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": "
        "\"thinking_delta\", \"thinking\": \"hmm\"}}\n\n"
        "event: content_block_start\n"
        "data: {\"type\": \"content_block_start\", \"index\": 1, \"content_block\": "
        "{\"type\": \"text\", \"text\": \"\"}}\n\n"
        "event: ping\ndata: {\"type\": \"ping\"}\n\n"
        "event: content_block_delta\n"
        "data: {\"type\": \"content_block_delta\", \"index\": 1, \"delta\": {\"type\": "
        "\"text_delta\", \"text\": \"Hello\"}}\n\n"
        "event: content_block_delta\n"
        "data: {\"type\": \"content_block_delta\", \"index\": 1, \"delta\": {\"type\": "
        "\"text_delta\", \"text\": \"!\"}}\n\n"
        "event: content_block_stop\ndata: {\"type\": \"content_block_stop\", \"index\": "
        "1}"
        "\n\n"
        "event: something_new\ndata: {\"type\": \"something_new\"}\n\n"
        "event: message_delta\n"
        "data: {\"type\": \"message_delta\", \"delta\": {\"stop_reason\": \"end_turn\", "
        "\"stop_sequence\":null}, \"usage\": {\"output_tokens\": 15}}\n\n"
        "event: message_stop\ndata: {\"type\": \"message_stop\"}\n\n";
    ZS_CHECK(s_stream_text_every_split(ZS_PROVIDER_ANTHROPIC, anthropic, &got));
    ZS_CHECK(got.code == 0 && strcmp(got.text, "Hello!") == 0);
    ZS_CHECK(got.finish == ZS_PROVIDER_FINISH_STOP &&
             strcmp(got.reason, "end_turn") == 0);
    ZS_CHECK(got.usage && got.tok_in == 25 && got.tok_out == 15);
    //  Ollama's docs: NDJSON, the counts on the done line
    const char *ollama =
        "{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T08:52:19.385406455-07:00\","
        "\"message\":{\"role\":\"assistant\",\"content\":\"The\"},\"done\":false}\n"
        "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\" "
        "sky\"},"
        "\"done\":false}\n"
        "{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T19:22:45.499127Z\","
        "\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
        "\"done_reason\":\"stop\",\"total_duration\":4883583458,\"load_duration\":"
        "1334875,"
        "\"prompt_eval_count\":26,\"prompt_eval_duration\":342546000,\"eval_count\":282,"
        "\"eval_duration\":4535599000}\n";
    ZS_CHECK(s_stream_text_every_split(ZS_PROVIDER_OLLAMA, ollama, &got));
    ZS_CHECK(got.code == 0 && strcmp(got.text, "The sky") == 0);
    ZS_CHECK(got.usage && got.tok_in == 26 && got.tok_out == 282);
    //  Whatever follows the last record is no part of the answer
    const char *after =
        "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
        "data: [DONE]\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}"
        "\n\ndata: not json\n\n";
    ZS_CHECK(s_stream_text_every_split(ZS_PROVIDER_OPENAI, after, &got));
    ZS_CHECK(got.code == 0 && strcmp(got.text, "a") == 0);
    ZS_CHECK(
        s_stream_text_every_split(ZS_PROVIDER_OLLAMA,
                                  "{\"message\":{\"content\":\"a\"},\"done\":true}\n"
                                  "{\"message\":{\"content\":\"b\"},\"done\":false}\n"
                                  "junk\n",
                                  &got));
    ZS_CHECK(got.code == 0 && strcmp(got.text, "a") == 0);
    //  An Anthropic event without a type is malformed
    ZS_CHECK(
        s_stream_text_every_split(ZS_PROVIDER_ANTHROPIC, "data: {\"x\":1}\n\n", &got));
    ZS_CHECK(got.code == ZS_OUTCOME_MALFORMED &&
             strcmp(got.why, "stream event has no type") == 0);
}

//  A line past its bound and a text past its bound fail the stream; it stays failed
static void
test_stream_bounds(void)
{
    zs_provider_stream_t *stream = zs_provider_stream_new(ZS_PROVIDER_OLLAMA);
    char *line = zs_malloc(ZS_PROVIDER_LINE_MAX + 1);
    memset(line, ' ', ZS_PROVIDER_LINE_MAX + 1);
    zs_error_t err;
    int code = zs_provider_stream_feed(stream, line, ZS_PROVIDER_LINE_MAX, &err);
    bool ok = true;
    ZS_EXPECT(ok, code == 0);
    code = zs_provider_stream_feed(stream, line, 1, &err);
    ZS_EXPECT(ok, code == ZS_OUTCOME_MALFORMED && strstr(err.text, "stream line passes"));
    ZS_EXPECT(ok, zs_provider_stream_feed(stream, "\n", 1, &err) == ZS_OUTCOME_MALFORMED);
    ZS_EXPECT(ok, zs_provider_stream_end(stream, &err) == ZS_OUTCOME_MALFORMED);
    free(line);
    zs_provider_stream_destroy(&stream);
    ZS_CHECK(ok);
    ZS_CHECK(stream == NULL);
    //  Lines of 64 KiB of text each: the text bound is reached after 64 of them
    stream = zs_provider_stream_new(ZS_PROVIDER_OLLAMA);
    size_t text = 64u << 10;
    char *record = zs_malloc(text + 64);
    int len = snprintf(record, 64, "{\"message\":{\"content\":\"");
    memset(record + len, 'x', text);
    snprintf(record + (size_t) len + text, 64, "\"},\"done\":false}\n");
    size_t fed = 0;
    code = 0;
    while (code == 0 && fed <= ZS_PROVIDER_TEXT_MAX) {
        code = zs_provider_stream_feed(stream, record, strlen(record), &err);
        fed += text;
    }
    free(record);
    ZS_EXPECT(ok, code == ZS_OUTCOME_MALFORMED && strstr(err.text, "answer text passes"));
    ZS_EXPECT(ok, zs_provider_stream_answer(stream)->text_size == ZS_PROVIDER_TEXT_MAX);
    zs_provider_stream_destroy(&stream);
    ZS_CHECK(ok);
}

//  ---- failed answers, through zs_outcome as the handler reads them --------------------

static void
test_errors(void)
{
    static const struct {
        const char *name;      //  fixture
        zs_outcome_t outcome;  //  its class
        int64_t retry;         //  what it asks to wait, ms
    } cases[] = {
        {"openai-rate-limit.http", ZS_OUTCOME_RATE_LIMIT, 2000},
        {"anthropic-rate-limit.http", ZS_OUTCOME_RATE_LIMIT, 2000},
        {"ollama-rate-limit.http", ZS_OUTCOME_RATE_LIMIT, 2000},
        {"openai-server.http", ZS_OUTCOME_SERVER, -1},
        {"anthropic-server.http", ZS_OUTCOME_SERVER, -1},
        {"ollama-server.http", ZS_OUTCOME_SERVER, -1},
        {"openai-overloaded.http", ZS_OUTCOME_OVERLOADED, -1},
        {"anthropic-overloaded.http", ZS_OUTCOME_OVERLOADED, -1},
        {"ollama-overloaded.http", ZS_OUTCOME_OVERLOADED, -1},
        {"openai-context.http", ZS_OUTCOME_CONTEXT, -1},
        {"anthropic-context.http", ZS_OUTCOME_CONTEXT, -1},
        {"ollama-context.http", ZS_OUTCOME_CONTEXT, -1},
        {"openai-auth.http", ZS_OUTCOME_AUTH, -1},
        {"anthropic-auth.http", ZS_OUTCOME_AUTH, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_fixture_t fixture;
        ZS_CHECK(s_fixture_load(&fixture, cases[i].name));
        zs_outcome_hints_t hints;
        zs_outcome_hints_init(&hints);
        const char *line = fixture.head;
        while (line < fixture.head + fixture.head_size) {
            const char *eol = strchr(line, '\n');
            zs_outcome_hints_header(&hints, line, (size_t) (eol - line), 0);
            line = eol + 1;
        }
        zs_error_t err;
        zs_outcome_t outcome =
            zs_outcome_classify(fixture.status, fixture.body, fixture.body_size, &err);
        bool ok = outcome == cases[i].outcome &&
                  zs_outcome_hints_retry(&hints) == cases[i].retry;
        if (!ok) {
            fprintf(stderr, "%s: %s '%s'\n", cases[i].name, zs_vocab_outcome(outcome),
                    err.text);
        }
        s_fixture_fini(&fixture);
        ZS_CHECK(ok);
    }
}

static const zs_test_case_t s_cases[] = {
    {"request", test_request},
    {"request_options", test_request_options},
    {"request_refusals", test_request_refusals},
    {"answers", test_answers},
    {"answer_shapes", test_answer_shapes},
    {"streams", test_streams},
    {"stream_failures", test_stream_failures},
    {"stream_shapes", test_stream_shapes},
    {"stream_bounds", test_stream_bounds},
    {"errors", test_errors},
};

ZS_TEST_MAIN(s_cases)
