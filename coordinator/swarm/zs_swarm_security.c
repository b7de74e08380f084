//  zs_swarm_security - the swarm file's 'security.ids': which key alone may register
//  which agent ids
//
//  Under CURVE, an agent id belongs to the key that first registers it in a run; the
//  swarm file can bind ids to keys ahead of time, so that they hold from the first hello
//  and across restarts. Each key lists ids, or prefixes ending in '*' (a node's agents
//  are "NODE.TYPE-N", so "edge1.*" binds them all). Two keys' patterns may not overlap:
//  one id has one owner, whatever order the file lists them in.

#include "coordinator/swarm/zs_swarm_private.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include "broker/zs_auth.h"
#include "proto/zs_msg.h"

#define ZS_SWARM_PREFIX_MARK '*'  //  ends a pattern that binds every id it starts

//  The bytes of a pattern that an id must match, and whether they are only its start
static size_t
s_stem(const char *pattern, bool *prefix)
{
    size_t len = strlen(pattern);
    *prefix = len > 0 && pattern[len - 1] == ZS_SWARM_PREFIX_MARK;
    return *prefix ? len - 1 : len;
}

static bool
s_matches(const char *pattern, const char *id)
{
    bool prefix;
    size_t stem = s_stem(pattern, &prefix);
    return prefix ? strncmp(id, pattern, stem) == 0
                  : strlen(id) == stem && memcmp(id, pattern, stem) == 0;
}

//  True when some id would match both patterns
static bool
s_overlap(const char *a, const char *b)
{
    bool a_prefix, b_prefix;
    size_t a_stem = s_stem(a, &a_prefix);
    size_t b_stem = s_stem(b, &b_prefix);
    size_t common = a_stem < b_stem ? a_stem : b_stem;
    if (memcmp(a, b, common) != 0) {
        return false;
    }
    //  One stem starts the other: the shorter pattern takes the longer one's ids only
    //  when it is a prefix (equal stems always share the stem itself)
    if (a_stem == b_stem) {
        return true;
    }
    return a_stem < b_stem ? a_prefix : b_prefix;
}

//  A certificate's file name: what zs_auth gives a key as its User-Id
static bool
s_key_valid(const char *name, size_t len)
{
    if (len == 0 || len >= ZS_AUTH_USER_MAX || strchr(name, '/')) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char) name[i] < 0x20 || name[i] == 0x7f) {
            return false;
        }
    }
    return true;
}

static bool
s_pattern_valid(const char *pattern)
{
    bool prefix;
    size_t stem = s_stem(pattern, &prefix);
    return zs_msg_name_valid(pattern, stem, ZS_MSG_NAME_MAX);
}

static int
s_read_pattern(zs_yaml_t *ctx,
               zs_swarm_security_t *security,
               const char *key,
               const yaml_node_t *node)
{
    size_t len;
    const char *pattern = zs_yaml_string(ctx, node, "ids", &len);
    if (!pattern) {
        return -1;
    }
    if (!s_pattern_valid(pattern)) {
        return zs_yaml_fail(
            ctx, node->start_mark,
            "invalid id '%s' in 'ids' (expected 1 to %d of A-Z a-z 0-9 . _ "
            ": -, then '*' for a prefix)",
            zs_yaml_sample(pattern, len).text, ZS_MSG_NAME_MAX);
    }
    for (size_t i = 0; i < security->id_count; i++) {
        const zs_swarm_binding_t *other = &security->ids[i];
        if (!streq(other->key, key) && s_overlap(other->pattern, pattern)) {
            return zs_yaml_fail(ctx, node->start_mark,
                                "id '%s' of key '%s' overlaps '%s' of key '%s' in 'ids'",
                                zs_yaml_sample(pattern, len).text,
                                zs_yaml_sample(key, strlen(key)).text, other->pattern,
                                zs_yaml_sample(other->key, strlen(other->key)).text);
        }
    }
    zs_swarm_binding_t *binding = &security->ids[security->id_count++];
    binding->key = zs_strdup(key);
    binding->pattern = zs_strdup(pattern);
    return 0;
}

//  One 'KEY: [PATTERN, ...]' pair
static int
s_read_key(zs_yaml_t *ctx, zs_swarm_security_t *security, const yaml_node_pair_t *pair)
{
    const yaml_node_t *name_node = zs_yaml_node(ctx, pair->key);
    size_t len;
    const char *key = zs_yaml_string(ctx, name_node, "ids", &len);
    if (!key) {
        return -1;
    }
    if (!s_key_valid(key, len)) {
        return zs_yaml_fail(ctx, name_node->start_mark,
                            "invalid key name '%s' in 'ids' (expected a certificate's "
                            "file name: 1 to %d bytes, no '/' or control character)",
                            zs_yaml_sample(key, len).text, ZS_AUTH_USER_MAX - 1);
    }
    static const zs_yaml_key_t list = {
        "ids", NULL, 0, 1, ZS_SWARM_IDS_MAX, NULL, ZS_YAML_OPTIONAL};
    const yaml_node_t *value = zs_yaml_node(ctx, pair->value);
    size_t count;
    if (zs_yaml_sequence(ctx, &list, value, &count) != 0) {
        return -1;
    }
    security->ids =
        zs_realloc(security->ids, (security->id_count + count) * sizeof *security->ids);
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *item = zs_yaml_node(ctx, value->data.sequence.items.start[i]);
        if (s_read_pattern(ctx, security, key, item) != 0) {
            return -1;
        }
    }
    return 0;
}

int
zs_swarm_read_ids(zs_yaml_t *ctx,
                  const zs_yaml_key_t *key,
                  yaml_node_t *node,
                  void *target)
{
    zs_swarm_security_t *security = target;
    if (node->type != YAML_MAPPING_NODE) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "expected mapping of key names to lists of ids for '%s'",
                            key->name);
    }
    yaml_node_pair_t *pairs = node->data.mapping.pairs.start;
    size_t count = (size_t) (node->data.mapping.pairs.top - pairs);
    if (count > (size_t) key->max) {
        return zs_yaml_fail(ctx, node->start_mark,
                            "expected at most %" PRId64 " keys in '%s', found %zu",
                            key->max, key->name, count);
    }
    for (size_t i = 0; i < count; i++) {
        if (s_read_key(ctx, security, &pairs[i]) != 0) {
            return -1;
        }
    }
    return 0;
}

const char *
zs_swarm_id_owner(const zs_swarm_t *self, const char *id)
{
    assert(self);
    assert(id);
    const zs_swarm_security_t *security = &self->security;
    for (size_t i = 0; i < security->id_count; i++) {
        if (s_matches(security->ids[i].pattern, id)) {
            return security->ids[i].key;
        }
    }
    return NULL;
}
