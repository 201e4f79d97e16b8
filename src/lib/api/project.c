/*
 * project.c: opening a project (config + revision files + validated graph,
 * no database) and connecting to its database. URL precedence is
 * --url > $DATABASE_URL > the config's url (SPEC §2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"

/* Revisions given in memory: each parsed as a file of that name. */
static int load_texts(const retort_options *o, revision ***out, size_t *n, retort_error *err)
{
	*out = xcalloc(o->nrevisions ? o->nrevisions : 1, sizeof(**out));
	*n = 0;
	for (size_t i = 0; i < o->nrevisions; i++) {
		const retort_revision_text *t = &o->revisions[i];
		if (!t->text)
			return rt_fail(err, RETORT_EUSAGE, RETORT_R_REVISION_FILE, t->name, 0,
			               "revision %zu has no text", i + 1);
		int rc = script_parse(t->name ? t->name : "(memory)", t->text,
		                      t->len ? t->len : strlen(t->text), &(*out)[*n], err);
		if (rc)
			return rc;
		(*n)++;
	}
	return RETORT_OK;
}

int retort_project_open(retort_project **out, const retort_options *opts, retort_error *err)
{
	retort_options none = RETORT_OPTIONS_INIT;
	if (!opts)
		opts = &none;
	*out = NULL;
	retort_project *p = xcalloc(1, sizeof(*p));
	p->log = (rt_logger){opts->log, opts->log_ud, opts->verbose};
	p->progress = opts->progress;
	p->progress_ud = opts->progress_ud;
	/* An embedding application that names its revisions needs no file;
	 * an explicit config_path still wins. */
	int no_file = (!opts->config_path || !*opts->config_path) &&
	              ((opts->versions_dir && *opts->versions_dir) || opts->revisions);
	int rc = no_file ? config_from_settings(&p->cfg, opts->settings, err)
	                 : config_load(&p->cfg, opts->config_path, err);
	if (rc)
		goto fail;
	p->url = config_database_url(&p->cfg, opts->url, NULL);
	if (opts->versions_dir && *opts->versions_dir)
		p->versions_dir = xstrdup(opts->versions_dir);
	else if (!no_file)
		p->versions_dir = xasprintf("%s/versions", p->cfg.script_location);

	revision **revs = NULL;
	size_t n = 0;
	if (p->versions_dir)
		rc = script_load_dir(p->versions_dir, &revs, &n, err);
	else
		rc = load_texts(opts, &revs, &n, err);
	if (rc && err && !err->reason)
		err->reason = RETORT_R_REVISION_FILE;
	if (rc) {
		for (size_t i = 0; !p->versions_dir && i < n; i++)
			revision_free(revs[i]);
		if (!p->versions_dir)
			free(revs);
		goto fail;
	}
	rc = graph_build(&p->g, revs, n, err);
	if (rc && err && !err->reason)
		err->reason = RETORT_R_GRAPH;
	if (rc)
		goto fail;
	stmt_cache_init(&p->cache, &p->g);
	*out = p;
	return RETORT_OK;
fail:
	retort_project_free(p);
	return rc;
}

void retort_project_free(retort_project *p)
{
	if (!p)
		return;
	stmt_cache_free(&p->cache);
	config_free(&p->cfg);
	graph_free(&p->g);
	free(p->versions_dir);
	free(p->url);
	free(p);
}

const char *retort_project_versions_dir(const retort_project *p)
{
	return p->versions_dir;
}

int project_url(const retort_project *p, db_url *out, retort_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!p->url)
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_URL, NULL, 0,
		               "no database URL: pass --url, set DATABASE_URL, or set 'url' in %s",
		                p->cfg.path ? p->cfg.path : "retort.ini");
	return url_parse(p->url, out, err);
}

int retort_database_exists(retort_project *p)
{
	db_url u;
	retort_error ignored;
	if (project_url(p, &u, &ignored) != RETORT_OK)
		return 0;
	int exists = 1;
	if (strcmp(u.scheme, "sqlite") == 0)
		exists = u.path && strcmp(u.path, ":memory:") != 0 && access(u.path, F_OK) == 0;
	url_free(&u);
	return exists;
}

static void wait_notice(void *ud, const char *msg)
{
	rt_log(ud, RETORT_LOG_INFO, "%s", msg);
}

static int connect_parsed(retort_project *p, retort_db *db, retort_db **out, retort_error *err);

int retort_connect(retort_project *p, retort_db **out, retort_error *err)
{
	*out = NULL;
	retort_db *db = xcalloc(1, sizeof(*db));
	int rc = project_url(p, &db->url, err);
	if (rc) {
		retort_db_free(db);
		return rc;
	}
	return connect_parsed(p, db, out, err);
}

int project_connect_url(retort_project *p, const char *url, retort_db **out, retort_error *err)
{
	*out = NULL;
	retort_db *db = xcalloc(1, sizeof(*db));
	int rc = url_parse(url, &db->url, err);
	if (rc) {
		retort_db_free(db);
		return rc;
	}
	return connect_parsed(p, db, out, err);
}

static int connect_parsed(retort_project *p, retort_db *db, retort_db **out, retort_error *err)
{
	int rc;
	char *shown = url_display(&db->url);
	rt_log(&p->log, RETORT_LOG_DEBUG, "Database: %s", shown);
	free(shown);
	db->drv = driver_for(&db->url);
	if (!db->drv) {
		rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_URL, NULL, 0, "no driver for %s URLs yet (%s)",
		              db->url.scheme, db->url.redacted);
		goto fail;
	}
	rc = db->drv->connect(&db->url, &db->conn, err);
	if (rc)
		goto fail;
	if (db->drv->set_lock_wait)
		db->drv->set_lock_wait(db->conn, p->cfg.lock_timeout * 1000);
	if (db->drv->set_wait_notice)
		db->drv->set_wait_notice(db->conn, wait_notice, &p->log);
	rc = store_open(&db->st, db->drv, db->conn, &db->url, p->cfg.version_table,
	                p->cfg.version_table_schema, err);
	if (rc)
		goto fail;
	rt_log(&p->log, RETORT_LOG_INFO, "Context impl %s.", db->drv->sql->impl_name);
	rt_log(&p->log, RETORT_LOG_INFO, "Will assume %s DDL.",
	       db->drv->sql->transactional_ddl ? "transactional" : "non-transactional");
	*out = db;
	return RETORT_OK;
fail:
	retort_db_free(db);
	return rc;
}

void retort_db_free(retort_db *db)
{
	if (!db)
		return;
	store_close(&db->st);
	if (db->conn)
		db->drv->close(db->conn);
	url_free(&db->url);
	free(db);
}

void retort_strings_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int retort_current_heads(retort_project *p, retort_db *db, char ***heads, retort_error *err)
{
	(void)p;
	strvec cur = STRVEC_INIT;
	int rc = store_heads(&db->st, &cur, err);
	if (rc) {
		sv_free(&cur);
		return rc;
	}
	char **v = xcalloc(cur.n + 1, sizeof(char *));
	for (size_t i = 0; i < cur.n; i++)
		v[i] = cur.v[i];
	free(cur.v);
	*heads = v;
	return RETORT_OK;
}

lock_opts project_lock_opts(const retort_project *p)
{
	return (lock_opts){p->cfg.lock, p->cfg.lock_timeout, p->cfg.lock_lease, NULL};
}

run_ctx project_run_ctx(retort_project *p, retort_db *db, run_lock *lk, run_result *res)
{
	return (run_ctx){.g = &p->g,
	                 .cache = &p->cache,
	                 .log = &p->log,
	                 .progress = p->progress,
	                 .progress_ud = p->progress_ud,
	                 .per_step = p->cfg.transaction_per_migration,
	                 .st = db ? &db->st : NULL,
	                 .lk = lk,
	                 .interrupted = db ? &db->interrupted : NULL,
	                 .result = res,
	                 .ddl_lock_timeout = p->cfg.ddl_lock_timeout,
	                 .ddl_lock_retries = p->cfg.ddl_lock_retries};
}

/* Async-signal-safe: a store to a sig_atomic_t and the driver's cancel
 * (PQcancel, sqlite3_interrupt), nothing that allocates or locks. */
void retort_interrupt(retort_db *db)
{
	if (!db)
		return;
	db->interrupted = 1;
	if (db->drv && db->drv->cancel && db->conn)
		db->drv->cancel(db->conn);
}

int retort_validate(retort_project *p, retort_error *err)
{
	db_url u;
	int rc = project_url(p, &u, err);
	const db_driver *drv = rc ? NULL : driver_for(&u);
	url_free(&u);
	if (rc || !drv)
		return RETORT_OK; /* connecting will report the URL's problem */
	for (size_t i = 0; i < p->g.n; i++)
		for (int sec = 0; sec < SEC_COUNT; sec++) {
			const stmt_list *l;
			rc = stmt_cache_get(&p->cache, (int)i, sec, drv->sql->kind, &l, err);
			if (rc)
				return rc;
		}
	return RETORT_OK;
}
