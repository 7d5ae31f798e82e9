/*
 * model.c — parameters, activations, forward and backward of the Llama
 * transformer described in model.h.
 *
 * Parameter layout (offsets in the flat buffer, in this order):
 *   model.embed_tokens.weight [V, D]
 *   per layer l: input_layernorm [D], q_proj [H*hd, D], k_proj [KV*hd, D],
 *     v_proj [KV*hd, D], o_proj [D, H*hd], post_attention_layernorm [D],
 *     gate_proj [F, D], up_proj [F, D], down_proj [D, F]
 *   model.norm.weight [D]
 *   lm_head.weight [V, D]      (absent when tied or without an LM head)
 *   score.weight [1, D]        (when the scalar head is present)
 *
 * Activations: a training forward keeps, per layer, the layer input x, the
 * normalised inputs, q/k/v after rotary, attention output, the residual
 * after attention, gate/up/SwiGLU output, and the rms/log-sum-exp
 * statistics; the backward walks them in reverse.  An inference forward
 * reuses one layer's worth of buffers.
 */
#include "model/model.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* bytes of integer input per token: token id, position, target, mask */
#define INT_BYTES (3 * sizeof(int32_t) + 1)

struct model_acts {
    int cap, train, B, T, Tk;       /* capacity in tokens; last shapes */
    int last_only;                  /* logits only for each row's last slot */
    /* integer inputs of the last forward, [N] each, packed as
     * tokens | pos | targets (int32) | valid (uint8): built on the host in
     * `ints`, uploaded in ONE upload_bytes to `dints` (stage_ints) */
    int32_t *ints, *dints;
    int32_t *tokens, *pos, *targets, *d_tokens, *d_pos, *d_targets;
    uint8_t *valid, *d_valid;
    float **x;                      /* L+1 (train) or 2 buffers [N*D] */
    float **xmid, **xn1, **xn2, **q, **k, **v, **att, **g, **u, **h;
    float **rstd1, **rstd2, **lse;
    float *rstdf, *xnf, *logits, *lsev, *rowlogp, *values;
    /* gradient scratch (train) */
    float *dx, *dxmid, *dxn, *dq, *dk, *dv, *datt, *dg, *du, *dh, *dvals, *drow;
};

int64_t model_config_params(const model_config *c)
{
    /* 64-bit throughout: the sizes come from a file (config.json) */
    int64_t D = c->dim, QD = (int64_t)c->n_heads * c->head_dim, KD = (int64_t)c->n_kv_heads * c->head_dim;
    int64_t layer = 2 * D + QD * D + 2 * KD * D + D * QD + 3 * (int64_t)c->ffn * D;
    int64_t n = (int64_t)c->vocab * D + (int64_t)c->n_layers * layer + D;
    if (c->lm_head && !c->tied) n += (int64_t)c->vocab * D;
    if (c->score) n += D;
    return n;
}

/* Parameters a model may have: 2^34 floats (64 GiB) is beyond any machine
 * this runs on; a config claiming more is a mistake or an attack. */
#define MAX_PARAMS ((int64_t)1 << 34)

const char *model_config_check(const model_config *c)
{
    if (c->vocab <= 0 || c->dim <= 0 || c->n_layers <= 0 || c->n_heads <= 0 ||
        c->n_kv_heads <= 0 || c->head_dim <= 0 || c->ffn <= 0)
        return "dimensions must be positive";
    if (c->max_pos <= 0)
        return "max_position_embeddings must be positive";
    if (c->max_pos > (1 << 24))
        return "max_position_embeddings is over 16777216";
    if (c->n_heads % c->n_kv_heads)
        return "num_attention_heads must be a multiple of num_key_value_heads";
    if (c->head_dim % 2 || c->head_dim > 1024)
        return "head_dim must be even and at most 1024";
    if (!(c->norm_eps > 0) || !(c->rope_theta > 0))
        return "rms_norm_eps and rope_theta must be positive";
    if (!c->lm_head && !c->score)
        return "model has neither an LM head nor a score head";
    /* each count below stays far from overflowing int64; the products the
     * model code forms in int must fit int, and every tensor 2^32 floats */
    if ((int64_t)c->n_heads * c->head_dim > (1 << 20))
        return "num_attention_heads x head_dim is over 1048576";
    if (c->dim > (1 << 20))
        return "hidden_size is over 1048576";
    if (c->ffn > (1 << 22))
        return "intermediate_size is over 4194304";
    if (c->vocab > (1 << 24))
        return "vocab_size is over 16777216";
    if (c->n_layers > (1 << 16))
        return "num_hidden_layers is over 65536";
    if ((double)c->vocab * c->dim > 4e9 || (double)c->ffn * c->dim > 4e9 ||
        (double)c->n_heads * c->head_dim * c->dim > 4e9)
        return "model too large";
    if (model_config_params(c) > MAX_PARAMS)
        return "model too large (num_hidden_layers x the layer size is over 2^34 parameters)";
    return NULL;
}

static void add_view(model *m, const char *name, size_t *off, int d0, int d1)
{
    param_view *v = &m->views[m->nviews++];
    snprintf(v->name, sizeof v->name, "%s", name);
    v->off = *off;
    v->ndim = d1 ? 2 : 1;
    v->shape[0] = d0;
    v->shape[1] = d1;
    v->n = (size_t)d0 * (d1 ? d1 : 1);
    *off += v->n;
}

static void bind_pointers(model *m, float *base, layer_ptrs *lp, float **embed,
                          float **norm, float **lm, float **score)
{
    const model_config *c = &m->c;
    int i = 0;
    *embed = base + m->views[i++].off;
    for (int l = 0; l < c->n_layers; l++) {
        layer_ptrs *p = &lp[l];
        p->in_norm = base + m->views[i++].off;
        p->q = base + m->views[i++].off;
        p->k = base + m->views[i++].off;
        p->v = base + m->views[i++].off;
        p->o = base + m->views[i++].off;
        p->post_norm = base + m->views[i++].off;
        p->gate = base + m->views[i++].off;
        p->up = base + m->views[i++].off;
        p->down = base + m->views[i++].off;
    }
    *norm = base + m->views[i++].off;
    *lm = NULL;
    if (c->lm_head) *lm = c->tied ? *embed : base + m->views[i++].off;
    *score = c->score ? base + m->views[i++].off : NULL;
}

model *model_new(const model_config *c, const backend *be)
{
    const char *err = model_config_check(c);
    if (err) die(EX_DATAERR, "bad model config: %s", err);
    model *m = xcalloc(1, sizeof *m);
    m->c = *c;
    m->be = be;
    m->views = xcalloc((size_t)9 * c->n_layers + 4, sizeof *m->views);
    int D = c->dim, QD = c->n_heads * c->head_dim, KD = c->n_kv_heads * c->head_dim;
    size_t off = 0;
    char nm[80];
    add_view(m, "model.embed_tokens.weight", &off, c->vocab, D);
    for (int l = 0; l < c->n_layers; l++) {
#define LV(suffix, a, b) \
        snprintf(nm, sizeof nm, "model.layers.%d.%s", l, suffix); add_view(m, nm, &off, a, b)
        LV("input_layernorm.weight", D, 0);
        LV("self_attn.q_proj.weight", QD, D);
        LV("self_attn.k_proj.weight", KD, D);
        LV("self_attn.v_proj.weight", KD, D);
        LV("self_attn.o_proj.weight", D, QD);
        LV("post_attention_layernorm.weight", D, 0);
        LV("mlp.gate_proj.weight", c->ffn, D);
        LV("mlp.up_proj.weight", c->ffn, D);
        LV("mlp.down_proj.weight", D, c->ffn);
#undef LV
    }
    add_view(m, "model.norm.weight", &off, D, 0);
    if (c->lm_head && !c->tied) add_view(m, "lm_head.weight", &off, c->vocab, D);
    if (c->score) add_view(m, "score.weight", &off, 1, D);
    m->nparams = off;
    m->params = be->alloc(be, off);
    m->lw = xcalloc(c->n_layers, sizeof *m->lw);
    m->lg = xcalloc(c->n_layers, sizeof *m->lg);
    bind_pointers(m, m->params, m->lw, &m->embed, &m->norm, &m->lm, &m->score);
    return m;
}

void model_enable_grads(model *m)
{
    if (m->grads) return;
    m->grads = m->be->alloc(m->be, m->nparams);
    bind_pointers(m, m->grads, m->lg, &m->g_embed, &m->g_norm, &m->g_lm, &m->g_score);
}

void model_zero_grads(model *m)
{
    if (m->grads) m->be->zero(m->be, m->grads, m->nparams);
}

const param_view *model_find_view(const model *m, const char *name)
{
    for (int i = 0; i < m->nviews; i++)
        if (!strcmp(m->views[i].name, name)) return &m->views[i];
    return NULL;
}

size_t model_param_count(const model *m) { return m->nparams; }

static double gauss(rng_t *r)
{
    double u1 = rng_uniform(r), u2 = rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void model_init_random(model *m, uint64_t seed)
{
    float *host = xmalloc(m->nparams * sizeof(float));
    for (int i = 0; i < m->nviews; i++) {
        const param_view *v = &m->views[i];
        rng_t r;
        rng_seed(&r, hash64(v->name, strlen(v->name), seed));
        for (size_t j = 0; j < v->n; j++)
            host[v->off + j] = v->ndim == 1 ? 1.0f : (float)(0.02 * gauss(&r));
    }
    m->be->upload(m->be, m->params, host, m->nparams);
    free(host);
}

model *model_with_heads(const model *src, int lm_head, int score, uint64_t seed)
{
    model_config c = src->c;
    c.lm_head = lm_head;
    c.score = score;
    if (!lm_head) c.tied = 0;
    model *m = model_new(&c, src->be);
    for (int i = 0; i < m->nviews; i++) {
        const param_view *v = &m->views[i];
        const param_view *sv = model_find_view(src, v->name);
        if (sv) { m->be->copy(m->be, m->params + v->off, src->params + sv->off, v->n); continue; }
        if (!strcmp(v->name, "lm_head.weight")) {
            m->be->copy(m->be, m->params + v->off, src->embed, v->n);
            continue;
        }
        /* a new score head */
        float *host = xmalloc(sizeof(float) * v->n);
        rng_t r;
        rng_seed(&r, hash64(v->name, strlen(v->name), seed));
        for (size_t j = 0; j < v->n; j++) host[j] = (float)(0.02 * gauss(&r));
        m->be->upload(m->be, m->params + v->off, host, v->n);
        free(host);
    }
    return m;
}

/* ---- activations ---- */

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

static void acts_free(model *m)
{
    model_acts *a = m->a;
    if (!a) return;
    const backend *be = m->be;
    int L = a->train ? m->c.n_layers : 1;
    buf_set_free(be, a->x, a->train ? m->c.n_layers + 1 : 2);
    float ***sets[] = {&a->xmid, &a->xn1, &a->xn2, &a->q, &a->k, &a->v, &a->att,
                       &a->g, &a->u, &a->h, &a->rstd1, &a->rstd2, &a->lse};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) buf_set_free(be, *sets[i], L);
    float *singles[] = {a->rstdf, a->xnf, a->logits, a->lsev, a->rowlogp, a->values,
                        a->dx, a->dxmid, a->dxn, a->dq, a->dk, a->dv, a->datt,
                        a->dg, a->du, a->dh, a->dvals, a->drow};
    for (size_t i = 0; i < sizeof singles / sizeof *singles; i++)
        if (singles[i]) be->free(be, singles[i]);
    free(a->ints);
    be->free(be, a->dints);
    free(a);
    m->a = NULL;
}

void model_reserve(model *m, int ntok, int train)
{
    /* a training reservation also serves inference (PPO alternates both) */
    if (m->a && m->a->cap >= ntok && (m->a->train == train || (m->a->train && !train))) return;
    acts_free(m);
    const model_config *c = &m->c;
    const backend *be = m->be;
    model_acts *a = m->a = xcalloc(1, sizeof *a);
    size_t N = ntok, D = c->dim, QD = (size_t)c->n_heads * c->head_dim;
    size_t KD = (size_t)c->n_kv_heads * c->head_dim, F = c->ffn, V = c->vocab;
    int L = train ? c->n_layers : 1;
    a->cap = ntok;
    a->train = train;
    a->ints = xcalloc(N, INT_BYTES);
    a->dints = be->alloc_bytes(be, N * INT_BYTES);
    a->x = buf_set(be, train ? c->n_layers + 1 : 2, N * D);
    a->xmid = buf_set(be, L, N * D);
    a->xn1 = buf_set(be, L, N * D);
    a->xn2 = buf_set(be, L, N * D);
    a->q = buf_set(be, L, N * QD);
    a->k = buf_set(be, L, N * KD);
    a->v = buf_set(be, L, N * KD);
    a->att = buf_set(be, L, N * QD);
    a->g = buf_set(be, L, N * F);
    a->u = buf_set(be, L, N * F);
    a->h = buf_set(be, L, N * F);
    a->rstd1 = buf_set(be, L, N);
    a->rstd2 = buf_set(be, L, N);
    a->lse = buf_set(be, L, N * c->n_heads);
    a->rstdf = be->alloc(be, N);
    a->xnf = be->alloc(be, N * D);
    if (c->lm_head) a->logits = be->alloc(be, N * V);
    a->lsev = be->alloc(be, N);
    a->rowlogp = be->alloc(be, N);
    a->values = be->alloc(be, N);
    if (train) {
        a->dx = be->alloc(be, N * D);
        a->dxmid = be->alloc(be, N * D);
        a->dxn = be->alloc(be, N * D);
        a->dq = be->alloc(be, N * QD);
        a->datt = be->alloc(be, N * QD);
        a->dk = be->alloc(be, N * KD);
        a->dv = be->alloc(be, N * KD);
        a->dg = be->alloc(be, N * F);
        a->du = be->alloc(be, N * F);
        a->dh = be->alloc(be, N * F);
        a->dvals = be->alloc(be, N);
        a->drow = be->alloc(be, N);
    }
}

void model_free(model *m)
{
    if (!m) return;
    acts_free(m);
    m->be->free(m->be, m->params);
    if (m->grads) m->be->free(m->be, m->grads);
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

/* One pass over Tq new slots per row.  kbuf/vbuf[l] hold keys/values with
 * row stride kstride; the new keys are written at slots q0.. (training:
 * kbuf = the activation buffers, q0 = 0, kstride = Tq). */
static void forward_core(model *m, int B, int Tq, int q0, int kstride,
                         float **kbuf, float **vbuf, const uint8_t *kvalid, int last_only)
{
    const model_config *c = &m->c;
    const backend *be = m->be;
    model_acts *a = m->a;
    int N = B * Tq, D = c->dim, H = c->n_heads, KV = c->n_kv_heads, hd = c->head_dim;
    int QD = H * hd, KD = KV * hd, F = c->ffn;
    int train = a->train;

    be->embed(be, a->x[0], m->embed, a->d_tokens, N, D);
    for (int l = 0; l < c->n_layers; l++) {
        int s = train ? l : 0;
        float *xin = a->x[train ? l : (l & 1)], *xout = a->x[train ? l + 1 : ((l + 1) & 1)];
        const layer_ptrs *w = &m->lw[l];
        be->rmsnorm(be, a->xn1[s], a->rstd1[s], xin, w->in_norm, N, D, (float)c->norm_eps);
        be->matmul(be, a->q[s], a->xn1[s], w->q, N, D, QD, 0);
        be->matmul(be, a->k[s], a->xn1[s], w->k, N, D, KD, 0);
        be->matmul(be, a->v[s], a->xn1[s], w->v, N, D, KD, 0);
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
        be->attention(be, a->att[s], a->lse[s], a->q[s], K, Vv, kvalid, B, Tq, q0, kstride, H, KV, hd);
        be->copy(be, a->xmid[s], xin, (size_t)N * D);
        be->matmul(be, a->xmid[s], a->att[s], w->o, N, QD, D, 1);
        be->rmsnorm(be, a->xn2[s], a->rstd2[s], a->xmid[s], w->post_norm, N, D, (float)c->norm_eps);
        be->matmul(be, a->g[s], a->xn2[s], w->gate, N, D, F, 0);
        be->matmul(be, a->u[s], a->xn2[s], w->up, N, D, F, 0);
        be->swiglu(be, a->h[s], a->g[s], a->u[s], (size_t)N * F);
        be->copy(be, xout, a->xmid[s], (size_t)N * D);
        be->matmul(be, xout, a->h[s], w->down, N, F, D, 1);
    }
    float *xl = a->x[train ? c->n_layers : (c->n_layers & 1)];
    be->rmsnorm(be, a->xnf, a->rstdf, xl, m->norm, N, D, (float)c->norm_eps);
    a->last_only = last_only;
    if (last_only) {   /* decoding: only the last slot of each row is needed */
        be->copy_rows(be, a->xn1[0], D, a->xnf + (size_t)(Tq - 1) * D, (size_t)Tq * D, B, D);
        be->copy(be, a->xnf, a->xn1[0], (size_t)B * D);
        N = B;
    }
    if (c->lm_head) be->matmul(be, a->logits, a->xnf, m->lm, N, D, c->vocab, 0);
    if (c->score) be->matmul(be, a->values, a->xnf, m->score, N, D, 1, 0);
}

void model_forward(model *m, const int32_t *tokens, const uint8_t *valid,
                   int B, int T, float *logp, float *values)
{
    model_acts *a = m->a;
    const model_config *c = &m->c;
    int N = B * T;
    if (!a || N > a->cap) die(EX_SOFTWARE, "model_forward: %d tokens exceed the reserved %d", N, a ? a->cap : 0);
    a->B = B; a->T = T; a->Tk = T;
    if (N == 0) return;
    layout_ints(a, N);
    for (int b = 0; b < B; b++) {
        int p = 0;
        for (int t = 0; t < T; t++) {
            size_t i = (size_t)b * T + t;
            int32_t tok = tokens[i];
            a->valid[i] = valid ? valid[i] != 0 : 1;
            if (a->valid[i] && (tok < 0 || tok >= c->vocab))
                die(EX_DATAERR, "token id %d outside the vocabulary (%d)", tok, c->vocab);
            a->tokens[i] = a->valid[i] ? tok : 0;
            a->pos[i] = a->valid[i] ? p++ : 0;
        }
        for (int t = 0; t < T; t++) {
            size_t i = (size_t)b * T + t;
            a->targets[i] = (t + 1 < T && a->valid[i] && a->valid[i + 1]) ? a->tokens[i + 1] : -1;
        }
    }
    stage_ints(m, N);
    forward_core(m, B, T, 0, T, NULL, NULL, a->d_valid, 0);
    if (c->lm_head) {
        m->be->logprob(m->be, a->rowlogp, a->lsev, a->logits, a->d_targets, N, c->vocab);
        if (logp) {
            float *row = xmalloc(sizeof(float) * N);
            m->be->download(m->be, row, a->rowlogp, N);
            for (int b = 0; b < B; b++) {
                logp[(size_t)b * T] = 0;
                for (int t = 1; t < T; t++) logp[(size_t)b * T + t] = row[(size_t)b * T + t - 1];
            }
            free(row);
        }
    }
    if (values && c->score) m->be->download(m->be, values, a->values, N);
}

/* ---- backward ---- */

void model_backward(model *m, const float *dlogp, const float *dvalues)
{
    model_acts *a = m->a;
    const model_config *c = &m->c;
    const backend *be = m->be;
    if (!a || !a->train) die(EX_SOFTWARE, "model_backward without a training forward");
    if (!m->grads) model_enable_grads(m);
    int B = a->B, T = a->T, N = B * T, D = c->dim, H = c->n_heads, KV = c->n_kv_heads;
    int hd = c->head_dim, QD = H * hd, KD = KV * hd, F = c->ffn;

    int have_lm = dlogp && c->lm_head, have_v = dvalues && c->score;
    if (have_lm) {
        /* per-token gradient at t belongs to row t-1 */
        float *row = xcalloc(N, sizeof(float));
        for (int b = 0; b < B; b++)
            for (int t = 1; t < T; t++) row[(size_t)b * T + t - 1] = dlogp[(size_t)b * T + t];
        be->upload(be, a->drow, row, N);
        free(row);
        be->logprob_bwd(be, a->logits, a->lsev, a->drow, a->d_targets, N, c->vocab);
        be->matmul_bwd(be, a->dxn, m->g_lm, a->logits, a->xnf, m->lm, N, D, c->vocab, 0);
    } else {
        be->zero(be, a->dxn, (size_t)N * D);
    }
    if (have_v) {
        be->upload(be, a->dvals, dvalues, N);
        be->matmul_bwd(be, a->dxn, m->g_score, a->dvals, a->xnf, m->score, N, D, 1, 1);
    }
    be->rmsnorm_bwd(be, a->dx, m->g_norm, a->dxn, a->x[c->n_layers], m->norm, a->rstdf, N, D, 0);

    for (int l = c->n_layers - 1; l >= 0; l--) {
        const layer_ptrs *w = &m->lw[l];
        layer_ptrs *g = &m->lg[l];
        /* MLP: xout = xmid + down(swiglu(gate(xn2), up(xn2))) */
        be->matmul_bwd(be, a->dh, g->down, a->dx, a->h[l], w->down, N, F, D, 0);
        be->swiglu_bwd(be, a->dg, a->du, a->dh, a->g[l], a->u[l], (size_t)N * F);
        be->matmul_bwd(be, a->dxn, g->gate, a->dg, a->xn2[l], w->gate, N, D, F, 0);
        be->matmul_bwd(be, a->dxn, g->up, a->du, a->xn2[l], w->up, N, D, F, 1);
        be->copy(be, a->dxmid, a->dx, (size_t)N * D);
        be->rmsnorm_bwd(be, a->dxmid, g->post_norm, a->dxn, a->xmid[l], w->post_norm, a->rstd2[l], N, D, 1);
        /* attention: xmid = xin + o(attn(rope(q(xn1)), rope(k(xn1)), v(xn1))) */
        be->matmul_bwd(be, a->datt, g->o, a->dxmid, a->att[l], w->o, N, QD, D, 0);
        be->attention_bwd(be, a->dq, a->dk, a->dv, a->datt, a->q[l], a->k[l], a->v[l],
                          a->att[l], a->lse[l], a->d_valid, B, T, H, KV, hd);
        be->rope(be, a->dq, a->d_pos, N, H, hd, (float)c->rope_theta, 1);
        be->rope(be, a->dk, a->d_pos, N, KV, hd, (float)c->rope_theta, 1);
        be->matmul_bwd(be, a->dxn, g->q, a->dq, a->xn1[l], w->q, N, D, QD, 0);
        be->matmul_bwd(be, a->dxn, g->k, a->dk, a->xn1[l], w->k, N, D, KD, 1);
        be->matmul_bwd(be, a->dxn, g->v, a->dv, a->xn1[l], w->v, N, D, KD, 1);
        be->copy(be, a->dx, a->dxmid, (size_t)N * D);
        be->rmsnorm_bwd(be, a->dx, g->in_norm, a->dxn, a->x[l], w->in_norm, a->rstd1[l], N, D, 1);
    }
    /* padding rows carry no gradient into the table (their ids are 0) */
    be->zero_rows(be, a->dx, a->d_valid, N, D);
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

void model_forward_cached(model *m, kv_cache *kc, const int32_t *tokens,
                          const uint8_t *valid, int Tn)
{
    model_acts *a = m->a;
    int B = kc->B, N = B * Tn;
    if (!a || N > a->cap) die(EX_SOFTWARE, "model_forward_cached: %d tokens exceed the reserved %d", N, a ? a->cap : 0);
    if (kc->len + Tn > kc->Tmax) die(EX_SOFTWARE, "KV cache full (%d slots)", kc->Tmax);
    a->B = B; a->T = Tn;
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
    m->be->download(m->be, out, a->logits + row * m->c.vocab, m->c.vocab);
}

size_t model_logits(const model *m, float *out)
{
    const model_acts *a = m->a;
    size_t rows = a->last_only ? (size_t)a->B : (size_t)a->B * a->T;
    m->be->download(m->be, out, a->logits, rows * m->c.vocab);
    return rows;
}
