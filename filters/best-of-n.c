/*
 * best-of-n — keep, for each prompt, the scored rollout with the highest
 * reward (man 1 best-of-n), so that
 *   rollout -n 16 | rm-score | best-of-n | eval-score
 * is the paper's best-of-16 evaluation.
 *
 * Groups: prompt_id, else the id up to its last '#'.  Samples of a prompt
 * need not be adjacent; memory holds one record per prompt.  Ties go to
 * the bytewise-smallest id (then the earlier record), so the choice does
 * not depend on the order the samples arrive in.  Output: one record per
 * prompt, in order of each prompt's first sample, with "best_of" set to
 * the group size.
 */
#include "base/cli.h"
#include "eval/common.h"
#include "io/record.h"
#include "io/inputs.h"
#include "io/stream.h"
#include "base/util.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: best-of-n [OPTIONS] [INPUT...]\n"
    "\n"
    "For each prompt keep the rollout with the highest score (ties: the\n"
    "smallest id).  Adds best_of = number of samples seen for the prompt.\n"
    "\n"
    "options:\n"
    "  -o, --output URI   output (default stdout)\n"
    "  -k, --key FIELD    the score: FIELD or FIELD.SUB (default reward;\n"
    "                     e.g. rewards.helpful)\n"
    "      --lowest       keep the lowest score instead (worst-of-n)\n"
    "  -n, --expect N     every prompt must have exactly N samples\n"
    "  -h, --help / -V, --version\n";

typedef struct {
    char *raw, *id;
    size_t len, idlen;
    double score;
    uint64_t count;
} best_t;

static int get_score(const msgpack_object *rec, const char *key, double *v)
{
    const char *dot = strchr(key, '.');
    if (!dot)
        return rec_get_f64(rec, key, v) == 1;
    char head[128];
    snprintf(head, sizeof head, "%.*s", (int)(dot - key), key);
    const msgpack_object *m = rec_get(rec, head);
    return m && rec_get_f64(m, dot + 1, v) == 1;
}

static int id_less(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c < 0 || (c == 0 && an < bn);
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    static const struct option lo[] = {{"output", required_argument, 0, 'o'}, {"key", required_argument, 0, 'k'},
                                       {"lowest", no_argument, 0, 'L'},        {"expect", required_argument, 0, 'n'},
                                       {"help", no_argument, 0, 'h'},          {"version", no_argument, 0, 'V'},
                                       {0, 0, 0, 0}};
    const char *out_uri = "-", *key = "reward";
    long long expect = -1;
    int lowest = 0, c;
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "o:k:n:hV", lo, NULL)) != -1) {
        switch (c) {
        case 'o': out_uri = optarg; break;
        case 'k': key = optarg; break;
        case 'L': lowest = 1; break;
        case 'n': expect = parse_ll("--expect", optarg, 1, (long long)1 << 40); break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_bad_option(argv, lo);
        }
    }
    rstream *out = rs_open_write(out_uri);
    strmap groups;
    strmap_init(&groups);
    best_t *best = NULL;
    size_t nb = 0, cap = 0;
    inputs in;
    inputs_open(&in, argc, argv, optind);
    while (inputs_next(&in)) {
        const char *id, *g;
        size_t idn, gn;
        if (rec_get_str(&in.rec, "id", &id, &idn) != 1)
            die(EX_DATAERR, "%s: no string 'id'", inputs_where(&in));
        double sc;
        if (!get_score(&in.rec, key, &sc) || isnan(sc))
            die(EX_DATAERR, "%s (id %.*s): no number %s (score the rollouts first, e.g. rm-score)",
                inputs_where(&in), (int)idn, id, key);
        if (lowest)
            sc = -sc;
        if (rec_get_str(&in.rec, "prompt_id", &g, &gn) != 1) {
            g = id, gn = idn;
            for (size_t k = idn; k-- > 0;)
                if (id[k] == '#') {
                    gn = k;
                    break;
                }
        }
        int ins;
        uint64_t *slot = strmap_get(&groups, g, gn, nb, &ins);
        if (ins) {
            if (nb == cap)
                best = xrealloc(best, (cap = cap ? 2 * cap : 256) * sizeof *best);
            best[nb++] = (best_t){xstrndup(in.raw, in.len), xstrndup(id, idn), in.len, idn, sc, 1};
            continue;
        }
        best_t *b = &best[*slot];
        b->count++;
        if (sc > b->score || (sc == b->score && id_less(id, idn, b->id, b->idlen))) {
            free(b->raw);
            free(b->id);
            b->raw = xstrndup(in.raw, in.len), b->len = in.len;
            b->id = xstrndup(id, idn), b->idlen = idn;
            b->score = sc;
        }
    }
    inputs_close(&in);
    recb rb;
    recb_init(&rb);
    for (size_t i = 0; i < nb; i++) {
        if (expect >= 0 && best[i].count != (uint64_t)expect)
            die(EX_DATAERR, "prompt of %.*s has %llu samples, expected %lld", (int)best[i].idlen, best[i].id,
                (unsigned long long)best[i].count, expect);
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        size_t off = 0;
        if (msgpack_unpack_next(&u, best[i].raw, best[i].len, &off) != MSGPACK_UNPACK_SUCCESS)
            die(EX_SOFTWARE, "internal: cannot unpack a held record");
        recb_reset(&rb);
        recb_copy_fields(&rb, &u.data);
        recb_put_i64(&rb, "best_of", (int64_t)best[i].count);
        const char *buf;
        size_t len;
        recb_finish(&rb, &buf, &len);
        rs_write(out, buf, len);
        msgpack_unpacked_destroy(&u);
        free(best[i].raw);
        free(best[i].id);
    }
    rs_close(out);
    fprintf(stderr, "%s: %zu prompts\n", progname, nb);
    recb_free(&rb);
    free(best);
    strmap_free(&groups);
    return 0;
}
