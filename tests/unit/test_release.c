/*
 * test_release.c: the `release:` header over the graph (core/release.c):
 * releases ordered as versions, the revision that completes a release,
 * the known releases listed oldest first, and the release a revision
 * belongs to (its own or its nearest ancestor's).
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

/* "id:down1,down2:release", in load order. */
static revision *mkrev(const char *spec, int order)
{
	char *s = xstrdup(spec);
	char *f[3] = {s, "", ""};
	int n = 1;
	for (char *p = s; n < 3 && (p = strchr(p, ':')); n++) {
		*p++ = 0;
		f[n] = p;
	}
	revision *r = xcalloc(1, sizeof(*r));
	r->id = xstrdup(f[0]);
	sv_split_csv(&r->down, f[1]);
	r->message = xasprintf("msg %s", f[0]);
	r->create_date = xstrdup("");
	r->release = xstrdup(f[2]);
	r->path = xasprintf("versions/%04d_%s.sql", order, f[0]);
	r->section[SEC_UPGRADE] = xstrdup("");
	r->order = order;
	free(s);
	return r;
}

static void build_ok(graph *g, const char *const *specs, size_t n)
{
	revision **revs = xcalloc(n, sizeof(*revs));
	for (size_t i = 0; i < n; i++)
		revs[i] = mkrev(specs[i], (int)i);
	memset(g, 0, sizeof(*g));
	retort_error err = {0};
	if (graph_build(g, revs, n, &err))
		fail_msg("graph_build: %s", err.message);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int sign(int x)
{
	return x < 0 ? -1 : x > 0;
}

static void test_cmp(void **state)
{
	(void)state;
	static const struct {
		const char *a, *b;
		int want;
	} cases[] = {
	    {"0.8.0", "0.8.0", 0},   {"0.9.1", "0.10.0", -1}, {"0.10.0", "0.9.1", 1},
	    {"1.0", "1.0.0", -1},    {"1.0.1", "1.0", 1},     {"2", "10", -1},
	    {"1.02", "1.2", 0},      {"1.0.0rc1", "1.0.0rc2", -1}, {"2024.1", "2023.12", 1},
	    {"v1.9", "v1.10", -1},   {"", "0.1", -1},         {"0.0.0", "0.0", 1},
	    {"99999999999999999999.1", "99999999999999999999.2", -1},
	};
	for (size_t i = 0; i < N(cases); i++) {
		int got = sign(release_cmp(cases[i].a, cases[i].b));
		if (got != cases[i].want)
			fail_msg("release_cmp(%s, %s) = %d, want %d", cases[i].a, cases[i].b, got,
			         cases[i].want);
		assert_int_equal(sign(release_cmp(cases[i].b, cases[i].a)), -cases[i].want);
	}
}

/*   a(0.8.0) - b(0.8.0) - c - d(0.9.1) - e
 *                          \- f(0.10.0)          */
static const char *const branched[] = {"a::0.8.0", "b:a:0.8.0", "c:b:", "d:c:0.9.1",
                                       "e:d:",     "f:c:0.10.0"};

static void test_find_and_list(void **state)
{
	(void)state;
	graph g;
	build_ok(&g, branched, N(branched));
	assert_int_equal(release_find(&g, "0.8.0"), graph_find(&g, "b")); /* the newest */
	assert_int_equal(release_find(&g, "0.9.1"), graph_find(&g, "d"));
	assert_int_equal(release_find(&g, "0.10.0"), graph_find(&g, "f"));
	assert_int_equal(release_find(&g, "0.7"), -1);
	strvec l = STRVEC_INIT;
	release_list(&g, &l);
	sbuf b = SBUF_INIT;
	sv_join(&b, &l, " ");
	assert_string_equal(sb_str(&b), "0.8.0 0.9.1 0.10.0");
	sb_free(&b);
	sv_free(&l);
	graph_free(&g);
}

static void test_nearest(void **state)
{
	(void)state;
	graph g;
	build_ok(&g, branched, N(branched));
	int *rank = release_rank(&g);
	static const struct {
		const char *rev, *want;
	} cases[] = {{"a", "a"}, {"b", "b"}, {"c", "b"}, {"d", "d"}, {"e", "d"}, {"f", "f"}};
	for (size_t i = 0; i < N(cases); i++) {
		int k = release_nearest(&g, rank, graph_find(&g, cases[i].rev));
		assert_true(k >= 0);
		assert_string_equal(g.revs[k]->id, cases[i].want);
	}
	assert_int_equal(release_nearest(&g, rank, -1), -1);
	/* two heads: the newer release wins, as versions compare */
	int heads[] = {graph_find(&g, "e"), graph_find(&g, "f")};
	assert_int_equal(release_of_heads(&g, heads, 2), graph_find(&g, "f"));
	assert_int_equal(release_of_heads(&g, heads, 1), graph_find(&g, "d"));
	free(rank);
	graph_free(&g);
}

static void test_none(void **state)
{
	(void)state;
	static const char *const plain[] = {"a::", "b:a:"};
	graph g;
	build_ok(&g, plain, N(plain));
	int *rank = release_rank(&g);
	assert_int_equal(release_nearest(&g, rank, graph_find(&g, "b")), -1);
	int head = graph_find(&g, "b");
	assert_int_equal(release_of_heads(&g, &head, 1), -1);
	/* "" is no release, never found */
	assert_int_equal(release_find(&g, ""), -1);
	strvec l = STRVEC_INIT;
	release_list(&g, &l);
	assert_int_equal(l.n, 0);
	free(rank);
	graph_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cmp),
	    cmocka_unit_test(test_find_and_list),
	    cmocka_unit_test(test_nearest),
	    cmocka_unit_test(test_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
