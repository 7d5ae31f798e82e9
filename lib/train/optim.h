/*
 * optim.h — AdamW over a model's flat parameter buffer, with global-norm
 * gradient clipping, gradient accumulation and learning-rate schedules
 * (linear warm-up, then linear decay to zero or to a floor).
 *
 * The moment buffers m and v have the parameter buffer's layout, so a
 * checkpoint saves them as two flat tensors beside `step` and resuming
 * continues bit-for-bit.  Weight decay applies to matrices only (norm
 * weights are exempt, as in Hugging Face trainers).  The arithmetic is the
 * backend's adamw operation.
 */
#ifndef PREFPIPE_OPTIM_H
#define PREFPIPE_OPTIM_H

#include "model/model.h"

typedef struct {
    float b1, b2, eps, wd;  /* paper's PPO: 0.9, 0.95, 1e-5, 0 */
    float clip;             /* global-norm clip; <= 0 disables */
} adamw_hparams;

typedef struct {
    adamw_hparams h;
    long step;              /* updates done so far */
    float *m, *v;           /* backend memory, model->nparams floats each */
    size_t n;
    const backend *be;
} optim;

typedef struct {
    double peak;            /* learning rate after warm-up */
    double floor;           /* learning rate at the end (0 = decay to zero) */
    long warmup, total;     /* steps; total <= 0: constant after warm-up */
} lr_schedule;

adamw_hparams adamw_defaults(void);   /* 0.9, 0.999, 1e-8, 0, clip 1.0 */
optim *optim_new(const model *m, adamw_hparams h);
void optim_free(optim *o);

/* Learning rate for update number `step` (0-based): (step+1)/warmup * peak
 * during warm-up, then linear from peak to floor at step total-1. */
double lr_at(const lr_schedule *s, long step);

/* One update from the gradients accumulated over `accum` micro-batches
 * (they are averaged).  Returns the global gradient norm before clipping.
 * Gradients are left untouched (zero them before the next accumulation). */
double optim_step(optim *o, model *m, double lr, int accum);

#endif
