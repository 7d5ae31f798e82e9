/*
 * model.h — a Llama-architecture transformer (Tülu 2 / Llama 2 / SmolLM2):
 * token embedding, RMSNorm, rotary positions, grouped-query causal
 * attention, SwiGLU MLP, final norm, an LM head (tied or untied) and/or a
 * scalar `score` head for reward and value models.
 *
 * Families that share that skeleton (model_arch.h) differ by a few
 * switches, all composed from the same backend ops: Mistral (Llama, with a
 * sliding window that is refused when a sequence would reach it), Qwen2
 * (q/k/v projection biases), Qwen3 (per-head RMSNorm of q and k before
 * rotary), OLMo 2 (RMSNorm of q and k over the whole projection; the
 * attention and MLP outputs are normalised inside the residual branch, no
 * pre-norms) and Gemma (embeddings times sqrt(hidden), norm weights used
 * as 1 + w, GeGLU with tanh-approximate GELU).  arch 0 is Llama, so a
 * zeroed config is the model it always was.
 *
 * Memory (the llm.c pattern): all parameters live in ONE flat fp32 buffer
 * described by a table of named views that carry the Hugging Face tensor
 * names; gradients use the same layout in a second buffer.  Activations
 * are allocated once for a capacity of N tokens (batch x length) by
 * model_reserve(); forward/backward never allocate.
 *
 * Batches are [B, T] token ids with a validity mask (1 real, 0 padding).
 * Position ids count only real tokens (so left and right padding give the
 * same result); model_forward computes the real tokens only (packed back
 * to back, attention per row: model.c), and the per-token
 * log-prob of token t is log p(tokens[t] | real tokens before t); it is 0
 * for the first real token of a row and for padding.
 *
 * The model does no arithmetic itself: every tensor operation goes through
 * the backend table (backend.h).  One forward/backward at a time per model
 * (activations live in the model).
 *
 * A training step (tests/unit/test_optim.c has a complete one):
 *   model_reserve(m, B * T, 1);  model_zero_grads(m);
 *   model_forward(m, tokens, valid, B, T, logp, NULL);
 *   dlogp[i] = d loss / d logp[i]   (0 outside the loss mask)
 *   model_backward(m, dlogp, NULL);
 *   optim_step(opt, m, lr_at(&schedule, step), accum);
 * Reward models use values[] at model_last_valid(); value models use
 * values[] at every response token (dvalues in the backward).
 */
#ifndef PREFPIPE_MODEL_H
#define PREFPIPE_MODEL_H

#include "backend/backend.h"
#include "model/model_arch.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int vocab, dim, n_layers, n_heads, n_kv_heads, head_dim, ffn, max_pos;
    double norm_eps, rope_theta;
    int tied;       /* lm_head.weight is model.embed_tokens.weight */
    int lm_head;    /* causal LM head present (LlamaForCausalLM) */
    int score;      /* scalar head score.weight [1, dim] present */
    int bos_id, eos_id, pad_id;   /* -1 when unknown */
    int arch;           /* model_arch (model_arch.h); 0 = Llama */
    int sliding_window; /* Mistral: longest attention span; 0 = none */
} model_config;

typedef struct {
    char name[80];       /* Hugging Face tensor name */
    size_t off, n;       /* offset and size in floats */
    int ndim, shape[2];
} param_view;

/* NULL where the family has no such tensor (in_norm on OLMo 2, the
 * biases outside Qwen2, q_norm/k_norm outside Qwen3 and OLMo 2, ffn_norm:
 * OLMo 2's post_feedforward_layernorm) */
typedef struct {
    float *in_norm, *q, *k, *v, *o, *post_norm, *gate, *up, *down;
    float *q_bias, *k_bias, *v_bias, *q_norm, *k_norm, *ffn_norm;
} layer_ptrs;

typedef struct model_acts model_acts;

typedef struct model {
    model_config c;
    const backend *be;
    float *params, *grads;     /* grads NULL until model_enable_grads */
    size_t nparams;
    param_view *views;
    int nviews;
    layer_ptrs *lw, *lg;       /* per-layer pointers into params / grads */
    float *embed, *norm, *lm, *score;      /* lm == embed when tied */
    float *g_embed, *g_norm, *g_lm, *g_score;
    model_acts *a;
    float *normw;              /* Gemma: 1 + w of every norm, per forward */
} model;

/* A copy of src with other heads (e.g. a reward or value model initialised
 * from an SFT policy: lm_head 0, score 1).  Shared tensors are copied by
 * name; a new score head is Gaussian(0, 0.02) from seed; a new untied
 * lm_head starts as a copy of the embeddings. */
model *model_with_heads(const model *src, int lm_head, int score, uint64_t seed);

/* Check a configuration; returns NULL or a static message. */
const char *model_config_check(const model_config *c);
/* The parameter count a config implies, computed in 64 bits. */
int64_t model_config_params(const model_config *c);

/* Allocate parameters (zeroed) for a checked config. */
model *model_new(const model_config *c, const backend *be);
void model_free(model *m);
/* Gaussian(0, 0.02) matrices, unit norms; deterministic in seed. */
void model_init_random(model *m, uint64_t seed);
void model_enable_grads(model *m);
void model_zero_grads(model *m);
const param_view *model_find_view(const model *m, const char *name);
/* Number of scalar parameters (tied weights counted once). */
size_t model_param_count(const model *m);

/* Reserve activations for up to ntok tokens per forward; train keeps every
 * layer's activations for backward (and allocates gradient scratch).  A
 * large enough training reservation is kept for inference requests. */
void model_reserve(model *m, int ntok, int train);

/* Forward over tokens/valid [B*T].  Outputs (host arrays, may be NULL):
 * logp [B*T] per-token log-probs as described above (needs lm_head),
 * values [B*T] the scalar head at every token (needs score). */
void model_forward(model *m, const int32_t *tokens, const uint8_t *valid,
                   int B, int T, float *logp, float *values);
/* Backward of the last forward (which must have been a training forward):
 * dlogp, dvalues [B*T] are d loss / d (logp, values); either may be NULL.
 * Gradients accumulate into m->grads. */
void model_backward(model *m, const float *dlogp, const float *dvalues);

/* Index of the last real token of row b, or -1 when the row is empty. */
int model_last_valid(const uint8_t *valid, int b, int T);

/* ---- incremental decoding with a KV cache (sample.c) ---- */
typedef struct {
    int B, Tmax, len;          /* len = slots filled so far */
    float **k, **v;            /* per layer [B, Tmax, KV*hd] */
    uint8_t *valid;            /* [B, Tmax] host; dvalid its backend copy, */
    uint8_t *dvalid;           /* uploaded once per model_forward_cached */
    int32_t *npos;             /* [B] real tokens so far (next position) */
} kv_cache;

kv_cache *kv_cache_new(const model *m, int B, int Tmax);
void kv_cache_free(const model *m, kv_cache *kc);
/* Keep n rows: row i becomes row from[i], where from[i] == i or from[i]
 * >= n (a row past the new end moving into a dropped row's place); the
 * cache then has n rows (sampling drops finished rows this way). */
void kv_cache_keep(const model *m, kv_cache *kc, const int *from, int n);
/* Run Tn new slots for every row (tokens/valid [B*Tn]) against the cache,
 * appending them.  Logits are computed for each row's last slot only
 * (t = Tn-1); model_logits() reads them all at once, model_logits_row()
 * one row.  Every product is row-independent (matmul_rows,
 * attention_rows): a row's logits are the same bits whichever rows, and
 * how much padding, share the cache with it. */
void model_forward_cached(model *m, kv_cache *kc, const int32_t *tokens,
                          const uint8_t *valid, int Tn);
/* Copy the logits of row (b, t) of the last forward to host memory. */
void model_logits_row(const model *m, int b, int t, float *out);
/* Copy every logits row the last forward kept to host memory in one
 * transfer: [B, V] after model_forward_cached (each row's last slot),
 * [B*T, V] after model_forward.  Returns the number of rows. */
size_t model_logits(const model *m, float *out);

#endif
