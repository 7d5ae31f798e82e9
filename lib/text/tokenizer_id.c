/*
 * tokenizer_id.c — the one tokenizer-identity check: tok_fingerprint (a
 * hash of what the tokenizer does), its 16-hex-digit form carried by
 * records (ref_tokenizer, policy.tokenizer), and tok_same, which compares
 * two loaded tokenizers and says how they differ.
 *
 * Every stage that must not mix tokenizers (a reference or value model
 * against the policy, records scored under another tokenizer, policy
 * versions in rollout) asks here, so there is one notion of "the same
 * tokenizer": equal fingerprints.  tok_same looks at the vocabulary first
 * only to give a useful reason; its answer is the fingerprint's.
 *
 * A model's own chat template is part of the identity (its source, BOS and
 * EOS text: what renders a conversation), so a policy and a reference that
 * format conversations differently are not "the same tokenizer".  It is
 * hashed in last and only when there is one, so every tokenizer without a
 * template (Tülu's rendering) keeps the fingerprint it always had.
 */
#include "tokenizer_int.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t h_bytes(uint64_t h, const void *p, size_t n)
{
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)((uint64_t)n >> (8 * i));
    h = hash64(len, 8, h);               /* length first: "ab"+"c" != "a"+"bc" */
    return n ? hash64(p, n, h) : h;
}
static uint64_t h_int(uint64_t h, long v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)v >> (8 * i));   /* little-endian on any host */
    return hash64(b, 8, h);
}
static int by_id(const void *a, const void *b)
{
    const added_tok *x = *(const added_tok *const *)a, *y = *(const added_tok *const *)b;
    return (x->id > y->id) - (x->id < y->id);
}

/* What the tokenizer does, from its loaded state rather than its file, so
 * the forms one behaviour can be written in (merges as "a b" or [a, b],
 * keys left at their defaults or written out, added tokens in any order,
 * whitespace) hash alike.  The byte tokenizer keeps the hash of its pieces
 * and special flags that policy fingerprints have always used. */
static uint64_t fp_core(const tokenizer *t);

uint64_t tok_fingerprint(const tokenizer *t)
{
    uint64_t h = fp_core(t);
    return t->chat ? h_int(h_bytes(h, "chat_template", 13), (long)t->chat_id) : h;
}

static uint64_t fp_core(const tokenizer *t)
{
    uint64_t h = hash64(tok_kind(t), strlen(tok_kind(t)), 0x70706f);
    if (t->is_byte) {
        for (int32_t i = 0; i < t->n; i++) {
            size_t n = 0;
            const char *s = tok_piece(t, i, &n);
            unsigned char sp = (unsigned char)(s ? 1 + (tok_is_special(t, i) != 0) : 0);
            h = hash64(&sp, 1, h);
            if (s) h = hash64(s, n, h);
        }
        return h;
    }
    const long flags[] = {t->byte_level, t->n, t->byte_fallback, t->fuse_unk, t->unk_id, t->add_prefix_space,
                          t->ignore_merges, t->post_trim, t->post_trim_prefix, t->has_decoder};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) h = h_int(h, flags[i]);
    for (int32_t i = 0; i < t->n; i++) {
        h = h_int(h, t->bytes[i] ? (long)t->blen[i] : -1);
        if (t->bytes[i]) h = hash64(t->bytes[i], t->blen[i], h);
        h = h_int(h, t->nonmodel ? t->nonmodel[i] : 0);
    }
    const added_tok **ad = xcalloc((size_t)t->nadded + 1, sizeof *ad);
    for (int i = 0; i < t->nadded; i++) ad[i] = &t->added[i];
    qsort(ad, (size_t)t->nadded, sizeof *ad, by_id);
    for (int i = 0; i < t->nadded; i++) {
        h = h_bytes(h_int(h, ad[i]->id), ad[i]->text, ad[i]->len);
        h = h_int(h_int(h_int(h_int(h, ad[i]->special), ad[i]->normalized), ad[i]->lstrip), ad[i]->rstrip);
    }
    free(ad);
    uint64_t *byrank = xcalloc((size_t)t->nmerges + 1, sizeof *byrank);
    for (size_t i = 0; i < t->mcap; i++)
        if (t->merges[i].rank >= 0) byrank[t->merges[i].rank] = t->merges[i].key;
    for (int r = 0; r < t->nmerges; r++) h = h_int(h, (long)byrank[r]);
    free(byrank);
    for (int i = 0; i < t->npre; i++) {
        const pre_step *p = &t->pre[i];
        h = h_int(h_int(h_int(h_int(h, p->kind), p->literal), p->scheme), p->split);
        h = h_bytes(h_bytes(h, p->pat, p->patlen), p->rep, p->replen);
        if (p->behavior || p->invert) h = h_int(h_int(h, 100 + p->behavior), p->invert);   /* not Isolated */
    }
    for (int i = 0; i < t->nnorm; i++) {
        const norm_step *s = &t->norm[i];
        h = h_int(h_int(h_int(h, s->kind), s->left), s->right);
        h = h_bytes(h_bytes(h, s->a, s->al), s->b, s->bl);
        if (s->kind == NORM_BERT) h = h_int(h_int(h_int(h_int(h, s->clean), s->chinese), s->accents), s->lower);
        for (size_t u = 0; s->kind == NORM_PRECOMPILED && u < s->ntrie; u++) h = h_int(h, (long)s->trie[u]);
    }
    for (int i = 0; i < t->ndec; i++) {
        const dec_step *d = &t->dec[i];
        h = h_int(h_int(h_int(h_int(h, d->kind), d->start), d->stop), d->scheme);
        h = h_bytes(h_bytes(h, d->a, d->al), d->b, d->bl);
    }
    for (int32_t i = 0; t->notbl && i < t->n; i++) h = h_int(h, t->notbl[i]);
    if (t->model == MODEL_WORDPIECE) h = h_int(h_bytes(h, t->wp_prefix, t->wp_plen), t->wp_max_chars);
    for (int32_t i = 0; t->score && i < t->n; i++) {   /* Unigram: the scores, bit for bit */
        uint64_t bits;
        memcpy(&bits, &t->score[i], sizeof bits);
        h = h_int(h, (long)bits);
    }
    h = h_int(h, t->npost_pre);
    for (int i = 0; i < t->npost_pre; i++) h = h_int(h, t->post_pre[i]);
    h = h_int(h, t->npost_suf);
    for (int i = 0; i < t->npost_suf; i++) h = h_int(h, t->post_suf[i]);
    return h;
}

void tok_fingerprint_hex(const tokenizer *t, char out[17])
{
    snprintf(out, 17, "%016llx", (unsigned long long)tok_fingerprint(t));
}

int tok_fingerprint_is(const char fp[17], const char *s, size_t n)
{
    return n == 16 && !memcmp(s, fp, 16);
}

int tok_same(const tokenizer *a, const tokenizer *b, char *why, size_t wl)
{
    if (tok_fingerprint(a) == tok_fingerprint(b)) return 1;
    if (fp_core(a) == fp_core(b)) {
        if (a->chat && b->chat)
            snprintf(why, wl, "same tokenizer, but the chat templates differ (template text, bos_token or eos_token)");
        else
            snprintf(why, wl, "same tokenizer, but the chat templates differ (%s vs %s)",
                     a->chat ? "the model's own" : "none, Tulu's", b->chat ? "the model's own" : "none, Tulu's");
        return 0;
    }
    if (strcmp(tok_kind(a), tok_kind(b)) || tok_num_merges(a) != tok_num_merges(b)) {
        snprintf(why, wl, "%s tokenizer with %d merges vs %s with %d", tok_kind(a), tok_num_merges(a), tok_kind(b),
                 tok_num_merges(b));
        return 0;
    }
    if (tok_vocab_size(a) != tok_vocab_size(b)) {
        snprintf(why, wl, "vocabulary sizes %d and %d", tok_vocab_size(a), tok_vocab_size(b));
        return 0;
    }
    for (int32_t id = 0; id < tok_vocab_size(a); id++) {
        size_t la = 0, lb = 0;
        const char *pa = tok_piece(a, id, &la), *pb = tok_piece(b, id, &lb);
        if (!pa != !pb || la != lb || (pa && memcmp(pa, pb, la)) || tok_is_special(a, id) != tok_is_special(b, id)) {
            snprintf(why, wl, "token %d differs", (int)id);
            return 0;
        }
    }
    /* same pieces can still encode differently (SentencePiece "\u2581x" vs
     * " x", merge order, normalizer, post-processor, added-token flags) */
    snprintf(why, wl, "same vocabulary, but the merge order, normalizer, pre-tokenizer, post-processor, "
                      "decoder or added-token flags differ");
    return 0;
}
