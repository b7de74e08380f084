//  zs_taskfiles - an exec attempt's inputs and checkpoint as files
//
//  A task.assign may carry the results of the tasks a task takes as input and the
//  last checkpoint an earlier attempt saved (PROTOCOL.md §7.1, §7.3). An exec command
//  reads them as files, in a directory private to the attempt (mkdtemp under $TMPDIR
//  or /tmp, mode 0700): `index.json`, an array with one object per input in the order
//  asked ({"task", "status", "exit", "file"}), and that input's stdout in `file`
//  (`input-1`, `input-2`, ...); the checkpoint in `checkpoint`. The environment names
//  them: ZSWARM_INPUTS the directory (when there are inputs), ZSWARM_CHECKPOINT the
//  checkpoint's file (when there is one). The directory goes when the attempt ends.
//  The files are written at once, in the loop: at most 1 MiB of inputs and 64 KiB of
//  checkpoint, what the payload's own copy costs already.

#ifndef ZS_TASKFILES_H
#define ZS_TASKFILES_H

#include "proto/zs_msg.h"
#include "common/zs_util.h"

#define ZS_TASKFILES_ENV_MAX 2  //  variables zs_taskfiles_write may set

//  What one attempt was given as files
typedef struct {
    char *dir;                        //  owned path of the directory, or NULL
    char *env[ZS_TASKFILES_ENV_MAX];  //  owned "NAME=VALUE" entries
    size_t env_count;                 //  how many are set
} zs_taskfiles_t;

//  Write assign's inputs and checkpoint (borrowed) into a new private directory, when
//  it carries either, and fill self (which must be zeroed). Returns 0, or -1 with err
//  saying what could not be made (self is then empty).
int zs_taskfiles_write(zs_taskfiles_t *self, const zs_msg_t *assign, zs_error_t *err);

//  Remove the directory and what it holds, free what self owns, leave it empty.
void zs_taskfiles_remove(zs_taskfiles_t *self);

#endif
