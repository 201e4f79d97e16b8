/*
 * verify.c: comparing applied revisions with their files (SPEC §7). The
 * newest successful history row of each revision holds the checksum of
 * the file it ran; an applied revision whose file now hashes differently,
 * or whose file is gone, is a difference. `upgrade` warns about the same
 * differences (and refuses with --strict).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

/* Appends one line per difference to problems. */
int verify_collect(retort_project *p, retort_db *db, strvec *problems, retort_error *err)
{
	strvec rows = STRVEC_INIT, hist = STRVEC_INIT;
	int rc = version_read(db, &rows, err);
	if (!rc)
		rc = history_latest(db, &hist, err);
	if (rc)
		goto done;
	const graph *g = &p->g;
	intvec start = INTVEC_INIT;
	int row_missing = 0;
	for (size_t i = 0; i < rows.n; i++) {
		int k = graph_find(g, rows.v[i]);
		if (k >= 0) {
			iv_push(&start, k);
			continue;
		}
		row_missing = 1;
		sv_push_owned(problems, xasprintf("%s: in the version table, but no revision file has "
		                                  "this id (file missing)",
		                                  rows.v[i]));
	}
	unsigned char *applied = xcalloc(g->n ? g->n : 1, 1);
	graph_mark_ancestors(g, start.v, start.n, applied);
	iv_free(&start);
	/* A missing head file cuts the graph walk short; what the history
	 * says was upgraded and not undone counts as applied too. With every
	 * version row's file present the walk is exact: a revision a stamp
	 * moved the version off is not applied, whatever its last row says. */
	for (size_t i = 0; row_missing && i + 6 <= hist.n; i += 6) {
		int k = graph_find(g, hist.v[i]);
		if (k >= 0 && (strcmp(hist.v[i + 1], "upgrade") == 0 ||
		               strcmp(hist.v[i + 1], "repair") == 0))
			applied[k] = 1;
	}
	for (size_t i = 0; i + 6 <= hist.n; i += 6) {
		const char *rev = hist.v[i], *op = hist.v[i + 1], *sum = hist.v[i + 2],
		           *when = hist.v[i + 3], *who = hist.v[i + 4];
		int is_applied_op = strcmp(op, "upgrade") == 0 || strcmp(op, "repair") == 0;
		int k = graph_find(g, rev);
		if (k < 0) {
			/* A revision without a file has no child file either (the
			 * graph would not load), so it can only be applied as a
			 * version row or below one that is missing too; once a stamp
			 * moved the version off it, it is not applied. */
			if (is_applied_op && row_missing && sv_index(&rows, rev) < 0)
				sv_push_owned(problems,
				              xasprintf("%s: applied %s UTC by %s, but its file is missing",
				                        rev, when, who));
			continue;
		}
		if (!applied[k] || !is_applied_op || !*sum)
			continue;
		char now[65];
		sha_hex(g->revs[k]->sha256, now);
		if (strcmp(now, sum) != 0)
			sv_push_owned(problems,
			              xasprintf("%s: %s changed since it was applied %s UTC by %s", rev,
			                        g->revs[k]->path, when, who));
	}
	free(applied);
done:
	sv_free(&rows);
	sv_free(&hist);
	return rc;
}

/* {"ok": bool, "differences": [{"revision": R, "problem": text}, ...]} */
static char *verify_json(const strvec *problems)
{
	json_t *doc = json_object(), *a = json_array();
	for (size_t i = 0; i < problems->n; i++) {
		const char *line = problems->v[i], *sep = strstr(line, ": ");
		json_t *o = json_object();
		json_object_set_new(o, "revision",
		                    json_stringn(line, sep ? (size_t)(sep - line) : strlen(line)));
		json_object_set_new(o, "problem", json_string(sep ? sep + 2 : ""));
		json_array_append_new(a, o);
	}
	json_object_set_new(doc, "ok", json_boolean(problems->n == 0));
	json_object_set_new(doc, "differences", a);
	return json_finish(doc);
}

int retort_verify(retort_project *p, retort_db *db, const retort_check_options *o, char **out,
                  retort_error *err)
{
	int json = o && o->format == RETORT_FORMAT_JSON;
	*out = NULL;
	strvec problems = STRVEC_INIT;
	int rc = verify_collect(p, db, &problems, err);
	if (rc) {
		sv_free(&problems);
		return rc;
	}
	if (json) {
		*out = verify_json(&problems);
	} else {
		sbuf b = SBUF_INIT;
		for (size_t i = 0; i < problems.n; i++)
			sb_addf(&b, "%s\n", problems.v[i]);
		*out = sb_detach(&b);
	}
	if (problems.n)
		rc = rt_error(err, RETORT_EDIFF, NULL, 0,
		              "%zu applied revision%s differ%s from %s file%s", problems.n,
		              problems.n == 1 ? "" : "s", problems.n == 1 ? "s" : "",
		              problems.n == 1 ? "its" : "their", problems.n == 1 ? "" : "s");
	else
		rt_log(&p->log, RETORT_LOG_INFO, "Every applied revision matches its file.");
	sv_free(&problems);
	return rc;
}
