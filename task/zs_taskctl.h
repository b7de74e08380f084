//  zs_taskctl - zswarm-task: what an exec task asks its agent, from a shell
//
//  A process of an exec task finds its channel to its agent in $ZSWARM_TASK_FD
//  (PROTOCOL.md §13) and speaks it one request at a time: a frame out, then, for the
//  requests that get one, frames in until the reply with its rid. The agent forwards
//  the request under its own identity, so a refusal is the coordinator's, and is
//  printed with its code and why. Processes of one task share the channel: two
//  zswarm-task runs of one task at the same moment may take each other's replies, so
//  a task runs them one after another (docs/task.md).

#ifndef ZS_TASKCTL_H
#define ZS_TASKCTL_H

#include <stdio.h>

//  Exit statuses
typedef enum {
    ZS_TASKCTL_EXIT_OK = 0,       //  done
    ZS_TASKCTL_EXIT_REFUSED = 1,  //  refused (the error's code and why are printed),
                                  //  nothing to give (no checkpoint, an empty inbox),
                                  //  or no channel (not in a task, or it ended)
    ZS_TASKCTL_EXIT_USAGE = 2,    //  a bad command line
} zs_taskctl_exit_t;

//  Where a run reads and writes (borrowed)
typedef struct {
    FILE *in;   //  payloads given as '-'
    FILE *out;  //  results
    FILE *err;  //  diagnostics
} zs_taskctl_streams_t;

//  Run the command line argv[0..argc) (argv[0] the program). Returns a
//  zs_taskctl_exit_t.
int zs_taskctl_run(int argc, char **argv, const zs_taskctl_streams_t *streams);

#endif
