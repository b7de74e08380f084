//  test_msg_vectors - msgpack-test-suite's encodings through every field kind of the
//  codec
//
//  The suite (npm: msgpack-test-suite) gives values with every valid msgpack encoding of
//  each: a uint 1 as fixint, uint 8/16/32/64 and int 8/16/32/64, strings as fixstr and
//  str 8/16/32, bins, arrays, maps, nil, bools, negative numbers, floats, exts and
//  timestamps. Each case puts every encoding in one field of one kind, inside a whole
//  message as a client would send it (test_msg_spec.h packs the rest), and checks what
//  the codec makes of it (PROTOCOL.md §2.2, §2.3): the value, when the kind takes it;
//  absent, for a nil in an optional field and an empty optional name; refused as
//  malformed, naming the field, for anything else (a float for an integer, an ext, a
//  negative number for a uint, a str for a bin...). A float field takes the suite's
//  floats of both widths and its integers, within its bounds.
//
//  The vectors are not in the repository. ./run fetches the suite's npm package into
//  the build directory (its sha512 pinned) and meson passes the JSON's path as
//  ZS_MSGPACK_TEST_SUITE; test_msg_vectors.py, run with ZS_PYTHON, turns it into lines.
//  Without the file the test cannot run, says why and exits 77: meson reports a skip.

#include "proto/zs_msg.h"
#include "tests/unit/test_msg_spec.h"
#include "tests/unit/zs_test.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_SKIP          77    //  exit status meson reports as a skipped test
#define S_VECTORS_MAX   1024  //  encodings the suite may hold (1.0.0 has 233)
#define S_VECTORS_LEAST 200   //  fewer means a damaged file, not a smaller suite
#define S_BYTES_MAX     64    //  bytes of one encoding, or of a value in it
#define S_ITEMS_MAX     4     //  strs in an array value
#define S_GROUP_MAX     48    //  the suite's file name, for messages
#define S_LINE_MAX      512   //  one line of test_msg_vectors.py's output
#define S_PATH_MAX      4096

//  What a vector's value is, as test_msg_vectors.py says
typedef enum { V_NIL, V_BOOL, V_INT, V_FLOAT, V_STR, V_STRS, V_BIN, V_OTHER } t_vkind_t;

typedef struct {
    uint8_t data[S_BYTES_MAX];  //  the bytes
    size_t size;                //  their length
} t_bytes_t;

typedef struct {
    char group[S_GROUP_MAX];       //  the suite's file it comes from
    t_vkind_t kind;                //  what its value is
    bool b;                        //  V_BOOL value
    bool negative;                 //  V_INT: in i, else in u
    uint64_t u;                    //  V_INT value >= 0
    int64_t i;                     //  V_INT value < 0
    double f;                      //  V_FLOAT value
    t_bytes_t value;               //  V_STR, V_BIN bytes
    t_bytes_t items[S_ITEMS_MAX];  //  V_STRS items
    size_t item_count;             //  V_STRS items
    t_bytes_t frame;               //  the encoding
} t_vector_t;

static t_vector_t s_vectors[S_VECTORS_MAX];
static size_t s_vector_count;

//  ---------------------------------------------------------------------------------------
//  Loading

static bool
s_hex(const char *text, t_bytes_t *bytes)
{
    bytes->size = 0;
    if (strcmp(text, "-") == 0) {
        return true;
    }
    size_t size = strlen(text);
    if (size % 2 || size / 2 > S_BYTES_MAX) {
        return false;
    }
    for (size_t i = 0; i < size / 2; i++) {
        unsigned byte;
        if (sscanf(text + 2 * i, "%2x", &byte) != 1) {
            return false;
        }
        bytes->data[bytes->size++] = (uint8_t) byte;
    }
    return true;
}

//  "N:HEX,HEX": an array of strs
static bool
s_items(char *text, t_vector_t *vector)
{
    char *colon = strchr(text, ':');
    if (!colon || sscanf(text, "%zu", &vector->item_count) != 1 ||
        vector->item_count > S_ITEMS_MAX) {
        return false;
    }
    char *save = NULL;
    size_t n = 0;
    for (char *item = strtok_r(colon + 1, ",", &save); item && n < S_ITEMS_MAX;
         item = strtok_r(NULL, ",", &save)) {
        if (!s_hex(item, &vector->items[n++])) {
            return false;
        }
    }
    //  an empty item leaves no token; the suite has none, so a mismatch is an error
    return n == vector->item_count;
}

static bool
s_value(const char *kind, char *value, t_vector_t *vector)
{
    static const char *const kinds[] = {
        [V_NIL] = "nil", [V_BOOL] = "bool", [V_INT] = "int", [V_FLOAT] = "float",
        [V_STR] = "str", [V_STRS] = "strs", [V_BIN] = "bin", [V_OTHER] = "other"};
    size_t k = 0;
    while (k < S_COUNT(kinds) && strcmp(kinds[k], kind) != 0) {
        k++;
    }
    vector->kind = (t_vkind_t) k;
    switch (vector->kind) {
    case V_BOOL:
        vector->b = strcmp(value, "1") == 0;
        return true;
    case V_INT:
        errno = 0;
        vector->negative = value[0] == '-';
        if (vector->negative) {
            vector->i = strtoll(value, NULL, 10);
        } else {
            vector->u = strtoull(value, NULL, 10);
        }
        return errno == 0;
    case V_FLOAT: {
        char *end;
        vector->f = strtod(value, &end);
        return *end == '\0' && end != value;
    }
    case V_STR:
    case V_BIN:
        return s_hex(value, &vector->value);
    case V_STRS:
        return s_items(value, vector);
    case V_NIL:
    case V_OTHER:
        return true;
    }
    return false;
}

//  "GROUP KIND VALUE HEX"
static bool
s_parse(char *line, t_vector_t *vector)
{
    char *save = NULL;
    char *group = strtok_r(line, " \n", &save);
    char *kind = strtok_r(NULL, " \n", &save);
    char *value = strtok_r(NULL, " \n", &save);
    char *hex = strtok_r(NULL, " \n", &save);
    if (!hex || strlen(group) >= S_GROUP_MAX) {
        return false;
    }
    snprintf(vector->group, sizeof vector->group, "%s", group);
    return s_value(kind, value, vector) && s_hex(hex, &vector->frame) &&
           vector->frame.size > 0;
}

//  Runs the converter on json, its output on a pipe read as a stream
static FILE *
s_convert(const char *python, const char *script, const char *json, pid_t *pid)
{
    int fds[2];
    if (pipe(fds) != 0) {
        return NULL;
    }
    *pid = fork();
    if (*pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(python, python, script, json, (char *) NULL);
        _exit(127);
    }
    close(fds[1]);
    if (*pid < 0) {
        close(fds[0]);
        return NULL;
    }
    return fdopen(fds[0], "r");
}

//  Reads every vector of the suite at json; false (and why, on stderr) when it cannot
static bool
s_load(const char *python, const char *script, const char *json)
{
    pid_t pid;
    FILE *lines = s_convert(python, script, json, &pid);
    if (!lines) {
        fprintf(stderr, "test_msg_vectors: cannot run '%s': %s\n", python,
                strerror(errno));
        return false;
    }
    char line[S_LINE_MAX];
    bool parsed = true;
    while (parsed && fgets(line, sizeof line, lines)) {
        parsed =
            s_vector_count < S_VECTORS_MAX && s_parse(line, &s_vectors[s_vector_count++]);
    }
    fclose(lines);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!parsed || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        s_vector_count < S_VECTORS_LEAST) {
        fprintf(stderr,
                "test_msg_vectors: '%s' gave %zu vectors (status %d, last line %s): "
                "is '%s' damaged?\n",
                script, s_vector_count, status, parsed ? "fine" : "bad", json);
        return false;
    }
    return true;
}

//  ---------------------------------------------------------------------------------------
//  Probes: a field of one kind, and what it makes of each vector

//  How the probed field takes a value
typedef enum {
    P_UINT,       //  uint within min..max
    P_INT,        //  int within min..max
    P_BOOL,       //  bool
    P_FLOAT,      //  float within min..max: any float or integer
    P_TEXT,       //  str that may be empty
    P_NAME,       //  optional str that cannot be empty: empty reads as absent
    P_NAME_REQ,   //  required str that cannot be empty
    P_BIN,        //  bin
    P_LIST,       //  array of strs
    P_LIST_ITEM,  //  a str as the one item of an array of strs
    P_BINS,       //  array of bins
    P_BINS_ITEM,  //  a bin as the one item of an array of bins
} t_shape_t;

typedef struct {
    const char *type;        //  a whole message of this type ...
    const char *key;         //  ... with this key's value ...
    const char *prefix;      //  ... these bytes (no NUL among them; NULL: none) ...
    const char *record_key;  //  ... then this key as a fixstr: a field of the first
                             //  record, not of the message ...
    const char *named;       //  what a refusal names: the key, or the record's key
    t_shape_t shape;         //  how the field takes a value
    size_t offset;           //  of the field in zs_msg_t, or in the record's struct
    size_t records;          //  of the record array in zs_msg_t, for a record's field
    size_t aux;              //  of a bin's size
    int64_t min;             //  least value of a number
    uint64_t max;            //  greatest value of a number
} t_probe_t;

typedef enum { O_VALUE, O_ABSENT, O_REFUSED } t_outcome_t;

//  The number a vector holds as a double: its float, or its integer rounded
static double
s_number(const t_vector_t *v)
{
    return v->kind == V_FLOAT ? v->f : v->negative ? (double) v->i : (double) v->u;
}

//  What the field must make of a vector, from the protocol
static t_outcome_t
s_expect(const t_probe_t *probe, const t_vector_t *v)
{
    bool nil = v->kind == V_NIL;
    bool empty_str = v->kind == V_STR && v->value.size == 0;
    switch (probe->shape) {
    case P_UINT:
        return nil ? O_ABSENT
               : v->kind == V_INT && !v->negative && v->u >= (uint64_t) probe->min &&
                       v->u <= probe->max
                   ? O_VALUE
                   : O_REFUSED;
    case P_INT:
        return nil ? O_ABSENT
               : v->kind == V_INT &&
                       (v->negative ? v->i >= probe->min : v->u <= probe->max)
                   ? O_VALUE
                   : O_REFUSED;
    case P_BOOL:
        return nil ? O_ABSENT : v->kind == V_BOOL ? O_VALUE : O_REFUSED;
    case P_FLOAT:
        return nil ? O_ABSENT
               : (v->kind == V_INT || v->kind == V_FLOAT) &&
                       s_number(v) >= (double) probe->min &&
                       s_number(v) <= (double) probe->max
                   ? O_VALUE
                   : O_REFUSED;
    case P_TEXT:
        return nil ? O_ABSENT : v->kind == V_STR ? O_VALUE : O_REFUSED;
    case P_NAME:
        return nil || empty_str ? O_ABSENT : v->kind == V_STR ? O_VALUE : O_REFUSED;
    case P_NAME_REQ:
        return v->kind == V_STR && !empty_str ? O_VALUE : O_REFUSED;
    case P_BIN:
        return nil ? O_ABSENT : v->kind == V_BIN ? O_VALUE : O_REFUSED;
    case P_LIST:
        return nil ? O_ABSENT : v->kind == V_STRS ? O_VALUE : O_REFUSED;
    case P_LIST_ITEM:
        return v->kind == V_STR ? O_VALUE : O_REFUSED;
    case P_BINS:
        return nil                                       ? O_ABSENT
               : v->kind == V_STRS && v->item_count == 0 ? O_VALUE
                                                         : O_REFUSED;
    case P_BINS_ITEM:
        return v->kind == V_BIN ? O_VALUE : O_REFUSED;
    }
    return O_REFUSED;
}

static bool
s_same_bytes(const void *data, size_t size, const t_bytes_t *want)
{
    return data && size == want->size && memcmp(data, want->data, size) == 0;
}

static bool
s_holds_str(const char *str, const t_vector_t *v, t_outcome_t outcome)
{
    return outcome == O_ABSENT ? str == NULL
                               : str && s_same_bytes(str, strlen(str), &v->value);
}

static bool
s_holds_list(const zs_msg_list_t *list, const t_vector_t *v, t_outcome_t outcome)
{
    if (outcome == O_ABSENT) {
        return list->count == 0 && list->items == NULL;
    }
    bool same = list->count == v->item_count;
    for (size_t i = 0; same && i < list->count; i++) {
        same = s_same_bytes(list->items[i], strlen(list->items[i]), &v->items[i]);
    }
    return same;
}

//  True when the field at base holds what outcome says of v
static bool
s_holds(const t_probe_t *probe,
        const uint8_t *base,
        const t_vector_t *v,
        t_outcome_t outcome)
{
    const void *at = base + probe->offset;
    bool value = outcome == O_VALUE;
    const zs_msg_list_t *list = at;
    const zs_msg_bins_t *bins = at;
    const uint8_t *bin = *(const uint8_t *const *) at;
    switch (probe->shape) {
    case P_UINT:
        return *(const uint64_t *) at == (value ? v->u : 0);
    case P_INT:
        return *(const int64_t *) at == (!value        ? 0
                                         : v->negative ? v->i
                                                       : (int64_t) v->u);
    case P_BOOL:
        return *(const bool *) at == (value && v->b);
    case P_FLOAT: {
        double got = *(const double *) at;
        return value ? got == s_number(v) : isnan(got);
    }
    case P_TEXT:
    case P_NAME:
    case P_NAME_REQ:
        return s_holds_str(*(const char *const *) at, v, outcome);
    case P_BIN:
        return value ? s_same_bytes(bin,
                                    *(const size_t *) (const void *) (base + probe->aux),
                                    &v->value)
                     : bin == NULL;
    case P_LIST:
        return s_holds_list(list, v, outcome);
    case P_LIST_ITEM:
        return list->count == 1 &&
               s_same_bytes(list->items[0], strlen(list->items[0]), &v->value);
    case P_BINS:
        return bins->count == 0 && bins->items == NULL;
    case P_BINS_ITEM:
        return bins->count == 1 &&
               s_same_bytes(bins->items[0].data, bins->items[0].size, &v->value);
    }
    return false;
}

static void
s_describe(const t_vector_t *v, char *text, size_t size)
{
    size_t used = (size_t) snprintf(text, size, "%s, encoding ", v->group);
    for (size_t i = 0; i < v->frame.size && used + 3 < size; i++) {
        used += (size_t) snprintf(text + used, size - used, "%02x", v->frame.data[i]);
    }
}

//  The first record of the probe's array in msg, or NULL when it has none
static const void *
s_first_record(const zs_msg_t *msg, const t_probe_t *probe)
{
    const void *records;
    memcpy(&records, (const uint8_t *) msg + probe->records, sizeof records);
    return records;
}

//  One vector through the probe: decoded as expected, or refused naming the field
static bool
s_try(const t_probe_t *probe, const t_vector_t *v, t_outcome_t outcome)
{
    //  ... then the vector's encoding
    uint8_t raw[4 * S_BYTES_MAX];
    size_t size = probe->prefix ? strlen(probe->prefix) : 0;
    memcpy(raw, probe->prefix ? probe->prefix : "", size);
    if (probe->record_key) {
        raw[size++] = (uint8_t) (0xa0 + strlen(probe->record_key));
        memcpy(raw + size, probe->record_key, strlen(probe->record_key));
        size += strlen(probe->record_key);
    }
    memcpy(raw + size, v->frame.data, v->frame.size);
    size += v->frame.size;
    zs_msg_t msg;
    zs_error_t err = {.code = 0};
    int rc = s_decode_with(probe->type, probe->key, raw, size, &msg, &err);
    bool fine;
    if (outcome == O_REFUSED) {
        fine = rc == -1 && err.code == ZS_ERR_MALFORMED && strstr(err.text, probe->named);
    } else {
        const void *base = !probe->record_key ? (const void *) &msg
                           : rc == 0          ? s_first_record(&msg, probe)
                                              : NULL;
        fine = rc == 0 && base && s_holds(probe, base, v, outcome);
    }
    if (!fine) {
        char text[256];
        s_describe(v, text, sizeof text);
        static const char *const expected[] = {"its value", "absent", "refused"};
        fprintf(stderr, "'%s' of '%s' with %s: want %s, got %s\n", probe->key,
                probe->type, text, expected[outcome],
                rc == 0 ? "a message that differs" : err.text);
    }
    if (rc == 0) {
        zs_msg_fini(&msg);
    }
    return fine;
}

//  Every vector through the probe; each outcome must be seen, or the probe tests little
static bool
s_probe(const char *name, const t_probe_t *probe)
{
    size_t counts[3] = {0, 0, 0};
    bool fine = true;
    for (size_t i = 0; i < s_vector_count; i++) {
        t_outcome_t outcome = s_expect(probe, &s_vectors[i]);
        counts[outcome]++;
        fine &= s_try(probe, &s_vectors[i], outcome);
    }
    printf("%s: %zu encodings: %zu taken, %zu absent, %zu refused\n", name,
           s_vector_count, counts[O_VALUE], counts[O_ABSENT], counts[O_REFUSED]);
    return fine && counts[O_VALUE] > 0 && counts[O_REFUSED] > 0;
}

//  ---------------------------------------------------------------------------------------
//  Cases: one field of each kind

//  A field of the message, named in a refusal by its key
#define S_FIELD(type_, key_, shape_, member)                                             \
    .type = (type_), .key = (key_), .named = (key_), .shape = (shape_),                  \
    .offset = offsetof(zs_msg_t, member)
//  A field of the first agent record of agents.ok: the bytes before its value
#define S_RECORD(key_, shape_, member)                                                   \
    .type = "agents.ok", .key = "agents", .named = "record 0: field '" key_ "'",         \
    .prefix = "\x91\x83\xa5"                                                             \
              "agent\xa1"                                                                \
              "a\xa5"                                                                    \
              "atype\xa2"                                                                \
              "bb",                                                                      \
    .record_key = (key_), .shape = (shape_), .offset = offsetof(zs_msg_agent_t, member), \
    .records = offsetof(zs_msg_t, agents)

//  A uint in any width that holds it, signed encodings of values >= 0 included
static void
test_uint(void)
{
    static const t_probe_t probe = {S_FIELD("status", "rid", P_UINT, rid),
                                    .max = UINT64_MAX};
    ZS_CHECK(s_probe("uint", &probe));
}

//  The same within a field's bounds: pct is 0..100
static void
test_uint_bounded(void)
{
    static const t_probe_t probe = {S_FIELD("task.progress", "pct", P_UINT, pct),
                                    .max = 100};
    ZS_CHECK(s_probe("uint_bounded", &probe));
}

static void
test_int(void)
{
    static const t_probe_t probe = {S_FIELD("task.result", "exit", P_INT, exit),
                                    .min = INT64_MIN, .max = INT64_MAX};
    ZS_CHECK(s_probe("int", &probe));
}

static void
test_int_bounded(void)
{
    static const t_probe_t probe = {S_FIELD("submit", "pri", P_INT, pri),
                                    .min = -ZS_MSG_PRI_MAX, .max = ZS_MSG_PRI_MAX};
    ZS_CHECK(s_probe("int_bounded", &probe));
}

static void
test_bool(void)
{
    static const t_probe_t probe = {S_FIELD("submit", "wait", P_BOOL, wait)};
    ZS_CHECK(s_probe("bool", &probe));
}

//  A text may be empty: "" stays ""
static void
test_text(void)
{
    static const t_probe_t probe = {S_FIELD("bye", "why", P_TEXT, why)};
    ZS_CHECK(s_probe("text", &probe));
}

//  An optional name: "" reads as absent, as nil does
static void
test_name(void)
{
    static const t_probe_t probe = {S_FIELD("hello", "agent", P_NAME, agent)};
    ZS_CHECK(s_probe("name", &probe));
}

//  A required name takes neither nil nor ""
static void
test_required_name(void)
{
    static const t_probe_t probe = {S_FIELD("submit", "ttype", P_NAME_REQ, ttype)};
    ZS_CHECK(s_probe("required_name", &probe));
}

//  A bin, empty ones included, which are a value and not absent
static void
test_bin(void)
{
    static const t_probe_t probe = {S_FIELD("submit", "payload", P_BIN, payload),
                                    .aux = offsetof(zs_msg_t, payload_size)};
    ZS_CHECK(s_probe("bin", &probe));
}

//  Arrays as a list of strs: [] and ["a"] are taken; arrays of numbers, arrays of
//  arrays and maps are not
static void
test_str_list(void)
{
    static const t_probe_t probe = {S_FIELD("welcome", "argv", P_LIST, argv)};
    ZS_CHECK(s_probe("str_list", &probe));
}

//  Every str encoding as the item of a list, where nil is no item
static void
test_str_list_item(void)
{
    static const t_probe_t probe = {S_FIELD("welcome", "argv", P_LIST_ITEM, argv),
                                    .prefix = "\x91"};
    ZS_CHECK(s_probe("str_list_item", &probe));
}

static void
test_bin_list(void)
{
    static const t_probe_t probe = {S_FIELD("submit", "items", P_BINS, items)};
    ZS_CHECK(s_probe("bin_list", &probe));
}

static void
test_bin_list_item(void)
{
    static const t_probe_t probe = {S_FIELD("submit", "items", P_BINS_ITEM, items),
                                    .prefix = "\x91"};
    ZS_CHECK(s_probe("bin_list_item", &probe));
}

//  An agent record is decoded by the same rules
static void
test_record_uint(void)
{
    static const t_probe_t probe = {S_RECORD("pid", P_UINT, pid), .max = UINT64_MAX};
    ZS_CHECK(s_probe("record_uint", &probe));
}

static void
test_record_name(void)
{
    static const t_probe_t probe = {S_RECORD("host", P_NAME, host)};
    ZS_CHECK(s_probe("record_name", &probe));
}

//  A float takes floats of both widths and integers, and reads them as their double
static void
test_float(void)
{
    static const t_probe_t probe = {S_FIELD("status.ok", "usd", P_FLOAT, usd),
                                    .max = ZS_MSG_USD_MAX};
    ZS_CHECK(s_probe("float", &probe));
}

//  The same within a field's bounds: temp is 0..2, so 0.5 is taken and -0.5 refused
static void
test_float_bounded(void)
{
    static const t_probe_t probe = {S_FIELD("welcome", "temp", P_FLOAT, temp),
                                    .max = ZS_MSG_TEMP_MAX};
    ZS_CHECK(s_probe("float_bounded", &probe));
}

//  A float in the first budget record of providers.ok
static void
test_record_float(void)
{
    static const t_probe_t probe = {.type = "providers.ok",
                                    .key = "budgets",
                                    .named = "record 0: field 'usd'",
                                    .prefix = "\x91\x82\xa5scope\xa5swarm",
                                    .record_key = "usd",
                                    .shape = P_FLOAT,
                                    .offset = offsetof(zs_msg_budget_t, usd),
                                    .records = offsetof(zs_msg_t, budgets),
                                    .max = ZS_MSG_USD_MAX};
    ZS_CHECK(s_probe("record_float", &probe));
}

static const zs_test_case_t s_cases[] = {
    {"uint", test_uint},
    {"uint_bounded", test_uint_bounded},
    {"int", test_int},
    {"int_bounded", test_int_bounded},
    {"bool", test_bool},
    {"text", test_text},
    {"name", test_name},
    {"required_name", test_required_name},
    {"bin", test_bin},
    {"str_list", test_str_list},
    {"str_list_item", test_str_list_item},
    {"bin_list", test_bin_list},
    {"bin_list_item", test_bin_list_item},
    {"record_uint", test_record_uint},
    {"record_name", test_record_name},
    {"float", test_float},
    {"float_bounded", test_float_bounded},
    {"record_float", test_record_float},
};

int
main(int argc, char **argv)
{
    const char *json = getenv("ZS_MSGPACK_TEST_SUITE");
    const char *python = getenv("ZS_PYTHON");
    const char *root = getenv("ZS_SOURCE_ROOT");
    if (!json || !python || !root) {
        printf("test_msg_vectors cannot run: ZS_MSGPACK_TEST_SUITE, ZS_PYTHON and "
               "ZS_SOURCE_ROOT must be set (meson test sets them)\n");
        return S_SKIP;
    }
    if (access(json, R_OK) != 0) {
        printf("test_msg_vectors cannot run: no msgpack-test-suite vectors at '%s' (%s). "
               "'./run build' fetches them from registry.npmjs.org; offline, this test "
               "is skipped\n",
               json, strerror(errno));
        return S_SKIP;
    }
    char script[S_PATH_MAX];
    snprintf(script, sizeof script, "%s/tests/unit/test_msg_vectors.py", root);
    if (!s_load(python, script, json)) {
        return 1;
    }
    return zs_test_run_(s_cases, S_COUNT(s_cases), argc, argv);
}
