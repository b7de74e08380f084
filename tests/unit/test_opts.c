//  Unit tests for zs_opts: a table of options, and a program's whole command line

#include <stdlib.h>

#include "common/zs_opts.h"
#include "tests/unit/zs_test.h"

#define S_ARGV_MAX 16  //  words of a command line in a case

//  What the test program's command line fills
typedef struct {
    const char *connect;  //  --connect, required
    const char *name;     //  --name
    zs_opts_int_t slots;  //  --slots
    bool json;            //  --json
} s_args_t;

#define S_OFF(field) offsetof(s_args_t, field)

static const zs_opts_option_t s_options[] = {
    {"--connect", "-c", ZS_OPTS_STRING, ZS_OPTS_REQUIRED, S_OFF(connect), 0, 0,
     "ENDPOINT", "where to connect"},
    {"--slots", "-s", ZS_OPTS_INT, ZS_OPTS_OPTIONAL, S_OFF(slots), 1, 1000, "N",
     "agents at most\n(default: the CPUs)"},
    {"--name", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, S_OFF(name), 0, 0, "NAME",
     "node name"},
    {"--json", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, S_OFF(json), 0, 0, NULL,
     "print JSON"},
};

static const zs_opts_program_t s_program = {
    .name = "prog",
    .version = "1.2.3",
    .usage = "usage: prog --connect ENDPOINT FILE\n\n",
    .epilogue = "\nThe end.\n",
    .options = s_options,
    .count = sizeof s_options / sizeof s_options[0],
    .mode = ZS_OPTS_OPERANDS_ANY,
    .min_operands = 1,
    .max_operands = 1,
    .operand = "swarm file",
};

//  One parse of a command line (NULL-terminated words after the program's name)
typedef struct {
    char *argv[S_ARGV_MAX];  //  the words, argv[0] the program: permuted by the parse
    int argc;                //  words in argv
    s_args_t args;           //  what the parse filled
    int operands;            //  operands it counted
    zs_error_t err;          //  its error, if any
} s_parse_t;

static int
s_parse(s_parse_t *self, const zs_opts_program_t *program, char *const *words)
{
    memset(self, 0, sizeof *self);
    self->argv[self->argc++] = "prog";
    for (size_t i = 0; words[i] && self->argc < S_ARGV_MAX; i++) {
        self->argv[self->argc++] = words[i];
    }
    zs_error_init(&self->err);
    return zs_opts_program_parse(program, self->argc, self->argv, &self->args,
                                 &self->operands, &self->err);
}

//  The error text a command line gives, or "" when it parses
static const char *
s_error(char *const *words)
{
    static s_parse_t parse;
    return s_parse(&parse, &s_program, words) == -1 ? parse.err.text : "";
}

//  Normal use: long and short names, values inline or next, operands anywhere
static void
test_parse(void)
{
    s_parse_t parse;
    char *words[] = {"-c",     "tcp://a:1", "swarm.yaml", "--slots=8",
                     "--json", "--name",    "-n1",        NULL};
    ZS_CHECK(s_parse(&parse, &s_program, words) == 0);
    ZS_CHECK_STR(parse.args.connect, "tcp://a:1");
    ZS_CHECK(parse.args.slots.set && parse.args.slots.value == 8);
    ZS_CHECK(parse.args.json);
    ZS_CHECK_STR(parse.args.name, "-n1");
    ZS_CHECK(parse.operands == 1);
    ZS_CHECK_STR(parse.argv[1], "swarm.yaml");
}

//  A short name takes its value in the same word too; "--" ends the options
static void
test_short_and_end(void)
{
    s_parse_t parse;
    char *words[] = {"-ctcp://b:2", "-s", "3", "--", "--json", NULL};
    ZS_CHECK(s_parse(&parse, &s_program, words) == 0);
    ZS_CHECK_STR(parse.args.connect, "tcp://b:2");
    ZS_CHECK(parse.args.slots.value == 3 && !parse.args.json);
    ZS_CHECK(parse.operands == 1);
    ZS_CHECK_STR(parse.argv[1], "--json");
}

static void
test_help_and_version(void)
{
    s_parse_t parse;
    char *help[] = {"--slots", "2", "-h", "--bogus", NULL};
    ZS_CHECK(s_parse(&parse, &s_program, help) == ZS_OPTS_E_HELP);
    char *version[] = {"-V", NULL};
    ZS_CHECK(s_parse(&parse, &s_program, version) == ZS_OPTS_E_VERSION);
    //  A program without a version has no such option
    zs_opts_program_t unversioned = s_program;
    unversioned.version = NULL;
    char *long_version[] = {"--version", NULL};
    ZS_CHECK(s_parse(&parse, &unversioned, long_version) == -1);
    ZS_CHECK_STR(parse.err.text, "unrecognized option '--version'");
    char *help_value[] = {"--help=x", NULL};
    ZS_CHECK_STR(s_error(help_value), "--help: takes no value");
}

//  Every mistake is one line naming the option and the problem
static void
test_errors(void)
{
    char *unknown[] = {"-c", "e", "f", "--bogus", NULL};
    ZS_CHECK_STR(s_error(unknown), "unrecognized option '--bogus'");
    char *unknown_short[] = {"-x", NULL};
    ZS_CHECK_STR(s_error(unknown_short), "unrecognized option '-x'");
    //  Long names are whole: an abbreviation is no name
    char *abbreviated[] = {"--conn", "e", "f", NULL};
    ZS_CHECK_STR(s_error(abbreviated), "unrecognized option '--conn'");
    char *no_value[] = {"f", "--slots", NULL};
    ZS_CHECK_STR(s_error(no_value), "--slots: requires an argument N");
    char *flag_value[] = {"--json=yes", NULL};
    ZS_CHECK_STR(s_error(flag_value), "--json: takes no value");
    char *range[] = {"-s", "0", NULL};
    ZS_CHECK_STR(s_error(range), "--slots: expected an integer in 1..1000, got '0'");
    char *junk[] = {"-s4x", NULL};
    ZS_CHECK_STR(s_error(junk), "--slots: expected an integer in 1..1000, got '4x'");
}

//  Operands are counted before the required options are looked for
static void
test_operands_and_required(void)
{
    char *none[] = {"-c", "e", NULL};
    ZS_CHECK_STR(s_error(none), "no swarm file given");
    char *two[] = {"f", "g", NULL};
    ZS_CHECK_STR(s_error(two), "unexpected argument 'g'");
    char *missing[] = {"f", NULL};
    ZS_CHECK_STR(s_error(missing), "--connect ENDPOINT is required");
    char *empty[] = {"f", "--connect=", NULL};
    ZS_CHECK_STR(s_error(empty), "--connect ENDPOINT is required");
    //  A lone "-" is an operand (standard input), not an option
    char *dash[] = {"-c", "e", "-", NULL};
    ZS_CHECK_STR(s_error(dash), "");
}

//  zs_opts_parse, one table: the first operand can end the options
static void
test_table_operands_last(void)
{
    s_args_t args = {0};
    zs_error_t err;
    zs_error_init(&err);
    char *argv[] = {"-c", "e", "status", "--json", NULL};
    int operands = 0;
    ZS_CHECK(zs_opts_parse(s_options, 4, ZS_OPTS_OPERANDS_LAST, 4, argv, &args, &operands,
                           &err) == 0);
    ZS_CHECK(operands == 2 && !args.json);
    ZS_CHECK_STR(argv[0], "status");
    ZS_CHECK_STR(argv[1], "--json");
    char *version[] = {"-V", NULL};
    ZS_CHECK(zs_opts_parse(s_options, 4, ZS_OPTS_OPERANDS_ANY, 1, version, &args,
                           &operands, &err) == -1);
    ZS_CHECK_STR(err.text, "unrecognized option '-V'");
}

//  --help: the usage, options aligned on their long names, then the epilogue
static void
test_help_text(void)
{
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream(&text, &size);
    ZS_CHECK(stream);
    zs_opts_program_print_help(&s_program, stream);
    fclose(stream);
    const char *expected = "usage: prog --connect ENDPOINT FILE\n"
                           "\n"
                           "  -c, --connect ENDPOINT  where to connect\n"
                           "  -s, --slots N           agents at most\n"
                           "                          (default: the CPUs)\n"
                           "      --name NAME         node name\n"
                           "      --json              print JSON\n"
                           "  -h, --help              show this help and exit\n"
                           "  -V, --version           show the version and exit\n"
                           "\n"
                           "The end.\n";
    bool same = strcmp(text, expected) == 0;
    if (!same) {
        fprintf(stderr, "got:\n%s", text);
    }
    free(text);
    ZS_CHECK(same);
}

static void
test_exit_status(void)
{
    ZS_CHECK(zs_opts_exit_status(ZS_OPTS_E_HELP) == ZS_EXIT_OK);
    ZS_CHECK(zs_opts_exit_status(ZS_OPTS_E_VERSION) == ZS_EXIT_OK);
    ZS_CHECK(zs_opts_exit_status(-1) == ZS_EXIT_USAGE);
}

static const zs_test_case_t s_cases[] = {
    {"parse", test_parse},
    {"short_and_end", test_short_and_end},
    {"help_and_version", test_help_and_version},
    {"errors", test_errors},
    {"operands_and_required", test_operands_and_required},
    {"table_operands_last", test_table_operands_last},
    {"help_text", test_help_text},
    {"exit_status", test_exit_status},
};

ZS_TEST_MAIN(s_cases)
