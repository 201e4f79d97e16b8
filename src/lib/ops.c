/*
 * ops.c: the state-changing commands of the public API (upgrade,
 * downgrade, stamp): read the database's heads, ask the planner for the
 * steps, then run them or render them as SQL. Offline (--sql) runs never
 * connect: like Alembic they start from base or from the "from:" part of a
 * "from:to" target.
 */
#include <stdlib.h>
#include <string.h>

#include "project.h"

enum { OP_UPGRADE, OP_DOWNGRADE, OP_STAMP };

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

static int sql_dialect(retort_project *p, dialect *d, const char **impl, retort_error *err)
{
	db_url u;
	*d = DIALECT_SQLITE;
	*impl = "SQLiteImpl";
	if (!p->url)
		return RETORT_OK; /* offline without a URL: SQLite's dialect */
	int rc = project_url(p, &u, err);
	if (!rc) {
		const db_driver *drv = driver_for(&u);
		if (drv) {
			*d = drv->dialect;
			*impl = drv->impl_name;
		}
	}
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
			char *lit = sql_quote_literal(cur->v[i]);
			sv_push_owned(sql, xasprintf("DELETE FROM %s WHERE version_num = %s", vt, lit));
			free(lit);
		}
	for (size_t i = 0; i < pl->final_heads.n; i++)
		if (purge || sv_index(cur, pl->final_heads.v[i]) < 0) {
			char *lit = sql_quote_literal(pl->final_heads.v[i]);
			sv_push_owned(sql, xasprintf("INSERT INTO %s (version_num) VALUES (%s)", vt, lit));
			free(lit);
		}
}

static int run_stamp(retort_project *p, retort_db *db, const strvec *cur, const plan *pl,
                     int purge, retort_error *err)
{
	strvec sql = STRVEC_INIT;
	stamp_sql(db->vt, cur, pl, purge, &sql);
	sbuf from = SBUF_INIT, to = SBUF_INIT;
	sv_join(&from, cur, ", ");
	sv_join(&to, &pl->final_heads, ", ");
	rt_log(p, RETORT_LOG_INFO, "Running stamp_revision %s -> %s", sb_str(&from), sb_str(&to));
	sb_free(&from);
	sb_free(&to);
	int rc = db->drv->exec(db->conn, "BEGIN", NULL, err);
	for (size_t i = 0; !rc && i < sql.n; i++)
		rc = db->drv->exec(db->conn, sql.v[i], NULL, err);
	if (!rc)
		rc = db->drv->exec(db->conn, "COMMIT", NULL, err);
	else {
		retort_error ignored;
		db->drv->exec(db->conn, "ROLLBACK", NULL, &ignored);
	}
	sv_free(&sql);
	return rc;
}

static int operate(retort_project *p, retort_db *db, int op, const char *target, int flags,
                   char **out, retort_error *err)
{
	int offline = (flags & RETORT_SQL_ONLY) != 0;
	strvec cur = STRVEC_INIT;
	plan pl = {0};
	char *own_target = NULL;
	sbuf sql = SBUF_INIT;
	int rc = RETORT_OK;
	if (out)
		*out = NULL;
	if (!target || !*target)
		return rt_error(err, RETORT_EUSAGE, NULL, 0, "a target revision is required");
	if (op == OP_DOWNGRADE && !p->cfg.allow_downgrade)
		return rt_error(err, RETORT_EUSAGE, NULL, 0,
		                "downgrades are disabled by 'allow_downgrade = false' in %s",
		                p->cfg.path);
	if (offline) {
		if (op == OP_DOWNGRADE && !strchr(target, ':'))
			return rt_error(err, RETORT_EUSAGE, NULL, 0,
			                "downgrade with --sql requires <fromrev>:<torev>");
		rc = offline_start(p, &target, &own_target, &cur, err);
	} else if (!db) {
		rc = rt_error(err, RETORT_EUSAGE, NULL, 0, "no database connection");
	} else {
		rc = version_read(db, &cur, err);
	}
	if (rc)
		goto done;

	if (op == OP_UPGRADE)
		rc = plan_upgrade(&p->g, &cur, target, &pl, err);
	else if (op == OP_DOWNGRADE)
		rc = plan_downgrade(&p->g, &cur, target, &pl, err);
	else
		rc = stamp_plan(p, &cur, target, flags & RETORT_PURGE, &pl, err);
	if (rc)
		goto done;

	if (offline) {
		dialect d;
		const char *impl;
		rc = sql_dialect(p, &d, &impl, err);
		if (rc)
			goto done;
		rt_log(p, RETORT_LOG_INFO, "Context impl %s.", impl);
		rt_log(p, RETORT_LOG_INFO, "Generating static SQL");
		char *vt = sql_quote_ident(p->cfg.version_table);
		if (p->cfg.version_table_schema && d == DIALECT_PG) {
			char *qs = sql_quote_ident(p->cfg.version_table_schema);
			char *full = xasprintf("%s.%s", qs, vt);
			free(qs);
			free(vt);
			vt = full;
		}
		if (cur.n == 0) {
			if (p->cfg.version_table_schema && d == DIALECT_PG) {
				char *qs = sql_quote_ident(p->cfg.version_table_schema);
				sb_addf(&sql, "CREATE SCHEMA IF NOT EXISTS %s;\n\n", qs);
				free(qs);
			}
			char *create = version_create_sql(vt, p->cfg.version_table);
			sb_addf(&sql, "%s;\n\n", create);
			free(create);
		}
		if (op == OP_STAMP) {
			strvec st = STRVEC_INIT;
			stamp_sql(vt, &cur, &pl, flags & RETORT_PURGE, &st);
			for (size_t i = 0; i < st.n; i++)
				sb_addf(&sql, "%s;\n\n", st.v[i]);
			sv_free(&st);
		} else {
			rc = run_plan(p, NULL, d, &pl, &sql, vt, err);
		}
		free(vt);
		if (!rc && out)
			*out = sb_detach(&sql);
		goto done;
	}

	if (op == OP_STAMP) {
		rc = version_ensure(db, err);
		if (!rc)
			rc = run_stamp(p, db, &cur, &pl, flags & RETORT_PURGE, err);
		goto done;
	}
	if (pl.n == 0)
		goto done; /* already there: Alembic says nothing either */
	rc = version_ensure(db, err);
	if (!rc)
		rc = run_plan(p, db, db->drv->dialect, &pl, NULL, NULL, err);
done:
	sv_free(&cur);
	plan_free(&pl);
	free(own_target);
	sb_free(&sql);
	return rc;
}

int retort_upgrade(retort_project *p, retort_db *db, const char *target, int flags, char **out,
                   retort_error *err)
{
	return operate(p, db, OP_UPGRADE, target, flags, out, err);
}

int retort_downgrade(retort_project *p, retort_db *db, const char *target, int flags,
                     char **out, retort_error *err)
{
	return operate(p, db, OP_DOWNGRADE, target, flags, out, err);
}

int retort_stamp(retort_project *p, retort_db *db, const char *target, int flags, char **out,
                 retort_error *err)
{
	return operate(p, db, OP_STAMP, target, flags, out, err);
}
