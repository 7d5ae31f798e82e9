/*
 * cuda_embed.cu — embedding gather and its backward over embed_body.h.
 * ids are device memory.  The backward runs one thread per table column, tokens in
 * order: deterministic and bitwise equal to the CPU backend's sums.
 */
#include "backend/cuda/cuda_int.h"
#include "backend/cuda/embed_body.h"

void cu_embed(const backend *be, float *out, const float *table, const int32_t *ids, int n, int d)
{
    cu_each((size_t)n * d, [=] __device__(size_t idx) { embed_body(idx, out, table, ids, d); });
}

void cu_embed_bwd(const backend *be, float *dt, const float *dout, const int32_t *ids, int n, int d)
{
    cu_each((size_t)d, [=] __device__(size_t j) { embed_bwd_col((int)j, dt, dout, ids, n, d); });
}
