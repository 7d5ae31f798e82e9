/*
 * chat_answer.h — one chat turn from a causal LM, in-process: a user
 * message through the Tülu chat template with the generation prompt, then
 * sample_batch (the sampler rollout uses) until EOS or max_new tokens.
 * For stages that ask a model a question and parse its answer (pref-tag
 * --model, App. J); PPO's sampling loop stays in rl/rollout.c.
 *
 * The answer is deterministic for (model, text, cfg, id): greedy when
 * cfg.temperature is 0, else seeded by hash(id, cfg.seed) as in rollout.
 */
#ifndef PREFPIPE_CHAT_ANSWER_H
#define PREFPIPE_CHAT_ANSWER_H

#include "model/model.h"
#include "model/sample.h"
#include "text/tokenizer.h"

/* The model's reply to one user message: malloc'd text (length *alen),
 * or NULL with a message in err (no LM head, the prompt does not fit in
 * the model's positions with max_new tokens to spare, template error). */
char *chat_answer(model *m, const tokenizer *tok, const sampler_cfg *cfg, const char *user, size_t n,
                  const char *id, size_t *alen, char *err, size_t cap);

#endif
