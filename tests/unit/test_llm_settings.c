//  test_llm_settings - an llm type's settings kept, and what they decide: the next move
//  after a failure, the budget's cap on max_tokens, the cost of a call, the backoff

#include "agent/zs_llm_settings.h"
#include "tests/unit/zs_test.h"

#include <math.h>

static const zs_llm_provider_conf_t s_providers[] = {
    {"local", ZS_PROVIDER_OLLAMA, "http://127.0.0.1:11434", "llama3.2", NULL, 0, NAN, -1},
    {"cloud", ZS_PROVIDER_OPENAI, "https://api.example.com/v1", "gpt-4o-mini",
     "ZS_TEST_SETTINGS_KEY", 30000, 0.15, 0.60},
};

static zs_llm_conf_t
s_conf(void)
{
    zs_llm_conf_t conf = {
        .providers = s_providers,
        .provider_count = 2,
        .system = "",
        .prompt = "{{payload}} {{memory.plan}}",
        .max_tokens = 0,
        .temperature = NAN,
        .retries = 2,
        .backoff_ms = 500,
        .max_wait_ms = 30000,
    };
    return conf;
}

static zs_llm_settings_t *
s_new(zs_llm_conf_t conf, zhashx_t *warned)
{
    zs_error_t err;
    zs_llm_settings_t *settings = zs_llm_settings_new(&conf, warned, &err);
    if (!settings) {
        fprintf(stderr, "settings: %s\n", err.text);
    }
    return settings;
}

//  The normal use: settings copied with their defaults resolved and the key read
static void
test_new(void)
{
    setenv("ZS_TEST_SETTINGS_KEY", "sk-live", 1);
    zhashx_t *warned = zhashx_new();
    zs_llm_settings_t *settings = s_new(s_conf(), warned);
    ZS_CHECK(settings);
    bool ok = true;
    ZS_EXPECT(ok,
              settings->count == 2 && settings->max_tokens == ZS_LLM_MAX_TOKENS_DEFAULT);
    ZS_EXPECT(ok, settings->system == NULL && isnan(settings->temperature));
    ZS_EXPECT(ok, zs_prompt_key_count(settings->prompt) == 1);
    ZS_EXPECT(ok, streq(settings->providers[0].name, "local"));
    ZS_EXPECT(ok, settings->providers[0].key == NULL);
    ZS_EXPECT(ok, settings->providers[0].tmo == ZS_LLM_TMO_DEFAULT);
    ZS_EXPECT(ok, settings->providers[0].price_in == 0 &&
                      settings->providers[0].price_out == 0);
    ZS_EXPECT(ok, streq(settings->providers[1].key, "sk-live"));
    ZS_EXPECT(ok, settings->providers[1].tmo == 30000);
    //  Shared: the last reference frees
    zs_llm_settings_t *held = zs_llm_settings_ref(settings);
    zs_llm_settings_release(&settings);
    ZS_EXPECT(ok, settings == NULL && held->refs == 1);
    zs_llm_settings_release(&held);
    zs_llm_settings_release(&held);  //  NULL is accepted
    //  An unset variable is noted once by name
    unsetenv("ZS_TEST_SETTINGS_KEY");
    settings = s_new(s_conf(), warned);
    ZS_EXPECT(ok, settings && settings->providers[1].key == NULL);
    ZS_EXPECT(ok, zhashx_lookup(warned, "ZS_TEST_SETTINGS_KEY") != NULL);
    zs_llm_settings_release(&settings);
    zhashx_destroy(&warned);
    ZS_CHECK(ok);
}

static void
test_refused(void)
{
    zhashx_t *warned = zhashx_new();
    zs_llm_conf_t conf = s_conf();
    conf.provider_count = 0;
    zs_error_t err;
    bool ok = true;
    ZS_EXPECT(ok, !zs_llm_settings_new(&conf, warned, &err));
    ZS_EXPECT(ok, streq(err.text, "an llm type needs 1..16 providers, not 0"));
    conf.provider_count = ZS_LLM_PROVIDERS_MAX + 1;
    ZS_EXPECT(ok, !zs_llm_settings_new(&conf, warned, &err));
    conf = s_conf();
    conf.prompt = "{{memory}}";
    ZS_EXPECT(ok, !zs_llm_settings_new(&conf, warned, &err));
    ZS_EXPECT(ok, strstr(err.text, "unknown placeholder '{{memory}}'"));
    zhashx_destroy(&warned);
    ZS_CHECK(ok);
}

//  After each failure: retry while retries last and the asked wait is short enough
static void
test_move(void)
{
    zhashx_t *warned = zhashx_new();
    zs_llm_settings_t *settings = s_new(s_conf(), warned);
    ZS_CHECK(settings);
    static const struct {
        zs_outcome_t outcome;  //  the failure
        uint64_t tries;        //  retries made
        int64_t retry_ms;      //  wait asked
        zs_llm_move_t expect;  //  what comes next
    } cases[] = {
        {ZS_OUTCOME_SERVER, 0, -1, ZS_LLM_RETRY},
        {ZS_OUTCOME_SERVER, 1, -1, ZS_LLM_RETRY},
        {ZS_OUTCOME_SERVER, 2, -1, ZS_LLM_NEXT},
        {ZS_OUTCOME_OVERLOADED, 0, -1, ZS_LLM_RETRY},
        {ZS_OUTCOME_TIMEOUT, 0, -1, ZS_LLM_RETRY},
        {ZS_OUTCOME_CONNECT, 0, -1, ZS_LLM_RETRY},
        {ZS_OUTCOME_MALFORMED, 0, -1, ZS_LLM_RETRY},
        {ZS_OUTCOME_RATE_LIMIT, 0, 30000, ZS_LLM_RETRY},
        {ZS_OUTCOME_RATE_LIMIT, 0, 30001, ZS_LLM_NEXT},
        {ZS_OUTCOME_OVERLOADED, 0, 60000, ZS_LLM_NEXT},
        {ZS_OUTCOME_AUTH, 0, -1, ZS_LLM_NEXT},
        {ZS_OUTCOME_CONTEXT, 0, -1, ZS_LLM_NEXT},
        {ZS_OUTCOME_BAD_REQUEST, 0, -1, ZS_LLM_FAIL},
        {ZS_OUTCOME_CANCELLED, 0, -1, ZS_LLM_FAIL},
    };
    bool ok = true;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zs_llm_move_t got = zs_llm_settings_move(settings, cases[i].outcome,
                                                 cases[i].tries, cases[i].retry_ms);
        if (got != cases[i].expect) {
            fprintf(stderr, "case %zu: move %d\n", i, got);
            ok = false;
        }
    }
    zs_llm_settings_release(&settings);
    zhashx_destroy(&warned);
    ZS_CHECK(ok);
}

static uint64_t
s_cap(zs_llm_conf_t conf,
      size_t provider,
      uint64_t tok,
      double usd,
      uint64_t est_in,
      char *why)
{
    zhashx_t *warned = zhashx_new();
    zs_llm_settings_t *settings = s_new(conf, warned);
    why[0] = '\0';
    uint64_t cap =
        settings ? zs_llm_settings_cap(settings, provider, tok, usd, est_in, why, 256)
                 : 999;
    zs_llm_settings_release(&settings);
    zhashx_destroy(&warned);
    return cap;
}

//  The budget caps max_tokens, and refuses a call that cannot pay for its prompt
static void
test_cap(void)
{
    char why[256];
    zs_llm_conf_t conf = s_conf();
    ZS_CHECK(s_cap(conf, 1, 0, 0, 100, why) == 1024);  //  no budget: max_tokens
    conf.tok_max = 1000;
    ZS_CHECK(s_cap(conf, 1, 0, 0, 100, why) == 900);
    ZS_CHECK(s_cap(conf, 1, 850, 0, 100, why) == 50);
    ZS_CHECK(s_cap(conf, 1, 900, 0, 100, why) == 0);
    ZS_CHECK_STR(
        why, "budget: 100 of the task's 1000 tokens left, the prompt needs about 100");
    ZS_CHECK(s_cap(conf, 1, 2000, 0, 1, why) == 0);
    ZS_CHECK(strstr(why, "budget: 0 of the task's 1000 tokens left"));
    //  Dollars at cloud's prices ($0.15 in, $0.60 out a million): $0.0001 with a
    //  100-token prompt ($0.000015) leaves $0.000085, 141 output tokens
    conf.tok_max = 0;
    conf.usd_max = 0.0001;
    ZS_CHECK(s_cap(conf, 1, 0, 0, 100, why) == 141);
    ZS_CHECK(s_cap(conf, 1, 0, 0.0001, 100, why) == 0);
    ZS_CHECK_STR(why, "budget: $0.000000 of the task's $0.000100 left, too little for a "
                      "call to 'cloud'");
    //  A free provider costs nothing: the type's max_tokens
    ZS_CHECK(s_cap(conf, 0, 0, 0.00009, 100, why) == 1024);
    //  Both bounds: the smaller
    conf.tok_max = 150;
    ZS_CHECK(s_cap(conf, 1, 0, 0, 100, why) == 50);
}

static void
test_cost(void)
{
    zhashx_t *warned = zhashx_new();
    zs_llm_settings_t *settings = s_new(s_conf(), warned);
    ZS_CHECK(settings);
    double cost = zs_llm_settings_cost(settings, 1, 1000000, 2000000);
    double free_cost = zs_llm_settings_cost(settings, 0, 1000000, 1000000);
    zs_llm_settings_release(&settings);
    zhashx_destroy(&warned);
    ZS_CHECK(fabs(cost - 1.35) < 1e-9);
    ZS_CHECK(free_cost == 0);
}

//  Doubling per retry, capped, spread over half to one and a half times
static void
test_backoff(void)
{
    ZS_CHECK(zs_llm_backoff_ms(500, 0, 0) == 250);
    ZS_CHECK(zs_llm_backoff_ms(500, 0, 500) == 750);
    ZS_CHECK(zs_llm_backoff_ms(500, 0, 501) == 250);
    ZS_CHECK(zs_llm_backoff_ms(500, 3, 0) == 2000);
    ZS_CHECK(zs_llm_backoff_ms(500, 3, 4000) == 6000);
    ZS_CHECK(zs_llm_backoff_ms(500, 50, 0) == ZS_LLM_BACKOFF_MAX_MS / 2);
    ZS_CHECK(zs_llm_backoff_ms(UINT64_MAX, 0, 0) == ZS_LLM_BACKOFF_MAX_MS / 2);
    ZS_CHECK(zs_llm_backoff_ms(0, 5, 12345) == 0);
    for (uint64_t random = 0; random < 10000; random += 7) {
        uint64_t wait = zs_llm_backoff_ms(1000, 1, random);
        ZS_CHECK(wait >= 1000 && wait <= 3000);
    }
}

static const zs_test_case_t s_cases[] = {
    {"new", test_new}, {"refused", test_refused}, {"move", test_move},
    {"cap", test_cap}, {"cost", test_cost},       {"backoff", test_backoff},
};

ZS_TEST_MAIN(s_cases)
