/*
 * lm-init — create a randomly initialised Llama checkpoint directory from a
 * size preset or explicit dimensions, with the built-in byte tokenizer or a
 * given tokenizer.json.  Same options + same --seed => same bytes.
 *
 * Presets (byte tokenizer, vocab 261):
 *   tiny    d 64,  2 layers, 4 heads / 2 KV, FFN 192        (~0.1 M)
 *   small   d 256, 6 layers, 4 heads / 4 KV, FFN 768        (~5.2 M)
 *   medium  d 512, 8 layers, 8 heads / 4 KV, FFN 1536       (~25 M)
 *   smollm2-135m  d 576, 30 layers, 9 heads / 3 KV, FFN 1536, vocab 49152
 *
 * --arch picks the family (model/model_arch.h) the same dimensions are
 * written as; its extra tensors start neutral (biases 0, q/k norms 1,
 * Gemma's stored norm offsets 0).
 */
#include "train/checkpoint.h"
#include "text/chat_template.h"
#include "base/cli.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: lm-init -o DIR [--preset NAME | --dim N --layers N --heads N ...] [OPTIONS]\n"
    "\n"
    "Write a randomly initialised Llama checkpoint (config.json,\n"
    "model.safetensors, tokenizer.json) to DIR, atomically.\n"
    "\n"
    "  -o, --output DIR       checkpoint directory to create (a checkpoint there is\n"
    "                         replaced; any other directory only with --force)\n"
    "      --force            replace -o DIR even if it is not a checkpoint\n"
    "  -p, --preset NAME      tiny, small, medium or smollm2-135m (default tiny)\n"
    "      --arch FAMILY      llama (default), mistral, qwen2, qwen3, olmo2 or gemma\n"
    "      --dim N            hidden size\n"
    "      --layers N         number of layers\n"
    "      --heads N          attention heads\n"
    "      --kv-heads N       key/value heads (default: --heads)\n"
    "      --head-dim N       per-head size (default dim / heads)\n"
    "      --ffn N            MLP hidden size\n"
    "      --vocab N          vocabulary size (default: the tokenizer's; may be larger)\n"
    "      --max-pos N        max_position_embeddings (default 2048)\n"
    "      --rope-theta X     rotary base (default 10000)\n"
    "      --tokenizer FILE   a tokenizer.json (default: the byte tokenizer)\n"
    "      --untied           separate lm_head.weight (default: tied embeddings)\n"
    "      --reward           a reward model (score head, no LM head)\n"
    "      --seed N           initialisation seed (default 0)\n"
    "  -h, --help             this help\n"
    "  -V, --version          version\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad tokenizer or dimensions, 66 cannot\n"
    "open the tokenizer, 73/74 cannot write DIR.\n";

typedef struct { const char *name; int dim, layers, heads, kv, ffn, vocab; } preset;
static const preset presets[] = {
    {"tiny", 64, 2, 4, 2, 192, 0},
    {"small", 256, 6, 4, 4, 768, 0},
    {"medium", 512, 8, 8, 4, 1536, 0},
    {"smollm2-135m", 576, 30, 9, 3, 1536, 49152},
};

enum { O_DIM = 1000, O_LAYERS, O_HEADS, O_KV, O_HD, O_FFN, O_VOCAB, O_MAXPOS, O_THETA, O_TOK, O_UNTIED, O_REWARD, O_SEED, O_FORCE, O_ARCH };

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    static const struct option lo[] = {
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'},
        {"output", required_argument, 0, 'o'}, {"preset", required_argument, 0, 'p'},
        {"dim", required_argument, 0, O_DIM}, {"layers", required_argument, 0, O_LAYERS},
        {"heads", required_argument, 0, O_HEADS}, {"kv-heads", required_argument, 0, O_KV},
        {"head-dim", required_argument, 0, O_HD}, {"ffn", required_argument, 0, O_FFN},
        {"vocab", required_argument, 0, O_VOCAB}, {"max-pos", required_argument, 0, O_MAXPOS},
        {"rope-theta", required_argument, 0, O_THETA}, {"tokenizer", required_argument, 0, O_TOK},
        {"untied", no_argument, 0, O_UNTIED}, {"reward", no_argument, 0, O_REWARD},
        {"seed", required_argument, 0, O_SEED}, {"force", no_argument, 0, O_FORCE},
        {"arch", required_argument, 0, O_ARCH}, {0, 0, 0, 0}};
    const char *out = NULL, *pname = "tiny", *tokpath = NULL;
    int dim = 0, layers = 0, heads = 0, kv = 0, hd = 0, ffn = 0, vocab = 0, maxpos = 2048;
    int untied = 0, reward = 0, arch = ARCH_LLAMA;
    double theta = 10000.0;
    uint64_t seed = 0;
    int c;
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "ho:p:V", lo, NULL)) != -1) {
        switch (c) {
        case 'h': cli_help(usage);
        case 'V': cli_version();
        case 'o': out = optarg; break;
        case 'p': pname = optarg; break;
        case O_DIM: dim = (int)parse_ll("--dim", optarg, 1, 1 << 16); break;
        case O_LAYERS: layers = (int)parse_ll("--layers", optarg, 1, 1024); break;
        case O_HEADS: heads = (int)parse_ll("--heads", optarg, 1, 1024); break;
        case O_KV: kv = (int)parse_ll("--kv-heads", optarg, 1, 1024); break;
        case O_HD: hd = (int)parse_ll("--head-dim", optarg, 2, 1024); break;
        case O_FFN: ffn = (int)parse_ll("--ffn", optarg, 1, 1 << 18); break;
        case O_VOCAB: vocab = (int)parse_ll("--vocab", optarg, 1, 1 << 22); break;
        case O_MAXPOS: maxpos = (int)parse_ll("--max-pos", optarg, 1, 1 << 24); break;
        case O_THETA: theta = parse_double("--rope-theta", optarg); break;
        case O_TOK: tokpath = optarg; break;
        case O_UNTIED: untied = 1; break;
        case O_REWARD: reward = 1; break;
        case O_FORCE: ckpt_allow_replace(1); break;
        case O_ARCH:
            arch = model_arch_by_type(optarg);
            if (arch < 0) cli_usage_error("unknown --arch '%s' (%s)", optarg, model_arch_types());
            break;
        case O_SEED: seed = (uint64_t)parse_ll("--seed", optarg, 0, INT64_MAX); break;
        default: cli_bad_option(argv, lo);
        }
    }
    if (optind < argc) cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (!out) cli_usage_error("missing -o DIR");
    free(ckpt_target(out));   /* refuse a directory that is not a checkpoint before any work */
    const preset *p = NULL;
    for (size_t i = 0; i < sizeof presets / sizeof *presets; i++)
        if (!strcmp(presets[i].name, pname)) p = &presets[i];
    if (!p) cli_usage_error("unknown preset '%s' (tiny, small, medium, smollm2-135m)", pname);
    if (!(theta > 0)) cli_usage_error("--rope-theta must be positive");

    tokenizer *tok;
    if (tokpath) {
        char err[512];
        tok = tok_load(tokpath, err, sizeof err);
        if (!tok) die(strstr(err, "cannot open") ? EX_NOINPUT : EX_DATAERR, "%s: %s", tokpath, err);
        if (chat_template_load_beside(tok, tokpath, err, sizeof err) < 0) die(EX_DATAERR, "%s", err);
    } else tok = tok_byte_new();

    model_config cfg = {0};
    cfg.arch = arch;
    cfg.dim = dim ? dim : p->dim;
    cfg.n_layers = layers ? layers : p->layers;
    cfg.n_heads = heads ? heads : p->heads;
    cfg.n_kv_heads = kv ? kv : (heads ? cfg.n_heads : p->kv);
    cfg.head_dim = hd ? hd : cfg.dim / cfg.n_heads;
    cfg.ffn = ffn ? ffn : p->ffn;
    cfg.vocab = vocab ? vocab : (p->vocab > tok_vocab_size(tok) ? p->vocab : tok_vocab_size(tok));
    if (cfg.vocab < tok_vocab_size(tok))
        cli_usage_error("--vocab %d is smaller than the tokenizer's %d tokens", cfg.vocab, tok_vocab_size(tok));
    cfg.max_pos = maxpos;
    cfg.norm_eps = 1e-5;
    cfg.rope_theta = theta;
    cfg.lm_head = !reward;
    cfg.score = reward;
    cfg.tied = !reward && !untied;
    cfg.bos_id = -1;
    cfg.eos_id = tok_eos(tok) ? tok_id(tok, tok_eos(tok)) : -1;
    /* a pad token distinct from EOS where the tokenizer has one: rewards
     * pool at the last non-pad token (transformers' sequence
     * classification, model_pool_pos), so pad = EOS would score the token
     * before the EOS; Qwen's and Llama 3's own choices come first */
    static const char *pads[] = {"<pad>", "<|pad|>", "<|finetune_right_pad_id|>", "<|endoftext|>", "<|end_of_text|>", "<unk>"};
    cfg.pad_id = -1;
    for (size_t i = 0; i < sizeof pads / sizeof *pads && cfg.pad_id < 0; i++) {
        int id = tok_id(tok, pads[i]);
        if (id >= 0 && id != cfg.eos_id) cfg.pad_id = id;
    }
    if (cfg.pad_id < 0) cfg.pad_id = cfg.eos_id;
    const char *e = model_config_check(&cfg);
    if (e) cli_usage_error("bad dimensions: %s", e);
    if (cfg.head_dim * cfg.n_heads != cfg.dim && !hd)
        cli_usage_error("--dim %d is not a multiple of --heads %d (give --head-dim)", cfg.dim, cfg.n_heads);

    model *m = model_new(&cfg, backend_cpu());
    model_init_random(m, seed);
    ckpt_save(out, m, tok, NULL, NULL);
    fprintf(stderr, "%s: %s: %zu parameters (d %d, %d layers, %d/%d heads, FFN %d, vocab %d)\n",
            progname, out, model_param_count(m), cfg.dim, cfg.n_layers, cfg.n_heads, cfg.n_kv_heads,
            cfg.ffn, cfg.vocab);
    model_free(m);
    tok_free(tok);
    return 0;
}
