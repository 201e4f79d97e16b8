/*
 * model.c: the schema model's life cycle — appending objects, sorting
 * them into the order diff and describe expect, finding them by name,
 * freeing — and the normal forms of expressions and type names that make
 * two spellings of the same default or type compare equal.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema.h"

#define GROW(arr, n, cap)                                                                          \
	do {                                                                                       \
		if ((n) == (cap)) {                                                                \
			(cap) = (cap) ? 2 * (cap) : 8;                                             \
			(arr) = xrealloc((arr), (cap) * sizeof *(arr));                            \
		}                                                                                  \
		memset(&(arr)[(n)], 0, sizeof *(arr));                                            \
	} while (0)

/* Capacities live beside the counts only while filling; a model is filled
 * once and then read, so a capacity is recomputed as the next power of two. */
static size_t cap_of(size_t n)
{
	size_t c = 0;
	if (n == 0)
		return 0;
	c = 8;
	while (c < n)
		c *= 2;
	return c;
}

void sch_model_init(sch_model *m, dialect kind, const char *schema)
{
	memset(m, 0, sizeof *m);
	m->kind = kind;
	m->schema = schema ? xstrdup(schema) : NULL;
}

static void column_free(sch_column *c)
{
	free(c->name);
	free(c->type);
	free(c->dflt);
	free(c->identity);
	free(c->generated);
	free(c->collation);
	free(c->comment);
	free(c->renamed_from);
}

static void constraint_free(sch_constraint *k)
{
	free(k->name);
	sv_free(&k->cols);
	free(k->ref_schema);
	free(k->ref_table);
	sv_free(&k->ref_cols);
	free(k->on_delete);
	free(k->on_update);
	free(k->expr);
	free(k->def);
}

static void table_free(sch_table *t)
{
	for (size_t i = 0; i < t->ncols; i++)
		column_free(&t->cols[i]);
	free(t->cols);
	for (size_t i = 0; i < t->ncons; i++)
		constraint_free(&t->cons[i]);
	free(t->cons);
	free(t->name);
	free(t->comment);
	free(t->sql);
	free(t->renamed_from);
}

void sch_model_free(sch_model *m)
{
	for (size_t i = 0; i < m->ntables; i++)
		table_free(&m->tables[i]);
	free(m->tables);
	for (size_t i = 0; i < m->nindexes; i++) {
		sch_index *x = &m->indexes[i];
		free(x->name);
		free(x->table);
		sv_free(&x->keys);
		free(x->where);
		free(x->method);
		free(x->def);
	}
	free(m->indexes);
	for (size_t i = 0; i < m->nviews; i++) {
		free(m->views[i].name);
		free(m->views[i].def);
		sv_free(&m->views[i].deps);
		free(m->views[i].comment);
	}
	free(m->views);
	for (size_t i = 0; i < m->ntriggers; i++) {
		free(m->triggers[i].name);
		free(m->triggers[i].table);
		free(m->triggers[i].def);
	}
	free(m->triggers);
	for (size_t i = 0; i < m->nenums; i++) {
		free(m->enums[i].name);
		sv_free(&m->enums[i].values);
		free(m->enums[i].comment);
	}
	free(m->enums);
	for (size_t i = 0; i < m->nseqs; i++) {
		free(m->seqs[i].name);
		free(m->seqs[i].type);
		free(m->seqs[i].owned_by);
	}
	free(m->seqs);
	free(m->index_by_name);
	free(m->trigger_by_name);
	free(m->schema);
	memset(m, 0, sizeof *m);
}

/* Appends src's n elements of size sz to *arr (of *n), keeping the
 * capacity the add functions assume (cap_of of the count). */
static void absorb_array(void **arr, size_t *n, void *src, size_t sn, size_t sz)
{
	if (!sn)
		return;
	*arr = xrealloc(*arr, cap_of(*n + sn) * sz);
	memcpy((char *)*arr + *n * sz, src, sn * sz);
	*n += sn;
}

void sch_model_absorb(sch_model *dst, sch_model *src)
{
	absorb_array((void **)&dst->tables, &dst->ntables, src->tables, src->ntables, sizeof *src->tables);
	absorb_array((void **)&dst->indexes, &dst->nindexes, src->indexes, src->nindexes,
	             sizeof *src->indexes);
	absorb_array((void **)&dst->views, &dst->nviews, src->views, src->nviews, sizeof *src->views);
	absorb_array((void **)&dst->triggers, &dst->ntriggers, src->triggers, src->ntriggers,
	             sizeof *src->triggers);
	absorb_array((void **)&dst->enums, &dst->nenums, src->enums, src->nenums, sizeof *src->enums);
	absorb_array((void **)&dst->seqs, &dst->nseqs, src->seqs, src->nseqs, sizeof *src->seqs);
	src->ntables = src->nindexes = src->nviews = src->ntriggers = src->nenums = src->nseqs = 0;
	sch_model_free(src);
}

sch_table *sch_add_table(sch_model *m, const char *name)
{
	size_t cap = cap_of(m->ntables);
	GROW(m->tables, m->ntables, cap);
	sch_table *t = &m->tables[m->ntables++];
	t->name = xstrdup(name);
	return t;
}

sch_column *sch_add_column(sch_table *t, const char *name)
{
	size_t cap = cap_of(t->ncols);
	GROW(t->cols, t->ncols, cap);
	sch_column *c = &t->cols[t->ncols++];
	c->name = xstrdup(name);
	return c;
}

sch_constraint *sch_add_constraint(sch_table *t, sch_con_kind kind, const char *name)
{
	size_t cap = cap_of(t->ncons);
	GROW(t->cons, t->ncons, cap);
	sch_constraint *k = &t->cons[t->ncons++];
	k->kind = kind;
	k->name = name ? xstrdup(name) : NULL;
	return k;
}

sch_index *sch_add_index(sch_model *m, const char *table, const char *name)
{
	size_t cap = cap_of(m->nindexes);
	GROW(m->indexes, m->nindexes, cap);
	sch_index *x = &m->indexes[m->nindexes++];
	x->table = xstrdup(table);
	x->name = xstrdup(name);
	return x;
}

sch_view *sch_add_view(sch_model *m, const char *name)
{
	size_t cap = cap_of(m->nviews);
	GROW(m->views, m->nviews, cap);
	sch_view *v = &m->views[m->nviews++];
	v->name = xstrdup(name);
	return v;
}

sch_trigger *sch_add_trigger(sch_model *m, const char *table, const char *name)
{
	size_t cap = cap_of(m->ntriggers);
	GROW(m->triggers, m->ntriggers, cap);
	sch_trigger *g = &m->triggers[m->ntriggers++];
	g->table = xstrdup(table);
	g->name = xstrdup(name);
	return g;
}

sch_enum *sch_add_enum(sch_model *m, const char *name)
{
	size_t cap = cap_of(m->nenums);
	GROW(m->enums, m->nenums, cap);
	sch_enum *e = &m->enums[m->nenums++];
	e->name = xstrdup(name);
	return e;
}

sch_sequence *sch_add_sequence(sch_model *m, const char *name)
{
	size_t cap = cap_of(m->nseqs);
	GROW(m->seqs, m->nseqs, cap);
	sch_sequence *s = &m->seqs[m->nseqs++];
	s->name = xstrdup(name);
	return s;
}

/* ---- sorting ---------------------------------------------------------------- */

static int cmp_table(const void *a, const void *b)
{
	return strcmp(((const sch_table *)a)->name, ((const sch_table *)b)->name);
}
static int cmp_index(const void *a, const void *b)
{
	const sch_index *x = a, *y = b;
	int c = strcmp(x->table, y->table);
	return c ? c : strcmp(x->name, y->name);
}
static int cmp_trigger(const void *a, const void *b)
{
	const sch_trigger *x = a, *y = b;
	int c = strcmp(x->table, y->table);
	return c ? c : strcmp(x->name, y->name);
}
static int cmp_enum(const void *a, const void *b)
{
	return strcmp(((const sch_enum *)a)->name, ((const sch_enum *)b)->name);
}
static int cmp_seq(const void *a, const void *b)
{
	return strcmp(((const sch_sequence *)a)->name, ((const sch_sequence *)b)->name);
}
static int cmp_view(const void *a, const void *b)
{
	return strcmp(((const sch_view *)a)->name, ((const sch_view *)b)->name);
}

static long bfind(const void *base, size_t n, size_t size, const char *name,
                  const char *(*key)(const void *))
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key((const char *)base + mid * size), name);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}
static const char *view_key(const void *p) { return ((const sch_view *)p)->name; }

/* Views in an order where each comes after the views it reads: a
 * depth-first walk over name-sorted views, so the result is stable. */
static void order_views(sch_model *m)
{
	size_t n = m->nviews;
	if (n < 2)
		return;
	qsort(m->views, n, sizeof *m->views, cmp_view);
	sch_view *out = xcalloc(n, sizeof *out);
	char *state = xcalloc(n, 1); /* 0 new, 1 on the path, 2 placed */
	size_t *stack = xcalloc(n, sizeof *stack), *dep = xcalloc(n, sizeof *dep);
	size_t placed = 0;
	for (size_t root = 0; root < n; root++) {
		if (state[root])
			continue;
		size_t sp = 0;
		stack[sp] = root;
		dep[sp] = 0;
		state[root] = 1;
		sp++;
		while (sp) {
			size_t v = stack[sp - 1];
			const strvec *d = &m->views[v].deps;
			if (dep[sp - 1] < d->n) {
				const char *name = d->v[dep[sp - 1]++];
				long w = bfind(m->views, n, sizeof *m->views, name, view_key);
				if (w >= 0 && state[w] == 0) {
					state[w] = 1;
					stack[sp] = (size_t)w;
					dep[sp] = 0;
					sp++;
				}
				continue; /* a cycle (state 1) cannot be created; ignore it */
			}
			state[v] = 2;
			out[placed++] = m->views[v];
			sp--;
		}
	}
	memcpy(m->views, out, n * sizeof *out);
	free(out);
	free(state);
	free(stack);
	free(dep);
}

static int cmp_index_name(const void *a, const void *b)
{
	return strcmp((*(sch_index *const *)a)->name, (*(sch_index *const *)b)->name);
}
static int cmp_trigger_name(const void *a, const void *b)
{
	return strcmp((*(sch_trigger *const *)a)->name, (*(sch_trigger *const *)b)->name);
}

void sch_model_sort(sch_model *m)
{
	if (m->ntables > 1)
		qsort(m->tables, m->ntables, sizeof *m->tables, cmp_table);
	if (m->nindexes > 1)
		qsort(m->indexes, m->nindexes, sizeof *m->indexes, cmp_index);
	if (m->ntriggers > 1)
		qsort(m->triggers, m->ntriggers, sizeof *m->triggers, cmp_trigger);
	if (m->nenums > 1)
		qsort(m->enums, m->nenums, sizeof *m->enums, cmp_enum);
	if (m->nseqs > 1)
		qsort(m->seqs, m->nseqs, sizeof *m->seqs, cmp_seq);
	order_views(m);
	free(m->index_by_name);
	free(m->trigger_by_name);
	m->index_by_name = xcalloc(m->nindexes + 1, sizeof *m->index_by_name);
	for (size_t i = 0; i < m->nindexes; i++)
		m->index_by_name[i] = &m->indexes[i];
	if (m->nindexes > 1)
		qsort(m->index_by_name, m->nindexes, sizeof *m->index_by_name, cmp_index_name);
	m->trigger_by_name = xcalloc(m->ntriggers + 1, sizeof *m->trigger_by_name);
	for (size_t i = 0; i < m->ntriggers; i++)
		m->trigger_by_name[i] = &m->triggers[i];
	if (m->ntriggers > 1)
		qsort(m->trigger_by_name, m->ntriggers, sizeof *m->trigger_by_name, cmp_trigger_name);
}

/* ---- lookups ------------------------------------------------------------------ */

static const char *table_key(const void *p) { return ((const sch_table *)p)->name; }
static const char *enum_key(const void *p) { return ((const sch_enum *)p)->name; }
static const char *seq_key(const void *p) { return ((const sch_sequence *)p)->name; }

const sch_table *sch_find_table(const sch_model *m, const char *name)
{
	long i = bfind(m->tables, m->ntables, sizeof *m->tables, name, table_key);
	return i < 0 ? NULL : &m->tables[i];
}

const sch_column *sch_find_column(const sch_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return &t->cols[i];
	return NULL;
}

const sch_view *sch_find_view(const sch_model *m, const char *name)
{
	for (size_t i = 0; i < m->nviews; i++) /* dependency order, not name order */
		if (strcmp(m->views[i].name, name) == 0)
			return &m->views[i];
	return NULL;
}

const sch_enum *sch_find_enum(const sch_model *m, const char *name)
{
	long i = bfind(m->enums, m->nenums, sizeof *m->enums, name, enum_key);
	return i < 0 ? NULL : &m->enums[i];
}

/* Index and trigger names: binary search over the name-sorted pointers
 * sch_model_sort built; a linear search when it was not called. */
#define FIND_BY_NAME(m, arr, byname, n, name)                                                      \
	do {                                                                                       \
		if (!(m)->byname) {                                                                \
			for (size_t i_ = 0; i_ < (m)->n; i_++)                                     \
				if (strcmp((m)->arr[i_].name, (name)) == 0)                        \
					return &(m)->arr[i_];                                      \
			return NULL;                                                               \
		}                                                                                  \
		size_t lo_ = 0, hi_ = (m)->n;                                                      \
		while (lo_ < hi_) {                                                                \
			size_t mid_ = lo_ + (hi_ - lo_) / 2;                                       \
			int c_ = strcmp((m)->byname[mid_]->name, (name));                          \
			if (c_ == 0)                                                               \
				return (m)->byname[mid_];                                          \
			if (c_ < 0)                                                                \
				lo_ = mid_ + 1;                                                    \
			else                                                                       \
				hi_ = mid_;                                                        \
		}                                                                                  \
		return NULL;                                                                       \
	} while (0)

const sch_index *sch_find_index(const sch_model *m, const char *name)
{
	FIND_BY_NAME(m, indexes, index_by_name, nindexes, name);
}

const sch_trigger *sch_find_trigger(const sch_model *m, const char *name)
{
	FIND_BY_NAME(m, triggers, trigger_by_name, ntriggers, name);
}

const sch_sequence *sch_find_sequence(const sch_model *m, const char *name)
{
	long i = bfind(m->seqs, m->nseqs, sizeof *m->seqs, name, seq_key);
	return i < 0 ? NULL : &m->seqs[i];
}

/* ---- normal forms ------------------------------------------------------------ */

/* Is s[0..n) (lower-cased) one of the spellings of "now"? */
static int is_now(const char *s, size_t n)
{
	static const char *const spellings[] = {"now()", "current_timestamp", "transaction_timestamp()",
	                                        "localtimestamp", NULL};
	for (int i = 0; spellings[i]; i++)
		if (strlen(spellings[i]) == n && strncmp(s, spellings[i], n) == 0)
			return 1;
	return 0;
}

/* Drops a pair of parentheses around the whole of s, as often as there is one. */
static void strip_outer_parens(sbuf *b)
{
	for (;;) {
		size_t n = b->len;
		if (n < 2 || b->buf[0] != '(' || b->buf[n - 1] != ')')
			return;
		int depth = 0, quote = 0;
		for (size_t i = 0; i < n; i++) {
			char c = b->buf[i];
			if (quote) {
				if (c == quote)
					quote = 0;
				continue;
			}
			if (c == '\'' || c == '"')
				quote = c;
			else if (c == '(')
				depth++;
			else if (c == ')' && --depth == 0 && i != n - 1)
				return; /* "(a) + (b)" */
		}
		memmove(b->buf, b->buf + 1, n - 2);
		b->len = n - 2;
		b->buf[b->len] = 0;
	}
}

/* The cast suffixes PostgreSQL adds to literals of the column's own type,
 * or that say nothing a comparison needs. */
static size_t literal_cast_len(const char *s)
{
	static const char *const casts[] = {
	    "::text", "::character varying", "::bpchar", "::character", "::integer", "::bigint",
	    "::smallint", "::numeric", "::boolean", "::double precision", "::real", "::date",
	    "::timestamp without time zone", "::timestamp with time zone", "::jsonb", "::json",
	    "::uuid", "::regclass", NULL};
	for (int i = 0; casts[i]; i++) {
		size_t n = strlen(casts[i]);
		if (strncmp(s, casts[i], n) == 0 && !isalnum((unsigned char)s[n]) && s[n] != '_' &&
		    s[n] != ' ')
			return n;
	}
	return 0;
}

char *sch_norm_expr(const char *expr)
{
	sbuf b = SBUF_INIT;
	if (!expr)
		return NULL;
	const char *p = expr;
	int after_literal = 0;
	while (*p) {
		unsigned char c = (unsigned char)*p;
		if (c == '\'') { /* string literal: kept as is */
			const char *q = p + 1;
			for (;;) {
				if (!*q)
					break;
				if (*q == '\'' && q[1] == '\'') {
					q += 2;
					continue;
				}
				if (*q == '\'') {
					q++;
					break;
				}
				q++;
			}
			sb_add(&b, p, (size_t)(q - p));
			p = q;
			after_literal = 1;
			continue;
		}
		if (c == '"') { /* quoted identifier: the quotes say nothing */
			const char *q = p + 1;
			while (*q && *q != '"')
				q++;
			int plain = 1;
			for (const char *r = p + 1; r < q; r++)
				if (!(islower((unsigned char)*r) || isdigit((unsigned char)*r) || *r == '_'))
					plain = 0;
			if (plain)
				sb_add(&b, p + 1, (size_t)(q - p - 1));
			else
				sb_add(&b, p, (size_t)(q - p + (*q ? 1 : 0)));
			p = *q ? q + 1 : q;
			after_literal = 0;
			continue;
		}
		if (isspace(c)) {
			/* one blank only between two word characters */
			while (isspace((unsigned char)*p))
				p++;
			if (b.len && *p && (isalnum((unsigned char)b.buf[b.len - 1]) || b.buf[b.len - 1] == '_') &&
			    (isalnum((unsigned char)*p) || *p == '_'))
				sb_addc(&b, ' ');
			continue;
		}
		if (c == ':' && p[1] == ':') {
			size_t n = literal_cast_len(p);
			if (n && after_literal) {
				p += n;
				continue;
			}
		}
		if (isalpha(c) || c == '_') {
			const char *q = p;
			size_t start = b.len;
			while (isalnum((unsigned char)*q) || *q == '_' || *q == '$')
				sb_addc(&b, (char)tolower((unsigned char)*q++));
			/* a call's "()" belongs to the word for the now() test */
			size_t wl = b.len - start;
			if (q[0] == '(' && q[1] == ')') {
				sb_adds(&b, "()");
				q += 2;
				wl += 2;
			}
			if (is_now(b.buf + start, wl)) {
				b.len = start;
				sb_adds(&b, "current_timestamp");
			}
			p = q;
			after_literal = 0;
			continue;
		}
		if (isdigit(c)) { /* numbers are literals too: 0::integer */
			while (isalnum((unsigned char)*p) || *p == '.')
				sb_addc(&b, *p++);
			after_literal = 1;
			continue;
		}
		if (c == '(' && !(b.len && (isalnum((unsigned char)b.buf[b.len - 1]) ||
		                            b.buf[b.len - 1] == '_'))) {
			/* "(email)" is "email": parentheses around one word (not a call) */
			const char *q = p + 1;
			while (isspace((unsigned char)*q))
				q++;
			const char *w = q;
			while (isalnum((unsigned char)*q) || *q == '_' || *q == '.')
				q++;
			const char *e = q;
			while (isspace((unsigned char)*q))
				q++;
			if (e > w && *q == ')' && !isdigit((unsigned char)*w)) {
				for (const char *k = w; k < e; k++)
					sb_addc(&b, (char)tolower((unsigned char)*k));
				p = q + 1;
				after_literal = 0;
				continue;
			}
		}
		sb_addc(&b, (char)c);
		after_literal = (c == ')') ? after_literal : 0;
		p++;
	}
	strip_outer_parens(&b);
	return sb_detach(&b);
}

char *sch_norm_type(dialect kind, const char *type)
{
	static const struct {
		const char *from, *to;
	} names[] = {
	    {"int", "integer"},          {"int4", "integer"},
	    {"int2", "smallint"},        {"int8", "bigint"},
	    {"serial", "integer"},       {"bigserial", "bigint"},
	    {"smallserial", "smallint"}, {"float8", "double precision"},
	    {"float4", "real"},          {"float", "double precision"},
	    {"bool", "boolean"},         {"varchar", "character varying"},
	    {"char", "character"},       {"bpchar", "character"},
	    {"decimal", "numeric"},      {"timestamptz", "timestamp with time zone"},
	    {"timestamp", "timestamp without time zone"},
	    {"timetz", "time with time zone"},
	    {"time", "time without time zone"},
	    {NULL, NULL}};
	sbuf b = SBUF_INIT;
	if (!type)
		return xstrdup("");
	/* lower case, single blanks, no blanks around parentheses and commas */
	for (const char *p = type; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (isspace(c)) {
			if (b.len && b.buf[b.len - 1] != ' ' && b.buf[b.len - 1] != '(' &&
			    b.buf[b.len - 1] != ',')
				sb_addc(&b, ' ');
			continue;
		}
		if ((c == '(' || c == ')' || c == ',') && b.len && b.buf[b.len - 1] == ' ')
			b.len--;
		sb_addc(&b, (char)tolower(c));
	}
	while (b.len && b.buf[b.len - 1] == ' ')
		b.len--;
	if (b.buf)
		b.buf[b.len] = 0;
	if (kind == DIALECT_SQLITE) /* SQLite keeps the declared type; only case and blanks */
		return sb_detach(&b);
	const char *s = sb_str(&b);
	size_t word = strcspn(s, "([");
	for (int i = 0; names[i].from; i++) {
		if (strlen(names[i].from) == word && strncmp(s, names[i].from, word) == 0) {
			/* "timestamp(3)" → "timestamp(3) without time zone" is PostgreSQL's
			 * format_type; keep the modifier where it is */
			char *out;
			if (strcmp(names[i].from, "timestamp") == 0 || strcmp(names[i].from, "time") == 0 ||
			    strcmp(names[i].from, "timestamptz") == 0 || strcmp(names[i].from, "timetz") == 0) {
				const char *zone = strchr(names[i].to, ' ');
				const char *base = strcmp(names[i].from, "timestamptz") == 0 ? "timestamp" :
				                   strcmp(names[i].from, "timetz") == 0    ? "time" :
				                                                             names[i].from;
				const char *mod = s + word;
				if (strstr(mod, " with"))
					out = xasprintf("%s%s", base, mod);
				else
					out = xasprintf("%s%s%s", base, mod, zone);
			} else {
				out = xasprintf("%s%s", names[i].to, s + word);
			}
			sb_free(&b);
			return out;
		}
	}
	return sb_detach(&b);
}
