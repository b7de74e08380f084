//  zs_auth - see zs_auth.h

#include "broker/zs_auth.h"

#include "common/zs_curve.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define ZS_AUTH_ZAP_ENDPOINT "inproc://zeromq.zap.01"  //  fixed by RFC 27
#define ZS_AUTH_ZAP_VERSION  "1.0"
#define ZS_AUTH_WATCH_MAX    8          //  sockets served at once (the broker has three)
#define ZS_AUTH_ADDRESS_MAX  64         //  bytes of a peer address quoted in the log
#define ZS_AUTH_SECRET       "_secret"  //  suffix of czmq secret certificates

//  A served socket and the monitor that reports its failed handshakes
typedef struct {
    zsock_t *served;  //  the CURVE server, borrowed; NULL for a free slot
    zsock_t *pair;    //  reads its monitor events, owned
    zs_auth_domain_t domain;
} s_watch_t;

struct zs_auth_t {
    zloop_t *loop;                         //  borrowed
    zsock_t *handler;                      //  REP at the ZAP endpoint, owned
    zcert_t *cert;                         //  server certificate, owned
    zhashx_t *keys[ZS_AUTH_GROUPS];        //  Z85 public key -> name (owned strings)
    s_watch_t watches[ZS_AUTH_WATCH_MAX];  //  served sockets
    uint64_t refused;                      //  refusals since start
    bool ignore_hangups;                   //  NO_DETAIL failures are not counted
    zs_ratelimit_t log;                    //  limits refusal logs
};

//  Which groups each domain admits, indexed by zs_auth_domain_t
static const struct {
    const char *name;
    bool admits[ZS_AUTH_GROUPS];
} s_domains[] = {
    [ZS_AUTH_DOMAIN_AGENTS] = {"agents", {[ZS_AUTH_AGENTS] = true}},
    [ZS_AUTH_DOMAIN_CONTROL] = {"control", {[ZS_AUTH_CLIENTS] = true}},
    [ZS_AUTH_DOMAIN_EVENTS] = {"events",
                               {[ZS_AUTH_AGENTS] = true, [ZS_AUTH_CLIENTS] = true}},
};
#define S_DOMAIN_COUNT (sizeof s_domains / sizeof s_domains[0])

//  ---------------------------------------------------------------------------------
//  Keys

static void *
s_name_dup(const void *item)
{
    return zs_strdup(item);
}

static void
s_name_free(void **item)
{
    free(*item);
    *item = NULL;
}

void
zs_auth_allow(zs_auth_t *self,
              zs_auth_group_t group,
              const uint8_t *public_key,
              const char *name)
{
    assert(self);
    assert(group < ZS_AUTH_GROUPS);
    assert(public_key);
    assert(name);
    char z85[ZS_AUTH_Z85_SIZE];
    zmq_z85_encode(z85, public_key, ZS_AUTH_KEY_SIZE);
    //  The first file of a key names it: a duplicate is the operator's to clean up
    if (zhashx_insert(self->keys[group], z85, (void *) (uintptr_t) name) != 0) {
        zsys_warning("key '%s' of '%s' is authorised already as '%s'", z85, name,
                     (char *) zhashx_lookup(self->keys[group], z85));
    }
}

size_t
zs_auth_size(zs_auth_t *self, zs_auth_group_t group)
{
    assert(self);
    assert(group < ZS_AUTH_GROUPS);
    return zhashx_size(self->keys[group]);
}

static bool
s_is_candidate(const char *name)
{
    size_t len = strlen(name), suffix = strlen(ZS_AUTH_SECRET);
    bool secret = len >= suffix && streq(name + len - suffix, ZS_AUTH_SECRET);
    return name[0] != '.' && !secret;
}

//  One directory entry: a regular file that holds a certificate
static void
s_load_file(zs_auth_t *self, zs_auth_group_t group, const char *dir, const char *name)
{
    char *path = zsys_sprintf("%s/%s", dir, name);
    struct stat info;
    if (stat(path, &info) != 0 || !S_ISREG(info.st_mode)) {
        zstr_free(&path);
        return;
    }
    uint8_t key[ZS_AUTH_KEY_SIZE];
    if (zs_curve_load_public(path, key) == 0) {
        zs_auth_allow(self, group, key, name);
    } else {
        zsys_warning("skipping '%s': not a certificate", path);
    }
    zstr_free(&path);
}

int
zs_auth_load_dir(zs_auth_t *self, zs_auth_group_t group, const char *dir, zs_error_t *err)
{
    assert(self);
    assert(group < ZS_AUTH_GROUPS);
    assert(dir);
    DIR *handle = opendir(dir);
    if (!handle) {
        return zs_error_set(err, 0, "cannot read certificate directory '%s': %s", dir,
                            strerror(errno));
    }
    struct dirent *entry;
    while ((entry = readdir(handle)) != NULL) {
        if (s_is_candidate(entry->d_name)) {
            s_load_file(self, group, dir, entry->d_name);
        }
    }
    closedir(handle);
    return 0;
}

//  The name of key (Z85) in a group domain admits, or NULL
static const char *
s_lookup(zs_auth_t *self, zs_auth_domain_t domain, const char *z85)
{
    for (int group = 0; group < ZS_AUTH_GROUPS; group++) {
        const char *name = s_domains[domain].admits[group]
                               ? zhashx_lookup(self->keys[group], z85)
                               : NULL;
        if (name) {
            return name;
        }
    }
    return NULL;
}

//  ---------------------------------------------------------------------------------
//  Refusals

//  where: "from 'PEER'" when ZAP names the peer, "on 'ENDPOINT'" when a monitor does
static void
s_refusal(zs_auth_t *self, const char *domain, const char *where, const char *why)
{
    self->refused++;
    uint64_t suppressed = 0;
    if (zs_ratelimit_allow(&self->log, &suppressed)) {
        zsys_warning("refused %s connection %s: %s (%" PRIu64 " more suppressed)", domain,
                     where, why, suppressed);
    }
}

//  What the handshake failures a monitor reports most likely mean
static const struct {
    uint32_t value;
    const char *why;
} s_handshake_errors[] = {
    {ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, "not CURVE: a plain-text peer?"},
    {ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC, "cryptographic error: wrong server key?"},
};

static void
s_handshake_why(bool hangup, uint32_t value, char *why, size_t size)
{
    for (size_t i = 0; i < sizeof s_handshake_errors / sizeof s_handshake_errors[0];
         i++) {
        if (s_handshake_errors[i].value == value) {
            snprintf(why, size, "handshake failed, %s", s_handshake_errors[i].why);
            return;
        }
    }
    if (hangup) {
        //  value is an errno: the peer left before the handshake ended
        snprintf(why, size, "handshake failed: %s", zmq_strerror((int) value));
    } else {
        snprintf(why, size, "handshake failed (protocol error 0x%x)", value);
    }
}

//  ---------------------------------------------------------------------------------
//  ZAP requests: version, request id, domain, address, identity, mechanism,
//  credentials (for CURVE: the client's 32-byte public key)

typedef struct {
    char *frames[6];  //  the text frames, owned
    zframe_t *key;    //  first credentials frame, owned, or NULL
} s_request_t;

enum { S_VERSION, S_ID, S_DOMAIN, S_ADDRESS, S_IDENTITY, S_MECHANISM };

static void
s_reply(zs_auth_t *self,
        const char *id,
        const char *status,
        const char *text,
        const char *user)
{
    zsock_send(self->handler, "ssssss", ZS_AUTH_ZAP_VERSION, id, status, text, user, "");
}

static int
s_domain_find(const char *name)
{
    for (size_t i = 0; i < S_DOMAIN_COUNT; i++) {
        if (streq(s_domains[i].name, name)) {
            return (int) i;
        }
    }
    return -1;
}

//  Decide one request. Returns the User-Id, or NULL with *why_p saying why not.
static const char *
s_decide(zs_auth_t *self, s_request_t *request, char *z85, const char **why_p)
{
    int domain = s_domain_find(request->frames[S_DOMAIN]);
    if (domain < 0) {
        *why_p = "unknown ZAP domain";
        return NULL;
    }
    if (!streq(request->frames[S_MECHANISM], "CURVE")) {
        *why_p = "mechanism is not CURVE";
        return NULL;
    }
    if (!request->key || zframe_size(request->key) != ZS_AUTH_KEY_SIZE) {
        *why_p = "no CURVE key";
        return NULL;
    }
    zmq_z85_encode(z85, zframe_data(request->key), ZS_AUTH_KEY_SIZE);
    *why_p = "unknown key";
    return s_lookup(self, (zs_auth_domain_t) domain, z85);
}

static void
s_handle(zs_auth_t *self, s_request_t *request)
{
    char z85[ZS_AUTH_Z85_SIZE] = "";
    const char *why = NULL;
    const char *user = s_decide(self, request, z85, &why);
    const char *id = request->frames[S_ID];
    if (user) {
        s_reply(self, id, "200", "OK", user);
        return;
    }
    char detail[ZS_ERROR_TEXT_MAX], address[ZS_AUTH_ADDRESS_MAX];
    char where[ZS_AUTH_ADDRESS_MAX + 8];
    const char *peer = request->frames[S_ADDRESS];
    zs_sanitize(address, sizeof address, peer, strlen(peer));
    snprintf(where, sizeof where, "from '%s'", address);
    snprintf(detail, sizeof detail, "%s%s%s%s", why, *z85 ? " '" : "", z85,
             *z85 ? "'" : "");
    char domain[ZS_AUTH_ADDRESS_MAX];
    const char *name = request->frames[S_DOMAIN];
    zs_sanitize(domain, sizeof domain, name, strlen(name));
    s_refusal(self, domain, where, detail);
    s_reply(self, id, "400", why, "");
}

static int
s_zap_readable(zloop_t *loop, zsock_t *sock, void *arg)
{
    zs_auth_t *self = arg;
    zmsg_t *msg = zmsg_recv(sock);
    if (!msg) {
        return 0;
    }
    s_request_t request = {{NULL}, NULL};
    for (int i = 0; i <= S_MECHANISM; i++) {
        request.frames[i] = zmsg_popstr(msg);
    }
    request.key = zmsg_pop(msg);
    //  libzmq writes these itself: a short request would be a libzmq bug, not input
    if (request.frames[S_MECHANISM] &&
        streq(request.frames[S_VERSION], ZS_AUTH_ZAP_VERSION)) {
        s_handle(self, &request);
    }
    for (int i = 0; i <= S_MECHANISM; i++) {
        zstr_free(&request.frames[i]);
    }
    zframe_destroy(&request.key);
    zmsg_destroy(&msg);
    return 0;
}

//  ---------------------------------------------------------------------------------
//  Failed handshakes, as the socket monitor reports them: frame one holds the event
//  (16 bits) and its value (32 bits, the protocol error or errno), frame two the
//  socket's own endpoint

static int
s_monitor_readable(zloop_t *loop, zsock_t *sock, void *arg)
{
    zs_auth_t *self = arg;
    zmsg_t *msg = zmsg_recv(sock);
    zframe_t *head = msg ? zmsg_first(msg) : NULL;
    zframe_t *local = msg ? zmsg_next(msg) : NULL;
    if (local && zframe_size(head) == sizeof(uint16_t) + sizeof(uint32_t)) {
        uint16_t event;
        uint32_t value;
        memcpy(&event, zframe_data(head), sizeof event);
        memcpy(&value, zframe_data(head) + sizeof event, sizeof value);
        for (size_t i = 0; i < ZS_AUTH_WATCH_MAX; i++) {
            s_watch_t *watch = &self->watches[i];
            bool hangup = event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
            bool failed = hangup || event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;
            if (watch->pair == sock && failed && (!hangup || !self->ignore_hangups)) {
                char why[128], where[ZS_AUTH_ADDRESS_MAX + 8];
                s_handshake_why(hangup, value, why, sizeof why);
                char *endpoint = zframe_strdup(local);
                snprintf(where, sizeof where, "on '%.*s'", ZS_AUTH_ADDRESS_MAX, endpoint);
                s_refusal(self, s_domains[watch->domain].name, where, why);
                zstr_free(&endpoint);
            }
        }
    }
    zmsg_destroy(&msg);
    return 0;
}

static void
s_watch(zs_auth_t *self, zsock_t *sock, zs_auth_domain_t domain)
{
    for (size_t i = 0; i < ZS_AUTH_WATCH_MAX; i++) {
        s_watch_t *watch = &self->watches[i];
        if (watch->served) {
            continue;
        }
        char *endpoint =
            zsys_sprintf("inproc://zs-auth-monitor-%p-%zu", (void *) self, i);
        //  Not _AUTH: ZAP counted those already
        int events =
            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;
        if (zmq_socket_monitor(zsock_resolve(sock), endpoint, events) == 0) {
            watch->pair = zsock_new(ZMQ_PAIR);
            zsock_set_linger(watch->pair, 0);
            zsock_connect(watch->pair, "%s", endpoint);
            watch->served = sock;
            watch->domain = domain;
            zloop_reader(self->loop, watch->pair, s_monitor_readable, self);
        }
        zstr_free(&endpoint);
        return;
    }
}

void
zs_auth_serve(zs_auth_t *self, zsock_t *sock, zs_auth_domain_t domain)
{
    assert(self);
    assert(sock);
    assert(domain < S_DOMAIN_COUNT);
    zcert_apply(self->cert, sock);
    zsock_set_curve_server(sock, 1);
    zsock_set_zap_domain(sock, s_domains[domain].name);
    s_watch(self, sock, domain);
}

static void
s_watch_end(zs_auth_t *self, s_watch_t *watch)
{
    zmq_socket_monitor(zsock_resolve(watch->served), NULL, 0);
    zloop_reader_end(self->loop, watch->pair);
    zsock_destroy(&watch->pair);
    watch->served = NULL;
}

void
zs_auth_unserve(zs_auth_t *self, zsock_t *sock)
{
    assert(self);
    for (size_t i = 0; i < ZS_AUTH_WATCH_MAX; i++) {
        if (self->watches[i].served == sock) {
            s_watch_end(self, &self->watches[i]);
        }
    }
}

//  ---------------------------------------------------------------------------------
//  Life cycle

zs_auth_t *
zs_auth_new(zloop_t *loop, const char *cert_path, zs_error_t *err)
{
    assert(loop);
    assert(cert_path);
    zs_auth_t *self = zs_calloc(1, sizeof *self);
    self->loop = loop;
    for (int group = 0; group < ZS_AUTH_GROUPS; group++) {
        self->keys[group] = zhashx_new();
        zhashx_set_duplicator(self->keys[group], s_name_dup);
        zhashx_set_destructor(self->keys[group], s_name_free);
    }
    self->cert = zs_curve_load_secret(cert_path, err);
    if (!self->cert) {
        zs_auth_destroy(&self);
        return NULL;
    }
    self->handler = zsock_new(ZMQ_REP);
    if (!self->handler || zsock_bind(self->handler, ZS_AUTH_ZAP_ENDPOINT) < 0) {
        zs_error_set(err, 0, "cannot bind the ZAP handler '%s': %s", ZS_AUTH_ZAP_ENDPOINT,
                     zmq_strerror(zmq_errno()));
        zs_auth_destroy(&self);
        return NULL;
    }
    zloop_reader(loop, self->handler, s_zap_readable, self);
    return self;
}

void
zs_auth_destroy(zs_auth_t **self_p)
{
    assert(self_p);
    zs_auth_t *self = *self_p;
    if (!self) {
        return;
    }
    for (size_t i = 0; i < ZS_AUTH_WATCH_MAX; i++) {
        if (self->watches[i].pair) {
            zloop_reader_end(self->loop, self->watches[i].pair);
            zsock_destroy(&self->watches[i].pair);
        }
    }
    if (self->handler) {
        zloop_reader_end(self->loop, self->handler);
        //  Unbound at once, so a new handler may bind while this socket is reaped
        zsock_unbind(self->handler, ZS_AUTH_ZAP_ENDPOINT);
        zsock_destroy(&self->handler);
    }
    for (int group = 0; group < ZS_AUTH_GROUPS; group++) {
        zhashx_destroy(&self->keys[group]);
    }
    zcert_destroy(&self->cert);
    free(self);
    *self_p = NULL;
}

const char *
zs_auth_server_key(zs_auth_t *self)
{
    assert(self);
    return zcert_public_txt(self->cert);
}

void
zs_auth_ignore_hangups(zs_auth_t *self)
{
    assert(self);
    self->ignore_hangups = true;
}

uint64_t
zs_auth_refused(zs_auth_t *self)
{
    assert(self);
    return self->refused;
}

const char *
zs_auth_domain_name(zs_auth_domain_t domain)
{
    assert(domain < S_DOMAIN_COUNT);
    return s_domains[domain].name;
}
