//  test_auth - the ZAP handler with real sockets: CURVE servers on 127.0.0.1 served by
//  zs_auth in a zloop, and clients with known keys, unknown keys, the wrong domain and
//  other mechanisms
//
//  Each case makes its own certificates in a temporary directory: the server's, an
//  agent "alice" (in agents/, beside her secret file, which must be skipped), a client
//  "bob" (in clients/) and a file that is no certificate. A case runs the loop until the
//  server socket receives one message or a deadline passes.

#include "broker/zs_auth.h"
#include "tests/unit/zs_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_ACCEPT_MS 5000  //  longest wait for an accepted client's message
#define S_REFUSE_MS 400   //  wait that proves a refused client's message never came

typedef struct {
    char dir[64];                 //  temporary directory
    char path[256];               //  scratch path
    zloop_t *loop;                //  owned
    zs_auth_t *auth;              //  owned
    zsock_t *server;              //  owned
    zcert_t *alice;               //  an authorised agent, owned
    zcert_t *bob;                 //  an authorised client, owned
    bool received;                //  the server got a message
    char user[ZS_AUTH_USER_MAX];  //  its User-Id
} s_env_t;

static const char *
s_path(s_env_t *env, const char *name)
{
    snprintf(env->path, sizeof env->path, "%s/%s", env->dir, name);
    return env->path;
}

static zcert_t *
s_cert_save(s_env_t *env, const char *name)
{
    zcert_t *cert = zcert_new();
    zcert_save(cert, s_path(env, name));
    return cert;
}

static void
s_env_init(s_env_t *env)
{
    memset(env, 0, sizeof *env);
    snprintf(env->dir, sizeof env->dir, "/tmp/test_auth-XXXXXX");
    if (!mkdtemp(env->dir)) {
        abort();
    }
    mkdir(s_path(env, "agents"), 0700);
    mkdir(s_path(env, "clients"), 0700);
    zcert_destroy(&(zcert_t *){s_cert_save(env, "server")});
    env->alice = s_cert_save(env, "agents/alice");
    env->bob = s_cert_save(env, "clients/bob");
    FILE *junk = fopen(s_path(env, "agents/README"), "w");
    fputs("not a certificate\n", junk);
    fclose(junk);
    env->loop = zloop_new();
}

static void
s_env_fini(s_env_t *env)
{
    zsock_destroy(&env->server);
    zs_auth_destroy(&env->auth);
    zloop_destroy(&env->loop);
    zcert_destroy(&env->alice);
    zcert_destroy(&env->bob);
    char *command = zsys_sprintf("rm -rf '%s'", env->dir);
    if (system(command) != 0) {
        fprintf(stderr, "cannot remove '%s'\n", env->dir);
    }
    zstr_free(&command);
}

//  The handler with the server certificate and both directories loaded
static int
s_auth_start(s_env_t *env, zs_error_t *err)
{
    env->auth = zs_auth_new(env->loop, s_path(env, "server_secret"), err);
    if (!env->auth ||
        zs_auth_load_dir(env->auth, ZS_AUTH_AGENTS, s_path(env, "agents"), err) != 0) {
        return -1;
    }
    return zs_auth_load_dir(env->auth, ZS_AUTH_CLIENTS, s_path(env, "clients"), err);
}

static int
s_on_message(zloop_t *loop, zsock_t *sock, void *arg)
{
    s_env_t *env = arg;
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    while (zmq_msg_recv(&frame, zsock_resolve(sock), ZMQ_DONTWAIT) >= 0) {
        const char *user = zmq_msg_gets(&frame, "User-Id");
        snprintf(env->user, sizeof env->user, "%s", user ? user : "");
        if (!zmq_msg_more(&frame)) {
            break;
        }
    }
    zmq_msg_close(&frame);
    env->received = true;
    return -1;
}

static int
s_on_deadline(zloop_t *loop, int timer_id, void *arg)
{
    return -1;
}

//  A ROUTER in domain, as a CURVE server (or as configure makes it), on 127.0.0.1
static void
s_server_start(s_env_t *env, zs_auth_domain_t domain, bool curve)
{
    env->server = zsock_new(ZMQ_ROUTER);
    if (curve) {
        zs_auth_serve(env->auth, env->server, domain);
    } else {
        zsock_set_zap_domain(env->server, zs_auth_domain_name(domain));
    }
}

static void
s_server_bind(s_env_t *env)
{
    zsock_bind(env->server, "tcp://127.0.0.1:*");
    zloop_reader(env->loop, env->server, s_on_message, env);
}

//  Connect client (configured, owned), send one message, and run the loop until the
//  server receives it or wait_ms passed. Returns whether it arrived.
static bool
s_exchange(s_env_t *env, zsock_t *client, int wait_ms)
{
    zsock_set_linger(client, 0);
    char *endpoint = zsock_last_endpoint(env->server);
    zsock_connect(client, "%s", endpoint);
    zstr_free(&endpoint);
    zstr_send(client, "hello");
    int timer = zloop_timer(env->loop, (size_t) wait_ms, 1, s_on_deadline, env);
    env->received = false;
    zloop_start(env->loop);
    zloop_timer_end(env->loop, timer);
    zsock_destroy(&client);
    return env->received;
}

static zsock_t *
s_curve_client(s_env_t *env, zcert_t *cert)
{
    zsock_t *client = zsock_new(ZMQ_DEALER);
    zcert_t *server = zcert_load(s_path(env, "server"));
    zcert_apply(cert, client);
    zsock_set_curve_serverkey(client, zcert_public_txt(server));
    zcert_destroy(&server);
    return client;
}

//  ---------------------------------------------------------------------------------------

static void
test_accepted(void)
{
    s_env_t env;
    s_env_init(&env);
    zs_error_t err;
    zs_error_init(&err);
    ZS_CHECK_OK(s_auth_start(&env, &err), err);
    //  alice_secret and README are skipped
    ZS_CHECK(zs_auth_size(env.auth, ZS_AUTH_AGENTS) == 1);
    ZS_CHECK(zs_auth_size(env.auth, ZS_AUTH_CLIENTS) == 1);
    s_server_start(&env, ZS_AUTH_DOMAIN_AGENTS, true);
    s_server_bind(&env);
    ZS_CHECK(s_exchange(&env, s_curve_client(&env, env.alice), S_ACCEPT_MS));
    ZS_CHECK_STR(env.user, "alice");
    ZS_CHECK(zs_auth_refused(env.auth) == 0);
    s_env_fini(&env);
}

static void
test_unknown_key(void)
{
    s_env_t env;
    s_env_init(&env);
    zs_error_t err;
    zs_error_init(&err);
    ZS_CHECK_OK(s_auth_start(&env, &err), err);
    s_server_start(&env, ZS_AUTH_DOMAIN_AGENTS, true);
    s_server_bind(&env);
    zcert_t *stranger = zcert_new();
    ZS_CHECK(!s_exchange(&env, s_curve_client(&env, stranger), S_REFUSE_MS));
    zcert_destroy(&stranger);
    ZS_CHECK(zs_auth_refused(env.auth) >= 1);
    s_env_fini(&env);
}

//  An agent's key opens neither the control socket; a client's opens events
static void
test_wrong_domain(void)
{
    s_env_t env;
    s_env_init(&env);
    zs_error_t err;
    zs_error_init(&err);
    ZS_CHECK_OK(s_auth_start(&env, &err), err);
    s_server_start(&env, ZS_AUTH_DOMAIN_CONTROL, true);
    s_server_bind(&env);
    ZS_CHECK(!s_exchange(&env, s_curve_client(&env, env.alice), S_REFUSE_MS));
    ZS_CHECK(zs_auth_refused(env.auth) >= 1);
    ZS_CHECK(s_exchange(&env, s_curve_client(&env, env.bob), S_ACCEPT_MS));
    ZS_CHECK_STR(env.user, "bob");
    zloop_reader_end(env.loop, env.server);
    zsock_destroy(&env.server);
    s_server_start(&env, ZS_AUTH_DOMAIN_EVENTS, true);
    s_server_bind(&env);
    ZS_CHECK(s_exchange(&env, s_curve_client(&env, env.bob), S_ACCEPT_MS));
    ZS_CHECK_STR(env.user, "bob");
    ZS_CHECK(s_exchange(&env, s_curve_client(&env, env.alice), S_ACCEPT_MS));
    ZS_CHECK_STR(env.user, "alice");
    s_env_fini(&env);
}

//  ZAP asked about a NULL or PLAIN handshake says no
static void
test_other_mechanisms(void)
{
    s_env_t env;
    s_env_init(&env);
    zs_error_t err;
    zs_error_init(&err);
    ZS_CHECK_OK(s_auth_start(&env, &err), err);
    s_server_start(&env, ZS_AUTH_DOMAIN_AGENTS, false);
    s_server_bind(&env);
    ZS_CHECK(!s_exchange(&env, zsock_new(ZMQ_DEALER), S_REFUSE_MS));
    ZS_CHECK(zs_auth_refused(env.auth) >= 1);
    uint64_t before = zs_auth_refused(env.auth);
    zloop_reader_end(env.loop, env.server);
    zsock_destroy(&env.server);
    s_server_start(&env, ZS_AUTH_DOMAIN_AGENTS, false);
    zsock_set_plain_server(env.server, 1);
    s_server_bind(&env);
    zsock_t *plain = zsock_new(ZMQ_DEALER);
    zsock_set_plain_username(plain, "alice");
    zsock_set_plain_password(plain, "secret");
    ZS_CHECK(!s_exchange(&env, plain, S_REFUSE_MS));
    ZS_CHECK(zs_auth_refused(env.auth) > before);
    s_env_fini(&env);
}

//  A plain-text client of a CURVE server fails the handshake: counted too
static void
test_plain_client(void)
{
    s_env_t env;
    s_env_init(&env);
    zs_error_t err;
    zs_error_init(&err);
    ZS_CHECK_OK(s_auth_start(&env, &err), err);
    s_server_start(&env, ZS_AUTH_DOMAIN_AGENTS, true);
    s_server_bind(&env);
    ZS_CHECK(!s_exchange(&env, zsock_new(ZMQ_DEALER), S_REFUSE_MS));
    ZS_CHECK(zs_auth_refused(env.auth) >= 1);
    zs_auth_unserve(env.auth, env.server);
    s_env_fini(&env);
}

static void
test_bad_paths(void)
{
    s_env_t env;
    s_env_init(&env);
    zs_error_t err;
    zs_error_init(&err);
    ZS_CHECK(!zs_auth_new(env.loop, s_path(&env, "missing_secret"), &err));
    ZS_CHECK(strstr(err.text, "missing_secret"));
    //  A public certificate has no secret key to serve with
    zcert_save_public(env.bob, s_path(&env, "public_only"));
    zs_error_init(&err);
    ZS_CHECK(!zs_auth_new(env.loop, s_path(&env, "public_only"), &err));
    ZS_CHECK(strstr(err.text, "not a secret certificate"));
    ZS_CHECK_OK(s_auth_start(&env, &err), err);
    ZS_CHECK(zs_auth_load_dir(env.auth, ZS_AUTH_AGENTS, s_path(&env, "nodir"), &err) ==
             -1);
    ZS_CHECK(strstr(err.text, "nodir"));
    //  One handler per context: a second bind of the ZAP endpoint fails
    zs_error_init(&err);
    ZS_CHECK(!zs_auth_new(env.loop, s_path(&env, "server_secret"), &err));
    ZS_CHECK(strstr(err.text, "ZAP"));
    s_env_fini(&env);
}

static const zs_test_case_t s_cases[] = {
    {"accepted", test_accepted},         {"unknown_key", test_unknown_key},
    {"wrong_domain", test_wrong_domain}, {"other_mechanisms", test_other_mechanisms},
    {"plain_client", test_plain_client}, {"bad_paths", test_bad_paths},
};

ZS_TEST_MAIN(s_cases)
