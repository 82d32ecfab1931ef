/*
 * json — strict parsing, table-driven field checks and the compact writer; contract in json.h.
 */
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
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

int jamount(const json_t *obj, const char *key, int exp, int64_t *out, const char *where,
            struct rs_status *st)
{
    int rc = jmoney(obj, key, exp, out, where, st);
    if (rc || (*out <= MONEY_AMOUNT_MAX && *out >= -MONEY_AMOUNT_MAX)) return rc;
    char max[32];
    money_format(MONEY_AMOUNT_MAX, exp, max, sizeof(max));
    return rs_fail(st, RS_EINVAL, "%s%s%s: must be at most %s", where, sep(where), key, max);
}

/* ---- compact JSON out ---------------------------------------------------------------------- */

int json_write_string(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = buf_putc(b, '"');
    size_t run = 0; /* bytes since the last escape, appended in one go */
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        rc = buf_append(b, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t len = 2;
        switch (c) {
        case '"':
        case '\\':
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            len = 6;
        }
        if (!rc) rc = buf_append(b, esc, len);
    }
    if (!rc) rc = buf_append(b, s + run, n - run);
    return rc ? rc : buf_putc(b, '"');
}

static int write_integer(struct buf *b, json_int_t v)
{
    char d[24];
    int n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        d[sizeof(d) - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) d[sizeof(d) - 1 - n++] = '-';
    return buf_append(b, d + sizeof(d) - n, (size_t)n);
}

int json_write(struct buf *b, const json_t *v)
{
    json_t *m = (json_t *)v; /* jansson's iterators take non-const values; nothing is changed */
    int rc = 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *value;
        const char *sep = "{";
        json_object_foreach(m, key, value)
        {
            if (buf_puts(b, sep) || json_write_string(b, key, strlen(key)) || buf_putc(b, ':') ||
                json_write(b, value))
                return -1;
            sep = ",";
        }
        return *sep == '{' ? buf_puts(b, "{}") : buf_putc(b, '}');
    }
    case JSON_ARRAY: {
        rc = buf_putc(b, '[');
        for (size_t i = 0; i < json_array_size(v) && !rc; i++)
            rc = (i && buf_putc(b, ',')) || json_write(b, json_array_get(v, i));
        return rc ? -1 : buf_putc(b, ']');
    }
    case JSON_STRING:
        return json_write_string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return write_integer(b, json_integer_value(v));
    case JSON_TRUE:
        return buf_puts(b, "true");
    case JSON_FALSE:
        return buf_puts(b, "false");
    case JSON_NULL:
        return buf_puts(b, "null");
    default: { /* reals: jansson's, to 15 significant digits (a rate of 0.3333 is 0.3333) */
        char *s = json_dumps(v, JSON_WRITE_FLAGS);
        rc = s ? buf_puts(b, s) : -1;
        free(s);
        return rc;
    }
    }
}
