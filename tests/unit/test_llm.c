//  test_llm - the llm handler driven by a zloop, a scripted transport and a recording
//  sink
//
//  No socket: the transport answers each call with what the script says, from the
//  recorded answers of tests/unit/fixtures/llm (the fakes' own, to the bodies zs_provider
//  builds) or from a status and body given here, whole or in timed chunks, or not at
//  all. The sink keeps what the handler reports: mem.get requests, progress, reports,
//  results. Backoffs are a few ms, so retries run fast.

#include "agent/zs_handler.h"
#include "agent/zs_llm.h"
#include "tests/unit/zs_test.h"

#include <inttypes.h>
#include <math.h>

#define S_FIXTURES    "tests/unit/fixtures/llm/"
#define S_FILE_MAX    (1u << 20)  //  largest fixture read
#define S_DEADLINE_MS 10000       //  a case whose results are not in by then fails
#define S_CALLS_MAX   16          //  calls one case may make
#define S_MAX         16          //  reports, results, messages one case may collect
#define S_TEXT_MAX    4096        //  bytes of text kept from progress or a result

//  What the transport answers to one call
typedef struct {
    const char *fixture;   //  a recorded answer, or NULL for status and body
    long status;           //  without a fixture
    const char *body;      //  without a fixture
    const char *headers;   //  header lines, "name: value\n" each, besides the fixture's
    zs_outcome_t outcome;  //  the transport's own end: OK when all was read
    size_t chunk;          //  body in pieces of this size, 0: whole
    uint64_t interval;     //  ms between pieces
    bool hang;             //  never answer
} s_answer_t;

//  A call the handler made
typedef struct {
    uint64_t id;               //  its id
    char url[256];             //  request URL
    char body[S_TEXT_MAX];     //  request body, cut to fit
    char headers[512];         //  request headers, "\n"-joined
    uint64_t tmo;              //  its timeout
    bool aborted;              //  the handler stopped it
    const s_answer_t *answer;  //  what it gets
    char *file;                //  owned: the fixture's file
    long status;               //  the answer's status
    const char *head;          //  the answer's header lines (in file or answer)
    const char *data;          //  the answer's body
    size_t size;               //  its length
    size_t at;                 //  bytes of it delivered
    int timer;                 //  the next delivery, -1: none
    int64_t started;           //  zclock_mono at start
} s_call_t;

//  A copy of one report
typedef struct {
    char provider[64];     //  provider
    zs_outcome_t outcome;  //  outcome
    uint64_t tok_in;       //  tokens
    uint64_t tok_out;      //  tokens
    int64_t retry_ms;      //  wait asked
    long http;             //  status
    char why[1024];        //  why, "" when none
} s_report_t;

//  A copy of one result
typedef struct {
    char task[64];         //  task
    char status[16];       //  status
    char out[S_TEXT_MAX];  //  stdout
    size_t out_size;       //  its length
    char why[1024];        //  why, "" when none
    char provider[64];     //  provider, "" when none
    uint64_t tok_in;       //  tokens
    uint64_t tok_out;      //  tokens
    bool final;            //  no retry would mend it
} s_result_t;

typedef struct {
    zloop_t *loop;                //  everything runs in it
    zs_llm_t *llm;                //  the handler under test
    const s_answer_t *script;     //  answers in order of calls
    size_t script_count;          //  items in script
    bool refuse_start;            //  the next start fails
    s_call_t calls[S_CALLS_MAX];  //  calls made
    size_t call_count;            //  calls made
    size_t started;               //  `started` reports
    char keys[S_MAX][64];         //  mem.get keys, in order
    uint64_t rids[S_MAX];         //  their rids
    size_t gets;                  //  mem.get requests
    char notes[S_MAX][256];       //  progress notes
    size_t note_count;            //  notes
    char text[S_TEXT_MAX];        //  progress text, joined
    size_t text_size;             //  its length
    size_t text_msgs;             //  progress text messages
    s_report_t reports[S_MAX];    //  reports, in order
    size_t report_count;          //  reports
    s_result_t results[S_MAX];    //  results, in order
    size_t result_count;          //  results
    size_t expected;              //  the loop stops when result_count reaches it
} s_fx_t;

//  ---- the sink ------------------------------------------------------------------------

static int
s_stop(zloop_t *loop, int timer_id, void *arg)
{
    return -1;
}

static void
s_on_started(void *owner, const char *task, uint64_t att)
{
    s_fx_t *fx = owner;
    fx->started++;
}

static void
s_on_send(void *owner, const zs_msg_t *msg)
{
    s_fx_t *fx = owner;
    if (msg->type == ZS_MSG_MEM_GET && fx->gets < S_MAX) {
        snprintf(fx->keys[fx->gets], sizeof fx->keys[0], "%s", msg->key);
        fx->rids[fx->gets++] = msg->rid;
    } else if (msg->type == ZS_MSG_TASK_PROGRESS && fx->note_count < S_MAX) {
        snprintf(fx->notes[fx->note_count++], sizeof fx->notes[0], "%s", msg->note);
    }
}

static void
s_on_report(void *owner, const zs_llm_report_t *report)
{
    s_fx_t *fx = owner;
    assert(fx->report_count < S_MAX);
    s_report_t *copy = &fx->reports[fx->report_count++];
    snprintf(copy->provider, sizeof copy->provider, "%s", report->provider);
    copy->outcome = report->outcome;
    copy->tok_in = report->tok_in;
    copy->tok_out = report->tok_out;
    copy->retry_ms = report->retry_ms;
    copy->http = report->http;
    snprintf(copy->why, sizeof copy->why, "%s", report->why ? report->why : "");
}

static void
s_on_text(void *owner, const char *task, uint64_t att, const char *text, size_t size)
{
    s_fx_t *fx = owner;
    assert(fx->text_size + size < sizeof fx->text);
    memcpy(fx->text + fx->text_size, text, size);
    fx->text_size += size;
    fx->text_msgs++;
}

static void
s_on_finished(void *owner, const zs_llm_result_t *result)
{
    s_fx_t *fx = owner;
    assert(fx->result_count < S_MAX);
    s_result_t *copy = &fx->results[fx->result_count++];
    const zs_msg_t *msg = &result->msg;
    snprintf(copy->task, sizeof copy->task, "%s", msg->task);
    snprintf(copy->status, sizeof copy->status, "%s", msg->status);
    copy->out_size = msg->out_size;
    snprintf(copy->out, sizeof copy->out, "%.*s", (int) msg->out_size,
             msg->out ? (const char *) msg->out : "");
    snprintf(copy->why, sizeof copy->why, "%s", msg->why ? msg->why : "");
    snprintf(copy->provider, sizeof copy->provider, "%s",
             result->provider ? result->provider : "");
    copy->tok_in = result->tok_in;
    copy->tok_out = result->tok_out;
    copy->final = msg->final;
    if (fx->result_count == fx->expected) {
        zloop_timer(fx->loop, 0, 1, s_stop, NULL);
    }
}

//  ---- the transport -------------------------------------------------------------------

static char *
s_read(const char *name, size_t *size_p)
{
    const char *root = getenv("ZS_SOURCE_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/" S_FIXTURES "%s", root ? root : ".", name);
    FILE *file = fopen(path, "rb");
    assert(file);  //  a fixture of the tests themselves: a bug when missing
    char *data = zs_malloc(S_FILE_MAX + 1);
    *size_p = fread(data, 1, S_FILE_MAX, file);
    data[*size_p] = '\0';
    fclose(file);
    return data;
}

//  Read the answer's status, headers and body, from its fixture or itself
static void
s_call_answer(s_call_t *call)
{
    const s_answer_t *answer = call->answer;
    if (!answer->fixture) {
        call->status = answer->status;
        call->head = answer->headers ? answer->headers : "";
        call->data = answer->body ? answer->body : "";
        call->size = strlen(call->data);
        return;
    }
    size_t size = 0;
    call->file = s_read(answer->fixture, &size);
    char *blank = strstr(call->file, "\n\n");
    assert(blank);
    blank[1] = '\0';
    call->status = strtol(call->file, NULL, 10);
    call->head = strchr(call->file, '\n') + 1;
    call->data = blank + 2;
    call->size = size - (size_t) (call->data - call->file);
}

static s_call_t *
s_call_by_timer(s_fx_t *fx, int timer)
{
    for (size_t i = 0; i < fx->call_count; i++) {
        if (fx->calls[i].timer == timer) {
            return &fx->calls[i];
        }
    }
    return NULL;
}

static void
s_headers_deliver(s_fx_t *fx, s_call_t *call, const char *lines)
{
    while (*lines) {
        const char *eol = strchr(lines, '\n');
        size_t size = eol ? (size_t) (eol - lines) : strlen(lines);
        zs_llm_call_header(fx->llm, call->id, lines, size);
        lines += size + (eol ? 1 : 0);
    }
}

static int s_on_deliver(zloop_t *loop, int timer_id, void *arg);

//  Deliver the next piece of the answer, or its end
static void
s_deliver(s_fx_t *fx, s_call_t *call)
{
    const s_answer_t *answer = call->answer;
    if (call->at == 0) {
        char line[64];
        snprintf(line, sizeof line, "HTTP/1.1 %ld X\r\n", call->status);
        zs_llm_call_header(fx->llm, call->id, line, strlen(line));
        s_headers_deliver(fx, call, call->head);
        s_headers_deliver(fx, call,
                          answer->fixture && answer->headers ? answer->headers : "");
    }
    size_t piece = answer->chunk ? answer->chunk : call->size;
    piece = piece < call->size - call->at ? piece : call->size - call->at;
    int rc = piece ? zs_llm_call_data(fx->llm, call->id, call->status,
                                      call->data + call->at, piece)
                   : 0;
    call->at += piece;
    if (rc == 0 && call->at < call->size) {
        call->timer = zloop_timer(fx->loop, answer->interval, 1, s_on_deliver, fx);
    } else if (rc != 0) {
        zs_llm_call_done(fx->llm, call->id, call->status, ZS_OUTCOME_MALFORMED,
                         "write: the handler stopped the transfer");
    } else {
        zs_llm_call_done(fx->llm, call->id, call->status, answer->outcome,
                         answer->outcome ? "connect: the fake says so" : NULL);
    }
}

static int
s_on_deliver(zloop_t *loop, int timer_id, void *arg)
{
    s_fx_t *fx = arg;
    s_call_t *call = s_call_by_timer(fx, timer_id);
    if (call) {
        call->timer = -1;
        s_deliver(fx, call);
    }
    return 0;
}

static int
s_transport_start(void *owner,
                  uint64_t id,
                  const zs_provider_request_t *request,
                  uint64_t tmo,
                  zs_error_t *err)
{
    s_fx_t *fx = owner;
    if (fx->refuse_start) {
        fx->refuse_start = false;
        return zs_error_set(err, 1, "refused: the fake transport says so");
    }
    assert(fx->call_count < S_CALLS_MAX);
    s_call_t *call = &fx->calls[fx->call_count];
    static const s_answer_t hang = {.hang = true};
    call->answer =
        fx->call_count < fx->script_count ? &fx->script[fx->call_count] : &hang;
    fx->call_count++;
    call->id = id;
    call->tmo = tmo;
    call->timer = -1;
    call->started = zclock_mono();
    snprintf(call->url, sizeof call->url, "%s", request->url);
    snprintf(call->body, sizeof call->body, "%s", request->body);
    for (size_t i = 0; i < ZS_PROVIDER_HEADERS_MAX && request->headers[i]; i++) {
        size_t at = strlen(call->headers);
        snprintf(call->headers + at, sizeof call->headers - at, "%s\n",
                 request->headers[i]);
    }
    if (!call->answer->hang) {
        s_call_answer(call);
        call->timer = zloop_timer(fx->loop, 0, 1, s_on_deliver, fx);
    }
    return 0;
}

static void
s_transport_abort(void *owner, uint64_t id)
{
    s_fx_t *fx = owner;
    for (size_t i = 0; i < fx->call_count; i++) {
        s_call_t *call = &fx->calls[i];
        if (call->id == id) {
            call->aborted = true;
            if (call->timer != -1) {
                zloop_timer_end(fx->loop, call->timer);
                call->timer = -1;
            }
        }
    }
}

//  ---- fixture -------------------------------------------------------------------------

static s_fx_t *
s_fx_new(void)
{
    s_fx_t *fx = zs_calloc(1, sizeof *fx);
    fx->loop = zloop_new();
    zs_llm_sink_t sink = {fx,          s_on_started, s_on_send,
                          s_on_report, s_on_text,    s_on_finished};
    zs_llm_transport_t transport = {fx, s_transport_start, s_transport_abort};
    fx->llm = zs_llm_new(fx->loop, &sink, &transport);
    return fx;
}

static void
s_fx_destroy(s_fx_t **fx_p)
{
    s_fx_t *fx = *fx_p;
    zs_llm_destroy(&fx->llm);
    for (size_t i = 0; i < fx->call_count; i++) {
        free(fx->calls[i].file);
    }
    zloop_destroy(&fx->loop);
    free(fx);
    *fx_p = NULL;
}

//  Run the loop until `expected` results are in or the deadline passed
static void
s_run(s_fx_t *fx, size_t expected)
{
    fx->expected = expected;
    if (fx->result_count < expected) {
        int deadline = zloop_timer(fx->loop, S_DEADLINE_MS, 1, s_stop, NULL);
        zloop_start(fx->loop);
        zloop_timer_end(fx->loop, deadline);
    }
}

//  Run the loop for ms, whatever comes
static void
s_run_for(s_fx_t *fx, uint64_t ms)
{
    zloop_timer(fx->loop, ms, 1, s_stop, NULL);
    zloop_start(fx->loop);
}

static void
s_start_spent(s_fx_t *fx, const char *task, const char *payload, uint64_t tmo, uint64_t tok)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_TASK_ASSIGN);
    msg.task = task;
    msg.ttype = "coder";
    msg.att = tok ? 2 : 1;
    msg.payload = (const uint8_t *) payload;
    msg.payload_size = payload ? strlen(payload) : 0;
    msg.tmo = tmo;
    msg.tok = tok;
    zs_llm_start(fx->llm, &msg);
}

//  A task's first attempt
static void
s_start(s_fx_t *fx, const char *task, const char *payload, uint64_t tmo)
{
    s_start_spent(fx, task, payload, tmo, 0);
}

//  Providers a, b and c: an OpenAI-compatible server, Anthropic, Ollama
static const zs_llm_provider_conf_t s_providers[] = {
    {"a", ZS_PROVIDER_OPENAI, "http://127.0.0.1:1/v1", "gpt-4o-mini", "ZS_TEST_KEY_A", 0,
     0, 0},
    {"b", ZS_PROVIDER_ANTHROPIC, "http://127.0.0.1:2", "claude-sonnet-4-5",
     "ZS_TEST_KEY_B", 5000, 3.0, 15.0},
    {"c", ZS_PROVIDER_OLLAMA, "http://127.0.0.1:3", "llama3.2", NULL, 0, 0, 0},
};

//  Settings with count providers from s_providers[first], 1 retry, 1 ms backoff
static zs_llm_conf_t
s_conf(size_t first, size_t count)
{
    zs_llm_conf_t conf = {
        .providers = &s_providers[first],
        .provider_count = count,
        .system = "You write C.",
        .prompt = NULL,
        .max_tokens = 64,
        .temperature = NAN,
        .retries = 1,
        .backoff_ms = 1,
        .max_wait_ms = 1000,
    };
    return conf;
}

static bool
s_configure(s_fx_t *fx, zs_llm_conf_t conf)
{
    zs_error_t err;
    bool ok = zs_llm_configure(fx->llm, &conf, &err) == 0;
    if (!ok) {
        fprintf(stderr, "configure: %s\n", err.text);
    }
    return ok;
}

static void
s_dump(const s_fx_t *fx)
{
    for (size_t i = 0; i < fx->report_count; i++) {
        fprintf(stderr,
                "report %zu: %s %s http %ld retry %" PRId64 " tok %" PRIu64 "/%" PRIu64
                " '%s'\n",
                i, fx->reports[i].provider, zs_vocab_outcome(fx->reports[i].outcome),
                fx->reports[i].http, fx->reports[i].retry_ms, fx->reports[i].tok_in,
                fx->reports[i].tok_out, fx->reports[i].why);
    }
    for (size_t i = 0; i < fx->result_count; i++) {
        fprintf(stderr, "result %zu: %s '%s' why '%s' provider '%s'\n", i,
                fx->results[i].status, fx->results[i].out, fx->results[i].why,
                fx->results[i].provider);
    }
}

#define S_CHECK(fx, expr)                                                                \
    do {                                                                                 \
        if (!(expr)) {                                                                   \
            s_dump(fx);                                                                  \
        }                                                                                \
        ZS_CHECK(expr);                                                                  \
    } while (0)

//  ---- cases ---------------------------------------------------------------------------

//  The normal use: one call, its report, the text as stdout, provider and tokens
static void
test_answer(void)
{
    setenv("ZS_TEST_KEY_A", "sk-test-fixture", 1);
    s_fx_t *fx = s_fx_new();
    static const s_answer_t script[] = {{.fixture = "openai-answer.http"}};
    fx->script = script;
    fx->script_count = 1;
    bool ok = s_configure(fx, s_conf(0, 1));
    s_start(fx, "t1", "sort a list", 0);
    s_run(fx, 1);
    ZS_EXPECT(ok, fx->started == 1 && fx->call_count == 1 && fx->result_count == 1);
    ZS_EXPECT(ok, streq(fx->calls[0].url, "http://127.0.0.1:1/v1/chat/completions"));
    ZS_EXPECT(ok,
              strstr(fx->calls[0].headers, "Authorization: Bearer sk-test-fixture\n"));
    ZS_EXPECT(ok, strstr(fx->calls[0].body, "\"content\":\"sort a list\""));
    ZS_EXPECT(ok, strstr(fx->calls[0].body, "\"max_tokens\":64"));
    ZS_EXPECT(ok, fx->calls[0].tmo == ZS_LLM_TMO_DEFAULT);
    ZS_EXPECT(ok, fx->report_count == 1 && fx->reports[0].outcome == ZS_OUTCOME_OK);
    ZS_EXPECT(ok, fx->reports[0].http == 200 && fx->reports[0].tok_in == 17);
    ZS_EXPECT(ok, fx->reports[0].retry_ms == -1 && !fx->reports[0].why[0]);
    s_result_t *r = &fx->results[0];
    ZS_EXPECT(ok, streq(r->status, "ok") && streq(r->out, "The answer is 42."));
    ZS_EXPECT(ok, streq(r->provider, "a") && r->tok_in == 17 && r->tok_out == 5);
    ZS_EXPECT(ok, !r->why[0] && zs_llm_running(fx->llm) == 0);
    if (!ok) {
        s_dump(fx);
    }
    s_fx_destroy(&fx);
    ZS_CHECK(ok);
}

//  Memory entries fetched with rids, the prompt rendered with them
static void
test_memory(void)
{
    s_fx_t *fx = s_fx_new();
    static const s_answer_t script[] = {{.fixture = "ollama-answer.http"}};
    fx->script = script;
    fx->script_count = 1;
    zs_llm_conf_t conf = s_conf(2, 1);
    conf.prompt = "Task: {{payload}} Design: {{memory.design}} Notes: {{memory.notes}}";
    bool ok = s_configure(fx, conf);
    s_start(fx, "t1", "sort", 0);
    ZS_EXPECT(ok, fx->gets == 2 && streq(fx->keys[0], "design"));
    ZS_EXPECT(ok, streq(fx->keys[1], "notes") && fx->rids[1] == fx->rids[0] + 1);
    ZS_EXPECT(ok, fx->call_count == 0);
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_MEM_GET_OK);
    reply.rid = fx->rids[1];
    reply.key = "notes";
    reply.value = (const uint8_t *) "none";
    reply.value_size = 4;
    zs_llm_recv(fx->llm, &reply);
    zs_llm_recv(fx->llm, &reply);  //  a second reply changes nothing
    reply.rid = 999;               //  nobody's
    zs_llm_recv(fx->llm, &reply);
    reply.rid = fx->rids[0];
    reply.key = "design";
    reply.value = (const uint8_t *) "a ring";
    reply.value_size = 6;
    zs_llm_recv(fx->llm, &reply);
    s_run(fx, 1);
    ZS_EXPECT(ok, fx->call_count == 1 &&
                      strstr(fx->calls[0].body, "Task: sort Design: a ring Notes: none"));
    ZS_EXPECT(ok, fx->result_count == 1 && streq(fx->results[0].status, "ok"));
    //  A missing key fails the task, naming it; no call is made
    s_start(fx, "t2", "x", 0);
    reply.type = ZS_MSG_ERROR;
    reply.rid = fx->rids[2];
    reply.code = ZS_ERR_NO_KEY;
    zs_llm_recv(fx->llm, &reply);
    ZS_EXPECT(ok, fx->result_count == 2 && streq(fx->results[1].status, "fail"));
    ZS_EXPECT(ok, streq(fx->results[1].why, "memory 'design' not found"));
    ZS_EXPECT(ok, fx->call_count == 1 && zs_llm_running(fx->llm) == 0);
    //  A signal has no value to render
    s_start(fx, "t3", "x", 0);
    zs_msg_init(&reply, ZS_MSG_MEM_GET_OK);
    reply.rid = fx->rids[5];
    zs_llm_recv(fx->llm, &reply);
    ZS_EXPECT(
        ok, fx->result_count == 3 &&
                streq(fx->results[2].why, "memory 'notes' holds a signal, not a value"));
    if (!ok) {
        s_dump(fx);
    }
    s_fx_destroy(&fx);
    ZS_CHECK(ok);
}

//  Retries on the same provider after a backoff, then the next provider
static void
test_retry_then_fallback(void)
{
    s_fx_t *fx = s_fx_new();
    static const s_answer_t script[] = {
        {.fixture = "openai-server.http"},
        {.fixture = "openai-overloaded.http"},
        {.fixture = "anthropic-answer.http"},
    };
    fx->script = script;
    fx->script_count = 3;
    bool ok = s_configure(fx, s_conf(0, 2));
    s_start(fx, "t1", "go", 0);
    s_run(fx, 1);
    ZS_EXPECT(ok, fx->call_count == 3 && fx->report_count == 3);
    ZS_EXPECT(ok, fx->reports[0].outcome == ZS_OUTCOME_SERVER &&
                      streq(fx->reports[0].provider, "a") && fx->reports[0].http == 500);
    ZS_EXPECT(ok, fx->reports[1].outcome == ZS_OUTCOME_OVERLOADED &&
                      streq(fx->reports[1].provider, "a"));
    ZS_EXPECT(ok, fx->reports[2].outcome == ZS_OUTCOME_OK &&
                      streq(fx->reports[2].provider, "b"));
    ZS_EXPECT(ok, strstr(fx->calls[2].url, "/v1/messages") && fx->calls[2].tmo == 5000);
    ZS_EXPECT(ok,
              streq(fx->results[0].status, "ok") && streq(fx->results[0].provider, "b"));
    //  Tokens and dollars of every call: failures counted nothing here
    ZS_EXPECT(ok, fx->results[0].tok_in == 17 && fx->results[0].tok_out == 5);
    S_CHECK(fx, ok);
    s_fx_destroy(&fx);
}

//  Retry-After is waited when short enough, and moves on when longer than max_wait
static void
test_retry_after(void)
{
    s_fx_t *fx = s_fx_new();
    static const s_answer_t script[] = {
        {.status = 429, .body = "{}", .headers = "retry-after-ms: 50\n"},
        {.fixture = "openai-answer.http"},
        {.fixture = "openai-rate-limit.http", .headers = "retry-after-ms: 5000\n"},
        {.fixture = "ollama-answer.http"},
    };
    fx->script = script;
    fx->script_count = 4;
    zs_llm_conf_t conf = s_conf(0, 1);
    bool ok = s_configure(fx, conf);
    int64_t start = zclock_mono();
    s_start(fx, "t1", "go", 0);
    s_run(fx, 1);
    ZS_EXPECT(ok, fx->call_count == 2 && fx->calls[1].started - start >= 50);
    ZS_EXPECT(ok, fx->reports[0].outcome == ZS_OUTCOME_RATE_LIMIT &&
                      fx->reports[0].retry_ms == 50);
    ZS_EXPECT(ok, streq(fx->results[0].status, "ok"));
    //  5 s asked, 1 s the most waited: the next provider at once
    const zs_llm_provider_conf_t two[] = {s_providers[0], s_providers[2]};
    conf.providers = two;
    conf.provider_count = 2;
    ok = ok && s_configure(fx, conf);
    start = zclock_mono();
    s_start(fx, "t2", "go", 0);
    s_run(fx, 2);
    ZS_EXPECT(ok, fx->call_count == 4 && fx->calls[3].started - start < 1000);
    ZS_EXPECT(ok, fx->reports[2].retry_ms == 5000 && streq(fx->reports[3].provider, "c"));
    ZS_EXPECT(ok,
              streq(fx->results[1].status, "ok") && streq(fx->results[1].provider, "c"));
    S_CHECK(fx, ok);
    s_fx_destroy(&fx);
}

static int
s_on_limited(zloop_t *loop, int timer_id, void *arg)
{
    s_fx_t *fx = arg;
    zs_llm_provider_state(fx->llm, "a", ZS_PROVIDER_LIMITED, 80);
    return 0;
}

//  The coordinator's limited state for the same 429 comes a little after the agent's
//  own wait began, and outlasts it: the retry waits out the rest, it does not skip
static void
test_retry_after_limited(void)
{
    s_fx_t *fx = s_fx_new();
    static const s_answer_t script[] = {
        {.status = 429, .body = "{}", .headers = "retry-after-ms: 50\n"},
        {.fixture = "openai-answer.http"},
    };
    fx->script = script;
    fx->script_count = 2;
    bool ok = s_configure(fx, s_conf(0, 1));
    int64_t start = zclock_mono();
    s_start(fx, "t1", "go", 0);
    //  While the job waits its 50 ms: limited for 80 ms from about 20 ms on
    zloop_timer(fx->loop, 20, 1, s_on_limited, fx);
    s_run(fx, 1);
    ZS_EXPECT(ok, fx->result_count == 1 && streq(fx->results[0].status, "ok"));
    ZS_EXPECT(ok, streq(fx->results[0].provider, "a"));
    ZS_EXPECT(ok, fx->call_count == 2 && fx->calls[1].started - start >= 100);
    S_CHECK(fx, ok);
    s_fx_destroy(&fx);
}

//  Auth and context move on at once; a bad request fails the task at once
static void
test_no_retry(void)
{
    s_fx_t *fx = s_fx_new();
    static const s_answer_t script[] = {
        {.fixture = "openai-auth.http"},
        {.fixture = "anthropic-context.http"},
        {.fixture = "ollama-answer.http"},
        {.status = 400,
         .body = "{\"error\":{\"message\":\"bad\",\"type\":"
                 "\"invalid_request_error\"}}"},
    };
    fx->script = script;
    fx->script_count = 4;
    bool ok = s_configure(fx, s_conf(0, 3));
    s_start(fx, "t1", "go", 0);
    s_run(fx, 1);
    ZS_EXPECT(ok, fx->call_count == 3 && fx->reports[0].outcome == ZS_OUTCOME_AUTH);
    ZS_EXPECT(ok, fx->reports[1].outcome == ZS_OUTCOME_CONTEXT);
    ZS_EXPECT(ok, streq(fx->results[0].provider, "c"));
    //  The auth failure's why never quotes the provider's message (it echoes the key)
    ZS_EXPECT(ok, !strstr(fx->reports[0].why, "sk-"));
    s_start(fx, "t2", "go", 0);
    s_run(fx, 2);
    ZS_EXPECT(ok, fx->call_count == 4 && streq(fx->results[1].status, "fail"));
    ZS_EXPECT(ok, streq(fx->results[1].why, "'a': http 400 invalid_request_error: bad"));
    //  Only the bad request is final: no retry of the task would send another
    ZS_EXPECT(ok, fx->results[1].final && !fx->results[0].final);
    S_CHECK(fx, ok);
    s_fx_destroy(&fx);
}

//  When every provider fails, the why names each one's last failure
static void
test_all_fail(void)
{
    s_fx_t *fx = s_fx_new();
    static const s_answer_t script[] = {
        {.fixture = "openai-server.http"},
        {.fixture = "openai-server.http"},
        {.fixture = "anthropic-stream-error.http", .outcome = ZS_OUTCOME_OK},
        {.status = 0, .outcome = ZS_OUTCOME_CONNECT},
    };
    fx->script = script;
    fx->script_count = 4;
    zs_llm_conf_t conf = s_conf(0, 2);
    conf.retries = 1;
    bool ok = s_configure(fx, conf);
    s_start(fx, "t1", "go", 0);
    s_run(fx, 1);
    ZS_EXPECT(ok, fx->call_count == 4 && streq(fx->results[0].status, "fail"));
    ZS_EXPECT(ok, strstr(fx->results[0].why,
                         "no provider answered; 'a': http 500 server_error"));
    ZS_EXPECT(ok, strstr(fx->results[0].why, "'b': connect: the fake says so"));
    ZS_EXPECT(ok, fx->reports[2].outcome == ZS_OUTCOME_MALFORMED);
    S_CHECK(fx, ok);
    s_fx_destroy(&fx);
}

//  Providers the coordinator says are open, bad or limited are skipped
static void
test_provider_state(void)
{
    s_fx_t *fx = s_fx_new();
    static const s_answer_t script[] = {
        {.fixture = "ollama-answer.http"},
        {.fixture = "openai-answer.http"},
    };
    fx->script = script;
    fx->script_count = 2;
    zs_llm_conf_t conf = s_conf(0, 3);
    bool ok = s_configure(fx, conf);
    zs_llm_provider_state(fx->llm, "a", ZS_PROVIDER_LIMITED, 50);
    zs_llm_provider_state(fx->llm, "b", ZS_PROVIDER_BAD, 0);
    s_start(fx, "t1", "go", 0);
    s_run(fx, 1);
    ZS_EXPECT(ok, fx->call_count == 1 && streq(fx->results[0].provider, "c"));
    //  Once its `left` passed, a limited provider is tried again
    s_run_for(fx, 60);
    s_start(fx, "t2", "go", 0);
    s_run(fx, 2);
    ZS_EXPECT(ok, fx->call_count == 2 && streq(fx->results[1].provider, "a"));
    //  None left: the why says why each was skipped
    zs_llm_provider_state(fx->llm, "a", ZS_PROVIDER_OPEN, 0);
    zs_llm_provider_state(fx->llm, "c", ZS_PROVIDER_OPEN, 0);
    s_start(fx, "t3", "go", 0);
    ZS_EXPECT(ok, fx->result_count == 3 && streq(fx->results[2].status, "fail"));
    ZS_EXPECT(
        ok, strstr(fx->results[2].why, "'a': skipped: the coordinator says it is open"));
    ZS_EXPECT(ok,
              strstr(fx->results[2].why, "'b': skipped: the coordinator says it is bad"));
    //  Half open lets a probe through
    zs_llm_provider_state(fx->llm, "a", ZS_PROVIDER_HALF_OPEN, 0);
    s_start(fx, "t4", "go", 0);
    ZS_EXPECT(ok, fx->call_count == 3);
    S_CHECK(fx, ok);
    s_fx_destroy(&fx);
}

//  The task's budget: no call it cannot pay for, max_tokens cut to what is left
static void
test_budget(void)
{
    s_fx_t *fx = s_fx_new();
    static const s_answer_t script[] = {{.fixture = "anthropic-answer.http"},
                                        {.fixture = "anthropic-answer.http"},
                                        {.fixture = "anthropic-answer.http"}};
    fx->script = script;
    fx->script_count = 3;
    zs_llm_conf_t conf = s_conf(1, 1);
    conf.system = NULL;
    conf.tok_max = 40;  //  the payload is 20 bytes: about 5 tokens
    bool ok = s_configure(fx, conf);
    s_start(fx, "t1", "twenty bytes of text", 0);
    s_run(fx, 1);
    ZS_EXPECT(ok, fx->call_count == 1 && strstr(fx->calls[0].body, "\"max_tokens\":35"));
    //  A budget smaller than the prompt: no call at all
    conf.tok_max = 4;
    ok = ok && s_configure(fx, conf);
    s_start(fx, "t2", "twenty bytes of text", 0);
    ZS_EXPECT(ok, fx->result_count == 2 && streq(fx->results[1].status, "fail"));
    ZS_EXPECT(ok, streq(fx->results[1].why, "budget: 4 of the task's 4 tokens left, the "
                                            "prompt needs about 5"));
    //  Dollars: b costs $3 in and $15 out a million; of $0.00029, the prompt's 5 tokens
    //  take $0.000015 and the $0.000275 left pay for 18 output tokens
    conf.tok_max = 0;
    conf.usd_max = 0.00029;
    ok = ok && s_configure(fx, conf);
    s_start(fx, "t3", "twenty bytes of text", 0);
    s_run(fx, 3);
    ZS_EXPECT(ok, fx->call_count == 2 && strstr(fx->calls[1].body, "\"max_tokens\":18"));
    //  A later attempt has what the earlier ones spent taken off: 40 - 30 - 5
    conf.tok_max = 40;
    conf.usd_max = 0;
    ok = ok && s_configure(fx, conf);
    s_start_spent(fx, "t4", "twenty bytes of text", 0, 30);
    s_run(fx, 4);
    ZS_EXPECT(ok, fx->call_count == 3 && strstr(fx->calls[2].body, "\"max_tokens\":5"));
    S_CHECK(fx, ok);
    s_fx_destroy(&fx);
}

//  A stream's text goes out as progress, at most every 100 ms, the rest at the end
static void
test_stream_progress(void)
{
    s_fx_t *fx = s_fx_new();
    static const s_answer_t script[] = {
        {.fixture = "ollama-stream.http", .chunk = 20, .interval = 10},
    };
    fx->script = script;
    fx->script_count = 1;
    zs_llm_conf_t conf = s_conf(2, 1);
    conf.stream = true;
    bool ok = s_configure(fx, conf);
    int64_t start = zclock_mono();
    s_start(fx, "t1", "go", 0);
    s_run(fx, 1);
    int64_t took = zclock_mono() - start;
    ZS_EXPECT(ok, strstr(fx->calls[0].body, "\"stream\":true"));
    ZS_EXPECT(ok, streq(fx->results[0].status, "ok") &&
                      streq(fx->results[0].out, "The answer is 42."));
    ZS_EXPECT(ok, fx->text_size == strlen("The answer is 42.") &&
                      memcmp(fx->text, "The answer is 42.", fx->text_size) == 0);
    //  One message at once, then at most one a 100 ms, and the last at the end
    ZS_EXPECT(ok, fx->text_msgs >= 1 &&
                      fx->text_msgs <= 2 + (size_t) took / ZS_LLM_PROGRESS_MS);
    S_CHECK(fx, ok);
    s_fx_destroy(&fx);
}

//  A stream that fails midway: its text is void, the next call's replaces it
static void
test_stream_fallback(void)
{
    s_fx_t *fx = s_fx_new();
    static const s_answer_t script[] = {
        {.fixture = "openai-stream-error.http", .chunk = 300},
        {.fixture = "ollama-stream.http"},
    };
    fx->script = script;
    fx->script_count = 2;
    const zs_llm_provider_conf_t two[] = {s_providers[0], s_providers[2]};
    zs_llm_conf_t conf = s_conf(0, 1);
    conf.providers = two;
    conf.provider_count = 2;
    conf.stream = true;
    conf.retries = 0;
    bool ok = s_configure(fx, conf);
    s_start(fx, "t1", "go", 0);
    s_run(fx, 1);
    ZS_EXPECT(ok, fx->reports[0].outcome == ZS_OUTCOME_SERVER);
    ZS_EXPECT(ok, fx->note_count == 1 &&
                      streq(fx->notes[0], "the text so far is void: calling 'c'"));
    ZS_EXPECT(ok, fx->text_size > strlen("The answer is 42."));
    ZS_EXPECT(ok, streq(fx->results[0].out, "The answer is 42.") &&
                      streq(fx->results[0].provider, "c"));
    S_CHECK(fx, ok);
    s_fx_destroy(&fx);
}

//  Cancel and timeout stop the call at once and report it as cancelled
static void
test_cancel_and_timeout(void)
{
    s_fx_t *fx = s_fx_new();
    static const s_answer_t script[] = {{.hang = true}, {.hang = true}};
    fx->script = script;
    fx->script_count = 2;
    bool ok = s_configure(fx, s_conf(0, 1));
    s_start(fx, "t1", "go", 0);
    ZS_EXPECT(ok, zs_llm_running(fx->llm) == 1 && fx->call_count == 1);
    ZS_EXPECT(ok, zs_llm_cancel(fx->llm, "t1", 2) == ZS_HANDLER_E_NO_JOB);
    ZS_EXPECT(ok, zs_llm_cancel(fx->llm, "t1", 1) == 0);
    ZS_EXPECT(ok, fx->calls[0].aborted && fx->report_count == 1);
    ZS_EXPECT(ok, fx->reports[0].outcome == ZS_OUTCOME_CANCELLED);
    ZS_EXPECT(ok, fx->result_count == 1 && streq(fx->results[0].status, "cancelled"));
    s_start(fx, "t2", "go", 30);
    s_run(fx, 2);
    ZS_EXPECT(ok, fx->calls[1].aborted && fx->reports[1].outcome == ZS_OUTCOME_CANCELLED);
    ZS_EXPECT(ok, streq(fx->results[1].status, "timeout") &&
                      streq(fx->results[1].why, "timed out after 30 ms"));
    //  kill_all reports nothing
    s_start(fx, "t3", "go", 0);
    zs_llm_kill_all(fx->llm);
    ZS_EXPECT(ok, fx->result_count == 2 && fx->calls[2].aborted);
    ZS_EXPECT(ok, zs_llm_running(fx->llm) == 0);
    S_CHECK(fx, ok);
    s_fx_destroy(&fx);
}

//  A transport that cannot start a call, or fails it, is a connect failure: retried
static void
test_transport_failures(void)
{
    s_fx_t *fx = s_fx_new();
    static const s_answer_t script[] = {
        {.status = 0, .outcome = ZS_OUTCOME_TIMEOUT},
        {.fixture = "openai-answer.http"},
    };
    fx->script = script;
    fx->script_count = 2;
    zs_llm_conf_t conf = s_conf(0, 1);
    conf.retries = 2;
    bool ok = s_configure(fx, conf);
    fx->refuse_start = true;
    s_start(fx, "t1", "go", 0);
    s_run(fx, 1);
    ZS_EXPECT(ok, fx->report_count == 3 && fx->reports[0].outcome == ZS_OUTCOME_CONNECT);
    ZS_EXPECT(ok, streq(fx->reports[0].why, "refused: the fake transport says so"));
    ZS_EXPECT(ok,
              fx->reports[1].outcome == ZS_OUTCOME_TIMEOUT && fx->reports[1].http == 0);
    ZS_EXPECT(ok, streq(fx->results[0].status, "ok"));
    S_CHECK(fx, ok);
    s_fx_destroy(&fx);
}

//  Keys come from the environment; an unset variable means no key, never a crash
static void
test_keys(void)
{
    s_fx_t *fx = s_fx_new();
    static const s_answer_t script[] = {{.fixture = "anthropic-answer.http"},
                                        {.fixture = "anthropic-answer.http"}};
    fx->script = script;
    fx->script_count = 2;
    setenv("ZS_TEST_KEY_B", "sk-ant-fixture", 1);
    bool ok = s_configure(fx, s_conf(1, 1));
    s_start(fx, "t1", "go", 0);
    s_run(fx, 1);
    ZS_EXPECT(ok, strstr(fx->calls[0].headers, "x-api-key: sk-ant-fixture\n"));
    ZS_EXPECT(ok, strstr(fx->calls[0].headers, "anthropic-version: 2023-06-01\n"));
    unsetenv("ZS_TEST_KEY_B");
    ok = ok && s_configure(fx, s_conf(1, 1));
    s_start(fx, "t2", "go", 0);
    s_run(fx, 2);
    ZS_EXPECT(ok, !strstr(fx->calls[1].headers, "x-api-key"));
    S_CHECK(fx, ok);
    s_fx_destroy(&fx);
}

//  Settings that cannot be used fail every task, saying why
static void
test_not_configured(void)
{
    s_fx_t *fx = s_fx_new();
    s_start(fx, "t1", "go", 0);
    bool ok = true;
    ZS_EXPECT(ok, fx->started == 1 && fx->result_count == 1);
    ZS_EXPECT(ok, streq(fx->results[0].why, "the llm handler has no settings yet"));
    zs_llm_conf_t conf = s_conf(0, 1);
    conf.prompt = "{{paylod}}";
    zs_error_t err;
    ZS_EXPECT(ok, zs_llm_configure(fx->llm, &conf, &err) == -1);
    s_start(fx, "t2", "go", 0);
    ZS_EXPECT(ok, strstr(fx->results[1].why, "unknown placeholder '{{paylod}}'"));
    conf = s_conf(0, 0);
    ZS_EXPECT(ok, zs_llm_configure(fx->llm, &conf, &err) == -1 &&
                      streq(err.text, "an llm type needs 1..16 providers, not 0"));
    //  A payload that is not text cannot go into a prompt
    ZS_EXPECT(ok, s_configure(fx, s_conf(0, 1)));
    s_start(fx, "t3", "bad \xff", 0);
    ZS_EXPECT(ok, streq(fx->results[2].why,
                        "prompt: payload is not UTF-8 text without NUL (byte 4)"));
    ZS_EXPECT(ok, fx->call_count == 0);
    S_CHECK(fx, ok);
    s_fx_destroy(&fx);
}

static const zs_test_case_t s_cases[] = {
    {"answer", test_answer},
    {"memory", test_memory},
    {"retry_then_fallback", test_retry_then_fallback},
    {"retry_after", test_retry_after},
    {"retry_after_limited", test_retry_after_limited},
    {"no_retry", test_no_retry},
    {"all_fail", test_all_fail},
    {"provider_state", test_provider_state},
    {"budget", test_budget},
    {"stream_progress", test_stream_progress},
    {"stream_fallback", test_stream_fallback},
    {"cancel_and_timeout", test_cancel_and_timeout},
    {"transport_failures", test_transport_failures},
    {"keys", test_keys},
    {"not_configured", test_not_configured},
};

ZS_TEST_MAIN(s_cases)
