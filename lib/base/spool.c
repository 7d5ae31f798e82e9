/*
 * spool.c — the temporary-file spool of byte strings (see spool.h).
 * Writes go through the FILE buffer; a read first flushes it and then
 * preads the item, so adds and gets may interleave.
 */
#include "base/spool.h"

#include "base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

FILE *spool_tmpfile(void)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    size_t cap = strlen(dir) + 32;
    char *path = xmalloc(cap);
    snprintf(path, cap, "%s/prefpipe-spool.XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) die(EX_CANTCREAT, "%s: cannot create the spool file: %s", path, strerror(errno));
    unlink(path);
    free(path);
    FILE *f = fdopen(fd, "w+b");
    if (!f) die(EX_IOERR, "spool: %s", strerror(errno));
    return f;
}

void bspool_open(bspool *s)
{
    memset(s, 0, sizeof *s);
    s->f = spool_tmpfile();
    s->cap = 1024;
    s->off = xmalloc(s->cap * sizeof *s->off);
    s->off[0] = 0;
}

void bspool_add(bspool *s, const char *data, size_t len)
{
    if (len && fwrite(data, 1, len, s->f) != len)
        die(EX_IOERR, "temporary file: write error: %s", strerror(errno));
    if (s->n + 2 > s->cap) {
        s->cap *= 2;
        s->off = xrealloc(s->off, s->cap * sizeof *s->off);
    }
    s->off[s->n + 1] = s->off[s->n] + len;
    s->n++;
}

const char *bspool_get(bspool *s, size_t i, size_t *len)
{
    if (fflush(s->f) != 0) die(EX_IOERR, "temporary file: write error: %s", strerror(errno));
    size_t n = (size_t)(s->off[i + 1] - s->off[i]);
    if (n + 1 > s->bcap) {
        s->bcap = n + 1;
        s->buf = xrealloc(s->buf, s->bcap);
    }
    if (n && pread(fileno(s->f), s->buf, n, (off_t)s->off[i]) != (ssize_t)n)
        die(EX_IOERR, "temporary file: read error");
    *len = n;
    return s->buf;
}

void bspool_close(bspool *s)
{
    if (s->f) fclose(s->f);
    free(s->off);
    free(s->buf);
    memset(s, 0, sizeof *s);
}
