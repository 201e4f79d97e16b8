/*
 * test_describe.c: the `schema` command's output (schema/describe.c) for
 * models built by hand: a PostgreSQL-like one (identity and serial
 * columns, named constraints, a partial expression index, a trigger, a
 * view, an enum, sequences) and a SQLite-like one (no constraint names,
 * no schema prefix). Exact text for one table, for everything, for an
 * unknown name and for an empty model; the JSON parsed back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "schema/schema.h"

static sch_column *col(sch_table *t, const char *name, const char *type, int notnull,
                       const char *dflt)
{
	sch_column *c = sch_add_column(t, name);
	c->type = xstrdup(type);
	c->notnull = notnull;
	c->dflt = dflt ? xstrdup(dflt) : NULL;
	return c;
}

static sch_constraint *con(sch_table *t, sch_con_kind kind, const char *name, const char *cols)
{
	sch_constraint *k = sch_add_constraint(t, kind, name);
	sv_split_csv(&k->cols, cols);
	return k;
}

static sch_constraint *fk(sch_table *t, const char *name, const char *cols, const char *ref,
                          const char *ref_cols, const char *on_delete, const char *on_update)
{
	sch_constraint *k = con(t, SCH_FK, name, cols);
	k->ref_table = xstrdup(ref);
	sv_split_csv(&k->ref_cols, ref_cols);
	k->on_delete = on_delete ? xstrdup(on_delete) : NULL;
	k->on_update = on_update ? xstrdup(on_update) : NULL;
	return k;
}

static sch_index *idx(sch_model *m, const char *table, const char *name, int unique,
                      const char *keys, const char *where, const char *def)
{
	sch_index *x = sch_add_index(m, table, name);
	x->unique = unique;
	sv_split_csv(&x->keys, keys);
	x->where = where ? xstrdup(where) : NULL;
	x->def = xstrdup(def);
	return x;
}

/* Tables added out of order: sch_model_sort puts them in name order. */
static void pg_model(sch_model *m)
{
	sch_model_init(m, DIALECT_PG, "public");

	sch_table *p = sch_add_table(m, "posts");
	sch_column *c = col(p, "id", "integer", 1, "nextval('posts_id_seq'::regclass)");
	c->pk = 1;
	c->serial = 1;
	col(p, "user_id", "integer", 1, NULL);
	c = col(p, "title", "text", 0, NULL);
	c->collation = xstrdup("C");
	con(p, SCH_PK, "posts_pkey", "id");
	fk(p, "posts_user_fk", "user_id", "users", "id", "NO ACTION", "NO ACTION");

	sch_table *u = sch_add_table(m, "users");
	c = col(u, "id", "integer", 1, NULL);
	c->pk = 1;
	c->identity = xstrdup("by default");
	col(u, "email", "character varying(200)", 0, NULL);
	col(u, "org_id", "integer", 0, NULL);
	col(u, "age", "integer", 0, NULL);
	c = col(u, "active", "boolean", 1, "true");
	c->comment = xstrdup("may log in");
	col(u, "created_at", "timestamp with time zone", 1, "now()");
	u->comment = xstrdup("People who log in");
	con(u, SCH_PK, "users_pkey", "id");
	con(u, SCH_UNIQUE, "users_email_key", "email");
	sch_constraint *k = con(u, SCH_CHECK, "users_age_check", "");
	k->expr = xstrdup("age > 0");
	fk(u, "users_org_fk", "org_id", "orgs", "id", "CASCADE", "NO ACTION");

	sch_table *o = sch_add_table(m, "orgs");
	c = col(o, "id", "bigint", 1, NULL);
	c->pk = 1;
	c->identity = xstrdup("always");
	col(o, "name", "text", 1, NULL);
	con(o, SCH_PK, "orgs_pkey", "id");

	/* the indexes behind constraints, as pg_index lists them too */
	idx(m, "users", "users_pkey", 1, "id", NULL,
	    "CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)");
	idx(m, "users", "users_email_key", 1, "email", NULL,
	    "CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email)");
	idx(m, "users", "ix_users_lower", 1, "lower((email)::text)", "active",
	    "CREATE UNIQUE INDEX ix_users_lower ON public.users USING btree (lower((email)::text)) "
	    "WHERE active");
	idx(m, "posts", "ix_posts_user", 0, "user_id", NULL,
	    "CREATE INDEX ix_posts_user ON public.posts USING btree (user_id)");

	sch_trigger *g = sch_add_trigger(m, "users", "trg_users_touch");
	g->def =
	    xstrdup("CREATE TRIGGER trg_users_touch BEFORE UPDATE ON public.users FOR EACH ROW "
	            "EXECUTE FUNCTION touch()");

	sch_view *v = sch_add_view(m, "active_users");
	v->def =
	    xstrdup(" SELECT users.id,\n    users.email\n   FROM users\n  WHERE users.active;");
	sv_push(&v->deps, "users");

	sch_enum *e = sch_add_enum(m, "mood");
	sv_push(&e->values, "sad");
	sv_push(&e->values, "ok");
	sv_push(&e->values, "happy");

	sch_sequence *q = sch_add_sequence(m, "posts_id_seq");
	q->type = xstrdup("integer");
	q->start = q->increment = q->min = 1;
	q->max = 2147483647;
	q->owned_by = xstrdup("posts.id");
	q = sch_add_sequence(m, "invoice_no");
	q->type = xstrdup("bigint");
	q->start = 1000;
	q->increment = 1;
	q->min = 1;
	q->max = 9223372036854775807LL;

	sch_model_sort(m);
}

/* SQLite: no constraint names, no schema prefix, a trigger with a body. */
static void sqlite_model(sch_model *m)
{
	sch_model_init(m, DIALECT_SQLITE, "main");
	sch_table *a = sch_add_table(m, "authors");
	sch_column *c = col(a, "id", "integer", 0, NULL);
	c->pk = 1;
	col(a, "name", "text", 1, "'anon'");
	con(a, SCH_UNIQUE, NULL, "name");

	sch_table *b = sch_add_table(m, "books");
	c = col(b, "id", "integer", 0, NULL);
	c->pk = 1;
	col(b, "author_id", "integer", 0, NULL);
	col(b, "price", "real", 0, NULL);
	sch_constraint *k = con(b, SCH_CHECK, NULL, "");
	k->expr = xstrdup("price >= 0");
	fk(b, NULL, "author_id", "authors", "", "SET NULL", "CASCADE");
	b->strict = 1;
	idx(m, "books", "ix_books_author", 0, "author_id", NULL,
	    "CREATE INDEX ix_books_author ON books(author_id)");

	sch_trigger *g = sch_add_trigger(m, "books", "trg_books_price");
	g->def = xstrdup("CREATE TRIGGER trg_books_price AFTER UPDATE ON books\nBEGIN\n"
	                 "  SELECT 1;\nEND");

	sch_view *v = sch_add_view(m, "cheap_books");
	v->def = xstrdup("CREATE VIEW cheap_books AS SELECT * FROM books WHERE price < 5");
	sv_push(&v->deps, "books");
	sch_model_sort(m);
}

static char *describe(const sch_model *m, const char *table, int json)
{
	sbuf out = SBUF_INIT;
	retort_error err = {0};
	int rc = sch_describe(m, table, json, &out, &err);
	if (rc != RETORT_OK)
		fail_msg("sch_describe(%s): %d %s", table ? table : "NULL", rc, err.message);
	return sb_detach(&out);
}

static void assert_text(const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		print_message("---- got:\n%s---- want:\n%s----\n", got, want);
		fail();
	}
	/* no line ends in a blank */
	for (const char *p = got; (p = strchr(p, '\n')); p++)
		assert_true(p == got || p[-1] != ' ');
}

#define USERS_TEXT                                                                                 \
	"Table \"public.users\"\n"                                                                 \
	"   Column   |           Type           | Nullable |             Default              | "  \
	"Description\n"                                                                            \
	"------------+--------------------------+----------+----------------------------------+-"  \
	"------------\n"                                                                           \
	" id         | integer                  | not null | generated by default as identity |\n" \
	" email      | character varying(200)   |          |                                  |\n" \
	" org_id     | integer                  |          |                                  |\n" \
	" age        | integer                  |          |                                  |\n" \
	" active     | boolean                  | not null | true                             | "  \
	"may "                                                                                     \
	"log in\n"                                                                                 \
	" created_at | timestamp with time zone | not null | now()                            |\n" \
	"Indexes:\n"                                                                               \
	"    \"users_pkey\" PRIMARY KEY (id)\n"                                                    \
	"    \"users_email_key\" UNIQUE CONSTRAINT (email)\n"                                      \
	"    \"ix_users_lower\" UNIQUE (lower((email)::text)) WHERE active\n"                      \
	"Check constraints:\n"                                                                     \
	"    \"users_age_check\" CHECK (age > 0)\n"                                                \
	"Foreign-key constraints:\n"                                                               \
	"    \"users_org_fk\" FOREIGN KEY (org_id) REFERENCES orgs(id) ON DELETE CASCADE\n"        \
	"Referenced by:\n"                                                                         \
	"    TABLE \"posts\" CONSTRAINT \"posts_user_fk\" FOREIGN KEY (user_id) REFERENCES "       \
	"users(id)\n"                                                                              \
	"Triggers:\n"                                                                              \
	"    trg_users_touch BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION "         \
	"touch()\n"                                                                                \
	"Comment: People who log in\n"

static void test_pg_table(void **state)
{
	(void)state;
	sch_model m;
	pg_model(&m);
	char *got = describe(&m, "users", 0);
	assert_text(got, USERS_TEXT);
	free(got);

	/* a Collation column only where a column has one; a serial default as it is */
	got = describe(&m, "posts", 0);
	assert_text(
	    got, "Table \"public.posts\"\n"
	         " Column  |  Type   | Collation | Nullable |              Default\n"
	         "---------+---------+-----------+----------+-----------------------------------\n"
	         " id      | integer |           | not null | nextval('posts_id_seq'::regclass)\n"
	         " user_id | integer |           | not null |\n"
	         " title   | text    | C         |          |\n"
	         "Indexes:\n"
	         "    \"posts_pkey\" PRIMARY KEY (id)\n"
	         "    \"ix_posts_user\" (user_id)\n"
	         "Foreign-key constraints:\n"
	         "    \"posts_user_fk\" FOREIGN KEY (user_id) REFERENCES users(id)\n");
	free(got);

	/* a view and a sequence by name */
	got = describe(&m, "active_users", 0);
	assert_text(got, "View \"public.active_users\"\n"
	                 "View definition:\n"
	                 " SELECT users.id,\n"
	                 "    users.email\n"
	                 "   FROM users\n"
	                 "  WHERE users.active;\n");
	free(got);
	got = describe(&m, "posts_id_seq", 0);
	assert_text(got, "Sequence \"public.posts_id_seq\"\n"
	                 "  Type   | Start | Minimum |  Maximum   | Increment | Cycles?\n"
	                 "---------+-------+---------+------------+-----------+---------\n"
	                 " integer |     1 |       1 | 2147483647 |         1 | no\n"
	                 "Owned by: public.posts.id\n");
	free(got);
	sch_model_free(&m);
}

static void test_pg_all(void **state)
{
	(void)state;
	sch_model m;
	pg_model(&m);
	char *got = describe(&m, NULL, 0);
	assert_text(
	    got, "Table \"public.orgs\"\n"
	         " Column |  Type  | Nullable |           Default\n"
	         "--------+--------+----------+------------------------------\n"
	         " id     | bigint | not null | generated always as identity\n"
	         " name   | text   | not null |\n"
	         "Indexes:\n"
	         "    \"orgs_pkey\" PRIMARY KEY (id)\n"
	         "Referenced by:\n"
	         "    TABLE \"users\" CONSTRAINT \"users_org_fk\" FOREIGN KEY (org_id) REFERENCES "
	         "orgs(id) ON DELETE CASCADE\n"
	         "\n"
	         "Table \"public.posts\"\n"
	         " Column  |  Type   | Collation | Nullable |              Default\n"
	         "---------+---------+-----------+----------+-----------------------------------\n"
	         " id      | integer |           | not null | nextval('posts_id_seq'::regclass)\n"
	         " user_id | integer |           | not null |\n"
	         " title   | text    | C         |          |\n"
	         "Indexes:\n"
	         "    \"posts_pkey\" PRIMARY KEY (id)\n"
	         "    \"ix_posts_user\" (user_id)\n"
	         "Foreign-key constraints:\n"
	         "    \"posts_user_fk\" FOREIGN KEY (user_id) REFERENCES users(id)\n"
	         "\n" USERS_TEXT "\n"
	         "View \"public.active_users\"\n"
	         "View definition:\n"
	         " SELECT users.id,\n"
	         "    users.email\n"
	         "   FROM users\n"
	         "  WHERE users.active;\n"
	         "\n"
	         "Type \"public.mood\"\n"
	         "Values: sad, ok, happy\n"
	         "\n"
	         "Sequence \"public.invoice_no\"\n"
	         "  Type  | Start | Minimum |       Maximum       | Increment | Cycles?\n"
	         "--------+-------+---------+---------------------+-----------+---------\n"
	         " bigint |  1000 |       1 | 9223372036854775807 |         1 | no\n");
	free(got);
	sch_model_free(&m);
}

static void test_sqlite(void **state)
{
	(void)state;
	sch_model m;
	sqlite_model(&m);
	char *got = describe(&m, NULL, 0);
	assert_text(got,
	            "Table \"authors\"\n"
	            " Column |  Type   | Nullable | Default\n"
	            "--------+---------+----------+---------\n"
	            " id     | integer |          |\n"
	            " name   | text    | not null | 'anon'\n"
	            "Indexes:\n"
	            "    PRIMARY KEY (id)\n"
	            "    UNIQUE CONSTRAINT (name)\n"
	            "Referenced by:\n"
	            "    TABLE \"books\" FOREIGN KEY (author_id) REFERENCES authors ON UPDATE "
	            "CASCADE ON DELETE SET NULL\n"
	            "\n"
	            "Table \"books\"\n"
	            "  Column   |  Type   | Nullable | Default\n"
	            "-----------+---------+----------+---------\n"
	            " id        | integer |          |\n"
	            " author_id | integer |          |\n"
	            " price     | real    |          |\n"
	            "Indexes:\n"
	            "    PRIMARY KEY (id)\n"
	            "    \"ix_books_author\" (author_id)\n"
	            "Check constraints:\n"
	            "    CHECK (price >= 0)\n"
	            "Foreign-key constraints:\n"
	            "    FOREIGN KEY (author_id) REFERENCES authors ON UPDATE CASCADE ON DELETE "
	            "SET NULL\n"
	            "Triggers:\n"
	            "    trg_books_price AFTER UPDATE ON books\n"
	            "    BEGIN\n"
	            "      SELECT 1;\n"
	            "    END\n"
	            "Options: STRICT\n"
	            "\n"
	            "View \"cheap_books\"\n"
	            "View definition:\n"
	            "CREATE VIEW cheap_books AS SELECT * FROM books WHERE price < 5\n");
	free(got);
	sch_model_free(&m);
}

static void test_unknown_and_empty(void **state)
{
	(void)state;
	sch_model m;
	pg_model(&m);
	sbuf out = SBUF_INIT;
	sb_adds(&out, "kept");
	retort_error err = {0};
	assert_int_equal(sch_describe(&m, "nosuch", 0, &out, &err), RETORT_EUSAGE);
	assert_int_equal(err.code, RETORT_EUSAGE);
	assert_string_equal(err.message, "Did not find any relation named \"nosuch\".");
	assert_string_equal(sb_str(&out), "kept"); /* nothing appended */
	memset(&err, 0, sizeof err);
	assert_int_equal(sch_describe(&m, "mood", 1, &out, &err), RETORT_EUSAGE);
	assert_string_equal(err.message, "Did not find any relation named \"mood\".");
	assert_string_equal(sb_str(&out), "kept");
	sb_free(&out);
	sch_model_free(&m);

	sch_model_init(&m, DIALECT_SQLITE, "main");
	sch_model_sort(&m);
	char *got = describe(&m, NULL, 0);
	assert_string_equal(got, "No relations found.\n");
	free(got);
	got = describe(&m, NULL, 1);
	assert_string_equal(got, "{\n"
	                         "  \"schema\": null,\n"
	                         "  \"tables\": [],\n"
	                         "  \"views\": [],\n"
	                         "  \"enums\": [],\n"
	                         "  \"sequences\": []\n"
	                         "}\n");
	free(got);
	sch_model_free(&m);
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);
	if (!doc)
		fail_msg("bad JSON (%s at %d):\n%s", jerr.text, jerr.line, text);
	return doc;
}

static const char *jget_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		fail_msg("%s is not a string", key);
	return json_string_value(v);
}

static void assert_json_null(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_null(v))
		fail_msg("%s is not null", key);
}

static void test_json(void **state)
{
	(void)state;
	sch_model m;
	pg_model(&m);
	char *got = describe(&m, NULL, 1);
	size_t len = strlen(got);
	assert_true(len > 2 && got[len - 1] == '\n' && got[len - 2] == '}');
	assert_non_null(strstr(got, "{\n  \"schema\": \"public\",\n  \"tables\": [\n    {\n"));
	json_t *doc = parse(got);
	free(got);
	assert_string_equal(jget_str(doc, "schema"), "public");
	json_t *tables = json_object_get(doc, "tables");
	assert_int_equal(json_array_size(tables), 3);
	assert_string_equal(jget_str(json_array_get(tables, 0), "name"), "orgs");
	json_t *u = json_array_get(tables, 2);
	assert_string_equal(jget_str(u, "name"), "users");
	assert_string_equal(jget_str(u, "comment"), "People who log in");

	json_t *cols = json_object_get(u, "columns");
	assert_int_equal(json_array_size(cols), 6);
	json_t *id = json_array_get(cols, 0);
	assert_string_equal(jget_str(id, "name"), "id");
	assert_string_equal(jget_str(id, "type"), "integer");
	assert_true(json_is_false(json_object_get(id, "nullable")));
	assert_true(json_is_true(json_object_get(id, "primary_key")));
	assert_string_equal(jget_str(id, "identity"), "by default");
	assert_json_null(id, "default");
	assert_json_null(id, "comment");
	json_t *email = json_array_get(cols, 1);
	assert_true(json_is_true(json_object_get(email, "nullable")));
	assert_true(json_is_false(json_object_get(email, "primary_key")));
	assert_json_null(email, "identity");
	json_t *active = json_array_get(cols, 4);
	assert_string_equal(jget_str(active, "default"), "true");
	assert_string_equal(jget_str(active, "comment"), "may log in");

	json_t *pk = json_object_get(u, "primary_key");
	assert_int_equal(json_array_size(pk), 1);
	assert_string_equal(json_string_value(json_array_get(pk, 0)), "id");
	json_t *uq = json_array_get(json_object_get(u, "unique"), 0);
	assert_string_equal(jget_str(uq, "name"), "users_email_key");
	assert_string_equal(json_string_value(json_array_get(json_object_get(uq, "columns"), 0)),
	                    "email");
	json_t *f = json_array_get(json_object_get(u, "foreign_keys"), 0);
	assert_string_equal(jget_str(f, "name"), "users_org_fk");
	assert_string_equal(json_string_value(json_array_get(json_object_get(f, "columns"), 0)),
	                    "org_id");
	json_t *ref = json_object_get(f, "references");
	assert_string_equal(jget_str(ref, "table"), "orgs");
	assert_string_equal(json_string_value(json_array_get(json_object_get(ref, "columns"), 0)),
	                    "id");
	assert_string_equal(jget_str(f, "on_delete"), "CASCADE");
	assert_string_equal(jget_str(f, "on_update"), "NO ACTION");
	json_t *ck = json_array_get(json_object_get(u, "checks"), 0);
	assert_string_equal(jget_str(ck, "name"), "users_age_check");
	assert_string_equal(jget_str(ck, "expression"), "age > 0");
	/* the indexes behind the constraints are not listed twice */
	json_t *ixs = json_object_get(u, "indexes");
	assert_int_equal(json_array_size(ixs), 1);
	json_t *ix = json_array_get(ixs, 0);
	assert_string_equal(jget_str(ix, "name"), "ix_users_lower");
	assert_true(json_is_true(json_object_get(ix, "unique")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(ix, "keys"), 0)),
	                    "lower((email)::text)");
	assert_string_equal(jget_str(ix, "where"), "active");
	assert_non_null(strstr(jget_str(ix, "definition"), "CREATE UNIQUE INDEX ix_users_lower"));
	json_t *trg = json_array_get(json_object_get(u, "triggers"), 0);
	assert_string_equal(jget_str(trg, "name"), "trg_users_touch");
	assert_non_null(strstr(jget_str(trg, "definition"), "EXECUTE FUNCTION touch()"));
	json_t *orgs = json_array_get(tables, 0);
	assert_json_null(orgs, "comment");
	assert_int_equal(json_array_size(json_object_get(orgs, "checks")), 0);

	json_t *v = json_array_get(json_object_get(doc, "views"), 0);
	assert_string_equal(jget_str(v, "name"), "active_users");
	assert_non_null(strstr(jget_str(v, "definition"), "FROM users"));
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "depends_on"), 0)),
	                    "users");
	json_t *e = json_array_get(json_object_get(doc, "enums"), 0);
	assert_string_equal(jget_str(e, "name"), "mood");
	json_t *vals = json_object_get(e, "values");
	assert_int_equal(json_array_size(vals), 3);
	assert_string_equal(json_string_value(json_array_get(vals, 2)), "happy");
	json_t *seqs = json_object_get(doc, "sequences");
	assert_int_equal(json_array_size(seqs), 2);
	assert_string_equal(jget_str(json_array_get(seqs, 0), "name"), "invoice_no");
	assert_json_null(json_array_get(seqs, 0), "owned_by");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(seqs, 0), "start")),
	                 1000);
	assert_string_equal(jget_str(json_array_get(seqs, 1), "owned_by"), "posts.id");
	json_decref(doc);

	/* one table: the same shape, one element */
	got = describe(&m, "orgs", 1);
	doc = parse(got);
	free(got);
	tables = json_object_get(doc, "tables");
	assert_int_equal(json_array_size(tables), 1);
	assert_string_equal(jget_str(json_array_get(tables, 0), "name"), "orgs");
	assert_string_equal(
	    jget_str(json_array_get(json_object_get(json_array_get(tables, 0), "columns"), 0),
	             "identity"),
	    "always");
	assert_int_equal(json_array_size(json_object_get(doc, "views")), 0);
	assert_int_equal(json_array_size(json_object_get(doc, "enums")), 0);
	assert_int_equal(json_array_size(json_object_get(doc, "sequences")), 0);
	json_decref(doc);
	got = describe(&m, "active_users", 1);
	doc = parse(got);
	free(got);
	assert_int_equal(json_array_size(json_object_get(doc, "tables")), 0);
	assert_int_equal(json_array_size(json_object_get(doc, "views")), 1);
	json_decref(doc);
	sch_model_free(&m);

	/* SQLite: no schema, unnamed constraints are null, empty ref columns */
	sqlite_model(&m);
	got = describe(&m, "books", 1);
	doc = parse(got);
	free(got);
	assert_json_null(doc, "schema");
	json_t *b = json_array_get(json_object_get(doc, "tables"), 0);
	pk = json_object_get(b, "primary_key"); /* from the columns' pk positions */
	assert_int_equal(json_array_size(pk), 1);
	assert_string_equal(json_string_value(json_array_get(pk, 0)), "id");
	f = json_array_get(json_object_get(b, "foreign_keys"), 0);
	assert_json_null(f, "name");
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(f, "references"), "columns")), 0);
	assert_string_equal(jget_str(f, "on_delete"), "SET NULL");
	ck = json_array_get(json_object_get(b, "checks"), 0);
	assert_json_null(ck, "name");
	assert_string_equal(jget_str(ck, "expression"), "price >= 0");
	json_decref(doc);
	sch_model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pg_table), cmocka_unit_test(test_pg_all),
	    cmocka_unit_test(test_sqlite),   cmocka_unit_test(test_unknown_and_empty),
	    cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
