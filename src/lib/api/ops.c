/*
 * ops.c: the state-changing commands of the public API (upgrade,
 * downgrade, stamp): read the database's heads, ask the planner for the
 * steps, then run them or render them as SQL. Offline (--sql) runs never
 * connect: like Alembic they start from base or from the "from:" part of a
 * "from:to" target.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

enum { OP_UPGRADE, OP_DOWNGRADE, OP_STAMP };
enum { RUN_SQL_ONLY = 1, RUN_PURGE = 2, RUN_STRICT = 4, RUN_JSON = 8 };

/* Offline "from:to": the from part names the starting version rows. */
static int offline_start(retort_project *p, const char **target, char **own_target,
                         strvec *cur, retort_error *err)
{
	const char *colon = strchr(*target, ':');
	if (!colon)
		return RETORT_OK;
	char *from = xstrndup(*target, (size_t)(colon - *target));
	*own_target = xstrdup(colon + 1);
	*target = *own_target;
	int rc = RETORT_OK;
	if (*from && strcmp(from, "base") != 0) {
		intvec revs = INTVEC_INIT;
		intvec none = INTVEC_INIT;
		rc = target_resolve(&p->g, &none, from, 1, &revs, err);
		for (size_t i = 0; !rc && i < revs.n; i++)
			sv_push(cur, p->g.revs[revs.v[i]]->id);
		iv_free(&revs);
	}
	free(from);
	return rc;
}

/* --sql: the URL's dialect, without connecting (SQLite's without a URL). */
static int offline_dialect(retort_project *p, const sql_dialect **d, retort_error *err)
{
	*d = &dialect_sqlite;
	if (!p->url)
		return RETORT_OK;
	db_url u;
	int rc = project_url(p, &u, err);
	const sql_dialect *found = rc ? NULL : dialect_for_scheme(u.scheme);
	if (found)
		*d = found;
	url_free(&u);
	return rc;
}

static int stamp_plan(retort_project *p, const strvec *cur, const char *target, int purge,
                      plan *pl, retort_error *err)
{
	strvec next = STRVEC_INIT;
	int rc = plan_stamp(&p->g, cur, target, purge, &next, err);
	if (rc) {
		sv_free(&next);
		return rc;
	}
	sv_copy(&pl->final_heads, &next);
	sv_free(&next);
	return RETORT_OK;
}

/* A stamp changes only the version table; written as one transaction. */
static void stamp_sql(const char *vt, const strvec *cur, const plan *pl, int purge, strvec *sql)
{
	if (purge)
		sv_push_owned(sql, xasprintf("DELETE FROM %s", vt));
	for (size_t i = 0; !purge && i < cur->n; i++)
		if (sv_index(&pl->final_heads, cur->v[i]) < 0) {
			char *lit = dialect_literal(&dialect_pg, cur->v[i]);
			sv_push_owned(sql, xasprintf("DELETE FROM %s WHERE version_num = %s", vt, lit));
			free(lit);
		}
	for (size_t i = 0; i < pl->final_heads.n; i++)
		if (purge || sv_index(cur, pl->final_heads.v[i]) < 0) {
			char *lit = dialect_literal(&dialect_pg, pl->final_heads.v[i]);
			sv_push_owned(sql, xasprintf("INSERT INTO %s (version_num) VALUES (%s)", vt, lit));
			free(lit);
		}
}

/* The steps an operation takes from the version rows `cur`. */
static int plan_for(retort_project *p, int op, const strvec *cur, const char *target, int flags,
                    plan *pl, retort_error *err)
{
	if (op == OP_UPGRADE)
		return plan_upgrade(&p->g, cur, target, pl, err);
	if (op == OP_DOWNGRADE)
		return plan_downgrade(&p->g, cur, target, pl, err);
	return stamp_plan(p, cur, target, flags & RUN_PURGE, pl, err);
}

/* Bookkeeping statements (version rows, history) that stand or fall together. */
static int exec_in_transaction(retort_db *db, const strvec *sql, retort_error *err)
{
	int rc = db->drv->exec(db->conn, db->drv->sql->begin, NULL, err);
	for (size_t i = 0; !rc && i < sql->n; i++)
		rc = db->drv->exec(db->conn, sql->v[i], NULL, err);
	if (!rc)
		return db->drv->exec(db->conn, "COMMIT", NULL, err);
	retort_error ignored;
	db->drv->exec(db->conn, "ROLLBACK", NULL, &ignored);
	return rc;
}

static int run_stamp(retort_project *p, retort_db *db, const strvec *cur, const plan *pl,
                     int purge, retort_error *err)
{
	strvec sql = STRVEC_INIT;
	stamp_sql(db->vt, cur, pl, purge, &sql);
	sbuf from = SBUF_INIT, to = SBUF_INIT;
	sv_join(&from, cur, ", ");
	sv_join(&to, &pl->final_heads, ", ");
	rt_log(&p->log, RETORT_LOG_INFO, "Running stamp_revision %s -> %s", sb_str(&from), sb_str(&to));
	char started[40];
	now_utc(started, sizeof(started));
	history_rec h = {.revision = pl->final_heads.n ? pl->final_heads.v[0] : "<base>",
	                 .operation = "stamp",
	                 .from = sb_str(&from),
	                 .to = sb_str(&to),
	                 .checksum = "",
	                 .started_at = started,
	                 .success = 1,
	                 .state = "ok"};
	sv_push_owned(&sql, history_insert_sql(db, &h));
	int rc = exec_in_transaction(db, &sql, err);
	sb_free(&from);
	sb_free(&to);
	sv_free(&sql);
	return rc;
}

static char *quoted_vt(retort_project *p, dialect d)
{
	char *vt = dialect_ident(&dialect_pg, p->cfg.version_table);
	if (p->cfg.version_table_schema && d == DIALECT_PG) {
		char *qs = dialect_ident(&dialect_pg, p->cfg.version_table_schema);
		char *full = xasprintf("%s.%s", qs, vt);
		free(qs);
		free(vt);
		vt = full;
	}
	return vt;
}

/* --sql: render without connecting, like Alembic's offline mode. */
static int offline(retort_project *p, int op, const char *target, int flags, char **out,
                   retort_error *err)
{
	strvec cur = STRVEC_INIT;
	plan pl = {0};
	char *own_target = NULL, *vt = NULL;
	sbuf sql = SBUF_INIT;
	int rc = RETORT_OK;
	if (op == OP_DOWNGRADE && !strchr(target, ':'))
		return rt_error(err, RETORT_EUSAGE, NULL, 0,
		                "downgrade with --sql requires <fromrev>:<torev>");
	rc = offline_start(p, &target, &own_target, &cur, err);
	if (!rc)
		rc = plan_for(p, op, &cur, target, flags, &pl, err);
	const sql_dialect *sd = &dialect_sqlite;
	if (!rc)
		rc = offline_dialect(p, &sd, err);
	if (rc)
		goto done;
	dialect d = sd->kind;
	rt_log(&p->log, RETORT_LOG_INFO, "Context impl %s.", sd->impl_name);
	rt_log(&p->log, RETORT_LOG_INFO, "Generating static SQL");
	vt = quoted_vt(p, d);
	if (cur.n == 0) {
		if (p->cfg.version_table_schema && d == DIALECT_PG) {
			char *qs = dialect_ident(&dialect_pg, p->cfg.version_table_schema);
			sb_addf(&sql, "CREATE SCHEMA IF NOT EXISTS %s;\n\n", qs);
			free(qs);
		}
		char *create = version_create_sql(vt, p->cfg.version_table);
		sb_addf(&sql, "%s;\n\n", create);
		free(create);
	}
	if (op == OP_STAMP) {
		strvec st = STRVEC_INIT;
		stamp_sql(vt, &cur, &pl, flags & RUN_PURGE, &st);
		for (size_t i = 0; i < st.n; i++)
			sb_addf(&sql, "%s;\n\n", st.v[i]);
		sv_free(&st);
	} else {
		rc = run_plan(p, NULL, d, &pl, &sql, vt, NULL, 0, err);
	}
	if (!rc && out)
		*out = sb_detach(&sql);
done:
	free(vt);
	sv_free(&cur);
	plan_free(&pl);
	free(own_target);
	sb_free(&sql);
	return rc;
}

/* A dirty revision blocks everything but its own retry with a fixed file,
 * which resumes at the failed statement. Sets *resume for that retry. */
static int check_dirty(retort_project *p, retort_db *db, const plan *pl, int *resume,
                       retort_error *err)
{
	dirty_rec d;
	int found = 0;
	*resume = 0;
	int rc = history_dirty(db, &d, &found, err);
	if (rc || !found)
		return rc;
	int k = graph_find(&p->g, d.revision);
	const revision *r = k >= 0 ? p->g.revs[k] : NULL;
	char now[65] = "";
	if (r)
		sha_hex(r->sha256, now);
	int same_step = r && pl->n && pl->v[0].rev == k &&
	                (pl->v[0].upgrade ? strcmp(d.operation, "upgrade") == 0
	                                  : strcmp(d.operation, "downgrade") == 0);
	if (same_step && strcmp(now, d.checksum) != 0) {
		/* Resuming at statement n+1 is only right if statements 1..n are
		 * still the ones that ran. */
		char sum[65] = "";
		if (d.statements > 0 && d.done_checksum && *d.done_checksum)
			rc = run_done_checksum(p, &pl->v[0], db->drv->sql->kind, d.statements, sum, err);
		int one = d.statements == 1;
		if (!rc && *sum && strcmp(sum, d.done_checksum) != 0)
			rc = rt_error(err, RETORT_ERUNTIME, r->path, 0,
			              "revision %s is dirty after %d statement%s, and the fixed file "
			              "changes %s: only statement %d on may change before a resume. "
			              "Restore %s as %s ran, or undo %s work by hand and run 'retort "
			              "repair'",
			              r->id, d.statements, one ? "" : "s", one ? "it" : "them",
			              d.statements + 1, one ? "it" : "them", one ? "it" : "they",
			              one ? "its" : "their");
		if (!rc)
			*resume = d.statements;
	} else {
		rc = dirty_error(&p->g, &d, err);
	}
	dirty_free(&d);
	return rc;
}

static int warn_changed(retort_project *p, retort_db *db, int strict, retort_error *err)
{
	strvec problems = STRVEC_INIT;
	int rc = verify_collect(p, db, &problems, err);
	for (size_t i = 0; !rc && i < problems.n; i++)
		rt_log(&p->log, RETORT_LOG_WARN, "%s", problems.v[i]);
	if (!rc && strict && problems.n)
		rc = rt_error(err, RETORT_ERUNTIME, NULL, 0,
		              "--strict: %zu applied revision file%s changed or missing (see 'retort "
		              "verify'); not upgrading",
		              problems.n, problems.n == 1 ? "" : "s");
	sv_free(&problems);
	return rc;
}

static int operate(retort_project *p, retort_db *db, int op, const char *target, int flags,
                   char **out, retort_error *err)
{
	if (out)
		*out = NULL;
	if (!target || !*target)
		return rt_error(err, RETORT_EUSAGE, NULL, 0, "a target revision is required");
	if (op == OP_DOWNGRADE && !p->cfg.allow_downgrade)
		return rt_error(err, RETORT_EUSAGE, NULL, 0,
		                "downgrades are disabled by 'allow_downgrade = false' in %s",
		                p->cfg.path);
	if (flags & RUN_SQL_ONLY)
		return offline(p, op, target, flags, out, err);
	if (!db)
		return rt_error(err, RETORT_EUSAGE, NULL, 0, "no database connection");

	strvec cur = STRVEC_INIT;
	plan pl = {0};
	run_lock lk;
	int resume = 0;
	/* Everything is read after the lock is taken: a run that waited finds
	 * the work of the run before it already done. */
	int rc = lock_acquire(p, db, &lk, err);
	if (!rc)
		rc = version_read(db, &cur, err);
	if (!rc)
		rc = plan_for(p, op, &cur, target, flags, &pl, err);
	if (!rc && op != OP_STAMP)
		rc = plan_check(p, &pl, db->drv->sql->kind, err);
	if (!rc && op != OP_STAMP)
		rc = check_dirty(p, db, &pl, &resume, err);
	if (!rc && op == OP_UPGRADE)
		rc = warn_changed(p, db, flags & RUN_STRICT, err);
	if (rc)
		goto done;
	if (op != OP_STAMP && pl.n == 0) {
		sbuf at = SBUF_INIT;
		sv_join(&at, &cur, ", ");
		rt_log(&p->log, RETORT_LOG_INFO, "Already at %s; nothing to do.",
		       cur.n ? sb_str(&at) : "base");
		sb_free(&at);
		goto done;
	}
	lock_keep_alive(db, &lk);
	rc = version_ensure(db, err);
	if (!rc)
		rc = history_ensure(db, err);
	if (!rc && op == OP_STAMP)
		rc = run_stamp(p, db, &cur, &pl, flags & RUN_PURGE, err);
	else if (!rc)
		rc = run_plan(p, db, db->drv->sql->kind, &pl, NULL, NULL, &lk, resume, err);
done:
	lock_release(db, &lk);
	sv_free(&cur);
	plan_free(&pl);
	return rc;
}

int retort_repair(retort_project *p, retort_db *db, const retort_repair_options *o, char **out,
                  retort_error *err)
{
	retort_repair_options none = RETORT_REPAIR_OPTIONS_INIT;
	if (!o)
		o = &none;
	*out = NULL;
	if (o->release_lock)
		return lock_force_release(p, db, out, err);
	run_lock lk;
	dirty_rec d;
	int found = 0;
	strvec cur = STRVEC_INIT, sql = STRVEC_INIT;
	plan pl = {0};
	memset(&d, 0, sizeof(d));
	int rc = lock_acquire(p, db, &lk, err);
	if (!rc)
		rc = history_dirty(db, &d, &found, err);
	if (rc)
		goto done;
	if (!found) {
		*out = xstrdup("nothing to repair: no dirty revision\n");
		goto done;
	}
	int applied = o->applied != 0;
	int upgrade = strcmp(d.operation, "upgrade") == 0;
	if (applied) {
		/* The human finished the revision: move the version exactly as
		 * the step would have. */
		int k = graph_find(&p->g, d.revision);
		if (k < 0) {
			rc = rt_error(err, RETORT_EUSAGE, NULL, 0,
			              "revision %s has no file; cannot mark it applied", d.revision);
			goto done;
		}
		rc = version_read(db, &cur, err);
		if (!rc)
			rc = upgrade ? plan_upgrade(&p->g, &cur, d.revision, &pl, err)
			             : plan_downgrade(&p->g, &cur,
			                              p->g.revs[k]->down.n ? p->g.revs[k]->down.v[0] : "base",
			                              &pl, err);
		if (!rc && (!pl.n || pl.v[0].rev != k))
			rc = rt_error(err, RETORT_EUSAGE, NULL, 0,
			              "revision %s is not the next step from the current version",
			              d.revision);
		if (!rc)
			version_step_sql(db->vt, &pl.v[0], &sql);
	}
	if (rc)
		goto done;
	char started[40], sum[65] = "";
	now_utc(started, sizeof(started));
	int k = graph_find(&p->g, d.revision);
	if (k >= 0)
		sha_hex(p->g.revs[k]->sha256, sum);
	history_rec h = {.revision = d.revision,
	                 .operation = applied && upgrade ? "repair" : "repair-undo",
	                 .from = "",
	                 .to = "",
	                 .checksum = sum,
	                 .started_at = started,
	                 .success = 1,
	                 .state = "ok",
	                 .error = applied ? "marked applied by hand" : "partial work undone by hand"};
	sv_push_owned(&sql, history_insert_sql(db, &h));
	sv_push_owned(&sql, history_resolve_sql(db, d.revision));
	rc = exec_in_transaction(db, &sql, err);
	if (!rc)
		*out = applied ? xasprintf("repaired %s: recorded as applied; the version moved past "
		                           "it\n",
		                           d.revision)
		               : xasprintf("repaired %s: dirty record cleared; the next %s runs it "
		                           "again\n",
		                           d.revision, d.operation);
done:
	lock_release(db, &lk);
	dirty_free(&d);
	sv_free(&cur);
	sv_free(&sql);
	plan_free(&pl);
	return rc;
}

static int run_flags(const retort_run_options *o)
{
	if (!o)
		return 0;
	return (o->sql_only ? RUN_SQL_ONLY : 0) | (o->purge ? RUN_PURGE : 0) |
	       (o->strict ? RUN_STRICT : 0) | (o->format == RETORT_FORMAT_JSON ? RUN_JSON : 0);
}

int retort_upgrade(retort_project *p, retort_db *db, const char *target,
                   const retort_run_options *o, char **out, retort_error *err)
{
	return operate(p, db, OP_UPGRADE, target, run_flags(o), out, err);
}

int retort_downgrade(retort_project *p, retort_db *db, const char *target,
                     const retort_run_options *o, char **out, retort_error *err)
{
	return operate(p, db, OP_DOWNGRADE, target, run_flags(o), out, err);
}

int retort_stamp(retort_project *p, retort_db *db, const char *target,
                 const retort_run_options *o, char **out, retort_error *err)
{
	return operate(p, db, OP_STAMP, target, run_flags(o), out, err);
}
