/*
 * cpu_fexp_int.h — the CPU backend's vectorisable fp32 exponential, shared
 * by backend_cpu.c (softmax, SwiGLU, log-probs) and cpu_rows.c (the
 * row-independent attention).  Plain arithmetic, no libm call, so loops
 * over it vectorise; it rounds the same in a vector lane as in a scalar
 * loop as long as the including file gives the compiler no FMA to
 * contract into (both are built for the baseline instruction set).
 */
#ifndef PREFPIPE_CPU_FEXP_INT_H
#define PREFPIPE_CPU_FEXP_INT_H

#include <stdint.h>

/* exp(x) in fp32 that the compiler can vectorise (glibc's expf is a call):
 * Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, and the Cephes
 * degree-6 polynomial; relative error ~1e-7 (within 2 ulp of expf).
 * Exactly 0 below -87.3 (so masked -inf scores vanish), clamped above;
 * a NaN gives 0, not NaN (both compares are false: xc = 88.3, mask 0).
 * Always inlined: as a call (GCC stopped inlining it once it moved into
 * this header) the loops over it do not vectorise, and training ran 35 %
 * slower. */
static inline __attribute__((always_inline)) float fexp(float x)
{
    float xc = x < 88.3f ? x : 88.3f;
    xc = xc > -87.3f ? xc : -87.3f;
    /* round to nearest by the 1.5 * 2^23 trick (no libm call, vectorises) */
    float n = (xc * 1.44269504089f + 12582912.0f) - 12582912.0f;
    float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
    float z = r * r;
    float y = 1.9875691500e-4f;
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * z + r + 1.0f;
    union { int32_t i; float f; } scale = {.i = ((int32_t)n + 127) << 23};
    return y * scale.f * (float)(x >= -87.3f);
}

#endif
