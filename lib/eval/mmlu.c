/*
 * mmlu.c — the MMLU scorer (eval-score --task mmlu): the answer is the
 * letter whose response " L" the model gives the highest log-probability,
 * as the official script takes the most probable of A-D.
 *
 * Input: bench-load --format mmlu records scored by lm-logprob (field
 * `logprobs`: one value per response token, the last for the EOS the chat
 * template appends, which is left out: log P(" L" | prompt)).  Records are
 * grouped by prompt_id; a question needs all four letters (one missing is
 * counted in "incomplete" and not scored); a tie goes to the earlier
 * letter.  Summary: score = accuracy over questions (the paper's number,
 * over 14,042), macro = the mean of per-subject accuracies, subjects
 * {name: {n, accuracy}} in name order.
 */
#include "eval/common.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double lp[4];
    unsigned seen;          /* bit per letter */
    int gold;
    size_t subject;
} question;

typedef struct {
    strmap qs, subj;
    question *q;
    size_t nq, cap;
    char **sname;
    size_t nsub;
    double *ok;             /* per complete question, built for --bootstrap */
    size_t nok;
} mmlu_state;

static void *mm_create(const eval_cfg *cfg)
{
    (void)cfg;
    mmlu_state *st = xcalloc(1, sizeof *st);
    strmap_init(&st->qs);
    strmap_init(&st->subj);
    return st;
}

static int letter(const msgpack_object *g, const char *key, char *err, size_t ec)
{
    const char *s;
    size_t n;
    if (rec_get_str(g, key, &s, &n) != 1 || n != 1 || s[0] < 'A' || s[0] > 'D') {
        snprintf(err, ec, "gold.%s must be one of A, B, C, D", key);
        return -1;
    }
    return s[0] - 'A';
}

static int mm_score(void *vst, const msgpack_object *rec, kvbuf *sc, char *err, size_t ec)
{
    (void)sc;
    mmlu_state *st = vst;
    const msgpack_object *g = eval_gold(rec);
    const char *pid, *sub;
    size_t pn, sn;
    if (!g || rec_get_str(rec, "prompt_id", &pid, &pn) != 1 || rec_get_str(g, "subject", &sub, &sn) != 1) {
        snprintf(err, ec, "needs prompt_id and gold.subject (bench-load --format mmlu)");
        return -1;
    }
    int gold = letter(g, "answer", err, ec), ch = letter(g, "choice", err, ec);
    if (gold < 0 || ch < 0)
        return -1;
    float *lp = NULL;
    long n = rec_get_f32_array(rec, "logprobs", &lp);
    if (n < 2) {
        free(lp);
        snprintf(err, ec, n < 0 ? "no float array 'logprobs' (score with lm-logprob first)"
                                : "'logprobs' has no response token besides the EOS");
        return -1;
    }
    double sum = 0;
    for (long i = 0; i + 1 < n; i++)
        sum += lp[i];
    free(lp);
    if (!isfinite(sum)) {
        snprintf(err, ec, "the log-probabilities are not finite");
        return -1;
    }
    int ins;
    uint64_t *si = strmap_get(&st->subj, sub, sn, st->nsub, &ins);
    if (ins) {
        st->sname = xrealloc(st->sname, (st->nsub + 1) * sizeof *st->sname);
        st->sname[st->nsub++] = xstrndup(sub, sn);
    }
    uint64_t *qi = strmap_get(&st->qs, pid, pn, st->nq, &ins);
    if (ins) {
        if (st->nq == st->cap)
            st->q = xrealloc(st->q, (st->cap = st->cap ? 2 * st->cap : 1024) * sizeof *st->q);
        st->q[st->nq] = (question){{0}, 0, gold, *si};
        st->nq++;
    }
    question *q = &st->q[*qi];
    if (q->gold != gold || q->subject != *si) {
        snprintf(err, ec, "prompt_id %.*s: gold.answer or subject differs between its records", (int)pn, pid);
        return -1;
    }
    if (q->seen >> ch & 1) {
        snprintf(err, ec, "prompt_id %.*s: letter %c twice", (int)pn, pid, 'A' + ch);
        return -1;
    }
    q->seen |= 1u << ch;
    q->lp[ch] = sum;
    return 0;
}

static mmlu_state *sort_st;
static int by_subject(const void *a, const void *b)
{
    return strcmp(sort_st->sname[*(const size_t *)a], sort_st->sname[*(const size_t *)b]);
}

static void mm_finish(void *vst, kvbuf *s)
{
    mmlu_state *st = vst;
    uint64_t *sn = xcalloc(st->nsub + 1, sizeof *sn), *sc = xcalloc(st->nsub + 1, sizeof *sc);
    uint64_t done = 0, correct = 0, incomplete = 0;
    for (size_t i = 0; i < st->nq; i++) {
        question *q = &st->q[i];
        if (q->seen != 15) {
            incomplete++;
            continue;
        }
        int best = 0;
        for (int l = 1; l < 4; l++)
            if (q->lp[l] > q->lp[best])
                best = l;
        done++, sn[q->subject]++;
        if (best == q->gold)
            correct++, sc[q->subject]++;
    }
    double macro = 0;
    size_t nsub = 0;
    for (size_t j = 0; j < st->nsub; j++)
        if (sn[j])
            macro += (double)sc[j] / (double)sn[j], nsub++;
    double acc = done ? (double)correct / (double)done : 0;
    kv_f64(s, "score", acc);
    kv_f64(s, "accuracy", acc);
    kv_f64(s, "macro", nsub ? macro / (double)nsub : 0);
    kv_i64(s, "questions", (int64_t)done);
    kv_i64(s, "correct", (int64_t)correct);
    kv_i64(s, "incomplete", (int64_t)incomplete);
    size_t *ord = xmalloc((st->nsub + 1) * sizeof *ord);
    for (size_t j = 0; j < st->nsub; j++)
        ord[j] = j;
    sort_st = st;
    qsort(ord, st->nsub, sizeof *ord, by_subject);
    msgpack_packer *pk = kv_key(s, "subjects");
    msgpack_pack_map(pk, (uint32_t)nsub);
    for (size_t k = 0; k < st->nsub; k++) {
        size_t j = ord[k];
        if (!sn[j])
            continue;
        pack_str(pk, st->sname[j]);
        msgpack_pack_map(pk, 2);
        pack_str(pk, "n"), msgpack_pack_uint64(pk, sn[j]);
        pack_str(pk, "accuracy"), msgpack_pack_double(pk, (double)sc[j] / (double)sn[j]);
    }
    if (incomplete)
        fprintf(stderr, "%s: mmlu: %llu questions without all four letters were not scored\n", progname,
                (unsigned long long)incomplete);
    free(ord), free(sn), free(sc);
}

/* Accuracy over complete questions, each counted w[i] times. */
static size_t mm_units(void *vst)
{
    mmlu_state *st = vst;
    if (!st->ok) {
        st->ok = xmalloc((st->nq + 1) * sizeof *st->ok);
        for (size_t i = 0; i < st->nq; i++) {
            question *q = &st->q[i];
            if (q->seen != 15)
                continue;
            int best = 0;
            for (int l = 1; l < 4; l++)
                if (q->lp[l] > q->lp[best])
                    best = l;
            st->ok[st->nok++] = best == q->gold;
        }
    }
    return st->nok;
}
static double mm_reweigh(void *vst, const uint32_t *w)
{
    mmlu_state *st = vst;
    double s = 0, n = 0;
    for (size_t i = 0; i < st->nok; i++)
        s += w[i] * st->ok[i], n += w[i];
    return n ? s / n : 0;
}

static void mm_destroy(void *vst)
{
    mmlu_state *st = vst;
    free(st->ok);
    for (size_t j = 0; j < st->nsub; j++)
        free(st->sname[j]);
    free(st->sname), free(st->q);
    strmap_free(&st->qs), strmap_free(&st->subj);
    free(st);
}

const eval_task eval_task_mmlu = {"mmlu",     "MMLU",   mm_create,  mm_score, mm_finish,
                                  mm_destroy, mm_units, mm_reweigh, NULL};
