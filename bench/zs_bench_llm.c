//  zs_bench_llm - what the llm handler costs a call, against a hand-written client
//
//  Three ways to make the same OpenAI chat-completions call, each N times with C calls
//  in flight, against one provider (zs_bench_responder: a fixed chat.completion with
//  usage, from a thread of this process, so that the provider costs next to nothing):
//    (a) the baseline: libcurl's multi interface and jansson, as a program would call
//        the API by hand: the body built with json_pack and json_dumps, the answer
//        parsed with json_loadb, its text and usage checked, easy handles reused;
//    (c) the llm handler alone: zs_llm_ops in one zloop over zs_xfer, as an agent
//        runs it, given the welcome an agent would get and task.assigns, with no
//        coordinator and no wire (its provider.reports and results are counted);
//    (b) the llm handler through zswarmd: one llm agent of concurrency C, tasks
//        submitted with wait, C in flight, from the first submit to the last wait.ok.
//  Each run starts its client afresh and makes W untimed calls first (connections are
//  opened, caches warmed); the swarm of (b) is started once per concurrency. Rounds
//  alternate (a), (c), (b), so that a machine that slows down moves all three; each
//  way's fastest round is printed (the one other work on the machine disturbed least,
//  as the codec bench takes the best of five), with its ratio to (a)'s of the same
//  run, and every round after it. Every answer is checked (the text, and for (a) the
//  usage), and the responder's count of calls is compared with what was made.
//
//  It prints figures and never judges them (STYLE rule 39). Exit status: 0 when every
//  call succeeded, 1 when one failed or a run could not be made, 2 on usage errors.
//    meson test -C BUILD --benchmark -v llm
//    ZSWARMD=... ZSWARM_AGENT=... BUILD/bench/zs_bench_llm [OPTIONS]

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/zs_llm_ops.h"
#include "bench/zs_bench_responder.h"
#include "bench/zs_bench_swarm.h"
#include "common/zs_opts.h"
#include "ctl/zs_client.h"

#define S_CALLS        4000      //  timed calls of one run
#define S_WARMUP       200       //  untimed calls before them
#define S_ROUNDS       3         //  runs of each way, alternating
#define S_CONCURRENCY  8         //  the second concurrency; the first is 1
#define S_CALLS_MAX    10000000  //  bound of --calls and --warmup
#define S_ROUNDS_MAX   99        //  bound of --rounds
#define S_CONC_MAX     64        //  bound of --concurrency: the responder's connections
#define S_REPLY_MS     30000     //  silence of zswarmd that ends a run
#define S_AGENT_MS     20000     //  longest wait for the llm agent to register
#define S_POLL_MS      2         //  status polling interval while waiting for it
#define S_CURL_POLL_MS 1000      //  longest curl_multi_poll of the baseline
#define S_TASK_TMO     30000     //  a task's timeout, ms, in the swarm and in (c)
#define S_CALL_TMO     120000    //  one call's timeout, ms, everywhere
#define S_MAX_TOKENS   256       //  max_tokens every call asks for
#define S_RETRIES      2         //  the llm type's retries (none happen)
#define S_BACKOFF_MS   500       //  its backoff
#define S_MAX_WAIT_MS  30000     //  its longest Retry-After
#define S_URL_MAX      128       //  bytes of the provider's URL
#define S_YAML_MAX     1024      //  bytes of the swarm file's extra sections
#define S_TASK_MAX     32        //  bytes of a task id of (c)

#define S_PATH     "/v1/chat/completions"
#define S_MODEL    "bench-model"
#define S_PROVIDER "bench"
#define S_KEY_ENV  "ZS_BENCH_LLM_KEY"
#define S_KEY      "sk-zs-bench-0123456789abcdefghijklmnop"
#define S_PROMPT   "Say hello to the benchmark in one short sentence."
#define S_TEXT     "Hello, benchmark! It is nice to meet you."

//  What api.openai.com answers, in shape and size (tests/system/fakes/llm.py)
#define S_ANSWER                                                                         \
    "{\"id\":\"chatcmpl-zsbench0123456789abcdefghijk\",\"object\":\"chat.completion\","  \
    "\"created\":1767225600,\"model\":\"" S_MODEL "\",\"choices\":[{\"index\":0,"        \
    "\"message\":{\"role\":\"assistant\",\"content\":\"" S_TEXT "\",\"refusal\":null,"   \
    "\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{"     \
    "\"prompt_tokens\":9,\"completion_tokens\":8,\"total_tokens\":17,"                   \
    "\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"                \
    "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"          \
    "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}},"               \
    "\"service_tier\":\"default\"}"

#define S_COUNT(array) (sizeof(array) / sizeof(array)[0])

typedef struct {
    zs_opts_int_t calls;        //  --calls
    zs_opts_int_t warmup;       //  --warmup
    zs_opts_int_t rounds;       //  --rounds
    zs_opts_int_t concurrency;  //  --concurrency
    bool skip_swarm;            //  --skip-swarm
    bool verbose;               //  --verbose: echo zswarmd's output
    const char *zswarmd;        //  --zswarmd, else $ZSWARMD, else PATH
} s_options_t;

//  One timed run
typedef struct {
    int64_t calls;   //  calls made
    int64_t failed;  //  calls that did not end in the expected answer
    int64_t us;      //  how long they took
} s_run_t;

typedef struct {
    s_options_t options;           //  command line, defaults applied
    zs_bench_swarm_place_t place;  //  zswarmd and the swarm files' directory
    zs_bench_responder_t *fake;    //  owned: the provider
    char base_url[S_URL_MAX];      //  its base URL, up to /v1
    char url[S_URL_MAX];           //  the URL calls go to
    int64_t conc;                  //  calls in flight in the runs under way
    zs_bench_swarm_t *swarm;       //  owned: (b)'s zswarmd at this concurrency, or NULL
    zs_client_t *client;           //  owned: its control client, or NULL
    int64_t made;                  //  calls made so far, untimed ones included
} s_bench_t;

#define S_OFF(field) offsetof(s_options_t, field)

static const zs_opts_option_t s_options[] = {
    {"--calls", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(calls), 1, S_CALLS_MAX, "N",
     "timed calls of each run (default 4000)"},
    {"--warmup", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(warmup), 0, S_CALLS_MAX, "N",
     "untimed calls before each run (default 200)"},
    {"--rounds", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(rounds), 1, S_ROUNDS_MAX, "N",
     "runs of each way, alternating (default 3)"},
    {"--concurrency", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(concurrency), 2,
     S_CONC_MAX, "C", "calls in flight of the second series (default 8; the first is 1)"},
    {"--skip-swarm", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, S_OFF(skip_swarm), 0, 0, NULL,
     "do not run (b), the handler through zswarmd"},
    {"--verbose", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, S_OFF(verbose), 0, 0, NULL,
     "echo the output of zswarmd and its agent to stderr"},
    {"--zswarmd", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, S_OFF(zswarmd), 0, 0, "PATH",
     "zswarmd to run (default $ZSWARMD, else zswarmd in PATH)"},
};

static int
s_interrupted_error(zs_error_t *err)
{
    return zs_error_set(err, 0, "interrupted");
}

//  ---- (a) libcurl and jansson, by hand ------------------------------------------------

//  One call slot of the baseline: an easy handle reused call after call
typedef struct {
    CURL *easy;          //  owned
    char *body;          //  owned: the request of the call in flight
    char *answer;        //  owned: what came back so far
    size_t answer_size;  //  its length
    size_t answer_cap;   //  bytes allocated
} s_direct_slot_t;

typedef struct {
    CURLM *multi;                //  owned
    struct curl_slist *headers;  //  owned: every call's
    s_direct_slot_t *slots;      //  owned: conc of them
    int64_t left;                //  calls not started
    int64_t running;             //  calls in flight
    int64_t failed;              //  calls without the expected answer
} s_direct_t;

static size_t
s_direct_write(char *data, size_t size, size_t count, void *arg)
{
    s_direct_slot_t *slot = arg;
    size_t n = size * count;
    if (slot->answer_size + n + 1 > slot->answer_cap) {
        slot->answer_cap = (slot->answer_size + n + 1) * 2;
        slot->answer = zs_realloc(slot->answer, slot->answer_cap);
    }
    memcpy(slot->answer + slot->answer_size, data, n);
    slot->answer_size += n;
    return n;
}

//  The answer's text is ours and it counted its tokens
static bool
s_direct_answer_ok(const s_direct_slot_t *slot)
{
    json_error_t error;
    json_t *root = json_loadb(slot->answer, slot->answer_size, 0, &error);
    json_t *choice = json_array_get(json_object_get(root, "choices"), 0);
    const char *text =
        json_string_value(json_object_get(json_object_get(choice, "message"), "content"));
    json_t *usage = json_object_get(root, "usage");
    bool ok = text && streq(text, S_TEXT) &&
              json_is_integer(json_object_get(usage, "prompt_tokens")) &&
              json_is_integer(json_object_get(usage, "completion_tokens"));
    json_decref(root);
    return ok;
}

static void
s_direct_start(s_direct_t *self, s_direct_slot_t *slot)
{
    json_t *body =
        json_pack("{s:s, s:[{s:s, s:s}], s:i}", "model", S_MODEL, "messages", "role",
                  "user", "content", S_PROMPT, "max_tokens", S_MAX_TOKENS);
    free(slot->body);
    slot->body = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    slot->answer_size = 0;
    curl_easy_setopt(slot->easy, CURLOPT_POSTFIELDS, slot->body);
    curl_easy_setopt(slot->easy, CURLOPT_POSTFIELDSIZE, (long) strlen(slot->body));
    self->left--;
    self->running++;
    if (curl_multi_add_handle(self->multi, slot->easy) != CURLM_OK) {
        self->running--;
        self->failed++;
    }
}

static void
s_direct_done(s_direct_t *self, CURLMsg *msg)
{
    s_direct_slot_t *slot = NULL;
    long status = 0;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &slot);
    curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
    bool ok = msg->data.result == CURLE_OK && status == 200 && s_direct_answer_ok(slot);
    self->failed += !ok;
    self->running--;
    curl_multi_remove_handle(self->multi, slot->easy);
    if (self->left > 0) {
        s_direct_start(self, slot);
    }
}

//  count calls, conc in flight; failures are counted in self
static void
s_direct_calls(s_direct_t *self, int64_t conc, int64_t count)
{
    self->left = count;
    for (int64_t i = 0; i < conc && self->left > 0; i++) {
        s_direct_start(self, &self->slots[i]);
    }
    while (self->running > 0 && !zs_bench_swarm_interrupted()) {
        int active = 0, queued = 0;
        curl_multi_perform(self->multi, &active);
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(self->multi, &queued))) {
            if (msg->msg == CURLMSG_DONE) {
                s_direct_done(self, msg);
            }
        }
        if (self->running > 0) {
            curl_multi_poll(self->multi, NULL, 0, S_CURL_POLL_MS, NULL);
        }
    }
}

static int
s_direct(s_bench_t *self, s_run_t *run, zs_error_t *err)
{
    s_direct_t direct = {curl_multi_init(), NULL, NULL, 0, 0, 0};
    direct.headers = curl_slist_append(direct.headers, "Authorization: Bearer " S_KEY);
    direct.headers = curl_slist_append(direct.headers, "Content-Type: application/json");
    direct.slots = zs_calloc((size_t) self->conc, sizeof *direct.slots);
    for (int64_t i = 0; i < self->conc; i++) {
        s_direct_slot_t *slot = &direct.slots[i];
        slot->easy = curl_easy_init();
        curl_easy_setopt(slot->easy, CURLOPT_URL, self->url);
        curl_easy_setopt(slot->easy, CURLOPT_HTTPHEADER, direct.headers);
        curl_easy_setopt(slot->easy, CURLOPT_WRITEFUNCTION, s_direct_write);
        curl_easy_setopt(slot->easy, CURLOPT_WRITEDATA, slot);
        curl_easy_setopt(slot->easy, CURLOPT_PRIVATE, slot);
        curl_easy_setopt(slot->easy, CURLOPT_TIMEOUT_MS, (long) S_CALL_TMO);
        curl_easy_setopt(slot->easy, CURLOPT_NOSIGNAL, 1L);
    }
    s_direct_calls(&direct, self->conc, self->options.warmup.value);
    direct.failed = 0;
    int64_t start = zclock_usecs();
    s_direct_calls(&direct, self->conc, self->options.calls.value);
    *run = (s_run_t){self->options.calls.value, direct.failed, zclock_usecs() - start};
    for (int64_t i = 0; i < self->conc; i++) {
        curl_easy_cleanup(direct.slots[i].easy);
        free(direct.slots[i].body);
        free(direct.slots[i].answer);
    }
    free(direct.slots);
    curl_slist_free_all(direct.headers);
    curl_multi_cleanup(direct.multi);
    return zs_bench_swarm_interrupted() ? s_interrupted_error(err) : 0;
}

//  ---- (c) the llm handler alone -------------------------------------------------------

typedef struct {
    zloop_t *loop;    //  owned: runs the handler
    void *handler;    //  owned: a zs_llm_ops instance
    int64_t conc;     //  jobs in flight
    int64_t left;     //  jobs not started
    int64_t running;  //  jobs started and not finished
    int64_t failed;   //  jobs that did not answer the expected text
    int64_t serial;   //  the last task id's number
    int64_t reports;  //  provider.reports sent
    bool filling;     //  s_alone_fill is under way: a job that ends at once waits
} s_alone_t;

static int
s_stop_loop(zloop_t *loop, int timer_id, void *arg)
{
    return -1;
}

//  Start jobs until conc run or none are left; when all have ended, stop the loop
static void
s_alone_fill(s_alone_t *self)
{
    if (self->filling) {
        return;
    }
    self->filling = true;
    while (self->running < self->conc && self->left > 0) {
        char task[S_TASK_MAX];
        snprintf(task, sizeof task, "t%" PRId64, ++self->serial);
        zs_msg_t assign;
        zs_msg_init(&assign, ZS_MSG_TASK_ASSIGN);
        assign.task = task;
        assign.ttype = "llm";
        assign.att = 1;
        assign.tmo = S_TASK_TMO;
        assign.payload = (const uint8_t *) S_PROMPT;
        assign.payload_size = strlen(S_PROMPT);
        self->left--;
        self->running++;
        zs_llm_ops.start(self->handler, &assign);
    }
    self->filling = false;
    if (self->running == 0 && self->left == 0) {
        zloop_timer(self->loop, 0, 1, s_stop_loop, NULL);  //  a callback cannot end it
    }
}

static void
s_alone_started(void *owner, const char *task, uint64_t att)
{
}

static void
s_alone_finished(void *owner, const zs_msg_t *result)
{
    s_alone_t *self = owner;
    bool ok = streq(result->status, "ok") && result->out_size == strlen(S_TEXT) &&
              memcmp(result->out, S_TEXT, result->out_size) == 0;
    self->failed += !ok;
    self->running--;
    s_alone_fill(self);
}

static int
s_alone_send(void *owner, const zs_msg_t *msg)
{
    s_alone_t *self = owner;
    self->reports += msg->type == ZS_MSG_PROVIDER_REPORT;
    return 0;
}

//  The welcome an agent of the swarm of (b) gets, as the coordinator resolves it
static void
s_alone_configure(s_bench_t *self, s_alone_t *alone)
{
    zs_msg_provider_conf_t provider = {
        .name = S_PROVIDER,
        .kind = "openai",
        .url = self->base_url,
        .model = S_MODEL,
        .key_env = S_KEY_ENV,
        .tmo = S_CALL_TMO,
        .price_in = 0,
        .price_out = 0,
    };
    zs_msg_t welcome;
    zs_msg_init(&welcome, ZS_MSG_WELCOME);
    welcome.handler = "llm";
    welcome.conc = (uint64_t) self->conc;
    welcome.provider_confs = &provider;
    welcome.provider_conf_count = 1;
    welcome.prompt = "{{payload}}";
    welcome.max_tokens = S_MAX_TOKENS;
    welcome.temp = NAN;
    welcome.retries = S_RETRIES;
    welcome.backoff = S_BACKOFF_MS;
    welcome.max_wait = S_MAX_WAIT_MS;
    welcome.usd_max = NAN;
    zs_llm_ops.configure(alone->handler, &welcome);
}

static void
s_alone_calls(s_alone_t *self, int64_t count)
{
    self->left = count;
    s_alone_fill(self);
    zloop_start(self->loop);
}

static int
s_alone(s_bench_t *self, s_run_t *run, zs_error_t *err)
{
    s_alone_t alone = {.loop = zloop_new(), .conc = self->conc};
    zs_handler_sink_t sink = {&alone, s_alone_started, s_alone_finished, s_alone_send};
    alone.handler = zs_llm_ops.instance_new(alone.loop, &sink);
    s_alone_configure(self, &alone);
    s_alone_calls(&alone, self->options.warmup.value);
    alone.failed = 0;
    int64_t start = zclock_usecs();
    s_alone_calls(&alone, self->options.calls.value);
    *run = (s_run_t){self->options.calls.value, alone.failed, zclock_usecs() - start};
    zs_llm_ops.instance_destroy(&alone.handler);
    zloop_destroy(&alone.loop);
    if (alone.reports != alone.serial) {
        return zs_error_set(err, 0,
                            "(c) sent %" PRId64 " provider.reports for %" PRId64 " calls",
                            alone.reports, alone.serial);
    }
    return zs_bench_swarm_interrupted() ? s_interrupted_error(err) : 0;
}

//  ---- (b) the llm handler through zswarmd ---------------------------------------------

static int
s_swarm_start(s_bench_t *self, zs_error_t *err)
{
    char top[S_YAML_MAX];
    snprintf(top, sizeof top,
             "tasks: {timeout_ms: %d, retries: 0}\n"
             "providers:\n"
             "  " S_PROVIDER ": {kind: openai, base_url: \"%s\", model: " S_MODEL
             ", key_env: " S_KEY_ENV ", timeout_ms: %d}\n",
             S_TASK_TMO, self->base_url, S_CALL_TMO);
    char keys[S_YAML_MAX];
    snprintf(keys, sizeof keys,
             "    llm: {provider: " S_PROVIDER ", max_tokens: %d, retries: %d, "
             "backoff_ms: %d, max_wait_ms: %d}\n",
             S_MAX_TOKENS, S_RETRIES, S_BACKOFF_MS, S_MAX_WAIT_MS);
    char name[S_TASK_MAX];
    snprintf(name, sizeof name, "llm%" PRId64, self->conc);
    zs_bench_swarm_config_t config = {
        .zswarmd = self->place.zswarmd,
        .dir = self->place.dir,
        .name = name,
        .type = "llm",
        .count = 1,
        .concurrency = (unsigned) self->conc,
        .handler = "llm",
        .type_keys = keys,
        .top_keys = top,
        .output = self->options.verbose ? ZS_BENCH_SWARM_ECHO : ZS_BENCH_SWARM_QUIET,
    };
    self->swarm = zs_bench_swarm_new(&config, err);
    self->client =
        self->swarm ? zs_client_new(zs_bench_swarm_control(self->swarm), err) : NULL;
    int64_t deadline = zclock_mono() + S_AGENT_MS;
    while (self->client && zclock_mono() < deadline && !zs_bench_swarm_interrupted()) {
        zs_msg_t request, reply;
        zs_msg_init(&request, ZS_MSG_STATUS);
        zs_msg_init(&reply, ZS_MSG_INVALID);
        if (zs_client_request(self->client, &request, &reply, S_REPLY_MS, err) != 0) {
            zs_msg_fini(&reply);
            return -1;
        }
        bool joined = reply.n_agents >= 1;
        zs_msg_fini(&reply);
        if (joined) {
            return 0;
        }
        zs_bench_swarm_pump(self->swarm);
        zclock_sleep(S_POLL_MS);
    }
    if (zs_bench_swarm_interrupted()) {
        return s_interrupted_error(err);
    }
    return self->client
               ? zs_error_set(err, 0, "the llm agent did not register within %d ms",
                              S_AGENT_MS)
               : -1;
}

static void
s_swarm_stop(s_bench_t *self)
{
    zs_client_destroy(&self->client);
    zs_error_t err;
    if (self->swarm && zs_bench_swarm_stop(self->swarm, &err) < 0) {
        fprintf(stderr, "zs_bench_llm: %s\n", err.text);
    }
    zs_bench_swarm_destroy(&self->swarm);
}

//  count tasks, conc in flight; failures are added to *failed. Returns 0 or -1.
static int
s_swarm_calls(s_bench_t *self, int64_t count, int64_t *failed, zs_error_t *err)
{
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_SUBMIT);
    request.ttype = "llm";
    request.payload = (const uint8_t *) S_PROMPT;
    request.payload_size = strlen(S_PROMPT);
    request.wait = true;
    int64_t sent = 0, ended = 0;
    while (ended < count) {
        for (; sent < count && sent - ended < self->conc; sent++) {
            if (zs_client_send(self->client, &request, NULL, err) != 0) {
                return -1;
            }
        }
        zs_msg_t reply;
        zs_msg_init(&reply, ZS_MSG_INVALID);
        if (zs_client_recv(self->client, &reply, S_REPLY_MS, err) != 0) {
            zs_msg_fini(&reply);
            return -1;
        }
        //  submit.ok comes first and says nothing; a refusal ends its task too
        if (reply.type == ZS_MSG_WAIT_OK || reply.type == ZS_MSG_ERROR) {
            ended++;
            *failed += reply.type == ZS_MSG_ERROR || !streq(reply.state, "completed") ||
                       reply.out_size != strlen(S_TEXT) ||
                       memcmp(reply.out, S_TEXT, reply.out_size) != 0;
        }
        zs_msg_fini(&reply);
        zs_bench_swarm_pump(self->swarm);
        if (zs_bench_swarm_interrupted()) {
            return s_interrupted_error(err);
        }
    }
    return 0;
}

static int
s_swarm(s_bench_t *self, s_run_t *run, zs_error_t *err)
{
    int64_t failed = 0;
    if (s_swarm_calls(self, self->options.warmup.value, &failed, err) != 0) {
        return -1;
    }
    failed = 0;
    int64_t start = zclock_usecs();
    int rc = s_swarm_calls(self, self->options.calls.value, &failed, err);
    *run = (s_run_t){self->options.calls.value, failed, zclock_usecs() - start};
    return rc;
}

//  ---- rounds and figures --------------------------------------------------------------

typedef int(s_way_fn)(s_bench_t *self, s_run_t *run, zs_error_t *err);

//  The three ways, in the order a round runs them; the first is the baseline
static const struct {
    const char *label;  //  its row
    s_way_fn *fn;       //  one timed run
    bool swarm;         //  needs zswarmd
} s_ways[] = {
    {"(a) libcurl + jansson", s_direct, false},
    {"(c) llm handler alone", s_alone, false},
    {"(b) llm handler via zswarmd", s_swarm, true},
};

#define S_WAYS S_COUNT(s_ways)

static double
s_us_per_call(const s_run_t *run)
{
    return (double) run->us / (double) run->calls;
}

//  The fastest of a way's rounds: what other work on the machine added least to
static const s_run_t *
s_best(const s_run_t *runs, int64_t rounds)
{
    const s_run_t *best = &runs[0];
    for (int64_t r = 1; r < rounds; r++) {
        best = runs[r].us < best->us ? &runs[r] : best;
    }
    return best;
}

static void
s_print_series(s_bench_t *self, s_run_t runs[S_WAYS][S_ROUNDS_MAX])
{
    int64_t rounds = self->options.rounds.value;
    char title[S_TASK_MAX];
    snprintf(title, sizeof title, "concurrency %" PRId64, self->conc);
    printf("\n%-32s %10s %9s %6s   %s\n", title, "calls/s", "us/call", "ratio",
           "rounds, us/call");
    double base = s_us_per_call(s_best(runs[0], rounds));
    for (size_t w = 0; w < S_WAYS; w++) {
        if (runs[w][0].calls == 0) {
            printf("  %-30s %10s %9s %6s   skipped\n", s_ways[w].label, "-", "-", "-");
            continue;
        }
        double us = s_us_per_call(s_best(runs[w], rounds));
        printf("  %-30s %10.0f %9.1f %6.2f  ", s_ways[w].label, 1e6 / us, us, us / base);
        int64_t failed = 0;
        for (int64_t r = 0; r < rounds; r++) {
            printf(" %.1f", s_us_per_call(&runs[w][r]));
            failed += runs[w][r].failed;
        }
        printf(failed ? "  (%" PRId64 " failed)\n" : "\n", failed);
    }
    fflush(stdout);
}

//  Every way's rounds at one concurrency, alternating. Returns 0, or -1 when a run
//  could not be made; failed calls are counted in *failed.
static int
s_series(s_bench_t *self, int64_t conc, int64_t *failed, zs_error_t *err)
{
    self->conc = conc;
    bool swarm = !self->options.skip_swarm;
    if (swarm && s_swarm_start(self, err) != 0) {
        s_swarm_stop(self);
        return -1;
    }
    s_run_t runs[S_WAYS][S_ROUNDS_MAX] = {{{0}}};  //  calls 0: not run
    int rc = 0;
    for (int64_t r = 0; r < self->options.rounds.value && rc == 0; r++) {
        for (size_t w = 0; w < S_WAYS && rc == 0; w++) {
            if (s_ways[w].swarm && !swarm) {
                continue;
            }
            rc = s_ways[w].fn(self, &runs[w][r], err);
            self->made += self->options.warmup.value + self->options.calls.value;
            *failed += runs[w][r].failed;
        }
    }
    s_swarm_stop(self);
    if (rc == 0) {
        s_print_series(self, runs);
    }
    return rc;
}

//  ---- setup and main ------------------------------------------------------------------

static int
s_setup(s_bench_t *self, zs_error_t *err)
{
    if (zs_bench_swarm_place_init(&self->place, self->options.zswarmd, "zswarm-bench-llm",
                                  err) != 0) {
        return -1;
    }
    //  The key every way sends: (c) and the agent read it from the environment
    setenv(S_KEY_ENV, S_KEY, 1);
    self->fake = zs_bench_responder_new(S_PATH, "application/json", S_ANSWER,
                                        strlen(S_ANSWER), err);
    if (!self->fake) {
        return -1;
    }
    int port = zs_bench_responder_port(self->fake);
    snprintf(self->base_url, sizeof self->base_url, "http://127.0.0.1:%d/v1", port);
    snprintf(self->url, sizeof self->url, "http://127.0.0.1:%d" S_PATH, port);
    return 0;
}

static void
s_print_parameters(s_bench_t *self)
{
    const s_options_t *o = &self->options;
    printf("zs_bench_llm: one OpenAI chat-completions call, %ld CPUs\n",
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("  provider  fixed answer from a thread of this process (%zu-byte "
           "chat.completion with usage), HTTP/1.1 keep-alive\n",
           strlen(S_ANSWER));
    printf("  runs      %" PRId64 " calls each after %" PRId64 " untimed; %" PRId64
           " rounds alternating (a) (c) (b); the fastest round is shown\n",
           o->calls.value, o->warmup.value, o->rounds.value);
    printf("  (a)       libcurl multi by hand: json_dumps body, json_loadb answer\n");
    printf("  (c)       zs_llm_ops over zs_xfer in one zloop: no coordinator, no wire\n");
    printf("  (b)       %s\n",
           o->skip_swarm ? "skipped (--skip-swarm)"
                         : "submit with wait -> wait.ok through zswarmd, one llm agent "
                           "of that concurrency");
    printf("  us/call is a run's time over its calls; ratio is us/call over (a)'s\n");
}

static void
s_defaults(s_options_t *o)
{
    const struct {
        zs_opts_int_t *option;
        int64_t value;
    } defaults[] = {
        {&o->calls, S_CALLS},
        {&o->warmup, S_WARMUP},
        {&o->rounds, S_ROUNDS},
        {&o->concurrency, S_CONCURRENCY},
    };
    for (size_t i = 0; i < S_COUNT(defaults); i++) {
        if (!defaults[i].option->set) {
            defaults[i].option->value = defaults[i].value;
        }
    }
}

static const zs_opts_program_t s_program = {
    .name = "zs_bench_llm",
    .usage = "usage: zs_bench_llm [OPTIONS]\n\nWhat the llm handler costs a call, alone "
             "and through zswarmd, against libcurl and jansson by hand.\n\noptions:\n",
    .options = s_options,
    .count = S_COUNT(s_options),
    .mode = ZS_OPTS_OPERANDS_ANY,
};

static int
s_run(s_bench_t *self)
{
    zs_error_t err;
    zs_error_init(&err);
    int rc = s_setup(self, &err);
    int64_t failed = 0;
    if (rc == 0) {
        s_print_parameters(self);
        rc = s_series(self, 1, &failed, &err);
    }
    if (rc == 0) {
        rc = s_series(self, self->options.concurrency.value, &failed, &err);
    }
    if (rc == 0) {
        uint64_t answered = 0, refused = 0;
        zs_bench_responder_counts(self->fake, &answered, &refused);
        printf("\nprovider: %" PRIu64 " calls answered for %" PRId64 " made, %" PRIu64
               " refused\n",
               answered, self->made, refused);
        if (answered != (uint64_t) self->made || refused) {
            rc = zs_error_set(&err, 0, "the provider did not see the calls made");
        }
    }
    if (rc == 0 && failed) {
        rc = zs_error_set(&err, 0, "%" PRId64 " calls failed", failed);
    }
    if (rc != 0) {
        fprintf(stderr, "zs_bench_llm: %s\n", err.text);
    }
    return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
    zsys_handler_set(NULL);
    zs_log_init("zs_bench_llm");
    zs_bench_swarm_take_signals();
    s_bench_t self = {0};
    int operands = 0;
    int rc = zs_opts_program_main(&s_program, argc, argv, &self.options, &operands);
    if (rc != 0) {
        return zs_opts_exit_status(rc);
    }
    s_defaults(&self.options);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "zs_bench_llm: cannot initialise libcurl\n");
        return 1;
    }
    int code = s_run(&self);
    zs_bench_responder_destroy(&self.fake);
    zs_bench_swarm_place_fini(&self.place);
    curl_global_cleanup();
    return code;
}
