/*
 * bench_prompts.h — the paper's prompt formats for the benchmarks
 * (evaluation.md), and the GSM8K chain-of-thought exemplars of Wei et al.
 * (2022) written into the project as data (the table in bench_prompts.c).
 *
 * Two renderings: "chat" gives the user turn's text and a separate
 * assistant prefix ("Answer:" / "A:") that the model continues; "plain"
 * gives one text that ends in "\nAnswer:" / "\nA:".  All strings returned
 * are malloc'd.
 */
#ifndef PREFPIPE_BENCH_PROMPTS_H
#define PREFPIPE_BENCH_PROMPTS_H

#include <stddef.h>

#define GSM8K_MAX_SHOTS 8

typedef struct {
    const char *question, *chain, *answer;
} gsm8k_exemplar;

extern const gsm8k_exemplar gsm8k_exemplars[GSM8K_MAX_SHOTS];

/* "Answer the following questions.\n\n" + shots + "\n\nQuestion: q"
 * (+ "\nAnswer:" when plain).  shots 0..8; with 0 the prefix is followed
 * directly by "Question: q". */
char *gsm8k_prompt(const char *question, int shots, int plain);

/* The few-shot block of a BBH cot-prompts file: the text after its first
 * two lines, stripped. */
char *bbh_fewshot_block(const char *file_text, size_t n);
/* block + "\n\nQ: " + input (+ "\nA:" when plain); block NULL = 0-shot. */
char *bbh_prompt(const char *block, const char *input, int plain);

#endif
