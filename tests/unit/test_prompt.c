//  test_prompt - prompt templates: parsing, the keys a template needs, rendering

#include "proto/zs_msg.h"
#include "proto/zs_prompt.h"
#include "tests/unit/zs_test.h"

#define streq(a, b) (strcmp((a), (b)) == 0)

//  A value of a C string
static zs_prompt_value_t
s_text(const char *text)
{
    return (zs_prompt_value_t){(const uint8_t *) text, strlen(text)};
}

static zs_prompt_t *
s_parse(const char *text, zs_error_t *err)
{
    zs_error_init(err);
    return zs_prompt_new(text, strlen(text), err);
}

//  Render template with payload and the values of its keys; NULL when refused
static char *
s_render(const char *template,
         const char *payload,
         const char *const *values,
         zs_error_t *err)
{
    zs_prompt_t *prompt = s_parse(template, err);
    if (!prompt) {
        return NULL;
    }
    zs_prompt_value_t given[ZS_PROMPT_KEYS_MAX];
    for (size_t i = 0; i < zs_prompt_key_count(prompt); i++) {
        given[i] = s_text(values[i]);
    }
    size_t size = 0;
    char *out = zs_prompt_render(prompt, s_text(payload), given, &size, err);
    zs_prompt_destroy(&prompt);
    if (out && size != strlen(out)) {
        free(out);
        return zs_strdup("(size differs from the text)");
    }
    return out;
}

//  The normal use: the keys to fetch, then the text with everything in its place
static void
test_render(void)
{
    zs_error_t err;
    const char *template =
        "Task: {{payload}}\n\nDesign:\n{{memory.design}}\n"
        "Again: {{ payload }} and {{memory.design}} {{memory.jobs/42}}";
    zs_prompt_t *prompt = s_parse(template, &err);
    ZS_CHECK_OK(prompt ? 0 : -1, err);
    bool ok = true;
    ZS_EXPECT(ok, zs_prompt_key_count(prompt) == 2);
    ZS_EXPECT(ok, streq(zs_prompt_key(prompt, 0), "design"));
    ZS_EXPECT(ok, streq(zs_prompt_key(prompt, 1), "jobs/42"));
    zs_prompt_value_t values[] = {s_text("use a ring"), s_text("done")};
    size_t size = 0;
    char *out = zs_prompt_render(prompt, s_text("sort it"), values, &size, &err);
    ZS_EXPECT(ok, out != NULL);
    ZS_EXPECT(ok, streq(out, "Task: sort it\n\nDesign:\nuse a ring\n"
                             "Again: sort it and use a ring done"));
    ZS_EXPECT(ok, size == strlen(out));
    free(out);
    zs_prompt_destroy(&prompt);
    ZS_CHECK(ok);
    ZS_CHECK(prompt == NULL);
}

static void
test_default_and_plain(void)
{
    zs_error_t err;
    char *out = s_render(ZS_PROMPT_DEFAULT, "hello", NULL, &err);
    ZS_CHECK_STR(out, "hello");
    free(out);
    //  No placeholder at all, and an empty template
    out = s_render("just text", "ignored", NULL, &err);
    ZS_CHECK_STR(out, "just text");
    free(out);
    out = s_render("", "x", NULL, &err);
    ZS_CHECK_STR(out, "");
    free(out);
    //  An empty payload renders as nothing
    out = s_render("[{{payload}}]", "", NULL, &err);
    ZS_CHECK_STR(out, "[]");
    free(out);
}

//  Braces that do not start with a letter are text: C initialisers, JSON, "{{{"
static void
test_literal_braces(void)
{
    zs_error_t err;
    char *out =
        s_render("int a[2][2] = {{1, 2}, {3, 4}}; {{{payload}}} {{", "x", NULL, &err);
    ZS_CHECK_STR(out, "int a[2][2] = {{1, 2}, {3, 4}}; {x} {{");
    free(out);
    out = s_render("{{\"k\": {{payload}}}}", "1", NULL, &err);
    ZS_CHECK_STR(out, "{{\"k\": 1}}");
    free(out);
    //  The payload's own braces are never parsed
    out = s_render("{{payload}}", "{{memory.x}}", NULL, &err);
    ZS_CHECK_STR(out, "{{memory.x}}");
    free(out);
}

static void
test_memory_keys(void)
{
    zs_error_t err;
    //  Blanks around a key are trimmed; inner ones are part of it; a key may hold dots,
    //  slashes, single braces and UTF-8
    const char *values[] = {"A", "B", "C"};
    char *out = s_render("{{memory. a b }}|{{memory.x.y/z{w}}}|{{memory.caf\xc3\xa9}}",
                         "", values, &err);
    ZS_CHECK_STR(out, "A|B}|C");
    free(out);
    zs_prompt_t *prompt = s_parse("{{memory. a b }}{{memory.x.y/z{w}}}", &err);
    ZS_CHECK(prompt);
    bool ok = true;
    ZS_EXPECT(ok, streq(zs_prompt_key(prompt, 0), "a b"));
    ZS_EXPECT(ok, streq(zs_prompt_key(prompt, 1), "x.y/z{w"));
    zs_prompt_destroy(&prompt);
    ZS_CHECK(ok);
    //  The longest key the memory takes, and one byte more
    char text[ZS_MSG_KEY_MAX + 32];
    char key[ZS_MSG_KEY_MAX + 2];
    memset(key, 'k', sizeof key - 1);
    key[ZS_MSG_KEY_MAX] = '\0';
    snprintf(text, sizeof text, "{{memory.%s}}", key);
    prompt = s_parse(text, &err);
    ZS_CHECK(prompt && strlen(zs_prompt_key(prompt, 0)) == ZS_MSG_KEY_MAX);
    zs_prompt_destroy(&prompt);
    key[ZS_MSG_KEY_MAX] = 'k';
    key[ZS_MSG_KEY_MAX + 1] = '\0';
    snprintf(text, sizeof text, "{{memory.%s}}", key);
    ZS_CHECK(!s_parse(text, &err) && err.code == ZS_PROMPT_E_TEMPLATE);
    ZS_CHECK(strstr(err.text, "1..256 bytes"));
}

static void
test_too_many_keys(void)
{
    zs_error_t err;
    char text[ZS_PROMPT_KEYS_MAX * 20 + 32] = "";
    size_t at = 0;
    for (int i = 0; i < ZS_PROMPT_KEYS_MAX; i++) {
        at += (size_t) snprintf(text + at, sizeof text - at, "{{memory.k%d}}", i);
    }
    zs_prompt_t *prompt = s_parse(text, &err);
    ZS_CHECK(prompt && zs_prompt_key_count(prompt) == ZS_PROMPT_KEYS_MAX);
    zs_prompt_destroy(&prompt);
    //  A key named again is not a new one
    snprintf(text + at, sizeof text - at, "{{memory.k0}}");
    prompt = s_parse(text, &err);
    ZS_CHECK(prompt && zs_prompt_key_count(prompt) == ZS_PROMPT_KEYS_MAX);
    zs_prompt_destroy(&prompt);
    snprintf(text + at, sizeof text - at, "{{memory.one-more}}");
    ZS_CHECK(!s_parse(text, &err) && err.code == ZS_PROMPT_E_TEMPLATE);
    ZS_CHECK(strstr(err.text, "more than 32 memory keys"));
}

//  Every refusal names what is wrong and where
static void
test_bad_templates(void)
{
    static const struct {
        const char *text;    //  the template
        const char *expect;  //  in the error
    } cases[] = {
        {"a {{paylod}} b", "unknown placeholder '{{paylod}}' at byte 2"},
        {"{{Payload}}", "unknown placeholder"},
        {"{{memory}}", "unknown placeholder '{{memory}}'"},
        {"{{ memory .x}}", "unknown placeholder"},
        {"{{payload", "unclosed placeholder '{{payload' at byte 0"},
        {"x {{ memory.k } }", "unclosed placeholder"},
        {"{{memory.}}", "a memory key of 1..256 bytes expected in '{{memory.}}'"},
        {"{{memory.   }}", "a memory key of 1..256 bytes"},
        {"{{payload\n}}", "unknown placeholder '{{payload\\x0a}}'"},
        {"bad \xff byte", "not UTF-8 text without NUL (byte 4)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zs_error_t err;
        zs_prompt_t *prompt = s_parse(cases[i].text, &err);
        if (prompt || err.code != ZS_PROMPT_E_TEMPLATE ||
            !strstr(err.text, cases[i].expect)) {
            fprintf(stderr, "case %zu: '%s' gave '%s'\n", i, cases[i].text, err.text);
        }
        zs_prompt_destroy(&prompt);
        ZS_CHECK(err.code == ZS_PROMPT_E_TEMPLATE && strstr(err.text, cases[i].expect));
    }
    //  A NUL inside the given size, and a template past the bound
    zs_error_t err;
    ZS_CHECK(!zs_prompt_new("a\0b", 3, &err) && strstr(err.text, "(byte 1)"));
    char *big = zs_calloc(ZS_PROMPT_TEXT_MAX + 1, 1);
    memset(big, 'x', ZS_PROMPT_TEXT_MAX + 1);
    zs_prompt_t *prompt = zs_prompt_new(big, ZS_PROMPT_TEXT_MAX, &err);
    bool fits = prompt != NULL;
    zs_prompt_destroy(&prompt);
    prompt = zs_prompt_new(big, ZS_PROMPT_TEXT_MAX + 1, &err);
    free(big);
    ZS_CHECK(fits);
    ZS_CHECK(!prompt && strstr(err.text, "template of 65537 bytes, more than 65536"));
}

static void
test_bad_values(void)
{
    zs_error_t err;
    zs_prompt_t *prompt = s_parse("{{payload}} {{memory.plan}}", &err);
    ZS_CHECK(prompt);
    size_t size = 0;
    zs_prompt_value_t bad = {(const uint8_t *) "ok\xc3", 3};
    zs_prompt_value_t nul = {(const uint8_t *) "a\0b", 3};
    zs_prompt_value_t good = s_text("fine");
    char *out = zs_prompt_render(prompt, bad, &good, &size, &err);
    bool ok = true;
    ZS_EXPECT(ok, !out && err.code == ZS_PROMPT_E_VALUE);
    ZS_EXPECT(ok, strstr(err.text, "payload is not UTF-8 text without NUL (byte 2)"));
    out = zs_prompt_render(prompt, good, &nul, &size, &err);
    ZS_EXPECT(ok, !out && err.code == ZS_PROMPT_E_VALUE);
    ZS_EXPECT(ok,
              strstr(err.text, "memory 'plan' is not UTF-8 text without NUL (byte 1)"));
    //  An empty value is fine, with or without data
    zs_prompt_value_t empty = {NULL, 0};
    out = zs_prompt_render(prompt, empty, &empty, &size, &err);
    ZS_EXPECT(ok, out && streq(out, " ") && size == 1);
    free(out);
    zs_prompt_destroy(&prompt);
    ZS_CHECK(ok);
}

//  A payload named many times cannot make an unbounded prompt
static void
test_rendered_bound(void)
{
    zs_error_t err;
    zs_prompt_t *prompt =
        s_parse("{{payload}}{{payload}}{{payload}}{{payload}}{{payload}}", &err);
    ZS_CHECK(prompt);
    size_t size = 0;
    uint8_t *payload = zs_malloc(ZS_MSG_PAYLOAD_MAX);
    memset(payload, 'p', ZS_MSG_PAYLOAD_MAX);
    zs_prompt_value_t value = {payload, ZS_MSG_PAYLOAD_MAX};
    char *out = zs_prompt_render(prompt, value, NULL, &size, &err);
    bool refused = !out && err.code == ZS_PROMPT_E_SIZE &&
                   strstr(err.text, "rendered prompt would pass 4194304 bytes");
    free(out);
    //  Four of them fit exactly
    zs_prompt_destroy(&prompt);
    prompt = s_parse("{{payload}}{{payload}}{{payload}}{{payload}}", &err);
    out = prompt ? zs_prompt_render(prompt, value, NULL, &size, &err) : NULL;
    bool fits = out && size == ZS_PROMPT_RENDERED_MAX;
    free(out);
    free(payload);
    zs_prompt_destroy(&prompt);
    ZS_CHECK(refused);
    ZS_CHECK(fits);
}

static const zs_test_case_t s_cases[] = {
    {"render", test_render},
    {"default_and_plain", test_default_and_plain},
    {"literal_braces", test_literal_braces},
    {"memory_keys", test_memory_keys},
    {"too_many_keys", test_too_many_keys},
    {"bad_templates", test_bad_templates},
    {"bad_values", test_bad_values},
    {"rendered_bound", test_rendered_bound},
};

ZS_TEST_MAIN(s_cases)
