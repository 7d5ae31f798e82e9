/*
 * subproc.h — run a shell command as a filter: text in on its stdin, its
 * stdout back.  For stand-ins of external services (pref-tag --judge): the
 * command line comes from the user, never from records; the records' text
 * only ever travels through the pipe, so nothing in it reaches a shell.
 *
 * The child is `/bin/sh -c CMD` with stdin and stdout on pipes (stderr
 * inherited).  Input and output are pumped with poll(), so a command that
 * answers before reading everything cannot deadlock.  SIGPIPE from a
 * command that exits without reading is ignored for the write.
 */
#ifndef PREFPIPE_SUBPROC_H
#define PREFPIPE_SUBPROC_H

#include <stddef.h>

/* Returns 0 and a malloc'd, NUL-terminated *out (length *outn) when the
 * command exits 0; -1 with a message in err otherwise (could not start,
 * killed by a signal, nonzero status: "exited with status N"). */
int subproc_filter(const char *cmd, const char *in, size_t n, char **out, size_t *outn, char *err, size_t cap);

#endif
