//  zs_coord_replay - the journal read back at start: the task table and the shared
//  memory rebuilt from its records (zs_durable says what they are)
//
//  Records are applied in order: a submit makes a task (the first of an id that had not
//  ended stands; one of an id that had ended replaces it), a wait.ok ends one or keeps
//  the result of one compaction kept alone, a task.result gives back an item's result an
//  aggregate had collected, mem.put and mem.del rebuild the memory. Then the unfinished
//  tasks are started again in submit order (execution is at-least-once): pending ones
//  are linked to their dependencies, the others queued.

#ifndef ZS_COORD_REPLAY_H
#define ZS_COORD_REPLAY_H

#include "coordinator/zs_coord.h"

//  Open the swarm's journal, if it names one, and rebuild from it. damage says what to
//  do with damage that valid records follow. Returns 0, or -1 with err filled.
int zs_coord_replay(zs_coord_t *self, zs_journal_damage_t damage, zs_error_t *err);

#endif
