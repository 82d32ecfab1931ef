/* model — names of the enums of model.h, as they appear on the wire and in the store. */
#include "core/model.h"

#include <string.h>

static const char *const channels[CH_COUNT] = {"email", "sms", "webpush"};
static const char *const statuses[SUB_STATUS_COUNT] = {"pending", "waiting", "notified",
                                                       "unsubscribed", "expired"};

static int lookup(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(names[i], s) == 0) return i;
    return -1;
}

static const char *const notif_statuses[N_STATUS_COUNT] = {
    "queued", "sent", "retrying", "failed", "expired", "dropped", "skipped_cap"};

const char *notif_status_name(enum notif_status s)
{
    return (unsigned)s < N_STATUS_COUNT ? notif_statuses[s] : "?";
}

int notif_status_parse(const char *s)
{
    return lookup(notif_statuses, N_STATUS_COUNT, s);
}

const char *channel_name(enum channel c)
{
    return (unsigned)c < CH_COUNT ? channels[c] : "?";
}

int channel_parse(const char *s)
{
    return lookup(channels, CH_COUNT, s);
}

const char *sub_status_name(enum sub_status s)
{
    return (unsigned)s < SUB_STATUS_COUNT ? statuses[s] : "?";
}

int sub_status_parse(const char *s)
{
    return lookup(statuses, SUB_STATUS_COUNT, s);
}

static const char *const order_statuses[ORDER_STATUS_COUNT] = {"placed", "cancelled", "refunded"};

const char *order_status_name(enum order_status s)
{
    return (unsigned)s < ORDER_STATUS_COUNT ? order_statuses[s] : "?";
}
