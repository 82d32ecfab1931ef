/*
 * server — restock's HTTP front end on libmicrohttpd: epoll, a thread pool, and connections
 * suspended while their writes wait for the group commit (so a few threads keep thousands of
 * requests in flight, and one commit carries many of them).
 */
#ifndef RESTOCK_SERVER_H
#define RESTOCK_SERVER_H

#include "core/app.h"

struct http_server;

/* Starts serving app on app->cfg->listen. NULL with the reason in st. */
struct http_server *http_start(struct app *app, struct rs_status *st);
/* Stops accepting, finishes requests in flight, stops. NULL is fine. */
void http_stop(struct http_server *srv);

#endif
