/*
 * lm-info — describe a checkpoint directory: architecture and dimensions,
 * parameter count, tensor dtypes on disk, tokenizer summary, optimizer
 * step.  It loads every tensor (so NaN/Inf weights, shape mismatches and
 * missing tensors are reported exactly as a trainer would report them)
 * and prints text, or one JSON object with --json.
 */
#include "train/checkpoint.h"
#include "base/cli.h"
#include "base/util.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: lm-info [--json] DIR\n"
    "\n"
    "Describe the checkpoint in DIR (config.json, model.safetensors,\n"
    "tokenizer.json, optimizer state), after loading and checking every\n"
    "tensor.\n"
    "\n"
    "      --json      one JSON object instead of text (old spelling -j, until the\n"
    "                  next release: -j is --threads elsewhere)\n"
    "  -h, --help      this help\n"
    "  -V, --version   version\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad checkpoint (message names the file\n"
    "and tensor), 66 a file cannot be opened.\n";

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    static const struct option lo[] = {{"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'},
                                       {"json", no_argument, 0, 1000}, {0, 0, 0, 0}};
    int as_json = 0, c;
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "hjV", lo, NULL)) != -1) {
        switch (c) {
        case 'h': cli_help(usage);
        case 'V': cli_version();
        case 'j': cli_old_spelling("-j", "--json", NULL); /* fall through */
        case 1000: as_json = 1; break;
        default: cli_bad_option(argv, lo);
        }
    }
    if (optind + 1 != argc) cli_usage_error("expected one checkpoint directory");
    const char *dir = argv[optind];
    model *m = ckpt_load_model(dir, backend_cpu());
    tokenizer *tok = ckpt_load_tokenizer(dir);
    optim *o = ckpt_load_optim(dir, m);
    if (tok_vocab_size(tok) > m->c.vocab)
        die(EX_DATAERR, "%s: tokenizer.json has %d tokens but vocab_size is %d", dir, tok_vocab_size(tok), m->c.vocab);

    char dt[160];
    size_t bytes;
    int ntensors;
    ckpt_tensor_summary(dir, dt, sizeof dt, &bytes, &ntensors);
    const model_config *cf = &m->c;
    char arch[80];
    snprintf(arch, sizeof arch, "%sFor%s", model_arch(cf->arch)->prefix,
             cf->lm_head ? "CausalLM" : "SequenceClassification");
    if (as_json) {
        json_t *j = json_pack("{s:s,s:s,s:I,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:f,s:f,s:b,s:b,s:b,s:s,s:I,"
                              "s:{s:s,s:i,s:i,s:i,s:s?},s:I}",
            "path", dir, "architecture", arch, "parameters", (json_int_t)model_param_count(m),
            "hidden_size", cf->dim, "num_hidden_layers", cf->n_layers, "num_attention_heads", cf->n_heads,
            "num_key_value_heads", cf->n_kv_heads, "head_dim", cf->head_dim, "intermediate_size", cf->ffn,
            "vocab_size", cf->vocab, "max_position_embeddings", cf->max_pos, "rope_theta", cf->rope_theta,
            "rms_norm_eps", cf->norm_eps, "tie_word_embeddings", cf->tied, "lm_head", cf->lm_head,
            "score_head", cf->score, "dtypes", dt, "tensor_bytes", (json_int_t)bytes,
            "tokenizer", "kind", tok_kind(tok), "vocab", tok_vocab_size(tok), "merges", tok_num_merges(tok),
            "added_tokens", tok_num_added(tok), "eos", tok_eos(tok),
            "optimizer_step", (json_int_t)(o ? o->step : -1));
        char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        printf("%s\n", s);
        free(s);
        json_decref(j);
    } else {
        printf("checkpoint    %s\n", dir);
        printf("architecture  %s%s\n", arch, cf->lm_head && cf->score ? " + score head" : "");
        printf("parameters    %zu (%.2f M)\n", model_param_count(m), model_param_count(m) / 1e6);
        printf("dimensions    hidden %d, layers %d, heads %d / %d KV (head dim %d), FFN %d, vocab %d\n",
               cf->dim, cf->n_layers, cf->n_heads, cf->n_kv_heads, cf->head_dim, cf->ffn, cf->vocab);
        printf("positions     rope theta %g, max %d, rms eps %g\n", cf->rope_theta, cf->max_pos, cf->norm_eps);
        printf("embeddings    %s\n", cf->tied ? "tied" : "untied");
        printf("tensors       %d on disk (%s), %zu bytes\n", ntensors, dt, bytes);
        printf("tokenizer     %s, %d tokens, %d merges, %d added, eos %s\n", tok_kind(tok),
               tok_vocab_size(tok), tok_num_merges(tok), tok_num_added(tok), tok_eos(tok) ? tok_eos(tok) : "none");
        if (o) printf("optimizer     AdamW, step %ld\n", o->step);
    }
    optim_free(o);
    tok_free(tok);
    model_free(m);
    return 0;
}
