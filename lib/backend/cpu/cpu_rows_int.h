/*
 * cpu_rows_int.h — the row-independent decode products of the CPU backend
 * (matmul_rows, matmul_rows_n, attention_rows in backend.h; cpu_rows.c).
 *
 * Every output element is summed in the one order backend.h fixes (16
 * interleaved FMA chains over k, then a halving tree), whatever the row
 * count, the row's place in the batch, the thread count or the padding
 * around it, so a sampled row's bits do not depend on its batch and
 * finished rows can leave the batch (sample.c) without changing any byte.
 * The kernels are written once (cpu_rows_body.h) over a 16-lane vector
 * and compiled for AVX-512 (one zmm) and AVX2 (two ymm: the same lanes);
 * a CPU with neither runs the same order in scalar FMAs.
 */
#ifndef PREFPIPE_CPU_ROWS_INT_H
#define PREFPIPE_CPU_ROWS_INT_H

#include "backend/backend.h"

#include <stddef.h>
#include <stdint.h>

/* y[n,out] (+)= x[n,in] W[out,in]^T in the fixed order, over the team */
void rows_matmul(float *y, const float *x, const float *w, int n, int in, int out, int acc);

/* backend.h's matmul_rows_n: the products' outputs split over the team
 * as one pass (one parallel region) */
void rows_matmul_n(const rows_prod *p, int count, const float *x, int n, int in, int acc);

/* backend.h's attention_rows (any Tq), over the team */
void rows_attention(float *out, float *lse, const float *q, const float *k, const float *v,
                    const uint8_t *valid, int B, int Tq, int q0, int kstride, int H, int KV, int hd);

/* 1 when PREFPIPE_CPU_ROWS=blas: backend_cpu.c then serves matmul_rows
 * and attention_rows with the ordinary (OpenBLAS, batch-dependent) ops —
 * an A/B switch for benchmarks (tests/bench/rollout.sh), never a mode to
 * run: sampled bytes then depend on the batch again. */
int rows_blas(void);

/* Use one instruction set's kernels from now on: "avx512", "avx2" or
 * "c" (tests: all three must give the same bits).  Returns 0, changing
 * nothing, when this CPU lacks it.  Not thread-safe. */
int rows_use(const char *isa);

#endif
