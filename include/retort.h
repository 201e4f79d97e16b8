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

/* Only what this header declares is exported from libretort.so. */
#if defined(RETORT_BUILDING) && defined(__GNUC__)
#define RETORT_API __attribute__((visibility("default")))
#else
#define RETORT_API
#endif

/* ---- status, reasons, errors --------------------------------------------
 * A status is also the CLI's exit code. The reason says which of the
 * things that give that status happened, so a caller can decide without
 * reading the message (which is for people, and may change). */

enum retort_status {
	RETORT_OK = 0,
	RETORT_ERUNTIME = 1, /* database error, failed revision, lock timeout */
	RETORT_EUSAGE = 2,   /* bad flag, unknown target, bad revision file */
	RETORT_EDIFF = 3,    /* check/verify found a difference */
	RETORT_EINTR = 4     /* interrupted by retort_interrupt (the CLI exits 128+signal) */
};

enum retort_reason {
	RETORT_R_NONE = 0,
	RETORT_R_CONFIG,            /* retort.ini or the settings are wrong */
	RETORT_R_URL,               /* missing or malformed database URL */
	RETORT_R_REVISION_FILE,     /* a revision file breaks a rule (file, line) */
	RETORT_R_GRAPH,             /* cycle, duplicate id, unknown parent */
	RETORT_R_TARGET,            /* unknown, ambiguous or impossible target */
	RETORT_R_MULTIPLE_HEADS,    /* "head" named while there are several heads */
	RETORT_R_CONNECT,           /* the database cannot be reached or opened */
	RETORT_R_DATABASE,          /* a statement of retort's own failed */
	RETORT_R_STATEMENT,         /* a revision's statement failed (file, line) */
	RETORT_R_LOCK_TIMEOUT,      /* another run held the run lock past lock_timeout */
	RETORT_R_LOCK_LOST,         /* a lease expired and another run took it over */
	RETORT_R_VERSION_CONFLICT,  /* the version table changed under the run */
	RETORT_R_DIRTY,             /* a dirty revision blocks the run */
	RETORT_R_CHANGED_FILE,      /* an applied revision's file changed (--strict) */
	RETORT_R_UNKNOWN_VERSION,   /* the version table names a revision no file defines */
	RETORT_R_DOWNGRADE_DISABLED,/* allow_downgrade = false */
	RETORT_R_INTERRUPTED,       /* retort_interrupt was called */
	RETORT_R_IO,                /* a file could not be read or written */
	RETORT_R_UNVERSIONED,       /* sync: tables but no version table, no baseline named */
	RETORT_R_OLDER_RELEASE      /* upgrade --release: the database is past that release */
};

typedef struct retort_error {
	int code;           /* a retort_status */
	int reason;         /* a retort_reason */
	char file[1024];    /* file the error is about, or "" */
	int line;           /* line in file, or 0 */
	char message[4096]; /* one line, never contains a password */
} retort_error;

/* Formats "file:line: message" (or just the message) into buf. */
RETORT_API const char *retort_error_format(const retort_error *err, char *buf, size_t size);
/* The reason's name ("lock-timeout", ...), for logs and JSON documents. */
RETORT_API const char *retort_reason_name(int reason);

/* ---- opening a project --------------------------------------------------
 * Option structs carry a version (set it with the _INIT macro) so that
 * later fields can be added without breaking a compiled caller. */

enum retort_log_level { RETORT_LOG_DEBUG, RETORT_LOG_INFO, RETORT_LOG_WARN, RETORT_LOG_ERROR };
typedef void (*retort_log_fn)(void *ud, int level, const char *msg);

/* Progress of a run, from the caller's thread. RETORT_PROGRESS_STATEMENT:
 * a statement starts (done < 0) or ends (done >= 0: 1 ok, 0 failed), so a
 * terminal can show what a long statement is doing. RETORT_PROGRESS_DONE:
 * the run finished its steps (steps, elapsed_ms), for a closing summary. */
enum retort_progress_event {
	RETORT_PROGRESS_STATEMENT = 0,
	RETORT_PROGRESS_DONE = 1,
	RETORT_PROGRESS_BATCH = 2 /* a migrate batch committed (rows, batches, remaining) */
};
typedef struct retort_progress {
	int event;
	const char *revision;
	int statement;  /* 1-based index in the step */
	int statements; /* in the step */
	const char *sql; /* the statement's text */
	int done;
	int steps;            /* DONE: revisions run */
	long long elapsed_ms; /* DONE: how long they took; BATCH: since the statement began */
	long long rows;       /* BATCH: rows changed so far by the batched statement */
	long long batches;    /* BATCH: batches committed */
	long long remaining;  /* BATCH: rows left by its `-- progress:` query; -1 unknown */
} retort_progress;
typedef void (*retort_progress_fn)(void *ud, const retort_progress *pr);

/* A revision file held in memory (name: for messages, e.g. "0001_init.sql"). */
typedef struct retort_revision_text {
	const char *name;
	const char *text;
	size_t len;
} retort_revision_text;

#define RETORT_OPTIONS_VERSION 1
typedef struct retort_options {
	unsigned int version;    /* RETORT_OPTIONS_VERSION */
	const char *config_path; /* NULL: $RETORT_CONFIG, then ./retort.ini (unless a
	                          * revision source below is given) */
	const char *url;         /* NULL: $DATABASE_URL, then the config's url */
	retort_log_fn log;       /* may be NULL */
	void *log_ud;
	int verbose;
	retort_progress_fn progress; /* may be NULL */
	void *progress_ud;
	/* A project without a config file (SPEC §10): revision files from a
	 * directory, or from memory; settings as retort.ini's "key = value"
	 * lines (e.g. "lock = table"), NULL-terminated, may be NULL. */
	const char *versions_dir;
	const retort_revision_text *revisions;
	size_t nrevisions;
	const char *const *settings;
} retort_options;
#define RETORT_OPTIONS_INIT {.version = RETORT_OPTIONS_VERSION}

typedef struct retort_project retort_project;
typedef struct retort_db retort_db;

/* Reads the config (or the settings) and every revision and validates the
 * graph. No database connection is made. */
RETORT_API int retort_project_open(retort_project **out, const retort_options *opts,
                                   retort_error *err);
RETORT_API void retort_project_free(retort_project *p);
/* The directory holding revision files (script_location/versions), or
 * NULL for revisions given in memory. */
RETORT_API const char *retort_project_versions_dir(const retort_project *p);

/* Splits every statement of every revision for the URL's dialect and
 * reports the first broken one (file:line). No connection is made; call
 * it before retort_connect so a broken file never reaches the database. */
RETORT_API int retort_validate(retort_project *p, retort_error *err);

/* 0 when the project's database certainly does not exist yet (a missing
 * SQLite file), so a read-only report need not create it; else 1. */
RETORT_API int retort_database_exists(retort_project *p);

/* Connects to the project's database (URL from options/env/config). */
RETORT_API int retort_connect(retort_project *p, retort_db **out, retort_error *err);
RETORT_API void retort_db_free(retort_db *db);

/* Asks a run on db to stop: the running statement is cancelled on the
 * server (PostgreSQL) or interrupted (SQLite), the step is rolled back
 * (a non-transactional one is left dirty, recorded), the lock released,
 * and the call returns RETORT_EINTR. Async-signal-safe: meant to be
 * called from a SIGINT/SIGTERM handler or another thread. */
RETORT_API void retort_interrupt(retort_db *db);

/* ---- changing the database -------------------------------------------- */

enum retort_format { RETORT_FORMAT_TEXT = 0, RETORT_FORMAT_JSON = 1 };

#define RETORT_RUN_OPTIONS_VERSION 1
typedef struct retort_run_options {
	unsigned int version; /* RETORT_RUN_OPTIONS_VERSION */
	int sql_only; /* render the SQL into *out and touch nothing; db may be NULL;
	               * starts from base unless the target is "from:to" */
	int strict;   /* upgrade: refuse when an applied revision's file changed */
	int purge;    /* stamp: delete every version row first */
	int format;   /* RETORT_FORMAT_JSON: *out gets one result document
	               * (operation, from, to, steps with durations) */
	const char *release; /* upgrade: to the newest revision whose header says
	                      * `release: X.Y.Z` (SPEC §9), instead of target (pass
	                      * NULL or "heads"); unknown: RETORT_EUSAGE listing the
	                      * known ones; one the database is already past, or
	                      * older than its own: RETORT_ERUNTIME with
	                      * RETORT_R_OLDER_RELEASE, nothing run; may be NULL */
} retort_run_options;
#define RETORT_RUN_OPTIONS_INIT {.version = RETORT_RUN_OPTIONS_VERSION}

/* o may be NULL (defaults). *out (caller frees) may be NULL when there is
 * nothing to show. */
RETORT_API int retort_upgrade(retort_project *p, retort_db *db, const char *target,
                              const retort_run_options *o, char **out, retort_error *err);
RETORT_API int retort_downgrade(retort_project *p, retort_db *db, const char *target,
                                const retort_run_options *o, char **out, retort_error *err);
RETORT_API int retort_stamp(retort_project *p, retort_db *db, const char *target,
                            const retort_run_options *o, char **out, retort_error *err);

/* ---- safety ------------------------------------------------------------ */

#define RETORT_CHECK_OPTIONS_VERSION 1
typedef struct retort_check_options {
	unsigned int version; /* RETORT_CHECK_OPTIONS_VERSION */
	int format;
} retort_check_options;
#define RETORT_CHECK_OPTIONS_INIT {.version = RETORT_CHECK_OPTIONS_VERSION}

/* Lists applied revisions whose file changed since it was applied, or is
 * missing, and says how many were applied without a recorded checksum,
 * into *out (caller frees); RETORT_EDIFF when a file changed or is missing.
 * JSON: {"ok", "differences": [{"revision", "problem"}], "unchecked"}. */
RETORT_API int retort_verify(retort_project *p, retort_db *db, const retort_check_options *o,
                             char **out, retort_error *err);

#define RETORT_REPAIR_OPTIONS_VERSION 1
typedef struct retort_repair_options {
	unsigned int version; /* RETORT_REPAIR_OPTIONS_VERSION */
	int applied;      /* the dirty revision was finished by hand: the version moves */
	int release_lock; /* delete the `lock = table` lease, whoever holds it */
	int checksums;    /* accept the current files of applied revisions: record
	                   * their checksums (Flyway's repair), for intended edits */
	int format;
} retort_repair_options;
#define RETORT_REPAIR_OPTIONS_INIT {.version = RETORT_REPAIR_OPTIONS_VERSION}

/* Without flags: clears a dirty record left by a failed non-transactional
 * revision after a human undid its partial work (the next run runs it
 * again). Describes what it did in *out. */
RETORT_API int retort_repair(retort_project *p, retort_db *db, const retort_repair_options *o,
                             char **out, retort_error *err);

/* The database's current heads (version rows), as a NULL-terminated array
 * that the caller frees with retort_strings_free. */
RETORT_API int retort_current_heads(retort_project *p, retort_db *db, char ***heads,
                                    retort_error *err);
RETORT_API void retort_strings_free(char **v);

/* ---- reports: exactly what the CLI prints (Alembic's format), or JSON - */

#define RETORT_REPORT_OPTIONS_VERSION 1
typedef struct retort_report_options {
	unsigned int version; /* RETORT_REPORT_OPTIONS_VERSION */
	int verbose;
	int format;
	int indicate_current;     /* history */
	int resolve_dependencies; /* heads */
} retort_report_options;
#define RETORT_REPORT_OPTIONS_INIT {.version = RETORT_REPORT_OPTIONS_VERSION}

RETORT_API int retort_report_current(retort_project *p, retort_db *db,
                                     const retort_report_options *o, char **out,
                                     retort_error *err);
/* `version`: current's lines, each followed by " (release X.Y.Z)" when
 * the revision or its nearest ancestor has a `release:` header; JSON adds
 * "release" and "release_revision" (null without one). */
RETORT_API int retort_report_version(retort_project *p, retort_db *db,
                                     const retort_report_options *o, char **out,
                                     retort_error *err);
RETORT_API int retort_report_history(retort_project *p, retort_db *db, const char *range,
                                     const retort_report_options *o, char **out,
                                     retort_error *err);
RETORT_API int retort_report_heads(retort_project *p, const retort_report_options *o,
                                   char **out, retort_error *err);
RETORT_API int retort_report_branches(retort_project *p, const retort_report_options *o,
                                      char **out, retort_error *err);
/* rev "current" shows the revisions the version table names (db required
 * then, as in Alembic's `show current`); otherwise db may be NULL. */
RETORT_API int retort_report_show(retort_project *p, retort_db *db, const char *rev,
                                  const retort_report_options *o, char **out,
                                  retort_error *err);

/* ---- zero-downtime phases (SPEC §8) ------------------------------------ */

#define RETORT_PHASE_OPTIONS_VERSION 2
typedef struct retort_phase_options {
	unsigned int version; /* RETORT_PHASE_OPTIONS_VERSION */
	int format;
	const char *target;   /* NULL: heads */
	long batch_size;      /* migrate: replaces :batch_size; the first (and
	                       * smallest) batch's size when batches are timed
	                       * (0: 1000) */
	int batch_pause_ms;   /* migrate: pause between batches */
	int strict;           /* expand: lint's warnings refuse the run too */
	/* version 2: migrate sizes each batch so that its statement works
	 * about this long (its locks are held from then to the COMMIT right
	 * after), from batch_size up. 0: RETORT_BATCH_TIME_MS, unless
	 * batch_size is set, which then fixes every batch's size; < 0: fixed
	 * size. A version-1 struct gets the default: timed batches, unless
	 * batch_size is set. */
	int batch_time_ms;
} retort_phase_options;
#define RETORT_BATCH_TIME_MS 50
#define RETORT_PHASE_OPTIONS_INIT {.version = RETORT_PHASE_OPTIONS_VERSION}

/* expand: the expand parts of the pending revisions (a plain revision's
 * upgrade), each in its own transaction with its phase state. migrate:
 * the migrate parts of expanded revisions, batch by batch; resumable.
 * contract: the contract parts; refused (RETORT_ERUNTIME) while an
 * expanded revision has not finished migrating. The version table moves
 * only over revisions that are complete. */
RETORT_API int retort_expand(retort_project *p, retort_db *db, const retort_phase_options *o,
                             char **out, retort_error *err);
RETORT_API int retort_migrate(retort_project *p, retort_db *db, const retort_phase_options *o,
                              char **out, retort_error *err);
RETORT_API int retort_contract(retort_project *p, retort_db *db, const retort_phase_options *o,
                               char **out, retort_error *err);

/* ---- graph: the revision graph as a picture description --------------- */

enum retort_graph_style { RETORT_GRAPH_DOT = 0, RETORT_GRAPH_MERMAID = 1 };

#define RETORT_GRAPH_OPTIONS_VERSION 1
typedef struct retort_graph_options {
	unsigned int version; /* RETORT_GRAPH_OPTIONS_VERSION */
	int format;           /* RETORT_FORMAT_JSON: {"connected", "nodes": [{"revision",
	                       * "message", "down_revisions", "branch_labels", "release",
	                       * "is_head", "is_branch_point", "is_merge_point",
	                       * "current"}], "edges": [{"from", "to", "kind"}]} */
	int style;            /* text: a retort_graph_style (default dot) */
} retort_graph_options;
#define RETORT_GRAPH_OPTIONS_INIT {.version = RETORT_GRAPH_OPTIONS_VERSION}

/* One node per revision (id, marks, message, branch labels, release) in
 * walk order, edges parent -> child (depends_on dashed), heads, branch
 * points and merge points by shape and class; with db (may be NULL), the
 * revisions its version table names are marked current. */
RETORT_API int retort_graph(retort_project *p, retort_db *db, const retort_graph_options *o,
                            char **out, retort_error *err);

/* ---- schemas: autogenerate, check, describe, test ---------------------- */

/* Exit-3 style comparison: RETORT_EDIFF when the database is behind its
 * head or, with target_schema set, differs from it; *out lists each
 * pending revision ("pending ID") and each difference, one per line.
 * JSON: {"ok", "up_to_date", "current", "pending", "target_schema",
 * "differences": [{"kind", "table", "name", "text"}]}. */
RETORT_API int retort_check(retort_project *p, retort_db *db, const retort_check_options *o,
                            char **out, retort_error *err);

#define RETORT_SCHEMA_OPTIONS_VERSION 1
typedef struct retort_schema_options {
	unsigned int version; /* RETORT_SCHEMA_OPTIONS_VERSION */
	int format;
	const char *table;    /* NULL: every table, view, type and sequence */
} retort_schema_options;
#define RETORT_SCHEMA_OPTIONS_INIT {.version = RETORT_SCHEMA_OPTIONS_VERSION}

/* A psql-\d-like description of the live database (or JSON) in *out. */
RETORT_API int retort_schema(retort_project *p, retort_db *db, const retort_schema_options *o,
                             char **out, retort_error *err);

/* On a scratch database beside db's (a temporary SQLite file, a temporary
 * PostgreSQL database): every revision upgraded, downgraded and upgraded
 * again, the schema compared after each step, and at head compared with
 * target_schema when set. *out: a TAP-like report; RETORT_EDIFF when a
 * revision failed. db itself is never changed. */
RETORT_API int retort_test(retort_project *p, retort_db *db, const retort_check_options *o,
                           char **out, retort_error *err);

/* ---- sync: an unversioned database under version control (SPEC §9) ---- */

#define RETORT_SYNC_OPTIONS_VERSION 1
typedef struct retort_sync_options {
	unsigned int version; /* RETORT_SYNC_OPTIONS_VERSION */
	int format;           /* RETORT_FORMAT_JSON: {"operation": "sync", "state":
	                       * "versioned"|"empty"|"unversioned", "tables",
	                       * "baseline", "stamp", "upgrade"} */
	const char *baseline; /* the revision an unversioned database's schema is
	                       * at: stamped, then upgraded from; may be NULL */
} retort_sync_options;
#define RETORT_SYNC_OPTIONS_INIT {.version = RETORT_SYNC_OPTIONS_VERSION}

/* With a version table: retort_upgrade to target (NULL: heads). Without
 * one and without user tables (retort's own do not count): created and
 * upgraded from base. Without one but with tables: stamps o->baseline and
 * upgrades, or without a baseline refuses (RETORT_ERUNTIME,
 * RETORT_R_UNVERSIONED) and changes nothing. Never a guess. */
RETORT_API int retort_sync(retort_project *p, retort_db *db, const char *target,
                           const retort_sync_options *o, char **out, retort_error *err);

/* ---- lint: operations unsafe for a live database (SPEC §8) ------------- */

#define RETORT_LINT_OPTIONS_VERSION 1
typedef struct retort_lint_options {
	unsigned int version; /* RETORT_LINT_OPTIONS_VERSION */
	int format;           /* RETORT_FORMAT_JSON: {"ok", "dialect", "revisions",
	                       * "findings": [{"rule", "severity", "file", "line",
	                       * "message", "hint", "allowed"}], "overrides": [{"rule",
	                       * "file", "line", "comment_line"}]} */
	int strict;           /* warnings fail too */
	const char *const *revisions; /* NULL-terminated targets (ids, prefixes, labels,
	                               * heads...); NULL or empty: every revision */
	const char *explain;  /* a rule's name: *out gets its documentation, nothing
	                       * is linted (p may be NULL); unknown: RETORT_EUSAGE
	                       * listing the rules */
} retort_lint_options;
#define RETORT_LINT_OPTIONS_INIT {.version = RETORT_LINT_OPTIONS_VERSION}

/* Every part of the chosen revisions through the named rules, for the
 * dialect of the project's URL (PostgreSQL without one), without
 * connecting: errors (destructive for the running release) in expand
 * parts and plain upgrades; warnings (locking hazards) on PostgreSQL; a
 * `-- lint: allow RULE` comment on a statement overrides RULE there.
 * *out: one line per finding, "path:line: error[rule]: message (hint)",
 * then "path:line: allowed rule" per override in use. RETORT_EDIFF when a
 * finding that is not allowed is an error (or, with strict, a warning);
 * RETORT_EUSAGE when a file does not split or a target is unknown. */
RETORT_API int retort_lint(retort_project *p, const retort_lint_options *o, char **out,
                           retort_error *err);

/* ---- writing revision files -------------------------------------------- */

#define RETORT_REVISION_OPTIONS_VERSION 1
typedef struct retort_revision_opts {
	unsigned int version;     /* RETORT_REVISION_OPTIONS_VERSION */
	const char *message;
	const char *rev_id;       /* NULL: 12 random hex digits */
	const char *head;         /* NULL: "head" */
	int splice;
	const char *branch_label; /* may be NULL */
	const char *depends_on;   /* comma-separated, may be NULL */
	const char *const *merge_of; /* for merge: NULL-terminated list of targets */
	int phased;               /* write +expand/+migrate/+contract sections */
} retort_revision_opts;
#define RETORT_REVISION_OPTIONS_INIT {.version = RETORT_REVISION_OPTIONS_VERSION}

/* Writes the file and returns its path in *path (caller frees). */
RETORT_API int retort_revision(retort_project *p, const retort_revision_opts *o, char **path,
                               retort_error *err);
/* A revision whose upgrade and downgrade turn the database (which must
 * be at head) into target_schema and back; "Detected ..." log lines say
 * what was found. */
RETORT_API int retort_autogenerate(retort_project *p, retort_db *db,
                                   const retort_revision_opts *o, char **path,
                                   retort_error *err);
RETORT_API int retort_merge(retort_project *p, const retort_revision_opts *o, char **path,
                            retort_error *err);

/* Creates DIR/retort.ini and DIR/migrations/versions. */
RETORT_API int retort_init(const char *dir, retort_error *err);

#ifdef __cplusplus
}
#endif
#endif
