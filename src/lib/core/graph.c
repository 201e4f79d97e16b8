/*
 * graph.c: the revision DAG built from parsed revision files. It owns
 * validation of the graph as a whole (duplicate ids, dangling references,
 * cycles, clashing branch labels), the id/label hash index, the edge lists
 * every other module walks, and Alembic's topological walk order
 * (RevisionMap._topological_sort), which decides the order of `history`
 * and of upgrade/downgrade steps. All walks are iterative: chains of tens
 * of thousands of revisions must not exhaust the C stack.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* ---- hash index: revision ids and branch labels -------------------------- */

typedef struct gindex {
	strmap ids;    /* keys borrowed from the revisions */
	strmap labels;
} gindex;

int graph_find(const graph *g, const char *id)
{
	if (!g->index || !id)
		return -1;
	return strmap_get(&((const gindex *)g->index)->ids, id);
}

int graph_find_label(const graph *g, const char *label)
{
	if (!g->index || !label)
		return -1;
	return strmap_get(&((const gindex *)g->index)->labels, label);
}

void graph_free(graph *g)
{
	for (size_t i = 0; i < g->n; i++)
		revision_free(g->revs[i]);
	free(g->revs);
	gindex *ix = g->index;
	if (ix) {
		strmap_free(&ix->ids);
		strmap_free(&ix->labels);
		free(ix);
	}
	g->revs = NULL;
	g->n = 0;
	g->index = NULL;
}

/* ---- building ------------------------------------------------------------ */

/* depends_on may name an id, a branch label or a unique id prefix: Alembic
 * resolves ids and labels through its map, and `revision --depends-on`
 * accepts prefixes, so files written by hand may hold either. */
static int resolve_dep(const graph *g, const char *name)
{
	int i = graph_find(g, name);
	if (i >= 0)
		return i;
	i = graph_find_label(g, name);
	if (i >= 0)
		return i;
	size_t len = strlen(name);
	if (len < 4)
		return -1;
	int found = -1;
	for (size_t k = 0; k < g->n; k++)
		if (strncmp(g->revs[k]->id, name, len) == 0) {
			if (found >= 0)
				return -1;
			found = (int)k;
		}
	return found;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Kahn's algorithm from the bases upwards; whatever cannot be peeled sits
 * on or above a cycle. Following a remaining down edge from such a node
 * must eventually revisit a node, and that node is on a cycle. */
/* A revision left over by the topological count is on or leads to a
 * cycle; its first unresolved parent (or dependency) leads further in. */
static int cycle_next(const revision *r, const int *cnt, int with_deps)
{
	for (size_t k = 0; k < r->parents.n; k++)
		if (cnt[r->parents.v[k]] > 0)
			return r->parents.v[k];
	for (size_t k = 0; with_deps && k < r->deps.n; k++)
		if (cnt[r->deps.v[k]] > 0)
			return r->deps.v[k];
	return -1;
}

static int check_cycles(graph *g, int with_deps, retort_error *err)
{
	size_t n = g->n;
	int *cnt = xcalloc(n, sizeof(int));
	int *queue = xmalloc(n * sizeof(int));
	size_t qh = 0, qt = 0, done = 0;
	for (size_t i = 0; i < n; i++) {
		revision *r = g->revs[i];
		cnt[i] = (int)(r->parents.n + (with_deps ? r->deps.n : 0));
		if (!cnt[i])
			queue[qt++] = (int)i;
	}
	while (qh < qt) {
		revision *r = g->revs[queue[qh++]];
		done++;
		for (int pass = 0; pass < (with_deps ? 2 : 1); pass++) {
			const intvec *up = pass ? &r->dependents : &r->children;
			for (size_t k = 0; k < up->n; k++)
				if (--cnt[up->v[k]] == 0)
					queue[qt++] = up->v[k];
		}
	}
	int rc = RETORT_OK;
	if (done < n) {
		int start = -1;
		for (size_t i = 0; i < n && start < 0; i++)
			if (cnt[i] > 0)
				start = (int)i;
		/* Walk down remaining edges, stamping the step at which each node
		 * was first seen, until one repeats. */
		int *seen = xmalloc(n * sizeof(int));
		for (size_t i = 0; i < n; i++)
			seen[i] = -1;
		int cur = start, step = 0;
		while (seen[cur] < 0) {
			seen[cur] = step++;
			cur = cycle_next(g->revs[cur], cnt, with_deps);
		}
		/* cur is on the cycle; collect it. */
		strvec ids = STRVEC_INIT;
		int c = cur;
		do {
			sv_push(&ids, g->revs[c]->id);
			c = cycle_next(g->revs[c], cnt, with_deps);
		} while (c != cur && ids.n <= n);
		qsort(ids.v, ids.n, sizeof(*ids.v), cmp_strp);
		sbuf b = SBUF_INIT;
		sv_join(&b, &ids, ", ");
		rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_GRAPH, g->revs[cur]->path, 0,
		             "%s is detected in revisions (%s): change the %s of one of them to "
		             "break it",
		             with_deps ? "Dependency cycle" : "Cycle", sb_str(&b),
		             with_deps ? "depends_on (or down_revision)" : "down_revision");
		sb_free(&b);
		sv_free(&ids);
		free(seen);
	}
	free(cnt);
	free(queue);
	return rc;
}

/* Alembic's _normalize_depends_on: a dependency that some down_revision
 * ancestor already declares is implied and is dropped from the immediate
 * down revisions, which keeps the step's version-table changes minimal. */
static void normalize(graph *g)
{
	size_t n = g->n;
	unsigned *declared = NULL; /* dep index -> stamp of the revision walking */
	unsigned char *seen = NULL;
	int *stack = NULL;
	for (size_t i = 0; i < n; i++) {
		revision *r = g->revs[i];
		for (size_t k = 0; k < r->parents.n; k++)
			iv_push(&r->norm_down, r->parents.v[k]);
		if (!r->deps.n)
			continue;
		/* Only a dependency with another dependent can be declared by an
		 * ancestor; most graphs never need the walk below. */
		int shared = 0;
		for (size_t k = 0; k < r->deps.n && !shared; k++)
			if (g->revs[r->deps.v[k]]->dependents.n > 1)
				shared = 1;
		if (shared) {
			if (!declared) {
				declared = xcalloc(n, sizeof(unsigned));
				seen = xcalloc(n, 1);
				stack = xmalloc(n * sizeof(int));
			}
			unsigned stamp = (unsigned)i + 1;
			size_t sp = 0;
			intvec visited = INTVEC_INIT;
			for (size_t k = 0; k < r->parents.n; k++)
				stack[sp++] = r->parents.v[k];
			while (sp) {
				int a = stack[--sp];
				if (seen[a])
					continue;
				seen[a] = 1;
				iv_push(&visited, a);
				revision *ra = g->revs[a];
				for (size_t k = 0; k < ra->deps.n; k++)
					declared[ra->deps.v[k]] = stamp;
				for (size_t k = 0; k < ra->parents.n; k++)
					if (!seen[ra->parents.v[k]])
						stack[sp++] = ra->parents.v[k];
			}
			for (size_t k = 0; k < visited.n; k++)
				seen[visited.v[k]] = 0;
			iv_free(&visited);
			for (size_t k = 0; k < r->deps.n; k++) {
				int d = r->deps.v[k];
				if (declared[d] != stamp && iv_index(&r->norm_down, d) < 0)
					iv_push(&r->norm_down, d);
			}
		} else {
			for (size_t k = 0; k < r->deps.n; k++)
				if (iv_index(&r->norm_down, r->deps.v[k]) < 0)
					iv_push(&r->norm_down, r->deps.v[k]);
		}
	}
	free(declared);
	free(seen);
	free(stack);
}

static int dep_self_loop(const revision *r, retort_error *err)
{
	return rt_fail(err, RETORT_EUSAGE, RETORT_R_GRAPH, r->path, 0,
	               "Dependency self-loop is detected in revisions (%s): its depends_on "
	               "names itself",
	               r->id);
}

/* A down_revision or depends_on naming no revision: a typo (suggest the
 * nearest ids) or a missing file. */
static int not_present(const graph *g, const revision *r, const char *ref, const char *key,
                       retort_error *err)
{
	sbuf hint = SBUF_INIT;
	graph_suggest(g, ref, 1, &hint);
	int rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_GRAPH, r->path, 0,
	                 "Revision %s referenced from %s is not present: no revision file has "
	                 "this id; %s%sfix %s in this file or restore the missing file",
	                 ref, r->id, sb_str(&hint), hint.len ? " Else " : "", key);
	sb_free(&hint);
	return rc;
}

int graph_build(graph *g, revision **revs, size_t n, retort_error *err)
{
	g->revs = revs;
	g->n = n;
	gindex *ix = xcalloc(1, sizeof(*ix));
	g->index = ix;
	strmap_init(&ix->ids, n);
	size_t nlabels = 0;
	for (size_t i = 0; i < n; i++) {
		revision *r = revs[i];
		nlabels += r->branch_labels.n;
		int prev = strmap_put(&ix->ids, r->id, (int)i);
		if (prev >= 0)
			return rt_fail(
			    err, RETORT_EUSAGE, RETORT_R_GRAPH, r->path, 0,
			    "Revision %s is present more than once (also in %s): give one "
			    "of the two files a new revision id",
			    r->id, revs[prev]->path);
	}
	strmap_init(&ix->labels, nlabels);
	for (size_t i = 0; i < n; i++) {
		revision *r = revs[i];
		if (sv_index(&r->down, r->id) >= 0)
			return rt_fail(err, RETORT_EUSAGE, RETORT_R_GRAPH, r->path, 0,
			               "Self-loop is detected in revisions (%s): its down_revision "
			               "names itself",
			               r->id);
		if (sv_index(&r->depends_on, r->id) >= 0)
			return dep_self_loop(r, err);
		for (size_t k = 0; k < r->branch_labels.n; k++) {
			const char *l = r->branch_labels.v[k];
			int other = graph_find(g, l);
			if (other < 0)
				other = strmap_put(&ix->labels, l, (int)i);
			if (other >= 0)
				return rt_fail(
				    err, RETORT_EUSAGE, RETORT_R_GRAPH, r->path, 0,
				    "Branch name '%s' in revision %s already used by "
				    "revision %s: %s",
				    l, r->id, revs[other]->id,
				    strcmp(l, revs[other]->id) == 0
				        ? "it is that revision's id; choose another label"
				        : "branch labels must be unique; rename one");
		}
	}
	for (size_t i = 0; i < n; i++) {
		revision *r = revs[i];
		for (size_t k = 0; k < r->down.n; k++) {
			int p = graph_find(g, r->down.v[k]);
			if (p < 0)
				return not_present(g, r, r->down.v[k], "down_revision", err);
			if (iv_index(&r->parents, p) < 0) {
				iv_push(&r->parents, p);
				iv_push(&revs[p]->children, (int)i);
			}
		}
		for (size_t k = 0; k < r->depends_on.n; k++) {
			int d = resolve_dep(g, r->depends_on.v[k]);
			if (d < 0)
				return not_present(g, r, r->depends_on.v[k], "depends_on", err);
			if (d == (int)i)
				return dep_self_loop(r, err);
			if (iv_index(&r->deps, d) < 0) {
				iv_push(&r->deps, d);
				iv_push(&revs[d]->dependents, (int)i);
			}
		}
	}
	int rc = check_cycles(g, 0, err);
	if (!rc)
		rc = check_cycles(g, 1, err);
	if (rc)
		return rc;
	normalize(g);
	return RETORT_OK;
}

/* ---- suggestions for a mistyped id or label ------------------------------ */

/* Optimal string alignment distance (Levenshtein plus transpositions),
 * ignoring case; at most 64 characters of each string count. */
static size_t typo_distance(const char *a, const char *b)
{
	enum { MAXL = 64 };
	size_t la = strlen(a), lb = strlen(b);
	if (la > MAXL)
		la = MAXL;
	if (lb > MAXL)
		lb = MAXL;
	size_t d[MAXL + 1][MAXL + 1];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]),
			    cb = tolower((unsigned char)b[j - 1]);
			size_t best = d[i - 1][j - 1] + (ca != cb);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

/* How far `what` is from key, as a whole or as a prefix of it. */
static size_t key_distance(const char *what, const char *key)
{
	size_t d = typo_distance(what, key);
	size_t lw = strlen(what);
	if (lw < strlen(key) && lw <= 64) {
		char buf[65];
		memcpy(buf, key, lw);
		buf[lw] = 0;
		size_t p = typo_distance(what, buf);
		if (p < d)
			d = p;
	}
	return d;
}

void graph_nearest(const graph *g, const char *what, int with_labels, strvec *out)
{
	size_t lw = strlen(what);
	if (lw < 3)
		return; /* too little to go on */
	size_t limit = lw <= 4 ? 1 : lw <= 8 ? 2 : 3;
	size_t best = limit + 1;
	strvec found = STRVEC_INIT;
	for (int pass = 0; pass < (with_labels ? 2 : 1); pass++)
		for (size_t i = 0; i < g->n; i++) {
			const revision *r = g->revs[i];
			size_t nk = pass ? r->branch_labels.n : 1;
			for (size_t k = 0; k < nk; k++) {
				const char *key = pass ? r->branch_labels.v[k] : r->id;
				size_t d = key_distance(what, key);
				if (d > best || d > limit)
					continue;
				if (d < best) {
					sv_clear(&found);
					best = d;
				}
				if (found.n < 3 && sv_index(&found, key) < 0)
					sv_push(&found, key);
			}
		}
	for (size_t i = 0; i < found.n; i++)
		sv_push(out, found.v[i]);
	sv_free(&found);
}

void graph_suggest(const graph *g, const char *what, int with_labels, sbuf *out)
{
	strvec near = STRVEC_INIT;
	graph_nearest(g, what, with_labels, &near);
	if (near.n) {
		sb_adds(out, "did you mean ");
		for (size_t i = 0; i < near.n; i++)
			sb_addf(out, "%s'%s'", i ? (i + 1 == near.n ? " or " : ", ") : "",
			        near.v[i]);
		sb_adds(out, "?");
	}
	sv_free(&near);
}

/* ---- queries ------------------------------------------------------------- */

void graph_heads(const graph *g, intvec *out)
{
	for (size_t i = 0; i < g->n; i++)
		if (!g->revs[i]->children.n)
			iv_push(out, (int)i);
}

void graph_bases(const graph *g, intvec *out)
{
	for (size_t i = 0; i < g->n; i++)
		if (!g->revs[i]->parents.n)
			iv_push(out, (int)i);
}

void graph_mark(const graph *g, const int *start, size_t nstart, int up, int with_deps,
                unsigned char *mark)
{
	if (!g->n)
		return;
	int *stack = xmalloc((g->n + nstart) * sizeof(int));
	size_t sp = 0;
	for (size_t i = 0; i < nstart; i++)
		if (start[i] >= 0 && !mark[start[i]]) {
			mark[start[i]] = 1;
			stack[sp++] = start[i];
		}
	while (sp) {
		const revision *r = g->revs[stack[--sp]];
		for (int pass = 0; pass < (with_deps ? 2 : 1); pass++) {
			const intvec *e = up ? (pass ? &r->dependents : &r->children)
			                     : (pass ? &r->deps : &r->parents);
			for (size_t k = 0; k < e->n; k++)
				if (!mark[e->v[k]]) {
					mark[e->v[k]] = 1;
					stack[sp++] = e->v[k];
				}
		}
	}
	free(stack);
}

void graph_mark_ancestors(const graph *g, const int *start, size_t nstart, unsigned char *mark)
{
	graph_mark(g, start, nstart, 0, 1, mark);
}

void graph_mark_descendants(const graph *g, const int *start, size_t nstart, unsigned char *mark)
{
	graph_mark(g, start, nstart, 1, 1, mark);
}

/* ---- Alembic's topological walk ----------------------------------------- */

typedef struct walkhead {
	int rev;
	uint64_t *anc; /* bitset: ancestors of rev (including rev) */
} walkhead;

static void anc_fill(const graph *g, int rev, uint64_t *bits, size_t words, int *stack)
{
	memset(bits, 0, words * sizeof(uint64_t));
	size_t sp = 0;
	bits[rev >> 6] |= 1ULL << (rev & 63);
	stack[sp++] = rev;
	while (sp) {
		const revision *r = g->revs[stack[--sp]];
		for (size_t k = 0; k < r->norm_down.n; k++) {
			int p = r->norm_down.v[k];
			if (!(bits[p >> 6] & (1ULL << (p & 63)))) {
				bits[p >> 6] |= 1ULL << (p & 63);
				stack[sp++] = p;
			}
		}
	}
}

/*
 * The order is Alembic's, step for step: keep walking down the current
 * head's line, but hand over to another head as soon as the candidate is
 * an ancestor of it, so that shared ancestors come out only after every
 * line above them. Ties go by load order. Heads are the subset's tips.
 */
void graph_walk(const graph *g, const unsigned char *subset, intvec *out)
{
	size_t n = g->n;
	if (!n)
		return;
	size_t words = (n + 63) / 64;
	unsigned char *todo = xmalloc(n);
	unsigned char *in_heads = xcalloc(n, 1);
	int *stack = xmalloc(n * sizeof(int));
	size_t left = 0;
	for (size_t i = 0; i < n; i++) {
		todo[i] = subset ? (subset[i] != 0) : 1;
		left += todo[i];
	}
	walkhead *heads = NULL;
	size_t nh = 0, caph = 0;

	while (left) {
		/* Tips of what is left, in load order. Normally one round; a
		 * subset that is not closed under ancestry may need more. */
		for (size_t i = 0; i < n; i++) {
			if (!todo[i])
				continue;
			const revision *r = g->revs[i];
			int tip = 1;
			for (size_t k = 0; k < r->children.n && tip; k++)
				if (todo[r->children.v[k]])
					tip = 0;
			for (size_t k = 0; k < r->dependents.n && tip; k++)
				if (todo[r->dependents.v[k]])
					tip = 0;
			if (!tip)
				continue;
			if (nh == caph) {
				caph = caph ? caph * 2 : 8;
				heads = xrealloc(heads, caph * sizeof(*heads));
			}
			heads[nh].rev = (int)i;
			heads[nh].anc = xmalloc(words * sizeof(uint64_t));
			anc_fill(g, (int)i, heads[nh].anc, words, stack);
			in_heads[i] = 1;
			nh++;
		}

		size_t ci = 0;
		while (nh) {
			int cand = heads[ci].rev;
			size_t other = nh;
			for (size_t k = 0; k < nh; k++)
				if (k != ci && (heads[k].anc[cand >> 6] & (1ULL << (cand & 63)))) {
					other = k;
					break;
				}
			if (other < nh) {
				ci = other;
				continue;
			}
			if (todo[cand]) {
				iv_push(out, cand);
				todo[cand] = 0;
				left--;
			}
			const revision *r = g->revs[cand];
			intvec add = INTVEC_INIT;
			for (size_t k = 0; k < r->norm_down.n; k++) {
				int p = r->norm_down.v[k];
				if (todo[p] && !in_heads[p])
					iv_push(&add, p);
			}
			in_heads[cand] = 0;
			if (!add.n) {
				free(heads[ci].anc);
				memmove(heads + ci, heads + ci + 1, (nh - ci - 1) * sizeof(*heads));
				nh--;
				ci = ci ? ci - 1 : 0;
			} else if (r->norm_down.n == 1 && r->parents.n == 1) {
				/* Plain step down a line: the new head's ancestors are
				 * the old set minus the candidate. */
				heads[ci].rev = add.v[0];
				heads[ci].anc[cand >> 6] &= ~(1ULL << (cand & 63));
				in_heads[add.v[0]] = 1;
			} else {
				heads[ci].rev = add.v[0];
				anc_fill(g, add.v[0], heads[ci].anc, words, stack);
				in_heads[add.v[0]] = 1;
				for (size_t k = 1; k < add.n; k++) {
					if (nh == caph) {
						caph *= 2;
						heads = xrealloc(heads, caph * sizeof(*heads));
					}
					heads[nh].rev = add.v[k];
					heads[nh].anc = xmalloc(words * sizeof(uint64_t));
					anc_fill(g, add.v[k], heads[nh].anc, words, stack);
					in_heads[add.v[k]] = 1;
					nh++;
				}
			}
			iv_free(&add);
		}
	}
	free(heads);
	free(todo);
	free(in_heads);
	free(stack);
}
