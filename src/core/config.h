/*
 * config — restock's configuration options, from one table (Redis's static_configs[]).
 *
 * Every option has a name (`smtp_url`), which gives its flag (`--smtp-url`), its environment
 * variable (`RESTOCK_SMTP_URL`) and its config file key (`smtp_url`). Precedence: flags override
 * the environment, which overrides the file, which overrides the default. The file is lines of
 * `key = value`; blank lines and lines starting with '#' are ignored.
 */
#ifndef RESTOCK_CONFIG_H
#define RESTOCK_CONFIG_H

#include <stdio.h>

#include "util/err.h"

struct config {
    char *listen, *db, *public_url;
    char *smtp_url, *smtp_user, *smtp_password, *smtp_ca;
    char *sms_url, *sms_user, *sms_password, *sms_from;
    char *vapid_subject, *push_hosts, *log_format;
    long workers, threads, body_limit, rate_limit_ip, rate_limit_contact;
    long retry_base, max_attempts, feed_allow_private;
    int demo; /* --demo: not an option of the table, a flag of `serve` */
};

/* Fills c from defaults, the file named by --config (or RESTOCK_CONFIG), the environment and the
 * flags in argv[0..argc) (a command's own arguments, after its name). Unknown flags, missing
 * values, values out of bounds, a final value its option's check refuses (listen's port, a URL's
 * scheme) or an unreadable file: RS_EUSAGE with the message in st, which names the option.
 * Free with config_free (strings are owned by c). */
int config_load(struct config *c, int argc, char **argv, struct rs_status *st);
void config_free(struct config *c);
/* Prints the options table for --help: each option's flag, help and default, in table order. */
void config_print_help(FILE *out);

#endif
