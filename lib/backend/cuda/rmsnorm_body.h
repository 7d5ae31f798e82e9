/*
 * rmsnorm_body.h — RMSNorm pieces.  The kernels (cuda_rmsnorm.cu) run one
 * block per row: each thread sums its strided share of the row in double
 * (rms_partial), the block tree-sums the partials (cu_hd.h), then every
 * thread finishes its elements with rms_y / rms_dx.  The weight gradient
 * is one thread per column summing over rows in row order in double
 * (rms_dw_col), the CPU backend's order, so dw is deterministic.
 */
#ifndef PREFPIPE_CUDA_RMSNORM_BODY_H
#define PREFPIPE_CUDA_RMSNORM_BODY_H

#include "backend/cuda/cu_hd.h"

/* forward partial: sum of x_j^2 over j = tid, tid + nt, ... */
CU_HD double rms_partial(int tid, int nt, const float *xrow, int d)
{
    double s = 0;
    for (int j = tid; j < d; j += nt) s += (double)xrow[j] * xrow[j];
    return s;
}

CU_HD float rms_rstd(double ss, int d, float eps) { return (float)(1.0 / sqrt(ss / d + eps)); }

CU_HD float rms_y(float w, float x, float r) { return w * (x * r); }

/* backward partial: sum of w_j dy_j x_j */
CU_HD double rms_bwd_partial(int tid, int nt, const float *w, const float *grow,
                             const float *xrow, int d)
{
    double s = 0;
    for (int j = tid; j < d; j += nt) s += (double)w[j] * grow[j] * xrow[j];
    return s;
}

CU_HD float rms_bwd_c(double dot, float r, int d) { return (float)(dot * r * r * r / d); }

/* dx_j = r w_j dy_j - x_j c */
CU_HD float rms_dx(float r, float w, float g, float x, float c) { return r * w * g - x * c; }

CU_HD void rms_dw_col(int j, float *dw, const float *dy, const float *x,
                      const float *rstd, int n, int d)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += (double)dy[(size_t)i * d + j] * x[(size_t)i * d + j] * rstd[i];
    dw[j] += (float)s;
}

#endif
