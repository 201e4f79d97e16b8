/*
 * lock.c: the run lock that makes concurrent `upgrade`s safe (SPEC §7).
 * Two kinds: a session lock owned by the driver (PostgreSQL advisory lock,
 * SQLite flock on the database file), released by the server or kernel
 * when the holder dies; and, for poolers in transaction mode where session
 * state does not survive, a lease row in retort_lock that is renewed
 * between steps and may be taken over once it has expired. Either way the
 * lock is polled until lock_timeout, and a timeout names the holder.
 * The lease row is deleted when the run ends, also when it was
 * interrupted (retort_interrupt, from the CLI's SIGINT/SIGTERM handler).
 *
 * A lease is renewed between steps, and on PostgreSQL also by a heartbeat
 * thread on a connection of its own, so that one long statement (an index
 * build) does not outlive the lease while the run is alive. The thread
 * only ever runs the renewing UPDATE, reconnecting when its connection
 * drops; the main thread learns through the shared state below that the
 * lease was lost and stops before its next step.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

static int lease_table_ensure(store *s, retort_error *err)
{
	int exists = 0;
	int rc = s->drv->table_exists(s->conn, s->schema, "retort_lock", &exists, err);
	if (rc || exists)
		return rc;
	rc = store_ensure_schema(s, err);
	if (rc)
		return rc;
	char *sql = xasprintf("CREATE TABLE IF NOT EXISTS %s (\n"
	                      "    name VARCHAR(255) NOT NULL PRIMARY KEY,\n"
	                      "    token VARCHAR(64) NOT NULL,\n"
	                      "    holder VARCHAR(255) NOT NULL,\n"
	                      "    pid INTEGER NOT NULL,\n"
	                      "    acquired_at BIGINT NOT NULL,\n"
	                      "    expires_at BIGINT NOT NULL\n)",
	                      s->lock_table);
	rc = s->drv->exec(s->conn, sql, NULL, err);
	free(sql);
	if (rc) {
		/* Two runs creating it at once: one loses the race on PostgreSQL's
		 * catalog; the table is there all the same. */
		retort_error again;
		if (s->drv->table_exists(s->conn, s->schema, "retort_lock", &exists, &again) ==
		            RETORT_OK &&
		    exists)
			rc = RETORT_OK;
	}
	return rc;
}

/* One attempt at the lease: insert it, or take over an expired one. */
static int lease_try(store *s, run_lock *lk, const char *holder, int *taken, retort_error *err)
{
	char *sql = dialect_lease_take(s->sql, s->lock_table, s->lock_name, lk->token, holder,
	                               (int)getpid(), lk->lease);
	long rows = 0;
	int rc = s->drv->exec(s->conn, sql, &rows, err);
	*taken = !rc && rows == 1;
	free(sql);
	return rc;
}

/* UPDATE that pushes our lease forward; 1 row if it is still ours. */
static char *lease_renew_sql(const store *s, const run_lock *lk)
{
	char *name = dialect_literal(s->sql, s->lock_name), *tok = dialect_literal(s->sql, lk->token);
	char *sql = xasprintf("UPDATE %s SET expires_at = %s + %d WHERE name = %s AND token = %s",
	                      s->lock_table, s->sql->now_epoch, lk->lease, name, tok);
	free(name);
	free(tok);
	return sql;
}

struct lease_heartbeat {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	const db_driver *drv;
	const db_url *url;
	db_conn *conn; /* the heartbeat's own connection, NULL while it is down */
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
		/* A dropped connection is reopened and the renewal retried at
		 * once; should that fail too, the next period tries again, and
		 * the main thread renews on its own connection if we fall
		 * behind. Either way a lease that is no longer ours is noticed. */
		int rc = hb->conn ? hb->drv->exec(hb->conn, hb->sql, &rows, &err) : RETORT_ERUNTIME;
		if (rc) {
			if (hb->conn)
				hb->drv->close(hb->conn);
			hb->conn = NULL;
			if (hb->drv->connect(hb->url, &hb->conn, &err) == RETORT_OK)
				rc = hb->drv->exec(hb->conn, hb->sql, &rows, &err);
			else
				hb->conn = NULL;
		}
		pthread_mutex_lock(&hb->mu);
		if (!rc && rows == 1)
			hb->renewed_ms = now_ms();
		else if (!rc)
			hb->lost = 1;
	}
	pthread_mutex_unlock(&hb->mu);
	return NULL;
}

void lock_keep_alive(store *s, run_lock *lk)
{
	if (lk->kind != LOCK_TABLE || !lk->held || lk->hb || !s->drv->concurrent_writers || !s->url)
		return;
	lease_heartbeat *hb = xcalloc(1, sizeof(*hb));
	retort_error err;
	if (s->drv->connect(s->url, &hb->conn, &err) != RETORT_OK) {
		free(hb);
		return;
	}
	hb->drv = s->drv;
	hb->url = s->url;
	hb->sql = lease_renew_sql(s, lk);
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
		s->drv->close(hb->conn);
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
	if (hb->conn)
		hb->drv->close(hb->conn);
	free(hb->sql);
	free(hb);
	lk->hb = NULL;
}

/* Whose the lease is, for messages; NULL if there is none. *when gets
 * "<holder> since <time>" and *left the seconds until it expires. */
static int lease_holder(store *s, char **when, long *left)
{
	char *name = dialect_literal(s->sql, s->lock_name);
	char *sql = xasprintf("SELECT holder, pid, acquired_at, expires_at, %s FROM %s WHERE name = %s",
	                      s->sql->now_epoch, s->lock_table, name);
	strvec v = STRVEC_INIT;
	int ncols = 0, found = 0;
	retort_error ignored;
	*when = NULL;
	if (s->drv->query(s->conn, sql, &v, &ncols, &ignored) == RETORT_OK && ncols == 5 &&
	    v.n >= 5) {
		time_t since = (time_t)atoll(v.v[2]);
		*left = atol(v.v[3]) - atol(v.v[4]);
		struct tm tm;
		char at[32];
		gmtime_r(&since, &tm);
		strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S UTC", &tm);
		*when = xasprintf("%s since %s", v.v[0], at);
		found = 1;
	}
	sv_free(&v);
	free(sql);
	free(name);
	return found;
}

/* The session lock under both its keys: the name earlier releases locked
 * ([configured schema.]table, so runs of an older retort still exclude
 * this one) and the resolved schema.table (so two runs that spell the
 * schema differently exclude each other). Always in that order; taken
 * only when both are. */
static int session_try(store *s, int *taken, retort_error *err)
{
	int rc = s->drv->try_lock(s->conn, s->lock_name, taken, err);
	if (rc || !*taken || strcmp(s->lock_key, s->lock_name) == 0)
		return rc;
	rc = s->drv->try_lock(s->conn, s->lock_key, taken, err);
	if (rc || !*taken)
		s->drv->unlock(s->conn, s->lock_name);
	return rc;
}

/* Who holds the session lock (either key); NULL when unknown. */
static char *session_holder(store *s)
{
	if (!s->drv->lock_holder)
		return NULL;
	char *who = s->drv->lock_holder(s->conn, s->lock_name);
	if (!who && strcmp(s->lock_key, s->lock_name) != 0)
		who = s->drv->lock_holder(s->conn, s->lock_key);
	return who;
}

int lock_acquire(store *s, const lock_opts *o, const rt_logger *log, run_lock *lk,
                 retort_error *err)
{
	memset(lk, 0, sizeof(*lk));
	if (strcmp(o->kind, "none") == 0)
		return RETORT_OK;
	char *holder = xasprintf("retort %s pid %d", s->who, (int)getpid());
	int rc = RETORT_OK;
	if (strcmp(o->kind, "table") == 0) {
		lk->kind = LOCK_TABLE;
		lk->lease = o->lease_s;
		lk->token = random_hex(8);
		rc = lease_table_ensure(s, err);
	} else if (s->drv->try_lock) {
		lk->kind = LOCK_SESSION;
		if (s->drv->set_holder)
			s->drv->set_holder(s->conn, holder);
	}
	long long start = now_ms(), limit = (long long)o->timeout_s * 1000;
	int delay = 10, waited = 0;
	while (!rc && lk->kind != LOCK_NONE) {
		int taken = 0;
			rc = lk->kind == LOCK_TABLE ? lease_try(s, lk, holder, &taken, err)
		                            : session_try(s, &taken, err);
		if (rc || taken) {
			lk->held = !rc;
			lk->renewed_ms = now_ms();
			break;
		}
		if (!waited) {
			char *who = NULL;
			long left = 0;
			if (lk->kind == LOCK_TABLE)
				lease_holder(s, &who, &left);
			else
				who = session_holder(s);
			rt_log(log, RETORT_LOG_INFO,
			       "Waiting for the run lock on %s, held by %s (lock_timeout %d s)",
			       s->lock_name, who ? who : "another run", o->timeout_s);
			free(who);
			waited = 1;
		}
		if (o->interrupted && *o->interrupted) {
			rc = rt_fail(err, RETORT_EINTR, RETORT_R_INTERRUPTED, NULL, 0,
			             "interrupted while waiting for the run lock on %s; nothing ran",
			             s->lock_name);
			break;
		}
		if (now_ms() - start >= limit) {
			char *who = NULL, *msg = NULL;
			long left = 0;
			if (lk->kind == LOCK_TABLE && lease_holder(s, &who, &left))
				msg = xasprintf("%s (lease expires in %ld s; if that run is gone, 'retort "
				                "repair --lock' releases it now)",
				                who, left);
			else if (lk->kind == LOCK_SESSION)
				msg = session_holder(s);
			rc = rt_fail(err, RETORT_ERUNTIME, RETORT_R_LOCK_TIMEOUT, NULL, 0,
			             "could not take the run lock on %s within %d s: held by %s",
			             s->lock_name, o->timeout_s, msg ? msg : "another process");
			free(who);
			free(msg);
			break;
		}
		nap_ms(delay);
		delay = delay * 2 > 250 ? 250 : delay * 2;
	}
	free(holder);
	if (rc)
		lock_release(s, lk);
	return rc;
}

static int lease_lost(store *s, run_lock *lk, retort_error *err)
{
	lk->held = 0;
	return rt_fail(err, RETORT_ERUNTIME, RETORT_R_LOCK_LOST, NULL, 0,
	               "lost the run lock on %s: the lease expired (lock_lease = %d s) and "
	               "another run took it over; stopping",
	               s->lock_name, lk->lease);
}

int lock_renew(store *s, run_lock *lk, retort_error *err)
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
			return lease_lost(s, lk, err);
		due *= 2; /* the heartbeat renews each quarter; step in at half */
	}
	long long now = now_ms();
	if (now - last < due)
		return RETORT_OK;
	lk->renewed_ms = now;
	char *sql = lease_renew_sql(s, lk);
	long rows = 0;
	int rc = s->drv->exec(s->conn, sql, &rows, err);
	free(sql);
	if (!rc && rows != 1)
		rc = lease_lost(s, lk, err);
	return rc;
}

int lock_force_release(store *s, const lock_opts *o, char **out, retort_error *err)
{
	*out = NULL;
	if (strcmp(o->kind, "table") != 0) {
		*out = xasprintf("nothing to release: lock = %s %s\n", o->kind,
		                 strcmp(o->kind, "none") == 0
		                     ? "takes no lock"
		                     : "is held by a session and ends with its holder's connection");
		return RETORT_OK;
	}
	int exists = 0;
	int rc = s->drv->table_exists(s->conn, s->schema, "retort_lock", &exists, err);
	if (rc)
		return rc;
	char *holder = NULL;
	long left = 0;
	if (exists && lease_holder(s, &holder, &left)) {
		char *name = dialect_literal(s->sql, s->lock_name);
		char *sql = xasprintf("DELETE FROM %s WHERE name = %s", s->lock_table, name);
		rc = s->drv->exec(s->conn, sql, NULL, err);
		free(sql);
		free(name);
		if (!rc)
			*out = xasprintf("released the run lock on %s held by %s\n", s->lock_name, holder);
	} else {
		*out = xasprintf("nothing to release: no lease on %s\n", s->lock_name);
	}
	free(holder);
	return rc;
}

void lock_release(store *s, run_lock *lk)
{
	heartbeat_stop(lk);
	if (lk->held && lk->kind == LOCK_SESSION) {
		if (strcmp(s->lock_key, s->lock_name) != 0)
			s->drv->unlock(s->conn, s->lock_key);
		s->drv->unlock(s->conn, s->lock_name);
	}
	if (lk->held && lk->kind == LOCK_TABLE) {
		char *name = dialect_literal(s->sql, s->lock_name),
		     *tok = dialect_literal(s->sql, lk->token);
		char *sql = xasprintf("DELETE FROM %s WHERE name = %s AND token = %s", s->lock_table,
		                      name, tok);
		retort_error ignored;
		/* The run's connection may be the reason it stops (killed by the
		 * server, dropped): release the lease on a fresh one then, or
		 * every run waits until it expires. */
		if (s->drv->exec(s->conn, sql, NULL, &ignored) != RETORT_OK && s->url) {
			db_conn *fresh = NULL;
			if (s->drv->connect(s->url, &fresh, &ignored) == RETORT_OK) {
				s->drv->exec(fresh, sql, NULL, &ignored);
				s->drv->close(fresh);
			}
		}
		free(sql);
		free(name);
		free(tok);
	}
	free(lk->token);
	memset(lk, 0, sizeof(*lk));
}
