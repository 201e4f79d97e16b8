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
	char *url;             /* may be NULL */
	char *version_table;   /* default "retort_version" */
	char *version_table_schema; /* may be NULL */
	int transaction_per_migration; /* default 1 */
	int allow_downgrade;   /* default 1 */
	char *target_schema;   /* may be NULL */
	char *lock;            /* "advisory" (default), "table", "none" */
	int lock_timeout;      /* seconds, default 60 */
	int lock_lease;        /* seconds a table lease lasts unrenewed, default 300 */
} config;

/* path NULL: $RETORT_CONFIG, then ./retort.ini. A missing file is an
 * error (RETORT_EUSAGE) because script_location is required. */
int config_load(config *c, const char *path, retort_error *err);
void config_free(config *c);

/* ---- url.c -------------------------------------------------------------- */

typedef struct db_url {
	char *scheme;   /* "sqlite", "postgresql", "mysql" (aliases normalised) */
	char *path;     /* sqlite: file path or ":memory:" */
	char *conninfo; /* postgresql: URL to hand to libpq (postgres:// → postgresql://) */
	char *redacted; /* the URL with the password replaced by *** */
} db_url;

/* Never puts the password into err. */
int url_parse(const char *url, db_url *out, retort_error *err);
void url_free(db_url *u);

#endif
