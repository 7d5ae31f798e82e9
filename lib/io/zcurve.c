/*
 * zcurve.c — CURVE keys, the in-process ZAP handler and the bind rule for
 * ZeroMQ record streams (the contract is in zcurve.h).
 *
 * Invariants:
 * - A CURVE server socket is created only after the ZAP handler is bound
 *   on its context: libzmq accepts every client key when no handler is
 *   there, so the order is what makes allow= mean anything.
 * - The handler answers 200 only for a CURVE request whose domain is
 *   registered and whose 32-byte client key is in that domain's list;
 *   anything else (unknown domain, another mechanism, a malformed request)
 *   gets 400.  The registry is shared with the handler thread under a mutex.
 * - Secret keys are read only from files private to their owner, and key
 *   files are written with O_EXCL (0600 for the secret one) so a key is
 *   never written into a file someone else prepared.
 */
#include "io/zcurve.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define KEY_FILE_MAX 65536

/* ---- the allowed-keys registry, one entry per CURVE server socket ---- */

typedef struct {
    char domain[48];
    unsigned char (*keys)[32];
    int nkeys;
} zdomain;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static zdomain *g_dom;
static int g_ndom;
static unsigned g_seq;

/* The handlers: one thread owning a REP socket per context that has a
 * CURVE server (the record streams' shared context, and ppo-step's policy
 * server, which has a context of its own: lib/rl/policy_net.c). */
#define ZAP_MAX_CTX 4
static struct { void *ctx; pthread_t thread; } g_zap[ZAP_MAX_CTX];
static int g_nzap;
static pthread_mutex_t g_zap_mu = PTHREAD_MUTEX_INITIALIZER;

static int key_allowed(const char *domain, size_t dlen, const unsigned char *key)
{
    int ok = 0;
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < g_ndom && !ok; i++) {
        if (strlen(g_dom[i].domain) != dlen || memcmp(g_dom[i].domain, domain, dlen) != 0)
            continue;
        for (int k = 0; k < g_dom[i].nkeys && !ok; k++)
            ok = memcmp(g_dom[i].keys[k], key, 32) == 0;
    }
    pthread_mutex_unlock(&g_mu);
    return ok;
}

static void send_frame(void *s, const void *d, size_t n, int more)
{
    zmq_send(s, d, n, more ? ZMQ_SNDMORE : 0);
}

/* One ZAP request (RFC 27): version, request id, domain, address, routing
 * id, mechanism, credentials...; the reply: version, request id, status
 * code, status text, user id, metadata. */
static void *zap_main(void *arg)
{
    void *rep = arg;
    for (;;) {
        zmq_msg_t f[8];
        int n = 0, more = 1, dead = 0;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, rep, 0) < 0) {
                zmq_msg_close(&m);
                if (errno == EINTR)
                    continue;
                dead = 1; /* ETERM: the context is shutting down */
                break;
            }
            more = zmq_msg_more(&m);
            if (n < 8)
                f[n++] = m;
            else
                zmq_msg_close(&m);
        }
        if (dead) {
            for (int i = 0; i < n; i++)
                zmq_msg_close(&f[i]);
            break;
        }
        int ok = n == 7 && zmq_msg_size(&f[0]) == 3 && memcmp(zmq_msg_data(&f[0]), "1.0", 3) == 0 &&
                 zmq_msg_size(&f[5]) == 5 && memcmp(zmq_msg_data(&f[5]), "CURVE", 5) == 0 &&
                 zmq_msg_size(&f[6]) == 32 &&
                 key_allowed(zmq_msg_data(&f[2]), zmq_msg_size(&f[2]), zmq_msg_data(&f[6]));
        send_frame(rep, "1.0", 3, 1);
        if (n > 1)
            send_frame(rep, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), 1);
        else
            send_frame(rep, "", 0, 1);
        send_frame(rep, ok ? "200" : "400", 3, 1);
        const char *text = ok ? "OK" : "client key not allowed";
        send_frame(rep, text, strlen(text), 1);
        send_frame(rep, "", 0, 1);
        send_frame(rep, "", 0, 0);
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
    }
    int linger = 0;
    zmq_setsockopt(rep, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(rep);
    return NULL;
}

static int zap_start(void *ctx, char *err, size_t errcap)
{
    int rc = 0;
    pthread_mutex_lock(&g_zap_mu);
    for (int i = 0; i < g_nzap; i++)
        if (g_zap[i].ctx == ctx)
            goto out;
    rc = -1;
    if (g_nzap == ZAP_MAX_CTX) {
        snprintf(err, errcap, "cannot start the ZAP handler: more than %d ZeroMQ contexts with CURVE servers",
                 ZAP_MAX_CTX);
        goto out;
    }
    void *rep = zmq_socket(ctx, ZMQ_REP);
    if (!rep || zmq_bind(rep, ZAP_ENDPOINT) != 0) {
        snprintf(err, errcap, "cannot start the ZAP handler: %s", zmq_strerror(errno));
        if (rep)
            zmq_close(rep);
        goto out;
    }
    if (pthread_create(&g_zap[g_nzap].thread, NULL, zap_main, rep) != 0) {
        snprintf(err, errcap, "cannot start the ZAP handler thread");
        zmq_close(rep);
        goto out;
    }
    g_zap[g_nzap++].ctx = ctx;
    rc = 0;
out:
    pthread_mutex_unlock(&g_zap_mu);
    return rc;
}

void zcurve_stop(void *ctx)
{
    pthread_mutex_lock(&g_zap_mu);
    int i = 0;
    while (i < g_nzap && g_zap[i].ctx != ctx)
        i++;
    if (i == g_nzap) {
        pthread_mutex_unlock(&g_zap_mu);
        return;
    }
    pthread_t th = g_zap[i].thread;
    g_zap[i] = g_zap[--g_nzap];
    pthread_mutex_unlock(&g_zap_mu);
    /* every other socket is closed: shutting the context down makes the
     * handler's receive fail with ETERM, and it closes its socket */
    zmq_ctx_shutdown(ctx);
    pthread_join(th, NULL);
}

/* ---- key files ---- */

static int is_z85_key(const char *s, size_t n)
{
    if (n != 40)
        return 0;
    unsigned char tmp[32];
    char buf[41];
    memcpy(buf, s, 40);
    buf[40] = 0;
    return zmq_z85_decode(tmp, buf) != NULL;
}

/* Read a key file; private: refuse unless only the owner can read it. */
static char *slurp(const char *path, int private, char *err, size_t errcap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errcap, "cannot read key file %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errcap, "key file %s is not a regular file", path);
        close(fd);
        return NULL;
    }
    if (private && (st.st_mode & 077)) {
        snprintf(err, errcap,
                 "refusing to read secret key file %s: group or others may access it (mode %03o; chmod 600 %s)",
                 path, (unsigned)(st.st_mode & 0777), path);
        close(fd);
        return NULL;
    }
    if (st.st_size > KEY_FILE_MAX) {
        snprintf(err, errcap, "key file %s is too large to be a key file", path);
        close(fd);
        return NULL;
    }
    char *buf = xmalloc((size_t)st.st_size + 1);
    ssize_t got = 0, r;
    while (got < st.st_size && (r = read(fd, buf + got, (size_t)(st.st_size - got))) > 0)
        got += r;
    close(fd);
    buf[got] = 0;
    return buf;
}

/* Walk the key lines of text: calls fn(name, value) for "name = value"
 * lines and fn("", line) for bare lines; '#' comments and blanks skipped.
 * Returns the line number of the first line fn rejects, or 0. */
static int each_line(char *text, int (*fn)(void *, const char *, const char *, size_t), void *arg)
{
    int lineno = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        lineno++;
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t n = strlen(s);
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
            s[--n] = 0;
        if (n && (*s != '#' || is_z85_key(s, n))) { /* '#' is a Z85 digit too */
            char *eq = strchr(s, '=');
            const char *name = "", *val = s;
            if (eq && eq - s < 16 && strspn(s, "abcdefghijklmnopqrstuvwxyz ") == (size_t)(eq - s)) {
                *eq = 0;
                for (char *e = eq - 1; e >= s && *e == ' '; e--)
                    *e = 0;
                name = s;
                val = eq + 1;
                while (*val == ' ')
                    val++;
            }
            if (fn(arg, name, val, strlen(val)) < 0)
                return lineno;
        }
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

typedef struct {
    char pub[41], sec[41];
    unsigned char (*keys)[32];
    int nkeys;
} keyscan;

static int take_pair(void *arg, const char *name, const char *val, size_t n)
{
    keyscan *k = arg;
    char *dst = strcmp(name, "public") == 0 ? k->pub : strcmp(name, "secret") == 0 ? k->sec : NULL;
    if (!dst || !is_z85_key(val, n))
        return -1;
    memcpy(dst, val, 41);
    return 0;
}

static int take_public(void *arg, const char *name, const char *val, size_t n)
{
    keyscan *k = arg;
    if ((*name && strcmp(name, "public") != 0) || !is_z85_key(val, n))
        return -1;
    k->keys = xrealloc(k->keys, (size_t)(k->nkeys + 1) * sizeof *k->keys);
    zmq_z85_decode(k->keys[k->nkeys++], val);
    if (!k->pub[0])
        memcpy(k->pub, val, 41);
    return 0;
}

int zcurve_read_secret(const char *path, char *pub_z85, char *sec_z85, char *err, size_t errcap)
{
    char *text = slurp(path, 1, err, errcap);
    if (!text)
        return -1;
    keyscan k = {0};
    int bad = each_line(text, take_pair, &k);
    free(text);
    char derived[41];
    if (bad) {
        snprintf(err, errcap, "key file %s line %d: expected 'public = KEY' or 'secret = KEY' (40 Z85 characters)",
                 path, bad);
        return -1;
    }
    if (!k.sec[0]) {
        snprintf(err, errcap, "key file %s has no 'secret =' line (a .pub file? key= takes the .key file)", path);
        return -1;
    }
    if (zmq_curve_public(derived, k.sec) != 0 || (k.pub[0] && strcmp(derived, k.pub) != 0)) {
        snprintf(err, errcap, "key file %s: the public key does not belong to the secret key", path);
        return -1;
    }
    memcpy(pub_z85, derived, 41);
    memcpy(sec_z85, k.sec, 41);
    return 0;
}

/* Every public key in a file (a .pub, a .key or a list); at least one. */
static int read_publics(const char *path, keyscan *k, char *err, size_t errcap)
{
    char *text = slurp(path, 0, err, errcap);
    if (!text)
        return -1;
    /* a .key file names its public key too; its secret line is skipped */
    for (char *s = strstr(text, "secret"); s; s = strstr(s + 1, "secret"))
        if (s == text || s[-1] == '\n') {
            char *nl = strchr(s, '\n');
            memset(s, ' ', nl ? (size_t)(nl - s) : strlen(s));
        }
    int bad = each_line(text, take_public, k);
    free(text);
    if (bad) {
        snprintf(err, errcap, "key file %s line %d: expected a public key ('public = KEY', 40 Z85 characters)",
                 path, bad);
        return -1;
    }
    if (k->nkeys == 0) {
        snprintf(err, errcap, "key file %s holds no public key", path);
        return -1;
    }
    return 0;
}

int zcurve_read_public(const char *path, char *pub_z85, char *err, size_t errcap)
{
    keyscan k = {0};
    int r = read_publics(path, &k, err, errcap);
    if (r == 0)
        memcpy(pub_z85, k.pub, 41);
    free(k.keys);
    return r;
}

static int write_new(const char *path, int mode, int force, const char *text, char *err, size_t errcap)
{
    if (force)
        unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf(err, errcap, errno == EEXIST ? "%s exists (use --force to replace it)" : "cannot create %s: %s", path,
                 strerror(errno));
        return -1;
    }
    fchmod(fd, (mode_t)mode); /* whatever the umask says */
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    if (close(fd) != 0)
        ok = 0;
    if (!ok) {
        snprintf(err, errcap, "cannot write %s: %s", path, strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
}

int zcurve_keygen(const char *name, int force, char *pub_z85, char *err, size_t errcap)
{
    char pub[41], sec[41];
    if (zmq_curve_keypair(pub, sec) != 0) {
        snprintf(err, errcap, "this libzmq has no CURVE (zmq_curve_keypair: %s)", zmq_strerror(errno));
        return EX_UNAVAILABLE;
    }
    size_t n = strlen(name) + 8;
    char *kpath = xmalloc(n), *ppath = xmalloc(n);
    snprintf(kpath, n, "%s.key", name);
    snprintf(ppath, n, "%s.pub", name);
    char text[256];
    snprintf(text, sizeof text,
             "# prefpipe CURVE key pair: keep this file secret (mode 0600)\npublic = %s\nsecret = %s\n", pub, sec);
    int rc = write_new(kpath, 0600, force, text, err, errcap) == 0 ? 0 : EX_CANTCREAT;
    if (rc == 0) {
        snprintf(text, sizeof text, "# prefpipe CURVE public key\npublic = %s\n", pub);
        if (write_new(ppath, 0644, force, text, err, errcap) != 0) {
            unlink(kpath);
            rc = EX_CANTCREAT;
        }
    }
    memset(text, 0, sizeof text);
    memset(sec, 0, sizeof sec);
    if (rc == 0 && pub_z85)
        memcpy(pub_z85, pub, 41);
    free(kpath);
    free(ppath);
    return rc;
}

/* ---- endpoint options ---- */

void zcurve_init(zcurve_opts *o)
{
    memset(o, 0, sizeof *o);
    o->insecure = -1;
}

int zcurve_parse_opt(zcurve_opts *o, const char *tok, char *err, size_t errcap)
{
    if (strncmp(tok, "key=", 4) == 0)
        o->key = tok + 4;
    else if (strncmp(tok, "curve=", 6) == 0)
        o->server = tok + 6;
    else if (strncmp(tok, "allow=", 6) == 0) {
        if (o->nallow == ZCURVE_MAX_ALLOW) {
            snprintf(err, errcap, "more than %d allow= options (put the keys in one file)", ZCURVE_MAX_ALLOW);
            return -1;
        }
        o->allow[o->nallow++] = tok + 6;
    } else if (strncmp(tok, "insecure=", 9) == 0) {
        if (strcmp(tok + 9, "0") != 0 && strcmp(tok + 9, "1") != 0) {
            snprintf(err, errcap, "bad insecure= value '%s' (0 or 1)", tok + 9);
            return -1;
        }
        o->insecure = tok[9] == '1';
    } else
        return 0;
    if (strchr(tok, '=')[1] == 0) {
        snprintf(err, errcap, "endpoint option '%s' needs a value", tok);
        return -1;
    }
    return 1;
}

static const char *env_or(const char *v, const char *name)
{
    const char *e;
    return v ? v : (e = getenv(name)) && *e ? e : NULL;
}

int zcurve_apply(void *ctx, void *sock, zcurve_opts *o, int bound, char *err, size_t errcap)
{
    o->key = env_or(o->key, "PREFPIPE_ZMQ_KEY");
    o->server = env_or(o->server, "PREFPIPE_ZMQ_SERVER_KEY");
    if (o->nallow == 0 && env_or(NULL, "PREFPIPE_ZMQ_ALLOW"))
        o->allow[o->nallow++] = getenv("PREFPIPE_ZMQ_ALLOW");
    if (o->insecure < 0) {
        const char *e = getenv("PREFPIPE_ZMQ_INSECURE");
        o->insecure = e && strcmp(e, "1") == 0;
    }
    if (!o->key && !o->server && o->nallow == 0)
        return 0; /* a plain socket: zcurve_check_bind decides where it may bind */
    if (!o->key) {
        snprintf(err, errcap, "%s needs key=FILE (this side's key pair, made by 'rec keygen NAME')",
                 bound ? "allow=" : "curve=");
        return -1;
    }
    if (bound && o->nallow == 0) {
        snprintf(err, errcap, "a CURVE endpoint that binds needs allow=FILE (the public keys of the clients it "
                              "accepts)");
        return -1;
    }
    if (!bound && !o->server) {
        snprintf(err, errcap, "a CURVE endpoint that connects needs curve=FILE (the server's public key)");
        return -1;
    }
    char pub[41], sec[41];
    if (zcurve_read_secret(o->key, pub, sec, err, errcap) < 0)
        return -1;
    int one = 1, rc = 0;
    if (bound) {
        keyscan k = {0};
        for (int i = 0; i < o->nallow && rc == 0; i++)
            rc = read_publics(o->allow[i], &k, err, errcap);
        if (rc == 0 && zap_start(ctx, err, errcap) < 0)
            rc = -1;
        if (rc < 0) {
            free(k.keys);
            memset(sec, 0, sizeof sec);
            return -1;
        }
        pthread_mutex_lock(&g_mu);
        snprintf(o->domain, sizeof o->domain, "prefpipe-%u", ++g_seq);
        g_dom = xrealloc(g_dom, (size_t)(g_ndom + 1) * sizeof *g_dom);
        zdomain *d = &g_dom[g_ndom++];
        snprintf(d->domain, sizeof d->domain, "%s", o->domain);
        d->keys = k.keys;
        d->nkeys = k.nkeys;
        pthread_mutex_unlock(&g_mu);
        rc |= zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, o->domain, strlen(o->domain));
        rc |= zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one);
    } else {
        char spub[41];
        if (zcurve_read_public(o->server, spub, err, errcap) < 0) {
            memset(sec, 0, sizeof sec);
            return -1;
        }
        rc |= zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, spub, 41);
    }
    rc |= zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, 41);
    rc |= zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, 41);
    memset(sec, 0, sizeof sec);
    if (rc != 0) {
        snprintf(err, errcap, "cannot set CURVE options: %s", zmq_strerror(errno));
        return -1;
    }
    o->curve = 1;
    return 0;
}

void zcurve_release(zcurve_opts *o)
{
    if (!o->domain[0])
        return;
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < g_ndom; i++)
        if (strcmp(g_dom[i].domain, o->domain) == 0) {
            free(g_dom[i].keys);
            g_dom[i] = g_dom[--g_ndom];
            break;
        }
    if (g_ndom == 0) {
        free(g_dom);
        g_dom = NULL;
    }
    pthread_mutex_unlock(&g_mu);
    o->domain[0] = 0;
}

/* ---- where a plain socket may bind ---- */

int zcurve_local_endpoint(const char *ep)
{
    if (strncmp(ep, "ipc://", 6) == 0 || strncmp(ep, "inproc://", 9) == 0)
        return 1;
    if (strncmp(ep, "tcp://", 6) != 0)
        return 0;
    const char *host = ep + 6, *colon = strrchr(host, ':');
    if (!colon)
        return 0;
    size_t n = (size_t)(colon - host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
        host++, n -= 2;
    if ((n == 9 && memcmp(host, "localhost", 9) == 0) || (n == 3 && memcmp(host, "::1", 3) == 0) ||
        (n == 2 && memcmp(host, "lo", 2) == 0))
        return 1;
    /* 127.0.0.0/8, written as a dotted quad */
    if (n < 9 || n > 15 || memcmp(host, "127.", 4) != 0)
        return 0;
    int dots = 0;
    for (size_t i = 0; i < n; i++) {
        if (host[i] == '.')
            dots++;
        else if (host[i] < '0' || host[i] > '9')
            return 0;
    }
    return dots == 3;
}

int zcurve_check_bind(const zcurve_opts *o, const char *ep, char *err, size_t errcap)
{
    if (o->curve || o->insecure || zcurve_local_endpoint(ep))
        return 0;
    snprintf(err, errcap,
             "refusing to bind %s without CURVE: other hosts could read or inject records. Bind to loopback "
             "(tcp://127.0.0.1:P) or ipc://, give key=FILE&allow=FILE (see prefpipe(7)), or opt in with "
             "insecure=1 (or PREFPIPE_ZMQ_INSECURE=1)",
             ep);
    return -1;
}
