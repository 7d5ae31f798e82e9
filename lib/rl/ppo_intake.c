/*
 * ppo_intake.c — record checks and batch assembly for ppo-step (rules in
 * ppo_intake.h).  Ids of the current batch are kept as 64-bit hashes in
 * an unsorted array (batches are hundreds of records).
 */
#include "rl/ppo_intake.h"
#include "text/chat_template.h"
#include "rl/policy_version.h"
#include "io/record.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const reason_names[PI_NREASONS] = {
    "no_reward", "nan_reward", "tokenizer", "stale", "ahead", "trained", "duplicate", "bad", "too_long"};

const char *ppo_reject_name(int r) { return r >= 0 && r < PI_NREASONS ? reason_names[r] : "?"; }

void ppo_intake_init(ppo_intake *in, const tokenizer *tok, int vocab, int max_pos, long max_lag,
                     long fallback_size, long first_batch)
{
    memset(in, 0, sizeof *in);
    in->tok = tok, in->vocab = vocab, in->max_pos = max_pos;
    in->max_lag = max_lag, in->fallback_size = fallback_size;
    in->cur = first_batch, in->expect = -1;
    in->verbose_left = 10;
    tok_fingerprint_hex(tok, in->tok_fp);
}

static int reject(ppo_intake *in, int reason, const char *id, size_t idn, const char *why)
{
    in->rejected[reason]++;
    if (in->verbose_left > 0) {
        in->verbose_left--;
        fprintf(stderr, "%s: record %llu (id %.*s): rejected (%s): %s\n", progname,
                (unsigned long long)in->records, (int)idn, id, reason_names[reason], why);
        if (in->verbose_left == 0) fprintf(stderr, "%s: further rejections are only counted\n", progname);
    }
    return 0;
}

static int seen_has(const ppo_intake *in, uint64_t h)
{
    for (long i = 0; i < in->nseen; i++)
        if (in->seen[i] == h) return 1;
    return 0;
}

static void seen_add(ppo_intake *in, uint64_t h)
{
    if (in->nseen == in->seen_cap) in->seen = xrealloc(in->seen, (in->seen_cap = in->seen_cap ? 2 * in->seen_cap : 256) * sizeof *in->seen);
    in->seen[in->nseen++] = h;
}

static int complete(const ppo_intake *in) { return in->expect > 0 && in->nseen >= in->expect; }

/* Check and convert; returns 1 with *it filled, or 0 after reject(). */
static int to_item(ppo_intake *in, const msgpack_object *rec, const char *id, size_t idn, ppo_item *it)
{
    char why[160];
    const msgpack_object *pol = rec_get(rec, "policy");
    int64_t ver;
    if (!pol || rec_get_i64(pol, "version", &ver) != 1) return reject(in, PI_BAD, id, idn, "no policy.version");
    if (in->cur - ver > in->max_lag) {
        snprintf(why, sizeof why, "sampled by version %lld, batch %ld allows >= %ld (--max-lag %ld)", (long long)ver,
                 in->cur, in->cur - in->max_lag, in->max_lag);
        return reject(in, PI_STALE, id, idn, why);
    }
    const char *fp;
    size_t fpn;
    if (rec_get_str(pol, "tokenizer", &fp, &fpn) == 1 && !tok_fingerprint_is(in->tok_fp, fp, fpn))
        return reject(in, PI_TOKENIZER, id, idn, "sampled with a different tokenizer");
    double r;
    int rr = rec_get_f64(rec, "reward", &r);
    if (rr != 1) return reject(in, PI_NO_REWARD, id, idn, rr == 0 ? "no 'reward' (score the rollouts first, e.g. rm-score)" : "'reward' is not a number");
    if (!isfinite(r)) return reject(in, PI_NAN_REWARD, id, idn, "reward is not finite");
    int32_t *tok = NULL, *pt = NULL;
    long nt = rec_get_i32_array(rec, "tokens", &tok);
    if (nt <= 0) {
        free(tok);
        return reject(in, PI_BAD, id, idn, nt == 0 ? "empty 'tokens'" : "no int32 'tokens'");
    }
    long np = rec_get_i32_array(rec, "prompt_tokens", &pt);
    if (np == -2) {
        const msgpack_object *p = rec_get(rec, "prompt");
        chat_msg *msgs = NULL;
        char err[128];
        int nm = p ? chat_from_msgpack(p, &msgs, err, sizeof err) : -1;
        np = nm < 0 ? -1 : chat_encode(in->tok, msgs, nm, 1, &pt, NULL, err, sizeof err);
        free(msgs);
    }
    if (np <= 0) {
        free(tok), free(pt);
        return reject(in, PI_BAD, id, idn, "no usable prompt_tokens or prompt");
    }
    for (long i = 0; i < np + nt; i++) {
        int32_t t = i < np ? pt[i] : tok[i - np];
        if (t < 0 || t >= in->vocab) {
            free(tok), free(pt);
            return reject(in, PI_BAD, id, idn, "token id outside the vocabulary");
        }
    }
    if (np + nt > in->max_pos) {
        free(tok), free(pt);
        return reject(in, PI_TOO_LONG, id, idn, "prompt + response exceed the model's positions");
    }
    if (rec_get_str(rec, "ref_tokenizer", &fp, &fpn) == 1 && !tok_fingerprint_is(in->tok_fp, fp, fpn)) {
        free(tok), free(pt);
        return reject(in, PI_TOKENIZER, id, idn, "ref_logprobs computed with a different tokenizer");
    }
    float *ref = NULL;
    long nr = rec_get_f32_array(rec, "ref_logprobs", &ref);
    if (nr != -2 && nr != nt) {
        free(tok), free(pt), free(ref);
        return reject(in, PI_BAD, id, idn, "ref_logprobs length differs from tokens");
    }
    memset(it, 0, sizeof *it);
    it->ids = xrealloc(pt, (size_t)(np + nt) * sizeof(int32_t));
    memcpy(it->ids + np, tok, (size_t)nt * sizeof(int32_t));
    free(tok);
    it->plen = (int)np, it->rlen = (int)nt;
    it->reward = r;
    it->ref = nr == nt ? ref : (free(ref), NULL);
    const msgpack_object *fin = rec_get(rec, "finish");
    it->truncated = fin && obj_str_eq(fin, "length");
    it->id = xstrndup(id, idn);
    return 1;
}

int ppo_intake_add(ppo_intake *in, const msgpack_object *rec, const char *raw, size_t len)
{
    in->records++;
    const char *id;
    size_t idn;
    if (rec_get_str(rec, "id", &id, &idn) != 1) {
        reject(in, PI_BAD, "?", 1, "no string 'id'");
        return complete(in);
    }
    int64_t b, bs;
    if (rec_get_i64(rec, "batch", &b) != 1) b = in->cur;
    if (rec_get_i64(rec, "batch_size", &bs) != 1) bs = in->fallback_size;
    if (b < in->cur) {
        reject(in, PI_TRAINED, id, idn, "its batch was trained already");
        return complete(in);
    }
    if (b > in->cur) {
        if (b > in->cur + in->max_lag + 1) {
            reject(in, PI_AHEAD, id, idn, "batch further ahead than --max-lag allows");
            return complete(in);
        }
        if (in->npend == in->pend_cap) in->pend = xrealloc(in->pend, (in->pend_cap = in->pend_cap ? 2 * in->pend_cap : 64) * sizeof *in->pend);
        in->pend[in->npend++] = (struct pending){b, xstrndup(raw, len), len};
        return complete(in);
    }
    uint64_t h = hash64(id, idn, 0);
    if (seen_has(in, h)) {
        reject(in, PI_DUPLICATE, id, idn, "duplicate id in its batch");
        return complete(in);
    }
    if (bs <= 0) {
        reject(in, PI_BAD, id, idn, "no batch_size (give ppo-step --batch-records)");
        return complete(in);
    }
    seen_add(in, h);
    if (in->expect < 0) in->expect = bs;
    ppo_item it;
    if (to_item(in, rec, id, idn, &it)) {
        if (in->n == in->cap) in->items = xrealloc(in->items, (in->cap = in->cap ? 2 * in->cap : 64) * sizeof *in->items);
        in->items[in->n++] = it;
    }
    return complete(in);
}

int ppo_intake_take(ppo_intake *in, ppo_item **items, int *n)
{
    *items = in->items, *n = in->n;
    in->items = NULL, in->n = in->cap = 0;
    in->cur++, in->expect = -1, in->nseen = 0;
    long np = in->npend;
    struct pending *p = in->pend;
    in->pend = NULL, in->npend = in->pend_cap = 0;
    for (long i = 0; i < np; i++) {
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        size_t off = 0;
        if (msgpack_unpack_next(&u, p[i].raw, p[i].len, &off) != MSGPACK_UNPACK_SUCCESS)
            die(EX_SOFTWARE, "internal: a held record does not unpack");
        in->records--;   /* counted when it first arrived */
        ppo_intake_add(in, &u.data, p[i].raw, p[i].len);
        msgpack_unpacked_destroy(&u);
        free(p[i].raw);
    }
    free(p);
    return complete(in);
}

void ppo_intake_free(ppo_intake *in)
{
    for (int i = 0; i < in->n; i++) ppo_item_free(&in->items[i]);
    free(in->items);
    for (long i = 0; i < in->npend; i++) free(in->pend[i].raw);
    free(in->pend);
    free(in->seen);
    memset(in, 0, sizeof *in);
}

const char *ppo_intake_summary(const ppo_intake *in)
{
    static char buf[512];
    size_t k = 0;
    buf[0] = 0;
    for (int r = 0; r < PI_NREASONS; r++)
        if (in->rejected[r])
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%llu %s", k ? ", " : "", (unsigned long long)in->rejected[r],
                                  reason_names[r]);
    if (!k) snprintf(buf, sizeof buf, "none");
    return buf;
}
