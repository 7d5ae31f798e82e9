/*
 * cpu_rows.c — matmul_rows, matmul_rows_n and attention_rows on the CPU
 * (contract in backend.h, overview in cpu_rows_int.h).
 *
 * Why not OpenBLAS: its rounding for a row depends on how many rows share
 * the call and where the row sits, so a sampled row's tokens changed with
 * its batch and finished rows could not leave it.  Here each output is
 * one fixed sequence of FMAs and adds (16 chains over k, the halving tree
 * of backend.h), and the kernels only decide which outputs are computed
 * side by side.  They read the weights in place (no packing: decoding
 * is a stream over the weights) and vectorise along k, where the weight
 * rows are contiguous.  matmul_rows_n runs several products of one input
 * (decoding's q/k/v, gate/up) as one split over the team: at one row
 * each product alone is 0.4-3.5 MB of weights (135M), and a team wake-up
 * per product (or a product too small to split, run by one thread while
 * the other waits) costs CPU time the memory stream does not need.
 * Software prefetch of the next tile's rows was tried in the one-row
 * tile and measured no gain (the hardware prefetchers keep up); huge
 * pages for the weights did gain (backend_cpu.c's allocator).
 *
 * Three instantiations of cpu_rows_body.h: AVX-512 (a zmm is the 16
 * lanes), AVX2 (two ymm), and plain C (16 floats, fmaf) for other CPUs;
 * all give the same bits.  The choice is made once, from the CPU.
 *
 * The softmax of attention_rows (rows_softmax) is compiled for the
 * baseline instruction set, where no FMA exists to contract into, so its
 * exponentials are the same bits whether the compiler vectorises a given
 * element or not.
 */
#include "backend/cpu/cpu_rows_int.h"
#include "backend/cpu/cpu_fexp_int.h"
#include "backend/cpu/cpu_vec16_int.h"
#include "base/util.h"

#include <immintrin.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* s[0..n) scores -> probabilities (every sum in index order); returns the
 * log-sum-exp.  Never inlined into the AVX-512/AVX2 kernels, where the
 * compiler could contract fexp's multiply-adds into FMAs. */
__attribute__((noinline)) static float rows_softmax(float *s, int n)
{
    float mx = s[0];   /* a maximum: any order gives the same value */
    for (int t = 1; t < n; t++) mx = s[t] > mx ? s[t] : mx;
    for (int t = 0; t < n; t++) s[t] = fexp(s[t] - mx);
    float sum = 0;
    for (int t = 0; t < n; t++) sum += s[t];
    float inv = 1.0f / sum;
    for (int t = 0; t < n; t++) s[t] *= inv;
    return mx + logf(sum);
}

/* the kernels once per instruction set (cpu_vec16_int.h: the same
 * lanes, the same bits); MR x NR is the register tile */
#define VEC16_ISA 512
#include "backend/cpu/cpu_vec16_int.h"
#define FN(name) name##_512
#define MR 4
#define NR 4
#include "backend/cpu/cpu_rows_body.h"   /* undefines FN, MR, NR */

#define VEC16_ISA 256
#include "backend/cpu/cpu_vec16_int.h"
#define FN(name) name##_256
#define MR 2
#define NR 2
#include "backend/cpu/cpu_rows_body.h"

#define VEC16_ISA 0
#include "backend/cpu/cpu_vec16_int.h"
#define FN(name) name##_c
#define MR 1
#define NR 1
#include "backend/cpu/cpu_rows_body.h"

/* ---- dispatch ---- */

typedef void (*mm_slice_fn)(float *, const float *, const float *, int, int, int, int, int, int);
typedef void (*att_query_fn)(float *, float *, const float *, const float *, const float *, int,
                             const uint8_t *, int, int, float, float *, int *);

static mm_slice_fn mm_slice;
static att_query_fn att_query;
static int via_blas;

static void pick(void)
{
    if (mm_slice) return;
    mm_slice_fn m = mm_slice_c;
    att_query_fn a = att_query_c;
    __builtin_cpu_init();
    /* "avx2" / "c": A/B runs and tests; "blas": benchmarks only */
    const char *env = getenv("PREFPIPE_CPU_ROWS");
    via_blas = env && !strcmp(env, "blas");
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int avx512 = avx2 && __builtin_cpu_supports("avx512f");
    if (env && !strcmp(env, "c")) avx2 = avx512 = 0;
    if (env && !strcmp(env, "avx2")) avx512 = 0;
    if (avx512) m = mm_slice_512, a = att_query_512;
    else if (avx2) m = mm_slice_256, a = att_query_256;
    att_query = a;
    __atomic_store_n(&mm_slice, m, __ATOMIC_RELEASE);
}

int rows_blas(void)
{
    pick();
    return via_blas;
}

int rows_use(const char *isa)
{
    pick();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (!strcmp(isa, "avx512") && avx2 && __builtin_cpu_supports("avx512f"))
        mm_slice = mm_slice_512, att_query = att_query_512;
    else if (!strcmp(isa, "avx2") && avx2)
        mm_slice = mm_slice_256, att_query = att_query_256;
    else if (!strcmp(isa, "c"))
        mm_slice = mm_slice_c, att_query = att_query_c;
    else
        return 0;
    return 1;
}

/* Below this many multiply-adds a product runs on one thread (as the
 * small-M path of backend_cpu.c): the split never changes the bits */
#define ROWS_PAR_MIN ((size_t)1 << 18)

/* Products of one x, as one pass over the team: the outputs of all of
 * them, in 16-output chunks, are split evenly over the threads in order
 * (a thread's share may span two products).  At one row (decoding) the
 * k and v products alone are below ROWS_PAR_MIN and would run on one
 * thread while the other waits; together with q they are one split and
 * one wake-up.  The split only chooses which thread computes an output,
 * never its chain, so the bits are those of one product at a time. */
void rows_matmul_n(const rows_prod *p, int count, const float *x, int n, int in, int acc)
{
    pick();
    long chunks = 0;
    size_t macs = 0;
    for (int j = 0; j < count; j++) chunks += (p[j].out + 15) / 16, macs += (size_t)n * in * p[j].out;
    #pragma omp parallel if (macs >= ROWS_PAR_MIN)
    {
        int t = 0, nt = 1;
#ifdef _OPENMP
        t = omp_get_thread_num(), nt = omp_get_num_threads();
#endif
        long c0 = chunks * t / nt, c1 = chunks * (t + 1) / nt, base = 0;
        for (int j = 0; j < count && base < c1; j++) {
            long cj = (p[j].out + 15) / 16, a = c0 > base ? c0 - base : 0, b = c1 - base < cj ? c1 - base : cj;
            if (a < b) {
                int o0 = (int)a * 16, o1 = (int)b * 16 > p[j].out ? p[j].out : (int)b * 16;
                mm_slice(p[j].y, x, p[j].w, n, in, p[j].out, o0, o1, acc);
            }
            base += cj;
        }
    }
}

void rows_matmul(float *y, const float *x, const float *w, int n, int in, int out, int acc)
{
    rows_prod p = {y, w, out};
    rows_matmul_n(&p, 1, x, n, in, acc);
}

/* per-thread scratch for one query's scores and key indices */
static void *att_scratch(size_t n)
{
    static _Thread_local void *buf;
    static _Thread_local size_t cap;
    if (n > cap) {
        free(buf);
        buf = malloc(n * (sizeof(float) + sizeof(int)));
        if (!buf) die(EX_SOFTWARE, "out of memory for attention scratch (%zu keys)", n);
        cap = n;
    }
    return buf;
}

void rows_attention(float *out, float *lse, const float *q, const float *k, const float *v,
                    const uint8_t *valid, int B, int Tq, int q0, int kstride, int H, int KV, int hd)
{
    pick();
    int grp = H / KV, qd = H * hd, kd = KV * hd, Tk = q0 + Tq;
    float scale = 1.0f / sqrtf((float)hd);
    #pragma omp parallel if ((size_t)B * H * Tq * Tk * hd >= ROWS_PAR_MIN * 2)
    {
        float *s = att_scratch((size_t)Tk);
        int *idx = (int *)(s + Tk);
        #pragma omp for collapse(2) schedule(dynamic, 1)
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++) {
                int kh = h / grp;
                const uint8_t *vm = valid + (size_t)b * kstride;
                const float *K = k + (size_t)b * kstride * kd + kh * hd;
                const float *Vv = v + (size_t)b * kstride * kd + kh * hd;
                for (int i = 0; i < Tq; i++) {
                    size_t row = ((size_t)b * Tq + i) * qd + (size_t)h * hd;
                    att_query(out + row, lse + ((size_t)b * H + h) * Tq + i, q + row, K, Vv, kd, vm,
                              q0 + i, hd, scale, s, idx);
                }
            }
    }
}
