/*
 * test_zrogue.c — a peer that breaks the acknowledged ZeroMQ protocol
 * (io/zack.c) against the real stream layer in another process, over
 * ipc://: the peer is a plain DEALER socket speaking raw frames.
 *  - a producer that sends an unknown control message, or a record whose
 *    delivery number is not 8 bytes: the consumer exits 65 naming the
 *    message (stream.c: a malformed message is bad input), never crashes
 *    or waits;
 *  - a consumer that sends noise (unknown arrays, a map, a message of
 *    three frames) before and between its hello and acknowledgements:
 *    the producer ignores the noise and ends its stream normally (exit 0),
 *    every record delivered and the end-of-stream sent.
 * The stream side runs in a child (it exits through die()); the rogue
 * peer runs here, each with its own ZeroMQ context made after the fork.
 */
#include "check.h"
#include "io/record.h"
#include "io/stream.h"
#include "base/util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

static char dir[] = "/tmp/prefpipe-zrogue.XXXXXX";

static size_t pack_rec(char *buf, size_t cap, const char *id)
{
    recb b;
    recb_init(&b);
    recb_put_str(&b, "id", id);
    const char *p;
    size_t n;
    recb_finish(&b, &p, &n);
    CHECK(n <= cap);
    memcpy(buf, p, n);
    recb_free(&b);
    return n;
}

/* the child's stderr goes to errpath */
static pid_t spawn(const char *errpath, void (*fn)(const char *), const char *uri)
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        close(fd);
        fn(uri);
        _exit(0);
    }
    return pid;
}

static void reader_child(const char *uri)
{
    rstream *s = rs_open_read(uri);
    msgpack_object o;
    while (rs_next(s, &o) == RS_OK) /* dies (65) on a malformed message */
        ;
    rs_close(s);
    exit(0);
}

static void writer_child(const char *uri)
{
    rstream *s = rs_open_write(uri);
    char buf[64];
    const char *ids[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++)
        rs_write(s, buf, pack_rec(buf, sizeof buf, ids[i]));
    rs_close(s);   /* dies unless the end-of-stream handshake completes */
    exit(0);
}

static int wait_status(pid_t pid)
{
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static int file_has(const char *path, const char *needle)
{
    char buf[4096] = "";
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return strstr(buf, needle) != NULL;
}

static void *rogue(void *ctx, const char *ep)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 2000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_ROUTING_ID, "rogue", 5);
    CHECK(zmq_connect(s, ep) == 0);
    return s;
}

/* the next non-empty message (frames into f[], their count), waiting up to 10 s */
static int recv_msg(void *s, char f[][256], size_t *len, int max)
{
    for (;;) {
        zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 10000) <= 0)
            return 0;
        int n = 0, more = 1;
        while (more) {
            char tmp[256];
            int r = zmq_recv(s, tmp, sizeof tmp, 0);
            CHECK(r >= 0);
            if (n < max) {
                memcpy(f[n], tmp, (size_t)(r < 256 ? r : 256));
                len[n++] = (size_t)r;
            }
            int m = 0;
            size_t ml = sizeof m;
            zmq_getsockopt(s, ZMQ_RCVMORE, &m, &ml);
            more = m;
        }
        if (!(n == 1 && len[0] == 0)) /* a probe: the stream side connected */
            return n;
    }
}

static void test_bad_producer(const char *ctl, size_t ctllen, int seq_bytes, const char *what)
{
    char uri[256], ep[200], errp[256];
    snprintf(ep, sizeof ep, "ipc://%s/r", dir);
    snprintf(uri, sizeof uri, "@%s?timeout=10", ep);
    snprintf(errp, sizeof errp, "%s/r.err", dir);
    pid_t pid = spawn(errp, reader_child, uri);
    void *ctx = zmq_ctx_new();
    void *s = rogue(ctx, ep);
    char rec[64], seq[8] = {0};
    size_t n = pack_rec(rec, sizeof rec, "a");
    CHECK(zmq_send(s, seq, 8, ZMQ_SNDMORE) == 8);   /* one good record first */
    CHECK(zmq_send(s, rec, n, 0) == (int)n);
    if (ctl) {
        CHECK(zmq_send(s, ctl, ctllen, 0) == (int)ctllen);
    } else {
        CHECK(zmq_send(s, seq, (size_t)seq_bytes, ZMQ_SNDMORE) == seq_bytes);
        CHECK(zmq_send(s, rec, n, 0) == (int)n);
    }
    int st = wait_status(pid);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(s);
    zmq_ctx_term(ctx);
    if (st != 65 || !file_has(errp, what)) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "cat %s >&2", errp);
        (void)!system(cmd);
    }
    CHECK(st == 65);
    CHECK(file_has(errp, what));
    unlink(errp);
}

static void test_noisy_consumer(void)
{
    char uri[256], ep[200], errp[256];
    snprintf(ep, sizeof ep, "ipc://%s/w", dir);
    snprintf(uri, sizeof uri, "@%s?timeout=10", ep);
    snprintf(errp, sizeof errp, "%s/w.err", dir);
    pid_t pid = spawn(errp, writer_child, uri);
    void *ctx = zmq_ctx_new();
    void *s = rogue(ctx, ep);
    static const char noise1[] = "\x92\xa3" "abc\x01", noise2[] = "\x80",
                      hello[] = "\x93\xae" "prefpipe-hello" "\xa5" "rogue\x08",
                      badack[] = "\x92\xac" "prefpipe-ack" "\xa3" "xyz";
    CHECK(zmq_send(s, noise1, sizeof noise1 - 1, 0) >= 0);
    CHECK(zmq_send(s, noise2, sizeof noise2 - 1, 0) >= 0);
    CHECK(zmq_send(s, "x", 1, ZMQ_SNDMORE) >= 0);   /* three frames where two are due */
    CHECK(zmq_send(s, "y", 1, ZMQ_SNDMORE) >= 0);
    CHECK(zmq_send(s, "z", 1, 0) >= 0);
    CHECK(zmq_send(s, hello, sizeof hello - 1, 0) >= 0);
    CHECK(zmq_send(s, badack, sizeof badack - 1, 0) >= 0);
    char f[3][256];
    size_t len[3];
    unsigned char ack[64] = "\x92\xac" "prefpipe-ack" "\x93";
    size_t al = 15;
    for (int i = 0; i < 3; i++) {
        CHECK(recv_msg(s, f, len, 3) == 2);   /* [SEQ][RECORD] */
        CHECK(len[0] == 8);
        ack[al++] = 0xcf;                     /* delivery numbers start at a random base: uint64 */
        memcpy(ack + al, f[0], 8);
        al += 8;
        CHECK(zmq_send(s, noise1, sizeof noise1 - 1, 0) >= 0);
    }
    CHECK(zmq_send(s, ack, al, 0) == (int)al);
    int n = recv_msg(s, f, len, 3);           /* the end-of-stream */
    CHECK(n == 1);
    CHECK(len[0] > 14 && memcmp(f[0] + 2, "prefpipe-eos", 12) == 0);
    zmq_close(s);                             /* we leave: the producer ends */
    int st = wait_status(pid);
    zmq_ctx_term(ctx);
    CHECK(st == 0);
    unlink(errp);
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL);
    test_bad_producer("\x92\xa3" "abc\x01", 6, 0, "unknown control message on the socket");
    test_bad_producer("\x80", 1, 0, "unknown control message on the socket");   /* a map alone: no delivery number */
    test_bad_producer(NULL, 0, 7, "malformed acknowledged-mode message");
    test_noisy_consumer();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)!system(cmd);
    return check_done("test_zrogue");
}
