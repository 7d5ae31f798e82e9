/*
 * logprob_body.h — log-softmax gather (the cross-entropy / sequence
 * log-probability op) and its backward.  Forward: one block per row of
 * logits[n, V]; threads take strided shares for the max and the sum of
 * exponentials, which the block tree-reduces (cu_hd.h).  Backward: one
 * element per call, d logits = dlogp (onehot(t) - softmax), computed as
 * the CPU backend does (-g e^(x - lse), then + g at the target); rows
 * with no target or a zero gradient become 0.
 */
#ifndef PREFPIPE_CUDA_LOGPROB_BODY_H
#define PREFPIPE_CUDA_LOGPROB_BODY_H

#include "backend/cuda/cu_hd.h"

CU_HD float lp_max_partial(int tid, int nt, const float *row, int V)
{
    float mx = -INFINITY;
    for (int j = tid; j < V; j += nt) mx = row[j] > mx ? row[j] : mx;
    return mx;
}
CU_HD float lp_sum_partial(int tid, int nt, const float *row, int V, float mx)
{
    float s = 0;
    for (int j = tid; j < V; j += nt) s += expf(row[j] - mx);
    return s;
}
CU_HD void lp_finish(int i, float *logp, float *lse, const float *row, const int32_t *targets,
                     float mx, float sum)
{
    float l = mx + logf(sum);
    lse[i] = l;
    logp[i] = targets[i] >= 0 ? row[targets[i]] - l : 0.0f;
}

CU_HD void lp_bwd_body(size_t idx, float *logits, const float *lse, const float *dlogp,
                       const int32_t *targets, int V)
{
    size_t i = idx / V;
    int j = (int)(idx % V);
    float g = dlogp[i];
    int t = targets[i];
    if (t < 0 || g == 0.0f) { logits[idx] = 0.0f; return; }
    float v = -g * expf(logits[idx] - lse[i]);
    if (j == t) v += g;
    logits[idx] = v;
}

#endif
