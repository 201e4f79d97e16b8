/*
 * test_inspect_sqlite.c: SQLite introspection (driver_sqlite.inspect)
 * into the schema model, on in-memory databases: a realistic schema
 * checked field by field, the skip list, virtual tables, attached
 * schemas, errors, and 2,000 tables (counts and time).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "driver/driver.h"
#include "driver/sqlite_int.h"

static db_conn *open_memory(void)
{
	retort_error err = {0};
	db_url u;
	if (url_parse("sqlite://", &u, &err) != RETORT_OK)
		fail_msg("url_parse: %s", err.message);
	db_conn *c = NULL;
	int rc = driver_sqlite.connect(&u, &c, &err);
	url_free(&u);
	if (rc != RETORT_OK)
		fail_msg("connect: %s", err.message);
	return c;
}

static void exec_ok(db_conn *c, const char *sql)
{
	retort_error err = {0};
	if (driver_sqlite.exec(c, sql, NULL, &err) != RETORT_OK)
		fail_msg("%s: %s", sql, err.message);
}

static void inspect_ok(db_conn *c, const char *schema, const strvec *skip, sch_model *m)
{
	retort_error err = {0};
	sch_model_init(m, DIALECT_SQLITE, "main");
	if (driver_sqlite.inspect(c, schema, skip, m, &err) != RETORT_OK)
		fail_msg("inspect: %s", err.message);
}

/* "a|b|c" */
static char *joined(const strvec *v)
{
	sbuf b = SBUF_INIT;
	sv_join(&b, v, "|");
	return sb_detach(&b);
}

#define assert_vec(v, want)                                                                        \
	do {                                                                                       \
		char *got_ = joined(v);                                                            \
		assert_string_equal(got_, want);                                                   \
		free(got_);                                                                        \
	} while (0)

/* NULL-aware string comparison. */
#define assert_str(got, want)                                                                      \
	do {                                                                                       \
		const char *g_ = (got), *w_ = (want);                                              \
		if (!w_)                                                                           \
			assert_null(g_);                                                           \
		else {                                                                             \
			assert_non_null(g_);                                                       \
			assert_string_equal(g_, w_);                                               \
		}                                                                                  \
	} while (0)

static const sch_table *table(const sch_model *m, const char *name)
{
	const sch_table *t = sch_find_table(m, name);
	if (!t)
		fail_msg("no table %s", name);
	return t;
}

static void check_col(const sch_table *t, size_t i, const char *name, const char *type, int notnull,
                      const char *dflt, int pk, int hidden, const char *generated,
                      const char *collation)
{
	assert_true(i < t->ncols);
	const sch_column *c = &t->cols[i];
	assert_string_equal(c->name, name);
	assert_str(c->type, type);
	assert_int_equal(c->notnull, notnull);
	assert_str(c->dflt, dflt);
	assert_int_equal(c->pk, pk);
	assert_int_equal(c->hidden, hidden);
	assert_str(c->generated, generated);
	assert_str(c->collation, collation);
	assert_null(c->identity);
	assert_int_equal(c->serial, 0);
	assert_null(c->comment);
	assert_ptr_equal(sch_find_column(t, name), c);
}

static const sch_constraint *con(const sch_table *t, size_t i, sch_con_kind kind, const char *name,
                                 const char *cols)
{
	assert_true(i < t->ncons);
	const sch_constraint *k = &t->cons[i];
	assert_int_equal(k->kind, kind);
	assert_str(k->name, name);
	assert_vec(&k->cols, cols);
	if (kind != SCH_FK) {
		assert_null(k->ref_table);
		assert_int_equal(k->ref_cols.n, 0);
	}
	if (kind != SCH_CHECK)
		assert_null(k->expr);
	return k;
}

static void check_fk(const sch_constraint *k, const char *ref_table, const char *ref_cols,
                     const char *on_delete, const char *on_update, int deferrable)
{
	assert_null(k->ref_schema);
	assert_str(k->ref_table, ref_table);
	assert_vec(&k->ref_cols, ref_cols);
	assert_str(k->on_delete, on_delete);
	assert_str(k->on_update, on_update);
	assert_int_equal(k->deferrable, deferrable);
}

static const char *const schema_sql =
    "CREATE TABLE customers (\n"
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  email TEXT NOT NULL CONSTRAINT customers_email_key UNIQUE,\n"
    "  name VARCHAR( 40 ) COLLATE NOCASE,\n"
    "  created_at TEXT NOT NULL DEFAULT (datetime('now')),\n"
    "  status TEXT DEFAULT 'active' CHECK (status IN ('active', 'closed')),\n"
    "  CONSTRAINT name_len CHECK (length(name) <= 40)\n"
    ");\n"
    "CREATE TABLE orders (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  customer_id INTEGER REFERENCES customers ON UPDATE CASCADE, -- the PK, CHECK (x)\n"
    "  total NUMERIC(10, 2) NOT NULL DEFAULT 0,\n"
    "  \"weird \"\"name\"\"\" TEXT,\n"
    "  [note] TEXT COLLATE BINARY,\n"
    "  total_cents INTEGER GENERATED ALWAYS AS (CAST(total * 100 AS INTEGER)) STORED,\n"
    "  label TEXT AS (upper(`note`)) VIRTUAL\n"
    ");\n"
    "CREATE TABLE \"order items\" (\n"
    "  \"order id\" INTEGER NOT NULL,\n"
    "  line INT NOT NULL,\n"
    "  product TEXT,\n"
    "  qty INTEGER DEFAULT 1,\n"
    "  CONSTRAINT order_items_pkey PRIMARY KEY (\"order id\", line),\n"
    "  UNIQUE (product, \"order id\"),\n"
    "  CONSTRAINT order_fk FOREIGN KEY (\"order id\") REFERENCES orders (id) ON DELETE CASCADE,\n"
    "  FOREIGN KEY (product) REFERENCES products(sku) DEFERRABLE INITIALLY DEFERRED,\n"
    "  CHECK (qty > 0 /* positive, ) */),\n"
    "  CONSTRAINT \"line, positive\" CHECK (line >= 1)\n"
    ");\n"
    "CREATE TABLE products (sku TEXT PRIMARY KEY, price REAL) WITHOUT ROWID;\n"
    "CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT,\n"
    "  at INTEGER DEFAULT (strftime('%s', 'now'))) STRICT;\n"
    "CREATE INDEX orders_open ON orders (customer_id) WHERE total > 0;\n"
    "CREATE UNIQUE INDEX customers_lower_email ON customers\n"
    "  (lower(email) COLLATE NOCASE DESC, id);\n"
    "CREATE INDEX \"items by qty\" ON \"order items\" (qty DESC, product COLLATE NOCASE);\n"
    "CREATE VIEW big_orders AS\n"
    "  SELECT o.id, o.total, o.customer_id FROM orders o WHERE o.total > 100;\n"
    "CREATE VIEW all_vip AS SELECT c.*, 'orders' AS src FROM \"customers\" c\n"
    "  JOIN main.big_orders b ON b.customer_id = c.id /* products */;\n"
    "CREATE TRIGGER orders_audit AFTER INSERT ON orders BEGIN\n"
    "  UPDATE customers SET status = 'active' WHERE id = NEW.customer_id;\n"
    "END;\n"
    "INSERT INTO customers (email) VALUES ('a@example.com');\n"
    "ANALYZE;\n";

static void test_realistic(void **state)
{
	(void)state;
	db_conn *c = open_memory();
	exec_ok(c, schema_sql);
	sch_model m;
	inspect_ok(c, NULL, NULL, &m);
	assert_int_equal(m.kind, DIALECT_SQLITE);
	assert_string_equal(m.schema, "main");

	/* sqlite_sequence and sqlite_stat1 are SQLite's own */
	assert_int_equal(m.ntables, 5);
	assert_string_equal(m.tables[0].name, "customers");
	assert_string_equal(m.tables[1].name, "events");
	assert_string_equal(m.tables[2].name, "order items");
	assert_string_equal(m.tables[3].name, "orders");
	assert_string_equal(m.tables[4].name, "products");

	const sch_table *t = table(&m, "customers");
	assert_non_null(strstr(t->sql, "CREATE TABLE customers ("));
	assert_false(t->without_rowid);
	assert_false(t->strict);
	assert_int_equal(t->ncols, 5);
	check_col(t, 0, "id", "integer", 0, NULL, 1, 0, NULL, NULL);
	check_col(t, 1, "email", "text", 1, NULL, 0, 0, NULL, NULL);
	check_col(t, 2, "name", "varchar(40)", 0, NULL, 0, 0, NULL, "NOCASE");
	/* SQLite reports the default without its parentheses */
	check_col(t, 3, "created_at", "text", 1, "datetime('now')", 0, 0, NULL, NULL);
	check_col(t, 4, "status", "text", 0, "'active'", 0, 0, NULL, NULL);
	assert_int_equal(t->ncons, 4);
	con(t, 0, SCH_PK, NULL, "id");
	con(t, 1, SCH_UNIQUE, "customers_email_key", "email");
	assert_string_equal(con(t, 2, SCH_CHECK, NULL, "")->expr, "status IN ('active', 'closed')");
	assert_string_equal(con(t, 3, SCH_CHECK, "name_len", "")->expr, "length(name) <= 40");

	t = table(&m, "events");
	assert_true(t->strict);
	assert_false(t->without_rowid);
	assert_int_equal(t->ncols, 3);
	check_col(t, 0, "id", "integer", 0, NULL, 1, 0, NULL, NULL);
	check_col(t, 1, "body", "text", 0, NULL, 0, 0, NULL, NULL);
	check_col(t, 2, "at", "integer", 0, "strftime('%s', 'now')", 0, 0, NULL, NULL);
	assert_int_equal(t->ncons, 1);
	con(t, 0, SCH_PK, NULL, "id");

	t = table(&m, "order items");
	assert_false(t->strict);
	assert_int_equal(t->ncols, 4);
	check_col(t, 0, "order id", "integer", 1, NULL, 1, 0, NULL, NULL);
	check_col(t, 1, "line", "int", 1, NULL, 2, 0, NULL, NULL);
	check_col(t, 2, "product", "text", 0, NULL, 0, 0, NULL, NULL);
	check_col(t, 3, "qty", "integer", 0, "1", 0, 0, NULL, NULL);
	assert_int_equal(t->ncons, 6);
	con(t, 0, SCH_PK, "order_items_pkey", "order id|line");
	con(t, 1, SCH_UNIQUE, NULL, "product|order id");
	/* foreign keys in declaration order, though SQLite numbers them backwards */
	check_fk(con(t, 2, SCH_FK, "order_fk", "order id"), "orders", "id", "CASCADE", "NO ACTION",
	         0);
	check_fk(con(t, 3, SCH_FK, NULL, "product"), "products", "sku", "NO ACTION", "NO ACTION",
	         2);
	assert_string_equal(con(t, 4, SCH_CHECK, NULL, "")->expr, "qty > 0");
	assert_string_equal(con(t, 5, SCH_CHECK, "line, positive", "")->expr, "line >= 1");

	t = table(&m, "orders");
	assert_int_equal(t->ncols, 7);
	check_col(t, 0, "id", "integer", 0, NULL, 1, 0, NULL, NULL);
	check_col(t, 1, "customer_id", "integer", 0, NULL, 0, 0, NULL, NULL);
	check_col(t, 2, "total", "numeric(10,2)", 1, "0", 0, 0, NULL, NULL);
	check_col(t, 3, "weird \"name\"", "text", 0, NULL, 0, 0, NULL, NULL);
	check_col(t, 4, "note", "text", 0, NULL, 0, 0, NULL, NULL); /* BINARY: the default */
	check_col(t, 5, "total_cents", "integer", 0, NULL, 0, 3, "CAST(total * 100 AS INTEGER)",
	          NULL);
	check_col(t, 6, "label", "text", 0, NULL, 0, 2, "upper(`note`)", NULL);
	/* the comment's "CHECK (x)" is no constraint */
	assert_int_equal(t->ncons, 2);
	con(t, 0, SCH_PK, NULL, "id");
	/* a reference naming no columns: the primary key */
	check_fk(con(t, 1, SCH_FK, NULL, "customer_id"), "customers", "", "NO ACTION", "CASCADE",
	         0);

	t = table(&m, "products");
	assert_true(t->without_rowid);
	assert_false(t->strict);
	assert_int_equal(t->ncols, 2);
	/* a WITHOUT ROWID table's key is NOT NULL, as SQLite says */
	check_col(t, 0, "sku", "text", 1, NULL, 1, 0, NULL, NULL);
	check_col(t, 1, "price", "real", 0, NULL, 0, 0, NULL, NULL);
	assert_int_equal(t->ncons, 1);
	con(t, 0, SCH_PK, NULL, "sku");

	/* indexes by table, then name; the automatic ones are constraints */
	assert_int_equal(m.nindexes, 3);
	const sch_index *x = &m.indexes[0];
	assert_string_equal(x->name, "customers_lower_email");
	assert_string_equal(x->table, "customers");
	assert_true(x->unique);
	assert_vec(&x->keys, "lower(email) COLLATE NOCASE DESC|id");
	assert_null(x->where);
	assert_null(x->method);
	assert_string_equal(x->def, "CREATE UNIQUE INDEX customers_lower_email ON customers\n"
	                            "  (lower(email) COLLATE NOCASE DESC, id)");
	x = &m.indexes[1];
	assert_string_equal(x->name, "items by qty");
	assert_string_equal(x->table, "order items");
	assert_false(x->unique);
	assert_vec(&x->keys, "qty DESC|product COLLATE NOCASE");
	assert_null(x->where);
	x = &m.indexes[2];
	assert_string_equal(x->name, "orders_open");
	assert_string_equal(x->table, "orders");
	assert_false(x->unique);
	assert_vec(&x->keys, "customer_id");
	assert_string_equal(x->where, "total > 0");
	assert_string_equal(x->def,
	                    "CREATE INDEX orders_open ON orders (customer_id) WHERE total > 0");
	assert_ptr_equal(sch_find_index(&m, "orders_open"), x);

	/* views in dependency order: all_vip reads big_orders */
	assert_int_equal(m.nviews, 2);
	const sch_view *v = &m.views[0];
	assert_string_equal(v->name, "big_orders");
	assert_vec(&v->deps, "orders");
	assert_string_equal(v->def, "CREATE VIEW big_orders AS\n"
	                            "  SELECT o.id, o.total, o.customer_id FROM orders o WHERE "
	                            "o.total > 100");
	assert_false(v->materialized);
	v = &m.views[1];
	assert_string_equal(v->name, "all_vip");
	/* not 'orders' (a string) nor products (a comment) */
	assert_vec(&v->deps, "customers|big_orders");
	assert_non_null(strstr(v->def, "CREATE VIEW all_vip AS SELECT c.*"));

	assert_int_equal(m.ntriggers, 1);
	assert_string_equal(m.triggers[0].name, "orders_audit");
	assert_string_equal(m.triggers[0].table, "orders");
	assert_non_null(
	    strstr(m.triggers[0].def, "CREATE TRIGGER orders_audit AFTER INSERT ON orders"));

	assert_int_equal(m.nenums, 0);
	assert_int_equal(m.nseqs, 0);
	sch_model_free(&m);

	/* "main" says the same as NULL; inside the caller's own transaction
	 * too, which sees its uncommitted table and stays open */
	exec_ok(c, "BEGIN; CREATE TABLE later (a)");
	inspect_ok(c, "main", NULL, &m);
	assert_int_equal(m.ntables, 6);
	assert_non_null(sch_find_table(&m, "later"));
	sch_model_free(&m);
	exec_ok(c, "ROLLBACK");
	inspect_ok(c, "main", NULL, &m);
	assert_int_equal(m.ntables, 5);
	assert_int_equal(m.nindexes, 3);
	assert_int_equal(m.nviews, 2);
	sch_model_free(&m);
	driver_sqlite.close(c);
}

/* Tables in skip (case-insensitively, as SQLite compares names) are left
 * out with their indexes and triggers. */
static void test_skip(void **state)
{
	(void)state;
	db_conn *c = open_memory();
	exec_ok(c, "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,\n"
	           "  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));\n"
	           "CREATE INDEX av_idx ON alembic_version (version_num);\n"
	           "CREATE TRIGGER av_trg AFTER INSERT ON alembic_version BEGIN SELECT 1; END;\n"
	           "CREATE TABLE RETORT_HISTORY (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT);\n"
	           "CREATE TABLE keep (a INTEGER, b TEXT UNIQUE);\n"
	           "CREATE INDEX keep_a ON keep (a);\n"
	           "CREATE TRIGGER keep_trg AFTER DELETE ON keep BEGIN SELECT 1; END;\n"
	           "CREATE VIEW v AS SELECT * FROM keep JOIN alembic_version;\n"
	           "CREATE TRIGGER v_ins INSTEAD OF INSERT ON v BEGIN SELECT 1; END;\n");
	strvec skip = STRVEC_INIT;
	sv_push(&skip, "alembic_version");
	sv_push(&skip, "retort_history");
	sch_model m;
	inspect_ok(c, NULL, &skip, &m);
	assert_int_equal(m.ntables, 1);
	const sch_table *t = table(&m, "keep");
	assert_int_equal(t->ncols, 2);
	assert_int_equal(t->ncons, 1);
	con(t, 0, SCH_UNIQUE, NULL, "b");
	assert_int_equal(m.nindexes, 1);
	assert_string_equal(m.indexes[0].name, "keep_a");
	assert_int_equal(m.ntriggers, 2);
	assert_string_equal(m.triggers[0].name, "keep_trg");
	assert_string_equal(m.triggers[1].name, "v_ins"); /* on a view */
	assert_string_equal(m.triggers[1].table, "v");
	assert_int_equal(m.nviews, 1);
	assert_vec(&m.views[0].deps, "keep");
	sch_model_free(&m);

	/* without the skip list they are all there */
	inspect_ok(c, NULL, NULL, &m);
	assert_int_equal(m.ntables, 3);
	assert_int_equal(m.nindexes, 2);
	assert_int_equal(m.ntriggers, 3);
	assert_vec(&m.views[0].deps, "keep|alembic_version");
	t = table(&m, "alembic_version");
	con(t, 0, SCH_PK, "alembic_version_pkc", "version_num");
	sch_model_free(&m);
	sv_free(&skip);
	driver_sqlite.close(c);
}

/* A virtual table is its statement; its shadow tables are the module's. */
static void test_virtual(void **state)
{
	(void)state;
	if (!sqlite3_compileoption_used("ENABLE_FTS5"))
		skip();
	db_conn *c = open_memory();
	exec_ok(c, "CREATE VIRTUAL TABLE docs USING fts5(title, body);\n"
	           "CREATE TABLE docs_notes (a);\n");
	sch_model m;
	inspect_ok(c, NULL, NULL, &m);
	assert_int_equal(m.ntables, 2);
	const sch_table *t = table(&m, "docs");
	assert_string_equal(t->sql, "CREATE VIRTUAL TABLE docs USING fts5(title, body)");
	assert_int_equal(t->ncols, 0);
	assert_int_equal(t->ncons, 0);
	assert_int_equal(table(&m, "docs_notes")->ncols, 1);
	assert_int_equal(m.nindexes, 0);
	sch_model_free(&m);
	driver_sqlite.close(c);
}

/* An attached database is a schema of its own; an unknown one fails with
 * SQLite's message and leaves an empty model. */
static void test_schemas_and_errors(void **state)
{
	(void)state;
	db_conn *c = open_memory();
	exec_ok(c, "CREATE TABLE t (a);\n"
	           "ATTACH ':memory:' AS \"aux db\";\n"
	           "CREATE TABLE \"aux db\".u (id INTEGER PRIMARY KEY, t_a REFERENCES u);\n"
	           "CREATE INDEX \"aux db\".u_t ON u (t_a);\n"
	           "CREATE TABLE \"aux db\".t_a (z);\n"
	           "CREATE VIEW \"aux db\".w AS SELECT \"aux db\".u.t_a, x.id\n"
	           "  FROM \"aux db\".u JOIN u AS x;\n");
	sch_model m;
	inspect_ok(c, "aux db", NULL, &m);
	assert_int_equal(m.ntables, 2);
	const sch_table *t = table(&m, "u");
	assert_int_equal(t->ncols, 2);
	assert_int_equal(t->ncons, 2);
	check_fk(con(t, 1, SCH_FK, NULL, "t_a"), "u", "", "NO ACTION", "NO ACTION", 0);
	assert_int_equal(m.nindexes, 1);
	assert_vec(&m.indexes[0].keys, "t_a");
	assert_int_equal(m.nviews, 1);
	/* once; u.t_a is a column, though t_a is a table too */
	assert_vec(&m.views[0].deps, "u");
	sch_model_free(&m);

	retort_error err = {0};
	sch_model_init(&m, DIALECT_SQLITE, "main");
	assert_int_equal(driver_sqlite.inspect(c, "nosuch", NULL, &m, &err), RETORT_ERUNTIME);
	assert_int_equal(err.code, RETORT_ERUNTIME);
	if (!strstr(err.message, "nosuch"))
		fail_msg("message: %s", err.message);
	assert_int_equal(m.ntables, 0);
	assert_string_equal(m.schema, "main");
	sch_model_free(&m);

	/* the connection is still usable, and not left in a transaction */
	exec_ok(c, "BEGIN; COMMIT");
	inspect_ok(c, NULL, NULL, &m);
	assert_int_equal(m.ntables, 1);
	sch_model_free(&m);
	driver_sqlite.close(c);
}

static int stop_after(void *ud)
{
	int *left = ud;
	return --*left < 0;
}

/* Failing at every point of the way (an interrupt from SQLite's progress
 * handler) reports SQLite's message, leaves an empty model and no
 * transaction behind; valgrind sees that nothing leaks on any path. */
static void test_fail_anywhere(void **state)
{
	(void)state;
	db_conn *c = open_memory();
	exec_ok(c, schema_sql);
	sqlite3 *db = sqlite_conn_handle(c);
	int failures = 0;
	for (int after = 0;; after++) {
		int left = after;
		sqlite3_progress_handler(db, 20, stop_after, &left);
		retort_error err = {0};
		sch_model m;
		sch_model_init(&m, DIALECT_SQLITE, "main");
		int rc = driver_sqlite.inspect(c, NULL, NULL, &m, &err);
		sqlite3_progress_handler(db, 0, NULL, NULL);
		assert_true(sqlite3_get_autocommit(db));
		if (rc == RETORT_OK) {
			assert_int_equal(m.ntables, 5);
			sch_model_free(&m);
			break;
		}
		failures++;
		assert_int_equal(rc, RETORT_ERUNTIME);
		if (!strstr(err.message, "interrupt"))
			fail_msg("message: %s", err.message);
		assert_int_equal(m.ntables + m.nindexes + m.nviews + m.ntriggers, 0);
		assert_string_equal(m.schema, "main");
		sch_model_free(&m);
	}
	assert_true(failures > 5);
	driver_sqlite.close(c);
}

static void test_many_tables(void **state)
{
	(void)state;
	enum { N = 2000 };
	db_conn *c = open_memory();
	sbuf b = SBUF_INIT;
	sb_adds(&b, "BEGIN;\n");
	for (int i = 0; i < N; i++) {
		sb_addf(&b, "CREATE TABLE t%04d (id INTEGER PRIMARY KEY", i);
		for (int k = 1; k < 10; k++)
			sb_addf(&b, ", c%d TEXT", k);
		sb_addf(&b, ", UNIQUE (c1, c2), CHECK (c3 <> 'x')%s);\n",
		        i ? ", FOREIGN KEY (c4) REFERENCES t0000 (id)" : "");
		sb_addf(&b, "CREATE INDEX t%04d_c5 ON t%04d (c5);\n", i, i);
	}
	sb_adds(&b, "COMMIT;\n");
	exec_ok(c, sb_str(&b));
	sb_free(&b);

	sch_model m;
	long long t0 = now_ms();
	inspect_ok(c, NULL, NULL, &m);
	long long ms = now_ms() - t0;
	print_message("inspected %d tables x 10 columns in %lld ms\n", N, ms);
	assert_int_equal(m.ntables, N);
	assert_int_equal(m.nindexes, N);
	size_t cols = 0, cons = 0;
	for (size_t i = 0; i < m.ntables; i++) {
		cols += m.tables[i].ncols;
		cons += m.tables[i].ncons;
	}
	assert_int_equal(cols, (size_t)N * 10);
	assert_int_equal(cons, (size_t)N * 4 - 1); /* PK, UNIQUE, CHECK, FK but t0000 */
	assert_string_equal(m.tables[N - 1].name, "t1999");
	sch_model_free(&m);
	driver_sqlite.close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_realistic),     cmocka_unit_test(test_skip),
	    cmocka_unit_test(test_virtual),       cmocka_unit_test(test_schemas_and_errors),
	    cmocka_unit_test(test_fail_anywhere), cmocka_unit_test(test_many_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
