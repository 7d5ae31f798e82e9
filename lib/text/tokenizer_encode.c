/*
 * tokenizer_encode.c — the encoding pipeline with offsets (tok_encode,
 * tok_encode_offsets): added-token splitting in two passes as the Hugging
 * Face library does (raw content first, then the "normalized" added tokens
 * inside normalized text), normalization (tokenizer_norm.c),
 * pre-tokenization, initial symbols with byte fallback / unknown token, BPE
 * merging, the ByteLevel post-processor's offset trimming and the
 * post-processor's ids.
 *
 * Offsets.  Every string the pipeline works on carries an alignment: for
 * each byte, the span [start, end) of the caller's text it comes from (at
 * first the span of the character holding the byte, as the library's
 * NormalizedString starts).  Normalizers and pre-tokenizers rewrite the
 * alignment with the text (tokenizer_norm.c; the Metaspace replacement of a
 * space aligns to the space, a prepended "▁" or " " to the first
 * character).  BPE works out token positions as the library's Word does:
 * the running sum of its symbols' lengths, a symbol being a character (its
 * bytes), one byte-fallback byte (1), an unknown-token run (its bytes), in
 * byte-level mode one byte of the input written as its GPT-2 character (1
 * or 2 bytes) — so a dropped character shifts what follows, as in the
 * library.  A token [p, q) of its piece covers the original span from the
 * start of byte p's alignment to the end of byte q-1's.
 *
 * Without offsets (tok_encode: offs NULL) none of this is built: every
 * alignment pointer is NULL all the way down (split_added, tok_normalize,
 * pre-tokenizers, BPE) and the post-processor's offset trimming, which
 * moves offsets only, is skipped; the ids are the same (test_tokenizer and
 * the parity test compare both paths).
 *
 * Invariants: encoding never fails (a regex that cannot run dies, see
 * tokenizer.h); ids and offsets have the same count;
 * the offsets of the tokens between post-processor tokens never decrease
 * in start except where the library's own rules make them (a prepended
 * "▁" shares the first character's span).
 */
#include "tokenizer_int.h"
#include "text/relimit.h"
#include "text/unicode_norm.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct { int32_t *v; tok_offset *o; size_t n, cap; int track; } enc_out;

static void push(enc_out *o, int32_t id, tok_offset off)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 64;
        o->v = xrealloc(o->v, o->cap * sizeof(int32_t));
        if (o->track) o->o = xrealloc(o->o, o->cap * sizeof(tok_offset));
    }
    if (o->track) o->o[o->n] = off;
    o->v[o->n++] = id;
}

/* al + i, where al may be NULL (offsets not tracked) */
static const tok_offset *at_al(const tok_offset *al, size_t i) { return al ? al + i : NULL; }
static const tok_offset no_off = {0, 0};

/* symbols of a piece: ids and their lengths in the library's coordinates */
typedef struct { int32_t *v; uint32_t *len; size_t n, cap; } symvec;

static void sym_push(symvec *w, int32_t id, uint32_t len)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 64;
        w->v = xrealloc(w->v, w->cap * sizeof(int32_t));
        w->len = xrealloc(w->len, w->cap * sizeof(uint32_t));
    }
    w->v[w->n] = id;
    w->len[w->n++] = len;
}

/* Pieces longer than this merge with a heap instead of rescanning. */
int tok_heap_min = 48;

/* Min-heap of candidate merges ordered by (rank, left position): the
 * order the simple loop below would pick them in, in O(n log n). */
typedef struct { int32_t rank, left, right; } cand;

static void heap_push(cand *h, size_t *n, cand c)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p].rank < c.rank || (h[p].rank == c.rank && h[p].left <= c.left)) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = c;
}

static cand heap_pop(cand *h, size_t *n)
{
    cand top = h[0], last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const cand *best = &last;
        if (l < *n && (h[l].rank < best->rank || (h[l].rank == best->rank && h[l].left < best->left))) { m = l; best = &h[l]; }
        if (r < *n && (h[r].rank < best->rank || (h[r].rank == best->rank && h[r].left < best->left))) { m = r; best = &h[r]; }
        if (m == i) break;
        h[i] = h[m];
        i = m;
    }
    if (*n) h[i] = last;
    return top;
}

/* Merge w[0..n) in place with a heap; returns the new length. */
static size_t bpe_merge_heap(const tokenizer *t, int32_t *w, uint32_t *len, size_t n)
{
    int32_t *nx = xmalloc(sizeof(int32_t) * n), *pv = xmalloc(sizeof(int32_t) * n);
    uint8_t *dead = xcalloc(n, 1);
    cand *h = xmalloc(sizeof(cand) * (3 * n + 1));   /* n-1 initial + 2 per merge */
    size_t hn = 0;
    for (size_t i = 0; i < n; i++) { nx[i] = (int32_t)i + 1; pv[i] = (int32_t)i - 1; }
    for (size_t i = 0; i + 1 < n; i++) {
        const merge_ent *m = tok_merge_find(t, w[i], w[i + 1]);
        if (m) heap_push(h, &hn, (cand){m->rank, (int32_t)i, (int32_t)i + 1});
    }
    while (hn) {
        cand c = heap_pop(h, &hn);
        if (dead[c.left] || nx[c.left] != c.right) continue;   /* stale */
        const merge_ent *m = tok_merge_find(t, w[c.left], w[c.right]);
        if (!m || m->rank != c.rank) continue;
        w[c.left] = m->id;
        len[c.left] += len[c.right];
        dead[c.right] = 1;
        nx[c.left] = nx[c.right];
        if (nx[c.right] < (int32_t)n) pv[nx[c.right]] = c.left;
        int32_t p = pv[c.left], q = nx[c.left];
        const merge_ent *a = p >= 0 ? tok_merge_find(t, w[p], w[c.left]) : NULL;
        const merge_ent *b = q < (int32_t)n ? tok_merge_find(t, w[c.left], w[q]) : NULL;
        if (a) heap_push(h, &hn, (cand){a->rank, p, c.left});
        if (b) heap_push(h, &hn, (cand){b->rank, c.left, q});
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!dead[i]) { w[k] = w[i]; len[k++] = len[i]; }
    free(nx); free(pv); free(dead); free(h);
    return k;
}

/* A character (or an invalid byte) with no token: SentencePiece's byte
 * fallback to <0xNN> tokens (length 1 each), else the unknown token (one
 * for a run when fuse_unk, its length the run's; a pending one is written
 * when a known character follows), else dropped, as the library does. */
static void unknown_char(const tokenizer *t, const unsigned char *c, size_t k, symvec *w, uint32_t *pending)
{
    if (t->byte_fallback) {
        size_t j = 0;
        while (j < k && t->fallback[c[j]] >= 0) j++;
        if (j == k) {
            for (j = 0; j < k; j++) sym_push(w, t->fallback[c[j]], 1);
            return;
        }
    }
    if (t->unk_id < 0) return;
    if (*pending && !t->fuse_unk) { sym_push(w, t->unk_id, *pending); *pending = 0; }
    *pending += (uint32_t)k;
}

/* length of byte b written as its GPT-2 character */
static uint32_t bl_len(unsigned char b) { return bl_codepoint(b) < 0x80 ? 1 : 2; }

/* The piece's initial symbols: bytes (byte-level) or characters. */
static void init_symbols(const tokenizer *t, const char *s, size_t n, symvec *w)
{
    uint32_t pending = 0;
    for (size_t i = 0; i < n;) {
        size_t k = 1;
        int32_t id;
        if (t->byte_level) id = t->byte_id[(unsigned char)s[i]];
        else {
            un_utf8_next(s + i, n - i, &k);
            id = tok_lookup(t, s + i, k);
        }
        if (id >= 0) {
            if (pending) { sym_push(w, t->unk_id, pending); pending = 0; }
            sym_push(w, id, t->byte_level ? bl_len((unsigned char)s[i]) : (uint32_t)k);
        } else if (t->byte_level) {   /* the byte's character, as the library sees it */
            unsigned char u[4];
            size_t ul = un_utf8_put((uint32_t)bl_codepoint((unsigned char)s[i]), (char *)u);
            unknown_char(t, u, ul, w, &pending);
        } else unknown_char(t, (const unsigned char *)s + i, k, w, &pending);
        i += k;
    }
    if (pending) sym_push(w, t->unk_id, pending);
}

/* Byte-level: the input byte at library position p of the piece; positions
 * asked for never decrease, so a cursor (byte *i starting at *pos) walks
 * the piece once. */
static size_t bl_byte_at(const char *s, size_t n, size_t p, size_t *i, size_t *pos)
{
    while (*i + 1 < n && *pos + bl_len((unsigned char)s[*i]) <= p) { *pos += bl_len((unsigned char)s[*i]); (*i)++; }
    return *i;
}

/* WordPiece and Unigram (tokenizer_models.c): their spans to ids and offsets */
static void model_piece(const tokenizer *t, const char *s, size_t n, const tok_offset *al, enc_out *out)
{
    tok_span *v = NULL;
    size_t k = t->model == MODEL_WORDPIECE ? tok_wordpiece(t, s, n, &v) : tok_unigram(t, s, n, &v);
    for (size_t i = 0; i < k; i++)
        push(out, v[i].id, al ? (tok_offset){al[v[i].b].start, al[v[i].e - 1].end} : no_off);
    free(v);
}

static void bpe_piece(const tokenizer *t, const char *s, size_t n, const tok_offset *al, enc_out *out)
{
    if (n == 0) return;
    if (t->model != MODEL_BPE) { model_piece(t, s, n, al, out); return; }
    symvec sym = {0};
    int32_t whole = t->ignore_merges ? tok_lookup(t, s, n) : -1;
    if (whole >= 0) {
        uint32_t total = 0;
        for (size_t i = 0; i < n; i++) total += t->byte_level ? bl_len((unsigned char)s[i]) : 1;
        sym_push(&sym, whole, total);
    } else init_symbols(t, s, n, &sym);
    int32_t *w = sym.v;
    uint32_t *len = sym.len;
    size_t k = sym.n;
    if (whole < 0 && t->nmerges && k > (size_t)tok_heap_min) k = bpe_merge_heap(t, w, len, k);
    else
        while (whole < 0 && k > 1) {   /* lowest rank first, leftmost among equals */
            int best = -1;
            int32_t best_rank = INT32_MAX, best_id = -1;
            for (size_t i = 0; i + 1 < k; i++) {
                const merge_ent *m = tok_merge_find(t, w[i], w[i + 1]);
                if (m && m->rank < best_rank) { best_rank = m->rank; best = (int)i; best_id = m->id; }
            }
            if (best < 0) break;
            w[best] = best_id;
            len[best] += len[best + 1];
            memmove(w + best + 1, w + best + 2, (k - best - 2) * sizeof(int32_t));
            memmove(len + best + 1, len + best + 2, (k - best - 2) * sizeof(uint32_t));
            k--;
        }
    size_t pos = 0, ci = 0, cpos = 0;
    if (!al)
        for (size_t i = 0; i < k; i++) push(out, w[i], no_off);
    for (size_t i = 0; al && i < k; i++) {
        size_t p = pos, q = pos + len[i] - 1;   /* first and last position */
        pos += len[i];
        if (t->byte_level) { p = bl_byte_at(s, n, p, &ci, &cpos); q = bl_byte_at(s, n, q, &ci, &cpos); }
        if (p >= n) p = n - 1;
        if (q >= n) q = n - 1;
        push(out, w[i], (tok_offset){al[p].start, al[q].end});
    }
    free(sym.v);
    free(sym.len);
}

static void pretok(const tokenizer *t, int step, const char *s, size_t n, const tok_offset *al, int at0, enc_out *out);
static void split_regex(const tokenizer *t, int step, const char *s, size_t n, const tok_offset *al, int at0,
                        enc_out *out);

/* Metaspace: spaces -> the replacement (aligned to the space), the
 * replacement prepended as the scheme says (aligned to the first
 * character), then (split) cut before each replacement character. */
static void metaspace(const tokenizer *t, int step, const char *s, size_t n, const tok_offset *al, int at0, enc_out *out)
{
    const pre_step *p = &t->pre[step];
    size_t cap = n * p->replen + p->replen + 1;
    char *buf = xmalloc(cap);
    tok_offset *ba = al ? xmalloc(sizeof *ba * cap) : NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t w = s[i] == ' ' ? p->replen : 1;
        if (s[i] == ' ') memcpy(buf + k, p->rep, p->replen);
        else buf[k] = s[i];
        for (size_t j = 0; ba && j < w; j++) ba[k + j] = al[i];
        k += w;
    }
    int starts = k >= p->replen && !memcmp(buf, p->rep, p->replen);
    if (!starts && (p->scheme == SCHEME_ALWAYS || (p->scheme == SCHEME_FIRST && at0))) {
        memmove(buf + p->replen, buf, k);
        memcpy(buf, p->rep, p->replen);
        if (ba) {
            memmove(ba + p->replen, ba, k * sizeof *ba);
            for (size_t j = 0; j < p->replen; j++) ba[j] = ba[p->replen];
        }
        k += p->replen;
    }
    size_t last = 0;
    if (p->split)
        for (size_t i = 1; i + p->replen <= k; i++)
            if (!memcmp(buf + i, p->rep, p->replen)) {
                if (i > last) pretok(t, step + 1, buf + last, i - last, at_al(ba, last), at0 && last == 0, out);
                last = i;
            }
    pretok(t, step + 1, buf + last, k - last, at_al(ba, last), at0 && last == 0, out);
    free(buf);
    free(ba);
}

/* Apply pre-tokenizer step `step` then the next steps, then BPE.  at0:
 * this text starts at offset 0 of the input (Metaspace "first"). */
static void pretok(const tokenizer *t, int step, const char *s, size_t n, const tok_offset *al, int at0, enc_out *out)
{
    if (n == 0) return;   /* the library drops empty pieces */
    if (step >= t->npre) { bpe_piece(t, s, n, al, out); return; }
    const pre_step *p = &t->pre[step];
    if (p->kind == PRE_METASPACE) { metaspace(t, step, s, n, al, at0, out); return; }
    if (p->kind == PRE_PREFIX_SPACE) {   /* ByteLevel add_prefix_space */
        if (s[0] == ' ') { pretok(t, step + 1, s, n, al, at0, out); return; }
        char *tmp = xmalloc(n + 1);
        tok_offset *ta = al ? xmalloc(sizeof *ta * (n + 1)) : NULL;
        tmp[0] = ' ';
        memcpy(tmp + 1, s, n);
        if (ta) { ta[0] = al[0]; memcpy(ta + 1, al, sizeof *ta * n); }
        pretok(t, step + 1, tmp, n + 1, ta, at0, out);
        free(tmp);
        free(ta);
        return;
    }
    split_regex(t, step, s, n, al, at0, out);
}

/* A regex split as the library's NormalizedString::split does it: the
 * string becomes a list of spans, each a match or the gap before one (onig's
 * find_iter: an empty match right where the previous match ended is
 * skipped, one at the start or after a gap is kept); invert swaps the two
 * kinds; the behaviour then drops matches (Removed), keeps every span
 * (Isolated), glues each match to the span before it (MergedWithPrevious)
 * or after it (MergedWithNext), or glues runs of spans of the same kind
 * (Contiguous); empty pieces are dropped. */
typedef struct { size_t b, e; int m; } span;

static void span_push(span **v, size_t *n, size_t *cap, size_t b, size_t e, int m)
{
    if (*n == *cap) { *cap = *cap ? *cap * 2 : 32; *v = xrealloc(*v, sizeof **v * *cap); }
    (*v)[(*n)++] = (span){b, e, m};
}

static void split_regex(const tokenizer *t, int step, const char *s, size_t n, const tok_offset *al, int at0,
                        enc_out *out)
{
    const pre_step *p = &t->pre[step];
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(p->re, NULL);
    span *v = NULL;
    size_t nv = 0, cap = 0, at = 0, prev = 0;
    long last_end = -1;
    while (at <= n) {
        int rc = pcre2_match(p->re, (PCRE2_SPTR)s, n, at, 0, md, relimit_context());
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) tok_regex_die("pre-tokenizer", rc);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t b = ov[0], e = ov[1];
        if (e == b && last_end == (long)e) {   /* empty, right after the last match: step one character */
            at = e + 1;
            while (at < n && ((unsigned char)s[at] & 0xc0) == 0x80) at++;
            continue;
        }
        if (b > prev) span_push(&v, &nv, &cap, prev, b, 0);
        span_push(&v, &nv, &cap, b, e, 1);
        prev = at = e;
        last_end = (long)e;
    }
    pcre2_match_data_free(md);
    if (prev < n) span_push(&v, &nv, &cap, prev, n, 0);
    size_t k = 0;
    int prev_m = 0;
    if (p->behavior == SPLIT_MERGED_NEXT) {   /* right to left, as the library folds it */
        for (size_t j = nv; j-- > 0;) {
            int m = v[j].m ^ p->invert;
            if (m && !prev_m && k) v[nv - k].b = v[j].b;   /* into the span after it */
            else { k++; v[nv - k] = (span){v[j].b, v[j].e, 0}; }
            prev_m = m;
        }
        memmove(v, v + nv - k, sizeof *v * k);
    } else
        for (size_t j = 0; j < nv; j++) {
            int m = v[j].m ^ p->invert;
            if (p->behavior == SPLIT_REMOVED) { if (!m) v[k++] = v[j]; continue; }
            if (p->behavior == SPLIT_ISOLATED) { v[k++] = v[j]; continue; }
            int glue = p->behavior == SPLIT_MERGED_PREV ? m && !prev_m : m == prev_m;
            if (glue && k) v[k - 1].e = v[j].e;
            else v[k++] = v[j];
            prev_m = m;
        }
    for (size_t j = 0; j < k; j++)
        if (v[j].e > v[j].b) pretok(t, step + 1, s + v[j].b, v[j].e - v[j].b, at_al(al, v[j].b), at0 && v[j].b == 0, out);
    free(v);
}

/* The longest added token of the given kind (normalized or not) at s[i],
 * matched against its content (raw) or normalized content; -1 if none. */
static int added_at(const tokenizer *t, const char *s, size_t n, size_t i, int normalized)
{
    int best = -1;
    if (!(t->added_first[(unsigned char)s[i]] & (normalized ? 2 : 1))) return -1;
    size_t best_len = 0;
    for (int a = 0; a < t->nadded; a++) {
        const added_tok *at = &t->added[a];
        if (at->normalized != normalized) continue;
        const char *txt = normalized ? at->ntext : at->text;
        size_t len = normalized ? at->nlen : at->len;
        if (len > best_len && len <= n - i && txt[0] == s[i] && !memcmp(txt, s + i, len)) { best = a; best_len = len; }
    }
    return best;
}

static size_t ws_back(const char *s, size_t from, size_t floor)
{
    while (from > floor) {
        size_t p = from - 1, k;
        while (p > floor && ((unsigned char)s[p] & 0xc0) == 0x80) p--;
        int32_t c = un_utf8_next(s + p, from - p, &k);
        if (c < 0 || p + k != from || !tok_is_ws((uint32_t)c)) break;
        from = p;
    }
    return from;
}

static size_t ws_fwd(const char *s, size_t from, size_t n)
{
    size_t k;
    while (from < n) {
        int32_t c = un_utf8_next(s + from, n - from, &k);
        if (c < 0 || !tok_is_ws((uint32_t)c)) break;
        from += k;
    }
    return from;
}

/* Split s on added tokens of one kind; the text between goes to
 * pretok (normalized pass) or to normalize_segment (raw pass).  An added
 * token's offsets are its match, with the whitespace lstrip/rstrip took. */
static void normalize_segment(const tokenizer *t, const char *s, size_t n, const tok_offset *al, int at0,
                              int special, enc_out *out);

static void split_added(const tokenizer *t, const char *s, size_t n, const tok_offset *al, int at0,
                        int normalized, int special, enc_out *out)
{
    size_t seg = 0, i = 0;
    while (i < n) {
        int a = special ? added_at(t, s, n, i, normalized) : -1;
        if (a < 0) { i++; continue; }
        const added_tok *at = &t->added[a];
        size_t b = at->lstrip ? ws_back(s, i, seg) : i;
        size_t e = i + (normalized ? at->nlen : at->len);
        if (at->rstrip) e = ws_fwd(s, e, n);
        if (normalized) pretok(t, 0, s + seg, b - seg, at_al(al, seg), at0 && seg == 0, out);
        else normalize_segment(t, s + seg, b - seg, at_al(al, seg), at0 && seg == 0, special, out);
        push(out, at->id, al ? (tok_offset){al[b].start, al[e - 1].end} : no_off);
        i = seg = e;
    }
    if (normalized) pretok(t, 0, s + seg, n - seg, at_al(al, seg), at0 && seg == 0, out);
    else normalize_segment(t, s + seg, n - seg, at_al(al, seg), at0 && seg == 0, special, out);
}

static void normalize_segment(const tokenizer *t, const char *s, size_t n, const tok_offset *al, int at0,
                              int special, enc_out *out)
{
    if (n == 0) return;
    size_t nl;
    tok_offset *nal = NULL;
    char *norm = tok_normalize(t, s, n, al, &nl, al ? &nal : NULL);
    if (norm) split_added(t, norm, nl, nal, at0, 1, special && t->nadded_norm, out);
    else split_added(t, s, n, al, at0, 1, special && t->nadded_norm, out);
    free(norm);
    free(nal);
}

/* How many leading (or trailing) characters of a token's string are spaces
 * for the ByteLevel post-processor: "Ġ" (a space byte in byte-level mode,
 * where s holds raw bytes) or Unicode whitespace. */
static size_t count_spaces(const char *s, size_t n, int raw_space_bytes, int from_end)
{
    size_t c = 0, k;
    if (raw_space_bytes) {
        if (!from_end) while (c < n && s[c] == ' ') c++;
        else while (c < n && s[n - 1 - c] == ' ') c++;
        return c;
    }
    if (!from_end) {
        for (size_t i = 0; i < n; i += k) {
            int32_t cp = un_utf8_next(s + i, n - i, &k);
            if (cp != 0x120 && (cp < 0 || !tok_is_ws((uint32_t)cp))) break;
            c++;
        }
        return c;
    }
    size_t e = n;
    while (e > 0) {
        size_t p = e - 1;
        while (p > 0 && ((unsigned char)s[p] & 0xc0) == 0x80) p--;
        int32_t cp = un_utf8_next(s + p, e - p, &k);
        if (p + k != e || (cp != 0x120 && (cp < 0 || !tok_is_ws((uint32_t)cp)))) break;
        c++;
        e = p;
    }
    return c;
}

/* p moved k characters forward (back: k > 0 steps toward 0) in s; *moved
 * says how many whole characters it could move */
static size_t char_step(const char *s, size_t n, size_t p, size_t k, int back, size_t *moved)
{
    size_t m = 0, len;
    while (m < k && (back ? p > 0 : p < n)) {
        if (back) {
            p--;
            while (p > 0 && ((unsigned char)s[p] & 0xc0) == 0x80) p--;
        } else {
            un_utf8_next(s + p, n - p, &len);
            p += len;
        }
        m++;
    }
    if (moved) *moved = m;
    return p;
}

/* The ByteLevel post-processor's trim_offsets (the library's
 * process_offsets): an added token's string is the text it matched.  The
 * library (its Node and Python bindings, whose offsets the fixtures record)
 * turns offsets into character offsets before the post-processor runs, so
 * the leading / trailing space count moves them by characters of the
 * original text: where a normalizer made " " of a multi-byte space (NFKD of
 * U+3000), the trimmed start lies past that whole character. */
static void trim_offsets(const tokenizer *t, const char *s, size_t n, enc_out *o)
{
    for (size_t i = 0; i < o->n; i++) {
        tok_offset *f = &o->o[i];
        int32_t id = o->v[i];
        int added = tok_is_added(t, id);
        const char *str = added ? s + f->start : t->bytes[id];
        size_t len = added ? f->end - f->start : t->blen[id];
        int raw = !added && t->byte_level;
        size_t lead = count_spaces(str, len, raw, 0), trail = count_spaces(str, len, raw, 1), moved;
        if (lead) {
            int first = i == 0 || f->start == 0;
            if (first && t->post_trim_prefix && lead == 1) lead = 0;
            size_t st = char_step(s, n, f->start, lead, 0, NULL);
            f->start = st < f->end ? st : f->end;
        }
        if (trail) {
            size_t e = char_step(s, n, f->end, trail, 1, &moved);
            if (moved == trail) f->end = e > f->start ? e : f->start;   /* the library: end >= trail */
        }
    }
}

long tok_encode_offsets(const tokenizer *t, const char *s, size_t n, int flags,
                        int32_t **ids, tok_offset **offs, char *err, size_t el)
{
    int track = offs != NULL;
    enc_out core = {.track = track}, out = {.track = track};
    int special = flags & TOK_SPLIT_SPECIAL;
    tok_offset *al = NULL;
    if (track) {
        al = xmalloc(sizeof *al * (n + 1));
        for (size_t i = 0, k; i < n; i += k) {   /* each byte: its character's span */
            un_utf8_next(s + i, n - i, &k);
            for (size_t j = 0; j < k; j++) al[i + j] = (tok_offset){i, i + k};
        }
    }
    split_added(t, s, n, al, 1, 0, special, &core);
    free(al);
    if (track && t->post_trim) trim_offsets(t, s, n, &core);
    const tok_offset zero = {0, 0};
    if (flags & TOK_ADD_SPECIAL)
        for (int i = 0; i < t->npost_pre; i++) push(&out, t->post_pre[i], zero);
    for (size_t i = 0; i < core.n; i++) push(&out, core.v[i], track ? core.o[i] : zero);
    if (flags & TOK_ADD_SPECIAL)
        for (int i = 0; i < t->npost_suf; i++) push(&out, t->post_suf[i], zero);
    free(core.v);
    free(core.o);
    *ids = out.v ? out.v : xmalloc(sizeof(int32_t));
    if (offs) *offs = out.o ? out.o : xmalloc(sizeof(tok_offset));
    (void)err; (void)el;
    return (long)out.n;
}

long tok_encode(const tokenizer *t, const char *s, size_t n, int flags,
                int32_t **ids, char *err, size_t el)
{
    return tok_encode_offsets(t, s, n, flags, ids, NULL, err, el);
}
