/*
 * zstream.c — the ZeroMQ side of record streams (protocol in zstream.h).
 *
 * One process-wide context, created on first use and terminated when the
 * last stream closes.  Each socket has a monitor (inproc PAIR) from which
 * we keep the set of connected peer fds; monitor events are drained often
 * so none are dropped at the monitor's high-water mark.
 *
 * No hang and no silent loss (zstream.h, "Liveness and loss"): ZMTP
 * heartbeats drop a peer that stops answering; every wait (connecting,
 * reading, sending, the end-of-stream handshake) polls in short slices and
 * gives up with ZS_TEMPFAIL after `timeout` seconds without progress while
 * no peer is connected or a peer has vanished; a writer whose consumer
 * disconnects before the end of the stream fails with the counts (a
 * warning with ?early=1, judge_losses), and a reader whose count of
 * records differs from what its producers sent fails.
 */
#include "io/zstream.h"
#include "io/zstream_int.h"
#include "io/zcurve.h"
#include "io/mpscan.h"
#include "base/util.h"

#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

void *zs_g_ctx;
static int g_nsock;

double zs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void peer_add(zstream *z, int fd)
{
    for (int i = 0; i < z->npeers; i++)
        if (z->peers[i] == fd)
            return;
    if (z->npeers < MAX_PEERS)
        z->peers[z->npeers++] = fd;
    z->ever_connected++;
}

/* A connection counts as a peer only once its handshake (CURVE or NULL)
 * succeeded: a stranger whose handshake fails is neither a consumer that
 * was lost nor a producer that vanished.  libzmq's handshake events carry
 * no fd, so a success promotes the oldest pending connection, and a
 * disconnect that follows a failed handshake but names a promoted fd
 * corrects the guess (the pending one was the peer). */
static int fd_del(int *set, int *n, int fd)
{
    for (int i = 0; i < *n; i++)
        if (set[i] == fd) {
            memmove(set + i, set + i + 1, (size_t)(*n - i - 1) * sizeof *set);
            (*n)--;
            return 1;
        }
    return 0;
}

static void pending_add(zstream *z, int fd)
{
    fd_del(z->pending, &z->npending, fd);
    if (z->npending < MAX_PEERS)
        z->pending[z->npending++] = fd;
}

static void promote_pending(zstream *z)
{
    if (z->npending == 0)
        return;
    int fd = z->pending[0];
    fd_del(z->pending, &z->npending, fd);
    peer_add(z, fd);
}

static void peer_del(zstream *z, int fd)
{
    for (int i = 0; i < z->npeers; i++)
        if (z->peers[i] == fd) {
            z->peers[i] = z->peers[--z->npeers];
            return;
        }
}

const msgpack_object_array *zs_parse_ctl(const char *d, size_t n, msgpack_zone *zone, msgpack_object *o,
                                         const char *tag)
{
    size_t end = 0, off = 0;
    if (n == 0 || (unsigned char)d[0] < 0x90 || (unsigned char)d[0] > 0x9f ||
        mpscan((const unsigned char *)d, n, n, 4, &end) != MPSCAN_OK || end != n ||
        msgpack_unpack(d, n, &off, zone, o) != MSGPACK_UNPACK_SUCCESS || o->type != MSGPACK_OBJECT_ARRAY ||
        o->via.array.size < 1 || o->via.array.ptr[0].type != MSGPACK_OBJECT_STR ||
        o->via.array.ptr[0].via.str.size != strlen(tag) || memcmp(o->via.array.ptr[0].via.str.ptr, tag, strlen(tag)))
        return NULL;
    return &o->via.array;
}

/* Drain monitor events, waiting up to timeout_ms for the first one. */
void zs_pump_events(zstream *z, long timeout_ms)
{
    if (!z->mon)
        return;
    for (;;) {
        zmq_pollitem_t it = {z->mon, 0, ZMQ_POLLIN, 0};
        int r = zmq_poll(&it, 1, timeout_ms);
        if (r <= 0)
            return;
        timeout_ms = 0;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, z->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        uint16_t ev = 0;
        uint32_t val = 0;
        if (zmq_msg_size(&m) >= 6) {
            const unsigned char *d = zmq_msg_data(&m);
            memcpy(&ev, d, 2);
            memcpy(&val, d + 2, 4);
        }
        int more = zmq_msg_more(&m);
        zmq_msg_close(&m);
        while (more) { /* the endpoint frame */
            zmq_msg_init(&m);
            zmq_msg_recv(&m, z->mon, 0);
            more = zmq_msg_more(&m);
            zmq_msg_close(&m);
        }
        if (ev == ZMQ_EVENT_ACCEPTED || ev == ZMQ_EVENT_CONNECTED) {
            pending_add(z, (int)val);
        } else if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            promote_pending(z);
        } else if (ev & (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                         ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)) {
            z->hs_failed++;
            z->hs_ever_failed = 1;
            if (ev != ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
                z->mismatch = 1;   /* ack=1 on one end only? (zack.c) */
            if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && !z->bound)
                z->auth_refused = (int)val;
        } else if ((ev == ZMQ_EVENT_DISCONNECTED || ev == ZMQ_EVENT_CLOSED) &&
                   (fd_del(z->pending, &z->npending, (int)val) ||
                    (z->hs_failed > 0 && z->npending > 0 && fd_del(z->peers, &z->npeers, (int)val) &&
                     (promote_pending(z), z->ever_connected--, 1)))) {
            if (z->hs_failed > 0)
                z->hs_failed--;
        } else if (ev == ZMQ_EVENT_DISCONNECTED || ev == ZMQ_EVENT_CLOSED) {
            int had = z->npeers;
            peer_del(z, (int)val);
            if (z->ack)
                zack_peer_gone(z, (int)val);
            /* a consumer leaves only after its end-of-stream: one that goes
             * earlier died, with the records queued to it (acknowledged
             * mode sends those again: zack.c) */
            if (z->npeers < had && !z->ended && (!z->writer || !z->closing) && !(z->ack && z->writer))
                z->lost++;
        }
    }
}

/* Split "?producers=N&timeout=S" off the endpoint list. */
static int parse_options(zstream *z, char *spec, char *err, size_t errcap)
{
    char *q = strchr(spec, '?');
    if (!q)
        return 0;
    *q++ = 0;
    for (char *tok = strtok(q, "&"); tok; tok = strtok(NULL, "&")) {
        char *end;
        if (strncmp(tok, "producers=", 10) == 0) {
            long v = strtol(tok + 10, &end, 10);
            if (*end || v < 1 || v > 100000) {
                snprintf(err, errcap, "bad producers= value '%s'", tok + 10);
                return -1;
            }
            z->expected = (int)v;
        } else if (strncmp(tok, "consumers=", 10) == 0) {
            long v = strtol(tok + 10, &end, 10);
            if (*end || v < 1 || v > 100000) {
                snprintf(err, errcap, "bad consumers= value '%s'", tok + 10);
                return -1;
            }
            z->consumers = (int)v;
        } else if (strcmp(tok, "early=1") == 0 || strcmp(tok, "early=0") == 0) {
            z->early = tok[6] == '1';
        } else if (strcmp(tok, "ack=1") == 0 || strcmp(tok, "ack=0") == 0) {
            z->ack = tok[4] == '1';
        } else if (strncmp(tok, "window=", 7) == 0) {
            long v = strtol(tok + 7, &end, 10);
            if (*end || v < 1 || v > 1000000) {
                snprintf(err, errcap, "bad window= value '%s'", tok + 7);
                return -1;
            }
            z->window = (int)v;
        } else if (strncmp(tok, "timeout=", 8) == 0) {
            double v = strtod(tok + 8, &end);
            if (*end || !(v > 0)) {
                snprintf(err, errcap, "bad timeout= value '%s'", tok + 8);
                return -1;
            }
            z->timeout = v;
        } else {
            int c = zcurve_parse_opt(&z->sec, tok, err, errcap);
            if (c < 0)
                return -1;
            if (c > 0)
                continue;
            snprintf(err, errcap,
                     "unknown endpoint option '%s' (known: producers=N, consumers=N, timeout=S, key=FILE, "
                     "curve=FILE, allow=FILE, insecure=1, ack=0, window=N, early=1)",
                     tok);
            return -1;
        }
    }
    return 0;
}

void zs_close_sockets(zstream *z)
{
    if (z->mon) {
        zmq_socket_monitor(z->sock, NULL, 0);
        zmq_close(z->mon);
        z->mon = NULL;
    }
    if (z->sock) {
        zmq_close(z->sock);
        z->sock = NULL;
        zcurve_release(&z->sec);
        if (--g_nsock == 0) {
            zcurve_stop(zs_g_ctx);
            zmq_ctx_term(zs_g_ctx);
            zs_g_ctx = NULL;
        }
    }
}

int zs_check_uri(const char *uri, char *err, size_t errcap)
{
    zstream z;
    memset(&z, 0, sizeof z);
    zcurve_init(&z.sec);
    char *spec = xstrdup(uri + 1);
    int rc = parse_options(&z, spec, err, errcap);
    /* as zcurve_apply will decide: CURVE with a key, insecure= or its variable */
    const char *env = getenv("PREFPIPE_ZMQ_INSECURE");
    z.sec.curve = z.sec.key || getenv("PREFPIPE_ZMQ_KEY");
    if (z.sec.insecure < 0)
        z.sec.insecure = env && strcmp(env, "1") == 0;
    for (char *ep = strtok(spec, ","); rc == 0 && ep; ep = strtok(NULL, ","))
        if (uri[0] == '@' && zcurve_check_bind(&z.sec, ep, err, errcap) < 0)
            rc = -1;
    free(spec);
    return rc;
}

zstream *zs_open(const char *uri, int writer, char *err, size_t errcap)
{
    zstream *z = xcalloc(1, sizeof *z);
    z->writer = writer;
    z->bound = uri[0] == '@';
    z->expected = 0;
    z->consumers = 1;
    z->timeout = 60;
    z->window = 256;
    z->ack = 1;   /* acknowledged by default; ?ack=0: plain PUSH/PULL, loss possible */
    z->cur_prod = z->next_prod = -1;
    zcurve_init(&z->sec);
    const char *env = getenv("PREFPIPE_ZMQ_TIMEOUT");
    if (env && atof(env) > 0)
        z->timeout = atof(env);
    char *spec = xstrdup(uri + 1);
    if (parse_options(z, spec, err, errcap) < 0)
        goto fail;
    if (!zs_g_ctx && !(zs_g_ctx = zmq_ctx_new())) {
        snprintf(err, errcap, "zmq_ctx_new: %s", zmq_strerror(errno));
        goto fail;
    }
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(z->id, sizeof z->id, "%s:%d:%llx", host, (int)getpid(),
             (unsigned long long)mix64((uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)z));
    /* acknowledged mode addresses its peers: ROUTER on both ends */
    z->sock = zmq_socket(zs_g_ctx, z->ack ? ZMQ_ROUTER : writer ? ZMQ_PUSH : ZMQ_PULL);
    if (!z->sock) {
        snprintf(err, errcap, "zmq_socket: %s", zmq_strerror(errno));
        goto fail;
    }
    g_nsock++;
    if (zcurve_apply(zs_g_ctx, z->sock, &z->sec, z->bound, err, errcap) < 0)
        goto fail;
    int one = 1, hwm = 1000, linger = 0, ivl = 10;
    zmq_setsockopt(z->sock, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl); /* peers that start late join fast */
    zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(z->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(z->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    /* ZMTP heartbeats: a peer that stops answering (host down, cable out)
     * is dropped within the timeout, as a killed one is at once */
    int tmo = z->timeout * 1000 > 600000 ? 600000 : (int)(z->timeout * 1000);
    int hb_ivl = tmo / 3 < 1000 ? (tmo / 3 > 50 ? tmo / 3 : 50) : 1000, hb_to = tmo > hb_ivl ? tmo : hb_ivl;
    zmq_setsockopt(z->sock, ZMQ_HEARTBEAT_IVL, &hb_ivl, sizeof hb_ivl);
    zmq_setsockopt(z->sock, ZMQ_HEARTBEAT_TIMEOUT, &hb_to, sizeof hb_to);
    zmq_setsockopt(z->sock, ZMQ_HEARTBEAT_TTL, &hb_to, sizeof hb_to);
    if (!z->bound) /* queue only on live connections, never on a dead pipe */
        zmq_setsockopt(z->sock, ZMQ_IMMEDIATE, &one, sizeof one);
    if (z->ack)
        zack_setup(z);
    char monaddr[64];
    snprintf(monaddr, sizeof monaddr, "inproc://prefpipe-mon-%p", (void *)z);
    if (zmq_socket_monitor(z->sock, monaddr,
                           ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED |
                               ZMQ_EVENT_CLOSED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) == 0) {
        z->mon = zmq_socket(zs_g_ctx, ZMQ_PAIR);
        zmq_connect(z->mon, monaddr);
    }
    for (char *ep = strtok(spec, ","); ep; ep = strtok(NULL, ",")) {
        if (z->bound && zcurve_check_bind(&z->sec, ep, err, errcap) < 0)
            goto fail;
        int r = z->bound ? zmq_bind(z->sock, ep) : zmq_connect(z->sock, ep);
        if (r != 0) {
            snprintf(err, errcap, "cannot %s %s: %s", z->bound ? "bind" : "connect to", ep,
                     zmq_strerror(errno));
            goto fail;
        }
        z->nendpoints++;
    }
    if (z->nendpoints == 0) {
        snprintf(err, errcap, "no endpoint given");
        goto fail;
    }
    if (!z->expected)
        z->expected = z->bound ? 1 : z->nendpoints;
    if (!z->bound) {
        double deadline = zs_now() + z->timeout;
        while (z->npeers < z->nendpoints && zs_now() < deadline && !z->auth_refused)
            zs_pump_events(z, 50);
        if (z->auth_refused) {
            snprintf(err, errcap, "the server refused our CURVE key (status %d): is key= in its allow list?",
                     z->auth_refused);
            goto fail;
        }
        if (z->npeers < z->nendpoints) {
            if (z->hs_ever_failed)
                snprintf(err, errcap,
                         "cannot connect: the handshake failed for %g s (CURVE on one side only, curve= not "
                         "the server's public key, or ?ack=0 on one end only: do both ends agree on ?ack=?)",
                         z->timeout);
            else
                snprintf(err, errcap, "cannot connect: no peer answered within %g s (is the other side running? do both ends agree on ?ack=?)",
                         z->timeout);
            goto fail;
        }
    }
    free(spec);
    z->progress_at = zs_now();
    z->eos_checkable = 1;
    return z;
fail:
    free(spec);
    zs_close_sockets(z);
    free(z);
    return NULL;
}

int zs_parse_eos(const char *d, size_t n, const char **id, size_t *idlen, uint64_t *sent, int *consumers)
{
    if (n == 0 || (unsigned char)d[0] < 0x90 || (unsigned char)d[0] > 0x9f)
        return 0; /* data records are maps; control messages are fixarrays */
    /* check the framing and size claims before msgpack allocates for them
     * (a peer's [{2^32 entries}] would otherwise cost a huge allocation) */
    size_t end = 0;
    if (mpscan((const unsigned char *)d, n, n, 4, &end) != MPSCAN_OK || end != n)
        return -1;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 256);
    msgpack_object o;
    size_t off = 0;
    int ok = msgpack_unpack(d, n, &off, &zone, &o) == MSGPACK_UNPACK_SUCCESS &&
             o.type == MSGPACK_OBJECT_ARRAY && o.via.array.size >= 2 &&
             o.via.array.ptr[0].type == MSGPACK_OBJECT_STR &&
             o.via.array.ptr[0].via.str.size == strlen(EOS_TAG) &&
             memcmp(o.via.array.ptr[0].via.str.ptr, EOS_TAG, strlen(EOS_TAG)) == 0 &&
             o.via.array.ptr[1].type == MSGPACK_OBJECT_STR;
    if (ok) {
        /* the id points into d, which outlives the zone */
        *id = o.via.array.ptr[1].via.str.ptr;
        *idlen = o.via.array.ptr[1].via.str.size;
        *sent = o.via.array.size >= 3 && o.via.array.ptr[2].type == MSGPACK_OBJECT_POSITIVE_INTEGER
                    ? o.via.array.ptr[2].via.u64 : 0;
        /* the 4th element is new: without it nobody can check the count */
        *consumers = o.via.array.size >= 4 && o.via.array.ptr[3].type == MSGPACK_OBJECT_POSITIVE_INTEGER
                         ? (int)o.via.array.ptr[3].via.u64 : 0;
    }
    msgpack_zone_destroy(&zone);
    return ok ? 1 : -1;
}

/* Waiting gives up (ZS_TEMPFAIL) after `timeout` s without progress while
 * no peer is connected, or after a peer vanished (a killed producer never
 * sends its end-of-stream; the others wait for us and keep their pipes). */
int zs_stalled(zstream *z, char *err, size_t errcap)
{
    /* A reader with as many producers connected as it expects has had
     * every vanished producer replaced (its restart): it waits as if none
     * had vanished, however long the restart takes to send (a live peer
     * answers heartbeats; one that dies disconnects).  Otherwise a
     * vanished producer may be gone for good, and nothing-for-timeout ends
     * the stream (exit 75).  Producers that ended and left are not
     * counted: a restart after others ended still has timeout= to send. */
    int replaced = !z->writer && z->npeers >= z->expected;
    if (zs_now() - z->progress_at < z->timeout || (z->npeers > 0 && (!z->lost || replaced)))
        return 0;
    if (z->mismatch)
        snprintf(err, errcap, "a peer connected but its handshake failed for %g s: do both ends agree on ?ack=? "
                 "(acknowledged is the default, ?ack=0 plain)", z->timeout);
    else if (z->writer && z->ack)
        snprintf(err, errcap, "no consumer connected for %g s (%llu records sent, %zu to send again; both ends need "
                 "the same ?ack=); giving up",
                 z->timeout, (unsigned long long)z->sent, z->nredo - z->redo_head);
    else if (z->writer)
        snprintf(err, errcap, "no consumer connected for %g s (%llu records sent); giving up", z->timeout,
                 (unsigned long long)z->sent);
    else if (z->lost)
        snprintf(err, errcap,
                 "a producer disconnected without ending its stream and nothing came for %g s "
                 "(%llu records received, %d of %d producers ended); giving up",
                 z->timeout, (unsigned long long)z->received, z->neos, z->expected);
    else
        snprintf(err, errcap, "no producer connected for %g s (%llu records received, %d of %d producers ended)",
                 z->timeout, (unsigned long long)z->received, z->neos, z->expected);
    return 1;
}

/* An end-of-stream from producer id: counted once per producer; the
 * stream ends (and the sockets close, which releases the producers) when
 * every producer expected has ended. */
int zs_take_eos(zstream *z, const char *id, size_t idlen, uint64_t sent, int consumers, char *err, size_t errcap)
{
    int seen = 0;
    for (int i = 0; i < z->neos; i++)
        if (strlen(z->eos_ids[i]) == idlen && memcmp(z->eos_ids[i], id, idlen) == 0)
            seen = 1;
    if (!seen) {
        z->eos_ids = xrealloc(z->eos_ids, (size_t)(z->neos + 1) * sizeof *z->eos_ids);
        z->eos_ids[z->neos++] = xstrndup(id, idlen);
        z->progress_at = zs_now();
        z->eos_sent += sent;
        if (consumers != 1)
            z->eos_checkable = 0;
    }
    if (z->neos < z->expected)
        return 0;
    z->ended = 1;
    zs_close_sockets(z);
    /* every producer served only us: we must have all they sent; a
     * producer that vanished mid-stream (and was restarted) may have
     * delivered records its successor's count does not cover */
    if (z->eos_checkable && (z->lost ? z->received < z->eos_sent : z->received != z->eos_sent)) {
        snprintf(err, errcap, "records lost: the producers sent %llu, %llu arrived",
                 (unsigned long long)z->eos_sent, (unsigned long long)z->received);
        z->failed = 1;
        snprintf(z->err, sizeof z->err, "%s", err);
        return ZS_LOST;
    }
    return 1;
}

/* Receive one data message into *m, handling EOS messages on the way:
 * 1 a record, 0 the stream has ended, -1 error, ZS_TEMPFAIL / ZS_LOST,
 * -2 nothing waiting (only with ZMQ_DONTWAIT). */
static int recv_msg(zstream *z, zmq_msg_t *m, int *have, int flags, char *err, size_t errcap)
{
    if (z->ended)
        return 0;
    if (z->ack)
        return zack_recv(z, m, have, flags, err, errcap);
    for (;;) {
        if (*have)
            zmq_msg_close(m);
        zmq_msg_init(m);
        *have = 1;
        if (zmq_msg_recv(m, z->sock, ZMQ_DONTWAIT) < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN && (flags & ZMQ_DONTWAIT))
                return -2;
            if (errno != EAGAIN) {
                snprintf(err, errcap, "receive: %s", zmq_strerror(errno));
                return -1;
            }
            zmq_pollitem_t it = {z->sock, 0, ZMQ_POLLIN, 0};
            zmq_poll(&it, 1, 100);
            zs_pump_events(z, 0);
            if (zs_stalled(z, err, errcap))
                return ZS_TEMPFAIL;
            continue;
        }
        const char *d = zmq_msg_data(m);
        size_t n = zmq_msg_size(m);
        const char *id;
        size_t idlen;
        uint64_t sent = 0;
        int consumers = 0;
        int e = zs_parse_eos(d, n, &id, &idlen, &sent, &consumers);
        if (e == 0) {
            z->received++;
            z->progress_at = zs_now();
            return 1;
        }
        if (e < 0) {
            snprintf(err, errcap, "unknown control message on the socket");
            return -1;
        }
        int r = zs_take_eos(z, id, idlen, sent, consumers, err, errcap);
        if (r != 0) {
            zmq_msg_close(m);
            *have = 0;
            return r == 1 ? 0 : r;
        }
    }
}

int zs_recv(zstream *z, const char **data, size_t *len, char *err, size_t errcap)
{
    if (z->ack) /* the application is done with the record it had */
        zack_taken(z);
    if (z->have_next) { /* the record zs_ready took: it becomes the current one */
        z->cur_prod = z->next_prod, z->cur_seq = z->next_seq_in;
        z->next_prod = -1;
        if (z->have_msg)
            zmq_msg_close(&z->msg);
        zmq_msg_init(&z->msg);
        zmq_msg_move(&z->msg, &z->next);
        zmq_msg_close(&z->next);
        z->have_next = 0;
        z->have_msg = 1;
        *data = zmq_msg_data(&z->msg);
        *len = zmq_msg_size(&z->msg);
        return 1;
    }
    if (z->failed) {
        snprintf(err, errcap, "%s", z->err);
        return z->failed < 0 ? z->failed : -1;
    }
    int r = recv_msg(z, &z->msg, &z->have_msg, 0, err, errcap);
    if (r == 1) {
        *data = zmq_msg_data(&z->msg);
        *len = zmq_msg_size(&z->msg);
    }
    return r;
}

int zs_ready(zstream *z)
{
    if (z->have_next || z->ended || z->failed)
        return 1;
    int r = recv_msg(z, &z->next, &z->have_next, ZMQ_DONTWAIT, z->err, sizeof z->err);
    if (r == -2 || r == 0) {
        if (z->have_next)
            zmq_msg_close(&z->next);
        z->have_next = 0;
        return r == 0; /* ended: zs_recv answers 0 at once */
    }
    if (r < 0) {
        if (z->have_next)
            zmq_msg_close(&z->next);
        z->have_next = 0;
        z->failed = r;
    }
    return 1;
}

int zs_send(zstream *z, const char *data, size_t len, char *err, size_t errcap)
{
    if (z->ack)
        return zack_send(z, data, len, err, errcap);
    for (;;) {
        int r = zmq_send(z->sock, data, len, ZMQ_DONTWAIT);
        if (r >= 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN) {
            snprintf(err, errcap, "send: %s", zmq_strerror(errno));
            return -1;
        }
        /* no consumer, or all of them full: wait, but not without end */
        zmq_pollitem_t it = {z->sock, 0, ZMQ_POLLOUT, 0};
        zmq_poll(&it, 1, 100);
        zs_pump_events(z, 0);
        if (z->npeers > 0)
            z->progress_at = zs_now();   /* a slow consumer is not a dead one */
        if (zs_stalled(z, err, errcap))
            return ZS_TEMPFAIL;
    }
    z->progress_at = zs_now();
    if ((++z->sent & 255) == 0)
        zs_pump_events(z, 0);
    return 0;
}

void zs_pack_eos(zstream *z, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_str(&pk, strlen(EOS_TAG));
    msgpack_pack_str_body(&pk, EOS_TAG, strlen(EOS_TAG));
    msgpack_pack_str(&pk, strlen(z->id));
    msgpack_pack_str_body(&pk, z->id, strlen(z->id));
    msgpack_pack_uint64(&pk, z->sent);
    /* 0: "do not check the count" — this producer lost a consumer (and
     * reports that itself), so what the others got is not what it sent */
    msgpack_pack_uint64(&pk, z->lost || z->deaths ? 0 : (uint64_t)z->consumers);
}

static int send_eos_round(zstream *z, int n)
{
    msgpack_sbuffer sb;
    zs_pack_eos(z, &sb);
    int sent = 0;
    for (int i = 0; i < n; i++)
        if (zmq_send(z->sock, sb.data, sb.size, ZMQ_DONTWAIT) >= 0)
            sent++;
    msgpack_sbuffer_destroy(&sb);
    return sent;
}

/* Writers, plain mode, at the end: z->lost consumers disconnected before
 * the end-of-stream handshake began, with the records queued to them.  A
 * PUSH socket has no way back, so a consumer killed and one that stopped
 * early on purpose (ppo-step --batches, rec head) look the same from
 * here: the loss is an error (ZS_LOST, exit 74) naming the counts, unless
 * the producer's endpoint says consumers may stop early (?early=1), or as
 * many replacement consumers connected (more than ?consumers=M: a restart
 * whose application resumes, as ppo-step --resume) — then a warning. */
static int judge_losses(zstream *z, char *err, size_t errcap)
{
    int spare = z->ever_connected - z->consumers;
    snprintf(err, errcap,
             "%d of %d consumer%s disconnected before the end of the stream: the records queued to %s are lost "
             "(%llu sent in all; acknowledged streams, the default without ?ack=0, send them to the others)",
             z->lost, z->ever_connected, z->ever_connected > 1 ? "s" : "", z->lost > 1 ? "them" : "it",
             (unsigned long long)z->sent);
    if (z->lost <= spare) {
        fprintf(stderr, "%s: warning: %s; %d replacement consumer%s connected\n", progname, err, spare,
                spare > 1 ? "s" : "");
        return 0;
    }
    if (z->early) {
        fprintf(stderr, "%s: warning: %s; ?early=1: taken as stopping early on purpose\n", progname, err);
        return 0;
    }
    size_t n = strlen(err);
    snprintf(err + n, errcap - n, "; a consumer that stops early on purpose (ppo-step --batches, rec head) looks "
             "the same: say ?early=1 on this endpoint if one may");
    return ZS_LOST;
}

void zs_drop(zstream *z)
{
    int linger = 0;
    if (z->sock)
        zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof linger);
    z->ack = 0, z->writer = 0;   /* no handshake: nobody is left to end it with */
    char err[64];
    zs_close(z, err, sizeof err);
}

int zs_close(zstream *z, char *err, size_t errcap)
{
    int rc = 0;
    if (z->ack && z->sock)
        rc = z->writer ? zack_close_writer(z, err, errcap) : (zack_taken(z), zack_close_reader(z), 0);
    else if (z->writer && z->sock) {
        /* Wait for a first peer if none ever came (an empty stream still
         * needs its EOS delivered), bound or connecting, up to the timeout. */
        zs_pump_events(z, 0);
        z->closing = 1;
        double deadline = zs_now() + z->timeout;
        while (!z->ever_connected) {
            zs_pump_events(z, 100);
            if (zs_now() > deadline) {
                snprintf(err, errcap, "no consumer connected within %g s", z->timeout);
                rc = ZS_TEMPFAIL;
                break;
            }
        }
        z->progress_at = zs_now();
        while (rc == 0) {
            zs_pump_events(z, 0);
            if (z->npeers == 0 && z->ever_connected >= z->consumers)
                break;
            if (z->npeers == 0) { /* more consumers announced: wait for them */
                zs_pump_events(z, 50);
                if (zs_now() - z->progress_at > z->timeout) {
                    snprintf(err, errcap, "%d of %d consumers came within %g s", z->ever_connected, z->consumers,
                             z->timeout);
                    rc = ZS_TEMPFAIL;
                }
                continue;
            }
            z->progress_at = zs_now();
            send_eos_round(z, z->npeers);
            zs_pump_events(z, 50);
        }
        if (rc == 0 && z->lost)
            rc = judge_losses(z, err, errcap);
    }
    if (z->have_msg)
        zmq_msg_close(&z->msg);
    if (z->have_next)
        zmq_msg_close(&z->next);
    zs_close_sockets(z);
    for (int i = 0; i < z->neos; i++)
        free(z->eos_ids[i]);
    free(z->eos_ids);
    if (z->dups)
        fprintf(stderr, "%s: %llu duplicate records dropped (sent again by a restarted producer)\n", progname,
                (unsigned long long)z->dups);
    zack_free(z);
    free(z);
    return rc;
}
