/*
 * ppo-step — train a policy with PPO on scored rollouts (man 1 ppo-step).
 *
 * The loop: read records (lib/rl/ppo_intake.c checks them and assembles
 * batch j = the current version), train on the batch (lib/rl/ppo_train.c),
 * save the resumable state (lib/rl/ppo_state.c), publish version j + 1
 * (lib/rl/policy_version.c: RUN/policy-vN + RUN/latest, which rollout -f
 * follows), write one metrics record.  A fresh run publishes version 0
 * (the initial policy) first; --resume reloads RUN/state and republishes
 * its version.  stdout carries metrics records only.
 */
#include "train/checkpoint.h"
#include "base/cli.h"
#include "rl/policy_version.h"
#include "rl/ppo_intake.h"
#include "rl/ppo_state.h"
#include "io/record.h"
#include "io/stream.h"
#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    "      --batch-records N     batch size for records without batch/batch_size\n"
    "batch (Table 9 / 11):\n"
    "  -b, --minibatch N         rollouts per forward-backward (default 64)\n"
    "  -g, --accum N             minibatches per update (default 1)\n"
    "  -e, --inner-epochs N      passes over each batch (default 1)\n"
    "      --forward WHEN        minibatch (App. G, default) or batch\n"
    "optimiser:\n"
    "      --lr X                peak learning rate (default 1e-6)\n"
    "      --warmup-frac F       linear warm-up over F of the optimizer updates\n"
    "                            (batches x updates per batch; 0.1; needs --batches)\n"
    "      --warmup-steps N      warm-up updates (overrides --warmup-frac)\n"
    "      --adam-betas B1,B2    (default 0.9,0.95)   --adam-eps X (1e-5)\n"
    "      --weight-decay X      (default 0)          --clip-norm X (1.0; 0 off)\n"
    "PPO (Eq. 4-6, Table 10):\n"
    "      --beta X              KL coefficient (default 0.05)\n"
    "      --kl-estimator K      k1 (default), k2 or k3\n"
    "      --kl-clamp LO,HI      clamp the per-token KL penalty\n"
    "      --adaptive-kl T,H     adaptive controller: target KL T, horizon H\n"
    "      --no-eos-trick        keep the reward of truncated responses\n"
    "      --eos-reward X        reward of a truncated response (default -10)\n"
    "      --reward-norm SPEC    DIR (reward_mean/std from rm-train's trainer_state),\n"
    "                            MEAN,STD, or running\n"
    "      --reward-clip X       clip sequence rewards to [-X, X]\n"
    "      --whiten-rewards      whiten per-token rewards (default off)\n"
    "      --no-whiten-advantages  (default: whiten)\n"
    "      --gamma X (1.0)  --lambda X (0.95)  --cliprange X (0.2)\n"
    "      --cliprange-value X (0.2)  --vf-coef X (0.1)\n"
    "      --value-warmup N      first N updates train the value model only\n"
    "other:\n"
    "  -s, --seed N              minibatch shuffle seed (default 0)\n"
    "  -m, --metrics URI         metrics output (default stdout)\n"
    "      --diagnostics URI     per-record diagnostics (id, reward, score, kl,\n"
    "                            advantage, finish)\n"
    "      --device NAME         compute backend: cpu (default; cuda where built)\n"
    "  -h, --help / -V, --version\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad checkpoint or unusable input,\n"
    "66 cannot open, 73/74 cannot write.\n";

enum {
    O_VALUE = 1000, O_VFP, O_REF, O_RESUME, O_BATCHES, O_LAG, O_KEEP, O_BREC, O_FWD, O_LR, O_WFRAC, O_WSTEPS,
    O_BETAS, O_AEPS, O_WD, O_CLIPN, O_BETA, O_KLEST, O_KLCLAMP, O_AKL, O_NOEOS, O_EOSR, O_RNORM, O_RCLIP,
    O_WREW, O_NOWADV, O_GAMMA, O_LAMBDA, O_CLIP, O_CLIPV, O_VFC, O_VWARM, O_DIAG, O_DEVICE
};

static void two_numbers(const char *opt, const char *s, double *a, double *b)
{
    char *e;
    *a = strtod(s, &e);
    if (e == s || (*e != ',' && *e != ':')) cli_usage_error("%s wants X,Y (got '%s')", opt, s);
    const char *t = e + 1;
    *b = strtod(t, &e);
    if (e == t || *e) cli_usage_error("%s wants X,Y (got '%s')", opt, s);
}

static void reward_norm_from(const char *spec, ppo_train_cfg *c)
{
    if (!strcmp(spec, "running")) {
        c->running_norm = 1;
        return;
    }
    struct stat st;
    if (stat(spec, &st) == 0 && S_ISDIR(st.st_mode)) {
        char *text = ckpt_load_state(spec);
        json_error_t je;
        json_t *j = text ? json_loads(text, 0, &je) : NULL;
        json_t *m = j ? json_object_get(j, "reward_mean") : NULL, *s = j ? json_object_get(j, "reward_std") : NULL;
        if (!json_is_number(m) || !json_is_number(s) || !(json_number_value(s) > 0))
            die(EX_DATAERR, "%s/trainer_state.json: no usable reward_mean/reward_std (from rm-train)", spec);
        c->pc.norm_mean = json_number_value(m), c->pc.norm_std = json_number_value(s);
        json_decref(j);
        free(text);
    } else {
        two_numbers("--reward-norm", spec, &c->pc.norm_mean, &c->pc.norm_std);
        if (!(c->pc.norm_std > 0)) cli_usage_error("--reward-norm: STD must be positive");
    }
    c->pc.reward_norm = 1;
}

static void put_metrics(rstream *out, long step, long batch, const ppo_metrics *m, const ppo_intake *in, double t)
{
    recb b;
    recb_init(&b);
    recb_put_str(&b, "stage", "ppo-step");
    recb_put_i64(&b, "step", step);
    recb_put_i64(&b, "batch", batch);
    recb_put_f64(&b, "time", t);
    const struct { const char *k; double v; } f[] = {
        {"reward_mean", m->reward_mean}, {"reward_std", m->reward_std}, {"score_mean", m->score_mean},
        {"kl", m->kl}, {"kl_coef", m->kl_coef}, {"policy_loss", m->policy_loss}, {"value_loss", m->value_loss},
        {"pg_clipfrac", m->pg_clipfrac}, {"vf_clipfrac", m->vf_clipfrac}, {"approx_kl", m->approx_kl},
        {"entropy", m->entropy}, {"response_length", m->response_length}, {"truncated", m->truncated},
        {"explained_variance", m->explained_variance}, {"lr", m->lr}, {"tokens_per_s", m->tokens_per_s},
        {"grad_norm_policy", m->grad_norm_policy}, {"grad_norm_value", m->grad_norm_value}};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        if (isfinite(f[i].v)) recb_put_f64(&b, f[i].k, f[i].v);
        else recb_put_nil(&b, f[i].k);
    }
    recb_put_i64(&b, "updates", m->updates);
    recb_put_i64(&b, "rollouts", m->items);
    recb_put_i64(&b, "tokens", m->tokens);
    msgpack_packer *pk = recb_begin(&b, "rejected");
    msgpack_pack_map(pk, PI_NREASONS);
    for (int r = 0; r < PI_NREASONS; r++) {
        pack_str(pk, ppo_reject_name(r));
        msgpack_pack_uint64(pk, in->rejected[r]);
    }
    recb_end(&b);
    const char *buf;
    size_t len;
    recb_finish(&b, &buf, &len);
    rs_write(out, buf, len);
    rs_flush(out);
    recb_free(&b);
}

static void put_diagnostics(rstream *d, const ppo_item *it, int n, long batch)
{
    recb b;
    recb_init(&b);
    for (int i = 0; i < n; i++) {
        recb_reset(&b);
        recb_put_str(&b, "stage", "ppo-step");
        recb_put_i64(&b, "step", batch + 1);
        recb_put_str(&b, "id", it[i].id ? it[i].id : "");
        double a = 0;
        for (int t = 0; t < it[i].rlen; t++) a += it[i].adv[t];
        recb_put_f64(&b, "reward", it[i].reward);
        recb_put_f64(&b, "score", it[i].score);
        recb_put_f64(&b, "kl", it[i].kl);
        recb_put_f64(&b, "advantage", it[i].rlen ? a / it[i].rlen : 0);
        recb_put_str(&b, "finish", it[i].truncated ? "length" : "stop");
        recb_put_i64(&b, "length", it[i].rlen);
        const char *buf;
        size_t len;
        recb_finish(&b, &buf, &len);
        rs_write(d, buf, len);
    }
    recb_free(&b);
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    static const struct option lo[] = {
        {"policy", required_argument, 0, 'c'}, {"value", required_argument, 0, O_VALUE},
        {"value-from-policy", no_argument, 0, O_VFP}, {"ref", required_argument, 0, O_REF},
        {"run", required_argument, 0, 'o'}, {"resume", no_argument, 0, O_RESUME},
        {"batches", required_argument, 0, O_BATCHES}, {"max-lag", required_argument, 0, O_LAG},
        {"keep", required_argument, 0, O_KEEP}, {"batch-records", required_argument, 0, O_BREC},
        {"minibatch", required_argument, 0, 'b'}, {"accum", required_argument, 0, 'g'},
        {"inner-epochs", required_argument, 0, 'e'}, {"forward", required_argument, 0, O_FWD},
        {"lr", required_argument, 0, O_LR}, {"warmup-frac", required_argument, 0, O_WFRAC},
        {"warmup-steps", required_argument, 0, O_WSTEPS}, {"adam-betas", required_argument, 0, O_BETAS},
        {"adam-eps", required_argument, 0, O_AEPS}, {"weight-decay", required_argument, 0, O_WD},
        {"clip-norm", required_argument, 0, O_CLIPN}, {"beta", required_argument, 0, O_BETA},
        {"kl-estimator", required_argument, 0, O_KLEST}, {"kl-clamp", required_argument, 0, O_KLCLAMP},
        {"adaptive-kl", required_argument, 0, O_AKL}, {"no-eos-trick", no_argument, 0, O_NOEOS},
        {"eos-reward", required_argument, 0, O_EOSR}, {"reward-norm", required_argument, 0, O_RNORM},
        {"reward-clip", required_argument, 0, O_RCLIP}, {"whiten-rewards", no_argument, 0, O_WREW},
        {"no-whiten-advantages", no_argument, 0, O_NOWADV}, {"gamma", required_argument, 0, O_GAMMA},
        {"lambda", required_argument, 0, O_LAMBDA}, {"cliprange", required_argument, 0, O_CLIP},
        {"cliprange-value", required_argument, 0, O_CLIPV}, {"vf-coef", required_argument, 0, O_VFC},
        {"value-warmup", required_argument, 0, O_VWARM}, {"seed", required_argument, 0, 's'},
        {"metrics", required_argument, 0, 'm'}, {"diagnostics", required_argument, 0, O_DIAG},
        {"device", required_argument, 0, O_DEVICE},
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'}, {0, 0, 0, 0}};
    const char *pdir = NULL, *vdir = NULL, *refdir = NULL, *run = NULL, *murl = "-", *diag = NULL;
    int vfp = 0, resume = 0, c;
    long batches = -1, lag = 0, keep = -1, brec = 0, wsteps = -1;
    double wfrac = 0.1, a, bb;
    ppo_train_cfg tc;
    ppo_train_cfg_defaults(&tc);
    const backend *be = backend_cpu();
    while ((c = getopt_long(argc, argv, "c:o:b:g:e:s:m:hV", lo, NULL)) != -1) {
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
        case 'b': tc.minibatch = (int)parse_ll("--minibatch", optarg, 1, 1 << 20); break;
        case 'g': tc.accum = (int)parse_ll("--accum", optarg, 1, 1 << 20); break;
        case 'e': tc.inner_epochs = (int)parse_ll("--inner-epochs", optarg, 1, 1 << 20); break;
        case O_FWD:
            if (!strcmp(optarg, "minibatch")) tc.per_minibatch = 1;
            else if (!strcmp(optarg, "batch")) tc.per_minibatch = 0;
            else cli_usage_error("--forward is minibatch or batch");
            break;
        case O_LR: tc.lr = parse_double("--lr", optarg); break;
        case O_WFRAC: wfrac = parse_double("--warmup-frac", optarg); break;
        case O_WSTEPS: wsteps = parse_ll("--warmup-steps", optarg, 0, INT64_MAX); break;
        case O_BETAS: two_numbers("--adam-betas", optarg, &a, &bb); tc.h.b1 = (float)a, tc.h.b2 = (float)bb; break;
        case O_AEPS: tc.h.eps = (float)parse_double("--adam-eps", optarg); break;
        case O_WD: tc.h.wd = (float)parse_double("--weight-decay", optarg); break;
        case O_CLIPN: tc.h.clip = (float)parse_double("--clip-norm", optarg); break;
        case O_BETA: tc.pc.beta = parse_double("--beta", optarg); break;
        case O_KLEST:
            if (!(tc.pc.kl_est = ppo_kl_parse(optarg))) cli_usage_error("--kl-estimator is k1, k2 or k3");
            break;
        case O_KLCLAMP: tc.pc.kl_clamp = 1; two_numbers("--kl-clamp", optarg, &tc.pc.kl_min, &tc.pc.kl_max); break;
        case O_AKL: tc.adaptive_kl = 1; two_numbers("--adaptive-kl", optarg, &tc.kl_target, &tc.kl_horizon); break;
        case O_NOEOS: tc.pc.eos_trick = 0; break;
        case O_EOSR: tc.pc.eos_reward = parse_double("--eos-reward", optarg); break;
        case O_RNORM: reward_norm_from(optarg, &tc); break;
        case O_RCLIP: tc.pc.reward_clip = parse_double("--reward-clip", optarg); break;
        case O_WREW: tc.pc.whiten_rewards = 1; break;
        case O_NOWADV: tc.pc.whiten_adv = 0; break;
        case O_GAMMA: tc.pc.gamma = parse_double("--gamma", optarg); break;
        case O_LAMBDA: tc.pc.lam = parse_double("--lambda", optarg); break;
        case O_CLIP: tc.pc.cliprange = parse_double("--cliprange", optarg); break;
        case O_CLIPV: tc.pc.cliprange_value = parse_double("--cliprange-value", optarg); break;
        case O_VFC: tc.pc.vf_coef = parse_double("--vf-coef", optarg); break;
        case O_VWARM: tc.value_warmup = parse_ll("--value-warmup", optarg, 0, INT64_MAX); break;
        case 's': tc.seed = (uint64_t)parse_ll("--seed", optarg, 0, INT64_MAX); break;
        case 'm': murl = optarg; break;
        case O_DIAG: diag = optarg; break;
        case O_DEVICE:
            if (!(be = backend_by_name(optarg, NULL))) cli_usage_error("device '%s' is not available in this build", optarg);
            break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_usage_error("invalid option");
        }
    }
    if (!run) cli_usage_error("missing -o RUN (the run directory)");
    if (!resume && !pdir) cli_usage_error("missing -c POLICY (or --resume)");
    if (!resume && !vdir == !vfp) cli_usage_error("give --value RM_DIR (the paper's choice) or --value-from-policy");
    if (!(tc.pc.cliprange > 0) || !(tc.pc.cliprange_value > 0)) cli_usage_error("clip ranges must be positive");
    if (keep < 0) keep = lag + 3;
    if (keep < lag + 2) cli_usage_error("--keep must be at least --max-lag + 2");

    if (mkdir(run, 0755) != 0 && errno != EEXIST) die(EX_CANTCREAT, "%s: %s", run, strerror(errno));
    {   /* a fresh trainer id for the version protocol (see policy_version.h) */
        struct { double t; long pid; } seed = {now_seconds(), (long)getpid()};
        pv_set_trainer(hash64(&seed, sizeof seed, 0x7472) | 1);
    }
    ppo_trainer tr = {0};
    tokenizer *tok = NULL;
    long version = 0;
    char *ref_path = NULL;
    if (resume) {
        ppo_state_info info;
        if (ppo_state_load(run, be, &tr, &tok, &info) != 0) die(EX_NOINPUT, "%s/state: no state to resume from", run);
        version = info.version;
        ref_path = refdir ? xstrdup(refdir) : info.ref;
        if (refdir) free(info.ref);
        if (pv_read_latest(run) != version) pv_publish(run, version, tr.policy, tok, (int)keep);
        else pv_write_latest(run, version);   /* clears a "stopped" mark */
        fprintf(stderr, "%s: resumed %s at version %ld (%ld updates)\n", progname, run, version, tr.updates);
    } else {
        if (pv_read_latest(run) >= 0)
            die(EX_USAGE, "%s already holds a run (RUN/latest): use --resume, or a new directory", run);
        tr.policy = ckpt_load_model(pdir, be);
        if (!tr.policy->c.lm_head) die(EX_DATAERR, "%s: the policy has no LM head", pdir);
        tok = ckpt_load_tokenizer(pdir);
        if (vdir) {
            tr.value = ckpt_load_model(vdir, be);
            if (!tr.value->c.score)
                die(EX_DATAERR, "%s: no scalar head (score.weight): the value model needs a reward-model checkpoint, "
                    "or use --value-from-policy", vdir);
            char fa[17], fb[17];
            tokenizer *vt = ckpt_load_tokenizer(vdir);
            pv_fingerprint_hex(pv_tok_fingerprint(vt), fa), pv_fingerprint_hex(pv_tok_fingerprint(tok), fb);
            if (strcmp(fa, fb)) die(EX_DATAERR, "%s: its tokenizer differs from the policy's", vdir);
            tok_free(vt);
        } else {
            tr.value = ppo_value_from_policy(tr.policy, tc.seed + 1);
        }
        model_enable_grads(tr.policy);
        model_enable_grads(tr.value);
        tr.popt = optim_new(tr.policy, tc.h);
        tr.vopt = optim_new(tr.value, tc.h);
        tr.beta = tc.pc.beta;
        /* absolute, so that --resume works from another directory */
        ref_path = realpath(refdir ? refdir : pdir, NULL);
        if (!ref_path) die(EX_NOINPUT, "%s: %s", refdir ? refdir : pdir, strerror(errno));
        ppo_state_save(run, &tr, tok, 0, ref_path);
        pv_publish(run, 0, tr.policy, tok, (int)keep);
    }
    /* the optimizer hyper-parameters of this invocation apply on resume too */
    tr.popt->h = tc.h, tr.vopt->h = tc.h;
    tr.c = tc;
    if (ref_path[0]) {
        tr.ref = ckpt_load_model(ref_path, be);
        if (!tr.ref->c.lm_head) die(EX_DATAERR, "%s: the reference model has no LM head", ref_path);
    }
    if (wsteps >= 0) tr.c.warmup = wsteps;
    else if (batches > 0) tr.c.warmup = -1, tr.c.warmup_frac = wfrac, tr.c.batches = batches;  /* in updates: ppo_train.h */
    else fprintf(stderr, "%s: no --batches: learning-rate warm-up off (give --warmup-steps)\n", progname);

    ppo_intake in;
    ppo_intake_init(&in, tok, tr.policy->c.vocab, tr.policy->c.max_pos, lag, brec, version);
    rstream *mout = rs_open_write(murl);
    rstream *dout = diag ? rs_open_write(diag) : NULL;
    char **inputs = argv + optind;
    int ninputs = argc - optind;
    static char *stdin_only[] = {"-", NULL};
    if (ninputs == 0) inputs = stdin_only, ninputs = 1;
    double t0 = now_seconds();
    int stop = batches > 0 && version >= batches;
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
            if (n == 0) fprintf(stderr, "%s: batch %ld: every record was rejected; the policy is unchanged\n", progname, j);
            ppo_train_batch(&tr, items, n, j, &m);
            if (dout) put_diagnostics(dout, items, n, j);
            for (int i = 0; i < n; i++) ppo_item_free(&items[i]);
            free(items);
            version = j + 1;
            ppo_state_save(run, &tr, tok, version, ref_path);
            pv_publish(run, version, tr.policy, tok, (int)keep);
            put_metrics(mout, version, j, &m, &in, now_seconds() - t0);
            if (batches > 0 && version >= batches) {
                stop = 1;
                break;
            }
        }
        rs_close(rin);
    }
    if (stop) pv_mark_stopped(run, version);   /* followers waiting for more can end */
    if (!stop && in.nseen > 0)
        fprintf(stderr, "%s: input ended inside batch %ld (%ld of %ld records): not trained\n", progname, in.cur,
                in.nseen, in.expect);
    fprintf(stderr, "%s: version %ld, %ld updates; rejected: %s\n", progname, version, tr.updates,
            ppo_intake_summary(&in));
    rs_close(mout);
    if (dout) rs_close(dout);
    ppo_intake_free(&in);
    model_free(tr.policy);
    model_free(tr.value);
    if (tr.ref) model_free(tr.ref);
    optim_free(tr.popt);
    optim_free(tr.vopt);
    tok_free(tok);
    free(ref_path);
    return 0;
}
