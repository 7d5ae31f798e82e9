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
 *
 * Longer than the other filters (~270 lines): besides options, it wires
 * the three optional edges of the loop — MPI ranks (rank 0 reads and
 * writes), the policy server for workers on other hosts (--publish) and
 * the saved run configuration for --resume — a few lines each; the
 * logic of each lives in lib/rl and lib/base.
 */
#include "backend/backend.h"
#include "base/cli.h"
#include "base/config.h"
#include "base/run_args.h"
#include "base/fsreplace.h"
#include "train/checkpoint.h"
#include "base/threads.h"
#include "base/inputs.h"
#include "rl/policy_version.h"
#include "rl/policy_net.h"
#include "rl/ppo_cli.h"
#include "rl/ppo_session.h"
#include "rl/ppo_share.h"
#include "dist/dist.h"
#include "train/stage_cli.h"
#include "io/stream.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: ppo-step -c POLICY (--value RM | --value-from-policy) -o RUN [OPTIONS] [INPUT...]\n"
    "       ppo-step --resume RUN [OPTIONS] [INPUT...]\n"
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
    "      --resume [RUN]        continue from RUN/state (--resume -o RUN, or\n"
    "                            --resume RUN) with the options and inputs\n"
    "                            saved in RUN/run_config.json (not --batches); only\n"
    "                            --threads, --progress, --metrics, --diagnostics,\n"
    "                            --device, --publish may differ\n"
    "      --batches N           stop after version N (also sizes the warm-up)\n"
    "      --max-lag K           accept rollouts up to K versions old (default 0)\n"
    "      --keep N              published versions kept (default max-lag + 3)\n"
    "      --publish EP          also serve the versions over ZeroMQ at EP\n"
    "                            (@tcp://HOST:PORT) for rollout --policy-from\n"
    "      --batch-records N     batch size for records without batch/batch_size\n"
    PPO_CLI_USAGE
    "other:\n"
    "  -s, --seed N              minibatch shuffle seed (default 0)\n"
    "      --metrics URI         metrics output (default stdout; old spelling -m,\n"
    "                            until the next release, when -m means --model)\n"
    "      --diagnostics URI     per-record diagnostics (id, reward, score, kl,\n"
    "                            advantage, finish)\n"
    "      --device NAME         compute backend: cpu (default; cuda where built)\n"
    "  -j, --threads N           CPU threads (default OMP_NUM_THREADS, else all cores;\n"
    "                            never picked from the machine's load)\n"
    "      --config FILE         \"key = value\" lines for long options; flags on\n"
    "                            the command line override them\n"
    "      --progress            progress on stderr even when it is not a terminal (a\n"
    "                            line every PREFPIPE_PROGRESS_EVERY s, default 10)\n"
    "  -h, --help / -V, --version\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad checkpoint or unusable input,\n"
    "66 cannot open, 73/74 cannot write.\n";

/* run_config.json (base/run_args.h): what is saved and what a resume may change */
/* --batches is where this invocation stops (as the trainers' --stop-after):
 * a resume gives it again to go further, or runs to the end of its input */
static const char *const drop[] = {"resume", "config", "help", "version", "batches", NULL};
static const char *const paths[] = {"policy", "value", "ref", "run", "metrics", "diagnostics", NULL};
static const char *const maybe_paths[] = {"reward-norm", NULL};   /* DIR, or MEAN,STD / running */
static const char *const may_change[] = {"threads", "progress", "metrics", "diagnostics", "device", "publish", NULL};
static const run_args_spec spec = {.program = "ppo-step", .resume_opt = "resume", .dir_opt = "run",
                                   .paths = paths, .maybe_paths = maybe_paths, .drop = drop,
                                   .may_change = may_change};

/* the run's configuration; every checkpoint written from here on holds it */
static char *run_config(int argc, char **argv, const struct option *lo, const ppo_cli *pc, long batches, long lag,
                        long keep, long brec, const backend *be)
{
    char *ppo = ppo_cli_effective(pc);
    size_t n = strlen(ppo) + 256;
    char *eff = xmalloc(n);
    snprintf(eff, n, "{%s, \"batches\": %ld, \"max_lag\": %ld, \"keep\": %ld, \"batch_records\": %ld, "
             "\"device\": \"%s\", \"threads\": %d}",
             ppo, batches, lag, keep, brec, be ? be->name : "cpu", threads_count());
    char *text = run_args_json(argc, argv, lo, &spec, pc->c.seed, eff);
    ckpt_set_run_config(text);
    free(ppo);
    free(eff);
    return text;
}

/* RUN/run_config.json, replaced in one rename */
static void save_run_config(const char *run, char *text)
{
    size_t n = strlen(run) + 64;
    char *tmp = xmalloc(n), *dst = xmalloc(n);
    snprintf(tmp, n, "%s/%s.tmp.%ld", run, RUN_CONFIG_FILE, (long)getpid());
    snprintf(dst, n, "%s/%s", run, RUN_CONFIG_FILE);
    FILE *f = fopen(tmp, "w");
    if (!f || fputs(text, f) == EOF || fclose(f) != 0) die(EX_CANTCREAT, "%s: cannot write", tmp);
    if (rename(tmp, dst) != 0) die(EX_CANTCREAT, "%s: cannot rename into place", dst);
    fs_sync_parent(dst);
    free(tmp);
    free(dst);
    free(text);
}

enum { O_VALUE = 1000, O_VFP, O_REF, O_RESUME, O_BATCHES, O_LAG, O_KEEP, O_BREC, O_DIAG, O_DEVICE, O_PROGRESS, O_METRICS, O_PUBLISH };

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    threads_init(argv);   /* passive OpenMP waiting unless chosen (threads.h) */
    util_install_signal_cleanup();
    train_dist_start();   /* several ranks under mpirun: data-parallel (rl/ppo_share.h) */
    static const struct option lo[] = {
        {"policy", required_argument, 0, 'c'}, {"value", required_argument, 0, O_VALUE},
        {"value-from-policy", no_argument, 0, O_VFP}, {"ref", required_argument, 0, O_REF},
        {"run", required_argument, 0, 'o'}, {"resume", no_argument, 0, O_RESUME},
        {"batches", required_argument, 0, O_BATCHES}, {"max-lag", required_argument, 0, O_LAG},
        {"keep", required_argument, 0, O_KEEP}, {"batch-records", required_argument, 0, O_BREC},
        PPO_CLI_OPTIONS, {"seed", required_argument, 0, 's'},
        {"metrics", required_argument, 0, O_METRICS}, {"diagnostics", required_argument, 0, O_DIAG},
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
    ppo_cli_resume_dir(&argc, &argv);   /* --resume RUN: --resume -o RUN */
    config_apply(&argc, &argv, lo);   /* --config FILE: its options first, ours override */
    run_args_resume(&argc, &argv, lo, &spec);   /* --resume: RUN/run_config.json's options first */
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
        case 'm': cli_old_spelling("-m", "--metrics", "--model"); /* fall through */
        case O_METRICS: murl = optarg; break;
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
    train_dist_device(be);
    int rank0 = dist_rank() == 0;
    if (diag && dist_size() > 1)
        die(EX_USAGE, "--diagnostics with %d ranks: not supported (each item's numbers stay on its rank)",
            dist_size());
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
    char *rc = run_config(argc, argv, lo, &pc, batches, lag, keep, brec, be);
    int ninputs;
    char **inputs = cli_inputs(argc, argv, optind, &ninputs);
    /* everything that can be refused is refused before RUN is touched:
     * the inputs, and the policy server's endpoint (bound now; it answers
     * "nothing published" until RUN/latest exists) */
    for (int f = 0; f < ninputs; f++) rs_check_input(inputs[f]);
    pvnet_server *pub = publish && rank0 ? pvnet_serve(publish, run) : NULL;
    ppo_session_open(&ss, &so, &pc.c);
    save_run_config(run, rc);
    ppo_intake in;
    ppo_intake_init(&in, ss.tok, ss.tr.policy->c.vocab, ss.tr.policy->c.max_pos, lag, brec, ss.version);
    rstream *mout = rank0 ? rs_open_live(murl) : NULL;   /* rank 0 writes */
    ss.diag = diag ? rs_open_write(diag) : NULL;
    double t0 = now_seconds();
    int stop = batches > 0 && ss.version >= batches;
    progress_t pr;   /* batches trained, with the last batch's mean reward */
    progress_init(&pr, "batches", batches > 0 ? (uint64_t)batches : 0, progress);
    if (!rank0) pr.enabled = 0;   /* one progress line per job */
    pr.done = (uint64_t)ss.version;
    if (!rank0) {   /* the other ranks train what rank 0 reads */
        long j;
        ppo_item *items;
        int n;
        while (ppo_share_recv(&j, &items, &n)) {
            ppo_metrics m;
            ppo_session_step(&ss, items, n, j, &m);
            for (int i = 0; i < n; i++) ppo_item_free(&items[i]);
            free(items);
        }
        ninputs = 0;
    }
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
            ppo_share_send(j, items, n);
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
    if (rank0) ppo_share_end();
    progress_finish(&pr);
    if (!rank0) stop = 0, in.nseen = 0;   /* rank 0 reports and marks */
    if (stop) pv_mark_stopped(run, ss.version);   /* followers waiting for more can end */
    pvnet_stop(pub);   /* after the waiting workers saw the last line */
    if (rank0) fprintf(stderr, "%s: version %ld, %ld updates; rejected: %s\n", progname, ss.version, ss.tr.updates,
            ppo_intake_summary(&in));
    if (mout) rs_close(mout);
    if (ss.diag) rs_close(ss.diag);
    /* An input that ends short is a producer that died (rollout killed
     * mid-run), never a finished run: what was trained is committed and
     * resumable, but the exit says records are missing (74, as a stream
     * that lost records) so no pipeline takes it for done. */
    if (rank0 && !stop && in.nseen > 0)
        die(EX_IOERR, "input ended inside batch %ld (%ld of %ld records): not trained; did the producer (rollout) "
            "die? --resume continues at version %ld", in.cur, in.nseen, in.expect, ss.version);
    if (rank0 && !stop && batches > 0)
        die(EX_IOERR, "input ended after %ld of --batches %ld batches; did the producer (rollout) die? --resume "
            "continues at version %ld", ss.version, batches, ss.version);
    ppo_intake_free(&in);
    ppo_session_close(&ss);
    return 0;
}
