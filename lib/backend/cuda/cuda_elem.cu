/*
 * cuda_elem.cu — elementwise ops (SiLU gate and backward, add, scale,
 * AdamW, zero_rows) as grid-stride loops over the bodies in elem_body.h, and the sum
 * of squares used for gradient clipping.
 *
 * sumsq is deterministic: a fixed grid of CU_SQ_BLOCKS x CU_THREADS threads,
 * per-thread double partials (sumsq_partial), a shared-memory tree per
 * block, then one block tree-sums the block results; the double goes to
 * the host (a synchronising download: the caller needs the number).
 */
#include "backend/cuda/cuda_int.h"
#include "backend/cuda/elem_body.h"

void cu_swiglu(const backend *be, float *h, const float *g, const float *u, size_t n)
{
    cu_each(n, [=] __device__(size_t i) { swiglu_body(i, h, g, u); });
}

void cu_swiglu_bwd(const backend *be, float *dg, float *du, const float *dh, const float *g, const float *u, size_t n)
{
    cu_each(n, [=] __device__(size_t i) { swiglu_bwd_body(i, dg, du, dh, g, u); });
}

void cu_geglu(const backend *be, float *h, const float *g, const float *u, size_t n)
{
    cu_each(n, [=] __device__(size_t i) { geglu_body(i, h, g, u); });
}

void cu_geglu_bwd(const backend *be, float *dg, float *du, const float *dh, const float *g, const float *u, size_t n)
{
    cu_each(n, [=] __device__(size_t i) { geglu_bwd_body(i, dg, du, dh, g, u); });
}

void cu_zero_rows(const backend *be, float *x, const uint8_t *mask, int n, int d)
{
    cu_each((size_t)n * d, [=] __device__(size_t idx) { zero_rows_body(idx, x, mask, d); });
}

void cu_add(const backend *be, float *y, const float *x, size_t n)
{
    cu_each(n, [=] __device__(size_t i) { add_body(i, y, x); });
}

void cu_scale(const backend *be, float *x, float s, size_t n)
{
    cu_each(n, [=] __device__(size_t i) { scale_body(i, x, s); });
}

void cu_adamw(const backend *be, float *p, const float *g, float *m, float *v, size_t n, float lr, float b1,
              float b2, float eps, float wd, float gscale, long t)
{
    float c1 = 1.0f - powf(b1, (float)t), c2 = 1.0f - powf(b2, (float)t);
    cu_each(n, [=] __device__(size_t i) { adamw_body(i, p, g, m, v, lr, b1, b2, eps, wd, gscale, c1, c2); });
}

__global__ void sumsq_blocks(const float *x, size_t n, double *part)
{
    __shared__ double sh[CU_THREADS];
    size_t tid = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    double s = cu_block_sum(sumsq_partial(tid, (size_t)gridDim.x * blockDim.x, x, n), sh);
    if (threadIdx.x == 0) part[blockIdx.x] = s;
}

__global__ void sumsq_final(double *part)
{
    __shared__ double sh[CU_SQ_BLOCKS];
    double s = cu_block_sum(part[threadIdx.x], sh);
    if (threadIdx.x == 0) part[CU_SQ_BLOCKS] = s;
}

double cu_sumsq(const backend *be, const float *x, size_t n)
{
    double *part = (double *)cu_scratch(CU_S_RED, (CU_SQ_BLOCKS + 1) * sizeof(double));
    sumsq_blocks<<<CU_SQ_BLOCKS, CU_THREADS, 0, CU.st>>>(x, n, part);
    CU_LAUNCH_CHECK();
    sumsq_final<<<1, CU_SQ_BLOCKS, 0, CU.st>>>(part);
    CU_LAUNCH_CHECK();
    double r;
    CU_CHECK(cudaMemcpyAsync(&r, part + CU_SQ_BLOCKS, sizeof r, cudaMemcpyDeviceToHost, CU.st));
    CU_CHECK(cudaStreamSynchronize(CU.st));
    return r;
}
