/*
 * model_bench.c — timing driver for tests/bench/model.sh (built by that
 * script against build/libprefpipe.a; not part of `make`).
 *
 *   model_bench train D L H KV F V B T ITERS
 *       forward + backward (NLL on every token) per iteration, after one
 *       warm-up; prints tokens/s, peak RSS and the theoretical bytes of
 *       parameters + gradients + AdamW moments + reserved activations.
 *   model_bench gen D L H KV F V B P NEW
 *       batched sampling (temperature 0.7) of NEW tokens after P-token
 *       prompts; prints new tokens/s and peak RSS.
 *   model_bench membw [MiB]
 *       memory bandwidth: a STREAM triad and a read-only sum over the
 *       OpenMP team on arrays of MiB each (default 256; the read sum
 *       keeps many independent partial sums per thread, see membw);
 *       prints GB/s.
 *   model_bench peak [N]
 *       the measured SGEMM peak: the backend's own matrix product (one
 *       single-threaded sgemm per OpenMP thread on a slice of the
 *       outputs, as training runs it) on N x N x N (default 1024), best
 *       of 5 after a warm-up; prints GFLOP/s per wall and per CPU-second.
 * Output: one line "key=value ..." for the script to format: rates per
 * wall second (tok_s) and per CPU-second of the process (tok_cpu_s, the
 * steadier figure on a shared machine), and the OpenBLAS core in use.
 */
#include "model/model.h"
#include "train/optim.h"
#include "model/sample.h"
#include "text/tokenizer.h"
#include "base/util.h"

#include <cblas.h>
#include <immintrin.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU seconds of the whole process (all threads): on a shared machine
 * work per CPU-second is steadier than work per wall second */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double peak_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

/* floats reserved by model_reserve(ntok, train=1), following model.c */
static double act_floats(const model_config *c, double N)
{
    double D = c->dim, QD = (double)c->n_heads * c->head_dim, KD = (double)c->n_kv_heads * c->head_dim;
    double F = c->ffn, V = c->vocab, H = c->n_heads;
    double layer = 4 * D + 2 * QD + 2 * KD + 3 * F + 2 + H;
    double fin = D + 1 + D + V + 3;
    double grad = 3 * D + 2 * QD + 2 * KD + 3 * F + 2;
    return N * (c->n_layers * layer + D + fin + grad);
}

/* The peak the training rates are read against (see the header). */
static int peak(int n)
{
    const backend *be = backend_cpu();
    size_t nn = (size_t)n * n;
    float *x = be->alloc(be, nn), *w = be->alloc(be, nn), *y = be->alloc(be, nn);
    float *host = xmalloc(sizeof(float) * nn);
    rng_t r;
    rng_seed(&r, 3);
    for (size_t i = 0; i < nn; i++) host[i] = (float)rng_uniform(&r) - 0.5f;
    be->upload(be, x, host, nn);
    be->upload(be, w, host, nn);
    double best = 0, best_cpu = 0, flops = 2.0 * n * nn;
    for (int rep = 0; rep <= 5; rep++) {
        double t0 = now(), c0 = cpu_now();
        be->matmul(be, y, x, w, n, n, n, 0);
        double dt = now() - t0, dc = cpu_now() - c0;
        if (rep == 0) continue;   /* warm-up */
        if (flops / dt > best) best = flops / dt;
        if (flops / dc > best_cpu) best_cpu = flops / dc;
    }
    printf("gflops=%.1f gflops_cpu=%.1f n=%d core=%s\n", best / 1e9, best_cpu / 1e9, n, openblas_get_corename());
    be->free(be, x); be->free(be, w); be->free(be, y);
    free(host);
    return 0;
}

/* The FMA ceiling: what the cores' vector units can do at all, next to
 * the SGEMM peak above (OpenBLAS picks its Haswell AVX2 kernel on this
 * project's AVX-512 machines, so kernels written for AVX-512 can pass
 * "100 %" of that peak).  Each thread of the team runs 12 independent
 * FMA chains held in registers (named variables: an array of vectors is
 * spilled at -O2), the widest vectors the CPU has; best of 5. */
#define FMA_STEP(V, F) a0 = F(a0, b, c); a1 = F(a1, b, c); a2 = F(a2, b, c); a3 = F(a3, b, c); \
    a4 = F(a4, b, c); a5 = F(a5, b, c); a6 = F(a6, b, c); a7 = F(a7, b, c); a8 = F(a8, b, c);    \
    a9 = F(a9, b, c); a10 = F(a10, b, c); a11 = F(a11, b, c)
#define FMA_BODY(V, SET1, F, ADD, LANES)                                                          \
    V b = SET1(0.999999f), c = SET1(1e-7f), a0 = SET1(1), a1 = SET1(2), a2 = SET1(3), a3 = SET1(4); \
    V a4 = SET1(5), a5 = SET1(6), a6 = SET1(7), a7 = SET1(8), a8 = SET1(9), a9 = SET1(10);        \
    V a10 = SET1(11), a11 = SET1(12);                                                             \
    for (long i = 0; i < n; i++) { FMA_STEP(V, F); }                                              \
    V s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));                      \
    s = ADD(s, ADD(ADD(a8, a9), ADD(a10, a11)));                                                  \
    float o[LANES];                                                                               \
    memcpy(o, &s, sizeof o);                                                                      \
    return o[0]
__attribute__((target("avx512f,fma"))) static float fma_512(long n)
{
    FMA_BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, 16);
}
__attribute__((target("avx2,fma"))) static float fma_256(long n)
{
    FMA_BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, 8);
}

static int fma_ceiling(void)
{
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int lanes = avx2 && __builtin_cpu_supports("avx512f") ? 16 : avx2 ? 8 : 0;
    if (!lanes) { printf("gflops=0 isa=none\n"); return 0; }
    long n = 20000000;
    double best = 0, sink = 0;
    for (int rep = 0; rep <= 5; rep++) {
        int threads = 1;
        double t0 = now();
        #pragma omp parallel reduction(+:sink)
        {
#ifdef _OPENMP
            #pragma omp single
            threads = omp_get_num_threads();
#endif
            sink += lanes == 16 ? fma_512(n) : fma_256(n);
        }
        double dt = now() - t0;
        if (rep && 2.0 * 12 * lanes * n * threads / dt > best) best = 2.0 * 12 * lanes * n * threads / dt;
    }
    printf("gflops=%.1f isa=%s check=%g\n", best / 1e9, lanes == 16 ? "avx512" : "avx2", sink != 0 ? 1.0 : 0.0);
    return 0;
}

/* Memory bandwidth, STREAM-style, over the OpenMP team: a triad a = b +
 * s c (bytes counted: 2 reads + 1 write, no write-allocate, as STREAM
 * does) and a read-only sum (what decoding does to the weights), on
 * arrays far beyond the caches; best of 5 after a warm-up, per wall
 * second.  The B 1 decoding bound is the read figure over the bytes of
 * weights one token reads.
 *
 * The read sum must be limited by memory, not by one dependent chain of
 * adds (one float add per element, 3-4 cycles each, is ~4 GB/s a core:
 * the first version of this probe reported that, below what decoding
 * itself achieved).  So each thread streams its own contiguous half (as
 * the decode products split the weight rows) into RD_ACC independent
 * partial sums, 4-float vectors (GCC's vector extension: SSE on the
 * baseline x86-64 this is built for, two 16-byte loads a cycle, far above
 * what memory delivers) in registers: many loads in flight, no chain
 * longer than n / RD_ACC. */
typedef float rd_v4 __attribute__((vector_size(16)));
#define RD_ACC 32   /* floats per step: 8 vectors */
static double read_sum(const float *b, size_t n)
{
    double s = 0;
    #pragma omp parallel reduction(+:s)
    {
        int t = 0, nt = 1;
#ifdef _OPENMP
        t = omp_get_thread_num(), nt = omp_get_num_threads();
#endif
        size_t blocks = n / RD_ACC, i0 = blocks * t / nt * RD_ACC, i1 = blocks * (t + 1) / nt * RD_ACC;
        rd_v4 c0 = {0}, c1 = {0}, c2 = {0}, c3 = {0}, c4 = {0}, c5 = {0}, c6 = {0}, c7 = {0}, v;
        for (size_t i = i0; i < i1; i += RD_ACC) {
            const float *p = b + i;
            memcpy(&v, p, 16); c0 += v;
            memcpy(&v, p + 4, 16); c1 += v;
            memcpy(&v, p + 8, 16); c2 += v;
            memcpy(&v, p + 12, 16); c3 += v;
            memcpy(&v, p + 16, 16); c4 += v;
            memcpy(&v, p + 20, 16); c5 += v;
            memcpy(&v, p + 24, 16); c6 += v;
            memcpy(&v, p + 28, 16); c7 += v;
        }
        rd_v4 c = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7));
        s += (double)c[0] + c[1] + c[2] + c[3];
    }
    return s;
}

static int membw(size_t mib)
{
    size_t n = (mib << 20) / sizeof(float);
    float *a = xmalloc(sizeof(float) * n), *b = xmalloc(sizeof(float) * n), *c = xmalloc(sizeof(float) * n);
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) a[i] = 0, b[i] = 1, c[i] = 2;
    double triad = 0, rd = 0, sink = 0;
    for (int rep = 0; rep <= 5; rep++) {
        double t0 = now();
        #pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++) a[i] = b[i] + 3.0f * c[i];
        double t1 = now();
        double s = read_sum(b, n);
        double t2 = now();
        sink += s + a[rep];
        if (rep == 0) continue;
        if (3.0 * n * sizeof(float) / (t1 - t0) > triad) triad = 3.0 * n * sizeof(float) / (t1 - t0);
        if ((double)(n / RD_ACC * RD_ACC) * sizeof(float) / (t2 - t1) > rd)
            rd = (double)(n / RD_ACC * RD_ACC) * sizeof(float) / (t2 - t1);
    }
    printf("triad_gbs=%.2f read_gbs=%.2f mib=%zu check=%g\n", triad / 1e9, rd / 1e9, mib, sink > 0 ? 1.0 : 0.0);
    free(a); free(b); free(c);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "peak")) return peak(argc > 2 ? atoi(argv[2]) : 1024);
    if (argc >= 2 && !strcmp(argv[1], "fma")) return fma_ceiling();
    if (argc >= 2 && !strcmp(argv[1], "membw")) return membw(argc > 2 ? (size_t)atol(argv[2]) : 256);
    if (argc != 11) {
        fprintf(stderr, "usage: model_bench train|gen D L H KV F V B T|P ITERS|NEW, model_bench peak [N], model_bench fma, "
                "or model_bench membw [MiB]\n");
        return 64;
    }
    model_config c = {.dim = atoi(argv[2]), .n_layers = atoi(argv[3]), .n_heads = atoi(argv[4]),
                      .n_kv_heads = atoi(argv[5]), .ffn = atoi(argv[6]), .vocab = atoi(argv[7]),
                      .max_pos = 4096, .norm_eps = 1e-5, .rope_theta = 10000.0, .tied = 1,
                      .lm_head = 1, .bos_id = -1, .eos_id = -1, .pad_id = -1};
    c.head_dim = c.dim / c.n_heads;
    int B = atoi(argv[8]), T = atoi(argv[9]), K = atoi(argv[10]);
    model *m = model_new(&c, backend_cpu());
    model_init_random(m, 1);
    rng_t r;
    rng_seed(&r, 7);
    if (!strcmp(argv[1], "train")) {
        int iters = K;
        int32_t *tok = xmalloc(sizeof(int32_t) * B * T);
        for (int i = 0; i < B * T; i++) tok[i] = (int32_t)rng_below(&r, c.vocab);
        float *lp = xmalloc(sizeof(float) * B * T), *d = xmalloc(sizeof(float) * B * T);
        for (int i = 0; i < B * T; i++) d[i] = -1.0f / (B * T);
        model_enable_grads(m);
        model_reserve(m, B * T, 1);
        optim *o = optim_new(m, adamw_defaults());   /* allocated so peak memory includes it */
        double t0 = 0, c0 = 0;
        for (int it = 0; it <= iters; it++) {
            if (it == 1) { t0 = now(); c0 = cpu_now(); }
            model_zero_grads(m);
            model_forward(m, tok, NULL, B, T, lp, NULL);
            model_backward(m, d, NULL);
        }
        double dt = now() - t0, dc = cpu_now() - c0;
        double theo = (4.0 * m->nparams + act_floats(&c, (double)B * T)) * 4 / (1 << 20);
        printf("tok_s=%.1f tok_cpu_s=%.1f params=%zu peak_mib=%.1f theory_mib=%.1f core=%s\n",
               iters * (double)B * T / dt, iters * (double)B * T / dc, m->nparams, peak_mib(), theo,
               openblas_get_corename());
        optim_free(o);
    } else {
        int P = T, NEW = K;
        int32_t **ids = xmalloc(sizeof(int32_t *) * B);
        int *plen = xmalloc(sizeof(int) * B);
        char **rid = xmalloc(sizeof(char *) * B);
        for (int b = 0; b < B; b++) {
            ids[b] = xmalloc(sizeof(int32_t) * P);
            for (int t = 0; t < P; t++) ids[b][t] = (int32_t)rng_below(&r, c.vocab);
            plen[b] = P;
            rid[b] = xmalloc(16);
            snprintf(rid[b], 16, "r%d", b);
        }
        tokenizer *tok = tok_byte_new();
        sampler_cfg sc = sampler_defaults();
        sc.temperature = 0.7;
        sc.max_new = NEW;
        sample_out *out = xcalloc(B, sizeof *out);
        double t0 = now(), c0 = cpu_now();
        sample_batch(m, tok, &sc, (const int32_t *const *)ids, plen, (const char *const *)rid, B, out);
        double dt = now() - t0, dc = cpu_now() - c0;
        long n = 0;
        for (int b = 0; b < B; b++) { n += out[b].n; sample_out_free(&out[b]); }
        printf("tok_s=%.1f tok_cpu_s=%.1f params=%zu peak_mib=%.1f core=%s\n", n / dt, n / dc, m->nparams, peak_mib(),
               openblas_get_corename());
        tok_free(tok);
    }
    model_free(m);
    return 0;
}
