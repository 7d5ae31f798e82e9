/*
 * rollout.c — prompt set, batch plan and batch sampling for the rollout
 * stage (contracts in rollout.h).  Output records follow
 * schemas/rollout.json; `logprobs` are the model's log-probs at
 * temperature 1 (what PPO's ratio and KL need), whatever the sampling
 * temperature.
 */
#include "rl/rollout.h"
#include "text/chat_template.h"
#include "io/record.h"
#include "base/shuffle.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long encode_prompt(const tokenizer *tok, const msgpack_object *p, int32_t **ids, char *err, size_t errlen)
{
    if (p->type == MSGPACK_OBJECT_STR) {
        chat_msg m = {"user", p->via.str.ptr, p->via.str.size};
        return chat_encode(tok, &m, 1, 1, ids, NULL, err, errlen);
    }
    chat_msg *msgs = NULL;
    int n = chat_from_msgpack(p, &msgs, err, errlen);
    if (n < 0) return -1;
    long r = chat_encode(tok, msgs, n, 1, ids, NULL, err, errlen);
    free(msgs);
    return r;
}

void rollout_set_load(rollout_set *s, const char *uri, const tokenizer *tok, int max_prompt)
{
    rstream *in = rs_open_read(uri);
    msgpack_object rec;
    while (rs_next(in, &rec) == RS_OK) {
        s->read++;
        const char *id;
        size_t idn;
        if (rec_get_str(&rec, "id", &id, &idn) != 1)
            die(EX_DATAERR, "%s: record %llu: no string 'id'", uri, (unsigned long long)rs_count(in));
        const msgpack_object *p = rec_get(&rec, "prompt");
        if (!p) die(EX_DATAERR, "%s: record %llu (id %.*s): no 'prompt'", uri, (unsigned long long)rs_count(in), (int)idn, id);
        char err[256];
        int32_t *ids = NULL;
        long n = encode_prompt(tok, p, &ids, err, sizeof err);
        if (n < 0)
            die(EX_DATAERR, "%s: record %llu (id %.*s): prompt: %s", uri, (unsigned long long)rs_count(in), (int)idn, id, err);
        if (n > max_prompt) {
            s->too_long++;
            free(ids);
            continue;
        }
        if (s->n == s->cap) s->p = xrealloc(s->p, (s->cap = s->cap ? 2 * s->cap : 256) * sizeof *s->p);
        const char *raw;
        size_t len;
        rs_last_raw(in, &raw, &len);
        s->p[s->n++] = (rollout_prompt){xstrndup(raw, len), len, xstrndup(id, idn), ids, (int)n};
    }
    rs_close(in);
}

void rollout_set_free(rollout_set *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->p[i].raw), free(s->p[i].id), free(s->p[i].ids);
    free(s->p);
    memset(s, 0, sizeof *s);
}

long rollout_nbatches(const rollout_plan *pl, size_t nprompts)
{
    if (nprompts == 0) return 0;
    long nb = (long)((nprompts + pl->B - 1) / pl->B);
    return nb * pl->epochs;
}

size_t *rollout_batch_prompts(const rollout_plan *pl, size_t P, long j, int *n, int *epoch)
{
    long nb = (long)((P + pl->B - 1) / pl->B);
    int e = (int)(j / nb);
    long k = j % nb;
    size_t *perm = xmalloc(P * sizeof *perm);
    if (pl->shuffle) {
        rng_t r;
        rng_seed(&r, mix64(pl->seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(e + 1))));
        rng_permutation(&r, perm, P);
    } else {
        for (size_t i = 0; i < P; i++) perm[i] = i;
    }
    size_t lo = (size_t)k * pl->B, hi = lo + pl->B < P ? lo + pl->B : P;
    size_t *out = xmalloc((hi - lo) * sizeof *out);
    memcpy(out, perm + lo, (hi - lo) * sizeof *out);
    free(perm);
    *n = (int)(hi - lo);
    *epoch = e;
    return out;
}

static void put_policy(recb *b, const rollout_policy *pol)
{
    msgpack_packer *pk = recb_begin(b, "policy");
    msgpack_pack_map(pk, pol->tok_fp ? 3 : 2);
    pack_str(pk, "path");
    pack_str(pk, pol->path);
    pack_str(pk, "version");
    msgpack_pack_int64(pk, pol->version);
    if (pol->tok_fp) {
        pack_str(pk, "tokenizer");
        pack_str(pk, pol->tok_fp);
    }
    recb_end(b);
}

static void put_sampler(recb *b, const sampler_cfg *sc)
{
    msgpack_packer *pk = recb_begin(b, "sampler");
    msgpack_pack_map(pk, 4);
    pack_str(pk, "temperature");
    msgpack_pack_double(pk, sc->temperature);
    pack_str(pk, "top_p");
    msgpack_pack_double(pk, sc->top_p);
    pack_str(pk, "top_k");
    msgpack_pack_int64(pk, sc->top_k);
    pack_str(pk, "seed");
    msgpack_pack_uint64(pk, sc->seed);
    recb_end(b);
}

/* Invalid UTF-8 (a byte-level model can stop mid-character) becomes
 * U+FFFD per bad byte, as Python's decode(errors="replace") roughly does,
 * so records stay valid msgpack strings.  Returns a malloc'd copy. */
static char *utf8_repair(const char *s, size_t n, size_t *outlen)
{
    char *o = xmalloc(3 * n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t len = 1;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0xf0) len = 4;
        else if (c >= 0xe0) len = 3;
        else if (c >= 0xc0) len = 2;
        if (i + len <= n && utf8_valid(s + i, len)) {
            memcpy(o + k, s + i, len);
            k += len, i += len;
        } else {
            memcpy(o + k, "\xef\xbf\xbd", 3);
            k += 3, i += 1;
        }
    }
    *outlen = k;
    return o;
}

static void write_record(recb *b, rstream *out, const rollout_prompt *p, const char *rid, const sample_out *o,
                         const sampler_cfg *sc, const rollout_policy *pol, long j, long bsize)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    if (msgpack_unpack_next(&u, p->raw, p->len, &off) != MSGPACK_UNPACK_SUCCESS)
        die(EX_SOFTWARE, "internal: a held prompt record does not unpack");
    recb_reset(b);
    recb_put_str(b, "id", rid);
    recb_put_str(b, "prompt_id", p->id);
    const msgpack_object *po = rec_get(&u.data, "prompt");
    if (po->type == MSGPACK_OBJECT_STR) {   /* a bare string is one user turn */
        msgpack_packer *pk = recb_begin(b, "prompt");
        msgpack_pack_array(pk, 1);
        msgpack_pack_map(pk, 2);
        pack_str(pk, "role");
        pack_str(pk, "user");
        pack_str(pk, "content");
        pack_strn(pk, po->via.str.ptr, po->via.str.size);
        recb_end(b);
    } else {
        recb_put_obj(b, "prompt", po);
    }
    size_t tl;
    char *text = utf8_repair(o->text ? o->text : "", o->text_len, &tl);
    recb_put_strn(b, "response", text, tl);
    recb_put_i32_array(b, "prompt_tokens", p->ids, (size_t)p->n);
    recb_put_i32_array(b, "tokens", o->tokens, (size_t)o->n);
    recb_put_f32_array(b, "logprobs", o->logp_model, (size_t)o->n);
    recb_put_str(b, "finish", finish_name(o->finish));
    put_policy(b, pol);
    put_sampler(b, sc);
    recb_put_i64(b, "batch", j);
    recb_put_i64(b, "batch_size", bsize);
    static const char *const copy[] = {"gold", "source", "tags", "meta"};
    for (size_t k = 0; k < sizeof copy / sizeof *copy; k++) {
        const msgpack_object *v = rec_get(&u.data, copy[k]);
        if (v) recb_put_obj(b, copy[k], v);
    }
    const char *buf;
    size_t len;
    recb_finish(b, &buf, &len);
    rs_write(out, buf, len);
    msgpack_unpacked_destroy(&u);
    free(text);
}

long rollout_write_batch(model *m, const tokenizer *tok, const sampler_cfg *sc, const rollout_plan *pl,
                         const rollout_set *set, long j, int gen_batch, const rollout_policy *pol,
                         rstream *out, uint64_t *tokens)
{
    int np, epoch;
    size_t *pidx = rollout_batch_prompts(pl, set->n, j, &np, &epoch);
    long rows = (long)np * pl->r;
    const int32_t **ids = xmalloc((size_t)gen_batch * sizeof *ids);
    int *plen = xmalloc((size_t)gen_batch * sizeof *plen);
    char **rid = xmalloc((size_t)gen_batch * sizeof *rid);
    const rollout_prompt **who = xmalloc((size_t)gen_batch * sizeof *who);
    sample_out *so = xcalloc((size_t)gen_batch, sizeof *so);
    recb b;
    recb_init(&b);
    for (long r0 = 0; r0 < rows; r0 += gen_batch) {
        int nb = (int)(rows - r0 < gen_batch ? rows - r0 : gen_batch);
        for (int i = 0; i < nb; i++) {
            long row = r0 + i;
            const rollout_prompt *p = &set->p[pidx[row / pl->r]];
            long s = (long)epoch * pl->r + row % pl->r;
            size_t n = strlen(p->id) + 32;
            rid[i] = xmalloc(n);
            snprintf(rid[i], n, "%s#%ld", p->id, s);
            ids[i] = p->ids, plen[i] = p->n, who[i] = p;
        }
        sample_batch(m, tok, sc, ids, plen, (const char *const *)rid, nb, so);
        for (int i = 0; i < nb; i++) {
            write_record(&b, out, who[i], rid[i], &so[i], sc, pol, j, rows);
            *tokens += (uint64_t)so[i].n;
            sample_out_free(&so[i]);
            free(rid[i]);
        }
    }
    recb_free(&b);
    free(so), free(who), free(rid), free(plen), free(ids), free(pidx);
    return rows;
}
