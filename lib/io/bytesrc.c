/*
 * bytesrc.c — plain or gzip input with truncation detection (bytesrc.h).
 *
 * The first read sniffs two bytes; gzip (1f 8b) switches to inflate with
 * automatic header handling (windowBits 15 + 16).  Everything read from the
 * fd goes through `in` so that the sniffed bytes are not lost on a pipe.
 */
#include "io/bytesrc.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* The fuzz build (make fuzz) reads in odd, tiny pieces so that the
 * fuzzers' small inputs cross the refill and gzip-boundary paths too (and
 * each run allocates little: large blocks make ASan map and unmap). */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define IN_CAP 61
#else
#define IN_CAP (256 * 1024)
#endif

struct bsrc {
    int fd;
    int sniffed, gzip, gz_done, in_eof;
    int failed;             /* a read error met by bsrc_ready, reported by the next read */
    unsigned char *in;
    size_t in_pos, in_len;
    z_stream zs;
    uint64_t bytes_in;
    char err[256];
    /* line reader */
    char *lbuf;
    size_t lcap, lpos, llen;  /* decoded bytes held: [lpos, llen) */
    uint64_t lineno;
    int keep_cr;          /* bsrc_keep_last_cr: a last line's lone '\r' is text */
    char *line;
    size_t line_cap;
};

bsrc *bsrc_open(const char *path)
{
    int fd = 0;
    if (strcmp(path, "-") != 0) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return NULL;
    }
    bsrc *s = xcalloc(1, sizeof *s);
    s->fd = fd;
    s->in = xmalloc(IN_CAP);
    return s;
}

static int fill_in(bsrc *s)
{
    if (s->in_pos < s->in_len)
        return 1;
    if (s->in_eof)
        return 0;
    ssize_t n;
    do
        n = read(s->fd, s->in, IN_CAP);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        snprintf(s->err, sizeof s->err, "read error: %s", strerror(errno));
        return -1;
    }
    if (n == 0) {
        s->in_eof = 1;
        return 0;
    }
    s->in_pos = 0;
    s->in_len = (size_t)n;
    s->bytes_in += (uint64_t)n;
    return 1;
}

/* Move the unread input to the front and read once more into it (the
 * end sets in_eof).  Returns -1 with err set on a read error. */
static int read_in_once(bsrc *s)
{
    if (s->in_pos > 0) {
        memmove(s->in, s->in + s->in_pos, s->in_len - s->in_pos);
        s->in_len -= s->in_pos;
        s->in_pos = 0;
    }
    ssize_t n;
    do
        n = read(s->fd, s->in + s->in_len, IN_CAP - s->in_len);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        snprintf(s->err, sizeof s->err, "read error: %s", strerror(errno));
        return -1;
    }
    if (n == 0)
        s->in_eof = 1;
    s->in_len += (size_t)n;
    s->bytes_in += (uint64_t)n;
    return 0;
}

static int sniff(bsrc *s)
{
    s->sniffed = 1;
    /* need two bytes; a pipe may deliver one at a time */
    while (s->in_len - s->in_pos < 2 && !s->in_eof)
        if (read_in_once(s) < 0)
            return -1;
    if (s->in_len - s->in_pos >= 2 && s->in[s->in_pos] == 0x1f && s->in[s->in_pos + 1] == 0x8b) {
        s->gzip = 1;
        if (inflateInit2(&s->zs, 15 + 16) != Z_OK) {
            snprintf(s->err, sizeof s->err, "zlib initialisation failed");
            return -1;
        }
    }
    return 0;
}

static long read_gzip(bsrc *s, unsigned char *buf, size_t cap)
{
    for (;;) {
        if (s->gz_done) {
            /* another gzip member may follow (cat a.gz b.gz) */
            int r = fill_in(s);
            if (r < 0)
                return -1;
            if (r == 0)
                return 0;
            inflateReset(&s->zs);
            s->gz_done = 0;
        }
        int r = fill_in(s);
        if (r < 0)
            return -1;
        if (r == 0) {
            snprintf(s->err, sizeof s->err, "truncated gzip stream (ends before its trailer)");
            return -1;
        }
        s->zs.next_in = s->in + s->in_pos;
        s->zs.avail_in = (uInt)(s->in_len - s->in_pos);
        s->zs.next_out = buf;
        s->zs.avail_out = (uInt)cap;
        int z = inflate(&s->zs, Z_NO_FLUSH);
        s->in_pos = s->in_len - s->zs.avail_in;
        size_t got = cap - s->zs.avail_out;
        if (z == Z_STREAM_END)
            s->gz_done = 1;
        else if (z != Z_OK && z != Z_BUF_ERROR) {
            snprintf(s->err, sizeof s->err, "corrupt gzip stream (%s)", s->zs.msg ? s->zs.msg : "inflate error");
            return -1;
        }
        if (got > 0)
            return (long)got;
    }
}

long bsrc_read(bsrc *s, void *buf, size_t cap)
{
    if (s->failed)
        return -1;
    if (!s->sniffed && sniff(s) < 0)
        return -1;
    if (s->gzip)
        return read_gzip(s, buf, cap);
    int r = fill_in(s);
    if (r <= 0)
        return r;
    size_t n = s->in_len - s->in_pos;
    if (n > cap)
        n = cap;
    memcpy(buf, s->in + s->in_pos, n);
    s->in_pos += n;
    return (long)n;
}

/* Can the fd be read without blocking?  1 readable (or at its end, or in
 * error: read returns at once), 0 nothing there yet.  Regular files always
 * poll readable. */
static int fd_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, 0);
    while (r < 0 && errno == EINTR);
    return r != 0; /* a poll error: let the read report it */
}

int bsrc_ready(bsrc *s)
{
    if (s->failed || s->gzip)
        return 1;
    if (!s->sniffed) {
        /* the sniff wants two bytes: take in what is there now, one read
         * per readable poll, so that bsrc_read's sniff will not wait */
        while (!s->in_eof && s->in_len - s->in_pos < 2) {
            if (!fd_readable(s->fd))
                return 0;
            if (read_in_once(s) < 0) {
                s->failed = 1;
                return 1;
            }
        }
        /* the sniff has its bytes (or the end): do it now, so that
         * bsrc_is_gzip answers before the first read */
        if (sniff(s) < 0)
            s->failed = 1;
        return 1;
    }
    if (s->in_pos < s->in_len || s->in_eof)
        return 1;
    return fd_readable(s->fd);
}

const char *bsrc_error(const bsrc *s) { return s->err; }
int bsrc_is_gzip(const bsrc *s) { return s->gzip; }
uint64_t bsrc_bytes_in(const bsrc *s) { return s->bytes_in; }
uint64_t bsrc_lineno(const bsrc *s) { return s->lineno; }
void bsrc_keep_last_cr(bsrc *s) { s->keep_cr = 1; }

void bsrc_close(bsrc *s)
{
    if (!s)
        return;
    if (s->gzip)
        inflateEnd(&s->zs);
    if (s->fd > 0)
        close(s->fd);
    free(s->in);
    free(s->lbuf);
    free(s->line);
    free(s);
}

int bsrc_getline(bsrc *s, char **line, size_t *len, size_t max_line)
{
    size_t scanned = 0;  /* bytes from lpos already known to hold no '\n' */
    for (;;) {
        char *start = s->lbuf + s->lpos;
        char *nl = s->llen > s->lpos + scanned
                       ? memchr(start + scanned, '\n', s->llen - s->lpos - scanned)
                       : NULL;
        if (nl) {
            size_t n = (size_t)(nl - start);
            if (max_line && n > max_line) {
                snprintf(s->err, sizeof s->err, "line %llu: longer than %zu bytes",
                         (unsigned long long)s->lineno + 1, max_line);
                return -1;
            }
            s->lpos += n + 1;
            if (n > 0 && start[n - 1] == '\r')
                n--;
            start[n] = 0;
            s->lineno++;
            *line = start;
            *len = n;
            return 1;
        }
        scanned = s->llen - s->lpos;
        if (max_line && scanned > max_line) {
            snprintf(s->err, sizeof s->err, "line %llu: longer than %zu bytes",
                     (unsigned long long)s->lineno + 1, max_line);
            return -1;
        }
        /* compact, grow, refill */
        if (s->lpos > 0) {
            memmove(s->lbuf, s->lbuf + s->lpos, s->llen - s->lpos);
            s->llen -= s->lpos;
            s->lpos = 0;
        }
        if (s->lcap - s->llen < 65536) {
            s->lcap = s->lcap ? 2 * s->lcap : 1 << 20;
            s->lbuf = xrealloc(s->lbuf, s->lcap + 1);
        }
        long r = bsrc_read(s, s->lbuf + s->llen, s->lcap - s->llen);
        if (r < 0)
            return -1;
        if (r == 0) {
            if (s->llen == s->lpos)
                return 0;
            /* last line without '\n' */
            size_t n = s->llen - s->lpos;
            char *st = s->lbuf + s->lpos;
            if (n > 0 && st[n - 1] == '\r' && !s->keep_cr)
                n--;
            st[n] = 0;
            s->lpos = s->llen;
            s->lineno++;
            *line = st;
            *len = n;
            return 1;
        }
        s->llen += (size_t)r;
    }
}

char *bsrc_slurp(bsrc *s, size_t *len, size_t max_len)
{
    size_t cap = 1 << 20, n = 0;
    char *buf = xmalloc(cap + 1);
    for (;;) {
        if (cap - n < 65536) {
            cap *= 2;
            buf = xrealloc(buf, cap + 1);
        }
        long r = bsrc_read(s, buf + n, cap - n);
        if (r < 0) {
            free(buf);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (max_len && n > max_len) {
            snprintf(s->err, sizeof s->err, "input larger than %zu bytes", max_len);
            free(buf);
            return NULL;
        }
    }
    buf[n] = 0;
    *len = n;
    return buf;
}
