/*
 * driver.c: what is shared by every backend: choosing the driver for a
 * parsed URL, and quoting identifiers and literals for the SQL that the
 * library generates (version and history tables, --sql output).
 */
#include <string.h>

#include "driver.h"

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

static char *quote(const char *s, char q)
{
	sbuf b = SBUF_INIT;
	sb_addc(&b, q);
	for (const char *p = s; *p; p++) {
		if (*p == q)
			sb_addc(&b, q);
		sb_addc(&b, *p);
	}
	sb_addc(&b, q);
	return sb_detach(&b);
}

char *sql_quote_ident(const char *s)
{
	return quote(s, '"');
}

/* Standard SQL: only the quote is doubled. Backslashes are literal in
 * SQLite and in PostgreSQL with standard_conforming_strings (the default
 * since 9.1), so they need no escaping. */
char *sql_quote_literal(const char *s)
{
	return quote(s, '\'');
}
