//  zs_coord_vote - see zs_coord_vote.h

#include "coordinator/zs_coord_vote.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(ZS_MSG_OPTIONS_MAX <= ZS_VOTE_OPTIONS_MAX, "a tally counts every option");

//  One voter: an agent asked, and its ballot once cast
typedef struct {
    char id[ZS_MSG_NAME_MAX + 1];  //  the agent's id
    bool cast;                     //  its ballot came
} s_voter_t;

//  One ballot, as cast and as counted
typedef struct {
    zs_vote_ballot_t counted;  //  its option and the weight it counts
    size_t voter;              //  index of its voter
    uint64_t confidence;       //  as cast, per mille (absent: ZS_MSG_CONFIDENCE_MAX)
    uint64_t weight;           //  as cast (absent: 1)
} s_ballot_t;

typedef struct {
    char id[ZS_MSG_NAME_MAX + 1];        //  the vote's id
    char proposer[ZS_MSG_NAME_MAX + 1];  //  the proposing agent, "" for a client
    char *question;                      //  owned
    char **options;                      //  owned copies
    size_t option_count;                 //  items in options
    char **types;                        //  voters' types asked, owned; NULL: all agents
    size_t type_count;                   //  items in types
    zs_vote_strategy_t strategy;         //  how its ballots decide
    s_voter_t *voters;                   //  sorted by id, owned
    size_t voter_count;                  //  items in voters
    s_ballot_t *ballots;        //  in the order cast, room for every voter, owned
    zs_vote_count_t count;      //  the ballots per option
    int64_t deadline_ms;        //  zclock_mono when it ends at the latest
    int timer_id;               //  its deadline timer, while open
    bool ended;                 //  outcome (and winner) are set
    zs_vote_outcome_t outcome;  //  once ended
    size_t winner;              //  the decision's option, when decided
    void *handle;               //  its place in the votes' order
} s_vote_t;

//  Who asks, and where the answer goes
typedef struct {
    zs_core_asker_t to;  //  the client or the agent's session
    zs_agent_t *agent;   //  the agent, borrowed, or NULL for a client
} s_asker_t;

//  Every vote kept is open or among the ended
static size_t
s_open_count(zs_coord_votes_t *votes)
{
    return zlistx_size(votes->order) - zlistx_size(votes->ended);
}

static void
s_vote_destroy(void **item)
{
    s_vote_t *vote = *item;
    if (vote) {
        free(vote->question);
        zs_strings_free(vote->options, vote->option_count);
        zs_strings_free(vote->types, vote->type_count);
        free(vote->voters);
        free(vote->ballots);
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

static const char *
s_state(const s_vote_t *vote)
{
    static const char *const ends[] = {
        [ZS_VOTE_DECIDED] = "decided",
        [ZS_VOTE_NO_QUORUM] = "no-quorum",
        [ZS_VOTE_NO_DECISION] = "no-decision",
    };
    return vote->ended ? ends[vote->outcome] : "open";
}

static const char *
s_decision(const s_vote_t *vote)
{
    return vote->ended && vote->outcome == ZS_VOTE_DECIDED ? vote->options[vote->winner]
                                                           : NULL;
}

//  Ms until the vote's deadline, at least 1 (0 would mean none on the wire)
static uint64_t
s_left(const s_vote_t *vote, int64_t now)
{
    int64_t left = vote->deadline_ms - now;
    return left > 0 ? (uint64_t) left : 1;
}

//  The fields vote.ask, vote.opened and vote.status.ok share
static void
s_describe(const s_vote_t *vote, int64_t now, zs_msg_t *msg)
{
    msg->vote = vote->id;
    msg->question = vote->question;
    msg->options =
        (zs_msg_list_t){(const char **) (void *) vote->options, vote->option_count};
    msg->strategy = zs_vote_strategy_name(vote->strategy);
    msg->agent = *vote->proposer ? vote->proposer : NULL;
    msg->deadline = vote->ended ? 0 : s_left(vote, now);
}

//  ---------------------------------------------------------------------------------------
//  Ending

static void
s_publish_decided(zs_coord_votes_t *self, const s_vote_t *vote, const char *why)
{
    zs_msg_t event;
    zs_msg_init(&event, ZS_MSG_EV_VOTE_DECIDED);
    event.vote = vote->id;
    event.state = s_state(vote);
    event.count = vote->voter_count;
    event.cast = vote->count.cast;
    event.option = s_decision(vote);
    event.why = why;
    zs_core_publish(self->core, &event);
}

//  Keep the ZS_COORD_VOTES_KEPT votes that ended last
static void
s_evict(zs_coord_votes_t *votes)
{
    while (zlistx_size(votes->ended) > ZS_COORD_VOTES_KEPT) {
        s_vote_t *oldest = zlistx_first(votes->ended);
        zlistx_delete(votes->ended, zlistx_cursor(votes->ended));
        zlistx_delete(votes->order, oldest->handle);
        zhashx_delete(votes->by_id, oldest->id);
    }
}

//  Tally an open vote and publish its end, for why (NULL: its ballots or its deadline)
static void
s_end(zs_coord_votes_t *self, s_vote_t *vote, const char *why)
{
    assert(!vote->ended);
    vote->outcome = zs_vote_tally(vote->strategy, &vote->count, vote->voter_count,
                                  vote->option_count, &vote->winner);
    vote->ended = true;
    zs_core_timer_end(self->core, vote->timer_id);
    s_publish_decided(self, vote, why);
    zlistx_add_end(self->ended, vote);
    s_evict(self);
}

//  A deadline timer: its vote is found by timer id, never by a pointer the timer holds
static int
s_on_deadline(zloop_t *loop, int timer_id, void *arg)
{
    zs_coord_votes_t *self = arg;
    zlistx_t *order = self->order;
    for (s_vote_t *vote = zlistx_first(order); vote; vote = zlistx_next(order)) {
        if (!vote->ended && vote->timer_id == timer_id) {
            s_end(self, vote, NULL);
            break;
        }
    }
    return 0;
}

//  ---------------------------------------------------------------------------------------
//  Proposals

//  May the proposal be taken? 0, or -1 with err
static int
s_check(zs_coord_votes_t *self, const zs_msg_t *msg, zs_error_t *err)
{
    if (msg->vote && !zs_msg_name_valid(msg->vote, strlen(msg->vote), ZS_MSG_NAME_MAX)) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "vote id must be 1-%d characters of A-Z a-z 0-9 . _ : -",
                            ZS_MSG_NAME_MAX);
    }
    if (msg->options.count < 2) {
        return zs_error_set(err, ZS_ERR_INVALID, "a vote needs at least 2 options");
    }
    for (size_t i = 0; i < msg->options.count; i++) {
        const char *option = msg->options.items[i];
        if (!zs_msg_name_valid(option, strlen(option), ZS_MSG_NAME_MAX)) {
            return zs_error_set(
                err, ZS_ERR_INVALID,
                "an option must be 1-%d characters of A-Z a-z 0-9 . _ : -",
                ZS_MSG_NAME_MAX);
        }
        for (size_t j = 0; j < i; j++) {
            if (streq(option, msg->options.items[j])) {
                return zs_error_set(err, ZS_ERR_INVALID, "option '%s' is given twice",
                                    option);
            }
        }
    }
    if (msg->strategy && zs_vote_strategy_from_name(msg->strategy) < 0) {
        return zs_error_set(err, ZS_ERR_INVALID,
                            "strategy must be majority, super-majority, byzantine, "
                            "unanimous or trust-weighted");
    }
    if (msg->vote && zhashx_lookup(self->by_id, msg->vote)) {
        return zs_error_set(err, ZS_ERR_CONFLICT, "vote '%s' exists", msg->vote);
    }
    if (s_open_count(self) >= ZS_COORD_VOTES_OPEN_MAX) {
        return zs_error_set(err, ZS_ERR_LIMIT, "%d votes are open already",
                            ZS_COORD_VOTES_OPEN_MAX);
    }
    return 0;
}

//  A new vote from a valid proposal, with no voters yet
static s_vote_t *
s_vote_new(zs_coord_votes_t *self, const zs_msg_t *msg, const char *proposer)
{
    s_vote_t *vote = zs_calloc(1, sizeof *vote);
    if (msg->vote) {
        snprintf(vote->id, sizeof vote->id, "%s", msg->vote);
    }
    while (!*vote->id || zhashx_lookup(self->by_id, vote->id)) {
        snprintf(vote->id, sizeof vote->id, "v%08x%" PRIu64, self->nonce, ++self->made);
    }
    snprintf(vote->proposer, sizeof vote->proposer, "%s", proposer ? proposer : "");
    vote->question = zs_strdup(msg->question);
    vote->options = zs_strings_copy(msg->options.items, msg->options.count);
    vote->option_count = msg->options.count;
    vote->types = zs_strings_copy(msg->voters.items, msg->voters.count);
    vote->type_count = msg->voters.count;
    int strategy = msg->strategy ? zs_vote_strategy_from_name(msg->strategy) : -1;
    vote->strategy = strategy < 0 ? ZS_VOTE_MAJORITY : (zs_vote_strategy_t) strategy;
    return vote;
}

//  The registered agents of the types asked, sorted by id
static void
s_choose_voters(zs_coord_votes_t *self, s_vote_t *vote)
{
    vote->voters =
        zs_calloc(zs_registry_size(self->dispatch->registry) + 1, sizeof *vote->voters);
    for (zs_agent_t *agent = zs_registry_first(self->dispatch->registry); agent;
         agent = zs_registry_next(self->dispatch->registry)) {
        if (s_type_asked(vote, agent->atype)) {
            s_voter_t *voter = &vote->voters[vote->voter_count++];
            snprintf(voter->id, sizeof voter->id, "%s", agent->id);
        }
    }
    qsort(vote->voters, vote->voter_count, sizeof *vote->voters, s_voter_compare);
    vote->ballots = zs_calloc(vote->voter_count + 1, sizeof *vote->ballots);
}

//  Publish vote.opened and send vote.ask to every voter. A voter the ask cannot reach
//  abstains.
static void
s_open(zs_coord_votes_t *self, const s_vote_t *vote)
{
    zs_msg_t event;
    zs_msg_init(&event, ZS_MSG_EV_VOTE_OPENED);
    s_describe(vote, zs_core_now(self->core), &event);
    event.voters =
        (zs_msg_list_t){(const char **) (void *) vote->types, vote->type_count};
    event.count = vote->voter_count;
    zs_core_publish(self->core, &event);

    zs_msg_t ask;
    zs_msg_init(&ask, ZS_MSG_VOTE_ASK);
    s_describe(vote, zs_core_now(self->core), &ask);
    for (size_t i = 0; i < vote->voter_count; i++) {
        zs_agent_t *agent =
            zs_registry_find(self->dispatch->registry, vote->voters[i].id);
        zs_core_send(self->core, agent->peer, &ask);
    }
}

//  Keep a vote with voters and start its deadline; -1 when no timer can be had
static int
s_keep(zs_coord_votes_t *self, s_vote_t *vote, uint64_t deadline)
{
    vote->deadline_ms = zs_core_now(self->core) + (int64_t) deadline;
    vote->timer_id = zs_core_timer(self->core, deadline, s_on_deadline, self);
    if (vote->timer_id == -1) {
        return -1;
    }
    zhashx_insert(self->by_id, vote->id, vote);
    vote->handle = zlistx_add_end(self->order, vote);
    return 0;
}

static void
s_propose(zs_coord_votes_t *self, const s_asker_t *asker, const zs_msg_t *msg)
{
    zs_error_t err;
    zs_error_init(&err);
    s_vote_t *vote = NULL;
    if (s_check(self, msg, &err) == 0) {
        vote = s_vote_new(self, msg, asker->agent ? asker->agent->id : NULL);
        s_choose_voters(self, vote);
        if (vote->voter_count == 0) {
            zs_error_set(&err, ZS_ERR_INVALID,
                         "no agent of the types asked is registered");
        } else if (s_keep(self, vote,
                          msg->deadline ? msg->deadline : ZS_MSG_VOTE_DEADLINE_MS) != 0) {
            zs_error_set(&err, ZS_ERR_LIMIT, "no timer for the vote's deadline");
        }
    }
    if (err.code) {
        s_vote_destroy((void **) &vote);
        zs_core_refuse(self->core, &asker->to, &err, msg->rid);
        return;
    }
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_VOTE_PROPOSE_OK);
    reply.vote = vote->id;
    reply.count = vote->voter_count;
    zs_core_answer(self->core, &asker->to, &reply, msg->rid);
    s_open(self, vote);
}

//  ---------------------------------------------------------------------------------------
//  Ballots

//  The weight a ballot counts: one voter, one vote, except trust-weighted, where it is
//  the voter's trust times its confidence times its own weight
static double
s_weight(const s_vote_t *vote,
         const zs_agent_t *agent,
         const s_ballot_t *ballot,
         int64_t now)
{
    if (vote->strategy != ZS_VOTE_TRUST_WEIGHTED) {
        return 1;
    }
    return zs_trust_score(&agent->trust, now) * (double) ballot->confidence /
           ZS_MSG_CONFIDENCE_MAX * (double) ballot->weight;
}

//  May agent cast msg in vote? 0 with *option its option, or -1 with err
static int
s_check_cast(s_vote_t *vote,
             const zs_agent_t *agent,
             const zs_msg_t *msg,
             int *option,
             zs_error_t *err)
{
    if (!vote) {
        return zs_error_set(err, ZS_ERR_NO_VOTE,
                            "the vote is not known (never proposed, or no longer kept)");
    }
    if (vote->ended) {
        return zs_error_set(err, ZS_ERR_FINISHED, "the vote has ended");
    }
    s_voter_t *voter = s_voter_find(vote, agent->id);
    if (!voter) {
        return zs_error_set(err, ZS_ERR_FORBIDDEN, "not a voter of this vote");
    }
    if (voter->cast) {
        return zs_error_set(err, ZS_ERR_CONFLICT, "a ballot was cast already");
    }
    *option = s_option_find(vote, msg->option);
    if (*option < 0) {
        return zs_error_set(err, ZS_ERR_INVALID, "not one of the vote's options");
    }
    return 0;
}

//  Refuse a ballot with an error that names its vote: a voter whose ballot came after
//  the end tells it apart
static void
s_refuse_cast(zs_coord_votes_t *self,
              const s_asker_t *asker,
              const zs_msg_t *msg,
              const zs_error_t *err)
{
    zs_msg_t error;
    zs_msg_init(&error, ZS_MSG_ERROR);
    error.code = (uint64_t) err->code;
    error.why = err->text;
    error.vote = msg->vote;
    zs_core_answer(self->core, &asker->to, &error, msg->rid);
}

static void
s_cast(zs_coord_votes_t *self, const s_asker_t *asker, const zs_msg_t *msg)
{
    assert(asker->agent);  //  the agents socket's request only
    s_vote_t *vote = zhashx_lookup(self->by_id, msg->vote);
    if (vote && !vote->ended && zs_core_now(self->core) >= vote->deadline_ms) {
        s_end(self, vote, NULL);  //  its timer has not run yet: it would have ended it
    }
    int option = -1;
    zs_error_t err;
    if (s_check_cast(vote, asker->agent, msg, &option, &err) != 0) {
        s_refuse_cast(self, asker, msg, &err);
        return;
    }
    s_voter_t *voter = s_voter_find(vote, asker->agent->id);
    voter->cast = true;
    s_ballot_t *ballot = &vote->ballots[vote->count.cast];
    ballot->voter = (size_t) (voter - vote->voters);
    ballot->confidence = msg->confidence ? msg->confidence : ZS_MSG_CONFIDENCE_MAX;
    ballot->weight = msg->weight ? msg->weight : 1;
    double weight = s_weight(vote, asker->agent, ballot, zs_core_now(self->core));
    ballot->counted = (zs_vote_ballot_t){(size_t) option, weight};
    zs_vote_count_add(&vote->count, &ballot->counted);

    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_VOTE_CAST_OK);
    reply.vote = vote->id;
    zs_core_answer(self->core, &asker->to, &reply, msg->rid);
    if (zs_vote_settled(vote->strategy, &vote->count, vote->voter_count,
                        vote->option_count)) {
        s_end(self, vote, NULL);
    }
}

//  ---------------------------------------------------------------------------------------
//  Status and list

//  "AGENT OPTION COUNTED CONFIDENCE WEIGHT" for each ballot, in the order cast (COUNTED
//  in thousandths): texts of ZS_MSG_BALLOT_MAX + 1 bytes in one block, returned, with
//  items pointing into it
static char *
s_ballot_texts(const s_vote_t *vote, const char **items)
{
    size_t size = ZS_MSG_BALLOT_MAX + 1;
    char *texts = zs_calloc(vote->count.cast + 1, size);
    for (size_t i = 0; i < vote->count.cast; i++) {
        const s_ballot_t *ballot = &vote->ballots[i];
        char *text = texts + i * size;
        snprintf(text, size, "%s %s %.0f %" PRIu64 " %" PRIu64,
                 vote->voters[ballot->voter].id, vote->options[ballot->counted.option],
                 ballot->counted.weight * 1000, ballot->confidence, ballot->weight);
        items[i] = text;
    }
    return texts;
}

static void
s_status(zs_coord_votes_t *self, const s_asker_t *asker, const zs_msg_t *msg)
{
    const s_vote_t *vote = zhashx_lookup(self->by_id, msg->vote);
    if (!vote) {
        zs_error_t err;
        zs_error_init(&err);
        zs_error_set(&err, ZS_ERR_NO_VOTE,
                     "vote '%s' is not known (never proposed, or no longer kept)",
                     msg->vote);
        zs_core_refuse(self->core, &asker->to, &err, msg->rid);
        return;
    }
    const char **ballots = zs_calloc(vote->count.cast + 1, sizeof *ballots);
    char *texts = s_ballot_texts(vote, ballots);
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_VOTE_STATUS_OK);
    s_describe(vote, zs_core_now(self->core), &reply);
    reply.voters =
        (zs_msg_list_t){(const char **) (void *) vote->types, vote->type_count};
    reply.state = s_state(vote);
    reply.count = vote->voter_count;
    reply.cast = vote->count.cast;
    reply.option = s_decision(vote);
    reply.ballots = (zs_msg_list_t){ballots, vote->count.cast};
    zs_core_answer(self->core, &asker->to, &reply, msg->rid);
    free(texts);
    free(ballots);
}

static void
s_list(zs_coord_votes_t *self, const s_asker_t *asker, const zs_msg_t *msg)
{
    zlistx_t *order = self->order;
    const char **ids = zs_calloc(zlistx_size(order) + 1, sizeof *ids);
    size_t count = 0;
    for (const s_vote_t *vote = zlistx_first(order); vote; vote = zlistx_next(order)) {
        ids[count++] = vote->id;
    }
    zs_msg_t reply;
    zs_msg_init(&reply, ZS_MSG_VOTE_LIST_OK);
    reply.votes = (zs_msg_list_t){ids, count};
    zs_core_answer(self->core, &asker->to, &reply, msg->rid);
    free(ids);
}

//  ---------------------------------------------------------------------------------------
//  Entry points

typedef void(s_serve_fn)(zs_coord_votes_t *self,
                         const s_asker_t *asker,
                         const zs_msg_t *msg);

static s_serve_fn *const s_servers[ZS_MSG_TYPE_COUNT] = {
    [ZS_MSG_VOTE_PROPOSE] = s_propose,
    [ZS_MSG_VOTE_CAST] = s_cast,
    [ZS_MSG_VOTE_STATUS] = s_status,
    [ZS_MSG_VOTE_LIST] = s_list,
};

void
zs_coord_vote_client(zs_coord_votes_t *self,
                     const zs_client_ref_t *client,
                     const zs_msg_t *msg)
{
    s_asker_t asker = {{client, NULL}, NULL};
    s_servers[msg->type](self, &asker, msg);
}

void
zs_coord_vote_agent(zs_coord_votes_t *self, zs_agent_t *agent, const zs_msg_t *msg)
{
    s_asker_t asker = {{NULL, agent->peer}, agent};
    s_servers[msg->type](self, &asker, msg);
}

void
zs_coord_vote_stop(zs_coord_votes_t *self)
{
    //  Ending a vote may evict older ended ones from the order: collect first
    size_t count = 0;
    s_vote_t **open = zs_calloc(s_open_count(self) + 1, sizeof *open);
    zlistx_t *order = self->order;
    for (s_vote_t *vote = zlistx_first(order); vote; vote = zlistx_next(order)) {
        if (!vote->ended) {
            open[count++] = vote;
        }
    }
    for (size_t i = 0; i < count; i++) {
        s_end(self, open[i], "the swarm is stopping");
    }
    free(open);
}

void
zs_coord_vote_init(zs_coord_votes_t *self,
                   zs_core_t *core,
                   zs_dispatch_t *dispatch,
                   uint32_t nonce)
{
    assert(self);
    *self = (zs_coord_votes_t){.core = core, .dispatch = dispatch, .nonce = nonce};
    self->by_id = zhashx_new();
    zhashx_set_destructor(self->by_id, s_vote_destroy);
    self->order = zlistx_new();
    self->ended = zlistx_new();
}

void
zs_coord_vote_fini(zs_coord_votes_t *self)
{
    zlistx_destroy(&self->ended);
    zlistx_destroy(&self->order);
    zhashx_destroy(&self->by_id);
}
