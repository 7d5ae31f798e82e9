/*
 * chat_answer.c — one chat turn from a causal LM (chat_answer.h).
 */
#include "model/chat_answer.h"
#include "text/chat_template.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *chat_answer(model *m, const tokenizer *tok, const sampler_cfg *cfg, const char *user, size_t n,
                  const char *id, size_t *alen, char *err, size_t cap)
{
    if (!m->c.lm_head) {
        snprintf(err, cap, "the model has no LM head (a reward model?)");
        return NULL;
    }
    chat_msg msg = {"user", user, n};
    int32_t *ids;
    long np = chat_encode(tok, &msg, 1, 1, &ids, NULL, err, cap);
    if (np < 0) return NULL;
    if (np + cfg->max_new > m->c.max_pos) {
        snprintf(err, cap, "the prompt is %ld tokens: with %d new ones it exceeds the model's %d positions", np,
                 cfg->max_new, m->c.max_pos);
        free(ids);
        return NULL;
    }
    const int32_t *const pids[1] = {ids};
    int plen = (int)np;
    const char *const rid[1] = {id};
    sample_out o;
    memset(&o, 0, sizeof o);
    sample_batch(m, tok, cfg, pids, &plen, rid, 1, &o);
    free(ids);
    char *text = xmalloc(o.text_len + 1);
    memcpy(text, o.text, o.text_len);
    text[o.text_len] = 0;
    *alen = o.text_len;
    sample_out_free(&o);
    return text;
}
