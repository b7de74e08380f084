//  zs_spawn - the local agent processes a coordinator starts and supervises
//
//  Erlang/OTP supervision, one supervisor per agent type. A type added with count N has
//  the children (slots) "<type>-1" .. "<type>-N", in that order, or "<prefix><type>-1"
//  .. with a prefix set (a node daemon's "NODE."); a slot holds one zswarm-agent
//  process (or the type's own program, zs_spawn_add_program), started as `EXE
//  --connect EP --type T --id ID --parent PID`, so a restarted
//  agent comes back under the same name. An id is an agent id on the wire, so no slot is
//  made whose id would be longer than ZS_MSG_NAME_MAX bytes. Each process started gets a
//  fresh random secret in its environment (ZS_MSG_SECRET_ENV, never on the command line,
//  which every user can read): the proof it gives in its hello that it is the process in
//  that slot (zs_spawn_secret_ok), since its id and pid are public. The type's
//  zs_supervision_t (zs_supervision.h, docs/swarm-file.md) decides what happens when a
//  child exits:
//
//  - Stopped on command (zs_spawn_stop_agent, zs_spawn_stop): nothing, ever again.
//  - Restart type: permanent restarts it; transient only after a crash (an exit code
//    other than 0, or a signal); temporary never (the slot ends).
//  - Strategy, for an exit that is restarted: one-for-one restarts that child alone;
//    one-for-all sends SIGTERM to every other running child of the type, waits until
//    they are reaped, then starts them all in slot order; rest-for-one does the same for
//    the running children after it (higher slots). Children the supervisor terminates
//    this way are not crashes and count for nothing; the exit that set it off counts as
//    one restart.
//  - Intensity: more than max_restarts restarts of a type within any within_s window
//    fail the type: its children get SIGTERM and are never restarted, and type_failed
//    says why ("more than 10 restarts within 60 s"). Other types keep running.
//  - Backoff: a restart waits b = min(backoff_min_ms * 2^k, backoff_max_ms), where k is
//    the slot's quick exits in a row (reset once a child stayed up for the stable time,
//    ZS_SPAWN_STABLE_MS unless set), with +-20% jitter, kept within 1 ms .. max.
//
//  A child the supervisor sends SIGTERM (group restart, failed type, stop on command)
//  gets SIGKILL if it still runs ZS_SPAWN_KILL_MS later (unless set otherwise), so a
//  group restart or a stop never waits forever on a stuck child. Children are reaped
//  from the loop on SIGCHLD (zs_spawn_reap); none is ever left a zombie. Agents run in
//  their own process group, so a Ctrl-C meant for zswarmd does not reach them: zswarmd
//  stops them itself, in order. Callbacks may call anything here but zs_spawn_destroy;
//  destroy the supervisor outside the loop's handlers (czmq may still fire a timer in
//  the pass that cancelled it).

#ifndef ZS_SPAWN_H
#define ZS_SPAWN_H

#include <czmq.h>
#include <stdbool.h>
#include <sys/types.h>

#include "proto/zs_msg.h"
#include "supervisor/zs_supervision.h"
#include "common/zs_util.h"

#define ZS_SPAWN_STABLE_MS 10000  //  uptime after which an exit is no longer quick
#define ZS_SPAWN_KILL_MS   5000   //  SIGTERM to SIGKILL for children the supervisor stops

//  Expected outcomes, never forwarded
typedef enum {
    ZS_SPAWN_E_NO_AGENT = 1,  //  no local slot of that id that runs or will run
    ZS_SPAWN_E_NO_TYPE = 2,   //  no supervisor for that type here, or it failed
    ZS_SPAWN_E_NAME = 3,      //  an agent id would be longer than ZS_MSG_NAME_MAX bytes
} zs_spawn_error_t;

//  What becomes of a slot whose child exited
typedef enum {
    ZS_SPAWN_NEXT_RESTART = 1,  //  it starts again after its backoff
    ZS_SPAWN_NEXT_ENDED,        //  the restart type says no (temporary, transient exit 0)
    ZS_SPAWN_NEXT_STOPPED,  //  stopped on command: zs_spawn_stop_agent or zs_spawn_stop
    ZS_SPAWN_NEXT_FAILED,   //  its type failed: no child of the type runs again
} zs_spawn_next_t;

typedef struct zs_spawn_t zs_spawn_t;

//  Told when a child process was reaped: its slot's agent id, pid, zs_proc_exit_code
//  and what becomes of the slot. agent_id is borrowed for the call.
typedef void(zs_spawn_exited_fn)(
    void *ctx, const char *agent_id, pid_t pid, int exit_code, zs_spawn_next_t next);

//  Told once when a type failed: past its restart intensity. why reads "more than N
//  restarts within S s"; both strings are borrowed for the call.
typedef void(zs_spawn_failed_fn)(void *ctx, const char *type, const char *why);

//  The coordinator's callbacks; either may be NULL
typedef struct {
    zs_spawn_exited_fn *exited;       //  every reaped child
    zs_spawn_failed_fn *type_failed;  //  a type gave up
} zs_spawn_events_t;

//  Create a supervisor that starts `agent_exe --connect ENDPOINT ...` on loop
//  (borrowed). exe and endpoint are copied, and so is *events (may be NULL); ctx is
//  passed to the callbacks.
zs_spawn_t *zs_spawn_new(zloop_t *loop,
                         const char *agent_exe,
                         const char *endpoint,
                         const zs_spawn_events_t *events,
                         void *ctx);

//  Start agents as CURVE clients from now on: `--cert CERT --server-key KEY` is added
//  to their command line. cert is a secret certificate's path, server_key the
//  coordinator's public key in Z85; both are copied. Call before zs_spawn_add.
void zs_spawn_set_curve(zs_spawn_t *self, const char *cert, const char *server_key);

//  Name slots "<prefix><type>-<n>" from now on, e.g. with "NODE." for a node daemon.
//  prefix is copied. Call before zs_spawn_add: slots made before keep their ids.
void zs_spawn_set_prefix(zs_spawn_t *self, const char *prefix);

//  Free the supervisor and set *self_p to NULL. Children still running are killed
//  (SIGKILL) and reaped first, so none outlives it, and every timer is cancelled.
void zs_spawn_destroy(zs_spawn_t **self_p);

//  Add the supervisor of type, with count slots, and start their processes.
//  supervision is copied; NULL means the swarm file's defaults. type must not have been
//  added before. Returns 0; ZS_SPAWN_E_NAME with err filled, and nothing added, when
//  the last slot's id would not fit (zs_spawn_ids_fit); or -1 with err filled when a
//  process cannot be started at all (fork fails).
int zs_spawn_add(zs_spawn_t *self,
                 const char *type,
                 unsigned count,
                 const zs_supervision_t *supervision,
                 zs_error_t *err);

//  zs_spawn_add for a type with an agent program of its own (swarm file 'program'):
//  its slots run `PROGRAM... --connect ENDPOINT --type T --id ID --parent PID` instead
//  of the agent program, with the same secret in their environment. program holds
//  program_argc words (at least one; copied), or is NULL with program_argc 0 for the
//  agent program.
int zs_spawn_add_program(zs_spawn_t *self,
                         const char *type,
                         unsigned count,
                         const zs_supervision_t *supervision,
                         const char *const *program,
                         size_t program_argc,
                         zs_error_t *err);

//  Reap every child that exited, tell exited, and restart, end or fail as above.
void zs_spawn_reap(zs_spawn_t *self);

//  Stop one slot on command: SIGTERM its child (SIGKILL ZS_SPAWN_KILL_MS later) and
//  never restart it, nor start it if a restart was pending. Returns 0, or
//  ZS_SPAWN_E_NO_AGENT when agent_id is no local slot, or its slot neither runs nor
//  will (already stopped, ended, or its type failed).
int zs_spawn_stop_agent(zs_spawn_t *self, const char *agent_id);

//  Run count agents of type from now on: stop the newest running ones (never to be
//  restarted), or start new slots numbered after the type's last. Returns 0,
//  ZS_SPAWN_E_NO_TYPE when the type has no supervisor here or failed, ZS_SPAWN_E_NAME
//  with err filled when a new slot's id would be too long (nothing changes then), or
//  -1 with err filled when a process cannot be started. New slots are numbered after
//  every slot the type ever had, so after shrinking and growing a type its ids can be
//  longer than zs_spawn_ids_fit (prefix, type, count) supposes.
int zs_spawn_scale(zs_spawn_t *self, const char *type, unsigned count, zs_error_t *err);

//  True when type was added and has failed.
bool zs_spawn_type_failed(zs_spawn_t *self, const char *type);

//  Stop restarting and send SIGTERM to every running child.
void zs_spawn_stop(zs_spawn_t *self);

//  Send SIGKILL to every running child (after zs_spawn_stop took too long).
void zs_spawn_kill(zs_spawn_t *self);

//  Number of child processes not yet reaped.
size_t zs_spawn_running(zs_spawn_t *self);

//  True when agent_id is the id of one of our slots, whether or not its agent runs.
bool zs_spawn_has_slot(zs_spawn_t *self, const char *agent_id);

//  True when secret (may be NULL) is what the child now running in agent_id's slot was
//  given to prove it is that slot's agent: false for no slot, no child, or any other
//  text. Compared in constant time.
bool zs_spawn_secret_ok(zs_spawn_t *self, const char *agent_id, const char *secret);

//  The pid running in the slot of agent_id, or 0 when none runs (or no such slot).
pid_t zs_spawn_pid(zs_spawn_t *self, const char *agent_id);

//  Set the uptime after which a child's exit no longer counts as quick (default
//  ZS_SPAWN_STABLE_MS); applies from the next exit.
void zs_spawn_set_stable_ms(zs_spawn_t *self, unsigned stable_ms);

//  Set how long a child the supervisor sent SIGTERM may take before SIGKILL (default
//  ZS_SPAWN_KILL_MS); applies from the next SIGTERM.
void zs_spawn_set_kill_ms(zs_spawn_t *self, unsigned kill_ms);

//  True when the ids "<prefix><type>-1" .. "<prefix><type>-<count>" all fit in
//  ZS_MSG_NAME_MAX bytes; always true for count 0. prefix may be NULL for none. Pure:
//  the rule zs_spawn_add applies, for a coordinator to check before it asks a node.
bool zs_spawn_ids_fit(const char *prefix, const char *type, unsigned count);

//  The restart delay after quick_exits quick exits in a row, in ms: the backoff above,
//  with random (any 64 bits) choosing the jitter. Pure; exposed for tests.
int64_t zs_spawn_backoff_ms(const zs_supervision_t *supervision,
                            unsigned quick_exits,
                            uint64_t random);

#endif
