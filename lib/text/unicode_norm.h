/*
 * unicode_norm.h — Unicode canonical composition (NFC) of UTF-8 text, for
 * the NFC normalizer of tokenizer.json (Qwen2 and others).
 *
 * The tables come from the Unicode Character Database through
 * tools/gen-unicode-norm.py (lib/text/unicode_norm_table.h), cut at Unicode
 * 9.0 as the Hugging Face tokenizers library's tables are (characters
 * assigned later are starters that decompose and compose with nothing).  Bytes that are not
 * valid UTF-8 pass through unchanged and act as starters that nothing
 * composes with, so any byte string is accepted.
 */
#ifndef PREFPIPE_UNICODE_NORM_H
#define PREFPIPE_UNICODE_NORM_H

#include <stddef.h>
#include <stdint.h>

/* NFC of s[0..n): malloc'd, NUL-terminated, length in *olen. */
char *un_nfc(const char *s, size_t n, size_t *olen);
/* The other forms, same contract (tokenizer.json NFD, NFKD, NFKC). */
char *un_nfd(const char *s, size_t n, size_t *olen);
char *un_nfkd(const char *s, size_t n, size_t *olen);
char *un_nfkc(const char *s, size_t n, size_t *olen);
/* 1 if s[0..n) is certainly already NFC (the cheap check: nothing at or
 * above U+0300); 0 means "maybe not". */
int un_nfc_quick(const char *s, size_t n);
/* Length of the longest prefix of s[0..n) that NFC leaves as it is and
 * that nothing after it can change (a run of stable characters, ending at
 * a boundary; see unicode_norm.c): NFC(s) = prefix + NFC(rest). */
size_t un_nfc_stable_prefix(const char *s, size_t n);
/* Where the region starting at s ends: the start of the next boundary
 * character after the first one (or n); NFC of s is NFC of the region
 * followed by NFC of the rest.  n > 0 gives at least one character. */
size_t un_nfc_region_end(const char *s, size_t n);
/* The full canonical (compat 0) or compatibility decomposition of one code
 * point, at most cap code points (32 always suffice); returns the count. */
size_t un_decompose(uint32_t cp, int compat, uint32_t *out, size_t cap);
/* Canonical combining class of a code point (0 for starters). */
int un_ccc(uint32_t cp);
/* Decode one UTF-8 character at s (n bytes left): code point, or -1 for an
 * invalid or truncated sequence; *len is the bytes used (1 when invalid). */
int32_t un_utf8_next(const char *s, size_t n, size_t *len);
/* Encode cp as UTF-8 into out (4 bytes room); returns the length. */
size_t un_utf8_put(uint32_t cp, char *out);

#endif
