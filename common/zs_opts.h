//  zs_opts - command-line options parsed from a table
//
//  A program describes its options once, as a table of names, kinds, bounds and help
//  text; the same table drives parsing, validation and the --help listing, so the three
//  cannot drift apart. Values are written into the caller's struct at each option's
//  offset. Every value is validated where it enters: an integer out of its bounds is
//  an error naming the option, the range and what was given, e.g.
//  "--priority: expected an integer in -1000..1000, got 'abc'"; a required option
//  left out or given empty is "--connect ENDPOINT is required".
//
//  Both "--name VALUE" and "--name=VALUE" are accepted, and for a short name both
//  "-n VALUE" and "-nVALUE"; the word after an option that takes a value is always its
//  value, so "--priority -5" and "--payload -" work. Long names are never abbreviated:
//  a new option cannot make an old abbreviation ambiguous. "--" ends the options.
//  "-h" and "--help" are built in, and so are "-V" and "--version" in a program that
//  has a version.
//
//  Two levels: zs_opts_parse reads one table (zswarmctl's commands each have one), and
//  a zs_opts_program_t is a whole program's command line: its table, its operands, its
//  version and the text of its --help. zs_opts_program_main is what a main calls: it
//  parses, and answers --help, --version and usage errors itself.

#ifndef ZS_OPTS_H
#define ZS_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/zs_util.h"

//  Expected outcomes of parsing (positive, as zs_util's rule has it)
typedef enum {
    ZS_OPTS_E_HELP = 1,     //  -h or --help was given
    ZS_OPTS_E_VERSION = 2,  //  -V or --version was given, to a program with a version
} zs_opts_result_t;

typedef enum {
    ZS_OPTS_FLAG,    //  no value; sets a bool
    ZS_OPTS_INT,     //  integer within [min, max]; sets a zs_opts_int_t
    ZS_OPTS_STRING,  //  any text; sets a const char * borrowed from argv
    ZS_OPTS_HELP,    //  the built-in -h/--help, never in a caller's table
    ZS_OPTS_VERSION  //  the built-in -V/--version, never in a caller's table
} zs_opts_kind_t;

//  Whether an option must be given
typedef enum {
    ZS_OPTS_OPTIONAL,  //  may be left out
    ZS_OPTS_REQUIRED,  //  must be given, with a value that is not empty
} zs_opts_need_t;

//  Where the operands (words that are not options) may be
typedef enum {
    ZS_OPTS_OPERANDS_LAST,  //  options stop at the first operand: "PROG [OPTS] CMD ..."
    ZS_OPTS_OPERANDS_ANY,   //  options and operands mix: "CMD ID --json ID"
} zs_opts_mode_t;

//  Value of an integer option
typedef struct {
    int64_t value;  //  as given, within the option's bounds
    bool set;       //  the option was given
} zs_opts_int_t;

//  One option of a table
typedef struct {
    const char *name;     //  long name with dashes: "--priority"
    const char *alias;    //  short name with its dash ("-e"), or NULL
    zs_opts_kind_t kind;  //  what it takes
    zs_opts_need_t need;  //  whether it must be given (a flag never must)
    size_t offset;        //  offsetof its value in the caller's struct
    int64_t min;          //  lowest integer accepted
    int64_t max;          //  highest integer accepted
    const char *metavar;  //  name of the value in help ("MS"), NULL for a flag
    const char *help;     //  for --help: one line, or lines split by '\n'
} zs_opts_option_t;

//  A program's whole command line: what zs_opts_program_parse checks it against, and
//  what --help and --version print
typedef struct {
    const char *name;                 //  program name in messages and --version
    const char *version;              //  printed by -V/--version; NULL: no such option
    const char *usage;                //  --help's text before the options, or NULL
    const char *epilogue;             //  --help's text after the options, or NULL
    const zs_opts_option_t *options;  //  the table, in --help order
    size_t count;                     //  items in options
    zs_opts_mode_t mode;              //  where the operands may be
    int min_operands;                 //  operands required
    int max_operands;                 //  operands allowed
    const char *operand;              //  what one is, for "no swarm file given"
} zs_opts_program_t;

//  Parse argv[0..argc) against table into target. In ZS_OPTS_OPERANDS_LAST mode parsing
//  stops at the first operand; in ZS_OPTS_OPERANDS_ANY mode every operand is kept. The
//  operands are moved to the front of argv, in order, and their number is stored in
//  *operand_count: argv is permuted in place, as GNU getopt does. Returns 0;
//  ZS_OPTS_E_HELP; or -1 with err->text naming the option and the problem, a required
//  option missing included.
int zs_opts_parse(const zs_opts_option_t *table,
                  size_t count,
                  zs_opts_mode_t mode,
                  int argc,
                  char **argv,
                  void *target,
                  int *operand_count,
                  zs_error_t *err);

//  Print table as an aligned option listing for --help, one option a line (more for a
//  help text of several lines), -h/--help last.
void zs_opts_print_help(const zs_opts_option_t *table, size_t count, FILE *stream);

//  Parse a program's command line, argv[0] being the program, into target, as
//  zs_opts_parse does, then check the number of operands (before the required
//  options, so a stray word is named first). The operands are moved to argv[1..] and
//  counted in *operand_count. Returns 0; ZS_OPTS_E_HELP; ZS_OPTS_E_VERSION; or -1 with
//  err filled. Prints nothing.
int zs_opts_program_parse(const zs_opts_program_t *self,
                          int argc,
                          char **argv,
                          void *target,
                          int *operand_count,
                          zs_error_t *err);

//  Print the program's --help: its usage text, the option listing (-V/--version too,
//  when it has a version) and its epilogue.
void zs_opts_program_print_help(const zs_opts_program_t *self, FILE *stream);

//  zs_opts_program_parse for a main: answers what ends the program here itself, the
//  help or version on stdout, a usage error on stderr (zs_usage_error). Returns 0 to
//  go on, else what zs_opts_program_parse returned; zs_opts_exit_status says how to
//  exit then.
int zs_opts_program_main(const zs_opts_program_t *self,
                         int argc,
                         char **argv,
                         void *target,
                         int *operand_count);

//  The exit status after zs_opts_program_main returned rc (not 0): ZS_EXIT_OK after
//  --help or --version, ZS_EXIT_USAGE after a usage error.
int zs_opts_exit_status(int rc);

#endif
