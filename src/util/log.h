/*
 * log — one line per event on stderr, as JSON lines or plain text (the `log_format` option).
 *
 * Each line is built in memory and written with a single write(2), so lines from concurrent
 * threads never interleave. Thread-safe; no locks on the hot path.
 */
#ifndef RESTOCK_LOG_H
#define RESTOCK_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* format: "json", "text" or NULL (text on a terminal, else json). */
void log_init(const char *format);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The access log line of one HTTP request. */
void log_access(const char *method, const char *path, const char *route, int status, double ms,
                const char *client);

#endif
