/*
 * api_nofile.c: a project opened without any retort.ini (SPEC §10, the
 * header's retort_options contract): revision files from `versions_dir`,
 * and separately revisions held in memory (`revisions`/`nrevisions`), with
 * retort.ini's "key = value" lines in `settings` and the database in `url`
 * (or in a "url = ..." setting). With a revision source given and no
 * config_path, neither $RETORT_CONFIG nor ./retort.ini is read: both are
 * made unusable here. Also: the settings are honoured (version_table),
 * a bad setting is a config error, a broken in-memory revision is a
 * revision-file error naming it. SQLite files in a temp directory.
 */
#define _GNU_SOURCE
#include <retort.h>

#include "api_test.h"

/* A call later checks depend on: on failure, report and give up. */
#define TRY_OK(rc, err, label)                                                             \
	do {                                                                                   \
		int rc_ = (rc);                                                                    \
		if (rc_ != RETORT_OK) {                                                            \
			char b_[8192];                                                                 \
			failures++;                                                                    \
			fprintf(stderr, "%s:%d: %s returned %d (reason %s): %s\n", __FILE__, __LINE__, \
			        #rc, rc_, retort_reason_name((err).reason),                            \
			        retort_error_format(&(err), b_, sizeof(b_)));                          \
			goto label;                                                                    \
		}                                                                                  \
	} while (0)

/* The heads as "a,b" ("" at base; "<error>" if they cannot be read). */
static const char *heads_str(retort_project *p, retort_db *db, char *buf, size_t size)
{
	char **heads = NULL;
	retort_error err;
	memset(&err, 0, sizeof(err));
	if (retort_current_heads(p, db, &heads, &err) != RETORT_OK) {
		snprintf(buf, size, "<error: %.900s>", err.message);
		return buf;
	}
	buf[0] = 0;
	for (char **h = heads; h && *h; h++) {
		size_t n = strlen(buf);
		snprintf(buf + n, size - n, "%s%s", n ? "," : "", *h);
	}
	retort_strings_free(heads);
	return buf;
}

static const char REV_A1[] = "-- revision: a1\n"
                             "-- down_revision:\n"
                             "-- message: one\n"
                             "\n-- +upgrade\nCREATE TABLE t_a1 (x INTEGER);\n"
                             "\n-- +downgrade\nDROP TABLE t_a1;\n";
static const char REV_B2[] = "-- revision: b2\n"
                             "-- down_revision: a1\n"
                             "-- message: two\n"
                             "\n-- +upgrade\nCREATE TABLE t_b2 (x INTEGER);\n"
                             "\n-- +downgrade\nDROP TABLE t_b2;\n";
/* no "-- revision:" header */
static const char REV_BROKEN[] = "-- down_revision: a1\n"
                                 "\n-- +upgrade\nSELECT 1;\n";

/* Opens, upgrades to head, checks the heads, downgrades to base. */
static void upgrade_cycle(const char *what, const retort_options *o, const char *expect_vdir)
{
	retort_error err;
	memset(&err, 0, sizeof(err));
	retort_project *p = NULL;
	retort_db *db = NULL;
	char *out = NULL, hb[1024];
	TRY_OK(retort_project_open(&p, o, &err), err, done);
	const char *vd = retort_project_versions_dir(p);
	if (expect_vdir)
		CHECK(vd && strcmp(vd, expect_vdir) == 0, "%s: versions dir %s", what, vd ? vd : "(null)");
	else
		CHECK(vd == NULL, "%s: versions dir %s, expected NULL for revisions in memory", what, vd);
	TRY_OK(retort_validate(p, &err), err, done);
	TRY_OK(retort_connect(p, &db, &err), err, done);
	TRY_OK(retort_upgrade(p, db, "head", NULL, &out, &err), err, done);
	free(out);
	out = NULL;
	CHECK(strcmp(heads_str(p, db, hb, sizeof(hb)), "b2") == 0, "%s: heads after upgrade: %s",
	      what, hb);
	TRY_OK(retort_downgrade(p, db, "a1", NULL, &out, &err), err, done);
	free(out);
	out = NULL;
	CHECK(strcmp(heads_str(p, db, hb, sizeof(hb)), "a1") == 0, "%s: heads after downgrade: %s",
	      what, hb);
done:
	free(out);
	retort_db_free(db);
	retort_project_free(p);
}

int main(void)
{
	unsetenv("DATABASE_URL");
	char dir[] = "/tmp/retort-api-nofile-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char versions[4096], path[8192], url1[8192], url2[8192], url3[8192], urlset[8300];
	snprintf(versions, sizeof(versions), "%s/versions", dir);
	if (mkdir(versions, 0755)) {
		perror("mkdir");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/0001_a1.sql", versions);
	write_file(path, "%s", REV_A1);
	snprintf(path, sizeof(path), "%s/0002_b2.sql", versions);
	write_file(path, "%s", REV_B2);
	snprintf(url1, sizeof(url1), "sqlite:///%s/dir.db", dir);
	snprintf(url2, sizeof(url2), "sqlite:///%s/mem.db", dir);
	snprintf(url3, sizeof(url3), "sqlite:///%s/set.db", dir);
	snprintf(urlset, sizeof(urlset), "url = %s", url3);

	/* Neither of these may be read: a broken ./retort.ini in the working
	 * directory, and $RETORT_CONFIG naming a file that does not exist. */
	if (chdir(dir)) {
		perror("chdir");
		return 1;
	}
	write_file("retort.ini", "this is not an ini file\n[retort]\nno_such_key = 1\n");
	setenv("RETORT_CONFIG", "/nonexistent/retort.ini", 1);

	/* 1. revision files from versions_dir, settings, url */
	static const char *const settings[] = {"lock = none", "version_table = nofile_version",
	                                       "lock_timeout = 5", NULL};
	retort_options o = RETORT_OPTIONS_INIT;
	o.versions_dir = versions;
	o.settings = settings;
	o.url = url1;
	upgrade_cycle("versions_dir", &o, versions);

	/* the version_table setting was honoured: the rows are in
	 * nofile_version, not in retort_version */
	{
		static const char *const other[] = {"lock = none", NULL};
		retort_options o2 = RETORT_OPTIONS_INIT;
		o2.versions_dir = versions;
		o2.settings = other;
		o2.url = url1;
		retort_error err;
		memset(&err, 0, sizeof(err));
		retort_project *p = NULL;
		retort_db *db = NULL;
		char hb[1024];
		TRY_OK(retort_project_open(&p, &o2, &err), err, done1);
		TRY_OK(retort_connect(p, &db, &err), err, done1);
		CHECK(strcmp(heads_str(p, db, hb, sizeof(hb)), "") == 0,
		      "retort_version has rows (%s): the version_table setting was ignored", hb);
	done1:
		retort_db_free(db);
		retort_project_free(p);
		p = NULL;
		db = NULL;
		TRY_OK(retort_project_open(&p, &o, &err), err, done2);
		TRY_OK(retort_connect(p, &db, &err), err, done2);
		CHECK(strcmp(heads_str(p, db, hb, sizeof(hb)), "a1") == 0, "nofile_version: %s", hb);
	done2:
		retort_db_free(db);
		retort_project_free(p);
	}

	/* a bad setting is a config error */
	{
		static const char *const bad[] = {"lock = none", "no_such_key = 1", NULL};
		retort_options ob = RETORT_OPTIONS_INIT;
		ob.versions_dir = versions;
		ob.settings = bad;
		ob.url = url1;
		retort_error err;
		memset(&err, 0, sizeof(err));
		retort_project *p = NULL;
		int rc = retort_project_open(&p, &ob, &err);
		CHECK(rc == RETORT_EUSAGE && err.reason == RETORT_R_CONFIG,
		      "bad setting: rc %d reason %d (%s): %s", rc, err.reason,
		      retort_reason_name(err.reason), err.message);
		retort_project_free(p);
	}

	/* 2. revisions in memory */
	retort_revision_text revs[] = {
		{"0001_a1.sql", REV_A1, sizeof(REV_A1) - 1},
		{"0002_b2.sql", REV_B2, sizeof(REV_B2) - 1},
	};
	static const char *const lock_none[] = {"lock = none", NULL};
	retort_options om = RETORT_OPTIONS_INIT;
	om.revisions = revs;
	om.nrevisions = 2;
	om.settings = lock_none;
	om.url = url2;
	upgrade_cycle("in memory", &om, NULL);

	/* the database URL from the settings instead of `url` */
	const char *const with_url[] = {"lock = none", urlset, NULL};
	retort_options ou = RETORT_OPTIONS_INIT;
	ou.revisions = revs;
	ou.nrevisions = 2;
	ou.settings = with_url;
	upgrade_cycle("url in settings", &ou, NULL);
	snprintf(path, sizeof(path), "%s/set.db", dir);
	CHECK(access(path, F_OK) == 0, "the 'url = ...' setting was not used (no %s)", path);

	/* a broken revision in memory: a revision-file error naming it */
	{
		retort_revision_text brk[] = {
			{"0001_a1.sql", REV_A1, sizeof(REV_A1) - 1},
			{"0002_broken.sql", REV_BROKEN, sizeof(REV_BROKEN) - 1},
		};
		retort_options obr = RETORT_OPTIONS_INIT;
		obr.revisions = brk;
		obr.nrevisions = 2;
		obr.settings = lock_none;
		obr.url = url2;
		retort_error err;
		memset(&err, 0, sizeof(err));
		retort_project *p = NULL;
		int rc = retort_project_open(&p, &obr, &err);
		CHECK(rc == RETORT_EUSAGE, "broken in-memory revision: rc %d", rc);
		CHECK(err.reason == RETORT_R_REVISION_FILE, "broken in-memory revision: reason %d (%s): %s",
		      err.reason, retort_reason_name(err.reason), err.message);
		CHECK(strcmp(err.file, "0002_broken.sql") == 0, "broken in-memory revision: file '%s'",
		      err.file);
		retort_project_free(p);
	}

	if (chdir("/")) {
		perror("chdir");
		return 1;
	}
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (failures)
		fprintf(stderr, "api_nofile: %d check%s failed\n", failures, failures == 1 ? "" : "s");
	else
		printf("api_nofile: ok\n");
	return failures ? 1 : 0;
}
