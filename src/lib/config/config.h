/*
 * config.h: retort.ini (or settings given without a file) and database
 * URLs, with the password redacted for display.
 */
#ifndef RETORT_CONFIG_H
#define RETORT_CONFIG_H

#include "base/base.h"

/* ---- config.c ---------------------------------------------------------- */

typedef struct config {
	char *path;            /* the file read, or NULL when none */
	char *dir;             /* directory of the file ("." when none) */
	char *script_location; /* resolved against dir */
	char *url;             /* as written (after %(here)s), may be NULL: see
	                        * config_database_url */
	char *version_table;   /* default "retort_version" */
	char *version_table_schema; /* may be NULL */
	int transaction_per_migration; /* default 1 */
	int allow_downgrade;   /* default 1 */
	char *target_schema;   /* may be NULL */
	char *lock;            /* "advisory" (default), "table", "none" */
	int lock_timeout;      /* seconds, default 60 */
	int lock_lease;        /* seconds a table lease lasts unrenewed, default 300 */
	int ddl_lock_timeout;  /* PostgreSQL: seconds a revision's statement may wait for a
	                        * lock (SET LOCAL lock_timeout), default 5; 0: no limit */
	int ddl_lock_retries;  /* times a revision that timed out is retried, default 3 */
} config;

/* path NULL: $RETORT_CONFIG, then ./retort.ini. A missing file is an
 * error (RETORT_EUSAGE) because script_location is required. */
int config_load(config *c, const char *path, retort_error *err);
/* The same from "key = value" settings without a file (NULL-terminated,
 * may be NULL): an embedding application's (SPEC §10). script_location is
 * not needed: the caller gives the revisions. */
int config_from_settings(config *c, const char *const *settings, retort_error *err);
void config_free(config *c);

/* Where the database URL in use came from (SPEC §2's precedence). */
typedef enum url_origin {
	URL_FROM_NONE,
	URL_FROM_OPTION, /* --url, or retort_options.url */
	URL_FROM_ENV,    /* $DATABASE_URL */
	URL_FROM_CONFIG, /* the config's url */
} url_origin;

/* The database URL to use (caller frees; NULL when there is none): option
 * if not empty, else $DATABASE_URL, else the config's url. A relative
 * SQLite path in the config's url is relative to the config file's
 * directory (SPEC §3), and the URL returned says so; one given as option
 * or in the environment stays relative to the working directory, as the
 * user typed it. sqlite:// (memory) and absolute paths are left alone.
 * origin may be NULL. */
char *config_database_url(const config *c, const char *option, url_origin *origin);

/* ---- url.c -------------------------------------------------------------- */

typedef struct db_url {
	char *scheme;   /* "sqlite", "postgresql", "mysql" (aliases normalised) */
	char *path;     /* sqlite: file path or ":memory:" */
	char *conninfo; /* postgresql: URL to hand to libpq (postgres:// → postgresql://) */
	char *redacted; /* the URL with the password replaced by *** */
} db_url;

/* Never puts the password into err. A password containing '@', '/' or
 * '?' must be percent-encoded (see url.c's find_password): such a URL is
 * refused rather than guessed at. libpq keyword strings are refused too. */
int url_parse(const char *url, db_url *out, retort_error *err);
void url_free(db_url *u);
/* The database u names, for a log line (caller frees): a SQLite file's
 * absolute path ("sqlite:////abs/app.db"; a relative one taken from the
 * working directory), else the redacted URL. */
char *url_display(const db_url *u);

#endif
