/*
 * store.c: opening the store (names and schema), reading its state once
 * per run, creating its tables, the version-table and history statements,
 * and the durable progress record of non-transactional steps.
 *
 * The version table has exactly Alembic's alembic_version shape (one
 * VARCHAR(32) primary-key row per head), so `version_table =
 * alembic_version` takes over an Alembic database and hands it back.
 * Every version change is a compare-and-set: UPDATE/DELETE name the row
 * they expect, and the runner checks that exactly one row changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static const char *const op_names[OP_COUNT] = {
	[OP_UPGRADE] = "upgrade", [OP_DOWNGRADE] = "downgrade", [OP_STAMP] = "stamp",
	[OP_REPAIR] = "repair",   [OP_REPAIR_UNDO] = "repair-undo", [OP_REPAIR_DOWN] = "repair-down",
	[OP_ACCEPT] = "accept",   [OP_EXPAND] = "expand",     [OP_MIGRATE] = "migrate",
	[OP_CONTRACT] = "contract",
};
static const char *const state_names[] = {"ok", "failed", "dirty", "resolved"};

const char *store_op_name(store_op op)
{
	return op_names[op];
}

static store_op op_parse(const char *s)
{
	for (int i = 0; i < OP_COUNT; i++)
		if (strcmp(s, op_names[i]) == 0)
			return (store_op)i;
	return OP_STAMP; /* unknown (a newer retort's): means nothing to verify */
}

static hist_state state_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, state_names[i]) == 0)
			return (hist_state)i;
	return HS_FAILED;
}

int store_open(store *s, const db_driver *drv, db_conn *conn, const db_url *url,
               const char *vt_name, const char *vt_schema, retort_error *err)
{
	memset(s, 0, sizeof(*s));
	s->drv = drv;
	s->sql = drv->sql;
	s->conn = conn;
	s->url = url;
	s->vt_name = xstrdup(vt_name);
	s->who = who_am_i();
	int configured = vt_schema && *vt_schema && s->sql->has_schemas;
	s->lock_name = configured ? xasprintf("%s.%s", vt_schema, vt_name) : xstrdup(vt_name);
	if (configured) {
		s->schema = xstrdup(vt_schema);
		s->schema_configured = 1;
	} else if (s->sql->has_schemas) {
		/* Where an unqualified CREATE TABLE would go now, before any
		 * revision can change search_path. */
		strvec v = STRVEC_INIT;
		int rc = drv->query_col(conn, "SELECT current_schema()", &v, err);
		if (!rc && (v.n == 0 || !*v.v[0]))
			rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_CONFIG, NULL, 0,
			             "the connection's search_path names no existing schema to hold "
			             "%s: set version_table_schema in retort.ini, or fix the role's "
			             "search_path",
			             vt_name);
		if (!rc)
			s->schema = xstrdup(v.v[0]);
		sv_free(&v);
		if (rc)
			return rc;
	}
	/* The session lock (PostgreSQL: advisory, per database) must be the
	 * same for every run that writes this version table, whether it names
	 * the schema or finds it on search_path: keyed by the resolved name.
	 * lock_name, the key of earlier releases, is taken too (lock.c). */
	s->lock_key = s->schema ? xasprintf("%s.%s", s->schema, vt_name) : xstrdup(vt_name);
	s->vt = dialect_qualify(s->sql, s->schema, vt_name);
	s->history = dialect_qualify(s->sql, s->schema, "retort_history");
	s->lock_table = dialect_qualify(s->sql, s->schema, "retort_lock");
	s->phase_table = dialect_qualify(s->sql, s->schema, "retort_phase");
	return RETORT_OK;
}

void store_close(store *s)
{
	if (s->recorder)
		s->drv->close(s->recorder);
	free(s->schema);
	free(s->vt_name);
	free(s->vt);
	free(s->history);
	free(s->lock_table);
	free(s->phase_table);
	free(s->lock_name);
	free(s->lock_key);
	free(s->who);
	memset(s, 0, sizeof(*s));
}

char *store_offline_vt(const sql_dialect *d, const char *vt_name, const char *vt_schema)
{
	return dialect_qualify(d, d->has_schemas ? vt_schema : NULL, vt_name);
}

/* ---- reading ------------------------------------------------------------ */

#define HISTORY_COLS                                                                          \
	"revision, operation, from_revisions, to_revisions, checksum, started_at, duration_ms, " \
	"statements, state, failed_line, error, who, done_checksum"
enum { NCOLS = 13 };

static void row_parse(char **c, history_row *h)
{
	h->revision = xstrdup(c[0]);
	h->op = op_parse(c[1]);
	h->from = xstrdup(c[2]);
	h->to = xstrdup(c[3]);
	h->checksum = xstrdup(c[4]);
	h->started_at = xstrdup(c[5]);
	h->duration_ms = atol(c[6]);
	h->statements = atoi(c[7]);
	h->state = state_parse(c[8]);
	h->failed_line = atoi(c[9]);
	h->error = xstrdup(c[10]);
	h->who = xstrdup(c[11]);
	h->done_checksum = xstrdup(c[12]);
}

void history_row_free(history_row *h)
{
	if (!h)
		return;
	free(h->revision);
	free(h->from);
	free(h->to);
	free(h->checksum);
	free(h->started_at);
	free(h->error);
	free(h->who);
	free(h->done_checksum);
	memset(h, 0, sizeof(*h));
}

/* This project's rows: its version table's, and those an older retort
 * wrote before rows were keyed (they belong to whoever shares them). */
static char *key_clause(const store *s)
{
	if (!s->history_keyed)
		return xstrdup("1 = 1");
	char *vt = dialect_literal(s->sql, s->vt_name);
	char *k = xasprintf("(version_table = %s OR version_table IS NULL)", vt);
	free(vt);
	return k;
}

static int history_exists(store *s, int *exists, retort_error *err)
{
	int rc = s->drv->table_exists(s->conn, s->schema, "retort_history", exists, err);
	if (rc || !*exists)
		return rc;
	/* 16 columns: made before rows carried their version table. */
	char *sql = xasprintf("SELECT * FROM %s WHERE 1 = 0", s->history);
	strvec none = STRVEC_INIT;
	int ncols = 0;
	rc = s->drv->query(s->conn, sql, &none, &ncols, err);
	s->history_keyed = ncols > 16;
	sv_free(&none);
	free(sql);
	return rc;
}

static int query_rows(store *s, const char *sql, history_row **out, size_t *n,
                      retort_error *err)
{
	strvec cells = STRVEC_INIT;
	int ncols = 0;
	int rc = s->drv->query(s->conn, sql, &cells, &ncols, err);
	*out = NULL;
	*n = 0;
	if (!rc && cells.n && ncols != NCOLS)
		rc = rt_fail(err, RETORT_ERUNTIME, RETORT_R_DATABASE, NULL, 0,
		             "unexpected retort_history layout (%d columns)", ncols);
	if (!rc && cells.n) {
		*n = cells.n / NCOLS;
		*out = xcalloc(*n, sizeof(**out));
		for (size_t i = 0; i < *n; i++)
			row_parse(&cells.v[i * NCOLS], &(*out)[i]);
	}
	sv_free(&cells);
	return rc;
}

int store_heads(store *s, strvec *heads, retort_error *err)
{
	int exists = 0;
	int rc = s->drv->table_exists(s->conn, s->schema, s->vt_name, &exists, err);
	if (rc || !exists)
		return rc;
	char *sql = xasprintf("SELECT version_num FROM %s", s->vt);
	rc = s->drv->query_col(s->conn, sql, heads, err);
	free(sql);
	return rc;
}

static int read_state(store *s, store_state *out, int latest, retort_error *err)
{
	memset(out, 0, sizeof(*out));
	int rc = store_heads(s, &out->heads, err);
	if (!rc)
		rc = history_exists(s, &out->has_history, err);
	if (rc || !out->has_history)
		return rc;
	char *key = key_clause(s);
	char *sql = xasprintf("SELECT " HISTORY_COLS " FROM %s WHERE state = 'dirty' AND %s "
	                      "ORDER BY id DESC LIMIT 1",
	                      s->history, key);
	size_t n = 0;
	rc = query_rows(s, sql, &out->dirty, &n, err);
	free(sql);
	/* The newest successful operation of each revision says whether it
	 * is applied and with which file. Stamps run no file, and an undone
	 * partial run leaves the revision as the rows before it say. */
	if (!rc && latest) {
		sql = xasprintf("SELECT " HISTORY_COLS " FROM %1$s WHERE id IN (SELECT MAX(id) FROM "
		                "%1$s WHERE success = 1 AND operation NOT IN ('stamp', 'repair-undo') "
		                "AND %2$s GROUP BY revision) ORDER BY id",
		                s->history, key);
		rc = query_rows(s, sql, &out->latest, &out->nlatest, err);
		free(sql);
	}
	free(key);
	return rc;
}

int store_read(store *s, store_state *out, retort_error *err)
{
	return read_state(s, out, 1, err);
}

int store_read_heads_dirty(store *s, store_state *out, retort_error *err)
{
	return read_state(s, out, 0, err);
}

void store_state_free(store_state *st)
{
	sv_free(&st->heads);
	if (st->dirty) {
		history_row_free(st->dirty);
		free(st->dirty);
	}
	for (size_t i = 0; i < st->nlatest; i++)
		history_row_free(&st->latest[i]);
	free(st->latest);
	memset(st, 0, sizeof(*st));
}

const history_row *store_latest(const store_state *st, const char *revision)
{
	for (size_t i = 0; i < st->nlatest; i++)
		if (strcmp(st->latest[i].revision, revision) == 0)
			return &st->latest[i];
	return NULL;
}

/* ---- creating ------------------------------------------------------------ */

char *store_version_create_sql(const sql_dialect *d, const char *vt, const char *vt_name)
{
	char *pk = xasprintf("%s_pkc", vt_name);
	char *qpk = dialect_ident(d, pk);
	char *sql = xasprintf("CREATE TABLE IF NOT EXISTS %s (\n    version_num VARCHAR(32) NOT NULL, "
	                      "\n    CONSTRAINT %s PRIMARY KEY (version_num)\n)",
	                      vt, qpk);
	free(pk);
	free(qpk);
	return sql;
}

/* Only a configured schema may be missing (the connection's own exists).
 * Looked up first: PostgreSQL checks the database's CREATE privilege
 * before IF NOT EXISTS, so a least-privilege role could not even name a
 * schema that is there. */
int store_ensure_schema(store *s, retort_error *err)
{
	if (!s->schema || !s->sql->has_schemas || !s->schema_configured)
		return RETORT_OK;
	char *lit = dialect_literal(s->sql, s->schema);
	char *q = xasprintf("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s", lit);
	strvec found = STRVEC_INIT;
	int rc = s->drv->query_col(s->conn, q, &found, err);
	int exists = found.n > 0;
	sv_free(&found);
	free(q);
	free(lit);
	if (rc || exists)
		return rc;
	char *qs = dialect_ident(s->sql, s->schema);
	char *sql = xasprintf("CREATE SCHEMA IF NOT EXISTS %s", qs);
	rc = s->drv->exec(s->conn, sql, NULL, err);
	free(sql);
	free(qs);
	return rc;
}

/* CREATE TABLE that may race another run's (PostgreSQL's catalog): the
 * table existing afterwards is success. */
static int create_table(store *s, const char *name, const char *sql, retort_error *err)
{
	int rc = s->drv->exec(s->conn, sql, NULL, err);
	if (rc) {
		retort_error again;
		int exists = 0;
		if (s->drv->table_exists(s->conn, s->schema, name, &exists, &again) == RETORT_OK &&
		    exists)
			rc = RETORT_OK;
	}
	return rc;
}

int store_ensure(store *s, retort_error *err)
{
	int vt = 0, hist = 0;
	int rc = s->drv->table_exists(s->conn, s->schema, s->vt_name, &vt, err);
	if (!rc)
		rc = history_exists(s, &hist, err);
	if (!rc && (!vt || !hist))
		rc = store_ensure_schema(s, err);
	if (!rc && !vt) {
		char *sql = store_version_create_sql(s->sql, s->vt, s->vt_name);
		rc = create_table(s, s->vt_name, sql, err);
		free(sql);
	}
	if (!rc && !hist) {
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
		                      "    done_checksum VARCHAR(64),\n"
		                      "    version_table VARCHAR(255)\n)",
		                      s->history, s->sql->serial_pk);
		rc = create_table(s, "retort_history", sql, err);
		free(sql);
		if (!rc)
			s->history_keyed = 1;
	} else if (!rc && !s->history_keyed) {
		char *sql = xasprintf("ALTER TABLE %s ADD COLUMN version_table VARCHAR(255)",
		                      s->history);
		rc = s->drv->exec(s->conn, sql, NULL, err);
		free(sql);
		if (!rc)
			s->history_keyed = 1;
	}
	return rc;
}

/* ---- statements ---------------------------------------------------------- */

void store_version_step_sql(const sql_dialect *d, const char *vt, const plan_step *st,
                            strvec *out)
{
	for (size_t i = 0; i < st->del.n; i++) {
		char *lit = dialect_literal(d, st->del.v[i]);
		sv_push_owned(out, xasprintf("DELETE FROM %s WHERE version_num = %s", vt, lit));
		free(lit);
	}
	for (size_t i = 0; i < st->ins.n; i++) {
		char *lit = dialect_literal(d, st->ins.v[i]);
		sv_push_owned(out, xasprintf("INSERT INTO %s (version_num) VALUES (%s)", vt, lit));
		free(lit);
	}
	if (st->upd_from && st->upd_to) {
		char *from = dialect_literal(d, st->upd_from), *to = dialect_literal(d, st->upd_to);
		sv_push_owned(out, xasprintf("UPDATE %s SET version_num = %s WHERE version_num = %s",
		                             vt, to, from));
		free(from);
		free(to);
	}
}

void store_stamp_sql(const sql_dialect *d, const char *vt, const strvec *cur,
                     const strvec *next, int purge, strvec *out)
{
	if (purge)
		sv_push_owned(out, xasprintf("DELETE FROM %s", vt));
	plan_step st = {0};
	for (size_t i = 0; !purge && i < cur->n; i++)
		if (sv_index(next, cur->v[i]) < 0)
			sv_push(&st.del, cur->v[i]);
	for (size_t i = 0; i < next->n; i++)
		if (purge || sv_index(cur, next->v[i]) < 0)
			sv_push(&st.ins, next->v[i]);
	store_version_step_sql(d, vt, &st, out);
	sv_free(&st.del);
	sv_free(&st.ins);
}

static char *lit_or_null(const store *s, const char *v)
{
	return v && *v ? dialect_literal(s->sql, v) : xstrdup("NULL");
}

char *store_history_insert_sql(const store *s, const history_row *h)
{
	const char *vals[] = {h->revision,
	                      store_op_name(h->op),
	                      h->from ? h->from : "",
	                      h->to ? h->to : "",
	                      h->checksum ? h->checksum : "",
	                      h->started_at,
	                      state_names[h->state],
	                      s->who,
	                      RETORT_VERSION,
	                      s->vt_name};
	enum { NV = sizeof(vals) / sizeof(vals[0]) };
	char *q[NV];
	for (int i = 0; i < NV; i++)
		q[i] = dialect_literal(s->sql, vals[i]);
	char *done = lit_or_null(s, h->done_checksum);
	char *error = h->error ? dialect_literal(s->sql, h->error) : xstrdup("NULL");
	char line[32] = "NULL";
	if (h->failed_line > 0)
		snprintf(line, sizeof(line), "%d", h->failed_line);
	/* Concatenated rather than formatted (one statement per step; printf's
	 * %s is slow on text this long). */
	char nums[80];
	snprintf(nums, sizeof(nums), "%ld, %d, %d, ", h->duration_ms, h->statements,
	         h->state == HS_OK ? 1 : 0);
	const char *parts[] = {
		"INSERT INTO ", s->history,
		" (revision, operation, from_revisions, to_revisions, checksum, started_at, "
		"duration_ms, statements, success, state, failed_line, error, who, retort_version, "
		"done_checksum, version_table) VALUES (",
		q[0], ", ", q[1], ", ", q[2], ", ", q[3], ", ", q[4], ", ", q[5], ", ", nums, q[6],
		", ", line, ", ", error, ", ", q[7], ", ", q[8], ", ", done, ", ", q[9], ")"};
	enum { NP = sizeof(parts) / sizeof(parts[0]) };
	size_t plen[NP], len = 0;
	for (size_t i = 0; i < NP; i++)
		len += plen[i] = strlen(parts[i]);
	char *sql = xmalloc(len + 1), *o = sql;
	for (size_t i = 0; i < NP; i++)
		memcpy(o, parts[i], plen[i]), o += plen[i];
	*o = 0;
	for (int i = 0; i < NV; i++)
		free(q[i]);
	free(error);
	free(done);
	return sql;
}

char *store_history_resolve_sql(const store *s, const char *revision)
{
	char *r = dialect_literal(s->sql, revision);
	char *key = key_clause(s);
	char *sql = xasprintf("UPDATE %s SET state = 'resolved' WHERE state = 'dirty' AND "
	                      "revision = %s AND %s",
	                      s->history, r, key);
	free(r);
	free(key);
	return sql;
}

int store_exec_tx(store *s, const strvec *sql, size_t cas_from, size_t cas_to,
                  retort_error *err)
{
	int rc = s->drv->exec(s->conn, s->sql->begin, NULL, err);
	for (size_t i = 0; !rc && i < sql->n; i++) {
		long rows = -1;
		rc = s->drv->exec(s->conn, sql->v[i], &rows, err);
		if (!rc && i >= cas_from && i < cas_to && rows != 1)
			rc = rt_fail(err, RETORT_ERUNTIME, RETORT_R_VERSION_CONFLICT, NULL, 0,
			             "version table changed by another run (%ld rows matched): %s",
			             rows, sql->v[i]);
	}
	if (!rc)
		return s->drv->exec(s->conn, s->sql->commit, NULL, err);
	retort_error ignored;
	s->drv->exec(s->conn, s->sql->rollback, NULL, &ignored);
	return rc;
}

/* ---- durable progress of non-transactional steps ------------------------ */

/* The recorder connection: autocommit, its own session, so a record
 * written there is committed before the statement it announces runs and
 * outlives the step's connection being killed or dropped. */
static db_conn *recorder(store *s)
{
	if (!s->recorder && s->drv->concurrent_writers && s->url) {
		retort_error ignored;
		if (s->drv->connect(s->url, &s->recorder, &ignored) != RETORT_OK)
			s->recorder = NULL;
	}
	return s->recorder ? s->recorder : s->conn;
}

int store_progress_begin(store *s, const history_row *h, retort_error *err)
{
	char *resolve = store_history_resolve_sql(s, h->revision);
	char *insert = store_history_insert_sql(s, h);
	db_conn *c = recorder(s);
	/* One transaction: a crash between the two must not leave the old
	 * record resolved and no new one. */
	int rc = s->drv->exec(c, s->sql->begin, NULL, err);
	if (!rc)
		rc = s->drv->exec(c, resolve, NULL, err);
	if (!rc)
		rc = s->drv->exec(c, insert, NULL, err);
	if (!rc)
		rc = s->drv->exec(c, s->sql->commit, NULL, err);
	else {
		retort_error ignored;
		s->drv->exec(c, s->sql->rollback, NULL, &ignored);
	}
	free(resolve);
	free(insert);
	return rc;
}

int store_progress_update(store *s, const char *revision, int statements, int next_line,
                          const char *done_checksum, const char *error, retort_error *err)
{
	char *r = dialect_literal(s->sql, revision);
	char *key = key_clause(s);
	char *done = lit_or_null(s, done_checksum);
	char *e = dialect_literal(s->sql, error ? error : "");
	char line[32] = "NULL";
	if (next_line > 0)
		snprintf(line, sizeof(line), "%d", next_line);
	char *sql = xasprintf("UPDATE %s SET statements = %d, failed_line = %s, done_checksum = %s, "
	                      "error = %s WHERE state = 'dirty' AND revision = %s AND %s",
	                      s->history, statements, line, done, e, r, key);
	int rc = s->drv->exec(recorder(s), sql, NULL, err);
	free(sql);
	free(r);
	free(key);
	free(done);
	free(e);
	return rc;
}

char *store_progress_finish_sql(const store *s, const char *revision, int statements,
                                long duration_ms)
{
	char *r = dialect_literal(s->sql, revision);
	char *key = key_clause(s);
	char *sql = xasprintf("UPDATE %s SET state = 'ok', success = 1, statements = %d, "
	                      "failed_line = NULL, error = NULL, done_checksum = NULL, "
	                      "duration_ms = %ld WHERE state = 'dirty' AND revision = %s AND %s",
	                      s->history, statements, duration_ms, r, key);
	free(r);
	free(key);
	return sql;
}

int store_dirty_refusal(const graph *g, const history_row *d, retort_error *err)
{
	int k = graph_find(g, d->revision);
	return rt_fail(err, RETORT_ERUNTIME, RETORT_R_DIRTY, k >= 0 ? g->revs[k]->path : NULL,
	               d->failed_line,
	               "revision %s is dirty: its %s stopped after %d statement%s (%s). Fix the "
	               "file and rerun to resume at the failed statement, or fix the database by "
	               "hand and run 'retort repair'",
	               d->revision, store_op_name(d->op), d->statements,
	               d->statements == 1 ? "" : "s", d->error ? d->error : "");
}

/* ---- phases ------------------------------------------------------------------- */

static const char *const phase_names[] = {"none", "expanded", "migrated", "contracted"};

const char *phase_state_name(phase_state p)
{
	return phase_names[p];
}

static phase_state phase_parse(const char *s)
{
	for (int i = 1; i < 4; i++)
		if (strcmp(s, phase_names[i]) == 0)
			return (phase_state)i;
	return PH_NONE;
}

int store_phase_ensure(store *s, retort_error *err)
{
	int exists = 0;
	int rc = s->drv->table_exists(s->conn, s->schema, "retort_phase", &exists, err);
	if (rc || exists)
		return rc;
	rc = store_ensure_schema(s, err);
	if (rc)
		return rc;
	char *sql = xasprintf("CREATE TABLE IF NOT EXISTS %s (\n"
	                      "    version_table VARCHAR(255) NOT NULL,\n"
	                      "    revision VARCHAR(32) NOT NULL,\n"
	                      "    phase VARCHAR(16) NOT NULL,\n"
	                      "    migrate_done INTEGER NOT NULL,\n"
	                      "    batches BIGINT NOT NULL,\n"
	                      "    rows_done BIGINT NOT NULL,\n"
	                      "    updated_at VARCHAR(32) NOT NULL,\n"
	                      "    PRIMARY KEY (version_table, revision)\n)",
	                      s->phase_table);
	rc = create_table(s, "retort_phase", sql, err);
	free(sql);
	return rc;
}

int store_phase_read(store *s, phase_rows *out, retort_error *err)
{
	memset(out, 0, sizeof *out);
	int exists = 0;
	int rc = s->drv->table_exists(s->conn, s->schema, "retort_phase", &exists, err);
	if (rc || !exists)
		return rc;
	char *vt = dialect_literal(s->sql, s->vt_name);
	char *sql = xasprintf("SELECT revision, phase, migrate_done, batches, rows_done FROM %s "
	                      "WHERE version_table = %s",
	                      s->phase_table, vt);
	strvec cells = STRVEC_INIT;
	int ncols = 0;
	rc = s->drv->query(s->conn, sql, &cells, &ncols, err);
	free(sql);
	free(vt);
	if (!rc && cells.n && ncols == 5) {
		out->n = cells.n / 5;
		out->v = xcalloc(out->n, sizeof *out->v);
		for (size_t i = 0; i < out->n; i++) {
			char **c = &cells.v[i * 5];
			out->v[i].revision = xstrdup(c[0]);
			out->v[i].state = phase_parse(c[1]);
			out->v[i].migrate_done = atoi(c[2]);
			out->v[i].batches = atoll(c[3]);
			out->v[i].rows = atoll(c[4]);
		}
	}
	sv_free(&cells);
	return rc;
}

void phase_rows_free(phase_rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].revision);
	free(r->v);
	memset(r, 0, sizeof *r);
}

const phase_row *phase_find(const phase_rows *r, const char *revision)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].revision, revision) == 0)
			return &r->v[i];
	return NULL;
}

char *store_phase_delete_sql(const store *s, const char *revision)
{
	char *vt = dialect_literal(s->sql, s->vt_name), *rev = dialect_literal(s->sql, revision);
	char *sql = xasprintf("DELETE FROM %s WHERE version_table = %s AND revision = %s",
	                      s->phase_table, vt, rev);
	free(vt);
	free(rev);
	return sql;
}

void store_phase_set_sql(const store *s, const phase_row *row, strvec *out)
{
	char when[40];
	now_utc(when, sizeof when);
	sv_push_owned(out, store_phase_delete_sql(s, row->revision));
	char *vt = dialect_literal(s->sql, s->vt_name), *rev = dialect_literal(s->sql, row->revision);
	sv_push_owned(out, xasprintf("INSERT INTO %s (version_table, revision, phase, migrate_done, "
	                             "batches, rows_done, updated_at) VALUES (%s, %s, '%s', %d, "
	                             "%lld, %lld, '%s')",
	                             s->phase_table, vt, rev, phase_state_name(row->state),
	                             row->migrate_done, row->batches, row->rows, when));
	free(vt);
	free(rev);
}
