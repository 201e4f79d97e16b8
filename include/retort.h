/*
 * retort.h: the public C API of libretort, a database schema migration
 * library (Alembic's revision graph and commands, for SQLite and
 * PostgreSQL). This is the only header applications include.
 *
 * Conventions: functions return an int status (RETORT_OK or one of the
 * RETORT_E* codes, which are also the CLI's exit codes) and fill a
 * caller-owned retort_error. Objects have _open/_new and _free. The library
 * never prints; log lines reach the application through a callback.
 * Threads: use a retort_project and a retort_db from one thread at a time.
 * With `lock = table` on PostgreSQL, a run (upgrade, downgrade, stamp,
 * repair) opens a second connection and a helper thread that renews the
 * lease; both end before the call returns, and the log callback is only
 * ever called from the caller's thread.
 */
#ifndef RETORT_H
#define RETORT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RETORT_VERSION "0.1.0"

enum retort_status {
	RETORT_OK = 0,
	RETORT_ERUNTIME = 1, /* database error, failed revision, lock timeout */
	RETORT_EUSAGE = 2,   /* bad flag, unknown target, bad revision file */
	RETORT_EDIFF = 3     /* check/verify found a difference */
};

typedef struct retort_error {
	int code;           /* a retort_status */
	char file[1024];    /* file the error is about, or "" */
	int line;           /* line in file, or 0 */
	char message[4096]; /* one line, never contains a password */
} retort_error;

/* Formats "file:line: message" (or just the message) into buf. */
const char *retort_error_format(const retort_error *err, char *buf, size_t size);

enum retort_log_level { RETORT_LOG_DEBUG, RETORT_LOG_INFO, RETORT_LOG_WARN, RETORT_LOG_ERROR };
typedef void (*retort_log_fn)(void *ud, int level, const char *msg);

typedef struct retort_options {
	const char *config_path; /* NULL: $RETORT_CONFIG, then ./retort.ini */
	const char *url;         /* NULL: $DATABASE_URL, then the config's url */
	retort_log_fn log;       /* may be NULL */
	void *log_ud;
	int verbose;
} retort_options;

typedef struct retort_project retort_project;
typedef struct retort_db retort_db;

/* Reads the config and every revision file and validates the graph.
 * No database connection is made. */
int retort_project_open(retort_project **out, const retort_options *opts, retort_error *err);
void retort_project_free(retort_project *p);
/* The directory holding revision files (script_location/versions). */
const char *retort_project_versions_dir(const retort_project *p);

/* Splits every statement of every revision for the URL's dialect and
 * reports the first broken one (file:line). No connection is made; call
 * it before retort_connect so a broken file never reaches the database. */
int retort_validate(retort_project *p, retort_error *err);

/* 0 when the project's database certainly does not exist yet (a missing
 * SQLite file), so a read-only report need not create it; else 1. */
int retort_database_exists(retort_project *p);

/* Connects to the project's database (URL from options/env/config). */
int retort_connect(retort_project *p, retort_db **out, retort_error *err);
void retort_db_free(retort_db *db);

/* Flags for retort_upgrade/downgrade/stamp. */
#define RETORT_SQL_ONLY 1 /* render SQL to the output buffer, touch nothing */
#define RETORT_PURGE 2    /* stamp: delete every version row first */
#define RETORT_STRICT 4   /* upgrade: refuse when an applied file changed */
#define RETORT_REPAIR_APPLIED 8 /* repair: the dirty revision was finished by hand */
#define RETORT_REPAIR_LOCK 16   /* repair: release a `lock = table` lease left by a dead run */

/* With RETORT_SQL_ONLY nothing is connected or touched: the SQL is
 * rendered into *out (caller frees), db may be NULL, and the starting point
 * is base unless target has Alembic's "from:to" form. Otherwise *out may
 * be NULL. */
int retort_upgrade(retort_project *p, retort_db *db, const char *target, int flags,
                   char **out, retort_error *err);
int retort_downgrade(retort_project *p, retort_db *db, const char *target, int flags,
                     char **out, retort_error *err);
int retort_stamp(retort_project *p, retort_db *db, const char *target, int flags, char **out,
                 retort_error *err);

/* Lists applied revisions whose file changed since it was applied, or is
 * missing, into *out (caller frees); RETORT_EDIFF when there is any.
 * flags: RETORT_REPORT_JSON for {"ok": bool, "differences": [{"revision",
 * "problem"}]}. */
int retort_verify(retort_project *p, retort_db *db, int flags, char **out, retort_error *err);
/* Clears a dirty record left by a failed non-transactional revision, after
 * a human fixed the database: by default the partial work was undone (the
 * next upgrade runs the revision again); with RETORT_REPAIR_APPLIED it was
 * completed (the version moves past it). With RETORT_REPAIR_LOCK it instead
 * deletes the `lock = table` lease, whoever holds it (for a run that died
 * and left it; session locks need no such help). Describes what it did in
 * *out. */
int retort_repair(retort_project *p, retort_db *db, int flags, char **out, retort_error *err);

/* The database's current heads (version rows), as a NULL-terminated array
 * that the caller frees with retort_strings_free. */
int retort_current_heads(retort_project *p, retort_db *db, char ***heads, retort_error *err);
void retort_strings_free(char **v);

/* Text reports, exactly as the CLI prints them (Alembic's format).
 * json != 0 renders one JSON document instead. Caller frees *out. */
#define RETORT_REPORT_VERBOSE 1
#define RETORT_REPORT_JSON 2
#define RETORT_REPORT_INDICATE_CURRENT 4
#define RETORT_REPORT_RESOLVE_DEPS 8
int retort_report_current(retort_project *p, retort_db *db, int flags, char **out,
                          retort_error *err);
int retort_report_history(retort_project *p, retort_db *db, const char *range, int flags,
                          char **out, retort_error *err);
int retort_report_heads(retort_project *p, int flags, char **out, retort_error *err);
int retort_report_branches(retort_project *p, int flags, char **out, retort_error *err);
int retort_report_show(retort_project *p, const char *rev, int flags, char **out,
                       retort_error *err);
/* The same; rev "current" shows the revisions the database's version
 * table names (db required then, as in Alembic's `show current`). */
int retort_report_show_db(retort_project *p, retort_db *db, const char *rev, int flags,
                          char **out, retort_error *err);

/* Writing revision files. */
typedef struct retort_revision_opts {
	const char *message;
	const char *rev_id;       /* NULL: 12 random hex digits */
	const char *head;         /* NULL: "head" */
	int splice;
	const char *branch_label; /* may be NULL */
	const char *depends_on;   /* comma-separated, may be NULL */
	const char *const *merge_of; /* for merge: NULL-terminated list of targets */
	int phased;               /* write +expand/+migrate/+contract sections */
} retort_revision_opts;
/* Writes the file and returns its path in *path (caller frees). */
int retort_revision(retort_project *p, const retort_revision_opts *o, char **path,
                    retort_error *err);
int retort_merge(retort_project *p, const retort_revision_opts *o, char **path, retort_error *err);

/* Creates DIR/retort.ini and DIR/migrations/versions. */
int retort_init(const char *dir, retort_error *err);

#ifdef __cplusplus
}
#endif
#endif
