/*
 * config — the options table and its loaders; see config.h for precedence and file syntax.
 * Invariant: after config_load succeeds every string option is non-NULL (possibly "") and every
 * integer option is within its bounds.
 */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/xalloc.h"

enum opt_type { OPT_STR, OPT_INT };

/* A check of a string option's final value (after every source was read): RS_OK, or RS_EUSAGE
 * with the message in st. It may normalise the value in place. */
typedef int (*check_fn)(char *v, struct rs_status *st);
static int check_listen(char *v, struct rs_status *st);
static int check_public_url(char *v, struct rs_status *st);
static int check_smtp_url(char *v, struct rs_status *st);
static int check_sms_url(char *v, struct rs_status *st);
static int check_vapid_subject(char *v, struct rs_status *st);
static int check_log_format(char *v, struct rs_status *st);

/* The options, in the order --help lists them (and README's table). `shown` is the default as
 * --help words it, for an empty `def` that stands for something else; NULL: `def` itself, or
 * "none" when empty. */
static const struct opt {
    const char *name;
    enum opt_type type;
    size_t offset;
    const char *def, *shown;
    long min, max;
    check_fn check;
    const char *help;
} opts[] = {
/* clang-format off */
#define S(f, d, sh, chk, h) {#f, OPT_STR, offsetof(struct config, f), d, sh, 0, 0, chk, h}
#define I(f, d, lo, hi, h)  {#f, OPT_INT, offsetof(struct config, f), d, NULL, lo, hi, NULL, h}
    /* clang-format on */
    S(listen, "127.0.0.1:8080", NULL, check_listen, "address and port (1 to 65535) to serve on"),
    S(db, "restock.db", NULL, NULL, "SQLite file path (postgresql:// URLs: not yet supported)"),
    S(public_url, "", "http:// + listen", check_public_url, "base URL of this server for links"),
    S(smtp_url, "", NULL, check_smtp_url,
      "SMTP relay, smtp://host:port or smtps:// (without one, email stays queued)"),
    S(smtp_user, "", NULL, NULL, "SMTP user name (on smtp://, sent only after STARTTLS)"),
    S(smtp_password, "", NULL, NULL, "SMTP password"),
    S(smtp_ca, "", "the system's CAs", NULL, "PEM file of the CAs the relay is checked by"),
    S(sms_url, "", NULL, check_sms_url, "Twilio-style SMS endpoint URL, http:// or https://"),
    S(sms_user, "", NULL, NULL, "SMS provider user (account SID)"),
    S(sms_password, "", NULL, NULL, "SMS provider password (auth token)"),
    S(sms_from, "", NULL, NULL, "SMS sender number or name"),
    S(vapid_subject, "", "mailto: + the shop's sender", check_vapid_subject,
      "VAPID contact, mailto: or https:"),
    S(push_hosts, "", "the browsers' push services", NULL,
      "allowed push services, host[:port],..."),
    S(log_format, "", "text on a terminal, else json", check_log_format, "json or text"),
    I(workers, "8", 1, 256, "delivery concurrency"),
    I(threads, "0", 0, 256, "HTTP threads (0: one per core)"),
    I(body_limit, "1048576", 1024, 1073741824, "largest request body in bytes"),
    I(rate_limit_ip, "120", 0, 100000000, "public requests per minute per client address (0: off)"),
    I(rate_limit_contact, "10", 0, 100000000, "sign-ups per hour per contact (0: off)"),
    I(retry_base, "30", 1, 86400, "seconds before a failed delivery's first retry (then doubling)"),
    I(max_attempts, "8", 1, 100, "delivery attempts before a notification is failed"),
    I(feed_allow_private, "0", 0, 1,
      "1: a shop's feed_url may resolve to loopback or private addresses"),
#undef S
#undef I
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static char **str_slot(struct config *c, const struct opt *o)
{
    return (char **)((char *)c + o->offset);
}

static long *int_slot(struct config *c, const struct opt *o)
{
    return (long *)((char *)c + o->offset);
}

static int set(struct config *c, const struct opt *o, const char *val, const char *from,
               struct rs_status *st)
{
    if (o->type == OPT_STR) {
        char **slot = str_slot(c, o);
        free(*slot);
        *slot = xstrdup(val);
        return RS_OK;
    }
    char *end;
    errno = 0;
    long v = strtol(val, &end, 10);
    if (errno || end == val || *end || v < o->min || v > o->max)
        return rs_fail(st, RS_EUSAGE, "%s: %s must be an integer from %ld to %ld", from, o->name,
                       o->min, o->max);
    *int_slot(c, o) = v;
    return RS_OK;
}

static const struct opt *find(const char *name, size_t n)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strlen(opts[i].name) == n && strncmp(opts[i].name, name, n) == 0) return &opts[i];
    return NULL;
}

/* "--smtp-url" → "smtp_url" into out; 0 on success. */
static int flag_to_name(const char *flag, char *out, size_t cap)
{
    if (strncmp(flag, "--", 2) != 0) return -1;
    size_t n = strcspn(flag + 2, "=");
    if (n == 0 || n >= cap) return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = flag[2 + i] == '-' ? '_' : flag[2 + i];
    out[n] = '\0';
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int load_file(struct config *c, const char *path, struct rs_status *st)
{
    FILE *f = fopen(path, "r");
    if (!f) return rs_fail(st, RS_EUSAGE, "config file %s: %s", path, strerror(errno));
    char line[4096], where[300];
    int lineno = 0, rc = RS_OK;
    while (rc == RS_OK && fgets(line, sizeof(line), f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        snprintf(where, sizeof(where), "%s:%d", path, lineno);
        if (!eq) {
            rc = rs_fail(st, RS_EUSAGE, "%s: expected key = value", where);
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        const struct opt *o = find(key, strlen(key));
        if (!o)
            rc = rs_fail(st, RS_EUSAGE, "%s: unknown option %s", where, key);
        else
            rc = set(c, o, val, where, st);
    }
    fclose(f);
    return rc;
}

static int load_env(struct config *c, struct rs_status *st)
{
    for (size_t i = 0; i < NOPTS; i++) {
        char var[64] = "RESTOCK_";
        size_t n = strlen(var);
        for (const char *p = opts[i].name; *p && n < sizeof(var) - 1; p++)
            var[n++] = (char)toupper((unsigned char)*p);
        var[n] = '\0';
        const char *v = getenv(var);
        if (v && set(c, &opts[i], v, var, st)) return st->err;
    }
    return RS_OK;
}

/* Walks the flags; with only_config, just finds --config. */
static int load_flags(struct config *c, int argc, char **argv, const char **config_path,
                      int only_config, struct rs_status *st)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *val;
        char name[64];
        if (flag_to_name(arg, name, sizeof(name)))
            return rs_fail(st, RS_EUSAGE, "unexpected argument %s", arg);
        const char *eq = strchr(arg, '=');
        int is_bool = strcmp(name, "demo") == 0;
        if (is_bool) {
            if (eq) return rs_fail(st, RS_EUSAGE, "--demo takes no value");
            if (!only_config) c->demo = 1;
            continue;
        }
        const struct opt *o = find(name, strlen(name));
        int is_config = strcmp(name, "config") == 0;
        if (!o && !is_config)
            return rs_fail(st, RS_EUSAGE, "unknown option %.*s", (int)strcspn(arg, "="), arg);
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return rs_fail(st, RS_EUSAGE, "%s needs a value", arg);
        if (is_config) {
            *config_path = val;
            continue;
        }
        if (!only_config && set(c, o, val, arg, st)) return st->err;
    }
    return RS_OK;
}

/* ---- checks of the final values ---------------------------------------------------------- */

/* HOST:PORT, [IPV6]:PORT or :PORT (every address). The port is decimal, 1 to 65535: 0 would let
 * the kernel pick one that neither the log line nor the default public_url could name. */
static int check_listen(char *v, struct rs_status *st)
{
    const char *colon = strrchr(v, ':');
    if (!colon) return rs_fail(st, RS_EUSAGE, "listen: expected HOST:PORT, got %.100s", v);
    const char *port = colon + 1;
    size_t n = strspn(port, "0123456789");
    long p = n >= 1 && n <= 5 && !port[n] ? strtol(port, NULL, 10) : 0;
    if (p < 1 || p > 65535)
        return rs_fail(st, RS_EUSAGE,
                       "listen: the port must be a number from 1 to 65535, got %.100s", v);
    return RS_OK;
}

/* 1 when v starts with prefix (ASCII case-insensitively, as URI schemes compare) followed by at
 * least one character. */
static int has_scheme(const char *v, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncasecmp(v, prefix, n) == 0 && v[n];
}

/* Links are built as public_url + "/u/...": trailing '/' are dropped. */
static int check_public_url(char *v, struct rs_status *st)
{
    if (!*v) return RS_OK;
    size_t n = strlen(v);
    while (n && v[n - 1] == '/')
        v[--n] = '\0';
    if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
        return rs_fail(st, RS_EUSAGE, "public_url: must be an http(s) URL, got %.100s", v);
    return RS_OK;
}

static int check_smtp_url(char *v, struct rs_status *st)
{
    if (!*v || has_scheme(v, "smtp://") || has_scheme(v, "smtps://")) return RS_OK;
    return rs_fail(st, RS_EUSAGE, "smtp_url: must be smtp://HOST[:PORT] or smtps://, got %.100s",
                   v);
}

static int check_sms_url(char *v, struct rs_status *st)
{
    if (!*v || has_scheme(v, "https://") || has_scheme(v, "http://")) return RS_OK;
    return rs_fail(st, RS_EUSAGE, "sms_url: must be an http:// or https:// URL, got %.100s", v);
}

static int check_vapid_subject(char *v, struct rs_status *st)
{
    if (!*v || has_scheme(v, "mailto:") || has_scheme(v, "https://")) return RS_OK;
    return rs_fail(st, RS_EUSAGE, "vapid_subject: must be a mailto: or https: URI, got %.100s", v);
}

static int check_log_format(char *v, struct rs_status *st)
{
    if (!*v || strcmp(v, "json") == 0 || strcmp(v, "text") == 0) return RS_OK;
    return rs_fail(st, RS_EUSAGE, "log_format: must be json or text, got %.64s", v);
}

int config_load(struct config *c, int argc, char **argv, struct rs_status *st)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < NOPTS; i++)
        set(c, &opts[i], opts[i].def, "default", st);
    const char *path = getenv("RESTOCK_CONFIG");
    int rc = load_flags(c, argc, argv, &path, 1, st);
    if (!rc && path && *path) rc = load_file(c, path, st);
    if (!rc) rc = load_env(c, st);
    if (!rc) rc = load_flags(c, argc, argv, &path, 0, st);
    for (size_t i = 0; !rc && i < NOPTS; i++)
        if (opts[i].check) rc = opts[i].check(*str_slot(c, &opts[i]), st);
    if (!rc && !*c->public_url) { /* ":PORT" (every address) is reached here as localhost */
        free(c->public_url);
        const char *host = c->listen[0] == ':' ? "localhost" : "";
        size_t n = strlen(host) + strlen(c->listen) + 8;
        c->public_url = xmalloc(n);
        snprintf(c->public_url, n, "http://%s%s", host, c->listen);
    }
    if (rc) config_free(c);
    return rc;
}

void config_free(struct config *c)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (opts[i].type == OPT_STR) {
            free(*str_slot(c, &opts[i]));
            *str_slot(c, &opts[i]) = NULL;
        }
}

void config_print_help(FILE *out)
{
    fprintf(out, "Options (flag, environment RESTOCK_NAME, config file key name) [default]:\n");
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt *o = &opts[i];
        char flag[64];
        size_t n = 0;
        for (const char *p = o->name; *p && n < sizeof(flag) - 1; p++)
            flag[n++] = *p == '_' ? '-' : *p;
        flag[n] = '\0';
        fprintf(out, "  --%-20s %s [%s]\n", flag, o->help,
                o->shown  ? o->shown
                : *o->def ? o->def
                          : "none");
    }
    fprintf(out, "  --%-20s %s [none]\n", "config FILE",
            "read options from FILE, key = value lines (also RESTOCK_CONFIG)");
}
