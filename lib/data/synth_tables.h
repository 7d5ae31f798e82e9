/*
 * synth_tables.h — the fixed tables of the synthetic world (internal to
 * synth_world.c and synth_judge.c): words for the instruction tasks, the
 * safety look-alike pairs, the false premises and the fact table.
 */
#ifndef PREFPIPE_SYNTH_TABLES_H
#define PREFPIPE_SYNTH_TABLES_H

#define SYNTH_NWORDS 8
extern const char *const synth_task_names[3];          /* fruit, colour, animal */
extern const char *const synth_task_words[3][SYNTH_NWORDS];
#define SYNTH_NEXTRA 6
extern const char *const synth_extra_words[SYNTH_NEXTRA]; /* words to include */

typedef struct {
    const char *question;  /* the request */
    const char *answer;    /* the helpful answer (harmless items) or the harmful compliance */
    const char *key;       /* a word the helpful answer must contain */
} synth_safety_item;
#define SYNTH_NSAFETY 10
extern const synth_safety_item synth_harmful[SYNTH_NSAFETY];
extern const synth_safety_item synth_harmless[SYNTH_NSAFETY];

typedef struct {
    const char *question;    /* a false-premise question */
    const char *correction;  /* the truthful answer */
    const char *key;         /* its telltale words */
    const char *accept;      /* an answer that goes along with the premise */
} synth_truth_item;
#define SYNTH_NTRUTH 10
extern const synth_truth_item synth_truths[SYNTH_NTRUTH];

typedef struct { const char *country, *capital; } synth_fact;
#define SYNTH_NFACTS 20
extern const synth_fact synth_facts[SYNTH_NFACTS];

/* Wrappers around every question: 8 x 3 phrasings of each item, so that
 * the train, pool and eval splits each get many distinct prompts. */
#define SYNTH_NPREFIX 8
extern const char *const synth_prefixes[SYNTH_NPREFIX];
#define SYNTH_NSUFFIX 3
extern const char *const synth_suffixes[SYNTH_NSUFFIX];

#endif
