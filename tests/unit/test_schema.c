/*
 * test_schema.c: the schema model's normal forms, diff and render, on
 * hand-built models (no database): the decisions that must not drift —
 * which spellings of a default are one, what counts as a rename, when
 * SQLite needs a table rebuild, and the order of the statements.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema/schema.h"

static void same_norm(const char *a, const char *b)
{
	char *x = sch_norm_expr(a), *y = sch_norm_expr(b);
	if (strcmp(x, y) != 0)
		fail_msg("'%s' -> '%s' but '%s' -> '%s'", a, x, b, y);
	free(x);
	free(y);
}

static void differ_norm(const char *a, const char *b)
{
	char *x = sch_norm_expr(a), *y = sch_norm_expr(b);
	if (strcmp(x, y) == 0)
		fail_msg("'%s' and '%s' both -> '%s'", a, b, x);
	free(x);
	free(y);
}

static void test_norm_expr(void **state)
{
	(void)state;
	same_norm("now()", "CURRENT_TIMESTAMP");
	same_norm("(CURRENT_TIMESTAMP)", "current_timestamp");
	same_norm("'x'::text", "'x'");
	same_norm("('x')", "'x'");
	same_norm("'a b'::character varying", "'a b'");
	same_norm("0", "(0)");
	same_norm("lower((email)::text)", "lower(email::text)");
	same_norm("\"email\" <> ''", "email <> ''");
	same_norm("a  >   0", "a > 0");
	differ_norm("'X'", "'x'");         /* literals keep their case */
	differ_norm("'a'", "'b'");
	differ_norm("(a) + (b)", "a + b)"); /* only a pair around the whole */
	differ_norm("\"Email\"", "email");  /* a quoted mixed-case name is another name */
}

static void same_type(dialect d, const char *a, const char *b)
{
	char *x = sch_norm_type(d, a), *y = sch_norm_type(d, b);
	if (strcmp(x, y) != 0)
		fail_msg("'%s' -> '%s' but '%s' -> '%s'", a, x, b, y);
	free(x);
	free(y);
}

static void test_norm_type(void **state)
{
	(void)state;
	same_type(DIALECT_PG, "INT", "integer");
	same_type(DIALECT_PG, "int4", "integer");
	same_type(DIALECT_PG, "varchar(20)", "character varying(20)");
	same_type(DIALECT_PG, "timestamptz", "timestamp with time zone");
	same_type(DIALECT_PG, "timestamp(3)", "timestamp(3) without time zone");
	same_type(DIALECT_PG, "bool", "boolean");
	same_type(DIALECT_SQLITE, "VARCHAR ( 20 )", "varchar(20)");
	char *t = sch_norm_type(DIALECT_SQLITE, "INT");
	assert_string_equal(t, "int"); /* SQLite keeps what was declared */
	free(t);
}

/* users(id pk, name text [, email text]) as SQLite describes it */
static sch_table *users(sch_model *m, const char *extra, const char *extra_type)
{
	sch_table *t = sch_add_table(m, "users");
	sbuf sql = SBUF_INIT;
	sb_adds(&sql, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT");
	sch_column *c = sch_add_column(t, "id");
	c->type = xstrdup("integer");
	c->pk = 1;
	c = sch_add_column(t, "name");
	c->type = xstrdup("text");
	if (extra) {
		c = sch_add_column(t, extra);
		c->type = xstrdup(extra_type);
		sb_addf(&sql, ", %s %s", extra, extra_type);
	}
	sb_adds(&sql, ")");
	t->sql = sb_detach(&sql);
	sch_constraint *k = sch_add_constraint(t, SCH_PK, NULL);
	sv_push(&k->cols, "id");
	return t;
}

static int count_kind(const sch_diff *d, sch_change_kind k)
{
	int n = 0;
	for (size_t i = 0; i < d->n; i++)
		n += d->v[i].kind == k;
	return n;
}

static void test_diff_add_and_hint(void **state)
{
	(void)state;
	sch_model a, b;
	sch_model_init(&a, DIALECT_SQLITE, "main");
	sch_model_init(&b, DIALECT_SQLITE, "main");
	users(&a, "phone", "text");
	users(&b, "telephone", "text");
	sch_model_sort(&a);
	sch_model_sort(&b);
	sch_diff d;
	sch_diff_models(&a, &b, 0, &d);
	/* same type dropped and added: both halves are hints, nothing runs */
	assert_int_equal(count_kind(&d, CH_ADD_COLUMN), 1);
	assert_int_equal(count_kind(&d, CH_DROP_COLUMN), 1);
	assert_int_equal(d.hints, 2);
	sbuf sql = SBUF_INIT;
	retort_error err = {0};
	assert_int_equal(sch_render(&a, &b, &d, 3040000, 0, &sql, &err), 0);
	for (const char *p = sb_str(&sql); *p;) { /* every line is a comment */
		assert_true(strncmp(p, "--", 2) == 0);
		p = strchr(p, '\n');
		p = p ? p + 1 : "";
	}
	sb_free(&sql);
	sch_diff_free(&d);

	/* annotated: a rename, no hint */
	((sch_column *)sch_find_column(&b.tables[0], "telephone"))->renamed_from = xstrdup("phone");
	sch_diff_models(&a, &b, 0, &d);
	assert_int_equal(count_kind(&d, CH_RENAME_COLUMN), 1);
	assert_int_equal(count_kind(&d, CH_DROP_COLUMN), 0);
	assert_int_equal(d.hints, 0);
	assert_int_equal(sch_render(&a, &b, &d, 3040000, 0, &sql, &err), 0);
	assert_non_null(strstr(sb_str(&sql), "ALTER TABLE users RENAME COLUMN phone TO telephone;"));
	sb_free(&sql);
	/* the same rename on a SQLite without RENAME COLUMN rebuilds, copying phone into telephone */
	assert_int_equal(sch_render(&a, &b, &d, 3024000, 0, &sql, &err), 0);
	assert_non_null(strstr(sb_str(&sql), "INSERT INTO _retort_new_users (id, name, telephone) "
	                                     "SELECT id, name, phone FROM users;"));
	sb_free(&sql);
	sch_diff_free(&d);
	/* and the reverse diff (the downgrade) renames back */
	sch_diff_models(&b, &a, 1, &d);
	assert_int_equal(count_kind(&d, CH_RENAME_COLUMN), 1);
	assert_string_equal(d.v[0].old_name, "telephone");
	sch_diff_free(&d);
	sch_model_free(&a);
	sch_model_free(&b);
}

static void test_relations_estimate(void **state)
{
	(void)state;
	sch_model a, b;
	sch_model_init(&a, DIALECT_PG, "public");
	sch_model_init(&b, DIALECT_PG, "public");
	sch_table *t = users(&b, "email", "text"); /* a PK */
	sch_add_constraint(t, SCH_UNIQUE, "users_email_key");
	((sch_column *)sch_find_column(t, "id"))->serial = 1;
	sch_index *x = sch_add_index(&b, "users", "users_name_idx");
	sv_push(&x->keys, "name");
	sch_model_sort(&a);
	sch_model_sort(&b);
	sch_diff d;
	sch_diff_models(&a, &b, 0, &d);
	/* table + TOAST table + its index, PK and UNIQUE indexes, the serial's
	 * sequence; the plain index: one */
	assert_int_equal(sch_diff_relations(&d), 3 + 2 + 1 + 1);
	sch_diff_free(&d);
	/* the drop: the same, but the index goes with its table (no change of its own) */
	sch_diff_models(&b, &a, 1, &d);
	assert_int_equal(sch_diff_relations(&d), 3 + 2 + 1);
	sch_diff_free(&d);
	sch_model_free(&a);
	sch_model_free(&b);
}

static void test_sqlite_rebuild_choice(void **state)
{
	(void)state;
	sch_model a, b;
	sch_model_init(&a, DIALECT_SQLITE, "main");
	sch_model_init(&b, DIALECT_SQLITE, "main");
	users(&a, NULL, NULL);
	sch_table *t = users(&b, NULL, NULL);
	/* name becomes NOT NULL: ALTER TABLE cannot, so a rebuild */
	((sch_column *)sch_find_column(t, "name"))->notnull = 1;
	free(t->sql);
	t->sql = xstrdup("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
	sch_view *v = sch_add_view(&a, "v");
	v->def = xstrdup("CREATE VIEW v AS SELECT name FROM users");
	sv_push(&v->deps, "users");
	v = sch_add_view(&b, "v");
	v->def = xstrdup("CREATE VIEW v AS SELECT name FROM users");
	sv_push(&v->deps, "users");
	sch_model_sort(&a);
	sch_model_sort(&b);
	sch_diff d;
	sch_diff_models(&a, &b, 0, &d);
	sbuf sql = SBUF_INIT;
	retort_error err = {0};
	assert_int_equal(sch_render(&a, &b, &d, 3040000, 0, &sql, &err), 0);
	const char *s = sb_str(&sql);
	const char *drop_view = strstr(s, "DROP VIEW v;"), *create = strstr(s, "CREATE TABLE _retort_new_users"),
	           *rename = strstr(s, "ALTER TABLE _retort_new_users RENAME TO users;"),
	           *view = strstr(s, "CREATE VIEW v AS"), *check = strstr(s, "PRAGMA foreign_key_check(users);");
	assert_non_null(drop_view);
	assert_non_null(create);
	assert_non_null(rename);
	assert_non_null(view);
	assert_non_null(check);
	/* the view is out of the way before, back after, the check last */
	assert_true(drop_view < create && create < rename && rename < view && view < check);
	sb_free(&sql);
	sch_diff_free(&d);
	sch_model_free(&a);
	sch_model_free(&b);
}

static void test_pg_order_and_enums(void **state)
{
	(void)state;
	sch_model a, b;
	sch_model_init(&a, DIALECT_PG, "public");
	sch_model_init(&b, DIALECT_PG, "public");
	sch_enum *e = sch_add_enum(&a, "mood");
	sv_push(&e->values, "sad");
	sv_push(&e->values, "ok");
	e = sch_add_enum(&b, "mood");
	sv_push(&e->values, "sad");
	sv_push(&e->values, "meh");
	sv_push(&e->values, "ok");
	/* b: a new table posts whose FK points at a new table authors */
	sch_table *t = sch_add_table(&b, "posts");
	sch_column *c = sch_add_column(t, "author_id");
	c->type = xstrdup("integer");
	sch_constraint *k = sch_add_constraint(t, SCH_FK, "posts_author_fk");
	sv_push(&k->cols, "author_id");
	k->ref_table = xstrdup("authors");
	sv_push(&k->ref_cols, "id");
	t = sch_add_table(&b, "authors");
	c = sch_add_column(t, "id");
	c->type = xstrdup("integer");
	c->serial = 1;
	c->notnull = 1;
	k = sch_add_constraint(t, SCH_PK, "authors_pkey");
	sv_push(&k->cols, "id");
	sch_model_sort(&a);
	sch_model_sort(&b);
	sch_diff d;
	sch_diff_models(&a, &b, 0, &d);
	sbuf sql = SBUF_INIT;
	retort_error err = {0};
	assert_int_equal(sch_render(&a, &b, &d, 0, 0, &sql, &err), 0);
	const char *s = sb_str(&sql);
	const char *val = strstr(s, "ALTER TYPE mood ADD VALUE 'meh' AFTER 'sad';");
	const char *posts = strstr(s, "CREATE TABLE posts"), *authors = strstr(s, "CREATE TABLE authors");
	const char *fk = strstr(s, "ALTER TABLE posts ADD CONSTRAINT posts_author_fk FOREIGN KEY "
	                           "(author_id) REFERENCES authors(id);");
	assert_non_null(val);
	assert_non_null(posts);
	assert_non_null(authors);
	assert_non_null(fk);
	assert_non_null(strstr(s, "id serial"));
	/* the key comes after both tables exist */
	assert_true(fk > posts && fk > authors);
	sb_free(&sql);
	sch_diff_free(&d);

	/* the way back removes a value: refused as an upgrade, a type
	 * rebuild when allowed (the downgrade) */
	sch_diff_models(&b, &a, 1, &d);
	assert_int_equal(count_kind(&d, CH_ENUM_REBUILD), 1);
	assert_int_not_equal(sch_render(&b, &a, &d, 0, 0, &sql, &err), 0);
	assert_non_null(strstr(err.message, "mood"));
	sb_reset(&sql);
	assert_int_equal(sch_render(&b, &a, &d, 0, 1, &sql, &err), 0);
	assert_non_null(strstr(sb_str(&sql), "ALTER TYPE mood RENAME TO mood__retort_old;"));
	/* posts goes before authors, which it references */
	const char *dp = strstr(sb_str(&sql), "DROP TABLE posts;"),
	           *da = strstr(sb_str(&sql), "DROP TABLE authors;");
	assert_non_null(dp);
	assert_non_null(da);
	assert_true(dp < da);
	sb_free(&sql);
	sch_diff_free(&d);
	sch_model_free(&a);
	sch_model_free(&b);
}

static void test_views_in_dependency_order(void **state)
{
	(void)state;
	sch_model m;
	sch_model_init(&m, DIALECT_PG, "public");
	sch_view *v = sch_add_view(&m, "a_top");
	sv_push(&v->deps, "m_mid");
	v = sch_add_view(&m, "m_mid");
	sv_push(&v->deps, "z_base");
	sch_add_view(&m, "z_base");
	sch_model_sort(&m);
	assert_string_equal(m.views[0].name, "z_base");
	assert_string_equal(m.views[1].name, "m_mid");
	assert_string_equal(m.views[2].name, "a_top");
	sch_model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_norm_expr),
	    cmocka_unit_test(test_norm_type),
	    cmocka_unit_test(test_diff_add_and_hint),
	    cmocka_unit_test(test_relations_estimate),
	    cmocka_unit_test(test_sqlite_rebuild_choice),
	    cmocka_unit_test(test_pg_order_and_enums),
	    cmocka_unit_test(test_views_in_dependency_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
