/*
 * cuda_int.h — private to lib/backend/cuda: the device context, the error
 * checks, scratch buffers, the launch helpers and the op launchers that
 * cuda_ctx.cu assembles into the backend table.  C++ (nvcc) only.
 *
 * Invariants:
 * - One device per process: one context (CU, also the instance's ctx)
 *   with one cuBLAS handle and one non-default stream.  Every kernel,
 *   cuBLAS call and copy goes to that stream, so ops run in the order
 *   they are issued, and download/download_bytes/sumsq (which wait for
 *   the stream) see the results of every earlier op (backend.h's sync
 *   rules).  Each op takes the instance first, as backend.h requires, and
 *   ignores it: there is only one.
 * - cuBLAS is loaded with dlopen when a device is opened (CUB below),
 *   not linked: its 600 MB of shared objects cost ~2 s at every process
 *   start, and CPU-only runs must not pay that (nor fail where the
 *   library is missing).  The CUDA runtime is linked statically; it
 *   finds the driver itself.
 * - Every CUDA runtime and cuBLAS call is wrapped in CU_CHECK/CUBLAS_CHECK,
 *   which die with "cuda: FILE:LINE: call: reason" (exit 70; 71 when out
 *   of device memory).  Kernel launches are checked with CU_LAUNCH_CHECK.
 * - Every pointer an op receives is device memory, integer inputs
 *   (ids, positions, targets, masks) included: the model uploads them
 *   once per batch (backend.h).
 * - Scratch buffers only grow; they are freed at exit by the driver.
 * - Reductions never use atomics: per-thread partials, a fixed-order tree
 *   in shared memory (the order cu_hd.h's cu_tree_* reproduce on the
 *   host), then block results in block order.  Same inputs, same bits.
 */
#ifndef PREFPIPE_CUDA_INT_H
#define PREFPIPE_CUDA_INT_H

#include "backend/cuda/cu_hd.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {
#include "backend/backend_int.h"
void die(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
}

void cu_check(cudaError_t e, const char *call, const char *file, int line);
void cublas_check(cublasStatus_t s, const char *call, const char *file, int line);
#define CU_CHECK(call) cu_check((call), #call, __FILE__, __LINE__)
#define CUBLAS_CHECK(call) cublas_check((call), #call, __FILE__, __LINE__)
#define CU_LAUNCH_CHECK() cu_check(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)

/* the cuBLAS entry points we use, resolved by dlsym (cuda_ctx.cu) */
struct cu_blas_fns {
    cublasStatus_t (*create)(cublasHandle_t *);
    cublasStatus_t (*set_stream)(cublasHandle_t, cudaStream_t);
    cublasStatus_t (*set_math_mode)(cublasHandle_t, cublasMath_t);
    cublasStatus_t (*gemm_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
                              const void *, const void *, cudaDataType, int, const void *,
                              cudaDataType, int, const void *, void *, cudaDataType, int,
                              cublasComputeType_t, cublasGemmAlgo_t);
    cublasStatus_t (*gemm_batched_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int,
                                      int, int, const void *, const void *const *, cudaDataType,
                                      int, const void *const *, cudaDataType, int, const void *,
                                      void *const *, cudaDataType, int, int, cublasComputeType_t,
                                      cublasGemmAlgo_t);
    const char *(*status_string)(cublasStatus_t);
    const char *(*status_name)(cublasStatus_t);
};
extern cu_blas_fns CUB;

/* compute modes of the matrix products (fp32 master data always) */
enum cu_precision { CU_FP32 = 0, CU_TF32 = 1, CU_BF16 = 2 };

struct cu_ctx {
    int dev;                       /* device ordinal, -1 before opening */
    cudaStream_t st;
    cublasHandle_t blas;
    cublasComputeType_t ctype;     /* from the precision */
    int prec;
};
extern cu_ctx CU;

/* scratch slots (grow-only device buffers) */
enum { CU_S_ATT_S, CU_S_ATT_P, CU_S_ATT_D, CU_S_ATT_DK,
       CU_S_ATT_DV, CU_S_PTRS, CU_S_RED, CU_S_ONES, CU_S_N };
void *cu_scratch(int slot, size_t bytes);

/* launch geometry: grid-stride loops of CU_THREADS threads */
/* CU_THREADS (cu_hd.h): threads per block everywhere */
static inline unsigned cu_blocks(size_t n)
{
    size_t b = (n + CU_THREADS - 1) / CU_THREADS;
    if (b > 65536) b = 65536;
    return b ? (unsigned)b : 1u;
}

/* f(i) for i in [0, n), grid-stride; f is a __device__ lambda */
template <typename F> __global__ void cu_each_kernel(size_t n, F f)
{
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        f(i);
}
template <typename F> static inline void cu_each(size_t n, F f)
{
    if (n == 0) return;
    cu_each_kernel<<<cu_blocks(n), CU_THREADS, 0, CU.st>>>(n, f);
    CU_LAUNCH_CHECK();
}

/* Block-wide tree reductions in the order of cu_tree_* (cu_hd.h); every
 * thread of the block gets the result.  blockDim.x must be a power of 2. */
template <typename T> __device__ inline T cu_block_sum(T v, T *sh)
{
    int t = threadIdx.x;
    sh[t] = v;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w /= 2) {
        if (t < w) sh[t] += sh[t + w];
        __syncthreads();
    }
    T r = sh[0];
    __syncthreads();
    return r;
}
__device__ inline float cu_block_max(float v, float *sh)
{
    int t = threadIdx.x;
    sh[t] = v;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w /= 2) {
        if (t < w) sh[t] = sh[t + w] > sh[t] ? sh[t + w] : sh[t];
        __syncthreads();
    }
    float r = sh[0];
    __syncthreads();
    return r;
}

/* Row-major products in cblas terms: C[M,N] = alpha op(A) op(B) + beta C
 * (cuda_gemm.cu maps them onto column-major cuBLAS with the context's
 * compute type).  The batched form takes device arrays of pointers. */
void cu_gemm(int transA, int transB, int M, int N, int K, float alpha,
             const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
void cu_gemm_batched(int transA, int transB, int M, int N, int K, float alpha,
                     const float *const *A, int lda, const float *const *B, int ldb,
                     float beta, float *const *C, int ldc, int count);

/* the ops, one family per file */
void cu_matmul(const backend *be, float *y, const float *x, const float *w, int n, int in, int out, int acc);
void cu_matmul_bwd(const backend *be, float *dx, float *dw, const float *dy, const float *x, const float *w,
                   int n, int in, int out, int acc_dx);
void cu_matmul_rows(const backend *be, float *y, const float *x, const float *w, int n, int in, int out, int acc);
void cu_matmul_rows_n(const backend *be, const rows_prod *p, int count, const float *x, int n, int in, int acc);
void cu_attention_rows(const backend *be, float *out, float *lse, const float *q, const float *k,
                       const float *v, const uint8_t *valid, int B, int Tq, int q0, int kstride,
                       int H, int KV, int hd);
void cu_embed(const backend *be, float *out, const float *table, const int32_t *ids, int n, int d);
void cu_embed_bwd(const backend *be, float *dt, const float *dout, const int32_t *ids, int n, int d);
void cu_rmsnorm(const backend *be, float *y, float *rstd, const float *x, const float *w, int n, int d, float eps);
void cu_rmsnorm_bwd(const backend *be, float *dx, float *dw, const float *dy, const float *x, const float *w,
                    const float *rstd, int n, int d, int acc_dx);
void cu_rope(const backend *be, float *x, const int32_t *pos, int n, int heads, int hd, float theta, int inverse);
void cu_attention(const backend *be, float *out, float *lse, const float *q, const float *k, const float *v,
                  const uint8_t *valid, int B, int Tq, int q0, int kstride, int H, int KV, int hd);
void cu_attention_bwd(const backend *be, float *dq, float *dk, float *dv, const float *dout, const float *q,
                      const float *k, const float *v, const float *out, const float *lse,
                      const uint8_t *valid, int B, int T, int H, int KV, int hd);
void cu_attention_seqs(const backend *be, float *out, float *lse, const float *q, const float *k,
                       const float *v, const int *len, int nseq, int H, int KV, int hd);
void cu_attention_seqs_bwd(const backend *be, float *dq, float *dk, float *dv, const float *dout,
                           const float *q, const float *k, const float *v, const float *out,
                           const float *lse, const int *len, int nseq, int H, int KV, int hd);
void cu_zero_rows(const backend *be, float *x, const uint8_t *mask, int n, int d);
void cu_swiglu(const backend *be, float *h, const float *g, const float *u, size_t n);
void cu_swiglu_bwd(const backend *be, float *dg, float *du, const float *dh, const float *g, const float *u, size_t n);
void cu_geglu(const backend *be, float *h, const float *g, const float *u, size_t n);
void cu_geglu_bwd(const backend *be, float *dg, float *du, const float *dh, const float *g, const float *u, size_t n);
void cu_add(const backend *be, float *y, const float *x, size_t n);
void cu_scale(const backend *be, float *x, float s, size_t n);
double cu_sumsq(const backend *be, const float *x, size_t n);
void cu_adamw(const backend *be, float *p, const float *g, float *m, float *v, size_t n, float lr, float b1,
              float b2, float eps, float wd, float gscale, long t);
void cu_logprob(const backend *be, float *logp, float *lse, const float *logits, const int32_t *targets, int n, int V);
void cu_logprob_bwd(const backend *be, float *logits, const float *lse, const float *dlogp, const int32_t *targets,
                    int n, int V);

#endif
