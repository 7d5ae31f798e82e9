/*
 * fuzz_safetensors.c — libFuzzer target for the safetensors header parser
 * and the fp32/fp16/bf16 conversion.  Any input must give either a parsed
 * file whose tensors all lie inside the buffer, or an error message; never
 * a crash, a leak or an out-of-bounds read.
 *
 *   clang -fsanitize=fuzzer,address -Ilib -D_GNU_SOURCE \
 *     tests/fuzz/fuzz_safetensors.c lib/model/safetensors.c lib/base/util.c \
 *     -ljansson -o build/fuzz_safetensors
 */
#include "model/safetensors.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    st_file *f = st_parse(data, size, err, sizeof err);
    if (!f) return 0;
    for (int i = 0; i < f->n; i++) {
        const st_tensor *t = &f->t[i];
        if (t->end > f->data_size) abort();   /* the parser promised this */
        if (t->numel > (1u << 20)) continue;
        float *dst = malloc(sizeof(float) * (t->numel ? t->numel : 1));
        st_read_f32(f, t, dst, err, sizeof err);
        free(dst);
    }
    st_close(f);
    return 0;
}
