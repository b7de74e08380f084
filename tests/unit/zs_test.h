//  zs_test - the unit test harness: a table of named cases, runnable one at a time
//
//  Each test file defines `static const zs_test_case_t s_cases[] = {...}` and ends with
//  ZS_TEST_MAIN (s_cases). `test_x` runs every case; `test_x NAME` runs one. A failed
//  check prints the file, line and the expression (and for ZS_CHECK_OK the error text),
//  then the case stops and the program exits 1 after the remaining cases ran.

#ifndef ZS_TEST_H
#define ZS_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;  //  case name, for the command line and the report
    void (*fn)(void);  //  runs the case; returns early on the first failed check
} zs_test_case_t;

static int zs_test_failed_;  //  set by a failed check in the current case

#define ZS_CHECK(expr)                                                                   \
    do {                                                                                 \
        if (!(expr)) {                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr);     \
            zs_test_failed_ = 1;                                                         \
            return;                                                                      \
        }                                                                                \
    } while (0)

#define ZS_CHECK_STR(a, b)                                                               \
    do {                                                                                 \
        const char *zs_a_ = (a), *zs_b_ = (b);                                           \
        if (!zs_a_ || !zs_b_ || strcmp(zs_a_, zs_b_) != 0) {                             \
            fprintf(stderr, "%s:%d: check failed: %s == %s ('%s' vs '%s')\n", __FILE__,  \
                    __LINE__, #a, #b, zs_a_ ? zs_a_ : "(null)",                          \
                    zs_b_ ? zs_b_ : "(null)");                                           \
            zs_test_failed_ = 1;                                                         \
            return;                                                                      \
        }                                                                                \
    } while (0)

//  In a case that frees what it made before its last check: records the first failed
//  expectation in the bool `ok` and prints it; once ok is false, later expressions are
//  not evaluated (they may read what the failure left NULL). End with ZS_CHECK (ok).
#define ZS_EXPECT(ok, expr)                                                              \
    do {                                                                                 \
        if ((ok) && !(expr)) {                                                           \
            fprintf(stderr, "%s:%d: expectation failed: %s\n", __FILE__, __LINE__,       \
                    #expr);                                                              \
            (ok) = false;                                                                \
        }                                                                                \
    } while (0)

//  expr returns 0 on success and fills the zs_error_t `err` otherwise
#define ZS_CHECK_OK(expr, err)                                                           \
    do {                                                                                 \
        if ((expr) != 0) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s: %s\n", __FILE__, __LINE__, #expr,  \
                    (err).text);                                                         \
            zs_test_failed_ = 1;                                                         \
            return;                                                                      \
        }                                                                                \
    } while (0)

static inline int
zs_test_run_(const zs_test_case_t *cases, size_t count, int argc, char **argv)
{
    int failures = 0, ran = 0;
    for (size_t i = 0; i < count; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0) {
            continue;
        }
        zs_test_failed_ = 0;
        cases[i].fn();
        ran++;
        failures += zs_test_failed_;
        printf("%s %s\n", zs_test_failed_ ? "FAIL" : "ok  ", cases[i].name);
    }
    if (ran == 0) {
        fprintf(stderr, "no test case named '%s'\n", argc > 1 ? argv[1] : "");
        return 1;
    }
    printf("%d of %d cases passed\n", ran - failures, ran);
    return failures ? 1 : 0;
}

#define ZS_TEST_MAIN(cases)                                                              \
    int main(int argc, char **argv)                                                      \
    {                                                                                    \
        return zs_test_run_(cases, sizeof(cases) / sizeof(cases)[0], argc, argv);        \
    }

#endif
