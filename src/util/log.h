/*
 * log — one line per event on stderr, as JSON lines or plain text (the `log_format` option).
 *
 * Each line is built in memory and written with a single write(2), so lines from concurrent
 * threads never interleave. Thread-safe.
 *
 * Access lines (log_access, one per HTTP request) are buffered per thread and written in
 * batches: when a thread's buffer fills, and by a flusher thread every 100 ms. So an access line
 * reaches stderr at most 100 ms after its request (a crash may lose that much of the access
 * log); log_msg lines are written at once. log_flush() writes every buffered line: call it
 * before exiting.
 */
#ifndef RESTOCK_LOG_H
#define RESTOCK_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* format: "json", "text" or NULL (text on a terminal, else json). */
void log_init(const char *format);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The access log line of one HTTP request (buffered, see above). */
void log_access(const char *method, const char *path, const char *route, int status, double ms,
                const char *client);
/* Writes every buffered access line now. */
void log_flush(void);

#endif
