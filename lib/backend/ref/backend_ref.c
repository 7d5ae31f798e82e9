/*
 * backend_ref.c — the reference backend ("ref"): every operation of
 * backend.h written plainly in C, straight from its definition there.
 *
 * No BLAS, no threads, no blocking, no fast exponential: one loop nest per
 * formula, sums in double in index order.  It is slow and exists to be
 * obviously right: tests/unit/backend/test_backend_parity.c runs every
 * other backend (cpu today, cuda on a GPU machine) against it, op by op.
 * It also serves as the CPU twin a device backend's kernels are read
 * beside.  Memory is host memory; ctx is NULL; sync does nothing.
 *
 * Keep it plain: an "optimisation" here would weaken the check it exists
 * for.  Where the definition leaves a choice the other backends make the
 * same way (fp32 rotary angles as Hugging Face computes them, log-sum-exp 0
 * for a query that sees no key), the comment says so.
 */
#include "backend/backend_int.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void ref_sync(const backend *be) { (void)be; }

static void *ref_alloc_bytes(const backend *be, size_t nbytes)
{
    return xcalloc(nbytes ? nbytes : 1, 1);
}

static float *ref_alloc(const backend *be, size_t n)
{
    return xcalloc(n ? n : 1, sizeof(float));
}

static void ref_free(const backend *be, void *p) { free(p); }

static void ref_copy(const backend *be, float *dst, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++) dst[i] = src[i];
}

static void ref_copy_bytes(const backend *be, void *dst, const void *src, size_t n)
{
    for (size_t i = 0; i < n; i++) ((unsigned char *)dst)[i] = ((const unsigned char *)src)[i];
}

static void ref_zero(const backend *be, float *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = 0.0f;
}

static void ref_copy_rows(const backend *be, float *dst, size_t dst_ld, const float *src,
                          size_t src_ld, size_t rows, size_t cols)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) dst[r * dst_ld + c] = src[r * src_ld + c];
}

static void ref_zero_rows(const backend *be, float *x, const uint8_t *mask, int n, int d)
{
    for (int i = 0; i < n; i++)
        if (!mask[i])
            for (int j = 0; j < d; j++) x[(size_t)i * d + j] = 0.0f;
}

/* y[i, o] = sum_k x[i, k] w[o, k] */
static void ref_matmul(const backend *be, float *y, const float *x, const float *w,
                       int n, int in, int out, int acc)
{
    for (int i = 0; i < n; i++)
        for (int o = 0; o < out; o++) {
            double s = acc ? y[(size_t)i * out + o] : 0.0;
            for (int k = 0; k < in; k++) s += (double)x[(size_t)i * in + k] * w[(size_t)o * in + k];
            y[(size_t)i * out + o] = (float)s;
        }
}

/* dx[i, k] = sum_o dy[i, o] w[o, k];  dw[o, k] += sum_i dy[i, o] x[i, k] */
static void ref_matmul_bwd(const backend *be, float *dx, float *dw, const float *dy,
                           const float *x, const float *w, int n, int in, int out, int acc_dx)
{
    if (dx)
        for (int i = 0; i < n; i++)
            for (int k = 0; k < in; k++) {
                double s = acc_dx ? dx[(size_t)i * in + k] : 0.0;
                for (int o = 0; o < out; o++) s += (double)dy[(size_t)i * out + o] * w[(size_t)o * in + k];
                dx[(size_t)i * in + k] = (float)s;
            }
    if (dw)
        for (int o = 0; o < out; o++)
            for (int k = 0; k < in; k++) {
                double s = 0;
                for (int i = 0; i < n; i++) s += (double)dy[(size_t)i * out + o] * x[(size_t)i * in + k];
                dw[(size_t)o * in + k] += (float)s;
            }
}

static void ref_embed(const backend *be, float *out, const float *table, const int32_t *ids, int n, int d)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) out[(size_t)i * d + j] = table[(size_t)ids[i] * d + j];
}

static void ref_embed_bwd(const backend *be, float *dt, const float *dout, const int32_t *ids, int n, int d)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) dt[(size_t)ids[i] * d + j] += dout[(size_t)i * d + j];
}

static void ref_rmsnorm(const backend *be, float *y, float *rstd, const float *x, const float *w,
                        int n, int d, float eps)
{
    for (int i = 0; i < n; i++) {
        double ss = 0;
        for (int j = 0; j < d; j++) ss += (double)x[(size_t)i * d + j] * x[(size_t)i * d + j];
        double r = 1.0 / sqrt(ss / d + eps);
        rstd[i] = (float)r;
        for (int j = 0; j < d; j++) y[(size_t)i * d + j] = (float)(w[j] * (x[(size_t)i * d + j] * r));
    }
}

/* y_j = w_j x_j r with r = (mean_k x_k^2 + eps)^(-1/2), so
 * dx_j = r w_j dy_j - x_j r^3 / d * sum_k w_k dy_k x_k, dw_j = sum_i dy_j x_j r */
static void ref_rmsnorm_bwd(const backend *be, float *dx, float *dw, const float *dy, const float *x,
                            const float *w, const float *rstd, int n, int d, int acc_dx)
{
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * d, *gi = dy + (size_t)i * d;
        double r = rstd[i], dot = 0;
        for (int j = 0; j < d; j++) dot += (double)w[j] * gi[j] * xi[j];
        for (int j = 0; j < d; j++) {
            double v = r * w[j] * gi[j] - xi[j] * r * r * r * dot / d;
            float *o = &dx[(size_t)i * d + j];
            *o = acc_dx ? *o + (float)v : (float)v;
        }
    }
    if (dw)
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += (double)dy[(size_t)i * d + j] * x[(size_t)i * d + j] * rstd[i];
            dw[j] += (float)s;
        }
}

/* The angle is formed in fp32 (position times the fp32 inverse frequency)
 * as Hugging Face's LlamaRotaryEmbedding does; cos/sin of it in double. */
static void ref_rope(const backend *be, float *x, const int32_t *pos, int n, int heads, int hd,
                     float theta, int inverse)
{
    int half = hd / 2;
    for (int i = 0; i < n; i++)
        for (int h = 0; h < heads; h++)
            for (int k = 0; k < half; k++) {
                float inv = (float)pow((double)theta, -2.0 * k / hd);
                float ang = (float)pos[i] * inv;
                double c = cos((double)ang), s = inverse ? -sin((double)ang) : sin((double)ang);
                float *v = x + ((size_t)i * heads + h) * hd;
                double a = v[k], b = v[k + half];
                v[k] = (float)(a * c - b * s);
                v[k + half] = (float)(b * c + a * s);
            }
}

/* key j is visible to the query at slot s when j <= s and valid[j] */
static void ref_attention(const backend *be, float *out, float *lse, const float *q, const float *k,
                          const float *v, const uint8_t *valid, int B, int Tq,
                          int q0, int kstride, int H, int KV, int hd)
{
    int grp = H / KV, qd = H * hd, kd = KV * hd;
    double scale = 1.0 / sqrt((double)hd);
    double *sc = xmalloc(sizeof(double) * (size_t)(q0 + Tq));
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < Tq; i++) {
                int s = q0 + i, kh = h / grp;
                const float *qi = q + ((size_t)b * Tq + i) * qd + (size_t)h * hd;
                float *oi = out + ((size_t)b * Tq + i) * qd + (size_t)h * hd;
                double mx = -INFINITY;
                for (int j = 0; j <= s; j++) {
                    if (!valid[(size_t)b * kstride + j]) continue;
                    const float *kj = k + ((size_t)b * kstride + j) * kd + (size_t)kh * hd;
                    double dot = 0;
                    for (int c = 0; c < hd; c++) dot += (double)qi[c] * kj[c];
                    sc[j] = dot * scale;
                    if (sc[j] > mx) mx = sc[j];
                }
                for (int c = 0; c < hd; c++) oi[c] = 0.0f;
                if (mx == -INFINITY) {   /* nothing visible: zeros, lse 0 */
                    lse[((size_t)b * H + h) * Tq + i] = 0.0f;
                    continue;
                }
                double sum = 0;
                for (int j = 0; j <= s; j++)
                    if (valid[(size_t)b * kstride + j]) sum += exp(sc[j] - mx);
                for (int c = 0; c < hd; c++) {
                    double acc = 0;
                    for (int j = 0; j <= s; j++) {
                        if (!valid[(size_t)b * kstride + j]) continue;
                        acc += exp(sc[j] - mx) / sum * v[((size_t)b * kstride + j) * kd + (size_t)kh * hd + c];
                    }
                    oi[c] = (float)acc;
                }
                lse[((size_t)b * H + h) * Tq + i] = (float)(mx + log(sum));
            }
    free(sc);
}

/* With p_j = exp(s_j - lse) (s_j = scale q.k_j), D = dout . out:
 * dv_j += p_j dout; dS_j = p_j (dout . v_j - D);
 * dq = scale sum_j dS_j k_j; dk_j += scale dS_j q. */
static void ref_attention_bwd(const backend *be, float *dq, float *dk, float *dv, const float *dout,
                              const float *q, const float *k, const float *v,
                              const float *out, const float *lse,
                              const uint8_t *valid, int B, int T, int H, int KV, int hd)
{
    int grp = H / KV, qd = H * hd, kd = KV * hd;
    double scale = 1.0 / sqrt((double)hd);
    double *dkv = xcalloc((size_t)2 * B * T * kd, sizeof(double));   /* dk, dv sums */
    double *gq = xmalloc(sizeof(double) * (size_t)hd);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < T; i++) {
                int kh = h / grp;
                size_t qrow = ((size_t)b * T + i) * qd + (size_t)h * hd;
                const float *qi = q + qrow, *oi = out + qrow, *gi = dout + qrow;
                double L = lse[((size_t)b * H + h) * T + i], D = 0;
                for (int c = 0; c < hd; c++) D += (double)gi[c] * oi[c];
                for (int c = 0; c < hd; c++) gq[c] = 0;
                for (int j = 0; j <= i; j++) {
                    if (!valid[(size_t)b * T + j]) continue;
                    size_t krow = ((size_t)b * T + j) * kd + (size_t)kh * hd;
                    double s = 0, dp = 0;
                    for (int c = 0; c < hd; c++) s += (double)qi[c] * k[krow + c];
                    double p = exp(s * scale - L);
                    for (int c = 0; c < hd; c++) dp += (double)gi[c] * v[krow + c];
                    double ds = p * (dp - D);
                    for (int c = 0; c < hd; c++) {
                        gq[c] += scale * ds * k[krow + c];
                        dkv[krow + c] += scale * ds * qi[c];
                        dkv[(size_t)B * T * kd + krow + c] += p * gi[c];
                    }
                }
                for (int c = 0; c < hd; c++) dq[qrow + c] = (float)gq[c];
            }
    for (size_t i = 0; i < (size_t)B * T * kd; i++) {
        dk[i] = (float)dkv[i];
        dv[i] = (float)dkv[(size_t)B * T * kd + i];
    }
    free(dkv);
    free(gq);
}

/* attention_seqs: each sequence as a batch of one row with every key real */
static void ref_attention_seqs(const backend *be, float *out, float *lse, const float *q,
                               const float *k, const float *v, const int *len, int nseq,
                               int H, int KV, int hd)
{
    size_t o = 0, qd = (size_t)H * hd, kd = (size_t)KV * hd;
    for (int s = 0; s < nseq; o += (size_t)len[s++]) {
        if (!len[s]) continue;
        uint8_t *ones = xmalloc((size_t)len[s]);
        memset(ones, 1, (size_t)len[s]);
        ref_attention(be, out + o * qd, lse + o * H, q + o * qd, k + o * kd, v + o * kd, ones,
                      1, len[s], 0, len[s], H, KV, hd);
        free(ones);
    }
}

static void ref_attention_seqs_bwd(const backend *be, float *dq, float *dk, float *dv,
                                   const float *dout, const float *q, const float *k,
                                   const float *v, const float *out, const float *lse,
                                   const int *len, int nseq, int H, int KV, int hd)
{
    size_t o = 0, qd = (size_t)H * hd, kd = (size_t)KV * hd;
    for (int s = 0; s < nseq; o += (size_t)len[s++]) {
        if (!len[s]) continue;
        uint8_t *ones = xmalloc((size_t)len[s]);
        memset(ones, 1, (size_t)len[s]);
        ref_attention_bwd(be, dq + o * qd, dk + o * kd, dv + o * kd, dout + o * qd, q + o * qd,
                          k + o * kd, v + o * kd, out + o * qd, lse + o * H, ones, 1, len[s], H, KV, hd);
        free(ones);
    }
}

static void ref_swiglu(const backend *be, float *h, const float *g, const float *u, size_t n)
{
    for (size_t i = 0; i < n; i++) h[i] = (float)(g[i] / (1.0 + exp(-(double)g[i])) * u[i]);
}

/* silu'(g) = s (1 + g (1 - s)) with s = sigmoid(g) */
static void ref_swiglu_bwd(const backend *be, float *dg, float *du, const float *dh, const float *g,
                           const float *u, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double s = 1.0 / (1.0 + exp(-(double)g[i]));
        du[i] = (float)(dh[i] * g[i] * s);
        dg[i] = (float)(dh[i] * u[i] * s * (1.0 + g[i] * (1.0 - s)));
    }
}

/* gelu_tanh in double: x/2 (1 + t), t = tanh(sqrt(2/pi) (x + 0.044715 x^3)) */
static void gelu_tanh(double x, double *f, double *df)
{
    double c = 0.7978845608028654, a = 0.044715, t = tanh(c * (x + a * x * x * x));
    *f = 0.5 * x * (1 + t);
    *df = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * a * x * x);
}

static void ref_geglu(const backend *be, float *h, const float *g, const float *u, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double f, df;
        gelu_tanh(g[i], &f, &df);
        h[i] = (float)(f * u[i]);
    }
}

static void ref_geglu_bwd(const backend *be, float *dg, float *du, const float *dh, const float *g,
                          const float *u, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double f, df;
        gelu_tanh(g[i], &f, &df);
        du[i] = (float)(dh[i] * f);
        dg[i] = (float)(dh[i] * u[i] * df);
    }
}

static void ref_add(const backend *be, float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

static void ref_logprob(const backend *be, float *logp, float *lse, const float *logits,
                        const int32_t *targets, int n, int V)
{
    for (int i = 0; i < n; i++) {
        const float *r = logits + (size_t)i * V;
        double mx = r[0], s = 0;
        for (int j = 1; j < V; j++) if (r[j] > mx) mx = r[j];
        for (int j = 0; j < V; j++) s += exp(r[j] - mx);
        double l = mx + log(s);
        lse[i] = (float)l;
        logp[i] = targets[i] >= 0 ? (float)(r[targets[i]] - l) : 0.0f;
    }
}

static void ref_logprob_bwd(const backend *be, float *logits, const float *lse, const float *dlogp,
                            const int32_t *targets, int n, int V)
{
    for (int i = 0; i < n; i++) {
        float *r = logits + (size_t)i * V;
        int t = targets[i];
        double g = dlogp[i];
        for (int j = 0; j < V; j++)
            r[j] = (t < 0 || g == 0) ? 0.0f
                 : (float)(g * ((j == t) - exp((double)r[j] - lse[i])));
    }
}

static double ref_sumsq(const backend *be, const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return s;
}

static void ref_scale(const backend *be, float *x, float s, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] *= s;
}

static void ref_adamw(const backend *be, float *p, const float *g, float *m, float *v, size_t n,
                      float lr, float b1, float b2, float eps, float wd, float gscale, long t)
{
    double c1 = 1.0 - pow(b1, (double)t), c2 = 1.0 - pow(b2, (double)t);
    for (size_t i = 0; i < n; i++) {
        double gi = (double)g[i] * gscale;
        m[i] = (float)(b1 * (double)m[i] + (1.0 - b1) * gi);
        v[i] = (float)(b2 * (double)v[i] + (1.0 - b2) * gi * gi);
        double mh = m[i] / c1, vh = v[i] / c2;
        p[i] = (float)(p[i] - lr * (mh / (sqrt(vh) + eps) + wd * (double)p[i]));
    }
}

/* matmul_rows's order (backend.h), written out: 16 fma chains, halving tree */
static float ref_dot16(const float *a, const float *b, int K)
{
    float s[16] = {0};
    for (int k = 0; k < K; k++) s[k % 16] = fmaf(a[k], b[k], s[k % 16]);
    for (int h = 8; h >= 1; h /= 2)
        for (int l = 0; l < h; l++) s[l] = s[l] + s[l + h];
    return s[0];
}

static void ref_matmul_rows(const backend *be, float *y, const float *x, const float *w,
                            int n, int in, int out, int acc)
{
    for (int i = 0; i < n; i++)
        for (int o = 0; o < out; o++) {
            float d = ref_dot16(x + (size_t)i * in, w + (size_t)o * in, in), *yy = y + (size_t)i * out + o;
            *yy = acc ? *yy + d : d;
        }
}

static void ref_matmul_rows_n(const backend *be, const rows_prod *p, int count, const float *x,
                              int n, int in, int acc)
{
    for (int j = 0; j < count; j++) ref_matmul_rows(be, p[j].y, x, p[j].w, n, in, p[j].out, acc);
}

static void ref_attention_rows(const backend *be, float *out, float *lse, const float *q, const float *k,
                               const float *v, const uint8_t *valid, int B, int Tq,
                               int q0, int kstride, int H, int KV, int hd)
{
    int grp = H / KV, qd = H * hd, kd = KV * hd, Tk = q0 + Tq;
    float scale = 1.0f / sqrtf((float)hd);
    float *e = xmalloc(sizeof(float) * (size_t)Tk);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < Tq; i++) {
                const uint8_t *vm = valid + (size_t)b * kstride;
                const float *K = k + (size_t)b * kstride * kd + (h / grp) * hd;
                const float *V = v + (size_t)b * kstride * kd + (h / grp) * hd;
                const float *qi = q + ((size_t)b * Tq + i) * qd + (size_t)h * hd;
                float *o = out + ((size_t)b * Tq + i) * qd + (size_t)h * hd;
                float m = -INFINITY, sum = 0;
                int any = 0;
                for (int j = 0; j <= q0 + i; j++)
                    if (vm[j]) {
                        e[j] = ref_dot16(qi, K + (size_t)j * kd, hd) * scale;
                        if (e[j] > m) m = e[j];
                        any = 1;
                    }
                for (int d = 0; d < hd; d++) o[d] = 0.0f;
                float *l = lse + ((size_t)b * H + h) * Tq + i;
                if (!any) { *l = 0.0f; continue; }
                for (int j = 0; j <= q0 + i; j++)
                    if (vm[j]) { e[j] = expf(e[j] - m); sum += e[j]; }
                float inv = 1.0f / sum;
                for (int j = 0; j <= q0 + i; j++)
                    if (vm[j])
                        for (int d = 0; d < hd; d++) o[d] = fmaf(e[j] * inv, V[(size_t)j * kd + d], o[d]);
                *l = m + logf(sum);
            }
    free(e);
}

static const backend ref_backend = {
    .name = "ref", .ctx = NULL,
    .sync = ref_sync,
    .alloc = ref_alloc, .alloc_bytes = ref_alloc_bytes, .free = ref_free,
    .upload = ref_copy, .download = ref_copy,
    .upload_bytes = ref_copy_bytes, .download_bytes = ref_copy_bytes,
    .zero = ref_zero, .copy = ref_copy, .copy_rows = ref_copy_rows, .zero_rows = ref_zero_rows,
    .matmul = ref_matmul, .matmul_bwd = ref_matmul_bwd, .matmul_rows = ref_matmul_rows,
    .matmul_rows_n = ref_matmul_rows_n, .matmul_seqs = ref_matmul_rows,
    .embed = ref_embed, .embed_bwd = ref_embed_bwd,
    .rmsnorm = ref_rmsnorm, .rmsnorm_bwd = ref_rmsnorm_bwd,
    .rope = ref_rope,
    .attention = ref_attention, .attention_bwd = ref_attention_bwd,
    .attention_rows = ref_attention_rows,
    .attention_seqs = ref_attention_seqs, .attention_seqs_bwd = ref_attention_seqs_bwd,
    .swiglu = ref_swiglu, .swiglu_bwd = ref_swiglu_bwd,
    .geglu = ref_geglu, .geglu_bwd = ref_geglu_bwd,
    .add = ref_add,
    .logprob = ref_logprob, .logprob_bwd = ref_logprob_bwd,
    .sumsq = ref_sumsq, .scale = ref_scale, .adamw = ref_adamw,
};

const backend *backend_ref_open(const char *arg, backend_error *err)
{
    if (arg) return backend_fail(err, EX_USAGE, "backend 'ref' takes no device number (got 'ref:%s')", arg);
    return &ref_backend;
}
