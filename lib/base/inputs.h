/*
 * inputs.h — the input operands of a filter's command line.
 *
 * Every filter reads the record streams named after its options, in
 * order, and stdin ("-") when none are named; messages about an input
 * call "-" "stdin".  These two helpers are that convention, so that no
 * filter spells it out again.  Reading the records of those inputs one
 * after another is io/inputs.h.
 */
#ifndef PREFPIPE_BASE_INPUTS_H
#define PREFPIPE_BASE_INPUTS_H

/* The operands argv[first..argc) (first is getopt's optind), or the one
 * input "-" when there are none; *n gets their count (always >= 1).  The
 * array is argv's or a static one: never freed, never written. */
char **cli_inputs(int argc, char **argv, int first, int *n);

/* How messages name the input URI: "stdin" for "-", else the URI. */
const char *cli_input_name(const char *uri);

#endif
