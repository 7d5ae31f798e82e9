/*
 * cuda_ctx.cu — the CUDA backend's context and memory: opening a device,
 * the error checks, scratch buffers, alloc/free/upload/download/zero/copy,
 * and the op table that points at the launchers in the other cuda_*.cu
 * files (one op family each).  See cuda_int.h for the invariants.
 *
 * Memory is plain cudaMalloc (no managed memory).  upload and download
 * are ordered on the context's stream; download waits for the stream, so
 * the host copy is complete when it returns.  An upload from pageable host
 * memory returns once the driver has staged the bytes, so the caller may
 * reuse its buffer at once.
 */
#include "backend/cuda/cuda_int.h"
#include "backend/cuda/backend_cuda.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cu_ctx CU = {-1, 0, 0, CUBLAS_COMPUTE_32F, CU_FP32};

void cu_check(cudaError_t e, const char *call, const char *file, int line)
{
    if (e == cudaSuccess) return;
    die(e == cudaErrorMemoryAllocation ? 71 : 70, "cuda: %s:%d: %s: %s (%s)", file, line, call,
        cudaGetErrorString(e), cudaGetErrorName(e));
}

void cublas_check(cublasStatus_t s, const char *call, const char *file, int line)
{
    if (s == CUBLAS_STATUS_SUCCESS) return;
    die(s == CUBLAS_STATUS_ALLOC_FAILED ? 71 : 70, "cuda: %s:%d: %s: %s (%s)", file, line, call,
        cublasGetStatusString(s), cublasGetStatusName(s));
}

/* ---- scratch ---- */

static void *scr[CU_S_N];
static size_t scr_cap[CU_S_N];

void *cu_scratch(int slot, size_t bytes)
{
    if (bytes > scr_cap[slot]) {
        if (scr[slot]) {
            CU_CHECK(cudaStreamSynchronize(CU.st));   /* an earlier op may still read it */
            CU_CHECK(cudaFree(scr[slot]));
        }
        size_t cap = bytes + bytes / 4;
        CU_CHECK(cudaMalloc(&scr[slot], cap));
        scr_cap[slot] = cap;
    }
    return scr[slot];
}

const int32_t *cu_ints(int slot, const int32_t *host, size_t n)
{
    int32_t *d = (int32_t *)cu_scratch(slot, n * sizeof(int32_t) + 1);
    if (n) CU_CHECK(cudaMemcpyAsync(d, host, n * sizeof(int32_t), cudaMemcpyHostToDevice, CU.st));
    return d;
}

const uint8_t *cu_bytes(int slot, const uint8_t *host, size_t n)
{
    uint8_t *d = (uint8_t *)cu_scratch(slot, n + 1);
    if (n) CU_CHECK(cudaMemcpyAsync(d, host, n, cudaMemcpyHostToDevice, CU.st));
    return d;
}

/* ---- memory ops ---- */

static float *cu_alloc(size_t n)
{
    if (n == 0) n = 1;
    void *p = NULL;
    CU_CHECK(cudaMalloc(&p, n * sizeof(float)));
    CU_CHECK(cudaMemsetAsync(p, 0, n * sizeof(float), CU.st));
    return (float *)p;
}

static void cu_free(float *p)
{
    if (!p) return;
    CU_CHECK(cudaStreamSynchronize(CU.st));
    CU_CHECK(cudaFree(p));
}

static void cu_upload(float *dst, const float *host, size_t n)
{
    if (n) CU_CHECK(cudaMemcpyAsync(dst, host, n * sizeof(float), cudaMemcpyHostToDevice, CU.st));
}

static void cu_download(float *host, const float *src, size_t n)
{
    if (n) CU_CHECK(cudaMemcpyAsync(host, src, n * sizeof(float), cudaMemcpyDeviceToHost, CU.st));
    CU_CHECK(cudaStreamSynchronize(CU.st));
}

static void cu_zero(float *p, size_t n)
{
    if (n) CU_CHECK(cudaMemsetAsync(p, 0, n * sizeof(float), CU.st));
}

static void cu_copy(float *dst, const float *src, size_t n)
{
    if (n && dst != src)
        CU_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDeviceToDevice, CU.st));
}

/* ---- the table ---- */

/* integer inputs are host arrays in backend.h: upload, then launch */
static void t_embed(float *out, const float *table, const int32_t *ids, int n, int d)
{
    cu_embed(out, table, cu_ints(CU_S_I0, ids, (size_t)n), n, d);
}
static void t_embed_bwd(float *dt, const float *dout, const int32_t *ids, int n, int d)
{
    cu_embed_bwd(dt, dout, cu_ints(CU_S_I0, ids, (size_t)n), n, d);
}
static void t_rope(float *x, const int32_t *pos, int n, int heads, int hd, float theta, int inverse)
{
    cu_rope(x, cu_ints(CU_S_I1, pos, (size_t)n), n, heads, hd, theta, inverse);
}
static void t_attention(float *out, float *lse, const float *q, const float *k, const float *v,
                        const uint8_t *valid, int B, int Tq, int q0, int kstride, int H, int KV, int hd)
{
    cu_attention(out, lse, q, k, v, cu_bytes(CU_S_VALID, valid, (size_t)B * kstride),
                 B, Tq, q0, kstride, H, KV, hd);
}
static void t_attention_bwd(float *dq, float *dk, float *dv, const float *dout, const float *q,
                            const float *k, const float *v, const float *out, const float *lse,
                            const uint8_t *valid, int B, int T, int H, int KV, int hd)
{
    cu_attention_bwd(dq, dk, dv, dout, q, k, v, out, lse, cu_bytes(CU_S_VALID, valid, (size_t)B * T),
                     B, T, H, KV, hd);
}
static void t_logprob(float *logp, float *lse, const float *logits, const int32_t *targets, int n, int V)
{
    cu_logprob(logp, lse, logits, cu_ints(CU_S_I0, targets, (size_t)n), n, V);
}
static void t_logprob_bwd(float *logits, const float *lse, const float *dlogp, const int32_t *targets,
                          int n, int V)
{
    cu_logprob_bwd(logits, lse, dlogp, cu_ints(CU_S_I0, targets, (size_t)n), n, V);
}

static backend table;

static void fill_table(void)
{
    table.name = "cuda";
    table.alloc = cu_alloc;
    table.free = cu_free;
    table.upload = cu_upload;
    table.download = cu_download;
    table.zero = cu_zero;
    table.copy = cu_copy;
    table.matmul = cu_matmul;
    table.matmul_bwd = cu_matmul_bwd;
    table.embed = t_embed;
    table.embed_bwd = t_embed_bwd;
    table.rmsnorm = cu_rmsnorm;
    table.rmsnorm_bwd = cu_rmsnorm_bwd;
    table.rope = t_rope;
    table.attention = t_attention;
    table.attention_bwd = t_attention_bwd;
    table.swiglu = cu_swiglu;
    table.swiglu_bwd = cu_swiglu_bwd;
    table.add = cu_add;
    table.logprob = t_logprob;
    table.logprob_bwd = t_logprob_bwd;
    table.sumsq = cu_sumsq;
    table.scale = cu_scale;
    table.adamw = cu_adamw;
}

static const char *prec_names[] = {"fp32", "tf32", "bf16"};

extern "C" const char *backend_cuda_precision(void) { return prec_names[CU.prec]; }

extern "C" const struct backend *backend_cuda_open(int device, char *err, size_t errlen)
{
    if (CU.dev >= 0) {
        if (device == CU.dev) return &table;
        snprintf(err, errlen, "cuda:%d: this process already uses cuda:%d (one device per process)",
                 device, CU.dev);
        return NULL;
    }
    const char *p = getenv("PREFPIPE_CUDA_PRECISION");
    int prec = CU_FP32;
    if (p && *p) {
        int k;
        for (k = 0; k < 3 && strcmp(p, prec_names[k]); k++) {}
        if (k == 3) {
            snprintf(err, errlen, "PREFPIPE_CUDA_PRECISION: expected fp32, tf32 or bf16, not '%s'", p);
            return NULL;
        }
        prec = k;
    }
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        snprintf(err, errlen, "cuda: no usable GPU: %s (%s)", cudaGetErrorString(e), cudaGetErrorName(e));
        return NULL;
    }
    if (count == 0) {
        snprintf(err, errlen, "cuda: no GPU found");
        return NULL;
    }
    if (device < 0 || device >= count) {
        snprintf(err, errlen, "cuda:%d: no such device (%d GPU%s, cuda:0 .. cuda:%d)", device, count,
                 count == 1 ? "" : "s", count - 1);
        return NULL;
    }
    if ((e = cudaSetDevice(device)) != cudaSuccess ||
        (e = cudaStreamCreateWithFlags(&CU.st, cudaStreamNonBlocking)) != cudaSuccess) {
        snprintf(err, errlen, "cuda:%d: cannot start: %s", device, cudaGetErrorString(e));
        return NULL;
    }
    cublasStatus_t s = cublasCreate(&CU.blas);
    if (s != CUBLAS_STATUS_SUCCESS) {
        snprintf(err, errlen, "cuda:%d: cuBLAS cannot start: %s", device, cublasGetStatusString(s));
        return NULL;
    }
    CUBLAS_CHECK(cublasSetStream(CU.blas, CU.st));
    /* fp32 mode must not let cuBLAS pick TF32 tensor cores behind our back */
    CUBLAS_CHECK(cublasSetMathMode(CU.blas, prec == CU_FP32 ? CUBLAS_PEDANTIC_MATH : CUBLAS_DEFAULT_MATH));
    CU.ctype = prec == CU_FP32 ? CUBLAS_COMPUTE_32F_PEDANTIC
             : prec == CU_TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F_FAST_16BF;
    CU.prec = prec;
    CU.dev = device;
    fill_table();
    return &table;
}
