/*
 * rope_body.h — one rotary pair per call: idx enumerates (token i, head h,
 * frequency k < hd/2) with k fastest; the pair is (k, k + hd/2) of that
 * head (Hugging Face rotate_half).  The angle is computed as the CPU
 * backend does it: inverse frequency in double, angle in fp32
 * (pos * (float)inv), then cosf/sinf; inverse = 1 rotates backwards.
 */
#ifndef PREFPIPE_CUDA_ROPE_BODY_H
#define PREFPIPE_CUDA_ROPE_BODY_H

#include "backend/cuda/cu_hd.h"

CU_HD void rope_body(size_t idx, float *x, const int32_t *pos, int heads, int hd,
                     float theta, int inverse)
{
    int half = hd / 2;
    int k = (int)(idx % (size_t)half);
    size_t t = idx / (size_t)half;
    int h = (int)(t % (size_t)heads);
    size_t i = t / (size_t)heads;
    double inv = pow((double)theta, -2.0 * k / hd);
    float ang = (float)pos[i] * (float)inv;
    float cs = cosf(ang), sn = inverse ? -sinf(ang) : sinf(ang);
    float *v = x + (i * heads + h) * (size_t)hd;
    float a = v[k], b = v[k + half];
    v[k] = a * cs - b * sn;
    v[k + half] = b * cs + a * sn;
}

#endif
