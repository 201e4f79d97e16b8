/*
 * test_url.c: database URL parsing (SPEC §2): every accepted form and
 * alias, SQLAlchemy "+driver" suffixes, the redacted form, and errors,
 * which must never contain the password; and retort.ini (config.c): long
 * lines, odd files, and which URL is used with its SQLite path resolved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"

#define SECRET "s3cr3t-pw"

/* The tails of url.c's messages. */
#define NO_SCHEME                                                                          \
	" (expected scheme://...: sqlite:///relative.db, sqlite:////absolute.db, sqlite:// or " \
	"postgresql://user:password@host/db)"
#define BAD_PERCENT ": a '%' must start a %XX escape (write a '%' itself as %25)"
#define AMBIGUOUS                                                                          \
	": percent-encode '@', '/' and '?' in the password (as %40, %2F, %3F); only the '@' " \
	"before the host may be left as it is"

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
	assert_int_equal(err.reason, RETORT_R_URL);
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
	/* '@' in a query value, percent-encoded as the rule requires. */
	parse_ok("postgresql://u:" SECRET "@h/db?application_name=a%40b", &u);
	assert_string_equal(u.redacted, "postgresql://u:***@h/db?application_name=a%40b");
	url_free(&u);
	/* A password with every special character percent-encoded. */
	parse_ok("postgresql://u:p%40ss%3Fw0rd%2F@127.0.0.1:1/db", &u);
	assert_string_equal(u.redacted, "postgresql://u:***@127.0.0.1:1/db");
	assert_string_equal(u.conninfo, "postgresql://u:p%40ss%3Fw0rd%2F@127.0.0.1:1/db");
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
	parse_fails("u:" SECRET "@h/db", "invalid database URL 'u:***@h/db'" NO_SCHEME);
	parse_fails("app.db", "invalid database URL 'app.db'" NO_SCHEME);
	parse_fails("", "invalid database URL ''" NO_SCHEME);
	parse_fails("://h/db", "invalid database URL '://h/db'" NO_SCHEME);
	parse_fails("sqlite:app.db", "invalid database URL 'sqlite:app.db'" NO_SCHEME);
	/* libpq rejects these; its messages may quote the URL or the
	 * password, which must not come through. */
	parse_fails("postgresql://u:" SECRET "%zz@h/db",
	            "invalid database URL 'postgresql://u:***@h/db'" BAD_PERCENT);
	parse_fails("postgresql://u:" SECRET "@h/db?nosuchoption=1",
	            "invalid database URL 'postgresql://u:***@h/db?nosuchoption=1': "
	            "invalid URI query parameter: \"nosuchoption\"");
	parse_fails("postgresql://h/db?password=" SECRET "%zz",
	            "invalid database URL 'postgresql://h/db?password=***'" BAD_PERCENT);
	parse_fails("postgresql://h/db?sslpassword=" SECRET "%zz",
	            "invalid database URL 'postgresql://h/db?sslpassword=***'" BAD_PERCENT);
	parse_fails("postgresql://u:" SECRET "%00@h/db",
	            "invalid database URL 'postgresql://u:***@h/db': %00 (a NUL byte) is not allowed");
	/* The host forgotten: libpq would take the password for a port. */
	parse_fails("postgresql://postgres:" SECRET,
	            "invalid port in database URL 'postgresql://postgres:***' "
	            "(use 1-65535; a password goes in user:password@host)");
	parse_fails("postgresql://postgres:" SECRET "%",
	            "invalid database URL 'postgresql://postgres:***'" BAD_PERCENT);
	parse_fails("postgresql://h:5432,h2:" SECRET "/db",
	            "invalid port in database URL 'postgresql://h:***' "
	            "(use 1-65535; a password goes in user:password@host)");
	parse_fails("postgresql://u:" SECRET "@h:99999/db",
	            "invalid port '99999' in database URL 'postgresql://u:***@h:99999/db' (use 1-65535)");
}

/* No fragment of the password (3 characters or more) in s. */
static void assert_no_fragment(const char *s, const char *pw)
{
	size_t n = strlen(pw);
	for (size_t i = 0; i + 3 <= n; i++) {
		char frag[4] = {pw[i], pw[i + 1], pw[i + 2], 0};
		if (strstr(s, frag))
			fail_msg("'%s' (from password '%s') in '%s'", frag, pw, s);
	}
}

/* An unencoded '@', '/' or '?' in a password: libpq reads the rest as the
 * host (and prints it when it cannot connect), so these are refused, and
 * the message hides everything up to the last '@'. */
static void test_unencoded_password(void **state)
{
	(void)state;
	static const struct {
		const char *url, *password, *shown;
	} cases[] = {
		{"postgresql://u:p@ss?w0rd@127.0.0.1:1/db", "p@ss?w0rd", "postgresql://u:***@127.0.0.1:1/db"},
		{"postgresql://u:XQ@ZJK@127.0.0.1:1/db", "XQ@ZJK", "postgresql://u:***@127.0.0.1:1/db"},
		{"postgresql://u:XQZ/JKV@127.0.0.1:1/db", "XQZ/JKV", "postgresql://u:***@127.0.0.1:1/db"},
		{"postgresql://u:XQ?ZJKV@127.0.0.1:1/db", "XQ?ZJKV", "postgresql://u:***@127.0.0.1:1/db"},
		{"postgresql://u:X@QZ/JKV@127.0.0.1:1/db", "X@QZ/JKV", "postgresql://u:***@127.0.0.1:1/db"},
		{"postgres://u:" SECRET "@@h/db", SECRET "@", "postgres://u:***@h/db"},
		{"postgresql+psycopg2://us?r:" SECRET "@h/db", SECRET, "postgresql+psycopg2://us?r:***@h/db"},
		{"postgresql://h?password=" SECRET "@XQZ", SECRET "@XQZ", "postgresql://h?password=***"},
		{"mysql://u:XQ@ZJ" SECRET "@127.0.0.1/db", "XQ@ZJ" SECRET, "mysql://u:***@127.0.0.1/db"},
		/* an '@' elsewhere must be encoded too: the rule is simple */
		{"postgresql://u:" SECRET "@h/db?application_name=a@b", SECRET, "postgresql://u:***@b"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		retort_error err = {0};
		db_url u;
		assert_int_equal(url_parse(cases[i].url, &u, &err), RETORT_EUSAGE);
		char want[1024];
		snprintf(want, sizeof(want), "invalid database URL '%s'%s", cases[i].shown, AMBIGUOUS);
		assert_string_equal(err.message, want);
		assert_no_fragment(err.message, cases[i].password);
		assert_null(u.redacted);
	}
}

/* Text that is not scheme://...: no rule says where a password ends, so
 * everything from the first ':' to the last '@' is hidden (to the end,
 * with no '@'). */
static void test_no_scheme(void **state)
{
	(void)state;
	parse_fails("postgres//u:" SECRET "@h/db", "invalid database URL 'postgres//u:***@h/db'" NO_SCHEME);
	parse_fails("postgres:" SECRET, "invalid database URL 'postgres:***'" NO_SCHEME);
	parse_fails("postgres:/u:p@ss" SECRET "@h/db", "invalid database URL 'postgres:***@h/db'" NO_SCHEME);
	parse_fails("u:" SECRET "@h/x://y", "invalid database URL 'u:***@h/x://y'" NO_SCHEME);
	parse_fails("po stgres://u:" SECRET "@h/db", "invalid database URL 'po stgres:***@h/db'" NO_SCHEME);
}

/* libpq's keyword strings are refused without showing any value. */
static void test_keyword_string(void **state)
{
	(void)state;
	static const char *const urls[] = {
		"host=127.0.0.1 password=" SECRET " dbname=x",
		"password = '" SECRET "' host=h",
		"dbname=x",
	};
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		parse_fails(urls[i], "the database URL looks like a libpq keyword string ('host=... "
		                     "dbname=...'), which retort does not read: write it as a URL, "
		                     "postgresql://user:password@host:port/dbname");
}

/* A control character would break the one-line message; the URL is not
 * shown at all. */
static void test_control_characters(void **state)
{
	(void)state;
	parse_fails("postgresql://u:" SECRET "\n@h/db",
	            "invalid database URL: it contains a control character (byte 0x0a at offset "
	            "24); remove it");
	parse_fails("sqlite:///app.db\r", "invalid database URL: it contains a control character "
	                                  "(byte 0x0d at offset 16); remove it");
}

/* A SQLite file name holds no password: shown as it is. */
static void test_sqlite_names(void **state)
{
	(void)state;
	db_url u;
	parse_ok("sqlite:////tmp/a:b@c.db", &u);
	assert_string_equal(u.path, "/tmp/a:b@c.db");
	assert_string_equal(u.redacted, "sqlite:////tmp/a:b@c.db");
	url_free(&u);
	/* SQLCipher's key is hidden, though. */
	retort_error err = {0};
	assert_int_equal(url_parse("sqlite+pysqlcipher://:" SECRET "@/x.db", &u, &err), RETORT_EUSAGE);
	assert_null(strstr(err.message, SECRET));
}

static void test_display(void **state)
{
	(void)state;
	char *cwd = getcwd(NULL, 0);
	assert_non_null(cwd);
	char want[4096];
	static const struct {
		const char *url, *shown; /* shown NULL: cwd + "/app.db" */
	} cases[] = {
		{"sqlite:///app.db", NULL},
		{"sqlite:///./app.db", NULL},
		{"sqlite:////abs/app.db", "sqlite:////abs/app.db"},
		{"sqlite://", "sqlite:// (in memory)"},
		{"sqlite:///:memory:", "sqlite:// (in memory)"},
		{"postgresql://u:" SECRET "@h/db", "postgresql://u:***@h/db"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		db_url u;
		parse_ok(cases[i].url, &u);
		char *shown = url_display(&u);
		snprintf(want, sizeof(want), "sqlite:///%s/app.db", cwd);
		assert_string_equal(shown, cases[i].shown ? cases[i].shown : want);
		free(shown);
		url_free(&u);
	}
	free(cwd);
}

/* ---- config.c ------------------------------------------------------------ */

static char tmpdir[] = "/tmp/test_url_XXXXXX";

static int make_tmpdir(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes n bytes of text to tmpdir/name (creating tmpdir/sub); returns
 * the path (static). */
static const char *write_ini(const char *name, const char *text, size_t n)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/sub", tmpdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	fclose(f);
	return path;
}

static const char *write_ini_str(const char *name, const char *text)
{
	return write_ini(name, text, strlen(text));
}

/* config_load of text fails with "<path>:<line>: <message>" (line 0: no
 * line), the message starting with want. */
static void config_fails(const char *text, size_t n, int line, const char *want)
{
	const char *path = write_ini("sub/retort.ini", text, n);
	config c;
	retort_error err = {0};
	assert_int_equal(config_load(&c, path, &err), RETORT_EUSAGE);
	if (strncmp(err.message, want, strlen(want)) != 0 || err.line != line)
		fail_msg("got line %d '%s', want line %d '%s...'", err.line, err.message, line, want);
	assert_string_equal(err.file, path);
	assert_int_equal(err.reason, RETORT_R_CONFIG);
	assert_null(strchr(err.message, '\n'));
	config_free(&c);
}

static void config_fails_str(const char *text, int line, const char *want)
{
	config_fails(text, strlen(text), line, want);
}

static void load_ok(const char *text, size_t n, config *c)
{
	const char *path = write_ini("sub/retort.ini", text, n);
	retort_error err = {0};
	if (config_load(c, path, &err) != RETORT_OK)
		fail_msg("config_load: %s:%d: %s", err.file, err.line, err.message);
}

/* The url of the config file tmpdir/sub/retort.ini, as used. */
static char *config_url(const char *url_line, const char *option)
{
	char text[1024];
	snprintf(text, sizeof(text), "[retort]\nscript_location = migrations\n%s\n", url_line);
	config c;
	load_ok(text, strlen(text), &c);
	char *url = config_database_url(&c, option, NULL);
	config_free(&c);
	return url;
}

static void test_config_sqlite_relative(void **state)
{
	(void)state;
	unsetenv("DATABASE_URL");
	char want[1024];
	char *url = config_url("url = sqlite:///app.db", NULL);
	snprintf(want, sizeof(want), "sqlite:///%s/sub/app.db", tmpdir);
	assert_string_equal(url, want);
	free(url);
	url = config_url("url = sqlite+pysqlite:///./data/app.db", NULL);
	snprintf(want, sizeof(want), "sqlite+pysqlite:///%s/sub/data/app.db", tmpdir);
	assert_string_equal(url, want);
	free(url);
	/* %(here)s is absolute, as in Alembic, and not joined twice */
	url = config_url("url = sqlite:///%(here)s/app.db", NULL);
	snprintf(want, sizeof(want), "sqlite:///%s/sub/app.db", tmpdir);
	char *real = realpath(tmpdir, NULL);
	snprintf(want, sizeof(want), "sqlite:///%s/sub/app.db", real);
	free(real);
	assert_string_equal(url, want);
	free(url);
	/* left alone: memory, absolute, other backends */
	static const char *const same[] = {"sqlite://", "sqlite:///:memory:", "sqlite:////abs/app.db",
	                                   "postgresql://u@h/db", "sqlite://host/app.db"};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		char line[256];
		snprintf(line, sizeof(line), "url = %s", same[i]);
		url = config_url(line, NULL);
		assert_string_equal(url, same[i]);
		free(url);
	}
	/* --url and $DATABASE_URL stay relative to the working directory */
	url_origin from;
	config c;
	const char *text = "[retort]\nscript_location = m\nurl = sqlite:///app.db\n";
	load_ok(text, strlen(text), &c);
	url = config_database_url(&c, "sqlite:///cli.db", &from);
	assert_string_equal(url, "sqlite:///cli.db");
	assert_int_equal(from, URL_FROM_OPTION);
	free(url);
	setenv("DATABASE_URL", "sqlite:///env.db", 1);
	url = config_database_url(&c, "", &from);
	assert_string_equal(url, "sqlite:///env.db");
	assert_int_equal(from, URL_FROM_ENV);
	free(url);
	unsetenv("DATABASE_URL");
	url = config_database_url(&c, NULL, &from);
	assert_int_equal(from, URL_FROM_CONFIG);
	free(url);
	config_free(&c);
	text = "[retort]\nscript_location = m\n";
	load_ok(text, strlen(text), &c);
	assert_null(config_database_url(&c, NULL, &from));
	assert_int_equal(from, URL_FROM_NONE);
	config_free(&c);
}

/* Lines longer than inih's 200-byte buffer. */
static void test_config_long_lines(void **state)
{
	(void)state;
	static const size_t lengths[] = {197, 198, 199, 200, 201, 300, 5000};
	for (size_t k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++) {
		size_t n = lengths[k];
		/* "url = postgresql://u@h/db?application_name=xxx...", n characters */
		const char *head = "url = postgresql://u@h/db?application_name=";
		char *line = malloc(n + 1);
		size_t hn = strlen(head);
		memcpy(line, head, hn);
		memset(line + hn, 'x', n - hn);
		line[n] = 0;
		size_t cap = 2 * n + 300;
		char *text = malloc(cap);
		snprintf(text, cap, "[retort]\r\n# a comment\r\n%s   ; inline comment\r\nscript_location = m\r\n", line);
		config c;
		load_ok(text, strlen(text), &c);
		assert_string_equal(c.url, line + 6);
		config_free(&c);
		/* a problem after it is reported on its own line */
		snprintf(text, cap, "[retort]\n%s\nscript_location = m\nlock = maybe\n", line);
		config_fails_str(text, 4, "invalid value 'maybe' for 'lock'");
		/* a long comment, and a long line in another section */
		snprintf(text, cap, "[loggers]\nkeys = %s\n;%s\n[retort]\nscript_location = m\nbad\n", line, line);
		config_fails_str(text, 6, "syntax error");
		/* a long comment after a section header, a long blank line */
		snprintf(text, cap, "[retort] ; %s\n%*s\nscript_location = m\n", line, (int)n, "");
		load_ok(text, strlen(text), &c);
		assert_non_null(strstr(c.script_location, "/sub/m"));
		config_free(&c);
		/* a long line that is not key = value */
		memset(line, 'y', n);
		snprintf(text, cap, "[retort]\nscript_location = m\n%s\n", line);
		config_fails_str(text, 3, "syntax error");
		free(text);
		free(line);
	}
	/* a long value whose inline comment starts the value */
	char text[600];
	char pad[400];
	memset(pad, 'z', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = 0;
	snprintf(text, sizeof(text), "[retort]\nscript_location = m\nurl = ;%s\n", pad);
	config c;
	load_ok(text, strlen(text), &c);
	assert_null(c.url);
	config_free(&c);
}

static void test_config_odd_files(void **state)
{
	(void)state;
	config c;
	/* UTF-8 BOM and CRLF: accepted */
	const char bom[] = "\xEF\xBB\xBF[retort]\r\nscript_location = m\r\nurl = sqlite:////x.db\r\n";
	load_ok(bom, sizeof(bom) - 1, &c);
	assert_string_equal(c.url, "sqlite:////x.db");
	config_free(&c);
	/* keys in any case (configparser), %% is '%' */
	const char pct[] = "[retort]\nScript_Location = m\nURL = postgresql://u:p%%40ss@h/db\n";
	load_ok(pct, sizeof(pct) - 1, &c);
	assert_string_equal(c.url, "postgresql://u:p%40ss@h/db");
	config_free(&c);
	/* empty optional values are unset */
	const char empty[] = "[retort]\nscript_location = m\nurl =\ntarget_schema =\n";
	load_ok(empty, sizeof(empty) - 1, &c);
	assert_null(c.url);
	assert_null(c.target_schema);
	config_free(&c);

	config_fails_str("[retort]\nscript_location = m\nurl = a\nsqlalchemy.url = b\n", 4,
	                 "'sqlalchemy.url' is set twice in [retort] (first on line 3)");
	config_fails_str("[retort]\nscript_location = m\nlock = none\nLOCK = table\n", 4,
	                 "'LOCK' is set twice");
	config_fails_str("[retort]\nurl = sqlite:///a.db\n  lock = none\nscript_location = m\n", 3,
	                 "indented line in [retort]");
	config_fails_str("script_location = m\n[retort]\n", 1, "'script_location' comes before any section");
	config_fails_str("[alembic]\nscript_location = m\n", 0,
	                 "no [retort] section (the file has [alembic])");
	config_fails_str("", 0, "no [retort] section");
	config_fails_str("[retort]\nscript_location = m\n[other]\n[retort]\n", 4,
	                 "a second [retort] section (the first is on line 1)");
	config_fails_str("[retort]\nscript_location =\n", 2, "'script_location' is empty");
	config_fails_str("[retort]\nscript_location = m\nversion_table =  \n", 3, "'version_table' is empty");
	config_fails_str("[retort]\nscript_location = m\nurl = postgresql://u:x%(" SECRET ")s@h/db\n", 3,
	                 "'url': '%(' starts an interpolation");
	config_fails("[retort]\nscript_location = m\x00x\n", 29, 2, "NUL byte");
	config_fails_str("[retort]\rscript_location = m\r", 1, "control character 0x0d");
	config_fails_str("[retort]\nscript_location = m\nlock_timeout = 5\x1b\n", 3, "control character 0x1b");
	config_fails_str("[retort]\nscript_location = m\n[broken\n", 3, "syntax error");
	/* a directory, an unreadable file */
	retort_error err = {0};
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/sub", tmpdir);
	assert_int_equal(config_load(&c, dir, &err), RETORT_EUSAGE);
	assert_non_null(strstr(err.message, "is a directory"));
	config_free(&c);
	if (geteuid() != 0) {
		const char *path = write_ini_str("sub/retort.ini", "[retort]\nscript_location = m\n");
		chmod(path, 0);
		assert_int_equal(config_load(&c, path, &err), RETORT_EUSAGE);
		assert_string_equal(err.message, "cannot read config file: Permission denied");
		config_free(&c);
	}
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
		cmocka_unit_test(test_sqlite_forms),
		cmocka_unit_test(test_sqlite_errors),
		cmocka_unit_test(test_postgresql),
		cmocka_unit_test(test_redaction),
		cmocka_unit_test(test_mysql),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_unencoded_password),
		cmocka_unit_test(test_no_scheme),
		cmocka_unit_test(test_keyword_string),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_sqlite_names),
		cmocka_unit_test(test_display),
		cmocka_unit_test(test_null_err),
		cmocka_unit_test(test_config_sqlite_relative),
		cmocka_unit_test(test_config_long_lines),
		cmocka_unit_test(test_config_odd_files),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
