//  test_mem - the shared memory store: versions, compare-and-set, access levels, tags
//  and prefixes, expiry, bounds, and the journal's form of an entry

#include "coordinator/store/zs_mem.h"
#include "tests/unit/zs_test.h"

#include <string.h>

static const zs_mem_who_t s_client = {NULL, NULL};
static const zs_mem_who_t s_a1 = {"a1", "red"};
static const zs_mem_who_t s_a2 = {"a2", "red"};
static const zs_mem_who_t s_b1 = {"b1", "blue"};

//  Entries removed for expiry, as the store tells of them
static int s_gone;

static void
s_note(void *ctx, const zs_mem_entry_t *entry)
{
    //  Told before the entry goes: it is whole
    ZS_CHECK(entry->key && entry->key[0] && entry->version > 0);
    (*(int *) ctx)++;
}

static zs_msg_t
s_put(const char *key, const char *value)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_MEM_PUT);
    msg.key = key;
    msg.value = (const uint8_t *) value;
    msg.value_size = value ? strlen(value) : 0;
    return msg;
}

static int
s_code(zs_mem_t *mem, const zs_mem_who_t *who, const zs_msg_t *put, int64_t now)
{
    zs_error_t err;
    zs_error_init(&err);
    return zs_mem_put(mem, who, put, now, &err) ? 0 : err.code;
}

static zlistx_t *
s_query(zs_mem_t *mem,
        const zs_mem_who_t *who,
        const char *prefix,
        char *const *tags,
        size_t count,
        size_t max,
        zs_error_t *err)
{
    zs_mem_query_t query = {prefix, tags, count, 0};
    return zs_mem_query(mem, who, &query, max, 0, err);
}

static void
test_versions_and_cas(void)
{
    zs_mem_t *mem = zs_mem_new(s_note, &s_gone);
    zs_error_t err;
    zs_msg_t put = s_put("k", "one");
    const zs_mem_entry_t *entry = zs_mem_put(mem, &s_a1, &put, 0, &err);
    ZS_CHECK(entry && entry->version == 1 && streq(entry->owner, "a1"));
    put = s_put("k", "two");
    entry = zs_mem_put(mem, &s_a2, &put, 0, &err);
    ZS_CHECK(entry && entry->version == 2 && entry->value_size == 3);
    ZS_CHECK(streq(entry->owner, "a1"));  //  the owner stays its creator
    //  Compare-and-set: the named version must be the current one (0: absent)
    put.cas = true;
    put.version = 1;
    ZS_CHECK(s_code(mem, &s_a1, &put, 0) == ZS_ERR_CONFLICT);
    put.version = 2;
    ZS_CHECK(s_code(mem, &s_a1, &put, 0) == 0);
    zs_msg_t fresh = s_put("new", "x");
    fresh.cas = true;
    ZS_CHECK(s_code(mem, &s_a1, &fresh, 0) == 0);
    ZS_CHECK(s_code(mem, &s_a1, &fresh, 0) == ZS_ERR_CONFLICT);  //  exists now
    fresh.cas = false;
    fresh.version = 9;
    ZS_CHECK(s_code(mem, &s_a1, &fresh, 0) == ZS_ERR_INVALID);  //  version needs cas
    //  Delete: returns the last version; compare-and-set as for writes
    zs_msg_t del;
    zs_msg_init(&del, ZS_MSG_MEM_DEL);
    del.key = "k";
    del.cas = true;
    del.version = 2;
    ZS_CHECK(zs_mem_delete(mem, &s_client, &del, 0, &err) == 0 &&
             err.code == ZS_ERR_CONFLICT);
    del.version = 3;
    ZS_CHECK(zs_mem_delete(mem, &s_client, &del, 0, &err) == 3);
    ZS_CHECK(!zs_mem_get(mem, &s_client, "k", 0, &err) && err.code == ZS_ERR_NO_KEY);
    ZS_CHECK(zs_mem_delete(mem, &s_client, &del, 0, &err) == 0 &&
             err.code == ZS_ERR_NO_KEY);
    zs_mem_destroy(&mem);
}

static void
test_access(void)
{
    zs_mem_t *mem = zs_mem_new(s_note, &s_gone);
    zs_error_t err;
    zs_msg_t put = s_put("mine", "secret");
    put.access = "private";
    ZS_CHECK(s_code(mem, &s_a1, &put, 0) == 0);
    put = s_put("ours", "plan");
    put.access = "team";
    ZS_CHECK(s_code(mem, &s_a1, &put, 0) == 0);
    put = s_put("all", "news");
    ZS_CHECK(s_code(mem, &s_b1, &put, 0) == 0);  //  swarm by default
    //  Refused is an error, not an empty answer
    ZS_CHECK(!zs_mem_get(mem, &s_a2, "mine", 0, &err) && err.code == ZS_ERR_FORBIDDEN);
    ZS_CHECK(zs_mem_get(mem, &s_a1, "mine", 0, &err));
    ZS_CHECK(zs_mem_get(mem, &s_client, "mine", 0, &err));  //  clients always
    ZS_CHECK(zs_mem_get(mem, &s_a2, "ours", 0, &err));
    ZS_CHECK(!zs_mem_get(mem, &s_b1, "ours", 0, &err) && err.code == ZS_ERR_FORBIDDEN);
    ZS_CHECK(zs_mem_get(mem, &s_a2, "all", 0, &err));
    //  Writing and deleting need the same access as reading
    put = s_put("ours", "overwrite");
    ZS_CHECK(s_code(mem, &s_b1, &put, 0) == ZS_ERR_FORBIDDEN);
    zs_msg_t del;
    zs_msg_init(&del, ZS_MSG_MEM_DEL);
    del.key = "mine";
    ZS_CHECK(zs_mem_delete(mem, &s_a2, &del, 0, &err) == 0 &&
             err.code == ZS_ERR_FORBIDDEN);
    //  A client's private entry is for clients only
    put = s_put("ops", "x");
    put.access = "private";
    ZS_CHECK(s_code(mem, &s_client, &put, 0) == 0);
    ZS_CHECK(!zs_mem_get(mem, &s_a1, "ops", 0, &err) && err.code == ZS_ERR_FORBIDDEN);
    put.access = "public";
    ZS_CHECK(s_code(mem, &s_client, &put, 0) == ZS_ERR_INVALID);
    //  Only its owner (or a client) changes an entry's access
    put = s_put("ours", "wider");
    put.access = "swarm";
    ZS_CHECK(s_code(mem, &s_a2, &put, 0) == ZS_ERR_FORBIDDEN);
    put.access = "team";
    ZS_CHECK(s_code(mem, &s_a2, &put, 0) == 0);  //  the same level: a plain write
    put.access = NULL;  //  a whole-entry write without 'access' means swarm: a change
    ZS_CHECK(s_code(mem, &s_a2, &put, 0) == ZS_ERR_FORBIDDEN);
    put.access = "swarm";
    ZS_CHECK(s_code(mem, &s_a1, &put, 0) == 0);
    ZS_CHECK(zs_mem_get(mem, &s_b1, "ours", 0, &err));
    zs_mem_destroy(&mem);
}

static void
test_query(void)
{
    zs_mem_t *mem = zs_mem_new(s_note, &s_gone);
    zs_error_t err;
    const char *keys[] = {"job/2", "job/1", "jobs", "other", "job/3"};
    char *hot[] = {"hot"};
    for (size_t i = 0; i < 5; i++) {
        zs_msg_t put = s_put(keys[i], "v");
        const char *tags[] = {"hot"};
        put.tags = (zs_msg_list_t){tags, i % 2 == 0};
        put.access = i == 4 ? "private" : NULL;
        ZS_CHECK(s_code(mem, i == 4 ? &s_b1 : &s_a1, &put, 0) == 0);
    }
    zlistx_t *found = s_query(mem, &s_a1, "job/", NULL, 0, 100, &err);
    ZS_CHECK(found && zlistx_size(found) == 2);  //  job/3 is b1's own
    ZS_CHECK(streq(zlistx_first(found), "job/1") && streq(zlistx_next(found), "job/2"));
    zlistx_destroy(&found);
    found = s_query(mem, &s_client, "job/", hot, 1, 100, &err);
    ZS_CHECK(found && zlistx_size(found) == 2);  //  job/2 and job/3 carry "hot"
    ZS_CHECK(streq(zlistx_first(found), "job/2") && streq(zlistx_next(found), "job/3"));
    zlistx_destroy(&found);
    found = s_query(mem, &s_client, NULL, NULL, 0, 100, &err);
    ZS_CHECK(found && zlistx_size(found) == 5);
    zlistx_destroy(&found);
    ZS_CHECK(!s_query(mem, &s_client, "", NULL, 0, 4, &err) && err.code == ZS_ERR_LIMIT);
    zs_mem_destroy(&mem);
}

static void
test_expiry(void)
{
    zs_mem_t *mem = zs_mem_new(s_note, &s_gone);
    zs_error_t err;
    zs_msg_t put = s_put("brief", "x");
    put.ttl = 100;
    ZS_CHECK(s_code(mem, &s_a1, &put, 1000) == 0);
    put = s_put("lasting", "y");
    ZS_CHECK(s_code(mem, &s_a1, &put, 1000) == 0);
    ZS_CHECK(zs_mem_get(mem, &s_a1, "brief", 1099, &err));
    ZS_CHECK(!zs_mem_get(mem, &s_a1, "brief", 1100, &err) && err.code == ZS_ERR_NO_KEY);
    int before = s_gone;
    zs_mem_expire(mem, 1100);
    ZS_CHECK(s_gone == before + 1 && zs_mem_size(mem) == 1);
    //  A write to a key that expired but was not swept yet tells of the expiry too
    put = s_put("brief", "x");
    put.ttl = 100;
    ZS_CHECK(s_code(mem, &s_a1, &put, 2000) == 0);
    put.ttl = 0;
    ZS_CHECK(s_code(mem, &s_a1, &put, 2100) == 0);
    ZS_CHECK(s_gone == before + 2);
    const zs_mem_entry_t *fresh = zs_mem_get(mem, &s_a1, "brief", 2100, &err);
    ZS_CHECK(fresh && fresh->version == 1);
    //  A write without ttl makes an entry last
    put = s_put("lasting", "z");
    put.ttl = 0;
    ZS_CHECK(s_code(mem, &s_a1, &put, 5000) == 0);
    ZS_CHECK(zs_mem_get(mem, &s_a1, "lasting", 1000000, &err));
    zs_mem_destroy(&mem);
}

static void
test_bounds(void)
{
    zs_mem_t *mem = zs_mem_new(s_note, &s_gone);
    static char big[ZS_MSG_VALUE_MAX];
    memset(big, 'b', sizeof big);
    zs_msg_t put = s_put("k", NULL);
    put.value = (const uint8_t *) big;
    put.value_size = sizeof big;
    char key[32];
    //  Each entry is its value and its key, "big/NNNN" and a NUL
    size_t fit = ZS_MEM_BYTES_MAX / (sizeof big + sizeof "big/0000");
    for (size_t i = 0; i < fit; i++) {
        snprintf(key, sizeof key, "big/%04zu", i);
        put.key = key;
        ZS_CHECK(s_code(mem, &s_client, &put, 0) == 0);
    }
    put.key = "one-more";
    ZS_CHECK(s_code(mem, &s_client, &put, 0) == ZS_ERR_LIMIT);
    //  Replacing a value frees its bytes first
    put.key = "big/0000";
    ZS_CHECK(s_code(mem, &s_client, &put, 0) == 0);
    zs_mem_destroy(&mem);
}

//  Keys and tags count against the bytes too: entries with long keys, 16 long tags and
//  no value fill the store long before ZS_MEM_ENTRIES_MAX, as do signals
static void
test_bounds_of_keys_and_tags(void)
{
    zs_mem_t *mem = zs_mem_new(s_note, &s_gone);
    char tag_text[ZS_MSG_TAGS_MAX][ZS_MSG_NAME_MAX + 1];
    const char *tags[ZS_MSG_TAGS_MAX];
    for (size_t i = 0; i < ZS_MSG_TAGS_MAX; i++) {
        snprintf(tag_text[i], sizeof tag_text[i], "%02zu%062d", i, 0);
        tags[i] = tag_text[i];
    }
    char key[ZS_MSG_KEY_MAX + 1];
    memset(key, 'k', ZS_MSG_KEY_MAX);
    key[ZS_MSG_KEY_MAX] = '\0';
    zs_msg_t put = s_put(key, NULL);
    put.tags = (zs_msg_list_t){tags, ZS_MSG_TAGS_MAX};
    size_t each = sizeof key + ZS_MSG_TAGS_MAX * (ZS_MSG_NAME_MAX + 1);
    size_t stored = 0;
    zs_error_t err;
    zs_error_init(&err);
    while (stored < ZS_MEM_ENTRIES_MAX) {
        snprintf(key, sizeof key, "%08zu", stored);
        key[8] = 'k';
        if (!zs_mem_put(mem, &s_client, &put, 0, &err)) {
            break;
        }
        stored++;
    }
    ZS_CHECK(stored == ZS_MEM_BYTES_MAX / each && stored < ZS_MEM_ENTRIES_MAX);
    ZS_CHECK(err.code == ZS_ERR_LIMIT && strstr(err.text, "keys, values and tags"));
    //  A new signal needs room for its key and tags as well
    zs_msg_t deposit;
    zs_msg_init(&deposit, ZS_MSG_MEM_DEPOSIT);
    deposit.key = "signal";
    deposit.amount = 1;
    deposit.half_life = 1000;
    deposit.tags = put.tags;
    ZS_CHECK(!zs_mem_deposit(mem, &s_client, &deposit, 0, &err) &&
             err.code == ZS_ERR_LIMIT);
    zs_msg_t del;
    zs_msg_init(&del, ZS_MSG_MEM_DEL);
    del.key = key;
    snprintf(key, sizeof key, "%08d", 0);
    key[8] = 'k';
    ZS_CHECK(zs_mem_delete(mem, &s_client, &del, 0, &err) == 1);
    ZS_CHECK(zs_mem_deposit(mem, &s_client, &deposit, 0, &err));
    zs_mem_destroy(&mem);
}

//  The journal's form: describe, then restore into another store
static void
test_restore(void)
{
    zs_mem_t *mem = zs_mem_new(s_note, &s_gone);
    zs_error_t err;
    zs_msg_t put = s_put("k", "value");
    const char *tags[] = {"t1", "t2"};
    put.tags = (zs_msg_list_t){tags, 2};
    put.access = "team";
    put.ttl = 60000;
    ZS_CHECK(s_code(mem, &s_a1, &put, 1000) == 0);
    ZS_CHECK(s_code(mem, &s_a1, &put, 1000) == 0);
    zs_msg_t record;
    zs_msg_init(&record, ZS_MSG_MEM_PUT);
    zs_mem_describe(zs_mem_first(mem), &record);
    zs_mem_t *copy = zs_mem_new(s_note, &s_gone);
    zs_mem_restore(copy, &record);
    const zs_mem_entry_t *entry = zs_mem_get(copy, &s_a2, "k", 2000, &err);
    ZS_CHECK(entry && entry->version == 2 && entry->expires_ms == 61000);
    ZS_CHECK(entry && entry->tag_count == 2 && streq(entry->tags[1], "t2"));
    ZS_CHECK(entry && streq(entry->owner, "a1") && entry->access == ZS_MEM_TEAM);
    ZS_CHECK(!zs_mem_get(copy, &s_b1, "k", 2000, &err));
    zs_mem_remove(copy, "k");
    ZS_CHECK(zs_mem_size(copy) == 0);
    zs_mem_destroy(&copy);
    zs_mem_destroy(&mem);
}

static zs_msg_t
s_deposit(const char *key, int64_t amount, uint64_t half_life)
{
    zs_msg_t msg;
    zs_msg_init(&msg, ZS_MSG_MEM_DEPOSIT);
    msg.key = key;
    msg.amount = amount;
    msg.half_life = half_life;
    return msg;
}

#define S_HL 1000  //  half-life of the test signals, ms

//  Deposits add to what is left of a signal; the level halves every half-life; a
//  query names the strongest; a faded signal is gone
static void
test_signals(void)
{
    zs_mem_t *mem = zs_mem_new(s_note, &s_gone);
    zs_error_t err;
    zs_msg_t deposit = s_deposit("trail/a", 8, 0);
    ZS_CHECK(!zs_mem_deposit(mem, &s_a1, &deposit, 0, &err) &&
             err.code == ZS_ERR_INVALID);
    deposit.half_life = S_HL;
    const zs_mem_entry_t *a = zs_mem_deposit(mem, &s_a1, &deposit, 0, &err);
    ZS_CHECK(a && a->signal && a->version == 1 && zs_mem_level(a, 0) == 8);
    ZS_CHECK(zs_mem_level(a, S_HL) == 4 && zs_mem_level(a, 3 * S_HL) == 1);
    //  Half-life given once: 4 left after one, plus 2
    deposit = s_deposit("trail/a", 2, 0);
    a = zs_mem_deposit(mem, &s_a2, &deposit, S_HL, &err);
    ZS_CHECK(a && a->version == 2 && zs_mem_level(a, S_HL) == 6);
    deposit = s_deposit("trail/b", 5, S_HL);
    ZS_CHECK(zs_mem_deposit(mem, &s_a1, &deposit, S_HL, &err));
    deposit = s_deposit("trail/c", 1, S_HL);
    ZS_CHECK(zs_mem_deposit(mem, &s_a1, &deposit, S_HL, &err));
    zs_msg_t put = s_put("trail/value", "not a signal");
    ZS_CHECK(s_code(mem, &s_a1, &put, S_HL) == 0);
    deposit = s_deposit("trail/value", 1, S_HL);
    ZS_CHECK(!zs_mem_deposit(mem, &s_a1, &deposit, S_HL, &err) &&
             err.code == ZS_ERR_INVALID);
    //  The two strongest under the prefix, strongest first; values are not signals
    zs_mem_query_t query = {"trail/", NULL, 0, 2};
    zlistx_t *top = zs_mem_query(mem, &s_a1, &query, 100, S_HL, &err);
    ZS_CHECK(top && zlistx_size(top) == 2);
    ZS_CHECK(streq(zlistx_first(top), "trail/a") && streq(zlistx_next(top), "trail/b"));
    zlistx_destroy(&top);
    query.top = 10;
    top = zs_mem_query(mem, &s_a1, &query, 100, S_HL, &err);
    ZS_CHECK(top && zlistx_size(top) == 3);
    zlistx_destroy(&top);
    //  Journal form: the level at its time, back exactly
    zs_msg_t record;
    zs_msg_init(&record, ZS_MSG_MEM_PUT);
    zs_mem_describe(zs_mem_get(mem, &s_a1, "trail/a", S_HL, &err), &record);
    zs_mem_t *copy = zs_mem_new(s_note, &s_gone);
    zs_mem_restore(copy, &record);
    const zs_mem_entry_t *back = zs_mem_get(copy, &s_a1, "trail/a", 2 * S_HL, &err);
    ZS_CHECK(back && back->signal && zs_mem_level(back, 2 * S_HL) == 3);
    zs_mem_destroy(&copy);
    //  Levels saturate, and the journal's form holds the largest exactly
    for (int i = 0; i < 3; i++) {
        deposit = s_deposit("trail/big", ZS_MSG_AMOUNT_MAX, 1000 * S_HL);
        ZS_CHECK(zs_mem_deposit(mem, &s_a1, &deposit, S_HL, &err));
    }
    const zs_mem_entry_t *big = zs_mem_get(mem, &s_a1, "trail/big", S_HL, &err);
    ZS_CHECK(big && big->level == ZS_MEM_LEVEL_MAX);
    zs_msg_init(&record, ZS_MSG_MEM_PUT);
    zs_mem_describe(big, &record);
    copy = zs_mem_new(s_note, &s_gone);
    zs_mem_restore(copy, &record);
    back = zs_mem_get(copy, &s_a1, "trail/big", S_HL, &err);
    ZS_CHECK(back && back->level == ZS_MEM_LEVEL_MAX);
    zs_mem_destroy(&copy);
    //  A signal faded below ZS_MEM_FADED is gone: 1 is 1/512 nine half-lives later, and
    //  under 0.001 after eleven
    ZS_CHECK(zs_mem_get(mem, &s_a1, "trail/c", 10 * S_HL, &err));
    ZS_CHECK(!zs_mem_get(mem, &s_a1, "trail/c", 12 * S_HL, &err) &&
             err.code == ZS_ERR_NO_KEY);
    zs_mem_destroy(&mem);
}

static const zs_test_case_t s_cases[] = {
    {"signals", test_signals},
    {"versions_and_cas", test_versions_and_cas},
    {"access", test_access},
    {"query", test_query},
    {"expiry", test_expiry},
    {"bounds", test_bounds},
    {"bounds_of_keys_and_tags", test_bounds_of_keys_and_tags},
    {"restore", test_restore},
};

ZS_TEST_MAIN(s_cases)
