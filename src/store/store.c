/* store — picks the backend for a store target (store.h). */
#include "store/store.h"

#include <string.h>

const struct store_ops *store_backend(const char *target)
{
    if (strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0)
        return NULL; /* the PostgreSQL backend is not written yet */
    return &store_sqlite;
}
