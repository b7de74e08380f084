//  zs_llm_ops - see zs_llm_ops.h

#include "agent/zs_llm_ops.h"
#include "agent/zs_llm.h"
#include "agent/zs_xfer.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

//  One call's libcurl transfer
typedef struct {
    uint64_t id;                  //  zs_llm's call id
    CURL *easy;                   //  owned
    struct curl_slist *headers;   //  owned; holds the key, wiped when freed
    zs_llm_t *llm;                //  borrowed: told what the transfer brings
    char error[CURL_ERROR_SIZE];  //  libcurl's words for a failure
    void *handle;                 //  its node in the instance's list
} s_transfer_t;

typedef struct {
    zs_handler_sink_t sink;                   //  the runtime's
    zs_xfer_t *xfer;                          //  owned: the transfers
    zs_llm_t *llm;                            //  owned: the work
    zlistx_t *transfers;                      //  s_transfer_t, owned
    char text[ZS_LLM_PROGRESS_TEXT_MAX + 1];  //  a progress text, NUL-terminated
} s_instance_t;

//  What a libcurl failure is, by zs_xfer's kind of it; any other is a connection's
static const struct {
    const char *kind;      //  zs_xfer_kind
    zs_outcome_t outcome;  //  provider.report's
} s_transport_outcomes[] = {
    {"ok", ZS_OUTCOME_OK},
    {"timeout", ZS_OUTCOME_TIMEOUT},
    {"write", ZS_OUTCOME_MALFORMED},
    {"too large", ZS_OUTCOME_MALFORMED},
    {"refused", ZS_OUTCOME_BAD_REQUEST},
    {"redirect", ZS_OUTCOME_BAD_REQUEST},
};

//  ---- transfers -----------------------------------------------------------------------

static s_transfer_t *
s_transfer_by_id(s_instance_t *self, uint64_t id)
{
    s_transfer_t *transfer = zlistx_first(self->transfers);
    while (transfer && transfer->id != id) {
        transfer = zlistx_next(self->transfers);
    }
    return transfer;
}

static s_transfer_t *
s_transfer_by_easy(s_instance_t *self, CURL *easy)
{
    s_transfer_t *transfer = zlistx_first(self->transfers);
    while (transfer && transfer->easy != easy) {
        transfer = zlistx_next(self->transfers);
    }
    return transfer;
}

//  Free a transfer that is out of the multi (ended or aborted)
static void
s_transfer_free(s_instance_t *self, s_transfer_t *transfer)
{
    for (struct curl_slist *item = transfer->headers; item; item = item->next) {
        explicit_bzero(item->data, strlen(item->data));
    }
    curl_slist_free_all(transfer->headers);
    curl_easy_cleanup(transfer->easy);
    zlistx_delete(self->transfers, transfer->handle);
    free(transfer);
}

static size_t
s_on_body(char *data, size_t size, size_t count, void *arg)
{
    s_transfer_t *transfer = arg;
    long status = 0;
    curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
    //  A short count makes libcurl stop the transfer with CURLE_WRITE_ERROR
    return zs_llm_call_data(transfer->llm, transfer->id, status, data, size * count) == 0
               ? size * count
               : 0;
}

static size_t
s_on_header(char *line, size_t size, size_t count, void *arg)
{
    s_transfer_t *transfer = arg;
    zs_llm_call_header(transfer->llm, transfer->id, line, size * count);
    return size * count;
}

static zs_outcome_t
s_transport_outcome(CURLcode code)
{
    const char *kind = zs_xfer_kind(code);
    for (size_t i = 0; i < sizeof s_transport_outcomes / sizeof s_transport_outcomes[0];
         i++) {
        if (streq(s_transport_outcomes[i].kind, kind)) {
            return s_transport_outcomes[i].outcome;
        }
    }
    return ZS_OUTCOME_CONNECT;
}

static void
s_on_done(void *arg, CURL *easy, CURLcode code)
{
    s_instance_t *self = arg;
    s_transfer_t *transfer = s_transfer_by_easy(self, easy);
    if (!transfer) {
        return;
    }
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    char why[ZS_MSG_TEXT_MAX];
    zs_xfer_why(code, transfer->error, why, sizeof why);
    uint64_t id = transfer->id;
    //  Freed first: the end may start the next call, which may reuse nothing of it
    s_transfer_free(self, transfer);
    zs_llm_call_done(self->llm, id, status, s_transport_outcome(code),
                     code == CURLE_OK ? NULL : why);
}

static int
s_transport_start(void *owner,
                  uint64_t call,
                  const zs_provider_request_t *request,
                  uint64_t tmo,
                  zs_error_t *err)
{
    s_instance_t *self = owner;
    s_transfer_t *transfer = zs_calloc(1, sizeof *transfer);
    transfer->id = call;
    transfer->llm = self->llm;
    transfer->easy = zs_xfer_easy_new();
    for (size_t i = 0; i < ZS_PROVIDER_HEADERS_MAX && request->headers[i]; i++) {
        transfer->headers = curl_slist_append(transfer->headers, request->headers[i]);
    }
    //  No "Expect: 100-continue" wait before a large prompt is sent
    transfer->headers = curl_slist_append(transfer->headers, "Expect:");
    CURL *easy = transfer->easy;
    curl_easy_setopt(easy, CURLOPT_URL, request->url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->headers);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) request->body_size);
    curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, request->body);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long) tmo);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->error);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer);
    transfer->handle = zlistx_add_end(self->transfers, transfer);
    if (zs_xfer_start(self->xfer, easy, s_on_done, self) != 0) {
        s_transfer_free(self, transfer);
        return zs_error_set(err, ZS_ERR_INVALID, "transfer: libcurl refused the handle");
    }
    return 0;
}

static void
s_transport_abort(void *owner, uint64_t call)
{
    s_instance_t *self = owner;
    s_transfer_t *transfer = s_transfer_by_id(self, call);
    if (transfer) {
        zs_xfer_abort(self->xfer, transfer->easy);
        s_transfer_free(self, transfer);
    }
}

//  ---- the sink: messages on the wire --------------------------------------------------

static void
s_on_started(void *owner, const char *task, uint64_t att)
{
    s_instance_t *self = owner;
    self->sink.started(self->sink.owner, task, att);
}

static void
s_on_send(void *owner, const zs_msg_t *msg)
{
    s_instance_t *self = owner;
    self->sink.send(self->sink.owner, msg);
}

static void
s_on_report(void *owner, const zs_llm_report_t *report)
{
    s_instance_t *self = owner;
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_PROVIDER_REPORT);
    msg.task = report->task;
    msg.att = report->att;
    msg.provider = report->provider;
    msg.outcome = zs_vocab_outcome(report->outcome);
    msg.tok_in = report->tok_in;
    msg.tok_out = report->tok_out;
    msg.retry = report->retry_ms > 0 ? (uint64_t) report->retry_ms : 0;
    msg.ms = report->ms;
    msg.http = report->http > 0 ? (uint64_t) report->http : 0;
    msg.why = report->why;
    self->sink.send(self->sink.owner, &msg);
}

static void
s_on_text(void *owner, const char *task, uint64_t att, const char *text, size_t size)
{
    s_instance_t *self = owner;
    assert(size <= ZS_LLM_PROGRESS_TEXT_MAX);
    memcpy(self->text, text, size);
    self->text[size] = '\0';
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_TASK_PROGRESS);
    msg.task = task;
    msg.att = att;
    msg.text = self->text;
    self->sink.send(self->sink.owner, &msg);
}

static void
s_on_finished(void *owner, const zs_llm_result_t *result)
{
    s_instance_t *self = owner;
    zs_msg_t msg = result->msg;
    msg.provider = result->provider;
    msg.tok_in = result->tok_in;
    msg.tok_out = result->tok_out;
    self->sink.finished(self->sink.owner, &msg);
}

//  ---- welcome -------------------------------------------------------------------------

//  The providers of welcome into providers; -1 (logged) when one cannot be used
static int
s_providers_read(const zs_msg_t *welcome,
                 zs_llm_provider_conf_t *providers,
                 size_t *count)
{
    *count = welcome->provider_conf_count;
    if (*count > ZS_LLM_PROVIDERS_MAX) {
        zsys_error("llm type has %zu providers, more than %d: every task will fail",
                   *count, ZS_LLM_PROVIDERS_MAX);
        return -1;
    }
    for (size_t i = 0; i < *count; i++) {
        const zs_msg_provider_conf_t *from = &welcome->provider_confs[i];
        zs_llm_provider_conf_t *to = &providers[i];
        int kind = zs_vocab_kind_from(from->kind);
        if (kind < 0) {
            char word[ZS_MSG_NAME_MAX * 4 + 1];
            zsys_error("llm provider kind '%s' is unknown: every task will fail",
                       zs_sanitize_str(word, sizeof word, from->kind));
            return -1;
        }
        to->kind = (zs_provider_kind_t) kind;
        to->name = from->name;
        to->url = from->url;
        to->model = from->model;
        to->key_env = from->key_env;
        to->tmo = from->tmo;
        to->price_in = from->price_in;
        to->price_out = from->price_out;
    }
    return 0;
}

static void
s_ops_configure(void *instance, const zs_msg_t *welcome)
{
    s_instance_t *self = instance;
    zs_llm_provider_conf_t providers[ZS_LLM_PROVIDERS_MAX];
    size_t count = 0;
    zs_llm_conf_t conf = {
        .providers = providers,
        .system = welcome->system,
        .prompt = welcome->prompt,
        .max_tokens = welcome->max_tokens,
        .temperature = welcome->temp,
        .stream = welcome->stream,
        .retries = welcome->retries,
        .backoff_ms = welcome->backoff,
        .max_wait_ms = welcome->max_wait,
        .tok_max = welcome->tok_max,
        .usd_max = welcome->usd_max,
    };
    //  Unknown kind: no providers, so the settings are refused and tasks fail saying so
    conf.provider_count = s_providers_read(welcome, providers, &count) == 0 ? count : 0;
    zs_error_t err;
    if (zs_llm_configure(self->llm, &conf, &err) != 0) {
        zsys_error("llm settings from the coordinator refused: %s", err.text);
    }
}

//  ---- the handler table's view --------------------------------------------------------

static void *
s_ops_new(zloop_t *loop, const zs_handler_sink_t *sink)
{
    s_instance_t *self = zs_calloc(1, sizeof *self);
    self->sink = *sink;
    self->xfer = zs_xfer_new(loop);
    self->transfers = zlistx_new();
    zs_llm_sink_t llm_sink = {self,        s_on_started, s_on_send,
                              s_on_report, s_on_text,    s_on_finished};
    zs_llm_transport_t transport = {self, s_transport_start, s_transport_abort};
    self->llm = zs_llm_new(loop, &llm_sink, &transport);
    return self;
}

static void
s_ops_kill_all(void *instance)
{
    s_instance_t *self = instance;
    zs_llm_kill_all(self->llm);  //  aborts every transfer through the transport
}

static void
s_ops_destroy(void **self_p)
{
    s_instance_t *self = *self_p;
    if (self) {
        zs_llm_destroy(&self->llm);
        zs_xfer_destroy(&self->xfer);
        zlistx_destroy(&self->transfers);
        free(self);
        *self_p = NULL;
    }
}

static void
s_ops_start(void *instance, const zs_msg_t *assign)
{
    s_instance_t *self = instance;
    zs_llm_start(self->llm, assign);
}

static int
s_ops_cancel(void *instance, const char *task, uint64_t att)
{
    s_instance_t *self = instance;
    return zs_llm_cancel(self->llm, task, att);
}

static size_t
s_ops_running(void *instance)
{
    s_instance_t *self = instance;
    return zs_llm_running(self->llm);
}

//  Replies to the jobs' mem.get, and the coordinator's word on providers
static void
s_ops_recv(void *instance, const zs_msg_t *msg)
{
    s_instance_t *self = instance;
    int state = zs_vocab_state_from(msg->state);
    if (msg->type != ZS_MSG_PROVIDER_STATE) {
        zs_llm_recv(self->llm, msg);
    } else if (state >= 0) {
        zs_llm_provider_state(self->llm, msg->provider, (zs_provider_state_t) state,
                              msg->left);
    }
}

const zs_handler_ops_t zs_llm_ops = {
    .name = "llm",
    .instance_new = s_ops_new,
    .instance_destroy = s_ops_destroy,
    .configure = s_ops_configure,
    .start = s_ops_start,
    .cancel = s_ops_cancel,
    .running = s_ops_running,
    .reaped = NULL,
    .kill_all = s_ops_kill_all,
    .recv = s_ops_recv,
};
