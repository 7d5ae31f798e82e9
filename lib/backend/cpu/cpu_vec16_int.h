/*
 * cpu_vec16_int.h — one 16-lane float vector, three ways: an AVX-512 zmm,
 * a pair of AVX2 ymm (lanes 0-7 in lo, 8-15 in hi), and 16 plain floats
 * with fmaf.  The CPU kernels that must give the same bits on every
 * instruction set (cpu_rows_body.h, cpu_train_body.h) are written once
 * over the macros below and compiled once per instruction set: an
 * operation on lane l depends on lane l alone (or, in VRED, on a fixed
 * halving tree), so the three copies agree bit for bit.
 *
 * Use: define VEC16_ISA as 512, 256 or 0 (plain C) and include this file;
 * it (re)defines
 *   V  TGT  VZERO() VLOAD(p) VLOADN(p, n) (lanes >= n read as 0) VSET1(s)
 *   VFMA(a, b, c) = a * b + c (one rounding)  VRED(v) (the halving tree)
 *   VSTORE(p, v) VSTOREN(p, v, n)
 * and, for 512 and 256 only, the element-wise
 *   VMUL VADD VSUB VMAX (two roundings never fused: each is its own
 *   instruction, as long as the compiler contracts nothing: GCC's
 *   intrinsics are plain vector * and +, which -ffp-contract=fast (GCC's
 *   default outside ISO C) fuses; the Makefile says -ffp-contract=off)  VKEEP(v, n) (lanes >= n made 0)  VREDMAX(v)  VEXP(v)
 *   (cpu_fexp_int.h's fexp, operation for operation: the same bits as the
 *   scalar function compiled without FMA contraction).
 * The functions are defined once (include guard); the macro set is
 * replaced on every inclusion.
 */
#ifndef PREFPIPE_CPU_VEC16_INT_H
#define PREFPIPE_CPU_VEC16_INT_H

#include <immintrin.h>
#include <math.h>

/* ---- AVX-512: one zmm ---- */
#define TGT512 __attribute__((target("avx512f,fma")))
TGT512 static inline __m512 vzero_512(void) { return _mm512_setzero_ps(); }
TGT512 static inline __m512 vloadn_512(const float *p, int n)
{
    return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p);
}
TGT512 static inline void vstoren_512(float *p, __m512 v, int n)
{
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), v);
}
TGT512 static inline __m512 vkeep_512(__m512 v, int n)
{
    return _mm512_maskz_mov_ps((__mmask16)(n >= 16 ? 0xffffu : (1u << (n > 0 ? n : 0)) - 1), v);
}
TGT512 static inline float vred_512(__m512 v)
{
    __m256 lo = _mm512_castps512_ps256(v);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    __m256 a = _mm256_add_ps(lo, hi);                                            /* l + 8 */
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1)); /* l + 4 */
    __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));                               /* l + 2 */
    __m128 d = _mm_add_ss(c, _mm_shuffle_ps(c, c, 1));                           /* l + 1 */
    return _mm_cvtss_f32(d);
}
/* The AVX2 pair's tree, operand for operand (not _mm512_reduce_max_ps,
 * whose operands go the other way round): max returns its second operand
 * when either is NaN (and of +0 and -0), so only the same order gives the
 * same bits for a NaN score on both sets. */
TGT512 static inline float vredmax_512(__m512 v)
{
    __m256 lo = _mm512_castps512_ps256(v);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    __m256 a = _mm256_max_ps(lo, hi);
    __m128 b = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    b = _mm_max_ps(b, _mm_movehl_ps(b, b));
    b = _mm_max_ss(b, _mm_shuffle_ps(b, b, 1));
    return _mm_cvtss_f32(b);
}
TGT512 static inline __m512 vexp_512(__m512 x)
{
    __m512 xc = _mm512_min_ps(x, _mm512_set1_ps(88.3f));
    xc = _mm512_max_ps(xc, _mm512_set1_ps(-87.3f));
    __m512 big = _mm512_set1_ps(12582912.0f);
    __m512 n = _mm512_sub_ps(_mm512_add_ps(_mm512_mul_ps(xc, _mm512_set1_ps(1.44269504089f)), big), big);
    __m512 r = _mm512_add_ps(_mm512_sub_ps(xc, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f))),
                             _mm512_mul_ps(n, _mm512_set1_ps(2.12194440e-4f)));
    __m512 z = _mm512_mul_ps(r, r);
    __m512 y = _mm512_set1_ps(1.9875691500e-4f);
    y = _mm512_add_ps(_mm512_mul_ps(y, r), _mm512_set1_ps(1.3981999507e-3f));
    y = _mm512_add_ps(_mm512_mul_ps(y, r), _mm512_set1_ps(8.3334519073e-3f));
    y = _mm512_add_ps(_mm512_mul_ps(y, r), _mm512_set1_ps(4.1665795894e-2f));
    y = _mm512_add_ps(_mm512_mul_ps(y, r), _mm512_set1_ps(1.6666665459e-1f));
    y = _mm512_add_ps(_mm512_mul_ps(y, r), _mm512_set1_ps(5.0000001201e-1f));
    y = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(y, z), r), _mm512_set1_ps(1.0f));
    __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(n), _mm512_set1_epi32(127)), 23);
    __m512 s = _mm512_mul_ps(y, _mm512_castsi512_ps(e));
    /* * (float)(x >= -87.3f): 0 below.  A NaN x does not stay NaN: min and
     * max return their second operand on a NaN, as fexp's compares do, so
     * xc = 88.3, s is finite and the mask 0: vexp(NaN) = fexp(NaN) = 0. */
    __mmask16 ge = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.3f), _CMP_GE_OQ);
    return _mm512_mul_ps(s, _mm512_mask_blend_ps(ge, _mm512_setzero_ps(), _mm512_set1_ps(1.0f)));
}

/* ---- AVX2: lanes 0-7 in lo, 8-15 in hi ---- */
#define TGT256 __attribute__((target("avx2,fma")))
typedef struct { __m256 lo, hi; } v2x8;
TGT256 static inline v2x8 vzero_256(void) { v2x8 r = {_mm256_setzero_ps(), _mm256_setzero_ps()}; return r; }
TGT256 static inline v2x8 vload_256(const float *p) { v2x8 r = {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; return r; }
TGT256 static inline __m256i vmask_256(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
TGT256 static inline v2x8 vloadn_256(const float *p, int n)
{
    v2x8 r = {_mm256_maskload_ps(p, vmask_256(n)), _mm256_maskload_ps(p + 8, vmask_256(n - 8))};
    return r;
}
TGT256 static inline v2x8 vset1_256(float s) { v2x8 r = {_mm256_set1_ps(s), _mm256_set1_ps(s)}; return r; }
TGT256 static inline v2x8 vfma_256(v2x8 a, v2x8 b, v2x8 c)
{
    v2x8 r = {_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)};
    return r;
}
TGT256 static inline void vstore_256(float *p, v2x8 v) { _mm256_storeu_ps(p, v.lo); _mm256_storeu_ps(p + 8, v.hi); }
TGT256 static inline void vstoren_256(float *p, v2x8 v, int n)
{
    _mm256_maskstore_ps(p, vmask_256(n), v.lo);
    _mm256_maskstore_ps(p + 8, vmask_256(n - 8), v.hi);
}
TGT256 static inline float vred_256(v2x8 v)
{
    __m256 a = _mm256_add_ps(v.lo, v.hi);
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));
    __m128 d = _mm_add_ss(c, _mm_shuffle_ps(c, c, 1));
    return _mm_cvtss_f32(d);
}
#define V256_BINOP(name, op)                                                        \
    TGT256 static inline v2x8 name(v2x8 a, v2x8 b)                                  \
    {                                                                               \
        v2x8 r = {op(a.lo, b.lo), op(a.hi, b.hi)};                                  \
        return r;                                                                   \
    }
V256_BINOP(vmul_256, _mm256_mul_ps)
V256_BINOP(vadd_256, _mm256_add_ps)
V256_BINOP(vsub_256, _mm256_sub_ps)
V256_BINOP(vmax_256, _mm256_max_ps)
#undef V256_BINOP
TGT256 static inline v2x8 vkeep_256(v2x8 v, int n)
{
    v2x8 r = {_mm256_and_ps(v.lo, _mm256_castsi256_ps(vmask_256(n))),
              _mm256_and_ps(v.hi, _mm256_castsi256_ps(vmask_256(n - 8)))};
    return r;
}
TGT256 static inline float vredmax_256(v2x8 v)
{
    __m256 a = _mm256_max_ps(v.lo, v.hi);
    __m128 b = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    b = _mm_max_ps(b, _mm_movehl_ps(b, b));
    b = _mm_max_ss(b, _mm_shuffle_ps(b, b, 1));
    return _mm_cvtss_f32(b);
}
TGT256 static inline __m256 vexp8_256(__m256 x)
{
    __m256 xc = _mm256_min_ps(x, _mm256_set1_ps(88.3f));
    xc = _mm256_max_ps(xc, _mm256_set1_ps(-87.3f));
    __m256 big = _mm256_set1_ps(12582912.0f);
    __m256 n = _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504089f)), big), big);
    __m256 r = _mm256_add_ps(_mm256_sub_ps(xc, _mm256_mul_ps(n, _mm256_set1_ps(0.693359375f))),
                             _mm256_mul_ps(n, _mm256_set1_ps(2.12194440e-4f)));
    __m256 z = _mm256_mul_ps(r, r);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_add_ps(_mm256_mul_ps(y, r), _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_add_ps(_mm256_mul_ps(y, r), _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_add_ps(_mm256_mul_ps(y, r), _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_add_ps(_mm256_mul_ps(y, r), _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_add_ps(_mm256_mul_ps(y, r), _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(y, z), r), _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23);
    __m256 s = _mm256_mul_ps(y, _mm256_castsi256_ps(e));
    __m256 ge = _mm256_and_ps(_mm256_cmp_ps(x, _mm256_set1_ps(-87.3f), _CMP_GE_OQ), _mm256_set1_ps(1.0f));
    return _mm256_mul_ps(s, ge);
}
TGT256 static inline v2x8 vexp_256(v2x8 x)
{
    v2x8 r = {vexp8_256(x.lo), vexp8_256(x.hi)};
    return r;
}

/* ---- plain C: the definition itself, 16 floats and fmaf ---- */
typedef struct { float l[16]; } v16s;
static inline v16s vzero_c(void) { v16s r; for (int l = 0; l < 16; l++) r.l[l] = 0.0f; return r; }
static inline v16s vloadn_c(const float *p, int n)
{
    v16s r;
    for (int l = 0; l < 16; l++) r.l[l] = l < n ? p[l] : 0.0f;
    return r;
}
static inline v16s vset1_c(float s) { v16s r; for (int l = 0; l < 16; l++) r.l[l] = s; return r; }
static inline v16s vfma_c(v16s a, v16s b, v16s c)
{
    for (int l = 0; l < 16; l++) c.l[l] = fmaf(a.l[l], b.l[l], c.l[l]);
    return c;
}
static inline void vstoren_c(float *p, v16s v, int n) { for (int l = 0; l < n; l++) p[l] = v.l[l]; }
static inline float vred_c(v16s v)
{
    for (int h = 8; h >= 1; h /= 2)
        for (int l = 0; l < h; l++) v.l[l] = v.l[l] + v.l[l + h];
    return v.l[0];
}

#endif /* PREFPIPE_CPU_VEC16_INT_H */

/* ---- the macro set of VEC16_ISA (replaced on every inclusion) ---- */
#ifdef VEC16_ISA
#undef V
#undef TGT
#undef VZERO
#undef VLOAD
#undef VLOADN
#undef VSET1
#undef VFMA
#undef VSTORE
#undef VSTOREN
#undef VRED
#undef VMUL
#undef VADD
#undef VSUB
#undef VMAX
#undef VKEEP
#undef VREDMAX
#undef VEXP
#if VEC16_ISA == 512
#define V __m512
#define TGT TGT512
#define VZERO() vzero_512()
#define VLOAD(p) _mm512_loadu_ps(p)
#define VLOADN(p, n) vloadn_512((p), (n))
#define VSET1(s) _mm512_set1_ps(s)
#define VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VSTOREN(p, v, n) vstoren_512((p), (v), (n))
#define VRED(v) vred_512(v)
#define VMUL(a, b) _mm512_mul_ps((a), (b))
#define VADD(a, b) _mm512_add_ps((a), (b))
#define VSUB(a, b) _mm512_sub_ps((a), (b))
#define VMAX(a, b) _mm512_max_ps((a), (b))
#define VKEEP(v, n) vkeep_512((v), (n))
#define VREDMAX(v) vredmax_512(v)
#define VEXP(v) vexp_512(v)
#elif VEC16_ISA == 256
#define V v2x8
#define TGT TGT256
#define VZERO() vzero_256()
#define VLOAD(p) vload_256(p)
#define VLOADN(p, n) vloadn_256((p), (n))
#define VSET1(s) vset1_256(s)
#define VFMA(a, b, c) vfma_256((a), (b), (c))
#define VSTORE(p, v) vstore_256((p), (v))
#define VSTOREN(p, v, n) vstoren_256((p), (v), (n))
#define VRED(v) vred_256(v)
#define VMUL(a, b) vmul_256((a), (b))
#define VADD(a, b) vadd_256((a), (b))
#define VSUB(a, b) vsub_256((a), (b))
#define VMAX(a, b) vmax_256((a), (b))
#define VKEEP(v, n) vkeep_256((v), (n))
#define VREDMAX(v) vredmax_256(v)
#define VEXP(v) vexp_256(v)
#elif VEC16_ISA == 0
#define V v16s
#define TGT
#define VZERO() vzero_c()
#define VLOAD(p) vloadn_c((p), 16)
#define VLOADN(p, n) vloadn_c((p), (n))
#define VSET1(s) vset1_c(s)
#define VFMA(a, b, c) vfma_c((a), (b), (c))
#define VSTORE(p, v) vstoren_c((p), (v), 16)
#define VSTOREN(p, v, n) vstoren_c((p), (v), (n))
#define VRED(v) vred_c(v)
#else
#error "VEC16_ISA must be 512, 256 or 0"
#endif
#undef VEC16_ISA
#endif
