/*
 * fsreplace.h — replacing a directory in one step, and removing trees.
 *
 * fs_swap_dir puts a fully written directory NEW in place of DST so that a
 * reader (or a kill -9 at any instant) sees either the old DST or the new
 * one, never no DST: when DST exists the two are exchanged with Linux's
 * renameat2(RENAME_EXCHANGE) and the old content, now at NEW, is removed.
 * On a filesystem without RENAME_EXCHANGE it falls back to two renames
 * (DST -> DST.old.PID.XXXXXX, NEW -> DST); a kill between them leaves both
 * complete copies, which the caller's recovery must find (checkpoint.c
 * does).
 */
#ifndef PREFPIPE_FSREPLACE_H
#define PREFPIPE_FSREPLACE_H

#include <stddef.h>

/* 0, or -1 with errno set and a message in err. */
int fs_swap_dir(const char *newdir, const char *dst, char *err, size_t errlen);
/* Remove PATH and everything below it, never following symlinks.  0 or -1. */
int fs_rm_tree(const char *path);
/* The same, with only async-signal-safe calls (open, getdents64, unlinkat,
 * close; no allocation, no stdio), for cleanup hooks that run from a
 * signal handler.  Depth is limited to 8 levels below PATH. */
int fs_rm_tree_sigsafe(const char *path);
/* Does process PID exist (on this machine)? */
int fs_pid_alive(long pid);
/* fsync the directory that holds PATH (so a rename in it is durable). */
void fs_sync_parent(const char *path);
/* fsync directory DIR itself (so the files created in it are durable). */
void fs_sync_dir(const char *dir);

#endif
