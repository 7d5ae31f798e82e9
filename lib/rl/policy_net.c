/*
 * policy_net.c — the policy-version server and its mirroring client
 * (protocol in policy_net.h).
 *
 * The server thread owns its socket and its ZeroMQ context (the record
 * streams' context ends when their last socket closes; this one must not
 * depend on them), reads only complete version folders (a policy-vN that
 * latest names is never written again) and keeps one manifest cached.
 * The client is sequential: one request, one answer, no retry (a server
 * that does not answer within the timeout ends the worker), so an answer
 * can never be taken for another request's.
 *
 * Who may fetch: the endpoints take the record streams' CURVE options
 * (io/zcurve.h: key=, allow= on --publish, key=, curve= on --policy-from,
 * the PREFPIPE_ZMQ_* defaults) and the same bind rule: a plain server
 * binds only to loopback or ipc:// unless insecure=1, so the weights are
 * never served unencrypted to any host that asks.
 */
#include "rl/policy_net.h"
#include "rl/policy_version.h"
#include "io/zcurve.h"
#include "base/cli.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <msgpack.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#define MAX_CHUNK (16u << 20)

typedef struct {
    char name[256];
    uint64_t size, hash;
} pv_file;

/* hash64 chained over 1 MiB blocks: the same on both ends, any file size */
static int file_hash(int fd, uint64_t *h)
{
    static char buf[1 << 20];
    uint64_t v = 0x70762d66696c65ULL;
    off_t off = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof buf, off);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        v = hash64(buf, (size_t)n, v);
        off += n;
    }
    *h = v;
    return 0;
}

static int safe_name(const char *s, size_t n)
{
    return n > 0 && n < 256 && s[0] != '.' && !memchr(s, '/', n) && !memchr(s, 0, n);
}

static void pack_s(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

/* An array whose first element is the string tag (in zone), or NULL. */
static const msgpack_object_array *tagged(const void *d, size_t n, msgpack_zone *zone, msgpack_object *o,
                                          const char *tag)
{
    size_t off = 0;
    if (msgpack_unpack(d, n, &off, zone, o) != MSGPACK_UNPACK_SUCCESS || o->type != MSGPACK_OBJECT_ARRAY ||
        o->via.array.size < 1 || o->via.array.ptr[0].type != MSGPACK_OBJECT_STR ||
        o->via.array.ptr[0].via.str.size != strlen(tag) || memcmp(o->via.array.ptr[0].via.str.ptr, tag, strlen(tag)))
        return NULL;
    return &o->via.array;
}

static int arg_u64(const msgpack_object_array *a, uint32_t i, uint64_t *v)
{
    if (a->size <= i || a->ptr[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return 0;
    *v = a->ptr[i].via.u64;
    return 1;
}

/* ---- server ---- */

struct pvnet_server {
    void *ctx, *sock;
    char *run, *addr;
    zcurve_opts sec;
    pthread_t th;
    atomic_int stop;
    long mver;              /* the cached manifest's version, -1 none */
    pv_file *mf;
    int nmf;
};

static int build_manifest(pvnet_server *s, long v)
{
    if (s->mver == v)
        return 0;
    char *dir = pv_path(s->run, v);
    DIR *d = opendir(dir);
    if (!d) {
        free(dir);
        return -1;
    }
    free(s->mf);
    s->mf = NULL, s->nmf = 0, s->mver = -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (!safe_name(e->d_name, strlen(e->d_name)))
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        int fd = open(p, O_RDONLY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            rc = -1;
            if (fd >= 0)
                close(fd);
            break;
        }
        if (S_ISREG(st.st_mode)) {
            s->mf = xrealloc(s->mf, (size_t)(s->nmf + 1) * sizeof *s->mf);
            pv_file *f = &s->mf[s->nmf++];
            snprintf(f->name, sizeof f->name, "%s", e->d_name);
            f->size = (uint64_t)st.st_size;
            if (file_hash(fd, &f->hash) != 0)
                rc = -1;
        }
        close(fd);
    }
    closedir(d);
    free(dir);
    if (rc == 0)
        s->mver = v;
    return rc;
}

static void answer(pvnet_server *s, const msgpack_object_array *a, msgpack_packer *pk)
{
    uint64_t v = 0, off = 0, len = 0;
    const char *tag = a->ptr[0].via.str.ptr;
    size_t tl = a->ptr[0].via.str.size;
    if (tl == 9 && !memcmp(tag, "pv-latest", 9)) {
        char p[4096], line[256] = "";
        snprintf(p, sizeof p, "%s/latest", s->run);
        int fd = open(p, O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, line, sizeof line - 1) : 0;
        if (fd >= 0)
            close(fd);
        line[n > 0 ? n : 0] = 0;
        line[strcspn(line, "\n")] = 0;
        msgpack_pack_array(pk, 2);
        pack_s(pk, "pv-latest", 9);
        pack_s(pk, line, strlen(line));
        return;
    }
    if (!arg_u64(a, 1, &v) || v > INT64_MAX / 2)
        goto bad;
    if (tl == 11 && !memcmp(tag, "pv-manifest", 11)) {
        if (build_manifest(s, (long)v) != 0)
            goto gone;
        msgpack_pack_array(pk, 3);
        pack_s(pk, "pv-manifest", 11);
        msgpack_pack_uint64(pk, v);
        msgpack_pack_array(pk, (size_t)s->nmf);
        for (int i = 0; i < s->nmf; i++) {
            msgpack_pack_array(pk, 3);
            pack_s(pk, s->mf[i].name, strlen(s->mf[i].name));
            msgpack_pack_uint64(pk, s->mf[i].size);
            msgpack_pack_uint64(pk, s->mf[i].hash);
        }
        return;
    }
    if (tl == 8 && !memcmp(tag, "pv-chunk", 8) && a->size >= 5 && a->ptr[2].type == MSGPACK_OBJECT_STR &&
        arg_u64(a, 3, &off) && arg_u64(a, 4, &len) && len <= MAX_CHUNK &&
        safe_name(a->ptr[2].via.str.ptr, a->ptr[2].via.str.size)) {
        char *dir = pv_path(s->run, (long)v), p[4096];
        snprintf(p, sizeof p, "%s/%.*s", dir, (int)a->ptr[2].via.str.size, a->ptr[2].via.str.ptr);
        free(dir);
        int fd = open(p, O_RDONLY);
        if (fd < 0)
            goto gone;
        char *buf = xmalloc(len ? len : 1);
        ssize_t n = pread(fd, buf, len, (off_t)off);
        close(fd);
        if (n < 0) {
            free(buf);
            goto gone;
        }
        msgpack_pack_array(pk, 5);
        pack_s(pk, "pv-chunk", 8);
        msgpack_pack_uint64(pk, v);
        pack_s(pk, a->ptr[2].via.str.ptr, a->ptr[2].via.str.size);
        msgpack_pack_uint64(pk, off);
        msgpack_pack_bin(pk, (size_t)n);
        msgpack_pack_bin_body(pk, buf, (size_t)n);
        free(buf);
        return;
    }
bad:
    msgpack_pack_array(pk, 1);
    pack_s(pk, "pv-bad", 6);
    return;
gone:
    msgpack_pack_array(pk, 2);
    pack_s(pk, "pv-gone", 7);
    msgpack_pack_uint64(pk, v);
}

static void *serve(void *arg)
{
    pvnet_server *s = arg;
    double last = 0, stop_at = 0;
    for (;;) {
        double now = now_seconds();
        if (atomic_load(&s->stop)) {
            if (!stop_at)
                stop_at = now;
            /* workers waiting for a version poll often: let them see the
             * last (stopped) line, then go */
            if (now - (last > stop_at ? last : stop_at) > 1.0 || now - stop_at > 5.0)
                break;
        }
        zmq_pollitem_t it = {s->sock, 0, ZMQ_POLLIN, 0};
        zmq_poll(&it, 1, 100);
        for (;;) {
            zmq_msg_t rid, req;
            zmq_msg_init(&rid);
            if (zmq_msg_recv(&rid, s->sock, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&rid);
                break;
            }
            zmq_msg_init(&req);
            if (!zmq_msg_more(&rid) || zmq_msg_recv(&req, s->sock, 0) < 0) {
                zmq_msg_close(&rid);
                zmq_msg_close(&req);
                continue;
            }
            while (zmq_msg_more(&req)) { /* a request is one frame: drop the rest */
                zmq_msg_t x;
                zmq_msg_init(&x);
                zmq_msg_recv(&x, s->sock, 0);
                int more = zmq_msg_more(&x);
                zmq_msg_close(&x);
                if (!more)
                    break;
            }
            last = now_seconds();
            msgpack_zone zone;
            msgpack_zone_init(&zone, 1024);
            msgpack_object o;
            msgpack_sbuffer sb;
            msgpack_packer pk;
            msgpack_sbuffer_init(&sb);
            msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
            /* any tag: answer() dispatches on it */
            size_t off = 0;
            if (zmq_msg_size(&req) < 4096 &&
                msgpack_unpack(zmq_msg_data(&req), zmq_msg_size(&req), &off, &zone, &o) == MSGPACK_UNPACK_SUCCESS &&
                o.type == MSGPACK_OBJECT_ARRAY && o.via.array.size >= 1 &&
                o.via.array.ptr[0].type == MSGPACK_OBJECT_STR)
                answer(s, &o.via.array, &pk);
            else {
                msgpack_pack_array(&pk, 1);
                pack_s(&pk, "pv-bad", 6);
            }
            zmq_send(s->sock, zmq_msg_data(&rid), zmq_msg_size(&rid), ZMQ_SNDMORE | ZMQ_DONTWAIT);
            zmq_send(s->sock, sb.data, sb.size, ZMQ_DONTWAIT);
            msgpack_sbuffer_destroy(&sb);
            msgpack_zone_destroy(&zone);
            zmq_msg_close(&rid);
            zmq_msg_close(&req);
        }
    }
    return NULL;
}

/* "@tcp://H:P?key=F&allow=F" -> the address to bind or connect (malloc'd;
 * the options point into it) and its CURVE options; anything else after
 * '?' is a usage error. */
static char *endpoint_opts(const char *opt, const char *endpoint, zcurve_opts *o)
{
    zcurve_init(o);
    char *addr = xstrdup(endpoint + 1), *q = strchr(addr, '?'), *save = NULL, err[256];
    if (!q)
        return addr;
    *q++ = 0;
    for (char *tok = strtok_r(q, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
        int c = zcurve_parse_opt(o, tok, err, sizeof err);
        if (c < 0)
            die(EX_USAGE, "%s %s: %s", opt, endpoint, err);
        if (c == 0)
            die(EX_USAGE, "%s %s: unknown endpoint option '%s' (known: key=FILE, curve=FILE, allow=FILE, insecure=1)",
                opt, endpoint, tok);
    }
    return addr;
}

pvnet_server *pvnet_serve(const char *endpoint, const char *run)
{
    if (endpoint[0] != '@')
        die(EX_USAGE, "--publish %s: give a bind endpoint (@tcp://HOST:PORT or @ipc://PATH)", endpoint);
    pvnet_server *s = xcalloc(1, sizeof *s);
    s->run = xstrdup(run);
    s->mver = -1;
    s->addr = endpoint_opts("--publish", endpoint, &s->sec);
    s->ctx = zmq_ctx_new();
    s->sock = zmq_socket(s->ctx, ZMQ_ROUTER);
    int linger = 0;
    zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof linger);
    char err[512];
    if (zcurve_apply(s->ctx, s->sock, &s->sec, 1, err, sizeof err) < 0 ||
        zcurve_check_bind(&s->sec, s->addr, err, sizeof err) < 0)
        die(EX_USAGE, "--publish %s: %s", endpoint, err);
    if (zmq_bind(s->sock, s->addr) != 0)
        die(EX_NOINPUT, "--publish %s: cannot bind: %s", endpoint, zmq_strerror(errno));
    if (pthread_create(&s->th, NULL, serve, s) != 0)
        die(EX_OSERR, "--publish: cannot start the server thread");
    return s;
}

void pvnet_stop(pvnet_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, 1);
    pthread_join(s->th, NULL);
    zmq_close(s->sock);
    zcurve_release(&s->sec);
    zcurve_stop(s->ctx);
    zmq_ctx_term(s->ctx);
    free(s->mf);
    free(s->run);
    free(s->addr);
    free(s);
}

/* ---- client ---- */

struct pvnet_client {
    void *ctx, *sock;
    char *ep;
    int curve;              /* a CURVE client: a refused key looks like silence */
    double timeout;
    size_t chunk;
    zmq_msg_t reply;
    msgpack_zone zone;
};

pvnet_client *pvnet_connect(const char *endpoint)
{
    if (endpoint[0] != '>')
        die(EX_USAGE, "--policy-from %s: give a connect endpoint (>tcp://HOST:PORT or >ipc://PATH)", endpoint);
    pvnet_client *c = xcalloc(1, sizeof *c);
    c->ep = xstrdup(endpoint);
    c->timeout = 60;
    const char *e = getenv("PREFPIPE_ZMQ_TIMEOUT");
    if (e && atof(e) > 0)
        c->timeout = atof(e);
    c->chunk = 1u << 20;
    e = getenv("PREFPIPE_PV_CHUNK");
    if (e && atoll(e) > 0 && (unsigned long long)atoll(e) <= MAX_CHUNK)
        c->chunk = (size_t)atoll(e);
    zcurve_opts sec;
    char *addr = endpoint_opts("--policy-from", endpoint, &sec), err[512];
    c->ctx = zmq_ctx_new();
    c->sock = zmq_socket(c->ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zcurve_apply(c->ctx, c->sock, &sec, 0, err, sizeof err) < 0)
        die(EX_USAGE, "--policy-from %s: %s", endpoint, err);
    c->curve = sec.curve;
    if (zmq_connect(c->sock, addr) != 0)
        die(EX_USAGE, "--policy-from %s: %s", endpoint, zmq_strerror(errno));
    free(addr);
    zmq_msg_init(&c->reply);
    msgpack_zone_init(&c->zone, 1024);
    return c;
}

/* Send req, wait for the answer tagged `tag` (or "pv-gone": NULL with
 * *gone set).  No answer within the timeout ends the worker (75). */
static const msgpack_object_array *ask(pvnet_client *c, msgpack_sbuffer *req, const char *tag, int *gone)
{
    if (zmq_send(c->sock, req->data, req->size, 0) < 0)
        die(EX_IOERR, "%s: send: %s", c->ep, zmq_strerror(errno));
    zmq_pollitem_t it = {c->sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, (long)(c->timeout * 1000)) <= 0)
        die(EX_TEMPFAIL, "%s: the policy server did not answer within %g s (is ppo-step --publish running%s?)",
            c->ep, c->timeout, c->curve ? ", and does its allow= list hold this key, its key= match curve=" : "");
    zmq_msg_close(&c->reply);
    zmq_msg_init(&c->reply);
    if (zmq_msg_recv(&c->reply, c->sock, 0) < 0)
        die(EX_IOERR, "%s: receive: %s", c->ep, zmq_strerror(errno));
    msgpack_zone_clear(&c->zone);
    static msgpack_object o;
    const msgpack_object_array *a;
    *gone = 0;
    if ((a = tagged(zmq_msg_data(&c->reply), zmq_msg_size(&c->reply), &c->zone, &o, tag)))
        return a;
    if (tagged(zmq_msg_data(&c->reply), zmq_msg_size(&c->reply), &c->zone, &o, "pv-gone")) {
        *gone = 1;
        return NULL;
    }
    die(EX_PROTOCOL, "%s: unexpected answer from the policy server (to %s)", c->ep, tag);
}

static void req_begin(msgpack_sbuffer *sb, msgpack_packer *pk, const char *tag, int n)
{
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(pk, (size_t)n);
    pack_s(pk, tag, strlen(tag));
}

/* Fetch one file into part/NAME, continuing a partial one.  0 ok, -1 the
 * version is gone. */
static int fetch_file(pvnet_client *c, const char *part, long v, const pv_file *f)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s/%s", part, f->name) >= (int)sizeof p)
        die(EX_USAGE, "%s: path too long", part);
    for (int attempt = 0;; attempt++) {
        int fd = open(p, O_RDWR | O_CREAT, 0644);
        if (fd < 0)
            die(EX_CANTCREAT, "%s: %s", p, strerror(errno));
        struct stat st;
        fstat(fd, &st);
        uint64_t off = (uint64_t)st.st_size;
        if (off > f->size && ftruncate(fd, 0) == 0)
            off = 0;
        while (off < f->size) {
            uint64_t want = f->size - off < c->chunk ? f->size - off : c->chunk;
            msgpack_sbuffer sb;
            msgpack_packer pk;
            req_begin(&sb, &pk, "pv-chunk", 5);
            msgpack_pack_uint64(&pk, (uint64_t)v);
            pack_s(&pk, f->name, strlen(f->name));
            msgpack_pack_uint64(&pk, off);
            msgpack_pack_uint64(&pk, want);
            int gone;
            const msgpack_object_array *a = ask(c, &sb, "pv-chunk", &gone);
            msgpack_sbuffer_destroy(&sb);
            if (gone) {
                close(fd);
                return -1;
            }
            uint64_t aoff;
            if (a->size < 5 || !arg_u64(a, 3, &aoff) || aoff != off || a->ptr[4].type != MSGPACK_OBJECT_BIN ||
                a->ptr[4].via.bin.size == 0 || a->ptr[4].via.bin.size > want)
                die(EX_PROTOCOL, "%s: a bad chunk of %s (version %ld) at %llu", c->ep, f->name, v,
                    (unsigned long long)off);
            size_t n = a->ptr[4].via.bin.size;
            if (pwrite(fd, a->ptr[4].via.bin.ptr, n, (off_t)off) != (ssize_t)n)
                die(EX_IOERR, "%s: %s", p, strerror(errno));
            off += n;
        }
        uint64_t h;
        int ok = file_hash(fd, &h) == 0 && h == f->hash;
        if (!ok && ftruncate(fd, 0) != 0)
            die(EX_IOERR, "%s: %s", p, strerror(errno));
        close(fd);
        if (ok)
            return 0;
        if (attempt > 0)
            die(EX_IOERR, "%s: %s of version %ld fails its checksum twice", c->ep, f->name, v);
        fprintf(stderr, "%s: %s: %s of version %ld failed its checksum; fetching it again\n", progname, c->ep,
                f->name, v);
    }
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void rm_tree(const char *p) { nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* Fetch version v into dir/policy-vV.  0 ok, -1 gone meanwhile. */
static int fetch_version(pvnet_client *c, const char *dir, long v)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    req_begin(&sb, &pk, "pv-manifest", 2);
    msgpack_pack_uint64(&pk, (uint64_t)v);
    int gone;
    const msgpack_object_array *a = ask(c, &sb, "pv-manifest", &gone);
    msgpack_sbuffer_destroy(&sb);
    if (gone)
        return -1;
    if (a->size < 3 || a->ptr[2].type != MSGPACK_OBJECT_ARRAY)
        die(EX_PROTOCOL, "%s: a bad manifest for version %ld", c->ep, v);
    /* copy it out: the next request reuses the reply buffer */
    const msgpack_object_array *m = &a->ptr[2].via.array;
    int nf = (int)m->size;
    pv_file *fs = xcalloc((size_t)nf + 1, sizeof *fs);
    for (int i = 0; i < nf; i++) {
        const msgpack_object *e = &m->ptr[i];
        if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size < 3 || e->via.array.ptr[0].type != MSGPACK_OBJECT_STR ||
            !safe_name(e->via.array.ptr[0].via.str.ptr, e->via.array.ptr[0].via.str.size) ||
            !arg_u64(&e->via.array, 1, &fs[i].size) || !arg_u64(&e->via.array, 2, &fs[i].hash))
            die(EX_PROTOCOL, "%s: a bad manifest entry for version %ld", c->ep, v);
        memcpy(fs[i].name, e->via.array.ptr[0].via.str.ptr, e->via.array.ptr[0].via.str.size); /* < 256: safe_name */
    }
    char part[4096];
    snprintf(part, sizeof part, "%s/.policy-v%ld.part", dir, v);
    if (mkdir(part, 0755) != 0 && errno != EEXIST)
        die(EX_CANTCREAT, "%s: %s", part, strerror(errno));
    int rc = 0;
    for (int i = 0; i < nf && rc == 0; i++)
        rc = fetch_file(c, part, v, &fs[i]);
    free(fs);
    if (rc != 0) {
        rm_tree(part);
        return -1;
    }
    char *final = pv_path(dir, v);
    if (rename(part, final) != 0) {
        rm_tree(part);   /* there already (a restart raced us): keep that one */
        struct stat st;
        if (stat(final, &st) != 0)
            die(EX_IOERR, "%s: %s", final, strerror(errno));
    }
    free(final);
    return 0;
}

static void write_line(const char *dir, const char *line)
{
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof tmp, "%s/.latest.net.tmp", dir);
    snprintf(path, sizeof path, "%s/latest", dir);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%s\n", line) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 ||
        rename(tmp, path) != 0)
        die(EX_IOERR, "%s: %s", path, strerror(errno));
}

void pvnet_sync(const char *dir, void *arg)
{
    pvnet_client *c = arg;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    req_begin(&sb, &pk, "pv-latest", 1);
    int gone;
    const msgpack_object_array *a = ask(c, &sb, "pv-latest", &gone);
    msgpack_sbuffer_destroy(&sb);
    if (!a || a->size < 2 || a->ptr[1].type != MSGPACK_OBJECT_STR || a->ptr[1].via.str.size == 0 ||
        a->ptr[1].via.str.size > 200)
        return; /* nothing published yet */
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)a->ptr[1].via.str.size, a->ptr[1].via.str.ptr);
    char *end;
    long v = strtol(line, &end, 10);
    if (end == line || v < 0)
        die(EX_PROTOCOL, "%s: a bad version notice '%s'", c->ep, line);
    char path[4096], cur[256] = "";
    snprintf(path, sizeof path, "%s/latest", dir);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, cur, sizeof cur - 1) : 0;
    if (fd >= 0)
        close(fd);
    cur[n > 0 ? n : 0] = 0;
    cur[strcspn(cur, "\n")] = 0;
    if (!strcmp(cur, line))
        return;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        die(EX_CANTCREAT, "%s: %s", dir, strerror(errno));
    char *pv = pv_path(dir, v);
    struct stat st;
    int have = stat(pv, &st) == 0;
    free(pv);
    if (!have && fetch_version(c, dir, v) != 0)
        return; /* pruned meanwhile: the next notice names a newer one */
    write_line(dir, line);
    /* keep the newest few versions, as the trainer does */
    for (long k = v - 8; k >= 0 && k >= v - 64; k--) {
        char *old = pv_path(dir, k);
        if (stat(old, &st) == 0)
            rm_tree(old);
        free(old);
    }
}
