/*
 * stage_cli.c — shared option handling for the training stages
 * (stage_cli.h).
 */
#include "train/stage_cli.h"

#include "backend/backend.h"
#include "base/cli.h"
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
    case TC_WARMUP: o->warmup_frac = parse_double("--warmup", a); break;   /* old spelling */
    case TC_WARMUP_FRAC: o->warmup_frac = parse_double("--warmup-frac", a); break;
    case TC_WD: o->h.wd = (float)parse_double("--weight-decay", a); break;
    case TC_CLIP: o->h.clip = (float)parse_double("--clip", a); break;   /* old spelling */
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
    case TC_B1: o->h.b1 = (float)parse_double("--adam-beta1", a); break;
    case TC_B2: o->h.b2 = (float)parse_double("--adam-beta2", a); break;
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
    if (dist_size() > 1 && strcmp(be->name, "cpu") && strcmp(be->name, "ref") && !dist_attach_device())
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

void train_cli_run(train_cli *t, model *m, tokenizer *tok, train_spool *data, train_spool *eval,
                   train_objective *obj)
{
    train_run(&t->o, m, tok, data, eval, obj);
    spool_close(data);
    if (eval) spool_close(eval);
    tok_free(tok);
    model_free(m);
}
