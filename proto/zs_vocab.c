//  zs_vocab - see zs_vocab.h

#include "proto/zs_vocab.h"

#include <stddef.h>
#include <string.h>

static const char *const s_kinds[ZS_PROVIDER_KIND_COUNT] = {
    [ZS_PROVIDER_OPENAI] = "openai",
    [ZS_PROVIDER_ANTHROPIC] = "anthropic",
    [ZS_PROVIDER_OLLAMA] = "ollama",
};

static const char *const s_outcomes[ZS_OUTCOME_COUNT] = {
    [ZS_OUTCOME_OK] = "ok",
    [ZS_OUTCOME_RATE_LIMIT] = "rate_limit",
    [ZS_OUTCOME_OVERLOADED] = "overloaded",
    [ZS_OUTCOME_SERVER] = "server",
    [ZS_OUTCOME_TIMEOUT] = "timeout",
    [ZS_OUTCOME_CONNECT] = "connect",
    [ZS_OUTCOME_AUTH] = "auth",
    [ZS_OUTCOME_BAD_REQUEST] = "bad_request",
    [ZS_OUTCOME_CONTEXT] = "context",
    [ZS_OUTCOME_MALFORMED] = "malformed",
    [ZS_OUTCOME_CANCELLED] = "cancelled",
};

static const char *const s_states[ZS_PROVIDER_STATE_COUNT] = {
    [ZS_PROVIDER_CLOSED] = "closed",       [ZS_PROVIDER_OPEN] = "open",
    [ZS_PROVIDER_HALF_OPEN] = "half_open", [ZS_PROVIDER_LIMITED] = "limited",
    [ZS_PROVIDER_BAD] = "bad",
};

static const char *
s_word(const char *const *words, size_t count, unsigned value)
{
    return value < count ? words[value] : "invalid";
}

static int
s_from(const char *const *words, size_t count, const char *word)
{
    for (size_t i = 0; word && i < count; i++) {
        if (strcmp(words[i], word) == 0) {
            return (int) i;
        }
    }
    return -1;
}

const char *
zs_vocab_kind(zs_provider_kind_t kind)
{
    return s_word(s_kinds, ZS_PROVIDER_KIND_COUNT, kind);
}

const char *
zs_vocab_outcome(zs_outcome_t outcome)
{
    return s_word(s_outcomes, ZS_OUTCOME_COUNT, outcome);
}

const char *
zs_vocab_state(zs_provider_state_t state)
{
    return s_word(s_states, ZS_PROVIDER_STATE_COUNT, state);
}

int
zs_vocab_kind_from(const char *word)
{
    return s_from(s_kinds, ZS_PROVIDER_KIND_COUNT, word);
}

int
zs_vocab_outcome_from(const char *word)
{
    return s_from(s_outcomes, ZS_OUTCOME_COUNT, word);
}

int
zs_vocab_state_from(const char *word)
{
    return s_from(s_states, ZS_PROVIDER_STATE_COUNT, word);
}
