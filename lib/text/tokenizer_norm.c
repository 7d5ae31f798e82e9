/*
 * tokenizer_norm.c — tokenizer.json normalizers: loading and applying.
 *
 * Supported: NFC (unicode_norm.c), NFD, NFKD, NFKC, Lowercase,
 * StripAccents, BertNormalizer, Precompiled (SentencePiece's charsmap:
 * tokenizer_precompiled.c), Prepend (only to non-empty text), Replace with
 * a String pattern (every non-overlapping occurrence, left to right) or a
 * Regex pattern (PCRE2, UTF + UCP; empty matches replace nothing), Strip
 * (Unicode White_Space at either end) and Sequence of those.  Any other
 * type is refused with a message that names it, so a file is never half
 * understood.
 *
 * The normalizer runs on each piece of text between added tokens, as the
 * Hugging Face library does; normalizing never fails.  With an alignment
 * (tok_normalize's al) each result byte records the span of the original
 * text it comes from, following the library's NormalizedString rules (see
 * tokenizer_int.h and nfc_aligned below), so tok_encode_offsets can give
 * offsets into the caller's text.  Without an alignment (tok_encode) no
 * alignment is built or carried: NFC is un_nfc, Replace copies runs.
 *
 * A regex that fails to match for any reason other than "no match" (match
 * or depth limit, JIT stack) ends the program (EX_DATAERR, naming the
 * step): leaving text unreplaced would change ids silently.  Match data is
 * made per call, so one tokenizer serves many threads.
 */
#include "tokenizer_int.h"
#include "text/relimit.h"
#include "text/unicode_norm.h"
#include "unicode_case_table.h"
#include "base/util.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tok_fail(char *err, size_t el, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, el, fmt, ap);
    va_end(ap);
    return -1;
}

noreturn void tok_regex_die(const char *role, int rc)
{
    PCRE2_UCHAR msg[256];
    if (pcre2_get_error_message(rc, msg, sizeof msg) < 0) snprintf((char *)msg, sizeof msg, "error %d", rc);
    die(EX_DATAERR, "tokenizer: %s regex failed: %s", role, (char *)msg);
}

int tok_is_ws(uint32_t c)
{
    return (c >= 9 && c <= 13) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
           c == 0x205f || c == 0x3000;
}

void tok_put(tok_sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) { b->cap = (b->n + n + 1) * 2; b->s = xrealloc(b->s, b->cap); }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

static norm_step *new_step(tokenizer *t, int kind)
{
    t->norm = xrealloc(t->norm, sizeof *t->norm * (size_t)(t->nnorm + 1));
    norm_step *s = &t->norm[t->nnorm++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    return s;
}

static int load_norm(tokenizer *t, json_t *n, int depth, char *err, size_t el)
{
    if (!n || json_is_null(n)) return 0;
    const char *type = json_string_value(json_object_get(n, "type"));
    if (!type || depth > 8) return tok_fail(err, el, "normalizer without a type");
    if (!strcmp(type, "Sequence")) {
        json_t *arr = json_object_get(n, "normalizers"), *x;
        if (!json_is_array(arr)) return tok_fail(err, el, "Sequence normalizer without \"normalizers\"");
        size_t i;
        json_array_foreach(arr, i, x) if (load_norm(t, x, depth + 1, err, el)) return -1;
        return 0;
    }
    if (!strcmp(type, "NFC")) { new_step(t, NORM_NFC); return 0; }
    if (!strcmp(type, "Prepend")) {
        json_t *p = json_object_get(n, "prepend");
        if (!json_is_string(p)) return tok_fail(err, el, "Prepend normalizer without a \"prepend\" string");
        norm_step *s = new_step(t, NORM_PREPEND);
        s->a = xstrndup(json_string_value(p), json_string_length(p));
        s->al = json_string_length(p);
        return 0;
    }
    if (!strcmp(type, "Replace")) {
        json_t *pat = json_object_get(n, "pattern"), *c = json_object_get(n, "content");
        json_t *st = json_object_get(pat, "String"), *rx = json_object_get(pat, "Regex");
        if (!json_is_string(c) || (!json_is_string(st) && !json_is_string(rx)))
            return tok_fail(err, el, "Replace normalizer needs \"pattern\" {String or Regex} and \"content\"");
        if (json_is_string(st) && json_string_length(st) == 0)
            return tok_fail(err, el, "Replace normalizer with an empty \"pattern\"");
        norm_step *s = new_step(t, json_is_string(st) ? NORM_REPLACE : NORM_REPLACE_RE);
        json_t *p = json_is_string(st) ? st : rx;
        s->a = xstrndup(json_string_value(p), json_string_length(p));
        s->al = json_string_length(p);
        s->b = xstrndup(json_string_value(c), json_string_length(c));
        s->bl = json_string_length(c);
        if (s->kind == NORM_REPLACE_RE) {
            int ec;
            PCRE2_SIZE eo;
            size_t rl;
            char *rx = tok_rx_rewrite(s->a, s->al, &rl);
            s->re = pcre2_compile((PCRE2_SPTR)rx, rl, PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &ec, &eo, NULL);
            free(rx);
            if (!s->re) {
                PCRE2_UCHAR msg[256];
                pcre2_get_error_message(ec, msg, sizeof msg);
                return tok_fail(err, el, "normalizer Replace pattern.Regex does not compile at offset %zu: %s",
                                (size_t)eo, (char *)msg);
            }
        }
        return 0;
    }
    if (!strcmp(type, "Strip")) {
        norm_step *s = new_step(t, NORM_STRIP);
        s->left = json_is_true(json_object_get(n, "strip_left"));
        s->right = json_is_true(json_object_get(n, "strip_right"));
        return 0;
    }
    static const struct { const char *name; int kind; } plain[] = {
        {"NFD", NORM_NFD}, {"NFKD", NORM_NFKD}, {"NFKC", NORM_NFKC}, {"Lowercase", NORM_LOWER},
        {"StripAccents", NORM_STRIP_ACCENTS}};
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        if (!strcmp(type, plain[i].name)) { new_step(t, plain[i].kind); return 0; }
    if (!strcmp(type, "Precompiled")) {
        json_t *m = json_object_get(n, "precompiled_charsmap");
        if (!json_is_string(m)) return tok_fail(err, el, "Precompiled normalizer without a \"precompiled_charsmap\" string");
        return tok_precompiled_load(new_step(t, NORM_PRECOMPILED), json_string_value(m), json_string_length(m), err, el);
    }
    if (!strcmp(type, "BertNormalizer")) {
        norm_step *s = new_step(t, NORM_BERT);
        json_t *c = json_object_get(n, "clean_text"), *h = json_object_get(n, "handle_chinese_chars");
        json_t *a = json_object_get(n, "strip_accents"), *l = json_object_get(n, "lowercase");
        s->clean = c ? json_is_true(c) : 1;
        s->chinese = h ? json_is_true(h) : 1;
        s->lower = l ? json_is_true(l) : 1;
        s->accents = a && !json_is_null(a) ? json_is_true(a) : s->lower;   /* null: as lowercase */
        return 0;
    }
    return tok_fail(err, el, "unsupported normalizer type %s (supported: NFC, NFD, NFKC, NFKD, Lowercase, "
                    "StripAccents, BertNormalizer, Precompiled, Prepend, Replace, Strip, Sequence)", type);
}

int tok_load_normalizer(tokenizer *t, void *json, char *err, size_t el)
{
    return load_norm(t, (json_t *)json, 0, err, el);
}

void tok_norm_free(tokenizer *t)
{
    for (int i = 0; i < t->nnorm; i++) {
        free(t->norm[i].a);
        free(t->norm[i].b);
        free(t->norm[i].trie);
        if (t->norm[i].re) pcre2_code_free(t->norm[i].re);
    }
    free(t->norm);
}

/* A string with an alignment per byte (al may be NULL: not tracked). */
typedef struct { tok_sbuf s; tok_offset *a; size_t acap; int track; tok_offset origin; } abuf;

/* Append n bytes; their alignment is al[0..n) or, when al is NULL, `one`. */
static void aput(abuf *o, const char *s, size_t n, const tok_offset *al, tok_offset one)
{
    if (o->track) {
        if (o->s.n + n + 1 > o->acap) { o->acap = (o->s.n + n + 1) * 2; o->a = xrealloc(o->a, sizeof *o->a * o->acap); }
        for (size_t i = 0; i < n; i++) o->a[o->s.n + i] = al ? al[i] : one;
    }
    tok_put(&o->s, s, n);
}

static const tok_offset none = {0, 0};

/* NFC with alignment.  Runs of stable characters (unicode_norm.c) are
 * copied with their alignment.  The rest comes in regions that start at a
 * boundary, where NFC splits for sure; inside a region the text is cut
 * before each starter (and invalid byte) and neighbouring chunks are joined
 * while NFC of the pair differs from the NFC of each (compositions across
 * starters: Hangul, some Indic vowels).  Inside a chunk of m source and k
 * result characters the library's positional rule applies: the first
 * result character takes the first source character's alignment (and
 * absorbs m - k of them when k < m), the next ones the following source
 * characters in order; characters beyond m take the last source
 * character's.  A chunk that has grown past JOIN_MAX bytes is joined with
 * whatever follows in its region without the pairwise test (bounded work
 * on adversarial text; joining never changes the text, only how alignment
 * is spread inside the chunk). */
#define JOIN_MAX 256

typedef char *(*norm_fn)(const char *, size_t, size_t *);

static void nfc_chunk(abuf *o, const char *s, size_t n, const tok_offset *al, norm_fn fn)
{
    size_t k, nl;
    char *r = fn(s, n, &nl);
    if (nl == n && !memcmp(r, s, n)) { aput(o, s, n, al, none); free(r); return; }
    size_t m = 0, nout = 0;
    for (size_t i = 0; i < n; i += k) { un_utf8_next(s + i, n - i, &k); m++; }
    for (size_t i = 0; i < nl; i += k) { un_utf8_next(r + i, nl - i, &k); nout++; }
    size_t j = 0, at = 0, atj = 0;   /* at: byte start of source character atj */
    for (size_t i = 0; i < nl; i += k, j++) {
        un_utf8_next(r + i, nl - i, &k);
        size_t from = j == 0 ? 0 : nout < m ? j + (m - nout) : j, sk;
        if (from >= m) from = m - 1;
        while (atj < from) { un_utf8_next(s + at, n - at, &sk); at += sk; atj++; }   /* from never decreases */
        aput(o, r + i, k, NULL, al[at]);
    }
    free(r);
}

static int nfc_splits(const char *a, size_t an, const char *b, size_t bn, norm_fn fn)
{
    size_t l1, l2, l3;
    char *ab = xmalloc(an + bn + 1);
    memcpy(ab, a, an);
    memcpy(ab + an, b, bn);
    if (fn == un_nfc && un_nfc_quick(ab, an + bn)) { free(ab); return 1; }
    char *x = fn(ab, an + bn, &l1), *y = fn(a, an, &l2), *z = fn(b, bn, &l3);
    int ok = l1 == l2 + l3 && !memcmp(x, y, l2) && !memcmp(x + l2, z, l3);
    free(ab); free(x); free(y); free(z);
    return ok;
}

/* one region: chunks joined as long as NFC does not split between them */
static void nfc_region_aligned(abuf *o, const char *s, size_t n, const tok_offset *al, norm_fn fn)
{
    size_t k, cur = 0, next;
    for (size_t i = 0; i < n;) {
        /* the chunk [i, next): a starter and the non-starters after it */
        next = i;
        un_utf8_next(s + next, n - next, &k);
        next += k;
        while (next < n) {
            int32_t c = un_utf8_next(s + next, n - next, &k);
            if (c < 0 || un_ccc((uint32_t)c) == 0) break;
            next += k;
        }
        if (i > cur && i - cur <= JOIN_MAX && nfc_splits(s + cur, i - cur, s + i, next - i, fn)) {
            nfc_chunk(o, s + cur, i - cur, al + cur, fn);
            cur = i;
        }
        i = next;
    }
    if (n > cur) nfc_chunk(o, s + cur, n - cur, al + cur, fn);
}

static void nfc_aligned(abuf *o, const char *s, size_t n, const tok_offset *al)
{
    for (size_t i = 0; i < n;) {
        size_t q = i + un_nfc_stable_prefix(s + i, n - i);
        aput(o, s + i, q - i, al + i, none);
        if (q == n) break;
        size_t e = q + un_nfc_region_end(s + q, n - q);
        nfc_region_aligned(o, s + q, e - q, al + q, un_nfc);
        i = e;
    }
}

/* NFD / NFKD with alignment, as the library's transform sees a
 * decomposition: each source character's first code point replaces it
 * (change 0), the rest are inserted (change 1); canonical ordering then
 * moves code points with their change; finally, in order, a change-0 code
 * point takes the alignment of the next source character not yet taken,
 * an inserted one that of the last taken. */
typedef struct { uint32_t cp; int ins, ccc; } dcp;

static void decomp_aligned(abuf *o, const char *s, size_t n, const tok_offset *al, int compat)
{
    dcp *v = xmalloc(sizeof *v * (n * 18 + 1));   /* no character decomposes into more than 18 */
    tok_offset *src = xmalloc(sizeof *src * (n + 1));
    size_t nv = 0, ns = 0, k;
    for (size_t i = 0; i < n; i += k) {
        int32_t c = un_utf8_next(s + i, n - i, &k);
        src[ns++] = al[i];
        if (c < 0) { v[nv++] = (dcp){0x110000u + (unsigned char)s[i], 0, 0}; continue; }
        uint32_t d[32];
        size_t nd = un_decompose((uint32_t)c, compat, d, 32);
        for (size_t j = 0; j < nd; j++) v[nv++] = (dcp){d[j], j > 0, un_ccc(d[j])};
    }
    for (size_t i = 1; i < nv; i++) {   /* stable insertion sort inside runs of marks */
        dcp x = v[i];
        size_t j = i;
        if (!x.ccc) continue;
        while (j > 0 && v[j - 1].ccc > x.ccc) { v[j] = v[j - 1]; j--; }
        v[j] = x;
    }
    size_t next = 0;
    tok_offset last = ns ? src[0] : none;
    for (size_t i = 0; i < nv; i++) {
        if (!v[i].ins && next < ns) last = src[next++];
        char u[4];
        if (v[i].cp >= 0x110000u) { u[0] = (char)(v[i].cp - 0x110000u); aput(o, u, 1, NULL, last); }
        else aput(o, u, un_utf8_put(v[i].cp, u), NULL, last);
    }
    free(v);
    free(src);
}

/* NFKC: the same chunks and positional rule as NFC, over the whole text
 * (no stable-run shortcut); NFD and NFKD as above. */
static void norm_form(abuf *o, const char *s, size_t n, const tok_offset *al, norm_fn fn)
{
    if (o->track && n && (fn == un_nfd || fn == un_nfkd)) { decomp_aligned(o, s, n, al, fn == un_nfkd); return; }
    if (!o->track || !n) {
        size_t nl;
        char *r = fn(s, n, &nl);
        aput(o, r, nl, NULL, none);
        free(r);
        return;
    }
    nfc_region_aligned(o, s, n, al, fn);
}

/* ---- character maps (Lowercase, StripAccents, BertNormalizer) ----
 * Each character becomes zero or more characters, every one aligned to the
 * character it comes from (the library's transform: the first replaces it,
 * the others are inserted after it and share its alignment).  The tables
 * were measured from the library (tools/gen-unicode-case.js). */
static int in_runs(const un_run *r, size_t nr, uint32_t cp)
{
    size_t lo = 0, hi = nr;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (cp < r[m].first) hi = m;
        else if (cp > r[m].last) lo = m + 1;
        else return 1;
    }
    return 0;
}
#define IN(table, cp) in_runs(table, sizeof table / sizeof *table, cp)

static size_t lower_of(uint32_t cp, uint32_t *out)
{
    size_t lo = 0, hi = sizeof un_lower / sizeof *un_lower;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (cp < un_lower[m].cp) hi = m;
        else if (cp > un_lower[m].cp) lo = m + 1;
        else {
            for (uint32_t i = 0; i < un_lower[m].count; i++) out[i] = un_lower_cps[un_lower[m].first + i];
            return un_lower[m].count;
        }
    }
    out[0] = cp;
    return 1;
}

static int is_chinese(uint32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

enum { MAP_LOWER = 1, MAP_MARKS = 2, MAP_CLEAN = 4, MAP_CHINESE = 8 };

static void char_map(abuf *o, const char *s, size_t n, const tok_offset *al, int what)
{
    size_t k;
    for (size_t i = 0; i < n; i += k) {
        int32_t c = un_utf8_next(s + i, n - i, &k);
        tok_offset a = o->track ? al[i] : none;
        if (c < 0) { aput(o, s + i, k, NULL, a); continue; }   /* invalid byte: kept */
        uint32_t v[8];
        size_t nv = 1;
        v[0] = (uint32_t)c;
        if ((what & MAP_MARKS) && IN(un_mark, v[0])) continue;
        if (what & MAP_CLEAN) {
            if (IN(un_bert_drop, v[0])) continue;
            if (IN(un_bert_space, v[0])) v[0] = ' ';
        }
        if ((what & MAP_CHINESE) && is_chinese(v[0])) { v[1] = v[0]; v[0] = v[2] = ' '; nv = 3; }
        if (what & MAP_LOWER) nv = lower_of(v[0], v);
        for (size_t j = 0; j < nv; j++) {
            char u[4];
            aput(o, u, un_utf8_put(v[j], u), NULL, a);
        }
    }
}

/* BertNormalizer: clean_text, handle_chinese_chars, strip_accents (NFD
 * then marks removed), lowercase, in the library's order */
static void bert(const norm_step *st, const char *s, size_t n, const tok_offset *al, abuf *o)
{
    abuf a = {{0}, NULL, 0, o->track, none}, b = {{0}, NULL, 0, o->track, none};
    tok_put(&a.s, "", 0);
    char_map(&a, s, n, al, (st->clean ? MAP_CLEAN : 0) | (st->chinese ? MAP_CHINESE : 0));
    if (st->accents) {
        abuf c = {{0}, NULL, 0, o->track, none};
        tok_put(&c.s, "", 0);
        norm_form(&c, a.s.s, a.s.n, a.a, un_nfd);
        tok_put(&b.s, "", 0);
        char_map(&b, c.s.s, c.s.n, c.a, MAP_MARKS);
        free(c.s.s); free(c.a);
        free(a.s.s); free(a.a);
        a = b;
    }
    char_map(o, a.s.s, a.s.n, a.a, st->lower ? MAP_LOWER : 0);
    free(a.s.s); free(a.a);
}

static void apply(const norm_step *st, const char *s, size_t n, const tok_offset *al, abuf *o)
{
    switch (st->kind) {
    case NORM_NFD: norm_form(o, s, n, al, un_nfd); break;
    case NORM_NFKD: norm_form(o, s, n, al, un_nfkd); break;
    case NORM_NFKC: norm_form(o, s, n, al, un_nfkc); break;
    case NORM_LOWER: char_map(o, s, n, al, MAP_LOWER); break;
    case NORM_STRIP_ACCENTS: char_map(o, s, n, al, MAP_MARKS); break;
    case NORM_BERT: bert(st, s, n, al, o); break;
    case NORM_PRECOMPILED: {
        size_t rl;
        tok_offset *ra = NULL;
        char *r = tok_precompiled_apply(st, s, n, o->track ? al : NULL, o->origin, &rl, o->track ? &ra : NULL);
        aput(o, r, rl, ra, none);
        free(r);
        free(ra);
        break;
    }
    case NORM_NFC:
        if (un_nfc_quick(s, n) || !o->track) {
            size_t nl;
            char *r = un_nfc(s, n, &nl);
            aput(o, r, nl, al, none);   /* quick: r == s */
            free(r);
        } else nfc_aligned(o, s, n, al);
        break;
    case NORM_PREPEND:
        if (n) aput(o, st->a, st->al, NULL, o->track ? al[0] : none);
        aput(o, s, n, al, none);
        break;
    case NORM_REPLACE:   /* copy the text between occurrences as runs */
        for (size_t i = 0; i < n;) {
            const char *hit = memmem(s + i, n - i, st->a, st->al);
            size_t h = hit ? (size_t)(hit - s) : n;
            aput(o, s + i, h - i, o->track ? al + i : NULL, none);
            if (!hit) break;
            aput(o, st->b, st->bl, NULL, o->track ? al[h + st->al - 1] : none);
            i = h + st->al;
        }
        break;
    case NORM_REPLACE_RE: {
        size_t at = 0, last = 0;
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(st->re, NULL);
        while (at <= n) {
            int rc = pcre2_match(st->re, (PCRE2_SPTR)s, n, at, 0, md, relimit_context());
            if (rc == PCRE2_ERROR_NOMATCH) break;
            if (rc < 0) tok_regex_die("normalizer Replace", rc);
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            if (ov[1] == ov[0]) {   /* empty match: nothing to replace, step one character */
                at = ov[0] + 1;
                while (at < n && ((unsigned char)s[at] & 0xc0) == 0x80) at++;
                continue;
            }
            aput(o, s + last, ov[0] - last, o->track ? al + last : NULL, none);
            aput(o, st->b, st->bl, NULL, o->track ? al[ov[1] - 1] : none);
            last = at = ov[1];
        }
        pcre2_match_data_free(md);
        aput(o, s + last, n - last, o->track ? al + last : NULL, none);
        break;
    }
    case NORM_STRIP: {
        size_t b = 0, e = n, k;
        while (st->left && b < e) {
            int32_t c = un_utf8_next(s + b, e - b, &k);
            if (c < 0 || !tok_is_ws((uint32_t)c)) break;
            b += k;
        }
        while (st->right && e > b) {
            size_t p = e - 1;
            while (p > b && ((unsigned char)s[p] & 0xc0) == 0x80) p--;
            int32_t c = un_utf8_next(s + p, e - p, &k);
            if (c < 0 || p + k != e || !tok_is_ws((uint32_t)c)) break;
            e = p;
        }
        aput(o, s + b, e - b, o->track ? al + b : NULL, none);
        break;
    }
    }
}

char *tok_normalize(const tokenizer *t, const char *s, size_t n, const tok_offset *al,
                    size_t *olen, tok_offset **oal)
{
    if (!t->nnorm) return NULL;
    abuf cur = {{0}, NULL, 0, al != NULL, none};
    for (int i = 0; i < t->nnorm; i++) {
        abuf next = {{0}, NULL, 0, al != NULL, al && n ? al[0] : none};
        tok_put(&next.s, "", 0);
        if (i == 0) apply(&t->norm[i], s, n, al, &next);
        else apply(&t->norm[i], cur.s.s, cur.s.n, cur.a, &next);
        free(cur.s.s);
        free(cur.a);
        cur = next;
    }
    *olen = cur.s.n;
    if (oal) *oal = cur.a ? cur.a : xmalloc(sizeof(tok_offset));
    else free(cur.a);
    return cur.s.s;
}
