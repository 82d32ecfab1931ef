/* Unit tests for util/log: the access line's exact shape in both formats, and that buffered
 * access lines reach stderr on log_flush(). stderr is redirected to a temporary file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "util/log.h"

/* Runs the access lines of `format` with stderr captured; returns what was written (free). */
static char *capture_access(const char *format)
{
    char path[] = "/tmp/restock_log_XXXXXX";
    int fd = mkstemp(path), saved = dup(STDERR_FILENO);
    CHECK(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    log_init(format);
    log_access("GET", "/v1/stock/s/4471", "stock", 200, 1.2345, "127.0.0.1");
    log_access("POST", "/nope", NULL, 404, 12, "::1");
    char long_path[800];
    memset(long_path, 'a', sizeof(long_path) - 1);
    long_path[sizeof(long_path) - 1] = '\0';
    log_access("GET", long_path, NULL, 404, 0.0004, "?");
    log_flush();
    dup2(saved, STDERR_FILENO);
    close(saved);
    log_init("json");
    char *out = calloc(1, 8192);
    ssize_t n = pread(fd, out, 8191, 0);
    CHECK(n > 0);
    close(fd);
    unlink(path);
    return out;
}

/* The line without its time stamp (the 20 characters after the ts prefix). */
static const char *strip_ts(char *line, const char *prefix)
{
    size_t p = strlen(prefix);
    if (strncmp(line, prefix, p) != 0 || strlen(line) < p + 20) return "(no time stamp)";
    memmove(line + p, line + p + 20, strlen(line + p + 20) + 1);
    return line;
}

/* Splits text into at most max lines (in place); returns how many, each ended by '\n'. */
static int split_lines(char *text, char *lines[], int max)
{
    int n = 0;
    for (char *nl; n < max && (nl = strchr(text, '\n')); text = nl + 1) {
        *nl = '\0';
        lines[n++] = text;
    }
    return *text ? -1 : n; /* -1: an unended line */
}

TEST(log_access_lines)
{
    char *json = capture_access("json"), *l[4];
    int n = split_lines(json, l, 4);
    CHECK_INT(n, 3);
    if (n != 3) goto out;
    CHECK_STR(strip_ts(l[0], "{\"ts\":\""),
              "{\"ts\":\"\",\"level\":\"info\",\"msg\":\"access\",\"method\":\"GET\","
              "\"path\":\"/v1/stock/s/4471\",\"route\":\"stock\",\"status\":200,\"ms\":1.235,"
              "\"client\":\"127.0.0.1\"}");
    CHECK_STR(strip_ts(l[1], "{\"ts\":\""),
              "{\"ts\":\"\",\"level\":\"info\",\"msg\":\"access\",\"method\":\"POST\","
              "\"path\":\"/nope\",\"route\":null,\"status\":404,\"ms\":12.000,"
              "\"client\":\"::1\"}");
    const char *p = strstr(l[2], "\"path\":\"");
    CHECK(p && strspn(p + 8, "a") == 600 && p[8 + 600] == '"'); /* cut at 600 bytes */
    CHECK(strstr(l[2], "\"ms\":0.000,") != NULL);
out:
    free(json);

    char *text = capture_access("text");
    n = split_lines(text, l, 4);
    CHECK_INT(n, 3);
    if (n == 3 && strlen(l[0]) > 20 && strlen(l[1]) > 20) {
        CHECK_STR(l[0] + 20, " info  GET /v1/stock/s/4471 200 1.23ms 127.0.0.1");
        CHECK_STR(l[1] + 20, " info  POST /nope 404 12.00ms ::1");
    }
    free(text);
}
