/*
 * json — strict parsing and table-driven field checks; contract in json.h.
 */
#include "util/json.h"

#include <stdio.h>
#include <string.h>

#include "util/money.h"

json_t *json_parse_strict(const char *text, size_t len, struct rs_status *st)
{
    json_error_t je;
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!v)
        rs_fail(st, RS_EJSON, "body is not valid JSON: %s (line %d, column %d)", je.text, je.line,
                je.column);
    return v;
}

static const char *const type_names[] = {
    [JF_STRING] = "a string",        [JF_ID] = "a string or an integer",
    [JF_INT] = "an integer",         [JF_BOOL] = "true or false",
    [JF_MONEY] = "a decimal amount", [JF_OBJECT] = "an object",
    [JF_ARRAY] = "an array",         [JF_ANY] = "a value",
};

static int type_ok(const json_t *v, enum jf_type t)
{
    switch (t) {
    case JF_STRING:
        return json_is_string(v);
    case JF_ID:
        return json_is_string(v) || json_is_integer(v);
    case JF_INT:
        return json_is_integer(v);
    case JF_BOOL:
        return json_is_boolean(v);
    case JF_MONEY:
        return json_is_string(v) || json_is_number(v);
    case JF_OBJECT:
        return json_is_object(v);
    case JF_ARRAY:
        return json_is_array(v);
    case JF_ANY:
        return 1;
    }
    return 0;
}

static const char *sep(const char *where)
{
    return *where ? "." : "";
}

int json_check(const json_t *obj, const struct jfield *fields, size_t n, const char *where,
               struct rs_status *st)
{
    if (!json_is_object(obj))
        return rs_fail(st, RS_EINVAL, "%s: must be an object", *where ? where : "body");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        size_t i;
        for (i = 0; i < n; i++)
            if (strcmp(fields[i].name, key) == 0) break;
        if (i == n)
            return rs_fail(st, RS_EINVAL, "%s%s%.64s: unknown field", where, sep(where), key);
        if (json_is_null(v)) {
            if (!(fields[i].flags & JF_NULLABLE) || (fields[i].flags & JF_REQUIRED))
                return rs_fail(st, RS_EINVAL, "%s%s%s: must not be null", where, sep(where), key);
            continue;
        }
        if (!type_ok(v, fields[i].type))
            return rs_fail(st, RS_EINVAL, "%s%s%s: must be %s", where, sep(where), key,
                           type_names[fields[i].type]);
    }
    for (size_t i = 0; i < n; i++)
        if ((fields[i].flags & JF_REQUIRED) && !json_object_get(obj, fields[i].name))
            return rs_fail(st, RS_EINVAL, "%s%s%s: required", where, sep(where), fields[i].name);
    return RS_OK;
}

const char *jstr(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

const char *jid(const json_t *obj, const char *key, char tmp[24])
{
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v)) {
        snprintf(tmp, 24, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return tmp;
    }
    return json_string_value(v);
}

int64_t jint(const json_t *obj, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

int jbool(const json_t *obj, const char *key, int dflt)
{
    json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

int jhas(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return v && !json_is_null(v);
}

/* An integral amount in minor units: v * 10^exp, failing on overflow. */
static int scale_int(json_int_t v, int exp, int64_t *out)
{
    int64_t r = v;
    for (int i = 0; i < exp; i++)
        if (__builtin_mul_overflow(r, 10, &r)) return -1;
    *out = r;
    return 0;
}

int jmoney(const json_t *obj, const char *key, int exp, int64_t *out, const char *where,
           struct rs_status *st)
{
    json_t *v = json_object_get(obj, key);
    int rc = -1;
    if (json_is_string(v))
        rc = money_parse(json_string_value(v), json_string_length(v), exp, out);
    else if (json_is_integer(v))
        rc = scale_int(json_integer_value(v), exp, out);
    else if (json_is_real(v))
        rc = money_from_double(json_real_value(v), exp, out);
    if (rc == 0) return RS_OK;
    return rs_fail(st, RS_EINVAL, "%s%s%s: must be a decimal amount with at most %d decimals",
                   where, sep(where), key, exp);
}
