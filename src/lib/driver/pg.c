/*
 * driver_pg.c: the PostgreSQL backend over libpq. libpq parses the
 * connection URL itself; this file adds the defaults a migration tool
 * wants (fail fast on an unreachable host, UTF-8 like the revision files,
 * no NOTICE chatter on stdout), turns server errors into one line in the
 * server's own wording, and makes sure the connection password never
 * reaches an error message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "driver/pg_int.h"

#define DEFAULT_CONNECT_TIMEOUT "10"

struct db_conn {
	PGconn *pg;
	PGcancel *cancel; /* made at connect, so cancelling needs no allocation */
	strvec secrets; /* password, sslpassword, ...: decoded, for scrubbing messages */
	int err_off;    /* 0-based byte offset of the last error in its statement, or -1 */
	char sqlstate[6]; /* of the last error */
	const volatile sig_atomic_t *stop; /* pg_watch */
};

/* NOTICEs ("relation ... already exists, skipping") would otherwise be
 * printed on stderr by libpq's default processor. */
static void swallow_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static void replace_all(sbuf *b, const char *what, const char *with)
{
	size_t wn = strlen(what);
	if (!wn || !strstr(sb_str(b), what))
		return;
	sbuf o = SBUF_INIT;
	const char *p = sb_str(b), *hit;
	while ((hit = strstr(p, what))) {
		sb_add(&o, p, (size_t)(hit - p));
		sb_adds(&o, with);
		p = hit + wn;
	}
	sb_adds(&o, p);
	sb_free(b);
	*b = o;
}

/* libpq does not normally echo the password, but a message that quotes
 * the URL, or a server message quoting our own credentials, must not
 * carry it (nor the sslpassword, or any other "*password*" setting). A
 * secret of one or two characters is left alone: replacing every such
 * letter pair would garble the message while hiding nothing that could
 * not be guessed. */
static void scrub(sbuf *b, const strvec *secrets, const char *conninfo, const char *redacted)
{
	if (conninfo && redacted)
		replace_all(b, conninfo, redacted);
	for (size_t i = 0; secrets && i < secrets->n; i++)
		if (strlen(secrets->v[i]) >= 3)
			replace_all(b, secrets->v[i], "***");
}

/* libpq's own messages are multi-line ("...failed: Connection refused\n\t
 * Is the server running..."); each run of whitespace becomes one space. */
static void squeeze(sbuf *b)
{
	sbuf o = SBUF_INIT;
	int space = 0;
	for (const char *p = sb_str(b); *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			space = 1;
			continue;
		}
		if (space && o.len)
			sb_addc(&o, ' ');
		space = 0;
		sb_addc(&o, *p);
	}
	sb_free(b);
	*b = o;
}

/* Adds the values of every connection option whose keyword contains
 * "password" (password, sslpassword) to secrets. */
static void conninfo_secrets(const char *conninfo, strvec *secrets)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strstr(o->keyword, "password") && o->val && *o->val &&
		    sv_index(secrets, o->val) < 0)
			sv_push(secrets, o->val);
	PQconninfoFree(opts);
}

static int pg_connect(const db_url *u, db_conn **out, retort_error *err)
{
	*out = NULL;
	const char *conninfo = u->conninfo ? u->conninfo : "postgresql://";
	const char *redacted = u->redacted ? u->redacted : "postgresql://";
	/* Keywords listed before dbname are defaults: with expand_dbname the
	 * URL's own settings override them, and an explicit keyword would
	 * override the PG* environment, so those are only set when the
	 * environment leaves them open. */
	const char *kw[9], *val[9];
	int n = 0;
	/* A server that vanished without closing the connection (a failover,
	 * a dropped NAT entry) would leave a statement, or the lease
	 * heartbeat, waiting on the kernel's defaults: two hours before the
	 * first keepalive, and about 15 minutes of retransmissions for unacked
	 * data. These make it a minute; the URL's own settings win. */
	static const char *const keep[][2] = {{"keepalives_idle", "30"},
	                                      {"keepalives_interval", "10"},
	                                      {"keepalives_count", "3"},
	                                      {"tcp_user_timeout", "60000"}};
	for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
		kw[n] = keep[k][0];
		val[n++] = keep[k][1];
	}
	if (!getenv("PGCONNECT_TIMEOUT")) {
		kw[n] = "connect_timeout";
		val[n++] = DEFAULT_CONNECT_TIMEOUT;
	}
	if (!getenv("PGCLIENTENCODING")) {
		kw[n] = "client_encoding";
		val[n++] = "UTF8";
	}
	kw[n] = "fallback_application_name";
	val[n++] = "retort";
	kw[n] = "dbname";
	val[n++] = conninfo;
	kw[n] = NULL;
	val[n] = NULL;

	PGconn *pg = PQconnectdbParams(kw, val, 1);
	/* libpq knows the password it used, wherever it came from (URL,
	 * PGPASSWORD, ~/.pgpass); the URL's secrets are scrubbed as well. */
	const char *used = pg ? PQpass(pg) : NULL;
	strvec secrets = STRVEC_INIT;
	if (used && *used)
		sv_push(&secrets, used);
	conninfo_secrets(conninfo, &secrets);
	if (!pg || PQstatus(pg) != CONNECTION_OK) {
		sbuf m = SBUF_INIT;
		sb_adds(&m, pg ? PQerrorMessage(pg) : "out of memory");
		scrub(&m, &secrets, conninfo, redacted);
		squeeze(&m);
		rt_fail(err, RETORT_ERUNTIME, RETORT_R_CONNECT, NULL, 0, "cannot connect to %s: %s",
		        redacted, sb_str(&m));
		sb_free(&m);
		sv_free(&secrets);
		PQfinish(pg);
		return RETORT_ERUNTIME;
	}
	PQsetNoticeProcessor(pg, swallow_notice, NULL);
	db_conn *c = xcalloc(1, sizeof(*c));
	c->pg = pg;
	c->cancel = PQgetCancel(pg);
	c->secrets = secrets;
	*out = c;
	return RETORT_OK;
}

PGconn *pg_conn_handle(db_conn *c)
{
	return c->pg;
}

static void pg_close(db_conn *c)
{
	if (!c)
		return;
	PQfreeCancel(c->cancel);
	PQfinish(c->pg);
	sv_free(&c->secrets);
	free(c);
}

/* "ERROR:  primary DETAIL:  detail HINT:  hint", as psql prints it but on
 * one line; the LINE/caret excerpt is left out since the caller reports
 * the statement's file and line itself. */
static int pg_fail(db_conn *c, PGresult *r, retort_error *err)
{
	sbuf m = SBUF_INIT;
	const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	/* the server counts characters from 1; byte offsets are close enough
	 * for finding the line (multibyte text before it aside) */
	const char *pos = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
	c->err_off = pos ? atoi(pos) - 1 : -1;
	const char *code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	snprintf(c->sqlstate, sizeof c->sqlstate, "%s", code ? code : "");
	if (primary) {
		const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY);
		const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
		const char *hint = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT);
		sb_addf(&m, "%s:  %s", sev ? sev : "ERROR", primary);
		if (detail)
			sb_addf(&m, " DETAIL:  %s", detail);
		if (hint)
			sb_addf(&m, " HINT:  %s", hint);
	} else {
		/* No server error: a lost connection or a client-side failure. */
		const char *msg = r ? PQresultErrorMessage(r) : "";
		sb_adds(&m, *msg ? msg : PQerrorMessage(c->pg));
		squeeze(&m);
	}
	scrub(&m, &c->secrets, NULL, NULL);
	if (!m.len)
		sb_adds(&m, "unknown PostgreSQL error");
	rt_error(err, RETORT_ERUNTIME, NULL, 0, "%s", sb_str(&m));
	sb_free(&m);
	PQclear(r);
	return RETORT_ERUNTIME;
}

/* Leaves the connection usable after a COPY the migration started: we
 * have no data to feed it and nowhere to send its output. */
static void abort_copy(db_conn *c, ExecStatusType s)
{
	if (s == PGRES_COPY_IN) {
		PQputCopyEnd(c->pg, "COPY FROM STDIN is not supported by retort");
	} else {
		char *buf;
		while (PQgetCopyData(c->pg, &buf, 0) > 0)
			PQfreemem(buf);
	}
	PGresult *r;
	while ((r = PQgetResult(c->pg)))
		PQclear(r);
}

int pg_conn_fail(db_conn *c, PGresult *r, retort_error *err)
{
	return pg_fail(c, r, err);
}

static int pg_error_offset(db_conn *c)
{
	return c->err_off;
}

static int pg_lock_timed_out(db_conn *c)
{
	return strcmp(c->sqlstate, "55P03") == 0;
}

static char *pg_blocker(db_conn *c)
{
	PGresult *r = PQexec(c->pg,
	                     "SELECT pid, usename, COALESCE(application_name, ''), state, "
	                     "EXTRACT(EPOCH FROM now() - xact_start)::bigint, "
	                     "left(regexp_replace(query, '\\s+', ' ', 'g'), 120) "
	                     "FROM pg_catalog.pg_stat_activity "
	                     "WHERE pid <> pg_catalog.pg_backend_pid() AND xact_start IS NOT NULL "
	                     "AND datname = pg_catalog.current_database() "
	                     "ORDER BY xact_start LIMIT 1");
	char *out = NULL;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		out = xasprintf("pid %s (user %s%s%s, %s, transaction open %s s): %s", PQgetvalue(r, 0, 0),
		                PQgetvalue(r, 0, 1), *PQgetvalue(r, 0, 2) ? ", " : "",
		                PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4),
		                PQgetvalue(r, 0, 5));
	PQclear(r);
	return out;
}

static void pg_cancel(db_conn *c);

/* PQexec, but once the query is on its way, a stop flag set before it left
 * (pg_watch) cancels it: the cancel the signal handler sent may have
 * reached an idle server, which drops it. The same results as PQexec: the
 * last one, or the first error, or a COPY state at once. */
static PGresult *exec_watched(db_conn *c, const char *sql)
{
	if (!c->stop)
		return PQexec(c->pg, sql);
	if (!PQsendQuery(c->pg, sql))
		return NULL;
	if (*c->stop)
		pg_cancel(c);
	PGresult *last = NULL, *r;
	while ((r = PQgetResult(c->pg))) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
			PQclear(last);
			return r;
		}
		if (last && PQresultStatus(last) == PGRES_FATAL_ERROR) {
			PQclear(r);
			continue;
		}
		PQclear(last);
		last = r;
	}
	return last;
}

static void pg_watch(db_conn *c, const volatile sig_atomic_t *stop)
{
	c->stop = stop;
}

static int pg_run(db_conn *c, const char *sql, PGresult **out, retort_error *err)
{
	PGresult *r = exec_watched(c, sql);
	ExecStatusType s = PQresultStatus(r);
	switch (s) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		*out = r;
		return RETORT_OK;
	case PGRES_COPY_IN:
	case PGRES_COPY_OUT:
	case PGRES_COPY_BOTH:
		PQclear(r);
		abort_copy(c, s);
		return rt_error(err, RETORT_ERUNTIME, NULL, 0,
		                "%s is not supported in revision files",
		                s == PGRES_COPY_IN ? "COPY FROM STDIN" : "COPY TO STDOUT");
	default:
		return pg_fail(c, r, err);
	}
}

static int pg_exec(db_conn *c, const char *sql, long *rows, retort_error *err)
{
	PGresult *r;
	int rc = pg_run(c, sql, &r, err);
	if (rc != RETORT_OK)
		return rc;
	if (rows) {
		/* PQcmdTuples also counts rows a SELECT returned (and CREATE
		 * TABLE AS, tagged "SELECT n"); only changed rows are wanted,
		 * as from SQLite. */
		const char *tag = PQcmdStatus(r);
		int read_only = strncmp(tag, "SELECT ", 7) == 0 || strncmp(tag, "FETCH ", 6) == 0 ||
		                strncmp(tag, "MOVE ", 5) == 0;
		*rows = read_only ? 0 : atol(PQcmdTuples(r));
	}
	PQclear(r);
	return RETORT_OK;
}

static void collect(PGresult *r, strvec *out)
{
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQnfields(r) < 1)
		return;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++)
		sv_push(out, PQgetisnull(r, i, 0) ? "" : PQgetvalue(r, i, 0));
}

static int pg_query_col(db_conn *c, const char *sql, strvec *out, retort_error *err)
{
	PGresult *r;
	int rc = pg_run(c, sql, &r, err);
	if (rc != RETORT_OK)
		return rc;
	collect(r, out);
	PQclear(r);
	return RETORT_OK;
}

static int pg_table_exists(db_conn *c, const char *schema, const char *table, int *exists,
                           retort_error *err)
{
	*exists = 0;
	/* pg_class rather than information_schema.tables, which hides tables
	 * the user has no privilege on: such a table still occupies the name.
	 * Without a schema, current_schema() is where an unqualified CREATE
	 * TABLE would put it. */
	const char *by_current =
		"SELECT 1 FROM pg_catalog.pg_class c "
		"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		"WHERE c.relname = $1 AND n.nspname = current_schema() "
		"AND c.relkind IN ('r', 'p')";
	const char *by_schema =
		"SELECT 1 FROM pg_catalog.pg_class c "
		"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		"WHERE c.relname = $1 AND n.nspname = $2 "
		"AND c.relkind IN ('r', 'p')";
	int has_schema = schema && *schema;
	const char *params[2] = {table, schema};
	PGresult *r = PQexecParams(c->pg, has_schema ? by_schema : by_current, has_schema ? 2 : 1,
	                           NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_fail(c, r, err);
	*exists = PQntuples(r) > 0;
	PQclear(r);
	return RETORT_OK;
}

static int pg_query(db_conn *c, const char *sql, strvec *cells, int *ncols, retort_error *err)
{
	PGresult *r;
	*ncols = 0;
	int rc = pg_run(c, sql, &r, err);
	if (rc != RETORT_OK)
		return rc;
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		int rows = PQntuples(r), cols = PQnfields(r);
		*ncols = cols;
		for (int i = 0; i < rows; i++)
			for (int k = 0; k < cols; k++)
				sv_push(cells, PQgetisnull(r, i, k) ? "" : PQgetvalue(r, i, k));
	}
	PQclear(r);
	return RETORT_OK;
}

/* The advisory lock's two int4 keys: a constant for retort, and a hash of
 * the lock's name (the version table), so projects sharing a database
 * with different version tables do not serialise each other. Both stay
 * positive, so pg_locks shows them as written. */
#define RETORT_LOCK_CLASS 1381256018 /* "RTOR" */
static long lock_key(const char *name)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return (long)(h & 0x7fffffff);
}

static int pg_try_lock(db_conn *c, const char *name, int *taken, retort_error *err)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%d, %ld)", RETORT_LOCK_CLASS,
	         lock_key(name));
	strvec v = STRVEC_INIT;
	int rc = pg_query_col(c, sql, &v, err);
	*taken = !rc && v.n == 1 && strcmp(v.v[0], "t") == 0;
	sv_free(&v);
	return rc;
}

static void pg_unlock(db_conn *c, const char *name)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%d, %ld)", RETORT_LOCK_CLASS,
	         lock_key(name));
	retort_error ignored;
	pg_exec(c, sql, NULL, &ignored);
}

/* Waiting runs find the holder through pg_locks and pg_stat_activity, so
 * the holder names itself in application_name (63 bytes at most). */
static void pg_set_holder(db_conn *c, const char *holder)
{
	const char *params[1] = {holder};
	PGresult *r = PQexecParams(c->pg, "SELECT set_config('application_name', $1, false)", 1,
	                           NULL, params, NULL, NULL, 0);
	PQclear(r);
}

static char *pg_lock_holder(db_conn *c, const char *name)
{
	char sql[900];
	snprintf(sql, sizeof(sql),
	         "SELECT a.application_name, COALESCE(host(a.client_addr), 'local socket'), a.pid, "
	         "to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') "
	         "FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
	         "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %d "
	         "AND l.objid = %ld AND l.objsubid = 2 "
	         /* advisory locks are per database: another database's
	          * holder of the same key is not ours */
	         "AND l.database = (SELECT oid FROM pg_catalog.pg_database "
	         "WHERE datname = current_database())",
	         RETORT_LOCK_CLASS, lock_key(name));
	strvec v = STRVEC_INIT;
	int ncols = 0;
	retort_error ignored;
	char *out = NULL;
	if (pg_query(c, sql, &v, &ncols, &ignored) == RETORT_OK && ncols == 4 && v.n >= 4)
		out = xasprintf("'%s' (server pid %s, client %s, connected since %s)",
		                *v.v[0] ? v.v[0] : "unnamed", v.v[2], v.v[1], v.v[3]);
	sv_free(&v);
	return out;
}

/* PQcancel is async-signal-safe (libpq's documentation): it only sends
 * a cancel request on a new socket, with the key fetched at connect. */
static void pg_cancel(db_conn *c)
{
	char buf[256];
	if (c->cancel)
		PQcancel(c->cancel, buf, (int)sizeof(buf));
}

static void pg_redact(db_conn *c, sbuf *text)
{
	scrub(text, &c->secrets, NULL, NULL);
}

const db_driver driver_pg = {
	.name = "postgresql",
	.sql = &dialect_pg,
	.concurrent_writers = 1,
	.connect = pg_connect,
	.close = pg_close,
	.exec = pg_exec,
	.query_col = pg_query_col,
	.table_exists = pg_table_exists,
	.redact = pg_redact,
	.error_offset = pg_error_offset,
	.lock_timed_out = pg_lock_timed_out,
	.blocker = pg_blocker,
	.query = pg_query,
	.try_lock = pg_try_lock,
	.unlock = pg_unlock,
	.lock_holder = pg_lock_holder,
	.set_holder = pg_set_holder,
	.cancel = pg_cancel,
	.watch = pg_watch,
	.inspect = pg_inspect,
};
