//  test_voter - how zswarm-agent answers vote.ask, driven by a zloop without a
//  coordinator: a fixed answer, and commands whose stdout is the ballot (option and
//  confidence) or, when it is not a valid one, an abstention

#include "common/zs_proc.h"
#include "tests/unit/zs_test.h"
#include "agent/zs_voter.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_CASTS_MAX   32     //  ballots one case may collect
#define S_DEADLINE_MS 10000  //  a case whose commands have not ended by then fails
#define S_POLL_MS     10     //  how often the loop looks whether the commands ended

typedef struct {
    char vote[ZS_MSG_NAME_MAX + 1];    //  the vote
    char option[ZS_MSG_NAME_MAX + 1];  //  the answer
    uint64_t confidence;               //  per mille, 0 when none was given
} s_cast_t;

typedef struct {
    zloop_t *loop;                //  the loop everything runs in
    int signal_fd;                //  SIGCHLD
    zs_voter_t *voter;            //  under test
    s_cast_t casts[S_CASTS_MAX];  //  ballots, in order
    size_t count;                 //  ballots in
} s_fixture_t;

static void
s_on_cast(void *owner, const zs_msg_t *cast)
{
    s_fixture_t *fx = owner;
    assert(fx->count < S_CASTS_MAX);
    s_cast_t *copy = &fx->casts[fx->count++];
    snprintf(copy->vote, sizeof copy->vote, "%s", cast->vote);
    snprintf(copy->option, sizeof copy->option, "%s", cast->option);
    copy->confidence = cast->confidence;
}

static int
s_on_signal(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    s_fixture_t *fx = arg;
    while (zs_proc_signal_read(fx->signal_fd) != 0) {
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        zs_voter_reaped(fx->voter, pid, status);
    }
    return 0;
}

static int
s_on_poll(zloop_t *loop, int timer_id, void *arg)
{
    s_fixture_t *fx = arg;
    return zs_voter_running(fx->voter) == 0 ? -1 : 0;
}

static int
s_stop(zloop_t *loop, int timer_id, void *arg)
{
    return -1;
}

//  A voter told to vote as welcome says: answer, or a shell script
static s_fixture_t *
s_fixture_new(const char *answer, const char *script)
{
    s_fixture_t *fx = zs_calloc(1, sizeof *fx);
    fx->signal_fd = zs_proc_signals_take();
    assert(fx->signal_fd >= 0);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    fx->loop = zloop_new();
    zmq_pollitem_t item = {NULL, fx->signal_fd, ZMQ_POLLIN, 0};
    zloop_poller(fx->loop, &item, s_on_signal, fx);
    fx->voter = zs_voter_new(fx->loop, s_on_cast, fx);
    const char *argv[] = {"/bin/sh", "-c", script};
    zs_msg_t welcome;
    zs_msg_init(&welcome, ZS_MSG_WELCOME);
    welcome.option = answer;
    welcome.vote_argv = (zs_msg_list_t){argv, script ? 3 : 0};
    zs_voter_configure(fx->voter, &welcome);
    return fx;
}

static void
s_fixture_destroy(s_fixture_t **fx_p)
{
    s_fixture_t *fx = *fx_p;
    zs_voter_destroy(&fx->voter);
    zloop_destroy(&fx->loop);
    close(fx->signal_fd);
    free(fx);
    *fx_p = NULL;
}

static void
s_ask(s_fixture_t *fx, const char *vote, uint64_t deadline)
{
    const char *options[] = {"yes", "no"};
    zs_msg_t ask;
    zs_msg_init(&ask, ZS_MSG_VOTE_ASK);
    ask.vote = vote;
    ask.question = "ship it?";
    ask.options = (zs_msg_list_t){options, 2};
    ask.strategy = "majority";
    ask.deadline = deadline;
    zs_voter_ask(fx->voter, &ask);
}

//  Run the loop until every command ended, or the deadline
static void
s_settle(s_fixture_t *fx)
{
    int poll = zloop_timer(fx->loop, S_POLL_MS, 0, s_on_poll, fx);
    int deadline = zloop_timer(fx->loop, S_DEADLINE_MS, 1, s_stop, NULL);
    if (zs_voter_running(fx->voter) > 0) {
        zloop_start(fx->loop);
    }
    zloop_timer_end(fx->loop, poll);
    zloop_timer_end(fx->loop, deadline);
    ZS_CHECK(zs_voter_running(fx->voter) == 0);
}

static void
test_fixed_answer(void)
{
    s_fixture_t *fx = s_fixture_new("no", NULL);
    s_ask(fx, "v1", 1000);
    ZS_CHECK(fx->count == 1);  //  at once, no command
    ZS_CHECK_STR(fx->casts[0].vote, "v1");
    ZS_CHECK_STR(fx->casts[0].option, "no");
    ZS_CHECK(fx->casts[0].confidence == 0);
    s_fixture_destroy(&fx);
    //  An answer that is not an option abstains
    fx = s_fixture_new("maybe", NULL);
    s_ask(fx, "v1", 1000);
    ZS_CHECK(fx->count == 0);
    s_fixture_destroy(&fx);
    //  Told nothing: abstains
    fx = s_fixture_new(NULL, NULL);
    s_ask(fx, "v1", 1000);
    ZS_CHECK(fx->count == 0 && zs_voter_running(fx->voter) == 0);
    s_fixture_destroy(&fx);
}

//  The command reads the ask as JSON and answers by its question
static void
test_command_answers(void)
{
    s_fixture_t *fx = s_fixture_new(
        NULL, "if grep -q '\"question\":\"ship it?\"'; then echo 'yes 0.25'; fi");
    s_ask(fx, "v1", 5000);
    s_settle(fx);
    ZS_CHECK(fx->count == 1);
    ZS_CHECK_STR(fx->casts[0].option, "yes");
    ZS_CHECK(fx->casts[0].confidence == 250);
    s_fixture_destroy(&fx);
    //  Confidence at its edges: 0 is the least there is, 1 the most
    fx = s_fixture_new(NULL, "echo no 0; cat >/dev/null");
    s_ask(fx, "v1", 5000);
    s_settle(fx);
    ZS_CHECK(fx->count == 1 && fx->casts[0].confidence == 1);
    s_fixture_destroy(&fx);
    fx = s_fixture_new(NULL, "printf '  no\\t1\\n'");
    s_ask(fx, "v1", 5000);
    s_settle(fx);
    ZS_CHECK(fx->count == 1 && fx->casts[0].confidence == 1000);
    ZS_CHECK_STR(fx->casts[0].option, "no");
    s_fixture_destroy(&fx);
}

//  Every way a command's answer is not a ballot: each abstains
static void
test_command_abstains(void)
{
    const char *scripts[] = {
        "echo maybe",         //  not an option
        "echo yes 2",         //  confidence above 1
        "echo yes often",     //  confidence not a number
        "true",               //  nothing printed
        "echo yes; exit 3",   //  failed
        "sleep 5; echo yes",  //  past the deadline: killed
    };
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        s_fixture_t *fx = s_fixture_new(NULL, scripts[i]);
        s_ask(fx, "v1", 300);
        s_settle(fx);
        if (fx->count != 0) {
            fprintf(stderr, "  script '%s' cast '%s'\n", scripts[i], fx->casts[0].option);
        }
        ZS_CHECK(fx->count == 0);
        s_fixture_destroy(&fx);
    }
}

//  At most ZS_VOTER_JOBS_MAX commands at once; an ask for a vote whose command runs
//  is not run twice
static void
test_commands_are_bounded(void)
{
    s_fixture_t *fx = s_fixture_new(NULL, "sleep 0.2; echo yes");
    char vote[16];
    for (int i = 0; i <= ZS_VOTER_JOBS_MAX; i++) {
        snprintf(vote, sizeof vote, "v%d", i);
        s_ask(fx, vote, 5000);
    }
    ZS_CHECK(zs_voter_running(fx->voter) == ZS_VOTER_JOBS_MAX);
    s_ask(fx, "v0", 5000);
    ZS_CHECK(zs_voter_running(fx->voter) == ZS_VOTER_JOBS_MAX);
    s_settle(fx);
    ZS_CHECK(fx->count == ZS_VOTER_JOBS_MAX);
    s_fixture_destroy(&fx);
}

static const zs_test_case_t s_cases[] = {
    {"fixed_answer", test_fixed_answer},
    {"command_answers", test_command_answers},
    {"command_abstains", test_command_abstains},
    {"commands_are_bounded", test_commands_are_bounded},
};

ZS_TEST_MAIN(s_cases)
