/*
 * embed_body.h — the embedding gather and its backward.
 *
 * Forward: one element of out[n, d] per call.  Backward: one COLUMN j of
 * the table gradient per call, walking the tokens in order: repeated ids
 * add up in token order, with no atomics, so the result is deterministic
 * and bitwise equal to the CPU backend's serial loop (same additions in
 * the same order).  d threads are enough parallelism for d >= 256; the
 * op is a tiny part of a step.
 */
#ifndef PREFPIPE_CUDA_EMBED_BODY_H
#define PREFPIPE_CUDA_EMBED_BODY_H

#include "backend/cuda/cu_hd.h"

CU_HD void embed_body(size_t idx, float *out, const float *table, const int32_t *ids, int d)
{
    size_t i = idx / (size_t)d, j = idx % (size_t)d;
    out[idx] = table[(size_t)ids[i] * d + j];
}

CU_HD void embed_bwd_col(int j, float *dt, const float *dout, const int32_t *ids, int n, int d)
{
    for (int i = 0; i < n; i++)
        dt[(size_t)ids[i] * d + j] += dout[(size_t)i * d + j];
}

#endif
