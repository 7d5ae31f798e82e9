/*
 * rollout — sample responses from a policy: prompt records in, rollout
 * records out (man 1 rollout).  The logic lives in lib/rl/rollout.c (batch
 * plan, sampling, records) and lib/rl/policy_version.c (the version
 * protocol) and lib/rl/policy_follow.c (waiting for a version); this file
 * parses options and runs the loop:
 *
 *   static (-c DIR):   every batch from DIR, version --policy-version.
 *   follow (-f DIR):   before batch j, wait until DIR/latest >= j - K
 *                      (K = --max-lag), load that version if it is new,
 *                      sample, write, flush.  Start (or restart) at
 *                      batch j = latest, and skip ahead whenever latest
 *                      passes j: a restarted rollout regenerates the
 *                      batch being trained with the same ids, which
 *                      ppo-step deduplicates, so nothing is lost or
 *                      counted twice.
 * With K = 0 (the default) batch j is sampled by version j exactly:
 * strictly on-policy.  With --policy-from EP, DIR is a local mirror of
 * ppo-step's RUN on another host (lib/rl/policy_net.c fills it before each
 * read of DIR/latest), and everything above holds unchanged.
 */
#include "train/checkpoint.h"
#include "backend/backend.h"
#include "base/cli.h"
#include "base/config.h"
#include "base/threads.h"
#include "base/inputs.h"
#include "rl/policy_follow.h"
#include "rl/policy_net.h"
#include "rl/policy_version.h"
#include "rl/rollout.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: rollout (-c DIR | -f DIR) [OPTIONS] [PROMPTS...]\n"
    "\n"
    "Sample rollout records (response, tokens, log-probs, finish, policy\n"
    "version, sampler) for prompt records.\n"
    "\n"
    "  -c, --checkpoint DIR     a fixed policy checkpoint\n"
    "  -f, --follow DIR         follow the versions ppo-step publishes in DIR\n"
    "                           (DIR/latest, DIR/policy-vN)\n"
    "      --policy-from EP     with -f DIR: fetch the versions from ppo-step\n"
    "                           --publish at EP (>tcp://HOST:PORT) into DIR, a\n"
    "                           local folder (no shared RUN needed)\n"
    "      --max-lag K          sample batch j with a version >= j - K (default 0:\n"
    "                           strictly on-policy; waits for each update)\n"
    "      --policy-version N   version written with -c (default 0)\n"
    "  -n, --samples R          rollouts per prompt (default 1)\n"
    "  -B, --batch-prompts B    prompts per batch (default 64)\n"
    "      --epochs E           passes over the prompts (default 1)\n"
    "      --batches N          stop after batch N-1 (default: all)\n"
    "      --shuffle            seeded shuffle of the prompts in each epoch\n"
    "  -t, --temperature X      sampling temperature (default 0.7; 0 greedy)\n"
    "      --top-p P            nucleus sampling (default 1 = off)\n"
    "      --top-k K            top-k sampling (default 0 = off)\n"
    "      --max-prompt N       skip (and count) prompts over N tokens (default 1024)\n"
    "      --max-new N          max response tokens (default 1024)\n"
    "      --gen-batch N        sequences per generation call (default 32)\n"
    "  -s, --seed N             sampling/shuffle seed (default 0)\n"
    "      --wait-timeout S     give up waiting for a version after S seconds\n"
    "                           (exit 75; default 0 = wait forever)\n"
    "      --poll S             version poll interval (default 0.05)\n"
    "  -o, --output URI         output (default stdout; ZeroMQ endpoints work)\n"
    "      --progress           progress on stderr\n"
    "  -j, --threads N          CPU threads (default OMP_NUM_THREADS, else all cores;\n"
    "                           never picked from the machine's load)\n"
    "      --config FILE        \"key = value\" lines for long options; flags on\n"
    "                           the command line override them\n"
    "      --device NAME        compute backend: cpu (default; cuda where built)\n"
    "  -h, --help / -V, --version\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad prompt record, 66 cannot open,\n"
    "74 I/O error, 75 timed out waiting for a policy version.\n";

enum { O_FROM = 999, O_LAG = 1000, O_PVER, O_EPOCHS, O_BATCHES, O_SHUF, O_TOPP, O_TOPK, O_MAXP, O_MAXN, O_GENB, O_WAIT, O_POLL, O_PROG, O_DEVICE };

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    threads_init(argv);   /* passive OpenMP waiting unless chosen (threads.h) */
    util_install_signal_cleanup();
    static const struct option lo[] = {
        {"checkpoint", required_argument, 0, 'c'}, {"follow", required_argument, 0, 'f'},
        {"max-lag", required_argument, 0, O_LAG}, {"policy-version", required_argument, 0, O_PVER},
        {"samples", required_argument, 0, 'n'}, {"batch-prompts", required_argument, 0, 'B'},
        {"epochs", required_argument, 0, O_EPOCHS}, {"batches", required_argument, 0, O_BATCHES},
        {"shuffle", no_argument, 0, O_SHUF}, {"temperature", required_argument, 0, 't'},
        {"top-p", required_argument, 0, O_TOPP}, {"top-k", required_argument, 0, O_TOPK},
        {"max-prompt", required_argument, 0, O_MAXP}, {"max-new", required_argument, 0, O_MAXN},
        {"gen-batch", required_argument, 0, O_GENB}, {"seed", required_argument, 0, 's'},
        {"wait-timeout", required_argument, 0, O_WAIT}, {"poll", required_argument, 0, O_POLL},
        {"output", required_argument, 0, 'o'}, {"progress", no_argument, 0, O_PROG},
        {"device", required_argument, 0, O_DEVICE}, {"policy-from", required_argument, 0, O_FROM},
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'}, THREADS_OPTION, {0, 0, 0, 0}};
    const char *ckpt = NULL, *follow = NULL, *out_uri = "-";
    const char *device = NULL, *from = NULL;
    long lag = 0, pver = 0, max_batches = -1;
    int max_prompt = 1024, gen_batch = 32, progress = 0, c;
    double wait_timeout = 0, poll = 0.05;
    rollout_plan pl = {64, 1, 1, 0, 0};
    sampler_cfg sc = sampler_defaults();
    sc.temperature = 0.7;
    sc.max_new = 1024;
    config_apply(&argc, &argv, lo);   /* --config FILE: its options first, ours override */
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "c:f:n:B:t:s:o:hVj:", lo, NULL)) != -1) {
        switch (c) {
        case 'c': ckpt = optarg; break;
        case 'f': follow = optarg; break;
        case O_LAG: lag = parse_ll("--max-lag", optarg, 0, 1 << 20); break;
        case O_PVER: pver = parse_ll("--policy-version", optarg, 0, INT64_MAX); break;
        case 'n': pl.r = (int)parse_ll("--samples", optarg, 1, 1 << 16); break;
        case 'B': pl.B = (int)parse_ll("--batch-prompts", optarg, 1, 1 << 24); break;
        case O_EPOCHS: pl.epochs = (int)parse_ll("--epochs", optarg, 1, 1 << 20); break;
        case O_BATCHES: max_batches = parse_ll("--batches", optarg, 0, INT64_MAX); break;
        case O_SHUF: pl.shuffle = 1; break;
        case 't': sc.temperature = parse_double("--temperature", optarg); break;
        case O_TOPP: sc.top_p = parse_double("--top-p", optarg); break;
        case O_TOPK: sc.top_k = (int)parse_ll("--top-k", optarg, 0, 1 << 24); break;
        case O_MAXP: max_prompt = (int)parse_ll("--max-prompt", optarg, 1, 1 << 24); break;
        case O_MAXN: sc.max_new = (int)parse_ll("--max-new", optarg, 1, 1 << 24); break;
        case O_GENB: gen_batch = (int)parse_ll("--gen-batch", optarg, 1, 1 << 16); break;
        case 's': pl.seed = (uint64_t)parse_ll("--seed", optarg, 0, INT64_MAX); break;
        case O_WAIT: wait_timeout = parse_double("--wait-timeout", optarg); break;
        case O_POLL: poll = parse_double("--poll", optarg); break;
        case 'o': out_uri = optarg; break;
        case O_PROG: progress = 1; break;
        case O_DEVICE: device = optarg; break;
        case O_FROM: from = optarg; break;
        case 'j': threads_set("--threads", optarg); break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_bad_option(argv, lo);
        }
    }
    policy_t pol = {.be = backend_for_device(device)};
    if (!ckpt == !follow) cli_usage_error("give exactly one of -c DIR and -f DIR");
    if (from && !follow) cli_usage_error("--policy-from needs -f DIR (the local folder it fills)");
    if (from) pv_set_sync(pvnet_sync, pvnet_connect(from));
    if (!(sc.temperature >= 0)) cli_usage_error("--temperature must be >= 0");
    if (!(sc.top_p > 0 && sc.top_p <= 1)) cli_usage_error("--top-p must be in (0, 1]");
    if (!(poll > 0)) cli_usage_error("--poll must be positive");
    sc.seed = pl.seed;

    policy_follower fol;
    long v0 = pver;
    if (follow) {
        pf_init(&fol, follow, wait_timeout, poll, !strcmp(out_uri, "-"));
        v0 = pf_wait(&fol, 0);
        if (v0 == PF_STOPPED) {   /* nothing to sample: end the stream empty */
            rs_close(rs_open_write(out_uri));
            return 0;
        }
        pf_load(&fol, &pol, v0);
    } else {
        policy_load(&pol, ckpt, pver);
    }
    sc.eos_id = pol.m->c.eos_id;
    if (max_prompt + sc.max_new > pol.m->c.max_pos)
        die(EX_USAGE, "--max-prompt %d + --max-new %d exceed the model's %d positions", max_prompt, sc.max_new,
            pol.m->c.max_pos);

    rollout_set set = {0};
    int ninputs;
    char **inputs = cli_inputs(argc, argv, optind, &ninputs);
    for (int i = 0; i < ninputs; i++) rollout_set_load(&set, inputs[i], pol.tok, max_prompt);
    if (set.too_long)
        fprintf(stderr, "%s: skipped %llu of %llu prompts over %d tokens\n", progname,
                (unsigned long long)set.too_long, (unsigned long long)set.read, max_prompt);

    long total = rollout_nbatches(&pl, set.n);
    if (max_batches >= 0 && max_batches < total) total = max_batches;
    rstream *out = rs_open_write(out_uri);
    progress_t pr;   /* batches sampled of the planned total */
    progress_init(&pr, "batches", total > 0 ? (uint64_t)total : 0, progress);
    uint64_t ntok = 0, nrec = 0;
    double t0 = now_seconds();
    long j = follow ? v0 : 0;
    for (; j < total; j++) {
        if (follow) {
            long v = pf_wait(&fol, j - lag);
            if (v == PF_STOPPED) break;
            if (fol.restart_at >= 0) j = fol.restart_at, fol.restart_at = -1;
            if (v > j) j = v;          /* batches before v were trained already */
            if (j >= total) break;
            if (v != pol.version) pf_load(&fol, &pol, v);
        }
        rollout_policy rp = {pol.path, pol.version, pol.fp};
        long n = rollout_write_batch(pol.m, pol.tok, &sc, &pl, &set, j, gen_batch, &rp, out, &ntok);
        rs_flush(out);
        nrec += (uint64_t)n;
        pr.done = (uint64_t)j;   /* a follower may skip ahead */
        progress_add(&pr, 1);
    }
    progress_finish(&pr);
    rs_close(out);
    double el = now_seconds() - t0;
    fprintf(stderr, "%s: %llu rollouts, %llu tokens in %.2fs (%.0f tokens/s)\n", progname, (unsigned long long)nrec,
            (unsigned long long)ntok, el, el > 0 ? ntok / el : 0.0);
    rollout_set_free(&set);
    policy_free(&pol);
    return 0;
}
