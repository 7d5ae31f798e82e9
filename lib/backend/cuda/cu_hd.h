/*
 * cu_hd.h — the one macro that lets a kernel's per-element body be shared
 * between the GPU and a plain C test on the host.
 *
 * Every *_body.h in this folder holds `CU_HD` functions: under nvcc they
 * are `__host__ __device__` (the kernels in the .cu files call them once
 * per thread), under a C compiler they are ordinary static inline
 * functions (tests/unit/backend/test_cuda_bodies.c loops them over the
 * same index space a kernel's grid covers and compares the result with
 * the CPU backend).  So the index arithmetic, masking and formulas that
 * run on the device are exercised by `make test` on machines without a
 * GPU; only the launch geometry and the cuBLAS calls are GPU-only.
 *
 * Bodies use only <math.h> functions that exist on both sides (expf, logf,
 * sqrtf, cosf, sinf, pow, sqrt) and no globals.
 */
#ifndef PREFPIPE_CU_HD_H
#define PREFPIPE_CU_HD_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __CUDACC__
#define CU_HD static __host__ __device__ inline
#else
#define CU_HD static inline
#endif

/* Threads per block of every kernel (a power of two: the tree
 * reductions below assume it); the host tests emulate this many. */
#define CU_THREADS 256

/* Sum s[0..nt) in the order a shared-memory tree reduction over nt
 * threads (nt a power of two) adds them: step by step, s[t] += s[t + w]
 * for t < w, w = nt/2, nt/4, ... 1.  The kernels do the same with a
 * __syncthreads() between steps; the host tests call this to reproduce
 * their rounding. */
CU_HD double cu_tree_sum_d(double *s, int nt)
{
    for (int w = nt / 2; w > 0; w /= 2)
        for (int t = 0; t < w; t++) s[t] += s[t + w];
    return s[0];
}
CU_HD float cu_tree_sum_f(float *s, int nt)
{
    for (int w = nt / 2; w > 0; w /= 2)
        for (int t = 0; t < w; t++) s[t] += s[t + w];
    return s[0];
}
CU_HD float cu_tree_max_f(float *s, int nt)
{
    for (int w = nt / 2; w > 0; w /= 2)
        for (int t = 0; t < w; t++) s[t] = s[t + w] > s[t] ? s[t + w] : s[t];
    return s[0];
}

#endif
