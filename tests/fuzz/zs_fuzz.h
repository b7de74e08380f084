//  zs_fuzz - what the libFuzzer targets in tests/fuzz share
//
//  A target is one LLVMFuzzerTestOneInput that hands any bytes to one module and checks
//  the promises its header makes. A broken promise is reported through zs_fuzz_fail,
//  which aborts: libFuzzer then treats the input like any crash, prints the stack and
//  keeps the input as an artifact. Refusing bad input is never a failure.
//
//  libFuzzer owns the process's signals, while czmq's first log call runs zsys_init,
//  which would put its own SIGINT and SIGTERM handlers over libFuzzer's. Each target
//  calls zs_fuzz_init from LLVMFuzzerInitialize, which libFuzzer runs before it
//  installs its handlers.

#ifndef ZS_FUZZ_H
#define ZS_FUZZ_H

#include <czmq.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef enum {
    ZS_FUZZ_LOGS_SHOWN,   //  on stderr: the module logs only what a failure needs
    ZS_FUZZ_LOGS_HIDDEN,  //  dropped: the module logs for inputs it refuses
} zs_fuzz_logs_t;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

//  Keep czmq off the signals and send its logs where logs says
static inline void
zs_fuzz_init(zs_fuzz_logs_t logs)
{
    zsys_handler_set(NULL);
    zsys_set_logstream(logs == ZS_FUZZ_LOGS_SHOWN ? stderr : NULL);
}

//  Say which promise the input broke, then abort so that libFuzzer keeps it
static inline void zs_fuzz_fail(const char *format, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static inline void
zs_fuzz_fail(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("fuzz: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    abort();
}

#endif
