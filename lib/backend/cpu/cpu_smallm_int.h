/*
 * cpu_smallm_int.h — products with one to three rows (decoding) that do not
 * pack the weight matrix, in exactly OpenBLAS's order (cpu_smallm.c).
 *
 * For a product with at most three rows OpenBLAS's sgemm (the Haswell
 * kernels this machine's OpenBLAS picks) computes every output element as
 * one fused multiply-add chain over k from zero, in blocks of k (GEMM_Q =
 * 320, the split rule of driver/level3), each block added as
 * fma(alpha, block, c).  These kernels do the same arithmetic in the same
 * order, so a decode step gives the same bits as before, without copying
 * the weights (or, in attention, the whole K/V cache) into OpenBLAS's
 * packed layout on every step.  smallm_ready() is 1 only when a check at
 * start-up found the kernels equal to this process's OpenBLAS bit for bit
 * on every blocking case (and the CPU has AVX2 and FMA); otherwise callers
 * keep calling sgemm.  PREFPIPE_CPU_SMALLM=0 turns the kernels off (A/B
 * benchmarks).
 */
#ifndef PREFPIPE_CPU_SMALLM_INT_H
#define PREFPIPE_CPU_SMALLM_INT_H

/* rows a small-M call may have (OpenBLAS keeps the chain order up to 3) */
#define SMALLM_MAX 3

/* Run the check once (not thread-safe: call before any parallel use). */
void smallm_init(void);
int smallm_ready(void);

/* y[i][j] = (acc ? y[i][j] : 0) (+) alpha * sum_k x[i][k] w[j][k]
 * for i < m (any m: rows are independent), j in [j0, j1). */
void smallm_nt(float *y, int ldy, const float *x, int ldx, const float *w, int ldw,
               int m, int j0, int j1, int k, float alpha, int acc);

/* y[i][j] = (acc ? y[i][j] : 0) (+) alpha * sum_k x[i][k] v[k][j]
 * for i < m, j in [0, n). */
void smallm_nn(float *y, int ldy, const float *x, int ldx, const float *v, int ldv,
               int m, int n, int k, float alpha, int acc);

#endif
