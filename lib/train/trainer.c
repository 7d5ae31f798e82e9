/*
 * trainer.c — the step loop (see trainer.h for the contract: data order,
 * normalisation, schedule, checkpoints, resume, signals, non-finite loss).
 *
 * Ownership: the stage owns the model, tokenizer and spools; train_run
 * owns the optimizer, the metrics stream and the per-step example buffers.
 *
 * Ranks (dist.h): every rank spools the same inputs and walks the same
 * permutation; of each step's examples rank r takes its contiguous share
 * (dist_share), as it does of the eval set.  A step's normaliser
 * (examples, tokens) and the sums it reports (loss, objective statistics,
 * tokens) are all-reduced where they are computed, so each rank divides
 * by the whole batch's count and reports the whole batch; the gradients
 * are all-reduced in optim_step, so every rank applies the same update.
 * Rank 0 alone writes metrics and checkpoints.  A signal may reach the
 * ranks between different steps, so the decision to stop is all-reduced
 * too (every rank leaves the loop after the same step).  With one process
 * the share is the whole step and these calls change nothing.
 */
#include "train/trainer.h"

#include "train/checkpoint.h"
#include "dist/dist.h"
#include "base/cli.h"
#include "io/inputs.h"
#include "io/record.h"
#include "io/stream.h"
#include "base/util.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void train_opts_defaults(train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->epochs = 1;
    o->batch = 8;
    o->micro = 8;
    o->lr = 1e-5;
    o->warmup_frac = 0.1;
    o->h = adamw_defaults();
    o->metrics_uri = "-";
}

void train_check_output(const char *dir)
{
    /* refuse a foreign directory now, not after hours of training */
    char *base = ckpt_target(dir);
    size_t n = strlen(base);
    char *probe = xmalloc(n + 32);
    snprintf(probe, n + 32, "%s.probe.XXXXXX", base);
    if (!mkdtemp(probe)) die(EX_CANTCREAT, "%s: cannot write a checkpoint here: %s", dir, strerror(errno));
    rmdir(probe);
    free(probe);
    free(base);
}

/* ---- spooling ---- */

static void flush_ref(train_spool *s, model *ref, train_example *pend, int np)
{
    train_score_ref(ref, pend, np, NULL);
    for (int i = 0; i < np; i++) {
        spool_add(s, &pend[i]);
        train_example_free(&pend[i]);
    }
}

void train_spool_inputs(train_spool *s, char **uris, int nuris, const train_prep *p,
                        model *ref, int ref_batch, train_counts *c, const char *label)
{
    spool_open(s);
    memset(c, 0, sizeof *c);
    train_example *pend = xcalloc((size_t)ref_batch, sizeof *pend);
    int np = 0, warned = 0;
    inputs in;
    inputs_open(&in, nuris, uris, 0);
    while (inputs_next(&in)) {
        train_example ex;
        const char *why;
        if (!train_example_from_record(p, &in.rec, rs_count(in.stream), &ex, c, &why)) {
            if (warned++ < 5 && dist_rank() == 0) fprintf(stderr, "%s: %s skipped: %s\n", progname, inputs_where(&in), why);
            continue;
        }
        if (ref && !ex.has_ref) {
            pend[np++] = ex;
            if (np == ref_batch) { flush_ref(s, ref, pend, np); np = 0; }
        } else {
            if (np) { flush_ref(s, ref, pend, np); np = 0; }
            spool_add(s, &ex);
            train_example_free(&ex);
        }
    }
    inputs_close(&in);
    if (np) flush_ref(s, ref, pend, np);
    free(pend);
    fflush(s->f);
    if (dist_rank() == 0) train_counts_report(label, c);
}

/* ---- running batches ---- */

static train_norm norm_of(const train_example *ex, int n)
{
    train_norm nm = {n, 0};
    for (int i = 0; i < n; i++)
        for (int k = 0; k < ex[i].nseq; k++) nm.tokens += train_example_loss_tokens(&ex[i], k);
    return nm;
}

/* the normaliser over every rank's share of the step (or eval set) */
static void norm_all_ranks(train_norm *nm)
{
    int64_t v[2] = {nm->examples, nm->tokens};
    dist_sum_i64(v, 2);
    nm->examples = (long)v[0];
    nm->tokens = (long)v[1];
}

/* a step's reported sums over every rank: loss, statistics, tokens */
static void sums_all_ranks(double *loss, double *stats, long *ntok)
{
    double v[1 + TRAIN_MAX_STATS];
    v[0] = *loss;
    memcpy(v + 1, stats, sizeof(double) * TRAIN_MAX_STATS);
    dist_sum_f64(v, 1 + TRAIN_MAX_STATS);
    *loss = v[0];
    memcpy(stats, v + 1, sizeof(double) * TRAIN_MAX_STATS);
    if (ntok) {
        int64_t t = *ntok;
        dist_sum_i64(&t, 1);
        *ntok = (long)t;
    }
}

/* Forward (and backward when train) over ex[0..n) in chunks of micro.
 * Returns the normalised loss; *ntok gets the tokens processed. */
static double run_examples(model *m, train_example *ex, int n, int micro, train_objective *obj,
                           const train_norm *nm, int train, double *stats, long *ntok)
{
    double loss = 0;
    for (int i = 0; i < n; i += micro) {
        int k = n - i < micro ? n - i : micro;
        train_batch b;
        train_batch_build(&b, ex + i, k);
        b.pool = &m->c;
        size_t N = (size_t)b.sb.rows * b.sb.T;
        float *lp = obj->want_logp ? xmalloc(sizeof(float) * N) : NULL;
        float *v = obj->want_values ? xmalloc(sizeof(float) * N) : NULL;
        float *dlp = train && lp ? xcalloc(N, sizeof(float)) : NULL;
        float *dv = train && v ? xcalloc(N, sizeof(float)) : NULL;
        seq_batch_forward(m, &b.sb, train, lp, v);
        loss += obj->micro(obj->ctx, &b, lp, v, dlp, dv, nm, stats);
        if (train) model_backward(m, dlp, dv);
        if (ntok)
            for (int j = 0; j < k; j++) *ntok += train_example_tokens(&ex[i + j]);
        free(lp); free(v); free(dlp); free(dv);
        train_batch_free(&b);
    }
    return loss;
}

double train_evaluate(model *m, train_spool *s, int micro, train_objective *obj, double *stats)
{
    /* two passes: normaliser, then the loss, reading micro examples at a time */
    train_norm nm = {0, 0};
    long lo0, hi0;
    dist_share((long)s->n, &lo0, &hi0);
    for (size_t i = (size_t)lo0; i < (size_t)hi0; i++) {
        train_example e;
        spool_get(s, i, &e);
        train_norm one = norm_of(&e, 1);
        nm.examples++;
        nm.tokens += one.tokens;
        train_example_free(&e);
    }
    norm_all_ranks(&nm);
    memset(stats, 0, sizeof(double) * TRAIN_MAX_STATS);
    double loss = 0;
    train_example *ex = xcalloc((size_t)micro, sizeof *ex);
    long lo, hi;   /* this rank's share of the set */
    dist_share((long)s->n, &lo, &hi);
    for (size_t i = (size_t)lo; i < (size_t)hi; i += (size_t)micro) {
        int k = (int)((size_t)hi - i < (size_t)micro ? (size_t)hi - i : (size_t)micro);
        for (int j = 0; j < k; j++) spool_get(s, i + (size_t)j, &ex[j]);
        loss += run_examples(m, ex, k, micro, obj, &nm, 0, stats, NULL);
        for (int j = 0; j < k; j++) train_example_free(&ex[j]);
    }
    free(ex);
    sums_all_ranks(&loss, stats, NULL);
    return loss;
}

/* ---- state ---- */

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) { got_signal = sig; }

/* Stop before the next step: a signal reached this rank or (several
 * ranks) any rank; every rank must agree, or one would wait forever in the
 * next step's all-reduce. */
static int stop_now(void)
{
    if (dist_size() == 1) return got_signal != 0;
    double s = got_signal;
    dist_max_f64(&s, 1);
    if (s != 0 && !got_signal) got_signal = (sig_atomic_t)s;
    return s != 0;
}

static char *state_text(const train_opts *o, long step, long total, const train_spool *d)
{
    char *extra = o->state_extra ? o->state_extra(o->hook_ctx) : NULL;
    char lr[40];
    format_double(lr, sizeof lr, o->lr);
    size_t cap = 1024 + (extra ? strlen(extra) : 0);
    char *s = xmalloc(cap);
    snprintf(s, cap,
             "{\"stage\": \"%s\", \"step\": %ld, \"total_steps\": %ld, \"epochs\": %d, \"batch\": %d, "
             "\"seed\": %llu, \"examples\": %zu, \"data_hash\": \"%016llx\", \"lr\": %s%s%s}\n",
             o->stage, step, total, o->epochs, o->batch, (unsigned long long)o->seed, d->n,
             (unsigned long long)d->hash, lr, extra ? ", " : "", extra ? extra : "");
    free(extra);
    return s;
}

static long resume_step(const train_opts *o, long total, const train_spool *d)
{
    char *text = ckpt_load_state(o->resume_dir);
    if (!text) die(EX_NOINPUT, "%s: no trainer_state.json: not a checkpoint of a training run", o->resume_dir);
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j) die(EX_DATAERR, "%s/trainer_state.json: %s", o->resume_dir, je.text);
    const char *stage = json_string_value(json_object_get(j, "stage"));
    const char *hash = json_string_value(json_object_get(j, "data_hash"));
    char want[32];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)d->hash);
    struct { const char *key; long long want; } nums[] = {
        {"total_steps", total}, {"epochs", o->epochs}, {"batch", o->batch},
        {"seed", (long long)o->seed}, {"examples", (long long)d->n}};
    if (!stage || strcmp(stage, o->stage))
        die(EX_DATAERR, "%s: cannot resume: written by %s, not %s", o->resume_dir, stage ? stage : "?", o->stage);
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        json_t *v = json_object_get(j, nums[i].key);
        if (!json_is_integer(v) || json_integer_value(v) != nums[i].want)
            die(EX_DATAERR, "%s: cannot resume: %s was %lld, this run has %lld", o->resume_dir, nums[i].key,
                json_is_integer(v) ? (long long)json_integer_value(v) : -1LL, nums[i].want);
    }
    if (!hash || strcmp(hash, want))
        die(EX_DATAERR, "%s: cannot resume: the training data differ from the run's (hash %s, now %s)",
            o->resume_dir, hash ? hash : "?", want);
    json_t *st = json_object_get(j, "step");
    long step = json_is_integer(st) ? (long)json_integer_value(st) : -1;
    if (step < 0 || step > total) die(EX_DATAERR, "%s: trainer_state.json: bad step", o->resume_dir);
    json_decref(j);
    free(text);
    return step;
}

/* ---- metrics ---- */

static void put_stats(recb *b, const train_objective *obj, const double *stats, const char *prefix)
{
    for (int j = 0; j < obj->nstats; j++) {
        char key[96];
        snprintf(key, sizeof key, "%s%s", prefix, obj->stat[j]);
        recb_put_f64(b, key, stats[j]);
    }
}

static void emit_eval(rstream *w, const train_opts *o, model *m, train_spool *eval, train_objective *obj,
                      long step, double t0)
{
    double stats[TRAIN_MAX_STATS];
    double loss = train_evaluate(m, eval, o->micro, obj, stats);
    if (!w && dist_rank() != 0) return;   /* rank 0 reports */
    fprintf(stderr, "%s: step %ld: eval loss %.6g", progname, step, loss);
    for (int j = 0; j < obj->nstats; j++) fprintf(stderr, ", %s %.6g", obj->stat[j], stats[j]);
    fputc('\n', stderr);
    if (!w) return;
    recb b;
    recb_init(&b);
    recb_put_str(&b, "stage", o->stage);
    recb_put_i64(&b, "step", step);
    recb_put_f64(&b, "eval_loss", loss);
    put_stats(&b, obj, stats, "eval_");
    recb_put_i64(&b, "eval_examples", (int64_t)eval->n);
    if (!o->no_timing) recb_put_f64(&b, "time", now_seconds() - t0);
    const char *buf;
    size_t len;
    recb_finish(&b, &buf, &len);
    rs_write(w, buf, len);
    rs_flush(w);
    recb_free(&b);
}

/* ---- the loop ---- */

/* Reserve the activations for the largest micro-batch any step can build
 * (micro examples of the most sequences, each as long as the longest
 * sequence: seq_batch_forward reserves rows x longest) before the first
 * step.  Reserving as the batches come instead grew them in the first
 * steps, each time freeing, zeroing and page-faulting every activation
 * again: on the tiny preset the first two of eight steps took 2-3x a
 * steady step.  The size is the one the epoch's largest batch reaches
 * anyway; bits are unchanged (only where the buffers live). */
static void reserve_once(const train_opts *o, model *m, const train_spool *data, const train_spool *eval)
{
    int micro = o->micro < o->batch ? o->micro : o->batch;
    int len = data->max_len, nseq = data->max_nseq;
    if (eval && eval->max_len > len) len = eval->max_len;
    if (eval && eval->max_nseq > nseq) nseq = eval->max_nseq;
    long ntok = (long)micro * nseq * len;
    if (ntok > 0 && ntok < INT32_MAX / 2) model_reserve(m, (int)ntok, 1);
}

void train_run(const train_opts *o, model *m, const tokenizer *tok, train_spool *data,
               train_spool *eval, train_objective *obj)
{
    if (data->n == 0) die(EX_DATAERR, "no usable training examples");
    double t0 = now_seconds();
    long spe = (long)((data->n + (size_t)o->batch - 1) / (size_t)o->batch);
    long total = spe * o->epochs;
    if (o->max_steps > 0 && o->max_steps < total) total = o->max_steps;
    lr_schedule sch = {.peak = o->lr, .floor = o->lr_floor, .warmup = lround(o->warmup_frac * (double)total),
                       .total = total};
    long step = 0;
    optim *opt = NULL;
    if (o->resume_dir) {
        step = resume_step(o, total, data);
        opt = ckpt_load_optim(o->resume_dir, m);
        if (!opt) die(EX_DATAERR, "%s: no optimizer.safetensors: cannot resume exactly", o->resume_dir);
        if (opt->step != step)
            die(EX_DATAERR, "%s: optimizer step %ld differs from trainer step %ld", o->resume_dir, opt->step, step);
        opt->h = o->h;
        if (dist_rank() == 0) fprintf(stderr, "%s: resuming %s at step %ld of %ld\n", progname, o->resume_dir, step, total);
    } else {
        opt = optim_new(m, o->h);
    }
    model_enable_grads(m);
    reserve_once(o, m, data, eval);

    rstream *w = NULL;
    /* live: each record reaches the file (or pipe) as it is made; a resumed
     * run continues the file without the records past its checkpoint */
    int rank0 = dist_rank() == 0;
    if (!rank0) w = NULL;   /* rank 0 alone writes */
    /* under mpirun stdout is the launcher's pseudo-terminal, not the user's */
    else if (strcmp(o->metrics_uri, "-") || !isatty(1) || strcmp(dist_world()->name, "single")) w = train_metrics_open(o->metrics_uri, step);
    else fprintf(stderr, "%s: stdout is a terminal: metrics records not written (use --metrics FILE or a pipe)\n", progname);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (eval && step == 0) emit_eval(w, o, m, eval, obj, 0, t0);

    progress_t pr;
    progress_init(&pr, "steps", (uint64_t)total, o->progress);
    if (dist_rank() != 0) pr.enabled = 0;   /* one progress line per job */
    pr.done = (uint64_t)step;
    size_t *perm = xmalloc(sizeof(size_t) * data->n);
    long perm_epoch = -1;
    train_example *ex = xcalloc((size_t)o->batch, sizeof *ex);
    recb b;
    recb_init(&b);
    double last_loss = 0;
    long this_run = 0;
    while (step < total && !stop_now() && !(o->stop_after > 0 && this_run >= o->stop_after)) {
        this_run++;
        double ts = now_seconds();
        long epoch = step / spe;
        if (epoch != perm_epoch) { train_shuffle(perm, data->n, o->seed, epoch); perm_epoch = epoch; }
        size_t pos = (size_t)(step % spe) * (size_t)o->batch;
        int n = (int)(data->n - pos < (size_t)o->batch ? data->n - pos : (size_t)o->batch);
        long lo, hi;   /* this rank's share of the step */
        dist_share(n, &lo, &hi);
        int k = (int)(hi - lo);
        for (int i = 0; i < k; i++) spool_get(data, perm[pos + (size_t)lo + (size_t)i], &ex[i]);
        train_norm nm = norm_of(ex, k);
        norm_all_ranks(&nm);
        double stats[TRAIN_MAX_STATS] = {0};
        long ntok = 0;
        model_zero_grads(m);
        double loss = run_examples(m, ex, k, o->micro, obj, &nm, 1, stats, &ntok);
        sums_all_ranks(&loss, stats, &ntok);
        for (int i = 0; i < k; i++) train_example_free(&ex[i]);
        if (!isfinite(loss)) {
            if (w) rs_close(w);   /* keep the metrics up to the failure */
            die(EX_SOFTWARE, "step %ld: the loss is %g; stopping (the last checkpoint in %s is kept)", step + 1,
                loss, o->out_dir);
        }
        double lr = lr_at(&sch, step);
        double gn = optim_step(opt, m, lr, 1);
        if (!isfinite(gn)) {
            if (w) rs_close(w);
            die(EX_SOFTWARE, "step %ld: the gradient norm is %g; stopping (the last checkpoint in %s is kept)",
                step + 1, gn, o->out_dir);
        }
        step++;
        last_loss = loss;
        double dt = now_seconds() - ts;
        if (w) {
            recb_reset(&b);
            recb_put_str(&b, "stage", o->stage);
            recb_put_i64(&b, "step", step);
            recb_put_f64(&b, "epoch", (double)epoch + (double)(pos + (size_t)n) / (double)data->n);
            recb_put_f64(&b, "loss", loss);
            put_stats(&b, obj, stats, "");
            recb_put_f64(&b, "lr", lr);
            recb_put_f64(&b, "grad_norm", gn);
            recb_put_i64(&b, "examples", n);
            recb_put_i64(&b, "tokens", ntok);
            if (!o->no_timing) {
                recb_put_f64(&b, "tokens_per_s", dt > 0 ? (double)ntok / dt : 0);
                recb_put_f64(&b, "time", now_seconds() - t0);
            }
            const char *buf;
            size_t len;
            recb_finish(&b, &buf, &len);
            rs_write(w, buf, len);
            rs_flush(w);
        }
        progress_value(&pr, "loss", loss);
        progress_add(&pr, 1);
        if (o->save_every > 0 && step % o->save_every == 0 && step < total) {
            char *st = state_text(o, step, total, data);
            if (w) rs_sync(w);   /* every saved step has its metrics on disk */
            if (rank0) ckpt_save(o->out_dir, m, tok, opt, st);
            free(st);
        }
    }
    progress_finish(&pr);
    if (step < total) {   /* a signal or --stop-after */
        int sig = got_signal;
        char *st = state_text(o, step, total, data);
        if (w) rs_sync(w);
        if (rank0) ckpt_save(o->out_dir, m, tok, opt, st);
        free(st);
        if (w) rs_close(w);
        if (rank0) fprintf(stderr, "%s: %s at step %ld of %ld: checkpoint saved to %s (continue with --resume %s)\n",
                progname, !sig ? "stopped (--stop-after)" : sig == SIGINT ? "interrupted" : "terminated",
                step, total, o->out_dir, o->out_dir);
        if (sig) exit(128 + sig);
        recb_free(&b);
        free(ex);
        free(perm);
        optim_free(opt);
        return;
    }
    if (o->finish) o->finish(o->hook_ctx, m, data);
    char *st = state_text(o, step, total, data);
    if (w) rs_sync(w);
    if (rank0) ckpt_save(o->out_dir, m, tok, opt, st);
    free(st);
    if (eval) emit_eval(w, o, m, eval, obj, step, t0);
    if (w) rs_close(w);
    if (rank0) fprintf(stderr, "%s: %ld steps, last loss %.6g, %.1f s; checkpoint %s\n", progname, step, last_loss,
            now_seconds() - t0, o->out_dir);
    recb_free(&b);
    free(ex);
    free(perm);
    optim_free(opt);
}
