/*
 * dataset_emit.c — what row functions call: the JSON getters that accept
 * the sources' loose typing (numbers as strings, null as absent), and the
 * emitters that apply the shared cleaning (dataset.h) and pack pair, rated
 * and prompt records.  Emitted strings are borrowed from the row; the
 * builder copies them when the record is packed.
 */
#include "data/dataset.h"
#include "base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON getters ---- */

int ds_str(json_t *o, const char *key, const char **s, size_t *n)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    *s = json_string_value(v);
    *n = json_string_length(v);
    return 1;
}

int ds_num_value(json_t *v, double *out)
{
    if (!v || json_is_null(v))
        return 0;
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 1;
    }
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 1;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        double d = strtod(s, &end);
        if (end == s || errno)
            return -1;
        while (*end == ' ' || *end == '\t')
            end++;
        if (*end)
            return -1;
        *out = d;
        return 1;
    }
    return -1;
}

int ds_num(json_t *o, const char *key, double *v) { return ds_num_value(json_object_get(o, key), v); }

int ds_msgs(json_t *arr, msgs_t *out, const char **why)
{
    msgs_clear(out);
    if (!json_is_array(arr)) {
        *why = "expected a list of messages";
        return -1;
    }
    size_t i;
    json_t *m;
    json_array_foreach(arr, i, m) {
        if (!json_is_object(m)) {
            *why = "a message is not an object";
            return -1;
        }
        const char *r, *s = "";
        size_t rn, sn = 0;
        if (ds_str(m, "role", &r, &rn) != 1 && ds_str(m, "from", &r, &rn) != 1) {
            *why = "a message has no role";
            return -1;
        }
        int role = role_parse(r, rn);
        if (role < 0) {
            *why = "a message has an unknown role";
            return -1;
        }
        int k = ds_str(m, "content", &s, &sn);
        if (k == 0 && !json_object_get(m, "content"))
            k = ds_str(m, "value", &s, &sn);
        if (k < 0) {
            *why = "a message content is not a string";
            return -1;
        }
        if (k == 0)
            s = "", sn = 0;
        msgs_push(out, role, s, sn);
    }
    return 0;
}

const char *ds_id(json_t *o, const char *key, char *buf, size_t cap, size_t *len)
{
    json_t *v = json_object_get(o, key);
    if (json_is_string(v) && json_string_length(v) > 0) {
        *len = json_string_length(v);
        return json_string_value(v);
    }
    if (json_is_integer(v)) {
        *len = (size_t)snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return NULL;
}

/* ---- emitting ---- */

static int prompt_ok(ds_ctx *c, const msgs_t *m, size_t n)
{
    if (n == 0) {
        ds_drop(c, "no prompt");
        return 0;
    }
    if (msgs_any_empty(m, n)) {
        ds_drop(c, "empty turn");
        return 0;
    }
    if (m->m[n - 1].role != ROLE_USER) {
        ds_drop(c, "prompt does not end with a user turn");
        return 0;
    }
    return 1;
}

static void write_record(ds_ctx *c)
{
    const char *buf;
    size_t len;
    recb_finish(&c->b, &buf, &len);
    rs_write(c->out, buf, len);
    c->written++;
}

static void emit_prompt(ds_ctx *c, const char *id, size_t idlen, const msgs_t *m, size_t n, const char *src,
                        size_t slen)
{
    char hex[17];
    if (!id) {
        id_hex(hash_msgs(0, m, n), hex);
        id = hex;
        idlen = 16;
    }
    recb_reset(&c->b);
    recb_put_strn(&c->b, "id", id, idlen);
    pack_msgs(recb_begin(&c->b, "prompt"), m, n);
    recb_end(&c->b);
    recb_put_strn(&c->b, "source", src, slen);
    write_record(c);
}

void ds_emit_pair(ds_ctx *c, const ds_pair *p)
{
    const char *ch = p->chosen, *rj = p->rejected;
    size_t cl = p->clen, rl = p->rlen;
    const char *src = c->opt.source ? c->opt.source : p->source ? p->source : c->fmt->name;
    size_t slen = c->opt.source ? strlen(c->opt.source) : p->source ? p->slen : strlen(c->fmt->name);
    if (!prompt_ok(c, p->prompt, p->nprompt))
        return;
    if (c->emit == EMIT_PROMPT) {
        emit_prompt(c, p->id, p->idlen, p->prompt, p->nprompt, src, slen);
        return;
    }
    if (!ch || !rj) {
        ds_drop(c, "no assistant reply");
        return;
    }
    str_strip(&ch, &cl);
    str_strip(&rj, &rl);
    if (cl == 0 || rl == 0) {
        ds_drop(c, "empty turn");
        return;
    }
    if (cl == rl && memcmp(ch, rj, cl) == 0) {   /* no preference to learn (AlpacaFarm has such rows) */
        ds_drop(c, "identical responses");
        return;
    }
    char hex[17];
    const char *id = p->id;
    size_t idlen = p->idlen;
    if (!id) {
        uint64_t h = hash_msgs(0, p->prompt, p->nprompt);
        h = hash_field(h, ch, cl);
        h = hash_field(h, rj, rl);
        id_hex(h, hex);
        id = hex;
        idlen = 16;
    }
    recb_reset(&c->b);
    recb_put_strn(&c->b, "id", id, idlen);
    pack_msgs(recb_begin(&c->b, "prompt"), p->prompt, p->nprompt);
    recb_end(&c->b);
    recb_put_strn(&c->b, "chosen", ch, cl);
    recb_put_strn(&c->b, "rejected", rj, rl);
    recb_put_strn(&c->b, "source", src, slen);
    if (p->has_margin)
        recb_put_f64(&c->b, "margin", p->margin);
    if (p->chosen_model)
        recb_put_strn(&c->b, "chosen_model", p->chosen_model, p->cmlen);
    if (p->rejected_model)
        recb_put_strn(&c->b, "rejected_model", p->rejected_model, p->rmlen);
    if (p->prompt_source) {
        msgpack_packer *pk = recb_begin(&c->b, "meta");
        msgpack_pack_map(pk, 1);
        pack_str(pk, "prompt_source");
        pack_strn(pk, p->prompt_source, p->pslen);
        recb_end(&c->b);
    }
    write_record(c);
}

void ds_emit_conv_pair(ds_ctx *c, ds_pair *p, const msgs_t *chosen, const msgs_t *rejected)
{
    if (msgs_any_empty(chosen, chosen->n) || msgs_any_empty(rejected, rejected->n)) {
        ds_drop(c, "empty turn");
        return;
    }
    if (chosen->n == 0 || rejected->n == 0 || chosen->m[chosen->n - 1].role != ROLE_ASSISTANT ||
        rejected->m[rejected->n - 1].role != ROLE_ASSISTANT) {
        ds_drop(c, "no assistant reply");
        return;
    }
    size_t k = msgs_common_prefix(chosen, rejected);
    if (k == chosen->n || k == rejected->n) {
        ds_drop(c, "identical conversations");
        return;
    }
    if (k + 1 != chosen->n || k + 1 != rejected->n) {
        ds_drop(c, "conversations diverge before the last turn");
        return;
    }
    p->prompt = chosen;
    p->nprompt = k;
    p->chosen = chosen->m[k].s;
    p->clen = chosen->m[k].n;
    p->rejected = rejected->m[k].s;
    p->rlen = rejected->m[k].n;
    ds_emit_pair(c, p);
}

static void pack_rated(ds_ctx *c, const char *id, size_t idlen, const msgs_t *prompt, const rated_t *r,
                       const char *ps, size_t pslen)
{
    recb_reset(&c->b);
    recb_put_strn(&c->b, "id", id, idlen);
    pack_msgs(recb_begin(&c->b, "prompt"), prompt, prompt->n);
    recb_end(&c->b);
    msgpack_packer *pk = recb_begin(&c->b, "completions");
    msgpack_pack_array(pk, r->n);
    for (size_t i = 0; i < r->n; i++) {
        const completion_t *cp = &r->c[i];
        int nk = 1 + (cp->rn > 0) + (cp->has_overall || cp->overall_na) + (cp->rank > 0) + (cp->model != NULL);
        msgpack_pack_map(pk, nk);
        pack_str(pk, "text");
        pack_strn(pk, cp->text, cp->tlen);
        if (cp->rn > 0) {
            pack_str(pk, "ratings");
            msgpack_pack_map(pk, cp->rn);
            for (size_t j = cp->r0; j < cp->r0 + cp->rn; j++) {
                pack_strn(pk, r->r[j].name, r->r[j].nlen);
                if (r->r[j].valid)
                    msgpack_pack_double(pk, r->r[j].v);
                else
                    msgpack_pack_nil(pk);
            }
        }
        if (cp->has_overall || cp->overall_na) {
            pack_str(pk, "overall");
            if (cp->has_overall)
                msgpack_pack_double(pk, cp->overall);
            else
                msgpack_pack_nil(pk);
        }
        if (cp->rank > 0) {
            pack_str(pk, "rank");
            msgpack_pack_int64(pk, cp->rank);
        }
        if (cp->model) {
            pack_str(pk, "model");
            pack_strn(pk, cp->model, cp->mlen);
        }
    }
    recb_end(&c->b);
    recb_put_str(&c->b, "source", c->opt.source ? c->opt.source : c->fmt->name);
    if (ps) {
        pk = recb_begin(&c->b, "meta");
        msgpack_pack_map(pk, 1);
        pack_str(pk, "prompt_source");
        pack_strn(pk, ps, pslen);
        recb_end(&c->b);
    }
    write_record(c);
}

void ds_emit_rated(ds_ctx *c, const char *id, size_t idlen, const msgs_t *prompt, rated_t *r, const char *ps,
                   size_t pslen)
{
    if (!prompt_ok(c, prompt, prompt->n))
        return;
    char hex[17];
    if (!id) {
        id_hex(hash_msgs(0, prompt, prompt->n), hex);
        id = hex;
        idlen = 16;
    }
    if (c->emit == EMIT_PROMPT) {
        const char *src = c->opt.source ? c->opt.source : c->fmt->name;
        emit_prompt(c, id, idlen, prompt, prompt->n, src, strlen(src));
        return;
    }
    size_t w = 0;
    for (size_t i = 0; i < r->n; i++) {
        completion_t cp = r->c[i];
        str_strip(&cp.text, &cp.tlen);
        if (cp.tlen == 0) {
            c->empty_completions++;
            continue;
        }
        r->c[w++] = cp;
    }
    r->n = w;
    if (r->n == 0) {
        ds_drop(c, "no completions");
        return;
    }
    if (c->emit == EMIT_RATED) {
        pack_rated(c, id, idlen, prompt, r, ps, pslen);
        return;
    }
    bin_stats before = c->bst;
    size_t k = binarize(&c->bcfg, r, id, idlen, c->bp, &c->bst);
    if (k == 0) {
        if (c->bst.too_few > before.too_few)
            ds_drop(c, "fewer than two scored completions");
        else if (c->bst.all_tied > before.all_tied)
            ds_drop(c, "all completions tie");
        else
            ds_drop(c, "no rejected candidate");
        return;
    }
    for (size_t j = 0; j < k; j++) {
        const completion_t *ch = &r->c[c->bp[j].chosen], *rj = &r->c[c->bp[j].rejected];
        char idk[256];
        ds_pair p = {.id = id, .idlen = idlen, .prompt = prompt, .nprompt = prompt->n,
                     .chosen = ch->text, .clen = ch->tlen, .rejected = rj->text, .rlen = rj->tlen,
                     .margin = c->bp[j].margin, .has_margin = 1,
                     .chosen_model = ch->model, .cmlen = ch->mlen, .rejected_model = rj->model, .rmlen = rj->mlen,
                     .prompt_source = ps, .pslen = pslen};
        if (k > 1 && idlen < 200) {
            p.idlen = (size_t)snprintf(idk, sizeof idk, "%.*s/%zu", (int)idlen, id, j + 1);
            p.id = idk;
        }
        ds_emit_pair(c, &p);
    }
}

