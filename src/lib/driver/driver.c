/*
 * driver.c: choosing the driver for a parsed URL. (The SQL text each
 * backend speaks is its dialect's: sql/dialect.c.)
 */
#include <string.h>

#include <sqlite3.h>

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

int driver_sqlite_version(void)
{
	return sqlite3_libversion_number();
}
