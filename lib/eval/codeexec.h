/*
 * codeexec.h — execution of generated Python against a coding benchmark's
 * tests (HumanEval+ / MBPP+), one sandboxed child per sample (sandbox.h).
 *
 * A record carries the model's `response` and, in `gold` (bench-load
 * --format humaneval-plus / mbpp-plus): entry_point, program_prefix (the
 * HumanEval prompt the completion continues; "" for MBPP), prefix_in_fence
 * (the assistant prefix opened a ```python block), base_test (the
 * dataset's own asserts: HumanEval's check() + call, MBPP's assertions),
 * reference (the canonical program), inputs (a JSON array of argument
 * lists: the base and plus inputs of EvalPlus), atol, n_base (how many of
 * the inputs are base inputs), input_form (how EvalPlus rebuilds tuples,
 * sets and complex numbers from the JSON; "" none) and oracle (EvalPlus'
 * special comparison for the task; "" none) — codeexec_int.h says what
 * each means.
 *
 * Verdicts, as EvalPlus: base — on every base input the sample's output
 * equals the reference's (floats within atol, or 1e-6 when atol is 0, or
 * the task's oracle); plus — the same on every plus input; pass = base and
 * plus.  A record without n_base (hand-written tasks) takes base from
 * base_test instead — the test code ran without an exception — and treats
 * every input as a plus input.  What differs from EvalPlus: one wall-clock
 * and CPU limit per sample instead of a limit per input scaled from the
 * reference's time, and the reference runs in the same child, just before
 * the sample.  A
 * verdict counts only when the harness writes it, with a per-run random
 * token, to fd 3 after the tests: exiting early (sys.exit(0), os._exit),
 * crashing, timing out or being killed is a failure.
 */
#ifndef PREFPIPE_EVAL_CODEEXEC_H
#define PREFPIPE_EVAL_CODEEXEC_H

#include "eval/sandbox.h"

#include <msgpack.h>
#include <stddef.h>

typedef struct {
    int base, plus, pass;
    const char *status;     /* "ok", "timeout", "killed", "exit", "no-verdict" */
    int code;               /* exit status or signal */
    double wall_s;
} codeexec_result;

/* The program to run: the code of the response (see codeexec.c) joined to
 * the prompt it continues.  malloc'd. */
char *codeexec_program(const char *resp, size_t rn, const char *prefix, size_t pn, int in_fence,
                       const char *entry);

/* Run one record; 0, or -1 with err (missing gold fields, sandbox failure). */
int codeexec_run(const sandbox_opts *o, const char *python, const msgpack_object *rec, codeexec_result *r,
                 char *err, size_t errcap);

#endif
