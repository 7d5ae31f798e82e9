/*
 * test_family_parity.c — the model families besides Llama (Mistral, Qwen2,
 * Qwen3, OLMo 2, Gemma) against an independent PyTorch reference.
 *
 * Fixtures: tests/fixtures/model/families, made by
 * tests/parity/families_ref.py (each family written from its published
 * description, computed in float64 from the stored weights): tiny random
 * models as Hugging Face directories (config.json as the real families'
 * files carry it, model.safetensors with HF names and shapes) and
 * expected.json (per-token log-probs or rewards of two sequences, and a
 * checksum of the gradient of each tensor: its L2 norm and its dot
 * product with c_i = (i mod 13) - 6).
 *
 * For each model this checks, with both sequences in one batch, the
 * shorter left-padded:
 *   load     the config picks the family, every tensor is found (and
 *            no reference tensor is missing from the model);
 *   run      log-probs (or rewards) within 1e-4 of the reference;
 *   train    the gradient of sum(log-probs) (or sum(rewards)) per tensor:
 *            norm and dot within 1e-3 relative (scale: the norm);
 *   decode   KV-cache decoding (prefill, then one slot at a time, as
 *            rollout samples) gives the full forward's logits within 1e-4;
 *   save     ckpt_save writes the family's class and keys, and the copy
 *            loads back to the same config and bit-identical log-probs.
 */
#include "train/checkpoint.h"
#include "base/util.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define FAIL(...) do { printf("FAIL: " __VA_ARGS__); printf("\n"); failures++; } while (0)

static int B, T;
static int32_t *tok;
static uint8_t *val;
static int *off, *len;

/* run/train: compare outputs and gradient checksums with the reference */
static void check_run_train(const char *name, model *m, json_t *e)
{
    const backend *be = m->be;
    int N = B * T;
    float *lp = xcalloc(N, sizeof(float)), *v = xcalloc(N, sizeof(float));
    float *dl = xcalloc(N, sizeof(float)), *dv = xcalloc(N, sizeof(float));
    model_reserve(m, N, 1);
    model_enable_grads(m);
    model_zero_grads(m);
    model_forward(m, tok, val, B, T, lp, v);
    json_t *ref = json_object_get(e, "logprobs"), *rw = json_object_get(e, "rewards");
    double worst = 0;
    for (int b = 0; b < B; b++) {
        if (ref)
            for (int t = 0; t < len[b]; t++) {
                double r = json_number_value(json_array_get(json_array_get(ref, b), t));
                worst = fmax(worst, fabs(lp[b * T + off[b] + t] - r));
            }
        if (rw) {
            int last = model_last_valid(val, b, T);
            worst = fmax(worst, fabs(v[b * T + last] - json_number_value(json_array_get(rw, b))));
            dv[b * T + last] = 1;
        }
    }
    for (int i = 0; i < N; i++) dl[i] = ref && val[i] ? 1.0f : 0.0f;
    printf("%-13s %s max |diff| %.2e\n", name, ref ? "log-probs" : "rewards  ", worst);
    if (!(worst <= 1e-4)) FAIL("%s: outputs differ from the reference by %g", name, worst);

    model_backward(m, ref ? dl : NULL, rw ? dv : NULL);
    json_t *grad = json_object_get(e, "grad");
    float *g = xmalloc(sizeof(float) * m->nparams);
    be->download(be, g, m->grads, m->nparams);
    double gworst = 0;
    for (int i = 0; i < m->nviews; i++) {
        const param_view *pv = &m->views[i];
        json_t *cs = json_object_get(grad, pv->name);
        if (!cs) { FAIL("%s: the reference has no tensor %s", name, pv->name); continue; }
        double nrm = 0, dot = 0;
        for (size_t j = 0; j < pv->n; j++) {
            double x = g[pv->off + j];
            nrm += x * x;
            dot += x * (double)((long)(j % 13) - 6);
        }
        nrm = sqrt(nrm);
        double rn = json_number_value(json_array_get(cs, 0)), rd = json_number_value(json_array_get(cs, 1));
        double en = fabs(nrm - rn) / (rn + 1e-6), ed = fabs(dot - rd) / (4 * rn + fabs(rd) + 1e-6);
        gworst = fmax(gworst, fmax(en, ed));
        if (!(en <= 1e-3 && ed <= 1e-3))
            FAIL("%s: gradient of %s: norm %.7g dot %.7g, reference %.7g %.7g", name, pv->name, nrm, dot, rn, rd);
    }
    const char *k;
    json_t *x;
    json_object_foreach(grad, k, x)
        if (!model_find_view(m, k)) FAIL("%s: reference tensor %s is not in the model", name, k);
    printf("%-13s gradients of %d tensors, worst relative error %.2e\n", name, m->nviews, gworst);
    free(g); free(lp); free(v); free(dl); free(dv);
}

/* decode: KV-cache logits equal the full forward's, row by row */
static void check_decode(const char *name, model *m)
{
    if (!m->c.lm_head) return;
    int V = m->c.vocab, pre = 3;
    float *full = xmalloc(sizeof(float) * (size_t)B * T * V), *step = xmalloc(sizeof(float) * (size_t)B * V);
    model_reserve(m, B * T, 0);
    model_forward(m, tok, val, B, T, NULL, NULL);
    model_logits(m, full);
    kv_cache *kc = kv_cache_new(m, B, T);
    double worst = 0;
    for (int t = 0; t < T;) {
        int n = t == 0 ? pre : 1;
        int32_t *st = xmalloc(sizeof(int32_t) * B * n);
        uint8_t *sv = xmalloc((size_t)B * n);
        for (int b = 0; b < B; b++)
            for (int i = 0; i < n; i++) { st[b * n + i] = tok[b * T + t + i]; sv[b * n + i] = val[b * T + t + i]; }
        model_forward_cached(m, kc, st, sv, n);
        model_logits(m, step);
        t += n;
        for (int b = 0; b < B; b++)
            if (val[b * T + t - 1])
                for (int j = 0; j < V; j++)
                    worst = fmax(worst, fabs(step[(size_t)b * V + j] - full[((size_t)b * T + t - 1) * V + j]));
        free(st); free(sv);
    }
    kv_cache_free(m, kc);
    printf("%-13s decode logits max |diff| %.2e\n", name, worst);
    if (!(worst <= 1e-4)) FAIL("%s: KV-cache decoding differs from the full forward by %g", name, worst);
    free(full); free(step);
}

/* save: the family's names and keys, and a copy that loads back the same */
static void check_save(const char *name, const char *dir, model *m)
{
    char tmp[] = "/tmp/prefpipe-family-XXXXXX", path[800];
    if (!mkdtemp(tmp)) { FAIL("mkdtemp"); return; }
    char out[64];
    snprintf(out, sizeof out, "%s/ck", tmp);
    ckpt_save(out, m, NULL, NULL, NULL);
    json_error_t je;
    snprintf(path, sizeof path, "%s/config.json", dir);
    json_t *orig = json_load_file(path, 0, &je);
    snprintf(path, sizeof path, "%s/config.json", out);
    json_t *saved = json_load_file(path, 0, &je);
    const char *ao = json_string_value(json_array_get(json_object_get(orig, "architectures"), 0));
    const char *as = json_string_value(json_array_get(json_object_get(saved, "architectures"), 0));
    const char *mo = json_string_value(json_object_get(orig, "model_type"));
    const char *ms = json_string_value(json_object_get(saved, "model_type"));
    if (!ao || !as || strcmp(ao, as) || !mo || !ms || strcmp(mo, ms))
        FAIL("%s: saved as %s / %s, loaded from %s / %s", name, as ? as : "?", ms ? ms : "?", ao ? ao : "?", mo ? mo : "?");
    char cls[80];
    snprintf(cls, sizeof cls, "%s", as ? as : "?");
    json_decref(orig);
    json_decref(saved);
    model *m2 = ckpt_load_model(out, m->be);
    char *t1 = ckpt_config_text(&m->c), *t2 = ckpt_config_text(&m2->c);
    if (strcmp(t1, t2)) FAIL("%s: the saved config loads back different:\n%s\n%s", name, t1, t2);
    int N = B * T;
    float *a = xcalloc(N, sizeof(float)), *b = xcalloc(N, sizeof(float));
    float *va = xcalloc(N, sizeof(float)), *vb = xcalloc(N, sizeof(float));
    model_reserve(m, N, 0);
    model_reserve(m2, N, 0);
    model_forward(m, tok, val, B, T, a, va);
    model_forward(m2, tok, val, B, T, b, vb);
    if (memcmp(a, b, sizeof(float) * N) || memcmp(va, vb, sizeof(float) * N))
        FAIL("%s: the saved copy computes different outputs", name);
    else
        printf("%-13s saved as %s, reloads identical\n", name, cls);
    free(t1); free(t2); free(a); free(b); free(va); free(vb);
    model_free(m2);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0) FAIL("cannot remove %s", tmp);
}

int main(void)
{
    const char *bn = getenv("PREFPIPE_TEST_BACKEND");
    backend_error berr;
    const backend *be = bn ? backend_by_name(bn, &berr) : backend_cpu();
    if (!be) { printf("FAIL: backend %s: %s\n", bn, berr.msg); return 1; }
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *p = strstr(dir, "unit/train/test_family_parity.c");
    if (p) strcpy(p, "fixtures/model/families");
    snprintf(path, sizeof path, "%s/expected.json", dir);
    json_error_t je;
    json_t *exp = json_load_file(path, 0, &je);
    if (!exp) { printf("FAIL: %s: %s\n", path, je.text); return 1; }
    json_t *seqs = json_object_get(exp, "sequences");
    B = (int)json_array_size(seqs);
    for (int b = 0; b < B; b++)
        if ((int)json_array_size(json_array_get(seqs, b)) > T) T = (int)json_array_size(json_array_get(seqs, b));
    tok = xcalloc((size_t)B * T, sizeof(int32_t));
    val = xcalloc((size_t)B * T, 1);
    off = xcalloc(B, sizeof(int));
    len = xcalloc(B, sizeof(int));
    for (int b = 0; b < B; b++) {
        json_t *s = json_array_get(seqs, b);
        len[b] = (int)json_array_size(s);
        off[b] = T - len[b];   /* left padding */
        for (int t = 0; t < len[b]; t++) {
            tok[b * T + off[b] + t] = (int32_t)json_integer_value(json_array_get(s, t));
            val[b * T + off[b] + t] = 1;
        }
    }
    int seen[ARCH_COUNT] = {0};
    const char *name;
    json_t *e;
    json_object_foreach(exp, name, e) {
        if (!strcmp(name, "sequences")) continue;
        char d[700];
        snprintf(d, sizeof d, "%s/%s", dir, name);
        model *m = ckpt_load_model(d, be);
        const char *mt = model_arch(m->c.arch)->model_type;
        if (strncmp(name, mt, strlen(mt))) FAIL("%s: loaded as family %s", name, mt);
        seen[m->c.arch] = 1;
        check_run_train(name, m, e);
        check_decode(name, m);
        check_save(name, d, m);
        model_free(m);
    }
    for (int a = 1; a < ARCH_COUNT; a++)
        if (!seen[a]) FAIL("no fixture for family %s", model_arch(a)->model_type);
    json_decref(exp);
    free(tok); free(val); free(off); free(len);
    if (failures) { printf("%d failures\n", failures); return 1; }
    printf("families ok\n");
    return 0;
}
