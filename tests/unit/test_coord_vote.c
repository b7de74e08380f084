//  test_coord_vote - votes in process: proposals from clients and agents, the asks and
//  events they make, ballots that decide early, deadlines on the test's clock, the
//  refusals, and the votes a stopping swarm ends (zs_test_core.h records the replies,
//  asks and events, and fires the deadline timers)

#include <inttypes.h>

#include "coordinator/zs_coord_vote.h"
#include "tests/unit/zs_test.h"
#include "tests/unit/zs_test_core.h"
#include "tests/unit/zs_test_flow.h"

#define S_SWARM                                                                          \
    "name: t\n"                                                                          \
    "agents:\n"                                                                          \
    "  - {type: v, count: 0}\n"                                                          \
    "  - {type: x, count: 0}\n"

#define S_VOTERS 5  //  agents v-1 .. v-5 of type v; x-1 is of type x

//  Votes over the agents of dispatch, over a recorded core
typedef struct {
    zs_swarm_t *swarm;  //  owned
    zs_test_core_t io;  //  the recorded core
    zs_tasks_t tasks;   //  dispatch's task table, empty
    zs_dispatch_t dispatch;
    zs_coord_votes_t votes;        //  the part under test
    zs_agent_t *voters[S_VOTERS];  //  v-1 .. v-5, borrowed
    zs_agent_t *other;             //  x-1, borrowed
    char peers[S_VOTERS + 1];      //  made-up sessions: &peers[i]
    zs_client_ref_t client;        //  a made-up control client
} s_env_t;

static zs_agent_t *
s_agent(s_env_t *env, const char *id, const char *atype, int n)
{
    return zs_test_flow_agent(&env->dispatch, id, atype, 1, &env->peers[n]);
}

//  The votes, with voters agents of type v registered, and x-1
static s_env_t *
s_env_new(size_t voters)
{
    zs_swarm_t *swarm = zs_test_swarm(S_SWARM);
    if (!swarm) {
        return NULL;
    }
    s_env_t *env = zs_calloc(1, sizeof *env);
    env->swarm = swarm;
    zs_test_core_init(&env->io, env->swarm);
    zs_tasks_init(&env->tasks, &env->io.core);
    zs_dispatch_init(&env->dispatch, &env->io.core, &env->tasks, NULL);
    zs_coord_vote_init(&env->votes, &env->io.core, &env->dispatch, env->tasks.nonce);
    for (size_t i = 0; i < voters; i++) {
        char id[16];
        snprintf(id, sizeof id, "v-%zu", i + 1);
        env->voters[i] = s_agent(env, id, "v", (int) i);
    }
    env->other = s_agent(env, "x-1", "x", S_VOTERS);
    zs_test_client(&env->client, "client");
    return env;
}

static void
s_env_destroy(s_env_t **env_p)
{
    s_env_t *env = *env_p;
    zs_coord_vote_fini(&env->votes);
    zs_dispatch_fini(&env->dispatch);
    zs_tasks_fini(&env->tasks);
    zs_test_core_fini(&env->io);
    zs_swarm_destroy(&env->swarm);
    free(env);
    *env_p = NULL;
}

//  A proposal of vote id (NULL: made up) between yes and no, asking agents of type v,
//  with deadline ms (0: the default) under strategy (NULL: majority)
static zs_msg_t
s_proposal(const char *id, uint64_t deadline, const char *strategy)
{
    static const char *options[] = {"yes", "no"};
    static const char *types[] = {"v"};
    zs_msg_t propose;
    zs_msg_init(&propose, ZS_MSG_VOTE_PROPOSE);
    propose.rid = 11;
    propose.vote = id;
    propose.question = "ship it?";
    propose.options = (zs_msg_list_t){options, 2};
    propose.voters = (zs_msg_list_t){types, 1};
    propose.deadline = deadline;
    propose.strategy = strategy;
    return propose;
}

//  The agent's ballot for option in vote, with confidence (0: absent)
static void
s_cast(s_env_t *env, zs_agent_t *agent, const char *vote, const char *option)
{
    zs_msg_t cast;
    zs_msg_init(&cast, ZS_MSG_VOTE_CAST);
    cast.rid = 21;
    cast.vote = vote;
    cast.option = option;
    cast.confidence = 800;
    zs_coord_vote_agent(&env->votes, agent, &cast);
}

//  Took a vote.decided event for vote, in state with option (NULL: none), cast ballots
//  of count voters, and why (NULL: none)
static bool
s_decided(s_env_t *env,
          const char *vote,
          const char *state,
          const char *option,
          uint64_t cast,
          uint64_t count,
          const char *why)
{
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_PUBLISHED, ZS_MSG_EV_VOTE_DECIDED, NULL);
    bool ok = said && streq(said->msg.vote, vote) && streq(said->msg.state, state) &&
              (option ? said->msg.option && streq(said->msg.option, option)
                      : !said->msg.option) &&
              said->msg.cast == cast && said->msg.count == count &&
              (why ? said->msg.why && streq(said->msg.why, why) : !said->msg.why);
    if (said && !ok) {
        fprintf(stderr, "  decided '%s' %s %s %" PRIu64 "/%" PRIu64 " '%s'\n",
                said->msg.vote, said->msg.state,
                said->msg.option ? said->msg.option : "-", said->msg.cast,
                said->msg.count, said->msg.why ? said->msg.why : "-");
    }
    zs_test_said_destroy(&said);
    return ok;
}

//  Timers set and neither fired nor ended
static size_t
s_timers(const s_env_t *env)
{
    size_t armed = 0;
    for (size_t i = 0; i < ZS_TEST_CORE_TIMERS; i++) {
        armed += env->io.timers[i].armed;
    }
    return armed;
}

//  Took an error to agent about vote, of code
static bool
s_refused(s_env_t *env, const zs_agent_t *agent, const char *vote, zs_err_code_t code)
{
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_SENT, ZS_MSG_ERROR, agent->peer);
    bool ok = said && said->msg.code == (uint64_t) code && said->msg.vote &&
              streq(said->msg.vote, vote) && said->msg.rid == 21;
    zs_test_said_destroy(&said);
    return ok;
}

//  Took the client's error of code, with text in its why
static bool
s_client_refused(s_env_t *env, zs_err_code_t code, const char *text)
{
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_REPLIED, ZS_MSG_ERROR, &env->client);
    bool ok = said && said->msg.code == (uint64_t) code && strstr(said->msg.why, text) &&
              said->msg.rid == 11;
    if (said && !ok) {
        fprintf(stderr, "  refused %" PRIu64 " '%s'\n", said->msg.code, said->msg.why);
    }
    zs_test_said_destroy(&said);
    return ok;
}

//  Normal use: a client proposes; each agent of the types asked is sent vote.ask, the
//  vote is published as opened, and ballots decide it as soon as the rest cannot change
//  the outcome (two yes of three under majority), before the deadline
static void
test_propose_and_decide(void)
{
    s_env_t *env = s_env_new(3);
    ZS_CHECK(env);
    bool ok = true;
    zs_msg_t propose = s_proposal("release", 5000, NULL);
    zs_coord_vote_client(&env->votes, &env->client, &propose);
    zs_test_said_t *said = zs_test_core_take(&env->io, ZS_TEST_REPLIED,
                                             ZS_MSG_VOTE_PROPOSE_OK, &env->client);
    ZS_EXPECT(ok, said && said->msg.rid == 11 && streq(said->msg.vote, "release") &&
                      said->msg.count == 3);
    zs_test_said_destroy(&said);
    said = zs_test_core_take(&env->io, ZS_TEST_PUBLISHED, ZS_MSG_EV_VOTE_OPENED, NULL);
    ZS_EXPECT(ok, said && streq(said->msg.vote, "release") && said->msg.count == 3 &&
                      said->msg.deadline == 5000 && !said->msg.agent);
    zs_test_said_destroy(&said);
    for (size_t i = 0; i < 3; i++) {
        said = zs_test_core_take(&env->io, ZS_TEST_SENT, ZS_MSG_VOTE_ASK,
                                 env->voters[i]->peer);
        ZS_EXPECT(ok, said && streq(said->msg.question, "ship it?") &&
                          said->msg.options.count == 2 &&
                          streq(said->msg.strategy, "majority"));
        zs_test_said_destroy(&said);
    }
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);  //  x-1 was not asked
    s_cast(env, env->voters[0], "release", "yes");
    ZS_EXPECT(ok, zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_VOTE_CAST_OK,
                                    env->voters[0]->peer));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_cast(env, env->voters[2], "release", "yes");
    ZS_EXPECT(ok, zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_VOTE_CAST_OK,
                                    env->voters[2]->peer));
    ZS_EXPECT(ok, s_decided(env, "release", "decided", "yes", 2, 3, NULL));
    //  Its deadline timer ended with it
    ZS_EXPECT(ok, s_timers(env) == 0);
    zs_test_core_advance(&env->io, 10000);
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_cast(env, env->voters[1], "release", "no");
    ZS_EXPECT(ok, s_refused(env, env->voters[1], "release", ZS_ERR_FINISHED));
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  At its deadline a vote ends with the ballots it has: two of five is below the
//  quorum; vote.status tells the outcome and each ballot
static void
test_deadline_no_quorum(void)
{
    s_env_t *env = s_env_new(5);
    ZS_CHECK(env);
    bool ok = true;
    zs_msg_t propose = s_proposal("q", 2000, NULL);
    zs_coord_vote_client(&env->votes, &env->client, &propose);
    s_cast(env, env->voters[0], "q", "yes");
    s_cast(env, env->voters[1], "q", "yes");
    zs_test_core_forget(&env->io);
    zs_test_core_advance(&env->io, 1999);
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    zs_test_core_advance(&env->io, 1);
    ZS_EXPECT(ok, s_decided(env, "q", "no-quorum", NULL, 2, 5, NULL));
    zs_msg_t status;
    zs_msg_init(&status, ZS_MSG_VOTE_STATUS);
    status.rid = 12;
    status.vote = "q";
    zs_coord_vote_client(&env->votes, &env->client, &status);
    zs_test_said_t *said =
        zs_test_core_take(&env->io, ZS_TEST_REPLIED, ZS_MSG_VOTE_STATUS_OK, &env->client);
    ZS_EXPECT(ok, said && said->msg.rid == 12 && streq(said->msg.state, "no-quorum"));
    ZS_EXPECT(ok, said->msg.cast == 2 && said->msg.count == 5 && !said->msg.option);
    ZS_EXPECT(ok, said->msg.ballots.count == 2 &&
                      streq(said->msg.ballots.items[0], "v-1 yes 1000 800 1") &&
                      streq(said->msg.ballots.items[1], "v-2 yes 1000 800 1"));
    zs_test_said_destroy(&said);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A ballot is refused, with an error that names its vote: for a vote not known
//  (NO_VOTE), from an agent not asked (FORBIDDEN), a second one (CONFLICT), for an
//  option the vote does not have (INVALID); none counts
static void
test_cast_refusals(void)
{
    s_env_t *env = s_env_new(3);
    ZS_CHECK(env);
    bool ok = true;
    zs_msg_t propose = s_proposal("r", 5000, NULL);
    zs_coord_vote_client(&env->votes, &env->client, &propose);
    zs_test_core_forget(&env->io);
    s_cast(env, env->voters[0], "nope", "yes");
    ZS_EXPECT(ok, s_refused(env, env->voters[0], "nope", ZS_ERR_NO_VOTE));
    s_cast(env, env->other, "r", "yes");
    ZS_EXPECT(ok, s_refused(env, env->other, "r", ZS_ERR_FORBIDDEN));
    s_cast(env, env->voters[0], "r", "maybe");
    ZS_EXPECT(ok, s_refused(env, env->voters[0], "r", ZS_ERR_INVALID));
    s_cast(env, env->voters[0], "r", "no");
    ZS_EXPECT(ok, zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_VOTE_CAST_OK,
                                    env->voters[0]->peer));
    s_cast(env, env->voters[0], "r", "yes");
    ZS_EXPECT(ok, s_refused(env, env->voters[0], "r", ZS_ERR_CONFLICT));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    //  Only the one ballot counted: one yes more is no majority yet
    s_cast(env, env->voters[1], "r", "yes");
    ZS_EXPECT(ok, zs_test_core_took(&env->io, ZS_TEST_SENT, ZS_MSG_VOTE_CAST_OK,
                                    env->voters[1]->peer));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  A proposal is refused: an option given twice or alone, a strategy not known, an id
//  in use (CONFLICT), no agent of the types asked
static void
test_propose_refusals(void)
{
    s_env_t *env = s_env_new(2);
    ZS_CHECK(env);
    bool ok = true;
    const char *twice[] = {"yes", "no", "yes"}, *types[] = {"nobody"};
    zs_msg_t propose = s_proposal("p", 0, NULL);
    propose.options = (zs_msg_list_t){twice, 3};
    zs_coord_vote_client(&env->votes, &env->client, &propose);
    ZS_EXPECT(ok, s_client_refused(env, ZS_ERR_INVALID, "option 'yes' is given twice"));
    propose.options.count = 1;
    zs_coord_vote_client(&env->votes, &env->client, &propose);
    ZS_EXPECT(ok, s_client_refused(env, ZS_ERR_INVALID, "at least 2 options"));
    propose = s_proposal("p", 0, "loudest");
    zs_coord_vote_client(&env->votes, &env->client, &propose);
    ZS_EXPECT(ok, s_client_refused(env, ZS_ERR_INVALID, "strategy must be"));
    propose = s_proposal("p", 0, NULL);
    propose.voters = (zs_msg_list_t){types, 1};
    zs_coord_vote_client(&env->votes, &env->client, &propose);
    ZS_EXPECT(ok, s_client_refused(env, ZS_ERR_INVALID, "no agent of the types asked"));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    propose = s_proposal("p", 0, NULL);
    zs_coord_vote_client(&env->votes, &env->client, &propose);
    zs_test_core_forget(&env->io);
    zs_coord_vote_client(&env->votes, &env->client, &propose);
    ZS_EXPECT(ok, s_client_refused(env, ZS_ERR_CONFLICT, "vote 'p' exists"));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

//  When the swarm stops, every open vote ends at once with its ballots and says why;
//  one that ended already is left alone, and no deadline fires after
static void
test_stop_ends_open_votes(void)
{
    s_env_t *env = s_env_new(3);
    ZS_CHECK(env);
    bool ok = true;
    //  The first proposed ends last: a deadline ends its own vote, not the oldest
    zs_msg_t propose = s_proposal("open", 5000, "unanimous");
    zs_coord_vote_client(&env->votes, &env->client, &propose);
    propose = s_proposal("done", 1000, NULL);
    zs_coord_vote_client(&env->votes, &env->client, &propose);
    //  An agent proposes too: the answer goes to its session, the event names it
    zs_test_core_forget(&env->io);
    propose = s_proposal(NULL, 5000, NULL);
    zs_coord_vote_agent(&env->votes, env->voters[0], &propose);
    zs_test_said_t *said = zs_test_core_take(
        &env->io, ZS_TEST_SENT, ZS_MSG_VOTE_PROPOSE_OK, env->voters[0]->peer);
    char made[ZS_MSG_NAME_MAX + 1] = "";
    ZS_EXPECT(ok, said && said->msg.vote && *said->msg.vote);
    if (ok) {
        snprintf(made, sizeof made, "%s", said->msg.vote);
    }
    zs_test_said_destroy(&said);
    said = zs_test_core_take(&env->io, ZS_TEST_PUBLISHED, ZS_MSG_EV_VOTE_OPENED, NULL);
    ZS_EXPECT(ok, said && streq(said->msg.vote, made) && said->msg.agent &&
                      streq(said->msg.agent, "v-1"));
    zs_test_said_destroy(&said);
    s_cast(env, env->voters[0], "open", "yes");
    zs_test_core_advance(&env->io, 1000);
    ZS_EXPECT(ok, s_decided(env, "done", "no-quorum", NULL, 0, 3, NULL));
    zs_test_core_forget(&env->io);
    zs_coord_vote_stop(&env->votes);
    ZS_EXPECT(ok,
              s_decided(env, "open", "no-quorum", NULL, 1, 3, "the swarm is stopping"));
    ZS_EXPECT(ok, s_decided(env, made, "no-quorum", NULL, 0, 3, "the swarm is stopping"));
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0 && s_timers(env) == 0);
    zs_test_core_advance(&env->io, 10000);
    ZS_EXPECT(ok, zs_test_core_left(&env->io) == 0);
    s_env_destroy(&env);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"propose_and_decide", test_propose_and_decide},
    {"deadline_no_quorum", test_deadline_no_quorum},
    {"cast_refusals", test_cast_refusals},
    {"propose_refusals", test_propose_refusals},
    {"stop_ends_open_votes", test_stop_ends_open_votes},
};

ZS_TEST_MAIN(s_cases)
