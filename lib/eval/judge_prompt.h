/*
 * judge_prompt.h — fill a judge's prompt template from a record, for
 * judges that call a language model (eval-score --judge-prompt FILE).
 *
 * Placeholders: {question} / {QUESTION} — the prompt's last user message
 * (or the prompt string); {response} / {RESPONSE} — the response;
 * {reference} — gold.reference.  Everything else, other braces included,
 * is copied as it is, so the template files of open-instruct and XSTest
 * are used unchanged.
 */
#ifndef PREFPIPE_EVAL_JUDGE_PROMPT_H
#define PREFPIPE_EVAL_JUDGE_PROMPT_H

#include "io/record.h"

#include <msgpack.h>
#include <stddef.h>

/* malloc'd text (length in *n). */
char *judge_prompt_render(const char *tmpl, size_t tn, const msgpack_object *rec, size_t *n);

/* eval-score --judge: the cmd_filter rewrite hook that adds to each record
 * sent to the judge judge_prompt (the filled --judge-prompt template, when
 * there is one) and then the task's own fields (`extra`, e.g. TruthfulQA's
 * post-processed answer).  The rewritten bytes stay valid until the next
 * call. */
typedef struct {
    char *tmpl;             /* NULL: no template */
    size_t n;
    recb rb;
    void (*extra)(const msgpack_object *rec, recb *rb);
} judge_feeder;
void judge_feeder_init(judge_feeder *f, void (*extra)(const msgpack_object *rec, recb *rb));
/* Read the template file (exit 66 naming it when it cannot be read);
 * after judge_feeder_init. */
void judge_feeder_open(judge_feeder *f, const char *path);
void judge_feeder_rewrite(void *ctx, const msgpack_object *rec, const char **raw, size_t *len);
void judge_feeder_close(judge_feeder *f);

#endif
