//  zs_peer - see zs_peer.h

#include "agent/zs_peer.h"
#include "common/zs_proc.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

struct _zs_peer_t {
    zloop_t *loop;          //  owned: the one event loop
    zs_session_t *session;  //  owned: the session with the coordinator
    zs_peer_ops_t ops;      //  the owner's part
    void *owner;            //  borrowed: the owner, for ops
    int signal_fd;          //  borrowed signalfd, or -1
    bool stopping;          //  a stop began: the run ends once the owner is done
    const char *stop_why;   //  why, for bye
};

//  ---- signals -------------------------------------------------------------------------

static void
s_on_sigchld(void *ctx, int signo)
{
    zs_peer_t *self = ctx;
    self->ops.reap(self->owner);
}

static void
s_on_stop_signal(void *ctx, int signo)
{
    zs_peer_stop(ctx, signo == SIGINT ? "interrupted" : "terminated");
}

static const zs_proc_signal_t s_signals[] = {
    {SIGCHLD, s_on_sigchld},
    {SIGTERM, s_on_stop_signal},
    {SIGINT, s_on_stop_signal},
    //  Its default action ends the process; we end it cleanly instead
    {SIGHUP, s_on_stop_signal},
};

static bool
s_done(zs_peer_t *self)
{
    return self->stopping && (!self->ops.done || self->ops.done(self->owner));
}

static int
s_on_signal(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    zs_peer_t *self = arg;
    zs_proc_signals_dispatch(self->signal_fd, s_signals,
                             sizeof s_signals / sizeof s_signals[0], self);
    return s_done(self) ? -1 : 0;
}

//  ---- the peer ------------------------------------------------------------------------

zs_peer_t *
zs_peer_new(const zs_peer_config_t *config,
            const zs_peer_ops_t *ops,
            void *owner,
            zs_error_t *err)
{
    assert(config);
    assert(config->endpoint);
    assert(ops);
    assert(ops->reap);
    zs_peer_t *self = zs_calloc(1, sizeof *self);
    self->ops = *ops;
    self->owner = owner;
    self->signal_fd = config->signal_fd;
    self->loop = zloop_new();  //  czmq aborts on OOM: never NULL
    zs_session_config_t session = {
        .endpoint = config->endpoint,
        .hello_type = ops->hello_type,
        .welcome_type = ops->welcome_type,
        .cert = config->cert,
        .server_key = config->server_key,
        .debug = config->debug,
    };
    self->session = zs_session_new(self->loop, &session, &ops->session, owner, err);
    if (!self->session) {
        zs_peer_destroy(&self);
        return NULL;
    }
    if (self->signal_fd >= 0) {
        zmq_pollitem_t item = {NULL, self->signal_fd, ZMQ_POLLIN, 0};
        zloop_poller(self->loop, &item, s_on_signal, self);
    }
    return self;
}

void
zs_peer_destroy(zs_peer_t **self_p)
{
    assert(self_p);
    zs_peer_t *self = *self_p;
    if (self) {
        zs_session_destroy(&self->session);
        zloop_destroy(&self->loop);
        free(self);
        *self_p = NULL;
    }
}

zloop_t *
zs_peer_loop(zs_peer_t *self)
{
    assert(self);
    return self->loop;
}

zs_session_t *
zs_peer_session(zs_peer_t *self)
{
    assert(self);
    return self->session;
}

void
zs_peer_stop(zs_peer_t *self, const char *why)
{
    assert(self);
    if (self->stopping) {
        return;
    }
    zsys_info("stopping: %s", why);
    self->stopping = true;
    self->stop_why = why;
    if (self->ops.stop) {
        self->ops.stop(self->owner);
    }
}

bool
zs_peer_stopping(zs_peer_t *self)
{
    assert(self);
    return self->stopping;
}

int
zs_peer_run(zs_peer_t *self)
{
    assert(self);
    zs_session_start(self->session);
    zloop_start(self->loop);
    if (!self->stopping) {
        zsys_error("event loop failed: %s", zmq_strerror(errno));
    }
    zs_session_bye(self->session, self->stop_why);
    return self->stopping ? 0 : -1;
}

//  ---- main ----------------------------------------------------------------------------

//  The endpoint was refused, or the certificate cannot be used: the command line's fault
static bool
s_usage_code(int code)
{
    return code == ZS_SESSION_E_CONNECT || code == ZS_SESSION_E_CERT;
}

//  Serve the program. Returns the exit status.
static int
s_serve(const zs_peer_program_t *program, void *args)
{
    zs_error_t err;
    zs_error_init(&err);
    if (program->serve(args, &err) == 0) {
        return ZS_EXIT_OK;
    }
    if (!err.text[0]) {
        return ZS_EXIT_FAIL;
    }
    zsys_error("%s", err.text);
    return s_usage_code(err.code) ? ZS_EXIT_USAGE : ZS_EXIT_FAIL;
}

//  Check what the option table cannot: the key pair, then the program's own. Returns
//  0, or -1 after saying what is wrong.
static int
s_check(const zs_peer_program_t *program, void *args, const zs_peer_config_t *peer)
{
    zs_error_t err;
    zs_error_init(&err);
    int rc = !peer->cert != !peer->server_key
                 ? zs_error_set(&err, 0, "--cert and --server-key go together")
                 : program->check(args, &err);
    if (rc != 0) {
        zs_usage_error(program->cli->name, "%s", err.text);
    }
    return rc;
}

int
zs_peer_main(const zs_peer_program_t *program,
             int argc,
             char **argv,
             void *args,
             zs_peer_config_t *peer)
{
    assert(program);
    assert(args);
    assert(peer);
    //  First of all, before czmq or libzmq start a thread: every thread must inherit
    //  the blocked signals, or one of them could take a SIGTERM the loop never sees
    peer->signal_fd = zs_proc_signals_take();
    int saved = errno;
    int operands = 0;
    int rc = zs_opts_program_main(program->cli, argc, argv, args, &operands);
    if (rc != 0) {
        return zs_opts_exit_status(rc);
    }
    if (s_check(program, args, peer) != 0) {
        return ZS_EXIT_USAGE;
    }
    if (peer->signal_fd < 0) {
        fprintf(stderr, "%s: cannot take signals: %s\n", program->cli->name,
                strerror(saved));
        return ZS_EXIT_FAIL;
    }
    zsys_handler_set(NULL);
    peer->debug = zs_log_init(program->cli->name);
    int code = s_serve(program, args);
    close(peer->signal_fd);
    return code;
}
