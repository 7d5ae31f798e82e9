/*
 * backend_cpu.c — the CPU implementation of the backend table (backend.h):
 * the products and attention of decoding (cpu_rows_int.h) and of training
 * (cpu_train_int.h) on the backend's own AVX-512/AVX2 kernels where the
 * CPU has AVX2 and FMA, OpenBLAS cblas_sgemm otherwise (the paths below),
 * small OpenMP loops for the rest, everything fp32 with double
 * accumulators where a long sum decides accuracy (norms, softmax
 * denominators).
 *
 * Parallel loops split work so that every output element is written by
 * exactly one thread (attention backward splits by key/value head so the
 * dk/dv sums of a head group stay in one thread); results are identical
 * run to run for a given thread count, and with the own kernels across
 * thread counts too (OpenBLAS's products below round by slice width).
 *
 * Attention never materialises the [B, H, T, T] probability tensor: the
 * forward keeps the per-row log-sum-exp and the backward recomputes one
 * (row, head) block of probabilities at a time from it (the FlashAttention
 * idea, done with sgemm on whole blocks).
 *
 * Everything runs synchronously on the calling thread's OpenMP team:
 * backend memory is host memory, ctx is NULL and sync does nothing.
 *
 * CPU_VARIANTS: this file is compiled twice, as itself (the baseline
 * x86-64 or whatever the target is) and through backend_cpu_v3.c with
 * -march=x86-64-v3, and backend_cpu_open picks the v3 table where the
 * processor has AVX2 and FMA.  The project compiles as ISO C, so GCC
 * never contracts a * b + c into an FMA: an element-wise loop gives the
 * same bits in both copies.  A vectorised reduction (the softmax and
 * log-sum-exp denominators) adds in a different grouping at 8 lanes than
 * at 4, so its last bits may differ between the copies; each copy is
 * deterministic, and the choice depends only on the processor (as
 * OpenBLAS's own kernel choice already does), never on the load.
 */
#include "backend/backend_int.h"
#include "backend/cpu/cpu_fexp_int.h"
#include "backend/cpu/cpu_rows_int.h"
#include "backend/cpu/cpu_smallm_int.h"
#include "backend/cpu/cpu_train_int.h"
#include "base/util.h"

/* We never use floating-point exception flags; telling GCC so lets it
 * if-convert and vectorise the masked exponential loops below. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Below this many elements a loop runs on one thread: waking the team
 * costs more than the work (decoding runs many tiny operations). */
#define PAR_MIN ((size_t)1 << 15)

/* Memory: host memory, 64-byte aligned (full cache lines for the SIMD
 * loops); uploads and downloads are copies and every operation has
 * finished when it returns, so sync has nothing to wait for. */
/* Buffers of HUGE_MIN bytes or more (the parameters, the KV cache, big
 * activations) are 2 MiB aligned and asked for transparent huge pages
 * (where the kernel leaves that to madvise, as Debian's default does):
 * decoding one token streams all the weights once, and on 4 KiB pages
 * that is a TLB miss every 4 KiB (131k a token at 135M fp32); a
 * one-thread stream of the 135M model's products read 15-40% more GB per
 * CPU-second on huge pages (loaded 2-core machine, 3 of 3 A/B pairs).
 * Bytes are never affected: only the pages change. */
#define HUGE_PAGE ((size_t)2 << 20)
#define HUGE_MIN (2 * HUGE_PAGE)
static void *cpu_alloc_bytes(const backend *be, size_t nbytes)
{
    if (nbytes == 0) nbytes = 1;
    void *p = NULL;
    int huge = nbytes >= HUGE_MIN;
    size_t align = huge ? HUGE_PAGE : 64, size = (nbytes + align - 1) / align * align;
    if (posix_memalign(&p, align, size) != 0)
        die(EX_SOFTWARE, "out of memory allocating %zu bytes", nbytes);
#ifdef MADV_HUGEPAGE
    if (huge) (void)madvise(p, size, MADV_HUGEPAGE);   /* a hint: failure changes nothing */
#endif
    memset(p, 0, nbytes);
    return p;
}
static float *cpu_alloc(const backend *be, size_t n)
{
    if (n > SIZE_MAX / sizeof(float)) die(EX_SOFTWARE, "allocation of %zu floats overflows", n);
    return cpu_alloc_bytes(be, n * sizeof(float));
}
static void cpu_sync(const backend *be) { (void)be; }
static void cpu_free(const backend *be, void *p) { free(p); }
static void cpu_copy(const backend *be, float *d, const float *s, size_t n) { if (d != s) memcpy(d, s, n * sizeof(float)); }
static void cpu_copy_bytes(const backend *be, void *d, const void *s, size_t n) { if (d != s) memcpy(d, s, n); }
static void cpu_zero(const backend *be, float *p, size_t n) { memset(p, 0, n * sizeof(float)); }

static void cpu_copy_rows(const backend *be, float *dst, size_t dst_ld, const float *src,
                          size_t src_ld, size_t rows, size_t cols)
{
    #pragma omp parallel for if (rows * cols >= PAR_MIN)
    for (size_t r = 0; r < rows; r++)
        memcpy(dst + r * dst_ld, src + r * src_ld, cols * sizeof(float));
}

static void cpu_zero_rows(const backend *be, float *x, const uint8_t *mask, int n, int d)
{
    for (int i = 0; i < n; i++)
        if (!mask[i]) memset(x + (size_t)i * d, 0, (size_t)d * sizeof(float));
}

/* Projections run over the OpenMP team, each thread calling a
 * single-threaded sgemm on its slice (OpenBLAS is pinned to one thread in
 * backend_cpu()): one thread pool for the whole backend, no
 * oversubscription.  y and dw are split by output features, dx by input
 * features, so every element is written by one thread.  OpenBLAS's
 * blocking, and so its rounding, depends on the slice width: results are
 * reproducible for a given thread count, not across thread counts
 * (splitting by tokens instead measured 1.6x slower on the small preset).
 * Slices are whole multiples of 16 so the kernel keeps its full tiles. */
#define GEMM_PAR_MIN ((size_t)1 << 21)   /* multiply-adds worth a team wake-up */

static void slice16(int len, int *lo, int *hi)
{
#ifdef _OPENMP
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
#else
    int t = 0, nt = 1;
#endif
    long chunks = (len + 15) / 16;
    *lo = (int)(chunks * t / nt) * 16;
    *hi = (int)(chunks * (t + 1) / nt) * 16;
    if (*lo > len) *lo = len;
    if (*hi > len) *hi = len;
}

static void cpu_matmul(const backend *be, float *y, const float *x, const float *w, int n, int in, int out, int acc)
{
    if (n <= SMALLM_MAX && smallm_ready()) {
        /* decoding: no packing of w, the same bits (cpu_smallm_int.h); the
         * split cannot change them, so the team joins at less work */
        #pragma omp parallel if ((size_t)n * in * out >= PAR_MIN * 8)
        {
            int o0, o1;
            slice16(out, &o0, &o1);
            if (o1 > o0) smallm_nt(y, out, x, in, w, in, n, o0, o1, in, 1.0f, acc);
        }
        return;
    }
    #pragma omp parallel if ((size_t)n * in * out >= GEMM_PAR_MIN)
    {
        int o0, o1;                 /* y[:, o0:o1] = x . w[o0:o1, :]^T */
        slice16(out, &o0, &o1);
        if (o1 > o0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, o1 - o0, in,
                        1.0f, x, in, w + (size_t)o0 * in, in, acc ? 1.0f : 0.0f, y + o0, out);
    }
}

static void cpu_matmul_bwd(const backend *be, float *dx, float *dw, const float *dy, const float *x,
                           const float *w, int n, int in, int out, int acc_dx)
{
    if (train_ready()) {   /* no packing, AVX-512 where there is (cpu_train_int.h) */
        train_matmul_bwd(dx, dw, dy, x, w, n, in, out, acc_dx);
        return;
    }
    #pragma omp parallel if ((size_t)n * in * out >= GEMM_PAR_MIN)
    {
        int lo, hi;
        if (dx) {                   /* dx[:, i0:i1] = dy . w[:, i0:i1] */
            slice16(in, &lo, &hi);
            if (hi > lo)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, hi - lo, out,
                            1.0f, dy, out, w + lo, in, acc_dx ? 1.0f : 0.0f, dx + lo, in);
        }
        if (dw) {                   /* dw[o0:o1, :] += dy[:, o0:o1]^T . x */
            slice16(out, &lo, &hi);
            if (hi > lo)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, hi - lo, in, n,
                            1.0f, dy + lo, out, x, in, 1.0f, dw + (size_t)lo * in, in);
        }
    }
}

static void cpu_embed(const backend *be, float *out, const float *table, const int32_t *ids, int n, int d)
{
    #pragma omp parallel for if ((size_t)n * d >= PAR_MIN)
    for (int i = 0; i < n; i++)
        memcpy(out + (size_t)i * d, table + (size_t)ids[i] * d, d * sizeof(float));
}

static void cpu_embed_bwd(const backend *be, float *dt, const float *dout, const int32_t *ids, int n, int d)
{
    /* serial: rows can repeat, and a fixed order keeps sums deterministic */
    for (int i = 0; i < n; i++) {
        float *row = dt + (size_t)ids[i] * d;
        const float *g = dout + (size_t)i * d;
        for (int j = 0; j < d; j++) row[j] += g[j];
    }
}

/* Rows go in groups of RG: each row's sum of squares (or dot product) is
 * one chain in column order, exactly as a row alone, but the group's
 * chains are interleaved so their latencies overlap. */
#define RG 4

static void cpu_rmsnorm(const backend *be, float *y, float *rstd, const float *x, const float *w,
                        int n, int d, float eps)
{
    #pragma omp parallel for if ((size_t)n * d >= PAR_MIN)
    for (int i0 = 0; i0 < n; i0 += RG) {
        int nr = n - i0 < RG ? n - i0 : RG;
        double ss[RG] = {0};
        const float *x0 = x + (size_t)i0 * d;
        for (int j = 0; j < d; j++)
            for (int r = 0; r < nr; r++) ss[r] += (double)x0[(size_t)r * d + j] * x0[(size_t)r * d + j];
        for (int r = 0; r < nr; r++) {
            const float *xi = x0 + (size_t)r * d;
            float *yi = y + (size_t)(i0 + r) * d;
            float rs = (float)(1.0 / sqrt(ss[r] / d + eps));
            rstd[i0 + r] = rs;
            #pragma omp simd
            for (int j = 0; j < d; j++) yi[j] = w[j] * (xi[j] * rs);
        }
    }
}

static void cpu_rmsnorm_bwd(const backend *be, float *dx, float *dw, const float *dy, const float *x,
                            const float *w, const float *rstd, int n, int d, int acc_dx)
{
    /* y_j = w_j x_j r, r = (mean x^2 + eps)^-1/2
     * dx_j = r (w_j dy_j) - x_j r^3 / d * sum_k (w_k dy_k x_k)
     * dw_j = sum_i dy_ij x_ij r_i
     * One team for both halves (dx never aliases dy or x): a thread done
     * with its rows of dx goes on to its columns of dw. */
    enum { CB = 32 };
    #pragma omp parallel if ((size_t)n * d >= PAR_MIN)
    {
        #pragma omp for nowait
        for (int i0 = 0; i0 < n; i0 += RG) {
            int nr = n - i0 < RG ? n - i0 : RG;
            double dot[RG] = {0};
            const float *x0 = x + (size_t)i0 * d, *g0 = dy + (size_t)i0 * d;
            for (int j = 0; j < d; j++)
                for (int r = 0; r < nr; r++) dot[r] += (double)w[j] * g0[(size_t)r * d + j] * x0[(size_t)r * d + j];
            for (int r = 0; r < nr; r++) {
                const float *xi = x0 + (size_t)r * d, *gi = g0 + (size_t)r * d;
                float *dxi = dx + (size_t)(i0 + r) * d;
                float ri = rstd[i0 + r];
                float c = (float)(dot[r] * ri * ri * ri / d);
                #pragma omp simd
                for (int j = 0; j < d; j++) {
                    float v = ri * w[j] * gi[j] - xi[j] * c;
                    dxi[j] = acc_dx ? dxi[j] + v : v;
                }
            }
        }
        if (dw) {
            /* walked row by row over a block of columns (contiguous loads)
             * instead of down each column: every column still adds its
             * terms in row order */
            #pragma omp for
            for (int j0 = 0; j0 < d; j0 += CB) {
                int nj = d - j0 < CB ? d - j0 : CB;
                double s[CB];
                for (int j = 0; j < nj; j++) s[j] = 0;
                for (int i = 0; i < n; i++) {
                    const float *gi = dy + (size_t)i * d + j0, *xi = x + (size_t)i * d + j0;
                    double r = rstd[i];
                    #pragma omp simd
                    for (int j = 0; j < nj; j++) s[j] += (double)gi[j] * xi[j] * r;
                }
                for (int j = 0; j < nj; j++) dw[j0 + j] += (float)s[j];
            }
        }
    }
}

/* Rotate one token's heads by the angles whose cosines and sines are cs/sn. */
static inline void rope_row(float *x, int heads, int hd, const float *cs, const float *sn)
{
    int half = hd / 2;
    for (int h = 0; h < heads; h++) {
        float *v = x + (size_t)h * hd;
        #pragma omp simd
        for (int k = 0; k < half; k++) {
            float a = v[k], b = v[k + half];
            v[k] = a * cs[k] - b * sn[k];
            v[k + half] = b * cs[k] + a * sn[k];
        }
    }
}

/* The angles: the frequencies once per call (pow), then cosf/sinf once per
 * distinct position when positions repeat across rows (a training batch
 * has every position in every row: the table is the row count divided by
 * the batch size), else per token (decoding: one token per row).  Each
 * value is computed by the same expression either way, so the bits do not
 * depend on which path ran. */
static void cpu_rope(const backend *be, float *x, const int32_t *pos, int n, int heads, int hd,
                     float theta, int inverse)
{
    int half = hd / 2;
    float finv[512];   /* hd <= 1024 checked by the model */
    for (int k = 0; k < half; k++) finv[k] = (float)pow((double)theta, -2.0 * k / hd);
    int maxp = 0;
    for (int i = 0; i < n; i++) if (pos[i] > maxp) maxp = pos[i];
    size_t rowd = (size_t)heads * hd;
    if ((size_t)maxp + 1 <= (size_t)n / 2) {
        float *tab = malloc(sizeof(float) * 2 * half * ((size_t)maxp + 1));
        if (!tab) die(EX_SOFTWARE, "out of memory for the rotary table (%d positions)", maxp + 1);
        #pragma omp parallel if ((size_t)n * rowd >= PAR_MIN)
        {
            #pragma omp for
            for (int p = 0; p <= maxp; p++) {
                float *cs = tab + (size_t)p * 2 * half, *sn = cs + half;
                for (int k = 0; k < half; k++) {
                    float ang = (float)p * finv[k];   /* fp32 angle like the reference implementations */
                    cs[k] = cosf(ang);
                    sn[k] = inverse ? -sinf(ang) : sinf(ang);
                }
            }
            #pragma omp for
            for (int i = 0; i < n; i++) {
                const float *cs = tab + (size_t)pos[i] * 2 * half;
                rope_row(x + (size_t)i * rowd, heads, hd, cs, cs + half);
            }
        }
        free(tab);
        return;
    }
    #pragma omp parallel for if ((size_t)n * rowd >= PAR_MIN)
    for (int i = 0; i < n; i++) {
        float cs[512], sn[512];
        for (int k = 0; k < half; k++) {
            float ang = (float)pos[i] * finv[k];
            cs[k] = cosf(ang);
            sn[k] = inverse ? -sinf(ang) : sinf(ang);
        }
        rope_row(x + (size_t)i * rowd, heads, hd, cs, sn);
    }
}

/* attention on OpenBLAS (and where the training kernels run, their
 * dispatch): cpu_attn_blas_body.h */
#include "backend/cpu/cpu_attn_blas_body.h"

static void cpu_swiglu(const backend *be, float *h, const float *g, const float *u, size_t n)
{
    #pragma omp parallel for simd if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float s = g[i] / (1.0f + fexp(-g[i]));
        h[i] = s * u[i];
    }
}

static void cpu_swiglu_bwd(const backend *be, float *dg, float *du, const float *dh, const float *g,
                           const float *u, size_t n)
{
    #pragma omp parallel for simd if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float sg = 1.0f / (1.0f + fexp(-g[i]));
        float silu = g[i] * sg;
        float dsilu = sg * (1.0f + g[i] * (1.0f - sg));
        float d = dh[i];
        du[i] = d * silu;
        dg[i] = d * u[i] * dsilu;
    }
}

/* gelu_tanh(g) = g/2 (1 + t), t = tanh(c (g + a g^3)); its derivative
 * 1/2 (1 + t) + g/2 (1 - t^2) c (1 + 3 a g^2) */
#define GELU_C 0.7978845608028654f   /* sqrt(2/pi) */
#define GELU_A 0.044715f

static void cpu_geglu(const backend *be, float *h, const float *g, const float *u, size_t n)
{
    #pragma omp parallel for if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float x = g[i], t = tanhf(GELU_C * (x + GELU_A * x * x * x));
        h[i] = 0.5f * x * (1.0f + t) * u[i];
    }
}

static void cpu_geglu_bwd(const backend *be, float *dg, float *du, const float *dh, const float *g,
                          const float *u, size_t n)
{
    #pragma omp parallel for if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float x = g[i], t = tanhf(GELU_C * (x + GELU_A * x * x * x));
        float gelu = 0.5f * x * (1.0f + t);
        float dgelu = 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * GELU_C * (1.0f + 3.0f * GELU_A * x * x);
        du[i] = dh[i] * gelu;
        dg[i] = dh[i] * u[i] * dgelu;
    }
}

static void cpu_add(const backend *be, float *y, const float *x, size_t n)
{
    #pragma omp parallel for if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

static void cpu_logprob(const backend *be, float *logp, float *lse, const float *logits,
                        const int32_t *targets, int n, int V)
{
    #pragma omp parallel for if ((size_t)n * V >= PAR_MIN)
    for (int i = 0; i < n; i++) {
        const float *r = logits + (size_t)i * V;
        float mx = r[0];   /* a maximum: any order gives the same value */
        #pragma omp simd reduction(max:mx)
        for (int j = 1; j < V; j++) mx = r[j] > mx ? r[j] : mx;
        float s = 0;
        #pragma omp simd reduction(+:s)
        for (int j = 0; j < V; j++) s += fexp(r[j] - mx);
        float l = mx + logf(s);
        lse[i] = l;
        logp[i] = targets[i] >= 0 ? r[targets[i]] - l : 0.0f;
    }
}

static void cpu_logprob_bwd(const backend *be, float *logits, const float *lse, const float *dlogp,
                            const int32_t *targets, int n, int V)
{
    #pragma omp parallel for if ((size_t)n * V >= PAR_MIN)
    for (int i = 0; i < n; i++) {
        float *r = logits + (size_t)i * V;
        float g = dlogp[i];
        if (targets[i] < 0 || g == 0.0f) { memset(r, 0, sizeof(float) * V); continue; }
        float li = lse[i];
        #pragma omp simd
        for (int j = 0; j < V; j++) r[j] = -g * fexp(r[j] - li);
        r[targets[i]] += g;
    }
}

/* Fixed-order sum: 64 fixed chunks summed in parallel, then added in chunk
 * order, so the result is the same on every run and every thread count
 * (an OpenMP reduction combines partials in arrival order). */
static double cpu_sumsq(const backend *be, const float *x, size_t n)
{
    enum { CHUNKS = 64 };
    double part[CHUNKS];
    #pragma omp parallel for schedule(static, 1) if (n >= PAR_MIN)
    for (int c = 0; c < CHUNKS; c++) {
        size_t lo = n * c / CHUNKS, hi = n * (c + 1) / CHUNKS;
        double s = 0;
        for (size_t i = lo; i < hi; i++) s += (double)x[i] * x[i];
        part[c] = s;
    }
    double s = 0;
    for (int c = 0; c < CHUNKS; c++) s += part[c];
    return s;
}

static void cpu_scale(const backend *be, float *x, float s, size_t n)
{
    #pragma omp parallel for if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) x[i] *= s;
}

static void cpu_adamw(const backend *be, float *p, const float *g, float *m, float *v, size_t n,
                      float lr, float b1, float b2, float eps, float wd,
                      float gscale, long t)
{
    float c1 = 1.0f - powf(b1, (float)t), c2 = 1.0f - powf(b2, (float)t);
    #pragma omp parallel for if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] * gscale;
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        float mh = m[i] / c1, vh = v[i] / c2;
        p[i] -= lr * (mh / (sqrtf(vh) + eps) + wd * p[i]);
    }
}

static void cpu_matmul_rows(const backend *be, float *y, const float *x, const float *w,
                            int n, int in, int out, int acc)
{
    if (rows_blas()) cpu_matmul(be, y, x, w, n, in, out, acc);   /* benchmarks' A/B only */
    else rows_matmul(y, x, w, n, in, out, acc);
}

static void cpu_matmul_rows_n(const backend *be, const rows_prod *p, int count, const float *x,
                              int n, int in, int acc)
{
    if (rows_blas())   /* benchmarks' A/B only */
        for (int j = 0; j < count; j++) cpu_matmul(be, p[j].y, x, p[j].w, n, in, p[j].out, acc);
    else rows_matmul_n(p, count, x, n, in, acc);
}

/* Packed forwards: a row's bits depend on its inputs and (in, out) only.
 * Thin products (in <= TRAIN_MM_IN_MAX) take the unpacked broadcast-FMA
 * kernel on W transposed (cpu_train_int.h: 2x matmul_rows's rate at the
 * tiny preset's 64-wide rows, where matmul_rows spends its time reducing
 * 16-lane partial sums); wider ones matmul_rows's order, which measured
 * as fast or faster there (135M shapes). */
#define TRAIN_MM_IN_MAX 256
static void cpu_matmul_seqs(const backend *be, float *y, const float *x, const float *w,
                            int n, int in, int out, int acc)
{
    if (in <= TRAIN_MM_IN_MAX && train_ready()) train_matmul(y, x, w, n, in, out, acc);
    else rows_matmul(y, x, w, n, in, out, acc);
}

static void cpu_attention_rows(const backend *be, float *out, float *lse, const float *q,
                               const float *k, const float *v, const uint8_t *valid, int B, int Tq,
                               int q0, int kstride, int H, int KV, int hd)
{
    if (rows_blas()) cpu_attention(be, out, lse, q, k, v, valid, B, Tq, q0, kstride, H, KV, hd);
    else rows_attention(out, lse, q, k, v, valid, B, Tq, q0, kstride, H, KV, hd);
}

static const backend cpu_backend = {
    .name = "cpu", .ctx = NULL,
    .sync = cpu_sync,
    .alloc = cpu_alloc, .alloc_bytes = cpu_alloc_bytes, .free = cpu_free,
    .upload = cpu_copy, .download = cpu_copy,
    .upload_bytes = cpu_copy_bytes, .download_bytes = cpu_copy_bytes,
    .zero = cpu_zero, .copy = cpu_copy, .copy_rows = cpu_copy_rows, .zero_rows = cpu_zero_rows,
    .matmul = cpu_matmul, .matmul_bwd = cpu_matmul_bwd, .matmul_rows = cpu_matmul_rows,
    .matmul_rows_n = cpu_matmul_rows_n, .matmul_seqs = cpu_matmul_seqs,
    .embed = cpu_embed, .embed_bwd = cpu_embed_bwd,
    .rmsnorm = cpu_rmsnorm, .rmsnorm_bwd = cpu_rmsnorm_bwd,
    .rope = cpu_rope,
    .attention = cpu_attention, .attention_bwd = cpu_attention_bwd,
    .attention_rows = cpu_attention_rows,
    .attention_seqs = cpu_attention_seqs, .attention_seqs_bwd = cpu_attention_seqs_bwd,
    .swiglu = cpu_swiglu, .swiglu_bwd = cpu_swiglu_bwd,
    .geglu = cpu_geglu, .geglu_bwd = cpu_geglu_bwd,
    .add = cpu_add,
    .logprob = cpu_logprob, .logprob_bwd = cpu_logprob_bwd,
    .sumsq = cpu_sumsq, .scale = cpu_scale, .adamw = cpu_adamw,
};

/* the x86-64-v3 table, or NULL where the build has none (backend_cpu_v3.c) */
const backend *backend_cpu_v3_ops(void);

#ifdef CPU_V3_BUILD
/* backend_cpu_v3.c compiles this file again for x86-64-v3: its table */
const backend *backend_cpu_v3_ops(void) { return &cpu_backend; }
#else
/* Setup, once: all parallelism is the OpenMP team's.  OpenBLAS's own
 * threads would compete with it for the same cores (and serialise
 * concurrent calls from the attention loops), so it is pinned to one
 * thread here.  Where the processor has AVX2 and FMA and the build has the
 * x86-64-v3 copy of these loops (backend_cpu_v3.c), that copy runs: the
 * same code, twice as wide (bits as CPU_VARIANTS in the header says). */
const backend *backend_cpu_open(const char *arg, backend_error *err)
{
    static int pinned;
    static const backend *ops = &cpu_backend;
    if (arg) return backend_fail(err, EX_USAGE, "backend 'cpu' takes no device number (got 'cpu:%s')", arg);
    if (!pinned) {
        openblas_set_num_threads(1);
        smallm_init();   /* after pinning: the check compares with one-thread sgemm */
        (void)train_ready();   /* the training kernels' choice, made once here, before any team */
#if defined(__x86_64__) && defined(__GNUC__)
        const char *env = getenv("PREFPIPE_CPU_V3");   /* "0": the baseline loops (comparisons) */
        if (backend_cpu_v3_ops() && !(env && !strcmp(env, "0")) &&
            __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            ops = backend_cpu_v3_ops();
#endif
        pinned = 1;
    }
    return ops;
}
#endif
