/*
 * test_graph.c: the revision DAG (graph.c): validation errors, edges,
 * Alembic's normalised down revisions, heads/bases, ancestor marking and
 * the topological walk order of `history`. Expected walk orders were
 * produced by running Alembic 1.8.1's `alembic history` on the same
 * graphs with the files loaded in the same order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

/* "id:down1,down2:deps:labels", in load order. */
static revision *mkrev(const char *spec, int order)
{
	char *s = xstrdup(spec);
	char *f[4] = {s, "", "", ""};
	int n = 1;
	for (char *p = s; n < 4 && (p = strchr(p, ':')); n++) {
		*p++ = 0;
		f[n] = p;
	}
	revision *r = xcalloc(1, sizeof(*r));
	r->id = xstrdup(f[0]);
	sv_split_csv(&r->down, f[1]);
	sv_split_csv(&r->depends_on, f[2]);
	sv_split_csv(&r->branch_labels, f[3]);
	r->message = xasprintf("msg %s", f[0]);
	r->create_date = xstrdup("");
	r->release = xstrdup("");
	r->path = xasprintf("versions/%04d_%s.sql", order, f[0]);
	r->section[SEC_UPGRADE] = xstrdup("");
	r->order = order;
	free(s);
	return r;
}

static int build(graph *g, const char *const *specs, size_t n, retort_error *err)
{
	revision **revs = xcalloc(n, sizeof(*revs));
	for (size_t i = 0; i < n; i++)
		revs[i] = mkrev(specs[i], (int)i);
	memset(g, 0, sizeof(*g));
	return graph_build(g, revs, n, err);
}

static void build_ok(graph *g, const char *const *specs, size_t n)
{
	retort_error err = {0};
	if (build(g, specs, n, &err))
		fail_msg("graph_build: %s: %s", err.file, err.message);
}

static void build_fails(const char *const *specs, size_t n, const char *file, const char *msg)
{
	graph g;
	retort_error err = {0};
	assert_int_equal(build(&g, specs, n, &err), RETORT_EUSAGE);
	assert_string_equal(err.message, msg);
	if (file)
		assert_string_equal(err.file, file);
	graph_free(&g);
}

/* Ids of an index list, space separated. */
static char *ids(const graph *g, const intvec *v)
{
	sbuf b = SBUF_INIT;
	for (size_t i = 0; i < v->n; i++)
		sb_addf(&b, "%s%s", i ? " " : "", g->revs[v->v[i]]->id);
	return sb_detach(&b);
}

static void assert_walk(const graph *g, const unsigned char *subset, const char *want)
{
	intvec w = INTVEC_INIT;
	graph_walk(g, subset, &w);
	char *got = ids(g, &w);
	assert_string_equal(got, want);
	free(got);
	iv_free(&w);
}

static void assert_ids(const graph *g, const intvec *v, const char *want)
{
	char *got = ids(g, v);
	assert_string_equal(got, want);
	free(got);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_linear(void **state)
{
	(void)state;
	static const char *const s[] = {"c:b", "a:", "b:a"}; /* load order != age */
	graph g;
	build_ok(&g, s, N(s));
	assert_int_equal(graph_find(&g, "a"), 1);
	assert_int_equal(graph_find(&g, "zz"), -1);
	intvec v = INTVEC_INIT;
	graph_heads(&g, &v);
	assert_ids(&g, &v, "c");
	v.n = 0;
	graph_bases(&g, &v);
	assert_ids(&g, &v, "a");
	iv_free(&v);
	assert_walk(&g, NULL, "c b a");
	const revision *b = g.revs[graph_find(&g, "b")];
	assert_int_equal(b->parents.n, 1);
	assert_int_equal(b->children.n, 1);
	assert_int_equal(b->norm_down.n, 1);
	assert_int_equal(b->norm_down.v[0], 1);
	graph_free(&g);
}

/* Alembic: a -> b, b branches into c/e and d/f, merged by g, then h
 * branches into i and j. `alembic history` printed i j h g e c f d b a. */
static const char *const branchy[] = {"a:",  "b:a",   "c:b", "d:b", "e:c",
                                      "f:d", "g:e,f", "h:g", "i:h", "j:h"};

static void test_branches_and_merge(void **state)
{
	(void)state;
	graph g;
	build_ok(&g, branchy, N(branchy));
	intvec v = INTVEC_INIT;
	graph_heads(&g, &v);
	assert_ids(&g, &v, "i j");
	iv_free(&v);
	assert_walk(&g, NULL, "i j h g e c f d b a");
	const revision *gr = g.revs[graph_find(&g, "g")];
	assert_int_equal(gr->parents.n, 2);
	assert_int_equal(g.revs[graph_find(&g, "b")]->children.n, 2);

	/* subset walk: only what lies above b, as a downgrade would undo */
	unsigned char *m = xcalloc(g.n, 1);
	int d = graph_find(&g, "d");
	graph_mark_descendants(&g, &d, 1, m);
	assert_walk(&g, m, "i j h g f d");
	free(m);
	graph_free(&g);
}

/* Alembic 1.8.1 `history` on this load order printed
 * d1 m a2 b2 b1 x2 x1 a1 (x1 is a labelled second base, d1 depends on x2). */
static void test_walk_with_dependency_and_two_bases(void **state)
{
	(void)state;
	static const char *const s[] = {"x2:x1", "a1:",     "x1:::xlab", "a2:a1",
	                                "b1:a1", "m:a2,b1", "d1:m:x2",   "b2:b1"};
	graph g;
	build_ok(&g, s, N(s));
	assert_walk(&g, NULL, "d1 m a2 b2 b1 x2 x1 a1");
	intvec v = INTVEC_INIT;
	graph_heads(&g, &v);
	assert_ids(&g, &v, "x2 d1 b2"); /* a dependency is no child: x2 stays a head */
	v.n = 0;
	graph_bases(&g, &v);
	assert_ids(&g, &v, "a1 x1");
	iv_free(&v);
	assert_int_equal(graph_find_label(&g, "xlab"), graph_find(&g, "x1"));
	const revision *d1 = g.revs[graph_find(&g, "d1")];
	assert_int_equal(d1->deps.n, 1);
	assert_int_equal(d1->norm_down.n, 2);
	assert_int_equal(g.revs[graph_find(&g, "x2")]->dependents.n, 1);

	/* ancestors follow depends_on; down-only marking does not */
	int start = graph_find(&g, "d1");
	unsigned char *m = xcalloc(g.n, 1);
	graph_mark_ancestors(&g, &start, 1, m);
	assert_true(m[graph_find(&g, "x1")]);
	memset(m, 0, g.n);
	graph_mark(&g, &start, 1, 0, 0, m);
	assert_false(m[graph_find(&g, "x1")]);
	assert_true(m[graph_find(&g, "a1")]);
	free(m);
	graph_free(&g);
}

/* Alembic's _normalized_down_revisions drops a dependency that an
 * ancestor (by down_revision) already declares. */
static void test_normalized_depends_on(void **state)
{
	(void)state;
	static const char *const s[] = {"aaaa:",          "bbbb:aaaa",    "xxxx:::xl",
	                                "cccc:bbbb:xxxx", "dddd:cccc:xl", "eeee:dddd:aaaa",
	                                "ffff:eeee:xxxx"};
	graph g;
	build_ok(&g, s, N(s));
	const revision *c = g.revs[graph_find(&g, "cccc")];
	assert_int_equal(c->norm_down.n, 2);
	/* dddd names xxxx by its label; cccc declares it already */
	const revision *d = g.revs[graph_find(&g, "dddd")];
	assert_int_equal(d->deps.n, 1);
	assert_int_equal(d->deps.v[0], graph_find(&g, "xxxx"));
	assert_int_equal(d->norm_down.n, 1);
	/* a dependency on a plain ancestor stays (Alembic keeps it too) */
	const revision *e = g.revs[graph_find(&g, "eeee")];
	assert_int_equal(e->norm_down.n, 2);
	const revision *f = g.revs[graph_find(&g, "ffff")];
	assert_int_equal(f->norm_down.n, 1);
	graph_free(&g);
}

static void test_depends_on_prefix(void **state)
{
	(void)state;
	static const char *const s[] = {"abcdef01:", "b:abcdef01", "z:::zl", "c:b:zl", "d:c:abcd"};
	graph g;
	build_ok(&g, s, N(s));
	assert_int_equal(g.revs[graph_find(&g, "d")]->deps.v[0], graph_find(&g, "abcdef01"));
	assert_int_equal(g.revs[graph_find(&g, "c")]->deps.v[0], graph_find(&g, "z"));
	graph_free(&g);
}

static void test_errors(void **state)
{
	(void)state;
	static const char *const dup[] = {"a:", "b:a", "a:b"};
	build_fails(
	    dup, N(dup), "versions/0002_a.sql",
	    "Revision a is present more than once (also in versions/0000_a.sql): give one of "
	    "the two files a new revision id");
	static const char *const down[] = {"a:", "b:zz"};
	build_fails(down, N(down), "versions/0001_b.sql",
	            "Revision zz referenced from b is not present: no revision file has this id; "
	            "fix down_revision in this file or restore the missing file");
	static const char *const dep[] = {"a:", "b:a:nope"};
	build_fails(dep, N(dep), "versions/0001_b.sql",
	            "Revision nope referenced from b is not present: no revision file has this id; "
	            "fix depends_on in this file or restore the missing file");
	static const char *const shortdep[] = {"abcdef:", "b:abcdef:abc"};
	build_fails(shortdep, N(shortdep), "versions/0001_b.sql",
	            "Revision abc referenced from b is not present: no revision file has this id; "
	            "did you mean 'abcdef'? Else fix depends_on in this file or restore the "
	            "missing file");
	static const char *const cyc[] = {"a:", "b:a,d", "c:b", "d:c", "e:d"};
	build_fails(cyc, N(cyc), NULL,
	            "Cycle is detected in revisions (b, c, d): change the down_revision of one of "
	            "them to break it");
	static const char *const dcyc[] = {"a:", "b:a:c", "c:a:b"};
	build_fails(dcyc, N(dcyc), NULL,
	            "Dependency cycle is detected in revisions (b, c): change the depends_on (or "
	            "down_revision) of one of them to break it");
	static const char *const loop[] = {"a:", "b:b"};
	build_fails(loop, N(loop), "versions/0001_b.sql",
	            "Self-loop is detected in revisions (b): its down_revision names itself");
	static const char *const dloop[] = {"a:", "b:a:b"};
	build_fails(dloop, N(dloop), "versions/0001_b.sql",
	            "Dependency self-loop is detected in revisions (b): its depends_on names "
	            "itself");
	static const char *const lab[] = {"a:::x", "b:a::x"};
	build_fails(lab, N(lab), "versions/0001_b.sql",
	            "Branch name 'x' in revision b already used by revision a: branch labels must "
	            "be unique; rename one");
	static const char *const labid[] = {"a:", "b:a::a"};
	build_fails(labid, N(labid), "versions/0001_b.sql",
	            "Branch name 'a' in revision b already used by revision a: it is that "
	            "revision's id; choose another label");
	/* a typo in down_revision: the nearest ids */
	static const char *const typo[] = {"c3d4e5f6a1b2:", "d4e5f6a1b2c3:c3d4e5f6a1b3"};
	build_fails(typo, N(typo), "versions/0001_d4e5f6a1b2c3.sql",
	            "Revision c3d4e5f6a1b3 referenced from d4e5f6a1b2c3 is not present: no "
	            "revision file has this id; did you mean 'c3d4e5f6a1b2'? Else fix "
	            "down_revision in this file or restore the missing file");
}

static void test_empty(void **state)
{
	(void)state;
	graph g;
	build_ok(&g, NULL, 0);
	assert_walk(&g, NULL, "");
	assert_int_equal(graph_find(&g, "a"), -1);
	graph_free(&g);
}

/* 10,000 revisions in a chain (and a wide fan): hashing and iterative
 * walks keep this linear; recursion would overflow the stack. */
static void test_large(void **state)
{
	(void)state;
	enum { BIG = 10000 };
	revision **revs = xcalloc(BIG, sizeof(*revs));
	for (int i = 0; i < BIG; i++) {
		char spec[64];
		/* file names sort by number, ids do not */
		if (i)
			snprintf(spec, sizeof(spec), "r%x_%d:r%x_%d", (unsigned)(i * 7919) % 4096,
			         i, (unsigned)((i - 1) * 7919) % 4096, i - 1);
		else
			snprintf(spec, sizeof(spec), "r0_0:");
		revs[i] = mkrev(spec, i);
	}
	graph g = {0};
	retort_error err = {0};
	assert_int_equal(graph_build(&g, revs, BIG, &err), RETORT_OK);
	intvec w = INTVEC_INIT;
	graph_walk(&g, NULL, &w);
	assert_int_equal(w.n, BIG);
	assert_int_equal(w.v[0], BIG - 1);
	assert_int_equal(w.v[BIG - 1], 0);
	iv_free(&w);
	unsigned char *m = xcalloc(BIG, 1);
	int top = BIG - 1;
	graph_mark_ancestors(&g, &top, 1, m);
	assert_true(m[0]);
	int bottom = 0;
	memset(m, 0, BIG);
	graph_mark_descendants(&g, &bottom, 1, m);
	assert_true(m[BIG - 1]);
	free(m);
	graph_free(&g);

	/* one base with 2,000 children: many heads */
	enum { WIDE = 2000 };
	revs = xcalloc(WIDE + 1, sizeof(*revs));
	revs[0] = mkrev("root:", 0);
	for (int i = 1; i <= WIDE; i++) {
		char spec[64];
		snprintf(spec, sizeof(spec), "w%d:root", i);
		revs[i] = mkrev(spec, i);
	}
	assert_int_equal(graph_build(&g, revs, WIDE + 1, &err), RETORT_OK);
	graph_walk(&g, NULL, &w);
	assert_int_equal(w.n, WIDE + 1);
	assert_int_equal(w.v[0], 1);
	assert_int_equal(w.v[WIDE], 0);
	iv_free(&w);
	graph_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_linear),
	    cmocka_unit_test(test_branches_and_merge),
	    cmocka_unit_test(test_walk_with_dependency_and_two_bases),
	    cmocka_unit_test(test_normalized_depends_on),
	    cmocka_unit_test(test_depends_on_prefix),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
