/*
 * phase.c: expand, migrate and contract (SPEC §8), and what upgrade does
 * over phased revisions. The pending revisions (graph order, from the
 * version table to the target) move through three states kept in
 * retort_phase: expanded (the expand part ran; a plain revision's upgrade
 * completes it at once), migrated (every batch of the migrate part ran),
 * contracted (complete). The version table moves only over a prefix of
 * complete revisions, in the same transaction as the step that completes
 * it, so it always names revisions that are fully applied and
 * Alembic-style tools read a true state; a revision's phase row goes
 * when the version table reaches it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static int phased(const revision *r)
{
	return !r->section[SEC_UPGRADE] &&
	       (r->section[SEC_EXPAND] || r->section[SEC_MIGRATE] || r->section[SEC_CONTRACT]);
}

/* What one phase command works on, read under the run lock. */
typedef struct cycle {
	store_state ss;
	plan pl;           /* pending steps, version table → target */
	phase_rows rows;
	phase_state *state; /* per step */
	run_lock lk;
	int locked;
} cycle;

static void cycle_free(retort_db *db, cycle *cy)
{
	if (cy->locked)
		lock_release(&db->st, &cy->lk);
	store_state_free(&cy->ss);
	plan_free(&cy->pl);
	phase_rows_free(&cy->rows);
	free(cy->state);
}

static int cycle_open(retort_project *p, retort_db *db, const char *target, cycle *cy,
                      retort_error *err)
{
	memset(cy, 0, sizeof *cy);
	store *st = &db->st;
	lock_opts lo = project_lock_opts(p);
	lo.interrupted = &db->interrupted;
	int rc = lock_acquire(st, &lo, &p->log, &cy->lk, err);
	cy->locked = !rc;
	if (!rc)
		rc = store_read_heads_dirty(st, &cy->ss, err);
	if (!rc && cy->ss.dirty)
		rc = store_dirty_refusal(&p->g, cy->ss.dirty, err);
	for (size_t i = 0; !rc && i < cy->ss.heads.n; i++)
		if (graph_find(&p->g, cy->ss.heads.v[i]) < 0)
			rc = rt_fail(err, RETORT_ERUNTIME, RETORT_R_UNKNOWN_VERSION, NULL, 0,
			             "the version table names revision %s, which no file defines",
			             cy->ss.heads.v[i]);
	if (!rc)
		rc = plan_upgrade(&p->g, &cy->ss.heads, target && *target ? target : "heads", &cy->pl,
		                  err);
	if (!rc)
		rc = store_phase_read(st, &cy->rows, err);
	if (rc)
		return rc;
	cy->state = xcalloc(cy->pl.n + 1, sizeof *cy->state);
	for (size_t i = 0; i < cy->pl.n; i++) {
		const phase_row *row = phase_find(&cy->rows, p->g.revs[cy->pl.v[i].rev]->id);
		cy->state[i] = row ? row->state : PH_NONE;
	}
	return RETORT_OK;
}

/* Is revision i's migrate part still to run (or running)? */
static int needs_migrate(const retort_project *p, const cycle *cy, size_t i)
{
	const revision *r = p->g.revs[cy->pl.v[i].rev];
	return phased(r) && r->section[SEC_MIGRATE] && cy->state[i] == PH_EXPANDED;
}

/* A copy of plan step s for one section, its version change kept for
 * complete prefixes only. */
static void copy_step(const plan_step *s, int section, plan_step *out)
{
	memset(out, 0, sizeof *out);
	out->rev = s->rev;
	out->upgrade = 1;
	sv_copy(&out->del, &s->del);
	sv_copy(&out->ins, &s->ins);
	out->upd_from = s->upd_from ? xstrdup(s->upd_from) : NULL;
	out->upd_to = s->upd_to ? xstrdup(s->upd_to) : NULL;
	out->section = section;
}

static plan_step *push_step(plan *out)
{
	if (out->n == out->cap) {
		out->cap = out->cap ? 2 * out->cap : 8;
		out->v = xrealloc(out->v, out->cap * sizeof *out->v);
	}
	return &out->v[out->n++];
}

/* Completes step i's bookkeeping: when every step before it is complete
 * (`prefix`) the version moves (its own change in the step, and those of
 * the complete steps right after it as extra statements) and the phase
 * rows go; otherwise its phase row says `now`. Returns the new prefix. */
static size_t book(retort_project *p, retort_db *db, cycle *cy, size_t i, phase_state now,
                   size_t prefix, plan_step *s)
{
	const revision *r = p->g.revs[cy->pl.v[i].rev];
	cy->state[i] = now;
	if (now == PH_CONTRACTED && prefix == i) {
		s->keep_version = 0;
		sv_push_owned(&s->extra, store_phase_delete_sql(&db->st, r->id));
		size_t k = i + 1;
		for (; k < cy->pl.n && cy->state[k] == PH_CONTRACTED; k++) {
			store_version_step_sql(db->st.sql, db->st.vt, &cy->pl.v[k], &s->extra);
			sv_push_owned(&s->extra, store_phase_delete_sql(&db->st, p->g.revs[cy->pl.v[k].rev]->id));
		}
		return k;
	}
	s->keep_version = 1;
	const phase_row *old = phase_find(&cy->rows, r->id);
	phase_row row = {(char *)r->id, now, old ? old->migrate_done : 0, 0, 0};
	store_phase_set_sql(&db->st, &row, &s->extra);
	return prefix;
}

static size_t complete_prefix(const cycle *cy)
{
	size_t k = 0;
	while (k < cy->pl.n && cy->state[k] == PH_CONTRACTED)
		k++;
	return k;
}

static int run_steps(retort_project *p, retort_db *db, cycle *cy, plan *steps, retort_error *err)
{
	if (!steps->n)
		return RETORT_OK;
	run_result res = {0};
	run_ctx c = project_run_ctx(p, db, &cy->lk, &res);
	lock_keep_alive(&db->st, &cy->lk);
	int rc = run_check(&c, steps, db->st.sql->kind, err);
	if (!rc)
		rc = run_plan(&c, db->st.sql->kind, steps, NULL, NULL, &cy->ss.heads, 0, err);
	run_result_free(&res);
	return rc;
}

static int ensure_tables(retort_db *db, retort_error *err)
{
	int rc = store_ensure(&db->st, err);
	if (!rc)
		rc = store_phase_ensure(&db->st, err);
	return rc;
}

/* ---- expand ------------------------------------------------------------- */

/* lint: refuse on lint's findings (expand itself; an upgrade that runs
 * all three phases at once has no running release to protect) */
static int do_expand(retort_project *p, retort_db *db, const char *target, int lint, int strict,
                     int *ran, retort_error *err)
{
	cycle cy;
	int rc = cycle_open(p, db, target, &cy, err);
	plan steps = {0};
	if (!rc)
		rc = ensure_tables(db, err);
	size_t prefix = rc ? 0 : complete_prefix(&cy);
	for (size_t i = 0; !rc && i < cy.pl.n; i++) {
		if (cy.state[i] != PH_NONE)
			continue;
		const revision *r = p->g.revs[cy.pl.v[i].rev];
		plan_step *s = push_step(&steps);
		copy_step(&cy.pl.v[i], phased(r) ? 1 + SEC_EXPAND : 1 + SEC_UPGRADE, s);
		prefix = book(p, db, &cy, i, phased(r) ? PH_EXPANDED : PH_CONTRACTED, prefix, s);
	}
	if (!rc && !steps.n)
		rt_log(&p->log, RETORT_LOG_INFO, "Nothing to expand.");
	/* SPEC §8: destructive DDL in an expand part would break the release
	 * that is still running; lint's errors refuse the run, touching nothing */
	if (!rc && steps.n && lint) {
		intvec revs = INTVEC_INIT;
		for (size_t i = 0; i < steps.n; i++)
			iv_push(&revs, steps.v[i].rev);
		sbuf report = SBUF_INIT;
		int blocking = 0;
		rc = lint_project_revisions(p, &revs, db->st.sql->kind, strict, &report, &blocking, err);
		if (!rc && blocking) {
			/* the findings, then one line that says why nothing ran */
			const char *q = sb_str(&report);
			while (*q) {
				const char *e = strchr(q, '\n');
				size_t n = e ? (size_t)(e - q) : strlen(q);
				if (n)
					rt_log(&p->log, RETORT_LOG_ERROR, "%.*s", (int)n, q);
				q = e ? e + 1 : q + n;
			}
			rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_REVISION_FILE, NULL, 0,
			             "expand refused: %d lint finding%s would break the running release "
			             "(above; `retort lint --explain RULE`); move the statement to "
			             "+contract, or mark it `-- lint: allow RULE`",
			             blocking, blocking == 1 ? "" : "s");
		}
		sb_free(&report);
		iv_free(&revs);
	}
	if (!rc)
		rc = run_steps(p, db, &cy, &steps, err);
	if (ran)
		*ran = (int)steps.n;
	plan_free(&steps);
	cycle_free(db, &cy);
	return rc;
}

/* ---- migrate ------------------------------------------------------------- */

static int do_migrate(retort_project *p, retort_db *db, const char *target,
                      const retort_phase_options *o, retort_error *err)
{
	cycle cy;
	int rc = cycle_open(p, db, target, &cy, err);
	int any = 0;
	if (!rc)
		rc = ensure_tables(db, err);
	run_result res = {0};
	run_ctx c = project_run_ctx(p, db, &cy.lk, &res);
	if (!rc)
		lock_keep_alive(&db->st, &cy.lk);
	migrate_opts mo = {o ? o->batch_size : 0, o ? o->batch_pause_ms : 0, 0};
	int bt = o && o->version >= 2 ? o->batch_time_ms : 0;
	/* timed unless told not to (< 0) or told a size and no time */
	mo.batch_ms = bt > 0 ? bt : bt < 0 || mo.batch_size > 0 ? 0 : RETORT_BATCH_TIME_MS;
	for (size_t i = 0; !rc && i < cy.pl.n; i++) {
		if (cy.state[i] == PH_NONE)
			break; /* not expanded yet: nothing after it either */
		if (!needs_migrate(p, &cy, i))
			continue;
		const revision *r = p->g.revs[cy.pl.v[i].rev];
		const phase_row *old = phase_find(&cy.rows, r->id);
		phase_row row = {(char *)r->id, PH_EXPANDED, old ? old->migrate_done : 0,
		                 old ? old->batches : 0, old ? old->rows : 0};
		rt_log(&p->log, RETORT_LOG_INFO, "Running migrate %s, %s", r->id, r->message);
		rc = run_migrate(&c, db->st.sql->kind, cy.pl.v[i].rev, &row, &mo, err);
		if (!rc)
			cy.state[i] = PH_MIGRATED;
		any = 1;
	}
	if (!rc && !any)
		rt_log(&p->log, RETORT_LOG_INFO, "Nothing to migrate.");
	run_result_free(&res);
	cycle_free(db, &cy);
	return rc;
}

/* ---- contract ------------------------------------------------------------ */

static int do_contract(retort_project *p, retort_db *db, const char *target, retort_error *err)
{
	cycle cy;
	int rc = cycle_open(p, db, target, &cy, err);
	if (!rc) {
		sbuf waiting = SBUF_INIT;
		for (size_t i = 0; i < cy.pl.n; i++)
			if (needs_migrate(p, &cy, i))
				sb_addf(&waiting, "%s%s", waiting.len ? ", " : "", p->g.revs[cy.pl.v[i].rev]->id);
		if (waiting.len)
			rc = rt_fail(err, RETORT_ERUNTIME, RETORT_R_TARGET, NULL, 0,
			             "cannot contract: %s %s not finished migrating; run `retort migrate` "
			             "first (the old release may still need what contract removes)",
			             sb_str(&waiting), strchr(sb_str(&waiting), ',') ? "have" : "has");
		sb_free(&waiting);
	}
	plan steps = {0};
	if (!rc)
		rc = ensure_tables(db, err);
	size_t prefix = rc ? 0 : complete_prefix(&cy);
	for (size_t i = 0; !rc && i < cy.pl.n; i++) {
		if (cy.state[i] == PH_NONE)
			break;
		if (cy.state[i] == PH_CONTRACTED)
			continue;
		plan_step *s = push_step(&steps);
		copy_step(&cy.pl.v[i], 1 + SEC_CONTRACT, s);
		prefix = book(p, db, &cy, i, PH_CONTRACTED, prefix, s);
	}
	if (!rc && !steps.n)
		rt_log(&p->log, RETORT_LOG_INFO, "Nothing to contract.");
	if (!rc)
		rc = run_steps(p, db, &cy, &steps, err);
	plan_free(&steps);
	cycle_free(db, &cy);
	return rc;
}

/* ---- the API -------------------------------------------------------------- */

int retort_expand(retort_project *p, retort_db *db, const retort_phase_options *o, char **out,
                  retort_error *err)
{
	if (out)
		*out = NULL;
	return do_expand(p, db, o ? o->target : NULL, 1, o ? o->strict : 0, NULL, err);
}

int retort_migrate(retort_project *p, retort_db *db, const retort_phase_options *o, char **out,
                   retort_error *err)
{
	if (out)
		*out = NULL;
	return do_migrate(p, db, o ? o->target : NULL, o, err);
}

int retort_contract(retort_project *p, retort_db *db, const retort_phase_options *o, char **out,
                    retort_error *err)
{
	if (out)
		*out = NULL;
	return do_contract(p, db, o ? o->target : NULL, err);
}

int phase_upgrade(retort_project *p, retort_db *db, const char *target, retort_error *err)
{
	retort_phase_options o = RETORT_PHASE_OPTIONS_INIT;
	int rc = do_expand(p, db, target, 0, 0, NULL, err);
	if (!rc)
		rc = do_migrate(p, db, target, &o, err);
	if (!rc)
		rc = do_contract(p, db, target, err);
	return rc;
}

int phase_cycle_state(retort_project *p, retort_db *db, const strvec *heads, int *open,
                      char **expanded, retort_error *err)
{
	phase_rows rows;
	*open = 0;
	if (expanded)
		*expanded = NULL;
	int rc = store_phase_read(&db->st, &rows, err);
	if (rc)
		return rc;
	*open = rows.n > 0;
	if (expanded && rows.n) {
		/* the newest revision of the cycle in graph order */
		plan pl = {0};
		retort_error ignored;
		if (plan_upgrade(&p->g, heads, "heads", &pl, &ignored) == RETORT_OK)
			for (size_t i = 0; i < pl.n; i++) {
				const phase_row *row = phase_find(&rows, p->g.revs[pl.v[i].rev]->id);
				if (row && row->state >= PH_EXPANDED) {
					free(*expanded);
					*expanded = xstrdup(row->revision);
				}
			}
		plan_free(&pl);
		if (!*expanded)
			*expanded = xstrdup(rows.v[0].revision);
	}
	phase_rows_free(&rows);
	return RETORT_OK;
}

int phase_pending_phased(retort_project *p, const strvec *heads, const char *target)
{
	plan pl = {0};
	retort_error ignored;
	int any = 0;
	if (plan_upgrade(&p->g, heads, target, &pl, &ignored) == RETORT_OK)
		for (size_t i = 0; i < pl.n && !any; i++)
			any = phased(p->g.revs[pl.v[i].rev]);
	plan_free(&pl);
	return any;
}
