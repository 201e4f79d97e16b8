/*
 * driver.h: the backend interface. A driver is a table of functions over an
 * opaque connection; the rest of the library knows nothing of libpq or
 * sqlite3. Errors carry the database's own message.
 */
#ifndef RETORT_DRIVER_H
#define RETORT_DRIVER_H

#include <signal.h>

#include "config/config.h"
#include "schema/schema.h"
#include "sql/sql.h"

typedef struct db_conn db_conn; /* private to each driver */

typedef struct db_driver {
	const char *name;      /* "sqlite", "postgresql" */
	const sql_dialect *sql; /* the SQL text this backend speaks */
	/* A second connection from the same process works alongside the
	 * first while it holds a write transaction (PostgreSQL: yes; SQLite:
	 * no, a writer excludes other writers). The lease heartbeat needs it. */
	int concurrent_writers;

	int (*connect)(const db_url *u, db_conn **out, retort_error *err);
	void (*close)(db_conn *c);
	/* Runs one statement. rows: rows changed (INSERT/UPDATE/DELETE), may be
	 * NULL. On failure returns RETORT_ERUNTIME with the database's message. */
	int (*exec)(db_conn *c, const char *sql, long *rows, retort_error *err);
	/* Runs a query and appends the first column of every row (NULL -> ""). */
	int (*query_col)(db_conn *c, const char *sql, strvec *out, retort_error *err);
	/* Does schema.table exist? schema NULL or "" = default search path. */
	int (*table_exists)(db_conn *c, const char *schema, const char *table, int *exists,
	                    retort_error *err);
	/* Runs a query; appends every cell, row by row, to cells (NULL -> "")
	 * and sets *ncols. */
	int (*query)(db_conn *c, const char *sql, strvec *cells, int *ncols, retort_error *err);
	/* Session-scoped run lock (SPEC §7): PostgreSQL's advisory lock,
	 * SQLite's lock on the database file. Sets *taken to 0 when another
	 * session holds it (the caller polls). The lock goes with the
	 * connection, so a killed process never leaves it behind. */
	int (*try_lock)(db_conn *c, const char *name, int *taken, retort_error *err);
	void (*unlock)(db_conn *c, const char *name);
	/* Who holds the run lock, for the timeout message; NULL if unknown.
	 * set_holder publishes ours where lock_holder can see it (may be NULL). */
	char *(*lock_holder)(db_conn *c, const char *name);
	void (*set_holder)(db_conn *c, const char *holder);

	/* How long to wait for locks the database itself holds (SQLite's
	 * busy timeout), from lock_timeout. NULL: nothing to set. */
	void (*set_lock_wait)(db_conn *c, int ms);
	/* Where to say, once per wait, that the database's own lock keeps us
	 * waiting (fn runs on the caller's thread). NULL: never waits so. */
	void (*set_wait_notice)(db_conn *c, void (*fn)(void *ud, const char *msg), void *ud);

	/* Stops the statement running on c, from a signal handler or another
	 * thread: must be async-signal-safe. NULL: cannot. */
	void (*cancel)(db_conn *c);
	/* While stop is not NULL, a statement that reaches the database when
	 * *stop is already set is cancelled there too: a cancel that came
	 * between the caller's last look at the flag and the statement's
	 * start would otherwise find nothing to stop. NULL: cannot. */
	void (*watch)(db_conn *c, const volatile sig_atomic_t *stop);

	/* Replaces connection secrets (the password) in text the caller is
	 * about to show, e.g. a failing statement that quotes it. NULL: none. */
	void (*redact)(db_conn *c, sbuf *text);

	/* Describes the user objects of one schema (PostgreSQL: schema NULL
	 * = current_schema(); SQLite: "main") into out, which the caller has
	 * initialised with sch_model_init. Tables named in skip (retort's
	 * own) and everything belonging to them are left out. A few
	 * set-based catalog queries, never one per table. */
	int (*inspect)(db_conn *c, const char *schema, const strvec *skip, sch_model *out,
	               retort_error *err);
	/* Where in the statement text the last failure was, as a 0-based
	 * byte offset, or -1 when the database did not say (so an error in
	 * a multi-line statement can name its own line). */
	int (*error_offset)(db_conn *c);
	/* Did the last failure come from waiting too long for a lock the
	 * session did not get (PostgreSQL's lock_timeout, SQLSTATE 55P03)? */
	int (*lock_timed_out)(db_conn *c);
	/* Who holds up a lock wait, for the message (the oldest other open
	 * transaction: pid, user, state, age, query); NULL if unknown. */
	char *(*blocker)(db_conn *c);
} db_driver;

extern const db_driver driver_sqlite;
extern const db_driver driver_pg;

/* The running SQLite library's version number (3045001 for 3.45.1): what
 * its ALTER TABLE can do. */
int driver_sqlite_version(void);

/* Picks the driver for a parsed URL; NULL if the scheme has none. */
const db_driver *driver_for(const db_url *u);

#endif
