/*
 * checkpoint.c — reading and writing Hugging Face model directories (see
 * checkpoint.h for the layout and the rules).
 *
 * Parameters are read tensor by tensor into host memory and uploaded to
 * the backend at their view's offset; the view table (model.c) is the
 * single list of tensors a model must have.
 */
#include "train/checkpoint.h"
#include "model/safetensors.h"
#include "text/chat_template.h"
#include "base/fsreplace.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cfail(char *err, size_t el, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, el, fmt, ap);
    va_end(ap);
    return -1;
}

static int get_int(json_t *root, const char *key, int *out, int required, char *err, size_t el)
{
    json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v)) {
        if (required) return cfail(err, el, "missing %s", key);
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > (1 << 30))
        return cfail(err, el, "%s must be a non-negative integer", key);
    *out = (int)json_integer_value(v);
    return 0;
}

static int get_num(json_t *root, const char *key, double *out, char *err, size_t el)
{
    json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_number(v)) return cfail(err, el, "%s must be a number", key);
    *out = json_number_value(v);
    return 0;
}

static int check_rope(json_t *rp, const char *where, char *err, size_t el)
{
    if (!rp || json_is_null(rp)) return 0;
    if (!json_is_object(rp)) return cfail(err, el, "%s must be an object", where);
    const char *t = json_string_value(json_object_get(rp, "rope_type"));
    if (!t) t = json_string_value(json_object_get(rp, "type"));
    if (t && strcmp(t, "default"))
        return cfail(err, el, "unsupported: %s type \"%s\" (only default rotary embeddings)", where, t);
    if (!t && !strcmp(where, "rope_scaling"))
        return cfail(err, el, "unsupported: rope_scaling");
    return 0;
}

int ckpt_parse_config(const char *text, size_t len, model_config *c, char *err, size_t el)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    if (!root) return cfail(err, el, "not valid JSON: line %d: %s", je.line, je.text);
    int rc = -1;
    memset(c, 0, sizeof *c);
    c->norm_eps = 1e-6;
    c->rope_theta = 10000.0;
    c->max_pos = 2048;
    c->bos_id = c->eos_id = c->pad_id = -1;
    do {
        if (!json_is_object(root)) { cfail(err, el, "not a JSON object"); break; }
        const char *mt = json_string_value(json_object_get(root, "model_type"));
        int family = mt ? model_arch_by_type(mt) : ARCH_LLAMA, seqcls = 0;
        if (family < 0) { cfail(err, el, "unsupported model_type \"%s\" (supported: %s)", mt, model_arch_types()); break; }
        json_t *arch = json_object_get(root, "architectures");
        const char *a = json_is_array(arch) ? json_string_value(json_array_get(arch, 0)) : NULL;
        if (!a && !mt) { cfail(err, el, "no architectures and no model_type"); break; }
        if (a) {
            int fa = model_arch_by_class(a, &seqcls);
            if (fa < 0) { cfail(err, el, "unknown architecture \"%s\" (supported: %s)", a, model_arch_classes()); break; }
            if (mt && fa != family) { cfail(err, el, "architecture \"%s\" does not match model_type \"%s\"", a, mt); break; }
            family = fa;
        }
        c->arch = family;
        const model_arch_info *ai = model_arch(family);
        if (seqcls) c->score = 1;
        else c->lm_head = 1;
        /* the families' own defaults for keys a config may omit */
        if (family == ARCH_OLMO2) c->norm_eps = 1e-5;
        if (c->lm_head && json_is_true(json_object_get(root, "prefpipe_score_head"))) c->score = 1;
        if (get_int(root, "hidden_size", &c->dim, 1, err, el) ||
            get_int(root, "intermediate_size", &c->ffn, 1, err, el) ||
            get_int(root, "num_hidden_layers", &c->n_layers, 1, err, el) ||
            get_int(root, "num_attention_heads", &c->n_heads, 1, err, el) ||
            get_int(root, "vocab_size", &c->vocab, 1, err, el) ||
            get_int(root, "max_position_embeddings", &c->max_pos, 0, err, el)) break;
        c->n_kv_heads = c->n_heads;
        if (get_int(root, "num_key_value_heads", &c->n_kv_heads, 0, err, el)) break;
        c->head_dim = c->n_heads ? c->dim / c->n_heads : 0;
        if (family == ARCH_QWEN3) c->head_dim = 128;
        if (family == ARCH_GEMMA) c->head_dim = 256;
        if (get_int(root, "head_dim", &c->head_dim, 0, err, el)) break;
        if (get_num(root, "rms_norm_eps", &c->norm_eps, err, el) ||
            get_num(root, "rope_theta", &c->rope_theta, err, el)) break;
        json_t *rp = json_object_get(root, "rope_parameters");
        if (check_rope(rp, "rope_parameters", err, el) || check_rope(json_object_get(root, "rope_scaling"), "rope_scaling", err, el)) break;
        if (json_is_object(rp)) {
            /* two places for one number: a file where they disagree was
             * edited in one place only, and either choice would be a guess */
            json_t *top = json_object_get(root, "rope_theta"), *in = json_object_get(rp, "rope_theta");
            if (json_is_number(top) && json_is_number(in) && json_number_value(top) != json_number_value(in)) {
                cfail(err, el, "rope_theta %.17g disagrees with rope_parameters.rope_theta %.17g",
                      json_number_value(top), json_number_value(in));
                break;
            }
            if (get_num(rp, "rope_theta", &c->rope_theta, err, el)) break;
        }
        /* Qwen2's q/k/v always carry biases whatever the key says */
        if (family != ARCH_QWEN2 && json_is_true(json_object_get(root, "attention_bias"))) { cfail(err, el, "unsupported: attention_bias"); break; }
        if (json_is_true(json_object_get(root, "mlp_bias"))) { cfail(err, el, "unsupported: mlp_bias"); break; }
        if (ai->gemma) {   /* Gemma runs hidden_activation (tanh GELU when absent); hidden_act is legacy */
            const char *act = json_string_value(json_object_get(root, "hidden_activation"));
            if (act && strcmp(act, "gelu_pytorch_tanh") && strcmp(act, "gelu_new")) {
                cfail(err, el, "unsupported hidden_activation \"%s\" (only gelu_pytorch_tanh)", act);
                break;
            }
        } else {
            const char *act = json_string_value(json_object_get(root, "hidden_act"));
            if (act && strcmp(act, "silu")) { cfail(err, el, "unsupported hidden_act \"%s\" (only silu)", act); break; }
        }
        if (json_is_true(json_object_get(root, "use_sliding_window"))) { cfail(err, el, "unsupported: use_sliding_window"); break; }
        if (family == ARCH_MISTRAL && get_int(root, "sliding_window", &c->sliding_window, 0, err, el)) break;
        json_t *tie = json_object_get(root, "tie_word_embeddings");
        c->tied = c->lm_head && (json_is_boolean(tie) ? json_is_true(tie) : ai->tied_default);
        if (c->score && !c->lm_head) {
            int nl = 1;
            json_t *id2 = json_object_get(root, "id2label");
            if (json_is_object(id2)) nl = (int)json_object_size(id2);
            if (get_int(root, "num_labels", &nl, 0, err, el)) break;
            if (nl != 1) { cfail(err, el, "unsupported: sequence classification with %d labels (only 1)", nl); break; }
        }
        int id;
        id = -1; if (get_int(root, "bos_token_id", &id, 0, err, el)) break; c->bos_id = id;
        id = -1; if (get_int(root, "eos_token_id", &id, 0, err, el)) break; c->eos_id = id;
        id = -1; if (get_int(root, "pad_token_id", &id, 0, err, el)) break; c->pad_id = id;
        const char *e = model_config_check(c);
        if (e) { cfail(err, el, "%s", e); break; }
        rc = 0;
    } while (0);
    json_decref(root);
    return rc;
}

char *ckpt_config_text(const model_config *c)
{
    json_t *o = json_object();
    const model_arch_info *ai = model_arch(c->arch);
    char arch[80];
    snprintf(arch, sizeof arch, "%sFor%s", ai->prefix, c->lm_head ? "CausalLM" : "SequenceClassification");
    json_object_set_new(o, "architectures", json_pack("[s]", arch));
    json_object_set_new(o, "model_type", json_string(ai->model_type));
    json_object_set_new(o, "hidden_size", json_integer(c->dim));
    json_object_set_new(o, "intermediate_size", json_integer(c->ffn));
    json_object_set_new(o, "num_hidden_layers", json_integer(c->n_layers));
    json_object_set_new(o, "num_attention_heads", json_integer(c->n_heads));
    json_object_set_new(o, "num_key_value_heads", json_integer(c->n_kv_heads));
    json_object_set_new(o, "head_dim", json_integer(c->head_dim));
    json_object_set_new(o, "vocab_size", json_integer(c->vocab));
    json_object_set_new(o, "max_position_embeddings", json_integer(c->max_pos));
    json_object_set_new(o, "rms_norm_eps", json_real(c->norm_eps));
    json_object_set_new(o, "rope_theta", json_real(c->rope_theta));
    json_object_set_new(o, "rope_parameters", json_pack("{s:s,s:f}", "rope_type", "default", "rope_theta", c->rope_theta));
    json_object_set_new(o, "rope_scaling", json_null());
    json_object_set_new(o, "tie_word_embeddings", json_boolean(c->tied));
    json_object_set_new(o, "hidden_act", json_string(ai->gemma ? "gelu_pytorch_tanh" : "silu"));
    if (ai->gemma) json_object_set_new(o, "hidden_activation", json_string("gelu_pytorch_tanh"));
    /* each family's own keys only (Qwen2 and Mistral have no attention_bias) */
    if (c->arch != ARCH_QWEN2 && c->arch != ARCH_MISTRAL) json_object_set_new(o, "attention_bias", json_false());
    if (c->arch == ARCH_LLAMA) json_object_set_new(o, "mlp_bias", json_false());
    if (c->arch == ARCH_MISTRAL)
        json_object_set_new(o, "sliding_window", c->sliding_window ? json_integer(c->sliding_window) : json_null());
    if (c->arch == ARCH_QWEN2 || c->arch == ARCH_QWEN3) json_object_set_new(o, "use_sliding_window", json_false());
    json_object_set_new(o, "attention_dropout", json_real(0.0));
    json_object_set_new(o, "initializer_range", json_real(0.02));
    json_object_set_new(o, "torch_dtype", json_string("float32"));
    json_object_set_new(o, "dtype", json_string("float32"));
    if (!c->lm_head) {
        json_object_set_new(o, "num_labels", json_integer(1));
        json_object_set_new(o, "id2label", json_pack("{s:s}", "0", "LABEL_0"));
        json_object_set_new(o, "label2id", json_pack("{s:i}", "LABEL_0", 0));
    }
    if (c->lm_head && c->score) json_object_set_new(o, "prefpipe_score_head", json_true());
    json_object_set_new(o, "bos_token_id", c->bos_id >= 0 ? json_integer(c->bos_id) : json_null());
    json_object_set_new(o, "eos_token_id", c->eos_id >= 0 ? json_integer(c->eos_id) : json_null());
    json_object_set_new(o, "pad_token_id", c->pad_id >= 0 ? json_integer(c->pad_id) : json_null());
    /* 15 digits: short decimals such as 1e-05 print as typed and read back exactly */
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(o);
    return s;
}

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0, r;
    char *b = xmalloc(cap);
    while ((r = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap) { cap *= 2; b = xrealloc(b, cap); }
    }
    fclose(f);
    b[n] = 0;
    *len = n;
    return b;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void shape_text(char *buf, size_t cap, int ndim, const int64_t *s)
{
    size_t k = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%lld", i ? ", " : "", (long long)s[i]);
    if (k < cap) snprintf(buf + k, cap - k, "]");
}

static void load_tensor(const char *path, st_file *f, const st_tensor *t, model *m, const param_view *v)
{
    int64_t want[2] = {v->shape[0], v->shape[1]};
    int ok = t->ndim == v->ndim && t->shape[0] == want[0] && (v->ndim == 1 || t->shape[1] == want[1]);
    if (!ok) {
        char got[128], exp[64];
        shape_text(got, sizeof got, t->ndim, t->shape);
        shape_text(exp, sizeof exp, v->ndim, want);
        die(EX_DATAERR, "%s: tensor %s has shape %s but config.json implies %s", path, v->name, got, exp);
    }
    float *host = xmalloc(sizeof(float) * v->n);
    char err[256];
    if (st_read_f32(f, t, host, err, sizeof err)) die(EX_DATAERR, "%s: %s", path, err);
    m->be->upload(m->be, m->params + v->off, host, v->n);
    free(host);
}

/* The tensor files of a checkpoint: model.safetensors, or the shards named
 * by model.safetensors.index.json ({"weight_map": {tensor: file}}). */
typedef struct { char **path; st_file **f; int n; } shard_set;

static void shards_open(shard_set *ss, const char *dir)
{
    char err[512];
    char *single = join(dir, "model.safetensors"), *index = join(dir, "model.safetensors.index.json");
    memset(ss, 0, sizeof *ss);
    if (access(single, R_OK) != 0 && access(index, R_OK) == 0) {
        json_error_t je;
        json_t *root = json_load_file(index, 0, &je);
        if (!root) die(EX_DATAERR, "%s: not valid JSON: line %d: %s", index, je.line, je.text);
        json_t *wm = json_object_get(root, "weight_map");
        if (!json_is_object(wm)) die(EX_DATAERR, "%s: no weight_map object", index);
        const char *k;
        json_t *v;
        ss->path = xcalloc(json_object_size(wm) + 1, sizeof(char *));
        ss->f = xcalloc(json_object_size(wm) + 1, sizeof(st_file *));
        json_object_foreach(wm, k, v) {
            const char *file = json_string_value(v);
            if (!file || !*file || strchr(file, '/') || !strcmp(file, ".."))
                die(EX_DATAERR, "%s: tensor %s: bad shard file name", index, k);
            char *p = join(dir, file);
            int seen = 0;
            for (int i = 0; i < ss->n && !seen; i++) seen = !strcmp(ss->path[i], p);
            if (seen) { free(p); continue; }
            ss->path[ss->n++] = p;
        }
        json_decref(root);
        free(single);
    } else {
        ss->path = xcalloc(1, sizeof(char *));
        ss->f = xcalloc(1, sizeof(st_file *));
        ss->path[ss->n++] = single;
    }
    free(index);
    for (int i = 0; i < ss->n; i++) {
        if (access(ss->path[i], R_OK) != 0) die(EX_NOINPUT, "%s: %s", ss->path[i], strerror(errno));
        ss->f[i] = st_open(ss->path[i], err, sizeof err);
        if (!ss->f[i]) die(EX_DATAERR, "%s: %s", ss->path[i], err);
    }
}

/* A bias the model does not have would be silently dropped: refuse it. */
static void shards_check_biases(const shard_set *ss, const model *m)
{
    for (int i = 0; i < ss->n; i++)
        for (int j = 0; j < ss->f[i]->n; j++) {
            const char *nm = ss->f[i]->t[j].name;
            size_t nl = strlen(nm);
            if (nl > 5 && !strcmp(nm + nl - 5, ".bias") && !model_find_view(m, nm))
                die(EX_DATAERR, "%s: tensor %s: biases are not supported (%s has none there)", ss->path[i], nm,
                    model_arch(m->c.arch)->model_type);
        }
}

static const st_tensor *shards_find(const shard_set *ss, const char *name, int *which)
{
    for (int i = 0; i < ss->n; i++) {
        const st_tensor *t = st_find(ss->f[i], name);
        if (t) { *which = i; return t; }
    }
    return NULL;
}

static void shards_close(shard_set *ss)
{
    for (int i = 0; i < ss->n; i++) { st_close(ss->f[i]); free(ss->path[i]); }
    free(ss->f);
    free(ss->path);
}

model *ckpt_load_model(const char *dir, const backend *be)
{
    ckpt_recover(dir);
    char *cpath = join(dir, "config.json"), err[512];
    size_t len;
    char *text = read_text(cpath, &len);
    if (!text) die(EX_NOINPUT, "%s: %s", cpath, strerror(errno));
    model_config c;
    if (ckpt_parse_config(text, len, &c, err, sizeof err)) die(EX_DATAERR, "%s: %s", cpath, err);
    free(text);
    free(cpath);
    shard_set ss;
    shards_open(&ss, dir);
    int w;
    if (c.score && c.lm_head && !shards_find(&ss, "score.weight", &w)) c.score = 0;
    model *m = model_new(&c, be);
    shards_check_biases(&ss, m);
    for (int i = 0; i < m->nviews; i++) {
        const param_view *v = &m->views[i];
        const st_tensor *t = shards_find(&ss, v->name, &w);
        if (!t) die(EX_DATAERR, "%s: missing tensor %s", ss.path[0], v->name);
        load_tensor(ss.path[w], ss.f[w], t, m, v);
    }
    shards_close(&ss);
    return m;
}

void ckpt_tensor_summary(const char *dir, char *dtypes, size_t cap, size_t *bytes, int *ntensors)
{
    ckpt_recover(dir);
    shard_set ss;
    shards_open(&ss, dir);
    int counts[16] = {0};
    *bytes = 0;
    *ntensors = 0;
    for (int i = 0; i < ss.n; i++)
        for (int j = 0; j < ss.f[i]->n; j++) {
            counts[ss.f[i]->t[j].dtype & 15]++;
            *bytes += ss.f[i]->t[j].end - ss.f[i]->t[j].begin;
            (*ntensors)++;
        }
    dtypes[0] = 0;
    for (int d = 0; d < 16; d++)
        if (counts[d]) {
            size_t k = strlen(dtypes);
            snprintf(dtypes + k, cap - k, "%s%s x%d", k ? ", " : "", st_dtype_name((st_dtype)d), counts[d]);
        }
    if (ss.n > 1) {
        size_t k = strlen(dtypes);
        snprintf(dtypes + k, cap - k, " in %d shards", ss.n);
    }
    shards_close(&ss);
}

tokenizer *ckpt_load_tokenizer(const char *dir)
{
    ckpt_recover(dir);
    char *path = join(dir, "tokenizer.json"), err[512];
    if (access(path, R_OK) != 0) die(EX_NOINPUT, "%s: %s", path, strerror(errno));
    tokenizer *t = tok_load(path, err, sizeof err);
    if (!t) die(EX_DATAERR, "%s: %s", path, err);
    if (chat_template_load(t, dir, err, sizeof err) < 0) die(EX_DATAERR, "%s", err);   /* a model's own template */
    free(path);
    return t;
}

optim *ckpt_load_optim(const char *dir, const model *m)
{
    ckpt_recover(dir);
    char *path = join(dir, "optimizer.safetensors"), err[512];
    if (access(path, F_OK) != 0) { free(path); return NULL; }
    st_file *f = st_open(path, err, sizeof err);
    if (!f) die(EX_DATAERR, "%s: %s", path, err);
    const st_tensor *tm = st_find(f, "exp_avg"), *tv = st_find(f, "exp_avg_sq");
    if (!tm || !tv) die(EX_DATAERR, "%s: missing tensor %s", path, tm ? "exp_avg_sq" : "exp_avg");
    if (tm->numel != m->nparams || tv->numel != m->nparams)
        die(EX_DATAERR, "%s: moments have %zu values but the model has %zu parameters", path, tm->numel, m->nparams);
    adamw_hparams h = adamw_defaults();
    const char *keys[] = {"beta1", "beta2", "eps", "weight_decay", "clip"};
    float *vals[] = {&h.b1, &h.b2, &h.eps, &h.wd, &h.clip};
    for (int i = 0; i < 5; i++) {
        const char *s = st_meta(f, keys[i]);
        if (s) *vals[i] = strtof(s, NULL);
    }
    optim *o = optim_new(m, h);
    const char *st = st_meta(f, "step");
    o->step = st ? strtol(st, NULL, 10) : 0;
    float *host = xmalloc(sizeof(float) * m->nparams);
    if (st_read_f32(f, tm, host, err, sizeof err)) die(EX_DATAERR, "%s: %s", path, err);
    m->be->upload(m->be, o->m, host, m->nparams);
    if (st_read_f32(f, tv, host, err, sizeof err)) die(EX_DATAERR, "%s: %s", path, err);
    m->be->upload(m->be, o->v, host, m->nparams);
    free(host);
    st_close(f);
    free(path);
    return o;
}

char *ckpt_load_state(const char *dir)
{
    ckpt_recover(dir);
    char *path = join(dir, "trainer_state.json");
    size_t len;
    char *t = read_text(path, &len);
    free(path);
    return t;
}

/* ---- saving ---- */

static char *tmpdir_path;
/* also run from a signal handler: the async-signal-safe removal */
static void cleanup_tmpdir(void *arg) { (void)arg; if (tmpdir_path) fs_rm_tree_sigsafe(tmpdir_path); }

static void write_text(const char *dir, const char *name, const char *text)
{
    char *p = join(dir, name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(text, 1, strlen(text), f) != strlen(text) || fflush(f) || fsync(fileno(f)) || fclose(f))
        die(EX_IOERR, "%s: cannot write: %s", p, strerror(errno));
    free(p);
}

static void write_tensors(const char *dir, const char *name, const backend *be, const float *dev,
                          const param_view *views, int nviews, size_t total,
                          const char *const *meta, int nmeta)
{
    float *host = xmalloc(sizeof(float) * (total ? total : 1));
    be->download(be, host, dev, total);
    st_out *o = xcalloc(nviews, sizeof *o);
    for (int i = 0; i < nviews; i++) {
        o[i].name = views[i].name;
        o[i].data = host + views[i].off;
        o[i].ndim = views[i].ndim;
        o[i].shape[0] = views[i].shape[0];
        o[i].shape[1] = views[i].shape[1];
    }
    char *p = join(dir, name), err[512];
    if (st_write(p, o, nviews, meta, nmeta, err, sizeof err)) die(EX_IOERR, "%s", err);
    free(p); free(o); free(host);
}

static char *g_run_config;

void ckpt_set_run_config(const char *json)
{
    free(g_run_config);
    g_run_config = json ? xstrdup(json) : NULL;
}

void ckpt_save(const char *dir, const model *m, const tokenizer *tok,
               const optim *opt, const char *state_json)
{
    char *base = ckpt_target(dir);
    ckpt_clean_stale(base);
    size_t dl = strlen(base);
    char *tmp = xmalloc(dl + 48);
    snprintf(tmp, dl + 48, "%s.tmp.%ld.XXXXXX", base, (long)getpid());
    if (!mkdtemp(tmp)) die(EX_CANTCREAT, "%s: cannot create a temporary directory: %s", tmp, strerror(errno));
    chmod(tmp, 0755);
    tmpdir_path = tmp;
    int hook = util_add_cleanup(cleanup_tmpdir, NULL);

    char *cfg = ckpt_config_text(&m->c);
    write_text(tmp, "config.json", cfg);
    free(cfg);
    const char *meta[] = {"format", "pt"};
    write_tensors(tmp, "model.safetensors", m->be, m->params, m->views, m->nviews, m->nparams, meta, 1);
    if (tok) {
        char err[512];
        char *p = join(tmp, "tokenizer.json");
        if (tok_save(tok, p, err, sizeof err)) die(EX_IOERR, "%s", err);
        if (chat_template_save(tok, tmp, err, sizeof err)) die(EX_IOERR, "%s", err);
        free(p);
    }
    if (opt) {
        char step[32], b1[32], b2[32], eps[32], wd[32], clip[32], np[32];
        snprintf(step, sizeof step, "%ld", opt->step);
        format_float(b1, sizeof b1, opt->h.b1);
        format_float(b2, sizeof b2, opt->h.b2);
        format_float(eps, sizeof eps, opt->h.eps);
        format_float(wd, sizeof wd, opt->h.wd);
        format_float(clip, sizeof clip, opt->h.clip);
        snprintf(np, sizeof np, "%zu", opt->n);
        const char *om[] = {"format", "prefpipe-adamw-v1", "step", step, "beta1", b1, "beta2", b2,
                            "eps", eps, "weight_decay", wd, "clip", clip, "nparams", np};
        param_view pv[2] = {{.name = "exp_avg", .off = 0, .n = opt->n, .ndim = 1, .shape = {(int)opt->n, 0}},
                            {.name = "exp_avg_sq", .off = opt->n, .n = opt->n, .ndim = 1, .shape = {(int)opt->n, 0}}};
        float *both = m->be->alloc(m->be, 2 * opt->n);
        m->be->copy(m->be, both, opt->m, opt->n);
        m->be->copy(m->be, both + opt->n, opt->v, opt->n);
        write_tensors(tmp, "optimizer.safetensors", m->be, both, pv, 2, 2 * opt->n, om, 8);
        m->be->free(m->be, both);
    }
    if (state_json) write_text(tmp, "trainer_state.json", state_json);
    if (g_run_config) write_text(tmp, "run_config.json", g_run_config);

    /* the marker last: its presence means every file above is on disk */
    write_text(tmp, CKPT_MARKER, "{\"format\": \"prefpipe-checkpoint\", \"version\": 1}\n");
    fs_sync_dir(tmp);
    char err[512];
    if (fs_swap_dir(tmp, base, err, sizeof err))
        die(EX_IOERR, "%s: %s", base, err);
    util_remove_cleanup(hook);
    tmpdir_path = NULL;
    free(tmp);
    free(base);
}
