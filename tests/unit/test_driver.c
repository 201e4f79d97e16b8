/*
 * test_driver.c: the backends through the driver interface: DDL and DML
 * with row counts, query_col, table_exists, the database's own error
 * messages, and transactional DDL. SQLite runs in a temporary directory;
 * PostgreSQL runs only when RETORT_TEST_PG_URL names a server (see
 * tests/support/with-postgres.sh) and is skipped otherwise.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver/driver.h"

#define SECRET "wrong-Secret-42"

static char tmpdir[] = "/tmp/retort-test-driver.XXXXXX";

static db_conn *open_url(const char *url, const db_driver **drv)
{
	retort_error err = {0};
	db_url u;
	if (url_parse(url, &u, &err) != RETORT_OK)
		fail_msg("url_parse: %s", err.message);
	*drv = driver_for(&u);
	assert_non_null(*drv);
	db_conn *c = NULL;
	int rc = (*drv)->connect(&u, &c, &err);
	url_free(&u);
	if (rc != RETORT_OK)
		fail_msg("connect: %s", err.message);
	return c;
}

static void exec_ok(const db_driver *d, db_conn *c, const char *sql, long want_rows)
{
	retort_error err = {0};
	long rows = -1;
	if (d->exec(c, sql, &rows, &err) != RETORT_OK)
		fail_msg("%s: %s", sql, err.message);
	if (want_rows >= 0)
		assert_int_equal(rows, want_rows);
}

/* Runs a failing statement and checks the message is the database's. */
static void exec_fails(const db_driver *d, db_conn *c, const char *sql, const char *want)
{
	retort_error err = {0};
	assert_int_equal(d->exec(c, sql, NULL, &err), RETORT_ERUNTIME);
	assert_int_equal(err.code, RETORT_ERUNTIME);
	if (!strstr(err.message, want))
		fail_msg("%s: got '%s', want '%s'", sql, err.message, want);
	assert_null(strchr(err.message, '\n'));
}

static int exists(const db_driver *d, db_conn *c, const char *schema, const char *table)
{
	retort_error err = {0};
	int e = -1;
	if (d->table_exists(c, schema, table, &e, &err) != RETORT_OK)
		fail_msg("table_exists: %s", err.message);
	return e;
}

static void query_expect(const db_driver *d, db_conn *c, const char *sql, const char *joined)
{
	retort_error err = {0};
	strvec v = STRVEC_INIT;
	if (d->query_col(c, sql, &v, &err) != RETORT_OK)
		fail_msg("%s: %s", sql, err.message);
	sbuf b = SBUF_INIT;
	sv_join(&b, &v, ",");
	assert_string_equal(sb_str(&b), joined);
	sb_free(&b);
	sv_free(&v);
}

/* The operations both backends share, on table `t` in the default
 * schema; the caller has made the name unique. */
static void common_ops(const db_driver *d, db_conn *c, const char *t)
{
	char *sql;
	assert_int_equal(exists(d, c, NULL, t), 0);
	sql = xasprintf("CREATE TABLE %s (id INTEGER PRIMARY KEY, name VARCHAR(20))", t);
	exec_ok(d, c, sql, 0);
	free(sql);
	assert_int_equal(exists(d, c, NULL, t), 1);
	assert_int_equal(exists(d, c, "", t), 1);

	sql = xasprintf("INSERT INTO %s (id, name) VALUES (1, 'a'), (2, NULL), (3, 'c')", t);
	exec_ok(d, c, sql, 3);
	free(sql);
	sql = xasprintf("UPDATE %s SET name = 'x' WHERE id >= 2", t);
	exec_ok(d, c, sql, 2);
	free(sql);
	sql = xasprintf("UPDATE %s SET name = 'x' WHERE id = 99", t);
	exec_ok(d, c, sql, 0);
	free(sql);
	sql = xasprintf("DELETE FROM %s WHERE id = 3", t);
	exec_ok(d, c, sql, 1);
	free(sql);
	/* DDL after DML reports no rows, not the last DML's count. */
	sql = xasprintf("CREATE INDEX %s_name ON %s (name)", t, t);
	exec_ok(d, c, sql, 0);
	free(sql);
	sql = xasprintf("UPDATE %s SET name = NULL WHERE id = 2", t);
	exec_ok(d, c, sql, 1);
	free(sql);
	/* A SELECT through exec runs to completion and changes nothing;
	 * INSERT ... SELECT counts what it inserted. */
	sql = xasprintf("SELECT * FROM %s", t);
	exec_ok(d, c, sql, 0);
	free(sql);
	sql = xasprintf("INSERT INTO %s (id, name) SELECT id + 10, name FROM %s", t, t);
	exec_ok(d, c, sql, 2);
	free(sql);
	sql = xasprintf("DELETE FROM %s WHERE id > 10", t);
	exec_ok(d, c, sql, 2);
	free(sql);

	sql = xasprintf("SELECT name FROM %s ORDER BY id", t);
	query_expect(d, c, sql, "a,");
	free(sql);
	sql = xasprintf("SELECT id FROM %s WHERE id > 100", t);
	query_expect(d, c, sql, "");
	free(sql);

	/* Transactional DDL: a rolled-back CREATE TABLE leaves nothing. */
	char *t2 = xasprintf("%s_tx", t);
	exec_ok(d, c, "BEGIN", 0);
	sql = xasprintf("CREATE TABLE %s (x INTEGER)", t2);
	exec_ok(d, c, sql, 0);
	free(sql);
	assert_int_equal(exists(d, c, NULL, t2), 1);
	exec_ok(d, c, "ROLLBACK", 0);
	assert_int_equal(exists(d, c, NULL, t2), 0);
	free(t2);

	/* Errors keep running statements possible afterwards. */
	exec_fails(d, c, "SELECT * FROM retort_no_such_table", "retort_no_such_table");
	exec_fails(d, c, "CREATE TABLEX oops", "syntax error");
	retort_error err = {0};
	strvec v = STRVEC_INIT;
	assert_int_equal(d->query_col(c, "SELECT nope FROM retort_no_such_table", &v, &err),
	                 RETORT_ERUNTIME);
	assert_int_equal(v.n, 0);
	query_expect(d, c, "SELECT 1", "1");

	sql = xasprintf("DROP TABLE %s", t);
	exec_ok(d, c, sql, 0);
	free(sql);
	assert_int_equal(exists(d, c, NULL, t), 0);
}

/* ---- shared ------------------------------------------------------------ */

static void test_driver_for(void **state)
{
	(void)state;
	static const struct {
		const char *url;
		const db_driver *want;
	} cases[] = {
		{"sqlite://", &driver_sqlite},
		{"postgresql://h/db", &driver_pg},
		{"postgres+psycopg2://h/db", &driver_pg},
		{"mysql://h/db", NULL},
		{"mariadb://h/db", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		db_url u;
		assert_int_equal(url_parse(cases[i].url, &u, NULL), RETORT_OK);
		assert_ptr_equal(driver_for(&u), cases[i].want);
		url_free(&u);
	}
	assert_null(driver_for(NULL));
	assert_string_equal(driver_sqlite.sql->impl_name, "SQLiteImpl");
	assert_int_equal(driver_sqlite.sql->kind, DIALECT_SQLITE);
	assert_true(driver_sqlite.sql->transactional_ddl);
	assert_string_equal(driver_pg.sql->impl_name, "PostgresqlImpl");
	assert_int_equal(driver_pg.sql->kind, DIALECT_PG);
	assert_true(driver_pg.sql->transactional_ddl);
	assert_ptr_equal(dialect_for_scheme("postgresql"), &dialect_pg);
	assert_ptr_equal(dialect_for_scheme("sqlite"), &dialect_sqlite);
	assert_ptr_equal(dialect_for_scheme("mysql"), &dialect_mysql);
	assert_null(dialect_for_scheme("oracle"));
	assert_false(dialect_mysql.transactional_ddl);
}

static void test_quote(void **state)
{
	(void)state;
	static const struct {
		const char *in, *ident, *literal;
	} cases[] = {
		{"plain", "\"plain\"", "'plain'"},
		{"", "\"\"", "''"},
		{"a\"b", "\"a\"\"b\"", "'a\"b'"},
		{"it's", "\"it's\"", "'it''s'"},
		{"''", "\"''\"", "''''''"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *q = dialect_ident(&dialect_pg, cases[i].in);
		assert_string_equal(q, cases[i].ident);
		free(q);
		q = dialect_literal(&dialect_pg, cases[i].in);
		assert_string_equal(q, cases[i].literal);
		free(q);
		q = dialect_literal(&dialect_sqlite, cases[i].in);
		assert_string_equal(q, cases[i].literal);
		free(q);
	}
	/* A backslash: literal in SQLite; on PostgreSQL written as E'' with it
	 * doubled, the same whatever standard_conforming_strings says. */
	char *q = dialect_literal(&dialect_sqlite, "back\\slash");
	assert_string_equal(q, "'back\\slash'");
	free(q);
	q = dialect_literal(&dialect_pg, "it's back\\slash");
	assert_string_equal(q, "E'it''s back\\\\slash'");
	free(q);
	q = dialect_ident(&dialect_pg, "back\\slash");
	assert_string_equal(q, "\"back\\slash\"");
	free(q);
	/* MySQL: backticks, and a backslash in a literal is an escape. */
	q = dialect_ident(&dialect_mysql, "a`b");
	assert_string_equal(q, "`a``b`");
	free(q);
	q = dialect_literal(&dialect_mysql, "it's a\\b");
	assert_string_equal(q, "'it''s a\\\\b'");
	free(q);
	q = dialect_qualify(&dialect_pg, "s", "t");
	assert_string_equal(q, "\"s\".\"t\"");
	free(q);
	q = dialect_qualify(&dialect_pg, NULL, "t");
	assert_string_equal(q, "\"t\"");
	free(q);
}

/* ---- SQLite ------------------------------------------------------------ */

static void test_sqlite_file(void **state)
{
	(void)state;
	char *url = xasprintf("sqlite:///%s/t.db", tmpdir);
	const db_driver *d;
	db_conn *c = open_url(url, &d);
	assert_ptr_equal(d, &driver_sqlite);
	common_ops(d, c, "items");
	/* SQLite resolves names case-insensitively, so does table_exists. */
	exec_ok(d, c, "CREATE TABLE Mixed (x)", 0);
	assert_int_equal(exists(d, c, NULL, "mixed"), 1);
	assert_int_equal(exists(d, c, "main", "Mixed"), 1);
	/* A view is not a table. */
	exec_ok(d, c, "CREATE VIEW v AS SELECT 1", 0);
	assert_int_equal(exists(d, c, NULL, "v"), 0);
	retort_error err = {0};
	int e;
	assert_int_equal(d->table_exists(c, "nodb", "Mixed", &e, &err), RETORT_ERUNTIME);
	assert_non_null(strstr(err.message, "nodb"));
	/* Several statements in one string all run; rows is the last's. */
	exec_ok(d, c, "INSERT INTO Mixed VALUES (1); INSERT INTO Mixed VALUES (2), (3);", 2);
	exec_ok(d, c, "  -- only a comment\n", 0);
	exec_ok(d, c, "", 0);
	d->close(c);
	free(url);

	/* The data is in the file. */
	url = xasprintf("sqlite:////%s/t.db", tmpdir[0] == '/' ? tmpdir + 1 : tmpdir);
	c = open_url(url, &d);
	query_expect(d, c, "SELECT x FROM Mixed ORDER BY x", "1,2,3");
	d->close(c);
	free(url);
}

static void test_sqlite_memory(void **state)
{
	(void)state;
	const db_driver *d;
	db_conn *c = open_url("sqlite://", &d);
	common_ops(d, c, "mem");
	d->close(c);
	d->close(NULL);
}

static void test_sqlite_open_errors(void **state)
{
	(void)state;
	db_url u;
	retort_error err = {0};
	db_conn *c = (db_conn *)&err; /* must be reset to NULL */
	char *url = xasprintf("sqlite:///%s/missing/dir/t.db", tmpdir);
	assert_int_equal(url_parse(url, &u, &err), RETORT_OK);
	assert_int_equal(driver_sqlite.connect(&u, &c, &err), RETORT_ERUNTIME);
	assert_null(c);
	assert_int_equal(err.code, RETORT_ERUNTIME);
	char *want = xasprintf("directory '%s/missing/dir' does not exist", tmpdir);
	if (!strstr(err.message, want))
		fail_msg("got '%s'", err.message);
	free(want);
	url_free(&u);
	free(url);

	/* A file where a directory should be. */
	url = xasprintf("sqlite:///%s/t.db/x.db", tmpdir);
	assert_int_equal(url_parse(url, &u, &err), RETORT_OK);
	assert_int_equal(driver_sqlite.connect(&u, &c, &err), RETORT_ERUNTIME);
	assert_non_null(strstr(err.message, "is not a directory"));
	url_free(&u);
	free(url);
}

/* ---- PostgreSQL ---------------------------------------------------------- */

static const char *pg_url(void)
{
	const char *url = getenv("RETORT_TEST_PG_URL");
	if (!url || !*url)
		skip();
	return url;
}

static void test_pg_ops(void **state)
{
	(void)state;
	const db_driver *d;
	db_conn *c = open_url(pg_url(), &d);
	assert_ptr_equal(d, &driver_pg);
	/* ctest runs test programs in parallel against one server. */
	char *t = xasprintf("retort_td_%ld", (long)getpid());
	common_ops(d, c, t);

	char *s = xasprintf("retort_td_s_%ld", (long)getpid());
	char *sql = xasprintf("CREATE SCHEMA %s", s);
	exec_ok(d, c, sql, 0);
	free(sql);
	sql = xasprintf("CREATE TABLE %s.%s (id INTEGER PRIMARY KEY)", s, t);
	exec_ok(d, c, sql, 0);
	free(sql);
	assert_int_equal(exists(d, c, s, t), 1);
	assert_int_equal(exists(d, c, NULL, t), 0);
	assert_int_equal(exists(d, c, "public", t), 0);
	assert_int_equal(exists(d, c, "no_such_schema", t), 0);
	/* Names are exact: no case folding for already-unquoted names. */
	char *upper = xstrdup(t);
	upper[0] = 'R';
	assert_int_equal(exists(d, c, s, upper), 0);
	free(upper);

	/* The server's wording, with DETAIL on the same line. */
	sql = xasprintf("INSERT INTO %s.%s VALUES (1), (1)", s, t);
	exec_fails(d, c, sql, "ERROR:  duplicate key value violates unique constraint");
	exec_fails(d, c, sql, "DETAIL:  Key (id)=(1) already exists.");
	free(sql);
	exec_fails(d, c, "SELECT * FROM retort_nope",
	           "ERROR:  relation \"retort_nope\" does not exist");
	exec_fails(d, c, "SELECT * FROM retort_nope", "does not exist");
	sql = xasprintf("SELECT * FROM %s.%s WHERE id = 'x'", s, t);
	exec_fails(d, c, sql, "ERROR:  invalid input syntax for type integer: \"x\"");
	free(sql);

	/* NOTICEs do not reach stdout or stderr. */
	fflush(stdout);
	fflush(stderr);
	char *cap = xasprintf("%s/notices", tmpdir);
	int fd = open(cap, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	assert_true(fd >= 0);
	int out = dup(1), err = dup(2);
	dup2(fd, 1);
	dup2(fd, 2);
	sql = xasprintf("CREATE TABLE IF NOT EXISTS %s.%s (id INTEGER)", s, t);
	exec_ok(d, c, sql, 0);
	free(sql);
	exec_ok(d, c, "DROP TABLE IF EXISTS retort_never_there", 0);
	fflush(stdout);
	fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	close(fd);
	struct stat st;
	assert_int_equal(stat(cap, &st), 0);
	assert_int_equal(st.st_size, 0);
	unlink(cap);
	free(cap);

	/* A COPY that needs the client fails cleanly and the connection
	 * stays usable. */
	sql = xasprintf("COPY %s.%s FROM STDIN", s, t);
	exec_fails(d, c, sql, "COPY FROM STDIN is not supported");
	free(sql);
	sql = xasprintf("COPY %s.%s TO STDOUT", s, t);
	exec_fails(d, c, sql, "not supported");
	free(sql);
	query_expect(d, c, "SELECT 1", "1");

	/* An aborted transaction reports the server's message, then a
	 * ROLLBACK recovers. */
	exec_ok(d, c, "BEGIN", 0);
	exec_fails(d, c, "SELECT * FROM retort_nope", "does not exist");
	exec_fails(d, c, "SELECT 1", "current transaction is aborted");
	exec_ok(d, c, "ROLLBACK", 0);

	sql = xasprintf("DROP SCHEMA %s CASCADE", s);
	exec_ok(d, c, sql, 0);
	free(sql);
	free(s);
	free(t);
	d->close(c);
}

/* The test URL with its password replaced. */
static char *with_password(const char *url, const char *pw)
{
	const char *rest = strstr(url, "://");
	assert_non_null(rest);
	rest += 3;
	const char *colon = strchr(rest, ':');
	const char *at = strchr(rest, '@');
	assert_true(colon && at && colon < at);
	return xasprintf("%.*s%s%s", (int)(colon + 1 - url), url, pw, at);
}

static void connect_fails(const char *url, const char *want)
{
	db_url u;
	retort_error err = {0};
	db_conn *c = NULL;
	assert_int_equal(url_parse(url, &u, &err), RETORT_OK);
	assert_int_equal(driver_pg.connect(&u, &c, &err), RETORT_ERUNTIME);
	assert_null(c);
	assert_int_equal(err.code, RETORT_ERUNTIME);
	if (!strstr(err.message, want))
		fail_msg("got '%s', want '%s'", err.message, want);
	assert_null(strstr(err.message, SECRET));
	assert_null(strstr(err.message, "retort-test-pw"));
	assert_null(strchr(err.message, '\n'));
	assert_null(strchr(err.message, '\t'));
	url_free(&u);
}

static void test_pg_bad_password(void **state)
{
	(void)state;
	char *url = with_password(pg_url(), SECRET);
	connect_fails(url, "password authentication failed");
	connect_fails(url, ":***@");
	free(url);
}

static void test_pg_unreachable(void **state)
{
	(void)state;
	/* Needs no server: port 1 on loopback refuses at once. */
	connect_fails("postgresql://u:" SECRET "@127.0.0.1:1/db",
	              "cannot connect to postgresql://u:***@127.0.0.1:1/db: ");
	/* A password that libpq echoes back (here because it was also
	 * misused as an option value) is scrubbed from libpq's message. */
	db_url u;
	retort_error err = {0};
	db_conn *c = NULL;
	assert_int_equal(url_parse("postgresql://u:" SECRET "@127.0.0.1:1/db?sslmode=" SECRET, &u, &err),
	                 RETORT_OK);
	assert_int_equal(driver_pg.connect(&u, &c, &err), RETORT_ERUNTIME);
	assert_non_null(strstr(err.message, "invalid sslmode value: \"***\""));
	url_free(&u);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* A statement that starts while the watched flag is already set (the
 * signal came between the caller's check and the statement) is cancelled
 * by the database, not run to its end; unwatched, the connection works. */
static void watch_cancels(const char *url, const char *slow)
{
	const db_driver *d;
	db_conn *c = open_url(url, &d);
	assert_non_null(d->watch);
	volatile sig_atomic_t flag = 0;
	d->watch(c, &flag);
	exec_ok(d, c, "SELECT 1", -1); /* watched, flag clear: runs */
	flag = 1;
	retort_error err = {0};
	time_t t0 = time(NULL);
	assert_int_not_equal(d->exec(c, slow, NULL, &err), RETORT_OK);
	assert_true(time(NULL) - t0 < 10);
	assert_true(strstr(err.message, "interrupt") || strstr(err.message, "cancel"));
	d->watch(c, NULL);
	exec_ok(d, c, "SELECT 1", -1);
	d->close(c);
}

static void test_sqlite_watch(void **state)
{
	(void)state;
	watch_cancels("sqlite:///:memory:",
	              "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r "
	              "WHERE i < 1000000000) SELECT count(*) FROM r");
}

static void test_pg_watch(void **state)
{
	(void)state;
	watch_cancels(pg_url(), "SELECT pg_sleep(30)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_driver_for),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_sqlite_file),
		cmocka_unit_test(test_sqlite_memory),
		cmocka_unit_test(test_sqlite_open_errors),
		cmocka_unit_test(test_pg_unreachable),
		cmocka_unit_test(test_pg_ops),
		cmocka_unit_test(test_sqlite_watch),
		cmocka_unit_test(test_pg_watch),
		cmocka_unit_test(test_pg_bad_password),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
