/*
 * cuda_gemm.cu — matrix products: the row-major helpers every other CUDA
 * file uses, and the matmul / matmul_bwd ops.  Which products and how
 * they map onto column-major cuBLAS is in gemm_body.h (host-tested).
 *
 * All products are fp32 in memory (cublasGemmEx / cublasGemmBatchedEx
 * with CUDA_R_32F everywhere, through CUB); the context's compute type
 * decides the arithmetic: CUBLAS_COMPUTE_32F (fp32, no TF32),
 * CUBLAS_COMPUTE_32F_FAST_TF32, or CUBLAS_COMPUTE_32F_FAST_16BF (inputs
 * rounded to bf16 on the fly, fp32 accumulation).
 */
#include "backend/cuda/cuda_int.h"
#include "backend/cuda/gemm_body.h"

static cublasOperation_t op(int t) { return t ? CUBLAS_OP_T : CUBLAS_OP_N; }

static void run(rm_gemm g)
{
    if (g.M <= 0 || g.N <= 0) return;
    cm_gemm c = cm_from_rm(g);
    CUBLAS_CHECK(CUB.gemm_ex(CU.blas, op(c.transa), op(c.transb), c.m, c.n, c.k, &c.alpha,
                             c.A, CUDA_R_32F, c.lda, c.B, CUDA_R_32F, c.ldb, &c.beta,
                             c.C, CUDA_R_32F, c.ldc, CU.ctype, CUBLAS_GEMM_DEFAULT));
}

void cu_gemm(int transA, int transB, int M, int N, int K, float alpha,
             const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    run(rm_mk(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc));
}

/* the same mapping with arrays of pointers (cm_from_rm swaps A and B) */
void cu_gemm_batched(int transA, int transB, int M, int N, int K, float alpha,
                     const float *const *A, int lda, const float *const *B, int ldb,
                     float beta, float *const *C, int ldc, int count)
{
    if (M <= 0 || N <= 0 || count <= 0) return;
    CUBLAS_CHECK(CUB.gemm_batched_ex(CU.blas, op(transB), op(transA), N, M, K, &alpha,
                                     (const void *const *)B, CUDA_R_32F, ldb,
                                     (const void *const *)A, CUDA_R_32F, lda, &beta,
                                     (void *const *)C, CUDA_R_32F, ldc, count, CU.ctype,
                                     CUBLAS_GEMM_DEFAULT));
}

void cu_matmul(const backend *be, float *y, const float *x, const float *w, int n, int in, int out, int acc)
{
    run(mm_fwd(y, x, w, n, in, out, acc));
}

void cu_matmul_bwd(const backend *be, float *dx, float *dw, const float *dy, const float *x, const float *w,
                   int n, int in, int out, int acc_dx)
{
    if (dx) run(mm_bwd_dx(dx, dy, w, n, in, out, acc_dx));
    if (dw && n > 0) run(mm_bwd_dw(dw, dy, x, n, in, out));
}
