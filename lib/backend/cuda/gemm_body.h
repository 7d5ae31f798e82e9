/*
 * gemm_body.h — the argument mapping of every matrix product, shared by
 * cuda_gemm.cu and the host test.
 *
 * Products are written row-major in cblas terms (rm_gemm: C[M,N] =
 * alpha op(A) op(B) + beta C).  cuBLAS is column-major: a row-major X
 * with leading dimension ld is, read column-major, X^T, so the row-major
 * product is the column-major C^T = op(B)^T op(A)^T — operands swapped,
 * M and N swapped, transpose flags kept (cm_from_rm).  The matmul op and
 * its backward are three such products (mm_*).  The host test runs a
 * plain column-major GEMM (the BLAS definition) on cm_from_rm's output
 * and compares with the CPU backend, so the whole mapping except cuBLAS
 * itself is checked without a GPU.
 */
#ifndef PREFPIPE_CUDA_GEMM_BODY_H
#define PREFPIPE_CUDA_GEMM_BODY_H

#include "backend/cuda/cu_hd.h"

/* a row-major product: C[M,N] = alpha op(A) op(B) + beta C */
typedef struct {
    int ta, tb, M, N, K;
    float alpha;
    const float *A; int lda;
    const float *B; int ldb;
    float beta;
    float *C; int ldc;
} rm_gemm;

/* the same product as a column-major (cuBLAS) call */
typedef struct {
    int transa, transb, m, n, k;
    float alpha;
    const float *A; int lda;
    const float *B; int ldb;
    float beta;
    float *C; int ldc;
} cm_gemm;

CU_HD cm_gemm cm_from_rm(rm_gemm g)
{
    cm_gemm c = {g.tb, g.ta, g.N, g.M, g.K, g.alpha, g.B, g.ldb, g.A, g.lda, g.beta, g.C, g.ldc};
    return c;
}

CU_HD rm_gemm rm_mk(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                    const float *B, int ldb, float beta, float *C, int ldc)
{
    rm_gemm g = {ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc};
    return g;
}

/* y[n,out] (+)= x[n,in] W[out,in]^T */
CU_HD rm_gemm mm_fwd(float *y, const float *x, const float *w, int n, int in, int out, int acc)
{
    return rm_mk(0, 1, n, out, in, 1.0f, x, in, w, in, acc ? 1.0f : 0.0f, y, out);
}
/* dx[n,in] (+)= dy[n,out] W[out,in] */
CU_HD rm_gemm mm_bwd_dx(float *dx, const float *dy, const float *w, int n, int in, int out, int acc)
{
    return rm_mk(0, 0, n, in, out, 1.0f, dy, out, w, in, acc ? 1.0f : 0.0f, dx, in);
}
/* dw[out,in] += dy^T x */
CU_HD rm_gemm mm_bwd_dw(float *dw, const float *dy, const float *x, int n, int in, int out)
{
    return rm_mk(1, 0, out, in, n, 1.0f, dy, out, x, in, 1.0f, dw, in);
}

#endif
