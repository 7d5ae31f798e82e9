/*
 * cuda_rmsnorm.cu — RMSNorm forward and backward over rmsnorm_body.h:
 * one block of CU_THREADS threads per row (block tree-sum in double),
 * and for the weight gradient one thread per column summing rows in
 * order (deterministic, the CPU backend's order).
 */
#include "backend/cuda/cuda_int.h"
#include "backend/cuda/rmsnorm_body.h"

__global__ void rmsnorm_rows(float *y, float *rstd, const float *x, const float *w, int d, float eps)
{
    __shared__ double sh[CU_THREADS];
    size_t i = blockIdx.x;
    const float *xi = x + i * d;
    float *yi = y + i * d;
    double ss = cu_block_sum(rms_partial(threadIdx.x, blockDim.x, xi, d), sh);
    float r = rms_rstd(ss, d, eps);
    if (threadIdx.x == 0) rstd[i] = r;
    for (int j = threadIdx.x; j < d; j += blockDim.x) yi[j] = rms_y(w[j], xi[j], r);
}

__global__ void rmsnorm_bwd_rows(float *dx, const float *dy, const float *x, const float *w,
                                 const float *rstd, int d, int acc)
{
    __shared__ double sh[CU_THREADS];
    size_t i = blockIdx.x;
    const float *xi = x + i * d, *gi = dy + i * d;
    float *dxi = dx + i * d;
    float r = rstd[i];
    double dot = cu_block_sum(rms_bwd_partial(threadIdx.x, blockDim.x, w, gi, xi, d), sh);
    float c = rms_bwd_c(dot, r, d);
    for (int j = threadIdx.x; j < d; j += blockDim.x) {
        float v = rms_dx(r, w[j], gi[j], xi[j], c);
        dxi[j] = acc ? dxi[j] + v : v;
    }
}

void cu_rmsnorm(const backend *be, float *y, float *rstd, const float *x, const float *w, int n, int d, float eps)
{
    if (n <= 0) return;
    rmsnorm_rows<<<n, CU_THREADS, 0, CU.st>>>(y, rstd, x, w, d, eps);
    CU_LAUNCH_CHECK();
}

void cu_rmsnorm_bwd(const backend *be, float *dx, float *dw, const float *dy, const float *x, const float *w,
                    const float *rstd, int n, int d, int acc_dx)
{
    if (n <= 0) return;
    rmsnorm_bwd_rows<<<n, CU_THREADS, 0, CU.st>>>(dx, dy, x, w, rstd, d, acc_dx);
    CU_LAUNCH_CHECK();
    if (dw) cu_each((size_t)d, [=] __device__(size_t j) { rms_dw_col((int)j, dw, dy, x, rstd, n, d); });
}
