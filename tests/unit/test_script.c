/*
 * test_script.c: unit tests for script.c, the revision file reader: header
 * keys, section markers, every rejection with its file:line, line endings,
 * the checksum and loading a directory.
 */
#include <setjmp.h>
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

#include "core/core.h"

static revision *parse_ok(const char *text)
{
	revision *r = NULL;
	retort_error err = {0};
	int rc = script_parse("v/x.sql", text, strlen(text), &r, &err);
	if (rc != RETORT_OK)
		fail_msg("unexpected error: %d: %s", err.line, err.message);
	assert_non_null(r);
	return r;
}

/* Asserts that text is rejected at `line` with a message containing `msg`. */
static void parse_bad_n(const char *text, size_t len, int line, const char *msg)
{
	revision *r = (revision *)1;
	retort_error err = {0};
	int rc = script_parse("v/x.sql", text, len, &r, &err);
	assert_int_equal(rc, RETORT_EUSAGE);
	assert_int_equal(err.code, RETORT_EUSAGE);
	assert_null(r);
	assert_string_equal(err.file, "v/x.sql");
	if (!strstr(err.message, msg))
		fail_msg("message '%s' lacks '%s'", err.message, msg);
	if (err.line != line)
		fail_msg("line %d, expected %d (%s)", err.line, line, err.message);
}

static void parse_bad(const char *text, int line, const char *msg)
{
	parse_bad_n(text, strlen(text), line, msg);
}

static void test_full_header(void **state)
{
	(void)state;
	revision *r = parse_ok("-- revision: 4801b98f6408\n"
	                       "-- down_revision: ad93dae04483\n"
	                       "-- message:   Job started and finished times.  \n"
	                       "-- create_date: 2021-03-01 10:12:00\n"
	                       "-- branch_labels: core, api\n"
	                       "-- depends_on: abcd, other@head\n"
	                       "-- transactional: false\n"
	                       "-- release: 0.8.0\n"
	                       "\n"
	                       "-- +upgrade\n"
	                       "ALTER TABLE job ADD COLUMN started_at TIMESTAMP;\n"
	                       "\n"
	                       "-- +downgrade\n"
	                       "ALTER TABLE job DROP COLUMN started_at;\n");
	assert_string_equal(r->id, "4801b98f6408");
	assert_int_equal(r->down.n, 1);
	assert_string_equal(r->down.v[0], "ad93dae04483");
	assert_string_equal(r->message, "Job started and finished times.");
	assert_string_equal(r->create_date, "2021-03-01 10:12:00");
	assert_int_equal(r->branch_labels.n, 2);
	assert_string_equal(r->branch_labels.v[0], "core");
	assert_string_equal(r->branch_labels.v[1], "api");
	assert_int_equal(r->depends_on.n, 2);
	assert_string_equal(r->depends_on.v[1], "other@head");
	assert_int_equal(r->transactional, 0);
	assert_string_equal(r->release, "0.8.0");
	assert_string_equal(r->path, "v/x.sql");
	assert_string_equal(r->section[SEC_UPGRADE],
	                    "ALTER TABLE job ADD COLUMN started_at TIMESTAMP;\n\n");
	assert_int_equal(r->section_line[SEC_UPGRADE], 11);
	assert_string_equal(r->section[SEC_DOWNGRADE], "ALTER TABLE job DROP COLUMN started_at;\n");
	assert_int_equal(r->section_line[SEC_DOWNGRADE], 14);
	assert_null(r->section[SEC_EXPAND]);
	assert_null(r->section[SEC_MIGRATE]);
	assert_null(r->section[SEC_CONTRACT]);
	revision_free(r);
}

static void test_minimal_defaults(void **state)
{
	(void)state;
	revision *r = parse_ok("-- revision: base_1\n"
	                       "-- down_revision:\n"
	                       "-- message:\n"
	                       "-- just a note\n"
	                       "--\n"
	                       "   \n"
	                       "--+upgrade\n"
	                       "CREATE TABLE t (id INT);");
	assert_string_equal(r->id, "base_1");
	assert_int_equal(r->down.n, 0);
	assert_string_equal(r->message, "");
	assert_string_equal(r->create_date, "");
	assert_string_equal(r->release, "");
	assert_int_equal(r->transactional, 1);
	assert_int_equal(r->branch_labels.n, 0);
	assert_int_equal(r->depends_on.n, 0);
	assert_string_equal(r->section[SEC_UPGRADE], "CREATE TABLE t (id INT);");
	assert_int_equal(r->section_line[SEC_UPGRADE], 8);
	assert_null(r->section[SEC_DOWNGRADE]);
	revision_free(r);
}

static void test_merge(void **state)
{
	(void)state;
	revision *r = parse_ok("-- revision: m1\n"
	                       "-- down_revision: aaaa, bbbb ,cccc\n"
	                       "-- transactional: TRUE\n"
	                       "-- +upgrade\n");
	assert_int_equal(r->down.n, 3);
	assert_string_equal(r->down.v[0], "aaaa");
	assert_string_equal(r->down.v[1], "bbbb");
	assert_string_equal(r->down.v[2], "cccc");
	assert_int_equal(r->transactional, 1);
	assert_string_equal(r->section[SEC_UPGRADE], "");
	assert_int_equal(r->section_line[SEC_UPGRADE], 5);
	revision_free(r);
}

static void test_phased(void **state)
{
	(void)state;
	revision *r = parse_ok("-- revision: p1\n"
	                       "-- +expand   \n"
	                       "ALTER TABLE t ADD COLUMN c INT;\n"
	                       "-- +migrate\n"
	                       "UPDATE t SET c = 1;\n"
	                       "-- +contract\n"
	                       "ALTER TABLE t DROP COLUMN old;\n"
	                       "-- +downgrade\n"
	                       "SELECT 1;\n");
	assert_null(r->section[SEC_UPGRADE]);
	assert_string_equal(r->section[SEC_EXPAND], "ALTER TABLE t ADD COLUMN c INT;\n");
	assert_int_equal(r->section_line[SEC_EXPAND], 3);
	assert_string_equal(r->section[SEC_MIGRATE], "UPDATE t SET c = 1;\n");
	assert_int_equal(r->section_line[SEC_MIGRATE], 5);
	assert_string_equal(r->section[SEC_CONTRACT], "ALTER TABLE t DROP COLUMN old;\n");
	assert_int_equal(r->section_line[SEC_CONTRACT], 7);
	assert_string_equal(r->section[SEC_DOWNGRADE], "SELECT 1;\n");
	revision_free(r);
}

static void test_header_comment_block(void **state)
{
	(void)state;
	revision *r = parse_ok("/* Licence: MIT;\n"
	                       "   more; */ /* and; */ -- more\n"
	                       "/**/\n"
	                       "-- revision: abc\n"
	                       "-- +upgrade\n"
	                       "-- revision: not a header here\n"
	                       "SELECT 1;\n");
	assert_string_equal(r->id, "abc");
	assert_string_equal(r->section[SEC_UPGRADE], "-- revision: not a header here\nSELECT 1;\n");
	revision_free(r);
}

static void test_errors(void **state)
{
	(void)state;
	parse_bad("-- message: x\n-- +upgrade\nSELECT 1;\n", 0, "missing '-- revision:' header");
	parse_bad("-- message: x\n-- revision: a-b\n-- +upgrade\n", 2,
	          "invalid revision id 'a-b': use 1-32 letters, digits or _");
	parse_bad("-- revision:\n-- +upgrade\n", 1, "invalid revision id ''");
	parse_bad("-- revision: 123456789012345678901234567890123\n-- +upgrade\n", 1,
	          "invalid revision id '123456789012345678901234567890123'");
	parse_bad("-- revision: abc\n-- down_revision: x, y z\n-- +upgrade\n", 2,
	          "invalid down_revision 'y z'");
	parse_bad("-- revision: abc\n\n-- revison: abc\n-- +upgrade\n", 3,
	          "unknown header key 'revison'");
	parse_bad("-- revision: abc\n-- message: a\n-- message: b\n-- +upgrade\n", 3,
	          "duplicate header key 'message'");
	parse_bad("-- revision: abc\n-- +upgrade\nSELECT 1;\n-- +upgrades\n", 4,
	          "unknown section marker '-- +upgrades'");
	parse_bad("-- revision: abc\n-- +upgrade\nSELECT 1;\n-- +downgrade\n\n-- +upgrade\n", 6,
	          "duplicate section '-- +upgrade'");
	parse_bad("-- revision: abc\n-- +upgrade\nSELECT 1;\n-- +contract\n", 4, "cannot be mixed");
	parse_bad("-- revision: abc\n-- +expand\nSELECT 1;\n-- +upgrade\n", 4, "cannot be mixed");
	parse_bad("-- revision: abc\n-- +downgrade\nSELECT 1;\n", 0, "no -- +upgrade section");
	parse_bad("-- revision: abc\n-- message: x\n", 0, "no -- +upgrade section");
	parse_bad("-- revision: abc\n-- +migrate\nSELECT 1;\n", 0, "no -- +expand section");
	parse_bad("-- revision: abc\nCREATE TABLE t (id INT);\n-- +upgrade\n", 2,
	          "statement outside a section; add -- +upgrade");
	parse_bad("-- revision: abc\n/* c */ SELECT 1;\n-- +upgrade\n", 2,
	          "statement outside a section");
	parse_bad("-- revision: abc\n/* never closed\n-- +upgrade\n", 2, "unterminated comment");
	parse_bad("-- revision: abc\n/* a */\n/* b */ x\n-- +upgrade\n", 3,
	          "statement outside a section");
	parse_bad("", 0, "empty file");
	parse_bad("\xEF\xBB\xBF \r\n\n", 0, "empty file");
	static const char nul[] = "-- revision: abc\n-- +upgrade\nSELECT\0 1;\n";
	parse_bad_n(nul, sizeof(nul) - 1, 3, "not a text file");
	parse_bad("-- revision: abc\n-- +upgrade\n\nSELECT '\xC3\x28';\n", 4,
	          "invalid UTF-8 at line 4");
	parse_bad("-- revision: abc\n-- message: \xED\xA0\x80\n-- +upgrade\n", 2, "invalid UTF-8");
	parse_bad("-- revision: abc\n-- message: \xC0\xAF\n-- +upgrade\n", 2, "invalid UTF-8");
	parse_bad("-- revision: abc\n-- transactional: yes\n-- +upgrade\n", 2,
	          "invalid transactional value 'yes'");
	parse_bad("-- revision: abc\n-- +upgrade now\n", 2, "unexpected text after '-- +upgrade'");
}

/* Words that targets reserve can never be targeted as ids: refused at the
 * revision line; ids that merely contain or resemble them are fine. */
static void test_reserved_ids(void **state)
{
	(void)state;
	static const char *const reserved[] = {"head", "heads", "base", "current"};
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		char *text = xasprintf("-- message: x\n-- revision: %s\n-- +upgrade\nSELECT 1;\n",
		                       reserved[i]);
		char *msg = xasprintf("invalid revision id '%s': reserved for targets", reserved[i]);
		parse_bad(text, 2, msg);
		assert_int_equal(script_reserved_id(reserved[i]), 1);
		free(msg);
		free(text);
	}
	static const char *const fine[] = {"head1", "Head", "HEADS", "baseline", "current_x"};
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		char *text = xasprintf("-- revision: %s\n-- +upgrade\nSELECT 1;\n", fine[i]);
		revision *r = parse_ok(text);
		assert_string_equal(r->id, fine[i]);
		assert_int_equal(script_reserved_id(fine[i]), 0);
		revision_free(r);
		free(text);
	}
}

static void test_crlf_bom_checksum(void **state)
{
	(void)state;
	const char *lf = "-- revision: abc\n-- message: hi\n-- +upgrade\nSELECT 1;\n-- +downgrade\n"
	                 "SELECT 2;\n";
	const char *crlf = "-- revision: abc\r\n-- message: hi\r\n-- +upgrade\r\nSELECT 1;\r\n"
	                   "-- +downgrade\r\nSELECT 2;\r\n";
	revision *a = parse_ok(lf);
	revision *b = parse_ok(crlf);
	assert_string_equal(b->message, "hi");
	assert_string_equal(b->section[SEC_UPGRADE], "SELECT 1;\n");
	assert_string_equal(b->section[SEC_DOWNGRADE], "SELECT 2;\n");
	assert_int_equal(b->section_line[SEC_DOWNGRADE], 6);
	assert_memory_equal(a->sha256, b->sha256, 32);

	/* sha256 of the LF text, computed independently. */
	static const unsigned char zero[32] = {0};
	assert_memory_not_equal(a->sha256, zero, 32);
	revision *c = parse_ok("-- revision: abc\n-- message: hi\n-- +upgrade\nSELECT 1;\n");
	assert_memory_not_equal(a->sha256, c->sha256, 32);

	revision *d = parse_ok("\xEF\xBB\xBF-- revision: bom\n-- +upgrade\nSELECT 1;\n");
	assert_string_equal(d->id, "bom");
	assert_int_equal(d->section_line[SEC_UPGRADE], 3);
	revision_free(a);
	revision_free(b);
	revision_free(c);
	revision_free(d);
}

static void test_known_digest(void **state)
{
	(void)state;
	/* printf '-- revision: a\n-- +upgrade\n' | sha256sum */
	static const unsigned char want[32] = {0xea, 0x50, 0x8f, 0x91, 0x4a, 0xfd, 0xcb, 0x47,
	                                       0xe8, 0x7e, 0xa1, 0x95, 0xc1, 0xba, 0x91, 0xe1,
	                                       0xfc, 0x54, 0xca, 0xd4, 0x21, 0xf4, 0xd3, 0x72,
	                                       0xf3, 0xae, 0x67, 0x4c, 0x0a, 0x01, 0x92, 0xd5};
	revision *r = parse_ok("-- revision: a\r\n-- +upgrade\r\n");
	assert_memory_equal(r->sha256, want, 32);
	revision_free(r);
}

static char tmpdir[64];

static void write_text(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void rm_rf(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_load_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/retort_ts_XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	write_text("b_second.sql", "-- revision: bbbb\n-- down_revision: aaaa\n-- +upgrade\n");
	write_text("a_first.sql", "-- revision: aaaa\n-- +upgrade\n");
	write_text("c_third.sql", "-- revision: cccc\n-- down_revision: bbbb\n-- +upgrade\n");
	write_text("README.md", "not a revision");
	write_text("notes.sql.bak", "not a revision");
	write_text(".hidden.sql", "not a revision");
	char sub[128];
	snprintf(sub, sizeof(sub), "%s/dir.sql", tmpdir);
	assert_int_equal(mkdir(sub, 0700), 0);

	revision **revs = NULL;
	size_t n = 0;
	retort_error err = {0};
	assert_int_equal(script_load_dir(tmpdir, &revs, &n, &err), RETORT_OK);
	assert_int_equal(n, 3);
	assert_string_equal(revs[0]->id, "aaaa");
	assert_string_equal(revs[1]->id, "bbbb");
	assert_string_equal(revs[2]->id, "cccc");
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(revs[i]->order, (int)i);
		revision_free(revs[i]);
	}
	free(revs);

	/* A bad file fails the whole load, naming the file and line. */
	write_text("d_bad.sql", "-- revision: dddd\n-- +upgrade\n-- +upgrade\n");
	revs = NULL;
	assert_int_equal(script_load_dir(tmpdir, &revs, &n, &err), RETORT_EUSAGE);
	assert_null(revs);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.file, "d_bad.sql"));
	rm_rf(tmpdir);

	assert_int_equal(script_load_dir(tmpdir, &revs, &n, &err), RETORT_EUSAGE);
	assert_string_equal(err.file, tmpdir);
	assert_string_equal(err.message,
	                    "cannot read revisions directory: No such file or directory");
}

static void test_load_dir_empty(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/retort_ts_XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	revision **revs = NULL;
	size_t n = 7;
	retort_error err = {0};
	assert_int_equal(script_load_dir(tmpdir, &revs, &n, &err), RETORT_OK);
	assert_int_equal(n, 0);
	free(revs);
	rm_rf(tmpdir);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* SPEC-sized projects must load instantly; 10,000 files is the stress case. */
static void test_load_dir_fast(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/retort_ts_XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	for (int i = 0; i < 10000; i++) {
		char name[64], text[256];
		snprintf(name, sizeof(name), "%05d_rev.sql", i);
		snprintf(
		    text, sizeof(text),
		    "-- revision: r%05d\n-- down_revision: %s%05d\n-- message: rev %d\n\n"
		    "-- +upgrade\nCREATE TABLE t%d (id INT);\n-- +downgrade\nDROP TABLE t%d;\n",
		    i, i ? "r" : "", i ? i - 1 : 0, i, i, i);
		if (!i)
			snprintf(text, sizeof(text),
			         "-- revision: r00000\n-- +upgrade\nSELECT 1;\n");
		write_text(name, text);
	}
	revision **revs = NULL;
	size_t n = 0;
	retort_error err = {0};
	double t0 = now();
	assert_int_equal(script_load_dir(tmpdir, &revs, &n, &err), RETORT_OK);
	double dt = now() - t0;
	assert_int_equal(n, 10000);
	assert_string_equal(revs[9999]->id, "r09999");
	for (size_t i = 0; i < n; i++)
		revision_free(revs[i]);
	free(revs);
	rm_rf(tmpdir);
	print_message("loaded 10000 files in %.1f ms\n", dt * 1000);
	/* Generous under sanitizers; an unsanitized build takes a fraction. */
	assert_true(dt < 2.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_header),
	    cmocka_unit_test(test_minimal_defaults),
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_phased),
	    cmocka_unit_test(test_header_comment_block),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_reserved_ids),
	    cmocka_unit_test(test_crlf_bom_checksum),
	    cmocka_unit_test(test_known_digest),
	    cmocka_unit_test(test_load_dir),
	    cmocka_unit_test(test_load_dir_empty),
	    cmocka_unit_test(test_load_dir_fast),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
