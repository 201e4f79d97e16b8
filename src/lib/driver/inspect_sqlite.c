/*
 * inspect_sqlite.c: a SQLite database's schema into the schema model
 * (driver.h's inspect). Five set-based statements inside one read
 * transaction, whatever the number of tables: the shadow tables of
 * virtual tables (pragma_table_list), every object (sqlite_schema), every
 * column (pragma_table_xinfo), every index with its keys (pragma_index_list
 * × pragma_index_xinfo), every foreign key (pragma_foreign_key_list).
 *
 * What the pragmas do not say comes from the stored CREATE statements,
 * read by a small tokenizer that knows '…', "…", `…`, […] and comments:
 * constraint names, CHECK and generated-column expressions, explicit
 * column collations, DEFERRABLE, WITHOUT ROWID and STRICT, the key texts
 * and predicate of an index, the names a view reads.
 *
 * Virtual tables are described by their statement alone (no columns: the
 * module that would list them may not be loaded), and their shadow tables
 * are left out: they belong to the module.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "driver/sqlite_int.h"

static void *grow(void *p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 8;
	return xrealloc(p, *cap * size);
}

/* ---- tokens ------------------------------------------------------------- */

enum tk_kind { TK_WORD, TK_QID, TK_STR, TK_NUM, TK_PUNCT, TK_OP };

typedef struct tok {
	enum tk_kind kind;
	size_t off, len;
} tok;

typedef struct toks {
	const char *src;
	tok *v;
	size_t n, cap;
} toks;

static void tk_push(toks *t, enum tk_kind kind, size_t off, size_t len)
{
	t->v = grow(t->v, t->n, &t->cap, sizeof *t->v);
	t->v[t->n++] = (tok){kind, off, len};
}

static int is_idchar(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* Past a quoted token starting at s[i] (its opening quote). */
static size_t skip_quoted(const char *s, size_t i)
{
	char close = s[i] == '[' ? ']' : s[i];
	for (i++; s[i]; i++) {
		if (s[i] != close)
			continue;
		if (close != ']' && s[i + 1] == close) { /* doubled: part of the text */
			i++;
			continue;
		}
		return i + 1;
	}
	return i;
}

static void tokenize(const char *s, toks *t)
{
	t->src = s;
	t->n = 0;
	size_t i = 0;
	while (s[i]) {
		unsigned char c = (unsigned char)s[i];
		size_t start = i;
		if (isspace(c)) {
			i++;
		} else if (c == '-' && s[i + 1] == '-') {
			while (s[i] && s[i] != '\n')
				i++;
		} else if (c == '/' && s[i + 1] == '*') {
			const char *e = strstr(s + i + 2, "*/");
			i = e ? (size_t)(e - s) + 2 : strlen(s);
		} else if (c == '\'' || c == '"' || c == '`' || c == '[') {
			i = skip_quoted(s, i);
			tk_push(t, c == '\'' ? TK_STR : TK_QID, start, i - start);
		} else if ((c == 'x' || c == 'X') && s[i + 1] == '\'') { /* blob literal */
			i = skip_quoted(s, i + 1);
			tk_push(t, TK_STR, start, i - start);
		} else if (isdigit(c) || (c == '.' && isdigit((unsigned char)s[i + 1]))) {
			for (i++;
			     is_idchar((unsigned char)s[i]) || s[i] == '.' ||
			     ((s[i] == '+' || s[i] == '-') && (s[i - 1] == 'e' || s[i - 1] == 'E'));
			     i++)
				;
			tk_push(t, TK_NUM, start, i - start);
		} else if (is_idchar(c)) {
			while (is_idchar((unsigned char)s[i]))
				i++;
			tk_push(t, TK_WORD, start, i - start);
		} else {
			i++;
			tk_push(t, strchr("(),.;", c) ? TK_PUNCT : TK_OP, start, 1);
		}
	}
}

static int tk_word(const toks *t, size_t i, const char *w)
{
	return i < t->n && t->v[i].kind == TK_WORD && strlen(w) == t->v[i].len &&
	       strncasecmp(t->src + t->v[i].off, w, t->v[i].len) == 0;
}

static int tk_punct(const toks *t, size_t i, char c)
{
	return i < t->n && t->v[i].kind == TK_PUNCT && t->src[t->v[i].off] == c;
}

static int tk_is_name(const toks *t, size_t i)
{
	return i < t->n &&
	       (t->v[i].kind == TK_WORD || t->v[i].kind == TK_QID || t->v[i].kind == TK_STR);
}

/* The token as a name: quotes removed, doubled quotes made single. */
static char *tk_ident(const toks *t, size_t i)
{
	const char *s = t->src + t->v[i].off;
	size_t n = t->v[i].len;
	if (t->v[i].kind != TK_QID && t->v[i].kind != TK_STR)
		return xstrndup(s, n);
	char close = s[0] == '[' ? ']' : s[0];
	sbuf b = SBUF_INIT;
	size_t end = n >= 2 && s[n - 1] == close ? n - 1 : n;
	for (size_t k = 1; k < end; k++) {
		sb_addc(&b, s[k]);
		if (close != ']' && s[k] == close && k + 1 < end && s[k + 1] == close)
			k++;
	}
	return sb_detach(&b);
}

/* The source text of tokens [a, b), comments between them included. */
static char *tk_span(const toks *t, size_t a, size_t b)
{
	if (b > t->n)
		b = t->n;
	if (a >= b)
		return xstrdup("");
	size_t from = t->v[a].off, to = t->v[b - 1].off + t->v[b - 1].len;
	return xstrndup(t->src + from, to - from);
}

/* The ')' matching the '(' at i; t->n when unbalanced. */
static size_t tk_close(const toks *t, size_t i)
{
	int depth = 0;
	for (; i < t->n; i++) {
		if (tk_punct(t, i, '('))
			depth++;
		else if (tk_punct(t, i, ')') && --depth == 0)
			return i;
	}
	return t->n;
}

/* The end of the list item starting at a: the next ',' outside
 * parentheses, or end. */
static size_t item_end(const toks *t, size_t a, size_t end)
{
	int depth = 0;
	for (size_t k = a; k < end; k++) {
		if (tk_punct(t, k, '('))
			depth++;
		else if (tk_punct(t, k, ')'))
			depth--;
		else if (depth == 0 && tk_punct(t, k, ','))
			return k;
	}
	return end;
}

/* "(a, "b" COLLATE x DESC, ...)" at open..close → the names. */
static void name_list(const toks *t, size_t open, size_t close, strvec *out)
{
	for (size_t a = open + 1, e; a < close; a = e + 1) {
		e = item_end(t, a, close);
		if (e == a)
			continue;
		sv_push_owned(out, tk_is_name(t, a) ? tk_ident(t, a) : tk_span(t, a, e));
	}
}

static int names_eq(const strvec *a, const strvec *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcasecmp(a->v[i], b->v[i]) != 0)
			return 0;
	return 1;
}

/* ---- CREATE TABLE --------------------------------------------------------- */

typedef struct clause {
	sch_con_kind kind;
	char *name;     /* CONSTRAINT name; NULL: none */
	strvec cols;    /* PK, UNIQUE, FK: the columns named */
	char *expr;     /* CHECK */
	int deferrable; /* FK */
	int used;       /* matched to what the pragmas report */
} clause;

typedef struct coldef {
	char *name, *generated, *collation;
} coldef;

typedef struct tabdef {
	clause *cl;
	size_t ncl, capcl;
	coldef *col;
	size_t ncol, capcol;
	int without_rowid, strict, is_virtual;
} tabdef;

static size_t add_clause(tabdef *d, sch_con_kind kind, char **name)
{
	d->cl = grow(d->cl, d->ncl, &d->capcl, sizeof *d->cl);
	clause *k = &d->cl[d->ncl];
	memset(k, 0, sizeof *k);
	k->kind = kind;
	k->name = *name; /* the pending CONSTRAINT name, taken */
	*name = NULL;
	return d->ncl++;
}

static int is_word_in(const toks *t, size_t i, const char *const *words)
{
	for (; *words; words++)
		if (tk_word(t, i, *words))
			return 1;
	return 0;
}

/* The constraints of one column definition (col set) or one table
 * constraint (col NULL), tokens [i, end). */
static void parse_constraints(const toks *t, size_t i, size_t end, coldef *col, tabdef *d)
{
	static const char *const starts[] = {"NOT", "NULL", "DEFAULT", "GENERATED", NULL};
	char *pending = NULL;
	int fk_refs = 0; /* FOREIGN KEY (...) seen: its REFERENCES starts no clause */
	long last_fk = -1;
	while (i < end) {
		if (tk_punct(t, i, '(')) { /* a type's size, a default, a reference's columns */
			i = tk_close(t, i) + 1;
			continue;
		}
		if (t->v[i].kind != TK_WORD) {
			i++;
			continue;
		}
		if (tk_word(t, i, "CONSTRAINT") && i + 1 < end) {
			free(pending);
			pending = tk_ident(t, i + 1);
			i += 2;
		} else if (tk_word(t, i, "PRIMARY") || tk_word(t, i, "UNIQUE")) {
			sch_con_kind kind = tk_word(t, i, "PRIMARY") ? SCH_PK : SCH_UNIQUE;
			size_t k = add_clause(d, kind, &pending);
			i++;
			if (kind == SCH_PK && tk_word(t, i, "KEY"))
				i++;
			if (col) {
				sv_push(&d->cl[k].cols, col->name);
			} else if (i < end && tk_punct(t, i, '(')) {
				size_t c = tk_close(t, i);
				name_list(t, i, c, &d->cl[k].cols);
				i = c + 1;
			}
		} else if (tk_word(t, i, "CHECK") && tk_punct(t, i + 1, '(')) {
			size_t c = tk_close(t, i + 1);
			size_t k = add_clause(d, SCH_CHECK, &pending);
			d->cl[k].expr = tk_span(t, i + 2, c);
			i = c + 1;
		} else if (tk_word(t, i, "FOREIGN")) {
			size_t k = add_clause(d, SCH_FK, &pending);
			last_fk = (long)k;
			fk_refs = 1;
			i++;
			if (tk_word(t, i, "KEY"))
				i++;
			if (i < end && tk_punct(t, i, '(')) {
				size_t c = tk_close(t, i);
				name_list(t, i, c, &d->cl[k].cols);
				i = c + 1;
			}
		} else if (tk_word(t, i, "REFERENCES")) {
			if (fk_refs) {
				fk_refs = 0;
			} else if (col) {
				size_t k = add_clause(d, SCH_FK, &pending);
				sv_push(&d->cl[k].cols, col->name);
				last_fk = (long)k;
			}
			free(pending);
			pending = NULL;
			i++;
		} else if (tk_word(t, i, "DEFERRABLE") && last_fk >= 0) {
			if (!(i > 0 && tk_word(t, i - 1, "NOT")))
				d->cl[last_fk].deferrable =
				    tk_word(t, i + 1, "INITIALLY") && tk_word(t, i + 2, "DEFERRED")
				        ? 2
				        : 1;
			i++;
		} else if (col && tk_word(t, i, "COLLATE") && i + 1 < end) {
			free(col->collation);
			col->collation = tk_ident(t, i + 1);
			free(pending);
			pending = NULL;
			i += 2;
		} else if (col && tk_word(t, i, "AS") && tk_punct(t, i + 1, '(')) {
			size_t c = tk_close(t, i + 1);
			free(col->generated);
			col->generated = tk_span(t, i + 2, c);
			free(pending);
			pending = NULL;
			i = c + 1;
		} else {
			if (is_word_in(t, i, starts)) { /* a named NOT NULL, DEFAULT, ... */
				free(pending);
				pending = NULL;
			}
			i++;
		}
	}
	free(pending);
}

static void parse_table(const char *sql, tabdef *d, toks *t)
{
	static const char *const table_cons[] = {"CONSTRAINT", "PRIMARY", "UNIQUE",
	                                         "CHECK",      "FOREIGN", NULL};
	tokenize(sql, t);
	size_t open = 0;
	while (open < t->n && !tk_punct(t, open, '('))
		open++;
	if (open == t->n)
		return;
	size_t close = tk_close(t, open);
	for (size_t a = open + 1, e; a < close; a = e + 1) {
		e = item_end(t, a, close);
		if (e == a)
			continue;
		if (is_word_in(t, a, table_cons)) {
			parse_constraints(t, a, e, NULL, d);
		} else if (tk_is_name(t, a)) {
			d->col = grow(d->col, d->ncol, &d->capcol, sizeof *d->col);
			coldef *c = &d->col[d->ncol++];
			memset(c, 0, sizeof *c);
			c->name = tk_ident(t, a);
			parse_constraints(t, a + 1, e, c, d);
		}
	}
	for (size_t k = close + 1; k < t->n; k++) { /* table options */
		if (tk_word(t, k, "WITHOUT") && tk_word(t, k + 1, "ROWID"))
			d->without_rowid = 1;
		else if (tk_word(t, k, "STRICT"))
			d->strict = 1;
	}
}

static void tabdef_free(tabdef *d)
{
	for (size_t i = 0; i < d->ncl; i++) {
		free(d->cl[i].name);
		sv_free(&d->cl[i].cols);
		free(d->cl[i].expr);
	}
	free(d->cl);
	for (size_t i = 0; i < d->ncol; i++) {
		free(d->col[i].name);
		free(d->col[i].generated);
		free(d->col[i].collation);
	}
	free(d->col);
}

/* ---- CREATE INDEX ------------------------------------------------------- */

typedef struct idxdef {
	strvec exprs; /* each key's text without COLLATE/ASC/DESC */
	strvec colls; /* each key's explicit collation; "": none */
} idxdef;

static void parse_index(const char *sql, sch_index *x, idxdef *d, toks *t)
{
	tokenize(sql, t);
	size_t on = 0;
	while (on < t->n && !tk_word(t, on, "ON"))
		on++;
	size_t open = on;
	while (open < t->n && !tk_punct(t, open, '('))
		open++;
	if (open >= t->n)
		return;
	size_t close = tk_close(t, open);
	for (size_t a = open + 1, e; a < close; a = e + 1) {
		e = item_end(t, a, close);
		size_t b = e;
		if (b > a && (tk_word(t, b - 1, "ASC") || tk_word(t, b - 1, "DESC")))
			b--;
		if (b >= a + 3 && tk_word(t, b - 2, "COLLATE")) {
			sv_push_owned(&d->colls, tk_ident(t, b - 1));
			b -= 2;
		} else {
			sv_push(&d->colls, "");
		}
		sv_push_owned(&d->exprs, tk_span(t, a, b));
	}
	if (tk_word(t, close + 1, "WHERE")) {
		size_t end = t->n;
		if (end > close + 2 && tk_punct(t, end - 1, ';'))
			end--;
		free(x->where);
		x->where = tk_span(t, close + 2, end);
	}
}

/* ---- name maps ------------------------------------------------------------ */

typedef struct nm {
	const char *name; /* owned by the model */
	size_t i;
} nm;

static int nm_cmp(const void *a, const void *b)
{
	return strcmp(((const nm *)a)->name, ((const nm *)b)->name);
}

static int nm_casecmp(const void *a, const void *b)
{
	return strcasecmp(((const nm *)a)->name, ((const nm *)b)->name);
}

static const nm *nm_find(const nm *v, size_t n, const char *name, int icase)
{
	nm key = {name, 0};
	return bsearch(&key, v, n, sizeof *v, icase ? nm_casecmp : nm_cmp);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- the inspection ------------------------------------------------------ */

typedef struct insp {
	sqlite3 *db;
	const char *schema;
	sch_model *m;
	retort_error *err;
	tabdef *defs;  /* parallel to m->tables */
	idxdef *idefs; /* parallel to m->indexes */
	nm *tmap;      /* tables by exact name */
	nm *imap;      /* indexes by exact name */
	nm *omap;      /* tables and views, case-insensitively */
	size_t nomap;
	strvec shadow; /* sorted */
	toks tk;       /* reused token buffer */
} insp;

static int fail(insp *in, sqlite3_stmt *st)
{
	int code = sqlite3_errcode(in->db) & 0xff;
	rt_error(in->err, RETORT_ERUNTIME, NULL, 0, "%s%s", sqlite3_errmsg(in->db),
	         code == SQLITE_BUSY || code == SQLITE_LOCKED
	             ? " (another connection holds SQLite's write lock; waited lock_timeout)"
	             : "");
	sqlite3_finalize(st);
	return RETORT_ERUNTIME;
}

/* Prepares fmt with the schema's sqlite_master (sqlite_schema) for %s and its
 * name bound to ?1 (when the statement has it). */
static int prep(insp *in, const char *fmt, sqlite3_stmt **st)
{
	char *master = sqlite3_mprintf("\"%w\".sqlite_master", in->schema);
	char *sql = sqlite3_mprintf(fmt, master);
	*st = NULL;
	int rc = sqlite3_prepare_v2(in->db, sql, -1, st, NULL);
	sqlite3_free(sql);
	sqlite3_free(master);
	if (rc != SQLITE_OK)
		return rc;
	if (sqlite3_bind_parameter_count(*st) >= 1)
		sqlite3_bind_text(*st, 1, in->schema, -1, SQLITE_STATIC);
	return SQLITE_OK;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int skipped(const strvec *skip, const char *name)
{
	for (size_t i = 0; skip && i < skip->n; i++)
		if (strcasecmp(skip->v[i], name) == 0)
			return 1;
	return 0;
}

static long table_index(insp *in, const char *name)
{
	const nm *e = nm_find(in->tmap, in->m->ntables, name, 0);
	return e ? (long)e->i : -1;
}

/* Shadow tables of virtual tables (pragma_table_list, SQLite 3.37+; an
 * older library has none to report). */
static int read_shadow(insp *in)
{
	sqlite3_stmt *st;
	if (prep(in, "SELECT name FROM pragma_table_list WHERE schema = ?1 AND type = 'shadow'",
	         &st) != SQLITE_OK) {
		if ((sqlite3_errcode(in->db) & 0xff) == SQLITE_ERROR) /* no such table */
			return RETORT_OK;
		return fail(in, st);
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (col_text(st, 0))
			sv_push(&in->shadow, col_text(st, 0));
	if (rc != SQLITE_DONE)
		return fail(in, st);
	sqlite3_finalize(st);
	if (in->shadow.n > 1)
		qsort(in->shadow.v, in->shadow.n, sizeof *in->shadow.v, str_cmp);
	return RETORT_OK;
}

static int is_shadow(const insp *in, const char *name)
{
	return in->shadow.n &&
	       bsearch(&name, in->shadow.v, in->shadow.n, sizeof *in->shadow.v, str_cmp);
}

/* The names of tables and views of this schema that a view's statement
 * mentions after its AS: words and quoted identifiers outside strings,
 * neither a column (x.name) nor a call (name(...)). */
static void view_deps(insp *in, sch_view *v)
{
	toks *t = &in->tk;
	tokenize(v->def, t);
	size_t i = 0;
	while (i < t->n && !tk_word(t, i, "AS"))
		i++;
	for (i++; i < t->n; i++) {
		if (t->v[i].kind != TK_WORD && t->v[i].kind != TK_QID)
			continue;
		if (tk_punct(t, i + 1, '(') && t->v[i].kind == TK_WORD)
			continue;
		if (i >= 2 && tk_punct(t, i - 1, '.')) {
			char *q = tk_ident(t, i - 2);
			int other = strcasecmp(q, in->schema) != 0;
			free(q);
			if (other)
				continue;
		}
		char *name = tk_ident(t, i);
		const nm *e = nm_find(in->omap, in->nomap, name, 1);
		free(name);
		if (e && strcmp(e->name, v->name) != 0 && sv_index(&v->deps, e->name) < 0)
			sv_push(&v->deps, e->name);
	}
}

/* sqlite_schema: tables and views, then the indexes (with a statement:
 * the automatic ones belong to constraints) and triggers of what was
 * kept. */
static int read_objects(insp *in, const strvec *skip)
{
	sch_model *m = in->m;
	sqlite3_stmt *st;
	if (prep(in,
	         "SELECT type, name, tbl_name, sql FROM %s"
	         " WHERE type IN ('table', 'view', 'index', 'trigger')"
	         " AND (type <> 'index' OR sql IS NOT NULL)"
	         " ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'view' THEN 1 ELSE 2 END, name",
	         &st) != SQLITE_OK)
		return fail(in, st);
	strvec later = STRVEC_INIT; /* index and trigger rows: type, name, tbl_name, sql */
	size_t capdefs = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = col_text(st, 0), *name = col_text(st, 1);
		const char *tbl = col_text(st, 2), *sql = col_text(st, 3);
		if (!type || !name)
			continue;
		if (strcmp(type, "table") == 0) {
			if (strncasecmp(name, "sqlite_", 7) == 0 || skipped(skip, name) ||
			    is_shadow(in, name))
				continue;
			sch_table *t = sch_add_table(m, name);
			t->sql = dup_or_null(sql);
			in->defs = grow(in->defs, m->ntables - 1, &capdefs, sizeof *in->defs);
			tabdef *d = &in->defs[m->ntables - 1];
			memset(d, 0, sizeof *d);
			if (sql && strncasecmp(sql, "CREATE VIRTUAL", 14) == 0)
				d->is_virtual = 1;
			else if (sql)
				parse_table(sql, d, &in->tk);
			t->without_rowid = d->without_rowid;
			t->strict = d->strict;
		} else if (strcmp(type, "view") == 0) {
			if (skipped(skip, name))
				continue;
			sch_view *v = sch_add_view(m, name);
			v->def = xstrdup(sql ? sql : "");
		} else {
			sv_push(&later, type);
			sv_push(&later, name);
			sv_push(&later, tbl ? tbl : "");
			sv_push(&later, sql ? sql : "");
		}
	}
	if (rc != SQLITE_DONE) {
		sv_free(&later);
		return fail(in, st);
	}
	sqlite3_finalize(st);

	in->tmap = xcalloc(m->ntables + 1, sizeof *in->tmap);
	for (size_t i = 0; i < m->ntables; i++)
		in->tmap[i] = (nm){m->tables[i].name, i};
	qsort(in->tmap, m->ntables, sizeof *in->tmap, nm_cmp);
	in->nomap = m->ntables + m->nviews;
	in->omap = xcalloc(in->nomap + 1, sizeof *in->omap);
	for (size_t i = 0; i < m->ntables; i++)
		in->omap[i] = (nm){m->tables[i].name, i};
	for (size_t i = 0; i < m->nviews; i++)
		in->omap[m->ntables + i] = (nm){m->views[i].name, i};
	qsort(in->omap, in->nomap, sizeof *in->omap, nm_casecmp);

	size_t capidefs = 0;
	for (size_t r = 0; r + 3 < later.n; r += 4) {
		const char *type = later.v[r], *name = later.v[r + 1], *tbl = later.v[r + 2],
		           *sql = later.v[r + 3];
		if (strcmp(type, "index") == 0) {
			if (table_index(in, tbl) < 0)
				continue; /* a skipped table's */
			sch_index *x = sch_add_index(m, tbl, name);
			x->def = xstrdup(sql);
			in->idefs = grow(in->idefs, m->nindexes - 1, &capidefs, sizeof *in->idefs);
			idxdef *d = &in->idefs[m->nindexes - 1];
			memset(d, 0, sizeof *d);
			parse_index(sql, x, d, &in->tk);
		} else if (strcmp(type, "trigger") == 0) {
			if (!nm_find(in->omap, in->nomap, tbl, 1))
				continue; /* a skipped table's */
			sch_trigger *g = sch_add_trigger(m, tbl, name);
			g->def = xstrdup(sql);
		}
	}
	sv_free(&later);
	in->imap = xcalloc(m->nindexes + 1, sizeof *in->imap);
	for (size_t i = 0; i < m->nindexes; i++)
		in->imap[i] = (nm){m->indexes[i].name, i};
	qsort(in->imap, m->nindexes, sizeof *in->imap, nm_cmp);

	for (size_t i = 0; i < m->nviews; i++)
		view_deps(in, &m->views[i]);
	return RETORT_OK;
}

/* The tables the pragma joins visit: not SQLite's own, not virtual (a
 * module that is not loaded would fail the whole statement). */
#define REAL_TABLES                                                                                \
	" m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%%' ESCAPE '\\'"                          \
	" AND coalesce(m.sql, '') NOT LIKE 'CREATE VIRTUAL%%'"

static const coldef *find_coldef(const tabdef *d, size_t guess, const char *name)
{
	if (guess < d->ncol && strcasecmp(d->col[guess].name, name) == 0)
		return &d->col[guess];
	for (size_t i = 0; i < d->ncol; i++)
		if (strcasecmp(d->col[i].name, name) == 0)
			return &d->col[i];
	return NULL;
}

static const clause *first_clause(const tabdef *d, sch_con_kind kind)
{
	for (size_t i = 0; i < d->ncl; i++)
		if (d->cl[i].kind == kind)
			return &d->cl[i];
	return NULL;
}

static int read_columns(insp *in)
{
	sch_model *m = in->m;
	sqlite3_stmt *st;
	if (prep(in,
	         "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk, p.hidden"
	         " FROM %s m JOIN pragma_table_xinfo(m.name, ?1) p WHERE" REAL_TABLES
	         " ORDER BY m.name, p.cid",
	         &st) != SQLITE_OK)
		return fail(in, st);
	int rc;
	long ti = -1;
	const char *tname = NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *table = col_text(st, 0), *name = col_text(st, 1);
		if (!table || !name)
			continue;
		if (!tname || strcmp(tname, table) != 0) {
			ti = table_index(in, table);
			tname = ti >= 0 ? m->tables[ti].name : NULL;
		}
		if (ti < 0)
			continue;
		sch_table *t = &m->tables[ti];
		const tabdef *d = &in->defs[ti];
		sch_column *c = sch_add_column(t, name);
		c->type = sch_norm_type(DIALECT_SQLITE, col_text(st, 2));
		c->notnull = sqlite3_column_int(st, 3) != 0;
		c->dflt = dup_or_null(col_text(st, 4));
		c->pk = sqlite3_column_int(st, 5);
		c->hidden = sqlite3_column_int(st, 6);
		const coldef *cd = find_coldef(d, t->ncols - 1, name);
		if (cd && cd->generated && (c->hidden == 2 || c->hidden == 3))
			c->generated = xstrdup(cd->generated);
		if (cd && cd->collation && strcasecmp(cd->collation, "BINARY") != 0)
			c->collation = xstrdup(cd->collation);
	}
	if (rc != SQLITE_DONE)
		return fail(in, st);
	sqlite3_finalize(st);

	/* The primary key, in key order, first among the constraints. */
	for (size_t i = 0; i < m->ntables; i++) {
		sch_table *t = &m->tables[i];
		int npk = 0;
		for (size_t k = 0; k < t->ncols; k++)
			if (t->cols[k].pk > npk)
				npk = t->cols[k].pk;
		if (!npk)
			continue;
		const clause *pc = first_clause(&in->defs[i], SCH_PK);
		sch_constraint *k = sch_add_constraint(t, SCH_PK, pc ? pc->name : NULL);
		for (int pos = 1; pos <= npk; pos++)
			for (size_t j = 0; j < t->ncols; j++)
				if (t->cols[j].pk == pos)
					sv_push(&k->cols, t->cols[j].name);
	}
	return RETORT_OK;
}

/* One index of pragma_index_list as its rows arrive. */
typedef struct idxgroup {
	long table; /* -1: none open */
	char *name;
	int unique_con; /* origin 'u' */
	sch_index *x;   /* origin 'c' */
	idxdef *d;
	size_t nkey;
	strvec cols;
} idxgroup;

static void idx_flush(insp *in, idxgroup *g)
{
	if (g->table >= 0 && g->unique_con) {
		sch_table *t = &in->m->tables[g->table];
		tabdef *d = &in->defs[g->table];
		const char *name = NULL;
		for (size_t i = 0; i < d->ncl; i++)
			if (d->cl[i].kind == SCH_UNIQUE && !d->cl[i].used &&
			    names_eq(&d->cl[i].cols, &g->cols)) {
				d->cl[i].used = 1;
				name = d->cl[i].name;
				break;
			}
		sch_constraint *k = sch_add_constraint(t, SCH_UNIQUE, name);
		k->cols = g->cols;
		g->cols = (strvec)STRVEC_INIT;
	}
	sv_free(&g->cols);
	free(g->name);
	memset(g, 0, sizeof *g);
	g->table = -1;
}

static int read_indexes(insp *in)
{
	sch_model *m = in->m;
	sqlite3_stmt *st;
	if (prep(in,
	         "SELECT m.name, il.name, il.\"unique\", il.origin, ii.cid, ii.name, ii.\"desc\""
	         " FROM %s m JOIN pragma_index_list(m.name, ?1) il"
	         " JOIN pragma_index_xinfo(il.name, ?1) ii"
	         " WHERE" REAL_TABLES " AND il.origin IN ('c', 'u') AND ii.key"
	         " ORDER BY m.name, il.seq DESC, ii.seqno",
	         &st) != SQLITE_OK)
		return fail(in, st);
	idxgroup g = {.table = -1};
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *table = col_text(st, 0), *iname = col_text(st, 1);
		const char *origin = col_text(st, 3), *cname = col_text(st, 5);
		if (!table || !iname || !origin)
			continue;
		if (!g.name || strcmp(g.name, iname) != 0) {
			idx_flush(in, &g);
			g.name = xstrdup(iname);
			g.table = table_index(in, table);
			if (g.table >= 0 && strcmp(origin, "u") == 0) {
				g.unique_con = 1;
			} else if (g.table >= 0) {
				const nm *e = nm_find(in->imap, m->nindexes, iname, 0);
				if (e) {
					g.x = &m->indexes[e->i];
					g.d = &in->idefs[e->i];
					g.x->unique = sqlite3_column_int(st, 2) != 0;
				}
			}
		}
		if (g.table < 0)
			continue;
		if (g.unique_con) {
			sv_push(&g.cols, cname ? cname : "");
			continue;
		}
		if (!g.x)
			continue;
		int cid = sqlite3_column_int(st, 4);
		size_t k = g.nkey++;
		sbuf key = SBUF_INIT;
		if (cid >= 0 && cname)
			sb_adds(&key, cname);
		else if (cid == -2 && k < g.d->exprs.n)
			sb_adds(&key, g.d->exprs.v[k]);
		else
			sb_adds(&key, cid == -1 ? "rowid" : "?");
		if (k < g.d->colls.n && g.d->colls.v[k][0])
			sb_addf(&key, " COLLATE %s", g.d->colls.v[k]);
		if (sqlite3_column_int(st, 6))
			sb_adds(&key, " DESC");
		sv_push_owned(&g.x->keys, sb_detach(&key));
	}
	idx_flush(in, &g);
	if (rc != SQLITE_DONE)
		return fail(in, st);
	sqlite3_finalize(st);
	return RETORT_OK;
}

/* One foreign key of pragma_foreign_key_list (rows of one id). */
typedef struct fkgroup {
	int id;
	strvec cols, ref_cols;
	char *ref_table, *on_delete, *on_update;
	int no_to; /* a row without "to": the reference names no columns */
} fkgroup;

/* SQLite numbers a table's foreign keys last-declared first: emit them
 * in declaration order, named from the statement's FK clauses (by
 * position when the columns agree, else by columns). */
static void fk_flush(insp *in, long ti, fkgroup *gs, size_t n)
{
	if (ti >= 0) {
		sch_table *t = &in->m->tables[ti];
		tabdef *d = &in->defs[ti];
		size_t nfk = 0;
		for (size_t i = 0; i < d->ncl; i++)
			nfk += d->cl[i].kind == SCH_FK;
		for (size_t gi = n; gi-- > 0;) {
			fkgroup *g = &gs[gi];
			clause *match = NULL;
			if (nfk == n) {
				size_t want = n - 1 - gi, seen = 0;
				for (size_t i = 0; i < d->ncl; i++)
					if (d->cl[i].kind == SCH_FK && seen++ == want) {
						if (!d->cl[i].used &&
						    names_eq(&d->cl[i].cols, &g->cols))
							match = &d->cl[i];
						break;
					}
			}
			for (size_t i = 0; !match && i < d->ncl; i++)
				if (d->cl[i].kind == SCH_FK && !d->cl[i].used &&
				    names_eq(&d->cl[i].cols, &g->cols))
					match = &d->cl[i];
			if (match)
				match->used = 1;
			sch_constraint *k =
			    sch_add_constraint(t, SCH_FK, match ? match->name : NULL);
			k->cols = g->cols;
			g->cols = (strvec)STRVEC_INIT;
			if (g->no_to)
				sv_clear(&g->ref_cols);
			k->ref_cols = g->ref_cols;
			g->ref_cols = (strvec)STRVEC_INIT;
			k->ref_table = g->ref_table;
			k->on_delete = g->on_delete;
			k->on_update = g->on_update;
			g->ref_table = g->on_delete = g->on_update = NULL;
			k->deferrable = match ? match->deferrable : 0;
		}
	}
	for (size_t i = 0; i < n; i++) {
		sv_free(&gs[i].cols);
		sv_free(&gs[i].ref_cols);
		free(gs[i].ref_table);
		free(gs[i].on_delete);
		free(gs[i].on_update);
	}
}

static int read_fks(insp *in)
{
	sqlite3_stmt *st;
	if (prep(in,
	         "SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete"
	         " FROM %s m JOIN pragma_foreign_key_list(m.name, ?1) f WHERE" REAL_TABLES
	         " ORDER BY m.name, f.id, f.seq",
	         &st) != SQLITE_OK)
		return fail(in, st);
	fkgroup *gs = NULL;
	size_t n = 0, cap = 0;
	long ti = -1;
	char *tname = NULL;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *table = col_text(st, 0);
		if (!table)
			continue;
		if (!tname || strcmp(tname, table) != 0) {
			fk_flush(in, ti, gs, n);
			n = 0;
			free(tname);
			tname = xstrdup(table);
			ti = table_index(in, table);
		}
		if (ti < 0)
			continue;
		int id = sqlite3_column_int(st, 1);
		if (!n || gs[n - 1].id != id) {
			gs = grow(gs, n, &cap, sizeof *gs);
			fkgroup *g = &gs[n++];
			memset(g, 0, sizeof *g);
			g->id = id;
			g->ref_table = dup_or_null(col_text(st, 2));
			g->on_update = dup_or_null(col_text(st, 5));
			g->on_delete = dup_or_null(col_text(st, 6));
		}
		fkgroup *g = &gs[n - 1];
		const char *from = col_text(st, 3), *to = col_text(st, 4);
		sv_push(&g->cols, from ? from : "");
		if (to)
			sv_push(&g->ref_cols, to);
		else
			g->no_to = 1;
	}
	fk_flush(in, ti, gs, n);
	free(gs);
	free(tname);
	if (rc != SQLITE_DONE)
		return fail(in, st);
	sqlite3_finalize(st);
	return RETORT_OK;
}

/* CHECK constraints exist only in the statements. */
static void add_checks(insp *in)
{
	for (size_t i = 0; i < in->m->ntables; i++) {
		const tabdef *d = &in->defs[i];
		for (size_t k = 0; k < d->ncl; k++)
			if (d->cl[k].kind == SCH_CHECK) {
				sch_constraint *c =
				    sch_add_constraint(&in->m->tables[i], SCH_CHECK, d->cl[k].name);
				c->expr = xstrdup(d->cl[k].expr);
			}
	}
}

int sqlite_inspect(db_conn *c, const char *schema, const strvec *skip, sch_model *out,
                   retort_error *err)
{
	insp in = {0};
	in.db = sqlite_conn_handle(c);
	in.schema = schema && *schema ? schema : "main";
	in.m = out;
	in.err = err;
	/* One read transaction: the statements see one version of the schema. */
	int own_tx = sqlite3_get_autocommit(in.db);
	int rc = RETORT_OK;
	if (own_tx && sqlite3_exec(in.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		rc = fail(&in, NULL);
		own_tx = 0;
	}
	if (rc == RETORT_OK)
		rc = read_shadow(&in);
	if (rc == RETORT_OK)
		rc = read_objects(&in, skip);
	if (rc == RETORT_OK)
		rc = read_columns(&in);
	if (rc == RETORT_OK)
		rc = read_indexes(&in);
	if (rc == RETORT_OK)
		rc = read_fks(&in);
	if (rc == RETORT_OK)
		add_checks(&in);
	if (own_tx &&
	    (rc != RETORT_OK || sqlite3_exec(in.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK))
		sqlite3_exec(in.db, "ROLLBACK", NULL, NULL, NULL);

	for (size_t i = 0; in.defs && i < out->ntables; i++)
		tabdef_free(&in.defs[i]);
	free(in.defs);
	for (size_t i = 0; in.idefs && i < out->nindexes; i++) {
		sv_free(&in.idefs[i].exprs);
		sv_free(&in.idefs[i].colls);
	}
	free(in.idefs);
	free(in.tmap);
	free(in.imap);
	free(in.omap);
	sv_free(&in.shadow);
	free(in.tk.v);

	if (rc != RETORT_OK) { /* leave an empty model, still the caller's to free */
		char *name = out->schema ? xstrdup(out->schema) : NULL;
		dialect kind = out->kind;
		sch_model_free(out);
		sch_model_init(out, kind, name);
		free(name);
		return rc;
	}
	sch_model_sort(out);
	return RETORT_OK;
}
