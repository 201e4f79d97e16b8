/*
 * dialect.c: the SQL text that differs by backend, in one place. The rest
 * of the library builds its own statements (version table, history,
 * leases, --sql output) through these, never with a backend's syntax
 * written inline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/sql.h"

const sql_dialect dialect_sqlite = {.kind = DIALECT_SQLITE,
                                    .impl_name = "SQLiteImpl",
                                    .transactional_ddl = 1,
                                    .has_schemas = 0,
                                    .begin = "BEGIN IMMEDIATE",
                                    .begin_offline = "BEGIN",
                                    .commit = "COMMIT",
                                    .rollback = "ROLLBACK",
                                    .now_epoch = "CAST(strftime('%s', 'now') AS INTEGER)",
                                    .serial_pk = "INTEGER PRIMARY KEY",
                                    .ident_quote = '"'};

const sql_dialect dialect_pg = {.kind = DIALECT_PG,
                                .impl_name = "PostgresqlImpl",
                                .transactional_ddl = 1,
                                .has_schemas = 1,
                                .begin = "BEGIN",
                                .begin_offline = "BEGIN",
                                .commit = "COMMIT",
                                .rollback = "ROLLBACK",
                                .now_epoch =
                                    "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS BIGINT)",
                                .serial_pk = "BIGSERIAL PRIMARY KEY",
                                .ident_quote = '"'};

const sql_dialect dialect_mysql = {.kind = DIALECT_MYSQL,
                                   .impl_name = "MySQLImpl",
                                   .transactional_ddl = 0,
                                   .has_schemas = 0,
                                   .begin = "START TRANSACTION",
                                   .begin_offline = "START TRANSACTION",
                                   .commit = "COMMIT",
                                   .rollback = "ROLLBACK",
                                   .now_epoch = "UNIX_TIMESTAMP()",
                                   .serial_pk = "BIGINT AUTO_INCREMENT PRIMARY KEY",
                                   .ident_quote = '`'};

const sql_dialect *dialect_get(dialect kind)
{
	return kind == DIALECT_PG      ? &dialect_pg
	       : kind == DIALECT_MYSQL ? &dialect_mysql
	                               : &dialect_sqlite;
}

const sql_dialect *dialect_for_scheme(const char *scheme)
{
	if (!scheme)
		return NULL;
	if (strcmp(scheme, "sqlite") == 0)
		return &dialect_sqlite;
	if (strcmp(scheme, "postgresql") == 0)
		return &dialect_pg;
	if (strcmp(scheme, "mysql") == 0)
		return &dialect_mysql;
	return NULL;
}

static char *quote(const char *s, char q, int backslash)
{
	/* Sized first, then written in one allocation. */
	size_t n = 0;
	for (const char *p = s; *p; p++)
		n += 1 + (*p == q || (backslash && *p == '\\'));
	char *out = xmalloc(n + 3), *o = out;
	*o++ = q;
	for (const char *p = s; *p; p++) {
		if (*p == q || (backslash && *p == '\\'))
			*o++ = *p;
		*o++ = *p;
	}
	*o++ = q;
	*o = 0;
	return out;
}

char *dialect_ident(const sql_dialect *d, const char *name)
{
	return quote(name, d->ident_quote, 0);
}

/* Standard SQL doubles only the quote: backslashes are literal in SQLite
 * and in PostgreSQL with standard_conforming_strings (the default since
 * 9.1). MySQL treats a backslash as an escape unless NO_BACKSLASH_ESCAPES
 * is set, so there it is doubled too. */
char *dialect_literal(const sql_dialect *d, const char *text)
{
	/* PostgreSQL reads backslashes in '' literals as escapes when a server
	 * runs with standard_conforming_strings = off: text holding one is
	 * written as E'' with the backslash doubled, which every setting reads
	 * the same way. */
	if (d->kind == DIALECT_PG && strchr(text, '\\')) {
		char *q = quote(text, '\'', 1);
		char *e = xasprintf("E%s", q);
		free(q);
		return e;
	}
	return quote(text, '\'', d->kind == DIALECT_MYSQL);
}

char *dialect_qualify(const sql_dialect *d, const char *schema, const char *name)
{
	char *qn = dialect_ident(d, name);
	if (!schema || !*schema)
		return qn;
	char *qs = dialect_ident(d, schema);
	char *full = xasprintf("%s.%s", qs, qn);
	free(qs);
	free(qn);
	return full;
}

char *dialect_lease_take(const sql_dialect *d, const char *table, const char *name,
                         const char *token, const char *holder, int pid, int lease_s)
{
	char *n = dialect_literal(d, name), *t = dialect_literal(d, token),
	     *h = dialect_literal(d, holder);
	char *sql;
	if (d->kind == DIALECT_MYSQL)
		/* No ON CONFLICT ... WHERE: each column keeps its value unless the
		 * old lease had expired; expires_at, which the test reads, is
		 * assigned last (MySQL assigns left to right). */
		sql = xasprintf(
		    "INSERT INTO %1$s (name, token, holder, pid, acquired_at, expires_at) "
		    "VALUES (%2$s, %3$s, %4$s, %5$d, %6$s, %6$s + %7$d) "
		    "ON DUPLICATE KEY UPDATE "
		    "token = IF(expires_at < VALUES(acquired_at), VALUES(token), token), "
		    "holder = IF(expires_at < VALUES(acquired_at), VALUES(holder), holder), "
		    "pid = IF(expires_at < VALUES(acquired_at), VALUES(pid), pid), "
		    "acquired_at = IF(expires_at < VALUES(acquired_at), VALUES(acquired_at), "
		    "acquired_at), "
		    "expires_at = IF(expires_at < VALUES(acquired_at), VALUES(expires_at), "
		    "expires_at)",
		    table, n, t, h, pid, d->now_epoch, lease_s);
	else
		sql = xasprintf(
		    "INSERT INTO %1$s (name, token, holder, pid, acquired_at, expires_at) "
		    "VALUES (%2$s, %3$s, %4$s, %5$d, %6$s, %6$s + %7$d) "
		    "ON CONFLICT (name) DO UPDATE SET token = excluded.token, holder = "
		    "excluded.holder, pid = excluded.pid, acquired_at = excluded.acquired_at, "
		    "expires_at = excluded.expires_at WHERE %1$s.expires_at < excluded.acquired_at",
		    table, n, t, h, pid, d->now_epoch, lease_s);
	free(n);
	free(t);
	free(h);
	return sql;
}
