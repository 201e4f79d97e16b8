/*
 * api_sqlite.c: the public API as an application uses it, against a
 * SQLite file: a project opened from a retort.ini written into a temp
 * directory, upgrade/downgrade, current heads, the JSON result document,
 * verify, offline SQL without a connection, and the status and reason of
 * each kind of error (bad target, broken revision file, transaction
 * control in a transactional revision, unknown parent, failing
 * statement). Built against include/retort.h alone and linked to
 * libretort.so, with -Wall -Wextra -Werror: every option struct is
 * initialized with its _INIT macro here, so those must compile cleanly.
 * Exits 0 when every check passed, 1 (after printing each failure) else.
 */
#define _GNU_SOURCE
#include <retort.h>

#include "api_test.h"

static char logbuf[65536];
static void on_log(void *ud, int level, const char *msg)
{
	(void)ud;
	(void)level;
	size_t n = strlen(logbuf);
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

static int progress_starts, progress_ends, progress_runs, progress_steps;
static void on_progress(void *ud, const retort_progress *pr)
{
	(void)ud;
	if (pr->event == RETORT_PROGRESS_DONE) {
		progress_runs++;
		progress_steps += pr->steps;
		if (pr->elapsed_ms < 0) {
			failures++;
			fprintf(stderr, "bad run summary: %d steps in %lld ms\n", pr->steps,
			        pr->elapsed_ms);
		}
		return;
	}
	if (pr->event != RETORT_PROGRESS_STATEMENT || !pr->revision || !pr->sql || pr->statement < 1 || pr->statement > pr->statements) {
		failures++;
		fprintf(stderr, "bad progress report: rev %s statement %d of %d\n",
		        pr->revision ? pr->revision : "(null)", pr->statement, pr->statements);
	}
	if (pr->done < 0)
		progress_starts++;
	else
		progress_ends++;
}

/* The heads as "a,b" (or "" at base), into buf. */
static const char *heads_str(retort_project *p, retort_db *db, char *buf, size_t size)
{
	char **heads = NULL;
	retort_error err;
	memset(&err, 0, sizeof(err));
	REQUIRE_OK(retort_current_heads(p, db, &heads, &err), err);
	buf[0] = 0;
	for (char **h = heads; h && *h; h++) {
		size_t n = strlen(buf);
		snprintf(buf + n, size - n, "%s%s", n ? "," : "", *h);
	}
	retort_strings_free(heads);
	return buf;
}

static void write_rev(const char *dir, const char *id, const char *down, const char *extra_header,
                      const char *up, const char *downsql)
{
	char path[8192];
	snprintf(path, sizeof(path), "%s/%s_rev.sql", dir, id);
	write_file(path,
	           "-- revision: %s\n"
	           "-- down_revision: %s\n"
	           "-- message: rev %s\n"
	           "%s"
	           "\n-- +upgrade\n%s\n"
	           "\n-- +downgrade\n%s\n",
	           id, down, id, extra_header, up, downsql);
}

int main(void)
{
	unsetenv("DATABASE_URL");
	unsetenv("RETORT_CONFIG");
	char dir[] = "/tmp/retort-api-sqlite-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char ini[4096], mig[4096], versions[4096], dbpath[4096], path[8192];
	snprintf(ini, sizeof(ini), "%s/retort.ini", dir);
	snprintf(mig, sizeof(mig), "%s/migrations", dir);
	snprintf(versions, sizeof(versions), "%s/migrations/versions", dir);
	snprintf(dbpath, sizeof(dbpath), "%s/app.db", dir);
	if (mkdir(mig, 0755) || mkdir(versions, 0755)) {
		perror("mkdir");
		return 1;
	}
	write_file(ini, "[retort]\nscript_location = migrations\nurl = sqlite:///%s\n", dbpath);
	write_rev(versions, "a1", "", "", "CREATE TABLE t_a1 (x INTEGER);", "DROP TABLE t_a1;");
	write_rev(versions, "b2", "a1", "",
	          "CREATE TABLE t_b2 (x INTEGER);\nINSERT INTO t_b2 VALUES (1);", "DROP TABLE t_b2;");
	write_rev(versions, "c3", "b2", "", "CREATE TABLE t_c3 (x INTEGER);", "DROP TABLE t_c3;");

	/* Every option struct from its _INIT macro (the build's -Wall -Wextra
	 * -Werror includes -Wmissing-field-initializers). */
	retort_options o = RETORT_OPTIONS_INIT;
	retort_run_options ro = RETORT_RUN_OPTIONS_INIT;
	retort_check_options co = RETORT_CHECK_OPTIONS_INIT;
	retort_repair_options rp = RETORT_REPAIR_OPTIONS_INIT;
	retort_report_options rr = RETORT_REPORT_OPTIONS_INIT;
	retort_revision_opts rv = RETORT_REVISION_OPTIONS_INIT;
	CHECK(o.version == RETORT_OPTIONS_VERSION, "%u", o.version);
	CHECK(ro.version == RETORT_RUN_OPTIONS_VERSION, "%u", ro.version);
	CHECK(co.version == RETORT_CHECK_OPTIONS_VERSION, "%u", co.version);
	CHECK(rp.version == RETORT_REPAIR_OPTIONS_VERSION, "%u", rp.version);
	CHECK(rr.version == RETORT_REPORT_OPTIONS_VERSION, "%u", rr.version);
	CHECK(rv.version == RETORT_REVISION_OPTIONS_VERSION, "%u", rv.version);
	CHECK(!o.config_path && !o.url && !o.log && !o.versions_dir && !o.revisions &&
	          !o.nrevisions && !o.settings,
	      "RETORT_OPTIONS_INIT leaves other fields zero");
	CHECK(!ro.sql_only && !ro.strict && !ro.purge && ro.format == RETORT_FORMAT_TEXT,
	      "RETORT_RUN_OPTIONS_INIT leaves other fields zero");
	CHECK(!rp.applied && !rp.release_lock && !rp.checksums, "RETORT_REPAIR_OPTIONS_INIT");

	o.config_path = ini;
	o.log = on_log;
	o.progress = on_progress;

	retort_error err;
	memset(&err, 0, sizeof(err));
	retort_project *p = NULL;
	REQUIRE_OK(retort_project_open(&p, &o, &err), err);
	const char *vd = retort_project_versions_dir(p);
	CHECK(vd && strstr(vd, "migrations/versions"), "versions dir %s", vd ? vd : "(null)");
	CHECK(retort_database_exists(p) == 0, "the database should not exist yet");
	REQUIRE_OK(retort_validate(p, &err), err);
	CHECK(access(dbpath, F_OK) != 0, "retort_validate created %s", dbpath);

	/* offline SQL: no connection, no file */
	char *out = NULL;
	ro.sql_only = 1;
	REQUIRE_OK(retort_upgrade(p, NULL, "head", &ro, &out, &err), err);
	CHECK(out && strstr(out, "CREATE TABLE t_c3"), "offline SQL: %s", out ? out : "(null)");
	free(out);
	out = NULL;
	CHECK(access(dbpath, F_OK) != 0, "offline upgrade created %s", dbpath);
	ro.sql_only = 0;

	retort_db *db = NULL;
	REQUIRE_OK(retort_connect(p, &db, &err), err);
	char hb[1024];
	CHECK(strcmp(heads_str(p, db, hb, sizeof(hb)), "") == 0, "heads before upgrade: %s", hb);

	/* upgrade head, JSON result document */
	ro.format = RETORT_FORMAT_JSON;
	logbuf[0] = 0;
	REQUIRE_OK(retort_upgrade(p, db, "head", &ro, &out, &err), err);
	CHECK(out && strstr(out, "\"steps\""), "JSON result: %s", out ? out : "(null)");
	CHECK(out && strstr(out, "\"a1\"") && strstr(out, "\"b2\"") && strstr(out, "\"c3\""),
	      "JSON result names the steps: %s", out ? out : "(null)");
	CHECK(out && strstr(out, "\"upgrade\""), "JSON result: %s", out ? out : "(null)");
	free(out);
	out = NULL;
	ro.format = RETORT_FORMAT_TEXT;
	CHECK(strstr(logbuf, "Running upgrade b2 -> c3, rev c3") != NULL, "log: %s", logbuf);
	CHECK(progress_starts == 4 && progress_ends == 4, "progress: %d starts, %d ends",
	      progress_starts, progress_ends);
	CHECK(progress_runs == 1 && progress_steps == 3, "run summary: %d runs, %d steps",
	      progress_runs, progress_steps);
	CHECK(strcmp(heads_str(p, db, hb, sizeof(hb)), "c3") == 0, "heads after upgrade: %s", hb);
	CHECK(retort_database_exists(p) == 1, "the database exists now");

	/* verify: nothing changed */
	REQUIRE_OK(retort_verify(p, db, &co, &out, &err), err);
	CHECK(!out || !*out, "verify: %s", out);
	free(out);
	out = NULL;
	co.format = RETORT_FORMAT_JSON;
	REQUIRE_OK(retort_verify(p, db, &co, &out, &err), err);
	CHECK(out && strstr(out, "\"differences\"") && strstr(out, "\"unchecked\""), "verify JSON: %s",
	      out ? out : "(null)");
	free(out);
	out = NULL;

	/* reports */
	REQUIRE_OK(retort_report_current(p, db, &rr, &out, &err), err);
	CHECK(out && strstr(out, "c3 (head)"), "current: %s", out ? out : "(null)");
	free(out);
	out = NULL;

	/* bad targets: usage errors, reason "target" */
	static const char *const bad[] = {"nosuchrev", "", "zz99"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		int rc = retort_upgrade(p, db, bad[i], NULL, &out, &err);
		CHECK(rc == RETORT_EUSAGE, "upgrade '%s' returned %d", bad[i], rc);
		CHECK(err.code == RETORT_EUSAGE, "upgrade '%s': err.code %d", bad[i], err.code);
		CHECK(err.reason == RETORT_R_TARGET, "upgrade '%s': reason %d (%s), message: %s", bad[i],
		      err.reason, retort_reason_name(err.reason), err.message);
		CHECK(err.message[0], "upgrade '%s': no message", bad[i]);
		free(out);
		out = NULL;
	}
	memset(&err, 0, sizeof(err));
	CHECK(retort_downgrade(p, db, "nosuchrev", NULL, &out, &err) == RETORT_EUSAGE &&
	          err.reason == RETORT_R_TARGET,
	      "downgrade nosuchrev: code %d reason %d (%s): %s", err.code, err.reason,
	      retort_reason_name(err.reason), err.message);
	free(out);
	out = NULL;
	CHECK(strcmp(retort_reason_name(RETORT_R_TARGET), "target") == 0, "reason name %s",
	      retort_reason_name(RETORT_R_TARGET));
	char fb[8192];
	CHECK(strstr(retort_error_format(&err, fb, sizeof(fb)), err.message) != NULL, "format: %s",
	      fb);
	CHECK(strcmp(heads_str(p, db, hb, sizeof(hb)), "c3") == 0, "bad targets moved heads: %s", hb);

	/* downgrade base */
	memset(&err, 0, sizeof(err));
	REQUIRE_OK(retort_downgrade(p, db, "base", NULL, &out, &err), err);
	free(out);
	out = NULL;
	CHECK(strcmp(heads_str(p, db, hb, sizeof(hb)), "") == 0, "heads after downgrade: %s", hb);

	/* a failing statement: runtime error with file:line, reason "statement" */
	write_rev(versions, "d4", "c3", "", "CREATE TABLE t_d4 (x INTEGER);\nINSERT INTO no_such_table VALUES (1);",
	          "DROP TABLE t_d4;");
	retort_db_free(db);
	retort_project_free(p);
	memset(&err, 0, sizeof(err));
	REQUIRE_OK(retort_project_open(&p, &o, &err), err);
	REQUIRE_OK(retort_connect(p, &db, &err), err);
	int rc = retort_upgrade(p, db, "head", NULL, &out, &err);
	free(out);
	out = NULL;
	CHECK(rc == RETORT_ERUNTIME && err.reason == RETORT_R_STATEMENT,
	      "failing statement: rc %d reason %d (%s): %s", rc, err.reason,
	      retort_reason_name(err.reason), err.message);
	CHECK(strstr(err.file, "d4_rev.sql") && err.line == 7, "failing statement at %s:%d", err.file,
	      err.line);
	CHECK(strcmp(heads_str(p, db, hb, sizeof(hb)), "c3") == 0, "heads after failed d4: %s", hb);
	retort_db_free(db);
	retort_project_free(p);
	p = NULL;
	snprintf(path, sizeof(path), "%s/d4_rev.sql", versions);
	remove(path);

	/* a broken revision file (no revision header): the project does not open */
	snprintf(path, sizeof(path), "%s/e5_broken.sql", versions);
	write_file(path, "-- down_revision: c3\n-- message: broken\n\n-- +upgrade\nSELECT 1;\n");
	memset(&err, 0, sizeof(err));
	rc = retort_project_open(&p, &o, &err);
	CHECK(rc == RETORT_EUSAGE, "broken file: rc %d", rc);
	CHECK(err.reason == RETORT_R_REVISION_FILE, "broken file: reason %d (%s): %s", err.reason,
	      retort_reason_name(err.reason), err.message);
	CHECK(strstr(err.file, "e5_broken.sql") != NULL, "broken file: err.file '%s'", err.file);
	retort_project_free(p);
	p = NULL;

	/* an unknown header key, with its line */
	write_file(path, "-- revision: e5\n-- down_revision: c3\n-- no_such_key: 1\n\n-- +upgrade\nSELECT 1;\n");
	memset(&err, 0, sizeof(err));
	rc = retort_project_open(&p, &o, &err);
	CHECK(rc == RETORT_EUSAGE && err.reason == RETORT_R_REVISION_FILE && err.line == 3,
	      "unknown header key: rc %d reason %d (%s) line %d: %s", rc, err.reason,
	      retort_reason_name(err.reason), err.line, err.message);
	retort_project_free(p);
	p = NULL;

	/* an unknown parent: a graph error */
	write_file(path, "-- revision: e5\n-- down_revision: nosuchparent\n\n-- +upgrade\nSELECT 1;\n");
	memset(&err, 0, sizeof(err));
	rc = retort_project_open(&p, &o, &err);
	CHECK(rc == RETORT_EUSAGE && err.reason == RETORT_R_GRAPH,
	      "unknown parent: rc %d reason %d (%s): %s", rc, err.reason, retort_reason_name(err.reason),
	      err.message);
	retort_project_free(p);
	p = NULL;

	/* COMMIT in a transactional revision: refused by retort_validate,
	 * with file and line, before any connection */
	write_file(path, "-- revision: e5\n-- down_revision: c3\n\n-- +upgrade\nCREATE TABLE t_e5 (x INTEGER);\nCOMMIT;\n");
	remove(dbpath);
	memset(&err, 0, sizeof(err));
	REQUIRE_OK(retort_project_open(&p, &o, &err), err);
	rc = retort_validate(p, &err);
	CHECK(rc == RETORT_EUSAGE && err.reason == RETORT_R_REVISION_FILE,
	      "COMMIT: rc %d reason %d (%s): %s", rc, err.reason, retort_reason_name(err.reason),
	      err.message);
	CHECK(strstr(err.file, "e5_broken.sql") && err.line == 6, "COMMIT at %s:%d", err.file,
	      err.line);
	CHECK(strstr(err.message, "transactional: false") != NULL, "COMMIT: %s", err.message);
	CHECK(access(dbpath, F_OK) != 0, "retort_validate created %s", dbpath);
	retort_project_free(p);

	/* retort_init into a fresh directory */
	snprintf(path, sizeof(path), "%s/fresh", dir);
	mkdir(path, 0755);
	memset(&err, 0, sizeof(err));
	REQUIRE_OK(retort_init(path, &err), err);
	snprintf(path, sizeof(path), "%s/fresh/retort.ini", dir);
	CHECK(access(path, F_OK) == 0, "retort_init wrote no %s", path);
	snprintf(path, sizeof(path), "%s/fresh/migrations/versions", dir);
	CHECK(access(path, F_OK) == 0, "retort_init made no %s", path);

	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (failures)
		fprintf(stderr, "api_sqlite: %d check%s failed\n", failures, failures == 1 ? "" : "s");
	else
		printf("api_sqlite: ok\n");
	return failures ? 1 : 0;
}
