/*
 * config.h — --config FILE for any executable: "key = value" lines that
 * stand for long options, placed before the command line's own arguments
 * so that flags given on the command line override the file (getopt keeps
 * the last value of an option).
 *
 * Format: one "key = value" per line (spaces around '=' optional); '#'
 * starts a comment line; blank lines are skipped.  key is a long option's
 * name without "--".  For an option with a value, the value is the rest of
 * the line with surrounding spaces removed (no quoting: it is taken
 * verbatim, never through a shell).  For a flag without a value, the value
 * is true/yes/1 (the flag is given) or false/no/0 (it is not).  A key that
 * is no option of the program, a flag with another value, or an option
 * that takes a value given none, is a usage error naming FILE:LINE (with a
 * did-you-mean suggestion), exit 64.  --config inside a config file is an
 * error too.
 */
#ifndef PREFPIPE_CONFIG_H
#define PREFPIPE_CONFIG_H

#include <getopt.h>

/* Replace argc and argv (before getopt) by: argv[0], the options of every
 * --config FILE (in order), then the remaining command-line arguments.
 * Without --config nothing changes.  The new argv is allocated once and
 * lives until exit.  lo: the program's long options. */
void config_apply(int *argc, char ***argv, const struct option *lo);

#define CONFIG_USAGE \
    "      --config FILE      \"key = value\" lines for long options; flags given\n" \
    "                         on the command line override them\n"

#endif
