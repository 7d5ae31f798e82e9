/*
 * synth_emit.h — records of the synthetic world (pref-synth): prompts
 * with gold fields, SFT demonstrations from one responder, or rated
 * records (several responders per prompt, rated per aspect and overall,
 * the UltraFeedback situation).
 *
 * Record i has category i mod (number of categories), so every output is
 * balanced; its prompt is drawn from rng(hash(seed, split, i)) until one
 * whose item is in the requested split (synth_split_of) is new to this
 * output: a new item while the category's split has items not yet asked
 * (so 40 evaluation prompts of a category ask 40 different things), then
 * a new phrasing of an asked item (sets of item and prompt hashes; when
 * the phrasings are used up too a prompt repeats, counted in dups).  Everything else about record i comes from rng(hash(seed, split
 * + 100, i)), so a record does not depend on the ones before it.
 *
 * Raters (the sources of preference data): a rated record is rated by one
 * synth_rater, a noise profile.  "standard" is the one the options'
 * noise knobs describe (the default, byte for byte the records of before
 * raters existed); the others differ in how (random aspect errors, a
 * noisy or length-biased holistic rating, facts left unchecked).  With
 * several raters (a "mix") each record's rater is drawn from its rng, and
 * the record names it (meta.rater), as a pooled dataset names its source.
 */
#ifndef PREFPIPE_SYNTH_EMIT_H
#define PREFPIPE_SYNTH_EMIT_H

#include "data/synth.h"
#include "io/record.h"

#include <stdint.h>

typedef struct {
    int emit;  /* 0 prompt, 1 sft, 2 rated, 3 text (sft records, a responder of
                * the pool drawn per record: world text for LM pretraining) */
    int split;
    long n;
    uint64_t seed;
    int cats[SYNTH_NCAT], ncats;
    const synth_responder *responder;
    const synth_responder *pool[16];
    int npool, per_prompt;
    double overall_noise;  /* sd of the holistic rating's noise (default 1.5) */
    double length_bias;    /* added to the holistic rating of padded answers (2.5) */
    double aspect_noise;   /* chance of a +-1 error in an aspect rating (0.1) */
    const struct synth_rater *raters[8]; /* --rater: none = standard, unnamed */
    int nraters;
} synth_opts;

/* A rater's noise profile.  standard takes its numbers from synth_opts. */
typedef struct synth_rater {
    const char *name;
    double aspect_noise;       /* chance of a +-1 error in each aspect rating */
    double overall_noise;      /* sd of the holistic rating's noise */
    double length_bias;        /* added to the holistic rating of padded answers */
    double aspect_length_bias; /* added to helpfulness and instruction_following of padded answers */
    double unchecked;          /* chance that a math/factuality/truthfulness answer is not checked:
                                * its helpfulness and honesty rated 4 whatever they are */
    const char *what;
} synth_rater;

extern const synth_rater synth_raters[];
extern const int synth_nraters;
const synth_rater *synth_find_rater(const char *name);

/* tiny open-addressing set of prompt hashes, to keep prompts distinct */
typedef struct {
    uint64_t *slot;
    size_t cap, n;
} hset;

typedef struct {
    const synth_opts *o;
    hset seen;             /* prompt texts written */
    hset seen_items;       /* item ids asked */
    long items[SYNTH_NCAT], items_used[SYNTH_NCAT]; /* items in the split; asked so far */
    long dups;             /* prompts that repeat an earlier one */
} synth_emitter;

void synth_emitter_init(synth_emitter *e, const synth_opts *o);
/* Record i of the stream, packed into b (reset first). */
void synth_emit_record(synth_emitter *e, long i, recb *b);
void synth_emitter_free(synth_emitter *e);

#endif
