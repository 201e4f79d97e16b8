/*
 * fuzz_sqlsplit.c: sql_split on arbitrary text. The first byte picks the
 * dialect (SQLite, PostgreSQL, MySQL); the rest, up to a NUL, is the
 * section body. Checks that statements are non-empty, trimmed, taken
 * from the text in order, and carry plausible line numbers.
 */
#include "fuzz_common.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const dialect dialects[] = {DIALECT_SQLITE, DIALECT_PG, DIALECT_MYSQL};
	dialect d = dialects[data[0] % 3];
	int first_line = 1 + data[0] / 3 % 8;
	char *text = fuzz_cstr(data + 1, size - 1);
	int lines = first_line;
	for (const char *p = text; (p = strchr(p, '\n')); p++)
		lines++;

	stmt_list l = {0};
	retort_error err = {0};
	int rc = sql_split(d, text, first_line, "fuzz.sql", &l, &err);
	fuzz_check_error(rc, &err);
	if (rc) {
		FUZZ_CHECK(l.n == 0, "%zu statements left after an error", l.n);
		FUZZ_CHECK(strcmp(err.file, "fuzz.sql") == 0, "error file '%s'", err.file);
		FUZZ_CHECK(err.line >= first_line && err.line <= lines, "error line %d not in %d..%d",
		           err.line, first_line, lines);
	}
	const char *from = text;
	int prev_line = first_line;
	for (size_t i = 0; i < l.n; i++) {
		const char *sql = l.v[i].sql;
		size_t n = strlen(sql);
		FUZZ_CHECK(n > 0, "statement %zu is empty", i);
		FUZZ_CHECK(!is_space(sql[0]) && !is_space(sql[n - 1]), "statement %zu untrimmed: <%s>",
		           i, sql);
		FUZZ_CHECK(l.v[i].line >= prev_line && l.v[i].line <= lines,
		           "statement %zu line %d (previous %d, last line %d)", i, l.v[i].line,
		           prev_line, lines);
		const char *at = strstr(from, sql);
		FUZZ_CHECK(at != NULL, "statement %zu is not in the text after the previous one: <%s>",
		           i, sql);
		from = at + n;
		prev_line = l.v[i].line;
	}
	stmt_list_free(&l);
	free(text);
	return 0;
}
