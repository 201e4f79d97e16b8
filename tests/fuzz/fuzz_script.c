/*
 * fuzz_script.c: script_parse on arbitrary bytes, as if they were a
 * revision file; when the file parses, every section is also split with
 * each dialect, the way `upgrade` validates every step before it runs.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	revision *r = NULL;
	retort_error err = {0};
	int rc = script_parse("versions/fuzz.sql", (const char *)data, size, &r, &err);
	fuzz_check_error(rc, &err);
	if (rc) {
		FUZZ_CHECK(r == NULL, "revision returned with an error");
		return 0;
	}
	FUZZ_CHECK(r && r->id && r->message && r->create_date && r->release && r->path,
	           "missing field");
	FUZZ_CHECK(r->section[SEC_UPGRADE] || r->section[SEC_EXPAND], "no upgrade section");
	static const dialect dialects[] = {DIALECT_SQLITE, DIALECT_PG, DIALECT_MYSQL};
	for (int k = 0; k < SEC_COUNT; k++) {
		if (!r->section[k])
			continue;
		FUZZ_CHECK(r->section_line[k] >= 2, "section %d starts at line %d", k,
		           r->section_line[k]);
		for (size_t i = 0; i < sizeof(dialects) / sizeof(dialects[0]); i++) {
			stmt_list l = {0};
			retort_error e2 = {0};
			int rc2 = sql_split(dialects[i], r->section[k], r->section_line[k], r->path, &l,
			                    &e2);
			fuzz_check_error(rc2, &e2);
			for (size_t j = 0; j < l.n; j++)
				FUZZ_CHECK(l.v[j].line >= r->section_line[k],
				           "statement line %d before its section (line %d)", l.v[j].line,
				           r->section_line[k]);
			stmt_list_free(&l);
		}
	}
	revision_free(r);
	return 0;
}
