/*
 * elem_body.h — per-element bodies of the elementwise operations (SiLU
 * gate and its backward, residual add, scale, AdamW, zeroing masked
 * rows) and the per-thread partial of the sum of squares.  One call = one element i; the kernels
 * in cuda_elem.cu run them over a grid-stride loop, the host test over
 * 0..n-1.  Formulas are written term for term as in backend_cpu.c so the
 * two differ only by expf against the CPU's polynomial exp (~1e-7
 * relative) and by fused multiply-adds on the device.
 */
#ifndef PREFPIPE_CUDA_ELEM_BODY_H
#define PREFPIPE_CUDA_ELEM_BODY_H

#include "backend/cuda/cu_hd.h"

/* h = silu(g) * u */
CU_HD void swiglu_body(size_t i, float *h, const float *g, const float *u)
{
    float s = g[i] / (1.0f + expf(-g[i]));
    h[i] = s * u[i];
}

/* du = dh silu(g); dg = dh u silu'(g), silu' = sg (1 + g (1 - sg)) */
CU_HD void swiglu_bwd_body(size_t i, float *dg, float *du, const float *dh,
                           const float *g, const float *u)
{
    float sg = 1.0f / (1.0f + expf(-g[i]));
    float silu = g[i] * sg;
    float dsilu = sg * (1.0f + g[i] * (1.0f - sg));
    float d = dh[i];
    du[i] = d * silu;
    dg[i] = d * u[i] * dsilu;
}

/* h = gelu_tanh(g) * u (Gemma), term for term as cpu_geglu */
CU_HD void geglu_body(size_t i, float *h, const float *g, const float *u)
{
    float x = g[i], t = tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x));
    h[i] = 0.5f * x * (1.0f + t) * u[i];
}

CU_HD void geglu_bwd_body(size_t i, float *dg, float *du, const float *dh,
                          const float *g, const float *u)
{
    float x = g[i], t = tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x));
    float gelu = 0.5f * x * (1.0f + t);
    float dgelu = 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * 0.7978845608028654f * (1.0f + 3.0f * 0.044715f * x * x);
    du[i] = dh[i] * gelu;
    dg[i] = dh[i] * u[i] * dgelu;
}

/* x[i, :] = 0 where mask[i] == 0; idx over n*d */
CU_HD void zero_rows_body(size_t idx, float *x, const uint8_t *mask, int d)
{
    if (!mask[idx / (size_t)d]) x[idx] = 0.0f;
}

CU_HD void add_body(size_t i, float *y, const float *x) { y[i] += x[i]; }
CU_HD void scale_body(size_t i, float *x, float s) { x[i] *= s; }

/* One AdamW element; c1 = 1 - b1^t and c2 = 1 - b2^t come from the host
 * (computed once per step, as the CPU backend does). */
CU_HD void adamw_body(size_t i, float *p, const float *g, float *m, float *v,
                      float lr, float b1, float b2, float eps, float wd,
                      float gscale, float c1, float c2)
{
    float gi = g[i] * gscale;
    m[i] = b1 * m[i] + (1.0f - b1) * gi;
    v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
    float mh = m[i] / c1, vh = v[i] / c2;
    p[i] -= lr * (mh / (sqrtf(vh) + eps) + wd * p[i]);
}

/* Thread tid of nt (the whole grid) sums x[tid], x[tid + nt], ... in
 * double; the partials are then tree-summed per block and the block
 * sums in block order, so the result is the same on every run. */
#define CU_SQ_BLOCKS 256   /* the fixed grid of the sum of squares */
CU_HD double sumsq_partial(size_t tid, size_t nt, const float *x, size_t n)
{
    double s = 0;
    for (size_t i = tid; i < n; i += nt) s += (double)x[i] * x[i];
    return s;
}

#endif
