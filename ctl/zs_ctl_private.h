//  zs_ctl_private - what the files of zswarmctl share: one run's parsed command line
//  and connection, and the helpers commands use to ask zswarmd and say how it went.
//  zs_ctl.c parses and dispatches; zs_ctl_submit.c is the submit and wait commands
//  (zs_ctl_follow.c what submit --wait shows while the task runs),
//  zs_ctl_mem.c the mem command, zs_ctl_vote.c the vote command. Nothing else includes
//  it.

#ifndef ZS_CTL_PRIVATE_H
#define ZS_CTL_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/zs_bar.h"
#include "ctl/zs_client.h"
#include "ctl/zs_ctl.h"
#include "ctl/zs_items.h"
#include "common/zs_opts.h"

#define ZS_CTL_COUNT(array) (sizeof(array) / sizeof(array)[0])

//  One run: the parsed command line, then the connection
typedef struct {
    const char *endpoint;        //  -e/--endpoint, else $ZSWARM_CONTROL, else default
    bool json;                   //  --json: replies as JSON lines
    zs_opts_int_t timeout;       //  --timeout before the command: wait for replies, ms
    const char *cert;            //  --cert, else $ZSWARM_CERT: our secret certificate
    const char *server_key;      //  --server-key, else $ZSWARM_SERVER_KEY
    const char *type;            //  submit, broadcast, pause and resume --type
    const char *payload;         //  submit --payload (TEXT, or "-" for stdin)
    const char *payload_file;    //  submit --payload-file
    const char *id;              //  submit --id, vote propose --id
    const char *agent;           //  submit --agent: the one agent to run it
    const char *capability;      //  agents --capability: only the agents that have it
    zs_opts_int_t priority;      //  submit --priority
    zs_opts_int_t task_timeout;  //  submit --timeout: one attempt, ms
    zs_opts_int_t retries;       //  submit --retries
    bool wait;                   //  submit --wait, vote propose --wait
    bool follow;                 //  submit --follow: print the streamed text
    bool dot;                    //  topology --dot
    int64_t count;               //  scale's N
    const char *node;            //  scale --node: a node daemon's agents, not local ones
    uint8_t *payload_data;       //  submit's payload as read, owned, or NULL
    size_t payload_size;         //  bytes in payload_data
    const char *deps;            //  submit --deps: ID,ID,...
    const char *inputs;          //  submit --inputs: ID,ID,...
    const char *requires;        //  submit --requires: CAP,CAP,...
    const char *strategy;        //  submit --strategy, vote propose --strategy
    const char *each;            //  submit --each: a file of items, one per line
    const char *agg;             //  submit --agg: the aggregate's task type
    const char *tags;            //  mem --tags: TAG,TAG,...
    zs_names_t tag_names;        //  --tags split, owned
    zs_opts_int_t ttl;           //  mem put --ttl, ms
    const char *access;          //  mem put --access
    zs_opts_int_t version;       //  mem put/del --version: compare-and-set
    zs_opts_int_t amount;        //  mem deposit --amount
    zs_opts_int_t half_life;     //  mem deposit --half-life, ms
    zs_opts_int_t top;           //  mem query --top: the strongest signals
    const char *events;          //  mem watch, vote propose, submit --events, else env
    const char *voters;          //  vote propose --voters: TYPE,TYPE,...
    zs_names_t voter_names;      //  --voters split, owned
    zs_opts_int_t deadline;      //  vote propose --deadline: ms the vote stays open
    zs_names_t dep_names;        //  --deps split, owned
    zs_names_t input_names;      //  --inputs split, owned
    zs_names_t require_names;    //  --requires split, owned
    zs_items_t items;            //  --each read, owned
    char **operands;             //  command operands (task ids), borrowed from argv
    int operand_count;           //  items in operands
    const zs_ctl_streams_t *io;  //  where to read and write, borrowed
    zs_client_t *client;         //  connection to zswarmd, owned, made after parsing
} zs_ctl_run_t;

#define ZS_CTL_OFF(field) offsetof(zs_ctl_run_t, field)

//  Print "zswarmctl: message" on the err stream and return code.
int zs_ctl_say(zs_ctl_run_t *self, int code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

//  --timeout if it was given, else fallback (ms).
int64_t zs_ctl_timeout_or(zs_ctl_run_t *self, int64_t fallback);

//  Fail unless id is 1..ZS_MSG_NAME_MAX characters of [A-Za-z0-9._:-]: returns 0, or
//  -1 after saying "what: expected ...".
int zs_ctl_check_id(zs_ctl_run_t *self, const char *what, const char *id);

//  Map a zs_client outcome (rc, with reply and err as it left them) to a zs_ctl_exit_t,
//  saying what went wrong; a refusal is also printed as JSON with --json.
int
zs_ctl_outcome(zs_ctl_run_t *self, int rc, const zs_msg_t *reply, const zs_error_t *err);

//  Send request and wait for its reply. Returns a zs_ctl_exit_t; on ZS_CTL_EXIT_OK the
//  caller owns reply and finishes it. A refusal is said (and printed as JSON with
//  --json).
int zs_ctl_request(zs_ctl_run_t *self,
                   zs_msg_t *request,
                   zs_msg_t *reply,
                   int64_t timeout_ms);

//  Send request and wait for its reply (the default timeout, or --timeout); with
//  --json print it. Returns a zs_ctl_exit_t; on ZS_CTL_EXIT_OK the caller owns reply,
//  shows it unless --json, and finishes it.
int zs_ctl_run_reply(zs_ctl_run_t *self, zs_msg_t *request, zs_msg_t *reply);

//  Send request and show its reply with show, or as JSON with --json. Returns a
//  zs_ctl_exit_t.
int zs_ctl_run_shown(zs_ctl_run_t *self,
                     zs_msg_t *request,
                     void (*show)(const zs_msg_t *reply, FILE *stream));

//  Read the input text (a TEXT, "-" for the in stream) or file (path) into an owned
//  buffer (NULL when neither was given). Returns 0, or -1 after saying why.
int zs_ctl_read_payload(zs_ctl_run_t *self, uint8_t **data_p, size_t *size_p);

//  A client of zswarmd's events socket (--events, $ZSWARM_EVENTS, or the default),
//  subscribed to topic, with the run's credentials. Owned by the caller; NULL with err
//  filled.
zs_client_t *zs_ctl_watch(zs_ctl_run_t *self, const char *topic, zs_error_t *err);

//  Write size bytes as they are, if any.
void zs_ctl_write(FILE *stream, const uint8_t *data, size_t size);

//  Print a final task (a wait.ok): its output, or its JSON. Returns ZS_CTL_EXIT_OK when
//  it completed, else ZS_CTL_EXIT_FAILED after saying how it ended. In zs_ctl.c.
int zs_ctl_print_final(zs_ctl_run_t *self, const zs_msg_t *reply);

//  zs_ctl_print_final without the output: the exit status, said unless it completed.
int zs_ctl_final_code(zs_ctl_run_t *self, const zs_msg_t *reply);

//  True when stream is a terminal (a stream without a file descriptor is not).
bool zs_ctl_is_terminal(FILE *stream);

//  The submit and wait commands (zs_ctl_submit.c): submit's options, its check and its
//  run; wait's run.
#define ZS_CTL_SUBMIT_OPTIONS 17  //  items in zs_ctl_submit_options
extern const zs_opts_option_t zs_ctl_submit_options[ZS_CTL_SUBMIT_OPTIONS];
int zs_ctl_submit_check(zs_ctl_run_t *self);
int zs_ctl_submit_run(zs_ctl_run_t *self);
int zs_ctl_wait_run(zs_ctl_run_t *self);

//  What submit --wait shows while the task runs (zs_ctl_follow.c), from its
//  task.progress events: a bar on the err stream when that is a terminal (and, with
//  --follow, the out stream is not: the text would cut through it), and with --follow
//  the streamed text on the out stream (JSON: each event's line) as it comes.
typedef struct {
    zs_ctl_run_t *run;               //  the run, borrowed
    zs_client_t *watcher;            //  subscribed to task.progress, owned; NULL: none
    char task[ZS_MSG_NAME_MAX + 1];  //  the task's id, once submit.ok told it
    bool bar_shown;                  //  a bar is drawn on the err stream
    zs_bar_t bar;                    //  that bar
    uint64_t att;                    //  the attempt whose text is followed
    uint8_t *text;    //  that attempt's first ZS_MSG_OUTPUT_MAX bytes, owned
    size_t followed;  //  bytes of that attempt's text printed, all of them
    bool fresh;       //  no earlier attempt printed text before this one's
    bool printed;     //  --follow printed text on the out stream
    char last;        //  the last byte it printed
} zs_ctl_follow_t;

//  Start showing for run: subscribe to task.progress (--events, $ZSWARM_EVENTS or the
//  default) when there is anything to show, before the submit, so that no event is
//  missed once the subscription is in effect. Returns 0, or -1 after saying why.
int zs_ctl_follow_init(zs_ctl_follow_t *self, zs_ctl_run_t *run);

//  Unsubscribe and free what self holds.
void zs_ctl_follow_fini(zs_ctl_follow_t *self);

//  Show an event if it is a task.progress of self->task (events of others are dropped).
void zs_ctl_follow_event(zs_ctl_follow_t *self, const zs_msg_t *event);

//  The task ended (a wait.ok): show the events already come, erase the bar, print the
//  task as zs_ctl_print_final does, but only the part of its stdout --follow did not
//  print (docs/ctl.md), and return zs_ctl_print_final's exit status.
int zs_ctl_follow_end(zs_ctl_follow_t *self, const zs_msg_t *reply);

//  The wait ended without the task's end (no reply in time, a refusal): erase the bar,
//  and end a line of followed text, so that the diagnostic starts a line.
void zs_ctl_follow_stop(zs_ctl_follow_t *self);

//  The mem command (zs_ctl_mem.c): its options, its check and its run.
#define ZS_CTL_MEM_OPTIONS 10  //  items in zs_ctl_mem_options
extern const zs_opts_option_t zs_ctl_mem_options[ZS_CTL_MEM_OPTIONS];
int zs_ctl_mem_check(zs_ctl_run_t *self);
int zs_ctl_mem_run(zs_ctl_run_t *self);

//  The broadcast, pause and resume commands (zs_ctl_pause.c): their option (--type),
//  checks and runs; pause and resume share a check.
#define ZS_CTL_PAUSE_OPTIONS 1  //  items in zs_ctl_pause_options
extern const zs_opts_option_t zs_ctl_pause_options[ZS_CTL_PAUSE_OPTIONS];
int zs_ctl_broadcast_check(zs_ctl_run_t *self);
int zs_ctl_broadcast_run(zs_ctl_run_t *self);
int zs_ctl_pause_check(zs_ctl_run_t *self);
int zs_ctl_pause_run(zs_ctl_run_t *self);
int zs_ctl_resume_run(zs_ctl_run_t *self);

//  The vote command (zs_ctl_vote.c): its options, its check and its run.
#define ZS_CTL_VOTE_OPTIONS 6  //  items in zs_ctl_vote_options
extern const zs_opts_option_t zs_ctl_vote_options[ZS_CTL_VOTE_OPTIONS];
int zs_ctl_vote_check(zs_ctl_run_t *self);
int zs_ctl_vote_run(zs_ctl_run_t *self);

#endif
