/*
 * tokenizer.c — the tokenizer core shared by the byte tokenizer and
 * tokenizer.json BPE (loaded by tokenizer_bpe.c): the token table (id ->
 * model string), a string -> id hash, the merge table ((left, right) ->
 * (rank, merged id)), queries and writing tokenizer.json.  The encoding
 * pipeline (with offsets) lives in tokenizer_encode.c, normalizers in
 * tokenizer_norm.c, decoders and post-processor loading in tokenizer_decode.c.
 *
 * Invariants: every id below n has its model string in `bytes` (holes have
 * bytes == NULL); byte_id[b] is the token of the single byte b or -1; the
 * merge table holds only merges whose three tokens exist; encoding never
 * fails (a character with no token becomes byte-fallback tokens, the
 * unknown token, or nothing).
 */
#include "tokenizer_int.h"
#include "text/unicode_norm.h"
#include "base/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- GPT-2 byte <-> unicode mapping ---- */

/* Bytes that are printable stay themselves; the other 68 (0..32, 127..160,
 * 173) become U+0100.. in byte order: 0..32 -> 256..288, 127..160 ->
 * 289..322, 173 -> 323. */
int bl_codepoint(int b)
{
    if (b <= 32) return 256 + b;
    if (b >= 127 && b <= 160) return b + 162;
    if (b == 173) return 323;
    return b;
}

int bl_byte(int cp)
{
    if (cp < 0 || cp > 323) return -1;
    if (cp >= 256) return cp <= 288 ? cp - 256 : cp <= 322 ? cp - 162 : 173;
    return bl_codepoint(cp) == cp ? cp : -1;
}

/* ---- hashing ---- */

static size_t hash_cap_for(size_t n)
{
    size_t c = 16;
    while (c < n * 2 + 16) c <<= 1;
    return c;
}

void tok_added_index(tokenizer *t)
{
    free(t->idflags);
    t->idflags = xcalloc((size_t)t->n + 1, 1);
    memset(t->added_first, 0, sizeof t->added_first);
    for (int i = 0; i < t->nadded; i++) {
        const added_tok *a = &t->added[i];
        if (!a->normalized && a->len) t->added_first[(unsigned char)a->text[0]] |= 1;
        if (a->normalized && a->ntext && a->nlen) t->added_first[(unsigned char)a->ntext[0]] |= 2;
        if (a->id < 0 || a->id >= t->n || (t->idflags[a->id] & TOKF_ADDED)) continue;
        t->idflags[a->id] = TOKF_ADDED | (a->special ? TOKF_SPECIAL : 0);
    }
}

void tok_index_build(tokenizer *t)
{
    tok_added_index(t);
    free(t->idx);
    t->idx_cap = hash_cap_for((size_t)t->n);
    t->idx = xmalloc(sizeof(int32_t) * t->idx_cap);
    for (size_t i = 0; i < t->idx_cap; i++) t->idx[i] = -1;
    for (int id = 0; id < t->n; id++) {
        if (!t->bytes[id] || tok_is_special(t, id) || (t->nonmodel && t->nonmodel[id]) || (t->notbl && t->notbl[id]))
            continue;
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

const merge_ent *tok_merge_find(const tokenizer *t, int32_t a, int32_t b)
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
    for (int i = 0; i < t->npre; i++) {
        if (t->pre[i].re) pcre2_code_free(t->pre[i].re);
        free(t->pre[i].pat);
    }
    free(t->pre);
    free(t->nonmodel);
    free(t->notbl);
    free(t->idflags);
    tok_norm_free(t);
    tok_sp_free(t);
    tok_models_free(t);
    free(t->json_text);
    free(t->eos);
    if (t->chat_free) t->chat_free(t->chat);
    free(t);
}

/* ---- queries ---- */

int tok_vocab_size(const tokenizer *t) { return t->n; }
int tok_num_merges(const tokenizer *t) { return t->nmerges; }
int tok_num_added(const tokenizer *t) { return t->nadded; }
const char *tok_kind(const tokenizer *t)
{
    return t->is_byte ? "byte" : t->model == MODEL_WORDPIECE ? "wordpiece" : t->model == MODEL_UNIGRAM ? "unigram" : "bpe";
}

const char *tok_eos(const tokenizer *t) { return t->eos; }

int tok_is_special(const tokenizer *t, int32_t id)
{
    if (t->idflags) return id >= 0 && id < t->n && (t->idflags[id] & TOKF_SPECIAL);
    for (int i = 0; i < t->nadded; i++)   /* before tok_index_build */
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
