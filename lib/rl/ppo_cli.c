/*
 * ppo_cli.c — ppo-step's PPO options (ppo_cli.h), and their resolved
 * values as JSON for run_config.json (ppo_cli_effective).
 */
#include "rl/ppo_cli.h"

#include "train/rm_stats.h"
#include "base/cli.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
        rm_stats rs;
        rm_stats_read_or_die(spec, &rs);
        c->pc.norm_mean = rs.mean, c->pc.norm_std = rs.std;
    } else {
        two_numbers("--reward-norm", spec, &c->pc.norm_mean, &c->pc.norm_std);
        if (!(c->pc.norm_std > 0)) cli_usage_error("--reward-norm: STD must be positive");
    }
    c->pc.reward_norm = 1;
}

void ppo_cli_init(ppo_cli *p)
{
    ppo_train_cfg_defaults(&p->c);
    p->warmup_steps = -1;
    p->warmup_frac = 0.1;
}

int ppo_cli_handle(ppo_cli *p, int opt, const char *arg)
{
    ppo_train_cfg *c = &p->c;
    switch (opt) {
    case 'b': c->minibatch = (int)parse_ll("--minibatch", arg, 1, 1 << 20); break;
    case 'g': c->accum = (int)parse_ll("--accum", arg, 1, 1 << 20); break;
    case 'e': c->inner_epochs = (int)parse_ll("--inner-epochs", arg, 1, 1 << 20); break;
    case PC_FWD:
        if (!strcmp(arg, "minibatch")) c->per_minibatch = 1;
        else if (!strcmp(arg, "batch")) c->per_minibatch = 0;
        else cli_usage_error("--forward is minibatch or batch");
        break;
    case PC_LR: c->lr = parse_double("--lr", arg); break;
    case PC_WFRAC: p->warmup_frac = parse_double("--warmup-frac", arg); break;
    case PC_WSTEPS: p->warmup_steps = parse_ll("--warmup-steps", arg, 0, INT64_MAX); break;
    case PC_BETAS: {
        double a, b;
        two_numbers("--adam-betas", arg, &a, &b);
        c->h.b1 = (float)a, c->h.b2 = (float)b;
        break;
    }
    case PC_AEPS: c->h.eps = (float)parse_double("--adam-eps", arg); break;
    case PC_WD: c->h.wd = (float)parse_double("--weight-decay", arg); break;
    case PC_CLIPN: c->h.clip = (float)parse_double("--clip-norm", arg); break;
    case PC_BETA: c->pc.beta = parse_double("--beta", arg); break;
    case PC_KLEST:
        if (!(c->pc.kl_est = ppo_kl_parse(arg))) cli_usage_error("--kl-estimator is k1, k2 or k3");
        break;
    case PC_KLCLAMP: c->pc.kl_clamp = 1; two_numbers("--kl-clamp", arg, &c->pc.kl_min, &c->pc.kl_max); break;
    case PC_AKL: c->adaptive_kl = 1; two_numbers("--adaptive-kl", arg, &c->kl_target, &c->kl_horizon); break;
    case PC_NOEOS: c->pc.eos_trick = 0; break;
    case PC_EOSR: c->pc.eos_reward = parse_double("--eos-reward", arg); break;
    case PC_RNORM: reward_norm_from(arg, c); break;
    case PC_RCLIP: c->pc.reward_clip = parse_double("--reward-clip", arg); break;
    case PC_WREW: c->pc.whiten_rewards = 1; break;
    case PC_NOWADV: c->pc.whiten_adv = 0; break;
    case PC_GAMMA: c->pc.gamma = parse_double("--gamma", arg); break;
    case PC_LAMBDA: c->pc.lam = parse_double("--lambda", arg); break;
    case PC_CLIP: c->pc.cliprange = parse_double("--cliprange", arg); break;
    case PC_CLIPV: c->pc.cliprange_value = parse_double("--cliprange-value", arg); break;
    case PC_VFC: c->pc.vf_coef = parse_double("--vf-coef", arg); break;
    case PC_VWARM: c->value_warmup = parse_ll("--value-warmup", arg, 0, INT64_MAX); break;
    default: return 0;
    }
    return 1;
}

void ppo_cli_finish(const ppo_cli *p)
{
    if (!(p->c.pc.cliprange > 0) || !(p->c.pc.cliprange_value > 0)) cli_usage_error("clip ranges must be positive");
}

/* JSON members appended to a growing text */
typedef struct {
    char *s;
    size_t n, cap;
} jbuf;

static void jb_add(jbuf *b, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void jb_add(jbuf *b, const char *key, const char *fmt, ...)
{
    char v[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    size_t need = strlen(key) + strlen(v) + 8;
    if (b->n + need > b->cap) {
        b->cap = (b->n + need) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    b->n += (size_t)snprintf(b->s + b->n, b->cap - b->n, "%s\"%s\": %s", b->n ? ", " : "", key, v);
}

/* a double's shortest text; a non-finite one (no JSON number) is null */
static const char *num(char *buf, size_t cap, double v)
{
    if (v != v || v - v != 0) snprintf(buf, cap, "null");
    else format_double(buf, cap, v);
    return buf;
}

static const char *fnum(char *buf, size_t cap, float v)
{
    format_float(buf, cap, v);
    return buf;
}

static const char *yes(int v) { return v ? "true" : "false"; }

/* The rewritten argv, reachable to the end (as config.c's).  A later call
 * (tests make several) keeps the earlier one reachable too: the slot after
 * its NULL points to the previous, since a caller may still hold it. */
static char **volatile resume_argv;

void ppo_cli_resume_dir(int *argc, char ***argv)
{
    char **in = *argv, **out = xcalloc((size_t)*argc * 2 + 2, sizeof *out);
    int n = 0, changed = 0;
    for (int i = 0; i < *argc; i++) {
        const char *a = in[i], *dir = NULL;
        if (!strcmp(a, "--")) {   /* operands from here on */
            while (i < *argc) out[n++] = in[i++];
            break;
        }
        struct stat st;
        if (!strncmp(a, "--resume=", 9)) dir = a + 9;
        else if (i > 0 && !strcmp(a, "--resume") && i + 1 < *argc && in[i + 1][0] != '-' &&
                 stat(in[i + 1], &st) == 0 && S_ISDIR(st.st_mode))
            dir = in[++i];   /* an input is a file or a stream, never a directory */
        if (!dir) { out[n++] = in[i]; continue; }
        size_t len = strlen(dir) + 8;
        char *run = xmalloc(len);
        snprintf(run, len, "--run=%s", dir);
        out[n++] = "--resume";
        out[n++] = run;
        changed = 1;
    }
    out[n] = NULL;
    if (!changed) { free(out); return; }
    out[n + 1] = (char *)resume_argv;
    resume_argv = out;
    *argc = n;
    *argv = out;
}

char *ppo_cli_effective(const ppo_cli *p)
{
    const ppo_train_cfg *c = &p->c;
    const ppo_cfg *pc = &c->pc;
    char a[40], b[40];
    jbuf j = {0};
    jb_add(&j, "minibatch", "%d", c->minibatch);
    jb_add(&j, "accum", "%d", c->accum);
    jb_add(&j, "inner_epochs", "%d", c->inner_epochs);
    jb_add(&j, "forward", "\"%s\"", c->per_minibatch ? "minibatch" : "batch");
    jb_add(&j, "lr", "%s", num(a, sizeof a, c->lr));
    jb_add(&j, "warmup_steps", "%ld", p->warmup_steps);
    jb_add(&j, "warmup_frac", "%s", num(a, sizeof a, p->warmup_frac));
    jb_add(&j, "adam_betas", "[%s, %s]", fnum(a, sizeof a, c->h.b1), fnum(b, sizeof b, c->h.b2));
    jb_add(&j, "adam_eps", "%s", fnum(a, sizeof a, c->h.eps));
    jb_add(&j, "weight_decay", "%s", fnum(a, sizeof a, c->h.wd));
    jb_add(&j, "clip_norm", "%s", fnum(a, sizeof a, c->h.clip));
    jb_add(&j, "beta", "%s", num(a, sizeof a, pc->beta));
    jb_add(&j, "kl_estimator", "\"k%d\"", (int)pc->kl_est);
    if (pc->kl_clamp) jb_add(&j, "kl_clamp", "[%s, %s]", num(a, sizeof a, pc->kl_min), num(b, sizeof b, pc->kl_max));
    else jb_add(&j, "kl_clamp", "null");
    if (c->adaptive_kl)
        jb_add(&j, "adaptive_kl", "{\"target\": %s, \"horizon\": %s}", num(a, sizeof a, c->kl_target),
               num(b, sizeof b, c->kl_horizon));
    else jb_add(&j, "adaptive_kl", "null");
    jb_add(&j, "eos_trick", "%s", yes(pc->eos_trick));
    jb_add(&j, "eos_reward", "%s", num(a, sizeof a, pc->eos_reward));
    /* the statistics themselves, also when they came from a directory */
    if (c->running_norm) jb_add(&j, "reward_norm", "\"running\"");
    else if (pc->reward_norm)
        jb_add(&j, "reward_norm", "{\"mean\": %s, \"std\": %s}", num(a, sizeof a, pc->norm_mean),
               num(b, sizeof b, pc->norm_std));
    else jb_add(&j, "reward_norm", "null");
    if (pc->reward_clip > 0) jb_add(&j, "reward_clip", "%s", num(a, sizeof a, pc->reward_clip));
    else jb_add(&j, "reward_clip", "null");
    jb_add(&j, "whiten_rewards", "%s", yes(pc->whiten_rewards));
    jb_add(&j, "whiten_advantages", "%s", yes(pc->whiten_adv));
    jb_add(&j, "gamma", "%s", num(a, sizeof a, pc->gamma));
    jb_add(&j, "lambda", "%s", num(a, sizeof a, pc->lam));
    jb_add(&j, "cliprange", "%s", num(a, sizeof a, pc->cliprange));
    jb_add(&j, "cliprange_value", "%s", num(a, sizeof a, pc->cliprange_value));
    jb_add(&j, "vf_coef", "%s", num(a, sizeof a, pc->vf_coef));
    jb_add(&j, "value_warmup", "%ld", c->value_warmup);
    jb_add(&j, "seed", "%llu", (unsigned long long)c->seed);
    return j.s;
}
