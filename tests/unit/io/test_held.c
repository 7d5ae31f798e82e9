/*
 * test_held.c — the hold window (io/held.c) over record files:
 *  - output order is input order; pass-through records keep their bytes;
 *    scored ones keep their fields and get the caller's;
 *  - a flush comes at max_scored taken records, or at max_held held ones
 *    (pass-through records count there), and at the end of the input;
 *  - with split_rollout_batches a rollout batch (batch, batch_size) is
 *    flushed when complete and never shares a flush with other records;
 *    without it, rollout batches do not split --batch groups.
 * The flush before a read that would block is tested over fifos in
 * ref-score.bats and rm-score.bats.
 */
#include "check.h"
#include "io/held.h"
#include "io/record.h"
#include "io/stream.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], in_path[128], out_path[128];

typedef struct {
    int flushes;
    int nex[32], n[32];     /* per flush: taken, held */
} log_t;

static int take(void *ctx, const msgpack_object *rec, const rstream *r, int ex, int *tag)
{
    (void)ctx, (void)r, (void)ex;
    int64_t v;
    *tag = 7;
    return rec_get_i64(rec, "score", &v) == 1 && v;
}

static void add(recb *b, const msgpack_object *rec, const held_rec *h, void *ctx)
{
    (void)rec;
    const log_t *lg = ctx;
    recb_put_i64(b, "flush", lg->flushes);
    recb_put_i64(b, "ex", h->ex);
    recb_put_i64(b, "tag", h->tag);
}

static void flush(void *ctx, held_rec *w, int n, int nex, rstream *out)
{
    log_t *lg = ctx;
    if (n == 0) return;   /* the final flush of an empty window */
    lg->nex[lg->flushes] = nex, lg->n[lg->flushes] = n;
    held_write(w, n, out, add, lg);
    lg->flushes++;
}

/* Records: spec[i] is 's' (scored), 'p' (passed through), or a digit d
 * (scored, rollout batch d of batch_size given by the digit's count). */
static void write_input(const char *spec)
{
    rstream *w = rs_open_write(in_path);
    recb b;
    recb_init(&b);
    for (int i = 0; spec[i]; i++) {
        recb_reset(&b);
        recb_put_i64(&b, "i", i);
        recb_put_i64(&b, "score", spec[i] != 'p');
        if (spec[i] >= '0' && spec[i] <= '9') {
            int size = 0;
            for (int j = 0; spec[j]; j++) size += spec[j] == spec[i];
            recb_put_i64(&b, "batch", spec[i] - '0');
            recb_put_i64(&b, "batch_size", size);
        }
        const char *buf;
        size_t len;
        recb_finish(&b, &buf, &len);
        rs_write(w, buf, len);
    }
    recb_free(&b);
    rs_close(w);
}

static void run(const char *spec, int max_scored, int max_held, int split, log_t *lg)
{
    write_input(spec);
    memset(lg, 0, sizeof *lg);
    held_window h = {.max_scored = max_scored, .max_held = max_held, .split_rollout_batches = split,
                     .take = take, .flush = flush, .ctx = lg, .out = rs_open_write(out_path)};
    char *ins[1] = {in_path};
    held_window_run(&h, ins, 1);
}

/* The output is the input in order; scored records carry flush/ex/tag. */
static void check_output(const char *spec, const log_t *lg)
{
    rstream *r = rs_open_read(out_path);
    msgpack_object rec;
    int i = 0, ok = 1, f = 0, ex = 0;
    while (rs_next(r, &rec) == RS_OK) {
        int64_t v, fl, e, tag;
        ok &= rec_get_i64(&rec, "i", &v) == 1 && v == i;
        if (spec[i] == 'p') {
            ok &= !rec_get(&rec, "flush");
        } else {
            ok &= rec_get_i64(&rec, "flush", &fl) == 1 && rec_get_i64(&rec, "ex", &e) == 1;
            ok &= rec_get_i64(&rec, "tag", &tag) == 1 && tag == 7;
            if (fl != f) f = (int)fl, ex = 0;
            ok &= e == ex++;   /* examples numbered from 0 in each flush */
        }
        i++;
    }
    rs_close(r);
    CHECK(ok);
    CHECK(i == (int)strlen(spec));
    (void)lg;
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_held.XXXXXX");
    if (!mkdtemp(dir)) return 1;
    snprintf(in_path, sizeof in_path, "%s/in.mp", dir);
    snprintf(out_path, sizeof out_path, "%s/out.mp", dir);
    log_t lg;

    /* 7 scored, 2 passed through; --batch 3 */
    const char *a = "spsssspss";
    run(a, 3, 100, 1, &lg);
    check_output(a, &lg);
    CHECK(lg.flushes == 3 && lg.nex[0] == 3 && lg.nex[1] == 3 && lg.nex[2] == 1);
    CHECK(lg.n[0] == 4 && lg.n[1] == 4 && lg.n[2] == 1);

    /* a window of 4 held records ends a batch before 3 are taken */
    const char *b = "pppsspss";
    run(b, 3, 4, 0, &lg);
    check_output(b, &lg);
    CHECK(lg.flushes == 2 && lg.n[0] == 4 && lg.nex[0] == 1 && lg.n[1] == 4 && lg.nex[1] == 3);

    /* rollout batches: 0 (size 2), 1 (size 3), then two plain records */
    run("00111ss", 8, 8, 1, &lg);
    check_output("00111ss", &lg);
    CHECK(lg.flushes == 3 && lg.nex[0] == 2 && lg.nex[1] == 3 && lg.nex[2] == 2);
    /* without splitting, one group of --batch */
    run("00111ss", 8, 8, 0, &lg);
    CHECK(lg.flushes == 1 && lg.nex[0] == 7);
    /* a plain record between rollout batches is a group of its own */
    run("00s111", 8, 8, 1, &lg);
    check_output("00s111", &lg);
    CHECK(lg.flushes == 3 && lg.nex[0] == 2 && lg.nex[1] == 1 && lg.nex[2] == 3);

    unlink(in_path);
    unlink(out_path);
    rmdir(dir);
    return check_done("test_held");
}
