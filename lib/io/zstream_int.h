/*
 * zstream_int.h — the state of one ZeroMQ record stream, shared by the
 * plain PUSH/PULL transport (zstream.c) and the acknowledged mode
 * (zack.c, ?ack=1).  Private to io/.
 *
 * Acknowledged mode keeps, on the producer, a copy of every record sent
 * and not yet acknowledged, per consumer (at most `window` each), and a
 * queue of records to send again (their consumer vanished); on the
 * consumer, per producer, the delivery numbers taken by the application
 * and not yet acknowledged, and the set of record ids seen (dedup).
 */
#ifndef PREFPIPE_ZSTREAM_INT_H
#define PREFPIPE_ZSTREAM_INT_H

#include "io/zcurve.h"
#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#define MAX_PEERS 1024
#define EOS_TAG "prefpipe-eos"

typedef struct {            /* a record sent and not yet acknowledged */
    uint64_t seq;
    char *data;
    size_t len;
} zpend;

typedef struct {            /* producers: one consumer */
    char rid[256];          /* its ZeroMQ routing id (of the pipe: see zack.c) */
    size_t rlen;
    char cid[96];           /* the id its hello named: who is behind the pipe now */
    int fd;                 /* the connection its messages came on */
    int window;             /* records it may hold unacknowledged */
    int alive;
    int eos;                /* the end-of-stream went to it */
    int stopped;            /* it said it stops reading on purpose (prefpipe-stop) */
    zpend *fl;              /* in flight */
    int nfl, capfl;
} zcons;

typedef struct {            /* consumers: one producer */
    char rid[256];
    size_t rlen;
    uint64_t *acks;         /* delivery numbers to acknowledge */
    int nacks, capacks;
} zprod;

struct zstream {
    void *sock, *mon;
    int writer, bound;
    int nendpoints;
    int expected;           /* readers: producers to wait for */
    double timeout;         /* seconds for connecting */
    int peers[MAX_PEERS];
    int npeers;
    int pending[MAX_PEERS]; /* connected, handshake not done, oldest first */
    int npending;
    int hs_failed;          /* failed handshakes whose disconnect is to come */
    int hs_ever_failed;     /* for the message when connecting fails */
    int ever_connected;     /* peers that ever connected */
    int consumers;          /* writers: peers to serve before ending */
    char id[96];            /* producer id */
    uint64_t sent;
    /* reader state */
    zmq_msg_t msg;
    int have_msg;
    zmq_msg_t next;         /* a record zs_ready took off the socket */
    int have_next;
    int failed;             /* zs_ready met an error: err holds it for zs_recv */
    char err[256];
    char **eos_ids;
    int neos;
    int ended;
    /* liveness and loss */
    int closing;            /* writers: the end-of-stream handshake has begun */
    int lost;               /* peers that disconnected before the end of the stream */
    int early;              /* writers: ?early=1, consumers may stop early on purpose */
    double progress_at;     /* when a record or a new end-of-stream last came */
    uint64_t received;      /* readers: data records */
    uint64_t eos_sent;      /* readers: sum of RECORDS_SENT over distinct EOS */
    int eos_checkable;      /* readers: every EOS so far says it had one consumer */
    int mismatch;           /* a peer's handshake failed (ack=1 on one end only?) */
    zcurve_opts sec;        /* CURVE keys and the bind rule (io/zcurve.h) */
    int auth_refused;       /* connecting: the server refused our key */
    /* acknowledged mode (zack.c) */
    int ack;
    int window;
    void (*flush)(void);    /* readers: flush outputs before acknowledging */
    zcons *cons;            /* writers */
    int ncons, rr;
    zpend *redo;            /* writers: to send again, oldest first */
    size_t nredo, redo_head, capredo;
    uint64_t next_seq, redelivered, deaths;
    int nstopped;           /* writers: consumers that stopped on purpose */
    zprod *prods;           /* readers */
    int nprods;
    int cur_prod, next_prod;/* readers: producer of msg / next (-1: none) */
    uint64_t cur_seq, next_seq_in;
    uint64_t *seen;         /* readers: open-addressing set of id hashes */
    size_t nseen, capseen;
    uint64_t *seqs;         /* readers: set of (producer, delivery number) hashes */
    size_t nseqs, capseqs;
    uint64_t dups;
};

extern void *zs_g_ctx;
double zs_now(void);
void zs_pump_events(zstream *z, long timeout_ms);
int zs_stalled(zstream *z, char *err, size_t errcap);
void zs_close_sockets(zstream *z);
/* This producer's end-of-stream message (init's sb; the caller destroys). */
void zs_pack_eos(zstream *z, msgpack_sbuffer *sb);
/* Handle an end-of-stream message from producer id (readers, both
 * modes): 1 the stream has ended (sockets closed), 0 not yet, ZS_LOST. */
int zs_take_eos(zstream *z, const char *id, size_t idlen, uint64_t sent, int consumers, char *err, size_t errcap);

/* zack.c */
void zack_setup(zstream *z);                          /* socket options, before bind/connect */
void zack_peer_gone(zstream *z, int fd);              /* monitor: a connection closed */
int zack_recv(zstream *z, zmq_msg_t *m, int *have, int flags, char *err, size_t errcap);
/* One message, as the socket delivered it, minus the waiting (for
 * fuzz_zeos, which feeds hostile messages to the real state):
 * producers: a consumer's [ROUTING_ID][BYTES] (hello, ack, stop; the rest
 * is dropped); consumers: a producer's frames p[0..n), n <= 3, which it
 * closes: 1 a record (in *m), 0 the stream ended, 2 taken in (nothing
 * for the caller), -1 (err: a malformed message) or zs_take_eos's
 * ZS_LOST. */
void zack_from_consumer(zstream *z, const char *rid, size_t rlen, int fd, const char *d, size_t n);
int zack_from_producer(zstream *z, zmq_msg_t *p, int n, zmq_msg_t *m, int *have, char *err, size_t errcap);
int zack_send(zstream *z, const char *data, size_t len, char *err, size_t errcap);
int zack_close_writer(zstream *z, char *err, size_t errcap);
int zack_all_stopped(const zstream *z);               /* writers: every consumer stopped on purpose */
void zack_taken(zstream *z);                          /* readers: the application is done with msg */
void zack_close_reader(zstream *z);                   /* readers closing early: acknowledge what was taken */
void zack_free(zstream *z);

#endif
