/*
 * msgs.h — conversations as lists of borrowed {role, content} messages.
 *
 * A msgs_t never owns its text: every message points into memory the caller
 * keeps alive (a jansson tree, a msgpack zone, a line buffer) until the
 * messages have been packed.  Stripping whitespace only moves the pointer
 * and shortens the length, so cleaning costs no copies.  The array itself
 * is owned by the msgs_t (msgs_free).
 *
 * Also the small text helpers the loaders share: whitespace stripping,
 * content hashing for ids (hash64 chained over fields, with the field
 * boundaries hashed so "ab"+"c" and "a"+"bc" differ), and hex ids.
 */
#ifndef PREFPIPE_MSGS_H
#define PREFPIPE_MSGS_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

enum { ROLE_SYSTEM, ROLE_USER, ROLE_ASSISTANT };

typedef struct {
    int role;
    const char *s;
    size_t n;
} msg_t;

typedef struct {
    msg_t *m;
    size_t n, cap;
} msgs_t;

void msgs_init(msgs_t *m);
void msgs_free(msgs_t *m);
static inline void msgs_clear(msgs_t *m) { m->n = 0; }
/* Append a message; its content is stripped of surrounding whitespace. */
void msgs_push(msgs_t *m, int role, const char *s, size_t n);
/* Append without stripping. */
void msgs_push_raw(msgs_t *m, int role, const char *s, size_t n);
/* 1 if any of the first `count` messages is empty. */
int msgs_any_empty(const msgs_t *m, size_t count);
/* Length of the common prefix of two conversations (role and content). */
size_t msgs_common_prefix(const msgs_t *a, const msgs_t *b);

const char *role_name(int role);
/* ROLE_* for "system"/"user"/"assistant" (also "human", "gpt", "bot"), or -1. */
int role_parse(const char *s, size_t n);

/* Pack the first `count` messages as an array of {role, content} maps. */
void pack_msgs(msgpack_packer *pk, const msgs_t *m, size_t count);

/* The user turns of a {role, content} list, joined by blank lines, into
 * *buf (grown as needed; *len set).  -1 if prompt is not such a list. */
int msgs_user_text(const msgpack_object *prompt, char **buf, size_t *cap, size_t *len);

/* Strip ASCII/Unicode-agnostic whitespace (space, \t, \n, \r, \f, \v). */
void str_strip(const char **s, size_t *n);
int str_is_blank(const char *s, size_t n);

/* Chained content hash: h = hash_field(h, s, n) for each field. */
uint64_t hash_field(uint64_t h, const char *s, size_t n);
uint64_t hash_msgs(uint64_t h, const msgs_t *m, size_t count);
/* 16 lowercase hex digits and a NUL. */
void id_hex(uint64_t h, char out[17]);

#endif
