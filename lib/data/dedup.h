/*
 * dedup.h — texts as sets of hashed word n-grams, for prompt mining:
 * deduplicating mined prompts against evaluation prompts (decontamination)
 * and against each other.
 *
 * Normalisation: a text is the sequence of its words, a word being a run
 * of ASCII letters and digits (lower-cased) or of bytes >= 0x80 (UTF-8
 * kept as is); everything else separates words.  So case, spacing and
 * punctuation never make two texts differ.
 *
 * A text "overlaps" a set when one of its word n-grams is in it, or when
 * the whole normalised text is (so texts shorter than n words are
 * compared whole).  The set stores 64-bit hashes (open addressing), so a
 * false overlap has probability ~ (set size) / 2^64 per lookup.
 */
#ifndef PREFPIPE_DEDUP_H
#define PREFPIPE_DEDUP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t *slot;     /* 0 = empty */
    size_t n, cap;
    int ngram;
} dedup_set;

void dedup_init(dedup_set *s, int ngram);
void dedup_free(dedup_set *s);
/* Add every n-gram of text and the whole text. */
void dedup_add_text(dedup_set *s, const char *text, size_t n);
/* Does text overlap the set (see above)? */
int dedup_overlaps(const dedup_set *s, const char *text, size_t n);
/* The hash of the whole normalised text (for exact deduplication). */
uint64_t dedup_text_hash(const char *text, size_t n);
/* Add one hash; returns 1 if it was new, 0 if already there. */
int dedup_add_hash(dedup_set *s, uint64_t h);
/* Add the user turns of every record's prompt in the stream at uri (the
 * evaluation prompts of pref-tag --exclude); a record without a prompt
 * list is an error naming it (exit 65). */
void dedup_add_prompts(dedup_set *s, const char *uri);

#endif
