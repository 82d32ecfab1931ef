/* campaign_row — campaigns to store rows and back; contract in campaign_row.h. */
#include "core/campaign_row.h"

#include <stdlib.h>

#include "util/log.h"

static const char *const read_only[] = {"id", "is_default", "created_at", "updated_at"};

void campaign_to_row(const struct campaign *c, struct arena *a, struct stored_campaign *row)
{
    json_t *o = campaign_to_json(c);
    for (size_t i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++)
        json_object_del(o, read_only[i]);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    *row = (struct stored_campaign){
        .id = c->id,
        .sid = c->sid,
        .channel = (int)c->channel,
        .status = (int)c->status,
        .is_default = c->is_default,
        .json = arena_strdup(a, s),
        .created_at = c->created_at,
        .updated_at = c->updated_at,
    };
    free(s);
}

int campaign_from_row(const struct stored_campaign *row, struct arena *a, struct campaign *c)
{
    json_t *o = json_loads(row->json, 0, NULL);
    struct rs_status st = {0};
    int rc = o ? campaign_parse_stored(o, a, c, &st) : RS_ESTORE;
    json_decref(o);
    if (rc) {
        log_msg(LOG_ERROR, "campaign %lld: the stored campaign does not parse: %s",
                (long long)row->id, st.msg);
        return RS_ESTORE;
    }
    c->id = row->id;
    c->sid = row->sid;
    c->is_default = row->is_default;
    c->created_at = row->created_at;
    c->updated_at = row->updated_at;
    return RS_OK;
}

int campaign_insert_defaults(struct tx *tx, int64_t sid, int64_t now, struct arena *a)
{
    for (int ch = 0; ch < CH_COUNT; ch++) {
        struct campaign c;
        struct stored_campaign row;
        campaign_default((enum channel)ch, sid, &c);
        c.is_default = 1;
        c.created_at = c.updated_at = now;
        campaign_to_row(&c, a, &row);
        int rc = tx->ops->campaign_insert(tx->c, &row);
        if (rc) return rc;
    }
    return RS_OK;
}
