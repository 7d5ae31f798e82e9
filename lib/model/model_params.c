/*
 * model_params.c — a model's parameters: the config's size and checks,
 * the flat parameter buffer with its table of named views (one view per
 * Hugging Face tensor), the pointers bound to them, gradients, random
 * initialisation and copies with other heads.  The activations and the
 * math that uses these parameters are model.c's.
 *
 * Parameter layout (offsets in the flat buffer, in this order):
 *   model.embed_tokens.weight [V, D]
 *   per layer l: input_layernorm [D], q_proj [H*hd, D], k_proj [KV*hd, D],
 *     v_proj [KV*hd, D], o_proj [D, H*hd], post_attention_layernorm [D],
 *     gate_proj [F, D], up_proj [F, D], down_proj [D, F]
 *   model.norm.weight [D]
 *   lm_head.weight [V, D]      (absent when tied or without an LM head)
 *   score.weight [1, D]        (when the scalar head is present)
 * Other families (model_arch.h) add, in the layer: q/k/v_proj.bias after
 * each projection (Qwen2); self_attn.q_norm/k_norm after o_proj (Qwen3:
 * [hd] each; OLMo 2: [H*hd], [KV*hd]); OLMo 2 has no input_layernorm and
 * a post_feedforward_layernorm [D] after post_attention_layernorm.  The
 * Llama layout is unchanged (its checkpoints and optimizer files stay
 * valid byte for byte).
 */
#include "model/model.h"
#include "base/util.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t model_config_params(const model_config *c)
{
    /* 64-bit throughout: the sizes come from a file (config.json) */
    int64_t D = c->dim, QD = (int64_t)c->n_heads * c->head_dim, KD = (int64_t)c->n_kv_heads * c->head_dim;
    int64_t layer = 2 * D + QD * D + 2 * KD * D + D * QD + 3 * (int64_t)c->ffn * D;
    const model_arch_info *ai = model_arch(c->arch);
    if (ai->qkv_bias) layer += QD + 2 * KD;
    if (ai->qk_norm == QK_NORM_HEAD) layer += 2 * (int64_t)c->head_dim;
    if (ai->qk_norm == QK_NORM_FULL) layer += QD + KD;
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
    if (c->arch < 0 || c->arch >= ARCH_COUNT)
        return "unknown model family";
    if (c->sliding_window < 0)
        return "sliding_window must not be negative";
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

/* The layer tensors by their Hugging Face suffix: one list for the view
 * table's names and the pointers bound to them. */
static const struct { const char *suffix; size_t field; } layer_tensor[] = {
    {"input_layernorm.weight", offsetof(layer_ptrs, in_norm)},
    {"self_attn.q_proj.weight", offsetof(layer_ptrs, q)},
    {"self_attn.k_proj.weight", offsetof(layer_ptrs, k)},
    {"self_attn.v_proj.weight", offsetof(layer_ptrs, v)},
    {"self_attn.o_proj.weight", offsetof(layer_ptrs, o)},
    {"post_attention_layernorm.weight", offsetof(layer_ptrs, post_norm)},
    {"mlp.gate_proj.weight", offsetof(layer_ptrs, gate)},
    {"mlp.up_proj.weight", offsetof(layer_ptrs, up)},
    {"mlp.down_proj.weight", offsetof(layer_ptrs, down)},
    {"self_attn.q_proj.bias", offsetof(layer_ptrs, q_bias)},
    {"self_attn.k_proj.bias", offsetof(layer_ptrs, k_bias)},
    {"self_attn.v_proj.bias", offsetof(layer_ptrs, v_bias)},
    {"self_attn.q_norm.weight", offsetof(layer_ptrs, q_norm)},
    {"self_attn.k_norm.weight", offsetof(layer_ptrs, k_norm)},
    {"post_feedforward_layernorm.weight", offsetof(layer_ptrs, ffn_norm)},
};

static void bind_pointers(model *m, float *base, layer_ptrs *lp, float **embed,
                          float **norm, float **lm, float **score)
{
    const model_config *c = &m->c;
    memset(lp, 0, sizeof *lp * (size_t)c->n_layers);
    *lm = *score = NULL;
    for (int i = 0; i < m->nviews; i++) {
        const char *nm = m->views[i].name;
        float *at = base + m->views[i].off;
        int l, k;
        if (sscanf(nm, "model.layers.%d.%n", &l, &k) == 1) {
            for (size_t t = 0; t < sizeof layer_tensor / sizeof *layer_tensor; t++)
                if (!strcmp(nm + k, layer_tensor[t].suffix))
                    *(float **)((char *)&lp[l] + layer_tensor[t].field) = at;
        } else if (!strcmp(nm, "model.embed_tokens.weight")) *embed = at;
        else if (!strcmp(nm, "model.norm.weight")) *norm = at;
        else if (!strcmp(nm, "lm_head.weight")) *lm = at;
        else if (!strcmp(nm, "score.weight")) *score = at;
    }
    if (c->lm_head && c->tied) *lm = *embed;
}

model *model_new(const model_config *c, const backend *be)
{
    const char *err = model_config_check(c);
    if (err) die(EX_DATAERR, "bad model config: %s", err);
    model *m = xcalloc(1, sizeof *m);
    m->c = *c;
    m->be = be;
    m->views = xcalloc((size_t)15 * c->n_layers + 4, sizeof *m->views);
    int D = c->dim, QD = c->n_heads * c->head_dim, KD = c->n_kv_heads * c->head_dim;
    const model_arch_info *ai = model_arch(c->arch);
    int bias = ai->qkv_bias, qkn = ai->qk_norm;
    size_t off = 0;
    char nm[80];
    add_view(m, "model.embed_tokens.weight", &off, c->vocab, D);
    for (int l = 0; l < c->n_layers; l++) {
#define LV(suffix, a, b) \
        do { snprintf(nm, sizeof nm, "model.layers.%d.%s", l, suffix); add_view(m, nm, &off, a, b); } while (0)
        if (!ai->post_norms) LV("input_layernorm.weight", D, 0);
        LV("self_attn.q_proj.weight", QD, D);
        if (bias) LV("self_attn.q_proj.bias", QD, 0);
        LV("self_attn.k_proj.weight", KD, D);
        if (bias) LV("self_attn.k_proj.bias", KD, 0);
        LV("self_attn.v_proj.weight", KD, D);
        if (bias) LV("self_attn.v_proj.bias", KD, 0);
        LV("self_attn.o_proj.weight", D, QD);
        if (qkn) LV("self_attn.q_norm.weight", qkn == QK_NORM_HEAD ? c->head_dim : QD, 0);
        if (qkn) LV("self_attn.k_norm.weight", qkn == QK_NORM_HEAD ? c->head_dim : KD, 0);
        LV("post_attention_layernorm.weight", D, 0);
        if (ai->post_norms) LV("post_feedforward_layernorm.weight", D, 0);
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
    if (ai->gemma) {   /* [2L+1, D] effective weights, then as many ones */
        size_t nw = (size_t)(2 * c->n_layers + 1) * D;
        m->normw = be->alloc(be, 2 * nw);
        float *one = xmalloc(sizeof(float) * nw);
        for (size_t i = 0; i < nw; i++) one[i] = 1.0f;
        be->upload(be, m->normw + nw, one, nw);
        free(one);
    }
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
        /* norms start as the identity (Gemma stores w of 1 + w), biases 0 */
        size_t nl = strlen(v->name);
        float one = nl > 5 && !strcmp(v->name + nl - 5, ".bias") ? 0.0f : model_arch(m->c.arch)->gemma ? 0.0f : 1.0f;
        for (size_t j = 0; j < v->n; j++)
            host[v->off + j] = v->ndim == 1 ? one : (float)(0.02 * gauss(&r));
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
