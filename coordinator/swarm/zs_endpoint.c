//  zs_endpoint - see zs_endpoint.h

#include "coordinator/swarm/zs_endpoint.h"

#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ZS_ENDPOINT_TCP          "tcp://"
#define ZS_ENDPOINT_IPC          "ipc://"
#define ZS_ENDPOINT_PREFIX_LEN   (sizeof ZS_ENDPOINT_TCP - 1)  //  both schemes' length
#define ZS_ENDPOINT_LOOPBACK_NET 127  //  first byte of every IPv4 loopback address

//  Bytes a tcp host may hold: names, IPv4, [IPv6], '*', interface names, zone ids
#define ZS_ENDPOINT_HOST_CHARS                                                           \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_:[]*%"

_Static_assert(sizeof ZS_ENDPOINT_IPC - 1 == ZS_ENDPOINT_PREFIX_LEN, "schemes differ");

//  Digits only, so strtoll's leading blanks and signs never reach zs_parse_int
static bool
s_port_is_valid(const char *port)
{
    int64_t value;
    return strcmp(port, "*") == 0 ||
           (*port && strspn(port, "0123456789") == strlen(port) &&
            zs_parse_int(port, 1, ZS_ENDPOINT_PORT_MAX, &value) == 0);
}

static int
s_check_ipc(const char *path, zs_error_t *err)
{
    size_t len = strlen(path);
    if (len == 0) {
        return zs_error_set(err, ZS_ENDPOINT_E_IPC_PATH, "the ipc path is empty");
    }
    if (len > ZS_ENDPOINT_IPC_PATH_MAX) {
        return zs_error_set(err, ZS_ENDPOINT_E_IPC_PATH,
                            "the ipc path is longer than %d bytes",
                            ZS_ENDPOINT_IPC_PATH_MAX);
    }
    return 0;
}

//  The port goes after the last ':', since an unbracketed IPv6 host has colons too
static int
s_check_tcp(const char *address, char *host, size_t host_size, zs_error_t *err)
{
    const char *colon = strrchr(address, ':');
    if (!colon || !s_port_is_valid(colon + 1)) {
        return zs_error_set(err, ZS_ENDPOINT_E_PORT,
                            "expected a port 1..%d or '*' after the last ':'",
                            ZS_ENDPOINT_PORT_MAX);
    }
    size_t len = (size_t) (colon - address);
    bool brackets_match = len > 0 && (address[0] == '[') == (address[len - 1] == ']');
    if (!brackets_match || len >= host_size ||
        strspn(address, ZS_ENDPOINT_HOST_CHARS) < len) {
        return zs_error_set(err, ZS_ENDPOINT_E_HOST,
                            "expected a host name, an IPv4 address, [IPv6] or '*'");
    }
    memcpy(host, address, len);
    host[len] = '\0';
    return 0;
}

//  zs_endpoint_check that also gives the tcp host, or "" for ipc
static int
s_parse(const char *endpoint, char *host, size_t host_size, zs_error_t *err)
{
    host[0] = '\0';
    if (strnlen(endpoint, ZS_ENDPOINT_MAX) >= ZS_ENDPOINT_MAX) {
        return zs_error_set(err, ZS_ENDPOINT_E_LENGTH, "longer than %d bytes",
                            ZS_ENDPOINT_MAX - 1);
    }
    if (strncmp(endpoint, ZS_ENDPOINT_IPC, ZS_ENDPOINT_PREFIX_LEN) == 0) {
        return s_check_ipc(endpoint + ZS_ENDPOINT_PREFIX_LEN, err);
    }
    if (strncmp(endpoint, ZS_ENDPOINT_TCP, ZS_ENDPOINT_PREFIX_LEN) == 0) {
        return s_check_tcp(endpoint + ZS_ENDPOINT_PREFIX_LEN, host, host_size, err);
    }
    return zs_error_set(err, ZS_ENDPOINT_E_SCHEME,
                        "expected tcp://HOST:PORT or ipc://PATH");
}

static bool
s_host_is_loopback(const char *host)
{
    char bare[ZS_ENDPOINT_MAX];
    size_t len = strlen(host);
    bool bracketed = len >= 2 && host[0] == '[';
    snprintf(bare, sizeof bare, "%.*s", (int) (bracketed ? len - 2 : len),
             host + bracketed);
    struct in_addr v4;
    struct in6_addr v6;
    if (strcasecmp(bare, "localhost") == 0) {
        return true;
    }
    if (inet_pton(AF_INET, bare, &v4) == 1) {
        return ntohl(v4.s_addr) >> 24 == ZS_ENDPOINT_LOOPBACK_NET;
    }
    return inet_pton(AF_INET6, bare, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

int
zs_endpoint_check(const char *endpoint, zs_error_t *err)
{
    assert(endpoint);
    char host[ZS_ENDPOINT_MAX];
    return s_parse(endpoint, host, sizeof host, err);
}

bool
zs_endpoint_is_local(const char *endpoint)
{
    assert(endpoint);
    char host[ZS_ENDPOINT_MAX];
    return s_parse(endpoint, host, sizeof host, NULL) == 0 &&
           (host[0] == '\0' || s_host_is_loopback(host));
}

bool
zs_endpoint_clash(const char *endpoint, const char *other)
{
    assert(endpoint);
    assert(other);
    //  Two binds to tcp port '*' get two ports; an ipc path ending in ":*" is one path
    size_t len = strlen(endpoint);
    bool any_port = strncmp(endpoint, ZS_ENDPOINT_TCP, ZS_ENDPOINT_PREFIX_LEN) == 0 &&
                    len >= 2 && strcmp(endpoint + len - 2, ":*") == 0;
    return !any_port && strcmp(endpoint, other) == 0;
}
