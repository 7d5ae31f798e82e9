/*
 * hh_split.h — split Anthropic HH-style transcripts into turns.
 *
 * A transcript is "\n\nHuman: ...\n\nAssistant: ...\n\nHuman: ...".  The
 * rule (also in pref-load(1)):
 *
 *   1. A marker is "Human:" or "Assistant:" at the very start of the text
 *      (after leading whitespace) or right after a blank line ("\n\n").
 *      Anywhere else ("the Human: field", "Assistant: yes" mid-line) it is
 *      ordinary content.
 *   2. Turns alternate.  The first turn must be Human; inside a Human turn
 *      only an "Assistant:" marker ends the turn, inside an Assistant turn
 *      only a "Human:" marker does.  So a user who pastes
 *      "\n\nHuman: ..." into their own message, or an assistant that quotes
 *      "\n\nAssistant: ...", keeps that text as content.
 *   3. Content is the text between a marker and the blank line before the
 *      next marker, stripped of surrounding whitespace (it may be empty:
 *      callers decide whether an empty turn is an error).
 *
 * Text before the first marker that is not whitespace makes the transcript
 * malformed.  The splitter borrows: the turns point into `text`.
 */
#ifndef PREFPIPE_HH_SPLIT_H
#define PREFPIPE_HH_SPLIT_H

#include "text/msgs.h"

/* Append the turns of `text` to `out` (which the caller clears).  Returns
 * 0, or -1 with a static reason in *why. */
int hh_split(const char *text, size_t n, msgs_t *out, const char **why);

#endif
