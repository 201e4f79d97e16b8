/*
 * run.h: executing a plan (one transaction per step with its version
 * compare-and-set and history row), or rendering it as SQL (--sql); the
 * cache of split statements per revision section that both use.
 */
#ifndef RETORT_RUN_H
#define RETORT_RUN_H

#include <signal.h>

#include "store/store.h"

/* ---- cache.c: statements per (revision, section), for one dialect ---- */

typedef struct stmt_cache {
	const graph *g;
	dialect d;
	stmt_list *lists; /* g->n * SEC_COUNT */
	unsigned char *done;
} stmt_cache;

void stmt_cache_init(stmt_cache *c, const graph *g);
void stmt_cache_free(stmt_cache *c);
/* A section's statements split for d (re-splitting everything if d
 * changed). In a transactional revision, transaction control (BEGIN,
 * COMMIT, ROLLBACK, END, ...) is refused with file:line: retort owns the
 * revision's transaction, and such a statement would let the version row
 * and the work part ways. */
int stmt_cache_get(stmt_cache *c, int rev, int sec, dialect d, const stmt_list **out,
                   retort_error *err);

/* ---- run.c --------------------------------------------------------------- */

typedef struct run_step_result {
	int rev, upgrade;
	long duration_ms;
	int statements;
} run_step_result;

typedef struct run_result {
	run_step_result *v;
	size_t n;
	long long total_ms;
} run_result;

typedef struct run_ctx {
	const graph *g;
	stmt_cache *cache;
	const rt_logger *log;
	retort_progress_fn progress; /* may be NULL */
	void *progress_ud;
	int per_step;            /* transaction_per_migration */
	store *st;               /* NULL when rendering */
	run_lock *lk;            /* may be NULL */
	volatile sig_atomic_t *interrupted; /* set by retort_interrupt; may be NULL */
	run_result *result;      /* filled when not NULL */
	int ddl_lock_timeout;    /* PostgreSQL: SET LOCAL lock_timeout (s) in each step; 0 none */
	int ddl_lock_retries;    /* a step that timed out is run again this many times */
} run_ctx;

/* Runs the plan on c->st, or with sql_out != NULL renders it as SQL for
 * dialect d with vt as the version table's name. start: the version rows
 * before the first step (for saying where a stopped run left the
 * database). resume_from > 0 skips
 * that many statements of the first step (a dirty non-transactional
 * revision retried with a fixed file). An interrupt stops it with
 * RETORT_EINTR after rolling back (a non-transactional step stays dirty,
 * recorded). */
int run_plan(run_ctx *c, dialect d, const plan *pl, sbuf *sql_out, const char *vt,
             const strvec *start, int resume_from, retort_error *err);
/* Hex SHA-256 of the first n statements of step s (each statement's text
 * and a NUL): what a dirty record remembers of the statements that ran. */
int run_done_checksum(run_ctx *c, const plan_step *s, dialect d, int n, char out[65],
                      retort_error *err);
/* Splits (and caches) every statement the plan would run. */
int run_check(run_ctx *c, const plan *pl, dialect d, retort_error *err);
void run_result_free(run_result *r);

/* ---- phase.c: the migrate part, batch by batch (SPEC §8) ----------------- */

typedef struct migrate_opts {
	long batch_size; /* replaces :batch_size; default 1000 (the first batch) */
	int pause_ms;    /* between batches */
	int batch_ms;    /* > 0: size each batch to take about this long; 0: fixed */
} migrate_opts;

/* Timed batches: the next batch's size from how long the last batch's
 * statement worked, aiming at target_ms. Work is the statement's time less
 * the smallest round trip seen (a BEGIN's), so a distant server or a slow
 * commit does not shrink the batches: what is sized is what the batch does
 * while it holds its row locks. Proportional, at most 1.5 times the last
 * (growth is cautious, so a lock is never held much longer than the
 * target), at once smaller after a slow batch, but never smaller than the
 * first: fixed batches of that size were the user's (or the default's)
 * choice, and a statement whose time does not fall with its size (a
 * fixed cost per batch) must not be sized down to a row. A batch that
 * grew, went over the target and became more than twice as slow per row
 * (a plan that changes with the LIMIT, a cache that no longer holds the
 * rows) marks a ceiling that later batches stay below (3/4 of it). After
 * 20 batches below it one batch probes the ceiling's size again: slow
 * again, the ceiling is confirmed and stays; fast, the first was a stall
 * (a lock wait, a checkpoint) and the ceiling goes, so one stall does not
 * cap a whole migrate and a real cliff costs two slow batches. */
typedef struct batch_sizer {
	long size;      /* the next batch's rows */
	long first;     /* the first, and the smallest */
	int target_ms;
	long last;      /* the last batch's rows (0: none yet) */
	double per_row; /* its microseconds of work per row */
	long ceiling;   /* 0: none */
	int below;      /* batches under it since it was set */
	int probing;    /* the next batches may reach the ceiling */
	int confirmed;  /* a probe found the cliff again: no more probes */
	long long rtt_us; /* the smallest round trip seen, -1: none */
} batch_sizer;
void run_sizer_init(batch_sizer *b, long first, int target_ms);
/* took_us: the batch statement's time; rtt_us: a round trip measured just
 * before it (the BEGIN's), or -1. */
void run_sizer_next(batch_sizer *b, long long took_us, long long rtt_us);

/* Runs revision rev's migrate part from statement row->migrate_done on:
 * a statement holding `:batch_size` runs again and again, each run in a
 * transaction of its own with the phase row's progress, until it changes
 * no rows; any other statement runs once in a transaction with the row.
 * A kill at any point leaves the row saying which statement to resume
 * at. On success row->state is PH_MIGRATED and its history row written. */
int run_migrate(run_ctx *c, dialect d, int rev, phase_row *row, const migrate_opts *o,
                retort_error *err);
/* Does the statement hold a :batch_size placeholder (outside quotes and
 * comments; a `::batch_size` cast is not one)? */
int run_is_batched(const char *sql);

#endif
