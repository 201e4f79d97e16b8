/*
 * test_sqlsplit.c: unit tests for sqlsplit.c: where statements end on each
 * dialect (quotes, comments, dollar quoting, trigger bodies), what text and
 * line each statement gets, and the errors for unterminated constructs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sql/sql.h"

static stmt_list split_ok(dialect d, const char *text, int first_line)
{
	stmt_list l = {0};
	retort_error err = {0};
	int rc = sql_split(d, text, first_line, "f.sql", &l, &err);
	if (rc != RETORT_OK)
		fail_msg("unexpected error: %d: %s", err.line, err.message);
	return l;
}

/* Asserts the statements of l, given as (sql, line) pairs, and frees l. */
static void expect(stmt_list *l, size_t n, ...)
{
	va_list ap;
	va_start(ap, n);
	if (l->n != n) {
		for (size_t i = 0; i < l->n; i++)
			print_message("  [%zu] line %d: <%s>\n", i, l->v[i].line, l->v[i].sql);
		fail_msg("%zu statements, expected %zu", l->n, n);
	}
	for (size_t i = 0; i < n; i++) {
		const char *sql = va_arg(ap, const char *);
		int line = va_arg(ap, int);
		assert_string_equal(l->v[i].sql, sql);
		if (l->v[i].line != line)
			fail_msg("statement %zu <%s>: line %d, expected %d", i, sql, l->v[i].line,
			         line);
	}
	va_end(ap);
	stmt_list_free(l);
}

static void split_bad(dialect d, const char *text, int first_line, int line, const char *msg)
{
	stmt_list l = {0};
	retort_error err = {0};
	int rc = sql_split(d, text, first_line, "f.sql", &l, &err);
	assert_int_equal(rc, RETORT_EUSAGE);
	assert_int_equal(err.code, RETORT_EUSAGE);
	assert_string_equal(err.file, "f.sql");
	assert_int_equal(l.n, 0);
	if (!strstr(err.message, msg))
		fail_msg("message '%s' lacks '%s'", err.message, msg);
	if (err.line != line)
		fail_msg("line %d, expected %d (%s)", err.line, line, err.message);
	stmt_list_free(&l);
}

static const dialect all[] = {DIALECT_SQLITE, DIALECT_PG, DIALECT_MYSQL};

static void test_basic_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		stmt_list l = split_ok(all[i],
		                       "\n"
		                       "CREATE TABLE a (id INT);\n"
		                       "  -- a comment; with a semicolon\n"
		                       "INSERT INTO a VALUES (1); INSERT INTO a VALUES (2);\n"
		                       "\n"
		                       "/* block; comment */\n"
		                       "UPDATE a\n"
		                       "   SET id = 3 ;  \n",
		                       10);
		expect(&l, 4, "CREATE TABLE a (id INT)", 11, "INSERT INTO a VALUES (1)", 13,
		       "INSERT INTO a VALUES (2)", 13, "UPDATE a\n   SET id = 3", 16);
	}
}

static void test_quotes_with_semicolons(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		stmt_list l = split_ok(all[i],
		                       "INSERT INTO t VALUES ('a;b', 'it''s; fine');\n"
		                       "SELECT \"odd;name\" FROM t;\n",
		                       1);
		expect(&l, 2, "INSERT INTO t VALUES ('a;b', 'it''s; fine')", 1,
		       "SELECT \"odd;name\" FROM t", 2);
	}
	stmt_list l = split_ok(DIALECT_SQLITE, "SELECT [a;b], `c;d` FROM t; SELECT 2", 1);
	expect(&l, 2, "SELECT [a;b], `c;d` FROM t", 1, "SELECT 2", 1);
	l = split_ok(DIALECT_MYSQL, "SELECT 'a\\';b', `c;d` FROM t; # note; here\nSELECT 2;", 1);
	expect(&l, 2, "SELECT 'a\\';b', `c;d` FROM t", 1, "SELECT 2", 2);
}

static void test_comments_kept_inside(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		stmt_list l = split_ok(all[i],
		                       "-- leading; comment\n"
		                       "SELECT 1, -- one; \n"
		                       "  2 /* two; */ ; -- trailing\n"
		                       "SELECT 3 -- no semicolon at the end\n",
		                       1);
		/* Text runs from the first token to the last: a trailing line
		 * comment would swallow the ';' a renderer appends. */
		expect(&l, 2, "SELECT 1, -- one; \n  2", 2, "SELECT 3", 4);
	}
}

static void test_comment_only(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		stmt_list l = split_ok(all[i], "-- nothing here;\n/* or; here */\n ;;\n", 1);
		expect(&l, 0);
		l = split_ok(all[i], "", 1);
		expect(&l, 0);
	}
}

static void test_missing_final_semicolon(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		stmt_list l = split_ok(all[i], "SELECT 1;\n\nSELECT 2\n", 5);
		expect(&l, 2, "SELECT 1", 5, "SELECT 2", 7);
	}
}

static void test_pg_dollar_quoting(void **state)
{
	(void)state;
	stmt_list l = split_ok(DIALECT_PG,
	                       "CREATE FUNCTION f() RETURNS int AS $$\n"
	                       "BEGIN\n"
	                       "  RETURN 1; -- inside\n"
	                       "END;\n"
	                       "$$ LANGUAGE plpgsql;\n"
	                       "CREATE FUNCTION g() RETURNS text AS $body$\n"
	                       "  SELECT 'x;' || $q$;$q$;\n"
	                       "$body$ LANGUAGE sql;\n"
	                       "SELECT E'it\\'s; ok', 'plain\\';\n",
	                       20);
	expect(&l, 3,
	       "CREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  RETURN 1; -- inside\nEND;\n$$ "
	       "LANGUAGE plpgsql",
	       20,
	       "CREATE FUNCTION g() RETURNS text AS $body$\n  SELECT 'x;' || $q$;$q$;\n$body$ "
	       "LANGUAGE sql",
	       25, "SELECT E'it\\'s; ok', 'plain\\'", 28);
}

static void test_pg_nested_comments_and_rules(void **state)
{
	(void)state;
	stmt_list l = split_ok(DIALECT_PG,
	                       "/* outer /* inner; */ still; */ SELECT 1;\n"
	                       "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);\n"
	                       "SELECT a$b$ FROM t;\n",
	                       1);
	expect(&l, 3, "SELECT 1", 1, "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)",
	       2, "SELECT a$b$ FROM t", 3);
}

/* libpg_query's splitter drops keyword-less pieces; they must still reach
 * the server (and fail there) rather than vanish. */
static void test_pg_keywordless_piece_kept(void **state)
{
	(void)state;
	stmt_list l = split_ok(DIALECT_PG, "SELECT 1;\nfoo bar;\nSELECT 2;\n-- end\nbaz", 1);
	expect(&l, 4, "SELECT 1", 1, "foo bar", 2, "SELECT 2", 3, "baz", 5);
}

/* Found by tests/fuzz/fuzz_sqlsplit: places where our tokenizer read
 * PostgreSQL differently from libpg_query and cut or trimmed wrongly. */
static void test_pg_scanner_agreement(void **state)
{
	(void)state;
	/* A number or a parameter ends before a dollar quote. */
	stmt_list l = split_ok(DIALECT_PG, "SELECT 2$$;$$;\nSELECT $1$$;$$ ;", 1);
	expect(&l, 2, "SELECT 2$$;$$", 1, "SELECT $1$$;$$", 2);
	/* ... and so does a number with an exponent. */
	l = split_ok(DIALECT_PG, "SELECT 1E2$$;$$ ;\nSELECT 1e+5$$;$$, .5e3$$;$$\r", 1);
	expect(&l, 2, "SELECT 1E2$$;$$", 1, "SELECT 1e+5$$;$$, .5e3$$;$$", 2);
	/* ".1.1.E8$R$" is .1, .1, '.', then the identifier E8$R$; "1..$$" is
	 * 1, "..", then a dollar quote. */
	l = split_ok(DIALECT_PG, "SELECT .1.1.E8$R$ ; SELECT 1..$$;$$, 1.$$;$$\n", 1);
	expect(&l, 2, "SELECT .1.1.E8$R$", 1, "SELECT 1..$$;$$, 1.$$;$$", 1);
	/* A "--" comment ends at a carriage return too. */
	l = split_ok(DIALECT_PG, "SELECT 1 --c\r$$;\n$$;", 1);
	expect(&l, 1, "SELECT 1 --c\r$$;\n$$", 1);
	/* A string continued on the next line stays an E'' string. */
	l = split_ok(DIALECT_PG, "SELECT E'a'\n'\\';' ; SELECT 2", 1);
	expect(&l, 2, "SELECT E'a'\n'\\';'", 1, "SELECT 2", 2);
	/* ... but not across a comment. */
	l = split_ok(DIALECT_PG, "SELECT E'a' -- c\n'\\'; SELECT 2", 1);
	expect(&l, 2, "SELECT E'a' -- c\n'\\'", 1, "SELECT 2", 2);
}

static void test_sqlite_trigger(void **state)
{
	(void)state;
	stmt_list l = split_ok(DIALECT_SQLITE,
	                       "CREATE TABLE t (id INT);\n"
	                       "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN\n"
	                       "  UPDATE t SET id = id + 1; -- ; in a comment\n"
	                       "  SELECT CASE WHEN 1 THEN 'end;' END;\n"
	                       "END;\n"
	                       "create trigger tr2 before delete on t begin select 1; end\n"
	                       ";\n"
	                       "INSERT INTO t VALUES (1);\n",
	                       1);
	expect(&l, 4, "CREATE TABLE t (id INT)", 1,
	       "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN\n"
	       "  UPDATE t SET id = id + 1; -- ; in a comment\n"
	       "  SELECT CASE WHEN 1 THEN 'end;' END;\n"
	       "END",
	       2, "create trigger tr2 before delete on t begin select 1; end", 6,
	       "INSERT INTO t VALUES (1)", 8);
}

static void test_mysql_comments(void **state)
{
	(void)state;
	stmt_list l = split_ok(DIALECT_MYSQL,
	                       "/*!40101 SET NAMES utf8 */;\n"
	                       "SELECT 1--1;\n"
	                       "SELECT \"a\\\";b\";\n",
	                       1);
	expect(&l, 3, "/*!40101 SET NAMES utf8 */", 1, "SELECT 1--1", 2, "SELECT \"a\\\";b\"", 3);
}

static void test_unterminated(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		split_bad(all[i], "SELECT 1;\nSELECT 'abc;\n\nSELECT 2;\n", 10, 11,
		          "unterminated string starting here");
		split_bad(all[i], "SELECT 1;\n\n/* never closed;\nSELECT 2;\n", 1, 3,
		          "unterminated comment");
		split_bad(all[i], "SELECT \"abc;\n", 1, 1, "unterminated");
	}
	split_bad(DIALECT_PG, "SELECT 1;\nSELECT $f$ body;\n$g$;\n", 4, 5,
	          "unterminated dollar-quoted string");
	/* cursor positions count characters; the é must not shift the line. */
	split_bad(DIALECT_PG, "SELECT 'é', 'ü';\nSELECT 'x\n;\n", 1, 2, "unterminated string");
	split_bad(DIALECT_PG, "SELECT E'x\\';\n", 7, 7, "unterminated string");
	split_bad(DIALECT_SQLITE, "SELECT [abc;\n", 1, 1, "unterminated quoted identifier");
	/* Other scanner errors keep the server's wording. */
	split_bad(DIALECT_PG, "SELECT 1;\nSELECT 12abc;\n", 1, 2, "trailing junk");
}

static void test_error_keeps_previous(void **state)
{
	(void)state;
	stmt_list l = split_ok(DIALECT_SQLITE, "SELECT 1;", 1);
	retort_error err = {0};
	assert_int_equal(sql_split(DIALECT_SQLITE, "SELECT 2; SELECT 'x", 1, "f.sql", &l, &err),
	                 RETORT_EUSAGE);
	expect(&l, 1, "SELECT 1", 1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_fast(void **state)
{
	(void)state;
	const char *body = "CREATE TABLE t_x (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
	                   "CREATE INDEX ix ON t_x (name);\n";
	for (size_t k = 0; k < 3; k++) {
		double t0 = now();
		for (int i = 0; i < 500; i++) {
			stmt_list l = split_ok(all[k], body, 3);
			assert_int_equal(l.n, 2);
			stmt_list_free(&l);
		}
		double dt = now() - t0;
		print_message("dialect %zu: 500 bodies in %.2f ms\n", k, dt * 1000);
		assert_true(dt < 1.0);
	}

	/* One big body: the split must stay linear. */
	sbuf big = SBUF_INIT;
	for (int i = 0; i < 20000; i++)
		sb_addf(&big, "INSERT INTO t VALUES (%d, 'x;y'); -- c\n", i);
	for (size_t k = 0; k < 3; k++) {
		double t0 = now();
		stmt_list l = split_ok(all[k], big.buf, 1);
		double dt = now() - t0;
		assert_int_equal(l.n, 20000);
		assert_int_equal(l.v[19999].line, 20000);
		stmt_list_free(&l);
		print_message("dialect %zu: 20000 statements in %.2f ms\n", k, dt * 1000);
		assert_true(dt < 2.0);
	}
	sb_free(&big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic_lines),
	    cmocka_unit_test(test_quotes_with_semicolons),
	    cmocka_unit_test(test_comments_kept_inside),
	    cmocka_unit_test(test_comment_only),
	    cmocka_unit_test(test_missing_final_semicolon),
	    cmocka_unit_test(test_pg_dollar_quoting),
	    cmocka_unit_test(test_pg_nested_comments_and_rules),
	    cmocka_unit_test(test_pg_keywordless_piece_kept),
	    cmocka_unit_test(test_pg_scanner_agreement),
	    cmocka_unit_test(test_sqlite_trigger),
	    cmocka_unit_test(test_mysql_comments),
	    cmocka_unit_test(test_unterminated),
	    cmocka_unit_test(test_error_keeps_previous),
	    cmocka_unit_test(test_fast),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
