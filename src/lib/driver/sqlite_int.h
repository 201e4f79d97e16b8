/*
 * sqlite_int.h: what the SQLite driver's files share and nobody else
 * sees. sqlite.c owns db_conn; inspect_sqlite.c reads the schema through
 * the handle alone.
 */
#ifndef RETORT_DRIVER_SQLITE_INT_H
#define RETORT_DRIVER_SQLITE_INT_H

#include <sqlite3.h>

#include "driver/driver.h"

/* sqlite.c: the connection's handle (owned by c). */
sqlite3 *sqlite_conn_handle(db_conn *c);

/* inspect_sqlite.c: db_driver.inspect for SQLite. schema NULL or ""
 * means "main". */
int sqlite_inspect(db_conn *c, const char *schema, const strvec *skip, sch_model *out,
                   retort_error *err);

#endif
