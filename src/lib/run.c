/*
 * run.c: executing a plan against a database, or rendering it as SQL text
 * (--sql). Every step runs in its own transaction together with its
 * version-table compare-and-set (SPEC §7), so after any failure the
 * version table names exactly the revisions whose changes are applied.
 * All statements of all steps are split before the first one runs: a
 * broken file must not leave the database half-migrated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "project.h"

typedef struct step_sql {
	stmt_list stmts;
} step_sql;

/* The sections a step runs: phased revisions upgrade through expand,
 * migrate and contract in order (SPEC §8). */
static int step_sections(const revision *r, int upgrade, int *secs)
{
	int n = 0;
	if (!upgrade) {
		secs[n++] = SEC_DOWNGRADE;
		return n;
	}
	if (r->section[SEC_UPGRADE]) {
		secs[n++] = SEC_UPGRADE;
		return n;
	}
	static const int phased[] = {SEC_EXPAND, SEC_MIGRATE, SEC_CONTRACT};
	for (int i = 0; i < 3; i++)
		if (r->section[phased[i]])
			secs[n++] = phased[i];
	return n;
}

static int split_step(const graph *g, const plan_step *s, dialect d, step_sql *out,
                      retort_error *err)
{
	const revision *r = g->revs[s->rev];
	int secs[3];
	int n = step_sections(r, s->upgrade, secs);
	if (!s->upgrade && !r->section[SEC_DOWNGRADE])
		return rt_error(err, RETORT_EUSAGE, r->path, 0,
		                "revision %s has no '-- +downgrade' section; cannot downgrade past it",
		                r->id);
	for (int i = 0; i < n; i++) {
		int rc = sql_split(d, r->section[secs[i]], r->section_line[secs[i]], r->path,
		                   &out->stmts, err);
		if (rc)
			return rc;
	}
	return RETORT_OK;
}

/* One line, bounded: the statement as the error message shows it. */
static void stmt_preview(sbuf *b, const char *sql)
{
	size_t n = 0;
	int space = 0;
	for (const char *p = sql; *p && n < 300; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t' || *p == ' ') {
			space = 1;
			continue;
		}
		if (space && n)
			sb_addc(b, ' '), n++;
		space = 0;
		sb_addc(b, *p), n++;
	}
	if (strlen(sql) > 300)
		sb_adds(b, " ...");
}

static void render_step(const graph *g, const plan_step *s, const step_sql *ss, const char *vt,
                        int tx, sbuf *out)
{
	sbuf desc = SBUF_INIT;
	plan_step_describe(g, s, &desc);
	sb_addf(out, "-- Running %s\n\n", sb_str(&desc));
	sb_free(&desc);
	if (tx)
		sb_adds(out, "BEGIN;\n\n");
	for (size_t i = 0; i < ss->stmts.n; i++)
		sb_addf(out, "%s;\n\n", ss->stmts.v[i].sql);
	strvec vsql = STRVEC_INIT;
	version_step_sql(vt, s, &vsql);
	for (size_t i = 0; i < vsql.n; i++)
		sb_addf(out, "%s;\n\n", vsql.v[i]);
	sv_free(&vsql);
	if (tx)
		sb_adds(out, "COMMIT;\n\n");
}

/* Runs one version-table statement; UPDATE and DELETE must hit exactly
 * the row they name, or another process moved the version under us. */
static int exec_version(retort_db *db, const char *sql, retort_error *err)
{
	long rows = -1;
	int rc = db->drv->exec(db->conn, sql, &rows, err);
	if (rc) {
		char msg[sizeof(err->message)];
		snprintf(msg, sizeof(msg), "%s", err->message);
		return rt_error(err, RETORT_ERUNTIME, NULL, 0,
		                "version table update failed (another run may have changed it): %s",
		                msg);
	}
	if (rows != 1)
		return rt_error(err, RETORT_ERUNTIME, NULL, 0,
		                "version table changed by another run (%ld rows matched): %s", rows,
		                sql);
	return RETORT_OK;
}

static int run_step(retort_project *p, retort_db *db, const plan_step *s, const step_sql *ss,
                    int in_tx, retort_error *err)
{
	const revision *r = p->g.revs[s->rev];
	sbuf desc = SBUF_INIT;
	plan_step_describe(&p->g, s, &desc);
	rt_log(p, RETORT_LOG_INFO, "Running %s", sb_str(&desc));
	sb_free(&desc);
	for (size_t i = 0; i < ss->stmts.n; i++) {
		const stmt *st = &ss->stmts.v[i];
		int rc = db->drv->exec(db->conn, st->sql, NULL, err);
		if (rc) {
			char dbmsg[sizeof(err->message)];
			snprintf(dbmsg, sizeof(dbmsg), "%s", err->message);
			sbuf msg = SBUF_INIT;
			sb_addf(&msg, "%s of %s failed%s: %s [statement: ",
			        s->upgrade ? "upgrade" : "downgrade", r->id,
			        in_tx ? ", rolled back" : "", dbmsg);
			stmt_preview(&msg, st->sql);
			sb_addc(&msg, ']');
			if (db->drv->redact)
				db->drv->redact(db->conn, &msg);
			rt_error(err, RETORT_ERUNTIME, r->path, st->line, "%s", sb_str(&msg));
			sb_free(&msg);
			return RETORT_ERUNTIME;
		}
	}
	strvec vsql = STRVEC_INIT;
	version_step_sql(db->vt, s, &vsql);
	int rc = RETORT_OK;
	for (size_t i = 0; i < vsql.n && !rc; i++)
		rc = exec_version(db, vsql.v[i], err);
	sv_free(&vsql);
	return rc;
}

static int tx(retort_db *db, const char *what, retort_error *err)
{
	return db->drv->exec(db->conn, what, NULL, err);
}

int run_plan(retort_project *p, retort_db *db, dialect d, const plan *pl, sbuf *sql_out,
             const char *sql_vt, retort_error *err)
{
	step_sql *ss = xcalloc(pl->n ? pl->n : 1, sizeof(*ss));
	int rc = RETORT_OK;
	for (size_t i = 0; i < pl->n && !rc; i++)
		rc = split_step(&p->g, &pl->v[i], d, &ss[i], err);
	int per_step = p->cfg.transaction_per_migration;
	int tx_ddl = db ? db->drv->transactional_ddl : d != DIALECT_MYSQL;
	if (!rc && sql_out) {
		for (size_t i = 0; i < pl->n; i++) {
			int t = tx_ddl && p->g.revs[pl->v[i].rev]->transactional;
			render_step(&p->g, &pl->v[i], &ss[i], sql_vt, t, sql_out);
		}
	} else if (!rc) {
		int open = 0;
		for (size_t i = 0; i < pl->n && !rc; i++) {
			int t = tx_ddl && p->g.revs[pl->v[i].rev]->transactional;
			/* A non-transactional step (CREATE INDEX CONCURRENTLY) must
			 * not run inside a transaction shared with earlier steps. */
			if (!t && open) {
				rc = tx(db, "COMMIT", err);
				open = 0;
			}
			if (!rc && t && !open) {
				rc = tx(db, "BEGIN", err);
				open = !rc;
			}
			if (!rc)
				rc = run_step(p, db, &pl->v[i], &ss[i], t, err);
			if (!rc && open && (per_step || i + 1 == pl->n)) {
				rc = tx(db, "COMMIT", err);
				open = 0;
			}
		}
		if (rc && open) {
			retort_error ignored;
			tx(db, "ROLLBACK", &ignored);
		}
	}
	for (size_t i = 0; i < pl->n; i++)
		stmt_list_free(&ss[i].stmts);
	free(ss);
	return rc;
}
