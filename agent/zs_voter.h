//  zs_voter - how an agent answers vote.ask (docs/votes.md)
//
//  The welcome says how its type votes (the swarm file's 'vote'): a fixed answer
//  (welcome.option), or a command (welcome.vote_argv: the type's own command for
//  'vote: handler', else 'vote: exec'). A fixed answer is cast at once when it is one
//  of the vote's options; otherwise the agent abstains. A command runs per vote with
//  the vote.ask as one line of JSON on stdin (keys as on the wire), killed at the
//  vote's deadline; the first word of its stdout is the option and the second, if
//  any, its confidence from 0 to 1. A command that fails, times out or prints nothing,
//  or whose answer is not one of the options or whose confidence is not in 0..1,
//  abstains. Commands run in the agent's loop like exec tasks (zs_exec), at most
//  ZS_VOTER_JOBS_MAX at once and one per vote id, and take no task slot. A command runs
//  until it answers or the deadline, even when the vote was settled before (nobody
//  tells the agent). An agent told nothing abstains. Abstentions are logged,
//  rate-limited.

#ifndef ZS_VOTER_H
#define ZS_VOTER_H

#include <czmq.h>
#include <stdbool.h>
#include <sys/types.h>

#include "proto/zs_msg.h"

#define ZS_VOTER_JOBS_MAX 16  //  vote commands running at once; more asks abstain

typedef struct _zs_voter_t zs_voter_t;

//  Where a ballot goes: a vote.cast, borrowed for the call
typedef void(zs_voter_cast_fn)(void *owner, const zs_msg_t *cast);

//  Create a voter that runs its commands in loop (borrowed) and hands each ballot to
//  cast with owner. It abstains until zs_voter_configure. Never returns NULL.
zs_voter_t *zs_voter_new(zloop_t *loop, zs_voter_cast_fn *cast, void *owner);

//  Kill every running command unreported, free the voter, set *self_p to NULL.
//  Accepts NULL.
void zs_voter_destroy(zs_voter_t **self_p);

//  Adopt the way to vote a welcome (borrowed) says: its option or its vote_argv.
void zs_voter_configure(zs_voter_t *self, const zs_msg_t *welcome);

//  Answer a vote.ask (borrowed): cast now, start the command, or abstain.
void zs_voter_ask(zs_voter_t *self, const zs_msg_t *ask);

//  Commands started and not yet ended.
size_t zs_voter_running(zs_voter_t *self);

//  A child was reaped: true when it ran one of the voter's commands.
bool zs_voter_reaped(zs_voter_t *self, pid_t pid, int status);

//  Kill every running command without casting (the agent stops).
void zs_voter_kill_all(zs_voter_t *self);

#endif
