//  zs_llm_ops - the llm handler as the agent runs it: welcome, the wire, libcurl
//
//  zs_llm does the work and no I/O. This module binds it to the agent: the type's
//  settings from welcome (providers, prompts, retries, budget), the messages the
//  protocol has for it (provider.report, task.progress text, the result's provider and
//  tokens, provider.state from the coordinator), and its calls to libcurl transfers in
//  the agent's loop through zs_xfer. A transfer is found by its call id or its easy
//  handle, never through a pointer a loop callback carries; libcurl's own callbacks
//  get the transfer, which lives until its handle is out of the multi. The header list
//  libcurl keeps holds the API key: it is wiped before it is freed.

#ifndef ZS_LLM_OPS_H
#define ZS_LLM_OPS_H

#include "agent/zs_handler.h"

//  The llm handler for the runtime's handler table.
extern const zs_handler_ops_t zs_llm_ops;

#endif
