/*
 * dist_mpi.c — the "mpi" engine: MPI_COMM_WORLD of the job mpirun or srun
 * launched (dist.h).  Built only with MPI=1 (the Makefile finds Open MPI
 * through pkg-config ompi-c).
 *
 * - MPI_Init_thread asks for MPI_THREAD_MULTIPLE: OpenMP threads compute
 *   and only the main thread makes collective calls, but the watchdog
 *   thread (below) must be allowed to call MPI_Abort while the main thread
 *   waits inside one.  MPI_Finalize runs at a normal exit
 *   (atexit); die() leaves with _exit and never reaches it, so a failing
 *   rank does not wait in a finalising fence for ranks that wait for it:
 *   the launcher sees the non-zero exit and ends the job.
 * - Errors: the communicator's error handler prints "PROG: rank R of N:
 *   MPI error: ..." and calls MPI_Abort (exit 70), which ends every rank;
 *   nothing returns an error code to be forgotten.
 * - All-reduce is MPI_Allreduce in place; every rank receives the same
 *   bits (Open MPI combines the same operands in the same grouping on each
 *   rank), so ranks that apply the same update stay identical.  The order
 *   of the sum over ranks is MPI's: results differ from one process only
 *   by floating-point reassociation (README: tolerance).
 * - Counts above INT_MAX go in chunks (MPI counts are int).
 * - send/recv carry a 64-bit length, then the bytes, on two tags.
 * - A rank that hangs without dying (SIGSTOP, a stuck file system, a
 *   deadlocked library) would leave the others in a collective forever:
 *   MPI notices dead processes, not silent ones.  So every call that
 *   waits for other ranks (all-reduce, broadcast, barrier, send, receive;
 *   not MPI_Finalize, see finalize) records when it started, and a watchdog thread (world
 *   size > 1 only) checks it every 0.2 s: past PREFPIPE_DIST_TIMEOUT
 *   seconds (dist_timeout: default 600, 0 never; the NCCL engine's
 *   variable) it prints "PROG: rank R of N: CALL waited S s ..." and
 *   calls MPI_Abort, which ends every rank (mpirun, srun) — the hung one
 *   included.  Waits for input rather than for ranks (dist_untimed) are
 *   not timed.  If MPI grants less than MPI_THREAD_MULTIPLE the watchdog
 *   _exit()s instead and the launcher ends the others as for a rank that
 *   died.  A save of rank 0's in mid-run is waited for in the next
 *   collective: the timeout must exceed the longest checkpoint write.
 * - PREFPIPE_DIST_STATS=1: at a normal exit each rank prints how many
 *   all-reduces it made, their bytes and the wall time spent in them (the
 *   benchmark's all-reduce share; that time includes waiting for slower
 *   ranks).
 */
#include "dist/dist_int.h"
#include "base/util.h"

#include <limits.h>
#include <mpi.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { TAG_LEN = 7301, TAG_DATA = 7302 };
#define CHUNK ((size_t)1 << 30)

static dist engine = {.name = "mpi"};
static int finalize_registered;
static struct { long calls; double bytes, secs; int on; } stats;

/* The watchdog: `since` is the CLOCK_MONOTONIC nanosecond at which the
 * current waiting call began (0: none), `what` its name. */
static struct {
    double timeout;                 /* seconds; 0: no watchdog */
    int can_abort;                  /* MPI_THREAD_MULTIPLE was granted */
    atomic_llong since;
    _Atomic(const char *) what;
    atomic_int finalizing;
} wd;

static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void wait_begin(const char *what)
{
    if (wd.timeout <= 0 || dist_is_untimed()) return;
    atomic_store(&wd.what, what);
    atomic_store(&wd.since, mono_ns());
}

static void wait_end(void) { atomic_store(&wd.since, 0); }

static void *watchdog(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec tick = {0, 200000000};
        nanosleep(&tick, NULL);
        long long t0 = atomic_load(&wd.since);
        if (!t0) continue;
        double waited = (double)(mono_ns() - t0) / 1e9;
        if (waited <= wd.timeout) continue;
        fprintf(stderr, "%s: rank %d of %d: %s waited %.0f s for the other ranks (PREFPIPE_DIST_TIMEOUT=%g): "
                "a rank hangs or was stopped; aborting the job\n", progname, engine.rank, engine.size,
                atomic_load(&wd.what), waited, wd.timeout);
        fflush(stderr);
        if (wd.can_abort && !atomic_load(&wd.finalizing)) MPI_Abort(MPI_COMM_WORLD, EX_SOFTWARE);
        _exit(EX_SOFTWARE);
    }
    return NULL;
}

static void watchdog_start(int provided)
{
    wd.timeout = dist_timeout();
    wd.can_abort = provided >= MPI_THREAD_MULTIPLE;
    if (engine.size < 2 || wd.timeout <= 0) return;
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &at, watchdog, NULL) != 0)
        die(EX_OSERR, "dist: rank %d of %d: cannot start the watchdog thread", engine.rank, engine.size);
    pthread_attr_destroy(&at);
}

static void on_mpi_error(MPI_Comm *comm, int *code, ...)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(*code, msg, &len);
    fprintf(stderr, "%s: rank %d of %d: MPI error: %s; aborting the job\n", progname, engine.rank, engine.size,
            msg);
    fflush(stderr);
    MPI_Abort(*comm, EX_SOFTWARE);
}

static void finalize(void)
{
    if (stats.on)
        fprintf(stderr, "%s: rank %d of %d: %ld all-reduces, %.1f MB, %.3f s in all-reduce\n", progname,
                engine.rank, engine.size, stats.calls, stats.bytes / 1e6, stats.secs);
    int done = 0;
    MPI_Finalized(&done);
    if (done) return;
    /* not timed: here the other ranks wait for rank 0's last writes (the
     * final checkpoint of a big model on a slow disk may take longer than
     * any timeout meant for hung collectives) */
    atomic_store(&wd.finalizing, 1);
    MPI_Finalize();
}

static MPI_Datatype mpi_type(dist_type t, size_t *size)
{
    switch (t) {
    case DIST_F32: *size = 4; return MPI_FLOAT;
    case DIST_F64: *size = 8; return MPI_DOUBLE;
    case DIST_I64: *size = 8; return MPI_INT64_T;
    }
    die(EX_SOFTWARE, "dist: bad all-reduce type %d", (int)t);
}

static MPI_Op mpi_op(dist_op op)
{
    switch (op) {
    case DIST_SUM: return MPI_SUM;
    case DIST_MAX: return MPI_MAX;
    case DIST_MIN: return MPI_MIN;
    }
    die(EX_SOFTWARE, "dist: bad all-reduce op %d", (int)op);
}

static void mpi_allreduce(const dist *d, void *buf, size_t n, dist_type type, dist_op op)
{
    (void)d;
    size_t es;
    MPI_Datatype t = mpi_type(type, &es);
    MPI_Op o = mpi_op(op);
    double t0 = stats.on ? MPI_Wtime() : 0;
    wait_begin("an all-reduce");
    for (size_t i = 0; i < n; i += CHUNK) {
        size_t k = n - i < CHUNK ? n - i : CHUNK;
        MPI_Allreduce(MPI_IN_PLACE, (char *)buf + i * es, (int)k, t, o, MPI_COMM_WORLD);
    }
    wait_end();
    if (stats.on) stats.calls++, stats.bytes += (double)(n * es), stats.secs += MPI_Wtime() - t0;
}

static void mpi_broadcast(const dist *d, void *buf, size_t nbytes, int root)
{
    if (root < 0 || root >= d->size) die(EX_SOFTWARE, "dist: broadcast from rank %d of %d", root, d->size);
    wait_begin("a broadcast");
    for (size_t i = 0; i < nbytes; i += CHUNK) {
        size_t k = nbytes - i < CHUNK ? nbytes - i : CHUNK;
        MPI_Bcast((char *)buf + i, (int)k, MPI_BYTE, root, MPI_COMM_WORLD);
    }
    wait_end();
}

static void mpi_barrier(const dist *d)
{
    (void)d;
    wait_begin("a barrier");
    MPI_Barrier(MPI_COMM_WORLD);
    wait_end();
}

static void mpi_send(const dist *d, const void *buf, size_t nbytes, int to)
{
    (void)d;
    uint64_t len = nbytes;
    wait_begin("a send");
    MPI_Send(&len, 1, MPI_UINT64_T, to, TAG_LEN, MPI_COMM_WORLD);
    for (size_t i = 0; i < nbytes; i += CHUNK) {
        size_t k = nbytes - i < CHUNK ? nbytes - i : CHUNK;
        MPI_Send((const char *)buf + i, (int)k, MPI_BYTE, to, TAG_DATA, MPI_COMM_WORLD);
    }
    wait_end();
}

static void *mpi_recv(const dist *d, size_t *nbytes, int from)
{
    (void)d;
    uint64_t len = 0;
    wait_begin("a receive");
    MPI_Recv(&len, 1, MPI_UINT64_T, from, TAG_LEN, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    char *buf = xmalloc(len ? (size_t)len : 1);
    for (size_t i = 0; i < len; i += CHUNK) {
        size_t k = len - i < CHUNK ? len - i : CHUNK;
        MPI_Recv(buf + i, (int)k, MPI_BYTE, from, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
    wait_end();
    *nbytes = (size_t)len;
    return buf;
}

const dist *dist_mpi_open(void)
{
    int inited = 0, provided = 0;
    MPI_Initialized(&inited);
    if (!inited) {
        MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, &provided);
        if (!finalize_registered) atexit(finalize), finalize_registered = 1;
    } else {
        MPI_Query_thread(&provided);
    }
    const char *st = getenv("PREFPIPE_DIST_STATS");
    stats.on = st && *st && strcmp(st, "0");
    MPI_Errhandler eh;
    MPI_Comm_create_errhandler(on_mpi_error, &eh);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, eh);
    MPI_Errhandler_free(&eh);   /* the communicator keeps its own reference */
    MPI_Comm_rank(MPI_COMM_WORLD, &engine.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &engine.size);
    engine.allreduce = mpi_allreduce;
    engine.broadcast = mpi_broadcast;
    engine.barrier = mpi_barrier;
    engine.send = mpi_send;
    engine.recv = mpi_recv;
    watchdog_start(provided);
    return &engine;
}
