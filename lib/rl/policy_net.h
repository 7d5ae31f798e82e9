/*
 * policy_net.h — policy versions over ZeroMQ, for rollout workers on hosts
 * that do not share ppo-step's RUN folder (man 1 ppo-step --publish, man 1
 * rollout --policy-from).  The file protocol (policy_version.h) stays the
 * one truth: the server serves RUN as ppo-step writes it, and the client
 * mirrors it into a local folder that rollout then follows exactly as it
 * follows a shared RUN, so gating (--max-lag), restarts and the "stopped"
 * mark behave the same on both transports.
 *
 * Server (ppo-step --publish @tcp://HOST:P): a thread with a ROUTER socket
 * and its own ZeroMQ context, answering requests (msgpack arrays):
 *   ["pv-latest"]                   -> ["pv-latest", LINE]   the notice:
 *                                       RUN/latest's line ("" when none)
 *   ["pv-manifest", N]              -> ["pv-manifest", N, [[NAME, SIZE, HASH]...]]
 *   ["pv-chunk", N, NAME, OFF, LEN] -> ["pv-chunk", N, NAME, OFF, BYTES]
 * and ["pv-gone", N] when policy-vN was pruned meanwhile.  HASH is
 * hash64 over the file (computed once per version).  At stop the thread
 * keeps answering until no request came for a second (at most 5 s), so
 * waiting workers see the final, stopped line.
 *
 * Client (rollout -f DIR --policy-from >tcp://host:P): before every read
 * of DIR/latest, asks for the notice; for a new version N it fetches the
 * files in chunks (PREFPIPE_PV_CHUNK bytes, default 1 MiB) into
 * DIR/.policy-vN.part/, checks sizes and hashes, renames the folder to
 * DIR/policy-vN and only then writes DIR/latest with the server's line.
 * A killed worker resumes: partial files are continued from their size.
 * A server that answers nothing for `timeout` seconds (PREFPIPE_ZMQ_TIMEOUT,
 * default 60) ends the worker with exit 75.
 */
#ifndef PREFPIPE_POLICY_NET_H
#define PREFPIPE_POLICY_NET_H

typedef struct pvnet_server pvnet_server;
typedef struct pvnet_client pvnet_client;

/* Serve RUN at endpoint ("@tcp://..." or "@ipc://..."); dies 66 when it
 * cannot bind. */
pvnet_server *pvnet_serve(const char *endpoint, const char *run);
void pvnet_stop(pvnet_server *s);

/* Connect to a server (">tcp://..."); a bad endpoint dies 64. */
pvnet_client *pvnet_connect(const char *endpoint);
/* Mirror the server's latest version into dir (the pv_set_sync hook). */
void pvnet_sync(const char *dir, void *client);

#endif
