/*
 * tokenizer_pair.c — encoding a pair of texts, as the library's
 * encode(a, b): each text is encoded on its own (normalizer, pre-tokenizer,
 * model, a ByteLevel post-processor's offset trimming), then the
 * post-processor's pair template joins them: TemplateProcessing's "pair"
 * list, BertProcessing's [CLS] A [SEP] B [SEP], RobertaProcessing's
 * <s> A </s></s> B </s>.  Without add_special the two encodings are
 * joined in the template's order with its type ids and no special tokens;
 * without an id-adding post-processor, A then B with type ids 0 and 1.
 *
 * Offsets stay relative to each text (the library's per-sequence offsets):
 * a token of B is a span of b.  Special tokens are [0, 0).  A template
 * without a "pair" list, or two id-adding processors in a Sequence, cannot
 * encode a pair here: the call fails with a message (the library's own
 * default pair template for a missing list is not reproduced).
 *
 * The pair template is not part of tok_fingerprint: the trainers never
 * encode pairs, and adding it would change every existing identity.
 */
#include "tokenizer_int.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tok_pair_add(tokenizer *t, int seq, int type_id, const int32_t *ids, int nids)
{
    t->pair = xrealloc(t->pair, sizeof *t->pair * (size_t)(t->npair + 1));
    pair_piece *p = &t->pair[t->npair++];
    p->seq = seq;
    p->type_id = type_id;
    p->nids = nids;
    p->ids = NULL;
    if (nids) {
        p->ids = xmalloc(sizeof *ids * (size_t)nids);
        memcpy(p->ids, ids, sizeof *ids * (size_t)nids);
    }
}

typedef struct { int32_t *ids; tok_offset *o; uint8_t *ty; size_t n, cap; } pair_out;

static void put(pair_out *r, int32_t id, tok_offset o, int type_id)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->ids = xrealloc(r->ids, sizeof *r->ids * r->cap);
        r->o = xrealloc(r->o, sizeof *r->o * r->cap);
        r->ty = xrealloc(r->ty, r->cap);
    }
    r->ids[r->n] = id;
    r->o[r->n] = o;
    r->ty[r->n++] = (uint8_t)type_id;
}

long tok_encode_pair(const tokenizer *t, const char *a, size_t an, const char *b, size_t bn, int flags,
                     int32_t **ids, tok_offset **offs, uint8_t **type_ids, char *err, size_t el)
{
    int add = flags & TOK_ADD_SPECIAL;
    if (t->post_adders > 1 || (t->post_adders && t->pair_missing)) {
        snprintf(err, el, "the tokenizer's post-processor has no pair template%s",
                 t->post_adders > 1 ? " (it chains several processors that add tokens)" : "");
        return -1;
    }
    int32_t *sid[2];
    tok_offset *so[2];
    long sn[2];
    sn[0] = tok_encode_offsets(t, a, an, flags & ~TOK_ADD_SPECIAL, &sid[0], &so[0], err, el);
    sn[1] = tok_encode_offsets(t, b, bn, flags & ~TOK_ADD_SPECIAL, &sid[1], &so[1], err, el);
    pair_out r = {0};
    const tok_offset zero = {0, 0};
    if (!t->npair) {   /* no id-adding processor */
        for (int s = 0; s < 2; s++)
            for (long i = 0; i < sn[s]; i++) put(&r, sid[s][i], so[s][i], s);
    } else {
        for (int p = 0; p < t->npair; p++) {
            const pair_piece *pc = &t->pair[p];
            if (pc->seq < 0) {
                for (int i = 0; add && i < pc->nids; i++) put(&r, pc->ids[i], zero, pc->type_id);
                continue;
            }
            for (long i = 0; i < sn[pc->seq]; i++) put(&r, sid[pc->seq][i], so[pc->seq][i], pc->type_id);
        }
    }
    for (int s = 0; s < 2; s++) { free(sid[s]); free(so[s]); }
    *ids = r.ids ? r.ids : xmalloc(sizeof(int32_t));
    if (offs) *offs = r.o ? r.o : xmalloc(sizeof(tok_offset));
    else free(r.o);
    if (type_ids) *type_ids = r.ty ? r.ty : xmalloc(1);
    else free(r.ty);
    return (long)r.n;
}
