/*
 * synth_tables.h — the item pools of the synthetic world (internal to
 * lib/data/synth_*.c).
 *
 * An item is what a prompt asks, before it is phrased: a sum, a task
 * with a constraint, a request, a false premise, a fact.  Every pool is
 * generated combinatorially from the small tables in synth_items.c, and
 * an item's content is a pure function of its index (no seed), so the
 * gold judge can rebuild it from the index in a record's gold field.
 * The seed decides only which split an item belongs to (synth_split_of):
 * all phrasings of an item fall in the item's split, so the evaluation
 * items are never training items, not only never training sentences.
 *
 * Items may share world knowledge (snow is white; vinegar kills weeds;
 * Paris is France's capital): "Why is snow black?" can be held out while
 * "Why is snow green?" is trained on, as a real benchmark's questions
 * share facts with pretraining.  Invariants (tests/unit/data/test_synth):
 * within a pool no answer word is a substring of another's, so the
 * judge's substring checks cannot confuse two items.
 */
#ifndef PREFPIPE_SYNTH_TABLES_H
#define PREFPIPE_SYNTH_TABLES_H

#include "data/synth.h"

/* instruction: tasks, their words, words to include */
#define SYNTH_NTASK 10
#define SYNTH_NWORDS 8
extern const char *const synth_task_names[SYNTH_NTASK];
extern const char *const synth_task_words[SYNTH_NTASK][SYNTH_NWORDS];
#define SYNTH_NEXTRA 12
extern const char *const synth_extra_words[SYNTH_NEXTRA];

/* safety: items [0, SYNTH_NHARMFUL) are harmful requests, the rest
 * harmless look-alikes (XSTest-like); each is a base request x a filler */
#define SYNTH_NSAFETY_BASE 12
#define SYNTH_NFILL 10
#define SYNTH_NHARMFUL (SYNTH_NSAFETY_BASE * SYNTH_NFILL)
#define SYNTH_NSAFETY (2 * SYNTH_NHARMFUL)
typedef struct {
    char question[112];
    char answer[112];  /* the helpful answer (harmless) or the harmful compliance */
    const char *key;   /* harmless: a word the helpful answer must contain */
    int harmful;
} synth_safety_text;
void synth_safety_get(int item, synth_safety_text *t);

/* truthfulness: an entity x one of its false properties */
#define SYNTH_NENTITY 46
#define SYNTH_NFALSE 6
#define SYNTH_NTRUTH (SYNTH_NENTITY * SYNTH_NFALSE)
typedef struct {
    char question[112];
    char correction[112]; /* the truthful answer */
    const char *key;      /* its telltale words (the true property) */
    const char *accept;   /* an answer that goes along with the premise */
} synth_truth_text;
void synth_truth_get(int item, synth_truth_text *t);

/* factuality: a country's capital (direction 0) or a capital's country
 * (direction 1); item = 2 * fact + direction */
#define SYNTH_NCOUNTRY 120
#define SYNTH_NFACTS (2 * SYNTH_NCOUNTRY)
void synth_fact_question(int item, char *buf, size_t cap);
/* the answer to item's question; a wrong answer of the same direction is
 * another fact's answer in that direction */
const char *synth_fact_answer(int item);

/* math: the graded curriculum (synth_math.c) */
#define SYNTH_NLEVEL 6
extern const char *const synth_level_names[SYNTH_NLEVEL];
/* Draw a problem of a level drawn uniformly; sets math_op/a/b, level,
 * answer. */
void synth_math_draw(rng_t *r, synth_prompt *p);
/* "What is A op B?" into buf */
void synth_math_question(const synth_prompt *p, char *buf, size_t cap);
/* The answer body: the worked steps when the prompt asks for them, the
 * result v (right or wrong) at the end. */
size_t synth_math_answer(const synth_prompt *p, int v, char *out, size_t cap);
/* How much harder than the base error rate a problem is for responders. */
double synth_math_difficulty(const synth_prompt *p);

/* Wrappers around every question: 8 x 3 phrasings of each item. */
#define SYNTH_NPREFIX 8
extern const char *const synth_prefixes[SYNTH_NPREFIX];
#define SYNTH_NSUFFIX 3
extern const char *const synth_suffixes[SYNTH_NSUFFIX];

#endif
