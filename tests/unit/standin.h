/*
 * standin — runs one of the Python stand-ins of tests/e2e (smtp_sink.py, sms_provider.py) as a
 * child process for a unit test: a fresh temporary directory, `--port 0 --dir DIR`, and a wait
 * (at most 15 s) for the DIR/port file the script writes once it accepts connections. The child
 * gets SIGTERM when this process dies (PR_SET_PDEATHSIG) and exits by itself after 120 s, so a
 * crashed test leaves no server behind. Tests run from the repository root (as `make test` does).
 */
#ifndef RESTOCK_TEST_STANDIN_H
#define RESTOCK_TEST_STANDIN_H

#include <sys/types.h>

struct standin {
    pid_t pid;
    int port;
    char dir[64];
};

/* Starts /usr/bin/python3 SCRIPT --port 0 --dir DIR --max-seconds 120 ARGS... (args is
 * NULL-terminated, may be NULL). 0 when it is listening, -1 (with a message on stderr and
 * everything cleaned up) otherwise. */
int standin_start(struct standin *s, const char *script, const char *const *args);
/* SIGTERM, wait (SIGKILL after 5 s), remove the directory. Safe on a stopped or failed standin. */
void standin_stop(struct standin *s);
/* The content of DIR/name, NUL-terminated, to free(); NULL when the file is not there. Waits up
 * to wait_ms for it to appear. */
char *standin_read(const struct standin *s, const char *name, int wait_ms, size_t *len);
/* Runs /usr/bin/python3 with argv (NULL-terminated, without the interpreter), at most 30 s,
 * its stderr discarded when quiet; returns its exit status, or -1 when it could not run or was
 * killed. */
int run_python(const char *const *argv, int quiet);
/* A TCP port on 127.0.0.1 that nothing listens on (bound and released). */
int unused_port(void);

#endif
