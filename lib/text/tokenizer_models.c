/*
 * tokenizer_models.c — the two tokenizer.json models besides BPE:
 * WordPiece (BERT and its descendants) and Unigram (SentencePiece's
 * unigram language model: T5, ALBERT, XLM-RoBERTa, mBART).
 *
 * Both work on one pre-token at a time, as the Hugging Face library's
 * Model::tokenize does, and give [b, e) byte positions inside it, from
 * which tokenizer_encode.c makes offsets.  Their vocabularies go into the
 * same token table as BPE's (tokenizer_bpe.c loads it), so lookups are
 * tok_lookup.
 *
 * WordPiece: a pre-token longer than max_input_chars_per_word characters
 * is one unknown token; otherwise greedy longest match from the left, every
 * piece after the first looked up with the continuing-subword prefix
 * ("##"); if some position has no match at all the whole pre-token is one
 * unknown token (never a partial result).
 *
 * Unigram: the library's encode_optimized, step for step, so ties and
 * floating-point sums come out the same: best[i] is the best path score
 * ending at byte i; from each character start every vocabulary piece that
 * starts there (shortest first) may improve best[start + len] with
 * score + best[start] (strictly greater wins, so the earlier candidate
 * keeps a tie); if no piece covers exactly the one character, the unknown
 * token may, scoring the lowest score minus 10.  The best path is read
 * back from the end; adjacent unknown pieces fuse into one (the library's
 * Unigram always fuses).  A piece that is no token (only an unknown run)
 * becomes <0xNN> tokens when byte_fallback has all of them, else the
 * unknown token.  Without an unknown token the library fails to encode
 * such text; we drop it, as encoding never fails here (tokenizer.h).
 */
#include "tokenizer_int.h"
#include "text/unicode_norm.h"
#include "base/util.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *tok_model_vocab(tokenizer *t, void *json, char *err, size_t el)
{
    json_t *model = json, *vocab = json_object_get(model, "vocab");
    if (t->model == MODEL_WORDPIECE) {
        if (!json_is_object(vocab)) { tok_fail(err, el, "model.vocab is not an object"); return NULL; }
        return json_incref(vocab);
    }
    if (!json_is_array(vocab)) { tok_fail(err, el, "Unigram model.vocab is not a list of [piece, score]"); return NULL; }
    json_t *o = json_object(), *x;
    size_t i;
    json_array_foreach(vocab, i, x) {
        json_t *p = json_array_get(x, 0), *sc = json_array_get(x, 1);
        if (!json_is_array(x) || json_array_size(x) != 2 || !json_is_string(p) || !json_is_number(sc)) {
            json_decref(o);
            tok_fail(err, el, "Unigram model.vocab[%zu] is not [piece, score]", i);
            return NULL;
        }
        /* the library's token -> id map: a repeated piece keeps its last id */
        json_object_setn_new(o, json_string_value(p), json_string_length(p), json_integer((json_int_t)i));
    }
    return o;
}

int tok_load_model_rest(tokenizer *t, void *json, char *err, size_t el)
{
    json_t *model = json;
    if (t->model == MODEL_WORDPIECE) {
        json_t *p = json_object_get(model, "continuing_subword_prefix"), *m = json_object_get(model, "max_input_chars_per_word");
        const char *pre = json_is_string(p) ? json_string_value(p) : "##";
        t->wp_plen = json_is_string(p) ? json_string_length(p) : 2;
        t->wp_prefix = xstrndup(pre, t->wp_plen);
        t->wp_max_chars = json_is_integer(m) ? (int)json_integer_value(m) : 100;
        if (json_is_integer(m) && (json_integer_value(m) < 0 || json_integer_value(m) > 1 << 30))
            return tok_fail(err, el, "WordPiece model.max_input_chars_per_word is out of range");
        return 0;
    }
    json_t *vocab = json_object_get(model, "vocab"), *x, *u = json_object_get(model, "unk_id");
    size_t i;
    if (json_is_integer(u)) {
        if (json_integer_value(u) < 0 || (size_t)json_integer_value(u) >= json_array_size(vocab))
            return tok_fail(err, el, "Unigram model.unk_id %lld is not an index of model.vocab", (long long)json_integer_value(u));
        t->unk_id = (int32_t)json_integer_value(u);
    } else if (u && !json_is_null(u)) return tok_fail(err, el, "Unigram model.unk_id is not an integer or null");
    t->fuse_unk = 1;
    t->score = xcalloc((size_t)t->n + 1, sizeof *t->score);
    double lo = INFINITY;
    json_array_foreach(vocab, i, x) {
        double sc = json_number_value(json_array_get(x, 1));
        t->score[i] = sc;
        if (sc < lo) lo = sc;
        size_t len = json_string_length(json_array_get(x, 0));
        if (len > t->max_piece) t->max_piece = len;
    }
    t->unk_score = (json_array_size(vocab) ? lo : 0.0) - 10.0;
    return 0;
}

void tok_models_free(tokenizer *t)
{
    free(t->wp_prefix);
    free(t->score);
}

static void span_add(tok_span **v, size_t *n, size_t *cap, int32_t id, size_t b, size_t e)
{
    if (*n == *cap) { *cap = *cap ? *cap * 2 : 16; *v = xrealloc(*v, sizeof **v * *cap); }
    (*v)[(*n)++] = (tok_span){id, (uint32_t)b, (uint32_t)e};
}

size_t tok_wordpiece(const tokenizer *t, const char *s, size_t n, tok_span **out)
{
    tok_span *v = NULL;
    size_t nv = 0, cap = 0, chars = 0, k;
    for (size_t i = 0; i < n; i += k) { un_utf8_next(s + i, n - i, &k); chars++; }
    int bad = chars > (size_t)t->wp_max_chars;
    char *buf = xmalloc(t->wp_plen + n + 1);
    memcpy(buf, t->wp_prefix, t->wp_plen);
    for (size_t start = 0; start < n && !bad;) {
        size_t end = n;
        int32_t id = -1;
        while (start < end) {
            if (start > 0) {
                memcpy(buf + t->wp_plen, s + start, end - start);
                id = tok_lookup(t, buf, t->wp_plen + end - start);
            } else id = tok_lookup(t, s, end);
            if (id >= 0) break;
            size_t p = end - 1;   /* drop the last character */
            while (p > start && ((unsigned char)s[p] & 0xc0) == 0x80) p--;
            end = p;
        }
        if (id < 0) { bad = 1; break; }
        span_add(&v, &nv, &cap, id, start, end);
        start = end;
    }
    free(buf);
    if (bad) {
        nv = 0;
        if (t->unk_id >= 0) span_add(&v, &nv, &cap, t->unk_id, 0, n);
    }
    *out = v;
    return nv;
}

typedef struct { double score; int32_t id; long from; } uni_node;   /* from -1: not reached */

size_t tok_unigram(const tokenizer *t, const char *s, size_t n, tok_span **out)
{
    tok_span *v = NULL;
    size_t nv = 0, cap = 0, k;
    uni_node *best = xmalloc(sizeof *best * (n + 1));
    for (size_t i = 0; i <= n; i++) best[i] = (uni_node){0.0, t->unk_id, -1};
    for (size_t at = 0; at < n; at += k) {
        double here = best[at].score;
        un_utf8_next(s + at, n - at, &k);
        int single = 0;
        for (size_t e = at + k; e <= n && e - at <= t->max_piece;) {   /* prefixes, shortest first */
            int32_t id = tok_lookup(t, s + at, e - at);
            if (id >= 0 && t->score) {
                double c = t->score[id] + here;
                if (best[e].from < 0 || c > best[e].score) best[e] = (uni_node){c, id, (long)at};
                if (e - at == k) single = 1;
            }
            if (e == n) break;
            size_t ck;
            un_utf8_next(s + e, n - e, &ck);
            e += ck;
        }
        if (!single) {
            double c = t->unk_score + here;
            if (best[at + k].from < 0 || c > best[at + k].score) best[at + k] = (uni_node){c, t->unk_id, (long)at};
        }
    }
    /* back from the end: pieces as (b, e, id), id -1 for a fused unknown run */
    tok_span *rev = xmalloc(sizeof *rev * (n + 1));
    size_t nr = 0;
    long ue = -1;
    for (size_t e = n; e > 0;) {
        size_t b = (size_t)best[e].from;
        if (t->unk_id >= 0 && best[e].id == t->unk_id) { if (ue < 0) ue = (long)e; }
        else {
            if (ue >= 0) { rev[nr++] = (tok_span){-1, (uint32_t)e, (uint32_t)ue}; ue = -1; }
            rev[nr++] = (tok_span){best[e].id, (uint32_t)b, (uint32_t)e};
        }
        e = b;
    }
    if (ue >= 0) rev[nr++] = (tok_span){-1, 0, (uint32_t)ue};
    for (size_t j = nr; j-- > 0;) {
        size_t b = rev[j].b, e = rev[j].e;
        int32_t id = rev[j].id >= 0 ? rev[j].id : tok_lookup(t, s + b, e - b);   /* looked up by its text */
        if (id >= 0) { span_add(&v, &nv, &cap, id, b, e); continue; }
        size_t q = b;
        while (t->byte_fallback && q < e && t->fallback[(unsigned char)s[q]] >= 0) q++;
        if (t->byte_fallback && q == e)
            for (q = b; q < e; q++) span_add(&v, &nv, &cap, t->fallback[(unsigned char)s[q]], b, e);
        else if (t->unk_id >= 0) span_add(&v, &nv, &cap, t->unk_id, b, e);
    }
    free(rev);
    free(best);
    *out = v;
    return nv;
}
