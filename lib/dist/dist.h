/*
 * dist.h — the seam for ranks: how training steps agree across processes.
 *
 * Data-parallel training runs the same step on `size` processes (ranks),
 * each on its share of the batch.  Everything that makes a step's result
 * depend on the whole batch goes through this interface:
 * - the gradients: optim_step all-reduces (sums) them before the clipping
 *   norm is taken, so every rank clips and updates identically;
 * - the step's normalisers and counters: examples and tokens a loss is
 *   divided by (trainer.c), PPO's minibatch token count and the
 *   advantage/reward whitening statistics (ppo_batch.c, ppo.c), and the
 *   sums behind the reported metrics (losses, clip fractions, rewards);
 * - broadcast (rank 0's initial weights or decisions) and a barrier.
 * Gradients are SUMMED, not averaged: every rank already divides its loss
 * by the all-reduced normaliser, so the sum is the whole batch's gradient.
 *
 * Engines: "single" (rank 0 of 1): every call returns with the buffer
 * untouched, so single-process results are byte-identical to code that
 * never called it.  "mpi" (dist_mpi.c, built with MPI=1, the default where
 * Open MPI's mpicc/pkg-config is found): MPI_COMM_WORLD, installed by
 * dist_start when the process was launched by mpirun or srun (the
 * launcher's rank variables are set); without them a process is "single"
 * even in an MPI build.  "nccl" (dist_nccl.c, built with NCCL=1 where
 * nccl.h is found beside CUDA): device buffers all-reduced by an NCCL
 * communicator bootstrapped over MPI, host buffers through MPI; installed
 * by dist_attach_device when a rank trains on a GPU.
 *
 * Point to point (send/recv of bytes) is what the sharded scorers use to
 * bring every rank's output to rank 0, which writes it in input order.
 *
 * Failure: a rank that dies (die(), a signal) exits without finalising;
 * the launcher (mpirun, srun --kill-on-bad-exit) then ends the others, so
 * a job fails with the dead rank's message instead of hanging in a
 * collective.  MPI errors abort the whole job with a message naming the
 * rank (dist_mpi.c's error handler).  A rank that hangs without dying is
 * caught by time: a call that waits longer than PREFPIPE_DIST_TIMEOUT
 * seconds (default 600) for the other ranks aborts the job (both engines).
 * A wait for input rather than for other ranks' work (ppo-step's ranks
 * while rank 0 reads the next batch from its producers, which may take
 * any time) is bracketed with dist_untimed.
 *
 * Buffers: all-reduce works in place on `n` elements of `type`.  The
 * gradient buffer is the backend's memory (host memory on the CPU backend,
 * device memory on a GPU): an engine must accept the memory of the backend
 * it is paired with (NCCL: device; MPI: host, or staged by the engine);
 * the other buffers are host memory.  Calls are collective: every rank
 * makes the same calls in the same order with the same n and type (a rank
 * with no local items still calls, with zeros).
 */
#ifndef PREFPIPE_DIST_H
#define PREFPIPE_DIST_H

#include <stddef.h>
#include <stdint.h>

typedef enum { DIST_F32, DIST_F64, DIST_I64 } dist_type;
typedef enum { DIST_SUM, DIST_MAX, DIST_MIN } dist_op;

typedef struct dist dist;
struct dist {
    const char *name;       /* "single" */
    int rank, size;
    void *ctx;              /* the engine's state (communicators) */
    void (*allreduce)(const dist *d, void *buf, size_t n, dist_type type, dist_op op);
    void (*broadcast)(const dist *d, void *buf, size_t nbytes, int root);
    void (*barrier)(const dist *d);
    /* bytes to rank `to` / a malloc'd message from rank `from` (*nbytes) */
    void (*send)(const dist *d, const void *buf, size_t nbytes, int to);
    void *(*recv)(const dist *d, size_t *nbytes, int from);
};

/* Join the job this process was launched in (mpirun/srun: MPI_Init and the
 * "mpi" engine), or stay "single".  Call once at the start of main, before
 * reading input.  A process launched with several ranks by a build without
 * MPI dies with a message (N copies would each write every output). */
void dist_start(void);
/* GPU ranks: switch the world to the "nccl" engine on the current CUDA
 * device (one GPU per rank).  Returns 1 when it did (or the world is one
 * rank: nothing to do), 0 when NCCL is not built in: the MPI engine takes
 * host memory only, so a caller must then refuse device training with
 * several ranks.  Trainers call it after opening a device backend. */
int dist_attach_device(void);
/* 1 when PREFPIPE_DIST_ENGINE=nccl asks for the NCCL engine even at one
 * rank (a one-GPU check of the engine). */
int dist_device_engine_forced(void);
/* This rank's share [*lo, *hi) of n items split in contiguous blocks
 * (rank r: r*n/size .. (r+1)*n/size); every item in exactly one share. */
void dist_share(long n, long *lo, long *hi);

/* The process's engine: "single" unless dist_set_world installed another. */
const dist *dist_world(void);
/* Install an engine (before any collective call); NULL restores "single". */
void dist_set_world(const dist *d);
/* The single-process engine: rank 0 of 1. */
const dist *dist_single(void);

/* dist_untimed(1) ... dist_untimed(0): the calls between wait for input,
 * not for the other ranks' work, and are exempt from the timeout. */
void dist_untimed(int on);

/* Shorthands on dist_world(). */
int dist_rank(void);
int dist_size(void);
void dist_sum_f32(float *buf, size_t n);
void dist_sum_f64(double *buf, size_t n);
void dist_sum_i64(int64_t *buf, size_t n);
void dist_max_f64(double *buf, size_t n);
void dist_broadcast(void *buf, size_t nbytes, int root);
void dist_barrier(void);
void dist_send(const void *buf, size_t nbytes, int to);
void *dist_recv(size_t *nbytes, int from);

#endif
