/*
 * tokenizer_precompiled.c — the Precompiled normalizer: SentencePiece's
 * own normalization rules, carried in tokenizer.json as
 * "precompiled_charsmap" (T5, mT5, ALBERT, XLNet, XLM-R, Marian ...).
 *
 * The charsmap (base64 in the file) is SentencePiece's compiled rule set:
 *   u32 little-endian  trie_size, in bytes
 *   trie_size / 4      u32 little-endian units of a double-array trie
 *                      (darts-clone layout) over the UTF-8 bytes of the
 *                      source strings
 *   the rest           the replacement strings, each ended by a NUL; a
 *                      trie leaf's value is the byte offset of its string.
 * A unit's fields: bits 0-7 and 31 the label, bit 8 "has a leaf", bits
 * 10-31 an offset, shifted left 8 more when bit 9 is set.  Walking from
 * unit 0: pos ^= offset(unit); for each key byte c, pos ^= c, the unit
 * there must carry label c, pos ^= its offset, and when it has a leaf the
 * unit at pos holds the value (low 31 bits).  A NUL byte ends the key.
 *
 * How the Hugging Face library applies it (its Precompiled normalizer, which
 * is what this must reproduce byte for byte): the text is cut into
 * extended grapheme clusters; a cluster shorter than 6 bytes is looked up
 * whole, and when any prefix of it is in the trie, the *shortest* such
 * prefix's replacement stands for the whole cluster; otherwise (or for
 * longer clusters) each character is looked up on its own.  Replacements
 * go through NormalizedString::transform as tokenizers 0.23.2 builds them
 * (the fixtures' offsets are its): each new character replaces (change
 * 0), the extra ones of a longer replacement are insertions (1, sharing
 * the alignment before them), and a shorter one makes the last character
 * pushed so far remove the difference.  A replacement by nothing (control
 * characters) thus makes the character before it swallow the removed ones;
 * at the very start of a piece there is none, and the removal is not
 * recorded: the alignment of everything after it lags one character
 * behind, as the library's does.
 *
 * Clusters come from PCRE2's \X (Unicode 14 in Debian's PCRE2; the
 * library's segmenter is newer).  Only clusters under 6 bytes are treated
 * as a unit, and the later rules (Indic conjunct joining, Unicode 15.1)
 * only join clusters of 9 bytes or more, so the difference cannot show.
 * Pure-ASCII text takes a fast path (each byte its own cluster, CR LF
 * together).
 *
 * A charsmap the library cannot parse (too short, replacements that are
 * not UTF-8) is refused at load; trie positions outside the array end a
 * lookup (no replacement) instead of reading past it.
 */
#include "tokenizer_int.h"
#include "text/relimit.h"
#include "text/unicode_norm.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static int b64v(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* standard alphabet, padded (as the library's decoder requires) */
static unsigned char *b64_decode(const char *s, size_t n, size_t *out)
{
    if (n % 4) return NULL;
    unsigned char *r = xmalloc(n / 4 * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int j = 0; j < 4; j++) {
            unsigned char c = (unsigned char)s[i + j];
            if (c == '=' && i + 4 == n && j >= 2) { v[j] = 0; pad++; continue; }
            if (pad || (v[j] = b64v(c)) < 0) { free(r); return NULL; }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        r[o++] = (unsigned char)(w >> 16);
        if (pad < 2) r[o++] = (unsigned char)(w >> 8);
        if (pad < 1) r[o++] = (unsigned char)w;
    }
    *out = o;
    return r;
}

int tok_precompiled_load(norm_step *st, const char *b64, size_t n, char *err, size_t el)
{
    size_t len;
    unsigned char *blob = b64_decode(b64, n, &len);
    if (!blob) return tok_fail(err, el, "Precompiled normalizer: precompiled_charsmap is not base64");
    if (len < 4) { free(blob); return tok_fail(err, el, "Precompiled normalizer: precompiled_charsmap too short"); }
    size_t tsize = (size_t)blob[0] | (size_t)blob[1] << 8 | (size_t)blob[2] << 16 | (size_t)blob[3] << 24;
    size_t nunits = tsize / 4;
    if (nunits == 0 || nunits > (len - 4) / 4) {
        free(blob);
        return tok_fail(err, el, "Precompiled normalizer: precompiled_charsmap's trie (%zu bytes) does not fit in "
                        "its %zu bytes", tsize, len);
    }
    st->trie = xmalloc(sizeof *st->trie * nunits);
    for (size_t i = 0; i < nunits; i++) {
        const unsigned char *u = blob + 4 + 4 * i;
        st->trie[i] = (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
    }
    st->ntrie = nunits;
    size_t nb = 4 + 4 * nunits;
    st->al = len - nb;
    st->a = xmalloc(st->al + 1);
    memcpy(st->a, blob + nb, st->al);
    st->a[st->al] = 0;
    free(blob);
    if (!utf8_valid(st->a, st->al))
        return tok_fail(err, el, "Precompiled normalizer: the replacement strings are not UTF-8");
    int ec;
    PCRE2_SIZE eo;
    st->re = pcre2_compile((PCRE2_SPTR) "\\X", 2, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_ANCHORED, &ec, &eo, NULL);
    if (!st->re) return tok_fail(err, el, "Precompiled normalizer: cannot compile the grapheme pattern");
    pcre2_jit_compile(st->re, PCRE2_JIT_COMPLETE);   /* without JIT it still works, slower */
    return 0;
}

/* The replacement of the shortest prefix of key[0..n) in the trie: its
 * offset into the strings and *rl, or -1 when no prefix is there. */
static long lookup(const norm_step *st, const char *key, size_t n, size_t *rl)
{
    const uint32_t *a = st->trie;
    size_t na = st->ntrie;
#define OFFSET(u) ((size_t)((u) >> 10) << (((u) & (1u << 9)) >> 6))
    size_t pos = OFFSET(a[0]);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (!c) break;
        pos ^= c;
        if (pos >= na) return -1;
        uint32_t u = a[pos];
        if ((u & ((1u << 31) | 0xffu)) != c) return -1;
        pos ^= OFFSET(u);
        if ((u >> 8) & 1) {
            if (pos >= na) return -1;
            size_t v = a[pos] & ((1u << 31) - 1);
            if (v > st->al || (v < st->al && ((unsigned char)st->a[v] & 0xc0) == 0x80)) return -1;
            *rl = strnlen(st->a + v, st->al - v);
            return (long)v;
        }
    }
#undef OFFSET
    return -1;
}

/* the transformation list: one code point each (0x110000 + b: a byte that
 * is not UTF-8, kept as it is) with the library's change value */
typedef struct { uint32_t cp; int chg; } tchar;
typedef struct { tchar *v; size_t n, cap; } tlist;

static void tpush(tlist *l, uint32_t cp, int chg)
{
    if (l->n == l->cap) { l->cap = l->cap ? 2 * l->cap : 64; l->v = xrealloc(l->v, sizeof *l->v * l->cap); }
    l->v[l->n++] = (tchar){cp, chg};
}

static size_t nchars(const char *s, size_t n)
{
    size_t c = 0, k;
    for (size_t i = 0; i < n; i += k, c++) un_utf8_next(s + i, n - i, &k);
    return c;
}

/* a replacement of old_count characters: every new character replaces
 * (change 0); when there are more, the last extra ones are insertions
 * (change 1); when fewer, the last character pushed so far (possibly one
 * before this cluster) also removes the difference */
static void replace(tlist *l, const char *rep, size_t rl, size_t old_count)
{
    size_t k;
    long nc = 0;
    for (size_t p = 0; p < rl; p += k, nc++) {
        int32_t c = un_utf8_next(rep + p, rl - p, &k);   /* the strings were checked: valid */
        tpush(l, (uint32_t)c, 0);
    }
    long diff = nc - (long)old_count;
    if (diff > 0)
        for (long i = 0; i < diff; i++) l->v[l->n - 1 - (size_t)i].chg = 1;
    else if (diff < 0 && l->n) l->v[l->n - 1].chg += (int)diff;
}

/* one grapheme cluster [b, e) of s */
static size_t cluster(const norm_step *st, pcre2_match_data *md, const char *s, size_t n, size_t b)
{
    unsigned char c = (unsigned char)s[b];
    if (c < 0x80 && (b + 1 == n || (unsigned char)s[b + 1] < 0x80))
        return b + 1 < n && c == '\r' && s[b + 1] == '\n' ? b + 2 : b + 1;
    int rc = pcre2_match(st->re, (PCRE2_SPTR)s, n, b, 0, md, relimit_context());
    if (rc == PCRE2_ERROR_NOMATCH) return b + 1;   /* a byte that is not UTF-8 */
    if (rc < 0) tok_regex_die("Precompiled normalizer grapheme", rc);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    return ov[1] > b ? ov[1] : b + 1;
}

char *tok_precompiled_apply(const norm_step *st, const char *s, size_t n, const tok_offset *al, tok_offset origin,
                            size_t *olen, tok_offset **oal)
{
    tlist l = {0};
    int modified = 0;
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    for (size_t b = 0; b < n;) {
        size_t e = cluster(st, md, s, n, b), rl, k;
        long r = e - b < 6 ? lookup(st, s + b, e - b, &rl) : -1;
        if (r >= 0) {
            modified = 1;
            replace(&l, st->a + r, rl, nchars(s + b, e - b));
            b = e;
            continue;
        }
        for (size_t p = b; p < e; p += k) {
            int32_t c = un_utf8_next(s + p, e - p, &k);
            if (c >= 0 && (r = lookup(st, s + p, k, &rl)) >= 0) {
                modified = 1;
                replace(&l, st->a + r, rl, 1);
            } else tpush(&l, c < 0 ? 0x110000u + (unsigned char)s[p] : (uint32_t)c, 0);
        }
        b = e;
    }
    pcre2_match_data_free(md);
    tok_sbuf o = {0};
    tok_put(&o, "", 0);
    tok_offset *a = NULL;
    if (!modified) {
        tok_put(&o, s, n);
        if (al) { a = xmalloc(sizeof *a * (n + 1)); memcpy(a, al, sizeof *a * n); }
    } else {
        /* NormalizedString::transform: a change <= 0 replaces the next
         * source character (and removes -change more), taking its
         * alignment; an insertion takes the alignment of the byte before
         * the current source position ((0, 0) of the piece at its start) */
        size_t cap = 0, off = 0, k;
        for (size_t i = 0; i < l.n; i++) {
            tok_offset al1 = origin;
            if (al) {
                if (l.v[i].chg > 0) al1 = off ? al[off - 1] : (tok_offset){origin.start, origin.start};
                else al1 = al[off < n ? off : n - 1];
            }
            if (l.v[i].chg <= 0) {
                for (long j = 0; j < 1 - (long)(l.v[i].chg < 0 ? l.v[i].chg : 0) && off < n; j++) {
                    un_utf8_next(s + off, n - off, &k);
                    off += k;
                }
            }
            char u[4];
            size_t ul;
            if (l.v[i].cp >= 0x110000u) { u[0] = (char)(l.v[i].cp - 0x110000u); ul = 1; }
            else ul = un_utf8_put(l.v[i].cp, u);
            if (al) {
                if (o.n + ul + 1 > cap) { cap = (o.n + ul + 1) * 2; a = xrealloc(a, sizeof *a * cap); }
                for (size_t j = 0; j < ul; j++) a[o.n + j] = al1;
            }
            tok_put(&o, u, ul);
        }
    }
    free(l.v);
    *olen = o.n;
    if (oal) *oal = a ? a : xmalloc(sizeof(tok_offset));
    else free(a);
    return o.s;
}
