/*
 * test_score.c — the one sequence packer and scorer (model/score.c).
 *  - seq_batch_pack: row i holds sequence i then zero padding, valid marks
 *    exactly the real tokens, T is the longest (1 for no or empty rows);
 *  - seq_batch_forward equals model_forward on the same buffers, bitwise;
 *  - model_score in one call: SCORE_SUM is the double sum, in token
 *    order, of the SCORE_TOKENS floats; SCORE_LAST is the score head at
 *    the last token of a direct forward; all equal bitwise to a direct
 *    forward of the same packed rows (SCORE_ONE_BATCH keeps the group);
 *  - a logits limit of 1 (one sequence per forward) agrees within 1e-5;
 *  - an overlong sequence is reported by index and nothing is scored;
 *  - rewards pool at the last non-pad token (test_pool).
 */
#include "check.h"
#include "model/model.h"
#include "model/score.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static model *tiny(void)
{
    model_config c = {.vocab = 37, .dim = 32, .n_layers = 2, .n_heads = 4, .n_kv_heads = 2, .head_dim = 8,
                      .ffn = 48, .max_pos = 64, .norm_eps = 1e-5, .rope_theta = 10000.0, .tied = 1,
                      .lm_head = 1, .score = 1, .bos_id = -1, .eos_id = -1, .pad_id = -1};
    model *m = model_new(&c, backend_cpu());
    model_init_random(m, 7);
    return m;
}

static void test_pack(void)
{
    int32_t a[3] = {5, 6, 7}, b[1] = {9};
    const int32_t *ids[3] = {a, b, NULL};
    int len[3] = {3, 1, 0};
    seq_batch sb;
    seq_batch_pack(&sb, ids, len, 3);
    CHECK(sb.rows == 3 && sb.T == 3);
    const int32_t want_t[9] = {5, 6, 7, 9, 0, 0, 0, 0, 0};
    const uint8_t want_v[9] = {1, 1, 1, 1, 0, 0, 0, 0, 0};
    CHECK(!memcmp(sb.tokens, want_t, sizeof want_t));
    CHECK(!memcmp(sb.valid, want_v, sizeof want_v));
    seq_batch_free(&sb);
    CHECK(sb.tokens == NULL && sb.rows == 0);
    seq_batch_pack(&sb, ids + 2, len + 2, 1);
    CHECK(sb.rows == 1 && sb.T == 1 && sb.valid[0] == 0);
    seq_batch_free(&sb);
}

static void test_score(model *m)
{
    int32_t a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {9, 8, 7}, c[9] = {3, 3, 3, 1, 2, 3, 30, 31, 32};
    const int32_t *ids[3] = {a, b, c};
    int len[3] = {6, 3, 9}, start[3] = {2, 1, 0};
    score_seq s1[3], s2[3];
    for (int k = 0; k < 3; k++) s1[k] = (score_seq){.ids = ids[k], .n = len[k], .start = start[k]};
    memcpy(s2, s1, sizeof s1);
    CHECK(model_score(m, s1, 3, SCORE_SUM | SCORE_TOKENS | SCORE_LAST, SCORE_ONE_BATCH) == -1);

    /* the same rows forwarded directly */
    seq_batch sb;
    seq_batch_pack(&sb, ids, len, 3);
    float *lp = xmalloc(sizeof(float) * 3 * sb.T), *v = xmalloc(sizeof(float) * 3 * sb.T);
    float *lp2 = xmalloc(sizeof(float) * 3 * sb.T);
    seq_batch_forward(m, &sb, 0, lp, v);
    model_reserve(m, 3 * sb.T, 0);
    model_forward(m, sb.tokens, sb.valid, 3, sb.T, lp2, NULL);
    CHECK(!memcmp(lp, lp2, sizeof(float) * 3 * sb.T));
    for (int k = 0; k < 3; k++) {
        double sum = 0;
        for (int t = 0; t < len[k] - start[k]; t++) sum += s1[k].logp[t];
        CHECK(sum == s1[k].sum);
        CHECK(!memcmp(s1[k].logp, lp + (size_t)k * sb.T + start[k], sizeof(float) * (size_t)(len[k] - start[k])));
        CHECK(s1[k].last == v[(size_t)k * sb.T + len[k] - 1]);
        CHECK(s1[k].sum < 0);
    }
    CHECK(s1[2].logp[0] == 0.0f);   /* the first real token */

    CHECK(model_score(m, s2, 3, SCORE_TOKENS | SCORE_LAST, 1) == -1);
    for (int k = 0; k < 3; k++) {
        for (int t = 0; t < len[k] - start[k]; t++) CHECK_NEAR(s2[k].logp[t], s1[k].logp[t], 1e-5);
        CHECK_NEAR(s2[k].last, s1[k].last, 1e-5);
    }
    for (int k = 0; k < 3; k++) free(s1[k].logp), free(s2[k].logp);
    free(lp), free(lp2), free(v);
    seq_batch_free(&sb);

    int32_t *big = xcalloc(65, sizeof(int32_t));
    score_seq s3[2] = {{.ids = a, .n = 6}, {.ids = big, .n = 65}};
    CHECK(model_score(m, s3, 2, SCORE_TOKENS, SCORE_LOGITS_LIMIT) == 1);
    CHECK(s3[0].logp == NULL);
    free(big);
}

/* Rewards pool as transformers' LlamaForSequenceClassification: the
 * reference below is its formula, written out — a right-padded batch with
 * real pad tokens in it, last_non_pad = argmax_t(t * (ids[t] != pad)) —
 * and SCORE_LAST must read the head there, for pad = EOS (the token before
 * the final EOS: what the old last-token rule got wrong) and pad != EOS
 * (the EOS itself). */
static void test_pool(model *m)
{
    enum { EOS = 36, PAD = 35 };
    int32_t a[4] = {1, 2, 3, EOS}, b[5] = {4, 5, 6, EOS, EOS};
    const int32_t *ids[2] = {a, b};
    int len[2] = {4, 5};
    for (int distinct = 0; distinct < 2; distinct++) {
        m->c.eos_id = EOS;
        m->c.pad_id = distinct ? PAD : EOS;
        int T = 5;
        int32_t tok[10];
        uint8_t valid[10];
        for (int r = 0; r < 2; r++)
            for (int t = 0; t < T; t++) {
                valid[r * T + t] = t < len[r];
                tok[r * T + t] = t < len[r] ? ids[r][t] : m->c.pad_id;
            }
        float values[10];
        model_reserve(m, 2 * T, 0);
        model_forward(m, tok, valid, 2, T, NULL, values);
        score_seq s[2] = {{.ids = a, .n = 4}, {.ids = b, .n = 5}};
        CHECK(model_score(m, s, 2, SCORE_LAST, SCORE_ONE_BATCH) == -1);
        for (int r = 0; r < 2; r++) {
            int best = 0, arg = 0;
            for (int t = 0; t < T; t++) {
                int key = t * (tok[r * T + t] != m->c.pad_id);
                if (key > best) best = key, arg = t;
            }
            CHECK(arg == (distinct ? len[r] - 1 : 2));
            CHECK(arg == model_pool_pos(&m->c, ids[r], len[r]));
            CHECK_NEAR(s[r].last, values[r * T + arg], 1e-6);
        }
    }
    m->c.pad_id = 0;   /* every token pad: position 0, as argmax of zeros */
    int32_t z[3] = {0, 0, 0};
    CHECK(model_pool_pos(&m->c, z, 3) == 0);
    m->c.pad_id = m->c.eos_id = -1;
}

int main(void)
{
    model *m = tiny();
    test_pack();
    test_score(m);
    test_pool(m);
    model_free(m);
    return check_done("test_score");
}
