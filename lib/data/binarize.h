/*
 * binarize.h — rated completions -> chosen/rejected pairs.
 *
 * A rated_t is one prompt's completions with their ratings, held as
 * borrowed strings (pointing into a jansson tree or a msgpack zone that the
 * caller keeps alive).  binarize() picks pairs by the rules of
 * pref-binarize(1):
 *
 *   score    overall | mean of the numeric aspect ratings (N/A = null
 *            excluded, excluded aspects skipped) | one aspect | rank
 *            (score = -rank, so rank 1 is best)
 *   chosen   the highest score (the first such completion in input order)
 *   rejected candidates: scored completions other than the chosen one
 *            with a strictly lower score (ties=keep: lower or equal), at
 *            least min_margin below the chosen; then `random` (uniform,
 *            rng seeded by hash64(id, seed)), `worst` (lowest score,
 *            first in input order) or `next-best` (highest candidate).
 *   K pairs  up to K distinct rejected completions, each paired with the
 *            chosen one (pairs_per_prompt).
 *
 * Only completions whose model is listed are considered when a model list
 * is given (App. E).  Nothing here allocates per call except the caller's
 * output array; results depend only on the inputs and the seed.
 */
#ifndef PREFPIPE_BINARIZE_H
#define PREFPIPE_BINARIZE_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;
    size_t nlen;
    double v;
    int valid;          /* 0: null / "N/A" / unparseable */
} rating_t;

typedef struct {
    const char *text, *model;
    size_t tlen, mlen;  /* model NULL when unknown */
    size_t r0, rn;      /* ratings [r0, r0+rn) in rated_t.r */
    double overall;
    int has_overall;    /* 0: absent, null or unparseable */
    int overall_na;     /* present but null/"N/A" */
    long rank;          /* 0: absent */
} completion_t;

typedef struct {
    completion_t *c;
    size_t n, cap;
    rating_t *r;
    size_t nr, rcap;
} rated_t;

void rated_init(rated_t *r);
void rated_free(rated_t *r);
void rated_clear(rated_t *r);
/* Add a completion; returns it (valid until the next add). */
completion_t *rated_add(rated_t *r, const char *text, size_t tlen);
/* Add a rating to the last completion. */
void rated_rate(rated_t *r, const char *name, size_t nlen, double v, int valid);
/* Fill r from a rated record (rated_record.c), borrowing the record's
 * strings: completions[].text, model, overall, rank and ratings{}; a
 * rating that is neither a number nor a numeric string is missing.
 * Returns NULL, or what is wrong (a constant or err). */
const char *rated_from_record(const msgpack_object *rec, rated_t *r, char *err, size_t cap);

/* A list of names from "a,b,c" (pref-binarize's --exclude-aspect, --models,
 * --prompt-source); with groups, @top, @middle and @bottom add the
 * UltraFeedback model groups of the paper's Table 8. */
typedef struct {
    char **v;
    size_t n;
} name_list;
/* Add the names of s; returns NULL, or an unknown @group (*badlen bytes
 * of it) and stops there. */
const char *name_list_parse(name_list *l, const char *s, int groups, size_t *badlen);
int name_list_has(const name_list *l, const char *s, size_t n);
void name_list_free(name_list *l);

enum { SCORE_OVERALL, SCORE_MEAN_ASPECTS, SCORE_ASPECT, SCORE_RANK };
enum { REJ_RANDOM, REJ_WORST, REJ_NEXT_BEST };

typedef struct {
    int score;
    const char *aspect;              /* SCORE_ASPECT */
    const char *const *exclude;      /* aspects left out of the mean */
    size_t nexclude;
    int rejected;
    int keep_ties;
    double min_margin;               /* 0 = any positive margin (or tie with keep_ties) */
    size_t pairs_per_prompt;         /* >= 1 */
    const char *const *models;       /* NULL: all */
    size_t nmodels;
    uint64_t seed;
} bin_config;

typedef struct {
    size_t chosen, rejected;
    double margin;
} bin_pair;

typedef struct {
    uint64_t prompts, pairs;
    uint64_t na_ratings;        /* ratings excluded as N/A or unparseable */
    uint64_t unscored;          /* completions with no usable score */
    uint64_t model_filtered;    /* completions outside the model list */
    uint64_t too_few;           /* prompts with < 2 scored completions */
    uint64_t all_tied;          /* prompts whose completions all tie */
    uint64_t below_margin;      /* prompts with no candidate >= min_margin */
} bin_stats;

void bin_config_default(bin_config *c);
/* Parse "overall", "mean-aspects", "aspect:NAME", "rank"; -1 if unknown. */
int bin_parse_score(const char *s, bin_config *c);
int bin_parse_rejected(const char *s);

/* Fill out[0..k) with at most cfg->pairs_per_prompt pairs; returns k.
 * `out` must hold pairs_per_prompt entries. */
size_t binarize(const bin_config *cfg, const rated_t *r, const char *id, size_t idlen, bin_pair *out,
                bin_stats *st);

/* "N prompts -> M pairs; dropped: ..." for summaries. */
void bin_stats_print(const bin_stats *st, const char *prefix);

#endif
