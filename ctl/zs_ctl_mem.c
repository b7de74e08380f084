//  zs_ctl_mem - zswarmctl mem: the swarm's shared memory from the command line
//  (docs/ctl.md, PROTOCOL.md §8.1)
//
//    mem put KEY [--value TEXT|- | --value-file F] [--tags T,...] [--ttl MS]
//                [--access private|team|swarm] [--version N]
//    mem get KEY        prints the value's bytes as they are
//    mem del KEY [--version N]
//    mem query [PREFIX] [--tags T,...] [--top N]   prints the keys, one a line
//    mem deposit KEY --amount N [--half-life MS] [--tags T,...] [--ttl MS]
//                [--access A]   adds to a decaying signal
//    mem watch [PREFIX] [--events ENDPOINT]   a line per change, until --timeout
//
//  --version N writes or deletes only if the entry is at version N (0: absent).

#include "ctl/zs_ctl_private.h"

#include <inttypes.h>
#include <string.h>

#include "ctl/zs_show.h"

const zs_opts_option_t zs_ctl_mem_options[ZS_CTL_MEM_OPTIONS] = {
    {"--value", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(payload), 0, 0, "TEXT",
     "put: the value; '-' reads it from standard input"},
    {"--value-file", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(payload_file), 0,
     0, "F", "put: read the value from file F"},
    {"--tags", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(tags), 0, 0, "T,...",
     "put, deposit: label the entry; query: keys carrying every one"},
    {"--ttl", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(ttl), 1, ZS_MSG_TMO_MAX,
     "MS", "put, deposit: the entry expires MS after this write"},
    {"--access", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(access), 0, 0, "A",
     "put, deposit: private, team or swarm (default swarm)"},
    {"--version", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(version), 0, INT64_MAX,
     "N", "put, del: only if the entry is at version N (0: absent)"},
    {"--amount", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(amount),
     -ZS_MSG_AMOUNT_MAX, ZS_MSG_AMOUNT_MAX, "N", "deposit: add N to the signal's level"},
    {"--half-life", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(half_life), 1,
     ZS_MSG_TMO_MAX, "MS",
     "deposit: the signal's level halves every MS (needed by a new signal)"},
    {"--top", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(top), 1, ZS_MSG_ITEMS_MAX,
     "N", "query: the N strongest signals, strongest first"},
    {"--events", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(events), 0, 0,
     "ENDPOINT",
     "watch: zswarmd's events socket (default $ZSWARM_EVENTS or tcp://127.0.0.1:7601)"},
};

typedef enum { S_PUT, S_GET, S_DEL, S_QUERY, S_DEPOSIT, S_WATCH } s_verb_t;

static const char *s_verbs[] = {"put", "get", "del", "query", "deposit", "watch"};

static int
s_verb(const zs_ctl_run_t *self)
{
    for (int i = 0; i < (int) (sizeof s_verbs / sizeof s_verbs[0]); i++) {
        if (streq(self->operands[0], s_verbs[i])) {
            return i;
        }
    }
    return -1;
}

#define S_VERB(v) (1u << (v))

//  Which verbs take which options: one a verb does not take is a usage error, not
//  silently ignored
static int
s_check_options(zs_ctl_run_t *self, int verb)
{
    const struct {
        const char *name;
        bool given;
        unsigned verbs;
    } uses[] = {
        {"--value", self->payload != NULL, S_VERB(S_PUT)},
        {"--value-file", self->payload_file != NULL, S_VERB(S_PUT)},
        {"--tags", self->tags != NULL,
         S_VERB(S_PUT) | S_VERB(S_QUERY) | S_VERB(S_DEPOSIT)},
        {"--ttl", self->ttl.set, S_VERB(S_PUT) | S_VERB(S_DEPOSIT)},
        {"--access", self->access != NULL, S_VERB(S_PUT) | S_VERB(S_DEPOSIT)},
        {"--version", self->version.set, S_VERB(S_PUT) | S_VERB(S_DEL)},
        {"--amount", self->amount.set, S_VERB(S_DEPOSIT)},
        {"--half-life", self->half_life.set, S_VERB(S_DEPOSIT)},
        {"--top", self->top.set, S_VERB(S_QUERY)},
        {"--events", self->events != NULL, S_VERB(S_WATCH)},
    };
    for (size_t i = 0; i < sizeof uses / sizeof uses[0]; i++) {
        if (uses[i].given && !(uses[i].verbs & S_VERB(verb))) {
            return zs_ctl_say(self, -1, "mem %s: %s does not apply", s_verbs[verb],
                              uses[i].name);
        }
    }
    return 0;
}

int
zs_ctl_mem_check(zs_ctl_run_t *self)
{
    int verb = s_verb(self);
    if (verb < 0) {
        return zs_ctl_say(
            self, -1, "mem: expected put, get, del, query, deposit or watch, got '%s'",
            self->operands[0]);
    }
    if (s_check_options(self, verb) != 0) {
        return -1;
    }
    if (verb != S_QUERY && verb != S_WATCH && self->operand_count != 2) {
        return zs_ctl_say(self, -1, "mem %s: expected a KEY", s_verbs[verb]);
    }
    const char *key = verb == S_QUERY || verb == S_WATCH ? NULL : self->operands[1];
    if (key && (strlen(key) < 1 || strlen(key) > ZS_MSG_KEY_MAX)) {
        return zs_ctl_say(self, -1, "mem: a key is 1..%d bytes", ZS_MSG_KEY_MAX);
    }
    zs_error_t err;
    if (self->tags &&
        zs_names_split(&self->tag_names, self->tags, ZS_MSG_TAGS_MAX, &err)) {
        return zs_ctl_say(self, -1, "--tags: %s", err.text);
    }
    if (verb == S_DEPOSIT && !self->amount.set) {
        return zs_ctl_say(self, -1, "mem deposit: missing --amount");
    }
    if (verb == S_PUT &&
        zs_ctl_read_payload(self, &self->payload_data, &self->payload_size) != 0) {
        return -1;
    }
    if (self->payload_size > ZS_MSG_VALUE_MAX) {
        return zs_ctl_say(self, -1, "mem put: a value is at most %u bytes, got %zu",
                          ZS_MSG_VALUE_MAX, self->payload_size);
    }
    return 0;
}

static void
s_show_put(const zs_msg_t *reply, FILE *stream)
{
    fprintf(stream, "version %" PRIu64 "\n", reply->version);
}

//  A value's bytes as they are, or a signal's level
static void
s_show_get(const zs_msg_t *reply, FILE *stream)
{
    if (reply->half_life) {
        fprintf(stream, "%" PRId64 "\n", reply->level);
    } else {
        zs_ctl_write(stream, reply->value, reply->value_size);
    }
}

static void
s_show_level(const zs_msg_t *reply, FILE *stream)
{
    fprintf(stream, "version %" PRIu64 " level %" PRId64 "\n", reply->version,
            reply->level);
}

static void
s_show_keys(const zs_msg_t *reply, FILE *stream)
{
    for (size_t i = 0; i < reply->keys.count; i++) {
        char key[ZS_MSG_KEY_MAX * 4 + 1];
        const char *item = reply->keys.items[i];
        //  Keys came from the wire and go to a terminal
        zs_sanitize(key, sizeof key, item, strlen(item));
        fprintf(stream, "%s\n", key);
    }
}

//  "STATE KEY version N [by AGENT]", or the event as JSON with --json
static void
s_print_change(zs_ctl_run_t *self, const zs_msg_t *event)
{
    FILE *out = self->io->out;
    if (self->json) {
        zs_msg_print_json(event, out);
    } else {
        char key[ZS_MSG_KEY_MAX * 4 + 1], agent[ZS_MSG_NAME_MAX * 4 + 1] = "";
        zs_sanitize(key, sizeof key, event->key, strlen(event->key));
        if (event->agent) {
            zs_sanitize(agent, sizeof agent, event->agent, strlen(event->agent));
        }
        fprintf(out, "%s %s version %" PRIu64 "%s%s\n", event->state, key, event->version,
                event->agent ? " by " : "", agent);
    }
    fflush(out);
}

static void (*const s_shows[])(const zs_msg_t *, FILE *) = {[S_PUT] = s_show_put,
                                                            [S_GET] = s_show_get,
                                                            [S_DEL] = s_show_put,
                                                            [S_QUERY] = s_show_keys,
                                                            [S_DEPOSIT] = s_show_level};
static const zs_msg_type_t s_types[] = {[S_PUT] = ZS_MSG_MEM_PUT,
                                        [S_GET] = ZS_MSG_MEM_GET,
                                        [S_DEL] = ZS_MSG_MEM_DEL,
                                        [S_QUERY] = ZS_MSG_MEM_QUERY,
                                        [S_DEPOSIT] = ZS_MSG_MEM_DEPOSIT};

//  One line per change of a key under prefix, until --timeout (default: for ever)
static int
s_watch(zs_ctl_run_t *self)
{
    const char *prefix = self->operand_count > 1 ? self->operands[1] : "";
    zs_error_t err;
    zs_client_t *watcher = zs_ctl_watch(self, "mem.changed", &err);
    if (!watcher) {
        return zs_ctl_say(self, ZS_CTL_EXIT_USAGE, "%s", err.text);
    }
    int64_t timeout = zs_ctl_timeout_or(self, ZS_CLIENT_FOREVER);
    int64_t deadline = timeout == ZS_CLIENT_FOREVER ? 0 : zclock_mono() + timeout;
    int code = ZS_CTL_EXIT_OK;
    while (true) {
        int64_t left = deadline ? deadline - zclock_mono() : 0;
        zs_msg_t event;
        int rc = !deadline  ? zs_client_event(watcher, &event, ZS_CLIENT_FOREVER, &err)
                 : left > 0 ? zs_client_event(watcher, &event, left, &err)
                            : ZS_CLIENT_E_TIMEOUT;
        if (rc != 0) {
            code = rc == ZS_CLIENT_E_TIMEOUT
                       ? ZS_CTL_EXIT_OK
                       : zs_ctl_say(self, ZS_CTL_EXIT_USAGE, "%s", err.text);
            break;
        }
        if (strncmp(event.key, prefix, strlen(prefix)) == 0) {
            s_print_change(self, &event);
        }
        zs_msg_fini(&event);
    }
    zs_client_destroy(&watcher);
    return code;
}

int
zs_ctl_mem_run(zs_ctl_run_t *self)
{
    int verb = s_verb(self);
    if (verb == S_WATCH) {
        return s_watch(self);
    }
    zs_msg_t request;
    zs_msg_init(&request, s_types[verb]);
    if (verb == S_QUERY) {
        request.prefix = self->operand_count > 1 ? self->operands[1] : NULL;
    } else {
        request.key = self->operands[1];
    }
    request.tags = (zs_msg_list_t){self->tag_names.names, self->tag_names.count};
    if (verb == S_DEPOSIT) {
        request.amount = self->amount.value;
        request.half_life = self->half_life.set ? (uint64_t) self->half_life.value : 0;
        request.access = self->access;
        request.ttl = self->ttl.set ? (uint64_t) self->ttl.value : 0;
    }
    request.top = self->top.set ? (uint64_t) self->top.value : 0;
    if (verb == S_PUT) {
        request.value = self->payload_data;
        request.value_size = self->payload_size;
        request.ttl = self->ttl.set ? (uint64_t) self->ttl.value : 0;
        request.access = self->access;
    }
    if (self->version.set) {
        request.cas = true;
        request.version = (uint64_t) self->version.value;
    }
    return zs_ctl_run_shown(self, &request, s_shows[verb]);
}
