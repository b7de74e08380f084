//  test_endpoint - bind endpoints: normal use, then one bad input per rule
//
//  Rejections check the code and the whole reason, since zs_swarm quotes the reason
//  as is after "invalid endpoint 'X' for 'KEY': ". Bounds are tested on both sides.

#include "coordinator/swarm/zs_endpoint.h"
#include "tests/unit/zs_test.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

//  Checks an endpoint that must fail with that code and reason
static bool
s_rejects(const char *endpoint, zs_endpoint_error_t code, const char *reason)
{
    zs_error_t err;
    zs_error_init(&err);
    int rc = zs_endpoint_check(endpoint, &err);
    bool ok = rc == -1 && err.code == (int) code && strcmp(err.text, reason) == 0;
    if (!ok) {
        fprintf(stderr, "  '%s'\n  got:  %d %d '%s'\n  want: -1 %d '%s'\n", endpoint, rc,
                err.code, err.text, (int) code, reason);
    }
    return ok;
}

static bool
s_accepts(const char *endpoint)
{
    zs_error_t err;
    zs_error_init(&err);
    if (zs_endpoint_check(endpoint, &err) != 0) {
        fprintf(stderr, "  '%s': unexpected error: %s\n", endpoint, err.text);
        return false;
    }
    return true;
}

//  scheme, then fill bytes of 'a', then tail, into buffer
static const char *
s_make(char *buffer, size_t size, const char *scheme, size_t fill, const char *tail)
{
    size_t at = strlen(scheme);
    assert(at + fill + strlen(tail) < size);
    memcpy(buffer, scheme, at);
    memset(buffer + at, 'a', fill);
    strcpy(buffer + at + fill, tail);
    return buffer;
}

//  ---------------------------------------------------------------------------------------

//  A swarm file's three sockets: check each, keep them local, keep them apart
static void
test_normal_use(void)
{
    const char *binds[] = {"tcp://127.0.0.1:7600", "tcp://[::1]:*",
                           "ipc:///tmp/zs-events"};
    zs_error_t err;
    zs_error_init(&err);
    for (size_t i = 0; i < 3; i++) {
        ZS_CHECK_OK(zs_endpoint_check(binds[i], &err), err);
        ZS_CHECK(zs_endpoint_is_local(binds[i]));
        for (size_t j = 0; j < i; j++) {
            ZS_CHECK(!zs_endpoint_clash(binds[i], binds[j]));
        }
    }
    ZS_CHECK(err.code == 0 && err.text[0] == '\0');
    ZS_CHECK_OK(zs_endpoint_check("tcp://0.0.0.0:7600", &err), err);
    ZS_CHECK(!zs_endpoint_is_local("tcp://0.0.0.0:7600"));
}

static void
test_length(void)
{
    char text[ZS_ENDPOINT_MAX + 16];
    //  the host fills what "tcp://" and ":1" leave of the longest endpoint
    size_t room = ZS_ENDPOINT_MAX - 1 - strlen("tcp://") - strlen(":1");
    ZS_CHECK(s_accepts(s_make(text, sizeof text, "tcp://", room, ":1")));
    ZS_CHECK(strlen(text) == ZS_ENDPOINT_MAX - 1);
    ZS_CHECK(s_rejects(s_make(text, sizeof text, "tcp://", room + 1, ":1"),
                       ZS_ENDPOINT_E_LENGTH, "longer than 255 bytes"));
    //  length comes first, before the scheme
    ZS_CHECK(s_rejects(s_make(text, sizeof text, "udp://", room + 8, ""),
                       ZS_ENDPOINT_E_LENGTH, "longer than 255 bytes"));
    ZS_CHECK(!zs_endpoint_is_local(s_make(text, sizeof text, "ipc://", room + 8, "")));
}

static void
test_scheme(void)
{
    const char *reason = "expected tcp://HOST:PORT or ipc://PATH";
    ZS_CHECK(s_rejects("udp://127.0.0.1:1", ZS_ENDPOINT_E_SCHEME, reason));
    ZS_CHECK(s_rejects("", ZS_ENDPOINT_E_SCHEME, reason));
    ZS_CHECK(s_rejects("127.0.0.1:7600", ZS_ENDPOINT_E_SCHEME, reason));
    ZS_CHECK(s_rejects("TCP://127.0.0.1:1", ZS_ENDPOINT_E_SCHEME, reason));
    ZS_CHECK(s_rejects("tcp:/127.0.0.1:1", ZS_ENDPOINT_E_SCHEME, reason));
    ZS_CHECK(s_rejects("inproc://x", ZS_ENDPOINT_E_SCHEME, reason));
    ZS_CHECK(!zs_endpoint_is_local("inproc://x"));
}

static void
test_ipc_path(void)
{
    char text[ZS_ENDPOINT_MAX];
    ZS_CHECK(s_rejects("ipc://", ZS_ENDPOINT_E_IPC_PATH, "the ipc path is empty"));
    ZS_CHECK(s_accepts("ipc://@zs"));
    ZS_CHECK(
        s_accepts(s_make(text, sizeof text, "ipc://", ZS_ENDPOINT_IPC_PATH_MAX, "")));
    ZS_CHECK(
        s_rejects(s_make(text, sizeof text, "ipc://", ZS_ENDPOINT_IPC_PATH_MAX + 1, ""),
                  ZS_ENDPOINT_E_IPC_PATH, "the ipc path is longer than 107 bytes"));
}

static void
test_port(void)
{
    const char *reason = "expected a port 1..65535 or '*' after the last ':'";
    ZS_CHECK(s_accepts("tcp://127.0.0.1:1"));
    ZS_CHECK(s_accepts("tcp://127.0.0.1:65535"));
    ZS_CHECK(s_accepts("tcp://127.0.0.1:*"));
    ZS_CHECK(s_rejects("tcp://127.0.0.1", ZS_ENDPOINT_E_PORT, reason));
    ZS_CHECK(s_rejects("tcp://127.0.0.1:", ZS_ENDPOINT_E_PORT, reason));
    ZS_CHECK(s_rejects("tcp://127.0.0.1:0", ZS_ENDPOINT_E_PORT, reason));
    ZS_CHECK(s_rejects("tcp://127.0.0.1:65536", ZS_ENDPOINT_E_PORT, reason));
    ZS_CHECK(s_rejects("tcp://127.0.0.1:-1", ZS_ENDPOINT_E_PORT, reason));
    ZS_CHECK(s_rejects("tcp://127.0.0.1:+1", ZS_ENDPOINT_E_PORT, reason));
    ZS_CHECK(s_rejects("tcp://127.0.0.1: 1", ZS_ENDPOINT_E_PORT, reason));
    ZS_CHECK(s_rejects("tcp://127.0.0.1:1x", ZS_ENDPOINT_E_PORT, reason));
    ZS_CHECK(s_rejects("tcp://127.0.0.1:**", ZS_ENDPOINT_E_PORT, reason));
    ZS_CHECK(s_rejects("tcp://[::1]", ZS_ENDPOINT_E_PORT, reason));
}

static void
test_host(void)
{
    const char *reason = "expected a host name, an IPv4 address, [IPv6] or '*'";
    ZS_CHECK(s_accepts("tcp://*:1"));
    ZS_CHECK(s_accepts("tcp://eth0:1"));
    ZS_CHECK(s_accepts("tcp://zs-1.example.org:1"));
    ZS_CHECK(s_accepts("tcp://::1:1"));
    ZS_CHECK(s_accepts("tcp://[fe80::1%eth0]:1"));
    ZS_CHECK(s_rejects("tcp://:7600", ZS_ENDPOINT_E_HOST, reason));
    ZS_CHECK(s_rejects("tcp://a b:7600", ZS_ENDPOINT_E_HOST, reason));
    ZS_CHECK(s_rejects("tcp://a/b:7600", ZS_ENDPOINT_E_HOST, reason));
    ZS_CHECK(s_rejects("tcp://[::1:7600", ZS_ENDPOINT_E_HOST, reason));
    ZS_CHECK(s_rejects("tcp://::1]:7600", ZS_ENDPOINT_E_HOST, reason));
}

static void
test_local(void)
{
    const char *local[] = {
        "tcp://localhost:1", "tcp://LocalHost:1", "tcp://127.0.0.1:1",
        "tcp://127.1.2.3:*", "tcp://[::1]:1",     "tcp://::1:1",
        "ipc://@zs",         "ipc://zs.ipc",      "tcp://[localhost]:1"};
    const char *remote[] = {
        "tcp://0.0.0.0:1",   "tcp://*:1",         "tcp://[::2]:1",
        "tcp://[::]:1",      "tcp://eth0:1",      "tcp://10.0.0.1:1",
        "tcp://128.0.0.1:1", "tcp://126.0.0.1:1", "tcp://localhost.:1"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        ZS_CHECK(zs_endpoint_is_local(local[i]));
    }
    for (size_t i = 0; i < sizeof remote / sizeof remote[0]; i++) {
        ZS_CHECK(s_accepts(remote[i]));
        ZS_CHECK(!zs_endpoint_is_local(remote[i]));
    }
    //  an endpoint that fails the check is never local, however loopback it looks
    ZS_CHECK(!zs_endpoint_is_local("tcp://127.0.0.1:0"));
    ZS_CHECK(!zs_endpoint_is_local("tcp://localhost"));
    ZS_CHECK(!zs_endpoint_is_local("ipc://"));
}

static void
test_clash(void)
{
    ZS_CHECK(zs_endpoint_clash("ipc://x", "ipc://x"));
    ZS_CHECK(zs_endpoint_clash("tcp://127.0.0.1:7600", "tcp://127.0.0.1:7600"));
    ZS_CHECK(!zs_endpoint_clash("tcp://127.0.0.1:7600", "tcp://127.0.0.1:7601"));
    ZS_CHECK(!zs_endpoint_clash("ipc://x", "ipc://y"));
    //  '*' asks for a fresh port each time, so it may repeat
    ZS_CHECK(!zs_endpoint_clash("tcp://127.0.0.1:*", "tcp://127.0.0.1:*"));
    ZS_CHECK(!zs_endpoint_clash("tcp://127.0.0.1:*", "tcp://127.0.0.1:7600"));
    //  ':*' means any port for tcp only: an ipc path may end in it, and is one path
    ZS_CHECK(zs_endpoint_clash("ipc://x:*", "ipc://x:*"));
}

//  Callers that only want the verdict pass no error
static void
test_no_error(void)
{
    ZS_CHECK(zs_endpoint_check("udp://x:1", NULL) == -1);
    ZS_CHECK(zs_endpoint_check("tcp://x:1", NULL) == 0);
}

static const zs_test_case_t s_cases[] = {
    {"normal_use", test_normal_use}, {"length", test_length}, {"scheme", test_scheme},
    {"ipc_path", test_ipc_path},     {"port", test_port},     {"host", test_host},
    {"local", test_local},           {"clash", test_clash},   {"no_error", test_no_error},
};

ZS_TEST_MAIN(s_cases)
