/*
 * stream.c — record streams over files, pipes and ZeroMQ (see stream.h).
 *
 * Reading files/pipes: bytes come from a bytesrc (plain or gzip) into our
 * own buffer; mpscan finds where the next record ends (checking framing,
 * depth and size claims without allocating), then msgpack_unpack_next
 * unpacks exactly those bytes.
 * (msgpack_unpacker is not used: when it refills mid-record it keeps only
 * the unparsed tail, so a record's bytes would not stay contiguous.)  The
 * unparsed bytes are bounded by the record size limit, so a stream of
 * garbage cannot make us buffer without end.  Raw bytes of the last record
 * stay contiguous in the buffer, which lets relays (rec cat/head/sample)
 * copy records without re-packing.
 *
 * Writing files: a 256 KiB buffer over write(2), or gzwrite for *.gz;
 * both into "DIR/.NAME.tmp.PID.XXXXXX", renamed on close (one left by a
 * killed writer is removed by the next writer of NAME) — except live
 * outputs (rs_open_live: metrics), written in place and flushed per record.
 * Only a regular file (or a new name) is replaced by a rename: a character
 * device or FIFO named by -o is written through (renaming over it would
 * replace the device with a file), a symlink is followed (the file it
 * points to is replaced, the link stays) and a dangling one or a directory
 * is refused.
 */
#include "io/stream.h"
#include "base/inputs.h"
#include "io/bytesrc.h"
#include "io/mpscan.h"
#include "io/record.h"
#include "base/util.h"
#include "io/zstream.h"
#include "base/fsreplace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* stdout is a launcher's forwarding pseudo-terminal (rs_stdout_forwarded) */
static int stdout_launcher_tty;
void rs_stdout_forwarded(void) { stdout_launcher_tty = 1; }

enum { K_FILE, K_ZMQ };

struct rstream {
    char *uri;
    int writer, kind;
    uint64_t nrec;
    char err[512];
    int recoverable;
    /* reading */
    bsrc *src;
    char *buf;              /* unparsed input: [pos, len) of cap */
    size_t pos, len, cap;
    msgpack_unpacked res;
    const char *raw;
    size_t rawlen;
    int src_eof;
    int src_failed;         /* rs_ready met a read error: the next read reports it */
    /* zmq */
    zstream *z;
    int stopped;            /* writers: every consumer stopped reading on purpose; z is gone */
    /* writing */
    int fd;
    gzFile gz;
    char *wbuf;
    size_t wlen;
    size_t mem_cap;         /* > 0: a memory writer (rs_open_memory): wbuf grows */
    char *tmp_path;
    char *dst;              /* where tmp_path is renamed when not uri (a symlink's target) */
    int cleanup;
};

#define WBUF_CAP (256 * 1024)
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION   /* make fuzz: records straddle reads */
#define READ_CHUNK 53
#else
#define READ_CHUNK (256 * 1024)
#endif

size_t rs_max_record(void)
{
    static size_t v;
    if (!v) {
        const char *e = getenv("PREFPIPE_MAX_RECORD");
        v = e && atoll(e) > 0 ? (size_t)atoll(e) : RS_DEFAULT_MAX_RECORD;
    }
    return v;
}

int rs_max_depth(void)
{
    static int v;
    if (!v) {
        const char *e = getenv("PREFPIPE_MAX_DEPTH");
        v = e && atoi(e) > 0 ? atoi(e) : RS_DEFAULT_MAX_DEPTH;
    }
    return v;
}

int rs_is_zmq_uri(const char *uri)
{
    return (uri[0] == '@' || uri[0] == '>') && strstr(uri, "://") != NULL;
}

const char *rs_uri(const rstream *s) { return s->uri; }
uint64_t rs_count(const rstream *s) { return s->nrec; }
const char *rs_error(const rstream *s) { return s->err; }
int rs_recoverable(const rstream *s) { return s->recoverable; }

void rs_last_raw(const rstream *s, const char **buf, size_t *len)
{
    *buf = s->raw;
    *len = s->rawlen;
}

/* ---- structural checks ---- */

static const char *check_obj(const msgpack_object *o, int depth, int max_depth)
{
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        return utf8_valid(o->via.str.ptr, o->via.str.size) ? NULL : "invalid UTF-8 in a string";
    case MSGPACK_OBJECT_ARRAY:
        if (depth > max_depth)
            return "nesting too deep";
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            const char *e = check_obj(&o->via.array.ptr[i], depth + 1, max_depth);
            if (e)
                return e;
        }
        return NULL;
    case MSGPACK_OBJECT_MAP:
        if (depth > max_depth)
            return "nesting too deep";
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR)
                return "a map key is not a string";
            const char *e = check_obj(&kv->key, depth + 1, max_depth);
            if (!e)
                e = check_obj(&kv->val, depth + 1, max_depth);
            if (e)
                return e;
        }
        return NULL;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
    case MSGPACK_OBJECT_NIL:
    case MSGPACK_OBJECT_BOOLEAN:
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
    case MSGPACK_OBJECT_BIN:
        return NULL;
    case MSGPACK_OBJECT_EXT:
        return "msgpack ext values are not allowed in records";
    }
    return "unknown msgpack type";
}

const char *rs_check_record(const msgpack_object *o, int max_depth)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return "not a map (a record must be a msgpack map with string keys)";
    return check_obj(o, 1, max_depth);
}

/* ---- opening ---- */

static rstream *g_stdout_w;   /* the msgpack writer on stdout, flushed before blocking reads */
static void flush_buf(rstream *s);

/* acknowledged ZeroMQ input: what we wrote for a record leaves the
 * process before the record is acknowledged (zstream.h) */
static void flush_stdout(void)
{
    if (g_stdout_w)
        flush_buf(g_stdout_w);
}

/* Open ZeroMQ readers: when every consumer of one of our ZeroMQ outputs
 * stopped reading on purpose, we stop too, and say so to our own
 * producers first (zs_close before the end sends them a stop), as SIGPIPE
 * travels up a pipeline of processes. */
#define MAX_ZREADERS 64
static rstream *g_zreaders[MAX_ZREADERS];
static int g_nzreaders;

static void zreader_forget(rstream *s)
{
    for (int i = 0; i < g_nzreaders; i++)
        if (g_zreaders[i] == s) {
            g_zreaders[i] = g_zreaders[--g_nzreaders];
            return;
        }
}

/* ZeroMQ outputs open and still served.  When every consumer of one
 * stops reading on purpose, that output is dropped (what is written to
 * it from then on is discarded) and the process goes on for the others;
 * only when the last one stops do we stop (stop_reading_all, exit 0).  A
 * stage with two ZeroMQ outputs (rec split --train @A --test @B) whose
 * train consumer is rec head must still serve --test to its end. */
static int g_nzwriters;

static void stop_reading_all(void)
{
    while (g_nzreaders > 0) {
        rstream *r = g_zreaders[--g_nzreaders];
        zs_close(r->z, r->err, sizeof r->err);
        r->z = NULL;
    }
}

static rstream *new_stream(const char *uri, int writer)
{
    rstream *s = xcalloc(1, sizeof *s);
    s->uri = xstrdup(uri);
    s->writer = writer;
    s->fd = -1;
    s->cleanup = -1;
    return s;
}

rstream *rs_open_read(const char *uri)
{
    rstream *s = new_stream(uri, 0);
    if (rs_is_zmq_uri(uri)) {
        s->kind = K_ZMQ;
        s->z = zs_open(uri, 0, s->err, sizeof s->err);
        if (!s->z)
            die(EX_NOINPUT, "%s: %s", uri, s->err);
        zs_set_flush(s->z, flush_stdout);
        msgpack_unpacked_init(&s->res);
        if (g_nzreaders < MAX_ZREADERS)
            g_zreaders[g_nzreaders++] = s;
        return s;
    }
    s->kind = K_FILE;
    s->src = bsrc_open(uri);
    if (!s->src)
        die(EX_NOINPUT, "%s: cannot open: %s", uri, strerror(errno));
    msgpack_unpacked_init(&s->res);
    return s;
}

void rs_check_input(const char *uri)
{
    char err[512];
    if (rs_is_zmq_uri(uri)) {
        if (zs_check_uri(uri, err, sizeof err) < 0)
            die(EX_USAGE, "%s: %s", uri, err);
    } else if (strcmp(uri, "-") != 0 && access(uri, R_OK) != 0) {
        die(EX_NOINPUT, "%s: cannot open: %s", uri, strerror(errno));
    }
}

static void remove_tmp(void *arg)
{
    rstream *s = arg;
    if (s->tmp_path) {
        unlink(s->tmp_path);
        if (util_in_signal()) /* free is not async-signal-safe; we exit next */
            return;
        free(s->tmp_path);
        s->tmp_path = NULL;
    }
}

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

/* A writer killed (kill -9: no cleanup hook runs) leaves its temporary
 * file ".NAME.tmp.PID.XXXXXX" and never the final name.  The next writer
 * of the same path removes those whose PID no longer runs here (each may be
 * as large as the output). */
static void remove_stale_tmp(const char *path, size_t dirlen)
{
    char dir[4096], pre[512];
    snprintf(dir, sizeof dir, "%.*s", dirlen ? (int)dirlen : 1, dirlen ? path : ".");
    int np = snprintf(pre, sizeof pre, ".%s.tmp.", path + dirlen);
    if (np <= 0 || (size_t)np >= sizeof pre)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, pre, (size_t)np) != 0)
            continue;
        char *end;
        long pid = strtol(e->d_name + np, &end, 10);
        if (end == e->d_name + np || *end != '.' || strlen(end + 1) != 6 || fs_pid_alive(pid))
            continue;
        char victim[4096 + 256];
        snprintf(victim, sizeof victim, "%s/%s", dir, e->d_name);
        unlink(victim);
    }
    closedir(d);
}

static rstream *open_write(const char *uri, int text, int live)
{
    rstream *s = new_stream(uri, 1);
    if (!text && rs_is_zmq_uri(uri)) {
        s->kind = K_ZMQ;
        s->z = zs_open(uri, 1, s->err, sizeof s->err);
        if (!s->z)
            die(EX_IOERR, "%s: %s", uri, s->err);
        g_nzwriters++;
        return s;
    }
    s->kind = K_FILE;
    s->wbuf = xmalloc(WBUF_CAP);
    if (strcmp(uri, "-") == 0) {
        if (!text && isatty(1) && !stdout_launcher_tty)
            die(EX_USAGE, "refusing to write binary msgpack to a terminal "
                          "(redirect it, or pipe it through 'rec to-json')");
        s->fd = 1;
        if (!text)
            g_stdout_w = s;
        return s;
    }
    if (live && !ends_with(uri, ".gz")) {   /* in place: readers follow it as it grows */
        s->fd = open(uri, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (s->fd < 0)
            die(EX_CANTCREAT, "%s: cannot create: %s", uri, strerror(errno));
        return s;
    }
    struct stat st;
    char *real = NULL;
    if (lstat(uri, &st) == 0 && S_ISLNK(st.st_mode)) {
        real = realpath(uri, NULL);
        if (!real || stat(real, &st) != 0)
            die(EX_CANTCREAT, "%s: a symbolic link to nothing; give the file itself", uri);
    } else if (lstat(uri, &st) != 0) {
        st.st_mode = S_IFREG;   /* a new file */
    }
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
        /* write through: the device or FIFO stays what it is */
        s->fd = open(real ? real : uri, O_WRONLY | O_CLOEXEC);
        free(real);
        if (s->fd < 0)
            die(EX_CANTCREAT, "%s: cannot open: %s", uri, strerror(errno));
        if (ends_with(uri, ".gz") && !(s->gz = gzdopen(s->fd, "wb6")))
            die(EX_OSERR, "%s: gzdopen failed", uri);
        return s;
    }
    if (!S_ISREG(st.st_mode))
        die(EX_CANTCREAT, "%s: %s; give a file name", uri,
            S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file, FIFO or character device");
    const char *path = real ? real : uri;
    s->dst = real;   /* replace the target; the link keeps pointing at it */
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
    remove_stale_tmp(path, dirlen);
    size_t n = strlen(path) + 48;
    s->tmp_path = xmalloc(n);
    snprintf(s->tmp_path, n, "%.*s.%s.tmp.%ld.XXXXXX", (int)dirlen, path, path + dirlen, (long)getpid());
    s->fd = mkstemp(s->tmp_path);
    if (s->fd < 0) {
        int e = errno;
        free(s->tmp_path);
        s->tmp_path = NULL;
        die(EX_CANTCREAT, "%s: cannot create: %s", uri, strerror(e));
    }
    mode_t mask = umask(0); /* mkstemp makes 0600; give the usual 0666 & ~umask */
    umask(mask);
    fchmod(s->fd, 0666 & ~mask);
    s->cleanup = util_add_cleanup(remove_tmp, s);
    if (ends_with(uri, ".gz")) {
        s->gz = gzdopen(s->fd, "wb6");
        if (!s->gz)
            die(EX_OSERR, "%s: gzdopen failed", uri);
    }
    return s;
}

rstream *rs_open_write(const char *uri) { return open_write(uri, 0, 0); }
rstream *rs_open_live(const char *uri) { return open_write(uri, 0, 1); }
rstream *rs_open_text_out(const char *uri) { return open_write(uri, 1, 0); }

void rs_write_bytes(rstream *s, const char *buf, size_t len)
{
    rs_write(s, buf, len);
}

/* ---- reading ---- */

static int fail(rstream *s, int recoverable, const char *fmt, const char *detail)
{
    snprintf(s->err, sizeof s->err, fmt, detail);
    s->recoverable = recoverable;
    return RS_ERR;
}

static int parse_one(rstream *s, const char *buf, size_t n, size_t *used);

static int read_zmq(rstream *s, msgpack_object *rec)
{
again:;
    const char *d;
    size_t n;
    /* as for pipes below: do not sit on output while waiting for input */
    if (g_stdout_w && g_stdout_w->wlen && !zs_ready(s->z))
        flush_buf(g_stdout_w);
    int r = zs_recv(s->z, &d, &n, s->err, sizeof s->err);
    if (r == ZS_TEMPFAIL)
        die(EX_TEMPFAIL, "%s: %s", s->uri, s->err);
    if (r == ZS_LOST)
        die(EX_IOERR, "%s: %s", s->uri, s->err);
    if (r < 0) {
        s->recoverable = 0;
        return RS_ERR;
    }
    if (r == 0)
        return RS_EOF;
    s->nrec++;
    s->raw = d;
    s->rawlen = n;
    size_t used = 0;
    r = parse_one(s, d, n, &used);
    if (r == RS_EOF || (r == RS_OK && used != n)) {
        snprintf(s->err, sizeof s->err, "%s", r == RS_EOF ? "truncated message" : "trailing bytes after the record");
        r = RS_ERR;
    }
    /* every message is framed by ZeroMQ, so the next one can always be read */
    if (r == RS_ERR) {
        s->recoverable = 1;
        return RS_ERR;
    }
    /* acknowledged streams are exactly-once in effect: a record whose id
     * came before (sent again by a restarted producer) is skipped */
    const char *id;
    size_t idlen;
    if (zs_acked(s->z) && rec_get_str(&s->res.data, "id", &id, &idlen) == 1 && zs_duplicate(s->z, id, idlen)) {
        s->nrec--;
        goto again;
    }
    *rec = s->res.data;
    return RS_OK;
}

/* Ensure room for another chunk after the unparsed tail [pos, len). */
static void make_room(rstream *s)
{
    if (s->pos > 0 && (s->pos == s->len || s->cap - s->len < READ_CHUNK)) {
        memmove(s->buf, s->buf + s->pos, s->len - s->pos);
        s->len -= s->pos;
        s->pos = 0;
    }
    if (s->cap - s->len < READ_CHUNK) {
        s->cap = s->cap ? 2 * s->cap : 4 * READ_CHUNK;
        while (s->cap - s->len < READ_CHUNK)
            s->cap *= 2;
        s->buf = xrealloc(s->buf, s->cap);
    }
}

/* Scan-then-unpack one record from buf[0..n): RS_OK with *used set,
 * RS_EOF meaning "need more bytes", or RS_ERR. */
static int parse_one(rstream *s, const char *buf, size_t n, size_t *used)
{
    size_t end = 0;
    switch (mpscan((const unsigned char *)buf, n, rs_max_record(), rs_max_depth(), &end)) {
    case MPSCAN_MORE:
        return RS_EOF;
    case MPSCAN_BAD:
        return fail(s, 0, "%s", "not valid msgpack");
    case MPSCAN_DEEP:
        return fail(s, 0, "%s", "nesting too deep (PREFPIPE_MAX_DEPTH)");
    case MPSCAN_BIG:
        snprintf(s->err, sizeof s->err, "record is over the limit of %zu bytes (PREFPIPE_MAX_RECORD)",
                 rs_max_record());
        s->recoverable = 0;
        return RS_ERR;
    }
    size_t off = 0;
    msgpack_unpack_return r = msgpack_unpack_next(&s->res, buf, end, &off);
    if (r != MSGPACK_UNPACK_SUCCESS || off != end)
        return fail(s, 0, "%s", "not valid msgpack");
    *used = end;
    const char *e = rs_check_record(&s->res.data, rs_max_depth());
    if (e) {
        s->recoverable = 1;
        snprintf(s->err, sizeof s->err, "%s", e);
        return RS_ERR;
    }
    return RS_OK;
}

int rs_read(rstream *s, msgpack_object *rec)
{
    if (s->kind == K_ZMQ)
        return read_zmq(s, rec);
    for (;;) {
        size_t used = 0;
        int r = parse_one(s, s->buf + s->pos, s->len - s->pos, &used);
        if (r != RS_EOF) {
            s->nrec++;
            if (r == RS_ERR && !s->recoverable)
                return RS_ERR;
            /* a content error still consumed a well-framed record */
            s->raw = s->buf + s->pos;
            s->rawlen = used;
            s->pos += used;
            if (r == RS_OK)
                *rec = s->res.data;
            return r;
        }
        /* the record is incomplete: read more (the scan bounds how much) */
        size_t pending = s->len - s->pos;
        if (s->src_eof) {
            if (pending == 0)
                return RS_EOF;
            s->nrec++;
            snprintf(s->err, sizeof s->err, "truncated: the stream ends inside a record (%zu bytes)",
                     pending);
            s->recoverable = 0;
            return RS_ERR;
        }
        make_room(s);
        /* a filter in a feedback loop (rollout | rm-score | ppo-step) must
         * not sit on buffered output while it waits for input */
        if (g_stdout_w)
            flush_buf(g_stdout_w);
        long n = s->src_failed ? -1 : bsrc_read(s->src, s->buf + s->len, s->cap - s->len);
        if (n < 0) {
            s->nrec++;
            snprintf(s->err, sizeof s->err, "%s", bsrc_error(s->src));
            s->recoverable = 0;
            return RS_ERR;
        }
        if (n == 0)
            s->src_eof = 1;
        s->len += (size_t)n;
    }
}

int rs_ready(rstream *s)
{
    if (s->writer)
        return 1;
    if (s->kind == K_ZMQ)
        return zs_ready(s->z);
    for (;;) {
        /* a whole record buffered, or bytes that can never become one
         * (rs_read reports the error at once) */
        size_t end = 0;
        if (s->len > s->pos &&
            mpscan((const unsigned char *)s->buf + s->pos, s->len - s->pos, rs_max_record(), rs_max_depth(),
                   &end) != MPSCAN_MORE)
            return 1;
        if (s->src_eof || s->src_failed)
            return 1;
        if (!bsrc_ready(s->src))
            return 0;
        if (bsrc_is_gzip(s->src))
            return 1; /* read as a file: inflating could wait for bytes */
        /* bytes are there: take them in (this read cannot block) and look
         * again, so a record split across writes is not taken for whole */
        make_room(s);
        long n = bsrc_read(s->src, s->buf + s->len, s->cap - s->len);
        if (n < 0) {
            s->src_failed = 1;
            return 1;
        }
        if (n == 0)
            s->src_eof = 1;
        s->len += (size_t)n;
    }
}

int rs_next(rstream *s, msgpack_object *rec)
{
    int r = rs_read(s, rec);
    if (r == RS_ERR)
        die(EX_DATAERR, "%s: record %llu: %s", cli_input_name(s->uri),
            (unsigned long long)s->nrec, s->err);
    return r;
}

/* ---- writing ---- */

static void write_all(rstream *s, const char *buf, size_t len)
{
    if (s->gz) {
        if (gzwrite(s->gz, buf, (unsigned)len) != (int)len)
            die(EX_IOERR, "%s: write error (gzip)", s->uri);
        return;
    }
    while (len > 0) {
        ssize_t n = write(s->fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die(EX_IOERR, "%s: write error: %s", s->uri, strerror(errno));
        }
        buf += n;
        len -= (size_t)n;
    }
}

static void flush_buf(rstream *s)
{
    if (s->mem_cap) return;   /* a memory writer keeps its bytes */
    if (s->wlen) {
        write_all(s, s->wbuf, s->wlen);
        s->wlen = 0;
    }
}

void rs_flush(rstream *s)
{
    if (s->kind != K_ZMQ && s->writer)
        flush_buf(s);
}

void rs_sync(rstream *s)
{
    if (s->kind == K_ZMQ || !s->writer)
        return;
    flush_buf(s);
    if (s->gz && gzflush(s->gz, Z_SYNC_FLUSH) != Z_OK)
        die(EX_IOERR, "%s: write error (gzip)", s->uri);
    if (s->fd > 2)
        fsync(s->fd);
    if (s->tmp_path) {
        if (rename(s->tmp_path, s->dst ? s->dst : s->uri) != 0)
            die(EX_IOERR, "%s: cannot rename into place: %s", s->uri, strerror(errno));
        free(s->tmp_path);
        s->tmp_path = NULL;
        util_remove_cleanup(s->cleanup);
        s->cleanup = -1;
    }
}

void rs_write(rstream *s, const char *buf, size_t len)
{
    s->nrec++;
    if (s->kind == K_ZMQ) {
        if (s->stopped)
            return;   /* its consumers stopped; other outputs are still served */
        int r = zs_send(s->z, buf, len, s->err, sizeof s->err);
        if (r == ZS_STOPPED && g_nzwriters > 1) {
            g_nzwriters--;
            zs_drop(s->z);
            s->z = NULL;
            s->stopped = 1;
            fprintf(stderr, "%s: %s: %s; the other outputs go on\n", progname, s->uri, s->err);
            return;
        }
        if (r == ZS_STOPPED) { /* as a pipe whose reader exited: a quiet end (exit 0), the note on stderr */
            stop_reading_all();
            zs_drop(s->z);   /* the last socket: its close lets the readers' stops leave */
            s->z = NULL;
            die(0, "%s: %s", s->uri, s->err);
        }
        if (r < 0)
            die(r == ZS_TEMPFAIL ? EX_TEMPFAIL : EX_IOERR, "%s: %s", s->uri, s->err);
        return;
    }
    if (s->mem_cap) {
        while (s->wlen + len > s->mem_cap) s->wbuf = xrealloc(s->wbuf, s->mem_cap *= 2);
        memcpy(s->wbuf + s->wlen, buf, len);
        s->wlen += len;
        return;
    }
    if (len >= WBUF_CAP) {
        flush_buf(s);
        write_all(s, buf, len);
        return;
    }
    if (s->wlen + len > WBUF_CAP)
        flush_buf(s);
    memcpy(s->wbuf + s->wlen, buf, len);
    s->wlen += len;
}

rstream *rs_open_memory(void)
{
    rstream *s = new_stream("(memory)", 1);
    s->kind = K_FILE;
    s->mem_cap = 64 * 1024;
    s->wbuf = xmalloc(s->mem_cap);
    msgpack_unpacked_init(&s->res);
    return s;
}

const char *rs_memory(const rstream *s, size_t *len)
{
    *len = s->wlen;
    return s->wbuf;
}

void rs_memory_clear(rstream *s) { s->wlen = 0; }

static void free_stream(rstream *s)
{
    zreader_forget(s);
    free(s->buf);
    msgpack_unpacked_destroy(&s->res);
    bsrc_close(s->src);
    free(s->wbuf);
    free(s->dst);
    free(s->uri);
    free(s);
}

void rs_close(rstream *s)
{
    if (!s)
        return;
    if (s->kind == K_ZMQ && s->stopped) {
        free_stream(s);
        return;
    }
    if (s->kind == K_ZMQ) {
        if (s->writer)
            g_nzwriters--;
        int r = zs_close(s->z, s->err, sizeof s->err);
        if (r < 0)
            die(r == ZS_TEMPFAIL ? EX_TEMPFAIL : EX_IOERR, "%s: %s", s->uri, s->err);
        free_stream(s);
        return;
    }
    if (s->writer) {
        flush_buf(s);
        if (s == g_stdout_w)
            g_stdout_w = NULL;
        if (s->gz) {
            if (gzclose(s->gz) != Z_OK)
                die(EX_IOERR, "%s: error finishing gzip output", s->uri);
        } else if (s->fd > 1 && close(s->fd) != 0) {
            die(EX_IOERR, "%s: close: %s", s->uri, strerror(errno));
        }
        if (s->tmp_path) {
            if (rename(s->tmp_path, s->dst ? s->dst : s->uri) != 0)
                die(EX_IOERR, "%s: cannot rename into place: %s", s->uri, strerror(errno));
            free(s->tmp_path);
            s->tmp_path = NULL;
        }
        util_remove_cleanup(s->cleanup);
    }
    free_stream(s);
}

void rs_abort(rstream *s)
{
    if (!s)
        return;
    if (s == g_stdout_w)
        g_stdout_w = NULL;
    if (s->kind == K_ZMQ && !s->stopped) {
        if (s->writer)
            g_nzwriters--;
        zs_close(s->z, s->err, sizeof s->err);
    } else if (s->kind != K_ZMQ && s->writer) {
        if (s->gz)
            gzclose(s->gz);
        else if (s->fd > 1)
            close(s->fd);
        remove_tmp(s);
        util_remove_cleanup(s->cleanup);
    }
    free_stream(s);
}
