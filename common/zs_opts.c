//  zs_opts - see zs_opts.h

#include "common/zs_opts.h"

#include <assert.h>
#include <string.h>

#define ZS_OPTS_LEFT_MAX 128  //  longest "-e, --name VALUE" in the --help listing

static bool
s_is_help(const char *word)
{
    return strcmp(word, "-h") == 0 || strcmp(word, "--help") == 0;
}

//  The option named by word ("--name" or "--name=value"), or NULL
static const zs_opts_option_t *
s_find(const zs_opts_option_t *table, size_t count, const char *word)
{
    size_t name_len = strcspn(word, "=");
    for (size_t i = 0; i < count; i++) {
        const zs_opts_option_t *option = &table[i];
        if (strlen(option->name) == name_len &&
            strncmp(option->name, word, name_len) == 0) {
            return option;
        }
        if (option->alias && strcmp(option->alias, word) == 0) {
            return option;
        }
    }
    return NULL;
}

static int
s_store(const zs_opts_option_t *option, const char *value, void *target, zs_error_t *err)
{
    char *field = (char *) target + option->offset;
    if (option->kind == ZS_OPTS_STRING) {
        memcpy(field, &value, sizeof value);
        return 0;
    }
    zs_opts_int_t parsed = {0, true};
    if (zs_parse_int(value, option->min, option->max, &parsed.value) != 0) {
        return zs_error_set(err, 0, "%s: expected an integer in %lld..%lld, got '%s'",
                            option->name, (long long) option->min,
                            (long long) option->max, value);
    }
    memcpy(field, &parsed, sizeof parsed);
    return 0;
}

//  Apply the option at argv[*index], consuming its value too. Returns 0 or -1.
static int
s_apply(const zs_opts_option_t *option,
        int argc,
        char **argv,
        int *index,
        void *target,
        zs_error_t *err)
{
    const char *word = argv[*index];
    const char *inline_value = strchr(word, '=');
    if (option->kind == ZS_OPTS_FLAG) {
        if (inline_value) {
            return zs_error_set(err, 0, "%s: takes no value", option->name);
        }
        bool on = true;
        memcpy((char *) target + option->offset, &on, sizeof on);
        return 0;
    }
    if (inline_value) {
        return s_store(option, inline_value + 1, target, err);
    }
    if (*index + 1 >= argc) {
        return zs_error_set(err, 0, "%s: missing value %s", option->name,
                            option->metavar);
    }
    *index += 1;
    return s_store(option, argv[*index], target, err);
}

static bool
s_is_option(const char *word)
{
    //  A lone "-" is an operand by convention (standard input)
    return word[0] == '-' && word[1] != '\0';
}

int
zs_opts_parse(const zs_opts_option_t *table,
              size_t count,
              zs_opts_mode_t mode,
              int argc,
              char **argv,
              void *target,
              int *operand_count,
              zs_error_t *err)
{
    assert(table || count == 0);
    assert(argv || argc == 0);
    assert(target);
    assert(operand_count);
    int operands = 0;
    int index = 0;
    for (; index < argc; index++) {
        char *word = argv[index];
        if (strcmp(word, "--") == 0) {
            index++;
            break;
        }
        if (!s_is_option(word)) {
            if (mode == ZS_OPTS_OPERANDS_LAST) {
                break;
            }
            argv[operands++] = word;
            continue;
        }
        if (s_is_help(word)) {
            return ZS_OPTS_E_HELP;
        }
        const zs_opts_option_t *option = s_find(table, count, word);
        if (!option) {
            return zs_error_set(err, 0, "unknown option '%s'", word);
        }
        if (s_apply(option, argc, argv, &index, target, err) != 0) {
            return -1;
        }
    }
    //  Whatever follows "--" or the first operand (in ZS_OPTS_OPERANDS_LAST) is operands
    for (; index < argc; index++) {
        argv[operands++] = argv[index];
    }
    *operand_count = operands;
    return 0;
}

//  The left column of an option's help line: "-e, --endpoint ENDPOINT"
static void
s_help_left(const zs_opts_option_t *option, char *left, size_t size)
{
    snprintf(left, size, "%s%s%s%s%s", option->alias ? option->alias : "",
             option->alias ? ", " : "", option->name, option->metavar ? " " : "",
             option->metavar ? option->metavar : "");
}

void
zs_opts_print_help(const zs_opts_option_t *table, size_t count, FILE *stream)
{
    assert(stream);
    const char *help_left = "-h, --help";
    int width = (int) strlen(help_left);
    char left[ZS_OPTS_LEFT_MAX];
    for (size_t i = 0; i < count; i++) {
        s_help_left(&table[i], left, sizeof left);
        width = (int) strlen(left) > width ? (int) strlen(left) : width;
    }
    for (size_t i = 0; i < count; i++) {
        s_help_left(&table[i], left, sizeof left);
        fprintf(stream, "  %-*s  %s\n", width, left, table[i].help);
    }
    fprintf(stream, "  %-*s  %s\n", width, help_left, "show this help and exit");
}
