//  zs_ctl - the zswarmctl command line: parse it, run one command, say how it went
//
//  zswarmctl [-e ENDPOINT] [--json] [--timeout MS] [--cert F --server-key K] COMMAND
//  [ARGS]
//
//  Commands live in one table (name, operands, options, handler); the same table drives
//  dispatch and --help. Every input is validated where it enters, before anything is
//  sent, and a bad one is a one-line message naming the problem and exit status 2. The
//  exit status is the contract scripts rely on (docs/ctl.md):
//    0  the command did what was asked (a waited task completed, a vote decided);
//    1  a waited task ended dead or cancelled, a vote ended without a decision, or
//       zswarmd refused the request;
//    2  usage error, or zswarmd could not be reached or did not reply in time (a vote
//       still open when the wait ran out).
//  Results go to the out stream, diagnostics (and a task's stderr) to the err stream.

#ifndef ZS_CTL_H
#define ZS_CTL_H

#include <stdio.h>

#include "proto/zs_msg.h"

#define ZS_CTL_ENDPOINT_ENV     "ZSWARM_CONTROL"        //  overrides the default
#define ZS_CTL_CERT_ENV         "ZSWARM_CERT"           //  default of --cert
#define ZS_CTL_SERVER_KEY_ENV   "ZSWARM_SERVER_KEY"     //  default of --server-key
#define ZS_CTL_ENDPOINT_DEFAULT "tcp://127.0.0.1:7602"  //  zswarmd's default control
#define ZS_CTL_EVENTS_ENV       "ZSWARM_EVENTS"  //  events endpoint (mem watch, vote --wait)
#define ZS_CTL_EVENTS_DEFAULT   "tcp://127.0.0.1:7601"  //  zswarmd's default events
#define ZS_CTL_TIMEOUT_MS       5000                    //  default wait for a reply
#define ZS_CTL_CHILDREN_SHOWN   100             //  children whose states `task` asks for
#define ZS_CTL_TIMEOUT_MAX_MS   ZS_MSG_TMO_MAX  //  one day: largest --timeout

typedef enum {
    ZS_CTL_EXIT_OK = 0,      //  done; every waited task completed, the vote decided
    ZS_CTL_EXIT_FAILED = 1,  //  a task ended dead or cancelled, a vote undecided, or
                             //  the request was refused
    ZS_CTL_EXIT_USAGE = 2,   //  bad command line, no connection or no reply
} zs_ctl_exit_t;

//  Where a run reads and writes
typedef struct {
    FILE *in;   //  payload for "submit --payload -"
    FILE *out;  //  results: ids, records, task output, JSON
    FILE *err;  //  diagnostics and the stderr of waited tasks
} zs_ctl_streams_t;

//  Run one zswarmctl command line: argv[0] is the program name. argv is permuted while
//  parsing. Returns a zs_ctl_exit_t.
int zs_ctl_run(int argc, char **argv, const zs_ctl_streams_t *streams);

#endif
