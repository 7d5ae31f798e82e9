/*
 * sample.h — batched generation with a KV cache.
 *
 * Prompts are left-padded to a common length and prefilled in one forward;
 * then every step feeds one token per row.  Each row draws from its own
 * generator seeded by hash(record id, seed), and the cached forward's
 * products are row-independent (backend.h: matmul_rows, attention_rows),
 * so a record's sample — tokens, log-probs, text — is the same bytes
 * whichever records share its batch, whatever their prompt lengths, and
 * whether or not finished rows are dropped.
 *
 * Finished rows stop costing: when rows stop, the live rows are compacted
 * (the last live rows move into the finished rows' places in the KV
 * cache, kv_cache_keep), so every step computes live rows only.
 *
 * Sampling distribution: logits / temperature, then top-k (k largest),
 * then top-p (smallest set of most likely tokens with mass >= p),
 * renormalised.  temperature 0 means greedy (argmax, log-prob 0 under the
 * sampling distribution).  For every generated token the sampler returns
 * its log-prob under that sampling distribution and under the model at
 * temperature 1 (what PPO and KL estimates need).
 *
 * Stopping: the EOS token (kept in tokens, not in text), or a stop string
 * appearing in the decoded response (text cut before it; tokens keep the
 * token that completed it) -> finish "stop"; max_new tokens -> "length".
 */
#ifndef PREFPIPE_SAMPLE_H
#define PREFPIPE_SAMPLE_H

#include "model/model.h"
#include "text/tokenizer.h"
#include "base/util.h"

typedef struct {
    double temperature;      /* 0 = greedy */
    double top_p;            /* 1 = off */
    int top_k;               /* 0 = off */
    int max_new;
    uint64_t seed;
    const char *const *stop; /* stop strings */
    int nstop;
    int eos_id;              /* -1: none */
    int keep_finished;       /* 1: finished rows stay in the batch as padding
                              * (the old way; tests check it gives the same bytes) */
} sampler_cfg;

typedef enum { FINISH_STOP = 0, FINISH_LENGTH = 1 } finish_reason;

typedef struct {
    int32_t *tokens;         /* generated ids (malloc'd) */
    float *logp_sample;      /* under the sampling distribution */
    float *logp_model;       /* under the model, temperature 1 */
    int n;
    finish_reason finish;
    char *text;              /* decoded response, stop string / EOS removed */
    size_t text_len;
} sample_out;

sampler_cfg sampler_defaults(void);   /* tau 1, top_p 1, top_k 0, 256 new */
const char *finish_name(finish_reason f);

/* Generate for B prompts (ids[b] of plen[b] tokens, record ids rid[b]).
 * The model must have a LM head; out[b] is filled (free with
 * sample_out_free).  Dies on prompts longer than the model's positions. */
void sample_batch(model *m, const tokenizer *tok, const sampler_cfg *cfg,
                  const int32_t *const *ids, const int *plen, const char *const *rid,
                  int B, sample_out *out);
void sample_out_free(sample_out *o);

/* Draw one token from logits[V] (exposed for tests). */
int32_t sample_token(const float *logits, int V, const sampler_cfg *cfg, rng_t *r,
                     float *logp_sample, float *logp_model, float *scratch);

#endif
