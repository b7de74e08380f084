//  zs_coord_vote - votes (PROTOCOL.md §8.2, docs/votes.md): proposals from control
//  clients and agents, ballots from agents, deadlines and decisions. The arithmetic of
//  a tally is zs_vote.c's.
//
//  The voters are the agents registered when the vote is proposed (of the types asked,
//  or all); each is sent vote.ask, and every proposal is published as vote.opened. A
//  vote ends at its deadline, or as soon as every voter cast or no ballot still to come
//  can change the outcome; its decision is published as vote.decided. A ballot of a
//  trust-weighted vote weighs the voter's trust when it was cast. Votes live in memory
//  only: a restarted coordinator knows none.

#include "zs_coord_private.h"
#include "zs_vote.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define ZS_COORD_VOTES_OPEN_MAX  1000   //  votes open at once
#define ZS_COORD_VOTES_KEPT      1000   //  ended votes kept for vote.status and vote.list
#define ZS_COORD_VOTE_DEFAULT_MS 10000  //  deadline of a proposal that names none
#define ZS_COORD_BALLOT_TEXT                                                             \
    (2 * ZS_MSG_NAME_MAX + 22)  //  "AGENT OPTION WEIGHT", NUL included

_Static_assert(ZS_MSG_OPTIONS_MAX <= ZS_VOTE_OPTIONS_MAX, "a tally counts every option");

//  One voter: an agent asked, and its ballot once cast
typedef struct {
    char id[ZS_MSG_NAME_MAX + 1];  //  the agent's id
    int ballot;                    //  index of its ballot in the vote's, or -1
} s_voter_t;

typedef struct {
    char id[ZS_MSG_NAME_MAX + 1];        //  the vote's id
    char proposer[ZS_MSG_NAME_MAX + 1];  //  the proposing agent, "" for a client
    char *question;                      //  owned
    char **options;                      //  owned, option_count copies
    size_t option_count;
    char **types;  //  voters' types asked, owned; none: all agents
    size_t type_count;
    zs_vote_strategy_t strategy;
    s_voter_t *voters;  //  sorted by id, owned
    size_t voter_count;
    zs_vote_ballot_t *ballots;  //  in the order cast, owned (voter_count room)
    zs_vote_count_t count;      //  the ballots per option
    size_t *cast_by;            //  the voter of each ballot
    int64_t deadline_ms;        //  zs_clock_ms when it ends at the latest
    int timer_id;               //  its deadline timer, -1 once ended
    const char *state;          //  "open", "decided", "no-quorum", "no-decision"
    size_t winner;              //  the decision's option, when decided
} s_vote_t;

struct zs_coord_votes_t {
    zhashx_t *by_id;  //  id -> s_vote_t *, owns the votes
    zlistx_t *order;  //  s_vote_t *, borrowed, oldest proposal first
    size_t open;      //  votes not ended
    size_t ended;     //  ended votes kept
    uint64_t made;    //  ids generated, for the next one
};

static void
s_strings_free(char **strings, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(strings[i]);
    }
    free(strings);
}

static char **
s_strings_copy(const zs_msg_list_t *list)
{
    char **copy = zs_calloc(list->count + 1, sizeof *copy);
    for (size_t i = 0; i < list->count; i++) {
        copy[i] = zs_strdup(list->items[i]);
    }
    return copy;
}

static void
s_vote_destroy(void **item)
{
    s_vote_t *vote = *item;
    if (vote) {
        free(vote->question);
        s_strings_free(vote->options, vote->option_count);
        s_strings_free(vote->types, vote->type_count);
        free(vote->voters);
        free(vote->ballots);
        free(vote->cast_by);
        free(vote);
        *item = NULL;
    }
}

static int
s_voter_compare(const void *a, const void *b)
{
    return strcmp(((const s_voter_t *) a)->id, ((const s_voter_t *) b)->id);
}

static s_voter_t *
s_voter_find(s_vote_t *vote, const char *id)
{
    s_voter_t key;
    snprintf(key.id, sizeof key.id, "%s", id);
    return bsearch(&key, vote->voters, vote->voter_count, sizeof key, s_voter_compare);
}

static int
s_option_find(const s_vote_t *vote, const char *option)
{
    for (size_t i = 0; i < vote->option_count; i++) {
        if (streq(vote->options[i], option)) {
            return (int) i;
        }
    }
    return -1;
}

static bool
s_type_asked(const s_vote_t *vote, const char *atype)
{
    for (size_t i = 0; i < vote->type_count; i++) {
        if (streq(vote->types[i], atype)) {
            return true;
        }
    }
    return vote->type_count == 0;
}

//  ---------------------------------------------------------------------------------------
//  Ending

static void
s_publish_decided(zs_coord_t *self, const s_vote_t *vote)
{
    zs_msg_t event;
    zs_msg_init(&event, ZS_MSG_EV_VOTE_DECIDED);
    event.vote = vote->id;
    event.state = vote->state;
    event.count = vote->voter_count;
    event.cast = vote->count.cast;
    event.option = streq(vote->state, "decided") ? vote->options[vote->winner] : NULL;
    zs_broker_publish(self->broker, &event);
}

//  Forget the oldest ended vote once more than ZS_COORD_VOTES_KEPT are kept
static void
s_evict(zs_coord_votes_t *votes)
{
    if (votes->ended <= ZS_COORD_VOTES_KEPT) {
        return;
    }
    for (s_vote_t *vote = zlistx_first(votes->order); vote;
         vote = zlistx_next(votes->order)) {
        if (vote->timer_id == -1) {
            zlistx_delete(votes->order, zlistx_cursor(votes->order));
            votes->ended--;
            zhashx_delete(votes->by_id, vote->id);
            return;
        }
    }
}

static void
s_end(zs_coord_t *self, s_vote_t *vote)
{
    static const char *const states[] = {
        [ZS_VOTE_DECIDED] = "decided",
        [ZS_VOTE_NO_QUORUM] = "no-quorum",
        [ZS_VOTE_NO_DECISION] = "no-decision",
    };
    zs_vote_outcome_t outcome =
        zs_vote_tally(vote->strategy, &vote->count, vote->voter_count, vote->option_count,
                      &vote->winner);
    vote->state = states[outcome];
    if (vote->timer_id != -1) {
        zloop_timer_end(self->loop, vote->timer_id);
        vote->timer_id = -1;
    }
    self->votes->open--;
    self->votes->ended++;
    s_publish_decided(self, vote);
    s_evict(self->votes);
}

static int
s_on_deadline(zloop_t *loop, int timer_id, void *arg)
{
    zs_coord_t *self = arg;
    zlistx_t *order = self->votes->order;
    for (s_vote_t *vote = zlistx_first(order); vote; vote = zlistx_next(order)) {
        if (vote->timer_id == timer_id) {
            vote->timer_id = -1;
            s_end(self, vote);
            break;
        }
    }
    return 0;
}

//  ---------------------------------------------------------------------------------------
//  Proposals

//  Why a proposal cannot be taken, or NULL; *code set. why (size bytes) may hold it.
static const char *
s_refusal(
    zs_coord_t *self, const zs_msg_t *msg, zs_err_code_t *code, char *why, size_t size)
{
    *code = ZS_ERR_INVALID;
    if (self->phase != ZS_COORD_SERVING) {
        *code = ZS_ERR_SHUTTING_DOWN;
        return "swarm is stopping";
    }
    if (msg->vote && !zs_msg_name_valid(msg->vote, strlen(msg->vote), ZS_MSG_NAME_MAX)) {
        return "vote id must be 1-64 characters of A-Z a-z 0-9 . _ : -";
    }
    if (msg->options.count < 2) {
        return "a vote needs at least 2 options";
    }
    for (size_t i = 0; i < msg->options.count; i++) {
        const char *option = msg->options.items[i];
        if (!zs_msg_name_valid(option, strlen(option), ZS_MSG_NAME_MAX)) {
            return "an option must be 1-64 characters of A-Z a-z 0-9 . _ : -";
        }
        for (size_t j = 0; j < i; j++) {
            if (streq(option, msg->options.items[j])) {
                snprintf(why, size, "option '%s' is given twice", option);
                return why;
            }
        }
    }
    if (msg->strategy && zs_vote_strategy_from_name(msg->strategy) < 0) {
        return "strategy must be majority, super-majority, byzantine, unanimous or "
               "trust-weighted";
    }
    if (msg->vote && zhashx_lookup(self->votes->by_id, msg->vote)) {
        *code = ZS_ERR_CONFLICT;
        snprintf(why, size, "vote '%s' exists", msg->vote);
        return why;
    }
    if (self->votes->open >= ZS_COORD_VOTES_OPEN_MAX) {
        *code = ZS_ERR_LIMIT;
        return "1000 votes are open already";
    }
    return NULL;
}

//  A new vote from a valid proposal, with no voters yet
static s_vote_t *
s_vote_new(zs_coord_t *self, const zs_msg_t *msg, const char *proposer)
{
    s_vote_t *vote = zs_calloc(1, sizeof *vote);
    if (msg->vote) {
        snprintf(vote->id, sizeof vote->id, "%s", msg->vote);
    }
    while (!*vote->id || zhashx_lookup(self->votes->by_id, vote->id)) {
        snprintf(vote->id, sizeof vote->id, "v%08x%" PRIu64, self->nonce,
                 ++self->votes->made);
    }
    snprintf(vote->proposer, sizeof vote->proposer, "%s", proposer ? proposer : "");
    vote->question = zs_strdup(msg->question);
    vote->options = s_strings_copy(&msg->options);
    vote->option_count = msg->options.count;
    vote->types = s_strings_copy(&msg->voters);
    vote->type_count = msg->voters.count;
    vote->strategy = msg->strategy
                         ? (zs_vote_strategy_t) zs_vote_strategy_from_name(msg->strategy)
                         : ZS_VOTE_MAJORITY;
    vote->timer_id = -1;
    vote->state = "open";
    return vote;
}

//  The registered agents of the types asked, sorted by id
static void
s_choose_voters(zs_coord_t *self, s_vote_t *vote)
{
    vote->voters = zs_calloc(zs_registry_size(self->registry) + 1, sizeof *vote->voters);
    for (zs_agent_t *agent = zs_registry_first(self->registry); agent;
         agent = zs_registry_next(self->registry)) {
        if (s_type_asked(vote, agent->atype)) {
            s_voter_t *voter = &vote->voters[vote->voter_count++];
            snprintf(voter->id, sizeof voter->id, "%s", agent->id);
            voter->ballot = -1;
        }
    }
    qsort(vote->voters, vote->voter_count, sizeof *vote->voters, s_voter_compare);
    vote->ballots = zs_calloc(vote->voter_count + 1, sizeof *vote->ballots);
    vote->cast_by = zs_calloc(vote->voter_count + 1, sizeof *vote->cast_by);
}

//  Ms until the vote's deadline, at least 1 (0 would mean none on the wire)
static uint64_t
s_left(const s_vote_t *vote)
{
    int64_t left = vote->deadline_ms - zs_clock_ms();
    return left > 0 ? (uint64_t) left : 1;
}

static void
s_publish_opened(zs_coord_t *self, const s_vote_t *vote, const zs_msg_t *msg)
{
    zs_msg_t event;
    zs_msg_init(&event, ZS_MSG_EV_VOTE_OPENED);
    event.vote = vote->id;
    event.question = vote->question;
    event.options = msg->options;
    event.voters = msg->voters;
    event.strategy = zs_vote_strategy_name(vote->strategy);
    event.deadline = s_left(vote);
    event.count = vote->voter_count;
    event.agent = *vote->proposer ? vote->proposer : NULL;
    zs_broker_publish(self->broker, &event);
}

//  Send vote.ask to every voter. A voter the ask cannot reach abstains.
static void
s_ask(zs_coord_t *self, const s_vote_t *vote, const zs_msg_t *msg)
{
    zs_msg_t ask;
    zs_msg_init(&ask, ZS_MSG_VOTE_ASK);
    ask.vote = vote->id;
    ask.question = vote->question;
    ask.options = msg->options;
    ask.strategy = zs_vote_strategy_name(vote->strategy);
    ask.deadline = s_left(vote);
    ask.agent = *vote->proposer ? vote->proposer : NULL;
    for (size_t i = 0; i < vote->voter_count; i++) {
        zs_agent_t *agent = zs_registry_find(self->registry, vote->voters[i].id);
        zs_broker_send(self->broker, agent->peer, &ask);
    }
}

static void
s_propose(zs_coord_t *self, const zs_coord_asker_t *asker, const zs_msg_t *msg)
{
    zs_error_t err;
    zs_error_init(&err);
    char why[ZS_MSG_TEXT_MAX];
    zs_err_code_t code;
    const char *refusal = s_refusal(self, msg, &code, why, sizeof why);
    if (refusal) {
        zs_error_set(&err, code, "%s", refusal);
        zs_coord_refuse(self, asker, &err, msg->rid);
        return;
    }
    s_vote_t *vote = s_vote_new(self, msg, asker->agent ? asker->agent->id : NULL);
    s_choose_voters(self, vote);
    if (vote->voter_count == 0) {
        zs_error_set(&err, ZS_ERR_INVALID, "no agent of the types asked is registered");
        zs_coord_refuse(self, asker, &err, msg->rid);
        s_vote_destroy((void **) &vote);
        return;
    }
    unsigned deadline =
        msg->deadline ? (unsigned) msg->deadline : ZS_COORD_VOTE_DEFAULT_MS;
    vote->deadline_ms = zs_clock_ms() + deadline;
    vote->timer_id = zloop_timer(self->loop, deadline, 1, s_on_deadline, self);
    zhashx_insert(self->votes->by_id, vote->id, vote);
    zlistx_add_end(self->votes->order, vote);
    self->votes->open++;

    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_VOTE_PROPOSE_OK);
    reply.vote = vote->id;
    reply.count = vote->voter_count;
    zs_coord_answer(self, asker, &reply, msg->rid);
    s_publish_opened(self, vote, msg);
    s_ask(self, vote, msg);
}

//  ---------------------------------------------------------------------------------------
//  Ballots

//  The weight a ballot counts: one voter, one vote, except trust-weighted, where it is
//  the voter's trust times its confidence times its own weight
static double
s_weight(const s_vote_t *vote, const zs_agent_t *agent, const zs_msg_t *msg)
{
    if (vote->strategy != ZS_VOTE_TRUST_WEIGHTED) {
        return 1;
    }
    double confidence = msg->confidence ? (double) msg->confidence / 1000 : 1;
    double weight = msg->weight ? (double) msg->weight : 1;
    return zs_trust_score(&agent->trust, zs_clock_ms()) * confidence * weight;
}

//  Why agent cannot cast msg in vote, or NULL; *code set
static const char *
s_cast_refusal(s_vote_t *vote,
               const zs_agent_t *agent,
               const zs_msg_t *msg,
               int *option,
               zs_err_code_t *code)
{
    if (!vote) {
        *code = ZS_ERR_NO_VOTE;
        return "no such vote";
    }
    if (vote->timer_id == -1) {
        *code = ZS_ERR_FINISHED;
        return "the vote has ended";
    }
    s_voter_t *voter = s_voter_find(vote, agent->id);
    if (!voter) {
        *code = ZS_ERR_FORBIDDEN;
        return "not a voter of this vote";
    }
    if (voter->ballot != -1) {
        *code = ZS_ERR_CONFLICT;
        return "a ballot was cast already";
    }
    *option = s_option_find(vote, msg->option);
    if (*option < 0) {
        *code = ZS_ERR_INVALID;
        return "not one of the vote's options";
    }
    return NULL;
}

static void
s_cast(zs_coord_t *self, const zs_coord_asker_t *asker, const zs_msg_t *msg)
{
    assert(asker->agent);  //  the agents socket's request only
    s_vote_t *vote = zhashx_lookup(self->votes->by_id, msg->vote);
    int option = -1;
    zs_err_code_t code;
    const char *refusal = s_cast_refusal(vote, asker->agent, msg, &option, &code);
    if (refusal) {
        //  Says which vote: a voter whose ballot came after the end tells it apart
        zs_msg_t error;
        zs_msg_init(&error, ZS_MSG_ERROR);
        error.code = code;
        error.why = refusal;
        error.vote = msg->vote;
        zs_coord_answer(self, asker, &error, msg->rid);
        return;
    }
    s_voter_t *voter = s_voter_find(vote, asker->agent->id);
    size_t cast = vote->count.cast;
    voter->ballot = (int) cast;
    vote->ballots[cast] =
        (zs_vote_ballot_t){(size_t) option, s_weight(vote, asker->agent, msg)};
    vote->cast_by[cast] = (size_t) (voter - vote->voters);
    zs_vote_count_add(&vote->count, &vote->ballots[cast]);

    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_VOTE_CAST_OK);
    reply.vote = vote->id;
    zs_coord_answer(self, asker, &reply, msg->rid);
    if (zs_vote_settled(vote->strategy, &vote->count, vote->voter_count,
                        vote->option_count)) {
        s_end(self, vote);
    }
}

//  ---------------------------------------------------------------------------------------
//  Status and list

//  "AGENT OPTION WEIGHT" for each ballot, in the order cast: count texts of
//  ZS_COORD_BALLOT_TEXT bytes in one block, and the list pointing into it
static char *
s_ballot_texts(const s_vote_t *vote, const char **items)
{
    char *texts = zs_calloc(vote->count.cast + 1, ZS_COORD_BALLOT_TEXT);
    for (size_t i = 0; i < vote->count.cast; i++) {
        char *text = texts + i * ZS_COORD_BALLOT_TEXT;
        const zs_vote_ballot_t *ballot = &vote->ballots[i];
        snprintf(text, ZS_COORD_BALLOT_TEXT, "%s %s %.0f",
                 vote->voters[vote->cast_by[i]].id, vote->options[ballot->option],
                 ballot->weight * 1000);
        items[i] = text;
    }
    return texts;
}

static void
s_status(zs_coord_t *self, const zs_coord_asker_t *asker, const zs_msg_t *msg)
{
    const s_vote_t *vote = zhashx_lookup(self->votes->by_id, msg->vote);
    if (!vote) {
        zs_error_t err;
        zs_error_init(&err);
        zs_error_set(&err, ZS_ERR_NO_VOTE, "no such vote");
        zs_coord_refuse(self, asker, &err, msg->rid);
        return;
    }
    const char **ballots = zs_calloc(vote->count.cast + 1, sizeof *ballots);
    char *texts = s_ballot_texts(vote, ballots);
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_VOTE_STATUS_OK);
    reply.vote = vote->id;
    reply.question = vote->question;
    reply.options =
        (zs_msg_list_t){(const char **) (void *) vote->options, vote->option_count};
    reply.voters =
        (zs_msg_list_t){(const char **) (void *) vote->types, vote->type_count};
    reply.strategy = zs_vote_strategy_name(vote->strategy);
    reply.state = vote->state;
    reply.count = vote->voter_count;
    reply.cast = vote->count.cast;
    reply.agent = *vote->proposer ? vote->proposer : NULL;
    reply.option = streq(vote->state, "decided") ? vote->options[vote->winner] : NULL;
    reply.deadline = vote->timer_id != -1 ? s_left(vote) : 0;
    reply.ballots = (zs_msg_list_t){ballots, vote->count.cast};
    zs_coord_answer(self, asker, &reply, msg->rid);
    free(texts);
    free(ballots);
}

static void
s_list(zs_coord_t *self, const zs_coord_asker_t *asker, const zs_msg_t *msg)
{
    zlistx_t *order = self->votes->order;
    const char **ids = zs_calloc(zlistx_size(order) + 1, sizeof *ids);
    size_t count = 0;
    for (const s_vote_t *vote = zlistx_first(order); vote; vote = zlistx_next(order)) {
        ids[count++] = vote->id;
    }
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_VOTE_LIST_OK);
    reply.votes = (zs_msg_list_t){ids, count};
    zs_coord_answer(self, asker, &reply, msg->rid);
    free(ids);
}

//  ---------------------------------------------------------------------------------------
//  Entry points

typedef void(s_serve_fn)(zs_coord_t *self,
                         const zs_coord_asker_t *asker,
                         const zs_msg_t *msg);

static s_serve_fn *const s_servers[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_VOTE_PROPOSE] = s_propose,
    [ZS_MSG_VOTE_CAST] = s_cast,
    [ZS_MSG_VOTE_STATUS] = s_status,
    [ZS_MSG_VOTE_LIST] = s_list,
};

void
zs_coord_vote_client(zs_coord_t *self, const zs_client_ref_t *client, const zs_msg_t *msg)
{
    zs_coord_asker_t asker = {client, NULL};
    s_servers[msg->type](self, &asker, msg);
}

void
zs_coord_vote_agent(zs_coord_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    zs_coord_asker_t asker = {NULL, agent};
    s_servers[msg->type](self, &asker, msg);
}

void
zs_coord_vote_init(zs_coord_t *self)
{
    self->votes = zs_calloc(1, sizeof *self->votes);
    self->votes->by_id = zhashx_new();
    zhashx_set_destructor(self->votes->by_id, s_vote_destroy);
    self->votes->order = zlistx_new();
}

void
zs_coord_vote_fini(zs_coord_t *self)
{
    if (self->votes) {
        zlistx_destroy(&self->votes->order);
        zhashx_destroy(&self->votes->by_id);
        free(self->votes);
        self->votes = NULL;
    }
}
