/*
 * run_args.c — save and restore a run's arguments (run_args.h).
 *
 * Both directions go through one canonical form of a command line: a list
 * of (long option name, value) in order, plus the operands.  Short options
 * become their long names through the program's option table, unique
 * prefixes of long names are resolved as getopt_long resolves them, and a
 * command line this cannot read (an unknown option) is left to getopt,
 * which reports it with its usual message.
 */
#include "base/run_args.h"
#include "base/cli.h"
#include "base/util.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const char prefpipe_commit_text[];   /* build/gen/commit.c (Makefile) */
const char *prefpipe_commit(void) { return prefpipe_commit_text; }

typedef struct {
    const char *name;    /* long option name (points into lo) */
    char *value;         /* malloc'd; NULL for a flag */
} opt_kv;

typedef struct {
    opt_kv *o;
    int n;
    char **ops;          /* operands (point into argv) */
    int nops;
} canon;

static int in_list(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (!strcmp(*list, name)) return 1;
    return 0;
}

static const struct option *find_long(const struct option *lo, const char *s, size_t len)
{
    const struct option *hit = NULL;
    for (const struct option *o = lo; o->name; o++) {
        if (strlen(o->name) == len && !strncmp(o->name, s, len)) return o;
        if (!strncmp(o->name, s, len)) {
            if (hit && hit->val != o->val) return NULL;   /* ambiguous prefix */
            hit = o;
        }
    }
    return hit;
}

static const struct option *find_short(const struct option *lo, int ch)
{
    for (const struct option *o = lo; o->name; o++)
        if (o->val == ch) return o;
    return NULL;
}

static void add(canon *c, const char *name, const char *value)
{
    c->o = xrealloc(c->o, (size_t)(c->n + 1) * sizeof *c->o);
    c->o[c->n].name = name;
    c->o[c->n].value = value ? xstrdup(value) : NULL;
    c->n++;
}

static void canon_free(canon *c)
{
    for (int i = 0; i < c->n; i++) free(c->o[i].value);
    free(c->o);
    free(c->ops);
    memset(c, 0, sizeof *c);
}

/* argv[1..argc) in canonical form; 0 when some option is not the program's
 * (getopt will say so) or lacks its value. */
static int canonicalize(int argc, char **argv, const struct option *lo, canon *c)
{
    memset(c, 0, sizeof *c);
    c->ops = xcalloc((size_t)argc + 1, sizeof *c->ops);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            while (++i < argc) c->ops[c->nops++] = argv[i];
            break;
        }
        if (a[0] != '-' || !a[1]) { c->ops[c->nops++] = argv[i]; continue; }
        if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            const struct option *o = find_long(lo, a + 2, len);
            if (!o) return 0;
            if (o->has_arg == no_argument) {
                if (eq) return 0;
                add(c, o->name, NULL);
            } else if (eq) {
                add(c, o->name, eq + 1);
            } else if (o->has_arg == required_argument) {
                if (i + 1 >= argc) return 0;
                add(c, o->name, argv[++i]);
            } else {
                add(c, o->name, NULL);
            }
            continue;
        }
        for (const char *p = a + 1; *p; p++) {   /* -abc, -n5, -n 5 */
            const struct option *o = find_short(lo, (unsigned char)*p);
            if (!o) return 0;
            if (o->has_arg == no_argument) { add(c, o->name, NULL); continue; }
            if (p[1]) add(c, o->name, p + 1);
            else if (i + 1 < argc) add(c, o->name, argv[++i]);
            else return 0;
            break;
        }
    }
    return 1;
}

/* the last value given for name, or NULL; *given says whether it was */
static const opt_kv *last_of(const canon *c, const char *name)
{
    for (int i = c->n - 1; i >= 0; i--)
        if (!strcmp(c->o[i].name, name)) return &c->o[i];
    return NULL;
}

static int is_stream_uri(const char *s)
{
    return !strcmp(s, "-") || s[0] == '@' || s[0] == '>' || strstr(s, "://") != NULL;
}

/* a relative file name made absolute against the current directory */
static char *absolute(const char *s)
{
    if (!*s || s[0] == '/' || is_stream_uri(s)) return xstrdup(s);
    char *cwd = getcwd(NULL, 0);
    if (!cwd) die(EX_OSERR, "cannot read the current directory: %s", strerror(errno));
    size_t n = strlen(cwd) + strlen(s) + 2;
    char *out = xmalloc(n);
    snprintf(out, n, "%s/%s", cwd, s);
    free(cwd);
    return out;
}

/* the same for a value that is a file name only when such a file exists
 * (--reward-norm DIR | MEAN,STD | running): kept as it is otherwise */
static char *absolute_if_file(const char *s)
{
    return access(s, F_OK) == 0 ? absolute(s) : xstrdup(s);
}

static int is_number(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *s && !*end && errno == 0;
}

static int same_value(const run_args_spec *spec, const char *name, const char *a, const char *b)
{
    if (!a || !b) return a == b;
    double x, y;
    if (is_number(a, &x) && is_number(b, &y)) return x == y;
    int p = in_list(spec->paths, name);
    if (p || in_list(spec->maybe_paths, name)) {
        char *pa = p ? absolute(a) : absolute_if_file(a), *pb = p ? absolute(b) : absolute_if_file(b);
        /* the same file by two names (../run from a subdirectory) */
        char *ra = realpath(pa, NULL), *rb = realpath(pb, NULL);
        int same = !strcmp(pa, pb) || (ra && rb && !strcmp(ra, rb));
        free(ra);
        free(rb);
        free(pa);
        free(pb);
        return same;
    }
    return !strcmp(a, b);
}

static char *config_path(const char *dir)
{
    size_t n = strlen(dir) + sizeof RUN_CONFIG_FILE + 2;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s", dir, RUN_CONFIG_FILE);
    return p;
}

static char *may_change_text(const run_args_spec *spec)
{
    size_t n = 1;
    for (const char *const *m = spec->may_change; m && *m; m++) n += strlen(*m) + 4;
    char *s = xmalloc(n);
    s[0] = '\0';
    for (const char *const *m = spec->may_change; m && *m; m++) {
        if (s[0]) strcat(s, ", ");
        strcat(s, "--");
        strcat(s, *m);
    }
    return s;
}

/* "X,Y,..." equal to a JSON array of numbers */
static int same_numbers(json_t *a, const char *s)
{
    size_t i, n = json_array_size(a);
    for (i = 0; i < n; i++) {
        json_t *x = json_array_get(a, i);
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (!json_is_number(x) || end == s || errno || v != json_number_value(x)) return 0;
        if (i + 1 < n && *end != ',') return 0;
        s = end + 1;
        if (i + 1 == n && *end) return 0;
    }
    return n > 0;
}

/* The fewest digits (15..17) with which every real in j reads back as the
 * same double: 15 keeps the usual settings as they were typed (1e-3 is
 * 0.001, not 0.0010000000000000000208), 17 is exact for any double. */
static int exact_precision(const json_t *j)
{
    int p = 15;
    if (json_is_real(j)) {
        double v = json_real_value(j);
        char buf[40];
        for (; p < 17; p++) {
            snprintf(buf, sizeof buf, "%.*g", p, v);
            if (strtod(buf, NULL) == v) break;
        }
    } else if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++) {
            int q = exact_precision(json_array_get(j, i));
            if (q > p) p = q;
        }
    } else if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) {
            int q = exact_precision(v);
            if (q > p) p = q;
        }
    }
    return p;
}

/* --KEY VALUE (or a flag: VALUE NULL) given on resume to a run saved
 * without it: equal to the saved effective setting of that name (dashes as
 * underscores), or a usage error naming both. */
static void check_new_option(const run_args_spec *spec, const char *path, json_t *eff, const char *key,
                             const char *now)
{
    char *ekey = xstrdup(key);
    for (char *p = ekey; *p; p++)
        if (*p == '-') *p = '_';
    json_t *e = json_is_object(eff) ? json_object_get(eff, ekey) : NULL;
    double x;
    int same = 0;
    if (!e) same = 0;
    else if (!now) same = json_is_true(e);
    else if (json_is_number(e)) same = is_number(now, &x) && x == json_number_value(e);
    else if (json_is_string(e)) same = same_value(spec, key, json_string_value(e), now);
    else if (json_is_array(e)) same = same_numbers(e, now);   /* --adam-betas 0.9,0.999 */
    if (!same) {
        char *mc = may_change_text(spec);
        if (e) {
            char *saved = json_dumps(e, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(exact_precision(e)));
            cli_usage_error("--%s %s differs from the run being resumed (%s %s, its setting without --%s, in %s); "
                            "only %s may change on resume (or start a new run with another --output)",
                            key, now ? now : "(flag)", ekey, saved ? saved : "?", key, path, mc);
        }
        cli_usage_error("--%s%s%s was not given to the run being resumed (%s); only %s may change on resume (or "
                        "start a new run with another --output)", key, now ? " " : "", now ? now : "", path, mc);
    }
    free(ekey);
}

/* The rewritten argv, reachable to the end (as config.c's). */
static char **volatile resumed_argv;

void run_args_resume(int *argc, char ***argv, const struct option *lo, const run_args_spec *spec)
{
    canon cl;
    if (!canonicalize(*argc, *argv, lo, &cl)) { canon_free(&cl); return; }
    const opt_kv *r = last_of(&cl, spec->resume_opt);
    const opt_kv *d = spec->dir_opt ? last_of(&cl, spec->dir_opt) : r;
    if (!r || !d || !d->value) { canon_free(&cl); return; }
    char *path = config_path(d->value);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j) {
        if (access(path, F_OK) != 0) { free(path); canon_free(&cl); return; }   /* an older checkpoint */
        die(EX_DATAERR, "%s: %s (line %d)", path, je.text, je.line);
    }
    json_t *opts = json_object_get(j, "options"), *inputs = json_object_get(j, "inputs");
    const char *prog = json_string_value(json_object_get(j, "program"));
    if (!json_is_object(opts) || (inputs && !json_is_array(inputs)))
        die(EX_DATAERR, "%s: no \"options\" object: not a run configuration", path);
    if (prog && strcmp(prog, spec->program))
        die(EX_DATAERR, "%s: cannot resume: the run is %s's, not %s's", path, prog, spec->program);

    int cap = *argc + (int)json_object_size(opts) + (inputs ? (int)json_array_size(inputs) : 0) + 3, n = 0;
    char **out = xcalloc((size_t)cap, sizeof *out);
    out[n++] = (*argv)[0];
    const char *key;
    json_t *v;
    json_object_foreach(opts, key, v) {
        const struct option *o = find_long(lo, key, strlen(key));
        if (!o || strcmp(o->name, key) || in_list(spec->drop, key)) continue;   /* an option since removed */
        const char *saved = json_is_string(v) ? json_string_value(v) : NULL;
        if (!saved && !json_is_true(v)) die(EX_DATAERR, "%s: option \"%s\": expected a string or true", path, key);
        const opt_kv *now = last_of(&cl, key);
        if (now) {
            if (!in_list(spec->may_change, key) && !same_value(spec, key, saved, now->value)) {
                char *mc = may_change_text(spec);
                cli_usage_error("--%s %s differs from the run being resumed (--%s %s in %s); only %s may change "
                                "on resume (or start a new run with another --output)",
                                key, now->value ? now->value : "(flag)", key, saved ? saved : "(flag)", path, mc);
            }
            continue;   /* the command line's own comes below */
        }
        if (spec->out_opt && !strcmp(key, spec->out_opt)) saved = d->value;   /* write where it is */
        size_t len = strlen(key) + (saved ? strlen(saved) : 0) + 4;
        char *arg = xmalloc(len);
        if (saved) snprintf(arg, len, "--%s=%s", key, saved);
        else snprintf(arg, len, "--%s", key);
        out[n++] = arg;
    }
    /* an option the run was started without (its default applied there)
     * must not change the run either: compared with the saved effective
     * configuration, where a setting of that name is recorded */
    json_t *eff = json_object_get(j, "effective");
    for (int i = 0; i < cl.n; i++) {
        const char *key = cl.o[i].name, *now = cl.o[i].value;
        if (json_object_get(opts, key) || in_list(spec->may_change, key) || in_list(spec->drop, key) ||
            !strcmp(key, spec->resume_opt) || (spec->dir_opt && !strcmp(key, spec->dir_opt)) ||
            !strcmp(key, "config") || !strcmp(key, "help") || !strcmp(key, "version"))
            continue;
        if (last_of(&cl, key) != &cl.o[i]) continue;   /* given twice: its last value counts */
        check_new_option(spec, path, eff, key, now);
    }
    /* the command line's options as given (getopt reads them as before) */
    for (int i = 1; i < *argc; i++) {
        if (!strcmp((*argv)[i], "--")) break;
        int is_op = 0;
        for (int k = 0; k < cl.nops; k++)
            if (cl.ops[k] == (*argv)[i]) is_op = 1;
        if (!is_op) out[n++] = (*argv)[i];
    }
    out[n++] = "--";
    if (cl.nops) {
        for (int k = 0; k < cl.nops; k++) out[n++] = cl.ops[k];
    } else if (inputs) {
        size_t k;
        json_array_foreach(inputs, k, v) {
            if (!json_is_string(v)) die(EX_DATAERR, "%s: \"inputs\" holds a non-string", path);
            out[n++] = xstrdup(json_string_value(v));
        }
    }
    out[n] = NULL;
    fprintf(stderr, "%s: resuming with the arguments saved in %s\n", progname, path);
    json_decref(j);
    free(path);
    canon_free(&cl);
    resumed_argv = out;
    *argc = n;
    *argv = out;
}

char *run_args_json(int argc, char **argv, const struct option *lo, const run_args_spec *spec,
                    unsigned long long seed, const char *effective)
{
    canon c;
    json_t *j = json_object(), *opts = json_object(), *ins = json_array(), *pp = json_object();
    json_object_set_new(j, "program", json_string(spec->program));
    json_object_set_new(pp, "version", json_string(PREFPIPE_VERSION));
    json_object_set_new(pp, "commit", json_string(prefpipe_commit()));
    json_object_set_new(j, "prefpipe", pp);
    json_object_set_new(j, "seed", json_integer((json_int_t)seed));
    if (canonicalize(argc, argv, lo, &c)) {
        for (int i = 0; i < c.n; i++) {
            const char *name = c.o[i].name;
            if (in_list(spec->drop, name) || !strcmp(name, "config") || !strcmp(name, "help") ||
                !strcmp(name, "version"))
                continue;
            if (!c.o[i].value) { json_object_set_new(opts, name, json_true()); continue; }
            int p = in_list(spec->paths, name);
            if (p || in_list(spec->maybe_paths, name)) {
                char *a = p ? absolute(c.o[i].value) : absolute_if_file(c.o[i].value);
                json_object_set_new(opts, name, json_string(a));
                free(a);
            } else {
                json_object_set_new(opts, name, json_string(c.o[i].value));
            }
        }
        for (int k = 0; k < c.nops; k++) {
            char *a = absolute(c.ops[k]);
            if (strcmp(a, "-")) json_array_append_new(ins, json_string(a));   /* stdin: none saved */
            free(a);
        }
    }
    canon_free(&c);
    json_object_set_new(j, "options", opts);
    json_object_set_new(j, "inputs", ins);
    if (effective) {
        json_error_t je;
        json_t *e = json_loads(effective, 0, &je);
        if (!e) die(EX_SOFTWARE, "run_args_json: effective configuration: %s", je.text);
        json_object_set_new(j, "effective", e);
    }
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(exact_precision(j)));
    json_decref(j);
    size_t n = strlen(text);
    char *out = xmalloc(n + 2);
    memcpy(out, text, n);
    out[n] = '\n';
    out[n + 1] = '\0';
    free(text);
    return out;
}
