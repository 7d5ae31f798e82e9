/*
 * stage_cli.c — shared option handling for the training stages
 * (stage_cli.h).
 */
#include "train/stage_cli.h"

#include "backend/backend.h"
#include "base/cli.h"
#include "base/config.h"
#include "base/run_args.h"
#include "base/inputs.h"
#include "base/util.h"
#include "dist/dist.h"
#include "io/stream.h"
#include "train/checkpoint.h"

#include <string.h>
#include <sys/stat.h>

void train_cli_init(train_cli *t, const char *stage)
{
    memset(t, 0, sizeof *t);
    train_dist_start();
    train_opts_defaults(&t->o);
    t->o.stage = stage;
    t->o.micro = 4;
    t->trunc = TRUNC_KEEP_START;
}

/* per invocation, never saved */
static const char *const drop[] = {"resume", "config", "force", "stop-after", "help", "version", NULL};
static const char *const paths[] = {"model", "output", "eval", "metrics", "ref", NULL};
static const char *const may_change[] = {"output",    "threads",    "progress", "metrics",
                                         "no-timing", "save-every", "eval",     "device", NULL};

static run_args_spec spec_of(const train_cli *t)
{
    return (run_args_spec){.program = t->o.stage, .resume_opt = "resume", .paths = paths, .drop = drop,
                           .may_change = may_change, .out_opt = "output"};
}

void train_cli_args(train_cli *t, int *argc, char ***argv, const struct option *lo)
{
    config_apply(argc, argv, lo);   /* --config FILE: its options first, ours override */
    run_args_spec sp = spec_of(t);
    run_args_resume(argc, argv, lo, &sp);
    t->argc = *argc;
    t->argv = *argv;
    t->lo = lo;
}

static void effective_add(train_cli *t, const char *key, const char *json_value)
{
    size_t n = strlen(t->effective);
    snprintf(t->effective + n, sizeof t->effective - n, "%s\"%s\": %s", n ? ", " : "", key, json_value);
}

void train_cli_effective_num(train_cli *t, const char *key, double v)
{
    char b[40];
    snprintf(b, sizeof b, "%.15g", v);   /* 0.1, not 0.10000000000000001; 8, not 8.0 */
    effective_add(t, key, b);
}

void train_cli_effective_str(train_cli *t, const char *key, const char *v)
{
    char b[128];
    snprintf(b, sizeof b, "\"%s\"", v);   /* names of modes: no quoting needed */
    effective_add(t, key, b);
}

int train_cli_handle(train_cli *t, int c, const char *a)
{
    train_opts *o = &t->o;
    switch (c) {
    case 'm': t->model_dir = a; break;
    case 'o': o->out_dir = a; break;
    case TC_EPOCHS: o->epochs = (int)parse_ll("--epochs", a, 1, 1000000); break;
    case TC_MAX_STEPS: o->max_steps = parse_ll("--max-steps", a, 0, (long long)1 << 40); break;
    case TC_BATCH: o->batch = (int)parse_ll("--batch", a, 1, 1 << 20); break;
    case TC_MICRO: o->micro = (int)parse_ll("--micro-batch", a, 1, 1 << 16); break;
    case TC_LR: o->lr = parse_double("--lr", a); break;
    case TC_LR_FLOOR: o->lr_floor = parse_double("--lr-floor", a); break;
    case TC_WARMUP:   /* old spellings: one release, with a warning */
        cli_old_spelling("--warmup", "--warmup-frac", NULL);
        o->warmup_frac = parse_double("--warmup", a);
        break;
    case TC_WARMUP_FRAC: o->warmup_frac = parse_double("--warmup-frac", a); break;
    case TC_WD: o->h.wd = (float)parse_double("--weight-decay", a); break;
    case TC_CLIP:
        cli_old_spelling("--clip", "--clip-norm", NULL);
        o->h.clip = (float)parse_double("--clip", a);
        break;
    case TC_CLIP_NORM: o->h.clip = (float)parse_double("--clip-norm", a); break;
    case TC_BETAS: {   /* one spelling with ppo-step: B1,B2 */
        const char *comma = strchr(a, ',');
        char b1[64];
        if (!comma || (size_t)(comma - a) >= sizeof b1) cli_usage_error("--adam-betas takes B1,B2, not '%s'", a);
        snprintf(b1, sizeof b1, "%.*s", (int)(comma - a), a);
        o->h.b1 = (float)parse_double("--adam-betas", b1);
        o->h.b2 = (float)parse_double("--adam-betas", comma + 1);
        break;
    }
    case TC_B1:
        cli_old_spelling("--adam-beta1", "--adam-betas B1,B2", NULL);
        o->h.b1 = (float)parse_double("--adam-beta1", a);
        break;
    case TC_B2:
        cli_old_spelling("--adam-beta2", "--adam-betas B1,B2", NULL);
        o->h.b2 = (float)parse_double("--adam-beta2", a);
        break;
    case TC_EPS: o->h.eps = (float)parse_double("--adam-eps", a); break;
    case TC_SEED: o->seed = (uint64_t)parse_ll("--seed", a, 0, (long long)9e18); break;
    case TC_SAVE_EVERY: o->save_every = parse_ll("--save-every", a, 0, (long long)1 << 40); break;
    case TC_RESUME: o->resume_dir = a; break;
    case TC_METRICS: o->metrics_uri = a; break;
    case TC_EVAL: t->eval_path = a; break;
    case TC_MAX_LEN: t->max_len = (int)parse_ll("--max-len", a, 2, 1 << 24); break;
    case TC_TRUNC:
        if (trunc_parse(a, &t->trunc)) cli_usage_error("--truncation: expected keep-start, keep-end or drop, not '%s'", a);
        break;
    case TC_PROGRESS: o->progress = 1; break;
    case TC_NO_TIMING: o->no_timing = 1; break;
    case 'j': threads_set("--threads", a); break;
    case TC_DEVICE: t->device = a; break;
    case TC_FORCE: ckpt_allow_replace(1); break;
    case TC_STOP_AFTER: o->stop_after = parse_ll("--stop-after", a, 1, (long long)1 << 40); break;
    default: return 0;
    }
    return 1;
}

void train_cli_finish(train_cli *t)
{
    t->be = backend_for_device(t->device);
    if (!t->model_dir && !t->o.resume_dir) cli_usage_error("missing --model DIR");
    if (!t->o.out_dir) cli_usage_error("missing --output DIR");
    if (!(t->o.lr > 0)) cli_usage_error("--lr must be positive");
    if (t->o.lr_floor < 0 || t->o.lr_floor > t->o.lr) cli_usage_error("--lr-floor must be in [0, --lr]");
    if (!(t->o.warmup_frac >= 0 && t->o.warmup_frac <= 1)) cli_usage_error("--warmup must be a fraction in [0, 1]");
    if (t->o.h.clip < 0) cli_usage_error("--clip must be >= 0");
    if (t->o.micro > t->o.batch) t->o.micro = t->o.batch;
    train_dist_device(t->be);
}

void train_dist_device(const backend *be)
{
    if ((dist_size() > 1 || dist_device_engine_forced()) && strcmp(be->name, "cpu") && strcmp(be->name, "ref")
        && !dist_attach_device())
        die(EX_USAGE, "--device %s with %d ranks needs the NCCL engine, and this build has none (make NCCL=1)",
            be->name, dist_size());
}

void train_dist_start(void)
{
    dist_start();
    if (strcmp(dist_world()->name, "single")) rs_stdout_forwarded();
}

void train_shard_init(held_shard *s)
{
    memset(s, 0, sizeof *s);
    s->rank = dist_rank();
    s->nranks = dist_size();
    s->send = dist_send;
    s->recv = dist_recv;
}

void train_shard_window(held_window *h, void (*drop)(void *ctx, int nex))
{
    train_shard_init(&h->shard);
    h->drop = drop;
}

void train_check_rank_inputs(char **uris, int n)
{
    if (dist_size() == 1) return;
    for (int i = 0; i < n; i++) {
        struct stat st;
        const char *why = NULL;
        if (!strcmp(uris[i], "-")) why = "stdin reaches rank 0 only";
        else if (rs_is_zmq_uri(uris[i])) why = "a ZeroMQ stream is one stream, not one per rank";
        else if (stat(uris[i], &st) == 0 && !S_ISREG(st.st_mode)) why = "not a regular file (a pipe is read once)";
        if (why)
            die(EX_USAGE, "%s: with %d ranks every input must be a file each rank reads whole: %s", uris[i],
                dist_size(), why);
    }
}

train_spool *train_cli_spool(const train_cli *t, train_prep *prep, const model *m, int argc, char **argv,
                             model *ref, int ref_batch, train_spool *data, train_spool *eval)
{
    prep->max_len = t->max_len ? t->max_len : m->c.max_pos;
    prep->trunc = t->trunc;
    if (prep->max_len > m->c.max_pos)
        die(EX_USAGE, "--max-len %d exceeds the model's maximum %d", prep->max_len, m->c.max_pos);
    int nin;
    char **ins = cli_inputs(argc, argv, optind, &nin);
    train_check_rank_inputs(ins, nin);
    train_counts cnt;
    train_spool_inputs(data, ins, nin, prep, ref, ref_batch, &cnt, "training data");
    if (!t->eval_path) return NULL;
    train_spool_inputs(eval, (char **)&t->eval_path, 1, prep, ref, ref_batch, &cnt, "eval data");
    return eval;
}

/* every resolved setting of the trainer, defaults included */
static char *effective_json(train_cli *t, const model *m)
{
    const train_opts *o = &t->o;
    char lr[40], floor[40], wu[40], wd[40], clip[40], b1[40], b2[40], eps[40];
    format_double(lr, sizeof lr, o->lr);
    format_double(floor, sizeof floor, o->lr_floor);
    format_double(wu, sizeof wu, o->warmup_frac);
    format_float(wd, sizeof wd, o->h.wd);   /* float: its shortest text */
    format_float(clip, sizeof clip, o->h.clip);   /* float: its shortest text */
    format_float(b1, sizeof b1, o->h.b1);   /* float: its shortest text */
    format_float(b2, sizeof b2, o->h.b2);   /* float: its shortest text */
    format_float(eps, sizeof eps, o->h.eps);   /* float: its shortest text */
    size_t cap = 1024 + sizeof t->effective;
    char *s = xmalloc(cap);
    snprintf(s, cap,
             "{\"epochs\": %d, \"max_steps\": %ld, \"batch\": %d, \"micro_batch\": %d, \"lr\": %s, "
             "\"lr_floor\": %s, \"warmup_frac\": %s, \"weight_decay\": %s, \"clip_norm\": %s, "
             "\"adam_betas\": [%s, %s], \"adam_eps\": %s, \"seed\": %llu, \"max_len\": %d, "
             "\"truncation\": \"%s\", \"device\": \"%s\", \"threads\": %d%s%s}",
             o->epochs, o->max_steps, o->batch, o->micro, lr, floor, wu, wd, clip, b1, b2, eps,
             (unsigned long long)o->seed, t->max_len ? t->max_len : m->c.max_pos,
             t->trunc == TRUNC_KEEP_END ? "keep-end" : t->trunc == TRUNC_DROP ? "drop" : "keep-start",
             t->be ? t->be->name : "cpu", threads_count(), t->effective[0] ? ", " : "", t->effective);
    return s;
}

void train_cli_run(train_cli *t, model *m, tokenizer *tok, train_spool *data, train_spool *eval,
                   train_objective *obj)
{
    if (t->argv) {
        run_args_spec sp = spec_of(t);
        char *eff = effective_json(t, m);
        char *rc = run_args_json(t->argc, t->argv, t->lo, &sp, t->o.seed, eff);
        ckpt_set_run_config(rc);
        free(rc);
        free(eff);
    }
    train_run(&t->o, m, tok, data, eval, obj);
    spool_close(data);
    if (eval) spool_close(eval);
    tok_free(tok);
    model_free(m);
}
