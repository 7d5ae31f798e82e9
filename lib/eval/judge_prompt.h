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

#include <msgpack.h>
#include <stddef.h>

/* malloc'd text (length in *n). */
char *judge_prompt_render(const char *tmpl, size_t tn, const msgpack_object *rec, size_t *n);

#endif
