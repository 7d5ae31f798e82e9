/*
 * threads.h — how a model stage uses the cores: the OpenMP wait policy and
 * the thread count (-j/--threads N).
 *
 * On a machine whose cores other programs also use, OpenMP's default of
 * spinning between parallel regions makes each idle team thread compete
 * for a core with the thread doing the work (10 SFT steps: 11-15 s with 2
 * spinning threads against 2.8 s passive).  So unless the user chose a
 * policy (OMP_WAIT_POLICY or GOMP_SPINCOUNT in the environment), a model
 * stage runs with OMP_WAIT_POLICY=passive.  libgomp reads its environment
 * once, when it is loaded, so threads_init() sets the variable and
 * re-executes the program (/proc/self/exe, same argv, before anything is
 * read); where that fails the program carries on with the old policy.
 *
 * The thread count is never chosen from the machine's load: on a CPU
 * without AVX2 results depend on it (OpenBLAS's products are split over
 * threads; with AVX2 the backend's own kernels give the same bytes for
 * any count), and the same inputs, seed and thread count must give the
 * same bytes.  -j N is exactly
 * OMP_NUM_THREADS=N; without either, OpenMP uses every core.  The wait
 * policy changes no result.
 */
#ifndef PREFPIPE_THREADS_H
#define PREFPIPE_THREADS_H

/* First thing in main (before any input is read): passive waiting by
 * default, by re-executing the program once with OMP_WAIT_POLICY set. */
void threads_init(char **argv);
/* -j/--threads N (1..4096): the OpenMP team size; exit 64 on a bad N. */
void threads_set(const char *opt, const char *arg);
/* The team size parallel regions will use now. */
int threads_count(void);

#define THREADS_OPTION {"threads", required_argument, 0, 'j'}
#define THREADS_USAGE \
    "  -j, --threads N          CPU threads (default OMP_NUM_THREADS, else all cores;\n" \
    "                           never picked from the machine's load)\n"

#endif
