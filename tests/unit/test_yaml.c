//  Unit tests for zs_yaml: screening, the node tree, and reading against a key table,
//  with a small table of its own (test_swarm covers the swarm file's schema)

#include <string.h>

#include "tests/unit/zs_test.h"
#include "coordinator/swarm/zs_yaml.h"

typedef struct {
    unsigned size;  //  'size': 1..10
    bool on;        //  'on'
    int color;      //  'color': red=1, green=2
    char *label;    //  'label', required
} s_config_t;

static const zs_yaml_choice_t s_colors[] = {
    {"red", 1}, {"green", 2}};
static const zs_yaml_choices_t s_color_choices = {s_colors, ZS_YAML_LENGTH(s_colors),
                                                  "red or green"};

static int
s_read_label(zs_yaml_t *self, const zs_yaml_key_t *key, yaml_node_t *node, void *target)
{
    size_t len;
    if (!zs_yaml_string(self, node, key->name, &len)) {
        return -1;
    }
    zs_yaml_store_string(target, key, node);
    return 0;
}

static const zs_yaml_key_t s_keys[] = {
    {"size", zs_yaml_read_uint, offsetof(s_config_t, size), 1, 10, NULL,
     ZS_YAML_OPTIONAL},
    {"on", zs_yaml_read_bool, offsetof(s_config_t, on), 0, 0, NULL, ZS_YAML_OPTIONAL},
    {"color", zs_yaml_read_enum, offsetof(s_config_t, color), 0, 0, &s_color_choices,
     ZS_YAML_OPTIONAL},
    {"label", s_read_label, offsetof(s_config_t, label), 0, 0, NULL, ZS_YAML_REQUIRED},
};
static const zs_yaml_table_t s_table = {"in config", s_keys, ZS_YAML_LENGTH(s_keys)};

//  Load and read text into config; returns 0, or -1 with err filled
static int
s_read(const char *text, s_config_t *config, zs_error_t *err)
{
    zs_yaml_t yaml;
    zs_yaml_init(&yaml, text, strlen(text), "c.yaml", err);
    memset(config, 0, sizeof *config);
    int rc = zs_yaml_load(&yaml);
    yaml_node_t *root = rc == 0 ? zs_yaml_root(&yaml) : NULL;
    if (rc == 0 && (!root || root->type != YAML_MAPPING_NODE)) {
        rc = zs_error_set(err, 1, "not a mapping");
    }
    yaml_node_t *found[ZS_YAML_KEYS_MAX] = {0};
    if (rc == 0) {
        rc = zs_yaml_read_map(&yaml, &s_table, root, config, found);
    }
    zs_yaml_fini(&yaml);
    return rc;
}

static bool
s_fails(const char *text, const char *expected)
{
    s_config_t config;
    zs_error_t err;
    zs_error_init(&err);
    bool failed = s_read(text, &config, &err) != 0;
    free(config.label);
    bool ok = failed && strcmp(err.text, expected) == 0;
    if (!ok) {
        fprintf(stderr, "  want '%s'\n  got  '%s'\n", expected,
                failed ? err.text : "success");
    }
    return ok;
}

static void
test_reads_a_table(void)
{
    s_config_t config;
    zs_error_t err;
    ZS_CHECK_OK(
        s_read("size: 7\non: true\ncolor: green\nlabel: \"a b\"\n", &config, &err), err);
    ZS_CHECK(config.size == 7 && config.on && config.color == 2);
    ZS_CHECK_STR(config.label, "a b");
    free(config.label);
}

static void
test_screening(void)
{
    ZS_CHECK(s_fails("label: &x a\nsize: *x\n",
                     "c.yaml:1:8: anchor '&x' is not supported in swarm files"));
    ZS_CHECK(s_fails(
        "label: !!str a\n",
        "c.yaml:1:8: tag 'tag:yaml.org,2002:str' is not supported in swarm files"));
    ZS_CHECK(s_fails("label: a\n---\nlabel: b\n",
                     "c.yaml:2:1: expected one YAML document, found a second one"));
    ZS_CHECK(s_fails(
        "label: [a\n",
        "c.yaml:2:1: invalid YAML: did not find expected ',' or ']' (while parsing a "
        "flow sequence at 1:8)"));
    char deep[256] = "label: ";
    for (int i = 0; i <= ZS_YAML_DEPTH_MAX; i++) {
        strcat(deep, "[");
    }
    ZS_CHECK(s_fails(deep, "c.yaml:1:23: nesting deeper than 16 levels"));
}

static void
test_key_rules(void)
{
    ZS_CHECK(s_fails("size: 3\n", "c.yaml:1:1: missing required key 'label' in config"));
    ZS_CHECK(s_fails("label: a\nsize: 3\nsize: 4\n",
                     "c.yaml:3:1: duplicate key 'size' in config"));
    ZS_CHECK(
        s_fails("label: a\nsise: 3\n",
                "c.yaml:2:1: unknown key 'sise' in config (expected one of: size, on, "
                "color, label)"));
    ZS_CHECK(s_fails("label: a\nsize: 11\n",
                     "c.yaml:2:7: value 11 for 'size' is out of range (expected 1..10)"));
    ZS_CHECK(s_fails("label: a\nsize: '3'\n", "c.yaml:2:7: expected integer for 'size'"));
    ZS_CHECK(
        s_fails("label: a\non: yes\n", "c.yaml:2:5: expected true or false for 'on'"));
    ZS_CHECK(s_fails("label: a\ncolor: pink\n",
                     "c.yaml:2:8: unknown color 'pink' (expected red or green)"));
    ZS_CHECK(s_fails("label: ~\n", "c.yaml:1:8: expected string for 'label'"));
}

static void
test_samples_are_printable_and_short(void)
{
    zs_yaml_sample_t sample = zs_yaml_sample("a\nb\x01", 4);
    ZS_CHECK(strchr(sample.text, '\n') == NULL && strchr(sample.text, '\x01') == NULL);
    char long_text[200];
    memset(long_text, 'x', sizeof long_text);
    sample = zs_yaml_sample(long_text, sizeof long_text);
    ZS_CHECK(strlen(sample.text) < ZS_YAML_SAMPLE_MAX);
}

static const zs_test_case_t s_cases[] = {
    {"reads_a_table", test_reads_a_table},
    {"screening", test_screening},
    {"key_rules", test_key_rules},
    {"samples_are_printable_and_short", test_samples_are_printable_and_short},
};

ZS_TEST_MAIN(s_cases)
