/*
 * optim.c — AdamW with clipping and schedules (see optim.h).
 *
 * The clip factor is folded into the gradient scale passed to the adamw
 * operation, so gradients are never rewritten: scale = 1/accum, times
 * clip/norm when the averaged gradient's norm exceeds clip.
 *
 * This is the one gradient chokepoint: the gradients are all-reduced
 * (summed over ranks, dist.h) before the norm is taken, so every rank
 * clips by the whole batch's norm and applies the same update.  With one
 * process the all-reduce leaves them untouched.
 */
#include "train/optim.h"
#include "dist/dist.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>

adamw_hparams adamw_defaults(void)
{
    adamw_hparams h = {.b1 = 0.9f, .b2 = 0.999f, .eps = 1e-8f, .wd = 0.0f, .clip = 1.0f};
    return h;
}

optim *optim_new(const model *m, adamw_hparams h)
{
    optim *o = xcalloc(1, sizeof *o);
    o->h = h;
    o->n = m->nparams;
    o->be = m->be;
    o->m = m->be->alloc(m->be, o->n);
    o->v = m->be->alloc(m->be, o->n);
    return o;
}

void optim_free(optim *o)
{
    if (!o) return;
    o->be->free(o->be, o->m);
    o->be->free(o->be, o->v);
    free(o);
}

double lr_at(const lr_schedule *s, long step)
{
    if (s->warmup > 0 && step < s->warmup)
        return s->peak * (double)(step + 1) / (double)s->warmup;
    if (s->total <= 0 || s->total - 1 <= s->warmup) return s->peak;
    if (step >= s->total - 1) return s->floor;
    double frac = (double)(step - s->warmup) / (double)(s->total - 1 - s->warmup);
    return s->peak + (s->floor - s->peak) * frac;
}

double optim_step(optim *o, model *m, double lr, int accum)
{
    if (!m->grads) die(EX_SOFTWARE, "optim_step: model has no gradients");
    if (accum < 1) accum = 1;
    dist_sum_f32(m->grads, o->n);
    double norm = sqrt(o->be->sumsq(o->be, m->grads, o->n)) / accum;
    float gscale = 1.0f / (float)accum;
    if (o->h.clip > 0 && norm > o->h.clip) gscale *= (float)(o->h.clip / norm);
    o->step++;
    for (int i = 0; i < m->nviews; i++) {
        const param_view *v = &m->views[i];
        float wd = v->ndim == 2 ? o->h.wd : 0.0f;
        o->be->adamw(o->be, m->params + v->off, m->grads + v->off, o->m + v->off, o->v + v->off,
                     v->n, (float)lr, o->h.b1, o->h.b2, o->h.eps, wd, gscale, o->step);
    }
    return norm;
}
