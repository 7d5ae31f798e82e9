/*
 * chat_template_int.h — between chat_template.c (Tülu, encoding, masks)
 * and chat_template_jinja.c (a model's own template).
 */
#ifndef PREFPIPE_CHAT_TEMPLATE_INT_H
#define PREFPIPE_CHAT_TEMPLATE_INT_H

#include "text/chat_template.h"

/* 1 when t carries a model's own template */
int chat_jinja_attached(const tokenizer *t);

/* Render msgs with the attached template; spans as chat_template.c's
 * render: [begin, end) byte pairs of each assistant message's content and
 * end of turn, the last one's begin moved `skip` bytes into its content.
 * NULL + message on failure. */
char *chat_jinja_render(const tokenizer *t, const chat_msg *msgs, int n, int gen, size_t skip, size_t *len,
                        size_t **spans, int *nspans, char *err, size_t el);

#endif
