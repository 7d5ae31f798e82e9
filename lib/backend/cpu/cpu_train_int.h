/*
 * cpu_train_int.h — the CPU backend's training kernels (cpu_train.c):
 * attention over packed sequences, forward and backward, and the
 * backward of a projection, on one unpacked broadcast-FMA product written
 * for AVX-512 and AVX2 (the same bits on both).
 *
 * Why: at the tiny and small presets the products are thin (head_dim 16,
 * 64-wide projections), and OpenBLAS spent about as long copying them
 * into its panel layout as multiplying; its AVX2 kernel also leaves half
 * of an AVX-512 core's FMA width unused.  Each output element here is one
 * fixed FMA chain (cpu_train_body.h), so results do not depend on the
 * thread count, the tile, or the other rows of the batch.
 *
 * train_ready() is 0 on a CPU without AVX2 and FMA, or with
 * PREFPIPE_CPU_TRAIN=blas (the A/B switch of benchmarks): backend_cpu.c
 * then keeps its OpenBLAS paths.  PREFPIPE_CPU_TRAIN=avx2 uses the AVX2
 * copy on an AVX-512 machine.
 */
#ifndef PREFPIPE_CPU_TRAIN_INT_H
#define PREFPIPE_CPU_TRAIN_INT_H

#include <stddef.h>

int train_ready(void);

/* Use one instruction set's copy from now on: "avx512" or "avx2" (tests:
 * both must give the same bits), or "blas" (train_ready() 0).  Returns 0,
 * changing nothing, where the CPU lacks it.  Not thread-safe. */
int train_use(const char *isa);

/* offsets of nseq packed sequences (nseq + 1 entries, malloc'ed), the
 * longest length (at least 1) and the sum of squared lengths */
size_t *seq_offsets(const int *len, int nseq, int *tmax, size_t *work);

/* backend.h's attention_seqs and attention_seqs_bwd, over the team */
void train_attention_seqs(float *out, float *lse, const float *q, const float *k, const float *v,
                          const int *len, int nseq, int H, int KV, int hd);
void train_attention_seqs_bwd(float *dq, float *dk, float *dv, const float *dout, const float *q,
                              const float *k, const float *v, const float *out, const float *lse,
                              const int *len, int nseq, int H, int KV, int hd);

/* y[n, out] (+)= x[n, in] w[out, in]^T, w transposed once, rows split
 * over the team: each element one chain over in (row-independent) */
void train_matmul(float *y, const float *x, const float *w, int n, int in, int out, int acc);

/* backend.h's matmul_bwd: dx[n, in] (+)= dy[n, out] w[out, in] (rows
 * split over the team), dw[out, in] += dy^T x (outputs split); either
 * may be NULL */
void train_matmul_bwd(float *dx, float *dw, const float *dy, const float *x, const float *w,
                      int n, int in, int out, int acc_dx);

#endif
