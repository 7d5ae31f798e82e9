/*
 * gsm8k.h — GSM8K answer extraction (evaluation.md): remove commas
 * between digits, take the LAST match of [-+]?\d*\.\d+|\d+ (scanned left to
 * right exactly like Python's re.findall, so a sign survives only on
 * decimals), else the whole output; compare to the gold by exact match.
 * The numeric variant takes the last [-+]?(\d+(\.\d+)?|\.\d+) and compares
 * values (|a-b| <= 1e-9 max(1,|b|)), so "18.0" equals "18" and signs count.
 */
#ifndef PREFPIPE_EVAL_GSM8K_H
#define PREFPIPE_EVAL_GSM8K_H

#include <stddef.h>

/* buf must hold n + 1 bytes; *pred points into buf. */
void gsm8k_extract(const char *resp, size_t n, char *buf, const char **pred, size_t *plen);
int gsm8k_correct(const char *resp, size_t n, const char *gold, size_t gn, int numeric);
/* The gold number of a GSM8K solution text: after the last "####", stripped,
 * commas between digits removed; into buf (n + 1 bytes).  -1 when no "####". */
long gsm8k_gold_from_solution(const char *sol, size_t n, char *buf);

#endif
