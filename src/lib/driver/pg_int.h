/*
 * pg_int.h: what the PostgreSQL driver's files share beyond driver.h
 * (pg.c owns the connection; inspect_pg.c reads the catalog through it).
 * Private to driver/.
 */
#ifndef RETORT_DRIVER_PG_INT_H
#define RETORT_DRIVER_PG_INT_H

#include <libpq-fe.h>

#include "driver/driver.h"

/* The libpq connection behind a PostgreSQL db_conn (pg.c). */
PGconn *pg_conn_handle(db_conn *c);

/* driver_pg.inspect (inspect_pg.c). */
int pg_inspect(db_conn *c, const char *schema, const strvec *skip, sch_model *out,
               retort_error *err);

/* pg.c's report of a failed result into err (clears r): RETORT_ERUNTIME. */
int pg_conn_fail(db_conn *c, PGresult *r, retort_error *err);

#endif
