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

/* ---- AVX-512: one zmm ---- */
#define V __m512
#define TGT __attribute__((target("avx512f,fma")))
#define FN(name) name##_512
#define MR 4
#define NR 4
TGT static inline V vzero_512(void) { return _mm512_setzero_ps(); }
#define VZERO() vzero_512()
#define VLOAD(p) _mm512_loadu_ps(p)
#define VLOADN(p, n) _mm512_maskz_loadu_ps((__mmask16)((1u << (n)) - 1), (p))
#define VSET1(s) _mm512_set1_ps(s)
#define VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VSTOREN(p, v, n) _mm512_mask_storeu_ps((p), (__mmask16)((1u << (n)) - 1), (v))
TGT static inline float vred_512(__m512 v)
{
    __m256 lo = _mm512_castps512_ps256(v);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    __m256 a = _mm256_add_ps(lo, hi);                                            /* l + 8 */
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1)); /* l + 4 */
    __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));                               /* l + 2 */
    __m128 d = _mm_add_ss(c, _mm_shuffle_ps(c, c, 1));                           /* l + 1 */
    return _mm_cvtss_f32(d);
}
#define VRED(v) vred_512(v)
#include "backend/cpu/cpu_rows_body.h"   /* undefines its parameters */

/* ---- AVX2: lanes 0-7 in lo, 8-15 in hi ---- */
typedef struct { __m256 lo, hi; } v2x8;
#define V v2x8
#define TGT __attribute__((target("avx2,fma")))
#define FN(name) name##_256
#define MR 2
#define NR 2
TGT static inline v2x8 vzero_256(void) { v2x8 r = {_mm256_setzero_ps(), _mm256_setzero_ps()}; return r; }
TGT static inline v2x8 vload_256(const float *p) { v2x8 r = {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; return r; }
TGT static inline __m256i vmask_256(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
TGT static inline v2x8 vloadn_256(const float *p, int n)
{
    v2x8 r = {_mm256_maskload_ps(p, vmask_256(n)), _mm256_maskload_ps(p + 8, vmask_256(n - 8))};
    return r;
}
TGT static inline v2x8 vset1_256(float s) { v2x8 r = {_mm256_set1_ps(s), _mm256_set1_ps(s)}; return r; }
TGT static inline v2x8 vfma_256(v2x8 a, v2x8 b, v2x8 c)
{
    v2x8 r = {_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)};
    return r;
}
TGT static inline void vstore_256(float *p, v2x8 v) { _mm256_storeu_ps(p, v.lo); _mm256_storeu_ps(p + 8, v.hi); }
TGT static inline void vstoren_256(float *p, v2x8 v, int n)
{
    _mm256_maskstore_ps(p, vmask_256(n), v.lo);
    _mm256_maskstore_ps(p + 8, vmask_256(n - 8), v.hi);
}
TGT static inline float vred_256(v2x8 v)
{
    __m256 a = _mm256_add_ps(v.lo, v.hi);
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));
    __m128 d = _mm_add_ss(c, _mm_shuffle_ps(c, c, 1));
    return _mm_cvtss_f32(d);
}
#define VZERO() vzero_256()
#define VLOAD(p) vload_256(p)
#define VLOADN(p, n) vloadn_256((p), (n))
#define VSET1(s) vset1_256(s)
#define VFMA(a, b, c) vfma_256((a), (b), (c))
#define VSTORE(p, v) vstore_256((p), (v))
#define VSTOREN(p, v, n) vstoren_256((p), (v), (n))
#define VRED(v) vred_256(v)
#include "backend/cpu/cpu_rows_body.h"   /* undefines its parameters */

/* ---- plain C: the definition itself, 16 floats and fmaf ---- */
typedef struct { float l[16]; } v16s;
#define V v16s
#define TGT
#define FN(name) name##_c
#define MR 1
#define NR 1
static inline v16s vzero_c(void) { v16s r; for (int l = 0; l < 16; l++) r.l[l] = 0.0f; return r; }
static inline v16s vloadn_c(const float *p, int n)
{
    v16s r;
    for (int l = 0; l < 16; l++) r.l[l] = l < n ? p[l] : 0.0f;
    return r;
}
static inline v16s vset1_c(float s) { v16s r; for (int l = 0; l < 16; l++) r.l[l] = s; return r; }
static inline v16s vfma_c(v16s a, v16s b, v16s c)
{
    for (int l = 0; l < 16; l++) c.l[l] = fmaf(a.l[l], b.l[l], c.l[l]);
    return c;
}
static inline void vstoren_c(float *p, v16s v, int n) { for (int l = 0; l < n; l++) p[l] = v.l[l]; }
static inline float vred_c(v16s v)
{
    for (int h = 8; h >= 1; h /= 2)
        for (int l = 0; l < h; l++) v.l[l] = v.l[l] + v.l[l + h];
    return v.l[0];
}
#define VZERO() vzero_c()
#define VLOAD(p) vloadn_c((p), 16)
#define VLOADN(p, n) vloadn_c((p), (n))
#define VSET1(s) vset1_c(s)
#define VFMA(a, b, c) vfma_c((a), (b), (c))
#define VSTORE(p, v) vstoren_c((p), (v), 16)
#define VSTOREN(p, v, n) vstoren_c((p), (v), (n))
#define VRED(v) vred_c(v)
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
