/*
 * project.h: the objects behind the public handles (retort_project,
 * retort_db) and the modules that work on them: config.c (retort.ini),
 * project.c (open/connect), version.c (the version table), run.c
 * (executing or rendering a plan), report.c (Alembic-style text and JSON),
 * write.c (init, revision and merge files).
 */
#ifndef RETORT_PROJECT_H
#define RETORT_PROJECT_H

#include "config/config.h"
#include "core/core.h"
#include "driver/driver.h"
#include "sql/sql.h"

/* ---- project.c --------------------------------------------------------- */

struct retort_project {
	config cfg;
	char *versions_dir;
	char *url;         /* chosen by precedence, may be NULL */
	graph g;
	rt_logger log;
	/* Split statements per (revision, section), for one dialect. */
	stmt_list *split;
	unsigned char *split_done;
	dialect split_dialect;
};

struct retort_db {
	const db_driver *drv;
	db_conn *conn;
	db_url url;
	char *vt;          /* quoted, schema-qualified version table name */
	char *vt_name;     /* unquoted table name */
	char *vt_schema;   /* unquoted schema or NULL */
	char *who;         /* "user@host" of this run, for history rows and the lock */
};

/* The dialect and driver names for a URL without connecting (for --sql). */
int project_url(const retort_project *p, db_url *out, retort_error *err);
/* A section's statements split for dialect d, cached in the project. */
int project_statements(retort_project *p, int rev, int sec, dialect d, const stmt_list **out,
                       retort_error *err);

/* One JSON document (consumed) as indented text with a final newline;
 * caller frees. In report.c. */
struct json_t;
char *json_finish(struct json_t *doc);

/* The report functions' own flags, from retort_report_options (report.c). */
enum {
	REPORT_VERBOSE = 1,
	REPORT_JSON = 2,
	REPORT_INDICATE_CURRENT = 4,
	REPORT_RESOLVE_DEPS = 8
};
int report_flags(const retort_report_options *o);

/* ---- version.c: the version table (Alembic's alembic_version shape) ---- */

int version_read(retort_db *db, strvec *heads, retort_error *err);
/* CREATE TABLE IF NOT EXISTS (and the schema on PostgreSQL). */
int version_ensure(retort_db *db, retort_error *err);
/* CREATE SCHEMA IF NOT EXISTS for version_table_schema, if any. */
int version_ensure_schema(retort_db *db, retort_error *err);
/* The statements that make a step's version-table change, as
 * compare-and-set statements: each must affect exactly one row. */
void version_step_sql(const char *vt, const plan_step *s, strvec *sql);
char *version_create_sql(const char *vt, const char *vt_name);

/* ---- lock.c: the run lock (SPEC §7) ----------------------------------- */

typedef struct lease_heartbeat lease_heartbeat; /* lock.c */
typedef struct run_lock {
	int kind;      /* LOCK_NONE, LOCK_SESSION (driver), LOCK_TABLE (lease row) */
	int held;
	char *name;    /* what is locked: the version table's qualified name */
	char *token;   /* table lease: this run's id */
	char *table;   /* table lease: quoted retort_lock name */
	int lease;     /* table lease: seconds */
	long long renewed_ms; /* table lease: when it was last pushed forward */
	lease_heartbeat *hb;  /* table lease: renewing thread, or NULL */
} run_lock;
enum { LOCK_NONE, LOCK_SESSION, LOCK_TABLE };

/* Takes the lock configured for the project, polling until lock_timeout;
 * on timeout fails (RETORT_ERUNTIME) naming the holder. */
int lock_acquire(retort_project *p, retort_db *db, run_lock *lk, retort_error *err);
/* Table lease, between steps: fails if the lease was taken over (ours had
 * expired, or someone stole it). Once lock_keep_alive has started it, a
 * heartbeat thread renews the lease on its own connection every quarter
 * lease, so one statement longer than the lease keeps it; otherwise, and
 * if the heartbeat has fallen behind, this pushes
 * expires_at forward itself once a quarter of the lease has passed (not
 * after every step: each renewal is a commit). No-op for the other kinds. */
int lock_renew(retort_db *db, run_lock *lk, retort_error *err);
/* Table lease, before work that may outlast it: starts the heartbeat if
 * the driver allows a second working connection (without one, or if it
 * cannot connect, the lease is renewed between steps only). A run with
 * nothing to do never opens that connection. */
void lock_keep_alive(retort_db *db, run_lock *lk);
void lock_release(retort_db *db, run_lock *lk);
/* `repair --lock`: deletes the table lease whoever holds it; says whose it
 * was in *out (or that there was none, or that the lock kind needs no
 * release). */
int lock_force_release(retort_project *p, retort_db *db, char **out, retort_error *err);


/* ---- history.c: the retort_history audit table (SPEC §7) --------------- */

typedef struct history_rec {
	const char *revision;
	const char *operation; /* upgrade, downgrade, stamp, repair */
	const char *from, *to; /* comma-separated version rows / revisions */
	const char *checksum;  /* hex SHA-256 of the revision file, or "" */
	const char *started_at; /* "YYYY-MM-DD HH:MM:SS.mmm" UTC */
	long duration_ms;
	int statements;        /* statements that succeeded */
	int success;
	const char *state;     /* ok, failed (rolled back), dirty, resolved */
	int failed_line;
	const char *error;
	/* non-transactional runs: hex SHA-256 of the statements that ran
	 * (run_done_checksum), so a resume can tell they were not edited */
	const char *done_checksum;
} history_rec;

typedef struct dirty_rec {
	char *id, *revision, *operation, *checksum, *error, *done_checksum;
	int statements, failed_line;
} dirty_rec;

int history_ensure(retort_db *db, retort_error *err);
char *history_insert_sql(retort_db *db, const history_rec *h);
/* The newest unresolved dirty record, if any (*found). */
int history_dirty(retort_db *db, dirty_rec *out, int *found, retort_error *err);
void dirty_free(dirty_rec *d);
/* The one-line refusal every command gives while d is unresolved. */
int dirty_error(const graph *g, const dirty_rec *d, retort_error *err);
char *history_resolve_sql(retort_db *db, const char *revision);
/* Latest successful record per revision: rows of (revision, operation,
 * checksum, started_at, who, duration_ms). */
int history_latest(retort_db *db, strvec *cells, retort_error *err);

/* ---- verify.c ------------------------------------------------------------ */

/* One line per applied revision whose file changed or is missing. */
int verify_collect(retort_project *p, retort_db *db, strvec *problems, retort_error *err);

/* ---- run.c ------------------------------------------------------------- */

/* Runs the plan's steps on db, or with sql_out != NULL renders them as SQL
 * text using sql_vt as the version table's name (db may then be NULL).
 * lk (may be NULL) is renewed between steps; resume_from > 0 skips that
 * many statements of the first step (a dirty non-transactional revision
 * retried with a fixed file). */
int run_plan(retort_project *p, retort_db *db, dialect d, const plan *pl, sbuf *sql_out,
             const char *sql_vt, run_lock *lk, int resume_from, retort_error *err);
/* Hex SHA-256 of the first n statements of step s as split for dialect d
 * (each statement's text and a NUL): what a dirty record remembers of the
 * statements that ran, to refuse a resume whose file changed them. */
int run_done_checksum(retort_project *p, const plan_step *s, dialect d, int n, char out[65],
                      retort_error *err);
/* Splits (and caches) every statement the plan would run: file:line
 * errors before anything is written. */
int plan_check(retort_project *p, const plan *pl, dialect d, retort_error *err);

/* ---- report.c ---------------------------------------------------------- */

/* Alembic's Script._head_only / log_entry formats. */
void report_rev_line(const graph *g, int rev, int include_branches, int include_doc,
                     int include_parents, int tree_indicators, int current, sbuf *out);
void report_rev_verbose(const graph *g, int rev, int current, sbuf *out);

#endif
