/*
 * cmd_filter.h — records through an external command: `sh -c CMD` reads
 * the records of a filter's inputs on its stdin and its stdout is read
 * back as a record stream (eval-score --judge).
 *
 * Two children: the command, and a feeder that copies the inputs' raw
 * records into the command's stdin, so neither side can deadlock on a
 * full pipe while the caller reads.  The command string is the user's
 * own (it is given on the command line, never taken from a record).  The
 * feeder ends quietly when the command stops reading (EPIPE), and exits
 * 74 on another write error, 65/66 as any reader on a bad or missing
 * input (its message says which).
 */
#ifndef PREFPIPE_CMD_FILTER_H
#define PREFPIPE_CMD_FILTER_H

#include "io/inputs.h"

#include <sys/types.h>

typedef struct cmd_filter cmd_filter;
struct cmd_filter {
    pid_t feeder, cmd;
    int fd;                /* the command's stdout, for reading */
    /* Optional, set before cmd_filter_start: the feeder sends what this
     * returns instead of each raw record (e.g. eval-score --judge-prompt
     * adds the filled judge prompt); NULL sends the record as it is. */
    void (*rewrite)(void *ctx, const msgpack_object *rec, const char **raw, size_t *len);
    void *ctx;
};

/* Start CMD fed with every record of in (through f->rewrite if set) (which this process then leaves
 * unread); f->fd is the command's output.  Dies (exit 71) if it cannot
 * fork or make pipes. */
void cmd_filter_start(cmd_filter *f, const char *cmd, inputs *in);
/* After reading f->fd to its end: did each child exit 0? */
void cmd_filter_wait(cmd_filter *f, int *cmd_ok, int *feeder_ok);

#endif
