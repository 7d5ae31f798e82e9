/*
 * test_tagger.c — tag names and aliases, the Figure 5 prompt, parsing of
 * a model's JSON answer, and a few unambiguous rule-based tags.
 */
#include "check.h"
#include "data/tagger.h"

#include <stdlib.h>
#include <string.h>

static uint32_t tag_text(const tagger_kind *k, tagger *t, const char *s)
{
    uint32_t m = 0;
    char err[128];
    k->tag(t, s, strlen(s), &m, err, sizeof err);
    return m;
}

int main(void)
{
    CHECK(tag_parse("Math", 4) == TAG_MATH);
    CHECK(tag_parse("closed qa", 9) == TAG_CLOSED_QA);
    CHECK(tag_parse("Inhabiting a Character/Persona", 30) == TAG_PERSONA);
    CHECK(tag_parse("Poetry", 6) == -1);
    uint32_t m;
    const char *bad;
    size_t bl;
    CHECK(tag_parse_list("Unclear,Multilingual", &m, &bad, &bl) == 0);
    CHECK(m == ((1u << TAG_UNCLEAR) | (1u << TAG_MULTILINGUAL)));
    CHECK(tag_parse_list("Math,Nope", &m, &bad, &bl) < 0 && bl == 4 && strncmp(bad, "Nope", 4) == 0);

    char *p = tagger_fig5_prompt("What is 2+2?", 12);
    CHECK(strstr(p, "## User Query\n```\nWhat is 2+2?\n```") != NULL);
    CHECK(strstr(p, "\"Inhabiting a Character/Persona\"") != NULL);
    CHECK(strstr(p, "\"tags\": [\"[tag 1]\", \"[tag 2]\", ... ]") != NULL);
    free(p);

    const char *ans = "```\n{\n    \"tags\": [\"Math\", \"Closed Question Answering\", \"Bogus\"]\n}\n```";
    CHECK(tagger_parse_answer(ans, strlen(ans), &m) == 0);
    CHECK(m == ((1u << TAG_MATH) | (1u << TAG_CLOSED_QA)));
    CHECK(tagger_parse_answer("no json here", 12, &m) < 0);
    CHECK(tagger_parse_answer("{\"tags\": 3}", 11, &m) < 0);

    const tagger_kind *k = tagger_find("rules");
    char err[256];
    tagger *t = k->open(NULL, err, sizeof err);
    CHECK(t != NULL);
    CHECK(tag_text(k, t, "Write a Python function that reverses a linked list.") & (1u << TAG_CODING));
    CHECK(tag_text(k, t, "Solve for x: 3x + 5 = 20") & (1u << TAG_MATH));
    CHECK(tag_text(k, t, "Summarize the following article in two sentences.") & (1u << TAG_SUMMARIZATION));
    CHECK(tag_text(k, t, "Пожалуйста, расскажи мне о истории Москвы.") & (1u << TAG_MULTILINGUAL));
    CHECK(tag_text(k, t, "") == (1u << TAG_UNCLEAR));
    CHECK(tag_text(k, t, "asdf") == (1u << TAG_UNCLEAR));
    CHECK(!(tag_text(k, t, "Write a poem about the sea.") & (1u << TAG_MATH)));
    k->close(t);

    const tagger_kind *mk = tagger_find("model");
    /* the model kind needs an asker (pref-tag --model / --judge) */
    CHECK(mk != NULL && mk->open(NULL, err, sizeof err) == NULL && strstr(err, "--judge CMD") != NULL);
    uint32_t mm;
    CHECK(tagger_classify_answer("```\n{\"tags\": [\"Math\"]}\n```", 26, &mm) == 0 && mm == (1u << TAG_MATH));
    CHECK(tagger_classify_answer("{\"tags\": []}", 12, &mm) == 0 && mm == 0);
    CHECK(tagger_classify_answer("I'm sorry, I can't do that.", 27, &mm) == 1 && mm == 0);
    CHECK(tagger_classify_answer("Math, Coding", 12, &mm) == 2 && mm == 0);
    CHECK(tagger_find("nope") == NULL);
    return check_done("test_tagger");
}
