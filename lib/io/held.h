/*
 * held.h — records held back while a batch of them is scored, then written
 * in input order: pass-through records as their original bytes, scored ones
 * with their fields plus the caller's (rm-score's rewards, ref-score's
 * reference log-probs).
 *
 * A held record owns a copy of its raw msgpack bytes (the stream's buffer
 * moves on as reading continues); held_write unpacks that copy, so the
 * added fields can borrow from it until the record is written, and frees
 * it.  Field order follows recb: the record's own fields, then the added
 * ones (a field of the same name is replaced in place).
 *
 * The hold window (held_window) is the one batching policy of the scoring
 * filters.  It reads records, asks the caller to take each one (build its
 * example: scored) or not (passed through), and flushes — the caller
 * scores what was taken and writes the window with held_write — when
 *   - max_scored records were taken, or max_held records are held;
 *   - with split_rollout_batches: a rollout batch (records carrying
 *     `batch` and `batch_size`, as rollout writes them) is complete (its
 *     batch_size records seen in a row), or another batch or a record
 *     without them begins: a rollout batch shares no forward pass with
 *     other records, so its bytes do not depend on how records arrive;
 *   - the next read would block (rs_ready: a pipe or ZeroMQ producer that
 *     paused) and no incomplete rollout batch promises more records: what
 *     is held is scored and sent (and the output flushed) before the
 *     filter waits, or a feedback loop (rollout | scorer | ppo-step) could
 *     wait on it forever.  Files never block, so file input keeps full
 *     batches; only over a paused live input do batches follow arrival.
 *
 * Sharding (nranks > 1: the scorers under mpirun): every rank runs the same
 * window over the same input files, so every rank cuts the same windows
 * (files never block).  Window k (counted from 0) belongs to rank
 * k % nranks: its owner scores it, the others drop it (the drop callback
 * frees the examples take built).  Rank 0 writes its own windows to out
 * and receives every other window's output bytes from its owner (recv), in
 * window order; other ranks flush into memory and send those bytes to
 * rank 0 (send).  Windows are scored whole, by the same calls as in one
 * process, so the output is byte-identical to a single process's (same
 * thread count).  The transport is the caller's (dist.h: io knows no
 * ranks).
 */
#ifndef PREFPIPE_HELD_H
#define PREFPIPE_HELD_H
#include "io/record.h"
#include "io/stream.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *raw;
    size_t len;
    int ex;     /* the caller's index of its scored example; -1: pass through */
    int tag;    /* the caller's: e.g. which kind of record it is */
} held_rec;

/* Hold a copy of the record rs_next last returned from r (ex -1, tag 0). */
void held_keep(held_rec *h, const rstream *r);

/* Add the scored fields of h (ex >= 0) to b, which holds rec's fields. */
typedef void held_add_fn(recb *b, const msgpack_object *rec, const held_rec *h, void *ctx);

/* Write w[0..n) to out in order and free their copies. */
void held_write(held_rec *w, int n, rstream *out, held_add_fn *add, void *ctx);

/* ---- sharding a scorer's windows over ranks ---- */

typedef struct {
    int rank, nranks;              /* nranks 0 or 1: one process */
    void (*send)(const void *buf, size_t nbytes, int to);
    void *(*recv)(size_t *nbytes, int from);
    long nwin;                     /* windows so far */
    rstream *mem;                  /* rank > 0: the window's output */
} held_shard;

/* Where the caller writes the next window: out (one process, or rank 0's
 * own window), a memory stream (another rank's own window), or NULL: the
 * window is another rank's, the caller drops it.  Then held_shard_end:
 * a rank > 0 sends what it wrote to rank 0; rank 0 receives a window it
 * did not score from its owner and writes its records to out. */
rstream *held_shard_begin(held_shard *s, rstream *out);
void held_shard_end(held_shard *s, rstream *out);
/* Free the memory stream (after the last window). */
void held_shard_close(held_shard *s);

/* ---- the hold window ---- */

typedef struct held_window {
    int max_scored, max_held;      /* flush at this many taken / held records */
    int split_rollout_batches;
    /* Take rec (just read from r) as example number ex: 1 (scored; may set
     * *tag), 0 (passed through). */
    int (*take)(void *ctx, const msgpack_object *rec, const rstream *r, int ex, int *tag);
    /* Score examples 0..nex) and held_write w[0..n) to out; free them. */
    void (*flush)(void *ctx, held_rec *w, int n, int nex, rstream *out);
    void *ctx;
    rstream *out;
    /* sharding (see above): the caller fills shard's rank, nranks and
     * transport, and drop (free examples 0..nex of a dropped window) */
    held_shard shard;
    void (*drop)(void *ctx, int nex);
    /* state */
    held_rec *w;
    int n, nex;
    int gin;                       /* the last record belongs to a rollout batch: */
    int64_t gb, gsize, gseen;      /* its number, size and records seen so far */
} held_window;

/* Read every record of the inputs (stream URIs) through the window in
 * order, flush what is left, close h->out.  The caller fills the policy,
 * the callbacks and out first (w, n, nex and the rollout-batch state are
 * the window's). */
void held_window_run(held_window *h, char **inputs, int ninputs);

#endif
