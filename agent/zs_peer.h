//  zs_peer - what zswarm-agent and zswarm-node share as processes
//
//  Both programs are one session with a coordinator (zs_session) in one zloop, take
//  their signals from a signalfd in that loop, and stop on SIGTERM, SIGINT or SIGHUP,
//  saying bye as they go. zs_peer is that part, from main to the exit status. The
//  owner (zs_agent, zs_node) is what differs; it joins in through two tables: its
//  program (command line, checks, how it is made, run and destroyed) and its ops (the
//  session's callbacks, reaping children, and what a stop means to it).
//
//  zs_peer_main runs a program: the signals are taken before any thread exists, so
//  that libzmq's threads inherit the blocked mask; the command line is parsed
//  (zs_opts) and checked; czmq's signal handler is turned off and logging set up; then
//  the owner is made, run and destroyed. Exit status: ZS_EXIT_OK after a stop as
//  asked; ZS_EXIT_USAGE for a bad command line, an endpoint libzmq refuses or a
//  certificate that cannot be used; ZS_EXIT_FAIL for any other failure.
//
//  A zs_peer_t is the part of the owner that runs: the owner makes one in its
//  constructor and borrows its loop and session. A stop begins once (a signal, or the
//  owner's zs_peer_stop); the run ends when the owner says it is done, at once unless
//  its ops say otherwise (a node waits for its agents), and the session says bye.

#ifndef ZS_PEER_H
#define ZS_PEER_H

#include <czmq.h>
#include <stdbool.h>

#include "agent/zs_session.h"
#include "common/zs_opts.h"
#include "common/zs_util.h"

typedef struct _zs_peer_t zs_peer_t;

//  What a peer is made with, the part of an agent's and a node's configs that is the
//  same; strings are copied (or read) by zs_peer_new
typedef struct {
    const char *endpoint;    //  coordinator's agents socket, e.g. tcp://127.0.0.1:7600
    const char *cert;        //  our secret certificate for CURVE, or NULL for plain
    const char *server_key;  //  coordinator's key: Z85 or its certificate; with cert
    int signal_fd;           //  from zs_proc_signals_take; borrowed, -1 for none
    bool debug;              //  log debug lines (zs_log_init said so)
} zs_peer_config_t;

//  The owner's part of a running peer. Every callback gets the owner back.
typedef struct {
    zs_msg_type_t hello_type;    //  ZS_MSG_HELLO for agents, ZS_MSG_NODE_HELLO for nodes
    zs_msg_type_t welcome_type;  //  ZS_MSG_WELCOME, or ZS_MSG_NODE_WELCOME
    zs_session_ops_t session;    //  hello, welcome, messages and load (zs_session.h)
    void (*reap)(void *owner);   //  SIGCHLD came: reap the owner's children
    void (*stop)(void *owner);   //  a stop began: stop what the owner runs; may be NULL
    bool (*done)(void *owner);   //  whether a stopping peer's run may end; NULL: at once
} zs_peer_ops_t;

//  A peer program, for zs_peer_main: what its main does that others do not. args is
//  the caller's struct that the command line is parsed into.
typedef struct {
    const zs_opts_program_t *cli;  //  options, operands, --help and --version
    //  After parsing: check what the table cannot (forms of names, files) and fill in
    //  defaults. Returns 0, or -1 with err saying what is wrong (a usage error).
    int (*check)(void *args, zs_error_t *err);
    //  Make, run and destroy the owner. Returns 0 after a stop as asked; -1 when it
    //  could not be made, with err filled (its code a zs_session_code_t); or -1 with
    //  err empty when its run failed, which the run logged.
    int (*serve)(void *args, zs_error_t *err);
} zs_peer_program_t;

//  Run program as its main: parse argv into args, of which peer is the part zs_peer
//  checks (--cert and --server-key go together) and fills (signal_fd, debug), then
//  serve. Call first in main: no thread may exist yet. Returns the exit status.
int zs_peer_main(const zs_peer_program_t *program,
                 int argc,
                 char **argv,
                 void *args,
                 zs_peer_config_t *peer);

//  Make a peer: a zloop, and a session on it that has not said hello yet. ops is
//  copied; owner is borrowed. Returns the peer, or NULL with err filled (its code a
//  zs_session_code_t).
zs_peer_t *zs_peer_new(const zs_peer_config_t *config,
                       const zs_peer_ops_t *ops,
                       void *owner,
                       zs_error_t *err);

//  Destroy the session and the loop; sets *self_p to NULL. Accepts NULL. Whatever the
//  owner put on the loop must be gone first.
void zs_peer_destroy(zs_peer_t **self_p);

//  The loop, borrowed for the peer's life.
zloop_t *zs_peer_loop(zs_peer_t *self);

//  The session, borrowed for the peer's life.
zs_session_t *zs_peer_session(zs_peer_t *self);

//  Begin a stop, for why (a static string, sent in bye), unless one began already:
//  logs it and calls ops.stop. The run ends once ops.done says so, checked after each
//  signal; an owner that stops from a loop callback of its own ends the loop itself.
void zs_peer_stop(zs_peer_t *self, const char *why);

//  True once a stop began.
bool zs_peer_stopping(zs_peer_t *self);

//  Say hello and run the loop until the stop is done, then say bye. Returns 0 after a
//  stop, -1 when the loop itself failed (logged).
int zs_peer_run(zs_peer_t *self);

#endif
