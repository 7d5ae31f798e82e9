/*
 * unicode_norm.c — NFC: canonical decomposition (recursive, Hangul
 * algorithmic), canonical ordering of combining marks (stable by class),
 * then canonical composition (primary composites only, a mark composes
 * with the last starter unless blocked by a mark of the same or higher
 * class or by a starter in between).
 *
 * Invalid UTF-8 bytes are carried as pseudo code points 0x110000 + byte:
 * starters with no decomposition and no composition, written back as the
 * same byte.  Tables: unicode_norm_table.h (generated, see tools/).
 *
 * Speed.  Text is cut at boundaries: before a character whose full
 * decomposition starts with a class-0 character that is never the second
 * half of a composition (and before invalid bytes).  Nothing reorders or
 * composes across such a point, so NFC(x y) = NFC(x) NFC(y) when y starts
 * at one.  A "stable" character is a boundary that NFC leaves as it is
 * alone (below U+0300, or class 0 with no decomposition, or a Hangul
 * syllable); runs of stable characters are copied, and only the regions
 * from a boundary to the next one that hold something else (a mark, a
 * composition's second half, a decomposable character) are decomposed and
 * recomposed.  Both properties come from bitmaps over U+0000..U+2FFFF built
 * once (pthread_once, so any thread may call first; a few milliseconds);
 * above that the tables are asked directly (in Unicode 15 nothing there
 * decomposes, combines or composes, so that is one comparison).
 */
#include "text/unicode_norm.h"
#include "unicode_norm_table.h"
#include "base/util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RAW_BASE 0x110000u
enum { SBASE = 0xAC00, LBASE = 0x1100, VBASE = 0x1161, TBASE = 0x11A7, LCOUNT = 19, VCOUNT = 21,
       TCOUNT = 28, NCOUNT = VCOUNT * TCOUNT, SCOUNT = LCOUNT * NCOUNT };

int32_t un_utf8_next(const char *s, size_t n, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    *len = 1;
    if (u[0] < 0x80) return u[0];
    int k;
    uint32_t cp, min;
    if ((u[0] & 0xe0) == 0xc0) { k = 2; cp = u[0] & 0x1f; min = 0x80; }
    else if ((u[0] & 0xf0) == 0xe0) { k = 3; cp = u[0] & 0x0f; min = 0x800; }
    else if ((u[0] & 0xf8) == 0xf0) { k = 4; cp = u[0] & 0x07; min = 0x10000; }
    else return -1;
    if ((size_t)k > n) return -1;
    for (int i = 1; i < k; i++) {
        if ((u[i] & 0xc0) != 0x80) return -1;
        cp = (cp << 6) | (u[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
    *len = (size_t)k;
    return (int32_t)cp;
}

size_t un_utf8_put(uint32_t cp, char *o)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xc0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3f)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

int un_ccc(uint32_t cp)
{
    size_t lo = 0, hi = sizeof un_ccc_runs / sizeof *un_ccc_runs;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (cp < un_ccc_runs[m].first) hi = m;
        else if (cp > un_ccc_runs[m].last) lo = m + 1;
        else return (int)un_ccc_runs[m].ccc;
    }
    return 0;
}

static const un_decomp_ent *decomp_find(uint32_t cp)
{
    size_t lo = 0, hi = sizeof un_decomp / sizeof *un_decomp;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (cp < un_decomp[m].cp) hi = m;
        else if (cp > un_decomp[m].cp) lo = m + 1;
        else return &un_decomp[m];
    }
    return NULL;
}

static uint32_t compose(uint32_t a, uint32_t b)
{
    if (a >= LBASE && a < LBASE + LCOUNT && b >= VBASE && b < VBASE + VCOUNT)
        return SBASE + ((a - LBASE) * VCOUNT + (b - VBASE)) * TCOUNT;
    if (a >= SBASE && a < SBASE + SCOUNT && (a - SBASE) % TCOUNT == 0 && b > TBASE && b < TBASE + TCOUNT)
        return a + (b - TBASE);
    size_t lo = 0, hi = sizeof un_comp / sizeof *un_comp;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (a < un_comp[m].a || (a == un_comp[m].a && b < un_comp[m].b)) hi = m;
        else if (a > un_comp[m].a || b > un_comp[m].b) lo = m + 1;
        else return un_comp[m].c;
    }
    return 0;
}

typedef struct { uint32_t *v; size_t n, cap; } cpvec;

static void cp_push(cpvec *o, uint32_t c)
{
    if (o->n == o->cap) { o->cap = o->cap ? o->cap * 2 : 64; o->v = xrealloc(o->v, o->cap * sizeof *o->v); }
    o->v[o->n++] = c;
}

static const un_kdecomp_ent *kdecomp_find(uint32_t cp)
{
    size_t lo = 0, hi = sizeof un_kdecomp / sizeof *un_kdecomp;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (cp < un_kdecomp[m].cp) hi = m;
        else if (cp > un_kdecomp[m].cp) lo = m + 1;
        else return &un_kdecomp[m];
    }
    return NULL;
}

/* full compatibility decomposition: the compatibility mapping where there
 * is one, the canonical one otherwise, each part decomposed again */
static void decompose(cpvec *o, uint32_t cp, int depth);
static void kdecompose(cpvec *o, uint32_t cp, int depth)
{
    const un_kdecomp_ent *k = cp < RAW_BASE && depth < 8 ? kdecomp_find(cp) : NULL;
    if (!k) {
        const un_decomp_ent *d = cp < RAW_BASE && depth < 8 && !(cp >= SBASE && cp < SBASE + SCOUNT) ? decomp_find(cp) : NULL;
        if (!d) { decompose(o, cp, depth); return; }
        kdecompose(o, d->a, depth + 1);
        if (d->b) kdecompose(o, d->b, depth + 1);
        return;
    }
    for (uint32_t i = 0; i < k->count; i++) kdecompose(o, un_kdecomp_cps[k->first + i], depth + 1);
}

static void decompose(cpvec *o, uint32_t cp, int depth)
{
    if (cp >= SBASE && cp < SBASE + SCOUNT) {
        uint32_t s = cp - SBASE;
        cp_push(o, LBASE + s / NCOUNT);
        cp_push(o, VBASE + (s % NCOUNT) / TCOUNT);
        if (s % TCOUNT) cp_push(o, TBASE + s % TCOUNT);
        return;
    }
    const un_decomp_ent *d = cp < RAW_BASE && depth < 8 ? decomp_find(cp) : NULL;
    if (!d) { cp_push(o, cp); return; }
    decompose(o, d->a, depth + 1);
    if (d->b) decompose(o, d->b, depth + 1);
}

static int cls(uint32_t cp) { return cp >= RAW_BASE ? 0 : un_ccc(cp); }

int un_nfc_quick(const char *s, size_t n)
{
    /* every code point below U+0300 is a starter that no mark below U+0300
     * composes with, and its decomposition recomposes to itself */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0xcc) return 0;   /* lead bytes of U+0300 and above */
    }
    return 1;
}

/* ---- boundary and stable bitmaps ---- */

#define PROP_LIMIT 0x30000u
static uint32_t bound_bits[PROP_LIMIT / 32], stable_bits[PROP_LIMIT / 32];
static uint32_t prop_max;   /* no table entry above this: everything is stable */
static pthread_once_t prop_once = PTHREAD_ONCE_INIT;

static int bit(const uint32_t *b, uint32_t cp) { return (int)((b[cp >> 5] >> (cp & 31)) & 1); }
static void set_bit(uint32_t *b, uint32_t cp) { b[cp >> 5] |= 1u << (cp & 31); }

static uint32_t second_bits[PROP_LIMIT / 32];   /* the second half of some composition */

static int is_second(uint32_t cp)
{
    if (cp < PROP_LIMIT) return bit(second_bits, cp);
    for (size_t i = 0; i < sizeof un_comp / sizeof *un_comp; i++)
        if (un_comp[i].b == cp) return 1;
    return 0;
}

/* bit 1: boundary, bit 2: stable (see the top of the file) */
static int props_of(uint32_t cp)
{
    int hangul = cp >= SBASE && cp < SBASE + SCOUNT;
    uint32_t f = hangul ? LBASE + (cp - SBASE) / NCOUNT : cp;   /* first of the full decomposition */
    int decomposes = 0;
    for (const un_decomp_ent *d; !hangul && (d = decomp_find(f)) != NULL; f = d->a) decomposes = 1;
    if (un_ccc(f) != 0 || is_second(f)) return 0;
    return 1 | (cp < 0x300 || hangul || (!decomposes && un_ccc(cp) == 0) ? 2 : 0);
}

static void build_props(void)
{
    uint32_t mx = 0;
    for (size_t i = 0; i < sizeof un_comp / sizeof *un_comp; i++) {
        if (un_comp[i].b < PROP_LIMIT) set_bit(second_bits, un_comp[i].b);
        if (un_comp[i].b > mx) mx = un_comp[i].b;
    }
    for (uint32_t c = VBASE; c < VBASE + VCOUNT; c++) set_bit(second_bits, c);
    for (uint32_t c = TBASE + 1; c < TBASE + TCOUNT; c++) set_bit(second_bits, c);
    for (size_t i = 0; i < sizeof un_decomp / sizeof *un_decomp; i++)
        if (un_decomp[i].cp > mx) mx = un_decomp[i].cp;
    for (size_t i = 0; i < sizeof un_ccc_runs / sizeof *un_ccc_runs; i++)
        if (un_ccc_runs[i].last > mx) mx = un_ccc_runs[i].last;
    for (uint32_t cp = 0; cp < PROP_LIMIT; cp++) {
        int p = props_of(cp);
        if (p & 1) set_bit(bound_bits, cp);
        if (p & 2) set_bit(stable_bits, cp);
    }
    prop_max = mx;
}

static int is_boundary(int32_t cp)
{
    if (cp < 0) return 1;   /* an invalid byte */
    if ((uint32_t)cp < 0x300) return 1;
    pthread_once(&prop_once, build_props);
    if ((uint32_t)cp >= PROP_LIMIT) return (uint32_t)cp > prop_max || (props_of((uint32_t)cp) & 1);
    return bit(bound_bits, (uint32_t)cp);
}

static int is_stable(int32_t cp)
{
    if (cp < 0x300) return 1;   /* also an invalid byte (-1) */
    pthread_once(&prop_once, build_props);
    if ((uint32_t)cp >= PROP_LIMIT) return (uint32_t)cp > prop_max || (props_of((uint32_t)cp) & 2);
    return bit(stable_bits, (uint32_t)cp);
}

size_t un_nfc_stable_prefix(const char *s, size_t n)
{
    size_t i = 0, last = 0, k;   /* last: start of the last (stable) character */
    while (i < n) {
        if ((unsigned char)s[i] < 0x80) { last = i++; continue; }
        int32_t cp = un_utf8_next(s + i, n - i, &k);
        if (!is_stable(cp)) return is_boundary(cp) ? i : last;
        last = i;
        i += k;
    }
    return n;
}

size_t un_nfc_region_end(const char *s, size_t n)
{
    size_t k, e;
    if (!n) return 0;
    un_utf8_next(s, n, &k);
    for (e = k; e < n; e += k) {
        if ((unsigned char)s[e] < 0xcc) break;   /* below U+0300 or a stray byte: a boundary */
        if (is_boundary(un_utf8_next(s + e, n - e, &k))) break;
    }
    return e;
}

/* ---- NFC ---- */

typedef struct { char *s; size_t n, cap; } obuf;

static void oput(obuf *o, const char *s, size_t n)
{
    if (o->n + n + 1 > o->cap) { o->cap = (o->n + n + 1) * 2; o->s = xrealloc(o->s, o->cap); }
    memcpy(o->s + o->n, s, n);
    o->n += n;
}

/* Stable sort of a run of marks by combining class: insertion sort for
 * short runs, a counting sort for long ones (linear however the classes
 * alternate, so a long run of marks costs no more than its length). */
static void sort_marks(uint32_t *v, size_t n)
{
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            uint32_t x = v[i];
            int c = cls(x);
            size_t j = i;
            while (j > 0 && cls(v[j - 1]) > c) { v[j] = v[j - 1]; j--; }
            v[j] = x;
        }
        return;
    }
    size_t count[257] = {0};
    uint32_t *tmp = xmalloc(n * sizeof *tmp);
    for (size_t i = 0; i < n; i++) count[cls(v[i]) + 1]++;
    for (int c = 1; c < 257; c++) count[c] += count[c - 1];
    for (size_t i = 0; i < n; i++) tmp[count[cls(v[i])]++] = v[i];
    memcpy(v, tmp, n * sizeof *tmp);
    free(tmp);
}

/* NFC (or with compat / without compose, NFKC, NFD, NFKD) of one region,
 * appended to o (d: scratch kept between regions) */
static void norm_region(obuf *o, const char *s, size_t n, cpvec *d, int compat, int comp)
{
    d->n = 0;
    for (size_t i = 0; i < n;) {
        size_t k;
        int32_t cp = un_utf8_next(s + i, n - i, &k);
        if (cp < 0) cp_push(d, RAW_BASE + (unsigned char)s[i]);
        else if (compat) kdecompose(d, (uint32_t)cp, 0);
        else decompose(d, (uint32_t)cp, 0);
        i += k;
    }
    /* canonical ordering: each run of marks sorted stably by class */
    for (size_t i = 0; i < d->n;) {
        size_t e = i;
        while (e < d->n && cls(d->v[e])) e++;
        if (e - i > 1) sort_marks(d->v + i, e - i);
        i = e + (e == i);
    }
    /* composition, in place: w is the output length, st the last starter */
    size_t w = 0;
    long st = -1;
    for (size_t i = 0; i < d->n && !comp; i++) d->v[w++] = d->v[i];
    for (size_t i = 0; i < d->n && comp; i++) {
        uint32_t c = d->v[i];
        int cc = cls(c);
        if (st >= 0) {
            int prev = (size_t)st == w - 1 ? -1 : cls(d->v[w - 1]);
            int blocked = prev != -1 && (prev == 0 || prev >= cc);
            uint32_t k = blocked || c >= RAW_BASE || d->v[st] >= RAW_BASE ? 0 : compose(d->v[st], c);
            if (k) { d->v[st] = k; continue; }
        }
        if (cc == 0) st = (long)w;
        d->v[w++] = c;
    }
    for (size_t i = 0; i < w; i++) {
        char u[4];
        if (d->v[i] >= RAW_BASE) { u[0] = (char)(d->v[i] - RAW_BASE); oput(o, u, 1); }
        else oput(o, u, un_utf8_put(d->v[i], u));
    }
}

char *un_nfc(const char *s, size_t n, size_t *olen)
{
    obuf o = {xmalloc(n + 1), 0, n + 1};
    cpvec d = {0};
    for (size_t i = 0; i < n;) {
        size_t q = i + un_nfc_stable_prefix(s + i, n - i);
        oput(&o, s + i, q - i);
        if (q == n) break;
        size_t e = q + un_nfc_region_end(s + q, n - q);
        norm_region(&o, s + q, e - q, &d, 0, 1);
        i = e;
    }
    o.s[o.n] = 0;
    *olen = o.n;
    free(d.v);
    return o.s;
}

/* NFD, NFKD, NFKC: the whole text as one region (no fast path) */
static char *norm_all(const char *s, size_t n, size_t *olen, int compat, int comp)
{
    obuf o = {xmalloc(n + 1), 0, n + 1};
    cpvec d = {0};
    norm_region(&o, s, n, &d, compat, comp);
    oput(&o, "", 0);
    o.s[o.n] = 0;
    *olen = o.n;
    free(d.v);
    return o.s;
}

char *un_nfd(const char *s, size_t n, size_t *olen) { return norm_all(s, n, olen, 0, 0); }
char *un_nfkd(const char *s, size_t n, size_t *olen) { return norm_all(s, n, olen, 1, 0); }
char *un_nfkc(const char *s, size_t n, size_t *olen) { return norm_all(s, n, olen, 1, 1); }

size_t un_decompose(uint32_t cp, int compat, uint32_t *out, size_t cap)
{
    cpvec d = {0};
    if (compat) kdecompose(&d, cp, 0);
    else decompose(&d, cp, 0);
    size_t n = d.n < cap ? d.n : cap;
    memcpy(out, d.v, n * sizeof *out);
    free(d.v);
    return n;
}
