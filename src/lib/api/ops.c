/*
 * ops.c: the state-changing commands of the public API (upgrade,
 * downgrade, stamp, repair): take the run lock, read the store once, ask
 * the planner for the steps, then run them or render them as SQL.
 * Offline (--sql) runs never connect: like Alembic they start from base
 * or from the "from:" part of a "from:to" target.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

enum run_op { RUN_UPGRADE, RUN_DOWNGRADE, RUN_STAMP };
static const char *const run_op_names[] = {"upgrade", "downgrade", "stamp"};

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

/* The steps an operation takes from the version rows `cur`. */
static int plan_for(retort_project *p, enum run_op op, const strvec *cur, const char *target,
                    const retort_run_options *o, plan *pl, retort_error *err)
{
	int rc = op == RUN_UPGRADE     ? plan_upgrade(&p->g, cur, target, pl, err)
	         : op == RUN_DOWNGRADE ? plan_downgrade(&p->g, cur, target, pl, err)
	                               : plan_stamp_steps(&p->g, cur, target, o->purge, pl, err);
	/* The planner's errors are all about the target (core/ sets the finer
	 * reasons itself, such as multiple heads). */
	if (rc && err && !err->reason)
		err->reason = RETORT_R_TARGET;
	return rc;
}

/* A stamp changes only the version table, one logged step at a time
 * (Alembic's StampStep), all in one transaction with its history row. */
static int run_stamp(retort_project *p, store *st, const strvec *cur, const plan *pl, int purge,
                     retort_error *err)
{
	strvec sql = STRVEC_INIT;
	if (purge)
		sv_push_owned(&sql, xasprintf("DELETE FROM %s", st->vt));
	size_t cas_from = sql.n;
	for (size_t i = 0; i < pl->n; i++) {
		sbuf desc = SBUF_INIT;
		plan_step_describe(&p->g, &pl->v[i], &desc);
		rt_log(&p->log, RETORT_LOG_INFO, "Running %s", sb_str(&desc));
		sb_free(&desc);
		store_version_step_sql(st->sql, st->vt, &pl->v[i], &sql);
	}
	/* stamp says where the database is: an open phase cycle (SPEC §8)
	 * it overrides is closed with it, or nothing could ever close it */
	phase_rows rows;
	int rc0 = store_phase_read(st, &rows, err);
	if (rc0) {
		sv_free(&sql);
		return rc0;
	}
	if (rows.n) {
		for (size_t i = 0; i < rows.n; i++)
			sv_push_owned(&sql, store_phase_delete_sql(st, rows.v[i].revision));
		rt_log(&p->log, RETORT_LOG_INFO,
		       "Closing the open expand/migrate/contract cycle (%zu revision%s): stamp "
		       "sets the version",
		       rows.n, rows.n == 1 ? "" : "s");
	}
	size_t nphase = rows.n;
	phase_rows_free(&rows);
	if (!purge && pl->n == 0 && !nphase) {
		sv_free(&sql);
		return RETORT_OK;
	}
	sbuf from = SBUF_INIT, to = SBUF_INIT;
	sv_join(&from, cur, ", ");
	sv_join(&to, &pl->final_heads, ", ");
	char started[40];
	now_utc(started, sizeof(started));
	history_row h = {.revision = pl->final_heads.n ? pl->final_heads.v[0] : "<base>",
	                 .op = OP_STAMP,
	                 .from = (char *)sb_str(&from),
	                 .to = (char *)sb_str(&to),
	                 .checksum = "",
	                 .started_at = started,
	                 .state = HS_OK};
	size_t cas_to = sql.n;
	sv_push_owned(&sql, store_history_insert_sql(st, &h));
	int rc = store_exec_tx(st, &sql, cas_from, cas_to, err);
	sb_free(&from);
	sb_free(&to);
	sv_free(&sql);
	return rc;
}

/* --sql: render without connecting, like Alembic's offline mode. */
static int offline(retort_project *p, enum run_op op, const char *target,
                   const retort_run_options *o, char **out, retort_error *err)
{
	strvec cur = STRVEC_INIT;
	plan pl = {0};
	char *own_target = NULL, *vt = NULL;
	sbuf sql = SBUF_INIT;
	int rc = RETORT_OK;
	if (op == RUN_DOWNGRADE && !strchr(target, ':'))
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
		               "downgrade with --sql requires <fromrev>:<torev>");
	rc = offline_start(p, &target, &own_target, &cur, err);
	if (!rc)
		rc = plan_for(p, op, &cur, target, o, &pl, err);
	const sql_dialect *sd = &dialect_sqlite;
	if (!rc)
		rc = offline_dialect(p, &sd, err);
	if (rc)
		goto done;
	rt_log(&p->log, RETORT_LOG_INFO, "Context impl %s.", sd->impl_name);
	rt_log(&p->log, RETORT_LOG_INFO, "Generating static SQL");
	vt = store_offline_vt(sd, p->cfg.version_table, p->cfg.version_table_schema);
	if (cur.n == 0) {
		if (p->cfg.version_table_schema && sd->has_schemas) {
			char *qs = dialect_ident(sd, p->cfg.version_table_schema);
			sb_addf(&sql, "CREATE SCHEMA IF NOT EXISTS %s;\n\n", qs);
			free(qs);
		}
		char *create = store_version_create_sql(sd, vt, p->cfg.version_table);
		sb_addf(&sql, "%s;\n\n", create);
		free(create);
	}
	if (op == RUN_STAMP) {
		strvec st = STRVEC_INIT;
		if (o->purge)
			sv_push_owned(&st, xasprintf("DELETE FROM %s", vt));
		for (size_t i = 0; i < pl.n; i++) {
			sbuf desc = SBUF_INIT;
			plan_step_describe(&p->g, &pl.v[i], &desc);
			rt_log(&p->log, RETORT_LOG_INFO, "Running %s", sb_str(&desc));
			sb_free(&desc);
			store_version_step_sql(sd, vt, &pl.v[i], &st);
		}
		for (size_t i = 0; i < st.n; i++)
			sb_addf(&sql, "%s;\n\n", st.v[i]);
		sv_free(&st);
	} else {
		run_ctx c = project_run_ctx(p, NULL, NULL, NULL);
		rc = run_plan(&c, sd->kind, &pl, &sql, vt, &cur, 0, err);
	}
	if (!rc && out) {
		if (o->format == RETORT_FORMAT_JSON) {
			json_t *doc = json_object();
			json_object_set_new(doc, "operation", json_string(run_op_names[op]));
			json_object_set_new(doc, "sql", json_string(sb_str(&sql)));
			*out = json_finish(doc);
		} else {
			*out = sb_detach(&sql);
		}
	}
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
static int check_dirty(retort_project *p, retort_db *db, const store_state *ss, const plan *pl,
                       int *resume, retort_error *err)
{
	*resume = 0;
	const history_row *d = ss->dirty;
	if (!d)
		return RETORT_OK;
	int k = graph_find(&p->g, d->revision);
	const revision *r = k >= 0 ? p->g.revs[k] : NULL;
	char now[65] = "";
	if (r)
		sha_hex(r->sha256, now);
	int same_step = r && pl->n && pl->v[0].rev == k &&
	                (pl->v[0].upgrade ? d->op == OP_UPGRADE : d->op == OP_DOWNGRADE);
	if (!same_step || strcmp(now, d->checksum) == 0)
		return store_dirty_refusal(&p->g, d, err);
	/* Resuming at statement n+1 is only right if statements 1..n are still
	 * the ones that ran. */
	char sum[65] = "";
	int rc = RETORT_OK;
	if (d->statements > 0 && d->done_checksum && *d->done_checksum) {
		run_ctx c = project_run_ctx(p, db, NULL, NULL);
		rc = run_done_checksum(&c, &pl->v[0], db->st.sql->kind, d->statements, sum, err);
	}
	int one = d->statements == 1;
	if (!rc && *sum && strcmp(sum, d->done_checksum) != 0)
		rc = rt_fail(err, RETORT_ERUNTIME, RETORT_R_DIRTY, r->path, 0,
		             "revision %s is dirty after %d statement%s, and the fixed file changes "
		             "%s: only statement %d on may change before a resume. Restore %s as %s "
		             "ran, or undo %s work by hand and run 'retort repair'",
		             r->id, d->statements, one ? "" : "s", one ? "it" : "them",
		             d->statements + 1, one ? "it" : "them", one ? "it" : "they",
		             one ? "its" : "their");
	if (!rc)
		*resume = d->statements;
	return rc;
}

static int warn_changed(retort_project *p, const store_state *ss, int strict, retort_error *err)
{
	verify_report vr;
	verify_collect(p, ss, NULL, &vr);
	for (size_t i = 0; i < vr.n; i++)
		rt_log(&p->log, RETORT_LOG_WARN, "%s: %s", vr.v[i].revision, vr.v[i].problem);
	int rc = RETORT_OK;
	if (strict && vr.n)
		rc = rt_fail(err, RETORT_ERUNTIME, RETORT_R_CHANGED_FILE, NULL, 0,
		             "--strict: %zu applied revision file%s changed or missing (see 'retort "
		             "verify'); not upgrading",
		             vr.n, vr.n == 1 ? "" : "s");
	verify_report_free(&vr);
	return rc;
}

/* A version row no file defines: the database was moved by a newer
 * release, or files were deleted. Nothing can be planned from it. */
static int check_known(retort_project *p, const strvec *cur, retort_error *err)
{
	for (size_t i = 0; i < cur->n; i++)
		if (graph_find(&p->g, cur->v[i]) < 0)
			return rt_fail(err, RETORT_ERUNTIME, RETORT_R_UNKNOWN_VERSION, NULL, 0,
			               "the version table names revision %s, which no file in %s "
			               "defines: the database was upgraded by a newer release, or the "
			               "file was removed. Restore the file, or 'retort stamp --purge "
			               "REV' to the revision the database really is at",
			               cur->v[i], p->versions_dir ? p->versions_dir : "the project");
	return RETORT_OK;
}

/* ---- releases (SPEC §9) ------------------------------------------------ */

/* upgrade --release: the revision that completes the release is the
 * target; an unknown release lists the known ones. */
static int release_target(retort_project *p, const char *release, char **target,
                          retort_error *err)
{
	if (!*release)
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
		               "empty release: name one, e.g. --release 0.8.0");
	int k = release_find(&p->g, release);
	if (k >= 0) {
		*target = xstrdup(p->g.revs[k]->id);
		rt_log(&p->log, RETORT_LOG_INFO, "Release %s is revision %s.", release,
		       p->g.revs[k]->id);
		return RETORT_OK;
	}
	strvec known = STRVEC_INIT;
	release_list(&p->g, &known);
	sbuf b = SBUF_INIT;
	sv_join(&b, &known, ", ");
	int rc = known.n ? rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
	                           "unknown release '%s': no revision's header says 'release: %s'; "
	                           "known releases: %s",
	                           release, release, sb_str(&b))
	                 : rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
	                           "unknown release '%s': no revision file has a 'release:' "
	                           "header",
	                           release);
	sb_free(&b);
	sv_free(&known);
	return rc;
}

/* After the store is read: a release the database is already past (its
 * revision applied below the current heads), or one older than the
 * database's own release, is refused; *at: the database is at it. */
static int release_check(retort_project *p, const strvec *cur, const char *release, int *at,
                         retort_error *err)
{
	*at = 0;
	int r = release_find(&p->g, release);
	if (r < 0 || !cur->n)
		return RETORT_OK;
	intvec heads = INTVEC_INIT;
	for (size_t i = 0; i < cur->n; i++) {
		int k = graph_find(&p->g, cur->v[i]);
		if (k >= 0)
			iv_push(&heads, k);
	}
	int rc = RETORT_OK;
	const char *rid = p->g.revs[r]->id;
	if (iv_index(&heads, r) >= 0) {
		*at = 1;
		rt_log(&p->log, RETORT_LOG_INFO, "Already at release %s (%s); nothing to do.", release,
		       rid);
		iv_free(&heads);
		return RETORT_OK;
	}
	unsigned char *applied = xcalloc(p->g.n, 1);
	graph_mark_ancestors(&p->g, heads.v, heads.n, applied);
	int past = applied[r];
	int a = release_of_heads(&p->g, heads.v, heads.n);
	const char *arel = a >= 0 ? p->g.revs[a]->release : NULL;
	int newer = arel && release_cmp(arel, release) > 0;
	sbuf at_revs = SBUF_INIT;
	sv_join(&at_revs, cur, ", ");
	if (past && newer)
		rc = rt_fail(err, RETORT_ERUNTIME, RETORT_R_OLDER_RELEASE, NULL, 0,
		             "the database is at release %s (%s), newer than %s (%s); nothing to do "
		             "(use 'retort downgrade %s' to go back to %s)",
		             arel, sb_str(&at_revs), release, rid, rid, release);
	else if (past)
		rc = rt_fail(err, RETORT_ERUNTIME, RETORT_R_OLDER_RELEASE, NULL, 0,
		             "the database is past release %s (%s): it is at %s%s%s%s; nothing to do "
		             "(use 'retort downgrade %s' to go back to %s)",
		             release, rid, sb_str(&at_revs), arel ? " (release " : "",
		             arel ? arel : "", arel ? ")" : "", rid, release);
	else if (newer)
		rc = rt_fail(err, RETORT_ERUNTIME, RETORT_R_OLDER_RELEASE, NULL, 0,
		             "the database is at release %s (%s), newer than %s (%s, which is on "
		             "another branch); not upgrading to an older release",
		             arel, sb_str(&at_revs), release, rid);
	sb_free(&at_revs);
	free(applied);
	iv_free(&heads);
	return rc;
}

/* {"operation", "from", "to", "steps": [{"revision", "direction", "from",
 * "to", "message", "duration_ms", "statements"}], "duration_ms"} */
static char *result_json(retort_project *p, enum run_op op, const strvec *from,
                         const strvec *to, const run_result *res)
{
	json_t *doc = json_object(), *f = json_array(), *t = json_array(), *steps = json_array();
	for (size_t i = 0; i < from->n; i++)
		json_array_append_new(f, json_string(from->v[i]));
	for (size_t i = 0; i < to->n; i++)
		json_array_append_new(t, json_string(to->v[i]));
	for (size_t i = 0; res && i < res->n; i++) {
		const revision *r = p->g.revs[res->v[i].rev];
		json_t *s = json_object(), *parents = json_array();
		for (size_t k = 0; k < r->down.n; k++)
			json_array_append_new(parents, json_string(r->down.v[k]));
		json_object_set_new(s, "revision", json_string(r->id));
		json_object_set_new(s, "direction",
		                    json_string(res->v[i].upgrade ? "upgrade" : "downgrade"));
		json_object_set_new(s, "down_revisions", parents);
		json_object_set_new(s, "message", json_string(r->message));
		json_object_set_new(s, "duration_ms", json_integer(res->v[i].duration_ms));
		json_object_set_new(s, "statements", json_integer(res->v[i].statements));
		json_array_append_new(steps, s);
	}
	json_object_set_new(doc, "operation", json_string(run_op_names[op]));
	json_object_set_new(doc, "from", f);
	json_object_set_new(doc, "to", t);
	json_object_set_new(doc, "steps", steps);
	json_object_set_new(doc, "duration_ms", json_integer(res ? res->total_ms : 0));
	return json_finish(doc);
}

static int operate(retort_project *p, retort_db *db, enum run_op op, const char *target,
                   const retort_run_options *o, char **out, retort_error *err)
{
	retort_run_options defaults = RETORT_RUN_OPTIONS_INIT;
	if (!o)
		o = &defaults;
	if (out)
		*out = NULL;
	if (!target || !*target)
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
		               "a target revision is required");
	if (op == RUN_DOWNGRADE && !p->cfg.allow_downgrade)
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_DOWNGRADE_DISABLED, NULL, 0,
		               "downgrades are disabled by 'allow_downgrade = false' in %s: restore "
		               "from a backup, or write a new revision that undoes the change",
		               p->cfg.path ? p->cfg.path : "the settings");
	if (o->sql_only)
		return offline(p, op, target, o, out, err);
	if (!db)
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_CONNECT, NULL, 0, "no database connection");

	store *st = &db->st;
	/* Phases (SPEC §8): an upgrade over phased revisions, or while a
	 * cycle is open, runs expand, migrate and contract in order; a
	 * downgrade waits until the cycle is closed. */
	if (op == RUN_UPGRADE || op == RUN_DOWNGRADE) {
		strvec heads = STRVEC_INIT;
		int open = 0;
		char *expanded = NULL;
		int rc0 = store_heads(st, &heads, err);
		if (!rc0)
			rc0 = phase_cycle_state(p, db, &heads, &open, &expanded, err);
		if (!rc0 && op == RUN_DOWNGRADE && open)
			rc0 = rt_fail(err, RETORT_ERUNTIME, RETORT_R_TARGET, NULL, 0,
			              "a zero-downtime cycle is open (expanded up to %s): finish it with "
			              "`retort migrate` and `retort contract` before downgrading",
			              expanded);
		int phases = !rc0 && op == RUN_UPGRADE &&
		             (open || phase_pending_phased(p, &heads, target));
		free(expanded);
		sv_free(&heads);
		if (rc0)
			return rc0;
		if (phases)
			return phase_upgrade(p, db, target, err);
	}
	store_state ss;
	memset(&ss, 0, sizeof(ss));
	plan pl = {0};
	run_lock lk;
	run_result res = {0};
	int resume = 0;
	lock_opts lo = project_lock_opts(p);
	lo.interrupted = &db->interrupted;
	/* Everything is read after the lock is taken: a run that waited finds
	 * the work of the run before it already done. */
	int rc = lock_acquire(st, &lo, &p->log, &lk, err);
	/* Only an upgrade compares checksums (warn_changed). */
	if (!rc)
		rc = op == RUN_UPGRADE ? store_read(st, &ss, err) : store_read_heads_dirty(st, &ss, err);
	if (!rc && op != RUN_STAMP)
		rc = check_known(p, &ss.heads, err);
	int at_release = 0;
	if (!rc && op == RUN_UPGRADE && o->release)
		rc = release_check(p, &ss.heads, o->release, &at_release, err);
	if (!rc && at_release)
		goto done;
	if (!rc)
		rc = plan_for(p, op, &ss.heads, target, o, &pl, err);
	run_ctx c = project_run_ctx(p, db, &lk, &res);
	if (!rc && op != RUN_STAMP)
		rc = run_check(&c, &pl, st->sql->kind, err);
	if (!rc && op != RUN_STAMP)
		rc = check_dirty(p, db, &ss, &pl, &resume, err);
	if (!rc && op == RUN_UPGRADE)
		rc = warn_changed(p, &ss, o->strict, err);
	if (rc)
		goto done;
	if (op != RUN_STAMP && pl.n == 0) {
		sbuf at = SBUF_INIT;
		sv_join(&at, &ss.heads, ", ");
		rt_log(&p->log, RETORT_LOG_INFO, "Already at %s; nothing to do.",
		       ss.heads.n ? sb_str(&at) : "base");
		sb_free(&at);
		goto done;
	}
	lock_keep_alive(st, &lk);
	rc = store_ensure(st, err);
	if (!rc && op == RUN_STAMP)
		rc = run_stamp(p, st, &ss.heads, &pl, o->purge, err);
	else if (!rc)
		rc = run_plan(&c, st->sql->kind, &pl, NULL, NULL, &ss.heads, resume, err);
	if (!rc && op != RUN_STAMP && p->progress) {
		retort_progress pr = {.event = RETORT_PROGRESS_DONE,
		                      .steps = (int)res.n,
		                      .elapsed_ms = res.total_ms};
		p->progress(p->progress_ud, &pr);
	}
done:
	lock_release(st, &lk);
	/* Whatever failed after an interrupt (a cancelled BEGIN or COMMIT, a
	 * lock wait) failed because of it. */
	if (rc && db->interrupted && err && err->code != RETORT_EINTR) {
		char msg[sizeof(err->message)];
		snprintf(msg, sizeof(msg), "%s", err->message);
		rt_fail(err, RETORT_EINTR, RETORT_R_INTERRUPTED, err->file[0] ? err->file : NULL,
		        err->line, "interrupted: %s", msg);
	}
	/* An interrupt is for the run it stopped (or the next one, if it came
	 * before any started). */
	if (rc == RETORT_EINTR)
		db->interrupted = 0;
	if (!rc && out && o->format == RETORT_FORMAT_JSON)
		*out = result_json(p, op, &ss.heads, pl.n || op == RUN_STAMP ? &pl.final_heads : &ss.heads,
		                   &res);
	store_state_free(&ss);
	plan_free(&pl);
	run_result_free(&res);
	return rc;
}

int retort_upgrade(retort_project *p, retort_db *db, const char *target,
                   const retort_run_options *o, char **out, retort_error *err)
{
	if (!o || !o->release)
		return operate(p, db, RUN_UPGRADE, target, o, out, err);
	if (out)
		*out = NULL;
	if (target && *target && strcmp(target, "heads") != 0)
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
		               "give a target or a release, not both ('%s' and release %s)", target,
		               o->release);
	char *rev = NULL;
	int rc = release_target(p, o->release, &rev, err);
	if (!rc)
		rc = operate(p, db, RUN_UPGRADE, rev, o, out, err);
	free(rev);
	return rc;
}

int retort_downgrade(retort_project *p, retort_db *db, const char *target,
                     const retort_run_options *o, char **out, retort_error *err)
{
	return operate(p, db, RUN_DOWNGRADE, target, o, out, err);
}

int retort_stamp(retort_project *p, retort_db *db, const char *target,
                 const retort_run_options *o, char **out, retort_error *err)
{
	return operate(p, db, RUN_STAMP, target, o, out, err);
}

/* ---- repair ------------------------------------------------------------- */

/* repair --checksums: record the current file of every applied revision
 * whose recorded checksum differs or is missing (Flyway's repair). */
static int accept_checksums(retort_project *p, store *st, const store_state *ss, sbuf *msg,
                            retort_error *err)
{
	verify_report vr;
	verify_collect(p, ss, NULL, &vr);
	strvec sql = STRVEC_INIT;
	char started[40];
	now_utc(started, sizeof(started));
	size_t n = 0;
	unsigned char *applied = xcalloc(p->g.n ? p->g.n : 1, 1);
	intvec start = INTVEC_INIT;
	for (size_t i = 0; i < ss->heads.n; i++) {
		int k = graph_find(&p->g, ss->heads.v[i]);
		if (k >= 0)
			iv_push(&start, k);
	}
	graph_mark_ancestors(&p->g, start.v, start.n, applied);
	iv_free(&start);
	for (size_t k = 0; k < p->g.n; k++) {
		if (!applied[k])
			continue;
		const revision *r = p->g.revs[k];
		char sum[65];
		sha_hex(r->sha256, sum);
		const history_row *h = store_latest(ss, r->id);
		if (h && h->checksum && strcmp(h->checksum, sum) == 0)
			continue;
		history_row a = {.revision = r->id,
		                 .op = OP_ACCEPT,
		                 .checksum = sum,
		                 .started_at = started,
		                 .state = HS_OK,
		                 .error = h && h->checksum && *h->checksum
		                              ? "changed file accepted by repair --checksums"
		                              : "checksum recorded by repair --checksums"};
		sv_push_owned(&sql, store_history_insert_sql(st, &a));
		sb_addf(msg, "accepted %s: %s\n", r->id, r->path);
		n++;
	}
	free(applied);
	verify_report_free(&vr);
	int rc = n ? store_exec_tx(st, &sql, 0, 0, err) : RETORT_OK;
	if (!n)
		sb_adds(msg, "nothing to accept: every applied revision's checksum matches its file\n");
	sv_free(&sql);
	return rc;
}

int retort_repair(retort_project *p, retort_db *db, const retort_repair_options *o, char **out,
                  retort_error *err)
{
	retort_repair_options none = RETORT_REPAIR_OPTIONS_INIT;
	if (!o)
		o = &none;
	*out = NULL;
	store *st = &db->st;
	lock_opts lo = project_lock_opts(p);
	if (o->release_lock) {
		int rc = lock_force_release(st, &lo, out, err);
		if (!rc && o->format == RETORT_FORMAT_JSON) {
			json_t *doc = json_object();
			json_object_set_new(doc, "ok", json_true());
			json_object_set_new(doc, "message", json_string(*out));
			free(*out);
			*out = json_finish(doc);
		}
		return rc;
	}
	run_lock lk;
	store_state ss;
	memset(&ss, 0, sizeof(ss));
	strvec sql = STRVEC_INIT;
	plan pl = {0};
	sbuf msg = SBUF_INIT;
	int rc = lock_acquire(st, &lo, &p->log, &lk, err);
	if (!rc)
		rc = store_read(st, &ss, err);
	/* Writing history rows: the table must exist (--checksums) and have
	 * the columns of this retort (one an older retort made lacks one). */
	if (!rc && (ss.has_history || o->checksums))
		rc = store_ensure(st, err);
	if (!rc && o->checksums) {
		rc = accept_checksums(p, st, &ss, &msg, err);
		goto done;
	}
	if (rc)
		goto done;
	const history_row *d = ss.dirty;
	if (!d) {
		sb_adds(&msg, "nothing to repair: no dirty revision\n");
		goto done;
	}
	int applied = o->applied != 0;
	int upgrade = d->op == OP_UPGRADE;
	int k = graph_find(&p->g, d->revision);
	if (applied) {
		/* The human finished the revision: move the version exactly as
		 * the step would have. */
		if (k < 0) {
			rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_UNKNOWN_VERSION, NULL, 0,
			             "revision %s has no file; cannot mark it applied", d->revision);
			goto done;
		}
		const revision *r = p->g.revs[k];
		rc = upgrade ? plan_upgrade(&p->g, &ss.heads, d->revision, &pl, err)
		             : plan_downgrade(&p->g, &ss.heads, r->down.n ? r->down.v[0] : "base", &pl,
		                              err);
		if (!rc && (!pl.n || pl.v[0].rev != k))
			rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
			             "revision %s is not the next step from the current version",
			             d->revision);
		if (!rc)
			store_version_step_sql(st->sql, st->vt, &pl.v[0], &sql);
	}
	if (rc)
		goto done;
	char started[40], sum[65] = "";
	now_utc(started, sizeof(started));
	if (k >= 0)
		sha_hex(p->g.revs[k]->sha256, sum);
	history_row h = {.revision = d->revision,
	                 .op = !applied ? OP_REPAIR_UNDO : upgrade ? OP_REPAIR : OP_REPAIR_DOWN,
	                 .checksum = sum,
	                 .started_at = started,
	                 .state = HS_OK,
	                 .error = applied ? "marked done by hand" : "partial work undone by hand"};
	size_t nversion = sql.n; /* repair --applied: the step's version change */
	sv_push_owned(&sql, store_history_insert_sql(st, &h));
	sv_push_owned(&sql, store_history_resolve_sql(st, d->revision));
	rc = store_exec_tx(st, &sql, 0, nversion, err);
	if (!rc && applied)
		sb_addf(&msg, "repaired %s: recorded as %s; the version moved %s it\n", d->revision,
		        upgrade ? "applied" : "downgraded", upgrade ? "past" : "below");
	else if (!rc)
		sb_addf(&msg, "repaired %s: dirty record cleared; the next %s runs it again\n",
		        d->revision, store_op_name(d->op));
done:
	lock_release(st, &lk);
	if (!rc && o->format == RETORT_FORMAT_JSON) {
		json_t *doc = json_object();
		json_object_set_new(doc, "ok", json_true());
		json_object_set_new(doc, "message", json_string(sb_str(&msg)));
		*out = json_finish(doc);
	} else if (!rc) {
		*out = sb_detach(&msg);
	}
	sb_free(&msg);
	store_state_free(&ss);
	sv_free(&sql);
	plan_free(&pl);
	return rc;
}
