/*
 * zcurve.h — who may talk to a ZeroMQ record stream: CURVE keys, the ZAP
 * handler that checks client keys, and the rule on where a plain (not
 * CURVE) socket may bind.  Used by io/zstream.c and by the policy-version
 * endpoints (rl/policy_net.c); the user-facing description is in
 * prefpipe(7), "SECURITY MODEL".
 *
 * Key files are text, one "public = Z85" and (secret files only) one
 * "secret = Z85" line; '#' starts a comment.  `zcurve_keygen` writes
 * NAME.key (mode 0600, both keys) and NAME.pub (the public key).  A secret
 * key is read only from a regular file that neither group nor others can
 * read or write.  An allow list is any number of public keys, one per line
 * ("public = Z85" or the bare Z85 text), so `cat a.pub b.pub` is one.
 *
 * Endpoint options (after '?', '&'-separated; the environment gives the
 * defaults for every endpoint of the process):
 *   key=FILE     this side's key pair           PREFPIPE_ZMQ_KEY
 *   curve=FILE   connecting: the server's public key  PREFPIPE_ZMQ_SERVER_KEY
 *   allow=FILE   binding: accepted client keys (repeatable)  PREFPIPE_ZMQ_ALLOW
 *   insecure=1   allow a plain bind on a non-loopback address  PREFPIPE_ZMQ_INSECURE=1
 * A binding side with key= is a CURVE server and needs allow=; a
 * connecting side with curve= is a CURVE client and needs key=.
 *
 * The ZAP handler is a thread of this process with a REP socket on
 * inproc://zeromq.zap.01, one per ZeroMQ context that has a CURVE server
 * (at most 4; zcurve_stop(ctx) ends that context's); each CURVE server socket
 * gets its own ZAP domain, under which its allowed keys are registered, and
 * a request for an unknown domain or a key not listed is refused (400).
 */
#ifndef PREFPIPE_ZCURVE_H
#define PREFPIPE_ZCURVE_H

#include <stddef.h>

#define ZCURVE_MAX_ALLOW 16

typedef struct {
    const char *key, *server;          /* option values, or NULL */
    const char *allow[ZCURVE_MAX_ALLOW];
    int nallow;
    int insecure;                      /* -1: not given */
    int curve;                         /* set by zcurve_apply: CURVE is on */
    char domain[48];                   /* servers: our ZAP domain */
} zcurve_opts;

void zcurve_init(zcurve_opts *o);
/* One "name=value" endpoint option: 1 taken, 0 not ours, -1 bad (err). */
int zcurve_parse_opt(zcurve_opts *o, const char *tok, char *err, size_t errcap);
/* Fill defaults from the environment, read the keys and set the socket's
 * CURVE options (starting the ZAP handler for a server).  0 or -1 (err). */
int zcurve_apply(void *ctx, void *sock, zcurve_opts *o, int bound, char *err, size_t errcap);
/* A bound endpoint: refuse a plain bind that is reachable from other
 * hosts unless insecure was asked for.  0 or -1 (err). */
int zcurve_check_bind(const zcurve_opts *o, const char *ep, char *err, size_t errcap);
/* Is ep reachable only from this host (ipc://, inproc://, tcp loopback)? */
int zcurve_local_endpoint(const char *ep);
/* The socket closes: forget its allowed keys. */
void zcurve_release(zcurve_opts *o);
/* The context is about to terminate: stop the ZAP handler (if any). */
void zcurve_stop(void *ctx);

/* Write NAME.key (0600) and NAME.pub; refuses existing files unless force.
 * Returns 0, or an exit code (sysexits) with err filled. */
int zcurve_keygen(const char *name, int force, char *pub_z85, char *err, size_t errcap);
/* Read keys (Z85, 40 chars + NUL).  0 or -1 (err). */
int zcurve_read_secret(const char *path, char *pub_z85, char *sec_z85, char *err, size_t errcap);
int zcurve_read_public(const char *path, char *pub_z85, char *err, size_t errcap);

#endif
