//  zs_opts - see zs_opts.h

#include "common/zs_opts.h"

#include <assert.h>
#include <string.h>

#define ZS_OPTS_LEFT_MAX 128     //  longest "-e, --name VALUE" in the --help listing
#define ZS_OPTS_NO_ALIAS "    "  //  in place of "-e, " where an option has no short name

//  The options every program has, after its own in lookups and in --help
static const zs_opts_option_t s_builtins[] = {
    {"--help", "-h", ZS_OPTS_HELP, ZS_OPTS_OPTIONAL, 0, 0, 0, NULL,
     "show this help and exit"},
    {"--version", "-V", ZS_OPTS_VERSION, ZS_OPTS_OPTIONAL, 0, 0, 0, NULL,
     "show the version and exit"},
};

//  What a parse recognises: a caller's table and the first builtins of s_builtins
typedef struct {
    const zs_opts_option_t *table;  //  the caller's options
    size_t count;                   //  items in table
    size_t builtins;                //  builtins it has: help only, or version too
} s_grammar_t;

#define S_HELP_ONLY    1  //  s_grammar_t.builtins for a table: -h/--help
#define S_WITH_VERSION 2  //  for a program with a version: -V/--version too

//  What a word's outcome is when it names a builtin
static const int s_builtin_result[] = {
    [ZS_OPTS_HELP] = ZS_OPTS_E_HELP,
    [ZS_OPTS_VERSION] = ZS_OPTS_E_VERSION,
};

static const zs_opts_option_t *
s_option_at(const s_grammar_t *grammar, size_t index)
{
    return index < grammar->count ? &grammar->table[index]
                                  : &s_builtins[index - grammar->count];
}

static size_t
s_option_count(const s_grammar_t *grammar)
{
    return grammar->count + grammar->builtins;
}

static bool
s_takes_value(const zs_opts_option_t *option)
{
    return option->kind == ZS_OPTS_INT || option->kind == ZS_OPTS_STRING;
}

//  Whether word names option: "--name", "--name=value", "-n", or "-nvalue" for a short
//  name that takes a value
static bool
s_names(const zs_opts_option_t *option, const char *word)
{
    size_t name_len = strcspn(word, "=");
    if (strlen(option->name) == name_len && strncmp(option->name, word, name_len) == 0) {
        return true;
    }
    if (!option->alias || word[1] == '-') {
        return false;
    }
    size_t alias_len = strlen(option->alias);
    return strncmp(option->alias, word, alias_len) == 0 &&
           (word[alias_len] == '\0' || s_takes_value(option));
}

//  The option word names, or NULL
static const zs_opts_option_t *
s_find(const s_grammar_t *grammar, const char *word)
{
    for (size_t i = 0; i < s_option_count(grammar); i++) {
        const zs_opts_option_t *option = s_option_at(grammar, i);
        if (s_names(option, word)) {
            return option;
        }
    }
    return NULL;
}

//  The value written into word itself ("--name=value", "-nvalue"), or NULL
static const char *
s_inline_value(const zs_opts_option_t *option, const char *word)
{
    if (word[1] == '-') {
        const char *equals = strchr(word, '=');
        return equals ? equals + 1 : NULL;
    }
    return word[strlen(option->alias)] ? word + strlen(option->alias) : NULL;
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

//  Apply the option at argv[*index], consuming its value too. Returns 0, a builtin's
//  result, or -1.
static int
s_apply(const zs_opts_option_t *option,
        int argc,
        char **argv,
        int *index,
        void *target,
        zs_error_t *err)
{
    const char *inline_value = s_inline_value(option, argv[*index]);
    if (!s_takes_value(option)) {
        if (inline_value) {
            return zs_error_set(err, 0, "%s: takes no value", option->name);
        }
        if (option->kind != ZS_OPTS_FLAG) {
            return s_builtin_result[option->kind];
        }
        bool on = true;
        memcpy((char *) target + option->offset, &on, sizeof on);
        return 0;
    }
    if (inline_value) {
        return s_store(option, inline_value, target, err);
    }
    if (*index + 1 >= argc) {
        return zs_error_set(err, 0, "%s: requires an argument %s", option->name,
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

static int
s_parse(const s_grammar_t *grammar,
        zs_opts_mode_t mode,
        int argc,
        char **argv,
        void *target,
        int *operand_count,
        zs_error_t *err)
{
    assert(grammar->table || grammar->count == 0);
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
        const zs_opts_option_t *option = s_find(grammar, word);
        if (!option) {
            return zs_error_set(err, 0, "unrecognized option '%s'", word);
        }
        int rc = s_apply(option, argc, argv, &index, target, err);
        if (rc != 0) {
            return rc;
        }
    }
    //  Whatever follows "--" or the first operand (in ZS_OPTS_OPERANDS_LAST) is operands
    for (; index < argc; index++) {
        argv[operands++] = argv[index];
    }
    *operand_count = operands;
    return 0;
}

//  Fail for the first required option of table that was not given, or given empty
static int
s_check_required(const zs_opts_option_t *table,
                 size_t count,
                 const void *target,
                 zs_error_t *err)
{
    for (size_t i = 0; i < count; i++) {
        const zs_opts_option_t *option = &table[i];
        if (option->need != ZS_OPTS_REQUIRED) {
            continue;
        }
        const char *field = (const char *) target + option->offset;
        bool given = false;
        if (option->kind == ZS_OPTS_STRING) {
            const char *value;
            memcpy(&value, field, sizeof value);
            given = value && *value;
        } else {
            zs_opts_int_t value;
            memcpy(&value, field, sizeof value);
            given = value.set;
        }
        if (!given) {
            return zs_error_set(err, 0, "%s %s is required", option->name,
                                option->metavar);
        }
    }
    return 0;
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
    s_grammar_t grammar = {table, count, S_HELP_ONLY};
    int rc = s_parse(&grammar, mode, argc, argv, target, operand_count, err);
    return rc != 0 ? rc : s_check_required(table, count, target, err);
}

//  The left column of an option's help line: "-e, --endpoint ENDPOINT", or
//  "    --json" where there is no short name, so that long names line up
static void
s_help_left(const zs_opts_option_t *option, char *left, size_t size)
{
    snprintf(left, size, "%s%s%s%s%s", option->alias ? option->alias : "",
             option->alias ? ", " : ZS_OPTS_NO_ALIAS, option->name,
             option->metavar ? " " : "", option->metavar ? option->metavar : "");
}

//  One option's help: its first line beside the left column, the others below it
static void
s_help_option(const zs_opts_option_t *option, int width, FILE *stream)
{
    char left[ZS_OPTS_LEFT_MAX];
    s_help_left(option, left, sizeof left);
    const char *line = option->help;
    int line_len = (int) strcspn(line, "\n");
    fprintf(stream, "  %-*s  %.*s\n", width, left, line_len, line);
    while (line[line_len] == '\n') {
        line += line_len + 1;
        line_len = (int) strcspn(line, "\n");
        fprintf(stream, "  %-*s  %.*s\n", width, "", line_len, line);
    }
}

static void
s_print_listing(const s_grammar_t *grammar, FILE *stream)
{
    assert(stream);
    int width = 0;
    char left[ZS_OPTS_LEFT_MAX];
    for (size_t i = 0; i < s_option_count(grammar); i++) {
        s_help_left(s_option_at(grammar, i), left, sizeof left);
        width = (int) strlen(left) > width ? (int) strlen(left) : width;
    }
    for (size_t i = 0; i < s_option_count(grammar); i++) {
        s_help_option(s_option_at(grammar, i), width, stream);
    }
}

void
zs_opts_print_help(const zs_opts_option_t *table, size_t count, FILE *stream)
{
    s_grammar_t grammar = {table, count, S_HELP_ONLY};
    s_print_listing(&grammar, stream);
}

static s_grammar_t
s_program_grammar(const zs_opts_program_t *self)
{
    s_grammar_t grammar = {self->options, self->count,
                           self->version ? S_WITH_VERSION : S_HELP_ONLY};
    return grammar;
}

int
zs_opts_program_parse(const zs_opts_program_t *self,
                      int argc,
                      char **argv,
                      void *target,
                      int *operand_count,
                      zs_error_t *err)
{
    assert(self);
    assert(argc >= 1);
    assert(self->max_operands >= self->min_operands);
    assert(self->min_operands == 0 || self->operand);
    s_grammar_t grammar = s_program_grammar(self);
    int rc =
        s_parse(&grammar, self->mode, argc - 1, argv + 1, target, operand_count, err);
    if (rc != 0) {
        return rc;
    }
    if (*operand_count > self->max_operands) {
        return zs_error_set(err, 0, "unexpected argument '%s'",
                            argv[1 + self->max_operands]);
    }
    if (*operand_count < self->min_operands) {
        return zs_error_set(err, 0, "no %s given", self->operand);
    }
    return s_check_required(self->options, self->count, target, err);
}

void
zs_opts_program_print_help(const zs_opts_program_t *self, FILE *stream)
{
    assert(self);
    assert(stream);
    fputs(self->usage ? self->usage : "", stream);
    s_grammar_t grammar = s_program_grammar(self);
    s_print_listing(&grammar, stream);
    fputs(self->epilogue ? self->epilogue : "", stream);
}

int
zs_opts_program_main(const zs_opts_program_t *self,
                     int argc,
                     char **argv,
                     void *target,
                     int *operand_count)
{
    zs_error_t err;
    zs_error_init(&err);
    int rc = zs_opts_program_parse(self, argc, argv, target, operand_count, &err);
    if (rc == ZS_OPTS_E_HELP) {
        zs_opts_program_print_help(self, stdout);
    } else if (rc == ZS_OPTS_E_VERSION) {
        printf("%s %s\n", self->name, self->version);
    } else if (rc != 0) {
        zs_usage_error(self->name, "%s", err.text);
    }
    return rc;
}

int
zs_opts_exit_status(int rc)
{
    assert(rc != 0);
    return rc > 0 ? ZS_EXIT_OK : ZS_EXIT_USAGE;
}
