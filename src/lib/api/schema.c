/*
 * schema.c: the commands that compare schemas — revision --autogenerate,
 * check, schema and test. It composes the layers: the driver's
 * introspection (live database and scratch databases), the target schema
 * loaded into a scratch database of the same backend, schema/'s diff and
 * render, and ops.c's upgrade and downgrade for `test`. Scratch databases
 * (an in-memory or temporary SQLite file, a temporary PostgreSQL database
 * or, when the role may not create databases, a temporary schema) are
 * always dropped, pass or fail; the project's database is only read.
 */
#define _GNU_SOURCE /* strcasestr */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "schema/schema.h"

/* ---- the live database ------------------------------------------------------ */

static int live_model(retort_project *p, retort_db *db, sch_model *out, retort_error *err)
{
	strvec skip = STRVEC_INIT;
	sv_push(&skip, p->cfg.version_table);
	sv_push(&skip, "retort_history");
	sv_push(&skip, "retort_lock");
	sch_model_init(out, db->drv->sql->kind, db->drv->sql->kind == DIALECT_SQLITE ? "main" : NULL);
	int rc = db->drv->inspect(db->conn, NULL, &skip, out, err);
	/* retort's tables live in another schema: nothing of ours is in this one */
	sv_free(&skip);
	return rc;
}

/* ---- rename annotations ---------------------------------------------------------- */

typedef struct annotation {
	char *table;  /* the table named by the CREATE TABLE */
	char *column; /* NULL: the table itself is renamed */
	char *old;
	int line;
} annotation;

typedef struct annotations {
	annotation *v;
	size_t n, cap;
} annotations;

static void annotations_free(annotations *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].table);
		free(a->v[i].column);
		free(a->v[i].old);
	}
	free(a->v);
}

/* Reads one identifier at *p (quoted or not; a schema prefix dropped);
 * PostgreSQL folds unquoted names to lower case. NULL when none. */
static char *read_ident(const char **pp, int fold)
{
	const char *p = *pp;
	char *name = NULL;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		free(name);
		name = NULL;
		if (*p == '"' || *p == '`' || *p == '[') {
			char close = *p == '[' ? ']' : *p;
			const char *e = strchr(p + 1, close);
			if (!e)
				return NULL;
			name = xstrndup(p + 1, (size_t)(e - p - 1));
			p = e + 1;
		} else if (isalpha((unsigned char)*p) || *p == '_') {
			const char *e = p;
			while (isalnum((unsigned char)*e) || *e == '_' || *e == '$')
				e++;
			name = xstrndup(p, (size_t)(e - p));
			if (fold)
				for (char *c = name; *c; c++)
					*c = (char)tolower((unsigned char)*c);
			p = e;
		} else {
			return NULL;
		}
		if (*p != '.')
			break;
		p++; /* schema.name: keep the name */
	}
	*pp = p;
	return name;
}

static int starts_word(const char *p, const char *word)
{
	size_t n = strlen(word);
	return strncasecmp(p, word, n) == 0 && !isalnum((unsigned char)p[n]) && p[n] != '_';
}

/* `-- renamed from: old` on a CREATE TABLE line or a column's line. */
static int parse_annotations(const char *path, const stmt_list *sl, int fold, annotations *out,
                             retort_error *err)
{
	static const char tag[] = "renamed from:";
	for (size_t s = 0; s < sl->n; s++) {
		const char *q = sl->v[s].sql;
		while (isspace((unsigned char)*q))
			q++;
		if (!starts_word(q, "create"))
			continue;
		const char *t = q + 6;
		while (isspace((unsigned char)*t))
			t++;
		if (starts_word(t, "temp") || starts_word(t, "temporary") || starts_word(t, "unlogged")) {
			while (*t && !isspace((unsigned char)*t))
				t++;
			while (isspace((unsigned char)*t))
				t++;
		}
		if (!starts_word(t, "table"))
			continue;
		t += 5;
		while (isspace((unsigned char)*t))
			t++;
		if (starts_word(t, "if")) { /* IF NOT EXISTS */
			for (int w = 0; w < 3; w++) {
				while (*t && !isspace((unsigned char)*t))
					t++;
				while (isspace((unsigned char)*t))
					t++;
			}
		}
		char *table = read_ident(&t, fold);
		if (!table)
			continue;
		int line = sl->v[s].line, depth = 0;
		for (const char *ln = q; *ln; line++) {
			const char *eol = strchr(ln, '\n');
			size_t len = eol ? (size_t)(eol - ln) : strlen(ln);
			char *text = xstrndup(ln, len);
			char *c = strstr(text, "--");
			int header = depth == 0; /* still on the CREATE TABLE line */
			for (const char *k = text; *k && (!c || k < c); k++)
				depth += *k == '(' ? 1 : *k == ')' ? -1 : 0;
			if (c) {
				const char *a = c + 2;
				while (isspace((unsigned char)*a))
					a++;
				if (strncasecmp(a, tag, sizeof tag - 1) == 0) {
					a += sizeof tag - 1;
					char *old = read_ident(&a, fold);
					if (!old) {
						free(text);
						free(table);
						return rt_fail(err, RETORT_EUSAGE, RETORT_R_CONFIG, path, line,
						               "'-- renamed from:' needs the old name after it");
					}
					char *column = NULL;
					if (!header) {
						const char *b = text;
						column = read_ident(&b, fold);
						if (column && (strcasecmp(column, "constraint") == 0 ||
						               strcasecmp(column, "primary") == 0 ||
						               strcasecmp(column, "unique") == 0 ||
						               strcasecmp(column, "check") == 0 ||
						               strcasecmp(column, "foreign") == 0)) {
							free(column);
							column = NULL;
						}
						if (!column) {
							free(old);
							free(text);
							free(table);
							return rt_fail(err, RETORT_EUSAGE, RETORT_R_CONFIG, path, line,
							               "'-- renamed from:' belongs on a column's line or "
							               "on the CREATE TABLE line");
						}
					}
					if (out->n == out->cap) {
						out->cap = out->cap ? 2 * out->cap : 8;
						out->v = xrealloc(out->v, out->cap * sizeof *out->v);
					}
					out->v[out->n++] = (annotation){xstrdup(table), column, old, line};
				}
			}
			free(text);
			if (!eol)
				break;
			ln = eol + 1;
		}
		free(table);
	}
	return RETORT_OK;
}

static void apply_annotations(const annotations *a, sch_model *m, const rt_logger *log,
                              const char *path)
{
	for (size_t i = 0; i < a->n; i++) {
		sch_table *t = (sch_table *)sch_find_table(m, a->v[i].table);
		if (!t) {
			rt_log(log, RETORT_LOG_WARN, "%s:%d: '-- renamed from:' on table '%s', which "
			                                "the target schema does not create",
			       path, a->v[i].line, a->v[i].table);
			continue;
		}
		if (!a->v[i].column) {
			free(t->renamed_from);
			t->renamed_from = xstrdup(a->v[i].old);
			t->line = a->v[i].line;
			continue;
		}
		sch_column *c = (sch_column *)sch_find_column(t, a->v[i].column);
		if (!c) {
			rt_log(log, RETORT_LOG_WARN, "%s:%d: '-- renamed from:' on column '%s.%s', "
			                                "which the target schema does not have",
			       path, a->v[i].line, a->v[i].table, a->v[i].column);
			continue;
		}
		free(c->renamed_from);
		c->renamed_from = xstrdup(a->v[i].old);
		c->line = a->v[i].line;
	}
}

/* An annotation must name what the database has (the old name, or the
 * new one once the rename ran): a typo would otherwise turn a rename into
 * a drop and an add. */
static int check_annotations(const sch_model *target, const sch_model *live, const char *path,
                             retort_error *err)
{
	for (size_t i = 0; i < target->ntables; i++) {
		const sch_table *t = &target->tables[i];
		const sch_table *src = sch_find_table(live, t->name);
		if (t->renamed_from && !src) {
			src = sch_find_table(live, t->renamed_from);
			if (!src)
				return rt_fail(err, RETORT_EUSAGE, RETORT_R_CONFIG, path, t->line,
				               "'-- renamed from: %s' on table '%s': the database has no "
				               "table '%s' (nor '%s'); fix the old name or remove the "
				               "annotation",
				               t->renamed_from, t->name, t->renamed_from, t->name);
		}
		for (size_t k = 0; k < t->ncols; k++) {
			const sch_column *c = &t->cols[k];
			if (!c->renamed_from)
				continue;
			if (!src)
				return rt_fail(err, RETORT_EUSAGE, RETORT_R_CONFIG, path, c->line,
				               "'-- renamed from: %s' on column '%s.%s': the database has no "
				               "table '%s' to rename it in",
				               c->renamed_from, t->name, c->name, t->name);
			if (!sch_find_column(src, c->name) && !sch_find_column(src, c->renamed_from))
				return rt_fail(err, RETORT_EUSAGE, RETORT_R_CONFIG, path, c->line,
				               "'-- renamed from: %s' on column '%s.%s': table '%s' has no "
				               "column '%s' (nor '%s'); fix the old name or remove the "
				               "annotation",
				               c->renamed_from, t->name, c->name, src->name, c->renamed_from,
				               c->name);
		}
	}
	return RETORT_OK;
}

/* ---- scratch databases ----------------------------------------------------------- */

/* conninfo (a postgresql:// URL) with its database replaced by dbname. */
static char *pg_url_with_db(const char *conninfo, const char *dbname)
{
	const char *auth = strstr(conninfo, "://");
	auth = auth ? auth + 3 : conninfo;
	const char *slash = strchr(auth, '/'), *query = strchr(auth, '?');
	if (query && slash && slash > query)
		slash = NULL;
	size_t head = slash ? (size_t)(slash - conninfo) : query ? (size_t)(query - conninfo)
	                                                          : strlen(conninfo);
	return xasprintf("%.*s/%s%s", (int)head, conninfo, dbname, query ? query : "");
}

typedef struct scratch {
	retort_db *owner;   /* the connection that created it (drops it) */
	char *name;         /* PostgreSQL database or schema */
	int is_schema;      /* PostgreSQL: a temporary schema in the project's database */
	char *dir;          /* SQLite: temporary directory holding the file */
	char *url;          /* for a second connection; SQLite ":memory:" has none */
	const db_driver *drv;
	db_conn *conn;
} scratch;

static void scratch_drop(scratch *s)
{
	if (s->conn)
		s->drv->close(s->conn);
	s->conn = NULL;
	if (s->name && s->owner) {
		retort_error ignored;
		char *q = dialect_ident(s->owner->drv->sql, s->name);
		char *sql = s->is_schema ? xasprintf("DROP SCHEMA IF EXISTS %s CASCADE", q)
		                         : xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", q);
		if (s->owner->drv->exec(s->owner->conn, sql, NULL, &ignored) != RETORT_OK &&
		    !s->is_schema) {
			free(sql);
			sql = xasprintf("DROP DATABASE IF EXISTS %s", q);
			s->owner->drv->exec(s->owner->conn, sql, NULL, &ignored);
		}
		free(sql);
		free(q);
	}
	if (s->dir) {
		char *f = xasprintf("%s/scratch.db", s->dir);
		char *j = xasprintf("%s/scratch.db-journal", s->dir);
		unlink(f);
		unlink(j);
		rmdir(s->dir);
		free(f);
		free(j);
	}
	free(s->name);
	free(s->dir);
	free(s->url);
	memset(s, 0, sizeof *s);
}

/* A scratch database beside db's: SQLite in memory (file: a temporary
 * file, for `test`, whose runs reconnect), PostgreSQL a new database (or
 * a schema when allow_schema and the role may not create databases). */
static int scratch_open(retort_project *p, retort_db *db, int file, int allow_schema, scratch *s,
                        retort_error *err)
{
	memset(s, 0, sizeof *s);
	s->drv = db->drv;
	int rc;
	if (db->drv->sql->kind == DIALECT_SQLITE) {
		db_url u = {0};
		if (file) {
			const char *tmp = getenv("TMPDIR");
			char *t = xasprintf("%s/retort-scratch-XXXXXX", tmp && *tmp ? tmp : "/tmp");
			if (!mkdtemp(t)) {
				free(t);
				return rt_fail(err, RETORT_ERUNTIME, RETORT_R_IO, NULL, 0,
				               "cannot create a temporary directory for the scratch database");
			}
			s->dir = t;
			s->url = xasprintf("sqlite:///%s/scratch.db", t);
		}
		rc = url_parse(s->url ? s->url : "sqlite:///:memory:", &u, err);
		if (!rc)
			rc = db->drv->connect(&u, &s->conn, err);
		url_free(&u);
		if (rc)
			scratch_drop(s);
		return rc;
	}
	/* PostgreSQL */
	char *hex = random_hex(5);
	s->name = xasprintf("retort_scratch_%s", hex);
	free(hex);
	s->owner = db;
	char *q = dialect_ident(db->drv->sql, s->name);
	char *sql = xasprintf("CREATE DATABASE %s", q);
	retort_error cerr = {0};
	rc = db->drv->exec(db->conn, sql, NULL, &cerr);
	free(sql);
	if (!rc) {
		s->url = pg_url_with_db(db->url.conninfo, s->name);
		db_url u = {0};
		rc = url_parse(s->url, &u, err);
		if (!rc)
			rc = db->drv->connect(&u, &s->conn, err);
		url_free(&u);
		if (rc) {
			/* e.g. a pooler that knows only the configured databases */
			retort_error ignored;
			char *drop = xasprintf("DROP DATABASE IF EXISTS %s", q);
			db->drv->exec(db->conn, drop, NULL, &ignored);
			free(drop);
			free(s->url);
			s->url = NULL;
			if (!allow_schema) {
				free(q);
				free(s->name);
				s->name = NULL;
				return rc;
			}
			memcpy(&cerr, err, sizeof cerr);
		}
	}
	if (rc && !allow_schema) {
		free(q);
		free(s->name);
		s->name = NULL;
		return rt_fail(err, RETORT_ERUNTIME, RETORT_R_DATABASE, NULL, 0,
		               "cannot create a scratch database: %s (grant the role CREATEDB, or run "
		               "against a server where it may create databases)",
		               cerr.message);
	}
	if (rc) {
		/* no CREATEDB: a temporary schema in the project's database, on a
		 * connection of its own whose search_path points into it */
		rt_log(&p->log, RETORT_LOG_DEBUG, "cannot create a scratch database (%s); using a "
		                                  "temporary schema",
		       cerr.message);
		s->is_schema = 1;
		sql = xasprintf("CREATE SCHEMA %s", q);
		rc = db->drv->exec(db->conn, sql, NULL, err);
		free(sql);
		if (rc) {
			free(q);
			free(s->name);
			s->name = NULL;
			return rc;
		}
		rc = db->drv->connect(&db->url, &s->conn, err);
		if (!rc) {
			sql = xasprintf("SET search_path TO %s", q);
			rc = db->drv->exec(s->conn, sql, NULL, err);
			free(sql);
		}
	}
	free(q);
	if (rc)
		scratch_drop(s);
	return rc;
}

/* ---- the target schema ---------------------------------------------------------- */

static int target_path(retort_project *p, char **out, retort_error *err)
{
	*out = NULL;
	const char *t = p->cfg.target_schema;
	if (!t || !*t)
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_CONFIG, p->cfg.path, 0,
		               "no target schema: set 'target_schema = schema.sql' in %s (a file of "
		               "CREATE statements for this backend)",
		               p->cfg.path ? p->cfg.path : "the settings");
	if (t[0] == '/' || !p->cfg.dir || strcmp(p->cfg.dir, ".") == 0)
		*out = xstrdup(t);
	else
		*out = xasprintf("%s/%s", p->cfg.dir, t);
	return RETORT_OK;
}

/* SQLite: objects per scratch database when schema.sql is split
 * (sql/route.c): a CREATE costs in proportion to the objects already in
 * its database, so a few hundred a database keep the load linear. */
#define SQLITE_OBJECTS_PER_DB 250

/* Runs statement sql on conn; an error names schema.sql:line (the line of
 * the error inside a multi-line statement). */
static int load_one(scratch *s, const stmt *st, const char *path, retort_error *err)
{
	retort_error e = {0};
	if (s->drv->exec(s->conn, st->sql, NULL, &e) == RETORT_OK)
		return RETORT_OK;
	int line = st->line, off = s->drv->error_offset ? s->drv->error_offset(s->conn) : -1;
	size_t len = strlen(st->sql);
	for (int k = 0; off > 0 && (size_t)k < len && k < off; k++)
		line += st->sql[k] == '\n';
	const char *msg = e.message;
	if (strncmp(msg, "ERROR:  ", 8) == 0)
		msg += 8;
	return rt_fail(err, RETORT_EUSAGE, RETORT_R_CONFIG, path, line, "%s", msg);
}

/* PostgreSQL: statements a round trip. One statement a round trip costs
 * about as much again as the DDL itself on a small machine (the client
 * and the server take turns on the CPU); batched, a 3,000-statement load
 * took 2.2 s instead of 4.0. */
#define PG_BATCH 50

/* PostgreSQL: sends the pending batch (statements [*first, upto) of sl,
 * already in b). When it fails, the transaction is rolled back and its
 * statements [tx_start, upto) run again one by one, so that the error
 * names the statement and line it belongs to, as without batching. */
static int pg_flush(scratch *s, const stmt_list *sl, size_t tx_start, size_t *first, size_t upto,
                    sbuf *b, const char *path, retort_error *err)
{
	if (*first >= upto)
		return RETORT_OK;
	retort_error e = {0};
	int rc = s->drv->exec(s->conn, sb_str(b), NULL, &e);
	size_t from = *first;
	*first = upto;
	b->len = 0;
	if (b->buf)
		b->buf[0] = 0;
	if (rc == RETORT_OK)
		return RETORT_OK;
	retort_error ignored;
	s->drv->exec(s->conn, "ROLLBACK", NULL, &ignored);
	rc = s->drv->exec(s->conn, "BEGIN", NULL, err);
	for (size_t j = tx_start; !rc && j < upto; j++)
		rc = load_one(s, &sl->v[j], path, err);
	if (!rc) /* failed only together: name the batch */
		rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_CONFIG, path, sl->v[from].line, "%s",
		             strncmp(e.message, "ERROR:  ", 8) == 0 ? e.message + 8 : e.message);
	return rc;
}

/* Loads the statements into the scratch databases s[0..n): statement i
 * into s[part[i]] (every one when part[i] < 0; s[0] when part is NULL).
 * One transaction per database (SQLite), or one per 500 statements
 * (PostgreSQL: a commit per CREATE would wait for the disk 30,000 times
 * for a 10,000-table schema, and one transaction for all of them runs out
 * of lock slots), sent PG_BATCH at a time. */
static int load_target(retort_db *db, scratch *s, size_t n, const int *part, const stmt_list *sl,
                       const char *path, retort_error *err)
{
	dialect kind = db->drv->sql->kind;
	int rc = RETORT_OK;
	for (size_t k = 0; !rc && k < n; k++)
		rc = s[k].drv->exec(s[k].conn, "BEGIN", NULL, err);
	int open_tx = !rc;
	sbuf batch = SBUF_INIT;
	size_t tx_start = 0, first = 0; /* PostgreSQL: the transaction's and the batch's first */
	for (size_t i = 0; !rc && i < sl->n; i++) {
		if (db->interrupted) {
			rc = rt_fail(err, RETORT_EINTR, RETORT_R_INTERRUPTED, NULL, 0,
			             "interrupted while loading the target schema");
			break;
		}
		if (kind == DIALECT_PG) {
			/* what PostgreSQL will not run in a transaction, or whose
			 * result a later statement of the same transaction may not use */
			int alone = strcasestr(sl->v[i].sql, "concurrently") ||
			            strcasestr(sl->v[i].sql, "add value");
			int boundary = alone || !open_tx || (i && i % 500 == 0);
			if (boundary || i - first >= PG_BATCH)
				rc = pg_flush(s, sl, tx_start, &first, i, &batch, path, err);
			if (!rc && boundary && open_tx) {
				rc = s->drv->exec(s->conn, "COMMIT", NULL, err);
				open_tx = 0;
			}
			if (!rc && alone) {
				rc = load_one(s, &sl->v[i], path, err);
				first = i + 1;
				continue;
			}
			if (!rc && !open_tx) {
				rc = s->drv->exec(s->conn, "BEGIN", NULL, err);
				open_tx = !rc;
				tx_start = first = i;
			}
			if (!rc) {
				/* a newline first: the statement may end in a comment */
				sb_adds(&batch, sl->v[i].sql);
				sb_adds(&batch, "\n;\n");
			}
			continue;
		}
		int to = part ? part[i] : 0;
		for (size_t k = 0; !rc && k < n; k++)
			if (to < 0 || (size_t)to == k)
				rc = load_one(&s[k], &sl->v[i], path, err);
	}
	if (!rc && kind == DIALECT_PG)
		rc = pg_flush(s, sl, tx_start, &first, sl->n, &batch, path, err);
	sb_free(&batch);
	for (size_t k = 0; open_tx && k < n; k++) {
		retort_error cerr = {0};
		if (rc)
			s[k].drv->exec(s[k].conn, "ROLLBACK", NULL, &cerr);
		else if (s[k].drv->exec(s[k].conn, "COMMIT", NULL, &cerr) != RETORT_OK)
			/* a deferred constraint, say: still an error in the file */
			rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_CONFIG, path, 0, "%s", cerr.message);
	}
	return rc;
}

/* schema.sql loaded into a scratch database, described, dropped. Errors
 * name schema.sql:line; the project's database is not touched (beyond a
 * CREATE/DROP DATABASE, or a temporary schema, on PostgreSQL). A large
 * SQLite file is loaded into several in-memory databases whose
 * descriptions are joined (sql/route.c says why that is the same). */
static int target_model(retort_project *p, retort_db *db, sch_model *out, retort_error *err)
{
	char *path = NULL, *text = NULL;
	size_t len = 0;
	stmt_list sl = {0};
	annotations ann = {0};
	scratch *s = NULL;
	size_t nparts = 1, nopen = 0;
	int *part = NULL;
	int rc = target_path(p, &path, err);
	dialect kind = db->drv->sql->kind;
	sch_model_init(out, kind, kind == DIALECT_SQLITE ? "main" : NULL);
	if (rc)
		goto done;
	if (read_file(path, &text, &len) != 0) {
		rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_IO, path, 0,
		             "cannot read the target schema (target_schema in %s): %s",
		             p->cfg.path ? p->cfg.path : "the settings", strerror(errno));
		goto done;
	}
	rc = sql_split(kind, text, 1, path, &sl, err);
	if (!rc)
		rc = parse_annotations(path, &sl, kind == DIALECT_PG, &ann, err);
	if (rc)
		goto done;
	if (kind == DIALECT_SQLITE) {
		part = xcalloc(sl.n + 1, sizeof *part);
		nparts = sql_route_sqlite(&sl, SQLITE_OBJECTS_PER_DB, part);
		if (nparts > 1)
			rt_log(&p->log, RETORT_LOG_DEBUG,
			       "Target schema: %zu statements loaded into %zu scratch databases", sl.n,
			       nparts);
	}
	s = xcalloc(nparts, sizeof *s);
	for (; !rc && nopen < nparts; nopen++) {
		rc = scratch_open(p, db, 0, 1, &s[nopen], err);
		if (rc)
			break;
	}
	if (!rc)
		rc = load_target(db, s, nparts, part, &sl, path, err);
	if (!rc)
		rc = s->drv->inspect(s->conn, s->is_schema ? s->name : NULL, NULL, out, err);
	for (size_t k = 1; !rc && k < nparts; k++) {
		sch_model more;
		sch_model_init(&more, kind, "main");
		rc = s[k].drv->inspect(s[k].conn, NULL, NULL, &more, err);
		sch_model_absorb(out, &more);
	}
	if (!rc && nparts > 1)
		sch_model_sort(out);
	if (!rc && s->is_schema) {
		/* described as the project's schema, whose name the live model has */
		free(out->schema);
		out->schema = NULL;
	}
	if (!rc)
		apply_annotations(&ann, out, &p->log, path);
done:
	for (size_t k = 0; k < nopen; k++)
		scratch_drop(&s[k]);
	free(s);
	free(part);
	annotations_free(&ann);
	stmt_list_free(&sl);
	free(text);
	free(path);
	return rc;
}

/* ---- at head? -------------------------------------------------------------------- */

/* The revisions an upgrade to heads would apply (ids, in order). */
static int pending(retort_project *p, retort_db *db, strvec *current, strvec *out,
                   retort_error *err)
{
	plan pl = {0};
	int rc = store_heads(&db->st, current, err);
	if (!rc)
		rc = plan_upgrade(&p->g, current, "heads", &pl, err);
	for (size_t i = 0; !rc && i < pl.n; i++)
		if (pl.v[i].upgrade && pl.v[i].rev >= 0)
			sv_push(out, p->g.revs[pl.v[i].rev]->id);
	plan_free(&pl);
	return rc;
}

static const char *change_kind_name(sch_change_kind k)
{
	static const char *const names[] = {
	    [CH_ADD_ENUM] = "add_enum",           [CH_ENUM_ADD_VALUE] = "add_enum_value",
	    [CH_ENUM_REBUILD] = "change_enum",    [CH_DROP_ENUM] = "remove_enum",
	    [CH_ADD_SEQUENCE] = "add_sequence",   [CH_DROP_SEQUENCE] = "remove_sequence",
	    [CH_ADD_TABLE] = "add_table",         [CH_DROP_TABLE] = "remove_table",
	    [CH_RENAME_TABLE] = "rename_table",   [CH_ADD_COLUMN] = "add_column",
	    [CH_DROP_COLUMN] = "remove_column",   [CH_RENAME_COLUMN] = "rename_column",
	    [CH_ALTER_TYPE] = "modify_type",      [CH_ALTER_NULL] = "modify_nullable",
	    [CH_ALTER_DEFAULT] = "modify_default", [CH_ALTER_COLUMN] = "modify_column",
	    [CH_ADD_CONSTRAINT] = "add_constraint", [CH_DROP_CONSTRAINT] = "remove_constraint",
	    [CH_ADD_INDEX] = "add_index",         [CH_DROP_INDEX] = "remove_index",
	    [CH_ADD_VIEW] = "add_view",           [CH_DROP_VIEW] = "remove_view",
	    [CH_ADD_TRIGGER] = "add_trigger",     [CH_DROP_TRIGGER] = "remove_trigger",
	    [CH_TABLE_OPTIONS] = "modify_table_options", [CH_COMMENT] = "modify_comment",
	    [CH_ALTER_SEQUENCE] = "modify_sequence"};
	return names[k];
}

/* A "changed view" is a drop and an add: the add alone says it. */
static int reported(const sch_change *c)
{
	return !(c->kind == CH_DROP_VIEW && strstr(c->text, "(dropped)"));
}

static json_t *changes_json(const sch_diff *d)
{
	json_t *a = json_array();
	for (size_t i = 0; i < d->n; i++) {
		const sch_change *c = &d->v[i];
		if (!reported(c))
			continue;
		json_t *o = json_object();
		json_object_set_new(o, "kind", json_string(change_kind_name(c->kind)));
		json_object_set_new(o, "table", c->table ? json_string(c->table) : json_null());
		json_object_set_new(o, "name", c->name ? json_string(c->name) : json_null());
		json_object_set_new(o, "text", json_string(c->text));
		json_array_append_new(a, o);
	}
	return a;
}

/* ---- check ---------------------------------------------------------------------------- */

int retort_check(retort_project *p, retort_db *db, const retort_check_options *o, char **out,
                 retort_error *err)
{
	retort_check_options defaults = RETORT_CHECK_OPTIONS_INIT;
	if (!o)
		o = &defaults;
	*out = NULL;
	strvec current = STRVEC_INIT, todo = STRVEC_INIT;
	sch_model live = {0}, target = {0};
	sch_diff d = {0};
	int compared = 0;
	int rc = pending(p, db, &current, &todo, err);
	if (!rc && !todo.n && p->cfg.target_schema && *p->cfg.target_schema) {
		rc = target_model(p, db, &target, err);
		if (!rc)
			rc = live_model(p, db, &live, err);
		if (!rc)
			rc = check_annotations(&target, &live, p->cfg.target_schema, err);
		if (!rc) {
			sch_diff_models(&live, &target, 0, &d);
			compared = 1;
		}
	}
	if (rc)
		goto done;
	size_t ndiff = 0;
	for (size_t i = 0; i < d.n; i++)
		ndiff += reported(&d.v[i]);
	if (o->format == RETORT_FORMAT_JSON) {
		json_t *doc = json_object();
		json_object_set_new(doc, "ok", json_boolean(!todo.n && !ndiff));
		json_object_set_new(doc, "up_to_date", json_boolean(!todo.n));
		json_t *a = json_array();
		for (size_t i = 0; i < current.n; i++)
			json_array_append_new(a, json_string(current.v[i]));
		json_object_set_new(doc, "current", a);
		a = json_array();
		for (size_t i = 0; i < todo.n; i++)
			json_array_append_new(a, json_string(todo.v[i]));
		json_object_set_new(doc, "pending", a);
		json_object_set_new(doc, "target_schema", compared ? json_string(p->cfg.target_schema)
		                                                    : json_null());
		json_object_set_new(doc, "differences", changes_json(&d));
		*out = json_finish(doc);
	} else {
		sbuf b = SBUF_INIT;
		for (size_t i = 0; i < todo.n; i++)
			sb_addf(&b, "pending %s\n", todo.v[i]);
		for (size_t i = 0; i < d.n; i++)
			if (reported(&d.v[i]))
				sb_addf(&b, "%s\n", d.v[i].text);
		*out = sb_detach(&b);
	}
	if (todo.n)
		rc = rt_fail(err, RETORT_EDIFF, RETORT_R_NONE, NULL, 0,
		             "Target database is not up to date: %zu revision%s to apply; run "
		             "`retort upgrade`",
		             todo.n, todo.n == 1 ? "" : "s");
	else if (ndiff)
		rc = rt_fail(err, RETORT_EDIFF, RETORT_R_NONE, NULL, 0,
		             "New upgrade operations detected: the database differs from %s in %zu "
		             "way%s; run `retort revision --autogenerate -m MSG`",
		             p->cfg.target_schema, ndiff, ndiff == 1 ? "" : "s");
	else
		rt_log(&p->log, RETORT_LOG_INFO, "%s",
		       compared ? "No new upgrade operations detected."
		                : "Database is at head (no target_schema to compare with).");
done:
	sv_free(&current);
	sv_free(&todo);
	sch_diff_free(&d);
	sch_model_free(&live);
	sch_model_free(&target);
	return rc;
}

/* ---- autogenerate ------------------------------------------------------------------- */

/* PostgreSQL keeps every relation a transaction creates or alters locked
 * until its commit, in one shared table of max_locks_per_transaction ×
 * (max_connections + max_prepared_transactions) slots; a revision that
 * creates thousands of tables fails at its upgrade with "out of shared
 * memory". Said now, while the revision can still be split. */
static void warn_lock_slots(retort_project *p, retort_db *db, const sch_diff *up)
{
	long need = sch_diff_relations(up);
	if (need < 1000)
		return;
	strvec v = STRVEC_INIT;
	retort_error ignored;
	if (db->drv->query_col(db->conn,
	                       "SELECT current_setting('max_locks_per_transaction')::bigint * "
	                       "(current_setting('max_connections')::bigint + "
	                       "current_setting('max_prepared_transactions')::bigint)",
	                       &v, &ignored) == RETORT_OK &&
	    v.n == 1) {
		long slots = strtol(v.v[0], NULL, 10);
		/* the table can grow a little into spare shared memory: with 12,800
		 * slots, 13,200 relations (by this count) applied, 19,800 failed */
		if (slots > 0 && need > slots)
			rt_log(&p->log, RETORT_LOG_WARN,
			       "This revision creates or alters about %ld relations in one transaction, "
			       "more than this server's %ld lock slots (max_locks_per_transaction x "
			       "(max_connections + max_prepared_transactions)): its upgrade may fail with "
			       "\"out of shared memory\". Raise max_locks_per_transaction, or reach %s in "
			       "steps (a revision per part of it)",
			       need, slots, p->cfg.target_schema);
	}
	sv_free(&v);
}

int retort_autogenerate(retort_project *p, retort_db *db, const retort_revision_opts *o,
                        char **path, retort_error *err)
{
	*path = NULL;
	strvec current = STRVEC_INIT, todo = STRVEC_INIT;
	sch_model live = {0}, target = {0};
	sch_diff up = {0}, down = {0};
	sbuf up_sql = SBUF_INIT, down_sql = SBUF_INIT;
	int rc = pending(p, db, &current, &todo, err);
	if (!rc && todo.n) {
		sbuf b = SBUF_INIT;
		sv_join(&b, &todo, ", ");
		rc = rt_fail(err, RETORT_ERUNTIME, RETORT_R_TARGET, NULL, 0,
		             "Target database is not up to date: %s not applied; run `retort upgrade` "
		             "before autogenerating",
		             sb_str(&b));
		sb_free(&b);
	}
	if (!rc)
		rc = target_model(p, db, &target, err);
	if (!rc)
		rc = live_model(p, db, &live, err);
	if (!rc)
		rc = check_annotations(&target, &live, p->cfg.target_schema, err);
	if (rc)
		goto done;
	sch_diff_models(&live, &target, 0, &up);
	sch_diff_models(&target, &live, 1, &down);
	int version = driver_sqlite_version();
	rc = sch_render(&live, &target, &up, version, 0, &up_sql, err);
	if (!rc)
		rc = sch_render(&target, &live, &down, version, 1, &down_sql, err);
	if (rc)
		goto done;
	for (size_t i = 0; i < up.n; i++) {
		const sch_change *c = &up.v[i];
		if (!reported(c))
			continue;
		if (c->hint && (c->kind == CH_ADD_COLUMN || c->kind == CH_ADD_TABLE))
			rt_log(&p->log, RETORT_LOG_WARN,
			       "%s '%s%s%s' removed and '%s%s%s' added with the same %s: written as a "
			       "commented hint, not run (a rename? add \"-- renamed from: %s\" to its line "
			       "in %s)",
			       c->kind == CH_ADD_COLUMN ? "Column" : "Table",
			       c->kind == CH_ADD_COLUMN ? c->table : "",
			       c->kind == CH_ADD_COLUMN ? "." : "", up.v[c->pair].name,
			       c->kind == CH_ADD_COLUMN ? c->table : "",
			       c->kind == CH_ADD_COLUMN ? "." : "", c->name,
			       c->kind == CH_ADD_COLUMN ? "type" : "columns", up.v[c->pair].name,
			       p->cfg.target_schema);
		else if (!c->hint)
			rt_log(&p->log, RETORT_LOG_INFO, "Detected %s", c->text);
	}
	if (up.n == 0)
		rt_log(&p->log, RETORT_LOG_INFO, "No changes in schema detected.");
	/* PostgreSQL cannot use an enum value in the transaction that added
	 * it: such a revision runs statement by statement */
	int transactional = 1;
	for (size_t i = 0; i < up.n && transactional; i++) {
		const sch_change *c = &up.v[i];
		if (c->kind != CH_ENUM_ADD_VALUE)
			continue;
		char *lit = xasprintf("'%s'::", c->value);
		const char *after = strstr(sb_str(&up_sql), "ADD VALUE");
		while (after && strstr(after, "ADD VALUE"))
			after = strstr(after, "ADD VALUE") + 9;
		if (after && strstr(after, lit)) {
			transactional = 0;
			rt_log(&p->log, RETORT_LOG_WARN,
			       "Enum value '%s' is added and used in this revision: PostgreSQL cannot use "
			       "a new value in the transaction that adds it, so the revision is written "
			       "'transactional: false' (each statement commits on its own)",
			       c->value);
		}
		free(lit);
	}
	if (transactional && db->drv->sql->kind == DIALECT_PG)
		warn_lock_slots(p, db, &up);
	rc = write_revision_text(p, o, sb_str(&up_sql), sb_str(&down_sql), transactional, path,
	                         err);
done:
	sv_free(&current);
	sv_free(&todo);
	sch_diff_free(&up);
	sch_diff_free(&down);
	sch_model_free(&live);
	sch_model_free(&target);
	sb_free(&up_sql);
	sb_free(&down_sql);
	return rc;
}

/* ---- schema ---------------------------------------------------------------------------- */

int retort_schema(retort_project *p, retort_db *db, const retort_schema_options *o, char **out,
                  retort_error *err)
{
	retort_schema_options defaults = RETORT_SCHEMA_OPTIONS_INIT;
	if (!o)
		o = &defaults;
	*out = NULL;
	sch_model live = {0};
	sbuf b = SBUF_INIT;
	int rc = live_model(p, db, &live, err);
	if (!rc)
		rc = sch_describe(&live, o->table && *o->table ? o->table : NULL,
		                  o->format == RETORT_FORMAT_JSON, &b, err);
	if (!rc)
		*out = sb_detach(&b);
	sb_free(&b);
	sch_model_free(&live);
	return rc;
}

/* ---- test ------------------------------------------------------------------------------ */

static void diff_lines(const sch_diff *d, sbuf *b)
{
	for (size_t i = 0; i < d->n; i++)
		if (reported(&d->v[i]))
			sb_addf(b, "    %s\n", d->v[i].text);
}

/* Runs one upgrade or downgrade on the scratch database, quietly unless verbose. */
static int step(retort_project *p, retort_db *sdb, int upgrade, const char *target,
                retort_error *err)
{
	retort_run_options ro = RETORT_RUN_OPTIONS_INIT;
	return upgrade ? retort_upgrade(p, sdb, target, &ro, NULL, err)
	               : retort_downgrade(p, sdb, target, &ro, NULL, err);
}

int retort_test(retort_project *p, retort_db *db, const retort_check_options *o, char **out,
                retort_error *err)
{
	retort_check_options defaults = RETORT_CHECK_OPTIONS_INIT;
	if (!o)
		o = &defaults;
	*out = NULL;
	intvec heads = INTVEC_INIT;
	graph_heads(&p->g, &heads);
	if (heads.n > 1) {
		sbuf b = SBUF_INIT;
		for (size_t i = 0; i < heads.n; i++)
			sb_addf(&b, "%s%s", i ? ", " : "", p->g.revs[heads.v[i]]->id);
		int rc = rt_fail(err, RETORT_EDIFF, RETORT_R_MULTIPLE_HEADS, NULL, 0,
		                 "test needs a single head; there are %zu (%s): write a merge revision "
		                 "with `retort merge -m MSG heads`",
		                 heads.n, sb_str(&b));
		sb_free(&b);
		iv_free(&heads);
		return rc;
	}
	iv_free(&heads);

	scratch s;
	int rc = scratch_open(p, db, 1, 0, &s, err);
	if (rc)
		return rc;
	/* the runs connect on their own; this connection only kept it alive */
	if (s.conn) {
		s.drv->close(s.conn);
		s.conn = NULL;
	}
	retort_db *sdb = NULL;
	rc = project_connect_url(p, s.url, &sdb, err);
	plan pl = {0};
	strvec none = STRVEC_INIT;
	if (!rc)
		rc = plan_upgrade(&p->g, &none, "heads", &pl, err);
	sbuf report = SBUF_INIT;
	json_t *steps = json_array();
	int failed = 0, tested = 0;
	sch_model before = {0}, after = {0}, again = {0};
	if (!rc)
		rc = live_model(p, sdb, &before, err);
	for (size_t i = 0; !rc && i < pl.n; i++) {
		const revision *r = p->g.revs[pl.v[i].rev];
		const char *parent = r->parents.n ? p->g.revs[r->parents.v[0]]->id : "base";
		sbuf problem = SBUF_INIT;
		const char *phase = "upgrade";
		retort_error se = {0};
		tested++;
		int src = step(p, sdb, 1, r->id, &se);
		if (!src)
			src = live_model(p, sdb, &after, &se);
		if (!src) {
			phase = "downgrade";
			src = step(p, sdb, 0, parent, &se);
		}
		if (!src) {
			sch_model back = {0};
			src = live_model(p, sdb, &back, &se);
			if (!src) {
				sch_diff d;
				sch_diff_models(&before, &back, 0, &d);
				if (d.n) {
					sb_addf(&problem, "downgrade to %s leaves a trace (the schema differs "
					                  "from before the upgrade):\n",
					        parent);
					diff_lines(&d, &problem);
				}
				sch_diff_free(&d);
			}
			sch_model_free(&back);
		}
		if (!src) {
			phase = "upgrade again";
			src = step(p, sdb, 1, r->id, &se);
		}
		if (!src) {
			src = live_model(p, sdb, &again, &se);
			if (!src) {
				sch_diff d;
				sch_diff_models(&after, &again, 0, &d);
				if (d.n) {
					sb_addf(&problem, "upgrading again gives another schema than the first "
					                  "upgrade:\n");
					diff_lines(&d, &problem);
				}
				sch_diff_free(&d);
			}
		}
		if (src) {
			if (se.file[0])
				sb_addf(&problem, "%s failed: %s:%d: %s\n", phase, se.file, se.line,
				        se.message);
			else
				sb_addf(&problem, "%s failed: %s\n", phase, se.message);
		}
		int ok = problem.len == 0;
		failed += !ok;
		sb_addf(&report, "%s %d - %s %s\n", ok ? "ok" : "not ok", tested, r->id, r->message);
		if (!ok) {
			/* indented under its line, like TAP's diagnostics */
			const char *q = sb_str(&problem);
			while (*q) {
				const char *e = strchr(q, '\n');
				size_t n = e ? (size_t)(e - q) : strlen(q);
				sb_addf(&report, "#   %.*s\n", (int)n, q);
				q = e ? e + 1 : q + n;
			}
		}
		json_t *js = json_object();
		json_object_set_new(js, "revision", json_string(r->id));
		json_object_set_new(js, "message", json_string(r->message));
		json_object_set_new(js, "ok", json_boolean(ok));
		json_object_set_new(js, "problem", ok ? json_null() : json_string(sb_str(&problem)));
		json_array_append_new(steps, js);
		sb_free(&problem);
		/* the next revision starts from this one's schema */
		sch_model_free(&before);
		sch_model_free(&after);
		before = again;
		memset(&again, 0, sizeof again);
		if (src) /* the database is in an unknown state: stop here */
			break;
	}
	/* at head: the target schema, when one is declared */
	int target_checked = 0, target_ok = 1;
	sbuf tdiff = SBUF_INIT;
	if (!rc && !failed && p->cfg.target_schema && *p->cfg.target_schema) {
		sch_model target = {0};
		rc = target_model(p, db, &target, err);
		if (!rc) {
			sch_diff d;
			sch_diff_models(&before, &target, 0, &d);
			target_checked = 1;
			target_ok = d.n == 0;
			diff_lines(&d, &tdiff);
			sch_diff_free(&d);
		}
		sch_model_free(&target);
		if (!rc) {
			sb_addf(&report, "%s %d - head matches %s\n", target_ok ? "ok" : "not ok",
			        tested + 1, p->cfg.target_schema);
			if (!target_ok) {
				const char *q = sb_str(&tdiff);
				while (*q) {
					const char *e = strchr(q, '\n');
					size_t n = e ? (size_t)(e - q) : strlen(q);
					sb_addf(&report, "#   %.*s\n", (int)n, q);
					q = e ? e + 1 : q + n;
				}
			}
		}
	}
	sch_model_free(&before);
	plan_free(&pl);
	retort_db_free(sdb);
	scratch_drop(&s);
	if (!rc) {
		if (o->format == RETORT_FORMAT_JSON) {
			json_t *doc = json_object();
			json_object_set_new(doc, "ok", json_boolean(!failed && target_ok));
			json_object_set_new(doc, "revisions", steps);
			steps = NULL;
			json_object_set_new(doc, "target_schema",
			                    target_checked ? json_string(p->cfg.target_schema) : json_null());
			json_object_set_new(doc, "target_matches",
			                    target_checked ? json_boolean(target_ok) : json_null());
			json_object_set_new(doc, "target_differences",
			                    target_checked && !target_ok ? json_string(sb_str(&tdiff))
			                                                 : json_null());
			*out = json_finish(doc);
		} else {
			sb_addf(&report, "1..%d\n", tested + target_checked);
			*out = sb_detach(&report);
		}
		if (failed || !target_ok)
			rc = rt_fail(err, RETORT_EDIFF, RETORT_R_NONE, NULL, 0,
			             "test: %d of %d revision%s failed%s", failed, tested,
			             tested == 1 ? "" : "s",
			             target_ok ? "" : "; the schema at head differs from the target schema");
		else
			rt_log(&p->log, RETORT_LOG_INFO, "test: %d revision%s passed%s", tested,
			       tested == 1 ? "" : "s",
			       target_checked ? ", and the schema at head matches the target schema" : "");
	}
	json_decref(steps);
	sb_free(&report);
	sb_free(&tdiff);
	return rc;
}
