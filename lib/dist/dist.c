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
#include "base/util.h"

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

static const dist single = {
    .name = "single", .rank = 0, .size = 1, .ctx = NULL,
    .allreduce = single_allreduce, .broadcast = single_broadcast, .barrier = single_barrier,
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
