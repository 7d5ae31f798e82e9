/*
 * dist_int.h — private to lib/dist: the engines' constructors, compiled in
 * by the build switches (Makefile: MPI=1 defines PREFPIPE_MPI and builds
 * dist_mpi.c; NCCL=1 defines PREFPIPE_NCCL and builds dist_nccl.c).
 */
#ifndef PREFPIPE_DIST_INT_H
#define PREFPIPE_DIST_INT_H

#include "dist/dist.h"

/* The launcher's world size (mpirun, srun), or 0 outside a launcher. */
int dist_launcher_size(void);
/* PREFPIPE_DIST_TIMEOUT in seconds: unset or empty 600, 0 never; anything
 * but a number >= 0 dies (exit 64) naming the variable. */
double dist_timeout(void);
/* Inside dist_untimed(1) ... dist_untimed(0)? */
int dist_is_untimed(void);

#ifdef PREFPIPE_MPI
/* MPI_Init (once), MPI_COMM_WORLD's engine; MPI_Finalize at a normal exit. */
const dist *dist_mpi_open(void);
#endif
#ifdef PREFPIPE_NCCL
/* An NCCL communicator over the ranks of `host` (the MPI engine: it
 * broadcasts the NCCL id and carries the host-memory calls). */
const dist *dist_nccl_open(const dist *host);
#endif

#endif
