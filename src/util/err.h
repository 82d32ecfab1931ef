/*
 * err — restock's one error enum (curl's CURLcode).
 *
 * Numbers are stable: append, never renumber. Each code has a wire name (the "code" of the SPEC's
 * error shape), an HTTP status and a default message, all in one table in err.c.
 */
#ifndef RESTOCK_ERR_H
#define RESTOCK_ERR_H

enum rs_err {
    RS_OK = 0,
    RS_EINVAL = 1,        /* 400 invalid: a field is wrong; the message names it */
    RS_EJSON = 2,         /* 400 malformed JSON */
    RS_EUNAUTH = 3,       /* 401 no or wrong key or signature */
    RS_ENOTFOUND = 4,     /* 404 */
    RS_ECONFLICT = 5,     /* 409 */
    RS_EINSTOCK = 6,      /* 409 in_stock: a sign-up for a variant that is not sold out */
    RS_ETOOBIG = 7,       /* 413 body over the limit */
    RS_EMEDIA = 8,        /* 415 unsupported content type */
    RS_ERATE = 9,         /* 429 rate limited */
    RS_EINTERNAL = 10,    /* 500 */
    RS_ESTORE = 11,       /* 500 the store failed */
    RS_EMETHOD = 12,      /* 405 method not allowed */
    RS_EUNAVAILABLE = 13, /* 503 shutting down or overloaded */
    RS_EUSAGE = 14,       /* command line: bad usage (exit 2) */
    RS_PENDING = 15,      /* not an error: the answer comes later (async store write) */
    RS_ERR_COUNT
};

const char *rs_strerror(int err); /* default message */
const char *rs_errcode(int err);  /* wire code, e.g. "invalid" */
int rs_httpstatus(int err);

/* An error with its detail, carried up from where it was found to where it is answered. */
struct rs_status {
    int err;
    char msg[256];
};

/* Records err and a printf-style message in st (if st is non-NULL) and returns err. */
int rs_fail(struct rs_status *st, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
