/*
 * history.c: retort_history, the audit trail of every operation (SPEC §7),
 * kept in the version table's schema: what ran (revision, operation,
 * from/to), the file's checksum, when, how long, how many statements
 * succeeded, whether it worked, and who ran it. Rows of transactional
 * steps are written in the step's own transaction; a failed step's row is
 * written after the rollback. A non-transactional step that fails midway
 * leaves a 'dirty' row, which blocks further runs until it is resolved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "api/api.h"

static char *history_table(retort_db *db)
{
	if (!db->vt_schema)
		return xstrdup("retort_history");
	char *qs = dialect_ident(&dialect_pg, db->vt_schema);
	char *t = xasprintf("%s.retort_history", qs);
	free(qs);
	return t;
}

int history_ensure(retort_db *db, retort_error *err)
{
	int exists = 0;
	int rc = db->drv->table_exists(db->conn, db->vt_schema, "retort_history", &exists, err);
	if (rc || exists)
		return rc;
	rc = version_ensure_schema(db, err);
	if (rc)
		return rc;
	char *t = history_table(db);
	char *sql = xasprintf("CREATE TABLE IF NOT EXISTS %s (\n"
	                      "    id %s,\n"
	                      "    revision VARCHAR(32) NOT NULL,\n"
	                      "    operation VARCHAR(16) NOT NULL,\n"
	                      "    from_revisions VARCHAR(1024) NOT NULL,\n"
	                      "    to_revisions VARCHAR(1024) NOT NULL,\n"
	                      "    checksum VARCHAR(64) NOT NULL,\n"
	                      "    started_at VARCHAR(32) NOT NULL,\n"
	                      "    duration_ms BIGINT NOT NULL,\n"
	                      "    statements INTEGER NOT NULL,\n"
	                      "    success INTEGER NOT NULL,\n"
	                      "    state VARCHAR(16) NOT NULL,\n"
	                      "    failed_line INTEGER,\n"
	                      "    error TEXT,\n"
	                      "    who VARCHAR(255) NOT NULL,\n"
	                      "    retort_version VARCHAR(32) NOT NULL,\n"
	                      "    done_checksum VARCHAR(64)\n)",
	                      t, db->drv->sql->serial_pk);
	rc = db->drv->exec(db->conn, sql, NULL, err);
	free(sql);
	free(t);
	if (rc) {
		/* A concurrent run created it first (PostgreSQL catalog race). */
		retort_error again;
		if (db->drv->table_exists(db->conn, db->vt_schema, "retort_history", &exists,
		                          &again) == RETORT_OK &&
		    exists)
			rc = RETORT_OK;
	}
	return rc;
}

char *history_insert_sql(retort_db *db, const history_rec *h)
{
	char *t = history_table(db);
	const char *vals[] = {h->revision, h->operation, h->from ? h->from : "", h->to ? h->to : "",
	                      h->checksum ? h->checksum : "", h->started_at, h->state, db->who,
	                      RETORT_VERSION};
	char *q[9];
	for (int i = 0; i < 9; i++)
		q[i] = dialect_literal(&dialect_pg, vals[i]);
	char *done = h->done_checksum && *h->done_checksum ? dialect_literal(&dialect_pg, h->done_checksum)
	                                                   : xstrdup("NULL");
	char *error = h->error ? dialect_literal(&dialect_pg, h->error) : xstrdup("NULL");
	char line[32] = "NULL";
	if (h->failed_line > 0)
		snprintf(line, sizeof(line), "%d", h->failed_line);
	char *sql = xasprintf(
		"INSERT INTO %s (revision, operation, from_revisions, to_revisions, checksum, "
		"started_at, duration_ms, statements, success, state, failed_line, error, who, "
		"retort_version, done_checksum) "
		"VALUES (%s, %s, %s, %s, %s, %s, %ld, %d, %d, %s, %s, %s, %s, %s, %s)",
		t, q[0], q[1], q[2], q[3], q[4], q[5], h->duration_ms, h->statements, h->success ? 1 : 0,
		q[6], line, error, q[7], q[8], done);
	for (int i = 0; i < 9; i++)
		free(q[i]);
	free(error);
	free(done);
	free(t);
	return sql;
}

char *history_resolve_sql(retort_db *db, const char *revision)
{
	char *t = history_table(db);
	char *r = dialect_literal(&dialect_pg, revision);
	char *sql = xasprintf("UPDATE %s SET state = 'resolved' WHERE state = 'dirty' AND revision = %s",
	                      t, r);
	free(r);
	free(t);
	return sql;
}

int history_dirty(retort_db *db, dirty_rec *out, int *found, retort_error *err)
{
	memset(out, 0, sizeof(*out));
	*found = 0;
	int exists = 0;
	int rc = db->drv->table_exists(db->conn, db->vt_schema, "retort_history", &exists, err);
	if (rc || !exists)
		return rc;
	char *t = history_table(db);
	char *sql = xasprintf("SELECT id, revision, operation, checksum, statements, failed_line, "
	                      "error, done_checksum FROM %s WHERE state = 'dirty' ORDER BY id DESC",
	                      t);
	strvec v = STRVEC_INIT;
	int ncols = 0;
	rc = db->drv->query(db->conn, sql, &v, &ncols, err);
	if (!rc && ncols == 8 && v.n >= 8) {
		*found = 1;
		out->id = xstrdup(v.v[0]);
		out->revision = xstrdup(v.v[1]);
		out->operation = xstrdup(v.v[2]);
		out->checksum = xstrdup(v.v[3]);
		out->statements = atoi(v.v[4]);
		out->failed_line = atoi(v.v[5]);
		out->error = xstrdup(v.v[6]);
		out->done_checksum = xstrdup(v.v[7]);
	}
	sv_free(&v);
	free(sql);
	free(t);
	return rc;
}

int dirty_error(const graph *g, const dirty_rec *d, retort_error *err)
{
	int k = graph_find(g, d->revision);
	return rt_error(err, RETORT_ERUNTIME, k >= 0 ? g->revs[k]->path : NULL, d->failed_line,
	                "revision %s is dirty: its %s stopped after %d statement%s (%s). Fix the "
	                "file and rerun to resume at the failed statement, or fix the database "
	                "by hand and run 'retort repair'",
	                d->revision, d->operation, d->statements, d->statements == 1 ? "" : "s",
	                d->error);
}

void dirty_free(dirty_rec *d)
{
	free(d->id);
	free(d->revision);
	free(d->operation);
	free(d->checksum);
	free(d->done_checksum);
	free(d->error);
	memset(d, 0, sizeof(*d));
}

int history_latest(retort_db *db, strvec *cells, retort_error *err)
{
	int exists = 0;
	int rc = db->drv->table_exists(db->conn, db->vt_schema, "retort_history", &exists, err);
	if (rc || !exists)
		return rc;
	char *t = history_table(db);
	/* The newest successful operation of each revision says whether it is
	 * applied (upgrade, repair) or not (downgrade), and with which file. */
	/* stamp rows run no file: they must not hide the checksum of the
	 * upgrade that did. */
	char *sql = xasprintf("SELECT revision, operation, checksum, started_at, who, duration_ms "
	                      "FROM %s WHERE id IN (SELECT MAX(id) FROM %s WHERE success = 1 "
	                      "AND operation <> 'stamp' GROUP BY revision) ORDER BY id",
	                      t, t);
	int ncols = 0;
	rc = db->drv->query(db->conn, sql, cells, &ncols, err);
	if (!rc && ncols != 6 && cells->n)
		rc = rt_error(err, RETORT_ERUNTIME, NULL, 0, "unexpected retort_history layout");
	free(sql);
	free(t);
	return rc;
}
