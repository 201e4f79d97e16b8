/*
 * phase.c: the migrate part of a phased revision (SPEC §8), which moves
 * data while the old and the new release both run. A statement holding
 * `:batch_size` is repeated, each run in a transaction of its own that
 * also records the progress in the revision's phase row, until it
 * changes no rows: no transaction holds its row locks for longer than one
 * batch, a kill -9 loses at most the batch that was running, and a rerun
 * resumes where the row says. Any other statement of the part runs once,
 * in a transaction with the row that says it ran.
 *
 * Batches are timed by default (migrate_opts.batch_ms): the first has
 * batch_size rows and each next one is sized from how long the last
 * transaction took, so every batch holds its locks for about the same
 * short time whatever the rows cost, and a fast table is not moved in
 * thousands of tiny transactions, each paying a durable commit
 * (pt-online-schema-change's --chunk-time does the same).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

static const char placeholder[] = ":batch_size";

/* Where the next :batch_size placeholder starts at or after p, outside
 * quotes, quoted names, comments and dollar-quoted bodies; NULL if none. */
static const char *next_placeholder(const char *start, const char *p)
{
	while (*p) {
		if (*p == '\'' || *p == '"') {
			char q = *p++;
			while (*p && !(*p == q && p[1] != q))
				p += (*p == q) ? 2 : 1;
			if (*p)
				p++;
		} else if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			p = e ? e + 2 : p + strlen(p);
		} else if (*p == '$' && (p[1] == '$' || isalpha((unsigned char)p[1]) || p[1] == '_')) {
			const char *t = p + 1;
			while (isalnum((unsigned char)*t) || *t == '_')
				t++;
			if (*t != '$') {
				p++;
				continue;
			}
			size_t tl = (size_t)(t - p + 1);
			char *tag = xstrndup(p, tl);
			const char *e = strstr(t + 1, tag);
			free(tag);
			p = e ? e + tl : p + strlen(p);
		} else if (strncmp(p, placeholder, sizeof placeholder - 1) == 0 &&
		           !isalnum((unsigned char)p[sizeof placeholder - 1]) &&
		           p[sizeof placeholder - 1] != '_' && (p == start || p[-1] != ':')) {
			return p;
		} else {
			p++;
		}
	}
	return NULL;
}

int run_is_batched(const char *sql)
{
	return next_placeholder(sql, sql) != NULL;
}

/* The statement with every :batch_size placeholder replaced by n. */
static char *with_batch(const char *sql, long n)
{
	sbuf b = SBUF_INIT;
	const char *p = sql, *ph;
	while ((ph = next_placeholder(sql, p))) {
		sb_add(&b, p, (size_t)(ph - p));
		sb_addf(&b, "%ld", n);
		p = ph + sizeof placeholder - 1;
	}
	sb_adds(&b, p);
	return sb_detach(&b);
}

/* The part's `-- progress: SELECT ...` query (rows left), or NULL. */
static char *progress_query(const char *section)
{
	static const char tag[] = "-- progress:";
	for (const char *p = section; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		const char *q = p;
		while (q < p + len && isspace((unsigned char)*q))
			q++;
		if ((size_t)(p + len - q) > sizeof tag - 1 && strncasecmp(q, tag, sizeof tag - 1) == 0) {
			q += sizeof tag - 1;
			while (isspace((unsigned char)*q))
				q++;
			size_t n = (size_t)(p + len - q);
			while (n && (isspace((unsigned char)q[n - 1]) || q[n - 1] == ';'))
				n--;
			return n ? xstrndup(q, n) : NULL;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	return NULL;
}

static long long remaining_rows(store *st, const char *query)
{
	if (!query)
		return -1;
	strvec v = STRVEC_INIT;
	retort_error ignored;
	long long n = -1;
	if (st->drv->query_col(st->conn, query, &v, &ignored) == RETORT_OK && v.n)
		n = atoll(v.v[0]);
	sv_free(&v);
	return n;
}

/* One transaction: the statement (sql may be NULL) and the phase row,
 * whose rows count grows by what the statement changed (count_rows). */
static int run_with_row(run_ctx *c, const char *sql, long *rows, phase_row *row, int count_rows,
                        long long us[2], retort_error *err)
{
	store *st = c->st;
	strvec book = STRVEC_INIT;
	long changed = 0;
	long long t0 = now_us();
	int rc = st->drv->exec(st->conn, st->sql->begin, NULL, err);
	long long t1 = now_us();
	if (us) /* the BEGIN (a round trip) and the statement */
		us[0] = t1 - t0, us[1] = 0;
	if (!rc && sql) {
		if (c->interrupted && *c->interrupted) {
			rc = rt_fail(err, RETORT_EINTR, RETORT_R_INTERRUPTED, NULL, 0, "interrupted");
		} else {
			/* watched: a signal just after the check still cancels it */
			if (st->drv->watch)
				st->drv->watch(st->conn, c->interrupted);
			rc = st->drv->exec(st->conn, sql, &changed, err);
			if (us)
				us[1] = now_us() - t1;
			if (st->drv->watch)
				st->drv->watch(st->conn, NULL);
		}
	}
	if (!rc && count_rows)
		row->rows += changed;
	if (!rc) {
		/* the phase row and COMMIT in one round trip: per batch that is
		 * BEGIN, the statement, and this */
		store_phase_set_sql(st, row, &book);
		sbuf all = SBUF_INIT;
		for (size_t i = 0; i < book.n; i++)
			sb_addf(&all, "%s;\n", book.v[i]);
		sb_adds(&all, st->sql->commit);
		rc = st->drv->exec(st->conn, sb_str(&all), NULL, err);
		sb_free(&all);
	}
	if (rc) {
		retort_error ignored;
		st->drv->exec(st->conn, st->sql->rollback, NULL, &ignored);
	}
	if (rows)
		*rows = changed;
	sv_free(&book);
	return rc;
}

/* The largest batch timing ever asks for: the statement's text must hold it,
 * and no sane batch is larger. */
#define BATCH_MAX 10000000L

/* Batches under an unconfirmed ceiling before one probe at it. */
#define CEILING_BATCHES 20

void run_sizer_init(batch_sizer *b, long first, int target_ms)
{
	first = first > 0 ? first : 1;
	*b = (batch_sizer){.size = first, .first = first, .target_ms = target_ms, .rtt_us = -1};
}

void run_sizer_next(batch_sizer *b, long long took_us, long long rtt_us)
{
	long n = b->size;
	if (rtt_us >= 0 && (b->rtt_us < 0 || rtt_us < b->rtt_us))
		b->rtt_us = rtt_us;
	double target = (double)b->target_ms * 1000.0;
	double work = (double)took_us - (double)(b->rtt_us > 0 ? b->rtt_us : 0);
	if (work < 1.0)
		work = 1.0;
	double per_row = work / (double)n;
	if (b->last && n > b->last && work > target && per_row > 2.0 * b->per_row) {
		/* a cliff, or a stall: a second one at a probe confirms it */
		if (b->ceiling && b->probing)
			b->confirmed = 1;
		b->ceiling = b->ceiling && b->ceiling < n ? b->ceiling : n;
		b->below = 0;
		b->probing = 0;
	} else if (b->ceiling && b->probing && n >= b->ceiling) {
		/* the probe at the ceiling was fast: it was a stall (a lock
		 * wait, a checkpoint), not the statement's cost */
		b->ceiling = 0;
		b->probing = 0;
	} else if (b->ceiling && !b->confirmed && ++b->below >= CEILING_BATCHES) {
		b->probing = 1;
	}
	b->last = n;
	b->per_row = per_row;
	double want = (double)n * target / work;
	if (want > 1.5 * (double)n)
		want = 1.5 * (double)n;
	double cap = b->probing ? (double)b->ceiling : (double)b->ceiling * 0.75;
	if (b->ceiling && want > cap)
		want = cap;
	if (want < (double)b->first)
		want = (double)b->first;
	if (want > (double)BATCH_MAX)
		want = (double)BATCH_MAX;
	b->size = (long)want;
}

static void batch_progress(run_ctx *c, const revision *r, const phase_row *row, long long t0,
                           long long remaining)
{
	if (!c->progress)
		return;
	retort_progress pr = {.event = RETORT_PROGRESS_BATCH,
	                      .revision = r->id,
	                      .statement = row->migrate_done + 1,
	                      .elapsed_ms = now_ms() - t0,
	                      .rows = row->rows,
	                      .batches = row->batches,
	                      .remaining = remaining};
	c->progress(c->progress_ud, &pr);
}

int run_migrate(run_ctx *c, dialect d, int rev, phase_row *row, const migrate_opts *o,
                retort_error *err)
{
	const revision *r = c->g->revs[rev];
	const stmt_list *l = NULL;
	long first = o && o->batch_size > 0 ? o->batch_size : 1000;
	int rc = r->section[SEC_MIGRATE] ? stmt_cache_get(c->cache, rev, SEC_MIGRATE, d, &l, err) : 0;
	if (rc)
		return rc;
	char *pq = progress_query(r->section[SEC_MIGRATE]);
	char started[40];
	now_utc(started, sizeof started);
	long long t_all = now_ms();
	size_t n = l ? l->n : 0;
	if ((size_t)row->migrate_done > n)
		row->migrate_done = (int)n;
	if (row->migrate_done || row->batches)
		rt_log(c->log, RETORT_LOG_INFO, "Resuming migrate of %s at statement %d of %zu", r->id,
		       row->migrate_done + 1, n);
	for (size_t i = (size_t)row->migrate_done; !rc && i < n; i++) {
		const stmt *sm = &l->v[i];
		if (!run_is_batched(sm->sql)) {
			phase_row next = *row;
			next.migrate_done = (int)i + 1;
			next.batches = 0;
			rc = run_with_row(c, sm->sql, NULL, &next, 0, NULL, err);
			if (!rc)
				*row = next;
		} else {
			long long t0 = now_ms(), remaining = remaining_rows(c->st, pq), last_report = 0;
			batch_sizer bs; /* each statement times its own batches */
			run_sizer_init(&bs, first, o ? o->batch_ms : 0);
			for (;;) {
				char *sql = with_batch(sm->sql, bs.size);
				long changed = 0;
				phase_row next = *row;
				next.batches++;
				long long us[2];
				rc = run_with_row(c, sql, &changed, &next, 1, us, err);
				free(sql);
				if (rc)
					break;
				/* timed batches: the next one sized so that its statement
				 * works about batch_ms, as the one just measured predicts
				 * (its locks are held from then to the COMMIT after it) */
				if (bs.target_ms > 0 && changed > 0)
					run_sizer_next(&bs, us[1], us[0]);
				if (changed == 0) {
					/* the statement is finished: the next one is due */
					phase_row fin = *row;
					fin.migrate_done = (int)i + 1;
					fin.batches = 0; /* rows: the total moved so far stays */
					rc = run_with_row(c, NULL, NULL, &fin, 0, NULL, err);
					if (!rc)
						*row = fin;
					break;
				}
				*row = next;
				if (remaining >= 0)
					remaining = remaining > changed ? remaining - changed : 0;
				if (now_ms() - last_report >= 200) {
					batch_progress(c, r, row, t0, remaining);
					last_report = now_ms();
				}
				if (o && o->pause_ms > 0)
					nap_ms(o->pause_ms);
			}
			if (!rc) {
				long long ms = now_ms() - t0;
				rt_log(c->log, RETORT_LOG_INFO, "Migrated %s statement %zu: done in %.1f s", r->id,
				       i + 1, (double)ms / 1000.0);
			}
		}
		if (rc) {
			char msg[sizeof err->message];
			snprintf(msg, sizeof msg, "%s", err->message);
			rt_fail(err, err->code == RETORT_EINTR ? RETORT_EINTR : RETORT_ERUNTIME,
			        err->code == RETORT_EINTR ? RETORT_R_INTERRUPTED : RETORT_R_STATEMENT, r->path,
			        sm->line,
			        "migrate of %s stopped at statement %zu of %zu: %s; the batches before it "
			        "are committed: run `retort migrate` again to resume",
			        r->id, i + 1, n, msg);
		}
	}
	free(pq);
	if (rc)
		return rc;
	/* done: the row says migrated, with its history row */
	phase_row fin = *row;
	fin.state = PH_MIGRATED;
	history_row h = {0};
	char sum[65];
	sha_hex(r->sha256, sum);
	h.revision = r->id;
	h.op = OP_MIGRATE;
	h.from = h.to = r->id;
	h.checksum = sum;
	h.started_at = started;
	h.duration_ms = (long)(now_ms() - t_all);
	h.statements = (int)n;
	h.state = HS_OK;
	char *ins = store_history_insert_sql(c->st, &h);
	strvec book = STRVEC_INIT;
	store_phase_set_sql(c->st, &fin, &book);
	sv_push_owned(&book, ins);
	rc = store_exec_tx(c->st, &book, 0, 0, err);
	sv_free(&book);
	if (!rc)
		*row = fin;
	return rc;
}
