/*
 * log.c: the log sink. The library never prints: every log line goes to
 * the application's callback (the CLI's prints Alembic's "INFO  [retort]"
 * lines on stderr). DEBUG lines are formatted only when verbose.
 */
#include "base/base.h"

void rt_log(const rt_logger *l, int level, const char *fmt, ...)
{
	if (!l || !l->fn || (level == RETORT_LOG_DEBUG && !l->verbose))
		return;
	sbuf b = SBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&b, fmt, ap);
	va_end(ap);
	l->fn(l->ud, level, sb_str(&b));
	sb_free(&b);
}
