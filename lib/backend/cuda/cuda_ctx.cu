/*
 * cuda_ctx.cu — the CUDA backend's context and memory: opening a device
 * (backend_cuda_open, called by the registry in backend.c for "cuda" and
 * "cuda:N"), the error checks, scratch buffers, the memory operations,
 * and the op table pointing at the launchers in the other cuda_*.cu
 * files (one op family each).  See cuda_int.h for the invariants.
 *
 * Memory is plain cudaMalloc (no managed memory), zeroed on allocation.
 * upload/upload_bytes are ordered on the context's stream and return once
 * the driver has staged the pageable host bytes, so the caller may reuse
 * its buffer at once; download/download_bytes wait for the stream, so the
 * host copy is complete when they return; free waits for the stream
 * before releasing, so no queued op still uses the buffer.
 *
 * Opening: no driver, no device, an ordinal out of range, a second
 * ordinal in one process or cuBLAS failing to start is EX_UNAVAILABLE
 * (69) with one sentence saying which; a malformed ordinal or an unknown
 * PREFPIPE_CUDA_PRECISION is EX_USAGE (64).
 */
#include "backend/cuda/cuda_int.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

cu_ctx CU = {-1, 0, 0, CUBLAS_COMPUTE_32F, CU_FP32};
cu_blas_fns CUB;

/* dlopen cuBLAS: PREFPIPE_CUBLAS (a path) if set, else libcublas.so.13
 * on the usual search path (LD_LIBRARY_PATH, our RUNPATH), else the
 * toolkit's copy.  0, or -1 with the reason in why. */
static int load_cublas(char *why, size_t n)
{
    const char *env = getenv("PREFPIPE_CUBLAS");
    const char *names[] = {env && *env ? env : "libcublas.so.13", "/usr/local/cuda/lib64/libcublas.so.13"};
    void *h = NULL;
    for (int i = 0; i < 2 && !h; i++) h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(why, n, "cannot load cuBLAS (%s); set PREFPIPE_CUBLAS to libcublas.so.13 or add its folder to LD_LIBRARY_PATH",
                 dlerror());
        return -1;
    }
    struct { void **fn; const char *sym; } t[] = {
        {(void **)&CUB.create, "cublasCreate_v2"},
        {(void **)&CUB.set_stream, "cublasSetStream_v2"},
        {(void **)&CUB.set_math_mode, "cublasSetMathMode"},
        {(void **)&CUB.gemm_ex, "cublasGemmEx"},
        {(void **)&CUB.gemm_batched_ex, "cublasGemmBatchedEx"},
        {(void **)&CUB.status_string, "cublasGetStatusString"},
        {(void **)&CUB.status_name, "cublasGetStatusName"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (!(*t[i].fn = dlsym(h, t[i].sym))) {
            snprintf(why, n, "cuBLAS lacks %s (%s)", t[i].sym, dlerror());
            return -1;
        }
    return 0;
}

void cu_check(cudaError_t e, const char *call, const char *file, int line)
{
    if (e == cudaSuccess) return;
    die(e == cudaErrorMemoryAllocation ? EX_OSERR : EX_SOFTWARE, "cuda: %s:%d: %s: %s (%s)", file,
        line, call, cudaGetErrorString(e), cudaGetErrorName(e));
}

void cublas_check(cublasStatus_t s, const char *call, const char *file, int line)
{
    if (s == CUBLAS_STATUS_SUCCESS) return;
    die(s == CUBLAS_STATUS_ALLOC_FAILED ? EX_OSERR : EX_SOFTWARE, "cuda: %s:%d: %s: %s (%s)", file,
        line, call, CUB.status_string(s), CUB.status_name(s));
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

/* ---- ordering and memory ---- */

static void cu_sync(const backend *be) { CU_CHECK(cudaStreamSynchronize(CU.st)); }

static void *cu_alloc_bytes(const backend *be, size_t nbytes)
{
    if (nbytes == 0) nbytes = 1;
    void *p = NULL;
    CU_CHECK(cudaMalloc(&p, nbytes));
    CU_CHECK(cudaMemsetAsync(p, 0, nbytes, CU.st));
    return p;
}

static float *cu_alloc(const backend *be, size_t n) { return (float *)cu_alloc_bytes(be, n * sizeof(float)); }

static void cu_free(const backend *be, void *p)
{
    if (!p) return;
    CU_CHECK(cudaStreamSynchronize(CU.st));
    CU_CHECK(cudaFree(p));
}

static void cu_upload_bytes(const backend *be, void *dst, const void *host, size_t nbytes)
{
    if (nbytes) CU_CHECK(cudaMemcpyAsync(dst, host, nbytes, cudaMemcpyHostToDevice, CU.st));
}

static void cu_download_bytes(const backend *be, void *host, const void *src, size_t nbytes)
{
    if (nbytes) CU_CHECK(cudaMemcpyAsync(host, src, nbytes, cudaMemcpyDeviceToHost, CU.st));
    CU_CHECK(cudaStreamSynchronize(CU.st));
}

static void cu_upload(const backend *be, float *dst, const float *host, size_t n)
{
    cu_upload_bytes(be, dst, host, n * sizeof(float));
}

static void cu_download(const backend *be, float *host, const float *src, size_t n)
{
    cu_download_bytes(be, host, src, n * sizeof(float));
}

static void cu_zero(const backend *be, float *p, size_t n)
{
    if (n) CU_CHECK(cudaMemsetAsync(p, 0, n * sizeof(float), CU.st));
}

static void cu_copy(const backend *be, float *dst, const float *src, size_t n)
{
    if (n && dst != src)
        CU_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDeviceToDevice, CU.st));
}

/* one strided 2-D copy for the whole block (KV-cache appends, gathers) */
static void cu_copy_rows(const backend *be, float *dst, size_t dst_ld, const float *src,
                         size_t src_ld, size_t rows, size_t cols)
{
    if (!rows || !cols) return;
    CU_CHECK(cudaMemcpy2DAsync(dst, dst_ld * sizeof(float), src, src_ld * sizeof(float),
                               cols * sizeof(float), rows, cudaMemcpyDeviceToDevice, CU.st));
}

/* ---- the instance ---- */

static backend table;
static char table_name[32];

static void fill_table(void)
{
    snprintf(table_name, sizeof table_name, "cuda:%d", CU.dev);
    table.name = table_name;
    table.ctx = &CU;
    table.sync = cu_sync;
    table.alloc = cu_alloc;
    table.alloc_bytes = cu_alloc_bytes;
    table.free = cu_free;
    table.upload = cu_upload;
    table.download = cu_download;
    table.upload_bytes = cu_upload_bytes;
    table.download_bytes = cu_download_bytes;
    table.zero = cu_zero;
    table.copy = cu_copy;
    table.copy_rows = cu_copy_rows;
    table.zero_rows = cu_zero_rows;
    table.matmul = cu_matmul;
    table.matmul_bwd = cu_matmul_bwd;
    table.matmul_rows = cu_matmul_rows;
    table.matmul_rows_n = cu_matmul_rows_n;
    table.matmul_seqs = cu_matmul;   /* cuBLAS beats a fixed order (backend.h) */
    table.embed = cu_embed;
    table.embed_bwd = cu_embed_bwd;
    table.rmsnorm = cu_rmsnorm;
    table.rmsnorm_bwd = cu_rmsnorm_bwd;
    table.rope = cu_rope;
    table.attention = cu_attention;
    table.attention_bwd = cu_attention_bwd;
    table.attention_rows = cu_attention_rows;
    table.attention_seqs = cu_attention_seqs;
    table.attention_seqs_bwd = cu_attention_seqs_bwd;
    table.swiglu = cu_swiglu;
    table.swiglu_bwd = cu_swiglu_bwd;
    table.geglu = cu_geglu;
    table.geglu_bwd = cu_geglu_bwd;
    table.add = cu_add;
    table.logprob = cu_logprob;
    table.logprob_bwd = cu_logprob_bwd;
    table.sumsq = cu_sumsq;
    table.scale = cu_scale;
    table.adamw = cu_adamw;
}

static const char *prec_names[] = {"fp32", "tf32", "bf16"};

extern "C" const backend *backend_cuda_open(const char *arg, backend_error *err)
{
    int device = 0;
    if (arg) {
        char *end;
        long d = strtol(arg, &end, 10);
        if (!*arg || *end || d < 0 || d > 1024)
            return backend_fail(err, EX_USAGE, "cuda:%s: expected a device number (cuda:0, cuda:1, ...)", arg);
        device = (int)d;
    }
    if (CU.dev >= 0) {
        if (device == CU.dev) return &table;
        return backend_fail(err, EX_UNAVAILABLE, "cuda:%d: this process already uses cuda:%d (one device per process)",
                            device, CU.dev);
    }
    const char *p = getenv("PREFPIPE_CUDA_PRECISION");
    int prec = CU_FP32;
    if (p && *p) {
        int k;
        for (k = 0; k < 3 && strcmp(p, prec_names[k]); k++) {}
        if (k == 3) return backend_fail(err, EX_USAGE, "PREFPIPE_CUDA_PRECISION: expected fp32, tf32 or bf16, not '%s'", p);
        prec = k;
    }
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess)
        return backend_fail(err, EX_UNAVAILABLE, "cuda:%d: no usable GPU here (%s: %s)", device,
                            cudaGetErrorName(e), cudaGetErrorString(e));
    if (count == 0) return backend_fail(err, EX_UNAVAILABLE, "cuda:%d: no GPU found", device);
    if (device >= count)
        return backend_fail(err, EX_UNAVAILABLE, "cuda:%d: no such device (this machine has cuda:0 .. cuda:%d)",
                            device, count - 1);
    if ((e = cudaSetDevice(device)) != cudaSuccess ||
        (e = cudaStreamCreateWithFlags(&CU.st, cudaStreamNonBlocking)) != cudaSuccess)
        return backend_fail(err, EX_UNAVAILABLE, "cuda:%d: cannot start (%s)", device, cudaGetErrorString(e));
    char why[400];
    if (load_cublas(why, sizeof why)) return backend_fail(err, EX_UNAVAILABLE, "cuda:%d: %s", device, why);
    cublasStatus_t s = CUB.create(&CU.blas);
    if (s != CUBLAS_STATUS_SUCCESS)
        return backend_fail(err, EX_UNAVAILABLE, "cuda:%d: cuBLAS cannot start (%s)", device, CUB.status_string(s));
    CUBLAS_CHECK(CUB.set_stream(CU.blas, CU.st));
    /* fp32 mode: plain fp32 products; CUBLAS_DEFAULT_MATH with
     * CUBLAS_COMPUTE_32F never rounds inputs to TF32 (only the FAST_TF32
     * compute type or CUBLAS_TF32_TENSOR_OP_MATH would) */
    CUBLAS_CHECK(CUB.set_math_mode(CU.blas, CUBLAS_DEFAULT_MATH));
    CU.ctype = prec == CU_FP32 ? CUBLAS_COMPUTE_32F
             : prec == CU_TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F_FAST_16BF;
    CU.prec = prec;
    CU.dev = device;
    fill_table();
    return &table;
}
