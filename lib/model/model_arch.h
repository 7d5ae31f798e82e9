/*
 * model_arch.h — the model families prefpipe runs, and what sets each
 * apart from Llama.  One table (model_arch.c) answers every question the
 * loader, the saver and the forward pass ask about a family: its
 * config.json model_type, its Hugging Face class names, and the switches
 * model.c and model_params.c read.  Adding a family = a row here plus its
 * tensors in model_params.c and its math in model.c (if it needs a switch
 * no row has yet) and a parity fixture.
 *
 * The ids are stable small integers (model_config.arch); ARCH_LLAMA is 0
 * so a zeroed config stays the Llama model.
 */
#ifndef PREFPIPE_MODEL_ARCH_H
#define PREFPIPE_MODEL_ARCH_H

enum { ARCH_LLAMA, ARCH_MISTRAL, ARCH_QWEN2, ARCH_QWEN3, ARCH_OLMO2, ARCH_GEMMA, ARCH_COUNT };

/* what a q_norm / k_norm weight normalises */
enum { QK_NORM_NONE, QK_NORM_HEAD /* each head: [head_dim] */, QK_NORM_FULL /* [heads*head_dim] */ };

typedef struct {
    const char *model_type;   /* config.json "model_type" */
    const char *prefix;       /* "Llama": PrefixForCausalLM, PrefixForSequenceClassification */
    int qkv_bias;             /* q/k/v projections carry biases (Qwen2) */
    int qk_norm;              /* QK_NORM_* (Qwen3 per head, OLMo 2 full) */
    int post_norms;           /* OLMo 2: norms after attention and MLP, none before */
    int gemma;                /* sqrt(D) embedding scale, 1 + w norms, GeGLU (tanh) */
    int tied_default;         /* tie_word_embeddings when config.json omits it */
} model_arch_info;

/* The row of a family id (ARCH_LLAMA for an id out of range). */
const model_arch_info *model_arch(int arch);
/* The id of a model_type, or -1. */
int model_arch_by_type(const char *model_type);
/* The id of an architectures[0] class name, or -1; *seqcls is set to 1 for
 * ...ForSequenceClassification and 0 for ...ForCausalLM. */
int model_arch_by_class(const char *cls, int *seqcls);
/* "LlamaForCausalLM, LlamaForSequenceClassification, MistralFor..." for
 * messages (static). */
const char *model_arch_classes(void);
/* "llama, mistral, ..." (static). */
const char *model_arch_types(void);

#endif
