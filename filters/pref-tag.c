/*
 * pref-tag — add task-category `tags` (App. J) to records that carry a
 * `prompt` conversation (prompt, pair, rated), and select or drop records
 * by tag for prompt mining, deduplicated (--unique) and decontaminated
 * against evaluation prompts (--exclude).  The tagger is a kind from
 * lib/data/tagger.h; the model kind asks either a checkpoint in-process
 * (model/chat_answer.h: rollout's sampler, greedy) or an external command
 * (base/subproc.h).  This file parses options, wires the asker and streams
 * records.
 */
#include "base/cli.h"
#include "base/subproc.h"
#include "data/dedup.h"
#include "io/record.h"
#include "io/inputs.h"
#include "io/stream.h"
#include "data/tagger.h"
#include "text/msgs.h"
#include "model/chat_answer.h"
#include "train/checkpoint.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: pref-tag [OPTIONS] [INPUT...]\n"
    "\n"
    "Tag each record's prompt (its user turns) with the paper's 14 task\n"
    "categories and write it back with a 'tags' list (replacing any).\n"
    "\n"
    "  --tagger KIND          rules (default) | model (--model or --judge)\n"
    "  --model DIR            tag with this chat model and the App. J / Figure 5\n"
    "                         prompt, in-process (greedy; implies --tagger model)\n"
    "  --judge CMD            the same with an external command: the prompt on its\n"
    "                         stdin, the answer on its stdout (run by /bin/sh)\n"
    "  --max-new N            --model: answer tokens at most (default 64)\n"
    "  --exclude URI          drop records that share a word N-gram (or their whole\n"
    "                         text) with a prompt in URI (evaluation prompts)\n"
    "  --ngram N              --exclude's N (default 8)\n"
    "  --unique               drop records whose prompt repeats an earlier one\n"
    "  --select LIST          keep only records with at least one of these tags\n"
    "  --max-other-tags N     with --select: at most N tags besides the selected\n"
    "  --drop LIST            drop records with any of these tags (e.g. Unclear,Multilingual)\n"
    "  -o, --output OUT       output stream (default stdout)\n"
    "      --progress         records/s on stderr (default: only on a terminal)\n"
    "  -h, --help, -V, --version\n"
    "\n"
    "Tag names: Coding, Math, Asking for Advice, Brainstorming, Classification,\n"
    "Closed Question Answering (Closed QA), Creative Writing, Extraction,\n"
    "Inhabiting a Character/Persona (Persona), Open Question Answering (Open QA),\n"
    "Rewriting, Summarization, Multilingual, Unclear.  A summary with the count\n"
    "of each tag goes to stderr.  Exit: 0, 64 usage, 65 a record without prompt\n"
    "or a bad checkpoint, 70 the model or judge failed.\n";

enum { O_TAGGER = 1000, O_SELECT, O_MAXOTHER, O_DROP, O_PROGRESS, O_MODEL, O_JUDGE, O_MAXNEW, O_EXCLUDE, O_NGRAM,
       O_UNIQUE };

/* ---- askers for the model tagger ---- */

static char *ask_judge(void *ctx, const char *prompt, size_t n, size_t *alen, char *err, size_t cap)
{
    char *out;
    if (subproc_filter(ctx, prompt, n, &out, alen, err, cap) < 0)
        return NULL;
    return out;
}

typedef struct {
    model *m;
    tokenizer *tok;
    sampler_cfg sc;
} model_asker;

static char *ask_model(void *ctx, const char *prompt, size_t n, size_t *alen, char *err, size_t cap)
{
    model_asker *a = ctx;
    return chat_answer(a->m, a->tok, &a->sc, prompt, n, "pref-tag", alen, err, cap);
}

static uint32_t parse_tags(const char *opt, const char *s)
{
    uint32_t m;
    const char *bad;
    size_t n;
    if (tag_parse_list(s, &m, &bad, &n) < 0)
        cli_usage_error("%s: unknown tag '%.*s'", opt, (int)n, bad);
    return m;
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    static const struct option lo[] = {
        {"tagger", required_argument, 0, O_TAGGER}, {"select", required_argument, 0, O_SELECT},
        {"max-other-tags", required_argument, 0, O_MAXOTHER}, {"drop", required_argument, 0, O_DROP},
        {"output", required_argument, 0, 'o'},       {"help", no_argument, 0, 'h'},
        {"progress", no_argument, 0, O_PROGRESS},     {"model", required_argument, 0, O_MODEL},
        {"judge", required_argument, 0, O_JUDGE},      {"max-new", required_argument, 0, O_MAXNEW},
        {"exclude", required_argument, 0, O_EXCLUDE},  {"ngram", required_argument, 0, O_NGRAM},
        {"unique", no_argument, 0, O_UNIQUE},
        {"version", no_argument, 0, 'V'},            {0, 0, 0, 0}};
    const char *kind_name = "rules", *out = "-", *model_dir = NULL, *judge = NULL, *exclude = NULL;
    uint32_t select = 0, drop = 0;
    long long max_other = -1;
    int c, progress = 0, max_new = 64, ngram = 8, unique = 0;
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "o:hV", lo, NULL)) != -1) {
        switch (c) {
        case O_TAGGER: kind_name = optarg; break;
        case O_SELECT: select = parse_tags("--select", optarg); break;
        case O_MAXOTHER: max_other = parse_ll("--max-other-tags", optarg, 0, TAG_COUNT); break;
        case O_DROP: drop = parse_tags("--drop", optarg); break;
        case O_PROGRESS: progress = 1; break;
        case O_MODEL: model_dir = optarg; break;
        case O_JUDGE:
            if (!*optarg) cli_usage_error("--judge needs a command");
            judge = optarg;
            break;
        case O_MAXNEW: max_new = (int)parse_ll("--max-new", optarg, 1, 1 << 20); break;
        case O_EXCLUDE: exclude = optarg; break;
        case O_NGRAM: ngram = (int)parse_ll("--ngram", optarg, 1, 64); break;
        case O_UNIQUE: unique = 1; break;
        case 'o': out = optarg; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_bad_option(argv, lo);
        }
    }
    if (max_other >= 0 && !select)
        cli_usage_error("--max-other-tags needs --select");
    if (model_dir && judge)
        cli_usage_error("--model and --judge are two ways to run the model tagger: give one");
    if (model_dir || judge)
        kind_name = "model";
    const tagger_kind *kind = tagger_find(kind_name);
    if (!kind)
        cli_usage_error("--tagger: unknown kind '%s' (rules, model)", kind_name);
    char err[256];
    tagger *tg;
    model_asker ma = {0};
    if (kind == &tagger_model) {
        if (!model_dir && !judge)
            cli_usage_error("--tagger model needs --model DIR or --judge CMD");
        tagger_asker a = {ask_judge, (void *)judge};
        if (model_dir) {
            ma.m = ckpt_load_model(model_dir, backend_cpu());
            if (!ma.m->c.lm_head)
                die(EX_DATAERR, "%s: not a causal LM (no lm_head): the tagger needs a chat model", model_dir);
            ma.tok = ckpt_load_tokenizer(model_dir);
            ma.sc = sampler_defaults();
            ma.sc.temperature = 0;   /* greedy: the same tags every run */
            ma.sc.max_new = max_new;
            ma.sc.eos_id = ma.m->c.eos_id;
            a = (tagger_asker){ask_model, &ma};
        }
        tg = tagger_model_new(a);
    } else if (!(tg = kind->open(NULL, err, sizeof err))) {
        die(EX_UNAVAILABLE, "--tagger %s: %s", kind_name, err);
    }
    dedup_set ex, seen;
    dedup_init(&ex, ngram);
    dedup_init(&seen, ngram);
    uint64_t nexcluded = 0, nrepeated = 0;
    char *text = NULL;
    size_t cap = 0, len;
    if (exclude)
        dedup_add_prompts(&ex, exclude);
    rstream *os = rs_open_write(out);
    recb b;
    recb_init(&b);
    uint64_t nread = 0, nwritten = 0, counts[TAG_COUNT] = {0};
    progress_t prog;
    progress_init(&prog, "records", 0, progress);
    inputs in;
    inputs_open(&in, argc, argv, optind);
    while (inputs_next(&in)) {
        nread++;
        progress_add(&prog, 1);
        if (msgs_user_text(rec_get(&in.rec, "prompt"), &text, &cap, &len) < 0)
            die(EX_DATAERR, "%s: no 'prompt' list of {role, content} messages", inputs_where(&in));
        /* cheap filters first: no model call for a prompt that is dropped anyway */
        if (exclude && dedup_overlaps(&ex, text ? text : "", len)) {
            nexcluded++;
            continue;
        }
        if (unique && !dedup_add_hash(&seen, dedup_text_hash(text ? text : "", len))) {
            nrepeated++;
            continue;
        }
        uint32_t m;
        int tr = kind->tag(tg, text ? text : "", len, &m, err, sizeof err);
        if (tr < 0)
            die(tr == TAGGER_BAD_TEXT ? EX_DATAERR : EX_SOFTWARE, "%s: %s%s", inputs_where(&in),
                judge ? "--judge: " : model_dir ? "--model: " : "", err);
        for (int t = 0; t < TAG_COUNT; t++)
            if (m & (1u << t))
                counts[t]++;
        if (drop && (m & drop))
            continue;
        if (select && (!(m & select) || (max_other >= 0 && tag_count(m & ~select) > max_other)))
            continue;
        recb_reset(&b);
        recb_copy_fields(&b, &in.rec);
        tag_pack(recb_begin(&b, "tags"), m);
        recb_end(&b);
        const char *buf;
        size_t blen;
        recb_finish(&b, &buf, &blen);
        rs_write(os, buf, blen);
        nwritten++;
    }
    inputs_close(&in);
    rs_close(os);
    progress_finish(&prog);
    fprintf(stderr, "%s: %llu read, %llu written; tags:", progname, (unsigned long long)nread,
            (unsigned long long)nwritten);
    for (int t = 0; t < TAG_COUNT; t++)
        if (counts[t])
            fprintf(stderr, " %s %llu;", tag_names[t], (unsigned long long)counts[t]);
    if (exclude)
        fprintf(stderr, " %llu overlapping --exclude;", (unsigned long long)nexcluded);
    if (unique)
        fprintf(stderr, " %llu repeated;", (unsigned long long)nrepeated);
    fputc('\n', stderr);
    if (kind == &tagger_model) {
        tagger_model_counts mc;
        tagger_model_stats(tg, &mc);
        fprintf(stderr, "%s: model answers: %llu, %llu parsed with tags, %llu refusals, %llu unparsable, "
                "%llu without a known tag\n", progname, mc.answers, mc.parsed, mc.refusals, mc.unparsable,
                mc.no_known_tag);
    }
    kind->close(tg);
    dedup_free(&ex);
    dedup_free(&seen);
    if (ma.m) {
        model_free(ma.m);
        tok_free(ma.tok);
    }
    recb_free(&b);
    free(text);
    return 0;
}
