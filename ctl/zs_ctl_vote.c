//  zs_ctl_vote - zswarmctl vote: ask the swarm's agents a question and read the
//  outcome (docs/ctl.md, PROTOCOL.md §8.2, docs/votes.md)
//
//    vote propose QUESTION OPTION OPTION... [--voters T,...] [--strategy S]
//                 [--deadline MS] [--id ID] [--wait [--events ENDPOINT]]
//    vote status ID     the question, the state, the decision and every ballot
//    vote list          one row per vote kept, oldest first
//
//  propose prints the vote's id; with --wait it prints the outcome as status does and
//  exits 0 when an option won, 1 for no-quorum or no-decision. It subscribes to the
//  vote events before proposing, but events are lossy (a subscription takes effect
//  some time after connecting), so the outcome printed is always a vote.status, asked
//  when vote.decided came, now and then until the vote's vote.opened shows that the
//  subscription is in effect, and once more before giving up.

#include "ctl/zs_ctl_private.h"

#include <inttypes.h>
#include <string.h>

#define ZS_CTL_VOTE_POLL_MS 100  //  first wait for an event before vote.status

const zs_opts_option_t zs_ctl_vote_options[ZS_CTL_VOTE_OPTIONS] = {
    {"--voters", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(voters), 0, 0,
     "T,...", "propose: the agent types whose agents vote (default: every agent)"},
    {"--strategy", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(strategy), 0, 0,
     "S", "propose: majority, super-majority, byzantine, unanimous, trust-weighted"},
    {"--deadline", NULL, ZS_OPTS_INT, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(deadline), 1,
     ZS_MSG_TMO_MAX, "MS",
     "propose: the vote ends MS after it opens at the latest (default 10000)"},
    {"--id", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(id), 0, 0, "ID",
     "propose: the vote's id, 1..64 of [A-Za-z0-9._:-] (default: made by zswarmd)"},
    {"--wait", NULL, ZS_OPTS_FLAG, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(wait), 0, 0, NULL,
     "propose: wait for the outcome and print it; exit 1 when no option won"},
    {"--events", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(events), 0, 0,
     "ENDPOINT",
     "propose --wait: zswarmd's events socket (default $ZSWARM_EVENTS or "
     "tcp://127.0.0.1:7601)"},
};

typedef enum { S_PROPOSE, S_STATUS, S_LIST } s_verb_t;

static const char *s_verbs[] = {"propose", "status", "list"};

static int
s_verb(const zs_ctl_run_t *self)
{
    for (size_t i = 0; i < ZS_CTL_COUNT(s_verbs); i++) {
        if (streq(self->operands[0], s_verbs[i])) {
            return (int) i;
        }
    }
    return -1;
}

//  ---------------------------------------------------------------------------------------
//  Checks, before anything is sent

//  Every option is propose's: one given to status or list is a usage error, not
//  silently ignored
static int
s_check_options(zs_ctl_run_t *self, int verb)
{
    const struct {
        const char *name;
        bool given;
    } uses[] = {
        {"--voters", self->voters != NULL},
        {"--strategy", self->strategy != NULL},
        {"--deadline", self->deadline.set},
        {"--id", self->id != NULL},
        {"--wait", self->wait},
        {"--events", self->events != NULL},
    };
    for (size_t i = 0; verb != S_PROPOSE && i < ZS_CTL_COUNT(uses); i++) {
        if (uses[i].given) {
            return zs_ctl_say(self, -1, "vote %s: %s does not apply", s_verbs[verb],
                              uses[i].name);
        }
    }
    if (self->events && !self->wait) {
        return zs_ctl_say(self, -1, "vote propose: --events goes with --wait");
    }
    return 0;
}

//  The options offered: 2..ZS_MSG_OPTIONS_MAX names, each once
static int
s_check_choices(zs_ctl_run_t *self, char **choices, int count)
{
    if (count < 2 || count > ZS_MSG_OPTIONS_MAX) {
        return zs_ctl_say(self, -1, "vote propose: expected 2..%d options, got %d",
                          ZS_MSG_OPTIONS_MAX, count);
    }
    for (int i = 0; i < count; i++) {
        if (zs_ctl_check_id(self, "vote option", choices[i]) != 0) {
            return -1;
        }
        for (int j = 0; j < i; j++) {
            if (streq(choices[i], choices[j])) {
                return zs_ctl_say(self, -1, "vote propose: option '%s' is given twice",
                                  choices[i]);
            }
        }
    }
    return 0;
}

static int
s_check_strategy(zs_ctl_run_t *self)
{
    for (size_t i = 0; i < ZS_MSG_VOTE_STRATEGIES; i++) {
        if (streq(self->strategy, zs_msg_vote_strategies[i])) {
            return 0;
        }
    }
    return zs_ctl_say(self, -1,
                      "--strategy: expected majority, super-majority, byzantine, "
                      "unanimous or trust-weighted, got '%s'",
                      self->strategy);
}

static int
s_check_propose(zs_ctl_run_t *self)
{
    if (self->operand_count < 2) {
        return zs_ctl_say(self, -1, "vote propose: expected a QUESTION and its options");
    }
    size_t size = strlen(self->operands[1]);
    if (size < 1 || size > ZS_MSG_TEXT_MAX) {
        return zs_ctl_say(self, -1, "vote propose: a question is 1..%d bytes, got %zu",
                          ZS_MSG_TEXT_MAX, size);
    }
    if (!zs_msg_text_valid(self->operands[1], size)) {
        return zs_ctl_say(self, -1, "vote propose: the question is not valid UTF-8");
    }
    if (s_check_choices(self, self->operands + 2, self->operand_count - 2) != 0) {
        return -1;
    }
    if (self->strategy && s_check_strategy(self) != 0) {
        return -1;
    }
    if (self->id && zs_ctl_check_id(self, "--id", self->id) != 0) {
        return -1;
    }
    zs_error_t err;
    if (self->voters &&
        zs_names_split(&self->voter_names, self->voters, ZS_MSG_LIST_MAX, &err) != 0) {
        return zs_ctl_say(self, -1, "--voters: %s", err.text);
    }
    return 0;
}

static int
s_check_status(zs_ctl_run_t *self)
{
    if (self->operand_count != 2) {
        return zs_ctl_say(self, -1, "vote status: expected one vote ID");
    }
    return zs_ctl_check_id(self, "vote id", self->operands[1]);
}

static int
s_check_list(zs_ctl_run_t *self)
{
    if (self->operand_count != 1) {
        return zs_ctl_say(self, -1, "vote list: unexpected argument '%s'",
                          self->operands[1]);
    }
    return 0;
}

static int (*const s_checks[])(zs_ctl_run_t *) = {
    [S_PROPOSE] = s_check_propose, [S_STATUS] = s_check_status, [S_LIST] = s_check_list};

int
zs_ctl_vote_check(zs_ctl_run_t *self)
{
    int verb = s_verb(self);
    if (verb < 0) {
        return zs_ctl_say(self, -1, "vote: expected propose, status or list, got '%s'",
                          self->operands[0]);
    }
    if (s_check_options(self, verb) != 0) {
        return -1;
    }
    return s_checks[verb](self);
}

//  ---------------------------------------------------------------------------------------
//  Showing a vote

//  "key: item,item" of wire names, sanitised for the terminal; nothing for no items
static void
s_show_list(FILE *stream, const char *key, const zs_msg_list_t *list)
{
    for (size_t i = 0; i < list->count; i++) {
        char item[ZS_MSG_NAME_MAX * 4 + 1];
        zs_sanitize(item, sizeof item, list->items[i], strlen(list->items[i]));
        fprintf(stream, "%s%s", i ? "," : key, item);
    }
    if (list->count > 0) {
        fprintf(stream, "\n");
    }
}

static void
s_show_text(FILE *stream, const char *key, const char *text)
{
    if (text) {
        char clean[ZS_MSG_TEXT_MAX * 4 + 1];
        zs_sanitize(clean, sizeof clean, text, strlen(text));
        fprintf(stream, "%s%s\n", key, clean);
    }
}

//  "ballot:   AGENT OPTION 0.734 confidence 0.800 weight 1" from "AGENT OPTION 734 800
//  1": the weight counted and the confidence come in thousandths
static void
s_show_ballot(FILE *stream, const char *ballot)
{
    char text[ZS_MSG_BALLOT_MAX * 4 + 1];
    zs_sanitize(text, sizeof text, ballot, strlen(ballot));
    char agent[ZS_MSG_NAME_MAX + 1], option[ZS_MSG_NAME_MAX + 1];
    uint64_t counted, confidence, weight;
    if (sscanf(text, "%64s %64s %" SCNu64 " %" SCNu64 " %" SCNu64, agent, option,
               &counted, &confidence, &weight) == 5) {
        fprintf(stream,
                "ballot:   %s %s %" PRIu64 ".%03" PRIu64 " confidence %" PRIu64
                ".%03" PRIu64 " weight %" PRIu64 "\n",
                agent, option, counted / 1000, counted % 1000, confidence / 1000,
                confidence % 1000, weight);
    } else {
        //  Not the documented form: shown as it came rather than not at all
        fprintf(stream, "ballot:   %s\n", text);
    }
}

//  A vote.status.ok as aligned "key: value" lines, then a line per ballot
static void
s_show_vote(const zs_msg_t *reply, FILE *stream)
{
    s_show_text(stream, "vote:     ", reply->vote);
    s_show_text(stream, "question: ", reply->question);
    s_show_list(stream, "options:  ", &reply->options);
    s_show_text(stream, "strategy: ", reply->strategy);
    s_show_text(stream, "state:    ", reply->state);
    s_show_text(stream, "decision: ", reply->option);
    s_show_text(stream, "proposer: ", reply->agent);
    s_show_list(stream, "types:    ", &reply->voters);
    fprintf(stream, "voters:   %" PRIu64 "\ncast:     %" PRIu64 "\n", reply->count,
            reply->cast);
    if (reply->deadline) {
        fprintf(stream, "left:     %.1f s\n", (double) reply->deadline / 1000.0);
    }
    for (size_t i = 0; i < reply->ballots.count; i++) {
        s_show_ballot(stream, reply->ballots.items[i]);
    }
}

//  ---------------------------------------------------------------------------------------
//  propose

static void
s_print_proposed(zs_ctl_run_t *self, const zs_msg_t *reply)
{
    if (self->json) {
        zs_msg_print_json(reply, self->io->out);
        return;
    }
    fprintf(self->io->out, "%s\n", reply->vote);
    zs_ctl_say(self, 0, "vote '%s': %" PRIu64 " voters asked", reply->vote, reply->count);
}

//  Read events until vote id's vote.decided comes (0) or until_ms passes
//  (ZS_CLIENT_E_TIMEOUT); its vote.opened sets *opened. -1 with err filled when the
//  wait was interrupted.
static int
s_await(
    zs_client_t *watcher, const char *id, int64_t until_ms, bool *opened, zs_error_t *err)
{
    while (true) {
        int64_t left = until_ms - zclock_mono();
        if (left <= 0) {
            return ZS_CLIENT_E_TIMEOUT;
        }
        zs_msg_t event;
        int rc = zs_client_event(watcher, &event, left, err);
        if (rc != 0) {
            return rc;
        }
        bool ours = event.vote && streq(event.vote, id);
        bool decided = ours && event.type == ZS_MSG_EV_VOTE_DECIDED;
        *opened = *opened || (ours && event.type == ZS_MSG_EV_VOTE_OPENED);
        zs_msg_fini(&event);
        if (decided) {
            return 0;
        }
    }
}

//  The exit status of an ended vote's state, said on stderr unless an option won
static int
s_state_code(zs_ctl_run_t *self, const zs_msg_t *reply)
{
    if (streq(reply->state, "decided")) {
        return ZS_CTL_EXIT_OK;
    }
    char id[ZS_MSG_NAME_MAX * 4 + 1], state[ZS_MSG_NAME_MAX * 4 + 1];
    zs_sanitize(id, sizeof id, reply->vote, strlen(reply->vote));
    zs_sanitize(state, sizeof state, reply->state, strlen(reply->state));
    if (streq(reply->state, "open")) {
        //  Not ended in the time given: the same as a reply that did not come in time
        return zs_ctl_say(self, ZS_CTL_EXIT_USAGE,
                          "vote '%s' still open: no outcome in time", id);
    }
    return zs_ctl_say(self, ZS_CTL_EXIT_FAILED,
                      "vote '%s' ended %s: %" PRIu64 " of %" PRIu64 " voters cast", id,
                      state, reply->cast, reply->count);
}

typedef enum {
    S_IF_ENDED,  //  print the vote only if it ended
    S_FINAL,     //  print it whatever its state
} s_when_t;

//  Ask vote.status of id, waiting for the reply until until_ms (at least
//  ZS_CTL_VOTE_POLL_MS). When the vote ended (or when is S_FINAL), print it and return
//  its exit status; while it is open, return -1: wait on.
static int
s_vote_outcome(zs_ctl_run_t *self, const char *id, s_when_t when, int64_t until_ms)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_VOTE_STATUS);
    zs_msg_init(&reply, ZS_MSG_INVALID);
    request.vote = id;
    int64_t left = until_ms - zclock_mono();
    int code = zs_ctl_request(self, &request, &reply,
                              left > ZS_CTL_VOTE_POLL_MS ? left : ZS_CTL_VOTE_POLL_MS);
    if (code != ZS_CTL_EXIT_OK) {
        return code;
    }
    code = -1;
    if (when == S_FINAL || !streq(reply.state, "open")) {
        if (self->json) {
            zs_msg_print_json(&reply, self->io->out);
        } else {
            s_show_vote(&reply, self->io->out);
        }
        code = s_state_code(self, &reply);
    }
    zs_msg_fini(&reply);
    return code;
}

//  After vote.propose.ok with --wait: the outcome once vote.decided came, or at
//  until_ms. A subscription takes effect some time after it connects, so a quick
//  decision can be published before it: until the vote's own vote.opened shows that
//  it was in effect, vote.status is asked after waits that double from
//  ZS_CTL_VOTE_POLL_MS.
static int
s_wait(zs_ctl_run_t *self, zs_client_t *watcher, const char *id, int64_t until_ms)
{
    bool opened = false;  //  its vote.opened came: so will its vote.decided
    for (int64_t poll = ZS_CTL_VOTE_POLL_MS;; poll *= 2) {
        int64_t now = zclock_mono();
        int64_t end = opened || until_ms - now < poll ? until_ms : now + poll;
        zs_error_t err;
        zs_error_init(&err);
        int rc = s_await(watcher, id, end, &opened, &err);
        if (rc < 0) {
            return zs_ctl_say(self, ZS_CTL_EXIT_USAGE, "%s", err.text);
        }
        if (rc == 0 || end == until_ms) {
            return s_vote_outcome(self, id, S_FINAL, until_ms);
        }
        int code = opened ? -1 : s_vote_outcome(self, id, S_IF_ENDED, until_ms);
        if (code >= 0) {
            return code;
        }
    }
}

static void
s_propose_init(zs_ctl_run_t *self, zs_msg_t *request)
{
    zs_msg_init(request, ZS_MSG_VOTE_PROPOSE);
    request->question = self->operands[1];
    //  The options are the operands after the question, borrowed from argv
    request->options = (zs_msg_list_t){(const char **) (void *) (self->operands + 2),
                                       (size_t) self->operand_count - 2};
    request->voters = (zs_msg_list_t){self->voter_names.names, self->voter_names.count};
    request->strategy = self->strategy;
    request->deadline = self->deadline.set ? (uint64_t) self->deadline.value : 0;
    request->vote = self->id;
}

static int
s_propose(zs_ctl_run_t *self)
{
    //  Subscribed before proposing (to vote.opened and vote.decided), so that the event
    //  of a quick decision can come; without --timeout the wait lasts as long as the
    //  vote may, plus a reply's time
    zs_client_t *watcher = NULL;
    zs_error_t err;
    if (self->wait && !(watcher = zs_ctl_watch(self, "vote.", &err))) {
        return zs_ctl_say(self, ZS_CTL_EXIT_USAGE, "%s", err.text);
    }
    int64_t open_ms = self->deadline.set ? self->deadline.value : ZS_MSG_VOTE_DEADLINE_MS;
    int64_t until = zclock_mono() + zs_ctl_timeout_or(self, open_ms + ZS_CTL_TIMEOUT_MS);
    zs_msg_t request, reply;
    s_propose_init(self, &request);
    zs_msg_init(&reply, ZS_MSG_INVALID);
    int code = zs_ctl_request(self, &request, &reply,
                              zs_ctl_timeout_or(self, ZS_CTL_TIMEOUT_MS));
    if (code == ZS_CTL_EXIT_OK) {
        if (watcher) {
            code = s_wait(self, watcher, reply.vote, until);
        } else {
            s_print_proposed(self, &reply);
        }
        zs_msg_fini(&reply);
    }
    zs_client_destroy(&watcher);
    return code;
}

//  ---------------------------------------------------------------------------------------
//  list

static void
s_print_row(zs_ctl_run_t *self, const zs_msg_t *reply, int width)
{
    char vote[ZS_MSG_NAME_MAX * 4 + 1], state[ZS_MSG_NAME_MAX * 4 + 1];
    char decision[ZS_MSG_NAME_MAX * 4 + 1] = "-", cast[48];
    zs_sanitize(vote, sizeof vote, reply->vote, strlen(reply->vote));
    zs_sanitize(state, sizeof state, reply->state, strlen(reply->state));
    if (reply->option) {
        zs_sanitize(decision, sizeof decision, reply->option, strlen(reply->option));
    }
    snprintf(cast, sizeof cast, "%" PRIu64 "/%" PRIu64, reply->cast, reply->count);
    fprintf(self->io->out, "%-*s  %-11s  %-11s  %s\n", width, vote, state, cast,
            decision);
}

//  One row of the table: the vote's state from vote.status. A vote forgotten since
//  the list was made (ended votes are evicted, oldest first) is left out.
static int
s_list_row(zs_ctl_run_t *self, const char *id, int width)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_VOTE_STATUS);
    zs_msg_init(&reply, ZS_MSG_INVALID);
    request.vote = id;
    zs_error_t err;
    zs_error_init(&err);
    int rc = zs_client_request(self->client, &request, &reply,
                               zs_ctl_timeout_or(self, ZS_CTL_TIMEOUT_MS), &err);
    bool forgotten = rc == ZS_CLIENT_E_REFUSED && err.code == ZS_ERR_NO_VOTE;
    int code = forgotten ? ZS_CTL_EXIT_OK : zs_ctl_outcome(self, rc, &reply, &err);
    if (rc == 0) {
        s_print_row(self, &reply, width);
    }
    zs_msg_fini(&reply);
    return code;
}

//  A row per vote, asked one by one: a list of ids alone tells nothing of the votes
static int
s_list_table(zs_ctl_run_t *self, const zs_msg_list_t *votes)
{
    int width = (int) strlen("VOTE");
    for (size_t i = 0; i < votes->count; i++) {
        int len = (int) strlen(votes->items[i]);
        width = len > width ? len : width;
    }
    fprintf(self->io->out, "%-*s  %-11s  %-11s  %s\n", width, "VOTE", "STATE",
            "CAST/VOTERS", "DECISION");
    for (size_t i = 0; i < votes->count; i++) {
        int code = s_list_row(self, votes->items[i], width);
        if (code != ZS_CTL_EXIT_OK) {
            return code;
        }
    }
    return ZS_CTL_EXIT_OK;
}

static int
s_list(zs_ctl_run_t *self)
{
    zs_msg_t request, reply;
    zs_msg_init(&request, ZS_MSG_VOTE_LIST);
    int code = zs_ctl_run_reply(self, &request, &reply);
    if (code == ZS_CTL_EXIT_OK) {
        if (!self->json) {
            code = s_list_table(self, &reply.votes);
        }
        zs_msg_fini(&reply);
    }
    return code;
}

//  ---------------------------------------------------------------------------------------
//  status

static int
s_status(zs_ctl_run_t *self)
{
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_VOTE_STATUS);
    request.vote = self->operands[1];
    return zs_ctl_run_shown(self, &request, s_show_vote);
}

static int (*const s_runs[])(zs_ctl_run_t *) = {
    [S_PROPOSE] = s_propose, [S_STATUS] = s_status, [S_LIST] = s_list};

int
zs_ctl_vote_run(zs_ctl_run_t *self)
{
    return s_runs[s_verb(self)](self);
}
