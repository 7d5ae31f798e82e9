/*
 * test_json_elide.c — elided values become "", everything else is byte
 * for byte the same; escapes and keys-inside-strings are honoured.
 */
#include "check.h"
#include "io/json_elide.h"

#include <jansson.h>
#include <string.h>

static const char *const keys[] = {"Rationale", "critique", NULL};

static int elides_to(const char *in, const char *want)
{
    char out[512];
    size_t n = json_elide(in, strlen(in), out, keys);
    if (n != strlen(want) || strcmp(out, want) != 0) {
        fprintf(stderr, "got  %s\nwant %s\n", out, want);
        return 0;
    }
    return 1;
}

int main(void)
{
    CHECK(elides_to("{\"a\": 1}", "{\"a\": 1}"));
    CHECK(elides_to("{\"Rationale\": \"long text\", \"Rating\": \"4\"}", "{\"Rationale\": \"\", \"Rating\": \"4\"}"));
    /* nested, with whitespace before the colon */
    CHECK(elides_to("{\"x\":{\"critique\"  :  \"c\"}}", "{\"x\":{\"critique\"  :  \"\"}}"));
    /* escaped quotes inside the elided value and before it */
    CHECK(elides_to("{\"r\":\"a\\\"b\",\"Rationale\":\"say \\\"hi\\\" \\\\\",\"k\":1}",
                    "{\"r\":\"a\\\"b\",\"Rationale\":\"\",\"k\":1}"));
    /* the key name as a value, or inside a string, is not a key */
    CHECK(elides_to("{\"a\":\"Rationale\",\"b\":[\"Rationale\", \"x\"]}", "{\"a\":\"Rationale\",\"b\":[\"Rationale\", \"x\"]}"));
    CHECK(elides_to("{\"s\":\"\\\"Rationale\\\": \\\"no\\\"\"}", "{\"s\":\"\\\"Rationale\\\": \\\"no\\\"\"}"));
    /* non-string values are kept */
    CHECK(elides_to("{\"Rationale\": null, \"critique\": [1]}", "{\"Rationale\": null, \"critique\": [1]}"));
    /* unicode kept */
    CHECK(elides_to("{\"t\":\"☃\",\"critique\":\"数据\"}", "{\"t\":\"☃\",\"critique\":\"\"}"));
    /* truncated input is copied as is (jansson reports it) */
    CHECK(elides_to("{\"Rationale\": \"never closed", "{\"Rationale\": \"never closed"));

    /* parses to the same tree minus the elided values */
    const char *row = "{\"completions\":[{\"response\":\"hi\",\"annotations\":{\"honesty\":{\"Rating\":\"5\","
                      "\"Rationale\":\"because\"}}}]}";
    char out[512];
    size_t n = json_elide(row, strlen(row), out, keys);
    json_t *v = json_loadb(out, n, 0, NULL);
    CHECK(v != NULL);
    json_t *h = json_object_get(json_object_get(json_object_get(json_array_get(json_object_get(v, "completions"), 0),
                                                                "annotations"), "honesty"), "Rating");
    CHECK(json_is_string(h) && strcmp(json_string_value(h), "5") == 0);
    json_decref(v);
    return check_done("test_json_elide");
}
