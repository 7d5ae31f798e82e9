/*
 * dist.c — the world engine pointer and the single-process engine.
 *
 * With one rank an all-reduce's result is the rank's own buffer and a
 * broadcast from rank 0 is a no-op, so "single" touches nothing: the
 * callers' numbers are exactly what they computed (byte-identical to not
 * calling at all).  It still checks its arguments the way a real engine
 * would fail on them (a root other than 0), so a caller's mistake shows
 * up in single-process tests too.
 */
#include "dist/dist.h"
#include "dist/dist_int.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static void single_allreduce(const dist *d, void *buf, size_t n, dist_type type, dist_op op)
{
    (void)d; (void)buf; (void)n;
    if ((unsigned)type > DIST_I64 || (unsigned)op > DIST_MIN)
        die(EX_SOFTWARE, "dist: bad all-reduce type %d or op %d", (int)type, (int)op);
}

static void single_broadcast(const dist *d, void *buf, size_t nbytes, int root)
{
    (void)d; (void)buf; (void)nbytes;
    if (root != 0) die(EX_SOFTWARE, "dist: broadcast from rank %d of 1", root);
}

static void single_barrier(const dist *d) { (void)d; }

static void single_send(const dist *d, const void *buf, size_t nbytes, int to)
{
    (void)d; (void)buf; (void)nbytes;
    die(EX_SOFTWARE, "dist: send to rank %d of 1", to);
}

static void *single_recv(const dist *d, size_t *nbytes, int from)
{
    (void)d; (void)nbytes;
    die(EX_SOFTWARE, "dist: receive from rank %d of 1", from);
}

static const dist single = {
    .name = "single", .rank = 0, .size = 1, .ctx = NULL,
    .allreduce = single_allreduce, .broadcast = single_broadcast, .barrier = single_barrier,
    .send = single_send, .recv = single_recv,
};

static const dist *world = &single;

const dist *dist_single(void) { return &single; }
const dist *dist_world(void) { return world; }
void dist_set_world(const dist *d) { world = d ? d : &single; }

int dist_rank(void) { return world->rank; }
int dist_size(void) { return world->size; }
void dist_sum_f32(float *buf, size_t n) { world->allreduce(world, buf, n, DIST_F32, DIST_SUM); }
void dist_sum_f64(double *buf, size_t n) { world->allreduce(world, buf, n, DIST_F64, DIST_SUM); }
void dist_sum_i64(int64_t *buf, size_t n) { world->allreduce(world, buf, n, DIST_I64, DIST_SUM); }
void dist_max_f64(double *buf, size_t n) { world->allreduce(world, buf, n, DIST_F64, DIST_MAX); }
void dist_broadcast(void *buf, size_t nbytes, int root) { world->broadcast(world, buf, nbytes, root); }
void dist_barrier(void) { world->barrier(world); }
void dist_send(const void *buf, size_t nbytes, int to) { world->send(world, buf, nbytes, to); }
void *dist_recv(size_t *nbytes, int from) { return world->recv(world, nbytes, from); }

static int untimed;
void dist_untimed(int on) { untimed = on; }
int dist_is_untimed(void) { return untimed; }

double dist_timeout(void)
{
    const char *v = getenv("PREFPIPE_DIST_TIMEOUT");
    if (!v || !*v) return 600;
    char *end;
    double t = strtod(v, &end);
    if (*end || !(t >= 0) || t > 1e9)
        die(EX_USAGE, "PREFPIPE_DIST_TIMEOUT=%s: give the seconds a rank may wait for the others (0: no limit)", v);
    return t;
}

void dist_share(long n, long *lo, long *hi)
{
    /* in long long: r * n must not overflow for any realistic n */
    long long r = world->rank, s = world->size;
    *lo = (long)(r * n / s);
    *hi = (long)((r + 1) * n / s);
}

/* The launcher's world size, from the variables mpirun (Open MPI), PMIx
 * (srun --mpi=pmix) and PMI-2 (srun --mpi=pmi2, MPICH's hydra) set; 0
 * when the process was not launched by one.  Slurm's own variables
 * (SLURM_PROCID, SLURM_STEP_NUM_TASKS) are no MPI world: MPI_Init needs
 * the PMIx/PMI server srun --mpi=... starts beside the tasks. */
int dist_launcher_size(void)
{
    static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return atoi(v) > 0 ? atoi(v) : 1;
    }
    if (getenv("PMIX_RANK")) return 1;   /* PMIx without a size: MPI_Init tells */
    /* srun started several tasks but gave them no process-management
     * interface (the site's MpiDefault is none and no --mpi=): MPI could
     * not join them, and each would train and write alone */
    const char *st = getenv("SLURM_STEP_NUM_TASKS"), *id = getenv("SLURM_PROCID");
    if (st && atoi(st) > 1 && id)
        die(EX_USAGE, "started by srun as task %s of %s without an MPI interface: run srun --mpi=pmix "
            "(srun --mpi=list names the ones this Slurm has); each task would otherwise train and write alone",
            id, st);
    return 0;
}

void dist_start(void)
{
    int n = dist_launcher_size();
    if (n == 0) return;
#ifdef PREFPIPE_MPI
    dist_set_world(dist_mpi_open());
#else
    if (n > 1)
        die(EX_USAGE, "launched as one of %d ranks, but built without MPI (rebuild with Open MPI installed, "
            "make MPI=1): each rank would train and write alone", n);
#endif
}

/* PREFPIPE_DIST_ENGINE=nccl: the NCCL engine even for one rank (its
 * all-reduce of one buffer is a copy), so one GPU can check that libnccl
 * loads, the communicator starts and training through it equals training
 * without it (tests/gpu/run.sh). */
int dist_device_engine_forced(void)
{
    const char *e = getenv("PREFPIPE_DIST_ENGINE");
    return e && !strcmp(e, "nccl");
}

int dist_attach_device(void)
{
    if (world->size == 1 && !dist_device_engine_forced()) return 1;
#ifdef PREFPIPE_NCCL
    dist_set_world(dist_nccl_open(world));
    return 1;
#else
    return 0;
#endif
}
