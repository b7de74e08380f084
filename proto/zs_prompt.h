//  zs_prompt - prompt templates: the task's payload and shared memory entries in text
//
//  An llm agent type's prompt is a template: text with placeholders that the agent
//  fills for each task. `{{payload}}` is the task's payload; `{{memory.KEY}}` is the
//  value of the shared memory entry under KEY, which the agent fetches (mem.get) before
//  it renders. Spaces or tabs just inside the braces are allowed: `{{ payload }}`.
//
//  What starts a placeholder: `{{`, optional spaces or tabs, then an ASCII letter. It
//  runs to the first `}}` and must name one of the two forms above; anything else
//  (`{{paylod}}`, an unclosed `{{payload`) makes the whole template invalid, so a typo
//  is found when the template is loaded rather than sent to a model. A `{{` not
//  followed by a letter (`{{1, 2}, {3, 4}}` in C code, `{{{`) is plain text. KEY follows
//  the shared memory's key rule (PROTOCOL.md §8.1): 1..ZS_MSG_KEY_MAX bytes of UTF-8
//  without NUL; in a template it cannot contain `}}`, and spaces around it are trimmed.
//
//  The module is pure (no sockets, no loop, no clock) and lives in proto/ so that the
//  coordinator can check the templates of a swarm file at load with the same parser the
//  agent renders with. A parsed template lists the distinct keys it needs, in order of
//  first use, for the agent to fetch.

#ifndef ZS_PROMPT_H
#define ZS_PROMPT_H

#include <stddef.h>
#include <stdint.h>

#include "common/zs_util.h"

#define ZS_PROMPT_TEXT_MAX     (64u << 10)    //  bytes of a template (welcome's bound)
#define ZS_PROMPT_KEYS_MAX     32             //  distinct memory keys one template names
#define ZS_PROMPT_RENDERED_MAX (4u << 20)     //  bytes of a rendered prompt
#define ZS_PROMPT_DEFAULT      "{{payload}}"  //  the template of a type that names none

//  Error codes (zs_error_t.code) of this module's refusals
typedef enum {
    ZS_PROMPT_E_TEMPLATE = 1,  //  the template is not valid (zs_prompt_new)
    ZS_PROMPT_E_VALUE = 2,     //  a value cannot go into the text: not UTF-8, or a NUL
    ZS_PROMPT_E_SIZE = 3,      //  the rendered text would pass ZS_PROMPT_RENDERED_MAX
} zs_prompt_code_t;

//  A parsed template
typedef struct _zs_prompt_t zs_prompt_t;

//  Bytes that fill a placeholder (borrowed); data may be NULL when size is 0
typedef struct {
    const uint8_t *data;  //  the bytes
    size_t size;          //  their length
} zs_prompt_value_t;

//  Parse size bytes of text as a template. Returns a new template (the caller destroys
//  it), or NULL with err->code ZS_PROMPT_E_TEMPLATE and err->text saying what and at
//  which byte offset, e.g. "unknown placeholder '{{paylod}}' at byte 6 (use {{payload}}
//  or {{memory.KEY}})".
zs_prompt_t *zs_prompt_new(const char *text, size_t size, zs_error_t *err);

//  Free a template and set *self_p to NULL. Accepts NULL and a NULL *self_p.
void zs_prompt_destroy(zs_prompt_t **self_p);

//  The distinct memory keys the template names, in order of first use
size_t zs_prompt_key_count(const zs_prompt_t *self);

//  Key number index (< zs_prompt_key_count), a C string borrowed from the template
const char *zs_prompt_key(const zs_prompt_t *self, size_t index);

//  Fill the template: payload for {{payload}}, values[i] for key i. Every value must be
//  UTF-8 text without NUL, since the prompt travels as a JSON string. Returns a new
//  NUL-terminated text (the caller frees it) and its length in *size_p, or NULL with
//  err->code ZS_PROMPT_E_VALUE (naming the payload or the key) or ZS_PROMPT_E_SIZE.
char *zs_prompt_render(const zs_prompt_t *self,
                       zs_prompt_value_t payload,
                       const zs_prompt_value_t *values,
                       size_t *size_p,
                       zs_error_t *err);

#endif
