/*
 * dist_nccl.c — the "nccl" engine for GPU ranks (dist.h): one GPU per
 * rank, an NCCL communicator over the MPI world.  Built with NCCL=1 (CUDA
 * and MPI built, nccl.h beside CUDA); it cannot run without GPUs, and on
 * this project's CI it is compiled and linked, not run (README: ranks).
 *
 * - Bootstrap: rank 0 makes the ncclUniqueId, the MPI engine broadcasts
 *   it, every rank calls ncclCommInitRank on its current CUDA device.
 * - libnccl (about 200 MB) is dlopen()ed here, the way cuBLAS is
 *   (lib/backend/cuda/cuda_int.h): CPU-only runs never load it.
 *   PREFPIPE_NCCL names another path.
 * - Which memory: the gradient buffer of a device backend is device
 *   memory (dist.h); cudaPointerGetAttributes tells.  Device buffers go
 *   through NCCL; host buffers (counts, loss sums) through the MPI engine,
 *   so the host numbers are reduced exactly as on CPU ranks.
 * - Ordering: the backend queues its ops on its own stream; a device-wide
 *   synchronise before the collective makes the gradients final, and the
 *   collective's stream is waited for before returning, so callers see
 *   the reduced buffer as with MPI.
 * - Failure: the wait polls the stream and ncclCommGetAsyncError; an NCCL
 *   error, or no completion within PREFPIPE_DIST_TIMEOUT seconds (default
 *   600, 0 never: a rank that died or hangs), aborts the communicator and dies
 *   (exit 70) with the rank in the message; the launcher ends the others.
 */
#include "dist/dist_int.h"
#include "base/cli.h"
#include "base/util.h"

#include <cuda_runtime.h>
#include <dlfcn.h>
#include <nccl.h>
#include <stdlib.h>
#include <time.h>

static struct {
    ncclResult_t (*get_unique_id)(ncclUniqueId *);
    ncclResult_t (*comm_init_rank)(ncclComm_t *, int, ncclUniqueId, int);
    ncclResult_t (*all_reduce)(const void *, void *, size_t, ncclDataType_t, ncclRedOp_t, ncclComm_t, cudaStream_t);
    ncclResult_t (*broadcast)(const void *, void *, size_t, ncclDataType_t, int, ncclComm_t, cudaStream_t);
    ncclResult_t (*async_error)(ncclComm_t, ncclResult_t *);
    ncclResult_t (*comm_abort)(ncclComm_t);
    const char *(*error_string)(ncclResult_t);
} nc;

static struct {
    const dist *host;
    ncclComm_t comm;
    cudaStream_t stream;
    double timeout;
} st;

static dist engine = {.name = "nccl"};

static void load_nccl(void)
{
    const char *env = getenv("PREFPIPE_NCCL");
    const char *names[2] = {env && *env ? env : "libnccl.so.2", "libnccl.so"};
    void *h = NULL;
    for (int i = 0; i < 2 && !h; i++) h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) die(EX_UNAVAILABLE, "nccl: cannot load %s: %s (set PREFPIPE_NCCL to its path)", names[0], dlerror());
    struct { void **fn; const char *sym; } t[] = {
        {(void **)&nc.get_unique_id, "ncclGetUniqueId"}, {(void **)&nc.comm_init_rank, "ncclCommInitRank"},
        {(void **)&nc.all_reduce, "ncclAllReduce"}, {(void **)&nc.broadcast, "ncclBroadcast"},
        {(void **)&nc.async_error, "ncclCommGetAsyncError"}, {(void **)&nc.comm_abort, "ncclCommAbort"},
        {(void **)&nc.error_string, "ncclGetErrorString"}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!(*t[i].fn = dlsym(h, t[i].sym))) die(EX_UNAVAILABLE, "nccl: %s lacks %s", names[0], t[i].sym);
}

static void check(ncclResult_t r, const char *what)
{
    if (r == ncclSuccess || r == ncclInProgress) return;
    die(EX_SOFTWARE, "nccl: rank %d of %d: %s: %s", engine.rank, engine.size, what, nc.error_string(r));
}

static void cu(cudaError_t e, const char *what)
{
    if (e != cudaSuccess)
        die(EX_SOFTWARE, "nccl: rank %d of %d: %s: %s", engine.rank, engine.size, what, cudaGetErrorString(e));
}

static int on_device(const void *p)
{
    struct cudaPointerAttributes a;
    if (cudaPointerGetAttributes(&a, p) != cudaSuccess) {
        cudaGetLastError();   /* a plain host pointer on old runtimes: clear it */
        return 0;
    }
    return a.type == cudaMemoryTypeDevice || a.type == cudaMemoryTypeManaged;
}

/* Wait for the collective; an error or the timeout aborts the communicator. */
static void wait_done(const char *what)
{
    double t0 = now_seconds();
    for (;;) {
        cudaError_t q = cudaStreamQuery(st.stream);
        if (q == cudaSuccess) return;
        if (q != cudaErrorNotReady) cu(q, what);
        ncclResult_t ae = ncclSuccess;
        check(nc.async_error(st.comm, &ae), "ncclCommGetAsyncError");
        if (ae != ncclSuccess && ae != ncclInProgress) {
            nc.comm_abort(st.comm);
            check(ae, what);
        }
        if (st.timeout > 0 && now_seconds() - t0 > st.timeout) {
            nc.comm_abort(st.comm);
            die(EX_SOFTWARE, "nccl: rank %d of %d: %s did not complete in %.0f s (a rank died or hangs; "
                "PREFPIPE_DIST_TIMEOUT)", engine.rank, engine.size, what, st.timeout);
        }
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
}

static ncclDataType_t nccl_type(dist_type t)
{
    switch (t) {
    case DIST_F32: return ncclFloat32;
    case DIST_F64: return ncclFloat64;
    case DIST_I64: return ncclInt64;
    }
    die(EX_SOFTWARE, "dist: bad all-reduce type %d", (int)t);
}

static ncclRedOp_t nccl_op(dist_op op)
{
    switch (op) {
    case DIST_SUM: return ncclSum;
    case DIST_MAX: return ncclMax;
    case DIST_MIN: return ncclMin;
    }
    die(EX_SOFTWARE, "dist: bad all-reduce op %d", (int)op);
}

static void nccl_allreduce(const dist *d, void *buf, size_t n, dist_type type, dist_op op)
{
    (void)d;
    if (!on_device(buf)) { st.host->allreduce(st.host, buf, n, type, op); return; }
    cu(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    check(nc.all_reduce(buf, buf, n, nccl_type(type), nccl_op(op), st.comm, st.stream), "ncclAllReduce");
    wait_done("ncclAllReduce");
}

static void nccl_broadcast(const dist *d, void *buf, size_t nbytes, int root)
{
    (void)d;
    if (!on_device(buf)) { st.host->broadcast(st.host, buf, nbytes, root); return; }
    cu(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    check(nc.broadcast(buf, buf, nbytes, ncclUint8, root, st.comm, st.stream), "ncclBroadcast");
    wait_done("ncclBroadcast");
}

static void nccl_barrier(const dist *d) { (void)d; st.host->barrier(st.host); }
static void nccl_send(const dist *d, const void *b, size_t n, int to) { (void)d; st.host->send(st.host, b, n, to); }
static void *nccl_recv(const dist *d, size_t *n, int from) { (void)d; return st.host->recv(st.host, n, from); }

const dist *dist_nccl_open(const dist *host)
{
    load_nccl();
    st.host = host;
    st.timeout = dist_timeout();
    engine.rank = host->rank;
    engine.size = host->size;
    ncclUniqueId id;
    if (host->rank == 0) check(nc.get_unique_id(&id), "ncclGetUniqueId");
    host->broadcast(host, &id, sizeof id, 0);
    cu(cudaStreamCreateWithFlags(&st.stream, cudaStreamNonBlocking), "cudaStreamCreate");
    check(nc.comm_init_rank(&st.comm, host->size, id, host->rank), "ncclCommInitRank");
    engine.allreduce = nccl_allreduce;
    engine.broadcast = nccl_broadcast;
    engine.barrier = nccl_barrier;
    engine.send = nccl_send;
    engine.recv = nccl_recv;
    return &engine;
}
