/*
 * inputs.c — a filter's input operands, stdin when none (see inputs.h).
 */
#include "base/inputs.h"

#include <string.h>

char **cli_inputs(int argc, char **argv, int first, int *n)
{
    static char *stdin_only[] = {"-", NULL};
    if (first < argc) {
        *n = argc - first;
        return argv + first;
    }
    *n = 1;
    return stdin_only;
}

const char *cli_input_name(const char *uri)
{
    return strcmp(uri, "-") == 0 ? "stdin" : uri;
}
