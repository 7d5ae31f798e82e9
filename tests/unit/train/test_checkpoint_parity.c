/*
 * test_checkpoint_parity.c — checkpoints written outside prefpipe give the
 * reference log-probs and rewards.
 *
 * Fixtures (tests/fixtures/model/parity, made by tests/bench/llama_ref.py
 * with PyTorch: an independent Llama implementation following the Hugging
 * Face computation): a transformers-5.x-style config with GQA and head_dim
 * != hidden/heads, untied; a 4.x-style LlamaForSequenceClassification
 * reward model carrying an unused rotary inv_freq buffer and unknown keys;
 * a tied multi-query model stored as F16 and as BF16 without
 * lm_head.weight.  Both test sequences are scored in one batch with the
 * shorter one left-padded.  Tolerance: 1e-4 absolute on log-probs
 * (magnitude ~5) and rewards.
 *
 * PREFPIPE_TEST_BACKEND=NAME runs the models on that backend instead of
 * the CPU (tests/cuda.bats: the same reference on the GPU).
 */
#include "train/checkpoint.h"
#include "base/util.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

int main(void)
{
    const char *bn = getenv("PREFPIPE_TEST_BACKEND");
    backend_error berr;
    const backend *be = bn ? backend_by_name(bn, &berr) : backend_cpu();
    if (!be) { printf("FAIL: backend %s: %s\n", bn, berr.msg); return 1; }
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *p = strstr(dir, "unit/train/test_checkpoint_parity.c");
    if (p) strcpy(p, "fixtures/model/parity");
    snprintf(path, sizeof path, "%s/expected.json", dir);
    json_error_t je;
    json_t *exp = json_load_file(path, 0, &je);
    if (!exp) { printf("FAIL: %s: %s\n", path, je.text); return 1; }
    json_t *seqs = json_object_get(exp, "sequences");
    int B = (int)json_array_size(seqs), T = 0;
    for (int b = 0; b < B; b++)
        if ((int)json_array_size(json_array_get(seqs, b)) > T) T = (int)json_array_size(json_array_get(seqs, b));
    int32_t *tok = xcalloc((size_t)B * T, sizeof(int32_t));
    uint8_t *val = xcalloc((size_t)B * T, 1);
    int *off = xcalloc(B, sizeof(int)), *len = xcalloc(B, sizeof(int));
    for (int b = 0; b < B; b++) {
        json_t *s = json_array_get(seqs, b);
        len[b] = (int)json_array_size(s);
        off[b] = T - len[b];   /* left padding */
        for (int t = 0; t < len[b]; t++) {
            tok[b * T + off[b] + t] = (int32_t)json_integer_value(json_array_get(s, t));
            val[b * T + off[b] + t] = 1;
        }
    }
    const char *name;
    json_t *e;
    json_object_foreach(exp, name, e) {
        if (!strcmp(name, "sequences")) continue;
        char d[700];
        snprintf(d, sizeof d, "%s/%s", dir, name);
        model *m = ckpt_load_model(d, be);
        model_reserve(m, B * T, 0);
        float *lp = xmalloc(sizeof(float) * B * T), *v = xmalloc(sizeof(float) * B * T);
        model_forward(m, tok, val, B, T, lp, v);
        double worst = 0;
        json_t *ref = json_object_get(e, "logprobs"), *rw = json_object_get(e, "rewards");
        for (int b = 0; b < B; b++) {
            if (ref)
                for (int t = 0; t < len[b]; t++)
                    worst = fmax(worst, fabs(lp[b * T + off[b] + t] - json_number_value(json_array_get(json_array_get(ref, b), t))));
            if (rw) {
                int last = model_last_valid(val, b, T);
                worst = fmax(worst, fabs(v[b * T + last] - json_number_value(json_array_get(rw, b))));
            }
        }
        printf("%-18s %s max |diff| %.2e\n", name, ref ? "log-probs" : "rewards  ", worst);
        if (!(worst <= 1e-4)) { printf("FAIL: %s differs from the reference by %g\n", name, worst); failures++; }
        free(lp); free(v);
        model_free(m);
    }
    json_decref(exp);
    free(tok); free(val); free(off); free(len);
    if (failures) { printf("%d failures\n", failures); return 1; }
    printf("parity ok\n");
    return 0;
}
