//  zs_bench_swarm - one zswarmd under test: its swarm file, its process, its output
//
//  The benchmark starts each coordinator from a swarm file it writes into a temporary
//  directory. Every socket binds tcp://127.0.0.1:* and zswarmd reports the ports it got
//  on its stdout as `zswarmd ready agents=EP events=EP control=EP`, so runs never
//  collide on a port and no port is picked early and lost to someone else before
//  zswarmd binds it.
//
//  zswarmd leads a process group of its own, so the SIGKILL fallback also reaches agents
//  it left in that group. Its stdout and stderr are pipes the benchmark keeps drained
//  (zs_bench_swarm_pump): a full pipe would otherwise stall the coordinator on its next
//  log line, and the benchmark would measure that. What is drained is echoed to the
//  benchmark's stderr, or kept as a short tail that is shown only when zswarmd fails
//  to start, so 200 agents' log lines do not bury the results.

#ifndef ZS_BENCH_SWARM_H
#define ZS_BENCH_SWARM_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/zs_util.h"

#define ZS_BENCH_SWARM_READY_MS 10000  //  longest wait for the ready line
#define ZS_BENCH_SWARM_STOP_MS  10000  //  SIGTERM grace before SIGKILL
#define ZS_BENCH_SWARM_EP_MAX   256    //  longest endpoint, with NUL

#define ZS_BENCH_SWARM_TAIL 4096  //  bytes of quiet output kept for a failed start

//  What becomes of zswarmd's output
typedef enum {
    ZS_BENCH_SWARM_QUIET,  //  keep the last ZS_BENCH_SWARM_TAIL bytes for errors
    ZS_BENCH_SWARM_ECHO,   //  copy it all to our stderr
} zs_bench_swarm_output_t;

//  What to run: a swarm of one agent type, with the builtin handler unless told
typedef struct {
    const char *zswarmd;    //  zswarmd program, a path or a name looked up in PATH
    const char *dir;        //  directory for the swarm file, which must exist
    const char *name;       //  swarm name, also the file's
    const char *type;       //  the agent type
    const char *caps;       //  YAML flow list of extra capabilities ("[echo]"), or NULL
    unsigned count;         //  agent processes zswarmd spawns
    unsigned concurrency;   //  tasks one agent runs at once
    const char *journal;    //  fsync policy of a journal in dir ("batch"...), or NULL
    const char *security;   //  YAML flow mapping of a 'security' section, or NULL
    const char *handler;    //  the type's handler, NULL: builtin
    const char *type_keys;  //  more keys of the type, YAML lines indented 4, or NULL
    const char *top_keys;   //  more top-level keys, YAML lines, or NULL
    zs_bench_swarm_output_t output;  //  echo or keep zswarmd's output
} zs_bench_swarm_config_t;

typedef struct zs_bench_swarm_t zs_bench_swarm_t;

//  Write the swarm file, start zswarmd and wait for its ready line. Returns an owned
//  swarm whose zswarmd is bound, or NULL with err->text saying what failed (after
//  stopping whatever was started and, when quiet, printing the tail of its output).
zs_bench_swarm_t *zs_bench_swarm_new(const zs_bench_swarm_config_t *config,
                                     zs_error_t *err);

//  Stop zswarmd if it runs (see zs_bench_swarm_stop), remove the swarm file, free self
//  and set *self_p to NULL. Accepts NULL.
void zs_bench_swarm_destroy(zs_bench_swarm_t **self_p);

//  The control endpoint zswarmd reported, borrowed from self.
const char *zs_bench_swarm_control(zs_bench_swarm_t *self);

//  The events endpoint zswarmd reported, borrowed from self.
const char *zs_bench_swarm_events(zs_bench_swarm_t *self);

//  zswarmd's pid, or 0 once it has been reaped.
pid_t zs_bench_swarm_pid(zs_bench_swarm_t *self);

//  zclock_usecs () just before zswarmd was spawned, and when its ready line arrived.
int64_t zs_bench_swarm_spawned_us(zs_bench_swarm_t *self);
int64_t zs_bench_swarm_ready_us(zs_bench_swarm_t *self);

//  Drain whatever zswarmd (and its agents, which inherit its stdout and stderr) wrote,
//  echoing or keeping it as configured. Cheap enough for every turn of a hot loop: it
//  looks at the pipes at most every few milliseconds.
void zs_bench_swarm_pump(zs_bench_swarm_t *self);

//  Send SIGTERM to zswarmd and wait up to ZS_BENCH_SWARM_STOP_MS for it to exit, then
//  SIGKILL its process group. Returns its exit code (-N for signal N), or -1 with
//  err->text when it had to be killed or was already reaped.
int zs_bench_swarm_stop(zs_bench_swarm_t *self, zs_error_t *err);

//  Where a benchmark's swarms run: zswarmd's program and a temporary directory
typedef struct {
    char zswarmd[PATH_MAX];  //  zswarmd, absolute when it had a '/', else a name for PATH
    char dir[PATH_MAX];      //  the temporary directory, "" until made
} zs_bench_swarm_place_t;

//  Resolve program (NULL or "": $ZSWARMD, else "zswarmd"; a path is made absolute, as
//  zswarmd may run from another directory) and make $TMPDIR/PREFIX-XXXXXX. Returns 0,
//  or -1 with err filled.
int zs_bench_swarm_place_init(zs_bench_swarm_place_t *self,
                              const char *program,
                              const char *prefix,
                              zs_error_t *err);

//  Remove the directory with everything in it, if it was made.
void zs_bench_swarm_place_fini(zs_bench_swarm_place_t *self);

//  Take SIGINT, SIGTERM and SIGHUP as a request to stop, without SA_RESTART, so a
//  blocking poll returns EINTR; zs_bench_swarm_interrupted says whether one came.
void zs_bench_swarm_take_signals(void);
bool zs_bench_swarm_interrupted(void);

#endif
