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
/* The scanner's pieces tokens.c shares (split.c): the index after the
 * item quoted by q that opens at s[i] (a doubled q stays inside, and a
 * byte after a backslash when backslash), or 0 when it is unterminated;
 * the index after the block comment opening at s[i] (nested on
 * PostgreSQL), or 0. */
size_t sql_quoted_end(const char *s, size_t i, size_t end, char q, int backslash);
size_t sql_block_comment_end(dialect d, const char *s, size_t i, size_t end);

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

/* ---- tokens.c: statement text as tokens ---------------------------------
 * For what reads statements without parsing them (lint's SQLite and MySQL
 * rules, the routing of a target schema's statements). a..b is the
 * token's byte range in s. */

enum sqltok_kind {
	SQLTOK_SPACE,
	SQLTOK_COMMENT,
	SQLTOK_SEMI,
	SQLTOK_WORD,   /* a keyword, a bare name, a number */
	SQLTOK_QIDENT, /* a quoted name */
	SQLTOK_STRING,
	SQLTOK_PUNCT
};

typedef struct sqltok {
	int kind;
	size_t a, b;
	int depth; /* parentheses around it */
} sqltok;

typedef struct sqltoks {
	dialect d;
	const char *s;
	sqltok *v; /* significant tokens: no blanks, comments or ';' */
	size_t n, cap;
} sqltoks;

/* One token at s[i] (i < end): its kind (enum sqltok_kind), and the
 * index after it. */
size_t sqltok_lex(dialect d, const char *s, size_t i, size_t end, int *kind);
void sqltok_split(dialect d, const char *s, sqltoks *out); /* s must outlive out */
void sqltoks_free(sqltoks *t);
int sqltok_kw(const sqltoks *t, size_t i, const char *kw);  /* keyword kw at i */
int sqltok_punct(const sqltoks *t, size_t i, char c);
int sqltok_is_name(const sqltoks *t, size_t i);             /* a bare or quoted name */
/* The name at i: quotes removed, lower-cased (SQLite and MySQL compare
 * table names without regard to case); caller frees. */
char *sqltok_name(const sqltoks *t, size_t i);
/* [schema.]name at i: the index after it; *name its last part (caller
 * frees), NULL when there is no name at i. */
size_t sqltok_qname(const sqltoks *t, size_t i, char **name);
size_t sqltok_skip_if_exists(const sqltoks *t, size_t i); /* past IF [NOT] EXISTS */
int sqltok_ident_start(int c);
int sqltok_ident_char(int c);

/* ---- route.c: a SQLite schema file in independent groups -----------------
 * Assigns each statement of sl to one of several databases so that each
 * database, loaded with its statements in order, describes its objects as
 * the whole file loaded into one would (see route.c for the rules);
 * about per_db objects a database. part[i] (sl->n entries) is the
 * database of statement i, or -1 for every database (a PRAGMA). Returns
 * the number of databases; 1, with every part[i] 0, when the file cannot
 * be split safely or is small. Pure. */
size_t sql_route_sqlite(const stmt_list *sl, size_t per_db, int *part);

/* ---- lint.c: operations unsafe for a live database ----------------------
 * Named rules over the statements of one section. Destructive rules
 * (errors) apply to expand parts (a plain +upgrade counts as one): the
 * release still running must keep working. Locking hazards (warnings)
 * apply to every part on PostgreSQL, whose parse tree (libpg_query) they
 * read; SQLite and MySQL are read with a tokenizer, for the destructive
 * rules only. `-- lint: allow RULE[, RULE...]` in a comment inside the
 * statement, directly above it (no blank line between) or after it on its
 * last line marks its findings of RULE as allowed. Pure: no I/O. */

typedef enum lint_part { LINT_EXPAND, LINT_MIGRATE, LINT_CONTRACT, LINT_DOWNGRADE } lint_part;
typedef enum lint_severity { LINT_WARNING, LINT_ERROR } lint_severity;

typedef struct lint_rule {
	const char *name;      /* "drop-column" */
	lint_severity severity; /* its usual one (set-not-null is a warning outside expand) */
	const char *summary;   /* one line */
	const char *doc;       /* one paragraph, for `lint --explain` */
} lint_rule;
extern const lint_rule lint_rules[];
extern const size_t lint_nrules;
const lint_rule *lint_rule_find(const char *name); /* NULL if none */

typedef struct lint_finding {
	const char *rule; /* a lint_rules name */
	lint_severity severity;
	char *file;
	int line;      /* the statement's first line (an unused override: the comment's) */
	char *message; /* what the statement does and why it is unsafe */
	char *hint;    /* what to do instead; may be NULL */
	int allowed;   /* a `-- lint: allow RULE` comment covers it */
	int allow_line; /* that comment's line */
} lint_finding;

typedef struct lint_findings {
	lint_finding *v;
	size_t n, cap;
} lint_findings;
void lint_findings_free(lint_findings *f);

/* What one revision created so far (tables, indexes, other objects), so
 * that the rules about existing tables skip its own new ones. One per
 * revision, over its sections in order; zero-initialise. */
typedef struct lint_state {
	strvec tables, indexes, objects;
	strvec gone_types; /* types renamed away or dropped (an enum rebuilt) */
	strvec index_on;   /* pairs: an index the revision created, its table */
} lint_state;
void lint_state_free(lint_state *st);
/* Before the revision's downgrade: what it created exists by then, with
 * data, so it is forgotten; which index is on which table is kept (a
 * DROP INDEX before a DROP TABLE of its table is no hazard). */
void lint_state_downgrade(lint_state *st);

typedef struct lint_section {
	const char *file;
	const char *text;      /* the section body that stmts were split from, for
	                        * the comments around statements; NULL: only the
	                        * comments inside them count */
	int first_line;        /* of text */
	const stmt_list *stmts;
	lint_part part;
	int transactional;
	dialect d;
} lint_section;

/* Appends the findings of s's statements to out, in statement order. */
void lint_run(lint_state *st, const lint_section *s, lint_findings *out);

#endif
