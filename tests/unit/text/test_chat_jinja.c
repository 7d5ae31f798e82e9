/*
 * test_chat_jinja.c — a model's own chat template through chat_encode:
 * finding it (chat_template.jinja, tokenizer_config.json as a string or a
 * list, refusals naming the file and line), rendering as the template says,
 * masks from prefix-by-prefix renders (each assistant turn's marked tokens
 * decode to exactly its content + end of turn), the response split
 * (prompt ids + response ids = the conversation's encoding, the response
 * ends with the end of turn), continuing a final assistant message, no
 * post-processor BOS (the template writes it), a template whose renders
 * are not prefixes of each other (Mistral v0.3 with a system prompt:
 * spans found by marked contents, checked against the reference
 * renderer's recorded outputs; a template that changes contents refused),
 * and a saved checkpoint carrying the file verbatim.
 */
#include "text/chat_template.h"
#include "text/chat_template_int.h"
#include "text/tokenizer.h"
#include "check.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fixtures[512], templates[512];

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    *len = fread(s, 1, (size_t)n, f);
    s[*len] = 0;
    fclose(f);
    return s;
}

static tokenizer *with_template(const char *tokname, const char *tplname, const char *bos, const char *eos)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/%s.json", fixtures, tokname);
    tokenizer *t = tok_load(path, err, sizeof err);
    CHECK(t != NULL);
    if (!t) return NULL;
    snprintf(path, sizeof path, "%s/%s.jinja", templates, tplname);
    size_t n;
    char *src = slurp(path, &n);
    CHECK(src != NULL);
    int rc = chat_template_set(t, src, n, bos, eos, err, sizeof err);
    if (rc) fprintf(stderr, "%s: %s\n", path, err);
    CHECK(rc == 0);
    free(src);
    return t;
}

/* the marked tokens of each assistant turn decode to want[turn] */
static void check_mask(tokenizer *t, const chat_msg *m, int n, const char *const *want, int nwant)
{
    int32_t *ids;
    uint8_t *mask;
    char err[512];
    long k = chat_encode(t, m, n, 0, &ids, &mask, err, sizeof err);
    if (k < 0) fprintf(stderr, "chat_encode: %s\n", err);
    CHECK(k > 0);
    if (k <= 0) return;
    /* the ids are the encoding of the render, without post-processor tokens */
    size_t tl;
    char *text = chat_render(t, m, n, 0, &tl);
    int32_t *plain;
    long np = tok_encode(t, text, tl, TOK_SPLIT_SPECIAL, &plain, err, sizeof err);
    CHECK(np == k && !memcmp(plain, ids, sizeof(int32_t) * (size_t)k));
    int turn = 0;
    for (long i = 0; i < k;) {
        if (!mask[i]) { i++; continue; }
        long e = i;
        while (e < k && mask[e]) e++;
        size_t dl;
        char *d = tok_decode(t, ids + i, (size_t)(e - i), 0, &dl);
        int ok = turn < nwant && !strcmp(d, want[turn]);
        if (!ok) fprintf(stderr, "turn %d: marked [%s], want [%s]\n", turn, d, turn < nwant ? want[turn] : "(none)");
        CHECK(ok);
        free(d);
        turn++;
        i = e;
    }
    CHECK(turn == nwant);
    free(plain);
    free(text);
    free(ids);
    free(mask);
}

static void chatml(void)
{
    tokenizer *t = with_template("qwen2", "chatml", NULL, "<|im_end|>");
    if (!t) return;
    chat_msg conv[] = {{"system", "Be brief.", 9}, {"user", "Hi", 2}, {"assistant", "Hello there", 11},
                       {"user", "Bye", 3}, {"assistant", "  Bye now\n", 10}};
    size_t len;
    char *s = chat_render(t, conv, 2, 1, &len);
    CHECK(s && !strcmp(s, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"));
    free(s);
    const char *want[] = {"Hello there<|im_end|>", "Bye now\n<|im_end|>"};
    check_mask(t, conv, 5, want, 2);

    /* the response split: prompt + response = the encoding up to the end of turn */
    int32_t *pi, *ri, *all;
    long np;
    char err[512];
    long nr = chat_encode_response(t, conv, 4, "Sure thing", 10, &pi, &np, &ri, err, sizeof err);
    CHECK(nr > 0);
    size_t dl;
    char *d = tok_decode(t, ri, (size_t)nr, 0, &dl);
    CHECK(!strcmp(d, "Sure thing<|im_end|>"));
    free(d);
    chat_msg full[5];
    memcpy(full, conv, sizeof full);
    full[4] = (chat_msg){"assistant", "Sure thing", 10};
    char *txt = chat_render(t, full, 5, 0, &len);
    CHECK(len > 1 && txt[len - 1] == '\n');   /* the template's "\n" after <|im_end|> is not part of the response */
    long na = tok_encode(t, txt, len - 1, TOK_SPLIT_SPECIAL, &all, err, sizeof err);
    CHECK(na == np + nr && !memcmp(all, pi, sizeof(int32_t) * (size_t)np) && !memcmp(all + np, ri, sizeof(int32_t) * (size_t)nr));
    free(all); free(txt); free(pi); free(ri);

    /* a final assistant message with a generation prompt is continued */
    chat_msg pre[] = {{"user", "Q", 1}, {"assistant", "Answer:", 7}};
    s = chat_render(t, pre, 2, 1, &len);
    CHECK(s && !strcmp(s, "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nAnswer:"));
    free(s);
    nr = chat_encode_response(t, pre, 2, " 42", 3, &pi, &np, &ri, err, sizeof err);
    CHECK(nr > 0);
    d = tok_decode(t, ri, (size_t)nr, 0, &dl);
    CHECK(!strcmp(d, " 42<|im_end|>"));
    free(d); free(pi); free(ri);
    CHECK(!strcmp(chat_template_name(t), "chat_template.jinja"));
    tok_free(t);
}

static void llama2(void)
{
    /* the template writes <s> itself: no second one from the post-processor */
    tokenizer *t = with_template("llama2-sp", "llama2", "<s>", "</s>");
    if (!t) return;
    chat_msg conv[] = {{"system", "Sys", 3}, {"user", "Hi", 2}, {"assistant", "Yo", 2}};
    int32_t *ids;
    char err[512];
    long k = chat_encode(t, conv, 3, 0, &ids, NULL, err, sizeof err);
    CHECK(k > 2 && ids[0] == tok_id(t, "<s>") && ids[1] != tok_id(t, "<s>"));
    free(ids);
    const char *want[] = {"Yo </s>"};
    check_mask(t, conv, 3, want, 1);
    /* alternation enforced by the template: raise_exception's text */
    chat_msg bad[] = {{"assistant", "first", 5}};
    k = chat_encode(t, bad, 1, 0, &ids, NULL, err, sizeof err);
    CHECK(k < 0 && strstr(err, "raise_exception: Conversation roles must alternate") && strstr(err, "line 1"));
    tok_free(t);
}

static void not_prefix(void)
{
    /* Mistral v0.3 puts the system prompt into the last user turn: the
     * first turns' render is not the start of the whole, so the spans come
     * from the render with marked contents */
    tokenizer *t = with_template("llama2-sp", "mistral-v3", "<s>", "</s>");
    if (!t) return;
    chat_msg conv[] = {{"system", "S", 1}, {"user", "a", 1}, {"assistant", "b", 1}, {"user", "c", 1}, {"assistant", "d", 1}};
    const char *want[] = {"b</s>", "d</s>"};
    check_mask(t, conv, 5, want, 2);
    /* one turn: the system prompt rides the last user turn, which stops
     * being last once the reply follows (the template drops it) */
    check_mask(t, conv, 3, want, 1);
    /* without a system prompt every turn is found (prefix renders) */
    check_mask(t, conv + 1, 4, want, 2);
    /* a template that changes the contents cannot be marked: refused */
    const char *upper = "{% for m in messages %}{% if m.role == 'system' %}{% elif loop.last %}[{{ messages[0].content }}] "
                        "{{ m.content | length }}{{ eos_token }}{% else %}{{ m.content | length }}{{ eos_token }}{% endif %}"
                        "{% endfor %}";
    char err[512];
    CHECK(chat_template_set(t, upper, strlen(upper), "<s>", "</s>", err, sizeof err) == 0);
    int32_t *ids;
    uint8_t *mask;
    long k = chat_encode(t, conv, 5, 0, &ids, &mask, err, sizeof err);
    CHECK(k < 0 && strstr(err, "changes the contents"));
    /* a conversation holding the marker characters: refused, not mis-marked */
    chat_msg odd[] = {{"system", "S", 1}, {"user", "a", 1}, {"assistant", "\xee\x80\x80x", 4}, {"user", "c", 1}};
    tok_free(t);
    t = with_template("llama2-sp", "mistral-v3", "<s>", "</s>");
    k = chat_encode(t, odd, 4, 0, &ids, &mask, err, sizeof err);
    CHECK(k < 0 && strstr(err, "U+E000"));
    tok_free(t);
}

/* Mistral v0.3 against the reference renderer's outputs (recorded from
 * @huggingface/jinja): for every recorded conversation the render is the
 * reference's, and each assistant message's span is exactly its trimmed
 * content followed by </s> (found by markers where the system prompt moves) */
static void reference_spans(void)
{
    tokenizer *t = with_template("llama2-sp", "mistral-v3", "<s>", "</s>");
    if (!t) return;
    char path[1024];
    snprintf(path, sizeof path, "%s/mistral-v3.expected.jsonl", templates);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) { tok_free(t); return; }
    char *line = NULL;
    size_t cap = 0;
    int convs = 0, turns = 0, moved = 0;
    while (getline(&line, &cap, f) > 0) {
        json_error_t je;
        json_t *rec = json_loads(line, 0, &je), *ctx = json_object_get(rec, "context");
        json_t *out = json_object_get(rec, "output"), *msgs = json_object_get(ctx, "messages");
        if (!json_is_string(out) || json_is_true(json_object_get(ctx, "add_generation_prompt")) ||
            json_object_get(ctx, "tools")) { json_decref(rec); continue; }
        size_t n = json_array_size(msgs);
        chat_msg *m = calloc(n + 1, sizeof *m);
        int ok = 1, has_sys = 0;
        for (size_t i = 0; i < n; i++) {
            json_t *x = json_array_get(msgs, i), *c = json_object_get(x, "content");
            const char *r = json_string_value(json_object_get(x, "role"));
            if (!r || !json_is_string(c)) ok = 0;
            else {
                m[i] = (chat_msg){!strcmp(r, "system") ? "system" : !strcmp(r, "user") ? "user" : "assistant",
                                  json_string_value(c), json_string_length(c)};
                has_sys |= !strcmp(r, "system");
            }
        }
        size_t tl, *sp = NULL;
        int ns = 0;
        char err[512];
        char *text = ok ? chat_jinja_render(t, m, (int)n, 0, 0, &tl, &sp, &ns, err, sizeof err) : NULL;
        if (ok && !text) { fprintf(stderr, "%s: %s\n", path, err); CHECK(0); }
        if (text) {
            convs++;
            CHECK(tl == json_string_length(out) && !memcmp(text, json_string_value(out), tl));
            int a = 0;
            for (size_t i = 0; i < n; i++) {
                if (strcmp(m[i].role, "assistant")) continue;
                CHECK(a < ns);
                if (a >= ns) break;
                size_t b = 0, e = m[i].len;
                while (b < e && strchr(" \t\n\r", m[i].content[b])) b++;
                while (e > b && strchr(" \t\n\r", m[i].content[e - 1])) e--;
                size_t want = e - b + 4;
                int good = sp[2 * a + 1] - sp[2 * a] == want && !memcmp(text + sp[2 * a], m[i].content + b, e - b) &&
                           !memcmp(text + sp[2 * a] + e - b, "</s>", 4);
                if (!good) fprintf(stderr, "%s: conversation %d, assistant %d: span [%zu, %zu)\n", path, convs, a,
                                   sp[2 * a], sp[2 * a + 1]);
                CHECK(good);
                turns++;
                moved += has_sys;
                a++;
            }
            CHECK(a == ns);
        }
        free(text); free(sp); free(m);
        json_decref(rec);
    }
    free(line);
    fclose(f);
    CHECK(convs >= 5 && turns >= 5 && moved >= 2);
    printf("mistral-v3 reference: %d conversations, %d assistant spans (%d with a moved system prompt)\n", convs,
           turns, moved);
    tok_free(t);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

static void loading(void)
{
    char dir[] = "/tmp/test_chat_jinja.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char err[512];
    tokenizer *t = tok_byte_new();
    CHECK(chat_template_load(t, dir, err, sizeof err) == 0);   /* nothing there: Tülu */
    CHECK(!strcmp(chat_template_name(t), "tulu"));
    write_file(dir, "tokenizer_config.json", "{\"bos_token\": {\"content\": \"<B>\"}, \"eos_token\": \"</s>\", "
               "\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}, "
               "{\"name\": \"default\", \"template\": \"{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}\"}]}");
    CHECK(chat_template_load(t, dir, err, sizeof err) == 1);
    chat_msg m[] = {{"user", "x", 1}};
    size_t len;
    char *s = chat_render(t, m, 1, 0, &len);
    CHECK(s && !strcmp(s, "<B>[user]x"));
    free(s);
    /* a checkpoint carries the file it came from, verbatim */
    char out[] = "/tmp/test_chat_jinja_out.XXXXXX";
    CHECK(mkdtemp(out) != NULL);
    CHECK(chat_template_save(t, out, err, sizeof err) == 0);
    char p1[1024], p2[1024];
    snprintf(p1, sizeof p1, "%s/tokenizer_config.json", dir);
    snprintf(p2, sizeof p2, "%s/tokenizer_config.json", out);
    size_t l1, l2;
    char *a = slurp(p1, &l1), *b = slurp(p2, &l2);
    CHECK(a && b && l1 == l2 && !memcmp(a, b, l1));
    free(a); free(b);
    unlink(p2);
    rmdir(out);
    /* chat_template.jinja wins over the config's */
    write_file(dir, "chat_template.jinja", "J{{ messages | length }}\n");
    CHECK(chat_template_load(t, dir, err, sizeof err) == 1);
    s = chat_render(t, m, 1, 0, &len);
    CHECK(s && !strcmp(s, "J1"));
    free(s);
    /* refusals name the file and the line */
    write_file(dir, "chat_template.jinja", "ok\n{% for %}");
    CHECK(chat_template_load(t, dir, err, sizeof err) == -1 && strstr(err, "chat_template.jinja") && strstr(err, "line 2"));
    snprintf(p1, sizeof p1, "%s/chat_template.jinja", dir);
    unlink(p1);
    write_file(dir, "tokenizer_config.json", "{\"chat_template\": ");
    CHECK(chat_template_load(t, dir, err, sizeof err) == -1 && strstr(err, "tokenizer_config.json"));
    write_file(dir, "tokenizer_config.json", "{\"chat_template\": [{\"name\": \"rag\", \"template\": \"x\"}]}");
    CHECK(chat_template_load(t, dir, err, sizeof err) == -1 && strstr(err, "default"));
    snprintf(p1, sizeof p1, "%s/tokenizer_config.json", dir);
    unlink(p1);
    rmdir(dir);
    tok_free(t);
}

int main(void)
{
    snprintf(fixtures, sizeof fixtures, "%s", __FILE__);
    char *p = strstr(fixtures, "unit/text/test_chat_jinja.c");
    if (p) strcpy(p, "fixtures/tokenizer");
    snprintf(templates, sizeof templates, "%s", __FILE__);
    p = strstr(templates, "unit/text/test_chat_jinja.c");
    if (p) strcpy(p, "parity/chat-templates");
    chatml();
    llama2();
    not_prefix();
    reference_spans();
    loading();
    return check_done("test_chat_jinja");
}
