/*
 * plan.c: what an upgrade, downgrade or stamp will do, computed without a
 * database: which revisions run, in which order (Alembic's
 * _collect_upgrade_revisions / _collect_downgrade_revisions plus the
 * topological walk), and how each step changes the version table
 * (Alembic's HeadMaintainer and RevisionStep/StampStep rules, replayed on
 * a simulated set of version rows). Also `history -r` ranges.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

#define MULTI_HEADS "Multiple head revisions are present for given argument"

/* Alembic reports an ambiguous "head" in terms of the whole target the
 * user typed (its _catch_revision_errors end=destination), or, for
 * stamp, with a fixed sentence. */
static int restate_multiple_heads(retort_error *err, int rc, const char *spec, int stamp)
{
	if (!rc || !err || strncmp(err->message, MULTI_HEADS, strlen(MULTI_HEADS)) != 0)
		return rc;
	/* keep target.c's " (the heads: ...)" */
	const char *heads = strstr(err->message, " (the heads: ");
	char *tail = xstrdup(heads ? heads : "");
	if (stamp)
		rt_fail(err, rc, RETORT_R_MULTIPLE_HEADS, NULL, 0,
		        "Multiple heads are present; please specify a single target revision, or "
		        "'heads' for all heads%s",
		        tail);
	else
		rt_fail(err, rc, RETORT_R_MULTIPLE_HEADS, NULL, 0,
		        MULTI_HEADS " '%s'; please specify a specific target revision, "
		                    "'<branchname>@%s' to narrow to a specific head, or 'heads' "
		                    "for all heads%s",
		        spec, spec, tail);
	free(tail);
	return rc;
}

/* Version rows name revisions by full id; anything else is a database
 * this project does not describe. */
static int resolve_rows(const graph *g, const strvec *rows, intvec *out, retort_error *err)
{
	for (size_t i = 0; i < rows->n; i++) {
		int k = graph_find(g, rows->v[i]);
		if (k < 0)
			return rt_fail(
			    err, RETORT_EUSAGE, RETORT_R_UNKNOWN_VERSION, NULL, 0,
			    "Can't locate revision identified by '%s': the version table "
			    "names it, but no revision file has this id (a newer release's "
			    "revision, or the wrong script_location?); 'retort stamp --purge "
			    "REV' replaces the version rows",
			    rows->v[i]);
		if (iv_index(out, k) < 0)
			iv_push(out, k);
	}
	return RETORT_OK;
}

static unsigned char *marks(const graph *g, const intvec *start, int up, int with_deps)
{
	unsigned char *m = xcalloc(g->n ? g->n : 1, 1);
	if (start->n)
		graph_mark(g, start->v, start->n, up, with_deps, m);
	return m;
}

/* ---- the version rows as HeadMaintainer sees them ------------------------ */

static int has(const strvec *h, const char *id)
{
	return sv_index(h, id) >= 0;
}

static plan_step *new_step(plan *p, int rev, int upgrade)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	plan_step *s = &p->v[p->n++];
	memset(s, 0, sizeof(*s));
	s->rev = rev;
	s->upgrade = upgrade;
	return s;
}

static void row_delete(strvec *heads, plan_step *s, const char *id)
{
	int i = sv_index(heads, id);
	if (i < 0)
		return;
	sv_push(&s->del, id);
	sv_remove_at(heads, (size_t)i);
}

static void row_insert(strvec *heads, plan_step *s, const char *id)
{
	if (has(heads, id))
		return;
	sv_push(&s->ins, id);
	sv_push(heads, id);
}

static void row_update(strvec *heads, plan_step *s, const char *from, const char *to)
{
	int i = sv_index(heads, from);
	if (i < 0) {
		row_insert(heads, s, to);
		return;
	}
	if (has(heads, to)) {
		row_delete(heads, s, from);
		return;
	}
	s->upd_from = xstrdup(from);
	s->upd_to = xstrdup(to);
	free(heads->v[i]);
	heads->v[i] = xstrdup(to);
}

/* Marks ancestors (with dependencies) of every row except `skip`. */
static unsigned char *ancestors_of_rows(const graph *g, const strvec *heads, int skip_rev,
                                        const intvec *skip_set)
{
	intvec others = INTVEC_INIT;
	for (size_t i = 0; i < heads->n; i++) {
		int k = graph_find(g, heads->v[i]);
		if (k < 0 || k == skip_rev || (skip_set && iv_index(skip_set, k) >= 0))
			continue;
		iv_push(&others, k);
	}
	unsigned char *m = marks(g, &others, 0, 1);
	iv_free(&others);
	return m;
}

/* RevisionStep for an upgrade of r, applied to heads. */
static void step_upgrade(const graph *g, strvec *heads, plan_step *s)
{
	const revision *r = g->revs[s->rev];
	const intvec *nd = &r->norm_down;
	size_t present = 0;
	for (size_t k = 0; k < nd->n; k++)
		present += has(heads, g->revs[nd->v[k]]->id);
	if (!present) {
		/* a base, or none of our parents is a row: a new branch */
		row_insert(heads, s, r->id);
		return;
	}
	if (nd->n > 1 && present > 1) {
		/* merge: keep only parents that other rows do not already
		 * imply; the last one is updated, the rest deleted */
		unsigned char *anc = ancestors_of_rows(g, heads, -1, nd);
		intvec from = INTVEC_INIT;
		int other_rows = 0;
		for (size_t i = 0; i < heads->n; i++) {
			int k = graph_find(g, heads->v[i]);
			if (k < 0 || iv_index(nd, k) < 0)
				other_rows = 1;
		}
		for (size_t k = 0; k < nd->n; k++)
			if ((!other_rows || !anc[nd->v[k]]) && has(heads, g->revs[nd->v[k]]->id))
				iv_push(&from, nd->v[k]);
		free(anc);
		if (!from.n) {
			row_insert(heads, s, r->id);
		} else {
			for (size_t k = 0; k + 1 < from.n; k++)
				row_delete(heads, s, g->revs[from.v[k]]->id);
			row_update(heads, s, g->revs[from.v[from.n - 1]]->id, r->id);
		}
		iv_free(&from);
		return;
	}
	int down = -1;
	for (size_t k = 0; k < nd->n && down < 0; k++)
		if (nd->n == 1 || has(heads, g->revs[nd->v[k]]->id))
			down = nd->v[k];
	row_update(heads, s, g->revs[down]->id, r->id);
}

/* RevisionStep for a downgrade of r, applied to heads. */
static void step_downgrade(const graph *g, strvec *heads, plan_step *s)
{
	const revision *r = g->revs[s->rev];
	const intvec *nd = &r->norm_down;
	if (!has(heads, r->id))
		return; /* Alembic would fail here; nothing names r */
	if (!nd->n) {
		row_delete(heads, s, r->id);
		return;
	}
	/* Parents that other rows already imply are not rows of their own. */
	unsigned char *anc = heads->n > 1 ? ancestors_of_rows(g, heads, s->rev, NULL) : NULL;
	intvec to = INTVEC_INIT;
	for (size_t k = 0; k < nd->n; k++)
		if (!anc || !anc[nd->v[k]])
			iv_push(&to, nd->v[k]);
	free(anc);
	if (!to.n) {
		row_delete(heads, s, r->id);
	} else if (nd->n > 1) {
		for (size_t k = 0; k + 1 < to.n; k++)
			row_insert(heads, s, g->revs[to.v[k]]->id);
		row_update(heads, s, r->id, g->revs[to.v[to.n - 1]]->id);
	} else {
		row_update(heads, s, r->id, g->revs[nd->v[0]]->id);
	}
	iv_free(&to);
}

/* Alembic refuses a set of requested revisions where one is an ancestor
 * of another ("check" in _iterate_related_revisions). */
static int check_overlap(const graph *g, const intvec *revs, retort_error *err)
{
	for (size_t i = 0; i < revs->n; i++) {
		if (revs->v[i] < 0)
			continue;
		intvec one = {&revs->v[i], 1, 1};
		unsigned char *anc = marks(g, &one, 0, 1);
		strvec hit = STRVEC_INIT;
		for (size_t k = 0; k < revs->n; k++)
			if (k != i && revs->v[k] >= 0 && revs->v[k] != revs->v[i] &&
			    anc[revs->v[k]] && sv_index(&hit, g->revs[revs->v[k]]->id) < 0)
				sv_push(&hit, g->revs[revs->v[k]]->id);
		free(anc);
		if (hit.n) {
			sbuf b = SBUF_INIT;
			sv_join(&b, &hit, ", ");
			int rc = rt_fail(
			    err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
			    "Requested revision %s overlaps with other requested revisions "
			    "%s: %s below it; name only %s",
			    g->revs[revs->v[i]]->id, sb_str(&b),
			    hit.n == 1 ? "that one is" : "they are", g->revs[revs->v[i]]->id);
			sb_free(&b);
			sv_free(&hit);
			return rc;
		}
		sv_free(&hit);
	}
	return RETORT_OK;
}

/* ---- upgrade / downgrade ------------------------------------------------- */

static void plan_init(plan *out)
{
	memset(out, 0, sizeof(*out));
}

int plan_upgrade(const graph *g, const strvec *current, const char *target, plan *out,
                 retort_error *err)
{
	plan_init(out);
	intvec cur = INTVEC_INIT, targets = INTVEC_INIT, order = INTVEC_INIT;
	int rc = resolve_rows(g, current, &cur, err);
	if (!rc)
		rc = restate_multiple_heads(
		    err, target_parse_upgrade_cmd(g, &cur, target, 1, "upgrade", &targets, err),
		    target, 0);
	if (rc)
		goto done;
	for (size_t i = 0; i < targets.n;) {
		if (targets.v[i] < 0)
			memmove(targets.v + i, targets.v + i + 1, (--targets.n - i) * sizeof(int));
		else
			i++;
	}
	if ((rc = check_overlap(g, &targets, err)))
		goto done;
	unsigned char *need = marks(g, &targets, 0, 1);
	unsigned char *have = marks(g, &cur, 0, 1);
	for (size_t i = 0; i < g->n; i++)
		need[i] = need[i] && !have[i];
	graph_walk(g, need, &order);
	free(need);
	free(have);

	strvec heads = STRVEC_INIT;
	sv_copy(&heads, current);
	for (size_t i = order.n; i-- > 0;)
		step_upgrade(g, &heads, new_step(out, order.v[i], 1));
	out->final_heads = heads;
done:
	iv_free(&cur);
	iv_free(&targets);
	iv_free(&order);
	if (rc)
		plan_free(out);
	return rc;
}

int plan_downgrade(const graph *g, const strvec *current, const char *target, plan *out,
                   retort_error *err)
{
	plan_init(out);
	intvec cur = INTVEC_INIT, roots = INTVEC_INIT, order = INTVEC_INIT;
	char *label = NULL;
	int t = -1;
	int rc = resolve_rows(g, current, &cur, err);
	if (!rc)
		rc = restate_multiple_heads(
		    err,
		    target_parse_downgrade_cmd(g, &cur, target, 1, "downgrade", &t, &label, err),
		    target, 0);
	if (rc)
		goto done;
	/* Alembic lists roots from its map, where a labelled base appears
	 * once per label too; that count decides whether to filter. */
	size_t nroots = 0;
	if (t < 0) {
		for (size_t i = 0; i < g->n; i++)
			if (!g->revs[i]->parents.n) {
				iv_push(&roots, (int)i);
				nroots += 1 + g->revs[i]->branch_labels.n;
			}
	} else {
		for (size_t k = 0; k < g->revs[t]->children.n; k++)
			iv_push(&roots, g->revs[t]->children.v[k]);
		nroots = roots.n;
	}
	if (label && nroots > 1) {
		int b;
		if ((rc = target_resolve_branch(g, label, &b, err)))
			goto done;
		unsigned char *anc = xcalloc(g->n, 1);
		graph_mark(g, &b, 1, 0, 0, anc);
		size_t w = 0;
		for (size_t i = 0; i < roots.n; i++)
			if (anc[roots.v[i]])
				roots.v[w++] = roots.v[i];
		roots.n = w;
		free(anc);
		if (!roots.n) {
			rc = rt_fail(
			    err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
			    "Not a valid downgrade target from current heads: nothing on "
			    "branch '%s' lies above %s; name a revision below a current head",
			    label, t >= 0 ? g->revs[t]->id : "base");
			goto done;
		}
	}
	unsigned char *drop = marks(g, &roots, 1, 1);
	unsigned char *active = marks(g, &cur, 0, 1);
	size_t ndrop = 0;
	for (size_t i = 0; i < g->n; i++) {
		drop[i] = drop[i] && active[i];
		ndrop += drop[i];
	}
	free(active);
	if (t >= 0 && !ndrop && iv_index(&cur, t) < 0) {
		free(drop);
		sbuf heads = SBUF_INIT;
		sv_join(&heads, current, ", ");
		unsigned char *above = marks(g, &cur, 1, 1);
		if (!cur.n)
			rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
			             "Destination %s is not a valid downgrade target from current "
			             "head(s): nothing is applied; 'retort upgrade %s' applies it",
			             target, target);
		else
			rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
			             "Destination %s is not a valid downgrade target from current "
			             "head(s): %s is %s the current head(s) %s; %s",
			             target, g->revs[t]->id, above[t] ? "above" : "not below",
			             sb_str(&heads),
			             above[t] ? "use 'retort upgrade' to go there"
			                      : "downgrade to a revision below them (see 'retort "
			                        "history --indicate-current')");
		free(above);
		sb_free(&heads);
		goto done;
	}
	graph_walk(g, drop, &order);
	free(drop);

	strvec heads = STRVEC_INIT;
	sv_copy(&heads, current);
	for (size_t i = 0; i < order.n; i++)
		step_downgrade(g, &heads, new_step(out, order.v[i], 0));
	out->final_heads = heads;
done:
	free(label);
	iv_free(&cur);
	iv_free(&roots);
	iv_free(&order);
	if (rc)
		plan_free(out);
	return rc;
}

void plan_step_clear(plan_step *s)
{
	sv_free(&s->del);
	sv_free(&s->ins);
	free(s->upd_from);
	free(s->upd_to);
	sv_free(&s->from);
	sv_free(&s->extra);
	s->upd_from = s->upd_to = NULL;
}

void plan_free(plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		plan_step_clear(&p->v[i]);
	free(p->v);
	sv_free(&p->final_heads);
	memset(p, 0, sizeof(*p));
}

void plan_step_describe(const graph *g, const plan_step *s, sbuf *out)
{
	if (s->stamp) {
		/* StampStep.short_log: no message */
		sbuf from = SBUF_INIT;
		sv_join(&from, &s->from, ", ");
		sb_addf(out, "stamp_revision %s -> %s", sb_str(&from),
		        s->rev >= 0 ? g->revs[s->rev]->id : "");
		sb_free(&from);
		return;
	}
	const revision *r = g->revs[s->rev];
	sbuf down = SBUF_INIT;
	sv_join(&down, &r->down, ", ");
	static const char *const phase[] = {"upgrade", "downgrade", "expand", "migrate", "contract"};
	if (s->upgrade && s->section > 1 + SEC_DOWNGRADE && s->section <= 1 + SEC_CONTRACT)
		sb_addf(out, "%s %s -> %s", phase[s->section - 1], sb_str(&down), r->id);
	else if (s->upgrade)
		sb_addf(out, "upgrade %s -> %s", sb_str(&down), r->id);
	else
		sb_addf(out, "downgrade %s -> %s", r->id, sb_str(&down));
	if (r->message && *r->message)
		sb_addf(out, ", %s", r->message);
	sb_free(&down);
}

/* ---- stamp --------------------------------------------------------------- */

/* HeadMaintainer's table changes for one StampStep, on the simulated rows.
 * Alembic asserts (or fails with a KeyError) where a change does not fit
 * the rows; those are refused here. */
static int stamp_refused(retort_error *err, const char *target, const char *why)
{
	return rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
	               "cannot stamp '%s': %s; use 'retort stamp --purge %s' to replace every "
	               "version row",
	               target, why, target);
}

static int stamp_apply(strvec *heads, plan_step *s, const char *to, const char *target,
                       retort_error *err)
{
	const strvec *from = &s->from;
	if (!to) {
		/* should_delete_branch: one head goes (to base) */
		if (!has(heads, from->v[0]))
			return stamp_refused(err, target, "a version row it would delete is gone");
		row_delete(heads, s, from->v[0]);
		return RETORT_OK;
	}
	int missing = 0;
	for (size_t i = 0; i < from->n; i++)
		missing |= !has(heads, from->v[i]);
	if (s->upgrade && (!from->n || missing) && !has(heads, to)) {
		/* should_create_branch */
		row_insert(heads, s, to);
		return RETORT_OK;
	}
	if (!from->n || missing || has(heads, to))
		return stamp_refused(err, target, "the version rows changed under an earlier step");
	/* should_merge_branches (several from) or a plain update */
	for (size_t i = 0; i + 1 < from->n; i++)
		row_delete(heads, s, from->v[i]);
	row_update(heads, s, from->v[from->n - 1], to);
	return RETORT_OK;
}

/* "+1", "-2", "rev-1", "label@+1": a target counted in steps. */
static int relative_spec(const char *spec)
{
	size_t n = strlen(spec), d = n;
	while (d && spec[d - 1] >= '0' && spec[d - 1] <= '9')
		d--;
	return d < n && d && (spec[d - 1] == '+' || spec[d - 1] == '-');
}

/* Alembic's _stamp_revs: the rows sharing the target's lineage
 * (dependencies included) are computed once; then per destination a
 * StampStep from them (a "merge" down to or up to the destination), or a
 * new branch when none relates, or one deletion per row for base. */
int plan_stamp_steps(const graph *g, const strvec *current, const char *target, int purge,
                     plan *out, retort_error *err)
{
	plan_init(out);
	intvec cur = INTVEC_INIT, filtered = INTVEC_INIT, dests = INTVEC_INIT;
	strvec heads = STRVEC_INIT;
	const char *spec = target ? target : "base";
	int rc = RETORT_OK;
	if (!purge) {
		rc = resolve_rows(g, current, &cur, err);
		for (size_t i = 0; i < current->n; i++)
			if (!has(&heads, current->v[i]))
				sv_push(&heads, current->v[i]);
	}
	if (!rc && (rc = target_filter_lineage(g, &cur, spec, 1, &filtered, err)) &&
	    relative_spec(spec))
		/* Alembic looks the whole "-1" up as an id once there are rows */
		rc = rt_fail(err, rc, RETORT_R_TARGET, NULL, 0,
		             "Can't locate revision identified by '%s': with version rows, stamp "
		             "takes a revision, not a relative step; name the revision (see "
		             "'retort history --indicate-current')",
		             strrchr(spec, '@') ? strrchr(spec, '@') + 1 : spec);
	if (!rc)
		rc = target_get_revisions(g, spec, &dests, err);
	if (rc) {
		rc = restate_multiple_heads(err, rc, spec, 1);
		goto done;
	}
	/* A walk past a base (or off the graph) is base. The same destination
	 * twice (heads walking down to one revision) is stamped once:
	 * Alembic fails on the second. */
	intvec uniq = INTVEC_INIT;
	for (size_t i = 0; i < dests.n; i++) {
		int d = dests.v[i] < 0 ? -1 : dests.v[i];
		if (iv_index(&uniq, d) < 0)
			iv_push(&uniq, d);
	}
	if (!uniq.n)
		iv_push(&uniq, -1);
	iv_free(&dests);
	dests = uniq;
	for (size_t d = 0; d < dests.n && !rc; d++) {
		int dest = dests.v[d];
		if (dest < 0) {
			for (size_t i = 0; i < filtered.n && !rc; i++) {
				plan_step *s = new_step(out, -1, 0);
				s->stamp = 1;
				sv_push(&s->from, g->revs[filtered.v[i]]->id);
				rc = stamp_apply(&heads, s, NULL, spec, err);
			}
			continue;
		}
		if (iv_index(&filtered, dest) >= 0)
			continue; /* already a version row */
		intvec one = {&dest, 1, 1};
		unsigned char *desc = marks(g, &one, 1, 1);
		unsigned char *anc = marks(g, &one, 0, 1);
		int above = 0, below = 0;
		for (size_t i = 0; i < filtered.n; i++) {
			above |= desc[filtered.v[i]];
			below |= anc[filtered.v[i]];
		}
		free(desc);
		free(anc);
		if (above && below) {
			rc = stamp_refused(
			    err, spec,
			    "the version rows it relates to lie both above and below it");
			break;
		}
		plan_step *s = new_step(out, dest, !above);
		s->stamp = 1;
		if (above || below)
			for (size_t i = 0; i < filtered.n; i++)
				sv_push(&s->from, g->revs[filtered.v[i]]->id);
		rc = stamp_apply(&heads, s, g->revs[dest]->id, spec, err);
	}
	if (!rc) {
		out->final_heads = heads;
		memset(&heads, 0, sizeof(heads));
	}
done:
	sv_free(&heads);
	iv_free(&cur);
	iv_free(&filtered);
	iv_free(&dests);
	if (rc)
		plan_free(out);
	return rc;
}

int plan_stamp(const graph *g, const strvec *current, const char *target, int purge,
               strvec *new_heads, retort_error *err)
{
	plan p;
	int rc = plan_stamp_steps(g, current, target, purge, &p, err);
	if (!rc)
		sv_copy(new_heads, &p.final_heads);
	plan_free(&p);
	return rc;
}

/* ---- history ranges ------------------------------------------------------ */

static int range_error(retort_error *err, const char *a, const char *b)
{
	return rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
	               "Requested range %s:%s does not refer to ancestor/descendant revisions "
	               "along the same branch: the lower end must be below the upper one (see "
	               "'retort history')",
	               a, b);
}

static char *trim(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
		n--;
	return xstrndup(s, n);
}

static const char *first_label(const graph *g, int rev)
{
	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < g->revs[i]->branch_labels.n; k++)
			if (target_has_label(g, rev, g->revs[i]->branch_labels.v[k]))
				return g->revs[i]->branch_labels.v[k];
	return NULL;
}

/* An end of the range: the revisions it names ("current" = the rows). */
static int range_end(const graph *g, const char *spec, const intvec *cur, intvec *out,
                     retort_error *err)
{
	if (strcmp(spec, "current") == 0) {
		for (size_t i = 0; i < cur->n; i++)
			iv_push(out, cur->v[i]);
		return RETORT_OK;
	}
	return target_get_revisions(g, spec, out, err);
}

/* walk_revisions(base, head): Alembic's _collect_upgrade_revisions with
 * inclusive=True, implicit_base=False, and relative walks that stop at the
 * ends of the graph instead of failing. */
int history_range(const graph *g, const strvec *current, const char *range, intvec *out,
                  retort_error *err)
{
	const char *colon = strchr(range, ':');
	if (!colon || strchr(colon + 1, ':'))
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
		               "History range requires [start]:[end], [start]:, or :[end]");
	intvec cur = INTVEC_INIT, lower = INTVEC_INIT, targets = INTVEC_INIT;
	char *lo = trim(range, (size_t)(colon - range));
	char *hi = trim(colon + 1, strlen(colon + 1));
	unsigned char *need = NULL;
	int rc = resolve_rows(g, current, &cur, err);
	if (rc)
		goto done;
	if (strcmp(lo, "current") == 0 && strcmp(hi, "current") == 0) {
		/* Alembic: "Can't locate revision identified by 'current'" */
		rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
		             "Can't locate revision identified by 'current': 'current' can be one "
		             "end of a range, not both; use 'current:' or ':current'");
		goto done;
	}
	/* "current" with no rows means base (lower) or heads (upper). */
	if (!*lo || (strcmp(lo, "current") == 0 && !cur.n)) {
		free(lo);
		lo = xstrdup("base");
	}
	if (!*hi || (strcmp(hi, "current") == 0 && !cur.n)) {
		free(hi);
		hi = xstrdup("heads");
	}
	if ((rc = range_end(g, lo, &cur, &lower, err)))
		goto done;
	if (strcmp(hi, "current") == 0) {
		rc = range_end(g, hi, &cur, &targets, err);
	} else {
		intvec from = INTVEC_INIT;
		for (size_t i = 0; i < lower.n; i++)
			if (lower.v[i] >= 0)
				iv_push(&from, lower.v[i]);
		rc = target_parse_upgrade(g, &from, hi, 0, &targets, err);
		iv_free(&from);
	}
	if (rc)
		goto done;
	/* "label@rev:" keeps only targets on that branch. */
	const char *at = strchr(lo, '@');
	if (at && strcmp(lo, "current") != 0) {
		char *branch = xstrndup(lo, (size_t)(at - lo));
		int br = graph_find(g, branch);
		if (br >= 0) {
			/* a revision id used as a label: take its branch's label */
			const char *l = first_label(g, br);
			if (l) {
				free(branch);
				branch = xstrdup(l);
			}
		}
		size_t w = 0;
		for (size_t i = 0; i < targets.n; i++)
			if (target_has_label(g, targets.v[i], branch))
				targets.v[w++] = targets.v[i];
		targets.n = w;
		free(branch);
	}
	if ((rc = check_overlap(g, &targets, err)))
		goto done;
	intvec tg = INTVEC_INIT;
	for (size_t i = 0; i < targets.n; i++)
		if (targets.v[i] >= 0)
			iv_push(&tg, targets.v[i]);
	need = marks(g, &tg, 0, 1);
	iv_free(&tg);

	/* Alembic compares "base" itself against the range: an error. */
	for (size_t i = 0; i < lower.n; i++)
		if (lower.v[i] == REV_BASE || (lower.v[i] >= 0 && !need[lower.v[i]])) {
			rc = range_error(err, lo, hi);
			goto done;
		}
	/* A relative lower end that ran off the graph: Alembic starts again
	 * from the upper end, walking as far as it can. */
	if (lower.n && lower.v[0] == REV_OVER) {
		int r;
		char *label = NULL;
		const char *sym = hi;
		if (strcmp(hi, "current") == 0)
			sym = g->revs[cur.v[0]]->id;
		/* Alembic walks from "<upper>@<upper>", which for the default
		 * "heads" fails the way it does there. */
		char *spec = strchr(lo, '@') ? xstrdup(lo) : xasprintf("%s@%s%s", sym, sym, lo);
		rc = target_parse_downgrade(g, &cur, spec, 0, &r, &label, err);
		free(spec);
		free(label);
		if (rc)
			goto done;
		lower.n = 0;
		if (r >= 0)
			iv_push(&lower, r);
	}
	if ((rc = check_overlap(g, &lower, err)))
		goto done;
	intvec low = INTVEC_INIT;
	for (size_t i = 0; i < lower.n; i++)
		if (lower.v[i] >= 0)
			iv_push(&low, lower.v[i]);
	unsigned char *have = marks(g, &low, 0, 1);
	unsigned char *above = marks(g, &low, 1, 0);
	for (size_t i = 0; i < g->n; i++) {
		need[i] = need[i] && !have[i];
		if (iv_index(&low, (int)i) >= 0)
			need[i] = 1;
		if (low.n && !above[i])
			need[i] = 0;
	}
	free(have);
	free(above);
	iv_free(&low);
	graph_walk(g, need, out);
done:
	free(need);
	free(lo);
	free(hi);
	iv_free(&cur);
	iv_free(&lower);
	iv_free(&targets);
	return rc;
}
