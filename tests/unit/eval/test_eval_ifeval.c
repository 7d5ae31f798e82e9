/*
 * test_eval_ifeval.c — IFEval: for each of the 25 instruction ids a
 * response that follows it and one that does not; strict vs loose (markdown
 * '*', a first-line preamble, empty responses); kwarg parsing errors; the
 * language identifier on the languages of the IFEval data.
 */
#include "check.h"
#include "eval/ifeval.h"
#include "eval/lang.h"
#include "io/jsonconv.h"
#include "base/util.h"

#include <jansson.h>
#include <string.h>

/* Parse id + kwargs JSON; returns 0 or -1 (err filled). */
static int mk(const char *id, const char *kw, ifeval_inst *in, char *err, size_t cap)
{
    json_t *j = json_loads(kw ? kw : "{}", 0, NULL);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    char e[64];
    json_to_msgpack(j, &pk, 0, 8, e, sizeof e);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    msgpack_unpack_next(&u, sb.data, sb.size, &off);
    int r = ifeval_parse(id, strlen(id), &u.data, in, err, cap);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&sb);
    json_decref(j);
    return r;
}

static int strict(const char *id, const char *kw, const char *resp)
{
    ifeval_inst in;
    char err[256];
    if (mk(id, kw, &in, err, sizeof err) < 0) {
        fprintf(stderr, "parse %s: %s\n", id, err);
        return -1;
    }
    int r = ifeval_follow_strict(&in, resp, strlen(resp));
    ifeval_inst_free(&in);
    return r;
}

static int loose(const char *id, const char *kw, const char *resp)
{
    ifeval_inst in;
    char err[256];
    if (mk(id, kw, &in, err, sizeof err) < 0)
        return -1;
    ifeval_variants v;
    ifeval_variants_make(&v, resp, strlen(resp));
    int r = ifeval_follow_loose(&in, &v);
    ifeval_variants_free(&v);
    ifeval_inst_free(&in);
    return r;
}

#define PASS(id, kw, resp) CHECK(strict(id, kw, resp) == 1)
#define FAIL(id, kw, resp) CHECK(strict(id, kw, resp) == 0)

static void each_id(void)
{
    const char *k;
    k = "{\"capital_frequency\": 2, \"capital_relation\": \"at least\"}";
    PASS("change_case:capital_word_frequency", k, "The USA and NATO met today");
    FAIL("change_case:capital_word_frequency", k, "The Usa met NATO");
    k = "{\"capital_frequency\": 3, \"capital_relation\": \"less than\"}";
    PASS("change_case:capital_word_frequency", k, "A b C");
    FAIL("change_case:capital_word_frequency", k, "A B C");

    /* NLTK-like words: hyphenated and dotted words are one, apostrophes split */
    k = "{\"capital_frequency\": 4, \"capital_relation\": \"at least\"}";
    PASS("change_case:capital_word_frequency", k, "STATE-OF-THE-ART and U.S. and DON'T");
    k = "{\"capital_frequency\": 5, \"capital_relation\": \"at least\"}";
    FAIL("change_case:capital_word_frequency", k, "STATE-OF-THE-ART and U.S. and DON'T");

    PASS("change_case:english_capital", NULL, "HELLO, THIS IS THE ANSWER TO YOUR QUESTION.");
    FAIL("change_case:english_capital", NULL, "Hello, this is the answer to your question.");
    PASS("change_case:english_lowercase", NULL, "this is the answer to your question.");
    FAIL("change_case:english_lowercase", NULL, "This is the answer to your question.");
    FAIL("change_case:english_lowercase", NULL, "das ist die antwort und ich weiß nicht, wie sie ist.");

    k = "{\"prompt_to_repeat\": \"Write a poem about cats.\"}";
    PASS("combination:repeat_prompt", k, "write a poem about cats. Cats are soft.");
    FAIL("combination:repeat_prompt", k, "Here it is: Write a poem about cats.");

    PASS("combination:two_responses", NULL, "Answer one.\n******\nAnswer two.");
    FAIL("combination:two_responses", NULL, "Same answer\n******\nSame answer");
    FAIL("combination:two_responses", NULL, "one ****** two ****** three");
    PASS("combination:two_responses", NULL, "one ****** two ******");

    k = "{\"num_placeholders\": 2}";
    PASS("detectable_content:number_placeholders", k, "Dear [name], we live at [address].");
    FAIL("detectable_content:number_placeholders", k, "Dear [name], hello.");

    k = "{\"postscript_marker\": \"P.S.\"}";
    PASS("detectable_content:postscript", k, "Hello.\n\nP.S. See you soon.");
    FAIL("detectable_content:postscript", k, "Hello. See you soon.");
    k = "{\"postscript_marker\": \"P.P.S\"}";
    PASS("detectable_content:postscript", k, "Hello.\np.p.s bye");
    FAIL("detectable_content:postscript", k, "Hello.\nP.S. bye");

    PASS("detectable_format:constrained_response", NULL, "My answer is yes.");
    FAIL("detectable_format:constrained_response", NULL, "Yes, it is.");

    PASS("detectable_format:json_format", NULL, "```json\n{\"a\": [1, 2]}\n```");
    PASS("detectable_format:json_format", NULL, "  {\"a\": 1}  ");
    FAIL("detectable_format:json_format", NULL, "{a: 1}");

    k = "{\"section_spliter\": \"SECTION\", \"num_sections\": 2}";
    PASS("detectable_format:multiple_sections", k, "SECTION 1\nfoo\nSECTION 2\nbar");
    FAIL("detectable_format:multiple_sections", k, "SECTION 1\nonly one");

    k = "{\"num_bullets\": 2}";
    PASS("detectable_format:number_bullet_lists", k, "Intro\n* one\n* two");
    PASS("detectable_format:number_bullet_lists", k, "- one\n- two");
    FAIL("detectable_format:number_bullet_lists", k, "* one\n* two\n- three");

    k = "{\"num_highlights\": 2}";
    PASS("detectable_format:number_highlighted_sections", k, "*one* and **two**");
    FAIL("detectable_format:number_highlighted_sections", k, "*one* and ** **");

    PASS("detectable_format:title", NULL, "<<My Title>>\nSome text.");
    FAIL("detectable_format:title", NULL, "<< >>\nSome text.");

    k = "{\"keywords\": [\"apple\", \"pie\"]}";
    PASS("keywords:existence", k, "An APPLE Pie.");
    FAIL("keywords:existence", k, "An apple only.");

    k = "{\"forbidden_words\": [\"bad\", \"evil\"]}";
    PASS("keywords:forbidden_words", k, "This is a badge.");
    FAIL("keywords:forbidden_words", k, "This is Bad.");

    k = "{\"keyword\": \"cat\", \"frequency\": 2, \"relation\": \"at least\"}";
    PASS("keywords:frequency", k, "cat and Cat");
    FAIL("keywords:frequency", k, "one cat");

    k = "{\"letter\": \"z\", \"let_frequency\": 2, \"let_relation\": \"less than\"}";
    PASS("keywords:letter_frequency", k, "zoo");
    FAIL("keywords:letter_frequency", k, "Zzz");

    k = "{\"language\": \"de\"}";
    PASS("language:response_language", k, "Das ist eine gute Frage und ich weiß nicht, wie die Antwort ist.");
    FAIL("language:response_language", k, "This is a good question and I do not know the answer.");

    k = "{\"num_paragraphs\": 2, \"nth_paragraph\": 2, \"first_word\": \"Second\"}";
    PASS("length_constraints:nth_paragraph_first_word", k, "First paragraph.\n\nSecond, the other one.");
    FAIL("length_constraints:nth_paragraph_first_word", k, "First paragraph.\n\nThird one.");
    FAIL("length_constraints:nth_paragraph_first_word", k, "First.\n\nSecond.\n\nThird.");

    k = "{\"num_paragraphs\": 2}";
    PASS("length_constraints:number_paragraphs", k, "one\n***\ntwo");
    PASS("length_constraints:number_paragraphs", k, "***\none\n***\ntwo\n***");
    FAIL("length_constraints:number_paragraphs", k, "one\n***\n\n***\ntwo");
    FAIL("length_constraints:number_paragraphs", k, "one\n\ntwo");

    k = "{\"num_sentences\": 3, \"relation\": \"less than\"}";
    PASS("length_constraints:number_sentences", k, "It costs 3.5 dollars. Mr. Smith agreed.");
    FAIL("length_constraints:number_sentences", k, "One. Two! Three?");
    k = "{\"num_sentences\": 3, \"relation\": \"at least\"}";
    PASS("length_constraints:number_sentences", k, "One. Two! Three");
    /* punkt keeps a closing quote with its sentence, and a list item's
     * number is no sentence: exactly 1 and exactly 3 */
    const char *quoted = "\"One sentence here.\"", *quoted2 = "He said \u201cstop.\u201d Then left.";
    const char *list = "1. first item here.\n2. second item here.\n3. third item.";
    k = "{\"num_sentences\": 2, \"relation\": \"less than\"}";
    PASS("length_constraints:number_sentences", k, quoted);
    FAIL("length_constraints:number_sentences", k, quoted2);
    k = "{\"num_sentences\": 2, \"relation\": \"at least\"}";
    FAIL("length_constraints:number_sentences", k, quoted);
    PASS("length_constraints:number_sentences", k, quoted2);
    k = "{\"num_sentences\": 3, \"relation\": \"at least\"}";
    PASS("length_constraints:number_sentences", k, list);
    FAIL("length_constraints:number_sentences", k, quoted2);
    k = "{\"num_sentences\": 4, \"relation\": \"less than\"}";
    PASS("length_constraints:number_sentences", k, list);
    PASS("length_constraints:number_sentences", k, "  1. indented item.\n  2. second one.\n  3. third.");

    k = "{\"num_words\": 5, \"relation\": \"at least\"}";
    PASS("length_constraints:number_words", k, "one two three, four-five");
    FAIL("length_constraints:number_words", k, "one two");
    k = "{\"num_words\": 3, \"relation\": \"less than\"}";
    PASS("length_constraints:number_words", k, "one two");
    FAIL("length_constraints:number_words", k, "one two three");

    PASS("punctuation:no_comma", NULL, "No comma here.");
    FAIL("punctuation:no_comma", NULL, "A, b.");

    k = "{\"end_phrase\": \"Is there anything else I can help with?\"}";
    PASS("startend:end_checker", k, "Blah.\nis there anything else I can help with?\"");
    FAIL("startend:end_checker", k, "Is there anything else I can help with? Thanks.");

    PASS("startend:quotation", NULL, "  \"Quoted answer.\"\n");
    FAIL("startend:quotation", NULL, "Not quoted.");
    FAIL("startend:quotation", NULL, "\"");
}

static void strict_vs_loose(void)
{
    const char *r = "*\"Quoted answer.\"*";
    CHECK(strict("startend:quotation", NULL, r) == 0);
    CHECK(loose("startend:quotation", NULL, r) == 1);
    r = "Sure, here is my answer:\n\"Quoted answer.\"";
    CHECK(strict("startend:quotation", NULL, r) == 0);
    CHECK(loose("startend:quotation", NULL, r) == 1);
    CHECK(strict("punctuation:no_comma", NULL, r) == 0);
    CHECK(loose("punctuation:no_comma", NULL, r) == 1);
    r = "\"Quoted answer.\"\nHope this helps!";
    CHECK(strict("startend:quotation", NULL, r) == 0);
    CHECK(loose("startend:quotation", NULL, r) == 1);
    r = "Here:\n**HELLO THERE**\nthanks";
    CHECK(loose("change_case:english_capital", NULL, r) == 1);
    CHECK(strict("change_case:english_capital", NULL, r) == 0);
    /* empty responses never follow, even "no comma" */
    CHECK(strict("punctuation:no_comma", NULL, "") == 0);
    CHECK(strict("punctuation:no_comma", NULL, "  \n ") == 0);
    CHECK(loose("punctuation:no_comma", NULL, "") == 0);
    /* a one-line response has no loose variant without lines */
    CHECK(loose("startend:quotation", NULL, "no quotes") == 0);
}

static void parse_errors(void)
{
    ifeval_inst in;
    char err[256];
    CHECK(mk("keywords:nonsense", NULL, &in, err, sizeof err) < 0 && strstr(err, "unknown instruction id"));
    CHECK(mk("keywords:frequency", "{\"keyword\": \"a\", \"frequency\": 2, \"relation\": \"at least\", \"x\": 1}",
             &in, err, sizeof err) < 0 && strstr(err, "unknown kwarg 'x'"));
    CHECK(mk("keywords:frequency", "{\"keyword\": \"a\", \"frequency\": 2}", &in, err, sizeof err) < 0 &&
          strstr(err, "missing kwarg 'relation'"));
    CHECK(mk("keywords:frequency", "{\"keyword\": \"a\", \"frequency\": 2, \"relation\": \"at most\"}", &in, err,
             sizeof err) < 0 && strstr(err, "relation"));
    CHECK(mk("length_constraints:number_words", "{\"num_words\": \"ten\", \"relation\": \"at least\"}", &in, err,
             sizeof err) < 0 && strstr(err, "integer"));
    CHECK(mk("language:response_language", "{\"language\": \"xx\"}", &in, err, sizeof err) < 0);
    /* null kwargs are ignored, as the reference drops falsy values */
    CHECK(mk("punctuation:no_comma", "{\"x\": null}", &in, err, sizeof err) == 0);
    ifeval_inst_free(&in);
}

static void languages(void)
{
    static const char *const cases[][2] = {
        {"en", "This is a good question and I think that the answer is simple."},
        {"de", "Das ist eine sehr gute Frage und ich denke, dass die Antwort einfach ist."},
        {"fi", "Tämä on hyvä kysymys ja minä luulen, että vastaus on yksinkertainen."},
        {"it", "Questa è una buona domanda e penso che la risposta sia semplice."},
        {"pt", "Esta é uma boa pergunta e eu acho que a resposta é simples para você."},
        {"sw", "Hili ni swali zuri sana na nadhani jibu ni rahisi kwa watu wote."},
        {"vi", "Đây là một câu hỏi hay và tôi nghĩ câu trả lời rất đơn giản."},
        {"ru", "Это очень хороший вопрос, и я думаю, что ответ простой."},
        {"bg", "Това е много добър въпрос и мисля, че отговорът е прост."},
        {"ar", "هذا سؤال جيد جدا وأنا أعتقد أن الإجابة بسيطة."},
        {"fa", "این یک سوال خوب است و من فکر می‌کنم که پاسخ ساده است."},
        {"ur", "یہ ایک اچھا سوال ہے اور میں سمجھتا ہوں کہ جواب آسان ہے۔"},
        {"hi", "यह एक अच्छा सवाल है और मैं इसका जवाब दूंगा।"},
        {"mr", "हे एक चांगले उत्तर आहे आणि मला ते आवडले."},
        {"ne", "यो राम्रो प्रश्न हो र म यसको जवाफ दिन्छु।"},
        {"bn", "এটি একটি ভাল প্রশ্ন।"}, {"gu", "આ એક સારો પ્રશ્ન છે."}, {"pa", "ਇਹ ਇੱਕ ਚੰਗਾ ਸਵਾਲ ਹੈ।"},
        {"ta", "இது ஒரு நல்ல கேள்வி."}, {"te", "ఇది మంచి ప్రశ్న."}, {"kn", "ಇದು ಒಳ್ಳೆಯ ಪ್ರಶ್ನೆ."},
        {"th", "นี่เป็นคำถามที่ดี"}, {"ko", "이것은 좋은 질문입니다."},
        {"und", "12345 !!! ..."}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = lang_detect(cases[i][1], strlen(cases[i][1]));
        if (strcmp(got, cases[i][0]) != 0)
            fprintf(stderr, "language of %s sample: got %s\n", cases[i][0], got);
        CHECK(strcmp(got, cases[i][0]) == 0);
    }
    CHECK(lang_supported("hi") && lang_supported("ja") && !lang_supported("xx") && !lang_supported("e"));
}

int main(void)
{
    util_set_progname("test_eval_ifeval");
    each_id();
    strict_vs_loose();
    parse_errors();
    languages();
    return check_done("test_eval_ifeval");
}
