/*
 * graph.c: `graph`, the revision graph as a picture description:
 * Graphviz dot (default) or a Mermaid flowchart, or JSON. One node per
 * revision (id, marks, message, declared branch labels, release), in
 * walk order (newest first, as history lists them); edges parent ->
 * child, depends_on edges dashed. Heads, branch points and merge points
 * have their own shape and class; with a database, the revisions its
 * version table names are marked current. Deterministic: the same graph
 * and version rows give the same bytes.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

enum { MARK_HEAD = 1, MARK_BRANCH = 2, MARK_MERGE = 4, MARK_CURRENT = 8 };

static int marks_of(const graph *g, int rev, const unsigned char *current)
{
	const revision *r = g->revs[rev];
	return (!r->children.n ? MARK_HEAD : 0) | (r->children.n > 1 ? MARK_BRANCH : 0) |
	       (r->down.n > 1 ? MARK_MERGE : 0) | (current && current[rev] ? MARK_CURRENT : 0);
}

/* The marks as history writes them: " (head) (branchpoint)...". */
static void add_marks(sbuf *b, int m)
{
	if (m & MARK_HEAD)
		sb_adds(b, " (head)");
	if (m & MARK_CURRENT)
		sb_adds(b, " (current)");
	if (m & MARK_BRANCH)
		sb_adds(b, " (branchpoint)");
	if (m & MARK_MERGE)
		sb_adds(b, " (mergepoint)");
}

/* The lines of a node's label, unescaped. */
static void label_lines(const graph *g, int rev, int m, strvec *lines)
{
	const revision *r = g->revs[rev];
	sbuf b = SBUF_INIT;
	sb_adds(&b, r->id);
	add_marks(&b, m);
	sv_push(lines, sb_str(&b));
	if (*r->message)
		sv_push(lines, r->message);
	if (r->branch_labels.n) {
		sb_reset(&b);
		sb_adds(&b, r->branch_labels.n > 1 ? "branches: " : "branch: ");
		sv_join(&b, &r->branch_labels, ", ");
		sv_push(lines, sb_str(&b));
	}
	if (*r->release) {
		sb_reset(&b);
		sb_addf(&b, "release %s", r->release);
		sv_push(lines, sb_str(&b));
	}
	sb_free(&b);
}

/* ---- dot ------------------------------------------------------------------ */

/* Text inside a dot double-quoted string: quote and backslash escaped (a
 * backslash would start \n, \N, \l...), control characters as spaces. */
static void dot_text(sbuf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			sb_addc(b, '\\');
		sb_addc(b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
}

static void dot_classes(sbuf *b, int m)
{
	sb_adds(b, "revision");
	if (m & MARK_HEAD)
		sb_adds(b, " head");
	if (m & MARK_BRANCH)
		sb_adds(b, " branchpoint");
	if (m & MARK_MERGE)
		sb_adds(b, " mergepoint");
	if (m & MARK_CURRENT)
		sb_adds(b, " current");
}

static void render_dot(const graph *g, const intvec *walk, const int *marks, int connected,
                       sbuf *b)
{
	sb_adds(b, "// retort revision graph: edges go parent -> child; dashed edges are "
	           "depends_on.\n"
	           "// Shapes: inverted trapezium = branch point, trapezium = merge point, "
	           "hexagon = both;\n"
	           "// a double border = head");
	sb_adds(b, connected ? "; filled = current (the database's version).\n" : ".\n");
	sb_adds(b, "digraph revisions {\n"
	           "\trankdir=BT;\n"
	           "\tnode [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10];\n"
	           "\tedge [arrowsize=0.7];\n");
	for (size_t i = 0; i < walk->n; i++) {
		int rev = walk->v[i], m = marks[rev];
		strvec lines = STRVEC_INIT;
		label_lines(g, rev, m, &lines);
		sb_adds(b, "\t\"");
		dot_text(b, g->revs[rev]->id);
		sb_adds(b, "\" [label=\"");
		for (size_t k = 0; k < lines.n; k++) {
			if (k)
				sb_adds(b, "\\n");
			dot_text(b, lines.v[k]);
		}
		sb_adds(b, "\", class=\"");
		dot_classes(b, m);
		sb_adds(b, "\"");
		if ((m & MARK_BRANCH) && (m & MARK_MERGE))
			sb_adds(b, ", shape=hexagon");
		else if (m & MARK_BRANCH) /* wide towards its children (drawn above) */
			sb_adds(b, ", shape=invtrapezium");
		else if (m & MARK_MERGE) /* wide towards its parents */
			sb_adds(b, ", shape=trapezium");
		if (m & MARK_HEAD)
			sb_adds(b, ", peripheries=2");
		if (m & MARK_CURRENT)
			sb_adds(b, ", style=\"rounded,filled,bold\", fillcolor=\"#c8e6c9\"");
		sb_adds(b, "];\n");
		sv_free(&lines);
	}
	for (size_t i = 0; i < walk->n; i++) {
		const revision *r = g->revs[walk->v[i]];
		for (size_t k = 0; k < r->parents.n; k++) {
			sb_adds(b, "\t\"");
			dot_text(b, g->revs[r->parents.v[k]]->id);
			sb_adds(b, "\" -> \"");
			dot_text(b, r->id);
			sb_adds(b, "\";\n");
		}
		for (size_t k = 0; k < r->deps.n; k++) {
			sb_adds(b, "\t\"");
			dot_text(b, g->revs[r->deps.v[k]]->id);
			sb_adds(b, "\" -> \"");
			dot_text(b, r->id);
			sb_adds(b, "\" [style=dashed, class=\"depends_on\"];\n");
		}
	}
	sb_adds(b, "}\n");
}

/* ---- mermaid ---------------------------------------------------------------- */

/* Text inside a Mermaid quoted label: a quote would end it, "#...;" is
 * an entity code, <, > and & are HTML, a backtick starts Markdown: each
 * becomes an entity code (#34; for a quote). */
static void mermaid_text(sbuf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c && strchr("\"#&<>`", c))
			sb_addf(b, "#%d;", c);
		else
			sb_addc(b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
}

/* Node ids: "r_" + the revision id ([A-Za-z0-9_], SPEC §4), so no id can
 * be one of Mermaid's words ("end", "graph"). */
static void mermaid_id(sbuf *b, const char *id)
{
	sb_adds(b, "r_");
	for (; *id; id++)
		sb_addc(b, strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
		                  *id)
		               ? *id
		               : '_');
}

static void render_mermaid(const graph *g, const intvec *walk, const int *marks,
                           int connected, sbuf *b)
{
	/* comments after the diagram's type: a detector that does not strip
	 * them first must see "flowchart" on the first line */
	sb_adds(b, "flowchart BT\n");
	sb_adds(b, "    %% retort revision graph: edges go parent --> child; dotted edges are "
	           "depends_on.\n");
	sb_adds(b, connected ? "    %% Classes: head, branchpoint, mergepoint, current.\n"
	                     : "    %% Classes: head, branchpoint, mergepoint.\n");
	static const char *const classes[] = {"head", "branchpoint", "mergepoint", "current"};
	static const int class_mark[] = {MARK_HEAD, MARK_BRANCH, MARK_MERGE, MARK_CURRENT};
	for (size_t i = 0; i < walk->n; i++) {
		int rev = walk->v[i], m = marks[rev];
		const char *open = "(\"", *close = "\")";
		if ((m & MARK_BRANCH) && (m & MARK_MERGE))
			open = "{{\"", close = "\"}}";
		else if (m & MARK_BRANCH)
			open = "[\\\"", close = "\"/]";
		else if (m & MARK_MERGE)
			open = "[/\"", close = "\"\\]";
		else if (m & MARK_HEAD)
			open = "([\"", close = "\"])";
		strvec lines = STRVEC_INIT;
		label_lines(g, rev, m, &lines);
		sb_adds(b, "    ");
		mermaid_id(b, g->revs[rev]->id);
		sb_adds(b, open);
		for (size_t k = 0; k < lines.n; k++) {
			if (k)
				sb_adds(b, "<br/>");
			mermaid_text(b, lines.v[k]);
		}
		sb_adds(b, close);
		sb_addc(b, '\n');
		sv_free(&lines);
	}
	for (size_t i = 0; i < walk->n; i++) {
		const revision *r = g->revs[walk->v[i]];
		for (int pass = 0; pass < 2; pass++) {
			const intvec *e = pass ? &r->deps : &r->parents;
			for (size_t k = 0; k < e->n; k++) {
				sb_adds(b, "    ");
				mermaid_id(b, g->revs[e->v[k]]->id);
				sb_adds(b, pass ? " -.-> " : " --> ");
				mermaid_id(b, r->id);
				sb_addc(b, '\n');
			}
		}
	}
	sb_adds(b, "    classDef head stroke-width:3px\n"
	           "    classDef branchpoint fill:#fff2cc\n"
	           "    classDef mergepoint fill:#e6dcf5\n"
	           "    classDef current fill:#c8e6c9,stroke:#2e7d32\n");
	for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]); c++) {
		size_t n = 0;
		for (size_t i = 0; i < walk->n; i++) {
			if (!(marks[walk->v[i]] & class_mark[c]))
				continue;
			sb_adds(b, n++ ? "," : "    class ");
			mermaid_id(b, g->revs[walk->v[i]]->id);
		}
		if (n)
			sb_addf(b, " %s\n", classes[c]);
	}
}

/* ---- JSON --------------------------------------------------------------------- */

static json_t *strs(const strvec *s)
{
	json_t *a = json_array();
	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(a, json_string(s->v[i]));
	return a;
}

static char *render_json(const graph *g, const intvec *walk, const int *marks, int connected)
{
	json_t *nodes = json_array(), *edges = json_array();
	for (size_t i = 0; i < walk->n; i++) {
		int rev = walk->v[i], m = marks[rev];
		const revision *r = g->revs[rev];
		json_t *o = json_object();
		json_object_set_new(o, "revision", json_string(r->id));
		json_object_set_new(o, "message", json_string(r->message));
		json_object_set_new(o, "down_revisions", strs(&r->down));
		json_object_set_new(o, "branch_labels", strs(&r->branch_labels));
		json_object_set_new(o, "release", *r->release ? json_string(r->release) : json_null());
		json_object_set_new(o, "is_head", json_boolean(m & MARK_HEAD));
		json_object_set_new(o, "is_branch_point", json_boolean(m & MARK_BRANCH));
		json_object_set_new(o, "is_merge_point", json_boolean(m & MARK_MERGE));
		if (connected)
			json_object_set_new(o, "current", json_boolean(m & MARK_CURRENT));
		json_array_append_new(nodes, o);
		for (int pass = 0; pass < 2; pass++) {
			const intvec *e = pass ? &r->deps : &r->parents;
			for (size_t k = 0; k < e->n; k++) {
				json_t *x = json_object();
				json_object_set_new(x, "from", json_string(g->revs[e->v[k]]->id));
				json_object_set_new(x, "to", json_string(r->id));
				json_object_set_new(x, "kind", json_string(pass ? "depends_on" : "parent"));
				json_array_append_new(edges, x);
			}
		}
	}
	json_t *doc = json_object();
	json_object_set_new(doc, "connected", json_boolean(connected));
	json_object_set_new(doc, "nodes", nodes);
	json_object_set_new(doc, "edges", edges);
	return json_finish(doc);
}

int retort_graph(retort_project *p, retort_db *db, const retort_graph_options *o, char **out,
                 retort_error *err)
{
	retort_graph_options defaults = RETORT_GRAPH_OPTIONS_INIT;
	if (!o)
		o = &defaults;
	*out = NULL;
	if (o->style != RETORT_GRAPH_DOT && o->style != RETORT_GRAPH_MERMAID)
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_NONE, NULL, 0,
		               "unknown graph style %d (use dot or mermaid)", o->style);
	const graph *g = &p->g;
	unsigned char *current = NULL;
	if (db) {
		strvec rows = STRVEC_INIT;
		int rc = store_heads(&db->st, &rows, err);
		if (rc) {
			sv_free(&rows);
			return rc;
		}
		current = xcalloc(g->n ? g->n : 1, 1);
		/* a row no file defines is not drawn (current/upgrade report it) */
		for (size_t i = 0; i < rows.n; i++) {
			int k = graph_find(g, rows.v[i]);
			if (k >= 0)
				current[k] = 1;
		}
		sv_free(&rows);
	}
	intvec walk = INTVEC_INIT;
	graph_walk(g, NULL, &walk);
	int *marks = xcalloc(g->n ? g->n : 1, sizeof(int));
	for (size_t i = 0; i < g->n; i++)
		marks[i] = marks_of(g, (int)i, current);
	if (o->format == RETORT_FORMAT_JSON) {
		*out = render_json(g, &walk, marks, db != NULL);
	} else {
		sbuf b = SBUF_INIT;
		if (o->style == RETORT_GRAPH_MERMAID)
			render_mermaid(g, &walk, marks, db != NULL, &b);
		else
			render_dot(g, &walk, marks, db != NULL, &b);
		*out = sb_detach(&b);
	}
	free(marks);
	free(current);
	iv_free(&walk);
	return RETORT_OK;
}
