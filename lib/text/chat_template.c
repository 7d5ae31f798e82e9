/*
 * chat_template.c — the Tülu chat template (see chat_template.h).
 *
 * Rendering records the byte spans of assistant content + EOS; the text is
 * encoded once with offsets (tok_encode_offsets: each token's span in the
 * rendered text, as the Hugging Face library's Encoding offsets), and a
 * token is an assistant token iff its start offset lies inside one of
 * those spans — the tokens whose first character comes from assistant
 * content or its EOS.  Offsets come through the normalizer, so a
 * SentencePiece "▁" prepended after an added token, NFC, byte fallback and
 * unknown tokens cannot shift the mask (a running sum of token lengths
 * did).  A token that starts in the template and runs into the content
 * (BPE merging across the boundary, e.g. "\n\n" when the content starts
 * with a newline) stays unmarked: its start is in the template; for the
 * byte-level tokenizers this is the rule the running sum gave, so their
 * masks are unchanged.
 */
#include "text/chat_template_int.h"
#include "io/record.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int chat_from_msgpack(const msgpack_object *arr, chat_msg **msgs, char *err, size_t el)
{
    if (!arr) { snprintf(err, el, "missing"); return -1; }
    if (arr->type != MSGPACK_OBJECT_ARRAY) { snprintf(err, el, "messages must be an array"); return -1; }
    int n = (int)arr->via.array.size;
    chat_msg *m = xcalloc(n ? n : 1, sizeof *m);
    for (int i = 0; i < n; i++) {
        const msgpack_object *o = &arr->via.array.ptr[i];
        const char *role, *content;
        size_t rl, cl;
        if (rec_get_str(o, "role", &role, &rl) != 1 || rec_get_str(o, "content", &content, &cl) != 1) {
            snprintf(err, el, "message %d needs string role and content", i);
            free(m);
            return -1;
        }
        if (rl == 4 && !memcmp(role, "user", 4)) m[i].role = "user";
        else if (rl == 6 && !memcmp(role, "system", 6)) m[i].role = "system";
        else if (rl == 9 && !memcmp(role, "assistant", 9)) m[i].role = "assistant";
        else {
            snprintf(err, el, "message %d has unknown role \"%.*s\"", i, (int)(rl > 20 ? 20 : rl), role);
            free(m);
            return -1;
        }
        m[i].content = content;
        m[i].len = cl;
    }
    *msgs = m;
    return n;
}

typedef struct { char *s; size_t n, cap; } sbuf;
static void put(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) { b->cap = (b->n + n + 1) * 2; b->s = xrealloc(b->s, b->cap); }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}
static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

/* spans: pairs of byte offsets [begin, end) of assistant content + EOS */
static char *render(const tokenizer *t, const chat_msg *msgs, int n, int gen, size_t skip, size_t *len,
                    size_t **spans, int *nspans)
{
    sbuf b = {0};
    const char *eos = tok_eos(t) ? tok_eos(t) : "";
    size_t *sp = xmalloc(sizeof(size_t) * 2 * (n + 1));
    int ns = 0;
    puts_(&b, "");
    /* a generation prompt after an assistant message continues that
     * message: it is the start of the reply ("Answer:"), left open */
    int open = gen && n > 0 && !strcmp(msgs[n - 1].role, "assistant");
    for (int i = 0; i < n; i++) {
        const chat_msg *m = &msgs[i];
        if (!strcmp(m->role, "assistant")) {
            puts_(&b, "<|assistant|>\n");
            sp[2 * ns] = b.n + (i + 1 == n ? skip : 0);
            put(&b, m->content, m->len);
            if (!(open && i + 1 == n)) puts_(&b, eos);
            sp[2 * ns + 1] = b.n;
            ns++;
            if (i + 1 < n) puts_(&b, "\n");
        } else {
            puts_(&b, !strcmp(m->role, "user") ? "<|user|>\n" : "<|system|>\n");
            put(&b, m->content, m->len);
            puts_(&b, "\n");
        }
    }
    if (gen && !open) puts_(&b, "<|assistant|>\n");
    *len = b.n;
    if (spans) { *spans = sp; *nspans = ns; } else free(sp);
    return b.s;
}

char *chat_render(const tokenizer *t, const chat_msg *msgs, int n, int gen, size_t *len)
{
    if (chat_jinja_attached(t)) {
        char err[512];
        return chat_jinja_render(t, msgs, n, gen, 0, len, NULL, NULL, err, sizeof err);
    }
    return render(t, msgs, n, gen, 0, len, NULL, NULL);
}

/* chat_encode, with the first `skip` content bytes of the last message
 * (an assistant prefix the response continues) left out of the mask */
static long encode(const tokenizer *t, const chat_msg *msgs, int n, int gen, size_t skip,
                   int32_t **ids, uint8_t **mask, char *err, size_t el)
{
    int own = chat_jinja_attached(t);
    if (!own && !tok_eos(t)) { snprintf(err, el, "the tokenizer has no end-of-sequence token"); return -1; }
    for (int i = 0; i < n; i++)
        if (strcmp(msgs[i].role, "user") && strcmp(msgs[i].role, "system") && strcmp(msgs[i].role, "assistant")) {
            snprintf(err, el, "message %d has unknown role \"%s\"", i, msgs[i].role);
            return -1;
        }
    size_t len, *spans;
    int ns;
    char *text = own ? chat_jinja_render(t, msgs, n, gen, skip, &len, &spans, &ns, err, el)
                     : render(t, msgs, n, gen, skip, &len, &spans, &ns);
    if (!text) return -1;
    tok_offset *offs;
    int32_t *body;
    long nb = tok_encode_offsets(t, text, len, TOK_SPLIT_SPECIAL, &body, &offs, err, el);
    free(text);
    if (nb < 0) { free(spans); return -1; }
    /* the post-processor's leading tokens (Llama's <s>) first, as the Tülu
     * training code's tokenizer(text) gives them; its trailing ones never
     * (each assistant turn already ends with EOS in the text) */
    const int32_t *pre, *suf;
    int npre, nsuf;
    tok_post_ids(t, &pre, &npre, &suf, &nsuf);
    if (own) npre = 0;   /* a model's template writes its BOS itself (apply_chat_template's add_special_tokens=False) */
    long k = npre + nb;
    *ids = xmalloc(sizeof(int32_t) * (size_t)(k ? k : 1));
    if (npre) memcpy(*ids, pre, sizeof(int32_t) * (size_t)npre);   /* pre is NULL when none */
    if (nb) memcpy(*ids + npre, body, sizeof(int32_t) * (size_t)nb);
    free(body);
    if (mask) {
        uint8_t *mk = xcalloc(k ? (size_t)k : 1, 1);
        for (long i = 0; i < nb; i++) {
            size_t at = offs[i].start, to = offs[i].end;
            uint8_t *m = &mk[npre + i];
            /* a model's template: any overlap (SentencePiece's "▁word" starts
             * at the template's space before the content, as Llama 2's and
             * Mistral's " " + content); Tülu's: the start rule above */
            for (int s = 0; s < ns && !*m; s++)
                *m = own ? to > spans[2 * s] && at < spans[2 * s + 1] : at >= spans[2 * s] && at < spans[2 * s + 1];
        }
        *mask = mk;
    }
    free(offs);
    free(spans);
    return k;
}

long chat_encode(const tokenizer *t, const chat_msg *msgs, int n, int gen,
                 int32_t **ids, uint8_t **mask, char *err, size_t el)
{
    return encode(t, msgs, n, gen, 0, ids, mask, err, el);
}

long chat_encode_response(const tokenizer *t, const chat_msg *prompt, int n, const char *resp,
                          size_t rlen, int32_t **prompt_ids, long *nprompt, int32_t **resp_ids,
                          char *err, size_t el)
{
    chat_msg *all = xmalloc(sizeof *all * (size_t)(n + 1));
    memcpy(all, prompt, sizeof *all * (size_t)n);
    /* a prompt ending in an assistant prefix: the response continues that
     * message (one turn, prefix + response + EOS); the split is where the
     * response's bytes begin (a token straddling it belongs to the prompt) */
    char *joined = NULL;
    size_t skip = 0;
    int m = n;
    if (n > 0 && !strcmp(prompt[n - 1].role, "assistant")) {
        skip = prompt[n - 1].len;
        joined = xmalloc(skip + rlen + 1);
        memcpy(joined, prompt[n - 1].content, skip);
        memcpy(joined + skip, resp, rlen);
        all[n - 1].content = joined;
        all[n - 1].len = skip + rlen;
    } else {
        all[m++] = (chat_msg){"assistant", resp, rlen};
    }
    int32_t *ids;
    uint8_t *mask;
    long k = encode(t, all, m, 0, skip, &ids, &mask, err, el);
    free(all);
    free(joined);
    if (k < 0) return -1;
    /* template text after the response's end of turn (ChatML's "\n" after
     * <|im_end|>) belongs to no turn: the response ends with its EOS */
    while (k > 0 && !mask[k - 1]) k--;
    long start = k;   /* the start of the last run of masked tokens */
    while (start > 0 && mask[start - 1]) start--;
    *nprompt = start;
    *prompt_ids = xmalloc(sizeof(int32_t) * (size_t)(start ? start : 1));
    memcpy(*prompt_ids, ids, sizeof(int32_t) * (size_t)start);
    *resp_ids = xmalloc(sizeof(int32_t) * (size_t)(k - start ? k - start : 1));
    memcpy(*resp_ids, ids + start, sizeof(int32_t) * (size_t)(k - start));
    free(ids);
    free(mask);
    return k - start;
}
