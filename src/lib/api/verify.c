/*
 * verify.c: comparing applied revisions with their files (SPEC §7). The
 * newest successful history row of each revision holds the checksum of
 * the file it ran; an applied revision whose file now hashes differently,
 * or whose file is gone, is a difference. An applied revision with no
 * recorded checksum (applied by Alembic before a take-over, or stamped)
 * cannot be checked, and is counted as such. `upgrade` warns about the
 * same differences (and refuses with --strict).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static void add(verify_report *r, const char *rev, char *problem)
{
	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	r->v[r->n++] = (verify_diff){xstrdup(rev), problem};
}

/* Whether the row's operation leaves its revision applied. */
static int applies(store_op op)
{
	return op == OP_UPGRADE || op == OP_REPAIR || op == OP_ACCEPT || op == OP_EXPAND ||
	       op == OP_MIGRATE || op == OP_CONTRACT;
}

void verify_collect(const retort_project *p, const store_state *st, const phase_rows *cycle,
                    verify_report *out)
{
	memset(out, 0, sizeof(*out));
	const graph *g = &p->g;
	intvec start = INTVEC_INIT;
	int row_missing = 0;
	for (size_t i = 0; i < st->heads.n; i++) {
		int k = graph_find(g, st->heads.v[i]);
		if (k >= 0) {
			iv_push(&start, k);
			continue;
		}
		row_missing = 1;
		add(out, st->heads.v[i],
		    xstrdup("in the version table, but no revision file has this id (file missing)"));
	}
	unsigned char *applied = xcalloc(g->n ? g->n : 1, 1);
	graph_mark_ancestors(g, start.v, start.n, applied);
	iv_free(&start);
	/* a revision in an open expand/migrate/contract cycle is partly
	 * applied: its file must not change either */
	for (size_t i = 0; cycle && i < cycle->n; i++) {
		int k = graph_find(g, cycle->v[i].revision);
		if (k >= 0)
			applied[k] = 1;
	}
	/* A missing head file cuts the graph walk short; what the history
	 * says was upgraded and not undone counts as applied too. With every
	 * version row's file present the walk is exact: a revision a stamp
	 * moved the version off is not applied, whatever its last row says. */
	for (size_t i = 0; row_missing && i < st->nlatest; i++) {
		int k = graph_find(g, st->latest[i].revision);
		if (k >= 0 && applies(st->latest[i].op))
			applied[k] = 1;
	}
	for (size_t i = 0; i < st->nlatest; i++) {
		const history_row *h = &st->latest[i];
		int k = graph_find(g, h->revision);
		if (k < 0) {
			/* A revision without a file has no child file either (the
			 * graph would not load), so it can only be applied as a
			 * version row or below one that is missing too; once a stamp
			 * moved the version off it, it is not applied. */
			if (applies(h->op) && row_missing && sv_index(&st->heads, h->revision) < 0)
				add(out, h->revision,
				    xasprintf("applied %s UTC by %s, but its file is missing", h->started_at,
				              h->who));
			continue;
		}
		if (!applied[k] || !applies(h->op) || !*h->checksum)
			continue;
		char now[65];
		sha_hex(g->revs[k]->sha256, now);
		if (strcmp(now, h->checksum) != 0)
			add(out, h->revision,
			    xasprintf("%s changed since it was applied %s UTC by %s", g->revs[k]->path,
			              h->started_at, h->who));
	}
	for (size_t k = 0; k < g->n; k++) {
		if (!applied[k])
			continue;
		const history_row *h = store_latest(st, g->revs[k]->id);
		if (!h || !applies(h->op) || !*h->checksum)
			out->unchecked++;
	}
	free(applied);
}

void verify_report_free(verify_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].revision);
		free(r->v[i].problem);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* {"ok", "differences": [{"revision", "problem"}], "unchecked"} */
static char *verify_json(const verify_report *vr)
{
	json_t *doc = json_object(), *a = json_array();
	for (size_t i = 0; i < vr->n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "revision", json_string(vr->v[i].revision));
		json_object_set_new(o, "problem", json_string(vr->v[i].problem));
		json_array_append_new(a, o);
	}
	json_object_set_new(doc, "ok", json_boolean(vr->n == 0));
	json_object_set_new(doc, "differences", a);
	json_object_set_new(doc, "unchecked", json_integer((json_int_t)vr->unchecked));
	return json_finish(doc);
}

int retort_verify(retort_project *p, retort_db *db, const retort_check_options *o, char **out,
                  retort_error *err)
{
	int json = o && o->format == RETORT_FORMAT_JSON;
	*out = NULL;
	store_state st;
	int rc = store_read(&db->st, &st, err);
	if (rc) {
		store_state_free(&st);
		return rc;
	}
	phase_rows cycle;
	rc = store_phase_read(&db->st, &cycle, err);
	if (rc) {
		store_state_free(&st);
		return rc;
	}
	verify_report vr;
	verify_collect(p, &st, &cycle, &vr);
	store_state_free(&st);
	phase_rows_free(&cycle);
	if (json) {
		*out = verify_json(&vr);
	} else {
		sbuf b = SBUF_INIT;
		for (size_t i = 0; i < vr.n; i++)
			sb_addf(&b, "%s: %s\n", vr.v[i].revision, vr.v[i].problem);
		*out = sb_detach(&b);
	}
	if (vr.unchecked)
		rt_log(&p->log, RETORT_LOG_WARN,
		       "%zu applied revision%s no recorded checksum (applied before retort managed "
		       "the database, or stamped): nothing to compare %s with. 'retort repair "
		       "--checksums' records the current files",
		       vr.unchecked, vr.unchecked == 1 ? " has" : "s have",
		       vr.unchecked == 1 ? "it" : "them");
	if (vr.n)
		rc = rt_fail(err, RETORT_EDIFF, RETORT_R_CHANGED_FILE, NULL, 0,
		             "%zu applied revision%s differ%s from %s file%s", vr.n,
		             vr.n == 1 ? "" : "s", vr.n == 1 ? "s" : "", vr.n == 1 ? "its" : "their",
		             vr.n == 1 ? "" : "s");
	else if (vr.unchecked)
		rt_log(&p->log, RETORT_LOG_INFO, "Every applied revision with a checksum matches its "
		                                 "file.");
	else
		rt_log(&p->log, RETORT_LOG_INFO, "Every applied revision matches its file.");
	verify_report_free(&vr);
	return rc;
}
