/*
 * api.h: the objects behind the public handles (retort_project,
 * retort_db) and what the api/ files share. api/ is the only definer of
 * retort_* functions: each composes the layers below (config, script,
 * core, sql, driver, store, run) and adds nothing of its own but the
 * order of the calls: project.c (open, connect, interrupt), ops.c
 * (upgrade, downgrade, stamp, repair), verify.c, report.c (Alembic-style
 * text and JSON), write.c (init, revision and merge files).
 */
#ifndef RETORT_API_H
#define RETORT_API_H

#include <signal.h>

#include "config/config.h"
#include "run/run.h"

/* ---- project.c --------------------------------------------------------- */

struct retort_project {
	config cfg;
	char *versions_dir;
	char *url;         /* chosen by precedence, may be NULL */
	graph g;
	rt_logger log;
	retort_progress_fn progress;
	void *progress_ud;
	stmt_cache cache; /* split statements, for one dialect at a time */
};

struct retort_db {
	const db_driver *drv;
	db_conn *conn;
	db_url url;
	store st;
	volatile sig_atomic_t interrupted; /* retort_interrupt */
};

/* The dialect and driver names for a URL without connecting (for --sql). */
int project_url(const retort_project *p, db_url *out, retort_error *err);
/* The settings of the run lock, from the config. */
lock_opts project_lock_opts(const retort_project *p);
/* A run context over the project (and db, NULL for --sql). */
run_ctx project_run_ctx(retort_project *p, retort_db *db, run_lock *lk, run_result *res);

/* Connects to the database at url (text, as in retort.ini) with the
 * project's settings: what retort_connect does for the project's own URL
 * (schema.c: the scratch database of `test`). */
int project_connect_url(retort_project *p, const char *url, retort_db **out, retort_error *err);

/* ---- write.c -------------------------------------------------------------- */

/* A new revision file whose +upgrade and +downgrade sections hold up and
 * down (autogenerate). */
int write_revision_text(retort_project *p, const retort_revision_opts *o, const char *up,
                        const char *down, int transactional, char **path, retort_error *err);

/* ---- phase.c ------------------------------------------------------------ */

/* upgrade over phased revisions: expand, migrate, contract to target. */
int phase_upgrade(retort_project *p, retort_db *db, const char *target, retort_error *err);
/* Is a cycle open (phase rows exist)? expanded: its newest revision. */
int phase_cycle_state(retort_project *p, retort_db *db, const strvec *heads, int *open,
                      char **expanded, retort_error *err);
/* Would an upgrade from heads to target run a phased revision? */
int phase_pending_phased(retort_project *p, const strvec *heads, const char *target);

/* ---- lint.c --------------------------------------------------------------- */

/* Lints every part of the revisions revs (graph indices, in that order)
 * for dialect d, as `retort lint` does (sql/lint.c's rules), without
 * connecting. report (may be NULL) gets the text report: one line per
 * finding that is not allowed ("path:line: error[rule]: message (hint)"),
 * then one per override in use ("path:line: allowed rule"). *blocking
 * counts the findings that must stop a run: errors not allowed, and with
 * strict warnings too. Returns RETORT_EUSAGE (file:line) when a section
 * does not split, else RETORT_OK whatever was found: the caller (expand)
 * refuses when *blocking > 0. */
int lint_project_revisions(retort_project *p, const intvec *revs, dialect d, int strict,
                           sbuf *report, int *blocking, retort_error *err);

/* ---- verify.c ------------------------------------------------------------ */

typedef struct verify_diff {
	char *revision;
	char *problem;
} verify_diff;
typedef struct verify_report {
	verify_diff *v;
	size_t n;
	size_t unchecked; /* applied, but no checksum recorded (Alembic's, stamped) */
} verify_report;
/* Compares applied revisions (from st) with their files. */
/* cycle: the rows of an open expand/migrate/contract cycle (may be NULL),
 * whose revisions are partly applied. */
void verify_collect(const retort_project *p, const store_state *st, const phase_rows *cycle,
                    verify_report *out);
void verify_report_free(verify_report *r);

/* One JSON document (consumed) as indented text with a final newline;
 * caller frees. In json.c. */
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

/* ---- report.c ---------------------------------------------------------- */

/* Alembic's Script._head_only / log_entry formats. */
void report_rev_line(const graph *g, int rev, int include_branches, int include_doc,
                     int include_parents, int tree_indicators, int current, sbuf *out);
void report_rev_verbose(const graph *g, int rev, int current, sbuf *out);

#endif
