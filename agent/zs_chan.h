//  zs_chan - each exec attempt's private channel to its agent (PROTOCOL.md §13)
//
//  An exec task's process may ask its agent for what an agent may do: report progress,
//  save a checkpoint, submit subtasks and wait for them, use the shared memory, message
//  its neighbours, vote, read the messages its agent received. Each attempt gets an AF_UNIX stream socketpair: the agent keeps one end
//  (close-on-exec, non-blocking, polled from its zloop), the child gets the other as
//  fd ZS_PROC_PASS_FD. Both ways carry zs_frame frames: the wire's own maps, decoded
//  and validated exactly as on the agents socket.
//
//  The agent speaks for its tasks: a request is forwarded under the agent's session,
//  with the fields that say who asks (task and att, or parent) filled in by the agent
//  whatever the task put there, and its rid replaced by one of the hub's, so the coordinator applies
//  the agent's topology, access and limits, and the reply finds its way back with the
//  task's own rid. Which types are forwarded, and what is filled in, is one table in
//  zs_chan.c. A channel is closed when its attempt ends or is cancelled: a leftover
//  process of the task then writes to nothing, and replies still due are dropped.
//  A broken stream (a length of 0 or over 4 MiB), or replies the task does not read
//  piling past ZS_CHAN_OUT_MAX, closes that channel alone, with a logged reason.
//  While a forwarded `wait` (which names the attempt's task as parent) is unanswered,
//  the attempt lends its slot: the exec handler does not count it, as the coordinator
//  does not, so a child can run on its parent's agent at concurrency 1.
//
//  `msg` messages the agent receives while a channel is open are kept in one bounded
//  inbox (ZS_CHAN_INBOX_MAX messages, ZS_CHAN_INBOX_BYTES bytes) for the first task
//  that asks (`inbox`).

#ifndef ZS_CHAN_H
#define ZS_CHAN_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/zs_handler.h"

#define ZS_CHAN_PENDING_MAX 64          //  requests of one channel awaiting replies
#define ZS_CHAN_OUT_MAX     (8u << 20)  //  reply bytes a task may leave unread
#define ZS_CHAN_INBOX_MAX   256         //  messages the inbox keeps
#define ZS_CHAN_INBOX_BYTES (1u << 20)  //  payload bytes the inbox keeps

typedef struct _zs_chan_t zs_chan_t;

//  Create the channels' hub, polling in loop (borrowed), forwarding through
//  sink->send (copied). Never returns NULL.
zs_chan_t *zs_chan_new(zloop_t *loop, const zs_handler_sink_t *sink);

//  Close every channel, free the hub, set *self_p to NULL. Accepts NULL.
void zs_chan_destroy(zs_chan_t **self_p);

//  Open attempt att of task's channel. Returns the child's end (close-on-exec; the
//  caller passes it on to the child, then closes it), or -1 with errno set.
int zs_chan_open(zs_chan_t *self, const char *task, uint64_t att);

//  Close the attempt's channel, if open: its replies still due are dropped.
void zs_chan_close(zs_chan_t *self, const char *task, uint64_t att);

//  True while the attempt waits on a forwarded `wait` naming it as parent: its slot is
//  lent to the tasks it waits for (the coordinator does not count it either).
bool zs_chan_lending(zs_chan_t *self, const char *task, uint64_t att);

//  A message from the coordinator (borrowed): a reply to a forwarded request, by its
//  rid, or a `msg` for the inbox. Returns true when it was the hub's.
bool zs_chan_recv(zs_chan_t *self, const zs_msg_t *msg);

#endif
