//  test_dlhash - the SHA-256 downloads are checked with: the FIPS 180-2 examples, bytes
//  fed in pieces as a transfer brings them, starting over, and the hex a task may give

#include "agent/zs_dlhash.h"
#include "tests/unit/zs_test.h"

#include <ctype.h>
#include <czmq.h>

//  FIPS 180-2 appendix B: "abc", the two-block message, a million 'a'
#define S_ABC     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define S_TWO     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define S_MILLION "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
#define S_EMPTY   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

#define S_MILLION_SIZE 1000000  //  bytes of the third example
#define S_PIECE        4093     //  an odd piece size, so pieces straddle blocks

static void
test_digest_of_bytes(void)
{
    zs_error_t err;
    char hex[ZS_DLHASH_HEX_SIZE];
    zs_dlhash_t *hash = zs_dlhash_new(&err);
    ZS_CHECK(hash);
    ZS_CHECK_OK(zs_dlhash_update(hash, "abc", 3, &err), err);
    ZS_CHECK_OK(zs_dlhash_final(hash, hex, &err), err);
    zs_dlhash_destroy(&hash);
    ZS_CHECK(hash == NULL);
    ZS_CHECK_STR(hex, S_ABC);
}

static void
test_pieces_make_the_whole(void)
{
    zs_error_t err;
    char hex[ZS_DLHASH_HEX_SIZE];
    char *million = zs_malloc(S_MILLION_SIZE);
    memset(million, 'a', S_MILLION_SIZE);
    zs_dlhash_t *hash = zs_dlhash_new(&err);
    ZS_CHECK(hash);
    bool ok = true;
    for (size_t at = 0; at < S_MILLION_SIZE; at += S_PIECE) {
        size_t size = S_MILLION_SIZE - at < S_PIECE ? S_MILLION_SIZE - at : S_PIECE;
        ZS_EXPECT(ok, zs_dlhash_update(hash, million + at, size, &err) == 0);
    }
    ZS_EXPECT(ok, zs_dlhash_final(hash, hex, &err) == 0);
    ZS_EXPECT(ok, streq(hex, S_MILLION));
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ZS_EXPECT(ok, zs_dlhash_reset(hash, &err) == 0);
    ZS_EXPECT(ok, zs_dlhash_update(hash, two, strlen(two), &err) == 0);
    ZS_EXPECT(ok, zs_dlhash_final(hash, hex, &err) == 0);
    ZS_EXPECT(ok, streq(hex, S_TWO));
    zs_dlhash_destroy(&hash);
    free(million);
    ZS_CHECK(ok);
}

//  A reset forgets the bytes taken so far, as a server's 200 to a resume needs
static void
test_reset_starts_over(void)
{
    zs_error_t err;
    char hex[ZS_DLHASH_HEX_SIZE];
    zs_dlhash_t *hash = zs_dlhash_new(&err);
    ZS_CHECK(hash);
    bool ok = true;
    ZS_EXPECT(ok, zs_dlhash_update(hash, "junk", 4, &err) == 0);
    ZS_EXPECT(ok, zs_dlhash_reset(hash, &err) == 0);
    ZS_EXPECT(ok, zs_dlhash_final(hash, hex, &err) == 0);
    ZS_EXPECT(ok, streq(hex, S_EMPTY));
    zs_dlhash_destroy(&hash);
    zs_dlhash_destroy(&hash);  //  accepts NULL
    ZS_CHECK(ok);
}

static void
test_hex_valid(void)
{
    char upper[ZS_DLHASH_HEX_SIZE];
    for (size_t i = 0; i < sizeof upper; i++) {
        upper[i] = (char) toupper((unsigned char) S_ABC[i]);
    }
    ZS_CHECK(zs_dlhash_hex_valid(S_ABC));
    ZS_CHECK(zs_dlhash_hex_valid(upper));
    const char *bad[] = {
        "",
        "abc",
        S_ABC "0",                                                          //  65 digits
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",  //  63
        "ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        " a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "0xa816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (zs_dlhash_hex_valid(bad[i])) {
            fprintf(stderr, "'%s' taken for a digest\n", bad[i]);
            ZS_CHECK(false);
        }
    }
}

static const zs_test_case_t s_cases[] = {
    {"digest_of_bytes", test_digest_of_bytes},
    {"pieces_make_the_whole", test_pieces_make_the_whole},
    {"reset_starts_over", test_reset_starts_over},
    {"hex_valid", test_hex_valid},
};

ZS_TEST_MAIN(s_cases)
