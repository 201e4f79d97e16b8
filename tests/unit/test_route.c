/*
 * test_route.c: sql/route.c, the split of a SQLite schema file into groups
 * loaded into separate databases: what must stay together (a table with
 * its indexes and triggers, a view with what it reads, DML with its
 * tables, DROP with what it drops), what does not bind (a foreign key),
 * what runs everywhere (PRAGMA), what keeps the file whole (RENAME,
 * transaction control, unknown statements, enforced foreign keys with
 * rows), and the packing of groups by size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sql/sql.h"

typedef struct routed {
	stmt_list sl;
	int *part;
	size_t n;
} routed;

static void route(routed *r, const char *text, size_t per_db)
{
	retort_error err = {0};
	memset(r, 0, sizeof(*r));
	assert_int_equal(sql_split(DIALECT_SQLITE, text, 1, "schema.sql", &r->sl, &err), 0);
	r->part = calloc(r->sl.n + 1, sizeof(int));
	r->n = sql_route_sqlite(&r->sl, per_db, r->part);
}

static void routed_free(routed *r)
{
	stmt_list_free(&r->sl);
	free(r->part);
}

static void test_tables_split_indexes_follow(void **state)
{
	(void)state;
	routed r;
	route(&r,
	      "CREATE TABLE a (id INTEGER PRIMARY KEY);\n"
	      "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a);\n"
	      "CREATE INDEX b_a ON b (a_id);\n"
	      "CREATE TABLE \"C c\" (id INTEGER);\n"
	      "CREATE UNIQUE INDEX IF NOT EXISTS main.cc_id ON \"c C\" (id);\n",
	      1);
	/* one object a database: a, then b with its index, then "C c" with its */
	assert_int_equal(r.n, 3);
	assert_int_equal(r.part[0], 0);
	assert_int_equal(r.part[1], 1); /* the foreign key does not bind b to a */
	assert_int_equal(r.part[2], 1);
	assert_int_equal(r.part[3], 2);
	assert_int_equal(r.part[4], 2); /* quoted names compare without case */
	routed_free(&r);
}

static void test_views_triggers_dml_bind(void **state)
{
	(void)state;
	routed r;
	route(&r,
	      "PRAGMA foreign_keys = OFF;\n"
	      "CREATE TABLE a (id INTEGER);\n"
	      "CREATE TABLE b (id INTEGER);\n"
	      "CREATE TABLE c (id INTEGER);\n"
	      "CREATE TABLE d (id INTEGER);\n"
	      "CREATE VIEW v AS SELECT * FROM a JOIN c USING (id);\n"
	      "CREATE TRIGGER t AFTER INSERT ON b BEGIN INSERT INTO d VALUES (new.id); END;\n"
	      "INSERT INTO a SELECT id FROM v;\n"
	      "ALTER TABLE c ADD COLUMN x TEXT;\n"
	      "DROP INDEX IF EXISTS nothing_yet;\n",
	      1);
	assert_int_equal(r.part[0], -1); /* PRAGMA: every database */
	/* a, c and v together; b, d and t together */
	assert_int_equal(r.part[1], r.part[3]);
	assert_int_equal(r.part[5], r.part[1]);
	assert_int_equal(r.part[2], r.part[4]);
	assert_int_equal(r.part[6], r.part[2]);
	assert_true(r.part[1] != r.part[2]);
	assert_int_equal(r.part[7], r.part[1]);
	assert_int_equal(r.part[8], r.part[1]);
	assert_true(r.part[9] >= 0);
	routed_free(&r);
}

static void whole(const char *text)
{
	routed r;
	route(&r, text, 1);
	assert_int_equal(r.n, 1);
	for (size_t i = 0; i < r.sl.n; i++)
		assert_int_equal(r.part[i], 0);
	routed_free(&r);
}

static void test_what_keeps_the_file_whole(void **state)
{
	(void)state;
	const char *head = "CREATE TABLE a (id INTEGER);\nCREATE TABLE b (id INTEGER);\n";
	const char *tails[] = {
	    "ALTER TABLE a RENAME TO z;",
	    "ALTER TABLE a RENAME COLUMN id TO key;",
	    "ALTER TABLE a RENAME id TO key;",
	    "BEGIN;",
	    "CREATE VIRTUAL TABLE f USING fts5(x);",
	    "SELECT 1;",
	    "INSERT INTO nowhere VALUES (1);",
	    "PRAGMA foreign_keys = ON; INSERT INTO a VALUES (1);",
	    "CREATE UNIQUE TABLE x (id);",
	};
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		char *text = xasprintf("%s%s\n", head, tails[i]);
		whole(text);
		free(text);
	}
	/* foreign keys on without rows split */
	routed r;
	route(&r, "PRAGMA foreign_keys = ON;\nCREATE TABLE a (id);\nCREATE TABLE b (id);\n", 1);
	assert_int_equal(r.n, 2);
	routed_free(&r);
}

static void test_packing(void **state)
{
	(void)state;
	sbuf b = SBUF_INIT;
	for (int i = 0; i < 100; i++)
		sb_addf(&b, "CREATE TABLE t%d (id INTEGER);\nCREATE INDEX t%d_i ON t%d (id);\n", i, i, i);
	routed r;
	route(&r, sb_str(&b), 50);
	/* 200 objects, 50 a database, a table never apart from its index */
	assert_int_equal(r.n, 4);
	for (size_t i = 0; i < r.sl.n; i += 2)
		assert_int_equal(r.part[i], r.part[i + 1]);
	assert_int_equal(r.part[0], 0);
	assert_int_equal(r.part[199], 3);
	routed_free(&r);
	/* a small file stays whole */
	route(&r, sb_str(&b), 1000);
	assert_int_equal(r.n, 1);
	routed_free(&r);
	sb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tables_split_indexes_follow),
	    cmocka_unit_test(test_views_triggers_dml_bind),
	    cmocka_unit_test(test_what_keeps_the_file_whole),
	    cmocka_unit_test(test_packing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
