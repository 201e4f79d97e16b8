/*
 * run.c: executing a plan against a database, or rendering it as SQL text
 * (--sql). Every step runs in its own transaction together with its
 * version-table compare-and-set (SPEC §7), so after any failure the
 * version table names exactly the revisions whose changes are applied.
 * All statements of all steps are split before the first one runs (the
 * CLI even checks every file before connecting: retort_validate): a broken
 * file must not leave the database half-migrated.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

/* A step's statements, borrowed from the project's cache. */
typedef struct step_sql {
	const stmt **v;
	size_t n;
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

static int split_step(retort_project *p, const plan_step *s, dialect d, step_sql *out,
                      retort_error *err)
{
	const revision *r = p->g.revs[s->rev];
	int secs[3];
	int n = step_sections(r, s->upgrade, secs);
	if (!s->upgrade && !r->section[SEC_DOWNGRADE])
		return rt_error(err, RETORT_EUSAGE, r->path, 0,
		                "revision %s has no '-- +downgrade' section; cannot downgrade past it",
		                r->id);
	for (int i = 0; i < n; i++) {
		const stmt_list *l;
		int rc = project_statements(p, s->rev, secs[i], d, &l, err);
		if (rc)
			return rc;
		out->v = xrealloc(out->v, (out->n + l->n + 1) * sizeof(*out->v));
		for (size_t k = 0; k < l->n; k++) {
			/* SPEC §8's batched migrate is not built yet: say so rather
			 * than send the placeholder to the database as a parameter. */
			if (secs[i] == SEC_MIGRATE && strstr(l->v[k].sql, ":batch_size"))
				return rt_error(err, RETORT_EUSAGE, r->path, l->v[k].line,
				                "':batch_size' (batched migrate, SPEC §8) is not "
				                "supported yet: write the statement without it");
			out->v[out->n++] = &l->v[k];
		}
	}
	return RETORT_OK;
}

static void done_sha(const step_sql *ss, size_t n, char out[65])
{
	unsigned char sha[32];
	unsigned int len = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	for (size_t i = 0; ok && i < n && i < ss->n; i++)
		ok = EVP_DigestUpdate(c, ss->v[i]->sql, strlen(ss->v[i]->sql) + 1);
	ok = ok && EVP_DigestFinal_ex(c, sha, &len) && len == sizeof(sha);
	EVP_MD_CTX_free(c);
	if (ok)
		sha_hex(sha, out);
	else
		out[0] = 0;
}

int run_done_checksum(retort_project *p, const plan_step *s, dialect d, int n, char out[65],
                      retort_error *err)
{
	step_sql ss = {0};
	int rc = split_step(p, s, d, &ss, err);
	if (!rc)
		done_sha(&ss, (size_t)n, out);
	free(ss.v);
	return rc;
}

int plan_check(retort_project *p, const plan *pl, dialect d, retort_error *err)
{
	int rc = RETORT_OK;
	for (size_t i = 0; i < pl->n && !rc; i++) {
		step_sql ss = {0};
		rc = split_step(p, &pl->v[i], d, &ss, err);
		free(ss.v);
	}
	return rc;
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
	for (size_t i = 0; i < ss->n; i++)
		sb_addf(out, "%s;\n\n", ss->v[i]->sql);
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

/* The version rows a step moves from and to, for its history row. */
static void step_from_to(const graph *g, const plan_step *s, sbuf *from, sbuf *to)
{
	const revision *r = g->revs[s->rev];
	sv_join(s->upgrade ? from : to, &r->down, ",");
	sb_adds(s->upgrade ? to : from, r->id);
}

static void write_history(retort_db *db, const graph *g, const plan_step *s,
                          const char *started, long long t0, int statements, const char *state,
                          int failed_line, const char *error, const char *done, strvec *sql)
{
	const revision *r = g->revs[s->rev];
	char sum[65];
	sha_hex(r->sha256, sum);
	sbuf from = SBUF_INIT, to = SBUF_INIT;
	step_from_to(g, s, &from, &to);
	history_rec h = {.revision = r->id,
	                 .operation = s->upgrade ? "upgrade" : "downgrade",
	                 .from = sb_str(&from),
	                 .to = sb_str(&to),
	                 .checksum = sum,
	                 .started_at = started,
	                 .duration_ms = (long)(now_ms() - t0),
	                 .statements = statements,
	                 .success = strcmp(state, "ok") == 0,
	                 .state = state,
	                 .failed_line = failed_line,
	                 .error = error,
	                 .done_checksum = done};
	sv_push_owned(sql, history_insert_sql(db, &h));
	sb_free(&from);
	sb_free(&to);
}

/* Runs one step's statements (from `skip` on). On failure fills err with
 * file:line, the statement and the database's message, and reports how
 * many statements succeeded in *done. */
static int run_statements(retort_project *p, retort_db *db, const plan_step *s,
                          const step_sql *ss, int in_tx, int skip, int *done, int *failed_line,
                          sbuf *brief, retort_error *err)
{
	const revision *r = p->g.revs[s->rev];
	*done = skip;
	for (size_t i = (size_t)skip; i < ss->n; i++) {
		const stmt *st = ss->v[i];
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
			/* The history row keeps the database's words and the statement. */
			sb_addf(brief, "%s [statement: ", dbmsg);
			stmt_preview(brief, st->sql);
			sb_addc(brief, ']');
			if (db->drv->redact)
				db->drv->redact(db->conn, brief);
			if (!in_tx)
				sb_addf(&msg, "; %d of %zu statements ran and stay applied: the revision "
				              "is dirty until a rerun with a fixed file resumes at this "
				              "statement, or 'retort repair' records a fix by hand",
				        *done, ss->n);
			if (db->drv->redact)
				db->drv->redact(db->conn, &msg);
			rt_error(err, RETORT_ERUNTIME, r->path, st->line, "%s", sb_str(&msg));
			sb_free(&msg);
			*failed_line = st->line;
			return RETORT_ERUNTIME;
		}
		(*done)++;
	}
	return RETORT_OK;
}

static int tx(retort_db *db, const char *what, retort_error *err)
{
	return db->drv->exec(db->conn, what, NULL, err);
}

static int exec_all(retort_db *db, const strvec *sql, retort_error *err)
{
	for (size_t i = 0; i < sql->n; i++) {
		int rc = db->drv->exec(db->conn, sql->v[i], NULL, err);
		if (rc)
			return rc;
	}
	return RETORT_OK;
}

static int exec_version_all(retort_db *db, const strvec *sql, retort_error *err)
{
	for (size_t i = 0; i < sql->n; i++) {
		int rc = exec_version(db, sql->v[i], err);
		if (rc)
			return rc;
	}
	return RETORT_OK;
}

/* Runs the steps: each transactional step in a transaction with its
 * version compare-and-set and history row (one transaction for all with
 * transaction_per_migration = false); a non-transactional step's
 * statements in autocommit, then its bookkeeping in a transaction. */
static int execute(retort_project *p, retort_db *db, const plan *pl, step_sql *ss, run_lock *lk,
                   int resume_from, retort_error *err)
{
	int per_step = p->cfg.transaction_per_migration;
	int open = 0, rc = RETORT_OK;
	for (size_t i = 0; i < pl->n && !rc; i++) {
		const plan_step *s = &pl->v[i];
		const revision *r = p->g.revs[s->rev];
		int t = db->drv->sql->transactional_ddl && r->transactional;
		int skip = i == 0 ? resume_from : 0;
		char started[40];
		now_utc(started, sizeof(started));
		long long t0 = now_ms();
		/* A non-transactional step (CREATE INDEX CONCURRENTLY) must not
		 * run inside a transaction shared with earlier steps. */
		if (!t && open) {
			rc = tx(db, "COMMIT", err);
			open = 0;
		}
		if (!rc && t && !open) {
			rc = tx(db, db->drv->sql->begin, err);
			open = !rc;
		}
		if (rc)
			break;
		sbuf desc = SBUF_INIT;
		plan_step_describe(&p->g, s, &desc);
		rt_log(&p->log, RETORT_LOG_INFO, "Running %s", sb_str(&desc));
		sb_free(&desc);
		if (skip)
			rt_log(&p->log, RETORT_LOG_INFO, "Resuming %s at statement %d of %zu", r->id, skip + 1,
			       ss[i].n);
		int done = 0, failed_line = 0;
		sbuf brief = SBUF_INIT;
		rc = run_statements(p, db, s, &ss[i], t, skip, &done, &failed_line, &brief, err);
		if (rc) {
			retort_error ignored;
			if (open)
				tx(db, "ROLLBACK", &ignored);
			open = 0;
			/* The audit row outlives the rollback: written on its own. */
			strvec h = STRVEC_INIT;
			/* A resume that failed again supersedes the earlier dirty
			 * record: only the newest says where to go on from. */
			char done_sum[65] = "";
			if (!t) {
				sv_push_owned(&h, history_resolve_sql(db, r->id));
				done_sha(&ss[i], (size_t)done, done_sum);
			}
			write_history(db, &p->g, s, started, t0, t ? 0 : done, t ? "failed" : "dirty",
			              failed_line, brief.len ? sb_str(&brief) : err->message, done_sum,
			              &h);
			exec_all(db, &h, &ignored);
			sv_free(&h);
			sb_free(&brief);
			break;
		}
		sb_free(&brief);
		if (!t) {
			rc = tx(db, db->drv->sql->begin, err);
			open = !rc;
		}
		strvec book = STRVEC_INIT;
		version_step_sql(db->vt, s, &book);
		if (!rc)
			rc = exec_version_all(db, &book, err);
		sv_clear(&book);
		/* Only a non-transactional revision can have left a dirty row. */
		if (!t)
			sv_push_owned(&book, history_resolve_sql(db, r->id));
		write_history(db, &p->g, s, started, t0, done, "ok", 0, NULL, NULL, &book);
		int commit = open && (per_step || !t || i + 1 == pl->n);
		if (commit) {
			/* The history row and COMMIT travel together: one round trip
			 * less per revision; a failing INSERT still stops the COMMIT. */
			char *last = book.v[book.n - 1];
			book.v[book.n - 1] = xasprintf("%s;\nCOMMIT", last);
			free(last);
		}
		if (!rc)
			rc = exec_all(db, &book, err);
		sv_free(&book);
		if (!rc && commit)
			open = 0;
		if (!rc && !open)
			rc = lock_renew(db, lk, err);
	}
	if (rc && open) {
		retort_error ignored;
		tx(db, "ROLLBACK", &ignored);
	}
	return rc;
}

int run_plan(retort_project *p, retort_db *db, dialect d, const plan *pl, sbuf *sql_out,
             const char *sql_vt, run_lock *lk, int resume_from, retort_error *err)
{
	step_sql *ss = xcalloc(pl->n ? pl->n : 1, sizeof(*ss));
	int rc = RETORT_OK;
	for (size_t i = 0; i < pl->n && !rc; i++)
		rc = split_step(p, &pl->v[i], d, &ss[i], err);
	if (!rc && resume_from > 0 && pl->n && (size_t)resume_from > ss[0].n)
		rc = rt_error(err, RETORT_EUSAGE, p->g.revs[pl->v[0].rev]->path, 0,
		              "cannot resume at statement %d: the fixed file has only %zu",
		              resume_from + 1, ss[0].n);
	if (!rc && sql_out) {
		int tx_ddl = d != DIALECT_MYSQL;
		for (size_t i = 0; i < pl->n; i++) {
			int t = tx_ddl && p->g.revs[pl->v[i].rev]->transactional;
			render_step(&p->g, &pl->v[i], &ss[i], sql_vt, t, sql_out);
		}
	} else if (!rc) {
		rc = execute(p, db, pl, ss, lk, resume_from, err);
	}
	for (size_t i = 0; i < pl->n; i++)
		free(ss[i].v);
	free(ss);
	return rc;
}
