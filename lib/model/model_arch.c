/*
 * model_arch.c — the family table of model_arch.h.
 *
 * The switches follow the published architectures (Hugging Face
 * transformers' modeling files describe them): Qwen2's attention has
 * biases on q/k/v and none on o; Qwen3 normalises each head of q and k
 * (weight [head_dim]) before rotary; OLMo 2 normalises the whole q and k
 * projections (weights [heads*head_dim], [kv_heads*head_dim]) and puts
 * its two layer norms on the outputs of attention and MLP; Gemma ties its
 * embeddings by default.  Mistral's only difference, the sliding window,
 * is a config value, not a switch.
 */
#include "model/model_arch.h"

#include <stdio.h>
#include <string.h>

static const model_arch_info table[ARCH_COUNT] = {
    [ARCH_LLAMA]   = {"llama", "Llama", 0, QK_NORM_NONE, 0, 0, 0},
    [ARCH_MISTRAL] = {"mistral", "Mistral", 0, QK_NORM_NONE, 0, 0, 0},
    [ARCH_QWEN2]   = {"qwen2", "Qwen2", 1, QK_NORM_NONE, 0, 0, 0},
    [ARCH_QWEN3]   = {"qwen3", "Qwen3", 0, QK_NORM_HEAD, 0, 0, 0},
    [ARCH_OLMO2]   = {"olmo2", "Olmo2", 0, QK_NORM_FULL, 1, 0, 0},
    [ARCH_GEMMA]   = {"gemma", "Gemma", 0, QK_NORM_NONE, 0, 1, 1},
};

const model_arch_info *model_arch(int arch)
{
    return &table[arch >= 0 && arch < ARCH_COUNT ? arch : ARCH_LLAMA];
}

int model_arch_by_type(const char *t)
{
    for (int i = 0; i < ARCH_COUNT; i++)
        if (!strcmp(table[i].model_type, t)) return i;
    return -1;
}

int model_arch_by_class(const char *cls, int *seqcls)
{
    for (int i = 0; i < ARCH_COUNT; i++) {
        size_t n = strlen(table[i].prefix);
        if (strncmp(cls, table[i].prefix, n)) continue;
        if (!strcmp(cls + n, "ForCausalLM")) { *seqcls = 0; return i; }
        if (!strcmp(cls + n, "ForSequenceClassification")) { *seqcls = 1; return i; }
    }
    return -1;
}

const char *model_arch_classes(void)
{
    static char buf[512];
    if (!buf[0]) {
        size_t k = 0;
        for (int i = 0; i < ARCH_COUNT; i++)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%sForCausalLM, %sForSequenceClassification",
                                  i ? ", " : "", table[i].prefix, table[i].prefix);
    }
    return buf;
}

const char *model_arch_types(void)
{
    static char buf[128];
    if (!buf[0]) {
        size_t k = 0;
        for (int i = 0; i < ARCH_COUNT; i++)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", i ? ", " : "", table[i].model_type);
    }
    return buf;
}
