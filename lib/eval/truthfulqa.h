/*
 * truthfulqa.h — TruthfulQA's generation post-processing and the judge's
 * fields (truthfulqa.c; the scorers are eval_task_truthfulqa and
 * eval_task_truthfulqa_mc in the task table).
 */
#ifndef PREFPIPE_EVAL_TRUTHFULQA_H
#define PREFPIPE_EVAL_TRUTHFULQA_H

#include "eval/common.h"

#include <stddef.h>

/* The answer the judges see: plain format cut at the first "\n\n" (the
 * stop sequence), then open-instruct's trim_answer.  Malloc'd, NUL-ended. */
char *truthfulqa_answer(const char *s, size_t n, int plain, size_t *outn);
/* answer, judge_truth_prompt, judge_info_prompt for the judge's record. */
void truthfulqa_judge_fields(const msgpack_object *rec, recb *rb);

#endif
