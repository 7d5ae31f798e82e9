/*
 * toy-reward — a known reward for testing the PPO loop without a reward
 * model: reward = the fraction of response tokens in a target set
 * (--token LIST: ids and ranges, e.g. 97 or 97-122,32), or of response
 * bytes equal to a target character (--char C).  Records pass through with `reward` added (replaced); a
 * record without `tokens` (token mode) or `response` (char mode) stops
 * with exit 65.  The stdout writer is flushed whenever the input would
 * block (lib/io/stream.c), so it can sit in a feedback loop.
 */
#include "base/cli.h"
#include "io/record.h"
#include "io/inputs.h"
#include "io/stream.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: toy-reward (--token LIST | --char C) [OPTIONS] [INPUT...]\n"
    "\n"
    "Add reward = fraction of response tokens in LIST (or of response\n"
    "bytes equal to C) to rollout records.\n"
    "\n"
    "  -t, --token LIST   target token ids: N or N-M, comma-separated\n"
    "  -c, --char C       target byte (a one-character string)\n"
    "  -o, --output URI   output (default stdout)\n"
    "  -h, --help / -V, --version\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 record without tokens/response,\n"
    "66 cannot open, 74 I/O error.\n";

enum { MAXID = 1 << 20 };
static unsigned char *targets;

static void parse_targets(const char *s)
{
    targets = xcalloc(MAXID, 1);
    char *dup = xstrdup(s), *save = NULL;
    for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *dash = strchr(t + 1, '-');
        if (dash) *dash = 0;
        long long lo = parse_ll("--token", t, 0, MAXID - 1), hi = dash ? parse_ll("--token", dash + 1, lo, MAXID - 1) : lo;
        for (long long i = lo; i <= hi; i++) targets[i] = 1;
    }
    free(dup);
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    static const struct option lo[] = {{"token", required_argument, 0, 't'}, {"char", required_argument, 0, 'c'},
                                       {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},
                                       {"version", no_argument, 0, 'V'},     {0, 0, 0, 0}};
    long long target = -1;
    int ch = -1, c;
    const char *out_uri = "-";
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "t:c:o:hV", lo, NULL)) != -1) {
        switch (c) {
        case 't': parse_targets(optarg), target = 0; break;
        case 'c':
            if (strlen(optarg) != 1) cli_usage_error("--char wants one character");
            ch = (unsigned char)optarg[0];
            break;
        case 'o': out_uri = optarg; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_bad_option(argv, lo);
        }
    }
    if ((target < 0) == (ch < 0)) cli_usage_error("give exactly one of --token and --char");
    rstream *out = rs_open_write(out_uri);
    recb b;
    recb_init(&b);
    inputs in;
    inputs_open(&in, argc, argv, optind);
    while (inputs_next(&in)) {
        double hits = 0, n = 0;
        if (target >= 0) {
            int32_t *t = NULL;
            long k = rec_get_i32_array(&in.rec, "tokens", &t);
            if (k < 0) die(EX_DATAERR, "%s: no int32 'tokens'", inputs_where(&in));
            for (long i = 0; i < k; i++) hits += t[i] >= 0 && t[i] < MAXID && targets[t[i]];
            n = (double)k;
            free(t);
        } else {
            const char *s;
            size_t len;
            if (rec_get_str(&in.rec, "response", &s, &len) != 1)
                die(EX_DATAERR, "%s: no string 'response'", inputs_where(&in));
            for (size_t i = 0; i < len; i++) hits += (unsigned char)s[i] == ch;
            n = (double)len;
        }
        recb_reset(&b);
        recb_copy_fields(&b, &in.rec);
        recb_put_f64(&b, "reward", n > 0 ? hits / n : 0.0);
        const char *buf;
        size_t blen;
        recb_finish(&b, &buf, &blen);
        rs_write(out, buf, blen);
    }
    inputs_close(&in);
    recb_free(&b);
    rs_close(out);
    free(targets);
    return 0;
}
