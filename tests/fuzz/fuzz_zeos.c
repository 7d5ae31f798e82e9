/*
 * fuzz_zeos.c — libFuzzer target for the ZeroMQ record protocol: the
 * framing, the end-of-stream and the acknowledged mode's messages
 * (io/zstream.h, io/zack.c), fed by a hostile peer.
 *
 * Three kinds of input, by the first byte:
 *  - 'W' then a script: a producer's real stream state (zs_open on an
 *    inproc endpoint, nothing connected) meets its consumers' messages:
 *    hellos, acknowledgements, stops, raw bytes, connections that close,
 *    and records sent between them — every message kind a consumer can
 *    send, in any order.  After every step the producer's invariant must
 *    hold: a record not yet acknowledged is in at most one place (one
 *    consumer's flight list or the redo queue), never twice, and the
 *    count of stopped consumers is the count of stop flags.
 *  - 'R' then a script: a consumer's real stream state meets producers'
 *    frames: records [SEQ][BYTES], probes, end-of-stream messages with
 *    any counts, raw frames (1 to 3 of them), the application taking
 *    records, an early close (which sends acks and stops).  The count of
 *    records must match what the end-of-stream is checked against, and a
 *    stream ends cleanly only with every record its producers (each with
 *    this one consumer) said they sent.  A malformed
 *    message must give an error with a message (the filters exit 65:
 *    stream.c), never a crash; the stream ends only through an EOS.
 *  - anything else (a msgpack array or map): one message through the
 *    classifiers zs_parse_eos / zs_parse_ctl and, when a data record, the
 *    record checks, as before (the seeds that are plain messages).
 *
 * The stream's own socket sends to routing ids nobody holds; with
 * ZMQ_ROUTER_MANDATORY off those sends succeed and vanish, so records go
 * out and wait for acknowledgements as they would on a network.  Steps
 * that would wait (sending with no room, closing with records in flight)
 * are not taken: the protocol's waits are not this target's subject, and
 * ?timeout=0.01 bounds any that slips through.  The target includes the
 * private io/zstream_int.h to reach that state; it is a test.  Built
 * with -DZEOS_TRACE it prints the state after every step (to check what
 * a seed reaches).
 * Build and run: make fuzz; make fuzz-run (seeds in tests/fuzz/corpus/).
 */
#include "io/mpscan.h"
#include "io/stream.h"
#include "io/zstream.h"
#include "io/zstream_int.h"

#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define NPEERS 4

/* Each input's stream binds a new inproc name (a closed socket's name is
 * released later, by libzmq's reaper), and one stream stays open across
 * inputs so that the context (and its threads) is not made anew each time. */
static unsigned g_serial;
static zstream *g_keeper;

typedef struct {
    const uint8_t *d;
    size_t n, at;
} script;

static int more(const script *s) { return s->at < s->n; }
static unsigned byte(script *s) { return s->at < s->n ? s->d[s->at++] : 0; }
/* a length (one byte, or two when the first is 255), clipped to what is left */
static size_t blob(script *s, const uint8_t **p)
{
    size_t len = byte(s);
    if (len == 255)
        len = byte(s) | (size_t)byte(s) << 8;
    if (len > s->n - s->at)
        len = s->n - s->at;
    *p = s->d + s->at;
    s->at += len;
    return len;
}

static void rid_of(int k, char *rid, size_t *rlen) { *rlen = (size_t)snprintf(rid, 16, "peer%d", k); }

/* ["TAG", ID, N] or ["TAG", [N...]] packed into sb */
static void pack_tagged(msgpack_sbuffer *sb, const char *tag)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_str(&pk, strlen(tag));
    msgpack_pack_str_body(&pk, tag, strlen(tag));
}

static void unset_mandatory(zstream *z)
{
    int zero = 0;
    zmq_setsockopt(z->sock, ZMQ_ROUTER_MANDATORY, &zero, sizeof zero);
}

/* ---- the producer's invariants ---- */

static int seq_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void writer_check(const zstream *z)
{
    size_t n = z->nredo - z->redo_head;
    for (int i = 0; i < z->ncons; i++)
        n += (size_t)z->cons[i].nfl;
    uint64_t *all = malloc((n ? n : 1) * sizeof *all);
    size_t k = 0;
    int stopped = 0;
    for (int i = 0; i < z->ncons; i++) {
        stopped += z->cons[i].stopped;
        if (!z->cons[i].alive && z->cons[i].nfl)
            abort();   /* a gone consumer's records moved to the redo queue */
        for (int f = 0; f < z->cons[i].nfl; f++)
            all[k++] = z->cons[i].fl[f].seq;
    }
    for (size_t r = z->redo_head; r < z->nredo; r++)
        all[k++] = z->redo[r].seq;
    qsort(all, k, sizeof *all, seq_cmp);
    for (size_t i = 0; i < k; i++)
        if (all[i] >= z->next_seq || (i && all[i] == all[i - 1]))
            abort();   /* a record in two places, or one never sent */
    free(all);
    if (stopped != z->nstopped)
        abort();
}

/* The records not yet acknowledged, sorted: in flight (k >= 0: consumer
 * k's only) or queued to send again.  *n their count; the caller frees. */
static uint64_t *held(const zstream *z, int k, size_t *n)
{
    size_t cap = z->nredo - z->redo_head + 1;
    for (int i = 0; i < z->ncons; i++)
        cap += (size_t)z->cons[i].nfl;
    uint64_t *v = malloc(cap * sizeof *v);
    *n = 0;
    for (int i = 0; i < z->ncons; i++)
        if (k < 0 || i == k)
            for (int f = 0; f < z->cons[i].nfl; f++)
                v[(*n)++] = z->cons[i].fl[f].seq;
    for (size_t r = z->redo_head; r < z->nredo; r++)
        v[(*n)++] = z->redo[r].seq;
    qsort(v, *n, sizeof *v, seq_cmp);
    return v;
}

static int has(const uint64_t *v, size_t n, uint64_t x)
{
    return bsearch(&x, v, n, sizeof *v, seq_cmp) != NULL;
}

/* room for one more record without waiting: more free window slots
 * among live consumers than records queued to send again */
static int writer_has_room(const zstream *z)
{
    long room = 0;
    for (int i = 0; i < z->ncons; i++)
        if (z->cons[i].alive && z->cons[i].nfl < z->cons[i].window)
            room += z->cons[i].window - z->cons[i].nfl;
    return room > (long)(z->nredo - z->redo_head);
}

static void run_writer(script *s)
{
    char err[256];
    char uri[96];
    snprintf(uri, sizeof uri, "@inproc://fuzz-zeos-w%u?timeout=0.01", ++g_serial);
    zstream *z = zs_open(uri, 1, err, sizeof err);
    if (!z)
        abort();
    unset_mandatory(z);
    int closed = 0;
    while (more(s) && !closed) {
        unsigned op = byte(s);
        int k = (int)(op >> 4) % NPEERS;
        char rid[16];
        size_t rlen;
        rid_of(k, rid, &rlen);
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        size_t nbefore, nacked = 0;
        uint64_t *before = held(z, -1, &nbefore), acked[8];
        int ci = -1;   /* consumer k's index, for an acknowledgement */
        for (int i = 0; i < z->ncons; i++)
            if (z->cons[i].rlen == rlen && memcmp(z->cons[i].rid, rid, rlen) == 0)
                ci = i;
        switch (op & 7) {
        case 0: { /* raw bytes from consumer k */
            const uint8_t *p;
            size_t len = blob(s, &p);
            zack_from_consumer(z, rid, rlen, 100 + k, (const char *)p, len);
            break;
        }
        case 1: { /* the application sends a record */
            const uint8_t *p;
            size_t len = blob(s, &p);
            if (writer_has_room(z) && zack_send(z, (const char *)p, len, err, sizeof err) != 0)
                abort();   /* with room, a send neither waits nor fails */
            break;
        }
        case 2: /* consumer k's connection closes */
            zack_peer_gone(z, 100 + k);
            break;
        case 3: /* ["prefpipe-hello", ID, WINDOW] */
            msgpack_pack_array(&pk, 3);
            pack_tagged(&sb, "prefpipe-hello");
            msgpack_pack_str(&pk, rlen);
            msgpack_pack_str_body(&pk, rid, rlen);
            msgpack_pack_uint64(&pk, byte(s) % 9);
            zack_from_consumer(z, rid, rlen, 100 + k, sb.data, sb.size);
            break;
        case 4: { /* ["prefpipe-ack", [SEQ...]] */
            unsigned cnt = byte(s) % 8;
            msgpack_pack_array(&pk, 2);
            pack_tagged(&sb, "prefpipe-ack");
            msgpack_pack_array(&pk, cnt);
            size_t nmine;
            uint64_t *mine = ci >= 0 ? held(z, ci, &nmine) : NULL;
            for (unsigned i = 0; i < cnt; i++) {
                uint64_t q = byte(s);
                msgpack_pack_uint64(&pk, q);
                if (mine && has(mine, nmine, q))
                    acked[nacked++] = q;   /* its own, or queued again: done with */
            }
            free(mine);
            zack_from_consumer(z, rid, rlen, 100 + k, sb.data, sb.size);
            break;
        }
        case 5: /* ["prefpipe-stop", ID] */
            msgpack_pack_array(&pk, 2);
            pack_tagged(&sb, "prefpipe-stop");
            msgpack_pack_str(&pk, rlen);
            msgpack_pack_str_body(&pk, rid, rlen);
            zack_from_consumer(z, rid, rlen, 100 + k, sb.data, sb.size);
            break;
        case 6: /* the application closes, when that cannot wait: every consumer stopped */
            if (zack_all_stopped(z)) {
                if (zs_close(z, err, sizeof err) != 0)
                    abort();
                closed = 1;
            }
            break;
        default: /* a send that finds every consumer stopped ends the stream */
            if (!writer_has_room(z) && zack_all_stopped(z)) {
                if (zack_send(z, "\x80", 1, err, sizeof err) != ZS_STOPPED || !err[0])
                    abort();
                zs_drop(z);   /* as rs_write does */
                closed = 1;
            }
            break;
        }
        msgpack_sbuffer_destroy(&sb);
        if (!closed) {
            writer_check(z);
            /* a record leaves only when acknowledged: every other step keeps
             * what was held (a raw message may be an acknowledgement) */
            size_t nafter;
            uint64_t *after = held(z, -1, &nafter);
            for (size_t i = 0; i < nacked; i++)
                if (has(after, nafter, acked[i]))
                    abort();   /* acknowledged, yet still to be delivered */
            if ((op & 7) != 0)
                for (size_t i = 0; i < nbefore; i++) {
                    int gone = 0;
                    for (size_t a = 0; a < nacked; a++)
                        gone |= acked[a] == before[i];
                    if (!gone && !has(after, nafter, before[i]))
                        abort();   /* a record dropped unacknowledged */
                }
            free(after);
        }
        free(before);
#ifdef ZEOS_TRACE
        if (!closed) {
            fprintf(stderr, "W op %u k %d: next_seq %llu redo %zu nstopped %d deaths %llu |", op & 7, k,
                    (unsigned long long)z->next_seq, z->nredo - z->redo_head, z->nstopped, (unsigned long long)z->deaths);
            for (int i = 0; i < z->ncons; i++)
                fprintf(stderr, " c%d alive %d stopped %d win %d nfl %d;", i, z->cons[i].alive, z->cons[i].stopped,
                        z->cons[i].window, z->cons[i].nfl);
            fprintf(stderr, "\n");
        } else
            fprintf(stderr, "W op %u: closed\n", op & 7);
#endif
    }
    if (!closed)
        zs_drop(z);
}

/* ---- the consumer ---- */

static void frame(zmq_msg_t *m, const void *d, size_t n)
{
    zmq_msg_init_size(m, n);
    if (n)
        memcpy(zmq_msg_data(m), d, n);
}

static void run_reader(script *s, unsigned producers)
{
    char err[256], uri[128];
    snprintf(uri, sizeof uri, "@inproc://fuzz-zeos-r%u?timeout=0.01&producers=%u", ++g_serial, producers % NPEERS + 1);
    zstream *z = zs_open(uri, 0, err, sizeof err);
    if (!z)
        abort();
    unset_mandatory(z);
    int done = 0;
    uint64_t nrec = 0;   /* records handed to the application */
    while (more(s) && !done) {
        unsigned op = byte(s);
        int k = (int)(op >> 4) % NPEERS;
        char rid[16];
        size_t rlen;
        rid_of(k, rid, &rlen);
        zmq_msg_t p[3];
        int n = 0;
        frame(&p[n++], rid, rlen);
        switch (op & 7) {
        case 0: { /* raw frames from producer k: 1 to 3 */
            int nf = (int)(byte(s) % 3);
            for (int i = 0; i < nf; i++) {
                const uint8_t *b;
                size_t len = blob(s, &b);
                frame(&p[n++], b, len);
            }
            break;
        }
        case 1: { /* a record: [SEQ][BYTES] */
            unsigned char seq[8] = {0};
            seq[7] = (unsigned char)byte(s);
            frame(&p[n++], seq, 8);
            const uint8_t *b;
            size_t len = blob(s, &b);
            frame(&p[n++], b, len);
            break;
        }
        case 2: /* a probe */
            frame(&p[n++], "", 0);
            break;
        case 3: { /* ["prefpipe-eos", ID, SENT, CONSUMERS] */
            msgpack_sbuffer sb;
            msgpack_sbuffer_init(&sb);
            msgpack_packer pk;
            msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
            msgpack_pack_array(&pk, 4);
            pack_tagged(&sb, EOS_TAG);
            msgpack_pack_str(&pk, rlen);
            msgpack_pack_str_body(&pk, rid, rlen);
            msgpack_pack_uint64(&pk, byte(s));
            msgpack_pack_uint64(&pk, byte(s) % 3);
            frame(&p[n++], sb.data, sb.size);
            msgpack_sbuffer_destroy(&sb);
            break;
        }
        case 4: /* the application is done with its record (zs_recv's first step) */
            zack_taken(z);
            if (z->have_msg)
                (void)zs_duplicate(z, zmq_msg_data(&z->msg), zmq_msg_size(&z->msg));
            zmq_msg_close(&p[0]);
            continue;
        default: /* the application closes early: acks and stops go out */
            zmq_msg_close(&p[0]);
            done = 1;
            continue;
        }
        int r = zack_from_producer(z, p, n, &z->msg, &z->have_msg, err, sizeof err);
        if (r == 1 && (!z->have_msg || z->cur_prod < 0 || z->cur_prod >= z->nprods))
            abort();   /* a record belongs to a known producer */
        if (r == 0 && !z->ended)
            abort();   /* only an end-of-stream ends the stream */
        if (r < 0 && !err[0])
            abort();   /* a refusal says why */
        nrec += r == 1;
        if (z->received != nrec)
            abort();   /* the count the end-of-stream is checked against */
        if (r == 0 && z->eos_checkable && z->received != z->eos_sent)
            abort();   /* a stream served to us alone ends only with all it sent */
        if (r == ZS_LOST && (!z->eos_checkable || z->received == z->eos_sent))
            abort();   /* a loss is reported only when the counts differ */
#ifdef ZEOS_TRACE
        fprintf(stderr, "R op %u k %d: r %d err '%s' received %llu neos %d nprods %d\n", op & 7, k, r, err,
                (unsigned long long)z->received, z->neos, z->nprods);
#endif
        if (r == 0 || r < 0)
            done = 1;
        err[0] = 0;
    }
    zs_close(z, err, sizeof err);
}

/* ---- one message through the classifiers ---- */

static void run_message(const uint8_t *data, size_t size)
{
    const char *d = (const char *)data, *id = NULL;
    size_t idlen = 0;
    uint64_t sent = 0;
    int consumers = 0;
    int e = zs_parse_eos(d, size, &id, &idlen, &sent, &consumers);
    if (e == 1 && (id < d || id + idlen > d + size))
        abort();   /* the id must point into the message */
    static const char *const tags[] = {"prefpipe-hello", "prefpipe-ack", "prefpipe-stop"};
    for (int t = 0; t < 3; t++) {
        msgpack_zone zone;
        msgpack_zone_init(&zone, 256);
        msgpack_object o;
        const msgpack_object_array *a = zs_parse_ctl(d, size, &zone, &o, tags[t]);
        if (a && (a->size < 1 || a->ptr[0].via.str.ptr < d || a->ptr[0].via.str.ptr >= d + size))
            abort();   /* the tag is a string inside the message */
        msgpack_zone_destroy(&zone);
    }
    size_t end = 0;
    if (e == 0 && mpscan(data, size, size, 16, &end) == MPSCAN_OK) {   /* as read_zmq: scan, then unpack */
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        size_t off = 0;
        if (msgpack_unpack_next(&u, d, end, &off) == MSGPACK_UNPACK_SUCCESS)
            (void)rs_check_record(&u.data, 16);
        msgpack_unpacked_destroy(&u);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && (data[0] == 'W' || data[0] == 'R')) {
        char err[256];
        if (!g_keeper && !(g_keeper = zs_open("@inproc://fuzz-zeos-keeper?ack=0", 1, err, sizeof err)))
            abort();
        script s = {data, size, 1};
        if (data[0] == 'W')
            run_writer(&s);
        else
            run_reader(&s, byte(&s));
        return 0;
    }
    run_message(data, size);
    return 0;
}
