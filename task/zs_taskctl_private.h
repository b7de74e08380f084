//  zs_taskctl_private - what zswarm-task's files share (task/ only)
//
//  zs_taskctl.c parses the command line against its tables and runs a command;
//  zs_taskctl_chan.c speaks the task's channel; zs_taskctl_cmds.c holds the commands.
//  Each command fills a request from the run's options and operands, asks through the
//  channel and prints the reply (its bytes, or JSON with --json).

#ifndef ZS_TASKCTL_PRIVATE_H
#define ZS_TASKCTL_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/zs_opts.h"
#include "ctl/zs_items.h"
#include "proto/zs_frame.h"
#include "task/zs_taskctl.h"

//  One run: the options given, the operands, the channel
typedef struct {
    const zs_taskctl_streams_t *io;  //  borrowed
    bool json;                       //  --json: replies as JSON lines
    bool wait;                       //  --wait
    const char *tags;                //  --tags T,...
    zs_opts_int_t ttl;               //  --ttl MS
    const char *access;              //  --access A
    zs_opts_int_t version;           //  --version N
    zs_opts_int_t amount;            //  --amount N
    zs_opts_int_t half_life;         //  --half-life MS
    zs_opts_int_t top;               //  --top N
    const char *voters;              //  --voters T,...
    const char *strategy;            //  --strategy S
    zs_opts_int_t deadline;          //  --deadline MS
    const char *id;                  //  --id ID
    zs_opts_int_t confidence;        //  --confidence N
    zs_opts_int_t weight;            //  --weight N
    const char *inputs;              //  --inputs T,...
    const char *deps;                //  --deps T,...
    char **operands;                 //  the command's operands, borrowed from argv
    int operand_count;               //  their number
    zs_names_t names;                //  a list option split, owned
    zs_names_t more_names;           //  a second one (submit: --deps), owned
    uint8_t *data;                   //  a payload read, owned
    size_t size;                     //  its length
    int fd;                          //  the channel, -1 before it is found
    zs_frame_buf_t buf;              //  bytes of the channel, one way at a time
} zs_taskctl_run_t;

#define ZS_TASKCTL_OFF(member) offsetof(zs_taskctl_run_t, member)

//  Print "zswarm-task: message" on the err stream and return code
__attribute__((format(printf, 3, 4))) int
zs_taskctl_say(zs_taskctl_run_t *self, int code, const char *format, ...);

//  ---- the channel (zs_taskctl_chan.c) ------------------------------------------------

//  Send request; print a refusal (error) with its code and why. Returns a
//  zs_taskctl_exit_t; on ZS_TASKCTL_EXIT_OK the caller owns reply and finishes it.
int zs_taskctl_request(zs_taskctl_run_t *self, zs_msg_t *request, zs_msg_t *reply);

//  Send a request that gets no reply. Returns a zs_taskctl_exit_t.
int zs_taskctl_tell(zs_taskctl_run_t *self, zs_msg_t *request);

//  Print reply (JSON with --json, else by print, which may be NULL), finish it.
//  Returns ZS_TASKCTL_EXIT_OK.
int zs_taskctl_show(zs_taskctl_run_t *self,
                    zs_msg_t *reply,
                    void (*print)(zs_taskctl_run_t *self, const zs_msg_t *reply));

//  ---- operands and output (zs_taskctl.c) ---------------------------------------------

//  Operand i, or NULL when there are fewer
const char *zs_taskctl_operand(const zs_taskctl_run_t *self, int i);

//  Read the payload operand i (text, or standard input for '-') into self->data, at
//  most max bytes. Returns a zs_taskctl_exit_t, having said why it is not OK.
int zs_taskctl_payload(zs_taskctl_run_t *self, int i, size_t max);

//  Check that name is a task, agent or type name. Returns a zs_taskctl_exit_t.
int zs_taskctl_check_name(zs_taskctl_run_t *self, const char *what, const char *name);

//  Split list (an option's value, or NULL) into names (one of self's) and point into
//  at them. Returns a zs_taskctl_exit_t.
int zs_taskctl_names(zs_taskctl_run_t *self,
                     zs_names_t *names,
                     const char *option,
                     const char *list,
                     size_t max,
                     zs_msg_list_t *into);

//  Bytes as they are, and a list one item a line, on the out stream
void zs_taskctl_print_bytes(zs_taskctl_run_t *self, const uint8_t *data, size_t size);
void zs_taskctl_print_lines(zs_taskctl_run_t *self, const zs_msg_list_t *list);

//  ---- the commands (zs_taskctl_cmds.c): each returns a zs_taskctl_exit_t ------------

int zs_taskctl_progress(zs_taskctl_run_t *self);
int zs_taskctl_mem_get(zs_taskctl_run_t *self);
int zs_taskctl_mem_put(zs_taskctl_run_t *self);
int zs_taskctl_mem_del(zs_taskctl_run_t *self);
int zs_taskctl_mem_query(zs_taskctl_run_t *self);
int zs_taskctl_mem_deposit(zs_taskctl_run_t *self);
int zs_taskctl_send(zs_taskctl_run_t *self);
int zs_taskctl_share(zs_taskctl_run_t *self);
int zs_taskctl_inbox(zs_taskctl_run_t *self);
int zs_taskctl_vote_propose(zs_taskctl_run_t *self);
int zs_taskctl_vote_cast(zs_taskctl_run_t *self);
int zs_taskctl_vote_status(zs_taskctl_run_t *self);
int zs_taskctl_wait(zs_taskctl_run_t *self);
int zs_taskctl_submit(zs_taskctl_run_t *self);
int zs_taskctl_cancel(zs_taskctl_run_t *self);
int zs_taskctl_task(zs_taskctl_run_t *self);
int zs_taskctl_checkpoint_save(zs_taskctl_run_t *self);
int zs_taskctl_checkpoint_clear(zs_taskctl_run_t *self);
int zs_taskctl_checkpoint_load(zs_taskctl_run_t *self);

#endif
