/*
 * route.c: which statements of a SQLite schema file can be loaded into
 * separate databases and still describe the same schema.
 *
 * Why: SQLite's CREATE re-reads its schema table for the new object's
 * name by scanning the whole table (OP_ParseSchema has no index to use),
 * so loading N objects into one database costs N² row visits: 10,000
 * tables take about 45 s. Loaded into groups of a few hundred objects,
 * each in a database of its own, the same file takes a second or two, and
 * the union of the groups' descriptions is the description of the whole.
 *
 * What keeps that true: a group holds everything one object needs at
 * creation or when described. An index and a trigger go with their table;
 * a view, a trigger body, CREATE TABLE … AS, and DML go with every object
 * they name; DROP and ALTER with the object they change. A foreign key
 * does not bind (SQLite neither checks nor needs the parent when the child
 * is created or described), unless PRAGMA foreign_keys is on when rows
 * are written. PRAGMAs run in every group. Anything else (ALTER … RENAME,
 * which rewrites references in other tables, transaction control, virtual
 * tables, statements this file does not know) keeps the whole file in one
 * database, as before.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "sql/sql.h"

typedef struct router {
	strvec names;  /* node names, lower-cased; strmap keys point into them */
	strmap index;
	intvec parent; /* union-find */
	intvec weight; /* objects created, per node (summed at the roots) */
} router;

static int find(router *r, int x)
{
	while (r->parent.v[x] != x) {
		r->parent.v[x] = r->parent.v[r->parent.v[x]];
		x = r->parent.v[x];
	}
	return x;
}

static void unite(router *r, int a, int b)
{
	a = find(r, a);
	b = find(r, b);
	if (a == b)
		return;
	if (a > b) { /* the older node stays the root */
		int t = a;
		a = b;
		b = t;
	}
	r->parent.v[b] = a;
	r->weight.v[a] += r->weight.v[b];
}

/* The node of name (taken), added when new. */
static int node(router *r, char *name)
{
	int had = strmap_get(&r->index, name);
	if (had >= 0) {
		free(name);
		return had;
	}
	int id = (int)r->names.n;
	sv_push_owned(&r->names, name);
	strmap_put(&r->index, name, id);
	iv_push(&r->parent, id);
	iv_push(&r->weight, 0);
	return id;
}

/* Unites n with every object created earlier that tokens [from, t->n) name. */
static void unite_named(router *r, const sqltoks *t, size_t from, int n)
{
	for (size_t k = from; k < t->n; k++) {
		if (!sqltok_is_name(t, k))
			continue;
		char *w = sqltok_name(t, k);
		int id = strmap_get(&r->index, w);
		free(w);
		if (id >= 0)
			unite(r, n, id);
	}
}

/* The name at *i (advanced past it), or NULL. */
static char *name_at(const sqltoks *t, size_t *i)
{
	char *name = NULL;
	*i = sqltok_qname(t, *i, &name);
	return name;
}

enum { ROUTE_FAIL = -2, ROUTE_ALL = -1 };

/* Statement i's node, ROUTE_ALL or ROUTE_FAIL; *fk_on follows PRAGMA
 * foreign_keys through the file. */
static int route_one(router *r, const sqltoks *t, int *fk_on)
{
	size_t i = 0;
	if (t->n == 0)
		return ROUTE_ALL;
	if (sqltok_kw(t, 0, "PRAGMA")) {
		/* PRAGMA [main.]foreign_keys = ON | (ON) turns enforcement on */
		for (size_t k = 1; k + 1 < t->n; k++)
			if (sqltok_kw(t, k, "foreign_keys")) {
				size_t v = k + 1 + (sqltok_punct(t, k + 1, '=') || sqltok_punct(t, k + 1, '('));
				*fk_on = !(sqltok_kw(t, v, "OFF") || sqltok_kw(t, v, "0") ||
				           sqltok_kw(t, v, "FALSE") || sqltok_kw(t, v, "NO"));
			}
		return ROUTE_ALL;
	}
	if (sqltok_kw(t, 0, "CREATE")) {
		i = 1;
		if (sqltok_kw(t, i, "TEMP") || sqltok_kw(t, i, "TEMPORARY"))
			i++;
		int unique = sqltok_kw(t, i, "UNIQUE");
		i += unique;
		int kind = sqltok_kw(t, i, "INDEX")     ? 'i'
		           : unique                     ? 0
		           : sqltok_kw(t, i, "TABLE")   ? 't'
		           : sqltok_kw(t, i, "VIEW")    ? 'v'
		           : sqltok_kw(t, i, "TRIGGER") ? 'g'
		                                        : 0;
		if (!kind)
			return ROUTE_FAIL;
		i = sqltok_skip_if_exists(t, i + 1);
		char *name = name_at(t, &i);
		if (!name)
			return ROUTE_FAIL;
		int n = node(r, name);
		r->weight.v[find(r, n)]++;
		if (kind == 'i') {
			if (!sqltok_kw(t, i, "ON"))
				return ROUTE_FAIL;
			i++;
			char *table = name_at(t, &i);
			if (!table)
				return ROUTE_FAIL;
			unite(r, n, node(r, table));
		} else if (kind == 't') {
			if (sqltok_kw(t, i, "AS"))
				unite_named(r, t, i, n);
		} else {
			unite_named(r, t, i, n);
		}
		return n;
	}
	if (sqltok_kw(t, 0, "DROP")) {
		if (!(sqltok_kw(t, 1, "TABLE") || sqltok_kw(t, 1, "VIEW") || sqltok_kw(t, 1, "INDEX") ||
		      sqltok_kw(t, 1, "TRIGGER")))
			return ROUTE_FAIL;
		if (*fk_on && sqltok_kw(t, 1, "TABLE"))
			return ROUTE_FAIL; /* checks the rows of children, wherever they are */
		i = sqltok_skip_if_exists(t, 2);
		char *name = name_at(t, &i);
		return name ? node(r, name) : ROUTE_FAIL;
	}
	if (sqltok_kw(t, 0, "ALTER") && sqltok_kw(t, 1, "TABLE")) {
		/* a renamed table or column is renamed in other tables' foreign
		 * keys too */
		for (size_t k = 2; k < t->n; k++)
			if (sqltok_kw(t, k, "RENAME"))
				return ROUTE_FAIL;
		i = 2;
		char *name = name_at(t, &i);
		return name ? node(r, name) : ROUTE_FAIL;
	}
	if (sqltok_kw(t, 0, "INSERT") || sqltok_kw(t, 0, "REPLACE") || sqltok_kw(t, 0, "UPDATE") ||
	    sqltok_kw(t, 0, "DELETE")) {
		if (*fk_on)
			return ROUTE_FAIL; /* enforced foreign keys need the parents' rows */
		int first = -1;
		for (size_t k = 1; k < t->n; k++) {
			if (!sqltok_is_name(t, k))
				continue;
			char *w = sqltok_name(t, k);
			int id = strmap_get(&r->index, w);
			free(w);
			if (id < 0)
				continue;
			if (first < 0)
				first = id;
			else
				unite(r, first, id);
		}
		return first >= 0 ? first : ROUTE_FAIL;
	}
	return ROUTE_FAIL;
}

size_t sql_route_sqlite(const stmt_list *sl, size_t per_db, int *part)
{
	router r = {STRVEC_INIT, STRMAP_INIT, INTVEC_INIT, INTVEC_INIT};
	int *nodes = xcalloc(sl->n + 1, sizeof *nodes);
	int fk_on = 0, ok = 1;
	for (size_t i = 0; ok && i < sl->n; i++) {
		sqltoks t;
		sqltok_split(DIALECT_SQLITE, sl->v[i].sql, &t);
		nodes[i] = route_one(&r, &t, &fk_on);
		ok = nodes[i] != ROUTE_FAIL;
		sqltoks_free(&t);
	}
	size_t nparts = 1;
	for (size_t i = 0; i < sl->n; i++)
		part[i] = 0;
	if (ok) {
		/* groups packed in order of first use, per_db objects a database */
		int *part_of = xcalloc(r.parent.n + 1, sizeof *part_of);
		for (size_t k = 0; k < r.parent.n; k++)
			part_of[k] = -1;
		size_t cur = 0;
		long filled = 0;
		for (size_t i = 0; i < sl->n; i++) {
			if (nodes[i] == ROUTE_ALL) {
				part[i] = -1;
				continue;
			}
			int root = find(&r, nodes[i]);
			if (part_of[root] < 0) {
				if (filled > 0 && filled + r.weight.v[root] > (long)per_db) {
					cur++;
					filled = 0;
				}
				part_of[root] = (int)cur;
				filled += r.weight.v[root];
			}
			part[i] = part_of[root];
		}
		nparts = cur + 1;
		free(part_of);
	}
	if (nparts == 1)
		for (size_t i = 0; i < sl->n; i++)
			part[i] = 0;
	free(nodes);
	sv_free(&r.names);
	strmap_free(&r.index);
	iv_free(&r.parent);
	iv_free(&r.weight);
	return nparts;
}
