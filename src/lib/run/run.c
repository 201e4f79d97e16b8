/*
 * run.c: executing a plan against a database, or rendering it as SQL text
 * (--sql). Every step runs in its own transaction together with its
 * version-table compare-and-set and history row (SPEC §7), so after any
 * failure the version table names exactly the revisions whose changes are
 * applied. All statements of all steps are split before the first one
 * runs (the CLI even checks every file before connecting): a broken file
 * must not leave the database half-migrated.
 *
 * A non-transactional step (`transactional: false`) runs statement by
 * statement in autocommit. Before each statement its progress is made
 * durable in a dirty history record, on a connection of its own where the
 * backend allows one, so a kill -9, a lost connection or a signal at any
 * point leaves a record that says exactly which statements ran and which
 * one was running.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

/* A step's statements, borrowed from the cache. */
typedef struct step_sql {
	const stmt **v;
	size_t n;
} step_sql;

/* The sections a step runs: phased revisions upgrade through expand,
 * migrate and contract in order (SPEC §8). */
static int step_sections(const revision *r, const plan_step *s, int *secs)
{
	int n = 0, upgrade = s->upgrade;
	if (s->section) { /* one phase alone (may be absent: nothing to run) */
		if (r->section[s->section - 1])
			secs[n++] = s->section - 1;
		return n;
	}
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

static int split_step(run_ctx *c, const plan_step *s, dialect d, step_sql *out,
                      retort_error *err)
{
	const revision *r = c->g->revs[s->rev];
	int secs[3];
	int n = step_sections(r, s, secs);
	if (!s->upgrade && !r->section[SEC_DOWNGRADE])
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, r->path, 0,
		               "revision %s has no '-- +downgrade' section; cannot downgrade past it",
		               r->id);
	for (int i = 0; i < n; i++) {
		const stmt_list *l;
		int rc = stmt_cache_get(c->cache, s->rev, secs[i], d, &l, err);
		if (rc)
			return rc;
		out->v = xrealloc(out->v, (out->n + l->n + 1) * sizeof(*out->v));
		for (size_t k = 0; k < l->n; k++) {
			/* A batched statement runs batch by batch (run/phase.c), not
			 * inside one step; --sql cannot render that. */
			if (secs[i] == SEC_MIGRATE && !s->section && run_is_batched(l->v[k].sql))
				return rt_fail(err, RETORT_EUSAGE, RETORT_R_REVISION_FILE, r->path,
				               l->v[k].line,
				               "':batch_size' (a batched migrate) runs only through "
				               "`retort migrate` or `retort upgrade`, not in --sql");
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

int run_done_checksum(run_ctx *c, const plan_step *s, dialect d, int n, char out[65],
                      retort_error *err)
{
	step_sql ss = {0};
	int rc = split_step(c, s, d, &ss, err);
	if (!rc)
		done_sha(&ss, (size_t)n, out);
	free(ss.v);
	return rc;
}

int run_check(run_ctx *c, const plan *pl, dialect d, retort_error *err)
{
	int rc = RETORT_OK;
	for (size_t i = 0; i < pl->n && !rc; i++) {
		step_sql ss = {0};
		rc = split_step(c, &pl->v[i], d, &ss, err);
		free(ss.v);
	}
	return rc;
}

void run_result_free(run_result *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
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

static void log_step(run_ctx *c, const plan_step *s)
{
	sbuf desc = SBUF_INIT;
	plan_step_describe(c->g, s, &desc);
	rt_log(c->log, RETORT_LOG_INFO, "Running %s", sb_str(&desc));
	sb_free(&desc);
}

static void render_step(run_ctx *c, const sql_dialect *sd, const plan_step *s,
                        const step_sql *ss, const char *vt, int tx, sbuf *out)
{
	sbuf desc = SBUF_INIT;
	plan_step_describe(c->g, s, &desc);
	sb_addf(out, "-- Running %s\n\n", sb_str(&desc));
	sb_free(&desc);
	if (tx)
		sb_addf(out, "%s;\n\n", sd->begin_offline);
	for (size_t i = 0; i < ss->n; i++)
		sb_addf(out, "%s;\n\n", ss->v[i]->sql);
	strvec vsql = STRVEC_INIT;
	store_version_step_sql(sd, vt, s, &vsql);
	for (size_t i = 0; i < vsql.n; i++)
		sb_addf(out, "%s;\n\n", vsql.v[i]);
	sv_free(&vsql);
	if (tx)
		sb_addf(out, "%s;\n\n", sd->commit);
}

static int interrupted(const run_ctx *c)
{
	return c->interrupted && *c->interrupted;
}

/* A version-table statement's row count: UPDATE and DELETE must hit
 * exactly the row they name, or another process moved the version under us. */
static int version_rows(long rows, const char *sql, retort_error *err)
{
	if (rows != 1)
		return rt_fail(err, RETORT_ERUNTIME, RETORT_R_VERSION_CONFLICT, NULL, 0,
		               "version table changed by another run (%ld rows matched): %s", rows,
		               sql);
	return RETORT_OK;
}

/* Runs one version-table statement (compare-and-set). */
static int exec_version(store *st, const char *sql, retort_error *err)
{
	long rows = -1;
	int rc = st->drv->exec(st->conn, sql, &rows, err);
	if (rc) {
		char msg[sizeof(err->message)];
		snprintf(msg, sizeof(msg), "%s", err->message);
		return rt_fail(err, RETORT_ERUNTIME, RETORT_R_VERSION_CONFLICT, NULL, 0,
		               "version table update failed (another run may have changed it): %s",
		               msg);
	}
	return version_rows(rows, sql, err);
}

static int exec_all(store *st, const strvec *sql, retort_error *err)
{
	for (size_t i = 0; i < sql->n; i++) {
		int rc = st->drv->exec(st->conn, sql->v[i], NULL, err);
		if (rc)
			return rc;
	}
	return RETORT_OK;
}

static int tx(store *st, const char *what, retort_error *err)
{
	return st->drv->exec(st->conn, what, NULL, err);
}

/* The history row of a step (the strings are borrowed or in from/to). */
static void step_row(run_ctx *c, const plan_step *s, const char *started, long long t0,
                     sbuf *from, sbuf *to, char sum[65], history_row *h)
{
	const revision *r = c->g->revs[s->rev];
	sha_hex(r->sha256, sum);
	sv_join(s->upgrade ? from : to, &r->down, ",");
	sb_adds(s->upgrade ? to : from, r->id);
	memset(h, 0, sizeof(*h));
	h->revision = r->id;
	h->op = !s->upgrade                        ? OP_DOWNGRADE
	        : s->section == 1 + SEC_EXPAND ? OP_EXPAND
	        : s->section == 1 + SEC_CONTRACT ? OP_CONTRACT
	                                         : OP_UPGRADE;
	h->from = (char *)sb_str(from);
	h->to = (char *)sb_str(to);
	h->checksum = sum;
	h->started_at = (char *)started;
	h->duration_ms = (long)(now_ms() - t0);
	h->state = HS_OK;
}

static void progress(run_ctx *c, const revision *r, size_t i, size_t n, const char *sql,
                     int done)
{
	if (!c->progress)
		return;
	retort_progress pr = {.event = RETORT_PROGRESS_STATEMENT,
	                      .revision = r->id,
	                      .statement = (int)i + 1,
	                      .statements = (int)n,
	                      .sql = sql,
	                      .done = done};
	c->progress(c->progress_ud, &pr);
}

/* What a dirty record says while statement k (0-based) runs: if the run
 * dies now, this is the truth about it. */
static char *running_note(size_t k, size_t n)
{
	return xasprintf("statement %zu of %zu had started when the run stopped (killed, "
	                 "disconnected or interrupted); it may or may not have taken effect",
	                 k + 1, n);
}

/* Runs one step's statements (from `skip` on). On failure fills err with
 * file:line, the statement and the database's message, and reports how
 * many statements succeeded in *done. Non-transactional steps keep their
 * durable progress record up to date before each statement. */
static int run_statements(run_ctx *c, const plan_step *s, const step_sql *ss, int in_tx,
                          int skip, int *done, int *failed_line, sbuf *brief,
                          retort_error *err)
{
	const revision *r = c->g->revs[s->rev];
	store *st = c->st;
	*done = skip;
	for (size_t i = (size_t)skip; i < ss->n; i++) {
		const stmt *sm = ss->v[i];
		if (!in_tx) {
			char sum[65];
			done_sha(ss, i, sum);
			char *note = running_note(i, ss->n);
			int rc = store_progress_update(st, r->id, (int)i, sm->line, sum, note, err);
			free(note);
			if (rc)
				return rc;
		}
		progress(c, r, i, ss->n, sm->sql, -1);
		int rc = interrupted(c) ? rt_error(err, RETORT_ERUNTIME, NULL, 0, "interrupted")
		                        : st->drv->exec(st->conn, sm->sql, NULL, err);
		progress(c, r, i, ss->n, sm->sql, rc == RETORT_OK);
		if (rc) {
			char dbmsg[sizeof(err->message)];
			snprintf(dbmsg, sizeof(dbmsg), "%s", err->message);
			int intr = interrupted(c);
			if (intr)
				snprintf(dbmsg, sizeof(dbmsg), "interrupted (the statement was cancelled)");
			sbuf msg = SBUF_INIT;
			sb_addf(&msg, "%s of %s %s%s: %s [statement: ", s->upgrade ? "upgrade" : "downgrade",
			        r->id, intr ? "interrupted" : "failed", in_tx ? ", rolled back" : "", dbmsg);
			stmt_preview(&msg, sm->sql);
			sb_addc(&msg, ']');
			/* The history row keeps the database's words and the statement. */
			sb_addf(brief, "%s [statement: ", dbmsg);
			stmt_preview(brief, sm->sql);
			sb_addc(brief, ']');
			if (st->drv->redact)
				st->drv->redact(st->conn, brief);
			if (!in_tx)
				sb_addf(&msg, "; %d of %zu statements ran and stay applied: the revision "
				              "is dirty until a rerun with a fixed file resumes at this "
				              "statement, or 'retort repair' records a fix by hand",
				        *done, ss->n);
			if (st->drv->redact)
				st->drv->redact(st->conn, &msg);
			rt_fail(err, intr ? RETORT_EINTR : RETORT_ERUNTIME,
			        intr ? RETORT_R_INTERRUPTED : RETORT_R_STATEMENT, r->path, sm->line, "%s",
			        sb_str(&msg));
			sb_free(&msg);
			*failed_line = sm->line;
			return err->code;
		}
		(*done)++;
	}
	return RETORT_OK;
}

/* run_statements with the connection watching the interrupt flag, so a
 * signal that lands between the check before a statement and the
 * statement's start still cancels it (db_driver.watch). */
static int run_watched(run_ctx *c, const plan_step *s, const step_sql *ss, int in_tx, int skip,
                       int *done, int *failed_line, sbuf *brief, retort_error *err)
{
	store *st = c->st;
	if (st->drv->watch && c->interrupted)
		st->drv->watch(st->conn, c->interrupted);
	int rc = run_statements(c, s, ss, in_tx, skip, done, failed_line, brief, err);
	if (st->drv->watch && c->interrupted)
		st->drv->watch(st->conn, NULL);
	return rc;
}

/* "the database is at X" after a stop, from the plan: the rows before
 * step i (or after the last step when i == n). */
static void where_now(const plan *pl, size_t i, const strvec *start, sbuf *out)
{
	const strvec *rows = start;
	strvec tmp = STRVEC_INIT;
	if (i > 0) {
		/* replay the version changes of the steps that committed */
		sv_copy(&tmp, start);
		for (size_t k = 0; k < i; k++) {
			const plan_step *s = &pl->v[k];
			for (size_t d = 0; d < s->del.n; d++) {
				int at = sv_index(&tmp, s->del.v[d]);
				if (at >= 0)
					sv_remove_at(&tmp, (size_t)at);
			}
			if (s->upd_from) {
				int at = sv_index(&tmp, s->upd_from);
				if (at >= 0)
					sv_remove_at(&tmp, (size_t)at);
				sv_push(&tmp, s->upd_to);
			}
			for (size_t d = 0; d < s->ins.n; d++)
				sv_push(&tmp, s->ins.v[d]);
		}
		rows = &tmp;
	}
	if (rows->n)
		sv_join(out, rows, ", ");
	else
		sb_adds(out, "base");
	sv_free(&tmp);
}

static void stopped_message(retort_error *err, const plan *pl, size_t i, const strvec *start)
{
	sbuf at = SBUF_INIT;
	where_now(pl, i, start, &at);
	size_t len = strlen(err->message);
	snprintf(err->message + len, sizeof(err->message) - len, "; the database is at %s",
	         sb_str(&at));
	sb_free(&at);
}

/* Runs the steps: each transactional step in a transaction with its
 * version compare-and-set and history row (one transaction for all with
 * transaction_per_migration = false); a non-transactional step's
 * statements in autocommit, then its bookkeeping in a transaction. */
static int execute(run_ctx *c, const plan *pl, step_sql *ss, int resume_from,
                   const strvec *start, retort_error *err)
{
	store *st = c->st;
	int open = 0, rc = RETORT_OK;
	size_t committed = 0; /* steps whose transaction committed */
	int attempts = 0;     /* lock-timeout retries of the current step */
	long long t_run = now_ms();
	for (size_t i = 0; i < pl->n && !rc; i++) {
		const plan_step *s = &pl->v[i];
		const revision *r = c->g->revs[s->rev];
		int t = st->sql->transactional_ddl && r->transactional;
		int skip = i == 0 ? resume_from : 0;
		if (interrupted(c)) {
			rc = rt_fail(err, RETORT_EINTR, RETORT_R_INTERRUPTED, NULL, 0,
			             "interrupted before %s of %s", s->upgrade ? "upgrade" : "downgrade",
			             r->id);
			break;
		}
		char started[40];
		now_utc(started, sizeof(started));
		long long t0 = now_ms();
		/* A non-transactional step (CREATE INDEX CONCURRENTLY) must not
		 * run inside a transaction shared with earlier steps. */
		if (!t && open) {
			rc = tx(st, st->sql->commit, err);
			open = 0;
			if (!rc)
				committed = i;
		}
		/* The step's version-table changes (compare-and-set each). */
		strvec vbook = STRVEC_INIT;
		if (!s->keep_version)
			store_version_step_sql(st->sql, st->vt, s, &vbook);
		size_t vdone = 0; /* of vbook, run already */
		if (!rc && t && !open) {
			if (st->sql->kind == DIALECT_PG) {
				/* One round trip opens the step on PostgreSQL: BEGIN, the
				 * lock_timeout (SPEC §8: never queue behind a long
				 * transaction while the application's queries queue
				 * behind us) and the first compare-and-set of the
				 * version row, whose row count is the last result. The
				 * row stays locked until COMMIT, so doing it first
				 * changes nothing another run can see (a revision whose
				 * own statement rewrites the version row is caught by
				 * the next step's compare-and-set instead of its own). */
				sbuf q = SBUF_INIT;
				sb_adds(&q, st->sql->begin);
				if (c->ddl_lock_timeout > 0)
					sb_addf(&q, ";\nSET LOCAL lock_timeout = '%ds'", c->ddl_lock_timeout);
				long rows = -1;
				if (vbook.n && !skip) {
					sb_addf(&q, ";\n%s", vbook.v[0]);
					vdone = 1;
				}
				rc = st->drv->exec(st->conn, sb_str(&q), vdone ? &rows : NULL, err);
				sb_free(&q);
				if (rc) {
					char msg[sizeof(err->message)];
					snprintf(msg, sizeof(msg), "%s", err->message);
					rt_fail(err, RETORT_ERUNTIME, RETORT_R_DATABASE, NULL, 0,
					        "could not open the step's transaction (BEGIN, SET LOCAL "
					        "lock_timeout, the version-table update): %s",
					        msg);
				} else if (vdone) {
					rc = version_rows(rows, vbook.v[0], err);
				}
				if (rc) {
					/* the BEGIN may have run: leave no transaction open */
					retort_error ignored;
					tx(st, st->sql->rollback, &ignored);
				}
			} else {
				rc = tx(st, st->sql->begin, err);
			}
			open = !rc;
			if (rc)
				stopped_message(err, pl, committed, start);
		}
		if (rc) {
			sv_free(&vbook);
			break;
		}
		log_step(c, s);
		if (skip)
			rt_log(c->log, RETORT_LOG_INFO, "Resuming %s at statement %d of %zu", r->id,
			       skip + 1, ss[i].n);
		sbuf from = SBUF_INIT, to = SBUF_INIT;
		char sum[65];
		history_row h;
		step_row(c, s, started, t0, &from, &to, sum, &h);
		if (!t) {
			/* The dirty record exists before the first statement runs. */
			char dsum[65];
			done_sha(&ss[i], (size_t)skip, dsum);
			char *note = running_note((size_t)skip, ss[i].n);
			history_row d = h;
			d.state = HS_DIRTY;
			d.statements = skip;
			d.failed_line = (size_t)skip < ss[i].n ? ss[i].v[skip]->line : 0;
			d.error = note;
			d.done_checksum = dsum;
			rc = store_progress_begin(st, &d, err);
			free(note);
		}
		int done = 0, failed_line = 0;
		sbuf brief = SBUF_INIT;
		if (!rc)
			rc = run_watched(c, s, &ss[i], t, skip, &done, &failed_line, &brief, err);
		if (rc) {
			sv_free(&vbook);
			retort_error ignored;
			if (open)
				tx(st, st->sql->rollback, &ignored);
			open = 0;
			h.duration_ms = (long)(now_ms() - t0);
			if (t) {
				/* The audit row outlives the rollback: written on its own. */
				h.state = HS_FAILED;
				h.failed_line = failed_line;
				h.error = brief.len ? (char *)sb_str(&brief) : err->message;
				char *ins = store_history_insert_sql(st, &h);
				st->drv->exec(st->conn, ins, NULL, &ignored);
				free(ins);
			} else if (failed_line) {
				char dsum[65];
				done_sha(&ss[i], (size_t)done, dsum);
				store_progress_update(st, r->id, done, failed_line, dsum,
				                      brief.len ? sb_str(&brief) : err->message, &ignored);
			}
			/* a lock wait that timed out: the step rolled back whole, so
			 * it can run again after a pause, while nothing else waits */
			if (t && c->per_step && committed == i && st->drv->lock_timed_out &&
			    st->drv->lock_timed_out(st->conn) && !interrupted(c)) {
				char *who = st->drv->blocker ? st->drv->blocker(st->conn) : NULL;
				if (attempts < c->ddl_lock_retries) {
					int wait = 1 << attempts;
					attempts++;
					rt_log(c->log, RETORT_LOG_WARN,
					       "%s waited more than ddl_lock_timeout (%d s) for a lock%s%s; "
					       "rolled back, retrying in %d s (%d of %d)",
					       r->id, c->ddl_lock_timeout, who ? ", held up by " : "",
					       who ? who : "", wait, attempts, c->ddl_lock_retries);
					free(who);
					sb_free(&brief);
					sb_free(&from);
					sb_free(&to);
					nap_ms(wait * 1000);
					rc = RETORT_OK;
					i--;
					continue;
				}
				size_t len = strlen(err->message);
				snprintf(err->message + len, sizeof(err->message) - len,
				         "; gave up after %d retr%s: the lock is held by %s; end that "
				         "transaction, or raise ddl_lock_timeout",
				         attempts, attempts == 1 ? "y" : "ies",
				         who ? who : "another session");
				free(who);
			}
			stopped_message(err, pl, t ? committed : i, start);
			sb_free(&brief);
			sb_free(&from);
			sb_free(&to);
			break;
		}
		sb_free(&brief);
		if (!t) {
			/* Every statement ran: should the version update below fail
			 * (the connection dies, an interrupt), the record must say
			 * so, or a resume would run the last statement again. */
			char dsum[65];
			done_sha(&ss[i], (size_t)done, dsum);
			rc = store_progress_update(st, r->id, done, 0, dsum,
			                           "every statement ran; the version update did not: "
			                           "'retort repair --applied' records it",
			                           err);
			if (!rc)
				rc = tx(st, st->sql->begin, err);
			open = !rc;
		}
		for (size_t k = vdone; !rc && k < vbook.n; k++)
			rc = exec_version(st, vbook.v[k], err);
		sv_free(&vbook);
		strvec book = STRVEC_INIT;
		/* the phase row travels with the step (run/phase.c) */
		for (size_t k = 0; k < s->extra.n; k++)
			sv_push(&book, s->extra.v[k]);
		h.duration_ms = (long)(now_ms() - t0);
		h.statements = done;
		/* A non-transactional step's progress record becomes its row. */
		sv_push_owned(&book, t ? store_history_insert_sql(st, &h)
		                       : store_progress_finish_sql(st, r->id, done, h.duration_ms));
		int commit = open && (c->per_step || !t || i + 1 == pl->n);
		if (commit) {
			/* The history row and COMMIT travel together: one round trip
			 * less per revision; a failing INSERT still stops the COMMIT. */
			char *last = book.v[book.n - 1];
			size_t ll = strlen(last), cl = strlen(st->sql->commit);
			char *joined = xmalloc(ll + cl + 3);
			memcpy(joined, last, ll);
			memcpy(joined + ll, ";\n", 2);
			memcpy(joined + ll + 2, st->sql->commit, cl + 1);
			book.v[book.n - 1] = joined;
			free(last);
		}
		if (!rc)
			rc = exec_all(st, &book, err);
		sv_free(&book);
		sb_free(&from);
		sb_free(&to);
		if (!rc && commit) {
			open = 0;
			committed = i + 1;
			attempts = 0;
		}
		if (!rc && c->result) {
			run_result *res = c->result;
			res->v = xrealloc(res->v, (res->n + 1) * sizeof(*res->v));
			res->v[res->n++] = (run_step_result){s->rev, s->upgrade, h.duration_ms, done};
		}
		if (!rc && !open)
			rc = lock_renew(st, c->lk, err);
		if (rc)
			stopped_message(err, pl, committed, start);
	}
	if (rc && open) {
		retort_error ignored;
		tx(st, st->sql->rollback, &ignored);
	}
	if (c->result)
		c->result->total_ms = now_ms() - t_run;
	return rc;
}

int run_plan(run_ctx *c, dialect d, const plan *pl, sbuf *sql_out, const char *vt,
             const strvec *start, int resume_from, retort_error *err)
{
	step_sql *ss = xcalloc(pl->n ? pl->n : 1, sizeof(*ss));
	int rc = RETORT_OK;
	for (size_t i = 0; i < pl->n && !rc; i++)
		rc = split_step(c, &pl->v[i], d, &ss[i], err);
	if (!rc && resume_from > 0 && pl->n && (size_t)resume_from > ss[0].n)
		rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_REVISION_FILE, c->g->revs[pl->v[0].rev]->path,
		             0, "cannot resume at statement %d: the fixed file has only %zu",
		             resume_from + 1, ss[0].n);
	if (!rc && sql_out) {
		const sql_dialect *sd = dialect_get(d);
		for (size_t i = 0; i < pl->n; i++) {
			int t = sd->transactional_ddl && c->g->revs[pl->v[i].rev]->transactional;
			/* Alembic's offline mode logs each step as it renders it. */
			log_step(c, &pl->v[i]);
			render_step(c, sd, &pl->v[i], &ss[i], vt, t, sql_out);
		}
	} else if (!rc) {
		rc = execute(c, pl, ss, resume_from, start, err);
	}
	for (size_t i = 0; i < pl->n; i++)
		free(ss[i].v);
	free(ss);
	return rc;
}
