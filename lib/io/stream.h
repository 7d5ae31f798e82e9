/*
 * stream.h — the one record-stream API every executable uses.
 *
 * A stream is opened from a URI:
 *   -                     stdin / stdout
 *   PATH, PATH.gz         a file (gzip by extension on write; on read gzip
 *                         is detected from the magic bytes)
 *   @tcp://IFACE:5555     ZeroMQ, bind (IFACE may be a star for all: only
 *                         with CURVE or insecure=1, io/zcurve.h)
 *   >tcp://host:5555      ZeroMQ, connect (ipc:// works too)
 *   >tcp://a:1,tcp://b:2  connect to several endpoints
 * A ZeroMQ URI may end in "?producers=N" (readers: how many distinct
 * producers' end-of-stream to wait for), "consumers=M" (writers: how many
 * consumers will connect) and/or "timeout=S" (seconds to wait for a first
 * peer before "unreachable"), joined with '&'; key=, curve=, allow= and
 * insecure= are the CURVE options of io/zcurve.h.
 * Readers use PULL sockets, writers PUSH, both ROUTER with ?ack=1 (see
 * zstream.h for the protocol).
 *
 * Reading yields one msgpack map at a time.  Each record is checked:
 * it must be a map with string keys, at most `max_record` bytes, at most
 * `max_depth` containers deep, with valid UTF-8 in every string.  A failure
 * names the record number (1-based) and exits 65 (rs_next) or is returned
 * (rs_read) for callers that skip bad records.
 *
 * Writing to a path goes to a temporary file in the same directory that is
 * renamed over PATH by rs_close(); if the program dies first, the temporary
 * file is removed (util cleanup hook), so no half-written output remains;
 * after a kill -9 (no hook runs) it stays, never under PATH, until the next
 * writer of PATH removes it.
 * Writing msgpack to a terminal is refused (exit 64).  Before a read that
 * may block, the msgpack writer on stdout is flushed, so filters in a
 * feedback loop (rollout | rm-score | ppo-step) never sit on output.
 */
#ifndef PREFPIPE_STREAM_H
#define PREFPIPE_STREAM_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rstream rstream;

enum { RS_OK = 1, RS_EOF = 0, RS_ERR = -1 };

#define RS_DEFAULT_MAX_RECORD (64u << 20)   /* bytes; env PREFPIPE_MAX_RECORD */
#define RS_DEFAULT_MAX_DEPTH 16             /* env PREFPIPE_MAX_DEPTH */

/* Open for reading; on failure prints "prog: URI: why" and exits 66. */
rstream *rs_open_read(const char *uri);
/* Open for writing; exits 73 (cannot create), 74 (ZeroMQ peer unreachable) or 64 (terminal). */
rstream *rs_open_write(const char *uri);
/* Binary output to stdout is refused on a terminal; under mpirun stdout is
 * the launcher's pseudo-terminal (raw: bytes pass unchanged to mpirun's
 * stdout), so a rank launched by it calls this to allow "-". */
void rs_stdout_forwarded(void);
/* A writer into memory: rs_write appends; rs_memory gives the bytes so
 * far, rs_memory_clear forgets them; rs_close frees it.  (The sharded
 * scorers collect a window's output there before sending it to rank 0.) */
rstream *rs_open_memory(void);
const char *rs_memory(const rstream *s, size_t *len);
void rs_memory_clear(rstream *s);
/* A live output (metrics, logs): as rs_open_write, except that a plain
 * file path is written in place (created or truncated at open, not renamed
 * at close), so a reader can follow it while it grows (tail -f,
 * pipelines/watch-metrics.sh); the writer calls rs_flush after each record.  A
 * crash leaves the records written so far, which is what a log should.
 * A .gz path stays atomic (a gzip stream cannot be read half-written). */
rstream *rs_open_live(const char *uri);
/* A text output (JSONL, tables): a path (atomic, as above) or "-" which
 * may be a terminal.  Write with rs_write_bytes. */
rstream *rs_open_text_out(const char *uri);
void rs_write_bytes(rstream *s, const char *buf, size_t len);

/* Read the next record.  RS_OK: *rec valid until the next call.
 * RS_ERR: rs_error() says why; the stream cannot continue after a framing
 * error (truncated or oversized data) but can after a content error (not a
 * map, bad UTF-8, too deep) — rs_recoverable() tells which. */
int rs_read(rstream *s, msgpack_object *rec);
const char *rs_error(const rstream *s);
int rs_recoverable(const rstream *s);
/* rs_read that dies with "prog: URI: record N: why" (exit 65) on error. */
int rs_next(rstream *s, msgpack_object *rec);
/* The raw bytes of the last record read (for relaying without re-packing). */
void rs_last_raw(const rstream *s, const char **buf, size_t *len);

/* Can the next rs_read answer without waiting for a writer?  1: a whole
 * record (or the end of the stream, or an error) is there, or the input is
 * a file; 0: rs_read would block — a pipe, terminal or ZeroMQ PULL socket
 * whose producer has not sent the rest yet.  Never blocks.  Bytes and
 * messages already buffered inside the reader count, so a record that has
 * arrived is never taken for "would block"; a record half-arrived on a pipe
 * is.  Files never block, and neither does gzip input (even on a pipe: it
 * is read as a file).  Filters that hold records back (batching) call it to
 * finish what they hold before they wait.  Like rs_read it may move the
 * reader's buffer: the last record and rs_last_raw are invalid after it. */
int rs_ready(rstream *s);

/* Number of records read / written so far. */
uint64_t rs_count(const rstream *s);
const char *rs_uri(const rstream *s);

/* Write one packed record (must be a msgpack map).  Dies (exit 74) on I/O
 * error, quietly ends on EPIPE. */
void rs_write(rstream *s, const char *buf, size_t len);

/* Push buffered output to the fd now (files/pipes; ZeroMQ sends at once).
 * Reading a stream also flushes the stdout writer before it blocks. */
void rs_flush(rstream *s);
/* Make what was written so far durable under its name: flush, fsync, and
 * for a file still under its temporary name, rename it into place now (the
 * rest is then written in place, so a kill -9 after this keeps everything
 * up to here).  Trainers call it before each checkpoint, so every step
 * whose weights are saved has its metrics on disk.  No-op for pipes,
 * terminals and ZeroMQ. */
void rs_sync(rstream *s);
/* Flush and finish: the atomic rename for files, the end-of-stream
 * handshake for ZeroMQ.  Dies with exit 74 when that fails. */
void rs_close(rstream *s);

/* Abandon an output: remove its temporary file.  Used on error paths. */
void rs_abort(rstream *s);

/* Limits (defaults from the environment, else the constants above). */
size_t rs_max_record(void);
int rs_max_depth(void);

/* Refuse an input that cannot be opened, before anything is created: a
 * ZeroMQ endpoint whose options or bind are refused (exit 64), a file
 * that cannot be read (exit 66).  Opens nothing. */
void rs_check_input(const char *uri);

/* Is this URI a ZeroMQ endpoint? */
int rs_is_zmq_uri(const char *uri);

/* Validate one unpacked record against the structural rules above;
 * returns NULL or a static message. */
const char *rs_check_record(const msgpack_object *o, int max_depth);

#endif
