/*
 * eval-score — score benchmark outputs: read rollout-shaped records
 * (response + gold), add per-record scores under `scores`, and write a
 * summary record at the end (man 1 eval-score).
 *
 * Only the fields a scorer uses are required (response, gold.*; scores.KEY
 * for judged tasks): the rest of the record passes through unchanged.  A
 * record that cannot be scored is an error naming it (exit 65), or with
 * --skip-invalid a warning and a count in the summary's "skipped".
 *
 * Summary records in the input (kind "summary", from an earlier stage)
 * are relayed unchanged and neither scored nor counted.
 *
 * --judge CMD: the records are first piped through `sh -c CMD`
 * (io/cmd_filter.h: a child process feeds it so neither side can block
 * the other); the judge must
 * write records (the same ones, with its verdicts in scores.KEY), which are
 * then scored.  A judge that exits non-zero is an error.
 */
#include "base/cli.h"
#include "base/config.h"
#include "eval/boot.h"
#include "eval/common.h"
#include "io/cmd_filter.h"
#include "io/inputs.h"
#include "eval/judge_prompt.h"
#include "io/record.h"
#include "io/stream.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: eval-score --task NAME [OPTIONS] [INPUT...]\n"
    "\n"
    "Score outputs of a benchmark.  Reads records with 'response' and\n"
    "'gold' (rollouts of bench-load prompts), adds 'scores', and writes a\n"
    "summary record {\"kind\":\"summary\",...} after the last one.\n"
    "\n"
    "tasks: gsm8k, bbh, ifeval, xstest, pass-at-k, alpaca-eval, mmlu,\n"
    "       truthfulqa, truthfulqa-mc, toxigen, judge\n\n"
    "options:\n"
    "  -t, --task NAME        the benchmark scorer (required)\n"
    "  -o, --output URI       output (default stdout)\n"
    "      --numeric          GSM8K: compare numbers, not strings\n"
    "      --difficulty FILE  AlpacaEval: instruction difficulties for the\n"
    "                         length-controlled fit ({instruction, difficulty})\n"
    "  -k, --k LIST           pass@k: the k values (default 1,10)\n"
    "      --judge CMD        pipe the records through `sh -c CMD` first\n"
    "      --judge-prompt FILE  give each record fed to the judge a\n"
    "                         'judge_prompt': FILE with {question}, {response}\n"
    "                         ({QUESTION}, {RESPONSE}, {reference}) filled in\n"
    "      --judge-key KEY    the judge's verdict scores.KEY (default: refusal,\n"
    "                         win, toxic, score; truthfulqa: truth and info)\n"
    "      --bootstrap B      add a 95% bootstrap interval (B resamples of the\n"
    "                         items; --seed S, default 0) to the summary\n"
    "      --skip-invalid     skip (and count) records that cannot be scored\n"
    "      --summary-only     write only the summary record\n"
    "      --no-summary       write only the scored records\n"
    "      --summary URI      write the summary there instead of after the records\n"
    "      --model NAME       label the summary with a model name\n"
    "      --step N           label the summary with a training step\n"
    "      --benchmark NAME   display name in reports (default per task)\n"
    "      --progress         progress on stderr (a line every\n"
    "                         PREFPIPE_PROGRESS_EVERY s, default 10; a bar on a terminal)\n"
    "      --config FILE      \"key = value\" lines for long options; flags on\n"
    "                         the command line override them\n"
    "  -h, --help / -V, --version\n";

enum { O_NUMERIC = 1000, O_JUDGE, O_JUDGE_KEY, O_SKIP, O_SUMONLY, O_NOSUM, O_SUMMARY, O_MODEL, O_STEP, O_BENCH,
       O_PROGRESS, O_DIFFICULTY, O_JUDGE_PROMPT, O_BOOTSTRAP, O_SEED };

static void parse_ks(const char *s, eval_cfg *cfg)
{
    cfg->nks = 0;
    char *dup = xstrdup(s), *save = NULL;
    for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (cfg->nks == 16)
            cli_usage_error("--k: at most 16 values");
        cfg->ks[cfg->nks++] = (int)parse_ll("--k", t, 1, 1000000);
    }
    free(dup);
    if (!cfg->nks)
        cli_usage_error("--k needs at least one value");
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    static const struct option lo[] = {
        {"task", required_argument, 0, 't'},       {"output", required_argument, 0, 'o'},
        {"numeric", no_argument, 0, O_NUMERIC},    {"k", required_argument, 0, 'k'},
        {"judge", required_argument, 0, O_JUDGE},  {"judge-key", required_argument, 0, O_JUDGE_KEY},
        {"skip-invalid", no_argument, 0, O_SKIP},  {"summary-only", no_argument, 0, O_SUMONLY},
        {"no-summary", no_argument, 0, O_NOSUM},   {"summary", required_argument, 0, O_SUMMARY},
        {"model", required_argument, 0, O_MODEL},  {"step", required_argument, 0, O_STEP},
        {"benchmark", required_argument, 0, O_BENCH}, {"progress", no_argument, 0, O_PROGRESS},
        {"difficulty", required_argument, 0, O_DIFFICULTY}, {"judge-prompt", required_argument, 0, O_JUDGE_PROMPT},
        {"bootstrap", required_argument, 0, O_BOOTSTRAP}, {"seed", required_argument, 0, O_SEED},
        {"help", no_argument, 0, 'h'},             {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    const char *task_name = NULL, *out_uri = "-", *judge_cmd = NULL, *sum_uri = NULL, *judge_prompt_file = NULL;
    int skip = 0, sum_only = 0, no_sum = 0, progress = 0, boot_b = 0;
    uint64_t boot_seed = 0;
    eval_cfg cfg = {0};
    cfg.ks[0] = 1, cfg.ks[1] = 10, cfg.nks = 2;
    summary_meta meta = {.step = -1};
    int c;
    config_apply(&argc, &argv, lo);   /* --config FILE: its options first, ours override */
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "t:o:k:hV", lo, NULL)) != -1) {
        switch (c) {
        case 't': task_name = optarg; break;
        case 'o': out_uri = optarg; break;
        case 'k': parse_ks(optarg, &cfg); break;
        case O_NUMERIC: cfg.numeric = 1; break;
        case O_JUDGE: judge_cmd = optarg; break;
        case O_JUDGE_KEY: cfg.judge_key = optarg; break;
        case O_SKIP: skip = 1; break;
        case O_SUMONLY: sum_only = 1; break;
        case O_NOSUM: no_sum = 1; break;
        case O_SUMMARY: sum_uri = optarg; break;
        case O_MODEL: meta.model = optarg; break;
        case O_STEP: meta.step = parse_ll("--step", optarg, 0, INT64_MAX); break;
        case O_BENCH: meta.benchmark = optarg, meta.benchmark_given = 1; break;
        case O_PROGRESS: progress = 1; break;
        case O_DIFFICULTY: cfg.difficulty = optarg; break;
        case O_JUDGE_PROMPT: judge_prompt_file = optarg; break;
        case O_BOOTSTRAP: boot_b = (int)parse_ll("--bootstrap", optarg, 1, 1000000); break;
        case O_SEED: boot_seed = (uint64_t)parse_ll("--seed", optarg, 0, INT64_MAX); break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_bad_option(argv, lo);
        }
    }
    if (!task_name)
        cli_usage_error("--task NAME is required (one of: %s)", eval_task_names());
    const eval_task *task = eval_task_find(task_name);
    if (!task)
        cli_usage_error("unknown task '%s' (tasks: %s)", task_name, eval_task_names());
    if (sum_only && no_sum)
        cli_usage_error("--summary-only and --no-summary exclude each other");
    cfg.judge = judge_cmd != NULL;
    cfg.bootstrap = boot_b, cfg.boot_seed = boot_seed;
    const char *jkey = eval_task_judge_key(task);
    if (!cfg.judge_key)
        cfg.judge_key = jkey ? jkey : "score";
    if (judge_cmd && !jkey)
        cli_usage_error("--judge works with --task xstest, alpaca-eval, truthfulqa, toxigen or judge");
    if (boot_b && !task->reweigh)
        cli_usage_error("--bootstrap: task %s has no per-item bootstrap", task->name);
    meta.task = task->name;
    if (!meta.benchmark)
        meta.benchmark = task->benchmark;

    judge_feeder feeder;
    judge_feeder_init(&feeder, task->judge_fields);
    if (judge_prompt_file) {
        if (!judge_cmd)
            cli_usage_error("--judge-prompt needs --judge CMD");
        judge_feeder_open(&feeder, judge_prompt_file);
    }
    inputs in;
    inputs_open(&in, argc, argv, optind);
    cmd_filter judge = {0};
    char judge_uri[32], *judged_input[] = {judge_uri};
    if (judge_cmd) {   /* the judge's feeder reads the inputs; we read the judge */
        if (judge_prompt_file || task->judge_fields)
            judge.rewrite = judge_feeder_rewrite, judge.ctx = &feeder;
        cmd_filter_start(&judge, judge_cmd, &in);
        snprintf(judge_uri, sizeof judge_uri, "/dev/fd/%d", judge.fd);
        inputs_open(&in, 1, judged_input, 0);
        in.label = "judge output";
    }

    rstream *out = rs_open_write(out_uri);
    rstream *sout = sum_uri ? rs_open_write(sum_uri) : out;
    void *st = task->create(&cfg);
    kvbuf sc;
    kv_init(&sc);
    recb b;
    recb_init(&b);
    progress_t pg;
    progress_init(&pg, "records", 0, progress);
    while (inputs_next(&in)) {
        char err[512], idb[256];
        const msgpack_object *kind = rec_get(&in.rec, "kind");
        if (kind && obj_str_eq(kind, "summary")) { /* an earlier stage's summary: relay it */
            if (!sum_only) {
                rs_write(out, in.raw, in.len);
            }
            continue;
        }
        kv_reset(&sc);
        if (task->score(st, &in.rec, &sc, err, sizeof err) < 0) {
            eval_show_id(&in.rec, idb, sizeof idb);
            if (!skip)
                die(EX_DATAERR, "%s%s: cannot score for %s: %s", inputs_where(&in), idb, task->name, err);
            warnx_("%s%s: skipped: %s", inputs_where(&in), idb, err);
            meta.skipped++;
            continue;
        }
        meta.n++;
        progress_add(&pg, 1);
        if (sum_only)
            continue;
        if (sc.n == 0) {
            rs_write(out, in.raw, in.len);
            continue;
        }
        recb_reset(&b);
        recb_copy_fields(&b, &in.rec);
        kv_pack_merged(&sc, rec_get(&in.rec, "scores"), recb_begin(&b, "scores"));
        recb_end(&b);
        const char *buf;
        size_t len;
        recb_finish(&b, &buf, &len);
        rs_write(out, buf, len);
    }
    inputs_close(&in);
    progress_finish(&pg);
    if (judge_cmd) {
        int ok_f, ok_j;
        cmd_filter_wait(&judge, &ok_j, &ok_f);
        if (!ok_j)
            die(EX_DATAERR, "the judge command failed: %s", judge_cmd);
        if (!ok_f)
            die(EX_DATAERR, "could not feed the judge (see the message above)");
    }
    judge_feeder_close(&feeder);
    if (!no_sum) {
        kv_reset(&sc);
        task->finish(st, &sc);
        if (boot_b)
            boot_summary(task, st, boot_b, boot_seed, &sc);
        summary_write(sout, &meta, &sc);
    }
    fprintf(stderr, "%s: %s: %llu scored, %llu skipped\n", progname, task->name, (unsigned long long)meta.n,
            (unsigned long long)meta.skipped);
    if (sout != out)
        rs_close(sout);
    rs_close(out);
    task->destroy(st);
    kv_free(&sc);
    recb_free(&b);
    return 0;
}
