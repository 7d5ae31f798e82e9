/*
 * cpu_train_body.h — the training kernels of cpu_train.c, written once
 * over cpu_vec16_int.h's 16-lane vector and included once per instruction
 * set (AVX-512, AVX2).  Not a header of its own: the includer includes
 * cpu_vec16_int.h for the set and defines
 *   FN(name)   the name with the set's suffix
 *   MR1, MR2   rows of a tile one and two vectors wide (powers of two)
 *   NVB, MRB   the widest tile in vectors and its rows
 * which this file undefines at its end.
 *
 * One product does all the work (bgemm): C = (acc ? C : 0) + alpha A B
 * where B's rows are contiguous along the output and A's element (r, t)
 * sits at A[r sar + t sat], broadcast to every lane.  Strides let one
 * kernel read A as stored or transposed (P^T dO, dS^T Q, dy^T x) without
 * a copy, and B is read in place, so nothing is packed: the products of
 * training a small model are thin (head_dim 16, 64-wide projections) and
 * OpenBLAS spent as long packing them as multiplying.  Each output
 * element is one FMA chain over t in order, cut at every BG_KC terms,
 * where the chain so far is added to C (the cut points depend on K
 * alone): the tiles, the thread that runs a row and the instruction set
 * never change a bit.
 */

/* an mr x nv tile: rows r of C, vectors 0..nv-1 of w, the last holding
 * `tail` lanes (1..16); mr and nv are constants after inlining */
TGT static inline __attribute__((always_inline)) void
FN(bg_tile)(float *C, int ldc, const float *A, size_t sar, size_t sat, const float *B, int ldb,
            int K, int mr, int nv, int tail, float alpha, int acc)
{
    V c[MR1 > MR2 ? MR1 : MR2][NVB];
    _Pragma("GCC unroll 8") for (int i = 0; i < mr; i++)
        _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++) c[i][v] = VZERO();
    for (int t = 0; t < K; t++) {
        const float *b = B + (size_t)t * ldb, *a = A + (size_t)t * sat;
        V bv[NVB];
        _Pragma("GCC unroll 4") for (int v = 0; v < nv - 1; v++) bv[v] = VLOAD(b + 16 * v);
        bv[nv - 1] = VLOADN(b + 16 * (nv - 1), tail);
        _Pragma("GCC unroll 8") for (int i = 0; i < mr; i++) {
            V av = VSET1(a[(size_t)i * sar]);
            _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++) c[i][v] = VFMA(av, bv[v], c[i][v]);
        }
    }
    V al = VSET1(alpha);
    _Pragma("GCC unroll 8") for (int i = 0; i < mr; i++)
        _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++) {
            float *p = C + (size_t)i * ldc + 16 * v;
            int n = v == nv - 1 ? tail : 16;
            V r = VMUL(al, c[i][v]);
            if (acc) r = VADD(VLOADN(p, n), r);
            VSTOREN(p, r, n);
        }
}

/* rows 0..R-1 for tiles nv vectors wide: MRN (<= 16) rows at a time, then 8, 4, 2, 1 */
#define BG_TILE(M, NV) FN(bg_tile)(C + (size_t)r * ldc, ldc, A + (size_t)r * sar, sar, sat, B, ldb, \
                                   K, M, NV, tail, alpha, acc)
#define BG_ROWS(NV, MRN)                                                                          \
    TGT static void FN(bg_rows##NV)(float *C, int ldc, const float *A, size_t sar, size_t sat,     \
                                    const float *B, int ldb, int K, int R, int tail, float alpha, \
                                    int acc)                                                      \
    {                                                                                             \
        int r = 0;                                                                                \
        for (; r + (MRN) <= R; r += (MRN)) BG_TILE(MRN, NV);                                      \
        if ((MRN) > 8 && R - r >= 8) { BG_TILE(8, NV); r += 8; }                                  \
        if ((MRN) > 4 && R - r >= 4) { BG_TILE(4, NV); r += 4; }                                  \
        if ((MRN) > 2 && R - r >= 2) { BG_TILE(2, NV); r += 2; }                                  \
        if (r < R) BG_TILE(1, NV);                                                                \
    }
BG_ROWS(1, MR1)
BG_ROWS(2, MR2)
#if NVB >= 3
BG_ROWS(3, MRB)
BG_ROWS(4, MRB)
#endif
#undef BG_ROWS
#undef BG_TILE

/* C[R, w] (ldc) = (acc ? C : 0) + alpha A B: B [K, w] (ldb), A (r, t) at
 * A[r sar + t sat].  Vectors go NVB at a time; K in chunks of BG_KC (the
 * rows of B a chunk reads stay in the L2 cache across the row tiles). */
TGT static void FN(bgemm)(float *C, int ldc, const float *A, size_t sar, size_t sat, const float *B,
                          int ldb, int R, int w, int K, float alpha, int acc)
{
    if (R <= 0 || w <= 0) return;
    if (K <= 0) {   /* an empty sum: C = acc ? C : 0 */
        if (!acc)
            for (int r = 0; r < R; r++) memset(C + (size_t)r * ldc, 0, sizeof(float) * (size_t)w);
        return;
    }
    int nvec = (w + 15) / 16;
    for (int k0 = 0; k0 < K; k0 += BG_KC) {
        int kc = K - k0 < BG_KC ? K - k0 : BG_KC, ac = acc || k0 > 0;
        const float *Ak = A + (size_t)k0 * sat, *Bk = B + (size_t)k0 * ldb;
        for (int v0 = 0; v0 < nvec; v0 += NVB) {
            int nv = nvec - v0 < NVB ? nvec - v0 : NVB;
            int tail = v0 + nv == nvec ? w - 16 * (nvec - 1) : 16;
            float *Cv = C + 16 * v0;
            const float *Bv = Bk + 16 * v0;
            switch (nv) {
            case 1: FN(bg_rows1)(Cv, ldc, Ak, sar, sat, Bv, ldb, kc, R, tail, alpha, ac); break;
            case 2: FN(bg_rows2)(Cv, ldc, Ak, sar, sat, Bv, ldb, kc, R, tail, alpha, ac); break;
#if NVB >= 3
            case 3: FN(bg_rows3)(Cv, ldc, Ak, sar, sat, Bv, ldb, kc, R, tail, alpha, ac); break;
            default: FN(bg_rows4)(Cv, ldc, Ak, sar, sat, Bv, ldb, kc, R, tail, alpha, ac); break;
#endif
            }
        }
    }
}

/* ---- attention over packed sequences ---- */

/* The scores row S[0..n) (n a multiple of 16) of a query that sees keys
 * 0..lim: softmax over them, 0 after them; returns the log-sum-exp.  The
 * maximum is order-free, the sum is lane-wise in key order then VRED. */
TGT static float FN(softmax_row)(float *s, int lim, int n)
{
    int cnt = lim + 1, nfull = cnt / 16 * 16;
    V mv = VSET1(-INFINITY);
    for (int j = 0; j < nfull; j += 16) mv = VMAX(mv, VLOAD(s + j));
    float mx = VREDMAX(mv);
    for (int j = nfull; j < cnt; j++) mx = s[j] > mx ? s[j] : mx;
    V m = VSET1(mx), sum = VZERO();
    int j = 0;
    for (; j < cnt; j += 16) {
        V p = VKEEP(VEXP(VSUB(VLOAD(s + j), m)), cnt - j);
        VSTORE(s + j, p);
        sum = VADD(sum, p);
    }
    for (; j < n; j += 16) VSTORE(s + j, VZERO());
    float tot = VRED(sum);
    V inv = VSET1(1.0f / tot);
    for (j = 0; j < cnt; j += 16) VSTORE(s + j, VMUL(VLOAD(s + j), inv));
    return mx + logf(tot);
}

/* P[i][0..n) = exp(S[i][j] - lse_i) for keys j <= lim, 0 after */
TGT static void FN(exp_row)(float *s, int lim, int n, float lse)
{
    int cnt = lim + 1, j = 0;
    V l = VSET1(lse);
    for (; j < cnt; j += 16) VSTORE(s + j, VKEEP(VEXP(VSUB(VLOAD(s + j), l)), cnt - j));
    for (; j < n; j += 16) VSTORE(s + j, VZERO());
}

/* dS = P (dP - D) over n (a multiple of 16), in place in dP */
TGT static void FN(ds_row)(float *dp, const float *p, float D, int n)
{
    V d = VSET1(D);
    for (int j = 0; j < n; j += 16) VSTORE(dp + j, VMUL(VLOAD(p + j), VSUB(VLOAD(dp + j), d)));
}

/* one dot product of length n in a fixed order (lanes, then VRED) */
TGT static float FN(dot)(const float *a, const float *b, int n)
{
    V c = VZERO();
    int k = 0;
    for (; k + 16 <= n; k += 16) c = VFMA(VLOAD(a + k), VLOAD(b + k), c);
    if (k < n) c = VFMA(VLOADN(a + k, n - k), VLOADN(b + k, n - k), c);
    return VRED(c);
}

/* Xt[c][j] = X[j][c] for j < T (rows of stride ld), 0 for T <= j < Tp */
static void FN(transpose)(float *Xt, int Tp, const float *X, int ld, int T, int hd)
{
    for (int c = 0; c < hd; c++) {
        float *row = Xt + (size_t)c * Tp;
        for (int j = 0; j < T; j++) row[j] = X[(size_t)j * ld + c];
        for (int j = T; j < Tp; j++) row[j] = 0.0f;
    }
}

/* One sequence of T tokens, one key/value head and its grp query heads
 * h0..: queries in blocks of ATT_BQ rows, each block against the keys
 * it can see (0 .. i0 + m - 1, rounded up to 16 with zero keys whose
 * probabilities are then set to 0).  q/out rows have stride qd, k/v rows
 * kd; lse is the sequence's [H][T].  w: the thread's scratch. */
TGT static void FN(att_fwd_seq)(float *out, float *lse, const float *q, const float *K, const float *Vv,
                                int T, int h0, int grp, int qd, int kd, int hd, float scale,
                                const attn_scratch *w)
{
    int Tp = (T + 15) / 16 * 16;
    FN(transpose)(w->kt, Tp, K, kd, T, hd);
    for (int h = h0; h < h0 + grp; h++)
        for (int i0 = 0; i0 < T; i0 += ATT_BQ) {
            int m = T - i0 < ATT_BQ ? T - i0 : ATT_BQ, kmax = i0 + m, kp = (kmax + 15) / 16 * 16;
            const float *Q = q + (size_t)i0 * qd + (size_t)h * hd;
            FN(bgemm)(w->s, kp, Q, (size_t)qd, 1, w->kt, Tp, m, kp, hd, scale, 0);
            for (int i = 0; i < m; i++)
                lse[(size_t)h * T + i0 + i] = FN(softmax_row)(w->s + (size_t)i * kp, i0 + i, kp);
            FN(bgemm)(out + (size_t)i0 * qd + (size_t)h * hd, qd, w->s, (size_t)kp, 1, Vv, kd, m, hd, kmax, 1.0f, 0);
        }
}

/* Its backward: dq rows of the grp heads overwritten, dK and dV (T rows,
 * stride kd) overwritten.  Per block: S again, P = exp(S - lse),
 * dV += P^T dO, dP = dO V^T, dS = P (dP - rowsum(dO o O)),
 * dQ = scale dS K, dK += scale dS^T Q. */
TGT static void FN(att_bwd_seq)(float *dq, float *dK, float *dV, const float *dout, const float *q,
                                const float *out, const float *lse, const float *K, const float *Vv,
                                int T, int h0, int grp, int qd, int kd, int hd, float scale,
                                const attn_scratch *w)
{
    int Tp = (T + 15) / 16 * 16;
    FN(transpose)(w->kt, Tp, K, kd, T, hd);
    FN(transpose)(w->vt, Tp, Vv, kd, T, hd);
    for (int j = 0; j < T; j++) {
        memset(dK + (size_t)j * kd, 0, sizeof(float) * (size_t)hd);
        memset(dV + (size_t)j * kd, 0, sizeof(float) * (size_t)hd);
    }
    for (int h = h0; h < h0 + grp; h++)
        for (int i0 = 0; i0 < T; i0 += ATT_BQ) {
            int m = T - i0 < ATT_BQ ? T - i0 : ATT_BQ, kmax = i0 + m, kp = (kmax + 15) / 16 * 16;
            size_t row0 = (size_t)i0 * qd + (size_t)h * hd;
            const float *Q = q + row0, *O = out + row0, *dO = dout + row0;
            const float *L = lse + (size_t)h * T + i0;
            float *P = w->s, *dP = w->dp;
            FN(bgemm)(P, kp, Q, (size_t)qd, 1, w->kt, Tp, m, kp, hd, scale, 0);
            for (int i = 0; i < m; i++) FN(exp_row)(P + (size_t)i * kp, i0 + i, kp, L[i]);
            FN(bgemm)(dV, kd, P, 1, (size_t)kp, dO, qd, kmax, hd, m, 1.0f, 1);
            FN(bgemm)(dP, kp, dO, (size_t)qd, 1, w->vt, Tp, m, kp, hd, 1.0f, 0);
            for (int i = 0; i < m; i++) {
                float D = FN(dot)(dO + (size_t)i * qd, O + (size_t)i * qd, hd);
                FN(ds_row)(dP + (size_t)i * kp, P + (size_t)i * kp, D, kp);
            }
            FN(bgemm)(dq + row0, qd, dP, (size_t)kp, 1, K, kd, m, hd, kmax, scale, 0);
            FN(bgemm)(dK, kd, dP, 1, (size_t)kp, Q, qd, kmax, hd, m, scale, 1);
        }
}

#undef FN
#undef MR1
#undef MR2
#undef NVB
#undef MRB
