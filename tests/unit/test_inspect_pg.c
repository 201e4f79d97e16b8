/*
 * test_inspect_pg.c: PostgreSQL introspection (driver/inspect_pg.c) into
 * the schema model, against a real server: a realistic schema in a fresh
 * schema of its own (serial and identity keys, a composite key, named
 * UNIQUE/CHECK/FK constraints, an FK into another schema, partial,
 * expression and GIN indexes, views over views, a materialized view, a
 * plpgsql trigger, an enum, a free-standing sequence, comments), checked
 * field by field; retort's own tables left out through the skip list;
 * the caller's transaction and search_path untouched; 2,000 tables at
 * once. Runs only when RETORT_TEST_PG_URL names a server (see
 * tests/support/with-postgres.sh) and is skipped otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver/driver.h"

static const char *pg_url(void)
{
	const char *url = getenv("RETORT_TEST_PG_URL");
	if (!url || !*url)
		skip();
	return url;
}

static db_conn *open_pg(void)
{
	retort_error err = {0};
	db_url u;
	if (url_parse(pg_url(), &u, &err) != RETORT_OK)
		fail_msg("url_parse: %s", err.message);
	db_conn *c = NULL;
	int rc = driver_pg.connect(&u, &c, &err);
	url_free(&u);
	if (rc != RETORT_OK)
		fail_msg("connect: %s", err.message);
	return c;
}

static void exec_ok(db_conn *c, const char *sql)
{
	retort_error err = {0};
	if (driver_pg.exec(c, sql, NULL, &err) != RETORT_OK)
		fail_msg("%s: %s", sql, err.message);
}

static void execf(db_conn *c, const char *fmt, ...) RT_PRINTF(2, 3);
static void execf(db_conn *c, const char *fmt, ...)
{
	va_list ap;
	sbuf b = SBUF_INIT;
	va_start(ap, fmt);
	sb_vaddf(&b, fmt, ap);
	va_end(ap);
	exec_ok(c, sb_str(&b));
	sb_free(&b);
}

static char *query1(db_conn *c, const char *sql)
{
	retort_error err = {0};
	strvec v = STRVEC_INIT;
	if (driver_pg.query_col(c, sql, &v, &err) != RETORT_OK)
		fail_msg("%s: %s", sql, err.message);
	assert_int_equal(v.n, 1);
	char *s = xstrdup(v.v[0]);
	sv_free(&v);
	return s;
}

/* A schema name no other run uses: ctest runs programs in parallel. */
static char *fresh_name(const char *prefix)
{
	char *hex = random_hex(4);
	char *s = xasprintf("%s_%ld_%s", prefix, (long)getpid(), hex);
	free(hex);
	return s;
}

static void inspect_ok(db_conn *c, const char *schema, const strvec *skip, sch_model *m)
{
	retort_error err = {0};
	sch_model_init(m, DIALECT_PG, schema);
	if (driver_pg.inspect(c, schema, skip, m, &err) != RETORT_OK)
		fail_msg("inspect: %s", err.message);
}

#define assert_str_or_null(got, want)                                                              \
	do {                                                                                       \
		const char *g_ = (got), *w_ = (want);                                              \
		if (!w_)                                                                           \
			assert_null(g_);                                                           \
		else if (!g_)                                                                      \
			fail_msg("%s: NULL, want '%s'", #got, w_);                                 \
		else                                                                               \
			assert_string_equal(g_, w_);                                               \
	} while (0)

static void assert_strvec(const strvec *v, const char *joined)
{
	sbuf b = SBUF_INIT;
	sv_join(&b, v, "|");
	assert_string_equal(sb_str(&b), joined);
	sb_free(&b);
}

static const sch_table *table(const sch_model *m, const char *name)
{
	const sch_table *t = sch_find_table(m, name);
	if (!t)
		fail_msg("no table %s", name);
	return t;
}

typedef struct col_want {
	const char *name, *type;
	int notnull;
	const char *dflt;
	int pk;
	const char *identity;
	int serial;
	const char *generated, *collation, *comment;
} col_want;

static void check_cols(const sch_table *t, const col_want *want, size_t n)
{
	assert_int_equal(t->ncols, n);
	for (size_t i = 0; i < n; i++) {
		const sch_column *c = &t->cols[i];
		const col_want *w = &want[i];
		assert_string_equal(c->name, w->name);
		assert_string_equal(c->type, w->type);
		assert_int_equal(c->notnull, w->notnull);
		assert_str_or_null(c->dflt, w->dflt);
		assert_int_equal(c->pk, w->pk);
		assert_str_or_null(c->identity, w->identity);
		assert_int_equal(c->serial, w->serial);
		assert_int_equal(c->hidden, 0);
		assert_str_or_null(c->generated, w->generated);
		assert_str_or_null(c->collation, w->collation);
		assert_str_or_null(c->comment, w->comment);
		assert_null(c->renamed_from);
	}
}

static const sch_constraint *con(const sch_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncons; i++)
		if (t->cons[i].name && strcmp(t->cons[i].name, name) == 0)
			return &t->cons[i];
	fail_msg("no constraint %s on %s", name, t->name);
	return NULL;
}

static const sch_index *index_named(const sch_model *m, const char *name)
{
	const sch_index *x = sch_find_index(m, name);
	if (!x)
		fail_msg("no index %s", name);
	return x;
}

static const sch_sequence *seq(const sch_model *m, const char *name)
{
	const sch_sequence *s = sch_find_sequence(m, name);
	if (!s)
		fail_msg("no sequence %s", name);
	return s;
}

/* ---- the realistic schema -------------------------------------------------- */

static void create_shop(db_conn *c, const char *s, const char *other)
{
	execf(c, "CREATE SCHEMA %s", s);
	execf(c, "CREATE SCHEMA %s", other);
	execf(c, "CREATE TABLE %s.accounts (id integer PRIMARY KEY)", other);
	/* Unqualified DDL lands in s; the inspection below runs with the
	 * session's search_path elsewhere. */
	execf(c, "SET search_path TO %s", s);
	exec_ok(c,
	        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');"
	        "COMMENT ON TYPE mood IS 'how it feels';"
	        "CREATE TYPE unused_kind AS ENUM ();"
	        "CREATE SEQUENCE invoice_no START 1000 INCREMENT 10;"
	        "CREATE SEQUENCE small_cycle AS smallint MINVALUE -5 MAXVALUE 5 START 0 CYCLE;");
	execf(c,
	      "CREATE TABLE users ("
	      " id serial PRIMARY KEY,"
	      " email varchar(200) NOT NULL,"
	      " name text COLLATE \"C\","
	      " mood mood DEFAULT 'ok',"
	      " created_at timestamptz NOT NULL DEFAULT now(),"
	      " updated_at timestamp DEFAULT CURRENT_TIMESTAMP,"
	      " kind text DEFAULT 'x'::text,"
	      " account_id integer CONSTRAINT users_account_fk REFERENCES %s.accounts (id),"
	      " CONSTRAINT users_email_key UNIQUE (email) DEFERRABLE,"
	      " CONSTRAINT users_email_check CHECK (email LIKE '%%@%%'))",
	      other);
	exec_ok(c,
	        "COMMENT ON TABLE users IS 'people';"
	        "COMMENT ON COLUMN users.email IS 'login; unique';"
	        "CREATE TABLE orders ("
	        " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	        " user_id integer NOT NULL,"
	        " total numeric(10,2) NOT NULL DEFAULT 0,"
	        " total_cents bigint GENERATED ALWAYS AS ((total * 100)::bigint) STORED,"
	        " tags text[],"
	        " note text,"
	        " CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id)"
	        "  ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED);"
	        "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;"
	        /* line comes first but is the key's second column */
	        "CREATE TABLE order_items ("
	        " line integer,"
	        " order_id bigint,"
	        " product text NOT NULL,"
	        " qty integer NOT NULL DEFAULT 1,"
	        " \"Odd \"\"Name\"\"\" text,"
	        " PRIMARY KEY (order_id, line),"
	        " CONSTRAINT order_items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id)"
	        "  ON DELETE CASCADE ON UPDATE RESTRICT);"
	        "ALTER TABLE order_items ADD CONSTRAINT qty_positive CHECK (qty > 0 AND (qty < 1000)) NO INHERIT;"
	        "ALTER TABLE order_items DROP COLUMN \"Odd \"\"Name\"\"\";"
	        "ALTER TABLE order_items ADD COLUMN \"Odd, \"\"Name\"\"\" text;"
	        "CREATE TABLE bookings ("
	        " id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	        " during tsrange,"
	        " CONSTRAINT bookings_no_overlap EXCLUDE USING gist (during WITH &&));"
	        "CREATE INDEX orders_open_idx ON orders (user_id) WHERE note IS NULL;"
	        "CREATE UNIQUE INDEX users_lower_email ON users (lower(email));"
	        "CREATE INDEX orders_tags_gin ON orders USING gin (tags);"
	        "CREATE INDEX order_items_mixed ON order_items (product, (qty * 2), \"Odd, \"\"Name\"\"\" DESC);"
	        "CREATE VIEW user_orders AS"
	        " SELECT u.id, u.email, o.total FROM users u JOIN orders o ON o.user_id = u.id;"
	        "CREATE VIEW big_spenders AS SELECT id, email FROM user_orders WHERE total > 100;"
	        "COMMENT ON VIEW big_spenders IS 'vip';"
	        "CREATE MATERIALIZED VIEW order_totals AS"
	        " SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id;"
	        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS"
	        " $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;"
	        "CREATE TRIGGER users_touch BEFORE UPDATE ON users"
	        " FOR EACH ROW EXECUTE FUNCTION touch();"
	        /* retort's own tables, for the skip list */
	        "CREATE TABLE alembic_version (version_num varchar(32) NOT NULL,"
	        " CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));"
	        "CREATE TABLE retort_history (id serial PRIMARY KEY, version text,"
	        " at timestamptz DEFAULT now());"
	        "CREATE INDEX retort_history_version ON retort_history (version);"
	        "CREATE TRIGGER retort_history_touch BEFORE UPDATE ON retort_history"
	        " FOR EACH ROW EXECUTE FUNCTION touch();"
	        /* an FK into one of them: its columns are named by the server */
	        "CREATE TABLE audit (hist_id integer REFERENCES retort_history (id));"
	        /* a composite FK whose key order is not the columns' order */
	        "CREATE TABLE shipments (l integer, o bigint,"
	        " CONSTRAINT shipments_item_fk FOREIGN KEY (o, l)"
	        "  REFERENCES order_items (order_id, line));"
	        /* a partitioned table: the partition's clone of the trigger is
	         * the parent's */
	        "CREATE TABLE measurements (id bigint NOT NULL, at date NOT NULL, v numeric,"
	        " PRIMARY KEY (id, at)) PARTITION BY RANGE (at);"
	        "CREATE TABLE measurements_2024 PARTITION OF measurements"
	        " FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
	        "CREATE TRIGGER measurements_touch BEFORE UPDATE ON measurements"
	        " FOR EACH ROW EXECUTE FUNCTION touch();"
	        "SET search_path TO public");
}

static void check_shop(const sch_model *m, const char *s, const char *other, int skipped)
{
	assert_int_equal(m->kind, DIALECT_PG);
	assert_string_equal(m->schema, s);

	/* tables, by name */
	assert_int_equal(m->ntables, skipped ? 8 : 10);
	size_t i = 0;
	if (!skipped)
		assert_string_equal(m->tables[i++].name, "alembic_version");
	assert_string_equal(m->tables[i++].name, "audit");
	assert_string_equal(m->tables[i++].name, "bookings");
	assert_string_equal(m->tables[i++].name, "measurements");
	assert_string_equal(m->tables[i++].name, "measurements_2024");
	assert_string_equal(m->tables[i++].name, "order_items");
	assert_string_equal(m->tables[i++].name, "orders");
	if (!skipped)
		assert_string_equal(m->tables[i++].name, "retort_history");
	assert_string_equal(m->tables[i++].name, "shipments");
	assert_string_equal(m->tables[i++].name, "users");

	/* users: serial, defaults, collation, enum column, comments */
	const sch_table *t = table(m, "users");
	assert_string_equal(t->comment, "people");
	assert_null(t->sql);
	const col_want users[] = {
		{"id", "integer", 1, "nextval('users_id_seq'::regclass)", 1, NULL, 1, NULL, NULL, NULL},
		{"email", "character varying(200)", 1, NULL, 0, NULL, 0, NULL, NULL, "login; unique"},
		{"name", "text", 0, NULL, 0, NULL, 0, NULL, "C", NULL},
		{"mood", "mood", 0, "'ok'::mood", 0, NULL, 0, NULL, NULL, NULL},
		{"created_at", "timestamp with time zone", 1, "now()", 0, NULL, 0, NULL, NULL, NULL},
		{"updated_at", "timestamp without time zone", 0, "CURRENT_TIMESTAMP", 0, NULL, 0, NULL,
		 NULL, NULL},
		{"kind", "text", 0, "'x'::text", 0, NULL, 0, NULL, NULL, NULL},
		{"account_id", "integer", 0, NULL, 0, NULL, 0, NULL, NULL, NULL},
	};
	check_cols(t, users, sizeof users / sizeof *users);
	assert_int_equal(t->ncons, 4); /* by name */
	const sch_constraint *k = &t->cons[0];
	assert_string_equal(k->name, "users_account_fk");
	assert_int_equal(k->kind, SCH_FK);
	assert_strvec(&k->cols, "account_id");
	assert_string_equal(k->ref_schema, other);
	assert_string_equal(k->ref_table, "accounts");
	assert_strvec(&k->ref_cols, "id");
	assert_string_equal(k->on_delete, "NO ACTION");
	assert_string_equal(k->on_update, "NO ACTION");
	assert_int_equal(k->deferrable, 0);
	assert_null(k->expr);
	char *want = xasprintf("FOREIGN KEY (account_id) REFERENCES %s.accounts(id)", other);
	assert_string_equal(k->def, want);
	free(want);
	k = &t->cons[1];
	assert_string_equal(k->name, "users_email_check");
	assert_int_equal(k->kind, SCH_CHECK);
	assert_int_equal(k->cols.n, 0);
	assert_string_equal(k->expr, "email::text ~~ '%@%'::text");
	assert_string_equal(k->def, "CHECK (email::text ~~ '%@%'::text)");
	assert_null(k->ref_table);
	assert_null(k->on_delete);
	k = &t->cons[2];
	assert_string_equal(k->name, "users_email_key");
	assert_int_equal(k->kind, SCH_UNIQUE);
	assert_strvec(&k->cols, "email");
	assert_int_equal(k->deferrable, 1);
	assert_string_equal(k->def, "UNIQUE (email) DEFERRABLE");
	k = &t->cons[3];
	assert_string_equal(k->name, "users_pkey");
	assert_int_equal(k->kind, SCH_PK);
	assert_strvec(&k->cols, "id");
	assert_int_equal(k->deferrable, 0);
	assert_string_equal(k->def, "PRIMARY KEY (id)");

	/* orders: identity, generated column, deferred FK, NOT VALID check */
	t = table(m, "orders");
	assert_null(t->comment);
	const col_want orders[] = {
		{"id", "bigint", 1, NULL, 1, "always", 0, NULL, NULL, NULL},
		{"user_id", "integer", 1, NULL, 0, NULL, 0, NULL, NULL, NULL},
		{"total", "numeric(10,2)", 1, "0", 0, NULL, 0, NULL, NULL, NULL},
		{"total_cents", "bigint", 0, NULL, 0, NULL, 0, "((total * (100)::numeric))::bigint", NULL,
		 NULL},
		{"tags", "text[]", 0, NULL, 0, NULL, 0, NULL, NULL, NULL},
		{"note", "text", 0, NULL, 0, NULL, 0, NULL, NULL, NULL},
	};
	check_cols(t, orders, sizeof orders / sizeof *orders);
	assert_int_equal(t->ncons, 3);
	k = con(t, "orders_total_check");
	assert_int_equal(k->kind, SCH_CHECK);
	assert_string_equal(k->expr, "total >= 0::numeric");
	assert_string_equal(k->def, "CHECK (total >= 0::numeric) NOT VALID");
	k = con(t, "orders_user_fk");
	assert_int_equal(k->kind, SCH_FK);
	assert_strvec(&k->cols, "user_id");
	assert_null(k->ref_schema);
	assert_string_equal(k->ref_table, "users");
	assert_strvec(&k->ref_cols, "id");
	assert_string_equal(k->on_delete, "CASCADE");
	assert_string_equal(k->on_update, "NO ACTION");
	assert_int_equal(k->deferrable, 2);
	assert_string_equal(k->def, "FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE "
	                            "DEFERRABLE INITIALLY DEFERRED");
	k = con(t, "orders_pkey");
	assert_int_equal(k->kind, SCH_PK);

	/* order_items: composite key out of column order, a dropped column,
	 * a name that needs quoting, NO INHERIT check */
	t = table(m, "order_items");
	const col_want items[] = {
		{"line", "integer", 1, NULL, 2, NULL, 0, NULL, NULL, NULL},
		{"order_id", "bigint", 1, NULL, 1, NULL, 0, NULL, NULL, NULL},
		{"product", "text", 1, NULL, 0, NULL, 0, NULL, NULL, NULL},
		{"qty", "integer", 1, "1", 0, NULL, 0, NULL, NULL, NULL},
		{"Odd, \"Name\"", "text", 0, NULL, 0, NULL, 0, NULL, NULL, NULL},
	};
	check_cols(t, items, sizeof items / sizeof *items);
	assert_int_equal(t->ncons, 3);
	k = con(t, "order_items_pkey");
	assert_int_equal(k->kind, SCH_PK);
	assert_strvec(&k->cols, "order_id|line");
	k = con(t, "order_items_order_fk");
	assert_string_equal(k->ref_table, "orders");
	assert_string_equal(k->on_delete, "CASCADE");
	assert_string_equal(k->on_update, "RESTRICT");
	k = con(t, "qty_positive");
	assert_string_equal(k->expr, "qty > 0 AND qty < 1000");
	assert_string_equal(k->def, "CHECK (qty > 0 AND qty < 1000) NO INHERIT");

	/* bookings: identity by default, exclusion constraint */
	t = table(m, "bookings");
	const col_want bookings[] = {
		{"id", "integer", 1, NULL, 1, "by default", 0, NULL, NULL, NULL},
		{"during", "tsrange", 0, NULL, 0, NULL, 0, NULL, NULL, NULL},
	};
	check_cols(t, bookings, sizeof bookings / sizeof *bookings);
	assert_int_equal(t->ncons, 2);
	k = con(t, "bookings_no_overlap");
	assert_int_equal(k->kind, SCH_EXCLUDE);
	assert_int_equal(k->cols.n, 0);
	assert_string_equal(k->def, "EXCLUDE USING gist (during WITH &&)");

	/* key order, not column order; a referenced table the model leaves out */
	t = table(m, "shipments");
	k = con(t, "shipments_item_fk");
	assert_strvec(&k->cols, "o|l");
	assert_string_equal(k->ref_table, "order_items");
	assert_strvec(&k->ref_cols, "order_id|line");
	assert_string_equal(k->def, "FOREIGN KEY (o, l) REFERENCES order_items(order_id, line)");
	t = table(m, "audit");
	assert_int_equal(t->ncons, 1);
	assert_strvec(&t->cons[0].cols, "hist_id");
	assert_string_equal(t->cons[0].ref_table, "retort_history");
	assert_null(t->cons[0].ref_schema);
	assert_strvec(&t->cons[0].ref_cols, "id");

	/* partitioned */
	t = table(m, "measurements");
	assert_int_equal(t->ncols, 3);
	assert_int_equal(t->cols[0].pk, 1);
	assert_int_equal(t->cols[1].pk, 2);
	assert_string_equal(con(t, "measurements_pkey")->def, "PRIMARY KEY (id, at)");
	t = table(m, "measurements_2024");
	assert_int_equal(t->ncols, 3);
	assert_int_equal(t->cols[1].pk, 2);

	/* indexes: not the constraints' own; by table, name */
	assert_int_equal(m->nindexes, skipped ? 4 : 5);
	i = 0;
	assert_string_equal(m->indexes[i++].name, "order_items_mixed");
	assert_string_equal(m->indexes[i++].name, "orders_open_idx");
	assert_string_equal(m->indexes[i++].name, "orders_tags_gin");
	if (!skipped)
		assert_string_equal(m->indexes[i++].name, "retort_history_version");
	assert_string_equal(m->indexes[i++].name, "users_lower_email");
	const sch_index *x = index_named(m, "orders_open_idx");
	assert_string_equal(x->table, "orders");
	assert_int_equal(x->unique, 0);
	assert_strvec(&x->keys, "user_id");
	assert_string_equal(x->where, "(note IS NULL)");
	assert_null(x->method);
	assert_string_equal(x->def,
	                    "CREATE INDEX orders_open_idx ON orders USING btree (user_id) WHERE note IS NULL");
	x = index_named(m, "users_lower_email");
	assert_string_equal(x->table, "users");
	assert_int_equal(x->unique, 1);
	assert_strvec(&x->keys, "lower(email::text)");
	assert_null(x->where);
	assert_null(x->method);
	assert_string_equal(x->def,
	                    "CREATE UNIQUE INDEX users_lower_email ON users USING btree (lower(email::text))");
	x = index_named(m, "orders_tags_gin");
	assert_strvec(&x->keys, "tags");
	assert_string_equal(x->method, "gin");
	assert_string_equal(x->def, "CREATE INDEX orders_tags_gin ON orders USING gin (tags)");
	x = index_named(m, "order_items_mixed");
	assert_int_equal(x->keys.n, 3);
	assert_string_equal(x->keys.v[0], "product");
	assert_string_equal(x->keys.v[1], "(qty * 2)");
	assert_string_equal(x->keys.v[2], "\"Odd, \"\"Name\"\"\"");
	assert_string_equal(x->def, "CREATE INDEX order_items_mixed ON order_items USING btree "
	                            "(product, (qty * 2), \"Odd, \"\"Name\"\"\" DESC)");

	/* views: a view after the views it reads */
	assert_int_equal(m->nviews, 3);
	const sch_view *v = sch_find_view(m, "user_orders");
	const sch_view *big = sch_find_view(m, "big_spenders");
	assert_non_null(v);
	assert_non_null(big);
	assert_true(v < big);
	assert_int_equal(v->materialized, 0);
	assert_strvec(&v->deps, "orders|users");
	assert_null(v->comment);
	assert_string_equal(v->def, " SELECT u.id,\n    u.email,\n    o.total\n"
	                            "   FROM users u\n     JOIN orders o ON o.user_id = u.id;");
	assert_int_equal(big->materialized, 0);
	assert_strvec(&big->deps, "user_orders");
	assert_string_equal(big->comment, "vip");
	/* PostgreSQL 16 stopped qualifying the columns of a one-table query */
	if (strcmp(big->def, " SELECT id,\n    email\n   FROM user_orders\n"
	                     "  WHERE total > 100::numeric;") != 0)
		assert_string_equal(big->def, " SELECT user_orders.id,\n    user_orders.email\n"
		                              "   FROM user_orders\n"
		                              "  WHERE user_orders.total > 100::numeric;");
	v = sch_find_view(m, "order_totals");
	assert_non_null(v);
	assert_int_equal(v->materialized, 1);
	assert_strvec(&v->deps, "orders");
	if (strcmp(v->def, " SELECT user_id,\n    sum(total) AS total\n   FROM orders\n"
	                   "  GROUP BY user_id;") != 0)
		assert_string_equal(v->def, " SELECT orders.user_id,\n    sum(orders.total) AS total\n"
		                            "   FROM orders\n  GROUP BY orders.user_id;");

	/* triggers */
	assert_int_equal(m->ntriggers, skipped ? 2 : 3);
	const sch_trigger *g = &m->triggers[0];
	assert_string_equal(g->table, "measurements");
	assert_string_equal(g->name, "measurements_touch");
	g = &m->triggers[skipped ? 1 : 2];
	assert_string_equal(g->table, "users");
	assert_string_equal(g->name, "users_touch");
	assert_string_equal(g->def, "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW "
	                            "EXECUTE FUNCTION touch()");

	/* enums */
	assert_int_equal(m->nenums, 2);
	const sch_enum *e = sch_find_enum(m, "mood");
	assert_non_null(e);
	assert_strvec(&e->values, "sad|ok|happy");
	assert_string_equal(e->comment, "how it feels");
	e = sch_find_enum(m, "unused_kind");
	assert_non_null(e);
	assert_int_equal(e->values.n, 0);
	assert_null(e->comment);

	/* sequences: free-standing, serial, identity */
	assert_int_equal(m->nseqs, skipped ? 5 : 6);
	i = 0;
	assert_string_equal(m->seqs[i++].name, "bookings_id_seq");
	assert_string_equal(m->seqs[i++].name, "invoice_no");
	assert_string_equal(m->seqs[i++].name, "orders_id_seq");
	if (!skipped)
		assert_string_equal(m->seqs[i++].name, "retort_history_id_seq");
	assert_string_equal(m->seqs[i++].name, "small_cycle");
	assert_string_equal(m->seqs[i++].name, "users_id_seq");
	const sch_sequence *q = seq(m, "invoice_no");
	assert_string_equal(q->type, "bigint");
	assert_int_equal(q->start, 1000);
	assert_int_equal(q->increment, 10);
	assert_int_equal(q->min, 1);
	assert_true(q->max == 9223372036854775807LL);
	assert_int_equal(q->cycle, 0);
	assert_null(q->owned_by);
	q = seq(m, "small_cycle");
	assert_string_equal(q->type, "smallint");
	assert_int_equal(q->start, 0);
	assert_int_equal(q->increment, 1);
	assert_int_equal(q->min, -5);
	assert_int_equal(q->max, 5);
	assert_int_equal(q->cycle, 1);
	assert_null(q->owned_by);
	q = seq(m, "users_id_seq");
	assert_string_equal(q->type, "integer");
	assert_int_equal(q->start, 1);
	assert_int_equal(q->max, 2147483647);
	assert_string_equal(q->owned_by, "users.id");
	q = seq(m, "orders_id_seq");
	assert_string_equal(q->type, "bigint");
	assert_string_equal(q->owned_by, "orders.id");
	q = seq(m, "bookings_id_seq");
	assert_string_equal(q->type, "integer");
	assert_string_equal(q->owned_by, "bookings.id");

	if (!skipped) {
		t = table(m, "retort_history");
		assert_int_equal(t->ncols, 3);
		assert_int_equal(t->cols[0].serial, 1);
		assert_string_equal(seq(m, "retort_history_id_seq")->owned_by, "retort_history.id");
		assert_string_equal(table(m, "alembic_version")->cons[0].name, "alembic_version_pkc");
	}
}

static void drop_schemas(db_conn *c, const char *s, const char *other)
{
	execf(c, "DROP SCHEMA %s CASCADE", s);
	if (other)
		execf(c, "DROP SCHEMA %s CASCADE", other);
}

static void test_shop(void **state)
{
	(void)state;
	db_conn *c = open_pg();
	char *s = fresh_name("rt_inspect");
	char *other = fresh_name("rt_inspect_other");
	create_shop(c, s, other);

	/* Everything, the schema named. */
	sch_model m;
	inspect_ok(c, s, NULL, &m);
	check_shop(&m, s, other, 0);
	sch_model_free(&m);

	/* Retort's own tables and all that is theirs left out. */
	strvec skip = STRVEC_INIT;
	sv_push(&skip, "alembic_version");
	sv_push(&skip, "retort_history");
	sv_push(&skip, "no \"such\" \\ table,{}");
	inspect_ok(c, s, &skip, &m);
	check_shop(&m, s, other, 1);
	sch_model_free(&m);

	/* No schema: current_schema(), with the session's search_path. */
	execf(c, "SET search_path TO %s, public", s);
	inspect_ok(c, NULL, &skip, &m);
	check_shop(&m, s, other, 1);
	sch_model_free(&m);
	char *path = query1(c, "SHOW search_path");
	char *want = xasprintf("%s, public", s);
	assert_string_equal(path, want);
	free(want);
	free(path);
	exec_ok(c, "SET search_path TO public");

	/* Inside the caller's transaction: its state and search_path stay. */
	exec_ok(c, "BEGIN");
	exec_ok(c, "CREATE TEMP TABLE rt_inspect_tx (x integer)");
	inspect_ok(c, s, &skip, &m);
	check_shop(&m, s, other, 1);
	sch_model_free(&m);
	path = query1(c, "SHOW search_path");
	assert_string_equal(path, "public");
	free(path);
	char *n = query1(c, "SELECT count(*) FROM rt_inspect_tx");
	assert_string_equal(n, "0");
	free(n);
	exec_ok(c, "ROLLBACK");

	/* A failed transaction: the server's message, and it stays the
	 * caller's to roll back. */
	retort_error err = {0};
	exec_ok(c, "BEGIN");
	assert_int_equal(driver_pg.exec(c, "SELECT 1/0", NULL, &err), RETORT_ERUNTIME);
	sch_model_init(&m, DIALECT_PG, s);
	assert_int_equal(driver_pg.inspect(c, s, &skip, &m, &err), RETORT_ERUNTIME);
	assert_int_equal(err.code, RETORT_ERUNTIME);
	if (!strstr(err.message, "ERROR:  current transaction is aborted"))
		fail_msg("got '%s'", err.message);
	sch_model_free(&m);
	exec_ok(c, "ROLLBACK");

	/* A schema that does not exist describes nothing. */
	inspect_ok(c, "rt_inspect_no_such_schema", NULL, &m);
	assert_string_equal(m.schema, "rt_inspect_no_such_schema");
	assert_int_equal(m.ntables + m.nviews + m.nindexes + m.nseqs + m.nenums + m.ntriggers, 0);
	sch_model_free(&m);
	/* The other schema: its one table. */
	inspect_ok(c, other, NULL, &m);
	assert_int_equal(m.ntables, 1);
	assert_string_equal(m.tables[0].name, "accounts");
	assert_int_equal(m.tables[0].cols[0].pk, 1);
	sch_model_free(&m);

	sv_free(&skip);
	drop_schemas(c, s, other);
	free(s);
	free(other);
	driver_pg.close(c);
}

/* ---- many tables ------------------------------------------------------------ */

#define BATCH 100

/* 2,000 tables; RETORT_TEST_INSPECT_TABLES=10000 for the full-size check
 * (a multiple of 100). */
static int many_tables(void)
{
	const char *n = getenv("RETORT_TEST_INSPECT_TABLES");
	int v = n ? atoi(n) : 0;
	return v >= BATCH ? v / BATCH * BATCH : 2000;
}

static void test_many_tables(void **state)
{
	(void)state;
	db_conn *c = open_pg();
	const int many = many_tables();
	char *s = fresh_name("rt_inspect_many");
	execf(c, "CREATE SCHEMA %s", s);
	/* In batches: one transaction for all would need more locks than
	 * the server's lock table holds. */
	for (int from = 1; from <= many; from += BATCH)
		execf(c,
		      "DO $$ BEGIN FOR i IN %d..%d LOOP EXECUTE format("
		      "'CREATE TABLE %s.t%%s (id serial PRIMARY KEY, a integer NOT NULL, "
		      "b text DEFAULT ''x'', c timestamptz DEFAULT now(), d numeric(10,2), "
		      "e bigint, f boolean NOT NULL DEFAULT false, g varchar(40), h jsonb, "
		      "parent integer REFERENCES %s.t%%s (id) ON DELETE CASCADE, "
		      "CONSTRAINT t%%s_a_check CHECK (a > 0))', i, GREATEST(i - 1, 1), i); "
		      "EXECUTE format('CREATE INDEX t%%s_a ON %s.t%%s (a)', i, i); "
		      "END LOOP; END $$",
		      from, from + BATCH - 1, s, s, s);

	sch_model m;
	long long t0 = now_ms();
	inspect_ok(c, s, NULL, &m);
	long long ms = now_ms() - t0;
	printf("# inspect: %d tables, %d columns in %lld ms\n", many, many * 10, ms);

	assert_int_equal(m.ntables, many);
	assert_int_equal(m.nindexes, many);
	assert_int_equal(m.nseqs, many);
	assert_int_equal(m.nviews + m.ntriggers + m.nenums, 0);
	size_t cols = 0, cons = 0, serial = 0, fks = 0;
	for (size_t i = 0; i < m.ntables; i++) {
		const sch_table *t = &m.tables[i];
		assert_int_equal(t->ncols, 10);
		assert_int_equal(t->ncons, 3);
		cols += t->ncols;
		cons += t->ncons;
		for (size_t k = 0; k < t->ncols; k++)
			serial += t->cols[k].serial;
		for (size_t k = 0; k < t->ncons; k++)
			fks += t->cons[k].kind == SCH_FK;
		if (i)
			assert_true(strcmp(m.tables[i - 1].name, t->name) < 0);
	}
	assert_int_equal(cols, (size_t)many * 10);
	assert_int_equal(cons, (size_t)many * 3);
	assert_int_equal(serial, many);
	assert_int_equal(fks, many);
	int mid = many / 2 + 3;
	char *name = xasprintf("t%d", mid);
	const sch_table *t = sch_find_table(&m, name);
	assert_non_null(t);
	char *want = xasprintf("nextval('t%d_id_seq'::regclass)", mid);
	assert_string_equal(t->cols[0].dflt, want);
	free(want);
	assert_string_equal(t->cols[9].name, "parent");
	const sch_constraint *k = NULL;
	for (size_t i = 0; i < t->ncons; i++)
		if (t->cons[i].kind == SCH_FK)
			k = &t->cons[i];
	assert_non_null(k);
	want = xasprintf("t%d", mid - 1);
	assert_string_equal(k->ref_table, want);
	free(want);
	want = xasprintf("t%d_id_seq", mid);
	char *owner = xasprintf("t%d.id", mid);
	assert_string_equal(seq(&m, want)->owned_by, owner);
	free(want);
	free(owner);
	free(name);
	sch_model_free(&m);

	/* Dropped in batches too, for the same reason. */
	for (int from = 1; from <= many; from += BATCH)
		execf(c,
		      "DO $$ BEGIN FOR i IN %d..%d LOOP "
		      "EXECUTE format('DROP TABLE %s.t%%s CASCADE', i); END LOOP; END $$",
		      from, from + BATCH - 1, s);
	drop_schemas(c, s, NULL);
	free(s);
	driver_pg.close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shop),
		cmocka_unit_test(test_many_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
