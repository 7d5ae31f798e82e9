/*
 * test_checkpoint.c — Hugging Face directories.
 *  - config.json in the transformers 4.x form (rope_theta top level, no
 *    head_dim) and the 5.x form (rope_parameters, head_dim), sequence
 *    classification, unknown keys ignored; refusals: rope scaling, biases,
 *    other activations and architectures, several labels;
 *  - save -> load: identical parameters, identical log-probs, and saving
 *    the loaded model again gives byte-identical model.safetensors;
 *  - resume: 3 AdamW steps, save with optimizer state, load, 3 more steps
 *    == 6 uninterrupted steps, bit for bit;
 *  - a tied checkpoint is written without lm_head.weight;
 *  - sharded checkpoints (model.safetensors.index.json) load, and a shard
 *    name with a slash is refused.
 */
#include "train/checkpoint.h"
#include "model/safetensors.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;
#define CHECK(c, ...) do { if (!(c)) { printf("FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

static void test_configs(void)
{
    model_config c;
    char err[256];
    const char *v4 = "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\",\"hidden_size\":64,"
        "\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
        "\"vocab_size\":100,\"rms_norm_eps\":1e-05,\"rope_theta\":500000.0,\"max_position_embeddings\":256,"
        "\"tie_word_embeddings\":true,\"some_future_key\":{\"x\":1},\"rope_scaling\":null,\"pretraining_tp\":1}";
    CHECK(!ckpt_parse_config(v4, strlen(v4), &c, err, sizeof err), "4.x config: %s", err);
    CHECK(c.head_dim == 16 && c.n_kv_heads == 2 && c.rope_theta == 500000.0 && c.tied && c.lm_head && !c.score &&
          c.norm_eps == 1e-5, "4.x values");
    const char *v5 = "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\",\"hidden_size\":64,"
        "\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"head_dim\":32,"
        "\"vocab_size\":100,\"rope_parameters\":{\"rope_type\":\"default\",\"rope_theta\":100000.0},"
        "\"tie_word_embeddings\":false}";
    CHECK(!ckpt_parse_config(v5, strlen(v5), &c, err, sizeof err), "5.x config: %s", err);
    CHECK(c.head_dim == 32 && c.n_kv_heads == 4 && c.rope_theta == 100000.0 && !c.tied, "5.x values");
    const char *rm = "{\"architectures\":[\"LlamaForSequenceClassification\"],\"hidden_size\":64,"
        "\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100,"
        "\"id2label\":{\"0\":\"LABEL_0\"},\"pad_token_id\":3}";
    CHECK(!ckpt_parse_config(rm, strlen(rm), &c, err, sizeof err), "reward config: %s", err);
    CHECK(c.score && !c.lm_head && c.pad_id == 3, "reward values");
    /* both places agreeing is fine; disagreeing is refused naming both */
    const char *same = "{\"model_type\":\"llama\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,"
        "\"num_attention_heads\":4,\"vocab_size\":100,\"rope_theta\":500000,\"rope_parameters\":{\"rope_type\":\"default\",\"rope_theta\":500000.0}}";
    CHECK(!ckpt_parse_config(same, strlen(same), &c, err, sizeof err) && c.rope_theta == 500000.0, "agreeing rope_theta: %s", err);
    const char *differ = "{\"model_type\":\"llama\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,"
        "\"num_attention_heads\":4,\"vocab_size\":100,\"rope_theta\":10000.0,\"rope_parameters\":{\"rope_type\":\"default\",\"rope_theta\":500000.0}}";
    CHECK(ckpt_parse_config(differ, strlen(differ), &c, err, sizeof err) < 0 && strstr(err, "10000") && strstr(err, "500000"),
          "disagreeing rope_theta refused with both values: %s", err);
    /* the families: their classes, their defaults for omitted keys */
#define DIMS "\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100"
    const char *mis = "{\"architectures\":[\"MistralForCausalLM\"]," DIMS ",\"sliding_window\":4096}";
    CHECK(!ckpt_parse_config(mis, strlen(mis), &c, err, sizeof err) && c.arch == ARCH_MISTRAL &&
          c.sliding_window == 4096 && c.lm_head && !c.tied, "mistral: %s", err);
    const char *q3 = "{\"architectures\":[\"Qwen3ForSequenceClassification\"],\"model_type\":\"qwen3\"," DIMS "}";
    CHECK(!ckpt_parse_config(q3, strlen(q3), &c, err, sizeof err) && c.arch == ARCH_QWEN3 && c.head_dim == 128 &&
          c.score && !c.lm_head, "qwen3 reward model, head_dim 128 by default: %s", err);
    const char *q2 = "{\"model_type\":\"qwen2\"," DIMS ",\"attention_bias\":true,\"use_sliding_window\":false}";
    CHECK(!ckpt_parse_config(q2, strlen(q2), &c, err, sizeof err) && c.arch == ARCH_QWEN2, "qwen2: %s", err);
    const char *gm = "{\"architectures\":[\"GemmaForCausalLM\"],\"model_type\":\"gemma\"," DIMS ",\"hidden_act\":\"gelu\"}";
    CHECK(!ckpt_parse_config(gm, strlen(gm), &c, err, sizeof err) && c.arch == ARCH_GEMMA && c.tied &&
          c.head_dim == 256, "gemma: tied and head_dim 256 by default, legacy hidden_act ignored: %s", err);
    const char *ol = "{\"architectures\":[\"Olmo2ForCausalLM\"]," DIMS "}";
    CHECK(!ckpt_parse_config(ol, strlen(ol), &c, err, sizeof err) && c.arch == ARCH_OLMO2 && c.norm_eps == 1e-5,
          "olmo2: rms_norm_eps 1e-5 by default: %s", err);
    static const char *bad[] = {
        "{\"architectures\":[\"Gemma2ForCausalLM\"],\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100}",
        "{\"model_type\":\"llama\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100,\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8}}",
        "{\"model_type\":\"llama\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100,\"rope_parameters\":{\"rope_type\":\"yarn\",\"rope_theta\":1}}",
        "{\"model_type\":\"llama\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100,\"attention_bias\":true}",
        "{\"model_type\":\"llama\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100,\"mlp_bias\":true}",
        "{\"model_type\":\"llama\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100,\"hidden_act\":\"gelu\"}",
        "{\"model_type\":\"llama\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":3,\"vocab_size\":100,\"num_key_value_heads\":2}",
        "{\"architectures\":[\"LlamaForSequenceClassification\"],\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100,\"num_labels\":3}",
        "{\"model_type\":\"llama\",\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"vocab_size\":100}",
        "{\"model_type\":\"gemma2\"," DIMS "}",
        "{\"architectures\":[\"Qwen2ForCausalLM\"],\"model_type\":\"llama\"," DIMS "}",
        "{\"model_type\":\"qwen3\"," DIMS ",\"attention_bias\":true}",
        "{\"model_type\":\"qwen2\"," DIMS ",\"use_sliding_window\":true}",
        "{\"model_type\":\"gemma\"," DIMS ",\"hidden_activation\":\"gelu\"}",
        "{\"model_type\":\"mistral\"," DIMS ",\"hidden_act\":\"gelu\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        int rc = ckpt_parse_config(bad[i], strlen(bad[i]), &c, err, sizeof err);
        CHECK(rc < 0 && err[0], "bad config %zu accepted", i);
        printf("refused config %zu: %s\n", i, err);
    }
}

static model_config tiny(int tied)
{
    model_config c = {.vocab = 261, .dim = 16, .n_layers = 2, .n_heads = 4, .n_kv_heads = 2,
                      .head_dim = 4, .ffn = 24, .max_pos = 64, .norm_eps = 1e-5,
                      .rope_theta = 10000.0, .tied = tied, .lm_head = 1, .score = 0,
                      .bos_id = -1, .eos_id = 259, .pad_id = 260};
    return c;
}

enum { B = 2, T = 8 };
static const int32_t toks[B * T] = {257, 'h', 'i', '\n', 258, 'y', 'o', 259,
                                    257, 'a', 'b', 'c', '\n', 258, 'x', 259};

static void train_steps(model *m, optim *o, int n)
{
    float logp[B * T], d[B * T];
    for (int s = 0; s < n; s++) {
        model_zero_grads(m);
        model_forward(m, toks, NULL, B, T, logp, NULL);
        for (int i = 0; i < B * T; i++) d[i] = -1.0f / (B * T);
        model_backward(m, d, NULL);
        optim_step(o, m, 1e-2, 1);
    }
}

static int files_equal(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int eq = fa && fb;
    while (eq) {
        int x = fgetc(fa), y = fgetc(fb);
        if (x != y) eq = 0;
        if (x == EOF || y == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return eq;
}

static void test_roundtrip_and_resume(const char *tmp)
{
    const backend *be = backend_cpu();
    tokenizer *tok = tok_byte_new();
    char d1[512], d2[512], d3[512], p1[600], p2[600];
    snprintf(d1, sizeof d1, "%s/a", tmp);
    snprintf(d2, sizeof d2, "%s/b", tmp);
    snprintf(d3, sizeof d3, "%s/c", tmp);
    model_config c = tiny(1);

    /* uninterrupted: 6 steps */
    model *ref = model_new(&c, be);
    model_init_random(ref, 9);
    model_reserve(ref, B * T, 1);
    model_enable_grads(ref);
    adamw_hparams h = adamw_defaults();
    h.wd = 0.1f;
    optim *oref = optim_new(ref, h);
    train_steps(ref, oref, 6);

    /* interrupted: 3 steps, save, load, 3 steps */
    model *m = model_new(&c, be);
    model_init_random(m, 9);
    model_reserve(m, B * T, 1);
    model_enable_grads(m);
    optim *o = optim_new(m, h);
    train_steps(m, o, 3);
    ckpt_save(d1, m, tok, o, "{\"epoch\": 0}");
    float lp_before[B * T], lp_after[B * T];
    model_forward(m, toks, NULL, B, T, lp_before, NULL);

    model *m2 = ckpt_load_model(d1, be);
    optim *o2 = ckpt_load_optim(d1, m2);
    char *state = ckpt_load_state(d1);
    CHECK(o2 && o2->step == 3 && o2->h.wd == 0.1f, "optimizer state not restored");
    CHECK(state && strstr(state, "epoch"), "trainer state not restored");
    free(state);
    CHECK(m2->nparams == m->nparams && !memcmp(m2->params, m->params, sizeof(float) * m->nparams),
          "loaded parameters differ");
    model_reserve(m2, B * T, 1);
    model_enable_grads(m2);
    model_forward(m2, toks, NULL, B, T, lp_after, NULL);
    CHECK(!memcmp(lp_before, lp_after, sizeof lp_before), "log-probs differ after load");
    /* saving the loaded model again gives the same bytes */
    ckpt_save(d2, m2, tok, o2, NULL);
    snprintf(p1, sizeof p1, "%s/model.safetensors", d1);
    snprintf(p2, sizeof p2, "%s/model.safetensors", d2);
    CHECK(files_equal(p1, p2), "model.safetensors not byte-identical after save/load/save");
    snprintf(p1, sizeof p1, "%s/optimizer.safetensors", d1);
    snprintf(p2, sizeof p2, "%s/optimizer.safetensors", d2);
    CHECK(files_equal(p1, p2), "optimizer.safetensors not byte-identical");
    /* tied: no lm_head.weight in the file */
    snprintf(p1, sizeof p1, "%s/model.safetensors", d1);
    char err[256];
    st_file *f = st_open(p1, err, sizeof err);
    CHECK(f && !st_find(f, "lm_head.weight") && st_find(f, "model.embed_tokens.weight"), "tied file layout");
    st_close(f);

    train_steps(m2, o2, 3);
    CHECK(!memcmp(m2->params, ref->params, sizeof(float) * ref->nparams), "resumed run differs from uninterrupted run");
    CHECK(!memcmp(o2->m, oref->m, sizeof(float) * ref->nparams), "resumed moments differ");

    /* overwriting an existing checkpoint replaces it */
    ckpt_save(d1, ref, tok, NULL, NULL);
    model *m3 = ckpt_load_model(d1, be);
    CHECK(!memcmp(m3->params, ref->params, sizeof(float) * ref->nparams), "overwrite did not replace");
    CHECK(ckpt_load_optim(d1, m3) == NULL, "old optimizer state survived an overwrite");

    /* a reward model (score head only) round-trips */
    model_config rc = tiny(0);
    rc.lm_head = 0; rc.score = 1;
    model *r = model_new(&rc, be);
    model_init_random(r, 4);
    ckpt_save(d3, r, tok, NULL, NULL);
    model *r2 = ckpt_load_model(d3, be);
    CHECK(r2->c.score && !r2->c.lm_head && !memcmp(r2->params, r->params, sizeof(float) * r->nparams),
          "reward model round trip");

    model_free(ref); model_free(m); model_free(m2); model_free(m3); model_free(r); model_free(r2);
    optim_free(oref); optim_free(o); optim_free(o2);
    tok_free(tok);
}

static void test_sharded(const char *tmp)
{
    const backend *be = backend_cpu();
    model_config c = tiny(0);
    model *m = model_new(&c, be);
    model_init_random(m, 21);
    char d[512], p[700], err[256];
    snprintf(d, sizeof d, "%s/sharded", tmp);
    ckpt_save(d, m, NULL, NULL, NULL);
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    unlink(p);
    /* first half of the views in shard 1, the rest in shard 2 */
    int half = m->nviews / 2;
    st_out *o = xcalloc(m->nviews, sizeof *o);
    for (int i = 0; i < m->nviews; i++) {
        o[i].name = m->views[i].name;
        o[i].data = m->params + m->views[i].off;
        o[i].ndim = m->views[i].ndim;
        o[i].shape[0] = m->views[i].shape[0];
        o[i].shape[1] = m->views[i].shape[1];
    }
    snprintf(p, sizeof p, "%s/model-00001-of-00002.safetensors", d);
    CHECK(!st_write(p, o, half, NULL, 0, err, sizeof err), "shard 1: %s", err);
    snprintf(p, sizeof p, "%s/model-00002-of-00002.safetensors", d);
    CHECK(!st_write(p, o + half, m->nviews - half, NULL, 0, err, sizeof err), "shard 2: %s", err);
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", d);
    FILE *f = fopen(p, "w");
    fprintf(f, "{\"metadata\": {\"total_size\": 1}, \"weight_map\": {");
    for (int i = 0; i < m->nviews; i++)
        fprintf(f, "%s\"%s\": \"model-0000%d-of-00002.safetensors\"", i ? ", " : "", m->views[i].name, i < half ? 1 : 2);
    fprintf(f, "}}\n");
    fclose(f);
    model *m2 = ckpt_load_model(d, be);
    CHECK(m2->nparams == m->nparams && !memcmp(m2->params, m->params, sizeof(float) * m->nparams),
          "sharded checkpoint loads different weights");
    model_free(m2);
    free(o);
    model_free(m);
}

int main(void)
{
    test_configs();
    char tmp[] = "/tmp/prefpipe-ckpt-XXXXXX";
    if (!mkdtemp(tmp)) return 2;
    test_roundtrip_and_resume(tmp);
    test_sharded(tmp);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0) printf("warning: could not remove %s\n", tmp);
    if (failures) { printf("%d failures\n", failures); return 1; }
    printf("checkpoints ok\n");
    return 0;
}
