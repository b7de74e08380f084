//  zs_opts - command-line options parsed from a table
//
//  A program describes its options once, as a table of names, kinds, bounds and help
//  text; the same table drives parsing, validation and the --help listing, so the three
//  cannot drift apart. Values are written into the caller's struct at each option's
//  offset. Every value is validated where it enters: an integer out of its bounds is
//  an error naming the option, the range and what was given, e.g.
//  "--priority: expected an integer in -1000..1000, got 'abc'".
//
//  Both "--name VALUE" and "--name=VALUE" are accepted; the word after an option that
//  takes a value is always its value, so "--priority -5" and "--payload -" work. "--"
//  ends the options. "-h" and "--help" are built in.

#ifndef ZS_OPTS_H
#define ZS_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/zs_util.h"

//  Expected outcomes of parsing (positive, as zs_util's rule has it)
typedef enum {
    ZS_OPTS_E_HELP = 1,  //  -h or --help was given
} zs_opts_result_t;

typedef enum {
    ZS_OPTS_FLAG,    //  no value; sets a bool
    ZS_OPTS_INT,     //  integer within [min, max]; sets a zs_opts_int_t
    ZS_OPTS_STRING,  //  any text; sets a const char * borrowed from argv
} zs_opts_kind_t;

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
    size_t offset;        //  offsetof its value in the caller's struct
    int64_t min;          //  lowest integer accepted
    int64_t max;          //  highest integer accepted
    const char *metavar;  //  name of the value in help ("MS"), NULL for a flag
    const char *help;     //  one line for --help
} zs_opts_option_t;

//  Parse argv[0..argc) against table into target. In ZS_OPTS_OPERANDS_LAST mode parsing
//  stops at the first operand; in ZS_OPTS_OPERANDS_ANY mode every operand is kept. The
//  operands are moved to the front of argv, in order, and their number is stored in
//  *operand_count: argv is permuted in place, as GNU getopt does. Returns 0;
//  ZS_OPTS_E_HELP; or -1 with err->text naming the option and the problem.
int zs_opts_parse(const zs_opts_option_t *table,
                  size_t count,
                  zs_opts_mode_t mode,
                  int argc,
                  char **argv,
                  void *target,
                  int *operand_count,
                  zs_error_t *err);

//  Print table as an aligned option listing for --help, one option a line.
void zs_opts_print_help(const zs_opts_option_t *table, size_t count, FILE *stream);

#endif
