/*
 * cpu_rows_body.h — the row-independent kernels, written once over a
 * 16-lane vector and included by cpu_rows.c once per instruction set
 * (AVX-512, AVX2, scalar).  Not a header of its own: the includer
 * includes cpu_vec16_int.h for the instruction set (V, TGT, VZERO, VLOAD,
 * VLOADN, VSET1, VFMA, VRED, VSTORE, VSTOREN; lane l of a dot product's
 * accumulator holds the chain of the k = l (mod 16) terms) and defines
 *   FN(name)      the name with the instruction set's suffix
 *   MR, NR        the register tile: MR rows by NR outputs
 * which this file undefines at its end.
 * Whatever the tile, the split over threads or the row count, each output
 * is the same chain: tiles only choose which chains run side by side.
 */

/* an mr x nr block of y = x w^T (mr <= MR, nr <= NR1: constants after
 * inlining; the loops over them are unrolled so the accumulators live in
 * registers, not in memory) */
#define NR1 (2 * NR)   /* the one-row tile is wider: loads, not FMAs, bound it */
TGT static inline __attribute__((always_inline)) void
FN(tile)(float *y, int ldy, const float *x, int ldx, const float *w, int ldw, int K,
         int mr, int nr, int acc)
{
    V c[MR][NR1];
    _Pragma("GCC unroll 8") for (int i = 0; i < mr; i++)
        _Pragma("GCC unroll 16") for (int j = 0; j < nr; j++) c[i][j] = VZERO();
    int k = 0;
    for (; k + 16 <= K; k += 16) {
        V wv[NR1];
        _Pragma("GCC unroll 16") for (int j = 0; j < nr; j++) wv[j] = VLOAD(w + (size_t)j * ldw + k);
        _Pragma("GCC unroll 8") for (int i = 0; i < mr; i++) {
            V xv = VLOAD(x + (size_t)i * ldx + k);
            _Pragma("GCC unroll 16") for (int j = 0; j < nr; j++) c[i][j] = VFMA(xv, wv[j], c[i][j]);
        }
    }
    if (k < K) {   /* the last K % 16 terms; absent lanes add 0 * 0 */
        int r = K - k;
        V wv[NR1];
        _Pragma("GCC unroll 16") for (int j = 0; j < nr; j++) wv[j] = VLOADN(w + (size_t)j * ldw + k, r);
        _Pragma("GCC unroll 8") for (int i = 0; i < mr; i++) {
            V xv = VLOADN(x + (size_t)i * ldx + k, r);
            _Pragma("GCC unroll 16") for (int j = 0; j < nr; j++) c[i][j] = VFMA(xv, wv[j], c[i][j]);
        }
    }
    _Pragma("GCC unroll 8") for (int i = 0; i < mr; i++)
        _Pragma("GCC unroll 16") for (int j = 0; j < nr; j++) {
            float s = VRED(c[i][j]), *yy = y + (size_t)i * ldy + j;
            *yy = acc ? *yy + s : s;
        }
}

/* rows i0..i1 (any count) against nr (NR1: one row only, NR or 1)
 * outputs from w */
TGT static void FN(rows_block)(float *y, int ldy, const float *x, int ldx, const float *w, int ldw,
                               int K, int i0, int i1, int nr, int acc)
{
    int i = i0;
    if (nr == NR1) {
        for (; i < i1; i++)
            FN(tile)(y + (size_t)i * ldy, ldy, x + (size_t)i * ldx, ldx, w, ldw, K, 1, NR1, acc);
    } else if (nr == NR) {
        for (; i + MR <= i1; i += MR)
            FN(tile)(y + (size_t)i * ldy, ldy, x + (size_t)i * ldx, ldx, w, ldw, K, MR, NR, acc);
        for (; i < i1; i++)
            FN(tile)(y + (size_t)i * ldy, ldy, x + (size_t)i * ldx, ldx, w, ldw, K, 1, NR, acc);
    } else {
        for (; i + MR <= i1; i += MR)
            FN(tile)(y + (size_t)i * ldy, ldy, x + (size_t)i * ldx, ldx, w, ldw, K, MR, 1, acc);
        for (; i < i1; i++)
            FN(tile)(y + (size_t)i * ldy, ldy, x + (size_t)i * ldx, ldx, w, ldw, K, 1, 1, acc);
    }
}

/* y[:, o0:o1] of y[n, out] = x[n, K] w[out, K]^T.  Rows go in chunks
 * whose x stays in the L2 cache while the chunk sweeps the outputs; one
 * row sweeps NR1 outputs at a time. */
TGT static void FN(mm_slice)(float *y, const float *x, const float *w, int n, int K, int out,
                             int o0, int o1, int acc)
{
    int rb = (int)(((size_t)128 << 10) / sizeof(float) / (size_t)K);
    rb = rb < MR ? MR : rb / MR * MR;
    for (int r0 = 0; r0 < n; r0 += rb) {
        int r1 = n - r0 < rb ? n : r0 + rb;
        int o = o0, step = r1 - r0 == 1 ? NR1 : NR;
        for (; o + step <= o1; o += step)
            FN(rows_block)(y + o, out, x, K, w + (size_t)o * K, K, K, r0, r1, step, acc);
        for (; o < o1; o++)
            FN(rows_block)(y + o, out, x, K, w + (size_t)o * K, K, K, r0, r1, 1, acc);
    }
}

/* one dot product of length K in the fixed order */
TGT static inline float FN(dot)(const float *a, const float *b, int K)
{
    V c = VZERO();
    int k = 0;
    for (; k + 16 <= K; k += 16) c = VFMA(VLOAD(a + k), VLOAD(b + k), c);
    if (k < K) c = VFMA(VLOADN(a + k, K - k), VLOADN(b + k, K - k), c);
    return VRED(c);
}

/* One query of one head: scores of the visible keys (slots 0..lim with
 * vm set; the others are skipped, not zeroed, so padding and holes never
 * enter a sum), softmax, and the probability-weighted values, every sum in
 * key order.  s and idx: scratch for lim + 1 entries. */
TGT static void FN(att_query)(float *o, float *lse, const float *qv, const float *K, const float *Vv,
                              int kd, const uint8_t *vm, int lim, int hd, float scale, float *s, int *idx)
{
    int n = 0;
    for (int j = 0; j <= lim; j++)
        if (vm[j]) { s[n] = FN(dot)(qv, K + (size_t)j * kd, hd) * scale; idx[n++] = j; }
    if (!n) {
        for (int d = 0; d < hd; d++) o[d] = 0.0f;
        *lse = 0.0f;
        return;
    }
    float l = rows_softmax(s, n);
    for (int d = 0; d < hd; d += 16) {
        int r = hd - d < 16 ? hd - d : 16;
        V c = VZERO();
        if (r == 16)
            for (int t = 0; t < n; t++) c = VFMA(VSET1(s[t]), VLOAD(Vv + (size_t)idx[t] * kd + d), c);
        else
            for (int t = 0; t < n; t++) c = VFMA(VSET1(s[t]), VLOADN(Vv + (size_t)idx[t] * kd + d, r), c);
        if (r == 16) VSTORE(o + d, c);
        else VSTOREN(o + d, c, r);
    }
    *lse = l;
}
#undef NR1
/* the includer's parameters, so the next instruction set defines its own
 * (the vector macros are replaced by cpu_vec16_int.h's next inclusion) */
#undef FN
#undef MR
#undef NR
