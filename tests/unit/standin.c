/* standin — child processes for the Python stand-ins; contract in standin.h. */
#include "standin.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PYTHON "/usr/bin/python3"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* fork + exec with the child's death tied to ours (stderr to /dev/null when quiet); -1 on
 * failure. */
static pid_t spawn(const char *const *argv, int quiet)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(127);
        int null = quiet ? open("/dev/null", O_WRONLY) : -1;
        if (null >= 0) dup2(null, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Waits up to ms for pid; its exit status, or -1 when it was killed, or -2 on timeout. */
static int wait_child(pid_t pid, int ms)
{
    for (int waited = 0;; waited += 10) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (r < 0) return -1;
        if (waited >= ms) return -2;
        sleep_ms(10);
    }
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char path[512];
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

int standin_start(struct standin *s, const char *script, const char *const *args)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "/tmp/restock-standin-XXXXXX");
    if (!mkdtemp(s->dir)) {
        fprintf(stderr, "  standin: mkdtemp: %s\n", strerror(errno));
        s->dir[0] = '\0';
        return -1;
    }
    const char *argv[32] = {PYTHON, script, "--port", "0", "--dir", s->dir, "--max-seconds", "120"};
    int n = 8;
    for (int i = 0; args && args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    s->pid = spawn(argv, 0);
    if (s->pid <= 0) {
        fprintf(stderr, "  standin: cannot start %s\n", script);
        standin_stop(s);
        return -1;
    }
    for (int waited = 0; waited < 15000; waited += 20) {
        char *p = standin_read(s, "port", 0, NULL);
        if (p) {
            s->port = (int)strtol(p, NULL, 10);
            free(p);
            return 0;
        }
        if (wait_child(s->pid, 0) != -2) { /* it exited: a bad argument, a missing module */
            fprintf(stderr, "  standin: %s exited before listening\n", script);
            s->pid = 0;
            standin_stop(s);
            return -1;
        }
        sleep_ms(20);
    }
    fprintf(stderr, "  standin: %s not listening after 15 s\n", script);
    standin_stop(s);
    return -1;
}

void standin_stop(struct standin *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        if (wait_child(s->pid, 5000) == -2) {
            kill(s->pid, SIGKILL);
            wait_child(s->pid, 5000);
        }
        s->pid = 0;
    }
    if (s->dir[0]) remove_dir(s->dir);
    s->dir[0] = '\0';
}

char *standin_read(const struct standin *s, const char *name, int wait_ms, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", s->dir, name);
    for (int waited = 0;; waited += 20) {
        FILE *f = fopen(path, "rb");
        if (f) {
            size_t cap = 4096, n = 0;
            char *p = malloc(cap);
            size_t got;
            while (p && (got = fread(p + n, 1, cap - n - 1, f)) > 0) {
                n += got;
                if (cap - n - 1 == 0) {
                    char *q = realloc(p, cap * 2);
                    if (!q) free(p);
                    p = q;
                    cap *= 2;
                }
            }
            fclose(f);
            if (!p) return NULL;
            p[n] = '\0';
            if (len) *len = n;
            return p;
        }
        if (waited >= wait_ms) return NULL;
        sleep_ms(20);
    }
}

int run_python(const char *const *argv, int quiet)
{
    const char *full[32] = {PYTHON};
    int n = 1;
    for (int i = 0; argv[i] && n < 31; i++)
        full[n++] = argv[i];
    full[n] = NULL;
    pid_t pid = spawn(full, quiet);
    if (pid <= 0) return -1;
    int rc = wait_child(pid, 30000);
    if (rc == -2) {
        kill(pid, SIGKILL);
        wait_child(pid, 5000);
        return -1;
    }
    return rc;
}

int unused_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}
