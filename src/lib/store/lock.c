/*
 * lock.c: the run lock that makes concurrent `upgrade`s safe (SPEC §7).
 * Two kinds: a session lock owned by the driver (PostgreSQL advisory lock,
 * SQLite flock on the database file), released by the server or kernel
 * when the holder dies; and, for poolers in transaction mode where session
 * state does not survive, a lease row in retort_lock that is renewed
 * between steps and may be taken over once it has expired. Either way the
 * lock is polled until lock_timeout, and a timeout names the holder.
 *
 * A lease is renewed between steps, and on PostgreSQL also by a heartbeat
 * thread on a connection of its own, so that one long statement (an index
 * build) does not outlive the lease while the run is alive. The thread
 * only ever runs the renewing UPDATE; the main thread learns through the
 * shared state below that the lease was lost and stops before its next
 * step.
 */
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"

static int lease_table_ensure(retort_db *db, run_lock *lk, retort_error *err)
{
	int exists = 0;
	int rc = db->drv->table_exists(db->conn, db->vt_schema, "retort_lock", &exists, err);
	if (rc || exists)
		return rc;
	char *sql = xasprintf("CREATE TABLE IF NOT EXISTS %s (\n"
	                      "    name VARCHAR(255) NOT NULL PRIMARY KEY,\n"
	                      "    token VARCHAR(64) NOT NULL,\n"
	                      "    holder VARCHAR(255) NOT NULL,\n"
	                      "    pid INTEGER NOT NULL,\n"
	                      "    acquired_at BIGINT NOT NULL,\n"
	                      "    expires_at BIGINT NOT NULL\n)",
	                      lk->table);
	rc = db->drv->exec(db->conn, sql, NULL, err);
	free(sql);
	if (rc) {
		/* Two runs creating it at once: one loses the race on PostgreSQL's
		 * catalog; the table is there all the same. */
		retort_error again;
		if (db->drv->table_exists(db->conn, db->vt_schema, "retort_lock", &exists, &again) ==
		            RETORT_OK &&
		    exists)
			rc = RETORT_OK;
	}
	return rc;
}

/* One attempt at the lease: insert it, or take over an expired one. */
static int lease_try(retort_db *db, run_lock *lk, const char *holder, int *taken,
                     retort_error *err)
{
	char *name = dialect_literal(&dialect_pg, lk->name), *tok = dialect_literal(&dialect_pg, lk->token),
	     *hold = dialect_literal(&dialect_pg, holder);
	const char *now = db->drv->sql->now_epoch;
	char *sql = xasprintf(
		"INSERT INTO %s (name, token, holder, pid, acquired_at, expires_at) "
		"VALUES (%s, %s, %s, %d, %s, %s + %d) "
		"ON CONFLICT (name) DO UPDATE SET token = excluded.token, holder = excluded.holder, "
		"pid = excluded.pid, acquired_at = excluded.acquired_at, "
		"expires_at = excluded.expires_at WHERE %s.expires_at < excluded.acquired_at",
		lk->table, name, tok, hold, (int)getpid(), now, now, lk->lease, lk->table);
	long rows = 0;
	int rc = db->drv->exec(db->conn, sql, &rows, err);
	*taken = !rc && rows == 1;
	free(sql);
	free(name);
	free(tok);
	free(hold);
	return rc;
}

/* UPDATE that pushes our lease forward; 1 row if it is still ours. */
static char *lease_renew_sql(const db_driver *drv, const run_lock *lk)
{
	char *name = dialect_literal(&dialect_pg, lk->name), *tok = dialect_literal(&dialect_pg, lk->token);
	char *sql = xasprintf("UPDATE %s SET expires_at = %s + %d WHERE name = %s AND token = %s",
	                      lk->table, drv->sql->now_epoch, lk->lease, name, tok);
	free(name);
	free(tok);
	return sql;
}

struct lease_heartbeat {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	const db_driver *drv;
	db_conn *conn; /* the heartbeat's own connection */
	char *sql;     /* lease_renew_sql */
	int period_ms;
	/* shared, under mu */
	int stop;
	int lost;             /* the UPDATE found no row of ours */
	long long renewed_ms; /* last successful renewal */
};

static void *heartbeat_main(void *arg)
{
	lease_heartbeat *hb = arg;
	pthread_mutex_lock(&hb->mu);
	while (!hb->stop && !hb->lost) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += hb->period_ms / 1000;
		until.tv_nsec += (long)(hb->period_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		int timed_out = 0;
		while (!hb->stop && !timed_out)
			timed_out = pthread_cond_timedwait(&hb->wake, &hb->mu, &until) != 0;
		if (hb->stop)
			break;
		pthread_mutex_unlock(&hb->mu);
		long rows = 0;
		retort_error err;
		/* A failure (the connection dropped) is retried next period; the
		 * main thread renews on its own connection if we fall behind. */
		int rc = hb->drv->exec(hb->conn, hb->sql, &rows, &err);
		pthread_mutex_lock(&hb->mu);
		if (!rc && rows == 1)
			hb->renewed_ms = now_ms();
		else if (!rc)
			hb->lost = 1;
	}
	pthread_mutex_unlock(&hb->mu);
	return NULL;
}

void lock_keep_alive(retort_db *db, run_lock *lk)
{
	if (lk->kind != LOCK_TABLE || !lk->held || lk->hb || !db->drv->concurrent_writers)
		return;
	lease_heartbeat *hb = xcalloc(1, sizeof(*hb));
	retort_error err;
	if (db->drv->connect(&db->url, &hb->conn, &err) != RETORT_OK) {
		free(hb);
		return;
	}
	hb->drv = db->drv;
	hb->sql = lease_renew_sql(db->drv, lk);
	hb->period_ms = lk->lease * 250 > 0 ? lk->lease * 250 : 250;
	hb->renewed_ms = lk->renewed_ms;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&hb->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&hb->mu, NULL);
	if (pthread_create(&hb->thread, NULL, heartbeat_main, hb) != 0) {
		pthread_cond_destroy(&hb->wake);
		pthread_mutex_destroy(&hb->mu);
		db->drv->close(hb->conn);
		free(hb->sql);
		free(hb);
		return;
	}
	lk->hb = hb;
}

static void heartbeat_stop(run_lock *lk)
{
	lease_heartbeat *hb = lk->hb;
	if (!hb)
		return;
	pthread_mutex_lock(&hb->mu);
	hb->stop = 1;
	pthread_cond_signal(&hb->wake);
	pthread_mutex_unlock(&hb->mu);
	pthread_join(hb->thread, NULL);
	pthread_cond_destroy(&hb->wake);
	pthread_mutex_destroy(&hb->mu);
	hb->drv->close(hb->conn);
	free(hb->sql);
	free(hb);
	lk->hb = NULL;
}

/* What is locked (the version table's qualified name) and the lease
 * table's quoted name, both in the version table's schema. */
static void lock_names(const retort_db *db, run_lock *lk)
{
	lk->name = db->vt_schema ? xasprintf("%s.%s", db->vt_schema, db->vt_name)
	                         : xstrdup(db->vt_name);
	if (db->vt_schema) {
		char *qs = dialect_ident(&dialect_pg, db->vt_schema);
		lk->table = xasprintf("%s.retort_lock", qs);
		free(qs);
	} else {
		lk->table = xstrdup("retort_lock");
	}
}

static char *lease_holder(retort_db *db, run_lock *lk)
{
	char *name = dialect_literal(&dialect_pg, lk->name);
	char *sql = xasprintf("SELECT holder, pid, acquired_at, expires_at, %s FROM %s WHERE name = %s",
	                      db->drv->sql->now_epoch, lk->table, name);
	strvec v = STRVEC_INIT;
	int ncols = 0;
	retort_error ignored;
	char *out = NULL;
	if (db->drv->query(db->conn, sql, &v, &ncols, &ignored) == RETORT_OK && ncols == 5 &&
	    v.n >= 5) {
		time_t since = (time_t)atoll(v.v[2]);
		long left = atol(v.v[3]) - atol(v.v[4]);
		struct tm tm;
		char when[32];
		gmtime_r(&since, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		out = xasprintf("%s since %s (lease expires in %ld s; if that run is gone, "
		                "'retort repair --lock' releases it now)",
		                v.v[0], when, left);
	}
	sv_free(&v);
	free(sql);
	free(name);
	return out;
}

int lock_acquire(retort_project *p, retort_db *db, run_lock *lk, retort_error *err)
{
	memset(lk, 0, sizeof(*lk));
	const char *kind = p->cfg.lock;
	if (strcmp(kind, "none") == 0)
		return RETORT_OK;
	lock_names(db, lk);
	char *holder = xasprintf("retort %s pid %d", db->who, (int)getpid());
	int rc = RETORT_OK;
	if (strcmp(kind, "table") == 0) {
		lk->kind = LOCK_TABLE;
		lk->lease = p->cfg.lock_lease;
		lk->token = random_hex(8);
		if (db->vt_schema)
			rc = version_ensure_schema(db, err);
		if (!rc)
			rc = lease_table_ensure(db, lk, err);
	} else if (db->drv->try_lock) {
		lk->kind = LOCK_SESSION;
		if (db->drv->set_holder)
			db->drv->set_holder(db->conn, holder);
	}
	long long start = now_ms(), limit = (long long)p->cfg.lock_timeout * 1000;
	int delay = 10, waited = 0;
	while (!rc && lk->kind != LOCK_NONE) {
		int taken = 0;
		rc = lk->kind == LOCK_TABLE ? lease_try(db, lk, holder, &taken, err)
		                            : db->drv->try_lock(db->conn, lk->name, &taken, err);
		if (rc || taken) {
			lk->held = !rc;
			lk->renewed_ms = now_ms();
			break;
		}
		if (!waited) {
			rt_log(&p->log, RETORT_LOG_INFO, "Waiting for the run lock on %s (lock_timeout %d s)",
			       lk->name, p->cfg.lock_timeout);
			waited = 1;
		}
		if (now_ms() - start >= limit) {
			char *who_holds = lk->kind == LOCK_TABLE ? lease_holder(db, lk)
			                  : db->drv->lock_holder ? db->drv->lock_holder(db->conn, lk->name)
			                                         : NULL;
			rc = rt_error(err, RETORT_ERUNTIME, NULL, 0,
			              "could not take the run lock on %s within %d s: held by %s",
			              lk->name, p->cfg.lock_timeout,
			              who_holds ? who_holds : "another process");
			free(who_holds);
			break;
		}
		nap_ms(delay);
		delay = delay * 2 > 250 ? 250 : delay * 2;
	}
	free(holder);
	if (rc)
		lock_release(db, lk);
	return rc;
}

static int lease_lost(run_lock *lk, retort_error *err)
{
	lk->held = 0;
	return rt_error(err, RETORT_ERUNTIME, NULL, 0,
	                "lost the run lock on %s: the lease expired (lock_lease = %d s) and "
	                "another run took it over; stopping",
	                lk->name, lk->lease);
}

int lock_renew(retort_db *db, run_lock *lk, retort_error *err)
{
	if (!lk || lk->kind != LOCK_TABLE || !lk->held)
		return RETORT_OK;
	long long last = lk->renewed_ms, due = (long long)lk->lease * 250;
	if (lk->hb) {
		int lost;
		pthread_mutex_lock(&lk->hb->mu);
		lost = lk->hb->lost;
		if (lk->hb->renewed_ms > last)
			last = lk->hb->renewed_ms;
		pthread_mutex_unlock(&lk->hb->mu);
		if (lost)
			return lease_lost(lk, err);
		due *= 2; /* the heartbeat renews each quarter; step in at half */
	}
	long long now = now_ms();
	if (now - last < due)
		return RETORT_OK;
	lk->renewed_ms = now;
	char *sql = lease_renew_sql(db->drv, lk);
	long rows = 0;
	int rc = db->drv->exec(db->conn, sql, &rows, err);
	free(sql);
	if (!rc && rows != 1)
		rc = lease_lost(lk, err);
	return rc;
}

int lock_force_release(retort_project *p, retort_db *db, char **out, retort_error *err)
{
	*out = NULL;
	if (strcmp(p->cfg.lock, "table") != 0) {
		*out = xasprintf("nothing to release: lock = %s %s\n", p->cfg.lock,
		                 strcmp(p->cfg.lock, "none") == 0
		                     ? "takes no lock"
		                     : "is held by a session and ends with its holder's connection");
		return RETORT_OK;
	}
	int exists = 0;
	int rc = db->drv->table_exists(db->conn, db->vt_schema, "retort_lock", &exists, err);
	if (rc)
		return rc;
	run_lock lk = {.kind = LOCK_TABLE};
	lock_names(db, &lk);
	char *holder = exists ? lease_holder(db, &lk) : NULL;
	if (holder) {
		char *name = dialect_literal(&dialect_pg, lk.name);
		char *sql = xasprintf("DELETE FROM %s WHERE name = %s", lk.table, name);
		rc = db->drv->exec(db->conn, sql, NULL, err);
		free(sql);
		free(name);
		/* "<holder> since <when> (lease ...)": keep the who and when */
		char *cut = strstr(holder, " (lease");
		if (cut)
			*cut = 0;
		if (!rc)
			*out = xasprintf("released the run lock on %s held by %s\n", lk.name, holder);
	} else {
		*out = xasprintf("nothing to release: no lease on %s\n", lk.name);
	}
	free(holder);
	free(lk.name);
	free(lk.table);
	return rc;
}

void lock_release(retort_db *db, run_lock *lk)
{
	heartbeat_stop(lk);
	if (lk->held && lk->kind == LOCK_SESSION)
		db->drv->unlock(db->conn, lk->name);
	if (lk->held && lk->kind == LOCK_TABLE) {
		char *name = dialect_literal(&dialect_pg, lk->name), *tok = dialect_literal(&dialect_pg, lk->token);
		char *sql = xasprintf("DELETE FROM %s WHERE name = %s AND token = %s", lk->table,
		                      name, tok);
		retort_error ignored;
		db->drv->exec(db->conn, sql, NULL, &ignored);
		free(sql);
		free(name);
		free(tok);
	}
	free(lk->name);
	free(lk->token);
	free(lk->table);
	memset(lk, 0, sizeof(*lk));
}
