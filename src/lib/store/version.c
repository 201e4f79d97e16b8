/*
 * version.c: the version table, shaped exactly like Alembic's
 * alembic_version (one VARCHAR(32) primary-key row per head) so that
 * `version_table = alembic_version` can take over an Alembic-managed
 * database and hand it back. Every change is written as a
 * compare-and-set: UPDATE/DELETE name the row they expect, and the runner
 * checks that exactly one row changed.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

int version_read(retort_db *db, strvec *heads, retort_error *err)
{
	int exists = 0;
	int rc = db->drv->table_exists(db->conn, db->vt_schema, db->vt_name, &exists, err);
	if (rc || !exists)
		return rc;
	char *sql = xasprintf("SELECT version_num FROM %s", db->vt);
	rc = db->drv->query_col(db->conn, sql, heads, err);
	free(sql);
	return rc;
}

char *version_create_sql(const char *vt, const char *vt_name)
{
	char *pk = xasprintf("%s_pkc", vt_name);
	char *qpk = dialect_ident(&dialect_pg, pk);
	char *sql = xasprintf("CREATE TABLE IF NOT EXISTS %s (\n    version_num VARCHAR(32) NOT NULL, "
	                      "\n    CONSTRAINT %s PRIMARY KEY (version_num)\n)",
	                      vt, qpk);
	free(pk);
	free(qpk);
	return sql;
}

int version_ensure_schema(retort_db *db, retort_error *err)
{
	if (!db->vt_schema)
		return RETORT_OK;
	char *qs = dialect_ident(&dialect_pg, db->vt_schema);
	char *sql = xasprintf("CREATE SCHEMA IF NOT EXISTS %s", qs);
	int rc = db->drv->exec(db->conn, sql, NULL, err);
	free(sql);
	free(qs);
	return rc;
}

int version_ensure(retort_db *db, retort_error *err)
{
	int exists = 0;
	int rc = db->drv->table_exists(db->conn, db->vt_schema, db->vt_name, &exists, err);
	if (rc || exists)
		return rc;
	rc = version_ensure_schema(db, err);
	if (rc)
		return rc;
	char *sql = version_create_sql(db->vt, db->vt_name);
	rc = db->drv->exec(db->conn, sql, NULL, err);
	free(sql);
	return rc;
}

void version_step_sql(const char *vt, const plan_step *s, strvec *sql)
{
	for (size_t i = 0; i < s->del.n; i++) {
		char *lit = dialect_literal(&dialect_pg, s->del.v[i]);
		sv_push_owned(sql, xasprintf("DELETE FROM %s WHERE version_num = %s", vt, lit));
		free(lit);
	}
	if (s->upd_from && s->upd_to) {
		char *from = dialect_literal(&dialect_pg, s->upd_from), *to = dialect_literal(&dialect_pg, s->upd_to);
		sv_push_owned(sql, xasprintf("UPDATE %s SET version_num = %s WHERE version_num = %s",
		                             vt, to, from));
		free(from);
		free(to);
	}
	for (size_t i = 0; i < s->ins.n; i++) {
		char *lit = dialect_literal(&dialect_pg, s->ins.v[i]);
		sv_push_owned(sql, xasprintf("INSERT INTO %s (version_num) VALUES (%s)", vt, lit));
		free(lit);
	}
}
