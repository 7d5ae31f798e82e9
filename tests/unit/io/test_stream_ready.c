/*
 * test_stream_ready.c — rs_ready: "can the next rs_read answer without
 * waiting?" over files, pipes (whole, split and buffered records, the
 * gzip sniff's first bytes, gzip on a pipe) and a ZeroMQ PULL socket
 * (records, a pause, the end-of-stream).
 */
#include "check.h"
#include "io/record.h"
#include "io/stream.h"
#include "base/util.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static char dir[] = "/tmp/prefpipe-ready.XXXXXX";

/* one packed record {"id": id} in buf; returns its length */
static size_t pack_rec(char *buf, size_t cap, const char *id)
{
    recb b;
    recb_init(&b);
    recb_put_str(&b, "id", id);
    const char *p;
    size_t n;
    recb_finish(&b, &p, &n);
    if (n > cap) n = cap;
    memcpy(buf, p, n);
    recb_free(&b);
    return n;
}

static void put(int fd, const char *p, size_t n)
{
    CHECK(write(fd, p, n) == (ssize_t)n);
}

static int read_id(rstream *s, const char *want)
{
    msgpack_object o;
    if (rs_read(s, &o) != RS_OK) return 0;
    const msgpack_object *v = rec_get(&o, "id");
    return v && obj_str_eq(v, want);
}

static void test_file(void)
{
    char p[256], a[64], b[64];
    snprintf(p, sizeof p, "%s/two.mp", dir);
    size_t na = pack_rec(a, sizeof a, "a"), nb = pack_rec(b, sizeof b, "b");
    FILE *f = fopen(p, "wb");
    fwrite(a, 1, na, f);
    fwrite(b, 1, nb, f);
    fclose(f);
    rstream *s = rs_open_read(p);
    CHECK(rs_ready(s) == 1);
    CHECK(read_id(s, "a"));
    CHECK(rs_ready(s) == 1);
    CHECK(read_id(s, "b"));
    CHECK(rs_ready(s) == 1); /* the end is there at once */
    msgpack_object o;
    CHECK(rs_read(s, &o) == RS_EOF);
    rs_close(s);
}

static rstream *open_pipe(int *wfd)
{
    int fds[2];
    CHECK(pipe(fds) == 0);
    char p[64];
    snprintf(p, sizeof p, "/dev/fd/%d", fds[0]);
    rstream *s = rs_open_read(p);
    close(fds[0]);
    *wfd = fds[1];
    return s;
}

static void test_pipe(void)
{
    char a[64], b[64], c[64];
    size_t na = pack_rec(a, sizeof a, "a"), nb = pack_rec(b, sizeof b, "b"), nc = pack_rec(c, sizeof c, "c");
    int w;
    rstream *s = open_pipe(&w);
    CHECK(rs_ready(s) == 0);             /* nothing written yet */
    put(w, a, 1);
    CHECK(rs_ready(s) == 0);             /* one byte: not even the sniff's two */
    put(w, a + 1, 2);
    CHECK(rs_ready(s) == 0);             /* a record half-arrived still waits */
    put(w, a + 3, na - 3);
    CHECK(rs_ready(s) == 1);
    CHECK(rs_ready(s) == 1);             /* asking again changes nothing */
    CHECK(read_id(s, "a"));
    CHECK(rs_ready(s) == 0);
    char two[128];
    memcpy(two, b, nb);
    memcpy(two + nb, c, nc);
    put(w, two, nb + nc);                /* two records in one write */
    CHECK(rs_ready(s) == 1);
    CHECK(read_id(s, "b"));
    CHECK(rs_ready(s) == 1);             /* c is buffered inside the reader */
    CHECK(read_id(s, "c"));
    CHECK(rs_ready(s) == 0);
    put(w, a, 2);
    close(w);                            /* the end, inside a record */
    CHECK(rs_ready(s) == 1);
    msgpack_object o;
    CHECK(rs_read(s, &o) == RS_ERR);
    rs_close(s);

    s = open_pipe(&w);
    close(w);
    CHECK(rs_ready(s) == 1);             /* an empty stream ends at once */
    CHECK(rs_read(s, &o) == RS_EOF);
    rs_close(s);
}

static void test_gzip_pipe(void)
{
    char a[64];
    size_t na = pack_rec(a, sizeof a, "a");
    unsigned char z[256];
    uLongf nz = sizeof z;
    /* a gzip member: compress2 writes zlib, so build it with deflate */
    z_stream zs = {0};
    CHECK(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    zs.next_in = (unsigned char *)a;
    zs.avail_in = (uInt)na;
    zs.next_out = z;
    zs.avail_out = (uInt)nz;
    CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    nz = sizeof z - zs.avail_out;
    deflateEnd(&zs);
    int w;
    rstream *s = open_pipe(&w);
    put(w, (const char *)z, 4);
    CHECK(rs_ready(s) == 1);             /* gzip is read as a file */
    put(w, (const char *)z + 4, nz - 4);
    close(w);
    CHECK(read_id(s, "a"));
    rs_close(s);
}

/* the producer, in a child: one record, wait for a byte on `go`, one
 * more, then the end-of-stream handshake */
static void producer(const char *uri, int go)
{
    char a[64];
    rstream *o = rs_open_write(uri);
    size_t n = pack_rec(a, sizeof a, "z1");
    rs_write(o, a, n);
    char c;
    if (read(go, &c, 1) != 1) _exit(2);
    n = pack_rec(a, sizeof a, "z2");
    rs_write(o, a, n);
    rs_close(o);
    _exit(0);
}

static int ready_within(rstream *s, double sec)
{
    struct timespec d = {0, 10 * 1000 * 1000};
    for (int i = 0; i < (int)(sec * 100); i++) {
        if (rs_ready(s)) return 1;
        nanosleep(&d, NULL);
    }
    return 0;
}

static void test_zmq(void)
{
    char bind[300], conn[300];
    /* plain PUSH/PULL: readiness alone must see the end-of-stream.  An
     * acknowledged stream (the default) ends only after the consumer
     * acknowledged z2, which it does when it is about to block, never
     * from a readiness poll (a holder of a window polls before it has
     * written what it holds: lib/io/held.c) */
    snprintf(bind, sizeof bind, "@ipc://%s/z?ack=0", dir);
    snprintf(conn, sizeof conn, ">ipc://%s/z?ack=0", dir);
    int go[2];
    CHECK(pipe(go) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(go[1]);
        producer(bind, go[0]);
    }
    close(go[0]);
    rstream *s = rs_open_read(conn);
    CHECK(ready_within(s, 10));
    CHECK(rs_ready(s) == 1);
    CHECK(read_id(s, "z1"));
    CHECK(rs_ready(s) == 0);             /* the producer is paused */
    CHECK(write(go[1], "x", 1) == 1);
    CHECK(ready_within(s, 10));
    CHECK(read_id(s, "z2"));
    CHECK(ready_within(s, 10));          /* the end-of-stream arrives */
    msgpack_object o;
    CHECK(rs_read(s, &o) == RS_EOF);
    rs_close(s);
    close(go[1]);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    CHECK(mkdtemp(dir) != NULL);
    test_file();
    test_pipe();
    test_gzip_pipe();
    test_zmq();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return check_done("test_stream_ready");
}
