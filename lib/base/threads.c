/*
 * threads.c — the OpenMP wait policy and team size of a model stage (see
 * threads.h for why the policy needs a re-exec and why the count is never
 * taken from the load).
 */
#include "base/threads.h"
#include "base/util.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdlib.h>
#include <unistd.h>

void threads_init(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;   /* the user chose */
    if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0) return;
    execv("/proc/self/exe", argv);
    /* no /proc (or exec refused): keep going with the runtime's default;
     * leave the variable set so children still get the passive policy */
}

void threads_set(const char *opt, const char *arg)
{
    int n = (int)parse_ll(opt, arg, 1, 4096);
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

int threads_count(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
