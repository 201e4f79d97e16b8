/*
 * target.c: turning what a user types (ids, prefixes, head/heads/base,
 * branch labels, label@head, relative +N/-N/REV+N/head-N) into revisions,
 * the way Alembic's RevisionMap does (get_revisions, _revision_for_ident,
 * _walk, _parse_upgrade_target, _parse_downgrade_target). Messages are
 * Alembic's command-line wording. Every failure here is a usage error.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* Ids in a message: "a, b, c" (at most 8, then "and N more"). */
static void join_revs(const graph *g, const int *v, size_t n, sbuf *b)
{
	for (size_t i = 0; i < n && i < 8; i++)
		sb_addf(b, "%s%s", i ? ", " : "", v[i] >= 0 ? g->revs[v[i]]->id : "base");
	if (n > 8)
		sb_addf(b, " and %zu more", n - 8);
}

/* Alembic's wording, then what to do: the nearest ids or labels, or where
 * to look them up. */
static int cant_locate(const graph *g, retort_error *err, const char *what)
{
	sbuf hint = SBUF_INIT;
	graph_suggest(g, what, 1, &hint);
	if (!hint.len)
		sb_adds(&hint, g->n ? "no revision id or branch label is like it; 'retort history' "
		                      "lists them"
		                    : "the project has no revisions yet");
	int rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
	                 "Can't locate revision identified by '%s': %s", what, sb_str(&hint));
	sb_free(&hint);
	return rc;
}

/* SPEC §5: an id may be abbreviated to a unique prefix of at least this
 * many characters (Alembic takes any prefix of an id longer than 3). */
#define MIN_PREFIX 4

/* An empty target ("retort show ''") would otherwise mean base. */
static int empty_target(retort_error *err)
{
	return rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
	               "empty target: name a revision (id or prefix of at least %d characters), "
	               "head, heads or base",
	               MIN_PREFIX);
}

/* Alembic's message, naming the heads (plan.c restates the first part). */
static int multiple_heads(const graph *g, const intvec *heads, retort_error *err, const char *arg)
{
	sbuf b = SBUF_INIT;
	join_revs(g, heads->v, heads->n, &b);
	int rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_MULTIPLE_HEADS, NULL, 0,
	                 "Multiple head revisions are present for given argument '%s'; please "
	                 "specify a specific target revision, '<branchname>@%s' to narrow to a "
	                 "specific head, or 'heads' for all heads (the heads: %s)",
	                 arg, arg, sb_str(&b));
	sb_free(&b);
	return rc;
}

/* Alembic's revision map holds ids and branch labels as keys. */
static int map_lookup(const graph *g, const char *key)
{
	int i = graph_find(g, key);
	return i >= 0 ? i : graph_find_label(g, key);
}

static int shares_lineage(const graph *g, int target, const intvec *against, int with_deps)
{
	if (!against->n)
		return 1;
	unsigned char *anc = xcalloc(g->n, 1), *desc = xcalloc(g->n, 1);
	graph_mark(g, &target, 1, 0, with_deps, anc);
	graph_mark(g, &target, 1, 1, with_deps, desc);
	int hit = 0;
	for (size_t i = 0; i < against->n && !hit; i++)
		if (against->v[i] >= 0 && (anc[against->v[i]] || desc[against->v[i]]))
			hit = 1;
	free(anc);
	free(desc);
	return hit;
}

static int revision_for_ident(const graph *g, const char *id, const char *branch, int *out,
                              retort_error *err);

/* raw (shorter than MIN_PREFIX) is neither an id nor a label: refused as a
 * too short prefix when it starts one, else as unknown. */
static int short_prefix(const graph *g, const char *raw, retort_error *err)
{
	size_t len = strlen(raw);
	int starts = 0;
	for (size_t i = 0; i < g->n && !starts; i++) {
		const revision *r = g->revs[i];
		starts = strncmp(r->id, raw, len) == 0;
		for (size_t k = 0; k < r->branch_labels.n && !starts; k++)
			starts = strncmp(r->branch_labels.v[k], raw, len) == 0;
	}
	if (!starts)
		return cant_locate(g, err, raw);
	return rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
	               "revision prefix '%s' is too short: use at least %d characters or the "
	               "full id",
	               raw, MIN_PREFIX);
}

int target_resolve_branch(const graph *g, const char *label, int *out, retort_error *err)
{
	int i = map_lookup(g, label);
	if (i >= 0) {
		*out = i;
		return RETORT_OK;
	}
	retort_error tmp;
	if (revision_for_ident(g, label, NULL, out, &tmp))
		return cant_locate(g, err, label); /* Alembic: "No such branch" */
	return RETORT_OK;
}

/* Revision `raw` (id, label or >= 4 character prefix of either),
 * optionally required to be in the lineage of `branch`. */
static int revision_for_ident(const graph *g, const char *raw, const char *branch, int *out,
                              retort_error *err)
{
	int brev = -1, rc = RETORT_OK;
	if (branch && *branch && (rc = target_resolve_branch(g, branch, &brev, err)))
		return rc;
	int rev = map_lookup(g, raw);
	if (rev < 0 && strlen(raw) < MIN_PREFIX)
		return short_prefix(g, raw, err);
	if (rev < 0) {
		size_t len = strlen(raw);
		strvec keys = STRVEC_INIT;
		intvec revs = INTVEC_INIT;
		for (size_t i = 0; i < g->n; i++) {
			const char *id = g->revs[i]->id;
			if (strlen(id) > 3 && strncmp(id, raw, len) == 0) {
				sv_push(&keys, id);
				iv_push(&revs, (int)i);
			}
		}
		for (size_t i = 0; i < g->n; i++) {
			const strvec *l = &g->revs[i]->branch_labels;
			for (size_t k = 0; k < l->n; k++)
				if (strlen(l->v[k]) > 3 && strncmp(l->v[k], raw, len) == 0 &&
				    sv_index(&keys, l->v[k]) < 0) {
					sv_push(&keys, l->v[k]);
					iv_push(&revs, (int)i);
				}
		}
		if (brev >= 0) {
			intvec against = INTVEC_INIT;
			iv_push(&against, brev);
			size_t w = 0;
			for (size_t i = 0; i < revs.n; i++)
				if (shares_lineage(g, revs.v[i], &against, 0)) {
					char *k = keys.v[i];
					keys.v[i] = keys.v[w];
					keys.v[w] = k;
					revs.v[w++] = revs.v[i];
				}
			for (size_t i = keys.n; i > w; i--)
				sv_remove_at(&keys, i - 1);
			revs.n = w;
			iv_free(&against);
		}
		if (revs.n == 1)
			rev = revs.v[0];
		else if (revs.n == 0)
			rc = cant_locate(g, err, raw);
		else if (revs.n > 1) {
			sbuf b = SBUF_INIT;
			for (size_t i = 0; i < keys.n && i < 8; i++)
				sb_addf(&b, "%s'%s'", i ? ", " : "", keys.v[i]);
			if (keys.n > 8)
				sb_addf(&b, " and %zu more", keys.n - 8);
			rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
			             "Multiple revisions start with '%s': %s; type more of the id",
			             raw, sb_str(&b));
			sb_free(&b);
		}
		sv_free(&keys);
		iv_free(&revs);
		if (rc)
			return rc;
	}
	if (brev >= 0) {
		intvec against = INTVEC_INIT;
		iv_push(&against, brev);
		int ok = shares_lineage(g, rev, &against, 0);
		iv_free(&against);
		if (!ok)
			return rt_fail(
			    err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
			    "Revision %s is not a member of branch '%s': name a revision "
			    "on that branch (e.g. '%s@head'), or leave out '%s@'",
			    g->revs[rev]->id, branch, branch, branch);
	}
	*out = rev;
	return RETORT_OK;
}

/* _resolve_revision_number: either a list of revisions (`revs`, set when
 * *raw stays NULL) or a raw identifier still to be looked up. */
typedef struct resolved {
	char *label; /* NULL when none */
	char *raw;   /* NULL: use revs */
	intvec revs;
} resolved;

static void resolved_free(resolved *r)
{
	free(r->label);
	free(r->raw);
	iv_free(&r->revs);
}

static void real_heads(const graph *g, intvec *out)
{
	for (size_t i = 0; i < g->n; i++)
		if (!g->revs[i]->children.n && !g->revs[i]->dependents.n)
			iv_push(out, (int)i);
}

static int resolve_number(const graph *g, const char *spec, resolved *res, retort_error *err)
{
	memset(res, 0, sizeof(*res));
	const char *id = spec;
	const char *at = spec ? strchr(spec, '@') : NULL;
	if (at) {
		if (at > spec)
			res->label = xstrndup(spec, (size_t)(at - spec));
		id = at + 1;
	}
	int rc = RETORT_OK;
	if (id && strcmp(id, "heads") == 0) {
		if (res->label) {
			intvec heads = INTVEC_INIT;
			graph_heads(g, &heads);
			rc = target_filter_lineage(g, &heads, res->label, 0, &res->revs, err);
			iv_free(&heads);
		} else {
			real_heads(g, &res->revs);
		}
	} else if (id && strcmp(id, "head") == 0) {
		intvec heads = INTVEC_INIT;
		graph_heads(g, &heads);
		if (res->label)
			rc = target_filter_lineage(g, &heads, res->label, 0, &res->revs, err);
		else
			for (size_t i = 0; i < heads.n; i++)
				iv_push(&res->revs, heads.v[i]);
		iv_free(&heads);
		if (!rc && res->revs.n > 1) {
			char *arg = res->label ? xasprintf("%s@head", res->label) : xstrdup("head");
			rc = multiple_heads(g, &res->revs, err, arg);
			free(arg);
		}
	} else if (!id || !*id || strcmp(id, "base") == 0) {
		/* base: no revisions */
	} else {
		res->raw = xstrdup(id);
	}
	if (rc)
		resolved_free(res);
	return rc;
}

/* get_revision(): exactly one revision, or -1 for base. */
static int get_revision(const graph *g, const char *spec, int *out, retort_error *err)
{
	resolved res;
	int rc = resolve_number(g, spec, &res, err);
	if (rc)
		return rc;
	if (res.raw) {
		rc = revision_for_ident(g, res.raw, res.label, out, err);
	} else if (res.revs.n > 1) {
		rc = multiple_heads(g, &res.revs, err, spec);
	} else if (res.revs.n == 1) {
		*out = res.revs.v[0];
		if (res.label)
			rc = revision_for_ident(g, g->revs[*out]->id, res.label, out, err);
	} else {
		*out = -1;
		int b;
		if (res.label)
			rc = target_resolve_branch(g, res.label, &b, err);
	}
	resolved_free(&res);
	return rc;
}

int target_resolve_one(const graph *g, const char *spec, int *out, retort_error *err)
{
	if (spec && !*spec)
		return empty_target(err);
	int rc = get_revision(g, spec, out, err);
	if (!rc && *out < 0)
		rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
		             "Can't locate revision identified by '%s': it means base, which is no "
		             "revision; name a revision id",
		             spec);
	return rc;
}

/* Python's int() on an identifier such as "-3": sign and digits only. */
static int parse_int(const char *s, long *out)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (!*p)
		return 0;
	for (const char *q = p; *q; q++)
		if (!isdigit((unsigned char)*q))
			return 0;
	*out = strtol(s, NULL, 10);
	if (*out == LONG_MIN)
		*out = -LONG_MAX; /* saturated: keep -n defined; no graph is that deep */
	return 1;
}

/* What a walk is for, to word its errors: the target as typed, the
 * command (NULL: none named), and the steps it made before it stopped. */
typedef struct walk_ctx {
	const char *spec;
	const char *cmd;
	const char *label; /* the branch label the user gave, or NULL */
	long taken;        /* out */
} walk_ctx;
static int walk(const graph *g, int start, long steps, const char *branch, int no_overwalk,
                int *out, walk_ctx *ctx, retort_error *err);

int target_get_revisions(const graph *g, const char *spec, intvec *out, retort_error *err)
{
	if (spec && !*spec)
		return empty_target(err);
	resolved res;
	int rc = resolve_number(g, spec, &res, err);
	if (rc)
		return rc;
	long rint;
	if (res.raw && parse_int(res.raw, &rint) && rint < 0) {
		/* branch@-n: walk down from each (real) head of the branch */
		intvec heads = INTVEC_INIT;
		real_heads(g, &heads);
		for (size_t i = 0; i < heads.n && !rc; i++) {
			if (res.label && !target_has_label(g, heads.v[i], res.label))
				continue;
			int r;
			walk_ctx c = {spec, NULL, res.label, 0};
			rc = walk(g, heads.v[i], rint, NULL, 1, &r, &c, err);
			if (!rc)
				iv_push(out, r);
		}
		iv_free(&heads);
	} else if (res.raw) {
		int r;
		rc = revision_for_ident(g, res.raw, res.label, &r, err);
		if (!rc)
			iv_push(out, r);
	} else {
		for (size_t i = 0; i < res.revs.n; i++)
			iv_push(out, res.revs.v[i]);
	}
	resolved_free(&res);
	return rc;
}

int target_filter_lineage(const graph *g, const intvec *revs, const char *against, int with_deps,
                          intvec *out, retort_error *err)
{
	if (!revs->n)
		return RETORT_OK; /* Alembic resolves `against` lazily */
	resolved res;
	int rc = resolve_number(g, against, &res, err);
	if (rc)
		return rc;
	intvec shares = INTVEC_INIT;
	int r;
	if (res.label) {
		if ((rc = revision_for_ident(g, res.label, NULL, &r, err)))
			goto done;
		iv_push(&shares, r);
	}
	if (res.raw) {
		if ((rc = revision_for_ident(g, res.raw, NULL, &r, err)))
			goto done;
		iv_push(&shares, r);
	}
	for (size_t i = 0; i < res.revs.n; i++)
		iv_push(&shares, res.revs.v[i]);
	for (size_t i = 0; i < revs->n; i++)
		if (revs->v[i] >= 0 && shares_lineage(g, revs->v[i], &shares, with_deps))
			iv_push(out, revs->v[i]);
done:
	iv_free(&shares);
	resolved_free(&res);
	return rc;
}

static size_t all_nextrev_count(const revision *r)
{
	size_t n = r->children.n;
	for (size_t k = 0; k < r->dependents.n; k++)
		if (iv_index(&r->children, r->dependents.v[k]) < 0)
			n++;
	return n;
}

/*
 * Alembic's _add_branches: the label spreads to every descendant of the
 * labelled revision, then down from the last descendant its walk visited
 * until a branch point or merge point. We visit children in load order.
 */
void target_label_mark(const graph *g, int labelled, unsigned char *mark)
{
	int *stack = xmalloc((g->n + 1) * sizeof(int));
	size_t sp = 0;
	int last = labelled;
	stack[sp++] = labelled;
	while (sp) {
		int x = stack[--sp];
		if (mark[x])
			continue;
		mark[x] = 1;
		last = x;
		const revision *r = g->revs[x];
		for (size_t k = 0; k < r->children.n; k++)
			if (!mark[r->children.v[k]])
				stack[sp++] = r->children.v[k];
	}
	free(stack);
	for (int p = last; p >= 0;) {
		const revision *r = g->revs[p];
		if (all_nextrev_count(r) > 1 || r->parents.n > 1)
			break;
		mark[p] = 1;
		p = r->parents.n ? r->parents.v[0] : -1;
	}
}

int target_has_label(const graph *g, int rev, const char *label)
{
	int l = graph_find_label(g, label);
	if (l < 0 || rev < 0)
		return 0;
	unsigned char *mark = xcalloc(g->n, 1);
	target_label_mark(g, l, mark);
	int hit = mark[rev];
	free(mark);
	return hit;
}

/* "'retort upgrade X'" with a command, "'X'" without. */
static void advise(sbuf *b, const walk_ctx *c, const char *target)
{
	if (c->cmd)
		sb_addf(b, "'retort %s %s'", c->cmd, target);
	else
		sb_addf(b, "'%s'", target);
}

/* Branch labels that pick exactly one of `cands` the way a walk along a
 * branch filters (lineage of the labelled revision), one per candidate. */
static void unique_labels(const graph *g, const intvec *cands, strvec *out)
{
	for (size_t c = 0; c < cands->n && out->n < 3; c++) {
		if (cands->v[c] < 0)
			continue;
		int found = 0;
		for (size_t i = 0; i < g->n && !found; i++) {
			const strvec *l = &g->revs[i]->branch_labels;
			if (!l->n)
				continue;
			intvec at = {(int[]){(int)i}, 1, 1};
			size_t hits = 0;
			int mine = 0;
			for (size_t k = 0; k < cands->n; k++)
				if (cands->v[k] >= 0 && shares_lineage(g, cands->v[k], &at, 0)) {
					hits++;
					mine |= k == c;
				}
			if (hits == 1 && mine && sv_index(out, l->v[0]) < 0) {
				sv_push(out, l->v[0]);
				found = 1;
			}
		}
	}
}

/* Alembic's "Ambiguous walk", saying where the walk forks and what to
 * type instead. */
static int ambiguous_walk(const graph *g, const walk_ctx *c, int at, const intvec *next, long steps,
                          retort_error *err)
{
	sbuf b = SBUF_INIT, ids = SBUF_INIT;
	join_revs(g, next->v, next->n, &ids);
	sb_addf(&b, "Ambiguous walk: '%s' ", c->spec);
	if (steps > 0) {
		if (at < 0)
			sb_addf(&b, "can start at %zu bases (%s); ", next->n, sb_str(&ids));
		else
			sb_addf(&b, "forks at %s into %s; ", g->revs[at]->id, sb_str(&ids));
		strvec labels = STRVEC_INIT;
		if (!c->label)
			unique_labels(g, next, &labels);
		if (labels.n) {
			sb_adds(&b, "use ");
			for (size_t i = 0; i < labels.n; i++) {
				char *t = xasprintf("%s@%s", labels.v[i], c->spec);
				if (i)
					sb_adds(&b, i + 1 == labels.n ? " or " : ", ");
				advise(&b, c, t);
				free(t);
			}
			sb_adds(&b, " to follow a branch, or a revision id");
		} else {
			sb_adds(&b, "use a revision id");
		}
		if (steps == 1 || steps == -1)
			sb_addf(&b, ": one of %s", sb_str(&ids));
		else
			sb_adds(&b, " (see 'retort history')");
		sv_free(&labels);
	} else {
		if (at < 0)
			sb_addf(&b, "starts at %zu heads (%s); ", next->n, sb_str(&ids));
		else
			sb_addf(&b, "reaches the merge point %s, which has %zu parents (%s); ",
			        g->revs[at]->id, next->n, sb_str(&ids));
		if (c->cmd) {
			sb_adds(&b, "name the revision to go down to instead, e.g. ");
			advise(&b, c, next->v[0] >= 0 ? g->revs[next->v[0]]->id : "base");
		} else {
			sb_adds(&b, "use a revision id instead");
		}
		sb_adds(&b, " (see 'retort history')");
	}
	int rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0, "%s", sb_str(&b));
	sb_free(&b);
	sb_free(&ids);
	return rc;
}

/* Why a walk of `steps` from `start` ran off the graph, after
 * Alembic's prefix: how far it could go, and the target that takes all. */
static int overwalk(const graph *g, const walk_ctx *c, const char *prefix, int start, long steps,
                    int advise_all, retort_error *err)
{
	sbuf b = SBUF_INIT;
	long k = c->taken;
	const char *name = start >= 0 ? g->revs[start]->id : "base";
	if (!advise_all) {
		/* e.g. a downgrade target above a revision: no "all" to offer */
		if (steps > 0 && !k)
			sb_addf(&b, "%s is a head: nothing is above it", name);
		else if (steps > 0)
			sb_addf(&b, "only %ld revision%s %s above %s", k, k == 1 ? "" : "s",
			        k == 1 ? "is" : "are", name);
		else
			sb_addf(&b, "%s is only %ld revision%s above base", name, k,
			        k == 1 ? "" : "s");
		sb_adds(&b, "; name a revision id instead (see 'retort history')");
	} else if (steps > 0) {
		if (!k && start >= 0)
			sb_addf(&b, "%s is a head: nothing is above it", name);
		else if (!k)
			sb_adds(&b, "there are no revisions");
		else
			sb_addf(&b, "only %ld revision%s %s above %s", k, k == 1 ? "" : "s",
			        k == 1 ? "is" : "are", name);
		if (c->label)
			sb_addf(&b, " on branch '%s'", c->label);
		sb_adds(&b, "; ");
		char *all = c->label ? xasprintf("%s@head", c->label) : xstrdup("heads");
		if (!c->cmd)
			sb_adds(&b, "use ");
		advise(&b, c, all);
		sb_adds(&b, c->cmd ? " applies all" : " for the newest");
		free(all);
	} else {
		sb_addf(&b, "%s is only %ld revision%s above base; ", name, k, k == 1 ? "" : "s");
		char *all = c->label ? xasprintf("%s@base", c->label) : xstrdup("base");
		if (!c->cmd)
			sb_adds(&b, "use ");
		advise(&b, c, all);
		sb_adds(&b, c->cmd ? " reverts all" : " to go all the way down");
		free(all);
	}
	int rc =
	    rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0, "%s: %s", prefix, sb_str(&b));
	sb_free(&b);
	return rc;
}

/* _walk: steps up (> 0, optionally along `branch`) or down (< 0).
 * start -1 is "nothing yet" (below the bases); *out may be REV_BASE,
 * or REV_OVER when the walk ran off the graph and no_overwalk is set. */
static int walk(const graph *g, int start, long steps, const char *branch, int no_overwalk,
                int *out, walk_ctx *ctx, retort_error *err)
{
	int cur = start;
	long n = steps < 0 ? -steps : steps;
	ctx->taken = 0;
	for (long i = 0; i < n; i++) {
		intvec next = INTVEC_INIT;
		if (steps > 0) {
			intvec up = INTVEC_INIT;
			if (cur < 0) {
				for (size_t k = 0; k < g->n; k++)
					if (!g->revs[k]->parents.n)
						iv_push(&up, (int)k);
			} else {
				const intvec *c = &g->revs[cur]->children;
				for (size_t k = 0; k < c->n; k++)
					iv_push(&up, c->v[k]);
			}
			if (branch && *branch) {
				int rc = target_filter_lineage(g, &up, branch, 0, &next, err);
				if (rc) {
					iv_free(&up);
					iv_free(&next);
					return rc;
				}
			} else {
				for (size_t k = 0; k < up.n; k++)
					iv_push(&next, up.v[k]);
			}
			iv_free(&up);
		} else if (cur != REV_BASE) {
			if (cur < 0) {
				graph_heads(g, &next);
			} else {
				const intvec *p = &g->revs[cur]->parents;
				for (size_t k = 0; k < p->n; k++)
					iv_push(&next, p->v[k]);
			}
			if (!next.n)
				iv_push(&next, REV_BASE);
		}
		if (!next.n) {
			*out = no_overwalk ? REV_OVER : cur;
			iv_free(&next);
			return RETORT_OK;
		}
		if (next.n > 1) {
			int rc = ambiguous_walk(g, ctx, cur, &next, steps, err);
			iv_free(&next);
			return rc;
		}
		cur = next.v[0];
		ctx->taken++;
		iv_free(&next);
	}
	*out = cur;
	return RETORT_OK;
}

/* Alembic's _relative_destination, (?:(.+?)@)?(\w+)?((?:\+|-)\d+),
 * matched at the start of the string (not anchored at the end). */
typedef struct relative {
	char *label, *symbol, *rel; /* rel: "+2", "-1" */
	long n;
} relative;

static int match_rest(const char *s, relative *m)
{
	size_t j = 0;
	while (isalnum((unsigned char)s[j]) || s[j] == '_')
		j++;
	if (s[j] != '+' && s[j] != '-')
		return 0;
	size_t d = j + 1;
	while (isdigit((unsigned char)s[d]))
		d++;
	if (d == j + 1)
		return 0;
	m->symbol = j ? xstrndup(s, j) : NULL;
	m->rel = xstrndup(s + j, d - j);
	m->n = strtol(m->rel, NULL, 10);
	if (m->n == LONG_MIN)
		m->n = -LONG_MAX; /* saturated: keep -n defined; no graph is that deep */
	return 1;
}

static int match_relative(const char *spec, relative *m)
{
	memset(m, 0, sizeof(*m));
	for (const char *at = spec + 1; *spec && (at = strchr(at, '@')); at++)
		if (memchr(spec, '\n', (size_t)(at - spec)) == NULL && match_rest(at + 1, m)) {
			m->label = xstrndup(spec, (size_t)(at - spec));
			return 1;
		}
	return match_rest(spec, m);
}

static void relative_free(relative *m)
{
	free(m->label);
	free(m->symbol);
	free(m->rel);
}

static int didnt_produce(retort_error *err, const char *rel, long n, const char *why)
{
	return rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
	               "Relative revision %s didn't produce %ld migrations: %s", rel,
	               n < 0 ? -n : n, why);
}

/* The walk ran off the graph: Alembic's message, then how far it got. */
static int walked_off(const graph *g, walk_ctx *c, const relative *m, int relative_msg, int start,
                      int advise_all, retort_error *err)
{
	char *prefix = relative_msg
	                   ? xasprintf("Relative revision %s didn't produce %ld migrations", m->rel,
	                               m->n < 0 ? -m->n : m->n)
	                   : xstrdup("Walked too far");
	int rc = overwalk(g, c, prefix, start, m->n, advise_all, err);
	free(prefix);
	return rc;
}

/* Several current heads where a relative target needs one: name them and
 * the forms that pick one ("X@-1" / "X+1", or a label that selects one). */
static int many_current(const graph *g, const walk_ctx *c, const intvec *heads, const char *rel,
                        const char *prefix, retort_error *err)
{
	int down = rel[0] == '-';
	sbuf b = SBUF_INIT, ids = SBUF_INIT;
	join_revs(g, heads->v, heads->n, &ids);
	sb_addf(&b, "%s: the database has %zu heads%s%s%s (%s); use ", prefix, heads->n,
	        c->label ? " on branch '" : "", c->label ? c->label : "", c->label ? "'" : "",
	        sb_str(&ids));
	char *form = xasprintf("<head>%s%s", down ? "@" : "", rel);
	advise(&b, c, form);
	free(form);
	sb_adds(&b, " for one branch, e.g. ");
	form = xasprintf("%s%s%s", g->revs[heads->v[0]]->id, down ? "@" : "", rel);
	advise(&b, c, form);
	free(form);
	strvec labels = STRVEC_INIT;
	if (!c->label)
		unique_labels(g, heads, &labels);
	for (size_t i = 0; i < labels.n; i++) {
		sb_adds(&b, i ? " or " : ", or a branch label: ");
		form = xasprintf("%s@%s", labels.v[i], rel);
		advise(&b, c, form);
		free(form);
	}
	sv_free(&labels);
	int rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0, "%s", sb_str(&b));
	sb_free(&b);
	sb_free(&ids);
	return rc;
}

/* _filter_into_branch_heads(ancestors of current): the current heads of
 * every branch, counting revisions reached through dependencies. */
static void all_current(const graph *g, const intvec *current, intvec *out)
{
	unsigned char *set = xcalloc(g->n, 1);
	graph_mark(g, current->v, current->n, 0, 1, set);
	for (size_t i = 0; i < g->n; i++) {
		if (!set[i])
			continue;
		const revision *r = g->revs[i];
		unsigned char *d = xcalloc(g->n, 1);
		graph_mark(g, r->children.v, r->children.n, 1, 0, d);
		int above = 0;
		for (size_t k = 0; k < g->n && !above; k++)
			if (k != i && d[k] && set[k])
				above = 1;
		free(d);
		if (!above)
			iv_push(out, (int)i);
	}
	free(set);
}

int target_parse_downgrade_cmd(const graph *g, const intvec *current, const char *spec,
                               int no_overwalk, const char *cmd, int *out, char **label,
                               retort_error *err)
{
	*label = NULL;
	*out = -1;
	if (spec && !*spec)
		return empty_target(err);
	relative m;
	int rc = RETORT_OK, r = -1;
	if (!match_relative(spec, &m)) {
		const char *at = strrchr(spec, '@');
		if (at && at > spec)
			*label = xstrndup(spec, (size_t)(at - spec));
		rc = get_revision(g, at ? at + 1 : spec, &r, err);
		*out = r;
		goto done;
	}
	walk_ctx c = {spec, cmd, m.label, 0};
	if (m.n >= 0) {
		if (!m.symbol) {
			char *why =
			    cmd ? xasprintf("'retort %s' counts down ('-%ld'); 'retort upgrade "
			                    "%s' goes up",
			                    cmd, m.n, m.rel)
			        : xasprintf("a downgrade counts down ('-%ld')", m.n);
			rc = didnt_produce(err, m.rel, m.n, why);
			free(why);
			goto done;
		}
		int start;
		if ((rc = get_revision(g, m.symbol, &start, err)))
			goto done;
		if ((rc = walk(g, start, m.n, m.label, no_overwalk, &r, &c, err)))
			goto done;
		if (r == REV_OVER) {
			rc = walked_off(g, &c, &m, 0, start, 0, err);
			goto done;
		}
		*label = m.label ? xstrdup(m.label) : NULL;
		*out = r == REV_BASE ? -1 : r;
		goto done;
	}
	int relative_rev = m.symbol == NULL;
	char *symbol = m.symbol ? xstrdup(m.symbol) : NULL;
	char *blabel = m.label ? xstrdup(m.label) : NULL;
	if (relative_rev) {
		if (blabel) {
			intvec sl = INTVEC_INIT;
			rc = target_filter_lineage(g, current, blabel, 0, &sl, err);
			if (!rc && !sl.n) {
				intvec all = INTVEC_INIT;
				all_current(g, current, &all);
				rc = target_filter_lineage(g, &all, blabel, 0, &sl, err);
				iv_free(&all);
			}
			if (!rc && sl.n > 1) {
				char *prefix =
				    xasprintf("Relative revision %s is ambiguous on branch '%s'",
				              m.rel, blabel);
				rc = many_current(g, &c, &sl, m.rel, prefix, err);
				free(prefix);
			} else if (!rc && !sl.n) {
				rc = rt_fail(
				    err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
				    "Relative revision %s is ambiguous on branch '%s': no current "
				    "revision is on that branch; name a revision instead",
				    m.rel, blabel);
			}
			if (!rc)
				symbol = xstrdup(g->revs[sl.v[0]]->id);
			iv_free(&sl);
		} else if (!current->n) {
			rc = didnt_produce(err, m.rel, m.n,
			                   "nothing is applied (the database is at base)");
		} else if (current->n > 1) {
			/* Alembic warns and walks down from the first version row,
			 * whichever that is; retort refuses (see docs/architecture.md). */
			char *prefix = xasprintf("Relative revision %s is ambiguous", m.rel);
			rc = many_current(g, &c, current, m.rel, prefix, err);
			free(prefix);
		} else {
			/* Alembic walks down from the first version row and confines
			 * the downgrade to that revision's branch. */
			symbol = xstrdup(g->revs[current->v[0]]->id);
			blabel = xstrdup(symbol);
		}
	}
	int start = -1;
	if (!rc) {
		if (blabel) {
			char *s = xasprintf("%s@%s", blabel, symbol);
			rc = get_revision(g, s, &start, err);
			free(s);
		} else {
			rc = get_revision(g, symbol, &start, err);
		}
	}
	if (!rc)
		rc = walk(g, start, m.n, NULL, no_overwalk, &r, &c, err);
	if (!rc && r == REV_OVER)
		rc = walked_off(g, &c, &m, relative_rev, start, 1, err);
	if (!rc) {
		*out = r == REV_BASE ? -1 : r;
		*label = blabel;
		blabel = NULL;
	}
	free(symbol);
	free(blabel);
done:
	relative_free(&m);
	if (rc) {
		free(*label);
		*label = NULL;
	}
	return rc;
}

int target_parse_downgrade(const graph *g, const intvec *current, const char *spec, int no_overwalk,
                           int *out, char **label, retort_error *err)
{
	return target_parse_downgrade_cmd(g, current, spec, no_overwalk, NULL, out, label, err);
}

int target_parse_upgrade_cmd(const graph *g, const intvec *current, const char *spec,
                             int no_overwalk, const char *cmd, intvec *out, retort_error *err)
{
	if (spec && !*spec)
		return empty_target(err);
	relative m;
	if (!match_relative(spec, &m))
		return target_get_revisions(g, spec, out, err);
	int rc = RETORT_OK, r = -1;
	walk_ctx c = {spec, cmd, m.label, 0};
	if (m.n > 0 && !m.symbol) {
		intvec start = INTVEC_INIT;
		if (m.label) {
			rc = target_filter_lineage(g, current, m.label, 0, &start, err);
			if (!rc && !start.n && current->n) {
				/* The branch is not at a head: start from the tips of
				 * what is applied on it. */
				unsigned char *anc = xcalloc(g->n, 1);
				graph_mark(g, current->v, current->n, 0, 1, anc);
				intvec a = INTVEC_INIT, on = INTVEC_INIT;
				for (size_t i = 0; i < g->n; i++)
					if (anc[i])
						iv_push(&a, (int)i);
				rc = target_filter_lineage(g, &a, m.label, 0, &on, err);
				unsigned char *below = xcalloc(g->n, 1);
				for (size_t i = 0; i < on.n; i++) {
					const intvec *d = &g->revs[on.v[i]]->norm_down;
					for (size_t k = 0; k < d->n; k++)
						below[d->v[k]] = 1;
				}
				for (size_t i = 0; i < on.n; i++)
					if (!below[on.v[i]])
						iv_push(&start, on.v[i]);
				free(below);
				free(anc);
				iv_free(&a);
				iv_free(&on);
			}
		} else {
			for (size_t i = 0; i < current->n; i++)
				iv_push(&start, current->v[i]);
		}
		if (!rc && start.n > 1)
			rc = many_current(g, &c, &start, m.rel,
			                  "Ambiguous upgrade from multiple current revisions", err);
		if (!rc)
			rc = walk(g, start.n ? start.v[0] : -1, m.n, m.label, no_overwalk, &r, &c,
			          err);
		if (!rc && r == REV_OVER)
			rc = walked_off(g, &c, &m, 1, start.n ? start.v[0] : -1, 1, err);
		iv_free(&start);
	} else if (m.n > 0) {
		int s;
		rc = get_revision(g, m.symbol, &s, err);
		if (!rc)
			rc = walk(g, s, m.n, m.label, no_overwalk, &r, &c, err);
		if (!rc && r == REV_OVER)
			rc = walked_off(g, &c, &m, 1, s, 1, err);
	} else if (!m.symbol) {
		char *n = xasprintf("%ld", m.n);
		char *why =
		    cmd ? xasprintf("'retort %s' counts up ('+%ld'); 'retort downgrade %ld' "
		                    "goes down",
		                    cmd, -m.n, m.n)
		        : xasprintf("a relative target counts up from the current revision "
		                    "('+%ld')",
		                    -m.n);
		rc = didnt_produce(err, n, m.n, why);
		free(why);
		free(n);
	} else {
		int s;
		if (m.label) {
			char *t = xasprintf("%s@%s", m.label, m.symbol);
			rc = get_revision(g, t, &s, err);
			free(t);
		} else {
			rc = get_revision(g, m.symbol, &s, err);
		}
		if (!rc)
			rc = walk(g, s, m.n, NULL, no_overwalk, &r, &c, err);
		if (!rc && r == REV_OVER)
			rc = walked_off(g, &c, &m, 0, s, 0, err);
	}
	if (!rc && r >= 0)
		iv_push(out, r);
	relative_free(&m);
	return rc;
}

int target_parse_upgrade(const graph *g, const intvec *current, const char *spec, int no_overwalk,
                         intvec *out, retort_error *err)
{
	return target_parse_upgrade_cmd(g, current, spec, no_overwalk, NULL, out, err);
}

int target_resolve(const graph *g, const intvec *current, const char *spec, int upgrade,
                   intvec *out, retort_error *err)
{
	if (spec && !*spec)
		return empty_target(err);
	if (upgrade) {
		intvec tmp = INTVEC_INIT;
		int rc = target_parse_upgrade(g, current, spec, 1, &tmp, err);
		for (size_t i = 0; !rc && i < tmp.n; i++)
			if (tmp.v[i] >= 0 && iv_index(out, tmp.v[i]) < 0)
				iv_push(out, tmp.v[i]);
		iv_free(&tmp);
		return rc;
	}
	int r;
	char *label = NULL;
	int rc = target_parse_downgrade(g, current, spec, 1, &r, &label, err);
	free(label);
	if (!rc && r >= 0)
		iv_push(out, r);
	return rc;
}
