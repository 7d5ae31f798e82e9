/*
 * jinja.h — the subset of Jinja that Hugging Face chat templates use.
 *
 * A template is parsed once (jinja_parse) and rendered many times against a
 * JSON context (jinja_render: messages, add_generation_prompt, bos_token,
 * ...).  The dialect is the one transformers renders chat templates with:
 * trim_blocks and lstrip_blocks on, one trailing newline of the source
 * dropped, loop controls (break/continue), `namespace()`,
 * `raise_exception(msg)`, `strftime_now(fmt)` (from a fixed date, never the
 * clock: same inputs, same bytes), tojson as Python's json.dumps with
 * ensure_ascii=False.  Macros, call blocks, includes and `{% raw %}` are
 * refused at parse time with the line they are on.
 *
 * Rendering is bounded, so a hostile template cannot hang or exhaust a
 * filter: total loop iterations, output bytes and working memory each have a
 * limit (jinja_limits; zeros take the defaults), and an error names the
 * template line it happened on.  Values live in an arena freed when
 * jinja_render returns, so nothing a render builds outlives it.
 */
#ifndef PREFPIPE_JINJA_H
#define PREFPIPE_JINJA_H

#include <stddef.h>

typedef struct jinja_template jinja_template;

typedef struct {
    size_t max_output;      /* bytes of rendered text (default 16 MiB) */
    size_t max_memory;      /* bytes of working values (default 256 MiB) */
    long max_iterations;    /* loop iterations, all loops together (default 10^6) */
    int year, month, day;   /* the date strftime_now formats (default 2024-07-26) */
} jinja_limits;

/* Parse template source.  NULL + message ("line N: ...") on a syntax error
 * or an unsupported construct. */
jinja_template *jinja_parse(const char *src, size_t len, char *err, size_t errlen);
void jinja_free(jinja_template *t);

/* Render with `context`, a jansson json_t * object whose keys become the
 * template's variables.  Returns a malloc'd string (length in *len), or NULL
 * + message ("line N: ...", raise_exception's text as "raise_exception:
 * ..."). */
char *jinja_render(const jinja_template *t, const void *context, const jinja_limits *lim, size_t *len,
                   char *err, size_t errlen);

#endif
