/*
 * tokenizer.c — the tokenizer core shared by the byte tokenizer and
 * tokenizer.json BPE (loaded by tokenizer_bpe.c): the token table (id ->
 * model string), a string -> id hash, the merge table ((left, right) ->
 * (rank, merged id)), the encoding pipeline (added-token splitting in two
 * passes as the Hugging Face library does — raw content first, then the
 * "normalized" added tokens inside normalized text —, pre-tokenization,
 * initial symbols with byte fallback / unknown token, BPE merging, the
 * post-processor's ids) and writing tokenizer.json.  Normalizers live in
 * tokenizer_norm.c, decoders and post-processor loading in tokenizer_sp.c.
 *
 * Invariants: every id below n has its model string in `bytes` (holes have
 * bytes == NULL); byte_id[b] is the token of the single byte b or -1; the
 * merge table holds only merges whose three tokens exist; encoding never
 * fails (a character with no token becomes byte-fallback tokens, the
 * unknown token, or nothing).
 */
#include "tokenizer_int.h"
#include "unicode_norm.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- GPT-2 byte <-> unicode mapping ---- */

int bl_codepoint(int b)
{
    if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255)) return b;
    int n = 0;
    for (int i = 0; i < b; i++)
        if (!((i >= 33 && i <= 126) || (i >= 161 && i <= 172) || (i >= 174 && i <= 255))) n++;
    return 256 + n;
}

int bl_byte(int cp)
{
    static int inv[324];
    static int ready;
    if (!ready) {
        for (int i = 0; i < 324; i++) inv[i] = -1;
        for (int b = 0; b < 256; b++) inv[bl_codepoint(b)] = b;
        ready = 1;
    }
    return cp >= 0 && cp < 324 ? inv[cp] : -1;
}

/* ---- hashing ---- */

static size_t hash_cap_for(size_t n)
{
    size_t c = 16;
    while (c < n * 2 + 16) c <<= 1;
    return c;
}

void tok_index_build(tokenizer *t)
{
    free(t->idx);
    t->idx_cap = hash_cap_for((size_t)t->n);
    t->idx = xmalloc(sizeof(int32_t) * t->idx_cap);
    for (size_t i = 0; i < t->idx_cap; i++) t->idx[i] = -1;
    for (int id = 0; id < t->n; id++) {
        if (!t->bytes[id] || tok_is_special(t, id) || (t->nonmodel && t->nonmodel[id])) continue;
        size_t h = hash64(t->bytes[id], t->blen[id], 0) & (t->idx_cap - 1);
        while (t->idx[h] >= 0) {
            int o = t->idx[h];
            if (t->blen[o] == t->blen[id] && !memcmp(t->bytes[o], t->bytes[id], t->blen[id])) break;
            h = (h + 1) & (t->idx_cap - 1);
        }
        if (t->idx[h] < 0) t->idx[h] = id;   /* first id wins for duplicates */
    }
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        t->byte_id[b] = tok_lookup(t, &c, 1);
    }
}

int32_t tok_lookup(const tokenizer *t, const char *s, size_t n)
{
    if (!t->idx) return -1;
    size_t h = hash64(s, n, 0) & (t->idx_cap - 1);
    while (t->idx[h] >= 0) {
        int o = t->idx[h];
        if (t->blen[o] == n && !memcmp(t->bytes[o], s, n)) return o;
        h = (h + 1) & (t->idx_cap - 1);
    }
    return -1;
}

static uint64_t pair_key(int32_t a, int32_t b) { return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b; }

void tok_merge_add(tokenizer *t, int32_t a, int32_t b, int32_t out)
{
    if ((size_t)(t->nmerges + 1) * 2 > t->mcap) {
        size_t ncap = t->mcap ? t->mcap * 2 : 1024;
        merge_ent *nm = xmalloc(sizeof *nm * ncap);
        for (size_t i = 0; i < ncap; i++) nm[i].rank = -1;
        for (size_t i = 0; i < t->mcap; i++)
            if (t->merges[i].rank >= 0) {
                size_t h = mix64(t->merges[i].key) & (ncap - 1);
                while (nm[h].rank >= 0) h = (h + 1) & (ncap - 1);
                nm[h] = t->merges[i];
            }
        free(t->merges);
        t->merges = nm;
        t->mcap = ncap;
    }
    uint64_t k = pair_key(a, b);
    size_t h = mix64(k) & (t->mcap - 1);
    while (t->merges[h].rank >= 0) {
        if (t->merges[h].key == k) return;   /* keep the first (best) rank */
        h = (h + 1) & (t->mcap - 1);
    }
    t->merges[h].key = k;
    t->merges[h].rank = t->nmerges++;
    t->merges[h].id = out;
}

static const merge_ent *merge_find(const tokenizer *t, int32_t a, int32_t b)
{
    if (!t->mcap) return NULL;
    uint64_t k = pair_key(a, b);
    size_t h = mix64(k) & (t->mcap - 1);
    while (t->merges[h].rank >= 0) {
        if (t->merges[h].key == k) return &t->merges[h];
        h = (h + 1) & (t->mcap - 1);
    }
    return NULL;
}

/* ---- the byte tokenizer ---- */

static const char *byte_specials[] = {"<|system|>", "<|user|>", "<|assistant|>", "</s>", "<pad>"};

tokenizer *tok_byte_new(void)
{
    tokenizer *t = xcalloc(1, sizeof *t);
    t->is_byte = t->byte_level = 1;
    t->unk_id = -1;
    for (int b = 0; b < 256; b++) t->fallback[b] = -1;
    t->n = 256 + 5;
    t->bytes = xcalloc(t->n, sizeof(char *));
    t->blen = xcalloc(t->n, sizeof(uint32_t));
    for (int b = 0; b < 256; b++) {
        t->bytes[b] = xmalloc(1);
        t->bytes[b][0] = (char)b;
        t->blen[b] = 1;
    }
    t->added = xcalloc(5, sizeof *t->added);
    for (int i = 0; i < 5; i++) {
        added_tok *a = &t->added[t->nadded++];
        a->text = xstrdup(byte_specials[i]);
        a->len = strlen(a->text);
        a->id = 256 + i;
        a->special = 1;
        t->bytes[a->id] = xstrdup(a->text);
        t->blen[a->id] = (uint32_t)a->len;
    }
    t->eos = xstrdup("</s>");
    t->has_decoder = t->ndec = 1;   /* as saved: a ByteLevel decoder */
    t->dec = xcalloc(1, sizeof *t->dec);
    t->dec[0].kind = DEC_BYTELEVEL;
    tok_index_build(t);
    return t;
}

void tok_free(tokenizer *t)
{
    if (!t) return;
    for (int i = 0; i < t->n; i++) free(t->bytes[i]);
    free(t->bytes); free(t->blen); free(t->idx); free(t->merges);
    for (int i = 0; i < t->nadded; i++) { free(t->added[i].text); free(t->added[i].ntext); }
    free(t->added);
    for (int i = 0; i < t->npre; i++)
        if (t->pre[i].re) pcre2_code_free(t->pre[i].re);
    free(t->pre);
    free(t->nonmodel);
    tok_norm_free(t);
    tok_sp_free(t);
    free(t->json_text);
    free(t->eos);
    free(t);
}

/* ---- queries ---- */

int tok_vocab_size(const tokenizer *t) { return t->n; }
int tok_num_merges(const tokenizer *t) { return t->nmerges; }
int tok_num_added(const tokenizer *t) { return t->nadded; }
const char *tok_kind(const tokenizer *t) { return t->is_byte ? "byte" : "bpe"; }
const char *tok_eos(const tokenizer *t) { return t->eos; }

int tok_is_special(const tokenizer *t, int32_t id)
{
    for (int i = 0; i < t->nadded; i++)
        if (t->added[i].id == id) return t->added[i].special;
    return 0;
}

int tok_id(const tokenizer *t, const char *text)
{
    for (int i = 0; i < t->nadded; i++)
        if (!strcmp(t->added[i].text, text)) return t->added[i].id;
    return tok_lookup(t, text, strlen(text));
}

const char *tok_piece(const tokenizer *t, int32_t id, size_t *len)
{
    if (id < 0 || id >= t->n || !t->bytes[id]) return NULL;
    if (t->piece && t->piece[id]) { *len = t->plen[id]; return t->piece[id]; }
    *len = t->blen[id];
    return t->bytes[id];
}

int tok_post_ids(const tokenizer *t, const int32_t **before, int *nbefore, const int32_t **after, int *nafter)
{
    *before = t->post_pre; *nbefore = t->npost_pre;
    *after = t->post_suf; *nafter = t->npost_suf;
    return t->npost_pre + t->npost_suf;
}

/* ---- encoding ---- */

typedef struct { int32_t *v; size_t n, cap; } idvec;

static void push(idvec *o, int32_t id)
{
    if (o->n == o->cap) { o->cap = o->cap ? o->cap * 2 : 64; o->v = xrealloc(o->v, o->cap * sizeof(int32_t)); }
    o->v[o->n++] = id;
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
static size_t bpe_merge_heap(const tokenizer *t, int32_t *w, size_t n)
{
    int32_t *nx = xmalloc(sizeof(int32_t) * n), *pv = xmalloc(sizeof(int32_t) * n);
    uint8_t *dead = xcalloc(n, 1);
    cand *h = xmalloc(sizeof(cand) * (3 * n + 1));   /* n-1 initial + 2 per merge */
    size_t hn = 0;
    for (size_t i = 0; i < n; i++) { nx[i] = (int32_t)i + 1; pv[i] = (int32_t)i - 1; }
    for (size_t i = 0; i + 1 < n; i++) {
        const merge_ent *m = merge_find(t, w[i], w[i + 1]);
        if (m) heap_push(h, &hn, (cand){m->rank, (int32_t)i, (int32_t)i + 1});
    }
    while (hn) {
        cand c = heap_pop(h, &hn);
        if (dead[c.left] || nx[c.left] != c.right) continue;   /* stale */
        const merge_ent *m = merge_find(t, w[c.left], w[c.right]);
        if (!m || m->rank != c.rank) continue;
        w[c.left] = m->id;
        dead[c.right] = 1;
        nx[c.left] = nx[c.right];
        if (nx[c.right] < (int32_t)n) pv[nx[c.right]] = c.left;
        int32_t p = pv[c.left], q = nx[c.left];
        const merge_ent *a = p >= 0 ? merge_find(t, w[p], w[c.left]) : NULL;
        const merge_ent *b = q < (int32_t)n ? merge_find(t, w[c.left], w[q]) : NULL;
        if (a) heap_push(h, &hn, (cand){a->rank, p, c.left});
        if (b) heap_push(h, &hn, (cand){b->rank, c.left, q});
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!dead[i]) w[k++] = w[i];
    free(nx); free(pv); free(dead); free(h);
    return k;
}

/* A character (or an invalid byte) with no token: SentencePiece's byte
 * fallback to <0xNN> tokens, else the unknown token (one for a run when
 * fuse_unk; a pending one is written when a known character follows), else
 * dropped, as the library does. */
static void unknown_char(const tokenizer *t, const unsigned char *c, size_t k, idvec *w, int *pending_unk)
{
    if (t->byte_fallback) {
        size_t j = 0;
        while (j < k && t->fallback[c[j]] >= 0) j++;
        if (j == k) {
            for (j = 0; j < k; j++) push(w, t->fallback[c[j]]);
            return;
        }
    }
    if (t->unk_id < 0) return;
    if (*pending_unk && !t->fuse_unk) push(w, t->unk_id);
    *pending_unk = 1;
}

/* The piece's initial symbols: bytes (byte-level) or characters. */
static void init_symbols(const tokenizer *t, const char *s, size_t n, idvec *w)
{
    int pending = 0;
    for (size_t i = 0; i < n;) {
        size_t k = 1;
        int32_t id;
        if (t->byte_level) id = t->byte_id[(unsigned char)s[i]];
        else {
            un_utf8_next(s + i, n - i, &k);
            id = tok_lookup(t, s + i, k);
        }
        if (id >= 0) {
            if (pending) { push(w, t->unk_id); pending = 0; }
            push(w, id);
        } else if (t->byte_level) {   /* the byte's character, as the library sees it */
            unsigned char u[4];
            size_t ul = un_utf8_put((uint32_t)bl_codepoint((unsigned char)s[i]), (char *)u);
            unknown_char(t, u, ul, w, &pending);
        } else unknown_char(t, (const unsigned char *)s + i, k, w, &pending);
        i += k;
    }
    if (pending) push(w, t->unk_id);
}

static void bpe_piece(const tokenizer *t, const char *s, size_t n, idvec *out)
{
    if (n == 0) return;
    if (t->ignore_merges) {
        int32_t whole = tok_lookup(t, s, n);
        if (whole >= 0) { push(out, whole); return; }
    }
    idvec sym = {0};
    init_symbols(t, s, n, &sym);
    int32_t *w = sym.v;
    size_t k = sym.n;
    if (t->nmerges && k > (size_t)tok_heap_min) k = bpe_merge_heap(t, w, k);
    else
        while (k > 1) {   /* lowest rank first, leftmost among equals */
            int best = -1;
            int32_t best_rank = INT32_MAX, best_id = -1;
            for (size_t i = 0; i + 1 < k; i++) {
                const merge_ent *m = merge_find(t, w[i], w[i + 1]);
                if (m && m->rank < best_rank) { best_rank = m->rank; best = (int)i; best_id = m->id; }
            }
            if (best < 0) break;
            w[best] = best_id;
            memmove(w + best + 1, w + best + 2, (k - best - 2) * sizeof(int32_t));
            k--;
        }
    for (size_t i = 0; i < k; i++) push(out, w[i]);
    free(sym.v);
}

static void pretok(const tokenizer *t, int step, const char *s, size_t n, int at0, idvec *out);

/* Metaspace: spaces -> the replacement, the replacement prepended as the
 * scheme says, then (split) cut before each replacement character. */
static void metaspace(const tokenizer *t, int step, const char *s, size_t n, int at0, idvec *out)
{
    const pre_step *p = &t->pre[step];
    char *buf = xmalloc(n * p->replen + p->replen + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ' ') { memcpy(buf + k, p->rep, p->replen); k += p->replen; }
        else buf[k++] = s[i];
    int starts = k >= p->replen && !memcmp(buf, p->rep, p->replen);
    if (!starts && (p->scheme == SCHEME_ALWAYS || (p->scheme == SCHEME_FIRST && at0))) {
        memmove(buf + p->replen, buf, k);
        memcpy(buf, p->rep, p->replen);
        k += p->replen;
    }
    size_t last = 0;
    if (p->split)
        for (size_t i = 1; i + p->replen <= k; i++)
            if (!memcmp(buf + i, p->rep, p->replen)) {
                if (i > last) pretok(t, step + 1, buf + last, i - last, at0 && last == 0, out);
                last = i;
            }
    pretok(t, step + 1, buf + last, k - last, at0 && last == 0, out);
    free(buf);
}

/* Apply pre-tokenizer step `step` then the next steps, then BPE.  at0:
 * this text starts at offset 0 of the input (Metaspace "first"). */
static void pretok(const tokenizer *t, int step, const char *s, size_t n, int at0, idvec *out)
{
    if (n == 0) return;   /* the library drops empty pieces */
    if (step >= t->npre) { bpe_piece(t, s, n, out); return; }
    const pre_step *p = &t->pre[step];
    if (p->kind == PRE_METASPACE) { metaspace(t, step, s, n, at0, out); return; }
    if (p->kind == PRE_PREFIX_SPACE) {   /* ByteLevel add_prefix_space */
        if (s[0] == ' ') { pretok(t, step + 1, s, n, at0, out); return; }
        char *tmp = xmalloc(n + 1);
        tmp[0] = ' ';
        memcpy(tmp + 1, s, n);
        pretok(t, step + 1, tmp, n + 1, at0, out);
        free(tmp);
        return;
    }
    /* regex split, Isolated: matches and the gaps between them are pieces */
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(p->re, NULL);
    size_t at = 0, last = 0;
    while (at <= n) {
        int rc = pcre2_match(p->re, (PCRE2_SPTR)s, n, at, 0, md, NULL);
        if (rc < 0) break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t b = ov[0], e = ov[1];
        if (e == b) {   /* empty match: step over one character */
            at = b + 1;
            while (at < n && ((unsigned char)s[at] & 0xc0) == 0x80) at++;
            continue;
        }
        if (b > last) pretok(t, step + 1, s + last, b - last, at0 && last == 0, out);
        pretok(t, step + 1, s + b, e - b, at0 && b == 0, out);
        last = at = e;
    }
    pcre2_match_data_free(md);
    if (last < n) pretok(t, step + 1, s + last, n - last, at0 && last == 0, out);
}

/* The longest added token of the given kind (normalized or not) at s[i],
 * matched against its content (raw) or normalized content; -1 if none. */
static int added_at(const tokenizer *t, const char *s, size_t n, size_t i, int normalized)
{
    int best = -1;
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
 * pretok (normalized pass) or to normalize_segment (raw pass). */
static void normalize_segment(const tokenizer *t, const char *s, size_t n, int at0, int special, idvec *out);

static void split_added(const tokenizer *t, const char *s, size_t n, int at0, int normalized, int special, idvec *out)
{
    size_t seg = 0, i = 0;
    while (i < n) {
        int a = special ? added_at(t, s, n, i, normalized) : -1;
        if (a < 0) { i++; continue; }
        const added_tok *at = &t->added[a];
        size_t b = at->lstrip ? ws_back(s, i, seg) : i;
        size_t e = i + (normalized ? at->nlen : at->len);
        if (at->rstrip) e = ws_fwd(s, e, n);
        if (normalized) pretok(t, 0, s + seg, b - seg, at0 && seg == 0, out);
        else normalize_segment(t, s + seg, b - seg, at0 && seg == 0, special, out);
        push(out, at->id);
        i = seg = e;
    }
    if (normalized) pretok(t, 0, s + seg, n - seg, at0 && seg == 0, out);
    else normalize_segment(t, s + seg, n - seg, at0 && seg == 0, special, out);
}

static void normalize_segment(const tokenizer *t, const char *s, size_t n, int at0, int special, idvec *out)
{
    if (n == 0) return;
    size_t nl;
    char *norm = tok_normalize(t, s, n, &nl);
    split_added(t, norm ? norm : s, norm ? nl : n, at0, 1, special && t->nadded_norm, out);
    free(norm);
}

long tok_encode(const tokenizer *t, const char *s, size_t n, int flags,
                int32_t **ids, char *err, size_t el)
{
    idvec out = {0};
    int special = flags & TOK_SPLIT_SPECIAL;
    if (flags & TOK_ADD_SPECIAL)
        for (int i = 0; i < t->npost_pre; i++) push(&out, t->post_pre[i]);
    split_added(t, s, n, 1, 0, special, &out);
    if (flags & TOK_ADD_SPECIAL)
        for (int i = 0; i < t->npost_suf; i++) push(&out, t->post_suf[i]);
    *ids = out.v ? out.v : xmalloc(sizeof(int32_t));
    (void)err; (void)el;
    return (long)out.n;
}

/* ---- writing tokenizer.json ---- */

static json_t *byte_tokenizer_json(const tokenizer *t)
{
    json_t *added = json_array();
    for (int i = 0; i < t->nadded; i++)
        json_array_append_new(added, json_pack("{s:i,s:s,s:b,s:b,s:b,s:b,s:b}",
            "id", t->added[i].id, "content", t->added[i].text, "single_word", 0, "lstrip", 0,
            "rstrip", 0, "normalized", 0, "special", t->added[i].special));
    json_t *vocab = json_object();
    for (int b = 0; b < 256; b++) {
        char u[4];
        int cp = bl_codepoint(b), k = 0;
        if (cp < 0x80) u[k++] = (char)cp;
        else { u[k++] = (char)(0xc0 | (cp >> 6)); u[k++] = (char)(0x80 | (cp & 0x3f)); }
        u[k] = 0;
        json_object_set_new(vocab, u, json_integer(b));
    }
    json_t *model = json_pack("{s:s,s:n,s:n,s:n,s:n,s:b,s:b,s:b,s:o,s:[]}",
        "type", "BPE", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix",
        "fuse_unk", 0, "byte_fallback", 0, "ignore_merges", 0, "vocab", vocab, "merges");
    json_t *bl = json_pack("{s:s,s:b,s:b,s:b}", "type", "ByteLevel", "add_prefix_space", 0,
                           "trim_offsets", 1, "use_regex", 0);
    return json_pack("{s:s,s:n,s:n,s:o,s:n,s:o,s:n,s:o,s:o}",
        "version", "1.0", "truncation", "padding", "added_tokens", added, "normalizer",
        "pre_tokenizer", bl, "post_processor", "decoder", json_deep_copy(bl), "model", model);
}

int tok_save(const tokenizer *t, const char *path, char *err, size_t el)
{
    char *text;
    if (t->json_text) text = xstrdup(t->json_text);
    else {
        json_t *j = byte_tokenizer_json(t);
        text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
        json_decref(j);
    }
    size_t tmpcap = strlen(path) + 16;
    char *tmp = xmalloc(tmpcap);
    snprintf(tmp, tmpcap, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    int ok = fd >= 0;
    if (ok) {
        size_t len = strlen(text);
        ok = write(fd, text, len) == (ssize_t)len && fchmod(fd, 0644) == 0 && fsync(fd) == 0;
        ok = (close(fd) == 0) && ok;
        ok = ok && rename(tmp, path) == 0;
        if (!ok) unlink(tmp);
    }
    if (!ok) snprintf(err, el, "cannot write %s", path);
    free(tmp);
    free(text);
    return ok ? 0 : -1;
}
