/*
 * held.c — see held.h.
 */
#include "io/held.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void held_keep(held_rec *h, const rstream *r)
{
    const char *raw;
    rs_last_raw(r, &raw, &h->len);
    h->raw = xmalloc(h->len ? h->len : 1);
    memcpy(h->raw, raw, h->len);
    h->ex = -1;
    h->tag = 0;
}

void held_write(held_rec *w, int n, rstream *out, held_add_fn *add, void *ctx)
{
    recb b;
    recb_init(&b);
    for (int i = 0; i < n; i++) {
        if (w[i].ex < 0) {
            rs_write(out, w[i].raw, w[i].len);
        } else {
            msgpack_unpacked up;
            msgpack_unpacked_init(&up);
            size_t off = 0;
            if (msgpack_unpack_next(&up, w[i].raw, w[i].len, &off) != MSGPACK_UNPACK_SUCCESS)
                die(EX_SOFTWARE, "record copy does not unpack");
            recb_reset(&b);
            recb_copy_fields(&b, &up.data);
            add(&b, &up.data, &w[i], ctx);
            const char *buf;
            size_t len;
            recb_finish(&b, &buf, &len);
            rs_write(out, buf, len);
            msgpack_unpacked_destroy(&up);
        }
        free(w[i].raw);
        w[i].raw = NULL;
    }
    recb_free(&b);
}

/* ---- the hold window ---- */

static void window_init(held_window *h)
{
    h->w = xcalloc((size_t)h->max_held, sizeof *h->w);
    h->n = h->nex = 0;
    h->gin = 0;
    h->gb = h->gsize = h->gseen = 0;
    h->shard.nwin = 0;
}

/* Another rank's window: its records one by one (a ZeroMQ output sends
 * one message per record). */
static void write_records(rstream *out, const char *buf, size_t len)
{
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    while (off < len) {
        size_t at = off;
        if (msgpack_unpack_next(&up, buf, len, &off) != MSGPACK_UNPACK_SUCCESS)
            die(EX_SOFTWARE, "a rank's window output does not unpack");
        rs_write(out, buf + at, off - at);
    }
    msgpack_unpacked_destroy(&up);
}

rstream *held_shard_begin(held_shard *s, rstream *out)
{
    if (s->nranks <= 1) return out;
    if (s->nwin % s->nranks != s->rank) return NULL;
    if (s->rank == 0) return out;
    if (!s->mem) s->mem = rs_open_memory();
    return s->mem;
}

void held_shard_end(held_shard *s, rstream *out)
{
    long k = s->nwin++;
    if (s->nranks <= 1) return;
    int owner = (int)(k % s->nranks);
    if (s->rank > 0 && owner == s->rank) {
        size_t len;
        const char *buf = rs_memory(s->mem, &len);
        s->send(buf, len, 0);
        rs_memory_clear(s->mem);
    } else if (s->rank == 0 && owner != 0) {
        size_t len;
        char *buf = s->recv(&len, owner);
        write_records(out, buf, len);
        free(buf);
    }
}

void held_shard_close(held_shard *s)
{
    if (s->mem) rs_close(s->mem);
    s->mem = NULL;
}

/* With ranks, window k goes to its owner (held.h: sharding); an empty
 * window (the final flush of nothing) is no window there. */
static void window_flush(held_window *h)
{
    if (h->shard.nranks > 1 && h->n == 0) return;
    rstream *o = held_shard_begin(&h->shard, h->out);
    if (o) {
        h->flush(h->ctx, h->w, h->n, h->nex, o);
    } else {
        h->drop(h->ctx, h->nex);
        for (int i = 0; i < h->n; i++) free(h->w[i].raw), h->w[i].raw = NULL;
    }
    held_shard_end(&h->shard, h->out);
    h->n = h->nex = 0;
}

static void window_read(held_window *h, rstream *r)
{
    msgpack_object rec;
    for (;;) {
        /* about to wait for a live producer that has paused, holding
         * records that no rollout batch promises to complete */
        if (h->n > 0 && !(h->gin && h->gseen < h->gsize) && !rs_ready(r)) {
            window_flush(h);
            rs_flush(h->out);
        }
        if (rs_next(r, &rec) != RS_OK) break;
        int64_t b = 0, bs = 0;
        int has = rec_get_i64(&rec, "batch", &b) == 1 && rec_get_i64(&rec, "batch_size", &bs) == 1 && bs > 0;
        if (has && h->gin && b == h->gb) {
            h->gseen++;
        } else {
            /* a rollout batch ends here: it shares no forward pass */
            if (h->split_rollout_batches && h->n > 0 && (has || h->gin)) window_flush(h);
            h->gin = has, h->gb = b, h->gsize = bs, h->gseen = 1;
        }
        held_rec *s = &h->w[h->n++];
        held_keep(s, r);
        if (h->take(h->ctx, &rec, r, h->nex, &s->tag)) s->ex = h->nex++;
        int gend = h->split_rollout_batches && h->gin && h->gseen >= h->gsize;
        if (h->nex == h->max_scored || h->n == h->max_held || gend) window_flush(h);
        if (gend) rs_flush(h->out);
    }
}

void held_window_run(held_window *h, char **inputs, int ninputs)
{
    window_init(h);
    for (int f = 0; f < ninputs; f++) {
        rstream *r = rs_open_read(inputs[f]);
        window_read(h, r);
        rs_close(r);
    }
    window_flush(h);
    rs_close(h->out);
    held_shard_close(&h->shard);
    free(h->w);
    h->w = NULL;
}
