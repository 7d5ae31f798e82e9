/*
 * tokenizer_decode.c — the decoding side of tokenizer.json, and the pieces of
 * SentencePiece-style files: decoders, post-processors, tok_decode.
 *
 * Decoding follows the Hugging Face library step by step: each id becomes
 * its token string as the library sees it (added tokens: their content;
 * byte-level vocabularies: GPT-2's byte characters), special tokens are
 * dropped when asked, then the decoder chain rewrites the list of strings
 * and the result is their concatenation (no decoder: joined with spaces).
 * Decoders: ByteLevel (characters back to bytes; a token with a character
 * outside the map is kept as it is), Replace (String pattern), ByteFallback
 * (runs of <0xNN> tokens become their bytes, or one U+FFFD per token when
 * the run is not valid UTF-8), Fuse, Strip (content, start, stop),
 * Metaspace (replacement -> space; dropped in the first token unless the
 * prepend scheme is "never") and Sequence.  With TOK_DECODE_UTF8 invalid
 * UTF-8 in the result becomes U+FFFD per maximal invalid subpart, as Rust's
 * String::from_utf8_lossy does; without it the bytes are kept.
 *
 * Post-processors (applied by tok_encode with TOK_ADD_SPECIAL): for a
 * single sequence each reduces to ids before and ids after it —
 * TemplateProcessing ("single" with SpecialToken and Sequence "A" items),
 * BertProcessing and RobertaProcessing ([cls] A [sep]), ByteLevel (nothing)
 * and Sequence (later processors wrap earlier ones).
 */
#include "tokenizer_int.h"
#include "text/unicode_norm.h"
#include "base/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- loading ---- */

static dec_step *new_dec(tokenizer *t, int kind)
{
    t->dec = xrealloc(t->dec, sizeof *t->dec * (size_t)(t->ndec + 1));
    dec_step *d = &t->dec[t->ndec++];
    memset(d, 0, sizeof *d);
    d->kind = kind;
    return d;
}

static int one_char(json_t *s)
{
    size_t k;
    return json_is_string(s) && json_string_length(s) > 0 &&
           un_utf8_next(json_string_value(s), json_string_length(s), &k) >= 0 && k == json_string_length(s);
}

/* Metaspace's prepend scheme: "prepend_scheme", else the legacy add_prefix_space */
int tok_metaspace_scheme(void *json, char *err, size_t el)
{
    json_t *m = json;
    const char *ps = json_string_value(json_object_get(m, "prepend_scheme"));
    if (!ps) return json_is_false(json_object_get(m, "add_prefix_space")) ? SCHEME_NEVER : SCHEME_ALWAYS;
    if (!strcmp(ps, "always")) return SCHEME_ALWAYS;
    if (!strcmp(ps, "first")) return SCHEME_FIRST;
    if (!strcmp(ps, "never")) return SCHEME_NEVER;
    return tok_fail(err, el, "Metaspace prepend_scheme \"%.20s\" is not always, first or never", ps);
}

static int load_dec(tokenizer *t, json_t *d, int depth, char *err, size_t el)
{
    const char *type = json_string_value(json_object_get(d, "type"));
    if (!type || depth > 8) return tok_fail(err, el, "decoder without a type");
    if (!strcmp(type, "Sequence")) {
        json_t *arr = json_object_get(d, "decoders"), *x;
        if (!json_is_array(arr)) return tok_fail(err, el, "Sequence decoder without \"decoders\"");
        size_t i;
        json_array_foreach(arr, i, x) if (load_dec(t, x, depth + 1, err, el)) return -1;
        return 0;
    }
    if (!strcmp(type, "ByteLevel")) { new_dec(t, DEC_BYTELEVEL); return 0; }
    if (!strcmp(type, "ByteFallback")) { new_dec(t, DEC_BYTEFALLBACK); return 0; }
    if (!strcmp(type, "Fuse")) { new_dec(t, DEC_FUSE); return 0; }
    if (!strcmp(type, "Replace")) {
        json_t *st = json_object_get(json_object_get(d, "pattern"), "String"), *c = json_object_get(d, "content");
        if (!json_is_string(st) || !json_string_length(st) || !json_is_string(c))
            return tok_fail(err, el, "unsupported Replace decoder (only a non-empty pattern.String and a content)");
        dec_step *s = new_dec(t, DEC_REPLACE);
        s->a = xstrndup(json_string_value(st), s->al = json_string_length(st));
        s->b = xstrndup(json_string_value(c), s->bl = json_string_length(c));
        return 0;
    }
    if (!strcmp(type, "Strip")) {
        json_t *c = json_object_get(d, "content"), *a = json_object_get(d, "start"), *b = json_object_get(d, "stop");
        if (!one_char(c) || !json_is_integer(a) || !json_is_integer(b) || json_integer_value(a) < 0 ||
            json_integer_value(b) < 0 || json_integer_value(a) > 1000 || json_integer_value(b) > 1000)
            return tok_fail(err, el, "Strip decoder needs a one-character content and small start, stop");
        dec_step *s = new_dec(t, DEC_STRIP);
        s->a = xstrndup(json_string_value(c), s->al = json_string_length(c));
        s->start = (int)json_integer_value(a);
        s->stop = (int)json_integer_value(b);
        return 0;
    }
    if (!strcmp(type, "Metaspace")) {
        json_t *r = json_object_get(d, "replacement");
        if (!one_char(r)) return tok_fail(err, el, "Metaspace decoder \"replacement\" must be exactly one character");
        int sc = tok_metaspace_scheme(d, err, el);
        if (sc < 0) return -1;
        dec_step *s = new_dec(t, DEC_METASPACE);
        s->a = xstrndup(json_string_value(r), s->al = json_string_length(r));
        s->scheme = sc;
        return 0;
    }
    if (!strcmp(type, "WordPiece")) {
        json_t *p = json_object_get(d, "prefix"), *c = json_object_get(d, "cleanup");
        dec_step *s = new_dec(t, DEC_WORDPIECE);
        s->a = json_is_string(p) ? xstrndup(json_string_value(p), s->al = json_string_length(p)) : xstrdup("##");
        if (!json_is_string(p)) s->al = 2;
        s->start = c ? json_is_true(c) : 1;
        return 0;
    }
    return tok_fail(err, el, "unsupported decoder type %s (supported: ByteLevel, Replace, ByteFallback, Fuse, "
                    "Strip, Metaspace, WordPiece, Sequence)", type);
}

int tok_load_decoder(tokenizer *t, void *json, char *err, size_t el)
{
    json_t *d = json;
    if (!d || json_is_null(d)) return 0;
    t->has_decoder = 1;
    return load_dec(t, d, 0, err, el);
}

static void ids_append(int32_t **v, int *n, const int32_t *add, int k, int front)
{
    *v = xrealloc(*v, sizeof(int32_t) * (size_t)(*n + k + 1));
    if (!k) return;   /* add may be NULL */
    if (front) { memmove(*v + k, *v, sizeof(int32_t) * (size_t)*n); memcpy(*v, add, sizeof(int32_t) * (size_t)k); }
    else memcpy(*v + *n, add, sizeof(int32_t) * (size_t)k);
    *n += k;
}

static int post_id(const tokenizer *t, json_t *pair, const char *what, int32_t *id, char *err, size_t el)
{
    json_t *i = json_array_get(pair, 1);
    if (!json_is_array(pair) || !json_is_integer(i) || json_integer_value(i) < 0 || json_integer_value(i) >= t->n)
        return tok_fail(err, el, "post_processor.%s is not [token, id] with an id in the vocabulary", what);
    *id = (int32_t)json_integer_value(i);
    return 0;
}

/* TemplateProcessing's "pair": Sequence A and B each exactly once, special
 * tokens from special_tokens; absent: pairs are refused when encoded */
static int load_pair(tokenizer *t, json_t *pair, json_t *specials, char *err, size_t el)
{
    if (!pair || json_is_null(pair)) { t->pair_missing = 1; return 0; }
    if (!json_is_array(pair)) return tok_fail(err, el, "post_processor.pair is not a list");
    json_t *it;
    size_t i;
    int seen[2] = {0, 0};
    json_array_foreach(pair, i, it) {
        json_t *sp = json_object_get(it, "SpecialToken"), *sq = json_object_get(it, "Sequence");
        json_t *x = sq ? sq : sp, *ty = json_object_get(x, "type_id");
        const char *id = json_string_value(json_object_get(x, "id"));
        int type_id = json_is_integer(ty) ? (int)json_integer_value(ty) : 0;
        if (sq) {
            int which = id && !strcmp(id, "A") ? 0 : id && !strcmp(id, "B") ? 1 : -1;
            if (which < 0 || seen[which]++)
                return tok_fail(err, el, "post_processor.pair must hold Sequence A and Sequence B once each");
            tok_pair_add(t, which, type_id, NULL, 0);
            continue;
        }
        json_t *ids = json_object_get(json_object_get(specials, id ? id : ""), "ids"), *v;
        if (!id || !json_is_array(ids))
            return tok_fail(err, el, "post_processor.pair item %zu: \"%.40s\" is not in special_tokens", i,
                            id ? id : "(no id)");
        size_t k, nk = json_array_size(ids);
        int32_t *buf = xmalloc(sizeof *buf * (nk + 1));
        json_array_foreach(ids, k, v) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= t->n) {
                free(buf);
                return tok_fail(err, el, "post_processor.special_tokens \"%.40s\": id outside the vocabulary", id);
            }
            buf[k] = (int32_t)json_integer_value(v);
        }
        tok_pair_add(t, -1, type_id, buf, (int)nk);
        free(buf);
    }
    if (!seen[0] || !seen[1])
        return tok_fail(err, el, "post_processor.pair must hold Sequence A and Sequence B once each");
    return 0;
}

static int load_post(tokenizer *t, json_t *p, int depth, char *err, size_t el)
{
    const char *type = json_string_value(json_object_get(p, "type"));
    if (!type || depth > 8) return tok_fail(err, el, "post_processor without a type");
    if (!strcmp(type, "Sequence")) {
        json_t *arr = json_object_get(p, "processors"), *x;
        if (!json_is_array(arr)) return tok_fail(err, el, "Sequence post_processor without \"processors\"");
        size_t i;
        json_array_foreach(arr, i, x) if (load_post(t, x, depth + 1, err, el)) return -1;
        return 0;
    }
    if (!strcmp(type, "ByteLevel")) {   /* offsets only */
        t->post_trim = json_is_true(json_object_get(p, "trim_offsets"));
        t->post_trim_prefix = json_is_true(json_object_get(p, "add_prefix_space"));
        return 0;
    }
    if (!strcmp(type, "BertProcessing") || !strcmp(type, "RobertaProcessing")) {
        int32_t cls, sep;
        if (post_id(t, json_object_get(p, "cls"), "cls", &cls, err, el) ||
            post_id(t, json_object_get(p, "sep"), "sep", &sep, err, el)) return -1;
        ids_append(&t->post_pre, &t->npost_pre, &cls, 1, 1);
        ids_append(&t->post_suf, &t->npost_suf, &sep, 1, 0);
        /* pairs: [CLS] A [SEP] B [SEP] (Bert: B and its SEP type 1);
         * <s> A </s></s> B </s> (Roberta: every type id 0, as recorded) */
        int roberta = type[0] == 'R';
        t->post_adders++;
        tok_pair_add(t, -1, 0, &cls, 1);
        tok_pair_add(t, 0, 0, NULL, 0);
        tok_pair_add(t, -1, 0, &sep, 1);
        if (roberta) tok_pair_add(t, -1, 0, &sep, 1);
        tok_pair_add(t, 1, !roberta, NULL, 0);
        tok_pair_add(t, -1, !roberta, &sep, 1);
        return 0;
    }
    if (strcmp(type, "TemplateProcessing"))
        return tok_fail(err, el, "unsupported post_processor type %s (supported: TemplateProcessing, "
                        "BertProcessing, RobertaProcessing, ByteLevel, Sequence)", type);
    json_t *single = json_object_get(p, "single"), *specials = json_object_get(p, "special_tokens"), *it;
    if (!json_is_array(single)) return tok_fail(err, el, "TemplateProcessing without a \"single\" list");
    int32_t *pre = NULL, *suf = NULL;
    int npre = 0, nsuf = 0, seen = 0;
    size_t i;
    json_array_foreach(single, i, it) {
        json_t *sp = json_object_get(it, "SpecialToken"), *sq = json_object_get(it, "Sequence");
        if (sq) {
            const char *sid = json_string_value(json_object_get(sq, "id"));
            if (!sid || strcmp(sid, "A") || seen++) {
                free(pre); free(suf);
                return tok_fail(err, el, "post_processor.single must hold Sequence A exactly once");
            }
            continue;
        }
        const char *name = json_string_value(json_object_get(sp, "id"));
        json_t *ids = json_object_get(json_object_get(specials, name ? name : ""), "ids"), *x;
        if (!name || !json_is_array(ids)) {
            free(pre); free(suf);
            return tok_fail(err, el, "post_processor.single item %zu: \"%.40s\" is not in special_tokens", i,
                            name ? name : "(no id)");
        }
        size_t k;
        json_array_foreach(ids, k, x) {
            if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) >= t->n) {
                free(pre); free(suf);
                return tok_fail(err, el, "post_processor.special_tokens \"%.40s\": id outside the vocabulary", name);
            }
            int32_t id = (int32_t)json_integer_value(x);
            if (seen) ids_append(&suf, &nsuf, &id, 1, 0);
            else ids_append(&pre, &npre, &id, 1, 0);
        }
    }
    if (!seen) { free(pre); free(suf); return tok_fail(err, el, "post_processor.single has no Sequence A"); }
    ids_append(&t->post_pre, &t->npost_pre, pre, npre, 1);
    ids_append(&t->post_suf, &t->npost_suf, suf, nsuf, 0);
    free(pre); free(suf);
    t->post_adders++;
    return load_pair(t, json_object_get(p, "pair"), specials, err, el);
}

int tok_load_post(tokenizer *t, void *json, char *err, size_t el)
{
    json_t *p = json;
    if (!p || json_is_null(p)) return 0;
    if (load_post(t, p, 0, err, el)) return -1;
    /* the ids it adds must be tokens (HF would emit them; we would have
     * nothing to decode or embed for a hole in the vocabulary) */
    for (int k = 0; k < t->npost_pre + t->npost_suf; k++) {
        int32_t id = k < t->npost_pre ? t->post_pre[k] : t->post_suf[k - t->npost_pre];
        if (id < 0 || id >= t->n || !t->bytes[id])
            return tok_fail(err, el, "post_processor adds id %d, which is not a token of the vocabulary", (int)id);
    }
    return 0;
}

void tok_sp_free(tokenizer *t)
{
    for (int i = 0; i < t->ndec; i++) { free(t->dec[i].a); free(t->dec[i].b); }
    free(t->dec);
    free(t->post_pre);
    free(t->post_suf);
    for (int i = 0; i < t->npair; i++) free(t->pair[i].ids);
    free(t->pair);
    if (t->piece) for (int i = 0; i < t->n; i++) free(t->piece[i]);
    free(t->piece);
    free(t->plen);
}

/* ---- token strings ---- */

char *tok_hf_string(const tokenizer *t, int32_t id, size_t *len)
{
    tok_sbuf o = {0};
    tok_put(&o, "", 0);
    if (!t->byte_level || tok_is_added(t, id) || (t->notbl && t->notbl[id])) tok_put(&o, t->bytes[id], t->blen[id]);
    else
        for (uint32_t i = 0; i < t->blen[id]; i++) {
            char u[4];
            tok_put(&o, u, un_utf8_put((uint32_t)bl_codepoint((unsigned char)t->bytes[id][i]), u));
        }
    *len = o.n;
    return o.s;
}

/* "<0xNN>" -> the byte, else -1 (Rust's from_str_radix also takes "+N") */
static int fallback_byte(const char *s, size_t n)
{
    if (n != 6 || memcmp(s, "<0x", 3) || s[5] != '>') return -1;
    unsigned v = 0;
    for (int i = 3; i < 5; i++) {
        char c = s[i];
        if (i == 3 && c == '+') continue;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + (unsigned)d;
    }
    return (int)v;
}

typedef struct { tok_sbuf *v; size_t n; } toklist;

static void replace_into(tok_sbuf *o, const char *s, size_t n, const char *a, size_t al, const char *b, size_t bl, int drop)
{
    for (size_t i = 0; i < n;) {
        if (n - i >= al && !memcmp(s + i, a, al)) { if (!drop) tok_put(o, b, bl); i += al; }
        else tok_put(o, s + i++, 1);
    }
}

/* The WordPiece decoder's cleanup: the library's chain of str::replace,
 * each over the whole token, in this order. */
static void wordpiece_cleanup(tok_sbuf *o)
{
    static const char *rules[][2] = {{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
                                     {" n't", "n't"}, {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"},
                                     {" 've", "'ve"}, {" 're", "'re"}};
    for (size_t r = 0; r < sizeof rules / sizeof *rules; r++) {
        if (!memmem(o->s, o->n, rules[r][0], strlen(rules[r][0]))) continue;
        tok_sbuf x = {0};
        tok_put(&x, "", 0);
        replace_into(&x, o->s, o->n, rules[r][0], strlen(rules[r][0]), rules[r][1], strlen(rules[r][1]), 0);
        free(o->s);
        *o = x;
    }
}

static void apply_dec(const tokenizer *t, const dec_step *d, toklist *L, int lossy)
{
    if (d->kind == DEC_BYTELEVEL || d->kind == DEC_FUSE) {
        tok_sbuf o = {0};
        tok_put(&o, "", 0);
        for (size_t i = 0; i < L->n; i++) {
            const tok_sbuf *s = &L->v[i];
            if (d->kind == DEC_FUSE) { tok_put(&o, s->s, s->n); continue; }
            size_t start = o.n, k;
            int ok = 1;
            for (size_t j = 0; j < s->n && ok; j += k) {
                int32_t cp = un_utf8_next(s->s + j, s->n - j, &k);
                int b = cp < 0 ? -1 : bl_byte(cp);
                if (b < 0) ok = 0;
                else { char c = (char)b; tok_put(&o, &c, 1); }
            }
            if (!ok) { o.n = start; tok_put(&o, s->s, s->n); }   /* the token as it is */
        }
        for (size_t i = 0; i < L->n; i++) free(L->v[i].s);
        L->v[0] = o;
        L->n = 1;
        (void)lossy;
        return;
    }
    if (d->kind == DEC_BYTEFALLBACK) {
        tok_sbuf *nv = xcalloc(L->n + 1, sizeof *nv), run = {0};
        size_t nn = 0;
        tok_put(&run, "", 0);
        for (size_t i = 0; i <= L->n; i++) {
            int b = i < L->n ? fallback_byte(L->v[i].s, L->v[i].n) : -1;
            if (b >= 0) { char c = (char)b; tok_put(&run, &c, 1); continue; }
            if (run.n) {
                /* several tokens may become one; the list only shrinks */
                tok_sbuf r = {0};
                tok_put(&r, "", 0);
                if (utf8_valid(run.s, run.n)) tok_put(&r, run.s, run.n);
                else for (size_t k = 0; k < run.n; k++) tok_put(&r, "\xef\xbf\xbd", 3);
                nv[nn++] = r;
                run.n = 0;
            }
            if (i < L->n) { nv[nn++] = L->v[i]; L->v[i].s = NULL; }
        }
        for (size_t i = 0; i < L->n; i++) free(L->v[i].s);
        free(run.s);
        free(L->v);
        L->v = nv;
        L->n = nn;
        return;
    }
    for (size_t i = 0; i < L->n; i++) {
        tok_sbuf *s = &L->v[i], o = {0};
        tok_put(&o, "", 0);
        if (d->kind == DEC_WORDPIECE) {
            if (i && s->n >= d->al && !memcmp(s->s, d->a, d->al)) tok_put(&o, s->s + d->al, s->n - d->al);
            else {
                if (i) tok_put(&o, " ", 1);
                tok_put(&o, s->s, s->n);
            }
            if (d->start) wordpiece_cleanup(&o);
        } else if (d->kind == DEC_REPLACE) replace_into(&o, s->s, s->n, d->a, d->al, d->b, d->bl, 0);
        else if (d->kind == DEC_METASPACE)
            replace_into(&o, s->s, s->n, d->a, d->al, " ", 1, i == 0 && d->scheme != SCHEME_NEVER);
        else {   /* DEC_STRIP: up to start leading and stop trailing copies of the character */
            size_t b = 0, e = s->n;
            for (int k = 0; k < d->start && b < e && e - b >= d->al && !memcmp(s->s + b, d->a, d->al); k++) b += d->al;
            for (int k = 0; k < d->stop && e > b && e - b >= d->al && !memcmp(s->s + e - d->al, d->a, d->al); k++)
                e -= d->al;
            tok_put(&o, s->s + b, e - b);
        }
        free(s->s);
        *s = o;
    }
    (void)t;
}

/* Rust's String::from_utf8_lossy: one U+FFFD per maximal invalid subpart */
static void lossy_utf8(tok_sbuf *o, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k;
        if (un_utf8_next(s + i, n - i, &k) >= 0) { tok_put(o, s + i, k); i += k; continue; }
        unsigned char c = u[i];
        int need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
        size_t j = i + 1;
        for (int m = 0; m < need && j < n; m++, j++) {
            unsigned char lo = 0x80, hi = 0xbf;
            if (m == 0 && c == 0xe0) lo = 0xa0;
            if (m == 0 && c == 0xed) hi = 0x9f;
            if (m == 0 && c == 0xf0) lo = 0x90;
            if (m == 0 && c == 0xf4) hi = 0x8f;
            if (u[j] < lo || u[j] > hi) break;
        }
        tok_put(o, "\xef\xbf\xbd", 3);
        i = j;
    }
}

char *tok_decode(const tokenizer *t, const int32_t *ids, size_t n, int flags, size_t *len)
{
    toklist L = {xcalloc(n + 1, sizeof(tok_sbuf)), 0};
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || id >= t->n || !t->bytes[id]) continue;
        if ((flags & TOK_SKIP_SPECIAL) && tok_is_special(t, id)) continue;
        tok_sbuf *s = &L.v[L.n++];
        s->s = tok_hf_string(t, id, &s->n);
        s->cap = s->n + 1;
    }
    for (int k = 0; k < t->ndec; k++) apply_dec(t, &t->dec[k], &L, flags & TOK_DECODE_UTF8);
    tok_sbuf o = {0};
    tok_put(&o, "", 0);
    for (size_t i = 0; i < L.n; i++) {
        if (i && !t->has_decoder) tok_put(&o, " ", 1);
        tok_put(&o, L.v[i].s, L.v[i].n);
        free(L.v[i].s);
    }
    free(L.v);
    if ((flags & TOK_DECODE_UTF8) && !utf8_valid(o.s, o.n)) {
        tok_sbuf f = {0};
        tok_put(&f, "", 0);
        lossy_utf8(&f, o.s, o.n);
        free(o.s);
        o = f;
    }
    *len = o.n;
    return o.s;
}

int tok_decode_mode(const tokenizer *t)
{
    if (!t->has_decoder || !t->ndec) return TOK_DECODE_WHOLE;   /* tokens joined by spaces */
    int append = 1;
    for (int k = 0; k < t->ndec; k++) {
        const dec_step *d = &t->dec[k];
        size_t cl;
        /* ByteLevel works per token; after it, or alone, Fuse only joins */
        if (d->kind != DEC_FUSE && !(k == 0 && d->kind == DEC_BYTELEVEL)) append = 0;
        if (d->kind == DEC_STRIP && (d->start > 1 || d->stop > 0)) return TOK_DECODE_WHOLE;
        if (d->kind == DEC_REPLACE && (un_utf8_next(d->a, d->al, &cl) < 0 || cl != d->al)) return TOK_DECODE_WHOLE;
        if (d->kind == DEC_BYTELEVEL && k > 0) return TOK_DECODE_WHOLE;   /* on joined text: all or nothing */
        if (d->kind == DEC_WORDPIECE) return TOK_DECODE_WHOLE;   /* cleanup looks across tokens */
    }
    return append ? TOK_DECODE_APPEND : TOK_DECODE_WINDOW;
}

int tok_decode_joins(const tokenizer *t, int32_t id)
{
    if (id < 0 || id >= t->n || !t->bytes[id] || t->byte_level) return 0;
    for (int k = 0; k < t->ndec; k++)
        if (t->dec[k].kind == DEC_BYTEFALLBACK) return fallback_byte(t->bytes[id], t->blen[id]) >= 0;
    return 0;
}

/* ---- pieces (SentencePiece mode) ---- */

void tok_make_pieces(tokenizer *t)
{
    if (t->byte_level) return;
    t->piece = xcalloc((size_t)t->n + 1, sizeof(char *));
    t->plen = xcalloc((size_t)t->n + 1, sizeof(uint32_t));
    for (int id = 0; id < t->n; id++) {
        if (!t->bytes[id]) continue;
        tok_sbuf cur = {0};
        tok_put(&cur, t->bytes[id], t->blen[id]);
        for (int k = 0; k < t->ndec; k++) {
            const dec_step *d = &t->dec[k];
            tok_sbuf o = {0};
            tok_put(&o, "", 0);
            int b = d->kind == DEC_BYTEFALLBACK ? fallback_byte(cur.s, cur.n) : -1;
            if (d->kind == DEC_REPLACE) replace_into(&o, cur.s, cur.n, d->a, d->al, d->b, d->bl, 0);
            else if (d->kind == DEC_METASPACE) replace_into(&o, cur.s, cur.n, d->a, d->al, " ", 1, 0);
            else if (b >= 0) { char c = (char)b; tok_put(&o, &c, 1); }
            else tok_put(&o, cur.s, cur.n);
            free(cur.s);
            cur = o;
        }
        if (cur.n != t->blen[id] || memcmp(cur.s, t->bytes[id], cur.n)) {
            t->piece[id] = cur.s;
            t->plen[id] = (uint32_t)cur.n;
        } else free(cur.s);
    }
}
