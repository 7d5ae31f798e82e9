/*
 * trainer.h — the step loop shared by sft-step, rm-train and dpo-step.
 *
 * Data: the stage spools its input (train_spool_inputs) — records are
 * tokenized once into an unlinked temporary file — so any number of
 * epochs can re-read a stream.  Each epoch visits the examples in a
 * seeded permutation (train_shuffle(seed, epoch)); a step takes the next
 * `batch` examples of that order (the last step of an epoch may be
 * smaller), splits them into forward passes of `micro` examples and
 * accumulates gradients; the objective scales every example's loss by
 * 1/(examples or tokens in the STEP), so the update is that of the step's
 * mean loss whatever the micro-batch size (optim_step with accum 1).
 *
 * Schedule: total = epochs * ceil(n / batch) steps (or --max-steps),
 * warm-up = round(warmup_frac * total) steps, then linear decay to
 * lr_floor (optim.h lr_at).
 *
 * Outputs: one `metrics` record per step (stage, step, epoch, loss, lr,
 * grad_norm, tokens, tokens_per_s, examples, time, and the objective's
 * statistics) and, with an eval set, one record with eval_* numbers
 * before the first and after the last step; progress on stderr.
 *
 * Checkpoints (ckpt_save, atomic) every save_every steps and at the end,
 * with trainer_state.json: {stage, step, total_steps, epochs, batch, seed,
 * examples, data_hash, ...}.  --resume DIR loads the model (the stage
 * does), the optimizer moments and the step from DIR, checks that data
 * and settings match, and continues: the permutation, the schedule and
 * the optimizer state are functions of (seed, step), so the final weights
 * equal those of an uninterrupted run (same thread count).
 *
 * --stop-after N ends an invocation after N steps with a checkpoint that
 * --resume continues (time-sliced training; the resume test uses it).
 * SIGINT/SIGTERM during training: the current step finishes, a checkpoint
 * is saved, and the program exits 128 + signal number.  A non-finite loss
 * or gradient norm stops training before the update with exit 70; the last
 * checkpoint written stays as it was.
 */
#ifndef PREFPIPE_TRAINER_H
#define PREFPIPE_TRAINER_H

#include "model/model.h"
#include "train/optim.h"
#include "text/tokenizer.h"
#include "train/batch.h"
#include "train/examples.h"

#define TRAIN_MAX_STATS 12

typedef struct {
    long examples;         /* examples in the step (or the eval set) */
    long tokens;           /* response tokens in the step (or eval set) */
} train_norm;

typedef struct {
    int nstats;
    const char *stat[TRAIN_MAX_STATS];
    int want_logp, want_values;
    /* Loss of the batch's examples divided by the step's normaliser.
     * dlogp / dvalues ([rows * T], zeroed) are NULL in evaluation; else the
     * objective fills the gradient of the value it returns.  stats[j]
     * receives normalised contributions (their sum over the step is the
     * step's mean). */
    double (*micro)(void *ctx, const train_batch *b, const float *logp, const float *values,
                    float *dlogp, float *dvalues, const train_norm *nm, double *stats);
    void *ctx;
} train_objective;

typedef struct {
    const char *stage;
    int epochs;
    long max_steps;        /* 0: epochs decide */
    int batch, micro;      /* examples per update / per forward */
    double lr, lr_floor, warmup_frac;
    adamw_hparams h;
    uint64_t seed;
    long save_every;       /* 0: only at the end */
    long stop_after;       /* >0: save and return after this many steps of
                              this invocation (schedule unchanged) */
    const char *out_dir, *resume_dir, *metrics_uri;
    int progress;
    int no_timing;         /* leave time and tokens_per_s out of metrics
                              (then metrics are byte-for-byte reproducible) */
    /* Extra members for trainer_state.json ("\"k\": v, ..." malloc'd, or
     * NULL); called at every save. */
    char *(*state_extra)(void *ctx);
    /* Called once after the last step, before the final save. */
    void (*finish)(void *ctx, model *m, train_spool *data);
    void *hook_ctx;
} train_opts;

void train_opts_defaults(train_opts *o);

/* Refuse early (exit 73) when a checkpoint cannot be created at dir
 * (not writable, or a directory that is not a checkpoint without --force). */
void train_check_output(const char *dir);

/* The metrics writer; a run resumed at resume_step (> 0) whose metrics go
 * to an existing file continues that file: its records up to resume_step
 * are kept, later ones (written after the last checkpoint by a killed run)
 * dropped (metrics_log.c). */
struct rstream *train_metrics_open(const char *uri, long resume_step);

/* Read every record of the inputs (stream URIs, through io/inputs.h) into
 * the spool.  With a reference model, examples without reference
 * log-probs are scored in groups of ref_batch valid examples, in input
 * order (as ref-score does).  Counts are reported on stderr under
 * `label`. */
void train_spool_inputs(train_spool *s, char **uris, int nuris, const train_prep *p,
                        model *ref, int ref_batch, train_counts *c, const char *label);

/* Train.  opt may be NULL (a fresh AdamW with o->h, or the one in
 * resume_dir).  eval may be NULL. */
void train_run(const train_opts *o, model *m, const tokenizer *tok, train_spool *data,
               train_spool *eval, train_objective *obj);

/* Evaluate obj over a spool without gradients: mean loss, stats. */
double train_evaluate(model *m, train_spool *s, int micro, train_objective *obj, double *stats);

#endif
