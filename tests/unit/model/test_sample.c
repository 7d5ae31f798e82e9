/*
 * test_sample.c — the sampler.
 *  - sample_token: greedy = argmax with sampling log-prob 0; top-k 1 is
 *    greedy; top-p 0.8 over softmax([3,2,1,0]) keeps exactly 2 tokens with
 *    frequencies 0.731/0.269 (+-0.03 over 4000 draws); temperature
 *    sharpens; model log-prob is the temperature-1 log-softmax; over a
 *    5000-token vocabulary top-p 0.3 and top-k 7 draws stay in the
 *    brute-force sets with renormalised log-probs (the threshold search
 *    that avoids sorting the whole vocabulary);
 *  - sample_batch on a tiny random model: same seed => same tokens; a
 *    record's sample is the same alone and beside other records; the
 *    returned model log-probs equal a full forward's per-token log-probs
 *    over prompt + response (|diff| <= 1e-4); max_new gives finish
 *    "length"; a stop string ends with "stop" and is cut from the text;
 *    the EOS id ends with "stop" and is kept in tokens, not in the text;
 *  - finished rows leaving the batch (compaction) change no byte: a batch
 *    of six prompts of different lengths, rows ending at different steps,
 *    equals the same batch with finished rows kept as padding, each row
 *    sampled alone, and the batch in reverse order (tokens, both
 *    log-probs, text, finish: memcmp).
 */
#include "model/sample.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c, ...) do { if (!(c)) { printf("FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

static void test_token(void)
{
    float l[4] = {2, 3, 1, 0}, scratch[8], ls, lm;
    sampler_cfg c = sampler_defaults();
    rng_t r;
    rng_seed(&r, 1);
    c.temperature = 0;
    int32_t t = sample_token(l, 4, &c, &r, &ls, &lm, scratch);
    double lse = log(exp(2) + exp(3) + exp(1) + exp(0));
    CHECK(t == 1 && ls == 0 && fabs(lm - (3 - lse)) < 1e-6, "greedy %d %g %g", t, ls, lm);
    c.temperature = 1;
    c.top_k = 1;
    t = sample_token(l, 4, &c, &r, &ls, &lm, scratch);
    CHECK(t == 1 && fabsf(ls) < 1e-7f, "top-k 1 %d %g", t, ls);
    c.top_k = 0;
    c.top_p = 0.8;
    int count[4] = {0};
    for (int i = 0; i < 4000; i++) {
        t = sample_token(l, 4, &c, &r, &ls, &lm, scratch);
        count[t]++;
        double want = t == 1 ? log(exp(3) / (exp(3) + exp(2))) : log(exp(2) / (exp(3) + exp(2)));
        if (t > 1 || fabs(ls - want) > 1e-5) { CHECK(0, "top-p draw %d logp %g", t, ls); break; }
    }
    CHECK(fabs(count[1] / 4000.0 - 0.731) < 0.03 && count[2] == 0 && count[3] == 0,
          "top-p frequencies %d %d %d %d", count[0], count[1], count[2], count[3]);
    c.top_p = 1;
    c.temperature = 0.25;
    int hi = 0;
    for (int i = 0; i < 1000; i++) hi += sample_token(l, 4, &c, &r, &ls, &lm, scratch) == 1;
    CHECK(hi > 950, "temperature 0.25 should pick the top token ~98%%: %d/1000", hi);
}

/* top-k / top-p over a 5000-token vocabulary: every draw lies in the
 * brute-force nucleus and its sampling log-prob is the renormalised one */
static void test_nucleus_large(void)
{
    enum { V = 5000 };
    static float l[V], scratch[2 * V];
    rng_t r;
    rng_seed(&r, 17);
    for (int i = 0; i < V; i++) l[i] = (float)(rng_uniform(&r) * 8);
    double mx = 0;
    for (int i = 0; i < V; i++) mx = fmax(mx, l[i]);
    /* brute force: sort probabilities descending */
    static double p[V];
    static int order[V];
    double tot = 0;
    for (int i = 0; i < V; i++) { p[i] = exp((l[i] - mx) / 0.7); tot += p[i]; order[i] = i; }
    for (int i = 0; i < V; i++)   /* selection sort of the head is enough */
        for (int j = i + 1; j < V && i < 400; j++)
            if (p[order[j]] > p[order[i]]) { int t = order[i]; order[i] = order[j]; order[j] = t; }
    int keep = 0;
    double cum = 0;
    while (cum < 0.3 * tot) cum += p[order[keep++]];
    printf("nucleus of top-p 0.3: %d of %d tokens\n", keep, V);
    CHECK(keep < 400, "nucleus larger than the sorted head");
    sampler_cfg c = sampler_defaults();
    c.temperature = 0.7;
    c.top_p = 0.3;
    for (int it = 0; it < 200; it++) {
        float ls, lm;
        int32_t t = sample_token(l, V, &c, &r, &ls, &lm, scratch);
        int pos = -1;
        for (int k = 0; k < keep; k++) if (order[k] == t) pos = k;
        if (pos < 0 || fabs(ls - log(p[t] / cum)) > 1e-4) {
            CHECK(0, "nucleus draw %d (rank %d of %d kept) logp %g want %g", t, pos, keep, ls, log(p[t] / cum));
            break;
        }
    }
    c.top_p = 1;
    c.top_k = 7;
    double k7 = 0;
    for (int k = 0; k < 7; k++) k7 += p[order[k]];
    for (int it = 0; it < 200; it++) {
        float ls, lm;
        int32_t t = sample_token(l, V, &c, &r, &ls, &lm, scratch);
        int pos = -1;
        for (int k = 0; k < 7; k++) if (order[k] == t) pos = k;
        if (pos < 0 || fabs(ls - log(p[t] / k7)) > 1e-4) { CHECK(0, "top-k draw %d outside the top 7", t); break; }
    }
}

static model *tiny(void)
{
    model_config c = {.vocab = 261, .dim = 32, .n_layers = 2, .n_heads = 4, .n_kv_heads = 1,
                      .head_dim = 8, .ffn = 64, .max_pos = 128, .norm_eps = 1e-5,
                      .rope_theta = 10000.0, .tied = 0, .lm_head = 1, .score = 0,
                      .bos_id = -1, .eos_id = 259, .pad_id = 260};
    model *m = model_new(&c, backend_cpu());
    model_init_random(m, 2);
    for (size_t i = 0; i < m->nparams; i++) m->params[i] *= 20;  /* peaked distributions */
    return m;
}

static void test_batch(void)
{
    model *m = tiny();
    tokenizer *tok = tok_byte_new();
    int32_t p0[] = {257, 'h', 'i', '\n', 258, '\n'}, p1[] = {257, 'x', '\n', 258}, p2[] = {'a'};
    const int32_t *ids[3] = {p0, p1, p2};
    int plen[3] = {6, 4, 1};
    const char *rid[3] = {"r0", "r1", "r2"};
    sampler_cfg c = sampler_defaults();
    c.max_new = 12;
    c.seed = 99;
    c.temperature = 0.9;
    sample_out a[3], b[3], solo;
    sample_batch(m, tok, &c, ids, plen, rid, 3, a);
    sample_batch(m, tok, &c, ids, plen, rid, 3, b);
    for (int i = 0; i < 3; i++)
        CHECK(a[i].n == b[i].n && !memcmp(a[i].tokens, b[i].tokens, sizeof(int32_t) * a[i].n) &&
              !memcmp(a[i].logp_model, b[i].logp_model, sizeof(float) * a[i].n), "row %d not deterministic", i);
    /* a training reservation serves sampling too, with the same result */
    model_reserve(m, 256, 1);
    sample_out tr[3];
    sample_batch(m, tok, &c, ids, plen, rid, 3, tr);
    for (int i = 0; i < 3; i++) {
        CHECK(tr[i].n == a[i].n && !memcmp(tr[i].tokens, a[i].tokens, sizeof(int32_t) * a[i].n),
              "row %d differs under a training reservation", i);
        sample_out_free(&tr[i]);
    }
    const int32_t *ids1[1] = {p1};
    const char *rid1[1] = {"r1"};
    sample_batch(m, tok, &c, ids1, &plen[1], rid1, 1, &solo);
    CHECK(solo.n == a[1].n && !memcmp(solo.tokens, a[1].tokens, sizeof(int32_t) * solo.n),
          "row r1 differs alone vs in a batch");
    for (int i = 0; i < solo.n && i < a[1].n; i++)
        CHECK(fabsf(solo.logp_model[i] - a[1].logp_model[i]) < 1e-4f, "r1 logp alone vs batch at %d", i);
    sample_out_free(&solo);

    /* sampler log-probs == scorer log-probs */
    for (int i = 0; i < 3; i++) {
        int T = plen[i] + a[i].n;
        int32_t *full = xmalloc(sizeof(int32_t) * T);
        memcpy(full, ids[i], sizeof(int32_t) * plen[i]);
        memcpy(full + plen[i], a[i].tokens, sizeof(int32_t) * a[i].n);
        float *lp = xmalloc(sizeof(float) * T);
        model_reserve(m, T, 0);
        model_forward(m, full, NULL, 1, T, lp, NULL);
        double worst = 0;
        for (int t = 0; t < a[i].n; t++) worst = fmax(worst, fabs(lp[plen[i] + t] - a[i].logp_model[t]));
        CHECK(worst <= 1e-4, "row %d: sampler vs forward log-probs differ by %g", i, worst);
        CHECK(a[i].finish == FINISH_LENGTH && a[i].n == 12, "row %d finish %s n %d", i, finish_name(a[i].finish), a[i].n);
        free(full); free(lp);
    }

    /* EOS and stop strings, with greedy decoding of a known continuation */
    c.temperature = 0;
    c.max_new = 20;
    sample_out g;
    sample_batch(m, tok, &c, ids, plen, rid, 1, &g);
    CHECK(g.n == 20, "greedy run length %d", g.n);
    if (g.n >= 5) {
        /* the greedy tokens: use token 3 as EOS, bytes of tokens 1..2 as a stop string */
        sampler_cfg ce = c;
        ce.eos_id = g.tokens[3];
        int first = 0;
        while (g.tokens[first] != ce.eos_id) first++;
        sample_out e;
        sample_batch(m, tok, &ce, ids, plen, rid, 1, &e);
        printf("EOS id %d: %d tokens, finish %s\n", ce.eos_id, e.n, finish_name(e.finish));
        CHECK(e.finish == FINISH_STOP && e.n == first + 1 && e.tokens[e.n - 1] == ce.eos_id,
              "EOS stop: finish %s n %d (want %d)", finish_name(e.finish), e.n, first + 1);
        size_t want_len = 0;
        for (int i = 0; i < first; i++) { size_t pl = 0; tok_piece(tok, g.tokens[i], &pl); want_len += pl; }
        CHECK(e.text_len == want_len, "EOS kept in text (%zu vs %zu)", e.text_len, want_len);
        sample_out_free(&e);

        size_t l1, l2;
        const char *s1 = tok_piece(tok, g.tokens[1], &l1), *s2 = tok_piece(tok, g.tokens[2], &l2);
        char stop[64] = "";
        if (s1 && s2 && l1 + l2 < sizeof stop && !memchr(s1, 0, l1) && !memchr(s2, 0, l2)) {
            memcpy(stop, s1, l1);
            memcpy(stop + l1, s2, l2);
            stop[l1 + l2] = 0;
            const char *stops[1] = {stop};
            sampler_cfg cs = c;
            cs.stop = stops;
            cs.nstop = 1;
            sample_out s;
            sample_batch(m, tok, &cs, ids, plen, rid, 1, &s);
            printf("stop string of %zu bytes: %d tokens, finish %s\n", l1 + l2, s.n, finish_name(s.finish));
            CHECK(s.finish == FINISH_STOP && !strstr(s.text, stop), "stop string: finish %s text \"%s\"",
                  finish_name(s.finish), s.text);
            CHECK(s.n <= 3, "stop string: %d tokens", s.n);
            sample_out_free(&s);
        }
    }
    sample_out_free(&g);
    for (int i = 0; i < 3; i++) { sample_out_free(&a[i]); sample_out_free(&b[i]); }
    tok_free(tok);
    model_free(m);
}

static int same_out(const sample_out *x, const sample_out *y)
{
    return x->n == y->n && x->finish == y->finish && x->text_len == y->text_len &&
           !memcmp(x->tokens, y->tokens, sizeof(int32_t) * x->n) &&
           !memcmp(x->logp_sample, y->logp_sample, sizeof(float) * x->n) &&
           !memcmp(x->logp_model, y->logp_model, sizeof(float) * x->n) &&
           !memcmp(x->text, y->text, x->text_len);
}

/* Rows that finish leave the batch (compaction): the bytes of every row
 * are the same as with the finished rows kept as padding, and as the row
 * sampled alone (prompts of different lengths, so the batch left-pads). */
static void test_compaction(void)
{
    enum { B = 6 };
    model *m = tiny();
    tokenizer *tok = tok_byte_new();
    int32_t p[B][9];
    const int32_t *ids[B];
    int plen[B];
    const char *rid[B] = {"c0", "c1", "c2", "c3", "c4", "c5"};
    for (int b = 0; b < B; b++) {
        plen[b] = 1 + (b * 5) % 9;
        for (int t = 0; t < plen[b]; t++) p[b][t] = 'a' + (b * 7 + t * 3) % 26;
        ids[b] = p[b];
    }
    sampler_cfg c = sampler_defaults();
    c.max_new = 24;
    c.seed = 5;
    c.temperature = 1.0;
    sample_out free_run[B], a[B], k[B], solo;
    sample_batch(m, tok, &c, ids, plen, rid, B, free_run);
    /* EOS: a token row 0 draws at step 4, so rows stop at different steps */
    c.eos_id = free_run[0].tokens[4];
    sample_batch(m, tok, &c, ids, plen, rid, B, a);
    int shortest = c.max_new, longest = 0;
    for (int b = 0; b < B; b++) {
        if (a[b].n < shortest) shortest = a[b].n;
        if (a[b].n > longest) longest = a[b].n;
    }
    printf("compaction: rows end after %d to %d tokens\n", shortest, longest);
    CHECK(shortest < longest, "every row ended at the same step: nothing was compacted");
    sampler_cfg ck = c;
    ck.keep_finished = 1;
    sample_batch(m, tok, &ck, ids, plen, rid, B, k);
    for (int b = 0; b < B; b++) {
        CHECK(same_out(&a[b], &k[b]), "row %d: dropping finished rows changed its bytes", b);
        sample_batch(m, tok, &c, &ids[b], &plen[b], &rid[b], 1, &solo);
        CHECK(same_out(&a[b], &solo), "row %d: alone and in the batch differ", b);
        sample_out_free(&solo);
    }
    /* a batch in another order: every row's bytes unchanged */
    const int32_t *rids[B];
    int rplen[B];
    const char *rrid[B];
    sample_out r[B];
    for (int b = 0; b < B; b++) rids[b] = ids[B - 1 - b], rplen[b] = plen[B - 1 - b], rrid[b] = rid[B - 1 - b];
    sample_batch(m, tok, &c, rids, rplen, rrid, B, r);
    for (int b = 0; b < B; b++) CHECK(same_out(&a[b], &r[B - 1 - b]), "row %d: batch order changed it", b);
    for (int b = 0; b < B; b++) {
        sample_out_free(&free_run[b]); sample_out_free(&a[b]); sample_out_free(&k[b]); sample_out_free(&r[b]);
    }
    tok_free(tok);
    model_free(m);
}

int main(void)
{
    test_token();
    test_nucleus_large();
    test_batch();
    test_compaction();
    if (failures) { printf("%d failures\n", failures); return 1; }
    printf("sampler ok\n");
    return 0;
}
