/*
 * fuzz_target.c: the input (up to a NUL) as the TARGET of upgrade,
 * downgrade and stamp and as the RANGE of `history -r`, against a fixed
 * in-memory graph and a few fixed sets of version rows: target_resolve_one,
 * target_resolve (both directions), history_range, plan_upgrade,
 * plan_downgrade, plan_stamp and plan_stamp_steps (with and without
 * purge). Checks that whatever comes back names revisions of the graph,
 * and that stamp steps replay to the rows they promise.
 *
 * The graph (load order; "label" in brackets, depends_on after '~'):
 *
 *   1a2b3c4d5e6f [core]
 *        |
 *   2b3c4d5e6f70 --------------.
 *        |                      |
 *   3c4d5e6f7081 [feat]    4d5e6f708192
 *        |                      |
 *   3c4d00000002                |
 *        `--- 5e6f708192a3 -----'       (merge)
 *                  |
 *             6f708192a3b4
 *
 *   a0b1c2d3e4f5 [side, extra]
 *        |
 *   b1c2d3e4f5a6 ~4d5e6f708192
 *        |
 *   c2d3e4f5a6b7 ~feat
 */
#include "fuzz_common.h"

static const char *const specs[][4] = {
    /* id, down_revision, depends_on, branch_labels */
    {"1a2b3c4d5e6f", "", "", "core"},
    {"2b3c4d5e6f70", "1a2b3c4d5e6f", "", ""},
    {"3c4d5e6f7081", "2b3c4d5e6f70", "", "feat"},
    {"3c4d00000002", "3c4d5e6f7081", "", ""},
    {"4d5e6f708192", "2b3c4d5e6f70", "", ""},
    {"5e6f708192a3", "3c4d00000002, 4d5e6f708192", "", ""},
    {"6f708192a3b4", "5e6f708192a3", "", ""},
    {"a0b1c2d3e4f5", "", "", "side, extra"},
    {"b1c2d3e4f5a6", "a0b1c2d3e4f5", "4d5e6f708192", ""},
    {"c2d3e4f5a6b7", "b1c2d3e4f5a6", "feat", ""},
};
#define NREVS (sizeof(specs) / sizeof(specs[0]))

/* Version rows as a database might hold them ("" = empty table). */
static const char *const row_sets[] = {
    "",
    "1a2b3c4d5e6f",
    "3c4d00000002,4d5e6f708192",
    "6f708192a3b4,c2d3e4f5a6b7",
    "2b3c4d5e6f70,a0b1c2d3e4f5",
    "5e6f708192a3,b1c2d3e4f5a6",
};
#define NSETS (sizeof(row_sets) / sizeof(row_sets[0]))

static void build_graph(graph *g)
{
	revision **revs = calloc(NREVS, sizeof(*revs));
	if (!revs)
		abort();
	for (size_t i = 0; i < NREVS; i++) {
		revision *r = xcalloc(1, sizeof(*r));
		r->id = xstrdup(specs[i][0]);
		sv_split_csv(&r->down, specs[i][1]);
		sv_split_csv(&r->depends_on, specs[i][2]);
		sv_split_csv(&r->branch_labels, specs[i][3]);
		r->message = xasprintf("revision %zu", i);
		r->create_date = xstrdup("");
		r->release = xstrdup("");
		r->transactional = 1;
		r->path = xasprintf("versions/%s.sql", specs[i][0]);
		r->section[SEC_UPGRADE] = xstrdup("SELECT 1;");
		r->order = (int)i;
		revs[i] = r;
	}
	memset(g, 0, sizeof(*g));
	retort_error err = {0};
	FUZZ_CHECK(graph_build(g, revs, NREVS, &err) == RETORT_OK, "graph_build: %s", err.message);
}

static void check_revs(const graph *g, const intvec *v, int allow_special, const char *what)
{
	for (size_t i = 0; i < v->n; i++)
		FUZZ_CHECK((v->v[i] >= 0 && (size_t)v->v[i] < g->n) ||
		               (allow_special && (v->v[i] == REV_BASE || v->v[i] == REV_OVER)),
		           "%s: index %d", what, v->v[i]);
}

static void check_rows(const graph *g, const strvec *rows, const char *what)
{
	for (size_t i = 0; i < rows->n; i++) {
		FUZZ_CHECK(graph_find(g, rows->v[i]) >= 0, "%s: row '%s' is not a revision", what,
		           rows->v[i]);
		for (size_t k = 0; k < i; k++)
			FUZZ_CHECK(strcmp(rows->v[i], rows->v[k]) != 0, "%s: row '%s' twice", what,
			           rows->v[i]);
	}
}

static void check_plan(const graph *g, const plan *p, int upgrade)
{
	sbuf b = SBUF_INIT;
	for (size_t i = 0; i < p->n; i++) {
		const plan_step *s = &p->v[i];
		FUZZ_CHECK(s->rev >= 0 && (size_t)s->rev < g->n, "step %zu: index %d", i, s->rev);
		FUZZ_CHECK(s->upgrade == upgrade, "step %zu: direction %d", i, s->upgrade);
		for (size_t k = 0; k < i; k++)
			FUZZ_CHECK(p->v[k].rev != s->rev, "revision %s runs twice",
			           g->revs[s->rev]->id);
		FUZZ_CHECK(!s->upd_from == !s->upd_to, "step %zu: half an update", i);
		sb_reset(&b);
		plan_step_describe(g, s, &b);
	}
	sb_free(&b);
	check_rows(g, &p->final_heads, "final heads");
}

/* Stamp steps: one table change each, which replayed on the rows (deletes,
 * inserts, then the update, as a runner applies them) gives final_heads in
 * order; the log line names the destination. */
static void check_stamp_steps(const graph *g, const strvec *rows, int purge, const plan *p)
{
	strvec t = STRVEC_INIT;
	if (!purge)
		sv_copy(&t, rows);
	sbuf b = SBUF_INIT;
	for (size_t i = 0; i < p->n; i++) {
		const plan_step *s = &p->v[i];
		FUZZ_CHECK(s->stamp, "step %zu is not a stamp step", i);
		FUZZ_CHECK(s->rev >= -1 && s->rev < (int)g->n, "step %zu: index %d", i, s->rev);
		FUZZ_CHECK(!s->upd_from == !s->upd_to, "step %zu: half an update", i);
		size_t changes = s->ins.n + (s->upd_from != NULL) + (s->del.n && !s->upd_from);
		FUZZ_CHECK(changes == 1 && s->ins.n <= 1, "step %zu: %zu table changes", i,
		           changes);
		FUZZ_CHECK(s->del.n <= s->from.n, "step %zu deletes more than it moves from", i);
		for (size_t k = 0; k < s->del.n; k++) {
			int at = sv_index(&t, s->del.v[k]);
			FUZZ_CHECK(at >= 0, "step %zu deletes absent row %s", i, s->del.v[k]);
			sv_remove_at(&t, (size_t)at);
		}
		for (size_t k = 0; k < s->ins.n; k++) {
			FUZZ_CHECK(sv_index(&t, s->ins.v[k]) < 0, "step %zu inserts present row",
			           i);
			sv_push(&t, s->ins.v[k]);
		}
		if (s->upd_from) {
			int at = sv_index(&t, s->upd_from);
			FUZZ_CHECK(at >= 0, "step %zu updates absent row %s", i, s->upd_from);
			FUZZ_CHECK(sv_index(&t, s->upd_to) < 0, "step %zu updates onto a row", i);
			free(t.v[at]);
			t.v[at] = xstrdup(s->upd_to);
		}
		sb_reset(&b);
		plan_step_describe(g, s, &b);
		FUZZ_CHECK(strncmp(sb_str(&b), "stamp_revision ", 15) == 0, "log line %s",
		           sb_str(&b));
	}
	sb_free(&b);
	FUZZ_CHECK(t.n == p->final_heads.n, "replayed %zu rows, final_heads %zu", t.n,
	           p->final_heads.n);
	for (size_t i = 0; i < t.n; i++)
		FUZZ_CHECK(strcmp(t.v[i], p->final_heads.v[i]) == 0, "replayed row %zu differs", i);
	sv_free(&t);
	check_rows(g, &p->final_heads, "stamp steps");
}

static void run_one(const graph *g, const strvec *rows, const char *spec)
{
	intvec cur = INTVEC_INIT;
	for (size_t i = 0; i < rows->n; i++)
		iv_push(&cur, graph_find(g, rows->v[i]));

	for (int up = 0; up <= 1; up++) {
		intvec out = INTVEC_INIT;
		retort_error err = {0};
		int rc = target_resolve(g, &cur, spec, up, &out, &err);
		fuzz_check_error(rc, &err);
		if (!rc)
			check_revs(g, &out, 0, "target_resolve");
		iv_free(&out);
	}
	{
		intvec out = INTVEC_INIT;
		retort_error err = {0};
		int rc = history_range(g, rows, spec, &out, &err);
		fuzz_check_error(rc, &err);
		if (!rc) {
			check_revs(g, &out, 0, "history_range");
			for (size_t i = 0; i < out.n; i++)
				for (size_t k = 0; k < i; k++)
					FUZZ_CHECK(out.v[i] != out.v[k], "history lists %d twice",
					           out.v[i]);
		}
		iv_free(&out);
	}
	{
		plan p;
		retort_error err = {0};
		int rc = plan_upgrade(g, rows, spec, &p, &err);
		fuzz_check_error(rc, &err);
		if (!rc) {
			check_plan(g, &p, 1);
			plan_free(&p);
		}
	}
	{
		plan p;
		retort_error err = {0};
		int rc = plan_downgrade(g, rows, spec, &p, &err);
		fuzz_check_error(rc, &err);
		if (!rc) {
			check_plan(g, &p, 0);
			plan_free(&p);
		}
	}
	for (int purge = 0; purge <= 1; purge++) {
		strvec heads = STRVEC_INIT;
		retort_error err = {0};
		int rc = plan_stamp(g, rows, spec, purge, &heads, &err);
		fuzz_check_error(rc, &err);
		if (!rc)
			check_rows(g, &heads, "stamp");
		plan p;
		retort_error err2 = {0};
		int rc2 = plan_stamp_steps(g, rows, spec, purge, &p, &err2);
		fuzz_check_error(rc2, &err2);
		FUZZ_CHECK(rc == rc2, "plan_stamp %d, plan_stamp_steps %d", rc, rc2);
		if (!rc2) {
			check_stamp_steps(g, rows, purge, &p);
			FUZZ_CHECK(p.final_heads.n == heads.n, "plan_stamp: %zu rows, steps: %zu",
			           heads.n, p.final_heads.n);
			for (size_t i = 0; i < heads.n; i++)
				FUZZ_CHECK(strcmp(heads.v[i], p.final_heads.v[i]) == 0,
				           "plan_stamp and plan_stamp_steps disagree");
			plan_free(&p);
		}
		sv_free(&heads);
	}
	iv_free(&cur);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256)
		return 0; /* a target is a short word; long ones only slow the search */
	char *spec = fuzz_cstr(data, size);
	graph g;
	build_graph(&g);
	{
		int r = -1;
		retort_error err = {0};
		int rc = target_resolve_one(&g, spec, &r, &err);
		fuzz_check_error(rc, &err);
		if (!rc)
			FUZZ_CHECK(r >= 0 && (size_t)r < g.n, "target_resolve_one: index %d", r);
	}
	for (size_t i = 0; i < NSETS; i++) {
		strvec rows = STRVEC_INIT;
		sv_split_csv(&rows, row_sets[i]);
		run_one(&g, &rows, spec);
		sv_free(&rows);
	}
	graph_free(&g);
	free(spec);
	return 0;
}
