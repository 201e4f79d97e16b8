/*
 * inspect_pg.c: PostgreSQL introspection into the schema model
 * (driver_pg.inspect). A fixed set of set-based pg_catalog queries for
 * the whole schema — tables, columns, defaults, comments, owned
 * sequences, constraints, indexes, views, triggers, enums, sequences —
 * never one per table: 10,000 tables cost the same dozen round trips as
 * ten. Whatever the catalog can be joined on cheaply is; per-column
 * lookups (key columns by attnum, comments, defaults, serial) are made
 * in C against the columns already read, since a join per row is what
 * 100,000 columns cost most when the catalog's statistics lag behind a
 * migration that has just created the tables.
 *
 * The queries run in a read-only REPEATABLE READ transaction (or, when
 * the caller already has one open, a savepoint that is rolled back), so
 * they all see one snapshot, with search_path set locally to the schema
 * alone: format_type, pg_get_expr, pg_get_viewdef and the other deparsers
 * then name the schema's own objects unqualified and everything else
 * qualified, whatever the session's search_path is. The caller's
 * transaction state and settings are as before when this returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "driver/pg_int.h"

/* Parameter types: $1 the namespace's oid, $2 the skipped names. */
#define OID_OID 26
#define TEXT_ARRAY_OID 1009

/* The schema's ordinary and partitioned tables, less the skipped ones. */
#define USER_TABLE(c)                                                                              \
	c ".relnamespace = $1 AND " c ".relkind IN ('r', 'p') AND " c ".relname::text <> ALL ($2)"

typedef struct ictx {
	db_conn *conn;
	PGconn *pg;
	int version; /* PQserverVersion */
	const char *params[2];
	retort_error *err;
	sch_model *m;
	/* Filled in oid order: oids[i] is m->tables[i]'s (ascending); the
	 * attnums of its columns, ascending like t->cols, are
	 * attnums[first[i] .. first[i] + ncols). */
	unsigned *oids;
	size_t *first;
	int *attnums;
	char *generated; /* attgenerated, beside attnums */
} ictx;

/* Failures are reported as pg.c reports a failing statement (one line,
 * secrets scrubbed), by pg.c itself. */
static int fail(db_conn *c, PGresult *r, retort_error *err)
{
	return pg_conn_fail(c, r, err);
}

/* A statement without parameters or rows (BEGIN, SAVEPOINT, ...). */
static int command(db_conn *c, PGconn *pg, const char *sql, retort_error *err)
{
	PGresult *r = PQexec(pg, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return fail(c, r, err);
	PQclear(r);
	return RETORT_OK;
}

/* One catalog query over $1 (namespace oid) and $2 (skipped names). */
static int query(ictx *x, const char *sql, PGresult **out)
{
	static const Oid types[2] = {OID_OID, TEXT_ARRAY_OID};
	PGresult *r = PQexecParams(x->pg, sql, 2, types, x->params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		*out = NULL;
		return fail(x->conn, r, x->err);
	}
	*out = r;
	return RETORT_OK;
}

/* A cell; NULL for SQL NULL. */
static const char *cell(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static char *dup_cell(const PGresult *r, int row, int col)
{
	const char *v = cell(r, row, col);
	return v ? xstrdup(v) : NULL;
}

static int bool_cell(const PGresult *r, int row, int col)
{
	const char *v = cell(r, row, col);
	return v && v[0] == 't';
}

static char char_cell(const PGresult *r, int row, int col)
{
	const char *v = cell(r, row, col);
	return v ? v[0] : 0;
}

static unsigned oid_cell(const PGresult *r, int row, int col)
{
	const char *v = cell(r, row, col);
	return v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

/* Appends the elements of a one-dimensional array in PostgreSQL's text
 * form ({a,"b c","d\"e"}) to out; NULL elements are left out. */
static void parse_array(const char *s, strvec *out)
{
	if (!s || *s != '{')
		return;
	s++;
	sbuf b = SBUF_INIT;
	while (*s && *s != '}') {
		sb_reset(&b);
		int quoted = *s == '"';
		if (quoted) {
			s++;
			while (*s && *s != '"') {
				if (*s == '\\' && s[1])
					s++;
				sb_addc(&b, *s++);
			}
			if (*s == '"')
				s++;
		} else {
			while (*s && *s != ',' && *s != '}')
				sb_addc(&b, *s++);
		}
		if (quoted || strcmp(sb_str(&b), "NULL") != 0)
			sv_push(out, sb_str(&b));
		if (*s == ',')
			s++;
	}
	sb_free(&b);
}

/* The skipped names as an array literal for $2. */
static char *array_literal(const strvec *names)
{
	sbuf b = SBUF_INIT;
	sb_addc(&b, '{');
	for (size_t i = 0; names && i < names->n; i++) {
		if (i)
			sb_addc(&b, ',');
		sb_addc(&b, '"');
		for (const char *p = names->v[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				sb_addc(&b, '\\');
			sb_addc(&b, *p);
		}
		sb_addc(&b, '"');
	}
	sb_addc(&b, '}');
	return sb_detach(&b);
}

/* The index in the model of the table with this oid; -1 when it is not
 * one of ours. */
static long table_index(const ictx *x, unsigned oid)
{
	size_t lo = 0, hi = x->m->ntables;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->oids[mid] == oid)
			return (long)mid;
		if (x->oids[mid] < oid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The position in table ti's columns of the one with this attnum; -1
 * when there is none. */
static long column_index(const ictx *x, long ti, long attnum)
{
	if (ti < 0 || !x->first)
		return -1;
	const int *a = x->attnums + x->first[ti];
	size_t lo = 0, hi = x->m->tables[ti].ncols;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] == attnum)
			return (long)mid;
		if (a[mid] < attnum)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static sch_column *column_of(const ictx *x, long ti, long attnum)
{
	long ci = column_index(x, ti, attnum);
	return ci < 0 ? NULL : &x->m->tables[ti].cols[ci];
}

/* The names of the columns an int2[] of attnums ("{2,1}") names, in its
 * order, from table ti's columns; 0 when one is not there. */
static int attnames(const ictx *x, long ti, const char *arr, strvec *out)
{
	if (!arr || *arr != '{')
		return 0;
	for (const char *p = arr + 1; *p && *p != '}';) {
		char *end;
		long n = strtol(p, &end, 10);
		const sch_column *c = end != p ? column_of(x, ti, n) : NULL;
		if (!c)
			return 0;
		sv_push(out, c->name);
		p = *end == ',' ? end + 1 : end;
	}
	return 1;
}

/* "CHECK (expr)", "CHECK (expr) NOT VALID", "CHECK (expr) NO INHERIT":
 * the expression, up to the parenthesis that closes the first one. */
static char *check_expr(const char *def)
{
	if (!def)
		return NULL;
	if (strncmp(def, "CHECK (", 7) != 0)
		return xstrdup(def);
	int depth = 0;
	char quote = 0;
	for (const char *p = def + 6; *p; p++) {
		if (quote) {
			if (*p == quote) /* a doubled quote closes and reopens: same result */
				quote = 0;
			continue;
		}
		if (*p == '\'' || *p == '"')
			quote = *p;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return xstrndup(def + 7, (size_t)(p - (def + 7)));
	}
	return xstrdup(def + 6);
}

static const char *fk_action(char c)
{
	switch (c) {
	case 'r':
		return "RESTRICT";
	case 'c':
		return "CASCADE";
	case 'n':
		return "SET NULL";
	case 'd':
		return "SET DEFAULT";
	default:
		return "NO ACTION";
	}
}

/* ---- the queries ---------------------------------------------------------- */

static int read_tables(ictx *x)
{
	static const char sql[] = "SELECT c.oid, c.relname FROM pg_catalog.pg_class c "
	                          "WHERE " USER_TABLE("c") " ORDER BY c.oid";
	PGresult *r;
	int rc = query(x, sql, &r);
	if (rc)
		return rc;
	int n = PQntuples(r);
	x->oids = xcalloc((size_t)n + 1, sizeof *x->oids);
	for (int i = 0; i < n; i++) {
		x->oids[i] = oid_cell(r, i, 0);
		sch_add_table(x->m, PQgetvalue(r, i, 1));
	}
	PQclear(r);
	return RETORT_OK;
}

/* Catalog joins per column are what a set of 100,000 columns costs most
 * (the planner, with statistics that lag behind a migration that just
 * created the tables, probes an index per row): the type's collation
 * and the collation's name are looked up only for a column whose
 * collation is set; defaults, comments and owned sequences come in
 * queries of their own. */
static int read_columns(ictx *x)
{
	char *sql = xasprintf(
		"SELECT a.attrelid, a.attnum, a.attname, "
		"pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, %s, %s, "
		"CASE WHEN a.attcollation <> 0 AND a.attcollation <> (SELECT t.typcollation "
		" FROM pg_catalog.pg_type t WHERE t.oid = a.atttypid) THEN (SELECT co.collname "
		" FROM pg_catalog.pg_collation co WHERE co.oid = a.attcollation) END "
		"FROM pg_catalog.pg_attribute a "
		"JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
		"WHERE " USER_TABLE("c") " AND a.attnum > 0 AND NOT a.attisdropped "
		"ORDER BY a.attrelid, a.attnum",
		x->version >= 100000 ? "a.attidentity" : "''::\"char\"",
		x->version >= 120000 ? "a.attgenerated" : "''::\"char\"");
	PGresult *r;
	int rc = query(x, sql, &r);
	free(sql);
	if (rc)
		return rc;
	int n = PQntuples(r);
	x->first = xcalloc(x->m->ntables + 1, sizeof *x->first);
	x->attnums = xcalloc((size_t)n + 1, sizeof *x->attnums);
	x->generated = xcalloc((size_t)n + 1, 1);
	long ti = -1;
	unsigned cur = 0;
	size_t next = 0; /* the model's tables are in oid order, like the rows */
	for (int i = 0; i < n; i++) {
		unsigned oid = oid_cell(r, i, 0);
		if (ti < 0 || oid != cur) {
			cur = oid;
			ti = table_index(x, oid);
			if (ti < 0)
				continue;
			while (next <= (size_t)ti)
				x->first[next++] = (size_t)i;
		}
		if (ti < 0)
			continue;
		sch_table *t = &x->m->tables[ti];
		x->attnums[x->first[ti] + t->ncols] = atoi(PQgetvalue(r, i, 1));
		x->generated[x->first[ti] + t->ncols] = char_cell(r, i, 6);
		sch_column *col = sch_add_column(t, PQgetvalue(r, i, 2));
		col->type = dup_cell(r, i, 3);
		col->notnull = bool_cell(r, i, 4);
		char identity = char_cell(r, i, 5);
		if (identity == 'a')
			col->identity = xstrdup("always");
		else if (identity == 'd')
			col->identity = xstrdup("by default");
		col->collation = dup_cell(r, i, 7);
	}
	while (next <= x->m->ntables)
		x->first[next++] = (size_t)n;
	PQclear(r);
	return RETORT_OK;
}

/* Defaults, and the expressions of generated columns. */
static int read_defaults(ictx *x)
{
	static const char sql[] =
		"SELECT ad.adrelid, ad.adnum, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) "
		"FROM pg_catalog.pg_attrdef ad JOIN pg_catalog.pg_class c ON c.oid = ad.adrelid "
		"WHERE " USER_TABLE("c");
	PGresult *r;
	int rc = query(x, sql, &r);
	if (rc)
		return rc;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		long ti = table_index(x, oid_cell(r, i, 0));
		long ci = column_index(x, ti, atol(PQgetvalue(r, i, 1)));
		if (ci < 0)
			continue;
		sch_column *c = &x->m->tables[ti].cols[ci];
		char **to = x->generated[x->first[ti] + (size_t)ci] == 's' ? &c->generated : &c->dflt;
		free(*to);
		*to = dup_cell(r, i, 2);
	}
	PQclear(r);
	return RETORT_OK;
}

/* Comments on the tables and their columns. */
static int read_comments(ictx *x)
{
	static const char sql[] =
		"SELECT d.objoid, d.objsubid, d.description FROM pg_catalog.pg_description d "
		"JOIN pg_catalog.pg_class c ON c.oid = d.objoid "
		"WHERE d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND " USER_TABLE("c");
	PGresult *r;
	int rc = query(x, sql, &r);
	if (rc)
		return rc;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		long ti = table_index(x, oid_cell(r, i, 0));
		long sub = atol(PQgetvalue(r, i, 1));
		if (ti < 0)
			continue;
		char **to = NULL;
		if (sub == 0) {
			to = &x->m->tables[ti].comment;
		} else {
			sch_column *c = column_of(x, ti, sub);
			if (c)
				to = &c->comment;
		}
		if (to) {
			free(*to);
			*to = xstrdup(PQgetvalue(r, i, 2));
		}
	}
	PQclear(r);
	return RETORT_OK;
}

/* serial: the column's default is nextval() of a sequence the column owns
 * (pg_depend 'a', as SERIAL and OWNED BY make it), spelled as pg_get_expr
 * spells it: the regclass text, under the same search_path, as a literal
 * (quotes doubled; backslashes too unless standard_conforming_strings). */
static int read_serials(ictx *x)
{
	static const char sql[] =
		"SELECT dp.refobjid, dp.refobjsubid, s.oid::pg_catalog.regclass::text "
		"FROM pg_catalog.pg_depend dp "
		"JOIN pg_catalog.pg_class s ON s.oid = dp.objid AND s.relkind = 'S' "
		"JOIN pg_catalog.pg_class c ON c.oid = dp.refobjid "
		"WHERE dp.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
		"AND dp.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
		"AND dp.deptype = 'a' AND dp.refobjsubid > 0 AND " USER_TABLE("c");
	PGresult *r;
	int rc = query(x, sql, &r);
	if (rc)
		return rc;
	const char *scs = PQparameterStatus(x->pg, "standard_conforming_strings");
	int double_backslash = !scs || strcmp(scs, "on") != 0;
	int n = PQntuples(r);
	sbuf want = SBUF_INIT;
	for (int i = 0; i < n; i++) {
		sch_column *c =
			column_of(x, table_index(x, oid_cell(r, i, 0)), atol(PQgetvalue(r, i, 1)));
		if (!c || !c->dflt)
			continue;
		sb_reset(&want);
		sb_adds(&want, "nextval('");
		for (const char *p = PQgetvalue(r, i, 2); *p; p++) {
			if (*p == '\'' || (*p == '\\' && double_backslash))
				sb_addc(&want, *p);
			sb_addc(&want, *p);
		}
		sb_adds(&want, "'::regclass)");
		if (strcmp(c->dflt, sb_str(&want)) == 0)
			c->serial = 1;
	}
	sb_free(&want);
	PQclear(r);
	return RETORT_OK;
}

static int read_constraints(ictx *x)
{
	/* Key columns are named from the columns already read; those of a
	 * referenced table that is not in the model (another schema, a
	 * skipped table) here. */
	static const char sql[] =
		"SELECT k.conrelid, k.conname, k.contype, k.condeferrable, k.condeferred, k.conkey, "
		"k.confrelid, r.relname, CASE WHEN r.relnamespace <> $1 THEN rn.nspname END, k.confkey, "
		"CASE WHEN r.relnamespace <> $1 OR r.relname::text = ANY ($2) THEN "
		" ARRAY(SELECT (SELECT a.attname FROM pg_catalog.pg_attribute a "
		"  WHERE a.attrelid = k.confrelid AND a.attnum = u.n) "
		"  FROM pg_catalog.unnest(k.confkey) WITH ORDINALITY u(n, o) ORDER BY u.o) END, "
		"k.confdeltype, k.confupdtype, pg_catalog.pg_get_constraintdef(k.oid, true) "
		"FROM pg_catalog.pg_constraint k "
		"JOIN pg_catalog.pg_class c ON c.oid = k.conrelid "
		"LEFT JOIN pg_catalog.pg_class r ON r.oid = k.confrelid "
		"LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace "
		"WHERE " USER_TABLE("c") " AND k.contype IN ('p', 'u', 'f', 'c', 'x') "
		"ORDER BY k.conrelid, k.conname";
	PGresult *r;
	int rc = query(x, sql, &r);
	if (rc)
		return rc;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		long ti = table_index(x, oid_cell(r, i, 0));
		if (ti < 0)
			continue;
		sch_table *t = &x->m->tables[ti];
		char type = char_cell(r, i, 2);
		sch_con_kind kind = type == 'p'   ? SCH_PK :
		                    type == 'u'   ? SCH_UNIQUE :
		                    type == 'f'   ? SCH_FK :
		                    type == 'c'   ? SCH_CHECK :
		                                    SCH_EXCLUDE;
		sch_constraint *k = sch_add_constraint(t, kind, PQgetvalue(r, i, 1));
		if (bool_cell(r, i, 3))
			k->deferrable = bool_cell(r, i, 4) ? 2 : 1;
		if (kind == SCH_PK || kind == SCH_UNIQUE || kind == SCH_FK)
			attnames(x, ti, cell(r, i, 5), &k->cols);
		if (kind == SCH_FK) {
			k->ref_table = dup_cell(r, i, 7);
			k->ref_schema = dup_cell(r, i, 8);
			if (cell(r, i, 10))
				parse_array(cell(r, i, 10), &k->ref_cols);
			else
				attnames(x, table_index(x, oid_cell(r, i, 6)), cell(r, i, 9), &k->ref_cols);
			k->on_delete = xstrdup(fk_action(char_cell(r, i, 11)));
			k->on_update = xstrdup(fk_action(char_cell(r, i, 12)));
		}
		k->def = dup_cell(r, i, 13);
		if (kind == SCH_CHECK)
			k->expr = check_expr(k->def);
		if (kind == SCH_PK)
			for (size_t p = 0; p < k->cols.n; p++)
				for (size_t c = 0; c < t->ncols; c++)
					if (strcmp(t->cols[c].name, k->cols.v[p]) == 0)
						t->cols[c].pk = (int)p + 1;
	}
	PQclear(r);
	return RETORT_OK;
}

static int read_indexes(ictx *x)
{
	/* The indexes behind PRIMARY KEY, UNIQUE and EXCLUDE constraints are
	 * the constraints' own; the table's constraints describe them. The
	 * anti-join goes through conrelid, which is indexed (conindid is
	 * not): with the catalog's statistics stale, as after creating
	 * thousands of tables, the planner estimates one row and would
	 * otherwise scan pg_constraint once per index. */
	char *sql = xasprintf(
		"SELECT c.relname, ic.relname, i.indisunique, "
		"ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true) "
		" FROM pg_catalog.generate_series(1, i.%s) k ORDER BY k), "
		"pg_catalog.pg_get_expr(i.indpred, i.indrelid), "
		"CASE WHEN am.amname <> 'btree' THEN am.amname END, "
		"pg_catalog.pg_get_indexdef(i.indexrelid, 0, true) "
		"FROM pg_catalog.pg_index i "
		"JOIN pg_catalog.pg_class c ON c.oid = i.indrelid "
		"JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
		"JOIN pg_catalog.pg_am am ON am.oid = ic.relam "
		"WHERE " USER_TABLE("c") " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k "
		"WHERE k.conrelid = i.indrelid AND k.conindid = i.indexrelid "
		"AND k.contype IN ('p', 'u', 'x'))",
		x->version >= 110000 ? "indnkeyatts" : "indnatts");
	PGresult *r;
	int rc = query(x, sql, &r);
	free(sql);
	if (rc)
		return rc;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		sch_index *ix = sch_add_index(x->m, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
		ix->unique = bool_cell(r, i, 2);
		parse_array(cell(r, i, 3), &ix->keys);
		ix->where = dup_cell(r, i, 4);
		ix->method = dup_cell(r, i, 5);
		ix->def = dup_cell(r, i, 6);
	}
	PQclear(r);
	return RETORT_OK;
}

static int read_views(ictx *x)
{
	/* What a view reads: the relations its _RETURN rule depends on. */
	static const char sql[] =
		"SELECT c.relname, c.relkind, pg_catalog.pg_get_viewdef(c.oid, true), d.description, "
		"ARRAY(SELECT DISTINCT r.relname FROM pg_catalog.pg_rewrite w "
		" JOIN pg_catalog.pg_depend dp ON dp.objid = w.oid "
		" AND dp.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass "
		" AND dp.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
		" JOIN pg_catalog.pg_class r ON r.oid = dp.refobjid "
		" WHERE w.ev_class = c.oid AND dp.refobjid <> c.oid "
		" AND r.relnamespace = c.relnamespace ORDER BY 1) "
		"FROM pg_catalog.pg_class c "
		"LEFT JOIN pg_catalog.pg_description d ON d.objoid = c.oid "
		"AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0 "
		"WHERE c.relnamespace = $1 AND c.relkind IN ('v', 'm') AND c.relname::text <> ALL ($2)";
	PGresult *r;
	int rc = query(x, sql, &r);
	if (rc)
		return rc;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		sch_view *v = sch_add_view(x->m, PQgetvalue(r, i, 0));
		v->materialized = char_cell(r, i, 1) == 'm';
		v->def = dup_cell(r, i, 2);
		v->comment = dup_cell(r, i, 3);
		parse_array(cell(r, i, 4), &v->deps);
	}
	PQclear(r);
	return RETORT_OK;
}

static int read_triggers(ictx *x)
{
	/* Since PostgreSQL 13 the clones of a partitioned table's trigger on
	 * its partitions are not internal but have tgparentid set: the
	 * parent's trigger describes them. */
	char *sql = xasprintf(
		"SELECT c.relname, t.tgname, pg_catalog.pg_get_triggerdef(t.oid, true) "
		"FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid "
		"WHERE " USER_TABLE("c") " AND NOT t.tgisinternal%s",
		x->version >= 130000 ? " AND t.tgparentid = 0" : "");
	PGresult *r;
	int rc = query(x, sql, &r);
	free(sql);
	if (rc)
		return rc;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		sch_trigger *g = sch_add_trigger(x->m, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
		g->def = dup_cell(r, i, 2);
	}
	PQclear(r);
	return RETORT_OK;
}

static int read_enums(ictx *x)
{
	static const char sql[] =
		"SELECT t.typname, ARRAY(SELECT e.enumlabel FROM pg_catalog.pg_enum e "
		" WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder), d.description "
		"FROM pg_catalog.pg_type t "
		"LEFT JOIN pg_catalog.pg_description d ON d.objoid = t.oid "
		"AND d.classoid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.objsubid = 0 "
		"WHERE t.typnamespace = $1 AND t.typtype = 'e'";
	PGresult *r;
	int rc = query(x, sql, &r);
	if (rc)
		return rc;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		sch_enum *e = sch_add_enum(x->m, PQgetvalue(r, i, 0));
		parse_array(cell(r, i, 1), &e->values);
		e->comment = dup_cell(r, i, 2);
	}
	PQclear(r);
	return RETORT_OK;
}

static int read_sequences(ictx *x)
{
	/* owned_by: SERIAL / OWNED BY ('a') or an identity column ('i'); a
	 * sequence owned by a skipped table goes with it. */
	static const char sql[] =
		"SELECT c.relname, pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, "
		"s.seqincrement, s.seqmin, s.seqmax, s.seqcycle, o.owner "
		"FROM pg_catalog.pg_sequence s "
		"JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid "
		"LEFT JOIN LATERAL (SELECT tc.relname AS tab, tc.relname || '.' || a.attname AS owner "
		" FROM pg_catalog.pg_depend dp "
		" JOIN pg_catalog.pg_class tc ON tc.oid = dp.refobjid "
		" JOIN pg_catalog.pg_attribute a ON a.attrelid = dp.refobjid AND a.attnum = dp.refobjsubid "
		" WHERE dp.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND dp.objid = c.oid "
		" AND dp.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
		" AND dp.deptype IN ('a', 'i') AND dp.refobjsubid > 0 LIMIT 1) o ON true "
		"WHERE c.relnamespace = $1 AND c.relkind = 'S' AND c.relname::text <> ALL ($2) "
		"AND (o.tab IS NULL OR o.tab::text <> ALL ($2))";
	PGresult *r;
	int rc = query(x, sql, &r);
	if (rc)
		return rc;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		sch_sequence *s = sch_add_sequence(x->m, PQgetvalue(r, i, 0));
		s->type = dup_cell(r, i, 1);
		s->start = strtoll(PQgetvalue(r, i, 2), NULL, 10);
		s->increment = strtoll(PQgetvalue(r, i, 3), NULL, 10);
		s->min = strtoll(PQgetvalue(r, i, 4), NULL, 10);
		s->max = strtoll(PQgetvalue(r, i, 5), NULL, 10);
		s->cycle = bool_cell(r, i, 6);
		s->owned_by = dup_cell(r, i, 7);
	}
	PQclear(r);
	return RETORT_OK;
}

/* The schema's name (schema, or current_schema()) into out->schema and
 * its oid into nsp ("" when there is no such schema); search_path is
 * then set to it for the rest of the transaction. */
static int resolve_schema(ictx *x, const char *schema, char *nsp, size_t nspsz)
{
	/* JIT compiling these queries (their estimated cost is high on a
	 * large catalog) takes longer than running them. */
	char *sql = xasprintf(
		"SELECT s.name, n.oid, CASE WHEN n.oid IS NOT NULL THEN "
		"pg_catalog.set_config('search_path', pg_catalog.quote_ident(s.name), true) END%s "
		"FROM (SELECT COALESCE($1, pg_catalog.current_schema()) AS name) s "
		"LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = s.name",
		x->version >= 110000 ? ", pg_catalog.set_config('jit', 'off', true)" : "");
	const char *params[1] = {schema};
	PGresult *r = PQexecParams(x->pg, sql, 1, NULL, params, NULL, NULL, 0);
	free(sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return fail(x->conn, r, x->err);
	if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
		PQclear(r);
		return rt_error(x->err, RETORT_ERUNTIME, NULL, 0,
		                "no schema to inspect: search_path names no existing schema");
	}
	free(x->m->schema);
	x->m->schema = xstrdup(PQgetvalue(r, 0, 0));
	snprintf(nsp, nspsz, "%s", PQgetisnull(r, 0, 1) ? "" : PQgetvalue(r, 0, 1));
	PQclear(r);
	return RETORT_OK;
}

int pg_inspect(db_conn *c, const char *schema, const strvec *skip, sch_model *out,
               retort_error *err)
{
	ictx x = {.conn = c, .pg = pg_conn_handle(c), .err = err, .m = out};
	x.version = PQserverVersion(x.pg);
	if (schema && !*schema)
		schema = NULL;
	/* Inside the caller's transaction a savepoint, rolled back after,
	 * keeps its state; otherwise a transaction of our own. */
	int nested = PQtransactionStatus(x.pg) != PQTRANS_IDLE;
	int rc = command(c, x.pg,
	                 nested ? "SAVEPOINT retort_inspect" :
	                          "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	                 err);
	if (rc)
		return rc;

	char nsp[32];
	char *skipped = array_literal(skip);
	rc = resolve_schema(&x, schema, nsp, sizeof nsp);
	if (!rc && *nsp) { /* a schema that does not exist has no objects */
		x.params[0] = nsp;
		x.params[1] = skipped;
		int (*const steps[])(ictx *) = {
			read_tables,      read_columns, read_defaults, read_comments,
			read_serials,     read_constraints, read_indexes, read_views,
			read_triggers,    read_enums,   read_sequences};
		for (size_t i = 0; !rc && i < sizeof steps / sizeof *steps; i++)
			rc = steps[i](&x);
	}
	free(skipped);
	free(x.oids);
	free(x.first);
	free(x.attnums);
	free(x.generated);

	/* Undo the search_path (and, after a failure, the error state). */
	retort_error ignored;
	if (nested) {
		if (command(c, x.pg, "ROLLBACK TO SAVEPOINT retort_inspect", &ignored) == RETORT_OK)
			command(c, x.pg, "RELEASE SAVEPOINT retort_inspect", &ignored);
	} else {
		command(c, x.pg, "ROLLBACK", &ignored);
	}
	if (!rc)
		sch_model_sort(out);
	return rc;
}
