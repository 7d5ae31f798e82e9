/*
 * model.c — activations, forward, backward and KV-cache decoding of the
 * Llama transformer described in model.h (its parameters, views and
 * initialisation: model_params.c).
 *
 * Family math, all through existing ops: a bias is a rank-1 product with
 * a column of ones (matmul with in = 1; its gradient is the same product's
 * dw); q/k norms are rmsnorm over rows of hd (per head) or of the whole
 * projection, before rotary; OLMo 2 normalises the attention output into
 * xmid and adds the residual, and the MLP output into x[l+1] likewise,
 * keeping the pre-norm outputs in xn1/xn2 (which its missing pre-norms
 * leave free); Gemma's 1 + w norm weights are formed once per forward in
 * m->normw (the gradient with respect to w is the one with respect to
 * 1 + w), its embedding scale is `scale`, its GeGLU the geglu op.
 *
 * Packed forwards (model_forward: training and scoring): the valid tokens
 * of the B rows are packed back to back, one sequence per row, so padding
 * costs nothing; every token-wise op runs over the real tokens only and
 * attention goes through attention_seqs, which sees one sequence at a
 * time.  Its products go through matmul_seqs, row-independent on cpu
 * and ref, so a sequence's log-probs are the same bits whatever batch it
 * is scored in (dpo-step's step-0 policy equals its reference, which
 * ref-score or another grouping computed); on cuda matmul_seqs is cuBLAS,
 * whose rounding may depend on the batch.  The caller still sees
 * [B, T]: logp, values and gradients are scattered/gathered on the host
 * through the slot map (compact index -> b * T + t).
 *
 * Activations: a training forward keeps, per layer, the layer input x, the
 * normalised inputs, q/k/v after rotary, attention output, the residual
 * after attention, gate/up/SwiGLU output, and the rms/log-sum-exp
 * statistics; the backward walks them in reverse.  An inference forward
 * reuses one layer's worth of buffers.  Every float activation is a
 * 64-byte-aligned slice of one backend allocation (the arena, sized by a
 * first pass of acts_layout), so a reservation is one zeroed block (huge
 * pages on the CPU) and freeing it is one call; the trainer reserves once
 * for its largest micro-batch (trainer.c).
 */
#include "model/model.h"
#include "base/util.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* bytes of integer input per token: token id, position, target, mask */
#define INT_BYTES (3 * sizeof(int32_t) + 1)

struct model_acts {
    int cap, train, B, T, Tk;       /* capacity in tokens; last shapes */
    int last_only;                  /* logits only for each row's last slot */
    int rows;                       /* decoding: matmul_rows, attention_rows */
    int packed, ntok;               /* model_forward: ntok real tokens packed, no padding */
    int32_t *slot, *comp;           /* [cap] host: packed index -> b*T+t, and back (-1) */
    int *seqlen, seqcap;            /* [B] host: each row's real tokens (attention_seqs) */
    /* integer inputs of the last forward, [N] each, packed as
     * tokens | pos | targets (int32) | valid (uint8): built on the host in
     * `ints`, uploaded in ONE upload_bytes to `dints` (stage_ints) */
    int32_t *ints, *dints;
    int32_t *tokens, *pos, *targets, *d_tokens, *d_pos, *d_targets;
    uint8_t *valid, *d_valid;
    float **x;                      /* L+1 (train) or 2 buffers [N*D] */
    float **xmid, **xn1, **xn2, **q, **k, **v, **att, **g, **u, **h;
    float **rstd1, **rstd2, **lse;
    float **qraw, **kraw, **rstdq, **rstdk;   /* q/k before their norms */
    float *ones;                    /* [cap] 1.0: the biases' column */
    float *rstdf, *xnf, *logits, *lsev, *rowlogp, *values;
    /* gradient scratch (train) */
    float *dx, *dxmid, *dxn, *dq, *dk, *dv, *datt, *dg, *du, *dh, *dvals, *drow;
    float *dq2, *dk2;               /* gradients before the q/k norms */
    /* every float buffer above is a slice of one backend allocation (see
     * model_reserve): arena == NULL while the layout is only being sized */
    float *arena;
    size_t used;                    /* floats laid out so far */
};
/* ---- activations ---- */

/* count buffers of n floats, each its own allocation (the KV cache) */
static float **buf_set(const backend *be, int count, size_t n)
{
    float **b = xcalloc(count, sizeof *b);
    for (int i = 0; i < count; i++) b[i] = be->alloc(be, n);
    return b;
}

static void buf_set_free(const backend *be, float **b, int count)
{
    if (!b) return;
    for (int i = 0; i < count; i++) be->free(be, b[i]);
    free(b);
}

/* n floats of the arena, each slice starting on a 64-byte boundary;
 * NULL (the size only counted) in the sizing pass */
static float *take(model_acts *a, size_t n)
{
    float *p = a->arena ? a->arena + a->used : NULL;
    a->used += (n + 15) / 16 * 16;
    return p;
}

static float **arena_set(model_acts *a, int count, size_t n)
{
    float **b = a->arena ? xcalloc(count, sizeof *b) : NULL;
    for (int i = 0; i < count; i++) {
        float *p = take(a, n);
        if (b) b[i] = p;
    }
    return b;
}

static void acts_free(model *m)
{
    model_acts *a = m->a;
    if (!a) return;
    const backend *be = m->be;
    float ***sets[] = {&a->x, &a->xmid, &a->xn1, &a->xn2, &a->q, &a->k, &a->v, &a->att,
                       &a->g, &a->u, &a->h, &a->rstd1, &a->rstd2, &a->lse,
                       &a->qraw, &a->kraw, &a->rstdq, &a->rstdk};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) free(*sets[i]);
    if (a->arena) be->free(be, a->arena);
    free(a->ints);
    free(a->slot); free(a->comp); free(a->seqlen);
    be->free(be, a->dints);
    free(a);
    m->a = NULL;
}

/* The activations' places in the arena for N tokens: run once with
 * a->arena NULL to size the arena, then again to hand out the slices. */
static void acts_layout(const model *m, model_acts *a, size_t N, int train)
{
    const model_config *c = &m->c;
    size_t D = c->dim, QD = (size_t)c->n_heads * c->head_dim;
    size_t KD = (size_t)c->n_kv_heads * c->head_dim, F = c->ffn, V = c->vocab;
    int L = train ? c->n_layers : 1;
    a->used = 0;
    a->x = arena_set(a, train ? c->n_layers + 1 : 2, N * D);
    a->xmid = arena_set(a, L, N * D);
    a->xn1 = arena_set(a, L, N * D);
    a->xn2 = arena_set(a, L, N * D);
    a->q = arena_set(a, L, N * QD);
    a->k = arena_set(a, L, N * KD);
    a->v = arena_set(a, L, N * KD);
    a->att = arena_set(a, L, N * QD);
    a->g = arena_set(a, L, N * F);
    a->u = arena_set(a, L, N * F);
    a->h = arena_set(a, L, N * F);
    a->rstd1 = arena_set(a, L, N);
    a->rstd2 = arena_set(a, L, N);
    a->lse = arena_set(a, L, N * c->n_heads);
    const model_arch_info *ai = model_arch(c->arch);
    if (ai->qk_norm) {
        int head = ai->qk_norm == QK_NORM_HEAD;
        a->qraw = arena_set(a, L, N * QD);
        a->kraw = arena_set(a, L, N * KD);
        a->rstdq = arena_set(a, L, head ? N * c->n_heads : N);
        a->rstdk = arena_set(a, L, head ? N * c->n_kv_heads : N);
    }
    if (ai->qkv_bias) a->ones = take(a, N);
    a->rstdf = take(a, N);
    a->xnf = take(a, N * D);
    if (c->lm_head) a->logits = take(a, N * V);
    a->lsev = take(a, N);
    a->rowlogp = take(a, N);
    a->values = take(a, N);
    if (train) {
        a->dx = take(a, N * D);
        a->dxmid = take(a, N * D);
        a->dxn = take(a, N * D);
        a->dq = take(a, N * QD);
        a->datt = take(a, N * QD);
        a->dk = take(a, N * KD);
        a->dv = take(a, N * KD);
        a->dg = take(a, N * F);
        a->du = take(a, N * F);
        a->dh = take(a, N * F);
        a->dvals = take(a, N);
        a->drow = take(a, N);
        if (ai->qk_norm) {
            a->dq2 = take(a, N * QD);
            a->dk2 = take(a, N * KD);
        }
    }
}

void model_reserve(model *m, int ntok, int train)
{
    /* a training reservation also serves inference (PPO alternates both) */
    if (m->a && m->a->cap >= ntok && (m->a->train == train || (m->a->train && !train))) return;
    /* outgrown: a quarter more than asked, so batches of slowly growing
     * length (a shuffled epoch's longest so far) re-allocate and zero
     * every activation a few times, not at each new maximum */
    if (m->a && m->a->train == train && ntok > m->a->cap && ntok < INT32_MAX / 5 * 4) ntok += ntok / 4;
    acts_free(m);
    const model_config *c = &m->c;
    const backend *be = m->be;
    model_acts *a = m->a = xcalloc(1, sizeof *a);
    size_t N = ntok;
    a->cap = ntok;
    a->train = train;
    a->ints = xcalloc(N, INT_BYTES);
    a->slot = xcalloc(N, sizeof(int32_t));
    a->comp = xcalloc(N, sizeof(int32_t));
    a->dints = be->alloc_bytes(be, N * INT_BYTES);
    /* one allocation for every float activation: a few large blocks take
     * huge pages (backend_cpu.c) where ~60 buffers of a small model each
     * paid a page fault per 4 KiB when zeroed, a fifth of a tiny run's
     * CPU time with the reference pass's reservations */
    acts_layout(m, a, N, train);
    a->arena = be->alloc(be, a->used);
    acts_layout(m, a, N, train);
    if (a->ones) {
        float *one = xmalloc(sizeof(float) * N);
        for (size_t i = 0; i < N; i++) one[i] = 1.0f;
        be->upload(be, a->ones, one, N);
        free(one);
    }
    (void)c;
}

void model_free(model *m)
{
    if (!m) return;
    acts_free(m);
    m->be->free(m->be, m->params);
    if (m->grads) m->be->free(m->be, m->grads);
    if (m->normw) m->be->free(m->be, m->normw);
    free(m->lw); free(m->lg); free(m->views);
    free(m);
}

int model_last_valid(const uint8_t *valid, int b, int T)
{
    for (int t = T - 1; t >= 0; t--)
        if (valid[(size_t)b * T + t]) return t;
    return -1;
}

/* ---- forward ---- */

/* Point the host and backend views of the integer inputs at their place
 * for a batch of N tokens (packed, so the batch is one contiguous block). */
static void layout_ints(model_acts *a, size_t N)
{
    a->tokens = a->ints;         a->d_tokens = a->dints;
    a->pos = a->ints + N;        a->d_pos = a->dints + N;
    a->targets = a->ints + 2 * N; a->d_targets = a->dints + 2 * N;
    a->valid = (uint8_t *)(a->ints + 3 * N);
    a->d_valid = (uint8_t *)(a->dints + 3 * N);
}

/* The batch's integer inputs cross to the backend: one transfer. */
static void stage_ints(const model *m, size_t N)
{
    m->be->upload_bytes(m->be, m->a->dints, m->a->ints, N * INT_BYTES);
}

/* Gemma's norms multiply by 1 + w: form those weights (the parameters
 * may have changed since the last forward). */
static void refresh_normw(model *m)
{
    const backend *be = m->be;
    size_t D = m->c.dim, nw = (size_t)(2 * m->c.n_layers + 1) * D;
    for (int l = 0; l < m->c.n_layers; l++) {
        be->copy(be, m->normw + 2 * l * D, m->lw[l].in_norm, D);
        be->copy(be, m->normw + (2 * l + 1) * D, m->lw[l].post_norm, D);
    }
    be->copy(be, m->normw + nw - D, m->norm, D);
    be->add(be, m->normw, m->normw + nw, nw);
}

/* The weights the norms use: the parameters, or Gemma's 1 + w. */
static const float *nw_in(const model *m, int l)
{
    return m->normw ? m->normw + (size_t)2 * l * m->c.dim : m->lw[l].in_norm;
}
static const float *nw_post(const model *m, int l)
{
    return m->normw ? m->normw + (size_t)(2 * l + 1) * m->c.dim : m->lw[l].post_norm;
}
static const float *nw_final(const model *m)
{
    return m->normw ? m->normw + (size_t)2 * m->c.n_layers * m->c.dim : m->norm;
}

/* y[N, out] (+)= x W^T: in a packed forward matmul_seqs (see the top),
 * in a cached (sampling) forward matmul_rows, whose bits for a row do
 * not depend on the other rows or the padding (sample.c drops finished
 * rows) */
static void mm(const model *m, float *y, const float *x, const float *w, int N, int in, int out, int acc)
{
    if (m->a->packed) m->be->matmul_seqs(m->be, y, x, w, N, in, out, acc);
    else if (m->a->rows) m->be->matmul_rows(m->be, y, x, w, N, in, out, acc);
    else m->be->matmul(m->be, y, x, w, N, in, out, acc);
}

/* p[j].y[N, out] = x W_j^T (+ bias_j: the product of a column of ones
 * with it) for products of one input: a cached forward makes them one
 * matmul_rows_n (one pass over the team at one row, the same bits as one
 * product at a time), any other forward one mm each */
static void project_n(const model *m, const rows_prod *p, const float *const *bias, int count,
                      const float *x, int N, int in)
{
    if (m->a->rows && !m->a->packed) m->be->matmul_rows_n(m->be, p, count, x, N, in, 0);
    else
        for (int j = 0; j < count; j++) mm(m, p[j].y, x, p[j].w, N, in, p[j].out, 0);
    for (int j = 0; j < count; j++)
        if (bias[j]) mm(m, p[j].y, m->a->ones, bias[j], N, 1, p[j].out, 1);
}

/* The rows a q/k norm runs over: per head (hd wide) or whole projection. */
static void qk_rows(const model *m, int N, int heads, int *rows, int *d)
{
    int head = model_arch(m->c.arch)->qk_norm == QK_NORM_HEAD;
    *rows = head ? N * heads : N;
    *d = head ? m->c.head_dim : heads * m->c.head_dim;
}

/* One pass over Tq new slots per row.  kbuf/vbuf[l] hold keys/values with
 * row stride kstride; the new keys are written at slots q0.. (training:
 * kbuf = the activation buffers, q0 = 0, kstride = Tq). */
static void forward_core(model *m, int B, int Tq, int q0, int kstride,
                         float **kbuf, float **vbuf, const uint8_t *kvalid, int last_only)
{
    const model_config *c = &m->c;
    const model_arch_info *ai = model_arch(c->arch);
    const backend *be = m->be;
    model_acts *a = m->a;
    int N = a->packed ? a->ntok : B * Tq, D = c->dim, H = c->n_heads, KV = c->n_kv_heads, hd = c->head_dim;
    int QD = H * hd, KD = KV * hd, F = c->ffn;
    int train = a->train;
    float eps = (float)c->norm_eps;

    /* slots, not real tokens: a window counts the padding between them */
    if (c->sliding_window > 0 && q0 + Tq > c->sliding_window)
        die(EX_DATAERR, "a sequence of %d positions exceeds the model's sliding_window of %d "
            "(sliding-window attention is not implemented: use shorter sequences)",
            q0 + Tq, c->sliding_window);
    /* decoding: matmul_rows and attention_rows (row-independent) */
    a->rows = last_only;
    if (m->normw) refresh_normw(m);
    be->embed(be, a->x[0], m->embed, a->d_tokens, N, D);
    if (ai->gemma) be->scale(be, a->x[0], (float)sqrt((double)D), (size_t)N * D);
    for (int l = 0; l < c->n_layers; l++) {
        int s = train ? l : 0;
        float *xin = a->x[train ? l : (l & 1)], *xout = a->x[train ? l + 1 : ((l + 1) & 1)];
        const layer_ptrs *w = &m->lw[l];
        const float *ain = xin;   /* attention input: OLMo 2 has no pre-norm */
        if (!ai->post_norms) {
            be->rmsnorm(be, a->xn1[s], a->rstd1[s], xin, nw_in(m, l), N, D, eps);
            ain = a->xn1[s];
        }
        {   /* q, k, v of one input: one pass when decoding */
            rows_prod qkv[3] = {{ai->qk_norm ? a->qraw[s] : a->q[s], w->q, QD},
                                {ai->qk_norm ? a->kraw[s] : a->k[s], w->k, KD}, {a->v[s], w->v, KD}};
            const float *bias[3] = {w->q_bias, w->k_bias, w->v_bias};
            project_n(m, qkv, bias, 3, ain, N, D);
        }
        if (ai->qk_norm) {
            int rq, rk, dq, dk;
            qk_rows(m, N, H, &rq, &dq);
            qk_rows(m, N, KV, &rk, &dk);
            be->rmsnorm(be, a->q[s], a->rstdq[s], a->qraw[s], w->q_norm, rq, dq, eps);
            be->rmsnorm(be, a->k[s], a->rstdk[s], a->kraw[s], w->k_norm, rk, dk, eps);
        }
        be->rope(be, a->q[s], a->d_pos, N, H, hd, (float)c->rope_theta, 0);
        be->rope(be, a->k[s], a->d_pos, N, KV, hd, (float)c->rope_theta, 0);
        float *K = a->k[s], *Vv = a->v[s];
        if (kbuf) {   /* append the new slots of every row to the cache */
            size_t rowk = (size_t)Tq * KD, cstride = (size_t)kstride * KD;
            be->copy_rows(be, kbuf[l] + (size_t)q0 * KD, cstride, a->k[s], rowk, B, rowk);
            be->copy_rows(be, vbuf[l] + (size_t)q0 * KD, cstride, a->v[s], rowk, B, rowk);
            K = kbuf[l];
            Vv = vbuf[l];
        }
        if (a->packed)
            be->attention_seqs(be, a->att[s], a->lse[s], a->q[s], K, Vv, a->seqlen, B, H, KV, hd);
        else
            (a->rows ? be->attention_rows : be->attention)(be, a->att[s], a->lse[s], a->q[s], K, Vv, kvalid,
                                                           B, Tq, q0, kstride, H, KV, hd);
        const float *min = a->xmid[s];   /* MLP input */
        if (ai->post_norms) {   /* xmid = xin + norm(o(att)); o(att) kept in xn1 */
            mm(m, a->xn1[s], a->att[s], w->o, N, QD, D, 0);
            be->rmsnorm(be, a->xmid[s], a->rstd1[s], a->xn1[s], w->post_norm, N, D, eps);
            be->add(be, a->xmid[s], xin, (size_t)N * D);
        } else {
            be->copy(be, a->xmid[s], xin, (size_t)N * D);
            mm(m, a->xmid[s], a->att[s], w->o, N, QD, D, 1);
            be->rmsnorm(be, a->xn2[s], a->rstd2[s], a->xmid[s], nw_post(m, l), N, D, eps);
            min = a->xn2[s];
        }
        {   /* gate and up: one pass when decoding */
            rows_prod gu[2] = {{a->g[s], w->gate, F}, {a->u[s], w->up, F}};
            const float *nobias[2] = {NULL, NULL};
            project_n(m, gu, nobias, 2, min, N, D);
        }
        if (ai->gemma) be->geglu(be, a->h[s], a->g[s], a->u[s], (size_t)N * F);
        else be->swiglu(be, a->h[s], a->g[s], a->u[s], (size_t)N * F);
        if (ai->post_norms) {   /* xout = xmid + norm(down(h)); down(h) kept in xn2 */
            mm(m, a->xn2[s], a->h[s], w->down, N, F, D, 0);
            be->rmsnorm(be, xout, a->rstd2[s], a->xn2[s], w->ffn_norm, N, D, eps);
            be->add(be, xout, a->xmid[s], (size_t)N * D);
        } else {
            be->copy(be, xout, a->xmid[s], (size_t)N * D);
            mm(m, xout, a->h[s], w->down, N, F, D, 1);
        }
    }
    float *xl = a->x[train ? c->n_layers : (c->n_layers & 1)];
    be->rmsnorm(be, a->xnf, a->rstdf, xl, nw_final(m), N, D, eps);
    a->last_only = last_only;
    if (last_only) {   /* decoding: only the last slot of each row is needed */
        be->copy_rows(be, a->xn1[0], D, a->xnf + (size_t)(Tq - 1) * D, (size_t)Tq * D, B, D);
        be->copy(be, a->xnf, a->xn1[0], (size_t)B * D);
        N = B;
    }
    if (c->lm_head) mm(m, a->logits, a->xnf, m->lm, N, D, c->vocab, 0);
    if (c->score) mm(m, a->values, a->xnf, m->score, N, D, 1, 0);
}

/* Pack the valid tokens of [B, T] back to back: ids, positions (real
 * tokens before, per row), targets (the next slot's token when that slot
 * is real, else -1: a hole ends the chain, as it did padded) and the slot
 * maps; returns the number of real tokens. */
static int pack_tokens(model *m, const int32_t *tokens, const uint8_t *valid, int B, int T)
{
    model_acts *a = m->a;
    int n = 0;
    for (size_t i = 0; i < (size_t)B * T; i++) n += valid ? valid[i] != 0 : 1;
    layout_ints(a, n);
    if (B > a->seqcap) {
        a->seqlen = xrealloc(a->seqlen, sizeof(int) * (size_t)B);
        a->seqcap = B;
    }
    n = 0;
    for (int b = 0; b < B; b++) {
        int len = 0;
        for (int t = 0; t < T; t++) {
            size_t i = (size_t)b * T + t;
            int32_t tok = tokens[i];
            a->comp[i] = -1;
            if (valid && !valid[i]) continue;
            if (tok < 0 || tok >= m->c.vocab)
                die(EX_DATAERR, "token id %d outside the vocabulary (%d)", tok, m->c.vocab);
            int next = t + 1 < T && (!valid || valid[i + 1]);
            a->comp[i] = n;
            a->slot[n] = (int32_t)i;
            a->tokens[n] = tok;
            a->pos[n] = len++;
            a->targets[n] = next ? tokens[i + 1] : -1;
            a->valid[n] = 1;
            n++;
        }
        a->seqlen[b] = len;
    }
    return n;
}

void model_forward(model *m, const int32_t *tokens, const uint8_t *valid,
                   int B, int T, float *logp, float *values)
{
    model_acts *a = m->a;
    const model_config *c = &m->c;
    int N = B * T;
    if (!a || N > a->cap) die(EX_SOFTWARE, "model_forward: %d tokens exceed the reserved %d", N, a ? a->cap : 0);
    a->B = B; a->T = T; a->Tk = T;
    a->packed = 1;
    a->ntok = 0;
    if (N == 0) return;
    int n = a->ntok = pack_tokens(m, tokens, valid, B, T);
    if (logp) memset(logp, 0, sizeof(float) * (size_t)N);
    if (values) memset(values, 0, sizeof(float) * (size_t)N);
    if (n == 0) return;
    stage_ints(m, n);
    forward_core(m, B, T, 0, T, NULL, NULL, NULL, 0);
    if (c->lm_head) {
        m->be->logprob(m->be, a->rowlogp, a->lsev, a->logits, a->d_targets, n, c->vocab);
        if (logp) {   /* the log-prob of token t sits at its slot; row c predicts slot[c] + 1 */
            float *row = xmalloc(sizeof(float) * n);
            m->be->download(m->be, row, a->rowlogp, n);
            for (int i = 0; i < n; i++)
                if (a->targets[i] >= 0) logp[a->slot[i] + 1] = row[i];
            free(row);
        }
    }
    if (values && c->score) {
        float *v = xmalloc(sizeof(float) * n);
        m->be->download(m->be, v, a->values, n);
        for (int i = 0; i < n; i++) values[a->slot[i]] = v[i];
        free(v);
    }
}

/* ---- backward ---- */

void model_backward(model *m, const float *dlogp, const float *dvalues)
{
    model_acts *a = m->a;
    const model_config *c = &m->c;
    const backend *be = m->be;
    if (!a || !a->train) die(EX_SOFTWARE, "model_backward without a training forward");
    if (!m->grads) model_enable_grads(m);
    int B = a->B, N = a->ntok, D = c->dim, H = c->n_heads, KV = c->n_kv_heads;
    int hd = c->head_dim, QD = H * hd, KD = KV * hd, F = c->ffn;

    int have_lm = dlogp && c->lm_head, have_v = dvalues && c->score;
    if (have_lm) {
        /* the gradient of token t's log-prob belongs to the row before it */
        float *row = xcalloc(N ? N : 1, sizeof(float));
        for (int i = 0; i < N; i++)
            if (a->targets[i] >= 0) row[i] = dlogp[a->slot[i] + 1];
        be->upload(be, a->drow, row, N);
        free(row);
        be->logprob_bwd(be, a->logits, a->lsev, a->drow, a->d_targets, N, c->vocab);
        be->matmul_bwd(be, a->dxn, m->g_lm, a->logits, a->xnf, m->lm, N, D, c->vocab, 0);
    } else {
        be->zero(be, a->dxn, (size_t)N * D);
    }
    if (have_v) {
        float *dv = xmalloc(sizeof(float) * (N ? N : 1));
        for (int i = 0; i < N; i++) dv[i] = dvalues[a->slot[i]];
        be->upload(be, a->dvals, dv, N);
        free(dv);
        be->matmul_bwd(be, a->dxn, m->g_score, a->dvals, a->xnf, m->score, N, D, 1, 1);
    }
    be->rmsnorm_bwd(be, a->dx, m->g_norm, a->dxn, a->x[c->n_layers], nw_final(m), a->rstdf, N, D, 0);

    const model_arch_info *ai = model_arch(c->arch);
    for (int l = c->n_layers - 1; l >= 0; l--) {
        const layer_ptrs *w = &m->lw[l];
        layer_ptrs *g = &m->lg[l];
        /* MLP: xout = xmid + down(act(gate(in), up(in))), in = norm(xmid)
         * (OLMo 2: xout = xmid + norm(down(...)), in = xmid) */
        const float *ddown = a->dx;
        if (ai->post_norms) {
            be->rmsnorm_bwd(be, a->dxn, g->ffn_norm, a->dx, a->xn2[l], w->ffn_norm, a->rstd2[l], N, D, 0);
            ddown = a->dxn;
        }
        be->matmul_bwd(be, a->dh, g->down, ddown, a->h[l], w->down, N, F, D, 0);
        if (ai->gemma) be->geglu_bwd(be, a->dg, a->du, a->dh, a->g[l], a->u[l], (size_t)N * F);
        else be->swiglu_bwd(be, a->dg, a->du, a->dh, a->g[l], a->u[l], (size_t)N * F);
        be->copy(be, a->dxmid, a->dx, (size_t)N * D);
        if (ai->post_norms) {
            be->matmul_bwd(be, a->dxmid, g->gate, a->dg, a->xmid[l], w->gate, N, D, F, 1);
            be->matmul_bwd(be, a->dxmid, g->up, a->du, a->xmid[l], w->up, N, D, F, 1);
        } else {
            be->matmul_bwd(be, a->dxn, g->gate, a->dg, a->xn2[l], w->gate, N, D, F, 0);
            be->matmul_bwd(be, a->dxn, g->up, a->du, a->xn2[l], w->up, N, D, F, 1);
            be->rmsnorm_bwd(be, a->dxmid, g->post_norm, a->dxn, a->xmid[l], nw_post(m, l), a->rstd2[l], N, D, 1);
        }
        /* attention: xmid = xin + o(attn(rope(q(ain)), rope(k(ain)), v(ain)))
         * with ain = norm(xin), q/k through their norms where the family
         * has them (OLMo 2: xmid = xin + norm(o(...)), ain = xin) */
        const float *dao = a->dxmid;
        if (ai->post_norms) {
            be->rmsnorm_bwd(be, a->dxn, g->post_norm, a->dxmid, a->xn1[l], w->post_norm, a->rstd1[l], N, D, 0);
            dao = a->dxn;
        }
        be->matmul_bwd(be, a->datt, g->o, dao, a->att[l], w->o, N, QD, D, 0);
        be->attention_seqs_bwd(be, a->dq, a->dk, a->dv, a->datt, a->q[l], a->k[l], a->v[l],
                               a->att[l], a->lse[l], a->seqlen, B, H, KV, hd);
        be->rope(be, a->dq, a->d_pos, N, H, hd, (float)c->rope_theta, 1);
        be->rope(be, a->dk, a->d_pos, N, KV, hd, (float)c->rope_theta, 1);
        float *dqp = a->dq, *dkp = a->dk;
        if (ai->qk_norm) {
            int rq, rk, dq, dk;
            qk_rows(m, N, H, &rq, &dq);
            qk_rows(m, N, KV, &rk, &dk);
            be->rmsnorm_bwd(be, a->dq2, g->q_norm, a->dq, a->qraw[l], w->q_norm, a->rstdq[l], rq, dq, 0);
            be->rmsnorm_bwd(be, a->dk2, g->k_norm, a->dk, a->kraw[l], w->k_norm, a->rstdk[l], rk, dk, 0);
            dqp = a->dq2;
            dkp = a->dk2;
        }
        if (ai->qkv_bias) {   /* d bias = column sums: the ones column's dw */
            be->matmul_bwd(be, NULL, g->q_bias, dqp, a->ones, w->q_bias, N, 1, QD, 0);
            be->matmul_bwd(be, NULL, g->k_bias, dkp, a->ones, w->k_bias, N, 1, KD, 0);
            be->matmul_bwd(be, NULL, g->v_bias, a->dv, a->ones, w->v_bias, N, 1, KD, 0);
        }
        const float *ain = ai->post_norms ? a->x[l] : a->xn1[l];
        float *dain = a->dxn;
        if (ai->post_norms) {   /* the projections read xin itself */
            be->copy(be, a->dx, a->dxmid, (size_t)N * D);
            dain = a->dx;
        }
        be->matmul_bwd(be, dain, g->q, dqp, ain, w->q, N, D, QD, ai->post_norms);
        be->matmul_bwd(be, dain, g->k, dkp, ain, w->k, N, D, KD, 1);
        be->matmul_bwd(be, dain, g->v, a->dv, ain, w->v, N, D, KD, 1);
        if (!ai->post_norms) {
            be->copy(be, a->dx, a->dxmid, (size_t)N * D);
            be->rmsnorm_bwd(be, a->dx, g->in_norm, a->dxn, a->x[l], nw_in(m, l), a->rstd1[l], N, D, 1);
        }
    }
    /* packed: no padding rows, every row's gradient goes into the table */
    if (ai->gemma) be->scale(be, a->dx, (float)sqrt((double)D), (size_t)N * D);
    be->embed_bwd(be, m->g_embed, a->dx, a->d_tokens, N, D);
}

/* ---- KV cache ---- */

kv_cache *kv_cache_new(const model *m, int B, int Tmax)
{
    kv_cache *kc = xcalloc(1, sizeof *kc);
    size_t KD = (size_t)m->c.n_kv_heads * m->c.head_dim;
    kc->B = B;
    kc->Tmax = Tmax;
    kc->k = buf_set(m->be, m->c.n_layers, (size_t)B * Tmax * KD);
    kc->v = buf_set(m->be, m->c.n_layers, (size_t)B * Tmax * KD);
    kc->valid = xcalloc((size_t)B * Tmax, 1);
    kc->dvalid = m->be->alloc_bytes(m->be, (size_t)B * Tmax);
    kc->npos = xcalloc(B, sizeof(int32_t));
    return kc;
}

void kv_cache_free(const model *m, kv_cache *kc)
{
    if (!kc) return;
    buf_set_free(m->be, kc->k, m->c.n_layers);
    buf_set_free(m->be, kc->v, m->c.n_layers);
    m->be->free(m->be, kc->dvalid);
    free(kc->valid); free(kc->npos); free(kc);
}

void kv_cache_keep(const model *m, kv_cache *kc, const int *from, int n)
{
    const backend *be = m->be;
    size_t KD = (size_t)m->c.n_kv_heads * m->c.head_dim, row = (size_t)kc->Tmax * KD;
    if (n < 0 || n > kc->B) die(EX_SOFTWARE, "kv_cache_keep: %d rows of %d", n, kc->B);
    for (int i = 0; i < n; i++) {
        int f = from[i];
        if (f == i) continue;
        if (f < n || f >= kc->B) die(EX_SOFTWARE, "kv_cache_keep: row %d cannot come from row %d", i, f);
        /* one row block per layer: at most one move per dropped row, ever */
        for (int l = 0; l < m->c.n_layers; l++) {
            be->copy_rows(be, kc->k[l] + i * row, row, kc->k[l] + (size_t)f * row, row, 1, (size_t)kc->len * KD);
            be->copy_rows(be, kc->v[l] + i * row, row, kc->v[l] + (size_t)f * row, row, 1, (size_t)kc->len * KD);
        }
        memcpy(kc->valid + (size_t)i * kc->Tmax, kc->valid + (size_t)f * kc->Tmax, kc->Tmax);
        kc->npos[i] = kc->npos[f];
    }
    kc->B = n;
}

void model_forward_cached(model *m, kv_cache *kc, const int32_t *tokens,
                          const uint8_t *valid, int Tn)
{
    model_acts *a = m->a;
    int B = kc->B, N = B * Tn;
    if (!a || N > a->cap) die(EX_SOFTWARE, "model_forward_cached: %d tokens exceed the reserved %d", N, a ? a->cap : 0);
    if (kc->len + Tn > kc->Tmax) die(EX_SOFTWARE, "KV cache full (%d slots)", kc->Tmax);
    a->B = B; a->T = Tn;
    a->packed = 0;
    layout_ints(a, N);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < Tn; t++) {
            size_t i = (size_t)b * Tn + t;
            int ok = valid ? valid[i] != 0 : 1;
            if (ok && (tokens[i] < 0 || tokens[i] >= m->c.vocab))
                die(EX_DATAERR, "token id %d outside the vocabulary (%d)", tokens[i], m->c.vocab);
            a->tokens[i] = ok ? tokens[i] : 0;
            a->pos[i] = ok ? kc->npos[b]++ : 0;
            kc->valid[(size_t)b * kc->Tmax + kc->len + t] = (uint8_t)ok;
        }
    stage_ints(m, N);
    m->be->upload_bytes(m->be, kc->dvalid, kc->valid, (size_t)B * kc->Tmax);
    forward_core(m, B, Tn, kc->len, kc->Tmax, kc->k, kc->v, kc->dvalid, 1);
    kc->len += Tn;
}

void model_logits_row(const model *m, int b, int t, float *out)
{
    const model_acts *a = m->a;
    size_t row = a->last_only ? (size_t)b : (size_t)b * a->T + t;
    if (a->last_only && t != a->T - 1) die(EX_SOFTWARE, "model_logits_row: only the last slot is kept");
    if (a->packed) {   /* a padding slot has no logits: zeros */
        if (a->comp[row] < 0) { memset(out, 0, sizeof(float) * (size_t)m->c.vocab); return; }
        row = (size_t)a->comp[row];
    }
    m->be->download(m->be, out, a->logits + row * m->c.vocab, m->c.vocab);
}

size_t model_logits(const model *m, float *out)
{
    const model_acts *a = m->a;
    size_t rows = a->last_only ? (size_t)a->B : (size_t)a->B * a->T, V = (size_t)m->c.vocab;
    if (a->packed) {   /* packed rows, spread to their slots (padding: zeros) */
        m->be->download(m->be, out, a->logits, (size_t)a->ntok * V);
        for (size_t i = rows; i-- > 0;) {
            int ci = a->comp[i];
            if (ci < 0) memset(out + i * V, 0, sizeof(float) * V);
            else if ((size_t)ci != i) memmove(out + i * V, out + (size_t)ci * V, sizeof(float) * V);
        }
        return rows;
    }
    m->be->download(m->be, out, a->logits, rows * V);
    return rows;
}
