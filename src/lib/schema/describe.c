/*
 * describe.c: the `schema` command's output — a schema model described
 * the way psql's \d describes a relation, in one form for every backend
 * (SQLite and PostgreSQL fill the same model), or as one JSON document.
 *
 * Text: a title ('Table "public.users"', no schema prefix on SQLite), a
 * grid of the columns (widths from the content, headers centred as psql
 * centres them, no blanks at the end of a line), then the sections that
 * have something in them: Indexes (primary key, unique and exclusion
 * constraints, then the indexes), Check constraints, Foreign-key
 * constraints, Referenced by, Triggers, Options (SQLite), Comment.
 * Everything comes out in model order, so the output is deterministic.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema/schema.h"

/* ---- small text helpers ---------------------------------------------------- */

/* Display width: UTF-8 code points (continuation bytes do not count). */
static size_t text_width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static void pad(sbuf *b, size_t n)
{
	while (n--)
		sb_addc(b, ' ');
}

/* Appends a line (without its '\n'), dropping blanks at its end. */
static void add_line(sbuf *b, const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	sb_add(b, s, n);
	sb_addc(b, '\n');
}

/* Appends text of several lines, each with prefix and no trailing blanks. */
static void add_lines(sbuf *b, const char *prefix, const char *text)
{
	const char *p = text;
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		sbuf l = SBUF_INIT;
		sb_adds(&l, prefix);
		sb_add(&l, p, n);
		add_line(b, l.buf, l.len);
		sb_free(&l);
		if (!nl)
			break;
		p = nl + 1;
	}
}

/* A grid cell: one line, runs of blanks with a line break in them made one blank. */
static char *cell(const char *s)
{
	sbuf b = SBUF_INIT;
	if (!s)
		return xstrdup("");
	for (const char *p = s; *p; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t') {
			while (b.len && b.buf[b.len - 1] == ' ')
				b.len--;
			while (p[1] == ' ' || p[1] == '\n' || p[1] == '\r' || p[1] == '\t')
				p++;
			sb_addc(&b, ' ');
			continue;
		}
		sb_addc(&b, *p);
	}
	return sb_detach(&b);
}

/* An identifier as PostgreSQL's constraint definitions print it: bare when
 * it is lower-case letters, digits and underscores, else double-quoted. */
static void add_ident(sbuf *b, const char *name)
{
	int plain = (*name >= 'a' && *name <= 'z') || *name == '_';
	for (const char *p = name; *p && plain; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '$'))
			plain = 0;
	if (plain) {
		sb_adds(b, name);
		return;
	}
	sb_addc(b, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			sb_addc(b, '"');
		sb_addc(b, *p);
	}
	sb_addc(b, '"');
}

static void add_ident_list(sbuf *b, const strvec *names)
{
	sb_addc(b, '(');
	for (size_t i = 0; i < names->n; i++) {
		if (i)
			sb_adds(b, ", ");
		add_ident(b, names->v[i]);
	}
	sb_addc(b, ')');
}

/* "public.users" on PostgreSQL, "users" on SQLite. */
static void add_qualified(sbuf *b, const sch_model *m, const char *name)
{
	if (m->kind != DIALECT_SQLITE && m->schema && *m->schema)
		sb_addf(b, "%s.", m->schema);
	sb_adds(b, name);
}

static int has_text(const char *s)
{
	return s && *s;
}

/* ---- the grid ----------------------------------------------------------------- */

typedef struct grid {
	size_t ncols;
	const char *const *heads;
	const int *right; /* per column: right-aligned (numbers); may be NULL */
	strvec cells;     /* row-major, ncols per row, owned */
} grid;

static void grid_add(grid *g, const char *s)
{
	sv_push_owned(&g->cells, cell(s));
}

static void grid_print(sbuf *b, grid *g)
{
	size_t nc = g->ncols, nrows = g->cells.n / nc;
	size_t *w = xcalloc(nc, sizeof *w);
	for (size_t c = 0; c < nc; c++) {
		w[c] = text_width(g->heads[c]);
		for (size_t r = 0; r < nrows; r++) {
			size_t cw = text_width(g->cells.v[r * nc + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	}
	sbuf l = SBUF_INIT;
	/* header, centred: psql puts the odd blank on the right */
	for (size_t c = 0; c < nc; c++) {
		size_t hw = text_width(g->heads[c]), left = (w[c] - hw) / 2;
		sb_adds(&l, c ? " | " : " ");
		pad(&l, left);
		sb_adds(&l, g->heads[c]);
		pad(&l, w[c] - hw - left);
	}
	add_line(b, l.buf, l.len);
	sb_reset(&l);
	for (size_t c = 0; c < nc; c++) {
		if (c)
			sb_addc(&l, '+');
		for (size_t i = 0; i < w[c] + 2; i++)
			sb_addc(&l, '-');
	}
	add_line(b, l.buf, l.len);
	for (size_t r = 0; r < nrows; r++) {
		sb_reset(&l);
		for (size_t c = 0; c < nc; c++) {
			const char *s = g->cells.v[r * nc + c];
			size_t sw = text_width(s);
			sb_adds(&l, c ? " | " : " ");
			if (g->right && g->right[c]) {
				pad(&l, w[c] - sw);
				sb_adds(&l, s);
			} else {
				sb_adds(&l, s);
				pad(&l, w[c] - sw);
			}
		}
		add_line(b, l.buf, l.len);
	}
	sb_free(&l);
	free(w);
	sv_free(&g->cells);
}

/* ---- pieces of the table form -------------------------------------------- */

/* A section: its heading once, before its first line. */
typedef struct section {
	sbuf *b;
	const char *heading;
	int started;
} section;

static void section_line(section *s, const char *line)
{
	if (!s->started) {
		sb_addf(s->b, "%s\n", s->heading);
		s->started = 1;
	}
	add_lines(s->b, "    ", line);
}

static const sch_constraint *find_pk(const sch_table *t)
{
	for (size_t i = 0; i < t->ncons; i++)
		if (t->cons[i].kind == SCH_PK)
			return &t->cons[i];
	return NULL;
}

/* The primary key's columns: the constraint's, or the columns' positions
 * when the model has no PK constraint (an empty vector: no key). */
static void pk_columns(const sch_table *t, strvec *out)
{
	const sch_constraint *pk = find_pk(t);
	if (pk) {
		sv_copy(out, &pk->cols);
		return;
	}
	for (int pos = 1;; pos++) {
		int found = 0;
		for (size_t i = 0; i < t->ncols; i++)
			if (t->cols[i].pk == pos) {
				sv_push(out, t->cols[i].name);
				found = 1;
			}
		if (!found)
			break;
	}
}

static void add_deferrable(sbuf *b, int deferrable)
{
	if (deferrable)
		sb_adds(b, " DEFERRABLE");
	if (deferrable == 2)
		sb_adds(b, " INITIALLY DEFERRED");
}

static int is_no_action(const char *action)
{
	return !has_text(action) || strcasecmp(action, "NO ACTION") == 0;
}

/* "FOREIGN KEY (a) REFERENCES t(id) ON UPDATE x ON DELETE y", in the order
 * pg_get_constraintdef writes it. */
static void add_fk(sbuf *b, const sch_constraint *k)
{
	sb_adds(b, "FOREIGN KEY ");
	add_ident_list(b, &k->cols);
	sb_adds(b, " REFERENCES ");
	if (has_text(k->ref_schema)) {
		add_ident(b, k->ref_schema);
		sb_addc(b, '.');
	}
	add_ident(b, k->ref_table ? k->ref_table : "");
	if (k->ref_cols.n)
		add_ident_list(b, &k->ref_cols);
	if (!is_no_action(k->on_update))
		sb_addf(b, " ON UPDATE %s", k->on_update);
	if (!is_no_action(k->on_delete))
		sb_addf(b, " ON DELETE %s", k->on_delete);
	add_deferrable(b, k->deferrable);
}

static void add_con_name(sbuf *b, const sch_constraint *k)
{
	if (has_text(k->name))
		sb_addf(b, "\"%s\" ", k->name);
}

static const char *check_text(const sch_constraint *k)
{
	return has_text(k->expr) ? k->expr : k->def;
}

/* Is an index the one behind a constraint listed already? */
static int backs_constraint(const sch_table *t, const sch_index *x)
{
	if (!t)
		return 0;
	for (size_t i = 0; i < t->ncons; i++) {
		const sch_constraint *k = &t->cons[i];
		if ((k->kind == SCH_PK || k->kind == SCH_UNIQUE || k->kind == SCH_EXCLUDE) &&
		    has_text(k->name) && strcmp(k->name, x->name) == 0)
			return 1;
	}
	return 0;
}

static void add_index_line(sbuf *b, const sch_table *t, const sch_index *x)
{
	sb_addf(b, "\"%s\"", x->name);
	if (x->unique)
		sb_adds(b, has_text(x->method) ? " UNIQUE," : " UNIQUE");
	if (has_text(x->method))
		sb_addf(b, " %s", x->method);
	if (x->keys.n) {
		sb_adds(b, " (");
		for (size_t i = 0; i < x->keys.n; i++) {
			if (i)
				sb_adds(b, ", ");
			if (t && sch_find_column(t, x->keys.v[i]))
				add_ident(b, x->keys.v[i]);
			else
				sb_adds(b, x->keys.v[i]);
		}
		sb_addc(b, ')');
	} else if (has_text(x->def)) {
		sb_addf(b, " %s", x->def);
	}
	if (has_text(x->where))
		sb_addf(b, " WHERE %s", x->where);
}

/* Indexes of a relation (table or materialized view); t may be NULL. */
static void indexes_section(sbuf *b, const sch_model *m, const char *rel, const sch_table *t)
{
	section s = {b, "Indexes:", 0};
	sbuf l = SBUF_INIT;
	if (t) {
		strvec pk = STRVEC_INIT;
		pk_columns(t, &pk);
		if (pk.n) {
			const sch_constraint *k = find_pk(t);
			if (k)
				add_con_name(&l, k);
			sb_adds(&l, "PRIMARY KEY ");
			add_ident_list(&l, &pk);
			section_line(&s, sb_str(&l));
		}
		sv_free(&pk);
		for (size_t i = 0; i < t->ncons; i++) {
			const sch_constraint *k = &t->cons[i];
			sb_reset(&l);
			if (k->kind == SCH_UNIQUE) {
				add_con_name(&l, k);
				sb_adds(&l, "UNIQUE CONSTRAINT ");
				add_ident_list(&l, &k->cols);
				add_deferrable(&l, k->deferrable);
			} else if (k->kind == SCH_EXCLUDE) {
				add_con_name(&l, k);
				sb_adds(&l, has_text(k->def) ? k->def : "EXCLUDE");
			} else {
				continue;
			}
			section_line(&s, sb_str(&l));
		}
	}
	for (size_t i = 0; i < m->nindexes; i++) {
		const sch_index *x = &m->indexes[i];
		if (strcmp(x->table, rel) != 0 || backs_constraint(t, x))
			continue;
		sb_reset(&l);
		add_index_line(&l, t, x);
		section_line(&s, sb_str(&l));
	}
	sb_free(&l);
}

/* "trg BEFORE UPDATE ON t ...": what follows the name in the CREATE
 * TRIGGER statement (psql prints what follows " TRIGGER "). */
static const char *trigger_tail(const char *def)
{
	const char *p = def;
	for (; p && *p; p++)
		if (strncasecmp(p, "TRIGGER", 7) == 0 &&
		    (p == def || p[-1] == ' ' || p[-1] == '\n') &&
		    (p[7] == ' ' || p[7] == '\n' || p[7] == '\t'))
			break;
	if (!p || !*p)
		return NULL;
	p += 7;
	while (*p == ' ' || *p == '\n' || *p == '\t')
		p++;
	if (strncasecmp(p, "IF NOT EXISTS", 13) == 0) {
		p += 13;
		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
	}
	/* the name, perhaps quoted, perhaps schema-qualified */
	for (;;) {
		char close = *p == '"' ? '"' : *p == '`' ? '`' : *p == '[' ? ']' : 0;
		if (close) {
			p++;
			while (*p && !(*p == close && p[1] != close))
				p += (*p == close) ? 2 : 1;
			if (*p)
				p++;
		} else {
			while (*p && *p != ' ' && *p != '\n' && *p != '\t' && *p != '.')
				p++;
		}
		if (*p != '.')
			break;
		p++;
	}
	while (*p == ' ' || *p == '\n' || *p == '\t')
		p++;
	return p;
}

static void triggers_section(sbuf *b, const sch_model *m, const char *rel)
{
	section s = {b, "Triggers:", 0};
	for (size_t i = 0; i < m->ntriggers; i++) {
		const sch_trigger *g = &m->triggers[i];
		if (strcmp(g->table, rel) != 0)
			continue;
		const char *tail = trigger_tail(g->def);
		char *line = has_text(tail) ? xasprintf("%s %s", g->name, tail) : xstrdup(g->name);
		section_line(&s, line);
		free(line);
	}
}

static void comment_line(sbuf *b, const char *comment)
{
	if (!has_text(comment))
		return;
	char *c = cell(comment);
	sbuf l = SBUF_INIT;
	sb_addf(&l, "Comment: %s", c);
	add_line(b, l.buf, l.len);
	sb_free(&l);
	free(c);
}

static void title(sbuf *b, const sch_model *m, const char *what, const char *name)
{
	sb_addf(b, "%s \"", what);
	add_qualified(b, m, name);
	sb_adds(b, "\"\n");
}

/* ---- the text forms ----------------------------------------------------------- */

static void describe_table(sbuf *b, const sch_model *m, const sch_table *t)
{
	int collation = 0, description = 0;
	for (size_t i = 0; i < t->ncols; i++) {
		collation |= has_text(t->cols[i].collation);
		description |= has_text(t->cols[i].comment);
	}
	const char *heads[6];
	size_t nc = 0;
	heads[nc++] = "Column";
	heads[nc++] = "Type";
	if (collation)
		heads[nc++] = "Collation";
	heads[nc++] = "Nullable";
	heads[nc++] = "Default";
	if (description)
		heads[nc++] = "Description";
	grid g = {nc, heads, NULL, STRVEC_INIT};
	for (size_t i = 0; i < t->ncols; i++) {
		const sch_column *c = &t->cols[i];
		grid_add(&g, c->name);
		grid_add(&g, c->type);
		if (collation)
			grid_add(&g, c->collation);
		grid_add(&g, c->notnull ? "not null" : "");
		char *dflt;
		if (has_text(c->identity))
			dflt = xasprintf("generated %s as identity", c->identity);
		else if (has_text(c->generated))
			dflt = xasprintf("generated always as (%s)", c->generated);
		else
			dflt = xstrdup(c->dflt ? c->dflt : "");
		grid_add(&g, dflt);
		free(dflt);
		if (description)
			grid_add(&g, c->comment);
	}
	title(b, m, "Table", t->name);
	grid_print(b, &g);

	indexes_section(b, m, t->name, t);

	section s = {b, "Check constraints:", 0};
	sbuf l = SBUF_INIT;
	for (size_t i = 0; i < t->ncons; i++) {
		const sch_constraint *k = &t->cons[i];
		if (k->kind != SCH_CHECK)
			continue;
		sb_reset(&l);
		add_con_name(&l, k);
		const char *e = check_text(k);
		if (e && strncasecmp(e, "CHECK", 5) == 0 && (e[5] == ' ' || e[5] == '('))
			sb_adds(&l, e); /* a definition that says CHECK itself */
		else
			sb_addf(&l, "CHECK (%s)", e ? e : "");
		section_line(&s, sb_str(&l));
	}

	s = (section){b, "Foreign-key constraints:", 0};
	for (size_t i = 0; i < t->ncons; i++) {
		const sch_constraint *k = &t->cons[i];
		if (k->kind != SCH_FK)
			continue;
		sb_reset(&l);
		add_con_name(&l, k);
		add_fk(&l, k);
		section_line(&s, sb_str(&l));
	}

	s = (section){b, "Referenced by:", 0};
	for (size_t j = 0; j < m->ntables; j++) {
		const sch_table *o = &m->tables[j];
		for (size_t i = 0; i < o->ncons; i++) {
			const sch_constraint *k = &o->cons[i];
			if (k->kind != SCH_FK || !k->ref_table ||
			    strcmp(k->ref_table, t->name) != 0)
				continue;
			if (has_text(k->ref_schema) &&
			    !(m->schema && strcmp(k->ref_schema, m->schema) == 0))
				continue;
			sb_reset(&l);
			sb_addf(&l, "TABLE \"%s\" ", o->name);
			if (has_text(k->name))
				sb_addf(&l, "CONSTRAINT \"%s\" ", k->name);
			add_fk(&l, k);
			section_line(&s, sb_str(&l));
		}
	}
	sb_free(&l);

	triggers_section(b, m, t->name);
	if (t->without_rowid || t->strict)
		sb_addf(b, "Options: %s%s%s\n", t->without_rowid ? "WITHOUT ROWID" : "",
		        t->without_rowid && t->strict ? ", " : "", t->strict ? "STRICT" : "");
	comment_line(b, t->comment);
}

static void describe_view(sbuf *b, const sch_model *m, const sch_view *v)
{
	title(b, m, v->materialized ? "Materialized view" : "View", v->name);
	if (has_text(v->def)) {
		sb_adds(b, "View definition:\n");
		add_lines(b, "", v->def);
	}
	indexes_section(b, m, v->name, NULL);
	triggers_section(b, m, v->name);
	comment_line(b, v->comment);
}

static void describe_enum(sbuf *b, const sch_model *m, const sch_enum *e)
{
	title(b, m, "Type", e->name);
	sbuf l = SBUF_INIT;
	sb_adds(&l, "Values: ");
	sv_join(&l, &e->values, ", ");
	add_line(b, l.buf, l.len);
	sb_free(&l);
	comment_line(b, e->comment);
}

static void describe_sequence(sbuf *b, const sch_model *m, const sch_sequence *q)
{
	static const char *const heads[] = {"Type",    "Start",     "Minimum",
	                                    "Maximum", "Increment", "Cycles?"};
	static const int right[] = {0, 1, 1, 1, 1, 0};
	grid g = {6, heads, right, STRVEC_INIT};
	grid_add(&g, q->type ? q->type : "bigint");
	sv_push_owned(&g.cells, xasprintf("%lld", q->start));
	sv_push_owned(&g.cells, xasprintf("%lld", q->min));
	sv_push_owned(&g.cells, xasprintf("%lld", q->max));
	sv_push_owned(&g.cells, xasprintf("%lld", q->increment));
	grid_add(&g, q->cycle ? "yes" : "no");
	title(b, m, "Sequence", q->name);
	grid_print(b, &g);
	if (has_text(q->owned_by)) {
		sb_adds(b, "Owned by: ");
		add_qualified(b, m, q->owned_by);
		sb_addc(b, '\n');
	}
}

static void describe_all(sbuf *b, const sch_model *m)
{
	size_t start = b->len;
#define SEP()                                                                                      \
	do {                                                                                       \
		if (b->len > start)                                                                \
			sb_addc(b, '\n');                                                          \
	} while (0)
	for (size_t i = 0; i < m->ntables; i++) {
		SEP();
		describe_table(b, m, &m->tables[i]);
	}
	for (size_t i = 0; i < m->nviews; i++) {
		SEP();
		describe_view(b, m, &m->views[i]);
	}
	for (size_t i = 0; i < m->nenums; i++) {
		SEP();
		describe_enum(b, m, &m->enums[i]);
	}
	for (size_t i = 0; i < m->nseqs; i++) {
		if (has_text(m->seqs[i].owned_by))
			continue;
		SEP();
		describe_sequence(b, m, &m->seqs[i]);
	}
#undef SEP
	if (b->len == start)
		sb_adds(b, "No relations found.\n");
}

/* ---- JSON ------------------------------------------------------------------------ */

/* A JSON string, or null for NULL; bytes that are not UTF-8 become '?'. */
static json_t *jstr(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	char *c = xstrdup(s);
	for (char *p = c; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(c);
	free(c);
	return j ? j : json_null();
}

static json_t *jstrvec(const strvec *v)
{
	json_t *a = json_array();
	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, jstr(v->v[i]));
	return a;
}

/* A constraint's name: null when the database gave none. */
static json_t *jname(const char *s)
{
	return has_text(s) ? jstr(s) : json_null();
}

static json_t *json_table(const sch_model *m, const sch_table *t)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", jstr(t->name));

	json_t *cols = json_array();
	for (size_t i = 0; i < t->ncols; i++) {
		const sch_column *c = &t->cols[i];
		json_t *jc = json_object();
		json_object_set_new(jc, "name", jstr(c->name));
		json_object_set_new(jc, "type", jstr(c->type));
		json_object_set_new(jc, "nullable", json_boolean(!c->notnull));
		json_object_set_new(jc, "default", jstr(c->dflt));
		json_object_set_new(jc, "primary_key", json_boolean(c->pk != 0));
		json_object_set_new(jc, "identity", jname(c->identity));
		json_object_set_new(jc, "comment", jstr(c->comment));
		json_object_set_new(jc, "generated", jname(c->generated));
		json_object_set_new(jc, "collation", jname(c->collation));
		json_array_append_new(cols, jc);
	}
	json_object_set_new(o, "columns", cols);

	strvec pk = STRVEC_INIT;
	pk_columns(t, &pk);
	json_object_set_new(o, "primary_key", pk.n ? jstrvec(&pk) : json_null());
	sv_free(&pk);

	json_t *uniq = json_array(), *fks = json_array(), *checks = json_array(),
	       *excl = json_array();
	for (size_t i = 0; i < t->ncons; i++) {
		const sch_constraint *k = &t->cons[i];
		json_t *jk = json_object();
		json_object_set_new(jk, "name", jname(k->name));
		switch (k->kind) {
		case SCH_PK:
			json_decref(jk);
			continue;
		case SCH_UNIQUE:
			json_object_set_new(jk, "columns", jstrvec(&k->cols));
			json_array_append_new(uniq, jk);
			break;
		case SCH_FK: {
			json_object_set_new(jk, "columns", jstrvec(&k->cols));
			json_t *ref = json_object();
			json_object_set_new(ref, "schema", jname(k->ref_schema));
			json_object_set_new(ref, "table", jstr(k->ref_table));
			json_object_set_new(ref, "columns", jstrvec(&k->ref_cols));
			json_object_set_new(jk, "references", ref);
			json_object_set_new(jk, "on_delete", jname(k->on_delete));
			json_object_set_new(jk, "on_update", jname(k->on_update));
			json_array_append_new(fks, jk);
			break;
		}
		case SCH_CHECK:
			json_object_set_new(jk, "expression", jstr(check_text(k)));
			json_array_append_new(checks, jk);
			break;
		case SCH_EXCLUDE:
			json_object_set_new(jk, "definition", jstr(k->def));
			json_array_append_new(excl, jk);
			break;
		}
	}
	json_object_set_new(o, "unique", uniq);
	json_object_set_new(o, "foreign_keys", fks);
	json_object_set_new(o, "checks", checks);
	json_object_set_new(o, "exclusions", excl);

	json_t *idx = json_array();
	for (size_t i = 0; i < m->nindexes; i++) {
		const sch_index *x = &m->indexes[i];
		if (strcmp(x->table, t->name) != 0 || backs_constraint(t, x))
			continue;
		json_t *jx = json_object();
		json_object_set_new(jx, "name", jstr(x->name));
		json_object_set_new(jx, "unique", json_boolean(x->unique));
		json_object_set_new(jx, "keys", jstrvec(&x->keys));
		json_object_set_new(jx, "where", jname(x->where));
		json_object_set_new(jx, "definition", jstr(x->def));
		json_array_append_new(idx, jx);
	}
	json_object_set_new(o, "indexes", idx);

	json_t *trg = json_array();
	for (size_t i = 0; i < m->ntriggers; i++) {
		const sch_trigger *g = &m->triggers[i];
		if (strcmp(g->table, t->name) != 0)
			continue;
		json_t *jg = json_object();
		json_object_set_new(jg, "name", jstr(g->name));
		json_object_set_new(jg, "definition", jstr(g->def));
		json_array_append_new(trg, jg);
	}
	json_object_set_new(o, "triggers", trg);
	json_object_set_new(o, "comment", jstr(t->comment));
	return o;
}

static json_t *json_view(const sch_view *v)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", jstr(v->name));
	json_object_set_new(o, "definition", jstr(v->def));
	json_object_set_new(o, "depends_on", jstrvec(&v->deps));
	json_object_set_new(o, "materialized", json_boolean(v->materialized));
	json_object_set_new(o, "comment", jstr(v->comment));
	return o;
}

static json_t *json_enum(const sch_enum *e)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", jstr(e->name));
	json_object_set_new(o, "values", jstrvec(&e->values));
	json_object_set_new(o, "comment", jstr(e->comment));
	return o;
}

static json_t *json_sequence(const sch_sequence *q)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", jstr(q->name));
	json_object_set_new(o, "type", jstr(q->type));
	json_object_set_new(o, "start", json_integer(q->start));
	json_object_set_new(o, "increment", json_integer(q->increment));
	json_object_set_new(o, "min", json_integer(q->min));
	json_object_set_new(o, "max", json_integer(q->max));
	json_object_set_new(o, "cycle", json_boolean(q->cycle));
	json_object_set_new(o, "owned_by", jname(q->owned_by));
	return o;
}

/* One document; with one relation given (t, v or q), only it. */
static void describe_json(sbuf *b, const sch_model *m, int all, const sch_table *t,
                          const sch_view *v, const sch_sequence *q)
{
	json_t *doc = json_object();
	json_object_set_new(doc, "schema",
	                    m->kind == DIALECT_SQLITE ? json_null() : jname(m->schema));
	json_t *tables = json_array(), *views = json_array(), *enums = json_array(),
	       *seqs = json_array();
	if (all) {
		for (size_t i = 0; i < m->ntables; i++)
			json_array_append_new(tables, json_table(m, &m->tables[i]));
		for (size_t i = 0; i < m->nviews; i++)
			json_array_append_new(views, json_view(&m->views[i]));
		for (size_t i = 0; i < m->nenums; i++)
			json_array_append_new(enums, json_enum(&m->enums[i]));
		for (size_t i = 0; i < m->nseqs; i++)
			json_array_append_new(seqs, json_sequence(&m->seqs[i]));
	} else if (t) {
		json_array_append_new(tables, json_table(m, t));
	} else if (v) {
		json_array_append_new(views, json_view(v));
	} else if (q) {
		json_array_append_new(seqs, json_sequence(q));
	}
	json_object_set_new(doc, "tables", tables);
	json_object_set_new(doc, "views", views);
	json_object_set_new(doc, "enums", enums);
	json_object_set_new(doc, "sequences", seqs);
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	sb_adds(b, s ? s : "null");
	sb_addc(b, '\n');
	free(s);
}

/* ---- entry point ------------------------------------------------------------------ */

int sch_describe(const sch_model *m, const char *table, int json, sbuf *out, retort_error *err)
{
	const sch_table *t = NULL;
	const sch_view *v = NULL;
	const sch_sequence *q = NULL;
	if (table) {
		t = sch_find_table(m, table);
		if (!t)
			v = sch_find_view(m, table);
		if (!t && !v)
			q = sch_find_sequence(m, table);
		if (!t && !v && !q)
			return rt_error(err, RETORT_EUSAGE, NULL, 0,
			                "Did not find any relation named \"%s\".", table);
	}
	if (json)
		describe_json(out, m, table == NULL, t, v, q);
	else if (t)
		describe_table(out, m, t);
	else if (v)
		describe_view(out, m, v);
	else if (q)
		describe_sequence(out, m, q);
	else
		describe_all(out, m);
	return RETORT_OK;
}
