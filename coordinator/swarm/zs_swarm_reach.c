//  zs_swarm_reach - what agents reach outside the swarm: the 'http', 'download' and
//  'llm' sections of agent types, the 'providers' they call and the 'budget'
//
//  The agents run these handlers on other machines from what their welcome says, so
//  every value is checked here, at load, with the line and column: a URL prefix that
//  is not http(s), a provider nobody defined, a key variable that is not a variable
//  name. Keys themselves never appear in a swarm file: a provider names the environment
//  variable that holds its key on the agent's machine. The agent checks URLs again
//  with libcurl's parser before any connection (docs/http.md); here the check is that
//  a prefix is plainly an absolute http or https URL.

#include "coordinator/swarm/zs_swarm_private.h"
#include "proto/zs_prompt.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "proto/zs_msg.h"

#define ZS_SWARM_URL_MAX         2048  //  bytes in a URL prefix or a base_url
#define ZS_SWARM_ALLOW_MAX       64    //  prefixes in one 'allow'
#define ZS_SWARM_HEADERS_MAX     32    //  response headers an http type returns
#define ZS_SWARM_HEADER_NAME_MAX 64    //  bytes in a header name
#define ZS_SWARM_REDIRECTS_MAX   20    //  largest 'max_redirects'
#define ZS_SWARM_ENV_NAME_MAX    128   //  bytes in a 'key_env'
#define ZS_SWARM_MODEL_MAX       256   //  bytes in a model name
#define ZS_SWARM_PROMPT_MAX      65536  //  bytes in a 'system' or 'prompt'
#define ZS_SWARM_PROVIDERS_MAX   64     //  items in 'providers'
#define ZS_SWARM_MAX_TOKENS_MAX  1000000     //  largest 'max_tokens'
#define ZS_SWARM_TOKENS_MAX      1000000000000000ll  //  largest token budget
#define ZS_SWARM_USD_MAX         1000000000  //  largest budget in money
#define ZS_SWARM_PRICE_MAX       1000000     //  largest price a million tokens
#define ZS_SWARM_DAY_MS          86400000    //  largest windows and cooldowns
#define ZS_SWARM_RETRIES_MAX     10          //  largest 'retries'

//  Defaults (docs/swarm-file.md)
#define ZS_SWARM_DEFAULT_REDIRECTS   5
#define ZS_SWARM_DEFAULT_MAX_BODY    ZS_MSG_OUTPUT_MAX
#define ZS_SWARM_DEFAULT_HEADER      "content-type"
#define ZS_SWARM_DEFAULT_MAX_SIZE    (4ull << 30)
#define ZS_SWARM_DEFAULT_PROMPT      "{{payload}}"
#define ZS_SWARM_DEFAULT_MAX_TOKENS  1024
#define ZS_SWARM_DEFAULT_LLM_RETRIES 2
#define ZS_SWARM_DEFAULT_BACKOFF_MS  500
#define ZS_SWARM_DEFAULT_MAX_WAIT_MS 30000
#define ZS_SWARM_DEFAULT_CALL_MS     120000
#define ZS_SWARM_DEFAULT_FAILURES    3
#define ZS_SWARM_DEFAULT_WINDOW_MS   60000
#define ZS_SWARM_DEFAULT_COOLDOWN_MS 30000

static const char *const s_handler_names[ZS_HANDLER_COUNT] = {
    [ZS_HANDLER_BUILTIN] = "builtin", [ZS_HANDLER_EXEC] = "exec",
    [ZS_HANDLER_HTTP] = "http",       [ZS_HANDLER_DOWNLOAD] = "download",
    [ZS_HANDLER_LLM] = "llm",
};

//  ---------------------------------------------------------------------------------------
//  Values

//  Printable ASCII without spaces: what a URL, a model name or a path may hold here
static bool
s_is_visible(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (text[i] <= ' ' || text[i] == 0x7f) {
            return false;
        }
    }
    return true;
}

//  "http://" or "https://", then a host: an absolute URL, as an agent would call it
static bool
s_is_url(const char *text, size_t len)
{
    size_t scheme = strncmp(text, "http://", 7) == 0    ? 7
                    : strncmp(text, "https://", 8) == 0 ? 8
                                                        : 0;
    return scheme && len > scheme && len <= ZS_SWARM_URL_MAX && text[scheme] != '/' &&
           s_is_visible(text, len);
}

static int
s_check_url(zs_yaml_t *ctx, const zs_yaml_key_t *key, const yaml_node_t *node)
{
    size_t len;
    const char *text = zs_yaml_string(ctx, node, key->name, &len);
    if (!text) {
        return -1;
    }
    if (!s_is_url(text, len)) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "invalid URL '%s' for '%s' (expected http:// or https://, a "
                            "host, no spaces, at most %d bytes)",
                            zs_yaml_sample(text, len).text, key->name, ZS_SWARM_URL_MAX);
    }
    return 0;
}

static int
s_read_url(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    if (s_check_url(ctx, key, node) != 0) {
        return -1;
    }
    zs_yaml_store_string(target, key, node);
    return 0;
}

//  A string of 1..key->max bytes, stored as an owned copy
static int
s_read_text(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    size_t len;
    if (!zs_yaml_string(ctx, node, key->name, &len)) {
        return -1;
    }
    if (len < 1 || len > (size_t) key->max) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "expected 1 to %" PRId64 " bytes for '%s', found %zu",
                            key->max, key->name, len);
    }
    zs_yaml_store_string(target, key, node);
    return 0;
}

//  A prompt template, parsed as the agent will parse it, so a template the agent would
//  refuse ('{{memory.}}', an unclosed '{{') is an error at load, with its place
static int
s_read_prompt(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    if (s_read_text(ctx, key, node, target) != 0) {
        return -1;
    }
    zs_error_t err;
    zs_prompt_t *prompt = zs_prompt_new((const char *) node->data.scalar.value,
                                        node->data.scalar.length, &err);
    if (!prompt) {
        return zs_yaml_fail(ctx, node->start_mark, "'%s': %s", key->name, err.text);
    }
    zs_prompt_destroy(&prompt);
    return 0;
}

static int
s_read_model(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    size_t len;
    const char *text = zs_yaml_string(ctx, node, key->name, &len);
    if (!text) {
        return -1;
    }
    if (len < 1 || len > ZS_SWARM_MODEL_MAX || !s_is_visible(text, len)) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "invalid model '%s' (expected 1 to %d printable bytes without "
                            "spaces)",
                            zs_yaml_sample(text, len).text, ZS_SWARM_MODEL_MAX);
    }
    zs_yaml_store_string(target, key, node);
    return 0;
}

//  An environment variable's name, as POSIX shells accept it
static int
s_read_env_name(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    static const char tail[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                               "0123456789_";
    size_t len;
    const char *text = zs_yaml_string(ctx, node, key->name, &len);
    if (!text) {
        return -1;
    }
    if (len < 1 || len > ZS_SWARM_ENV_NAME_MAX || isdigit((unsigned char) text[0]) ||
        strspn(text, tail) != len) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "invalid variable name '%s' for '%s' (expected A-Z a-z 0-9 _, "
                            "not starting with a digit: the name of the variable that "
                            "holds the key, never the key)",
                            zs_yaml_sample(text, len).text, key->name);
    }
    zs_yaml_store_string(target, key, node);
    return 0;
}

//  An absolute directory on the agents' machines
static int
s_read_dir(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    size_t len;
    const char *text = zs_yaml_string(ctx, node, key->name, &len);
    if (!text) {
        return -1;
    }
    bool printable = true;
    for (size_t i = 0; i < len; i++) {
        printable &= (unsigned char) text[i] >= ' ' && text[i] != 0x7f;
    }
    if (len < 1 || len > ZS_SWARM_PATH_MAX || text[0] != '/' || !printable) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "invalid directory '%s' for '%s' (expected an absolute path of "
                            "at most %d bytes)",
                            zs_yaml_sample(text, len).text, key->name, ZS_SWARM_PATH_MAX);
    }
    zs_yaml_store_string(target, key, node);
    return 0;
}

//  An HTTP field name (RFC 9110 token), kept lowercase as HTTP/2 sends them
static int
s_check_header(zs_yaml_t *ctx, const zs_yaml_key_t *key, const yaml_node_t *item)
{
    static const char token[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                "0123456789!#$%&'*+-.^_`|~";
    size_t len;
    const char *text = zs_yaml_string(ctx, item, key->name, &len);
    if (!text) {
        return -1;
    }
    if (len < 1 || len > ZS_SWARM_HEADER_NAME_MAX || strspn(text, token) != len) {
        return zs_yaml_fail(ctx, item->start_mark,
                            "invalid header name '%s' in '%s'",
                            zs_yaml_sample(text, len).text, key->name);
    }
    return 0;
}

static int
s_read_headers(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    zs_swarm_fetch_t *fetch = target;
    if (zs_yaml_read_strings(ctx, key, node, s_check_header, &fetch->headers,
                             &fetch->header_count) != 0) {
        return -1;
    }
    for (size_t i = 0; i < fetch->header_count; i++) {
        for (char *c = fetch->headers[i]; *c; c++) {
            *c = (char) tolower((unsigned char) *c);
        }
    }
    return 0;
}

static int
s_read_allow(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    zs_swarm_fetch_t *fetch = target;
    return zs_yaml_read_strings(ctx, key, node, s_check_url, &fetch->allow,
                                &fetch->allow_count);
}

//  ---------------------------------------------------------------------------------------
//  Tables

// clang-format off
#define S_FETCH(field) offsetof(zs_swarm_fetch_t, field)
#define S_LLM(field)   offsetof(zs_swarm_llm_t, field)
#define S_PROV(field)  offsetof(zs_swarm_provider_t, field)
#define S_BUDGET(field) offsetof(zs_swarm_budget_t, field)
#define S_COOL(field)  offsetof(zs_swarm_cooldown_t, field)
#define S_KEY(name, read, offset, max, need) {name, read, offset, 0, max, NULL, need}
#define S_OPT(name, read, offset, max) S_KEY(name, read, offset, max, ZS_YAML_OPTIONAL)
#define S_UINT(name, offset, min, max) {name, zs_yaml_read_uint, offset, min, max, NULL, ZS_YAML_OPTIONAL}
#define S_NUMBER(name, offset, max) {name, zs_yaml_read_number, offset, 0, max, NULL, ZS_YAML_OPTIONAL}
#define S_SECTION(name, offset, table) {name, zs_yaml_read_section, offset, 0, 0, table, ZS_YAML_OPTIONAL}
#define S_TABLE(label, keys) {label, keys, ZS_YAML_LENGTH(keys)}
// clang-format on

static const zs_yaml_key_t s_budget_keys[] = {
    {"tokens", zs_yaml_read_u64, S_BUDGET(tokens), 0, ZS_SWARM_TOKENS_MAX, NULL,
     ZS_YAML_OPTIONAL},
    S_NUMBER("usd", S_BUDGET(usd), ZS_SWARM_USD_MAX),
};
static const zs_yaml_table_t s_budget_table = S_TABLE("in a budget", s_budget_keys);

static const zs_yaml_key_t s_cooldown_keys[] = {
    S_UINT("failures", S_COOL(failures), 1, 1000),
    S_UINT("window_ms", S_COOL(window_ms), 1, ZS_SWARM_DAY_MS),
    S_UINT("cooldown_ms", S_COOL(cooldown_ms), 1, ZS_SWARM_DAY_MS),
};
static const zs_yaml_table_t s_cooldown_table = S_TABLE("in 'cooldown'", s_cooldown_keys);

static const zs_yaml_choice_t s_kinds[] = {{"openai", ZS_PROVIDER_OPENAI},
                                           {"anthropic", ZS_PROVIDER_ANTHROPIC},
                                           {"ollama", ZS_PROVIDER_OLLAMA}};
static const zs_yaml_choices_t s_kind_choices = {s_kinds, ZS_YAML_LENGTH(s_kinds),
                                                 "openai, anthropic or ollama"};

static const zs_yaml_key_t s_provider_keys[] = {
    {"kind", zs_yaml_read_enum, S_PROV(kind), 0, 0, &s_kind_choices, ZS_YAML_REQUIRED},
    S_KEY("base_url", s_read_url, S_PROV(base_url), 0, ZS_YAML_REQUIRED),
    S_KEY("model", s_read_model, S_PROV(model), 0, ZS_YAML_REQUIRED),
    S_OPT("key_env", s_read_env_name, S_PROV(key_env), 0),
    S_UINT("rpm", S_PROV(rpm), 0, 1000000000),
    S_UINT("tpm", S_PROV(tpm), 0, 2000000000),
    S_NUMBER("price_in", S_PROV(price_in), ZS_SWARM_PRICE_MAX),
    S_NUMBER("price_out", S_PROV(price_out), ZS_SWARM_PRICE_MAX),
    S_UINT("timeout_ms", S_PROV(timeout_ms), 1, ZS_MSG_TMO_MAX),
    S_SECTION("cooldown", S_PROV(cooldown), &s_cooldown_table),
};
static const zs_yaml_table_t s_provider_table = S_TABLE("in a provider", s_provider_keys);

enum { S_HTTP_HEADERS = 3 };
static const zs_yaml_key_t s_http_keys[] = {
    {"allow", s_read_allow, 0, 1, ZS_SWARM_ALLOW_MAX, NULL, ZS_YAML_REQUIRED},
    {"max_body", zs_yaml_read_size, S_FETCH(max_body), 0, ZS_MSG_OUTPUT_MAX, NULL,
     ZS_YAML_OPTIONAL},
    S_UINT("max_redirects", S_FETCH(max_redirects), 0, ZS_SWARM_REDIRECTS_MAX),
    [S_HTTP_HEADERS] =
        {"headers", s_read_headers, 0, 0, ZS_SWARM_HEADERS_MAX, NULL, ZS_YAML_OPTIONAL},
};
static const zs_yaml_table_t s_http_table = S_TABLE("in 'http'", s_http_keys);

static const zs_yaml_key_t s_download_keys[] = {
    {"allow", s_read_allow, 0, 1, ZS_SWARM_ALLOW_MAX, NULL, ZS_YAML_REQUIRED},
    S_KEY("dir", s_read_dir, S_FETCH(dir), 0, ZS_YAML_REQUIRED),
    {"max_size", zs_yaml_read_u64, S_FETCH(max_size), 1, INT64_MAX, NULL,
     ZS_YAML_OPTIONAL},
    S_UINT("max_redirects", S_FETCH(max_redirects), 0, ZS_SWARM_REDIRECTS_MAX),
};
static const zs_yaml_table_t s_download_table = S_TABLE("in 'download'", s_download_keys);

static int
s_read_fallbacks(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target);

static const zs_yaml_key_t s_llm_keys[] = {
    S_KEY("provider", zs_swarm_read_name, S_LLM(provider), 0, ZS_YAML_REQUIRED),
    {"fallbacks", s_read_fallbacks, 0, 0, ZS_SWARM_FALLBACKS_MAX, NULL, ZS_YAML_OPTIONAL},
    S_OPT("system", s_read_text, S_LLM(system), ZS_SWARM_PROMPT_MAX),
    S_OPT("prompt", s_read_prompt, S_LLM(prompt), ZS_SWARM_PROMPT_MAX),
    S_UINT("max_tokens", S_LLM(max_tokens), 1, ZS_SWARM_MAX_TOKENS_MAX),
    S_NUMBER("temperature", S_LLM(temperature), 2),
    {"stream", zs_yaml_read_bool, S_LLM(stream), 0, 0, NULL, ZS_YAML_OPTIONAL},
    S_UINT("retries", S_LLM(retries), 0, ZS_SWARM_RETRIES_MAX),
    S_UINT("backoff_ms", S_LLM(backoff_ms), 1, ZS_SWARM_DAY_MS),
    S_UINT("max_wait_ms", S_LLM(max_wait_ms), 0, ZS_SWARM_DAY_MS),
    S_SECTION("task_budget", S_LLM(task), &s_budget_table),
    S_SECTION("budget", S_LLM(type), &s_budget_table),
};
static const zs_yaml_table_t s_llm_table = S_TABLE("in 'llm'", s_llm_keys);

_Static_assert(ZS_YAML_LENGTH(s_llm_keys) <= ZS_YAML_KEYS_MAX, "found[] too small");
_Static_assert(ZS_YAML_LENGTH(s_provider_keys) <= ZS_YAML_KEYS_MAX, "found[] too small");

//  ---------------------------------------------------------------------------------------
//  Sections

static int
s_read_fallbacks(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    zs_swarm_llm_t *llm = target;
    return zs_yaml_read_strings(ctx, key, node, zs_swarm_check_name, &llm->fallbacks,
                                &llm->fallback_count);
}

//  A section read into the type's struct at offset, over defaults already set there;
//  found receives its keys' nodes
static int
s_read_type_section(zs_yaml_t *ctx,
                    const zs_yaml_key_t *key,
                    const zs_yaml_table_t *table,
                    yaml_node_t *node,
                    void *section,
                    yaml_node_t **found)
{
    if (node->type != YAML_MAPPING_NODE) {
        return zs_yaml_fail(ctx, node->start_mark, "expected mapping for '%s'",
                            key->name);
    }
    return zs_yaml_read_map(ctx, table, node, section, found);
}

int
zs_swarm_read_http(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    zs_swarm_type_t *type = target;
    yaml_node_t *found[ZS_YAML_KEYS_MAX] = {0};
    type->fetch.max_redirects = ZS_SWARM_DEFAULT_REDIRECTS;
    type->fetch.max_body = ZS_SWARM_DEFAULT_MAX_BODY;
    if (s_read_type_section(ctx, key, &s_http_table, node, &type->fetch, found) != 0) {
        return -1;
    }
    if (!found[S_HTTP_HEADERS]) {
        type->fetch.headers = zs_calloc(2, sizeof *type->fetch.headers);
        type->fetch.headers[0] = zs_strdup(ZS_SWARM_DEFAULT_HEADER);
        type->fetch.header_count = 1;
    }
    return 0;
}

int
zs_swarm_read_download(zs_yaml_t *ctx,
                       const zs_yaml_key_t *key,
                       yaml_node_t *node,
                       void *target)
{
    zs_swarm_type_t *type = target;
    yaml_node_t *found[ZS_YAML_KEYS_MAX] = {0};
    type->fetch.max_redirects = ZS_SWARM_DEFAULT_REDIRECTS;
    type->fetch.max_size = ZS_SWARM_DEFAULT_MAX_SIZE;
    return s_read_type_section(ctx, key, &s_download_table, node, &type->fetch, found);
}

int
zs_swarm_read_llm(zs_yaml_t *ctx, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    zs_swarm_type_t *type = target;
    zs_swarm_llm_t *llm = &type->llm;
    yaml_node_t *found[ZS_YAML_KEYS_MAX] = {0};
    llm->max_tokens = ZS_SWARM_DEFAULT_MAX_TOKENS;
    llm->temperature = NAN;
    llm->retries = ZS_SWARM_DEFAULT_LLM_RETRIES;
    llm->backoff_ms = ZS_SWARM_DEFAULT_BACKOFF_MS;
    llm->max_wait_ms = ZS_SWARM_DEFAULT_MAX_WAIT_MS;
    if (s_read_type_section(ctx, key, &s_llm_table, node, llm, found) != 0) {
        return -1;
    }
    if (!llm->prompt) {
        llm->prompt = zs_strdup(ZS_SWARM_DEFAULT_PROMPT);
    }
    return 0;
}

int
zs_swarm_check_sections(zs_yaml_t *ctx,
                        const zs_swarm_type_t *type,
                        const yaml_node_t *map,
                        const yaml_node_t *const sections[ZS_HANDLER_COUNT])
{
    for (int kind = 0; kind < ZS_HANDLER_COUNT; kind++) {
        if (sections[kind] && (int) type->handler != kind) {
            return zs_yaml_fail(ctx, sections[kind]->start_mark,
                                "'%s' is only for handler %s (agent type '%s' has handler "
                                "%s)",
                                s_handler_names[kind], s_handler_names[kind], type->type,
                                s_handler_names[type->handler]);
        }
    }
    bool sectioned = type->handler == ZS_HANDLER_HTTP ||
                     type->handler == ZS_HANDLER_DOWNLOAD || type->handler == ZS_HANDLER_LLM;
    if (sectioned && !sections[type->handler]) {
        const char *name = s_handler_names[type->handler];
        return zs_yaml_fail(ctx, map->start_mark,
                            "agent type '%s' has handler %s but no '%s' section",
                            type->type, name, name);
    }
    return 0;
}

//  ---------------------------------------------------------------------------------------
//  Providers and budgets

static int
s_read_provider(zs_yaml_t *ctx, zs_swarm_t *self, const yaml_node_pair_t *pair)
{
    static const zs_yaml_key_t name_key = {"providers", NULL, 0, 0, 0, NULL,
                                           ZS_YAML_OPTIONAL};
    const yaml_node_t *name_node = zs_yaml_node(ctx, pair->key);
    yaml_node_t *value = zs_yaml_node(ctx, pair->value);
    if (zs_swarm_check_name(ctx, &name_key, name_node) != 0) {
        return -1;
    }
    const char *name = (const char *) name_node->data.scalar.value;
    if (zs_swarm_provider_find(self, name)) {
        return zs_yaml_fail(ctx, name_node->start_mark, "duplicate provider '%s'", name);
    }
    zs_swarm_provider_t *provider = &self->providers[self->provider_count++];
    *provider = (zs_swarm_provider_t){
        .name = zs_strdup(name),
        .timeout_ms = ZS_SWARM_DEFAULT_CALL_MS,
        .cooldown = {ZS_SWARM_DEFAULT_FAILURES, ZS_SWARM_DEFAULT_WINDOW_MS,
                     ZS_SWARM_DEFAULT_COOLDOWN_MS},
    };
    yaml_node_t *found[ZS_YAML_KEYS_MAX] = {0};
    if (value->type != YAML_MAPPING_NODE) {
        return zs_yaml_fail(ctx, value->start_mark, "expected mapping for provider '%s'",
                            name);
    }
    return zs_yaml_read_map(ctx, &s_provider_table, value, provider, found);
}

int
zs_swarm_read_providers(zs_yaml_t *ctx,
                        const zs_yaml_key_t *key,
                        yaml_node_t *node,
                        void *target)
{
    zs_swarm_t *self = target;
    if (node->type != YAML_MAPPING_NODE) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "expected mapping of provider names to providers for '%s'",
                            key->name);
    }
    yaml_node_pair_t *pairs = node->data.mapping.pairs.start;
    size_t count = (size_t) (node->data.mapping.pairs.top - pairs);
    if (count > ZS_SWARM_PROVIDERS_MAX) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "expected at most %d providers in '%s', found %zu",
                            ZS_SWARM_PROVIDERS_MAX, key->name, count);
    }
    self->providers = zs_calloc(count ? count : 1, sizeof *self->providers);
    for (size_t i = 0; i < count; i++) {
        if (s_read_provider(ctx, self, &pairs[i]) != 0) {
            return -1;
        }
    }
    return 0;
}

int
zs_swarm_read_budget(zs_yaml_t *ctx,
                     const zs_yaml_key_t *key,
                     yaml_node_t *node,
                     void *target)
{
    zs_yaml_key_t section = *key;
    section.arg = &s_budget_table;
    return zs_yaml_read_section(ctx, &section, node, target);
}

//  The node an llm type's provider names came from: 'provider' for the first, the
//  'fallbacks' item for the others
static const yaml_node_t *
s_provider_node(zs_yaml_t *ctx, const yaml_node_t *item, size_t index)
{
    const yaml_node_t *llm = zs_yaml_map_value(ctx, item, "llm");
    if (index == 0) {
        return zs_yaml_map_value(ctx, llm, "provider");
    }
    const yaml_node_t *list = zs_yaml_map_value(ctx, llm, "fallbacks");
    return zs_yaml_node(ctx, list->data.sequence.items.start[index - 1]);
}

static int
s_check_llm_providers(zs_yaml_t *ctx,
                      const zs_swarm_t *self,
                      const zs_swarm_type_t *type,
                      const yaml_node_t *item)
{
    const zs_swarm_llm_t *llm = &type->llm;
    for (size_t i = 0; i <= llm->fallback_count; i++) {
        const char *name = zs_swarm_llm_provider(llm, i);
        if (!zs_swarm_provider_find(self, name)) {
            return zs_yaml_fail(ctx, s_provider_node(ctx, item, i)->start_mark,
                                "agent type '%s' names provider '%s', which 'providers' "
                                "does not define",
                                type->type, name);
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(zs_swarm_llm_provider(llm, j), name) == 0) {
                return zs_yaml_fail(ctx, s_provider_node(ctx, item, i)->start_mark,
                                    "agent type '%s' names provider '%s' twice",
                                    type->type, name);
            }
        }
    }
    return 0;
}

int
zs_swarm_check_reach(zs_yaml_t *ctx, const zs_swarm_t *self, const yaml_node_t *root)
{
    const yaml_node_t *agents = zs_yaml_map_value(ctx, root, "agents");
    for (size_t i = 0; i < self->type_count; i++) {
        const zs_swarm_type_t *type = &self->types[i];
        const yaml_node_t *item = zs_yaml_node(ctx, agents->data.sequence.items.start[i]);
        if (type->handler == ZS_HANDLER_LLM &&
            s_check_llm_providers(ctx, self, type, item) != 0) {
            return -1;
        }
    }
    return 0;
}

void
zs_swarm_reach_fini(zs_swarm_t *self)
{
    for (size_t i = 0; i < self->type_count; i++) {
        zs_swarm_type_t *type = &self->types[i];
        zs_strings_free(type->fetch.allow, type->fetch.allow_count);
        zs_strings_free(type->fetch.headers, type->fetch.header_count);
        free(type->fetch.dir);
        free(type->llm.provider);
        zs_strings_free(type->llm.fallbacks, type->llm.fallback_count);
        free(type->llm.system);
        free(type->llm.prompt);
    }
    for (size_t i = 0; i < self->provider_count; i++) {
        zs_swarm_provider_t *provider = &self->providers[i];
        free(provider->name);
        free(provider->base_url);
        free(provider->model);
        free(provider->key_env);
    }
    free(self->providers);
}

//  ---------------------------------------------------------------------------------------
//  Public API

const zs_swarm_provider_t *
zs_swarm_provider_find(const zs_swarm_t *self, const char *name)
{
    assert(self);
    assert(name);
    for (size_t i = 0; i < self->provider_count; i++) {
        if (self->providers[i].name && strcmp(self->providers[i].name, name) == 0) {
            return &self->providers[i];
        }
    }
    return NULL;
}

const char *
zs_swarm_llm_provider(const zs_swarm_llm_t *llm, size_t index)
{
    assert(llm && index <= llm->fallback_count);
    return index == 0 ? llm->provider : llm->fallbacks[index - 1];
}

const char *
zs_swarm_handler_name(zs_handler_kind_t handler)
{
    assert(handler < ZS_HANDLER_COUNT);
    return s_handler_names[handler];
}
