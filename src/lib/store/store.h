/*
 * store.h: retort's own tables, as typed records: the version table
 * (Alembic's alembic_version shape), retort_history (the audit trail and
 * dirty records) and retort_lock (leases), plus the run lock itself.
 * Every name is qualified with the schema the store resolved when it
 * opened, so a revision that changes search_path cannot redirect
 * retort's writes. History rows carry the version table they belong to,
 * so two projects sharing a database (and retort_history) never see each
 * other's records. All SQL text goes through the dialect (sql/sql.h).
 */
#ifndef RETORT_STORE_H
#define RETORT_STORE_H

#include <signal.h>

#include "core/core.h"
#include "driver/driver.h"

typedef struct store {
	const db_driver *drv;
	const sql_dialect *sql;
	db_conn *conn;
	const db_url *url; /* borrowed: for the heartbeat's and the recorder's connections */
	char *schema;      /* schema of retort's tables; NULL on SQLite */
	char *vt_name;     /* version table, unquoted */
	char *vt;          /* version table, quoted and qualified */
	char *history;     /* retort_history, quoted and qualified */
	char *lock_table;  /* retort_lock, quoted and qualified */
	char *phase_table; /* retort_phase, quoted and qualified */
	char *lock_name;   /* what the run lock locks: [configured schema.]version table */
	char *lock_key;    /* the session lock's key too: [resolved schema.]version table */
	char *who;         /* user@host of this run */
	int history_keyed; /* retort_history has its version_table column */
	int schema_configured; /* version_table_schema named it (it may be missing) */
	/* non-transactional runs: a second connection that records progress
	 * before each statement (opened on first use; NULL = use conn) */
	db_conn *recorder;
} store;

/* Resolves the schema (version_table_schema, or on PostgreSQL the
 * connection's current_schema() now) and the qualified names. */
int store_open(store *s, const db_driver *drv, db_conn *conn, const db_url *url,
               const char *vt_name, const char *vt_schema, retort_error *err);
void store_close(store *s); /* frees names and the recorder; not conn */

/* --sql: names as written, unqualified unless a schema is configured. */
char *store_offline_vt(const sql_dialect *d, const char *vt_name, const char *vt_schema);

/* ---- records -------------------------------------------------------------- */

typedef enum store_op {
	OP_UPGRADE,
	OP_DOWNGRADE,
	OP_STAMP,
	OP_REPAIR,        /* a dirty revision finished by hand: applied */
	OP_REPAIR_UNDO,   /* a dirty revision's partial work undone by hand */
	OP_REPAIR_DOWN,   /* a dirty downgrade finished by hand: not applied */
	OP_ACCEPT,        /* an applied file's new checksum accepted (repair --checksums) */
	OP_EXPAND,        /* SPEC §8: a revision's expand part (or a plain one's upgrade) */
	OP_MIGRATE,       /* its migrate part, all batches */
	OP_CONTRACT,      /* its contract part */
	OP_COUNT
} store_op;
const char *store_op_name(store_op op);

typedef enum hist_state { HS_OK, HS_FAILED, HS_DIRTY, HS_RESOLVED } hist_state;

typedef struct history_row {
	char *revision;
	store_op op;
	char *from, *to;       /* comma-separated version rows / revisions */
	char *checksum;        /* hex SHA-256 of the revision file, or "" */
	char *started_at;      /* "YYYY-MM-DD HH:MM:SS.mmm" UTC */
	long duration_ms;
	int statements;        /* statements that succeeded */
	hist_state state;
	int failed_line;
	char *error;           /* may be NULL */
	char *who;
	/* non-transactional runs: hex SHA-256 of the statements that ran,
	 * so a resume can tell they were not edited; may be NULL */
	char *done_checksum;
} history_row;
void history_row_free(history_row *h);

/* What the store holds for this project, read once (after the lock). */
typedef struct store_state {
	strvec heads;          /* version rows */
	int has_history;
	history_row *dirty;    /* newest unresolved dirty record, or NULL */
	/* newest successful record per revision, stamps excluded (they run
	 * no file); load order of the rows */
	history_row *latest;
	size_t nlatest;
} store_state;
int store_read(store *s, store_state *out, retort_error *err);
/* The same without `latest` (left empty), for runs that never compare
 * checksums (downgrade): one query fewer, over every history row. */
int store_read_heads_dirty(store *s, store_state *out, retort_error *err);
/* Version rows only (read-only reports, `current`). */
int store_heads(store *s, strvec *heads, retort_error *err);
void store_state_free(store_state *st);
const history_row *store_latest(const store_state *st, const char *revision);
/* The one-line refusal every command gives while revision d is dirty. */
int store_dirty_refusal(const graph *g, const history_row *d, retort_error *err);

/* ---- writing ---------------------------------------------------------- */

/* Creates what is missing: schema, version table, retort_history (and
 * adds its version_table column to one made by an older retort). */
int store_ensure(store *s, retort_error *err);
/* CREATE TABLE for the version table (also for --sql). */
char *store_version_create_sql(const sql_dialect *d, const char *vt, const char *vt_name);
/* A step's version-table change as compare-and-set statements: each must
 * change exactly one row. */
void store_version_step_sql(const sql_dialect *d, const char *vt, const plan_step *st,
                            strvec *out);
/* The same for a stamp: rows of cur not in next deleted, new ones inserted
 * (purge: delete all first). */
void store_stamp_sql(const sql_dialect *d, const char *vt, const strvec *cur,
                     const strvec *next, int purge, strvec *out);
char *store_history_insert_sql(const store *s, const history_row *h);
/* Marks the revision's dirty records resolved. */
char *store_history_resolve_sql(const store *s, const char *revision);
/* Runs statements in one transaction (bookkeeping that stands or falls
 * together); those in [cas_from, cas_to) are compare-and-set version
 * changes that must change exactly one row, or all is rolled back. */
int store_exec_tx(store *s, const strvec *sql, size_t cas_from, size_t cas_to,
                  retort_error *err);
/* CREATE SCHEMA for a configured version_table_schema that is missing. */
int store_ensure_schema(store *s, retort_error *err);

/* Progress of a non-transactional step, made durable before each of its
 * statements runs, on a connection of its own where the backend allows
 * one (so it survives the step's connection dying): `dirty` record with
 * the statements done so far and the line of the one about to run. */
int store_progress_begin(store *s, const history_row *h, retort_error *err);
int store_progress_update(store *s, const char *revision, int statements, int next_line,
                          const char *done_checksum, const char *error, retort_error *err);
/* The step finished: its progress record becomes its `ok` row (run in
 * the step's bookkeeping transaction, with the version change). */
char *store_progress_finish_sql(const store *s, const char *revision, int statements,
                                long duration_ms);

/* ---- phases (SPEC §8) ------------------------------------------------- */

/* A revision in an open expand/migrate/contract cycle. Rows exist only
 * while the version table does not name the revision yet: when the
 * version moves past it, its row goes in the same transaction. */
typedef enum phase_state { PH_NONE, PH_EXPANDED, PH_MIGRATED, PH_CONTRACTED } phase_state;

typedef struct phase_row {
	char *revision;
	phase_state state;
	int migrate_done;  /* statements of the migrate part finished */
	long long batches; /* batches of the running batched statement */
	long long rows;    /* rows its batches changed so far */
} phase_row;

typedef struct phase_rows {
	phase_row *v;
	size_t n;
} phase_rows;

const char *phase_state_name(phase_state p);
/* The rows of this version table's cycle (none when the table is missing). */
int store_phase_read(store *s, phase_rows *out, retort_error *err);
void phase_rows_free(phase_rows *r);
const phase_row *phase_find(const phase_rows *r, const char *revision);
/* Creates retort_phase when missing. */
int store_phase_ensure(store *s, retort_error *err);
/* The statements that set a revision's row (delete + insert; run them in
 * the step's transaction), and the one that removes it. */
void store_phase_set_sql(const store *s, const phase_row *row, strvec *out);
char *store_phase_delete_sql(const store *s, const char *revision);

/* ---- lock.c: the run lock (SPEC §7) ----------------------------------- */

typedef struct lease_heartbeat lease_heartbeat;
typedef enum lock_kind { LOCK_NONE, LOCK_SESSION, LOCK_TABLE } lock_kind;

typedef struct run_lock {
	lock_kind kind;
	int held;
	char *token;          /* table lease: this run's id */
	int lease;            /* table lease: seconds */
	long long renewed_ms; /* table lease: when it was last pushed forward */
	lease_heartbeat *hb;  /* table lease: renewing thread, or NULL */
} run_lock;

typedef struct lock_opts {
	const char *kind; /* "advisory", "table", "none" */
	int timeout_s;
	int lease_s;
	volatile sig_atomic_t *interrupted; /* stops the wait (RETORT_EINTR); may be NULL */
} lock_opts;

/* Takes the lock, polling until timeout; on timeout fails
 * (RETORT_R_LOCK_TIMEOUT) naming the holder. Logs when it waits. */
int lock_acquire(store *s, const lock_opts *o, const rt_logger *log, run_lock *lk,
                 retort_error *err);
/* Between steps: fails (RETORT_R_LOCK_LOST) if the lease was taken over;
 * renews it when the heartbeat is not doing so. No-op for other kinds. */
int lock_renew(store *s, run_lock *lk, retort_error *err);
/* Before work that may outlast the lease: starts the heartbeat thread on
 * its own connection (which it reopens if it drops). */
void lock_keep_alive(store *s, run_lock *lk);
void lock_release(store *s, run_lock *lk);
/* `repair --lock`: deletes the lease whoever holds it; says whose it was. */
int lock_force_release(store *s, const lock_opts *o, char **out, retort_error *err);

#endif
