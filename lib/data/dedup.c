/*
 * dedup.c — hashed word n-gram sets (dedup.h).  A text is turned into
 * word hashes first; an n-gram's hash mixes its words' hashes in order.
 */
#include "data/dedup.h"
#include "io/record.h"
#include "io/stream.h"
#include "text/msgs.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void dedup_init(dedup_set *s, int ngram)
{
    memset(s, 0, sizeof *s);
    s->ngram = ngram > 0 ? ngram : 8;
}

void dedup_free(dedup_set *s) { free(s->slot); memset(s, 0, sizeof *s); }

static int word_byte(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80; }

/* Word hashes of text (malloc'd), count in *nw. */
static uint64_t *words(const char *t, size_t n, size_t *nw)
{
    uint64_t *w = NULL;
    size_t k = 0, cap = 0;
    char buf[256];
    for (size_t i = 0; i < n;) {
        while (i < n && !word_byte((unsigned char)t[i])) i++;
        if (i == n) break;
        uint64_t h = 0x77;
        size_t b = 0;
        while (i < n && word_byte((unsigned char)t[i])) {
            char c = t[i++];
            buf[b++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
            if (b == sizeof buf) h = hash64(buf, b, h), b = 0;
        }
        h = hash64(buf, b, h);
        if (k == cap) cap = cap ? 2 * cap : 64, w = xrealloc(w, cap * sizeof *w);
        w[k++] = h;
    }
    *nw = k;
    return w;
}

static uint64_t mixn(const uint64_t *w, size_t n, uint64_t seed)
{
    uint64_t h = seed;
    for (size_t i = 0; i < n; i++) h = mix64(h ^ w[i]) + 0x9e3779b97f4a7c15ull;
    return h ? h : 1;   /* 0 marks an empty slot */
}

static void grow(dedup_set *s)
{
    size_t nc = s->cap ? 2 * s->cap : 1024;
    uint64_t *ns = xcalloc(nc, sizeof *ns);
    for (size_t i = 0; i < s->cap; i++)
        if (s->slot[i]) {
            size_t j = s->slot[i] & (nc - 1);
            while (ns[j]) j = (j + 1) & (nc - 1);
            ns[j] = s->slot[i];
        }
    free(s->slot);
    s->slot = ns;
    s->cap = nc;
}

int dedup_add_hash(dedup_set *s, uint64_t h)
{
    if (!h) h = 1;
    if (2 * (s->n + 1) > s->cap) grow(s);
    size_t j = h & (s->cap - 1);
    while (s->slot[j]) {
        if (s->slot[j] == h) return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->slot[j] = h;
    s->n++;
    return 1;
}

static int has(const dedup_set *s, uint64_t h)
{
    if (!s->cap) return 0;
    size_t j = h & (s->cap - 1);
    while (s->slot[j]) {
        if (s->slot[j] == h) return 1;
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

uint64_t dedup_text_hash(const char *text, size_t n)
{
    size_t nw;
    uint64_t *w = words(text, n, &nw);
    uint64_t h = mixn(w, nw, 0xa11);
    free(w);
    return h;
}

void dedup_add_text(dedup_set *s, const char *text, size_t n)
{
    size_t nw;
    uint64_t *w = words(text, n, &nw);
    dedup_add_hash(s, mixn(w, nw, 0xa11));
    for (size_t i = 0; i + (size_t)s->ngram <= nw; i++) dedup_add_hash(s, mixn(w + i, (size_t)s->ngram, 0x9a));
    free(w);
}

int dedup_overlaps(const dedup_set *s, const char *text, size_t n)
{
    size_t nw;
    uint64_t *w = words(text, n, &nw);
    int hit = has(s, mixn(w, nw, 0xa11));
    for (size_t i = 0; !hit && i + (size_t)s->ngram <= nw; i++) hit = has(s, mixn(w + i, (size_t)s->ngram, 0x9a));
    free(w);
    return hit;
}

void dedup_add_prompts(dedup_set *s, const char *uri)
{
    char *text = NULL;
    size_t cap = 0, len;
    rstream *in = rs_open_read(uri);
    msgpack_object rec;
    while (rs_next(in, &rec) == RS_OK) {
        if (msgs_user_text(rec_get(&rec, "prompt"), &text, &cap, &len) < 0)
            die(EX_DATAERR, "%s: record %llu: no 'prompt' list of {role, content} messages", uri,
                (unsigned long long)rs_count(in));
        dedup_add_text(s, text ? text : "", len);
    }
    rs_close(in);
    free(text);
}
