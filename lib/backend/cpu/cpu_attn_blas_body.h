/*
 * cpu_attn_blas_body.h — the CPU backend's attention on OpenBLAS: the
 * general path (any Tq, a key mask), its backward, decoding's grouped
 * heads on the small-M kernels, and packed sequences where the training
 * kernels are off (no AVX2, PREFPIPE_CPU_TRAIN=blas).  Not a header of its
 * own: backend_cpu.c includes it once, in the middle of its table's
 * functions, so that backend_cpu_v3.c's second compilation of that file
 * builds these loops for x86-64-v3 too (see backend_cpu.c's CPU_VARIANTS).
 * It uses backend_cpu.c's includes and PAR_MIN.
 */

/* Attention per (row, head) as two sgemm calls around a masked softmax:
 * S = scale Q K^T, P = softmax(mask(S)), O = P V.  The full Tq x Tk score
 * block is computed (the causal upper triangle is wasted work, still far
 * cheaper than scalar loops); the probabilities P are kept only in a
 * per-thread scratch.  The parallelism is over rows x heads, each sgemm
 * single-threaded (see backend_cpu()). */
/* Per-thread scratch that persists across calls (OpenMP keeps its threads),
 * so the score blocks are not mmap'ed, zeroed and unmapped on every call. */
static float *scratch(int which, size_t n)
{
    static _Thread_local float *buf[2];
    static _Thread_local size_t cap[2];
    if (n > cap[which]) {
        free(buf[which]);
        buf[which] = malloc(sizeof(float) * n);
        if (!buf[which]) die(EX_SOFTWARE, "out of memory for attention scratch (%zu floats)", n);
        cap[which] = n;
    }
    return buf[which];
}

/* P row i of a Tq x Tk block: mask (key j <= q0 + i and valid), softmax,
 * returns the log-sum-exp (0 and a zero row when nothing is visible). */
static float masked_softmax_row(float *row, const uint8_t *vm, int lim, int Tk)
{
    float mx = -INFINITY;   /* a maximum: any order gives the same value */
    #pragma omp simd reduction(max:mx)
    for (int j = 0; j <= lim; j++) {
        float c = vm[j] ? row[j] : -INFINITY;
        mx = c > mx ? c : mx;
    }
    if (mx == -INFINITY) { memset(row, 0, sizeof(float) * Tk); return 0; }
    float sum = 0;
    #pragma omp simd reduction(+:sum)
    for (int j = 0; j <= lim; j++) {
        float p = fexp(row[j] - mx) * (float)(vm[j] != 0);   /* branch-free: vectorises */
        row[j] = p;
        sum += p;
    }
    for (int j = lim + 1; j < Tk; j++) row[j] = 0;
    float inv = 1.0f / sum;
    #pragma omp simd
    for (int j = 0; j <= lim; j++) row[j] *= inv;
    return mx + logf(sum);
}

/* row[j] = exp(row[j] - shift) for j in 0..lim, 0 for lim < j < n: the
 * exponentials run over whole 8-float groups (scores past lim made 0 by
 * a select, not computed as exp(-inf)), so no group ends in a scalar tail
 * of exponentials, which took a fifth of the softmax's time at the tiny
 * preset's lengths.  The scores in 0..n must be finite. */
static inline __attribute__((always_inline)) void exp_causal_groups(float *row, int lim, int n, float shift)
{
    int n8 = (lim + 8) / 8 * 8;
    if (n8 > n) n8 = n;
    #pragma omp simd
    for (int j = 0; j < n8; j++) {
        float p = fexp(row[j] - shift);
        row[j] = j <= lim ? p : 0.0f;
    }
    if (n8 < n) memset(row + n8, 0, sizeof(float) * (size_t)(n - n8));
}

/* masked_softmax_row for a packed sequence, whose keys are all real (no mask):
 * the exponentials run over whole 8-float groups (exp_causal_groups, up
 * to Tk); the sum is a separate pass over 0..lim in
 * the masked row's order, so the values and their sum are those of
 * masked_softmax_row with every key valid.  row must hold Tk floats and
 * scores only (finite) in 0..Tk). */
static float causal_softmax_row(float *row, int lim, int Tk)
{
    float mx = -INFINITY;
    #pragma omp simd reduction(max:mx)
    for (int j = 0; j <= lim; j++) mx = row[j] > mx ? row[j] : mx;
    exp_causal_groups(row, lim, Tk, mx);
    float sum = 0;
    #pragma omp simd reduction(+:sum)
    for (int j = 0; j <= lim; j++) sum += row[j];
    float inv = 1.0f / sum;
    #pragma omp simd
    for (int j = 0; j <= lim; j++) row[j] *= inv;
    return mx + logf(sum);
}

/* Queries are processed in blocks of ATT_BQ rows; block [i0, i1) needs
 * keys 0 .. q0+i1-1 only, which skips most of the causal upper triangle. */
#define ATT_BQ 64

/* One new query per row (decoding): the query heads that share a K/V head
 * go through that head's keys and values together, read where the cache
 * holds them (no packed copy per head and step), each head's row in the
 * same order as the one-row sgemm calls of the general path below. */
static void attention_decode(float *out, float *lse, const float *q, const float *k, const float *v,
                             const uint8_t *valid, int B, int q0, int kstride, int H, int KV, int hd)
{
    int grp = H / KV, qd = H * hd, kd = KV * hd, kmax = q0 + 1;
    float scale = 1.0f / sqrtf((float)hd);
    #pragma omp parallel if ((size_t)B * H * kmax * hd >= PAR_MIN * 16)
    {
        float *S = scratch(0, (size_t)grp * kmax);
        #pragma omp for collapse(2) schedule(dynamic, 1)
        for (int b = 0; b < B; b++)
            for (int kh = 0; kh < KV; kh++) {
                const uint8_t *vm = valid + (size_t)b * kstride;
                const float *K = k + (size_t)b * kstride * kd + kh * hd;
                const float *Vv = v + (size_t)b * kstride * kd + kh * hd;
                const float *Q = q + (size_t)b * qd + (size_t)kh * grp * hd;
                smallm_nt(S, kmax, Q, hd, K, kd, grp, 0, kmax, hd, scale, 0);
                for (int g = 0; g < grp; g++)
                    lse[(size_t)b * H + kh * grp + g] = masked_softmax_row(S + (size_t)g * kmax, vm, q0, kmax);
                smallm_nn(out + (size_t)b * qd + (size_t)kh * grp * hd, hd, S, kmax, Vv, kd, grp, hd, kmax, 1.0f, 0);
            }
    }
}

/* One (row, head) of the general path: queries Q [Tq rows, stride qd]
 * against keys/values K, V (stride kd) with key mask vm (NULL: every key real); out rows O, lse
 * L [Tq].  Its shapes depend on Tq and q0 alone, so a sequence computed
 * here gives the same bits whichever batch it came in (attention_seqs). */
static void att_fwd_block(float *O, float *L, const float *Q, const float *K, const float *Vv,
                          const uint8_t *vm, int Tq, int q0, int qd, int kd, int hd, float scale,
                          float *S)
{
    for (int i0 = 0; i0 < Tq; i0 += ATT_BQ) {
        int m = Tq - i0 < ATT_BQ ? Tq - i0 : ATT_BQ, kmax = q0 + i0 + m;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, kmax, hd,
                    scale, Q + (size_t)i0 * qd, qd, K, kd, 0.0f, S, kmax);
        for (int i = 0; i < m; i++)
            L[i0 + i] = vm ? masked_softmax_row(S + (size_t)i * kmax, vm, q0 + i0 + i, kmax)
                           : causal_softmax_row(S + (size_t)i * kmax, q0 + i0 + i, kmax);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, hd, kmax,
                    1.0f, S, kmax, Vv, kd, 0.0f, O + (size_t)i0 * qd, qd);
    }
}

static void cpu_attention(const backend *be, float *out, float *lse, const float *q, const float *k,
                          const float *v, const uint8_t *valid, int B, int Tq,
                          int q0, int kstride, int H, int KV, int hd)
{
    int grp = H / KV, qd = H * hd, kd = KV * hd, Tk = q0 + Tq;
    float scale = 1.0f / sqrtf((float)hd);
    if (Tq == 1 && smallm_ready()) {
        attention_decode(out, lse, q, k, v, valid, B, q0, kstride, H, KV, hd);
        return;
    }
    #pragma omp parallel if ((size_t)B * H * Tq * Tk * hd >= PAR_MIN * 16)
    {
        float *S = scratch(0, (size_t)ATT_BQ * Tk);
        #pragma omp for collapse(2) schedule(dynamic, 1)
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++) {
                int kh = h / grp;
                att_fwd_block(out + (size_t)b * Tq * qd + h * hd, lse + ((size_t)b * H + h) * Tq,
                              q + (size_t)b * Tq * qd + h * hd, k + (size_t)b * kstride * kd + kh * hd,
                              v + (size_t)b * kstride * kd + kh * hd, valid + (size_t)b * kstride,
                              Tq, q0, qd, kd, hd, scale, S);
            }
    }
}

/* One (row, key/value head) of the training backward: the grp query
 * heads h0 .. h0+grp-1 over T slots; dK, dV (stride kd) are overwritten.
 * Shapes depend on T alone (see att_fwd_block). */
static void att_bwd_block(float *dq, float *dK, float *dV, const float *dout, const float *q,
                          const float *out, const float *lse, const float *K, const float *Vv,
                          const uint8_t *vm, int T, int h0, int grp, int H, int qd, int kd, int hd,
                          float scale, float *P, float *dP)
{
    for (int j = 0; j < T; j++) {
        memset(dK + (size_t)j * kd, 0, sizeof(float) * hd);
        memset(dV + (size_t)j * kd, 0, sizeof(float) * hd);
    }
    for (int h = h0; h < h0 + grp; h++)
        for (int i0 = 0; i0 < T; i0 += ATT_BQ) {
            int m = T - i0 < ATT_BQ ? T - i0 : ATT_BQ, kmax = i0 + m;
            size_t row0 = (size_t)i0 * qd + h * hd;
            const float *Q = q + row0, *O = out + row0, *dO = dout + row0;
            float *dQ = dq + row0;
            const float *L = lse + (size_t)h * T + i0;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, kmax, hd,
                        scale, Q, qd, K, kd, 0.0f, P, kmax);
            for (int i = 0; i < m; i++) {   /* keys past the query: 0, no exponential */
                float *row = P + (size_t)i * kmax;
                float li = L[i];
                int lim = i0 + i;
                if (vm) {
                    #pragma omp simd
                    for (int j = 0; j <= lim; j++)
                        row[j] = fexp(row[j] - li) * (float)(vm[j] != 0);
                    for (int j = lim + 1; j < kmax; j++) row[j] = 0;
                    continue;
                }
                /* every key real (packed sequence): whole 8-float groups,
                 * as causal_softmax_row; each value is the masked one's */
                exp_causal_groups(row, lim, kmax, li);
            }
            /* dV += P^T dO; dP = dO V^T; dS = P (dP - rowsum(dO O)) */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kmax, hd, m,
                        1.0f, P, kmax, dO, qd, 1.0f, dV, kd);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, kmax, hd,
                        1.0f, dO, qd, Vv, kd, 0.0f, dP, kmax);
            /* D_i = dO_i . O_i, each summed in c order as one
             * chain per row; the rows' chains are interleaved
             * (independent, so the latency overlaps) */
            float D[ATT_BQ];
            for (int i = 0; i < m; i++) D[i] = 0;
            for (int c = 0; c < hd; c++)
                for (int i = 0; i < m; i++) D[i] += dO[(size_t)i * qd + c] * O[(size_t)i * qd + c];
            for (int i = 0; i < m; i++) {
                const float *pr = P + (size_t)i * kmax;
                float *dr = dP + (size_t)i * kmax, Di = D[i];
                #pragma omp simd
                for (int j = 0; j < kmax; j++) dr[j] = pr[j] * (dr[j] - Di);
            }
            /* dQ = scale dS K; dK += scale dS^T Q */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, hd, kmax,
                        scale, dP, kmax, K, kd, 0.0f, dQ, qd);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kmax, hd, m,
                        scale, dP, kmax, Q, qd, 1.0f, dK, kd);
        }
}

static void cpu_attention_bwd(const backend *be, float *dq, float *dk, float *dv, const float *dout,
                              const float *q, const float *k, const float *v,
                              const float *out, const float *lse,
                              const uint8_t *valid, int B, int T, int H, int KV, int hd)
{
    int grp = H / KV, qd = H * hd, kd = KV * hd;
    float scale = 1.0f / sqrtf((float)hd);
    #pragma omp parallel
    {
        float *P = scratch(0, (size_t)ATT_BQ * T), *dP = scratch(1, (size_t)ATT_BQ * T);
        #pragma omp for collapse(2) schedule(dynamic, 1)
        for (int b = 0; b < B; b++)
            for (int kh = 0; kh < KV; kh++) {
                size_t qo = (size_t)b * T * qd, ko = (size_t)b * T * kd + kh * hd;
                att_bwd_block(dq + qo, dk + ko, dv + ko, dout + qo, q + qo, out + qo,
                              lse + (size_t)b * H * T, k + ko, v + ko, valid + (size_t)b * T,
                              T, kh * grp, grp, H, qd, kd, hd, scale, P, dP);
            }
    }
}

/* ---- packed sequences (attention_seqs): the blocks above, one sequence
 * at a time as a batch of one row, every key real (no key mask: NULL,
 * which takes the unmasked softmax and exponentials), the (sequence,
 * head) pairs of the whole batch shared by one parallel region ---- */

static void cpu_attention_seqs(const backend *be, float *out, float *lse, const float *q,
                               const float *k, const float *v, const int *len, int nseq,
                               int H, int KV, int hd)
{
    if (train_ready()) {
        train_attention_seqs(out, lse, q, k, v, len, nseq, H, KV, hd);
        return;
    }
    int grp = H / KV, qd = H * hd, kd = KV * hd, tmax;
    float scale = 1.0f / sqrtf((float)hd);
    size_t work, *off = seq_offsets(len, nseq, &tmax, &work);
    #pragma omp parallel if (work * H * hd >= PAR_MIN * 16)
    {
        float *S = scratch(0, (size_t)ATT_BQ * tmax);
        #pragma omp for collapse(2) schedule(dynamic, 1)
        for (int s = 0; s < nseq; s++)
            for (int h = 0; h < H; h++) {
                size_t o = off[s];
                if (!len[s]) continue;
                att_fwd_block(out + o * qd + h * hd, lse + o * H + (size_t)h * len[s],
                              q + o * qd + h * hd, k + o * kd + (h / grp) * hd, v + o * kd + (h / grp) * hd,
                              NULL, len[s], 0, qd, kd, hd, scale, S);
            }
    }
    free(off);
}

static void cpu_attention_seqs_bwd(const backend *be, float *dq, float *dk, float *dv,
                                   const float *dout, const float *q, const float *k,
                                   const float *v, const float *out, const float *lse,
                                   const int *len, int nseq, int H, int KV, int hd)
{
    if (train_ready()) {
        train_attention_seqs_bwd(dq, dk, dv, dout, q, k, v, out, lse, len, nseq, H, KV, hd);
        return;
    }
    int grp = H / KV, qd = H * hd, kd = KV * hd, tmax;
    float scale = 1.0f / sqrtf((float)hd);
    size_t work, *off = seq_offsets(len, nseq, &tmax, &work);
    #pragma omp parallel
    {
        float *P = scratch(0, (size_t)ATT_BQ * tmax), *dP = scratch(1, (size_t)ATT_BQ * tmax);
        #pragma omp for collapse(2) schedule(dynamic, 1)
        for (int s = 0; s < nseq; s++)
            for (int kh = 0; kh < KV; kh++) {
                size_t o = off[s];
                if (!len[s]) continue;
                att_bwd_block(dq + o * qd, dk + o * kd + kh * hd, dv + o * kd + kh * hd, dout + o * qd,
                              q + o * qd, out + o * qd, lse + o * H, k + o * kd + kh * hd,
                              v + o * kd + kh * hd, NULL, len[s], kh * grp, grp, H, qd, kd, hd,
                              scale, P, dP);
            }
    }
    free(off);
}
