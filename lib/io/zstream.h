/*
 * zstream.h — ZeroMQ PUSH/PULL record transport with an end-of-stream
 * protocol (internal to the stream layer; executables use stream.h).
 *
 * Messages: one record per message, the record's msgpack bytes (a map).
 * Control messages are msgpack arrays, never maps:
 *   ["prefpipe-eos", PRODUCER_ID, RECORDS_SENT, CONSUMERS]
 *
 * Producer (PUSH), at close: while any peer is connected, send one EOS per
 * connected peer (round-robin spreads them), then wait briefly for peers to
 * disconnect; repeat.  Peers are counted with a socket monitor: a
 * connection counts once its handshake succeeded (so a stranger refused by
 * CURVE is neither a consumer nor a lost one), until it disconnects.
 * CURVE keys and the bind rule are io/zcurve.h's.  Because ZeroMQ keeps each pipe
 * in order, a consumer that has seen P's EOS on a pipe has seen every
 * record P sent down that pipe; a consumer disconnects only after it has
 * seen every EOS it expects, so nothing is lost and nothing is duplicated.
 *
 * A producer that knows how many consumers will come (?consumers=M) keeps
 * its end-of-stream open until M peers have connected and left, so a
 * consumer that starts late still gets its EOS; by default M = 1.
 *
 * Consumer (PULL): counts distinct producer ids that sent EOS (duplicates
 * ignored); when it reaches the expected number (the number of endpoints it
 * connects to, or 1 when it binds, or ?producers=N) the stream ends and the
 * socket is closed, which releases the producers.
 *
 * Connecting sides wait up to `timeout` seconds (?timeout=S, env
 * PREFPIPE_ZMQ_TIMEOUT, default 60) for every endpoint to accept the
 * connection, then fail with "cannot connect" instead of hanging.
 *
 * Liveness and loss.  ZMTP heartbeats (interval min(1 s, timeout/3),
 * timeout and TTL = timeout) drop a peer that stops answering.  A reader
 * gives up with ZS_TEMPFAIL when nothing came for `timeout` seconds while
 * no producer is connected, or after a producer vanished without its EOS;
 * a writer gives up likewise when no consumer is connected (bound or not)
 * while it sends or waits to end.  A live but slow peer is waited for.
 * The EOS message is ["prefpipe-eos", ID, RECORDS_SENT, CONSUMERS]; a
 * reader whose producers each served one consumer checks that it received
 * the sum of RECORDS_SENT (else ZS_LOST; only a shortfall counts once a
 * producer vanished, since a restarted one's count does not cover what its
 * predecessor delivered).  A writer one of whose consumers disconnected
 * before the end-of-stream handshake began (killed: the records queued to
 * it are gone) finishes with the others and then fails with ZS_LOST (exit
 * 74) naming the counts.  PUSH has no way back, so a consumer that stops
 * early on purpose (ppo-step --batches, rec head) looks the same: a
 * producer whose endpoint says ?early=1 only warns, as it does when as
 * many replacement consumers connected (more than ?consumers=M: a restart
 * whose application resumes).  Either way it sends CONSUMERS 0, so that
 * no reader checks the count.  A consumer killed after the handshake began
 * is not noticed (it may have had its EOS).  In the plain mode loss is
 * reported, not repaired.
 *
 * Acknowledged mode (the default; ?ack=0 on both ends gives the plain
 * mode above; zack.c): ROUTER sockets, each
 * record sent with a delivery number and kept by the producer until its
 * consumer acknowledges it (at most ?window=W per consumer); the records of
 * a consumer whose connection closes go to the survivors (or to a consumer
 * restarted on the endpoint: zack.c, "Restarts on one endpoint"; a
 * delivery number seen twice is dropped); the EOS goes out
 * once everything is acknowledged.  Consumers acknowledge what the
 * application has finished with when they are about to wait, after the
 * flush hook (stdout), and, once a producer vanished, drop records whose
 * id came before.  At least once; exactly once in effect after that
 * dedup.  A consumer that closes before the end sends its producers a
 * stop: its records go to the others, and a producer all of whose
 * consumers stopped ends (ZS_STOPPED: the caller drops that output, and
 * when it was the process's last ZeroMQ output, exits quietly, passing
 * the stop to its own producers: stream.c).  A socket-type mismatch
 * (ack on one end only) shows as a failed handshake, reported on timeout.
 */
#ifndef PREFPIPE_ZSTREAM_H
#define PREFPIPE_ZSTREAM_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

typedef struct zstream zstream;

/* Error returns besides -1: the peer is gone or never came within the
 * timeout (exit 75), and records were lost (exit 74). */
enum { ZS_TEMPFAIL = -3, ZS_LOST = -4, ZS_STOPPED = -5 };
/* ZS_STOPPED (writers, acknowledged mode): every consumer said it stops
 * reading on purpose (rec head, ppo-step --batches) and none is left to
 * serve: the stream is over, as a pipe whose reader exited. */

/* uri is the full "@..." or ">..." form; on error returns NULL and fills err */
zstream *zs_open(const char *uri, int writer, char *err, size_t errcap);
/* Check uri's options and bind rule without opening anything: 0 ok, -1
 * (err filled).  For programs that must refuse bad arguments before they
 * create anything (ppo-step). */
int zs_check_uri(const char *uri, char *err, size_t errcap);
/* Receive: 1 = record in *data, *len (valid until next call), 0 = end. -1 error */
int zs_recv(zstream *z, const char **data, size_t *len, char *err, size_t errcap);
/* Readers: would zs_recv answer now?  1: a record is waiting (taken off
 * the socket and held for zs_recv), the stream has ended, or there is an
 * error to report; 0: nothing yet.  Never blocks; end-of-stream messages
 * that are waiting are handled here, so a producer's EOS that does not end
 * the stream is not taken for a record. */
int zs_ready(zstream *z);
int zs_send(zstream *z, const char *data, size_t len, char *err, size_t errcap);
/* Classify a message: 0 a data record (a map), 1 an end-of-stream (its
 * producer id at *id, *idlen, inside d; RECORDS_SENT and CONSUMERS, 0 when
 * absent), -1 an unknown control message.  (Exposed for fuzz_zeos.) */
int zs_parse_eos(const char *d, size_t n, const char **id, size_t *idlen, uint64_t *sent, int *consumers);
/* A control message d[0..n): a msgpack array whose first element is the
 * string tag (the acknowledged mode's hello and ack); its
 * array (in zone, strings pointing into d) or NULL.  Size claims are
 * checked before msgpack allocates for them.  (Exposed for fuzz_zeos.) */
const msgpack_object_array *zs_parse_ctl(const char *d, size_t n, msgpack_zone *zone, msgpack_object *o,
                                         const char *tag);
/* Readers in acknowledged mode (?ack=1).  fn flushes the process's
 * outputs: it runs before every acknowledgement, so a record is
 * acknowledged only after what the application wrote for it has left
 * the process.  zs_duplicate: 1 when a record with this id came before
 * (a restarted producer sends its stream again): the caller skips it, and
 * it is acknowledged like any other. */
void zs_set_flush(zstream *z, void (*fn)(void));
int zs_acked(const zstream *z);
int zs_duplicate(zstream *z, const char *id, size_t len);
/* Writers after ZS_STOPPED: close without the end-of-stream handshake
 * (nobody is left to end it with).  Closing the last socket waits for
 * what other sockets still have to send (a reader's stop). */
void zs_drop(zstream *z);
/* Writers: run the EOS handshake.  Then close everything. 0 ok, -1 err */
int zs_close(zstream *z, char *err, size_t errcap);

#endif
