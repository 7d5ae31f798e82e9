/*
 * synth_emit.h — records of the synthetic world (pref-synth): prompts
 * with gold fields, SFT demonstrations from one responder, or rated
 * records (several responders per prompt, rated per aspect and overall,
 * the UltraFeedback situation).
 *
 * Record i has category i mod (number of categories), so every output is
 * balanced; its prompt is drawn from rng(hash(seed, split, i)) until one
 * whose item is in the requested split (synth_split_of) is new to this
 * output (a set of prompt
 * hashes; when a category's split is used up a prompt repeats, counted in
 * dups).  Everything else about record i comes from rng(hash(seed, split
 * + 100, i)), so a record does not depend on the ones before it.
 */
#ifndef PREFPIPE_SYNTH_EMIT_H
#define PREFPIPE_SYNTH_EMIT_H

#include "data/synth.h"
#include "io/record.h"

#include <stdint.h>

typedef struct {
    int emit;  /* 0 prompt, 1 sft, 2 rated */
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
} synth_opts;

/* tiny open-addressing set of prompt hashes, to keep prompts distinct */
typedef struct {
    uint64_t *slot;
    size_t cap, n;
} hset;

typedef struct {
    const synth_opts *o;
    hset seen;
    long dups;             /* prompts that repeat an earlier one */
} synth_emitter;

void synth_emitter_init(synth_emitter *e, const synth_opts *o);
/* Record i of the stream, packed into b (reset first). */
void synth_emit_record(synth_emitter *e, long i, recb *b);
void synth_emitter_free(synth_emitter *e);

#endif
