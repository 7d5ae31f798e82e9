/*
 * test_hh_split.c — the HH transcript splitter: turn boundaries, the
 * alternation rule for markers inside content, empty turns, malformed
 * transcripts.
 */
#include "check.h"
#include "data/hh_split.h"

#include <string.h>

static msgs_t m;

static int split(const char *s)
{
    const char *why = NULL;
    msgs_clear(&m);
    return hh_split(s, strlen(s), &m, &why);
}

static int turn_is(size_t i, int role, const char *text)
{
    return i < m.n && m.m[i].role == role && m.m[i].n == strlen(text) && memcmp(m.m[i].s, text, m.m[i].n) == 0;
}

int main(void)
{
    msgs_init(&m);

    CHECK(split("\n\nHuman: Hi\n\nAssistant: Hello") == 0);
    CHECK(m.n == 2 && turn_is(0, ROLE_USER, "Hi") && turn_is(1, ROLE_ASSISTANT, "Hello"));

    /* no leading blank line, multi-turn */
    CHECK(split("Human: a\n\nAssistant: b\n\nHuman: c\n\nAssistant: d") == 0);
    CHECK(m.n == 4 && turn_is(2, ROLE_USER, "c") && turn_is(3, ROLE_ASSISTANT, "d"));

    /* a marker mid-line is content */
    CHECK(split("\n\nHuman: What does Human: mean?\n\nAssistant: It says Assistant: here.") == 0);
    CHECK(m.n == 2 && turn_is(0, ROLE_USER, "What does Human: mean?") &&
          turn_is(1, ROLE_ASSISTANT, "It says Assistant: here."));

    /* a pasted "\n\nHuman:" inside a human turn stays content (alternation) */
    CHECK(split("\n\nHuman: log:\n\nHuman: hello bot\n\nAssistant: ok") == 0);
    CHECK(m.n == 2 && turn_is(0, ROLE_USER, "log:\n\nHuman: hello bot") && turn_is(1, ROLE_ASSISTANT, "ok"));

    /* and "\n\nAssistant:" quoted inside an assistant turn */
    CHECK(split("\n\nHuman: q\n\nAssistant: I said\n\nAssistant: twice\n\nHuman: why") == 0);
    CHECK(m.n == 3 && turn_is(1, ROLE_ASSISTANT, "I said\n\nAssistant: twice") && turn_is(2, ROLE_USER, "why"));

    /* a single newline before a marker is not a boundary */
    CHECK(split("\n\nHuman: a\nAssistant: b") == 0);
    CHECK(m.n == 1 && turn_is(0, ROLE_USER, "a\nAssistant: b"));

    /* empty turns are reported as empty, not skipped */
    CHECK(split("\n\nHuman: \n\nAssistant: x") == 0);
    CHECK(m.n == 2 && m.m[0].n == 0);
    CHECK(split("\n\nHuman: q\n\nAssistant:") == 0);
    CHECK(m.n == 2 && m.m[1].role == ROLE_ASSISTANT && m.m[1].n == 0);

    /* surrounding whitespace is stripped, inner kept */
    CHECK(split("\n\nHuman:   two\n\nlines  \n\nAssistant: x") == 0);
    CHECK(turn_is(0, ROLE_USER, "two\n\nlines"));

    /* extra blank lines before a marker */
    CHECK(split("\n\nHuman: a\n\n\n\nAssistant: b") == 0);
    CHECK(m.n == 2 && turn_is(1, ROLE_ASSISTANT, "b"));

    /* malformed: text before the first marker, or no marker */
    CHECK(split("hello\n\nHuman: a") < 0);
    CHECK(split("") < 0);
    CHECK(split("\n\nAssistant: starts wrong") < 0);

    /* UTF-8 content passes through */
    CHECK(split("\n\nHuman: ☃ 数据\n\nAssistant: ✓") == 0);
    CHECK(turn_is(0, ROLE_USER, "☃ 数据") && turn_is(1, ROLE_ASSISTANT, "✓"));

    msgs_free(&m);
    return check_done("test_hh_split");
}
