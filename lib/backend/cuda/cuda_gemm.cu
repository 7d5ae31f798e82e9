/*
 * cuda_gemm.cu — matrix products: the row-major cblas-style helpers every
 * other CUDA file uses, and the matmul / matmul_bwd ops.
 *
 * cuBLAS is column-major.  A row-major X[r, c] with leading dimension ld
 * is, read column-major, X^T; so the row-major C = op(A) op(B) is the
 * column-major C^T = op(B)^T op(A)^T: swap the operands and the sizes M
 * and N, keep the transpose flags.  All products are fp32 in memory
 * (cublasGemmEx with CUDA_R_32F everywhere, through CUB); the context's compute type
 * decides the arithmetic: CUBLAS_COMPUTE_32F (fp32, no TF32),
 * CUBLAS_COMPUTE_32F_FAST_TF32, or CUBLAS_COMPUTE_32F_FAST_16BF (inputs
 * rounded to bf16 on the fly, fp32 accumulation).
 */
#include "backend/cuda/cuda_int.h"

void cu_gemm(int transA, int transB, int M, int N, int K, float alpha,
             const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0) return;
    CUBLAS_CHECK(CUB.gemm_ex(CU.blas, transB ? CUBLAS_OP_T : CUBLAS_OP_N,
                              transA ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha,
                              B, CUDA_R_32F, ldb, A, CUDA_R_32F, lda, &beta,
                              C, CUDA_R_32F, ldc, CU.ctype, CUBLAS_GEMM_DEFAULT));
}

void cu_gemm_batched(int transA, int transB, int M, int N, int K, float alpha,
                     const float *const *A, int lda, const float *const *B, int ldb,
                     float beta, float *const *C, int ldc, int count)
{
    if (M <= 0 || N <= 0 || count <= 0) return;
    CUBLAS_CHECK(CUB.gemm_batched_ex(CU.blas, transB ? CUBLAS_OP_T : CUBLAS_OP_N,
                                     transA ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha,
                                     (const void *const *)B, CUDA_R_32F, ldb,
                                     (const void *const *)A, CUDA_R_32F, lda, &beta,
                                     (void *const *)C, CUDA_R_32F, ldc, count, CU.ctype,
                                     CUBLAS_GEMM_DEFAULT));
}

/* y[n,out] (+)= x[n,in] W[out,in]^T */
void cu_matmul(const backend *be, float *y, const float *x, const float *w, int n, int in, int out, int acc)
{
    cu_gemm(0, 1, n, out, in, 1.0f, x, in, w, in, acc ? 1.0f : 0.0f, y, out);
}

/* dx[n,in] (+)= dy W;  dw[out,in] += dy^T x */
void cu_matmul_bwd(const backend *be, float *dx, float *dw, const float *dy, const float *x, const float *w,
                   int n, int in, int out, int acc_dx)
{
    if (dx) cu_gemm(0, 0, n, in, out, 1.0f, dy, out, w, in, acc_dx ? 1.0f : 0.0f, dx, in);
    if (dw && n > 0) cu_gemm(1, 0, out, in, n, 1.0f, dy, out, x, in, 1.0f, dw, in);
}
