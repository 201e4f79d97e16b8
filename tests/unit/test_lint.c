/*
 * test_lint.c: unit tests for sql/lint.c: which rule fires on which
 * statement, per dialect (PostgreSQL's parse tree, SQLite's and MySQL's
 * tokenizer) and per part (expand, migrate, contract, downgrade); the
 * exemptions for what the revision itself created; `-- lint: allow`
 * overrides (inside, above, after; unused and unknown ones); CONCURRENTLY
 * and transaction control in transactional revisions.
 *
 * Findings are compared as one line each, "LINE:E|W:rule" with a "!"
 * suffix when an override allows it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pg_query.h>

#include "sql/sql.h"

static char *summary(const lint_findings *f)
{
	sbuf b = SBUF_INIT;
	for (size_t i = 0; i < f->n; i++)
		sb_addf(&b, "%d:%c:%s%s\n", f->v[i].line,
		        f->v[i].severity == LINT_ERROR ? 'E' : 'W', f->v[i].rule,
		        f->v[i].allowed ? "!" : "");
	return sb_detach(&b);
}

/* Lints text (a section starting on line 1) as one section of a fresh
 * revision into f. */
static void lint_into(lint_state *st, dialect d, lint_part part, int tx, const char *text,
                      lint_findings *f)
{
	stmt_list l = {0};
	retort_error err = {0};
	if (sql_split(d, text, 1, "f.sql", &l, &err) != RETORT_OK)
		fail_msg("split: %d: %s", err.line, err.message);
	lint_section s = {.file = "f.sql",
	                  .text = text,
	                  .first_line = 1,
	                  .stmts = &l,
	                  .part = part,
	                  .transactional = tx,
	                  .d = d};
	lint_run(st, &s, f);
	stmt_list_free(&l);
}

static void expect(dialect d, lint_part part, int tx, const char *text, const char *want)
{
	lint_state st = {0};
	lint_findings f = {0};
	lint_into(&st, d, part, tx, text, &f);
	char *got = summary(&f);
	if (strcmp(got, want) != 0) {
		for (size_t i = 0; i < f.n; i++)
			print_message("  %s:%d: %s: %s\n", f.v[i].file, f.v[i].line, f.v[i].rule,
			              f.v[i].message);
		print_message("for:\n%s\n", text);
		print_message("got:\n%s", got);
		fail_msg("want:\n%s", want);
	}
	free(got);
	lint_findings_free(&f);
	lint_state_free(&st);
}

#define PG DIALECT_PG
#define SQLITE DIALECT_SQLITE
#define MYSQL DIALECT_MYSQL

static const char destructive_pg[] =
    "ALTER TABLE users DROP COLUMN name;\n"                /* 1 */
    "DROP TABLE old_stuff;\n"                              /* 2 */
    "ALTER TABLE users DROP CONSTRAINT users_email_key;\n" /* 3 */
    "DROP INDEX users_email;\n"                            /* 4 drop-index + not-concurrent */
    "DROP VIEW v;\n"                                       /* 5 */
    "DROP SEQUENCE s;\n"                                   /* 6 */
    "DROP FUNCTION f(int);\n"                              /* 7 */
    "ALTER TABLE users RENAME TO people;\n"                /* 8 */
    "ALTER TABLE users RENAME COLUMN email TO mail;\n"     /* 9 */
    "ALTER TABLE users ALTER COLUMN age TYPE bigint;\n"    /* 10 + rewrite */
    "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n" /* 11 */
    "ALTER TABLE users ADD COLUMN nick text NOT NULL;\n"   /* 12 */
    "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';\n"      /* 13 */
    "TRUNCATE users CASCADE;\n"                            /* 14 */
    "DROP DATABASE other;\n"                               /* 15 */
    "ALTER VIEW v2 RENAME TO v3;\n";                       /* 16 */

static void test_pg_destructive_in_expand(void **state)
{
	(void)state;
	expect(PG, LINT_EXPAND, 1, destructive_pg,
	       "1:E:drop-column\n"
	       "2:E:drop-table\n"
	       "3:E:drop-constraint\n"
	       "4:E:drop-index\n"
	       "4:W:drop-index-not-concurrent\n"
	       "5:E:drop-object\n"
	       "6:E:drop-object\n"
	       "7:E:drop-object\n"
	       "8:E:rename-table\n"
	       "9:E:rename-column\n"
	       "10:E:change-column-type\n"
	       "10:W:type-change-rewrite\n"
	       "11:E:set-not-null\n"
	       "12:E:add-not-null-without-default\n"
	       "13:E:rename-enum-value\n"
	       "14:E:truncate\n"
	       "15:E:drop-object\n"
	       "16:E:rename-table\n");
}

static void test_pg_contract_migrate_downgrade(void **state)
{
	(void)state;
	/* Contract parts may be destructive: only the locking hazards remain
	 * (SET NOT NULL's scan among them), and so in migrate and downgrade. */
	const char *want = "4:W:drop-index-not-concurrent\n"
	                   "10:W:type-change-rewrite\n"
	                   "11:W:set-not-null\n";
	expect(PG, LINT_CONTRACT, 1, destructive_pg, want);
	expect(PG, LINT_MIGRATE, 1, destructive_pg, want);
	expect(PG, LINT_DOWNGRADE, 1, destructive_pg, want);
}

static void test_pg_not_null_and_defaults(void **state)
{
	(void)state;
	expect(
	    PG, LINT_EXPAND, 1,
	    "ALTER TABLE t ADD COLUMN a int NOT NULL DEFAULT 0;\n"             /* fine */
	    "ALTER TABLE t ADD COLUMN b timestamptz NOT NULL DEFAULT now();\n" /* fine (stable) */
	    "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT CURRENT_TIMESTAMP;\n"  /* fine */
	    "ALTER TABLE t ADD COLUMN d jsonb DEFAULT '{}'::jsonb;\n"              /* fine */
	    "ALTER TABLE t ADD COLUMN e uuid DEFAULT gen_random_uuid();\n"         /* 5 */
	    "ALTER TABLE t ADD COLUMN f timestamptz DEFAULT clock_timestamp();\n"  /* 6 */
	    "ALTER TABLE t ADD COLUMN g int DEFAULT my_func();\n"                  /* 7 unknown */
	    "ALTER TABLE t ADD COLUMN h bigserial;\n"                              /* 8 */
	    "ALTER TABLE t ADD COLUMN i bigint GENERATED ALWAYS AS IDENTITY;\n"    /* 9 */
	    "ALTER TABLE t ADD COLUMN j int GENERATED ALWAYS AS (a * 2) STORED;\n" /* 10 */
	    "ALTER TABLE t ADD COLUMN k int DEFAULT nextval('s') NOT NULL;\n"      /* 11 */
	    "ALTER TABLE t ADD COLUMN l text DEFAULT lower('X');\n"                /* fine */
	    "ALTER TABLE t ADD COLUMN m int PRIMARY KEY;\n"                        /* 13 */
	    "ALTER TABLE t ADD COLUMN n serial PRIMARY KEY;\n",                    /* 14 */
	    "5:W:volatile-default\n"
	    "6:W:volatile-default\n"
	    "7:W:volatile-default\n"
	    "8:W:volatile-default\n"
	    "9:W:volatile-default\n"
	    "10:W:volatile-default\n"
	    "11:W:volatile-default\n"
	    "13:E:add-not-null-without-default\n"
	    "13:W:unique-on-existing\n"
	    "14:W:volatile-default\n"
	    "14:W:unique-on-existing\n");
}

static void test_pg_locking_hazards(void **state)
{
	(void)state;
	expect(PG, LINT_MIGRATE, 0,
	       "CREATE INDEX i1 ON t (a);\n"                                          /* 1 */
	       "CREATE UNIQUE INDEX CONCURRENTLY i2 ON t (a);\n"                      /* fine */
	       "DROP INDEX CONCURRENTLY IF EXISTS i3;\n"                              /* fine */
	       "ALTER TABLE t ADD CONSTRAINT f1 FOREIGN KEY (u) REFERENCES u (id);\n" /* 4 */
	       "ALTER TABLE t ADD CONSTRAINT f2 FOREIGN KEY (u) REFERENCES u (id) NOT VALID;\n"
	       "ALTER TABLE t VALIDATE CONSTRAINT f2;\n"                     /* fine */
	       "ALTER TABLE t ADD CONSTRAINT c1 CHECK (a > 0);\n"            /* 7 */
	       "ALTER TABLE t ADD CONSTRAINT c2 CHECK (a > 0) NOT VALID;\n"  /* fine */
	       "ALTER TABLE t ADD CONSTRAINT u1 UNIQUE (a);\n"               /* 9 */
	       "ALTER TABLE t ADD CONSTRAINT u2 UNIQUE USING INDEX i2;\n"    /* fine */
	       "ALTER TABLE t ADD PRIMARY KEY (id);\n"                       /* 11 */
	       "ALTER TABLE t ALTER COLUMN v TYPE varchar(200);\n"           /* 12 maybe */
	       "ALTER TABLE t ALTER COLUMN v TYPE text;\n"                   /* 13 maybe */
	       "ALTER TABLE t ALTER COLUMN v TYPE text USING trim(v);\n"     /* 14 */
	       "ALTER TABLE t ALTER COLUMN n TYPE numeric(12, 2);\n"         /* 15 maybe */
	       "REINDEX INDEX old_idx;\n"                                    /* 16 */
	       "REINDEX (VERBOSE) TABLE CONCURRENTLY t;\n"                   /* fine */
	       "ALTER TABLE p DETACH PARTITION p1;\n"                        /* 18 */
	       "ALTER TABLE p DETACH PARTITION p2 CONCURRENTLY;\n"           /* fine */
	       "ALTER TABLE t ADD COLUMN r int REFERENCES u (id);\n"         /* 20 */
	       "ALTER DOMAIN posint ADD CONSTRAINT pos CHECK (VALUE > 0);\n" /* 21 */
	       "ALTER DOMAIN posint ADD CONSTRAINT pos2 CHECK (VALUE > 0) NOT VALID;\n"
	       "UPDATE t SET a = 1;\n", /* migrate: fine */
	       "1:W:index-not-concurrent\n"
	       "4:W:fk-not-valid\n"
	       "7:W:check-not-valid\n"
	       "9:W:unique-on-existing\n"
	       "11:W:unique-on-existing\n"
	       "12:W:type-change-rewrite\n"
	       "13:W:type-change-rewrite\n"
	       "14:W:type-change-rewrite\n"
	       "15:W:type-change-rewrite\n"
	       "16:W:index-not-concurrent\n"
	       "18:W:detach-partition-not-concurrent\n"
	       "20:W:fk-not-valid\n"
	       "21:W:check-not-valid\n");
}

static void test_pg_backfill(void **state)
{
	(void)state;
	expect(
	    PG, LINT_EXPAND, 1,
	    "UPDATE t SET b = a;\n"            /* 1 */
	    "DELETE FROM t WHERE a IS NULL;\n" /* 2 */
	    "UPDATE t SET b = a WHERE id IN (SELECT id FROM t WHERE b IS NULL LIMIT :batch_size);\n"
	    "WITH q AS (SELECT 1) UPDATE s.t SET b = 2;\n" /* 4 */
	    "UPDATE t SET b = ':batch_size';\n"            /* 5 */
	    "INSERT INTO t (a) VALUES (1);\n",             /* fine */
	    "1:W:backfill-in-expand\n"
	    "2:W:backfill-in-expand\n"
	    "4:W:backfill-in-expand\n"
	    "5:W:backfill-in-expand\n");
	/* in a migrate part, data movement is the point */
	expect(PG, LINT_MIGRATE, 1, "UPDATE t SET b = a;\n", "");
	/* a placeholder in a migrate part still parses (no 'unparsed') */
	expect(PG, LINT_MIGRATE, 1,
	       "DELETE FROM t WHERE id IN (SELECT id FROM t LIMIT :batch_size);\n", "");
}

static void test_pg_own_tables_are_new(void **state)
{
	(void)state;
	/* everything done to a table the revision created is fine */
	expect(PG, LINT_EXPAND, 1,
	       "CREATE TABLE fresh (id bigint, a text, b text);\n"
	       "CREATE INDEX fresh_a ON fresh (a);\n"
	       "ALTER TABLE fresh ADD COLUMN c uuid NOT NULL DEFAULT gen_random_uuid();\n"
	       "ALTER TABLE fresh ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES other (id);\n"
	       "ALTER TABLE fresh ADD CONSTRAINT u UNIQUE (a);\n"
	       "ALTER TABLE fresh ALTER COLUMN b TYPE int USING b::int;\n"
	       "ALTER TABLE fresh ALTER COLUMN a SET NOT NULL;\n"
	       "ALTER TABLE fresh DROP COLUMN b;\n"
	       "UPDATE fresh SET a = 'x';\n"
	       "DROP INDEX fresh_a;\n"
	       "CREATE TABLE scratch AS SELECT 1 AS x;\n"
	       "DROP TABLE scratch;\n"
	       "CREATE VIEW vv AS SELECT 1;\n"
	       "DROP VIEW vv;\n"
	       "CREATE TYPE mood AS ENUM ('a', 'b');\n"
	       "ALTER TYPE mood RENAME VALUE 'a' TO 'c';\n"
	       "ALTER TABLE fresh RENAME TO final;\n"
	       "ALTER TABLE final RENAME COLUMN a TO aa;\n"
	       "CREATE INDEX final_aa ON final (aa);\n",
	       "");

	/* and across the sections of one revision: expand creates, migrate and
	 * contract use; a new lint_state (another revision) does not know it */
	lint_state st = {0};
	lint_findings f = {0};
	lint_into(&st, PG, LINT_EXPAND, 1, "CREATE TABLE n (a int);\n", &f);
	lint_into(&st, PG, LINT_MIGRATE, 1, "CREATE INDEX n_a ON n (a);\n", &f);
	lint_into(&st, PG, LINT_CONTRACT, 1, "ALTER TABLE n ADD CONSTRAINT u UNIQUE (a);\n", &f);
	assert_int_equal(f.n, 0);
	lint_state_free(&st);
	memset(&st, 0, sizeof(st));
	lint_into(&st, PG, LINT_EXPAND, 1, "CREATE INDEX n_a ON n (a);\n", &f);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "index-not-concurrent");
	lint_findings_free(&f);
	lint_state_free(&st);
}

static void test_pg_downgrade(void **state)
{
	(void)state;
	/* the downgrade of a revision that created a table and its index: what
	 * it created holds data by then, but an index dropped with its table
	 * is no extra hazard */
	lint_state st = {0};
	lint_findings f = {0};
	lint_into(
	    &st, PG, LINT_EXPAND, 1,
	    "CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);\nCREATE INDEX u_b ON u (b);\n",
	    &f);
	assert_int_equal(f.n, 1); /* u_b on an existing table */
	lint_findings_free(&f);
	lint_state_downgrade(&st);
	lint_into(&st, PG, LINT_DOWNGRADE, 1,
	          "DROP INDEX t_a;\nDROP INDEX u_b;\nDROP TABLE t;\nCREATE INDEX t2_a ON t2 (a);\n",
	          &f);
	char *got = summary(&f);
	assert_string_equal(got, "2:W:drop-index-not-concurrent\n4:W:index-not-concurrent\n");
	free(got);
	lint_findings_free(&f);
	lint_state_free(&st);
}

static void test_pg_enum_rebuild(void **state)
{
	(void)state;
	/* what schema/render.c writes when values are removed */
	expect(
	    PG, LINT_EXPAND, 1,
	    "ALTER TYPE \"mood\" RENAME TO \"mood__retort_old\";\n"
	    "CREATE TYPE \"mood\" AS ENUM ('happy', 'ok');\n"
	    "ALTER TABLE \"person\" ALTER COLUMN \"m\" TYPE \"mood\" USING \"m\"::text::\"mood\";\n"
	    "DROP TYPE \"mood__retort_old\";\n"
	    "ALTER TYPE mood ADD VALUE 'meh';\n",
	    "2:E:enum-value-removed\n"
	    "3:E:change-column-type\n"
	    "3:W:type-change-rewrite\n"
	    "4:E:drop-object\n");
	expect(PG, LINT_CONTRACT, 1,
	       "DROP TYPE mood;\n"
	       "CREATE TYPE mood AS ENUM ('happy');\n",
	       "");
}

static void test_concurrently_in_transaction(void **state)
{
	(void)state;
	const char *text = "CREATE INDEX CONCURRENTLY i ON t (a);\n"
	                   "DROP INDEX CONCURRENTLY j;\n"
	                   "REINDEX INDEX CONCURRENTLY k;\n"
	                   "ALTER TABLE p DETACH PARTITION q CONCURRENTLY;\n";
	const char *want = "1:E:concurrently-in-transaction\n"
	                   "2:E:concurrently-in-transaction\n"
	                   "2:E:drop-index\n"
	                   "3:E:concurrently-in-transaction\n"
	                   "4:E:concurrently-in-transaction\n";
	expect(PG, LINT_EXPAND, 1, text, want);
	/* an error in every part, contract too */
	expect(PG, LINT_CONTRACT, 1, text,
	       "1:E:concurrently-in-transaction\n"
	       "2:E:concurrently-in-transaction\n"
	       "3:E:concurrently-in-transaction\n"
	       "4:E:concurrently-in-transaction\n");
	/* transactional: false is the way */
	expect(PG, LINT_CONTRACT, 0, text, "");
	/* inside a BEGIN ... COMMIT of a transactional: false part */
	expect(PG, LINT_EXPAND, 0,
	       "BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;\n"
	       "CREATE INDEX CONCURRENTLY j ON t (b);\n",
	       "2:E:concurrently-in-transaction\n");
	/* even on a table of the revision's own */
	expect(PG, LINT_EXPAND, 1,
	       "CREATE TABLE n (a int);\n"
	       "CREATE INDEX CONCURRENTLY n_a ON n (a);\n",
	       "2:E:concurrently-in-transaction\n");
}

static void test_transaction_control(void **state)
{
	(void)state;
	expect(PG, LINT_EXPAND, 1, "BEGIN;\nCREATE TABLE a (x int);\nCOMMIT;\n",
	       "1:E:transaction-control\n3:E:transaction-control\n");
	expect(PG, LINT_EXPAND, 1, "SAVEPOINT s;\nROLLBACK TO SAVEPOINT s;\n", "");
	/* transactional: false: yours, but close what you open */
	expect(PG, LINT_EXPAND, 0, "BEGIN;\nCREATE TABLE a (x int);\nCOMMIT;\n", "");
	expect(PG, LINT_EXPAND, 0, "CREATE TABLE b (x int);\nBEGIN;\nCREATE TABLE a (x int);\n",
	       "2:E:transaction-control\n");
	expect(SQLITE, LINT_EXPAND, 1, "BEGIN IMMEDIATE;\nCREATE TABLE a (x);\nEND;\n",
	       "1:E:transaction-control\n3:E:transaction-control\n");
	expect(SQLITE, LINT_EXPAND, 0, "BEGIN;\nCREATE TABLE a (x);\n",
	       "1:E:transaction-control\n");
}

static void test_pg_unparsed(void **state)
{
	(void)state;
	expect(PG, LINT_EXPAND, 1, "CREATE TABEL t (a int);\nDROP TABLE x;\n",
	       "1:W:unparsed\n2:E:drop-table\n");
	lint_state st = {0};
	lint_findings f = {0};
	lint_into(&st, PG, LINT_EXPAND, 1, "SELEC 1;\n", &f);
	assert_int_equal(f.n, 1);
	assert_non_null(strstr(f.v[0].message, "syntax error"));
	lint_findings_free(&f);
	lint_state_free(&st);
}

static void test_pg_no_text_rules(void **state)
{
	(void)state;
	/* the parse tree, not the text: names and strings that look like DDL */
	expect(PG, LINT_EXPAND, 1,
	       "INSERT INTO log (msg) VALUES ('DROP TABLE users; ALTER TABLE x DROP COLUMN y');\n"
	       "/* DROP TABLE a; */ CREATE TABLE \"drop table\" (x int);\n"
	       "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ DELETE FROM t $$;\n"
	       "SELECT 'TRUNCATE t';\n",
	       "");
}

static void test_sqlite_destructive(void **state)
{
	(void)state;
	expect(SQLITE, LINT_EXPAND, 1,
	       "ALTER TABLE users DROP COLUMN name;\n"               /* 1 */
	       "ALTER TABLE \"users\" DROP email;\n"                 /* 2 */
	       "DROP TABLE IF EXISTS main.[old stuff];\n"            /* 3 */
	       "DROP INDEX users_email;\n"                           /* 4 */
	       "DROP VIEW v;\n"                                      /* 5 */
	       "DROP TRIGGER tr;\n"                                  /* fine */
	       "ALTER TABLE users RENAME TO people;\n"               /* 7 */
	       "ALTER TABLE people RENAME COLUMN a TO b;\n"          /* 8 */
	       "ALTER TABLE people RENAME c TO d;\n"                 /* 9 */
	       "ALTER TABLE people ADD COLUMN x INTEGER NOT NULL;\n" /* 10 */
	       "ALTER TABLE people ADD COLUMN y INTEGER NOT NULL DEFAULT 0;\n"
	       "ALTER TABLE people ADD COLUMN z TEXT CHECK (z IS NOT NULL);\n"
	       "ALTER TABLE people ADD w INT NOT NULL GENERATED ALWAYS AS (1) VIRTUAL;\n"
	       "CREATE INDEX i ON people (x);\n" /* no PG hazards */
	       "UPDATE people SET x = 1;\n"      /* 15 */
	       "UPDATE OR IGNORE people SET x = 1 WHERE rowid IN (SELECT rowid FROM people LIMIT "
	       ":batch_size);\n"
	       "INSERT INTO log VALUES ('DROP TABLE users');\n" /* fine */
	       "-- DROP TABLE users;\n"
	       "CREATE TABLE a (x TEXT DEFAULT 'ALTER TABLE b DROP COLUMN c');\n",
	       "1:E:drop-column\n"
	       "2:E:drop-column\n"
	       "3:E:drop-table\n"
	       "4:E:drop-index\n"
	       "5:E:drop-object\n"
	       "7:E:rename-table\n"
	       "8:E:rename-column\n"
	       "9:E:rename-column\n"
	       "10:E:add-not-null-without-default\n"
	       "15:W:backfill-in-expand\n");
	/* contract: all of it is allowed */
	expect(SQLITE, LINT_CONTRACT, 1,
	       "ALTER TABLE users DROP COLUMN name;\nDROP TABLE t;\nUPDATE t SET a = 1;\n", "");
}

static void test_sqlite_rebuild(void **state)
{
	(void)state;
	/* SQLite's 12-step rebuild: the old table's drop is the finding */
	expect(SQLITE, LINT_EXPAND, 1,
	       "CREATE TABLE \"_retort_new_t\" (a INTEGER NOT NULL, b TEXT);\n"
	       "INSERT INTO \"_retort_new_t\" (a, b) SELECT a, b FROM \"t\";\n"
	       "DROP TABLE \"t\";\n"
	       "ALTER TABLE \"_retort_new_t\" RENAME TO \"t\";\n"
	       "CREATE INDEX t_a ON t (a);\n"
	       "ALTER TABLE t ADD COLUMN c INTEGER NOT NULL;\n",
	       "3:E:drop-table\n");
}

static void test_mysql(void **state)
{
	(void)state;
	expect(MYSQL, LINT_EXPAND, 1,
	       "ALTER TABLE users CHANGE COLUMN email mail VARCHAR(200);\n"
	       "ALTER TABLE users MODIFY email TEXT, DROP INDEX idx_email;\n"
	       "RENAME TABLE users TO people, a TO b;\n"
	       "ALTER TABLE `people` DROP PRIMARY KEY, DROP FOREIGN KEY fk1, ADD COLUMN n INT "
	       "NOT NULL AUTO_INCREMENT;\n"
	       "# DROP TABLE x;\n"
	       "TRUNCATE TABLE logs;\n",
	       "1:E:rename-column\n"
	       "2:E:change-column-type\n"
	       "2:E:drop-index\n"
	       "3:E:rename-table\n"
	       "3:E:rename-table\n"
	       "4:E:drop-constraint\n"
	       "4:E:drop-constraint\n"
	       "6:E:truncate\n");
}

static void test_overrides(void **state)
{
	(void)state;
	expect(PG, LINT_EXPAND, 1,
	       "-- lint: allow drop-table\n" /* 1 */
	       "DROP TABLE a;\n"             /* 2 allowed */
	       "-- lint: allow drop-table\n" /* 3 */
	       "\n"
	       "DROP TABLE b;\n" /* 5 not: blank line */
	       "DROP TABLE c; -- lint: allow drop-table (c is unused since 2.1)\n" /* 6 allowed */
	       "ALTER TABLE t\n"                                                   /* 7 */
	       "  -- lint: allow drop-column, drop-constraint\n"
	       "  DROP COLUMN x,\n"
	       "  DROP CONSTRAINT y;\n" /* allowed both */
	       "/* lint: allow index-not-concurrent */ CREATE INDEX i ON t (a);\n" /* 11 allowed */
	       "-- a comment about the next statement\n"
	       "-- lint: allow rename-table\n"                            /* 13 unused */
	       "DROP TABLE d;\n"                                          /* 14 */
	       "-- lint: allow drop-tabel\n"                              /* 15 unknown */
	       "DROP TABLE e;\n"                                          /* 16 */
	       "DROP TABLE f; DROP TABLE g; -- lint: allow drop-table\n", /* 17: g only */
	       "2:E:drop-table!\n"
	       "3:W:unused-override\n"
	       "5:E:drop-table\n"
	       "6:E:drop-table!\n"
	       "7:E:drop-column!\n"
	       "7:E:drop-constraint!\n"
	       "11:W:index-not-concurrent!\n"
	       "13:W:unused-override\n"
	       "14:E:drop-table\n"
	       "15:W:unused-override\n"
	       "16:E:drop-table\n"
	       "17:E:drop-table\n"
	       "17:E:drop-table!\n");
	/* at the end of a section, or in one without statements */
	expect(PG, LINT_CONTRACT, 1, "DROP TABLE a;\n\n-- lint: allow drop-table\n",
	       "3:W:unused-override\n");
	expect(SQLITE, LINT_EXPAND, 1, "-- lint: allow drop-table\n", "1:W:unused-override\n");
	/* the same in SQLite, and the comment line recorded */
	lint_state st = {0};
	lint_findings f = {0};
	lint_into(&st, SQLITE, LINT_EXPAND, 1,
	          "CREATE TABLE x (a);\n\n-- why: see ticket 12\n-- lint: allow drop-column\n"
	          "ALTER TABLE users DROP COLUMN name;\n",
	          &f);
	assert_int_equal(f.n, 1);
	assert_true(f.v[0].allowed);
	assert_int_equal(f.v[0].line, 5);
	assert_int_equal(f.v[0].allow_line, 4);
	lint_findings_free(&f);
	lint_state_free(&st);
}

static void test_overrides_without_text(void **state)
{
	(void)state;
	/* without the section text only comments inside statements count */
	stmt_list l = {0};
	retort_error err = {0};
	const char *text = "-- lint: allow drop-table\nDROP TABLE a;\n"
	                   "DROP /* lint: allow drop-table */ TABLE b;\n";
	assert_int_equal(sql_split(PG, text, 10, "f.sql", &l, &err), RETORT_OK);
	lint_section s = {
	    .file = "f.sql", .stmts = &l, .part = LINT_EXPAND, .transactional = 1, .d = PG};
	lint_state st = {0};
	lint_findings f = {0};
	lint_run(&st, &s, &f);
	char *got = summary(&f);
	assert_string_equal(got, "11:E:drop-table\n12:E:drop-table!\n");
	assert_int_equal(f.v[1].allow_line, 12);
	free(got);
	lint_findings_free(&f);
	lint_state_free(&st);
	stmt_list_free(&l);
}

static void test_messages(void **state)
{
	(void)state;
	lint_state st = {0};
	lint_findings f = {0};
	lint_into(&st, PG, LINT_EXPAND, 1, "\n\nALTER TABLE s.users DROP COLUMN email;\n", &f);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].file, "f.sql");
	assert_int_equal(f.v[0].line, 3);
	assert_int_equal(f.v[0].severity, LINT_ERROR);
	assert_non_null(strstr(f.v[0].message, "s.users"));
	assert_non_null(strstr(f.v[0].message, "email"));
	assert_non_null(f.v[0].hint);
	assert_false(f.v[0].allowed);
	lint_findings_free(&f);
	lint_state_free(&st);
}

static void test_rule_table(void **state)
{
	(void)state;
	assert_true(lint_nrules >= 20);
	for (size_t i = 0; i < lint_nrules; i++) {
		const lint_rule *r = &lint_rules[i];
		assert_non_null(r->name);
		assert_non_null(r->summary);
		assert_true(strlen(r->doc) > 100);
		assert_ptr_equal(lint_rule_find(r->name), r);
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(lint_rules[k].name, r->name);
	}
	assert_null(lint_rule_find("no-such-rule"));
	const char *required[] = {"drop-column",
	                          "rename-column",
	                          "change-column-type",
	                          "set-not-null",
	                          "add-not-null-without-default",
	                          "drop-table",
	                          "drop-index",
	                          "drop-constraint",
	                          "rename-table",
	                          "rename-enum-value",
	                          "index-not-concurrent",
	                          "drop-index-not-concurrent",
	                          "fk-not-valid",
	                          "check-not-valid",
	                          "volatile-default",
	                          "type-change-rewrite",
	                          "unique-on-existing",
	                          "concurrently-in-transaction",
	                          "backfill-in-expand"};
	for (size_t i = 0; i < sizeof(required) / sizeof(*required); i++)
		if (!lint_rule_find(required[i]))
			fail_msg("no rule %s", required[i]);
}

static int teardown(void **state)
{
	(void)state;
	pg_query_exit(); /* libpg_query's kept memory context, for valgrind */
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pg_destructive_in_expand),
	    cmocka_unit_test(test_pg_contract_migrate_downgrade),
	    cmocka_unit_test(test_pg_not_null_and_defaults),
	    cmocka_unit_test(test_pg_locking_hazards),
	    cmocka_unit_test(test_pg_backfill),
	    cmocka_unit_test(test_pg_own_tables_are_new),
	    cmocka_unit_test(test_pg_downgrade),
	    cmocka_unit_test(test_pg_enum_rebuild),
	    cmocka_unit_test(test_concurrently_in_transaction),
	    cmocka_unit_test(test_transaction_control),
	    cmocka_unit_test(test_pg_unparsed),
	    cmocka_unit_test(test_pg_no_text_rules),
	    cmocka_unit_test(test_sqlite_destructive),
	    cmocka_unit_test(test_sqlite_rebuild),
	    cmocka_unit_test(test_mysql),
	    cmocka_unit_test(test_overrides),
	    cmocka_unit_test(test_overrides_without_text),
	    cmocka_unit_test(test_messages),
	    cmocka_unit_test(test_rule_table),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
