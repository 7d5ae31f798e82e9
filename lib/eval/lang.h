/*
 * lang.h — a small language identifier for IFEval's
 * language:response_language and the "is English" part of
 * change_case:english_capital / english_lowercase.
 *
 * It is not langdetect: it decides by script first (Unicode blocks), then
 * within a script by letters peculiar to one language and by counting
 * common function words.  Supported codes (the languages of the IFEval
 * data plus a few neighbours that keep them apart):
 *   Latin: en de fi it pt sw vi es fr nl   Cyrillic: ru bg
 *   Arabic script: ar fa ur   Devanagari: hi mr ne
 *   single-language scripts: bn gu pa ta te kn th ko el he; zh ja
 * Latin text without any function word of these languages counts as "en";
 * text without letters is "und" (undetermined), which the checks treat
 * like the reference treats langdetect's "no features" error: as passing.
 */
#ifndef PREFPIPE_EVAL_LANG_H
#define PREFPIPE_EVAL_LANG_H

#include <stddef.h>

/* An ISO 639-1 code (static string) or "und". */
const char *lang_detect(const char *s, size_t n);
int lang_supported(const char *code);
const char *lang_supported_list(void);

#endif
