/*
 * test_url.c: database URL parsing (SPEC §2): every accepted form and
 * alias, SQLAlchemy "+driver" suffixes, the redacted form, and errors,
 * which must never contain the password.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"

#define SECRET "s3cr3t-pw"

static void parse_ok(const char *url, db_url *u)
{
	retort_error err = {0};
	int rc = url_parse(url, u, &err);
	if (rc != RETORT_OK)
		fail_msg("url_parse(%s): %s", url, err.message);
}

static void parse_fails(const char *url, const char *want_message)
{
	retort_error err = {0};
	db_url u;
	assert_int_equal(url_parse(url, &u, &err), RETORT_EUSAGE);
	assert_int_equal(err.code, RETORT_EUSAGE);
	assert_null(strstr(err.message, SECRET));
	if (want_message)
		assert_string_equal(err.message, want_message);
	/* A failed parse leaves nothing to free, and freeing is harmless. */
	assert_null(u.scheme);
	assert_null(u.redacted);
	url_free(&u);
}

static void test_sqlite_forms(void **state)
{
	(void)state;
	static const struct {
		const char *url, *path;
	} cases[] = {
		{"sqlite:///relative/path.db", "relative/path.db"},
		{"sqlite:///app.db", "app.db"},
		{"sqlite:////abs/path.db", "/abs/path.db"},
		{"sqlite://", ":memory:"},
		{"sqlite:///:memory:", ":memory:"},
		{"sqlite:///", ":memory:"},
		{"sqlite+pysqlite:///x.db", "x.db"},
		{"SQLite:///x.db", "x.db"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		db_url u;
		parse_ok(cases[i].url, &u);
		assert_string_equal(u.scheme, "sqlite");
		assert_string_equal(u.path, cases[i].path);
		assert_null(u.conninfo);
		assert_string_equal(u.redacted, cases[i].url);
		url_free(&u);
	}
}

static void test_sqlite_errors(void **state)
{
	(void)state;
	parse_fails("sqlite:///x.db?mode=ro",
	            "query parameters are not supported in SQLite URLs: 'sqlite:///x.db?mode=ro'");
	parse_fails("sqlite://host/x.db", NULL);
}

static void test_postgresql(void **state)
{
	(void)state;
	db_url u;
	parse_ok("postgresql://user:" SECRET "@db.example:5433/app?sslmode=require", &u);
	assert_string_equal(u.scheme, "postgresql");
	assert_null(u.path);
	assert_string_equal(u.conninfo,
	                    "postgresql://user:" SECRET "@db.example:5433/app?sslmode=require");
	assert_string_equal(u.redacted, "postgresql://user:***@db.example:5433/app?sslmode=require");
	url_free(&u);
	/* url_free leaves a cleared struct; a second free is harmless. */
	url_free(&u);

	parse_ok("postgres://user:" SECRET "@localhost/app", &u);
	assert_string_equal(u.scheme, "postgresql");
	assert_string_equal(u.conninfo, "postgresql://user:" SECRET "@localhost/app");
	assert_string_equal(u.redacted, "postgres://user:***@localhost/app");
	url_free(&u);

	parse_ok("postgresql+psycopg2://user:" SECRET "@localhost/app", &u);
	assert_string_equal(u.scheme, "postgresql");
	assert_string_equal(u.conninfo, "postgresql://user:" SECRET "@localhost/app");
	assert_string_equal(u.redacted, "postgresql+psycopg2://user:***@localhost/app");
	url_free(&u);

	parse_ok("postgres+asyncpg://localhost", &u);
	assert_string_equal(u.conninfo, "postgresql://localhost");
	assert_string_equal(u.redacted, "postgres+asyncpg://localhost");
	url_free(&u);

	/* Everything defaulted: libpq's own defaults and PG* variables. */
	parse_ok("postgresql://", &u);
	assert_string_equal(u.conninfo, "postgresql://");
	url_free(&u);

	/* A user without a password, a host:port without a user. */
	parse_ok("postgresql://alice@h/db", &u);
	assert_string_equal(u.redacted, "postgresql://alice@h/db");
	url_free(&u);
	parse_ok("postgresql://h:5432/db", &u);
	assert_string_equal(u.redacted, "postgresql://h:5432/db");
	url_free(&u);
}

static void test_redaction(void **state)
{
	(void)state;
	db_url u;
	/* Percent-encoded password: hidden as written. */
	parse_ok("postgresql://u:p%40ss%2Fw@h/db", &u);
	assert_string_equal(u.redacted, "postgresql://u:***@h/db");
	url_free(&u);
	/* An empty password still shows that one was given. */
	parse_ok("postgresql://u:@h/db", &u);
	assert_string_equal(u.redacted, "postgresql://u:***@h/db");
	url_free(&u);
	/* The password as a query parameter, which libpq accepts. */
	parse_ok("postgresql://h/db?password=" SECRET "&sslmode=require", &u);
	assert_string_equal(u.redacted, "postgresql://h/db?password=***&sslmode=require");
	assert_null(strstr(u.redacted, SECRET));
	url_free(&u);
	/* An '@' in the query does not swallow the host into the password. */
	parse_ok("postgresql://u:" SECRET "@h/db?application_name=a@b", &u);
	assert_string_equal(u.redacted, "postgresql://u:***@h/db?application_name=a@b");
	url_free(&u);
	/* Unencoded '@' and '/' in a password: libpq may reject the URL
	 * later, but the redacted form must still hide all of it. */
	parse_ok("mysql://u:p@s/s" SECRET "@h/db", &u);
	assert_string_equal(u.redacted, "mysql://u:***@h/db");
	url_free(&u);
	/* Every parameter whose name contains "password", in any case or
	 * percent-encoded, as libpq decodes names. */
	parse_ok("postgresql://u@h/db?sslmode=require&sslpassword=" SECRET, &u);
	assert_string_equal(u.redacted, "postgresql://u@h/db?sslmode=require&sslpassword=***");
	url_free(&u);
	parse_ok("postgresql://u@h/db?ssl%70assword=" SECRET "&application_name=x", &u);
	assert_string_equal(u.redacted, "postgresql://u@h/db?ssl%70assword=***&application_name=x");
	url_free(&u);
	/* No '@': host:port lists are shown as they are... */
	parse_ok("postgresql://h1:5432,[::1]:5433,h3/db", &u);
	assert_string_equal(u.redacted, "postgresql://h1:5432,[::1]:5433,h3/db");
	url_free(&u);
	/* ...but "user:SECRET" with the host forgotten is not a port. */
	parse_ok("mysql://root:" SECRET "/db", &u);
	assert_string_equal(u.redacted, "mysql://root:***");
	url_free(&u);
}

static void test_mysql(void **state)
{
	(void)state;
	static const char *urls[] = {"mysql://u:" SECRET "@h:3306/db", "mariadb://u:" SECRET "@h/db",
	                             "mysql+pymysql://u:" SECRET "@h/db"};
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		db_url u;
		parse_ok(urls[i], &u);
		assert_string_equal(u.scheme, "mysql");
		assert_null(u.path);
		assert_null(strstr(u.redacted, SECRET));
		assert_non_null(strstr(u.redacted, "u:***@h"));
		url_free(&u);
	}
}

static void test_errors(void **state)
{
	(void)state;
	parse_fails("foo://u:" SECRET "@h/db",
	            "unsupported database URL scheme 'foo' in foo://u:***@h/db");
	parse_fails("oracle+cx_oracle://u:" SECRET "@h/db",
	            "unsupported database URL scheme 'oracle+cx_oracle' in "
	            "oracle+cx_oracle://u:***@h/db");
	parse_fails("u:" SECRET "@h/db", "invalid database URL 'u:***@h/db'");
	parse_fails("app.db", "invalid database URL 'app.db'");
	parse_fails("", "invalid database URL ''");
	parse_fails("://h/db", "invalid database URL '://h/db'");
	parse_fails("sqlite:app.db", "invalid database URL 'sqlite:app.db'");
	/* libpq rejects these; its messages may quote the URL or the
	 * password, which must not come through. */
	parse_fails("postgresql://u:" SECRET "%zz@h/db", "invalid database URL 'postgresql://u:***@h/db'");
	parse_fails("postgresql://u:" SECRET "@h/db?nosuchoption=1",
	            "invalid database URL 'postgresql://u:***@h/db?nosuchoption=1': "
	            "invalid URI query parameter: \"nosuchoption\"");
	parse_fails("postgresql://h/db?password=" SECRET "%zz",
	            "invalid database URL 'postgresql://h/db?password=***'");
	parse_fails("postgresql://h/db?sslpassword=" SECRET "%zz",
	            "invalid database URL 'postgresql://h/db?sslpassword=***'");
	/* The host forgotten: libpq would take the password for a port. */
	parse_fails("postgresql://postgres:" SECRET,
	            "invalid port in database URL 'postgresql://postgres:***' "
	            "(use 1-65535; a password goes in user:password@host)");
	parse_fails("postgresql://postgres:" SECRET "%", "invalid database URL 'postgresql://postgres:***'");
	parse_fails("postgresql://h:5432,h2:" SECRET "/db",
	            "invalid port in database URL 'postgresql://h:***' "
	            "(use 1-65535; a password goes in user:password@host)");
	parse_fails("postgresql://u:" SECRET "@h:99999/db",
	            "invalid port '99999' in database URL 'postgresql://u:***@h:99999/db' (use 1-65535)");
}

static void test_null_err(void **state)
{
	(void)state;
	db_url u;
	assert_int_equal(url_parse("nope", &u, NULL), RETORT_EUSAGE);
	assert_int_equal(url_parse(NULL, &u, NULL), RETORT_EUSAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqlite_forms), cmocka_unit_test(test_sqlite_errors),
		cmocka_unit_test(test_postgresql),   cmocka_unit_test(test_redaction),
		cmocka_unit_test(test_mysql),        cmocka_unit_test(test_errors),
		cmocka_unit_test(test_null_err),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
