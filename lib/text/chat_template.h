/*
 * chat_template.h — conversations -> token ids + assistant mask.
 *
 * A model's own template (chat_template_load: chat_template.jinja or
 * tokenizer_config.json next to tokenizer.json) is rendered by the Jinja
 * subset (text/jinja.h) and encoded as transformers' apply_chat_template
 * does (the template writes BOS itself: no post-processor tokens).  Its
 * assistant spans come from rendering prefix by prefix, as TRL splits a
 * prompt from its completion: an assistant message's span starts where
 * render(messages before it, add_generation_prompt) ends — at its content
 * when the content appears there — and runs to the end of the tokenizer's
 * EOS text after the content, else to where render(messages through it)
 * ends.  A template whose renders are not prefixes of each other (one that
 * moves the system prompt into the last user turn, for multi-turn input)
 * is rendered once more with each message's content between private-use
 * markers: where the markers land (taken out again, the render must be the
 * same text) is where each assistant content is, and its span runs on
 * through the EOS text that follows it, if any, before the next message.
 * A template that changes the contents themselves is refused with a
 * message rather than masked by a guess.
 *
 * Without one, the template is Tülu 2's:
 *   system:    "<|system|>\n" content "\n"
 *   user:      "<|user|>\n" content "\n"
 *   assistant: "<|assistant|>\n" content EOS, then "\n" unless it is the
 *              last message
 *   generation prompt: "<|assistant|>\n" after the last message; when
 *              the last message is an assistant's, it is the start of the
 *              reply ("Answer:") and stays open instead: no EOS, no
 *              second "<|assistant|>\n" (Hugging Face's
 *              continue_final_message).  chat_encode_response continues
 *              such a prefix the same way.
 * EOS is the tokenizer's end token ("</s>" for the byte tokenizer).
 *
 * The whole conversation is rendered to one string and encoded once (so
 * BPE sees the same text as the Hugging Face template would give it),
 * after the post-processor's leading tokens (Llama 2's "<s>"; none for the
 * byte tokenizer) — what the Tülu training code's tokenizer(text) gives;
 * trailing post-processor tokens are not added (turns end with EOS),
 * with offsets into the rendered text; the mask marks the tokens whose
 * start offset lies inside an assistant message's content or its EOS —
 * exactly the tokens an SFT/DPO loss or a policy gradient uses (see
 * chat_template.c for the rule at the boundaries).
 */
#ifndef PREFPIPE_CHAT_TEMPLATE_H
#define PREFPIPE_CHAT_TEMPLATE_H

#include "text/tokenizer.h"

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *role;        /* "system", "user", "assistant" */
    const char *content;
    size_t len;
} chat_msg;

/* Read a msgpack array of {role, content} maps.  *msgs is malloc'd and
 * points into the object.  Returns the count, or -1 + message. */
int chat_from_msgpack(const msgpack_object *arr, chat_msg **msgs, char *err, size_t errlen);

/* Render to a malloc'd string (length in *len).  NULL only with a model's
 * own template, when it fails (raise_exception, a limit). */
char *chat_render(const tokenizer *t, const chat_msg *msgs, int n, int add_generation_prompt, size_t *len);

/* A model's own chat template (chat_template_jinja.c).  Looks in DIR for
 * chat_template.jinja, else tokenizer_config.json's "chat_template" (a
 * string, or a list of {name, template}: the one named "default"), with
 * its bos_token/eos_token, and attaches it to t: every render and encode
 * above then uses it instead of Tülu's.  Returns 1 attached, 0 none there
 * (Tülu stays), -1 + message (unreadable, bad JSON, a template that does
 * not parse: "FILE: line N: ..."). */
int chat_template_load(tokenizer *t, const char *dir, char *err, size_t errlen);
/* chat_template_load on the directory holding a tokenizer.json */
int chat_template_load_beside(tokenizer *t, const char *tokenizer_json, char *err, size_t errlen);
/* Attach template source directly (tests; lm-init --chat-template). */
int chat_template_set(tokenizer *t, const char *src, size_t len, const char *bos, const char *eos, char *err,
                      size_t errlen);
/* Write the file the template came from into DIR (a saved checkpoint
 * carries its template): 0, or -1 + message.  Nothing when Tülu's. */
int chat_template_save(const tokenizer *t, const char *dir, char *err, size_t errlen);
/* "tulu" or the file the template came from */
const char *chat_template_name(const tokenizer *t);

/* Render and encode.  *ids and *mask (may be NULL) are malloc'd.
 * Returns the token count, or -1 + message (unknown role, no EOS). */
long chat_encode(const tokenizer *t, const chat_msg *msgs, int n, int add_generation_prompt,
                 int32_t **ids, uint8_t **mask, char *err, size_t errlen);

/* Encode prompt messages followed by an assistant response and split the
 * ids at the start of that response: concatenating *prompt_ids and
 * *resp_ids gives exactly the conversation's encoding (so BPE merges
 * across the boundary cannot shift tokens), and the response part ends
 * with EOS.  Returns the response length (*nprompt set), or -1 + message. */
long chat_encode_response(const tokenizer *t, const chat_msg *prompt, int n, const char *resp,
                          size_t rlen, int32_t **prompt_ids, long *nprompt, int32_t **resp_ids,
                          char *err, size_t errlen);

#endif
