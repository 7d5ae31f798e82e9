/*
 * run_args.h — a run's arguments saved beside its checkpoints
 * (DIR/run_config.json) and restored by --resume, so that
 * `dpo-step --resume DIR` alone continues the run.
 *
 * Saving: run_args_json() turns the effective command line (after
 * --config, config.h, and after a resume's restore) into JSON:
 *
 *   {"program": "dpo-step", "prefpipe": {"version": V, "commit": C},
 *    "seed": N, "options": {"lr": "3e-05", "progress": true, ...},
 *    "inputs": ["/abs/pairs.mp"], "effective": {...}}
 *
 * "options" holds every long option given (by its long name, the last
 * value when given twice; a flag is true), except the per-invocation ones
 * of the spec's `drop` list (--resume, --config, --force, --stop-after,
 * ...).  Values of the spec's `paths` options and input operands that are
 * relative file names are made absolute (against the current directory),
 * so a resume from another directory reads the same files; "-" and stream
 * URIs (tcp://, ipc://, @..., >...) are kept as they are.  So are the
 * values of the spec's `maybe_paths` options, unless they name an existing
 * file or directory (--reward-norm DIR, not --reward-norm 0,1).  "effective" is
 * the caller's: every resolved setting, defaults included.
 *
 * Restoring: run_args_resume() runs before getopt.  When the command line
 * resumes (the spec's resume option; its directory is its value, or for a
 * flag the value of the spec's `dir_opt`), it reads DIR/run_config.json
 * and rebuilds argv as: argv[0], the saved options the command line does
 * not give, the command line's options, "--", then the command line's
 * operands or, when it has none, the saved inputs (none saved: stdin).
 * An option given on the command line with another value than the saved
 * one is a usage error (exit 64) naming both values, unless it is on the
 * spec's `may_change` list (threads, progress, metrics path, output, ...);
 * so is one the run was started without, unless its value equals the
 * setting of that name (dashes as underscores) in the saved "effective"
 * configuration (--beta 0.1 where effective.beta is 0.1: the default);
 * the spec's `out_opt` (--output) defaults to the resumed directory;
 * values compare as numbers when both are numbers (5e-3 == 0.005), and
 * path options after being made absolute (and both resolved, when they
 * name existing files: ../run from a subdirectory is run).  A directory without
 * run_config.json (written before it existed) leaves argv as it is: the
 * caller then needs every option again, as before.  A run_config.json
 * that cannot be read or parsed is an error naming the file (exit 65).
 */
#ifndef PREFPIPE_RUN_ARGS_H
#define PREFPIPE_RUN_ARGS_H

#include <getopt.h>

#define RUN_CONFIG_FILE "run_config.json"

typedef struct {
    const char *program;
    const char *resume_opt;              /* "resume" */
    const char *dir_opt;                 /* resume is a flag: the option naming the run
                                            directory ("run"); NULL: resume takes DIR */
    const char *const *paths;            /* options whose values are file names */
    const char *const *maybe_paths;      /* options whose values are file names when such
                                            a file exists (--reward-norm DIR | MEAN,STD) */
    const char *const *drop;             /* options never saved (per invocation) */
    const char *const *may_change;       /* options a resume may give another value */
    const char *out_opt;                 /* not given on resume: the resume directory
                                            (it is where the checkpoint is); or NULL */
} run_args_spec;

/* Before getopt: restore a resumed run's arguments (see above). */
void run_args_resume(int *argc, char ***argv, const struct option *lo, const run_args_spec *spec);

/* run_config.json text (malloc'd) for argv[1..argc) (after
 * run_args_resume), the seed, and `effective` (a JSON object's text, or
 * NULL). */
char *run_args_json(int argc, char **argv, const struct option *lo, const run_args_spec *spec,
                    unsigned long long seed, const char *effective);

/* The commit prefpipe was built from ("unknown" outside a git clone). */
const char *prefpipe_commit(void);

#endif
