/*
 * tokenizer_bpe.c — loading a Hugging Face tokenizer.json (BPE model).
 *
 * Supported: model.type "BPE" with merges as "a b" strings or ["a", "b"]
 * pairs, ignore_merges, byte_fallback, unk_token, fuse_unk; added_tokens
 * (content, special, normalized, lstrip, rstrip); pre_tokenizer null,
 * ByteLevel (add_prefix_space, use_regex -> the GPT-2 regex), Split (Regex
 * or String pattern, behavior Isolated, not inverted), Digits, Metaspace
 * (replacement, prepend_scheme always/first/never or the legacy
 * add_prefix_space, split) and Sequence of those; the normalizer
 * (tokenizer_norm.c), decoder and post_processor (tokenizer_decode.c).
 *
 * A ByteLevel pre-tokenizer makes the vocabulary byte-level: its strings
 * are GPT-2's byte characters, stored as the raw bytes they stand for.
 * Otherwise vocabulary strings are kept as they are (SentencePiece style,
 * "▁the", "<0x0A>").  Refused with a message naming the key: other model
 * types, BPE dropout, subword prefixes/suffixes, single_word added tokens,
 * other pre-tokenizers, normalizers, decoders and post-processors.
 *
 * Every failure is reported through the error buffer; nothing here exits,
 * so the fuzz target can drive it.
 */
#include "tokenizer_int.h"
#include "regex_class_table.h"
#include "text/unicode_norm.h"
#include "base/util.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char gpt2_regex[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

#define MAX_VOCAB (1 << 24)

#define fail tok_fail
int tok_metaspace_scheme(void *json, char *err, size_t el);   /* tokenizer_decode.c */

/* Rust's White_Space, for use inside a character class */
#define WS_CHARS "\\t-\\r\\x20\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}"

/* A tokenizer.json regex as the library's engine (Oniguruma, Unicode 16)
 * reads it, for PCRE2 (Unicode 14): \s is White_Space (PCRE2 also takes
 * U+180E) and \p{X} gains the code points assigned to X since
 * (regex_class_table.h, measured from the library).  Only \s, \S and
 * \p{X} / \pX are rewritten, inside or outside a class; error offsets
 * then refer to the rewritten pattern. */
char *tok_rx_rewrite(const char *p, size_t n, size_t *on)
{
    tok_sbuf o = {0};
    tok_put(&o, "", 0);
    int in = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '[' && !in) {
            in = 1;
            tok_put(&o, p + i, 1);
            if (i + 1 < n && p[i + 1] == '^') tok_put(&o, p + ++i, 1);
            if (i + 1 < n && p[i + 1] == ']') tok_put(&o, p + ++i, 1);   /* a literal ] first */
            continue;
        }
        if (c == '[' && in && i + 1 < n && p[i + 1] == ':') {   /* [:alpha:] */
            const char *e = memmem(p + i + 2, n - i - 2, ":]", 2);
            size_t end = e ? (size_t)(e - p) + 2 : n;
            tok_put(&o, p + i, end - i);
            i = end - 1;
            continue;
        }
        if (c == ']' && in) { in = 0; tok_put(&o, p + i, 1); continue; }
        if (c != '\\' || i + 1 >= n) { tok_put(&o, p + i, 1); continue; }
        char d = p[i + 1];
        if (d == 's') { tok_put(&o, in ? WS_CHARS : "[" WS_CHARS "]", strlen(in ? WS_CHARS : "[" WS_CHARS "]")); i++; continue; }
        if (d == 'S' && !in) { tok_put(&o, "[^" WS_CHARS "]", strlen("[^" WS_CHARS "]")); i++; continue; }
        if (d == 'p' || d == 'P') {
            size_t b = i + 2, e = b + 1;
            if (b < n && p[b] == '{') {
                const char *r = memchr(p + b, '}', n - b);
                e = r ? (size_t)(r - p) + 1 : n;
            }
            if (e > n) e = n;
            const char *name = p + b + (b < n && p[b] == '{');
            size_t nl = (p[b] == '{' ? e - 1 : e) - (size_t)(name - p);
            const char *extra = NULL;
            for (size_t k = 0; k < sizeof rx_class_extra / sizeof *rx_class_extra; k++)
                if (strlen(rx_class_extra[k].name) == nl && !memcmp(rx_class_extra[k].name, name, nl))
                    extra = rx_class_extra[k].extra;
            if (extra && *extra && !(d == 'P' && in)) {
                if (!in) tok_put(&o, d == 'P' ? "[^" : "[", d == 'P' ? 2 : 1);
                tok_put(&o, "\\p", 2);
                tok_put(&o, p + i + 2, e - i - 2);
                tok_put(&o, extra, strlen(extra));
                if (!in) tok_put(&o, "]", 1);
                i = e - 1;
                continue;
            }
        }
        tok_put(&o, p + i, 2);   /* any other escape, as it is */
        i++;
    }
    *on = o.n;
    return o.s;
}

static int add_regex(tokenizer *t, const char *pat, size_t len, int literal, char *err, size_t el)
{
    int ec;
    PCRE2_SIZE eo;
    uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | (literal ? PCRE2_LITERAL : PCRE2_UCP);   /* LITERAL refuses UCP */
    size_t rl = len;
    char *rx = literal ? NULL : tok_rx_rewrite(pat, len, &rl);
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)(rx ? rx : pat), rl, opts, &ec, &eo, NULL);
    free(rx);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        return fail(err, el, "pre-tokenizer regex does not compile at offset %zu: %s", (size_t)eo, (char *)msg);
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);   /* falls back to the interpreter */
    t->pre = xrealloc(t->pre, sizeof *t->pre * (t->npre + 1));
    memset(&t->pre[t->npre], 0, sizeof *t->pre);
    t->pre[t->npre].kind = PRE_REGEX;
    t->pre[t->npre].re = re;
    t->pre[t->npre].pat = xstrndup(pat, len);
    t->pre[t->npre].patlen = len;
    t->pre[t->npre].literal = literal;
    t->npre++;
    return 0;
}

#define WS_CLASS "[" WS_CHARS "]"
#define PUNCT_CLASS "[\\p{P}!-/:-@\\[-`{-~]"
/* the regex crate's \w: Alphabetic, marks, decimal digits, connector
 * punctuation, joiners (Alphabetic = letters, letter numbers and the
 * Other_Alphabetic symbols: circled and squared Latin letters) */
#define RUST_W "\\p{L}\\p{M}\\p{Nd}\\p{Nl}\\p{Pc}\\x{200C}\\x{200D}\\x{24B6}-\\x{24E9}\\x{1F130}-\\x{1F149}" \
               "\\x{1F150}-\\x{1F169}\\x{1F170}-\\x{1F189}"

static int split_behavior(const char *b)
{
    static const char *names[] = {"Isolated", "Removed", "MergedWithPrevious", "MergedWithNext", "Contiguous"};
    for (int i = 0; b && i < 5; i++)
        if (!strcmp(b, names[i])) return i;   /* the order of SPLIT_* */
    return -1;
}

static int add_split(tokenizer *t, const char *rx, int behavior, int invert, char *err, size_t el)
{
    if (add_regex(t, rx, strlen(rx), 0, err, el)) return -1;
    t->pre[t->npre - 1].behavior = behavior;
    t->pre[t->npre - 1].invert = invert;
    return 0;
}

static pre_step *add_step(tokenizer *t, int kind)
{
    t->pre = xrealloc(t->pre, sizeof *t->pre * (t->npre + 1));
    pre_step *p = &t->pre[t->npre++];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    return p;
}

/* does this pre_tokenizer (or one in its Sequence) do ByteLevel? */
static int has_bytelevel(json_t *p, int depth)
{
    const char *type = json_string_value(json_object_get(p, "type"));
    if (!type || depth > 8) return 0;
    if (!strcmp(type, "ByteLevel")) return 1;
    json_t *arr = json_object_get(p, "pretokenizers"), *x;
    size_t i;
    if (!strcmp(type, "Sequence") && json_is_array(arr))
        json_array_foreach(arr, i, x) if (has_bytelevel(x, depth + 1)) return 1;
    return 0;
}

static int load_pretok(tokenizer *t, json_t *p, int depth, char *err, size_t el)
{
    if (!p || json_is_null(p)) return 0;
    const char *type = json_string_value(json_object_get(p, "type"));
    if (!type || depth > 4) return fail(err, el, "pre_tokenizer without a type");
    if (!strcmp(type, "Sequence")) {
        json_t *arr = json_object_get(p, "pretokenizers");
        if (!json_is_array(arr)) return fail(err, el, "Sequence pre_tokenizer without pretokenizers");
        size_t i;
        json_t *x;
        json_array_foreach(arr, i, x) if (load_pretok(t, x, depth + 1, err, el)) return -1;
        return 0;
    }
    if (!strcmp(type, "ByteLevel")) {
        json_t *ur = json_object_get(p, "use_regex");
        if (json_is_true(json_object_get(p, "add_prefix_space"))) {
            t->add_prefix_space = 1;
            add_step(t, PRE_PREFIX_SPACE);
        }
        if (!ur || json_is_true(ur)) return add_regex(t, gpt2_regex, strlen(gpt2_regex), 0, err, el);
        return 0;
    }
    if (!strcmp(type, "Metaspace")) {
        json_t *r = json_object_get(p, "replacement"), *sp = json_object_get(p, "split");
        size_t rk;
        if (!json_is_string(r) || json_string_length(r) == 0 ||
            un_utf8_next(json_string_value(r), json_string_length(r), &rk) < 0 || rk != json_string_length(r))
            return fail(err, el, "Metaspace pre_tokenizer \"replacement\" must be exactly one character");
        int sc = tok_metaspace_scheme(p, err, el);
        if (sc < 0) return -1;
        pre_step *m = add_step(t, PRE_METASPACE);
        memcpy(m->rep, json_string_value(r), json_string_length(r));
        m->replen = json_string_length(r);
        m->scheme = sc;
        m->split = !json_is_false(sp);
        return 0;
    }
    if (!strcmp(type, "Digits")) {   /* SmolLM2-style: numbers apart, one digit each */
        const char *rx = json_is_true(json_object_get(p, "individual_digits")) ? "\\p{N}" : "\\p{N}+";
        return add_regex(t, rx, strlen(rx), 0, err, el);
    }
    if (!strcmp(type, "Split")) {
        json_t *pat = json_object_get(p, "pattern");
        int beh = split_behavior(json_string_value(json_object_get(p, "behavior")));
        if (beh < 0) return fail(err, el, "Split pre_tokenizer behavior must be Removed, Isolated, MergedWithPrevious, "
                                 "MergedWithNext or Contiguous");
        json_t *rx = json_object_get(pat, "Regex"), *st = json_object_get(pat, "String");
        int rc;
        if (json_is_string(rx)) rc = add_regex(t, json_string_value(rx), json_string_length(rx), 0, err, el);
        else if (json_is_string(st) && json_string_length(st) == 0) {   /* the library: no match at all */
            rc = add_regex(t, "(*FAIL)", 7, 0, err, el);
        } else if (json_is_string(st)) rc = add_regex(t, json_string_value(st), json_string_length(st), 1, err, el);
        else return fail(err, el, "Split pre_tokenizer without a Regex or String pattern");
        if (rc) return rc;
        t->pre[t->npre - 1].behavior = beh;
        t->pre[t->npre - 1].invert = json_is_true(json_object_get(p, "invert"));
        return 0;
    }
    /* The character-class pre-tokenizers, as splits on one character at a
     * time (the library's char-predicate patterns match each character
     * alone); the classes are written out so they mean what Rust means:
     * char::is_whitespace (White_Space), is_punc (ASCII punctuation or
     * a Unicode P* category). */
    if (!strcmp(type, "WhitespaceSplit")) return add_split(t, WS_CLASS, SPLIT_REMOVED, 0, err, el);
    if (!strcmp(type, "Punctuation")) {
        const char *b = json_string_value(json_object_get(p, "behavior"));
        int beh = b ? split_behavior(b) : SPLIT_ISOLATED;
        if (beh < 0) return fail(err, el, "Punctuation pre_tokenizer behavior \"%.20s\" is not known", b);
        return add_split(t, PUNCT_CLASS, beh, 0, err, el);
    }
    if (!strcmp(type, "BertPreTokenizer"))
        return add_split(t, WS_CLASS, SPLIT_REMOVED, 0, err, el) || add_split(t, PUNCT_CLASS, SPLIT_ISOLATED, 0, err, el);
    if (!strcmp(type, "Whitespace"))   /* the regex crate's \w+|[^\w\s]+, kept (inverted, Removed) */
        return add_split(t, "[" RUST_W "]+|[^" RUST_W WS_CHARS "]+", SPLIT_REMOVED, 1, err, el);
    if (!strcmp(type, "CharDelimiterSplit")) {
        json_t *d = json_object_get(p, "delimiter");
        size_t k;
        if (!json_is_string(d) || !json_string_length(d) ||
            un_utf8_next(json_string_value(d), json_string_length(d), &k) < 0 || k != json_string_length(d))
            return fail(err, el, "CharDelimiterSplit pre_tokenizer \"delimiter\" must be one character");
        if (add_regex(t, json_string_value(d), k, 1, err, el)) return -1;
        t->pre[t->npre - 1].behavior = SPLIT_REMOVED;
        return 0;
    }
    return fail(err, el, "unsupported pre_tokenizer type %s (supported: ByteLevel, Split, Digits, Metaspace, "
                "Whitespace, WhitespaceSplit, Punctuation, BertPreTokenizer, CharDelimiterSplit, Sequence)", type);
}

/* A byte-level token string -> raw bytes; -1 if a character is not one of
 * the 256 byte characters. */
static int bytelevel_decode(const char *s, size_t n, char *out, size_t *olen)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        int cp;
        if (c < 0x80) { cp = c; i++; }
        else if ((c & 0xe0) == 0xc0 && i + 1 < n) { cp = ((c & 0x1f) << 6) | (s[i + 1] & 0x3f); i += 2; }
        else return -1;
        int b = bl_byte(cp);
        if (b < 0) return -1;
        out[k++] = (char)b;
    }
    *olen = k;
    return 0;
}

static void set_token(tokenizer *t, int id, const char *s, size_t n)
{
    free(t->bytes[id]);
    t->bytes[id] = xmalloc(n + 1);
    memcpy(t->bytes[id], s, n);
    t->bytes[id][n] = 0;
    t->blen[id] = (uint32_t)n;
}

static int32_t vocab_id(json_t *vocab, const char *s)
{
    json_t *v = json_object_get(vocab, s);
    return json_is_integer(v) ? (int32_t)json_integer_value(v) : -1;
}

static int load_merges(tokenizer *t, json_t *vocab, json_t *merges, char *err, size_t el)
{
    if (!merges || json_is_null(merges)) return 0;
    if (!json_is_array(merges)) return fail(err, el, "model.merges is not an array");
    size_t i;
    json_t *m;
    char *buf = NULL;
    size_t cap = 0;
    json_array_foreach(merges, i, m) {
        const char *a, *b;
        size_t la, lb;
        if (json_is_string(m)) {
            const char *s = json_string_value(m), *sp = strchr(s, ' ');
            if (!sp || strchr(sp + 1, ' ')) {
                free(buf);
                return fail(err, el, "merge %zu (\"%.40s\") is not \"a b\"", i, s);
            }
            a = s; la = (size_t)(sp - s); b = sp + 1; lb = strlen(b);
        } else if (json_is_array(m) && json_array_size(m) == 2 &&
                   json_is_string(json_array_get(m, 0)) && json_is_string(json_array_get(m, 1))) {
            a = json_string_value(json_array_get(m, 0)); la = json_string_length(json_array_get(m, 0));
            b = json_string_value(json_array_get(m, 1)); lb = json_string_length(json_array_get(m, 1));
        } else {
            free(buf);
            return fail(err, el, "merge %zu is neither \"a b\" nor [\"a\", \"b\"]", i);
        }
        if (la + lb + 1 > cap) { cap = (la + lb + 1) * 2; buf = xrealloc(buf, cap); }
        memcpy(buf, a, la); buf[la] = 0;
        int32_t ia = vocab_id(vocab, buf);
        memcpy(buf, b, lb); buf[lb] = 0;
        int32_t ib = vocab_id(vocab, buf);
        memcpy(buf, a, la); memcpy(buf + la, b, lb); buf[la + lb] = 0;
        int32_t io = vocab_id(vocab, buf);
        if (ia < 0 || ib < 0 || io < 0) {
            free(buf);
            return fail(err, el, "merge %zu: a token of \"%.*s\" + \"%.*s\" is not in the vocabulary",
                        i, (int)(la > 40 ? 40 : la), a, (int)(lb > 40 ? 40 : lb), b);
        }
        tok_merge_add(t, ia, ib, io);
    }
    free(buf);
    return 0;
}

static int load_model_vocab(tokenizer *t, json_t *root, json_t *model, json_t *vocab, char *err, size_t el);

static int load_model(tokenizer *t, json_t *root, char *err, size_t el)
{
    json_t *model = json_object_get(root, "model");
    const char *type = json_string_value(json_object_get(model, "type"));
    json_t *vocab = json_object_get(model, "vocab");
    if (!json_is_object(model)) return fail(err, el, "no \"model\" object");
    if (!type && json_object_get(model, "merges")) type = "BPE";   /* older files omit the type */
    if (type && !strcmp(type, "WordPiece")) t->model = MODEL_WORDPIECE;
    else if (type && !strcmp(type, "Unigram")) t->model = MODEL_UNIGRAM;
    else if (!type || strcmp(type, "BPE"))
        return fail(err, el, "unsupported model.type %s (supported: BPE, WordPiece, Unigram)", type ? type : "(none)");
    if (t->model != MODEL_BPE) {   /* the vocabulary as BPE's {token: id}; the rest in tokenizer_models.c */
        json_t *v = tok_model_vocab(t, model, err, el);
        if (!v) return -1;
        int rc = load_model_vocab(t, root, model, v, err, el);
        json_decref(v);
        return rc ? rc : tok_load_model_rest(t, model, err, el);
    }
    const char *pre = json_string_value(json_object_get(model, "continuing_subword_prefix"));
    const char *suf = json_string_value(json_object_get(model, "end_of_word_suffix"));
    if ((pre && *pre) || (suf && *suf))
        return fail(err, el, "unsupported: model.continuing_subword_prefix / end_of_word_suffix");
    json_t *drop = json_object_get(model, "dropout");
    if (json_is_number(drop) && json_number_value(drop) > 0)
        return fail(err, el, "unsupported: model.dropout (random BPE)");
    if (!json_is_object(vocab)) return fail(err, el, "model.vocab is not an object");
    t->ignore_merges = json_is_true(json_object_get(model, "ignore_merges"));
    t->fuse_unk = json_is_true(json_object_get(model, "fuse_unk"));
    if (load_model_vocab(t, root, model, vocab, err, el)) return -1;
    return load_merges(t, vocab, json_object_get(model, "merges"), err, el);
}

/* The vocabulary ({token: id}), the unknown token, byte fallback and the
 * added tokens: what every model type shares. */
static int load_model_vocab(tokenizer *t, json_t *root, json_t *model, json_t *vocab, char *err, size_t el)
{
    t->byte_fallback = json_is_true(json_object_get(model, "byte_fallback"));
    t->byte_level = has_bytelevel(json_object_get(root, "pre_tokenizer"), 0);
    t->unk_id = -1;
    json_t *unk = json_object_get(model, "unk_token");
    if (t->model == MODEL_UNIGRAM) unk = NULL;   /* unk_id, read by tok_load_model_rest */
    if (json_is_string(unk)) {
        t->unk_id = vocab_id(vocab, json_string_value(unk));
        if (t->unk_id < 0) return fail(err, el, "model.unk_token \"%.40s\" is not in model.vocab", json_string_value(unk));
    }

    json_t *added = json_object_get(root, "added_tokens");
    if (added && !json_is_array(added)) return fail(err, el, "added_tokens is not an array");
    long maxid = -1;
    const char *key;
    json_t *v;
    json_object_foreach(vocab, key, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= MAX_VOCAB)
            return fail(err, el, "vocab entry \"%.40s\" has a bad id", key);
        if (json_integer_value(v) > maxid) maxid = (long)json_integer_value(v);
    }
    size_t i;
    json_array_foreach(added, i, v) {
        json_t *id = json_object_get(v, "id"), *c = json_object_get(v, "content");
        if (!json_is_integer(id) || json_integer_value(id) < 0 || json_integer_value(id) >= MAX_VOCAB ||
            !json_is_string(c) || json_string_length(c) == 0)
            return fail(err, el, "added_tokens[%zu] needs an id and non-empty content", i);
        if (json_integer_value(id) > maxid) maxid = (long)json_integer_value(id);
    }
    t->n = (int)(maxid + 1);
    t->bytes = xcalloc(t->n ? t->n : 1, sizeof(char *));
    t->blen = xcalloc(t->n ? t->n : 1, sizeof(uint32_t));
    char *tmp = NULL;
    size_t tcap = 0;
    json_object_foreach(vocab, key, v) {
        size_t kl = strlen(key), bl;
        if (kl + 1 > tcap) { tcap = kl * 2 + 16; tmp = xrealloc(tmp, tcap); }
        if (!t->byte_level) { memcpy(tmp, key, kl); bl = kl; }
        else if (bytelevel_decode(key, kl, tmp, &bl)) {
            /* not byte-level text (DeepSeek V3, GPT-NeoX: specials in the
             * vocabulary): the library keeps it; BPE on bytes never makes it
             * and decoding gives it as it is */
            memcpy(tmp, key, kl);
            bl = kl;
            if (!t->notbl) t->notbl = xcalloc((size_t)t->n + 1, 1);
            t->notbl[json_integer_value(v)] = 1;
        }
        int id = (int)json_integer_value(v);
        if (t->bytes[id]) { free(tmp); return fail(err, el, "vocab id %d is given to two tokens", id); }
        set_token(t, id, tmp, bl);
    }
    free(tmp);
    for (int b = 0; b < 256; b++) {   /* SentencePiece byte tokens, spelt as the library looks them up */
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        t->fallback[b] = vocab_id(vocab, name);
    }
    t->nonmodel = xcalloc(t->n ? t->n : 1, 1);
    for (int id = 0; id < t->n; id++) t->nonmodel[id] = !t->bytes[id];
    t->added = xcalloc(json_array_size(added) + 1, sizeof *t->added);
    json_array_foreach(added, i, v) {
        added_tok *a = &t->added[t->nadded++];
        json_t *c = json_object_get(v, "content"), *nz = json_object_get(v, "normalized");
        a->text = xstrndup(json_string_value(c), json_string_length(c));
        a->len = json_string_length(c);
        a->id = (int32_t)json_integer_value(json_object_get(v, "id"));
        a->special = json_is_true(json_object_get(v, "special"));
        a->normalized = nz ? json_is_true(nz) : !a->special;
        a->lstrip = json_is_true(json_object_get(v, "lstrip"));
        a->rstrip = json_is_true(json_object_get(v, "rstrip"));
        if (json_is_true(json_object_get(v, "single_word")))
            return fail(err, el, "unsupported: added_tokens[%zu] (\"%.40s\") has single_word", i, a->text);
        if (t->bytes[a->id] && (t->blen[a->id] != a->len || memcmp(t->bytes[a->id], a->text, a->len)))
            return fail(err, el, "added token \"%.40s\" has id %d, which the vocabulary gives to another token",
                        a->text, a->id);
        set_token(t, a->id, a->text, a->len);
    }
    tok_index_build(t);
    return 0;
}

tokenizer *tok_parse(const char *text, size_t len, char *err, size_t el)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    if (!root) { fail(err, el, "not valid JSON: line %d: %s", je.line, je.text); return NULL; }
    tokenizer *t = xcalloc(1, sizeof *t);
    int rc = -1;
    if (!json_is_object(root)) fail(err, el, "not a JSON object");
    else if (!load_model(t, root, err, el) && !load_pretok(t, json_object_get(root, "pre_tokenizer"), 0, err, el) &&
             !tok_load_normalizer(t, json_object_get(root, "normalizer"), err, el) &&
             !tok_load_decoder(t, json_object_get(root, "decoder"), err, el) &&
             !tok_load_post(t, json_object_get(root, "post_processor"), err, el))
        rc = 0;
    json_decref(root);
    if (rc) { tok_free(t); return NULL; }
    t->json_text = xstrndup(text, len);
    for (int i = 0; i < t->nadded; i++) {   /* normalized added tokens match normalized text */
        added_tok *a = &t->added[i];
        if (!a->normalized) continue;
        t->nadded_norm++;
        a->ntext = tok_normalize(t, a->text, a->len, NULL, &a->nlen, NULL);
        if (!a->ntext) { a->ntext = xstrndup(a->text, a->len); a->nlen = a->len; }
    }
    tok_added_index(t);   /* again, now that the normalized added tokens' text is known */
    tok_make_pieces(t);
    /* the byte tokenizer as saved by tok_save: bytes at ids 0..255, nothing else */
    t->is_byte = t->byte_level && t->nmerges == 0 && t->npre == 0 && !t->add_prefix_space && t->n >= 256 &&
                 !t->nnorm && !t->npost_pre && !t->npost_suf;
    for (int b = 0; b < 256 && t->is_byte; b++) t->is_byte = t->byte_id[b] == b;
    /* Gemma: the model's EOS is the special <eos>; its "</s>" is an
     * ordinary added token, so <eos> is asked for first and only as a
     * special token */
    int eid = tok_id(t, "<eos>");
    if (eid >= 0 && tok_is_special(t, eid)) t->eos = xstrdup("<eos>");
    static const char *eos_names[] = {"</s>", "<|im_end|>", "<|eot_id|>", "<|endoftext|>", "<|end_of_text|>"};
    for (size_t k = 0; k < sizeof eos_names / sizeof *eos_names && !t->eos; k++)
        if (tok_id(t, eos_names[k]) >= 0) t->eos = xstrdup(eos_names[k]);
    return t;
}

tokenizer *tok_load(const char *path, char *err, size_t el)
{
    FILE *f = fopen(path, "rb");
    if (!f) { fail(err, el, "cannot open"); return NULL; }
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            if (cap > (512u << 20)) { fclose(f); free(buf); fail(err, el, "larger than 512 MiB"); return NULL; }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); fail(err, el, "read error"); return NULL; }
    tokenizer *t = tok_parse(buf, n, err, el);
    free(buf);
    return t;
}
