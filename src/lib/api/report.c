/*
 * report.c: the read-only reports (current, history, heads, branches,
 * show) in Alembic 1.8's exact text format (Script._head_only and
 * log_entry), or as one JSON document. Branch labels are shown the way
 * Alembic propagates them along the labelled branch.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

/* Every revision's labels after Alembic's propagation (target.c). */
static strvec *effective_labels(const graph *g)
{
	strvec *lab = NULL;
	for (size_t i = 0; i < g->n; i++) {
		const revision *r = g->revs[i];
		if (!r->branch_labels.n)
			continue;
		if (!lab)
			lab = xcalloc(g->n, sizeof(*lab));
		unsigned char *mark = xcalloc(g->n, 1);
		target_label_mark(g, (int)i, mark);
		for (size_t k = 0; k < g->n; k++)
			if (mark[k])
				for (size_t l = 0; l < r->branch_labels.n; l++)
					if (sv_index(&lab[k], r->branch_labels.v[l]) < 0)
						sv_push(&lab[k], r->branch_labels.v[l]);
		free(mark);
	}
	return lab;
}

static void free_labels(const graph *g, strvec *lab)
{
	if (!lab)
		return;
	for (size_t i = 0; i < g->n; i++)
		sv_free(&lab[i]);
	free(lab);
}

static void format_down(const revision *r, sbuf *out)
{
	if (!r->down.n)
		sb_adds(out, "<base>");
	else
		sv_join(out, &r->down, ", ");
}

static void rev_line(const graph *g, const strvec *lab, int rev, int include_branches,
                     int include_doc, int include_parents, int tree_indicators, int current,
                     sbuf *out)
{
	const revision *r = g->revs[rev];
	if (include_parents) {
		format_down(r, out);
		if (r->depends_on.n) {
			sb_adds(out, " (");
			sv_join(out, &r->depends_on, ", ");
			sb_adds(out, ")");
		}
		sb_adds(out, " -> ");
	}
	sb_adds(out, r->id);
	if (include_branches && lab && lab[rev].n) {
		sb_adds(out, " (");
		sv_join(out, &lab[rev], ", ");
		sb_adds(out, ")");
	}
	if (!r->children.n && !r->dependents.n)
		sb_adds(out, " (head)");
	else if (!r->children.n)
		sb_adds(out, " (effective head)");
	if (current)
		sb_adds(out, " (current)");
	if (tree_indicators) {
		if (r->children.n > 1)
			sb_adds(out, " (branchpoint)");
		if (r->down.n > 1)
			sb_adds(out, " (mergepoint)");
	}
	if (include_doc)
		sb_addf(out, ", %s", r->message);
}

void report_rev_line(const graph *g, int rev, int include_branches, int include_doc,
                     int include_parents, int tree_indicators, int current, sbuf *out)
{
	strvec *lab = include_branches ? effective_labels(g) : NULL;
	rev_line(g, lab, rev, include_branches, include_doc, include_parents, tree_indicators,
	         current, out);
	free_labels(g, lab);
}

static void free_applied(const graph *g, char **lines)
{
	if (!lines)
		return;
	for (size_t i = 0; i < g->n; i++)
		free(lines[i]);
	free(lines);
}

static void rev_verbose_applied(const graph *g, const strvec *lab, int rev, int current,
                                const char *applied, sbuf *out);

static void rev_verbose(const graph *g, const strvec *lab, int rev, int current, sbuf *out)
{
	rev_verbose_applied(g, lab, rev, current, NULL, out);
}

static void rev_verbose_applied(const graph *g, const strvec *lab, int rev, int current,
                                const char *applied, sbuf *out)
{
	const revision *r = g->revs[rev];
	sb_addf(out, "Rev: %s%s%s%s%s\n", r->id, r->children.n ? "" : " (head)",
	        r->children.n > 1 ? " (branchpoint)" : "", r->down.n > 1 ? " (mergepoint)" : "",
	        current ? " (current)" : "");
	sb_adds(out, r->down.n > 1 ? "Merges: " : "Parent: ");
	format_down(r, out);
	sb_addc(out, '\n');
	if (r->depends_on.n) {
		sb_adds(out, "Also depends on: ");
		sv_join(out, &r->depends_on, ", ");
		sb_addc(out, '\n');
	}
	if (r->children.n > 1) {
		sb_adds(out, "Branches into: ");
		for (size_t i = 0; i < r->children.n; i++)
			sb_addf(out, "%s%s", i ? ", " : "", g->revs[r->children.v[i]]->id);
		sb_addc(out, '\n');
	}
	if (lab && lab[rev].n) {
		sb_adds(out, "Branch names: ");
		sv_join(out, &lab[rev], ", ");
		sb_addc(out, '\n');
	}
	if (applied)
		sb_addf(out, "%s\n", applied);
	sb_addf(out, "Path: %s\n\n", r->path);
	/* Alembic prints the module docstring its template writes: the
	 * message, then the id, parents and date (a revision without one has
	 * no such line), stripped as Python's str.strip() does, each line
	 * indented. */
	sbuf doc = SBUF_INIT;
	sb_addf(&doc, "%s\n\nRevision ID: %s\nRevises: ", r->message, r->id);
	sv_join(&doc, &r->down, ", ");
	if (r->create_date && *r->create_date)
		sb_addf(&doc, "\nCreate Date: %s", r->create_date);
	const char *p = sb_str(&doc);
	while (*p && strchr(" \t\n\r\v\f", *p))
		p++;
	while (doc.len && strchr(" \t\n\r\v\f", doc.buf[doc.len - 1]))
		doc.buf[--doc.len] = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		sb_adds(out, "    ");
		sb_add(out, p, n);
		sb_addc(out, '\n');
		p += n + (nl ? 1 : 0);
	}
	sb_free(&doc);
}

void report_rev_verbose(const graph *g, int rev, int current, sbuf *out)
{
	strvec *lab = effective_labels(g);
	rev_verbose(g, lab, rev, current, out);
	free_labels(g, lab);
}

static json_t *json_strs(const strvec *s)
{
	json_t *a = json_array();
	for (size_t i = 0; s && i < s->n; i++)
		json_array_append_new(a, json_string(s->v[i]));
	return a;
}

/* "2021-03-01 10:12:00[.ffffff]" as ISO-8601 ("2021-03-01T10:12:00"),
 * with "Z" when the time is UTC (retort_history's); other text as it is;
 * "" is null. */
static json_t *json_date(const char *d, int utc)
{
	if (!d || !*d)
		return json_null();
	int n = (int)strlen(d);
	int shaped = n >= 19 && d[4] == '-' && d[7] == '-' && d[10] == ' ' && d[13] == ':' &&
	             d[16] == ':';
	if (!shaped)
		return json_string(d);
	char *iso = xasprintf("%.10sT%s%s", d, d + 11, utc ? "Z" : "");
	json_t *j = json_string(iso);
	free(iso);
	return j;
}

static json_t *json_str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* applied: NULL leaves the member out (no database, or not -v); else
 * applied[rev] is the latest history row that applied it, or NULL. */
static json_t *rev_json(const graph *g, const strvec *lab, int rev, int current,
                        const history_row *const *applied)
{
	const revision *r = g->revs[rev];
	json_t *o = json_object();
	json_object_set_new(o, "revision", json_string(r->id));
	json_object_set_new(o, "down_revisions", json_strs(&r->down));
	json_object_set_new(o, "depends_on", json_strs(&r->depends_on));
	json_object_set_new(o, "branch_labels", json_strs(lab ? &lab[rev] : NULL));
	json_object_set_new(o, "message", json_string(r->message));
	json_object_set_new(o, "create_date", json_date(r->create_date, 0));
	json_object_set_new(o, "release", json_str_or_null(r->release));
	json_object_set_new(o, "path", json_string(r->path));
	json_object_set_new(o, "is_head", json_boolean(!r->children.n));
	json_object_set_new(o, "is_branch_point", json_boolean(r->children.n > 1));
	json_object_set_new(o, "is_merge_point", json_boolean(r->down.n > 1));
	if (current >= 0)
		json_object_set_new(o, "current", json_boolean(current));
	if (applied) {
		const history_row *h = applied[rev];
		json_t *a = json_null();
		if (h) {
			a = json_object();
			json_object_set_new(a, "at", json_date(h->started_at, 1));
			json_object_set_new(a, "by", json_string(h->who));
			json_object_set_new(a, "duration_ms", json_integer(h->duration_ms));
			json_object_set_new(a, "checksum", json_str_or_null(h->checksum));
		}
		json_object_set_new(o, "applied", a);
	}
	return o;
}

/* Per revision, the history row that last applied it (pointers into st),
 * or NULL; caller frees the array. */
static const history_row **applied_index(const graph *g, const store_state *st)
{
	const history_row **v = xcalloc(g->n ? g->n : 1, sizeof(*v));
	for (size_t i = 0; i < st->nlatest; i++) {
		const history_row *h = &st->latest[i];
		int k = graph_find(g, h->revision);
		if (k >= 0 && (h->op == OP_UPGRADE || h->op == OP_REPAIR || h->op == OP_ACCEPT))
			v[k] = h;
	}
	return v;
}

/* -v: the applied index of a state read now (into st, which the caller
 * frees); NULL without a database or -v. */
static const history_row **applied_rows(retort_project *p, retort_db *db, int flags,
                                        store_state *st)
{
	memset(st, 0, sizeof(*st));
	if (!db || !(flags & REPORT_VERBOSE))
		return NULL;
	retort_error ignored;
	if (store_read(&db->st, st, &ignored) != RETORT_OK)
		store_state_free(st);
	return applied_index(&p->g, st);
}

/* The "Applied:" lines of the verbose text records, from the index. */
static char **applied_lines(const graph *g, const history_row *const *applied)
{
	if (!applied)
		return NULL;
	char **lines = xcalloc(g->n ? g->n : 1, sizeof(char *));
	for (size_t k = 0; k < g->n; k++)
		if (applied[k])
			lines[k] = xasprintf("Applied: %s UTC by %s (%ld ms)", applied[k]->started_at,
			                     applied[k]->who, applied[k]->duration_ms);
	return lines;
}

/* Appends the revisions of the version rows to revs; a row naming an
 * unknown revision is the same error Alembic gives. */
static int version_revs(retort_project *p, const strvec *rows, intvec *revs, retort_error *err)
{
	int rc = RETORT_OK;
	for (size_t i = 0; !rc && i < rows->n; i++) {
		int k = graph_find(&p->g, rows->v[i]);
		if (k < 0)
			rc = rt_fail(
			    err, RETORT_EUSAGE, RETORT_R_UNKNOWN_VERSION, NULL, 0,
			    "Can't locate revision identified by '%s': the version table "
			    "names it, but no revision file has this id (a newer release's "
			    "revision, or the wrong script_location?); 'retort stamp --purge "
			    "REV' replaces the version rows",
			    rows->v[i]);
		else
			iv_push(revs, k);
	}
	return rc;
}

/* The current revisions of the version rows, in graph order. */
static int current_revs(retort_project *p, const strvec *rows, intvec *out, retort_error *err)
{
	intvec start = INTVEC_INIT;
	int rc = version_revs(p, rows, &start, err);
	if (rc) {
		iv_free(&start);
		return rc;
	}
	/* Like Alembic's get_all_current: everything applied (dependencies
	 * included), narrowed to the revisions no applied revision builds on
	 * through down_revision, so a dependency's branch shows as an
	 * "effective head". */
	unsigned char *in = xcalloc(p->g.n ? p->g.n : 1, 1);
	graph_mark_ancestors(&p->g, start.v, start.n, in);
	for (size_t i = 0; i < p->g.n; i++) {
		if (!in[i])
			continue;
		const revision *r = p->g.revs[i];
		int covered = 0;
		for (size_t c = 0; c < r->children.n && !covered; c++)
			covered = in[r->children.v[c]];
		if (!covered)
			iv_push(out, (int)i);
	}
	free(in);
	iv_free(&start);
	return RETORT_OK;
}

/* ---- releases (SPEC §9): history's and version's marks ---------------- */

/* Appends text with " (release X)" added at the end of its first line
 * (after Alembic's markers); text as it is without a release. */
static void add_release_mark(sbuf *b, const char *text, const char *release)
{
	if (!release || !*release) {
		sb_adds(b, text);
		return;
	}
	size_t n = strcspn(text, "\n");
	sb_add(b, text, n);
	sb_addf(b, " (release %s)", release);
	sb_adds(b, text + n);
}

/* The release of rev for `version`: its own or its nearest ancestor's. */
static const char *nearest_release(const graph *g, const int *rank, int rev)
{
	int k = release_nearest(g, rank, rev);
	return k >= 0 ? g->revs[k]->release : NULL;
}

/* `current` reads the store once: the version rows, the applied rows for
 * -v, and the dirty record, which it shows and then refuses on.
 * `version` is the same report with the release next to each revision
 * (its own, or its nearest ancestor's) and, in JSON, the database's. */
static int report_current(retort_project *p, retort_db *db, const retort_report_options *o,
                          int version, char **out, retort_error *err)
{
	int flags = report_flags(o);
	intvec revs = INTVEC_INIT;
	store_state st;
	int rc = store_read(&db->st, &st, err);
	if (!rc)
		rc = current_revs(p, &st.heads, &revs, err);
	if (rc)
		goto done;
	/* SPEC §8: during an expand/migrate/contract cycle the version is
	 * composite: how far expand went, and what the version table names */
	int cycle = 0;
	char *expanded = NULL;
	rc = phase_cycle_state(p, db, &st.heads, &cycle, &expanded, err);
	if (rc)
		goto done;
	const history_row **applied =
	    (flags & REPORT_VERBOSE) ? applied_index(&p->g, &st) : NULL;
	strvec *lab = effective_labels(&p->g);
	int *rank = version ? release_rank(&p->g) : NULL;
	if (flags & REPORT_JSON) {
		json_t *doc = json_object(), *a = json_array();
		json_object_set_new(doc, "url", json_string(db->url.redacted));
		if (version) {
			int k = release_of_heads(&p->g, revs.v, revs.n);
			json_object_set_new(doc, "release",
			                    k >= 0 ? json_string(p->g.revs[k]->release) : json_null());
			json_object_set_new(doc, "release_revision",
			                    k >= 0 ? json_string(p->g.revs[k]->id) : json_null());
		}
		for (size_t i = 0; i < revs.n; i++)
			json_array_append_new(a, rev_json(&p->g, lab, revs.v[i], -1, applied));
		json_object_set_new(doc, "current", a);
		json_object_set_new(doc, "expand", cycle ? json_string(expanded) : json_null());
		json_t *ct = json_array();
		for (size_t i = 0; cycle && i < st.heads.n; i++)
			json_array_append_new(ct, json_string(st.heads.v[i]));
		json_object_set_new(doc, "contract", cycle ? ct : (json_decref(ct), json_null()));
		/* A dirty revision (the command still exits 1) is part of the
		 * state: null when there is none. */
		json_t *dj = json_null();
		if (st.dirty) {
			const history_row *d = st.dirty;
			dj = json_object();
			json_object_set_new(dj, "revision", json_string(d->revision));
			json_object_set_new(dj, "operation", json_string(store_op_name(d->op)));
			json_object_set_new(dj, "statements_run", json_integer(d->statements));
			json_object_set_new(dj, "failed_line",
			                    d->failed_line ? json_integer(d->failed_line)
			                                   : json_null());
			json_object_set_new(dj, "error",
			                    d->error ? json_string(d->error) : json_null());
		}
		json_object_set_new(doc, "dirty", dj);
		*out = json_finish(doc);
	} else {
		sbuf b = SBUF_INIT;
		if (flags & REPORT_VERBOSE) {
			sb_addf(&b, "Current revision(s) for %s:\n", db->url.redacted);
			char **lines = applied_lines(&p->g, applied);
			for (size_t i = 0; i < revs.n; i++) {
				sbuf rec = SBUF_INIT;
				rev_verbose_applied(&p->g, lab, revs.v[i], 0, lines ? lines[revs.v[i]] : NULL,
				                    &rec);
				add_release_mark(&b, sb_str(&rec),
				                 rank ? nearest_release(&p->g, rank, revs.v[i]) : NULL);
				sb_free(&rec);
				sb_addc(&b, '\n');
			}
			free_applied(&p->g, lines);
		} else if (cycle) {
			sb_addf(&b, "expand: %s, contract: ", expanded);
			if (st.heads.n)
				sv_join(&b, &st.heads, ", ");
			else
				sb_adds(&b, "base");
			sb_addc(&b, '\n');
		} else {
			for (size_t i = 0; i < revs.n; i++) {
				rev_line(&p->g, NULL, revs.v[i], 0, 0, 0, 1, 0, &b);
				if (rank)
					add_release_mark(&b, "", nearest_release(&p->g, rank, revs.v[i]));
				sb_addc(&b, '\n');
			}
		}
		*out = sb_detach(&b);
	}
	free(rank);
	free(applied);
	free_labels(&p->g, lab);
	free(expanded);
done:
	if (!rc && st.dirty)
		rc = store_dirty_refusal(&p->g, st.dirty, err);
	store_state_free(&st);
	iv_free(&revs);
	return rc;
}

int retort_report_current(retort_project *p, retort_db *db, const retort_report_options *o,
                          char **out, retort_error *err)
{
	return report_current(p, db, o, 0, out, err);
}

int retort_report_version(retort_project *p, retort_db *db, const retort_report_options *o,
                          char **out, retort_error *err)
{
	return report_current(p, db, o, 1, out, err);
}

int retort_report_history(retort_project *p, retort_db *db, const char *range,
                          const retort_report_options *o, char **out, retort_error *err)
{
	int flags = report_flags(o);
	strvec rows = STRVEC_INIT;
	intvec walk = INTVEC_INIT;
	int rc = RETORT_OK;
	if (db)
		rc = store_heads(&db->st, &rows, err);
	else if (range && strstr(range, "current"))
		rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_URL, NULL, 0,
		             "range '%s' needs a database: give one with --url, $DATABASE_URL or "
		             "'url' in the config file",
		             range);
	if (rc)
		goto done;
	if (range && *range)
		rc = history_range(&p->g, &rows, range, &walk, err);
	else
		graph_walk(&p->g, NULL, &walk);
	if (rc)
		goto done;
	int indicate = (flags & REPORT_INDICATE_CURRENT) != 0;
	strvec *lab = effective_labels(&p->g);
	if (flags & REPORT_JSON) {
		json_t *a = json_array();
		store_state ast;
		const history_row **applied = applied_rows(p, db, flags, &ast);
		for (size_t i = 0; i < walk.n; i++) {
			int cur = indicate ? sv_index(&rows, p->g.revs[walk.v[i]]->id) >= 0 : -1;
			json_array_append_new(a, rev_json(&p->g, lab, walk.v[i], cur, applied));
		}
		free(applied);
		store_state_free(&ast);
		json_t *doc = json_object();
		json_object_set_new(doc, "history", a);
		*out = json_finish(doc);
	} else {
		sbuf b = SBUF_INIT;
		store_state ast;
		const history_row **index = applied_rows(p, db, flags, &ast);
		char **applied = applied_lines(&p->g, index);
		free(index);
		store_state_free(&ast);
		for (size_t i = 0; i < walk.n; i++) {
			int cur = indicate && sv_index(&rows, p->g.revs[walk.v[i]]->id) >= 0;
			/* a revision with a release: " (release X)" after the markers;
			 * without one, Alembic's line exactly */
			const revision *r = p->g.revs[walk.v[i]];
			sbuf line = SBUF_INIT;
			if (flags & REPORT_VERBOSE) {
				rev_verbose_applied(&p->g, lab, walk.v[i], cur,
				                    applied ? applied[walk.v[i]] : NULL, &line);
				add_release_mark(&b, sb_str(&line), r->release);
			} else if (*r->release) {
				rev_line(&p->g, lab, walk.v[i], 1, 0, 1, 1, cur, &line);
				add_release_mark(&b, sb_str(&line), r->release);
				sb_addf(&b, ", %s", r->message);
			} else {
				rev_line(&p->g, lab, walk.v[i], 1, 1, 1, 1, cur, &b);
			}
			sb_free(&line);
			sb_addc(&b, '\n');
		}
		free_applied(&p->g, applied);
		*out = sb_detach(&b);
	}
	free_labels(&p->g, lab);
done:
	sv_free(&rows);
	iv_free(&walk);
	return rc;
}

int retort_report_heads(retort_project *p, const retort_report_options *o, char **out,
                        retort_error *err)
{
	int flags = report_flags(o);
	(void)err;
	intvec heads = INTVEC_INIT;
	graph_heads(&p->g, &heads);
	if (flags & REPORT_RESOLVE_DEPS) {
		/* Alembic's "heads" target: a revision another one depends on
		 * is not a head once dependencies count. */
		size_t k = 0;
		for (size_t i = 0; i < heads.n; i++)
			if (!p->g.revs[heads.v[i]]->dependents.n)
				heads.v[k++] = heads.v[i];
		heads.n = k;
	}
	strvec *lab = effective_labels(&p->g);
	if (flags & REPORT_JSON) {
		json_t *a = json_array();
		for (size_t i = 0; i < heads.n; i++)
			json_array_append_new(a, rev_json(&p->g, lab, heads.v[i], -1, NULL));
		json_t *doc = json_object();
		json_object_set_new(doc, "heads", a);
		*out = json_finish(doc);
	} else {
		sbuf b = SBUF_INIT;
		for (size_t i = 0; i < heads.n; i++) {
			if (flags & REPORT_VERBOSE)
				rev_verbose(&p->g, lab, heads.v[i], 0, &b);
			else
				rev_line(&p->g, lab, heads.v[i], 1, 0, 0, 0, 0, &b);
			sb_addc(&b, '\n');
		}
		*out = sb_detach(&b);
	}
	free_labels(&p->g, lab);
	iv_free(&heads);
	return RETORT_OK;
}

int retort_report_branches(retort_project *p, const retort_report_options *o, char **out,
                           retort_error *err)
{
	int flags = report_flags(o);
	(void)err;
	intvec walk = INTVEC_INIT;
	graph_walk(&p->g, NULL, &walk);
	strvec *lab = effective_labels(&p->g);
	int verbose = (flags & REPORT_VERBOSE) != 0;
	json_t *a = (flags & REPORT_JSON) ? json_array() : NULL;
	sbuf b = SBUF_INIT;
	for (size_t i = 0; i < walk.n; i++) {
		const revision *r = p->g.revs[walk.v[i]];
		if (r->children.n < 2)
			continue;
		if (a) {
			json_t *o = rev_json(&p->g, lab, walk.v[i], -1, NULL);
			json_t *kids = json_array();
			for (size_t c = 0; c < r->children.n; c++)
				json_array_append_new(kids,
				                      json_string(p->g.revs[r->children.v[c]]->id));
			json_object_set_new(o, "branches_into", kids);
			json_array_append_new(a, o);
			continue;
		}
		if (verbose)
			rev_verbose(&p->g, lab, walk.v[i], 0, &b);
		else
			rev_line(&p->g, lab, walk.v[i], 1, 0, 0, 1, 0, &b);
		sb_addc(&b, '\n');
		size_t pad = strlen(r->id);
		for (size_t c = 0; c < r->children.n; c++) {
			if (c)
				sb_addc(&b, '\n');
			for (size_t k = 0; k < pad; k++)
				sb_addc(&b, ' ');
			sb_adds(&b, " -> ");
			rev_line(&p->g, lab, r->children.v[c], 1, verbose, 0, 1, 0, &b);
		}
		sb_adds(&b, "\n\n");
	}
	if (a) {
		json_t *doc = json_object();
		json_object_set_new(doc, "branches", a);
		*out = json_finish(doc);
		sb_free(&b);
	} else {
		*out = sb_detach(&b);
	}
	free_labels(&p->g, lab);
	iv_free(&walk);
	return RETORT_OK;
}

int retort_report_show(retort_project *p, retort_db *db, const char *rev,
                       const retort_report_options *o, char **out, retort_error *err)
{
	int flags = report_flags(o);
	intvec revs = INTVEC_INIT;
	intvec none = INTVEC_INIT;
	int rc;
	if (strcmp(rev, "current") == 0) {
		/* Alembic's `show current`: the revisions the version table names. */
		strvec rows = STRVEC_INIT;
		rc = db ? store_heads(&db->st, &rows, err)
		        : rt_fail(err, RETORT_EUSAGE, RETORT_R_URL, NULL, 0,
		                  "show current needs a database: give one with --url, "
		                  "$DATABASE_URL or 'url' in the config file");
		if (!rc)
			rc = version_revs(p, &rows, &revs, err);
		sv_free(&rows);
	} else {
		rc = target_resolve(&p->g, &none, rev, 1, &revs, err);
	}
	if (rc) {
		iv_free(&revs);
		return rc;
	}
	strvec *lab = effective_labels(&p->g);
	if (flags & REPORT_JSON) {
		json_t *a = json_array();
		store_state ast;
		const history_row **applied = applied_rows(p, db, flags, &ast);
		for (size_t i = 0; i < revs.n; i++)
			json_array_append_new(a, rev_json(&p->g, lab, revs.v[i], -1, applied));
		free(applied);
		store_state_free(&ast);
		json_t *doc = json_object();
		json_object_set_new(doc, "revisions", a);
		*out = json_finish(doc);
	} else {
		sbuf b = SBUF_INIT;
		for (size_t i = 0; i < revs.n; i++) {
			rev_verbose(&p->g, lab, revs.v[i], 0, &b);
			sb_addc(&b, '\n');
		}
		*out = sb_detach(&b);
	}
	free_labels(&p->g, lab);
	iv_free(&revs);
	return RETORT_OK;
}

int report_flags(const retort_report_options *o)
{
	if (!o)
		return 0;
	return (o->verbose ? REPORT_VERBOSE : 0) |
	       (o->format == RETORT_FORMAT_JSON ? REPORT_JSON : 0) |
	       (o->indicate_current ? REPORT_INDICATE_CURRENT : 0) |
	       (o->resolve_dependencies ? REPORT_RESOLVE_DEPS : 0);
}
