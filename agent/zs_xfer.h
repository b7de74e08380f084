//  zs_xfer - libcurl transfers driven by the agent's zloop
//
//  One libcurl multi handle per instance, run from the loop it is given: libcurl says
//  which sockets it waits on (CURLMOPT_SOCKETFUNCTION) and the instance keeps one zloop
//  poller per socket with exactly that interest; libcurl says when it next needs a call
//  (CURLMOPT_TIMERFUNCTION) and the instance keeps one zloop timer for it. Each
//  callback hands the event to curl_multi_socket_action and then reports the transfers
//  that ended, each to its own done function. Nothing blocks the loop: name lookups run
//  in libcurl's resolver threads, connections and bodies move as their sockets are
//  ready, so heartbeats and other tasks go on while a transfer hangs.
//
//  Invariants: an easy handle is in the multi exactly while it is started and neither
//  done nor aborted; its done function is called once, from the loop, never from
//  within zs_xfer_start or zs_xfer_abort; an aborted transfer is out of the multi when
//  zs_xfer_abort returns and its done never comes. Easy handles stay their caller's:
//  this module never frees one.
//
//  Why every handle is made by zs_xfer_easy_new: the house defaults are security
//  rules, not tuning. Only http and https are spoken, on the first request and on any
//  redirect; libcurl follows no redirect, because the handlers follow them themselves
//  and check every hop against their allow list (zs_url); no signals (libcurl would
//  otherwise touch SIGALRM and SIGPIPE in a process that reads its signals from a
//  signalfd).

#ifndef ZS_XFER_H
#define ZS_XFER_H

#include <czmq.h>
#include <curl/curl.h>
#include <stddef.h>

#define ZS_XFER_CONNECT_MS 10000  //  longest wait for a connection, TLS included, ms
#define ZS_XFER_PROTOCOLS  "http,https"  //  the only schemes spoken, redirects included
#define ZS_XFER_AGENT      "zswarm/" ZS_VERSION  //  User-Agent of every request

typedef struct _zs_xfer_t zs_xfer_t;

//  A transfer ended: code is libcurl's result for easy (CURLE_OK when the whole
//  response was read, whatever its HTTP status). Called from the loop with easy
//  already out of the multi; the callee may start or abort other transfers, and owns
//  what it does with easy.
typedef void(zs_xfer_done_fn)(void *arg, CURL *easy, CURLcode code);

//  Create an instance running its transfers in loop (borrowed; it must outlive the
//  instance). Never returns NULL: a multi handle that cannot be made is OOM, and aborts.
zs_xfer_t *zs_xfer_new(zloop_t *loop);

//  Abort every transfer without calling its done, close every connection, free the
//  instance and set *self_p to NULL. Accepts NULL. The easy handles stay the callers'.
void zs_xfer_destroy(zs_xfer_t **self_p);

//  A new easy handle with the house defaults: protocols and redirect protocols
//  ZS_XFER_PROTOCOLS, no redirects followed, no signals, connect timeout
//  ZS_XFER_CONNECT_MS, TCP keep-alive, User-Agent ZS_XFER_AGENT, and no wait for a
//  name still being resolved when it is aborted (CURLOPT_QUICK_EXIT). The caller owns it
//  (curl_easy_cleanup). Never returns NULL: libcurl fails here only on OOM, which aborts.
CURL *zs_xfer_easy_new(void);

//  Start easy (borrowed until done or abort; set up by the caller). done (with arg)
//  is called once when it ends. Returns 0, or -1 when libcurl refused the handle (it
//  is already in a multi): then nothing was started and done never comes.
int zs_xfer_start(zs_xfer_t *self, CURL *easy, zs_xfer_done_fn *done, void *arg);

//  Abort a started transfer now: its connection is dropped and done is not called.
//  Does nothing for a handle that is not running here. Must not be called from
//  within one of easy's own libcurl callbacks (return an error from those instead).
void zs_xfer_abort(zs_xfer_t *self, CURL *easy);

//  Transfers started and neither done nor aborted.
size_t zs_xfer_running(zs_xfer_t *self);

//  The kind of failure a libcurl code is, as result texts name it: "dns", "connect",
//  "tls", "timeout", "network" (the connection broke mid-exchange), "refused" (a URL
//  or protocol libcurl would not use), "redirect", "too large", "write", or
//  "transfer" for any other. Never NULL; "ok" for CURLE_OK.
const char *zs_xfer_kind(CURLcode code);

//  Write "KIND: DETAIL" into why (size bytes, NUL-terminated): detail is libcurl's
//  error buffer for the transfer when it holds text (may be NULL), else
//  curl_easy_strerror's text. Returns why.
const char *zs_xfer_why(CURLcode code, const char *detail, char *why, size_t size);

#endif
