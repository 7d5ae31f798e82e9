/*
 * cuda_rope.cu — rotary embedding in place, one thread per rotated pair
 * (rope_body.h); pos is device memory.
 */
#include "backend/cuda/cuda_int.h"
#include "backend/cuda/rope_body.h"

void cu_rope(const backend *be, float *x, const int32_t *pos, int n, int heads, int hd, float theta, int inverse)
{
    cu_each((size_t)n * heads * (hd / 2),
            [=] __device__(size_t idx) { rope_body(idx, x, pos, heads, hd, theta, inverse); });
}
