/*
 * sql.h: SQL text. Statement splitting per dialect (split.c), and the
 * dialect object (dialect.c) that owns every piece of SQL text that
 * differs by backend: identifier and literal quoting, whether DDL is
 * transactional, how a write transaction begins and ends, the server's
 * clock, an auto-increment key, the lease upsert, what --sql prints.
 * The store, the runner, the lock and --sql all speak through it.
 */
#ifndef RETORT_SQL_H
#define RETORT_SQL_H

#include "base/base.h"

/* ---- sqlsplit.c: statement splitting ----------------------------------- */

typedef enum dialect { DIALECT_SQLITE, DIALECT_PG, DIALECT_MYSQL } dialect;

typedef struct stmt {
	char *sql; /* without the terminating semicolon, trimmed */
	int line;  /* 1-based line in the file where the statement starts */
} stmt;

typedef struct stmt_list {
	stmt *v;
	size_t n, cap;
} stmt_list;

/* Splits a section body whose first line is first_line of file `file`.
 * Comment-only and empty pieces produce no statement. Unterminated quotes
 * or comments are an error naming file:line. */
int sql_split(dialect d, const char *text, int first_line, const char *file, stmt_list *out,
              retort_error *err);
void stmt_list_free(stmt_list *l);

/* ---- dialect.c ----------------------------------------------------------- */

typedef struct sql_dialect {
	dialect kind;
	const char *impl_name; /* Alembic's: "SQLiteImpl", "PostgresqlImpl", "MySQLImpl" */
	int transactional_ddl;
	int has_schemas;       /* version_table_schema applies (PostgreSQL) */
	const char *begin;     /* starts a write transaction (SQLite: BEGIN IMMEDIATE) */
	const char *begin_offline; /* what --sql prints to start one */
	const char *commit, *rollback;
	const char *now_epoch; /* the server's clock, whole seconds since 1970 */
	const char *serial_pk; /* column type of an auto-increment primary key */
	char ident_quote;      /* '"' or '`' */
} sql_dialect;

extern const sql_dialect dialect_sqlite, dialect_pg, dialect_mysql;
const sql_dialect *dialect_get(dialect kind);
/* The dialect of a URL scheme ("sqlite", "postgresql", "mysql"); NULL if none. */
const sql_dialect *dialect_for_scheme(const char *scheme);
char *dialect_ident(const sql_dialect *d, const char *name);  /* quoted; caller frees */
char *dialect_literal(const sql_dialect *d, const char *text); /* quoted; caller frees */
/* schema.name quoted (schema NULL or "": name alone); caller frees. */
char *dialect_qualify(const sql_dialect *d, const char *schema, const char *name);
/* One attempt at a lease row: insert it, or take over one whose
 * expires_at has passed; affects exactly one row when taken. */
char *dialect_lease_take(const sql_dialect *d, const char *table, const char *name,
                         const char *token, const char *holder, int pid, int lease_s);

#endif
