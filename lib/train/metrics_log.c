/*
 * metrics_log.c — the trainer's metrics stream across kill -9 and resume
 * (trainer.h: train_metrics_open).
 *
 * A resumed run continues the metrics of the run it resumes: when the
 * metrics go to a file that exists, its records up to the checkpoint's step
 * are kept (read before the live writer truncates the file),
 * and the records a killed run wrote after its last checkpoint are dropped,
 * because those steps are trained again.  Together with rs_sync before each
 * checkpoint (every saved step has its metrics on disk) the file ends with
 * each step exactly once, as an uninterrupted run's would.
 */
#include "train/trainer.h"
#include "io/record.h"
#include "io/stream.h"
#include "base/util.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

rstream *train_metrics_open(const char *uri, long resume_step)
{
    struct stat st;
    if (resume_step <= 0 || !strcmp(uri, "-") || rs_is_zmq_uri(uri) || stat(uri, &st) != 0 || !S_ISREG(st.st_mode))
        return rs_open_live(uri);
    /* the live writer truncates in place: take the records to keep first */
    char *keep = NULL;
    size_t nkeep = 0, cap = 0;
    rstream *in = rs_open_read(uri);
    msgpack_object rec;
    uint64_t kept = 0, dropped = 0;
    int r;
    while ((r = rs_read(in, &rec)) != RS_EOF) {
        if (r == RS_ERR) {
            if (!rs_recoverable(in))
                break;   /* a record cut short by the kill: nothing after it */
            continue;
        }
        int64_t step;
        if (rec_get_i64(&rec, "step", &step) == 1 && step > resume_step) {
            dropped++;
            continue;
        }
        const char *raw;
        size_t len;
        rs_last_raw(in, &raw, &len);
        if (nkeep + len > cap) {
            cap = 2 * (nkeep + len);
            keep = xrealloc(keep, cap);
        }
        memcpy(keep + nkeep, raw, len);
        nkeep += len;
        kept++;
    }
    rs_close(in);
    rstream *w = rs_open_live(uri);
    if (nkeep)
        rs_write_bytes(w, keep, nkeep);
    rs_flush(w);
    free(keep);
    fprintf(stderr, "%s: %s: continuing the metrics: %llu records up to step %ld kept", progname, uri,
            (unsigned long long)kept, resume_step);
    if (dropped)
        fprintf(stderr, ", %llu written after that checkpoint dropped", (unsigned long long)dropped);
    fputc('\n', stderr);
    return w;
}
