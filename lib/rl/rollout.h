/*
 * rollout.h — the rollout stage's logic: a prompt set held in memory,
 * the fixed assignment of prompts to batches, and sampling one batch of
 * rollout records from a policy (filters/rollout.c is the CLI).
 *
 * Batches are a pure function of (prompt set, B, epochs, shuffle seed):
 * batch j covers positions [k B, min((k+1) B, P)) of epoch e = j / nb
 * (k = j mod nb, nb = ceil(P / B)), in input order or in the epoch's
 * seeded shuffle.  Every prompt gives r samples with ids
 * "PROMPT_ID#S", S = e r + s, so ids stay unique across epochs and a
 * regenerated batch (after a restart) repeats the same ids — which is
 * how ppo-step recognises duplicates.  Each record carries batch (j) and
 * batch_size (records in batch j) so the trainer knows when a batch is
 * complete.
 *
 * Prompts whose templated length exceeds max_prompt are skipped when the
 * set is loaded (counted), so they never shift the batch assignment of a
 * restarted run.  The set owns copies of the records' bytes.
 */
#ifndef PREFPIPE_ROLLOUT_H
#define PREFPIPE_ROLLOUT_H

#include "model/model.h"
#include "model/sample.h"
#include "io/stream.h"
#include "text/tokenizer.h"

#include <stdint.h>

typedef struct {
    char *raw;              /* the prompt record's bytes */
    size_t len;
    char *id;
    int32_t *ids;           /* templated prompt with generation prompt */
    int n;
} rollout_prompt;

typedef struct {
    rollout_prompt *p;
    size_t n, cap;
    uint64_t read, too_long;
} rollout_set;

/* Append every prompt record of URI (dies 65 on a record without id or
 * with a malformed prompt). */
void rollout_set_load(rollout_set *s, const char *uri, const tokenizer *tok, int max_prompt);
void rollout_set_free(rollout_set *s);

typedef struct {
    int B;                  /* prompts per batch */
    int r;                  /* samples per prompt */
    int epochs;
    int shuffle;
    uint64_t seed;          /* sampling and shuffle seed */
} rollout_plan;

long rollout_nbatches(const rollout_plan *pl, size_t nprompts);
/* Prompt indices of batch j (malloc'd, *n set). */
size_t *rollout_batch_prompts(const rollout_plan *pl, size_t nprompts, long j, int *n, int *epoch);

typedef struct {
    const char *path;       /* policy path for records */
    long version;
    const char *tok_fp;     /* tokenizer fingerprint (hex) */
} rollout_policy;

/* Sample batch j and write its records to out (in prompt order, samples
 * in order), gen_batch rows per sample_batch call.  Returns the number of
 * records written; *tokens gets the generated token count. */
long rollout_write_batch(model *m, const tokenizer *tok, const sampler_cfg *sc, const rollout_plan *pl,
                         const rollout_set *set, long j, int gen_batch, const rollout_policy *pol,
                         rstream *out, uint64_t *tokens);

#endif
