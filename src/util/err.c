/* err — the error table: code, wire name, HTTP status, default message. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
    const char *code;
    int status;
    const char *msg;
} errs[RS_ERR_COUNT] = {
    [RS_OK] = {"ok", 200, "ok"},
    [RS_EINVAL] = {"invalid", 400, "invalid request"},
    [RS_EJSON] = {"invalid_json", 400, "body is not valid JSON"},
    [RS_EUNAUTH] = {"unauthorized", 401, "missing or wrong API key"},
    [RS_ENOTFOUND] = {"not_found", 404, "not found"},
    [RS_ECONFLICT] = {"conflict", 409, "conflict"},
    [RS_EINSTOCK] = {"in_stock", 409, "the variant is in stock"},
    [RS_ETOOBIG] = {"too_large", 413, "request body over the limit"},
    [RS_EMEDIA] = {"unsupported_media_type", 415, "unsupported content type"},
    [RS_ERATE] = {"rate_limited", 429, "too many requests"},
    [RS_EINTERNAL] = {"internal", 500, "internal error"},
    [RS_ESTORE] = {"store_failed", 500, "the store failed"},
    [RS_EMETHOD] = {"method_not_allowed", 405, "method not allowed"},
    [RS_EUNAVAILABLE] = {"unavailable", 503, "temporarily unavailable"},
    [RS_EUSAGE] = {"usage", 400, "bad usage"},
    [RS_PENDING] = {"pending", 202, "pending"},
};

static int valid(int err)
{
    return err >= 0 && err < RS_ERR_COUNT;
}

const char *rs_strerror(int err)
{
    return valid(err) ? errs[err].msg : "unknown error";
}

const char *rs_errcode(int err)
{
    return valid(err) ? errs[err].code : "internal";
}

int rs_httpstatus(int err)
{
    return valid(err) ? errs[err].status : 500;
}

int rs_fail(struct rs_status *st, int err, const char *fmt, ...)
{
    if (st) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
        va_end(ap);
        st->err = err;
    }
    return err;
}
