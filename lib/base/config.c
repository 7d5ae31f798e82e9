/*
 * config.c — --config FILE as long options placed before the command
 * line's (see config.h for the format and why this order gives the
 * command line precedence).
 */
#include "base/config.h"
#include "base/cli.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
    return s;
}

static int is_true(const char *v) { return !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"); }
static int is_false(const char *v) { return !strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"); }

/* Append the options of FILE to out[*n...] (grown as needed). */
static void read_config(const char *path, const struct option *lo, char ***out, int *n, int *cap)
{
    FILE *f = fopen(path, "r");
    if (!f) cli_usage_error("--config %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t lcap = 0;
    long lineno = 0;
    size_t nlo = 0;
    for (const struct option *o = lo; o->name; o++) nlo++;
    const char **names = xcalloc(nlo ? nlo : 1, sizeof *names);
    for (size_t i = 0; i < nlo; i++) names[i] = lo[i].name;
    while (getline(&line, &lcap, f) != -1) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        if (!eq) cli_usage_error("%s:%ld: expected \"key = value\"", path, lineno);
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        const struct option *o = NULL;
        for (size_t i = 0; i < nlo; i++)
            if (!strcmp(lo[i].name, key)) o = &lo[i];
        if (!o || !strcmp(key, "config") || !strcmp(key, "help") || !strcmp(key, "version")) {
            const char *near = cli_nearest(key, strlen(key), names, nlo);
            if (near && strcmp(near, "config"))
                cli_usage_error("%s:%ld: unknown key '%s'; did you mean '%s'?", path, lineno, key, near);
            cli_usage_error("%s:%ld: unknown key '%s'", path, lineno, key);
        }
        if (*n + 2 >= *cap) *out = xrealloc(*out, (size_t)(*cap = 2 * *cap + 8) * sizeof **out);
        size_t m = strlen(key) + strlen(val) + 4;
        char *arg = xmalloc(m);
        if (o->has_arg == no_argument) {
            if (is_false(val)) { free(arg); continue; }
            if (!is_true(val)) cli_usage_error("%s:%ld: '%s' is a flag: true or false, not '%s'", path, lineno, key, val);
            snprintf(arg, m, "--%s", key);
        } else {
            if (!*val && o->has_arg == required_argument)
                cli_usage_error("%s:%ld: '%s' needs a value", path, lineno, key);
            snprintf(arg, m, "--%s=%s", key, val);
        }
        (*out)[(*n)++] = arg;
    }
    free(line);
    free(names);
    fclose(f);
}

/* The rewritten argv, held here so that it is reachable to the end (a
 * leak checker would otherwise report what main's argv still uses). */
static char **volatile config_argv;   /* volatile: the store must stay */

void config_apply(int *argc, char ***argv, const struct option *lo)
{
    int ac = *argc, has = 0;
    char **av = *argv;
    for (int i = 1; i < ac; i++) {
        if (!strcmp(av[i], "--")) break;
        if (!strcmp(av[i], "--config") || !strncmp(av[i], "--config=", 9)) has = 1;
    }
    if (!has) return;
    int n = 0, cap = ac + 8;
    char **out = xmalloc((size_t)cap * sizeof *out);
    char **rest = xmalloc((size_t)(ac + 1) * sizeof *rest);
    int nrest = 0;
    out[n++] = av[0];
    for (int i = 1; i < ac; i++) {
        if (!strcmp(av[i], "--")) {
            while (i < ac) rest[nrest++] = av[i++];
            break;
        }
        if (!strcmp(av[i], "--config")) {
            if (i + 1 >= ac) cli_usage_error("option '--config' needs a value");
            read_config(av[++i], lo, &out, &n, &cap);
        } else if (!strncmp(av[i], "--config=", 9)) {
            read_config(av[i] + 9, lo, &out, &n, &cap);
        } else {
            rest[nrest++] = av[i];
        }
    }
    out = xrealloc(out, (size_t)(n + nrest + 1) * sizeof *out);
    memcpy(out + n, rest, (size_t)nrest * sizeof *rest);
    n += nrest;
    out[n] = NULL;
    free(rest);
    config_argv = out;   /* lives as long as the process: argv points into it */
    *argc = n;
    *argv = out;
}
