/*
 * cpu_train.c — training kernels of the CPU backend (contract and why in
 * cpu_train_int.h; the kernels themselves in cpu_train_body.h).
 *
 * Parallel work is split so that the split never enters a sum: attention
 * by (sequence, key/value head), each task owning its dK/dV rows and its
 * query heads' rows; the backward product's dx by rows of tokens, dw by
 * output rows.  A task's chains are fixed by the shapes alone, so a
 * result is the same bits with any thread count, and a sequence's
 * attention the same in any batch.
 */
#include "backend/cpu/cpu_train_int.h"
#include "base/util.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* queries per attention block: a block sees keys 0 .. i0 + ATT_BQ - 1 only,
 * which skips most of the causal upper triangle */
#define ATT_BQ 64
/* terms of a chain between its additions to C (see cpu_train_body.h) */
#define BG_KC 256

/* one thread's attention scratch: K and V transposed [hd][Tp], the score
 * and score-gradient blocks [ATT_BQ][Tp] */
typedef struct {
    float *kt, *vt, *s, *dp;
} attn_scratch;

#include "backend/cpu/cpu_vec16_int.h"

#define VEC16_ISA 512
#include "backend/cpu/cpu_vec16_int.h"
#define FN(name) name##_512
#define MR1 8
#define MR2 8
#define NVB 4
#define MRB 4
#include "backend/cpu/cpu_train_body.h"

#define VEC16_ISA 256
#include "backend/cpu/cpu_vec16_int.h"
#define FN(name) name##_256
#define MR1 4
#define MR2 2
#define NVB 2
#define MRB 2
#include "backend/cpu/cpu_train_body.h"

/* ---- dispatch ---- */

typedef void (*bgemm_fn)(float *, int, const float *, size_t, size_t, const float *, int, int, int, int,
                         float, int);
typedef void (*att_fwd_fn)(float *, float *, const float *, const float *, const float *, int, int, int,
                           int, int, int, float, const attn_scratch *);
typedef void (*att_bwd_fn)(float *, float *, float *, const float *, const float *, const float *,
                           const float *, const float *, const float *, int, int, int, int, int, int,
                           float, const attn_scratch *);

static struct {
    int picked, isa;   /* isa: 512, 256, or 0 (none: callers keep OpenBLAS) */
    bgemm_fn bgemm;
    att_fwd_fn fwd;
    att_bwd_fn bwd;
} k;

static int set_isa(int isa)
{
    if (isa == 512) k.bgemm = bgemm_512, k.fwd = att_fwd_seq_512, k.bwd = att_bwd_seq_512;
    else if (isa == 256) k.bgemm = bgemm_256, k.fwd = att_fwd_seq_256, k.bwd = att_bwd_seq_256;
    k.isa = isa;
    return isa;
}

static int cpu_has(int isa)
{
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return isa == 256 ? avx2 : isa == 512 ? avx2 && __builtin_cpu_supports("avx512f") : 0;
}

static void pick(void)
{
    if (k.picked) return;
    const char *env = getenv("PREFPIPE_CPU_TRAIN");
    int isa = cpu_has(512) ? 512 : cpu_has(256) ? 256 : 0;
    if (env && !strcmp(env, "blas")) isa = 0;
    else if (env && !strcmp(env, "avx2")) isa = isa ? 256 : 0;
    else if (env && *env)   /* an A/B run must not silently measure the default */
        fprintf(stderr, "prefpipe: PREFPIPE_CPU_TRAIN=%s is neither blas nor avx2: ignored\n", env);
    set_isa(isa);
    k.picked = 1;
}

int train_ready(void)
{
    pick();
    return k.isa != 0;
}

int train_use(const char *isa)
{
    pick();
    if (!strcmp(isa, "blas")) return set_isa(0), 1;
    int want = !strcmp(isa, "avx512") ? 512 : !strcmp(isa, "avx2") ? 256 : 0;
    if (!want || !cpu_has(want)) return 0;
    set_isa(want);
    return 1;
}

/* ---- attention ---- */

/* the thread's scratch for sequences of up to tmax tokens at head_dim hd */
static attn_scratch *scratch_for(int tmax, int hd)
{
    static _Thread_local attn_scratch w;
    static _Thread_local size_t cap;
    size_t Tp = ((size_t)tmax + 15) / 16 * 16, need = 2 * (size_t)hd * Tp + 2 * (size_t)ATT_BQ * Tp;
    if (need > cap) {
        free(w.kt);
        w.kt = malloc(sizeof(float) * need);
        if (!w.kt) die(EX_SOFTWARE, "out of memory for attention scratch (%zu floats)", need);
        cap = need;
    }
    w.vt = w.kt + (size_t)hd * Tp;
    w.s = w.vt + (size_t)hd * Tp;
    w.dp = w.s + (size_t)ATT_BQ * Tp;
    return &w;
}

size_t *seq_offsets(const int *len, int nseq, int *tmax, size_t *work)
{
    size_t *off = malloc(sizeof(size_t) * (size_t)(nseq + 1));
    if (!off) die(EX_SOFTWARE, "out of memory for %d sequence offsets", nseq);
    off[0] = 0;
    *tmax = 1;
    *work = 0;
    for (int s = 0; s < nseq; s++) {
        off[s + 1] = off[s] + (size_t)len[s];
        if (len[s] > *tmax) *tmax = len[s];
        *work += (size_t)len[s] * len[s];
    }
    return off;
}

/* below this many score multiply-adds a call runs on one thread */
#define ATT_PAR_MIN ((size_t)1 << 19)

void train_attention_seqs(float *out, float *lse, const float *q, const float *k_, const float *v,
                          const int *len, int nseq, int H, int KV, int hd)
{
    pick();
    int grp = H / KV, qd = H * hd, kd = KV * hd, tmax;
    size_t work;
    float scale = 1.0f / sqrtf((float)hd);
    size_t *off = seq_offsets(len, nseq, &tmax, &work);
    #pragma omp parallel if (work * H * hd >= ATT_PAR_MIN)
    {
        const attn_scratch *w = scratch_for(tmax, hd);
        #pragma omp for collapse(2) schedule(dynamic, 1)
        for (int s = 0; s < nseq; s++)
            for (int kh = 0; kh < KV; kh++) {
                size_t o = off[s];
                if (!len[s]) continue;
                k.fwd(out + o * qd, lse + o * H, q + o * qd, k_ + o * kd + (size_t)kh * hd,
                      v + o * kd + (size_t)kh * hd, len[s], kh * grp, grp, qd, kd, hd, scale, w);
            }
    }
    free(off);
}

void train_attention_seqs_bwd(float *dq, float *dk, float *dv, const float *dout, const float *q,
                              const float *k_, const float *v, const float *out, const float *lse,
                              const int *len, int nseq, int H, int KV, int hd)
{
    pick();
    int grp = H / KV, qd = H * hd, kd = KV * hd, tmax;
    size_t work;
    float scale = 1.0f / sqrtf((float)hd);
    size_t *off = seq_offsets(len, nseq, &tmax, &work);
    #pragma omp parallel if (work * H * hd >= ATT_PAR_MIN / 4)
    {
        const attn_scratch *w = scratch_for(tmax, hd);
        #pragma omp for collapse(2) schedule(dynamic, 1)
        for (int s = 0; s < nseq; s++)
            for (int kh = 0; kh < KV; kh++) {
                size_t o = off[s], ko = o * kd + (size_t)kh * hd;
                if (!len[s]) continue;
                k.bwd(dq + o * qd, dk + ko, dv + ko, dout + o * qd, q + o * qd, out + o * qd, lse + o * H,
                      k_ + ko, v + ko, len[s], kh * grp, grp, qd, kd, hd, scale, w);
            }
    }
    free(off);
}

/* ---- projections ---- */

/* multiply-adds worth waking the team for (as backend_cpu.c's products) */
#define MM_PAR_MIN ((size_t)1 << 21)

void train_matmul(float *y, const float *x, const float *w, int n, int in, int out, int acc)
{
    pick();
    if (n <= 0 || out <= 0) return;
    float *wt = malloc(sizeof(float) * (size_t)in * out + 1);
    if (!wt) die(EX_SOFTWARE, "out of memory for a %d x %d transposed weight", out, in);
    for (int o = 0; o < out; o++)
        for (int i = 0; i < in; i++) wt[(size_t)i * out + o] = w[(size_t)o * in + i];
    #pragma omp parallel if ((size_t)n * in * out >= MM_PAR_MIN)
    {
        int t = 0, nt = 1;
#ifdef _OPENMP
        t = omp_get_thread_num(), nt = omp_get_num_threads();
#endif
        int r0 = (int)((long)n * t / nt), r1 = (int)((long)n * (t + 1) / nt);
        k.bgemm(y + (size_t)r0 * out, out, x + (size_t)r0 * in, (size_t)in, 1, wt, out, r1 - r0, out, in, 1.0f, acc);
    }
    free(wt);
}

void train_matmul_bwd(float *dx, float *dw, const float *dy, const float *x, const float *w,
                      int n, int in, int out, int acc_dx)
{
    pick();
    #pragma omp parallel if ((size_t)n * in * out >= MM_PAR_MIN)
    {
        int t = 0, nt = 1;
#ifdef _OPENMP
        t = omp_get_thread_num(), nt = omp_get_num_threads();
#endif
        if (dx) {   /* dx[r0:r1, :] (+)= dy[r0:r1, :] w: A = dy as stored */
            int r0 = (int)((long)n * t / nt), r1 = (int)((long)n * (t + 1) / nt);
            k.bgemm(dx + (size_t)r0 * in, in, dy + (size_t)r0 * out, (size_t)out, 1, w, in, r1 - r0, in, out,
                    1.0f, acc_dx);
        }
        if (dw) {   /* dw[o0:o1, :] += dy[:, o0:o1]^T x: A = dy transposed */
            int o0 = (int)((long)out * t / nt), o1 = (int)((long)out * (t + 1) / nt);
            k.bgemm(dw + (size_t)o0 * in, in, dy + o0, 1, (size_t)out, x, in, o1 - o0, in, n, 1.0f, 1);
        }
    }
}
