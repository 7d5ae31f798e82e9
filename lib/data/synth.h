/*
 * synth.h — the built-in synthetic world: prompts with verifiable gold
 * answers in five categories that mirror the paper's evaluation categories,
 * a zoo of responders of graded quality, and the gold judge.
 *
 *   math             "What is 23 + 45? Show your steps."
 *                    a graded curriculum (synth_math.c)  gold: the number
 *   instruction      "Name a fruit. Answer in capital letters."
 *                                                    gold: task + constraint
 *   safety           harmful requests to refuse, harmless look-alikes
 *                    to answer (XSTest-like)         gold: harmful or not
 *   truthfulness     false-premise questions to correct
 *   factuality       capitals and their countries from a fact table
 *
 * Everything is short (responses under ~70 bytes) so that a byte-level
 * model of a few hundred thousand parameters can learn the world on two
 * CPU cores in minutes.  Every choice is drawn from an rng seeded by
 * hash(seed, split, index): same seed, same world, byte for byte.
 *
 * Items and splits: what a prompt asks (a problem, a task with its
 * constraint, a request, a premise, a fact) is an item from a pool
 * generated from tables (synth_tables.h); its phrasing (an opening, an
 * ending, "Show your steps.") is drawn around it.  An item's split is
 * decided by a hash of its id (synth_item_id) and the seed, so the train,
 * PPO-pool and evaluation sets never share an item, whichever phrasing.
 */
#ifndef PREFPIPE_SYNTH_H
#define PREFPIPE_SYNTH_H

#include "base/util.h"

#include <msgpack.h>
#include <stddef.h>

typedef enum { CAT_MATH, CAT_INSTRUCTION, CAT_SAFETY, CAT_TRUTH, CAT_FACT, SYNTH_NCAT } synth_cat;
typedef enum { SPLIT_TRAIN, SPLIT_POOL, SPLIT_EVAL, SYNTH_NSPLIT } synth_split;

/* constraint types of the instruction category */
typedef enum { C_UPPER, C_LOWER, C_INCLUDE, C_AVOID, C_ENDING, C_WORDS, C_BULLET, SYNTH_NCONSTRAINT } synth_constraint;

typedef struct {
    synth_cat cat;
    char text[200];
    int answer;      /* math: the result */
    int task;        /* instruction: 0 fruit, 1 colour, 2 animal */
    int constraint;  /* instruction: synth_constraint */
    int arg;         /* instruction: word index (include/avoid) or word count */
    int harmful;     /* safety */
    int item;        /* safety / truthfulness / factuality pool index */
    int level;       /* math: curriculum level 0..5 (synth_math.c) */
    int math_op, math_a, math_b; /* math: 0 +, 1 -, 2 times */
    int steps;       /* math: the prompt asks for worked steps */
} synth_prompt;

typedef struct {
    const char *name;
    double p_correct;        /* math and factuality answers right */
    double p_follow;         /* instruction constraints obeyed */
    double p_refuse_harmful; /* refuses harmful requests */
    double p_overrefuse;     /* refuses harmless look-alikes */
    double p_correct_premise;/* corrects false premises */
    double p_verbose;        /* pads its answer */
} synth_responder;

extern const synth_responder synth_zoo[];
extern const int synth_zoo_size;
const synth_responder *synth_find_responder(const char *name);

const char *synth_cat_name(synth_cat c);
int synth_cat_from_name(const char *s);   /* -1 when unknown */
const char *synth_split_name(synth_split s);
int synth_split_from_name(const char *s);
const char *synth_constraint_name(int c);
int synth_constraint_from_name(const char *s);

/* Draw a random prompt of a category (any split). */
void synth_draw_prompt(synth_cat cat, rng_t *r, synth_prompt *p);
/* The id of a prompt's item ("math:23+45", "instruction:fruit:upper:0",
 * "safety:7", ...): prompts with one id ask the same thing. */
void synth_item_id(const synth_prompt *p, char *buf, size_t cap);
/* The split a prompt's item belongs to under this seed. */
synth_split synth_split_of(const synth_prompt *p, uint64_t seed);
/* Items of a category in each split under this seed (counts[SYNTH_NSPLIT]);
 * returns the pool's size. */
long synth_count_items(synth_cat c, uint64_t seed, long *counts);

/* A response from a responder; returns its length (< cap). */
size_t synth_respond(const synth_prompt *p, const synth_responder *who, rng_t *r, char *out, size_t cap);

/* Pack the prompt's gold fields as a msgpack map. */
void synth_pack_gold(msgpack_packer *pk, const synth_prompt *p);
/* Rebuild a prompt's gold from a record's gold map (and its user text).
 * Returns NULL or a message naming what is missing. */
const char *synth_gold_from_msgpack(const msgpack_object *gold, synth_prompt *p);

/* ---- the gold judge ---- */
enum { ASPECT_HELPFUL, ASPECT_INSTRUCTION, ASPECT_HONEST, ASPECT_HARMLESS, SYNTH_NASPECT };
extern const char *const synth_aspect_names[SYNTH_NASPECT];

typedef struct {
    double aspect[SYNTH_NASPECT];  /* each in [0, 1] */
    double total;                  /* mean of the aspects */
    int refused;
} synth_score;

void synth_judge(const synth_prompt *p, const char *response, size_t n, synth_score *s);
int synth_is_refusal(const char *response, size_t n);

#endif
