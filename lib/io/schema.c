/*
 * schema.c — a JSON Schema subset evaluated directly on msgpack records
 * (keywords listed in schema.h).  Schemas are parsed once, lazily, and kept
 * for the life of the process.
 */
#include "io/schema.h"
#include "io/record.h"
#include "base/util.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

struct embedded_schema { const char *name; const char *text; };
extern const struct embedded_schema prefpipe_embedded_schemas[];

#define MAX_KINDS 32
static json_t *parsed[MAX_KINDS];
static const char *kind_names[MAX_KINDS + 1];

/* typed-array keys */
static struct { char *key; char dtype; } dtypes[64];
static int ndtypes = -1;

const char *const *schema_kinds(void)
{
    if (!kind_names[0])
        for (int i = 0; prefpipe_embedded_schemas[i].name && i < MAX_KINDS; i++)
            kind_names[i] = prefpipe_embedded_schemas[i].name;
    return kind_names;
}

const char *schema_text(const char *kind)
{
    for (int i = 0; prefpipe_embedded_schemas[i].name; i++)
        if (strcmp(prefpipe_embedded_schemas[i].name, kind) == 0)
            return prefpipe_embedded_schemas[i].text;
    return NULL;
}

static json_t *schema_get(int i)
{
    if (!parsed[i]) {
        json_error_t je;
        parsed[i] = json_loads(prefpipe_embedded_schemas[i].text, 0, &je);
        if (!parsed[i])
            die(EX_SOFTWARE, "built-in schema %s: %s (line %d)", prefpipe_embedded_schemas[i].name,
                je.text, je.line);
    }
    return parsed[i];
}

static int kind_index(const char *kind)
{
    for (int i = 0; prefpipe_embedded_schemas[i].name && i < MAX_KINDS; i++)
        if (strcmp(prefpipe_embedded_schemas[i].name, kind) == 0)
            return i;
    return -1;
}

/* ---- typed-array table ---- */

static void collect_dtypes(json_t *s)
{
    if (!json_is_object(s))
        return;
    json_t *props = json_object_get(s, "properties");
    const char *k;
    json_t *v;
    json_object_foreach(props, k, v) {
        const char *dt = json_string_value(json_object_get(v, "x-dtype"));
        if (dt && ndtypes < (int)(sizeof dtypes / sizeof dtypes[0])) {
            char c = strcmp(dt, "int32") == 0 ? 'i' : strcmp(dt, "float32") == 0 ? 'f' : 0;
            int dup = 0;
            for (int i = 0; i < ndtypes; i++)
                if (strcmp(dtypes[i].key, k) == 0)
                    dup = 1;
            if (c && !dup) {
                dtypes[ndtypes].key = xstrdup(k);
                dtypes[ndtypes].dtype = c;
                ndtypes++;
            }
        }
        collect_dtypes(v);
    }
    collect_dtypes(json_object_get(s, "items"));
}

char schema_dtype(const char *key, size_t keylen)
{
    if (ndtypes < 0) {
        ndtypes = 0;
        for (int i = 0; prefpipe_embedded_schemas[i].name; i++)
            collect_dtypes(schema_get(i));
    }
    for (int i = 0; i < ndtypes; i++)
        if (strlen(dtypes[i].key) == keylen && memcmp(dtypes[i].key, key, keylen) == 0)
            return dtypes[i].dtype;
    return 0;
}

/* ---- validation ---- */

typedef struct {
    json_t *root;
    char *err;
    size_t cap;
    char path[512];
} vctx;

static const char *type_name(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return "null";
    case MSGPACK_OBJECT_BOOLEAN: return "boolean";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "integer";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return "number";
    case MSGPACK_OBJECT_STR: return "string";
    case MSGPACK_OBJECT_ARRAY: return "array";
    case MSGPACK_OBJECT_MAP: return "object";
    case MSGPACK_OBJECT_BIN: return "bin";
    default: return "ext";
    }
}

static int type_matches(const char *t, const msgpack_object *o)
{
    const char *have = type_name(o);
    if (strcmp(t, "number") == 0)
        return strcmp(have, "number") == 0 || strcmp(have, "integer") == 0;
    if (strcmp(t, "integer") == 0 && strcmp(have, "number") == 0) {
        double d = o->via.f64;
        return d == (double)(long long)d;
    }
    return strcmp(t, have) == 0;
}

static int verr(vctx *c, const char *fmt, const char *a, const char *b)
{
    char msg[256];
    snprintf(msg, sizeof msg, fmt, a, b);
    if (c->path[0])
        snprintf(c->err, c->cap, "%s: %s", c->path, msg);
    else
        snprintf(c->err, c->cap, "%s", msg);
    return -1;
}

static json_t *resolve(vctx *c, json_t *s)
{
    const char *ref = json_string_value(json_object_get(s, "$ref"));
    if (!ref)
        return s;
    if (strncmp(ref, "#/$defs/", 8) != 0)
        die(EX_SOFTWARE, "schema: unsupported $ref '%s'", ref);
    json_t *t = json_object_get(json_object_get(c->root, "$defs"), ref + 8);
    if (!t)
        die(EX_SOFTWARE, "schema: dangling $ref '%s'", ref);
    return t;
}

static int validate(vctx *c, json_t *s, const msgpack_object *o);

static int validate_typed_array(vctx *c, const char *dt, const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_BIN) {
        if (o->via.bin.size % 4)
            return verr(c, "bin of %s has a length that is not a multiple of 4%s", dt, "");
        return 0;
    }
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return verr(c, "expected a bin of %s, got %s", dt, type_name(o));
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        int ok = strcmp(dt, "int32") == 0
                     ? (e->type == MSGPACK_OBJECT_POSITIVE_INTEGER || e->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
                     : (type_matches("number", e));
        if (!ok)
            return verr(c, "array of %s holds a %s", dt, type_name(e));
    }
    return 0;
}

static int with_path(vctx *c, const char *fmt, const char *name, long idx, json_t *s,
                     const msgpack_object *o)
{
    size_t len = strlen(c->path);
    if (name)
        snprintf(c->path + len, sizeof c->path - len, len ? ".%s" : "%s", name);
    else
        snprintf(c->path + len, sizeof c->path - len, fmt, idx);
    int r = validate(c, s, o);
    if (r == 0)
        c->path[len] = 0;
    return r;
}

static int validate(vctx *c, json_t *s, const msgpack_object *o)
{
    s = resolve(c, s);
    if (!json_is_object(s))
        return 0;
    const char *dt = json_string_value(json_object_get(s, "x-dtype"));
    if (dt)
        return validate_typed_array(c, dt, o);

    json_t *type = json_object_get(s, "type");
    if (json_is_string(type)) {
        if (!type_matches(json_string_value(type), o))
            return verr(c, "expected %s, got %s", json_string_value(type), type_name(o));
    } else if (json_is_array(type)) {
        size_t i;
        json_t *t;
        int ok = 0;
        json_array_foreach(type, i, t) ok |= type_matches(json_string_value(t), o);
        if (!ok)
            return verr(c, "has the wrong type (%s)%s", type_name(o), "");
    }
    json_t *en = json_object_get(s, "enum");
    if (json_is_array(en)) {
        size_t i;
        json_t *t;
        int ok = 0;
        json_array_foreach(en, i, t) if (json_is_string(t) && obj_str_eq(o, json_string_value(t))) ok = 1;
        if (!ok) {
            char *list = json_dumps(en, JSON_COMPACT);
            verr(c, "must be one of %s%s", list, "");
            free(list);
            return -1;
        }
    }
    double d;
    json_t *mn = json_object_get(s, "minimum"), *mx = json_object_get(s, "maximum");
    if (obj_to_f64(o, &d)) {
        char b[64];
        if (json_is_number(mn) && d < json_number_value(mn)) {
            snprintf(b, sizeof b, "%g", json_number_value(mn));
            return verr(c, "must be at least %s%s", b, "");
        }
        if (json_is_number(mx) && d > json_number_value(mx)) {
            snprintf(b, sizeof b, "%g", json_number_value(mx));
            return verr(c, "must be at most %s%s", b, "");
        }
    }
    json_t *ml = json_object_get(s, "minLength");
    if (json_is_integer(ml) && o->type == MSGPACK_OBJECT_STR && o->via.str.size < (size_t)json_integer_value(ml))
        return verr(c, "must not be empty%s%s", "", "");
    json_t *mi = json_object_get(s, "minItems");
    if (json_is_integer(mi) && o->type == MSGPACK_OBJECT_ARRAY &&
        o->via.array.size < (size_t)json_integer_value(mi))
        return verr(c, "has too few items%s%s", "", "");

    if (o->type == MSGPACK_OBJECT_MAP) {
        json_t *req = json_object_get(s, "required");
        size_t i;
        json_t *t;
        json_array_foreach(req, i, t) {
            if (!rec_get(o, json_string_value(t)))
                return verr(c, "missing required field '%s'%s", json_string_value(t), "");
        }
        json_t *props = json_object_get(s, "properties");
        json_t *addl = json_object_get(s, "additionalProperties");
        for (uint32_t k = 0; k < o->via.map.size; k++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[k];
            char key[128];
            size_t kl = kv->key.via.str.size < sizeof key - 1 ? kv->key.via.str.size : sizeof key - 1;
            memcpy(key, kv->key.via.str.ptr, kl);
            key[kl] = 0;
            json_t *ps = json_object_get(props, key);
            if (!ps) {
                if (json_is_false(addl))
                    return verr(c, "unexpected field '%s'%s", key, "");
                if (!json_is_object(addl))
                    continue;
                ps = addl;
            }
            if (with_path(c, NULL, key, 0, ps, &kv->val) < 0)
                return -1;
        }
    }
    if (o->type == MSGPACK_OBJECT_ARRAY) {
        json_t *items = json_object_get(s, "items");
        if (json_is_object(items))
            for (uint32_t k = 0; k < o->via.array.size; k++)
                if (with_path(c, "[%ld]", NULL, (long)k, items, &o->via.array.ptr[k]) < 0)
                    return -1;
    }
    return 0;
}

int schema_validate(const char *kind, const msgpack_object *rec, char *err, size_t errcap)
{
    int i = kind_index(kind);
    if (i < 0) {
        char list[256] = "";
        const char *const *k = schema_kinds();
        for (; *k; k++) {
            strncat(list, *k, sizeof list - strlen(list) - 2);
            if (k[1])
                strncat(list, ", ", sizeof list - strlen(list) - 1);
        }
        die(EX_USAGE, "unknown record kind '%s' (known: %s)", kind, list);
    }
    vctx c = {.root = schema_get(i), .err = err, .cap = errcap};
    return validate(&c, c.root, rec);
}
