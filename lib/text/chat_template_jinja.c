/*
 * chat_template_jinja.c — a model's own chat template: finding it,
 * rendering conversations with it, and the assistant spans of a render.
 *
 * The template renders with the context transformers gives it: messages
 * ({role, content}), add_generation_prompt, bos_token and eos_token (from
 * tokenizer_config.json when it names them, else the tokenizer's EOS and
 * an empty BOS).  A generation prompt after a final assistant message
 * continues that message, as transformers' continue_final_message: the
 * render without a generation prompt, cut after the message's (stripped)
 * content.
 *
 * Spans (see chat_template.h): for assistant message i, P = render(first i
 * messages, add_generation_prompt) and F = render(first i+1) must both be
 * prefixes of the whole render T (F may be cut where T is a continuation).
 * Within T[|P|, |F|) the span starts at the message's stripped content when
 * it appears there (template text such as Llama 2's " " or Qwen 3's empty
 * think block before it stays unmarked; a template that rewrites the
 * content leaves the whole difference marked) and ends after the first EOS
 * text following the content, else at |F| — so ChatML's "<|im_end|>" is
 * trained and the "\n" after it is not, as the Tülu path does.  A token
 * is marked when it overlaps a span (chat_template.c): with SentencePiece,
 * " " + content becomes "▁word", which starts in the template.
 *
 * A template whose prefix renders are not prefixes of the whole render
 * (Mistral v0.3 moves the system prompt into the last user turn) gets its
 * spans from one render with every content wrapped in markers instead
 * (marker_spans below): each assistant content, and the EOS text after it
 * when it comes before the next message's content.
 *
 * The file the template came from is kept verbatim so a checkpoint saved
 * from this tokenizer carries it unchanged.
 */
#include "text/chat_template_int.h"
#include "text/jinja.h"
#include "text/tokenizer_int.h"
#include "base/util.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    jinja_template *tpl;
    char *bos, *eos;            /* NULL: the tokenizer's EOS / "" */
    char *file_name, *file_text; /* what chat_template_save writes back */
    size_t file_len;
} chat_jinja;

static void chat_jinja_free(void *p)
{
    chat_jinja *c = p;
    if (!c) return;
    jinja_free(c->tpl);
    free(c->bos);
    free(c->eos);
    free(c->file_name);
    free(c->file_text);
    free(c);
}

int chat_jinja_attached(const tokenizer *t) { return t->chat != NULL; }

const char *chat_template_name(const tokenizer *t)
{
    return t->chat ? ((chat_jinja *)t->chat)->file_name : "tulu";
}

static int attach(tokenizer *t, const char *src, size_t len, const char *bos, const char *eos, const char *fname,
                  const char *ftext, size_t flen, char *err, size_t el)
{
    char msg[512];
    jinja_template *tpl = jinja_parse(src, len, msg, sizeof msg);
    if (!tpl) { snprintf(err, el, "%s: chat template %s", fname, msg); return -1; }
    chat_jinja *c = xcalloc(1, sizeof *c);
    c->tpl = tpl;
    c->bos = bos ? xstrdup(bos) : NULL;
    c->eos = eos ? xstrdup(eos) : NULL;
    c->file_name = xstrdup(fname);
    c->file_text = xmalloc(flen + 1);
    memcpy(c->file_text, ftext, flen);
    c->file_text[flen] = 0;
    c->file_len = flen;
    if (t->chat_free) t->chat_free(t->chat);
    t->chat = c;
    /* identity (tokenizer_id.c): what renders, not which file held it */
    uint64_t h = hash64(src, len, 0x63686174);
    h = hash64(bos ? "b1" : "b0", 2, h);
    if (bos) h = hash64(bos, strlen(bos), h);
    h = hash64(eos ? "e1" : "e0", 2, h);
    if (eos) h = hash64(eos, strlen(eos), h);
    t->chat_id = h;
    t->chat_free = chat_jinja_free;
    return 1;
}

int chat_template_set(tokenizer *t, const char *src, size_t len, const char *bos, const char *eos, char *err, size_t el)
{
    return attach(t, src, len, bos, eos, "chat_template.jinja", src, len, err, el) < 0 ? -1 : 0;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *s = xmalloc(cap);
    size_t k;
    while ((k = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (cap - n - 1 == 0) { cap *= 2; s = xrealloc(s, cap); }
    }
    fclose(f);
    s[n] = 0;
    *len = n;
    return s;
}

/* tokenizer_config.json's special tokens are strings or {"content": ...} */
static const char *token_text(json_t *v)
{
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_object(v)) return json_string_value(json_object_get(v, "content"));
    return NULL;
}

int chat_template_load(tokenizer *t, const char *dir, char *err, size_t el)
{
    size_t dl = strlen(dir) + 32;
    char *jpath = xmalloc(dl), *cpath = xmalloc(dl);
    snprintf(jpath, dl, "%s/chat_template.jinja", dir);
    snprintf(cpath, dl, "%s/tokenizer_config.json", dir);
    size_t clen = 0, jlen = 0;
    char *ctext = read_all(cpath, &clen), *jtext = read_all(jpath, &jlen);
    int rc = 0;
    json_t *cfg = NULL;
    if (ctext) {
        json_error_t je;
        cfg = json_loadb(ctext, clen, 0, &je);
        if (!cfg || !json_is_object(cfg)) {
            snprintf(err, el, "%s: not a JSON object (line %d: %s)", cpath, je.line, cfg ? "not an object" : je.text);
            rc = -1;
            goto done;
        }
    }
    const char *bos = cfg ? token_text(json_object_get(cfg, "bos_token")) : NULL;
    const char *eos = cfg ? token_text(json_object_get(cfg, "eos_token")) : NULL;
    if (jtext) {
        rc = attach(t, jtext, jlen, bos, eos, "chat_template.jinja", jtext, jlen, err, el);
        goto done;
    }
    json_t *ct = cfg ? json_object_get(cfg, "chat_template") : NULL;
    if (!ct || json_is_null(ct)) goto done;
    if (json_is_array(ct)) {
        json_t *pick = NULL, *it;
        size_t i;
        json_array_foreach(ct, i, it) {
            const char *name = json_string_value(json_object_get(it, "name"));
            if (name && !strcmp(name, "default")) pick = json_object_get(it, "template");
        }
        if (!json_is_string(pick)) {
            snprintf(err, el, "%s: chat_template is a list without a \"default\" template", cpath);
            rc = -1;
            goto done;
        }
        ct = pick;
    }
    if (!json_is_string(ct)) {
        snprintf(err, el, "%s: chat_template must be a string or a list of {name, template}", cpath);
        rc = -1;
        goto done;
    }
    rc = attach(t, json_string_value(ct), json_string_length(ct), bos, eos, "tokenizer_config.json", ctext, clen, err, el);
done:
    if (rc < 0 && !strstr(err, dir)) {
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s", err);
        snprintf(err, el, "%s/%s", dir, tmp);
    }
    json_decref(cfg);
    free(ctext);
    free(jtext);
    free(jpath);
    free(cpath);
    return rc;
}

int chat_template_load_beside(tokenizer *t, const char *path, char *err, size_t el)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, (size_t)(slash - path + (slash == path))) : xstrdup(".");
    int rc = chat_template_load(t, dir, err, el);
    free(dir);
    return rc;
}

int chat_template_save(const tokenizer *t, const char *dir, char *err, size_t el)
{
    const chat_jinja *c = t->chat;
    if (!c) return 0;
    size_t dl = strlen(dir) + strlen(c->file_name) + 2;
    char *p = xmalloc(dl);
    snprintf(p, dl, "%s/%s", dir, c->file_name);
    FILE *f = fopen(p, "wb");
    int ok = f && fwrite(c->file_text, 1, c->file_len, f) == c->file_len;
    if (f && fclose(f)) ok = 0;
    if (!ok) snprintf(err, el, "%s: %s", p, strerror(errno));
    free(p);
    return ok ? 0 : -1;
}

/* the EOS text templates get: tokenizer_config.json's, else the tokenizer's */
static const char *eos_text(const tokenizer *t)
{
    const chat_jinja *c = t->chat;
    return c->eos ? c->eos : tok_eos(t) ? tok_eos(t) : "";
}

/* render the first n messages */
static char *render_n(const tokenizer *t, const chat_msg *msgs, int n, int gen, size_t *len, char *err, size_t el)
{
    const chat_jinja *c = t->chat;
    json_t *ctx = json_object(), *arr = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s,s:s%}", "role", msgs[i].role, "content", msgs[i].content, msgs[i].len));
    json_object_set_new(ctx, "messages", arr);
    json_object_set_new(ctx, "add_generation_prompt", json_boolean(gen));
    const char *eos = eos_text(t);
    json_object_set_new(ctx, "bos_token", json_string(c->bos ? c->bos : ""));
    json_object_set_new(ctx, "eos_token", json_string(eos));
    char msg[512];
    char *s = jinja_render(c->tpl, ctx, NULL, len, msg, sizeof msg);
    json_decref(ctx);
    if (!s) snprintf(err, el, "chat template (%s) %s", c->file_name, msg);
    return s;
}

static int is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v'; }

static void stripped(const char *s, size_t n, size_t *off, size_t *len)
{
    size_t a = 0, b = n;
    while (a < b && is_space(s[a])) a++;
    while (b > a && is_space(s[b - 1])) b--;
    *off = a;
    *len = b - a;
}

static const char *find(const char *h, size_t hn, const char *nd, size_t nn)
{
    if (!nn) return h;
    return memmem(h, hn, nd, nn);
}

/* Spans by markers, for templates whose renders of the first messages are
 * not prefixes of the whole render (Mistral v0.3 folds the system prompt
 * into the last user turn): each message's stripped content is wrapped in
 * private-use markers (U+E000 i U+E001 before, U+E002 i U+E001 after; its
 * surrounding whitespace stays outside, so a template's |trim keeps them),
 * the conversation is rendered once, and the markers are taken out again.
 * The result must be the plain render exactly (a template that changes a
 * content, or a conversation that holds these characters, is refused), and
 * each assistant message must appear once.  Its span runs from its content
 * to the first EOS text after it that comes before the next message's
 * content, else to the end of its content.  tl: the length of the render
 * to span (a continued final message is cut there). */
#define MK_B "\xee\x80\x80"
#define MK_E "\xee\x80\x82"
#define MK_END "\xee\x80\x81"
static size_t *marker_spans(const tokenizer *t, const chat_msg *msgs, int n, int gen, size_t tl, size_t skip,
                            int *nspans, char *err, size_t el)
{
    size_t pl, ml;
    char *plain = render_n(t, msgs, n, gen, &pl, err, el);
    if (!plain) return NULL;
    chat_msg *mm = xcalloc((size_t)n + 1, sizeof *mm);
    char **own = xcalloc((size_t)n + 1, sizeof *own);
    for (int i = 0; i < n; i++) {
        size_t off, sl;
        if (memmem(msgs[i].content, msgs[i].len, "\xee\x80", 2)) {
            snprintf(err, el, "message %d holds characters U+E000..U+E03F, which mark contents", i);
            for (int j = 0; j < i; j++) free(own[j]);
            free(own); free(mm); free(plain);
            return NULL;
        }
        stripped(msgs[i].content, msgs[i].len, &off, &sl);
        char mb[32], me[32];
        int bl = snprintf(mb, sizeof mb, MK_B "%d" MK_END, i), elen = snprintf(me, sizeof me, MK_E "%d" MK_END, i);
        size_t k = 0, rest = msgs[i].len - off - sl;
        own[i] = xmalloc(msgs[i].len + (size_t)(bl + elen) + 1);
        memcpy(own[i] + k, msgs[i].content, off), k += off;
        memcpy(own[i] + k, mb, (size_t)bl), k += (size_t)bl;
        memcpy(own[i] + k, msgs[i].content + off, sl), k += sl;
        memcpy(own[i] + k, me, (size_t)elen), k += (size_t)elen;
        memcpy(own[i] + k, msgs[i].content + off + sl, rest), k += rest;
        own[i][k] = 0;
        mm[i] = (chat_msg){msgs[i].role, own[i], k};
    }
    char *m = render_n(t, mm, n, gen, &ml, err, el);
    for (int i = 0; i < n; i++) free(own[i]);
    free(own);
    free(mm);
    if (!m) { free(plain); return NULL; }
    /* take the markers out: pos[2i] / pos[2i+1] where message i's content
     * begins / ends in the plain text (-1: not seen; -2: seen twice) */
    long *pos = xmalloc(sizeof *pos * 2 * (size_t)(n + 1));
    size_t *starts = xmalloc(sizeof *starts * (ml / 3 + 2));
    size_t nstarts = 0;
    for (int i = 0; i < 2 * n; i++) pos[i] = -1;
    char *out = xmalloc(ml + 1);
    size_t o = 0;
    for (size_t i = 0; i < ml;) {
        int isb = i + 3 <= ml && !memcmp(m + i, MK_B, 3), ise = !isb && i + 3 <= ml && !memcmp(m + i, MK_E, 3);
        if (isb || ise) {
            size_t j = i + 3;
            long v = 0;
            while (j < ml && m[j] >= '0' && m[j] <= '9' && v < 1000000) v = v * 10 + (m[j++] - '0');
            if (j + 3 <= ml && !memcmp(m + j, MK_END, 3) && v < n) {
                long *slot = &pos[2 * v + ise];
                *slot = *slot == -1 ? (long)o : -2;
                if (isb) starts[nstarts++] = o;
                i = j + 3;
                continue;
            }
        }
        out[o++] = m[i++];
    }
    free(m);
    int ok = o == pl && !memcmp(out, plain, pl);
    free(out);
    if (!ok) {
        snprintf(err, el, "with the contents marked the template renders other text (it changes the contents)");
        free(plain); free(pos); free(starts);
        return NULL;
    }
    const char *eos = eos_text(t);
    size_t eosl = strlen(eos);
    size_t *sp = xmalloc(sizeof(size_t) * 2 * (size_t)(n + 1));
    int ns = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(msgs[i].role, "assistant")) continue;
        long b = pos[2 * i], e = pos[2 * i + 1];
        if (b < 0 || e < b) {
            snprintf(err, el, "assistant message %d appears %s in the render", i, b == -2 || e == -2 ? "twice" : "not");
            free(plain); free(pos); free(starts); free(sp);
            return NULL;
        }
        size_t limit = pl;
        for (size_t k = 0; k < nstarts; k++)
            if (starts[k] > (size_t)e && starts[k] < limit) limit = starts[k];
        size_t end = (size_t)e;
        const char *q = eosl ? find(plain + e, limit - (size_t)e, eos, eosl) : NULL;
        if (q) end = (size_t)(q - plain) + eosl;
        size_t off, sl;
        stripped(msgs[i].content, msgs[i].len, &off, &sl);
        size_t k = skip && i + 1 == n ? (skip > off ? skip - off : 0) : 0;
        size_t begin = (size_t)b + (k < sl ? k : sl);
        sp[2 * ns] = begin < tl ? begin : tl;
        sp[2 * ns + 1] = end < tl ? end : tl;
        ns++;
    }
    free(plain); free(pos); free(starts);
    *nspans = ns;
    return sp;
}

char *chat_jinja_render(const tokenizer *t, const chat_msg *msgs, int n, int gen, size_t skip, size_t *len,
                        size_t **spans, int *nspans, char *err, size_t el)
{
    const chat_jinja *c = t->chat;
    int cont = gen && n > 0 && !strcmp(msgs[n - 1].role, "assistant");
    size_t tl;
    char *text = render_n(t, msgs, n, cont ? 0 : gen, &tl, err, el);
    if (!text) return NULL;
    if (cont) {
        /* continue_final_message: cut after the last message's content */
        size_t off, sl;
        stripped(msgs[n - 1].content, msgs[n - 1].len, &off, &sl);
        const char *needle = msgs[n - 1].content + off, *last = sl ? NULL : text + tl, *q;
        for (const char *p = text; sl && (q = memmem(p, tl - (size_t)(p - text), needle, sl)); p = q + 1) last = q;
        if (!last) {
            snprintf(err, el, "chat template (%s): the final assistant message does not appear in the render, "
                     "so it cannot be continued", c->file_name);
            free(text);
            return NULL;
        }
        tl = (size_t)(last - text) + sl;
        text[tl] = 0;
    }
    if (!spans) { *len = tl; return text; }
    const char *eos = eos_text(t);
    size_t eosl = strlen(eos);
    size_t *sp = xmalloc(sizeof(size_t) * 2 * (size_t)(n + 1));
    int ns = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(msgs[i].role, "assistant")) continue;
        size_t pl, fl;
        char *p = render_n(t, msgs, i, 1, &pl, err, el);
        char *f = p ? render_n(t, msgs, i + 1, 0, &fl, err, el) : NULL;
        if (!p || !f) { free(p); free(text); free(sp); return NULL; }
        size_t fe = fl < tl ? fl : tl;
        int ok = pl <= tl && !memcmp(p, text, pl) && pl <= fe && !memcmp(f, text, fe);
        free(p);
        free(f);
        if (!ok) {   /* the template rewrites earlier turns: find the contents by markers */
            free(sp);
            sp = marker_spans(t, msgs, n, cont ? 0 : gen, tl, skip, &ns, err, el);
            if (!sp) {
                char why[400];
                snprintf(why, sizeof why, "%s", err);
                snprintf(err, el, "chat template (%s): rendering the first %d messages does not give the start of the "
                         "whole conversation (the template rewrites earlier turns, e.g. moves the system prompt into "
                         "the last user turn), and marking the contents did not find assistant message %d either: %s",
                         c->file_name, i, i, why);
                free(text);
                return NULL;
            }
            break;
        }
        size_t off, sl;
        stripped(msgs[i].content, msgs[i].len, &off, &sl);
        const char *at = sl ? find(text + pl, fe - pl, msgs[i].content + off, sl) : NULL;
        size_t begin = pl, end = fe;
        if (at) {
            begin = (size_t)(at - text);
            size_t ce = begin + sl;
            size_t k = skip && i + 1 == n ? (skip > off ? skip - off : 0) : 0;
            begin += k < sl ? k : sl;
            const char *e = eosl ? find(text + ce, fe - ce, eos, eosl) : NULL;
            if (e) end = (size_t)(e - text) + eosl;
        }
        sp[2 * ns] = begin;
        sp[2 * ns + 1] = end;
        ns++;
    }
    *spans = sp;
    *nspans = ns;
    *len = tl;
    return text;
}
