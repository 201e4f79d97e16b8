/*
 * progress.c: the status line a terminal shows while a statement runs
 * long ("  <rev> statement 3/5 (12 s): CREATE INDEX ..."), on stderr,
 * only when stderr is a terminal and not under -q.
 *
 * The library calls cli_progress from the caller's thread when a statement
 * starts and when it ends, and blocks in between, so the repaint needs a
 * timer. It is a thread waiting on a condition variable with a timeout
 * (CLOCK_MONOTONIC), not timer_create/SIGALRM: a signal handler may not
 * take a lock or call stdio, and SIGALRM would interrupt the library's
 * system calls. One mutex guards the state and every write to stderr (log
 * lines and FAILED lines take it too), so the status line never splits a
 * log line; a log line first clears it. The thread starts at the first
 * statement, blocks every signal (SIGINT/SIGTERM are the main thread's),
 * and is joined by cli_progress_stop before the command's result is
 * printed, leaving no line behind.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define SHOW_AFTER 2 /* seconds a statement runs before the line appears */

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int started, quit, active;
	struct timespec t0; /* when the running statement started */
	char rev[64];
	int n, total;
	char sql[1024]; /* one line, whitespace collapsed */
	size_t painted; /* columns of the status line on screen; 0: none */
} pr = {.mu = PTHREAD_MUTEX_INITIALIZER};

int cli_progress_wanted(const struct cli *cli)
{
	return (!cli->quiet && isatty(2)) || cli->verbose;
}

void cli_stderr_lock(void)
{
	pthread_mutex_lock(&pr.mu);
}

void cli_stderr_unlock(void)
{
	pthread_mutex_unlock(&pr.mu);
}

/* With pr.mu held. */
static void clear_line(void)
{
	if (!pr.painted)
		return;
	char buf[1024];
	size_t n = pr.painted < sizeof(buf) - 2 ? pr.painted : sizeof(buf) - 2;
	buf[0] = '\r';
	memset(buf + 1, ' ', n);
	buf[n + 1] = '\r';
	fwrite(buf, 1, n + 2, stderr);
	fflush(stderr);
	pr.painted = 0;
}

static int term_width(void)
{
	struct winsize ws;
	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		return ws.ws_col;
	return 80;
}

/* With pr.mu held: the line, cut to the terminal's width (one column per
 * UTF-8 character, never half a character), the rest of the old one
 * blanked. */
static void paint_text(const char *text);

static void paint(long secs)
{
	char text[1300];
	snprintf(text, sizeof(text), "  %s statement %d/%d (%ld s): %s", pr.rev, pr.n, pr.total,
	         secs, pr.sql);
	paint_text(text);
}

static void paint_text(const char *text)
{
	size_t max = (size_t)term_width() - 1, cols = 0, i = 0;
	while (text[i]) {
		size_t len = 1;
		while ((text[i + len] & 0xC0) == 0x80)
			len++;
		if (cols + 1 > max)
			break;
		cols++;
		i += len;
	}
	char line[1400];
	size_t pad = pr.painted > cols ? pr.painted - cols : 0;
	if (pad > 100)
		pad = 100;
	int n = snprintf(line, sizeof(line), "\r%.*s%*s", (int)i, text, (int)pad, "");
	if (n > 0)
		fwrite(line, 1, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1, stderr);
	if (pad) /* back over the blanks, so the cursor ends the text */
		fprintf(stderr, "\r%.*s", (int)i, text);
	fflush(stderr);
	pr.painted = cols;
}

static void *painter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pr.mu);
	while (!pr.quit) {
		if (!pr.active) {
			pthread_cond_wait(&pr.cv, &pr.mu);
			continue;
		}
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms =
		    (now.tv_sec - pr.t0.tv_sec) * 1000 + (now.tv_nsec - pr.t0.tv_nsec) / 1000000;
		if (ms >= SHOW_AFTER * 1000)
			paint(ms / 1000);
		/* wake at the next whole second of the statement's time */
		long next = ms < SHOW_AFTER * 1000 ? SHOW_AFTER : ms / 1000 + 1;
		struct timespec at = {pr.t0.tv_sec + next, pr.t0.tv_nsec};
		pthread_cond_timedwait(&pr.cv, &pr.mu, &at);
	}
	pthread_mutex_unlock(&pr.mu);
	return NULL;
}

/* With pr.mu held. */
static void start_thread(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pr.cv, &ca);
	pthread_condattr_destroy(&ca);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* the new thread inherits it */
	pr.started = pthread_create(&pr.thread, NULL, painter, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!pr.started)
		pthread_cond_destroy(&pr.cv);
}

static void set_sql(const char *sql)
{
	size_t o = 0;
	int space = 0;
	for (const char *s = sql ? sql : ""; *s && o < sizeof(pr.sql) - 1; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= ' ' || c == 0x7f) {
			space = o > 0;
			continue;
		}
		if (space && o < sizeof(pr.sql) - 2)
			pr.sql[o++] = ' ';
		space = 0;
		pr.sql[o++] = (char)c;
	}
	/* never end on half a UTF-8 character */
	while (o > 0 && (pr.sql[o - 1] & 0xC0) == 0x80)
		o--;
	if (o > 0 && (pr.sql[o - 1] & 0x80))
		o--;
	pr.sql[o] = 0;
}

/* Log lines, in Alembic's "INFO  [retort] ..." form, on stderr: under the
 * lock that keeps them from splitting the status line. */
void cli_log(void *ud, int level, const char *msg)
{
	const struct cli *cli = ud;
	static const char *names[] = {"DEBUG", "INFO ", "WARNI", "ERROR"};
	if (cli->quiet && level < RETORT_LOG_WARN)
		return;
	if (level < 0 || level > RETORT_LOG_ERROR)
		level = RETORT_LOG_ERROR;
	cli_stderr_lock();
	clear_line(); /* repainted by the next tick if the statement still runs */
	fprintf(stderr, "%s [retort] %s\n", names[level], msg);
	cli_stderr_unlock();
}

void cli_progress(void *ud, const retort_progress *p)
{
	struct cli *cli = ud;
	if (p->event == RETORT_PROGRESS_DONE) {
		/* The closing summary: not in Alembic's output, so only where a
		 * person reads it (a terminal) or asked for more (-v). */
		char msg[96];
		snprintf(msg, sizeof(msg), "Done: %d revision%s in %.2f s.", p->steps,
		         p->steps == 1 ? "" : "s", (double)p->elapsed_ms / 1000.0);
		cli_log(cli, RETORT_LOG_INFO, msg);
		return;
	}
	if (!isatty(2) || cli->quiet)
		return; /* -v on a pipe: the summary only */
	if (p->event == RETORT_PROGRESS_BATCH) {
		/* a batched migrate: rows, rate and (with a -- progress: query)
		 * what is left, repainted as batches commit */
		char text[300];
		double secs = (double)p->elapsed_ms / 1000.0;
		long long rate = secs > 0 ? (long long)((double)p->rows / secs) : 0;
		int n = snprintf(text, sizeof(text), "  migrate %s: %lld rows in %lld batches, %lld rows/s",
		                 p->revision ? p->revision : "", p->rows, p->batches, rate);
		if (p->remaining >= 0 && n > 0 && (size_t)n < sizeof(text))
			snprintf(text + n, sizeof(text) - (size_t)n, ", %lld left (about %lld s)",
			         p->remaining, rate > 0 ? p->remaining / rate : 0);
		pthread_mutex_lock(&pr.mu);
		paint_text(text);
		pthread_mutex_unlock(&pr.mu);
		return;
	}
	pthread_mutex_lock(&pr.mu);
	if (p->done < 0) {
		snprintf(pr.rev, sizeof(pr.rev), "%s", p->revision ? p->revision : "");
		pr.n = p->statement;
		pr.total = p->statements;
		set_sql(p->sql);
		clock_gettime(CLOCK_MONOTONIC, &pr.t0);
		pr.active = 1;
		if (!pr.started)
			start_thread();
	} else {
		pr.active = 0;
		clear_line();
	}
	if (pr.started)
		pthread_cond_signal(&pr.cv);
	pthread_mutex_unlock(&pr.mu);
}

void cli_progress_stop(void)
{
	pthread_mutex_lock(&pr.mu);
	int started = pr.started;
	pr.quit = 1;
	pr.active = 0;
	clear_line();
	if (started)
		pthread_cond_signal(&pr.cv);
	pthread_mutex_unlock(&pr.mu);
	if (!started)
		return;
	pthread_join(pr.thread, NULL);
	pthread_cond_destroy(&pr.cv);
	pr.started = 0;
}
