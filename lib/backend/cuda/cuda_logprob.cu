/*
 * cuda_logprob.cu — log-softmax gather (cross-entropy / sequence
 * log-probabilities) and its backward over logprob_body.h.  Forward: one
 * block per row of logits[n, V] (max and sum of exponentials tree-reduced
 * in shared memory), only lse and the target's log-probability leave the
 * row.  Backward: in place over the logits, one element per thread.
 * targets are device memory.
 */
#include "backend/cuda/cuda_int.h"
#include "backend/cuda/logprob_body.h"

__global__ void logprob_rows(float *logp, float *lse, const float *logits, const int32_t *targets, int V)
{
    __shared__ float sh[CU_THREADS];
    int i = blockIdx.x;
    const float *row = logits + (size_t)i * V;
    float mx = cu_block_max(lp_max_partial(threadIdx.x, blockDim.x, row, V), sh);
    float s = cu_block_sum(lp_sum_partial(threadIdx.x, blockDim.x, row, V, mx), sh);
    if (threadIdx.x == 0) lp_finish(i, logp, lse, row, targets, mx, s);
}

void cu_logprob(const backend *be, float *logp, float *lse, const float *logits, const int32_t *targets, int n, int V)
{
    if (n <= 0) return;
    logprob_rows<<<n, CU_THREADS, 0, CU.st>>>(logp, lse, logits, targets, V);
    CU_LAUNCH_CHECK();
}

void cu_logprob_bwd(const backend *be, float *logits, const float *lse, const float *dlogp, const int32_t *targets,
                    int n, int V)
{
    cu_each((size_t)n * V, [=] __device__(size_t idx) { lp_bwd_body(idx, logits, lse, dlogp, targets, V); });
}
