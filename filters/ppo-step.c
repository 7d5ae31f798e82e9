/*
 * ppo-step — train a policy with PPO on scored rollouts (man 1 ppo-step).
 *
 * The trainer's assembly, the per-batch commit and the records written are
 * lib/rl/ppo_session.c's.  The loop: read records (lib/rl/ppo_intake.c
 * checks them and assembles batch j = the current version), train on the
 * batch (lib/rl/ppo_train.c), save the resumable state
 * (lib/rl/ppo_state.c), publish version j + 1 (lib/rl/policy_version.c:
 * RUN/policy-vN + RUN/latest, which rollout -f follows), write one
 * metrics record.  A fresh run publishes version 0
 * (the initial policy) first; --resume reloads RUN/state and republishes
 * its version.  With --publish EP a thread also serves RUN's versions
 * over ZeroMQ (lib/rl/policy_net.c) to rollout workers on other hosts.
 * stdout carries metrics records only.
 */
#include "backend/backend.h"
#include "base/cli.h"
#include "base/config.h"
#include "base/threads.h"
#include "base/inputs.h"
#include "rl/policy_version.h"
#include "rl/policy_net.h"
#include "rl/ppo_cli.h"
#include "rl/ppo_session.h"
#include "io/stream.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: ppo-step -c POLICY (--value RM | --value-from-policy) -o RUN [OPTIONS] [INPUT...]\n"
    "       ppo-step --resume -o RUN [OPTIONS] [INPUT...]\n"
    "\n"
    "Train POLICY with PPO on scored rollout records; publish each new\n"
    "version in RUN (RUN/latest, RUN/policy-vN) for rollout -f RUN; write\n"
    "one metrics record per batch to stdout.\n"
    "\n"
    "models and run:\n"
    "  -c, --policy DIR          initial policy (the SFT model)\n"
    "      --value DIR           value model initialised from this reward model\n"
    "      --value-from-policy   value model = policy trunk + a new scalar head\n"
    "      --ref DIR             reference model (default: the initial policy;\n"
    "                            records' ref_logprobs are used when present)\n"
    "  -o, --run DIR             run directory (versions, latest, state/)\n"
    "      --resume              continue from RUN/state\n"
    "      --batches N           stop after version N (also sizes the warm-up)\n"
    "      --max-lag K           accept rollouts up to K versions old (default 0)\n"
    "      --keep N              published versions kept (default max-lag + 3)\n"
    "      --publish EP          also serve the versions over ZeroMQ at EP\n"
    "                            (@tcp://HOST:PORT) for rollout --policy-from\n"
    "      --batch-records N     batch size for records without batch/batch_size\n"
    PPO_CLI_USAGE
    "other:\n"
    "  -s, --seed N              minibatch shuffle seed (default 0)\n"
    "  -m, --metrics URI         metrics output (default stdout)\n"
    "      --diagnostics URI     per-record diagnostics (id, reward, score, kl,\n"
    "                            advantage, finish)\n"
    "      --device NAME         compute backend: cpu (default; cuda where built)\n"
    "  -j, --threads N           CPU threads (default OMP_NUM_THREADS, else all cores;\n"
    "                            results depend on N, never on the load)\n"
    "      --config FILE         \"key = value\" lines for long options; flags on\n"
    "                            the command line override them\n"
    "      --progress            progress on stderr even when it is not a terminal (a\n"
    "                            line every PREFPIPE_PROGRESS_EVERY s, default 10)\n"
    "  -h, --help / -V, --version\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad checkpoint or unusable input,\n"
    "66 cannot open, 73/74 cannot write.\n";

enum { O_VALUE = 1000, O_VFP, O_REF, O_RESUME, O_BATCHES, O_LAG, O_KEEP, O_BREC, O_DIAG, O_DEVICE, O_PROGRESS, O_PUBLISH };

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    threads_init(argv);   /* passive OpenMP waiting unless chosen (threads.h) */
    util_install_signal_cleanup();
    static const struct option lo[] = {
        {"policy", required_argument, 0, 'c'}, {"value", required_argument, 0, O_VALUE},
        {"value-from-policy", no_argument, 0, O_VFP}, {"ref", required_argument, 0, O_REF},
        {"run", required_argument, 0, 'o'}, {"resume", no_argument, 0, O_RESUME},
        {"batches", required_argument, 0, O_BATCHES}, {"max-lag", required_argument, 0, O_LAG},
        {"keep", required_argument, 0, O_KEEP}, {"batch-records", required_argument, 0, O_BREC},
        PPO_CLI_OPTIONS, {"seed", required_argument, 0, 's'},
        {"metrics", required_argument, 0, 'm'}, {"diagnostics", required_argument, 0, O_DIAG},
        {"device", required_argument, 0, O_DEVICE}, {"progress", no_argument, 0, O_PROGRESS},
        {"publish", required_argument, 0, O_PUBLISH},
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'}, THREADS_OPTION, {0, 0, 0, 0}};
    const char *pdir = NULL, *vdir = NULL, *refdir = NULL, *run = NULL, *murl = "-", *diag = NULL;
    int vfp = 0, resume = 0, c;
    long batches = -1, lag = 0, keep = -1, brec = 0;
    ppo_cli pc;
    ppo_cli_init(&pc);
    const char *device = NULL, *publish = NULL;
    int progress = 0;
    config_apply(&argc, &argv, lo);   /* --config FILE: its options first, ours override */
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "c:o:b:g:e:s:m:hVj:", lo, NULL)) != -1) {
        switch (c) {
        case 'c': pdir = optarg; break;
        case O_VALUE: vdir = optarg; break;
        case O_VFP: vfp = 1; break;
        case O_REF: refdir = optarg; break;
        case 'o': run = optarg; break;
        case O_RESUME: resume = 1; break;
        case O_BATCHES: batches = parse_ll("--batches", optarg, 1, INT64_MAX); break;
        case O_LAG: lag = parse_ll("--max-lag", optarg, 0, 1 << 20); break;
        case O_KEEP: keep = parse_ll("--keep", optarg, 1, 1 << 20); break;
        case O_BREC: brec = parse_ll("--batch-records", optarg, 1, 1 << 24); break;
        case 's': pc.c.seed = (uint64_t)parse_ll("--seed", optarg, 0, INT64_MAX); break;
        case 'm': murl = optarg; break;
        case O_DIAG: diag = optarg; break;
        case O_PROGRESS: progress = 1; break;
        case O_PUBLISH: publish = optarg; break;
        case O_DEVICE: device = optarg; break;
        case 'j': threads_set("--threads", optarg); break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default:
            if (!ppo_cli_handle(&pc, c, optarg)) cli_bad_option(argv, lo);
        }
    }
    const backend *be = backend_for_device(device);
    if (!run) cli_usage_error("missing -o RUN (the run directory)");
    if (!resume && !pdir) cli_usage_error("missing -c POLICY (or --resume)");
    if (!resume && !vdir == !vfp) cli_usage_error("give --value RM_DIR (the paper's choice) or --value-from-policy");
    ppo_cli_finish(&pc);
    if (keep < 0) keep = lag + 3;
    if (keep < lag + 2) cli_usage_error("--keep must be at least --max-lag + 2");

    ppo_session_opts so = {.run = run, .resume = resume, .policy = pdir, .value = vdir, .ref = refdir, .keep = keep,
                           .batches = batches, .warmup_steps = pc.warmup_steps, .warmup_frac = pc.warmup_frac,
                           .be = be};
    ppo_session ss;
    ppo_session_open(&ss, &so, &pc.c);
    /* RUN/latest exists now: rollout workers elsewhere can follow it */
    pvnet_server *pub = publish ? pvnet_serve(publish, run) : NULL;
    ppo_intake in;
    ppo_intake_init(&in, ss.tok, ss.tr.policy->c.vocab, ss.tr.policy->c.max_pos, lag, brec, ss.version);
    rstream *mout = rs_open_live(murl);
    ss.diag = diag ? rs_open_write(diag) : NULL;
    int ninputs;
    char **inputs = cli_inputs(argc, argv, optind, &ninputs);
    double t0 = now_seconds();
    int stop = batches > 0 && ss.version >= batches;
    progress_t pr;   /* batches trained, with the last batch's mean reward */
    progress_init(&pr, "batches", batches > 0 ? (uint64_t)batches : 0, progress);
    pr.done = (uint64_t)ss.version;
    for (int f = 0; f < ninputs && !stop; f++) {
        rstream *rin = rs_open_read(inputs[f]);
        msgpack_object rec;
        int ready = 0;
        for (;;) {
            if (!ready) {
                if (rs_next(rin, &rec) != RS_OK) break;
                const char *raw;
                size_t len;
                rs_last_raw(rin, &raw, &len);
                ready = ppo_intake_add(&in, &rec, raw, len);
            }
            if (!ready) continue;
            long j = in.cur;
            ppo_item *items;
            int n;
            ready = ppo_intake_take(&in, &items, &n);
            ppo_metrics m;
            ppo_session_step(&ss, items, n, j, &m);
            for (int i = 0; i < n; i++) ppo_item_free(&items[i]);
            free(items);
            ppo_write_metrics(mout, ss.version, j, &m, &in, now_seconds() - t0);
            progress_value(&pr, "reward", m.reward_mean);
            progress_add(&pr, 1);
            if (batches > 0 && ss.version >= batches) {
                stop = 1;
                break;
            }
        }
        rs_close(rin);
    }
    progress_finish(&pr);
    if (stop) pv_mark_stopped(run, ss.version);   /* followers waiting for more can end */
    pvnet_stop(pub);   /* after the waiting workers saw the last line */
    if (!stop && in.nseen > 0)
        fprintf(stderr, "%s: input ended inside batch %ld (%ld of %ld records): not trained\n", progname, in.cur,
                in.nseen, in.expect);
    fprintf(stderr, "%s: version %ld, %ld updates; rejected: %s\n", progname, ss.version, ss.tr.updates,
            ppo_intake_summary(&in));
    rs_close(mout);
    if (ss.diag) rs_close(ss.diag);
    ppo_intake_free(&in);
    ppo_session_close(&ss);
    return 0;
}
