/*
 * synth_tally.h — the gold judge's statistics over many responses
 * (gold-judge): per-record totals and categories kept in memory, the
 * per-category means and their average, and the summary record with
 * bootstrap 95% intervals over prompts (B resamples drawn from one seeded
 * generator, so the same inputs and seed give the same bytes).
 */
#ifndef PREFPIPE_SYNTH_TALLY_H
#define PREFPIPE_SYNTH_TALLY_H

#include "data/synth.h"
#include "io/record.h"
#include "io/stream.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    double *total;
    int *cat;
    size_t n, cap;
    double aspect_sum[SYNTH_NASPECT];
    long agree, pairs, ties;
} synth_tally;

/* Count one judged response of category cat. */
void synth_tally_add(synth_tally *t, int cat, const synth_score *s);
/* Per-category means (NAN where a category has no record) and counts of
 * the records idx[0..n) (all n records when idx is NULL); returns the
 * average over the categories that have records (NAN when none). */
double synth_tally_means(const synth_tally *t, const size_t *idx, size_t n, double *mean, long *count);
/* Write the summary record (kind "summary", task "gold-judge") to out:
 * score, average and per-category intervals from B bootstrap resamples,
 * aspect means, and with pairs the agreement with the pairs' preference.
 * model (may be NULL) and step (< 0: none) name the run in its id. */
void synth_tally_summary(rstream *out, const synth_tally *t, long skipped, const char *model, long step, int B,
                         uint64_t seed, int pairs);
/* The record field `key`: {aspect: score..., total, refused}. */
void synth_put_scores(recb *b, const char *key, const synth_score *s);
void synth_tally_free(synth_tally *t);

#endif
