/*
 * sandbox.h — run one untrusted program (generated code) in a child
 * process with limits, and say how it ended.
 *
 * Per run: a fresh scratch directory (the child's working directory and
 * HOME, removed afterwards with everything in it); a clean environment;
 * rlimits on CPU seconds, address space, file size, open files and
 * processes; a wall-clock timeout after which the child is killed.  Where
 * the kernel allows (root, or user namespaces), the child starts in new
 * PID and network namespaces: it is pid 1 of its own namespace, so killing
 * it kills every process it started (a fork bomb included), and it has no
 * network interface but a down loopback.  Running as root, the child drops
 * to nobody/nogroup (so RLIMIT_NPROC applies and root-only files are
 * closed to it).  Without namespaces it runs in its own process group,
 * which is killed instead; sandbox_isolation() says which applies.
 *
 * The child's stdin is a private unlinked file with the given bytes; its
 * stdout and stderr go to one file in the scratch directory (capped by the
 * file-size limit: a child writing more is killed by SIGXFSZ), whose last
 * bytes come back.  Fd 3 is a pipe whose first bytes (up to 4 KiB) come
 * back too: the channel for a verdict the program's own output cannot
 * forge.
 */
#ifndef PREFPIPE_EVAL_SANDBOX_H
#define PREFPIPE_EVAL_SANDBOX_H

#include <stddef.h>

typedef struct {
    double timeout_s;       /* wall clock */
    long cpu_s;             /* RLIMIT_CPU */
    long mem_mb;            /* RLIMIT_AS */
    long fsize_mb;          /* RLIMIT_FSIZE */
    long nproc;             /* RLIMIT_NPROC */
    const char *tmpdir;     /* parent of the scratch directories */
} sandbox_opts;

enum { SB_EXITED, SB_SIGNALED, SB_TIMEOUT, SB_ERROR };

typedef struct {
    int how;                /* SB_* */
    int code;               /* exit status or signal number */
    char verdict[4096];     /* fd 3's first bytes, NUL-terminated */
    char tail[512];         /* the last bytes of stdout+stderr */
    double wall_s;
} sandbox_result;

/* Run argv (argv[0] a path) with stdin bytes; 0, or -1 with err set when
 * the sandbox itself could not be set up. */
int sandbox_run(const sandbox_opts *o, char *const argv[], const char *in, size_t inlen, sandbox_result *r,
                char *err, size_t errcap);
/* "namespaces+nobody", "namespaces", "process-group+nobody", "process-group" —
 * what the last run got. */
const char *sandbox_isolation(void);

#endif
