//  zs_swarm - see zs_swarm.h
//
//  Loading runs in three steps. A screening pass over libyaml's events reports syntax
//  errors and rejects what the schema never needs and what would make a file mean more
//  than it says: aliases, anchors, explicit tags, a second document, deep nesting. Then
//  libyaml's document API builds the node tree, whose start marks give every error its
//  line and column. Last, each mapping is checked against a key table (name, reader,
//  target offset, range) that fills the swarm; cross-key rules run after their mapping.

#include "zs_swarm.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define ZS_SWARM_DEFAULT_TOPOLOGY "star"
#define ZS_SWARM_DEFAULT_STRATEGY "least-loaded"
#define ZS_SWARM_NAME_MAX         64        //  bytes in a swarm, type or capability name
#define ZS_SWARM_ARGV_MAX         64        //  items in an exec command
#define ZS_SWARM_ARG_MAX          4096      //  bytes in one command item
#define ZS_SWARM_CAPS_MAX         64        //  capabilities of one type
#define ZS_SWARM_CONC_MAX         1024      //  tasks one agent runs at once
#define ZS_SWARM_HB_MIN_MS        10        //  shortest heartbeat interval
#define ZS_SWARM_HB_MAX_MS        60000     //  longest heartbeat interval
#define ZS_SWARM_LIVENESS_MIN     2         //  fewest missed heartbeats that kill a peer
#define ZS_SWARM_LIVENESS_MAX     100       //  most missed heartbeats that kill a peer
#define ZS_SWARM_TIMEOUT_MAX_MS   86400000  //  longest task attempt: a day
#define ZS_SWARM_RETRIES_MAX      100       //  most retries of a task
#define ZS_SWARM_QUEUE_MAX        10000000  //  largest 'max_queue'
#define ZS_SWARM_KEEP_MAX         1000000   //  largest 'keep_results'
#define ZS_SWARM_KEEP_S_MAX       31536000  //  largest 'keep_results_s' (a year)
#define ZS_SWARM_ENDPOINT_MAX     256       //  bytes in a bind endpoint with its NUL
#define ZS_SWARM_IPC_PATH_MAX     107       //  bytes in an ipc path, as sun_path allows
#define ZS_SWARM_PORT_MAX         65535     //  highest tcp port
#define ZS_SWARM_DEPTH_MAX        16        //  nested collections; the schema needs 3
#define ZS_SWARM_KEYS_MAX         10        //  keys in the largest key table
#define ZS_SWARM_SAMPLE_MAX       72        //  bytes of a value from the file in an error
#define ZS_SWARM_LATER            (-1)      //  a choice this version does not run
#define ZS_SWARM_LENGTH(array)    (sizeof(array) / sizeof(array)[0])

//  A host part of tcp://HOST:PORT: names, IPv4, [IPv6], '*', interface names
#define ZS_SWARM_HOST_CHARS                                                              \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_:[]*%"

typedef struct {
    const char *text;       //  the file's bytes, borrowed
    size_t size;            //  bytes in text
    const char *path;       //  names the source in errors, borrowed
    yaml_document_t *doc;   //  tree being checked, borrowed; NULL while screening
    zs_error_t *err;        //  receives the first error, borrowed, may be NULL
    zs_swarm_error_t code;  //  err->code for errors found in the current step
} s_ctx_t;

typedef enum { S_OPTIONAL, S_REQUIRED } s_need_t;

typedef struct s_key_t s_key_t;
typedef int(s_read_fn)(s_ctx_t *ctx, const s_key_t *key, yaml_node_t *node, void *target);

struct s_key_t {
    const char *name;  //  key as written in the file
    s_read_fn *read;   //  checks the value node and stores it into the target
    size_t offset;     //  where read stores it; readers of one known field ignore it
    int64_t min, max;  //  range of an integer, or item count of a sequence
    const void *arg;   //  reader's extra: a s_table_t or a s_choices_t
    s_need_t need;     //  whether the mapping is invalid without this key
};

typedef struct {
    const char *label;    //  names the mapping in errors: "in agent type"
    const s_key_t *keys;  //  keys it may hold, in the order errors list them
    size_t count;         //  items in keys
} s_table_t;

typedef struct {
    const char *word;  //  value as written in the file
    int value;         //  what it stores, or ZS_SWARM_LATER
} s_choice_t;

typedef struct {
    const s_choice_t *items;  //  every value the format knows
    size_t count;             //  items in items
    const char *expected;     //  the values this version runs, for errors
} s_choices_t;

typedef struct {
    char text[ZS_SWARM_SAMPLE_MAX];  //  printable, bounded copy of a value from the file
} s_sample_t;

static int s_fail(s_ctx_t *ctx, yaml_mark_t mark, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

//  ---------------------------------------------------------------------------------------
//  Errors

static int
s_fail(s_ctx_t *ctx, yaml_mark_t mark, const char *format, ...)
{
    char message[ZS_ERROR_TEXT_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    return zs_error_set(ctx->err, ctx->code, "%s:%zu:%zu: %s", ctx->path, mark.line + 1,
                        mark.column + 1, message);
}

//  Values from the file are quoted through this, so an error line stays short and
//  printable whatever the file holds
static s_sample_t
s_sample(const void *text, size_t size)
{
    s_sample_t sample;
    zs_sanitize(sample.text, sizeof sample.text, text, size);
    return sample;
}

static void
s_oom(void)
{
    fprintf(stderr, "zswarm: out of memory in libyaml\n");
    abort();
}

//  The reader fails on bad encoding before it has a mark: count lines up to the offset
static yaml_mark_t
s_mark_at(const s_ctx_t *ctx, size_t offset)
{
    yaml_mark_t mark = {offset, 0, 0};
    for (size_t i = 0; i < offset && i < ctx->size; i++) {
        mark.line += ctx->text[i] == '\n';
        mark.column = ctx->text[i] == '\n' ? 0 : mark.column + 1;
    }
    return mark;
}

static int
s_fail_yaml(s_ctx_t *ctx, const yaml_parser_t *parser)
{
    if (parser->error == YAML_MEMORY_ERROR) {
        s_oom();
    }
    yaml_mark_t mark = parser->error == YAML_READER_ERROR
                           ? s_mark_at(ctx, parser->problem_offset)
                           : parser->problem_mark;
    const char *problem = parser->problem ? parser->problem : "cannot parse";
    if (!parser->context) {
        return s_fail(ctx, mark, "invalid YAML: %s", problem);
    }
    return s_fail(ctx, mark, "invalid YAML: %s (%s at %zu:%zu)", problem, parser->context,
                  parser->context_mark.line + 1, parser->context_mark.column + 1);
}

//  ---------------------------------------------------------------------------------------
//  Screening: one pass over the events, before any tree exists

static int
s_screen_event(s_ctx_t *ctx, const yaml_event_t *event, int *depth, int *documents)
{
    yaml_event_type_t type = event->type;
    bool opens = type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT;
    bool closes = type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT;
    //  The scalar, sequence_start and mapping_start members of the union all begin
    //  with anchor and tag, so one read serves the three events that can carry them
    bool node = opens || type == YAML_SCALAR_EVENT;
    const char *anchor = node ? (const char *) event->data.scalar.anchor : NULL;
    const char *tag = node ? (const char *) event->data.scalar.tag : NULL;
    const char *alias =
        type == YAML_ALIAS_EVENT ? (const char *) event->data.alias.anchor : NULL;
    yaml_mark_t mark = event->start_mark;
    *depth += opens - closes;
    *documents += type == YAML_DOCUMENT_START_EVENT;
    if (alias || anchor || tag) {
        const char *what = alias ? "alias '*" : anchor ? "anchor '&" : "tag '";
        const char *name = alias ? alias : anchor ? anchor : tag;
        return s_fail(ctx, mark, "%s%s' is not supported in swarm files", what,
                      s_sample(name, strlen(name)).text);
    }
    if (*documents > 1) {
        return s_fail(ctx, mark, "expected one YAML document, found a second one");
    }
    if (*depth > ZS_SWARM_DEPTH_MAX) {
        return s_fail(ctx, mark, "nesting deeper than %d levels", ZS_SWARM_DEPTH_MAX);
    }
    return 0;
}

static void
s_parser_init(s_ctx_t *ctx, yaml_parser_t *parser)
{
    if (!yaml_parser_initialize(parser)) {
        s_oom();
    }
    yaml_parser_set_input_string(parser, (const unsigned char *) ctx->text, ctx->size);
}

static int
s_screen(s_ctx_t *ctx)
{
    yaml_parser_t parser;
    s_parser_init(ctx, &parser);
    int depth = 0, documents = 0, rc = 0;
    bool done = false;
    while (rc == 0 && !done) {
        yaml_event_t event;
        if (!yaml_parser_parse(&parser, &event)) {
            rc = s_fail_yaml(ctx, &parser);
            break;
        }
        rc = s_screen_event(ctx, &event, &depth, &documents);
        done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    return rc;
}

static int
s_compose(s_ctx_t *ctx, yaml_document_t *doc)
{
    yaml_parser_t parser;
    s_parser_init(ctx, &parser);
    int rc = yaml_parser_load(&parser, doc) ? 0 : s_fail_yaml(ctx, &parser);
    yaml_parser_delete(&parser);
    return rc;
}

//  ---------------------------------------------------------------------------------------
//  Scalars

static void *
s_field(void *target, const s_key_t *key)
{
    return (char *) target + key->offset;
}

//  The text of a plain (unquoted) scalar, or NULL
static const char *
s_plain(const yaml_node_t *node)
{
    bool plain = node->type == YAML_SCALAR_NODE &&
                 node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    return plain ? (const char *) node->data.scalar.value : NULL;
}

//  YAML's null: nothing, ~ or null, unquoted
static bool
s_is_null(const yaml_node_t *node)
{
    const char *text = s_plain(node);
    return text && (!*text || strcmp(text, "~") == 0 || strcasecmp(text, "null") == 0);
}

//  Digits with an optional minus, so "-1" is out of range rather than not a number
static bool
s_is_decimal(const char *text)
{
    text += *text == '-';
    return *text && strspn(text, "0123456789") == strlen(text);
}

static bool
s_is_name(const char *text, size_t len)
{
    static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789._-";
    return len >= 1 && len <= ZS_SWARM_NAME_MAX && strspn(text, allowed) == len;
}

//  The text of a scalar that is not a YAML null, or NULL after setting the error
static const char *
s_string(s_ctx_t *ctx, const yaml_node_t *node, const char *name, size_t *len_p)
{
    if (node->type != YAML_SCALAR_NODE || s_is_null(node)) {
        s_fail(ctx, node->start_mark, "expected string for '%s'", name);
        return NULL;
    }
    const char *text = (const char *) node->data.scalar.value;
    *len_p = node->data.scalar.length;
    if (memchr(text, '\0', *len_p)) {
        s_fail(ctx, node->start_mark, "string for '%s' contains a NUL byte", name);
        return NULL;
    }
    return text;
}

//  Also checks each item of 'capabilities'
static int
s_check_name(s_ctx_t *ctx, const s_key_t *key, const yaml_node_t *node)
{
    size_t len;
    const char *text = s_string(ctx, node, key->name, &len);
    if (!text) {
        return -1;
    }
    if (!s_is_name(text, len)) {
        return s_fail(
            ctx, node->start_mark,
            "invalid name '%s' for '%s' (expected 1 to %d of A-Z a-z 0-9 . _ -)",
            s_sample(text, len).text, key->name, ZS_SWARM_NAME_MAX);
    }
    return 0;
}

static void
s_store_string(void *target, const s_key_t *key, const yaml_node_t *node)
{
    char **slot = s_field(target, key);
    free(*slot);
    *slot = zs_strndup((const char *) node->data.scalar.value, node->data.scalar.length);
}

static int
s_read_name(s_ctx_t *ctx, const s_key_t *key, yaml_node_t *node, void *target)
{
    if (s_check_name(ctx, key, node) != 0) {
        return -1;
    }
    s_store_string(target, key, node);
    return 0;
}

static int
s_read_uint(s_ctx_t *ctx, const s_key_t *key, yaml_node_t *node, void *target)
{
    const char *text = s_plain(node);
    int64_t value;
    if (!text || !s_is_decimal(text)) {
        return s_fail(ctx, node->start_mark, "expected integer for '%s'", key->name);
    }
    if (zs_parse_int(text, key->min, key->max, &value) != 0) {
        return s_fail(ctx, node->start_mark,
                      "value %s for '%s' is out of range (expected %lld..%lld)",
                      s_sample(text, strlen(text)).text, key->name, (long long) key->min,
                      (long long) key->max);
    }
    *(unsigned *) s_field(target, key) = (unsigned) value;
    return 0;
}

static int
s_read_bool(s_ctx_t *ctx, const s_key_t *key, yaml_node_t *node, void *target)
{
    const char *text = s_plain(node);
    bool yes = text && strcmp(text, "true") == 0;
    bool no = text && strcmp(text, "false") == 0;
    if (!yes && !no) {
        return s_fail(ctx, node->start_mark, "expected true or false for '%s'",
                      key->name);
    }
    *(bool *) s_field(target, key) = yes;
    return 0;
}

//  The choice the node names, or NULL after setting the error
static const s_choice_t *
s_choose(s_ctx_t *ctx, const s_key_t *key, const yaml_node_t *node)
{
    const s_choices_t *choices = key->arg;
    size_t len;
    const char *text = s_string(ctx, node, key->name, &len);
    for (size_t i = 0; text && i < choices->count; i++) {
        if (strcmp(text, choices->items[i].word) != 0) {
            continue;
        }
        if (choices->items[i].value == ZS_SWARM_LATER) {
            s_fail(ctx, node->start_mark,
                   "%s '%s' is not available in this version (expected %s)", key->name,
                   text, choices->expected);
            return NULL;
        }
        return &choices->items[i];
    }
    if (text) {
        s_fail(ctx, node->start_mark, "unknown %s '%s' (expected %s)", key->name,
               s_sample(text, len).text, choices->expected);
    }
    return NULL;
}

static int
s_read_word(s_ctx_t *ctx, const s_key_t *key, yaml_node_t *node, void *target)
{
    if (!s_choose(ctx, key, node)) {
        return -1;
    }
    s_store_string(target, key, node);
    return 0;
}

//  A word from the key's choices, stored as its enum value (every enum here is an int)
static int
s_read_enum(s_ctx_t *ctx, const s_key_t *key, yaml_node_t *node, void *target)
{
    const s_choice_t *choice = s_choose(ctx, key, node);
    if (!choice) {
        return -1;
    }
    *(int *) s_field(target, key) = choice->value;
    return 0;
}

static int
s_read_path(s_ctx_t *ctx, const s_key_t *key, yaml_node_t *node, void *target)
{
    size_t len;
    const char *text = s_string(ctx, node, key->name, &len);
    if (!text) {
        return -1;
    }
    if (len == 0 || len > ZS_SWARM_PATH_MAX) {
        return s_fail(ctx, node->start_mark, "expected a path of 1 to %d bytes for '%s'",
                      ZS_SWARM_PATH_MAX, key->name);
    }
    s_store_string(target, key, node);
    return 0;
}

//  ---------------------------------------------------------------------------------------
//  Endpoints

static bool
s_port_is_valid(const char *port)
{
    int64_t value;
    return strcmp(port, "*") == 0 ||
           (s_is_decimal(port) && zs_parse_int(port, 1, ZS_SWARM_PORT_MAX, &value) == 0);
}

//  Why the endpoint cannot be bound, or NULL. host gets the tcp host, "" for ipc.
static const char *
s_endpoint_check(const char *endpoint, char *host, size_t host_size)
{
    host[0] = '\0';
    if (strncmp(endpoint, "ipc://", 6) == 0) {
        size_t len = strlen(endpoint + 6);
        return len == 0                      ? "the ipc path is empty"
               : len > ZS_SWARM_IPC_PATH_MAX ? "the ipc path is longer than 107 bytes"
                                             : NULL;
    }
    if (strncmp(endpoint, "tcp://", 6) != 0) {
        return "expected tcp://HOST:PORT or ipc://PATH";
    }
    const char *address = endpoint + 6;
    const char *colon = strrchr(address, ':');
    if (!colon || !s_port_is_valid(colon + 1)) {
        return "expected a port 1..65535 or '*' after the last ':'";
    }
    size_t len = (size_t) (colon - address);
    bool brackets_match = len > 0 && (address[0] == '[') == (address[len - 1] == ']');
    if (!brackets_match || len >= host_size ||
        strspn(address, ZS_SWARM_HOST_CHARS) < len) {
        return "expected a host name, an IPv4 address, [IPv6] or '*'";
    }
    memcpy(host, address, len);
    host[len] = '\0';
    return NULL;
}

static bool
s_host_is_loopback(const char *host)
{
    char bare[ZS_SWARM_ENDPOINT_MAX];
    size_t len = strlen(host);
    bool bracketed = len >= 2 && host[0] == '[';
    snprintf(bare, sizeof bare, "%.*s", (int) (bracketed ? len - 2 : len),
             host + bracketed);
    struct in_addr v4;
    struct in6_addr v6;
    if (strcasecmp(bare, "localhost") == 0) {
        return true;
    }
    if (inet_pton(AF_INET, bare, &v4) == 1) {
        return ntohl(v4.s_addr) >> 24 == 127;
    }
    return inet_pton(AF_INET6, bare, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

//  Local means only this machine can connect: ipc, or tcp on a loopback address
static bool
s_endpoint_is_local(const char *endpoint)
{
    char host[ZS_SWARM_ENDPOINT_MAX];
    return s_endpoint_check(endpoint, host, sizeof host) == NULL &&
           (host[0] == '\0' || s_host_is_loopback(host));
}

static int
s_read_endpoint(s_ctx_t *ctx, const s_key_t *key, yaml_node_t *node, void *target)
{
    size_t len;
    const char *text = s_string(ctx, node, key->name, &len);
    if (!text) {
        return -1;
    }
    char host[ZS_SWARM_ENDPOINT_MAX];
    const char *why = len >= ZS_SWARM_ENDPOINT_MAX
                          ? "longer than 255 bytes"
                          : s_endpoint_check(text, host, sizeof host);
    if (why) {
        return s_fail(ctx, node->start_mark, "invalid endpoint '%s' for '%s': %s",
                      s_sample(text, len).text, key->name, why);
    }
    s_store_string(target, key, node);
    return 0;
}

//  ---------------------------------------------------------------------------------------
//  Mappings and sequences

static yaml_node_t *
s_node(const s_ctx_t *ctx, int index)
{
    return yaml_document_get_node(ctx->doc, index);
}

//  Lists the keys the table knows, so a typo's error shows the right spelling
static int
s_fail_unknown(s_ctx_t *ctx, const s_table_t *table, const yaml_node_t *name)
{
    char expected[ZS_ERROR_TEXT_MAX] = "";
    size_t at = 0;
    for (size_t i = 0; i < table->count && at < sizeof expected; i++) {
        at += (size_t) snprintf(expected + at, sizeof expected - at, "%s%s",
                                i ? ", " : "", table->keys[i].name);
    }
    return s_fail(ctx, name->start_mark, "unknown key '%s' %s (expected one of: %s)",
                  s_sample(name->data.scalar.value, name->data.scalar.length).text,
                  table->label, expected);
}

//  Index of the key the node names in the table, or -1 after setting the error
static int
s_key_find(s_ctx_t *ctx, const s_table_t *table, const yaml_node_t *name)
{
    if (name->type != YAML_SCALAR_NODE) {
        s_fail(ctx, name->start_mark, "expected a string key %s", table->label);
        return -1;
    }
    for (size_t i = 0; i < table->count; i++) {
        //  by length too, so a quoted "name\0x" is not 'name'
        if (name->data.scalar.length == strlen(table->keys[i].name) &&
            strcmp((const char *) name->data.scalar.value, table->keys[i].name) == 0) {
            return (int) i;
        }
    }
    return s_fail_unknown(ctx, table, name);
}

//  Read every key of the mapping into target. found[i] gets the value node of
//  table->keys[i], or stays NULL when the key is absent.
static int
s_read_map(s_ctx_t *ctx,
           const s_table_t *table,
           const yaml_node_t *map,
           void *target,
           yaml_node_t **found)
{
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *name = s_node(ctx, pair->key);
        yaml_node_t *value = s_node(ctx, pair->value);
        int index = s_key_find(ctx, table, name);
        if (index < 0) {
            return -1;
        }
        const s_key_t *key = &table->keys[index];
        if (found[index]) {
            return s_fail(ctx, name->start_mark, "duplicate key '%s' %s", key->name,
                          table->label);
        }
        found[index] = value;
        if (key->read(ctx, key, value, target) != 0) {
            return -1;
        }
    }
    for (size_t i = 0; i < table->count; i++) {
        if (table->keys[i].need == S_REQUIRED && !found[i]) {
            return s_fail(ctx, map->start_mark, "missing required key '%s' %s",
                          table->keys[i].name, table->label);
        }
    }
    return 0;
}

//  A nested mapping whose keys land in the target at the key's offset: 0 for sections
//  of the swarm itself like 'bind', the zs_supervision_t member for 'supervision'
static int
s_read_section(s_ctx_t *ctx, const s_key_t *key, yaml_node_t *node, void *target)
{
    yaml_node_t *found[ZS_SWARM_KEYS_MAX] = {0};
    if (node->type != YAML_MAPPING_NODE) {
        return s_fail(ctx, node->start_mark, "expected mapping for '%s'", key->name);
    }
    return s_read_map(ctx, key->arg, node, s_field(target, key), found);
}

//  The value node of a key in a mapping, or NULL
static const yaml_node_t *
s_map_value(const s_ctx_t *ctx, const yaml_node_t *map, const char *name)
{
    for (yaml_node_pair_t *pair = map ? map->data.mapping.pairs.start : NULL;
         pair && pair < map->data.mapping.pairs.top; pair++) {
        const yaml_node_t *key = s_node(ctx, pair->key);
        if (key->type == YAML_SCALAR_NODE &&
            strcmp((const char *) key->data.scalar.value, name) == 0) {
            return s_node(ctx, pair->value);
        }
    }
    return NULL;
}

static int
s_sequence(s_ctx_t *ctx, const s_key_t *key, const yaml_node_t *node, size_t *count_p)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        return s_fail(ctx, node->start_mark, "expected sequence for '%s'", key->name);
    }
    size_t count =
        (size_t) (node->data.sequence.items.top - node->data.sequence.items.start);
    if ((int64_t) count < key->min || (int64_t) count > key->max) {
        return s_fail(ctx, node->start_mark,
                      "expected %lld..%lld items in '%s', found %zu",
                      (long long) key->min, (long long) key->max, key->name, count);
    }
    *count_p = count;
    return 0;
}

//  Checks one item of a list of strings
typedef int(s_item_fn)(s_ctx_t *ctx, const s_key_t *key, const yaml_node_t *item);

static int
s_check_arg(s_ctx_t *ctx, const s_key_t *key, const yaml_node_t *item)
{
    size_t len;
    if (!s_string(ctx, item, key->name, &len)) {
        return -1;
    }
    if (len < 1 || len > ZS_SWARM_ARG_MAX) {
        return s_fail(ctx, item->start_mark,
                      "expected 1..%d bytes in each item of '%s', found %zu",
                      ZS_SWARM_ARG_MAX, key->name, len);
    }
    return 0;
}

//  A list of strings, NULL-terminated, stored as it is read so that destroying the
//  swarm frees a list that failed half way
static int
s_read_strings(s_ctx_t *ctx,
               const s_key_t *key,
               const yaml_node_t *node,
               s_item_fn *check,
               char ***list_p,
               size_t *count_p)
{
    size_t count = 0;
    if (s_sequence(ctx, key, node, &count) != 0) {
        return -1;
    }
    *list_p = zs_calloc(count + 1, sizeof(char *));
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *item = s_node(ctx, node->data.sequence.items.start[i]);
        if (check(ctx, key, item) != 0) {
            return -1;
        }
        (*list_p)[i] =
            zs_strndup((const char *) item->data.scalar.value, item->data.scalar.length);
        (*count_p)++;
    }
    return 0;
}

static int
s_read_command(s_ctx_t *ctx, const s_key_t *key, yaml_node_t *node, void *target)
{
    zs_swarm_type_t *type = target;
    return s_read_strings(ctx, key, node, s_check_arg, &type->argv, &type->argc);
}

static int
s_read_caps(s_ctx_t *ctx, const s_key_t *key, yaml_node_t *node, void *target)
{
    zs_swarm_type_t *type = target;
    return s_read_strings(ctx, key, node, s_check_name, &type->caps, &type->cap_count);
}

//  'backoff_ms: [min, max]': key->min and key->max bound each item. Stored only whole,
//  so a half-read list never leaves min above max.
static int
s_read_backoff(s_ctx_t *ctx, const s_key_t *key, yaml_node_t *node, void *target)
{
    zs_supervision_t *sup = target, read = *sup;
    if (node->type != YAML_SEQUENCE_NODE) {
        return s_fail(ctx, node->start_mark, "expected sequence [min, max] for '%s'",
                      key->name);
    }
    yaml_node_item_t *items = node->data.sequence.items.start;
    size_t count = (size_t) (node->data.sequence.items.top - items);
    if (count != 2) {
        return s_fail(ctx, node->start_mark,
                      "expected 2 items [min, max] in '%s', found %zu", key->name, count);
    }
    s_key_t bound = *key;
    bound.offset = offsetof(zs_supervision_t, backoff_min_ms);
    if (s_read_uint(ctx, &bound, s_node(ctx, items[0]), &read) != 0) {
        return -1;
    }
    bound.offset = offsetof(zs_supervision_t, backoff_max_ms);
    if (s_read_uint(ctx, &bound, s_node(ctx, items[1]), &read) != 0) {
        return -1;
    }
    if (read.backoff_min_ms > read.backoff_max_ms) {
        return s_fail(ctx, node->start_mark, "min %u in '%s' is above max %u",
                      read.backoff_min_ms, key->name, read.backoff_max_ms);
    }
    *sup = read;
    return 0;
}

//  ---------------------------------------------------------------------------------------
//  Key tables. Indexes into found[] are named only where a cross-key rule needs them.

enum { S_TOP_BIND = 4, S_TYPE_TYPE = 0, S_TYPE_COMMAND = 3 };

static const s_choice_t s_topologies[] = {{"star", 0},
                                          {"mesh", ZS_SWARM_LATER},
                                          {"hierarchical", ZS_SWARM_LATER},
                                          {"ring", ZS_SWARM_LATER}};
static const s_choice_t s_strategies[] = {{"least-loaded", 0},
                                          {"round-robin", ZS_SWARM_LATER},
                                          {"capability", ZS_SWARM_LATER},
                                          {"best-fit", ZS_SWARM_LATER},
                                          {"auction", ZS_SWARM_LATER},
                                          {"work-stealing", ZS_SWARM_LATER}};
static const s_choice_t s_handlers[] = {{"builtin", ZS_HANDLER_BUILTIN},
                                        {"exec", ZS_HANDLER_EXEC},
                                        {"http", ZS_SWARM_LATER},
                                        {"llm", ZS_SWARM_LATER}};
static const s_choices_t s_topology_choices = {s_topologies,
                                               ZS_SWARM_LENGTH(s_topologies), "star"};
static const s_choices_t s_strategy_choices = {
    s_strategies, ZS_SWARM_LENGTH(s_strategies), "least-loaded"};
static const s_choices_t s_handler_choices = {s_handlers, ZS_SWARM_LENGTH(s_handlers),
                                              "builtin or exec"};
static const s_choice_t s_sup_strategies[] = {{"one-for-one", ZS_SUP_ONE_FOR_ONE},
                                              {"one-for-all", ZS_SUP_ONE_FOR_ALL},
                                              {"rest-for-one", ZS_SUP_REST_FOR_ONE}};
static const s_choice_t s_sup_restarts[] = {{"permanent", ZS_SUP_PERMANENT},
                                            {"transient", ZS_SUP_TRANSIENT},
                                            {"temporary", ZS_SUP_TEMPORARY}};
static const s_choices_t s_sup_strategy_choices = {
    s_sup_strategies, ZS_SWARM_LENGTH(s_sup_strategies),
    "one-for-one, one-for-all or rest-for-one"};
static const s_choices_t s_sup_restart_choices = {
    s_sup_restarts, ZS_SWARM_LENGTH(s_sup_restarts), "permanent, transient or temporary"};

static const zs_supervision_t s_sup_default = ZS_SWARM_SUPERVISION_DEFAULT;

#define S_SWARM(field) offsetof(zs_swarm_t, field)
#define S_TYPE(field)  offsetof(zs_swarm_type_t, field)
#define S_SUP(field)   offsetof(zs_supervision_t, field)
// clang-format off
#define S_KEY(name, read, offset, arg, need) {name, read, offset, 0, 0, arg, need}
#define S_UINT(name, offset, min, max) {name, s_read_uint, offset, min, max, NULL, S_OPTIONAL}
#define S_LIST(name, read, min, max, need) {name, read, 0, min, max, NULL, need}
#define S_TABLE(label, keys) {label, keys, ZS_SWARM_LENGTH(keys)}
// clang-format on

static const s_key_t s_sup_keys[] = {
    S_KEY("strategy", s_read_enum, S_SUP(strategy), &s_sup_strategy_choices, S_OPTIONAL),
    S_KEY("restart", s_read_enum, S_SUP(restart), &s_sup_restart_choices, S_OPTIONAL),
    {"backoff_ms", s_read_backoff, 0, 1, ZS_SWARM_BACKOFF_MAX_MS, NULL, S_OPTIONAL},
    S_UINT("max_restarts", S_SUP(max_restarts), 0, ZS_SWARM_MAX_RESTARTS),
    S_UINT("within_s", S_SUP(within_s), 1, ZS_SWARM_WITHIN_MAX_S),
};
static const s_table_t s_sup_table = S_TABLE("in 'supervision'", s_sup_keys);

static const s_key_t s_type_keys[] = {
    [S_TYPE_TYPE] = S_KEY("type", s_read_name, S_TYPE(type), NULL, S_REQUIRED),
    S_UINT("count", S_TYPE(count), 0, ZS_SWARM_MAX_COUNT),
    S_KEY("handler", s_read_enum, S_TYPE(handler), &s_handler_choices, S_OPTIONAL),
    [S_TYPE_COMMAND] =
        S_LIST("command", s_read_command, 1, ZS_SWARM_ARGV_MAX, S_OPTIONAL),
    S_LIST("capabilities", s_read_caps, 0, ZS_SWARM_CAPS_MAX, S_OPTIONAL),
    S_UINT("concurrency", S_TYPE(concurrency), 1, ZS_SWARM_CONC_MAX),
    S_KEY("supervision", s_read_section, S_TYPE(supervision), &s_sup_table, S_OPTIONAL),
};
static const s_key_t s_bind_keys[] = {
    S_KEY("agents", s_read_endpoint, S_SWARM(bind_agents), NULL, S_OPTIONAL),
    S_KEY("events", s_read_endpoint, S_SWARM(bind_events), NULL, S_OPTIONAL),
    S_KEY("control", s_read_endpoint, S_SWARM(bind_control), NULL, S_OPTIONAL),
};
static const s_key_t s_heartbeat_keys[] = {
    S_UINT("interval_ms", S_SWARM(heartbeat_ms), ZS_SWARM_HB_MIN_MS, ZS_SWARM_HB_MAX_MS),
    S_UINT("liveness", S_SWARM(liveness), ZS_SWARM_LIVENESS_MIN, ZS_SWARM_LIVENESS_MAX),
};
static const s_key_t s_tasks_keys[] = {
    S_UINT("timeout_ms", S_SWARM(task_timeout_ms), 1, ZS_SWARM_TIMEOUT_MAX_MS),
    S_UINT("retries", S_SWARM(task_retries), 0, ZS_SWARM_RETRIES_MAX),
    S_UINT("max_queue", S_SWARM(max_queue), 1, ZS_SWARM_QUEUE_MAX),
    S_UINT("keep_results", S_SWARM(keep_results), 0, ZS_SWARM_KEEP_MAX),
    S_UINT("keep_results_s", S_SWARM(keep_results_s), 0, ZS_SWARM_KEEP_S_MAX),
};
static const s_choice_t s_fsyncs[] = {{"always", ZS_JOURNAL_ALWAYS},
                                      {"batch", ZS_JOURNAL_BATCH},
                                      {"none", ZS_JOURNAL_NONE}};
static const s_choices_t s_fsync_choices = {s_fsyncs, ZS_SWARM_LENGTH(s_fsyncs),
                                            "always, batch or none"};
static const s_key_t s_journal_keys[] = {
    S_KEY("path", s_read_path, S_SWARM(journal_path), NULL, S_REQUIRED),
    S_KEY("fsync", s_read_enum, S_SWARM(journal_sync), &s_fsync_choices, S_OPTIONAL),
};

static const s_table_t s_type_table = S_TABLE("in agent type", s_type_keys);
static const s_table_t s_bind_table = S_TABLE("in 'bind'", s_bind_keys);
static const s_table_t s_heartbeat_table = S_TABLE("in 'heartbeat'", s_heartbeat_keys);
static const s_table_t s_tasks_table = S_TABLE("in 'tasks'", s_tasks_keys);
static const s_table_t s_journal_table = S_TABLE("in 'journal'", s_journal_keys);

static int
s_read_agents(s_ctx_t *ctx, const s_key_t *key, yaml_node_t *node, void *target);

static const s_key_t s_top_keys[] = {
    S_KEY("name", s_read_name, S_SWARM(name), NULL, S_REQUIRED),
    S_KEY("topology", s_read_word, S_SWARM(topology), &s_topology_choices, S_OPTIONAL),
    S_KEY("strategy", s_read_word, S_SWARM(strategy), &s_strategy_choices, S_OPTIONAL),
    S_KEY("insecure", s_read_bool, S_SWARM(insecure), NULL, S_OPTIONAL),
    [S_TOP_BIND] = S_KEY("bind", s_read_section, 0, &s_bind_table, S_OPTIONAL),
    S_KEY("heartbeat", s_read_section, 0, &s_heartbeat_table, S_OPTIONAL),
    S_KEY("tasks", s_read_section, 0, &s_tasks_table, S_OPTIONAL),
    S_KEY("journal", s_read_section, 0, &s_journal_table, S_OPTIONAL),
    S_KEY("supervision", s_read_section, S_SWARM(supervision), &s_sup_table, S_OPTIONAL),
    S_LIST("agents", s_read_agents, 1, ZS_SWARM_MAX_TYPES, S_REQUIRED),
};
static const s_table_t s_top_table = S_TABLE("at top level", s_top_keys);

_Static_assert(ZS_SWARM_LENGTH(s_top_keys) <= ZS_SWARM_KEYS_MAX, "found[] too small");
_Static_assert(ZS_SWARM_LENGTH(s_type_keys) <= ZS_SWARM_KEYS_MAX, "found[] too small");
_Static_assert(ZS_SWARM_LENGTH(s_sup_keys) <= ZS_SWARM_KEYS_MAX, "found[] too small");

//  ---------------------------------------------------------------------------------------
//  Rules across keys

static int
s_check_type(s_ctx_t *ctx,
             const zs_swarm_t *self,
             const yaml_node_t *map,
             yaml_node_t **found)
{
    const zs_swarm_type_t *type = &self->types[self->type_count - 1];
    if (zs_swarm_type_find(self, type->type) != type) {
        return s_fail(ctx, found[S_TYPE_TYPE]->start_mark, "duplicate agent type '%s'",
                      type->type);
    }
    if (type->handler == ZS_HANDLER_EXEC && !type->argv) {
        return s_fail(ctx, map->start_mark,
                      "agent type '%s' has handler exec but no 'command'", type->type);
    }
    if (type->handler != ZS_HANDLER_EXEC && type->argv) {
        return s_fail(ctx, found[S_TYPE_COMMAND]->start_mark,
                      "'command' is only for handler exec (agent type '%s' is builtin)",
                      type->type);
    }
    return 0;
}

static int
s_read_agents(s_ctx_t *ctx, const s_key_t *key, yaml_node_t *node, void *target)
{
    zs_swarm_t *self = target;
    size_t count = 0;
    if (s_sequence(ctx, key, node, &count) != 0) {
        return -1;
    }
    self->types = zs_calloc(count, sizeof *self->types);
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = s_node(ctx, node->data.sequence.items.start[i]);
        yaml_node_t *found[ZS_SWARM_KEYS_MAX] = {0};
        if (item->type != YAML_MAPPING_NODE) {
            return s_fail(ctx, item->start_mark, "expected mapping for agent type");
        }
        self->types[i] = (zs_swarm_type_t){.count = ZS_SWARM_DEFAULT_COUNT,
                                           .handler = ZS_HANDLER_BUILTIN,
                                           .concurrency = ZS_SWARM_DEFAULT_CONCURRENCY,
                                           .supervision = s_sup_default};
        self->type_count++;
        if (s_read_map(ctx, &s_type_table, item, &self->types[i], found) != 0 ||
            s_check_type(ctx, self, item, found) != 0) {
            return -1;
        }
    }
    return 0;
}

//  Runs after the whole top level is read, because 'insecure' may follow 'bind'.
//  Defaults are loopback and distinct, so an error always has an explicit key to blame.
static int
s_check_binds(s_ctx_t *ctx,
              zs_swarm_t *self,
              const yaml_node_t *root,
              const yaml_node_t *bind)
{
    const char *endpoints[ZS_SWARM_LENGTH(s_bind_keys)];
    const yaml_node_t *nodes[ZS_SWARM_LENGTH(s_bind_keys)];
    for (size_t i = 0; i < ZS_SWARM_LENGTH(s_bind_keys); i++) {
        const s_key_t *key = &s_bind_keys[i];
        endpoints[i] = *(char **) s_field(self, key);
        nodes[i] = s_map_value(ctx, bind, key->name);
        if (!self->insecure && !s_endpoint_is_local(endpoints[i])) {
            return s_fail(ctx, (nodes[i] ? nodes[i] : root)->start_mark,
                          "bind '%s' is not a loopback address: CURVE security is not "
                          "in this version; set 'insecure: true' to bind it anyway",
                          endpoints[i]);
        }
        size_t len = strlen(endpoints[i]);
        bool any_port = len >= 2 && strcmp(endpoints[i] + len - 2, ":*") == 0;
        for (size_t j = 0; j < i && !any_port; j++) {
            if (strcmp(endpoints[i], endpoints[j]) == 0) {
                const yaml_node_t *blame = nodes[i] ? nodes[i] : nodes[j];
                return s_fail(ctx, (blame ? blame : root)->start_mark,
                              "bind '%s' is used for both '%s' and '%s'", endpoints[i],
                              s_bind_keys[j].name, key->name);
            }
        }
    }
    return 0;
}

//  Runs after the whole top level is read, because the top-level 'supervision' may
//  follow 'agents': each type starts from it and reads its own keys over it again
static int
s_resolve_supervision(s_ctx_t *ctx, zs_swarm_t *self, const yaml_node_t *root)
{
    const yaml_node_t *agents = s_map_value(ctx, root, "agents");
    for (size_t i = 0; i < self->type_count; i++) {
        zs_swarm_type_t *type = &self->types[i];
        const yaml_node_t *item = s_node(ctx, agents->data.sequence.items.start[i]);
        const yaml_node_t *own = s_map_value(ctx, item, "supervision");
        yaml_node_t *found[ZS_SWARM_KEYS_MAX] = {0};
        type->supervision = self->supervision;
        if (own && s_read_map(ctx, &s_sup_table, own, &type->supervision, found) != 0) {
            return -1;
        }
    }
    return 0;
}

static int
s_read_swarm(s_ctx_t *ctx, zs_swarm_t *self)
{
    yaml_node_t *root = yaml_document_get_root_node(ctx->doc);
    yaml_node_t *found[ZS_SWARM_KEYS_MAX] = {0};
    if (!root) {
        yaml_mark_t start = {0, 0, 0};
        return s_fail(ctx, start,
                      "empty swarm file (expected a mapping with 'name' and 'agents')");
    }
    if (root->type != YAML_MAPPING_NODE) {
        return s_fail(ctx, root->start_mark, "expected mapping at top level");
    }
    if (s_read_map(ctx, &s_top_table, root, self, found) != 0 ||
        s_resolve_supervision(ctx, self, root) != 0) {
        return -1;
    }
    return s_check_binds(ctx, self, root, found[S_TOP_BIND]);
}

//  ---------------------------------------------------------------------------------------
//  Public API

static zs_swarm_t *
s_swarm_new(const char *path)
{
    zs_swarm_t *self = zs_calloc(1, sizeof *self);
    self->path = zs_strdup(path);
    self->topology = zs_strdup(ZS_SWARM_DEFAULT_TOPOLOGY);
    self->strategy = zs_strdup(ZS_SWARM_DEFAULT_STRATEGY);
    self->bind_agents = zs_strdup(ZS_SWARM_DEFAULT_AGENTS);
    self->bind_events = zs_strdup(ZS_SWARM_DEFAULT_EVENTS);
    self->bind_control = zs_strdup(ZS_SWARM_DEFAULT_CONTROL);
    self->heartbeat_ms = ZS_SWARM_DEFAULT_HB_MS;
    self->liveness = ZS_SWARM_DEFAULT_LIVENESS;
    self->task_timeout_ms = ZS_SWARM_DEFAULT_TIMEOUT_MS;
    self->task_retries = ZS_SWARM_DEFAULT_RETRIES;
    self->max_queue = ZS_SWARM_DEFAULT_MAX_QUEUE;
    self->keep_results = ZS_SWARM_DEFAULT_KEEP;
    self->keep_results_s = ZS_SWARM_DEFAULT_KEEP_S;
    self->journal_sync = ZS_JOURNAL_BATCH;
    self->supervision = s_sup_default;
    return self;
}

zs_swarm_t *
zs_swarm_parse(const char *text, size_t size, const char *path, zs_error_t *err)
{
    assert(text);
    assert(path);
    if (size > ZS_SWARM_FILE_MAX) {
        zs_error_set(err, ZS_SWARM_E_READ, "%s: file is larger than %d bytes", path,
                     ZS_SWARM_FILE_MAX);
        return NULL;
    }
    s_ctx_t ctx = {text, size, path, NULL, err, ZS_SWARM_E_SYNTAX};
    yaml_document_t doc;
    if (s_screen(&ctx) != 0 || s_compose(&ctx, &doc) != 0) {
        return NULL;
    }
    ctx.doc = &doc;
    ctx.code = ZS_SWARM_E_INVALID;
    zs_swarm_t *self = s_swarm_new(path);
    if (s_read_swarm(&ctx, self) != 0) {
        zs_swarm_destroy(&self);
    }
    yaml_document_delete(&doc);
    return self;
}

//  Reads at most one byte past the limit, which zs_swarm_parse then rejects
static char *
s_read_file(const char *path, size_t *size_p, zs_error_t *err)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        zs_error_set(err, ZS_SWARM_E_READ, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *text = zs_malloc(ZS_SWARM_FILE_MAX + 1);
    *size_p = fread(text, 1, ZS_SWARM_FILE_MAX + 1, file);
    if (ferror(file)) {
        zs_error_set(err, ZS_SWARM_E_READ, "%s: cannot read: %s", path, strerror(errno));
        free(text);
        text = NULL;
    }
    fclose(file);
    return text;
}

zs_swarm_t *
zs_swarm_load(const char *path, zs_error_t *err)
{
    assert(path);
    size_t size = 0;
    char *text = s_read_file(path, &size, err);
    if (!text) {
        return NULL;
    }
    zs_swarm_t *self = zs_swarm_parse(text, size, path, err);
    free(text);
    return self;
}

static void
s_strings_free(char **list, size_t count)
{
    for (size_t i = 0; list && i < count; i++) {
        free(list[i]);
    }
    free(list);
}

void
zs_swarm_destroy(zs_swarm_t **self_p)
{
    assert(self_p);
    zs_swarm_t *self = *self_p;
    if (!self) {
        return;
    }
    for (size_t i = 0; i < self->type_count; i++) {
        free(self->types[i].type);
        s_strings_free(self->types[i].argv, self->types[i].argc);
        s_strings_free(self->types[i].caps, self->types[i].cap_count);
    }
    free(self->types);
    free(self->path);
    free(self->name);
    free(self->topology);
    free(self->strategy);
    free(self->journal_path);
    free(self->bind_agents);
    free(self->bind_events);
    free(self->bind_control);
    free(self);
    *self_p = NULL;
}

const zs_swarm_type_t *
zs_swarm_type_find(const zs_swarm_t *self, const char *type)
{
    assert(self);
    assert(type);
    for (size_t i = 0; i < self->type_count; i++) {
        if (self->types[i].type && strcmp(self->types[i].type, type) == 0) {
            return &self->types[i];
        }
    }
    return NULL;
}
