/*
 * code-exec — run generated Python against HumanEval+ / MBPP+ tests, one
 * sandboxed child per record (man 1 code-exec; lib/eval/codeexec.c and
 * lib/eval/sandbox.c hold the rules).
 *
 * Records pass through in order with scores.pass, scores.pass_base,
 * scores.pass_plus and scores.exec (how the run ended: ok, timeout,
 * killed, exit, no-verdict) added; pass@k is then eval-score --task
 * pass-at-k.  Nothing timing-dependent goes into the records, so the same
 * responses give the same bytes (a sample that passes only when the
 * machine is fast enough is the exception, as in every harness).
 */
#include "base/cli.h"
#include "eval/codeexec.h"
#include "eval/common.h"
#include "io/record.h"
#include "io/stream.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: code-exec [OPTIONS] [INPUT...]\n"
    "\n"
    "Execute each record's response (Python) against the base and plus tests\n"
    "in its gold (bench-load --format humaneval-plus / mbpp-plus), each in a\n"
    "sandboxed child: new PID and network namespaces where possible, nobody\n"
    "when run as root, rlimits, a wall-clock timeout, a scratch directory\n"
    "removed afterwards.  Adds scores.pass, pass_base, pass_plus, exec.\n"
    "\n"
    "options:\n"
    "  -o, --output URI     output (default stdout)\n"
    "      --timeout S      wall-clock seconds per sample (default 60)\n"
    "      --cpu S          CPU seconds per sample (default: the timeout, rounded up)\n"
    "      --mem MB         address space (default 4096, EvalPlus' 4 GiB)\n"
    "      --fsize MB       largest file it may write, output included (default 16)\n"
    "      --nproc N        processes (default 64)\n"
    "      --python PATH    interpreter (default /usr/bin/python3, else python3 on PATH)\n"
    "      --tmpdir DIR     where scratch directories go (default $TMPDIR or /tmp)\n"
    "      --progress       progress on stderr\n"
    "  -h, --help / -V, --version\n";

enum { O_TIMEOUT = 1000, O_CPU, O_MEM, O_FSIZE, O_NPROC, O_PYTHON, O_TMPDIR, O_PROGRESS };

static char *find_python(const char *want)
{
    if (strchr(want, '/'))
        return xstrdup(want);
    const char *path = getenv("PATH");
    char *dup = xstrdup(path ? path : "/usr/bin:/bin"), *save = NULL;
    for (char *d = strtok_r(dup, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char buf[4096];
        snprintf(buf, sizeof buf, "%s/%s", d, want);
        if (access(buf, X_OK) == 0) {
            free(dup);
            return xstrdup(buf);
        }
    }
    free(dup);
    die(EX_UNAVAILABLE, "cannot find %s on PATH (give --python PATH)", want);
}

int main(int argc, char **argv)
{
    util_set_progname(argv[0]);
    util_install_signal_cleanup();
    static const struct option lo[] = {
        {"output", required_argument, 0, 'o'},   {"timeout", required_argument, 0, O_TIMEOUT},
        {"cpu", required_argument, 0, O_CPU},    {"mem", required_argument, 0, O_MEM},
        {"fsize", required_argument, 0, O_FSIZE}, {"nproc", required_argument, 0, O_NPROC},
        {"python", required_argument, 0, O_PYTHON}, {"tmpdir", required_argument, 0, O_TMPDIR},
        {"progress", no_argument, 0, O_PROGRESS}, {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},        {0, 0, 0, 0}};
    const char *out_uri = "-", *py = NULL;
    sandbox_opts so = {.timeout_s = 60, .cpu_s = 0, .mem_mb = 4096, .fsize_mb = 16, .nproc = 64};
    int progress = 0, c;
    opterr = 0;   /* cli_bad_option says it once, with a suggestion */
    while ((c = getopt_long(argc, argv, "o:hV", lo, NULL)) != -1) {
        switch (c) {
        case 'o': out_uri = optarg; break;
        case O_TIMEOUT: so.timeout_s = (double)parse_ll("--timeout", optarg, 1, 86400); break;
        case O_CPU: so.cpu_s = parse_ll("--cpu", optarg, 1, 86400); break;
        case O_MEM: so.mem_mb = parse_ll("--mem", optarg, 64, 1 << 20); break;
        case O_FSIZE: so.fsize_mb = parse_ll("--fsize", optarg, 1, 1 << 20); break;
        case O_NPROC: so.nproc = parse_ll("--nproc", optarg, 1, 1 << 20); break;
        case O_PYTHON: py = optarg; break;
        case O_TMPDIR: so.tmpdir = optarg; break;
        case O_PROGRESS: progress = 1; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_bad_option(argv, lo);
        }
    }
    if (!so.cpu_s)
        so.cpu_s = (long)so.timeout_s + 1;
    char *python = find_python(py ? py : access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3");
    char **inputs = argv + optind;
    int ninputs = argc - optind;
    static char *stdin_only[] = {"-", NULL};
    if (ninputs == 0)
        inputs = stdin_only, ninputs = 1;
    rstream *out = rs_open_write(out_uri);
    recb b;
    recb_init(&b);
    kvbuf sc;
    kv_init(&sc);
    progress_t pg;
    progress_init(&pg, "samples", 0, progress);
    unsigned long long n = 0, passed = 0, base = 0;
    for (int i = 0; i < ninputs; i++) {
        rstream *in = rs_open_read(inputs[i]);
        msgpack_object rec;
        while (rs_next(in, &rec) == RS_OK) {
            const msgpack_object *kind = rec_get(&rec, "kind");
            if (kind && obj_str_eq(kind, "summary")) {
                const char *raw;
                size_t len;
                rs_last_raw(in, &raw, &len);
                rs_write(out, raw, len);
                continue;
            }
            char err[512];
            codeexec_result r;
            if (codeexec_run(&so, python, &rec, &r, err, sizeof err) < 0) {
                const char *id = "?";
                size_t idn = 1;
                rec_get_str(&rec, "id", &id, &idn);
                die(EX_DATAERR, "%s: record %llu (id %.*s): %s", strcmp(inputs[i], "-") ? inputs[i] : "stdin",
                    (unsigned long long)rs_count(in), (int)(idn > 200 ? 200 : idn), id, err);
            }
            n++, passed += r.pass, base += r.base;
            kv_reset(&sc);
            kv_bool(&sc, "pass", r.pass);
            kv_bool(&sc, "pass_base", r.base);
            kv_bool(&sc, "pass_plus", r.plus);
            kv_str(&sc, "exec", r.status, strlen(r.status));
            recb_reset(&b);
            recb_copy_fields(&b, &rec);
            kv_pack_merged(&sc, rec_get(&rec, "scores"), recb_begin(&b, "scores"));
            recb_end(&b);
            const char *buf;
            size_t len;
            recb_finish(&b, &buf, &len);
            rs_write(out, buf, len);
            progress_add(&pg, 1);
        }
        rs_close(in);
    }
    progress_finish(&pg);
    rs_close(out);
    fprintf(stderr, "%s: %llu samples, %llu pass base, %llu pass base+plus (isolation: %s)\n", progname, n, base,
            passed, n ? sandbox_isolation() : "none");
    kv_free(&sc);
    recb_free(&b);
    free(python);
    return 0;
}
