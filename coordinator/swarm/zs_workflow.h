//  zs_workflow - a swarm file's 'workflow': named tasks with dependencies, run at start
//
//  Each step is a task zswarmd submits itself when it starts, under the step's id; a
//  step that is known already (the journal has it) is not submitted again, so a restart
//  does not run a workflow twice while its steps' results are kept. Steps may name their
//  dependencies in any order in the file; the reader refuses unknown ones and cycles, and
//  keeps the steps in an order where every step follows its dependencies (file order
//  where the graph leaves a choice), which is the order they are submitted in.

#ifndef ZS_WORKFLOW_H
#define ZS_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>

#include "coordinator/swarm/zs_yaml.h"

#define ZS_WORKFLOW_STEPS_MAX 1000  //  steps in one workflow

typedef struct {
    char *id;             //  task id, owned
    char *type;           //  task type, owned
    char *payload;        //  task input as text, owned, or NULL
    char **deps;          //  ids of the steps it waits for, owned (NULL-terminated)
    size_t dep_count;     //  items in deps, its inputs among them
    char **inputs;        //  ids of the steps whose results it takes, owned
    size_t input_count;   //  items in inputs
    unsigned timeout_ms;  //  one attempt's timeout; 0: the swarm's
    unsigned retries;     //  attempts after the first, when retries_set
    bool retries_set;     //  'retries' was given
} zs_workflow_step_t;

typedef struct {
    zs_workflow_step_t *steps;  //  owned, every step after its dependencies
    size_t count;               //  items in steps
} zs_workflow_t;

//  The reader of the 'workflow' key for zs_swarm's key table: target is a
//  zs_workflow_t. Returns 0, or -1 after zs_yaml_fail (FILE:LINE:COL: message).
int zs_workflow_read(zs_yaml_t *ctx,
                     const zs_yaml_key_t *key,
                     yaml_node_t *node,
                     void *target);

//  Free what self holds and leave it empty.
void zs_workflow_fini(zs_workflow_t *self);

#endif
