/*
 * ppo_state.c — save and load ppo-step's resumable state (layout in
 * ppo_state.h).  trainer_state.json is written with jansson.
 */
#include "rl/ppo_state.h"
#include "train/checkpoint.h"
#include "base/fsreplace.h"
#include "base/util.h"

#include <errno.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* .state.tmp.PID / .state.old.PID of runs that were killed: each is a
 * full copy of two models */
static void clean_stale(const char *run)
{
    DIR *d = opendir(run);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *s = e->d_name;
        if (strncmp(s, ".state.tmp.", 11) && strncmp(s, ".state.old.", 11)) continue;
        char *end;
        long pid = strtol(s + 11, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid() || fs_pid_alive(pid)) continue;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", run, s);
        fs_rm_tree(p);
    }
    closedir(d);
}

void ppo_state_save(const char *run, const ppo_trainer *t, const tokenizer *tok, long version, const char *ref)
{
    char tmp[4096], dst[4096], sub[4200], err[512];
    clean_stale(run);
    snprintf(tmp, sizeof tmp, "%s/.state.tmp.%ld", run, (long)getpid());
    snprintf(dst, sizeof dst, "%s/state", run);
    fs_rm_tree(tmp);
    if (mkdir(tmp, 0755) != 0) die(EX_CANTCREAT, "%s: %s", tmp, strerror(errno));
    json_t *j = json_pack("{s:I, s:I, s:f, s:s, s:f, s:f, s:f}", "version", (json_int_t)version, "updates",
                          (json_int_t)t->updates, "beta", t->beta, "ref", ref ? ref : "", "rn_n", t->rn.n, "rn_mean",
                          t->rn.mean, "rn_m2", t->rn.m2);
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    json_decref(j);
    snprintf(sub, sizeof sub, "%s/policy", tmp);
    ckpt_save(sub, t->policy, tok, t->popt, text);
    snprintf(sub, sizeof sub, "%s/value", tmp);
    ckpt_save(sub, t->value, tok, t->vopt, text);
    free(text);
    /* one step: RUN/state is the old state or the new one at every instant */
    if (fs_swap_dir(tmp, dst, err, sizeof err)) die(EX_IOERR, "%s: %s", dst, err);
}

int ppo_state_load(const char *run, const backend *be, ppo_trainer *t, tokenizer **tok, ppo_state_info *info)
{
    char dir[4096], sub[4200];
    snprintf(dir, sizeof dir, "%s/state", run);
    clean_stale(run);   /* a resumed run does not carry a killed run's copies */
    struct stat st;
    if (stat(dir, &st) != 0) return -1;
    snprintf(sub, sizeof sub, "%s/policy", dir);
    t->policy = ckpt_load_model(sub, be);
    *tok = ckpt_load_tokenizer(sub);
    model_enable_grads(t->policy);
    t->popt = ckpt_load_optim(sub, t->policy);
    char *text = ckpt_load_state(sub);
    snprintf(sub, sizeof sub, "%s/value", dir);
    t->value = ckpt_load_model(sub, be);
    model_enable_grads(t->value);
    t->vopt = ckpt_load_optim(sub, t->value);
    if (!t->popt || !t->vopt || !text) die(EX_DATAERR, "%s: incomplete state (optimizer or trainer_state.json missing)", dir);
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j) die(EX_DATAERR, "%s/policy/trainer_state.json: %s", dir, je.text);
    info->version = (long)json_integer_value(json_object_get(j, "version"));
    t->updates = (long)json_integer_value(json_object_get(j, "updates"));
    t->beta = json_real_value(json_object_get(j, "beta"));
    t->rn.n = json_real_value(json_object_get(j, "rn_n"));
    t->rn.mean = json_real_value(json_object_get(j, "rn_mean"));
    t->rn.m2 = json_real_value(json_object_get(j, "rn_m2"));
    const char *ref = json_string_value(json_object_get(j, "ref"));
    info->ref = xstrdup(ref ? ref : "");
    json_decref(j);
    free(text);
    return 0;
}
