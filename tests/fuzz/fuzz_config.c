/*
 * fuzz_config.c — libFuzzer target for config.json (ckpt_parse_config):
 * any bytes give either a config that model_config_check accepts, whose
 * sizes then fit the bounds the model code relies on (every product below
 * computed in 64 bits), or an error message; never a crash, an overflow
 * (UBSan) or a huge allocation.  Seeds in tests/fuzz/corpus/fuzz_config.
 */
#include "train/checkpoint.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    model_config c;
    char err[512];
    if (ckpt_parse_config((const char *)data, size, &c, err, sizeof err) != 0)
        return 0;
    int64_t qd = (int64_t)c.n_heads * c.head_dim, kd = (int64_t)c.n_kv_heads * c.head_dim;
    if (qd > INT32_MAX || kd > INT32_MAX || c.max_pos <= 0)
        abort();   /* accepted sizes the model code computes in int */
    int64_t params = model_config_params(&c);
    if (params <= 0)
        abort();
    char *text = ckpt_config_text(&c);
    free(text);
    return 0;
}
