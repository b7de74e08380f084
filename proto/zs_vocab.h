//  zs_vocab - the words of LLM providers that the swarm file, the wire, the agent and
//  the coordinator share: a provider's kind of API, how one call ended, and the state
//  of a provider's circuit (PROTOCOL.md §8.3, docs/llm.md)
//
//  Each is an enum with its words; _from reads a word back, or says -1.

#ifndef ZS_VOCAB_H
#define ZS_VOCAB_H

//  The kinds of provider API (swarm file `kind`, welcome's provider-conf `kind`)
typedef enum {
    ZS_PROVIDER_OPENAI,     //  "openai": chat completions, and every server that speaks them
    ZS_PROVIDER_ANTHROPIC,  //  "anthropic": the Messages API
    ZS_PROVIDER_OLLAMA,     //  "ollama": Ollama's native /api/chat
    ZS_PROVIDER_KIND_COUNT
} zs_provider_kind_t;

//  How one call ended (provider.report's `outcome`)
typedef enum {
    ZS_OUTCOME_OK = 0,       //  "ok": an answer
    ZS_OUTCOME_RATE_LIMIT,   //  "rate_limit": 429; wait Retry-After, or back off
    ZS_OUTCOME_OVERLOADED,   //  "overloaded": 503, 529, overloaded_error; back off
    ZS_OUTCOME_SERVER,       //  "server": other 5xx, an error inside a stream; back off
    ZS_OUTCOME_TIMEOUT,      //  "timeout": no answer in time, 408, 504; back off
    ZS_OUTCOME_CONNECT,      //  "connect": no connection, or it broke; back off
    ZS_OUTCOME_AUTH,         //  "auth": 401, 402, 403, spent quota; the next provider
    ZS_OUTCOME_BAD_REQUEST,  //  "bad_request": 400, 404, 422, other 4xx; fail the task
    ZS_OUTCOME_CONTEXT,      //  "context": the prompt is too long; the next provider
    ZS_OUTCOME_MALFORMED,    //  "malformed": an answer that cannot be read; back off
    ZS_OUTCOME_CANCELLED,    //  "cancelled": the task was cancelled or timed out
    ZS_OUTCOME_COUNT
} zs_outcome_t;

//  A provider's circuit (provider.state's `state`)
typedef enum {
    ZS_PROVIDER_CLOSED,     //  "closed": answering: call it
    ZS_PROVIDER_OPEN,       //  "open": failing: skipped until its cooldown ends
    ZS_PROVIDER_HALF_OPEN,  //  "half_open": cooldown over: calls probe it
    ZS_PROVIDER_LIMITED,    //  "limited": asked to wait, or the minute's rpm/tpm is used
    ZS_PROVIDER_BAD,        //  "bad": refused our key: skipped for a long while
    ZS_PROVIDER_STATE_COUNT
} zs_provider_state_t;

//  The word of a value of each enum ("openai", "rate_limit", "half_open"), or "invalid"
const char *zs_vocab_kind(zs_provider_kind_t kind);
const char *zs_vocab_outcome(zs_outcome_t outcome);
const char *zs_vocab_state(zs_provider_state_t state);

//  The value of a word (NULL allowed), or -1 when the word is not one of the enum's
int zs_vocab_kind_from(const char *word);
int zs_vocab_outcome_from(const char *word);
int zs_vocab_state_from(const char *word);

#endif
