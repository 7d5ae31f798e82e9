/*
 * gnuplot.c — eval-report's gnuplot jobs (report_int.h).
 */
#include "report_int.h"

#include "base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern const char prefpipe_plot_style[];   /* build/gen/plot_style.c */

int gp_have(void)
{
    const char *path = getenv("PATH");
    if (!path)
        return 0;
    char *dup = xstrdup(path), *save = NULL, buf[4096];
    int found = 0;
    for (char *d = strtok_r(dup, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        snprintf(buf, sizeof buf, "%s/gnuplot", *d ? d : ".");
        found = access(buf, X_OK) == 0;
    }
    free(dup);
    return found;
}

/* s as a single-quoted gnuplot string: ' doubled, control bytes as spaces */
void gp_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\'')
            fputs("''", f);
        else
            fputc(c < 0x20 || c == 0x7f ? ' ' : c, f);
    }
    fputc('\'', f);
}

/* run gnuplot SCRIPT with its chatter on our stderr (stdout may hold the
 * table); 0 when it exited 0 */
static int run_gnuplot(const char *script)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(2, 1);
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* a copy of the plot script (PREFPIPE_PLOT_SCRIPT) */
static int copy_file(const char *from, const char *to, char *err, size_t cap)
{
    FILE *in = fopen(from, "r"), *out = in ? fopen(to, "w") : NULL;
    if (!in || !out) {
        snprintf(err, cap, "%s: %s", in ? to : from, strerror(errno));
        if (in) fclose(in);
        return -1;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    fclose(in);
    if (fclose(out) != 0) {
        snprintf(err, cap, "%s: %s", to, strerror(errno));
        return -1;
    }
    return 0;
}

int gp_begin(gp_job *j, const char *png, int w, int h, char *msg, size_t cap)
{
    snprintf(j->dir, sizeof j->dir, "/tmp/eval-report.XXXXXX");
    j->d = j->s = NULL;
    if (!mkdtemp(j->dir)) {
        snprintf(msg, cap, "cannot create a temporary directory: %s", strerror(errno));
        return -1;
    }
    snprintf(j->data, sizeof j->data, "%s/data", j->dir);
    snprintf(j->script, sizeof j->script, "%s/plot.gp", j->dir);
    snprintf(j->tmp_png, sizeof j->tmp_png, "%s.tmp%ld", png, (long)getpid());
    j->d = fopen(j->data, "w");
    j->s = fopen(j->script, "w");
    if (!j->d || !j->s) {
        snprintf(msg, cap, "cannot write the plot's temporary files: %s", strerror(errno));
        if (j->d) fclose(j->d);
        if (j->s) fclose(j->s);
        unlink(j->data), unlink(j->script), rmdir(j->dir);
        return -1;
    }
    fputs(prefpipe_plot_style, j->s);
    fprintf(j->s, "set terminal pngcairo size %d,%d noenhanced font \",10\"\nset output ", w, h);
    gp_quote(j->s, j->tmp_png);
    return 0;
}

int gp_finish(gp_job *j, const char *png, char *msg, size_t cap)
{
    int bad = ferror(j->d) | ferror(j->s);
    bad |= fclose(j->d) != 0;
    bad |= fclose(j->s) != 0;
    const char *keep = getenv("PREFPIPE_PLOT_SCRIPT");
    if (keep && *keep && !bad) {
        char cmd_err[256];
        if (copy_file(j->script, keep, cmd_err, sizeof cmd_err))
            fprintf(stderr, "%s: PREFPIPE_PLOT_SCRIPT: %s\n", progname, cmd_err);
    }
    int rc = bad ? -1 : run_gnuplot(j->script);
    unlink(j->data);
    unlink(j->script);
    rmdir(j->dir);
    if (rc != 0 || rename(j->tmp_png, png) != 0) {
        unlink(j->tmp_png);
        snprintf(msg, cap, "gnuplot failed to write %s", png);
        return -1;
    }
    snprintf(msg, cap, "wrote %s", png);
    return 0;
}
