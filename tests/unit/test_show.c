//  Unit tests for zs_show: what zswarmctl prints of status, task and providers replies
//  built here field by field, as zswarmd sends them (absent floats are NaN)

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/zs_show.h"
#include "tests/unit/zs_test.h"

//  What a show function printed, as a string the caller frees
static char *
s_shown(void (*show)(const zs_msg_t *, FILE *), const zs_msg_t *reply)
{
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream(&text, &size);
    show(reply, stream);
    fclose(stream);
    return text;
}

//  zs_show_task_bar as a show function
static void
s_bar(const zs_msg_t *reply, FILE *stream)
{
    zs_show_task_bar(reply, stream);
}

//  True when text has line as one of its lines
static bool
s_has_line(const char *text, const char *line)
{
    size_t len = strlen(line);
    for (const char *at = text; at && *at;
         at = strchr(at, '\n'), at = at ? at + 1 : NULL) {
        if (strncmp(at, line, len) == 0 && (at[len] == '\n' || at[len] == '\0')) {
            return true;
        }
    }
    return false;
}

static void
test_show_status_spending(void)
{
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_STATUS_OK);
    reply.name = "llm";
    reply.tok_in = 1200;
    reply.tok_out = 601;
    reply.usd = 0.0123;
    reply.tok_max = 10000;
    reply.usd_max = 5;
    char *text = s_shown(zs_show_status, &reply);
    bool ok = true;
    ZS_EXPECT(ok, s_has_line(text, "tokens:    1200 in, 601 out"));
    ZS_EXPECT(ok, s_has_line(text, "usd:       0.012300"));
    ZS_EXPECT(ok, s_has_line(
                      text, "budget:    1801 of 10000 tokens, 0.012300 of 5.000000 USD"));
    if (!ok) {
        fprintf(stderr, "%s", text);
    }
    free(text);
    ZS_CHECK(ok);
}

static void
test_show_status_without_llm(void)
{
    //  A swarm that spent nothing and has no budget: no spending lines at all
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_STATUS_OK);
    reply.name = "plain";
    reply.usd = 0;
    char *text = s_shown(zs_show_status, &reply);
    bool ok = true;
    ZS_EXPECT(ok, strstr(text, "tokens") == NULL);
    ZS_EXPECT(ok, strstr(text, "usd") == NULL);
    ZS_EXPECT(ok, strstr(text, "budget") == NULL);
    ZS_EXPECT(ok, s_has_line(text, "name:      plain"));
    free(text);
    ZS_CHECK(ok);

    //  One bound alone
    reply.usd_max = 2.5;
    text = s_shown(zs_show_status, &reply);
    ZS_EXPECT(ok, s_has_line(text, "usd:       0.000000"));
    ZS_EXPECT(ok, s_has_line(text, "budget:    0.000000 of 2.500000 USD"));
    ZS_EXPECT(ok, strstr(text, "tokens") == NULL);
    free(text);
    ZS_CHECK(ok);
}

static void
test_show_task_llm(void)
{
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_TASK_OK);
    reply.task = "t1";
    reply.ttype = "coder";
    reply.state = "dead";
    reply.why = "budget: type 'coder' spent 1500 of 1000 tokens";
    reply.code = ZS_ERR_BUDGET;
    reply.provider = "local";
    reply.tok_in = 1000;
    reply.tok_out = 500;
    reply.usd = 0.002;
    char *text = s_shown(zs_show_task, &reply);
    bool ok = true;
    ZS_EXPECT(ok, s_has_line(text, "code:     15 (budget spent)"));
    ZS_EXPECT(ok, s_has_line(text, "provider: local"));
    ZS_EXPECT(ok, s_has_line(text, "tokens:   1000 in, 500 out"));
    ZS_EXPECT(ok, s_has_line(text, "usd:      0.002000"));
    ZS_EXPECT(ok, strstr(text, "progress") == NULL && strstr(text, "bytes") == NULL);
    if (!ok) {
        fprintf(stderr, "%s", text);
    }
    free(text);
    ZS_CHECK(ok);
    //  A finished task shows no bar
    text = s_shown(s_bar, &reply);
    ZS_EXPECT(ok, text && *text == '\0');
    free(text);
    ZS_CHECK(ok);
}

static void
test_show_task_progress(void)
{
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_TASK_OK);
    reply.task = "dl-1";
    reply.ttype = "dl";
    reply.state = "running";
    reply.pct = 40;
    reply.note = "2097152 of 5242880 bytes at \x1b[31m";
    reply.bytes = 2 * 1024 * 1024;
    reply.total = 5 * 1024 * 1024;
    reply.rate = 1024 * 1024;
    char *text = s_shown(zs_show_task, &reply);
    bool ok = true;
    ZS_EXPECT(ok, s_has_line(text, "progress: 40%"));
    ZS_EXPECT(ok, s_has_line(text, "bytes:    2.0 MiB of 5.0 MiB at 1.0 MiB/s"));
    //  Peer text reaches the terminal sanitised
    ZS_EXPECT(ok, strstr(text, "note:     2097152 of 5242880 bytes at ") != NULL);
    ZS_EXPECT(ok, strchr(text, '\x1b') == NULL);
    ZS_EXPECT(ok, strstr(text, "usd") == NULL);
    free(text);
    ZS_CHECK(ok);

    text = s_shown(s_bar, &reply);
    ZS_EXPECT(ok, text && strcmp(text, "[#########---------------]  40%  2.0 MiB of 5.0 "
                                       "MiB  1.0 MiB/s\n") == 0);
    free(text);
    ZS_CHECK(ok);

    //  Bytes of an unknown total: a row, but no bar
    reply.pct = 0;
    reply.total = 0;
    reply.rate = 0;
    text = s_shown(zs_show_task, &reply);
    ZS_EXPECT(ok, s_has_line(text, "bytes:    2.0 MiB"));
    ZS_EXPECT(ok, strstr(text, "progress") == NULL);
    free(text);
    text = s_shown(s_bar, &reply);
    ZS_EXPECT(ok, text && *text == '\0');
    free(text);
    ZS_CHECK(ok);
}

static void
test_show_providers(void)
{
    zs_msg_provider_t providers[] = {
        {.name = "local",
         .kind = "ollama",
         .model = "llama3.2",
         .state = "closed",
         .calls = 3,
         .tok_in = 1000,
         .tok_out = 500,
         .usd = 0.002,
         .rpm = 60},
        {.name = "cloud",
         .kind = "openai",
         .model = "gpt-4o-mini",
         .state = "open",
         .left = 12500,
         .calls = 3,
         .fails = 3,
         .usd = NAN,
         .why = "HTTP 503"},
    };
    zs_msg_budget_t budgets[] = {
        {.scope = "swarm", .tok = 1500, .usd = 0.002, .tok_max = 10000, .usd_max = 5},
        {.scope = "coder", .tok = 1500, .usd = 0.002, .usd_max = NAN},
    };
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_PROVIDERS_OK);
    reply.providers = providers;
    reply.provider_count = 2;
    reply.budgets = budgets;
    reply.budget_count = 2;
    char *text = s_shown(zs_show_providers, &reply);
    const char *want =
        "PROVIDER  KIND    MODEL        STATE   LEFT    CALLS  FAILS  TOK_IN  TOK_OUT  "
        "USD       RPM  TPM  WHY\n"
        "local     ollama  llama3.2     closed  -       3      0      1000    500      "
        "0.002000  60   -    -\n"
        "cloud     openai  gpt-4o-mini  open    12.5 s  3      3      0       0        "
        "0.000000  -    -    HTTP 503\n"
        "\n"
        "SCOPE  TOKENS/MAX  USD/MAX\n"
        "swarm  1500/10000  0.002000/5.000000\n"
        "coder  1500/-      0.002000/-\n";
    bool ok = strcmp(text, want) == 0;
    if (!ok) {
        fprintf(stderr, "got:\n%swant:\n%s", text, want);
    }
    free(text);
    ZS_CHECK(ok);
}

static void
test_show_agents_table(void)
{
    //  The agents table, now printed by the same table code as the providers
    zs_msg_agent_t agents[] = {
        {.agent = "noop-1",
         .atype = "noop",
         .host = "box",
         .state = "idle",
         .pid = 12345,
         .conc = 64,
         .done = 10,
         .local = true,
         .trust = 920,
         .trust_low = 780},
        {.agent = "big-1",
         .atype = "big",
         .state = "busy",
         .conc = 1,
         .load = 1,
         .paused = true,
         .cpu = 1234,
         .rss = 15 << 20},
    };
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_AGENTS_OK);
    reply.agents = agents;
    reply.agent_count = 2;
    char *text = s_shown(zs_show_agents, &reply);
    const char *want =
        "AGENT   TYPE  HOST  STATE          LOAD/CONC  DONE  FAILED  TRUST        PID    "
        "LOCAL  CPU     RSS\n"
        "noop-1  noop  box   idle           0/64       10    0       0.92 (0.78)  12345  "
        "yes    -       -\n"
        "big-1   big   -     busy (paused)  1/1        0     0       0.00 (0.00)  0      "
        "no     123.4%  15.0M\n";
    bool ok = strcmp(text, want) == 0;
    if (!ok) {
        fprintf(stderr, "got:\n%swant:\n%s", text, want);
    }
    free(text);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"show_status_spending", test_show_status_spending},
    {"show_status_without_llm", test_show_status_without_llm},
    {"show_task_llm", test_show_task_llm},
    {"show_task_progress", test_show_task_progress},
    {"show_providers", test_show_providers},
    {"show_agents_table", test_show_agents_table},
};

ZS_TEST_MAIN(s_cases)
