/*
 * project.h: the objects behind the public handles (retort_project,
 * retort_db) and the modules that work on them: config.c (retort.ini),
 * project.c (open/connect), version.c (the version table), run.c
 * (executing or rendering a plan), report.c (Alembic-style text and JSON),
 * write.c (init, revision and merge files).
 */
#ifndef RETORT_PROJECT_H
#define RETORT_PROJECT_H

#include "driver.h"
#include "internal.h"

/* ---- config.c ---------------------------------------------------------- */

typedef struct config {
	char *path;            /* the file read, or NULL when none */
	char *dir;             /* directory of the file ("." when none) */
	char *script_location; /* resolved against dir */
	char *url;             /* may be NULL */
	char *version_table;   /* default "retort_version" */
	char *version_table_schema; /* may be NULL */
	int transaction_per_migration; /* default 1 */
	int allow_downgrade;   /* default 1 */
	char *target_schema;   /* may be NULL */
	char *lock;            /* "advisory" (default), "table", "none" */
	int lock_timeout;      /* seconds, default 60 */
} config;

/* path NULL: $RETORT_CONFIG, then ./retort.ini. A missing file is an
 * error (RETORT_EUSAGE) because script_location is required. */
int config_load(config *c, const char *path, retort_error *err);
void config_free(config *c);

/* ---- project.c --------------------------------------------------------- */

struct retort_project {
	config cfg;
	char *versions_dir;
	char *url;         /* chosen by precedence, may be NULL */
	graph g;
	retort_log_fn log;
	void *log_ud;
	int verbose;
};

struct retort_db {
	const db_driver *drv;
	db_conn *conn;
	db_url url;
	char *vt;          /* quoted, schema-qualified version table name */
	char *vt_name;     /* unquoted table name */
	char *vt_schema;   /* unquoted schema or NULL */
};

void rt_log(const retort_project *p, int level, const char *fmt, ...) RT_PRINTF(3, 4);
/* The dialect and driver names for a URL without connecting (for --sql). */
int project_url(const retort_project *p, db_url *out, retort_error *err);

/* ---- version.c: the version table (Alembic's alembic_version shape) ---- */

int version_read(retort_db *db, strvec *heads, retort_error *err);
/* CREATE TABLE IF NOT EXISTS (and the schema on PostgreSQL). */
int version_ensure(retort_db *db, retort_error *err);
/* The statements that make a step's version-table change, as
 * compare-and-set statements: each must affect exactly one row. */
void version_step_sql(const char *vt, const plan_step *s, strvec *sql);
char *version_create_sql(const char *vt, const char *vt_name);

/* ---- run.c ------------------------------------------------------------- */

/* Runs the plan's steps on db, or with sql_out != NULL renders them as SQL
 * text using sql_vt as the version table's name (db may then be NULL). */
int run_plan(retort_project *p, retort_db *db, dialect d, const plan *pl, sbuf *sql_out,
             const char *sql_vt, retort_error *err);

/* ---- report.c ---------------------------------------------------------- */

/* Alembic's Script._head_only / log_entry formats. */
void report_rev_line(const graph *g, int rev, int include_branches, int include_doc,
                     int include_parents, int tree_indicators, int current, sbuf *out);
void report_rev_verbose(const graph *g, int rev, int current, sbuf *out);

#endif
