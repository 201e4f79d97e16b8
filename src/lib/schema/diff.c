/*
 * diff.c: two schema models → the changes that turn one into the other.
 * Pure: no SQL is written here (render.c does that) and nothing is
 * ordered beyond the models' own order. Objects are matched by name,
 * tables and columns also through `-- renamed from:` annotations, and
 * constraints by what they constrain (SQLite gives them no names).
 * Expressions are compared in their normal form (sch_norm_expr), so two
 * spellings of one default are not a difference.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/schema.h"

static sch_change *push(sch_diff *d, sch_change_kind kind, const char *table, const char *name)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->v = xrealloc(d->v, d->cap * sizeof *d->v);
	}
	sch_change *c = &d->v[d->n++];
	memset(c, 0, sizeof *c);
	c->kind = kind;
	c->table = table;
	c->name = name;
	c->pair = -1;
	return c;
}

long sch_diff_relations(const sch_diff *d)
{
	long n = 0;
	for (size_t i = 0; i < d->n; i++) {
		const sch_change *c = &d->v[i];
		if (c->hint)
			continue;
		const sch_table *t = c->kind == CH_ADD_TABLE ? c->to_table
		                     : c->kind == CH_DROP_TABLE ? c->from_table
		                                                : NULL;
		if (!t) {
			n++;
			continue;
		}
		n += 3; /* the table, its TOAST table and the TOAST table's index */
		for (size_t k = 0; k < t->ncons; k++)
			n += t->cons[k].kind == SCH_PK || t->cons[k].kind == SCH_UNIQUE ||
			     t->cons[k].kind == SCH_EXCLUDE;
		for (size_t k = 0; k < t->ncols; k++)
			n += t->cols[k].serial || t->cols[k].identity != NULL;
	}
	return n;
}

void sch_diff_free(sch_diff *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].text);
	free(d->v);
	free(d->renames);
	memset(d, 0, sizeof *d);
}

static int same_text(const char *a, const char *b)
{
	if (!a || !*a)
		return !b || !*b;
	if (!b || !*b)
		return 0;
	return strcmp(a, b) == 0;
}

static int same_expr(const char *a, const char *b)
{
	if (!a || !b)
		return same_text(a, b);
	char *x = sch_norm_expr(a), *y = sch_norm_expr(b);
	int eq = strcmp(x, y) == 0;
	free(x);
	free(y);
	return eq;
}

static const char *action(const char *a)
{
	return a && *a ? a : "NO ACTION";
}

static int same_list(const strvec *a, const strvec *b, int as_expr)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (as_expr ? !same_expr(a->v[i], b->v[i]) : strcmp(a->v[i], b->v[i]) != 0)
			return 0;
	return 1;
}

/* The columns a rename maps: name in `to` → name in `from`. */
typedef struct colmap {
	const sch_table *from, *to;
	int reverse; /* annotations live on `from`'s columns */
} colmap;

/* The from-side name of to-side column `name` (itself unless renamed). */
static const char *from_name(const colmap *m, const char *name)
{
	if (!m->reverse) {
		const sch_column *c = sch_find_column(m->to, name);
		if (c && c->renamed_from && sch_find_column(m->from, c->renamed_from) &&
		    !sch_find_column(m->from, name))
			return c->renamed_from;
		return name;
	}
	for (size_t i = 0; i < m->from->ncols; i++) {
		const sch_column *c = &m->from->cols[i];
		if (c->renamed_from && strcmp(c->renamed_from, name) == 0 &&
		    !sch_find_column(m->to, c->name) && !sch_find_column(m->from, name))
			return c->name;
	}
	return name;
}

static int same_constraint(const colmap *m, const sch_constraint *a, const sch_constraint *b)
{
	if (a->kind != b->kind)
		return 0;
	/* a's columns (from side) against b's (to side) mapped back through renames */
	if (a->cols.n != b->cols.n)
		return 0;
	for (size_t i = 0; i < a->cols.n; i++)
		if (strcmp(a->cols.v[i], from_name(m, b->cols.v[i])) != 0)
			return 0;
	switch (a->kind) {
	case SCH_PK:
		return 1;
	case SCH_UNIQUE:
		return a->deferrable == b->deferrable;
	case SCH_FK:
		if (!same_text(a->ref_table, b->ref_table) || !same_text(a->ref_schema, b->ref_schema))
			return 0;
		if (a->ref_cols.n && b->ref_cols.n && !same_list(&a->ref_cols, &b->ref_cols, 0))
			return 0;
		return strcmp(action(a->on_delete), action(b->on_delete)) == 0 &&
		       strcmp(action(a->on_update), action(b->on_update)) == 0 &&
		       a->deferrable == b->deferrable;
	case SCH_CHECK:
		return same_expr(a->expr, b->expr);
	case SCH_EXCLUDE:
		return same_expr(a->def, b->def);
	}
	return 0;
}

static const char *con_word(sch_con_kind k)
{
	switch (k) {
	case SCH_PK: return "primary key";
	case SCH_UNIQUE: return "unique constraint";
	case SCH_FK: return "foreign key";
	case SCH_CHECK: return "check constraint";
	case SCH_EXCLUDE: return "exclusion constraint";
	}
	return "constraint";
}

static char *con_text(const char *verb, const char *table, const sch_constraint *k)
{
	sbuf b = SBUF_INIT;
	sb_addf(&b, "%s %s ", verb, con_word(k->kind));
	if (k->name && *k->name)
		sb_addf(&b, "'%s' ", k->name);
	sb_addf(&b, "on '%s", table);
	if (k->kind == SCH_CHECK) {
		sb_addf(&b, "' (%s)", k->expr ? k->expr : "");
		return sb_detach(&b);
	}
	sb_addc(&b, '(');
	sv_join(&b, &k->cols, ", ");
	sb_addc(&b, ')');
	if (k->kind == SCH_FK) {
		sb_addf(&b, " -> %s(", k->ref_table ? k->ref_table : "");
		sv_join(&b, &k->ref_cols, ", ");
		sb_addc(&b, ')');
	}
	sb_addc(&b, '\'');
	return sb_detach(&b);
}

static int same_index(const sch_index *a, const sch_index *b)
{
	return a->unique == b->unique && same_list(&a->keys, &b->keys, 1) &&
	       same_expr(a->where, b->where) && same_text(a->method, b->method);
}

static char *index_text(const char *verb, const sch_index *x)
{
	sbuf b = SBUF_INIT;
	sb_addf(&b, "%s %sindex '%s' on '%s(", verb, x->unique ? "unique " : "", x->name, x->table);
	sv_join(&b, &x->keys, ", ");
	sb_adds(&b, ")'");
	if (x->where)
		sb_addf(&b, " where %s", x->where);
	return sb_detach(&b);
}

/* ---- columns of one pair of tables ----------------------------------------- */

static void diff_columns(const sch_table *ft, const sch_table *tt, int reverse, sch_diff *d)
{
	colmap m = {ft, tt, reverse};
	const char *tn = tt->name;
	size_t first_add = d->n;
	/* to-side columns: kept (maybe renamed) or added */
	for (size_t i = 0; i < tt->ncols; i++) {
		const sch_column *tc = &tt->cols[i];
		const char *fname = from_name(&m, tc->name);
		const sch_column *fc = sch_find_column(ft, fname);
		if (!fc) {
			sch_change *c = push(d, CH_ADD_COLUMN, tn, tc->name);
			c->from_table = ft, c->to_table = tt, c->to_col = tc;
			c->text = xasprintf("added column '%s.%s'", tn, tc->name);
			continue;
		}
		if (strcmp(fname, tc->name) != 0) {
			sch_change *c = push(d, CH_RENAME_COLUMN, tn, tc->name);
			c->old_name = fname;
			c->from_table = ft, c->to_table = tt, c->from_col = fc, c->to_col = tc;
			c->text = xasprintf("renamed column '%s.%s' -> '%s.%s'", tn, fname, tn, tc->name);
		}
		if (strcmp(fc->type ? fc->type : "", tc->type ? tc->type : "") != 0) {
			sch_change *c = push(d, CH_ALTER_TYPE, tn, tc->name);
			c->from_table = ft, c->to_table = tt, c->from_col = fc, c->to_col = tc;
			c->text = xasprintf("type change from '%s' to '%s' on '%s.%s'", fc->type, tc->type,
			                    tn, tc->name);
		}
		if (fc->notnull != tc->notnull) {
			sch_change *c = push(d, CH_ALTER_NULL, tn, tc->name);
			c->from_table = ft, c->to_table = tt, c->from_col = fc, c->to_col = tc;
			c->text = xasprintf("%s on column '%s.%s'", tc->notnull ? "NOT NULL" : "NULL", tn,
			                    tc->name);
		}
		if (fc->serial != tc->serial || (!tc->serial && !same_expr(fc->dflt, tc->dflt))) {
			sch_change *c = push(d, CH_ALTER_DEFAULT, tn, tc->name);
			c->from_table = ft, c->to_table = tt, c->from_col = fc, c->to_col = tc;
			c->text = xasprintf("server default change on column '%s.%s' (%s -> %s)", tn,
			                    tc->name, fc->serial ? "serial" : fc->dflt ? fc->dflt : "none",
			                    tc->serial ? "serial" : tc->dflt ? tc->dflt : "none");
		}
		if (!same_text(fc->identity, tc->identity) || !same_expr(fc->generated, tc->generated) ||
		    !same_text(fc->collation, tc->collation)) {
			sch_change *c = push(d, CH_ALTER_COLUMN, tn, tc->name);
			c->from_table = ft, c->to_table = tt, c->from_col = fc, c->to_col = tc;
			c->text = xasprintf("%s change on column '%s.%s'",
			                    !same_text(fc->identity, tc->identity)      ? "identity" :
			                    !same_expr(fc->generated, tc->generated) ? "generated expression" :
			                                                               "collation",
			                    tn, tc->name);
		}
		if (!same_text(fc->comment, tc->comment)) {
			sch_change *c = push(d, CH_COMMENT, tn, tc->name);
			c->from_table = ft, c->to_table = tt, c->from_col = fc, c->to_col = tc;
			c->text = xasprintf("comment change on column '%s.%s'", tn, tc->name);
		}
	}
	size_t end_add = d->n;
	/* from-side columns no to-side column maps to: dropped */
	for (size_t i = 0; i < ft->ncols; i++) {
		const sch_column *fc = &ft->cols[i];
		int kept = 0;
		for (size_t j = 0; j < tt->ncols && !kept; j++)
			kept = strcmp(from_name(&m, tt->cols[j].name), fc->name) == 0;
		if (kept)
			continue;
		sch_change *c = push(d, CH_DROP_COLUMN, tn, fc->name);
		c->from_table = ft, c->to_table = tt, c->from_col = fc;
		c->text = xasprintf("removed column '%s.%s'", tn, fc->name);
		/* an unannotated rename? pair it with an added column of the same type */
		for (size_t j = first_add; j < end_add; j++) {
			sch_change *a = &d->v[j];
			if (a->kind != CH_ADD_COLUMN || a->hint ||
			    strcmp(a->to_col->type ? a->to_col->type : "", fc->type ? fc->type : "") != 0)
				continue;
			c = &d->v[d->n - 1]; /* push may have moved the array; it did not here */
			c->hint = a->hint = 1;
			c->pair = (long)j;
			a->pair = (long)(d->n - 1);
			d->hints += 2;
			break;
		}
	}
}

static void diff_constraints(const sch_table *ft, const sch_table *tt, int reverse, sch_diff *d)
{
	colmap m = {ft, tt, reverse};
	for (size_t i = 0; i < tt->ncons; i++) {
		const sch_constraint *k = &tt->cons[i];
		int found = 0;
		for (size_t j = 0; j < ft->ncons && !found; j++)
			found = same_constraint(&m, &ft->cons[j], k);
		if (found)
			continue;
		sch_change *c = push(d, CH_ADD_CONSTRAINT, tt->name, k->name);
		c->from_table = ft, c->to_table = tt, c->con = k;
		c->text = con_text("added", tt->name, k);
	}
	for (size_t j = 0; j < ft->ncons; j++) {
		const sch_constraint *k = &ft->cons[j];
		int found = 0;
		for (size_t i = 0; i < tt->ncons && !found; i++)
			found = same_constraint(&m, k, &tt->cons[i]);
		if (found)
			continue;
		sch_change *c = push(d, CH_DROP_CONSTRAINT, tt->name, k->name);
		c->from_table = ft, c->to_table = tt, c->con = k;
		c->text = con_text("removed", tt->name, k);
	}
}

/* ---- tables ------------------------------------------------------------------ */

/* The from-side table that to-side table tt continues, or NULL (added). */
static const sch_table *table_source(const sch_model *from, const sch_model *to,
                                     const sch_table *tt, int reverse)
{
	const sch_table *ft = sch_find_table(from, tt->name);
	if (ft)
		return ft;
	if (!reverse) {
		if (tt->renamed_from && !sch_find_table(to, tt->renamed_from))
			return sch_find_table(from, tt->renamed_from);
		return NULL;
	}
	for (size_t i = 0; i < from->ntables; i++) {
		const sch_table *f = &from->tables[i];
		if (f->renamed_from && strcmp(f->renamed_from, tt->name) == 0 &&
		    !sch_find_table(to, f->name))
			return f;
	}
	return NULL;
}

static int same_shape(const sch_table *a, const sch_table *b)
{
	if (a->ncols != b->ncols)
		return 0;
	for (size_t i = 0; i < a->ncols; i++) {
		const sch_column *c = sch_find_column(b, a->cols[i].name);
		if (!c || strcmp(c->type ? c->type : "", a->cols[i].type ? a->cols[i].type : "") != 0)
			return 0;
	}
	return 1;
}

static void diff_tables(const sch_model *from, const sch_model *to, int reverse, sch_diff *d)
{
	const sch_table **kept = xcalloc(from->ntables + 1, sizeof *kept);
	size_t first_add = d->n;
	for (size_t i = 0; i < to->ntables; i++) {
		const sch_table *tt = &to->tables[i];
		const sch_table *ft = table_source(from, to, tt, reverse);
		if (!ft) {
			sch_change *c = push(d, CH_ADD_TABLE, tt->name, tt->name);
			c->to_table = tt;
			c->text = xasprintf("added table '%s'", tt->name);
			continue;
		}
		kept[ft - from->tables] = tt;
		if (strcmp(ft->name, tt->name) != 0) {
			d->renames = xrealloc(d->renames, (d->nrenames + 1) * sizeof *d->renames);
			d->renames[d->nrenames++] = d->n;
			sch_change *c = push(d, CH_RENAME_TABLE, tt->name, tt->name);
			c->old_name = ft->name;
			c->from_table = ft, c->to_table = tt;
			c->text = xasprintf("renamed table '%s' -> '%s'", ft->name, tt->name);
		}
		if (ft->without_rowid != tt->without_rowid || ft->strict != tt->strict) {
			sch_change *c = push(d, CH_TABLE_OPTIONS, tt->name, NULL);
			c->from_table = ft, c->to_table = tt;
			c->text = xasprintf("table options change on '%s'", tt->name);
		}
		diff_columns(ft, tt, reverse, d);
		diff_constraints(ft, tt, reverse, d);
		if (!same_text(ft->comment, tt->comment)) {
			sch_change *c = push(d, CH_COMMENT, tt->name, NULL);
			c->from_table = ft, c->to_table = tt;
			c->text = xasprintf("comment change on table '%s'", tt->name);
		}
	}
	size_t end_add = d->n;
	for (size_t i = 0; i < from->ntables; i++) {
		if (kept[i])
			continue;
		const sch_table *ft = &from->tables[i];
		sch_change *c = push(d, CH_DROP_TABLE, ft->name, ft->name);
		c->from_table = ft;
		c->text = xasprintf("removed table '%s'", ft->name);
		for (size_t j = first_add; j < end_add; j++) {
			sch_change *a = &d->v[j];
			if (a->kind != CH_ADD_TABLE || a->hint || !same_shape(ft, a->to_table))
				continue;
			c = &d->v[d->n - 1];
			c->hint = a->hint = 1;
			c->pair = (long)j;
			a->pair = (long)(d->n - 1);
			d->hints += 2;
			break;
		}
	}
	free(kept);
}

/* ---- indexes, views, triggers, enums, sequences -------------------------------- */

/* The to-side name of from-side table name (renames followed), for
 * matching indexes and triggers that belong to renamed tables. */
static const char *to_table_name(const sch_diff *d, const char *from_table)
{
	for (size_t i = 0; i < d->nrenames; i++) {
		const sch_change *c = &d->v[d->renames[i]];
		if (strcmp(c->old_name, from_table) == 0)
			return c->table;
	}
	return from_table;
}

static void diff_indexes(const sch_model *from, const sch_model *to, sch_diff *d)
{
	for (size_t i = 0; i < to->nindexes; i++) {
		const sch_index *x = &to->indexes[i];
		const sch_index *f = sch_find_index(from, x->name);
		if (f && strcmp(to_table_name(d, f->table), x->table) == 0 && same_index(f, x))
			continue;
		if (f) {
			sch_change *c = push(d, CH_DROP_INDEX, to_table_name(d, f->table), f->name);
			c->index = f;
			c->text = index_text("removed", f);
		}
		sch_change *c = push(d, CH_ADD_INDEX, x->table, x->name);
		c->index = x;
		c->text = index_text("added", x);
	}
	for (size_t i = 0; i < from->nindexes; i++) {
		const sch_index *f = &from->indexes[i];
		if (sch_find_index(to, f->name))
			continue;
		/* an index that goes with a dropped table needs no change of its own */
		if (!sch_find_table(to, to_table_name(d, f->table)))
			continue;
		sch_change *c = push(d, CH_DROP_INDEX, to_table_name(d, f->table), f->name);
		c->index = f;
		c->text = index_text("removed", f);
	}
}

static void diff_views(const sch_model *from, const sch_model *to, sch_diff *d)
{
	for (size_t i = 0; i < to->nviews; i++) {
		const sch_view *v = &to->views[i];
		const sch_view *f = sch_find_view(from, v->name);
		if (f && f->materialized == v->materialized && same_expr(f->def, v->def))
			continue;
		if (f) {
			sch_change *c = push(d, CH_DROP_VIEW, NULL, f->name);
			c->view = f;
			c->text = xasprintf("changed view '%s' (dropped)", f->name);
		}
		sch_change *c = push(d, CH_ADD_VIEW, NULL, v->name);
		c->view = v;
		c->text = xasprintf(f ? "changed view '%s'" : "added view '%s'", v->name);
	}
	for (size_t i = 0; i < from->nviews; i++) {
		const sch_view *f = &from->views[i];
		if (sch_find_view(to, f->name))
			continue;
		sch_change *c = push(d, CH_DROP_VIEW, NULL, f->name);
		c->view = f;
		c->text = xasprintf("removed view '%s'", f->name);
	}
}

static void diff_triggers(const sch_model *from, const sch_model *to, sch_diff *d)
{
	for (size_t i = 0; i < to->ntriggers; i++) {
		const sch_trigger *g = &to->triggers[i];
		const sch_trigger *f = sch_find_trigger(from, g->name);
		if (f && same_expr(f->def, g->def))
			continue;
		if (f && sch_find_table(to, to_table_name(d, f->table))) {
			sch_change *c = push(d, CH_DROP_TRIGGER, to_table_name(d, f->table), f->name);
			c->trigger = f;
			c->text = xasprintf("removed trigger '%s' on '%s'", f->name, f->table);
		}
		sch_change *c = push(d, CH_ADD_TRIGGER, g->table, g->name);
		c->trigger = g;
		c->text = xasprintf("%s trigger '%s' on '%s'", f ? "changed" : "added", g->name, g->table);
	}
	for (size_t i = 0; i < from->ntriggers; i++) {
		const sch_trigger *f = &from->triggers[i];
		if (sch_find_trigger(to, f->name) || !sch_find_table(to, to_table_name(d, f->table)))
			continue;
		sch_change *c = push(d, CH_DROP_TRIGGER, to_table_name(d, f->table), f->name);
		c->trigger = f;
		c->text = xasprintf("removed trigger '%s' on '%s'", f->name, f->table);
	}
}

/* Are a's values, in order, a subsequence of b's? (only additions) */
static int only_added(const strvec *a, const strvec *b)
{
	size_t j = 0;
	for (size_t i = 0; i < b->n && j < a->n; i++)
		if (strcmp(b->v[i], a->v[j]) == 0)
			j++;
	return j == a->n;
}

static void diff_enums(const sch_model *from, const sch_model *to, sch_diff *d)
{
	for (size_t i = 0; i < to->nenums; i++) {
		const sch_enum *e = &to->enums[i];
		const sch_enum *f = sch_find_enum(from, e->name);
		if (!f) {
			sch_change *c = push(d, CH_ADD_ENUM, NULL, e->name);
			c->to_enum = e;
			c->text = xasprintf("added enum '%s'", e->name);
			continue;
		}
		if (same_list(&f->values, &e->values, 0))
			continue;
		if (!only_added(&f->values, &e->values)) {
			sch_change *c = push(d, CH_ENUM_REBUILD, NULL, e->name);
			c->from_enum = f, c->to_enum = e;
			c->text = xasprintf("values removed or reordered in enum '%s'", e->name);
			continue;
		}
		for (size_t k = 0; k < e->values.n; k++) {
			if (sv_index(&f->values, e->values.v[k]) >= 0)
				continue;
			sch_change *c = push(d, CH_ENUM_ADD_VALUE, NULL, e->name);
			c->from_enum = f, c->to_enum = e;
			c->value = e->values.v[k];
			c->after = k ? e->values.v[k - 1] : NULL;
			c->text = xasprintf("added value '%s' to enum '%s'", c->value, e->name);
		}
	}
	for (size_t i = 0; i < from->nenums; i++) {
		const sch_enum *f = &from->enums[i];
		if (sch_find_enum(to, f->name))
			continue;
		sch_change *c = push(d, CH_DROP_ENUM, NULL, f->name);
		c->from_enum = f;
		c->text = xasprintf("removed enum '%s'", f->name);
	}
}

static void diff_sequences(const sch_model *from, const sch_model *to, sch_diff *d)
{
	/* owned sequences come and go with their columns */
	for (size_t i = 0; i < to->nseqs; i++) {
		const sch_sequence *s = &to->seqs[i];
		if (s->owned_by || sch_find_sequence(from, s->name))
			continue;
		sch_change *c = push(d, CH_ADD_SEQUENCE, NULL, s->name);
		c->seq = s;
		c->text = xasprintf("added sequence '%s'", s->name);
	}
	for (size_t i = 0; i < to->nseqs; i++) {
		const sch_sequence *s = &to->seqs[i], *f = sch_find_sequence(from, s->name);
		if (!f || !s->type || !f->type || strcmp(s->type, f->type) == 0)
			continue;
		sch_change *c = push(d, CH_ALTER_SEQUENCE, NULL, s->name);
		c->seq = s;
		c->text = xasprintf("type change from '%s' to '%s' on sequence '%s'", f->type, s->type,
		                    s->name);
	}
	for (size_t i = 0; i < from->nseqs; i++) {
		const sch_sequence *s = &from->seqs[i];
		if (s->owned_by || sch_find_sequence(to, s->name))
			continue;
		sch_change *c = push(d, CH_DROP_SEQUENCE, NULL, s->name);
		c->seq = s;
		c->text = xasprintf("removed sequence '%s'", s->name);
	}
}

void sch_diff_models(const sch_model *from, const sch_model *to, int reverse, sch_diff *out)
{
	memset(out, 0, sizeof *out);
	diff_enums(from, to, out);
	diff_sequences(from, to, out);
	diff_tables(from, to, reverse, out);
	diff_indexes(from, to, out);
	diff_views(from, to, out);
	diff_triggers(from, to, out);
}
