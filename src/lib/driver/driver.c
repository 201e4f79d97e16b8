/*
 * driver.c: what is shared by every backend: choosing the driver for a
 * parsed URL, and quoting identifiers and literals for the SQL that the
 * library generates (version and history tables, --sql output).
 */
#include <string.h>

#include "driver/driver.h"

const db_driver *driver_for(const db_url *u)
{
	if (!u || !u->scheme)
		return NULL;
	if (strcmp(u->scheme, "sqlite") == 0)
		return &driver_sqlite;
	if (strcmp(u->scheme, "postgresql") == 0)
		return &driver_pg;
	return NULL;
}
