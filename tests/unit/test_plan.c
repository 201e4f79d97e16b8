/*
 * test_plan.c: target resolution (target.c) and plans (plan.c): every
 * target form and its errors, upgrade/downgrade order and version-table
 * changes, stamp, step descriptions and history ranges. Expected values
 * come from Alembic 1.8.1 run on the same graphs (RevisionMap and
 * HeadMaintainer); where Alembic itself crashes we only require an error.
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

#define N(a) (sizeof(a) / sizeof((a)[0]))

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
	r->message = strcmp(f[0], "dddd0000") ? xasprintf("msg %s", f[0]) : xstrdup("");
	r->create_date = xstrdup("");
	r->release = xstrdup("");
	r->path = xasprintf("versions/%04d_%s.sql", order, f[0]);
	r->section[SEC_UPGRADE] = xstrdup("");
	r->order = order;
	free(s);
	return r;
}

static void build(graph *g, const char *const *specs, size_t n)
{
	revision **revs = xcalloc(n, sizeof(*revs));
	for (size_t i = 0; i < n; i++)
		revs[i] = mkrev(specs[i], (int)i);
	memset(g, 0, sizeof(*g));
	retort_error err = {0};
	if (graph_build(g, revs, n, &err))
		fail_msg("graph_build: %s", err.message);
}

/* Two labelled branches from one base, merged, then one more. */
static const char *const labelled[] = {
    "1a2b3c4d:",         "aaaa1111:1a2b3c4d::alpha",
    "aaaa2222:aaaa1111", "bbbb1111:1a2b3c4d::beta",
    "bbbb2222:bbbb1111", "cccc0000:aaaa2222,bbbb2222",
    "dddd0000:cccc0000",
};

/* i j h g e c f d b a, as `alembic history` prints it. */
static const char *const branchy[] = {"a:",  "b:a",   "c:b", "d:b", "e:c",
                                      "f:d", "g:e,f", "h:g", "i:h", "j:h"};

static int setup_labelled(void **state)
{
	graph *g = xmalloc(sizeof(*g));
	build(g, labelled, N(labelled));
	*state = g;
	return 0;
}

static int setup_branchy(void **state)
{
	graph *g = xmalloc(sizeof(*g));
	build(g, branchy, N(branchy));
	*state = g;
	return 0;
}

static int teardown(void **state)
{
	graph_free(*state);
	free(*state);
	return 0;
}

static void csv_rows(strvec *rows, const char *csv)
{
	sv_split_csv(rows, csv);
}

/* ---- targets ------------------------------------------------------------ */

/* Resolves spec for upgrade from the rows in cur; returns the ids or
 * "ERR <message>". */
static char *resolve(const graph *g, const char *cur, const char *spec, int upgrade)
{
	strvec rows = STRVEC_INIT;
	csv_rows(&rows, cur);
	intvec c = INTVEC_INIT, out = INTVEC_INIT;
	for (size_t i = 0; i < rows.n; i++)
		iv_push(&c, graph_find(g, rows.v[i]));
	retort_error err = {0};
	sbuf b = SBUF_INIT;
	int rc = target_resolve(g, &c, spec, upgrade, &out, &err);
	if (rc) {
		assert_int_equal(rc, RETORT_EUSAGE);
		sb_addf(&b, "ERR %s", err.message);
	} else {
		for (size_t i = 0; i < out.n; i++)
			sb_addf(&b, "%s%s", i ? " " : "", g->revs[out.v[i]]->id);
	}
	sv_free(&rows);
	iv_free(&c);
	iv_free(&out);
	return sb_detach(&b);
}

static void check_resolve(const graph *g, const char *cur, const char *spec, int upgrade,
                          const char *want)
{
	char *got = resolve(g, cur, spec, upgrade);
	if (strcmp(got, want) != 0) {
		print_error("target '%s' from '%s': got '%s', want '%s'\n", spec, cur, got, want);
		free(got);
		fail();
	}
	free(got);
}

#define UP(cur, spec, want) check_resolve(g, cur, spec, 1, want)
#define DOWN(cur, spec, want) check_resolve(g, cur, spec, 0, want)

static void test_target_forms(void **state)
{
	const graph *g = *state;
	UP("", "dddd0000", "dddd0000");
	UP("", "aaaa2", "aaaa2222");
	UP("", "alpha", "aaaa1111");
	UP("", "alph", "aaaa1111"); /* prefixes match labels too */
	UP("", "alpha@head", "dddd0000");
	UP("", "beta@bbbb1", "bbbb1111");
	UP("", "head", "dddd0000");
	UP("", "heads", "dddd0000");
	UP("", "base", "");
	UP("", "dddd0000-1", "cccc0000");
	UP("", "1a2b+2",
	   "ERR Ambiguous walk: '1a2b+2' forks at 1a2b3c4d into aaaa1111, bbbb1111; use "
	   "'alpha@1a2b+2' or 'beta@1a2b+2' to follow a branch, or a revision id (see "
	   "'retort history')");
	UP("", "alpha@1a2b3c4d+1", "aaaa1111");
	UP("", "beta@+1", "1a2b3c4d");
	UP("", "+1", "1a2b3c4d");
	UP("aaaa1111", "+1", "aaaa2222");
	UP("aaaa2222,bbbb1111", "beta@+1", "bbbb2222");
}

static void test_target_errors(void **state)
{
	const graph *g = *state;
	UP("", "aaaa",
	   "ERR Multiple revisions start with 'aaaa': 'aaaa1111', 'aaaa2222'; type more of the id");
	/* SPEC §5: a prefix needs 4 characters (Alembic takes shorter ones). */
	UP("", "aaa",
	   "ERR revision prefix 'aaa' is too short: use at least 4 characters or the "
	   "full id");
	UP("", "1a2",
	   "ERR revision prefix '1a2' is too short: use at least 4 characters or the "
	   "full id");
	UP("", "alp",
	   "ERR revision prefix 'alp' is too short: use at least 4 characters or the "
	   "full id");
	UP("", "d+1",
	   "ERR revision prefix 'd' is too short: use at least 4 characters or the "
	   "full id");
	DOWN("aaaa2222", "a@-1",
	     "ERR revision prefix 'a' is too short: use at least 4 characters "
	     "or the full id");
	/* An empty target is not base. */
	UP("", "",
	   "ERR empty target: name a revision (id or prefix of at least 4 characters), "
	   "head, heads or base");
	DOWN("aaaa2222", "",
	     "ERR empty target: name a revision (id or prefix of at least 4 "
	     "characters), head, heads or base");
	/* Alembic's wording first, then what to do about it */
	UP("", "zzzz",
	   "ERR Can't locate revision identified by 'zzzz': no revision id or branch "
	   "label is like it; 'retort history' lists them");
	UP("", "zz",
	   "ERR Can't locate revision identified by 'zz': no revision id or branch label "
	   "is like it; 'retort history' lists them");
	UP("", "aaaa1112",
	   "ERR Can't locate revision identified by 'aaaa1112': did you mean "
	   "'aaaa1111'?");
	UP("", "dddd0001",
	   "ERR Can't locate revision identified by 'dddd0001': did you mean "
	   "'dddd0000'?");
	UP("", "DDDD0000",
	   "ERR Can't locate revision identified by 'DDDD0000': did you mean "
	   "'dddd0000'?");
	UP("", "1a2c", "ERR Can't locate revision identified by '1a2c': did you mean '1a2b3c4d'?");
	UP("", "alhpa@head",
	   "ERR Can't locate revision identified by 'alhpa': did you mean "
	   "'alpha'?");
	UP("", "nolabel@head",
	   "ERR Can't locate revision identified by 'nolabel': no revision id "
	   "or branch label is like it; 'retort history' lists them");
	UP("", "beta@aaaa2222",
	   "ERR Revision aaaa2222 is not a member of branch 'beta': name a "
	   "revision on that branch (e.g. 'beta@head'), or leave out 'beta@'");
	UP("", "head-2",
	   "ERR Ambiguous walk: 'head-2' reaches the merge point cccc0000, which has "
	   "2 parents (aaaa2222, bbbb2222); use a revision id instead (see 'retort "
	   "history')");
	UP("", "cccc0000+2",
	   "ERR Relative revision +2 didn't produce 2 migrations: only 1 "
	   "revision is above cccc0000; use 'heads' for the newest");
	UP("aaaa2222,bbbb1111", "+1",
	   "ERR Ambiguous upgrade from multiple current revisions: the database has 2 heads "
	   "(aaaa2222, bbbb1111); use '<head>+1' for one branch, e.g. 'aaaa2222+1', or a branch "
	   "label: 'alpha@+1' or 'beta@+1'");
	UP("aaaa2222", "-1",
	   "ERR Relative revision -1 didn't produce 1 migrations: a relative "
	   "target counts up from the current revision ('+1')");
	UP("", "12",
	   "ERR Can't locate revision identified by '12': no revision id or branch label "
	   "is like it; 'retort history' lists them");
	DOWN("aaaa2222", "-5",
	     "ERR Relative revision -5 didn't produce 5 migrations: aaaa2222 is "
	     "only 3 revisions above base; use 'base' to go all the way down");
	DOWN("aaaa2222", "aaaa1111-3",
	     "ERR Walked too far: aaaa1111 is only 2 revisions above "
	     "base; use 'base' to go all the way down");
	DOWN("aaaa2222", "aaaa1111+4",
	     "ERR Walked too far: only 3 revisions are above aaaa1111; "
	     "name a revision id instead (see 'retort history')");
	DOWN("", "-1",
	     "ERR Relative revision -1 didn't produce 1 migrations: nothing is applied "
	     "(the database is at base)");
	DOWN("aaaa2222", "+1",
	     "ERR Relative revision +1 didn't produce 1 migrations: a downgrade "
	     "counts down ('-1')");
	DOWN("cccc0000", "-1",
	     "ERR Ambiguous walk: '-1' reaches the merge point cccc0000, which "
	     "has 2 parents (aaaa2222, bbbb2222); use a revision id instead (see "
	     "'retort history')");
	/* Alembic warns and walks down from the first row: retort refuses */
	DOWN("aaaa2222,bbbb2222", "-1",
	     "ERR Relative revision -1 is ambiguous: the database has 2 heads (aaaa2222, "
	     "bbbb2222); use '<head>@-1' for one branch, e.g. 'aaaa2222@-1', or a branch label: "
	     "'alpha@-1' or 'beta@-1'");
}

static void test_target_downgrade_forms(void **state)
{
	const graph *g = *state;
	DOWN("aaaa2222,bbbb2222", "aaaa2222@-1", "aaaa1111");
	DOWN("aaaa2222,bbbb2222", "bbbb2222@-1", "bbbb1111");
	DOWN("aaaa2222,bbbb2222", "alpha@-1", "aaaa1111");
	DOWN("aaaa2222,bbbb2222", "beta@-1", "bbbb1111");
	DOWN("aaaa2222,bbbb2222", "alpha@base", "");
	DOWN("aaaa2222,bbbb2222", "aaaa1111", "aaaa1111");
	DOWN("aaaa2222,bbbb2222", "aaaa1111+1", "aaaa2222");
	DOWN("dddd0000", "base", "");
}

static void test_multiple_heads(void **state)
{
	const graph *g = *state; /* branchy: heads i and j */
	UP("", "head",
	   "ERR Multiple head revisions are present for given argument 'head'; please "
	   "specify a specific target revision, '<branchname>@head' to narrow to a "
	   "specific head, or 'heads' for all heads (the heads: i, j)");
	UP("", "heads", "i j");
	UP("", "h+1",
	   "ERR Ambiguous walk: 'h+1' forks at h into i, j; use a revision id: one of "
	   "i, j");
	UP("", "i-2", "g");
	UP("", "b+1",
	   "ERR Ambiguous walk: 'b+1' forks at b into c, d; use a revision id: one of "
	   "c, d");
	int one;
	retort_error err = {0};
	assert_int_equal(target_resolve_one(g, "j", &one, &err), RETORT_OK);
	assert_int_equal(one, graph_find(g, "j"));
	assert_int_equal(target_resolve_one(g, "base", &one, &err), RETORT_EUSAGE);
	assert_int_equal(target_resolve_one(g, "head", &one, &err), RETORT_EUSAGE);
	/* the reasons an application can switch on */
	assert_int_equal(err.reason, RETORT_R_MULTIPLE_HEADS);
	assert_int_equal(target_resolve_one(g, "zzzz", &one, &err), RETORT_EUSAGE);
	assert_int_equal(err.reason, RETORT_R_TARGET);
	{
		strvec rows = STRVEC_INIT;
		plan p;
		sv_push(&rows, "zzzz");
		assert_int_equal(plan_upgrade(g, &rows, "heads", &p, &err), RETORT_EUSAGE);
		assert_int_equal(err.reason, RETORT_R_UNKNOWN_VERSION);
		sv_clear(&rows);
		assert_int_equal(plan_upgrade(g, &rows, "head", &p, &err), RETORT_EUSAGE);
		assert_int_equal(err.reason, RETORT_R_MULTIPLE_HEADS);
		assert_int_equal(plan_stamp_steps(g, &rows, "head", 0, &p, &err), RETORT_EUSAGE);
		assert_int_equal(err.reason, RETORT_R_MULTIPLE_HEADS);
		assert_int_equal(plan_downgrade(g, &rows, "-1", &p, &err), RETORT_EUSAGE);
		assert_int_equal(err.reason, RETORT_R_TARGET);
		sv_free(&rows);
	}
	/* Full ids shorter than the minimum prefix still resolve exactly. */
	UP("", "g", "g");
	assert_int_equal(target_resolve_one(g, "", &one, &err), RETORT_EUSAGE);
	intvec revs = INTVEC_INIT;
	assert_int_equal(target_get_revisions(g, "", &revs, &err), RETORT_EUSAGE);
	assert_int_equal(revs.n, 0);
	iv_free(&revs);
}

/* ---- plans -------------------------------------------------------------- */

/* One line per step: "{description} -x +y a>b" then "=> rows". */
static char *render(const graph *g, const plan *p)
{
	sbuf b = SBUF_INIT;
	for (size_t i = 0; i < p->n; i++) {
		const plan_step *s = &p->v[i];
		sb_adds(&b, "{");
		plan_step_describe(g, s, &b);
		sb_adds(&b, "}");
		for (size_t k = 0; k < s->del.n; k++)
			sb_addf(&b, " -%s", s->del.v[k]);
		for (size_t k = 0; k < s->ins.n; k++)
			sb_addf(&b, " +%s", s->ins.v[k]);
		if (s->upd_from)
			sb_addf(&b, " %s>%s", s->upd_from, s->upd_to);
		sb_adds(&b, "\n");
	}
	sb_adds(&b, "=>");
	strvec rows = STRVEC_INIT;
	sv_copy(&rows, &p->final_heads);
	sv_sort(&rows);
	for (size_t i = 0; i < rows.n; i++)
		sb_addf(&b, " %s", rows.v[i]);
	sv_free(&rows);
	return sb_detach(&b);
}

static void check_plan(const graph *g, int upgrade, const char *cur, const char *target,
                       const char *want)
{
	strvec rows = STRVEC_INIT;
	csv_rows(&rows, cur);
	plan p;
	retort_error err = {0};
	int rc = upgrade ? plan_upgrade(g, &rows, target, &p, &err)
	                 : plan_downgrade(g, &rows, target, &p, &err);
	char *got;
	if (rc) {
		assert_int_equal(rc, RETORT_EUSAGE);
		got = xasprintf("ERR %s", err.message);
	} else {
		got = render(g, &p);
		plan_free(&p);
	}
	sv_free(&rows);
	if (strcmp(got, want) != 0) {
		print_error("%s %s from '%s':\n got:\n%s\n want:\n%s\n",
		            upgrade ? "upgrade" : "downgrade", target, cur, got, want);
		free(got);
		fail();
	}
	free(got);
}

static void test_upgrade_linear_and_merge(void **state)
{
	const graph *g = *state;
	check_plan(g, 1, "", "head",
	           "{upgrade  -> 1a2b3c4d, msg 1a2b3c4d} +1a2b3c4d\n"
	           "{upgrade 1a2b3c4d -> bbbb1111, msg bbbb1111} 1a2b3c4d>bbbb1111\n"
	           "{upgrade bbbb1111 -> bbbb2222, msg bbbb2222} bbbb1111>bbbb2222\n"
	           "{upgrade 1a2b3c4d -> aaaa1111, msg aaaa1111} +aaaa1111\n"
	           "{upgrade aaaa1111 -> aaaa2222, msg aaaa2222} aaaa1111>aaaa2222\n"
	           "{upgrade aaaa2222, bbbb2222 -> cccc0000, msg cccc0000} -aaaa2222 "
	           "bbbb2222>cccc0000\n"
	           "{upgrade cccc0000 -> dddd0000} cccc0000>dddd0000\n"
	           "=> dddd0000");
	/* a new branch row: none of the parents is a row */
	check_plan(g, 1, "aaaa2222", "bbbb1111",
	           "{upgrade 1a2b3c4d -> bbbb1111, msg bbbb1111} +bbbb1111\n"
	           "=> aaaa2222 bbbb1111");
	check_plan(g, 1, "aaaa2222,bbbb1111", "beta@head",
	           "{upgrade bbbb1111 -> bbbb2222, msg bbbb2222} bbbb1111>bbbb2222\n"
	           "{upgrade aaaa2222, bbbb2222 -> cccc0000, msg cccc0000} -aaaa2222 "
	           "bbbb2222>cccc0000\n"
	           "{upgrade cccc0000 -> dddd0000} cccc0000>dddd0000\n"
	           "=> dddd0000");
	/* already there, or behind: nothing to do */
	check_plan(g, 1, "dddd0000", "aaaa1111", "=> dddd0000");
	check_plan(g, 1, "dddd0000", "head", "=> dddd0000");
	check_plan(g, 1, "zzzz", "heads",
	           "ERR Can't locate revision identified by 'zzzz': the version table names it, "
	           "but no revision file has this id (a newer release's revision, or the wrong "
	           "script_location?); 'retort stamp --purge REV' replaces the version rows");
	/* two children of the base */
	check_plan(
	    g, 1, "", "+9",
	    "ERR Ambiguous walk: '+9' forks at 1a2b3c4d into aaaa1111, bbbb1111; use 'retort "
	    "upgrade alpha@+9' or 'retort upgrade beta@+9' to follow a branch, or a revision "
	    "id (see 'retort history')");
	check_plan(g, 1, "", "+1", "{upgrade  -> 1a2b3c4d, msg 1a2b3c4d} +1a2b3c4d\n=> 1a2b3c4d");
	check_plan(
	    g, 1, "1a2b3c4d", "+1",
	    "ERR Ambiguous walk: '+1' forks at 1a2b3c4d into aaaa1111, bbbb1111; use 'retort "
	    "upgrade alpha@+1' or 'retort upgrade beta@+1' to follow a branch, or a revision "
	    "id: one of aaaa1111, bbbb1111");
	check_plan(g, 1, "1a2b3c4d", "beta@+1",
	           "{upgrade 1a2b3c4d -> bbbb1111, msg bbbb1111} 1a2b3c4d>bbbb1111\n=> bbbb1111");
	check_plan(g, 1, "bbbb2222", "beta@+9",
	           "ERR Relative revision +9 didn't produce 9 migrations: only 2 revisions are "
	           "above bbbb2222 on branch 'beta'; 'retort upgrade beta@head' applies all");
	check_plan(g, 1, "aaaa2222", "+4",
	           "ERR Relative revision +4 didn't produce 4 migrations: only 2 revisions are "
	           "above aaaa2222; 'retort upgrade heads' applies all");
	check_plan(g, 1, "aaaa2222", "-1",
	           "ERR Relative revision -1 didn't produce 1 migrations: 'retort upgrade' counts "
	           "up ('+1'); 'retort downgrade -1' goes down");
	check_plan(g, 1, "aaaa2222,bbbb1111", "+1",
	           "ERR Ambiguous upgrade from multiple current revisions: the database has 2 "
	           "heads (aaaa2222, bbbb1111); use 'retort upgrade <head>+1' for one branch, e.g. "
	           "'retort upgrade aaaa2222+1', or a branch label: 'retort upgrade alpha@+1' or "
	           "'retort upgrade beta@+1'");
	check_plan(g, 1, "aaaa2222,bbbb1111", "bbbb1111+1",
	           "{upgrade bbbb1111 -> bbbb2222, msg bbbb2222} bbbb1111>bbbb2222\n"
	           "=> aaaa2222 bbbb2222");
}

static void test_upgrade_heads(void **state)
{
	const graph *g = *state; /* branchy */
	check_plan(g, 1, "", "heads",
	           "{upgrade  -> a, msg a} +a\n"
	           "{upgrade a -> b, msg b} a>b\n"
	           "{upgrade b -> d, msg d} b>d\n"
	           "{upgrade d -> f, msg f} d>f\n"
	           "{upgrade b -> c, msg c} +c\n"
	           "{upgrade c -> e, msg e} c>e\n"
	           "{upgrade e, f -> g, msg g} -e f>g\n"
	           "{upgrade g -> h, msg h} g>h\n"
	           "{upgrade h -> j, msg j} h>j\n"
	           "{upgrade h -> i, msg i} +i\n"
	           "=> i j");
	check_plan(g, 1, "", "head",
	           "ERR Multiple head revisions are present for given argument 'head'; please "
	           "specify a specific target revision, '<branchname>@head' to narrow to a "
	           "specific head, or 'heads' for all heads (the heads: i, j)");
	check_plan(g, 1, "e,d", "heads",
	           "{upgrade d -> f, msg f} d>f\n"
	           "{upgrade e, f -> g, msg g} -e f>g\n"
	           "{upgrade g -> h, msg h} g>h\n"
	           "{upgrade h -> j, msg j} h>j\n"
	           "{upgrade h -> i, msg i} +i\n"
	           "=> i j");
}

static void test_downgrade(void **state)
{
	const graph *g = *state; /* branchy */
	/* across the merge: the unmerge inserts a row for the other parent */
	check_plan(g, 0, "i,j", "d",
	           "{downgrade i -> h, msg i} -i\n"
	           "{downgrade j -> h, msg j} j>h\n"
	           "{downgrade h -> g, msg h} h>g\n"
	           "{downgrade g -> e, f, msg g} +e g>f\n"
	           "{downgrade f -> d, msg f} f>d\n"
	           "=> d e");
	check_plan(g, 0, "i,j", "base",
	           "{downgrade i -> h, msg i} -i\n"
	           "{downgrade j -> h, msg j} j>h\n"
	           "{downgrade h -> g, msg h} h>g\n"
	           "{downgrade g -> e, f, msg g} +e g>f\n"
	           "{downgrade e -> c, msg e} e>c\n"
	           "{downgrade c -> b, msg c} -c\n"
	           "{downgrade f -> d, msg f} f>d\n"
	           "{downgrade d -> b, msg d} d>b\n"
	           "{downgrade b -> a, msg b} b>a\n"
	           "{downgrade a -> , msg a} -a\n"
	           "=>");
	/* -1 with two heads: Alembic warns and walks down from the first row
	 * only; retort refuses and says how to pick one */
	check_plan(g, 0, "i,j", "-1",
	           "ERR Relative revision -1 is ambiguous: the database has 2 heads (i, j); use "
	           "'retort downgrade <head>@-1' for one branch, e.g. 'retort downgrade i@-1'");
	check_plan(g, 0, "i,j", "i@-1", "{downgrade i -> h, msg i} -i\n=> j");
	check_plan(g, 0, "i,j", "j@-1", "{downgrade j -> h, msg j} -j\n=> i");
	check_plan(g, 0, "i", "-1", "{downgrade i -> h, msg i} i>h\n=> h");
	check_plan(
	    g, 0, "h", "-2",
	    "ERR Ambiguous walk: '-2' reaches the merge point g, which has 2 parents (e, f); "
	    "name the revision to go down to instead, e.g. 'retort downgrade e' (see 'retort "
	    "history')");
	check_plan(g, 0, "c", "-5",
	           "ERR Relative revision -5 didn't produce 5 migrations: c is only 3 revisions "
	           "above base; 'retort downgrade base' reverts all");
	check_plan(
	    g, 0, "c", "+1",
	    "ERR Relative revision +1 didn't produce 1 migrations: 'retort downgrade' counts "
	    "down ('-1'); 'retort upgrade +1' goes up");
	/* a branch: only that branch moves */
	check_plan(g, 0, "e,d", "b",
	           "{downgrade d -> b, msg d} -d\n"
	           "{downgrade e -> c, msg e} e>c\n"
	           "{downgrade c -> b, msg c} c>b\n"
	           "=> b");
	check_plan(g, 0, "e,f", "c", "{downgrade e -> c, msg e} e>c\n=> c f");
	check_plan(g, 0, "c,f", "c", "=> c f");
	check_plan(g, 0, "e", "f",
	           "ERR Destination f is not a valid downgrade target from current head(s): f is "
	           "not below the current head(s) e; downgrade to a revision below them (see "
	           "'retort history --indicate-current')");
	check_plan(g, 0, "c", "e",
	           "ERR Destination e is not a valid downgrade target from current head(s): e is "
	           "above the current head(s) c; use 'retort upgrade' to go there");
	check_plan(g, 0, "", "base", "=>");
}

static void test_downgrade_labels(void **state)
{
	const graph *g = *state; /* labelled */
	check_plan(g, 0, "aaaa2222,bbbb2222", "beta@-1",
	           "{downgrade bbbb2222 -> bbbb1111, msg bbbb2222} bbbb2222>bbbb1111\n"
	           "=> aaaa2222 bbbb1111");
	check_plan(g, 0, "aaaa2222,bbbb2222", "aaaa2222@-1",
	           "{downgrade aaaa2222 -> aaaa1111, msg aaaa2222} aaaa2222>aaaa1111\n"
	           "=> aaaa1111 bbbb2222");
	check_plan(g, 0, "aaaa2222,bbbb2222", "alpha@-1",
	           "{downgrade aaaa2222 -> aaaa1111, msg aaaa2222} aaaa2222>aaaa1111\n"
	           "=> aaaa1111 bbbb2222");
	check_plan(g, 0, "aaaa2222,bbbb2222", "-1",
	           "ERR Relative revision -1 is ambiguous: the database has 2 heads (aaaa2222, "
	           "bbbb2222); use 'retort downgrade <head>@-1' for one branch, e.g. 'retort "
	           "downgrade aaaa2222@-1', or a branch label: 'retort downgrade alpha@-1' or "
	           "'retort downgrade beta@-1'");
	check_plan(g, 0, "aaaa2222", "bbbb1111",
	           "ERR Destination bbbb1111 is not a valid downgrade target from current "
	           "head(s): bbbb1111 is not below the current head(s) aaaa2222; downgrade to a "
	           "revision below them (see 'retort history --indicate-current')");
	check_plan(g, 0, "dddd0000", "cccc0000",
	           "{downgrade dddd0000 -> cccc0000} dddd0000>cccc0000\n=> cccc0000");
	/* only what lies above the target goes: the other parent stays */
	check_plan(g, 0, "dddd0000", "aaaa2222",
	           "{downgrade dddd0000 -> cccc0000} dddd0000>cccc0000\n"
	           "{downgrade cccc0000 -> aaaa2222, bbbb2222, msg cccc0000} +aaaa2222 "
	           "cccc0000>bbbb2222\n"
	           "=> aaaa2222 bbbb2222");
}

/* Two bases, a dependency across them (Alembic's output on this graph). */
static void test_depends_on_plans(void **state)
{
	(void)state;
	static const char *const s[] = {"x2:x1", "a1:",     "x1:::xlab", "a2:a1",
	                                "b1:a1", "m:a2,b1", "d1:m:x2",   "b2:b1"};
	graph g;
	build(&g, s, N(s));
	check_plan(&g, 1, "b2", "d1",
	           "{upgrade  -> x1, msg x1} +x1\n"
	           "{upgrade x1 -> x2, msg x2} x1>x2\n"
	           "{upgrade a1 -> a2, msg a2} +a2\n"
	           "{upgrade a2, b1 -> m, msg m} a2>m\n"
	           "{upgrade m -> d1, msg d1} -m x2>d1\n"
	           "=> b2 d1");
	check_plan(&g, 0, "d1,b2", "xlab@base",
	           "{downgrade d1 -> m, msg d1} +m d1>x2\n"
	           "{downgrade x2 -> x1, msg x2} x2>x1\n"
	           "{downgrade x1 -> , msg x1} -x1\n"
	           "=> b2 m");
	check_plan(&g, 0, "m,x2", "b1", "{downgrade m -> a2, b1, msg m} +a2 m>b1\n=> a2 b1 x2");
	graph_free(&g);
}

/* ---- stamp -------------------------------------------------------------- */

static void check_stamp(const graph *g, const char *cur, const char *target, int purge,
                        const char *want)
{
	strvec rows = STRVEC_INIT, out = STRVEC_INIT;
	csv_rows(&rows, cur);
	retort_error err = {0};
	sbuf b = SBUF_INIT;
	if (plan_stamp(g, &rows, target, purge, &out, &err)) {
		sb_addf(&b, "ERR %s", err.message);
	} else {
		sv_sort(&out);
		sv_join(&b, &out, " ");
	}
	assert_string_equal(sb_str(&b), want);
	sb_free(&b);
	sv_free(&rows);
	sv_free(&out);
}

static void test_stamp(void **state)
{
	const graph *g = *state; /* branchy */
	check_stamp(g, "i,j", "b", 0, "b");
	check_stamp(g, "i,j", "base", 0, "");
	check_stamp(g, "", "heads", 0, "i j");
	check_stamp(g, "c", "heads", 0, "i j");
	check_stamp(g, "c,f", "g", 0, "g");
	check_stamp(g, "c,d", "j", 1, "j");
	check_stamp(g, "i", "heads", 1, "i j");
	check_stamp(g, "i", "base", 1, "");
	check_stamp(g, "i,j", "i", 0, "i j");
	check_stamp(g, "zzz", "i", 0,
	            "ERR Can't locate revision identified by 'zzz': the version table names it, "
	            "but no revision file has this id (a newer release's revision, or the wrong "
	            "script_location?); 'retort stamp --purge REV' replaces the version rows");
	check_stamp(g, "zzz", "i", 1, "i");
	check_stamp(g, "", "head", 0,
	            "ERR Multiple heads are present; please specify a single target revision, or "
	            "'heads' for all heads (the heads: i, j)");
}

static void test_stamp_labels(void **state)
{
	const graph *g = *state; /* labelled */
	check_stamp(g, "aaaa2222,bbbb2222", "cccc0000", 0, "cccc0000");
	check_stamp(g, "aaaa2222,bbbb1111", "1a2b3c4d", 0, "1a2b3c4d");
	check_stamp(g, "aaaa2222", "beta@head", 0, "dddd0000");
	check_stamp(g, "aaaa2222,bbbb2222", "base", 0, "");
	check_stamp(g, "aaaa2222", "bbbb1111", 0, "aaaa2222 bbbb1111");
}

/* plan_stamp_steps: "{log line} -del +ins from>to" per step, then the rows
 * in table order. Expected values are real Alembic 1.8.1 (`alembic stamp`
 * on a SQLite alembic_version seeded with the rows in order; Running lines
 * and the rows by rowid afterwards). A want ending in '*' is a prefix. */
static void check_steps(const graph *g, const char *cur, const char *target, int purge,
                        const char *want)
{
	strvec rows = STRVEC_INIT;
	csv_rows(&rows, cur);
	plan p;
	retort_error err = {0};
	sbuf b = SBUF_INIT;
	int rc = plan_stamp_steps(g, &rows, target, purge, &p, &err);
	if (rc) {
		assert_int_equal(rc, RETORT_EUSAGE);
		assert_int_equal(p.n, 0);
		sb_addf(&b, "ERR %s", err.message);
	} else {
		for (size_t i = 0; i < p.n; i++) {
			const plan_step *s = &p.v[i];
			assert_true(s->stamp);
			/* one table change per step (dels before a merge's update) */
			assert_true(s->ins.n + (s->upd_from != NULL) + (s->del.n && !s->upd_from) ==
			            1);
			sb_adds(&b, "{");
			plan_step_describe(g, s, &b);
			sb_adds(&b, "}");
			for (size_t k = 0; k < s->del.n; k++)
				sb_addf(&b, " -%s", s->del.v[k]);
			for (size_t k = 0; k < s->ins.n; k++)
				sb_addf(&b, " +%s", s->ins.v[k]);
			if (s->upd_from)
				sb_addf(&b, " %s>%s", s->upd_from, s->upd_to);
			sb_adds(&b, "\n");
		}
		sb_adds(&b, "=>");
		for (size_t i = 0; i < p.final_heads.n; i++)
			sb_addf(&b, " %s", p.final_heads.v[i]);
		plan_free(&p);
	}
	size_t wl = strlen(want);
	int ok = wl && want[wl - 1] == '*' ? strncmp(sb_str(&b), want, wl - 1) == 0
	                                   : strcmp(sb_str(&b), want) == 0;
	if (!ok) {
		print_error("stamp %s%s from '%s':\n got:\n%s\n want:\n%s\n", target,
		            purge ? " --purge" : "", cur, sb_str(&b), want);
		sb_free(&b);
		fail();
	}
	sb_free(&b);
	sv_free(&rows);
}

static void test_stamp_steps(void **state)
{
	const graph *g = *state; /* branchy */
	check_steps(g, "i,j", "b", 0, "{stamp_revision i, j -> b} -i j>b\n=> b");
	check_steps(g, "j,i", "b", 0, "{stamp_revision j, i -> b} -j i>b\n=> b");
	check_steps(g, "i,j", "base", 0,
	            "{stamp_revision i -> } -i\n{stamp_revision j -> } -j\n=>");
	check_steps(g, "j,i", "base", 0,
	            "{stamp_revision j -> } -j\n{stamp_revision i -> } -i\n=>");
	check_steps(g, "", "heads", 0,
	            "{stamp_revision  -> i} +i\n{stamp_revision  -> j} +j\n=> i j");
	check_steps(g, "c", "heads", 0,
	            "{stamp_revision c -> i} c>i\n{stamp_revision c -> j} +j\n=> i j");
	check_steps(g, "d,c", "heads", 0,
	            "{stamp_revision d, c -> i} -d c>i\n{stamp_revision d, c -> j} +j\n=> i j");
	check_steps(g, "e,d", "heads", 0,
	            "{stamp_revision e, d -> i} -e d>i\n{stamp_revision e, d -> j} +j\n=> i j");
	check_steps(g, "c,f", "g", 0, "{stamp_revision c, f -> g} -c f>g\n=> g");
	check_steps(g, "d,e", "g", 0, "{stamp_revision d, e -> g} -d e>g\n=> g");
	check_steps(g, "i", "a", 0, "{stamp_revision i -> a} i>a\n=> a");
	check_steps(g, "c", "base", 0, "{stamp_revision c -> } -c\n=>");
	check_steps(g, "j", "c", 0, "{stamp_revision j -> c} j>c\n=> c");
	/* only the row in the target's lineage moves; c keeps its place */
	check_steps(g, "c,j", "d", 0, "{stamp_revision j -> d} j>d\n=> c d");
	/* nothing to change: no step, no log line */
	check_steps(g, "i,j", "i", 0, "=> i j");
	check_steps(g, "j", "j", 0, "=> j");
	check_steps(g, "", "base", 0, "=>");
	/* --purge: the rows are ignored (and deleted by the caller) */
	check_steps(g, "c,d", "j", 1, "{stamp_revision  -> j} +j\n=> j");
	check_steps(g, "i", "heads", 1,
	            "{stamp_revision  -> i} +i\n{stamp_revision  -> j} +j\n=> i j");
	check_steps(g, "i", "base", 1, "=>");
	check_steps(g, "zzz", "i", 1, "{stamp_revision  -> i} +i\n=> i");
	check_steps(g, "zzz", "i", 0, "ERR Can't locate revision identified by 'zzz'*");
	check_steps(g, "", "head", 0,
	            "ERR Multiple heads are present; please specify a single target revision*");
	/* Alembic logs "-> h" twice, then fails an assertion: stamped once */
	check_steps(g, "", "-1", 0, "{stamp_revision  -> h} +h\n=> h");
	check_steps(g, "", "-3", 0, "ERR Ambiguous walk*");
	/* with rows, Alembic resolves a relative target as an id */
	check_steps(g, "c", "-1", 0,
	            "ERR Can't locate revision identified by '-1': with version rows, stamp takes "
	            "a revision, not a relative step; name the revision (see 'retort history "
	            "--indicate-current')");
}

static void test_stamp_steps_labels(void **state)
{
	const graph *g = *state; /* labelled */
	check_steps(g, "aaaa2222,bbbb2222", "cccc0000", 0,
	            "{stamp_revision aaaa2222, bbbb2222 -> cccc0000} -aaaa2222 bbbb2222>cccc0000\n"
	            "=> cccc0000");
	check_steps(g, "aaaa2222,bbbb1111", "1a2b3c4d", 0,
	            "{stamp_revision aaaa2222, bbbb1111 -> 1a2b3c4d} -aaaa2222 "
	            "bbbb1111>1a2b3c4d\n=> 1a2b3c4d");
	check_steps(g, "aaaa2222", "beta@head", 0,
	            "{stamp_revision aaaa2222 -> dddd0000} aaaa2222>dddd0000\n=> dddd0000");
	check_steps(g, "aaaa2222,bbbb2222", "base", 0,
	            "{stamp_revision aaaa2222 -> } -aaaa2222\n"
	            "{stamp_revision bbbb2222 -> } -bbbb2222\n=>");
	check_steps(g, "aaaa2222", "bbbb1111", 0,
	            "{stamp_revision  -> bbbb1111} +bbbb1111\n=> aaaa2222 bbbb1111");
	/* an update keeps the row's place */
	check_steps(g, "bbbb1111,aaaa1111", "bbbb2222", 0,
	            "{stamp_revision bbbb1111 -> bbbb2222} bbbb1111>bbbb2222\n"
	            "=> bbbb2222 aaaa1111");
	check_steps(g, "aaaa1111,bbbb2222", "aaaa2222", 0,
	            "{stamp_revision aaaa1111 -> aaaa2222} aaaa1111>aaaa2222\n"
	            "=> aaaa2222 bbbb2222");
	check_steps(g, "aaaa1111,bbbb1111", "beta@base", 0,
	            "{stamp_revision bbbb1111 -> } -bbbb1111\n=> aaaa1111");
	check_steps(g, "bbbb1111,aaaa1111", "alpha@base", 0,
	            "{stamp_revision aaaa1111 -> } -aaaa1111\n=> bbbb1111");
	check_steps(g, "dddd0000", "alpha@head", 0, "=> dddd0000");
	check_steps(g, "dddd0000", "aaaa1111", 0,
	            "{stamp_revision dddd0000 -> aaaa1111} dddd0000>aaaa1111\n=> aaaa1111");
	check_steps(g, "bbbb1111,aaaa2222", "dddd0000", 0,
	            "{stamp_revision bbbb1111, aaaa2222 -> dddd0000} -bbbb1111 "
	            "aaaa2222>dddd0000\n=> dddd0000");
	check_steps(g, "bbbb2222,aaaa1111", "alpha@head", 0,
	            "{stamp_revision bbbb2222, aaaa1111 -> dddd0000} -bbbb2222 "
	            "aaaa1111>dddd0000\n=> dddd0000");
	check_steps(g, "aaaa2222,bbbb2222", "heads", 0,
	            "{stamp_revision aaaa2222, bbbb2222 -> dddd0000} -aaaa2222 "
	            "bbbb2222>dddd0000\n=> dddd0000");
	check_steps(g, "aaaa1111", "alpha@aaaa2222", 0,
	            "{stamp_revision aaaa1111 -> aaaa2222} aaaa1111>aaaa2222\n=> aaaa2222");
	check_steps(g, "cccc0000", "aaaa2222", 0,
	            "{stamp_revision cccc0000 -> aaaa2222} cccc0000>aaaa2222\n=> aaaa2222");
	check_steps(g, "", "1a2b", 0, "{stamp_revision  -> 1a2b3c4d} +1a2b3c4d\n=> 1a2b3c4d");
	check_steps(g, "", "-1", 0, "{stamp_revision  -> cccc0000} +cccc0000\n=> cccc0000");
	check_steps(g, "", "alpha@-1", 0, "{stamp_revision  -> cccc0000} +cccc0000\n=> cccc0000");
	check_steps(g, "", "alpha@base", 0, "=>");
	check_steps(g, "dddd0000", "1a2b3c4d", 1,
	            "{stamp_revision  -> 1a2b3c4d} +1a2b3c4d\n=> 1a2b3c4d");
	check_steps(g, "aaaa2222,bbbb2222", "cccc0000", 1,
	            "{stamp_revision  -> cccc0000} +cccc0000\n=> cccc0000");
	check_steps(g, "aaaa2222,bbbb2222", "alpha@-1", 0,
	            "ERR Can't locate revision identified by '-1'*");
	check_steps(g, "", "dddd0000-1", 0,
	            "ERR Can't locate revision identified by 'dddd0000-1'*");
	check_steps(g, "", "+1", 0, "ERR Can't locate revision identified by '+1'*");
	/* rows on both sides of the target: Alembic fails an assertion */
	check_steps(g, "aaaa2222,dddd0000", "cccc0000", 0, "ERR cannot stamp 'cccc0000'*");
}

static void test_stamp_steps_depends_on(void **state)
{
	(void)state;
	static const char *const s[] = {"x2:x1", "a1:",     "x1:::xlab", "a2:a1",
	                                "b1:a1", "m:a2,b1", "d1:m:x2",   "b2:b1"};
	graph g;
	build(&g, s, N(s));
	check_steps(&g, "b2", "d1", 0, "{stamp_revision  -> d1} +d1\n=> b2 d1");
	check_steps(&g, "d1,b2", "x1", 0, "{stamp_revision d1 -> x1} d1>x1\n=> x1 b2");
	check_steps(&g, "m,x2", "d1", 0, "{stamp_revision m, x2 -> d1} -m x2>d1\n=> d1");
	check_steps(&g, "x2,m", "d1", 0, "{stamp_revision x2, m -> d1} -x2 m>d1\n=> d1");
	check_steps(&g, "b2", "heads", 0, "{stamp_revision  -> d1} +d1\n=> b2 d1");
	check_steps(&g, "", "xlab@head", 0, "{stamp_revision  -> x2} +x2\n=> x2");
	check_steps(&g, "d1", "xlab@base", 0, "{stamp_revision d1 -> } -d1\n=>");
	check_steps(&g, "d1,b2", "base", 0,
	            "{stamp_revision d1 -> } -d1\n{stamp_revision b2 -> } -b2\n=>");
	check_steps(&g, "x1", "d1", 0, "{stamp_revision x1 -> d1} x1>d1\n=> d1");
	check_steps(&g, "", "heads", 0,
	            "{stamp_revision  -> d1} +d1\n{stamp_revision  -> b2} +b2\n=> d1 b2");
	check_steps(&g, "x2", "heads", 0,
	            "{stamp_revision x2 -> d1} x2>d1\n{stamp_revision  -> b2} +b2\n=> d1 b2");
	check_steps(&g, "b2,x2", "m", 0, "{stamp_revision  -> m} +m\n=> b2 x2 m");
	check_steps(&g, "d1", "x2", 0, "{stamp_revision d1 -> x2} d1>x2\n=> x2");
	check_steps(&g, "d1", "m", 0, "{stamp_revision d1 -> m} d1>m\n=> m");
	check_steps(&g, "b2,d1", "a1", 0, "{stamp_revision b2, d1 -> a1} -b2 d1>a1\n=> a1");
	check_steps(&g, "m", "xlab@head", 0, "{stamp_revision  -> x2} +x2\n=> m x2");
	graph_free(&g);

	static const char *const chain[] = {"a:", "b:a", "c:b"};
	build(&g, chain, N(chain));
	check_steps(&g, "", "-1", 0, "{stamp_revision  -> b} +b\n=> b");
	check_steps(&g, "", "-2", 0, "{stamp_revision  -> a} +a\n=> a");
	check_steps(&g, "", "-3", 0, "=>"); /* Alembic: an assertion; base */
	check_steps(&g, "", "-4", 0, "=>");
	check_steps(&g, "c", "c", 0, "=> c");
	check_steps(&g, "c", "base", 1, "=>");
	check_steps(&g, "c", "c", 1, "{stamp_revision  -> c} +c\n=> c");
	graph_free(&g);
}

/* ---- history ranges ----------------------------------------------------- */

static void check_range(const graph *g, const char *cur, const char *range, const char *want)
{
	strvec rows = STRVEC_INIT;
	csv_rows(&rows, cur);
	intvec out = INTVEC_INIT;
	retort_error err = {0};
	sbuf b = SBUF_INIT;
	if (history_range(g, &rows, range, &out, &err)) {
		sb_addf(&b, "ERR %s", err.message);
	} else {
		for (size_t i = 0; i < out.n; i++)
			sb_addf(&b, "%s%s", i ? " " : "", g->revs[out.v[i]]->id);
	}
	if (strcmp(sb_str(&b), want) != 0) {
		print_error("history -r %s (current %s): got '%s', want '%s'\n", range, cur,
		            sb_str(&b), want);
		sb_free(&b);
		fail();
	}
	sb_free(&b);
	sv_free(&rows);
	iv_free(&out);
}

static void test_history_ranges(void **state)
{
	const graph *g = *state; /* branchy */
	check_range(g, "", ":", "i j h g e c f d b a");
	check_range(g, "", "base:heads", "i j h g e c f d b a");
	check_range(g, "", "c:", "i j h g e c");
	check_range(g, "", ":f", "f d b a");
	check_range(g, "", "b:h", "h g e c f d b");
	check_range(g, "", "i:i", "i");
	/* h has two parents' lines */
	check_range(g, "", "-3:",
	            "ERR Ambiguous walk: '-3' reaches the merge point g, which has 2 parents (e, "
	            "f); use a revision id instead (see 'retort history')");
	check_range(g, "", "d:e",
	            "ERR Requested range d:e does not refer to ancestor/descendant revisions "
	            "along the same branch: the lower end must be below the upper one (see "
	            "'retort history')");
	check_range(g, "e", "current:current",
	            "ERR Can't locate revision identified by 'current': 'current' can be one end "
	            "of a range, not both; use 'current:' or ':current'");
	check_range(g, "e,d", "current:", "i j h g e f d");
	check_range(g, "e,d", ":current", "d e c b a");
	check_range(g, "", "current:", "i j h g e c f d b a");
	check_range(g, "", "abc", "ERR History range requires [start]:[end], [start]:, or :[end]");
	check_range(g, "", "a:b:c",
	            "ERR History range requires [start]:[end], [start]:, or :[end]");
}

static void test_history_relative(void **state)
{
	const graph *g = *state; /* labelled: single head dddd0000 */
	/* cccc0000 is a merge */
	check_range(
	    g, "", "-2:",
	    "ERR Ambiguous walk: '-2' reaches the merge point cccc0000, which has 2 parents "
	    "(aaaa2222, bbbb2222); use a revision id instead (see 'retort history')");
	check_range(g, "", "-1:", "dddd0000 cccc0000");
	check_range(g, "", "-9:bbbb1111",
	            "ERR Ambiguous walk: '-9' reaches the merge point "
	            "cccc0000, which has 2 parents (aaaa2222, bbbb2222); use "
	            "a revision id instead (see 'retort history')");
	check_range(g, "", "aaaa1111:cccc0000", "cccc0000 aaaa2222 aaaa1111");
	check_range(g, "", ":bbbb2222", "bbbb2222 bbbb1111 1a2b3c4d");
	check_range(g, "aaaa1111", "current:", "dddd0000 cccc0000 aaaa2222 aaaa1111");
	check_range(g, "aaaa1111", ":current", "aaaa1111 1a2b3c4d");
	check_range(
	    g, "", "alpha@base:", "dddd0000 cccc0000 aaaa2222 aaaa1111 bbbb2222 bbbb1111 1a2b3c4d");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_target_forms, setup_labelled, teardown),
	    cmocka_unit_test_setup_teardown(test_target_errors, setup_labelled, teardown),
	    cmocka_unit_test_setup_teardown(test_target_downgrade_forms, setup_labelled, teardown),
	    cmocka_unit_test_setup_teardown(test_multiple_heads, setup_branchy, teardown),
	    cmocka_unit_test_setup_teardown(test_upgrade_linear_and_merge, setup_labelled,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_upgrade_heads, setup_branchy, teardown),
	    cmocka_unit_test_setup_teardown(test_downgrade, setup_branchy, teardown),
	    cmocka_unit_test_setup_teardown(test_downgrade_labels, setup_labelled, teardown),
	    cmocka_unit_test(test_depends_on_plans),
	    cmocka_unit_test_setup_teardown(test_stamp, setup_branchy, teardown),
	    cmocka_unit_test_setup_teardown(test_stamp_labels, setup_labelled, teardown),
	    cmocka_unit_test_setup_teardown(test_stamp_steps, setup_branchy, teardown),
	    cmocka_unit_test_setup_teardown(test_stamp_steps_labels, setup_labelled, teardown),
	    cmocka_unit_test(test_stamp_steps_depends_on),
	    cmocka_unit_test_setup_teardown(test_history_ranges, setup_branchy, teardown),
	    cmocka_unit_test_setup_teardown(test_history_relative, setup_labelled, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
