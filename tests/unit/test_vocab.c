//  test_vocab - the LLM providers' words read back to what they name

#include "proto/zs_vocab.h"
#include "tests/unit/zs_test.h"

//  Every value's word reads back to the value, and the words are the wire's
static void
test_round_trip(void)
{
    for (int i = 0; i < ZS_PROVIDER_KIND_COUNT; i++) {
        ZS_CHECK(zs_vocab_kind_from(zs_vocab_kind((zs_provider_kind_t) i)) == i);
    }
    for (int i = 0; i < ZS_OUTCOME_COUNT; i++) {
        ZS_CHECK(zs_vocab_outcome_from(zs_vocab_outcome((zs_outcome_t) i)) == i);
    }
    for (int i = 0; i < ZS_PROVIDER_STATE_COUNT; i++) {
        ZS_CHECK(zs_vocab_state_from(zs_vocab_state((zs_provider_state_t) i)) == i);
    }
    ZS_CHECK_STR(zs_vocab_kind(ZS_PROVIDER_ANTHROPIC), "anthropic");
    ZS_CHECK_STR(zs_vocab_outcome(ZS_OUTCOME_BAD_REQUEST), "bad_request");
    ZS_CHECK_STR(zs_vocab_state(ZS_PROVIDER_HALF_OPEN), "half_open");
}

//  A word that is not the enum's, or none, is -1; a value past the enum is "invalid"
static void
test_unknown(void)
{
    ZS_CHECK(zs_vocab_kind_from("OpenAI") == -1);
    ZS_CHECK(zs_vocab_kind_from("") == -1);
    ZS_CHECK(zs_vocab_outcome_from(NULL) == -1);
    ZS_CHECK(zs_vocab_outcome_from("closed") == -1);
    ZS_CHECK(zs_vocab_state_from("half-open") == -1);
    ZS_CHECK_STR(zs_vocab_kind(ZS_PROVIDER_KIND_COUNT), "invalid");
    ZS_CHECK_STR(zs_vocab_outcome(ZS_OUTCOME_COUNT), "invalid");
    ZS_CHECK_STR(zs_vocab_state(ZS_PROVIDER_STATE_COUNT), "invalid");
}

static const zs_test_case_t s_cases[] = {
    {"round_trip", test_round_trip},
    {"unknown", test_unknown},
};

ZS_TEST_MAIN(s_cases)
