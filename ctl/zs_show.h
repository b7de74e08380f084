//  zs_show - human-readable renderings of control replies, for zswarmctl
//
//  Records print as aligned "key: value" lines, lists of agents as a table whose columns
//  are as wide as their widest cell. Text that came from the wire (ids, hosts, reasons,
//  task output samples) is sanitised before it reaches a terminal, so a task cannot
//  send escape sequences to the user's screen through `zswarmctl task`. Machine-readable
//  output is zs_msg_print_json's job, not this module's.

#ifndef ZS_SHOW_H
#define ZS_SHOW_H

#include <stdbool.h>
#include <stdio.h>

#include "proto/zs_msg.h"

//  Print a status.ok reply as key: value lines.
void zs_show_status(const zs_msg_t *reply, FILE *stream);

//  Print an agents.ok reply as a table with a header line, one agent a row.
void zs_show_agents(const zs_msg_t *reply, FILE *stream);

//  Print a task.ok, wait.ok or cancel.ok reply as key: value lines; fields the reply
//  does not carry are left out.
void zs_show_task(const zs_msg_t *reply, FILE *stream);

//  Print one child of a task as an indented "ID  STATE" line: its task.ok reply, or
//  NULL when the coordinator no longer knows it.
void zs_show_child(const char *id, const zs_msg_t *reply, FILE *stream);

//  Print a running task's latest progress (a task.ok) as a bar line (zs_bar), when
//  it tells how far the task is (bytes of a total, or a percentage): for a terminal.
//  Returns false, printing nothing, otherwise.
bool zs_show_task_bar(const zs_msg_t *reply, FILE *stream);

//  Print a providers.ok reply: a table of the providers, a blank line, a table of the
//  budgets.
void zs_show_providers(const zs_msg_t *reply, FILE *stream);

//  Print a topology.ok reply: its kind, each agent's role and lead, then its links.
void zs_show_topology(const zs_msg_t *reply, FILE *stream);

//  Print a topology.ok reply as a Graphviz graph (DOT): agents, the links between
//  them, and dashed links from zswarmd to the agents it gives tasks to.
void zs_show_topology_dot(const zs_msg_t *reply, FILE *stream);

#endif
