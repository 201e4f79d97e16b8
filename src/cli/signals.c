/*
 * signals.c: SIGINT and SIGTERM while a command holds a database. The
 * first signal asks the library to stop (retort_interrupt: the running
 * statement is cancelled, the step rolled back, the lock released) and
 * is remembered, so the command exits 128 + signal once the library has
 * returned RETORT_EINTR. The handler also puts back the previous (default)
 * action of both signals: a second one, while retort is stopping, kills it
 * at once (the user's force-quit). Outside a command's run the defaults
 * apply. A signal that was ignored when retort started (a shell's
 * background job ignores SIGINT) stays ignored, as in any Unix tool.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "cli.h"

static retort_db *volatile sig_db;
static volatile sig_atomic_t sig_got;
static struct sigaction old_int, old_term;
static int installed;

/* Only async-signal-safe calls: sigaction and retort_interrupt. */
static void on_signal(int sig)
{
	int saved = errno;
	if (!sig_got)
		sig_got = sig;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	retort_interrupt(sig_db);
	errno = saved;
}

void cli_signals_install(retort_db *db)
{
	sig_db = db;
	sigaction(SIGINT, NULL, &old_int);
	sigaction(SIGTERM, NULL, &old_term);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* both blocked while the handler runs: it is never re-entered */
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sa.sa_flags = SA_RESTART;
	if (old_int.sa_handler != SIG_IGN)
		sigaction(SIGINT, &sa, NULL);
	if (old_term.sa_handler != SIG_IGN)
		sigaction(SIGTERM, &sa, NULL);
	installed = 1;
}

/* Before the database is freed: a late signal must not reach a freed db
 * (and if one came, it stays recorded for the exit status). */
void cli_signals_restore(void)
{
	if (!installed)
		return;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sig_db = NULL;
	installed = 0;
}

int cli_signal_received(void)
{
	return sig_got;
}
