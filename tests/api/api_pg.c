/*
 * api_pg.c: the public API against PostgreSQL ($RETORT_TEST_PG_URL, as
 * exported by tests/support/with-postgres.sh; exit 77, skipped, without
 * it): a project opened from a retort.ini in a temp directory on a
 * database of its own, upgrade/downgrade, current heads, the JSON result
 * document, the status and reason of a bad target and of a failing
 * statement, and retort_interrupt from a second thread while a revision
 * runs `SELECT pg_sleep(30)`: the upgrade returns RETORT_EINTR with reason
 * RETORT_R_INTERRUPTED, the version is unchanged and the connection stays
 * usable. The test database is created (and dropped) by retort itself,
 * through a bootstrap project whose non-transactional revision runs
 * CREATE DATABASE (its bookkeeping lives in schema retort_api_boot of the
 * server's maintenance database). Only retort.h and libc are used.
 */
#define _GNU_SOURCE
#include <retort.h>

#include "api_test.h"

#include <pthread.h>
#include <time.h>

static void make_dirs(const char *root, char *versions, size_t size)
{
	char mig[4096];
	snprintf(mig, sizeof(mig), "%s/migrations", root);
	snprintf(versions, size, "%s/migrations/versions", root);
	if ((mkdir(root, 0755) && access(root, F_OK)) || mkdir(mig, 0755) || mkdir(versions, 0755)) {
		perror("mkdir");
		exit(1);
	}
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

/* URL with its database name replaced by name (keeps a ?query). */
static char *url_with_db(const char *url, const char *name)
{
	const char *q = strchr(url, '?');
	size_t end = q ? (size_t)(q - url) : strlen(url);
	size_t slash = end;
	while (slash > 0 && url[slash - 1] != '/')
		slash--;
	char *out = malloc(end + strlen(name) + strlen(q ? q : "") + 2);
	if (!out)
		exit(1);
	memcpy(out, url, slash);
	sprintf(out + slash, "%s%s", name, q ? q : "");
	return out;
}

/* ---- the interrupting thread ------------------------------------------ */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int sleep_started, run_done, interrupted;
static retort_db *target_db;

/* Progress comes from the caller's thread: the pg_sleep is about to be
 * sent. */
static void on_progress(void *ud, const retort_progress *pr)
{
	(void)ud;
	if (pr->done < 0 && pr->sql && strstr(pr->sql, "pg_sleep(30)")) {
		pthread_mutex_lock(&mu);
		sleep_started = 1;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
}

static void *interrupter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!sleep_started && !run_done)
		pthread_cond_wait(&cv, &mu);
	int go = sleep_started && !run_done;
	pthread_mutex_unlock(&mu);
	if (!go)
		return NULL;
	/* Let the query reach the server (progress is reported just before it
	 * is sent); the sleep is 30 s, so this lands inside it. */
	struct timespec ts = {1, 0};
	nanosleep(&ts, NULL);
	pthread_mutex_lock(&mu);
	if (!run_done) {
		retort_interrupt(target_db);
		interrupted = 1;
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

static char logbuf[65536];
static void on_log(void *ud, int level, const char *msg)
{
	(void)ud;
	(void)level;
	size_t n = strlen(logbuf);
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

int main(void)
{
	const char *base_url = getenv("RETORT_TEST_PG_URL");
	if (!base_url || !*base_url) {
		printf("api_pg: RETORT_TEST_PG_URL is unset: skipped\n");
		return 77;
	}
	unsetenv("DATABASE_URL");
	unsetenv("RETORT_CONFIG");
	char dir[] = "/tmp/retort-api-pg-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char tag[64];
	snprintf(tag, sizeof(tag), "api_%ld_%ld", (long)getpid(), (long)time(NULL));
	char *test_url = url_with_db(base_url, tag);

	/* ---- bootstrap: CREATE DATABASE through retort ---- */
	char boot[4096], bootv[4096], bootini[8192], sql[1024], dropsql[1024];
	snprintf(boot, sizeof(boot), "%s/boot", dir);
	make_dirs(boot, bootv, sizeof(bootv));
	snprintf(bootini, sizeof(bootini), "%s/retort.ini", boot);
	write_file(bootini,
	           "[retort]\nscript_location = migrations\nurl = %s\nversion_table = %s_boot\n"
	           "version_table_schema = retort_api_boot\n",
	           base_url, tag);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s;", tag);
	snprintf(dropsql, sizeof(dropsql), "DROP DATABASE %s;", tag);
	write_rev(bootv, "boot01", "", "-- transactional: false\n", sql, dropsql);
	retort_options bo = RETORT_OPTIONS_INIT;
	bo.config_path = bootini;
	retort_error err;
	memset(&err, 0, sizeof(err));
	retort_project *bp = NULL;
	retort_db *bdb = NULL;
	char *out = NULL;
	REQUIRE_OK(retort_project_open(&bp, &bo, &err), err);
	REQUIRE_OK(retort_connect(bp, &bdb, &err), err);
	REQUIRE_OK(retort_upgrade(bp, bdb, "head", NULL, &out, &err), err);
	free(out);
	out = NULL;

	/* ---- the project under test ---- */
	char proj[4096], versions[4096], ini[8192];
	snprintf(proj, sizeof(proj), "%s/proj", dir);
	make_dirs(proj, versions, sizeof(versions));
	snprintf(ini, sizeof(ini), "%s/retort.ini", proj);
	write_file(ini, "[retort]\nscript_location = migrations\nurl = %s\nlock_timeout = 10\n", test_url);
	write_rev(versions, "a1", "", "", "CREATE TABLE t_a1 (x INTEGER);", "DROP TABLE t_a1;");
	write_rev(versions, "b2", "a1", "",
	          "CREATE TABLE t_b2 (x INTEGER);\nINSERT INTO t_b2 VALUES (1);", "DROP TABLE t_b2;");
	write_rev(versions, "c3", "b2", "", "CREATE TABLE t_c3 (x INTEGER);", "DROP TABLE t_c3;");
	write_rev(versions, "d4", "c3", "", "CREATE TABLE t_d4 (x INTEGER);\nSELECT pg_sleep(30);",
	          "DROP TABLE t_d4;");
	write_rev(versions, "e5", "d4", "", "INSERT INTO no_such_table VALUES (1);", "SELECT 1;");

	retort_options o = RETORT_OPTIONS_INIT;
	retort_run_options ro = RETORT_RUN_OPTIONS_INIT;
	retort_check_options co = RETORT_CHECK_OPTIONS_INIT;
	retort_report_options rr = RETORT_REPORT_OPTIONS_INIT;
	o.config_path = ini;
	o.log = on_log;
	o.progress = on_progress;
	retort_project *p = NULL;
	retort_db *db = NULL;
	REQUIRE_OK(retort_project_open(&p, &o, &err), err);
	REQUIRE_OK(retort_validate(p, &err), err);
	CHECK(retort_database_exists(p) == 1, "a PostgreSQL database is assumed to exist");
	REQUIRE_OK(retort_connect(p, &db, &err), err);
	char hb[1024];
	CHECK(strcmp(heads_str(p, db, hb, sizeof(hb)), "") == 0, "heads before: %s", hb);

	ro.format = RETORT_FORMAT_JSON;
	REQUIRE_OK(retort_upgrade(p, db, "c3", &ro, &out, &err), err);
	CHECK(out && strstr(out, "\"steps\"") && strstr(out, "\"c3\""), "JSON result: %s",
	      out ? out : "(null)");
	free(out);
	out = NULL;
	ro.format = RETORT_FORMAT_TEXT;
	CHECK(strcmp(heads_str(p, db, hb, sizeof(hb)), "c3") == 0, "heads after upgrade: %s", hb);
	CHECK(strstr(logbuf, "Running upgrade b2 -> c3, rev c3") != NULL, "log: %s", logbuf);

	REQUIRE_OK(retort_verify(p, db, &co, &out, &err), err);
	CHECK(!out || !*out, "verify: %s", out);
	free(out);
	out = NULL;
	REQUIRE_OK(retort_report_current(p, db, &rr, &out, &err), err);
	CHECK(out && strstr(out, "c3"), "current: %s", out ? out : "(null)");
	free(out);
	out = NULL;

	/* a bad target */
	memset(&err, 0, sizeof(err));
	int rc = retort_upgrade(p, db, "nosuchrev", NULL, &out, &err);
	free(out);
	out = NULL;
	CHECK(rc == RETORT_EUSAGE && err.code == RETORT_EUSAGE && err.reason == RETORT_R_TARGET,
	      "bad target: rc %d code %d reason %d (%s): %s", rc, err.code, err.reason,
	      retort_reason_name(err.reason), err.message);

	/* ---- retort_interrupt from another thread during pg_sleep(30) ---- */
	target_db = db;
	pthread_t th;
	if (pthread_create(&th, NULL, interrupter, NULL) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		return 1;
	}
	memset(&err, 0, sizeof(err));
	rc = retort_upgrade(p, db, "d4", NULL, &out, &err);
	pthread_mutex_lock(&mu);
	run_done = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(th, NULL);
	free(out);
	out = NULL;
	CHECK(sleep_started, "the pg_sleep statement never started (progress callback)");
	CHECK(interrupted, "the upgrade returned before the interrupt was sent (rc %d: %s)", rc,
	      err.message);
	CHECK(rc == RETORT_EINTR, "interrupted upgrade returned %d (reason %s): %s", rc,
	      retort_reason_name(err.reason), err.message);
	CHECK(err.code == RETORT_EINTR && err.reason == RETORT_R_INTERRUPTED,
	      "interrupted upgrade: code %d reason %d (%s): %s", err.code, err.reason,
	      retort_reason_name(err.reason), err.message);
	CHECK(strcmp(retort_reason_name(RETORT_R_INTERRUPTED), "interrupted") == 0, "reason name %s",
	      retort_reason_name(RETORT_R_INTERRUPTED));
	/* the connection stays usable, and the version did not move */
	CHECK(strcmp(heads_str(p, db, hb, sizeof(hb)), "c3") == 0, "heads after interrupt: %s", hb);

	/* a failing statement: runtime error, reason "statement", file:line */
	memset(&err, 0, sizeof(err));
	interrupted = 0;
	sleep_started = 0;
	run_done = 0;
	/* d4 without the sleep first: rewrite it and reopen */
	write_rev(versions, "d4", "c3", "", "CREATE TABLE t_d4 (x INTEGER);\nSELECT pg_sleep(0);",
	          "DROP TABLE t_d4;");
	retort_db_free(db);
	retort_project_free(p);
	REQUIRE_OK(retort_project_open(&p, &o, &err), err);
	REQUIRE_OK(retort_connect(p, &db, &err), err);
	rc = retort_upgrade(p, db, "e5", NULL, &out, &err);
	free(out);
	out = NULL;
	CHECK(rc == RETORT_ERUNTIME && err.reason == RETORT_R_STATEMENT,
	      "failing statement: rc %d reason %d (%s): %s", rc, err.reason,
	      retort_reason_name(err.reason), err.message);
	CHECK(strstr(err.file, "e5_rev.sql") && err.line == 6, "failing statement at %s:%d",
	      err.file, err.line);
	CHECK(strcmp(heads_str(p, db, hb, sizeof(hb)), "d4") == 0, "heads after failed e5: %s", hb);

	memset(&err, 0, sizeof(err));
	REQUIRE_OK(retort_downgrade(p, db, "base", NULL, &out, &err), err);
	free(out);
	out = NULL;
	CHECK(strcmp(heads_str(p, db, hb, sizeof(hb)), "") == 0, "heads after downgrade: %s", hb);
	retort_db_free(db);
	retort_project_free(p);

	/* ---- drop the test database ---- */
	memset(&err, 0, sizeof(err));
	rc = retort_downgrade(bp, bdb, "base", NULL, &out, &err);
	free(out);
	if (rc) {
		char b[8192];
		fprintf(stderr, "api_pg: could not drop database %s: %s\n", tag,
		        retort_error_format(&err, b, sizeof(b)));
	}
	retort_db_free(bdb);
	retort_project_free(bp);
	free(test_url);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (failures)
		fprintf(stderr, "api_pg: %d check%s failed\n", failures, failures == 1 ? "" : "s");
	else
		printf("api_pg: ok\n");
	return failures ? 1 : 0;
}
