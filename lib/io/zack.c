/*
 * zack.c — acknowledged ZeroMQ record streams (the default; the
 * guarantee is stated in zstream.h).
 *
 * Both ends are ROUTER sockets with ZMQ_PROBE_ROUTER: every new
 * connection announces itself with an empty message, so each side learns
 * the other's routing id (its stream id) whichever side binds.  After the
 * routing-id frame:
 *   consumer -> producer  ["prefpipe-hello", ID, WINDOW]  answer to a probe
 *                         ["prefpipe-ack", [SEQ...]]      delivery numbers done
 *                         ["prefpipe-stop", ID]           stopping early on purpose
 *   producer -> consumer  (empty)                         answer to a consumer's probe
 *                         SEQ (8 bytes, big-endian), RECORD   two frames
 *                         ["prefpipe-eos", ID, SENT, CONSUMERS]
 *
 * Producer invariants: until acknowledged, a record is in exactly one
 * place — the flight list of the consumer it went to (at most WINDOW
 * records each) or the redo queue.  When a consumer's connection closes
 * (the socket monitor; ZMTP heartbeats close a silent one) its flight list
 * moves to the redo queue, oldest first, and queued records go out before
 * new ones.  The end-of-stream goes out only when nothing is in flight or
 * queued, to each live consumer by name, so a consumer holding it has had
 * everything it will get.  Memory: WINDOW copies per consumer.
 *
 * Restarts on one endpoint.  A connecting ROUTER keeps a connection's pipe
 * when the connection closes (ZMQ_IMMEDIATE 0, which zack_setup needs so
 * that a closed connection's last acknowledgements and stop stay
 * readable) and attaches the next connection to the endpoint to it: under
 * the old peer's routing id, without a new probe, with what the pipe
 * still held for the old peer.  So a consumer killed and restarted on the
 * endpoint a producer connects to (ppo-step --resume) is seen by the
 * producer only through its own probe, which the producer answers with
 * one; its hello names it (ID), and a hello naming another ID than the
 * pipe's last is a new consumer: the old one is dead (its records go to
 * the redo queue), the new one has had nothing.  Records the pipe still
 * held reach the new consumer and come again from the redo queue: the
 * consumer drops a delivery number it has seen (seq_repeat).  A peer that
 * reconnects with its own routing id while its old pipe still holds
 * unread messages takes the id over (ZMQ_ROUTER_HANDOVER).
 *
 * Consumer invariants: a record is acknowledged after the application
 * asked for the one after it, and only when the consumer is about to wait
 * for input, after flushing the process's outputs (zs_set_flush): a
 * relay has written it by then, and a stage that holds a window of
 * records (the scoring filters) writes what it holds before it waits.
 * Record ids seen are kept (8 bytes each) to drop what a restarted
 * producer sends again (zs_duplicate).
 */
#include "io/zstream.h"
#include "io/zstream_int.h"
#include "io/mpscan.h"
#include "base/util.h"

#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HELLO_TAG "prefpipe-hello"
#define ACK_TAG "prefpipe-ack"
#define STOP_TAG "prefpipe-stop"
#define ZACK_LINGER_MS 2000

void zack_setup(zstream *z)
{
    int one = 1, zero = 0, hwm = z->window + 1000, linger = ZACK_LINGER_MS;
    zmq_setsockopt(z->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one); /* a gone peer is an error, not a drop */
    /* A closed connection's last messages (a consumer's acknowledgements
     * and stop) must stay readable after the close: libzmq drops them
     * when the closing session has no linger, or when a connecting
     * socket with ZMQ_IMMEDIATE loses its peer.  The linger also lets
     * our own last messages leave before our socket closes. */
    zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(z->sock, ZMQ_IMMEDIATE, &zero, sizeof zero);
    zmq_setsockopt(z->sock, ZMQ_PROBE_ROUTER, &one, sizeof one);
    zmq_setsockopt(z->sock, ZMQ_ROUTING_ID, z->id, strlen(z->id));
    zmq_setsockopt(z->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(z->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    /* A peer that reconnects (same routing id) while its old pipe still
     * holds unread messages takes the id over; without this libzmq keeps
     * the new pipe anonymous and takes its next message (the probe or the
     * hello) for its routing id: that peer is never greeted. */
    zmq_setsockopt(z->sock, ZMQ_ROUTER_HANDOVER, &one, sizeof one);
    /* delivery numbers from a random base: a restarted producer's never
     * meet its predecessor's (stale acknowledgements, seq_repeat) */
    z->next_seq = mix64((uint64_t)(uintptr_t)z ^ ((uint64_t)zs_now() * 1000003u) ^ hash64(z->id, strlen(z->id), 7)) >> 1;
}

/* ---- framing ---- */

/* One message off the socket, without waiting: its frames in p[0..2]
 * (more are dropped), *fd the connection it came on.  1 a message, 0
 * nothing waiting, -1 error. */
static int recv_parts(zstream *z, zmq_msg_t p[3], int *n, int *fd)
{
    *n = 0;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, z->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            if (errno == EINTR)
                continue;
            return *n ? 1 : errno == EAGAIN ? 0 : -1;
        }
        int more = zmq_msg_more(&m);
        if (*n == 1)
            *fd = zmq_msg_get(&m, ZMQ_SRCFD); /* the routing-id frame is the router's own */
        if (*n < 3)
            p[(*n)++] = m;
        else
            zmq_msg_close(&m);
        if (!more)
            return 1;
    }
}

static void close_parts(zmq_msg_t *p, int n)
{
    for (int i = 0; i < n; i++)
        zmq_msg_close(&p[i]);
}

static int send_to(zstream *z, const void *rid, size_t rlen, const void *a, size_t alen, const void *b, size_t blen)
{
    if (zmq_send(z->sock, rid, rlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    /* the routing frame went: the rest of the message goes too */
    if (b && zmq_send(z->sock, a, alen, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    return zmq_send(z->sock, b ? b : a, b ? blen : alen, ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

/* ---- producer ---- */

static zcons *cons_find(zstream *z, const char *rid, size_t rlen)
{
    for (int i = 0; i < z->ncons; i++)
        if (z->cons[i].rlen == rlen && memcmp(z->cons[i].rid, rid, rlen) == 0)
            return &z->cons[i];
    return NULL;
}

static void redo_push(zstream *z, zpend p)
{
    if (z->nredo == z->capredo) {
        z->capredo = z->capredo ? 2 * z->capredo : 256;
        z->redo = xrealloc(z->redo, z->capredo * sizeof *z->redo);
    }
    z->redo[z->nredo++] = p;
}

/* A consumer is gone (died: its connection closed; or stopped on
 * purpose): what it held unacknowledged goes to the others. */
static void cons_leave(zstream *z, zcons *c, int died)
{
    if (!c->alive)
        return;
    c->alive = 0;
    if (c->eos)  /* it had everything and left: the normal end */
        return;
    z->deaths += died;
    /* oldest first, so the stream stays as close to input order as it can */
    for (int i = 0; i < c->nfl; i++)
        for (int k = i + 1; k < c->nfl; k++)
            if (c->fl[k].seq < c->fl[i].seq) {
                zpend t = c->fl[i];
                c->fl[i] = c->fl[k], c->fl[k] = t;
            }
    for (int i = 0; i < c->nfl; i++)
        redo_push(z, c->fl[i]);
    if (c->nfl && died)
        fprintf(stderr, "%s: a consumer left with %d records unacknowledged: sending them to the others\n", progname,
                c->nfl);
    c->nfl = 0;
}

static void cons_dead(zstream *z, zcons *c) { cons_leave(z, c, 1); }

void zack_peer_gone(zstream *z, int fd)
{
    if (!z->writer)
        return;
    for (int i = 0; i < z->ncons; i++)
        if (z->cons[i].fd == fd)
            cons_dead(z, &z->cons[i]);
}

static void on_hello(zstream *z, const char *rid, size_t rlen, int fd, const msgpack_object_array *a)
{
    zcons *c = cons_find(z, rid, rlen);
    if (!c) {
        if (rlen > sizeof c->rid)
            return;
        z->cons = xrealloc(z->cons, (size_t)(z->ncons + 1) * sizeof *z->cons);
        c = &z->cons[z->ncons++];
        memset(c, 0, sizeof *c);
        memcpy(c->rid, rid, rlen);
        c->rlen = rlen;
    }
    char cid[sizeof c->cid] = "";
    if (a->size >= 2 && a->ptr[1].type == MSGPACK_OBJECT_STR && a->ptr[1].via.str.size < sizeof cid)
        memcpy(cid, a->ptr[1].via.str.ptr, a->ptr[1].via.str.size);
    if (c->cid[0] && strcmp(c->cid, cid) != 0) {
        /* another consumer behind the same pipe (a connecting producer's
         * pipe outlives its connection): the one before is gone, and the
         * new one has had nothing, not even the end-of-stream */
        cons_dead(z, c);
        if (c->stopped)
            c->stopped = 0, z->nstopped--;
        c->eos = 0;
    }
    memcpy(c->cid, cid, sizeof cid);
    c->fd = fd;
    c->alive = 1;
    if (c->stopped)
        c->stopped = 0, z->nstopped--;
    c->window = a->size >= 3 && a->ptr[2].type == MSGPACK_OBJECT_POSITIVE_INTEGER && a->ptr[2].via.u64 > 0 &&
                        a->ptr[2].via.u64 < 1000000
                    ? (int)a->ptr[2].via.u64 : 1;
}

static void on_ack(zstream *z, const char *rid, size_t rlen, const msgpack_object_array *a)
{
    zcons *c = cons_find(z, rid, rlen);
    if (!c || a->size < 2 || a->ptr[1].type != MSGPACK_OBJECT_ARRAY)
        return;
    const msgpack_object_array *s = &a->ptr[1].via.array;
    for (uint32_t k = 0; k < s->size; k++) {
        if (s->ptr[k].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            continue;
        uint64_t seq = s->ptr[k].via.u64;
        int i = 0;
        while (i < c->nfl && c->fl[i].seq != seq)
            i++;
        if (i < c->nfl) {
            free(c->fl[i].data);
            c->fl[i] = c->fl[--c->nfl];
            continue;
        }
        /* its connection closed before we read this (a consumer that
         * stopped, or died just after acknowledging): not to be sent again */
        for (size_t r = z->redo_head; r < z->nredo; r++)
            if (z->redo[r].seq == seq) {
                free(z->redo[r].data);
                memmove(z->redo + r, z->redo + r + 1, (z->nredo - r - 1) * sizeof *z->redo);
                z->nredo--;
                break;
            }
    }
}

/* A consumer stops reading on purpose (it closed its stream before the
 * end: rec head, ppo-step --batches).  What it held unacknowledged goes
 * to the others, as for a death, but it is no loss: when every consumer
 * stopped, the stream is over (ZS_STOPPED).  The stop comes before its
 * connection closes, but the monitor may report the close first: then
 * the death counted for it is taken back.  (A closed connection's unread
 * messages stay readable: zack_setup's linger and no ZMQ_IMMEDIATE.) */
static void on_stop(zstream *z, const char *rid, size_t rlen)
{
    zcons *c = cons_find(z, rid, rlen);
    if (!c || c->stopped)
        return;
    if (c->alive)
        cons_leave(z, c, 0);
    else if (!c->eos && z->deaths > 0)
        z->deaths--;
    c->stopped = 1;
    z->nstopped++;
}

int zack_all_stopped(const zstream *z)
{
    if (!z->nstopped || z->ncons < z->consumers)
        return 0;
    for (int i = 0; i < z->ncons; i++)
        if (z->cons[i].alive || (!z->cons[i].stopped && !z->cons[i].eos))
            return 0;   /* one to serve, or one that died: wait for its replacement */
    return 1;
}

void zack_from_consumer(zstream *z, const char *rid, size_t rlen, int fd, const char *d, size_t dn)
{
    if (dn == 0) {
        /* a consumer's probe: probe back, so that it says hello even
         * where libzmq sent none (a pipe it attached a new connection
         * to; see the top of this file) */
        send_to(z, rid, rlen, "", 0, NULL, 0);
        return;
    }
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object o;
    const msgpack_object_array *a;
    if ((a = zs_parse_ctl(d, dn, &zone, &o, HELLO_TAG))) {
        /* the monitor's events so far first: the close of an earlier
         * connection whose fd this one reuses must not be taken for this
         * one's (it came before its hello) */
        zs_pump_events(z, 0);
        on_hello(z, rid, rlen, fd, a);
    } else if ((a = zs_parse_ctl(d, dn, &zone, &o, ACK_TAG)))
        on_ack(z, rid, rlen, a);
    else if ((a = zs_parse_ctl(d, dn, &zone, &o, STOP_TAG)))
        on_stop(z, rid, rlen);
    /* anything else is dropped: a consumer cannot make a producer send
     * what it should not, and a stranger's noise must not end a stream */
    msgpack_zone_destroy(&zone);
}

/* Take in monitor events, hellos, acknowledgements and stops. */
static void writer_pump(zstream *z)
{
    zmq_msg_t p[3];
    int n, fd = -1;
    while (recv_parts(z, p, &n, &fd) == 1) {
        if (n == 2)
            zack_from_consumer(z, zmq_msg_data(&p[0]), zmq_msg_size(&p[0]), fd, zmq_msg_data(&p[1]),
                               zmq_msg_size(&p[1]));
        close_parts(p, n);
    }
    /* events after messages: a consumer's last acknowledgements and its
     * stop, sent before its connection closed, count before the close */
    zs_pump_events(z, 0);
}

/* Send p to a live consumer with room (round robin).  1 sent, 0 none has
 * room now. */
static int dispatch(zstream *z, zpend *p)
{
    for (int k = 0; k < z->ncons; k++) {
        zcons *c = &z->cons[(z->rr + k) % z->ncons];
        if (!c->alive || c->nfl >= c->window)
            continue;
        unsigned char seq[8];
        for (int b = 0; b < 8; b++)
            seq[b] = (unsigned char)(p->seq >> (56 - 8 * b));
        if (send_to(z, c->rid, c->rlen, seq, 8, p->data, p->len) < 0) {
            if (errno == EHOSTUNREACH)
                cons_dead(z, c);
            continue; /* EAGAIN: its pipe is full for now */
        }
        if (c->nfl == c->capfl) {
            c->capfl = c->capfl ? 2 * c->capfl : 64;
            c->fl = xrealloc(c->fl, (size_t)c->capfl * sizeof *c->fl);
        }
        c->fl[c->nfl++] = *p;
        z->rr = (int)((c - z->cons) + 1) % z->ncons;
        return 1;
    }
    return 0;
}

static void send_redo(zstream *z)
{
    while (z->redo_head < z->nredo && dispatch(z, &z->redo[z->redo_head])) {
        z->redo_head++;
        z->redelivered++;
    }
    if (z->redo_head == z->nredo)
        z->redo_head = z->nredo = 0;
}

static int alive_consumers(zstream *z)
{
    int n = 0;
    for (int i = 0; i < z->ncons; i++)
        n += z->cons[i].alive;
    return n;
}

/* Wait a slice for acknowledgements; a live consumer, however slow, is
 * progress.  1: gave up (err set). */
static int writer_wait(zstream *z, char *err, size_t errcap)
{
    zmq_pollitem_t it = {z->sock, 0, ZMQ_POLLIN, 0};
    zmq_poll(&it, 1, 50);
    writer_pump(z);
    if (alive_consumers(z))
        z->progress_at = zs_now();
    return zs_stalled(z, err, errcap);
}

int zack_send(zstream *z, const char *data, size_t len, char *err, size_t errcap)
{
    zpend p = {z->next_seq++, xmalloc(len ? len : 1), len};
    memcpy(p.data, data, len);
    /* the fast path takes in acknowledgements only every 64 records or
     * when no consumer has room */
    if ((z->sent & 63) == 0)
        writer_pump(z);
    for (;;) {
        send_redo(z);
        if (z->nredo == 0 && dispatch(z, &p))
            break;
        writer_pump(z);
        send_redo(z);
        if (z->nredo == 0 && dispatch(z, &p))
            break;
        if (zack_all_stopped(z)) {
            free(p.data);
            snprintf(err, errcap, "every consumer stopped reading on purpose (%llu records sent, %zu of them not "
                     "taken); ending the stream here", (unsigned long long)z->sent, z->nredo - z->redo_head);
            return ZS_STOPPED;
        }
        if (writer_wait(z, err, errcap)) {
            free(p.data);
            return ZS_TEMPFAIL;
        }
    }
    z->sent++;
    z->progress_at = zs_now();
    return 0;
}

static int in_flight(zstream *z)
{
    int n = (int)(z->nredo - z->redo_head);
    for (int i = 0; i < z->ncons; i++)
        n += z->cons[i].nfl;
    return n;
}

int zack_close_writer(zstream *z, char *err, size_t errcap)
{
    z->closing = 1;
    z->progress_at = zs_now();
    /* every record acknowledged (an empty stream still waits for a consumer
     * to give its end-of-stream to) */
    while (in_flight(z) || !z->ncons) {
        writer_pump(z);
        send_redo(z);
        if (!in_flight(z) && z->ncons)
            break;
        if (zack_all_stopped(z)) {
            fprintf(stderr, "%s: every consumer stopped reading on purpose: %d of %llu records not taken\n",
                    progname, in_flight(z), (unsigned long long)z->sent);
            return 0;
        }
        if (writer_wait(z, err, errcap)) {
            snprintf(err, errcap, "no consumer for %g s with %d records unacknowledged (%llu sent); giving up",
                     z->timeout, in_flight(z), (unsigned long long)z->sent);
            return ZS_TEMPFAIL;
        }
    }
    /* the end-of-stream, by name, to every live consumer, including those
     * that come later (?consumers=M); then wait for them to leave */
    msgpack_sbuffer sb;
    zs_pack_eos(z, &sb);
    int rc = 0;
    z->progress_at = zs_now();
    for (;;) {
        writer_pump(z);
        for (int i = 0; i < z->ncons; i++) {
            zcons *c = &z->cons[i];
            if (c->alive && !c->eos && send_to(z, c->rid, c->rlen, sb.data, sb.size, NULL, 0) == 0)
                c->eos = 1;
        }
        if (z->npeers == 0 && (z->ever_connected >= z->consumers || zack_all_stopped(z)))
            break;
        if (z->npeers > 0)
            z->progress_at = zs_now();
        else if (zs_now() - z->progress_at > z->timeout) {
            snprintf(err, errcap, "%d of %d consumers came within %g s", z->ever_connected, z->consumers, z->timeout);
            rc = ZS_TEMPFAIL;
            break;
        }
        zs_pump_events(z, 50);
    }
    msgpack_sbuffer_destroy(&sb);
    if (z->redelivered)
        fprintf(stderr, "%s: %llu records sent again after %llu consumer%s left; every record acknowledged\n",
                progname, (unsigned long long)z->redelivered, (unsigned long long)z->deaths,
                z->deaths > 1 ? "s" : "");
    return rc;
}

/* ---- consumer ---- */

static int prod_index(zstream *z, const char *rid, size_t rlen)
{
    for (int i = 0; i < z->nprods; i++)
        if (z->prods[i].rlen == rlen && memcmp(z->prods[i].rid, rid, rlen) == 0)
            return i;
    if (rlen > sizeof z->prods[0].rid)
        return -1;
    z->prods = xrealloc(z->prods, (size_t)(z->nprods + 1) * sizeof *z->prods);
    zprod *p = &z->prods[z->nprods];
    memset(p, 0, sizeof *p);
    memcpy(p->rid, rid, rlen);
    p->rlen = rlen;
    return z->nprods++;
}

static void send_hello(zstream *z, const char *rid, size_t rlen)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_str(&pk, strlen(HELLO_TAG));
    msgpack_pack_str_body(&pk, HELLO_TAG, strlen(HELLO_TAG));
    msgpack_pack_str(&pk, strlen(z->id));
    msgpack_pack_str_body(&pk, z->id, strlen(z->id));
    msgpack_pack_uint64(&pk, (uint64_t)z->window);
    send_to(z, rid, rlen, sb.data, sb.size, NULL, 0);
    msgpack_sbuffer_destroy(&sb);
}

void zack_taken(zstream *z)
{
    if (z->cur_prod < 0)
        return;
    zprod *p = &z->prods[z->cur_prod];
    if (p->nacks == p->capacks) {
        p->capacks = p->capacks ? 2 * p->capacks : 64;
        p->acks = xrealloc(p->acks, (size_t)p->capacks * sizeof *p->acks);
    }
    p->acks[p->nacks++] = z->cur_seq;
    z->cur_prod = -1;
}

/* Flush the outputs, then acknowledge everything taken. */
static void send_acks(zstream *z)
{
    int any = 0;
    for (int i = 0; i < z->nprods; i++)
        any |= z->prods[i].nacks > 0;
    if (!any)
        return;
    if (z->flush)
        z->flush();
    for (int i = 0; i < z->nprods; i++) {
        zprod *p = &z->prods[i];
        if (!p->nacks)
            continue;
        msgpack_sbuffer sb;
        msgpack_packer pk;
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, 2);
        msgpack_pack_str(&pk, strlen(ACK_TAG));
        msgpack_pack_str_body(&pk, ACK_TAG, strlen(ACK_TAG));
        msgpack_pack_array(&pk, (size_t)p->nacks);
        for (int k = 0; k < p->nacks; k++)
            msgpack_pack_uint64(&pk, p->acks[k]);
        send_to(z, p->rid, p->rlen, sb.data, sb.size, NULL, 0); /* a producer gone needs none */
        msgpack_sbuffer_destroy(&sb);
        p->nacks = 0;
    }
}

/* 1 when delivery number seq came before (then it is dropped): a record
 * the producer sent to a consumer that died may still sit in the pipe a
 * connecting producer keeps, and reach the consumer that takes that
 * consumer's place on the endpoint, as well as come again from the
 * producer's redo queue.  Delivery numbers start at a random 63-bit base
 * per producer (zack_setup), so two producers' ranges, or a restarted
 * producer's and its predecessor's, do not meet in practice; the key is
 * the number alone, as a reconnection may relabel the pipe it comes on
 * (ZMQ_ROUTER_HANDOVER).  8 bytes a record, as the id set. */
static int seq_repeat(zstream *z, uint64_t seq)
{
    if (2 * (z->nseqs + 1) > z->capseqs) {
        size_t cap = z->capseqs ? 2 * z->capseqs : 1024;
        uint64_t *t = xcalloc(cap, sizeof *t);
        for (size_t i = 0; i < z->capseqs; i++)
            if (z->seqs[i]) {
                size_t k = z->seqs[i] & (cap - 1);
                while (t[k])
                    k = (k + 1) & (cap - 1);
                t[k] = z->seqs[i];
            }
        free(z->seqs);
        z->seqs = t, z->capseqs = cap;
    }
    uint64_t h = mix64(seq) | 1;
    size_t k = h & (z->capseqs - 1);
    while (z->seqs[k]) {
        if (z->seqs[k] == h)
            return 1;
        k = (k + 1) & (z->capseqs - 1);
    }
    z->seqs[k] = h;
    z->nseqs++;
    return 0;
}

int zack_from_producer(zstream *z, zmq_msg_t *p, int n, zmq_msg_t *m, int *have, char *err, size_t errcap)
{
    const char *rid = zmq_msg_data(&p[0]);
    size_t rlen = zmq_msg_size(&p[0]);
    if (n == 3) { /* a record: [seq][bytes] */
        int pi = prod_index(z, rid, rlen);
        if (zmq_msg_size(&p[1]) != 8 || pi < 0) {
            close_parts(p, n);
            snprintf(err, errcap, "malformed acknowledged-mode message on the socket");
            return -1;
        }
        const unsigned char *s = zmq_msg_data(&p[1]);
        uint64_t seq = 0;
        for (int b = 0; b < 8; b++)
            seq = seq << 8 | s[b];
        if (seq_repeat(z, seq)) {
            /* had already: acknowledged again, not delivered twice */
            zprod *pr = &z->prods[pi];
            if (pr->nacks == pr->capacks) {
                pr->capacks = pr->capacks ? 2 * pr->capacks : 64;
                pr->acks = xrealloc(pr->acks, (size_t)pr->capacks * sizeof *pr->acks);
            }
            pr->acks[pr->nacks++] = seq;
            close_parts(p, n);
            return 2;
        }
        if (*have)
            zmq_msg_close(m);
        zmq_msg_init(m);
        zmq_msg_move(m, &p[2]);
        *have = 1;
        if (m == &z->next)
            z->next_prod = pi, z->next_seq_in = seq;
        else
            z->cur_prod = pi, z->cur_seq = seq;
        close_parts(p, n);
        z->received++;
        z->progress_at = zs_now();
        return 1;
    }
    if (n == 2 && zmq_msg_size(&p[1]) == 0) { /* a probe: a producer connected */
        prod_index(z, rid, rlen);   /* known, so that a stop reaches it */
        send_hello(z, rid, rlen);
        close_parts(p, n);
        return 2;
    }
    const char *id;
    size_t idlen;
    uint64_t sent = 0;
    int consumers = 0;
    int e = n == 2 ? zs_parse_eos(zmq_msg_data(&p[1]), zmq_msg_size(&p[1]), &id, &idlen, &sent, &consumers)
                   : -1;
    if (e != 1) {
        close_parts(p, n);
        snprintf(err, errcap, "unknown control message on the socket");
        return -1;
    }
    /* id points into p[1] */
    int t = zs_take_eos(z, id, idlen, sent, consumers, err, errcap);
    close_parts(p, n);
    return t == 0 ? 2 : t == 1 ? 0 : t;
}

int zack_recv(zstream *z, zmq_msg_t *m, int *have, int flags, char *err, size_t errcap)
{
    for (;;) {
        zmq_msg_t p[3];
        int n, fd = -1;
        int r = recv_parts(z, p, &n, &fd);
        if (r < 0) {
            snprintf(err, errcap, "receive: %s", zmq_strerror(errno));
            return -1;
        }
        if (r == 0) {
            if (flags & ZMQ_DONTWAIT)
                return -2;
            send_acks(z); /* about to wait: what was taken is done */
            zmq_pollitem_t it = {z->sock, 0, ZMQ_POLLIN, 0};
            zmq_poll(&it, 1, 100);
            zs_pump_events(z, 0);
            if (zs_stalled(z, err, errcap))
                return ZS_TEMPFAIL;
            continue;
        }
        r = zack_from_producer(z, p, n, m, have, err, errcap);
        if (r != 2)
            return r;
    }
}

void zack_close_reader(zstream *z)
{
    if (z->ended || !z->sock)
        return;
    /* stopping early: what we took is done; tell every producer we stop
     * on purpose (not a death: zack_all_stopped); the rest goes to other
     * consumers.  zack_setup's linger lets these leave before the socket
     * closes. */
    send_acks(z);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_str(&pk, strlen(STOP_TAG));
    msgpack_pack_str_body(&pk, STOP_TAG, strlen(STOP_TAG));
    msgpack_pack_str(&pk, strlen(z->id));
    msgpack_pack_str_body(&pk, z->id, strlen(z->id));
    for (int i = 0; i < z->nprods; i++)
        send_to(z, z->prods[i].rid, z->prods[i].rlen, sb.data, sb.size, NULL, 0);
    msgpack_sbuffer_destroy(&sb);
}

void zs_set_flush(zstream *z, void (*fn)(void)) { z->flush = fn; }
int zs_acked(const zstream *z) { return z->ack; }

int zs_duplicate(zstream *z, const char *id, size_t len)
{
    if (2 * (z->nseen + 1) > z->capseen) { /* keep the set at most half full */
        size_t cap = z->capseen ? 2 * z->capseen : 1024;
        uint64_t *t = xcalloc(cap, sizeof *t);
        for (size_t i = 0; i < z->capseen; i++)
            if (z->seen[i]) {
                size_t k = z->seen[i] & (cap - 1);
                while (t[k])
                    k = (k + 1) & (cap - 1);
                t[k] = z->seen[i];
            }
        free(z->seen);
        z->seen = t, z->capseen = cap;
    }
    uint64_t h = hash64(id, len, 0x69642d736574ULL) | 1; /* 0 marks an empty slot */
    size_t k = h & (z->capseen - 1);
    while (z->seen[k]) {
        if (z->seen[k] == h) {
            /* only a producer that vanished sends records again (its
             * restart); before that, equal ids are the stream's own */
            if (!z->lost)
                return 0;
            z->dups++;
            z->received--; /* the end-of-stream counts distinct records */
            return 1;
        }
        k = (k + 1) & (z->capseen - 1);
    }
    z->seen[k] = h;
    z->nseen++;
    return 0;
}

void zack_free(zstream *z)
{
    for (int i = 0; i < z->ncons; i++) {
        for (int k = 0; k < z->cons[i].nfl; k++)
            free(z->cons[i].fl[k].data);
        free(z->cons[i].fl);
    }
    free(z->cons);
    for (size_t i = z->redo_head; i < z->nredo; i++)
        free(z->redo[i].data);
    free(z->redo);
    for (int i = 0; i < z->nprods; i++)
        free(z->prods[i].acks);
    free(z->prods);
    free(z->seen);
    free(z->seqs);
}
