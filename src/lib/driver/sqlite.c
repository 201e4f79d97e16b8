/*
 * driver_sqlite.c: the SQLite backend over the system libsqlite3. One
 * connection per database file, SQLite's defaults otherwise (like
 * Alembic, no PRAGMAs). Statements are prepared and stepped one at a time
 * so an error carries SQLite's own message and nothing else runs behind
 * the caller's back: exec costs exactly one prepare/step/finalize.
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "driver/driver.h"
#include "driver/sqlite_int.h"

/* Another retort (or the application) holding the write lock should make
 * us wait, not fail with "database is locked" on the first try. */
#define BUSY_TIMEOUT_MS 5000

struct db_conn {
	sqlite3 *db;
	char *path;  /* NULL for :memory: */
	/* The file did not exist at connect: until the first write, db is an
	 * empty in-memory database standing in for it (a nonexistent file
	 * reads as an empty database), so a read-only command never leaves a
	 * new empty file behind. sq_materialize opens the real file. */
	int absent;
	int lock_fd; /* the run lock's descriptor, -1 when not held */
	/* SQLite's own write lock held by another connection: wait up to
	 * busy_ms, saying so once per wait through notice */
	int busy_ms;
	long long busy_since;
	void (*notice)(void *ud, const char *msg);
	void *notice_ud;
	volatile sig_atomic_t cancelled; /* sq_cancel: stop waiting too */
	const volatile sig_atomic_t *stop; /* sq_watch */
	int err_off; /* 0-based byte offset of the last error in the text run, or -1 */
	int persist; /* journal_mode switched from DELETE to PERSIST (sq_try_lock) */
};

/* For the driver's other files (sqlite_int.h). */
sqlite3 *sqlite_conn_handle(db_conn *c)
{
	return c->db;
}

/* sqlite3_busy_timeout's behaviour (sleep and retry until the time is
 * up), plus one line telling the user what we are waiting for. */
static int on_busy(void *arg, int count)
{
	db_conn *c = arg;
	if (count == 0) {
		c->busy_since = now_ms();
		if (c->notice) {
			char *msg = xasprintf("Waiting for SQLite's write lock on %s: another "
			                      "connection holds it (lock_timeout %d s)",
			                      c->path ? c->path : ":memory:", (c->busy_ms + 999) / 1000);
			c->notice(c->notice_ud, msg);
			free(msg);
		}
	}
	if (c->cancelled || (c->stop && *c->stop) || now_ms() - c->busy_since >= c->busy_ms)
		return 0;
	nap_ms(count < 10 ? 1 << (count < 6 ? count : 6) : 100);
	return 1;
}

/* When the file cannot be opened, SQLite only says "unable to open
 * database file"; the usual cause is a missing directory, so name it. */
static int open_error(const char *path, const char *msg, retort_error *err)
{
	struct stat self;
	if (stat(path, &self) == 0 && S_ISDIR(self.st_mode))
		return rt_fail(err, RETORT_ERUNTIME, RETORT_R_CONNECT, NULL, 0,
		               "cannot open SQLite database '%s': it is a directory", path);
	const char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		char *dir = xstrndup(path, (size_t)(slash - path));
		struct stat st;
		int missing = stat(dir, &st) != 0 && errno == ENOENT;
		int notdir = !missing && stat(dir, &st) == 0 && !S_ISDIR(st.st_mode);
		if (missing || notdir) {
			rt_fail(err, RETORT_ERUNTIME, RETORT_R_CONNECT, NULL, 0,
			        "cannot open SQLite database '%s': directory '%s' %s", path, dir,
			        missing ? "does not exist" : "is not a directory");
			free(dir);
			return RETORT_ERUNTIME;
		}
		free(dir);
	}
	return rt_fail(err, RETORT_ERUNTIME, RETORT_R_CONNECT, NULL, 0,
	               "cannot open SQLite database '%s': %s", path, msg);
}

static int open_file(const char *path, sqlite3 **out, retort_error *err)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		/* Even a failed open allocates a handle that must be closed. */
		int r = open_error(path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), err);
		sqlite3_close(db);
		return r;
	}
	/* Opening reads nothing: a file that is not a database ("file is
	 * not a database") would fail only at the first statement, in a
	 * message that does not say which file. Reading the header writes
	 * nothing. */
	rc = sqlite3_exec(db, "PRAGMA schema_version", NULL, NULL, NULL);
	/* Busy: another connection holds the file's lock, so it is a
	 * database; the wait for that lock comes later, announced. */
	if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) {
		int r = open_error(path, sqlite3_errmsg(db), err);
		sqlite3_close(db);
		return r;
	}
	*out = db;
	return RETORT_OK;
}

/* A file that does not exist yet, in a directory that does (else the
 * open's own error, which names the directory, is the answer). */
static int file_absent(const char *path)
{
	struct stat st;
	if (strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0 ||
	    stat(path, &st) == 0 || errno != ENOENT)
		return 0;
	const char *slash = strrchr(path, '/');
	if (!slash)
		return 1;
	if (slash == path)
		return stat("/", &st) == 0;
	char *dir = xstrndup(path, (size_t)(slash - path));
	int ok = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
	free(dir);
	return ok;
}

static int sq_connect(const db_url *u, db_conn **out, retort_error *err)
{
	*out = NULL;
	const char *path = u->path ? u->path : ":memory:";
	int absent = file_absent(path);
	sqlite3 *db = NULL;
	int rc = open_file(absent ? ":memory:" : path, &db, err);
	if (rc)
		return rc;
	db_conn *c = xcalloc(1, sizeof(*c));
	c->db = db;
	c->path = strcmp(path, ":memory:") != 0 ? xstrdup(path) : NULL;
	c->absent = absent;
	c->lock_fd = -1;
	c->busy_ms = BUSY_TIMEOUT_MS;
	sqlite3_busy_handler(db, on_busy, c); /* replaces the timeout */
	*out = c;
	return RETORT_OK;
}

static int on_progress(void *arg);

/* The first write (or the run lock) opens the real file, creating it.
 * Nothing was written to the stand-in, so nothing is lost; the handle is
 * swapped before the stand-in is closed, so a cancel from a signal
 * handler always finds an open one. */
static int sq_materialize(db_conn *c, retort_error *err)
{
	if (!c->absent)
		return RETORT_OK;
	sqlite3 *db = NULL;
	int rc = open_file(c->path, &db, err);
	if (rc)
		return rc;
	sqlite3_busy_handler(db, on_busy, c);
	if (c->stop)
		sqlite3_progress_handler(db, 1000, on_progress, c);
	sqlite3 *stand_in = c->db;
	c->db = db;
	c->absent = 0;
	sqlite3_close(stand_in);
	return RETORT_OK;
}

static int sq_fail(db_conn *c, sqlite3_stmt *st, retort_error *err);

/* Prepares one read; while the file is absent, a statement that writes
 * opens the file first and is prepared again there. */
static int sq_prepare(db_conn *c, const char *sql, sqlite3_stmt **st, retort_error *err)
{
	*st = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) != SQLITE_OK)
		return sq_fail(c, *st, err);
	if (!c->absent || !*st || sqlite3_stmt_readonly(*st))
		return RETORT_OK;
	sqlite3_finalize(*st);
	*st = NULL;
	int rc = sq_materialize(c, err);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) != SQLITE_OK)
		return sq_fail(c, *st, err);
	return RETORT_OK;
}

static void journal_restore(db_conn *c);

static void sq_close(db_conn *c)
{
	if (!c)
		return;
	if (c->persist && !sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	journal_restore(c);
	sqlite3_close(c->db);
	/* Closed after SQLite's own descriptors: the run lock is a flock(),
	 * which never interferes with SQLite's POSIX locks on the file. */
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	free(c->path);
	free(c);
}

static int sq_fail(db_conn *c, sqlite3_stmt *st, retort_error *err)
{
	/* Copy the message before finalize, which may reset it. */
	int code = sqlite3_errcode(c->db) & 0xff;
	rt_error(err, RETORT_ERUNTIME, NULL, 0, "%s%s", sqlite3_errmsg(c->db),
	         code == SQLITE_BUSY || code == SQLITE_LOCKED
	                 ? " (another connection holds SQLite's write lock; waited lock_timeout)"
	                 : "");
	sqlite3_finalize(st);
	return RETORT_ERUNTIME;
}

static int sq_error_offset(db_conn *c)
{
	return c->err_off;
}

static int sq_exec(db_conn *c, const char *sql, long *rows, retort_error *err)
{
	/* A cancel stops the wait of the statement it interrupted; the run
	 * itself knows it was interrupted (retort_db) and checks before each
	 * statement. */
	c->cancelled = 0;
	/* exec is how every write (and every BEGIN) arrives */
	int mrc = sq_materialize(c, err);
	if (mrc)
		return mrc;
	long changed = 0;
	const char *p = sql;
	/* Normally one statement; any further ones in the text are run too,
	 * as sqlite3_exec would, rather than silently dropped. */
	while (p && *p) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		c->err_off = -1;
		if (sqlite3_prepare_v2(c->db, p, -1, &st, &tail) != SQLITE_OK) {
			int off = sqlite3_error_offset(c->db);
			c->err_off = off >= 0 ? (int)(p - sql) + off : -1;
			return sq_fail(c, st, err);
		}
		if (!st) { /* only blanks or comments left */
			p = tail;
			continue;
		}
		/* sqlite3_changes() keeps the count of the last INSERT/UPDATE/
		 * DELETE, so after DDL it would report a stale number; a moved
		 * total tells whether this statement changed anything. */
		sqlite3_int64 before = sqlite3_total_changes64(c->db);
		int rc;
		/* PRAGMA foreign_key_check reports violations as rows, which
		 * would pass unseen: a row fails the statement (autogenerate's
		 * table rebuilds end with one, before the commit). */
		int fk_check = sqlite3_stmt_readonly(st) &&
		               sqlite3_strnicmp(p + strspn(p, " \t\r\n"), "pragma", 6) == 0 &&
		               sqlite3_strlike("%foreign_key_check%", p, 0) == 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (fk_check) {
				const unsigned char *t = sqlite3_column_text(st, 0),
				                    *r = sqlite3_column_text(st, 1),
				                    *ref = sqlite3_column_text(st, 2);
				rt_error(err, RETORT_ERUNTIME, NULL, 0,
				         "foreign key violation: a row of %s (rowid %s) refers to a missing "
				         "row of %s (PRAGMA foreign_key_check)",
				         t ? (const char *)t : "?", r ? (const char *)r : "?",
				         ref ? (const char *)ref : "?");
				sqlite3_finalize(st);
				return RETORT_ERUNTIME;
			}
		}
		if (rc != SQLITE_DONE)
			return sq_fail(c, st, err);
		sqlite3_finalize(st);
		changed = sqlite3_total_changes64(c->db) != before ? (long)sqlite3_changes64(c->db) : 0;
		p = tail;
	}
	if (rows)
		*rows = changed;
	return RETORT_OK;
}

/* Steps a prepared statement, appending the first `want` columns (all when
 * want < 0) of each row. Finalizes. */
static int sq_collect_n(db_conn *c, sqlite3_stmt *st, int want, strvec *out, int *ncols,
                        retort_error *err)
{
	int n = sqlite3_column_count(st);
	if (want >= 0 && want < n)
		n = want;
	if (ncols)
		*ncols = n;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++) {
			const unsigned char *t = sqlite3_column_text(st, i);
			sv_push(out, t ? (const char *)t : "");
		}
		if (n == 0 && want == 1)
			sv_push(out, "");
	}
	if (rc != SQLITE_DONE)
		return sq_fail(c, st, err);
	sqlite3_finalize(st);
	return RETORT_OK;
}

static int sq_collect(db_conn *c, sqlite3_stmt *st, strvec *out, retort_error *err)
{
	return sq_collect_n(c, st, 1, out, NULL, err);
}

static int sq_query(db_conn *c, const char *sql, strvec *cells, int *ncols, retort_error *err)
{
	sqlite3_stmt *st = NULL;
	*ncols = 0;
	int rc = sq_prepare(c, sql, &st, err);
	if (rc)
		return rc;
	if (!st)
		return RETORT_OK;
	return sq_collect_n(c, st, -1, cells, ncols, err);
}

/* Runs a journal_mode PRAGMA (a read, or a change that answers with the
 * mode now in force): does it answer `mode` ("delete", "persist", ...)? */
static int journal_is(db_conn *c, const char *pragma, const char *mode)
{
	strvec v = STRVEC_INIT;
	int ncols = 0;
	retort_error ignored;
	int is = sq_query(c, pragma, &v, &ncols, &ignored) == RETORT_OK && v.n &&
	         strcmp(v.v[0], mode) == 0;
	sv_free(&v);
	return is;
}

/* While a writing run holds the run lock, a database in SQLite's default
 * rollback-journal mode (DELETE) is written with journal_mode=PERSIST,
 * a setting of this connection only (the file's own mode, which only WAL
 * changes, is untouched). Durability is the same: the commit point is
 * the journal header zeroed and synced instead of the file unlinked, and
 * synchronous stays at SQLite's default. What it saves is the journal
 * file's creation and deletion in every transaction (a directory entry
 * and an inode the file system must make durable too): about a tenth of
 * an upgrade's wall time per revision on ext4. Other connections in
 * DELETE mode read and write the same journal file as ever; a zeroed
 * header is not a hot journal. A WAL (or any other) mode is left alone. */
static void journal_persist(db_conn *c)
{
	if (c->persist || !c->path || !journal_is(c, "PRAGMA main.journal_mode", "delete"))
		return;
	c->persist = journal_is(c, "PRAGMA main.journal_mode = PERSIST", "persist");
}

/* Back to DELETE when the run lock goes, which deletes the journal file
 * (if another connection holds the write lock just then, the zeroed
 * journal stays behind: SQLite ignores it and the next writer reuses it). */
static void journal_restore(db_conn *c)
{
	if (!c->persist || !sqlite3_get_autocommit(c->db))
		return;
	c->persist = 0;
	/* Only PERSIST goes back: a file a revision (or the application)
	 * turned to WAL meanwhile keeps its new, persistent mode. */
	if (journal_is(c, "PRAGMA main.journal_mode", "persist"))
		journal_is(c, "PRAGMA main.journal_mode = DELETE", "delete");
}

/* The run lock is an exclusive flock() on the database file itself: no
 * extra file, released by the kernel when the process dies, and
 * independent of the POSIX record locks SQLite takes on the same file. */
static int sq_try_lock(db_conn *c, const char *name, int *taken, retort_error *err)
{
	(void)name;
	*taken = 1;
	if (!c->path)
		return RETORT_OK; /* an in-memory database has one user */
	/* Only a command that will write takes the lock. */
	int rc = sq_materialize(c, err);
	if (rc)
		return rc;
	if (c->lock_fd < 0) {
		c->lock_fd = open(c->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (c->lock_fd < 0)
			return rt_error(err, RETORT_ERUNTIME, NULL, 0, "cannot open '%s' to lock it: %s",
			                c->path, strerror(errno));
	}
	if (flock(c->lock_fd, LOCK_EX | LOCK_NB) == 0) {
		journal_persist(c);
		return RETORT_OK;
	}
	if (errno != EWOULDBLOCK)
		return rt_error(err, RETORT_ERUNTIME, NULL, 0, "cannot lock '%s': %s", c->path,
		                strerror(errno));
	*taken = 0;
	return RETORT_OK;
}

/* When a process started, from /proc (for "held since"); 0 if unknown. */
static time_t process_start(long pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char buf[1024];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* Field 22 (starttime, in clock ticks since boot) follows the
	 * parenthesised command name, which may itself contain spaces. */
	char *p = strrchr(buf, ')');
	unsigned long long ticks = 0;
	for (int field = 3; p && field <= 22; field++) {
		p = strchr(p + 1, ' ');
		if (p && field == 22)
			ticks = strtoull(p + 1, NULL, 10);
	}
	f = fopen("/proc/stat", "r");
	unsigned long long btime = 0;
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %llu", &btime) == 1)
			break;
	if (f)
		fclose(f);
	long hz = sysconf(_SC_CLK_TCK);
	return btime && ticks && hz > 0 ? (time_t)(btime + ticks / (unsigned long long)hz) : 0;
}

/* flock() holders are listed in /proc/locks by device and inode. */
static char *sq_lock_holder(db_conn *c, const char *name)
{
	(void)name;
	struct stat st;
	if (!c->path || stat(c->path, &st) != 0)
		return NULL;
	FILE *f = fopen("/proc/locks", "r");
	if (!f)
		return NULL;
	char line[512], host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = 0;
	char *out = NULL;
	while (!out && fgets(line, sizeof(line), f)) {
		char kind[16], mode[16], rw[16];
		long pid;
		unsigned maj, min;
		unsigned long long ino;
		if (strstr(line, "->"))
			continue; /* a waiter, not the holder */
		if (sscanf(line, "%*[^:]: %15s %15s %15s %ld %x:%x:%llu", kind, mode, rw, &pid, &maj,
		           &min, &ino) != 7)
			continue;
		if (strcmp(kind, "FLOCK") != 0 || ino != (unsigned long long)st.st_ino ||
		    maj != major(st.st_dev) || min != minor(st.st_dev) || pid == (long)getpid())
			continue;
		time_t since = process_start(pid);
		char when[40] = "an unknown time";
		if (since) {
			struct tm tm;
			gmtime_r(&since, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		}
		out = xasprintf("pid %ld on %s (running since %s)", pid, host, when);
	}
	fclose(f);
	return out;
}

static void sq_set_wait_notice(db_conn *c, void (*fn)(void *ud, const char *msg), void *ud)
{
	c->notice = fn;
	c->notice_ud = ud;
}

static void sq_set_lock_wait(db_conn *c, int ms)
{
	c->busy_ms = ms > 0 ? ms : 1;
}

/* sqlite3_interrupt only sets a flag the running statement checks. */
static void sq_cancel(db_conn *c)
{
	c->cancelled = 1; /* SQLite's busy loop does not look at the interrupt */
	sqlite3_interrupt(c->db);
}

/* SQLite asks every 1000 virtual-machine steps whether to go on: with a
 * stop flag watched, a statement started after the flag was set (when
 * sqlite3_interrupt had nothing to interrupt) stops at once too. */
static int on_progress(void *arg)
{
	const db_conn *c = arg;
	return c->stop && *c->stop;
}

static void sq_watch(db_conn *c, const volatile sig_atomic_t *stop)
{
	c->stop = stop;
	sqlite3_progress_handler(c->db, stop ? 1000 : 0, stop ? on_progress : NULL, c);
}

static void sq_unlock(db_conn *c, const char *name)
{
	(void)name;
	journal_restore(c);
	if (c->lock_fd >= 0)
		flock(c->lock_fd, LOCK_UN);
}

static int sq_query_col(db_conn *c, const char *sql, strvec *out, retort_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_prepare(c, sql, &st, err);
	if (rc)
		return rc;
	if (!st)
		return RETORT_OK;
	return sq_collect(c, st, out, err);
}

static int sq_table_exists(db_conn *c, const char *schema, const char *table, int *exists,
                           retort_error *err)
{
	*exists = 0;
	/* SQLite's "schema" is an attached database's name. Names compare
	 * case-insensitively, as SQLite resolves identifiers. */
	char *sql;
	if (schema && *schema) {
		char *q = dialect_ident(&dialect_sqlite, schema);
		sql = xasprintf("SELECT name FROM %s.sqlite_master WHERE type = 'table' "
		                "AND name = ?1 COLLATE NOCASE",
		                q);
		free(q);
	} else {
		sql = xstrdup("SELECT name FROM sqlite_master WHERE type = 'table' "
		              "AND name = ?1 COLLATE NOCASE");
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return sq_fail(c, st, err);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	strvec names = STRVEC_INIT;
	rc = sq_collect(c, st, &names, err);
	*exists = names.n > 0;
	sv_free(&names);
	return rc;
}

const db_driver driver_sqlite = {
	.name = "sqlite",
	.sql = &dialect_sqlite,
	.connect = sq_connect,
	.close = sq_close,
	.exec = sq_exec,
	.query_col = sq_query_col,
	.table_exists = sq_table_exists,
	.query = sq_query,
	.try_lock = sq_try_lock,
	.unlock = sq_unlock,
	.lock_holder = sq_lock_holder,
	.set_lock_wait = sq_set_lock_wait,
	.set_wait_notice = sq_set_wait_notice,
	.cancel = sq_cancel,
	.watch = sq_watch,
	.inspect = sqlite_inspect,
	.error_offset = sq_error_offset,
	/* IMMEDIATE: take the write lock up front, so two writers wait on the
	 * busy timeout instead of one failing when it upgrades its read lock. */
};
