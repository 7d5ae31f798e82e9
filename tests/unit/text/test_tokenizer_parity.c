/*
 * test_tokenizer_parity.c — our tokenizer against what the Hugging Face
 * tokenizers library recorded (tests/parity/gen-tokenizer-fixtures.js).
 *
 * For every tests/fixtures/tokenizer/NAME.json: each record of
 * NAME.expected.jsonl gives a text and the library's ids with the
 * post-processor (encode(text) / add_special_tokens=True), without it, and
 * the decodes of the ids with skip_special_tokens false and true; each
 * record of NAME.decode.jsonl gives pseudo-random ids and their decodes.
 * Every comparison is exact (ids, and decoded bytes with TOK_DECODE_UTF8 as
 * the library returns a String).  Offsets: tok_encode_offsets must give
 * the library's offsets (recorded as byte offsets) for the ids with the
 * post-processor, and the same spans without it.  Chat: each record of
 * NAME.chat.jsonl is a conversation, its Tülu rendering, the library's ids
 * and offsets for it (no post-processor) and the assistant mask and
 * per-turn decodes those offsets give; chat_render, tok_encode_offsets and
 * chat_encode must agree, and each assistant turn's marked tokens must
 * start at its content, end with its EOS and decode as the library
 * decodes them.  Pairs: each record of NAME.pair.jsonl (where the library
 * encodes pairs with that tokenizer) gives two texts and the library's
 * encode(a, b) with and without special tokens: tok_encode_pair must give
 * the same ids, type ids and offsets (into the text each token comes
 * from).  Texts with newlines, NFC, byte fallback
 * and unknown characters are covered here, for NAME.json and for the
 * production files committed as NAME.json.gz (gpt-4o, DeepSeek V3, Gemma 3);
 * tests/tokenizer-parity.bats runs
 * the newline-free texts through lm-tokenize as well.
 */
#include "text/chat_template.h"
#include "text/tokenizer.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int failures, checks, chat_spans, chat_exact, pair_records;

static void show_ids(const char *label, const int32_t *ids, long n)
{
    printf("  %s:", label);
    for (long i = 0; i < n; i++) printf(" %d", ids[i]);
    printf("\n");
}

static int ids_from_json(json_t *a, int32_t **out)
{
    size_t n = json_array_size(a), i;
    json_t *x;
    *out = malloc(sizeof(int32_t) * (n + 1));
    json_array_foreach(a, i, x) (*out)[i] = (int32_t)json_integer_value(x);
    return (int)n;
}

static void show_offs(const char *label, const tok_offset *o, long n)
{
    printf("  %s:", label);
    for (long i = 0; i < n; i++) printf(" [%zu,%zu]", o[i].start, o[i].end);
    printf("\n");
}

/* the recorded [[start, end], ...] against ours */
static int offsets_equal(json_t *want, const tok_offset *got, long n)
{
    if ((long)json_array_size(want) != n) return 0;
    for (long i = 0; i < n; i++) {
        json_t *p = json_array_get(want, (size_t)i);
        if ((size_t)json_integer_value(json_array_get(p, 0)) != got[i].start ||
            (size_t)json_integer_value(json_array_get(p, 1)) != got[i].end) return 0;
    }
    return 1;
}

/* offsets with the post-processor equal the library's; without it, the
 * same spans less the post-processor's tokens */
static void check_offsets(const char *fix, const tokenizer *t, json_t *rec)
{
    json_t *text = json_object_get(rec, "text"), *want = json_object_get(rec, "offsets");
    int32_t *ids, *ids2;
    tok_offset *o, *o2;
    char err[256];
    const int32_t *pre, *suf;
    int npre, nsuf;
    tok_post_ids(t, &pre, &npre, &suf, &nsuf);
    long n = tok_encode_offsets(t, json_string_value(text), json_string_length(text),
                                TOK_SPLIT_SPECIAL | TOK_ADD_SPECIAL, &ids, &o, err, sizeof err);
    long n2 = tok_encode_offsets(t, json_string_value(text), json_string_length(text), TOK_SPLIT_SPECIAL,
                                 &ids2, &o2, err, sizeof err);
    checks += 2;
    if (!offsets_equal(want, o, n)) {
        char *q = json_dumps(text, JSON_ENCODE_ANY), *w = json_dumps(want, JSON_COMPACT);
        printf("FAIL %s offsets %s\n  want: %s\n", fix, q, w);
        show_offs("got ", o, n);
        free(q); free(w);
        failures++;
    }
    if (n2 != n - npre - nsuf || memcmp(o2, o + npre, sizeof *o2 * (size_t)n2)) {
        printf("FAIL %s offsets without the post-processor differ\n", fix);
        failures++;
    }
    free(ids); free(ids2); free(o); free(o2);
}

static void check_ids(const char *fix, const tokenizer *t, json_t *rec, const char *key, int flags)
{
    json_t *text = json_object_get(rec, "text");
    int32_t *want, *got;
    int nw = ids_from_json(json_object_get(rec, key), &want);
    char err[256];
    long ng = tok_encode(t, json_string_value(text), json_string_length(text), flags, &got, err, sizeof err);
    checks++;
    if (ng != nw || memcmp(got, want, sizeof(int32_t) * (size_t)nw)) {
        char *q = json_dumps(text, JSON_ENCODE_ANY);
        printf("FAIL %s %s %s\n", fix, key, q);
        show_ids("want", want, nw);
        show_ids("got ", got, ng);
        free(q);
        failures++;
    }
    free(want);
    free(got);
}

static void check_decode(const char *fix, const tokenizer *t, json_t *rec, const char *key, int flags)
{
    int32_t *ids;
    int n = ids_from_json(json_object_get(rec, "ids"), &ids);
    json_t *want = json_object_get(rec, key);
    size_t len;
    char *got = tok_decode(t, ids, (size_t)n, flags | TOK_DECODE_UTF8, &len);
    checks++;
    if (len != json_string_length(want) || memcmp(got, json_string_value(want), len)) {
        json_t *g = json_stringn(got, len);
        char *a = json_dumps(want, JSON_ENCODE_ANY), *b = g ? json_dumps(g, JSON_ENCODE_ANY) : strdup("(invalid)");
        printf("FAIL %s %s of", fix, key);
        show_ids("ids", ids, n);
        printf("  want %s\n  got  %s\n", a, b);
        free(a); free(b); json_decref(g);
        failures++;
    }
    free(got);
    free(ids);
}

static void run_file(const char *dir, const char *name, const char *suffix, const tokenizer *t, int enc)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, suffix);
    FILE *f = fopen(path, "r");
    if (!f) { printf("FAIL cannot open %s\n", path); failures++; return; }
    char *line = NULL;
    size_t cap = 0;
    int before = checks, bad = failures;
    while (getline(&line, &cap, f) > 0) {
        json_error_t je;
        json_t *rec = json_loads(line, JSON_ALLOW_NUL, &je);
        if (!rec) { printf("FAIL %s: %s\n", path, je.text); failures++; continue; }
        if (enc) {
            check_ids(name, t, rec, "ids", TOK_SPLIT_SPECIAL | TOK_ADD_SPECIAL);
            check_ids(name, t, rec, "ids_no_add", TOK_SPLIT_SPECIAL);
            check_offsets(name, t, rec);
        }
        check_decode(name, t, rec, "decoded", 0);
        check_decode(name, t, rec, "decoded_skip", TOK_SKIP_SPECIAL);
        json_decref(rec);
    }
    free(line);
    fclose(f);
    printf("%s%s: %d checks, %d differ\n", name, suffix, checks - before, failures - bad);
}

static void fail_chat(const char *fix, long line, const char *what)
{
    printf("FAIL %s.chat.jsonl:%ld: %s\n", fix, line, what);
    failures++;
}

/* one recorded conversation: rendering, ids, offsets, mask, decodes */
static void check_chat(const char *fix, long line, const tokenizer *t, json_t *rec)
{
    json_t *msgs = json_object_get(rec, "messages"), *text = json_object_get(rec, "text");
    json_t *wids = json_object_get(rec, "ids"), *wmask = json_object_get(rec, "mask");
    json_t *turns = json_object_get(rec, "assistant_decoded");
    int gen = json_is_true(json_object_get(rec, "gen"));
    size_t nm = json_array_size(msgs), tlen;
    chat_msg *m = calloc(nm + 1, sizeof *m);
    for (size_t i = 0; i < nm; i++) {
        json_t *x = json_array_get(msgs, i), *c = json_object_get(x, "content");
        const char *r = json_string_value(json_object_get(x, "role"));
        m[i].role = !strcmp(r, "user") ? "user" : !strcmp(r, "system") ? "system" : "assistant";
        m[i].content = json_string_value(c);
        m[i].len = json_string_length(c);
    }
    char *txt = chat_render(t, m, (int)nm, gen, &tlen);
    checks++;
    if (tlen != json_string_length(text) || memcmp(txt, json_string_value(text), tlen)) fail_chat(fix, line, "rendering");
    int32_t *want, *ids, *ids2;
    int nw = ids_from_json(wids, &want);
    tok_offset *o;
    uint8_t *mask;
    char err[256];
    long n = tok_encode_offsets(t, txt, tlen, TOK_SPLIT_SPECIAL, &ids, &o, err, sizeof err);
    long n2 = chat_encode(t, m, (int)nm, gen, &ids2, &mask, err, sizeof err);
    checks += 4;
    if (n != nw || memcmp(ids, want, sizeof *ids * (size_t)nw)) {
        fail_chat(fix, line, "ids");
        show_ids("want", want, nw);
        show_ids("got ", ids, n);
    }
    if (!offsets_equal(json_object_get(rec, "offsets"), o, n)) { fail_chat(fix, line, "offsets"); show_offs("got", o, n); }
    /* chat_encode = the post-processor's leading tokens (BOS), then the
     * library's encoding of the rendered text without special tokens */
    const int32_t *pre, *suf;
    int npre, nsuf;
    tok_post_ids(t, &pre, &npre, &suf, &nsuf);
    if (n2 != npre + n || memcmp(ids2, pre, sizeof *pre * (size_t)npre) ||
        memcmp(ids2 + npre, ids, sizeof *ids * (size_t)(n < 0 ? 0 : n)))
        fail_chat(fix, line, "chat_encode ids");
    for (int i = 0; i < npre && i < n2; i++)
        if (mask[i]) fail_chat(fix, line, "BOS marked as assistant");
    int mask_ok = (long)json_array_size(wmask) == n2 - npre;
    for (long i = 0; mask_ok && i < n2 - npre; i++)
        mask_ok = mask[npre + i] == json_integer_value(json_array_get(wmask, (size_t)i));
    if (!mask_ok) fail_chat(fix, line, "mask");
    /* per assistant turn: the marked run starts inside the content (at it,
     * or later where a normalizer's Strip / Replace or the ByteLevel
     * post-processor's trimming moves the start, or a token runs from the
     * template into the content), ends with EOS and decodes as the library
     * decodes it */
    size_t at = 0, turn = 0;
    const char *eos = tok_eos(t);
    for (size_t i = 0; i < nm && n2 == npre + n; i++) {
        const char *head = !strcmp(m[i].role, "assistant") ? "<|assistant|>\n" :
                           !strcmp(m[i].role, "user") ? "<|user|>\n" : "<|system|>\n";
        at += strlen(head);
        if (strcmp(m[i].role, "assistant")) { at += m[i].len + 1; continue; }
        size_t b = at, e = at + m[i].len + strlen(eos);
        at = e + (i + 1 < nm);
        int32_t *sel = malloc(sizeof(int32_t) * (size_t)(n + 1));
        long k = 0, first = -1, last = -1;
        for (long j = 0; j < n; j++)
            if (mask[npre + j] && o[j].start >= b && o[j].start < e) {
                sel[k++] = ids[j];
                if (first < 0) first = j;
                last = j;
            }
        chat_exact += first >= 0 && o[first].start == b;
        chat_spans++;
        checks += 2;
        if (first < 0 || o[first].start < b || o[last].end != e || ids[last] != tok_id(t, eos)) {
            char msg[128];
            snprintf(msg, sizeof msg, "turn %zu: marked tokens do not span [%zu, %zu)", turn, b, e);
            fail_chat(fix, line, msg);
        }
        size_t dl;
        char *d = tok_decode(t, sel, (size_t)k, TOK_DECODE_UTF8, &dl);
        json_t *wd = json_array_get(turns, turn);
        if (dl != json_string_length(wd) || memcmp(d, json_string_value(wd), dl)) {
            printf("  want \"%s\"\n  got  \"%s\"\n", json_string_value(wd), d);
            fail_chat(fix, line, "decoded assistant turn");
        }
        free(d);
        free(sel);
        turn++;
    }
    free(m); free(txt); free(want); free(ids); free(ids2); free(o); free(mask);
}

/* each record of dir/NAME.SUFFIX through fn; a missing file is a failure
 * unless optional */
static void run_lines(const char *dir, const char *name, const char *suffix, const tokenizer *t, int optional,
                      void (*fn)(const char *, long, const tokenizer *, json_t *))
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, suffix);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!optional) { printf("FAIL cannot open %s\n", path); failures++; }
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    long ln = 0;
    int before = checks, bad = failures;
    while (getline(&line, &cap, f) > 0) {
        json_error_t je;
        json_t *rec = json_loads(line, JSON_ALLOW_NUL, &je);
        ln++;
        if (!rec) { printf("FAIL %s: %s\n", path, je.text); failures++; continue; }
        fn(name, ln, t, rec);
        json_decref(rec);
    }
    free(line);
    fclose(f);
    printf("%s%s: %d checks, %d differ\n", name, suffix, checks - before, failures - bad);
}

static void check_pair(const char *fix, long line, const tokenizer *t, json_t *rec)
{
    pair_records++;
    json_t *a = json_object_get(rec, "a"), *b = json_object_get(rec, "b");
    static const char *key[2][3] = {{"ids", "type_ids", "offsets"}, {"ids_no_add", "type_ids_no_add", NULL}};
    for (int v = 0; v < 2; v++) {
        int32_t *ids, *want;
        tok_offset *o;
        uint8_t *ty;
        char err[256];
        long n = tok_encode_pair(t, json_string_value(a), json_string_length(a), json_string_value(b),
                                 json_string_length(b), TOK_SPLIT_SPECIAL | (v ? 0 : TOK_ADD_SPECIAL), &ids, &o, &ty,
                                 err, sizeof err);
        checks += 3;
        if (n < 0) { printf("FAIL %s.pair.jsonl:%ld: %s\n", fix, line, err); failures++; continue; }
        int nw = ids_from_json(json_object_get(rec, key[v][0]), &want);
        int ok_ty = (long)json_array_size(json_object_get(rec, key[v][1])) == n;
        for (long i = 0; ok_ty && i < n; i++)
            ok_ty = ty[i] == json_integer_value(json_array_get(json_object_get(rec, key[v][1]), (size_t)i));
        if (nw != n || memcmp(ids, want, sizeof *ids * (size_t)nw)) {
            printf("FAIL %s.pair.jsonl:%ld: %s\n", fix, line, key[v][0]);
            show_ids("want", want, nw);
            show_ids("got ", ids, n);
            failures++;
        } else if (!ok_ty) {
            printf("FAIL %s.pair.jsonl:%ld: %s\n", fix, line, key[v][1]);
            failures++;
        } else if (key[v][2] && !offsets_equal(json_object_get(rec, key[v][2]), o, n)) {
            printf("FAIL %s.pair.jsonl:%ld: offsets\n", fix, line);
            show_offs("got ", o, n);
            failures++;
        }
        free(ids); free(want); free(o); free(ty);
    }
}

/* the production tokenizer.json files are committed gzip-compressed */
static tokenizer *load_gz(const char *path, char *err, size_t el)
{
    gzFile f = gzopen(path, "rb");
    if (!f) { snprintf(err, el, "cannot open"); return NULL; }
    size_t n = 0, cap = 1 << 20;
    char *buf = malloc(cap);
    int r;
    while ((r = gzread(f, buf + n, (unsigned)(cap - n))) > 0) {
        n += (size_t)r;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    gzclose(f);
    tokenizer *t = r < 0 ? NULL : tok_parse(buf, n, err, el);
    if (r < 0) snprintf(err, el, "gzip read error");
    free(buf);
    return t;
}

int main(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *p = strstr(dir, "unit/text/test_tokenizer_parity.c");
    if (p) strcpy(p, "fixtures/tokenizer");
    DIR *d = opendir(dir);
    if (!d) { printf("FAIL no fixture directory %s\n", dir); return 1; }
    struct dirent *e;
    int fixtures = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        int gz = l > 8 && !strcmp(e->d_name + l - 8, ".json.gz");
        if (!gz && (l < 6 || strcmp(e->d_name + l - 5, ".json") || !strcmp(e->d_name, "chat.json"))) continue;
        char name[256], path[1024], err[512];
        snprintf(name, sizeof name, "%.*s", (int)(l - (gz ? 8 : 5)), e->d_name);
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        tokenizer *t = gz ? load_gz(path, err, sizeof err) : tok_load(path, err, sizeof err);
        if (!t) { printf("FAIL load %s: %s\n", path, err); failures++; continue; }
        run_file(dir, name, ".expected.jsonl", t, 1);
        run_file(dir, name, ".decode.jsonl", t, 0);
        if (tok_eos(t)) run_lines(dir, name, ".chat.jsonl", t, 0, check_chat);
        run_lines(dir, name, ".pair.jsonl", t, 1, check_pair);   /* where the library encodes pairs */
        tok_free(t);
        fixtures++;
    }
    closedir(d);
    if (fixtures < 10) { printf("FAIL only %d fixtures\n", fixtures); failures++; }
    if (pair_records < 50) { printf("FAIL only %d pair records\n", pair_records); failures++; }
    printf("chat: %d assistant turns, %d of them marked from their first byte\n", chat_spans, chat_exact);
    printf("%d fixtures, %d checks, %d differ from the library\n", fixtures, checks, failures);
    return failures ? 1 : 0;
}
