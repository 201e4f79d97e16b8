/*
 * render.c: a diff → the SQL of one direction of a revision, for
 * SQLite or PostgreSQL. It owns the order of the statements (what stands
 * in the way goes first, what uses a thing comes after it) and, on
 * SQLite, the choice between ALTER TABLE and the 12-step table rebuild
 * of https://www.sqlite.org/lang_altertable.html ("Making Other Kinds Of
 * Table Schema Changes"), which keeps every row, index, trigger and view
 * and ends with PRAGMA foreign_key_check (the SQLite driver fails the
 * statement when it reports a row). Texts the database gave (SQLite's
 * CREATE statements, PostgreSQL's index and constraint definitions) are
 * reused as they are; only what has no such text is composed here.
 */
#define _GNU_SOURCE /* strcasestr */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema.h"

typedef struct rctx {
	const sch_model *from, *to;
	const sch_diff *d;
	int pg;
	int sqlite_version;
	sbuf *out;
	strvec rebuilt;     /* SQLite: to-side names of tables rebuilt */
	strvec drop_views;  /* from-side views dropped (and recreated if still wanted) */
} rctx;

/* ---- names and small texts ---------------------------------------------------- */

static int reserved(const char *w)
{
	static const char *const words[] = {
	    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "between", "both", "by",
	    "case", "cast", "check", "collate", "column", "constraint", "create", "cross", "current_date",
	    "current_time", "current_timestamp", "current_user", "default", "deferrable", "delete",
	    "desc", "distinct", "do", "drop", "else", "end", "except", "exists", "false", "fetch",
	    "for", "foreign", "from", "full", "grant", "group", "having", "in", "index", "initially",
	    "inner", "insert", "intersect", "into", "is", "join", "key", "leading", "left", "like",
	    "limit", "natural", "not", "null", "offset", "on", "only", "or", "order", "outer",
	    "primary", "references", "returning", "right", "select", "session_user", "set", "some",
	    "table", "then", "to", "trailing", "true", "union", "unique", "update", "user", "using",
	    "values", "view", "when", "where", "window", "with", NULL};
	for (int i = 0; words[i]; i++)
		if (strcmp(words[i], w) == 0)
			return 1;
	return 0;
}

/* An identifier, quoted only when it must be. Returns a static-lifetime
 * slot of a small ring, so a few can appear in one sb_addf. */
static const char *id(const char *name)
{
	static __thread char *ring[8];
	static __thread int next;
	int plain = name && *name && (islower((unsigned char)*name) || *name == '_');
	for (const char *p = name; plain && *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_'))
			plain = 0;
	if (plain && reserved(name))
		plain = 0;
	free(ring[next]);
	if (plain) {
		ring[next] = xstrdup(name);
	} else {
		sbuf b = SBUF_INIT;
		sb_addc(&b, '"');
		for (const char *p = name ? name : ""; *p; p++) {
			if (*p == '"')
				sb_addc(&b, '"');
			sb_addc(&b, *p);
		}
		sb_addc(&b, '"');
		ring[next] = sb_detach(&b);
	}
	const char *r = ring[next];
	next = (next + 1) % 8;
	return r;
}

static char *literal(const char *s)
{
	sbuf b = SBUF_INIT;
	sb_addc(&b, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			sb_addc(&b, '\'');
		sb_addc(&b, *p);
	}
	sb_addc(&b, '\'');
	return sb_detach(&b);
}

static void id_list(sbuf *b, const strvec *v)
{
	for (size_t i = 0; i < v->n; i++)
		sb_addf(b, "%s%s", i ? ", " : "", id(v->v[i]));
}

static void emit(rctx *r, const char *fmt, ...) RT_PRINTF(2, 3);
static void emit(rctx *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(r->out, fmt, ap);
	va_end(ap);
	sb_adds(r->out, ";\n");
}

/* A text the database gave, written as a statement (trailing ';' and blanks dropped). */
static void emit_text(rctx *r, const char *text)
{
	size_t n = strlen(text);
	while (n && (isspace((unsigned char)text[n - 1]) || text[n - 1] == ';'))
		n--;
	sb_add(r->out, text, n);
	sb_adds(r->out, ";\n");
}

static void comment(rctx *r, const char *fmt, ...) RT_PRINTF(2, 3);
static void comment(rctx *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_adds(r->out, "-- ");
	sb_vaddf(r->out, fmt, ap);
	va_end(ap);
	sb_addc(r->out, '\n');
}

/* Does text mention identifier name (as a word, case-insensitively)? */
static int mentions(const char *text, const char *name)
{
	size_t n = strlen(name);
	if (!text || !n)
		return 0;
	for (const char *p = text; *p; p++) {
		if (strncasecmp(p, name, n) != 0)
			continue;
		char before = p == text ? ' ' : p[-1], after = p[n];
		if ((isalnum((unsigned char)before) || before == '_') ||
		    (isalnum((unsigned char)after) || after == '_'))
			continue;
		return 1;
	}
	return 0;
}

static int is_rebuilt(const rctx *r, const char *table)
{
	return table && sv_index(&r->rebuilt, table) >= 0;
}

/* The from-side name of to-side column col of table (renames followed). */
static const char *col_source(const rctx *r, const char *table, const char *col)
{
	for (size_t i = 0; i < r->d->n; i++) {
		const sch_change *c = &r->d->v[i];
		if (c->kind == CH_RENAME_COLUMN && strcmp(c->table, table) == 0 &&
		    strcmp(c->name, col) == 0)
			return c->old_name;
	}
	return col;
}

/* ---- SQLite: texts inside a CREATE TABLE statement ----------------------------- */

/* Skips one token of SQL at p: a quoted name or literal, a comment, or
 * one character. */
static const char *skip_token(const char *p)
{
	char q = *p;
	if (q == '\'' || q == '"' || q == '`' || q == '[') {
		char close = q == '[' ? ']' : q;
		p++;
		while (*p && *p != close)
			p++;
		return *p ? p + 1 : p;
	}
	if (q == '-' && p[1] == '-') {
		while (*p && *p != '\n')
			p++;
		return p;
	}
	if (q == '/' && p[1] == '*') {
		const char *e = strstr(p + 2, "*/");
		return e ? e + 2 : p + strlen(p);
	}
	return p + 1;
}

/* The top-level items of a CREATE TABLE's parenthesised body. */
static void table_items(const char *sql, strvec *out)
{
	const char *p = sql;
	while (*p && *p != '(')
		p = skip_token(p);
	if (!*p)
		return;
	p++;
	const char *start = p;
	int depth = 0;
	while (*p) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth-- == 0)
			break;
		if (depth == 0 && *p == ',') {
			sv_push_owned(out, xstrndup(start, (size_t)(p - start)));
			start = p + 1;
		}
		p = skip_token(p);
	}
	sv_push_owned(out, xstrndup(start, (size_t)(p - start)));
	for (size_t i = 0; i < out->n; i++) { /* trim */
		char *s = out->v[i];
		char *b = s;
		/* blanks and comments before the item (a comment after the
		 * previous item's comma, like "-- renamed from: x") */
		for (;;) {
			while (isspace((unsigned char)*b))
				b++;
			if ((b[0] == '-' && b[1] == '-') || (b[0] == '/' && b[1] == '*'))
				b = (char *)skip_token(b);
			else
				break;
		}
		memmove(s, b, strlen(b) + 1);
		size_t n = strlen(s);
		while (n && isspace((unsigned char)s[n - 1]))
			s[--n] = 0;
	}
}

/* The definition of column col in a CREATE TABLE text; caller frees; NULL if not found. */
static char *sqlite_column_def(const char *sql, const char *col)
{
	strvec items = STRVEC_INIT;
	char *def = NULL;
	table_items(sql, &items);
	for (size_t i = 0; i < items.n && !def; i++) {
		const char *s = items.v[i];
		const char *e = skip_token(s);
		char *first;
		if (*s == '"' || *s == '`' || *s == '[') {
			first = xstrndup(s + 1, (size_t)(e - s - 2));
		} else {
			e = s;
			while (*e && (isalnum((unsigned char)*e) || *e == '_' || *e == '$'))
				e++;
			first = xstrndup(s, (size_t)(e - s));
		}
		if (strcasecmp(first, col) == 0) {
			/* the text without its comments, which would swallow the ';' */
			sbuf b = SBUF_INIT;
			for (const char *p = s; *p;) {
				const char *n = skip_token(p);
				if ((p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*'))
					sb_addc(&b, ' ');
				else
					sb_add(&b, p, (size_t)(n - p));
				p = n;
			}
			while (b.len && isspace((unsigned char)b.buf[b.len - 1]))
				b.buf[--b.len] = 0;
			def = sb_detach(&b);
		}
		free(first);
	}
	sv_free(&items);
	return def;
}

/* The CREATE TABLE text with its name replaced by name. */
static char *sqlite_sql_renamed(const char *sql, const char *name)
{
	const char *p = sql;
	while (*p && *p != '(')
		p = skip_token(p);
	return xasprintf("CREATE TABLE %s %s", id(name), p);
}

/* Can SQLite's ALTER TABLE ADD COLUMN add this column? */
static int sqlite_can_add(const rctx *r, const sch_table *tt, const sch_column *c)
{
	if (c->pk || c->generated || c->hidden)
		return 0;
	if (c->notnull && !c->dflt)
		return 0;
	if (c->dflt) {
		char *n = sch_norm_expr(c->dflt);
		int volatile_default = strstr(n, "current_") != NULL || strchr(n, '(') != NULL;
		free(n);
		if (volatile_default)
			return 0;
	}
	for (size_t i = 0; i < tt->ncons; i++)
		if (sv_index(&tt->cons[i].cols, c->name) >= 0 &&
		    (tt->cons[i].kind != SCH_FK || (c->dflt && strcasecmp(c->dflt, "null") != 0)))
			return 0;
	(void)r;
	return 1;
}

/* Can SQLite's ALTER TABLE DROP COLUMN drop this column (3.35+)? */
static int sqlite_can_drop(const rctx *r, const sch_table *ft, const sch_column *c)
{
	if (r->sqlite_version < 3035000 || c->pk)
		return 0;
	for (size_t i = 0; i < ft->ncons; i++)
		if (sv_index(&ft->cons[i].cols, c->name) >= 0 ||
		    (ft->cons[i].kind == SCH_CHECK && mentions(ft->cons[i].expr, c->name)))
			return 0;
	for (size_t i = 0; i < ft->ncols; i++)
		if (ft->cols[i].generated)
			return 0;
	for (size_t i = 0; i < r->from->nindexes; i++) {
		const sch_index *x = &r->from->indexes[i];
		/* an index the change drops anyway goes first (DROP INDEX) */
		if (strcmp(x->table, ft->name) != 0 || !mentions(x->def, c->name))
			continue;
		int dropped = 0;
		for (size_t k = 0; k < r->d->n && !dropped; k++)
			dropped = r->d->v[k].kind == CH_DROP_INDEX && r->d->v[k].index == x;
		if (!dropped)
			return 0;
	}
	for (size_t i = 0; i < r->from->ntriggers; i++)
		if (mentions(r->from->triggers[i].def, c->name))
			return 0;
	return 1;
}

/* Which kept tables SQLite must rebuild: any change ALTER TABLE cannot make. */
static void sqlite_choose_rebuilds(rctx *r)
{
	for (size_t i = 0; i < r->d->n; i++) {
		const sch_change *c = &r->d->v[i];
		if (c->hint || !c->from_table || !c->to_table || is_rebuilt(r, c->table))
			continue;
		int rebuild = 0;
		switch (c->kind) {
		case CH_ALTER_TYPE:
		case CH_ALTER_NULL:
		case CH_ALTER_DEFAULT:
		case CH_ALTER_COLUMN:
		case CH_ADD_CONSTRAINT:
		case CH_DROP_CONSTRAINT:
		case CH_TABLE_OPTIONS:
			rebuild = 1;
			break;
		case CH_ADD_COLUMN:
			rebuild = !sqlite_can_add(r, c->to_table, c->to_col);
			break;
		case CH_DROP_COLUMN:
			rebuild = !sqlite_can_drop(r, c->from_table, c->from_col);
			break;
		case CH_RENAME_COLUMN:
			rebuild = r->sqlite_version < 3025000;
			break;
		default:
			break;
		}
		if (rebuild)
			sv_push(&r->rebuilt, c->table);
	}
}

/* ---- views in the way ------------------------------------------------------------ */

/* Does from-side view v read (directly or through other views) a name in set? */
static int view_reads(const sch_model *m, const sch_view *v, const strvec *set, int depth)
{
	if (depth > 64)
		return 0;
	for (size_t i = 0; i < v->deps.n; i++) {
		if (sv_index(set, v->deps.v[i]) >= 0)
			return 1;
		const sch_view *w = sch_find_view(m, v->deps.v[i]);
		if (w && w != v && view_reads(m, w, set, depth + 1))
			return 1;
	}
	return 0;
}

/* Views to drop first: those removed or changed, and every view that
 * reads a table whose columns change, a rebuilt, renamed or dropped table,
 * or a view dropped itself. */
static void choose_view_drops(rctx *r)
{
	strvec touched = STRVEC_INIT; /* from-side names */
	for (size_t i = 0; i < r->d->n; i++) {
		const sch_change *c = &r->d->v[i];
		if (c->hint)
			continue;
		switch (c->kind) {
		case CH_DROP_VIEW:
			sv_push(&touched, c->name);
			break;
		case CH_DROP_TABLE:
		case CH_RENAME_TABLE:
		case CH_DROP_COLUMN:
		case CH_RENAME_COLUMN:
		case CH_ALTER_TYPE:
		case CH_ALTER_COLUMN:
		case CH_ENUM_REBUILD:
			if (c->from_table)
				sv_push(&touched, c->from_table->name);
			break;
		default:
			break;
		}
	}
	for (size_t i = 0; i < r->rebuilt.n; i++) {
		for (size_t j = 0; j < r->d->n; j++)
			if (r->d->v[j].from_table && strcmp(r->d->v[j].table, r->rebuilt.v[i]) == 0) {
				sv_push(&touched, r->d->v[j].from_table->name);
				break;
			}
	}
	/* a rebuilt enum's columns: the tables that use the type */
	for (size_t i = 0; i < r->d->n; i++) {
		const sch_change *c = &r->d->v[i];
		if (c->kind != CH_ENUM_REBUILD)
			continue;
		for (size_t t = 0; t < r->from->ntables; t++)
			for (size_t k = 0; k < r->from->tables[t].ncols; k++)
				if (strcmp(r->from->tables[t].cols[k].type, c->name) == 0)
					sv_push(&touched, r->from->tables[t].name);
	}
	for (size_t i = 0; i < r->from->nviews; i++) {
		const sch_view *v = &r->from->views[i];
		if (sv_index(&touched, v->name) >= 0 || view_reads(r->from, v, &touched, 0))
			sv_push(&r->drop_views, v->name);
	}
	sv_free(&touched);
}

/* ---- PostgreSQL pieces -------------------------------------------------------------- */

static void pg_column_def(sbuf *b, const sch_column *c)
{
	const char *type = c->type;
	if (c->serial) {
		type = strcmp(c->type, "bigint") == 0     ? "bigserial" :
		       strcmp(c->type, "smallint") == 0 ? "smallserial" :
		                                          "serial";
	}
	sb_addf(b, "%s %s", id(c->name), type);
	if (c->collation)
		sb_addf(b, " COLLATE %s", id(c->collation));
	if (c->generated)
		sb_addf(b, " GENERATED ALWAYS AS (%s) STORED", c->generated);
	if (c->identity)
		sb_addf(b, " GENERATED %s AS IDENTITY",
		        strcmp(c->identity, "always") == 0 ? "ALWAYS" : "BY DEFAULT");
	if (c->dflt && !c->serial && !c->identity && !c->generated)
		sb_addf(b, " DEFAULT %s", c->dflt);
	if (c->notnull && !c->serial && !c->identity)
		sb_adds(b, " NOT NULL");
}

/* A constraint as it follows "ADD CONSTRAINT name" / inside CREATE TABLE. */
static void pg_constraint_body(sbuf *b, const sch_constraint *k)
{
	if (k->def) {
		sb_adds(b, k->def);
		return;
	}
	switch (k->kind) {
	case SCH_PK:
		sb_adds(b, "PRIMARY KEY (");
		id_list(b, &k->cols);
		sb_adds(b, ")");
		break;
	case SCH_UNIQUE:
		sb_adds(b, "UNIQUE (");
		id_list(b, &k->cols);
		sb_adds(b, ")");
		break;
	case SCH_FK:
		sb_adds(b, "FOREIGN KEY (");
		id_list(b, &k->cols);
		sb_addf(b, ") REFERENCES %s", id(k->ref_table));
		if (k->ref_cols.n) {
			sb_adds(b, "(");
			id_list(b, &k->ref_cols);
			sb_adds(b, ")");
		}
		if (k->on_delete && strcmp(k->on_delete, "NO ACTION") != 0)
			sb_addf(b, " ON DELETE %s", k->on_delete);
		if (k->on_update && strcmp(k->on_update, "NO ACTION") != 0)
			sb_addf(b, " ON UPDATE %s", k->on_update);
		break;
	case SCH_CHECK:
		sb_addf(b, "CHECK (%s)", k->expr ? k->expr : "true");
		break;
	case SCH_EXCLUDE:
		break;
	}
}

static void pg_add_constraint(rctx *r, const char *table, const sch_constraint *k)
{
	sbuf b = SBUF_INIT;
	sb_addf(&b, "ALTER TABLE %s ADD ", id(table));
	if (k->name && *k->name)
		sb_addf(&b, "CONSTRAINT %s ", id(k->name));
	pg_constraint_body(&b, k);
	emit(r, "%s", sb_str(&b));
	sb_free(&b);
}

static void pg_create_table(rctx *r, const sch_table *t)
{
	sbuf b = SBUF_INIT;
	sb_addf(&b, "CREATE TABLE %s (\n", id(t->name));
	int first = 1;
	for (size_t i = 0; i < t->ncols; i++) {
		sb_adds(&b, first ? "    " : ",\n    ");
		first = 0;
		pg_column_def(&b, &t->cols[i]);
	}
	for (size_t i = 0; i < t->ncons; i++) {
		const sch_constraint *k = &t->cons[i];
		if (k->kind == SCH_FK) /* after every table exists */
			continue;
		sb_adds(&b, first ? "    " : ",\n    ");
		first = 0;
		if (k->name && *k->name)
			sb_addf(&b, "CONSTRAINT %s ", id(k->name));
		pg_constraint_body(&b, k);
	}
	sb_adds(&b, "\n)");
	emit(r, "%s", sb_str(&b));
	sb_free(&b);
	if (t->comment) {
		char *l = literal(t->comment);
		emit(r, "COMMENT ON TABLE %s IS %s", id(t->name), l);
		free(l);
	}
	for (size_t i = 0; i < t->ncols; i++)
		if (t->cols[i].comment) {
			char *l = literal(t->cols[i].comment);
			emit(r, "COMMENT ON COLUMN %s.%s IS %s", id(t->name), id(t->cols[i].name), l);
			free(l);
		}
}

static void pg_comment(rctx *r, const sch_change *c)
{
	const char *text = c->name ? (c->to_col ? c->to_col->comment : NULL) : c->to_table->comment;
	char *l = text ? literal(text) : xstrdup("NULL");
	if (c->name)
		emit(r, "COMMENT ON COLUMN %s.%s IS %s", id(c->table), id(c->name), l);
	else
		emit(r, "COMMENT ON TABLE %s IS %s", id(c->table), l);
	free(l);
}

static int same_identity(const sch_column *a, const sch_column *b)
{
	if (!a->identity || !b->identity)
		return !a->identity && !b->identity;
	return strcmp(a->identity, b->identity) == 0;
}

static void pg_alter_column(rctx *r, const sch_change *c)
{
	const char *t = c->table, *n = c->name;
	const sch_column *fc = c->from_col, *tc = c->to_col;
	switch (c->kind) {
	case CH_ALTER_TYPE:
		emit(r, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s", id(t), id(n), tc->type,
		     id(n), tc->type);
		break;
	case CH_ALTER_NULL:
		emit(r, "ALTER TABLE %s ALTER COLUMN %s %s NOT NULL", id(t), id(n),
		     tc->notnull ? "SET" : "DROP");
		break;
	case CH_ALTER_DEFAULT:
		if (tc->serial) {
			char *seq = xasprintf("%s_%s_seq", t, n);
			char *l = literal(id(seq));
			emit(r, "CREATE SEQUENCE %s OWNED BY %s.%s", id(seq), id(t), id(n));
			emit(r, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT nextval(%s)", id(t), id(n), l);
			free(l);
			free(seq);
		} else if (tc->dflt) {
			emit(r, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", id(t), id(n), tc->dflt);
		} else {
			emit(r, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", id(t), id(n));
		}
		break;
	case CH_ALTER_COLUMN:
		if (!same_identity(fc, tc)) {
			if (!tc->identity)
				emit(r, "ALTER TABLE %s ALTER COLUMN %s DROP IDENTITY", id(t), id(n));
			else if (!fc->identity)
				emit(r, "ALTER TABLE %s ALTER COLUMN %s ADD GENERATED %s AS IDENTITY", id(t),
				     id(n), strcmp(tc->identity, "always") == 0 ? "ALWAYS" : "BY DEFAULT");
			else
				emit(r, "ALTER TABLE %s ALTER COLUMN %s SET GENERATED %s", id(t), id(n),
				     strcmp(tc->identity, "always") == 0 ? "ALWAYS" : "BY DEFAULT");
		}
		if ((fc->collation || tc->collation) &&
		    (!fc->collation || !tc->collation || strcmp(fc->collation, tc->collation) != 0))
			emit(r, "ALTER TABLE %s ALTER COLUMN %s TYPE %s COLLATE %s", id(t), id(n), tc->type,
			     id(tc->collation ? tc->collation : "default"));
		if (fc->generated && !tc->generated)
			emit(r, "ALTER TABLE %s ALTER COLUMN %s DROP EXPRESSION", id(t), id(n));
		else if (tc->generated && (!fc->generated || strcmp(fc->generated, tc->generated) != 0))
			comment(r, "retort: PostgreSQL cannot change a column into a generated one in "
			           "place; recreate %s.%s by hand",
			        t, n);
		break;
	default:
		break;
	}
}

static void pg_enum_values(sbuf *b, const strvec *values)
{
	for (size_t i = 0; i < values->n; i++) {
		char *l = literal(values->v[i]);
		sb_addf(b, "%s%s", i ? ", " : "", l);
		free(l);
	}
}

/* Values removed or reordered: a new type under the old name, every
 * column that uses it cast over through text, the old type dropped. Rows
 * holding a removed value make the cast fail, so nothing is lost silently. */
static void pg_enum_rebuild(rctx *r, const sch_change *c)
{
	char *old = xasprintf("%s__retort_old", c->name);
	sbuf b = SBUF_INIT;
	emit(r, "ALTER TYPE %s RENAME TO %s", id(c->name), id(old));
	pg_enum_values(&b, &c->to_enum->values);
	emit(r, "CREATE TYPE %s AS ENUM (%s)", id(c->name), sb_str(&b));
	sb_free(&b);
	for (size_t t = 0; t < r->from->ntables; t++) {
		const sch_table *ft = &r->from->tables[t];
		for (size_t k = 0; k < ft->ncols; k++) {
			const sch_column *col = &ft->cols[k];
			if (strcmp(col->type, c->name) != 0)
				continue;
			if (col->dflt)
				emit(r, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", id(ft->name),
				     id(col->name));
			emit(r, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::text::%s", id(ft->name),
			     id(col->name), id(c->name), id(col->name), id(c->name));
			if (col->dflt) {
				const sch_table *tt = sch_find_table(r->to, ft->name);
				const sch_column *tc = tt ? sch_find_column(tt, col->name) : NULL;
				if (tc && tc->dflt)
					emit(r, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", id(ft->name),
					     id(col->name), tc->dflt);
			}
		}
	}
	emit(r, "DROP TYPE %s", id(old));
	free(old);
}

/* ---- SQLite: the 12-step rebuild ----------------------------------------------------- */

static void sqlite_rebuild(rctx *r, const sch_table *ft, const sch_table *tt)
{
	char *tmp = xasprintf("_retort_new_%s", tt->name);
	char *create = sqlite_sql_renamed(tt->sql, tmp);
	comment(r, "rebuild %s (SQLite's ALTER TABLE cannot make this change): rows, indexes, "
	           "triggers and views are kept",
	        tt->name);
	emit_text(r, create);
	free(create);
	sbuf cols = SBUF_INIT, src = SBUF_INIT;
	for (size_t i = 0; i < tt->ncols; i++) {
		const sch_column *c = &tt->cols[i];
		if (c->hidden || c->generated)
			continue;
		const char *s = col_source(r, tt->name, c->name);
		const sch_column *fc = sch_find_column(ft, s);
		if (!fc || fc->hidden || fc->generated)
			continue;
		sb_addf(&cols, "%s%s", cols.len ? ", " : "", id(c->name));
		sb_addf(&src, "%s%s", src.len ? ", " : "", id(s));
	}
	if (cols.len)
		emit(r, "INSERT INTO %s (%s) SELECT %s FROM %s", id(tmp), sb_str(&cols), sb_str(&src),
		     id(ft->name));
	sb_free(&cols);
	sb_free(&src);
	/* AUTOINCREMENT: the counter carries over, so no id is ever reused
	 * (sqlite_sequence follows the rename below) */
	if (tt->sql && strcasestr(tt->sql, "autoincrement") && ft->sql &&
	    strcasestr(ft->sql, "autoincrement")) {
		char *newl = literal(tmp), *oldl = literal(ft->name);
		emit(r, "DELETE FROM sqlite_sequence WHERE name = %s", newl);
		emit(r, "INSERT INTO sqlite_sequence (name, seq) SELECT %s, seq FROM sqlite_sequence "
		        "WHERE name = %s",
		     newl, oldl);
		free(newl);
		free(oldl);
	}
	emit(r, "DROP TABLE %s", id(ft->name));
	emit(r, "ALTER TABLE %s RENAME TO %s", id(tmp), id(tt->name));
	free(tmp);
	for (size_t i = 0; i < r->to->nindexes; i++)
		if (strcmp(r->to->indexes[i].table, tt->name) == 0)
			emit_text(r, r->to->indexes[i].def);
	for (size_t i = 0; i < r->to->ntriggers; i++)
		if (strcmp(r->to->triggers[i].table, tt->name) == 0)
			emit_text(r, r->to->triggers[i].def);
}

/* SQLite's ALTER TABLE for what it can do (rename, add, drop a column). */
static void sqlite_alter(rctx *r, const sch_change *c)
{
	switch (c->kind) {
	case CH_RENAME_COLUMN:
		emit(r, "ALTER TABLE %s RENAME COLUMN %s TO %s", id(c->table), id(c->old_name),
		     id(c->name));
		break;
	case CH_ADD_COLUMN: {
		char *def = sqlite_column_def(c->to_table->sql, c->name);
		emit(r, "ALTER TABLE %s ADD COLUMN %s", id(c->table), def ? def : id(c->name));
		free(def);
		break;
	}
	case CH_DROP_COLUMN:
		emit(r, "ALTER TABLE %s DROP COLUMN %s", id(c->table), id(c->name));
		break;
	default:
		break;
	}
}

/* Does index x use a column that a hint keeps from being added (to side)
 * or dropped (from side)? Then the index change waits with the hint. */
static int index_on_hint(const rctx *r, const sch_index *x, sch_change_kind kind)
{
	for (size_t i = 0; i < r->d->n; i++) {
		const sch_change *c = &r->d->v[i];
		if (!c->hint || c->kind != kind || strcmp(c->table, x->table) != 0)
			continue;
		if (mentions(x->def, c->name))
			return 1;
		for (size_t k = 0; k < x->keys.n; k++)
			if (mentions(x->keys.v[k], c->name))
				return 1;
	}
	return 0;
}

/* ---- the order of everything --------------------------------------------------------- */

/* A hinted half: what it would have run, as comments. */
static void hint(rctx *r, const sch_change *c)
{
	const sch_change *o = c->pair >= 0 ? &r->d->v[c->pair] : NULL;
	if (c->kind == CH_DROP_COLUMN || c->kind == CH_DROP_TABLE)
		return; /* written with its added half */
	if (c->kind == CH_ADD_COLUMN) {
		comment(r, "retort: column %s.%s was removed and %s.%s added with the same type (%s).",
		        c->table, o ? o->name : "?", c->table, c->name, c->to_col->type);
		comment(r, "retort: if it is a rename, add \"-- renamed from: %s\" to the line of %s in "
		           "the target schema and autogenerate again; otherwise uncomment:",
		        o ? o->name : "?", c->name);
		if (r->pg) {
			sbuf b = SBUF_INIT;
			pg_column_def(&b, c->to_col);
			comment(r, "ALTER TABLE %s ADD COLUMN %s;", id(c->table), sb_str(&b));
			sb_free(&b);
		} else {
			char *def = sqlite_column_def(c->to_table->sql, c->name);
			comment(r, "ALTER TABLE %s ADD COLUMN %s;", id(c->table), def ? def : c->name);
			free(def);
		}
		if (o)
			comment(r, "ALTER TABLE %s DROP COLUMN %s;", id(c->table), id(o->name));
	} else if (c->kind == CH_ADD_TABLE) {
		comment(r, "retort: table %s was removed and %s added with the same columns.",
		        o ? o->name : "?", c->name);
		comment(r, "retort: if it is a rename, add \"-- renamed from: %s\" to the CREATE TABLE "
		           "line of %s in the target schema and autogenerate again; otherwise create %s "
		           "and drop %s here by hand.",
		        o ? o->name : "?", c->name, c->name, o ? o->name : "?");
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Drops the from-side tables of the diff, each after the dropped tables
 * that reference it (Kahn's order over foreign keys; what a cycle leaves
 * is dropped in name order, with CASCADE on PostgreSQL). */
static void drop_tables(rctx *r)
{
	strvec names = STRVEC_INIT;
	for (size_t i = 0; i < r->d->n; i++)
		if (r->d->v[i].kind == CH_DROP_TABLE && !r->d->v[i].hint)
			sv_push(&names, r->d->v[i].name);
	size_t n = names.n;
	if (!n)
		return;
	qsort(names.v, n, sizeof *names.v, cmp_str);
	size_t *refs = xcalloc(n, sizeof *refs); /* dropped tables referencing it */
	char *done = xcalloc(n, 1);
	const sch_table **tab = xcalloc(n, sizeof *tab);
	for (size_t i = 0; i < n; i++)
		tab[i] = sch_find_table(r->from, names.v[i]);
#define FIND(name)                                                                                 \
	((char **)bsearch(&(name), names.v, n, sizeof *names.v, cmp_str))
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; tab[i] && k < tab[i]->ncons; k++) {
			const sch_constraint *c = &tab[i]->cons[k];
			if (c->kind != SCH_FK || !c->ref_table || c->ref_schema)
				continue;
			char **hit = FIND(c->ref_table);
			if (hit && (size_t)(hit - names.v) != i)
				refs[hit - names.v]++;
		}
	size_t *queue = xcalloc(n, sizeof *queue), head = 0, tail = 0, left = n;
	for (size_t i = 0; i < n; i++)
		if (!refs[i])
			queue[tail++] = i;
	while (left) {
		size_t i;
		int cycle = 0;
		if (head < tail) {
			i = queue[head++];
		} else { /* a cycle: the first one left */
			for (i = 0; done[i]; i++)
				;
			cycle = 1;
		}
		if (done[i])
			continue;
		done[i] = 1;
		left--;
		emit(r, "DROP TABLE %s%s", id(names.v[i]), cycle && r->pg ? " CASCADE" : "");
		for (size_t k = 0; tab[i] && k < tab[i]->ncons; k++) {
			const sch_constraint *c = &tab[i]->cons[k];
			if (c->kind != SCH_FK || !c->ref_table || c->ref_schema)
				continue;
			char **hit = FIND(c->ref_table);
			if (!hit || (size_t)(hit - names.v) == i)
				continue;
			size_t j = (size_t)(hit - names.v);
			if (refs[j] && --refs[j] == 0 && !done[j])
				queue[tail++] = j;
		}
	}
#undef FIND
	free(queue);
	free(refs);
	free(done);
	free(tab);
	sv_free(&names);
}

typedef struct tchange {
	const sch_table *t;
	size_t i;
} tchange;

static int cmp_tchange(const void *a, const void *b)
{
	const tchange *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

int sch_render(const sch_model *from, const sch_model *to, const sch_diff *d, int sqlite_version,
               int allow_enum_rebuild, sbuf *out, retort_error *err)
{
	rctx r = {from, to, d, to->kind == DIALECT_PG, sqlite_version, out, STRVEC_INIT, STRVEC_INIT};
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].kind == CH_ENUM_REBUILD && !allow_enum_rebuild) {
			const sch_change *c = &d->v[i];
			return rt_error(err, RETORT_ERUNTIME, NULL, 0,
			                "enum '%s': values removed or reordered (%s) cannot be done with "
			                "ALTER TYPE; only adding values is autogenerated. Write this "
			                "revision by hand: create a new type, ALTER COLUMN ... TYPE new "
			                "USING col::text::new, drop the old type",
			                c->name, "see `retort check`");
		}
	if (!r.pg)
		sqlite_choose_rebuilds(&r);
	choose_view_drops(&r);

	/* 1. what stands in the way: views (reverse dependency order), triggers,
	 * foreign keys and indexes that go or change */
	for (size_t i = from->nviews; i-- > 0;)
		if (sv_index(&r.drop_views, from->views[i].name) >= 0)
			emit(&r, "DROP %sVIEW %s", from->views[i].materialized ? "MATERIALIZED " : "",
			     id(from->views[i].name));
	for (size_t i = 0; i < d->n; i++) {
		const sch_change *c = &d->v[i];
		if (c->kind == CH_DROP_TRIGGER && !is_rebuilt(&r, c->table)) {
			if (r.pg)
				emit(&r, "DROP TRIGGER %s ON %s", id(c->name), id(c->table));
			else
				emit(&r, "DROP TRIGGER %s", id(c->name));
		}
	}
	if (r.pg)
		for (size_t i = 0; i < d->n; i++) {
			const sch_change *c = &d->v[i];
			if (c->kind == CH_DROP_CONSTRAINT && c->con->kind == SCH_FK && c->con->name)
				emit(&r, "ALTER TABLE %s DROP CONSTRAINT %s", id(c->from_table->name),
				     id(c->con->name));
		}
	for (size_t i = 0; i < d->n; i++) {
		const sch_change *c = &d->v[i];
		if (c->kind == CH_DROP_INDEX && !is_rebuilt(&r, c->table) &&
		    sch_find_table(to, c->table)) {
			if (index_on_hint(&r, c->index, CH_DROP_COLUMN))
				comment(&r, "DROP INDEX %s; -- with the hint about %s below", id(c->name),
				        c->table);
			else
				emit(&r, "DROP INDEX %s", id(c->name));
		}
	}

	/* 2. types and sequences before the tables that use them */
	for (size_t i = 0; i < d->n; i++) {
		const sch_change *c = &d->v[i];
		if (c->kind == CH_ADD_ENUM) {
			sbuf b = SBUF_INIT;
			pg_enum_values(&b, &c->to_enum->values);
			emit(&r, "CREATE TYPE %s AS ENUM (%s)", id(c->name), sb_str(&b));
			sb_free(&b);
		} else if (c->kind == CH_ENUM_ADD_VALUE) {
			char *v = literal(c->value);
			if (c->after) {
				char *a = literal(c->after);
				emit(&r, "ALTER TYPE %s ADD VALUE %s AFTER %s", id(c->name), v, a);
				free(a);
			} else if (c->to_enum->values.n > 1) {
				char *b = literal(c->to_enum->values.v[1]);
				emit(&r, "ALTER TYPE %s ADD VALUE %s BEFORE %s", id(c->name), v, b);
				free(b);
			} else {
				emit(&r, "ALTER TYPE %s ADD VALUE %s", id(c->name), v);
			}
			free(v);
		} else if (c->kind == CH_ENUM_REBUILD) {
			pg_enum_rebuild(&r, c);
		} else if (c->kind == CH_ADD_SEQUENCE) {
			const sch_sequence *s = c->seq;
			emit(&r, "CREATE SEQUENCE %s AS %s INCREMENT BY %lld MINVALUE %lld MAXVALUE %lld "
			         "START WITH %lld%s",
			     id(s->name), s->type ? s->type : "bigint", s->increment, s->min, s->max,
			     s->start, s->cycle ? " CYCLE" : "");
		}
	}

	/* 3. tables: renamed, created, changed */
	for (size_t i = 0; i < d->n; i++) {
		const sch_change *c = &d->v[i];
		if (c->kind == CH_RENAME_TABLE)
			emit(&r, "ALTER TABLE %s RENAME TO %s", id(c->old_name), id(c->name));
	}
	for (size_t i = 0; i < d->n; i++) {
		const sch_change *c = &d->v[i];
		if (c->kind != CH_ADD_TABLE)
			continue;
		if (c->hint)
			hint(&r, c);
		else if (r.pg)
			pg_create_table(&r, c->to_table);
		else
			emit_text(&r, c->to_table->sql);
	}
	/* the changes of kept tables, grouped by table (pointers into the
	 * name-sorted to->tables: pointer order is name order) */
	tchange *tc = xcalloc(d->n + 1, sizeof *tc);
	size_t ntc = 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].to_table && d->v[i].from_table && d->v[i].kind != CH_RENAME_TABLE)
			tc[ntc++] = (tchange){d->v[i].to_table, i};
	qsort(tc, ntc, sizeof *tc, cmp_tchange);
	for (size_t g = 0; g < ntc;) {
		size_t ge = g;
		while (ge < ntc && tc[ge].t == tc[g].t)
			ge++;
		const sch_table *tt = tc[g].t;
		if (is_rebuilt(&r, tt->name)) {
			const sch_table *ft = d->v[tc[g].i].from_table;
			/* a renamed table was renamed in step 3 already */
			sch_table renamed;
			if (strcmp(ft->name, tt->name) != 0) {
				renamed = *ft;
				renamed.name = tt->name;
				ft = &renamed;
			}
			sqlite_rebuild(&r, ft, tt);
			g = ge;
			continue;
		}
		/* ALTER TABLE, in an order that never needs what is not there yet */
		static const sch_change_kind order[] = {CH_RENAME_COLUMN,   CH_DROP_CONSTRAINT,
		                                        CH_ADD_COLUMN,      CH_ALTER_TYPE,
		                                        CH_ALTER_DEFAULT,   CH_ALTER_NULL,
		                                        CH_ALTER_COLUMN,    CH_DROP_COLUMN,
		                                        CH_ADD_CONSTRAINT,  CH_COMMENT};
		for (size_t o = 0; o < sizeof order / sizeof *order; o++)
			for (size_t k = g; k < ge; k++) {
				const sch_change *c = &d->v[tc[k].i];
				if (c->kind != order[o])
					continue;
				if (c->hint) {
					hint(&r, c);
					continue;
				}
				if (!r.pg) {
					sqlite_alter(&r, c);
					continue;
				}
				switch (c->kind) {
				case CH_RENAME_COLUMN:
					emit(&r, "ALTER TABLE %s RENAME COLUMN %s TO %s", id(c->table),
					     id(c->old_name), id(c->name));
					break;
				case CH_DROP_CONSTRAINT:
					if (c->con->kind != SCH_FK && c->con->name)
						emit(&r, "ALTER TABLE %s DROP CONSTRAINT %s", id(c->table),
						     id(c->con->name));
					break;
				case CH_ADD_COLUMN: {
					sbuf b = SBUF_INIT;
					pg_column_def(&b, c->to_col);
					emit(&r, "ALTER TABLE %s ADD COLUMN %s", id(c->table), sb_str(&b));
					sb_free(&b);
					if (c->to_col->comment)
						pg_comment(&r, c);
					break;
				}
				case CH_DROP_COLUMN:
					emit(&r, "ALTER TABLE %s DROP COLUMN %s", id(c->table), id(c->name));
					break;
				case CH_ADD_CONSTRAINT:
					if (c->con->kind != SCH_FK)
						pg_add_constraint(&r, c->table, c->con);
					break;
				case CH_COMMENT:
					pg_comment(&r, c);
					break;
				default:
					pg_alter_column(&r, c);
					break;
				}
			}
		g = ge;
	}
	free(tc);
	drop_tables(&r);
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].kind == CH_ALTER_SEQUENCE && r.pg)
			emit(&r, "ALTER SEQUENCE %s AS %s", id(d->v[i].name), d->v[i].seq->type);

	/* 4. what uses the tables: foreign keys, indexes; then what goes last */
	if (r.pg) {
		for (size_t i = 0; i < d->n; i++) {
			const sch_change *c = &d->v[i];
			if (c->kind == CH_ADD_TABLE && !c->hint)
				for (size_t k = 0; k < c->to_table->ncons; k++)
					if (c->to_table->cons[k].kind == SCH_FK)
						pg_add_constraint(&r, c->table, &c->to_table->cons[k]);
			if (c->kind == CH_ADD_CONSTRAINT && c->con->kind == SCH_FK && c->from_table)
				pg_add_constraint(&r, c->table, c->con);
		}
	}
	strvec hinted_tables = STRVEC_INIT;
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].kind == CH_ADD_TABLE && d->v[i].hint)
			sv_push(&hinted_tables, d->v[i].name);
	for (size_t i = 0; i < d->n; i++) {
		const sch_change *c = &d->v[i];
		if (c->kind != CH_ADD_INDEX || is_rebuilt(&r, c->table))
			continue;
		const sch_table *tt = sch_find_table(to, c->table);
		if (!tt || sv_index(&hinted_tables, c->table) >= 0)
			continue;
		if (index_on_hint(&r, c->index, CH_ADD_COLUMN)) {
			comment(&r, "%s; -- with the hint about %s above", c->index->def, c->table);
			continue;
		}
		emit_text(&r, c->index->def);
	}
	for (size_t i = 0; i < d->n; i++) {
		const sch_change *c = &d->v[i];
		if (c->kind == CH_DROP_ENUM)
			emit(&r, "DROP TYPE %s", id(c->name));
		else if (c->kind == CH_DROP_SEQUENCE)
			emit(&r, "DROP SEQUENCE %s", id(c->name));
	}
	/* views: the new and changed ones, and those dropped out of the way */
	for (size_t i = 0; i < to->nviews; i++) {
		const sch_view *v = &to->views[i];
		int wanted = sv_index(&r.drop_views, v->name) >= 0 || !sch_find_view(from, v->name);
		for (size_t j = 0; j < d->n && !wanted; j++)
			wanted = d->v[j].kind == CH_ADD_VIEW && strcmp(d->v[j].name, v->name) == 0;
		if (!wanted)
			continue;
		if (r.pg) {
			size_t n = strlen(v->def);
			while (n && (isspace((unsigned char)v->def[n - 1]) || v->def[n - 1] == ';'))
				n--;
			emit(&r, "CREATE %sVIEW %s AS\n%.*s", v->materialized ? "MATERIALIZED " : "",
			     id(v->name), (int)n, v->def);
			if (v->comment) {
				char *l = literal(v->comment);
				emit(&r, "COMMENT ON %sVIEW %s IS %s", v->materialized ? "MATERIALIZED " : "",
				     id(v->name), l);
				free(l);
			}
		} else {
			emit_text(&r, v->def);
		}
	}
	for (size_t i = 0; i < d->n; i++) {
		const sch_change *c = &d->v[i];
		if (c->kind == CH_ADD_TRIGGER && !is_rebuilt(&r, c->table))
			emit_text(&r, c->trigger->def);
	}
	if (r.rebuilt.n)
		for (size_t i = 0; i < r.rebuilt.n; i++)
			emit(&r, "PRAGMA foreign_key_check(%s)", id(r.rebuilt.v[i]));
	sv_free(&hinted_tables);
	sv_free(&r.rebuilt);
	sv_free(&r.drop_views);
	return 0;
}
