/*
 * pref-synth — write records of the built-in synthetic world (synth.h):
 * prompts with gold fields, SFT demonstrations from one responder, or
 * rated records (several responders per prompt, rated per aspect and
 * overall, the UltraFeedback situation).
 *
 * Record i of a stream has category i mod (number of categories), so every
 * output is balanced; its prompt is drawn from rng(hash(seed, split, i))
 * until one falls in the requested split and is new to this output.
 */
#include "base/cli.h"
#include "io/record.h"
#include "io/stream.h"
#include "data/synth.h"
#include "base/util.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: pref-synth --emit KIND --split SPLIT [-n N] [--seed S] [OPTIONS]\n"
    "\n"
    "Write records of the built-in synthetic world: prompts in five\n"
    "categories (math, instruction, safety, truthfulness, factuality) with\n"
    "verifiable gold fields, answered by a zoo of responders of graded\n"
    "quality (strong, verbose, middle, cautious, reckless, weak).\n"
    "\n"
    "  -e, --emit KIND        prompt (with gold), sft (one responder's answers)\n"
    "                         or rated (several responders, rated per aspect)\n"
    "  -s, --split SPLIT      train, pool (PPO prompts) or eval (held out);\n"
    "                         a prompt's split is fixed by a hash of its text\n"
    "  -n, --count N          records to write (default 1000)\n"
    "      --seed S           the world's seed (default 1)\n"
    "      --categories LIST  comma-separated subset of the categories\n"
    "      --responder NAME   sft: who answers (default middle)\n"
    "      --responders LIST  rated: the pool to draw from (default: the zoo)\n"
    "      --per-prompt K     rated: completions per prompt (default 4)\n"
    "      --overall-noise X  rated: noise of the holistic rating (default 1.5)\n"
    "      --list-responders  print the zoo and exit\n"
    "  -o, --output URI       output (default stdout)\n"
    "  -h, --help / -V, --version\n"
    "\n"
    "Aspect ratings (helpfulness, instruction_following, honesty,\n"
    "harmlessness; 1-5) follow the gold judge with rare +-1 noise; the\n"
    "'overall' rating (1-10) is noisier and favours padded answers, like a\n"
    "holistic judge.  Prompt records carry 'gold'; sft and rated records\n"
    "carry it as meta.gold (kept by pref-binarize).  Score with gold-judge.\n";

typedef struct {
    int emit;  /* 0 prompt, 1 sft, 2 rated */
    int split;
    long n;
    uint64_t seed;
    int cats[SYNTH_NCAT], ncats;
    const synth_responder *responder;
    const synth_responder *pool[16];
    int npool, per_prompt;
    double overall_noise;
} synth_opts;

/* tiny open-addressing set of prompt hashes, to keep prompts distinct */
typedef struct {
    uint64_t *slot;
    size_t cap, n;
} hset;

static int hset_add(hset *h, uint64_t k)
{
    if (!k)
        k = 1;
    if (2 * (h->n + 1) > h->cap) {
        hset old = *h;
        h->cap = h->cap ? 2 * h->cap : 1024;
        h->slot = xcalloc(h->cap, sizeof *h->slot);
        h->n = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.slot[i])
                hset_add(h, old.slot[i]);
        free(old.slot);
    }
    size_t i = k & (h->cap - 1);
    while (h->slot[i]) {
        if (h->slot[i] == k)
            return 0;
        i = (i + 1) & (h->cap - 1);
    }
    h->slot[i] = k;
    h->n++;
    return 1;
}

static void draw_in_split(const synth_opts *o, long i, hset *seen, synth_prompt *p, long *dups)
{
    uint64_t key[3] = {o->seed, (uint64_t)o->split, (uint64_t)i};
    rng_t r;
    rng_seed(&r, hash64(key, sizeof key, 0x5e17));
    synth_cat cat = (synth_cat)o->cats[i % o->ncats];
    for (int tries = 0;; tries++) {
        synth_draw_prompt(cat, &r, p);
        if (synth_split_of(p->text, o->seed) != (synth_split)o->split)
            continue;
        if (hset_add(seen, hash64(p->text, strlen(p->text), o->seed)))
            return;
        if (tries > 2000) { /* this category's split is used up: repeat a prompt */
            (*dups)++;
            return;
        }
    }
}

static void pack_prompt_msgs(msgpack_packer *pk, const char *text)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 2);
    pack_str(pk, "role");
    pack_str(pk, "user");
    pack_str(pk, "content");
    pack_str(pk, text);
}

static int clampi(long v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : (int)v; }

static double gauss(rng_t *r)
{
    double u = rng_uniform(r), v = rng_uniform(r);
    return sqrt(-2 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

static void emit_rated(recb *b, const synth_opts *o, const synth_prompt *p, rng_t *r)
{
    int order[16];
    for (int i = 0; i < o->npool; i++)
        order[i] = i;
    for (int i = o->npool - 1; i > 0; i--) {
        int j = (int)rng_below(r, (uint64_t)i + 1);
        int t = order[i]; order[i] = order[j]; order[j] = t;
    }
    int k = o->per_prompt < o->npool ? o->per_prompt : o->npool;
    char text[16][200];
    synth_score sc[16];
    for (int c = 0; c < k; c++) {
        size_t n = synth_respond(p, o->pool[order[c]], r, text[c], sizeof text[c]);
        synth_judge(p, text[c], n, &sc[c]);
    }
    msgpack_packer *pk = recb_begin(b, "completions");
    msgpack_pack_array(pk, (size_t)k);
    for (int c = 0; c < k; c++) {
        int rank = 1;
        for (int d = 0; d < k; d++)
            rank += sc[d].total > sc[c].total || (sc[d].total == sc[c].total && d < c);
        msgpack_pack_map(pk, 5);
        pack_str(pk, "text");
        pack_str(pk, text[c]);
        pack_str(pk, "ratings");
        msgpack_pack_map(pk, SYNTH_NASPECT);
        for (int a = 0; a < SYNTH_NASPECT; a++) {
            long v = lround(1 + 4 * sc[c].aspect[a]);
            if (rng_uniform(r) < 0.1)
                v += rng_below(r, 2) ? 1 : -1;
            pack_str(pk, synth_aspect_names[a]);
            msgpack_pack_int(pk, clampi(v, 1, 5));
        }
        int padded = strstr(text[c], "hope this helps") != NULL;
        long overall = lround(1 + 9 * sc[c].total + o->overall_noise * gauss(r) + 2.5 * padded);
        pack_str(pk, "overall");
        msgpack_pack_int(pk, clampi(overall, 1, 10));
        pack_str(pk, "rank");
        msgpack_pack_int(pk, rank);
        pack_str(pk, "model");
        pack_str(pk, o->pool[order[c]]->name);
    }
    recb_end(b);
}

static void parse_list(const char *s, int (*lookup)(const char *), int *out, int *n, int max, const char *what)
{
    char *copy = xstrdup(s);
    *n = 0;
    for (char *t = strtok(copy, ","); t; t = strtok(NULL, ",")) {
        int v = lookup(t);
        if (v < 0)
            cli_usage_error("unknown %s '%s'", what, t);
        if (*n < max)
            out[(*n)++] = v;
    }
    free(copy);
    if (*n == 0)
        cli_usage_error("empty %s list", what);
}

static int responder_index(const char *s)
{
    const synth_responder *r = synth_find_responder(s);
    return r ? (int)(r - synth_zoo) : -1;
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    synth_opts o = {.emit = -1, .split = -1, .n = 1000, .seed = 1, .per_prompt = 4, .overall_noise = 1.5};
    const char *out_uri = "-";
    const char *responder = "middle";
    static const struct option lo[] = {
        {"emit", required_argument, 0, 'e'}, {"split", required_argument, 0, 's'},
        {"count", required_argument, 0, 'n'}, {"seed", required_argument, 0, 1},
        {"categories", required_argument, 0, 2}, {"responder", required_argument, 0, 3},
        {"responders", required_argument, 0, 4}, {"per-prompt", required_argument, 0, 5},
        {"overall-noise", required_argument, 0, 6}, {"list-responders", no_argument, 0, 7},
        {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'}, {0, 0, 0, 0}};
    int c, pool_idx[16];
    o.ncats = SYNTH_NCAT;
    for (int i = 0; i < SYNTH_NCAT; i++)
        o.cats[i] = i;
    for (int i = 0; i < synth_zoo_size; i++)
        o.pool[o.npool++] = &synth_zoo[i];
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "e:s:n:o:hV", lo, NULL)) != -1) {
        switch (c) {
        case 'e':
            o.emit = !strcmp(optarg, "prompt") ? 0 : !strcmp(optarg, "sft") ? 1 : !strcmp(optarg, "rated") ? 2 : -2;
            if (o.emit == -2)
                cli_usage_error("--emit: '%s' is not prompt, sft or rated", optarg);
            break;
        case 's':
            o.split = synth_split_from_name(optarg);
            if (o.split < 0)
                cli_usage_error("--split: '%s' is not train, pool or eval", optarg);
            break;
        case 'n': o.n = (long)parse_ll("--count", optarg, 0, 100000000); break;
        case 1: o.seed = (uint64_t)parse_ll("--seed", optarg, 0, INT64_MAX); break;
        case 2: parse_list(optarg, synth_cat_from_name, o.cats, &o.ncats, SYNTH_NCAT, "category"); break;
        case 3: responder = optarg; break;
        case 4: {
            int n;
            parse_list(optarg, responder_index, pool_idx, &n, 16, "responder");
            o.npool = n;
            for (int i = 0; i < n; i++)
                o.pool[i] = &synth_zoo[pool_idx[i]];
            break;
        }
        case 5: o.per_prompt = (int)parse_ll("--per-prompt", optarg, 2, 16); break;
        case 6: o.overall_noise = parse_double("--overall-noise", optarg); break;
        case 7:
            printf("%-9s %8s %7s %7s %8s %8s %8s\n", "name", "correct", "follow", "refuse", "overref", "premise", "verbose");
            for (int i = 0; i < synth_zoo_size; i++) {
                const synth_responder *z = &synth_zoo[i];
                printf("%-9s %8.2f %7.2f %7.2f %8.2f %8.2f %8.2f\n", z->name, z->p_correct, z->p_follow,
                       z->p_refuse_harmful, z->p_overrefuse, z->p_correct_premise, z->p_verbose);
            }
            return 0;
        case 'o': out_uri = optarg; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_bad_option(argv, lo);
        }
    }
    if (optind < argc)
        cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (o.emit < 0 || o.split < 0)
        cli_usage_error("--emit and --split are required");
    o.responder = synth_find_responder(responder);
    if (!o.responder)
        cli_usage_error("--responder: unknown responder '%s' (see --list-responders)", responder);

    rstream *out = rs_open_write(out_uri);
    recb b;
    recb_init(&b);
    hset seen = {0};
    long dups = 0;
    for (long i = 0; i < o.n; i++) {
        synth_prompt p;
        draw_in_split(&o, i, &seen, &p, &dups);
        uint64_t key[3] = {o.seed, (uint64_t)o.split + 100, (uint64_t)i};
        rng_t r;
        rng_seed(&r, hash64(key, sizeof key, 0xa115));
        char id[64];
        snprintf(id, sizeof id, "synth:%s:%ld", synth_split_name((synth_split)o.split), i);
        recb_reset(&b);
        recb_put_str(&b, "id", id);
        pack_prompt_msgs(recb_begin(&b, "prompt"), p.text);
        recb_end(&b);
        if (o.emit == 1) {
            char text[200];
            size_t n = synth_respond(&p, o.responder, &r, text, sizeof text);
            recb_put_strn(&b, "response", text, n);
        } else if (o.emit == 2) {
            emit_rated(&b, &o, &p, &r);
        }
        recb_put_str(&b, "source", "pref-synth");
        msgpack_packer *pk = recb_begin(&b, "tags");
        msgpack_pack_array(pk, 1);
        pack_str(pk, synth_cat_name(p.cat));
        recb_end(&b);
        if (o.emit == 0) { /* the prompt schema's gold field */
            synth_pack_gold(recb_begin(&b, "gold"), &p);
        } else { /* sft/rated keep it in meta, which pref-binarize carries into pairs */
            pk = recb_begin(&b, "meta");
            msgpack_pack_map(pk, 1);
            pack_str(pk, "gold");
            synth_pack_gold(pk, &p);
        }
        recb_end(&b);
        const char *buf;
        size_t len;
        recb_finish(&b, &buf, &len);
        rs_write(out, buf, len);
    }
    rs_close(out);
    if (dups)
        warnx_("%ld prompts repeat an earlier one (a category's %s split has fewer distinct prompts)", dups,
               synth_split_name((synth_split)o.split));
    recb_free(&b);
    free(seen.slot);
    return 0;
}
